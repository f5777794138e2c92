// host-test-uses: servers/bootfs/index.c
/*
 * Tests for bootfs's archive index (servers/bootfs/index.c): building from
 * hand-made ustar archives, made-up parent directories, path resolution,
 * readdir order, read clipping, entries that must be left out, corrupt
 * archives, and a fuzzer (mutated archives in exact-size heap buffers, so
 * ASan sees any read outside them) that checks the index stays consistent.
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <common/tar.h>
#include <tessera/abi.h>
#include "../../servers/bootfs/index.h"

/* ---- making archives ---- */

struct archive {
    unsigned char buf[256 * 1024];
    size_t len;
    size_t headers[64];   /* offsets of the headers, for the fuzzer */
    int nheaders;
};

static void octal(unsigned char *field, size_t width, uint64_t v) {
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), (unsigned long long)v);
    memcpy(field, tmp, width - 1);
    field[width - 1] = 0;
}

static void fix_checksum(unsigned char *h) {
    unsigned sum = 0;
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    char tmp[8];
    snprintf(tmp, sizeof(tmp), "%06o", sum);
    memcpy(h + 148, tmp, 7);   /* six digits, NUL; the eighth byte stays ' ' */
}

/* Puts name into the header, using the prefix field for long paths. */
static void set_name(unsigned char *h, const char *name) {
    size_t n = strlen(name);
    if (n <= 100) {
        memcpy(h, name, n);
        return;
    }
    /* Split at a '/' leaving at most 100 bytes for the name field. */
    size_t cut = n - 100;
    while (cut < n && name[cut] != '/')
        cut++;
    if (cut >= n || cut > 155) {
        fprintf(stderr, "test_bootfs: path too long for ustar: %s\n", name);
        abort();
    }
    memcpy(h + 345, name, cut);
    memcpy(h, name + cut + 1, n - cut - 1);
}

static unsigned char *add_full(struct archive *a, const char *name, char type, const void *data,
                               size_t size, unsigned mode, uint64_t mtime, const char *link) {
    unsigned char *h = a->buf + a->len;
    size_t padded = (size + 511) & ~(size_t)511;
    if (a->len + 512 + padded + 1024 > sizeof(a->buf) || a->nheaders == 64)
        abort();
    memset(h, 0, 512);
    set_name(h, name);
    octal(h + 100, 8, mode);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, size);
    octal(h + 136, 12, mtime);
    h[156] = (unsigned char)type;
    if (link)
        memcpy(h + 157, link, strlen(link));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    fix_checksum(h);
    a->headers[a->nheaders++] = a->len;
    a->len += 512;
    memset(a->buf + a->len, 0, padded);
    if (data)
        memcpy(a->buf + a->len, data, size);
    a->len += padded;
    return h;
}

static void add_file(struct archive *a, const char *name, const char *text) {
    add_full(a, name, '0', text, strlen(text), 0644, 1700000000, NULL);
}

static void add_dir(struct archive *a, const char *name) {
    add_full(a, name, '5', NULL, 0, 0755, 1700000000, NULL);
}

static void add_end(struct archive *a) {
    memset(a->buf + a->len, 0, 1024);
    a->len += 1024;
}

/* ---- building an index the way bootfs does ---- */

struct built {
    struct fs_index ix;
    unsigned char *archive;   /* exact-size copy; the nodes point into it */
    size_t size;
    void *storage;
    int warnings;
    char last_warning[320];
};

static void on_warn(void *ctx, const char *path, const char *why) {
    struct built *b = ctx;
    b->warnings++;
    snprintf(b->last_warning, sizeof(b->last_warning), "%s: %s", path, why);
}

static void build(struct built *b, const void *archive, size_t size) {
    struct fs_index_limits lim;
    memset(b, 0, sizeof(*b));
    b->size = size;
    b->archive = malloc(size ? size : 1);
    if (size)
        memcpy(b->archive, archive, size);
    fs_index_measure(b->archive, size, &lim);
    b->storage = malloc(lim.bytes);
    fs_index_build(&b->ix, b->archive, size, &lim, b->storage, on_warn, b);
}

static void release(struct built *b) {
    free(b->archive);
    free(b->storage);
}

