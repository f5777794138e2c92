/*
 * fstest: the file system interface, tested against bootfs on the real
 * system (test=fstest). Prints "fstest: PASS name" / "fstest: FAIL name: why"
 * per test and "fstest: done N passed, M failed"; the exit status is the
 * failure count. The same program is the child the handle-passing tests
 * start ("child ..." / "childdir" in argv[1]).
 */
#include <common/format.h>
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#define GUEST_TEST_NAME "fstest"
#include "../guest_test.h"
#include "idl/fs.h"
#include "idl/init.h"
#include <tessera/fs.h>

#define MS 1000000ull
#define CHILD_TIMEOUT (20000 * MS)
#define BOOT_CONF "etc/boot.conf"
#define FILE_MAX (64 * 1024)

static handle_t root = HANDLE_NONE;

/* Shows both values, for results that are error codes or sizes. */
#define EXPECT_EQ(a, b)                                                                    \
    do {                                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                                \
        if (a_ != b_) {                                                                    \
            char why_[160];                                                                \
            fmt_snprintf(why_, sizeof(why_), "%s == %s (got %lld, want %lld)", #a, #b, a_, \
                         b_);                                                              \
            guest_fail(__LINE__, why_);                                                       \
        }                                                                                  \
    } while (0)

/* ---- helpers ---- */

/* Opens path relative to dir; the handle, or a negative E_* code. */
static long open_at(handle_t dir, const char *path, uint32_t flags, uint32_t *kind, uint64_t *size) {
    handle_t h = HANDLE_NONE;
    int err = fs_open(dir, path, flags, &h, kind, size);
    return err < 0 ? err : h;
}

/* Closes h if it is a handle (open_at's result may be an error). */
static void close_h(long h) {
    if (h > 0)
        sys_handle_close((handle_t)h);
}

/* Reads the whole file in requests of `chunk` bytes; its length, or an error. */
static long read_all(handle_t f, uint8_t *buf, size_t cap, uint32_t chunk) {
    size_t off = 0;
    for (;;) {
        size_t got = 0;
        size_t want = chunk < FS_READ_DATA_MAX ? chunk : FS_READ_DATA_MAX;
        if (off + want > cap)
            return -E_RANGE;
        int err = fs_read(f, off, chunk, buf + off, want, &got);
        if (err < 0)
            return err;
        if (got == 0)
            return (long)off;
        if (got > want)
            return -E_INVAL;
        off += got;
    }
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* Does the n bytes at hay contain the string needle? */
static bool contains(const uint8_t *hay, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k))
            return true;
    return false;
}

static uint64_t parse_u64(const char *s) {
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

static handle_t spawn_child(const char *args, handle_t give) {
    handle_t task = HANDLE_NONE;
    int err = init_spawn(startup.bootstrap, "tests/fstest", args, give, &task);
    EXPECT_EQ(err, 0);
    return err == 0 ? task : HANDLE_NONE;
}


static uint8_t conf[FILE_MAX];   /* etc/boot.conf, read once in 206-byte chunks */
static size_t conf_len;
static uint8_t buf[FILE_MAX];

/* ---- tests ---- */

static void test_lookup_root(void) {
    int err = init_lookup(startup.bootstrap, "fs", &root);
    EXPECT_EQ(err, 0);
    uint32_t kind = 0, mode = 0;
    uint64_t size = 0, mtime = 0;
    EXPECT_EQ(fs_stat(root, &kind, &size, &mode, &mtime), 0);
    EXPECT_EQ(kind, FS_KIND_DIR);
    EXPECT(size >= 3);   /* etc, servers, tests at least */
}

static void test_open_read(void) {
    uint32_t kind = 0;
    uint64_t size = 0;
    long f = open_at(root, BOOT_CONF, FS_O_READ, &kind, &size);
    EXPECT(f > 0);
    EXPECT_EQ(kind, FS_KIND_FILE);
    EXPECT(size > 0 && size < FILE_MAX);
    long n = read_all((handle_t)f, conf, sizeof(conf), FS_READ_DATA_MAX);
    EXPECT_EQ(n, size);
    conf_len = n > 0 ? (size_t)n : 0;
    EXPECT(conf_len > 16 && !memcmp(conf, "# Boot services", 15));
    EXPECT(contains(conf, conf_len, "\nservice fs servers/bootfs give=archive\n"));
    close_h(f);
}

static void test_read_chunks(void) {
    static const uint32_t chunks[] = {1, 7, 100, 205, 206, 1000, 0xffffffffu};
    long f = open_at(root, BOOT_CONF, 0, NULL, NULL);
    EXPECT(f > 0);
    for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        memset(buf, 0, conf_len);
        long n = read_all((handle_t)f, buf, sizeof(buf), chunks[i]);
        EXPECT_EQ(n, conf_len);
        EXPECT(!memcmp(buf, conf, conf_len));
    }
    /* At and past the end: no bytes, no error. */
    size_t got = 99;
    EXPECT_EQ(fs_read((handle_t)f, conf_len, 10, buf, sizeof(buf), &got), 0);
    EXPECT_EQ(got, 0);
    got = 99;
    EXPECT_EQ(fs_read((handle_t)f, conf_len + 1, 10, buf, sizeof(buf), &got), 0);
    EXPECT_EQ(got, 0);
    got = 99;
    EXPECT_EQ(fs_read((handle_t)f, UINT64_MAX, 0xffffffffu, buf, sizeof(buf), &got), 0);
    EXPECT_EQ(got, 0);
    /* The last byte alone, and a read running over the end. */
    EXPECT_EQ(fs_read((handle_t)f, conf_len - 1, 10, buf, sizeof(buf), &got), 0);
    EXPECT(got == 1 && buf[0] == conf[conf_len - 1]);
    EXPECT_EQ(fs_read((handle_t)f, conf_len - 5, 0xffffffffu, buf, sizeof(buf), &got), 0);
    EXPECT(got == 5 && !memcmp(buf, conf + conf_len - 5, 5));
    /* A zero-length read. */
    EXPECT_EQ(fs_read((handle_t)f, 0, 0, buf, sizeof(buf), &got), 0);
    EXPECT_EQ(got, 0);
    close_h(f);
}

