/*
 * Indexing a ustar archive into a tree of nodes, and the lookups the server
 * makes in it. The archive is untrusted: tar_next checks every header, and
 * every path is checked here before it becomes nodes.
 *
 * Nodes are found by (parent, name) through a hash table while building and
 * resolving. After the build every directory's children are laid out in one
 * sorted run of ix->children, so readdir(i) is a single array access.
 */
#include <common/string.h>
#include <common/tar.h>
#include <tessera/abi.h>
#include "index.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)
#define DIR_MODE 0755u   /* for directories the archive does not list */

/*
 * The next component of a "/" separated path at *p, skipping empty ones;
 * returns its start and length, and moves *p past it; NULL at the end.
 */
static const char *next_component(const char **p, size_t *n) {
    const char *s = *p;
    while (*s == '/')
        s++;
    if (!*s)
        return NULL;
    const char *e = s;
    while (*e && *e != '/')
        e++;
    *p = e;
    *n = (size_t)(e - s);
    return s;
}

static bool is_dot(const char *s, size_t n) {
    return n == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t n) {
    return n == 2 && s[0] == '.' && s[1] == '.';
}

/* FNV-1a over the parent's number and the name. */
static uint32_t hash_name(uint32_t dir, const char *name, size_t n) {
    uint32_t h = 2166136261u;
    for (int i = 0; i < 4; i++) {
        h ^= (dir >> (8 * i)) & 0xff;
        h *= 16777619u;
    }
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)name[i];
        h *= 16777619u;
    }
    return h;
}

/* Buckets for a table of `nodes` nodes: the next power of two. */
static uint32_t buckets_for(uint32_t nodes) {
    uint32_t b = 1;
    while (b < nodes)
        b <<= 1;
    return b;
}

/* ---- measuring ---- */

void fs_index_measure(const void *archive, size_t size, struct fs_index_limits *lim) {
    uint64_t nodes = 1;       /* the root */
    uint64_t name_bytes = 1;  /* the root's "" */
    struct tar t;
    struct tar_entry e;

    /* Each component of each path may become a node with its name. */
    tar_open(&t, archive, size);
    while (tar_next(&t, &e) == TAR_OK) {
        const char *p = e.name, *s;
        size_t n;
        while ((s = next_component(&p, &n)) != NULL) {
            nodes++;
            name_bytes += n + 1;
        }
    }
    if (nodes > FS_MAX_NODES)
        nodes = FS_MAX_NODES;
    if (name_bytes > nodes * (FS_NAME_MAX + 1))
        name_bytes = nodes * (FS_NAME_MAX + 1);

    lim->nodes = (uint32_t)nodes;
    lim->name_bytes = (size_t)name_bytes;
    lim->bytes = ALIGN8(lim->nodes * sizeof(struct fs_node)) +
                 ALIGN8(buckets_for(lim->nodes) * sizeof(uint32_t)) +
                 ALIGN8(lim->nodes * sizeof(uint32_t)) + ALIGN8(lim->name_bytes);
}

/* ---- building ---- */

/* A new node named by n bytes at name under dir, or FS_NO_NODE when full. */
static uint32_t new_node(struct fs_index *ix, uint32_t dir, const char *name, size_t n) {
    if (ix->count == ix->cap || ix->names_cap - ix->names_len < n + 1) {
        ix->full = true;
        return FS_NO_NODE;
    }
    uint32_t i = ix->count++;
    struct fs_node *node = &ix->nodes[i];
    char *copy = ix->names + ix->names_len;
    memcpy(copy, name, n);
    copy[n] = 0;
    ix->names_len += n + 1;

    memset(node, 0, sizeof(*node));
    node->name = copy;
    node->parent = dir;
    uint32_t b = hash_name(dir, name, n) & (ix->nbuckets - 1);
    node->hash_next = ix->buckets[b];
    ix->buckets[b] = i;
    return i;
}

/* Why an archive path cannot be served, or NULL if it is fine. */
static const char *bad_path(const char *path) {
    const char *p = path, *s;
    size_t n;
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return "control character in the path";
    while ((s = next_component(&p, &n)) != NULL) {
        if (is_dotdot(s, n))
            return "\"..\" in the path";
        if (n > FS_NAME_MAX)
            return "name too long";
    }
    return NULL;
}

/*
 * Puts a file or directory (described by `like`) at path, making missing
 * parent directories. Returns why it could not, or NULL.
 */
