/*
 * Local APIC (timer, EOI) and I/O APIC (device IRQs). The legacy 8259 PICs are
 * remapped out of the way and masked. Device interrupt line N (a GSI; ISA IRQs
 * are translated through the MADT overrides) arrives on vector 32 + GSI.
 */
#include "arch.h"
#include "cpu.h"
#include "acpi.h"
#include "../../core/kernel.h"
#include "../../core/percpu.h"

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)


static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static unsigned ioapic_entries;
static uint64_t tsc_hz, tsc_boot, ns_mult;   /* ns = (tsc - tsc_boot) * ns_mult >> 32 */
static uint64_t lapic_per_10ms;              /* LAPIC timer ticks (divide by 16) in 10 ms */
static uint8_t boot_apic_id;
static uint8_t cpus_boot_apic_id(void) { return boot_apic_id; }   /* ns = (tsc - tsc_boot) * ns_mult >> 32 */

static uint32_t lapic_read(uint32_t reg) { return lapic[reg / 4]; }
static void lapic_write(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310

uint8_t lapic_id(void) { return (uint8_t)(lapic_read(LAPIC_ID) >> 24); }

static void icr_send(uint8_t apic_id, uint32_t low) {
    while (lapic_read(LAPIC_ICR_LOW) & (1u << 12))   /* previous one still being delivered */
        cpu_relax();
    lapic_write(LAPIC_ICR_HIGH, (uint32_t)apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, low);
}

void arch_send_ipi(unsigned cpu, uint8_t vector) {
    icr_send((uint8_t)cpus[cpu].apic_id, (1u << 14) | vector);   /* fixed, assert, physical */
}

void lapic_send_init(uint8_t apic_id) { icr_send(apic_id, 0x4500); }
void lapic_send_sipi(uint8_t apic_id, uint8_t page) { icr_send(apic_id, 0x4600 | page); }

/* What every CPU does to its own local APIC. */
void lapic_init_cpu(void) {
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, 0x100 | 0xff);
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0);
}

static uint32_t ioapic_read(uint32_t reg) {
    ioapic[0] = reg;
    return ioapic[4];
}
static void ioapic_write(uint32_t reg, uint32_t v) {
    ioapic[0] = reg;
    ioapic[4] = v;
}

static void pic_disable(void) {
    /* Remap to 0x20/0x28 (so a spurious one is recognisable), then mask all. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 4); outb(0xa1, 2);
    outb(0x21, 1); outb(0xa1, 1);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

/* Line numbers below 16 are ISA IRQs; the rest are GSIs as they are. */
static bool line_to_gsi(unsigned line, unsigned *gsi, uint32_t *flags) {
    *flags = 0;
    if (line < 16) {
        *gsi = madt.isa_gsi[line];
        uint16_t f = madt.isa_flags[line];
        if ((f & 3) == 3)
            *flags |= 1u << 13;   /* active low */
        if (((f >> 2) & 3) == 3)
            *flags |= 1u << 15;   /* level triggered */
    } else {
        *gsi = line;
        *flags = (1u << 13) | (1u << 15);   /* PCI: level, active low */
    }
    return *gsi >= madt.ioapic_gsi_base && *gsi - madt.ioapic_gsi_base < ioapic_entries &&
           *gsi < NUM_GSI;
}

bool arch_irq_valid(unsigned line) {
    unsigned gsi;
    uint32_t flags;
    return line < 256 && line_to_gsi(line, &gsi, &flags);
}

static void ioapic_route(unsigned line, bool masked) {
    unsigned gsi;
    uint32_t flags;
    if (!line_to_gsi(line, &gsi, &flags))
        return;
    unsigned pin = gsi - madt.ioapic_gsi_base;
    ioapic_write(0x10 + 2 * pin + 1, (uint32_t)cpus_boot_apic_id() << 24);
    ioapic_write(0x10 + 2 * pin, (VEC_IRQ_BASE + gsi) | flags | (masked ? LVT_MASKED : 0));
}

void arch_irq_mask(unsigned line) { ioapic_route(line, true); }

/* Level-triggered lines keep firing until the device is serviced, so they are
 * masked meanwhile; an edge arriving while masked would be lost for good. */
bool arch_irq_level(unsigned line) {
    unsigned gsi;
    uint32_t flags;
    return line_to_gsi(line, &gsi, &flags) && (flags & (1u << 15));
}
void arch_irq_unmask(unsigned line) { ioapic_route(line, false); }

/* Vector 32 + GSI back to the line number the driver asked for. */
void arch_msi_message(unsigned index, uint64_t *addr, uint32_t *data) {
    *addr = 0xfee00000ull | (uint64_t)cpus[0].apic_id << 12;   /* to the boot CPU, physical mode */
    *data = VEC_MSI_BASE + index;                              /* fixed delivery, edge */
}

unsigned arch_gsi_to_line(unsigned gsi) {
    for (unsigned i = 0; i < 16; i++)
        if (madt.isa_gsi[i] == gsi)
            return i;
    return gsi;
}

/* Count LAPIC timer ticks and TSC cycles over 10 ms of the PIT (channel 2). */
static void calibrate(uint32_t *lapic_per_10ms, uint64_t *tsc_per_10ms) {
    const uint16_t pit_count = 11932;   /* 1193182 Hz / 100 */
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, pit_count & 0xff);
    outb(0x42, pit_count >> 8);
    uint8_t v = inb(0x61) & ~1;
    outb(0x61, v);
    lapic_write(LAPIC_TIMER_DIV, 0x3);   /* divide by 16 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    outb(0x61, v | 1);                   /* start counting */
    lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
    uint64_t t0 = rdtsc();
    while (!(inb(0x61) & 0x20))
        ;
    uint64_t t1 = rdtsc();
    *lapic_per_10ms = 0xffffffff - lapic_read(LAPIC_TIMER_CUR);
    *tsc_per_10ms = t1 - t0;
    lapic_write(LAPIC_TIMER_INIT, 0);
}

