/*
 * Scheduling mechanism: SCHED_PRIORITIES round-robin run queues per CPU (0 is
 * the highest), a fixed time slice among equals, and per-thread quanta that
 * are refilled or referred to the task's scheduler (SYS_SCHED in the ABI).
 * Policy (who gets which priority and quantum) belongs to the sched server.
 * Also the deadline-ordered list of blocked threads with timeouts.
 *
 * Locking: the kernel runs with interrupts disabled, on one CPU for now.
 * Scheduling state is per CPU (struct cpu); the global lists will sit behind
 * one big kernel lock taken on kernel entry once the other CPUs run.
 */
#include "sched.h"
#include "endpoint.h"
#include "kernel.h"
#include "percpu.h"
#include "task.h"
#include "timer.h"
#include "lock.h"

#define SLICE_NS (SCHED_SLICE_MS * 1000000ll)

static struct list timeouts = LIST_INIT(timeouts);
static struct thread idle_threads[MAX_CPUS];

void thread_free(struct thread *t);

void sched_init(void) {
    struct cpu *c = this_cpu();
    for (int i = 0; i < NUM_PRIORITIES; i++)
        list_init(&c->runq[i]);
    struct thread *idle = &idle_threads[c->id];
    idle->state = THREAD_RUNNING;
    idle->priority = NUM_PRIORITIES;
    list_init(&idle->run_node);
    list_init(&idle->timer_node);
    c->idle = idle;
    c->current = idle;
    idle->run_start_ns = arch_clock_ns();
    c->slice_end_ns = idle->run_start_ns + SLICE_NS;
}

static bool allowed(const struct thread *t, unsigned cpu) {
    return cpu < num_cpus && (t->affinity & (1u << cpu));
}

static bool cpu_idle(const struct cpu *c) {
    return c->current == c->idle && !c->runq_bitmap;
}

/* Where a thread that becomes runnable goes: an idle CPU it may use (its
 * last one first, for a warm cache), else its last CPU, else any it may use. */
static unsigned choose_cpu(const struct thread *t) {
    unsigned self = this_cpu()->id;
    if (num_cpus == 1)
        return 0;
    if (allowed(t, t->cpu) && cpu_idle(&cpus[t->cpu]))
        return t->cpu;
    if (allowed(t, self) && cpu_idle(&cpus[self]))
        return self;
    for (unsigned i = 0; i < num_cpus; i++)
        if (allowed(t, i) && cpu_idle(&cpus[i]))
            return i;
    if (allowed(t, t->cpu))
        return t->cpu;
    if (allowed(t, self))
        return self;
    for (unsigned i = 0; i < num_cpus; i++)
        if (allowed(t, i))
            return i;
    return self;   /* an affinity naming no running CPU: sys_sched refuses those */
}

void sched_enqueue(struct thread *t) {
    unsigned target = choose_cpu(t);
    struct cpu *c = &cpus[target];
    t->state = THREAD_RUNNABLE;
    t->cpu = target;
    bool first_of_its_priority = !(c->runq_bitmap & (1u << t->priority));
    list_push_back(&c->runq[t->priority], &t->run_node);
    c->runq_bitmap |= 1u << t->priority;
    bool remote = target != this_cpu()->id;
    if (t->priority < c->current->priority) {
        c->need_resched = true;
        if (remote)
            arch_send_ipi(target, VEC_RESCHED);   /* it may be halted, or running something less urgent */
    } else if (remote && first_of_its_priority && t->priority == c->current->priority) {
        /* Its current thread now shares its priority: that CPU must time
         * the slice, which its timer does not know about yet. */
        arch_send_ipi(target, VEC_RESCHED);
    }
}

/* A thread running on another CPU must be looked at again there (its
 * affinity or priority changed): that CPU reschedules at once. */
void sched_poke_running(struct thread *t) {
    if (t->state != THREAD_RUNNING || t->cpu == this_cpu()->id)
        return;
    cpus[t->cpu].need_resched = true;
    arch_send_ipi(t->cpu, VEC_RESCHED);
}

static void runq_remove(struct thread *t) {
    struct cpu *c = &cpus[t->cpu];
    list_remove(&t->run_node);
    if (list_empty(&c->runq[t->priority]))
        c->runq_bitmap &= ~(1u << t->priority);
}

static void timeout_remove(struct thread *t) {
    if (t->deadline) {
        list_remove(&t->timer_node);
        t->deadline = 0;
    }
}