static const char *insert(struct fs_index *ix, const char *path, const struct fs_node *like) {
    const char *p = path, *s, *next;
    size_t n, next_n;
    uint32_t cur = FS_ROOT;

    do {
        s = next_component(&p, &n);
    } while (s && is_dot(s, n));
    if (!s) {   /* the archive's "./" entry describes the root */
        if (like->kind != FS_KIND_DIR)
            return "the root is a directory";
        ix->nodes[FS_ROOT].mode = like->mode;
        ix->nodes[FS_ROOT].mtime = like->mtime;
        return NULL;
    }
    for (;;) {
        do {
            next = next_component(&p, &next_n);
        } while (next && is_dot(next, next_n));
        uint32_t c = fs_lookup(ix, cur, s, n);
        if (!next)
            break;
        if (c == FS_NO_NODE) {
            c = new_node(ix, cur, s, n);
            if (c == FS_NO_NODE)
                return "index full";
            ix->nodes[c].kind = FS_KIND_DIR;
            ix->nodes[c].mode = DIR_MODE;
            ix->nodes[c].mtime = like->mtime;
        } else if (ix->nodes[c].kind != FS_KIND_DIR) {
            return "a parent is a file";
        }
        cur = c;
        s = next;
        n = next_n;
    }

    uint32_t c = fs_lookup(ix, cur, s, n);
    if (c == FS_NO_NODE) {
        c = new_node(ix, cur, s, n);
        if (c == FS_NO_NODE)
            return "index full";
        ix->nodes[c].kind = like->kind;
    } else if (ix->nodes[c].kind != like->kind) {
        return "both a file and a directory";
    }
    /* A path listed twice: the later entry wins, as when tar extracts. */
    struct fs_node *node = &ix->nodes[c];
    node->mode = like->mode;
    node->mtime = like->mtime;
    node->size = like->size;
    node->data = like->data;
    return NULL;
}

static void add_entry(struct fs_index *ix, const struct tar_entry *e, fs_warn_fn warn, void *ctx) {
    struct fs_node like;
    const char *why = NULL;
    uint32_t target;

    memset(&like, 0, sizeof(like));
    like.mode = e->mode;
    like.mtime = e->mtime;
    switch (e->type) {
    case TAR_FILE:
        like.kind = FS_KIND_FILE;
        like.size = e->size;
        like.data = e->data;
        break;
    case TAR_DIR:
        like.kind = FS_KIND_DIR;
        break;
    case TAR_HARDLINK:
        /* Names an earlier file; both share its data. */
        if (fs_resolve(ix, FS_ROOT, e->link, &target) < 0 ||
            ix->nodes[target].kind != FS_KIND_FILE) {
            why = "hard link to no earlier file";
            break;
        }
        like.kind = FS_KIND_FILE;
        like.size = ix->nodes[target].size;
        like.data = ix->nodes[target].data;
        break;
    case TAR_SYMLINK:
        why = "symbolic links are not supported";
        break;
    default:
        why = "not a file or directory";
        break;
    }
    if (!why)
        why = bad_path(e->name);
    if (!why)
        why = insert(ix, e->name, &like);
    if (why) {
        ix->skipped++;
        if (warn)
            warn(ctx, e->name, why);
    } else {
        ix->entries++;
    }
}

static bool name_before(const struct fs_index *ix, uint32_t a, uint32_t b) {
    return strcmp(ix->nodes[a].name, ix->nodes[b].name) < 0;
}

static void sift_down(const struct fs_index *ix, uint32_t *v, size_t i, size_t n) {
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && name_before(ix, v[c], v[c + 1]))
            c++;
        if (!name_before(ix, v[i], v[c]))
            return;
        uint32_t t = v[i];
        v[i] = v[c];
        v[c] = t;
        i = c;
    }
}

/* Heap sort: no extra memory, and no quadratic case for a hostile archive. */
static void sort_by_name(const struct fs_index *ix, uint32_t *v, size_t n) {
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(ix, v, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        uint32_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(ix, v, 0, end);
    }
}

/* Lays out each directory's children as one sorted run of ix->children. */
static void lay_out_children(struct fs_index *ix) {
    struct fs_node *nodes = ix->nodes;
    uint32_t next = 0;

    for (uint32_t i = 0; i < ix->count; i++)
        nodes[i].nchildren = 0;
    for (uint32_t i = 1; i < ix->count; i++)
        nodes[nodes[i].parent].nchildren++;
    for (uint32_t i = 0; i < ix->count; i++) {
        nodes[i].first_child = next;
        next += nodes[i].nchildren;
        nodes[i].nchildren = 0;
    }
    for (uint32_t i = 1; i < ix->count; i++) {
        struct fs_node *dir = &nodes[nodes[i].parent];
        ix->children[dir->first_child + dir->nchildren++] = i;
    }
    for (uint32_t i = 0; i < ix->count; i++)
        sort_by_name(ix, ix->children + nodes[i].first_child, nodes[i].nchildren);
}

