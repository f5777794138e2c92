/* UTF-8 checking shared by the gui server, libui and the apps. */
#include <common/utf8.h>

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
