/* The scheduling policy (see policy.h); pure functions over struct policy. */
#include "policy.h"

/* Bands do not overlap, so a demoted task of a class never sinks below a
 * task of a lower class. Interactive tasks get short quanta (they are asked
 * about often, and a hog among them is found quickly); priority 0 is kept
 * free, 1 is the sched server's own, 30 and 31 are left to tasks that asked
 * for them and to the kernel's default for unscheduled tasks. */
static const struct policy_band bands[] = {
    [SCHED_CLASS_NORMAL] = {14, 29, 40},
    [SCHED_CLASS_INTERACTIVE] = {8, 13, 20},
    [SCHED_CLASS_SYSTEM] = {2, 7, 50},
};

bool policy_class_valid(uint32_t class) {
    return class <= SCHED_CLASS_SYSTEM;
}

const struct policy_band *policy_band(uint32_t class) {
    return &bands[policy_class_valid(class) ? class : SCHED_CLASS_NORMAL];
}

/* The lowest priority the task may be demoted to. */
static int floor_of(const struct policy *p) {
    int bottom = policy_band(p->class)->bottom;
    return p->base > bottom ? p->base : bottom;
}

void policy_init(struct policy *p, uint32_t class, uint64_t now_ns, uint64_t cpu_ns, uint64_t exhaustions) {
    p->class = policy_class_valid(class) ? class : SCHED_CLASS_NORMAL;
    p->base = policy_band(p->class)->top;
    p->level = 0;
    p->last_event_ns = now_ns;
    p->last_cpu_ns = cpu_ns;
    p->seen_exhaustions = exhaustions;
}

int policy_priority(const struct policy *p) {
    int prio = p->base + p->level;
    int lowest = floor_of(p);
    return prio > lowest ? lowest : prio;
}

int policy_quantum_ms(const struct policy *p) {
    return policy_band(p->class)->quantum_ms;
}

void policy_exhausted(struct policy *p, uint64_t now_ns, uint64_t cpu_ns) {
    uint64_t wall = now_ns > p->last_event_ns ? now_ns - p->last_event_ns : 0;
    uint64_t ran = cpu_ns > p->last_cpu_ns ? cpu_ns - p->last_cpu_ns : 0;
    p->last_event_ns = now_ns;
    p->last_cpu_ns = cpu_ns;
    if (ran * POLICY_LIGHT_SHARE < wall) {
        /* Short bursts that added up to a quantum: a well-behaved task. */
        if (p->level > 0)
            p->level--;
        return;
    }
    if (p->base + p->level < floor_of(p))
        p->level++;
}

bool policy_balance(struct policy *p, uint64_t exhaustions) {
    bool idle = exhaustions == p->seen_exhaustions;
    p->seen_exhaustions = exhaustions;
    if (!idle || p->level == 0)
        return false;
    int before = policy_priority(p);
    p->level--;
    return policy_priority(p) != before;
}

int policy_request(struct policy *p, int priority) {
    if (priority < 0 || priority > SCHED_PRIO_LOWEST)
        return -E_INVAL;
    int top = policy_band(p->class)->top;
    p->base = priority < top ? top : priority;
    /* Keep the level within the (possibly narrower) room below the new base. */
    if (p->base + p->level > floor_of(p))
        p->level = floor_of(p) - p->base;
    return p->base;
}

bool policy_may_set_class(uint32_t caller_class, bool self, uint32_t new_class) {
    if (!policy_class_valid(caller_class) || !policy_class_valid(new_class))
        return false;
    if (caller_class == SCHED_CLASS_SYSTEM)
        return true;
    return self && new_class <= caller_class;
}

void policy_set_class(struct policy *p, uint32_t class) {
    p->class = policy_class_valid(class) ? class : SCHED_CLASS_NORMAL;
    p->base = policy_band(p->class)->top;
    p->level = 0;
}
