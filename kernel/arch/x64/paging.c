/*
 * 4-level paging. The upper half is shared by every address space: the direct
 * map of physical memory (PML4 slot 256), uncached device mappings (slot 384)
 * and the kernel image (slot 511). Those PML4 slots are filled once at boot
 * and copied into each new address space, so kernel mappings never diverge.
 */
#include "arch.h"
#include "cpu.h"
#include "../../core/kernel.h"
#include "../../core/kmalloc.h"
#include "../../core/percpu.h"
#include "../../core/pmm.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define POOL_PAGES 72
static uint64_t boot_pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned boot_pool_used;
static uint64_t kernel_pml4_phys;
static uint64_t *kernel_pml4;
static uint64_t *mmio_pd;          /* 1 GiB of MMIO space is plenty */
static uint64_t mmio_next = MMIO_BASE;
static uint64_t nx_bit;

extern char __kernel_image_start[], __text_end[], __rodata_start[], __data_start[], __kernel_end[];
bool arch_nx_enabled(void);

static uint64_t *pool_page(void) {
    if (boot_pool_used == POOL_PAGES)
        panic("paging: boot page-table pool exhausted");
    return boot_pool[boot_pool_used++];
}

/* Boot-time tables are in the kernel image; its physical address is VMA - KERNEL_VMA. */
static uint64_t image_phys(const void *p) { return (uint64_t)p - KERNEL_VMA; }

