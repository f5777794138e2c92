/*
 * Tests for libs/common/cmdline.c, including fuzzing with random bytes in
 * exact-size heap strings (ASan catches any read past the terminator).
 */
#include "test.h"
#include <limits.h>
#include <stdlib.h>
#include <common/cmdline.h>

static const char *line = "a=1 b c=hello kernel.panic_test=1 empty= "
                          "q=\"hello world\" n=-42 h=0x1F";

TEST(basic_get)
{
    char v[64];

    CHECK(cmdline_get(line, "a", v, sizeof(v)));
    CHECK_STR(v, "1");
    CHECK(cmdline_get(line, "b", v, sizeof(v)));
    CHECK_STR(v, "");
    CHECK(cmdline_get(line, "c", v, sizeof(v)));
    CHECK_STR(v, "hello");
    CHECK(cmdline_get(line, "kernel.panic_test", v, sizeof(v)));
    CHECK_STR(v, "1");
    CHECK(cmdline_get(line, "empty", v, sizeof(v)));
    CHECK_STR(v, "");
    CHECK(cmdline_get(line, "q", v, sizeof(v)));
    CHECK_STR(v, "hello world");
    CHECK(!cmdline_get(line, "d", v, sizeof(v)));
    CHECK(!cmdline_get(line, "kernel", v, sizeof(v)));
    CHECK(!cmdline_get(line, "kernel.panic", v, sizeof(v)));
    CHECK(!cmdline_get(line, "hello", v, sizeof(v)));
    CHECK(!cmdline_get(line, "world\"", v, sizeof(v)));
    CHECK(!cmdline_get(line, "", v, sizeof(v)));
    CHECK(!cmdline_get(line, NULL, v, sizeof(v)));
    CHECK(!cmdline_get(NULL, "a", v, sizeof(v)));
    CHECK(!cmdline_get("", "a", v, sizeof(v)));
    CHECK(cmdline_get(line, "a", NULL, 0));
}

TEST(has)
{
    CHECK(cmdline_has(line, "a"));
    CHECK(cmdline_has(line, "b"));
    CHECK(cmdline_has(line, "empty"));
    CHECK(cmdline_has(line, "kernel.panic_test"));
    CHECK(!cmdline_has(line, "B"));
    CHECK(!cmdline_has(line, "ab"));
    CHECK(!cmdline_has(NULL, "a"));
    CHECK(!cmdline_has("   \t\n ", "a"));
    CHECK(cmdline_has("  \tx\n", "x"));
}

TEST(get_int)
{
    CHECK(cmdline_get_int(line, "a", 7) == 1);
    CHECK(cmdline_get_int(line, "n", 7) == -42);
    CHECK(cmdline_get_int(line, "h", 7) == 0x1f);
    CHECK(cmdline_get_int(line, "b", 7) == 7);       /* bare */
    CHECK(cmdline_get_int(line, "empty", 7) == 7);   /* empty value */
    CHECK(cmdline_get_int(line, "c", 7) == 7);       /* not a number */
    CHECK(cmdline_get_int(line, "zz", 7) == 7);      /* missing */
    CHECK(cmdline_get_int("x=+5", "x", 0) == 5);
    CHECK(cmdline_get_int("x=\"12\"", "x", 0) == 12);
    CHECK(cmdline_get_int("x=0010", "x", 0) == 10);   /* decimal, not octal */
    CHECK(cmdline_get_int("x=0", "x", 9) == 0);
    CHECK(cmdline_get_int("x=0x", "x", 9) == 9);
    CHECK(cmdline_get_int("x=-", "x", 9) == 9);
    CHECK(cmdline_get_int("x=12a", "x", 9) == 9);
    CHECK(cmdline_get_int("x=1 2", "x", 9) == 1);
    CHECK(cmdline_get_int("x=0xffffffff", "x", 9) == 0xffffffffL);
    CHECK(cmdline_get_int("x=9223372036854775807", "x", 9) == LONG_MAX);
    CHECK(cmdline_get_int("x=-9223372036854775808", "x", 9) == LONG_MIN);
    CHECK(cmdline_get_int("x=9223372036854775808", "x", 9) == 9);
    CHECK(cmdline_get_int("x=-9223372036854775809", "x", 9) == 9);
    CHECK(cmdline_get_int("x=0x7fffffffffffffff", "x", 9) == LONG_MAX);
    CHECK(cmdline_get_int("x=0x8000000000000000", "x", 9) == 9);
    CHECK(cmdline_get_int("x=99999999999999999999999999", "x", 9) == 9);
    CHECK(cmdline_get_int("x=000000000000000000000000000000000000000000000000000"
                          "000000000000000000000000000000000000000001", "x", 9) == 9);
}

