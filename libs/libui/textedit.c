/*
 * Editing a one-line TEXT_INPUT with keys, UTF-8 aware. The text is the
 * widget's text, the caret its value and the selection anchor its min (byte
 * offsets on character boundaries; anchor == caret: no selection). No IPC
 * here (host tests use this file).
 */
#include <stdlib.h>
#include <string.h>
#include <tessera/input.h>
#include "internal.h"

static bool is_continuation(unsigned char c) {
    return (c & 0xc0) == 0x80;
}

uint32_t ui__utf8_floor(const char *s, uint32_t len, int64_t off) {
    if (off <= 0 || !s)
        return 0;
    if (off >= len)
        return len;
    uint32_t i = (uint32_t)off;
    while (i > 0 && is_continuation((unsigned char)s[i]))
        i--;
    return i;
}

static uint32_t prev_char(const char *s, uint32_t len, uint32_t i) {
    return i == 0 ? 0 : ui__utf8_floor(s, len, (int64_t)i - 1);
}

static uint32_t next_char(const char *s, uint32_t len, uint32_t i) {
    if (i >= len)
        return len;
    i++;
    while (i < len && is_continuation((unsigned char)s[i]))
        i++;
    return i;
}

/* Encodes a Unicode scalar value; 0 if it is not one. */
static int utf8_encode(uint32_t c, char out[4]) {
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c >= 0xd800 && c < 0xe000)
        return 0;
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    if (c < 0x110000) {
        out[0] = (char)(0xf0 | (c >> 18));
        out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[3] = (char)(0x80 | (c & 0x3f));
        return 4;
    }
    return 0;
}

/* Replaces bytes [from, to) with ins; the caret goes after the insertion.
 * False (nothing changed) if the result would be over UI_TEXT_MAX_BYTES or
 * memory ran out. */
static bool splice(struct ui_widget *in, uint32_t from, uint32_t to, const char *ins, uint32_t ins_len) {
    uint32_t len = in->text_len;
    uint64_t new_len = (uint64_t)len - (to - from) + ins_len;
    if (new_len > UI_TEXT_MAX_BYTES)
        return false;
    char *buf = malloc(new_len + 1);
    if (!buf)
        return false;
    if (from)
        memcpy(buf, in->text, from);
    if (ins_len)
        memcpy(buf + from, ins, ins_len);
    if (len - to)
        memcpy(buf + from + ins_len, in->text + to, len - to);
    buf[new_len] = '\0';
    free(in->text);
    in->text = buf;
    in->text_len = (uint32_t)new_len;
    in->value = in->min = (int32_t)(from + ins_len);
    ui__mark_dirty(in);
    return true;
}

/* Caret and anchor inside the text and on character boundaries (the app or
 * an older tree may have left them anywhere). */
static void normalise(struct ui_widget *in) {
    in->value = (int32_t)ui__utf8_floor(in->text, in->text_len, in->value);
    in->min = (int32_t)ui__utf8_floor(in->text, in->text_len, in->min);
}

void ui__text_set_caret(struct ui_widget *in, int32_t caret, bool extend) {
    if (!in || in->kind != UI_KIND_TEXT_INPUT)
        return;
    normalise(in);
    in->value = (int32_t)ui__utf8_floor(in->text, in->text_len, caret);
    if (!extend)
        in->min = in->value;
    ui__mark_dirty(in);
}

/* Moves the caret to `to`, extending the selection with shift. */
static enum ui_edit_result move(struct ui_widget *in, uint32_t to, bool extend) {
    in->value = (int32_t)to;
    if (!extend)
        in->min = in->value;
    ui__mark_dirty(in);
    return UI_EDIT_MOVED;
}

enum ui_edit_result ui__text_edit_key(struct ui_widget *in, uint32_t key, uint32_t ch, uint16_t mods) {
    if (!in || in->kind != UI_KIND_TEXT_INPUT)
        return UI_EDIT_UNUSED;
    normalise(in);
    const char *s = in->text;
    uint32_t len = in->text_len;
    uint32_t caret = (uint32_t)in->value, anchor = (uint32_t)in->min;
    uint32_t sel_from = caret < anchor ? caret : anchor, sel_to = caret < anchor ? anchor : caret;
    bool has_sel = sel_from != sel_to;
    bool shift = mods & INPUT_MOD_SHIFT;
    bool ctrl = mods & INPUT_MOD_CTRL;
    bool command = mods & (INPUT_MOD_CTRL | INPUT_MOD_ALT | INPUT_MOD_META);

    switch (key) {
    case INPUT_KEY_ENTER:
    case INPUT_KEY_KPENTER:
        return UI_EDIT_SUBMIT;
    case INPUT_KEY_BACKSPACE:
        if (has_sel)
            return splice(in, sel_from, sel_to, NULL, 0) ? UI_EDIT_CHANGED : UI_EDIT_MOVED;
        if (caret == 0)
            return UI_EDIT_MOVED;
        return splice(in, prev_char(s, len, caret), caret, NULL, 0) ? UI_EDIT_CHANGED : UI_EDIT_MOVED;
    case INPUT_KEY_DELETE:
        if (has_sel)
            return splice(in, sel_from, sel_to, NULL, 0) ? UI_EDIT_CHANGED : UI_EDIT_MOVED;
        if (caret >= len)
            return UI_EDIT_MOVED;
        return splice(in, caret, next_char(s, len, caret), NULL, 0) ? UI_EDIT_CHANGED : UI_EDIT_MOVED;
    case INPUT_KEY_LEFT:
        if (has_sel && !shift)
            return move(in, sel_from, false);
        return move(in, prev_char(s, len, caret), shift);
    case INPUT_KEY_RIGHT:
        if (has_sel && !shift)
            return move(in, sel_to, false);
        return move(in, next_char(s, len, caret), shift);
    case INPUT_KEY_HOME:
        return move(in, 0, shift);
    case INPUT_KEY_END:
        return move(in, len, shift);
    case INPUT_KEY_A:
        if (ctrl) {
            in->min = 0;
            return move(in, len, true);
        }
        break;
    default:
        break;
    }
    /* A printable character, typed without a command modifier, replaces the selection. */
    char enc[4];
    int n;
    if (ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0) && !command && (n = utf8_encode(ch, enc)) > 0)
        return splice(in, sel_from, sel_to, enc, (uint32_t)n) ? UI_EDIT_CHANGED : UI_EDIT_MOVED;
    return UI_EDIT_UNUSED;
}
