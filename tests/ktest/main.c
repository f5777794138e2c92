/*
 * The kernel test suite, in user space on the real kernel. Prints
 * "ktest: PASS name" / "ktest: FAIL name: why" per test and a closing
 * "ktest: done N passed, M failed"; the exit status is the failure count.
 */
#include <common/format.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#define GUEST_TEST_NAME "ktest"
#include "../guest_test.h"
#include "idl/init.h"
#include "idl/ktest.h"
#include "ktest.h"

#define MS 1000000ull




/* ---- helpers ---- */

static handle_t spawn(const char *args, handle_t give) {
    handle_t task = HANDLE_NONE;
    int err = init_spawn(startup.bootstrap, "tests/ktest", args, give, &task);
    EXPECT(err == 0);
    return err == 0 ? task : HANDLE_NONE;
}


/* An echo server child; returns our send handle to it. */
static handle_t start_echo(handle_t *task) {
    long ep = sys_endpoint_create();
    EXPECT(ep > 0);
    long recv = sys_handle_dup((handle_t)ep, RIGHT_RECV | RIGHT_TRANSFER, 0);
    long send = sys_handle_dup((handle_t)ep, RIGHT_SEND | RIGHT_DUP, 0);
    EXPECT(recv > 0 && send > 0);
    sys_handle_close((handle_t)ep);   /* the child is the only receiver */
    *task = spawn("echo", (handle_t)recv);
    return (handle_t)send;
}

static void stop(handle_t task) {
    sys_task_kill(task);
    sys_handle_close(task);
}

/* ---- tests ---- */

static void test_ipc_call_reply(void) {
    handle_t task, ep = start_echo(&task);
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t y = 0;
        EXPECT(ktest_echo_ping(ep, i, &y) == 0 && y == i + 1);
    }
    char out[KTEST_ECHO_ECHO_S2_MAX];
    uint64_t x2 = 0;
    EXPECT(ktest_echo_echo(ep, 5, "hello, server", &x2, out, sizeof(out)) == 0);
    EXPECT(!strcmp(out, "hello, server") && x2 == 5);
    stop(task);
}

static void test_ipc_badge(void) {
    handle_t task, ep = start_echo(&task);
    long badged = sys_handle_dup(ep, RIGHT_SEND | RIGHT_DUP, 0x1234);
    EXPECT(badged > 0);
    char out[KTEST_ECHO_ECHO_S2_MAX];
    uint64_t x2 = 0;
    EXPECT(ktest_echo_echo((handle_t)badged, 0, "b", &x2, out, sizeof(out)) == 0 && x2 == 0x1234);
    /* A badged handle keeps its badge: re-badging is refused. */
    EXPECT(sys_handle_dup((handle_t)badged, RIGHT_SEND, 0x9999) == -E_PERM);
    EXPECT(sys_handle_dup((handle_t)badged, RIGHT_SEND, 0x1234) > 0);
    stop(task);
}

static void test_ipc_nonblock_and_timeout(void) {
    long ep = sys_endpoint_create();
    struct ipc_msg m;
    memset(&m, 0, sizeof(m));
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV | IPC_NONBLOCK, 0) == -E_AGAIN);
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, IPC_SEND | IPC_NONBLOCK, 0) == -E_AGAIN);
    uint64_t t0 = sys_clock();
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 30 * MS) == -E_TIMEDOUT);
    uint64_t dt = sys_clock() - t0;
    EXPECT(dt >= 30 * MS && dt < 2000 * MS);
    t0 = sys_clock();
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, IPC_SEND, 20 * MS) == -E_TIMEDOUT);
    EXPECT(sys_clock() - t0 >= 20 * MS);
    sys_handle_close((handle_t)ep);
}

