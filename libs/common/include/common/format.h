/*
 * printf-style formatting without floating point.
 *
 * Conversions: %d %i %u %x %X %o %p %s %c %%
 * Flags: - 0 + space #; width and precision, either may be '*'.
 * Length modifiers: hh h l ll z t j.
 * %p prints "0x" and lowercase hex (also for NULL: "0x0"); a NULL %s prints
 * "(null)" (cut by the precision, if any). %n and floating point are not
 * supported; an unknown conversion is printed as-is, e.g. "%q".
 */
#ifndef COMMON_FORMAT_H
#define COMMON_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

#define FMT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Calls put(ctx, c) for each output character. Returns the number of
 * characters produced, or -1 if that exceeds INT_MAX.
 */
int fmt_vformat(void (*put)(void *ctx, char c), void *ctx, const char *fmt,
                va_list ap);

/*
 * C99 snprintf semantics: writes at most size-1 characters plus a NUL (when
 * size > 0; buf may be NULL when size is 0) and returns the length the full
 * output would have had, or -1 if that exceeds INT_MAX.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) FMT_PRINTF(3, 4);

#endif
