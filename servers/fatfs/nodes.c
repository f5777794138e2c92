/* Path handling and the open-node table of the fatfs server (see nodes.h). */
#include <common/string.h>
#include <tessera/abi.h>
#include <tessera/fs.h>
#include "nodes.h"

/* ---- paths ---- */

int path_join(const char *base, const char *rel, char *out, size_t cap) {
    size_t len = strlen(base);
    if (len + 1 > cap)
        return -E_NAMETOOLONG;
    memcpy(out, base, len + 1);
    size_t floor = len;   /* ".." never goes above base */
    const char *p = rel;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = p;
        while (*end && *end != '/')
            end++;
        size_t n = (size_t)(end - p);
        if (n == 0)
            break;
        if (n > FS_NAME_MAX)
            return -E_NAMETOOLONG;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (len > floor) {
                while (len > floor && out[len - 1] != '/')
                    len--;
                if (len > floor)
                    len--;   /* the '/' before the dropped component */
                out[len] = 0;
            }
        } else {
            size_t sep = len ? 1 : 0;
            if (len + sep + n + 1 > cap)
                return -E_NAMETOOLONG;
            if (sep)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
            out[len] = 0;
        }
        p = end;
    }
    return 0;
}

const char *path_last(const char *path, size_t *parent_len) {
    const char *slash = NULL;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            slash = p;
    *parent_len = slash ? (size_t)(slash - path) : 0;
    return slash ? slash + 1 : path;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

bool path_within(const char *path, const char *top) {
    size_t i = 0;
    for (; top[i]; i++)
        if (lower(path[i]) != lower(top[i]))
            return false;   /* also stops at path's NUL */
    return top[0] == 0 || path[i] == 0 || path[i] == '/';
}

/* ---- the node table ---- */

void nodes_init(struct node_table *t) { memset(t, 0, sizeof(*t)); }

uint64_t node_badge(const struct node_table *t, uint32_t i) {
    return FILE_BADGE | (uint64_t)t->n[i].gen << 16 | i;
}

struct node *node_of_badge(struct node_table *t, uint64_t badge) {
    if (!(badge & FILE_BADGE) || (badge & ~FILE_BADGE) >> 48)
        return NULL;
    uint32_t i = (uint32_t)(badge & 0xffff), gen = (uint32_t)(badge >> 16);
    if (i >= NODE_MAX || t->n[i].gen != gen || !t->n[i].live)
        return NULL;
    return &t->n[i];
}

struct node *node_find(struct node_table *t, uint32_t entry_sector, uint32_t entry_offset) {
    if (entry_sector == 0)
        return NULL;
    for (uint32_t i = 0; i < NODE_MAX; i++) {
        struct node *n = &t->n[i];
        if (n->live && n->file.entry_sector == entry_sector && n->file.entry_offset == entry_offset)
            return n;
    }
    return NULL;
}

void node_touch(struct node_table *t, struct node *n) { n->last_use = ++t->clock; }

uint32_t node_add(struct node_table *t, const char *path, bool is_dir, const struct fat_file *f) {
    uint32_t pick = 0;
    for (uint32_t i = 0; i < NODE_MAX; i++) {
        if (!t->n[i].live) {
            pick = i;
            break;
        }
        if (t->n[i].last_use < t->n[pick].last_use)
            pick = i;
    }
    struct node *n = &t->n[pick];
    if (n->live)
        node_kill(n);   /* taken over: its handles go stale */
    size_t len = strnlen(path, NODE_PATH_MAX - 1);
    memcpy(n->path, path, len);
    n->path[len] = 0;
    n->live = true;
    n->is_dir = is_dir;
    n->file = *f;
    n->dir_next = 0;
    node_touch(t, n);
    return pick;   /* its gen was bumped when its last life ended */
}

void node_kill(struct node *n) {
    n->live = false;
    n->gen++;   /* wraps after 2^32 lives of one slot */
}

struct node *nodes_renamed(struct node_table *t, const char *from, const char *to) {
    struct node *moved = NULL;
    size_t flen = strlen(from), tlen = strlen(to);
    for (uint32_t i = 0; i < NODE_MAX; i++) {
        struct node *n = &t->n[i];
        if (!n->live || !path_within(n->path, from))
            continue;
        size_t rest = strlen(n->path) - flen;   /* "" or "/..." */
        if (tlen + rest + 1 > NODE_PATH_MAX) {
            node_kill(n);
            continue;
        }
        memmove(n->path + tlen, n->path + flen, rest + 1);
        memcpy(n->path, to, tlen);
        if (rest == 0)
            moved = n;
    }
    return moved;
}

void nodes_dirs_changed(struct node_table *t) {
    for (uint32_t i = 0; i < NODE_MAX; i++)
        if (t->n[i].live && t->n[i].is_dir)
            t->n[i].dir_next = UINT32_MAX;
}
