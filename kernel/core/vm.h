/* A task's address space: page tables plus the memory objects mapped in it. */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdint.h>
#include "list.h"
#include "../arch/x64/arch.h"

struct memobj;

struct vm_region {
    struct list node;
    uint64_t start, end;        /* [start, end), page aligned */
    struct memobj *mem;         /* holds a reference */
    uint64_t offset;            /* into mem, for start */
    uint32_t prot;
};

struct vm_space {
    struct arch_as as;
    struct list regions;
    uint64_t mapped_bytes;
};

int vm_space_init(struct vm_space *vm);
void vm_space_destroy(struct vm_space *vm);
int vm_map(struct vm_space *vm, struct memobj *mem, uint64_t offset, uint64_t va,
           uint64_t size, uint32_t prot);
int vm_unmap(struct vm_space *vm, uint64_t va, uint64_t size);

#endif
