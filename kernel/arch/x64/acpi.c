/* Just enough ACPI to find the interrupt controllers (RSDP -> (X)RSDT ->
 * MADT) and to power off and reset (FADT, and \_S5 in the DSDT). */
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

/* From the FADT (ACPI 6.x, 5.2.9; facts only) and the DSDT's \_S5 package. */
static struct {
    uint16_t pm1a_cnt, pm1b_cnt;   /* PM1 control ports, 0 if absent */
    uint16_t slp_typa, slp_typb;   /* SLP_TYP values for S5 */
    bool s5_known;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    bool reset_io;                 /* RESET_REG is an I/O port */
    uint16_t reset_port;
    uint8_t reset_value;
} fadt;

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

/*
 * The \_S5 object in AML: NameOp "_S5_" PackageOp PkgLength NumElements
 * SLP_TYPa SLP_TYPb, each a ZeroOp, OneOp or BytePrefix n. Scanning the
 * bytes for the name is how small kernels do it without an interpreter.
 */
static bool aml_int(const uint8_t **p, const uint8_t *end, uint16_t *v) {
    if (*p >= end)
        return false;
    if (**p == 0x00 || **p == 0x01) {
        *v = *(*p)++;
        return true;
    }
    if (**p == 0x0a && *p + 1 < end) {
        *v = (*p)[1];
        *p += 2;
        return true;
    }
    return false;
}

static void find_s5(const struct sdt_header *dsdt) {
    const uint8_t *p = (const uint8_t *)dsdt + sizeof(*dsdt);
    const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) || (p[-1] != 0x08 && !(p[-1] == '\\' && p[-2] == 0x08)))
            continue;
        const uint8_t *q = p + 4;
        if (*q++ != 0x12)   /* PackageOp */
            continue;
        q += 1 + (*q >> 6);  /* PkgLength: bits 7-6 of its lead byte count the bytes after it */
        q++;                 /* NumElements */
        if (aml_int(&q, end, &fadt.slp_typa) && aml_int(&q, end, &fadt.slp_typb)) {
            fadt.s5_known = true;
            return;
        }
    }
}

static void parse_fadt(const struct sdt_header *h) {
    const uint8_t *f = (const uint8_t *)h;
    if (h->length < 116)
        return;
    fadt.smi_cmd = *(const uint32_t *)(f + 48);
    fadt.acpi_enable = f[52];
    fadt.pm1a_cnt = (uint16_t)*(const uint32_t *)(f + 64);
    fadt.pm1b_cnt = (uint16_t)*(const uint32_t *)(f + 68);
    uint32_t flags = *(const uint32_t *)(f + 112);
    if (h->length >= 129 && (flags & (1u << 10)) && f[116] == 1) {   /* RESET_REG_SUP, system I/O */
        fadt.reset_io = true;
        fadt.reset_port = (uint16_t)*(const uint64_t *)(f + 120);
        fadt.reset_value = f[128];
    }
    uint64_t dsdt = h->length >= 148 ? *(const uint64_t *)(f + 140) : 0;
    if (!dsdt)
        dsdt = *(const uint32_t *)(f + 40);
    const struct sdt_header *d = table_at(dsdt);
    if (d && !memcmp(d->sig, "DSDT", 4))
        find_s5(d);
}

/* ACPI S5: the machine turns itself off (QEMU exits). Returns only if the
 * firmware gave us no way to do it. */
int arch_power_off(void) {
    if (!fadt.s5_known || !fadt.pm1a_cnt)
        return -E_NOTSUP;
    /* SCI_EN clear: the firmware still owns the hardware; ask it to hand over. */
    if (!(inw(fadt.pm1a_cnt) & 1) && fadt.smi_cmd && fadt.acpi_enable) {
        outb((uint16_t)fadt.smi_cmd, fadt.acpi_enable);
        for (int i = 0; i < 1000000 && !(inw(fadt.pm1a_cnt) & 1); i++)
            __asm__ volatile("pause");
    }
    outw(fadt.pm1a_cnt, (uint16_t)(fadt.slp_typa << 10 | 1u << 13));   /* SLP_TYP, SLP_EN */
    if (fadt.pm1b_cnt)
        outw(fadt.pm1b_cnt, (uint16_t)(fadt.slp_typb << 10 | 1u << 13));
    for (int i = 0; i < 10000000; i++)
        __asm__ volatile("pause");
    return -E_IO;
}

/* The FADT's reset register, else the keyboard controller's reset line. */
int arch_reset(void) {
    if (fadt.reset_io)
        outb(fadt.reset_port, fadt.reset_value);
    for (int i = 0; i < 1000000; i++)
        __asm__ volatile("pause");
    for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
        __asm__ volatile("pause");
    outb(0x64, 0xfe);
    for (int i = 0; i < 10000000; i++)
        __asm__ volatile("pause");
    return -E_IO;
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
        if (h && !memcmp(h->sig, "FACP", 4))
            parse_fadt(h);
    }
    if (!madt.ioapic_addr) {
        printk("[kernel] ACPI: no MADT I/O APIC entry; assuming 0xfec00000\n");
        madt.ioapic_addr = 0xfec00000;
    }
}
