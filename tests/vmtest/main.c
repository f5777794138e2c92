/*
 * Tests of the vm server, run in user space on the real system (test=vmtest):
 * lazy anonymous memory, protect and unmap, absurd requests, shared memory by
 * handle between tasks, memory returning to its baseline after many
 * spawn/exit cycles. Also the memory benchmarks (bench=shm, bench=spawn).
 */
#include <common/format.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include <tessera/vm.h>
#define GUEST_TEST_NAME "vmtest"
#include "../guest_test.h"
#include "idl/init.h"
#include "idl/vm.h"

#define MS 1000000ull
#define MiB (1024ull * 1024)

static handle_t vm = HANDLE_NONE;



/* Free memory once the vm has reaped every task that ended: it handles the
 * task-ended notification before our call. */
static uint64_t free_bytes(void) {
    uint32_t tasks;
    uint64_t mapped, free;
    vm_stats(vm, &tasks, &mapped, &free);
    struct mem_info info;
    sys_mem_info(&info);
    return info.free_bytes;
}

static handle_t spawn(const char *args, handle_t give) {
    handle_t task = HANDLE_NONE;
    int err = init_spawn(startup.bootstrap, "tests/vmtest", args, give, &task);
    if (err)
        log_printf("vmtest: spawn %s: %s\n", args, err_str(err));
    return err ? HANDLE_NONE : task;
}

/* Waits for a child and lets go of its handle. */
static int wait_task(handle_t task, uint64_t timeout_ns) {
    int status = guest_wait_task(task, timeout_ns);
    if (task != HANDLE_NONE)
        sys_handle_close(task);
    return status;
}

/* ---- tests ---- */

static void test_lazy_anonymous_memory(void) {
    uint64_t before = free_bytes();
    uint64_t addr = 0;
    EXPECT(vm_map_anon(vm, 0, 64 * MiB, PROT_R | PROT_W, 0, &addr) == 0 && addr);
    /* Nothing is allocated until touched. */
    EXPECT(before - free_bytes() < 1 * MiB);
    uint8_t *p = (uint8_t *)addr;
    for (uint64_t i = 0; i < 4 * MiB; i += 4096)
        p[i] = (uint8_t)(i >> 12);
    EXPECT(p[4096 * 3] == 3 && p[8 * MiB] == 0);   /* untouched pages read as zero */
    uint64_t used = before - free_bytes();
    EXPECT(used >= 4 * MiB && used < 16 * MiB);
    EXPECT(vm_unmap(vm, addr, 64 * MiB) == 0);
    EXPECT(free_bytes() + 512 * 1024 >= before);   /* back (less the vm's own books) */
}

/* The bytes vm reports for a task (task_memory), or 0 if it does not list it. */
static uint64_t task_memory_of(uint32_t task_id) {
    uint32_t id = 0;
    uint64_t bytes = 0;
    for (uint32_t i = 0; vm_task_memory(vm, i, &id, &bytes) == 0; i++)
        if (id == task_id)
            return bytes;
    return 0;
}

static void test_task_memory(void) {
    struct task_info me;
    EXPECT(sys_task_info(HANDLE_SELF, &me) == 0);
    uint64_t before = task_memory_of(me.id);
    EXPECT(before >= USER_STACK_SIZE);   /* at least our program and stack */
    uint64_t addr = 0;
    EXPECT(vm_map_anon(vm, 0, 1 * MiB, PROT_R | PROT_W, 0, &addr) == 0 && addr);
    memset((void *)addr, 1, 1 * MiB);
    EXPECT(task_memory_of(me.id) >= before + 1 * MiB);
    EXPECT(vm_unmap(vm, addr, 1 * MiB) == 0);
    EXPECT(task_memory_of(me.id) == before);
    uint32_t id = 0;
    uint64_t bytes = 0;
    EXPECT(vm_task_memory(vm, 100000, &id, &bytes) == -E_NOENT);
}

static void test_absurd_requests(void) {
    uint64_t addr = 0;
    EXPECT(vm_map_anon(vm, 0, 1ull << 40, PROT_R | PROT_W, 0, &addr) == -E_NOMEM);
    EXPECT(vm_map_anon(vm, 0, 0, PROT_R, 0, &addr) == -E_NOMEM);
    EXPECT(vm_map_anon(vm, 0, 4096, 0x80, 0, &addr) == -E_INVAL);
    EXPECT(vm_map_anon(vm, 0x1234, 4096, PROT_R, VM_FIXED, &addr) == -E_INVAL);
    EXPECT(vm_map_anon(vm, 0xffff800000000000ull, 4096, PROT_R, VM_FIXED, &addr) == -E_INVAL);
    EXPECT(vm_unmap(vm, 0x1001, 4096) == -E_INVAL);
    EXPECT(vm_protect(vm, 0x1000, 4096, 0x99) == -E_INVAL);
}

