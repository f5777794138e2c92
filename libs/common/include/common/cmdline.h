/*
 * Kernel-style command lines: "a=1 b c=hello kernel.panic_test=1".
 *
 * Parameters are separated by whitespace; each is key or key=value, split at
 * the first '='. Double quotes group text containing spaces (c="hello world"
 * or "c=hello world") and are removed; an unterminated quote runs to the end
 * of the line. When a key appears more
 * than once, the last occurrence wins. A NULL cmdline counts as empty.
 */
#ifndef COMMON_CMDLINE_H
#define COMMON_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True if key is present. Its value (without quotes, "" for a bare key) is
 * copied to val, cut to cap-1 characters and always NUL-terminated when
 * cap > 0; val may be NULL when cap is 0.
 */
bool cmdline_get(const char *cmdline, const char *key, char *val, size_t cap);

bool cmdline_has(const char *cmdline, const char *key);

/*
 * The value of key as a decimal or 0x-hex number with optional sign; dflt
 * if the key is missing, bare, not a number, out of range for long, or
 * absurdly long (over 70 characters).
 */
long cmdline_get_int(const char *cmdline, const char *key, long dflt);

/*
 * Iterates parameters: start with *cursor = cmdline; each call copies the
 * next key and value (as cmdline_get does) and returns false at the end.
 */
bool cmdline_next(const char **cursor, char *key, size_t kcap, char *val,
                  size_t vcap);

#endif
