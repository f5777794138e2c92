// host-test-uses: servers/gui/theme.c
/* The theme file parser (servers/gui/theme.c) and the shipped themes. */
#include "test.h"
#include "../../servers/gui/theme.h"

#include <stdlib.h>

static int parse(const char *text, struct theme *th, char *reason, size_t cap) {
    theme_default(th);
    return theme_parse(text, strlen(text), th, reason, cap);
}

/* A whole file from the repository, NUL-terminated; NULL if missing. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(65536);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

TEST(defaults) {
    struct theme th;
    theme_default(&th);
    CHECK_STR(th.name, "light");
    CHECK_EQ(th.font_size[UI_SIZE_BODY], 14);
    CHECK_EQ(th.font_size[UI_SIZE_H1], 28);
    CHECK_EQ(th.font_size[UI_SIZE_H2], 22);
    CHECK_EQ(th.font_size[UI_SIZE_H3], 18);
    CHECK_EQ(th.font_size[UI_SIZE_SMALL], 11);
    CHECK_EQ(th.corner_radius, 6);
    CHECK_EQ(th.title_height, 28);
    CHECK_EQ(th.control_height, 28);
    CHECK_EQ(th.control_padding, 12);
    CHECK_EQ(th.checkbox_size, 16);
    CHECK_EQ(th.slider_height, 20);
    CHECK_EQ(th.list_item_padding, 4);
    CHECK_EQ(th.scrollbar_width, 8);
    CHECK_EQ(th.shadow_size, 12);
    CHECK_EQ(th.menu_bar_height, 28);
    CHECK_STR(th.wallpaper, "");
}

TEST(good_file) {
    struct theme th;
    char reason[128];
    const char *text = "# a comment\n"
                       "\n"
                       "name = mine\n"
                       "  window_bg=#102030  \n"
                       "text = #AbCdEf80\r\n"
                       "font_h1 = 40\n"
                       "corner_radius = 0\n"
                       "wallpaper = /themes/sky.png\n"
                       "   # indented comment\n"
                       "menu_bar_height = 32";   /* no newline at the end */
    CHECK_EQ(parse(text, &th, reason, sizeof reason), 0);
    CHECK_STR(reason, "");
    CHECK_STR(th.name, "mine");
    CHECK_EQ(th.window_bg, 0x102030ffu);
    CHECK_EQ(th.text, 0xabcdef80u);
    CHECK_EQ(th.font_size[UI_SIZE_H1], 40);
    CHECK_EQ(th.font_size[UI_SIZE_BODY], 14);   /* untouched keys keep the default */
    CHECK_EQ(th.corner_radius, 0);
    CHECK_STR(th.wallpaper, "/themes/sky.png");
    CHECK_EQ(th.menu_bar_height, 32);
}

TEST(empty_wallpaper_means_gradient) {
    struct theme th;
    char reason[128];
    CHECK_EQ(parse("wallpaper = /a.png\nwallpaper =\n", &th, reason, sizeof reason), 0);
    CHECK_STR(th.wallpaper, "");
}

TEST(every_font_key) {
    struct theme th;
    char reason[128];
    CHECK_EQ(parse("font_body=10\nfont_h1=30\nfont_h2=25\nfont_h3=20\nfont_small=8\n", &th, reason, sizeof reason), 0);
    CHECK_EQ(th.font_size[UI_SIZE_BODY], 10);
    CHECK_EQ(th.font_size[UI_SIZE_H1], 30);
    CHECK_EQ(th.font_size[UI_SIZE_H2], 25);
    CHECK_EQ(th.font_size[UI_SIZE_H3], 20);
    CHECK_EQ(th.font_size[UI_SIZE_SMALL], 8);
}

/* Each bad line is counted, reported with its number, and changes nothing. */
static void check_bad(const char *line, const char *expect_in_reason) {
    struct theme th, def;
    char reason[160];
    char text[512];
    snprintf(text, sizeof text, "# first\n%s\n", line);
    theme_default(&def);
    int bad = parse(text, &th, reason, sizeof reason);
    CHECK_EQ(bad, 1);
    CHECK(strncmp(reason, "line 2: ", 8) == 0);
    CHECK(strstr(reason, expect_in_reason) != NULL);
    CHECK(memcmp(&th, &def, sizeof th) == 0);
    if (test_failed_now)
        printf("  line '%s' gave '%s'\n", line, reason);
}

