/*
 * ahci: SATA disks behind an AHCI controller (ICH9, 8086:2922: q35's own at
 * 00:1f.2 and QEMU's -device ahci), serving libs/driver/block.idl.
 *
 * Every ATA disk on the controller is a disk of its own, offered to dm
 * under its own name (device.ready once per disk) with its own send handle
 * to our one endpoint, badged with the disk (badge i + 1 for disks[i]): a
 * request's badge says which disk it is for, and the kernel's req->sender
 * which task sent it (drv_block_check). Each disk has its own client, its
 * own command list, received-FIS area and command table, and its port's
 * engine of its own.
 *
 * Names: the ATA disks of a controller, in port order, get letters a, b,
 * ...: "sd" + letter on controller instance 0 (dm's instance=N: the AHCI
 * controllers in PCI bus order), "sd" + N + letter on instance N > 0
 * (sda, sdb on the first controller; sd1a, sd1b on the second). A disk
 * that turns out unusable keeps its letter, so the next one's name does
 * not depend on it. At most MAX_DISKS per controller (dm takes 8 names per
 * driver); further disks and ATAPI drives are logged, not driven. A
 * controller without a usable disk still reports ready, as "ahciN",
 * answering every block call with -E_NOENT: dm waits for its drivers
 * before the system is ready, and q35 always has this one.
 *
 * One command at a time (slot 0 of the disk's port), completion polled
 * against a deadline (no interrupts yet: q35's disks are fast and this
 * keeps start-up short). Requests are served in the order they arrive, so
 * a client waits behind at most one request of each other disk's client
 * (each client has one call outstanding). Data moves straight between the
 * disk and the client's 128 KiB DMA buffer (one PRD entry), fresh at each
 * open so that no earlier client's mapping reaches it. A device error
 * (PxTFD.ERR, or a fatal PxIS bit) fails the call with -E_IO and a log
 * line; the port's command engine is then restarted so that the next
 * command has a clean start.
 *
 * Options: instance=N (from dm).
 */
#include <common/format.h>
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "ahci.h"
#include "idl/block.h"

#define MS 1000000ull
#define CMD_TIMEOUT (1500 * MS)   /* below dm's 2 s ping limit: we answer no pings meanwhile */
#define ENGINE_TIMEOUT (500 * MS) /* AHCI 1.3: CR and FR clear within 500 ms */
#define BOH_TIMEOUT (25 * MS)     /* the BIOS gives the HBA up within 25 ms ... */
#define BOH_BUSY_TIMEOUT (2000 * MS)   /* ... or 2 s when it says it is busy */
#define READY_TIMEOUT (1000 * MS) /* a disk leaves BSY/DRQ after the engine starts */
#define BUF_SIZE (128u * 1024)    /* the client's buffer: one PRD entry */
#define MODEL_LEN (ID_MODEL_WORDS * 2)
#define MAX_DISKS 8               /* per controller: dm takes 8 names per driver */
#define NO_DISK_BADGE (MAX_DISKS + 1)   /* "ahciN": a controller without disks */

static struct drv_device dev;
static struct drv_mmio hba;
static handle_t ep;
static bool s64a;

struct disk {
    bool usable;               /* started and identified */
    unsigned port;
    char name[12];             /* "sda", "sd1b" */
    char model[MODEL_LEN + 1];
    uint64_t sectors;
    uint32_t sector_size;
    struct drv_dma ctl;        /* its port's command list, received FIS, command table */
    struct drv_block_client client;   /* and its data buffer (libs/driver/block.c) */
};
static struct disk disks[MAX_DISKS];
static unsigned num_disks;

/* ---- registers ---- */

static uint32_t port_read(unsigned port, unsigned reg) { return mmio_read32(&hba, PORT_BASE(port) + reg); }
static void port_write(unsigned port, unsigned reg, uint32_t v) { mmio_write32(&hba, PORT_BASE(port) + reg, v); }

/* Polls until (reg & mask) == want or the deadline passes: yields first (the
 * device is usually quick), then sleeps in short steps. */
static bool wait_reg(uint64_t off, uint32_t mask, uint32_t want, uint64_t timeout_ns) {
    uint64_t deadline = sys_clock() + timeout_ns;
    for (unsigned i = 0;; i++) {
        if ((mmio_read32(&hba, off) & mask) == want)
            return true;
        if (sys_clock() >= deadline)
            return (mmio_read32(&hba, off) & mask) == want;
        if (i < 200)
            sys_yield();
        else
            sleep_ns(50000);
    }
}

