/*
 * Write-combining runs and read-ahead over the installer's disk (cache.h).
 */
#include "cache.h"
#include <common/string.h>

void cache_init(struct cache *c, const struct install_device *dev)
{
    c->dev = dev;
    c->clock = 0;
    c->ra_count = 0;
    c->fail_op = NULL;
    for (int i = 0; i < CACHE_RUNS; i++)
        c->runs[i].count = 0;
}

static void note_failure(struct cache *c, const char *op, uint64_t sector, uint32_t count)
{
    if (!c->fail_op) {
        c->fail_op = op;
        c->fail_sector = sector;
        c->fail_count = count;
    }
}

static int dev_write(struct cache *c, uint64_t sector, uint32_t count, const void *buf)
{
    if (sector + count > c->dev->sector_count || c->dev->write(c->dev->ctx, sector, count, buf)) {
        note_failure(c, "write", sector, count);
        return -1;
    }
    return 0;
}

static int dev_read(struct cache *c, uint64_t sector, uint32_t count, void *buf)
{
    if (sector + count > c->dev->sector_count || c->dev->read(c->dev->ctx, sector, count, buf)) {
        note_failure(c, "read", sector, count);
        return -1;
    }
    return 0;
}

static int overlaps(uint64_t a, uint32_t an, uint64_t b, uint32_t bn)
{
    return a < b + bn && b < a + an;
}

static int run_flush(struct cache *c, struct cache_run *r)
{
    if (!r->count)
        return 0;
    uint32_t n = r->count;
    r->count = 0;
    return dev_write(c, r->start, n, r->data);
}

/* Writes out the runs that overlap [sector, sector + count). */
static int flush_overlapping(struct cache *c, uint64_t sector, uint32_t count)
{
    int err = 0;
    for (int i = 0; i < CACHE_RUNS; i++) {
        struct cache_run *r = &c->runs[i];
        if (r->count && overlaps(r->start, r->count, sector, count) && run_flush(c, r))
            err = -1;
    }
    return err;
}

int cache_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    struct cache *c = ctx;
    if (c->ra_count && overlaps(c->ra_start, c->ra_count, sector, count))
        c->ra_count = 0;
    if (count > CACHE_RUN_SECTORS) {
        if (flush_overlapping(c, sector, count))
            return -1;
        return dev_write(c, sector, count, buf);
    }
    c->clock++;
    /* Inside a run: replace. Right after one with room: append. */
    for (int i = 0; i < CACHE_RUNS; i++) {
        struct cache_run *r = &c->runs[i];
        if (!r->count)
            continue;
        if (sector >= r->start && sector + count <= r->start + r->count) {
            memcpy(r->data + (sector - r->start) * 512, buf, (size_t)count * 512);
            r->used = c->clock;
            return 0;
        }
        if (sector == r->start + r->count && r->count + count <= CACHE_RUN_SECTORS &&
            !flush_overlapping(c, sector, count)) {
            memcpy(r->data + (size_t)r->count * 512, buf, (size_t)count * 512);
            r->count += count;
            r->used = c->clock;
            return 0;
        }
    }
    /* A new run: older data for these sectors goes out first. */
    if (flush_overlapping(c, sector, count))
        return -1;
    struct cache_run *victim = &c->runs[0];
    for (int i = 0; i < CACHE_RUNS; i++) {
        struct cache_run *r = &c->runs[i];
        if (!r->count) {
            victim = r;
            break;
        }
        if (r->used < victim->used)
            victim = r;
    }
    if (run_flush(c, victim))
        return -1;
    victim->start = sector;
    victim->count = count;
    victim->used = c->clock;
    memcpy(victim->data, buf, (size_t)count * 512);
    return 0;
}

int cache_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    struct cache *c = ctx;
    for (int i = 0; i < CACHE_RUNS; i++) {
        struct cache_run *r = &c->runs[i];
        if (r->count && sector >= r->start && sector + count <= r->start + r->count) {
            memcpy(buf, r->data + (sector - r->start) * 512, (size_t)count * 512);
            return 0;
        }
    }
    if (flush_overlapping(c, sector, count))
        return -1;
    if (c->ra_count && sector >= c->ra_start && sector + count <= c->ra_start + c->ra_count) {
        memcpy(buf, c->ra + (sector - c->ra_start) * 512, (size_t)count * 512);
        return 0;
    }
    if (count >= CACHE_RA_SECTORS)
        return dev_read(c, sector, count, buf);
    /* Fill the window from here; pending writes inside it go out first so
     * that it never holds stale sectors. */
    uint64_t n = CACHE_RA_SECTORS;
    if (sector + n > c->dev->sector_count)
        n = sector < c->dev->sector_count ? c->dev->sector_count - sector : 0;
    if (n < count)
        return dev_read(c, sector, count, buf);
    c->ra_count = 0;
    if (flush_overlapping(c, sector, (uint32_t)n) || dev_read(c, sector, (uint32_t)n, c->ra))
        return -1;
    c->ra_start = sector;
    c->ra_count = (uint32_t)n;
    memcpy(buf, c->ra, (size_t)count * 512);
    return 0;
}

int cache_flush(void *ctx)
{
    struct cache *c = ctx;
    int err = 0;
    /* In address order: the device sees one sweep. */
    for (;;) {
        struct cache_run *next = NULL;
        for (int i = 0; i < CACHE_RUNS; i++)
            if (c->runs[i].count && (!next || c->runs[i].start < next->start))
                next = &c->runs[i];
        if (!next)
            break;
        if (run_flush(c, next))
            err = -1;
    }
    if (err)
        return -1;
    if (c->dev->flush && c->dev->flush(c->dev->ctx)) {
        note_failure(c, "flush", 0, 0);
        return -1;
    }
    return 0;
}

int cache_forget(struct cache *c)
{
    c->ra_count = 0;
    return cache_flush(c);
}
