/*
 * FAT32 (Microsoft FAT specification, facts only): format, mount with
 * checks, files, directories with long names, rename, delete.
 *
 * Nothing read from disk is trusted: cluster numbers are range-checked
 * before use and every chain walk is bounded, so a corrupt volume gives
 * FAT_ECORRUPT instead of a crash or an endless loop.
 *
 * Write order keeps the volume consistent if power is cut: data first, then
 * FAT entries (every copy), then the directory entry; on delete, the
 * directory entry first, then the clusters. The FSInfo free count is only
 * a hint.
 */
#include <fat/fat.h>
#include <common/string.h>

#define EOC 0x0FFFFFFFu
#define ENTRY_SIZE 32
#define ATTR_LFN 0x0F
#define DIR_MAX_ENTRIES 65536u   /* the spec's limit; bounds directory scans */
#define NO_SECTOR 0xFFFFFFFFu
#define MIN_FAT32_CLUSTERS 65525u
#define MAX_FAT32_CLUSTERS 0x0FFFFFF5u
/* Directory entry offsets of the time stamps. */
#define E_CRT_TENTH 13   /* creation time: 10 ms units past the 2-second time */
#define E_CRT_TIME 14
#define E_CRT_DATE 16
#define E_ACC_DATE 18
#define E_WRT_TIME 22
#define E_WRT_DATE 24

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

const char *fat_strerror(int err)
{
    switch (err) {
    case FAT_OK: return "ok";
    case FAT_EIO: return "device I/O error";
    case FAT_ENOENT: return "no such file or directory";
    case FAT_EEXIST: return "already exists";
    case FAT_ENOTDIR: return "not a directory";
    case FAT_EISDIR: return "is a directory";
    case FAT_ENOTEMPTY: return "directory not empty";
    case FAT_ENOSPC: return "no space left on volume";
    case FAT_EINVAL: return "invalid argument";
    case FAT_ECORRUPT: return "file system corrupt";
    case FAT_EROFS: return "volume is read-only";
    case FAT_ENAMETOOLONG: return "name too long";
    default: return "unknown error";
    }
}

/* ---- Sector I/O with two write-through one-sector caches ---- */

static int sec_read(struct fat_volume *v, uint32_t s, void *buf)
{
    if (s >= v->total_sectors)
        return FAT_ECORRUPT;
    return v->dev->read(v->dev->ctx, s, 1, buf) ? FAT_EIO : 0;
}

static int sec_write(struct fat_volume *v, uint32_t s, const void *buf)
{
    if (v->read_only)
        return FAT_EROFS;
    if (s >= v->total_sectors)
        return FAT_ECORRUPT;
    if (v->dev->write(v->dev->ctx, s, 1, buf)) {
        /* The caches may hold the unwritten bytes: drop them. */
        if (s == v->fat_cache_sector)
            v->fat_cache_sector = NO_SECTOR;
        if (s == v->data_cache_sector)
            v->data_cache_sector = NO_SECTOR;
        return FAT_EIO;
    }
    if (s == v->fat_cache_sector && buf != v->fat_cache)
        memcpy(v->fat_cache, buf, FAT_SECTOR_SIZE);
    if (s == v->data_cache_sector && buf != v->data_cache)
        memcpy(v->data_cache, buf, FAT_SECTOR_SIZE);
    return 0;
}

static int data_load(struct fat_volume *v, uint32_t s)
{
    if (s == v->data_cache_sector)
        return 0;
    v->data_cache_sector = NO_SECTOR;
    int r = sec_read(v, s, v->data_cache);
    if (r == 0)
        v->data_cache_sector = s;
    return r;
}

/* ---- FAT entries ---- */

static int cluster_valid(const struct fat_volume *v, uint32_t c)
{
    return c >= 2 && c <= v->cluster_count + 1;
}

static uint32_t cluster_sector(const struct fat_volume *v, uint32_t c)
{
    return v->data_start + (c - 2) * v->sectors_per_cluster;
}

static int fat_get(struct fat_volume *v, uint32_t c, uint32_t *out)
{
    if (!cluster_valid(v, c))
        return FAT_ECORRUPT;
    uint32_t s = v->reserved_sectors + c / (FAT_SECTOR_SIZE / 4);
    if (s != v->fat_cache_sector) {
        v->fat_cache_sector = NO_SECTOR;
        int r = sec_read(v, s, v->fat_cache);
        if (r)
            return r;
        v->fat_cache_sector = s;
    }
    *out = le32(v->fat_cache + (c % (FAT_SECTOR_SIZE / 4)) * 4) & 0x0FFFFFFF;
    return 0;
}

/* Sets an entry in every FAT copy, keeping the reserved top 4 bits. */
static int fat_set(struct fat_volume *v, uint32_t c, uint32_t val)
{
    uint32_t old;
    int r = fat_get(v, c, &old);   /* also loads copy 0 into the cache */
    if (r)
        return r;
    uint32_t off = (c % (FAT_SECTOR_SIZE / 4)) * 4;
    for (uint32_t i = 0; i < v->num_fats; i++) {
        uint32_t s = v->reserved_sectors + i * v->fat_sectors + c / (FAT_SECTOR_SIZE / 4);
        uint8_t *buf = i == 0 ? v->fat_cache : v->scratch;
        if (i != 0 && (r = sec_read(v, s, buf)))
            return r;
        put32(buf + off, (le32(buf + off) & 0xF0000000) | (val & 0x0FFFFFFF));
        if ((r = sec_write(v, s, buf)))
            return r;
    }
    if (old == 0 && val != 0 && v->free_count != 0xFFFFFFFF && v->free_count > 0)
        v->free_count--;
    else if (old != 0 && val == 0 && v->free_count != 0xFFFFFFFF)
        v->free_count++;
    v->fsinfo_dirty = 1;
    return 0;
}

/* *next = following cluster, or 0 at end of chain. Free/bad/out-of-range
 * links inside a chain are corruption. */
static int chain_next(struct fat_volume *v, uint32_t c, uint32_t *next)
{
    uint32_t e;
    int r = fat_get(v, c, &e);
    if (r)
        return r;
    if (e >= 0x0FFFFFF8) {
        *next = 0;
        return 0;
    }
    if (!cluster_valid(v, e))
        return FAT_ECORRUPT;
    *next = e;
    return 0;
}

/* Finds a free cluster without claiming it: the caller writes its data,
 * then links it with fat_set. */
static int find_free(struct fat_volume *v, uint32_t *out)
{
    uint32_t start = cluster_valid(v, v->next_free) ? v->next_free : 2;
    for (uint32_t i = 0; i < v->cluster_count; i++) {
        uint32_t c = 2 + (start - 2 + i) % v->cluster_count;
        uint32_t e;
        int r = fat_get(v, c, &e);
        if (r)
            return r;
        if (e == 0) {
            *out = c;
            v->next_free = c + 1;
            return 0;
        }
    }
    return FAT_ENOSPC;
}

/* Frees a chain; stops quietly at a corrupt link (already-freed entries
 * end the walk, so a looping chain terminates too). */
static int free_chain(struct fat_volume *v, uint32_t c)
{
    for (uint32_t n = 0; c && n < v->cluster_count; n++) {
        uint32_t next = 0;
        if (chain_next(v, c, &next))
            next = 0;
        int r = fat_set(v, c, 0);
        if (r)
            return r;
        c = next;
    }
    return 0;
}