static bool port_wait(unsigned port, unsigned reg, uint32_t mask, uint32_t want, uint64_t timeout_ns) {
    return wait_reg(PORT_BASE(port) + reg, mask, want, timeout_ns);
}

/* ---- the HBA ---- */

/* The BIOS may own the HBA (CAP2.BOH): ask for it and wait as AHCI 1.3
 * section 10.6.3 says. A BIOS that does not let go is logged; we go on. */
static void take_from_bios(void) {
    if (!(mmio_read32(&hba, HBA_CAP2) & CAP2_BOH))
        return;
    uint32_t bohc = mmio_read32(&hba, HBA_BOHC);
    if (!(bohc & BOHC_BOS))
        return;
    mmio_write32(&hba, HBA_BOHC, bohc | BOHC_OOS);
    if (!wait_reg(HBA_BOHC, BOHC_BOS, 0, BOH_TIMEOUT) && (mmio_read32(&hba, HBA_BOHC) & BOHC_BB))
        wait_reg(HBA_BOHC, BOHC_BOS, 0, BOH_BUSY_TIMEOUT);
    if (mmio_read32(&hba, HBA_BOHC) & BOHC_BOS)
        log_printf("ahci: the BIOS did not hand the controller over; using it anyway\n");
}

/* The command engine and FIS reception off (ST, then FRE), as the spec
 * orders; false if the HBA does not confirm in time. */
static bool port_stop(unsigned port) {
    uint32_t cmd = port_read(port, PX_CMD);
    if (cmd & PXCMD_ST)
        port_write(port, PX_CMD, cmd & ~PXCMD_ST);
    if (!port_wait(port, PX_CMD, PXCMD_CR, 0, ENGINE_TIMEOUT)) {
        log_printf("ahci: port %u: the command engine does not stop\n", port);
        return false;
    }
    cmd = port_read(port, PX_CMD);
    if (cmd & PXCMD_FRE)
        port_write(port, PX_CMD, cmd & ~PXCMD_FRE);
    if (!port_wait(port, PX_CMD, PXCMD_FR, 0, ENGINE_TIMEOUT)) {
        log_printf("ahci: port %u: FIS reception does not stop\n", port);
        return false;
    }
    return true;
}

/* Points the disk's port at its command list and FIS area, clears its
 * errors and starts it: FRE, then ST once the device is not busy. */
static int port_start(const struct disk *d) {
    unsigned port = d->port;
    if (!port_stop(port))
        return -E_IO;
    uint64_t clb = d->ctl.phys, fb = d->ctl.phys + CMDLIST_BYTES;
    port_write(port, PX_CLB, (uint32_t)clb);
    port_write(port, PX_CLBU, (uint32_t)(clb >> 32));
    port_write(port, PX_FB, (uint32_t)fb);
    port_write(port, PX_FBU, (uint32_t)(fb >> 32));
    port_write(port, PX_SERR, 0xffffffffu);
    port_write(port, PX_IS, 0xffffffffu);
    port_write(port, PX_IE, 0);   /* polled */
    uint32_t cmd = port_read(port, PX_CMD);
    if (mmio_read32(&hba, HBA_CAP) & CAP_SSS)
        cmd |= PXCMD_SUD;
    port_write(port, PX_CMD, cmd | PXCMD_POD | PXCMD_FRE);
    if (!port_wait(port, PX_TFD, TFD_BSY | TFD_DRQ, 0, READY_TIMEOUT)) {
        log_printf("ahci: port %u: the device stays busy (status 0x%x)\n", port, port_read(port, PX_TFD) & 0xff);
        return -E_IO;
    }
    port_write(port, PX_CMD, port_read(port, PX_CMD) | PXCMD_ST);
    return 0;
}

/* ---- commands ---- */

/* Runs one ATA command on disk d in slot 0 with `bytes` of data at
 * physical address `data` (bytes 0: none). 0, or -E_IO (logged) on a
 * device error or timeout. */
