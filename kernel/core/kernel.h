/* What every kernel file needs: logging, panics, assertions, basic types. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <common/string.h>
#include <tessera/abi.h>

#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ASSERT(cond)                                                        \
    do {                                                                    \
        if (!(cond))                                                        \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
    } while (0)

/* Boot options (multiboot2 command line + fw_cfg opt/tessera/cmdline). */
extern char kernel_cmdline[1024];
/* The boot loader's framebuffer (phys 0: none), and whether a physical
 * range holds any RAM or boot data (device memory handles must not). */
extern struct fb_info boot_fb;
bool phys_is_ram(uint64_t base, uint64_t len);

#endif
