/*
 * The scheduling policy of the sched server: which priority and quantum a task
 * gets, and how that changes as it uses or leaves the CPU. No system calls
 * here, so the host tests run the same code (tests/host/test_sched.c).
 *
 * Priorities run from 0 (highest) to SCHED_PRIO_LOWEST. Each class has a band
 * [top, bottom] and a quantum. A task starts at its base priority (the top of
 * its band unless it asked for less); each quantum it uses up while busy
 * demotes it one step (its "level"), down to the bottom of the band; a task
 * that has not used up a quantum for a balance period climbs one step back.
 */
#ifndef SCHED_POLICY_H
#define SCHED_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <tessera/abi.h>
#include <tessera/sched.h>

#define POLICY_SELF_PRIORITY 1        /* the sched server itself: above everything it schedules */
#define POLICY_SELF_QUANTUM_MS 50
#define POLICY_BALANCE_MS 250         /* how often demoted tasks are reconsidered */
/* A task that used less than 1/POLICY_LIGHT_SHARE of a CPU between two quantum
 * events ran its quantum up in small bits: it is not a hog. */
#define POLICY_LIGHT_SHARE 8

struct policy_band {
    int top, bottom;   /* priorities; top <= bottom */
    int quantum_ms;
};

struct policy {
    uint32_t class;           /* SCHED_CLASS_* */
    int base;                 /* priority when not demoted */
    int level;                /* steps demoted */
    uint64_t last_event_ns;   /* clock at the previous quantum event (or when added) */
    uint64_t last_cpu_ns;     /* its CPU time then */
    uint64_t seen_exhaustions;   /* its exhaustion count at the previous balance */
};

bool policy_class_valid(uint32_t class);
const struct policy_band *policy_band(uint32_t class);

/* A new task of a valid class, added at now_ns having run cpu_ns so far. */
void policy_init(struct policy *p, uint32_t class, uint64_t now_ns, uint64_t cpu_ns, uint64_t exhaustions);
int policy_priority(const struct policy *p);
int policy_quantum_ms(const struct policy *p);

/* The task used up its quantum (a kernel quantum event). */
void policy_exhausted(struct policy *p, uint64_t now_ns, uint64_t cpu_ns);
/* Periodic re-evaluation with the task's current exhaustion count; true if
 * its priority changed. */
bool policy_balance(struct policy *p, uint64_t exhaustions);
/* The task asks for `priority` as its base: returns what it gets (never above
 * its class's top), or -E_INVAL for a priority that does not exist. */
int policy_request(struct policy *p, int priority);
/* Whether a task of class caller_class may put a task (itself if self) into
 * new_class: only SYSTEM tasks may change others; anyone may step down. */
bool policy_may_set_class(uint32_t caller_class, bool self, uint32_t new_class);
/* Moves the task to another (valid) class: base at its top, no demotion. */
void policy_set_class(struct policy *p, uint32_t class);

#endif
