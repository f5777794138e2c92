/* Timers: one-shot or periodic notifications to an endpoint. */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>
#include <tessera/abi.h>
#include "kobj.h"
#include "list.h"

struct endpoint;

struct ktimer {
    struct kobj obj;
    struct endpoint *ep;    /* notified with bits when it fires */
    uint64_t bits;
    uint64_t deadline;      /* 0 = disarmed */
    uint64_t interval;      /* 0 = one-shot */
    uint64_t fired;
    struct list node;       /* on the armed list while armed */
};

struct ktimer *timer_create(struct endpoint *ep, uint64_t bits);
/* Arms (delay 0 disarms); returns the ns that were left on the old setting. */
uint64_t timer_set(struct ktimer *t, uint64_t delay_ns, uint64_t interval_ns);
void timer_get(struct ktimer *t, struct timer_info *info);
void timer_destroy(struct ktimer *t);
void timers_expire(uint64_t now);
/* The earliest armed deadline, or UINT64_MAX. */
uint64_t timers_next_deadline(void);

#endif
