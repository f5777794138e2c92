/*
 * Tests for libs/common/tar.c: archives made by the host tar, hand-built
 * headers for each error case, and fuzzing (mutated and truncated archives
 * in exact-size heap buffers, so ASan catches any out-of-bounds read).
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <common/tar.h>

/* ---- Hand-built archives ---- */

static void put_octal(unsigned char *f, size_t len, uint64_t v)
{
    char tmp[32];

    snprintf(tmp, sizeof(tmp), "%0*llo", (int)(len - 1), (unsigned long long)v);
    memcpy(f, tmp, len - 1);
    f[len - 1] = 0;
}

static void set_checksum(unsigned char *h)
{
    unsigned sum = 0;

    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
}

/* Writes a POSIX ustar header for (name, type, size) at h. */
static void make_header(unsigned char *h, const char *name, char type,
                        uint64_t size)
{
    memset(h, 0, 512);
    memcpy(h, name, strnlen(name, 100));
    put_octal(h + 100, 8, type == '5' ? 0755 : 0644);
    put_octal(h + 108, 8, 1000);
    put_octal(h + 116, 8, 1000);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 1700000000);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    set_checksum(h);
}

struct builder {
    unsigned char buf[64 * 512];
    size_t len;
};

static unsigned char *add_entry(struct builder *b, const char *name, char type,
                                const char *data, size_t size)
{
    unsigned char *h = b->buf + b->len;

    make_header(h, name, type, size);
    b->len += 512;
    memset(b->buf + b->len, 0, (size + 511) & ~(size_t)511);
    if (data)
        memcpy(b->buf + b->len, data, size);
    b->len += (size + 511) & ~(size_t)511;
    return h;
}

static void add_end(struct builder *b)
{
    memset(b->buf + b->len, 0, 1024);
    b->len += 1024;
}

/* Copies into an exact-size heap buffer so ASan sees overruns. */
static unsigned char *exact(const void *p, size_t n)
{
    unsigned char *q = malloc(n ? n : 1);
    memcpy(q, p, n);
    return q;
}

static int count_entries(const void *a, size_t n, int *last)
{
    struct tar t;
    struct tar_entry e;
    int count = 0, r;

    tar_open(&t, a, n);
    while ((r = tar_next(&t, &e)) == TAR_OK)
        count++;
    *last = r;
    return count;
}

static struct builder b;

TEST(basic_built_archive)
{
    struct tar_entry e;
    struct tar t;
    int last;

    b.len = 0;
    add_entry(&b, "./", '5', NULL, 0);
    add_entry(&b, "./servers/", '5', NULL, 0);
    add_entry(&b, "./servers/init", '0', "INIT", 4);
    add_entry(&b, "/etc/motd", '0', "hello\n", 6);
    add_entry(&b, "empty", 0, NULL, 0);
    unsigned char *h = add_entry(&b, "link", '2', NULL, 0);
    memcpy(h + 157, "servers/init", 12);
    set_checksum(h);
    add_end(&b);

    unsigned char *a = exact(b.buf, b.len);
    CHECK(count_entries(a, b.len, &last) == 6);
    CHECK(last == TAR_END);

    tar_open(&t, a, b.len);
    CHECK(tar_next(&t, &e) == TAR_OK);
    CHECK_STR(e.name, "");
    CHECK(e.type == TAR_DIR && e.mode == 0755 && e.size == 0);
    CHECK(tar_next(&t, &e) == TAR_OK);
    CHECK_STR(e.name, "servers");
    CHECK(e.type == TAR_DIR);
    CHECK(tar_next(&t, &e) == TAR_OK);
    CHECK_STR(e.name, "servers/init");
    CHECK(e.type == TAR_FILE && e.size == 4 && e.mode == 0644);
    CHECK(memcmp(e.data, "INIT", 4) == 0);
    CHECK(e.mtime == 1700000000);
    CHECK(tar_next(&t, &e) == TAR_OK);
    CHECK_STR(e.name, "etc/motd");
    CHECK(tar_next(&t, &e) == TAR_OK);
    CHECK(e.type == TAR_FILE && e.typeflag == 0 && e.size == 0);
    CHECK(tar_next(&t, &e) == TAR_OK);
    CHECK(e.type == TAR_SYMLINK);
    CHECK_STR(e.link, "servers/init");
    CHECK(tar_next(&t, &e) == TAR_END);
    CHECK(tar_next(&t, &e) == TAR_END);   /* sticky */

    CHECK(tar_find(a, b.len, "servers/init", &e) == TAR_OK);
    CHECK(memcmp(e.data, "INIT", 4) == 0);
    CHECK(tar_find(a, b.len, "/servers/init", &e) == TAR_OK);
    CHECK(tar_find(a, b.len, "./servers/init", &e) == TAR_OK);
    CHECK(tar_find(a, b.len, "//.//servers/init", &e) == TAR_OK);
    CHECK(tar_find(a, b.len, "servers/", &e) == TAR_OK && e.type == TAR_DIR);
    CHECK(tar_find(a, b.len, "etc/motd", &e) == TAR_OK && e.size == 6);
    CHECK(tar_find(a, b.len, "servers/ini", &e) == TAR_ERR_NOTFOUND);
    CHECK(tar_find(a, b.len, "servers/init2", &e) == TAR_ERR_NOTFOUND);
    CHECK(tar_find(a, b.len, "nope", &e) == TAR_ERR_NOTFOUND);
    CHECK(tar_find(a, b.len, NULL, &e) == TAR_ERR_ARG);
    free(a);
}

