/*
 * printf-style formatting for the kernel (printk), user space and tests.
 * Integers only; every conversion goes through one output callback so the
 * same code serves both snprintf and console output.
 */
#include <stdbool.h>
#include <stdint.h>
#include <common/format.h>

#define INT_MAX_ ((int)(~0u >> 1))

/* The signed type matching size_t and the unsigned type matching ptrdiff_t,
 * for %zd and %tu. */
#if __SIZEOF_SIZE_T__ == __SIZEOF_LONG__
typedef long fmt_ssize_t;
#elif __SIZEOF_SIZE_T__ == __SIZEOF_LONG_LONG__
typedef long long fmt_ssize_t;
#else
typedef int fmt_ssize_t;
#endif
#if __SIZEOF_PTRDIFF_T__ == __SIZEOF_LONG__
typedef unsigned long fmt_uptrdiff_t;
#elif __SIZEOF_PTRDIFF_T__ == __SIZEOF_LONG_LONG__
typedef unsigned long long fmt_uptrdiff_t;
#else
typedef unsigned int fmt_uptrdiff_t;
#endif

enum { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct out {
    void (*put)(void *ctx, char c);
    void *ctx;
    size_t count;
};

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec;    /* -1: no precision given */
};

static void emit(struct out *o, char c)
{
    o->put(o->ctx, c);
    o->count++;
}

static void emit_pad(struct out *o, char c, int n)
{
    for (; n > 0; n--)
        emit(o, c);
}

/*
 * Prints one integer: [spaces] [sign] [0x] [zeros] digits [spaces].
 * v is the magnitude; neg says whether a '-' goes in front.
 */