static void timeout_insert(struct thread *t, uint64_t deadline) {
    t->deadline = deadline;
    if (!deadline)
        return;
    struct list *pos = &timeouts;
    list_for_each(it, &timeouts) {
        if (container_of(it, struct thread, timer_node)->deadline > deadline) {
            pos = it;
            break;
        }
    }
    list_push_back(pos, &t->timer_node);   /* inserts before pos */
}

void sched_remove(struct thread *t) {
    if (t->state == THREAD_RUNNABLE)
        runq_remove(t);
    timeout_remove(t);
}

void sched_set_priority(struct thread *t, int priority) {
    if (t->state == THREAD_RUNNABLE) {
        runq_remove(t);   /* from the queue of its old priority */
        t->priority = priority;
        sched_enqueue(t);
    } else {
        t->priority = priority;
    }
}

/* The most urgent thread on another CPU's queue that may run here. */
static struct thread *steal(void) {
    struct cpu *self = this_cpu();
    struct thread *best = NULL;
    for (unsigned i = 0; i < num_cpus; i++) {
        if (i == self->id || !cpus[i].runq_bitmap)
            continue;
        for (int prio = 0; prio < NUM_PRIORITIES && (!best || prio < best->priority); prio++) {
            list_for_each(it, &cpus[i].runq[prio]) {
                struct thread *t = container_of(it, struct thread, run_node);
                if (allowed(t, self->id)) {
                    best = t;
                    break;
                }
            }
        }
    }
    return best;
}

static struct thread *pick_next(void) {
    struct cpu *c = this_cpu();
    struct thread *t;
    if (c->runq_bitmap) {
        int prio = __builtin_ctz(c->runq_bitmap);
        t = container_of(c->runq[prio].next, struct thread, run_node);
    } else {
        t = steal();
        if (!t)
            return c->idle;
    }
    runq_remove(t);
    return t;
}

static void reap(void) {
    struct cpu *c = this_cpu();
    if (c->zombie && c->zombie != c->current) {
        thread_free(c->zombie);
        c->zombie = NULL;
    }
}

/* Called by a new thread's first run, before it returns to user space. */
void thread_first_run(void) {
    reap();
    sched_program_timer();
    kernel_unlock();   /* on its way to user space */
}

/* Charge the running thread for the time since it was switched in. */
static void account(struct thread *t, uint64_t now) {
    if (t == this_cpu()->idle) {
        this_cpu()->idle_ns += now - t->run_start_ns;
    } else {
        uint64_t ran = now - t->run_start_ns;
        t->cpu_time_ns += ran;
        t->quantum_left_ns -= (int64_t)ran;
        if (t->quantum_left_ns <= 0)
            t->quantum_spent = true;
    }
    t->run_start_ns = now;
}

static void switch_to(struct thread *next) {
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    uint64_t now = arch_clock_ns();
    account(prev, now);
    next->state = THREAD_RUNNING;
    next->cpu = c->id;
    next->run_start_ns = now;
    c->slice_end_ns = now + SLICE_NS;
    if (prev == next)
        return;
    c->current = next;
    if (next->task) {
        arch_as_activate(&next->task->vm.as);
        arch_set_kernel_stack(next->arch.kstack_top);
    }
    arch_switch(&prev->arch, &next->arch);
    reap();
}

void schedule(void) {
    this_cpu()->need_resched = false;
    switch_to(pick_next());
}

int sched_block(uint64_t deadline) {
    struct thread *t = current_thread();
    timeout_insert(t, deadline);
    schedule();
    return t->wake_result;
}

void sched_wake(struct thread *t, int result) {
    if (t->state != THREAD_BLOCKED)
        return;
    timeout_remove(t);
    t->block = BLOCK_NONE;
    t->wake_result = result;
    sched_enqueue(t);
}

int sched_block_and_switch(struct thread *next, uint64_t deadline) {
    struct thread *t = current_thread();
    timeout_insert(t, deadline);
    timeout_remove(next);
    next->block = BLOCK_NONE;
    next->wake_result = 0;
    if (allowed(next, this_cpu()->id)) {
        switch_to(next);
    } else {
        sched_enqueue(next);   /* pinned elsewhere: it runs there */
        schedule();
    }
    return t->wake_result;
}

void sched_yield(void) {
    struct thread *t = current_thread();
    if (t != this_cpu()->idle)
        sched_enqueue(t);
    schedule();
}

/* Timer interrupt: expire timeouts and timers, account the running thread,
 * and ask for a switch when its slice or quantum is over. */
