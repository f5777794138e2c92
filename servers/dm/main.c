/*
 * dm: the device manager. It owns PCI configuration space (ports
 * 0xCF8/0xCFC) and the root resource's power to hand out device memory,
 * I/O ports and interrupts. It enumerates PCI (bus 0 and the buses behind
 * PCI-PCI bridges), adds the legacy ISA devices (i8042, CMOS clock; their
 * ports and lines in drivers.c) and the boot framebuffer, sizes the BARs, matches devices against the driver table
 * (drivers.c) and starts each driver through init with a send handle to the
 * `device` interface for that one device (libs/driver/device.idl), badged
 * with the device index and the driver instance. Drivers never see the
 * system handle.
 *
 * It reports ready to init once the drivers it started at boot are ready or
 * given up on (at most BOOT_WAIT_NS), so TESSERA READY means the displays,
 * input and the clock are up. Afterwards it restarts drivers that end (back-off 100 ms,
 * doubling; it gives up after 5 restarts within 30 s), pings each running
 * driver every 2 s and kills one that does not answer within 2 s, and serves
 * `dm` (libs/driver/dm.idl): lookup of the services drivers registered, up
 * to DM_NAMES_MAX names per driver (ahci offers one per disk; names.c).
 *
 * Everything runs in one loop on one endpoint: device requests (badge with
 * DEV_BADGE), dm requests (badged by init with the client's task id) and
 * notifications (bit i: device i's driver ended).
 */
#include <common/format.h>
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/device.h"
#include "idl/dm.h"
#include "idl/init.h"
#include "dm.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define MAX_DEVICES 64               /* one notification bit each */
#define BOOT_WAIT_NS (5 * SEC)       /* for the boot drivers, before init_ready */
#define START_TIMEOUT_NS (20 * SEC)  /* a driver not ready by then is killed */
#define PING_INTERVAL_NS (2 * SEC)
#define PING_TIMEOUT_NS (2 * SEC)
#define MAX_IRQS 8                   /* MSI vectors per driver instance */
#define DEV_BADGE (1ull << 63)       /* | gen << 16 | index */
#define NAMES_GRACE_NS (1 * SEC)     /* a restarted driver's time to offer its old names again */

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

enum { ST_NONE = 0, ST_STARTING = 1, ST_RUNNING = 2, ST_GAVE_UP = 3 };   /* dm.device's state */

struct dev {
    bool pci;
    uint8_t bus, slot, func, header;
    uint16_t vendor, device;   /* legacy: vendor 0, device ISA_* */
    uint32_t class_code;
    struct pci_bar bars[PCI_BARS];
    struct fb_info fb;         /* ISA_BOOT_FB */
    const struct isa_device *isa;   /* the other legacy devices: their ports and lines */
    char loc[16];              /* "00:02.0", for the log */

    const struct driver_entry *drv;
    int state;                 /* ST_* */
    uint16_t gen;              /* driver instance, in the badge */
    handle_t task;
    uint64_t started, restart_at;
    uint64_t ready_at;         /* when this instance first reported ready */
    bool settled;              /* was ready once, or given up on */
    bool was_ready;            /* this instance reported ready */
    bool kill_sent;
    struct dm_names names;     /* the services it offers, by name */
    struct restart_state rs;
    unsigned restarts, irqs;
    uint64_t activity;         /* requests from it, to tell a busy driver from a hung one */
};

static handle_t system_h = HANDLE_NONE, cfg_io = HANDLE_NONE, ep;
static struct dev devs[MAX_DEVICES];
static int num_devs;
static bool test_mode, reported;
static bool too_many;

/* ---- PCI configuration space ---- */

static uint32_t cfg_read(const struct dev *d, unsigned off, unsigned width) {
    uint32_t addr = 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 | (uint32_t)d->func << 8 |
                    (off & 0xfc);
    sys_ioport_out(cfg_io, PCI_ADDR, 4, addr);
    long v = sys_ioport_in(cfg_io, PCI_DATA + (off & 3), width);
    return v < 0 ? 0xffffffffu : (uint32_t)v;
}

static void cfg_write(const struct dev *d, unsigned off, unsigned width, uint32_t value) {
    uint32_t addr = 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 | (uint32_t)d->func << 8 |
                    (off & 0xfc);
    sys_ioport_out(cfg_io, PCI_ADDR, 4, addr);
    sys_ioport_out(cfg_io, PCI_DATA + (off & 3), width, value);
}

