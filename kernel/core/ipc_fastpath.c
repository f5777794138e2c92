/*
 * The IPC fast path: a call to a server already waiting in receive, and a
 * reply-and-receive to a caller when no other message is queued. Both are the
 * common case of every client/server exchange. The message goes straight from
 * the user buffer into the peer thread (one copy instead of two) and the CPU
 * switches straight to the peer without touching the run queues. Anything
 * unusual (handles to move, notifications pending, timeouts, queued senders)
 * falls back to the general path in ipc.c.
 */
#include "endpoint.h"
#include "kernel.h"
#include "percpu.h"
#include "sched.h"
#include "task.h"

static bool header_ok(const struct ipc_msg *m) {
    return m->len <= IPC_DATA_MAX && m->nhandles == 0;
}

/* Copy the user's message into `dst`, but only if it needs no handle moves. */
static int fetch(struct ipc_msg *dst, uint64_t umsg) {
    if (copy_from_user(dst, umsg, IPC_HEADER_SIZE))
        return -E_FAULT;
    if (!header_ok(dst))
        return 1;
    if (copy_from_user(dst->data, umsg + IPC_HEADER_SIZE, dst->len))
        return -E_FAULT;
    return 0;
}

static int fast_call(struct thread *t, handle_t send_h, uint64_t umsg, long *ret) {
    int err;
    struct handle_entry *e = handle_lookup(&t->task->handles, send_h, KOBJ_ENDPOINT, RIGHT_SEND, &err);
    if (!e)
        return 0;
    struct endpoint *ep = (struct endpoint *)e->obj;
    if (list_empty(&ep->receivers) || !ep->recv_handles)
        return 0;
    struct thread *r = container_of(ep->receivers.next, struct thread, wait_node);
    int f = fetch(&r->msg, umsg);
    if (f)
        return 0;   /* handles to move, or a bad buffer: the general path says which */
    /* The reply must be writable before the server sees anything. */
    if (copy_to_user(umsg, &r->msg, IPC_HEADER_SIZE))
        return 0;
    ipc_dequeue(r);
    r->msg.badge = e->badge;
    r->msg.sender = t->task->id;
    r->msg.flags = IPC_MSG_CALL;
    for (int i = 0; i < IPC_HANDLES_MAX; i++)
        r->msg.handles[i] = HANDLE_NONE;
    t->reply_seq++;
    t->reply_from = r->task;
    r->msg.reply_token = ipc_reply_token(t);
    t->state = THREAD_BLOCKED;
    t->block = BLOCK_REPLY;
    err = sched_block_and_switch(r, 0);
    if (!err && copy_to_user(umsg, &t->msg, IPC_HEADER_SIZE + t->msg.len))
        err = -E_FAULT;
    *ret = err;
    return 1;
}

static int fast_reply_recv(struct thread *t, handle_t recv_h, uint64_t umsg, long *ret) {
    int err;
    struct handle_entry *e = handle_lookup(&t->task->handles, recv_h, KOBJ_ENDPOINT, RIGHT_RECV, &err);
    if (!e)
        return 0;
    struct endpoint *ep = (struct endpoint *)e->obj;
    if (!list_empty(&ep->senders) || ep->notify_bits)
        return 0;
    uint64_t token;
    if (copy_from_user(&token, umsg + __builtin_offsetof(struct ipc_msg, reply_token), sizeof(token)))
        return 0;
    struct thread *c = ipc_caller_for_token(token, t->task);
    if (!c || c->deadline)   /* a caller with a timeout sits on the timer list */
        return 0;
    if (fetch(&c->msg, umsg) || copy_to_user(umsg, &c->msg, IPC_HEADER_SIZE))
        return 0;   /* let the general path handle or report it */
    c->msg.badge = 0;
    c->msg.sender = t->task->id;
    c->msg.flags = 0;
    c->msg.reply_token = 0;
    for (int i = 0; i < IPC_HANDLES_MAX; i++)
        c->msg.handles[i] = HANDLE_NONE;
    c->reply_from = NULL;
    /* Now wait on the endpoint and let the caller run. */
    kobj_ref(&ep->obj);
    t->waiting_on = ep;
    list_push_back(&ep->receivers, &t->wait_node);
    t->state = THREAD_BLOCKED;
    t->block = BLOCK_RECV;
    err = sched_block_and_switch(c, 0);
    if (!err && copy_to_user(umsg, &t->msg, IPC_HEADER_SIZE + t->msg.len)) {
        for (int i = 0; i < t->msg.nhandles && i < IPC_HANDLES_MAX; i++)
            handle_close(&t->task->handles, t->msg.handles[i]);
        err = -E_FAULT;
    }
    *ret = err;
    return 1;
}

int ipc_fastpath(handle_t send_h, handle_t recv_h, uint64_t umsg, uint32_t flags, long *ret) {
    struct thread *t = current_thread();
    if (flags == IPC_CALL)
        return fast_call(t, send_h, umsg, ret);
    if (flags == (IPC_REPLY | IPC_RECV))
        return fast_reply_recv(t, recv_h, umsg, ret);
    return 0;
}
