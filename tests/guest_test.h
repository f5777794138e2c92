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

/* The closing line; the suite's exit status is the failure count. */
static int guest_done(void) {
    log_printf(GUEST_TEST_NAME ": done %d passed, %d failed\n", passed, failed);
    return failed;
}

#endif
