/* Constants of the vm interface (servers/vm/vm.idl). */
#ifndef TESSERA_VM_H
#define TESSERA_VM_H

/* map_anon flags */
#define VM_FIXED 1u    /* exactly at addr, replacing what was there */
#define VM_STACK 2u    /* leave an unmapped guard page below */

#define VM_MAX_MAPPING (1ull << 30)     /* one anonymous mapping */
#define VM_MAX_PROGRAM (64ull << 20)    /* one program file */

#endif
