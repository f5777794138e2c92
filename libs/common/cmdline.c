/*
 * Command-line parsing. Works directly on the string (no fixed-size token
 * buffers), so any length or content is handled without overflow.
 */
#include <common/cmdline.h>

/* One parameter: the raw bytes of key and value, quotes still in place. */
struct param {
    const char *key;
    size_t klen;
    const char *val;   /* NULL for a bare key */
    size_t vlen;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Splits off the next parameter at *pp; false at the end of the line. */
static bool next_param(const char **pp, struct param *pm)
{
    const char *p = *pp;
    bool quoted = false;

    if (p == NULL)
        return false;
    while (is_space(*p))
        p++;
    if (*p == 0) {
        *pp = p;
        return false;
    }

    pm->key = p;
    pm->val = NULL;
    pm->vlen = 0;
    for (; *p != 0 && (quoted || !is_space(*p)); p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '=' && pm->val == NULL) {   /* first '=' splits */
            pm->klen = (size_t)(p - pm->key);
            pm->val = p + 1;
        }
    }
    if (pm->val == NULL)
        pm->klen = (size_t)(p - pm->key);
    else
        pm->vlen = (size_t)(p - pm->val);
    *pp = p;
    return true;
}

/* Copies n raw bytes without quotes into dst (cap bytes, NUL-terminated if
 * cap > 0); returns the unquoted length, even if it did not fit. */
static size_t unquote(const char *src, size_t n, char *dst, size_t cap)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        if (src[i] == '"')
            continue;
        if (len + 1 < cap)
            dst[len] = src[i];
        len++;
    }
    if (cap > 0)
        dst[len < cap ? len : cap - 1] = 0;
    return len;
}

/* Does the raw key (quotes ignored) equal key? */
static bool key_equals(const struct param *pm, const char *key)
{
    size_t j = 0;

    for (size_t i = 0; i < pm->klen; i++) {
        if (pm->key[i] == '"')
            continue;
        if (key[j] != pm->key[i])
            return false;
        j++;
    }
    return key[j] == 0;
}

static bool find_last(const char *cmdline, const char *key, struct param *out)
{
    struct param pm;
    const char *p = cmdline;
    bool found = false;

    if (key == NULL || *key == 0)
        return false;
    while (next_param(&p, &pm)) {
        if (key_equals(&pm, key)) {
            *out = pm;
            found = true;
        }
    }
    return found;
}

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t cap)
{
    struct param pm;

    if (!find_last(cmdline, key, &pm))
        return false;
    if (val != NULL)
        unquote(pm.val ? pm.val : "", pm.vlen, val, cap);
    return true;
}

bool cmdline_has(const char *cmdline, const char *key)
{
    struct param pm;

    return find_last(cmdline, key, &pm);
}

/* Decimal or 0x-hex with optional sign; the whole string must be used. */
static bool parse_long(const char *s, long *out)
{
    unsigned long v = 0, limit;
    unsigned base = 10;
    bool neg = false, any = false;

    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    limit = neg ? (unsigned long)__LONG_MAX__ + 1 : (unsigned long)__LONG_MAX__;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (limit - d) / base)
            return false;
        v = v * base + d;
        any = true;
    }
    if (!any)
        return false;
    /* -(LONG_MAX + 1) must not be formed by negating a long. */
    *out = neg ? (long)(0 - v) : (long)v;
    return true;
}

long cmdline_get_int(const char *cmdline, const char *key, long dflt)
{
    struct param pm;
    char buf[72];
    long v;

    if (!find_last(cmdline, key, &pm) || pm.val == NULL)
        return dflt;
    if (unquote(pm.val, pm.vlen, buf, sizeof(buf)) >= sizeof(buf))
        return dflt;
    return parse_long(buf, &v) ? v : dflt;
}

bool cmdline_next(const char **cursor, char *key, size_t kcap, char *val,
                  size_t vcap)
{
    struct param pm;

    if (cursor == NULL || !next_param(cursor, &pm))
        return false;
    if (key != NULL)
        unquote(pm.key, pm.klen, key, kcap);
    if (val != NULL)
        unquote(pm.val ? pm.val : "", pm.vlen, val, vcap);
    return true;
}
