/*
 * Physical page allocator. A bitmap is small (32 KiB per GiB), can hand out
 * physically contiguous runs for DMA, and is simple enough to test on the host.
 * A rotating hint keeps single-page allocation close to O(1) in practice.
 */
#include "pmm.h"

static uint64_t *bitmap;
static uint64_t total_pages;
static uint64_t free_count;
static uint64_t hint;   /* where the next search starts */

static inline bool frame_used(uint64_t pfn) { return bitmap[pfn / 64] & (1ull << (pfn % 64)); }
static inline void frame_set(uint64_t pfn) { bitmap[pfn / 64] |= 1ull << (pfn % 64); }
static inline void frame_clear(uint64_t pfn) { bitmap[pfn / 64] &= ~(1ull << (pfn % 64)); }

size_t pmm_bitmap_bytes(uint64_t npages) { return (size_t)((npages + 63) / 64 * 8); }

void pmm_init(uint64_t *bits, uint64_t npages) {
    bitmap = bits;
    total_pages = npages;
    free_count = 0;
    hint = 1;
    for (uint64_t i = 0; i < (npages + 63) / 64; i++)
        bitmap[i] = ~0ull;
}

void pmm_add_free_range(uint64_t paddr, uint64_t size) {
    uint64_t first = (paddr + PMM_PAGE - 1) / PMM_PAGE;
    uint64_t end = (paddr + size) / PMM_PAGE;
    if (first == 0)
        first = 1;   /* frame 0 means "no memory" */
    for (uint64_t pfn = first; pfn < end && pfn < total_pages; pfn++) {
        if (frame_used(pfn)) {
            frame_clear(pfn);
            free_count++;
        }
    }
}

void pmm_reserve_range(uint64_t paddr, uint64_t size) {
    uint64_t first = paddr / PMM_PAGE;
    uint64_t end = (paddr + size + PMM_PAGE - 1) / PMM_PAGE;
    for (uint64_t pfn = first; pfn < end && pfn < total_pages; pfn++) {
        if (!frame_used(pfn)) {
            frame_set(pfn);
            free_count--;
        }
    }
}

/* First free run of `count` frames aligned to `align`, searching [from, to). */
static uint64_t find_run(uint64_t from, uint64_t to, uint64_t count, uint64_t align) {
    uint64_t pfn = (from + align - 1) & ~(align - 1);
    while (pfn + count <= to) {
        /* Skip whole words of used frames quickly. */
        if (pfn % 64 == 0 && bitmap[pfn / 64] == ~0ull) {
            pfn += 64;
            pfn = (pfn + align - 1) & ~(align - 1);
            continue;
        }
        uint64_t n = 0;
        while (n < count && !frame_used(pfn + n))
            n++;
        if (n == count)
            return pfn;
        pfn = (pfn + n + 1 + align - 1) & ~(align - 1);
    }
    return 0;
}

uint64_t pmm_alloc(uint64_t count, uint64_t align) {
    if (count == 0 || count > free_count || align == 0 || (align & (align - 1)))
        return 0;
    uint64_t pfn = find_run(hint, total_pages, count, align);
    if (!pfn)
        pfn = find_run(1, total_pages, count, align);
    if (!pfn)
        return 0;
    for (uint64_t i = 0; i < count; i++)
        frame_set(pfn + i);
    free_count -= count;
    hint = pfn + count;
    return pfn * PMM_PAGE;
}

bool pmm_free(uint64_t paddr, uint64_t count) {
    uint64_t pfn = paddr / PMM_PAGE;
    if (paddr % PMM_PAGE || pfn == 0 || pfn + count > total_pages)
        return false;
    for (uint64_t i = 0; i < count; i++)
        if (!frame_used(pfn + i))
            return false;
    for (uint64_t i = 0; i < count; i++)
        frame_clear(pfn + i);
    free_count += count;
    if (pfn < hint)
        hint = pfn;
    return true;
}

uint64_t pmm_free_pages(void) { return free_count; }
uint64_t pmm_total_pages(void) { return total_pages; }
