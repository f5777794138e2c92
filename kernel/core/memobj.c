/* Memory objects. Pages are allocated and zeroed up front, or, for MEM_LAZY
 * objects, the first time a page is mapped (the pager maps pages as tasks
 * touch them). */
#include "memobj.h"
#include "kernel.h"
#include "kmalloc.h"
#include "pmm.h"
#include "../arch/x64/cpu.h"

static size_t array_pages(uint64_t npages) { return ALIGN_UP(npages * 8, 4096) / 4096; }

struct memobj *memobj_create(uint64_t size, uint32_t flags, int *err) {
    if (size == 0 || size > MEMOBJ_MAX_SIZE || (flags & ~(MEM_CONTIGUOUS | MEM_LAZY)) ||
        ((flags & MEM_CONTIGUOUS) && (flags & MEM_LAZY))) {
        *err = -E_INVAL;
        return NULL;
    }
    size = ALIGN_UP(size, 4096);
    uint64_t npages = size / 4096;
    /* Keep a reserve so that a greedy task cannot starve the kernel itself. */
    uint64_t need = (flags & MEM_LAZY) ? array_pages(npages) : npages;
    if (need + MEMOBJ_RESERVE_PAGES > pmm_free_pages()) {
        *err = -E_NOMEM;
        return NULL;
    }
    struct memobj *m = kmalloc(sizeof(*m));
    if (!m) {
        *err = -E_NOMEM;
        return NULL;
    }
    kobj_init(&m->obj, KOBJ_MEMORY);
    m->size = size;
    m->npages = npages;
    if (flags & MEM_CONTIGUOUS) {
        m->flags = MEMOBJ_F_CONTIG;
        m->base = pmm_alloc(npages, 1);
        if (!m->base)
            goto nomem;
        memset(phys_to_virt(m->base), 0, size);
        return m;
    }
    m->pages = kpage_alloc(array_pages(npages));
    if (!m->pages)
        goto nomem;
    if (flags & MEM_LAZY) {
        m->flags = MEMOBJ_F_LAZY;
        return m;
    }
    for (uint64_t i = 0; i < npages; i++) {
        void *p = kpage_alloc(1);
        if (!p) {
            m->npages = i;   /* free what we got */
            memobj_destroy(m);
            *err = -E_NOMEM;
            return NULL;
        }
        m->pages[i] = virt_to_phys(p);
    }
    return m;
nomem:
    kfree(m);
    *err = -E_NOMEM;
    return NULL;
}

struct memobj *memobj_create_fixed(uint64_t paddr, uint64_t size) {
    struct memobj *m = kmalloc(sizeof(*m));
    if (!m)
        return NULL;
    kobj_init(&m->obj, KOBJ_MEMORY);
    m->size = ALIGN_UP(size + (paddr & 4095), 4096);
    m->npages = m->size / 4096;
    m->base = ALIGN_DOWN(paddr, 4096);
    m->flags = MEMOBJ_F_CONTIG | MEMOBJ_F_FIXED;
    return m;
}

struct memobj *memobj_create_device(uint64_t paddr, uint64_t size, uint32_t flags) {
    struct memobj *m = memobj_create_fixed(paddr, size);
    if (m)
        m->flags |= MEMOBJ_F_DEVICE | ((flags & MEM_DEVICE_WC) ? MEMOBJ_F_WC : 0);
    return m;
}

uint64_t memobj_page(struct memobj *m, uint64_t index) {
    if (m->flags & MEMOBJ_F_CONTIG)
        return m->base + index * 4096;
    if (!m->pages[index]) {   /* a lazy object's first use of this page */
        if (pmm_free_pages() < MEMOBJ_RESERVE_PAGES)
            return 0;
        void *p = kpage_alloc(1);
        if (!p)
            return 0;
        m->pages[index] = virt_to_phys(p);
    }
    return m->pages[index];
}

void memobj_destroy(struct memobj *m) {
    if (m->flags & MEMOBJ_F_FIXED) {
        /* not ours to free */
    } else if (m->flags & MEMOBJ_F_CONTIG) {
        pmm_free(m->base, m->npages);
    } else if (m->pages) {
        for (uint64_t i = 0; i < m->npages; i++)
            if (m->pages[i])
                pmm_free(m->pages[i], 1);
        kpage_free(m->pages, array_pages(m->size / 4096));
    }
    kfree(m);
}
