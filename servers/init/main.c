/*
 * init: starts the boot services from /etc/boot.conf (on a normal boot the
 * desktop, servers/gui, among them), waits for them to report ready, prints
 * TESSERA READY, then serves spawn and kill requests and runs the tests or
 * benchmarks asked for on the boot command line.
 */
#include <common/cmdline.h>
#include <common/format.h>
#include <common/string.h>
#include <common/tar.h>
#include <tessera/power.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/init.h"
#include "idl/sched.h"
#include "idl/vm.h"
#include <tessera/sched.h>

#define MAX_SERVICES 32
#define READY_TIMEOUT_NS (30ull * 1000000000ull)
#define WATCH_TEST_BIT (1ull << 63)
#define DEBUG_EXIT_PORT 0xf4

struct service {
    char name[32];
    handle_t task;
    handle_t offered;   /* send handle to what the service offers, or HANDLE_NONE */
    bool ready, ended;
};

static const struct tessera_bootinfo *boot;
static handle_t ep;                 /* init's own endpoint */
static struct service services[MAX_SERVICES];
static int num_services, num_pending;
static handle_t test_task = HANDLE_NONE;
static handle_t sched_h = HANDLE_NONE;   /* the scheduler, once it is up */
static bool sched_handover_due;          /* hand it the boot services (after replying) */

static const void *archive_file(const char *path, size_t *size) {
    struct tar_entry e;
    int err = tar_find((const void *)boot->archive_addr, boot->archive_size, path, &e);
    if (err != TAR_OK || e.type != TAR_FILE) {
        log_printf("init: %s: %s\n", path, err != TAR_OK ? tar_strerror(err) : "not a file");
        return NULL;
    }
    *size = e.size;
    return e.data;
}