static void test_ipc_bad_arguments(void) {
    long ep = sys_endpoint_create();
    struct ipc_msg m;
    memset(&m, 0, sizeof(m));
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, NULL, IPC_RECV | IPC_NONBLOCK, 0) == -E_FAULT);
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, (struct ipc_msg *)0xffffffff80100000ull,
                   IPC_RECV | IPC_NONBLOCK, 0) == -E_FAULT);
    EXPECT(sys_ipc((handle_t)ep, (handle_t)ep, &m, IPC_CALL | IPC_RECV, 0) == -E_INVAL);
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, 0, 0) == -E_INVAL);
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, 0x400, 0) == -E_INVAL);
    m.len = IPC_DATA_MAX + 1;
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, IPC_SEND | IPC_NONBLOCK, 0) == -E_INVAL);
    m.len = 0;
    m.nhandles = IPC_HANDLES_MAX + 1;
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, IPC_SEND | IPC_NONBLOCK, 0) == -E_INVAL);
    m.nhandles = 1;
    m.handles[0] = 0x7777;
    EXPECT(sys_ipc((handle_t)ep, HANDLE_NONE, &m, IPC_SEND | IPC_NONBLOCK, 0) == -E_BADH);
    m.nhandles = 0;
    m.reply_token = 0x123456789ull;   /* nobody waits for this reply */
    EXPECT(sys_ipc(HANDLE_NONE, HANDLE_NONE, &m, IPC_REPLY, 0) == -E_PEER);
    sys_handle_close((handle_t)ep);
}

static void test_notifications(void) {
    long ep = sys_endpoint_create();
    EXPECT(sys_notify((handle_t)ep, 0x5) == 0);
    EXPECT(sys_notify((handle_t)ep, 0x100) == 0);
    struct ipc_msg m;
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV | IPC_NONBLOCK, 0) == 0);
    uint64_t bits = 0;
    memcpy(&bits, m.data, 8);
    EXPECT((m.flags & IPC_MSG_NOTIFY) && m.label == IPC_LABEL_NOTIFY && bits == 0x105);
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV | IPC_NONBLOCK, 0) == -E_AGAIN);
    long send_only = sys_handle_dup((handle_t)ep, RIGHT_SEND, 0);
    EXPECT(sys_notify((handle_t)send_only, 1) == -E_PERM);
    sys_handle_close((handle_t)ep);
    sys_handle_close((handle_t)send_only);
}

static void test_handle_transfer(void) {
    handle_t task, ep = start_echo(&task);
    handle_t mem;
    uint8_t *p = mem_alloc(8192, &mem);
    EXPECT(p != NULL);
    uint64_t expect = 0;
    for (int i = 0; i < 8192; i++) {
        p[i] = (uint8_t)(i * 7);
        expect += p[i];
    }
    uint64_t sum = 0;
    EXPECT(ktest_echo_sum(ep, mem, 8192, &sum) == 0 && sum == expect);
    struct handle_info info;
    EXPECT(sys_handle_info(mem, &info) == -E_BADH);   /* moved, not copied */
    /* A handle coming back in a reply. */
    handle_t got = HANDLE_NONE;
    EXPECT(ktest_echo_make_endpoint(ep, &got) == 0 && got > 0);
    EXPECT(sys_handle_info(got, &info) == 0 && info.type == KOBJ_ENDPOINT);
    /* A handle without the transfer right stays put, and nothing is sent. */
    long pinned = sys_handle_dup(ep, RIGHT_SEND, 0);
    struct ipc_msg m;
    memset(&m, 0, sizeof(m));
    m.label = KTEST_ECHO_PING_LABEL;
    m.nhandles = 1;
    m.handles[0] = (handle_t)pinned;
    EXPECT(ipc_call(ep, &m) == -E_PERM);
    EXPECT(sys_handle_info((handle_t)pinned, &info) == 0);
    /* The same handle twice in one message is refused. */
    handle_t mem2;
    EXPECT(mem_alloc(4096, &mem2) != NULL);
    m.nhandles = 2;
    m.handles[0] = m.handles[1] = mem2;
    EXPECT(ipc_call(ep, &m) == -E_INVAL);
    EXPECT(sys_handle_info(mem2, &info) == 0);
    stop(task);
}