/* The node at path from the root, or a negative E_* code. */
static long node_at(const struct fs_index *ix, uint32_t start, const char *path) {
    uint32_t n;
    int err = fs_resolve(ix, start, path, &n);
    return err < 0 ? err : (long)n;
}

static const char *child_name(const struct fs_index *ix, uint32_t dir, uint32_t i) {
    uint32_t c = fs_child(ix, dir, i);
    return c == FS_NO_NODE ? NULL : ix->nodes[c].name;
}

static struct archive a;

/* ---- tests ---- */

TEST(basic_index) {
    struct built b;
    a.len = 0;
    a.nheaders = 0;
    add_dir(&a, "./");
    add_dir(&a, "./etc/");
    add_file(&a, "./etc/boot.conf", "hello\n");
    add_dir(&a, "./servers/");
    add_file(&a, "./servers/init", "INIT");
    add_file(&a, "./servers/bootfs", "BOOTFS!");
    add_end(&a);
    build(&b, a.buf, a.len);
    const struct fs_index *ix = &b.ix;

    CHECK_EQ(ix->tar_err, TAR_END);
    CHECK(!ix->full);
    CHECK_EQ(ix->count, 6u);
    CHECK_EQ(ix->entries, 6u);
    CHECK_EQ(ix->skipped, 0u);
    CHECK_EQ(b.warnings, 0);

    const struct fs_node *root = &ix->nodes[FS_ROOT];
    CHECK(root->kind == FS_KIND_DIR && root->mode == 0755 && root->mtime == 1700000000);
    CHECK_EQ(fs_node_size(root), 2u);
    CHECK_STR(child_name(ix, FS_ROOT, 0), "etc");
    CHECK_STR(child_name(ix, FS_ROOT, 1), "servers");
    CHECK(child_name(ix, FS_ROOT, 2) == NULL);

    long f = node_at(ix, FS_ROOT, "etc/boot.conf");
    CHECK(f > 0);
    const struct fs_node *n = &ix->nodes[f];
    CHECK(n->kind == FS_KIND_FILE && n->size == 6 && n->mode == 0644);
    CHECK(memcmp(n->data, "hello\n", 6) == 0);
    CHECK(n->data > b.archive && n->data + 6 <= b.archive + b.size);
    CHECK_EQ(fs_node_size(n), 6u);

    /* Children come sorted although the archive lists init before bootfs. */
    long s = node_at(ix, FS_ROOT, "servers");
    CHECK(s > 0 && ix->nodes[s].kind == FS_KIND_DIR);
    CHECK_EQ(fs_node_size(&ix->nodes[s]), 2u);
    CHECK_STR(child_name(ix, (uint32_t)s, 0), "bootfs");
    CHECK_STR(child_name(ix, (uint32_t)s, 1), "init");
    CHECK(ix->nodes[fs_child(ix, (uint32_t)s, 0)].parent == (uint32_t)s);
    CHECK(fs_child(ix, (uint32_t)f, 0) == FS_NO_NODE);   /* a file has no children */
    CHECK(fs_child(ix, 999, 0) == FS_NO_NODE);
    CHECK(fs_lookup(ix, (uint32_t)s, "init", 4) != FS_NO_NODE);
    CHECK(fs_lookup(ix, (uint32_t)s, "ini", 3) == FS_NO_NODE);
    CHECK(fs_lookup(ix, (uint32_t)s, "init2", 5) == FS_NO_NODE);
    CHECK(fs_lookup(ix, (uint32_t)s, "initX", 4) != FS_NO_NODE);   /* only n bytes count */
    CHECK(fs_lookup(ix, FS_ROOT, "init", 4) == FS_NO_NODE);
    release(&b);
}

