/*
 * blktest (test=blktest blktest.disk=NAME): a disk driver (virtio_blk, ahci,
 * nvme), driven through the block interface (libs/driver/block.idl) the way
 * a client would. tests/qemu/test_block.py boots it with a scratch image
 * and then checks the image on the host:
 *
 *   - sectors 0..255 and the last 256 sectors hold pattern_byte() of their
 *     byte offset on the disk (written, flushed, read back and compared here)
 *   - "TESSERA-BLKTEST" is at sector 2048 (byte 1 MiB)
 *
 * On a read-only disk (info says so) writes must be refused with -E_ROFS
 * and nothing is written.
 *
 * blktest.restart=1: the driver crashes on purpose (block.crash_after=N) and
 * comes back; the data is still there.
 *
 * Not tested yet: a second client task being refused with -E_BUSY (needs a
 * child task running a program of its own).
 *
 * "blktest bench seq" (bench=blktest/seq blktest.disk=NAME): writes, then
 * reads 64 MiB (or the whole disk if smaller) sequentially in buffer-sized
 * calls and prints "bench: blk_write MiBps=N" and "bench: blk_read MiBps=N".
 */
#include <common/string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#define GUEST_TEST_NAME "blktest"
#include "../guest_test.h"
#include "idl/block.h"

#define SEC 1000000000ull
#define LOOKUP_TIMEOUT (10 * SEC)
#define PATTERN_SECTORS 256
#define MARKER "TESSERA-BLKTEST"
#define MARKER_SECTOR 2048   /* in 512-byte units: byte 1 MiB */
#define BENCH_BYTES (64ull << 20)

static char disk_name[32];
static handle_t disk = HANDLE_NONE;
static uint32_t sector_size, buffer_size;
static uint64_t sectors;
static bool read_only, opened;
static uint8_t *buf;

/* What the disk holds at byte `offset` after the pattern test; the host
 * check in tests/qemu/test_block.py computes the same. */
static uint8_t pattern_byte(uint64_t offset) { return (uint8_t)(((offset >> 9) * 7 + offset) ^ 0xa5); }

static uint32_t buffer_sectors(void) { return buffer_size / sector_size; }

/* count sectors from `first`, in buffer-sized calls: fill (write) or check
 * (read) the pattern. Returns 0, the first call's error, or 1 for a
 * mismatch (logged). */
static int pattern_io(uint64_t first, uint64_t count, bool write) {
    while (count) {
        uint32_t n = count < buffer_sectors() ? (uint32_t)count : buffer_sectors();
        uint64_t base = first * sector_size;
        size_t bytes = (size_t)n * sector_size;
        if (write) {
            for (size_t i = 0; i < bytes; i++)
                buf[i] = pattern_byte(base + i);
            int err = block_write(disk, first, n);
            if (err)
                return err;
        } else {
            memset(buf, 0, bytes);
            int err = block_read(disk, first, n);
            if (err)
                return err;
            for (size_t i = 0; i < bytes; i++)
                if (buf[i] != pattern_byte(base + i)) {
                    log_printf("blktest: byte %llu of the disk is 0x%02x, expected 0x%02x\n",
                               (unsigned long long)(base + i), buf[i], pattern_byte(base + i));
                    return 1;
                }
        }
        first += n;
        count -= n;
    }
    return 0;
}

/* ---- tests ---- */

static void test_lookup(void) {
    int err = driver_lookup(startup.bootstrap, disk_name, LOOKUP_TIMEOUT, &disk);
    if (err)
        log_printf("blktest: no disk %s: %s\n", disk_name, err_str(err));
    EXPECT(err == 0);
}

static void test_info(void) {
    char model[64];
    int err = block_info(disk, &sector_size, &sectors, &read_only, model, sizeof(model));
    EXPECT(err == 0);
    if (err)
        return;
    log_printf("blktest: %s: %llu sectors of %u bytes%s, model %s\n", disk_name, (unsigned long long)sectors,
               sector_size, read_only ? ", read-only" : "", model);
    EXPECT(sector_size == 512 || sector_size == 4096);
    EXPECT(model[0] != 0);
    /* Room for the pattern at both ends and the marker between them. */
    EXPECT(sectors * sector_size >= (MARKER_SECTOR + 1) * 512ull + 2ull * PATTERN_SECTORS * sector_size);
}

