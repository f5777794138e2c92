/*
 * Tests for libs/common/elf.c: a hand-built ET_EXEC image, one error case per
 * check, a real static executable linked by the host gcc, and fuzzing of the
 * image in exact-size heap buffers (ASan catches out-of-bounds reads).
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <common/elf.h>

#define IMG_SIZE 0x1100
#define LIMIT ELF_USER_LIMIT

static void w16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void w32(unsigned char *p, uint32_t v)
{
    w16(p, (uint16_t)v);
    w16(p + 2, (uint16_t)(v >> 16));
}

static void w64(unsigned char *p, uint64_t v)
{
    w32(p, (uint32_t)v);
    w32(p + 4, (uint32_t)(v >> 32));
}

static unsigned char *phdr(unsigned char *img, int i)
{
    return img + 64 + 56 * i;
}

static void set_phdr(unsigned char *img, int i, uint32_t type, uint32_t flags,
                     uint64_t off, uint64_t vaddr, uint64_t filesz,
                     uint64_t memsz, uint64_t align)
{
    unsigned char *p = phdr(img, i);

    w32(p, type);
    w32(p + 4, flags);
    w64(p + 8, off);
    w64(p + 16, vaddr);
    w64(p + 24, vaddr);
    w64(p + 32, filesz);
    w64(p + 40, memsz);
    w64(p + 48, align);
}

/*
 * A small valid executable:
 *   0: text  off 0      vaddr 0x400000 filesz 0x1000 memsz 0x1000 R X
 *   1: data  off 0x1000 vaddr 0x402000 filesz 0x100  memsz 0x3000 R W
 *   2: TLS   off 0x1000 vaddr 0x402000 filesz 0x10   memsz 0x40   align 16
 *   3: GNU_STACK
 * entry 0x400100; program headers at file offset 64.
 */
#define NPH 4
static void build(unsigned char *img)
{
    memset(img, 0, IMG_SIZE);
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = 2;   /* ELFCLASS64 */
    img[5] = 1;   /* little endian */
    img[6] = 1;   /* EV_CURRENT */
    w16(img + 16, 2);    /* ET_EXEC */
    w16(img + 18, 62);   /* EM_X86_64 */
    w32(img + 20, 1);
    w64(img + 24, 0x400100);
    w64(img + 32, 64);   /* phoff */
    w16(img + 52, 64);
    w16(img + 54, 56);
    w16(img + 56, NPH);
    set_phdr(img, 0, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, 0, 0x400000, 0x1000,
             0x1000, 0x1000);
    set_phdr(img, 1, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x1000, 0x402000,
             0x100, 0x3000, 0x1000);
    set_phdr(img, 2, ELF_PT_TLS, ELF_PF_R, 0x1000, 0x402000, 0x10, 0x40, 16);
    set_phdr(img, 3, 0x6474e551, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0, 16);
    for (int i = 0x100; i < 0x1000; i++)
        img[i] = 0x90;
    for (int i = 0x1000; i < IMG_SIZE; i++)
        img[i] = (unsigned char)i;
}

static unsigned char *exact(const void *p, size_t n)
{
    unsigned char *q = malloc(n ? n : 1);
    memcpy(q, p, n);
    return q;
}

static int parse_copy(const unsigned char *img, size_t n)
{
    struct elf_image ei;
    unsigned char *a = exact(img, n);
    int r = elf_parse(&ei, a, n, LIMIT);

    free(a);
    return r;
}

static unsigned char base[IMG_SIZE];
static unsigned char img[IMG_SIZE];

