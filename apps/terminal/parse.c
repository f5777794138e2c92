/* Splitting command lines and telling text from binary data (parse.h). */
#include <string.h>
#include "parse.h"

int split_words(char *line, char **words, int max, const char **error) {
    int count = 0;
    char *s = line;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            return count;
        if (count == max) {
            *error = "too many words";
            return -1;
        }
        /* A word: runs of plain characters and quoted parts, joined; the
         * result is never longer than its source, so it is built in place. */
        char *out = s;
        words[count++] = out;
        while (*s && *s != ' ' && *s != '\t') {
            if (*s == '"') {
                char *end = strchr(s + 1, '"');
                if (!end) {
                    *error = "unterminated quote";
                    return -1;
                }
                size_t n = (size_t)(end - s - 1);
                memmove(out, s + 1, n);
                out += n;
                s = end + 1;
            } else {
                *out++ = *s++;
            }
        }
        bool more = *s != 0;   /* out may point at the separator: look first */
        *out = 0;
        if (more)
            s++;
    }
}

int utf8_char_len(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    /* From the lead byte: the length and the allowed range of the second
     * byte, which is what rules out overlong forms, surrogates and values
     * above U+10FFFF. */
    int len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    for (int k = 1; k < len; k++) {
        if ((size_t)k >= avail)
            return -1;
        unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xbf;
        if (s[k] < min || s[k] > max)
            return 0;
    }
    return len;
}

bool looks_like_text(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f)
            return false;
        int len = utf8_char_len(p + i, n - i);
        if (len == 0)
            return false;
        if (len < 0)   /* cut at the end of what was read: fine */
            return true;
        i += (size_t)len;
    }
    return true;
}