static void test_fixed_and_partial_unmap(void) {
    uint64_t addr = 0, fixed = 0;
    EXPECT(vm_map_anon(vm, 0, 16 * 4096, PROT_R | PROT_W, 0, &addr) == 0);
    memset((void *)addr, 0x5a, 16 * 4096);
    /* Punch a hole in the middle; both ends keep their data. */
    EXPECT(vm_unmap(vm, addr + 4 * 4096, 4 * 4096) == 0);
    EXPECT(((uint8_t *)addr)[0] == 0x5a && ((uint8_t *)addr)[15 * 4096] == 0x5a);
    /* Map fresh memory exactly into the hole. */
    EXPECT(vm_map_anon(vm, addr + 4 * 4096, 4 * 4096, PROT_R | PROT_W, VM_FIXED, &fixed) == 0);
    EXPECT(fixed == addr + 4 * 4096 && ((uint8_t *)fixed)[0] == 0);
    EXPECT(vm_unmap(vm, addr, 16 * 4096) == 0);
}

/* Children that must be killed by their pager's refusal. */
static int child_fault(const char *how) {
    uint64_t addr = 0;
    if (!strcmp(how, "write-after-protect")) {
        vm_map_anon(vm, 0, 4096, PROT_R | PROT_W, 0, &addr);
        *(volatile int *)addr = 1;
        vm_protect(vm, addr, 4096, PROT_R);
        *(volatile int *)addr = 2;   /* must fault */
        return 10;
    }
    if (!strcmp(how, "touch-after-unmap")) {
        vm_map_anon(vm, 0, 8192, PROT_R | PROT_W, 0, &addr);
        *(volatile int *)addr = 1;
        vm_unmap(vm, addr, 8192);
        return *(volatile int *)addr + 10;   /* must fault */
    }
    if (!strcmp(how, "stack-guard")) {
        vm_map_anon(vm, 0, 8192, PROT_R | PROT_W, VM_STACK, &addr);
        return *(volatile int *)(addr - 8) + 10;   /* the guard page below */
    }
    if (!strcmp(how, "exec-data")) {
        vm_map_anon(vm, 0, 4096, PROT_R | PROT_W, 0, &addr);
        *(volatile uint8_t *)addr = 0xc3;
        ((void (*)(void))addr)();   /* not executable: must fault */
        return 10;
    }
    if (!strcmp(how, "exhaust")) {   /* eat memory until refused, then exit */
        for (int i = 0; i < 4096; i++) {
            if (vm_map_anon(vm, 0, 64 * MiB, PROT_R | PROT_W, 0, &addr))
                return 1;
            for (uint64_t o = 0; o < 64 * MiB; o += 4096)
                ((volatile uint8_t *)addr)[o] = 1;   /* the pager refuses at the end: we die */
        }
        return 2;
    }
    return 99;
}

static void test_faults_end_only_the_task(void) {
    static const char *const kinds[] = {"write-after-protect", "touch-after-unmap", "stack-guard", "exec-data"};
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char args[64];
        fmt_snprintf(args, sizeof(args), "fault %s", kinds[i]);
        int status = wait_task(spawn(args, HANDLE_NONE), 20000 * MS);
        if (status != TASK_EXIT_FAULT)
            log_printf("vmtest: %s ended with %d\n", kinds[i], status);
        EXPECT(status == TASK_EXIT_FAULT);
    }
}

static void test_memory_exhaustion(void) {
    uint64_t before = free_bytes();
    int status = wait_task(spawn("fault exhaust", HANDLE_NONE), 120000 * MS);
    EXPECT(status == TASK_EXIT_FAULT || status == 1);
    /* Everything it held comes back, and we still work. */
    if (free_bytes() + 1 * MiB < before)
        log_printf("vmtest: free memory %lu KiB before, %lu KiB after\n", before >> 10, free_bytes() >> 10);
    EXPECT(free_bytes() + 1 * MiB >= before);
    uint64_t addr = 0;
    EXPECT(vm_map_anon(vm, 0, 1 * MiB, PROT_R | PROT_W, 0, &addr) == 0);
    ((volatile uint8_t *)addr)[0] = 1;
    vm_unmap(vm, addr, 1 * MiB);
}