TEST(valid_image)
{
    struct elf_image ei;
    struct elf_segment s;
    size_t it = 0;

    build(base);
    unsigned char *a = exact(base, IMG_SIZE);
    CHECK(elf_parse(&ei, a, IMG_SIZE, LIMIT) == ELF_OK);
    CHECK(ei.entry == 0x400100);
    CHECK(ei.phnum == NPH && ei.phentsize == 56 && ei.phoff == 64);
    CHECK(ei.phdr_vaddr == 0x400040);
    CHECK(ei.nload == 2);
    CHECK(ei.lo == 0x400000 && ei.hi == 0x405000);
    CHECK(ei.has_tls);
    CHECK(ei.tls.vaddr == 0x402000 && ei.tls.filesz == 0x10 &&
          ei.tls.memsz == 0x40 && ei.tls.align == 16);
    CHECK(ei.tls.data == a + 0x1000);

    CHECK(elf_next_load(&ei, &it, &s));
    CHECK(s.vaddr == 0x400000 && s.memsz == 0x1000 && s.filesz == 0x1000);
    CHECK(s.offset == 0 && s.flags == (ELF_PF_R | ELF_PF_X) && s.data == a);
    CHECK(elf_next_load(&ei, &it, &s));
    CHECK(s.vaddr == 0x402000 && s.memsz == 0x3000 && s.filesz == 0x100);
    CHECK(s.flags == (ELF_PF_R | ELF_PF_W) && s.data == a + 0x1000);
    CHECK(!elf_next_load(&ei, &it, &s));
    CHECK(!elf_next_load(&ei, &it, &s));
    free(a);

    /* A segment may end exactly at the limit. */
    memcpy(img, base, IMG_SIZE);
    set_phdr(img, 1, ELF_PT_LOAD, ELF_PF_R, 0x1000, LIMIT - 0x1000, 0x100,
             0x1000, 0x1000);
    set_phdr(img, 2, ELF_PT_NULL, 0, 0, 0, 0, 0, 0);
    CHECK(parse_copy(img, IMG_SIZE) == ELF_OK);
    CHECK(elf_parse(&ei, img, IMG_SIZE, 0x403000) == ELF_ERR_SEG_ADDR);
}

