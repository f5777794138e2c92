/*
 * Tests for libs/gpt: the planned layout for 2 GiB and odd sizes, too-small
 * disks refused, write/read round trip, corruption of either copy detected
 * (and the backup used when the primary is gone), and the host's own
 * partition reader (sfdisk, or partx when fdisk is not installed) agreeing.
 */
// host-test-uses: libs/gpt/gpt.c
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <gpt/gpt.h>

#include "memdisk.h"

/* A sparse-enough disk: calloc'd, only the tables get touched. */
static struct memdisk disk;
static struct gpt_device dev;

static void disk_open(uint64_t sectors)
{
    md_alloc(&disk, sectors);
    dev = (struct gpt_device){&disk, md_read, md_write, sectors};
}

static struct gpt_layout plan, got;

TEST(guid_text_round_trip)
{
    gpt_guid g;
    char text[37];
    CHECK_EQ(gpt_guid_parse(GPT_TYPE_ESP, &g), GPT_OK);
    /* On-disk order: first three fields little-endian (UEFI spec example). */
    static const uint8_t esp[16] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                    0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};
    CHECK(memcmp(g.b, esp, 16) == 0);
    gpt_guid_format(&g, text);
    CHECK_STR(text, GPT_TYPE_ESP);
    CHECK_EQ(gpt_guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b", &g), GPT_OK);
    CHECK(memcmp(g.b, esp, 16) == 0);
    CHECK_EQ(gpt_guid_parse("C12A7328F81F-11D2-BA4B-00A0C93EC93B0", &g), GPT_EINVAL);
    CHECK_EQ(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", &g), GPT_EINVAL);
    CHECK_EQ(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93BX", &g), GPT_EINVAL);
}

TEST(crc32_known_value)
{
    CHECK_EQ(gpt_crc32(0, "123456789", 9), 0xCBF43926u);
    /* Incremental equals one pass. */
    CHECK_EQ(gpt_crc32(gpt_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void check_plan(uint64_t sectors)
{
    CHECK_EQ(gpt_layout(sectors, 42, &plan), GPT_OK);
    CHECK_EQ(plan.count, 3u);
    CHECK_EQ(plan.first_usable, 34u);
    CHECK_EQ(plan.last_usable, sectors - 34);
    CHECK_EQ(plan.part[GPT_PART_BIOS].first_lba, 2048u);
    CHECK_EQ(plan.part[GPT_PART_BIOS].last_lba, 4095u);
    CHECK_EQ(plan.part[GPT_PART_ESP].first_lba, 4096u);
    CHECK_EQ(plan.part[GPT_PART_ESP].last_lba, 4096u + 64 * 2048 - 1);
    const struct gpt_partition *d = &plan.part[GPT_PART_DATA];
    CHECK_EQ(d->first_lba, 4096u + 64 * 2048);
    CHECK_EQ(d->first_lba % 2048, 0u);
    CHECK_EQ((d->last_lba + 1) % 2048, 0u);
    CHECK(d->last_lba <= plan.last_usable);
    CHECK(plan.last_usable - d->last_lba < 2048);      /* nothing wasted */
    CHECK(d->last_lba - d->first_lba + 1 >= GPT_DATA_MIN_SECTORS);
    CHECK_STR(plan.part[GPT_PART_ESP].name, "TESSERA-ESP");
    CHECK_STR(d->name, "TESSERA");
    gpt_guid t;
    gpt_guid_parse(GPT_TYPE_BIOS_BOOT, &t);
    CHECK(gpt_guid_equal(&plan.part[GPT_PART_BIOS].type, &t));
    gpt_guid_parse(GPT_TYPE_BASIC_DATA, &t);
    CHECK(gpt_guid_equal(&d->type, &t));
    /* Random GUIDs: version 4, RFC 4122 variant, all different. */
    CHECK_EQ(plan.disk_guid.b[7] >> 4, 4);
    CHECK_EQ(plan.disk_guid.b[8] >> 6, 2);
    CHECK(!gpt_guid_equal(&plan.part[0].guid, &plan.part[1].guid));
    CHECK(!gpt_guid_equal(&plan.part[1].guid, &plan.part[2].guid));
}

TEST(layout_2gib)
{
    check_plan(2ull << 30 >> 9);
    CHECK_EQ(plan.part[GPT_PART_DATA].last_lba, (2ull << 30 >> 9) - 2048 - 1);
}

TEST(layout_odd_sizes)
{
    check_plan(GPT_MIN_SECTORS);
    check_plan(GPT_MIN_SECTORS + 1);
    check_plan(GPT_MIN_SECTORS + 2047);
    check_plan(1000000007ull);                          /* odd, ~477 GiB */
    check_plan(3ull << 32);                             /* beyond 2 TiB */
}

TEST(layout_refuses_small_disks)
{
    CHECK_EQ(gpt_layout(GPT_MIN_SECTORS - 1, 1, &plan), GPT_ETOOSMALL);
    CHECK_EQ(gpt_layout(0, 1, &plan), GPT_ETOOSMALL);
    CHECK_STR(gpt_strerror(GPT_ETOOSMALL), "disk too small");
}

TEST(seeds_give_different_guids)
{
    struct gpt_layout other;
    gpt_layout(1 << 22, 1, &plan);
    gpt_layout(1 << 22, 2, &other);
    CHECK(!gpt_guid_equal(&plan.disk_guid, &other.disk_guid));
    gpt_layout(1 << 22, 1, &other);
    CHECK(gpt_guid_equal(&plan.disk_guid, &other.disk_guid));
}

static void write_plan(uint64_t sectors)
{
    disk_open(sectors);
    CHECK_EQ(gpt_layout(sectors, 7, &plan), GPT_OK);
    CHECK_EQ(gpt_write(&dev, &plan, NULL), GPT_OK);
}

TEST(round_trip)
{
    uint64_t sizes[] = {GPT_MIN_SECTORS, 300001, 1 << 22};
    for (int i = 0; i < 3; i++) {
        write_plan(sizes[i]);
        struct gpt_report rep;
        CHECK_EQ(gpt_verify(&dev, &got, &rep), GPT_OK);
        CHECK(rep.primary_ok && rep.backup_ok && rep.consistent && rep.mbr_protective);
        CHECK(rep.problem == NULL);
        CHECK_EQ(got.count, 3u);
        CHECK(gpt_guid_equal(&got.disk_guid, &plan.disk_guid));
        for (int p = 0; p < 3; p++) {
            CHECK(gpt_guid_equal(&got.part[p].type, &plan.part[p].type));
            CHECK(gpt_guid_equal(&got.part[p].guid, &plan.part[p].guid));
            CHECK_EQ(got.part[p].first_lba, plan.part[p].first_lba);
            CHECK_EQ(got.part[p].last_lba, plan.part[p].last_lba);
            CHECK_STR(got.part[p].name, plan.part[p].name);
        }
    }
    /* The MBR's protective entry and boot code. */
    uint8_t code[440];
    memset(code, 0xCC, sizeof code);
    CHECK_EQ(gpt_write(&dev, &plan, code), GPT_OK);
    CHECK_EQ(disk.data[0], 0xCC);
    CHECK_EQ(disk.data[439], 0xCC);
    CHECK_EQ(disk.data[446 + 4], 0xEE);
    CHECK_EQ(disk.data[510], 0x55);
    CHECK_EQ(disk.data[511], 0xAA);
}

TEST(blank_disk_has_no_gpt)
{
    disk_open(GPT_MIN_SECTORS);
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_ENONE);
    CHECK_STR(rep.problem, "no GPT on the disk");
}

TEST(corrupt_primary_header_uses_backup)
{
    write_plan(1 << 20);
    disk.data[512 + 40] ^= 1;                           /* first usable LBA */
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_OK);
    CHECK(!rep.primary_ok && rep.backup_ok && !rep.consistent);
    CHECK_STR(rep.problem, "GPT header CRC mismatch");
    CHECK_EQ(got.count, 3u);
    CHECK_EQ(got.part[2].last_lba, plan.part[2].last_lba);
    CHECK_EQ(gpt_verify(&dev, &got, &rep), GPT_ECORRUPT);
}

TEST(corrupt_primary_entries_detected)
{
    write_plan(1 << 20);
    disk.data[2 * 512 + 128 + 33] ^= 0x80;              /* ESP first LBA */
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_OK);
    CHECK(!rep.primary_ok && rep.backup_ok);
    CHECK_STR(rep.problem, "GPT entry array CRC mismatch");
    CHECK_EQ(got.part[1].first_lba, 4096u);             /* from the backup */
}

TEST(corrupt_backup_detected)
{
    write_plan(1 << 20);
    disk.data[((1 << 20) - 1) * 512ull + 60] ^= 1;      /* backup's disk GUID */
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_OK);
    CHECK(rep.primary_ok && !rep.backup_ok);
    CHECK_STR(rep.problem, "GPT header CRC mismatch");
    CHECK_EQ(gpt_verify(&dev, &got, &rep), GPT_ECORRUPT);
}

TEST(both_copies_corrupt)
{
    write_plan(1 << 20);
    disk.data[512 + 20] ^= 1;
    disk.data[((1 << 20) - 1) * 512ull + 20] ^= 1;
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_ECORRUPT);
    CHECK(rep.problem != NULL);
}

