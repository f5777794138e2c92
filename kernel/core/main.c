/*
 * Boot: from the multiboot2 hand-off to the first user task. The order
 * matters: the boot information is read through the boot identity map, which
 * is gone once the real page tables are live.
 */
#include "kernel.h"
#include "kmalloc.h"
#include "lock.h"
#include "percpu.h"
#include "pmm.h"
#include "sched.h"
#include "../arch/x64/arch.h"
#include "../arch/x64/cpu.h"
#include <common/cmdline.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MAX_MMAP 128

struct mb2_tag {
    uint32_t type, size;
};

struct mmap_entry {
    uint64_t base, len;
    uint32_t type;
};

char kernel_cmdline[1024];

static struct mmap_entry mmap[MAX_MMAP];
static unsigned mmap_count;
static uint64_t mbi_start, mbi_end, rsdp_phys;

extern char __kernel_end[];
void init_task_load(uint64_t archive_phys, uint64_t archive_size);

struct fb_info boot_fb;

static void append_cmdline(const char *s) {
    size_t len = strlen(kernel_cmdline), add = strlen(s);
    if (!add)
        return;
    if (len + add + 2 > sizeof(kernel_cmdline)) {
        printk("[kernel] boot options too long; ignoring \"%s\"\n", s);
        return;
    }
    if (len)
        kernel_cmdline[len++] = ' ';
    memcpy(kernel_cmdline + len, s, add + 1);
}

static uint64_t module_start, module_end;

/* Runs on the boot identity map: physical addresses are pointers. */
static void parse_multiboot(uint64_t mbi) {
    uint32_t total = *(uint32_t *)mbi;
    mbi_start = mbi;
    mbi_end = mbi + total;
    for (uint64_t p = mbi + 8; p + 8 <= mbi_end;) {
        struct mb2_tag *tag = (struct mb2_tag *)p;
        if (tag->type == 0 || tag->size < 8)
            break;
        switch (tag->type) {
        case 1: {   /* command line */
            char buf[512];
            size_t n = MIN(tag->size - 8, sizeof(buf) - 1);
            memcpy(buf, (char *)(p + 8), n);
            buf[n] = 0;
            append_cmdline(buf);
            break;
        }
        case 3: {   /* module: the first one is the boot archive */
            uint32_t *m = (uint32_t *)(p + 8);
            if (!module_end) {
                module_start = m[0];
                module_end = m[1];
            }
            break;
        }
        case 6: {   /* memory map */
            uint32_t entry_size = *(uint32_t *)(p + 8);
            for (uint64_t e = p + 16; entry_size >= 24 && e + entry_size <= p + tag->size &&
                                       mmap_count < MAX_MMAP; e += entry_size) {
                mmap[mmap_count].base = *(uint64_t *)e;
                mmap[mmap_count].len = *(uint64_t *)(e + 8);
                mmap[mmap_count].type = *(uint32_t *)(e + 16);
                mmap_count++;
            }
            break;
        }
        case 8: {   /* framebuffer: direct RGB only (type 1) */
            uint8_t *f = (uint8_t *)(p + 8);
            uint32_t pitch = *(uint32_t *)(f + 8), width = *(uint32_t *)(f + 12), height = *(uint32_t *)(f + 16);
            uint8_t bpp = f[20], type = f[21];
            if (type == 1 && tag->size >= 8 + 24 + 6 && (bpp == 32 || bpp == 24 || bpp == 16)) {
                boot_fb.phys = *(uint64_t *)f;
                boot_fb.pitch = pitch;
                boot_fb.width = width;
                boot_fb.height = height;
                boot_fb.bpp = bpp;
                boot_fb.red_pos = f[24];
                boot_fb.red_size = f[25];
                boot_fb.green_pos = f[26];
                boot_fb.green_size = f[27];
                boot_fb.blue_pos = f[28];
                boot_fb.blue_size = f[29];
            }
            break;
        }
        case 14:    /* ACPI 1.0 RSDP copy */
            if (!rsdp_phys)
                rsdp_phys = p + 8;
            break;
        case 15:    /* ACPI 2.0+ RSDP copy: preferred */
            rsdp_phys = p + 8;
            break;
        }
        p += ALIGN_UP(tag->size, 8);
    }
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
    return a < b + blen && b < a + alen;
}

