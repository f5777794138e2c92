/* Start-up and exit of programs built on libtessera alone (musl programs use
 * musl's start-up; see libs/posix). */
#include <common/format.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>

struct tessera_startup startup;

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHNUM 5

__attribute__((noreturn)) void tessera_start(uint64_t *sp) {
    startup.argc = (int)sp[0];
    startup.argv = (char **)(sp + 1);
    startup.self = startup.bootstrap = startup.given = HANDLE_NONE;
    uint64_t *p = sp + 1 + startup.argc + 1;   /* envp */
    startup.envp = (char **)p;
    while (*p)
        p++;
    for (p++; p[0] != AT_NULL; p += 2) {
        switch (p[0]) {
        case AT_PHDR: startup.phdr = p[1]; break;
        case AT_PHNUM: startup.phnum = p[1]; break;
        case AT_TESSERA_BOOTINFO: startup.bootinfo = (const struct tessera_bootinfo *)p[1]; break;
        case AT_TESSERA_SELF: startup.self = (handle_t)p[1]; break;
        case AT_TESSERA_BOOTSTRAP: startup.bootstrap = (handle_t)p[1]; break;
        case AT_TESSERA_GIVEN: startup.given = (handle_t)p[1]; break;
        }
    }
    exit(main(startup.argc, startup.argv));
}

void exit(int status) { sys_task_exit(status); }

