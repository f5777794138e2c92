/*
 * The terminal's commands. A line is split at whitespace; double quotes
 * group words (and may hold spaces). Every command prints its result into
 * the window and sets a one-line outcome for the serial log.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <tessera/power.h>
#include <tessera/runtime.h>
#include <tessera/sched.h>
#include <tessera/syscall.h>
#include "idl/init.h"
#include "idl/sched.h"
#include "parse.h"
#include "terminal.h"

#define CAT_MAX_BYTES (256u << 10)   /* more than the scrollback holds anyway */
#define LS_MAX_ENTRIES 1024
#define PS_MAX_TASKS 256

/* ---- helpers ---- */

/* A service from init, looked up once and again after its server went away. */
static int service(const char *name, handle_t *h) {
    if (*h != HANDLE_NONE)
        return 0;
    int err = init_lookup(term_bootstrap, name, h);
    if (err)
        *h = HANDLE_NONE;
    return err;
}

static void forget(handle_t *h) {
    if (*h != HANDLE_NONE)
        sys_handle_close(*h);
    *h = HANDLE_NONE;
}

static bool parse_u32(const char *s, uint32_t *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > UINT32_MAX || *s == '-')
        return false;
    *out = (uint32_t)v;
    return true;
}

/* ---- commands ---- */

static void cmd_help(int argc, char **argv) {
    (void)argc;
    (void)argv;
    term_print("help              this list\n"
               "ls [PATH]         the files in a directory (default /)\n"
               "cat FILE          a text file\n"
               "echo WORDS        the words\n"
               "ps                the running tasks\n"
               "kill ID           end a program by its task id (see ps)\n"
               "run PATH [ARGS]   start a program, e.g. run apps/hello/hello\n"
               "date              the date and time (UTC)\n"
               "mem               memory: in use, free and in all\n"
               "clear             empty the window (also Ctrl+L)\n"
               "poweroff, reboot  turn the machine off / restart it\n"
               "exit              close the terminal\n"
               "Up and Down recall earlier lines; \"double quotes\" keep spaces in a word.\n");
    term_outcome("help shown");
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cmd_ls(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/";
    if (argc > 2) {
        term_print("ls: one path at most\n");
        term_outcome("error: usage");
        return;
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        term_print("ls: %s: %s\n", path, strerror(errno));
        term_outcome("error: %s", strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        term_print("%-40s %10lld\n", path, (long long)st.st_size);
        term_outcome("1 entries");
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        term_print("ls: %s: %s\n", path, strerror(errno));
        term_outcome("error: %s", strerror(errno));
        return;
    }
    static char *names[LS_MAX_ENTRIES];
    int n = 0;
    bool more = false;
    struct dirent *d;
    while ((d = readdir(dir))) {
        if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
            continue;
        if (n == LS_MAX_ENTRIES) {
            more = true;
            break;
        }
        if (!(names[n] = strdup(d->d_name)))
            break;
        n++;
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof(names[0]), compare_names);
    size_t plen = strlen(path);
    for (int i = 0; i < n; i++) {
        char full[1024];
        snprintf(full, sizeof(full), "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names[i]);
        if (stat(full, &st) < 0)
            term_print("%-40s %10s\n", names[i], "?");
        else if (S_ISDIR(st.st_mode))
            term_print("%s/\n", names[i]);
        else
            term_print("%-40s %10lld\n", names[i], (long long)st.st_size);
        free(names[i]);
    }
    if (more)
        term_print("(only the first %d entries are listed)\n", LS_MAX_ENTRIES);
    term_outcome("%d entries", n);
}

static void cmd_cat(int argc, char **argv) {
    if (argc != 2) {
        term_print("usage: cat FILE\n");
        term_outcome("error: usage");
        return;
    }
    const char *path = argv[1];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        term_print("cat: %s: is a directory (try ls)\n", path);
        term_outcome("error: is a directory");
        return;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        term_print("cat: %s: %s\n", path, strerror(errno));
        term_outcome("error: %s", strerror(errno));
        return;
    }
    char *data = malloc(CAT_MAX_BYTES + 1);
    if (!data) {
        fclose(f);
        term_print("cat: out of memory\n");
        term_outcome("error: out of memory");
        return;
    }
    size_t n = fread(data, 1, CAT_MAX_BYTES, f);
    bool failed = ferror(f);
    bool truncated = !failed && fgetc(f) != EOF;
    fclose(f);
    if (failed) {
        term_print("cat: %s: read error\n", path);
        term_outcome("error: read error");
    } else if (!looks_like_text((const unsigned char *)data, n)) {
        term_print("cat: %s: not a text file (binary data not shown)\n", path);
        term_outcome("error: binary file");
    } else {
        data[n] = 0;
        term_write(data);
        if (n && data[n - 1] != '\n')
            term_print("\n");
        if (truncated)
            term_print("(only the first %u KiB are shown)\n", CAT_MAX_BYTES >> 10);
        term_outcome("%zu bytes", n);
    }
    free(data);
}

static void cmd_echo(int argc, char **argv) {
    char buf[1024] = "";
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 1 ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= sizeof(buf) - n)
            break;   /* cut at the buffer's end */
        n += (size_t)w;
    }
    term_print("%s\n", buf);
    term_outcome("%s", buf);
}

