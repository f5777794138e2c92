/* Kernel memory: whole pages and small objects. */
#ifndef KERNEL_KMALLOC_H
#define KERNEL_KMALLOC_H

#include <stddef.h>

/* Zeroed, physically contiguous pages in the direct map; NULL when out of memory. */
void *kpage_alloc(size_t count);
void kpage_free(void *p, size_t count);

/* Zeroed objects of at most KMALLOC_MAX bytes; NULL when out of memory. */
#define KMALLOC_MAX 2048
void *kmalloc(size_t size);
void kfree(void *p);

#endif
