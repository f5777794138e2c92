/*
 * Tests of scheduling, run in user space on the real system (test=schedtest):
 * the kernel mechanism (priority preemption, round-robin fairness, affinity,
 * quantum events reaching a scheduler, a scheduler that dies, timers, refused
 * arguments) and the sched server's policy (a hog is demoted while a task that
 * sleeps keeps its wake-up latency; priority requests; statistics).
 *
 * Children are this same program started through init ("hog", "sleeper",
 * "scheduler" modes). Each waits at a gate (a call to our endpoint) so the
 * test can set its scheduling before it runs. Hogs are pinned to CPU 0 where
 * they must compete, so the tests mean the same with any number of CPUs; this
 * task runs at a higher priority than the hogs to keep watching them.
 */
#include <common/format.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/sched.h>
#include <tessera/syscall.h>
#define GUEST_TEST_NAME "schedtest"
#include "../guest_test.h"
#include "idl/init.h"
#include "idl/sched.h"

#define MS ((uint64_t)1000000)
#define HOG_PRIO 20          /* below this task (a normal task under sched) */
#define CHILD_TIMEOUT (20000 * MS)

static handle_t sched = HANDLE_NONE;   /* the sched server */
static handle_t gate = HANDLE_NONE;    /* children call it and wait for our go */
static uint32_t num_cpus = 1;



/* ---- helpers ---- */

static uint64_t cpu_time(handle_t task) {
    struct sched_info si;
    return sys_sched_info(task, &si) == 0 ? si.cpu_time_ns : 0;
}

static uint32_t task_id(handle_t task) {
    struct task_info ti;
    return sys_task_info(task, &ti) == 0 ? ti.id : 0;
}

struct child {
    handle_t task;
    uint32_t id;
    uint64_t token;   /* of its gate call; 0 once it has gone through */
};

/* Starts a child with a send handle to the gate and waits until it stands
 * there. With give != HANDLE_NONE that handle is given instead (no gate). */
static bool start_child(struct child *c, const char *args, handle_t give) {
    memset(c, 0, sizeof(*c));
    c->task = HANDLE_NONE;
    bool gated = give == HANDLE_NONE;
    if (gated) {
        long h = sys_handle_dup(gate, RIGHT_SEND | RIGHT_TRANSFER, 0);
        if (h < 0)
            return false;
        give = (handle_t)h;
    }
    int err = init_spawn(startup.bootstrap, "tests/schedtest", args, give, &c->task);
    if (err) {
        log_printf("schedtest: spawn %s: %s\n", args, err_str(err));
        return false;
    }
    c->id = task_id(c->task);
    if (!gated)
        return true;
    struct ipc_msg m;
    long r = sys_ipc(HANDLE_NONE, gate, &m, IPC_RECV, CHILD_TIMEOUT);
    if (r < 0 || m.sender != c->id || !(m.flags & IPC_MSG_CALL)) {
        log_printf("schedtest: %s did not reach its gate (%ld)\n", args, r);
        return false;
    }
    c->token = m.reply_token;
    return true;
}

static void open_gate(struct child *c) {
    if (!c->token)
        return;
    struct ipc_msg m;
    memset(&m, 0, sizeof(m));
    m.reply_token = c->token;
    ipc_reply(&m);
    c->token = 0;
}

static void end_child(struct child *c) {
    if (c->task == HANDLE_NONE)
        return;
    sys_task_kill(c->task);
    guest_wait_task(c->task, CHILD_TIMEOUT);
    sys_handle_close(c->task);
    c->task = HANDLE_NONE;
}

/* Hogs must run below this task, or it could not watch them on one CPU.
 * An earlier test that spun (wakeup_races) may have had this task demoted
 * by sched's policy; sleeping lifts it back a level per balance period, so
 * wait for that (up to 5 s) rather than fail on a busy host. */
static bool above_hogs(void) {
    struct sched_info me;
    for (int i = 0; i < 50; i++) {
        if (sys_sched_info(HANDLE_SELF, &me) == 0 && me.priority < HOG_PRIO)
            return true;
        sleep_ns(100 * MS);
    }
    log_printf("schedtest: this task runs at priority %d, not above the hogs (%d); is it under sched?\n",
               me.priority, HOG_PRIO);
    return false;
}

/* Sets a child's scheduling outright (it leaves the sched server's policy). */
static bool set_sched(struct child *c, int prio, int quantum_ms, int reset_ms, uint32_t affinity) {
    long err = sys_sched(c->task, prio, quantum_ms, reset_ms, affinity);
    if (err)
        log_printf("schedtest: sched(%d, %d, %d, 0x%x): %s\n", prio, quantum_ms, reset_ms, affinity, err_str(err));
    return err == 0;
}

/* Pins a child to CPU 0 and keeps what the policy gave it otherwise. */
static bool pin_keeping_policy(struct child *c) {
    struct sched_info si;
    return sys_sched_info(c->task, &si) == 0 && set_sched(c, si.priority, si.quantum_ms, si.reset_ms, 1);
}

/* ---- children ---- */

/* Waits at the gate: the parent replies once it has set our scheduling. */
static void pass_gate(void) {
    struct ipc_msg m;
    memset(&m, 0, sizeof(m));
    m.label = 1;
    ipc_call(startup.given, &m);
}