/* ---- shared memory ---- */

static int child_share(const char *role) {
    handle_t given = startup.given;
    if (!strcmp(role, "writer")) {   /* maps the object it was given and writes a pattern */
        uint64_t addr = 0;
        if (vm_map_object(vm, given, 0, 1 * MiB, PROT_R | PROT_W, &addr))
            return 1;
        for (uint64_t i = 0; i < 1 * MiB; i += 8)
            *(uint64_t *)(addr + i) = i * 3 + 1;
        return 0;
    }
    if (!strcmp(role, "thief")) {   /* holds no handle: every guess is refused */
        int accepted = 0;
        for (int idx = 1; idx < 256; idx++)
            for (int gen = 1; gen < 4; gen++) {
                uint64_t addr = 0;
                handle_t h = idx | gen << 16;
                if (h == given || h == startup.bootstrap || h == startup.self || h == vm)
                    continue;
                /* The kernel refuses to carry a handle we do not hold. */
                if (vm_map_object(vm, h, 0, 4096, PROT_R, &addr) != -E_BADH)
                    accepted++;
            }
        return accepted;
    }
    if (!strcmp(role, "reader-ro")) {   /* a read-only handle cannot map writable */
        uint64_t addr = 0;
        long dup = sys_handle_dup(given, RIGHT_READ | RIGHT_TRANSFER | RIGHT_DUP, 0);
        if (vm_map_object(vm, (handle_t)dup, 0, 4096, PROT_R | PROT_W, &addr) != -E_PERM)
            return 1;
        if (vm_map_object(vm, given, 0, 4096, PROT_R, &addr))
            return 2;
        return *(volatile uint64_t *)(addr + 8) == 8 * 3 + 1 ? 0 : 3;
    }
    return 99;
}

