/*
 * ktest's helper programs (the same binary, chosen by argv[1]): an echo
 * server, tasks that fault on purpose, a task probing handles it does not
 * hold, and a system-call fuzzer.
 */
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/init.h"
#include "idl/ktest.h"
#include "ktest.h"

/* ---- echo server ---- */

static int on_ping(void *ctx, const struct ipc_msg *req, uint64_t x, uint64_t *y) {
    *y = x + 1;
    return 0;
}

static int on_echo(void *ctx, const struct ipc_msg *req, uint64_t x, const char *s, uint64_t *x2, char *s2) {
    *x2 = x ^ req->badge;
    size_t n = strlen(s);
    memcpy(s2, s, n + 1);
    return 0;
}

static int on_sum(void *ctx, const struct ipc_msg *req, handle_t mem, uint64_t size, uint64_t *sum) {
    uintptr_t va = vm_reserve(size);
    long err = sys_vm_map(HANDLE_SELF, mem, 0, va, size, PROT_R);
    sys_handle_close(mem);
    if (err < 0)
        return (int)err;
    uint64_t s = 0;
    for (uint64_t i = 0; i < size; i++)
        s += ((const uint8_t *)va)[i];
    sys_vm_unmap(HANDLE_SELF, va, size);
    *sum = s;
    return 0;
}

static int on_make_endpoint(void *ctx, const struct ipc_msg *req, handle_t *ep) {
    long h = sys_endpoint_create();
    if (h < 0)
        return (int)h;
    *ep = (handle_t)h;
    return 0;
}

static int on_quit(void *ctx, const struct ipc_msg *req) {
    exit(0);
}

static const struct ktest_echo_server echo_server = {
    .ping = on_ping, .echo = on_echo, .sum = on_sum, .make_endpoint = on_make_endpoint, .quit = on_quit,
};

static int echo_main(void) {
    handle_t ep = startup.given;
    struct ipc_msg m;
    long err = ipc_recv(ep, &m);
    for (;;) {
        if (err < 0) {
            log_printf("ktest-echo: receive failed: %s\n", err_str(err));
            return 1;
        }
        int r = ktest_echo_dispatch(&echo_server, NULL, &m);
        if (r == -E_NOSYS)
            r = idl_reject(&m, -E_NOSYS);   /* not our interface: say so, do not hang the caller */
        if (r == 1) {
            err = ipc_reply_recv(ep, &m);
        } else {
            err = ipc_recv(ep, &m);
        }
    }
}

/* ---- a boot service: reports ready after a short while, then idles ---- */

static int service_main(void) {
    struct ipc_msg m;
    long ep = sys_endpoint_create();
    sleep_ns(200 * 1000000ull);   /* a 200 ms start-up */
    int err = service_ready(startup.bootstrap, (handle_t)ep);
    if (err < 0) {
        log_printf("ktest-svc: ready failed: %s\n", err_str(err));
        return 1;
    }
    for (;;)
        ipc_recv((handle_t)ep, &m);
}

/* ---- tasks that must be refused or killed ---- */

/* Holds only its own handles; every other number must be refused. */
static int nohandle_main(void) {
    int accepted = 0;
    struct ipc_msg m;
    memset(&m, 0, sizeof(m));
    for (int idx = 1; idx < 300; idx++) {
        for (int gen = 1; gen < 3; gen++) {
            handle_t h = idx | gen << 16;
            if (h == startup.self || h == startup.bootstrap || h == startup.given)
                continue;
            if (sys_ipc(h, HANDLE_NONE, &m, IPC_SEND | IPC_NONBLOCK, 0) != -E_BADH)
                accepted++;
            if (sys_vm_map(HANDLE_SELF, h, 0, 0x10000000, 4096, PROT_R) != -E_BADH)
                accepted++;
            if (sys_notify(h, 1) != -E_BADH)
                accepted++;
        }
    }
    /* The parent handed us a send-only endpoint: receiving on it is refused. */
    if (sys_ipc(HANDLE_NONE, startup.given, &m, IPC_RECV | IPC_NONBLOCK, 0) != -E_PERM)
        accepted++;
    /* Our own task handle has no control right: no mapping into ourselves through it. */
    if (sys_vm_map(startup.self, startup.given, 0, 0x10000000, 4096, PROT_R) != -E_PERM)
        accepted++;
    /* Powering the machine off needs the root resource. */
    if (sys_power(startup.given, POWER_OFF) != -E_BADH || sys_power(HANDLE_NONE, POWER_RESET) != -E_BADH)
        accepted++;
    return accepted;
}

