/* The Tessera user-space runtime: start-up information, logging, spawning. */
#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stdarg.h>
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

#endif
