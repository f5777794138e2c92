/*
 * The fatfs server's pure parts (host-tested in tests/host/test_fatfs_nodes.c):
 * path handling and the table of open nodes.
 *
 * A handle we mint is badged FILE_BADGE | generation << 16 | slot. The slot
 * holds the libs/fat file (its identity is where its directory entry lives)
 * and the path it was opened by. Clients close handles without telling us,
 * so slots are never freed by a close: opening the same entry again reuses
 * its slot, and when the table is full the least recently used slot is
 * taken over (its generation bumped, so the old handles go stale). A deleted
 * entry's slot is killed the same way, so a handle to it never touches a
 * reused directory entry or cluster.
 */
#ifndef FATFS_NODES_H
#define FATFS_NODES_H

#include <stdbool.h>
#include <stdint.h>
#include <fat/fat.h>

#define NODE_MAX 256
#define NODE_PATH_MAX 512   /* a node's path from the volume root, with the NUL */

#define FILE_BADGE (1ull << 63)

struct node {
    uint32_t gen;            /* bumped whenever the slot stops naming its entry */
    bool live;
    bool is_dir;
    uint64_t last_use;       /* for choosing a slot to take over */
    uint32_t dir_next;       /* directories: the readdir index `file` is positioned at */
    char path[NODE_PATH_MAX];   /* "" for the root, else "a/b" (no leading '/') */
    struct fat_file file;
};

struct node_table {
    struct node n[NODE_MAX];
    uint64_t clock;
};

/*
 * Joins `rel` (open's path: '/'-separated, relative to `base`) onto the
 * canonical path `base`, writing a canonical path to out: no empty or "."
 * components, ".." steps back but never above base. -E_NAMETOOLONG if a
 * component is longer than FS_NAME_MAX or the result does not fit in cap.
 */
int path_join(const char *base, const char *rel, char *out, size_t cap);
/* The last component of a canonical path and the length of what precedes
 * it ("a/b" -> "b", 1; "b" -> "b", 0). */
const char *path_last(const char *path, size_t *parent_len);
/* path equals `top` or lies under it (ASCII case-insensitive, as FAT names). */
bool path_within(const char *path, const char *top);

void nodes_init(struct node_table *t);
/* The badge naming slot i as it is now. */
uint64_t node_badge(const struct node_table *t, uint32_t i);
/* The live node a file badge names, or NULL (stale or not ours). */
struct node *node_of_badge(struct node_table *t, uint64_t badge);
/* The live node whose directory entry is at (sector, offset); NULL if none.
 * The root (entry_sector 0) is never in the table. */
struct node *node_find(struct node_table *t, uint32_t entry_sector, uint32_t entry_offset);
/* A slot for a newly opened entry: a free one, else the least recently
 * used (whose handles go stale). Returns its index. */
uint32_t node_add(struct node_table *t, const char *path, bool is_dir, const struct fat_file *f);
void node_touch(struct node_table *t, struct node *n);
/* The entry is gone: handles to it go stale. */
void node_kill(struct node *n);
/* `from` was renamed to `to`: nodes at or under from get the new prefix.
 * Returns the node that was exactly at from (its entry moved: the caller
 * refreshes its file), or NULL. -E_NAMETOOLONG nodes whose path no longer
 * fits are killed. */
struct node *nodes_renamed(struct node_table *t, const char *from, const char *to);
/* Directory contents changed: every directory's readdir position restarts. */
void nodes_dirs_changed(struct node_table *t);

#endif
