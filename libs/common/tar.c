/*
 * ustar reader. The archive is untrusted: every field is range-checked and
 * all reads stay inside the 512-byte header or the checked data range.
 *
 * Header layout (POSIX ustar): offsets of the fields used here.
 */
#include <common/string.h>
#include <common/tar.h>

#define H_NAME      0     /* [100] */
#define H_MODE      100   /* [8] octal */
#define H_SIZE      124   /* [12] octal */
#define H_MTIME     136   /* [12] octal */
#define H_CHKSUM    148   /* [8] octal */
#define H_TYPE      156
#define H_LINKNAME  157   /* [100] */
#define H_MAGIC     257   /* [6] "ustar\0" (POSIX) or "ustar " (old GNU) */
#define H_PREFIX    345   /* [155], POSIX only */

/*
 * Parses an octal field: optional leading spaces, at least one digit, then
 * only NULs or spaces up to the end of the field.
 */
static bool parse_octal(const unsigned char *f, size_t len, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    bool any = false;

    while (i < len && f[i] == ' ')
        i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3))
            return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
        any = true;
    }
    for (; i < len; i++) {
        if (f[i] != 0 && f[i] != ' ')
            return false;
    }
    if (!any)
        return false;
    *out = v;
    return true;
}

/* The checksum treats its own field as spaces. Old tars summed signed
 * chars, so accept either sum. */
