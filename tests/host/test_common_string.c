/*
 * Tests for libs/common/string.c. The file is compiled twice under renamed
 * symbols so it does not clash with the host libc: c_* is the portable C path
 * (COMMON_HOST_TEST), a_* the x86-64 rep movsb/stosb path. Both are checked
 * against libc.
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>

#define memcpy c_memcpy
#define memmove c_memmove
#define memset c_memset
#define memcmp c_memcmp
#define strlen c_strlen
#define strnlen c_strnlen
#define strcmp c_strcmp
#define strncmp c_strncmp
#define strchr c_strchr
#define strrchr c_strrchr
#include "../../libs/common/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr

#ifdef __x86_64__
#undef COMMON_HOST_TEST
#define memcpy a_memcpy
#define memmove a_memmove
#define memset a_memset
#define memcmp a_memcmp
#define strlen a_strlen
#define strnlen a_strnlen
#define strcmp a_strcmp
#define strncmp a_strncmp
#define strchr a_strchr
#define strrchr a_strrchr
#include "../../libs/common/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#define COMMON_HOST_TEST 1
#else
#define a_memcmp c_memcmp
#define a_strlen c_strlen
#define a_strchr c_strchr
#define a_strrchr c_strrchr
#endif

struct impl {
    void *(*cpy)(void *restrict, const void *restrict, size_t);
    void *(*move)(void *, const void *, size_t);
    void *(*set)(void *, int, size_t);
};

static const struct impl impls[] = {
    { c_memcpy, c_memmove, c_memset },
#ifdef __x86_64__
    { a_memcpy, a_memmove, a_memset },
#endif
};
#define NIMPL (sizeof(impls) / sizeof(impls[0]))

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static unsigned rnd_state = 12345;

static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd();
}

static const size_t sizes[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33,
                                63, 64, 65, 127, 128, 255, 256, 1000, 4095,
                                4096, 4097, 10007 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

TEST(memcpy_alignments)
{
    enum { MAX = 10007 + 64 };
    unsigned char *src = malloc(MAX), *dst = malloc(MAX), *ref = malloc(MAX);

    for (size_t k = 0; k < NIMPL; k++)
        for (size_t si = 0; si < 16; si++)
            for (size_t di = 0; di < 16; di++)
                for (size_t z = 0; z < NSIZES; z++) {
                    size_t n = sizes[z];
                    fill(src, MAX);
                    fill(dst, MAX);
                    memcpy(ref, dst, MAX);
                    memcpy(ref + di, src + si, n);
                    void *r = impls[k].cpy(dst + di, src + si, n);
                    CHECK(r == dst + di);
                    CHECK(memcmp(dst, ref, MAX) == 0);
                }
    free(src);
    free(dst);
    free(ref);
}

TEST(memcpy_exact_bounds)
{
    /* Exact-size heap buffers: ASan flags any byte read or written past n. */
    for (size_t k = 0; k < NIMPL; k++)
        for (size_t n = 1; n < 200; n++) {
            unsigned char *a = malloc(n), *b = malloc(n);
            fill(a, n);
            impls[k].cpy(b, a, n);
            CHECK(memcmp(a, b, n) == 0);
            impls[k].set(b, 0x5a, n);
            for (size_t i = 0; i < n; i++)
                CHECK(b[i] == 0x5a);
            impls[k].move(b, a, n);
            CHECK(memcmp(a, b, n) == 0);
            free(a);
            free(b);
        }
}

TEST(memset_alignments)
{
    enum { MAX = 10007 + 32 };
    unsigned char *dst = malloc(MAX), *ref = malloc(MAX);
    static const int vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x1ab, -1, -128 };

    for (size_t k = 0; k < NIMPL; k++)
        for (size_t di = 0; di < 16; di++)
            for (size_t z = 0; z < NSIZES; z++)
                for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
                    size_t n = sizes[z];
                    fill(dst, MAX);
                    memcpy(ref, dst, MAX);
                    memset(ref + di, vals[v], n);
                    void *r = impls[k].set(dst + di, vals[v], n);
                    CHECK(r == dst + di);
                    CHECK(memcmp(dst, ref, MAX) == 0);
                }
    free(dst);
    free(ref);
}

TEST(memmove_overlap)
{
    enum { MAX = 600 };
    static unsigned char buf[MAX], ref[MAX];
    static const size_t lens[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 64, 100, 255, 300 };

    for (size_t k = 0; k < NIMPL; k++)
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
            for (size_t so = 0; so < 40; so++)
                for (size_t dof = 0; dof < 40; dof++) {
                    size_t n = lens[l];
                    fill(buf, MAX);
                    memcpy(ref, buf, MAX);
                    memmove(ref + 100 + dof, ref + 100 + so, n);
                    void *r = impls[k].move(buf + 100 + dof, buf + 100 + so, n);
                    CHECK(r == buf + 100 + dof);
                    CHECK(memcmp(buf, ref, MAX) == 0);
                }
}

