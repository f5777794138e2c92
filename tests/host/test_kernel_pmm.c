// host-test-uses: kernel/core/pmm.c
/* The physical page allocator (kernel/core/pmm.c). */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include "../../kernel/core/pmm.h"

#define NPAGES 4096   /* 16 MiB */
static uint64_t bitmap[NPAGES / 64];

static void fresh(void) {
    pmm_init(bitmap, NPAGES);
    pmm_add_free_range(0, NPAGES * PMM_PAGE);
}

TEST(starts_reserved_and_frees_ranges) {
    pmm_init(bitmap, NPAGES);
    CHECK_EQ(pmm_free_pages(), 0);
    CHECK_EQ(pmm_alloc(1, 1), 0);
    pmm_add_free_range(0x1800, 0x3000);   /* partial pages at both ends don't count */
    CHECK_EQ(pmm_free_pages(), 2);
    pmm_add_free_range(0, NPAGES * PMM_PAGE);
    CHECK_EQ(pmm_free_pages(), NPAGES - 1);   /* frame 0 is never handed out */
    pmm_add_free_range(0, (NPAGES + 100) * PMM_PAGE);   /* beyond the end is ignored */
    CHECK_EQ(pmm_free_pages(), NPAGES - 1);
}

TEST(alloc_free_roundtrip) {
    fresh();
    uint64_t before = pmm_free_pages();
    uint64_t a = pmm_alloc(1, 1), b = pmm_alloc(1, 1);
    CHECK(a && b && a != b);
    CHECK(a % PMM_PAGE == 0 && b % PMM_PAGE == 0);
    CHECK_EQ(pmm_free_pages(), before - 2);
    CHECK(pmm_free(a, 1));
    CHECK(pmm_free(b, 1));
    CHECK_EQ(pmm_free_pages(), before);
}

TEST(double_free_and_bad_free_refused) {
    fresh();
    uint64_t a = pmm_alloc(4, 1);
    CHECK(pmm_free(a, 4));
    CHECK(!pmm_free(a, 4));
    CHECK(!pmm_free(a + 1, 1));              /* unaligned */
    CHECK(!pmm_free(0, 1));                  /* frame 0 */
    CHECK(!pmm_free(NPAGES * PMM_PAGE, 1));  /* past the end */
    uint64_t b = pmm_alloc(2, 1);
    CHECK(!pmm_free(b, 3));                  /* more than was allocated: nothing freed */
    CHECK(pmm_free(b, 2));
}

TEST(contiguous_and_aligned) {
    fresh();
    uint64_t a = pmm_alloc(16, 16);
    CHECK(a && (a / PMM_PAGE) % 16 == 0);
    /* fragment memory: take every other page of a window, then ask for a run */
    uint64_t singles[64];
    for (int i = 0; i < 64; i++)
        singles[i] = pmm_alloc(1, 1);
    for (int i = 0; i < 64; i += 2)
        pmm_free(singles[i], 1);
    uint64_t run = pmm_alloc(8, 1);
    CHECK(run != 0);
    for (int i = 0; i < 8; i++)
        for (int j = 1; j < 64; j += 2)
            CHECK(run + (uint64_t)i * PMM_PAGE != singles[j]);
    CHECK_EQ(pmm_alloc(0, 1), 0);
    CHECK_EQ(pmm_alloc(1, 3), 0);            /* alignment must be a power of two */
    CHECK_EQ(pmm_alloc(NPAGES, 1), 0);       /* more than exists */
}

TEST(exhaustion_and_reserve) {
    fresh();
    pmm_reserve_range(0, 1024 * PMM_PAGE);
    uint64_t n = pmm_free_pages();
    CHECK_EQ(n, NPAGES - 1024);
    uint64_t got = 0;
    while (pmm_alloc(1, 1))
        got++;
    CHECK_EQ(got, n);
    CHECK_EQ(pmm_free_pages(), 0);
}

TEST(random_against_model) {
    fresh();
    static unsigned char owned[NPAGES];
    memset(owned, 0, sizeof(owned));
    srand(7);
    for (int step = 0; step < 20000; step++) {
        uint64_t count = 1 + (uint64_t)(rand() % 8);
        if (rand() % 2) {
            uint64_t a = pmm_alloc(count, 1 << (rand() % 3));
            if (!a)
                continue;
            for (uint64_t i = 0; i < count; i++) {
                CHECK(!owned[a / PMM_PAGE + i]);   /* never handed out twice */
                owned[a / PMM_PAGE + i] = (unsigned char)count;
            }
        } else {
            uint64_t pfn = 1 + (uint64_t)rand() % (NPAGES - 1);
            if (owned[pfn] == 1) {
                CHECK(pmm_free(pfn * PMM_PAGE, 1));
                owned[pfn] = 0;
            }
        }
    }
    uint64_t in_use = 0;
    for (int i = 1; i < NPAGES; i++)
        in_use += owned[i] != 0;
    CHECK_EQ(pmm_free_pages(), NPAGES - 1 - in_use);
}

TEST_MAIN()