static bool range_is_taken(uint64_t base, uint64_t len) {
    uint64_t kernel_phys_end = (uint64_t)__kernel_end - KERNEL_VMA;
    return base < 0x100000 || overlaps(base, len, 0x100000, kernel_phys_end - 0x100000) ||
           overlaps(base, len, mbi_start, mbi_end - mbi_start) ||
           overlaps(base, len, module_start, module_end - module_start);
}

bool phys_is_ram(uint64_t base, uint64_t len) {
    if (range_is_taken(base, len))
        return true;
    for (unsigned i = 0; i < mmap_count; i++)
        if (mmap[i].type != 2 && overlaps(base, len, mmap[i].base, mmap[i].len))
            return true;   /* usable, ACPI, NVS or bad memory: anything but "reserved" */
    return false;
}

static void memory_init(void) {
    uint64_t top = 0;
    for (unsigned i = 0; i < mmap_count; i++)
        if (mmap[i].type == 1)
            top = MAX(top, mmap[i].base + mmap[i].len);
    if (!top)
        panic("no usable memory in the boot loader's memory map");
    arch_paging_init(top);

    /* The bitmap goes in the first usable spot that holds nothing else. */
    uint64_t npages = top / 4096;
    uint64_t bytes = ALIGN_UP(pmm_bitmap_bytes(npages), 4096);
    uint64_t bitmap_pa = 0;
    for (unsigned i = 0; i < mmap_count && !bitmap_pa; i++) {
        if (mmap[i].type != 1)
            continue;
        for (uint64_t pa = ALIGN_UP(mmap[i].base, 4096); pa + bytes <= mmap[i].base + mmap[i].len;
             pa += 4096) {
            if (!range_is_taken(pa, bytes)) {
                bitmap_pa = pa;
                break;
            }
        }
    }
    if (!bitmap_pa)
        panic("no room for the page bitmap");
    pmm_init(phys_to_virt(bitmap_pa), npages);
    for (unsigned i = 0; i < mmap_count; i++)
        if (mmap[i].type == 1)
            pmm_add_free_range(mmap[i].base, mmap[i].len);
    pmm_reserve_range(0, 0x100000);
    pmm_reserve_range(0x100000, (uint64_t)__kernel_end - KERNEL_VMA - 0x100000);
    pmm_reserve_range(mbi_start, mbi_end - mbi_start);
    pmm_reserve_range(module_start, module_end - module_start);
    pmm_reserve_range(bitmap_pa, bytes);
    printk("[kernel] memory: %lu MiB usable, %lu MiB free\n", top >> 20,
           pmm_free_pages() * 4096 >> 20);
}

/* A deliberate panic a few calls deep, so the test sees a real backtrace. */
static __attribute__((noinline)) void panic_test_leaf(void) {
    panic("panic test requested by the kernel.panic_test boot option");
}
static __attribute__((noinline)) void panic_test_middle(void) {
    panic_test_leaf();
    __asm__ volatile("" ::: "memory");   /* keep the frame: no tail call */
}
static volatile uintptr_t fault_test_address = 0x10;

static __attribute__((noinline)) void panic_test(void) {
    panic_test_middle();
    __asm__ volatile("" ::: "memory");
}

void kmain(uint32_t magic, uint32_t mbi) {
    serial_init();
    printk("\nTessera kernel 0.1 (x86-64), built " __DATE__ "\n");
    if (magic != MB2_BOOTLOADER_MAGIC)
        panic("not started by a multiboot2 boot loader (magic 0x%x)", magic);
    arch_early_init();
    parse_multiboot(mbi);
    memory_init();
    char fw[512];
    if (fwcfg_read_file("opt/tessera/cmdline", fw, sizeof(fw)) > 0)
        append_cmdline(fw);
    printk("[kernel] boot options: %s\n", kernel_cmdline[0] ? kernel_cmdline : "(none)");
    printk("[kernel] CPU features: %s\n", arch_cpu_features()[0] ? arch_cpu_features() : "(none)");
    arch_interrupts_init(rsdp_phys);
    sched_init();
    kernel_lock();   /* from here on, as on every CPU: kernel code runs under the lock */
    smp_start();
    if (cmdline_has(kernel_cmdline, "kernel.panic_test"))
        panic_test();
    if (cmdline_has(kernel_cmdline, "kernel.fault_test"))
        (void)*(volatile uint64_t *)fault_test_address;   /* a kernel-mode page fault */
    if (!module_end)
        panic("no boot archive: GRUB loaded no module (check grub.cfg's module2 line)");
    init_task_load(module_start, module_end - module_start);
    sched_idle_loop();
}