/* Runs until it has used cpu_ms of CPU time after the gate (0: forever). */
static int child_hog(uint64_t cpu_ms) {
    pass_gate();
    uint64_t end = cpu_time(HANDLE_SELF) + cpu_ms * MS;
    volatile uint64_t x = 0;
    for (;;) {
        for (int i = 0; i < 20000; i++)
            x += (uint64_t)i;
        if (cpu_ms && cpu_time(HANDLE_SELF) >= end)
            return 0;
    }
}

/* Sleeps `warmup_ms`, then `count` times period_ms, and exits with the
 * largest lateness of a wake-up in microseconds. */
static int child_sleeper(int count, uint64_t period_ms, uint64_t warmup_ms) {
    pass_gate();
    long ep = sys_endpoint_create();
    if (ep < 0)
        return 1000000;
    struct ipc_msg m;
    sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, warmup_ms * MS);
    uint64_t worst = 0;
    for (int i = 0; i < count; i++) {
        uint64_t start = sys_clock();
        if (sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, period_ms * MS) != -E_TIMEDOUT)
            return 1000001;
        uint64_t late = sys_clock() - start - period_ms * MS;
        if (late > worst)
            worst = late;
    }
    return worst / 1000 > 999999 ? 999999 : (int)(worst / 1000);
}

/* Becomes the scheduler of the task it was given, takes its first quantum
 * event and ends without answering it. */
static int child_scheduler(void) {
    handle_t task = startup.given;
    long ep = sys_endpoint_create();
    long send = ep < 0 ? ep : sys_handle_dup((handle_t)ep, RIGHT_SEND, 7);
    if (send < 0 || sys_task_set_scheduler(task, (handle_t)send) < 0)
        return 2;
    if (sys_sched(task, HOG_PRIO, 20, SCHED_ASK, 1) < 0)
        return 3;
    struct ipc_msg m;
    if (sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, CHILD_TIMEOUT) < 0)
        return 4;
    return m.label == SCHED_QUANTUM_LABEL && m.badge == 7 ? 0 : 5;
}

/* The far end of test_wakeup_races and of the cross-CPU benchmark: answers
 * calls on the endpoint it was given; a call may bring a handle to notify
 * back, and each notification is then answered with one. */
static int child_echo(void) {
    handle_t ep = startup.given, back = HANDLE_NONE;
    struct ipc_msg m;
    if (ipc_recv(ep, &m) < 0)
        return 2;
    for (;;) {
        if (m.nhandles == 1)
            back = m.handles[0];
        if (m.flags & IPC_MSG_NOTIFY) {
            if (sys_notify(back, 1) < 0)
                return 3;
            if (ipc_recv(ep, &m) < 0)
                return 4;
        } else {
            uint64_t token = m.reply_token;
            memset(&m, 0, IPC_HEADER_SIZE);
            m.reply_token = token;
            if (ipc_reply_recv(ep, &m) < 0)
                return 5;
        }
    }
}

#define BENCH_ITERS 20000

/* Benchmark: yields `count` times to a partner on the same CPU that does the
 * same; each yield is then two context switches (there and back). With
 * count 0 it yields forever and reports nothing. */
static int child_yielder(int count) {
    static uint64_t samples[BENCH_ITERS];
    pass_gate();
    if (count > BENCH_ITERS)
        count = BENCH_ITERS;
    for (int i = 0; i < 100; i++)   /* warm up */
        sys_yield();
    for (int i = 0; count == 0 || i < count; i++) {
        uint64_t t0 = guest_rdtsc();
        sys_yield();
        if (count)
            samples[i] = guest_rdtsc() - t0;
    }
    guest_bench_report("context_switch", samples, count, 2);
    return 0;
}

/* Benchmark: `count` calls to the echo child on the endpoint it was given. */
static int child_pinger(int count, const char *name) {
    static uint64_t samples[BENCH_ITERS];
    if (count > BENCH_ITERS)
        count = BENCH_ITERS;
    struct ipc_msg m;
    for (int i = 0; i < 100 + count; i++) {
        memset(&m, 0, IPC_HEADER_SIZE);
        m.label = 1;
        uint64_t t0 = guest_rdtsc();
        if (ipc_call(startup.given, &m) < 0)
            return 1;
        if (i >= 100)
            samples[i - 100] = guest_rdtsc() - t0;
    }
    guest_bench_report(name, samples, count, 1);
    return 0;
}

/* ---- tests ---- */