TEST(made_up_parents) {
    struct built b;
    a.len = 0;
    a.nheaders = 0;
    add_file(&a, "a/b/c/file.txt", "deep");
    add_file(&a, "x/y", "why");
    add_full(&a, "a/b/", '5', NULL, 0, 0700, 42, NULL);   /* listed late: takes its mode */
    add_end(&a);
    build(&b, a.buf, a.len);
    const struct fs_index *ix = &b.ix;

    CHECK_EQ(ix->tar_err, TAR_END);
    CHECK_EQ(ix->entries, 3u);
    CHECK_EQ(ix->count, 1u + 4 + 2);   /* root; a, b, c, file.txt; x, y */
    long ab = node_at(ix, FS_ROOT, "a/b");
    long abc = node_at(ix, FS_ROOT, "a/b/c");
    CHECK(ab > 0 && abc > 0);
    CHECK(ix->nodes[ab].kind == FS_KIND_DIR && ix->nodes[ab].mode == 0700 && ix->nodes[ab].mtime == 42);
    CHECK(ix->nodes[abc].kind == FS_KIND_DIR && ix->nodes[abc].mode == 0755);
    long f = node_at(ix, FS_ROOT, "/a/b/c/file.txt");
    CHECK(f > 0 && ix->nodes[f].size == 4 && memcmp(ix->nodes[f].data, "deep", 4) == 0);
    CHECK_STR(child_name(ix, FS_ROOT, 0), "a");
    CHECK_STR(child_name(ix, FS_ROOT, 1), "x");
    release(&b);
}

TEST(long_paths_use_the_prefix) {
    struct built b;
    char path[240] = "";
    for (int i = 0; i < 20; i++)
        strcat(path, "dir45678/");
    strcat(path, "the-file");   /* 188 bytes: prefix and name */
    a.len = 0;
    a.nheaders = 0;
    add_file(&a, path, "far down");
    add_end(&a);
    build(&b, a.buf, a.len);
    long f = node_at(&b.ix, FS_ROOT, path);
    CHECK(f > 0 && b.ix.nodes[f].size == 8);
    CHECK_EQ(b.ix.count, 22u);
    release(&b);
}

/* root: etc/{boot.conf, motd}, servers/{init, sub/deep}, empty/ */
static void small_tree(struct archive *t) {
    t->len = 0;
    t->nheaders = 0;
    add_dir(t, "etc/");
    add_file(t, "etc/boot.conf", "# conf\n");
    add_file(t, "etc/motd", "welcome");
    add_dir(t, "servers/");
    add_file(t, "servers/init", "ELF...");
    add_file(t, "servers/sub/deep", "D");
    add_dir(t, "empty/");
    add_end(t);
}

