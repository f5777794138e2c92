/*
 * The driver SDK (libdriver.a): what every Tessera driver needs to talk to
 * its device, bus_space-like. A driver is started by the device manager (dm)
 * with a send handle to the `device` interface (libs/driver/device.idl) for
 * its one device as its extra handle; everything here goes through that, so
 * a driver cannot reach another device.
 *
 * All functions return 0 or a negative E_* code unless they say otherwise.
 */
#ifndef DRIVER_DRIVER_H
#define DRIVER_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/syscall.h>

/* Legacy devices dm knows without a bus to enumerate (device.info: vendor 0). */
#define ISA_I8042 1      /* keyboard controller: ports 0x60, 0x64; IRQs 1, 12 */
#define ISA_CMOS_RTC 2   /* ports 0x70-0x71; IRQ 8 */
#define ISA_BOOT_FB 3    /* the boot loader's framebuffer (SYS_FB_INFO): resource 0 */

struct drv_device {
    handle_t dm;   /* the device interface (send) */
    uint32_t vendor, device, class_code;
    uint32_t bus, slot, func;
};

/* Connects to dm through startup.given and reads the device's identity. */
int drv_open(struct drv_device *dev);
/* The driver is up: offers its endpoint `ep` (dm gets a send handle to it)
 * to clients as `name`. */
int drv_ready(struct drv_device *dev, const char *name, handle_t ep);
/* The same with the send handle badged `badge` (not 0): dm keeps the badge
 * on every copy it hands out, so one endpoint can serve several names (ahci:
 * a badge per disk); the caller's task id is still in each request's sender. */
int drv_ready_badged(struct drv_device *dev, const char *name, handle_t ep, uint64_t badge);
/* dm pings each driver's service endpoint every 2 s (driver.ping in
 * device.idl) and restarts a driver that does not answer within 2 s. A
 * driver's loop hands each message it receives here first: if it is a ping,
 * it is answered (with ipc_reply) and true returned; else m is untouched.
 * drv_wait answers pings by itself. */
struct ipc_msg;
bool drv_serve_ping(struct ipc_msg *m);
/* The loop of a driver that only answers calls: receives on ep for ever,
 * answers pings, ignores notifications, and hands every other message to
 * `dispatch` (its IDL <if>_dispatch with its server: 1 = reply in m,
 * -E_NOSYS = not one of ours, refused). */
__attribute__((noreturn)) void drv_serve(handle_t ep, int (*dispatch)(struct ipc_msg *m));
/* Restart tests (the NAME.crash_after=N options): logs "NAME: crash test:
 * faulting on purpose after COUNT WHAT" and faults, so that dm sees a
 * driver crash like any other. */
__attribute__((noreturn)) void drv_crash_on_purpose(const char *driver, unsigned long long count,
                                                    const char *what);
/* ---- registers ---- */

struct drv_mmio {
    volatile uint8_t *base;
    uint64_t size;
    handle_t mem;
};
/* Maps memory BAR (or resource) `index`, uncached (wc: write-combining when
 * the BAR is prefetchable, for frame buffers). -E_NOENT if absent, -E_INVAL
 * if it is an I/O BAR. */
int drv_map_bar(struct drv_device *dev, unsigned index, bool wc, struct drv_mmio *out);
void drv_unmap(struct drv_mmio *m);

static inline uint8_t mmio_read8(const struct drv_mmio *m, uint64_t off) { return *(volatile uint8_t *)(m->base + off); }
static inline uint16_t mmio_read16(const struct drv_mmio *m, uint64_t off) { return *(volatile uint16_t *)(m->base + off); }
static inline uint32_t mmio_read32(const struct drv_mmio *m, uint64_t off) { return *(volatile uint32_t *)(m->base + off); }
static inline uint64_t mmio_read64(const struct drv_mmio *m, uint64_t off) { return *(volatile uint64_t *)(m->base + off); }
static inline void mmio_write8(const struct drv_mmio *m, uint64_t off, uint8_t v) { *(volatile uint8_t *)(m->base + off) = v; }
static inline void mmio_write16(const struct drv_mmio *m, uint64_t off, uint16_t v) { *(volatile uint16_t *)(m->base + off) = v; }
static inline void mmio_write32(const struct drv_mmio *m, uint64_t off, uint32_t v) { *(volatile uint32_t *)(m->base + off) = v; }
static inline void mmio_write64(const struct drv_mmio *m, uint64_t off, uint64_t v) { *(volatile uint64_t *)(m->base + off) = v; }

struct drv_ports {
    handle_t io;
    uint16_t base, count;
};
/* I/O BAR (or legacy I/O range) `index`. -E_INVAL if it is a memory BAR. */
int drv_ports(struct drv_device *dev, unsigned index, struct drv_ports *out);
/* Port `off` from the range's base; width 1, 2 or 4. Reads return the value
 * or a negative E_* code. */
long drv_port_in(const struct drv_ports *p, unsigned off, unsigned width);
int drv_port_out(const struct drv_ports *p, unsigned off, unsigned width, uint32_t value);

/* ---- DMA ---- */