static int zero_cluster(struct fat_volume *v, uint32_t c)
{
    memset(v->scratch, 0, FAT_SECTOR_SIZE);
    for (uint32_t i = 0; i < v->sectors_per_cluster; i++) {
        int r = sec_write(v, cluster_sector(v, c) + i, v->scratch);
        if (r)
            return r;
    }
    return 0;
}

/* ---- Chain position of an open file ---- */

/* Cluster number idx of f's chain. Returns 0, or 1 when the chain has
 * exactly idx clusters (*c = last one, 0 if empty), or an error. */
static int file_walk(struct fat_file *f, uint32_t idx, uint32_t *c)
{
    struct fat_volume *v = f->vol;
    if (f->first_cluster == 0) {
        *c = 0;
        return idx == 0 ? 1 : FAT_ECORRUPT;
    }
    uint32_t cc = f->first_cluster, i = 0;
    if (f->cur_cluster && f->cur_index <= idx) {
        cc = f->cur_cluster;
        i = f->cur_index;
    }
    while (i < idx) {
        uint32_t next;
        int r = chain_next(v, cc, &next);
        if (r)
            return r;
        if (next == 0) {
            if (i + 1 == idx) {
                *c = cc;
                return 1;
            }
            return FAT_ECORRUPT;
        }
        cc = next;
        if (++i > v->cluster_count)
            return FAT_ECORRUPT;
    }
    f->cur_cluster = cc;
    f->cur_index = i;
    *c = cc;
    return 0;
}

/* ---- Time stamps ----
 * A FAT date is (year - 1980) << 9 | month << 5 | day, a time
 * hour << 11 | minute << 5 | seconds / 2. We keep UTC in them (see fat.h). */

static int leap_year(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static uint32_t month_days(uint32_t y, uint32_t m)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

void fat_time_encode(uint64_t t, uint16_t *date, uint16_t *time)
{
    if (t < FAT_TIME_MIN)
        t = FAT_TIME_MIN;
    if (t > FAT_TIME_MAX)
        t = FAT_TIME_MAX;
    uint32_t days = (uint32_t)((t - FAT_TIME_MIN) / 86400), secs = (uint32_t)((t - FAT_TIME_MIN) % 86400);
    uint32_t y = 1980, m = 1;
    while (days >= 365u + (uint32_t)leap_year(y))
        days -= 365u + (uint32_t)leap_year(y++);
    while (days >= month_days(y, m))
        days -= month_days(y, m++);
    *date = (uint16_t)((y - 1980) << 9 | m << 5 | (days + 1));
    *time = (uint16_t)((secs / 3600) << 11 | (secs / 60 % 60) << 5 | (secs % 60) / 2);
}

uint64_t fat_time_decode(uint16_t date, uint16_t time)
{
    uint32_t y = 1980 + (date >> 9), m = date >> 5 & 15, d = date & 31;
    uint32_t hour = time >> 11, min = time >> 5 & 63, sec = (time & 31) * 2u;
    if (m < 1 || m > 12 || d < 1 || d > month_days(y, m) || hour > 23 || min > 59 || sec > 59)
        return 0;
    uint64_t days = d - 1;
    for (uint32_t k = 1980; k < y; k++)
        days += 365u + (uint32_t)leap_year(k);
    for (uint32_t k = 1; k < m; k++)
        days += month_days(y, k);
    return FAT_TIME_MIN + days * 86400 + hour * 3600u + min * 60u + sec;
}

/* A directory entry's last-write time. */
static uint64_t entry_mtime(const uint8_t *e)
{
    return fat_time_decode(le16(e + E_WRT_DATE), le16(e + E_WRT_TIME));
}

static uint64_t now_seconds(const struct fat_device *dev)
{
    return dev->now ? dev->now(dev->ctx) : FAT_DEFAULT_TIME;
}

/* ---- Names ---- */

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

/* Decodes UTF-8 into UCS-2; returns the count or a negative error. */
static int utf8_to_ucs2(const char *s, size_t len, uint16_t *out)
{
    int n = 0;
    for (size_t i = 0; i < len;) {
        uint8_t b = (uint8_t)s[i];
        uint32_t cp;
        if (b < 0x80) {
            cp = b;
            i++;
        } else if ((b & 0xE0) == 0xC0 && i + 1 < len && ((uint8_t)s[i + 1] & 0xC0) == 0x80) {
            cp = (uint32_t)(b & 0x1F) << 6 | ((uint8_t)s[i + 1] & 0x3F);
            i += 2;
        } else if ((b & 0xF0) == 0xE0 && i + 2 < len && ((uint8_t)s[i + 1] & 0xC0) == 0x80 &&
                   ((uint8_t)s[i + 2] & 0xC0) == 0x80) {
            cp = (uint32_t)(b & 0x0F) << 12 | (uint32_t)((uint8_t)s[i + 1] & 0x3F) << 6 |
                 ((uint8_t)s[i + 2] & 0x3F);
            i += 3;
        } else {
            return FAT_EINVAL;  /* malformed, or outside the BMP */
        }
        if (n >= FAT_NAME_MAX)
            return FAT_ENAMETOOLONG;
        out[n++] = (uint16_t)cp;
    }
    return n;
}

static void ucs2_to_utf8(const uint16_t *u, int n, char *out)
{
    size_t o = 0;
    for (int i = 0; i < n && u[i]; i++) {
        uint16_t c = u[i];
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | c >> 6);
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xE0 | c >> 12);
            out[o++] = (char)(0x80 | (c >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
}

static uint8_t lfn_checksum(const uint8_t *name11)
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
    return sum;
}

/* Short-name formatting for display, honouring the NT lower-case bits. */
static void short_to_str(const uint8_t *e, char *out, int apply_case)
{
    size_t o = 0;
    int lower_base = apply_case && (e[12] & 0x08), lower_ext = apply_case && (e[12] & 0x10);
    for (int i = 0; i < 8 && e[i] != ' '; i++) {
        char c = (char)(i == 0 && e[0] == 0x05 ? 0xE5 : e[i]);
        out[o++] = lower_base && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    if (e[8] != ' ') {
        out[o++] = '.';
        for (int i = 8; i < 11 && e[i] != ' '; i++)
            out[o++] = lower_ext && e[i] >= 'A' && e[i] <= 'Z' ? (char)(e[i] + 32) : (char)e[i];
    }
    out[o] = 0;
}

static int name_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen; i++)
        if (!b[i] || upper(a[i]) != upper(b[i]))
            return 0;
    return b[i] == 0;
}

static int long_name_char_ok(char c)
{
    return (uint8_t)c >= 0x20 && !strchr("\"*/:<>?\\|", c);
}

static int short_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           ((uint8_t)c < 0x80 && c && strchr("$%'-_@~`!(){}^#&", c));
}

/* ---- Directory scanning ---- */

struct dir_entry {
    uint32_t first_index;   /* first LFN slot, or the short entry */
    uint32_t index;         /* the short entry */
    uint32_t sector, offset;
    uint8_t raw[ENTRY_SIZE];
    char name[FAT_NAME_BYTES];
    char short_name[13];
};