static void test_handle_rights(void) {
    long ep = sys_endpoint_create();
    struct ipc_msg m;
    long send_only = sys_handle_dup((handle_t)ep, RIGHT_SEND, 0);
    EXPECT(sys_ipc(HANDLE_NONE, (handle_t)send_only, &m, IPC_RECV | IPC_NONBLOCK, 0) == -E_PERM);
    EXPECT(sys_handle_dup((handle_t)send_only, RIGHT_SEND, 0) == -E_PERM);   /* no DUP right */
    long more = sys_handle_dup((handle_t)ep, RIGHT_SEND | RIGHT_WRITE, 0);
    EXPECT(more == -E_PERM);   /* rights only shrink */
    handle_t mem;
    void *p = mem_alloc(4096, &mem);
    EXPECT(p != NULL);
    long ro = sys_handle_dup(mem, RIGHT_READ | RIGHT_DUP, 0);
    uintptr_t va = vm_reserve(4096);
    EXPECT(sys_vm_map(HANDLE_SELF, (handle_t)ro, 0, va, 4096, PROT_R | PROT_W) == -E_PERM);
    EXPECT(sys_vm_map(HANDLE_SELF, (handle_t)ro, 0, va, 4096, PROT_R | PROT_X) == -E_PERM);
    EXPECT(sys_vm_map(HANDLE_SELF, (handle_t)ro, 0, va, 4096, PROT_R) == 0);
    EXPECT(sys_vm_map(HANDLE_SELF, (handle_t)ep, 0, va, 4096, PROT_R) == -E_BADH);   /* wrong type */
    /* Closed and stale handles. */
    EXPECT(sys_handle_close((handle_t)send_only) == 0);
    EXPECT(sys_handle_close((handle_t)send_only) == -E_BADH);
    long reused = sys_endpoint_create();   /* likely the same slot, new generation */
    EXPECT(reused != send_only);
    EXPECT(sys_notify((handle_t)send_only, 1) == -E_BADH);
    EXPECT(sys_handle_close(0) == -E_BADH && sys_handle_close(-5) == -E_BADH);
    sys_handle_close((handle_t)reused);
    sys_handle_close((handle_t)ep);
}

static void test_no_handle_no_access(void) {
    /* The child gets a send-only endpoint and must be refused everything else. */
    long ep = sys_endpoint_create();
    long send_only = sys_handle_dup((handle_t)ep, RIGHT_SEND | RIGHT_TRANSFER, 0);
    handle_t task = spawn("nohandle", (handle_t)send_only);
    int status = guest_wait_task(task, 10000 * MS);
    EXPECT(status == 0);   /* the count of accesses that were not refused */
    sys_handle_close(task);
    sys_handle_close((handle_t)ep);
}

