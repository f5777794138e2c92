/*
 * Starting a program: build its address space from an ELF image, give it a
 * System V initial stack with Tessera's auxiliary vector entries, start it.
 * Every page is prepared through a scratch mapping in our own address space
 * and then mapped into the child with the segment's protection.
 */
#include <common/elf.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>

#define PAGE 4096ull
#define MAX_ARGS 16

static uint32_t prot_of(uint32_t pf) {
    return PROT_R | ((pf & ELF_PF_W) ? PROT_W : 0) | ((pf & ELF_PF_X) ? PROT_X : 0);
}

/* A memory object of `size` bytes, filled by `fill`, mapped into `task` at va. */
static long map_into(handle_t task, uint64_t va, uint64_t size, uint32_t prot,
                     void (*fill)(void *dst, const void *ctx), const void *ctx) {
    long mem = sys_mem_create(size, 0);
    if (mem < 0)
        return mem;
    uintptr_t scratch = vm_reserve(size);
    long err = sys_vm_map(HANDLE_SELF, (handle_t)mem, 0, scratch, size, PROT_R | PROT_W);
    if (err == 0) {
        fill((void *)scratch, ctx);
        sys_vm_unmap(HANDLE_SELF, scratch, size);
        err = sys_vm_map(task, (handle_t)mem, 0, va, size, prot);
    }
    sys_handle_close((handle_t)mem);
    return err;
}

struct segment_fill {
    const struct elf_segment *seg;
    uint64_t start;
};

static void fill_segment(void *dst, const void *ctx) {
    const struct segment_fill *f = ctx;
    memcpy((char *)dst + (f->seg->vaddr - f->start), f->seg->data, f->seg->filesz);
}

struct stack_fill {
    const void *image;   /* the top of the stack, built below */
    size_t len;
};

static void fill_stack(void *dst, const void *ctx) {
    const struct stack_fill *f = ctx;
    memcpy((char *)dst + USER_STACK_SIZE - f->len, f->image, f->len);
}

static long give(handle_t task, handle_t h, handle_t *in_child) {
    *in_child = HANDLE_NONE;
    if (h == HANDLE_NONE)
        return 0;
    struct handle_info info;
    long err = sys_handle_info(h, &info);
    if (err < 0)
        return err;
    err = sys_task_give(task, h, info.rights);
    if (err < 0)
        return err;
    *in_child = (handle_t)err;
    return 0;
}

long spawn_elf(const char *name, const void *elf, size_t elf_size, const char *const argv[],
               handle_t bootstrap, handle_t given) {
    struct elf_image img;
    if (elf_parse(&img, elf, elf_size, USER_SPACE_END) != ELF_OK)
        return -E_INVAL;
    int argc = 0;
    size_t strings = 0;
    while (argv && argv[argc]) {
        strings += strlen(argv[argc]) + 1;
        if (++argc > MAX_ARGS || strings > 2048)
            return -E_INVAL;
    }
    long task = sys_task_create(name, strlen(name));
    if (task < 0)
        return task;
    handle_t t = (handle_t)task;
    long err = 0;

    size_t it = 0;
    struct elf_segment seg;
    uint64_t prev_end = 0;
    while (!err && elf_next_load(&img, &it, &seg)) {
        uint64_t start = seg.vaddr & ~(PAGE - 1);
        uint64_t end = (seg.vaddr + seg.memsz + PAGE - 1) & ~(PAGE - 1);
        if (start < prev_end) {
            err = -E_INVAL;   /* two segments in one page: our linker script prevents it */
            break;
        }
        struct segment_fill f = {&seg, start};
        err = map_into(t, start, end - start, prot_of(seg.flags), fill_segment, &f);
        prev_end = end;
    }

    /* Handles for the child: itself (watch only), the bootstrap endpoint, the extra one. */
    handle_t child_self = HANDLE_NONE, child_boot = HANDLE_NONE, child_given = HANDLE_NONE;
    if (!err) {
        long self = sys_handle_dup(t, RIGHT_WATCH | RIGHT_DUP | RIGHT_TRANSFER, 0);
        err = self < 0 ? self : give(t, (handle_t)self, &child_self);
    }
    if (!err)
        err = give(t, bootstrap, &child_boot);
    if (!err)
        err = give(t, given, &child_given);

    /* The initial stack, built here and copied to the top of the child's stack. */
    static uint64_t image[(2048 + 8 * (MAX_ARGS + 32)) / 8 + 8];
    uint64_t words[MAX_ARGS + 32];
    int n = 0;
    uint64_t top = USER_STACK_TOP;
    size_t str_bytes = (strings + 15) & ~(size_t)15;
    char *str_area = (char *)image + sizeof(image) - str_bytes;
    uint64_t str_va = top - str_bytes;
    words[n++] = (uint64_t)argc;
    size_t off = 0;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]) + 1;
        memcpy(str_area + off, argv[i], len);
        words[n++] = str_va + off;
        off += len;
    }
    words[n++] = 0;   /* end of argv */
    words[n++] = 0;   /* empty envp */
    uint64_t aux[][2] = {
        {6, PAGE}, {9, img.entry}, {3, img.phdr_vaddr}, {4, img.phentsize}, {5, img.phnum},
        {AT_TESSERA_SELF, (uint64_t)(int64_t)child_self},
        {AT_TESSERA_BOOTSTRAP, (uint64_t)(int64_t)child_boot},
        {AT_TESSERA_GIVEN, (uint64_t)(int64_t)child_given},
        {0, 0},
    };
    for (size_t i = 0; i < sizeof(aux) / sizeof(aux[0]); i++) {
        words[n++] = aux[i][0];
        words[n++] = aux[i][1];
    }
    size_t frame = ((size_t)n * 8 + 15) & ~(size_t)15;
    char *frame_area = str_area - frame;
    memset(frame_area, 0, frame);
    memcpy(frame_area, words, (size_t)n * 8);
    uint64_t sp = str_va - frame;
    struct stack_fill sf = {frame_area, str_bytes + frame};
    if (!err)
        err = map_into(t, top - USER_STACK_SIZE, USER_STACK_SIZE, PROT_R | PROT_W, fill_stack, &sf);
    if (!err)
        err = sys_task_start(t, img.entry, sp, 0);
    if (err) {
        sys_task_kill(t);
        sys_handle_close(t);
        return err;
    }
    return t;
}
