/*
 * Freestanding string and memory functions.
 *
 * On x86-64 memcpy/memset use "rep movsb"/"rep stosb", which modern CPUs
 * (ERMS) run at close to full memory bandwidth for any alignment. Elsewhere,
 * and in host tests (COMMON_HOST_TEST, so ASan sees every access), a portable
 * C path is used.
 *
 * The compiler may turn a byte-copy loop into a call to memcpy/memset, which
 * here would recurse forever; NO_LIBCALL stops that for the C loops.
 */
#include <stdint.h>
#include <common/string.h>

#if defined(__GNUC__) && !defined(__clang__)
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_LIBCALL
#endif

/* A word type that may alias anything, so word copies are not UB. */
typedef uint64_t __attribute__((__may_alias__)) common_word_t;
#define WORD sizeof(common_word_t)

#if defined(__x86_64__) && !defined(COMMON_HOST_TEST)

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    void *ret = dst;
    __asm__ volatile("rep movsb"
                     : "+D"(dst), "+S"(src), "+c"(n)
                     :
                     : "memory");
    return ret;
}

void *memset(void *dst, int c, size_t n)
{
    void *ret = dst;
    __asm__ volatile("rep stosb"
                     : "+D"(dst), "+c"(n)
                     : "a"(c)
                     : "memory");
    return ret;
}

#else

NO_LIBCALL
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Word copies only when both pointers can become aligned together. */
    if ((((uintptr_t)d ^ (uintptr_t)s) & (WORD - 1)) == 0) {
        while (n > 0 && ((uintptr_t)d & (WORD - 1)) != 0) {
            *d++ = *s++;
            n--;
        }
        while (n >= WORD) {
            *(common_word_t *)d = *(const common_word_t *)s;
            d += WORD;
            s += WORD;
            n -= WORD;
        }
    }
    while (n > 0) {
        *d++ = *s++;
        n--;
    }
    return dst;
}

NO_LIBCALL
void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    while (n > 0 && ((uintptr_t)d & (WORD - 1)) != 0) {
        *d++ = b;
        n--;
    }
    if (n >= WORD) {
        common_word_t w = b * (common_word_t)0x0101010101010101ULL;
        while (n >= WORD) {
            *(common_word_t *)d = w;
            d += WORD;
            n -= WORD;
        }
    }
    while (n > 0) {
        *d++ = b;
        n--;
    }
    return dst;
}

#endif

/*
 * Buffers that do not overlap go to memcpy. Overlapping ones are copied in
 * the safe direction: forwards when dst is below src (rep movsb is defined
 * to copy in ascending order, so this stays fast for e.g. console scrolling),
 * backwards otherwise, in C to avoid toggling the direction flag.
 */
NO_LIBCALL
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    uintptr_t di = (uintptr_t)d, si = (uintptr_t)s;

    if (d == s || n == 0)
        return dst;
    if (di - si >= n && si - di >= n)
        return memcpy(dst, src, n);

    if (di < si) {
#if defined(__x86_64__) && !defined(COMMON_HOST_TEST)
        __asm__ volatile("rep movsb"
                         : "+D"(d), "+S"(s), "+c"(n)
                         :
                         : "memory");
#else
        while (n > 0) {
            *d++ = *s++;
            n--;
        }
#endif
        return dst;
    }

    d += n;
    s += n;
    /* Mutually aligned: the distance is a non-zero multiple of 8, so whole
     * words can be moved backwards safely. */
    if (((di ^ si) & (WORD - 1)) == 0) {
        while (n > 0 && ((uintptr_t)d & (WORD - 1)) != 0) {
            *--d = *--s;
            n--;
        }
        while (n >= WORD) {
            d -= WORD;
            s -= WORD;
            *(common_word_t *)d = *(const common_word_t *)s;
            n -= WORD;
        }
    }
    while (n > 0) {
        *--d = *--s;
        n--;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;

    for (; n > 0; n--, p++, q++) {
        if (*p != *q)
            return *p < *q ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

/* Comparisons are done on unsigned char, as the C standard requires. */
int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    while (*p && *p == *q) {
        p++;
        q++;
    }
    return *p == *q ? 0 : (*p < *q ? -1 : 1);
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    for (; n > 0; n--, p++, q++) {
        if (*p != *q)
            return *p < *q ? -1 : 1;
        if (*p == 0)
            break;
    }
    return 0;
}

/* strchr(s, 0) finds the terminator, as in C. */
char *strchr(const char *s, int c)
{
    char ch = (char)c;

    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (*s == 0)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;

    for (;; s++) {
        if (*s == ch)
            last = s;
        if (*s == 0)
            return (char *)last;
    }
}
