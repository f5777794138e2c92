/* GDT, TSS, IDT, syscall MSRs and CPU feature set-up for each CPU. */
#include "arch.h"
#include "cpu.h"
#include "../../core/kernel.h"
#include "../../core/percpu.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp0, rsp1, rsp2;
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
    uint16_t off0;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off1;
    uint32_t off2;
    uint32_t zero;
} __attribute__((packed));

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

struct cpu cpus[MAX_CPUS];
unsigned num_cpus = 1;

static uint64_t gdt[MAX_CPUS][7];
static struct tss tss[MAX_CPUS];
static struct idt_entry idt[256];
static uint8_t double_fault_stack[MAX_CPUS][4096] __attribute__((aligned(16)));
bool smap_enabled;
static bool smep_enabled, nx_enabled;
static char features[64];

extern const uint64_t isr_table[256];
extern void syscall_entry(void);
void arch_fpu_init(void);

static void gdt_load(unsigned id) {
    uint64_t *g = gdt[id];
    g[0] = 0;
    g[1] = 0x00af9a000000ffffull;   /* 0x08 kernel code */
    g[2] = 0x00cf92000000ffffull;   /* 0x10 kernel data */
    g[3] = 0x00cff2000000ffffull;   /* 0x18 user data (0x1b) */
    g[4] = 0x00affa000000ffffull;   /* 0x20 user code (0x23) */
    uint64_t base = (uint64_t)&tss[id];
    uint64_t limit = sizeof(struct tss) - 1;
    g[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
           (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    g[6] = base >> 32;
    tss[id].iomap_base = sizeof(struct tss);   /* no I/O bitmap: ring 3 gets no ports */
    tss[id].ist[0] = (uint64_t)&double_fault_stack[id][4096];
    struct desc_ptr p = {sizeof(gdt[id]) - 1, (uint64_t)g};
    __asm__ volatile("lgdt %0\n"
                     "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
                     "pushq $0x08\n lea 1f(%%rip), %%rax\n pushq %%rax\n lretq\n1:\n"
                     "ltr %w2\n"
                     :
                     : "m"(p), "r"(KERNEL_DS), "r"(TSS_SEL)
                     : "rax", "memory");
}

static void idt_init(void) {
    for (int i = 0; i < 256; i++) {
        uint64_t addr = isr_table[i];
        if (!addr)
            continue;
        idt[i].off0 = addr & 0xffff;
        idt[i].sel = KERNEL_CS;
        idt[i].ist = i == 8 ? 1 : 0;   /* double faults get a known-good stack */
        idt[i].type = 0x8e;            /* present, DPL 0, interrupt gate */
        idt[i].off1 = (addr >> 16) & 0xffff;
        idt[i].off2 = addr >> 32;
    }
}

static void idt_load(void) {
    struct desc_ptr p = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(p));
}

static void append_feature(const char *name) {
    size_t len = strlen(features);
    if (len + strlen(name) + 2 > sizeof(features))
        return;
    if (len)
        features[len++] = ' ';
    memcpy(features + len, name, strlen(name) + 1);
}

static void features_init(void) {
    features[0] = 0;
    uint32_t a, b, c, d;
    cpuid(7, 0, &a, &b, &c, &d);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_PGE;
    if (b & (1u << 7)) {
        cr4 |= CR4_SMEP;
        smep_enabled = true;
    }
    if (b & (1u << 20)) {
        cr4 |= CR4_SMAP;
        smap_enabled = true;
    }
    write_cr4(cr4);
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    nx_enabled = d & (1u << 20);   /* boot.S already set EFER.NXE */
    features[0] = 0;
    if (nx_enabled)
        append_feature("nx");
    if (smep_enabled)
        append_feature("smep");
    if (smap_enabled)
        append_feature("smap");
}

bool arch_nx_enabled(void) { return nx_enabled; }
const char *arch_cpu_features(void) { return features; }

static void percpu_init(unsigned id) {
    struct cpu *c = &cpus[id];
    c->self = c;
    c->id = id;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

static void syscall_init(void) {
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* sysret: CS = STAR[63:48]+16, SS = +8; syscall: CS = STAR[47:32], SS = +8 */
    wrmsr(MSR_STAR, ((uint64_t)0x13 << 48) | ((uint64_t)KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    /* Enter the kernel with interrupts off, AC clear (SMAP) and DF clear. */
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_AC | (1u << 10) | (1u << 8));
}

void arch_set_kernel_stack(uint64_t top) {
    struct cpu *c = this_cpu();
    c->kstack_top = top;
    tss[c->id].rsp0 = top;
}

/* Everything a CPU sets up for itself (the boot CPU and each AP). */
void arch_cpu_init(unsigned id) {
    percpu_init(id);
    gdt_load(id);
    idt_load();
    features_init();
    syscall_init();
    arch_fpu_init();
    /* PAT entry 1 (PWT alone) becomes write-combining, for frame buffers;
     * the others keep their power-on types (0 WB, 2 UC-, 3 UC). */
    wrmsr(0x277, 0x0007040600070106ull);
}

void arch_early_init(void) {
    idt_init();
    arch_cpu_init(0);
}

void arch_irq_disable(void) { irq_disable(); }
void arch_halt(void) { __asm__ volatile("hlt"); }
void arch_idle(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
void arch_stop_other_cpus(void) {
    for (unsigned i = 0; i < num_cpus; i++)
        if (i != this_cpu()->id)
            arch_send_ipi(i, VEC_STOP);
}
