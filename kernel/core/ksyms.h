/* The kernel's own symbol table, for readable backtraces. */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdint.h>

/* Name of the function containing addr and the offset into it, or NULL. */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset);
/* Walks the frame-pointer chain starting at rbp and prints each return address. */
void backtrace_print(uint64_t rbp);

#endif
