/* What the generic kernel asks of the x86-64 port. */
#ifndef ARCH_X64_ARCH_H
#define ARCH_X64_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers saved on kernel entry (interrupt, exception or syscall). */
struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
#define SYSCALL_VECTOR 0x100   /* trapframe.vector for syscall entries */

struct arch_thread {
    uint8_t fpu[512] __attribute__((aligned(16)));   /* fxsave area: user SSE/x87 state */
    uint64_t ksp;          /* saved kernel stack pointer while switched out */
    uint64_t kstack_top;
    uint64_t fs_base;      /* user TLS */
};

struct arch_as {
    uint64_t pml4;         /* physical address */
};

/* console */
void serial_init(void);
void serial_putc(char c);

/* cpu */
void arch_early_init(void);          /* GDT, TSS, IDT, syscall MSRs, CPU features */
void arch_irq_disable(void);
void arch_halt(void);                /* hlt with interrupts as they are */
void arch_idle(void);                /* sti; hlt; cli */
void arch_stop_other_cpus(void);
void arch_set_kernel_stack(uint64_t top);
void arch_cpu_init(unsigned id);

/* Interrupt vectors */
#define VEC_IRQ_BASE 32     /* + GSI: I/O APIC lines */
#define NUM_GSI 24
#define VEC_MSI_BASE 64     /* + index: message-signalled interrupts */
#define NUM_MSI 32
#define VEC_TIMER 0xf0
#define VEC_SPURIOUS 0xff

/* SMP */
#define VEC_RESCHED 0xfd    /* look at your run queue */
#define VEC_SHOOTDOWN 0xfe  /* flush your TLB (does not take the kernel lock) */
#define VEC_STOP 0xfc       /* halt for good (panic) */
void smp_start(void);
void arch_send_ipi(unsigned cpu, uint8_t vector);
void arch_tlb_shootdown(uint64_t pml4, bool dying);   /* other CPUs using that address space */
void arch_shootdown_poll(void);                       /* answer a pending shootdown */
void lapic_init_cpu(void);
uint8_t lapic_id(void);
const char *arch_cpu_features(void);

/* memory */
void arch_paging_init(uint64_t max_phys);    /* direct map + kernel image; uses identity map */
int arch_as_init(struct arch_as *as);
void arch_as_destroy(struct arch_as *as);
void arch_as_activate(const struct arch_as *as);
int arch_map_page(struct arch_as *as, uint64_t va, uint64_t pa, uint32_t prot);
void arch_unmap_page(struct arch_as *as, uint64_t va);
void *arch_map_mmio(uint64_t pa, uint64_t size);
/* arch_map_page prot bits beyond PROT_R/W/X: the memory type of device memory */
#define ARCH_MAP_UNCACHED 0x100u
#define ARCH_MAP_WC 0x200u
/* Copy to/from user memory; 0 or -E_FAULT (range checked, faults recovered). */
int copy_from_user(void *dst, uint64_t user_src, size_t n);
int copy_to_user(uint64_t user_dst, const void *src, size_t n);

/* threads */
void arch_thread_init_user(struct arch_thread *t, uint64_t entry, uint64_t stack, uint64_t arg);
void arch_switch(struct arch_thread *prev, struct arch_thread *next);
struct trapframe *arch_thread_frame(struct arch_thread *t);

/* interrupts and time */
void arch_interrupts_init(uint64_t rsdp_phys);   /* ACPI MADT, I/O APIC, LAPIC timer */
void arch_irq_mask(unsigned line);
void arch_irq_unmask(unsigned line);
bool arch_irq_valid(unsigned line);
bool arch_irq_level(unsigned line);
void arch_msi_message(unsigned index, uint64_t *addr, uint32_t *data);   /* MSI `index` raises VEC_MSI_BASE + index */
uint64_t arch_clock_ns(void);
void arch_timer_oneshot(uint64_t deadline_ns);   /* UINT64_MAX: no timer interrupt */
uint64_t arch_tsc_hz(void);
/* SYS_POWER (acpi.c): ACPI S5 / a reset; each returns only if it failed. */
int arch_power_off(void);
int arch_reset(void);

/* fw_cfg: copies the named file's contents (NUL-terminated) into buf; length or -1. */
int fwcfg_read_file(const char *name, char *buf, size_t cap);

#endif
