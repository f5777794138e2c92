/* The big kernel lock (see lock.h). */
#include "lock.h"
#include "kernel.h"
#include "percpu.h"
#include "../arch/x64/arch.h"
#include "../arch/x64/cpu.h"

static volatile uint32_t locked;
static volatile int owner = -1;

void kernel_lock(void) {
    while (__atomic_exchange_n(&locked, 1, __ATOMIC_ACQUIRE)) {
        /* While we wait, a CPU holding the lock may need our TLB flushed. */
        while (__atomic_load_n(&locked, __ATOMIC_RELAXED)) {
            arch_shootdown_poll();
            cpu_relax();
        }
    }
    owner = (int)this_cpu()->id;
}

void kernel_unlock(void) {
    owner = -1;
    __atomic_store_n(&locked, 0, __ATOMIC_RELEASE);
}

bool kernel_lock_held_here(void) { return owner == (int)this_cpu()->id; }
