/*
 * virtio_blk: a virtio 1.x block device over PCI (1af4:1042), serving the
 * block interface (libs/driver/block.idl) as "vd" + ('a' + instance).
 *
 * One request queue, one request in flight: a header (type, sector), the
 * data (a slice of the client's DMA buffer: no copies here) and a status
 * byte, completed by MSI-X (or polled). Every request has a deadline; a
 * device that misses it or names descriptors it was not given is logged and
 * we exit non-zero, so dm restarts us and the restart resets the device. A
 * request the device answers with an error status fails the client's call
 * with -E_IO.
 *
 * One client at a time: open() takes the caller's task handle, and a second
 * task's open is refused with -E_BUSY until that task has ended or closed.
 * Each open gets a fresh 128 KiB buffer, so a previous client that kept its
 * mapping cannot scribble over the new client's transfers.
 */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/block.h"

#define MS 1000000ull
#define REQUEST_TIMEOUT (5000 * MS)   /* one request, 128 KiB at most */
#define POLL_SLICE (10 * MS)          /* look at the used ring at least this often */
#define QUEUE_SIZE 16
#define BUFFER_SIZE (128 * 1024)

/* Feature bits (virtio 1.x, 5.2.3) */
#define F_SIZE_MAX (1ull << 1)
#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)

/* struct virtio_blk_config offsets */
#define CFG_CAPACITY 0   /* u64, in 512-byte sectors whatever blk_size says */
#define CFG_SIZE_MAX 8   /* u32: largest data segment */
#define CFG_BLK_SIZE 20  /* u32: the logical block size */

/* Request types and status values (5.2.6) */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

struct blk_req_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;   /* in 512-byte units */
};

static struct drv_device dev;
static struct virtio_pci vp;
static struct virtq queue;
static struct drv_dma request;   /* header at 0, status byte at STATUS_OFFSET */
#define STATUS_OFFSET 64
static handle_t ep, irq_ep;
static bool have_irq;
static char name[16];

static uint32_t sector_size = 512;
static uint64_t sectors;          /* in sector_size units */
static uint32_t max_segment;      /* bytes of data one request may carry */
static bool read_only, can_flush;

/* The client and its buffer (libs/driver/block.c). */
static struct drv_block_client client = DRV_BLOCK_CLIENT_INIT(name);

__attribute__((noreturn)) static void die(const char *what) {
    log_printf("%s: %s%s; exiting so that dm restarts us\n", name, what,
               virtio_pci_broken(&vp) ? " (the device wants a reset)" : "");
    exit(2);
}

/* ---- requests ---- */

/* One request: type at `sector` (512-byte units) with `len` bytes of data at
 * physical address `data` (len 0: none). 0, or -E_IO if the device reports
 * an error (logged). Never returns if the device misbehaves. */
static int run_request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len) {
    struct blk_req_header *h = request.virt;
    volatile uint8_t *status = (uint8_t *)request.virt + STATUS_OFFSET;
    h->type = type;
    h->reserved = 0;
    h->sector = sector;
    *status = 0xff;   /* not a status the device sends: tells us it wrote none */
    struct virtq_buf b[3];
    unsigned n = 0;
    b[n++] = (struct virtq_buf){.phys = request.phys, .len = sizeof(*h)};
    if (len)
        b[n++] = (struct virtq_buf){.phys = data, .len = len, .device_writes = type == T_IN};
    b[n++] = (struct virtq_buf){.phys = request.phys + STATUS_OFFSET, .len = 1, .device_writes = true};
    drv_barrier();
    int head = virtq_submit(&queue, b, n);
    if (head < 0)
        die("cannot submit a request");
    uint64_t deadline = sys_clock() + REQUEST_TIMEOUT;
    for (;;) {
        uint32_t written = 0;
        int id = virtq_get_used(&queue, &written);
        if (id == head)
            break;
        if (id != -E_AGAIN)
            die("the used ring names a descriptor that is not in flight");
        uint64_t now = sys_clock();
        if (now >= deadline) {
            log_printf("%s: request type %u at sector %llu (%u bytes) unanswered after %llu ms\n", name, type,
                       (unsigned long long)sector, len, (unsigned long long)(REQUEST_TIMEOUT / MS));
            die("the device does not answer");
        }
        uint64_t wait = deadline - now < POLL_SLICE ? deadline - now : POLL_SLICE;
        long r = drv_wait(irq_ep, have_irq ? wait : MS / 10, NULL, NULL);
        if (r < 0 && r != -E_TIMEDOUT)
            die("waiting for the device failed");
    }
    drv_barrier();
    uint8_t s = *status;
    if (s == S_OK)
        return 0;
    log_printf("%s: request type %u at sector %llu (%u bytes) failed: %s\n", name, type,
               (unsigned long long)sector, len,
               s == S_IOERR ? "I/O error" : s == S_UNSUPP ? "unsupported" : "no status from the device");
    return -E_IO;
}