static void test_bad_input(void) {
    struct child c;
    EXPECT(start_child(&c, "hog 0", HANDLE_NONE));
    long ep = sys_endpoint_create();
    EXPECT(ep >= 0);
    long send = sys_handle_dup((handle_t)ep, RIGHT_SEND, 0);
    /* Without RIGHT_SCHED nothing may be set. */
    long noright = sys_handle_dup(c.task, RIGHT_WATCH | RIGHT_DUP | RIGHT_TRANSFER, 0);
    EXPECT(noright >= 0);
    EXPECT(sys_sched((handle_t)noright, HOG_PRIO, 10, 10, 1) == -E_PERM);
    EXPECT(sys_task_set_scheduler((handle_t)noright, (handle_t)send) == -E_PERM);
    /* Without RIGHT_WATCH its figures are private. */
    long schedonly = sys_handle_dup(c.task, RIGHT_SCHED, 0);
    struct sched_info si;
    EXPECT(schedonly >= 0 && sys_sched_info((handle_t)schedonly, &si) == -E_PERM);
    EXPECT(sys_sched(HANDLE_NONE, HOG_PRIO, 10, 10, 1) == -E_BADH);
    EXPECT(sys_sched((handle_t)ep, HOG_PRIO, 10, 10, 1) == -E_BADH);
    /* Priorities, quanta, resets and CPUs that do not exist. */
    EXPECT(sys_sched(c.task, SCHED_PRIORITIES, 10, 10, 1) == -E_INVAL);
    EXPECT(sys_sched(c.task, -1, 10, 10, 1) == -E_INVAL);
    EXPECT(sys_sched(c.task, HOG_PRIO, 0, 10, 1) == -E_INVAL);
    EXPECT(sys_sched(c.task, HOG_PRIO, -5, 10, 1) == -E_INVAL);
    EXPECT(sys_sched(c.task, HOG_PRIO, 10, -2, 1) == -E_INVAL);
    EXPECT(sys_sched(c.task, HOG_PRIO, 10, 0, 1) == -E_INVAL);
    EXPECT(sys_sched(c.task, HOG_PRIO, 10, 10, 0) == -E_INVAL);
    if (num_cpus < 32)
        EXPECT(sys_sched(c.task, HOG_PRIO, 10, 10, 1u << num_cpus) == -E_INVAL);
    /* A scheduler endpoint needs RIGHT_SEND; a task cannot schedule itself. */
    long recvonly = sys_handle_dup((handle_t)ep, RIGHT_RECV | RIGHT_TRANSFER, 0);
    EXPECT(sys_task_set_scheduler(c.task, (handle_t)recvonly) == -E_PERM);
    /* The refused calls changed nothing. */
    struct sched_info before, after;
    EXPECT(sys_sched_info(c.task, &before) == 0);
    EXPECT(sys_sched(c.task, 40, 10, 10, 1) == -E_INVAL);
    EXPECT(sys_sched_info(c.task, &after) == 0 && after.priority == before.priority &&
           after.quantum_ms == before.quantum_ms && after.affinity == before.affinity);

    /* Timers. */
    long notify_less = sys_handle_dup((handle_t)ep, RIGHT_SEND, 0);
    EXPECT(sys_timer_create((handle_t)notify_less, 1) == -E_PERM);
    EXPECT(sys_timer_create((handle_t)ep, 0) == -E_INVAL);
    long timer = sys_timer_create((handle_t)ep, 1);
    EXPECT(timer >= 0);
    EXPECT(sys_timer_set((handle_t)timer, 10 * MS, 1000) == -E_INVAL);   /* a 1 us period */
    EXPECT(sys_timer_set(c.task, 10 * MS, 0) == -E_BADH);

    /* The sched server refuses what it must and goes on serving. */
    if (sched != HANDLE_NONE) {
        EXPECT(sched_add(sched, (handle_t)noright, SCHED_CLASS_NORMAL) == -E_PERM);
        noright = -1;   /* moved */
        long ok = sys_handle_dup(c.task, RIGHT_SCHED | RIGHT_WATCH | RIGHT_TRANSFER, 0);
        EXPECT(sched_add(sched, (handle_t)ok, 9) == -E_INVAL);
        long ep2 = sys_handle_dup((handle_t)ep, RIGHT_SEND | RIGHT_TRANSFER, 0);
        EXPECT(sched_add(sched, (handle_t)ep2, SCHED_CLASS_NORMAL) == -E_BADH);
        EXPECT(sched_add(sched, HANDLE_NONE, SCHED_CLASS_NORMAL) == -E_INVAL);
        int32_t granted = 0;
        EXPECT(sched_request_priority(sched, SCHED_PRIORITIES, &granted) == -E_INVAL);
        EXPECT(sched_request_priority(sched, -1, &granted) == -E_INVAL);
        /* A normal task changes no one else's class, and cannot raise its own. */
        EXPECT(sched_set_class(sched, c.id, SCHED_CLASS_INTERACTIVE) == -E_PERM);
        EXPECT(sched_set_class(sched, task_id(HANDLE_SELF), SCHED_CLASS_SYSTEM) == -E_PERM);
        EXPECT(sched_set_class(sched, task_id(HANDLE_SELF), 9) == -E_INVAL);
        /* A quantum event made up by a task, and a message of no interface. */
        struct ipc_msg m;
        memset(&m, 0, sizeof(m));
        m.label = SCHED_QUANTUM_LABEL;
        m.len = sizeof(struct sched_event);
        EXPECT(ipc_call(sched, &m) == 0 && m.label == -E_PERM);
        memset(&m, 0, sizeof(m));
        m.label = SCHED_SET_CLASS_LABEL;   /* cut short */
        m.len = 3;
        EXPECT(ipc_call(sched, &m) == 0 && m.label == -E_INVAL);
        memset(&m, 0, sizeof(m));
        m.label = 0x123456;
        m.len = 200;
        EXPECT(ipc_call(sched, &m) == 0 && m.label == -E_NOSYS);
        uint32_t id = 0, class = 0, cpu = 0;
        int32_t prio = 0;
        uint64_t t = 0, ex = 0;
        char name[32];
        EXPECT(sched_task_stats(sched, 100000, &id, name, sizeof(name), &class, &prio, &cpu, &t, &ex) == -E_NOENT);
    }
    end_child(&c);
    if (noright >= 0)
        sys_handle_close((handle_t)noright);
    sys_handle_close((handle_t)schedonly);
    sys_handle_close((handle_t)recvonly);
    sys_handle_close((handle_t)notify_less);
    sys_handle_close((handle_t)timer);
    sys_handle_close((handle_t)send);
    sys_handle_close((handle_t)ep);
}

