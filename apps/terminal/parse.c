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