static void test_open(void) {
    long task = sys_handle_dup(startup.self, RIGHT_WATCH | RIGHT_TRANSFER, 0);
    EXPECT(task >= 0);
    handle_t mem = HANDLE_NONE;
    int err = block_open(disk, task < 0 ? HANDLE_NONE : (handle_t)task, &mem, &buffer_size);
    EXPECT(err == 0);
    if (err) {
        log_printf("blktest: open: %s\n", err_str(err));
        return;
    }
    struct handle_info info;
    EXPECT(sys_handle_info(mem, &info) == 0 && info.size >= buffer_size);
    EXPECT(buffer_size >= 64 * 1024 && buffer_size % sector_size == 0);
    uintptr_t va = vm_reserve(buffer_size);
    long r = sys_vm_map(HANDLE_SELF, mem, 0, va, buffer_size, PROT_R | PROT_W);
    sys_handle_close(mem);   /* the mapping keeps it */
    EXPECT(r == 0);
    if (r == 0) {
        buf = (uint8_t *)va;
        opened = true;
    }
    /* Opening again from the same task is not another client. */
    mem = HANDLE_NONE;
    task = sys_handle_dup(startup.self, RIGHT_WATCH | RIGHT_TRANSFER, 0);
    uint32_t size2 = 0;
    err = block_open(disk, task < 0 ? HANDLE_NONE : (handle_t)task, &mem, &size2);
    EXPECT(err == 0);
    if (err == 0) {
        /* A re-open gives a fresh buffer: map that one instead. */
        sys_vm_unmap(HANDLE_SELF, va, buffer_size);
        r = sys_vm_map(HANDLE_SELF, mem, 0, va, buffer_size, PROT_R | PROT_W);
        sys_handle_close(mem);
        EXPECT(r == 0 && size2 == buffer_size);
        if (r)
            opened = false;
    }
}

static void test_pattern(void) {
    uint64_t last = sectors - PATTERN_SECTORS;
    int err = pattern_io(0, PATTERN_SECTORS, true);
    EXPECT(err == 0);
    err = pattern_io(last, PATTERN_SECTORS, true);
    EXPECT(err == 0);
    EXPECT(block_flush(disk) == 0);
    err = pattern_io(0, PATTERN_SECTORS, false);
    EXPECT(err == 0);
    err = pattern_io(last, PATTERN_SECTORS, false);
    EXPECT(err == 0);
}

static void test_out_of_range(void) {
    EXPECT(block_read(disk, sectors, 1) == -E_RANGE);
    EXPECT(block_read(disk, sectors - 1, 2) == -E_RANGE);
    EXPECT(block_read(disk, ~0ull, 1) == -E_RANGE);
    EXPECT(block_read(disk, ~0ull - 1, 4) == -E_RANGE);
    EXPECT(block_read(disk, 0, buffer_sectors() + 1) == -E_RANGE);
    EXPECT(block_read(disk, 0, ~0u) == -E_RANGE);
    if (!read_only) {
        EXPECT(block_write(disk, sectors, 1) == -E_RANGE);
        EXPECT(block_write(disk, sectors - 1, 2) == -E_RANGE);
        EXPECT(block_write(disk, 0, buffer_sectors() + 1) == -E_RANGE);
    }
    /* The last sector itself is in range. */
    EXPECT(block_read(disk, sectors - 1, 1) == 0);
}

static void test_marker(void) {
    uint64_t sector = MARKER_SECTOR * 512ull / sector_size;
    memset(buf, 0, sector_size);
    memcpy(buf, MARKER, sizeof(MARKER) - 1);
    EXPECT(block_write(disk, sector, 1) == 0);
    EXPECT(block_flush(disk) == 0);
    memset(buf, 0, sector_size);
    EXPECT(block_read(disk, sector, 1) == 0);
    EXPECT(memcmp(buf, MARKER, sizeof(MARKER) - 1) == 0);
}

static void test_read_only(void) {
    EXPECT(block_read(disk, 0, 1) == 0);
    EXPECT(block_write(disk, 0, 1) == -E_ROFS);
    EXPECT(block_write(disk, MARKER_SECTOR * 512ull / sector_size, 1) == -E_ROFS);
    EXPECT(block_flush(disk) == 0);
}

static void test_close(void) {
    EXPECT(block_close(disk) == 0);
    /* No longer the client. */
    EXPECT(block_read(disk, 0, 1) == -E_PERM);
}