TEST(resolve_paths) {
    struct built b;
    small_tree(&a);
    build(&b, a.buf, a.len);
    const struct fs_index *ix = &b.ix;
    long conf = node_at(ix, FS_ROOT, "etc/boot.conf");
    long etc = node_at(ix, FS_ROOT, "etc");
    long servers = node_at(ix, FS_ROOT, "servers");
    long sub = node_at(ix, FS_ROOT, "servers/sub");
    CHECK(conf > 0 && etc > 0 && servers > 0 && sub > 0);

    /* Spellings of one file. */
    CHECK_EQ(node_at(ix, FS_ROOT, "/etc/boot.conf"), conf);
    CHECK_EQ(node_at(ix, FS_ROOT, "//etc///boot.conf"), conf);
    CHECK_EQ(node_at(ix, FS_ROOT, "./etc/./boot.conf"), conf);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/../etc/boot.conf"), conf);
    CHECK_EQ(node_at(ix, FS_ROOT, "../../etc/boot.conf"), conf);   /* the root's parent is the root */
    CHECK_EQ(node_at(ix, FS_ROOT, "servers/sub/../../etc/boot.conf"), conf);
    CHECK_EQ(node_at(ix, (uint32_t)etc, "boot.conf"), conf);
    /* Directories, with and without a trailing slash; the root itself. */
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/"), etc);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/."), etc);
    CHECK_EQ(node_at(ix, FS_ROOT, ""), FS_ROOT);
    CHECK_EQ(node_at(ix, FS_ROOT, "/"), FS_ROOT);
    CHECK_EQ(node_at(ix, FS_ROOT, "."), FS_ROOT);
    CHECK_EQ(node_at(ix, FS_ROOT, ".."), FS_ROOT);

    /* Errors. */
    CHECK_EQ(node_at(ix, FS_ROOT, "nope"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "nope/x"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/nope"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "empty/x"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/boot.conf/x"), -E_NOTDIR);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/boot.conf/"), -E_NOTDIR);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/boot.conf/."), -E_NOTDIR);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/boot.conf/.."), -E_NOTDIR);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/boot.c"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "etc/boot.conf2"), -E_NOENT);
    CHECK_EQ(node_at(ix, 12345, "etc"), -E_NOENT);   /* no such start node */

    /* Name lengths: FS_NAME_MAX is fine, one more is too long. */
    char name[FS_NAME_MAX + 16];
    memset(name, 'n', FS_NAME_MAX);
    name[FS_NAME_MAX] = 0;
    CHECK_EQ(node_at(ix, FS_ROOT, name), -E_NOENT);
    name[FS_NAME_MAX] = 'n';
    name[FS_NAME_MAX + 1] = 0;
    CHECK_EQ(node_at(ix, FS_ROOT, name), -E_NAMETOOLONG);
    memcpy(name, "etc/", 4);   /* now etc/ and FS_NAME_MAX - 3 bytes */
    CHECK_EQ(node_at(ix, FS_ROOT, name), -E_NOENT);

    /* ".." stops at the start node: nothing above it is reachable. */
    CHECK_EQ(node_at(ix, (uint32_t)servers, ".."), servers);
    CHECK_EQ(node_at(ix, (uint32_t)servers, "../../.."), servers);
    CHECK_EQ(node_at(ix, (uint32_t)servers, "../etc/boot.conf"), -E_NOENT);
    CHECK_EQ(node_at(ix, (uint32_t)servers, "sub/../../init"), node_at(ix, FS_ROOT, "servers/init"));
    CHECK_EQ(node_at(ix, (uint32_t)sub, "../init"), -E_NOENT);
    CHECK_EQ(node_at(ix, (uint32_t)servers, "/etc"), -E_NOENT);   /* "/" is not the real root */

    /* From a file: only the file itself. */
    CHECK_EQ(node_at(ix, (uint32_t)conf, ""), conf);
    CHECK_EQ(node_at(ix, (uint32_t)conf, "."), -E_NOTDIR);
    CHECK_EQ(node_at(ix, (uint32_t)conf, ".."), -E_NOTDIR);
    CHECK_EQ(node_at(ix, (uint32_t)conf, "../motd"), -E_NOTDIR);
    CHECK_EQ(node_at(ix, (uint32_t)conf, "/"), -E_NOTDIR);
    release(&b);
}

TEST(read_clipping) {
    struct built b;
    static char big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (char)('a' + i % 26);
    a.len = 0;
    a.nheaders = 0;
    add_full(&a, "big", '0', big, sizeof(big), 0644, 0, NULL);
    add_file(&a, "empty", "");
    add_dir(&a, "dir");
    add_end(&a);
    build(&b, a.buf, a.len);
    const struct fs_node *f = &b.ix.nodes[node_at(&b.ix, FS_ROOT, "big")];
    const struct fs_node *e = &b.ix.nodes[node_at(&b.ix, FS_ROOT, "empty")];
    const struct fs_node *d = &b.ix.nodes[node_at(&b.ix, FS_ROOT, "dir")];
    const uint8_t *p;

    CHECK_EQ(fs_read_clip(f, 0, 10, 206, &p), 10u);
    CHECK(p && memcmp(p, big, 10) == 0);
    CHECK_EQ(fs_read_clip(f, 0, 5000, 206, &p), 206u);
    CHECK_EQ(fs_read_clip(f, 0, UINT64_MAX, 206, &p), 206u);
    CHECK_EQ(fs_read_clip(f, 995, 10, 206, &p), 5u);
    CHECK(memcmp(p, big + 995, 5) == 0);
    CHECK_EQ(fs_read_clip(f, 999, UINT64_MAX, 206, &p), 1u);
    CHECK_EQ(fs_read_clip(f, 1000, 1, 206, &p), 0u);
    CHECK(p == NULL);
    CHECK_EQ(fs_read_clip(f, 1001, 1, 206, &p), 0u);
    CHECK_EQ(fs_read_clip(f, UINT64_MAX, UINT64_MAX, 206, &p), 0u);
    CHECK_EQ(fs_read_clip(f, 10, 0, 206, &p), 0u);
    CHECK_EQ(fs_read_clip(f, 10, 100, 0, &p), 0u);
    CHECK_EQ(fs_read_clip(e, 0, 100, 206, &p), 0u);
    CHECK_EQ(fs_read_clip(d, 0, 100, 206, &p), 0u);
    /* Reading it all in odd chunks gives the file back. */
    char out[1000];
    uint64_t off = 0;
    size_t n;
    while ((n = fs_read_clip(f, off, 77, 206, &p)) > 0) {
        memcpy(out + off, p, n);
        off += n;
    }
    CHECK(off == 1000 && memcmp(out, big, 1000) == 0);
    release(&b);
}

