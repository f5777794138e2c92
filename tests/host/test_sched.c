// host-test-uses: servers/sched/policy.c
/*
 * Tests for the sched server's policy (servers/sched/policy.c): class bands,
 * demotion of hogs step by step within their band, promotion back when they
 * leave the CPU, priority requests (lower always, higher only up to the class
 * ceiling), who may change classes, and a long random run that keeps every
 * priority inside the task's band.
 */
#include "test.h"
#include <stdlib.h>
#include <tessera/abi.h>
#include "../../servers/sched/policy.h"

#define MS 1000000ull

/* A task that runs without pause: every quantum event comes one quantum of
 * wall time after the previous one. */
static void run_as_hog(struct policy *p, uint64_t *now, uint64_t *cpu, int events) {
    for (int i = 0; i < events; i++) {
        uint64_t q = (uint64_t)policy_quantum_ms(p) * MS;
        *now += q;
        *cpu += q;
        policy_exhausted(p, *now, *cpu);
    }
}

TEST(bands_are_ordered_and_disjoint) {
    const struct policy_band *sys = policy_band(SCHED_CLASS_SYSTEM);
    const struct policy_band *ia = policy_band(SCHED_CLASS_INTERACTIVE);
    const struct policy_band *norm = policy_band(SCHED_CLASS_NORMAL);
    CHECK(sys->top > POLICY_SELF_PRIORITY);
    CHECK(sys->top <= sys->bottom && sys->bottom < ia->top);
    CHECK(ia->top <= ia->bottom && ia->bottom < norm->top);
    CHECK(norm->top <= norm->bottom && norm->bottom < SCHED_PRIO_LOWEST);
    CHECK(ia->quantum_ms < norm->quantum_ms);   /* interactive: shorter quanta */
    CHECK(policy_class_valid(SCHED_CLASS_SYSTEM) && !policy_class_valid(3) && !policy_class_valid(~0u));
}

TEST(new_task_starts_at_its_class_top) {
    struct policy p;
    policy_init(&p, SCHED_CLASS_INTERACTIVE, 5 * MS, 1 * MS, 0);
    CHECK_EQ(policy_priority(&p), policy_band(SCHED_CLASS_INTERACTIVE)->top);
    CHECK_EQ(policy_quantum_ms(&p), policy_band(SCHED_CLASS_INTERACTIVE)->quantum_ms);
    policy_init(&p, 77, 0, 0, 0);   /* nonsense class: treated as normal */
    CHECK_EQ(p.class, SCHED_CLASS_NORMAL);
    CHECK_EQ(policy_priority(&p), policy_band(SCHED_CLASS_NORMAL)->top);
}

TEST(hog_is_demoted_step_by_step_to_band_bottom) {
    struct policy p;
    uint64_t now = 0, cpu = 0;
    policy_init(&p, SCHED_CLASS_NORMAL, now, cpu, 0);
    const struct policy_band *b = policy_band(SCHED_CLASS_NORMAL);
    for (int step = 1; step <= b->bottom - b->top; step++) {
        run_as_hog(&p, &now, &cpu, 1);
        CHECK_EQ(policy_priority(&p), b->top + step);
    }
    run_as_hog(&p, &now, &cpu, 50);
    CHECK_EQ(policy_priority(&p), b->bottom);   /* never below its band */
    CHECK_EQ(p.level, b->bottom - b->top);
}

TEST(two_hogs_sharing_a_cpu_are_still_hogs) {
    /* Each gets half the CPU: an event every two quanta of wall time. */
    struct policy p;
    uint64_t now = 0, cpu = 0;
    policy_init(&p, SCHED_CLASS_NORMAL, now, cpu, 0);
    for (int i = 0; i < 3; i++) {
        now += 2 * 40 * MS;
        cpu += 40 * MS;
        policy_exhausted(&p, now, cpu);
    }
    CHECK_EQ(policy_priority(&p), policy_band(SCHED_CLASS_NORMAL)->top + 3);
}

TEST(light_task_that_adds_up_a_quantum_is_not_demoted) {
    struct policy p;
    policy_init(&p, SCHED_CLASS_INTERACTIVE, 0, 0, 0);
    /* 20 ms of CPU over one second: 2% of a CPU. */
    policy_exhausted(&p, 1000 * MS, 20 * MS);
    CHECK_EQ(policy_priority(&p), policy_band(SCHED_CLASS_INTERACTIVE)->top);
    /* A demoted one climbs back on such an event. */
    p.level = 3;
    policy_exhausted(&p, 2000 * MS, 40 * MS);
    CHECK_EQ(p.level, 2);
}

TEST(balance_promotes_only_tasks_that_stopped_using_whole_quanta) {
    struct policy p;
    uint64_t now = 0, cpu = 0;
    policy_init(&p, SCHED_CLASS_NORMAL, now, cpu, 0);
    run_as_hog(&p, &now, &cpu, 4);
    int top = policy_band(SCHED_CLASS_NORMAL)->top;
    CHECK_EQ(policy_priority(&p), top + 4);
    /* Still exhausting quanta between balances: stays down. */
    CHECK(!policy_balance(&p, 4));
    CHECK_EQ(policy_priority(&p), top + 4);
    CHECK(!policy_balance(&p, 6));
    CHECK_EQ(policy_priority(&p), top + 4);
    /* Quiet since the last balance: one step per balance, back to its base. */
    for (int i = 3; i >= 0; i--) {
        CHECK(policy_balance(&p, 6));
        CHECK_EQ(policy_priority(&p), top + i);
    }
    CHECK(!policy_balance(&p, 6));
    CHECK_EQ(policy_priority(&p), top);
}