static void test_memory_objects(void) {
    handle_t mem;
    uint8_t *p = mem_alloc(3 * 4096, &mem);
    EXPECT(p != NULL);
    EXPECT(p[0] == 0 && p[3 * 4096 - 1] == 0);   /* zeroed */
    memset(p, 0xab, 3 * 4096);
    /* A second view of the same pages. */
    uintptr_t va = vm_reserve(4096);
    EXPECT(sys_vm_map(HANDLE_SELF, mem, 4096, va, 4096, PROT_R) == 0);
    EXPECT(*(uint8_t *)va == 0xab);
    p[4096] = 0x11;
    EXPECT(*(volatile uint8_t *)va == 0x11);
    EXPECT(sys_vm_map(HANDLE_SELF, mem, 0, va, 4096, PROT_R) == -E_BUSY);          /* overlap */
    EXPECT(sys_vm_map(HANDLE_SELF, mem, 0, vm_reserve(4096) + 1, 4096, PROT_R) == -E_INVAL);
    EXPECT(sys_vm_map(HANDLE_SELF, mem, 8192, vm_reserve(8192), 8192, PROT_R) == -E_RANGE);
    EXPECT(sys_vm_map(HANDLE_SELF, mem, 0, 0xffff800000000000ull, 4096, PROT_R) == -E_INVAL);
    EXPECT(sys_vm_map(HANDLE_SELF, mem, 0, 0x00007ffffffff000ull, 8192, PROT_R) == -E_INVAL);
    EXPECT(sys_mem_create(0, 0) == -E_INVAL);
    EXPECT(sys_mem_create(1ull << 40, 0) == -E_INVAL);
    EXPECT(sys_mem_create(4096, 0x80) == -E_INVAL);
    struct handle_info info;
    EXPECT(sys_handle_info(mem, &info) == 0 && info.type == KOBJ_MEMORY && info.size == 3 * 4096);
    /* Unmapping the middle page leaves the others. */
    EXPECT(sys_vm_unmap(HANDLE_SELF, (uintptr_t)p + 4096, 4096) == 0);
    EXPECT(p[0] == 0xab && p[8192] == 0xab);
    /* Contiguous (DMA) memory. */
    long dma = sys_mem_create(64 * 1024, MEM_CONTIGUOUS);
    EXPECT(dma > 0);
    EXPECT(sys_handle_info((handle_t)dma, &info) == 0 && info.phys && info.phys % 4096 == 0);
    EXPECT(sys_handle_info(mem, &info) == 0 && info.phys == 0);   /* scattered pages: no address */
    sys_handle_close((handle_t)dma);
    /* A read-only handle maps read-only: the child's write faults. */
    long ro = sys_handle_dup(mem, RIGHT_READ | RIGHT_TRANSFER, 0);
    handle_t task = spawn("write-ro-mem", (handle_t)ro);
    EXPECT(guest_wait_task(task, 10000 * MS) == TASK_EXIT_FAULT);
    sys_handle_close(task);
}

static void test_faults_kill_only_the_task(void) {
    static const char *const kinds[] = {"fault-null", "fault-kernel", "fault-nx", "fault-ro",
                                        "fault-priv", "fault-ud", "fault-stack"};
    handle_t etask, ep = start_echo(&etask);
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        handle_t task = spawn(kinds[i], HANDLE_NONE);
        int status = guest_wait_task(task, 10000 * MS);
        if (status != TASK_EXIT_FAULT)
            log_printf("ktest: %s ended with status %d\n", kinds[i], status);
        EXPECT(status == TASK_EXIT_FAULT);
        sys_handle_close(task);
    }
    uint64_t y = 0;   /* a bystander server is unaffected */
    EXPECT(ktest_echo_ping(ep, 41, &y) == 0 && y == 42);
    stop(etask);
}

static void test_dead_peer(void) {
    handle_t task, ep = start_echo(&task);
    EXPECT(ktest_echo_quit(ep) == -E_PEER);   /* it exits instead of replying */
    EXPECT(guest_wait_task(task, 5000 * MS) == 0);
    uint64_t y;
    EXPECT(ktest_echo_ping(ep, 1, &y) == -E_PEER);   /* no receiver left */
    sys_handle_close(task);
    /* A caller blocked in a call to a server that gets killed is woken too. */
    handle_t task2, ep2 = start_echo(&task2);
    EXPECT(sys_task_kill(task2) == 0);
    EXPECT(ktest_echo_ping(ep2, 1, &y) == -E_PEER);
    EXPECT(sys_task_kill(task2) == -E_DEAD);
    sys_handle_close(task2);
}

