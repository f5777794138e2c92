/*
 * System call dispatch. Every argument from user space is checked here or in
 * the function it is handed to: handles by type and rights, pointers by
 * copy_from_user/copy_to_user, sizes and ranges explicitly.
 */
#include "endpoint.h"
#include "irq.h"
#include "kernel.h"
#include "kmalloc.h"
#include "memobj.h"
#include "percpu.h"
#include "pmm.h"
#include "sched.h"
#include "task.h"
#include "timer.h"
#include "lock.h"
#include "../arch/x64/cpu.h"

struct ioport {
    struct kobj obj;
    uint16_t base, count;
};

struct irq *irq_create(unsigned line, int *err);
int irq_bind(struct irq *irq, struct endpoint *ep, uint64_t bits);
int irq_ack(struct irq *irq);
extern struct kobj system_object;

#define LOOKUP(var, h, type, rights)                                            \
    struct handle_entry *var##_e = handle_lookup(&task->handles, (h), (type), (rights), &err); \
    if (!var##_e)                                                               \
        return err;

/* Ports the kernel drives itself; no handle may cover them. */
static const struct { uint16_t base, count; } kernel_ports[] = {
    {0x20, 2}, {0xa0, 2},       /* legacy PICs (masked) */
    {0x40, 4}, {0x61, 1},       /* PIT, used for calibration */
    {0x3f8, 8},                 /* COM1: the kernel log */
    {0x510, 2},                 /* fw_cfg: boot options */
};

static long sys_log_write(struct task *task, uint64_t ubuf, uint64_t len) {
    char buf[256];
    uint64_t done = 0;
    if (len > 64 * 1024)
        return -E_INVAL;
    while (done < len) {
        size_t n = MIN(len - done, sizeof(buf));
        if (copy_from_user(buf, ubuf + done, n))
            return -E_FAULT;
        for (size_t i = 0; i < n; i++) {
            char c = buf[i];
            /* keep the log readable: no escape sequences from user space */
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                c = '?';
            printk("%c", c);
        }
        done += n;
    }
    (void)task;
    return (long)len;
}

static long do_task_create(struct task *task, uint64_t uname, uint64_t len) {
    char name[32];
    if (len == 0 || len >= sizeof(name))
        return -E_INVAL;
    if (copy_from_user(name, uname, len))
        return -E_FAULT;
    name[len] = 0;
    struct task *t = task_create(name);
    if (!t)
        return -E_NOMEM;
    return handle_install(&task->handles, &t->obj, RIGHTS_ALL, 0);
}

static long do_task_give(struct task *task, handle_t th, handle_t h, uint32_t rights) {
    int err = 0;
    LOOKUP(target, th, KOBJ_TASK, RIGHT_CONTROL);
    struct task *t = (struct task *)target_e->obj;
    if (t->state == TASK_STATE_DEAD)
        return -E_DEAD;
    LOOKUP(given, h, 0, RIGHT_TRANSFER);
    if (rights & ~given_e->rights)
        return -E_PERM;
    if (!handle_table_free_slots(&t->handles))
        return -E_NOSPC;
    struct handle_entry e;
    handle_detach(&task->handles, h, &e);
    uint32_t dropped = e.rights & ~rights;
    e.rights = rights;
    kobj_handle_removed(e.obj, dropped);   /* e.g. an endpoint that lost a receiver */
    return handle_attach(&t->handles, &e);
}

static long do_task_info(struct task *task, handle_t th, uint64_t uinfo) {
    int err = 0;
    struct task *t = task;
    if (th != HANDLE_SELF) {
        LOOKUP(target, th, KOBJ_TASK, RIGHT_WATCH);
        t = (struct task *)target_e->obj;
    }
    struct task_info info;
    memset(&info, 0, sizeof(info));
    info.id = t->id;
    info.state = t->state;
    info.exit_status = t->exit_status;
    memcpy(info.name, t->name, sizeof(info.name));
    return copy_to_user(uinfo, &info, sizeof(info));
}

static long do_task_kill(struct task *task, handle_t th) {
    int err = 0;
    LOOKUP(target, th, KOBJ_TASK, RIGHT_CONTROL);
    struct task *t = (struct task *)target_e->obj;
    if (t->state == TASK_STATE_DEAD || t->kill_pending)
        return -E_DEAD;
    if (t == task)
        task_exit_current(TASK_EXIT_KILLED);
    printk("[kernel] task %s (id %u) killed by %s (id %u)\n", t->name, t->id, task->name, task->id);
    task_terminate(t, TASK_EXIT_KILLED);
    return 0;
}

static struct task *target_space(struct task *task, handle_t th, int *err) {
    if (th == HANDLE_SELF)
        return task;
    struct handle_entry *e = handle_lookup(&task->handles, th, KOBJ_TASK, RIGHT_CONTROL, err);
    if (!e)
        return NULL;
    struct task *t = (struct task *)e->obj;
    if (t->state == TASK_STATE_DEAD) {
        *err = -E_DEAD;
        return NULL;
    }
    return t;
}

static long do_vm_map(struct task *task, handle_t th, handle_t mh, uint64_t offset, uint64_t va,
                      uint64_t size, uint32_t prot) {
    int err = 0;
    struct task *t = target_space(task, th, &err);
    if (!t)
        return err;
    uint32_t need = RIGHT_READ | ((prot & PROT_W) ? RIGHT_WRITE : 0) | ((prot & PROT_X) ? RIGHT_EXEC : 0);
    LOOKUP(mem, mh, KOBJ_MEMORY, need);
    return vm_map(&t->vm, (struct memobj *)mem_e->obj, offset, va, size, prot | PROT_R);
}

static long do_ioport_create(struct task *task, handle_t sh, uint64_t base, uint64_t count) {
    int err = 0;
    LOOKUP(sys, sh, KOBJ_SYSTEM, RIGHT_CONTROL);
    if (count == 0 || base > 0xffff || count > 0x10000 - base)
        return -E_INVAL;
    for (size_t i = 0; i < ARRAY_SIZE(kernel_ports); i++)
        if (base < kernel_ports[i].base + kernel_ports[i].count && kernel_ports[i].base < base + count)
            return -E_BUSY;
    struct ioport *io = kmalloc(sizeof(*io));
    if (!io)
        return -E_NOMEM;
    kobj_init(&io->obj, KOBJ_IOPORT);
    io->base = (uint16_t)base;
    io->count = (uint16_t)count;
    return handle_install(&task->handles, &io->obj, RIGHTS_ALL, 0);
}

static long do_ioport(struct task *task, handle_t h, uint64_t port, uint64_t width, bool out, uint32_t value) {
    int err = 0;
    LOOKUP(io, h, KOBJ_IOPORT, RIGHT_CONTROL);
    struct ioport *io = (struct ioport *)io_e->obj;
    if ((width != 1 && width != 2 && width != 4) || port < io->base || port + width > (uint64_t)io->base + io->count)
        return -E_RANGE;
    uint16_t p = (uint16_t)port;
    if (out) {
        if (width == 1) outb(p, (uint8_t)value);
        else if (width == 2) outw(p, (uint16_t)value);
        else outl(p, value);
        return 0;
    }
    return width == 1 ? inb(p) : width == 2 ? inw(p) : (long)inl(p);
}

#define MAX_QUANTUM_MS 100000

static long do_sched(struct task *task, handle_t th, int64_t prio, int64_t quantum_ms, int64_t reset_ms,
                     uint64_t affinity) {
    int err;
    LOOKUP(t, th, KOBJ_TASK, RIGHT_SCHED);
    struct task *target = (struct task *)t_e->obj;
    uint64_t cpus_mask = (1ull << num_cpus) - 1;
    if (prio < 0 || prio > SCHED_PRIO_LOWEST || quantum_ms <= 0 || quantum_ms > MAX_QUANTUM_MS ||
        (reset_ms != SCHED_ASK && (reset_ms <= 0 || reset_ms > MAX_QUANTUM_MS)))
        return -E_INVAL;
    if (affinity == SCHED_AFFINITY_ANY)
        affinity = cpus_mask;
    if (!(affinity & cpus_mask) || (affinity & ~cpus_mask))
        return -E_INVAL;   /* no CPU, or a CPU that does not exist */
    if (target->state == TASK_STATE_DEAD)
        return -E_DEAD;
    struct thread *thr = target->thread;
    thr->quantum_ns = quantum_ms * 1000000ll;
    thr->quantum_left_ns = thr->quantum_ns;
    thr->reset_ns = reset_ms == SCHED_ASK ? SCHED_ASK : reset_ms * 1000000ll;
    thr->affinity = (uint32_t)affinity;
    thr->quantum_spent = false;
    if (thr->priority != prio)
        sched_set_priority(thr, (int)prio);
    else if (thr->state == THREAD_RUNNABLE && !(thr->affinity & (1u << thr->cpu)))
        sched_set_priority(thr, (int)prio);   /* re-placed on a CPU it may use */
    if (thr->waiting_sched && thr->state == THREAD_BLOCKED && thr->block == BLOCK_NONE) {
        thr->waiting_sched = false;   /* started with TASK_START_WAIT_SCHED: go */
        sched_enqueue(thr);
    }
    if (thr == current_thread())
        this_cpu()->need_resched = true;   /* it may no longer be the one to run */
    else
        sched_poke_running(thr);           /* the same, on the CPU it runs on */
    return 0;
}

static long do_sched_info(struct task *task, handle_t th, uint64_t uinfo) {
    int err;
    struct task *t = task;
    if (th != HANDLE_SELF) {
        LOOKUP(target, th, KOBJ_TASK, RIGHT_WATCH);
        t = (struct task *)target_e->obj;
    }
    struct sched_info info;
    memset(&info, 0, sizeof(info));
    struct thread *thr = t->thread;
    if (thr) {
        uint64_t running = thr->state == THREAD_RUNNING ? arch_clock_ns() - thr->run_start_ns : 0;
        info.priority = thr->priority;
        info.quantum_ms = (int32_t)(thr->quantum_ns / 1000000);
        info.reset_ms = thr->reset_ns == SCHED_ASK ? SCHED_ASK : (int32_t)(thr->reset_ns / 1000000);
        info.affinity = thr->affinity;
        info.cpu = thr->cpu;
        info.waiting = thr->waiting_sched;
        info.cpu_time_ns = thr->cpu_time_ns + running;
        info.exhaustions = thr->exhaustions;
        info.quantum_left_ns = thr->quantum_left_ns > (int64_t)running ? (uint64_t)thr->quantum_left_ns - running : 0;
    }
    return copy_to_user(uinfo, &info, sizeof(info));
}

static long dispatch(struct task *task, uint64_t n, uint64_t a1, uint64_t a2, uint64_t a3,
                     uint64_t a4, uint64_t a5, uint64_t a6) {
    int err = 0;
    switch (n) {
    case SYS_LOG_WRITE:
        return sys_log_write(task, a1, a2);
    case SYS_HANDLE_CLOSE:
        return handle_close(&task->handles, (handle_t)a1);
    case SYS_HANDLE_DUP:
        return handle_dup(&task->handles, (handle_t)a1, (uint32_t)a2, a3);
    case SYS_HANDLE_INFO: {
        LOOKUP(h, (handle_t)a1, 0, 0);
        struct handle_info info;
        memset(&info, 0, sizeof(info));
        info.type = h_e->obj->type;
        info.rights = h_e->rights;
        info.badge = h_e->badge;
        if (h_e->obj->type == KOBJ_MEMORY) {
            struct memobj *m = (struct memobj *)h_e->obj;
            info.size = m->size;
            if ((m->flags & MEMOBJ_F_CONTIG) && !(m->flags & MEMOBJ_F_FIXED))
                info.phys = m->base;   /* drivers program devices with it */
        } else if (h_e->obj->type == KOBJ_IRQ) {
            irq_msi_message((struct irq *)h_e->obj, &info.msi_addr, &info.msi_data);
        }
        return copy_to_user(a2, &info, sizeof(info));
    }
    case SYS_ENDPOINT_CREATE: {
        struct endpoint *ep = endpoint_create();
        if (!ep)
            return -E_NOMEM;
        return handle_install(&task->handles, &ep->obj,
                              RIGHT_SEND | RIGHT_RECV | RIGHT_NOTIFY | RIGHT_DUP | RIGHT_TRANSFER, 0);
    }
    case SYS_IPC:
        return sys_ipc((handle_t)a1, (handle_t)a2, a3, (uint32_t)a4, a5);
    case SYS_NOTIFY: {
        LOOKUP(ep, (handle_t)a1, KOBJ_ENDPOINT, RIGHT_NOTIFY);
        endpoint_notify((struct endpoint *)ep_e->obj, a2);
        return 0;
    }
    case SYS_TASK_CREATE:
        return do_task_create(task, a1, a2);
    case SYS_TASK_START: {
        LOOKUP(t, (handle_t)a1, KOBJ_TASK, RIGHT_CONTROL);
        return task_start((struct task *)t_e->obj, a2, a3, a4, (uint32_t)a5);
    }
    case SYS_TASK_EXIT:
        printk("[kernel] task %s (id %u) exited with status %ld\n", task->name, task->id, (long)(int)a1);
        task_exit_current((int)a1);
    case SYS_TASK_KILL:
        return do_task_kill(task, (handle_t)a1);
    case SYS_TASK_GIVE:
        return do_task_give(task, (handle_t)a1, (handle_t)a2, (uint32_t)a3);
    case SYS_TASK_WATCH: {
        LOOKUP(t, (handle_t)a1, KOBJ_TASK, RIGHT_WATCH);
        LOOKUP(ep, (handle_t)a2, KOBJ_ENDPOINT, RIGHT_NOTIFY);
        struct task *target = (struct task *)t_e->obj;
        if (!a3)
            return -E_INVAL;
        if (target->state == TASK_STATE_DEAD) {
            endpoint_notify((struct endpoint *)ep_e->obj, a3);   /* already over */
            return 0;
        }
        for (int i = 0; i < TASK_WATCHERS; i++) {
            /* A watcher whose endpoint nobody can receive on any more (its
             * task ended, e.g. a driver restarted since) gives its slot up. */
            struct endpoint *old = target->watchers[i].ep;
            if (old && old->recv_handles == 0) {
                kobj_unref(&old->obj);
                target->watchers[i].ep = NULL;
            }
            if (!target->watchers[i].ep) {
                kobj_ref(ep_e->obj);
                target->watchers[i].ep = (struct endpoint *)ep_e->obj;
                target->watchers[i].bits = a3;
                return 0;
            }
        }
        return -E_BUSY;   /* enough watchers already */
    }
    case SYS_TASK_INFO:
        return do_task_info(task, (handle_t)a1, a2);
    case SYS_MEM_CREATE: {
        struct memobj *m = memobj_create(a1, (uint32_t)a2, &err);
        if (!m)
            return err;
        return handle_install(&task->handles, &m->obj,
                              RIGHT_READ | RIGHT_WRITE | RIGHT_EXEC | RIGHT_DUP | RIGHT_TRANSFER, 0);
    }
    case SYS_VM_MAP:
        return do_vm_map(task, (handle_t)a1, (handle_t)a2, a3, a4, a5, (uint32_t)a6);
    case SYS_VM_UNMAP: {
        struct task *t = target_space(task, (handle_t)a1, &err);
        if (!t)
            return err;
        return vm_unmap(&t->vm, a2, a3);
    }
    case SYS_IRQ_CREATE: {
        LOOKUP(sys, (handle_t)a1, KOBJ_SYSTEM, RIGHT_CONTROL);
        struct irq *irq = irq_create(a2 == IRQ_MSI ? IRQ_MSI : (unsigned)MIN(a2, 0xffffu), &err);
        if (!irq)
            return err;
        return handle_install(&task->handles, &irq->obj, RIGHT_CONTROL | RIGHT_TRANSFER, 0);
    }
    case SYS_IRQ_BIND: {
        LOOKUP(irq, (handle_t)a1, KOBJ_IRQ, RIGHT_CONTROL);
        LOOKUP(ep, (handle_t)a2, KOBJ_ENDPOINT, RIGHT_NOTIFY);
        return irq_bind((struct irq *)irq_e->obj, (struct endpoint *)ep_e->obj, a3);
    }
    case SYS_IRQ_ACK: {
        LOOKUP(irq, (handle_t)a1, KOBJ_IRQ, RIGHT_CONTROL);
        return irq_ack((struct irq *)irq_e->obj);
    }
    case SYS_IOPORT_CREATE:
        return do_ioport_create(task, (handle_t)a1, a2, a3);
    case SYS_IOPORT_IN:
        return do_ioport(task, (handle_t)a1, a2, a3, false, 0);
    case SYS_IOPORT_OUT:
        return do_ioport(task, (handle_t)a1, a2, a3, true, (uint32_t)a4);
    case SYS_CLOCK:
        return (long)arch_clock_ns();
    case SYS_YIELD:
        sched_yield();
        return 0;
    case SYS_SET_TLS:
        /* A non-canonical FS base would fault in the kernel's wrmsr. */
        if (a1 >= USER_SPACE_END)
            return -E_RANGE;
        current_thread()->arch.fs_base = a1;
        wrmsr(MSR_FS_BASE, a1);
        return 0;
    case SYS_TASK_SET_PAGER: {
        LOOKUP(t, (handle_t)a1, KOBJ_TASK, RIGHT_CONTROL);
        LOOKUP(ep, (handle_t)a2, KOBJ_ENDPOINT, RIGHT_SEND);
        struct task *target = (struct task *)t_e->obj;
        if (target->state == TASK_STATE_DEAD)
            return -E_DEAD;
        if (target == task)
            return -E_INVAL;   /* a task cannot page itself: it would wait on itself */
        kobj_ref(ep_e->obj);
        if (target->pager)
            kobj_unref(&target->pager->obj);
        target->pager = (struct endpoint *)ep_e->obj;
        target->pager_badge = ep_e->badge;
        return 0;
    }
    case SYS_SCHED:
        return do_sched(task, (handle_t)a1, (int64_t)a2, (int64_t)a3, (int64_t)a4, a5);
    case SYS_TASK_SET_SCHEDULER: {
        LOOKUP(t, (handle_t)a1, KOBJ_TASK, RIGHT_SCHED);
        LOOKUP(ep, (handle_t)a2, KOBJ_ENDPOINT, RIGHT_SEND);
        struct task *target = (struct task *)t_e->obj;
        if (target->state == TASK_STATE_DEAD)
            return -E_DEAD;
        if (target == task)
            return -E_INVAL;   /* it would wait on itself */
        kobj_ref(ep_e->obj);
        if (target->scheduler)
            kobj_unref(&target->scheduler->obj);
        target->scheduler = (struct endpoint *)ep_e->obj;
        target->scheduler_badge = ep_e->badge;
        return 0;
    }
    case SYS_SCHED_INFO:
        return do_sched_info(task, (handle_t)a1, a2);
    case SYS_TIMER_CREATE: {
        LOOKUP(ep, (handle_t)a1, KOBJ_ENDPOINT, RIGHT_NOTIFY);
        if (!a2)
            return -E_INVAL;
        struct ktimer *t = timer_create((struct endpoint *)ep_e->obj, a2);
        if (!t)
            return -E_NOMEM;
        return handle_install(&task->handles, &t->obj, RIGHT_CONTROL | RIGHT_DUP | RIGHT_TRANSFER, 0);
    }
    case SYS_TIMER_SET: {
        LOOKUP(t, (handle_t)a1, KOBJ_TIMER, RIGHT_CONTROL);
        if (a3 && a3 < 100000)
            return -E_INVAL;   /* periods under 100 us would only load the machine */
        return (long)timer_set((struct ktimer *)t_e->obj, a2, a3);
    }
    case SYS_TIMER_GET: {
        LOOKUP(t, (handle_t)a1, KOBJ_TIMER, 0);
        struct timer_info info;
        timer_get((struct ktimer *)t_e->obj, &info);
        return copy_to_user(a2, &info, sizeof(info));
    }
    case SYS_MEM_DEVICE: {
        LOOKUP(sys, (handle_t)a1, KOBJ_SYSTEM, RIGHT_CONTROL);
        uint64_t paddr = a2, size = a3;
        if (!size || size > MEMOBJ_MAX_SIZE || paddr + size < paddr || (paddr + size) >> 52 || (a4 & ~MEM_DEVICE_WC))
            return -E_INVAL;
        /* Whole pages are mapped: check them all. RAM belongs to the
         * kernel's allocator, never to a driver. */
        uint64_t first = ALIGN_DOWN(paddr, 4096), last = ALIGN_UP(paddr + size, 4096);
        if (phys_is_ram(first, last - first))
            return -E_PERM;
        struct memobj *m = memobj_create_device(paddr, size, (uint32_t)a4);
        if (!m)
            return -E_NOMEM;
        return handle_install(&task->handles, &m->obj, RIGHT_READ | RIGHT_WRITE | RIGHT_DUP | RIGHT_TRANSFER, 0);
    }
    case SYS_POWER: {
        LOOKUP(sys, (handle_t)a1, KOBJ_SYSTEM, RIGHT_CONTROL);
        if (a2 != POWER_OFF && a2 != POWER_RESET)
            return -E_INVAL;
        printk("[kernel] %s\n", a2 == POWER_OFF ? "powering off (ACPI S5)" : "restarting");
        return a2 == POWER_OFF ? arch_power_off() : arch_reset();
    }
    case SYS_FB_INFO: {
        if (!boot_fb.phys)
            return -E_NOENT;
        return copy_to_user(a1, &boot_fb, sizeof(boot_fb));
    }
    case SYS_CPU_INFO: {
        struct cpu_info info;
        memset(&info, 0, sizeof(info));
        info.num_cpus = num_cpus;
        info.this_cpu = this_cpu()->id;
        info.tsc_hz = arch_tsc_hz();
        for (unsigned i = 0; i < num_cpus && i < 16; i++) {
            info.idle_ns[i] = cpus[i].idle_ns;
            info.ticks[i] = cpus[i].ticks;
        }
        return copy_to_user(a1, &info, sizeof(info));
    }
    case SYS_MEM_INFO: {
        struct mem_info info = {pmm_total_pages() * 4096, pmm_free_pages() * 4096};
        return copy_to_user(a1, &info, sizeof(info));
    }
    default:
        return -E_NOSYS;
    }
}

void syscall_handler(struct trapframe *f) {
    kernel_lock();
    task_check_kill();
    struct task *task = current_task();
    f->rax = (uint64_t)dispatch(task, f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
    sched_preempt_point();
    sched_program_timer();
    kernel_unlock();
}
