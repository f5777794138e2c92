/*
 * Symbol lookup. The table is generated from the first link of the kernel by
 * tools/gensyms.py and linked into the .ksyms section of the final image:
 *   uint64_t count; { uint64_t addr; uint64_t name_offset; }[count]; names...
 * sorted by address. The first link has an empty table.
 */
#include "ksyms.h"
#include "kernel.h"

extern const uint64_t ksyms_table[];

const char *ksyms_lookup(uint64_t addr, uint64_t *offset) {
    uint64_t count = ksyms_table[0];
    const uint64_t *entries = &ksyms_table[1];
    const char *names = (const char *)&entries[count * 2];
    if (count == 0 || addr < entries[0])
        return NULL;
    uint64_t lo = 0, hi = count;   /* last entry with addr <= target */
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (entries[mid * 2] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - entries[lo * 2];
    return names + entries[lo * 2 + 1];
}

static bool kernel_stack_address(uint64_t p) {
    return p >= 0xffff800000000000ull && (p & 7) == 0;
}

void backtrace_print(uint64_t rbp) {
    printk("Backtrace:\n");
    for (int depth = 0; depth < 32 && kernel_stack_address(rbp); depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < 0xffffffff80000000ull)
            break;
        uint64_t off = 0;
        const char *name = ksyms_lookup(ret, &off);
        printk("  #%d 0x%016lx %s+0x%lx\n", depth, ret, name ? name : "?", off);
        if (frame[0] <= rbp)   /* frames must go up the stack */
            break;
        rbp = frame[0];
    }
}