static void cmd_ps(int argc, char **argv) {
    (void)argc;
    (void)argv;
    static handle_t sched = HANDLE_NONE;
    int err = service("sched", &sched);
    if (err) {
        term_print("ps: no scheduler service: %s\n", err_str(err));
        term_outcome("error: %s", err_str(err));
        return;
    }
    term_print("%5s  %-24s %-11s %4s %12s\n", "ID", "NAME", "CLASS", "PRIO", "CPU TIME");
    int n = 0;
    for (uint32_t i = 0; i < PS_MAX_TASKS; i++) {
        uint32_t id = 0, class = 0, cpu = 0;
        int32_t prio = 0;
        uint64_t cpu_ns = 0, exhaustions = 0;
        char name[SCHED_TASK_STATS_NAME_MAX] = "";
        err = sched_task_stats(sched, i, &id, name, sizeof(name), &class, &prio, &cpu, &cpu_ns, &exhaustions);
        if (err == -E_NOENT)
            break;
        if (err) {
            term_print("ps: the scheduler failed: %s\n", err_str(err));
            term_outcome("error: %s", err_str(err));
            if (err == -E_PEER || err == -E_BADH)
                forget(&sched);   /* it was restarted: look it up again next time */
            return;
        }
        uint64_t cs = cpu_ns / 10000000ull;   /* hundredths of a second */
        char time[32];
        snprintf(time, sizeof(time), "%llu:%02llu.%02llu", (unsigned long long)(cs / 6000),
                 (unsigned long long)(cs / 100 % 60), (unsigned long long)(cs % 100));
        term_print("%5u  %-24.24s %-11s %4d %12s\n", id, name, sched_class_name(class), prio, time);
        n++;
    }
    term_outcome("%d tasks", n);
}

static void cmd_kill(int argc, char **argv) {
    uint32_t id;
    if (argc != 2 || !parse_u32(argv[1], &id)) {
        term_print("usage: kill ID (a task id from ps)\n");
        term_outcome("error: usage");
        return;
    }
    int err = init_kill(term_bootstrap, id);
    if (err == 0) {
        term_print("task %u ended\n", id);
        term_outcome("killed %u", id);
        return;
    }
    if (err == -E_PERM)
        term_print("kill: task %u is a system service and cannot be ended\n", id);
    else if (err == -E_NOENT)
        term_print("kill: no program with id %u is running (see ps)\n", id);
    else
        term_print("kill: task %u: %s\n", id, err_str(err));
    term_outcome("error: %s", err_str(err));
}

static void power(uint32_t action, const char *what) {
    int err = init_power(term_bootstrap, action, false);
    term_print("%s: %s\n", what, err_str(err));
    term_outcome("error: %s", err_str(err));
}

static void cmd_poweroff(int argc, char **argv) {
    (void)argc;
    (void)argv;
    power(INIT_POWER_OFF, "powering off");
}

static void cmd_reboot(int argc, char **argv) {
    (void)argc;
    (void)argv;
    power(INIT_POWER_RESTART, "restarting");
}