/* count sectors at `sector` to or from the buffer's start, in requests of
 * at most max_segment bytes. */
static int transfer(uint32_t type, uint64_t sector, uint32_t count) {
    uint64_t bytes = (uint64_t)count * sector_size, done = 0;
    uint64_t first = sector * (sector_size / 512);
    while (done < bytes) {
        uint32_t len = (uint32_t)(bytes - done < max_segment ? bytes - done : max_segment);
        int err = run_request(type, first + done / 512, client.buf.phys + done, len);
        if (err)
            return err;
        done += len;
    }
    return 0;
}

/* ---- the block interface ---- */

static int on_info(void *ctx, const struct ipc_msg *req, uint32_t *size, uint64_t *count, bool *ro,
                   char *model) {
    *size = sector_size;
    *count = sectors;
    *ro = read_only;
    memcpy(model, "virtio-blk", sizeof("virtio-blk"));
    return 0;
}

static int on_open(void *ctx, const struct ipc_msg *req, handle_t task, handle_t *out, uint32_t *out_size) {
    return drv_block_open(&client, req, task, BUFFER_SIZE, out, out_size);
}

static int check_range(uint64_t sector, uint32_t count) {
    if (sector > sectors || count > sectors - sector || (uint64_t)count * sector_size > client.buf.size)
        return -E_RANGE;
    return 0;
}

static int on_read(void *ctx, const struct ipc_msg *req, uint64_t sector, uint32_t count) {
    int err = drv_block_check(&client, req);
    if (!err)
        err = check_range(sector, count);
    return err ? err : transfer(T_IN, sector, count);
}

static int on_write(void *ctx, const struct ipc_msg *req, uint64_t sector, uint32_t count) {
    int err = drv_block_check(&client, req);
    if (!err && read_only)
        err = -E_ROFS;
    if (!err)
        err = check_range(sector, count);
    return err ? err : transfer(T_OUT, sector, count);
}

static int on_flush(void *ctx, const struct ipc_msg *req) {
    int err = drv_block_check(&client, req);
    if (err)
        return err;
    /* Without VIRTIO_BLK_F_FLUSH the device writes through: nothing to do. */
    return can_flush && !read_only ? run_request(T_FLUSH, 0, 0, 0) : 0;
}

static int on_close(void *ctx, const struct ipc_msg *req) { return drv_block_close_by(&client, req); }

static const struct block_server block_server = {
    .info = on_info,
    .open = on_open,
    .read = on_read,
    .write = on_write,
    .flush = on_flush,
    .close = on_close,
};

static int dispatch(struct ipc_msg *m) { return block_dispatch(&block_server, NULL, m); }

/* ---- start-up ---- */

static void setup_irq(void) {
    struct drv_irq irq;
    int err = drv_irq_msix(&dev, 0, irq_ep, 1, &irq);
    if (err) {
        log_printf("%s: no MSI-X interrupt (%s); polling the request queue\n", name, err_str(err));
        return;
    }
    have_irq = true;
}

static uint32_t cfg32(unsigned off) { return *(volatile uint32_t *)(vp.device_cfg + off); }

/* capacity is a u64 the device may change between our two 32-bit reads;
 * read until two agree. */