static void emit_int(struct out *o, const struct spec *sp, uintmax_t v,
                     bool neg, bool is_signed, int base, bool upper, bool ptr)
{
    const char *xdigits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[sizeof(uintmax_t) * 3];   /* enough for octal */
    int nd = 0;
    char sign = 0;
    const char *prefix = "";
    int plen = 0;
    int zeros, len, pad;
    uintmax_t orig = v;

    /* C: zero printed with precision 0 gives no digits. */
    if (!(v == 0 && sp->prec == 0)) {
        do {
            digits[nd++] = xdigits[v % (unsigned)base];
            v /= (unsigned)base;
        } while (v != 0);
    }

    if (is_signed) {
        if (neg)
            sign = '-';
        else if (sp->plus)
            sign = '+';
        else if (sp->space)
            sign = ' ';
    }
    if (base == 16 && (ptr || (sp->alt && orig != 0))) {
        prefix = upper ? "0X" : "0x";
        plen = 2;
    }

    zeros = sp->prec > nd ? sp->prec - nd : 0;
    /* "%#o": raise the precision just enough for a leading zero. */
    if (base == 8 && sp->alt && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
        zeros = 1;

    len = (sign ? 1 : 0) + plen + zeros + nd;
    /* The 0 flag is ignored with '-' or an explicit precision. */
    if (sp->zero && !sp->left && sp->prec < 0 && sp->width > len) {
        zeros += sp->width - len;
        len = sp->width;
    }
    pad = sp->width > len ? sp->width - len : 0;

    if (!sp->left)
        emit_pad(o, ' ', pad);
    if (sign)
        emit(o, sign);
    for (int i = 0; i < plen; i++)
        emit(o, prefix[i]);
    emit_pad(o, '0', zeros);
    while (nd > 0)
        emit(o, digits[--nd]);
    if (sp->left)
        emit_pad(o, ' ', pad);
}

static void emit_str(struct out *o, const struct spec *sp, const char *s)
{
    int n = 0;

    if (s == NULL)
        s = "(null)";
    /* Never look past the precision: the string need not be terminated. */
    while ((sp->prec < 0 || n < sp->prec) && s[n] != 0 && n < INT_MAX_)
        n++;

    if (!sp->left)
        emit_pad(o, ' ', sp->width - n);
    for (int i = 0; i < n; i++)
        emit(o, s[i]);
    if (sp->left)
        emit_pad(o, ' ', sp->width - n);
}

/* Reads a decimal number, saturating at INT_MAX. */
static int parse_num(const char **pp)
{
    const char *p = *pp;
    int n = 0;

    while (*p >= '0' && *p <= '9') {
        int d = *p - '0';
        n = n > (INT_MAX_ - d) / 10 ? INT_MAX_ : n * 10 + d;
        p++;
    }
    *pp = p;
    return n;
}

int fmt_vformat(void (*put)(void *ctx, char c), void *ctx, const char *fmt,
                va_list ap)
{
    struct out o = { put, ctx, 0 };
    const char *p = fmt;

    while (*p) {
        struct spec sp = { false, false, false, false, false, 0, -1 };
        int len = LEN_NONE;
        const char *start;

        if (*p != '%') {
            emit(&o, *p++);
            continue;
        }
        start = p++;

        for (;; p++) {
            if (*p == '-')
                sp.left = true;
            else if (*p == '0')
                sp.zero = true;
            else if (*p == '+')
                sp.plus = true;
            else if (*p == ' ')
                sp.space = true;
            else if (*p == '#')
                sp.alt = true;
            else
                break;
        }

        if (*p == '*') {
            int w = va_arg(ap, int);
            if (w < 0) {
                sp.left = true;
                w = w < -INT_MAX_ ? INT_MAX_ : -w;
            }
            sp.width = w;
            p++;
        } else {
            sp.width = parse_num(&p);
        }

        if (*p == '.') {
            p++;
            if (*p == '*') {
                int pr = va_arg(ap, int);
                sp.prec = pr < 0 ? -1 : pr;   /* negative: as if omitted */
                p++;
            } else {
                sp.prec = parse_num(&p);
            }
        }

        switch (*p) {
        case 'h':
            p++;
            if (*p == 'h') {
                len = LEN_HH;
                p++;
            } else {
                len = LEN_H;
            }
            break;
        case 'l':
            p++;
            if (*p == 'l') {
                len = LEN_LL;
                p++;
            } else {
                len = LEN_L;
            }
            break;
        case 'z': len = LEN_Z; p++; break;
        case 't': len = LEN_T; p++; break;
        case 'j': len = LEN_J; p++; break;
        default: break;
        }

        switch (*p) {
        case 'd':
        case 'i': {
            intmax_t v;
            switch (len) {
            case LEN_HH: v = (signed char)va_arg(ap, int); break;
            case LEN_H: v = (short)va_arg(ap, int); break;
            case LEN_L: v = va_arg(ap, long); break;
            case LEN_LL: v = va_arg(ap, long long); break;
            case LEN_Z: v = va_arg(ap, fmt_ssize_t); break;
            case LEN_T: v = va_arg(ap, ptrdiff_t); break;
            case LEN_J: v = va_arg(ap, intmax_t); break;
            default: v = va_arg(ap, int); break;
            }
            /* Negate as unsigned so INTMAX_MIN works. */
            uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            emit_int(&o, &sp, mag, v < 0, true, 10, false, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uintmax_t v;
            switch (len) {
            case LEN_HH: v = (unsigned char)va_arg(ap, unsigned int); break;
            case LEN_H: v = (unsigned short)va_arg(ap, unsigned int); break;
            case LEN_L: v = va_arg(ap, unsigned long); break;
            case LEN_LL: v = va_arg(ap, unsigned long long); break;
            case LEN_Z: v = va_arg(ap, size_t); break;
            case LEN_T: v = va_arg(ap, fmt_uptrdiff_t); break;
            case LEN_J: v = va_arg(ap, uintmax_t); break;
            default: v = va_arg(ap, unsigned int); break;
            }
            int base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            emit_int(&o, &sp, v, false, false, base, *p == 'X', false);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            emit_int(&o, &sp, v, false, false, 16, false, true);
            break;
        }
        case 's':
            emit_str(&o, &sp, va_arg(ap, const char *));
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!sp.left)
                emit_pad(&o, ' ', sp.width - 1);
            emit(&o, c);
            if (sp.left)
                emit_pad(&o, ' ', sp.width - 1);
            break;
        }
        case '%':
            emit(&o, '%');
            break;
        case 0:
            /* Format ends inside a conversion: show what was there. */
            while (start < p)
                emit(&o, *start++);
            continue;
        default:
            /* Unknown conversion: print it verbatim so the bug is visible. */
            while (start <= p)
                emit(&o, *start++);
            break;
        }
        p++;
    }

    return o.count > (size_t)INT_MAX_ ? -1 : (int)o.count;
}

struct sbuf {
    char *buf;
    size_t size;
    size_t len;
};

static void sbuf_put(void *ctx, char c)
{
    struct sbuf *b = ctx;

    if (b->len + 1 < b->size)
        b->buf[b->len] = c;
    b->len++;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sbuf b = { buf, size, 0 };
    int ret = fmt_vformat(sbuf_put, &b, fmt, ap);

    if (size > 0)
        buf[b.len < size ? b.len : size - 1] = 0;
    return ret;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return ret;
}
