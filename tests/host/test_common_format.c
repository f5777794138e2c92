/*
 * Tests for libs/common/format.c, mostly by comparing with the host libc's
 * vsnprintf over many combinations of flags, width, precision, length
 * modifier, conversion and value.
 */
#include "test.h"
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <common/format.h>

static int mismatches;

/* Formats with libc (efmt) and with fmt_vsnprintf (gfmt) into buffers of
 * the given size; the results and return values must be identical. */
static void vcompare(size_t size, const char *efmt, const char *gfmt, va_list ap)
{
    char e[700], g[700];
    va_list ap2;
    int er, gr;

    memset(e, 0x55, sizeof(e));
    memset(g, 0x55, sizeof(g));
    va_copy(ap2, ap);
    er = vsnprintf(size ? e : NULL, size, efmt, ap);
    gr = fmt_vsnprintf(size ? g : NULL, size, gfmt, ap2);
    va_end(ap2);

    /* Compare the whole written area including the NUL (output may
     * contain NULs from %c) and one byte more to catch overruns. */
    size_t n = size < sizeof(e) ? size + 1 : sizeof(e);
    if (er != gr || memcmp(e, g, n) != 0) {
        if (mismatches < 20)
            printf("  mismatch size=%zu fmt=\"%s\": libc=\"%s\" (%d) ours=\"%s\" (%d)\n",
                   size, gfmt, e, er, g, gr);
        mismatches++;
    }
}

static void cmp(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcompare(600, fmt, fmt, ap);
    va_end(ap);
}

static void cmp_sized(size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcompare(size, fmt, fmt, ap);
    va_end(ap);
}

static void cmp2(const char *efmt, const char *gfmt, ...)
{
    va_list ap;

    va_start(ap, gfmt);
    vcompare(600, efmt, gfmt, ap);
    va_end(ap);
}

/* Output of fmt_snprintf into a 600-byte buffer, for fixed expectations. */
static const char *fmt(const char *f, ...)
{
    static char buf[600];
    va_list ap;

    va_start(ap, f);
    fmt_vsnprintf(buf, sizeof(buf), f, ap);
    va_end(ap);
    return buf;
}

enum vtype {
    V_INT, V_UINT, V_LONG, V_ULONG, V_LL, V_ULL, V_SSIZE, V_SIZE,
    V_PTRDIFF, V_INTMAX, V_UINTMAX
};

struct lenmod {
    const char *mod;
    enum vtype s, u;   /* argument types for signed / unsigned conversions */
};

static const struct lenmod lenmods[] = {
    { "", V_INT, V_UINT },
    { "hh", V_INT, V_UINT },
    { "h", V_INT, V_UINT },
    { "l", V_LONG, V_ULONG },
    { "ll", V_LL, V_ULL },
    { "z", V_SSIZE, V_SIZE },
    { "t", V_PTRDIFF, V_SIZE },
    { "j", V_INTMAX, V_UINTMAX },
};

static const long long values[] = {
    0, 1, -1, 7, -8, 42, 127, 128, 255, 256, -129, 32767, 65535, 65536,
    -32769, INT_MAX, INT_MIN, UINT_MAX, 0x123456789abcdefLL, LLONG_MAX,
    LLONG_MIN,
};

/* Calls cmp() with the star arguments (if any) and the value as type t. */
#define DISPATCH(val)                                                    \
    do {                                                                 \
        if (sw && sp)                                                    \
            cmp(f, wv, pv, val);                                         \
        else if (sw)                                                     \
            cmp(f, wv, val);                                             \
        else if (sp)                                                     \
            cmp(f, pv, val);                                             \
        else                                                             \
            cmp(f, val);                                                 \
    } while (0)

static void run(const char *f, bool sw, int wv, bool sp, int pv,
                enum vtype t, long long v)
{
    switch (t) {
    case V_INT: DISPATCH((int)v); break;
    case V_UINT: DISPATCH((unsigned)v); break;
    case V_LONG: DISPATCH((long)v); break;
    case V_ULONG: DISPATCH((unsigned long)v); break;
    case V_LL: DISPATCH(v); break;
    case V_ULL: DISPATCH((unsigned long long)v); break;
    case V_SSIZE: DISPATCH((ssize_t)v); break;
    case V_SIZE: DISPATCH((size_t)v); break;
    case V_PTRDIFF: DISPATCH((ptrdiff_t)v); break;
    case V_INTMAX: DISPATCH((intmax_t)v); break;
    case V_UINTMAX: DISPATCH((uintmax_t)v); break;
    }
}

static const char *widths[] = { "", "1", "5", "23", "*" };
static const char *precs[] = { "", ".", ".0", ".1", ".4", ".22", ".*" };
static const int star_widths[] = { -6, 0, 9 };
static const int star_precs[] = { -1, 0, 3 };

