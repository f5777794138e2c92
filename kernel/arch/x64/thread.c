/* Thread contexts: the first entry to user space and switching between threads. */
#include "arch.h"
#include "cpu.h"
#include "../../core/kernel.h"

extern void thread_trampoline(void);
void arch_switch_stacks(uint64_t *save_ksp, uint64_t new_ksp);

struct switch_frame {   /* what arch_switch_stacks pops */
    uint64_t r15, r14, r13, r12, rbx, rbp, ret;
};

struct trapframe *arch_thread_frame(struct arch_thread *t) {
    return (struct trapframe *)(t->kstack_top - sizeof(struct trapframe));
}

/* Lay out the kernel stack so that the first switch to the thread "returns"
 * into thread_trampoline, which irets to user space with this frame. */
/* The FPU state every thread starts with (captured once after fninit). */
static uint8_t fpu_initial[512] __attribute__((aligned(16)));

void arch_fpu_init(void) {
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 & ~(1ull << 2)) | (1ull << 1);   /* EM off, MP on */
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
    uint32_t mxcsr = 0x1f80;
    __asm__ volatile("fninit; ldmxcsr %1; fxsave %0" : "=m"(fpu_initial) : "m"(mxcsr));
}

void arch_thread_init_user(struct arch_thread *t, uint64_t entry, uint64_t stack, uint64_t arg) {
    memcpy(t->fpu, fpu_initial, sizeof(t->fpu));
    struct trapframe *f = arch_thread_frame(t);
    memset(f, 0, sizeof(*f));
    f->rip = entry;
    f->cs = USER_CS;
    f->ss = USER_DS;
    f->rsp = stack;
    f->rflags = RFLAGS_IF | 0x2;
    f->rdi = arg;
    struct switch_frame *s = (struct switch_frame *)f - 1;
    memset(s, 0, sizeof(*s));
    s->ret = (uint64_t)thread_trampoline;
    t->ksp = (uint64_t)s;
    t->fs_base = 0;
}

void arch_switch(struct arch_thread *prev, struct arch_thread *next) {
    /* The kernel itself never touches x87/SSE registers (-mgeneral-regs-only). */
    __asm__ volatile("fxsave %0" : "=m"(prev->fpu));
    __asm__ volatile("fxrstor %0" ::"m"(next->fpu));
    prev->fs_base = rdmsr(MSR_FS_BASE);
    if (next->fs_base != prev->fs_base)
        wrmsr(MSR_FS_BASE, next->fs_base);
    arch_switch_stacks(&prev->ksp, next->ksp);
}
