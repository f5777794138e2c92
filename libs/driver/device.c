/* The driver SDK: the device handle from dm, registers, ports, interrupts
 * and waiting (see <driver/driver.h>). */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include "idl/device.h"

int drv_open(struct drv_device *dev) {
    memset(dev, 0, sizeof(*dev));
    dev->dm = startup.given;
    if (dev->dm == HANDLE_NONE)
        return -E_BADH;   /* not started by dm */
    return device_info(dev->dm, &dev->vendor, &dev->device, &dev->class_code, &dev->bus, &dev->slot, &dev->func);
}

int drv_ready_badged(struct drv_device *dev, const char *name, handle_t ep, uint64_t badge) {
    long offer = ep == HANDLE_NONE ? HANDLE_NONE : sys_handle_dup(ep, RIGHT_SEND | RIGHT_DUP | RIGHT_TRANSFER, badge);
    if (offer < 0)
        return (int)offer;
    return device_ready(dev->dm, name, (handle_t)offer);
}

int drv_ready(struct drv_device *dev, const char *name, handle_t ep) {
    return drv_ready_badged(dev, name, ep, 0);
}

void drv_serve(handle_t ep, int (*dispatch)(struct ipc_msg *m)) {
    struct ipc_msg m;
    long r = ipc_recv(ep, &m);
    for (;;) {
        int d = 0;
        if (r == 0 && !(m.flags & IPC_MSG_NOTIFY) && !drv_serve_ping(&m)) {
            d = dispatch(&m);
            if (d == -E_NOSYS)
                d = idl_reject(&m, -E_NOSYS);
        }
        r = d == 1 ? ipc_reply_recv(ep, &m) : ipc_recv(ep, &m);
    }
}

void drv_crash_on_purpose(const char *driver, unsigned long long count, const char *what) {
    log_printf("%s: crash test: faulting on purpose after %llu %s\n", driver, count, what);
    volatile uint32_t *volatile nowhere = NULL;
    *nowhere = 0;
    __builtin_unreachable();
}

bool drv_serve_ping(struct ipc_msg *m) {
    if ((m->flags & IPC_MSG_NOTIFY) || m->label != DRIVER_PING_LABEL)
        return false;
    /* Any ping that waits gets the empty reply (label 0). */
    idl_close_all(m);
    if (m->flags & IPC_MSG_CALL) {
        idl_error(m, 0);
        ipc_reply(m);
    }
    return true;
}

long drv_wait(handle_t ep, uint64_t timeout_ns, void (*other)(struct ipc_msg *m, void *ctx), void *ctx) {
    uint64_t deadline = timeout_ns ? sys_clock() + timeout_ns : 0;
    for (;;) {
        uint64_t left = 0;
        if (deadline) {
            uint64_t now = sys_clock();
            if (now >= deadline)
                return 0;
            left = deadline - now;
        }
        struct ipc_msg m;
        long r = sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV, left);
        if (r == -E_TIMEDOUT)
            return 0;
        if (r < 0)
            return r;
        if (m.flags & IPC_MSG_NOTIFY) {
            uint64_t bits;
            memcpy(&bits, m.data, sizeof(bits));
            if (bits)
                return (long)bits;
            continue;
        }
        if (drv_serve_ping(&m))
            continue;
        if (other) {
            other(&m, ctx);
        } else if (idl_reject(&m, -E_NOSYS)) {
            ipc_reply(&m);
        }
    }
}

/* ---- registers and ports ---- */

int drv_map_bar(struct drv_device *dev, unsigned index, bool wc, struct drv_mmio *out) {
    handle_t res = HANDLE_NONE;
    bool is_io = false;
    uint64_t base = 0, size = 0;
    memset(out, 0, sizeof(*out));
    out->mem = HANDLE_NONE;
    int err = device_resource(dev->dm, index, wc, &res, &is_io, &base, &size);
    if (err)
        return err;
    if (is_io) {
        sys_handle_close(res);
        return -E_INVAL;
    }
    struct handle_info info;
    if (sys_handle_info(res, &info) < 0 || info.size < (base & (PAGE_SIZE - 1)) + size) {
        sys_handle_close(res);
        return -E_IO;
    }
    uintptr_t va = vm_reserve(info.size);
    long r = sys_vm_map(HANDLE_SELF, res, 0, va, info.size, PROT_R | PROT_W);
    if (r < 0) {
        vm_release(va, info.size);
        sys_handle_close(res);
        return (int)r;
    }
    out->base = (volatile uint8_t *)(va + (base & (PAGE_SIZE - 1)));
    out->size = size;
    out->mem = res;
    return 0;
}