static void test_stat_sizes(void) {
    uint32_t kind = 0, mode = 0;
    uint64_t size = 0, open_size = 0, mtime = 0;
    long f = open_at(root, BOOT_CONF, 0, &kind, &open_size);
    EXPECT(f > 0);
    EXPECT_EQ(fs_stat((handle_t)f, &kind, &size, &mode, &mtime), 0);
    EXPECT(kind == FS_KIND_FILE && size == open_size && size == conf_len);
    close_h(f);

    /* A program: an ELF file, larger than one read. */
    f = open_at(root, "servers/init", 0, &kind, &open_size);
    EXPECT(f > 0 && kind == FS_KIND_FILE);
    EXPECT_EQ(fs_stat((handle_t)f, &kind, &size, &mode, &mtime), 0);
    EXPECT(size == open_size && size > 4096);
    size_t got = 0;
    EXPECT_EQ(fs_read((handle_t)f, 0, 4, buf, 4, &got), 0);
    EXPECT(got == 4 && !memcmp(buf, "\x7f" "ELF", 4));
    EXPECT_EQ(fs_read((handle_t)f, size - 10, 4, buf, 4, &got), 0);
    EXPECT_EQ(got, 4);
    close_h(f);

    /* A directory's size is its number of entries. */
    f = open_at(root, "etc", 0, &kind, &open_size);
    EXPECT(f > 0 && kind == FS_KIND_DIR);
    EXPECT_EQ(fs_stat((handle_t)f, &kind, &size, &mode, &mtime), 0);
    EXPECT(kind == FS_KIND_DIR && size == open_size && size >= 1);
    EXPECT(mode != 0);
    close_h(f);
}

/*
 * Lists dir: checks the names come in strictly ascending order and that the
 * count matches stat; *found gets bit i set for each names[i] seen with kind.
 */
static void check_listing(handle_t dir, const char *const *names, const uint32_t *kinds,
                          int nnames, unsigned *found) {
    char prev[FS_READDIR_NAME_MAX] = "", name[FS_READDIR_NAME_MAX];
    uint32_t kind, i;
    uint64_t size;
    *found = 0;
    for (i = 0; i < 10000; i++) {
        int err = fs_readdir(dir, i, name, sizeof(name), &kind, &size);
        if (err == -E_NOENT)
            break;
        EXPECT_EQ(err, 0);
        if (err < 0)
            return;
        EXPECT(name[0] != 0 && !strchr(name, '/'));
        EXPECT(i == 0 || strcmp(prev, name) < 0);
        EXPECT(kind == FS_KIND_FILE || kind == FS_KIND_DIR);
        for (int k = 0; k < nnames; k++)
            if (!strcmp(name, names[k]) && kind == kinds[k])
                *found |= 1u << k;
        memcpy(prev, name, sizeof(prev));
    }
    uint32_t dkind = 0, mode;
    uint64_t dsize = 0, mtime;
    EXPECT_EQ(fs_stat(dir, &dkind, &dsize, &mode, &mtime), 0);
    EXPECT_EQ(dsize, i);
    EXPECT_EQ(fs_readdir(dir, i, name, sizeof(name), &kind, &size), -E_NOENT);
    EXPECT_EQ(fs_readdir(dir, 0xffffffffu, name, sizeof(name), &kind, &size), -E_NOENT);
}