/* Applies one corruption to a fresh copy and checks the error. */
#define EXPECT(err, stmt)                                   \
    do {                                                    \
        memcpy(img, base, IMG_SIZE);                        \
        stmt;                                               \
        int r_ = parse_copy(img, IMG_SIZE);                 \
        if (r_ != (err))                                    \
            printf("  %s: got %d (%s)\n", #stmt, r_, elf_strerror(r_)); \
        CHECK(r_ == (err));                                 \
    } while (0)

TEST(header_errors)
{
    struct elf_image ei;

    build(base);
    CHECK(elf_parse(NULL, base, IMG_SIZE, LIMIT) == ELF_ERR_ARG);
    CHECK(elf_parse(&ei, NULL, IMG_SIZE, LIMIT) == ELF_ERR_ARG);
    for (size_t n = 0; n < 64; n++)
        CHECK(parse_copy(base, n) == ELF_ERR_TRUNCATED);
    /* The program header table must be inside the file. */
    CHECK(parse_copy(base, 64 + 56 * NPH - 1) == ELF_ERR_PHDR);

    EXPECT(ELF_ERR_MAGIC, img[1] = 'e');
    EXPECT(ELF_ERR_MAGIC, img[0] = 0);
    EXPECT(ELF_ERR_CLASS, img[4] = 1);
    EXPECT(ELF_ERR_DATA, img[5] = 2);
    EXPECT(ELF_ERR_VERSION, img[6] = 0);
    EXPECT(ELF_ERR_VERSION, w32(img + 20, 2));
    EXPECT(ELF_ERR_TYPE, w16(img + 16, 3));   /* ET_DYN */
    EXPECT(ELF_ERR_TYPE, w16(img + 16, 1));   /* ET_REL */
    EXPECT(ELF_ERR_MACHINE, w16(img + 18, 3));
    EXPECT(ELF_ERR_PHDR, w16(img + 54, 32));
    EXPECT(ELF_ERR_PHDR, w16(img + 52, 52));
    EXPECT(ELF_ERR_PHDR, w16(img + 56, 0xffff));
    EXPECT(ELF_ERR_PHDR, w16(img + 56, 200));
    EXPECT(ELF_ERR_PHDR, w64(img + 32, IMG_SIZE));
    EXPECT(ELF_ERR_PHDR, w64(img + 32, UINT64_MAX - 100));
    EXPECT(ELF_ERR_PHDR, w64(img + 32, IMG_SIZE - 56 * NPH + 1));
    EXPECT(ELF_ERR_NOLOAD, w16(img + 56, 0));
    EXPECT(ELF_ERR_ENTRY, w64(img + 24, 0x3fffff));
    EXPECT(ELF_ERR_ENTRY, w64(img + 24, 0x401000));
    EXPECT(ELF_ERR_ENTRY, w64(img + 24, 0x402000));   /* data: not executable */
    EXPECT(ELF_OK, w64(img + 24, 0x400fff));
}

TEST(segment_errors)
{
    build(base);
    EXPECT(ELF_ERR_NOLOAD, (w32(phdr(img, 0), ELF_PT_NULL),
                            w32(phdr(img, 1), ELF_PT_NOTE)));
    EXPECT(ELF_ERR_SEG_SIZE, w64(phdr(img, 1) + 32, 0x3001));
    EXPECT(ELF_ERR_SEG_FILE, w64(phdr(img, 1) + 32, 0x101));
    EXPECT(ELF_ERR_SEG_FILE, w64(phdr(img, 0) + 8, UINT64_MAX - 0xfff));
    EXPECT(ELF_ERR_SEG_FILE, (w64(phdr(img, 1) + 8, 0x2000),
                              w64(phdr(img, 1) + 32, 0)));
    /* vaddr + memsz overflows 64 bits. */
    EXPECT(ELF_ERR_SEG_ADDR, (w64(phdr(img, 1) + 16, UINT64_MAX - 0xfff),
                              w64(phdr(img, 1) + 40, 0x2000)));
    /* Kernel half / non-canonical addresses are above the user limit. */
    EXPECT(ELF_ERR_SEG_ADDR, w64(phdr(img, 1) + 16, 0xffffffff80002000));
    EXPECT(ELF_ERR_SEG_ADDR, w64(phdr(img, 1) + 16, LIMIT));
    EXPECT(ELF_ERR_SEG_ADDR, w64(phdr(img, 1) + 16, LIMIT - 0x2000));
    EXPECT(ELF_ERR_SEG_ALIGN, w64(phdr(img, 1) + 16, 0x402010));
    EXPECT(ELF_ERR_SEG_ALIGN, w64(phdr(img, 1) + 48, 0x1800));
    EXPECT(ELF_ERR_SEG_ALIGN, (w64(phdr(img, 1) + 16, 0x404000),
                               w64(phdr(img, 1) + 48, 0x2000)));
    EXPECT(ELF_OK, w64(phdr(img, 1) + 48, 0));
    EXPECT(ELF_OK, w64(phdr(img, 1) + 48, 1));
    /* Overlapping and unsorted segments. */
    EXPECT(ELF_ERR_OVERLAP, w64(phdr(img, 1) + 16, 0x400000));
    EXPECT(ELF_ERR_OVERLAP, (w64(phdr(img, 0) + 40, 0x2001),
                             w64(phdr(img, 0) + 32, 0x1000)));
    EXPECT(ELF_OK, w64(phdr(img, 0) + 40, 0x2000));   /* touching is fine */
    EXPECT(ELF_ERR_OVERLAP, w64(phdr(img, 1) + 16, 0x300000));
    /* Dynamic executables and bad TLS. */
    EXPECT(ELF_ERR_INTERP, w32(phdr(img, 3), ELF_PT_INTERP));
    EXPECT(ELF_ERR_TLS, w32(phdr(img, 3), ELF_PT_TLS));   /* second TLS */
    EXPECT(ELF_ERR_TLS, w64(phdr(img, 2) + 32, 0x41));
    EXPECT(ELF_ERR_TLS, w64(phdr(img, 2) + 48, 12));
    EXPECT(ELF_ERR_TLS, w64(phdr(img, 2) + 8, IMG_SIZE));
    EXPECT(ELF_ERR_TLS, w64(phdr(img, 2) + 16, UINT64_MAX - 8));
    EXPECT(ELF_OK, w32(phdr(img, 2), ELF_PT_NOTE));
}

TEST(strerror)
{
    for (int err = -18; err <= 0; err++) {
        const char *s = elf_strerror(err);
        CHECK(s != NULL && s[0] != 0 && strcmp(s, "unknown ELF error") != 0);
    }
    CHECK_STR(elf_strerror(-999), "unknown ELF error");
    CHECK_STR(elf_strerror(ELF_ERR_TYPE), "not a static executable (ET_EXEC)");
}

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
    if (len <= 0 || fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return p;
}

TEST(host_executables)
{
    struct elf_image ei;
    struct elf_segment s;
    size_t n, it = 0;
    unsigned char *a;

    /* The test itself is PIE (ET_DYN) or dynamically linked. */
    a = read_file("/proc/self/exe", &n);
    CHECK(a != NULL);
    if (a) {
        int r = elf_parse(&ei, a, n, LIMIT);
        CHECK(r == ELF_ERR_TYPE || r == ELF_ERR_INTERP);
        free(a);
    }

    /* A real static ET_EXEC with TLS, linked by the host toolchain. */
    char dir[] = "/tmp/test_common_elf.XXXXXX", cmd[512], path[300];
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    snprintf(path, sizeof(path), "%s/p.c", dir);
    FILE *f = fopen(path, "w");
    fputs("__thread int tv = 5; __thread int tz;\n"
          "int data[100] = {1}; int bss[5000];\n"
          "void _start(void) { for (;;) bss[tv + tz] = data[0]; }\n", f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "cd %s && gcc -O1 -static -no-pie -nostdlib -fno-pic -o p p.c "
             ">/dev/null 2>&1", dir);
    int built = system(cmd) == 0;
    snprintf(path, sizeof(path), "%s/p", dir);
    a = built ? read_file(path, &n) : NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        CHECK(0);
    if (!built) {
        printf("  note: host gcc could not link a static test program; skipped\n");
        return;
    }
    CHECK(a != NULL);
    if (!a)
        return;
    int r = elf_parse(&ei, a, n, LIMIT);
    if (r != ELF_OK)
        printf("  static executable: %s\n", elf_strerror(r));
    CHECK(r == ELF_OK);
    CHECK(ei.has_tls && ei.tls.filesz == 4 && ei.tls.memsz == 8);
    CHECK(*(const int *)ei.tls.data == 5);
    CHECK(ei.phdr_vaddr != 0);
    uint64_t prev = 0, entry_hits = 0;
    while (elf_next_load(&ei, &it, &s)) {
        CHECK(s.vaddr >= prev);
        prev = s.vaddr + s.memsz;
        if ((s.flags & ELF_PF_X) && ei.entry >= s.vaddr && ei.entry < prev)
            entry_hits++;
    }
    CHECK(entry_hits == 1);
    free(a);
}

/* ---- Fuzzing ---- */

static unsigned rs = 7;

static unsigned rnd(void)
{
    rs = rs * 1103515245u + 12345u;
    return rs >> 8;
}

/* Checks the promises elf_parse makes and reads all segment data. */
static void check_promises(const unsigned char *a, size_t n)
{
    struct elf_image ei;
    struct elf_segment s;
    size_t it = 0, count = 0;
    uint64_t prev = 0;
    unsigned sum = 0;

    if (elf_parse(&ei, a, n, LIMIT) != ELF_OK)
        return;
    while (elf_next_load(&ei, &it, &s)) {
        CHECK(s.filesz <= s.memsz);
        CHECK(s.offset <= n && s.filesz <= n - s.offset);
        CHECK((const unsigned char *)s.data == a + s.offset);
        CHECK(s.vaddr <= LIMIT && s.memsz <= LIMIT - s.vaddr);
        CHECK(s.vaddr % 4096 == s.offset % 4096);
        CHECK(count == 0 || s.vaddr >= prev);
        prev = s.vaddr + s.memsz;
        for (uint64_t i = 0; i < s.filesz; i++)
            sum += ((const unsigned char *)s.data)[i];
        count++;
    }
    CHECK(count == ei.nload && count > 0);
    if (ei.has_tls) {
        CHECK(ei.tls.filesz <= ei.tls.memsz);
        for (uint64_t i = 0; i < ei.tls.filesz; i++)
            sum += ((const unsigned char *)ei.tls.data)[i];
    }
    (void)sum;
}

TEST(fuzz)
{
    /* Interesting values to drop into 8-byte fields. */
    static const uint64_t vals[] = { 0, 1, 56, 64, 0xfff, 0x1000, 0x1001,
                                     IMG_SIZE, 0x400000, 0x402000,
                                     LIMIT - 0x1000, LIMIT, UINT64_MAX,
                                     UINT64_MAX - 0xfff, 1ull << 63 };
    build(base);
    for (int iter = 0; iter < 30000; iter++) {
        size_t n = IMG_SIZE;
        if (rnd() % 4 == 0)
            n = rnd() % (IMG_SIZE + 1);
        unsigned char *a = exact(base, n);
        int muts = 1 + (int)(rnd() % 4);
        for (int m = 0; m < muts; m++) {
            /* Mostly hit the headers, which is where the checks are. */
            size_t at = rnd() % 2 ? rnd() % (64 + 56 * NPH) : rnd() % IMG_SIZE;
            if (rnd() % 2 && at + 8 <= n && at >= 64) {
                at = 64 + (at - 64) / 8 * 8;
                w64(a + at, vals[rnd() % (sizeof(vals) / sizeof(vals[0]))] +
                                (rnd() % 3 ? 0 : rnd() % 0x2000));
            } else if (at < n) {
                a[at] = (unsigned char)rnd();
            }
        }
        check_promises(a, n);
        free(a);
    }
}

TEST_MAIN()
