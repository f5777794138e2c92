/* Per-CPU state, reached through %gs in the kernel. */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "list.h"

#define MAX_CPUS 16
#define NUM_PRIORITIES 32

struct thread;

struct cpu {
    struct cpu *self;          /* offsets 0/8/16 are used by entry.S */
    uint64_t kstack_top;
    uint64_t user_rsp;
    struct thread *current;
    struct thread *idle;
    uint32_t id;
    uint32_t apic_id;
    /* run queues, one per priority (0 = highest), with a bitmap of non-empty ones */
    struct list runq[NUM_PRIORITIES];
    uint32_t runq_bitmap;
    uint64_t ticks;
    bool need_resched;         /* switch at the next preemption point */
    uint64_t slice_end_ns;     /* the current thread's turn ends then */
    uint64_t idle_ns;          /* time spent in the idle thread */
    uint64_t timer_deadline;   /* what the timer is programmed for (UINT64_MAX: nothing) */
    uint64_t cr3;              /* the address space this CPU has loaded */
    volatile uint64_t shootdown_pml4;   /* flush if cr3 is this (0: nothing asked) */
    volatile bool shootdown_dying;      /* ...and leave that address space for good */
    struct thread *zombie;     /* a dead thread whose stack we were still on */
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned num_cpus;

static inline struct cpu *this_cpu(void) {
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

static inline struct thread *current_thread(void) { return this_cpu()->current; }

#endif
