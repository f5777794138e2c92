/*
 * Which program drives which device: the one table of them. PCI devices
 * match by vendor:device; legacy devices (vendor 0) by their ISA_* id.
 * Entries marked test are used only when dm runs with "test_driver" (the
 * boot configuration etc/boot-dmtest.conf, for tests/qemu/test_dm.py).
 */
#include <driver/driver.h>
#include "dm.h"

const struct driver_entry dm_drivers[] = {
    {0x1af4, 0x1050, "servers/virtio_gpu", "", false},   /* virtio-gpu (virtio 1.x) */
    {0, ISA_BOOT_FB, "servers/fbdev", "", false},        /* the boot loader's framebuffer */
    {0, ISA_I8042, "servers/ps2", "", false},            /* keyboard controller: keyboard and mouse */
    {0, ISA_CMOS_RTC, "servers/rtc", "", false},         /* the CMOS real-time clock */
    /* Disks: each names itself from dm's instance=N (vda, vdb, ...; sda, ...;
     * nvme0, ...) and offers the block interface (libs/driver/block.idl). */
    {0x1af4, 0x1042, "servers/virtio_blk", "", false},   /* virtio-blk (virtio 1.x) */
    {0x8086, 0x2922, "servers/ahci", "", false},         /* ICH9 AHCI (q35's SATA, QEMU's -device ahci) */
    {0x1b36, 0x0010, "servers/nvme", "", false},         /* QEMU's NVMe controller */
    /* tests/dmtest: a well-behaved driver for virtio-rng, one that always
     * crashes for virtio-balloon, one that never gets ready for virtio-input */
    {0x1af4, 0x1044, "tests/dmtest", "driver", true},
    {0x1af4, 0x1045, "tests/dmtest", "driver crash", true},
    {0x1af4, 0x1052, "tests/dmtest", "driver stall", true},
};
const size_t dm_num_drivers = sizeof(dm_drivers) / sizeof(dm_drivers[0]);

const struct driver_entry *driver_match(const struct driver_entry *table, size_t n, uint16_t vendor,
                                        uint16_t device, bool test) {
    for (size_t i = 0; i < n; i++)
        if (table[i].vendor == vendor && table[i].device == device && (test || !table[i].test))
            return &table[i];
    return NULL;
}

/* The i8042 is assumed present (it is on every PC dm runs on; ps2 copes with
 * a missing or stuck one and still reports ready). The ACPI FADT's "no
 * 8042" flag is not read. */
const struct isa_device isa_devices[] = {
    {ISA_I8042, "i8042", 0x098000, 2, {{0x60, 1}, {0x64, 1}}, 2, {1, 12}},
    {ISA_CMOS_RTC, "rtc", 0x088000, 1, {{0x70, 2}}, 1, {8}},
};
const size_t isa_num_devices = sizeof(isa_devices) / sizeof(isa_devices[0]);

const struct isa_device *isa_find(uint16_t id) {
    for (size_t i = 0; i < isa_num_devices; i++)
        if (isa_devices[i].id == id)
            return &isa_devices[i];
    return NULL;
}
