/* virtio 1.x over PCI (modern): capabilities, reset, feature negotiation,
 * queue set-up and notification. The ring itself is in virtq.c. */
#include <common/string.h>
#include <driver/driver.h>

/* struct virtio_pci_cap (a vendor capability) */
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16
enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4 };

/* struct virtio_pci_common_cfg */
#define C_DEVICE_FEATURE_SELECT 0
#define C_DEVICE_FEATURE 4
#define C_DRIVER_FEATURE_SELECT 8
#define C_DRIVER_FEATURE 12
#define C_MSIX_CONFIG 16
#define C_NUM_QUEUES 18
#define C_DEVICE_STATUS 20
#define C_QUEUE_SELECT 22
#define C_QUEUE_SIZE 24
#define C_QUEUE_MSIX_VECTOR 26
#define C_QUEUE_ENABLE 28
#define C_QUEUE_NOTIFY_OFF 30
#define C_QUEUE_DESC 32
#define C_QUEUE_DRIVER 40
#define C_QUEUE_DEVICE 48
#define COMMON_MIN_SIZE 56

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define S_FAILED 0x80
#define F_VERSION_1 (1ull << 32)
#define NO_VECTOR 0xffff
#define RESET_TIMEOUT_NS 1000000000ull

static uint8_t r8(volatile uint8_t *b, unsigned off) { return *(volatile uint8_t *)(b + off); }
static uint16_t r16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static uint32_t r32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }
static void w8(volatile uint8_t *b, unsigned off, uint8_t v) { *(volatile uint8_t *)(b + off) = v; }
static void w16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static void w32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }
static void w64(volatile uint8_t *b, unsigned off, uint64_t v) {
    w32(b, off, (uint32_t)v);   /* two halves: allowed, and what every device takes */
    w32(b, off + 4, (uint32_t)(v >> 32));
}

/* Where a capability's structure lies, mapping its BAR on first use. */
static volatile uint8_t *cap_target(struct virtio_pci *vp, unsigned cap, uint32_t min_len, int *err) {
    uint32_t bar, offset, length;
    *err = drv_pci_read(vp->dev, cap + CAP_BAR, 1, &bar);
    if (!*err)
        *err = drv_pci_read(vp->dev, cap + CAP_OFFSET, 4, &offset);
    if (!*err)
        *err = drv_pci_read(vp->dev, cap + CAP_LENGTH, 4, &length);
    if (*err)
        return NULL;
    if (bar >= 6 || length < min_len) {
        *err = -E_IO;
        return NULL;
    }
    struct drv_mmio *m = &vp->bars[bar];
    if (!m->base && (*err = drv_map_bar(vp->dev, bar, false, m)) != 0)
        return NULL;
    if ((uint64_t)offset + length > m->size) {
        *err = -E_IO;
        return NULL;
    }
    return m->base + offset;
}

static void unmap_all(struct virtio_pci *vp) {
    for (unsigned i = 0; i < 6; i++)
        drv_unmap(&vp->bars[i]);
}