static void test_task_lifecycle(void) {
    long t = sys_task_create("idle-child", 10);
    EXPECT(t > 0);
    struct task_info info;
    EXPECT(sys_task_info((handle_t)t, &info) == 0 && info.state == TASK_STATE_CREATED);
    EXPECT(!strcmp(info.name, "idle-child"));
    EXPECT(sys_task_start((handle_t)t, 0xffff800000000000ull, 0x1000, 0) == -E_RANGE);
    EXPECT(sys_task_create("", 0) == -E_INVAL);
    EXPECT(sys_task_create((const char *)0xffffffff80000000ull, 8) == -E_FAULT);
    EXPECT(sys_task_kill((handle_t)t) == 0);
    EXPECT(sys_task_info((handle_t)t, &info) == 0 && info.state == TASK_STATE_DEAD);
    sys_handle_close((handle_t)t);
    EXPECT(sys_ipc(HANDLE_NONE, HANDLE_NONE, NULL, 0, 0) == -E_INVAL);
    EXPECT(syscall6(9999, 0, 0, 0, 0, 0, 0) == -E_NOSYS);
    EXPECT(syscall6(-1, 0, 0, 0, 0, 0, 0) == -E_NOSYS);
}

/* The CMOS RTC's periodic interrupt (ISA IRQ 8) as a notification. ktest
 * keeps the system handle for this (a kernel test). dm serves line 8 to the
 * rtc driver as irq index 0, but servers/rtc never asks for it (it reads the
 * clock once), so the line is free here; should a driver ever own it, the
 * first sys_irq_create below fails with -E_BUSY (one owner per line) and this
 * test must move to another line. The ports are shared with rtc, which only
 * touches them at start, long before tests run. */
static void test_irq_notification(void) {
    handle_t sys = startup.given;
    long io = sys_ioport_create(sys, 0x70, 2);
    EXPECT(io > 0);
    EXPECT(sys_ioport_create(sys, 0x3f8, 8) == -E_BUSY);     /* the kernel's console */
    EXPECT(sys_ioport_create(sys, 0xfff0, 0x100) == -E_INVAL);
    EXPECT(sys_power(sys, 7) == -E_INVAL);   /* neither off nor reset */
    EXPECT(sys_ioport_in((handle_t)io, 0x72, 1) == -E_RANGE);
    long irq = sys_irq_create(sys, 8);
    EXPECT(irq > 0);
    EXPECT(sys_irq_create(sys, 8) == -E_BUSY);
    EXPECT(sys_irq_create(sys, 200) == -E_INVAL);
    long ep = sys_endpoint_create();
    EXPECT(sys_irq_bind((handle_t)irq, (handle_t)ep, 1u << 3) == 0);
    /* Rate 1024 Hz, periodic interrupt enable; reading register C acknowledges. */
    sys_ioport_out((handle_t)io, 0x70, 1, 0x8a);
    uint32_t a = (uint32_t)sys_ioport_in((handle_t)io, 0x71, 1);
    sys_ioport_out((handle_t)io, 0x70, 1, 0x8a);
    sys_ioport_out((handle_t)io, 0x71, 1, (a & 0xf0) | 0x06);
    sys_ioport_out((handle_t)io, 0x70, 1, 0x8b);
    uint32_t b = (uint32_t)sys_ioport_in((handle_t)io, 0x71, 1);
    sys_ioport_out((handle_t)io, 0x70, 1, 0x8b);
    sys_ioport_out((handle_t)io, 0x71, 1, b | 0x40);
    /* Reading register C clears a request still pending from before; while
     * one is pending the RTC raises no new edge. */
    sys_ioport_out((handle_t)io, 0x70, 1, 0x0c);
    sys_ioport_in((handle_t)io, 0x71, 1);
    int got = 0;
    for (int i = 0; i < 3; i++) {
        struct ipc_msg m;
        long r = sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 2000 * MS);
        if (r != 0) {
            log_printf("ktest: RTC interrupt %d did not come: %s\n", i + 1, err_str(r));
            break;
        }
        uint64_t bits;
        memcpy(&bits, m.data, 8);
        if ((m.flags & IPC_MSG_NOTIFY) && bits == (1u << 3))
            got++;
        sys_ioport_out((handle_t)io, 0x70, 1, 0x0c);
        sys_ioport_in((handle_t)io, 0x71, 1);
        EXPECT(sys_irq_ack((handle_t)irq) == 0);
    }
    EXPECT(got == 3);
    sys_ioport_out((handle_t)io, 0x70, 1, 0x8b);
    sys_ioport_out((handle_t)io, 0x71, 1, b & ~0x40u);
    sys_ioport_out((handle_t)io, 0x70, 1, 0x0c);
    sys_ioport_in((handle_t)io, 0x71, 1);
    sys_handle_close((handle_t)irq);
    EXPECT(sys_irq_create(sys, 8) > 0);   /* closing freed the line */
    sys_handle_close((handle_t)ep);
    sys_handle_close((handle_t)io);
}

