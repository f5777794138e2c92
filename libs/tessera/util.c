/* Logging to the kernel log, address-space reservations, error names, sleeping. */
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

/*
 * Address-space reservations: a bump pointer plus a short list of released
 * ranges, so that a long-running server reusing scratch mappings (a loader,
 * the vm) does not keep growing its page tables.
 */
#define RESERVE_BASE 0x0000200000000000ull
#define MAX_RELEASED 64

static uintptr_t next_free_va = RESERVE_BASE;
static struct { uintptr_t va; size_t size; } released[MAX_RELEASED];

static size_t reservation_size(size_t size) {
    return ((size + 0xfff) & ~(size_t)0xfff) + 0x1000;   /* and a guard page */
}

uintptr_t vm_reserve(size_t size) {
    size = reservation_size(size);
    int best = -1;   /* the smallest released range that fits */
    for (int i = 0; i < MAX_RELEASED; i++)
        if (released[i].size >= size && (best < 0 || released[i].size < released[best].size))
            best = i;
    if (best >= 0) {
        uintptr_t va = released[best].va;
        released[best].va += size;
        released[best].size -= size;
        return va;
    }
    uintptr_t va = next_free_va;
    next_free_va += size;
    return va;
}

void vm_release(uintptr_t va, size_t size) {
    size = reservation_size(size);
    for (int i = 0; i < MAX_RELEASED; i++) {
        if (released[i].size && released[i].va + released[i].size == va) {
            released[i].size += size;   /* grows an adjacent range */
            return;
        }
    }
    for (int i = 0; i < MAX_RELEASED; i++) {
        if (!released[i].size) {
            released[i].va = va;
            released[i].size = size;
            return;
        }
    }
    /* The list is full: the range is simply not reused. */
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
        "no such file or directory", "not a directory", "is a directory", "I/O error",
        "not supported", "read-only file system", "name too long",
        "already exists", "directory not empty", "no space left on the volume",
    };
    if (err < 0)
        err = -err;
    return err < (long)(sizeof(names) / sizeof(names[0])) ? names[err] : "unknown error";
}

long sleep_ns(uint64_t ns) {
    static handle_t quiet = HANDLE_NONE;
    if (quiet == HANDLE_NONE) {
        long e = sys_endpoint_create();
        if (e < 0)
            return e;
        quiet = (handle_t)e;
    }
    struct ipc_msg m;
    uint64_t end = sys_clock() + ns;
    for (uint64_t now = sys_clock(); now < end; now = sys_clock())
        sys_ipc(HANDLE_NONE, quiet, &m, IPC_RECV, end - now);
    return 0;
}
