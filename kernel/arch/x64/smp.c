/*
 * Starting the other CPUs (INIT-SIPI-SIPI through the local APIC, the
 * trampoline in trampoline.S) and the inter-processor interrupts the kernel
 * needs: reschedule, TLB shootdown, stop.
 */
#include "arch.h"
#include "acpi.h"
#include "cpu.h"
#include "../../core/kernel.h"
#include "../../core/kmalloc.h"
#include "../../core/lock.h"
#include "../../core/percpu.h"
#include "../../core/sched.h"
#include <common/cmdline.h>

#define TRAMP_PHYS 0x8000
#define AP_STACK_PAGES 4

struct tramp_params {
    uint32_t cr3, efer;
    uint64_t stack, entry;
    uint32_t cpu, pad;
};

extern const char ap_trampoline[], ap_trampoline_end[], ap_tramp_params[];
void lapic_send_init(uint8_t apic_id);
void lapic_send_sipi(uint8_t apic_id, uint8_t page);
void arch_identity_map_low(bool on);
uint64_t arch_kernel_pml4(void);
bool arch_nx_enabled(void);

static volatile bool cpu_online[MAX_CPUS];

static void delay_us(uint64_t us) {
    uint64_t end = arch_clock_ns() + us * 1000;
    while (arch_clock_ns() < end)
        cpu_relax();
}

__attribute__((noreturn)) void ap_main(uint32_t id) {
    arch_cpu_init(id);
    lapic_init_cpu();
    kernel_lock();
    sched_init();
    cpus[id].cr3 = read_cr3();
    cpu_online[id] = true;
    printk("[kernel] CPU %u online (APIC %u)\n", id, cpus[id].apic_id);
    sched_idle_loop();
}

void smp_start(void) {
    unsigned want = madt.num_cpus;
    long limit = cmdline_get_int(kernel_cmdline, "smp", MAX_CPUS);   /* smp=1 keeps one CPU */
    if (limit > 0 && (unsigned long)limit < want)
        want = (unsigned)limit;
    if (want > MAX_CPUS)
        want = MAX_CPUS;
    if (want <= 1)
        return;
    arch_identity_map_low(true);
    memcpy(phys_to_virt(TRAMP_PHYS), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
    struct tramp_params *p =
        (struct tramp_params *)((char *)phys_to_virt(TRAMP_PHYS) + (ap_tramp_params - ap_trampoline));
    uint8_t self = lapic_id();
    for (unsigned i = 0; i < madt.num_cpus && num_cpus < want; i++) {
        uint8_t apic = madt.apic_ids[i];
        if (apic == self)
            continue;
        unsigned id = num_cpus;
        void *stack = kpage_alloc(AP_STACK_PAGES);
        if (!stack)
            break;
        cpus[id].apic_id = apic;
        p->cr3 = (uint32_t)arch_kernel_pml4();
        p->efer = (1u << 8) | (arch_nx_enabled() ? (1u << 11) : 0);
        p->stack = (uint64_t)stack + AP_STACK_PAGES * 4096;
        p->entry = (uint64_t)ap_main;
        p->cpu = id;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        lapic_send_init(apic);
        delay_us(10000);
        for (int tries = 0; tries < 2 && !cpu_online[id]; tries++) {
            lapic_send_sipi(apic, TRAMP_PHYS >> 12);
            delay_us(200);
        }
        /* It takes the kernel lock to finish: let go while we wait. */
        uint64_t end = arch_clock_ns() + 500000000ull;
        kernel_unlock();
        while (!cpu_online[id] && arch_clock_ns() < end)
            cpu_relax();
        kernel_lock();
        if (!cpu_online[id]) {
            printk("[kernel] CPU with APIC id %u did not start; going on without it\n", apic);
            kpage_free(stack, AP_STACK_PAGES);
            continue;
        }
        num_cpus++;
    }
    arch_identity_map_low(false);
    printk("[kernel] %u CPUs online\n", num_cpus);
}
