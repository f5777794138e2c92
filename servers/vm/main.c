/*
 * vm: pager and memory manager for the tasks it starts.
 *
 * Each client task has a list of regions (anonymous memory or a shared memory
 * object). Anonymous regions are backed by lazy memory objects: nothing is
 * allocated until the task touches a page, the kernel turns the fault into a
 * call to us, and we map the page (and a few after it). Clients are known by
 * badge: their task id on handles init minted for them, or PAGER_BADGE|slot on
 * the pager handle we gave the kernel for them.
 */
#include <common/elf.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/fs.h"
#include "idl/init.h"
#include "idl/sched.h"
#include "idl/vm.h"
#include <tessera/sched.h>
#include <tessera/fs.h>
#include <tessera/vm.h>

#define MAX_CLIENTS 128
#define MAX_REGIONS 128
#define VM_WATCH_BIT 1u
#define PAGER_BADGE (1ull << 62)
#define MMAP_BASE 0x0000400000000000ull
#define MMAP_END 0x00007f0000000000ull
#define FAULT_AROUND_PAGES 16
#define PAGE 4096ull

struct region {
    uint64_t start, end;
    uint32_t prot;
    handle_t mem;          /* memory object backing [start, end) */
    uint64_t offset;       /* of start within mem */
};

struct client {
    bool used;
    uint32_t task_id;
    handle_t task;
    struct region regions[MAX_REGIONS];
    int nregions;
    uint64_t next_va;      /* where the next mapping without an address goes */
    uint64_t mapped;       /* bytes of regions */
    uint64_t image;        /* bytes of its program segments and stack (mapped at spawn, no regions) */
};

static struct client clients[MAX_CLIENTS];
static int num_clients;
static handle_t ep;
static handle_t fs_root = HANDLE_NONE;
static handle_t sched_h = HANDLE_NONE;   /* the scheduler every task we start is handed to */

/* ---- clients ---- */

static struct client *client_by_badge(uint64_t badge) {
    if (badge & PAGER_BADGE) {
        uint64_t slot = badge & ~PAGER_BADGE;
        return slot < MAX_CLIENTS && clients[slot].used ? &clients[slot] : NULL;
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].used && clients[i].task_id == badge)
            return &clients[i];
    return NULL;
}

static void region_drop(struct client *c, int i) {
    struct region *r = &c->regions[i];
    sys_handle_close(r->mem);
    c->mapped -= r->end - r->start;
    c->regions[i] = c->regions[--c->nregions];
}

static void client_free(struct client *c) {
    while (c->nregions)
        region_drop(c, 0);
    sys_handle_close(c->task);
    c->used = false;
    num_clients--;
}

/* A task ended (we watch them all on one bit): free what its regions held. */
static void reap_clients(void) {
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct task_info info;
        if (clients[i].used && (sys_task_info(clients[i].task, &info) < 0 || info.state == TASK_STATE_DEAD))
            client_free(&clients[i]);
    }
}

static struct region *find_region(struct client *c, uint64_t va) {
    for (int i = 0; i < c->nregions; i++)
        if (va >= c->regions[i].start && va < c->regions[i].end)
            return &c->regions[i];
    return NULL;
}

/*
 * Cut [start, end) out of the client's regions: unmapped in the kernel, and
 * regions sticking out on either side are trimmed or split (a split shares
 * the memory object through a second handle).
 */
static int carve(struct client *c, uint64_t start, uint64_t end) {
    for (int i = 0; i < c->nregions; i++) {
        struct region *r = &c->regions[i];
        if (end <= r->start || r->end <= start)
            continue;
        if (start > r->start && end < r->end) {
            if (c->nregions == MAX_REGIONS)
                return -E_NOSPC;
            long dup = sys_handle_dup(r->mem, RIGHT_READ | RIGHT_WRITE | RIGHT_EXEC | RIGHT_DUP, 0);
            if (dup < 0) {
                struct handle_info info;   /* a read-only object: keep its rights */
                sys_handle_info(r->mem, &info);
                dup = sys_handle_dup(r->mem, info.rights, 0);
            }
            if (dup < 0)
                return (int)dup;
            struct region *tail = &c->regions[c->nregions++];
            *tail = *r;
            tail->mem = (handle_t)dup;
            tail->start = end;
            tail->offset = r->offset + (end - r->start);
            r->end = start;
        }
    }
    sys_vm_unmap(c->task, start, end - start);
    for (int i = 0; i < c->nregions;) {
        struct region *r = &c->regions[i];
        if (end <= r->start || r->end <= start) {
            i++;
        } else if (start <= r->start && r->end <= end) {
            region_drop(c, i);   /* moves the last region into slot i */
        } else if (start <= r->start) {
            c->mapped -= end - r->start;
            r->offset += end - r->start;
            r->start = end;
            i++;
        } else {
            c->mapped -= r->end - start;
            r->end = start;
            i++;
        }
    }
    return 0;
}

