/*
 * The first user task. The kernel loads exactly one program, servers/init from
 * the boot archive, and hands it the archive and the root resource handle;
 * init starts everything else itself.
 */
#include "kernel.h"
#include "memobj.h"
#include "task.h"
#include "../arch/x64/cpu.h"
#include <common/elf.h>
#include <common/tar.h>

#define INIT_PATH "servers/init"

extern struct kobj system_object;
struct kobj system_object = {KOBJ_SYSTEM, 1};

static void fail(const char *what, const char *detail) {
    panic("cannot start init (%s in the boot archive): %s: %s", INIT_PATH, what, detail);
}

static uint32_t prot_of(uint32_t pf) {
    return PROT_R | ((pf & ELF_PF_W) ? PROT_W : 0) | ((pf & ELF_PF_X) ? PROT_X : 0);
}

/* Memory object with `bytes` copied in at `offset`, mapped at va. */
static void map_copy(struct task *t, uint64_t va, uint64_t size, const void *bytes, uint64_t offset,
                     uint64_t len, uint32_t prot) {
    int err;
    struct memobj *m = memobj_create(size, MEM_CONTIGUOUS, &err);
    if (!m)
        fail("memory", "out of memory");
    memcpy((char *)phys_to_virt(m->base) + offset, bytes, len);
    if (vm_map(&t->vm, m, 0, va, size, prot) < 0)
        fail("mapping", "vm_map failed");
    kobj_unref(&m->obj);   /* the mapping holds it now */
}

void init_task_load(uint64_t archive_phys, uint64_t archive_size) {
    const void *archive = phys_to_virt(archive_phys);
    struct tar_entry entry;
    int err = tar_find(archive, archive_size, INIT_PATH, &entry);
    if (err != TAR_OK)
        fail("archive", tar_strerror(err));
    struct elf_image img;
    err = elf_parse(&img, entry.data, entry.size, USER_SPACE_END);
    if (err != ELF_OK)
        fail("ELF", elf_strerror(err));

    struct task *t = task_create("init");
    if (!t)
        fail("task", "out of memory");

    size_t it = 0;
    struct elf_segment seg;
    uint64_t prev_end = 0;
    while (elf_next_load(&img, &it, &seg)) {
        uint64_t start = ALIGN_DOWN(seg.vaddr, 4096);
        uint64_t end = ALIGN_UP(seg.vaddr + seg.memsz, 4096);
        if (start < prev_end)
            fail("ELF", "segments share a page");
        map_copy(t, start, end - start, seg.data, seg.vaddr - start, seg.filesz, prot_of(seg.flags));
        prev_end = end;
    }

    /* Handles: itself (with task_create's reference), the root resource, the archive. */
    handle_t self = handle_install(&t->handles, &t->obj, RIGHTS_ALL, 0);
    kobj_ref(&system_object);
    handle_t system = handle_install(&t->handles, &system_object, RIGHT_CONTROL | RIGHT_DUP | RIGHT_TRANSFER, 0);
    struct memobj *arch_mem = memobj_create_fixed(archive_phys, archive_size);
    if (!arch_mem || (archive_phys & 4095))
        fail("archive", "cannot wrap the archive (not page aligned?)");
    if (vm_map(&t->vm, arch_mem, 0, INIT_ARCHIVE_ADDR, arch_mem->size, PROT_R) < 0)
        fail("mapping", "archive");
    handle_t archive_h = handle_install(&t->handles, &arch_mem->obj, RIGHT_READ | RIGHT_DUP | RIGHT_TRANSFER, 0);
    if (self < 0 || system < 0 || archive_h < 0)
        fail("handles", "handle table full");

    /* Boot information page. */
    struct tessera_bootinfo bi;
    memset(&bi, 0, sizeof(bi));
    bi.magic = BOOTINFO_MAGIC;
    bi.system = system;
    bi.archive = archive_h;
    bi.archive_addr = INIT_ARCHIVE_ADDR;
    bi.archive_size = archive_size;
    memcpy(bi.cmdline, kernel_cmdline, sizeof(bi.cmdline));
    map_copy(t, INIT_BOOTINFO_ADDR, ALIGN_UP(sizeof(bi), 4096), &bi, 0, sizeof(bi), PROT_R);

    /* System V initial stack: argc, argv, envp, auxv, then the strings. */
    uint64_t stack[32];
    int n = 0;
    uint64_t str_va = USER_STACK_TOP - 16;   /* "init\0" lives at the very top */
    stack[n++] = 1;                          /* argc */
    stack[n++] = str_va;                     /* argv[0] */
    stack[n++] = 0;
    stack[n++] = 0;                          /* envp */
    uint64_t aux[][2] = {
        {6, 4096},                           /* AT_PAGESZ */
        {9, img.entry},                      /* AT_ENTRY */
        {3, img.phdr_vaddr}, {4, img.phentsize}, {5, img.phnum},  /* AT_PHDR, AT_PHENT, AT_PHNUM */
        {AT_TESSERA_BOOTINFO, INIT_BOOTINFO_ADDR},
        {AT_TESSERA_SELF, (uint64_t)self},
        {0, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(aux); i++) {
        stack[n++] = aux[i][0];
        stack[n++] = aux[i][1];
    }
    uint64_t frame_size = ALIGN_UP((uint64_t)n * 8, 16);
    uint64_t sp = USER_STACK_TOP - 64 - frame_size;   /* 16-byte aligned */
    char top[64];
    memset(top, 0, sizeof(top));
    memcpy(top + 48, "init", 5);                     /* at USER_STACK_TOP - 16 */
    int merr;
    struct memobj *sm = memobj_create(USER_STACK_SIZE, 0, &merr);
    if (!sm || vm_map(&t->vm, sm, 0, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, PROT_R | PROT_W) < 0)
        fail("stack", "out of memory");
    uint64_t last = sm->npages - 1;   /* the frame and strings fit in the top page */
    char *page = phys_to_virt(memobj_page(sm, last));
    memcpy(page + 4096 - 64, top, 64);
    memcpy(page + 4096 - 64 - frame_size, stack, (size_t)n * 8);
    kobj_unref(&sm->obj);

    if (task_start(t, img.entry, sp, 0, 0) < 0)
        fail("task", "cannot start");
    printk("[kernel] started init (id %u), entry 0x%lx\n", t->id, img.entry);
}