void sched_tick(void) {
    struct cpu *c = this_cpu();
    c->ticks++;
    c->timer_deadline = 0;   /* it fired: whatever is next must be programmed */
    uint64_t now = arch_clock_ns();
    while (!list_empty(&timeouts)) {
        struct thread *t = container_of(timeouts.next, struct thread, timer_node);
        if (t->deadline > now)
            break;
        timeout_remove(t);
        ipc_cancel(t, -E_TIMEDOUT);
    }
    timers_expire(now);
    if (c->current == c->idle) {
        c->need_resched = c->runq_bitmap != 0;
        return;
    }
    account(c->current, now);
    if (c->current->quantum_spent ||
        (now >= c->slice_end_ns && (c->runq_bitmap & (1u << c->current->priority))))
        c->need_resched = true;
}

/*
 * The quantum of the current thread is spent: refill it, or (reset
 * SCHED_ASK) call its scheduler and wait for the decision. A scheduler that
 * is gone, or none at all, means the default policy.
 */
static void quantum_spent(struct thread *t) {
    t->quantum_spent = false;
    t->exhaustions++;
    struct task *task = t->task;
    if (t->reset_ns != SCHED_ASK) {
        t->quantum_left_ns = t->reset_ns;
        return;
    }
    if (task->scheduler) {
        struct sched_event ev = {task->id, t->cpu, t->cpu_time_ns, t->exhaustions};
        int label = -E_PEER;
        t->waiting_sched = true;
        int err = task_kernel_call(task->scheduler, task->scheduler_badge, SCHED_QUANTUM_LABEL, &ev,
                                   sizeof(ev), &label);
        t->waiting_sched = false;
        if (err == 0 && label == 0) {
            if (t->quantum_left_ns <= 0)   /* replied without a new quantum: one default */
                t->quantum_left_ns = SCHED_DEFAULT_QUANTUM_MS * 1000000ll;
            return;
        }
        printk("[kernel] task %s (id %u): its scheduler is gone (%d); default scheduling\n", task->name,
               task->id, err ? err : label);
        kobj_unref(&task->scheduler->obj);
        task->scheduler = NULL;
    }
    t->priority = SCHED_PRIO_LOWEST;
    t->quantum_ns = t->reset_ns = t->quantum_left_ns = SCHED_DEFAULT_QUANTUM_MS * 1000000ll;
}

/*
 * Tickless: program the CPU's timer for the next thing that needs it — a
 * timeout, a timer, the end of the running thread's slice (when others wait
 * at its priority) or of its quantum. An idle CPU with nothing due sleeps
 * with no interrupt at all.
 */
void sched_program_timer(void) {
    struct cpu *c = this_cpu();
    uint64_t next = timers_next_deadline();
    if (!list_empty(&timeouts)) {
        uint64_t t = container_of(timeouts.next, struct thread, timer_node)->deadline;
        if (t < next)
            next = t;
    }
    struct thread *cur = c->current;
    if (cur != c->idle) {
        uint64_t quantum_end = cur->run_start_ns + (uint64_t)(cur->quantum_left_ns > 0 ? cur->quantum_left_ns : 0);
        if (quantum_end < next)
            next = quantum_end;
        if ((c->runq_bitmap & (1u << cur->priority)) && c->slice_end_ns < next)
            next = c->slice_end_ns;
    }
    if (next != c->timer_deadline) {
        c->timer_deadline = next;
        arch_timer_oneshot(next);
    }
}

/* On the way back to user space: deal with a spent quantum, then switch if asked to. */
void sched_preempt_point(void) {
    struct cpu *c = this_cpu();
    struct thread *t = c->current;
    if (t == c->idle)
        return;
    task_check_kill();
    if (t->quantum_spent) {
        quantum_spent(t);
        c->need_resched = true;   /* others of its priority go first */
    }
    if (!c->need_resched)
        return;
    sched_enqueue(t);
    schedule();
}

void sched_exit_current(void) {
    struct thread *t = current_thread();
    t->state = THREAD_DEAD;
    this_cpu()->zombie = t;
    schedule();
    panic("a dead thread was scheduled");
}

/* Idle: run what there is (here or stealable), else halt without the kernel
 * lock until an interrupt. A wake-up IPI sent meanwhile stays pending and
 * ends the halt at once. */
void sched_idle_loop(void) {
    for (;;) {
        struct cpu *c = this_cpu();
        if (c->runq_bitmap || (num_cpus > 1 && steal())) {
            schedule();
        } else {
            sched_program_timer();
            /* Leave the last task's address space: TLB shootdowns need
             * not wake a halted CPU, and its page tables may go. */
            arch_as_activate(NULL);
            kernel_unlock();
            arch_idle();
            kernel_lock();
        }
    }
}
