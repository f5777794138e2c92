/*
 * nvme: an NVMe controller's namespace 1 (QEMU's 1b36:0010, class 01:08:02),
 * served as a disk (libs/driver/block.idl) named nvme<instance>.
 *
 * One admin queue pair and one I/O queue pair, one command in flight at a
 * time: the block interface is synchronous and has one client, so deeper
 * queues would buy nothing. Completions are found by their phase bit; an
 * MSI-X interrupt (vector 0, on our service endpoint) wakes us when we have
 * one, else we poll. Every wait has a deadline. The client's buffer is one
 * physically contiguous DMA object, so a transfer is PRP1 plus PRP2 or, past
 * two pages, a PRP list page we keep for the purpose.
 *
 * A controller that stops answering or reports a fatal status is logged and
 * we exit non-zero: dm restarts us and the restart resets the controller.
 * A command the controller refuses fails the client's call with -E_IO.
 */
#include <common/format.h>
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/block.h"

#define MS 1000000ull
#define CMD_TIMEOUT (10000 * MS)   /* one command, from submission to completion */
#define POLL_SLICE (10 * MS)       /* look at the completion queue at least this often */
#define PAGE 4096u                 /* the controller's memory page size (CC.MPS = 0) */
#define ADMIN_ENTRIES 16
#define IO_ENTRIES 64
#define BUFFER_SIZE (128u * 1024)
#define NSID 1
#define IRQ_BIT 1

/* Controller registers (NVMe 1.4, section 3.1). */
#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000

#define CC_EN 1u
#define CC_IOSQES (6u << 16)   /* 64-byte submission entries */
#define CC_IOCQES (4u << 20)   /* 16-byte completion entries */
#define CSTS_RDY 1u
#define CSTS_CFS 2u

#define OP_ADMIN_CREATE_SQ 0x01
#define OP_ADMIN_CREATE_CQ 0x05
#define OP_ADMIN_IDENTIFY 0x06
#define OP_FLUSH 0x00
#define OP_WRITE 0x01
#define OP_READ 0x02

struct nvme_cmd {
    uint32_t cdw0;   /* opcode, and the command id in bits 31:16 */
    uint32_t nsid;
    uint64_t reserved;
    uint64_t mptr;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_cmd) == 64, "a submission entry is 64 bytes");

struct nvme_cpl {
    uint32_t dw0, dw1;
    uint16_t sq_head, sq_id;
    uint16_t cid;
    uint16_t status;   /* phase in bit 0, status field above it */
};
_Static_assert(sizeof(struct nvme_cpl) == 16, "a completion entry is 16 bytes");
_Static_assert(41 <= BLOCK_INFO_MODEL_MAX, "the model fits in block.info");

struct queue {
    const char *name;
    uint16_t id, entries;
    struct drv_dma sq, cq;
    uint16_t sq_tail, cq_head, next_cid;
    uint16_t phase;   /* the phase bit that marks a new completion */
};

static struct drv_device dev;
static struct drv_mmio regs;
static handle_t ep;
static bool have_irq;
static uint32_t doorbell_stride;
static struct queue adminq = {.name = "admin", .id = 0}, ioq = {.name = "I/O", .id = 1};
static struct drv_dma scratch;   /* IDENTIFY data, then the PRP list */
static char disk_name[16];
static char model[41];
static uint32_t sector_size;
static uint64_t sectors;
static bool read_only;
static bool no_medium;          /* namespace 1 is absent: served as a disk of 0 sectors */
static uint32_t max_transfer;   /* bytes in one command (MDTS), a multiple of PAGE */

/* The client and the buffer we gave it (libs/driver/block.c). */
static struct drv_block_client client = DRV_BLOCK_CLIENT_INIT(disk_name);

__attribute__((noreturn)) static void die(const char *what) {
    uint32_t csts = regs.base ? mmio_read32(&regs, REG_CSTS) : 0;
    log_printf("%s: %s (CSTS 0x%x); exiting so that dm restarts us\n", disk_name, what, csts);
    exit(2);
}

/* ---- queues ---- */

static uint64_t sq_doorbell(const struct queue *q) { return REG_DOORBELLS + (2u * q->id) * doorbell_stride; }
static uint64_t cq_doorbell(const struct queue *q) { return REG_DOORBELLS + (2u * q->id + 1) * doorbell_stride; }