static void test_shared_memory_by_handle(void) {
    long mem = sys_mem_create(1 * MiB, 0);
    EXPECT(mem > 0);
    long for_writer = sys_handle_dup((handle_t)mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    long for_reader = sys_handle_dup((handle_t)mem, RIGHT_READ | RIGHT_TRANSFER | RIGHT_DUP, 0);
    uint64_t mine = 0;
    EXPECT(vm_map_object(vm, (handle_t)mem, 0, 1 * MiB, PROT_R, &mine) == 0);   /* mem moves to vm */
    EXPECT(wait_task(spawn("share writer", (handle_t)for_writer), 20000 * MS) == 0);
    /* Zero copy: the writer's stores are in our mapping. */
    EXPECT(*(volatile uint64_t *)(mine + 8) == 8 * 3 + 1);
    EXPECT(*(volatile uint64_t *)(mine + 1 * MiB - 8) == (1 * MiB - 8) * 3 + 1);
    EXPECT(wait_task(spawn("share reader-ro", (handle_t)for_reader), 20000 * MS) == 0);
    int thief = wait_task(spawn("share thief", HANDLE_NONE), 20000 * MS);
    if (thief)
        log_printf("vmtest: the handle-less task got %d mappings through\n", thief);
    EXPECT(thief == 0);
    vm_unmap(vm, mine, 1 * MiB);
}

static void test_spawn_exit_cycles(void) {
    /* Warm up (first spawns fill the vm's and fs's own books), then measure. */
    for (int i = 0; i < 5; i++)
        wait_task(spawn("exit", HANDLE_NONE), 20000 * MS);
    uint64_t baseline = free_bytes();
    int bad = 0;
    for (int i = 0; i < 1000; i++)
        if (wait_task(spawn("exit", HANDLE_NONE), 20000 * MS) != 0)
            bad++;
    uint64_t after = free_bytes();
    if (after + 64 * 1024 < baseline)
        log_printf("vmtest: free memory %lu KiB before 1000 spawns, %lu KiB after\n", baseline >> 10, after >> 10);
    EXPECT(bad == 0);
    EXPECT(after + 64 * 1024 >= baseline);
}

/* ---- benchmarks ---- */

static inline uint64_t now_ns(void) { return sys_clock(); }

static int bench_spawn(void) {
    enum { N = 50 };
    uint64_t t0 = now_ns();
    for (int i = 0; i < N; i++)
        wait_task(spawn("exit", HANDLE_NONE), 20000 * MS);
    uint64_t dt = (now_ns() - t0) / N;
    log_printf("bench: spawn_exit us=%lu runs=%d\n", dt / 1000, N);
    return 0;
}

static int bench_shm(void) {
    const uint64_t size = 64 * MiB;
    /* memcpy of 64 MiB inside one task */
    uint64_t a = 0, b = 0;
    if (vm_map_anon(vm, 0, size, PROT_R | PROT_W, 0, &a) || vm_map_anon(vm, 0, size, PROT_R | PROT_W, 0, &b))
        return 1;
    memset((void *)a, 1, size);
    memset((void *)b, 2, size);
    uint64_t t0 = now_ns();
    memcpy((void *)b, (void *)a, size);
    uint64_t copy_ns = now_ns() - t0;
    vm_unmap(vm, a, size);
    vm_unmap(vm, b, size);
    /* The same 64 MiB handed to another task by handle: create, fill, give, it maps and reads one word. */
    t0 = now_ns();
    long mem = sys_mem_create(size, 0);
    long theirs = sys_handle_dup((handle_t)mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    uint64_t mine = 0;
    vm_map_object(vm, (handle_t)mem, 0, size, PROT_R | PROT_W, &mine);
    uint64_t setup_ns = now_ns() - t0;
    t0 = now_ns();
    int status = wait_task(spawn("share writer", (handle_t)theirs), 60000 * MS);
    uint64_t share_ns = now_ns() - t0;
    vm_unmap(vm, mine, size);
    log_printf("bench: memcpy_64mib us=%lu\n", copy_ns / 1000);
    log_printf("bench: shm_64mib us=%lu (setup %lu us; receiver task spawned, mapped it, wrote 1 MiB, exited; status %d)\n",
               share_ns / 1000, setup_ns / 1000, status);
    return 0;
}

/* Started by vm_spawn directly: argv and the environment arrive as given. */
static int child_argcheck(int argc, char **argv) {
    char **env = startup.envp;
    if (argc != 4 || strcmp(argv[0], "vmtest") || strcmp(argv[2], "two words") || strcmp(argv[3], "3"))
        return 1;
    if (!env[0] || strcmp(env[0], "LANG=C") || !env[1] || strcmp(env[1], "HOME=/") || env[2])
        return 2;
    if (startup.bootstrap != HANDLE_NONE || startup.self == HANDLE_NONE)
        return 3;
    return 0;
}

static void test_spawn_args_and_env(void) {
    handle_t task = HANDLE_NONE;
    EXPECT(vm_spawn(vm, "tests/vmtest", "argcheck\ntwo words\n3", "LANG=C\nHOME=/", HANDLE_NONE,
                    HANDLE_NONE, &task) == 0);
    EXPECT(wait_task(task, 20000 * MS) == 0);
    EXPECT(vm_spawn(vm, "tests/no-such-program", "", "", HANDLE_NONE, HANDLE_NONE, &task) == -E_NOENT);
    EXPECT(vm_spawn(vm, "etc/boot.conf", "", "", HANDLE_NONE, HANDLE_NONE, &task) == -E_INVAL);   /* not an ELF */
    EXPECT(vm_spawn(vm, "servers", "", "", HANDLE_NONE, HANDLE_NONE, &task) == -E_ISDIR);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "argcheck"))
        return child_argcheck(argc, argv);
    if (init_lookup(startup.bootstrap, "vm", &vm)) {
        log_printf("vmtest: no vm service\n");
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "exit"))
        return 0;
    if (argc > 2 && !strcmp(argv[1], "fault"))
        return child_fault(argv[2]);
    if (argc > 2 && !strcmp(argv[1], "share"))
        return child_share(argv[2]);
    if (argc > 2 && !strcmp(argv[1], "bench")) {
        int r = !strcmp(argv[2], "shm") ? bench_shm() : !strcmp(argv[2], "spawn") ? bench_spawn() : 1;
        log_printf("bench: done\n");
        return r;
    }
    run("lazy_anonymous_memory", test_lazy_anonymous_memory);
    run("absurd_requests", test_absurd_requests);
    run("task_memory", test_task_memory);
    run("fixed_and_partial_unmap", test_fixed_and_partial_unmap);
    run("faults_end_only_the_task", test_faults_end_only_the_task);
    run("shared_memory_by_handle", test_shared_memory_by_handle);
    run("memory_exhaustion", test_memory_exhaustion);
    run("spawn_args_and_env", test_spawn_args_and_env);
    run("spawn_exit_cycles", test_spawn_exit_cycles);
    return guest_done();
}
