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
void irq_destroy(struct irq *irq);

#endif