static void test_readdir_root(void) {
    static const char *const names[] = {"etc", "servers", "tests"};
    static const uint32_t kinds[] = {FS_KIND_DIR, FS_KIND_DIR, FS_KIND_DIR};
    unsigned found;
    check_listing(root, names, kinds, 3, &found);   /* the root handle is the root directory */
    EXPECT_EQ(found, 7);
    long d = open_at(root, "/", 0, NULL, NULL);
    EXPECT(d > 0);
    check_listing((handle_t)d, names, kinds, 3, &found);
    EXPECT_EQ(found, 7);
    close_h(d);
}

static void test_readdir_servers(void) {
    static const char *const names[] = {"bootfs", "init"};
    static const uint32_t kinds[] = {FS_KIND_FILE, FS_KIND_FILE};
    unsigned found;
    long d = open_at(root, "servers", FS_O_DIRECTORY, NULL, NULL);
    EXPECT(d > 0);
    check_listing((handle_t)d, names, kinds, 2, &found);
    EXPECT_EQ(found, 3);
    /* readdir's size is the file's size. */
    char name[FS_READDIR_NAME_MAX];
    uint32_t kind;
    uint64_t size = 0, want = 0;
    for (uint32_t i = 0; fs_readdir((handle_t)d, i, name, sizeof(name), &kind, &size) == 0; i++) {
        if (strcmp(name, "init"))
            continue;
        long f = open_at(root, "servers/init", 0, NULL, &want);
        EXPECT(f > 0 && size == want);
        close_h(f);
    }
    close_h(d);
}

static void test_nested_open(void) {
    uint32_t kind = 0;
    uint64_t size = 0, want = 0;
    long servers = open_at(root, "servers", 0, &kind, NULL);
    EXPECT(servers > 0 && kind == FS_KIND_DIR);
    long a = open_at(root, "servers/init", 0, NULL, &want);
    long b = open_at((handle_t)servers, "init", 0, &kind, &size);
    EXPECT(a > 0 && b > 0 && kind == FS_KIND_FILE && size == want);
    close_h(a);
    close_h(b);

    /* Spellings of the same file. */
    static const char *const same[] = {
        "/etc/boot.conf", "//etc///./boot.conf", "./etc/boot.conf", "etc/../etc/boot.conf",
        "../../etc/boot.conf", "servers/../etc/./boot.conf",
    };
    for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        size = 0;
        long f = open_at(root, same[i], 0, &kind, &size);
        EXPECT(f > 0 && kind == FS_KIND_FILE && size == conf_len);
        close_h(f);
    }

    /* Two levels down through directory handles. */
    long etc = open_at(root, "etc", FS_O_DIRECTORY, NULL, NULL);
    EXPECT(etc > 0);
    long f = open_at((handle_t)etc, "boot.conf", 0, &kind, &size);
    EXPECT(f > 0 && size == conf_len);
    size_t got = 0;
    EXPECT_EQ(fs_read((handle_t)f, 0, 15, buf, 15, &got), 0);
    EXPECT(got == 15 && !memcmp(buf, conf, 15));
    close_h(f);
    close_h(etc);

    /* A directory handle reaches nothing above its directory. */
    uint64_t servers_size = 0, dot_size = 0;
    EXPECT_EQ(fs_stat((handle_t)servers, &kind, &servers_size, NULL, NULL), 0);
    EXPECT_EQ(open_at((handle_t)servers, "../etc/boot.conf", 0, NULL, NULL), -E_NOENT);
    long up = open_at((handle_t)servers, "..", 0, &kind, &dot_size);
    EXPECT(up > 0 && kind == FS_KIND_DIR && dot_size == servers_size);
    long up_init = open_at((handle_t)up, "../../init", 0, &kind, NULL);
    EXPECT(up_init > 0 && kind == FS_KIND_FILE);
    close_h(up_init);
    close_h(up);
    close_h(servers);

    /* "" and "." name the directory itself. */
    long self = open_at(root, "", 0, &kind, &size);
    EXPECT(self > 0 && kind == FS_KIND_DIR);
    close_h(self);
    self = open_at(root, ".", 0, &kind, &size);
    EXPECT(self > 0 && kind == FS_KIND_DIR);
    close_h(self);
}

