/* Task and thread lifecycle. */
#include "task.h"
#include "endpoint.h"
#include "kmalloc.h"
#include "percpu.h"
#include "sched.h"

#define SLOT_BITS 12

static struct thread *thread_slots[MAX_THREADS];
static uint32_t slot_gen[MAX_THREADS];
static struct list all_tasks = LIST_INIT(all_tasks);

struct thread *thread_lookup(uint32_t tid) {
    struct thread *t = thread_slots[tid % MAX_THREADS];
    return t && t->tid == tid ? t : NULL;
}

struct thread *thread_at_slot(unsigned slot) {
    return slot < MAX_THREADS ? thread_slots[slot] : NULL;
}

struct task *current_task(void) { return current_thread()->task; }

static struct thread *thread_alloc(struct task *task) {
    unsigned slot;
    for (slot = 1; slot < MAX_THREADS && thread_slots[slot]; slot++)
        ;
    if (slot == MAX_THREADS)
        return NULL;
    struct thread *t = kmalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->kstack = kpage_alloc(KSTACK_PAGES);
    if (!t->kstack) {
        kfree(t);
        return NULL;
    }
    slot_gen[slot] = (slot_gen[slot] + 1) & 0xfffff;
    t->tid = slot | (slot_gen[slot] << SLOT_BITS);
    t->task = task;
    t->state = THREAD_BLOCKED;   /* not runnable until started */
    t->block = BLOCK_NONE;
    t->priority = SCHED_PRIO_LOWEST;
    t->quantum_ns = t->reset_ns = t->quantum_left_ns = SCHED_DEFAULT_QUANTUM_MS * 1000000ll;
    t->affinity = SCHED_AFFINITY_ANY;
    t->arch.kstack_top = (uint64_t)t->kstack + KSTACK_PAGES * 4096;
    list_init(&t->run_node);
    list_init(&t->wait_node);
    list_init(&t->timer_node);
    thread_slots[slot] = t;
    return t;
}

void thread_free(struct thread *t) {
    thread_slots[t->tid % MAX_THREADS] = NULL;
    kpage_free(t->kstack, KSTACK_PAGES);
    kfree(t);
}

struct task *task_create(const char *name) {
    struct task *t = kmalloc(sizeof(*t));
    if (!t)
        return NULL;
    kobj_init(&t->obj, KOBJ_TASK);   /* the caller's reference, for its handle */
    size_t n = strnlen(name, sizeof(t->name) - 1);
    memcpy(t->name, name, n);
    t->name[n] = 0;
    t->state = TASK_STATE_CREATED;
    if (handle_table_init(&t->handles) < 0)
        goto fail_task;
    if (vm_space_init(&t->vm) < 0)
        goto fail_handles;
    t->thread = thread_alloc(t);
    if (!t->thread)
        goto fail_vm;
    t->id = t->thread->tid;
    list_push_back(&all_tasks, &t->all_node);
    return t;
fail_vm:
    vm_space_destroy(&t->vm);
fail_handles:
    handle_table_destroy(&t->handles);
fail_task:
    kfree(t);
    return NULL;
}

int task_start(struct task *t, uint64_t entry, uint64_t stack, uint64_t arg, uint32_t flags) {
    if (t->state != TASK_STATE_CREATED)
        return t->state == TASK_STATE_DEAD ? -E_DEAD : -E_BUSY;
    if (entry >= USER_SPACE_END || stack >= USER_SPACE_END)
        return -E_RANGE;
    if (flags & ~TASK_START_WAIT_SCHED)
        return -E_INVAL;
    arch_thread_init_user(&t->thread->arch, entry, stack, arg);
    t->state = TASK_STATE_RUNNING;
    kobj_ref(&t->obj);   /* a running task keeps itself alive; dropped when it ends */
    if (flags & TASK_START_WAIT_SCHED)
        t->thread->waiting_sched = true;   /* SYS_SCHED makes it runnable */
    else
        sched_enqueue(t->thread);
    return 0;
}