static bool checksum_ok(const unsigned char *h)
{
    uint64_t want;
    uint64_t usum = 0;
    int64_t ssum = 0;

    if (!parse_octal(h + H_CHKSUM, 8, &want))
        return false;
    for (int i = 0; i < TAR_BLOCK; i++) {
        unsigned char b = (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : h[i];
        usum += b;
        ssum += (signed char)b;
    }
    return want == usum || (ssum >= 0 && want == (uint64_t)ssum);
}

static bool zero_block(const unsigned char *h)
{
    for (int i = 0; i < TAR_BLOCK; i++) {
        if (h[i] != 0)
            return false;
    }
    return true;
}

/*
 * Strips leading "/" and "./" (and a lone ".") and trailing "/" from the
 * n bytes at s; returns the new start and updates *n.
 */
static const char *normalise(const char *s, size_t *n)
{
    for (;;) {
        if (*n >= 1 && s[0] == '/') {
            s++;
            (*n)--;
        } else if (*n >= 2 && s[0] == '.' && s[1] == '/') {
            s += 2;
            *n -= 2;
        } else if (*n == 1 && s[0] == '.') {
            s++;
            (*n)--;
        } else {
            break;
        }
    }
    while (*n > 0 && s[*n - 1] == '/')
        (*n)--;
    return s;
}

/* Builds the entry's path from prefix and name (neither need be
 * NUL-terminated) into e->name. */
static void build_name(const unsigned char *h, bool posix, struct tar_entry *e)
{
    char full[TAR_NAME_MAX];
    size_t n = 0;
    size_t plen = posix ? strnlen((const char *)h + H_PREFIX, 155) : 0;
    size_t nlen = strnlen((const char *)h + H_NAME, 100);
    const char *s;

    if (plen > 0) {
        memcpy(full, h + H_PREFIX, plen);
        n = plen;
        full[n++] = '/';
    }
    memcpy(full + n, h + H_NAME, nlen);
    n += nlen;

    s = normalise(full, &n);
    memmove(e->name, s, n);
    e->name[n] = 0;
}

void tar_open(struct tar *t, const void *archive, size_t size)
{
    t->base = archive;
    t->size = size;
    t->off = 0;
    t->err = (archive == NULL && size != 0) ? TAR_ERR_ARG : TAR_OK;
}

int tar_next(struct tar *t, struct tar_entry *e)
{
    const unsigned char *h;
    size_t avail, data_off;
    uint64_t mode, size, padded;
    bool posix, has_data;

    if (t == NULL || e == NULL)
        return TAR_ERR_ARG;
    if (t->err != TAR_OK)
        return t->err;

    /* Invariant: off <= size. Ending exactly at the end of the data is
     * accepted even without the terminating zero blocks. */
    if (t->off == t->size)
        return t->err = TAR_END;
    if (t->size - t->off < TAR_BLOCK)
        return t->err = TAR_ERR_TRUNCATED;
    h = t->base + t->off;
    if (zero_block(h))
        return t->err = TAR_END;

    if (!checksum_ok(h))
        return t->err = TAR_ERR_CHECKSUM;
    if (memcmp(h + H_MAGIC, "ustar", 5) != 0 ||
        (h[H_MAGIC + 5] != 0 && h[H_MAGIC + 5] != ' '))
        return t->err = TAR_ERR_MAGIC;
    posix = h[H_MAGIC + 5] == 0;

    if (!parse_octal(h + H_MODE, 8, &mode) ||
        !parse_octal(h + H_SIZE, 12, &size))
        return t->err = TAR_ERR_FIELD;
    if (!parse_octal(h + H_MTIME, 12, &e->mtime))
        e->mtime = 0;   /* only informational; do not reject over it */

    e->typeflag = (char)h[H_TYPE];
    e->mode = (uint32_t)(mode & 07777);
    e->link[0] = 0;
    has_data = false;
    switch (e->typeflag) {
    case '0':
    case 0:
    case '7':
        e->type = TAR_FILE;
        has_data = true;
        break;
    case '1':
    case '2': {
        size_t ln = strnlen((const char *)h + H_LINKNAME, 100);
        memcpy(e->link, h + H_LINKNAME, ln);
        e->link[ln] = 0;
        e->type = e->typeflag == '1' ? TAR_HARDLINK : TAR_SYMLINK;
        break;
    }
    case '5':
        e->type = TAR_DIR;
        break;
    case '3':   /* character device */
    case '4':   /* block device */
    case '6':   /* FIFO */
        e->type = TAR_OTHER;
        break;
    default:    /* extension headers and unknown types carry data */
        e->type = TAR_OTHER;
        has_data = true;
        break;
    }
    build_name(h, posix, e);

    /* POSIX: links, directories and devices have no data blocks. */
    if (!has_data)
        size = 0;
    data_off = t->off + TAR_BLOCK;
    avail = t->size - data_off;
    if (size > (uint64_t)avail)
        return t->err = TAR_ERR_BOUNDS;
    e->size = size;
    e->data = t->base + data_off;

    /* size <= avail, so rounding up cannot overflow. The padding of the
     * last entry may be cut off; then the next call reports the end. */
    padded = (size + TAR_BLOCK - 1) & ~(uint64_t)(TAR_BLOCK - 1);
    t->off = padded > avail ? t->size : data_off + (size_t)padded;
    return TAR_OK;
}

int tar_find(const void *archive, size_t size, const char *path,
             struct tar_entry *e)
{
    struct tar t;
    const char *q;
    size_t qn;
    int r;

    if (path == NULL || e == NULL)
        return TAR_ERR_ARG;
    qn = strlen(path);
    q = normalise(path, &qn);

    tar_open(&t, archive, size);
    while ((r = tar_next(&t, e)) == TAR_OK) {
        if (strlen(e->name) == qn && memcmp(e->name, q, qn) == 0)
            return TAR_OK;
    }
    return r == TAR_END ? TAR_ERR_NOTFOUND : r;
}

const char *tar_strerror(int err)
{
    switch (err) {
    case TAR_OK: return "ok";
    case TAR_END: return "end of archive";
    case TAR_ERR_TRUNCATED: return "archive truncated";
    case TAR_ERR_CHECKSUM: return "bad header checksum";
    case TAR_ERR_MAGIC: return "not a ustar header";
    case TAR_ERR_FIELD: return "bad numeric field in header";
    case TAR_ERR_BOUNDS: return "entry data past end of archive";
    case TAR_ERR_NOTFOUND: return "no such entry";
    case TAR_ERR_ARG: return "bad argument";
    default: return "unknown tar error";
    }
}
