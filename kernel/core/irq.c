/*
 * Device interrupts as notifications: a driver holding an IRQ handle binds it
 * to an endpoint and a bit; when it fires the kernel notifies the endpoint and
 * masks a level-triggered line (it would otherwise fire forever) until the
 * driver acknowledges, after servicing the device. Edge-triggered lines stay
 * unmasked: an edge arriving while masked would be lost. Message-signalled
 * interrupts (IRQ_MSI) get a vector each and are edges too.
 */
#include "irq.h"
#include "endpoint.h"
#include "kernel.h"
#include "kmalloc.h"
#include "../arch/x64/arch.h"

#define MAX_LINES 256
static struct irq *irq_lines[MAX_LINES];
static struct irq *msi_irqs[NUM_MSI];

static bool is_msi(const struct irq *irq) { return irq->line >= IRQ_MSI; }

unsigned arch_gsi_to_line(unsigned gsi);

static struct irq *irq_alloc(unsigned line, int *err) {
    struct irq *irq = kmalloc(sizeof(*irq));
    if (!irq) {
        *err = -E_NOMEM;
        return NULL;
    }
    kobj_init(&irq->obj, KOBJ_IRQ);
    irq->line = line;
    return irq;
}

struct irq *irq_create(unsigned line, int *err) {
    if (line == IRQ_MSI) {
        for (unsigned i = 0; i < NUM_MSI; i++) {
            if (!msi_irqs[i]) {
                struct irq *irq = irq_alloc(IRQ_MSI + i, err);
                if (irq)
                    msi_irqs[i] = irq;
                return irq;
            }
        }
        *err = -E_NOMEM;   /* every MSI vector is taken */
        return NULL;
    }
    if (line >= MAX_LINES || !arch_irq_valid(line)) {
        *err = -E_INVAL;
        return NULL;
    }
    if (irq_lines[line]) {
        *err = -E_BUSY;   /* one owner per line */
        return NULL;
    }
    struct irq *irq = irq_alloc(line, err);
    if (irq)
        irq_lines[line] = irq;
    return irq;
}

int irq_bind(struct irq *irq, struct endpoint *ep, uint64_t bits) {
    if (!bits)
        return -E_INVAL;
    if (irq->ep)
        kobj_unref(&irq->ep->obj);
    kobj_ref(&ep->obj);
    irq->ep = ep;
    irq->bits = bits;
    if (!is_msi(irq))
        arch_irq_unmask(irq->line);
    return 0;
}

int irq_ack(struct irq *irq) {
    if (!irq->ep)
        return -E_INVAL;
    if (!is_msi(irq))
        arch_irq_unmask(irq->line);
    return 0;
}

void irq_raise(unsigned gsi) {
    unsigned line = arch_gsi_to_line(gsi);
    struct irq *irq = line < MAX_LINES ? irq_lines[line] : NULL;
    if (!irq || !irq->ep || arch_irq_level(line))
        arch_irq_mask(line);   /* until the driver has serviced the device (irq_ack) */
    if (irq && irq->ep)
        endpoint_notify(irq->ep, irq->bits);
}

void irq_raise_msi(unsigned index) {
    struct irq *irq = index < NUM_MSI ? msi_irqs[index] : NULL;
    if (irq && irq->ep)
        endpoint_notify(irq->ep, irq->bits);
}

int irq_msi_message(const struct irq *irq, uint64_t *addr, uint32_t *data) {
    if (!is_msi(irq))
        return -E_INVAL;
    arch_msi_message(irq->line - IRQ_MSI, addr, data);
    return 0;
}

void irq_destroy(struct irq *irq) {
    if (is_msi(irq)) {
        msi_irqs[irq->line - IRQ_MSI] = NULL;   /* a device still writing it is ignored */
    } else {
        arch_irq_mask(irq->line);
        irq_lines[irq->line] = NULL;
    }
    if (irq->ep)
        kobj_unref(&irq->ep->obj);
    kfree(irq);
}