/* Sector and offset of entry idx of directory d; 1 past the chain's end. */
static int dir_locate(struct fat_file *d, uint32_t idx, uint32_t *sector, uint32_t *offset)
{
    struct fat_volume *v = d->vol;
    if (idx >= DIR_MAX_ENTRIES)
        return FAT_ECORRUPT;
    uint32_t byte = idx * ENTRY_SIZE, c;
    int r = file_walk(d, byte / v->cluster_bytes, &c);
    if (r)
        return r;
    *sector = cluster_sector(v, c) + (byte % v->cluster_bytes) / FAT_SECTOR_SIZE;
    *offset = byte % FAT_SECTOR_SIZE;
    return 0;
}

/* Next live entry at or after *idx. Returns 1 found, 0 end, or error. */
static int dir_next(struct fat_file *d, uint32_t *idx, struct dir_entry *out)
{
    struct fat_volume *v = d->vol;
    uint16_t lfn[20 * 13 + 1];
    int lfn_total = 0, lfn_expect = 0;
    uint8_t lfn_sum = 0;
    uint32_t lfn_start = 0;

    for (;; (*idx)++) {
        uint32_t s, off;
        int r = dir_locate(d, *idx, &s, &off);
        if (r == 1)
            return 0;
        if (r)
            return r;
        if ((r = data_load(v, s)))
            return r;
        const uint8_t *e = v->data_cache + off;
        if (e[0] == 0)
            return 0;
        if (e[0] == 0xE5) {
            lfn_expect = 0;
            continue;
        }
        if ((e[11] & 0x3F) == ATTR_LFN) {
            int ord = e[0] & 0x1F;
            if (e[0] & 0x40) {
                lfn_total = ord;
                lfn_expect = ord;
                lfn_sum = e[13];
                lfn_start = *idx;
                memset(lfn, 0, sizeof(lfn));
            }
            if (ord == 0 || ord > 20 || ord != lfn_expect || e[13] != lfn_sum) {
                lfn_expect = 0;
                continue;
            }
            static const uint8_t pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
            for (int i = 0; i < 13; i++)
                lfn[(ord - 1) * 13 + i] = le16(e + pos[i]);
            lfn_expect = ord - 1;
            if (lfn_expect == 0)
                lfn_expect = -1;   /* complete: the short entry must follow */
            continue;
        }
        if (e[11] & FAT_ATTR_VOLUME_ID) {
            lfn_expect = 0;
            continue;
        }
        memcpy(out->raw, e, ENTRY_SIZE);
        out->index = *idx;
        out->sector = s;
        out->offset = off;
        short_to_str(e, out->short_name, 0);
        if (lfn_expect == -1 && lfn_checksum(e) == lfn_sum) {
            ucs2_to_utf8(lfn, lfn_total * 13, out->name);
            out->first_index = lfn_start;
        } else {
            short_to_str(e, out->name, 1);
            out->first_index = *idx;
        }
        (*idx)++;
        return 1;
    }
}

static uint32_t entry_cluster(const uint8_t *e)
{
    return (uint32_t)le16(e + 20) << 16 | le16(e + 26);
}

static int find_in_dir(struct fat_file *d, const char *name, size_t len, struct dir_entry *out)
{
    uint32_t idx = 0;
    int r;
    while ((r = dir_next(d, &idx, out)) == 1)
        if (name_eq(name, len, out->name) || name_eq(name, len, out->short_name))
            return 0;
    return r < 0 ? r : FAT_ENOENT;
}

static void open_root(struct fat_volume *v, struct fat_file *f)
{
    memset(f, 0, sizeof(*f));
    f->vol = v;
    f->first_cluster = v->root_cluster;
    f->attr = FAT_ATTR_DIRECTORY;
}

static int open_entry(struct fat_volume *v, const struct dir_entry *e, struct fat_file *f)
{
    uint32_t c = entry_cluster(e->raw);
    memset(f, 0, sizeof(*f));
    f->vol = v;
    f->attr = e->raw[11];
    if (c != 0 && !cluster_valid(v, c))
        return FAT_ECORRUPT;
    if (f->attr & FAT_ATTR_DIRECTORY) {
        if (c == 0 || c == v->root_cluster) {   /* ".." of a top-level dir */
            open_root(v, f);
            return 0;
        }
    } else {
        f->size = le32(e->raw + 28);
    }
    f->first_cluster = c;
    f->entry_sector = e->sector;
    f->entry_offset = e->offset;
    f->mtime = entry_mtime(e->raw);
    return 0;
}

/* Resolves every component but the last into *parent; the last is
 * returned in *name and *len (len 0 for the root itself). */
static int lookup_parent(struct fat_volume *v, const char *path, struct fat_file *parent,
                         const char **name, size_t *len)
{
    struct dir_entry e;
    open_root(v, parent);
    for (;;) {
        while (*path == '/')
            path++;
        const char *end = path;
        while (*end && *end != '/')
            end++;
        const char *rest = end;
        while (*rest == '/')
            rest++;
        if (*rest == 0) {
            *name = path;
            *len = (size_t)(end - path);
            return 0;
        }
        size_t n = (size_t)(end - path);
        if (parent->first_cluster == v->root_cluster &&
            (name_eq(path, n, ".") || name_eq(path, n, ".."))) {
            path = rest;
            continue;
        }
        int r = find_in_dir(parent, path, n, &e);
        if (r)
            return r;
        if (!(e.raw[11] & FAT_ATTR_DIRECTORY))
            return FAT_ENOTDIR;
        if ((r = open_entry(v, &e, parent)))
            return r;
        path = rest;
    }
}

/* Finds path. *is_root is set when it names the root directory. */
static int lookup(struct fat_volume *v, const char *path, struct fat_file *parent,
                  struct dir_entry *e, int *is_root)
{
    const char *name;
    size_t len;
    int r = lookup_parent(v, path, parent, &name, &len);
    if (r)
        return r;
    *is_root = len == 0 || (parent->first_cluster == v->root_cluster &&
                            (name_eq(name, len, ".") || name_eq(name, len, "..")));
    if (*is_root)
        return 0;
    return find_in_dir(parent, name, len, e);
}

/* ---- Adding and removing directory entries ---- */

static int short_name_taken(struct fat_file *d, const uint8_t *name11)
{
    struct dir_entry e;
    uint32_t idx = 0;
    int r;
    while ((r = dir_next(d, &idx, &e)) == 1)
        if (memcmp(e.raw, name11, 11) == 0)
            return 1;
    return r;
}