struct drv_dma {
    void *virt;
    uint64_t phys;   /* what the device is told */
    uint64_t size;
    handle_t mem;
};
/* Physically contiguous, zeroed, mapped read/write. */
int drv_dma_alloc(uint64_t size, struct drv_dma *out);
void drv_dma_free(struct drv_dma *d);

/* Compiler and CPU ordering between filling DMA memory and telling the
 * device (x86 keeps stores in order; the compiler must too). */
static inline void drv_barrier(void) { __asm__ volatile("mfence" ::: "memory"); }

/* ---- interrupts ---- */

struct drv_irq {
    handle_t irq;
    uint64_t msi_addr;   /* MSI only: program these into the device */
    uint32_t msi_data;
};
/* A new MSI vector bound to `ep` (notified with `bits`). */
int drv_irq_msi(struct drv_device *dev, handle_t ep, uint64_t bits, struct drv_irq *out);
/* Legacy IRQ `index` of an ISA device, bound to `ep`. */
int drv_irq_legacy(struct drv_device *dev, unsigned index, handle_t ep, uint64_t bits, struct drv_irq *out);
/* After servicing a level-triggered line (no-op for MSI). */
int drv_irq_ack(const struct drv_irq *irq);
/* Waits up to timeout_ns (0: forever) for a notification on ep; returns its
 * bits (0 on timeout) or a negative E_* code. dm's pings are answered here;
 * other messages arriving on ep are handed to `other`, which replies to them
 * itself (may be NULL: refused with -E_NOSYS). */
struct ipc_msg;
long drv_wait(handle_t ep, uint64_t timeout_ns, void (*other)(struct ipc_msg *m, void *ctx), void *ctx);

/* ---- block drivers: one client at a time (libs/driver/block.idl) ---- */

/* The disk's client: its task (RIGHT_WATCH, to see whether it has ended),
 * its task id (to check callers) and the DMA buffer it maps, which the
 * driver moves data through (buf.phys, buf.virt; buf.size bytes). Start
 * from DRV_BLOCK_CLIENT_INIT; name is for log lines. dma_limit: when not 0,
 * the buffer must end at or below this physical address (e.g. 4 GiB for a
 * controller with 32-bit addresses). */
struct drv_block_client {
    const char *name;
    uint64_t dma_limit;
    handle_t task;   /* HANDLE_NONE: no client */
    uint32_t id;
    struct drv_dma buf;
};
#define DRV_BLOCK_CLIENT_INIT(log_name) \
    { .name = (log_name), .task = HANDLE_NONE, .buf = {.mem = HANDLE_NONE} }
/* block.open: `task` (always consumed) must be the caller's own task with
 * RIGHT_WATCH (else -E_PERM); -E_BUSY while another live task is the
 * client. The caller becomes the client with a fresh zeroed contiguous
 * buffer of `size` bytes, even when it was the client already, so that no
 * earlier mapping reaches the new one; *buffer and *buffer_size are for the
 * reply. A failure after the checks leaves no client. */
struct ipc_msg;
int drv_block_open(struct drv_block_client *c, const struct ipc_msg *req, handle_t task, uint32_t size,
                   handle_t *buffer, uint32_t *buffer_size);
/* 0 if the caller is the client, else -E_PERM. A client that has ended is
 * dropped here (its task id could come back with another task). */
int drv_block_check(struct drv_block_client *c, const struct ipc_msg *req);
/* No client any more: its task handle closed, the buffer freed (a mapping
 * the client kept is now memory of its own). */
void drv_block_close(struct drv_block_client *c);
/* block.close: the client gives the disk up; -E_PERM for anyone else. */
int drv_block_close_by(struct drv_block_client *c, const struct ipc_msg *req);

/* ---- disks, from their clients' side (libs/driver/disks.c) ----
 * Programs that are not drivers (the installer, fatfs) use these too: link
 * libdriver.a. */

#define DRV_BLOCK_NAME_MAX 32
#define DRV_BLOCK_MODEL_MAX 64   /* longer models are cut */
struct drv_block_info {
    char name[DRV_BLOCK_NAME_MAX];   /* "vda", "sda", "nvme0", ... */
    char model[DRV_BLOCK_MODEL_MAX];
    uint32_t sector_size;
    uint64_t sectors;
    bool read_only;
};
/* The disks there are, in dm's device order, each with its block.info, into
 * out[0 .. max-1]; returns how many, or an error (-E_NOENT: no dm). */
int drv_block_disks(handle_t bootstrap, struct drv_block_info *out, int max);

/* A disk its client has open: data moves through the driver's buffer. */
struct drv_disk {
    struct drv_block_info info;
    handle_t h;                      /* HANDLE_NONE: not open */
    uint8_t *buf;                    /* the driver's DMA buffer, mapped */
    uint32_t buf_size;
};
/* Looks the disk up (waiting up to wait_ns while dm (re)starts its driver),
 * reads its info and becomes its client with the caller's task handle
 * `self` (startup.self; getauxval(AT_TESSERA_SELF) in musl programs).
 * 0, or the error (-E_BUSY: another task is its client), d then closed. */