void drv_unmap(struct drv_mmio *m) {
    if (!m->base)
        return;
    struct handle_info info;
    uintptr_t va = (uintptr_t)m->base & ~(uintptr_t)(PAGE_SIZE - 1);
    if (sys_handle_info(m->mem, &info) == 0) {
        sys_vm_unmap(HANDLE_SELF, va, info.size);
        vm_release(va, info.size);
    }
    sys_handle_close(m->mem);
    m->base = NULL;
    m->size = 0;
    m->mem = HANDLE_NONE;
}

int drv_ports(struct drv_device *dev, unsigned index, struct drv_ports *out) {
    handle_t res = HANDLE_NONE;
    bool is_io = false;
    uint64_t base = 0, size = 0;
    memset(out, 0, sizeof(*out));
    out->io = HANDLE_NONE;
    int err = device_resource(dev->dm, index, false, &res, &is_io, &base, &size);
    if (err)
        return err;
    if (!is_io || base > 0xffff || size > 0x10000 - base) {
        sys_handle_close(res);
        return -E_INVAL;
    }
    out->io = res;
    out->base = (uint16_t)base;
    out->count = (uint16_t)size;
    return 0;
}

long drv_port_in(const struct drv_ports *p, unsigned off, unsigned width) {
    if ((width != 1 && width != 2 && width != 4) || off >= p->count || width > p->count - off)
        return -E_RANGE;
    return sys_ioport_in(p->io, p->base + off, width);
}

int drv_port_out(const struct drv_ports *p, unsigned off, unsigned width, uint32_t value) {
    if ((width != 1 && width != 2 && width != 4) || off >= p->count || width > p->count - off)
        return -E_RANGE;
    return (int)sys_ioport_out(p->io, p->base + off, width, value);
}

/* ---- interrupts ---- */

static int bind_irq(handle_t irq, handle_t ep, uint64_t bits, struct drv_irq *out) {
    struct handle_info info;
    long r = sys_irq_bind(irq, ep, bits);
    if (r == 0)
        r = sys_handle_info(irq, &info);
    if (r < 0) {
        sys_handle_close(irq);
        return (int)r;
    }
    out->irq = irq;
    out->msi_addr = info.msi_addr;
    out->msi_data = info.msi_data;
    return 0;
}

int drv_irq_msi(struct drv_device *dev, handle_t ep, uint64_t bits, struct drv_irq *out) {
    handle_t irq;
    memset(out, 0, sizeof(*out));
    out->irq = HANDLE_NONE;
    if (!dev->vendor)
        return -E_NOTSUP;   /* legacy devices have no MSI */
    int err = device_irq(dev->dm, 0, &irq);
    if (err)
        return err;
    err = bind_irq(irq, ep, bits, out);
    if (!err && !out->msi_addr) {
        sys_handle_close(out->irq);
        out->irq = HANDLE_NONE;
        return -E_IO;   /* dm handed us something that is not an MSI */
    }
    return err;
}

int drv_irq_legacy(struct drv_device *dev, unsigned index, handle_t ep, uint64_t bits, struct drv_irq *out) {
    handle_t irq;
    memset(out, 0, sizeof(*out));
    out->irq = HANDLE_NONE;
    if (dev->vendor)
        return -E_NOTSUP;   /* PCI devices get MSI vectors */
    int err = device_irq(dev->dm, index, &irq);
    return err ? err : bind_irq(irq, ep, bits, out);
}

int drv_irq_ack(const struct drv_irq *irq) {
    if (irq->msi_addr)
        return 0;   /* edge-triggered: nothing to unmask */
    return (int)sys_irq_ack(irq->irq);
}