static int queue_alloc(struct queue *q, uint16_t entries) {
    q->entries = entries;
    q->sq_tail = q->cq_head = 0;
    q->phase = 1;
    int err = drv_dma_alloc((uint64_t)entries * sizeof(struct nvme_cmd), &q->sq);
    if (!err)
        err = drv_dma_alloc((uint64_t)entries * sizeof(struct nvme_cpl), &q->cq);
    if (err)
        log_printf("%s: no DMA memory for the %s queues: %s\n", disk_name, q->name, err_str(err));
    return err;
}

static const char *status_name(unsigned type, unsigned code) {
    if (type == 0) {
        switch (code) {
        case 0x01: return "invalid opcode";
        case 0x02: return "invalid field";
        case 0x04: return "data transfer error";
        case 0x06: return "internal error";
        case 0x0b: return "invalid namespace";
        case 0x20: return "namespace write protected";
        case 0x80: return "LBA out of range";
        case 0x81: return "capacity exceeded";
        case 0x82: return "namespace not ready";
        }
    } else if (type == 2) {
        switch (code) {
        case 0x80: return "write fault";
        case 0x81: return "unrecovered read error";
        case 0x86: return "access denied";
        }
    }
    return "error";
}

/* Refuses a message that arrives while we wait for the controller (only
 * dm's pings, answered by drv_wait, are served meanwhile). */
static void refuse_while_busy(struct ipc_msg *m, void *ctx) {
    if (idl_reject(m, -E_BUSY))
        ipc_reply(m);
}

/* The completion for `cid`, or false when none is there yet. One command
 * is in flight at a time (and we exit rather than give one up), so a
 * completion for another id means a broken controller. */
static bool reap(struct queue *q, uint16_t cid, struct nvme_cpl *out) {
    volatile struct nvme_cpl *e = (volatile struct nvme_cpl *)q->cq.virt + q->cq_head;
    if ((e->status & 1) != q->phase)
        return false;
    drv_barrier();
    *out = *(struct nvme_cpl *)e;
    if (++q->cq_head == q->entries) {
        q->cq_head = 0;
        q->phase ^= 1;
    }
    mmio_write32(&regs, cq_doorbell(q), q->cq_head);
    if (out->cid != cid)
        die("a completion for a command we did not send");
    return true;
}

/* Runs one command on q and waits for it. 0, or -E_IO (-E_ROFS for a
 * write-protected namespace) when the controller refuses it, logged with
 * `what`. Never returns if the controller hangs or fails. */
static int run(struct queue *q, struct nvme_cmd *cmd, const char *what) {
    uint16_t cid = q->next_cid++;
    cmd->cdw0 = (cmd->cdw0 & 0xffff) | (uint32_t)cid << 16;
    volatile struct nvme_cmd *slot = (volatile struct nvme_cmd *)q->sq.virt + q->sq_tail;
    memcpy((void *)slot, cmd, sizeof(*cmd));
    if (++q->sq_tail == q->entries)
        q->sq_tail = 0;
    drv_barrier();
    mmio_write32(&regs, sq_doorbell(q), q->sq_tail);

    uint64_t deadline = sys_clock() + CMD_TIMEOUT;
    struct nvme_cpl c;
    for (unsigned spins = 0; !reap(q, cid, &c); spins++) {
        if (spins < 64) {   /* QEMU usually answers within a few of these */
            sys_yield();
            continue;
        }
        if (mmio_read32(&regs, REG_CSTS) & CSTS_CFS)
            die("controller fatal status");
        uint64_t now = sys_clock();
        if (now >= deadline) {
            log_printf("%s: %s (%s queue) unanswered after %llu ms\n", disk_name, what, q->name,
                       (unsigned long long)(CMD_TIMEOUT / MS));
            die("the controller does not answer");
        }
        uint64_t slice = have_irq ? POLL_SLICE : MS;   /* without the interrupt: poll each ms */
        if (slice > deadline - now)
            slice = deadline - now;
        long r = drv_wait(ep, slice, refuse_while_busy, NULL);
        if (r < 0 && r != -E_TIMEDOUT)
            die("waiting for the controller failed");
    }
    unsigned type = (c.status >> 9) & 7, code = (c.status >> 1) & 0xff;
    if (type || code) {
        log_printf("%s: %s failed: status type %u code 0x%02x (%s)\n", disk_name, what, type, code,
                   status_name(type, code));
        if (type == 0 && code == 0x20) {
            read_only = true;   /* info says so from now on */
            return -E_ROFS;
        }
        return -E_IO;
    }
    return 0;
}

/* ---- controller set-up ---- */

