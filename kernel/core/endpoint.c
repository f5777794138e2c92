/* Endpoint objects and notifications. The message passing itself is in ipc.c. */
#include "endpoint.h"
#include "kernel.h"
#include "kmalloc.h"
#include "sched.h"
#include "task.h"

struct endpoint *endpoint_create(void) {
    struct endpoint *ep = kmalloc(sizeof(*ep));
    if (!ep)
        return NULL;
    kobj_init(&ep->obj, KOBJ_ENDPOINT);
    list_init(&ep->senders);
    list_init(&ep->receivers);
    return ep;
}

void endpoint_destroy(struct endpoint *ep) {
    /* Waiting threads hold a reference, so the queues are empty here. */
    ASSERT(list_empty(&ep->senders) && list_empty(&ep->receivers));
    kfree(ep);
}

/* Notifications are a bit set: posting ORs bits in; a receiver gets them all
 * at once, before any queued message. */
void endpoint_take_notification(struct endpoint *ep, struct ipc_msg *m) {
    memset(m, 0, IPC_HEADER_SIZE + sizeof(uint64_t));
    m->label = IPC_LABEL_NOTIFY;
    m->flags = IPC_MSG_NOTIFY;
    m->len = sizeof(uint64_t);
    memcpy(m->data, &ep->notify_bits, sizeof(uint64_t));
    ep->notify_bits = 0;
}

void endpoint_notify(struct endpoint *ep, uint64_t bits) {
    ep->notify_bits |= bits;
    if (!ep->notify_bits || list_empty(&ep->receivers))
        return;
    struct thread *r = container_of(ep->receivers.next, struct thread, wait_node);
    ipc_dequeue(r);
    endpoint_take_notification(ep, &r->msg);
    sched_wake(r, 0);
}

/* When the last receive handle goes, nobody can ever take a queued message:
 * fail the senders now instead of letting them hang (a dead server). */
void endpoint_recv_handles_changed(struct endpoint *ep, int delta) {
    ep->recv_handles += delta;
    if (ep->recv_handles)
        return;
    while (!list_empty(&ep->senders)) {
        struct thread *s = container_of(ep->senders.next, struct thread, wait_node);
        ipc_cancel(s, -E_PEER);
    }
}
