/* Physical page allocator: one bit per 4 KiB page frame, set = in use. */
#ifndef KERNEL_PMM_H
#define KERNEL_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PMM_PAGE 4096ull

/* Start with every frame below `npages` marked in use; the caller then frees
 * the usable ranges of the memory map. */
void pmm_init(uint64_t *bitmap, uint64_t npages);
void pmm_add_free_range(uint64_t paddr, uint64_t size);
void pmm_reserve_range(uint64_t paddr, uint64_t size);

/* `count` physically contiguous frames aligned to `align` frames (a power of
 * two); returns the physical address, or 0 when there is no such run (frame 0
 * is never handed out). */
uint64_t pmm_alloc(uint64_t count, uint64_t align);
/* Returns false (and changes nothing) if any of the frames was not in use. */
bool pmm_free(uint64_t paddr, uint64_t count);

uint64_t pmm_free_pages(void);
uint64_t pmm_total_pages(void);
size_t pmm_bitmap_bytes(uint64_t npages);

#endif
