/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Freestanding: used by the gui server, libui and apps. */
#ifndef COMMON_UTF8_H
#define COMMON_UTF8_H

#include <stddef.h>

/* Bytes of the valid character at s (avail bytes there, at least 1): 1..4;
 * 0 if it is not valid UTF-8; -1 if it is cut short by the end of the
 * buffer. */
int utf8_char_len(const unsigned char *s, size_t avail);

#endif
