/* Just enough ACPI to find the interrupt controllers: RSDP -> (X)RSDT -> MADT. */
#include "arch.h"
#include "cpu.h"
#include "acpi.h"
#include "../../core/kernel.h"

struct sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct madt_info madt;

static bool checksum_ok(const void *p, size_t len) {
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static uint64_t find_rsdp_in_bios(void) {
    for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16) {
        const char *p = phys_to_virt(pa);
        if (!memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20))
            return pa;
    }
    return 0;
}

static const struct sdt_header *table_at(uint64_t pa) {
    if (!pa || pa >= (4ull << 30))
        return NULL;
    const struct sdt_header *h = phys_to_virt(pa);
    if (h->length < sizeof(*h) || h->length > (1u << 20) || !checksum_ok(h, h->length))
        return NULL;
    return h;
}

static void parse_madt(const struct sdt_header *h) {
    const uint8_t *p = (const uint8_t *)h + sizeof(*h);
    const uint8_t *end = (const uint8_t *)h + h->length;
    madt.lapic_addr = *(const uint32_t *)p;
    for (p += 8; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
        switch (p[0]) {
        case 0:   /* processor local APIC */
            if ((*(const uint32_t *)(p + 4) & 3) && madt.num_cpus < MADT_MAX_CPUS)
                madt.apic_ids[madt.num_cpus++] = p[3];
            break;
        case 1:   /* I/O APIC */
            if (!madt.ioapic_addr) {
                madt.ioapic_addr = *(const uint32_t *)(p + 4);
                madt.ioapic_gsi_base = *(const uint32_t *)(p + 8);
            }
            break;
        case 2: { /* ISA interrupt source override */
            uint8_t src = p[3];
            if (src < 16) {
                madt.isa_gsi[src] = *(const uint32_t *)(p + 4);
                madt.isa_flags[src] = *(const uint16_t *)(p + 8);
            }
            break;
        }
        case 5:
            madt.lapic_addr = *(const uint64_t *)(p + 4);
            break;
        }
    }
}

void acpi_init(uint64_t rsdp_phys) {
    for (int i = 0; i < 16; i++)
        madt.isa_gsi[i] = i;
    madt.lapic_addr = 0xfee00000;
    if (!rsdp_phys)
        rsdp_phys = find_rsdp_in_bios();
    if (!rsdp_phys) {
        printk("[kernel] ACPI: no RSDP found; assuming standard PC interrupt routing\n");
        madt.ioapic_addr = 0xfec00000;
        return;
    }
    const uint8_t *rsdp = phys_to_virt(rsdp_phys);
    uint8_t revision = rsdp[15];
    uint64_t root = revision >= 2 ? *(const uint64_t *)(rsdp + 24) : *(const uint32_t *)(rsdp + 16);
    size_t entry_size = revision >= 2 ? 8 : 4;
    const struct sdt_header *rt = table_at(root);
    if (!rt && revision >= 2) {
        root = *(const uint32_t *)(rsdp + 16);
        entry_size = 4;
        rt = table_at(root);
    }
    size_t n = rt ? (rt->length - sizeof(*rt)) / entry_size : 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = (const uint8_t *)rt + sizeof(*rt) + i * entry_size;
        uint64_t pa = entry_size == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
        const struct sdt_header *h = table_at(pa);
        if (h && !memcmp(h->sig, "APIC", 4))
            parse_madt(h);
    }
    if (!madt.ioapic_addr) {
        printk("[kernel] ACPI: no MADT I/O APIC entry; assuming 0xfec00000\n");
        madt.ioapic_addr = 0xfec00000;
    }
}