void arch_paging_init(uint64_t max_phys) {
    uint32_t a, b, c, d;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    bool gb_pages = d & (1u << 26);
    nx_bit = arch_nx_enabled() ? PTE_NX : 0;

    kernel_pml4 = pool_page();
    kernel_pml4_phys = image_phys(kernel_pml4);

    /* Direct map: all RAM, and at least 4 GiB so firmware tables are covered. */
    uint64_t top = ALIGN_UP(MAX(max_phys, 4ull << 30), 1ull << 30);
    if (top > (512ull << 30))
        top = 512ull << 30;
    uint64_t *pdpt = pool_page();
    kernel_pml4[256] = image_phys(pdpt) | PTE_P | PTE_W;
    for (uint64_t gb = 0; gb < top >> 30; gb++) {
        if (gb_pages) {
            pdpt[gb] = (gb << 30) | PTE_P | PTE_W | PTE_PS | PTE_G | nx_bit;
            continue;
        }
        if (boot_pool_used + 8 >= POOL_PAGES) {
            printk("[kernel] direct map limited to %lu GiB (no 1 GiB pages)\n", gb);
            break;
        }
        uint64_t *pd = pool_page();
        pdpt[gb] = image_phys(pd) | PTE_P | PTE_W;
        for (uint64_t i = 0; i < 512; i++)
            pd[i] = ((gb << 30) + (i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G | nx_bit;
    }

    /* MMIO window. */
    uint64_t *mmio_pdpt = pool_page();
    mmio_pd = pool_page();
    kernel_pml4[384] = image_phys(mmio_pdpt) | PTE_P | PTE_W;
    mmio_pdpt[0] = image_phys(mmio_pd) | PTE_P | PTE_W;

    /* Kernel image with 4 KiB pages: text RX, rodata R, data/bss RW. */
    uint64_t *img_pdpt = pool_page();
    uint64_t *img_pd = pool_page();
    kernel_pml4[511] = image_phys(img_pdpt) | PTE_P | PTE_W;
    img_pdpt[510] = image_phys(img_pd) | PTE_P | PTE_W;
    uint64_t start = (uint64_t)__kernel_image_start, end = (uint64_t)__kernel_end;
    if (end - KERNEL_VMA > (8ull << 20))
        panic("kernel image too large");
    for (uint64_t va = ALIGN_DOWN(start, 4096); va < end; va += 4096) {
        uint64_t pdi = (va >> 21) & 511, pti = (va >> 12) & 511;
        if (!img_pd[pdi])
            img_pd[pdi] = image_phys(pool_page()) | PTE_P | PTE_W;
        uint64_t *pt = (uint64_t *)((img_pd[pdi] & PTE_ADDR) + KERNEL_VMA);
        uint64_t flags = PTE_P | PTE_G;
        if (va >= (uint64_t)__text_end)
            flags |= nx_bit;
        if (va >= (uint64_t)__data_start)
            flags |= PTE_W;   /* text and rodata stay read-only */
        pt[pti] = (va - KERNEL_VMA) | flags;
    }
    write_cr3(kernel_pml4_phys);
    cpus[0].cr3 = kernel_pml4_phys;
}

/* ---- address spaces ---- */

int arch_as_init(struct arch_as *as) {
    uint64_t *pml4 = kpage_alloc(1);
    if (!pml4)
        return -E_NOMEM;
    for (int i = 256; i < 512; i++)
        pml4[i] = kernel_pml4[i];
    as->pml4 = virt_to_phys(pml4);
    return 0;
}

static void free_table(uint64_t *table, int level) {
    for (int i = 0; i < 512; i++) {
        if (!(table[i] & PTE_P) || level == 1)
            continue;
        free_table(phys_to_virt(table[i] & PTE_ADDR), level - 1);
    }
    kpage_free(table, 1);
}

void arch_as_destroy(struct arch_as *as) {
    if (!as->pml4)
        return;
    if (read_cr3() == as->pml4) {
        write_cr3(kernel_pml4_phys);
        this_cpu()->cr3 = kernel_pml4_phys;
    }
    arch_tlb_shootdown(as->pml4, true);   /* nobody may walk these tables any more */
    uint64_t *pml4 = phys_to_virt(as->pml4);
    for (int i = 0; i < 256; i++)
        if (pml4[i] & PTE_P)
            free_table(phys_to_virt(pml4[i] & PTE_ADDR), 3);
    kpage_free(pml4, 1);
    as->pml4 = 0;
}

void arch_as_activate(const struct arch_as *as) {
    uint64_t want = as ? as->pml4 : kernel_pml4_phys;
    if (read_cr3() != want) {
        write_cr3(want);
        this_cpu()->cr3 = want;
    }
}

uint64_t arch_kernel_pml4(void) { return kernel_pml4_phys; }

/* APs switch on paging while still running at their low start-up address. */
void arch_identity_map_low(bool on) {
    static uint64_t *pdpt, *pd;
    if (on) {
        pdpt = kpage_alloc(1);
        pd = kpage_alloc(1);
        if (!pdpt || !pd)
            panic("no memory to start the other CPUs");
        pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
        pdpt[0] = virt_to_phys(pd) | PTE_P | PTE_W;
        kernel_pml4[0] = virt_to_phys(pdpt) | PTE_P | PTE_W;
    } else {
        kernel_pml4[0] = 0;
        write_cr3(read_cr3());
        kpage_free(pd, 1);
        kpage_free(pdpt, 1);
    }
}

/* Answer a shootdown request addressed to this CPU, if there is one. */
void arch_shootdown_poll(void) {
    struct cpu *c = this_cpu();
    uint64_t pml4 = c->shootdown_pml4;
    if (!pml4)
        return;
    if (read_cr3() == pml4) {
        uint64_t next = c->shootdown_dying ? kernel_pml4_phys : pml4;
        write_cr3(next);   /* reloading CR3 drops the address space's TLB entries */
        c->cr3 = next;
    }
    __atomic_store_n(&c->shootdown_pml4, 0, __ATOMIC_RELEASE);
}

/*
 * Other CPUs that have this address space loaded drop their TLB entries for
 * it (or, when it is dying, leave it) before we go on: we changed or freed
 * mappings they might still use. We hold the kernel lock; they answer from
 * the interrupt or from their wait for the lock.
 */
void arch_tlb_shootdown(uint64_t pml4, bool dying) {
    unsigned self = this_cpu()->id;
    bool waiting[MAX_CPUS] = {false};
    for (unsigned i = 0; i < num_cpus; i++) {
        if (i == self || cpus[i].cr3 != pml4)
            continue;
        cpus[i].shootdown_dying = dying;
        __atomic_store_n(&cpus[i].shootdown_pml4, pml4, __ATOMIC_RELEASE);
        arch_send_ipi(i, VEC_SHOOTDOWN);
        waiting[i] = true;
    }
    uint64_t give_up = arch_clock_ns() + 2000000000ull;
    for (unsigned i = 0; i < num_cpus; i++) {
        while (waiting[i] && __atomic_load_n(&cpus[i].shootdown_pml4, __ATOMIC_ACQUIRE)) {
            cpu_relax();
            if (arch_clock_ns() > give_up)
                panic("CPU %u does not answer a TLB shootdown (its cr3 %lx, current %s)", i, cpus[i].cr3,
                      cpus[i].current == cpus[i].idle ? "idle" : "a thread");
        }
    }
}

/* The PTE slot for va, creating intermediate tables when `create`. */
static uint64_t *walk(uint64_t pml4_phys, uint64_t va, bool create) {
    uint64_t *table = phys_to_virt(pml4_phys);
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t *e = &table[(va >> shift) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t *next = kpage_alloc(1);
            if (!next)
                return NULL;
            *e = virt_to_phys(next) | PTE_P | PTE_W | PTE_U;
        }
        table = phys_to_virt(*e & PTE_ADDR);
    }
    return &table[(va >> 12) & 511];
}

int arch_map_page(struct arch_as *as, uint64_t va, uint64_t pa, uint32_t prot) {
    uint64_t *pte = walk(as->pml4, va, true);
    if (!pte)
        return -E_NOMEM;
    uint64_t flags = PTE_P | PTE_U;
    if (prot & PROT_W)
        flags |= PTE_W;
    if (!(prot & PROT_X))
        flags |= nx_bit;
    if (prot & ARCH_MAP_UNCACHED)
        flags |= PTE_PCD | PTE_PWT;   /* PAT entry 3: UC */
    else if (prot & ARCH_MAP_WC)
        flags |= PTE_PWT;             /* PAT entry 1, set to WC by arch_cpu_init */
    bool was_present = *pte & PTE_P;
    *pte = pa | flags;
    if (was_present && read_cr3() == as->pml4)
        invlpg(va);
    if (was_present)
        arch_tlb_shootdown(as->pml4, false);
    return 0;
}

void arch_unmap_page(struct arch_as *as, uint64_t va) {
    uint64_t *pte = walk(as->pml4, va, false);
    if (!pte || !(*pte & PTE_P))
        return;
    *pte = 0;
    if (read_cr3() == as->pml4)
        invlpg(va);
}

void *arch_map_mmio(uint64_t pa, uint64_t size) {
    uint64_t off = pa & 4095;
    pa -= off;
    size = ALIGN_UP(size + off, 4096);
    uint64_t va = mmio_next;
    if (va + size > MMIO_BASE + (1ull << 30))
        panic("MMIO window full");
    mmio_next += size + 4096;   /* leave a hole between mappings */
    for (uint64_t i = 0; i < size; i += 4096) {
        uint64_t v = va + i;
        uint64_t pdi = (v >> 21) & 511;
        if (!(mmio_pd[pdi] & PTE_P)) {
            uint64_t *pt = kpage_alloc(1);
            if (!pt)
                panic("out of memory mapping MMIO");
            mmio_pd[pdi] = virt_to_phys(pt) | PTE_P | PTE_W;
        }
        uint64_t *pt = phys_to_virt(mmio_pd[pdi] & PTE_ADDR);
        pt[(v >> 12) & 511] = (pa + i) | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_G | nx_bit;
    }
    return (void *)(va + off);
}

/* ---- pages for the kernel ---- */

void *kpage_alloc(size_t count) {
    uint64_t pa = pmm_alloc(count, 1);
    if (!pa)
        return NULL;
    void *p = phys_to_virt(pa);
    memset(p, 0, count * 4096);
    return p;
}

void kpage_free(void *p, size_t count) {
    if (!pmm_free(virt_to_phys(p), count))
        panic("kpage_free: %p (%zu pages) was not allocated", p, count);
}

/* ---- user memory ---- */

int user_copy(void *dst, const void *src, size_t n);

static bool user_range_ok(uint64_t addr, size_t n) {
    return addr + n >= addr && addr + n <= USER_SPACE_END;
}

int copy_from_user(void *dst, uint64_t user_src, size_t n) {
    if (!user_range_ok(user_src, n))
        return -E_FAULT;
    return user_copy(dst, (const void *)user_src, n);
}

int copy_to_user(uint64_t user_dst, const void *src, size_t n) {
    if (!user_range_ok(user_dst, n))
        return -E_FAULT;
    return user_copy((void *)user_dst, src, n);
}