static void test_syscall_fuzz(void) {
    handle_t etask, ep = start_echo(&etask);
    int faulted = 0, finished = 0, killed = 0;
    for (int i = 0; i < FUZZ_TASKS; i++) {
        char args[32];
        fmt_snprintf(args, sizeof(args), "fuzz %d", i * 7919 + 1);
        handle_t task = spawn(args, HANDLE_NONE);
        int status = guest_wait_task(task, 20000 * MS);
        if (status == GUEST_TIMED_OUT) {   /* stuck somewhere legitimate: stopped */
            killed++;
        } else if (status == TASK_EXIT_FAULT) {
            faulted++;
        } else {
            finished++;
        }
        sys_handle_close(task);
    }
    log_printf("ktest: fuzz: %d tasks x %d calls: %d finished, %d faulted, %d stopped\n",
               FUZZ_TASKS, FUZZ_CALLS, finished, faulted, killed);
    uint64_t y = 0;   /* the kernel and a bystander still work */
    EXPECT(ktest_echo_ping(ep, 99, &y) == 0 && y == 100);
    stop(etask);
}

/* ---- benchmark ---- */

static int bench_ipc(void) {
    enum { ITERS = 20000 };
    static uint64_t samples[ITERS];
    handle_t task, ep = start_echo(&task);
    struct ipc_msg m;
    memset(&m, 0, IPC_HEADER_SIZE);
    m.label = 0x1234;   /* not an echo message: refused, not ignored */
    if (ipc_call(ep, &m) != 0 || m.label != -E_NOSYS) {
        log_printf("bench: the echo server did not refuse an unknown message\n");
        return 1;
    }
    for (int i = 0; i < 100; i++) {   /* warm up */
        memset(&m, 0, IPC_HEADER_SIZE);
        m.label = KTEST_ECHO_PING_LABEL;
        m.len = 8;
        ipc_call(ep, &m);
    }
    for (int i = 0; i < ITERS; i++) {
        memset(&m, 0, IPC_HEADER_SIZE);
        m.label = KTEST_ECHO_PING_LABEL;
        m.len = 8;
        uint64_t t0 = guest_rdtsc();
        long err = ipc_call(ep, &m);
        samples[i] = guest_rdtsc() - t0;
        if (err < 0) {
            log_printf("bench: ipc call failed: %s\n", err_str(err));
            return 1;
        }
    }
    guest_bench_report("ipc_roundtrip", samples, ITERS, 1);
    log_printf("bench: done\n");
    stop(task);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "bench"))
        return argc > 2 && !strcmp(argv[2], "ipc") ? bench_ipc() : 1;
    if (argc > 1)
        return child_main(argc, argv);
    log_printf("ktest: starting\n");
    run("ipc_call_reply", test_ipc_call_reply);
    run("ipc_badge", test_ipc_badge);
    run("ipc_nonblock_and_timeout", test_ipc_nonblock_and_timeout);
    run("ipc_bad_arguments", test_ipc_bad_arguments);
    run("notifications", test_notifications);
    run("handle_transfer", test_handle_transfer);
    run("handle_rights", test_handle_rights);
    run("no_handle_no_access", test_no_handle_no_access);
    run("memory_objects", test_memory_objects);
    run("faults_kill_only_the_task", test_faults_kill_only_the_task);
    run("dead_peer", test_dead_peer);
    run("task_lifecycle", test_task_lifecycle);
    run("irq_notification", test_irq_notification);
    run("syscall_fuzz", test_syscall_fuzz);
    return guest_done();
}