static int run_command(struct disk *d, uint8_t command, uint64_t lba, uint16_t count, uint64_t data,
                       uint32_t bytes, bool write) {
    unsigned port = d->port;
    volatile struct ahci_cmd_header *hdr = d->ctl.virt;
    uint8_t *table = (uint8_t *)d->ctl.virt + 2048;
    uint64_t table_phys = d->ctl.phys + 2048;
    volatile struct ahci_prd *prd = (volatile struct ahci_prd *)(table + CMDTBL_PRDT);

    memset(table, 0, CMDTBL_PRDT + sizeof(struct ahci_prd));
    uint8_t *fis = table;
    fis[0] = FIS_TYPE_REG_H2D;
    fis[1] = FIS_H2D_COMMAND;
    fis[2] = command;
    fis[4] = (uint8_t)lba;
    fis[5] = (uint8_t)(lba >> 8);
    fis[6] = (uint8_t)(lba >> 16);
    fis[7] = ATA_DEVICE_LBA;
    fis[8] = (uint8_t)(lba >> 24);
    fis[9] = (uint8_t)(lba >> 32);
    fis[10] = (uint8_t)(lba >> 40);
    fis[12] = (uint8_t)count;
    fis[13] = (uint8_t)(count >> 8);
    if (bytes) {
        prd->dba = (uint32_t)data;
        prd->dbau = (uint32_t)(data >> 32);
        prd->dbc = bytes - 1;
    }
    hdr->flags = FIS_H2D_DWORDS | (write ? CMDH_WRITE : 0) | (bytes ? 1u << 16 : 0);
    hdr->prdbc = 0;
    hdr->ctba = (uint32_t)table_phys;
    hdr->ctbau = (uint32_t)(table_phys >> 32);
    drv_barrier();

    port_write(port, PX_IS, 0xffffffffu);
    port_write(port, PX_CI, 1);
    uint64_t deadline = sys_clock() + CMD_TIMEOUT;
    uint32_t is = 0;
    for (unsigned i = 0;; i++) {
        is = port_read(port, PX_IS);
        if (is & PXIS_ERRORS)
            break;
        if (!(port_read(port, PX_CI) & 1)) {
            drv_barrier();
            return 0;
        }
        if (sys_clock() >= deadline)
            break;
        if (i < 200)
            sys_yield();
        else
            sleep_ns(20000);
    }
    uint32_t tfd = port_read(port, PX_TFD);
    if (is & PXIS_ERRORS)
        log_printf("ahci: %s: command 0x%02x at sector %llu failed: status 0x%02x error 0x%02x (PxIS 0x%x, "
                   "PxSERR 0x%x)\n",
                   d->name, command, (unsigned long long)lba, tfd & 0xff, (tfd >> 8) & 0xff, is,
                   port_read(port, PX_SERR));
    else
        log_printf("ahci: %s: command 0x%02x at sector %llu unanswered after %llu ms (status 0x%02x)\n", d->name,
                   command, (unsigned long long)lba, (unsigned long long)(CMD_TIMEOUT / MS), tfd & 0xff);
    /* Restarting the engine clears PxCI and the error state (AHCI 1.3
     * section 6.2.2). */
    if (port_start(d) < 0)
        log_printf("ahci: %s: the port did not restart; later commands will fail\n", d->name);
    return -E_IO;
}

/* ---- IDENTIFY DEVICE ---- */

/* The model string: two characters per word, the first in the high byte;
 * trailing blanks dropped. */
static void identify_model(const uint16_t *id, char *out) {
    for (unsigned i = 0; i < ID_MODEL_WORDS; i++) {
        out[2 * i] = (char)(id[ID_MODEL + i] >> 8);
        out[2 * i + 1] = (char)id[ID_MODEL + i];
    }
    unsigned n = MODEL_LEN;
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == 0))
        n--;
    out[n] = 0;
    for (unsigned i = 0; i < n; i++)
        if (out[i] < 0x20 || out[i] > 0x7e)
            out[i] = '?';
}

/* Fills d's model and geometry, reading into `scratch`; -E_IO if the disk
 * lacks 48-bit addresses (READ DMA EXT needs them) or reports an unusable
 * sector size. */
static int identify(struct disk *d, const struct drv_dma *scratch) {
    int err = run_command(d, ATA_IDENTIFY_DEVICE, 0, 0, scratch->phys, 512, false);
    if (err)
        return err;
    uint16_t id[256];
    memcpy(id, scratch->virt, sizeof(id));
    identify_model(id, d->model);
    if (!(id[ID_CMDSET2] & (1u << 10))) {
        log_printf("ahci: %s (%s): no 48-bit addresses; not supported\n", d->name, d->model);
        return -E_IO;
    }
    d->sectors = (uint64_t)id[ID_LBA48_SECTORS] | (uint64_t)id[ID_LBA48_SECTORS + 1] << 16 |
                   (uint64_t)id[ID_LBA48_SECTORS + 2] << 32 | (uint64_t)id[ID_LBA48_SECTORS + 3] << 48;
    d->sector_size = 512;
    uint16_t ss = id[ID_SECTOR_SIZE];
    if ((ss & 0xc000) == 0x4000 && (ss & (1u << 12))) {
        uint32_t words = (uint32_t)id[ID_LOGICAL_WORDS] | (uint32_t)id[ID_LOGICAL_WORDS + 1] << 16;
        d->sector_size = words * 2;
    }
    if (d->sector_size != 512 && d->sector_size != 4096) {
        log_printf("ahci: %s (%s): sector size %u not supported\n", d->name, d->model, d->sector_size);
        return -E_IO;
    }
    return 0;
}