static int add_region(struct client *c, uint64_t start, uint64_t size, uint32_t prot, handle_t mem,
                      uint64_t offset) {
    if (c->nregions == MAX_REGIONS)
        return -E_NOSPC;
    c->regions[c->nregions++] = (struct region){start, start + size, prot, mem, offset};
    c->mapped += size;
    return 0;
}

/* Where a mapping of `size` bytes goes: at addr if fixed, else the next free spot. */
static int place(struct client *c, uint64_t addr, uint64_t size, uint32_t flags, uint64_t *out) {
    if (size == 0 || size > MMAP_END - MMAP_BASE)
        return -E_NOMEM;
    size = (size + PAGE - 1) & ~(PAGE - 1);
    if (flags & VM_FIXED) {
        if (addr % PAGE || addr < PAGE || addr + size < addr || addr + size > USER_SPACE_END)
            return -E_INVAL;
        int err = carve(c, addr, addr + size);
        if (err)
            return err;
        *out = addr;
        return 0;
    }
    uint64_t guard = (flags & VM_STACK) ? PAGE : 0;
    uint64_t va = c->next_va + guard;
    if (va + size < va || va + size > MMAP_END)
        return -E_NOMEM;
    c->next_va = va + size + PAGE;   /* a hole after every mapping catches overruns */
    *out = va;
    return 0;
}

/* ---- the vm interface ---- */

static int on_map_anon(void *ctx, const struct ipc_msg *req, uint64_t addr, uint64_t size, uint32_t prot,
                       uint32_t flags, uint64_t *addr2) {
    struct client *c = client_by_badge(req->badge);
    if (!c)
        return -E_PERM;
    if (prot & ~(PROT_R | PROT_W | PROT_X) || flags & ~(VM_FIXED | VM_STACK))
        return -E_INVAL;
    if (size == 0 || size > VM_MAX_MAPPING)
        return -E_NOMEM;
    size = (size + PAGE - 1) & ~(PAGE - 1);
    long mem = sys_mem_create(size, MEM_LAZY);
    if (mem < 0)
        return (int)mem;
    uint64_t va;
    int err = place(c, addr, size, flags, &va);
    if (!err)
        err = add_region(c, va, size, prot, (handle_t)mem, 0);
    if (err) {
        sys_handle_close((handle_t)mem);
        return err;
    }
    *addr2 = va;
    return 0;
}

static int on_unmap(void *ctx, const struct ipc_msg *req, uint64_t addr, uint64_t size) {
    struct client *c = client_by_badge(req->badge);
    if (!c)
        return -E_PERM;
    if (addr % PAGE || size == 0 || addr + size < addr || addr + size > USER_SPACE_END)
        return -E_INVAL;
    return carve(c, addr, addr + ((size + PAGE - 1) & ~(PAGE - 1)));
}

