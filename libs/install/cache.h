/*
 * The installer's view of the disk (libs/install internal): a few
 * write-combining runs and a read-ahead window over install_device.
 *
 * libs/fat writes one sector at a time, interleaving file data with FAT
 * updates; over a block driver each of those would be a message and a
 * device request. Here contiguous writes collect in one of CACHE_RUNS
 * buffers (rewrites of a sector already in a run replace it) and go out as
 * one request when the run is full or evicted; reads fill a read-ahead
 * window. cache_flush writes everything and flushes the device;
 * cache_forget also drops the read-ahead so that later reads come from the
 * disk (verification reads what the disk holds, not what we remember).
 */
#ifndef INSTALL_CACHE_H
#define INSTALL_CACHE_H

#include <install/install.h>

#define CACHE_RUNS 4
#define CACHE_RUN_SECTORS 128          /* 64 KiB */
#define CACHE_RA_SECTORS 256           /* 128 KiB */

struct cache_run {
    uint64_t start;
    uint32_t count;                    /* 0: unused */
    uint32_t used;                     /* last use, for eviction */
    uint8_t data[CACHE_RUN_SECTORS * 512];
};

struct cache {
    const struct install_device *dev;
    struct cache_run runs[CACHE_RUNS];
    uint32_t clock;
    uint64_t ra_start;
    uint32_t ra_count;                 /* 0: empty */
    uint8_t ra[CACHE_RA_SECTORS * 512];
    /* The first device failure: what, where (for the error message). */
    const char *fail_op;               /* "read", "write", "flush" or NULL */
    uint64_t fail_sector;
    uint32_t fail_count;
};

void cache_init(struct cache *c, const struct install_device *dev);
int cache_read(void *ctx, uint64_t sector, uint32_t count, void *buf);
int cache_write(void *ctx, uint64_t sector, uint32_t count, const void *buf);
int cache_flush(void *ctx);
/* cache_flush, then drop the read-ahead window. */
int cache_forget(struct cache *c);

#endif
