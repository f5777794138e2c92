/*
 * GUID partition tables: plan, write, read and check (UEFI spec facts only).
 *
 * Nothing read from disk is trusted: header fields are range-checked before
 * they are used as sector numbers, and the entry array is read one sector
 * at a time so no table size can overrun a buffer.
 */
#include <gpt/gpt.h>
#include <common/string.h>

#define HEADER_SIZE 92
#define HEADER_REVISION 0x00010000u

static const char *const messages[] = {
    "ok", "device I/O error", "disk too small", "no GPT on the disk",
    "GPT corrupt", "invalid argument",
};

const char *gpt_strerror(int err)
{
    if (err > 0 || -err >= (int)(sizeof messages / sizeof messages[0]))
        return "unknown error";
    return messages[-err];
}

uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int i = 0; i < 8; i++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* ---- GUIDs ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Text order of the bytes: the first three fields are stored little-endian. */
static const uint8_t text_to_disk[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

int gpt_guid_parse(const char *text, gpt_guid *out)
{
    uint8_t bytes[16];
    int n = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return GPT_EINVAL;
            continue;
        }
        int hi = hexval(text[i]), lo = hi < 0 ? -1 : hexval(text[i + 1]);
        if (hi < 0 || lo < 0)
            return GPT_EINVAL;
        bytes[n++] = hi << 4 | lo;
        i++;
    }
    if (text[36] != '\0')
        return GPT_EINVAL;
    for (int i = 0; i < 16; i++)
        out->b[text_to_disk[i]] = bytes[i];
    return GPT_OK;
}

void gpt_guid_format(const gpt_guid *g, char out[37])
{
    static const char hex[] = "0123456789ABCDEF";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        uint8_t b = g->b[text_to_disk[i]];
        out[o++] = hex[b >> 4];
        out[o++] = hex[b & 15];
    }
    out[o] = '\0';
}