TEST(readdir_order) {
    static const char *const names[] = {"b", "a", "c10", "c2", "A", "_", "c1", "zz", "z", "0"};
    static const char *const sorted[] = {"0", "A", "_", "a", "b", "c1", "c10", "c2", "z", "zz"};
    struct built b;
    a.len = 0;
    a.nheaders = 0;
    for (int i = 0; i < 10; i++)
        add_file(&a, names[i], names[i]);
    add_end(&a);
    build(&b, a.buf, a.len);
    CHECK_EQ(fs_node_size(&b.ix.nodes[FS_ROOT]), 10u);
    for (uint32_t i = 0; i < 10; i++)
        CHECK(child_name(&b.ix, FS_ROOT, i) && strcmp(child_name(&b.ix, FS_ROOT, i), sorted[i]) == 0);
    CHECK(child_name(&b.ix, FS_ROOT, 10) == NULL);
    CHECK(child_name(&b.ix, FS_ROOT, UINT32_MAX) == NULL);
    release(&b);
}

TEST(many_entries_in_one_directory) {
    /* Enough for hash collisions and a real sort; in reverse order. */
    static struct archive big;
    struct built b;
    big.len = 0;
    big.nheaders = 0;
    for (int i = 199; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof(name), "d/f%03d", i);
        big.nheaders = 0;   /* more headers than the fuzzer keeps track of */
        add_full(&big, name, '0', NULL, 0, 0644, 0, NULL);
    }
    add_end(&big);
    build(&b, big.buf, big.len);
    long d = node_at(&b.ix, FS_ROOT, "d");
    CHECK(d > 0 && fs_node_size(&b.ix.nodes[d]) == 200);
    for (uint32_t i = 0; i < 200; i++) {
        char want[16];
        snprintf(want, sizeof(want), "f%03u", i);
        CHECK(child_name(&b.ix, (uint32_t)d, i) && strcmp(child_name(&b.ix, (uint32_t)d, i), want) == 0);
        char path[32];
        snprintf(path, sizeof(path), "d/f%03u", i);
        CHECK_EQ(node_at(&b.ix, FS_ROOT, path), (long)fs_child(&b.ix, (uint32_t)d, i));
    }
    release(&b);
}