TEST(end_conditions)
{
    struct tar_entry e;
    int last;

    /* Empty input, only zero blocks, no terminator at all. */
    CHECK(count_entries(NULL, 0, &last) == 0 && last == TAR_END);
    CHECK(tar_find(NULL, 0, "x", &e) == TAR_ERR_NOTFOUND);
    b.len = 0;
    add_end(&b);
    CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_END);

    b.len = 0;
    add_entry(&b, "a", '0', "abc", 3);
    unsigned char *a = exact(b.buf, b.len);
    CHECK(count_entries(a, b.len, &last) == 1 && last == TAR_END);
    free(a);

    /* Data present but the padding of the last block cut off. */
    a = exact(b.buf, 512 + 3);
    CHECK(count_entries(a, 512 + 3, &last) == 1 && last == TAR_END);
    free(a);

    /* Data itself cut off. */
    a = exact(b.buf, 512 + 2);
    CHECK(count_entries(a, 512 + 2, &last) == 0 && last == TAR_ERR_BOUNDS);
    free(a);

    /* Header cut off. */
    for (size_t n = 1; n < 512; n += 37) {
        a = exact(b.buf, n);
        CHECK(count_entries(a, n, &last) == 0 && last == TAR_ERR_TRUNCATED);
        free(a);
    }

    /* A partial block after a complete entry. */
    b.len = 0;
    add_entry(&b, "a", '0', "abc", 3);
    add_entry(&b, "b", '0', "abc", 3);
    a = exact(b.buf, 1024 + 100);
    CHECK(count_entries(a, 1024 + 100, &last) == 1 && last == TAR_ERR_TRUNCATED);
    free(a);

    CHECK(tar_next(NULL, &e) == TAR_ERR_ARG);
    CHECK(tar_find(NULL, 512, "x", &e) == TAR_ERR_ARG);
}

TEST(strerror)
{
    for (int err = -8; err <= 1; err++)
        CHECK(tar_strerror(err) != NULL && tar_strerror(err)[0] != 0);
    CHECK_STR(tar_strerror(TAR_ERR_CHECKSUM), "bad header checksum");
    CHECK_STR(tar_strerror(12345), "unknown tar error");
}

