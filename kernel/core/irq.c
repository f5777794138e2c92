/*
 * Device interrupts as notifications: a driver holding an IRQ handle binds it
 * to an endpoint and a bit; when it fires the kernel notifies the endpoint and
 * masks a level-triggered line (it would otherwise fire forever) until the
 * driver acknowledges, after servicing the device. Edge-triggered lines stay
 * unmasked: an edge arriving while masked would be lost.
 */
#include "irq.h"
#include "endpoint.h"
#include "kernel.h"
#include "kmalloc.h"
#include "../arch/x64/arch.h"

#define MAX_LINES 256
static struct irq *irq_lines[MAX_LINES];

unsigned arch_gsi_to_line(unsigned gsi);

struct irq *irq_create(unsigned line, int *err) {
    if (line >= MAX_LINES || !arch_irq_valid(line)) {
        *err = -E_INVAL;
        return NULL;
    }
    if (irq_lines[line]) {
        *err = -E_BUSY;   /* one owner per line */
        return NULL;
    }
    struct irq *irq = kmalloc(sizeof(*irq));
    if (!irq) {
        *err = -E_NOMEM;
        return NULL;
    }
    kobj_init(&irq->obj, KOBJ_IRQ);
    irq->line = line;
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
    arch_irq_unmask(irq->line);
    return 0;
}

int irq_ack(struct irq *irq) {
    if (!irq->ep)
        return -E_INVAL;
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

void irq_destroy(struct irq *irq) {
    arch_irq_mask(irq->line);
    irq_lines[irq->line] = NULL;
    if (irq->ep)
        kobj_unref(&irq->ep->obj);
    kfree(irq);
}