TEST(entries_left_out) {
    struct built b;
    a.len = 0;
    a.nheaders = 0;
    add_file(&a, "good", "fine");
    add_file(&a, "../evil", "x");                                  /* escapes */
    add_file(&a, "a/../b", "x");                                   /* ".." inside */
    add_file(&a, "ctl\001name", "x");                              /* control character */
    add_full(&a, "sym", '2', NULL, 0, 0777, 0, "good");            /* symbolic link */
    add_full(&a, "dev", '3', NULL, 0, 0600, 0, NULL);              /* character device */
    add_full(&a, "hard", '1', NULL, 0, 0644, 0, "./good");         /* hard link: kept */
    add_full(&a, "dangling", '1', NULL, 0, 0644, 0, "missing");    /* hard link to nothing */
    add_full(&a, "dirlink", '1', NULL, 0, 0644, 0, "sub");         /* hard link to a directory */
    add_dir(&a, "sub");
    add_file(&a, "good/x", "x");                                   /* a parent is a file */
    add_dir(&a, "good");                                           /* file, then directory */
    add_file(&a, "sub", "x");                                      /* directory, then file */
    add_full(&a, "./", '0', "x", 1, 0644, 0, NULL);                /* the root as a file */
    add_file(&a, "dup", "one");
    add_file(&a, "dup", "two!");                                   /* later entries win */
    add_end(&a);
    build(&b, a.buf, a.len);
    const struct fs_index *ix = &b.ix;

    CHECK_EQ(ix->tar_err, TAR_END);
    CHECK_EQ(ix->skipped, 11u);
    CHECK_EQ(b.warnings, 11);
    CHECK_EQ(ix->entries, 5u);   /* good, hard, sub, dup twice */
    CHECK_STR(b.last_warning, ": the root is a directory");
    CHECK_EQ(node_at(ix, FS_ROOT, "evil"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "b"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "a"), -E_NOENT);   /* nothing made for a refused path */
    CHECK_EQ(node_at(ix, FS_ROOT, "sym"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "dev"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "dangling"), -E_NOENT);
    CHECK_EQ(node_at(ix, FS_ROOT, "dirlink"), -E_NOENT);
    long good = node_at(ix, FS_ROOT, "good"), hard = node_at(ix, FS_ROOT, "hard");
    CHECK(good > 0 && ix->nodes[good].kind == FS_KIND_FILE);
    CHECK(hard > 0 && ix->nodes[hard].kind == FS_KIND_FILE && ix->nodes[hard].size == 4);
    CHECK(ix->nodes[hard].data == ix->nodes[good].data);
    long sub = node_at(ix, FS_ROOT, "sub");
    CHECK(sub > 0 && ix->nodes[sub].kind == FS_KIND_DIR);
    long dup = node_at(ix, FS_ROOT, "dup");
    CHECK(dup > 0 && ix->nodes[dup].size == 4 && memcmp(ix->nodes[dup].data, "two!", 4) == 0);
    CHECK_EQ(fs_node_size(&ix->nodes[FS_ROOT]), 4u);   /* dup, good, hard, sub */
    CHECK(ix->nodes[FS_ROOT].kind == FS_KIND_DIR);
    release(&b);
}

TEST(corrupt_archive_keeps_what_came_before) {
    struct built b;
    small_tree(&a);
    /* Break the checksum of the fourth header (servers/). */
    a.buf[a.headers[3] + 10] ^= 0x55;
    build(&b, a.buf, a.len);
    CHECK_EQ(b.ix.tar_err, TAR_ERR_CHECKSUM);
    CHECK_EQ(b.ix.entries, 3u);
    CHECK(node_at(&b.ix, FS_ROOT, "etc/motd") > 0);
    CHECK_EQ(node_at(&b.ix, FS_ROOT, "servers"), -E_NOENT);
    release(&b);

    /* Cut off inside a file's data. */
    small_tree(&a);
    build(&b, a.buf, a.headers[2] + 512 + 3);
    CHECK_EQ(b.ix.tar_err, TAR_ERR_BOUNDS);
    CHECK_EQ(b.ix.entries, 2u);
    CHECK(node_at(&b.ix, FS_ROOT, "etc/boot.conf") > 0);
    CHECK_EQ(node_at(&b.ix, FS_ROOT, "etc/motd"), -E_NOENT);
    release(&b);

    /* Cut off inside a header. */
    small_tree(&a);
    build(&b, a.buf, a.headers[1] + 100);
    CHECK_EQ(b.ix.tar_err, TAR_ERR_TRUNCATED);
    CHECK_EQ(b.ix.count, 2u);
    release(&b);

    /* Not an archive at all. */
    memset(a.buf, 'x', 4096);
    build(&b, a.buf, 4096);
    CHECK(b.ix.tar_err != TAR_END && b.ix.tar_err < 0);
    CHECK_EQ(b.ix.count, 1u);
    CHECK(b.ix.nodes[FS_ROOT].kind == FS_KIND_DIR);
    release(&b);
}

TEST(empty_archives) {
    struct built b;
    build(&b, NULL, 0);
    CHECK_EQ(b.ix.tar_err, TAR_END);
    CHECK_EQ(b.ix.count, 1u);
    CHECK_EQ(fs_node_size(&b.ix.nodes[FS_ROOT]), 0u);
    CHECK(fs_child(&b.ix, FS_ROOT, 0) == FS_NO_NODE);
    CHECK_EQ(node_at(&b.ix, FS_ROOT, "x"), -E_NOENT);
    CHECK_EQ(node_at(&b.ix, FS_ROOT, "/"), FS_ROOT);
    release(&b);

    static const unsigned char zeros[1024];
    build(&b, zeros, sizeof(zeros));
    CHECK_EQ(b.ix.tar_err, TAR_END);
    CHECK_EQ(b.ix.count, 1u);
    release(&b);
}

