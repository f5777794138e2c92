/*
 * The index of a ustar archive: each file and directory is a node, numbered
 * from 0 (the root). Built once; afterwards it is only read. No system calls
 * here, so the host tests run the same code (tests/host/test_bootfs.c).
 *
 * Use:
 *     struct fs_index_limits lim;
 *     fs_index_measure(archive, size, &lim);
 *     void *storage = <lim.bytes bytes, 8-byte aligned>;
 *     fs_index_build(&ix, archive, size, &lim, storage, warn, ctx);
 */
#ifndef BOOTFS_INDEX_H
#define BOOTFS_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/fs.h>

#define FS_ROOT 0u
#define FS_NO_NODE 0xffffffffu
#define FS_MAX_NODES (1u << 22)   /* far beyond any boot archive; keeps counts in 32 bits */

struct fs_node {
    const char *name;       /* NUL-terminated, in the index's name pool; "" for the root */
    uint32_t parent;        /* the root is its own parent */
    uint32_t kind;          /* FS_KIND_FILE or FS_KIND_DIR */
    uint32_t mode;          /* permission bits */
    uint32_t first_child;   /* directories: children are children[first_child ..] */
    uint32_t nchildren;     /*   ... nchildren of them, sorted by name */
    uint32_t hash_next;     /* next node in the same hash bucket */
    uint64_t mtime;
    uint64_t size;          /* files: bytes of data */
    const uint8_t *data;    /* files: the data, inside the archive */
};

/* What an archive's index needs, from fs_index_measure. */
struct fs_index_limits {
    uint32_t nodes;         /* at most this many nodes */
    size_t name_bytes;      /* at most this many bytes of names, NULs included */
    size_t bytes;           /* storage for fs_index_build */
};

struct fs_index {
    struct fs_node *nodes;
    uint32_t count, cap;
    uint32_t *buckets;      /* hash of (parent, name) -> first node, FS_NO_NODE if none */
    uint32_t nbuckets;      /* a power of two */
    uint32_t *children;     /* the children of every directory, each run sorted */
    char *names;
    size_t names_len, names_cap;
    /* how the build went */
    uint32_t entries;       /* archive entries taken into the index */
    uint32_t skipped;       /* entries left out (each reported to warn) */
    int tar_err;            /* TAR_END if the archive was read to its end, else the error */
    size_t archive_bytes;   /* the archive's length up to its end-of-archive blocks */
    bool full;              /* ran out of room (storage smaller than measured) */
};

/* Called for each entry left out of the index: its path and why. */
typedef void (*fs_warn_fn)(void *ctx, const char *path, const char *why);

/* Counts what the index of the archive needs: one quick pass over the headers. */
void fs_index_measure(const void *archive, size_t size, struct fs_index_limits *lim);

/*
 * Indexes the archive into storage (lim->bytes bytes, 8-byte aligned, from
 * fs_index_measure of the same archive). Files and directories are taken;
 * missing parent directories are made up; hard links become files sharing
 * their target's data; anything else, and paths with "..", control characters
 * or names longer than FS_NAME_MAX, is left out and reported to warn (may be
 * NULL). A corrupt archive stops the build: what came before stays indexed
 * and ix->tar_err tells why. Never reads outside the archive.
 */
void fs_index_build(struct fs_index *ix, const void *archive, size_t size,
                    const struct fs_index_limits *lim, void *storage, fs_warn_fn warn, void *ctx);

/*
 * Resolves path relative to node start: "/" separated, empty components and
 * "." are ignored, ".." goes up but never above start. Sets *out and returns
 * 0, or -E_NOENT, -E_NOTDIR (a component after a file, or a trailing "/" on
 * a file), -E_NAMETOOLONG (a component longer than FS_NAME_MAX).
 */
int fs_resolve(const struct fs_index *ix, uint32_t start, const char *path, uint32_t *out);

/* The child of dir named by the n bytes at name, or FS_NO_NODE. */
uint32_t fs_lookup(const struct fs_index *ix, uint32_t dir, const char *name, size_t n);

/* The index-th entry of directory dir (in name order), or FS_NO_NODE. */
uint32_t fs_child(const struct fs_index *ix, uint32_t dir, uint32_t index);

/* fs.stat's size: bytes of a file, entries of a directory. */
uint64_t fs_node_size(const struct fs_node *n);

/*
 * Clips a read of len bytes at offset to the file and to max bytes: returns
 * how many bytes to send and points *data at them (0 at or past the end).
 */
size_t fs_read_clip(const struct fs_node *n, uint64_t offset, uint64_t len, size_t max,
                    const uint8_t **data);

#endif
