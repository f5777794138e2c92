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
#define MAX_STRINGS 64
#define MAX_STRING_BYTES 4096

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
    vm_release(scratch, size);
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

/* Moves h into the task; its number there goes to *in_child. */
static long give(handle_t task, handle_t *h, handle_t *in_child) {
    *in_child = HANDLE_NONE;
    if (*h == HANDLE_NONE)
        return 0;
    struct handle_info info;
    long err = sys_handle_info(*h, &info);
    if (err < 0)
        return err;
    err = sys_task_give(task, *h, info.rights);
    if (err < 0)
        return err;
    *h = HANDLE_NONE;
    *in_child = (handle_t)err;
    return 0;
}

static size_t count(const char *const *list, size_t *bytes) {
    size_t n = 0;
    for (; list && list[n]; n++)
        *bytes += strlen(list[n]) + 1;
    return n;
}

/* The initial stack: argc, argv[], NULL, envp[], NULL, auxv pairs, then the
 * strings at the very top. Built in `image` (ending at `top`) and returns the
 * child's stack pointer. */
static uint64_t build_stack(char *image, size_t image_size, const struct spawn_request *req,
                            const struct elf_image *img, handle_t self, handle_t boot,
                            handle_t given, size_t *used) {
    size_t str_bytes = 0;
    size_t argc = count(req->argv, &str_bytes), envc = count(req->envp, &str_bytes);
    str_bytes = (str_bytes + 15) & ~(size_t)15;
    char *strings = image + image_size - str_bytes;
    uint64_t str_va = USER_STACK_TOP - str_bytes;
    uint64_t words[MAX_STRINGS + 32];
    size_t n = 0, off = 0;
    words[n++] = argc;
    for (size_t pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? req->envp : req->argv;
        size_t k = pass ? envc : argc;
        for (size_t i = 0; i < k; i++) {
            size_t len = strlen(list[i]) + 1;
            memcpy(strings + off, list[i], len);
            words[n++] = str_va + off;
            off += len;
        }
        words[n++] = 0;
    }
    uint64_t aux[][2] = {
        {6, PAGE}, {9, img->entry}, {3, img->phdr_vaddr}, {4, img->phentsize}, {5, img->phnum},
        {AT_TESSERA_SELF, (uint64_t)(int64_t)self},
        {AT_TESSERA_BOOTSTRAP, (uint64_t)(int64_t)boot},
        {AT_TESSERA_GIVEN, (uint64_t)(int64_t)given},
        {0, 0},
    };
    for (size_t i = 0; i < sizeof(aux) / sizeof(aux[0]); i++) {
        words[n++] = aux[i][0];
        words[n++] = aux[i][1];
    }
    size_t frame = (n * 8 + 15) & ~(size_t)15;
    char *frame_area = strings - frame;
    memset(frame_area, 0, frame);
    memcpy(frame_area, words, n * 8);
    *used = str_bytes + frame;
    return str_va - frame;
}

long spawn_program(const struct spawn_request *req) {
    handle_t boot = req->bootstrap, given = req->given;
    long err = 0, task = -E_INVAL;
    struct elf_image img;
    size_t str_bytes = 0;
    size_t nstrings = count(req->argv, &str_bytes) + count(req->envp, &str_bytes);
    if (!req->argv || !req->argv[0] || nstrings > MAX_STRINGS || str_bytes > MAX_STRING_BYTES ||
        elf_parse(&img, req->elf, req->elf_size, USER_SPACE_END) != ELF_OK) {
        err = -E_INVAL;
        goto fail;
    }
    task = sys_task_create(req->name, strlen(req->name));
    if (task < 0) {
        err = task;
        goto fail;
    }
    handle_t t = (handle_t)task;

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

    /* The child's own handle may watch itself, nothing more. */
    handle_t child_self = HANDLE_NONE, child_boot = HANDLE_NONE, child_given = HANDLE_NONE;
    if (!err) {
        long self = sys_handle_dup(t, RIGHT_WATCH | RIGHT_DUP | RIGHT_TRANSFER, 0);
        handle_t s = (handle_t)self;
        err = self < 0 ? self : give(t, &s, &child_self);
    }
    if (!err)
        err = give(t, &boot, &child_boot);
    if (!err)
        err = give(t, &given, &child_given);

    static char image[MAX_STRING_BYTES + 8 * (MAX_STRINGS + 40)];
    size_t used = 0;
    uint64_t sp = 0;
    if (!err)
        sp = build_stack(image, sizeof(image), req, &img, child_self, child_boot, child_given, &used);
    struct stack_fill sf = {image + sizeof(image) - used, used};
    if (!err)
        err = map_into(t, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, PROT_R | PROT_W, fill_stack, &sf);
    if (!err && req->pager != HANDLE_NONE)
        err = sys_task_set_pager(t, req->pager);
    if (!err)
        err = sys_task_start_flags(t, img.entry, sp, 0, req->start_flags);
    if (!err)
        return t;
    sys_task_kill(t);
    sys_handle_close(t);
fail:
    if (boot != HANDLE_NONE)
        sys_handle_close(boot);
    if (given != HANDLE_NONE)
        sys_handle_close(given);
    return err;
}
