/*
 * Small-object allocator: power-of-two size classes from 16 to 2048 bytes,
 * each served from one-page slabs. The slab header at the start of the page
 * tells kfree() which class an object belongs to.
 */
#include "kmalloc.h"
#include "kernel.h"
#include "list.h"

#define SLAB_MAGIC 0x51ab51abu
#define NCLASSES 8   /* 16, 32, ..., 2048 */

struct slab {
    uint32_t magic;
    uint16_t cls;
    uint16_t used;
    struct list node;      /* on its class's partial list while it has room */
    void *free;            /* free objects, linked through their first word */
};

struct size_class {
    size_t size;
    struct list partial;
};

static struct size_class classes[NCLASSES];
static bool ready;

static void init_classes(void) {
    for (int i = 0; i < NCLASSES; i++) {
        classes[i].size = (size_t)16 << i;
        list_init(&classes[i].partial);
    }
    ready = true;
}

static size_t first_offset(size_t size) {
    return ALIGN_UP(sizeof(struct slab), size < 64 ? size : 64);
}

static struct slab *new_slab(int cls) {
    struct slab *s = kpage_alloc(1);
    if (!s)
        return NULL;
    size_t size = classes[cls].size;
    s->magic = SLAB_MAGIC;
    s->cls = (uint16_t)cls;
    s->used = 0;
    s->free = NULL;
    for (size_t off = 4096 - size; off >= first_offset(size); off -= size) {
        void **obj = (void **)((char *)s + off);
        *obj = s->free;
        s->free = obj;
    }
    list_push_back(&classes[cls].partial, &s->node);
    return s;
}

void *kmalloc(size_t size) {
    if (!ready)
        init_classes();
    if (size == 0 || size > KMALLOC_MAX)
        return NULL;
    int cls = 0;
    while (classes[cls].size < size)
        cls++;
    struct slab *s;
    if (list_empty(&classes[cls].partial)) {
        s = new_slab(cls);
        if (!s)
            return NULL;
    } else {
        s = container_of(classes[cls].partial.next, struct slab, node);
    }
    void **obj = s->free;
    s->free = *obj;
    s->used++;
    if (!s->free)
        list_remove(&s->node);
    memset(obj, 0, classes[cls].size);
    return obj;
}

void kfree(void *p) {
    if (!p)
        return;
    struct slab *s = (struct slab *)((uintptr_t)p & ~(uintptr_t)4095);
    if (s->magic != SLAB_MAGIC || s->used == 0)
        panic("kfree: %p is not an allocated object", p);
    size_t size = classes[s->cls].size;
    size_t off = (uintptr_t)p - (uintptr_t)s;
    if (off < first_offset(size) || (4096 - off) % size)
        panic("kfree: %p is not the start of an object", p);
    for (void **f = s->free; f; f = *f)   /* a slab holds at most 255 objects */
        if (f == p)
            panic("kfree: double free of %p", p);
    bool was_full = s->free == NULL;
    *(void **)p = s->free;
    s->free = p;
    s->used--;
    if (s->used == 0) {
        if (!was_full)
            list_remove(&s->node);
        s->magic = 0;
        kpage_free(s, 1);
    } else if (was_full) {
        list_push_back(&classes[s->cls].partial, &s->node);
    }
}
