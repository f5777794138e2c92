// host-test-uses: apps/terminal/parse.c
/*
 * Tests for the terminal's command-line splitting (whitespace, double quotes,
 * limits) and its text-or-binary check for cat (apps/terminal/parse.c).
 */
#include "test.h"
#include "../../apps/terminal/parse.h"

/* Splits s (copied) and joins the words with '|' into out. */
static int split(const char *s, char *out, size_t cap, const char **error) {
    static char line[256];
    char *words[8];
    snprintf(line, sizeof(line), "%s", s);
    int n = split_words(line, words, 8, error);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(out, i ? "|" : "", cap - strlen(out) - 1);
        strncat(out, words[i], cap - strlen(out) - 1);
    }
    return n;
}

TEST(split_plain_words) {
    char out[256];
    const char *error = NULL;
    CHECK_EQ(split("ls /apps", out, sizeof(out), &error), 2);
    CHECK_STR(out, "ls|/apps");
    CHECK_EQ(split("  echo \t a   b  ", out, sizeof(out), &error), 3);
    CHECK_STR(out, "echo|a|b");
    CHECK_EQ(split("", out, sizeof(out), &error), 0);
    CHECK_EQ(split("   \t ", out, sizeof(out), &error), 0);
    CHECK(error == NULL);
}

TEST(split_quotes) {
    char out[256];
    const char *error = NULL;
    CHECK_EQ(split("echo \"a  b\" c", out, sizeof(out), &error), 3);
    CHECK_STR(out, "echo|a  b|c");
    CHECK_EQ(split("echo x\"y z\"w \"\"", out, sizeof(out), &error), 3);
    CHECK_STR(out, "echo|xy zw|");
    CHECK_EQ(split("cat \"my file\"", out, sizeof(out), &error), 2);
    CHECK_STR(out, "cat|my file");
    CHECK(error == NULL);
}

TEST(split_errors) {
    char out[256];
    const char *error = NULL;
    CHECK_EQ(split("echo \"open", out, sizeof(out), &error), -1);
    CHECK(error && strstr(error, "quote"));
    error = NULL;
    CHECK_EQ(split("1 2 3 4 5 6 7 8", out, sizeof(out), &error), 8);
    CHECK_EQ(split("1 2 3 4 5 6 7 8 9", out, sizeof(out), &error), -1);
    CHECK(error && strstr(error, "many"));
}

TEST(text_or_binary) {
    CHECK(looks_like_text((const unsigned char *)"hello\n\tworld\r\n", 14));
    CHECK(looks_like_text((const unsigned char *)"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 13));
    CHECK(looks_like_text((const unsigned char *)"", 0));
    CHECK(!looks_like_text((const unsigned char *)"a\0b", 3));
    CHECK(!looks_like_text((const unsigned char *)"\x7f" "ELF", 4));
    CHECK(!looks_like_text((const unsigned char *)"a\x1b[0m", 5));
    CHECK(!looks_like_text((const unsigned char *)"\xff\xfe", 2));
    CHECK(!looks_like_text((const unsigned char *)"\xc3(", 2));        /* a lead byte without its follower */
    CHECK(!looks_like_text((const unsigned char *)"\x80", 1));         /* a follower alone */
    CHECK(looks_like_text((const unsigned char *)"ab\xe2\x82", 4));    /* cut at the end of the buffer */
}

TEST(utf8_strict) {
    CHECK_EQ(utf8_char_len((const unsigned char *)"a", 1), 1);
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xc3\xa9", 2), 2);
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);   /* U+10FFFF */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xc0\xaf", 2), 0);           /* overlong '/' */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xe0\x80\xaf", 3), 0);       /* overlong */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xf0\x80\x80\xaf", 4), 0);   /* overlong */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xed\xa0\x80", 3), 0);       /* a surrogate */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);   /* above U+10FFFF */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xf5\x80\x80\x80", 4), 0);
    CHECK_EQ(utf8_char_len((const unsigned char *)"\x80", 1), 0);
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xe2\x82", 2), -1);           /* cut short */
    CHECK_EQ(utf8_char_len((const unsigned char *)"\xe2\x28\xa1", 3), 0);
    CHECK(!looks_like_text((const unsigned char *)"ok \xed\xa0\x80", 6));      /* the server would refuse it */
}

TEST_MAIN()