static void test_priority_preemption(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    struct child low, high;
    EXPECT(start_child(&low, "hog 150", HANDLE_NONE));
    EXPECT(start_child(&high, "hog 150", HANDLE_NONE));
    EXPECT(set_sched(&low, HOG_PRIO + 4, 20, 20, 1));
    EXPECT(set_sched(&high, HOG_PRIO, 20, 20, 1));
    if (current_failed) {
        end_child(&low);
        end_child(&high);
        return;
    }
    uint64_t low_start = cpu_time(low.task);
    open_gate(&low);   /* the low one first: it must still wait */
    open_gate(&high);
    EXPECT(guest_wait_task(high.task, CHILD_TIMEOUT) == 0);
    uint64_t low_ran = cpu_time(low.task) - low_start;
    struct task_info ti;
    EXPECT(sys_task_info(low.task, &ti) == 0 && ti.state != TASK_STATE_DEAD);
    if (low_ran > 15 * MS)
        log_printf("schedtest: the low hog ran %lu ms before the high one finished\n", low_ran / MS);
    EXPECT(low_ran <= 15 * MS);
    EXPECT(guest_wait_task(low.task, CHILD_TIMEOUT) == 0);
    end_child(&low);
    end_child(&high);
}

/*
 * Two endless hogs at HOG_PRIO with quantum_ms, on the CPUs of affinity_a
 * and affinity_b: after warm_ms under way, the CPU time each gets in
 * window_ms (and the wall time that took). False if they could not be set up.
 */
static bool run_two_hogs(int quantum_ms, uint32_t affinity_a, uint32_t affinity_b, uint64_t warm_ms,
                         uint64_t window_ms, uint64_t *da, uint64_t *db, uint64_t *wall) {
    struct child a, b;
    EXPECT(start_child(&a, "hog 0", HANDLE_NONE));
    EXPECT(start_child(&b, "hog 0", HANDLE_NONE));
    EXPECT(set_sched(&a, HOG_PRIO, quantum_ms, quantum_ms, affinity_a));
    EXPECT(set_sched(&b, HOG_PRIO, quantum_ms, quantum_ms, affinity_b));
    bool ok = !current_failed;
    if (ok) {
        open_gate(&a);
        open_gate(&b);
        sleep_ns(warm_ms * MS);
        uint64_t a0 = cpu_time(a.task), b0 = cpu_time(b.task), t0 = sys_clock();
        sleep_ns(window_ms * MS);
        *da = cpu_time(a.task) - a0;
        *db = cpu_time(b.task) - b0;
        *wall = sys_clock() - t0;
    }
    end_child(&a);
    end_child(&b);
    return ok;
}

static void test_round_robin_fairness(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    uint64_t da, db, wall;
    if (run_two_hogs(30, 1, 1, 100, 2000, &da, &db, &wall)) {
        uint64_t mean = (da + db) / 2, diff = da > db ? da - db : db - da;
        log_printf("schedtest: two hogs on one CPU: %lu and %lu ms in %lu ms\n", da / MS, db / MS, wall / MS);
        /* Each within 10% of an even share. (Under TCG a host stall is
         * charged to whichever hog runs, so both are measured over 2 s.) */
        EXPECT(diff * 10 <= mean * 2);
        EXPECT((da + db) * 10 >= wall * 8);     /* and they had the CPU */
    }
}

static bool cpus_within(handle_t task, uint32_t mask, int samples) {
    bool ok = true;
    for (int i = 0; i < samples; i++) {
        struct sched_info si;
        if (sys_sched_info(task, &si) < 0 || si.cpu >= 32 || !(mask & (1u << si.cpu))) {
            log_printf("schedtest: on CPU %u, outside mask 0x%x\n", si.cpu, mask);
            ok = false;
        }
        sleep_ns(15 * MS);
    }
    return ok;
}

static void test_affinity_pinning(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    struct child c;
    EXPECT(start_child(&c, "hog 0", HANDLE_NONE));
    EXPECT(set_sched(&c, HOG_PRIO, 20, 20, 1));
    open_gate(&c);
    sleep_ns(30 * MS);
    EXPECT(cpus_within(c.task, 1, 10));
    struct sched_info si;
    EXPECT(sys_sched_info(c.task, &si) == 0 && si.affinity == 1);
    /* Moved: it follows its mask to every other CPU in turn. */
    for (uint32_t cpu = 1; cpu < num_cpus && cpu < 32; cpu++) {
        EXPECT(set_sched(&c, HOG_PRIO, 20, 20, 1u << cpu));
        sleep_ns(40 * MS);
        uint64_t before = cpu_time(c.task);
        EXPECT(cpus_within(c.task, 1u << cpu, 6));
        EXPECT(cpu_time(c.task) > before);   /* and runs there */
    }
    /* Any CPU again is accepted and reported as the CPUs there are. */
    EXPECT(set_sched(&c, HOG_PRIO, 20, 20, SCHED_AFFINITY_ANY));
    uint32_t all = num_cpus >= 32 ? 0xffffffffu : (1u << num_cpus) - 1;
    EXPECT(sys_sched_info(c.task, &si) == 0 && si.affinity == all);
    EXPECT(cpus_within(c.task, all, 3));
    end_child(&c);
}

