/*
 * Themes: the built-in light theme and the parser for themes/NAME.theme files
 * (see theme.h). Pure C with no Cairo, so host tests and the fuzzer link it.
 */
#include "theme.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void theme_default(struct theme *th) {
    memset(th, 0, sizeof *th);
    strcpy(th->name, "light");
    th->wallpaper_top = 0x4f86c6ff;
    th->wallpaper_bottom = 0xa7c7e7ff;
    th->menu_bar = 0xf6f5f4ff;
    th->menu_bar_text = 0x2e3436ff;
    th->start_button = 0x3584e4ff;
    th->start_button_text = 0xffffffff;
    th->menu_bg = 0xffffffff;
    th->menu_text = 0x2e3436ff;
    th->menu_hover = 0xe3edfbff;
    th->window_bg = 0xfafafaff;
    th->text = 0x2e3436ff;
    th->text_dim = 0x8b9094ff;
    th->border = 0xb8b8b8ff;
    th->title_bar = 0xe6e6e6ff;
    th->title_bar_inactive = 0xf4f4f4ff;
    th->title_text = 0x2e3436ff;
    th->title_text_inactive = 0x9a9c9eff;
    th->close_hover = 0xe01b24ff;
    th->accent = 0x3584e4ff;
    th->accent_text = 0xffffffff;
    th->button_bg = 0xededebff;
    th->button_hover = 0xe2e2dfff;
    th->button_pressed = 0xcfcfcbff;
    th->button_text = 0x2e3436ff;
    th->input_bg = 0xffffffff;
    th->input_border = 0xc0bfbcff;
    th->selection = 0xb3d1f5ff;
    th->list_bg = 0xffffffff;
    th->list_selected = 0x3584e4ff;
    th->list_selected_text = 0xffffffff;
    th->shadow = 0x00000048;
    th->not_responding = 0xe3b8b8ff;
    th->wallpaper[0] = '\0';
    th->font_size[UI_SIZE_BODY] = 14;
    th->font_size[UI_SIZE_H1] = 28;
    th->font_size[UI_SIZE_H2] = 22;
    th->font_size[UI_SIZE_H3] = 18;
    th->font_size[UI_SIZE_SMALL] = 11;
    th->corner_radius = 6;
    th->title_height = 28;
    th->control_height = 28;
    th->control_padding = 12;
    th->checkbox_size = 16;
    th->slider_height = 20;
    th->list_item_padding = 4;
    th->scrollbar_width = 8;
    th->shadow_size = 12;
    th->menu_bar_height = 28;
}

/* ---- the keys a file may set ---- */

enum key_type { KEY_COLOR, KEY_INT, KEY_STRING };

struct theme_key {
    const char *name;
    enum key_type type;
    size_t offset;
    int min, max;     /* KEY_INT: allowed range; KEY_STRING: max is the buffer size */
};

#define COLOR(f) {#f, KEY_COLOR, offsetof(struct theme, f), 0, 0}
#define INT(f, lo, hi) {#f, KEY_INT, offsetof(struct theme, f), lo, hi}
#define FONT(key, size) {key, KEY_INT, offsetof(struct theme, font_size) + (size) * sizeof(int), 6, 96}
#define STRING(f) {#f, KEY_STRING, offsetof(struct theme, f), 0, (int)sizeof(((struct theme *)0)->f)}

static const struct theme_key theme_keys[] = {
    STRING(name), STRING(wallpaper),
    COLOR(wallpaper_top), COLOR(wallpaper_bottom),
    COLOR(menu_bar), COLOR(menu_bar_text), COLOR(start_button), COLOR(start_button_text),
    COLOR(menu_bg), COLOR(menu_text), COLOR(menu_hover),
    COLOR(window_bg), COLOR(text), COLOR(text_dim), COLOR(border),
    COLOR(title_bar), COLOR(title_bar_inactive), COLOR(title_text), COLOR(title_text_inactive),
    COLOR(close_hover), COLOR(accent), COLOR(accent_text),
    COLOR(button_bg), COLOR(button_hover), COLOR(button_pressed), COLOR(button_text),
    COLOR(input_bg), COLOR(input_border), COLOR(selection),
    COLOR(list_bg), COLOR(list_selected), COLOR(list_selected_text),
    COLOR(shadow), COLOR(not_responding),
    FONT("font_body", UI_SIZE_BODY), FONT("font_h1", UI_SIZE_H1), FONT("font_h2", UI_SIZE_H2),
    FONT("font_h3", UI_SIZE_H3), FONT("font_small", UI_SIZE_SMALL),
    INT(corner_radius, 0, 32),
    INT(title_height, 16, 64),
    INT(control_height, 16, 64),
    INT(control_padding, 0, 64),
    INT(checkbox_size, 8, 48),
    INT(slider_height, 8, 48),
    INT(list_item_padding, 0, 32),
    INT(scrollbar_width, 2, 32),
    INT(shadow_size, 0, 64),
    INT(menu_bar_height, 16, 64),
};