/* Builds "%<flags><width><prec><len><conv>". */
static void build(char *f, unsigned flags, const char *w, const char *p,
                  const char *len, char conv)
{
    static const char flagch[] = "-0+ #";
    char *o = f;

    *o++ = '%';
    for (int i = 0; i < 5; i++)
        if (flags & (1u << i))
            *o++ = flagch[i];
    o += sprintf(o, "%s%s%s%c", w, p, len, conv);
    *o = 0;
}

TEST(integers_vs_libc)
{
    static const char convs[] = "diuxXo";
    char f[32];

    mismatches = 0;
    for (const char *c = convs; *c; c++) {
        bool is_signed = *c == 'd' || *c == 'i';
        for (unsigned flags = 0; flags < 32; flags++) {
            /* '#' is undefined for d, i and u. */
            if ((flags & 16) && (is_signed || *c == 'u'))
                continue;
            for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
                for (size_t pi = 0; pi < sizeof(precs) / sizeof(precs[0]); pi++)
                    for (size_t li = 0; li < sizeof(lenmods) / sizeof(lenmods[0]); li++) {
                        bool sw = widths[wi][0] == '*';
                        bool sp = strcmp(precs[pi], ".*") == 0;
                        build(f, flags, widths[wi], precs[pi], lenmods[li].mod, *c);
                        enum vtype t = is_signed ? lenmods[li].s : lenmods[li].u;
                        for (int a = 0; a < (sw ? 3 : 1); a++)
                            for (int b = 0; b < (sp ? 3 : 1); b++)
                                for (size_t vi = 0; vi < sizeof(values) / sizeof(values[0]); vi++)
                                    run(f, sw, star_widths[a], sp, star_precs[b],
                                        t, values[vi]);
                    }
        }
    }
    CHECK(mismatches == 0);
}

TEST(strings_and_chars_vs_libc)
{
    static const char *strs[] = { "", "a", "hello", "hello, world", "\xe9t\xe9" };
    static const char *sflags[] = { "", "-" };
    char f[32];

    mismatches = 0;
    for (size_t fl = 0; fl < 2; fl++)
        for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
            for (size_t pi = 0; pi < sizeof(precs) / sizeof(precs[0]); pi++) {
                bool sw = widths[wi][0] == '*';
                bool sp = strcmp(precs[pi], ".*") == 0;
                snprintf(f, sizeof(f), "%%%s%s%ss", sflags[fl], widths[wi], precs[pi]);
                for (int a = 0; a < (sw ? 3 : 1); a++)
                    for (int b = 0; b < (sp ? 3 : 1); b++)
                        for (size_t si = 0; si < sizeof(strs) / sizeof(strs[0]); si++) {
                            int wv = star_widths[a], pv = star_precs[b];
                            const char *s = strs[si];
                            DISPATCH(s);
                        }
                /* %c ignores the precision; only test it without one. */
                if (precs[pi][0] == 0) {
                    snprintf(f, sizeof(f), "%%%s%sc", sflags[fl], widths[wi]);
                    for (int a = 0; a < (sw ? 3 : 1); a++) {
                        int wv = star_widths[a], pv = 0;
                        DISPATCH('x');
                        DISPATCH(0);          /* a NUL character */
                        DISPATCH(0x1e9);      /* converted to unsigned char */
                        DISPATCH(-1);
                    }
                }
            }
    CHECK(mismatches == 0);
}

TEST(pointers)
{
    static const char *pf[][2] = {
        { "%#lx", "%p" }, { "%#20lx", "%20p" }, { "%-#20lx|", "%-20p|" },
        { "[%#lx]", "[%p]" }, { "%#5lx", "%5p" },
    };
    static const uintptr_t ptrs[] = { 1, 0xdeadbeef, 0xffff800000001000,
                                      UINTPTR_MAX, 0x1000 };

    mismatches = 0;
    for (size_t i = 0; i < sizeof(pf) / sizeof(pf[0]); i++)
        for (size_t j = 0; j < sizeof(ptrs) / sizeof(ptrs[0]); j++)
            cmp2(pf[i][0], pf[i][1], (unsigned long)ptrs[j], (void *)ptrs[j]);
    CHECK(mismatches == 0);
    CHECK_STR(fmt("%p", (void *)0), "0x0");
    CHECK_STR(fmt("%p", (void *)0xffffffff80000000), "0xffffffff80000000");
    CHECK_STR(fmt("%6p|%-6p|", (void *)0, (void *)0x1a), "   0x0|0x1a  |");
    CHECK_STR(fmt("%018p", (void *)0xabc), "0x0000000000000abc");
}