static void size_bars(struct dev *d, unsigned nbars) {
    if ((d->class_code >> 8) == 0x0600)
        return;   /* a host bridge: never switch its decoding off */
    uint16_t cmd = (uint16_t)cfg_read(d, PCI_CFG_COMMAND, 2);
    cfg_write(d, PCI_CFG_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    for (unsigned i = 0; i < nbars; i++) {
        unsigned off = 0x10 + 4 * i;
        uint32_t orig = cfg_read(d, off, 4), orig_hi = 0, mask_hi = 0;
        cfg_write(d, off, 4, 0xffffffffu);
        uint32_t mask = cfg_read(d, off, 4);
        cfg_write(d, off, 4, orig);
        bool is64 = pci_bar_is64(orig);
        if (is64 && i + 1 < nbars) {
            orig_hi = cfg_read(d, off + 4, 4);
            cfg_write(d, off + 4, 4, 0xffffffffu);
            mask_hi = cfg_read(d, off + 4, 4);
            cfg_write(d, off + 4, 4, orig_hi);
        }
        pci_bar_decode(orig, mask, orig_hi, mask_hi, &d->bars[i]);
        if (is64 && i + 1 >= nbars && d->bars[i].state == BAR_OK) {
            d->bars[i].state = BAR_BAD;
            d->bars[i].why = "64-bit BAR in the last slot";
        }
        if (is64)
            i++;   /* the upper half is no BAR of its own */
    }
    cfg_write(d, PCI_CFG_COMMAND, 2, cmd);
}

static void log_device(const struct dev *d) {
    if (d->pci)
        log_printf("dm: %s %04x:%04x class %06x -> %s\n", d->loc, d->vendor, d->device, d->class_code,
                   d->drv ? d->drv->path : "no driver");
    for (unsigned i = 0; i < PCI_BARS; i++)
        if (d->bars[i].state == BAR_BAD)
            log_printf("dm: %s BAR %u is unusable (%s): base 0x%llx size 0x%llx\n", d->loc, i, d->bars[i].why,
                       (unsigned long long)d->bars[i].base, (unsigned long long)d->bars[i].size);
}

static struct dev *new_dev(void) {
    if (num_devs == MAX_DEVICES) {
        if (!too_many)
            log_printf("dm: more than %d devices; ignoring the rest\n", MAX_DEVICES);
        too_many = true;
        return NULL;
    }
    struct dev *d = &devs[num_devs++];
    memset(d, 0, sizeof(*d));
    d->task = HANDLE_NONE;
    return d;
}

static bool bus_seen[256];
static void scan_bus(unsigned bus);

static void scan_function(unsigned bus, unsigned slot, unsigned func) {
    struct dev probe = {.pci = true, .bus = (uint8_t)bus, .slot = (uint8_t)slot, .func = (uint8_t)func};
    uint32_t id = cfg_read(&probe, 0, 4);
    if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
        return;
    struct dev *d = new_dev();
    if (!d)
        return;
    *d = probe;
    d->task = HANDLE_NONE;
    d->vendor = (uint16_t)id;
    d->device = (uint16_t)(id >> 16);
    d->class_code = cfg_read(d, 0x08, 4) >> 8;
    d->header = (uint8_t)cfg_read(d, 0x0e, 1) & 0x7f;
    fmt_snprintf(d->loc, sizeof(d->loc), "%02x:%02x.%x", bus, slot, func);
    if (d->header == 0)
        size_bars(d, 6);
    else if (d->header == 1)
        size_bars(d, 2);
    d->drv = driver_match(dm_drivers, dm_num_drivers, d->vendor, d->device, test_mode);
    log_device(d);
    if (d->header == 1) {
        unsigned secondary = cfg_read(d, 0x19, 1);
        if (secondary == 0 || secondary <= bus)
            log_printf("dm: bridge %s has no usable secondary bus (%u); not scanned\n", d->loc, secondary);
        else
            scan_bus(secondary);
    }
}

static void scan_bus(unsigned bus) {
    if (bus > 255 || bus_seen[bus])
        return;
    bus_seen[bus] = true;
    for (unsigned slot = 0; slot < 32; slot++) {
        struct dev probe = {.pci = true, .bus = (uint8_t)bus, .slot = (uint8_t)slot};
        uint32_t id = cfg_read(&probe, 0, 4);
        if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
            continue;
        unsigned funcs = (cfg_read(&probe, 0x0e, 1) & 0x80) ? 8 : 1;
        for (unsigned func = 0; func < funcs; func++)
            scan_function(bus, slot, func);
    }
}

/* ---- drivers ---- */

static uint64_t badge_of(const struct dev *d) {
    return DEV_BADGE | (uint64_t)d->gen << 16 | (uint64_t)(d - devs);
}

static struct dev *dev_of_badge(uint64_t badge) {
    if (!(badge & DEV_BADGE))
        return NULL;
    unsigned i = badge & 0xffff;
    if (i >= (unsigned)num_devs)
        return NULL;
    struct dev *d = &devs[i];
    /* Only the running instance: a handle of an earlier one (passed on
     * before it ended) is worth nothing. */
    if (d->task == HANDLE_NONE || ((badge >> 16) & 0xffff) != d->gen)
        return NULL;
    return d;
}

static void driver_failed(struct dev *d, int status);

static void start_driver(struct dev *d) {
    d->gen++;
    d->irqs = 0;
    d->kill_sent = false;
    d->was_ready = false;
    d->started = sys_clock();
    long give = sys_handle_dup(ep, RIGHT_SEND | RIGHT_TRANSFER, badge_of(d));
    handle_t task = HANDLE_NONE;
    /* instance=N: the devices before this one with the same driver, in bus
     * order, so drivers can name theirs (vda, vdb; sda; nvme0). restarts=N:
     * how many times it was restarted (crash tests fault in the first run). */
    int instance = 0;
    for (struct dev *o = devs; o < d; o++)
        instance += o->drv && !strcmp(o->drv->path, d->drv->path);
    char args[96];
    fmt_snprintf(args, sizeof(args), "%s%sinstance=%d restarts=%u", d->drv->args, d->drv->args[0] ? " " : "",
                 instance, d->restarts);
    int err = give < 0 ? (int)give : init_spawn(startup.bootstrap, d->drv->path, args, (handle_t)give, &task);
    if (err == -E_NOENT) {
        log_printf("dm: cannot start %s for %s: it is not in the boot archive; no driver\n", d->drv->path, d->loc);
        d->state = ST_GAVE_UP;
        d->settled = true;
        return;
    }
    if (err) {
        log_printf("dm: cannot start %s for %s: %s\n", d->drv->path, d->loc, err_str(err));
        driver_failed(d, err);
        return;
    }
    d->task = task;
    d->state = ST_STARTING;
    long w = sys_task_watch(task, ep, 1ull << (d - devs));
    if (w < 0) {
        /* Already gone (or not watchable): treat it as ended now. */
        struct task_info info;
        int status = sys_task_info(task, &info) == 0 ? info.exit_status : (int)w;
        sys_handle_close(task);
        d->task = HANDLE_NONE;
        driver_failed(d, status);
    }
}

/* The driver instance is gone (or never started): restart it after a
 * back-off, or give up. */
static void driver_failed(struct dev *d, int status) {
    /* Its names stay, stale: lookups get -E_AGAIN until it offers them again. */
    handle_t services[DM_NAMES_MAX];
    unsigned n = names_end(&d->names, services);
    for (unsigned i = 0; i < n; i++)
        sys_handle_close(services[i]);
    if (d->pci) {
        /* Stop its DMA: the memory it gave the device is no longer its. */
        uint16_t cmd = (uint16_t)cfg_read(d, PCI_CFG_COMMAND, 2);
        if (cmd & PCI_CMD_BUS_MASTER)
            cfg_write(d, PCI_CFG_COMMAND, 2, cmd & ~PCI_CMD_BUS_MASTER);
    }
    uint64_t now = sys_clock();
    int64_t delay = restart_next(&d->rs, now, now - d->started, d->was_ready);
    if (delay < 0) {
        log_printf("dm: driver %s for %s ended (status %d) and keeps failing; giving up\n", d->drv->path, d->loc,
                   status);
        d->state = ST_GAVE_UP;
        d->settled = true;
        d->restart_at = 0;
        return;
    }
    log_printf("dm: driver %s for %s ended (status %d); restarting\n", d->drv->path, d->loc, status);
    d->state = ST_STARTING;
    d->restart_at = now + (uint64_t)delay;
}

static void driver_ended(struct dev *d) {
    struct task_info info;
    if (d->task == HANDLE_NONE || sys_task_info(d->task, &info) < 0 || info.state != TASK_STATE_DEAD)
        return;   /* a stale bit */
    sys_handle_close(d->task);
    d->task = HANDLE_NONE;
    driver_failed(d, info.exit_status);
}

static void kill_driver(struct dev *d, const char *why) {
    if (d->task == HANDLE_NONE || d->kill_sent)
        return;
    log_printf("dm: driver %s for %s %s; killing it\n", d->drv->path, d->loc, why);
    d->kill_sent = true;
    sys_task_kill(d->task);   /* its end arrives as a notification */
}

/* ---- the device interface (one device per badge) ---- */

static int on_info(void *ctx, const struct ipc_msg *req, uint32_t *vendor, uint32_t *device, uint32_t *class_code,
                   uint32_t *bus, uint32_t *slot, uint32_t *func) {
    struct dev *d = ctx;
    *vendor = d->vendor;
    *device = d->device;
    *class_code = d->class_code;
    *bus = d->bus;
    *slot = d->slot;
    *func = d->func;
    return 0;
}

static int on_config_read(void *ctx, const struct ipc_msg *req, uint32_t offset, uint32_t width, uint32_t *value) {
    struct dev *d = ctx;
    if (!d->pci)
        return -E_NOTSUP;
    int err = pci_config_check(offset, width);
    if (err)
        return err;
    *value = cfg_read(d, offset, width);
    return 0;
}

static int on_config_write(void *ctx, const struct ipc_msg *req, uint32_t offset, uint32_t width, uint32_t value) {
    struct dev *d = ctx;
    if (!d->pci)
        return -E_NOTSUP;
    int err = pci_config_write_check(d->header, offset, width);
    if (err)
        return err;
    cfg_write(d, offset, width, value);
    return 0;
}

static int on_resource(void *ctx, const struct ipc_msg *req, uint32_t index, bool wc, handle_t *res, bool *is_io,
                       uint64_t *base, uint64_t *size) {
    struct dev *d = ctx;
    long h;
    if (d->isa) {
        if (index >= d->isa->num_ports)
            return -E_NOENT;
        *base = d->isa->ports[index].base;
        *size = d->isa->ports[index].count;
        *is_io = true;
        h = sys_ioport_create(system_h, d->isa->ports[index].base, d->isa->ports[index].count);
    } else if (!d->pci) {
        if (d->device != ISA_BOOT_FB || index != 0)
            return -E_NOENT;
        *base = d->fb.phys;
        *size = (uint64_t)d->fb.pitch * d->fb.height;
        h = sys_mem_device(system_h, *base, *size, wc ? MEM_DEVICE_WC : 0);
    } else {
        if (index >= PCI_BARS || d->bars[index].state == BAR_ABSENT)
            return -E_NOENT;
        const struct pci_bar *b = &d->bars[index];
        if (b->state != BAR_OK)
            return -E_IO;
        *base = b->base;
        *size = b->size;
        *is_io = b->io;
        if (b->io)
            h = sys_ioport_create(system_h, (unsigned)b->base, (unsigned)b->size);
        else
            h = sys_mem_device(system_h, b->base, b->size, wc && b->prefetch ? MEM_DEVICE_WC : 0);
    }
    if (h < 0)
        return (int)h;
    *res = (handle_t)h;
    return 0;
}

static int on_irq(void *ctx, const struct ipc_msg *req, uint32_t index, handle_t *irq) {
    struct dev *d = ctx;
    if (d->isa) {
        /* Its own ISA lines only; the kernel allows one owner per line, so
         * a second request for the same one fails (-E_BUSY). */
        if (index >= d->isa->num_irqs)
            return -E_NOENT;
        long h = sys_irq_create(system_h, d->isa->irqs[index]);
        if (h < 0)
            return (int)h;
        *irq = (handle_t)h;
        return 0;
    }
    if (!d->pci)
        return -E_NOENT;   /* the boot framebuffer has none */
    if (d->irqs >= MAX_IRQS)
        return -E_NOSPC;
    long h = sys_irq_create(system_h, IRQ_MSI);
    if (h < 0)
        return (int)h;
    d->irqs++;
    *irq = (handle_t)h;
    return 0;
}

/* Once per name the driver offers; the same name again replaces its service. */
static int on_ready(void *ctx, const struct ipc_msg *req, const char *name, handle_t service) {
    struct dev *d = ctx;
    struct handle_info info;
    handle_t old;
    int err = -E_INVAL;
    const struct dm_name *had = names_find(&d->names, name);
    bool is_new = !had || had->service == HANDLE_NONE;
    if (service != HANDLE_NONE && sys_handle_info(service, &info) == 0 && info.type == KOBJ_ENDPOINT &&
        (info.rights & (RIGHT_SEND | RIGHT_DUP)) == (RIGHT_SEND | RIGHT_DUP))
        err = names_offer(&d->names, name, service, &old);
    if (err) {
        if (err == -E_NOSPC)
            log_printf("dm: driver %s for %s offers more than %d names; \"%s\" refused\n", d->drv->path, d->loc,
                       DM_NAMES_MAX, name);
        if (service != HANDLE_NONE)
            sys_handle_close(service);
        return err;
    }
    if (old != HANDLE_NONE)
        sys_handle_close(old);
    if (d->state != ST_RUNNING) {
        log_printf("dm: driver %s for %s is ready: \"%s\"\n", d->drv->path, d->loc, name);
        d->ready_at = sys_clock();
    } else if (is_new) {
        log_printf("dm: driver %s for %s also offers \"%s\"\n", d->drv->path, d->loc, name);
    }
    d->state = ST_RUNNING;
    d->settled = true;
    d->was_ready = true;
    return 0;
}

static const struct device_server device_srv = {
    .info = on_info, .config_read = on_config_read, .config_write = on_config_write,
    .resource = on_resource, .irq = on_irq, .ready = on_ready,
};

/* ---- the dm interface ---- */

static bool task_alive(handle_t task) {
    struct task_info info;
    return task != HANDLE_NONE && sys_task_info(task, &info) == 0 && info.state != TASK_STATE_DEAD;
}

static int on_lookup(void *ctx, const struct ipc_msg *req, const char *name, handle_t *service) {
    bool starting = false;
    uint64_t now = sys_clock();
    for (int i = 0; i < num_devs; i++) {
        struct dev *d = &devs[i];
        if (d->state == ST_STARTING && !d->settled && !reported)
            starting = true;   /* during boot: it may yet offer the name */
        const struct dm_name *e = names_find(&d->names, name);
        if (!e)
            continue;
        if (d->state == ST_RUNNING && e->service != HANDLE_NONE && task_alive(d->task)) {
            /* A copy for this client: badged with its task id unless the
             * driver badged the service itself (one badge per disk). */
            struct handle_info info;
            if (sys_handle_info(e->service, &info) < 0)
                return -E_IO;
            long h = sys_handle_dup(e->service, info.rights & (RIGHT_SEND | RIGHT_TRANSFER | RIGHT_DUP),
                                    info.badge ? info.badge : req->sender);
            if (h < 0)
                return (int)h;
            *service = (handle_t)h;
            return 0;
        }
        /* Being restarted, or (stale) not offered again yet by the new
         * instance: after NAMES_GRACE_NS it is gone. */
        if (d->state == ST_STARTING ||
            (d->state == ST_RUNNING && (e->service != HANDLE_NONE || now < d->ready_at + NAMES_GRACE_NS)))
            starting = true;
    }
    return starting ? -E_AGAIN : -E_NOENT;
}

static int on_device(void *ctx, const struct ipc_msg *req, uint32_t index, uint32_t *vendor, uint32_t *device,
                     uint32_t *class_code, uint32_t *location, char *driver, uint32_t *state, uint32_t *restarts) {
    if (index >= (uint32_t)num_devs)
        return -E_NOENT;
    const struct dev *d = &devs[index];
    *vendor = d->vendor;
    *device = d->device;
    *class_code = d->class_code;
    *location = d->pci ? (uint32_t)d->bus << 16 | (uint32_t)d->slot << 8 | d->func : 0xffff0000u | d->device;
    if (d->drv) {
        size_t n = strnlen(d->drv->path, DM_DEVICE_DRIVER_MAX - 1);
        memcpy(driver, d->drv->path, n);
        driver[n] = 0;
    }
    *state = (uint32_t)d->state;
    *restarts = d->restarts;
    return 0;
}

static int on_service(void *ctx, const struct ipc_msg *req, uint32_t index, uint32_t which, char *name) {
    if (index >= (uint32_t)num_devs)
        return -E_NOENT;
    const struct dm_name *e = names_live(&devs[index].names, which);
    if (!e)
        return -E_NOENT;
    memcpy(name, e->name, strlen(e->name) + 1);
    return 0;
}

static const struct dm_server dm_srv = {.lookup = on_lookup, .device = on_device, .service = on_service};

/* ---- the loop ---- */

static void handle_msg(struct ipc_msg *m) {
    if (m->flags & IPC_MSG_NOTIFY) {
        uint64_t bits;
        memcpy(&bits, m->data, sizeof(bits));
        for (int i = 0; i < num_devs; i++)
            if (bits & (1ull << i))
                driver_ended(&devs[i]);
        return;
    }
    int r;
    if (m->badge & DEV_BADGE) {
        struct dev *d = dev_of_badge(m->badge);
        if (!d) {
            r = idl_reject(m, -E_PERM);
        } else {
            d->activity++;
            r = device_dispatch(&device_srv, d, m);
            if (r == -E_NOSYS)
                r = dm_dispatch(&dm_srv, NULL, m);
        }
    } else {
        r = dm_dispatch(&dm_srv, NULL, m);
    }
    if (r == -E_NOSYS)
        r = idl_reject(m, -E_NOSYS);
    if (r == 1)
        ipc_reply(m);
}

/* What has queued up on our endpoint, without waiting. */
static void serve_pending(void) {
    for (int i = 0; i < 64; i++) {
        struct ipc_msg m;
        if (sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV | IPC_NONBLOCK, 0) < 0)
            return;
        handle_msg(&m);
    }
}

