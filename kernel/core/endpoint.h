/* IPC endpoints: rendezvous points for synchronous messages and notifications. */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include "kobj.h"
#include "list.h"

#include <tessera/abi.h>

struct thread;
struct task;

struct endpoint {
    struct kobj obj;
    struct list senders;       /* threads blocked in send or call */
    struct list receivers;     /* threads blocked in receive */
    uint64_t notify_bits;      /* pending notifications */
    uint32_t recv_handles;     /* handles with RIGHT_RECV: none left = dead peer */
};

struct endpoint *endpoint_create(void);
void endpoint_destroy(struct endpoint *ep);
void endpoint_notify(struct endpoint *ep, uint64_t bits);
/* Moves the pending notification bits into m as a notification message. */
void endpoint_take_notification(struct endpoint *ep, struct ipc_msg *m);
void endpoint_recv_handles_changed(struct endpoint *ep, int delta);

/* The IPC system call and its helpers (ipc.c, ipc_fastpath.c). */
long sys_ipc(handle_t send_h, handle_t recv_h, uint64_t umsg, uint32_t flags, uint64_t timeout_ns);
void ipc_dequeue(struct thread *t);               /* off its endpoint queue, if on one */
void ipc_cancel(struct thread *t, int result);   /* dequeue and wake with result */
void ipc_task_ended(struct task *t);             /* wake callers waiting for t's reply */
/* A call made by the kernel on behalf of thread t (page faults): t->msg holds
 * the message and receives the reply. */
int ipc_kernel_call(struct thread *t, struct endpoint *ep, uint64_t badge);
/* Returns 1 if the fast path handled the call (result in *ret), 0 to take the slow path. */
int ipc_fastpath(handle_t send_h, handle_t recv_h, uint64_t umsg, uint32_t flags, long *ret);

/* Shared by ipc.c and ipc_fastpath.c */
uint64_t ipc_reply_token(struct thread *caller);
struct thread *ipc_caller_for_token(uint64_t token, struct task *replier);

#endif
