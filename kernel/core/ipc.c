/*
 * Synchronous message passing. A message is copied from the sender's buffer
 * into its thread (thread->msg), handed to the receiver's thread at the
 * rendezvous, and copied out to the receiver's buffer when it returns from its
 * system call, in its own address space. Handles named in the message move
 * from the sender's table to the receiver's at the rendezvous, all or none.
 */
#include "endpoint.h"
#include "kernel.h"
#include "percpu.h"
#include "sched.h"
#include "task.h"

#define OP_FLAGS (IPC_SEND | IPC_CALL | IPC_REPLY)

static void queue_wait(struct thread *t, struct endpoint *ep, struct list *queue) {
    kobj_ref(&ep->obj);
    t->waiting_on = ep;
    list_push_back(queue, &t->wait_node);
}

void ipc_dequeue(struct thread *t) {
    struct endpoint *ep = t->waiting_on;
    if (!ep)
        return;
    list_remove(&t->wait_node);
    t->waiting_on = NULL;
    kobj_unref(&ep->obj);   /* the reference queue_wait took */
}

void ipc_cancel(struct thread *t, int result) {
    if (t->state != THREAD_BLOCKED)
        return;
    ipc_dequeue(t);
    t->reply_from = NULL;
    sched_wake(t, result);
}

uint64_t ipc_reply_token(struct thread *caller) {
    return (uint64_t)caller->tid << 32 | caller->reply_seq;
}

struct thread *ipc_caller_for_token(uint64_t token, struct task *replier) {
    struct thread *c = thread_lookup((uint32_t)(token >> 32));
    if (!c || c->state != THREAD_BLOCKED || c->block != BLOCK_REPLY ||
        c->reply_seq != (uint32_t)token || c->reply_from != replier)
        return NULL;
    return c;
}

/* Every handle in the message must exist, be movable, and appear once. */
static int check_handles(struct task *task, const struct ipc_msg *m) {
    for (int i = 0; i < m->nhandles; i++) {
        int err;
        if (!handle_lookup(&task->handles, m->handles[i], 0, RIGHT_TRANSFER, &err))
            return err;
        for (int j = 0; j < i; j++)
            if (m->handles[j] == m->handles[i])
                return -E_INVAL;
    }
    return 0;
}

/*
 * Hands `from`'s message to `to`: moves the handles, copies the bytes, and
 * fills in what the kernel vouches for (sender, badge, call token).
 */
static int transfer(struct thread *from, struct thread *to, uint64_t badge, bool is_call) {
    struct ipc_msg *src = &from->msg, *dst = &to->msg;
    int n = src->nhandles;
    if (n && handle_table_free_slots(&to->task->handles) < (uint32_t)n)
        return -E_NOSPC;
    handle_t moved[IPC_HANDLES_MAX];
    for (int i = 0; i < n; i++) {
        struct handle_entry e;
        int err = handle_detach(&from->task->handles, src->handles[i], &e);
        ASSERT(err == 0);   /* checked before queueing; the sender could not change them */
        moved[i] = handle_attach(&to->task->handles, &e);
        ASSERT(moved[i] > 0);
    }
    memcpy(dst, src, IPC_HEADER_SIZE + src->len);
    for (int i = 0; i < n; i++)
        dst->handles[i] = moved[i];
    for (int i = n; i < IPC_HANDLES_MAX; i++)
        dst->handles[i] = HANDLE_NONE;
    dst->badge = badge;
    dst->sender = from->task->id;
    dst->flags = is_call ? IPC_MSG_CALL : 0;
    dst->reply_token = 0;
    if (is_call) {
        from->reply_seq++;
        from->reply_from = to->task;
        from->block = BLOCK_REPLY;
        dst->reply_token = ipc_reply_token(from);
    }
    return 0;
}

static int do_send(struct thread *t, struct endpoint *ep, uint64_t badge, bool is_call,
                   bool nonblock, uint64_t deadline) {
    if (!ep->recv_handles)
        return -E_PEER;
    int err = check_handles(t->task, &t->msg);
    if (err)
        return err;
    if (!list_empty(&ep->receivers)) {
        struct thread *r = container_of(ep->receivers.next, struct thread, wait_node);
        err = transfer(t, r, badge, is_call);
        if (err)
            return err;
        ipc_dequeue(r);
        if (!is_call) {
            sched_wake(r, 0);
            return 0;
        }
        /* Call: the receiver runs next on our time, we wait for the reply. */
        t->state = THREAD_BLOCKED;
        r->wake_result = 0;
        return sched_block_and_switch(r, deadline);
    }
    if (nonblock)
        return -E_AGAIN;
    t->send_badge = badge;
    t->send_is_call = is_call;
    t->state = THREAD_BLOCKED;
    t->block = BLOCK_SEND;
    queue_wait(t, ep, &ep->senders);
    /* A receiver that takes a call turns BLOCK_SEND into BLOCK_REPLY; we wake
     * when the reply arrives (or on error / timeout). */
    return sched_block(deadline);
}

