/*
 * AHCI 1.3 registers and structures, and the ATA commands we use (ATA8-ACS).
 * Only what servers/ahci needs.
 */
#ifndef AHCI_AHCI_H
#define AHCI_AHCI_H

#include <stdint.h>

#define AHCI_BAR 5   /* ABAR: the HBA's memory registers */

/* Generic host control */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0c
#define HBA_VS 0x10
#define HBA_CAP2 0x24
#define HBA_BOHC 0x28

#define CAP_NP_MASK 0x1f            /* ports - 1 */
#define CAP_S64A (1u << 31)         /* 64-bit addresses */
#define CAP_SSS (1u << 27)          /* staggered spin-up: PxCMD.SUD is ours to set */
#define GHC_AE (1u << 31)
#define GHC_IE (1u << 1)
#define CAP2_BOH (1u << 0)          /* BIOS/OS handoff */
#define BOHC_BOS (1u << 0)
#define BOHC_OOS (1u << 1)
#define BOHC_BB (1u << 4)

/* Port registers, at 0x100 + port * 0x80 */
#define PORT_BASE(p) (0x100u + (unsigned)(p) * 0x80u)
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0c
#define PX_IS 0x10
#define PX_IE 0x14
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SIG 0x24
#define PX_SSTS 0x28
#define PX_SCTL 0x2c
#define PX_SERR 0x30
#define PX_SACT 0x34
#define PX_CI 0x38

#define PXCMD_ST (1u << 0)
#define PXCMD_SUD (1u << 1)
#define PXCMD_POD (1u << 2)
#define PXCMD_FRE (1u << 4)
#define PXCMD_FR (1u << 14)
#define PXCMD_CR (1u << 15)

#define PXIS_TFES (1u << 30)        /* task file error */
#define PXIS_HBFS (1u << 29)        /* host bus fatal error */
#define PXIS_HBDS (1u << 28)        /* host bus data error */
#define PXIS_IFS (1u << 27)         /* interface fatal error */
#define PXIS_ERRORS (PXIS_TFES | PXIS_HBFS | PXIS_HBDS | PXIS_IFS)

#define TFD_ERR 0x01
#define TFD_DRQ 0x08
#define TFD_BSY 0x80

#define SSTS_DET(s) ((s) & 0xf)     /* 3: device present, link up */
#define SSTS_IPM(s) (((s) >> 8) & 0xf)   /* 1: active */

#define SIG_ATA 0x00000101u
#define SIG_ATAPI 0xeb140101u

/* The command list: 32 headers of 32 bytes (1 KiB aligned); the received
 * FIS area: 256 bytes (256 aligned); a command table: 128-byte aligned, the
 * command FIS at 0 and the PRD table at 0x80. */
struct ahci_cmd_header {
    uint32_t flags;   /* CFL (FIS dwords) bits 0-4, W bit 6, PRDTL bits 16-31 */
    uint32_t prdbc;   /* bytes transferred, written by the HBA */
    uint32_t ctba, ctbau;
    uint32_t reserved[4];
};
_Static_assert(sizeof(struct ahci_cmd_header) == 32, "AHCI command header");
#define CMDH_WRITE (1u << 6)

struct ahci_prd {
    uint32_t dba, dbau, reserved;
    uint32_t dbc;     /* byte count - 1 (bit 0 set: even counts only), bits 0-21 */
};
_Static_assert(sizeof(struct ahci_prd) == 16, "AHCI PRD entry");
#define PRD_MAX_BYTES (4u << 20)

#define CMDLIST_BYTES 1024
#define RFIS_BYTES 256
#define CMDTBL_PRDT 0x80

/* Register host-to-device FIS */
#define FIS_TYPE_REG_H2D 0x27
#define FIS_H2D_DWORDS 5
#define FIS_H2D_COMMAND 0x80   /* byte 1: a command, not device control */

/* ATA commands */
#define ATA_IDENTIFY_DEVICE 0xec
#define ATA_READ_DMA_EXT 0x25
#define ATA_WRITE_DMA_EXT 0x35
#define ATA_FLUSH_CACHE_EXT 0xea
#define ATA_DEVICE_LBA 0x40

/* IDENTIFY DEVICE words */
#define ID_MODEL 27            /* 20 words, two characters each, high byte first */
#define ID_MODEL_WORDS 20
#define ID_LBA28_SECTORS 60    /* 2 words */
#define ID_CMDSET2 83          /* bit 10: 48-bit addresses */
#define ID_LBA48_SECTORS 100   /* 4 words */
#define ID_SECTOR_SIZE 106     /* bit 14 set, 15 clear: valid; bit 12: logical sector > 256 words */
#define ID_LOGICAL_WORDS 117   /* 2 words: the logical sector size in words */

#endif
