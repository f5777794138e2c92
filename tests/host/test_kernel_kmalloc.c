// host-test-uses: kernel/core/kmalloc.c
/* The kernel's small-object allocator (kernel/core/kmalloc.c). */
#include "test.h"
#include "kernel_stubs.h"
#include <stdint.h>
#include "../../kernel/core/kmalloc.h"

TEST(sizes_alignment_and_zeroing) {
    for (size_t size = 1; size <= KMALLOC_MAX; size = size * 2 + 1) {
        unsigned char *p = kmalloc(size);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % 16 == 0);
        for (size_t i = 0; i < size; i++)
            CHECK(p[i] == 0);
        memset(p, 0xff, size);
        kfree(p);
    }
    CHECK(kmalloc(0) == NULL);
    CHECK(kmalloc(KMALLOC_MAX + 1) == NULL);
    kfree(NULL);
}

TEST(no_overlap_and_pages_returned) {
    enum { N = 3000 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    srand(3);
    for (int i = 0; i < N; i++) {
        sizes[i] = 1 + (size_t)rand() % KMALLOC_MAX;
        ptrs[i] = kmalloc(sizes[i]);
        CHECK(ptrs[i] != NULL);
        memset(ptrs[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (ptrs[i][j] != (unsigned char)(i & 0xff)) {
                CHECK(!"an object was overwritten by another");
                break;
            }
    for (int i = 0; i < N; i += 2)
        kfree(ptrs[i]);
    for (int i = 1; i < N; i += 2)
        kfree(ptrs[i]);
    CHECK_EQ(pages_outstanding, 0);   /* empty slabs go back */
}

TEST(bad_frees_panic) {
    char *p = kmalloc(100);
    char *q = kmalloc(100);                /* same slab: keeps it alive */
    CHECK(EXPECT_PANIC(kfree(p + 8)));     /* not the start of an object */
    kfree(p);
    CHECK(EXPECT_PANIC(kfree(p)));         /* double free */
    kfree(q);
    static char not_heap[8192] __attribute__((aligned(4096)));
    CHECK(EXPECT_PANIC(kfree(not_heap + 64)));
}

TEST_MAIN()