/* Builds a unique 8.3 name; *need_lfn says whether the long name differs. */
static int make_short_name(struct fat_file *d, const char *name, size_t len, uint8_t *out,
                           int *need_lfn)
{
    char base[9], ext[4];
    size_t nb = 0, ne = 0;
    int lossy = 0, has_lower = 0;
    size_t dot = len;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '.')
            dot = i;
    if (dot == 0)
        dot = len;   /* ".profile": no extension, the dot is dropped */
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (i == dot)
            continue;
        if (c == ' ' || (c == '.' && i < dot)) {
            lossy = 1;
            continue;
        }
        if (c >= 'a' && c <= 'z')
            has_lower = 1;
        c = upper(c);
        if ((uint8_t)c >= 0x80) {
            /* one '_' per multi-byte UTF-8 character */
            if (((uint8_t)c & 0xC0) == 0x80)
                continue;
            c = '_';
            lossy = 1;
        } else if (!short_char_ok(c)) {
            c = '_';
            lossy = 1;
        }
        if (i < dot) {
            if (nb < 8)
                base[nb++] = c;
            else
                lossy = 1;
        } else {
            if (ne < 3)
                ext[ne++] = c;
            else
                lossy = 1;
        }
    }
    if (nb == 0) {
        base[nb++] = '_';
        lossy = 1;
    }
    memset(out, ' ', 11);
    memcpy(out, base, nb);
    memcpy(out + 8, ext, ne);
    *need_lfn = lossy || has_lower;
    if (!lossy) {
        int r = short_name_taken(d, out);
        if (r <= 0)
            return r;
    }
    *need_lfn = 1;
    for (uint32_t n = 1; n < 1000000; n++) {
        char tail[8];
        int tl = 0;
        uint32_t t = n;
        char digits[7];
        int nd = 0;
        while (t) {
            digits[nd++] = (char)('0' + t % 10);
            t /= 10;
        }
        tail[tl++] = '~';
        while (nd)
            tail[tl++] = digits[--nd];
        size_t keep = nb + (size_t)tl > 8 ? 8 - (size_t)tl : nb;
        memset(out, ' ', 8);
        memcpy(out, base, keep);
        memcpy(out + keep, tail, (size_t)tl);
        int r = short_name_taken(d, out);
        if (r < 0)
            return r;
        if (r == 0)
            return 0;
    }
    return FAT_EEXIST;
}

static int validate_name(const char *name, size_t len)
{
    if (len == 0 || name_eq(name, len, ".") || name_eq(name, len, ".."))
        return FAT_EINVAL;
    if (len > FAT_NAME_MAX * 3)
        return FAT_ENAMETOOLONG;
    for (size_t i = 0; i < len; i++)
        if (!long_name_char_ok(name[i]))
            return FAT_EINVAL;
    if (name[len - 1] == '.' || name[len - 1] == ' ')
        return FAT_EINVAL;
    return 0;
}

/* Appends a zeroed cluster to directory d (whose chain has last cluster
 * `last`): data first, then the FAT. */
static int dir_extend(struct fat_file *d, uint32_t last)
{
    struct fat_volume *v = d->vol;
    uint32_t c;
    int r = find_free(v, &c);
    if (r || (r = zero_cluster(v, c)) || (r = fat_set(v, c, EOC)) || (r = fat_set(v, last, c)))
        return r;
    return 0;
}

/* Writes a new entry for `name` into d. raw supplies attr, cluster, size
 * and times (its name bytes are replaced). Location returned in *out. */
static int dir_add(struct fat_file *d, const char *name, size_t len, uint8_t *raw,
                   struct dir_entry *out)
{
    struct fat_volume *v = d->vol;
    uint16_t ucs[FAT_NAME_MAX];
    int r = validate_name(name, len);
    if (r)
        return r;
    int n = utf8_to_ucs2(name, len, ucs);
    if (n < 0)
        return n;
    int need_lfn;
    if ((r = make_short_name(d, name, len, raw, &need_lfn)))
        return r;
    uint32_t lfn_slots = need_lfn ? (uint32_t)(n + 12) / 13 : 0;
    uint32_t slots = lfn_slots + 1;

    /* Find `slots` consecutive free entries, extending the directory. */
    uint32_t run_start = 0, run = 0;
    for (uint32_t idx = 0; run < slots; idx++) {
        uint32_t s, off;
        r = dir_locate(d, idx, &s, &off);
        if (r == 1) {
            uint32_t last;
            if (file_walk(d, idx * ENTRY_SIZE / v->cluster_bytes, &last) != 1)
                return FAT_ECORRUPT;
            if (idx >= DIR_MAX_ENTRIES - v->cluster_bytes / ENTRY_SIZE)
                return FAT_ENOSPC;
            if ((r = dir_extend(d, last)))
                return r;
            r = dir_locate(d, idx, &s, &off);
        }
        if (r)
            return r;
        if ((r = data_load(v, s)))
            return r;
        uint8_t first = v->data_cache[off];
        if (first == 0 || first == 0xE5) {
            if (run == 0)
                run_start = idx;
            run++;
        } else {
            run = 0;
        }
    }

    /* The short entry first: alone it is a valid (short-named) file. */
    uint32_t s, off;
    uint32_t short_idx = run_start + lfn_slots;
    if ((r = dir_locate(d, short_idx, &s, &off)) || (r = data_load(v, s)))
        return r < 0 ? r : FAT_ECORRUPT;
    memcpy(v->data_cache + off, raw, ENTRY_SIZE);
    if ((r = sec_write(v, s, v->data_cache)))
        return r;
    out->sector = s;
    out->offset = off;
    out->index = short_idx;
    out->first_index = run_start;
    memcpy(out->raw, raw, ENTRY_SIZE);

    uint8_t sum = lfn_checksum(raw);
    static const uint8_t pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    for (uint32_t i = 0; i < lfn_slots; i++) {
        uint32_t ord = lfn_slots - i;
        if ((r = dir_locate(d, run_start + i, &s, &off)) || (r = data_load(v, s)))
            return r < 0 ? r : FAT_ECORRUPT;
        uint8_t *e = v->data_cache + off;
        memset(e, 0, ENTRY_SIZE);
        e[0] = (uint8_t)(ord | (i == 0 ? 0x40 : 0));
        e[11] = ATTR_LFN;
        e[13] = sum;
        for (int k = 0; k < 13; k++) {
            int ci = (int)(ord - 1) * 13 + k;
            uint16_t ch = ci < n ? ucs[ci] : ci == n ? 0 : 0xFFFF;
            put16(e + pos[k], ch);
        }
        if ((r = sec_write(v, s, v->data_cache)))
            return r;
    }
    return 0;
}

/* Marks the long-name slots, then the short entry, deleted. */
static int dir_remove(struct fat_file *d, const struct dir_entry *e)
{
    struct fat_volume *v = d->vol;
    for (uint32_t idx = e->first_index; idx <= e->index; idx++) {
        uint32_t s, off;
        int r = dir_locate(d, idx, &s, &off);
        if (r == 0)
            r = data_load(v, s);
        if (r)
            return r < 0 ? r : FAT_ECORRUPT;
        v->data_cache[off] = 0xE5;
        if ((r = sec_write(v, s, v->data_cache)))
            return r;
    }
    return 0;
}

/* Sets entry e's last-write time and last-access date to t. */
static void stamp_write(uint8_t *e, uint64_t t)
{
    uint16_t date, time;
    fat_time_encode(t, &date, &time);
    put16(e + E_WRT_TIME, time);
    put16(e + E_WRT_DATE, date);
    put16(e + E_ACC_DATE, date);
}

/* A new entry: every time stamp is now. */
static void fill_raw(struct fat_volume *v, uint8_t *raw, uint8_t attr, uint32_t cluster,
                     uint32_t size)
{
    uint64_t t = now_seconds(v->dev);
    uint16_t date, time;
    fat_time_encode(t, &date, &time);
    memset(raw, 0, ENTRY_SIZE);
    memset(raw, ' ', 11);
    raw[11] = attr;
    raw[E_CRT_TENTH] = t >= FAT_TIME_MIN && t <= FAT_TIME_MAX && (t & 1) ? 100 : 0;
    put16(raw + E_CRT_TIME, time);
    put16(raw + E_CRT_DATE, date);
    put16(raw + 20, (uint16_t)(cluster >> 16));
    stamp_write(raw, t);
    put16(raw + 26, (uint16_t)cluster);
    put32(raw + 28, size);
}