/* The service dm pings a driver on: its first live one (a driver answers
 * pings on every service it offers). */
static handle_t ping_service(const struct dev *d) {
    const struct dm_name *e = names_live(&d->names, 0);
    return d->state == ST_RUNNING && e && !d->kill_sent ? e->service : HANDLE_NONE;
}

/* Liveness: any answer will do (even an error: the driver's loop runs). */
static void ping_all(void) {
    for (int i = 0; i < num_devs; i++) {
        struct dev *d = &devs[i];
        handle_t service = ping_service(d);
        if (service == HANDLE_NONE || d->task == HANDLE_NONE)
            continue;
        uint64_t before = d->activity;
        struct ipc_msg m;
        driver__put_ping_req(&m);
        long r = sys_ipc(service, HANDLE_NONE, &m, IPC_CALL, PING_TIMEOUT_NS);
        if (r == 0) {
            idl_close_all(&m);
            continue;
        }
        /* It may have been calling us meanwhile (and so could not answer):
         * serve that first; then it is busy, not hung. */
        serve_pending();
        if (d->task == HANDLE_NONE || d->activity != before || !task_alive(d->task))
            continue;
        kill_driver(d, r == -E_TIMEDOUT ? "does not answer pings" : "closed its service endpoint");
    }
}

static bool any_pingable(void) {
    for (int i = 0; i < num_devs; i++)
        if (ping_service(&devs[i]) != HANDLE_NONE)
            return true;
    return false;
}