int gpt_guid_equal(const gpt_guid *a, const gpt_guid *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A version-4 (random) GUID from the seed stream. */
static void random_guid(uint64_t *state, gpt_guid *g)
{
    uint64_t a = splitmix64(state), b = splitmix64(state);
    for (int i = 0; i < 8; i++) {
        g->b[i] = a >> (8 * i);
        g->b[8 + i] = b >> (8 * i);
    }
    g->b[7] = (g->b[7] & 0x0F) | 0x40;   /* version field (little-endian third field) */
    g->b[8] = (g->b[8] & 0x3F) | 0x80;   /* RFC 4122 variant */
}

/* ---- planning ---- */

static void set_name(struct gpt_partition *p, const char *name)
{
    size_t n = strnlen(name, GPT_NAME_MAX);
    memset(p->name, 0, sizeof p->name);
    memcpy(p->name, name, n);
}

int gpt_layout(uint64_t disk_sectors, uint64_t seed, struct gpt_layout *out)
{
    if (!out)
        return GPT_EINVAL;
    memset(out, 0, sizeof *out);
    if (disk_sectors < GPT_MIN_SECTORS)
        return GPT_ETOOSMALL;
    uint64_t state = seed;
    out->disk_sectors = disk_sectors;
    out->first_usable = 2 + GPT_ENTRY_SECTORS;
    out->last_usable = disk_sectors - 2 - GPT_ENTRY_SECTORS;
    random_guid(&state, &out->disk_guid);

    static const char *const types[3] = {GPT_TYPE_BIOS_BOOT, GPT_TYPE_ESP, GPT_TYPE_BASIC_DATA};
    static const char *const names[3] = {"BIOS boot", "TESSERA-ESP", "TESSERA"};
    uint64_t start = GPT_ALIGN_SECTORS;
    /* The data partition ends on the last whole MiB before the backup table. */
    uint64_t data_end = (out->last_usable + 1) / GPT_ALIGN_SECTORS * GPT_ALIGN_SECTORS;
    for (int i = 0; i < 3; i++) {
        struct gpt_partition *p = &out->part[i];
        gpt_guid_parse(types[i], &p->type);
        random_guid(&state, &p->guid);
        uint64_t size = i == GPT_PART_BIOS ? GPT_BIOS_BOOT_SECTORS
                      : i == GPT_PART_ESP ? GPT_ESP_SECTORS : data_end - start;
        p->first_lba = start;
        p->last_lba = start + size - 1;
        set_name(p, names[i]);
        start += size;
    }
    out->count = 3;
    return GPT_OK;
}

/* ---- writing ---- */

static void encode_entry(uint8_t *e, const struct gpt_partition *p)
{
    memset(e, 0, GPT_ENTRY_SIZE);
    memcpy(e, p->type.b, 16);
    memcpy(e + 16, p->guid.b, 16);
    put64(e + 32, p->first_lba);
    put64(e + 40, p->last_lba);
    put64(e + 48, p->attributes);
    for (int i = 0; i < GPT_NAME_MAX && p->name[i]; i++)
        put16(e + 56 + 2 * i, (uint8_t)p->name[i]);
}

/* Writes the entry array at lba (sector by sector) and returns its CRC. */
static int write_entries(const struct gpt_device *dev, const struct gpt_layout *l,
                         uint64_t lba, uint32_t *crc)
{
    uint8_t sector[GPT_SECTOR_SIZE];
    const int per_sector = GPT_SECTOR_SIZE / GPT_ENTRY_SIZE;
    *crc = 0;
    for (int s = 0; s < GPT_ENTRY_SECTORS; s++) {
        memset(sector, 0, sizeof sector);
        for (int j = 0; j < per_sector; j++) {
            uint32_t idx = s * per_sector + j;
            if (idx < l->count)
                encode_entry(sector + j * GPT_ENTRY_SIZE, &l->part[idx]);
        }
        *crc = gpt_crc32(*crc, sector, sizeof sector);
        if (dev->write(dev->ctx, lba + s, 1, sector) != 0)
            return GPT_EIO;
    }
    return GPT_OK;
}

static void encode_header(uint8_t *h, const struct gpt_layout *l, uint64_t my_lba,
                          uint64_t alt_lba, uint64_t entries_lba, uint32_t entries_crc)
{
    memset(h, 0, GPT_SECTOR_SIZE);
    memcpy(h, "EFI PART", 8);
    put32(h + 8, HEADER_REVISION);
    put32(h + 12, HEADER_SIZE);
    put64(h + 24, my_lba);
    put64(h + 32, alt_lba);
    put64(h + 40, l->first_usable);
    put64(h + 48, l->last_usable);
    memcpy(h + 56, l->disk_guid.b, 16);
    put64(h + 72, entries_lba);
    put32(h + 80, GPT_ENTRY_COUNT);
    put32(h + 84, GPT_ENTRY_SIZE);
    put32(h + 88, entries_crc);
    put32(h + 16, gpt_crc32(0, h, HEADER_SIZE));
}

int gpt_write(const struct gpt_device *dev, const struct gpt_layout *l, const uint8_t *boot_code)
{
    if (!dev || !l || l->count > GPT_MAX_PARTS || l->disk_sectors < GPT_MIN_SECTORS ||
        l->disk_sectors > dev->sector_count)
        return GPT_EINVAL;
    uint64_t last = l->disk_sectors - 1;
    uint8_t sector[GPT_SECTOR_SIZE];

    /* Protective MBR: one 0xEE partition covering the disk (capped at 2^32-1). */
    memset(sector, 0, sizeof sector);
    if (boot_code)
        memcpy(sector, boot_code, 440);
    uint8_t *pe = sector + 446;
    pe[1] = 0x00; pe[2] = 0x02; pe[3] = 0x00;          /* CHS of LBA 1 */
    pe[4] = 0xEE;
    pe[5] = 0xFF; pe[6] = 0xFF; pe[7] = 0xFF;          /* CHS beyond range */
    put32(pe + 8, 1);
    put32(pe + 12, last > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)last);
    sector[510] = 0x55;
    sector[511] = 0xAA;
    if (dev->write(dev->ctx, 0, 1, sector) != 0)
        return GPT_EIO;

    /* Entries before headers, backup before primary: a cut leaves the old
     * primary header (or none) rather than one pointing at half a table. */
    uint32_t crc;
    int err = write_entries(dev, l, last - GPT_ENTRY_SECTORS, &crc);
    if (err)
        return err;
    encode_header(sector, l, last, 1, last - GPT_ENTRY_SECTORS, crc);
    if (dev->write(dev->ctx, last, 1, sector) != 0)
        return GPT_EIO;
    err = write_entries(dev, l, 2, &crc);
    if (err)
        return err;
    encode_header(sector, l, 1, last, 2, crc);
    if (dev->write(dev->ctx, 1, 1, sector) != 0)
        return GPT_EIO;
    return GPT_OK;
}