/* Split `args` (space separated, modified in place) after argv[0]. */
static int split_args(char *args, const char *argv0, const char **argv, int max) {
    int n = 0;
    argv[n++] = argv0;
    for (char *p = args; *p && n < max - 1;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        argv[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[n] = NULL;
    return n;
}

static const char *basename(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/*
 * Boot options meant for a program ("gpu.mode=1280x800": a dotted name with
 * a value) reach every program we start as environment entries, '\n'-
 * separated (vm's form) in boot_env and as an array in boot_envp.
 */
static char boot_env[512], boot_env_words[512];
static const char *boot_envp[17];

static void collect_boot_env(const char *cmdline) {
    size_t len = 0;
    int n = 0;
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        size_t w = 0, eq = 0, dot = 0;
        for (; p[w] && p[w] != ' '; w++) {
            if (p[w] == '=' && !eq)
                eq = w;
            if (p[w] == '.' && !eq && !dot)
                dot = w;
        }
        if (eq && dot && n < 16 && len + w + 1 < sizeof(boot_env)) {
            memcpy(boot_env + len, p, w);
            memcpy(boot_env_words + len, p, w);
            boot_envp[n++] = boot_env_words + len;
            len += w;
            boot_env[len] = '\n';
            boot_env_words[len++] = 0;
        }
        p += w;
    }
    if (len)
        boot_env[len - 1] = 0;   /* the last separator ends the string */
    boot_envp[n] = NULL;
}

static struct service *find_service(const char *name) {
    for (int i = 0; i < num_services; i++)
        if (!strcmp(services[i].name, name))
            return &services[i];
    return NULL;
}

/*
 * Start a program with a bootstrap handle to us, badged with `badge`. Boot
 * services we load from the archive ourselves; other programs, once the vm
 * server is up, vm loads from the file system and pages.
 */
static long start_program(const char *name, const char *path, const char *args, uint64_t badge,
                          handle_t given, bool boot_service) {
    long boot_h = sys_handle_dup(ep, RIGHT_SEND | RIGHT_TRANSFER, badge);
    if (boot_h < 0) {
        if (given != HANDLE_NONE)
            sys_handle_close(given);
        return boot_h;
    }
    char argbuf[256];
    size_t n = strnlen(args, sizeof(argbuf) - 1);
    memcpy(argbuf, args, n);
    argbuf[n] = 0;
    struct service *vm = find_service("vm");
    /* vm serves only the tasks it started: boot services marked `paged` in
     * boot.conf (musl programs such as the gui) are started by it too. */
    if (!boot_service && vm && vm->ready && !vm->ended && vm->offered != HANDLE_NONE) {
        for (char *p = argbuf; *p; p++)
            if (*p == ' ')
                *p = '\n';
        handle_t task = HANDLE_NONE;
        int err = vm_spawn(vm->offered, path, argbuf, boot_env, (handle_t)boot_h, given, &task);
        return err ? err : task;
    }
    size_t size;
    const void *elf = archive_file(path, &size);
    if (!elf) {
        sys_handle_close((handle_t)boot_h);
        if (given != HANDLE_NONE)
            sys_handle_close(given);
        return -E_NOENT;
    }
    const char *argv[16];
    split_args(argbuf, name, argv, 16);
    struct spawn_request req = {
        .name = name, .elf = elf, .elf_size = size, .argv = argv, .envp = boot_envp,
        .bootstrap = (handle_t)boot_h, .given = given, .pager = HANDLE_NONE,
    };
    return spawn_program(&req);
}

static void serve_one(uint64_t timeout_ns);

/* Boot services may need others up first ("after=NAME" in boot.conf). */
static void wait_for_service(const char *name) {
    /* "after=NAME?": NAME only if a `when` line started it (data, with data.label). */
    char plain[sizeof(services[0].name)];
    size_t len = strnlen(name, sizeof(plain) - 1);
    bool optional = len && name[len - 1] == '?';
    memcpy(plain, name, len - optional);
    plain[len - optional] = 0;
    struct service *s = find_service(plain);
    if (!s) {
        if (!optional)
            log_printf("init: boot.conf: after=%s names no earlier service\n", name);
        return;
    }
    uint64_t deadline = sys_clock() + READY_TIMEOUT_NS;
    while (!s->ready && !s->ended) {
        uint64_t now = sys_clock();
        if (now >= deadline) {
            log_printf("init: %s is not ready; going on without it\n", name);
            return;
        }
        serve_one(deadline - now);
    }
}

/* ---- the init interface ---- */

static int on_ready(void *ctx, const struct ipc_msg *req, handle_t service) {
    uint64_t i = req->badge;
    if (i == 0 || i > (uint64_t)num_services) {
        if (service != HANDLE_NONE)
            sys_handle_close(service);
        return -E_PERM;   /* only boot services report readiness */
    }
    struct service *s = &services[i - 1];
    if (s->offered != HANDLE_NONE)
        sys_handle_close(s->offered);   /* a restarted service offers anew */
    s->offered = service;
    if (!s->ready && !s->ended) {
        s->ready = true;
        num_pending--;
        log_printf("init: %s is ready\n", s->name);
        if (!strcmp(s->name, "sched") && s->offered != HANDLE_NONE)
            sched_handover_due = true;   /* not now: sched waits for this reply */
    }
    return 0;
}

static int on_lookup(void *ctx, const struct ipc_msg *req, const char *name, handle_t *service) {
    for (int i = 0; i < num_services; i++) {
        struct service *s = &services[i];
        if (strcmp(s->name, name) || s->offered == HANDLE_NONE)
            continue;
        if (s->ended)
            return -E_PEER;
        /* The badge tells the service who is calling: the kernel vouches for req->sender. */
        long h = sys_handle_dup(s->offered, RIGHT_SEND | RIGHT_TRANSFER, req->sender);
        if (h < 0)
            return (int)h;
        *service = (handle_t)h;
        return 0;
    }
    return -E_NOENT;
}

/* Programs started through spawn, which kill may end (boot services not). */
#define MAX_PROGRAMS 64
static struct program {
    uint32_t id;
    handle_t task;   /* RIGHT_CONTROL | RIGHT_WATCH, or HANDLE_NONE */
} programs[MAX_PROGRAMS];

static bool program_alive(const struct program *p) {
    struct task_info info;
    return p->task != HANDLE_NONE && sys_task_info(p->task, &info) == 0 && info.state != TASK_STATE_DEAD;
}

static void remember_program(handle_t task) {
    struct task_info info;
    long h = sys_handle_dup(task, RIGHT_CONTROL | RIGHT_WATCH, 0);
    if (h < 0 || sys_task_info((handle_t)h, &info) < 0) {
        if (h >= 0)
            sys_handle_close((handle_t)h);
        return;
    }
    for (int i = 0; i < MAX_PROGRAMS; i++) {
        struct program *p = &programs[i];
        if (p->task != HANDLE_NONE && program_alive(p))
            continue;
        if (p->task != HANDLE_NONE)
            sys_handle_close(p->task);   /* a slot of an ended program */
        p->id = info.id;
        p->task = (handle_t)h;
        return;
    }
    sys_handle_close((handle_t)h);   /* 64 running programs: this one cannot be killed by id */
}

static int on_spawn(void *ctx, const struct ipc_msg *req, const char *path, const char *args,
                    handle_t give, handle_t *task) {
    long t = start_program(basename(path), path, args, 0, give, false);
    if (t < 0)
        return (int)t;
    remember_program((handle_t)t);
    *task = (handle_t)t;
    return 0;
}

static int on_kill(void *ctx, const struct ipc_msg *req, uint32_t task_id) {
    for (int i = 0; i < num_services; i++) {
        struct task_info info;
        if (!services[i].ended && sys_task_info(services[i].task, &info) == 0 && info.id == task_id)
            return -E_PERM;
    }
    for (int i = 0; i < MAX_PROGRAMS; i++) {
        struct program *p = &programs[i];
        if (p->task == HANDLE_NONE || p->id != task_id || !program_alive(p))
            continue;
        long err = sys_task_kill(p->task);
        if (err < 0)
            return (int)err;
        log_printf("init: killed task %u at task %u's request\n", task_id, req->sender);
        return 0;
    }
    return -E_NOENT;
}

/* Boot services (and init) are scheduled as system tasks. */
static void hand_to_sched(handle_t task) {
    long h = sys_handle_dup(task, RIGHT_SCHED | RIGHT_WATCH | RIGHT_TRANSFER, 0);
    int err = h < 0 ? (int)h : sched_add(sched_h, (handle_t)h, SCHED_CLASS_SYSTEM);
    if (err)
        log_printf("init: sched did not take a boot service: %s\n", err_str(err));
}

static void hand_services_to_sched(void) {
    sched_handover_due = false;
    struct service *s = find_service("sched");
    struct task_info me;
    sys_task_info(HANDLE_SELF, &me);
    long h = s ? sys_handle_dup(s->offered, RIGHT_SEND | RIGHT_TRANSFER, me.id) : -E_NOENT;
    if (h < 0)
        return;
    sched_h = (handle_t)h;
    hand_to_sched(startup.self);
    for (int i = 0; i < num_services; i++)
        if (!services[i].ended && services[i].task != HANDLE_NONE)
            hand_to_sched(services[i].task);
}

static int on_power(void *ctx, const struct ipc_msg *req, uint32_t action, bool failed);
static const struct init_server server = {
    .ready = on_ready, .lookup = on_lookup, .spawn = on_spawn, .kill = on_kill, .power = on_power,
};

/* ---- boot services ---- */

/* A normal boot ends on the desktop; tests and benchmarks run without one
 * unless they ask for it (init.desktop). */
static bool desktop_boot(void) {
    if (cmdline_has(boot->cmdline, "init.desktop"))
        return true;
    char name[64];
    return !cmdline_has(boot->cmdline, "init.no_desktop") && !cmdline_has(boot->cmdline, "install.auto") &&
           !(cmdline_get(boot->cmdline, "test", name, sizeof(name)) && name[0]) &&
           !(cmdline_get(boot->cmdline, "bench", name, sizeof(name)) && name[0]);
}

static void start_services(const char *conf, size_t len) {
    char line[256];
    size_t pos = 0;
    while (pos < len) {
        size_t n = 0;
        while (pos < len && conf[pos] != '\n') {
            if (n < sizeof(line) - 1)
                line[n++] = conf[pos];
            pos++;
        }
        pos++;
        line[n] = 0;
        char *words[8];
        int w = 0;
        for (char *p = line; *p && w < 8;) {
            while (*p == ' ' || *p == '\t')
                *p++ = 0;
            if (!*p || *p == '#')
                break;
            words[w++] = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
        }
        if (w == 0)
            continue;
        int first = 0;
        if (!strcmp(words[0], "when") && w >= 2) {
            if (!strcmp(words[1], "desktop") ? !desktop_boot() : !cmdline_has(boot->cmdline, words[1]))
                continue;
            first = 2;
        }
        if (w - first < 3 || strcmp(words[first], "service")) {
            log_printf("init: boot.conf: cannot read \"%s\"\n", line);
            continue;
        }
        if (num_services == MAX_SERVICES) {
            log_printf("init: boot.conf: too many services\n");
            break;
        }
        struct service *s = &services[num_services];
        const char *name = words[first + 1], *path = words[first + 2];
        char args[128] = "";
        handle_t give = HANDLE_NONE;
        bool paged = false;
        for (int i = first + 3, off = 0; i < w && off < (int)sizeof(args); i++) {
            if (!strcmp(words[i], "give=archive")) {   /* read-only boot archive */
                long h = sys_handle_dup(boot->archive, RIGHT_READ | RIGHT_DUP | RIGHT_TRANSFER, 0);
                give = h < 0 ? HANDLE_NONE : (handle_t)h;
                continue;
            }
            if (!strncmp(words[i], "after=", 6)) {
                wait_for_service(words[i] + 6);
                continue;
            }
            if (!strcmp(words[i], "paged")) {          /* vm loads and pages it (musl programs) */
                paged = true;
                continue;
            }
            if (!strcmp(words[i], "give=system")) {    /* the root resource */
                long h = sys_handle_dup(boot->system, RIGHT_CONTROL | RIGHT_DUP | RIGHT_TRANSFER, 0);
                give = h < 0 ? HANDLE_NONE : (handle_t)h;
                continue;
            }
            off += fmt_snprintf(args + off, sizeof(args) - (size_t)off, "%s%s", off ? " " : "", words[i]);
        }
        size_t nl = strnlen(name, sizeof(s->name) - 1);
        memcpy(s->name, name, nl);
        s->name[nl] = 0;
        s->offered = HANDLE_NONE;
        long t = start_program(s->name, path, args, (uint64_t)num_services + 1, give, !paged);
        if (t < 0) {
            log_printf("init: cannot start %s (%s): %s\n", s->name, path, err_str(t));
            continue;
        }
        s->task = (handle_t)t;
        sys_task_watch(s->task, ep, 1ull << num_services);
        if (sched_h != HANDLE_NONE)
            hand_to_sched(s->task);
        num_services++;
        num_pending++;
    }
}

static void task_ended(uint64_t bits) {
    for (int i = 0; i < num_services; i++) {
        if (!(bits & (1ull << i)) || services[i].ended)
            continue;
        struct service *s = &services[i];
        struct task_info info;
        sys_task_info(s->task, &info);
        s->ended = true;
        if (!s->ready) {
            num_pending--;
            log_printf("init: boot service %s ended before it was ready (status %d)\n", s->name,
                       info.exit_status);
        } else {
            log_printf("init: boot service %s ended (status %d)\n", s->name, info.exit_status);
        }
    }
}

static void power_off(int failed) {
    long io = sys_ioport_create(boot->system, DEBUG_EXIT_PORT, 1);
    log_printf("init: powering off (%s)\n", failed ? "failure" : "success");
    if (io >= 0)
        sys_ioport_out((handle_t)io, DEBUG_EXIT_PORT, 1, failed ? 1 : 0);
    log_printf("init: no debug-exit device; halting here\n");
}

/* The machine's power, for users (init.power, the unattended installer):
 * ACPI through the kernel. A failure is first reported through the debug-exit
 * device, where there is one, so that whoever runs the machine sees it. */
static int machine_power(uint32_t action, bool failed) {
    log_printf("init: %s (%s)\n", action == INIT_POWER_OFF ? "powering off" : "restarting",
               failed ? "failure" : "success");
    if (failed && action == INIT_POWER_OFF) {
        long io = sys_ioport_create(boot->system, DEBUG_EXIT_PORT, 1);
        if (io >= 0)
            sys_ioport_out((handle_t)io, DEBUG_EXIT_PORT, 1, 1);
    }
    long err = sys_power(boot->system, action);
    log_printf("init: the machine did not %s: %s\n", action == INIT_POWER_OFF ? "power off" : "restart",
               err_str(err));
    return (int)err;
}

static int on_power(void *ctx, const struct ipc_msg *req, uint32_t action, bool failed) {
    if (action != INIT_POWER_OFF && action != INIT_POWER_RESTART)
        return -E_INVAL;
    log_printf("init: task %u asks to %s\n", req->sender, action == INIT_POWER_OFF ? "power off" : "restart");
    return machine_power(action, failed);
}

/* install.auto=DISK: the installer runs instead of a test; its status is the
 * machine's. */
static bool installing;

static void test_ended(void) {
    struct task_info info;
    sys_task_info(test_task, &info);
    log_printf("init: %s finished with status %d\n", info.name, info.exit_status);
    if (installing)
        machine_power(INIT_POWER_OFF, info.exit_status != 0);
    power_off(info.exit_status != 0);
}

/* Receive one message; notifications are task endings. */
static void serve_one(uint64_t timeout_ns) {
    struct ipc_msg m;
    long err = sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV, timeout_ns);
    if (err == -E_TIMEDOUT)
        return;
    if (err < 0) {
        log_printf("init: receive failed: %s\n", err_str(err));
        return;
    }
    if (m.flags & IPC_MSG_NOTIFY) {
        uint64_t bits;
        memcpy(&bits, m.data, sizeof(bits));
        task_ended(bits & ~WATCH_TEST_BIT);
        if (bits & WATCH_TEST_BIT)
            test_ended();
        return;
    }
    int r = init_dispatch(&server, NULL, &m);
    if (r == -E_NOSYS)
        r = idl_reject(&m, -E_NOSYS);   /* not our interface: closes its handles */
    if (r == 1)
        ipc_reply(&m);
    if (sched_handover_due)
        hand_services_to_sched();
}

/* Tests get the root resource: they exercise IRQs and I/O ports. The
 * unattended installer (path given) does not. */
static void start_test(const char *name, const char *args, const char *program) {
    char path[80];
    fmt_snprintf(path, sizeof(path), "tests/%s", name);
    if (program)
        fmt_snprintf(path, sizeof(path), "%s", program);
    long sys = program ? -E_PERM : sys_handle_dup(boot->system, RIGHT_CONTROL | RIGHT_TRANSFER, 0);
    long t = start_program(name, path, args, 0, sys < 0 ? HANDLE_NONE : (handle_t)sys, false);
    if (t < 0) {
        log_printf("init: cannot start %s: %s\n", path, err_str(t));
        power_off(1);
        return;
    }
    test_task = (handle_t)t;
    sys_task_watch(test_task, ep, WATCH_TEST_BIT);
}

int main(int argc, char **argv) {
    boot = startup.bootinfo;
    if (!boot || boot->magic != BOOTINFO_MAGIC) {
        log_printf("init: no boot information from the kernel\n");
        return 1;
    }
    collect_boot_env(boot->cmdline);
    for (int i = 0; i < MAX_PROGRAMS; i++)
        programs[i].task = HANDLE_NONE;   /* 0 would be HANDLE_SELF */
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("init: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    ep = (handle_t)e;

    char conf_path[64] = "etc/boot.conf";
    cmdline_get(boot->cmdline, "init.conf", conf_path, sizeof(conf_path));
    size_t conf_len;
    const char *conf = archive_file(conf_path, &conf_len);
    if (conf)
        start_services(conf, conf_len);

    uint64_t deadline = sys_clock() + READY_TIMEOUT_NS;
    while (num_pending > 0) {
        uint64_t now = sys_clock();
        if (now >= deadline)
            break;
        serve_one(deadline - now);
    }
    for (int i = 0; i < num_services; i++)
        if (!services[i].ready && !services[i].ended)
            log_printf("init: boot service %s did not report ready in time\n", services[i].name);
    log_printf("TESSERA READY\n");

    char name[64], args[80];
    if (cmdline_get(boot->cmdline, "test", name, sizeof(name)) && name[0]) {
        start_test(name, "", NULL);
    } else if (cmdline_get(boot->cmdline, "bench", name, sizeof(name)) && name[0]) {
        /* bench=NAME runs "ktest bench NAME"; bench=PROGRAM/NAME another test program. */
        char *slash = strchr(name, '/');
        const char *program = "ktest";
        if (slash) {
            *slash = 0;
            program = name;
        }
        fmt_snprintf(args, sizeof(args), "bench %s", slash ? slash + 1 : name);
        start_test(program, args, NULL);
    } else if (cmdline_get(boot->cmdline, "install.auto", name, sizeof(name))) {
        installing = true;
        fmt_snprintf(args, sizeof(args), "--auto=%s", name);
        start_test("installer", args, "apps/installer/installer");
    }
    for (;;)
        serve_one(0);
}
