/*
 * What is on a disk now, in words, for the installer's confirmation text
 * ("vda holds: ..."): the user must know what will be erased.
 */
#include <install/install.h>
#include <stdarg.h>
#include <common/format.h>
#include <common/string.h>
#include <gpt/gpt.h>

static int raw_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    const struct install_device *d = ctx;
    if (sector + count > d->sector_count)
        return -1;
    return d->read(d->ctx, sector, count, buf);
}

static int no_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
    (void)ctx, (void)sector, (void)count, (void)buf;
    return -1;   /* describing never writes */
}

/* Appends to out (always NUL-terminated, cut at len). */
static void FMT_PRINTF(3, 4) add(char *out, size_t len, const char *fmt, ...)
{
    size_t used = strnlen(out, len);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(out + used, len - used, fmt, ap);
    va_end(ap);
}

static unsigned long long mib(uint64_t sectors) { return (unsigned long long)((sectors + 1024) / 2048); }

static const char *gpt_kind(const gpt_guid *type)
{
    static const struct { const char *guid, *name; } kinds[] = {
        {GPT_TYPE_BIOS_BOOT, "BIOS boot"},
        {GPT_TYPE_ESP, "EFI system"},
        {GPT_TYPE_BASIC_DATA, "data"},
        {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux"},
        {"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
        {"E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        gpt_guid g;
        if (gpt_guid_parse(kinds[i].guid, &g) == 0 && gpt_guid_equal(&g, type))
            return kinds[i].name;
    }
    return "other";
}

static int is_tessera(const struct gpt_layout *l)
{
    int esp = 0, sys = 0;
    for (uint32_t i = 0; i < l->count; i++) {
        esp |= strcmp(l->part[i].name, "TESSERA-ESP") == 0;
        sys |= strcmp(l->part[i].name, "TESSERA") == 0;
    }
    return esp && sys;
}

static int all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int install_describe(const struct install_device *dev, char *out, size_t len)
{
    static uint8_t buf[34 * 512];
    if (!len)
        return INSTALL_OK;
    out[0] = 0;
    uint64_t n = dev->sector_count < 34 ? dev->sector_count : 34;
    if (n == 0 || dev->read(dev->ctx, 0, (uint32_t)n, buf)) {
        add(out, len, "%s", "unreadable (the first sectors could not be read)");
        return INSTALL_EIO;
    }

    struct gpt_device g = {(void *)dev, raw_read, no_write, dev->sector_count};
    static struct gpt_layout l;
    struct gpt_report rep;
    int err = gpt_read(&g, &l, &rep);
    if (err == GPT_OK) {
        add(out, len, "%s (GPT, %u partition%s%s)",
            is_tessera(&l) ? "a Tessera installation" : "a GPT partition table", l.count,
            l.count == 1 ? "" : "s", rep.consistent ? "" : "; one of its two copies is damaged");
        for (uint32_t i = 0; i < l.count; i++) {
            const struct gpt_partition *p = &l.part[i];
            add(out, len, "%s%s", i ? ", " : ": ", gpt_kind(&p->type));
            if (p->name[0])
                add(out, len, " \"%s\"", p->name);
            add(out, len, " %llu MiB", mib(p->last_lba - p->first_lba + 1));
        }
        return INSTALL_OK;
    }
    if (err == GPT_ECORRUPT) {
        add(out, len, "a damaged GPT partition table (%s)", rep.problem ? rep.problem : "unreadable");
        return INSTALL_OK;
    }

    /* MBR: boot signature and at least one used entry with a sane type. */
    const uint8_t *mbr = buf;
    if (mbr[510] == 0x55 && mbr[511] == 0xAA) {
        int used = 0;
        for (int i = 0; i < 4; i++) {
            const uint8_t *e = mbr + 446 + 16 * i;
            uint32_t count = e[12] | e[13] << 8 | e[14] << 16 | (uint32_t)e[15] << 24;
            if (e[4] == 0 || count == 0 || (e[0] != 0 && e[0] != 0x80))
                continue;
            add(out, len, "%s type 0x%02x %llu MiB", used ? "," : "an MBR partition table:", e[4],
                mib(count));
            used++;
        }
        if (used)
            return INSTALL_OK;
        /* A FAT boot sector also ends in 55 AA. */
        if (memcmp(mbr + 82, "FAT32", 5) == 0 || memcmp(mbr + 54, "FAT1", 4) == 0) {
            add(out, len, "a FAT file system without a partition table");
            return INSTALL_OK;
        }
    }
    /* ISO 9660: "CD001" at byte 32769 (sector 64). */
    if (dev->sector_count > 64 && dev->read(dev->ctx, 64, 1, buf) == 0 &&
        memcmp(buf + 1, "CD001", 5) == 0) {
        add(out, len, "%s", "an ISO 9660 image (a CD or DVD image)");
        return INSTALL_OK;
    }
    if (dev->read(dev->ctx, 0, (uint32_t)n, buf) == 0 && all_zero(buf, (size_t)n * 512)) {
        add(out, len, "%s", "blank (no partition table, no file system)");
        return INSTALL_OK;
    }
    add(out, len, "%s", "unrecognised data (no partition table)");
    return INSTALL_OK;
}