#define THEME_LINE_MAX 256

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "#RRGGBB" (opaque) or "#RRGGBBAA"; 0 on success. */
static int parse_color(const char *s, size_t len, uint32_t *out) {
    if ((len != 7 && len != 9) || s[0] != '#')
        return -1;
    uint32_t v = 0;
    for (size_t i = 1; i < len; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = len == 7 ? v << 8 | 0xff : v;
    return 0;
}

/* A decimal integer, optionally negative, nothing else; 0 on success. */
static int parse_int(const char *s, size_t len, long *out) {
    size_t i = 0;
    bool negative = false;
    if (len > 0 && s[0] == '-') {
        negative = true;
        i = 1;
    }
    if (i == len || len - i > 9)   /* no digits, or more than any range here allows */
        return -1;
    long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = negative ? -v : v;
    return 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Applies one "key = value" line (already trimmed, not empty, not a comment).
 * false with the reason in why if it cannot be used. */
static bool parse_line(const char *line, size_t len, struct theme *th, char *why, size_t why_cap) {
    const char *eq = memchr(line, '=', len);
    if (!eq) {
        snprintf(why, why_cap, "expected 'key = value'");
        return false;
    }
    size_t key_len = (size_t)(eq - line);
    while (key_len > 0 && is_space(line[key_len - 1]))
        key_len--;
    const char *value = eq + 1;
    size_t value_len = len - (size_t)(value - line);
    while (value_len > 0 && is_space(*value)) {
        value++;
        value_len--;
    }
    if (key_len == 0) {
        snprintf(why, why_cap, "missing key before '='");
        return false;
    }
    const struct theme_key *key = NULL;
    for (size_t i = 0; i < sizeof theme_keys / sizeof theme_keys[0]; i++)
        if (strlen(theme_keys[i].name) == key_len && memcmp(theme_keys[i].name, line, key_len) == 0)
            key = &theme_keys[i];
    if (!key) {
        snprintf(why, why_cap, "unknown key '%.*s'", (int)key_len, line);
        return false;
    }
    char *field = (char *)th + key->offset;
    switch (key->type) {
    case KEY_COLOR: {
        uint32_t c;
        if (parse_color(value, value_len, &c) != 0) {
            snprintf(why, why_cap, "%s: '%.*s' is not a colour (#RRGGBB or #RRGGBBAA)", key->name,
                     (int)value_len, value);
            return false;
        }
        memcpy(field, &c, sizeof c);
        return true;
    }
    case KEY_INT: {
        long v;
        if (parse_int(value, value_len, &v) != 0) {
            snprintf(why, why_cap, "%s: '%.*s' is not a whole number", key->name, (int)value_len, value);
            return false;
        }
        if (v < key->min || v > key->max) {
            snprintf(why, why_cap, "%s: %ld is out of range %d..%d", key->name, v, key->min, key->max);
            return false;
        }
        int n = (int)v;
        memcpy(field, &n, sizeof n);
        return true;
    }
    case KEY_STRING:
        if (value_len >= (size_t)key->max) {
            snprintf(why, why_cap, "%s: longer than %d bytes", key->name, key->max - 1);
            return false;
        }
        if (key->offset == offsetof(struct theme, name) && value_len == 0) {
            snprintf(why, why_cap, "name: empty");
            return false;
        }
        memcpy(field, value, value_len);
        field[value_len] = '\0';
        return true;
    }
    return false;
}

int theme_parse(const char *text, size_t len, struct theme *th, char *reason, size_t reason_cap) {
    int bad = 0;
    int line_no = 0;
    size_t pos = 0;
    if (reason && reason_cap > 0)
        reason[0] = '\0';
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        pos += line_len + (nl ? 1 : 0);
        line_no++;
        while (line_len > 0 && is_space(line[0])) {
            line++;
            line_len--;
        }
        while (line_len > 0 && is_space(line[line_len - 1]))
            line_len--;
        if (line_len == 0 || line[0] == '#')
            continue;
        char why[160];
        bool ok;
        if (line_len > THEME_LINE_MAX) {
            snprintf(why, sizeof why, "line longer than %d bytes", THEME_LINE_MAX);
            ok = false;
        } else if (memchr(line, '\0', line_len)) {
            snprintf(why, sizeof why, "NUL byte in line");
            ok = false;
        } else {
            ok = parse_line(line, line_len, th, why, sizeof why);
        }
        if (!ok) {
            if (bad == 0 && reason && reason_cap > 0)
                snprintf(reason, reason_cap, "line %d: %s", line_no, why);
            bad++;
        }
    }
    return bad;
}