/* ---- reading ---- */

struct header {
    uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
    uint32_t entry_count, entry_size, entries_crc;
    gpt_guid disk_guid;
};

/* Reads and checks the header at lba and its entries; fills *out. Returns
 * GPT_OK, GPT_ENONE (no signature) or GPT_ECORRUPT with *why set. */
static int read_table(const struct gpt_device *dev, uint64_t lba, struct header *h,
                      struct gpt_layout *out, const char **why)
{
    uint8_t sector[GPT_SECTOR_SIZE];
    uint64_t n = dev->sector_count;
    if (dev->read(dev->ctx, lba, 1, sector) != 0) {
        *why = "cannot read the GPT header";
        return GPT_EIO;
    }
    if (memcmp(sector, "EFI PART", 8) != 0) {
        *why = "no GPT signature";
        return GPT_ENONE;
    }
    uint32_t size = get32(sector + 12);
    if (size < HEADER_SIZE || size > GPT_SECTOR_SIZE) {
        *why = "GPT header size out of range";
        return GPT_ECORRUPT;
    }
    uint32_t stored = get32(sector + 16);
    put32(sector + 16, 0);
    if (gpt_crc32(0, sector, size) != stored) {
        *why = "GPT header CRC mismatch";
        return GPT_ECORRUPT;
    }
    h->my_lba = get64(sector + 24);
    h->alt_lba = get64(sector + 32);
    h->first_usable = get64(sector + 40);
    h->last_usable = get64(sector + 48);
    memcpy(h->disk_guid.b, sector + 56, 16);
    h->entries_lba = get64(sector + 72);
    h->entry_count = get32(sector + 80);
    h->entry_size = get32(sector + 84);
    h->entries_crc = get32(sector + 88);
    if (h->my_lba != lba) {
        *why = "GPT header is not where it says it is";
        return GPT_ECORRUPT;
    }
    if (h->alt_lba >= n || h->first_usable > h->last_usable || h->last_usable >= n) {
        *why = "GPT header LBAs outside the disk";
        return GPT_ECORRUPT;
    }
    /* Entries are parsed whole per sector; other sizes are legal but unseen. */
    if (h->entry_size != GPT_ENTRY_SIZE || h->entry_count == 0 || h->entry_count > 65536 ||
        h->entry_count % (GPT_SECTOR_SIZE / GPT_ENTRY_SIZE) != 0) {
        *why = "unsupported GPT entry size or count";
        return GPT_ECORRUPT;
    }
    uint64_t entry_sectors = (uint64_t)h->entry_count * GPT_ENTRY_SIZE / GPT_SECTOR_SIZE;
    if (h->entries_lba < 2 || h->entries_lba > n || entry_sectors > n - h->entries_lba) {
        *why = "GPT entry array outside the disk";
        return GPT_ECORRUPT;
    }

    memset(out, 0, sizeof *out);
    out->disk_sectors = n;
    out->disk_guid = h->disk_guid;
    out->first_usable = h->first_usable;
    out->last_usable = h->last_usable;
    uint32_t crc = 0;
    static const uint8_t zero[16];
    for (uint64_t s = 0; s < entry_sectors; s++) {
        if (dev->read(dev->ctx, h->entries_lba + s, 1, sector) != 0) {
            *why = "cannot read the GPT entries";
            return GPT_EIO;
        }
        crc = gpt_crc32(crc, sector, sizeof sector);
        for (int j = 0; j < GPT_SECTOR_SIZE / GPT_ENTRY_SIZE; j++) {
            const uint8_t *e = sector + j * GPT_ENTRY_SIZE;
            if (memcmp(e, zero, 16) == 0)
                continue;               /* unused entry */
            if (out->count == GPT_MAX_PARTS) {
                *why = "more GPT partitions than supported";
                return GPT_ECORRUPT;
            }
            struct gpt_partition *p = &out->part[out->count++];
            memcpy(p->type.b, e, 16);
            memcpy(p->guid.b, e + 16, 16);
            p->first_lba = get64(e + 32);
            p->last_lba = get64(e + 40);
            p->attributes = get64(e + 48);
            for (int i = 0; i < GPT_NAME_MAX; i++) {
                uint16_t c = get16(e + 56 + 2 * i);
                if (c == 0)
                    break;
                p->name[i] = c < 0x20 || c > 0x7E ? '?' : (char)c;
            }
        }
    }
    if (crc != h->entries_crc) {
        *why = "GPT entry array CRC mismatch";
        return GPT_ECORRUPT;
    }
    for (uint32_t i = 0; i < out->count; i++) {
        const struct gpt_partition *p = &out->part[i];
        if (p->first_lba > p->last_lba || p->first_lba < h->first_usable ||
            p->last_lba > h->last_usable) {
            *why = "GPT partition outside the usable area";
            return GPT_ECORRUPT;
        }
        for (uint32_t j = 0; j < i; j++)
            if (p->first_lba <= out->part[j].last_lba && out->part[j].first_lba <= p->last_lba) {
                *why = "GPT partitions overlap";
                return GPT_ECORRUPT;
            }
    }
    return GPT_OK;
}