static bool wait_ready(bool ready, uint64_t timeout_ns) {
    uint64_t deadline = sys_clock() + timeout_ns;
    for (;;) {
        uint32_t csts = mmio_read32(&regs, REG_CSTS);
        if (csts == 0xffffffffu)
            return false;   /* the device is gone */
        if (((csts & CSTS_RDY) != 0) == ready)
            return true;
        if (ready && (csts & CSTS_CFS))
            return false;
        if (sys_clock() >= deadline)
            return false;
        drv_wait(ep, MS, refuse_while_busy, NULL);
    }
}

static int identify(uint32_t cns, uint32_t nsid, const char *what) {
    memset(scratch.virt, 0, PAGE);
    struct nvme_cmd c = {.cdw0 = OP_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = scratch.phys, .cdw10 = cns};
    return run(&adminq, &c, what);
}

static int setup_controller(void) {
    uint64_t cap = mmio_read64(&regs, REG_CAP);
    uint32_t vs = mmio_read32(&regs, REG_VS);
    if (cap == ~0ull) {
        log_printf("%s: the controller's registers read as all ones\n", disk_name);
        return -E_IO;
    }
    unsigned mqes = (unsigned)(cap & 0xffff) + 1, mps_min = (unsigned)(cap >> 48) & 0xf;
    uint64_t timeout = ((cap >> 24) & 0xff) * 500 * MS;
    if (timeout < 500 * MS)
        timeout = 500 * MS;
    doorbell_stride = 4u << ((cap >> 32) & 0xf);
    if (!(cap & (1ull << 37)) || mps_min != 0 || mqes < 2) {
        log_printf("%s: unusable controller (CAP 0x%llx): needs the NVM command set, 4 KiB pages and queues\n",
                   disk_name, (unsigned long long)cap);
        return -E_NOTSUP;
    }
    if (regs.size < REG_DOORBELLS + 4 * doorbell_stride) {
        log_printf("%s: BAR0 of %llu bytes has no room for the doorbells\n", disk_name,
                   (unsigned long long)regs.size);
        return -E_IO;
    }

    /* Reset: whatever a boot loader or an earlier run of ours left behind. */
    mmio_write32(&regs, REG_CC, mmio_read32(&regs, REG_CC) & ~CC_EN);
    if (!wait_ready(false, timeout)) {
        log_printf("%s: the controller does not leave ready after reset (CSTS 0x%x)\n", disk_name,
                   mmio_read32(&regs, REG_CSTS));
        return -E_IO;
    }
    uint16_t admin_entries = mqes < ADMIN_ENTRIES ? (uint16_t)mqes : ADMIN_ENTRIES;
    uint16_t io_entries = mqes < IO_ENTRIES ? (uint16_t)mqes : IO_ENTRIES;
    int err = queue_alloc(&adminq, admin_entries);
    if (!err)
        err = queue_alloc(&ioq, io_entries);
    if (err)
        return err;
    mmio_write32(&regs, REG_AQA, (uint32_t)(admin_entries - 1) << 16 | (uint32_t)(admin_entries - 1));
    mmio_write64(&regs, REG_ASQ, adminq.sq.phys);
    mmio_write64(&regs, REG_ACQ, adminq.cq.phys);
    mmio_write32(&regs, REG_CC, CC_IOCQES | CC_IOSQES | CC_EN);   /* NVM set, 4 KiB pages, round robin */
    if (!wait_ready(true, timeout)) {
        log_printf("%s: the controller does not become ready (CSTS 0x%x, version %u.%u)\n", disk_name,
                   mmio_read32(&regs, REG_CSTS), vs >> 16, (vs >> 8) & 0xff);
        return -E_IO;
    }

    err = identify(1, 0, "IDENTIFY controller");
    if (err)
        return err;
    const uint8_t *id = scratch.virt;
    memcpy(model, id + 24, 40);
    int n = 40;
    while (n > 0 && (model[n - 1] == ' ' || model[n - 1] == 0))
        n--;
    model[n] = 0;
    unsigned mdts = id[77];
    max_transfer = mdts == 0 || mdts > 5 ? BUFFER_SIZE : PAGE << mdts;

    /* The I/O queue pair: completions first, as the submission queue names them. */
    struct nvme_cmd c = {.cdw0 = OP_ADMIN_CREATE_CQ,
                         .prp1 = ioq.cq.phys,
                         .cdw10 = (uint32_t)(ioq.entries - 1) << 16 | ioq.id,
                         .cdw11 = (have_irq ? 2u : 0u) | 1u};   /* IEN (vector 0), physically contiguous */
    err = run(&adminq, &c, "CREATE I/O CQ");
    if (err)
        return err;
    c = (struct nvme_cmd){.cdw0 = OP_ADMIN_CREATE_SQ,
                          .prp1 = ioq.sq.phys,
                          .cdw10 = (uint32_t)(ioq.entries - 1) << 16 | ioq.id,
                          .cdw11 = (uint32_t)ioq.id << 16 | 1u};
    return run(&adminq, &c, "CREATE I/O SQ");
}

