/* Logging to the kernel log, address-space reservations, error names. */
#include <common/format.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>

void sys_task_exit(int status) {
    syscall6(SYS_TASK_EXIT, status, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

struct log_buf {
    char buf[512];
    size_t len;
};

static void log_put(void *ctx, char c) {
    struct log_buf *b = ctx;
    if (b->len == sizeof(b->buf)) {
        sys_log_write(b->buf, b->len);
        b->len = 0;
    }
    b->buf[b->len++] = c;
}

int log_vprintf(const char *fmt, va_list ap) {
    struct log_buf b;
    b.len = 0;
    int n = fmt_vformat(log_put, &b, fmt, ap);
    if (b.len)
        sys_log_write(b.buf, b.len);
    return n;
}

int log_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = log_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

static uintptr_t next_free_va = 0x0000200000000000ull;

uintptr_t vm_reserve(size_t size) {
    uintptr_t va = next_free_va;
    next_free_va += (size + 0xfff) & ~(uintptr_t)0xfff;
    next_free_va += 0x1000;   /* a guard page between reservations */
    return va;
}

void *mem_alloc(size_t size, handle_t *mem) {
    size = (size + 0xfff) & ~(size_t)0xfff;
    long h = sys_mem_create(size, 0);
    if (h < 0)
        return NULL;
    uintptr_t va = vm_reserve(size);
    if (sys_vm_map(HANDLE_SELF, (handle_t)h, 0, va, size, PROT_R | PROT_W) < 0) {
        sys_handle_close((handle_t)h);
        return NULL;
    }
    if (mem)
        *mem = (handle_t)h;
    else
        sys_handle_close((handle_t)h);
    return (void *)va;
}

const char *err_str(long err) {
    static const char *const names[] = {
        "ok", "invalid argument", "bad handle", "permission denied", "bad address",
        "out of memory", "handle table full", "would block", "timed out", "peer gone",
        "no such system call", "busy", "out of range", "task has ended",
    };
    if (err < 0)
        err = -err;
    return err < (long)(sizeof(names) / sizeof(names[0])) ? names[err] : "unknown error";
}