/* With more than one CPU: hogs pinned to different CPUs run at the same time. */
static void test_smp_parallel(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    uint64_t da, db, wall;
    if (run_two_hogs(20, 1, 2, 50, 600, &da, &db, &wall)) {
        log_printf("schedtest: hogs on CPU 0 and 1: %lu and %lu ms in %lu ms\n", da / MS, db / MS, wall / MS);
        EXPECT(da * 10 >= wall * 7 && db * 10 >= wall * 7);
    }
}

static void test_quantum_event_reaches_scheduler(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    struct child c;
    EXPECT(start_child(&c, "hog 0", HANDLE_NONE));
    long ep = sys_endpoint_create();
    long send = ep < 0 ? ep : sys_handle_dup((handle_t)ep, RIGHT_SEND, 0x5eed);
    EXPECT(send >= 0 && sys_task_set_scheduler(c.task, (handle_t)send) == 0);
    sys_handle_close((handle_t)send);   /* the kernel holds its own reference */
    EXPECT(set_sched(&c, HOG_PRIO, 20, SCHED_ASK, 1));
    if (current_failed) {
        end_child(&c);
        return;
    }
    open_gate(&c);
    uint64_t last_cpu = 0, last_ex = 0;
    for (int round = 0; round < 3; round++) {
        struct ipc_msg m;
        long r = sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 5000 * MS);
        EXPECT(r == 0);
        if (r)
            break;
        struct sched_event ev;
        memcpy(&ev, m.data, sizeof(ev));
        EXPECT(m.label == SCHED_QUANTUM_LABEL && (m.flags & IPC_MSG_CALL) && m.badge == 0x5eed);
        EXPECT(m.len == sizeof(ev) && m.nhandles == 0);
        EXPECT(ev.task_id == c.id && ev.cpu == 0);
        EXPECT(ev.exhaustions == last_ex + 1 || (round == 0 && ev.exhaustions >= 1));
        EXPECT(ev.cpu_time_ns >= last_cpu + 19 * MS);   /* one quantum more */
        /* It waits for us: no more CPU time until we answer. */
        struct sched_info si;
        EXPECT(sys_sched_info(c.task, &si) == 0 && si.waiting == 1);
        sleep_ns(30 * MS);
        EXPECT(cpu_time(c.task) - ev.cpu_time_ns < 2 * MS);
        last_cpu = ev.cpu_time_ns;
        last_ex = ev.exhaustions;
        /* The answer: a new quantum, then the reply. */
        EXPECT(set_sched(&c, HOG_PRIO, 20, SCHED_ASK, 1));
        m.label = 0;
        m.len = 0;
        m.nhandles = 0;
        EXPECT(ipc_reply(&m) == 0);
    }
    /* Killed while it waits for us: the kernel cleans up. */
    struct ipc_msg m;
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 5000 * MS) == 0);
    end_child(&c);
    m.label = 0;
    m.len = 0;
    m.nhandles = 0;
    ipc_reply(&m);   /* to nobody: must not matter */
    sys_handle_close((handle_t)ep);
}

static void test_dead_scheduler_falls_back(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    struct child hog, scheduler;
    EXPECT(start_child(&hog, "hog 200", HANDLE_NONE));
    long h = sys_handle_dup(hog.task, RIGHT_SCHED | RIGHT_WATCH | RIGHT_TRANSFER, 0);
    EXPECT(h >= 0 && start_child(&scheduler, "scheduler", (handle_t)h));
    /* The scheduler child is set once the hog's quantum reads 20 ms, asked for. */
    bool ready = false;
    for (int i = 0; i < 400 && !ready && !current_failed; i++) {
        struct sched_info si;
        ready = sys_sched_info(hog.task, &si) == 0 && si.quantum_ms == 20 && si.reset_ms == SCHED_ASK;
        if (!ready)
            sleep_ns(10 * MS);
    }
    EXPECT(ready);
    open_gate(&hog);
    EXPECT(guest_wait_task(scheduler.task, CHILD_TIMEOUT) == 0);   /* it had the event, then died */
    EXPECT(guest_wait_task(hog.task, CHILD_TIMEOUT) == 0);         /* and the hog still finished */
    end_child(&scheduler);
    end_child(&hog);
}

/* Is the child among the sched server's statistics? Fills its entry. */
static bool find_stats(uint32_t id, uint32_t *class, int32_t *prio, uint64_t *exhaustions) {
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t tid = 0, cls = 0, cpu = 0;
        int32_t p = 0;
        uint64_t t = 0, ex = 0;
        char name[32];
        if (sched_task_stats(sched, i, &tid, name, sizeof(name), &cls, &p, &cpu, &t, &ex))
            return false;
        if (tid == id) {
            *class = cls;
            *prio = p;
            *exhaustions = ex;
            return !strcmp(name, "schedtest");
        }
    }
    return false;
}