TEST(memmove_large)
{
    enum { MAX = 70000 };
    unsigned char *buf = malloc(MAX), *ref = malloc(MAX);
    static const size_t shifts[] = { 1, 3, 8, 13, 64, 4096, 30000 };

    for (size_t k = 0; k < NIMPL; k++)
        for (size_t s = 0; s < sizeof(shifts) / sizeof(shifts[0]); s++) {
            size_t n = MAX - shifts[s];
            /* forwards (dst below src), then backwards */
            fill(buf, MAX);
            memcpy(ref, buf, MAX);
            memmove(ref, ref + shifts[s], n);
            impls[k].move(buf, buf + shifts[s], n);
            CHECK(memcmp(buf, ref, MAX) == 0);
            memmove(ref + shifts[s], ref, n);
            impls[k].move(buf + shifts[s], buf, n);
            CHECK(memcmp(buf, ref, MAX) == 0);
        }
    free(buf);
    free(ref);
}

TEST(memcmp_signs)
{
    unsigned char a[64], b[64];

    CHECK(c_memcmp(a, b, 0) == 0);
    for (int i = 0; i < 2000; i++) {
        size_t n = rnd() % 64;
        fill(a, sizeof(a));
        memcpy(b, a, sizeof(b));
        if (n > 0 && rnd() % 4 != 0)
            b[rnd() % n] = (unsigned char)rnd();
        CHECK(sign(c_memcmp(a, b, n)) == sign(memcmp(a, b, n)));
        CHECK(sign(a_memcmp(a, b, n)) == sign(memcmp(a, b, n)));
    }
    /* Bytes compare as unsigned char. */
    CHECK(c_memcmp("\x80", "\x01", 1) > 0);
    CHECK(c_memcmp("\x01", "\xff", 1) < 0);
    CHECK(c_memcmp("abc", "abd", 2) == 0);
}

TEST(strlen_strnlen)
{
    for (size_t n = 0; n < 100; n++) {
        char *s = malloc(n + 1);   /* exact: ASan catches over-reads */
        memset(s, 'x', n);
        s[n] = 0;
        CHECK(c_strlen(s) == n);
        CHECK(a_strlen(s) == n);
        CHECK(c_strnlen(s, n + 5) == n);
        CHECK(c_strnlen(s, n) == n);
        if (n > 0)
            CHECK(c_strnlen(s, n - 1) == n - 1);
        free(s);
    }
    /* strnlen must stop at max on an unterminated buffer. */
    char *u = malloc(10);
    memset(u, 'y', 10);
    CHECK(c_strnlen(u, 10) == 10);
    CHECK(c_strnlen(u, 0) == 0);
    free(u);
    CHECK(c_strlen("") == 0);
}

TEST(strcmp_strncmp)
{
    static const char *strs[] = { "", "a", "b", "ab", "abc", "abd", "abcd",
                                  "\x80", "\xff", "a\x80", "a\x7f", "zz", "A" };
    size_t ns = sizeof(strs) / sizeof(strs[0]);

    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) {
            CHECK(sign(c_strcmp(strs[i], strs[j])) == sign(strcmp(strs[i], strs[j])));
            for (size_t n = 0; n < 6; n++)
                CHECK(sign(c_strncmp(strs[i], strs[j], n)) ==
                      sign(strncmp(strs[i], strs[j], n)));
        }
    /* strncmp must not read past n even without a terminator. */
    char *a = malloc(3), *b = malloc(3);
    memcpy(a, "abc", 3);
    memcpy(b, "abd", 3);
    CHECK(c_strncmp(a, b, 2) == 0);
    CHECK(c_strncmp(a, b, 3) < 0);
    free(a);
    free(b);
    CHECK(c_strncmp("abc", "abc", (size_t)-1) == 0);
}

TEST(strchr_strrchr)
{
    const char *s = "hello, w\xe9orld\xe9!";

    CHECK(c_strchr(s, 'l') == strchr(s, 'l'));
    CHECK(c_strrchr(s, 'l') == strrchr(s, 'l'));
    CHECK(c_strchr(s, 'q') == NULL);
    CHECK(c_strrchr(s, 'q') == NULL);
    CHECK(c_strchr(s, 0) == s + strlen(s));
    CHECK(c_strrchr(s, 0) == s + strlen(s));
    CHECK(c_strchr(s, 'h') == s);
    CHECK(c_strrchr(s, '!') == s + strlen(s) - 1);
    /* The argument is converted to char: 0xe9 and (char)0xe9 both match. */
    CHECK(c_strchr(s, 0xe9) == strchr(s, 0xe9));
    CHECK(c_strchr(s, (char)0xe9) == strchr(s, (char)0xe9));
    CHECK(c_strrchr(s, 0xe9) == strrchr(s, 0xe9));
    CHECK(c_strchr(s, 0x100 + 'h') == strchr(s, 0x100 + 'h'));
    CHECK(c_strchr("", 'a') == NULL);
    CHECK(a_strchr(s, 'w') == strchr(s, 'w'));
    CHECK(a_strrchr(s, 'o') == strrchr(s, 'o'));
}

TEST_MAIN()