void fs_index_build(struct fs_index *ix, const void *archive, size_t size,
                    const struct fs_index_limits *lim, void *storage, fs_warn_fn warn, void *ctx) {
    uint8_t *p = storage;
    struct tar t;
    struct tar_entry e;
    int r;

    memset(ix, 0, sizeof(*ix));
    ix->cap = lim->nodes;
    ix->nbuckets = buckets_for(lim->nodes);
    ix->nodes = (struct fs_node *)p;
    p += ALIGN8(ix->cap * sizeof(struct fs_node));
    ix->buckets = (uint32_t *)p;
    p += ALIGN8(ix->nbuckets * sizeof(uint32_t));
    ix->children = (uint32_t *)p;
    p += ALIGN8(ix->cap * sizeof(uint32_t));
    ix->names = (char *)p;
    ix->names_cap = lim->name_bytes;
    for (uint32_t i = 0; i < ix->nbuckets; i++)
        ix->buckets[i] = FS_NO_NODE;

    /* The root: node 0, its own parent, never in the hash table. */
    ix->names[0] = 0;
    ix->names_len = 1;
    memset(&ix->nodes[FS_ROOT], 0, sizeof(struct fs_node));
    ix->nodes[FS_ROOT].name = ix->names;
    ix->nodes[FS_ROOT].kind = FS_KIND_DIR;
    ix->nodes[FS_ROOT].mode = DIR_MODE;
    ix->nodes[FS_ROOT].hash_next = FS_NO_NODE;
    ix->count = 1;

    tar_open(&t, archive, size);
    while ((r = tar_next(&t, &e)) == TAR_OK) {
        add_entry(ix, &e, warn, ctx);
        if (ix->full)
            break;
    }
    ix->tar_err = r;
    /* The two zero blocks that end a ustar archive belong to it. */
    ix->archive_bytes = t.off + 1024 < size ? t.off + 1024 : size;
    lay_out_children(ix);
}

/* ---- lookups ---- */

uint32_t fs_lookup(const struct fs_index *ix, uint32_t dir, const char *name, size_t n) {
    if (n == 0)
        return FS_NO_NODE;
    uint32_t i = ix->buckets[hash_name(dir, name, n) & (ix->nbuckets - 1)];
    for (; i != FS_NO_NODE; i = ix->nodes[i].hash_next) {
        const struct fs_node *node = &ix->nodes[i];
        /* strncmp stops at the node name's NUL, so name[n] is safe to test after it. */
        if (node->parent == dir && strncmp(node->name, name, n) == 0 && node->name[n] == 0)
            return i;
    }
    return FS_NO_NODE;
}

int fs_resolve(const struct fs_index *ix, uint32_t start, const char *path, uint32_t *out) {
    const char *p = path, *s;
    size_t n;
    uint32_t cur = start;

    if (start >= ix->count)
        return -E_NOENT;
    while ((s = next_component(&p, &n)) != NULL) {
        if (n > FS_NAME_MAX)
            return -E_NAMETOOLONG;
        if (ix->nodes[cur].kind != FS_KIND_DIR)
            return -E_NOTDIR;
        if (is_dot(s, n))
            continue;
        if (is_dotdot(s, n)) {
            /* Everything below start is inside it, so going up meets start
             * before anything above it: a handle reaches nothing above. */
            if (cur != start)
                cur = ix->nodes[cur].parent;
            continue;
        }
        uint32_t c = fs_lookup(ix, cur, s, n);
        if (c == FS_NO_NODE)
            return -E_NOENT;
        cur = c;
    }
    /* "file/" names a directory that is not one. */
    size_t len = strlen(path);
    if (len > 0 && path[len - 1] == '/' && ix->nodes[cur].kind != FS_KIND_DIR)
        return -E_NOTDIR;
    *out = cur;
    return 0;
}

uint32_t fs_child(const struct fs_index *ix, uint32_t dir, uint32_t index) {
    if (dir >= ix->count)
        return FS_NO_NODE;
    const struct fs_node *d = &ix->nodes[dir];
    if (d->kind != FS_KIND_DIR || index >= d->nchildren)
        return FS_NO_NODE;
    return ix->children[d->first_child + index];
}

uint64_t fs_node_size(const struct fs_node *n) {
    return n->kind == FS_KIND_DIR ? n->nchildren : n->size;
}

size_t fs_read_clip(const struct fs_node *n, uint64_t offset, uint64_t len, size_t max,
                    const uint8_t **data) {
    *data = NULL;
    if (n->kind != FS_KIND_FILE || offset >= n->size)
        return 0;
    uint64_t left = n->size - offset;
    if (len > left)
        len = left;
    if (len > max)
        len = max;
    *data = n->data + offset;
    return (size_t)len;
}
