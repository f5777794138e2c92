/*
 * Handle tables. A handle is (slot index | generation << 16): closing a slot
 * bumps its generation, so an old number for a reused slot is refused rather
 * than silently naming someone else's object.
 */
#include "handle.h"
#include "kmalloc.h"
#include <common/string.h>

#define IDX_BITS 16
#define IDX_MASK 0xffffu
#define GEN_MAX 0x7fffu

static handle_t make_handle(uint32_t idx, uint16_t gen) {
    return (handle_t)(idx | ((uint32_t)gen << IDX_BITS));
}

int handle_table_init(struct handle_table *t) {
    t->cap = HANDLE_TABLE_SLOTS;
    t->used = 0;
    /* 256 slots * 24 bytes would not fit a kmalloc object: use a page pair. */
    t->entries = kpage_alloc(2);
    if (!t->entries)
        return -E_NOMEM;
    for (uint32_t i = 0; i < t->cap; i++)
        t->entries[i].gen = 1;
    return 0;
}

void handle_table_destroy(struct handle_table *t) {
    if (!t->entries)
        return;
    for (uint32_t i = 1; i < t->cap; i++) {
        struct handle_entry *e = &t->entries[i];
        if (e->obj) {
            struct kobj *o = e->obj;
            uint32_t rights = e->rights;
            e->obj = NULL;
            kobj_handle_removed(o, rights);
            kobj_unref(o);
        }
    }
    kpage_free(t->entries, 2);
    t->entries = NULL;
    t->used = 0;
}

uint32_t handle_table_free_slots(const struct handle_table *t) {
    return t->cap - 1 - t->used;
}

static handle_t put(struct handle_table *t, struct kobj *obj, uint32_t rights, uint64_t badge) {
    for (uint32_t i = 1; i < t->cap; i++) {
        struct handle_entry *e = &t->entries[i];
        if (e->obj)
            continue;
        e->obj = obj;
        e->rights = rights & RIGHTS_ALL;
        e->badge = badge;
        t->used++;
        return make_handle(i, e->gen);
    }
    return -E_NOSPC;
}

handle_t handle_install(struct handle_table *t, struct kobj *obj, uint32_t rights, uint64_t badge) {
    handle_t h = put(t, obj, rights, badge);
    if (h < 0) {
        kobj_unref(obj);
        return h;
    }
    kobj_handle_added(obj, rights & RIGHTS_ALL);
    return h;
}

handle_t handle_attach(struct handle_table *t, const struct handle_entry *e) {
    return put(t, e->obj, e->rights, e->badge);
}

void handle_entry_release(struct handle_entry *e) {
    kobj_handle_removed(e->obj, e->rights);
    kobj_unref(e->obj);
    e->obj = NULL;
}

static struct handle_entry *find(struct handle_table *t, handle_t h) {
    if (h <= 0 || !t->entries)
        return NULL;
    uint32_t idx = (uint32_t)h & IDX_MASK;
    uint32_t gen = (uint32_t)h >> IDX_BITS;
    if (idx == 0 || idx >= t->cap)
        return NULL;
    struct handle_entry *e = &t->entries[idx];
    if (!e->obj || e->gen != gen)
        return NULL;
    return e;
}

struct handle_entry *handle_lookup(struct handle_table *t, handle_t h, uint32_t type,
                                   uint32_t rights, int *err) {
    struct handle_entry *e = find(t, h);
    if (!e || (type && e->obj->type != type)) {
        *err = -E_BADH;
        return NULL;
    }
    if ((e->rights & rights) != rights) {
        *err = -E_PERM;
        return NULL;
    }
    *err = 0;
    return e;
}

static void free_slot(struct handle_table *t, struct handle_entry *e) {
    e->obj = NULL;
    e->rights = 0;
    e->badge = 0;
    e->gen = e->gen >= GEN_MAX ? 1 : e->gen + 1;
    t->used--;
}

int handle_close(struct handle_table *t, handle_t h) {
    struct handle_entry *e = find(t, h);
    if (!e)
        return -E_BADH;
    struct kobj *o = e->obj;
    uint32_t rights = e->rights;
    free_slot(t, e);
    kobj_handle_removed(o, rights);
    kobj_unref(o);
    return 0;
}

handle_t handle_dup(struct handle_table *t, handle_t h, uint32_t rights, uint64_t badge) {
    struct handle_entry *e = find(t, h);
    if (!e)
        return -E_BADH;
    if (!(e->rights & RIGHT_DUP) || (rights & ~e->rights))
        return -E_PERM;
    if (e->badge && badge != e->badge)
        return -E_PERM;
    kobj_ref(e->obj);
    return handle_install(t, e->obj, rights, badge);
}

int handle_detach(struct handle_table *t, handle_t h, struct handle_entry *out) {
    struct handle_entry *e = find(t, h);
    if (!e)
        return -E_BADH;
    *out = *e;
    free_slot(t, e);
    return 0;
}
