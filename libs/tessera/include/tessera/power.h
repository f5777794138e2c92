/* Actions of init.power (servers/init/init.idl): the kernel's SYS_POWER
 * actions, which init carries out with the root resource. */
#ifndef TESSERA_POWER_H
#define TESSERA_POWER_H

#include <tessera/syscall.h>

#define INIT_POWER_OFF POWER_OFF
#define INIT_POWER_RESTART POWER_RESET

#endif