/* Writes f's size, first cluster and modification time to its entry. */
static int update_entry(struct fat_file *f)
{
    struct fat_volume *v = f->vol;
    if (f->entry_sector == 0)
        return 0;
    int r = data_load(v, f->entry_sector);
    if (r)
        return r;
    uint8_t *e = v->data_cache + f->entry_offset;
    put16(e + 20, (uint16_t)(f->first_cluster >> 16));
    put16(e + 26, (uint16_t)f->first_cluster);
    if (!(f->attr & FAT_ATTR_DIRECTORY)) {
        put32(e + 28, f->size);
        e[11] |= FAT_ATTR_ARCHIVE;
    }
    stamp_write(e, now_seconds(v->dev));
    f->mtime = entry_mtime(e);
    return sec_write(v, f->entry_sector, v->data_cache);
}

/* ---- Format ---- */

static const uint8_t zero_block[8 * FAT_SECTOR_SIZE];

static int raw_zero(const struct fat_device *dev, uint32_t start, uint32_t count)
{
    while (count) {
        uint32_t n = count < 8 ? count : 8;
        if (dev->write(dev->ctx, start, n, zero_block))
            return FAT_EIO;
        start += n;
        count -= n;
    }
    return 0;
}

int fat_format(const struct fat_device *dev, const char *label)
{
    uint32_t total = dev->sector_count > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)dev->sector_count;
    /* Cluster size by volume size, as in the spec's FAT32 table. */
    uint32_t spc = total <= 532480 ? 1 : total <= 16777216 ? 8 : total <= 33554432 ? 16
                 : total <= 67108864 ? 32 : 64;
    uint32_t reserved = 32, fat_sectors = 1, clusters = 0;
    for (int iter = 0; iter < 64; iter++) {
        if ((uint64_t)reserved + 2ull * fat_sectors >= total)
            return FAT_EINVAL;
        clusters = (total - reserved - 2 * fat_sectors) / spc;
        uint32_t need = (uint32_t)(((uint64_t)clusters + 2) * 4 + FAT_SECTOR_SIZE - 1) / FAT_SECTOR_SIZE;
        if (need <= fat_sectors)
            break;
        fat_sectors = need;
    }
    if (clusters < MIN_FAT32_CLUSTERS)
        return FAT_EINVAL;   /* too small for FAT32 */
    if (clusters > MAX_FAT32_CLUSTERS)
        clusters = MAX_FAT32_CLUSTERS;
    uint32_t data_start = reserved + 2 * fat_sectors;

    char name11[11];
    memset(name11, ' ', 11);
    int has_label = label && *label;
    if (has_label) {
        for (int i = 0; i < 11 && label[i]; i++) {
            char c = upper(label[i]);
            name11[i] = short_char_ok(c) || c == ' ' ? c : '_';
        }
    } else {
        memcpy(name11, "NO NAME    ", 11);
    }

    /* Zero reserved area, FATs and root cluster; boot sector last. */
    int r;
    if ((r = raw_zero(dev, 0, data_start + spc)))
        return r;

    uint8_t buf[FAT_SECTOR_SIZE];
    memset(buf, 0, sizeof(buf));
    put32(buf + 0, 0x0FFFFFF8);
    put32(buf + 4, EOC);
    put32(buf + 8, EOC);   /* root directory, one cluster */
    for (uint32_t i = 0; i < 2; i++)
        if (dev->write(dev->ctx, reserved + i * fat_sectors, 1, buf))
            return FAT_EIO;

    if (has_label) {
        memset(buf, 0, sizeof(buf));
        memcpy(buf, name11, 11);
        buf[11] = FAT_ATTR_VOLUME_ID;
        uint16_t date, time;
        fat_time_encode(now_seconds(dev), &date, &time);
        put16(buf + E_WRT_TIME, time);
        put16(buf + E_WRT_DATE, date);
        if (dev->write(dev->ctx, data_start, 1, buf))
            return FAT_EIO;
    }

    /* FSInfo at 1, copy at 7. */
    memset(buf, 0, sizeof(buf));
    put32(buf + 0, 0x41615252);
    put32(buf + 484, 0x61417272);
    put32(buf + 488, clusters - 1);
    put32(buf + 492, 3);
    put32(buf + 508, 0xAA550000);
    if (dev->write(dev->ctx, 1, 1, buf) || dev->write(dev->ctx, 7, 1, buf))
        return FAT_EIO;

    memset(buf, 0, sizeof(buf));
    buf[0] = 0xEB; buf[1] = 0x58; buf[2] = 0x90;
    memcpy(buf + 3, "TESSERA ", 8);
    put16(buf + 11, FAT_SECTOR_SIZE);
    buf[13] = (uint8_t)spc;
    put16(buf + 14, (uint16_t)reserved);
    buf[16] = 2;
    buf[21] = 0xF8;
    put16(buf + 24, 32);    /* sectors per track, heads: legacy CHS */
    put16(buf + 26, 64);
    put32(buf + 32, total);
    put32(buf + 36, fat_sectors);
    put32(buf + 44, 2);
    put16(buf + 48, 1);
    put16(buf + 50, 6);
    buf[64] = 0x80;
    buf[66] = 0x29;
    uint32_t serial = (uint32_t)(dev->now ? dev->now(dev->ctx) : 0) ^ total ^ 0x7E55E7A0u;
    put32(buf + 67, serial);
    memcpy(buf + 71, name11, 11);
    memcpy(buf + 82, "FAT32   ", 8);
    buf[90] = 0xF4; buf[91] = 0xEB; buf[92] = 0xFD;   /* not bootable: hlt loop */
    buf[510] = 0x55; buf[511] = 0xAA;
    if (dev->write(dev->ctx, 6, 1, buf) || dev->write(dev->ctx, 0, 1, buf))
        return FAT_EIO;
    if (dev->flush && dev->flush(dev->ctx))
        return FAT_EIO;
    return 0;
}

/* ---- Mount ---- */

static int refuse(struct fat_volume *v, const char *why)
{
    v->reason = why;
    return FAT_ECORRUPT;
}