TEST(header_errors)
{
    struct tar_entry e;
    unsigned char *h;
    int last;

    /* Bad checksum. */
    b.len = 0;
    h = add_entry(&b, "f", '0', "x", 1);
    add_end(&b);
    h[0] = 'g';
    CHECK(tar_find(b.buf, b.len, "g", &e) == TAR_ERR_CHECKSUM);
    /* Checksum field garbage. */
    make_header(h, "f", '0', 1);
    memcpy(h + 148, "zzzzzz\0 ", 8);
    CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_ERR_CHECKSUM);

    /* Bad magic (checksum fixed up so magic is what fails). */
    make_header(h, "f", '0', 1);
    memcpy(h + 257, "ustaR", 5);
    set_checksum(h);
    CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_ERR_MAGIC);

    /* Garbage in the size field. */
    static const char bad_sizes[][13] = { "0000000001x", "           ", "00000000008",
                                       "\x80\0\0\0\0\0\0\0\0\0\0\x01", "1 2" };
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        make_header(h, "f", '0', 1);
        memset(h + 124, 0, 12);
        memcpy(h + 124, bad_sizes[i], 12);
        set_checksum(h);
        CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_ERR_FIELD);
    }
    /* Leading spaces and a space terminator are fine. */
    make_header(h, "f", '0', 1);
    memcpy(h + 124, "         1 ", 12);
    set_checksum(h);
    CHECK(tar_find(b.buf, b.len, "f", &e) == TAR_OK && e.size == 1);
    /* Bad mode. */
    make_header(h, "f", '0', 1);
    memcpy(h + 100, "07x4", 4);
    set_checksum(h);
    CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_ERR_FIELD);

    /* Size pointing past the end, including a huge one. */
    static const uint64_t big[] = { 2048, 1ull << 33, 077777777777ull };
    for (size_t i = 0; i < 3; i++) {
        make_header(h, "f", '0', big[i]);
        CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_ERR_BOUNDS);
    }
    /* Twelve octal digits, no terminator: the largest value the field holds. */
    make_header(h, "f", '0', 1);
    memcpy(h + 124, "777777777777", 12);
    set_checksum(h);
    CHECK(count_entries(b.buf, b.len, &last) == 0 && last == TAR_ERR_BOUNDS);

    /* Directories and links have no data even if size says so. */
    make_header(h, "d/", '5', 99999);
    CHECK(tar_find(b.buf, b.len, "d", &e) == TAR_OK && e.size == 0);
}