TEST(request_lower_is_granted_higher_only_up_to_the_ceiling) {
    struct policy p;
    policy_init(&p, SCHED_CLASS_NORMAL, 0, 0, 0);
    int top = policy_band(SCHED_CLASS_NORMAL)->top;
    CHECK_EQ(policy_request(&p, 25), 25);
    CHECK_EQ(policy_priority(&p), 25);
    CHECK_EQ(policy_request(&p, SCHED_PRIO_LOWEST), SCHED_PRIO_LOWEST);
    CHECK_EQ(policy_request(&p, 0), top);   /* above the class: clipped */
    CHECK_EQ(policy_priority(&p), top);
    CHECK_EQ(policy_request(&p, top + 1), top + 1);
    CHECK_EQ(policy_request(&p, -1), -E_INVAL);
    CHECK_EQ(policy_request(&p, SCHED_PRIORITIES), -E_INVAL);
    CHECK_EQ(policy_priority(&p), top + 1);   /* a refused request changes nothing */
    policy_init(&p, SCHED_CLASS_SYSTEM, 0, 0, 0);
    CHECK_EQ(policy_request(&p, POLICY_SELF_PRIORITY), policy_band(SCHED_CLASS_SYSTEM)->top);
}

TEST(request_keeps_a_demoted_task_in_range) {
    struct policy p;
    uint64_t now = 0, cpu = 0;
    policy_init(&p, SCHED_CLASS_NORMAL, now, cpu, 0);
    run_as_hog(&p, &now, &cpu, 100);
    CHECK_EQ(policy_priority(&p), policy_band(SCHED_CLASS_NORMAL)->bottom);
    /* Asking for the lowest priority there is: below the band, no room to demote. */
    CHECK_EQ(policy_request(&p, SCHED_PRIO_LOWEST), SCHED_PRIO_LOWEST);
    CHECK_EQ(policy_priority(&p), SCHED_PRIO_LOWEST);
    run_as_hog(&p, &now, &cpu, 3);
    CHECK_EQ(policy_priority(&p), SCHED_PRIO_LOWEST);
    CHECK(p.level >= 0);
}

TEST(class_changes) {
    CHECK(policy_may_set_class(SCHED_CLASS_SYSTEM, false, SCHED_CLASS_INTERACTIVE));
    CHECK(policy_may_set_class(SCHED_CLASS_SYSTEM, false, SCHED_CLASS_SYSTEM));
    CHECK(!policy_may_set_class(SCHED_CLASS_INTERACTIVE, false, SCHED_CLASS_NORMAL));
    CHECK(!policy_may_set_class(SCHED_CLASS_NORMAL, false, SCHED_CLASS_NORMAL));
    CHECK(policy_may_set_class(SCHED_CLASS_INTERACTIVE, true, SCHED_CLASS_NORMAL));
    CHECK(policy_may_set_class(SCHED_CLASS_NORMAL, true, SCHED_CLASS_NORMAL));
    CHECK(!policy_may_set_class(SCHED_CLASS_NORMAL, true, SCHED_CLASS_INTERACTIVE));
    CHECK(!policy_may_set_class(SCHED_CLASS_INTERACTIVE, true, SCHED_CLASS_SYSTEM));
    CHECK(!policy_may_set_class(SCHED_CLASS_SYSTEM, false, 3));
    CHECK(!policy_may_set_class(9, true, SCHED_CLASS_NORMAL));

    struct policy p;
    uint64_t now = 0, cpu = 0;
    policy_init(&p, SCHED_CLASS_NORMAL, now, cpu, 0);
    run_as_hog(&p, &now, &cpu, 5);
    policy_set_class(&p, SCHED_CLASS_INTERACTIVE);
    CHECK_EQ(policy_priority(&p), policy_band(SCHED_CLASS_INTERACTIVE)->top);
    CHECK_EQ(policy_quantum_ms(&p), policy_band(SCHED_CLASS_INTERACTIVE)->quantum_ms);
}

TEST(clock_going_backwards_is_harmless) {
    struct policy p;
    policy_init(&p, SCHED_CLASS_NORMAL, 1000 * MS, 500 * MS, 0);
    policy_exhausted(&p, 10 * MS, 5 * MS);   /* both before the previous event */
    CHECK(policy_priority(&p) >= 0 && policy_priority(&p) <= SCHED_PRIO_LOWEST);
}

TEST(random_runs_stay_in_band) {
    srand(1234);
    for (int run = 0; run < 200; run++) {
        struct policy p;
        uint32_t class = (uint32_t)(rand() % 3);
        uint64_t now = 0, cpu = 0, ex = 0;
        policy_init(&p, class, now, cpu, ex);
        for (int i = 0; i < 500; i++) {
            switch (rand() % 4) {
            case 0:
                now += (uint64_t)(rand() % 200) * MS;
                cpu += (uint64_t)(rand() % 50) * MS;
                ex++;
                policy_exhausted(&p, now, cpu);
                break;
            case 1:
                policy_balance(&p, ex);
                break;
            case 2:
                policy_request(&p, rand() % 40 - 4);
                break;
            default:
                if (rand() % 10 == 0)
                    policy_set_class(&p, (uint32_t)(rand() % 3));
                break;
            }
            const struct policy_band *b = policy_band(p.class);
            int prio = policy_priority(&p);
            CHECK(prio >= b->top && prio <= SCHED_PRIO_LOWEST);
            CHECK(prio >= p.base);
            CHECK(prio <= (p.base > b->bottom ? p.base : b->bottom));
            CHECK(p.level >= 0);
            CHECK(policy_quantum_ms(&p) > 0);
        }
    }
}

TEST_MAIN()