TEST(bad_lines) {
    check_bad("window_bg", "expected 'key = value'");
    check_bad("= #ffffff", "missing key");
    check_bad("windowbg = #ffffff", "unknown key 'windowbg'");
    check_bad("window_bg = ffffff", "not a colour");
    check_bad("window_bg = #fff", "not a colour");
    check_bad("window_bg = #ffffffff00", "not a colour");
    check_bad("window_bg = #gggggg", "not a colour");
    check_bad("window_bg =", "not a colour");
    check_bad("font_body = big", "not a whole number");
    check_bad("font_body = 12px", "not a whole number");
    check_bad("font_body = -", "not a whole number");
    check_bad("font_body = 99999999999999", "not a whole number");
    check_bad("font_body =", "not a whole number");
    check_bad("name =", "name: empty");
    check_bad("name = a-name-that-is-far-longer-than-31-bytes", "longer than 31 bytes");
}

TEST(ranges) {
    check_bad("font_body = 5", "out of range 6..96");
    check_bad("font_h1 = 97", "out of range 6..96");
    check_bad("corner_radius = -1", "out of range 0..32");
    check_bad("title_height = 15", "out of range");
    check_bad("control_height = 65", "out of range");
    check_bad("checkbox_size = 0", "out of range");
    check_bad("scrollbar_width = 1", "out of range");
    check_bad("shadow_size = 100", "out of range");
    check_bad("menu_bar_height = 100", "out of range");
    struct theme th;
    char reason[128];
    CHECK_EQ(parse("font_body = 6\nfont_h1 = 96\ncorner_radius = 32\nshadow_size = 0\n", &th, reason, sizeof reason), 0);
    CHECK_EQ(th.font_size[UI_SIZE_BODY], 6);
    CHECK_EQ(th.font_size[UI_SIZE_H1], 96);
}

TEST(counts_every_bad_line_reports_the_first) {
    struct theme th;
    char reason[128];
    const char *text = "text = #000000\nnope = 1\nfont_body = 1000\naccent = #123456\njunk\n";
    CHECK_EQ(parse(text, &th, reason, sizeof reason), 3);
    CHECK_STR(reason, "line 2: unknown key 'nope'");
    CHECK_EQ(th.text, 0x000000ffu);
    CHECK_EQ(th.accent, 0x123456ffu);   /* good lines after bad ones still apply */
}

TEST(hostile_input) {
    struct theme th;
    char reason[8];   /* a short buffer is truncated, not overrun */
    char big[2000];
    memset(big, 'a', sizeof big);
    memcpy(big, "name = ", 7);
    CHECK_EQ(theme_parse(big, sizeof big, (theme_default(&th), &th), reason, sizeof reason), 1);
    CHECK_EQ(strlen(reason), 7u);
    const char nul[] = "name = a\0b\ntext = #000000\n";
    CHECK_EQ(theme_parse(nul, sizeof nul - 1, (theme_default(&th), &th), NULL, 0), 1);
    CHECK_EQ(th.text, 0x000000ffu);
    /* length-bounded: nothing after len is read */
    CHECK_EQ(theme_parse("font_body = 200", 14, (theme_default(&th), &th), NULL, 0), 0);
    CHECK_EQ(th.font_size[UI_SIZE_BODY], 20);
}

TEST(shipped_themes_parse_and_differ) {
    struct theme light, dark, def;
    char reason[128];
    size_t len;
    char *text = read_file("themes/light.theme", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    theme_default(&light);
    CHECK_EQ(theme_parse(text, len, &light, reason, sizeof reason), 0);
    free(text);
    theme_default(&def);
    CHECK(memcmp(&light, &def, sizeof def) == 0);   /* light.theme is the defaults, written out */

    text = read_file("themes/dark.theme", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    theme_default(&dark);
    CHECK_EQ(theme_parse(text, len, &dark, reason, sizeof reason), 0);
    free(text);
    CHECK_STR(dark.name, "dark");
    CHECK(dark.window_bg != light.window_bg);
    CHECK(dark.title_bar != light.title_bar);
    CHECK(dark.menu_bar != light.menu_bar);
    CHECK(dark.wallpaper_top != light.wallpaper_top);
}

TEST_MAIN()