TEST(long_names)
{
    struct tar_entry e;
    char name[101], prefix[156], path[300];
    unsigned char *h;

    /* name exactly 100 bytes: no NUL terminator in the header. */
    memset(name, 'n', 100);
    name[100] = 0;
    b.len = 0;
    h = add_entry(&b, name, '0', "x", 1);
    add_end(&b);
    CHECK(tar_find(b.buf, b.len, name, &e) == TAR_OK);
    CHECK(strlen(e.name) == 100);

    /* prefix exactly 155 bytes (no NUL) + name 100 bytes. */
    memset(prefix, 'p', 155);
    prefix[155] = 0;
    memcpy(h + 345, prefix, 155);
    set_checksum(h);
    snprintf(path, sizeof(path), "/%s/%s", prefix, name);
    CHECK(tar_find(b.buf, b.len, path, &e) == TAR_OK);
    CHECK(strlen(e.name) == 256);
    CHECK(strncmp(e.name, prefix, 155) == 0 && e.name[155] == '/');

    /* Old GNU headers ("ustar  ") use the prefix area for other things. */
    memcpy(h + 257, "ustar  ", 8);
    set_checksum(h);
    CHECK(tar_find(b.buf, b.len, name, &e) == TAR_OK);

    /* A checksum computed with signed chars (historic tars) is accepted. */
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    h[300] = 0xe9;
    memset(h + 148, ' ', 8);
    int ssum = 0;
    for (int i = 0; i < 512; i++)
        ssum += (signed char)h[i];
    snprintf((char *)h + 148, 8, "%06o", ssum);
    CHECK(tar_find(b.buf, b.len, path, &e) == TAR_OK);

    /* A query longer than any entry name just does not match. */
    char huge[1000];
    memset(huge, 'p', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = 0;
    CHECK(tar_find(b.buf, b.len, huge, &e) == TAR_ERR_NOTFOUND);
}

/* ---- Archives made by the host tar ---- */

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p;
    long len;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(len > 0 ? (size_t)len : 1);
    if (fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return p;
}

static char tmpdir[] = "/tmp/test_common_tar.XXXXXX";
static unsigned char *host_ar;
static size_t host_len;
static char long_dir[200];

static void write_file(const char *rel, const char *content, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/root/%s", tmpdir, rel);
    f = fopen(path, "wb");
    if (f) {
        fwrite(content, 1, n, f);
        fclose(f);
    }
}

/* Builds the archive once; returns NULL if the host tar is unusable. */
static unsigned char *host_archive(size_t *n)
{
    char cmd[1024], path[512];

    if (host_ar) {
        *n = host_len;
        return host_ar;
    }
    if (!mkdtemp(tmpdir))
        return NULL;
    /* A directory path over 100 characters forces the ustar prefix field. */
    snprintf(long_dir, sizeof(long_dir), "%s/%s",
             "a_rather_long_directory_name_that_goes_on_and_on_0123456789",
             "and_another_long_directory_name_to_pass_one_hundred_chars");
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/root/servers %s/root/%s", tmpdir,
             tmpdir, long_dir);
    if (system(cmd) != 0)
        return NULL;
    write_file("servers/init", "\x7f" "ELF fake init", 14);
    static char big[5000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    write_file("servers/big", big, sizeof(big));
    write_file("exact512", big, 512);
    write_file("empty", "", 0);
    snprintf(path, sizeof(path), "%s/deep_file", long_dir);
    write_file(path, "deep", 4);
    snprintf(cmd, sizeof(cmd),
             "cd %s/root && ln -s servers/init initlink && "
             "tar --format=ustar -cf ../a.tar . 2>/dev/null", tmpdir);
    if (system(cmd) != 0)
        return NULL;
    snprintf(path, sizeof(path), "%s/a.tar", tmpdir);
    host_ar = read_file(path, &host_len);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return NULL;
    *n = host_len;
    return host_ar;
}

TEST(host_tar_archive)
{
    struct tar_entry e;
    char path[300];
    size_t n;
    int last;
    unsigned char *a = host_archive(&n);

    CHECK(a != NULL);
    if (!a)
        return;
    /* ., servers, servers/init, servers/big, exact512, empty, initlink,
     * two long directories and the deep file. */
    CHECK(count_entries(a, n, &last) == 10);
    CHECK(last == TAR_END);

    CHECK(tar_find(a, n, "servers/init", &e) == TAR_OK);
    CHECK(e.type == TAR_FILE && e.size == 14);
    CHECK(memcmp(e.data, "\x7f" "ELF fake init", 14) == 0);
    CHECK(tar_find(a, n, "/servers/init", &e) == TAR_OK);
    CHECK(tar_find(a, n, "./servers/init", &e) == TAR_OK);
    CHECK(tar_find(a, n, "servers", &e) == TAR_OK && e.type == TAR_DIR);

    CHECK(tar_find(a, n, "servers/big", &e) == TAR_OK && e.size == 5000);
    const char *d = e.data;
    for (size_t i = 0; i < 5000; i++)
        CHECK(d[i] == (char)('a' + i % 26));
    CHECK(tar_find(a, n, "exact512", &e) == TAR_OK && e.size == 512);
    CHECK(tar_find(a, n, "empty", &e) == TAR_OK && e.size == 0);
    CHECK(tar_find(a, n, "initlink", &e) == TAR_OK && e.type == TAR_SYMLINK);
    CHECK_STR(e.link, "servers/init");

    snprintf(path, sizeof(path), "%s/deep_file", long_dir);
    CHECK(strlen(path) > 100);
    CHECK(tar_find(a, n, path, &e) == TAR_OK);
    CHECK(e.size == 4 && memcmp(e.data, "deep", 4) == 0);
    CHECK(tar_find(a, n, long_dir, &e) == TAR_OK && e.type == TAR_DIR);
}

/* ---- Fuzzing ---- */

static unsigned rs = 1;

static unsigned rnd(void)
{
    rs = rs * 1103515245u + 12345u;
    return rs >> 8;
}

/* Walks everything; touches every data byte so ASan checks the bounds. */
static unsigned walk(const unsigned char *a, size_t n)
{
    struct tar t;
    struct tar_entry e;
    unsigned sum = 0;
    int guard = 0;

    tar_open(&t, a, n);
    while (tar_next(&t, &e) == TAR_OK && guard++ < 10000) {
        const unsigned char *d = e.data;
        if (strlen(e.name) >= TAR_NAME_MAX || strlen(e.link) >= TAR_LINK_MAX)
            sum = 0xdeadu;
        if (d < a || d + e.size > a + n)
            sum = 0xdeadu;
        for (uint64_t i = 0; i < e.size; i++)
            sum += d[i];
    }
    return sum;
}

TEST(fuzz_mutations)
{
    size_t n;
    unsigned char *orig = host_archive(&n);
    size_t hdrs[64];
    int nh = 0;

    CHECK(orig != NULL);
    if (!orig)
        return;
    /* Header offsets of the original, to fix checksums after mutation. */
    {
        struct tar t;
        struct tar_entry e;
        tar_open(&t, orig, n);
        size_t off = 0;
        while (nh < 64 && (off = t.off, tar_next(&t, &e)) == TAR_OK)
            hdrs[nh++] = off;
    }

    for (int iter = 0; iter < 20000; iter++) {
        size_t len = n;
        if (rnd() % 3 == 0)
            len = rnd() % (n + 1);
        unsigned char *a = exact(orig, len);

        int muts = 1 + (int)(rnd() % 8);
        for (int m = 0; m < muts && len > 0; m++) {
            size_t at;
            if (rnd() % 2 && nh > 0) {
                /* Aim at the header fields that matter. */
                static const size_t fields[] = { 0, 99, 100, 124, 130, 135, 148,
                                                 156, 157, 257, 262, 345, 499 };
                at = hdrs[rnd() % nh] + fields[rnd() % 13] + rnd() % 12;
            } else {
                at = rnd() % len;
            }
            if (at >= len)
                continue;
            switch (rnd() % 4) {
            case 0: a[at] = (unsigned char)rnd(); break;
            case 1: a[at] = 0; break;
            case 2: a[at] = (unsigned char)('0' + rnd() % 10); break;
            case 3: a[at] = 0xff; break;
            }
        }
        /* Usually repair the checksums so the mutation gets past them. */
        if (rnd() % 4 != 0)
            for (int i = 0; i < nh; i++)
                if (hdrs[i] + 512 <= len)
                    set_checksum(a + hdrs[i]);

        CHECK(walk(a, len) != 0xdeadu);
        struct tar_entry e;
        int r = tar_find(a, len, "servers/big", &e);
        CHECK(r <= 0);
        if (r == TAR_OK)
            CHECK((const unsigned char *)e.data + e.size <= a + len);
        free(a);
    }
}

TEST(fuzz_random_headers)
{
    /* Fully random blocks with a valid checksum and magic. */
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 512 * (1 + rnd() % 4) + (rnd() % 2 ? rnd() % 512 : 0);
        unsigned char *a = malloc(len);
        for (size_t i = 0; i < len; i++)
            a[i] = (unsigned char)rnd();
        for (size_t off = 0; off + 512 <= len; off += 512) {
            if (rnd() % 2) {
                memcpy(a + off + 257, "ustar", 6);
                if (rnd() % 2)
                    put_octal(a + off + 124, 12, rnd() % 3000);
                if (rnd() % 2)
                    put_octal(a + off + 100, 8, rnd() % 07777);
            }
            set_checksum(a + off);
        }
        CHECK(walk(a, len) != 0xdeadu);
        free(a);
    }
}

TEST_MAIN()