void task_terminate(struct task *t, int status) {
    if (t->state == TASK_STATE_DEAD)
        return;
    struct thread *running = t->thread;
    if (running && running->state == THREAD_RUNNING && running != current_thread()) {
        /* It runs on another CPU (in user space, or waiting for the kernel
         * lock): that CPU ends it at its next kernel entry. */
        t->kill_pending = true;
        t->kill_status = status;
        arch_send_ipi(running->cpu, VEC_RESCHED);
        return;
    }
    bool started = t->state == TASK_STATE_RUNNING;
    t->state = TASK_STATE_DEAD;
    t->exit_status = status;
    struct thread *thr = t->thread;
    bool is_current = thr == current_thread();

    /* Off every queue: run queue, timeouts, endpoint queues. */
    if (!is_current) {
        sched_remove(thr);
        ipc_dequeue(thr);
        thr->state = THREAD_DEAD;
    }
    thr->reply_from = NULL;
    ipc_task_ended(t);
    handle_table_destroy(&t->handles);
    vm_space_destroy(&t->vm);
    for (int i = 0; i < TASK_WATCHERS; i++) {
        if (t->watchers[i].ep) {
            endpoint_notify(t->watchers[i].ep, t->watchers[i].bits);
            kobj_unref(&t->watchers[i].ep->obj);
            t->watchers[i].ep = NULL;
        }
    }
    if (t->pager) {
        kobj_unref(&t->pager->obj);
        t->pager = NULL;
    }
    if (t->scheduler) {
        kobj_unref(&t->scheduler->obj);
        t->scheduler = NULL;
    }
    if (!is_current)
        thread_free(thr);
    t->thread = NULL;
    if (started)
        kobj_unref(&t->obj);   /* the running task's own reference */
}

void task_destroy(struct task *t) {
    if (t->state == TASK_STATE_CREATED)   /* never started, last handle closed */
        task_terminate(t, TASK_EXIT_KILLED);
    list_remove(&t->all_node);
    kfree(t);
}

void task_check_kill(void) {
    struct task *t = current_task();
    if (t && t->kill_pending)
        task_exit_current(t->kill_status);
}

void task_exit_current(int status) {
    struct task *t = current_task();
    task_terminate(t, status);
    sched_exit_current();
    __builtin_unreachable();
}

int task_kernel_call(struct endpoint *ep, uint64_t badge, int32_t label, const void *data, size_t len,
                     int *reply_label) {
    struct thread *t = current_thread();
    struct task *task = t->task;
    /* The thread may be inside a system call that is using its message
     * buffer (a copy from user memory that faulted): keep it aside. */
    struct ipc_msg saved;
    memcpy(&saved, &t->msg, sizeof(saved));
    memset(&t->msg, 0, IPC_HEADER_SIZE);
    t->msg.label = label;
    t->msg.len = (uint16_t)len;
    memcpy(t->msg.data, data, len);
    int err = ipc_kernel_call(t, ep, badge);
    *reply_label = t->msg.label;
    if (err == 0 && t->msg.nhandles) {   /* the kernel's partners have no business sending handles */
        for (int i = 0; i < t->msg.nhandles && i < IPC_HANDLES_MAX; i++)
            handle_close(&task->handles, t->msg.handles[i]);
    }
    memcpy(&t->msg, &saved, sizeof(saved));
    return err;
}

bool task_call_pager(uint64_t addr, uint64_t rip, uint32_t access, bool present) {
    struct task *task = current_task();
    if (!task || !task->pager)
        return false;
    struct pager_fault f = {addr, rip, access, present};
    int label;
    return task_kernel_call(task->pager, task->pager_badge, PAGER_FAULT_LABEL, &f, sizeof(f), &label) == 0 &&
           label == 0;
}

void task_fault(const char *what, uint64_t rip) {
    struct task *t = current_task();
    printk("[kernel] task %s (id %u) killed: %s rip=0x%lx\n", t->name, t->id, what, rip);
    task_exit_current(TASK_EXIT_FAULT);
}
