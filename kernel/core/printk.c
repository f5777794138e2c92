/* The kernel log on the serial console, and panics. */
#include "kernel.h"
#include "ksyms.h"
#include "../arch/x64/arch.h"
#include <common/format.h>
#include <stdarg.h>

static void put(void *ctx, char c) {
    (void)ctx;
    serial_putc(c);
}

void printk(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(put, NULL, fmt, ap);
    va_end(ap);
}

static bool panicking;

void panic(const char *fmt, ...) {
    arch_irq_disable();
    if (panicking) {   /* a panic while panicking: just stop */
        for (;;)
            arch_halt();
    }
    panicking = true;
    va_list ap;
    va_start(ap, fmt);
    printk("\n[kernel] PANIC: ");
    fmt_vformat(put, NULL, fmt, ap);
    va_end(ap);
    printk("\n");
    backtrace_print((uint64_t)__builtin_frame_address(0));
    printk("System halted.\n");
    arch_stop_other_cpus();
    for (;;)
        arch_halt();
}