__attribute__((noinline)) int fault_main(const char *how) {
    if (!strcmp(how, "fault-null"))
        return *(volatile int *)0;
    if (!strcmp(how, "fault-kernel"))
        return *(volatile int *)0xffffffff80100000ull;
    if (!strcmp(how, "fault-nx")) {
        static uint8_t data[16] = {0xc3};   /* ret, in a non-executable page */
        ((void (*)(void))data)();
        return 0;
    }
    if (!strcmp(how, "fault-ro")) {
        *(volatile char *)(uintptr_t)&fault_main = 0;   /* write to our own code */
        return 0;
    }
    if (!strcmp(how, "fault-priv")) {
        __asm__ volatile("cli; hlt");
        return 0;
    }
    if (!strcmp(how, "fault-ud")) {
        __asm__ volatile("ud2");
        return 0;
    }
    if (!strcmp(how, "fault-stack")) {   /* run off the end of the stack */
        volatile char big[4096];
        big[0] = 1;
        return fault_main(how) + big[0];
    }
    if (!strcmp(how, "write-ro-mem")) {  /* given a read-only memory object */
        uintptr_t va = vm_reserve(4096);
        if (sys_vm_map(HANDLE_SELF, startup.given, 0, va, 4096, PROT_R) < 0)
            return 2;
        if (sys_vm_map(HANDLE_SELF, startup.given, 0, va + 8192, 4096, PROT_R | PROT_W) != -E_PERM)
            return 3;
        *(volatile char *)va = 1;   /* must fault */
        return 4;
    }
    return 100;
}

/* ---- system-call fuzzer ---- */

static uint64_t rng_state;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t fuzz_value(void) {
    static uint8_t buf[512];
    switch (rng() % 10) {
    case 0: return 0;
    case 1: return rng() % 16;
    case 2: return rng() % 4096;
    case 3: return rng();                                   /* anything */
    case 4: return (rng() % 64) | ((rng() % 3) << 16);      /* plausible handles */
    case 5: return (uint64_t)buf + rng() % 256;            /* valid user memory */
    case 6: return 0xffffffff80000000ull + rng() % 0x200000; /* the kernel image */
    case 7: return 0xffff800000000000ull + rng() % (1ull << 30); /* the direct map */
    case 8: return 0x00007ffffffff000ull + rng() % 0x2000;   /* the canonical edge */
    default: return (uint64_t)-(int64_t)(rng() % 8);
    }
}

static int fuzz_main(const char *seed_str) {
    rng_state = 0x9e3779b97f4a7c15ull;
    for (const char *p = seed_str; *p; p++)
        rng_state = rng_state * 31 + (uint8_t)*p;
    for (int i = 0; i < FUZZ_CALLS; i++) {
        uint64_t n = rng() % (SYS_MAX + 3);
        if (n == SYS_TASK_EXIT)
            continue;
        uint64_t a[6];
        for (int j = 0; j < 6; j++)
            a[j] = fuzz_value();
        if (n == SYS_IPC && rng() % 8)
            a[3] |= IPC_NONBLOCK;   /* mostly: a blocked fuzzer fuzzes nothing */
        if (n == SYS_IPC && !(a[3] & IPC_NONBLOCK))
            a[4] = 1000000;         /* otherwise with a 1 ms timeout */
        if (n == SYS_LOG_WRITE && rng() % 16)
            a[0] = rng() % 2 ? 0 : 0xffffffff80000000ull;   /* bad buffers; keep the log readable */
        else if (n == SYS_LOG_WRITE)
            a[1] %= 2;
        syscall6((long)n, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
    }
    return 0;
}

int child_main(int argc, char **argv) {
    const char *mode = argv[1];
    if (!strcmp(mode, "echo"))
        return echo_main();
    if (!strcmp(mode, "service"))
        return service_main();
    if (!strcmp(mode, "nohandle"))
        return nohandle_main();
    if (!strcmp(mode, "fuzz") && argc > 2)
        return fuzz_main(argv[2]);
    return fault_main(mode);
}
