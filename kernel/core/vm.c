/* Address spaces: which memory object backs each user page range. */
#include "vm.h"
#include "kernel.h"
#include "kmalloc.h"
#include "memobj.h"

int vm_space_init(struct vm_space *vm) {
    list_init(&vm->regions);
    vm->mapped_bytes = 0;
    return arch_as_init(&vm->as);
}

static void unmap_pages(struct vm_space *vm, uint64_t start, uint64_t end) {
    for (uint64_t va = start; va < end; va += 4096)
        arch_unmap_page(&vm->as, va);
    arch_tlb_shootdown(vm->as.pml4, false);
}

static void region_free(struct vm_space *vm, struct vm_region *r) {
    list_remove(&r->node);
    vm->mapped_bytes -= r->end - r->start;
    kobj_unref(&r->mem->obj);
    kfree(r);
}

void vm_space_destroy(struct vm_space *vm) {
    /* Page tables go with the address space; no need to clear entries one by one. */
    while (!list_empty(&vm->regions))
        region_free(vm, container_of(vm->regions.next, struct vm_region, node));
    arch_as_destroy(&vm->as);
}

static bool range_ok(uint64_t va, uint64_t size) {
    return size && !(va % 4096) && !(size % 4096) && va + size > va && va + size <= USER_SPACE_END && va;
}

int vm_map(struct vm_space *vm, struct memobj *mem, uint64_t offset, uint64_t va, uint64_t size,
           uint32_t prot) {
    if (!range_ok(va, size) || offset % 4096 || (prot & ~(PROT_R | PROT_W | PROT_X)))
        return -E_INVAL;
    if (offset > mem->size || size > mem->size - offset)
        return -E_RANGE;
    list_for_each(it, &vm->regions) {
        struct vm_region *r = container_of(it, struct vm_region, node);
        if (va < r->end && r->start < va + size)
            return -E_BUSY;   /* already mapped: unmap first */
    }
    uint32_t type = !(mem->flags & MEMOBJ_F_DEVICE) ? 0 : (mem->flags & MEMOBJ_F_WC) ? ARCH_MAP_WC : ARCH_MAP_UNCACHED;
    for (uint64_t i = 0; i < size; i += 4096) {
        uint64_t pa = memobj_page(mem, (offset + i) / 4096);
        if (!pa || arch_map_page(&vm->as, va + i, pa, prot | type) < 0) {
            unmap_pages(vm, va, va + i);
            return -E_NOMEM;
        }
    }
    vm->mapped_bytes += size;
    /* Pages a pager maps one by one as a task touches them extend one region. */
    list_for_each(it, &vm->regions) {
        struct vm_region *r = container_of(it, struct vm_region, node);
        if (r->mem == mem && r->prot == prot && r->end == va && r->offset + (r->end - r->start) == offset) {
            r->end += size;
            return 0;
        }
        if (r->mem == mem && r->prot == prot && r->start == va + size && offset + size == r->offset) {
            r->start = va;
            r->offset = offset;
            return 0;
        }
    }
    struct vm_region *r = kmalloc(sizeof(*r));
    if (!r) {
        unmap_pages(vm, va, va + size);
        vm->mapped_bytes -= size;
        return -E_NOMEM;
    }
    kobj_ref(&mem->obj);
    r->start = va;
    r->end = va + size;
    r->mem = mem;
    r->offset = offset;
    r->prot = prot;
    list_push_back(&vm->regions, &r->node);
    return 0;
}

/* Unmaps [va, va+size), cutting regions that stick out of it. */
int vm_unmap(struct vm_space *vm, uint64_t va, uint64_t size) {
    if (!range_ok(va, size))
        return -E_INVAL;
    uint64_t end = va + size;
    list_for_each_safe(it, tmp, &vm->regions) {
        struct vm_region *r = container_of(it, struct vm_region, node);
        if (end <= r->start || r->end <= va)
            continue;
        uint64_t cut_start = MAX(va, r->start), cut_end = MIN(end, r->end);
        unmap_pages(vm, cut_start, cut_end);
        if (cut_start > r->start && cut_end < r->end) {
            /* A hole in the middle: the tail becomes a region of its own. */
            struct vm_region *tail = kmalloc(sizeof(*tail));
            if (!tail) {
                /* Keep the books right: drop the tail's mapping as well. */
                unmap_pages(vm, cut_end, r->end);
                vm->mapped_bytes -= r->end - cut_end;
                r->end = cut_start;
                vm->mapped_bytes -= cut_end - cut_start;
                continue;
            }
            *tail = *r;
            tail->start = cut_end;
            tail->offset = r->offset + (cut_end - r->start);
            kobj_ref(&r->mem->obj);
            list_push_back(&vm->regions, &tail->node);
            r->end = cut_start;
            vm->mapped_bytes -= cut_end - cut_start;
        } else if (cut_start == r->start && cut_end == r->end) {
            region_free(vm, r);
        } else if (cut_start == r->start) {
            r->offset += cut_end - r->start;
            r->start = cut_end;
            vm->mapped_bytes -= cut_end - cut_start;
        } else {
            r->end = cut_start;
            vm->mapped_bytes -= cut_end - cut_start;
        }
    }
    return 0;
}