static int on_protect(void *ctx, const struct ipc_msg *req, uint64_t addr, uint64_t size, uint32_t prot) {
    struct client *c = client_by_badge(req->badge);
    if (!c)
        return -E_PERM;
    if (addr % PAGE || size == 0 || addr + size < addr || prot & ~(PROT_R | PROT_W | PROT_X))
        return -E_INVAL;
    uint64_t end = addr + ((size + PAGE - 1) & ~(PAGE - 1));
    /* Split at both ends so that whole regions change, then let faults remap. */
    for (int i = 0; i < c->nregions; i++) {
        struct region *r = &c->regions[i];
        for (int edge = 0; edge < 2; edge++) {
            uint64_t cut = edge ? end : addr;
            if (cut > r->start && cut < r->end) {
                if (c->nregions == MAX_REGIONS)
                    return -E_NOSPC;
                long dup = sys_handle_dup(r->mem, RIGHT_READ | RIGHT_WRITE | RIGHT_EXEC | RIGHT_DUP, 0);
                if (dup < 0)
                    return (int)dup;
                struct region *tail = &c->regions[c->nregions++];
                *tail = *r;
                tail->mem = (handle_t)dup;
                tail->start = cut;
                tail->offset = r->offset + (cut - r->start);
                r->end = cut;
            }
        }
    }
    for (int i = 0; i < c->nregions; i++) {
        struct region *r = &c->regions[i];
        if (r->start >= addr && r->end <= end)
            r->prot = prot;
    }
    sys_vm_unmap(c->task, addr, end - addr);
    return 0;
}

static int on_map_object(void *ctx, const struct ipc_msg *req, handle_t mem, uint64_t offset, uint64_t size,
                         uint32_t prot, uint64_t *addr2) {
    struct client *c = client_by_badge(req->badge);
    struct handle_info info;
    int err = 0;
    if (!c)
        err = -E_PERM;
    else if (sys_handle_info(mem, &info) < 0 || info.type != KOBJ_MEMORY)
        err = -E_INVAL;
    else if (offset % PAGE || size == 0 || offset > info.size || size > info.size - offset)
        err = -E_RANGE;
    else if (((prot & PROT_W) && !(info.rights & RIGHT_WRITE)) || ((prot & PROT_X) && !(info.rights & RIGHT_EXEC)))
        err = -E_PERM;   /* a read-only handle maps read-only */
    uint64_t va = 0;
    size = (size + PAGE - 1) & ~(PAGE - 1);
    if (!err)
        err = place(c, 0, size, 0, &va);
    /* Shared memory is mapped at once: the other side may already use it. */
    if (!err)
        err = (int)sys_vm_map(c->task, mem, offset, va, size, prot | PROT_R);
    if (!err)
        err = add_region(c, va, size, prot | PROT_R, mem, offset);
    if (err) {
        if (va)
            sys_vm_unmap(c->task, va, size);
        sys_handle_close(mem);
        return err;
    }
    *addr2 = va;
    return 0;
}

static int on_stats(void *ctx, const struct ipc_msg *req, uint32_t *tasks, uint64_t *mapped, uint64_t *free) {
    uint64_t total = 0;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].used)
            total += clients[i].mapped;
    struct mem_info info;
    sys_mem_info(&info);
    *tasks = (uint32_t)num_clients;
    *mapped = total;
    *free = info.free_bytes;
    return 0;
}

static int on_task_memory(void *ctx, const struct ipc_msg *req, uint32_t index, uint32_t *task_id,
                          uint64_t *bytes) {
    uint32_t n = 0;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (!clients[i].used || n++ != index)
            continue;
        *task_id = clients[i].task_id;
        *bytes = clients[i].image + clients[i].mapped;
        return 0;
    }
    return -E_NOENT;
}

/* ---- program loading ---- */

