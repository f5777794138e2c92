/* Timer objects. Armed timers sit on one list in deadline order; the timer
 * interrupt fires those that are due. */
#include "timer.h"
#include "endpoint.h"
#include "kernel.h"
#include "kmalloc.h"
#include "../arch/x64/arch.h"

static struct list armed = LIST_INIT(armed);

struct ktimer *timer_create(struct endpoint *ep, uint64_t bits) {
    struct ktimer *t = kmalloc(sizeof(*t));
    if (!t)
        return NULL;
    kobj_init(&t->obj, KOBJ_TIMER);
    kobj_ref(&ep->obj);
    t->ep = ep;
    t->bits = bits;
    list_init(&t->node);
    return t;
}

static void disarm(struct ktimer *t) {
    if (t->deadline) {
        list_remove(&t->node);
        t->deadline = 0;
    }
}

static void arm(struct ktimer *t, uint64_t deadline) {
    t->deadline = deadline;
    struct list *pos = &armed;
    list_for_each(it, &armed) {
        if (container_of(it, struct ktimer, node)->deadline > deadline) {
            pos = it;
            break;
        }
    }
    list_push_back(pos, &t->node);
}

uint64_t timer_set(struct ktimer *t, uint64_t delay_ns, uint64_t interval_ns) {
    uint64_t now = arch_clock_ns();
    uint64_t left = t->deadline > now ? t->deadline - now : 0;
    disarm(t);
    t->interval = interval_ns;
    if (delay_ns)
        arm(t, now + delay_ns < now ? UINT64_MAX : now + delay_ns);
    return left;
}

void timer_get(struct ktimer *t, struct timer_info *info) {
    uint64_t now = arch_clock_ns();
    info->left_ns = t->deadline > now ? t->deadline - now : (t->deadline ? 1 : 0);
    info->interval_ns = t->interval;
    info->fired = t->fired;
}

void timer_destroy(struct ktimer *t) {
    disarm(t);
    kobj_unref(&t->ep->obj);
    kfree(t);
}

void timers_expire(uint64_t now) {
    while (!list_empty(&armed)) {
        struct ktimer *t = container_of(armed.next, struct ktimer, node);
        if (t->deadline > now)
            break;
        uint64_t deadline = t->deadline;
        disarm(t);
        t->fired++;
        if (t->interval) {
            /* Periodic: the next one on the original grid, skipping missed ones. */
            uint64_t next = deadline + t->interval;
            if (next <= now)
                next = now + t->interval - (now - deadline) % t->interval;
            arm(t, next);
        }
        endpoint_notify(t->ep, t->bits);
    }
}

uint64_t timers_next_deadline(void) {
    if (list_empty(&armed))
        return UINT64_MAX;
    return container_of(armed.next, struct ktimer, node)->deadline;
}
