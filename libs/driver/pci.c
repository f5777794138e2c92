/* PCI configuration space through dm, capabilities, MSI-X (see <driver/driver.h>). */
#include <common/string.h>
#include <driver/driver.h>
#include "idl/device.h"

#define PCI_CFG_STATUS 0x06
#define PCI_STATUS_CAPS 0x10
#define PCI_CFG_HEADER 0x0e
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASK_ALL 0x4000
#define MSIX_ENTRY_MASKED 1

int drv_pci_read(struct drv_device *dev, unsigned offset, unsigned width, uint32_t *value) {
    return device_config_read(dev->dm, offset, width, value);
}

int drv_pci_write(struct drv_device *dev, unsigned offset, unsigned width, uint32_t value) {
    return device_config_write(dev->dm, offset, width, value);
}

static uint32_t read_or(struct drv_device *dev, unsigned offset, unsigned width, uint32_t dflt) {
    uint32_t v;
    return drv_pci_read(dev, offset, width, &v) == 0 ? v : dflt;
}

unsigned drv_pci_find_cap(struct drv_device *dev, uint8_t id, unsigned after) {
    if (!(read_or(dev, PCI_CFG_STATUS, 2, 0) & PCI_STATUS_CAPS))
        return 0;
    unsigned list = (read_or(dev, PCI_CFG_HEADER, 1, 0) & 0x7f) == 2 ? 0x14 : 0x34;   /* CardBus: 0x14 */
    unsigned ptr = read_or(dev, list, 1, 0) & 0xfc;
    bool passed = after == 0;
    /* At most 48 capabilities fit in 192 bytes: more means a loop. */
    for (int n = 0; n < 48 && ptr >= 0x40; n++) {
        uint32_t head = read_or(dev, ptr, 2, 0xffff);
        if (head == 0xffff)
            return 0;
        if (passed && (head & 0xff) == id)
            return ptr;
        if (ptr == after)
            passed = true;
        ptr = (head >> 8) & 0xfc;
    }
    return 0;
}

int drv_pci_enable(struct drv_device *dev) {
    uint32_t cmd;
    int err = drv_pci_read(dev, PCI_CFG_COMMAND, 2, &cmd);
    if (err)
        return err;
    cmd |= PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER | PCI_CMD_INTX_DISABLE;
    return drv_pci_write(dev, PCI_CFG_COMMAND, 2, cmd);
}

/* The MSI-X table's BAR, mapped once per device and BAR. */
static struct {
    struct drv_device *dev;
    unsigned bar;
    struct drv_mmio mmio;
} msix_maps[4];

static const struct drv_mmio *msix_bar(struct drv_device *dev, unsigned bar) {
    for (unsigned i = 0; i < 4; i++)
        if (msix_maps[i].dev == dev && msix_maps[i].bar == bar && msix_maps[i].mmio.base)
            return &msix_maps[i].mmio;
    for (unsigned i = 0; i < 4; i++) {
        if (msix_maps[i].mmio.base)
            continue;
        if (drv_map_bar(dev, bar, false, &msix_maps[i].mmio))
            return NULL;
        msix_maps[i].dev = dev;
        msix_maps[i].bar = bar;
        return &msix_maps[i].mmio;
    }
    return NULL;
}

int drv_pci_msix_set(struct drv_device *dev, unsigned entry, const struct drv_irq *irq) {
    unsigned cap = drv_pci_find_cap(dev, PCI_CAP_MSIX, 0);
    if (!cap)
        return -E_NOTSUP;
    uint32_t ctrl, table;
    int err = drv_pci_read(dev, cap + 2, 2, &ctrl);
    if (!err)
        err = drv_pci_read(dev, cap + 4, 4, &table);
    if (err)
        return err;
    if (entry > (ctrl & 0x7ff) || !irq->msi_addr)
        return -E_INVAL;
    const struct drv_mmio *m = msix_bar(dev, table & 7);
    if (!m)
        return -E_NOENT;
    uint64_t off = (uint64_t)(table & ~7u) + 16ull * entry;
    if (off + 16 > m->size)
        return -E_IO;
    mmio_write32(m, off + 12, MSIX_ENTRY_MASKED);
    mmio_write32(m, off + 0, (uint32_t)irq->msi_addr);
    mmio_write32(m, off + 4, (uint32_t)(irq->msi_addr >> 32));
    mmio_write32(m, off + 8, irq->msi_data);
    mmio_write32(m, off + 12, 0);   /* unmasked */
    if ((ctrl & (MSIX_CTRL_ENABLE | MSIX_CTRL_MASK_ALL)) != MSIX_CTRL_ENABLE)
        err = drv_pci_write(dev, cap + 2, 2, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASK_ALL);
    return err;
}

int drv_irq_msix(struct drv_device *dev, unsigned entry, handle_t ep, uint64_t bits, struct drv_irq *out) {
    int err = drv_irq_msi(dev, ep, bits, out);
    if (!err && (err = drv_pci_msix_set(dev, entry, out))) {
        sys_handle_close(out->irq);
        out->irq = HANDLE_NONE;
    }
    return err;
}
