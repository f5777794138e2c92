/* Per-task handle tables: small integers naming kernel objects with rights. */
#ifndef KERNEL_HANDLE_H
#define KERNEL_HANDLE_H

#include <stdbool.h>
#include <stdint.h>
#include <tessera/abi.h>
#include "kobj.h"

struct handle_entry {
    struct kobj *obj;    /* NULL when the slot is free */
    uint32_t rights;
    uint16_t gen;        /* bumped when the slot is freed so stale handles fail */
    uint64_t badge;
};

struct handle_table {
    struct handle_entry *entries;
    uint32_t cap;        /* slots, including the unused slot 0 */
    uint32_t used;
};

#define HANDLE_TABLE_SLOTS 256

int handle_table_init(struct handle_table *t);
void handle_table_destroy(struct handle_table *t);   /* closes every handle */
uint32_t handle_table_free_slots(const struct handle_table *t);

/* Adds a handle; takes over one reference to obj from the caller (also on
 * failure, when it drops it). Returns the handle or -E_NOSPC. */
handle_t handle_install(struct handle_table *t, struct kobj *obj, uint32_t rights, uint64_t badge);

/* The entry for h if it names an object of `type` (0 = any type) with all of
 * `rights`; otherwise NULL and *err = -E_BADH or -E_PERM. */
struct handle_entry *handle_lookup(struct handle_table *t, handle_t h, uint32_t type,
                                   uint32_t rights, int *err);

int handle_close(struct handle_table *t, handle_t h);
/* New handle to the same object with a subset of the rights (needs RIGHT_DUP).
 * An unbadged handle may be given a badge; a badged one keeps its badge. */
handle_t handle_dup(struct handle_table *t, handle_t h, uint32_t rights, uint64_t badge);
/* Moving handles between tables (IPC, task_give): detach takes the entry out
 * of a table still counting as a live handle; attach puts it into a table
 * (-E_NOSPC leaves it with the caller); release drops an entry that will not
 * be attached anywhere. */
int handle_detach(struct handle_table *t, handle_t h, struct handle_entry *out);
handle_t handle_attach(struct handle_table *t, const struct handle_entry *e);
void handle_entry_release(struct handle_entry *e);

#endif
