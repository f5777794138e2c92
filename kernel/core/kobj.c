/* Reference counting and destruction of kernel objects, by type. */
#include "kobj.h"
#include "endpoint.h"
#include "irq.h"
#include "kernel.h"
#include "kmalloc.h"
#include "memobj.h"
#include "task.h"
#include "timer.h"

void kobj_init(struct kobj *o, uint32_t type) {
    o->type = type;
    o->refs = 1;
}

void kobj_ref(struct kobj *o) {
    ASSERT(o->refs > 0);
    o->refs++;
}

void kobj_unref(struct kobj *o) {
    ASSERT(o->refs > 0);
    if (--o->refs)
        return;
    switch (o->type) {
    case KOBJ_TASK: task_destroy((struct task *)o); break;
    case KOBJ_ENDPOINT: endpoint_destroy((struct endpoint *)o); break;
    case KOBJ_MEMORY: memobj_destroy((struct memobj *)o); break;
    case KOBJ_IRQ: irq_destroy((struct irq *)o); break;
    case KOBJ_IOPORT: kfree(o); break;
    case KOBJ_TIMER: timer_destroy((struct ktimer *)o); break;
    default: panic("kobj_unref: object %p of type %u reached zero", (void *)o, o->type);
    }
}

void kobj_handle_added(struct kobj *o, uint32_t rights) {
    if (o->type == KOBJ_ENDPOINT && (rights & RIGHT_RECV))
        endpoint_recv_handles_changed((struct endpoint *)o, +1);
}

void kobj_handle_removed(struct kobj *o, uint32_t rights) {
    if (o->type == KOBJ_ENDPOINT && (rights & RIGHT_RECV))
        endpoint_recv_handles_changed((struct endpoint *)o, -1);
}