static void test_errors(void) {
    long f;
    EXPECT_EQ(open_at(root, "no-such-file", 0, NULL, NULL), -E_NOENT);
    EXPECT_EQ(open_at(root, "etc/no-such-file", 0, NULL, NULL), -E_NOENT);
    EXPECT_EQ(open_at(root, "no-such-dir/x", 0, NULL, NULL), -E_NOENT);
    EXPECT_EQ(open_at(root, "etc/boot.conf/x", 0, NULL, NULL), -E_NOTDIR);
    EXPECT_EQ(open_at(root, "etc/boot.conf/", 0, NULL, NULL), -E_NOTDIR);
    EXPECT_EQ(open_at(root, "etc/boot.conf/..", 0, NULL, NULL), -E_NOTDIR);
    EXPECT_EQ(open_at(root, "etc/boot.conf", FS_O_DIRECTORY, NULL, NULL), -E_NOTDIR);
    EXPECT_EQ(open_at(root, "etc/boot.conf", FS_O_WRITE, NULL, NULL), -E_ROFS);
    EXPECT_EQ(open_at(root, "etc/new-file", FS_O_CREATE | FS_O_WRITE, NULL, NULL), -E_ROFS);
    EXPECT_EQ(open_at(root, "etc/boot.conf", FS_O_TRUNC, NULL, NULL), -E_ROFS);
    EXPECT_EQ(open_at(root, "etc/boot.conf", 0x100, NULL, NULL), -E_INVAL);

    /* A name of FS_NAME_MAX bytes is merely missing; one more is too long. */
    char path[FS_NAME_MAX + 8];
    memset(path, 'n', FS_NAME_MAX);
    path[FS_NAME_MAX] = 0;
    EXPECT_EQ(open_at(root, path, 0, NULL, NULL), -E_NOENT);
    path[FS_NAME_MAX] = 'n';
    path[FS_NAME_MAX + 1] = 0;
    EXPECT_EQ(open_at(root, path, 0, NULL, NULL), -E_NAMETOOLONG);
    /* ... also below a directory. */
    char deeper[FS_NAME_MAX + 8];
    memcpy(deeper, "etc/", 4);
    memset(deeper + 4, 'n', FS_NAME_MAX + 1);
    deeper[FS_NAME_MAX + 5] = 0;
    EXPECT_EQ(open_at(root, deeper, 0, NULL, NULL), -E_NAMETOOLONG);

    /* read on a directory, readdir on a file. */
    size_t got;
    char name[FS_READDIR_NAME_MAX];
    uint32_t kind;
    uint64_t size;
    EXPECT_EQ(fs_read(root, 0, 10, buf, sizeof(buf), &got), -E_ISDIR);
    f = open_at(root, "etc", 0, NULL, NULL);
    EXPECT(f > 0);
    EXPECT_EQ(fs_read((handle_t)f, 0, 10, buf, sizeof(buf), &got), -E_ISDIR);
    close_h(f);
    f = open_at(root, BOOT_CONF, 0, NULL, NULL);
    EXPECT(f > 0);
    EXPECT_EQ(fs_readdir((handle_t)f, 0, name, sizeof(name), &kind, &size), -E_NOTDIR);
    close_h(f);
}

static void test_file_handle_is_confined(void) {
    long f = open_at(root, "servers/init", 0, NULL, NULL);
    EXPECT(f > 0);
    static const char *const paths[] = {"../bootfs", "..", ".", "bootfs", "/", "/servers/bootfs", "x/"};
    for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        EXPECT_EQ(open_at((handle_t)f, paths[i], 0, NULL, NULL), -E_NOTDIR);
    /* "" names the file itself: no more than the handle already gives. */
    uint32_t kind = 0;
    long self = open_at((handle_t)f, "", 0, &kind, NULL);
    EXPECT(self > 0 && kind == FS_KIND_FILE);
    close_h(self);
    /* It cannot be copied (so nobody can re-badge it), only moved. */
    struct handle_info info;
    EXPECT_EQ(sys_handle_info((handle_t)f, &info), 0);
    EXPECT(info.type == KOBJ_ENDPOINT && !(info.rights & RIGHT_DUP) && (info.rights & RIGHT_TRANSFER));
    EXPECT_EQ(sys_handle_dup((handle_t)f, RIGHT_SEND, 0), -E_PERM);
    close_h(f);
}

