/* The Tessera user-space runtime: start-up information, logging, spawning. */
#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/abi.h>

/* What the task was started with (from its auxiliary vector). */
struct tessera_startup {
    int argc;
    char **argv;
    char **envp;
    handle_t self;        /* own task handle, or HANDLE_NONE */
    handle_t bootstrap;   /* endpoint to the parent (init), or HANDLE_NONE */
    handle_t given;       /* extra handle from the parent, or HANDLE_NONE */
    const struct tessera_bootinfo *bootinfo;   /* init only */
    uint64_t phdr, phnum;
};
extern struct tessera_startup startup;

int main(int argc, char **argv);

/* Formatted output to the kernel log (COM1), one write per call. */
int log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_vprintf(const char *fmt, va_list ap);

__attribute__((noreturn)) void exit(int status);

/* A virtual address range of `size` bytes nobody in this task uses yet (for
 * mapping memory objects); never reused. */
uintptr_t vm_reserve(size_t size);
/* Gives a reservation back for reuse; nothing may be mapped there any more. */
void vm_release(uintptr_t va, size_t size);
/* Maps a fresh memory object of `size` bytes read/write; returns its address
 * or 0. The handle goes to *mem if mem is not NULL, else it is closed. */
void *mem_alloc(size_t size, handle_t *mem);

/* Starting a program from an ELF image in memory. */
struct spawn_request {
    const char *name;
    const void *elf;
    size_t elf_size;
    const char *const *argv;   /* NULL-terminated; argv[0] is the program name */
    const char *const *envp;   /* NULL-terminated, or NULL for none */
    handle_t bootstrap;        /* moved to the task (its AT_TESSERA_BOOTSTRAP), or HANDLE_NONE */
    handle_t given;            /* moved to the task (its AT_TESSERA_GIVEN), or HANDLE_NONE */
    handle_t pager;            /* set as the task's pager before it starts (not moved), or HANDLE_NONE */
    uint32_t start_flags;      /* TASK_START_* */
};
/* Returns a handle to the started task, or a negative E_* code (then the
 * handles to move are closed). */
long spawn_program(const struct spawn_request *req);

const char *err_str(long err);

/* Sleeps for at least ns nanoseconds (a receive with a timeout on an
 * endpoint of its own that nobody sends to). 0, or a negative E_* code if
 * there is no endpoint to wait on. */
long sleep_ns(uint64_t ns);

/* A boot service is up: offers its endpoint ep (init gets a send handle to
 * it, from which it mints its clients' handles) through bootstrap. */
int service_ready(handle_t bootstrap, handle_t ep);
/* Creates a boot service's endpoint and offers it (service_ready). Returns
 * the endpoint, or a negative E_* code, logged as "who: ...". */
long service_start(handle_t bootstrap, const char *who);
/* ipc_reply for servers: a reply that moves handles and fails (the caller is
 * gone, or its handle table is full) leaves them ours, so they are closed. */
long ipc_reply_or_close(struct ipc_msg *m);

/* A driver's service (dm.lookup: "gpu", "input", "rtc", ...) through the
 * device manager, which init offers as "dm"; -E_AGAIN (the driver is
 * starting or being restarted) is retried every 20 ms for up to timeout_ns.
 * A client whose calls to the service fail with -E_PEER calls this again:
 * the driver was restarted. Returns 0 or the last error. */
int driver_lookup(handle_t bootstrap, const char *name, uint64_t timeout_ns, handle_t *service);
/* The same with a handle to dm already at hand. */
int dm_lookup_wait(handle_t dm, const char *name, uint64_t timeout_ns, handle_t *service);

/* The wall clock: nanoseconds since the Unix epoch, UTC. The rtc driver
 * (dm's "rtc") is read once per program, waiting up to 2 s while dm
 * (re)starts it; from then on it is that reading plus the monotonic clock
 * since. false if there is no rtc: *ns is then the time since boot. */
bool realtime_ns(handle_t bootstrap, uint64_t *ns);

/* Option `key` as "key=value" among the program's arguments or environment
 * entries (the last one wins; init passes every dotted boot option, e.g.
 * ps2.crash_after=3, to every program as an environment entry). */
bool startup_option(const char *key, char *val, size_t cap);
/* The same as a number, or dflt if absent or not a number. */
long startup_option_int(const char *key, long dflt);

#endif