/* ---- the block interface ---- */

/* The disk a request is for: its badge (d's is index + 1), or NULL (the
 * "ahciN" service of a controller without disks). */
static struct disk *disk_of(uint64_t badge) {
    if (badge < 1 || badge > num_disks || !disks[badge - 1].usable)
        return NULL;
    return &disks[badge - 1];
}

static int check_client(struct disk *d, const struct ipc_msg *req) {
    return d ? drv_block_check(&d->client, req) : -E_NOENT;
}

/* -E_RANGE past the disk's end or the buffer's. */
static int check_range(const struct disk *d, uint64_t sector, uint32_t count) {
    if ((uint64_t)count * d->sector_size > d->client.buf.size || sector > d->sectors || count > d->sectors - sector)
        return -E_RANGE;
    return 0;
}

static int on_info(void *ctx, const struct ipc_msg *req, uint32_t *sector_size, uint64_t *sectors,
                   bool *read_only, char *model) {
    struct disk *d = ctx;
    if (!d)
        return -E_NOENT;
    *sector_size = d->sector_size;
    *sectors = d->sectors;
    *read_only = false;
    memcpy(model, d->model, strlen(d->model) + 1);
    return 0;
}

static int on_open(void *ctx, const struct ipc_msg *req, handle_t task, handle_t *buffer, uint32_t *buffer_size) {
    struct disk *d = ctx;
    if (!d) {
        if (task != HANDLE_NONE)
            sys_handle_close(task);
        return -E_NOENT;
    }
    return drv_block_open(&d->client, req, task, BUF_SIZE, buffer, buffer_size);
}

static int transfer(struct disk *d, const struct ipc_msg *req, uint8_t command, uint64_t sector, uint32_t count,
                    bool write) {
    int err = check_client(d, req);
    if (!err)
        err = check_range(d, sector, count);
    if (err || count == 0)
        return err;
    return run_command(d, command, sector, (uint16_t)count, d->client.buf.phys, count * d->sector_size, write);
}

static int on_read(void *ctx, const struct ipc_msg *req, uint64_t sector, uint32_t count) {
    return transfer(ctx, req, ATA_READ_DMA_EXT, sector, count, false);
}

static int on_write(void *ctx, const struct ipc_msg *req, uint64_t sector, uint32_t count) {
    return transfer(ctx, req, ATA_WRITE_DMA_EXT, sector, count, true);
}

static int on_flush(void *ctx, const struct ipc_msg *req) {
    struct disk *d = ctx;
    int err = check_client(d, req);
    return err ? err : run_command(d, ATA_FLUSH_CACHE_EXT, 0, 0, 0, 0, false);
}

static int on_close(void *ctx, const struct ipc_msg *req) {
    struct disk *d = ctx;
    return d ? drv_block_close_by(&d->client, req) : -E_NOENT;
}

static const struct block_server block_srv = {
    .info = on_info, .open = on_open, .read = on_read, .write = on_write, .flush = on_flush, .close = on_close,
};

static int dispatch(struct ipc_msg *m) { return block_dispatch(&block_srv, disk_of(m->badge), m); }

/* ---- start-up ---- */

/* Finds the ports with an ATA disk and names them (see the top). */
static void scan_ports(long instance) {
    uint32_t pi = mmio_read32(&hba, HBA_PI);
    unsigned letters = 0;
    for (unsigned p = 0; p < 32; p++) {
        if (!(pi & (1u << p)))
            continue;
        uint32_t ssts = port_read(p, PX_SSTS);
        if (SSTS_DET(ssts) != 3 || SSTS_IPM(ssts) != 1)
            continue;   /* nothing attached, or the link is asleep */
        uint32_t sig = port_read(p, PX_SIG);
        if (sig == SIG_ATAPI) {
            log_printf("ahci: port %u: ATAPI drive, not driven\n", p);
            continue;
        }
        if (sig != SIG_ATA) {
            log_printf("ahci: port %u: unknown device (signature 0x%08x), not driven\n", p, sig);
            continue;
        }
        if (num_disks == MAX_DISKS) {
            log_printf("ahci: port %u: a disk beyond the %d this driver serves per controller; not driven\n", p,
                       MAX_DISKS);
            continue;
        }
        struct disk *d = &disks[num_disks++];
        d->port = p;
        char letter = (char)('a' + letters++);
        if (instance == 0)
            fmt_snprintf(d->name, sizeof(d->name), "sd%c", letter);
        else
            fmt_snprintf(d->name, sizeof(d->name), "sd%ld%c", instance, letter);
        d->client = (struct drv_block_client)DRV_BLOCK_CLIENT_INIT(d->name);
        if (!s64a)
            d->client.dma_limit = 1ull << 32;   /* clients' buffers too */
        d->ctl.mem = HANDLE_NONE;
    }
}

