/*
 * The big kernel lock. Every entry into the kernel from user space takes it
 * and every return to user space (or halt in the idle loop) lets it go, so
 * only one CPU runs kernel code at a time: simple and correct while the
 * kernel stays small. The lock belongs to the CPU, not the thread: a thread
 * switched to on this CPU carries on under the same lock.
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <stdbool.h>

void kernel_lock(void);
void kernel_unlock(void);
bool kernel_lock_held_here(void);

#endif