static void test_policy_demotes_hog_keeps_latency(void) {
    EXPECT(above_hogs());
    if (current_failed)
        return;
    struct sched_info me;
    EXPECT(sched != HANDLE_NONE && sys_sched_info(HANDLE_SELF, &me) == 0);
    struct child hogs[2], sleeper;
    for (int i = 0; i < 2; i++)
        EXPECT(start_child(&hogs[i], "hog 0", HANDLE_NONE));
    EXPECT(start_child(&sleeper, "sleeper 10 20 400", HANDLE_NONE));
    /* All three share CPU 0 under the policy the sched server gave them. */
    for (int i = 0; i < 2; i++)
        EXPECT(pin_keeping_policy(&hogs[i]));
    EXPECT(pin_keeping_policy(&sleeper));
    if (!current_failed) {
        open_gate(&hogs[0]);
        open_gate(&hogs[1]);
        open_gate(&sleeper);
        int worst_us = guest_wait_task(sleeper.task, CHILD_TIMEOUT);
        log_printf("schedtest: worst wake-up lateness next to two hogs: %d us\n", worst_us);
        EXPECT(worst_us != GUEST_TIMED_OUT && worst_us >= 0 && worst_us < 2 * SCHED_SLICE_MS * 1000);
        for (int i = 0; i < 2; i++) {
            struct sched_info si;
            uint32_t class = 99;
            int32_t prio = -1;
            uint64_t ex = 0;
            EXPECT(sys_sched_info(hogs[i].task, &si) == 0);
            log_printf("schedtest: hog %d: priority %d (this task %d), %lu exhaustions\n", i, si.priority,
                       me.priority, si.exhaustions);
            EXPECT(si.priority > me.priority);   /* demoted below a normal task that sleeps */
            EXPECT(si.reset_ms == SCHED_ASK && si.affinity == 1);
            EXPECT(find_stats(hogs[i].id, &class, &prio, &ex));
            EXPECT(class == SCHED_CLASS_NORMAL && ex > 0 && prio > me.priority);
        }
    }
    end_child(&sleeper);
    for (int i = 0; i < 2; i++)
        end_child(&hogs[i]);
}

static void test_request_priority(void) {
    EXPECT(sched != HANDLE_NONE);
    if (current_failed)
        return;
    struct sched_info before, si;
    EXPECT(sys_sched_info(HANDLE_SELF, &before) == 0);
    int32_t granted = -1;
    /* Lower is always granted... */
    EXPECT(sched_request_priority(sched, 26, &granted) == 0 && granted == 26);
    EXPECT(sys_sched_info(HANDLE_SELF, &si) == 0 && si.priority == 26);
    /* ...higher only up to what the class allows (here: where we started). */
    EXPECT(sched_request_priority(sched, 0, &granted) == 0 && granted == before.priority);
    EXPECT(sys_sched_info(HANDLE_SELF, &si) == 0 && si.priority == before.priority);
}

static void test_timer_one_shot(void) {
    long ep = sys_endpoint_create();
    long timer = ep < 0 ? ep : sys_timer_create((handle_t)ep, 1u << 5);
    EXPECT(timer >= 0);
    if (current_failed)
        return;
    struct ipc_msg m;
    uint64_t start = sys_clock();
    EXPECT(sys_timer_set((handle_t)timer, 50 * MS, 0) == 0);
    long r = sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 1000 * MS);
    uint64_t took = sys_clock() - start;
    uint64_t bits = 0;
    memcpy(&bits, m.data, sizeof(bits));
    EXPECT(r == 0 && (m.flags & IPC_MSG_NOTIFY) && bits == (1u << 5));
    log_printf("schedtest: a 50 ms one-shot timer fired after %lu us\n", took / 1000);
    EXPECT(took >= 50 * MS && took <= 70 * MS);
    struct timer_info ti;
    EXPECT(sys_timer_get((handle_t)timer, &ti) == 0 && ti.fired == 1 && ti.left_ns == 0 && ti.interval_ns == 0);
    /* Fires once only. */
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 80 * MS) == -E_TIMEDOUT);
    /* Disarmed before it fires: says what was left, and stays quiet. */
    EXPECT(sys_timer_set((handle_t)timer, 30 * MS, 0) == 0);
    long left = sys_timer_set((handle_t)timer, 0, 0);
    EXPECT(left > 0 && left <= (long)(30 * MS));
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 60 * MS) == -E_TIMEDOUT);
    /* A closed timer never fires. */
    EXPECT(sys_timer_set((handle_t)timer, 10 * MS, 0) == 0);
    sys_handle_close((handle_t)timer);
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 40 * MS) == -E_TIMEDOUT);
    sys_handle_close((handle_t)ep);
}

