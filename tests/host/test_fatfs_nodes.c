// host-test-uses: servers/fatfs/nodes.c
/*
 * Tests for the fatfs server's pure parts (servers/fatfs/nodes.c): joining
 * open's relative paths (".." never above the handle's directory, name and
 * path limits), and the node table (badges, stale handles after a delete or
 * a take-over, renames carrying handles along).
 */
#include "test.h"
#include <stdlib.h>
#include <tessera/abi.h>
#include <tessera/fs.h>
#include "../../servers/fatfs/nodes.h"

static char out[NODE_PATH_MAX];

TEST(join_plain) {
    CHECK_EQ(path_join("", "a/b", out, sizeof(out)), 0);
    CHECK_STR(out, "a/b");
    CHECK_EQ(path_join("a", "b", out, sizeof(out)), 0);
    CHECK_STR(out, "a/b");
    CHECK_EQ(path_join("", "/settings//gui.conf/", out, sizeof(out)), 0);
    CHECK_STR(out, "settings/gui.conf");
    CHECK_EQ(path_join("x", "", out, sizeof(out)), 0);
    CHECK_STR(out, "x");
    CHECK_EQ(path_join("", ".", out, sizeof(out)), 0);
    CHECK_STR(out, "");
}

TEST(join_dots_stay_inside) {
    CHECK_EQ(path_join("", "a/./b/../c", out, sizeof(out)), 0);
    CHECK_STR(out, "a/c");
    CHECK_EQ(path_join("", "../../a", out, sizeof(out)), 0);
    CHECK_STR(out, "a");
    /* from the directory "d/e", ".." never leaves it */
    CHECK_EQ(path_join("d/e", "../../../f", out, sizeof(out)), 0);
    CHECK_STR(out, "d/e/f");
    CHECK_EQ(path_join("d/e", "g/..", out, sizeof(out)), 0);
    CHECK_STR(out, "d/e");
    CHECK_EQ(path_join("d", "g/h/../../..", out, sizeof(out)), 0);
    CHECK_STR(out, "d");
    CHECK_EQ(path_join("", "...", out, sizeof(out)), 0);   /* an ordinary name */
    CHECK_STR(out, "...");
}

TEST(join_limits) {
    char name[FS_NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = 0;
    CHECK_EQ(path_join("", name, out, sizeof(out)), -E_NAMETOOLONG);
    name[FS_NAME_MAX] = 0;
    CHECK_EQ(path_join("", name, out, sizeof(out)), 0);
    char small[8];
    CHECK_EQ(path_join("abc", "defg", small, sizeof(small)), -E_NAMETOOLONG);
    CHECK_EQ(path_join("abc", "def", small, sizeof(small)), 0);
    CHECK_STR(small, "abc/def");
    CHECK_EQ(path_join("abcdefgh", "", small, sizeof(small)), -E_NAMETOOLONG);
}

TEST(last_and_within) {
    size_t plen;
    CHECK_STR(path_last("a/b/c", &plen), "c");
    CHECK_EQ(plen, 3);
    CHECK_STR(path_last("c", &plen), "c");
    CHECK_EQ(plen, 0);
    CHECK(path_within("a/b", "a"));
    CHECK(path_within("A/b", "a"));   /* FAT names: case-insensitive */
    CHECK(path_within("a", "a"));
    CHECK(!path_within("ab", "a"));
    CHECK(!path_within("a", "a/b"));
    CHECK(path_within("anything", ""));
}

static struct node_table t;

static struct fat_file entry(uint32_t sector, uint32_t offset) {
    struct fat_file f;
    memset(&f, 0, sizeof(f));
    f.entry_sector = sector;
    f.entry_offset = offset;
    return f;
}

TEST(badges) {
    nodes_init(&t);
    struct fat_file f = entry(100, 32);
    uint32_t i = node_add(&t, "a", false, &f);
    uint64_t b = node_badge(&t, i);
    CHECK(b & FILE_BADGE);
    CHECK(node_of_badge(&t, b) == &t.n[i]);
    CHECK(node_find(&t, 100, 32) == &t.n[i]);
    CHECK(node_find(&t, 100, 64) == NULL);
    CHECK(node_find(&t, 0, 0) == NULL);   /* the root is never in the table */
    CHECK(node_of_badge(&t, b & ~FILE_BADGE) == NULL);
    CHECK(node_of_badge(&t, FILE_BADGE | NODE_MAX) == NULL);
    CHECK(node_of_badge(&t, b | 1ull << 50) == NULL);
    CHECK(node_of_badge(&t, ~0ull) == NULL);
    /* deleted: the old badge is stale, and stays so when the slot is reused */
    node_kill(&t.n[i]);
    CHECK(node_of_badge(&t, b) == NULL);
    CHECK(node_find(&t, 100, 32) == NULL);
    struct fat_file g = entry(100, 32);   /* a new file in the same entry */
    uint32_t j = node_add(&t, "b", false, &g);
    CHECK_EQ(j, i);
    CHECK(node_of_badge(&t, b) == NULL);
    CHECK(node_of_badge(&t, node_badge(&t, j)) == &t.n[j]);
}

TEST(take_over_least_recent) {
    nodes_init(&t);
    uint64_t badges[NODE_MAX];
    for (uint32_t k = 0; k < NODE_MAX; k++) {
        struct fat_file f = entry(1000 + k, 0);
        badges[k] = node_badge(&t, node_add(&t, "f", false, &f));
    }
    node_touch(&t, node_of_badge(&t, badges[0]));   /* 0 was used lately; 1 is the oldest */
    struct fat_file f = entry(5000, 0);
    uint32_t i = node_add(&t, "new", false, &f);
    CHECK_EQ(i, 1);
    CHECK(node_of_badge(&t, badges[1]) == NULL);
    CHECK(node_of_badge(&t, badges[0]) != NULL);
    CHECK(node_of_badge(&t, badges[2]) != NULL);
}

TEST(rename_carries_handles) {
    nodes_init(&t);
    struct fat_file d = entry(10, 0), f = entry(20, 0), other = entry(30, 0);
    uint32_t di = node_add(&t, "docs", true, &d);
    uint32_t fi = node_add(&t, "docs/a.txt", false, &f);
    uint32_t oi = node_add(&t, "docsx/b", false, &other);
    struct node *moved = nodes_renamed(&t, "DOCS", "old/docs");
    CHECK(moved == &t.n[di]);
    CHECK_STR(t.n[di].path, "old/docs");
    CHECK_STR(t.n[fi].path, "old/docs/a.txt");
    CHECK_STR(t.n[oi].path, "docsx/b");
    CHECK(nodes_renamed(&t, "nothing", "x") == NULL);
    /* a path that would no longer fit: that handle goes stale */
    char longer[NODE_PATH_MAX];
    memset(longer, 'x', NODE_PATH_MAX - 4);
    longer[NODE_PATH_MAX - 4] = 0;
    uint64_t fb = node_badge(&t, fi);
    nodes_renamed(&t, "old", longer);
    CHECK(node_of_badge(&t, fb) == NULL);
}

TEST(dirs_changed) {
    nodes_init(&t);
    struct fat_file d = entry(10, 0), f = entry(20, 0);
    uint32_t di = node_add(&t, "d", true, &d);
    uint32_t fi = node_add(&t, "f", false, &f);
    t.n[di].dir_next = 5;
    t.n[fi].dir_next = 5;
    nodes_dirs_changed(&t);
    CHECK_EQ(t.n[di].dir_next, UINT32_MAX);
    CHECK_EQ(t.n[fi].dir_next, 5);
}

TEST_MAIN()
