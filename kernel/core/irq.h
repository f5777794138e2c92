#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include "kobj.h"

struct endpoint;

struct irq {
    struct kobj obj;
    unsigned line;
    struct endpoint *ep;   /* notified with `bits` when the line fires */
    uint64_t bits;
};

void irq_raise(unsigned gsi);   /* from the interrupt handler */
void irq_raise_msi(unsigned index);
/* The device must write *data to *addr (MSI IRQs only; -E_INVAL otherwise). */
int irq_msi_message(const struct irq *irq, uint64_t *addr, uint32_t *data);
void irq_destroy(struct irq *irq);

#endif
