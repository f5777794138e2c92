/*
 * sched: the scheduling policy for the tasks handed to it (vm hands over every
 * task it starts). The kernel only runs the highest priority and counts
 * quanta; every quantum a task uses up arrives here as a call from the kernel
 * (label SCHED_QUANTUM_LABEL, badge SCHED_BADGE|slot), we decide the task's
 * next priority and quantum (policy.c) and reply. A periodic balance lifts
 * tasks that stopped hogging and forgets tasks that ended or that someone else
 * now schedules. Interface callers are known by badge: their task id (init
 * mints it at lookup).
 */
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/init.h"
#include "idl/sched.h"
#include "policy.h"

#define MAX_TASKS 256
#define SCHED_BADGE (1ull << 62)
#define WATCH_BIT 1u
#define MS ((uint64_t)1000000)

struct entry {
    bool used;
    uint32_t task_id;
    handle_t task;       /* RIGHT_SCHED | RIGHT_WATCH */
    char name[32];
    struct policy pol;
    int prio, quantum_ms;   /* what we last set: anything else means someone else took over */
};

static struct entry tasks[MAX_TASKS];
static handle_t ep;
static uint32_t my_id;

static struct entry *by_id(uint32_t id) {
    for (int i = 0; i < MAX_TASKS; i++)
        if (tasks[i].used && tasks[i].task_id == id)
            return &tasks[i];
    return NULL;
}

static void drop(struct entry *e) {
    sys_handle_close(e->task);
    e->used = false;
}

/* Tell the kernel what the policy says now; keeps the task's affinity (CPU
 * placement is the task owner's business, not the policy's). */
static long apply(struct entry *e) {
    struct sched_info si;
    uint32_t affinity = SCHED_AFFINITY_ANY;
    if (sys_sched_info(e->task, &si) == 0 && si.affinity)
        affinity = si.affinity;
    bool self = e->task_id == my_id;
    int prio = self ? POLICY_SELF_PRIORITY : policy_priority(&e->pol);
    int quantum = self ? POLICY_SELF_QUANTUM_MS : policy_quantum_ms(&e->pol);
    /* We never ask ourselves: we would wait for our own reply. */
    long err = sys_sched(e->task, prio, quantum, self ? quantum : SCHED_ASK, affinity);
    if (err == -E_INVAL && affinity != SCHED_AFFINITY_ANY)
        err = sys_sched(e->task, prio, quantum, self ? quantum : SCHED_ASK, SCHED_AFFINITY_ANY);
    if (err == 0) {
        e->prio = prio;
        e->quantum_ms = quantum;
    }
    return err;
}

/* ---- the sched interface ---- */

static int on_add(void *ctx, const struct ipc_msg *req, handle_t task, uint32_t class) {
    struct handle_info hi;
    struct task_info ti;
    if (task == HANDLE_NONE)
        return -E_INVAL;
    int err = 0;
    if (sys_handle_info(task, &hi) < 0 || hi.type != KOBJ_TASK)
        err = -E_BADH;
    else if ((hi.rights & (RIGHT_SCHED | RIGHT_WATCH)) != (RIGHT_SCHED | RIGHT_WATCH))
        err = -E_PERM;
    else if (!policy_class_valid(class))
        err = -E_INVAL;
    else if (sys_task_info(task, &ti) < 0)
        err = -E_BADH;
    else if (ti.state == TASK_STATE_DEAD)
        err = -E_DEAD;
    if (err) {
        sys_handle_close(task);
        return err;
    }
    /* Added again (say with another class): the new handle replaces the old. */
    struct entry *e = by_id(ti.id);
    bool watched = e != NULL;   /* the kernel's watch is on the task, not the handle */
    if (e)
        drop(e);
    for (int i = 0; i < MAX_TASKS && !e; i++)
        if (!tasks[i].used)
            e = &tasks[i];
    if (!e) {
        sys_handle_close(task);
        return -E_NOSPC;
    }
    int slot = (int)(e - tasks);
    if (ti.id != my_id) {
        long h = sys_handle_dup(ep, RIGHT_SEND, SCHED_BADGE | (uint64_t)slot);
        long r = h < 0 ? h : sys_task_set_scheduler(task, (handle_t)h);
        if (h >= 0)
            sys_handle_close((handle_t)h);   /* the kernel keeps its own reference */
        if (r < 0) {
            sys_handle_close(task);
            return (int)r;
        }
    }
    struct sched_info si;
    memset(&si, 0, sizeof(si));
    sys_sched_info(task, &si);
    memset(e, 0, sizeof(*e));
    e->used = true;
    e->task_id = ti.id;
    e->task = task;
    memcpy(e->name, ti.name, sizeof(e->name));
    e->name[sizeof(e->name) - 1] = 0;
    policy_init(&e->pol, class, sys_clock(), si.cpu_time_ns, si.exhaustions);
    long r = apply(e);   /* also lets a task started with TASK_START_WAIT_SCHED run */
    if (r < 0) {
        drop(e);
        return (int)r;
    }
    /* A full watcher table is no harm: the balance finds dead tasks too. */
    if (!watched)
        sys_task_watch(task, ep, WATCH_BIT);
    return 0;
}

static int on_request_priority(void *ctx, const struct ipc_msg *req, int32_t priority, int32_t *granted) {
    if (priority < 0 || priority > SCHED_PRIO_LOWEST)
        return -E_INVAL;
    struct entry *e = by_id((uint32_t)req->badge);
    if (!e || req->badge != req->sender || e->task_id == my_id)
        return -E_PERM;   /* only for tasks we schedule, about themselves */
    struct policy before = e->pol;
    int g = policy_request(&e->pol, priority);
    if (g < 0)
        return g;
    long err = apply(e);
    if (err < 0) {
        e->pol = before;
        return (int)err;
    }
    *granted = g;
    return 0;
}

