/*
 * The device manager's pure logic, kept apart from the system calls so that
 * tests/host/test_dm.c can run it on the host: BAR decoding, the
 * configuration-space write policy, the driver table, the restart policy
 * and the table of names a driver offers.
 */
#ifndef DM_DM_H
#define DM_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/abi.h>

/* ---- PCI BARs (bar.c) ---- */

#define PCI_BARS 6
#define PCI_CFG_SIZE 256   /* what 0xCF8/0xCFC reach: no extended space */

enum bar_state { BAR_ABSENT = 0, BAR_OK, BAR_BAD };

struct pci_bar {
    uint8_t state;      /* BAR_* */
    bool io, is64, prefetch;
    uint64_t base, size;
    const char *why;    /* BAR_BAD: what is wrong, for the log */
};

/* Whether a BAR holding `orig` is the low half of a 64-bit memory BAR. */
bool pci_bar_is64(uint32_t orig);
/* Decodes a BAR from what it held (orig) and what it read back after all
 * ones were written (mask); for a 64-bit BAR the next dword's two values
 * too (ignored otherwise). Sets bar->state: BAR_ABSENT (not implemented),
 * BAR_BAD (nonsense sizes, unassigned or out of range; bar->why says), or
 * BAR_OK. Returns bar->state. */
int pci_bar_decode(uint32_t orig, uint32_t mask, uint32_t orig_hi, uint32_t mask_hi, struct pci_bar *bar);

/* ---- configuration space policy (bar.c) ---- */

/* A read or write of `width` bytes at `offset`: 0, or -E_INVAL for a bad
 * width, misalignment or an offset beyond the config space. */
int pci_config_check(unsigned offset, unsigned width);
/* A driver's write: 0, -E_INVAL as above, or -E_PERM where dm owns the
 * registers (BARs, expansion ROM, bridge bus numbers and windows) for a
 * device whose header type (config 0x0E, without the multi-function bit)
 * is `header_type`. */
int pci_config_write_check(uint8_t header_type, unsigned offset, unsigned width);

/* ---- the driver table (drivers.c) ---- */

struct driver_entry {
    uint16_t vendor;   /* PCI vendor id; 0: the legacy device ISA_* `device` */
    uint16_t device;
    const char *path;  /* program in the boot archive */
    const char *args;  /* its arguments (space separated) */
    bool test;         /* only with dm's "test_driver" argument */
};
extern const struct driver_entry dm_drivers[];
extern const size_t dm_num_drivers;
/* The first entry for vendor:device (test entries only if test is true), or
 * NULL. */
const struct driver_entry *driver_match(const struct driver_entry *table, size_t n, uint16_t vendor,
                                        uint16_t device, bool test);

/* ---- legacy ISA devices (drivers.c) ---- */

/* What dm hands the driver of a legacy device: I/O port ranges as
 * resources 0, 1, ... and ISA IRQ lines as irq indexes 0, 1, ... */
struct isa_device {
    uint16_t id;              /* ISA_* (driver.h) */
    const char *name;         /* for the log: "dm: isa i8042 -> ..." */
    uint32_t class_code;
    unsigned num_ports;
    struct { uint16_t base, count; } ports[2];
    unsigned num_irqs;
    uint8_t irqs[2];
};
/* The legacy devices every PC has (ISA_BOOT_FB is not among them: it is
 * there only if the boot loader left a framebuffer). */
extern const struct isa_device isa_devices[];
extern const size_t isa_num_devices;
/* The entry for ISA_* id, or NULL. */
const struct isa_device *isa_find(uint16_t id);

/* ---- restarting drivers (restart.c) ---- */

#define RESTART_MAX 5                          /* restarts ... */
#define RESTART_WINDOW_NS 30000000000ull       /* ... within this: give up */
#define RESTART_FIRST_NS 100000000ull          /* first back-off, doubling */
#define RESTART_MAX_DELAY_NS 3200000000ull
#define RESTART_STABLE_NS 30000000000ull       /* ran this long: back-off starts over */

struct restart_state {
    uint64_t times[RESTART_MAX];   /* when the recent restarts were decided */
    unsigned count;
    uint64_t delay_ns;             /* the last back-off */
    unsigned unready;              /* instances in a row that never reported ready */
};
/* A driver ended at `now` after running `ran_ns` (was_ready: that instance
 * had reported ready): the back-off before starting it again, or -1 to give
 * up: RESTART_MAX restarts within RESTART_WINDOW_NS already, or RESTART_MAX
 * restarts in a row that never became ready (however slowly they failed). */
int64_t restart_next(struct restart_state *s, uint64_t now, uint64_t ran_ns, bool was_ready);

/* ---- the names a driver offers (names.c) ---- */

/* A driver offers its services under one or more names (device.ready once
 * per name: ahci offers one per disk). When the driver ends the services
 * are closed but the names stay, "stale", so that dm.lookup can answer
 * -E_AGAIN while the driver restarts; its next instance offers them again. */
#define DM_NAMES_MAX 8    /* per driver */
#define DM_NAME_MAX 32    /* bytes, with the terminating 0 */

struct dm_name {
    char name[DM_NAME_MAX];
    handle_t service;     /* HANDLE_NONE: stale */
};
struct dm_names {
    unsigned count;       /* entries in use, live or stale */
    struct dm_name e[DM_NAMES_MAX];
};
/* Offers `name` with `service`: the entry with that name gets it (its old
 * service into *old for the caller to close, else HANDLE_NONE), or a free
 * entry, or the first stale one. 0; -E_INVAL for a name that is empty or
 * longer than DM_NAME_MAX - 1 bytes; -E_NOSPC when DM_NAMES_MAX live names
 * are there already. */
int names_offer(struct dm_names *t, const char *name, handle_t service, handle_t *old);
/* The entry called `name` (live or stale), or NULL. */
struct dm_name *names_find(struct dm_names *t, const char *name);
/* The driver ended: every live service into out[] for the caller to close
 * (returns how many); the names stay, stale. */
unsigned names_end(struct dm_names *t, handle_t out[DM_NAMES_MAX]);
/* The which-th live entry (0, 1, ... in the order they were first
 * offered), or NULL past the last. */
const struct dm_name *names_live(const struct dm_names *t, unsigned which);

#endif