TEST(fixed_cases)
{
    CHECK_STR(fmt("%s", (char *)NULL), "(null)");
    CHECK_STR(fmt("[%8s]", (char *)NULL), "[  (null)]");
    CHECK_STR(fmt("[%.3s]", (char *)NULL), "[(nu]");
    CHECK_STR(fmt("100%%"), "100%");
    CHECK_STR(fmt("%d %i %u", -5, 6, 7u), "-5 6 7");
    CHECK_STR(fmt("%#o %#x %#X", 8u, 255u, 255u), "010 0xff 0XFF");
    CHECK_STR(fmt("%#.0o|%.0d|%.0x", 0u, 0, 0u), "0||");
    CHECK_STR(fmt("%+d % d %+d", 5, 5, -5), "+5  5 -5");
    CHECK_STR(fmt("%05d|%-5d|%5d", -42, -42, -42), "-0042|-42  |  -42");
    CHECK_STR(fmt("%lld", LLONG_MIN), "-9223372036854775808");
    CHECK_STR(fmt("%llx", ULLONG_MAX), "ffffffffffffffff");
    CHECK_STR(fmt("%llo", ULLONG_MAX), "1777777777777777777777");
    CHECK_STR(fmt("%zu %zx", (size_t)123, SIZE_MAX), "123 ffffffffffffffff");
    CHECK_STR(fmt("%hhu %hhd %hu %hd", 256 + 7, 255, 65536 + 3, 65535), "7 -1 3 -1");
    CHECK_STR(fmt("%c%c%c", 'a', 'b', 'c'), "abc");
    CHECK_STR(fmt(""), "");
    CHECK_STR(fmt("no conversions"), "no conversions");
    /* Unknown conversions and a trailing '%' are printed as written. */
    CHECK_STR(fmt("a%qb"), "a%qb");
    CHECK_STR(fmt("a%5qb"), "a%5qb");
    CHECK_STR(fmt("abc%"), "abc%");
    CHECK_STR(fmt("abc%-08"), "abc%-08");
    CHECK_STR(fmt("%-*d|", -4, 1), "1   |");
    CHECK_STR(fmt("%*d|", -4, 1), "1   |");
    CHECK_STR(fmt("%.*d|", -4, 1), "1|");
}

TEST(precision_bounds_string_read)
{
    /* With a precision, %s must not read past it: the buffer has no NUL. */
    char *s = malloc(5);
    memcpy(s, "abcde", 5);
    CHECK_STR(fmt("%.5s|%.3s|%.*s", s, s, 2, s), "abcde|abc|ab");
    free(s);
}

TEST(truncation_and_return)
{
    static const char *long_fmt = "%s=%08x [%-6d] %c%%";
    char buf[64];

    mismatches = 0;
    for (size_t size = 0; size < 40; size++)
        cmp_sized(size, long_fmt, "key", 0xbeefu, -12, 'z');
    for (size_t size = 0; size < 12; size++)
        cmp_sized(size, "%lld", LLONG_MIN);
    CHECK(mismatches == 0);

    CHECK(fmt_snprintf(NULL, 0, "%d", 12345) == 5);
    memset(buf, 'x', sizeof(buf));
    CHECK(fmt_snprintf(buf, 1, "hello") == 5);
    CHECK(buf[0] == 0 && buf[1] == 'x');
    memset(buf, 'x', sizeof(buf));
    CHECK(fmt_snprintf(buf, 4, "hello") == 5);
    CHECK_STR(buf, "hel");
    CHECK(buf[4] == 'x');
    CHECK(fmt_snprintf(buf, sizeof(buf), "%300d", 1) == 300);
    CHECK(strlen(buf) == sizeof(buf) - 1);
}

struct collect {
    char buf[128];
    size_t n;
};

static void collect_put(void *ctx, char c)
{
    struct collect *cl = ctx;

    if (cl->n < sizeof(cl->buf))
        cl->buf[cl->n] = c;
    cl->n++;
}

static int vformat(struct collect *cl, const char *f, ...)
{
    va_list ap;
    int r;

    va_start(ap, f);
    r = fmt_vformat(collect_put, cl, f, ap);
    va_end(ap);
    return r;
}

TEST(callback_flavour)
{
    struct collect cl = { { 0 }, 0 };

    CHECK(vformat(&cl, "[%5s|%-3d|%#x|%c]", "ab", 7, 0x10u, 0) == 18);
    CHECK(cl.n == 18);
    CHECK(memcmp(cl.buf, "[   ab|7  |0x10|\0]", 18) == 0);
}

TEST(random_formats_vs_libc)
{
    /* Random well-defined specs with random values. */
    static const char convs[] = "diuxXo";
    unsigned st = 99;
    char f[64];

    mismatches = 0;
    for (int i = 0; i < 50000; i++) {
        st = st * 1103515245u + 12345u;
        unsigned r = st >> 4;
        char c = convs[r % 6];
        unsigned flags = (r >> 3) & 31;
        if (c == 'd' || c == 'i' || c == 'u')
            flags &= 15;
        char w[8] = "", p[8] = "";
        if (r & (1u << 9))
            snprintf(w, sizeof(w), "%u", (r >> 10) % 30);
        if (r & (1u << 16))
            snprintf(p, sizeof(p), ".%u", (r >> 17) % 30);
        build(f, flags, w, p, "ll", c);
        st = st * 1103515245u + 12345u;
        long long v = (long long)(((unsigned long long)st << 32) ^ (st * 2654435761u));
        v >>= (st >> 3) % 64;
        cmp(f, v);
    }
    CHECK(mismatches == 0);
}

TEST_MAIN()