static void report_ready(void) {
    int drivers = 0, ready = 0;
    for (int i = 0; i < num_devs; i++) {
        struct dev *d = &devs[i];
        if (!d->drv)
            continue;
        drivers++;
        if (d->state == ST_RUNNING)
            ready++;
        else if (!d->settled)
            log_printf("dm: driver %s for %s is not ready after %llu s; going on without it\n", d->drv->path,
                       d->loc, (unsigned long long)(BOOT_WAIT_NS / SEC));
    }
    log_printf("dm: %d devices, %d of %d drivers ready\n", num_devs, ready, drivers);
    int err = service_ready(startup.bootstrap, ep);
    if (err < 0)
        log_printf("dm: ready failed: %s\n", err_str(err));
    reported = true;
}

static bool boot_drivers_settled(void) {
    for (int i = 0; i < num_devs; i++)
        if (devs[i].drv && !devs[i].settled)
            return false;
    return true;
}

/* The legacy devices every PC has (drivers.c: isa_devices). */
static void add_isa_devices(void) {
    for (size_t i = 0; i < isa_num_devices; i++) {
        struct dev *d = new_dev();
        if (!d)
            return;
        d->isa = &isa_devices[i];
        d->device = d->isa->id;
        d->class_code = d->isa->class_code;
        fmt_snprintf(d->loc, sizeof(d->loc), "%s", d->isa->name);
        d->drv = driver_match(dm_drivers, dm_num_drivers, 0, d->device, test_mode);
        log_printf("dm: isa %s -> %s\n", d->isa->name, d->drv ? d->drv->path : "no driver");
    }
}