/* blktest.restart=1 (with block.crash_after=N): the driver faults on purpose
 * at a request; calls then fail with -E_PEER, dm restarts it, and we look
 * the disk up again, open it and find what we wrote before the crash. */
static void test_driver_restart(void) {
    int err = 0;
    for (int i = 0; i < 1000 && err == 0; i++)
        err = block_read(disk, 0, 1);
    EXPECT(err == -E_PEER);
    sys_handle_close(disk);
    disk = HANDLE_NONE;
    sys_vm_unmap(HANDLE_SELF, (uintptr_t)buf, buffer_size);
    opened = false;
    test_lookup();
    if (disk == HANDLE_NONE)
        return;
    test_open();
    if (!opened)
        return;
    uint64_t sector = MARKER_SECTOR * 512ull / sector_size;
    memset(buf, 0, sector_size);
    EXPECT(block_read(disk, sector, 1) == 0);
    EXPECT(memcmp(buf, MARKER, sizeof(MARKER) - 1) == 0);
    EXPECT(pattern_io(0, PATTERN_SECTORS, false) == 0);
}

static void test_no_disk_named(void) { EXPECT(disk_name[0] != 0); }

/* ---- bench=blktest/seq ---- */

static int bench(void) {
    current = "bench";
    test_lookup();
    if (disk != HANDLE_NONE)
        test_info();
    if (disk != HANDLE_NONE && !current_failed)
        test_open();
    if (!opened || current_failed) {
        log_printf("blktest: no disk to time\n");
        return 1;
    }
    uint64_t total = sectors * sector_size < BENCH_BYTES ? sectors * sector_size : BENCH_BYTES;
    uint64_t count = total / sector_size;
    for (uint32_t i = 0; i < buffer_size; i++)
        buf[i] = (uint8_t)i;
    uint64_t t0 = sys_clock();
    if (!read_only) {
        for (uint64_t s = 0; s < count; s += buffer_sectors()) {
            uint32_t n = count - s < buffer_sectors() ? (uint32_t)(count - s) : buffer_sectors();
            int err = block_write(disk, s, n);
            if (err) {
                log_printf("blktest: write at sector %llu: %s\n", (unsigned long long)s, err_str(err));
                return 1;
            }
        }
        block_flush(disk);
        uint64_t ns = sys_clock() - t0;
        log_printf("bench: blk_write MiBps=%llu\n", (unsigned long long)(ns ? (total >> 20) * SEC / ns : 0));
    }
    t0 = sys_clock();
    for (uint64_t s = 0; s < count; s += buffer_sectors()) {
        uint32_t n = count - s < buffer_sectors() ? (uint32_t)(count - s) : buffer_sectors();
        int err = block_read(disk, s, n);
        if (err) {
            log_printf("blktest: read at sector %llu: %s\n", (unsigned long long)s, err_str(err));
            return 1;
        }
    }
    uint64_t ns = sys_clock() - t0;
    log_printf("bench: blk_read MiBps=%llu\n", (unsigned long long)(ns ? (total >> 20) * SEC / ns : 0));
    block_close(disk);
    log_printf("bench: done\n");
    return 0;
}

int main(int argc, char **argv) {
    if (!startup_option("blktest.disk", disk_name, sizeof(disk_name)) || !disk_name[0]) {
        log_printf("blktest: no disk named: boot with blktest.disk=NAME (vda, sda, nvme0, ...)\n");
        run("disk_named", test_no_disk_named);
        return guest_done();
    }
    if (argc > 2 && !strcmp(argv[1], "bench") && !strcmp(argv[2], "seq"))
        return bench();
    run("lookup", test_lookup);
    if (disk == HANDLE_NONE)
        return guest_done();
    run("info", test_info);
    if (sector_size == 0)
        return guest_done();
    run("open", test_open);
    if (!opened)
        return guest_done();
    if (read_only) {
        run("read_only", test_read_only);
    } else {
        run("pattern", test_pattern);
        run("marker", test_marker);
    }
    run("out_of_range", test_out_of_range);
    if (!read_only && startup_option("blktest.restart", NULL, 0)) {
        run("driver_restart", test_driver_restart);
        if (!opened)
            return guest_done();
    }
    run("close", test_close);
    return guest_done();
}
