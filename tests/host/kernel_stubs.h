/* What the kernel's portable data structures need from the rest of the
 * kernel, supplied on the host: pages from the C heap, panics that a test can
 * catch, and a log that goes to stdout. */
#ifndef TESSERA_KERNEL_STUBS_H
#define TESSERA_KERNEL_STUBS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf panic_jump;
static int panic_armed, panic_count;
static long pages_outstanding;

void *kpage_alloc(size_t count) {
    void *p = aligned_alloc(4096, count * 4096);
    if (p) {
        memset(p, 0, count * 4096);
        pages_outstanding += (long)count;
    }
    return p;
}

void kpage_free(void *p, size_t count) {
    pages_outstanding -= (long)count;
    free(p);
}

void printk(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...) {
    panic_count++;
    if (panic_armed)
        longjmp(panic_jump, 1);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    abort();
}

/* EXPECT_PANIC(stmt): true if stmt called panic(). */
#define EXPECT_PANIC(stmt) \
    (panic_armed = 1, setjmp(panic_jump) ? (panic_armed = 0, 1) : ((stmt), panic_armed = 0, 0))

#endif
