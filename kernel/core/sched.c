/*
 * Scheduling mechanism: NUM_PRIORITIES round-robin run queues per CPU (0 is
 * the highest), a time slice of one tick, and a deadline-ordered list of
 * blocked threads with timeouts. Policy (who gets which priority) belongs to
 * user space; see the scheduler issue.
 *
 * Locking: the kernel runs with interrupts disabled and, for now, on one CPU.
 * Scheduling state is per CPU (struct cpu); the global timeout list and the
 * object graph will sit behind one big kernel lock taken on kernel entry when
 * the other CPUs are started (scheduler issue).
 */
#include "sched.h"
#include "endpoint.h"
#include "kernel.h"
#include "percpu.h"
#include "task.h"

#define DEFAULT_SLICE_TICKS 1

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
    c->slice_left = DEFAULT_SLICE_TICKS;
}

void sched_enqueue(struct thread *t) {
    struct cpu *c = this_cpu();
    t->state = THREAD_RUNNABLE;
    list_push_back(&c->runq[t->priority], &t->run_node);
    c->runq_bitmap |= 1u << t->priority;
    if (t->priority < c->current->priority)
        c->need_resched = true;
}

static void runq_remove(struct thread *t) {
    struct cpu *c = this_cpu();
    list_remove(&t->run_node);
    if (list_empty(&c->runq[t->priority]))
        c->runq_bitmap &= ~(1u << t->priority);
}

static void timer_remove(struct thread *t) {
    if (t->deadline) {
        list_remove(&t->timer_node);
        t->deadline = 0;
    }
}

static void timer_insert(struct thread *t, uint64_t deadline) {
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
    timer_remove(t);
}

static struct thread *pick_next(void) {
    struct cpu *c = this_cpu();
    if (!c->runq_bitmap)
        return c->idle;
    int prio = __builtin_ctz(c->runq_bitmap);
    struct thread *t = container_of(c->runq[prio].next, struct thread, run_node);
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
void thread_first_run(void) { reap(); }

static void switch_to(struct thread *next) {
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    next->state = THREAD_RUNNING;
    c->slice_left = DEFAULT_SLICE_TICKS;
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
    timer_insert(t, deadline);
    schedule();
    return t->wake_result;
}

void sched_wake(struct thread *t, int result) {
    if (t->state != THREAD_BLOCKED)
        return;
    timer_remove(t);
    t->block = BLOCK_NONE;
    t->wake_result = result;
    sched_enqueue(t);
}

int sched_block_and_switch(struct thread *next, uint64_t deadline) {
    struct thread *t = current_thread();
    timer_insert(t, deadline);
    timer_remove(next);
    next->block = BLOCK_NONE;
    next->wake_result = 0;
    switch_to(next);
    return t->wake_result;
}

void sched_yield(void) {
    struct thread *t = current_thread();
    if (t != this_cpu()->idle)
        sched_enqueue(t);
    schedule();
}

void sched_tick(void) {
    struct cpu *c = this_cpu();
    c->ticks++;
    uint64_t now = arch_clock_ns();
    while (!list_empty(&timeouts)) {
        struct thread *t = container_of(timeouts.next, struct thread, timer_node);
        if (t->deadline > now)
            break;
        timer_remove(t);
        ipc_cancel(t, -E_TIMEDOUT);
    }
    if (c->current == c->idle) {
        c->need_resched = c->runq_bitmap != 0;
    } else if (--c->slice_left <= 0) {
        c->need_resched = true;
    }
}

void sched_preempt_point(void) {
    struct cpu *c = this_cpu();
    if (!c->need_resched || c->current == c->idle)
        return;
    sched_enqueue(c->current);
    schedule();
}

void sched_exit_current(void) {
    struct thread *t = current_thread();
    t->state = THREAD_DEAD;
    this_cpu()->zombie = t;
    schedule();
    panic("a dead thread was scheduled");
}

void sched_idle_loop(void) {
    for (;;) {
        if (this_cpu()->runq_bitmap)
            schedule();
        else
            arch_idle();
    }
}