TEST(hostile_header_fields_refused)
{
    /* A header with a valid CRC but absurd fields must be refused, not used. */
    write_plan(1 << 20);
    uint8_t *h = disk.data + 512;
    h[84] = 0; h[85] = 0x10;                            /* entry size 4096 */
    h[16] = h[17] = h[18] = h[19] = 0;
    uint32_t crc = gpt_crc32(0, h, 92);
    for (int i = 0; i < 4; i++)
        h[16 + i] = crc >> (8 * i);
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_OK);       /* backup still fine */
    CHECK(!rep.primary_ok);
    CHECK_STR(rep.problem, "unsupported GPT entry size or count");

    write_plan(1 << 20);
    h = disk.data + 512;
    for (int i = 0; i < 8; i++)
        h[72 + i] = 0xFF;                               /* entries LBA far away */
    h[16] = h[17] = h[18] = h[19] = 0;
    crc = gpt_crc32(0, h, 92);
    for (int i = 0; i < 4; i++)
        h[16 + i] = crc >> (8 * i);
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_OK);
    CHECK_STR(rep.problem, "GPT entry array outside the disk");
}

TEST(differing_copies_detected)
{
    write_plan(1 << 20);
    struct gpt_layout other = plan;
    other.part[2].name[0] = 'X';
    /* Rewrite only the primary by writing a second table to a scratch disk. */
    struct memdisk keep = disk;
    disk.data = calloc(disk.sectors, 512);
    CHECK_EQ(gpt_write(&dev, &other, NULL), GPT_OK);
    memcpy(keep.data + 512, disk.data + 512, 33 * 512);
    free(disk.data);
    disk = keep;
    struct gpt_report rep;
    CHECK_EQ(gpt_read(&dev, &got, &rep), GPT_OK);
    CHECK(rep.primary_ok && rep.backup_ok && !rep.consistent);
    CHECK_STR(rep.problem, "primary and backup GPT differ");
}