static int on_set_class(void *ctx, const struct ipc_msg *req, uint32_t task_id, uint32_t class) {
    if (!policy_class_valid(class))
        return -E_INVAL;
    struct entry *caller = by_id((uint32_t)req->badge);
    if (!caller || req->badge != req->sender)
        return -E_PERM;
    struct entry *target = by_id(task_id);
    bool self = target == caller;
    if (!policy_may_set_class(caller->pol.class, self, class))
        return -E_PERM;
    if (!target)
        return -E_NOENT;
    struct policy before = target->pol;
    policy_set_class(&target->pol, class);
    long err = apply(target);
    if (err < 0) {
        target->pol = before;
        return (int)err;
    }
    return 0;
}

static int on_task_stats(void *ctx, const struct ipc_msg *req, uint32_t index, uint32_t *task_id, char *name,
                         uint32_t *class, int32_t *priority, uint32_t *cpu, uint64_t *cpu_time_ns,
                         uint64_t *exhaustions) {
    uint32_t n = 0;
    for (int i = 0; i < MAX_TASKS; i++) {
        struct entry *e = &tasks[i];
        if (!e->used || n++ != index)
            continue;
        struct sched_info si;
        if (sys_sched_info(e->task, &si) < 0)
            return -E_NOENT;
        *task_id = e->task_id;
        size_t len = strnlen(e->name, SCHED_TASK_STATS_NAME_MAX - 1);
        memcpy(name, e->name, len);
        name[len] = 0;
        *class = e->pol.class;
        *priority = si.priority;
        *cpu = si.cpu;
        *cpu_time_ns = si.cpu_time_ns;
        *exhaustions = si.exhaustions;
        return 0;
    }
    return -E_NOENT;
}

static const struct sched_server server = {
    .add = on_add, .request_priority = on_request_priority, .set_class = on_set_class,
    .task_stats = on_task_stats,
};

/* ---- quantum events from the kernel ---- */

static int on_quantum(struct ipc_msg *m) {
    uint64_t slot = m->badge & ~SCHED_BADGE;
    struct sched_event ev;
    if (!(m->flags & IPC_MSG_CALL) || m->len != sizeof(ev) || m->nhandles || slot >= MAX_TASKS)
        return -E_INVAL;
    memcpy(&ev, m->data, sizeof(ev));
    struct entry *e = &tasks[slot];
    if (!e->used || e->task_id != ev.task_id)
        return -E_INVAL;   /* not ours (any more): the kernel falls back to its defaults */
    policy_exhausted(&e->pol, sys_clock(), ev.cpu_time_ns);
    long err = apply(e);
    if (err < 0) {
        if (err != -E_DEAD)   /* killed while it waited for us: nothing to say */
            log_printf("sched: cannot schedule %s (id %u): %s\n", e->name, e->task_id, err_str(err));
        drop(e);
        return (int)err;
    }
    return 0;
}

/* ---- periodic balance ---- */

static void balance(void) {
    for (int i = 0; i < MAX_TASKS; i++) {
        struct entry *e = &tasks[i];
        struct task_info ti;
        struct sched_info si;
        if (!e->used)
            continue;
        if (sys_task_info(e->task, &ti) < 0 || ti.state == TASK_STATE_DEAD ||
            sys_sched_info(e->task, &si) < 0) {
            drop(e);
            continue;
        }
        if (e->task_id == my_id || si.waiting)
            continue;   /* a waiting task's event is queued for us already */
        if (si.priority != e->prio || si.quantum_ms != e->quantum_ms || si.reset_ms != SCHED_ASK) {
            /* Someone else with RIGHT_SCHED took it over (or the kernel
             * dropped us): hands off. */
            drop(e);
            continue;
        }
        if (policy_balance(&e->pol, si.exhaustions))
            apply(e);
    }
}

/* Answers a quantum event (or a message posing as one) with `status`; any
 * handles that came with it are closed. Returns 1 if there is a reply to send. */
static int answer(struct ipc_msg *m, int status) {
    for (int i = 0; i < m->nhandles && i < IPC_HANDLES_MAX; i++)
        sys_handle_close(m->handles[i]);
    if (!(m->flags & IPC_MSG_CALL))
        return 0;
    m->label = status;
    m->len = 0;
    m->nhandles = 0;
    return 1;
}

int main(int argc, char **argv) {
    struct task_info me;
    if (sys_task_info(HANDLE_SELF, &me) == 0)
        my_id = me.id;
    long e = service_start(startup.bootstrap, "sched");
    if (e < 0)
        return 1;
    ep = (handle_t)e;

    uint64_t next_balance = sys_clock() + POLICY_BALANCE_MS * MS;
    struct ipc_msg m;
    int r = 0;
    for (;;) {
        uint64_t now = sys_clock();
        if (now >= next_balance) {
            balance();
            next_balance = now + POLICY_BALANCE_MS * MS;
        }
        long rc = sys_ipc(HANDLE_NONE, ep, &m, r == 1 ? IPC_REPLY | IPC_RECV : IPC_RECV, next_balance - now);
        r = 0;
        if (rc == -E_TIMEDOUT)
            continue;
        if (rc < 0) {
            log_printf("sched: receive failed: %s\n", err_str(rc));
            continue;
        }
        if (m.flags & IPC_MSG_NOTIFY) {
            balance();   /* a task we watch ended */
        } else if (m.label == SCHED_QUANTUM_LABEL) {
            r = answer(&m, (m.badge & SCHED_BADGE) ? on_quantum(&m) : -E_PERM);
        } else {
            r = sched_dispatch(&server, NULL, &m);
            if (r == -E_NOSYS)
                r = idl_reject(&m, -E_NOSYS);
        }
    }
}
