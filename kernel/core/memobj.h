/* Memory objects: page sets that can be mapped, shared and passed by handle. */
#ifndef KERNEL_MEMOBJ_H
#define KERNEL_MEMOBJ_H

#include <stdint.h>
#include "kobj.h"

#define MEMOBJ_MAX_SIZE (1ull << 30)

struct memobj {
    struct kobj obj;
    uint64_t size;         /* bytes, a multiple of the page size */
    uint64_t npages;
    uint64_t *pages;       /* physical address of each page (owned pages) */
    uint64_t base;         /* physical base when contiguous or fixed */
    uint32_t flags;
};

#define MEMOBJ_F_CONTIG 1u   /* pages are base .. base + size */
#define MEMOBJ_F_FIXED 2u    /* memory not owned by the object (boot archive) */
#define MEMOBJ_F_LAZY 4u     /* pages allocated on first map */
#define MEMOBJ_F_DEVICE 8u   /* device memory: mapped uncached... */
#define MEMOBJ_F_WC 16u      /* ...or write-combining */
#define MEMOBJ_RESERVE_PAGES 256   /* never hand the last 1 MiB to user memory */

/* Zeroed memory; NULL with *err set on failure. */
struct memobj *memobj_create(uint64_t size, uint32_t flags, int *err);
/* An object over existing physical memory that it will not free. */
struct memobj *memobj_create_fixed(uint64_t paddr, uint64_t size);
/* Device memory (MMIO, a frame buffer) at paddr; flags MEM_DEVICE_*. The
 * caller has checked that it is not RAM. */
struct memobj *memobj_create_device(uint64_t paddr, uint64_t size, uint32_t flags);
/* Physical address of a page; allocates it for lazy objects (0: out of memory). */
uint64_t memobj_page(struct memobj *m, uint64_t index);
void memobj_destroy(struct memobj *m);

#endif