static void cmd_run(int argc, char **argv) {
    if (argc < 2) {
        term_print("usage: run PATH [ARGS], e.g. run apps/hello/hello\n");
        term_outcome("error: usage");
        return;
    }
    const char *path = argv[1];
    while (*path == '/')   /* spawn takes paths in the boot archive, without the root */
        path++;
    char args[INIT_SPAWN_ARGS_MAX];
    size_t n = 0;
    args[0] = 0;
    for (int i = 2; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (n + len + 2 > sizeof(args)) {
            term_print("run: the arguments are too long\n");
            term_outcome("error: arguments too long");
            return;
        }
        if (i > 2)
            args[n++] = '\n';
        memcpy(args + n, argv[i], len + 1);
        n += len;
    }
    handle_t task = HANDLE_NONE;
    int err = init_spawn(term_bootstrap, path, args, HANDLE_NONE, &task);
    if (err) {
        if (err == -E_NOENT)
            term_print("run: %s: no such program\n", path);
        else if (err == -E_ISDIR)
            term_print("run: %s: is a directory\n", path);
        else if (err == -E_INVAL)
            term_print("run: %s: not a program (ELF)\n", path);
        else
            term_print("run: %s: %s\n", path, err_str(err));
        term_outcome("error: %s", err_str(err));
        return;
    }
    struct task_info info;
    if (sys_task_info(task, &info) < 0) {
        sys_handle_close(task);
        term_print("started %s\n", path);
        term_outcome("started");
        return;
    }
    term_print("[%u] started %s\n", info.id, path);
    term_outcome("task %u", info.id);
    term_watch_child(task, info.id, path);
}

static void cmd_date(int argc, char **argv) {
    (void)argc;
    (void)argv;
    struct timespec ts;
    struct tm tm;
    char buf[64];
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm) ||
        !strftime(buf, sizeof(buf), "%a %d %b %Y %H:%M:%S UTC", &tm)) {
        term_print("date: the clock cannot be read\n");
        term_outcome("error: no clock");
        return;
    }
    term_print("%s\n", buf);
    term_outcome("%s", buf);
}

static void cmd_mem(int argc, char **argv) {
    (void)argc;
    (void)argv;
    struct mem_info info;
    long err = sys_mem_info(&info);
    if (err < 0) {
        term_print("mem: %s\n", err_str(err));
        term_outcome("error: %s", err_str(err));
        return;
    }
    uint64_t kib = 1024, used = info.total_bytes - info.free_bytes;
    term_print("%llu KiB in use, %llu KiB free, %llu KiB in all\n", (unsigned long long)(used / kib),
               (unsigned long long)(info.free_bytes / kib), (unsigned long long)(info.total_bytes / kib));
    term_outcome("used=%llu KiB free=%llu KiB total=%llu KiB", (unsigned long long)(used / kib),
                 (unsigned long long)(info.free_bytes / kib), (unsigned long long)(info.total_bytes / kib));
}

static void cmd_clear(int argc, char **argv) {
    (void)argc;
    (void)argv;
    term_clear();
    term_outcome("cleared");
}

static void cmd_exit(int argc, char **argv) {
    (void)argc;
    (void)argv;
    term_outcome("bye");
    term_close();
}

static const struct command {
    const char *name;
    void (*run)(int argc, char **argv);
} commands[] = {
    {"help", cmd_help}, {"ls", cmd_ls},     {"cat", cmd_cat},   {"echo", cmd_echo},   {"ps", cmd_ps},
    {"kill", cmd_kill}, {"run", cmd_run},   {"date", cmd_date}, {"mem", cmd_mem},
    {"clear", cmd_clear}, {"exit", cmd_exit}, {"poweroff", cmd_poweroff}, {"reboot", cmd_reboot},
};

void term_run_line(char *line) {
    char *argv[TERM_MAX_ARGS + 1];
    const char *error = "";
    int argc = split_words(line, argv, TERM_MAX_ARGS, &error);
    if (argc < 0) {
        term_print("%s\n", error);
        term_outcome("error: %s", error);
        return;
    }
    if (argc == 0)
        return;
    argv[argc] = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(argv[0], commands[i].name)) {
            commands[i].run(argc, argv);
            return;
        }
    }
    term_print("%s: unknown command (help lists them)\n", argv[0]);
    term_outcome("unknown command");
}