/* Namespace 1's size and sector size. -E_NOENT when it is absent (no drive). */
static int setup_namespace(void) {
    int err = identify(0, NSID, "IDENTIFY namespace 1");
    if (err)
        return -E_NOENT;
    const uint8_t *ns = scratch.virt;
    uint64_t nsze;
    memcpy(&nsze, ns, 8);
    if (nsze == 0)
        return -E_NOENT;
    unsigned nlbaf = ns[25], format = ns[26] & 0xf;
    if (format > nlbaf) {
        log_printf("%s: namespace 1 uses LBA format %u of %u\n", disk_name, format, nlbaf + 1);
        return -E_IO;
    }
    uint32_t lbaf;
    memcpy(&lbaf, ns + 128 + 4 * format, 4);
    unsigned metadata = lbaf & 0xffff, lbads = (lbaf >> 16) & 0xff;
    if (lbads < 9 || lbads > 12 || metadata) {
        log_printf("%s: namespace 1's LBA format (2^%u-byte sectors, %u metadata bytes) is not supported\n",
                   disk_name, lbads, metadata);
        return -E_NOTSUP;
    }
    sector_size = 1u << lbads;
    sectors = nsze;
    read_only = ns[99] & 1;   /* NSATTR: write protected */
    return 0;
}

/* ---- transfers ---- */

static const char *op_name(uint8_t opcode) {
    return opcode == OP_READ ? "READ" : opcode == OP_WRITE ? "WRITE" : "FLUSH";
}

/* Moves count sectors between the disk at `sector` and buf's start, in
 * commands of at most max_transfer bytes. The buffer is page aligned and
 * contiguous: PRP1 is a chunk's first page, PRP2 its second or, for more
 * than two pages, a list of the rest (scratch, free once set-up is done). */
static int transfer(uint8_t opcode, const struct drv_dma *buf, uint64_t sector, uint32_t count) {
    uint32_t per_cmd = max_transfer / sector_size;
    uint64_t offset = 0;
    uint64_t *prp_list = scratch.virt;
    while (count) {
        uint32_t n = count < per_cmd ? count : per_cmd;
        uint64_t bytes = (uint64_t)n * sector_size;
        uint64_t phys = buf->phys + offset;
        unsigned pages = (unsigned)((bytes + PAGE - 1) / PAGE);
        struct nvme_cmd c = {.cdw0 = opcode,
                             .nsid = NSID,
                             .prp1 = phys,
                             .cdw10 = (uint32_t)sector,
                             .cdw11 = (uint32_t)(sector >> 32),
                             .cdw12 = n - 1};
        if (pages == 2) {
            c.prp2 = phys + PAGE;
        } else if (pages > 2) {
            for (unsigned i = 1; i < pages; i++)
                prp_list[i - 1] = phys + (uint64_t)i * PAGE;
            c.prp2 = scratch.phys;
        }
        char what[64];
        fmt_snprintf(what, sizeof(what), "%s of %u sectors at %llu", op_name(opcode), n,
                     (unsigned long long)sector);
        int err = run(&ioq, &c, what);
        if (err)
            return err;
        sector += n;
        offset += bytes;
        count -= n;
    }
    return 0;
}

static int check_range(uint64_t sector, uint32_t count) {
    if ((uint64_t)count * sector_size > client.buf.size || sector > sectors || count > sectors - sector)
        return -E_RANGE;
    return 0;
}

/* ---- the block interface ---- */

static int on_info(void *ctx, const struct ipc_msg *req, uint32_t *ssize, uint64_t *count, bool *ro,
                   char *model_out) {
    *ssize = sector_size;
    *count = sectors;
    *ro = read_only;
    memcpy(model_out, model, sizeof(model));   /* NUL-terminated, well under BLOCK_INFO_MODEL_MAX */
    return 0;
}

static int on_open(void *ctx, const struct ipc_msg *req, handle_t task, handle_t *buffer,
                   uint32_t *buffer_size) {
    if (no_medium) {
        if (task != HANDLE_NONE)
            sys_handle_close(task);
        return -E_NOENT;
    }
    return drv_block_open(&client, req, task, BUFFER_SIZE, buffer, buffer_size);
}