int virtio_pci_init(struct drv_device *dev, struct virtio_pci *vp, uint64_t wanted) {
    memset(vp, 0, sizeof(*vp));
    vp->dev = dev;
    for (unsigned i = 0; i < 6; i++)
        vp->bars[i].mem = HANDLE_NONE;
    int err = 0;
    for (unsigned cap = drv_pci_find_cap(dev, PCI_CAP_VENDOR, 0); cap && !err;
         cap = drv_pci_find_cap(dev, PCI_CAP_VENDOR, cap)) {
        uint32_t type;
        if ((err = drv_pci_read(dev, cap + CAP_CFG_TYPE, 1, &type)) != 0)
            break;
        /* The first of each type is the one to use. */
        if (type == CFG_COMMON && !vp->common) {
            vp->common = cap_target(vp, cap, COMMON_MIN_SIZE, &err);
        } else if (type == CFG_NOTIFY && !vp->notify) {
            uint32_t mult = 0;
            vp->notify = cap_target(vp, cap, 2, &err);
            if (!err)
                err = drv_pci_read(dev, cap + CAP_NOTIFY_MULT, 4, &mult);
            vp->notify_mult = mult;
        } else if (type == CFG_ISR && !vp->isr) {
            vp->isr = cap_target(vp, cap, 1, &err);
        } else if (type == CFG_DEVICE && !vp->device_cfg) {
            vp->device_cfg = cap_target(vp, cap, 1, &err);
        }
    }
    if (!err && (!vp->common || !vp->notify))
        err = -E_NOTSUP;   /* not a modern virtio device */
    if (err) {
        unmap_all(vp);
        return err;
    }

    /* Reset, and wait until the device says it is done. */
    w8(vp->common, C_DEVICE_STATUS, 0);
    uint64_t deadline = sys_clock() + RESET_TIMEOUT_NS;
    while (r8(vp->common, C_DEVICE_STATUS) != 0) {
        if (sys_clock() > deadline) {
            unmap_all(vp);
            return -E_IO;
        }
        sys_yield();
    }
    w8(vp->common, C_DEVICE_STATUS, S_ACKNOWLEDGE);
    w8(vp->common, C_DEVICE_STATUS, S_ACKNOWLEDGE | S_DRIVER);

    w32(vp->common, C_DEVICE_FEATURE_SELECT, 0);
    uint64_t offered = r32(vp->common, C_DEVICE_FEATURE);
    w32(vp->common, C_DEVICE_FEATURE_SELECT, 1);
    offered |= (uint64_t)r32(vp->common, C_DEVICE_FEATURE) << 32;
    if (!(offered & F_VERSION_1)) {
        w8(vp->common, C_DEVICE_STATUS, S_FAILED);
        unmap_all(vp);
        return -E_NOTSUP;
    }
    uint64_t features = (offered & wanted) | F_VERSION_1;
    w32(vp->common, C_DRIVER_FEATURE_SELECT, 0);
    w32(vp->common, C_DRIVER_FEATURE, (uint32_t)features);
    w32(vp->common, C_DRIVER_FEATURE_SELECT, 1);
    w32(vp->common, C_DRIVER_FEATURE, (uint32_t)(features >> 32));
    w8(vp->common, C_DEVICE_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    if (!(r8(vp->common, C_DEVICE_STATUS) & S_FEATURES_OK)) {
        w8(vp->common, C_DEVICE_STATUS, S_FAILED);
        unmap_all(vp);
        return -E_NOTSUP;   /* the device does not take this subset */
    }
    w16(vp->common, C_MSIX_CONFIG, NO_VECTOR);
    vp->features = features;
    return 0;
}

int virtio_pci_ready(struct virtio_pci *vp) {
    w8(vp->common, C_DEVICE_STATUS, r8(vp->common, C_DEVICE_STATUS) | S_DRIVER_OK);
    return virtio_pci_broken(vp) ? -E_IO : 0;
}

bool virtio_pci_broken(struct virtio_pci *vp) {
    uint8_t s = r8(vp->common, C_DEVICE_STATUS);
    return s == 0xff || (s & (S_NEEDS_RESET | S_FAILED));
}

int virtq_setup(struct virtio_pci *vp, unsigned index, unsigned size, uint16_t msix_vector, struct virtq *q) {
    memset(q, 0, sizeof(*q));
    q->mem.mem = HANDLE_NONE;
    if (index >= r16(vp->common, C_NUM_QUEUES))
        return -E_NOENT;
    w16(vp->common, C_QUEUE_SELECT, (uint16_t)index);
    unsigned max = r16(vp->common, C_QUEUE_SIZE);
    if (max == 0)
        return -E_NOENT;
    if (r16(vp->common, C_QUEUE_ENABLE))
        return -E_BUSY;
    if (size > max)
        size = max;
    if (size > 32768)
        size = 32768;
    while (size & (size - 1))
        size &= size - 1;   /* split rings are a power of two long */
    if (size == 0)
        return -E_INVAL;
    size_t avail_off, used_off;
    size_t bytes = virtq_ring_bytes(size, &avail_off, &used_off);
    int err = drv_dma_alloc(bytes, &q->mem);
    if (err)
        return err;
    virtq_ring_init(q, q->mem.virt, (uint16_t)size);
    q->vp = vp;
    q->index = (uint16_t)index;
    w16(vp->common, C_QUEUE_SIZE, (uint16_t)size);
    w16(vp->common, C_QUEUE_MSIX_VECTOR, msix_vector);
    if (r16(vp->common, C_QUEUE_MSIX_VECTOR) != msix_vector) {
        drv_dma_free(&q->mem);
        return -E_IO;   /* the device could not take that vector */
    }
    w64(vp->common, C_QUEUE_DESC, q->mem.phys);
    w64(vp->common, C_QUEUE_DRIVER, q->mem.phys + avail_off);
    w64(vp->common, C_QUEUE_DEVICE, q->mem.phys + used_off);
    uint64_t notify_off = (uint64_t)r16(vp->common, C_QUEUE_NOTIFY_OFF) * vp->notify_mult;
    const struct drv_mmio *nb = NULL;
    for (unsigned i = 0; i < 6; i++)
        if (vp->bars[i].base && vp->notify >= vp->bars[i].base && vp->notify < vp->bars[i].base + vp->bars[i].size)
            nb = &vp->bars[i];
    if (!nb || (uint64_t)(vp->notify - nb->base) + notify_off + 2 > nb->size) {
        drv_dma_free(&q->mem);
        return -E_IO;
    }
    q->notify_addr = (volatile uint16_t *)(vp->notify + notify_off);
    w16(vp->common, C_QUEUE_ENABLE, 1);
    return 0;
}

int virtq_submit(struct virtq *q, const struct virtq_buf *bufs, unsigned n) {
    int head = virtq_ring_add(q, bufs, n);
    if (head >= 0 && q->notify_addr && virtq_ring_needs_notify(q))
        *q->notify_addr = q->index;
    return head;
}
