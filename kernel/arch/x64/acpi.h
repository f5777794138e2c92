#ifndef ARCH_X64_ACPI_H
#define ARCH_X64_ACPI_H

#include <stdint.h>

#define MADT_MAX_CPUS 16

struct madt_info {
    uint64_t lapic_addr;
    uint32_t ioapic_addr, ioapic_gsi_base;
    uint32_t num_cpus;
    uint8_t apic_ids[MADT_MAX_CPUS];
    uint32_t isa_gsi[16];     /* ISA IRQ -> GSI after overrides */
    uint16_t isa_flags[16];   /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
};

extern struct madt_info madt;
void acpi_init(uint64_t rsdp_phys);

#endif