static void squeeze(char *s)
{
    char *o = s;
    for (; *s; s++)
        if (*s != ' ')
            *o++ = *s;
    *o = 0;
}

/* The host's partition tools read our table as planned. */
TEST(host_tool_agrees)
{
    const char *tool = access("/usr/sbin/sfdisk", X_OK) == 0 ? "sfdisk"
                     : access("/usr/bin/partx", X_OK) == 0 ? "partx" : NULL;
    if (!tool) {
        CHECK(!"neither sfdisk (fdisk package) nor partx (util-linux) is installed");
        return;
    }
    uint64_t sectors = 2ull << 30 >> 9;
    char path[] = "/tmp/tessera-gpt-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_EQ(ftruncate(fd, (off_t)(sectors * 512)), 0);
    /* Write only the table areas into the sparse file. */
    write_plan(sectors);
    CHECK(pwrite(fd, disk.data, 34 * 512, 0) == 34 * 512);
    CHECK(pwrite(fd, disk.data + (sectors - 33) * 512, 33 * 512, (off_t)(sectors - 33) * 512) == 33 * 512);
    close(fd);

    char cmd[256], line[512];
    if (strcmp(tool, "sfdisk") == 0)
        snprintf(cmd, sizeof cmd, "/usr/sbin/sfdisk -d %s 2>&1", path);
    else
        snprintf(cmd, sizeof cmd, "/usr/bin/partx -g -r -o NR,START,END,TYPE,NAME,UUID %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    int seen = 0;
    char uuid[37];
    while (p && fgets(line, sizeof line, p)) {
        for (int i = 0; i < 3; i++) {
            char want[200], type[37];
            const struct gpt_partition *q = &plan.part[i];
            gpt_guid_format(&q->guid, uuid);
            gpt_guid_format(&q->type, type);
            if (strcmp(tool, "sfdisk") == 0)
                snprintf(want, sizeof want, "start=%llu, size=%llu, type=%s, uuid=%s, name=\"%s\"",
                         (unsigned long long)q->first_lba,
                         (unsigned long long)(q->last_lba - q->first_lba + 1), type, uuid, q->name);
            else {
                /* partx -r escapes spaces in names as \x20 and prints GUIDs in lower case. */
                char name[80] = "";
                for (const char *c = q->name; *c; c++)
                    strcat(name, *c == ' ' ? "\\x20" : (char[]){*c, 0});
                for (char *c = type; *c; c++) *c = *c >= 'A' && *c <= 'F' ? *c + 32 : *c;
                for (char *c = uuid; *c; c++) *c = *c >= 'A' && *c <= 'F' ? *c + 32 : *c;
                snprintf(want, sizeof want, "%d %llu %llu %s %s %s", i + 1,
                         (unsigned long long)q->first_lba, (unsigned long long)q->last_lba,
                         type, name, uuid);
            }
            if (strcmp(tool, "sfdisk") == 0) {
                /* sfdisk pads its numbers: compare without spaces. */
                squeeze(want);
                squeeze(line);
            }
            if (strstr(line, want))
                seen |= 1 << i;
        }
    }
    int status = p ? pclose(p) : -1;
    if (seen != 7)
        printf("  %s output did not show all partitions as planned (seen mask %d):\n  %s\n",
               tool, seen, cmd);
    CHECK_EQ(status, 0);
    CHECK_EQ(seen, 7);
    unlink(path);
}

TEST_MAIN()