static const char *basename(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void strncpy_safe(char *dst, const char *src, size_t cap) {
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Split a '\n'-separated list in place into list[] (NULL-terminated). */
static int split_lines(char *s, const char **list, int first, int max) {
    int n = first;
    while (s && *s && n < max - 1) {
        list[n++] = s;
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = 0;
        s = nl + 1;
    }
    list[n] = NULL;
    return n;
}

/* Reads a whole file from the file system into fresh memory. */
static int read_file(const char *path, void **data, size_t *size, handle_t *mem) {
    if (fs_root == HANDLE_NONE)
        return -E_NOENT;
    handle_t file;
    uint32_t kind = 0;
    uint64_t fsize = 0;
    int err = fs_open(fs_root, path, 0, &file, &kind, &fsize);
    if (err)
        return err;
    if (kind != FS_KIND_FILE || fsize == 0 || fsize > VM_MAX_PROGRAM) {
        sys_handle_close(file);
        return kind != FS_KIND_FILE ? -E_ISDIR : -E_INVAL;
    }
    char *buf = mem_alloc(fsize, mem);
    if (!buf) {
        sys_handle_close(file);
        return -E_NOMEM;
    }
    uint64_t done = 0;
    while (done < fsize) {
        size_t got = 0;
        uint32_t want = fsize - done > FS_READ_DATA_MAX ? FS_READ_DATA_MAX : (uint32_t)(fsize - done);
        err = fs_read(file, done, want, buf + done, want, &got);
        if (err || got == 0) {
            err = err ? err : -E_IO;   /* the file shrank under us */
            break;
        }
        done += got;
    }
    sys_handle_close(file);
    if (err) {
        sys_vm_unmap(HANDLE_SELF, (uintptr_t)buf, (fsize + PAGE - 1) & ~(PAGE - 1));
        vm_release((uintptr_t)buf, fsize);
        sys_handle_close(*mem);
        return err;
    }
    *data = buf;
    *size = fsize;
    return 0;
}

/* What spawn_program maps for a program: its loadable segments and its stack. */
static uint64_t image_bytes(const void *elf, size_t size) {
    struct elf_image img;
    struct elf_segment seg;
    size_t it = 0;
    uint64_t total = USER_STACK_SIZE;
    if (elf_parse(&img, elf, size, USER_SPACE_END) != ELF_OK)
        return 0;
    while (elf_next_load(&img, &it, &seg))
        total += ((seg.vaddr + seg.memsz + PAGE - 1) & ~(PAGE - 1)) - (seg.vaddr & ~(PAGE - 1));
    return total;
}

static int on_spawn(void *ctx, const struct ipc_msg *req, const char *path, const char *args, const char *env,
                    handle_t bootstrap, handle_t give, handle_t *task) {
    int slot = -1;
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
        if (!clients[i].used)
            slot = i;
    void *elf = NULL;
    size_t size = 0;
    handle_t elf_mem = HANDLE_NONE;
    int err = slot < 0 ? -E_NOSPC : read_file(path, &elf, &size, &elf_mem);
    if (err) {
        if (bootstrap != HANDLE_NONE)
            sys_handle_close(bootstrap);
        if (give != HANDLE_NONE)
            sys_handle_close(give);
        return err;
    }
    static char argbuf[VM_SPAWN_ARGS_MAX], envbuf[VM_SPAWN_ARGS_MAX];
    const char *argv[33], *envp[33];
    strncpy_safe(argbuf, args, sizeof(argbuf));
    strncpy_safe(envbuf, env, sizeof(envbuf));
    argv[0] = basename(path);
    split_lines(argbuf, argv, 1, 33);
    split_lines(envbuf, envp, 0, 33);
    long pager = sys_handle_dup(ep, RIGHT_SEND, PAGER_BADGE | (uint64_t)slot);
    struct spawn_request sr = {
        .name = basename(path), .elf = elf, .elf_size = size, .argv = argv, .envp = envp,
        .bootstrap = bootstrap, .given = give, .pager = pager < 0 ? HANDLE_NONE : (handle_t)pager,
        .start_flags = sched_h != HANDLE_NONE ? TASK_START_WAIT_SCHED : 0,
    };
    long t = pager < 0 ? pager : spawn_program(&sr);
    uint64_t image = t < 0 ? 0 : image_bytes(elf, size);
    if (pager >= 0)
        sys_handle_close((handle_t)pager);   /* the kernel keeps its own reference */
    sys_vm_unmap(HANDLE_SELF, (uintptr_t)elf, (size + PAGE - 1) & ~(PAGE - 1));
    vm_release((uintptr_t)elf, size);
    sys_handle_close(elf_mem);
    if (t < 0)
        return (int)t;
    struct client *c = &clients[slot];
    struct task_info info;
    sys_task_info((handle_t)t, &info);
    memset(c, 0, sizeof(*c));
    c->used = true;
    c->task_id = info.id;
    c->next_va = MMAP_BASE;
    c->image = image;
    /* We keep a handle with control (to map into it); the caller gets one to watch and end it. */
    c->task = (handle_t)t;
    num_clients++;
    sys_task_watch(c->task, ep, VM_WATCH_BIT);
    if (sched_h != HANDLE_NONE) {
        /* sched decides its priority and starts it; if sched cannot, we start it. */
        long for_sched = sys_handle_dup(c->task, RIGHT_SCHED | RIGHT_WATCH | RIGHT_TRANSFER, 0);
        int err = for_sched < 0 ? (int)for_sched : sched_add(sched_h, (handle_t)for_sched, SCHED_CLASS_NORMAL);
        if (err) {
            log_printf("vm: sched did not take %s (%s); default scheduling\n", basename(path), err_str(err));
            sys_sched(c->task, SCHED_PRIO_LOWEST, SCHED_DEFAULT_QUANTUM_MS, SCHED_DEFAULT_QUANTUM_MS,
                      SCHED_AFFINITY_ANY);
        }
    }
    long theirs = sys_handle_dup(c->task, RIGHT_CONTROL | RIGHT_WATCH | RIGHT_SCHED | RIGHT_TRANSFER | RIGHT_DUP, 0);
    if (theirs < 0)
        return (int)theirs;
    *task = (handle_t)theirs;
    return 0;
}

static const struct vm_server server = {
    .map_anon = on_map_anon, .unmap = on_unmap, .protect = on_protect,
    .map_object = on_map_object, .spawn = on_spawn, .stats = on_stats,
    .task_memory = on_task_memory,
};

/* ---- page faults ---- */

static int on_fault(struct ipc_msg *m) {
    struct client *c = client_by_badge(m->badge);
    struct pager_fault f;
    if (!c || m->len != sizeof(f))
        return -E_INVAL;
    memcpy(&f, m->data, sizeof(f));
    uint64_t page = f.addr & ~(PAGE - 1);
    struct region *r = find_region(c, page);
    if (!r || (f.access & r->prot) != f.access)
        return -E_FAULT;   /* outside every mapping, or not allowed: the kernel ends the task */
    if (f.present)
        sys_vm_unmap(c->task, page, PAGE);   /* a stale mapping from before protect() */
    /* Map a few pages at once: programs touch memory in runs. */
    uint64_t end = page + FAULT_AROUND_PAGES * PAGE;
    if (end > r->end || end < page)
        end = r->end;
    for (uint64_t n = end - page; n >= PAGE; n = n > PAGE ? PAGE : 0) {
        long err = sys_vm_map(c->task, r->mem, r->offset + (page - r->start), page, n, r->prot);
        if (err == 0)
            return 0;
        if (err != -E_BUSY)   /* -E_BUSY: some of those pages are mapped; try just the one */
            return (int)err;
    }
    return 0;   /* already mapped (two threads faulted on it): resume */
}

int main(int argc, char **argv) {
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("vm: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    ep = (handle_t)e;
    int err = init_lookup(startup.bootstrap, "fs", &fs_root);
    if (err)
        log_printf("vm: no file system (%s); spawn will fail\n", err_str(err));
    if (init_lookup(startup.bootstrap, "sched", &sched_h))
        sched_h = HANDLE_NONE;   /* no scheduler: tasks keep the kernel's defaults */
    err = service_ready(startup.bootstrap, ep);
    if (err)
        log_printf("vm: init did not take our ready: %s\n", err_str(err));

    struct ipc_msg m;
    long rc = ipc_recv(ep, &m);
    for (;;) {
        if (rc < 0) {
            log_printf("vm: receive failed: %s\n", err_str(rc));
            rc = ipc_recv(ep, &m);
            continue;
        }
        int r;
        if (m.flags & IPC_MSG_NOTIFY) {
            reap_clients();
            r = 0;
        } else if (m.label == PAGER_FAULT_LABEL && (m.badge & PAGER_BADGE)) {
            int status = on_fault(&m);
            m.label = status;
            m.len = 0;
            m.nhandles = 0;
            r = 1;
        } else {
            r = vm_dispatch(&server, NULL, &m);
            if (r == -E_NOSYS)
                r = idl_reject(&m, -E_NOSYS);
        }
        rc = r == 1 ? ipc_reply_recv(ep, &m) : ipc_recv(ep, &m);
    }
}