/* The boot loader's framebuffer, when no PCI display driver runs. */
static void add_boot_fb(void) {
    struct fb_info fb;
    if (sys_fb_info(&fb) < 0)
        return;
    for (int i = 0; i < num_devs; i++) {
        struct dev *d = &devs[i];
        if (d->pci && (d->class_code >> 16) == 0x03 && d->drv && d->state != ST_GAVE_UP) {
            log_printf("dm: boot framebuffer %ux%u left alone: %s drives %s\n", fb.width, fb.height, d->drv->path,
                       d->loc);
            return;
        }
    }
    struct dev *d = new_dev();
    if (!d)
        return;
    d->fb = fb;
    d->device = ISA_BOOT_FB;
    d->class_code = 0x030000;
    fmt_snprintf(d->loc, sizeof(d->loc), "boot-fb");
    d->drv = driver_match(dm_drivers, dm_num_drivers, 0, ISA_BOOT_FB, test_mode);
    log_printf("dm: boot-fb %ux%u %u bpp at 0x%llx -> %s\n", fb.width, fb.height, fb.bpp,
               (unsigned long long)fb.phys, d->drv ? d->drv->path : "no driver");
    if (d->drv)
        start_driver(d);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "test_driver"))
            test_mode = true;
    system_h = startup.given;
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("dm: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    ep = (handle_t)e;
    if (test_mode)
        log_printf("dm: test drivers on\n");

    long io = sys_ioport_create(system_h, PCI_ADDR, 8);
    if (io < 0) {
        log_printf("dm: cannot have ports 0xcf8-0xcff (give=system in boot.conf?): %s; no PCI devices\n",
                   err_str(io));
    } else {
        cfg_io = (handle_t)io;
        scan_bus(0);
    }
    add_isa_devices();
    for (int i = 0; i < num_devs; i++)
        if (devs[i].drv)
            start_driver(&devs[i]);
    add_boot_fb();

    uint64_t boot_deadline = sys_clock() + BOOT_WAIT_NS;
    uint64_t next_ping = sys_clock() + PING_INTERVAL_NS;
    for (;;) {
        uint64_t now = sys_clock(), wake = UINT64_MAX;
        for (int i = 0; i < num_devs; i++) {
            struct dev *d = &devs[i];
            if (d->restart_at) {
                if (now >= d->restart_at) {
                    d->restart_at = 0;
                    d->restarts++;
                    start_driver(d);
                    now = sys_clock();
                } else if (d->restart_at < wake) {
                    wake = d->restart_at;
                }
            }
            if (d->state == ST_STARTING && d->task != HANDLE_NONE && !d->kill_sent) {
                if (now >= d->started + START_TIMEOUT_NS)
                    kill_driver(d, "did not report ready in time");
                else if (d->started + START_TIMEOUT_NS < wake)
                    wake = d->started + START_TIMEOUT_NS;
            }
        }
        if (!reported) {
            if (now >= boot_deadline || boot_drivers_settled())
                report_ready();
            else if (boot_deadline < wake)
                wake = boot_deadline;
        }
        if (any_pingable()) {
            if (now >= next_ping) {
                ping_all();
                next_ping = sys_clock() + PING_INTERVAL_NS;
            }
            if (next_ping < wake)
                wake = next_ping;
        } else {
            next_ping = now + PING_INTERVAL_NS;
        }
        now = sys_clock();
        uint64_t timeout = wake == UINT64_MAX ? 0 : wake > now ? wake - now : 1;
        struct ipc_msg m;
        if (sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV, timeout) == 0)
            handle_msg(&m);
    }
}