TEST(quotes_and_whitespace)
{
    char v[64];

    CHECK(cmdline_get("a=\"x y\" b=2", "b", v, sizeof(v)));
    CHECK_STR(v, "2");
    CHECK(cmdline_get("a=\"x y\" b=2", "a", v, sizeof(v)));
    CHECK_STR(v, "x y");
    /* Quoting the whole parameter, or part of the value. */
    CHECK(cmdline_get("\"a=x y\" b", "a", v, sizeof(v)));
    CHECK_STR(v, "x y");
    CHECK(cmdline_get("a=pre\"  mid  \"post", "a", v, sizeof(v)));
    CHECK_STR(v, "pre  mid  post");
    /* The first '=' splits, quoted or not; later ones are in the value. */
    CHECK(cmdline_get("a=\"b=c\"", "a", v, sizeof(v)));
    CHECK_STR(v, "b=c");
    CHECK(cmdline_get("a=b=c", "a", v, sizeof(v)));
    CHECK_STR(v, "b=c");
    /* An unterminated quote runs to the end. */
    CHECK(cmdline_get("a=\"open b=1", "a", v, sizeof(v)));
    CHECK_STR(v, "open b=1");
    CHECK(!cmdline_has("a=\"open b=1", "b"));
    /* Tabs and newlines separate too. */
    CHECK(cmdline_get("a=1\tb=2\nc=3\r\n", "c", v, sizeof(v)));
    CHECK_STR(v, "3");
    /* The last occurrence wins. */
    CHECK(cmdline_get("a=1 a=2 a", "a", v, sizeof(v)));
    CHECK_STR(v, "");
    CHECK(cmdline_get_int("a=1 a=2", "a", 0) == 2);
    /* Quote characters alone. */
    CHECK(cmdline_get("a=\"\"", "a", v, sizeof(v)));
    CHECK_STR(v, "");
    CHECK(cmdline_has("\"\" a", "a"));
}

TEST(truncation)
{
    char v[6];

    memset(v, 'x', sizeof(v));
    CHECK(cmdline_get("k=0123456789", "k", v, sizeof(v)));
    CHECK_STR(v, "01234");
    memset(v, 'x', sizeof(v));
    CHECK(cmdline_get("k=0123456789", "k", v, 1));
    CHECK(v[0] == 0 && v[1] == 'x');
    memset(v, 'x', sizeof(v));
    CHECK(cmdline_get("k=0123456789", "k", v, 0));
    CHECK(v[0] == 'x');
}

TEST(iterate)
{
    const char *cur = line;
    char k[32], v[32];
    int n = 0;

    while (cmdline_next(&cur, k, sizeof(k), v, sizeof(v))) {
        if (n == 0)
            CHECK(strcmp(k, "a") == 0 && strcmp(v, "1") == 0);
        if (n == 1)
            CHECK(strcmp(k, "b") == 0 && strcmp(v, "") == 0);
        if (n == 5)
            CHECK(strcmp(k, "q") == 0 && strcmp(v, "hello world") == 0);
        n++;
    }
    CHECK(n == 8);
    CHECK(!cmdline_next(&cur, k, sizeof(k), v, sizeof(v)));
    cur = NULL;
    CHECK(!cmdline_next(&cur, k, sizeof(k), v, sizeof(v)));
    CHECK(!cmdline_next(NULL, k, sizeof(k), v, sizeof(v)));
    cur = "  ";
    CHECK(!cmdline_next(&cur, NULL, 0, NULL, 0));
}

TEST(long_input)
{
    size_t n = 1 << 20;
    char *s = malloc(n + 1);
    char v[16];

    /* One huge value, then many small parameters. */
    memset(s, 'z', n);
    memcpy(s, "big=", 4);
    s[n] = 0;
    CHECK(cmdline_get(s, "big", v, sizeof(v)));
    CHECK(strlen(v) == sizeof(v) - 1);
    CHECK(cmdline_get_int(s, "big", -3) == -3);
    for (size_t i = 0; i + 4 <= n; i += 4)
        memcpy(s + i, "x=1 ", 4);
    memcpy(s + n - 8, "last=77 ", 8);
    CHECK(cmdline_get_int(s, "last", 0) == 77);
    CHECK(cmdline_get_int(s, "x", 0) == 1);
    free(s);
}

static unsigned rs = 3;

static unsigned rnd(void)
{
    rs = rs * 1103515245u + 12345u;
    return rs >> 8;
}

TEST(fuzz)
{
    static const char alphabet[] = "ab=\" \t\n=\"x0123456789-+xX\xff\x80.";
    static const char *keys[] = { "a", "b", "ab", "x", "a.b", "\xff", "" };

    for (int iter = 0; iter < 50000; iter++) {
        size_t n = rnd() % 64;
        char *s = malloc(n + 1);   /* exact: ASan catches over-reads */
        for (size_t i = 0; i < n; i++)
            s[i] = rnd() % 3 ? alphabet[rnd() % (sizeof(alphabet) - 1)]
                             : (char)(1 + rnd() % 255);
        s[n] = 0;

        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            size_t cap = rnd() % 8;
            char *v = malloc(cap ? cap : 1);
            bool got = cmdline_get(s, keys[k], v, cap);
            CHECK(got == cmdline_has(s, keys[k]));
            if (got && cap > 0)
                CHECK(strlen(v) < cap);
            (void)cmdline_get_int(s, keys[k], 0);
            free(v);
        }
        const char *cur = s;
        char kb[4], vb[4];
        int guard = 0;
        while (cmdline_next(&cur, kb, sizeof(kb), vb, sizeof(vb)) && guard++ < 100)
            CHECK(strlen(kb) < 4 && strlen(vb) < 4);
        CHECK(guard < 100);
        free(s);
    }
}

TEST_MAIN()