int fat_mount(const struct fat_device *dev, struct fat_volume *vol)
{
    memset(vol, 0, sizeof(*vol));
    vol->dev = dev;
    vol->fat_cache_sector = vol->data_cache_sector = NO_SECTOR;
    uint8_t *b = vol->scratch;
    if (dev->sector_count == 0)
        return refuse(vol, "empty device");
    if (dev->read(dev->ctx, 0, 1, b)) {
        vol->reason = "cannot read boot sector";
        return FAT_EIO;
    }
    if (b[510] != 0x55 || b[511] != 0xAA)
        return refuse(vol, "no boot sector signature");
    if (b[0] != 0xEB && b[0] != 0xE9)
        return refuse(vol, "no jump instruction in boot sector");
    if (le16(b + 11) != FAT_SECTOR_SIZE)
        return refuse(vol, "bytes per sector is not 512");
    uint32_t spc = b[13];
    if (spc == 0 || (spc & (spc - 1)) || spc > 128)
        return refuse(vol, "bad sectors per cluster");
    uint32_t reserved = le16(b + 14), nfats = b[16];
    if (reserved < 2)
        return refuse(vol, "bad reserved sector count");
    if (nfats < 1 || nfats > 2)
        return refuse(vol, "bad number of FATs");
    if (le16(b + 17) != 0 || le16(b + 22) != 0)
        return refuse(vol, "not FAT32 (FAT12/16 BPB fields set)");
    uint32_t total = le16(b + 19) ? le16(b + 19) : le32(b + 32);
    if (total == 0)
        return refuse(vol, "total sector count is zero");
    if (total > dev->sector_count)
        return refuse(vol, "volume larger than the device");
    uint32_t fat_sectors = le32(b + 36);
    if (fat_sectors == 0)
        return refuse(vol, "FAT size is zero");
    if (le16(b + 42) != 0)
        return refuse(vol, "unknown FAT32 version");
    uint64_t data_start = reserved + (uint64_t)nfats * fat_sectors;
    if (data_start >= total)
        return refuse(vol, "FATs extend past the volume end");
    uint32_t clusters = (uint32_t)((total - data_start) / spc);
    if (clusters < MIN_FAT32_CLUSTERS)
        return refuse(vol, "too few clusters for FAT32");
    if (clusters > MAX_FAT32_CLUSTERS)
        return refuse(vol, "too many clusters for FAT32");
    if ((uint64_t)fat_sectors * (FAT_SECTOR_SIZE / 4) < (uint64_t)clusters + 2)
        return refuse(vol, "FAT too small for the cluster count");

    vol->sectors_per_cluster = spc;
    vol->cluster_bytes = spc * FAT_SECTOR_SIZE;
    vol->reserved_sectors = reserved;
    vol->num_fats = nfats;
    vol->fat_sectors = fat_sectors;
    vol->total_sectors = total;
    vol->data_start = (uint32_t)data_start;
    vol->cluster_count = clusters;
    vol->root_cluster = le32(b + 44);
    if (!cluster_valid(vol, vol->root_cluster))
        return refuse(vol, "root cluster out of range");
    uint16_t ext_flags = le16(b + 40);
    uint32_t fsinfo = le16(b + 48);
    uint8_t media = b[21];
    if (ext_flags & 0x80) {
        /* Only one FAT active: reading the first copy may be wrong; be safe. */
        if ((ext_flags & 0x0F) != 0)
            return refuse(vol, "active FAT is not the first copy");
        vol->read_only = 1;
        vol->reason = "FAT mirroring disabled; mounted read-only";
    }

    uint32_t e0;
    /* Entries 0 and 1 are not clusters; reading cluster 2 loads their sector. */
    int r = fat_get(vol, 2, &e0);
    if (r)
        return r;
    e0 = le32(vol->fat_cache) & 0x0FFFFFFF;
    if ((e0 & 0xFF) != media || (e0 | 0xFF) != 0x0FFFFFFF)
        return refuse(vol, "FAT[0] does not match the media byte");

    /* The root chain must end within the volume without looping. */
    uint32_t c = vol->root_cluster, n = 0;
    while (c) {
        uint32_t next;
        if (chain_next(vol, c, &next))
            return refuse(vol, "root directory chain is corrupt");
        c = next;
        if (++n > DIR_MAX_ENTRIES * ENTRY_SIZE / vol->cluster_bytes)
            return refuse(vol, "root directory chain loops or is too long");
    }

    vol->free_count = 0xFFFFFFFF;
    vol->next_free = 2;
    if (fsinfo >= 1 && fsinfo < reserved && fsinfo != 6) {
        if ((r = sec_read(vol, fsinfo, b)))
            return r;
        if (le32(b) == 0x41615252 && le32(b + 484) == 0x61417272 && le32(b + 508) == 0xAA550000) {
            vol->fsinfo_sector = fsinfo;
            if (le32(b + 488) <= clusters)
                vol->free_count = le32(b + 488);
            if (cluster_valid(vol, le32(b + 492)))
                vol->next_free = le32(b + 492);
        }
    }
    if (vol->free_count == 0xFFFFFFFF) {
        /* No usable hint: count once so the hint we write back is right. */
        uint32_t free = 0;
        for (uint32_t k = 2; k <= clusters + 1; k++) {
            uint32_t e;
            if ((r = fat_get(vol, k, &e)))
                return r;
            free += e == 0;
        }
        vol->free_count = free;
        vol->fsinfo_dirty = 1;
    }
    return 0;
}

int fat_sync(struct fat_volume *v)
{
    if (v->read_only)
        return 0;
    if (v->fsinfo_dirty && v->fsinfo_sector) {
        int r = sec_read(v, v->fsinfo_sector, v->scratch);
        if (r)
            return r;
        put32(v->scratch + 488, v->free_count);
        put32(v->scratch + 492, cluster_valid(v, v->next_free) ? v->next_free : 0xFFFFFFFF);
        if ((r = sec_write(v, v->fsinfo_sector, v->scratch)))
            return r;
        v->fsinfo_dirty = 0;
    }
    if (v->dev->flush && v->dev->flush(v->dev->ctx))
        return FAT_EIO;
    return 0;
}

/* ---- Files ---- */

int fat_seek(struct fat_file *f, uint32_t pos)
{
    f->pos = pos;
    return 0;
}

long fat_read(struct fat_file *f, void *buf, size_t len)
{
    struct fat_volume *v = f->vol;
    if (f->attr & FAT_ATTR_DIRECTORY)
        return FAT_EISDIR;
    if (f->pos >= f->size)
        return 0;
    if (len > f->size - f->pos)
        len = f->size - f->pos;
    size_t done = 0;
    while (done < len) {
        uint32_t c;
        int r = file_walk(f, f->pos / v->cluster_bytes, &c);
        if (r)
            return r < 0 ? r : FAT_ECORRUPT;   /* chain shorter than size */
        uint32_t coff = f->pos % v->cluster_bytes;
        uint32_t s = cluster_sector(v, c) + coff / FAT_SECTOR_SIZE;
        uint32_t soff = coff % FAT_SECTOR_SIZE;
        size_t n = FAT_SECTOR_SIZE - soff;
        if (n > len - done)
            n = len - done;
        if (n == FAT_SECTOR_SIZE && s != v->data_cache_sector) {
            if ((r = sec_read(v, s, (uint8_t *)buf + done)))
                return r;
        } else {
            if ((r = data_load(v, s)))
                return r;
            memcpy((uint8_t *)buf + done, v->data_cache + soff, n);
        }
        done += n;
        f->pos += (uint32_t)n;
    }
    return (long)done;
}