static void test_timer_interval(void) {
    long ep = sys_endpoint_create();
    long timer = ep < 0 ? ep : sys_timer_create((handle_t)ep, 2);
    EXPECT(timer >= 0);
    if (current_failed)
        return;
    struct ipc_msg m;
    struct timer_info ti = {0};
    uint64_t start = sys_clock(), took = 0;
    EXPECT(sys_timer_set((handle_t)timer, 20 * MS, 20 * MS) == 0);
    int notes = 0;
    while (!current_failed && ti.fired < 10) {
        long r = sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 1000 * MS);
        EXPECT(r == 0 && (m.flags & IPC_MSG_NOTIFY));
        took = sys_clock() - start;
        notes++;
        EXPECT(sys_timer_get((handle_t)timer, &ti) == 0);
    }
    log_printf("schedtest: 10 periods of 20 ms took %lu us (%d notifications)\n", took / 1000, notes);
    EXPECT(ti.fired == 10 && ti.interval_ns == 20 * MS && ti.left_ns > 0);
    EXPECT(took >= 200 * MS && took <= 240 * MS);
    EXPECT(notes >= 8);   /* a notification per period, give or take a coalesced one */
    /* Disarmed, it stays quiet. */
    EXPECT(sys_timer_set((handle_t)timer, 0, 0) > 0);
    EXPECT(sys_timer_get((handle_t)timer, &ti) == 0 && ti.left_ns == 0);
    while (sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV | IPC_NONBLOCK, 0) == 0)
        ;   /* a notification that raced the disarm */
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 60 * MS) == -E_TIMEDOUT);
    sys_handle_close((handle_t)timer);
    sys_handle_close((handle_t)ep);
}

/*
 * The classic lost wake-ups (Codezero's list): a wake-up that arrives while
 * its target is on its way to sleep, on the same CPU or another one. A lost
 * one shows as a timeout. The partner is pinned to the last CPU, so with
 * more than one CPU every round crosses CPUs both ways.
 */
#define RACE_ROUNDS 2000
static void test_wakeup_races(void) {
    long ep = sys_endpoint_create();
    long back = sys_endpoint_create();
    long recv = ep < 0 ? ep : sys_handle_dup((handle_t)ep, RIGHT_RECV | RIGHT_TRANSFER, 0);
    long notify = back < 0 ? back : sys_handle_dup((handle_t)back, RIGHT_NOTIFY | RIGHT_TRANSFER, 0);
    EXPECT(ep >= 0 && back >= 0 && recv >= 0 && notify >= 0);
    if (current_failed)
        return;
    struct child c;
    EXPECT(start_child(&c, "echo", (handle_t)recv));
    EXPECT(set_sched(&c, HOG_PRIO - 6, 20, 20, 1u << (num_cpus - 1)));
    struct ipc_msg m;
    if (current_failed) {
        end_child(&c);
        return;
    }
    int lost = 0;
    /* Calls: the partner is woken by the call, we by the reply. The first
     * one carries the handle the partner notifies us with. */
    for (int i = 0; i < RACE_ROUNDS && !current_failed; i++) {
        memset(&m, 0, sizeof(m));
        m.label = 1;
        if (i == 0) {
            m.nhandles = 1;
            m.handles[0] = (handle_t)notify;
        }
        long r = sys_ipc((handle_t)ep, HANDLE_NONE, &m, IPC_CALL, 2000 * MS);
        if (r != 0) {
            log_printf("schedtest: call %d: %s\n", i, err_str((int)r));
            lost++;
            break;
        }
    }
    /* Notifications both ways: each side posts while the other may be
     * between deciding to sleep and sleeping. */
    for (int i = 0; i < RACE_ROUNDS && !lost; i++) {
        EXPECT(sys_notify((handle_t)ep, 1) == 0);
        long r = sys_ipc(HANDLE_NONE, (handle_t)back, &m, IPC_RECV, 2000 * MS);
        if (r != 0 || !(m.flags & IPC_MSG_NOTIFY)) {
            log_printf("schedtest: notification %d: %s\n", i, r ? err_str((int)r) : "not a notification");
            lost++;
        }
    }
    /* Self-wake-up: a timer that fires before we get to sleep. */
    long timer = sys_timer_create((handle_t)back, 2);
    EXPECT(timer >= 0);
    for (int i = 0; i < 200 && timer >= 0 && !lost; i++) {
        EXPECT(sys_timer_set((handle_t)timer, 1000, 0) == 0);
        long r = sys_ipc(HANDLE_NONE, (handle_t)back, &m, IPC_RECV, 2000 * MS);
        if (r != 0) {
            log_printf("schedtest: timer %d: %s\n", i, err_str((int)r));
            lost++;
        }
    }
    EXPECT(lost == 0);
    if (timer >= 0)
        sys_handle_close((handle_t)timer);
    end_child(&c);
    sys_handle_close((handle_t)ep);
    sys_handle_close((handle_t)back);
}

/* A task killed while it runs on another CPU: that CPU must go on taking
 * interrupts (timer, wake-ups) and running what it is given. */
static void test_kill_running_on_every_cpu(void) {
    EXPECT(above_hogs());
    for (uint32_t cpu = 0; cpu < num_cpus && cpu < 32 && !current_failed; cpu++) {
        for (int round = 0; round < 3 && !current_failed; round++) {
            struct child c;
            EXPECT(start_child(&c, "hog 0", HANDLE_NONE));
            EXPECT(set_sched(&c, HOG_PRIO, 20, 20, 1u << cpu));
            open_gate(&c);
            uint64_t before = cpu_time(c.task);
            sleep_ns(40 * MS);
            uint64_t ran = cpu_time(c.task) - before;
            if (ran < 10 * MS)
                log_printf("schedtest: a hog pinned to CPU %u ran %lu ms of 40 (round %d)\n", cpu, ran / MS, round);
            EXPECT(ran >= 10 * MS);
            end_child(&c);
        }
    }
}

