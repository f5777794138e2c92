/* BAR decoding and the configuration-space policy (see dm.h). */
#include <tessera/abi.h>
#include "dm.h"

bool pci_bar_is64(uint32_t orig) {
    return !(orig & 1) && ((orig >> 1) & 3) == 2;
}

static int bad(struct pci_bar *bar, const char *why) {
    bar->state = BAR_BAD;
    bar->why = why;
    return BAR_BAD;
}

int pci_bar_decode(uint32_t orig, uint32_t mask, uint32_t orig_hi, uint32_t mask_hi, struct pci_bar *bar) {
    *bar = (struct pci_bar){.state = BAR_ABSENT, .why = ""};
    if (orig & 1) {
        bar->io = true;
        uint32_t m = mask & ~3u;
        if (!m)
            return BAR_ABSENT;
        if (!(m >> 16))
            m |= 0xffff0000u;   /* 16-bit decoders read back zeros above */
        uint32_t size = ~m + 1;
        if (!size || (size & (size - 1)))
            return bad(bar, "size is not a power of two");
        bar->base = orig & ~3u;
        bar->size = size;
        if (bar->base & (size - 1))
            return bad(bar, "base is not aligned to the size");
        if (!bar->base)
            return bad(bar, "not assigned by the firmware");
        if (bar->base + size > 0x10000)
            return bad(bar, "beyond port 0xffff");
        bar->state = BAR_OK;
        return BAR_OK;
    }
    unsigned type = (orig >> 1) & 3;
    if (type == 3)
        return bad(bar, "reserved memory type");
    bar->is64 = type == 2;
    bar->prefetch = (orig >> 3) & 1;
    uint64_t m = (uint64_t)(mask & ~0xfu) | (bar->is64 ? (uint64_t)mask_hi << 32 : 0xffffffff00000000ull);
    if (!(mask & ~0xfu) && (!bar->is64 || !mask_hi))
        return BAR_ABSENT;
    uint64_t size = ~m + 1;
    if (!size || (size & (size - 1)))
        return bad(bar, "size is not a power of two");
    bar->base = (uint64_t)(orig & ~0xfu) | (bar->is64 ? (uint64_t)orig_hi << 32 : 0);
    bar->size = size;
    if (bar->base & (size - 1))
        return bad(bar, "base is not aligned to the size");
    if (!bar->base)
        return bad(bar, "not assigned by the firmware");
    if (bar->base + size < bar->base || (bar->base + size) >> 52)
        return bad(bar, "beyond the physical address space");
    bar->state = BAR_OK;
    return BAR_OK;
}

int pci_config_check(unsigned offset, unsigned width) {
    if ((width != 1 && width != 2 && width != 4) || (offset & (width - 1)) || offset >= PCI_CFG_SIZE ||
        offset + width > PCI_CFG_SIZE)
        return -E_INVAL;
    return 0;
}

struct range {
    uint8_t first, last;   /* inclusive */
};

/* What dm owns, by header type. */
static const struct range owned_type0[] = {
    {0x10, 0x27},   /* BARs 0-5 */
    {0x30, 0x33},   /* expansion ROM */
};
static const struct range owned_type1[] = {
    {0x10, 0x17},   /* BARs 0-1 */
    {0x18, 0x1a},   /* primary, secondary and subordinate bus numbers */
    {0x1c, 0x1d},   /* I/O base and limit */
    {0x20, 0x33},   /* memory and prefetchable windows, upper I/O window */
    {0x38, 0x3b},   /* expansion ROM */
};
static const struct range owned_other[] = {
    {0x10, 0x3b},   /* CardBus and unknown layouts: everything past the common header */
    {0x44, 0x47},   /* CardBus legacy mode base */
};

int pci_config_write_check(uint8_t header_type, unsigned offset, unsigned width) {
    int err = pci_config_check(offset, width);
    if (err)
        return err;
    const struct range *r;
    size_t n;
    switch (header_type & 0x7f) {
    case 0:
        r = owned_type0, n = sizeof(owned_type0) / sizeof(*r);
        break;
    case 1:
        r = owned_type1, n = sizeof(owned_type1) / sizeof(*r);
        break;
    default:
        r = owned_other, n = sizeof(owned_other) / sizeof(*r);
        break;
    }
    for (size_t i = 0; i < n; i++)
        if (offset <= r[i].last && offset + width - 1 >= r[i].first)
            return -E_PERM;
    return 0;
}
