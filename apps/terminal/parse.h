/*
 * The terminal's pure helpers (no libui, no system calls; host-tested by
 * tests/host/test_terminal.c).
 */
#ifndef TERMINAL_PARSE_H
#define TERMINAL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <common/utf8.h>   /* utf8_char_len */

/* Splits line in place at spaces and tabs into at most max words; double
 * quotes group (and may hold spaces), "a"b is one word ab. Returns the word
 * count, or -1 with *error saying why. */
int split_words(char *line, char **words, int max, const char **error);


/* Text, as cat shows it: valid UTF-8 without NULs or control characters other
 * than tab, newline, carriage return and form feed. A character cut at the
 * end of the buffer is accepted (the file may go on). */
bool looks_like_text(const unsigned char *p, size_t n);

#endif
