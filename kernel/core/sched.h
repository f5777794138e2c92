/* The scheduler mechanism: priority run queues, blocking, timeouts. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>

struct thread;

void sched_init(void);
void sched_enqueue(struct thread *t);
/* Block the current thread (its state and block reason are set by the caller)
 * until sched_wake; returns the result passed to sched_wake. A non-zero
 * deadline (ns) wakes it with -E_TIMEDOUT. */
int sched_block(uint64_t deadline);
void sched_wake(struct thread *t, int result);
/* Block the current thread and run `next` (which must be blocked, not queued)
 * right away (or, if its affinity forbids this CPU, queue it): the IPC fast path. */
int sched_block_and_switch(struct thread *next, uint64_t deadline);
void sched_remove(struct thread *t);   /* from run queue and timeout list */
void sched_set_priority(struct thread *t, int priority);
void sched_poke_running(struct thread *t);   /* on another CPU: reschedule it there */
void sched_yield(void);
void sched_tick(void);
void sched_preempt_point(void);
void sched_program_timer(void);   /* before returning to user space or idling */
void schedule(void);
__attribute__((noreturn)) void sched_idle_loop(void);
void sched_exit_current(void);   /* never returns: the thread is dead */

#endif