static void test_pass_file_to_child(void) {
    long f = open_at(root, BOOT_CONF, 0, NULL, NULL);
    EXPECT(f > 0);
    char args[64];
    fmt_snprintf(args, sizeof(args), "child %zu %u", conf_len, fnv1a(conf, conf_len));
    handle_t task = spawn_child(args, (handle_t)f);   /* moves f */
    EXPECT_EQ(guest_wait_task(task, CHILD_TIMEOUT), 0);
    struct handle_info info;
    EXPECT_EQ(sys_handle_info((handle_t)f, &info), -E_BADH);
    close_h(task);
}

static void test_pass_dir_to_child(void) {
    long d = open_at(root, "servers", FS_O_DIRECTORY, NULL, NULL);
    EXPECT(d > 0);
    handle_t task = spawn_child("childdir", (handle_t)d);
    EXPECT_EQ(guest_wait_task(task, CHILD_TIMEOUT), 0);
    close_h(task);
}

/* A raw call: the kernel's error or the reply's label. */
static long raw_call(handle_t h, struct ipc_msg *m) {
    long err = ipc_call(h, m);
    return err < 0 ? err : m->label;
}

static void test_garbage(void) {
    struct ipc_msg m;
    long f = open_at(root, BOOT_CONF, 0, NULL, NULL);
    EXPECT(f > 0);

    /* A path without its NUL. */
    memset(&m, 0, sizeof(m));
    m.label = FS_OPEN_LABEL;
    m.len = IPC_DATA_MAX;
    memset(m.data + 4, 'a', IPC_DATA_MAX - 4);
    EXPECT_EQ(raw_call(root, &m), -E_INVAL);
    /* A read that is too short, a stat with trailing bytes. */
    memset(&m, 0, sizeof(m));
    m.label = FS_READ_LABEL;
    m.len = 5;
    EXPECT_EQ(raw_call((handle_t)f, &m), -E_INVAL);
    memset(&m, 0, sizeof(m));
    m.label = FS_STAT_LABEL;
    m.len = 3;
    EXPECT_EQ(raw_call((handle_t)f, &m), -E_INVAL);
    /* Labels nobody serves. */
    static const int32_t labels[] = {FS_INTERFACE_ID << 8, (FS_INTERFACE_ID << 8) | 0x99, 0x7777, 1, -5};
    for (unsigned i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        memset(&m, 0, sizeof(m));
        m.label = labels[i];
        EXPECT_EQ(raw_call(root, &m), -E_NOSYS);
    }
    /* A handle where none belongs: refused, and it is gone (the server closed it). */
    long junk = sys_endpoint_create();
    memset(&m, 0, sizeof(m));
    m.label = FS_STAT_LABEL;
    m.nhandles = 1;
    m.handles[0] = (handle_t)junk;
    EXPECT_EQ(raw_call((handle_t)f, &m), -E_INVAL);
    struct handle_info info;
    EXPECT_EQ(sys_handle_info((handle_t)junk, &info), -E_BADH);
    /* An rpc sent without waiting for the reply: dropped, the server goes on. */
    memset(&m, 0, sizeof(m));
    m.label = FS_STAT_LABEL;
    EXPECT_EQ(ipc_send((handle_t)f, &m), 0);

    /* Huge lengths and offsets. */
    size_t got = 0;
    EXPECT_EQ(fs_read((handle_t)f, 0, 0xffffffffu, buf, FS_READ_DATA_MAX, &got), 0);
    EXPECT_EQ(got, conf_len < FS_READ_DATA_MAX ? conf_len : FS_READ_DATA_MAX);
    EXPECT_EQ(fs_read((handle_t)f, 0x8000000000000000ull, 1, buf, sizeof(buf), &got), 0);
    EXPECT_EQ(got, 0);
    /* A reply larger than the caller's buffer. */
    EXPECT_EQ(fs_read((handle_t)f, 0, 100, buf, 10, &got), -E_RANGE);
    /* A path too long for one message never leaves the client. */
    char path[300];
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = 0;
    EXPECT_EQ(open_at(root, path, 0, NULL, NULL), -E_INVAL);
    /* The longest path a message holds: many short missing components. */
    char longest[FS_OPEN_PATH_MAX];
    for (size_t i = 0; i < sizeof(longest) - 1; i++)
        longest[i] = (i % 2) ? '/' : 'd';
    longest[sizeof(longest) - 1] = 0;
    EXPECT_EQ(open_at(root, longest, 0, NULL, NULL), -E_NOENT);

    /* Still serving. */
    uint32_t kind = 0;
    uint64_t size = 0;
    EXPECT_EQ(fs_stat((handle_t)f, &kind, &size, NULL, NULL), 0);
    EXPECT(kind == FS_KIND_FILE && size == conf_len);
    close_h(f);
}

