/*
 * Kernel objects: everything a handle can name starts with a struct kobj.
 * Objects are reference counted: each handle, mapping or kernel pointer that
 * keeps one alive holds a reference.
 */
#ifndef KERNEL_KOBJ_H
#define KERNEL_KOBJ_H

#include <stdint.h>

struct kobj {
    uint32_t type;   /* KOBJ_* from the ABI */
    uint32_t refs;
};

void kobj_init(struct kobj *o, uint32_t type);
void kobj_ref(struct kobj *o);
void kobj_unref(struct kobj *o);   /* destroys the object at zero */

/* A handle with `rights` to `o` was added to or removed from a handle table
 * (endpoints count their receivers this way to detect a dead peer). */
void kobj_handle_added(struct kobj *o, uint32_t rights);
void kobj_handle_removed(struct kobj *o, uint32_t rights);

#endif