void arch_interrupts_init(uint64_t rsdp_phys) {
    pic_disable();
    acpi_init(rsdp_phys);
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1u << 11));
    lapic = arch_map_mmio(base & 0xfffff000ull, 4096);
    boot_apic_id = lapic_read(LAPIC_ID) >> 24;
    cpus[0].apic_id = boot_apic_id;
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, 0x100 | 0xff);

    ioapic = arch_map_mmio(madt.ioapic_addr, 4096);
    ioapic_entries = ((ioapic_read(1) >> 16) & 0xff) + 1;
    for (unsigned pin = 0; pin < ioapic_entries; pin++) {
        ioapic_write(0x10 + 2 * pin, LVT_MASKED | (VEC_IRQ_BASE + madt.ioapic_gsi_base + pin));
        ioapic_write(0x10 + 2 * pin + 1, 0);
    }

    uint32_t lapic_ticks;
    uint64_t tsc_ticks;
    calibrate(&lapic_ticks, &tsc_ticks);
    tsc_hz = tsc_ticks * 100;
    if (tsc_hz == 0)
        tsc_hz = 1000000000;
    ns_mult = (1000000000ull << 32) / tsc_hz;
    tsc_boot = rdtsc();
    if (lapic_ticks == 0)
        lapic_ticks = 100000;
    lapic_per_10ms = lapic_ticks;
    /* Tickless: the timer is one-shot, programmed for the next deadline only. */
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0);
    /* The PIT would keep the emulator (and a laptop) busy for nothing. */
    outb(0x43, 0x30);   /* channel 0, mode 0, no count loaded: silent */
    printk("[kernel] interrupts: I/O APIC at 0x%x (%u pins), %u CPU(s) in MADT, TSC %lu MHz, tickless\n",
           madt.ioapic_addr, ioapic_entries, madt.num_cpus, tsc_hz / 1000000);
}

/* One interrupt at `deadline` (ns on arch_clock_ns's clock); UINT64_MAX: none. */
void arch_timer_oneshot(uint64_t deadline) {
    if (deadline == UINT64_MAX) {
        lapic_write(LAPIC_TIMER_INIT, 0);
        return;
    }
    uint64_t now = arch_clock_ns();
    uint64_t delta = deadline > now ? deadline - now : 0;
    /* ns -> LAPIC ticks, at least one tick so that it does fire */
    uint64_t ticks = delta >= 10000000000ull ? 0xffffffffull : delta * lapic_per_10ms / 10000000ull;
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xffffffffull)
        ticks = 0xffffffffull;
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

uint64_t arch_clock_ns(void) {
    uint64_t delta = rdtsc() - tsc_boot;
    return (uint64_t)(((unsigned __int128)delta * ns_mult) >> 32);
}

uint64_t arch_tsc_hz(void) { return tsc_hz; }