/* Writes len bytes at f->pos, allocating clusters as needed. */
static long write_at(struct fat_file *f, const uint8_t *buf, size_t len)
{
    struct fat_volume *v = f->vol;
    size_t done = 0;
    while (done < len) {
        uint32_t cidx = f->pos / v->cluster_bytes, coff = f->pos % v->cluster_bytes;
        uint32_t c, last = 0;
        int fresh = 0;
        int r = file_walk(f, cidx, &c);
        if (r < 0)
            return r;
        if (r == 1) {
            last = c;
            if ((r = find_free(v, &c)))
                return done ? (long)done : r;
            fresh = 1;
        }
        /* Fill this cluster's part of the write, sector by sector. */
        size_t chunk = v->cluster_bytes - coff;
        if (chunk > len - done)
            chunk = len - done;
        size_t off = 0;
        while (off < chunk) {
            uint32_t s = cluster_sector(v, c) + (coff + (uint32_t)off) / FAT_SECTOR_SIZE;
            uint32_t soff = (coff + (uint32_t)off) % FAT_SECTOR_SIZE;
            size_t n = FAT_SECTOR_SIZE - soff;
            if (n > chunk - off)
                n = chunk - off;
            if (n == FAT_SECTOR_SIZE) {
                r = sec_write(v, s, buf + done + off);
            } else {
                if (fresh) {
                    /* A new cluster's old contents are garbage: zero instead. */
                    memset(v->data_cache, 0, FAT_SECTOR_SIZE);
                    v->data_cache_sector = s;
                } else if ((r = data_load(v, s))) {
                    return r;
                }
                memcpy(v->data_cache + soff, buf + done + off, n);
                r = sec_write(v, s, v->data_cache);
            }
            if (r)
                return r;
            off += n;
        }
        if (fresh) {
            /* Data is on disk; now link it into the chain. */
            if ((r = fat_set(v, c, EOC)))
                return r;
            if (last) {
                if ((r = fat_set(v, last, c)))
                    return r;
            } else {
                f->first_cluster = c;
            }
            f->cur_cluster = c;
            f->cur_index = cidx;
        }
        done += chunk;
        f->pos += (uint32_t)chunk;
        if (f->pos > f->size)
            f->size = f->pos;
    }
    return (long)done;
}

long fat_write(struct fat_file *f, const void *buf, size_t len)
{
    struct fat_volume *v = f->vol;
    if (v->read_only)
        return FAT_EROFS;
    if (f->attr & FAT_ATTR_DIRECTORY)
        return FAT_EISDIR;
    if ((uint64_t)f->pos + len > 0xFFFFFFFFull)
        return FAT_EINVAL;   /* FAT files stop below 4 GiB */
    long r = 0;
    if (f->pos > f->size) {
        uint32_t target = f->pos;
        f->pos = f->size;
        while (f->pos < target) {
            size_t n = target - f->pos < sizeof(zero_block) ? target - f->pos : sizeof(zero_block);
            if ((r = write_at(f, zero_block, n)) < 0)
                break;
        }
    }
    if (r >= 0)
        r = write_at(f, buf, len);
    int u = update_entry(f);
    if (r >= 0 && u)
        return u;
    return r;
}

int fat_truncate(struct fat_file *f, uint32_t size)
{
    struct fat_volume *v = f->vol;
    if (v->read_only)
        return FAT_EROFS;
    if (f->attr & FAT_ATTR_DIRECTORY)
        return FAT_EISDIR;
    if (size > f->size) {
        uint32_t pos = f->pos;
        f->pos = size;
        long r = fat_write(f, "", 0);
        f->pos = pos;
        return r < 0 ? (int)r : 0;
    }
    uint32_t keep = (uint32_t)(((uint64_t)size + v->cluster_bytes - 1) / v->cluster_bytes);
    uint32_t cut = 0, last = 0;   /* first cluster to free, new last one */
    int r;
    if (keep == 0) {
        cut = f->first_cluster;
        f->first_cluster = 0;
    } else {
        if ((r = file_walk(f, keep - 1, &last)))
            return r < 0 ? r : FAT_ECORRUPT;
        if ((r = chain_next(v, last, &cut)))
            return r;
    }
    f->size = size;
    f->cur_cluster = 0;
    /* Entry first, then cut the chain, then free the tail. */
    if ((r = update_entry(f)))
        return r;
    if (cut && last && (r = fat_set(v, last, EOC)))
        return r;
    return cut ? free_chain(v, cut) : 0;
}

int fat_open(struct fat_volume *v, const char *path, int flags, struct fat_file *f)
{
    struct fat_file parent;
    struct dir_entry e;
    const char *name;
    size_t len;
    int r = lookup_parent(v, path, &parent, &name, &len);
    if (r)
        return r;
    if (len == 0 || (parent.first_cluster == v->root_cluster &&
                     (name_eq(name, len, ".") || name_eq(name, len, "..")))) {
        if (flags & FAT_O_EXCL)
            return FAT_EEXIST;
        open_root(v, f);
        return 0;
    }
    r = find_in_dir(&parent, name, len, &e);
    if (r == 0) {
        if ((flags & FAT_O_CREATE) && (flags & FAT_O_EXCL))
            return FAT_EEXIST;
        if ((r = open_entry(v, &e, f)))
            return r;
        if ((flags & FAT_O_TRUNC) && !(f->attr & FAT_ATTR_DIRECTORY) && f->size)
            return fat_truncate(f, 0);
        return 0;
    }
    if (r != FAT_ENOENT || !(flags & FAT_O_CREATE))
        return r;
    if (v->read_only)
        return FAT_EROFS;
    uint8_t raw[ENTRY_SIZE];
    fill_raw(v, raw, FAT_ATTR_ARCHIVE, 0, 0);
    if ((r = dir_add(&parent, name, len, raw, &e)))
        return r;
    return open_entry(v, &e, f);
}

int fat_create(struct fat_volume *v, const char *path, struct fat_file *f)
{
    return fat_open(v, path, FAT_O_CREATE | FAT_O_EXCL, f);
}

int fat_mkdir(struct fat_volume *v, const char *path)
{
    struct fat_file parent;
    struct dir_entry e;
    const char *name;
    size_t len;
    if (v->read_only)
        return FAT_EROFS;
    int r = lookup_parent(v, path, &parent, &name, &len);
    if (r)
        return r;
    if (len == 0)
        return FAT_EEXIST;
    r = find_in_dir(&parent, name, len, &e);
    if (r == 0)
        return FAT_EEXIST;
    if (r != FAT_ENOENT)
        return r;
    if ((r = validate_name(name, len)))
        return r;

    /* The new directory's cluster with "." and "..", then its FAT entry,
     * then the entry in the parent. */
    uint32_t c;
    if ((r = find_free(v, &c)) || (r = zero_cluster(v, c)))
        return r;
    uint8_t raw[ENTRY_SIZE];
    uint32_t parent_ref = parent.first_cluster == v->root_cluster ? 0 : parent.first_cluster;
    uint32_t s = cluster_sector(v, c);
    if ((r = data_load(v, s)))
        return r;
    fill_raw(v, raw, FAT_ATTR_DIRECTORY, c, 0);
    memcpy(raw, ".          ", 11);
    memcpy(v->data_cache, raw, ENTRY_SIZE);
    fill_raw(v, raw, FAT_ATTR_DIRECTORY, parent_ref, 0);
    memcpy(raw, "..         ", 11);
    memcpy(v->data_cache + ENTRY_SIZE, raw, ENTRY_SIZE);
    if ((r = sec_write(v, s, v->data_cache)) || (r = fat_set(v, c, EOC)))
        return r;
    fill_raw(v, raw, FAT_ATTR_DIRECTORY, c, 0);
    if ((r = dir_add(&parent, name, len, raw, &e))) {
        fat_set(v, c, 0);
        return r;
    }
    return 0;
}