/* bench=schedtest/switch: context switch on one CPU; with two CPUs or more,
 * an IPC round trip across CPUs (each way a remote wake-up: IPI, halt exit,
 * switch) next to the same round trip on one CPU. */
static int bench_switch(void) {
    struct child a, b;
    bool ok = start_child(&a, "yielder 20000", HANDLE_NONE) && start_child(&b, "yielder 0", HANDLE_NONE) &&
              set_sched(&a, HOG_PRIO - 4, 100, 100, 1) && set_sched(&b, HOG_PRIO - 4, 100, 100, 1);
    if (ok) {
        open_gate(&b);
        open_gate(&a);
        ok = guest_wait_task(a.task, CHILD_TIMEOUT) == 0;
    }
    end_child(&a);
    end_child(&b);
    for (uint32_t far = num_cpus > 1 ? 1 : 0;; far = 0) {
        long ep = sys_endpoint_create();
        long recv = ep < 0 ? ep : sys_handle_dup((handle_t)ep, RIGHT_RECV | RIGHT_TRANSFER, 0);
        long send = ep < 0 ? ep : sys_handle_dup((handle_t)ep, RIGHT_SEND | RIGHT_TRANSFER, 0);
        struct child echo, pinger;
        const char *what = far ? "pinger 20000 ipc_roundtrip_cross_cpu" : "pinger 20000 ipc_roundtrip_same_cpu";
        ok = ok && recv >= 0 && send >= 0 && start_child(&echo, "echo", (handle_t)recv) &&
             set_sched(&echo, HOG_PRIO - 4, 100, 100, 1u << far) &&
             start_child(&pinger, what, (handle_t)send) && set_sched(&pinger, HOG_PRIO - 4, 100, 100, 1) &&
             guest_wait_task(pinger.task, CHILD_TIMEOUT) == 0;
        end_child(&pinger);
        end_child(&echo);
        if (ep >= 0)
            sys_handle_close((handle_t)ep);
        if (!far)
            break;
    }
    log_printf("bench: %s\n", ok ? "done" : "failed");
    return ok ? 0 : 1;
}

static long number(const char *s) {
    long n = 0;
    while (s && *s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "hog"))
        return child_hog((uint64_t)number(argv[2]));
    if (argc > 4 && !strcmp(argv[1], "sleeper"))
        return child_sleeper((int)number(argv[2]), (uint64_t)number(argv[3]), (uint64_t)number(argv[4]));
    if (argc > 1 && !strcmp(argv[1], "scheduler"))
        return child_scheduler();
    if (argc > 1 && !strcmp(argv[1], "echo"))
        return child_echo();
    if (argc > 2 && !strcmp(argv[1], "yielder"))
        return child_yielder((int)number(argv[2]));
    if (argc > 3 && !strcmp(argv[1], "pinger"))
        return child_pinger((int)number(argv[2]), argv[3]);

    struct cpu_info ci;
    if (sys_cpu_info(&ci) == 0 && ci.num_cpus > 0)
        num_cpus = ci.num_cpus;
    int err = init_lookup(startup.bootstrap, "sched", &sched);
    if (err)
        log_printf("schedtest: no sched service (%s)\n", err_str(err));
    long g = sys_endpoint_create();
    if (g < 0) {
        log_printf("schedtest: cannot create an endpoint\n");
        return 1;
    }
    gate = (handle_t)g;
    if (argc > 2 && !strcmp(argv[1], "bench") && !strcmp(argv[2], "switch"))
        return bench_switch();
    struct sched_info me;
    sys_sched_info(HANDLE_SELF, &me);
    log_printf("schedtest: %u CPU(s); this task runs at priority %d, quantum %d ms%s\n", num_cpus, me.priority,
               me.quantum_ms, me.reset_ms == SCHED_ASK ? " (under a scheduler)" : "");
    if (me.priority >= HOG_PRIO)
        log_printf("schedtest: warning: hogs at priority %d would not let this task run\n", HOG_PRIO);

    run("timer_one_shot", test_timer_one_shot);
    run("timer_interval", test_timer_interval);
    run("bad_input", test_bad_input);
    run("priority_preemption", test_priority_preemption);
    run("round_robin_fairness", test_round_robin_fairness);
    run("affinity_pinning", test_affinity_pinning);
    if (num_cpus > 1)
        run("smp_parallel", test_smp_parallel);
    run("quantum_event_reaches_scheduler", test_quantum_event_reaches_scheduler);
    run("dead_scheduler_falls_back", test_dead_scheduler_falls_back);
    run("policy_demotes_hog_keeps_latency", test_policy_demotes_hog_keeps_latency);
    run("request_priority", test_request_priority);
    run("wakeup_races", test_wakeup_races);
    run("kill_running_on_every_cpu", test_kill_running_on_every_cpu);
    return guest_done();
}