static int same_table(const struct gpt_layout *a, const struct gpt_layout *b)
{
    if (!gpt_guid_equal(&a->disk_guid, &b->disk_guid) || a->first_usable != b->first_usable ||
        a->last_usable != b->last_usable || a->count != b->count)
        return 0;
    for (uint32_t i = 0; i < a->count; i++) {
        const struct gpt_partition *p = &a->part[i], *q = &b->part[i];
        if (!gpt_guid_equal(&p->type, &q->type) || !gpt_guid_equal(&p->guid, &q->guid) ||
            p->first_lba != q->first_lba || p->last_lba != q->last_lba ||
            p->attributes != q->attributes || strcmp(p->name, q->name) != 0)
            return 0;
    }
    return 1;
}

int gpt_read(const struct gpt_device *dev, struct gpt_layout *out, struct gpt_report *rep)
{
    static struct gpt_layout backup;    /* too big for a small server stack */
    struct gpt_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!dev || !out || dev->sector_count < 3)
        return GPT_EINVAL;

    uint8_t mbr[GPT_SECTOR_SIZE];
    if (dev->read(dev->ctx, 0, 1, mbr) != 0)
        return GPT_EIO;
    if (mbr[510] == 0x55 && mbr[511] == 0xAA)
        for (int i = 0; i < 4; i++)
            if (mbr[446 + 16 * i + 4] == 0xEE)
                rep->mbr_protective = 1;

    struct header ph, bh;
    const char *pwhy = NULL, *bwhy = NULL;
    int perr = read_table(dev, 1, &ph, out, &pwhy);
    if (perr == GPT_EIO)
        return GPT_EIO;
    rep->primary_ok = perr == GPT_OK;
    /* The backup is where the primary says, or at the last sector. */
    uint64_t blba = rep->primary_ok ? ph.alt_lba : dev->sector_count - 1;
    int berr = read_table(dev, blba, &bh, rep->primary_ok ? &backup : out, &bwhy);
    if (berr == GPT_EIO)
        return GPT_EIO;
    rep->backup_ok = berr == GPT_OK;

    if (!rep->primary_ok && !rep->backup_ok) {
        rep->problem = perr == GPT_ENONE && berr == GPT_ENONE ? "no GPT on the disk" : pwhy;
        if (perr == GPT_ENONE && berr != GPT_ENONE)
            rep->problem = bwhy;
        return perr == GPT_ENONE && berr == GPT_ENONE ? GPT_ENONE : GPT_ECORRUPT;
    }
    if (!rep->primary_ok) {
        rep->problem = pwhy;            /* out holds the backup's table */
    } else if (!rep->backup_ok) {
        rep->problem = bwhy;
    } else if (bh.alt_lba != 1 || bh.entries_lba <= bh.last_usable ||
               ph.entries_crc != bh.entries_crc || !same_table(out, &backup)) {
        rep->problem = "primary and backup GPT differ";
    } else {
        rep->consistent = 1;
    }
    if (!rep->problem && !rep->mbr_protective)
        rep->problem = "no protective MBR";
    return GPT_OK;
}

int gpt_verify(const struct gpt_device *dev, struct gpt_layout *out, struct gpt_report *rep)
{
    struct gpt_report local;
    if (!rep)
        rep = &local;
    int err = gpt_read(dev, out, rep);
    if (err)
        return err;
    return rep->consistent && rep->mbr_protective ? GPT_OK : GPT_ECORRUPT;
}