static uint64_t cfg_capacity(void) {
    for (int i = 0; i < 4; i++) {
        uint64_t a = (uint64_t)cfg32(CFG_CAPACITY + 4) << 32 | cfg32(CFG_CAPACITY);
        uint64_t b = (uint64_t)cfg32(CFG_CAPACITY + 4) << 32 | cfg32(CFG_CAPACITY);
        if (a == b)
            return a;
    }
    return 0;
}

int main(int argc, char **argv) {
    long instance = startup_option_int("instance", 0);
    if (instance < 0 || instance > 25)
        instance = 0;
    name[0] = 'v';
    name[1] = 'd';
    name[2] = (char)('a' + instance);
    name[3] = 0;

    int err = drv_open(&dev);
    if (err) {
        log_printf("virtio_blk: no device from dm: %s\n", err_str(err));
        return 1;
    }
    if (dev.vendor != 0x1af4 || dev.device != 0x1042) {
        log_printf("virtio_blk: %04x:%04x is not a virtio-blk (1.x)\n", dev.vendor, dev.device);
        return 1;
    }
    long e1 = sys_endpoint_create(), e2 = sys_endpoint_create();
    if (e1 < 0 || e2 < 0) {
        log_printf("%s: cannot create endpoints\n", name);
        return 1;
    }
    ep = (handle_t)e1;
    irq_ep = (handle_t)e2;

    /* Bus mastering: the device's DMA and its MSI-X writes need it. */
    err = drv_pci_enable(&dev);
    if (err) {
        log_printf("%s: cannot enable the device: %s\n", name, err_str(err));
        return 1;
    }
    err = virtio_pci_init(&dev, &vp, F_SIZE_MAX | F_SEG_MAX | F_RO | F_BLK_SIZE | F_FLUSH);
    if (err) {
        log_printf("%s: virtio set-up failed: %s\n", name, err_str(err));
        return 1;
    }
    if (!vp.device_cfg) {
        log_printf("%s: the device has no configuration space\n", name);
        return 1;
    }
    uint64_t capacity = cfg_capacity();
    if (vp.features & F_BLK_SIZE) {
        uint32_t bs = cfg32(CFG_BLK_SIZE);
        if (bs == 512 || bs == 4096)
            sector_size = bs;
        else
            log_printf("%s: block size %u is neither 512 nor 4096; using 512\n", name, bs);
    }
    sectors = capacity / (sector_size / 512);
    read_only = (vp.features & F_RO) != 0;
    can_flush = (vp.features & F_FLUSH) != 0;
    max_segment = BUFFER_SIZE;
    if (vp.features & F_SIZE_MAX) {
        uint32_t sm = cfg32(CFG_SIZE_MAX) & ~(sector_size - 1);
        if (sm == 0)
            log_printf("%s: size_max %u is below a sector; ignoring it\n", name, cfg32(CFG_SIZE_MAX));
        else if (sm < max_segment)
            max_segment = sm;
    }

    err = drv_dma_alloc(PAGE_SIZE, &request);
    if (err) {
        log_printf("%s: no DMA memory for requests: %s\n", name, err_str(err));
        return 1;
    }
    setup_irq();
    err = virtq_setup(&vp, 0, QUEUE_SIZE, have_irq ? 0 : 0xffff, &queue);
    if (!err && queue.size < 4) {
        log_printf("%s: the request queue has %u entries\n", name, queue.size);
        err = -E_IO;
    }
    if (!err)
        err = virtio_pci_ready(&vp);
    if (err) {
        log_printf("%s: request queue set-up failed: %s\n", name, err_str(err));
        return 1;
    }

    err = drv_ready(&dev, name, ep);
    if (err) {
        log_printf("%s: ready failed: %s\n", name, err_str(err));
        return 1;
    }
    log_printf("%s: virtio-blk, %llu sectors of %u bytes (%llu MiB)%s%s, %s\n", name, (unsigned long long)sectors,
               sector_size, (unsigned long long)(sectors * sector_size >> 20), read_only ? ", read-only" : "",
               can_flush ? ", write cache" : "", have_irq ? "MSI-X" : "polled");
    drv_serve(ep, dispatch);
}
