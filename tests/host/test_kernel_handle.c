// host-test-uses: kernel/core/handle.c
/* Handle tables (kernel/core/handle.c) with fake objects. */
#include "test.h"
#include "kernel_stubs.h"
#include "../../kernel/core/handle.h"

static int destroyed, recv_handles;

void kobj_init(struct kobj *o, uint32_t type) { o->type = type; o->refs = 1; }
void kobj_ref(struct kobj *o) { o->refs++; }
void kobj_unref(struct kobj *o) {
    CHECK(o->refs > 0);
    if (--o->refs == 0)
        destroyed++;
}
void kobj_handle_added(struct kobj *o, uint32_t rights) { if (rights & RIGHT_RECV) recv_handles++; }
void kobj_handle_removed(struct kobj *o, uint32_t rights) { if (rights & RIGHT_RECV) recv_handles--; }

static struct kobj *object(uint32_t type) {
    static struct kobj objs[4096];
    static int next;
    struct kobj *o = &objs[next++ % 4096];
    kobj_init(o, type);
    return o;
}

TEST(install_lookup_close) {
    struct handle_table t;
    CHECK_EQ(handle_table_init(&t), 0);
    destroyed = 0;
    struct kobj *o = object(KOBJ_ENDPOINT);
    handle_t h = handle_install(&t, o, RIGHT_SEND | RIGHT_DUP, 7);
    CHECK(h > 0);
    int err;
    struct handle_entry *e = handle_lookup(&t, h, KOBJ_ENDPOINT, RIGHT_SEND, &err);
    CHECK(e && e->obj == o && e->badge == 7 && err == 0);
    CHECK(!handle_lookup(&t, h, KOBJ_MEMORY, 0, &err) && err == -E_BADH);    /* wrong type */
    CHECK(!handle_lookup(&t, h, 0, RIGHT_RECV, &err) && err == -E_PERM);     /* missing right */
    CHECK(!handle_lookup(&t, 0, 0, 0, &err) && err == -E_BADH);
    CHECK(!handle_lookup(&t, -1, 0, 0, &err) && err == -E_BADH);
    CHECK(!handle_lookup(&t, 0x7fffffff, 0, 0, &err) && err == -E_BADH);
    CHECK_EQ(handle_close(&t, h), 0);
    CHECK_EQ(destroyed, 1);
    CHECK_EQ(handle_close(&t, h), -E_BADH);
    handle_table_destroy(&t);
}

TEST(stale_handles_refused_after_reuse) {
    struct handle_table t;
    handle_table_init(&t);
    handle_t h = handle_install(&t, object(KOBJ_MEMORY), RIGHT_READ, 0);
    handle_close(&t, h);
    handle_t h2 = handle_install(&t, object(KOBJ_MEMORY), RIGHT_READ, 0);
    CHECK(h2 != h);                          /* same slot, new generation */
    CHECK_EQ(h2 & 0xffff, h & 0xffff);
    int err;
    CHECK(!handle_lookup(&t, h, 0, 0, &err));
    CHECK(handle_lookup(&t, h2, 0, 0, &err));
    handle_table_destroy(&t);
}

TEST(dup_only_shrinks_rights_and_keeps_badges) {
    struct handle_table t;
    handle_table_init(&t);
    struct kobj *o = object(KOBJ_ENDPOINT);
    handle_t h = handle_install(&t, o, RIGHT_SEND | RIGHT_RECV | RIGHT_DUP, 0);
    handle_t d = handle_dup(&t, h, RIGHT_SEND, 42);
    CHECK(d > 0 && o->refs == 2);
    int err;
    struct handle_entry *e = handle_lookup(&t, d, 0, 0, &err);
    CHECK(e->rights == RIGHT_SEND && e->badge == 42);
    CHECK_EQ(handle_dup(&t, h, RIGHT_SEND | RIGHT_WRITE, 0), -E_PERM);   /* more rights */
    CHECK_EQ(handle_dup(&t, d, RIGHT_SEND, 42), -E_PERM);                /* no DUP right */
    handle_t d2 = handle_dup(&t, h, RIGHT_SEND | RIGHT_DUP, 5);
    CHECK_EQ(handle_dup(&t, d2, RIGHT_SEND, 6), -E_PERM);                /* re-badge */
    CHECK(handle_dup(&t, d2, RIGHT_SEND, 5) > 0);
    CHECK_EQ(handle_dup(&t, 12345, 0, 0), -E_BADH);
    handle_table_destroy(&t);
    CHECK_EQ(o->refs, 0);
}

TEST(table_full_drops_the_reference) {
    struct handle_table t;
    handle_table_init(&t);
    destroyed = 0;
    int n = 0;
    while (handle_table_free_slots(&t) > 0) {
        CHECK(handle_install(&t, object(KOBJ_MEMORY), RIGHT_READ, 0) > 0);
        n++;
    }
    CHECK_EQ(n, HANDLE_TABLE_SLOTS - 1);
    struct kobj *extra = object(KOBJ_MEMORY);
    CHECK_EQ(handle_install(&t, extra, RIGHT_READ, 0), -E_NOSPC);
    CHECK_EQ(extra->refs, 0);   /* no leak */
    handle_table_destroy(&t);
    CHECK_EQ(destroyed, n + 1);
}

TEST(move_between_tables_keeps_counts) {
    struct handle_table a, b;
    handle_table_init(&a);
    handle_table_init(&b);
    recv_handles = 0;
    struct kobj *o = object(KOBJ_ENDPOINT);
    handle_t h = handle_install(&a, o, RIGHT_RECV | RIGHT_TRANSFER, 9);
    CHECK_EQ(recv_handles, 1);
    struct handle_entry e;
    CHECK_EQ(handle_detach(&a, h, &e), 0);
    CHECK_EQ(recv_handles, 1);            /* in flight: still a live receiver */
    CHECK_EQ(handle_detach(&a, h, &e), -E_BADH);
    handle_t h2 = handle_attach(&b, &e);
    CHECK(h2 > 0);
    int err;
    struct handle_entry *got = handle_lookup(&b, h2, KOBJ_ENDPOINT, RIGHT_RECV, &err);
    CHECK(got && got->badge == 9 && o->refs == 1);
    handle_table_destroy(&a);
    handle_table_destroy(&b);
    CHECK_EQ(recv_handles, 0);
    CHECK_EQ(o->refs, 0);
    CHECK_EQ(pages_outstanding, 0);
}

TEST_MAIN()
