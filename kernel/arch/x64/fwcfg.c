/* QEMU's fw_cfg device (ports 0x510/0x511): lets tests pass boot options. */
#include "arch.h"
#include "cpu.h"
#include "../../core/kernel.h"

#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019

static void read_bytes(void *buf, size_t n) {
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = inb(FW_CFG_DATA);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

int fwcfg_read_file(const char *name, char *buf, size_t cap) {
    char sig[4];
    outw(FW_CFG_SEL, FW_CFG_SIGNATURE);
    read_bytes(sig, 4);
    if (memcmp(sig, "QEMU", 4))
        return -1;   /* not running under QEMU */
    uint8_t count_be[4];
    outw(FW_CFG_SEL, FW_CFG_FILE_DIR);
    read_bytes(count_be, 4);
    uint32_t count = be32(count_be);
    for (uint32_t i = 0; i < count && i < 4096; i++) {
        uint8_t entry[64];   /* size (be32), select (be16), reserved, name[56] */
        read_bytes(entry, sizeof(entry));
        entry[63] = 0;
        if (strcmp((const char *)entry + 8, name))
            continue;
        uint32_t size = be32(entry);
        uint16_t select = (uint16_t)(entry[4] << 8 | entry[5]);
        size_t n = MIN((size_t)size, cap - 1);
        outw(FW_CFG_SEL, select);
        read_bytes(buf, n);
        buf[n] = 0;
        return (int)n;
    }
    return -1;
}
