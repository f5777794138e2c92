/*
 * Read-only parser for POSIX ustar archives in memory (the boot archive).
 *
 * Every header is checked (checksum, magic, numeric fields, data within the
 * archive) before it is returned; nothing outside [archive, archive + size)
 * is ever read. The archive ends at the first all-zero block (normally two of
 * them) or exactly at the end of the data.
 */
#ifndef COMMON_TAR_H
#define COMMON_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512
#define TAR_NAME_MAX 257   /* prefix (155) + '/' + name (100) + NUL */
#define TAR_LINK_MAX 101   /* linkname (100) + NUL */

enum {
    TAR_OK = 0,
    TAR_END = 1,               /* no more entries (tar_next only) */
    TAR_ERR_TRUNCATED = -1,    /* a header is cut off by the end of the data */
    TAR_ERR_CHECKSUM = -2,     /* header checksum does not match */
    TAR_ERR_MAGIC = -3,        /* not a ustar header */
    TAR_ERR_FIELD = -4,        /* a numeric field (mode, size, ...) is garbage */
    TAR_ERR_BOUNDS = -5,       /* the entry's data runs past the end */
    TAR_ERR_NOTFOUND = -6,     /* tar_find: no such path */
    TAR_ERR_ARG = -7,          /* NULL argument */
};

enum tar_type {
    TAR_FILE,       /* '0' or NUL (also '7', contiguous file) */
    TAR_HARDLINK,   /* '1': link names the target */
    TAR_SYMLINK,    /* '2': link names the target */
    TAR_DIR,        /* '5' */
    TAR_OTHER,      /* devices, FIFOs, pax/GNU extension headers, ... */
};

struct tar_entry {
    char name[TAR_NAME_MAX];   /* normalised path: no leading "/" or "./",
                                  no trailing "/"; the root is "" */
    char link[TAR_LINK_MAX];   /* link target (links only), else "" */
    enum tar_type type;
    char typeflag;             /* the raw header typeflag */
    uint32_t mode;             /* permission bits, e.g. 0755 */
    uint64_t mtime;            /* seconds since the epoch */
    uint64_t size;             /* bytes of data (0 for dirs and links) */
    const void *data;          /* size bytes inside the archive */
};

/* Iterator over an archive; initialise with tar_open. */
struct tar {
    const unsigned char *base;
    size_t size;
    size_t off;                /* offset of the next header */
    int err;                   /* sticky: TAR_END or an error once reached */
};

void tar_open(struct tar *t, const void *archive, size_t size);

/* Fills *e with the next entry: TAR_OK, TAR_END, or a TAR_ERR_*. */
int tar_next(struct tar *t, struct tar_entry *e);

/*
 * Finds path ("servers/init", "/servers/init" and "./servers/init" are the
 * same; a trailing "/" is ignored): TAR_OK with *e filled, TAR_ERR_NOTFOUND,
 * or the error that stopped the search.
 */
int tar_find(const void *archive, size_t size, const char *path,
             struct tar_entry *e);

const char *tar_strerror(int err);

#endif