/* Memory for the disk's port, the port started, the disk identified and
 * its sector 0 read (which proves the data path before anyone relies on
 * it). -E_* (logged by the caller) if the disk cannot be used. */
static int start_disk(struct disk *d, const struct drv_dma *scratch) {
    int err = drv_dma_alloc(4096, &d->ctl);
    if (!err && !s64a && d->ctl.phys + d->ctl.size > (1ull << 32)) {
        log_printf("ahci: DMA memory above 4 GiB and the controller has 32-bit addresses only\n");
        err = -E_NOMEM;
    }
    if (!err)
        err = port_start(d);
    if (!err)
        err = identify(d, scratch);
    if (err)
        return err;
    log_printf("ahci: %s: \"%s\", %llu sectors of %u bytes (%llu MiB), port %u\n", d->name, d->model,
               (unsigned long long)d->sectors, d->sector_size,
               (unsigned long long)(d->sectors * d->sector_size >> 20), d->port);
    if (d->sectors && run_command(d, ATA_READ_DMA_EXT, 0, 1, scratch->phys, d->sector_size, false) == 0) {
        const uint8_t *s0 = scratch->virt;
        log_printf("ahci: %s: sector 0 read%s\n", d->name,
                   s0[510] == 0x55 && s0[511] == 0xaa ? " (boot signature)" : "");
    }
    return 0;
}

int main(int argc, char **argv) {
    long instance = startup_option_int("instance", 0);
    if (instance < 0)
        instance = 0;
    int err = drv_open(&dev);
    if (err) {
        log_printf("ahci: no device from dm: %s\n", err_str(err));
        return 1;
    }
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("ahci: cannot create an endpoint\n");
        return 1;
    }
    ep = (handle_t)e;
    err = drv_map_bar(&dev, AHCI_BAR, false, &hba);
    if (!err)
        err = drv_pci_enable(&dev);
    if (err) {
        log_printf("ahci: cannot map or enable the controller: %s\n", err_str(err));
        return 1;
    }
    take_from_bios();
    mmio_write32(&hba, HBA_GHC, (mmio_read32(&hba, HBA_GHC) | GHC_AE) & ~GHC_IE);
    s64a = mmio_read32(&hba, HBA_CAP) & CAP_S64A;

    scan_ports(instance);
    struct drv_dma scratch = {.mem = HANDLE_NONE};   /* IDENTIFY and the first reads, then freed */
    if (num_disks) {
        err = drv_dma_alloc(4096, &scratch);   /* a sector is 4 KiB at most */
        if (!err && !s64a && scratch.phys + scratch.size > (1ull << 32))
            err = -E_NOMEM;
        if (err) {
            log_printf("ahci: no memory for IDENTIFY: %s\n", err_str(err));
            return 1;
        }
    }
    unsigned usable = 0;
    for (unsigned i = 0; i < num_disks; i++) {
        struct disk *d = &disks[i];
        err = start_disk(d, &scratch);
        if (err) {
            log_printf("ahci: %s on port %u is unusable: %s\n", d->name, d->port, err_str(err));
            /* Its memory is freed only once the port no longer uses it. */
            if (port_stop(d->port))
                drv_dma_free(&d->ctl);
            continue;
        }
        d->usable = true;
        usable++;
    }
    drv_dma_free(&scratch);

    /* One name per usable disk; dm counts us ready at the first. */
    unsigned offered = 0;
    for (unsigned i = 0; i < num_disks; i++) {
        if (!disks[i].usable)
            continue;
        err = drv_ready_badged(&dev, disks[i].name, ep, i + 1);
        if (err)
            log_printf("ahci: dm did not take %s: %s\n", disks[i].name, err_str(err));
        else
            offered++;
    }
    if (!usable) {
        char name[12];
        log_printf("ahci: no disks\n");
        fmt_snprintf(name, sizeof(name), "ahci%ld", instance);
        err = drv_ready_badged(&dev, name, ep, NO_DISK_BADGE);
        if (err)
            log_printf("ahci: ready failed: %s\n", err_str(err));
        else
            offered++;
    }
    if (!offered)
        return 1;
    drv_serve(ep, dispatch);
}