static int on_read(void *ctx, const struct ipc_msg *req, uint64_t sector, uint32_t count) {
    int err = drv_block_check(&client, req);
    if (!err)
        err = check_range(sector, count);
    if (!err && count)
        err = transfer(OP_READ, &client.buf, sector, count);
    return err;
}

static int on_write(void *ctx, const struct ipc_msg *req, uint64_t sector, uint32_t count) {
    int err = drv_block_check(&client, req);
    if (!err && read_only)
        err = -E_ROFS;
    if (!err)
        err = check_range(sector, count);
    if (!err && count)
        err = transfer(OP_WRITE, &client.buf, sector, count);
    return err;
}

static int on_flush(void *ctx, const struct ipc_msg *req) {
    int err = drv_block_check(&client, req);
    if (err)
        return err;
    struct nvme_cmd c = {.cdw0 = OP_FLUSH, .nsid = NSID};
    return run(&ioq, &c, "FLUSH");
}

static int on_close(void *ctx, const struct ipc_msg *req) { return drv_block_close_by(&client, req); }

static const struct block_server block_srv = {
    .info = on_info,
    .open = on_open,
    .read = on_read,
    .write = on_write,
    .flush = on_flush,
    .close = on_close,
};

static int dispatch(struct ipc_msg *m) { return block_dispatch(&block_srv, NULL, m); }

/* ---- start-up ---- */

static void setup_irq(void) {
    struct drv_irq irq;
    int err = drv_irq_msix(&dev, 0, ep, IRQ_BIT, &irq);
    if (err) {
        log_printf("%s: no MSI-X interrupt (%s); polling\n", disk_name, err_str(err));
        return;
    }
    have_irq = true;
}

/* Reads sector 0 once, so that a broken data path shows at boot, not at
 * the first client's first read. */
static void self_check(void) {
    struct drv_dma buf;
    if (drv_dma_alloc(BUFFER_SIZE, &buf) < 0)
        return;
    int err = transfer(OP_READ, &buf, 0, 1);
    const uint8_t *b = buf.virt;
    if (err)
        log_printf("%s: reading sector 0 failed: %s\n", disk_name, err_str(err));
    else
        log_printf("%s: sector 0 read: %02x %02x %02x %02x ... signature %02x%02x\n", disk_name, b[0], b[1],
                   b[2], b[3], b[510], b[511]);
    drv_dma_free(&buf);
}

int main(int argc, char **argv) {
    long instance = startup_option_int("instance", 0);
    fmt_snprintf(disk_name, sizeof(disk_name), "nvme%ld", instance);
    int err = drv_open(&dev);
    if (err) {
        log_printf("%s: no device from dm: %s\n", disk_name, err_str(err));
        return 1;
    }
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("%s: cannot create an endpoint\n", disk_name);
        return 1;
    }
    ep = (handle_t)e;
    err = drv_pci_enable(&dev);   /* bus mastering: DMA and MSI-X writes need it */
    if (!err)
        err = drv_map_bar(&dev, 0, false, &regs);
    if (!err)
        err = drv_dma_alloc(PAGE, &scratch);
    if (err) {
        log_printf("%s: cannot reach the controller (%04x:%04x): %s\n", disk_name, dev.vendor, dev.device,
                   err_str(err));
        return 1;
    }
    setup_irq();
    err = setup_controller();
    if (err) {
        log_printf("%s: controller set-up failed: %s\n", disk_name, err_str(err));
        return 1;
    }
    err = setup_namespace();
    if (err == -E_NOENT) {
        /* Ready all the same (dm would restart a driver that exits): a disk
         * of no sectors that cannot be opened. */
        log_printf("%s: \"%s\" has no namespace 1 (no drive attached)\n", disk_name, model);
        no_medium = true;
        sector_size = 512;   /* never 0: clients divide by it */
    } else if (err) {
        log_printf("%s: namespace 1 unusable: %s\n", disk_name, err_str(err));
        return 1;
    }
    if (!no_medium) {
        log_printf("%s: \"%s\", %llu sectors of %u bytes (%llu MiB)%s, %s\n", disk_name, model,
                   (unsigned long long)sectors, sector_size, (unsigned long long)(sectors * sector_size >> 20),
                   read_only ? ", read-only" : "", have_irq ? "MSI-X" : "polled");
        self_check();
    }
    err = drv_ready(&dev, disk_name, ep);
    if (err) {
        log_printf("%s: ready failed: %s\n", disk_name, err_str(err));
        return 1;
    }
    drv_serve(ep, dispatch);
}