int ipc_kernel_call(struct thread *t, struct endpoint *ep, uint64_t badge) {
    t->msg.nhandles = 0;
    return do_send(t, ep, badge, true, false, 0);
}

static int do_recv(struct thread *t, struct endpoint *ep, bool nonblock, uint64_t deadline) {
    for (;;) {
        if (ep->notify_bits) {
            endpoint_take_notification(ep, &t->msg);
            return 0;
        }
        if (list_empty(&ep->senders))
            break;
        struct thread *s = container_of(ep->senders.next, struct thread, wait_node);
        bool is_call = s->send_is_call;
        int err = transfer(s, t, s->send_badge, is_call);
        ipc_dequeue(s);
        if (err) {
            /* Our handle table is full: that sender's message cannot be
             * delivered to us. It learns why; we look at the next one. */
            s->reply_from = NULL;
            sched_wake(s, err);
            continue;
        }
        if (!is_call)
            sched_wake(s, 0);
        return 0;
    }
    if (nonblock)
        return -E_AGAIN;
    t->state = THREAD_BLOCKED;
    t->block = BLOCK_RECV;
    queue_wait(t, ep, &ep->receivers);
    return sched_block(deadline);
}

static int do_reply(struct thread *t) {
    struct thread *c = ipc_caller_for_token(t->msg.reply_token, t->task);
    if (!c)
        return -E_PEER;
    int err = check_handles(t->task, &t->msg);
    if (err)
        return err;
    err = transfer(t, c, 0, false);
    if (err)
        return err;
    c->reply_from = NULL;
    sched_wake(c, 0);
    return 0;
}

void ipc_task_ended(struct task *dead) {
    /* Callers whose message the dead task took will never get a reply. */
    for (unsigned slot = 0; slot < MAX_THREADS; slot++) {
        struct thread *c = thread_at_slot(slot);
        if (c && c->state == THREAD_BLOCKED && c->block == BLOCK_REPLY && c->reply_from == dead)
            ipc_cancel(c, -E_PEER);
    }
}

static int load_message(struct thread *t, uint64_t umsg) {
    if (copy_from_user(&t->msg, umsg, IPC_HEADER_SIZE))
        return -E_FAULT;
    if (t->msg.len > IPC_DATA_MAX || t->msg.nhandles > IPC_HANDLES_MAX)
        return -E_INVAL;
    if (copy_from_user(t->msg.data, umsg + IPC_HEADER_SIZE, t->msg.len))
        return -E_FAULT;
    return 0;
}

/* Drop handles a message brought in when it cannot be handed to the user. */
static void discard_received_handles(struct thread *t) {
    for (int i = 0; i < t->msg.nhandles && i < IPC_HANDLES_MAX; i++)
        handle_close(&t->task->handles, t->msg.handles[i]);
}

long sys_ipc(handle_t send_h, handle_t recv_h, uint64_t umsg, uint32_t flags, uint64_t timeout_ns) {
    long fast;
    if (ipc_fastpath(send_h, recv_h, umsg, flags, &fast))
        return fast;

    struct thread *t = current_thread();
    struct task *task = t->task;
    uint32_t ops = flags & OP_FLAGS;
    if ((flags & ~(OP_FLAGS | IPC_RECV | IPC_NONBLOCK)) || (ops & (ops - 1)) ||
        ((flags & IPC_CALL) && (flags & IPC_RECV)) || !(flags & (OP_FLAGS | IPC_RECV)))
        return -E_INVAL;
    bool nonblock = flags & IPC_NONBLOCK;
    uint64_t deadline = 0;
    if (timeout_ns) {
        deadline = arch_clock_ns() + timeout_ns;
        if (deadline < timeout_ns)
            deadline = UINT64_MAX;
    }
    bool receives = flags & (IPC_CALL | IPC_RECV);

    if (ops) {
        int err = load_message(t, umsg);
        if (err)
            return err;
    }
    /* Make sure the reply can be written back before anything is consumed. */
    if (receives && copy_to_user(umsg, &t->msg, IPC_HEADER_SIZE))
        return -E_FAULT;

    int err;
    if (flags & IPC_REPLY) {
        err = do_reply(t);
        if (err && !(flags & IPC_RECV))
            return err;
    }
    if (flags & (IPC_SEND | IPC_CALL)) {
        struct handle_entry *e = handle_lookup(&task->handles, send_h, KOBJ_ENDPOINT, RIGHT_SEND, &err);
        if (!e)
            return err;
        err = do_send(t, (struct endpoint *)e->obj, e->badge, flags & IPC_CALL, nonblock, deadline);
        if (err)
            return err;
    }
    if (flags & IPC_RECV) {
        struct handle_entry *e = handle_lookup(&task->handles, recv_h, KOBJ_ENDPOINT, RIGHT_RECV, &err);
        if (!e)
            return err;
        err = do_recv(t, (struct endpoint *)e->obj, nonblock, deadline);
        if (err)
            return err;
    }
    if (receives && copy_to_user(umsg, &t->msg, IPC_HEADER_SIZE + t->msg.len)) {
        discard_received_handles(t);
        return -E_FAULT;
    }
    return 0;
}