/* Many opens: the server must give every handle away and keep none. */
static void test_many_opens(void) {
    for (int i = 0; i < 600; i++) {
        long f = open_at(root, (i & 1) ? BOOT_CONF : "servers", 0, NULL, NULL);
        if (f < 0) {
            EXPECT_EQ(f, 0);
            break;
        }
        close_h(f);
    }
    /* Hold a few at once, too. */
    long held[40];
    for (int i = 0; i < 40; i++) {
        held[i] = open_at(root, BOOT_CONF, 0, NULL, NULL);
        EXPECT(held[i] > 0);
    }
    for (int i = 0; i < 40; i++) {
        size_t got = 0;
        EXPECT_EQ(fs_read((handle_t)held[i], (uint64_t)i, 1, buf, 1, &got), 0);
        EXPECT(got == 1 && buf[0] == conf[i]);
        close_h(held[i]);
    }
}

/* ---- the children ---- */

static int child_fail(const char *what, long got) {
    log_printf("fstest-child: %s (got %ld)\n", what, got);
    return 1;
}

/* argv: child LEN HASH; given: a file handle to etc/boot.conf. */
static int child_file(int argc, char **argv) {
    handle_t f = startup.given;
    if (argc < 4 || f == HANDLE_NONE)
        return child_fail("no file handle or arguments", argc);
    uint64_t want_len = parse_u64(argv[2]);
    uint32_t want_hash = (uint32_t)parse_u64(argv[3]);
    uint32_t kind = 0;
    uint64_t size = 0;
    long err = fs_stat(f, &kind, &size, NULL, NULL);
    if (err < 0 || kind != FS_KIND_FILE || size != want_len)
        return child_fail("stat of the given file", err < 0 ? err : (long)size);
    long n = read_all(f, buf, sizeof(buf), 100);
    if (n != (long)want_len || fnv1a(buf, (size_t)n) != want_hash)
        return child_fail("contents of the given file", n);
    err = open_at(f, "../init", 0, NULL, NULL);
    if (err != -E_NOTDIR)
        return child_fail("a sibling opened through a file handle", err);
    return 0;
}

/* given: a handle to the servers directory. */
static int child_dir(void) {
    handle_t d = startup.given;
    uint32_t kind = 0;
    if (d == HANDLE_NONE)
        return child_fail("no directory handle", 0);
    long f = open_at(d, "init", 0, &kind, NULL);
    if (f < 0 || kind != FS_KIND_FILE)
        return child_fail("open init in the given directory", f);
    close_h(f);
    f = open_at(d, "../etc/boot.conf", 0, NULL, NULL);
    if (f != -E_NOENT)
        return child_fail("a file above the given directory", f);
    f = open_at(d, "/etc/boot.conf", 0, NULL, NULL);
    if (f != -E_NOENT)
        return child_fail("an absolute path escaping the given directory", f);
    char name[FS_READDIR_NAME_MAX];
    uint64_t size;
    long err = fs_readdir(d, 0, name, sizeof(name), &kind, &size);
    if (err < 0)
        return child_fail("readdir of the given directory", err);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "child"))
        return child_file(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "childdir"))
        return child_dir();

    run("lookup_root", test_lookup_root);
    if (root == HANDLE_NONE) {
        return guest_done();
    }
    run("open_read", test_open_read);
    run("read_chunks", test_read_chunks);
    run("stat_sizes", test_stat_sizes);
    run("readdir_root", test_readdir_root);
    run("readdir_servers", test_readdir_servers);
    run("nested_open", test_nested_open);
    run("errors", test_errors);
    run("file_handle_is_confined", test_file_handle_is_confined);
    run("pass_file_to_child", test_pass_file_to_child);
    run("pass_dir_to_child", test_pass_dir_to_child);
    run("garbage", test_garbage);
    run("many_opens", test_many_opens);
    return guest_done();
}