int drv_disk_open(handle_t bootstrap, handle_t self, const char *name, uint64_t wait_ns, struct drv_disk *d);
/* count sectors from `sector` to or from buf, a buffer's worth per call; 0
 * or the first call's error (-E_PEER: the driver ended; open it again). */
int drv_disk_io(struct drv_disk *d, uint64_t sector, uint32_t count, void *buf, bool write);
int drv_disk_flush(struct drv_disk *d);
/* Gives the disk up (block.close) and unmaps the buffer. */
void drv_disk_close(struct drv_disk *d);

/* ---- PCI ---- */

#define PCI_CFG_COMMAND 0x04
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_BUS_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11

int drv_pci_read(struct drv_device *dev, unsigned offset, unsigned width, uint32_t *value);
int drv_pci_write(struct drv_device *dev, unsigned offset, unsigned width, uint32_t value);
/* Offset of the first capability with `id` after offset `after` (0: from
 * the start of the list), or 0 if there is none. Loops and bad pointers in
 * the list end the walk. */
unsigned drv_pci_find_cap(struct drv_device *dev, uint8_t id, unsigned after);
/* Memory decoding and bus mastering on, INTx off. */
int drv_pci_enable(struct drv_device *dev);
/* MSI-X: points table entry `entry` at `irq` (mapping the table's BAR) and
 * enables MSI-X. */
int drv_pci_msix_set(struct drv_device *dev, unsigned entry, const struct drv_irq *irq);
/* Both: a new MSI vector bound to `ep` (notified with `bits`) behind MSI-X
 * table entry `entry`. On failure nothing is left allocated and the driver
 * polls (or uses another interrupt). */
int drv_irq_msix(struct drv_device *dev, unsigned entry, handle_t ep, uint64_t bits, struct drv_irq *out);

/* ---- virtio 1.x over PCI (modern), shared by all virtio drivers ---- */

struct virtio_pci {
    struct drv_device *dev;
    struct drv_mmio bars[6];
    volatile uint8_t *common;   /* struct virtio_pci_common_cfg */
    volatile uint8_t *notify;
    uint32_t notify_mult;
    volatile uint8_t *isr;
    volatile uint8_t *device_cfg;
    uint64_t features;          /* negotiated */
};
/* Finds the capabilities, maps what they point to, resets the device and
 * negotiates features: `wanted` & offered, plus VIRTIO_F_VERSION_1 (bit 32),
 * which is required. */
int virtio_pci_init(struct drv_device *dev, struct virtio_pci *vp, uint64_t wanted);
/* DRIVER_OK: after the queues are set up. */
int virtio_pci_ready(struct virtio_pci *vp);
/* Device status has DEVICE_NEEDS_RESET (or the device is gone). */
bool virtio_pci_broken(struct virtio_pci *vp);

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

struct virtq {
    struct virtio_pci *vp;
    uint16_t index, size;
    struct drv_dma mem;          /* descriptors, available and used rings */
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail;    /* flags, idx, ring[size] */
    volatile uint8_t *used;      /* flags, idx, ring[size] of {u32 id, u32 len} */
    volatile uint16_t *notify_addr;
    uint16_t free_head, num_free, last_used;
    uint16_t *chain_len;         /* per head descriptor in flight: its chain's length (0: not a head) */
};
/* Sets up queue `index` with up to `size` entries (the device may offer
 * fewer); msix_vector is the MSI-X entry for its interrupts, or 0xffff. */
int virtq_setup(struct virtio_pci *vp, unsigned index, unsigned size, uint16_t msix_vector, struct virtq *q);
struct virtq_buf {
    uint64_t phys;
    uint32_t len;
    bool device_writes;   /* in (device -> driver) rather than out */
};
/* Chains n buffers (the device-readable ones first), makes them available
 * and notifies the device. Returns the head descriptor id, or -E_AGAIN when
 * the queue is full. */
int virtq_submit(struct virtq *q, const struct virtq_buf *bufs, unsigned n);
/* A finished chain: its head id (and the bytes the device wrote in *len),
 * with its descriptors freed; -E_AGAIN if none is finished. A used entry
 * naming a descriptor that is not in flight gives -E_IO (a broken device). */
int virtq_get_used(struct virtq *q, uint32_t *len);

/* The split ring itself, over plain memory (no device registers; host-
 * testable). virtq_ring_bytes: what a ring of `size` entries (a power of two)
 * needs: descriptors, then the available ring at *avail_off, the used ring
 * at *used_off and the driver's own bookkeeping (either pointer may be
 * NULL). virtq_ring_init lays it out at mem (zeroed) and frees every
 * descriptor. virtq_ring_add is virtq_submit without the notification;
 * virtq_ring_needs_notify: whether the device wants to be told. */
size_t virtq_ring_bytes(unsigned size, size_t *avail_off, size_t *used_off);
void virtq_ring_init(struct virtq *q, void *mem, uint16_t size);
int virtq_ring_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n);
bool virtq_ring_needs_notify(const struct virtq *q);

#endif