TEST(index_full_stops_cleanly) {
    struct fs_index_limits lim;
    struct fs_index ix;
    small_tree(&a);
    /* Limits measured for the first two entries only, storage of exactly that size. */
    fs_index_measure(a.buf, a.headers[2], &lim);
    CHECK_EQ(lim.nodes, 4u);   /* root, etc, boot.conf, and etc again as a component */
    unsigned char *archive = malloc(a.len);
    memcpy(archive, a.buf, a.len);
    void *storage = malloc(lim.bytes);
    fs_index_build(&ix, archive, a.len, &lim, storage, NULL, NULL);
    CHECK(ix.full);
    CHECK(ix.count >= 3 && ix.count <= lim.nodes);
    CHECK(node_at(&ix, FS_ROOT, "etc/boot.conf") > 0);
    CHECK_EQ(node_at(&ix, FS_ROOT, "servers"), -E_NOENT);
    CHECK_EQ(fs_node_size(&ix.nodes[FS_ROOT]), 1u);
    free(storage);
    free(archive);
}

/* ---- fuzzing ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fuzz_base(struct archive *t) {
    static char data[3000];
    for (int i = 0; i < 3000; i++)
        data[i] = (char)i;
    t->len = 0;
    t->nheaders = 0;
    add_dir(t, "./");
    add_dir(t, "./etc/");
    add_file(t, "./etc/boot.conf", "service fs servers/bootfs\n");
    add_full(t, "servers/init", '0', data, sizeof(data), 0755, 5, NULL);
    add_file(t, "a/b/c/d", "deep");
    add_full(t, "link", '1', NULL, 0, 0644, 0, "servers/init");
    add_full(t, "sym", '2', NULL, 0, 0777, 0, "etc");
    add_file(t, "dir45678/dir45678/dir45678/dir45678/dir45678/dir45678/dir45678/dir45678/"
                "dir45678/dir45678/dir45678/dir45678/name", "long");
    add_dir(t, "empty/");
    add_file(t, "z", "");
    add_end(t);
}

/* Mutations that get past the checksum now and then, so the index sees odd headers. */
static void mutate(struct archive *t, size_t *len) {
    static const char chars[] = "/./..\001 0123456789xa";
    int n = 1 + (int)(rng() % 8);
    for (int i = 0; i < n; i++) {
        size_t h = t->headers[rng() % (uint64_t)t->nheaders];
        switch (rng() % 7) {
        case 0:   /* any byte anywhere */
            if (*len)
                t->buf[rng() % *len] = (unsigned char)rng();
            break;
        case 1:   /* a bit of a header */
            t->buf[h + rng() % 512] ^= (unsigned char)(1u << (rng() % 8));
            break;
        case 2:   /* path characters into a name or prefix */
        {
            size_t field = (rng() & 1) ? h + rng() % 100 : h + 345 + rng() % 155;
            t->buf[field] = (unsigned char)chars[rng() % (sizeof(chars) - 1)];
            break;
        }
        case 3:   /* a typeflag */
            t->buf[h + 156] = (unsigned char)"0125734x\0L"[rng() % 10];
            break;
        case 4:   /* a size */
            octal(t->buf + h + 124, 12, rng() % 8192);
            break;
        case 5:   /* a link name */
            memcpy(t->buf + h + 157, (rng() & 1) ? "etc/boot.conf" : "a/b", 4);
            break;
        case 6:   /* cut the archive short */
            *len = rng() % (*len + 1);
            break;
        }
    }
    if (rng() % 4)
        for (int i = 0; i < t->nheaders; i++)
            if (t->headers[i] + 512 <= sizeof(t->buf))
                fix_checksum(t->buf + t->headers[i]);
}

/* Writes node i's path from the root into buf; false if it does not fit. */
static bool path_of(const struct fs_index *ix, uint32_t i, char *buf, size_t cap) {
    char tmp[4096];
    size_t len = 0;
    tmp[0] = 0;
    for (int depth = 0; i != FS_ROOT; depth++) {
        const char *name = ix->nodes[i].name;
        size_t n = strlen(name);
        if (depth > 300 || len + n + 2 > sizeof(tmp))
            return false;
        memmove(tmp + n + 1, tmp, len + 1);
        memcpy(tmp, name, n);
        tmp[n] = '/';
        len += n + 1;
        i = ix->nodes[i].parent;
    }
    if (len > 0)
        tmp[--len] = 0;   /* no "/" after the last name */
    if (len + 1 > cap)
        return false;
    memcpy(buf, tmp, len + 1);
    return true;
}