static void fill_dirent(const struct dir_entry *e, struct fat_dirent *out)
{
    memcpy(out->name, e->name, sizeof(out->name));
    memcpy(out->short_name, e->short_name, sizeof(out->short_name));
    out->attr = e->raw[11];
    out->size = out->attr & FAT_ATTR_DIRECTORY ? 0 : le32(e->raw + 28);
    out->first_cluster = entry_cluster(e->raw);
    out->mtime = entry_mtime(e->raw);
    out->crtime = fat_time_decode(le16(e->raw + E_CRT_DATE), le16(e->raw + E_CRT_TIME));
    if (out->crtime && e->raw[E_CRT_TENTH] <= 199)
        out->crtime += e->raw[E_CRT_TENTH] / 100;
    out->atime = fat_time_decode(le16(e->raw + E_ACC_DATE), 0);
}

int fat_readdir(struct fat_file *dir, struct fat_dirent *out)
{
    struct dir_entry e;
    if (!(dir->attr & FAT_ATTR_DIRECTORY))
        return FAT_ENOTDIR;
    for (;;) {
        int r = dir_next(dir, &dir->pos, &e);
        if (r <= 0)
            return r;
        if (strcmp(e.short_name, ".") == 0 || strcmp(e.short_name, "..") == 0)
            continue;
        fill_dirent(&e, out);
        return 1;
    }
}

int fat_stat(struct fat_volume *v, const char *path, struct fat_dirent *out)
{
    struct fat_file parent;
    struct dir_entry e;
    int is_root;
    int r = lookup(v, path, &parent, &e, &is_root);
    if (r)
        return r;
    if (is_root) {
        memset(out, 0, sizeof(*out));
        out->name[0] = '/';
        out->attr = FAT_ATTR_DIRECTORY;
        out->first_cluster = v->root_cluster;
        return 0;
    }
    fill_dirent(&e, out);
    return 0;
}

static int is_dot_entry(const struct dir_entry *e)
{
    return strcmp(e->short_name, ".") == 0 || strcmp(e->short_name, "..") == 0;
}

static int dir_is_empty(struct fat_volume *v, const struct dir_entry *e)
{
    struct fat_file d;
    struct dir_entry child;
    int r = open_entry(v, e, &d);
    if (r)
        return r;
    uint32_t idx = 0;
    while ((r = dir_next(&d, &idx, &child)) == 1)
        if (strcmp(child.short_name, ".") && strcmp(child.short_name, ".."))
            return FAT_ENOTEMPTY;
    return r;
}

static int remove_path(struct fat_volume *v, const char *path, int want_dir)
{
    struct fat_file parent;
    struct dir_entry e;
    int is_root;
    if (v->read_only)
        return FAT_EROFS;
    int r = lookup(v, path, &parent, &e, &is_root);
    if (r)
        return r;
    if (is_root || is_dot_entry(&e))
        return FAT_EINVAL;
    int is_dir = (e.raw[11] & FAT_ATTR_DIRECTORY) != 0;
    if (is_dir != want_dir)
        return want_dir ? FAT_ENOTDIR : FAT_EISDIR;
    if (is_dir && (r = dir_is_empty(v, &e)))
        return r;
    uint32_t c = entry_cluster(e.raw);
    if ((r = dir_remove(&parent, &e)))
        return r;
    return cluster_valid(v, c) ? free_chain(v, c) : 0;
}

int fat_unlink(struct fat_volume *v, const char *path) { return remove_path(v, path, 0); }
int fat_rmdir(struct fat_volume *v, const char *path) { return remove_path(v, path, 1); }

/* Is directory cluster `dir` the same as or inside directory `ancestor`? */
static int dir_within(struct fat_volume *v, uint32_t dir, uint32_t ancestor)
{
    struct fat_file d;
    struct dir_entry e;
    for (uint32_t depth = 0; depth < 4096; depth++) {
        if (dir == ancestor)
            return 1;
        if (dir == v->root_cluster)
            return 0;
        open_root(v, &d);
        d.first_cluster = dir;
        int r = find_in_dir(&d, "..", 2, &e);
        if (r)
            return r;
        dir = entry_cluster(e.raw);
        if (dir == 0)
            dir = v->root_cluster;
        if (!cluster_valid(v, dir))
            return FAT_ECORRUPT;
    }
    return FAT_ECORRUPT;
}

int fat_rename(struct fat_volume *v, const char *from, const char *to)
{
    struct fat_file src_parent, dst_parent;
    struct dir_entry src, dst;
    const char *name;
    size_t len;
    int is_root;
    if (v->read_only)
        return FAT_EROFS;
    int r = lookup(v, from, &src_parent, &src, &is_root);
    if (r)
        return r;
    if (is_root || is_dot_entry(&src))
        return FAT_EINVAL;
    if ((r = lookup_parent(v, to, &dst_parent, &name, &len)))
        return r;
    if ((r = validate_name(name, len)))
        return r;
    int src_dir = (src.raw[11] & FAT_ATTR_DIRECTORY) != 0;
    uint32_t src_cluster = entry_cluster(src.raw);
    r = find_in_dir(&dst_parent, name, len, &dst);
    if (r == 0) {
        if (dst.sector == src.sector && dst.offset == src.offset) {
            /* Same entry (e.g. a case change): drop the old name first. */
            if ((r = dir_remove(&src_parent, &src)))
                return r;
            return dir_add(&dst_parent, name, len, src.raw, &dst);
        }
        if (src_dir || (dst.raw[11] & FAT_ATTR_DIRECTORY))
            return FAT_EEXIST;
        /* Replace the destination file, as POSIX rename does. */
        uint32_t c = entry_cluster(dst.raw);
        if ((r = dir_remove(&dst_parent, &dst)) ||
            (cluster_valid(v, c) && (r = free_chain(v, c))))
            return r;
    } else if (r != FAT_ENOENT) {
        return r;
    }
    if (src_dir) {
        r = dir_within(v, dst_parent.first_cluster, src_cluster);
        if (r < 0)
            return r;
        if (r)
            return FAT_EINVAL;   /* into itself */
    }
    /* The new entry first: a crash leaves two names, never none. */
    uint8_t raw[ENTRY_SIZE];
    memcpy(raw, src.raw, ENTRY_SIZE);
    raw[12] = 0;   /* case bits belonged to the old short name */
    if ((r = dir_add(&dst_parent, name, len, raw, &dst)))
        return r;
    /* dir_add only fills free slots, so src's location is still valid. */
    if ((r = dir_remove(&src_parent, &src)))
        return r;
    if (src_dir && src_parent.first_cluster != dst_parent.first_cluster && cluster_valid(v, src_cluster)) {
        /* Point the moved directory's ".." at its new parent. */
        uint32_t ref = dst_parent.first_cluster == v->root_cluster ? 0 : dst_parent.first_cluster;
        uint32_t s = cluster_sector(v, src_cluster);
        if ((r = data_load(v, s)))
            return r;
        uint8_t *e = v->data_cache + ENTRY_SIZE;
        if (memcmp(e, "..         ", 11) == 0) {
            put16(e + 20, (uint16_t)(ref >> 16));
            put16(e + 26, (uint16_t)ref);
            if ((r = sec_write(v, s, v->data_cache)))
                return r;
        }
    }
    return 0;
}
