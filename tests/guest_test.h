/*
 * The framework of the in-guest test suites (ktest, vmtest, schedtest, ...).
 * Define GUEST_TEST_NAME ("ktest") before including. Output, which
 * tests/qemu/common.py's run_guest_suite reads:
 *   NAME: PASS test / NAME: FAIL test: line N: expression
 *   NAME: done N passed, M failed
 */
#ifndef TESSERA_GUEST_TEST_H
#define TESSERA_GUEST_TEST_H

#include <stdbool.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>

static int passed, failed;
static const char *current;
static bool current_failed;

static void guest_fail(int line, const char *what) {
    if (!current_failed)
        log_printf(GUEST_TEST_NAME ": FAIL %s: line %d: %s\n", current, line, what);
    current_failed = true;
}

#define EXPECT(cond)                      \
    do {                                  \
        if (!(cond))                      \
            guest_fail(__LINE__, #cond);  \
    } while (0)

static void run(const char *name, void (*fn)(void)) {
    current = name;
    current_failed = false;
    fn();
    if (current_failed) {
        failed++;
    } else {
        passed++;
        log_printf(GUEST_TEST_NAME ": PASS %s\n", name);
    }
}

#define GUEST_TIMED_OUT 9999

/* Waits for a child task to end: its exit status, or GUEST_TIMED_OUT (the
 * child is then killed, so that it does not disturb later tests). The
 * caller keeps the task handle. */
__attribute__((unused)) static int guest_wait_task(handle_t task, uint64_t timeout_ns) {
    if (task == HANDLE_NONE)
        return GUEST_TIMED_OUT;
    long ep = sys_endpoint_create();
    if (ep < 0)
        return GUEST_TIMED_OUT;
    struct ipc_msg m;
    long err = sys_task_watch(task, (handle_t)ep, 1);
    if (err == 0)
        err = sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, timeout_ns);
    sys_handle_close((handle_t)ep);
    if (err < 0) {
        sys_task_kill(task);
        return GUEST_TIMED_OUT;
    }
    struct task_info info;
    sys_task_info(task, &info);
    return info.exit_status;
}

/* ---- benchmarks (bench=PROGRAM/NAME), read by tools/bench.py ---- */

__attribute__((unused)) static inline uint64_t guest_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Sorts the samples (shell sort: not every suite has libc) and prints
 * "bench: NAME tsc min=.. median=.. iters=..", each divided by `per`
 * (e.g. 2 for a figure that a sample holds twice). */
__attribute__((unused)) static void guest_bench_report(const char *name, uint64_t *v, int n, int per) {
    for (int gap = n / 2; gap > 0; gap /= 2)
        for (int i = gap; i < n; i++)
            for (int j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
                uint64_t t = v[j];
                v[j] = v[j - gap];
                v[j - gap] = t;
            }
    log_printf("bench: %s tsc min=%lu median=%lu iters=%d\n", name, v[0] / per, v[n / 2] / per, n);
}

/* The closing line; the suite's exit status is the failure count. */
static int guest_done(void) {
    log_printf(GUEST_TEST_NAME ": done %d passed, %d failed\n", passed, failed);
    return failed;
}

#endif