static volatile uint8_t read_sink;

/* Everything the server relies on, checked on one index: what is wrong, or NULL. */
static const char *inconsistency(const struct built *b) {
    const struct fs_index *ix = &b->ix;
    if (ix->count < 1 || ix->count > ix->cap || ix->nodes[FS_ROOT].kind != FS_KIND_DIR)
        return "bad root or count";
    if ((uint32_t)b->warnings != ix->skipped)
        return "warnings do not match skipped";
    for (uint32_t i = 0; i < ix->count; i++) {
        const struct fs_node *n = &ix->nodes[i];
        size_t len = strlen(n->name);
        if (i != FS_ROOT) {
            if (n->parent >= ix->count || ix->nodes[n->parent].kind != FS_KIND_DIR)
                return "bad parent";
            if (len == 0 || len > FS_NAME_MAX || strchr(n->name, '/') || !strcmp(n->name, ".") ||
                !strcmp(n->name, ".."))
                return "bad name";
            for (size_t k = 0; k < len; k++)
                if ((unsigned char)n->name[k] < 0x20)
                    return "control character in a name";
            char path[4096];
            if (path_of(ix, i, path, sizeof(path)) && node_at(ix, FS_ROOT, path) != (long)i)
                return "path does not resolve to its node";
        }
        if (n->kind == FS_KIND_FILE) {
            if (n->size > b->size || n->data < b->archive || (uint64_t)(n->data - b->archive) > b->size - n->size)
                return "file data outside the archive";
            const uint8_t *p;
            uint64_t off = n->size ? rng() % (n->size + 2) : 0;
            size_t got = fs_read_clip(n, off, rng() % 500, 206, &p);
            for (size_t k = 0; k < got; k++)
                read_sink += p[k];   /* ASan checks these reads */
            if (n->nchildren != 0)
                return "a file with children";
        } else if (n->kind == FS_KIND_DIR) {
            for (uint32_t c = 0; c < n->nchildren; c++) {
                uint32_t child = fs_child(ix, i, c);
                if (child == FS_NO_NODE || child >= ix->count || ix->nodes[child].parent != i)
                    return "bad child";
                if (c > 0 && strcmp(ix->nodes[fs_child(ix, i, c - 1)].name, ix->nodes[child].name) >= 0)
                    return "children not sorted";
            }
        } else {
            return "bad kind";
        }
    }
    return NULL;
}

TEST(fuzz_mutated_archives) {
    static struct archive t;
    int bad = 0, with_errors = 0, with_skips = 0;
    for (int iter = 0; iter < 20000; iter++) {
        fuzz_base(&t);
        size_t len = t.len;
        mutate(&t, &len);
        struct built b;
        build(&b, t.buf, len);
        const char *why = inconsistency(&b);
        if (why && bad++ == 0)
            printf("note: iteration %d: %s\n", iter, why);
        with_errors += b.ix.tar_err != TAR_END;
        with_skips += b.ix.skipped > 1;   /* the base archive has one: sym */
        /* Random paths against it. */
        for (int k = 0; k < 8; k++) {
            char path[64];
            int n = (int)(rng() % sizeof(path));
            for (int c = 0; c < n; c++)
                path[c] = "/.abcdeilnorstvyz0\001"[rng() % 20];
            path[n] = 0;
            uint32_t out;
            int err = fs_resolve(&b.ix, (uint32_t)(rng() % b.ix.count), path, &out);
            CHECK(err == 0 || err == -E_NOENT || err == -E_NOTDIR);
            CHECK(err != 0 || out < b.ix.count);
        }
        release(&b);
    }
    CHECK_EQ(bad, 0);
    /* The mutations reach both the error paths and the index's own checks. */
    CHECK(with_errors > 1000);
    CHECK(with_skips > 1000);
}

TEST_MAIN()
