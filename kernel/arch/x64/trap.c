/* Exceptions and interrupts: route to the generic kernel, or die readably. */
#include "arch.h"
#include "cpu.h"
#include "../../core/kernel.h"
#include "../../core/ksyms.h"
#include "../../core/sched.h"
#include "../../core/task.h"
#include "../../core/irq.h"
#include <common/format.h>
#include "../../core/lock.h"
#include "../../core/percpu.h"


void lapic_eoi(void);

static const char *exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection fault",
    "page fault", "reserved", "x87 floating point", "alignment check", "machine check",
    "SIMD floating point", "virtualization", "control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "hypervisor injection",
    "VMM communication", "security", "reserved"};

struct extable_entry {
    uint64_t insn, fixup;
};
extern const struct extable_entry __extable_start[], __extable_end[];

static bool try_fixup_address(const struct trapframe *f) {
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
        if (e->insn == f->rip)
            return true;
    return false;
}

static bool try_fixup(struct trapframe *f) {
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == f->rip) {
            f->rip = e->fixup;
            return true;
        }
    }
    return false;
}

/* "page fault at 0x10 (write, not present)" and friends. */
void describe_fault(char *buf, size_t cap, const struct trapframe *f, uint64_t cr2) {
    if (f->vector == 14) {
        fmt_snprintf(buf, cap, "page fault at 0x%lx (%s, %s%s)", cr2,
                     (f->error & 16) ? "execute" : (f->error & 2) ? "write" : "read",
                     (f->error & 1) ? "protection violation" : "not present",
                     (f->error & 8) ? ", reserved bit" : "");
    } else {
        fmt_snprintf(buf, cap, "%s (error 0x%lx)", exception_names[f->vector & 31], f->error);
    }
}

void dump_registers(const struct trapframe *f) {
    printk("  RIP=%016lx CS=%04lx RFLAGS=%016lx\n", f->rip, f->cs, f->rflags);
    printk("  RSP=%016lx SS=%04lx RBP=%016lx\n", f->rsp, f->ss, f->rbp);
    printk("  RAX=%016lx RBX=%016lx RCX=%016lx\n", f->rax, f->rbx, f->rcx);
    printk("  RDX=%016lx RSI=%016lx RDI=%016lx\n", f->rdx, f->rsi, f->rdi);
    printk("  R8 =%016lx R9 =%016lx R10=%016lx\n", f->r8, f->r9, f->r10);
    printk("  R11=%016lx R12=%016lx R13=%016lx\n", f->r11, f->r12, f->r13);
    printk("  R14=%016lx R15=%016lx CR2=%016lx\n", f->r14, f->r15, read_cr2());
}

static __attribute__((noreturn)) void kernel_exception(struct trapframe *f, uint64_t cr2) {
    char what[96];
    describe_fault(what, sizeof(what), f, cr2);
    arch_irq_disable();
    uint64_t off = 0;
    const char *sym = ksyms_lookup(f->rip, &off);
    printk("\n[kernel] exception in kernel mode: %s at %s+0x%lx\n", what, sym ? sym : "?", off);
    dump_registers(f);
    printk("  #- 0x%016lx %s+0x%lx\n", f->rip, sym ? sym : "?", off);
    /* panic() prints the backtrace of its own frame; start from the faulting one. */
    backtrace_print(f->rbp);
    panic("unrecoverable kernel exception");
}

void trap_handler(struct trapframe *f) {
    if (f->vector == VEC_SHOOTDOWN) {   /* answered without the kernel lock: its holder waits for us */
        arch_shootdown_poll();
        lapic_eoi();
        return;
    }
    if (f->vector == VEC_STOP) {        /* another CPU panicked */
        for (;;)
            __asm__ volatile("cli; hlt");
    }
    bool from_user = f->cs & 3;
    bool nested = kernel_lock_held_here();   /* a fault inside the kernel, e.g. in a user copy */
    if (!nested)
        kernel_lock();
    /* A fault by a task that was killed meanwhile ends it here. Interrupts
     * are acknowledged first (below): an unacknowledged one would block every
     * later interrupt of its priority class on this CPU. */
    if (from_user && f->vector < 32)
        task_check_kill();
    if (f->vector < 32) {
        uint64_t cr2 = f->vector == 14 ? read_cr2() : 0;
        bool present = f->error & 1;
        uint32_t access = (f->error & 16) ? PROT_X : (f->error & 2) ? PROT_W : PROT_R;
        if (!from_user) {
            /* A copy from/to user memory the pager has not filled in yet:
             * ask the pager, then retry the copy; otherwise fail it. */
            if (f->vector == 14 && cr2 < USER_SPACE_END && try_fixup_address(f) &&
                task_call_pager(cr2, f->rip, access, present))
                return;
            if (f->vector == 14 && try_fixup(f))
                return;
            kernel_exception(f, cr2);
        }
        if (!(f->vector == 14 && cr2 < USER_SPACE_END && task_call_pager(cr2, f->rip, access, present))) {
            char what[96];
            describe_fault(what, sizeof(what), f, cr2);
            task_fault(what, f->rip);   /* does not return */
        }
        /* mapped: retry the instruction (below: the way back to user space) */
    } else if (f->vector == VEC_TIMER) {
        lapic_eoi();
        sched_tick();
    } else if (f->vector >= VEC_IRQ_BASE && f->vector < VEC_IRQ_BASE + NUM_GSI) {
        irq_raise(f->vector - VEC_IRQ_BASE);
        lapic_eoi();
    } else if (f->vector >= VEC_MSI_BASE && f->vector < VEC_MSI_BASE + NUM_MSI) {
        irq_raise_msi(f->vector - VEC_MSI_BASE);
        lapic_eoi();
    } else if (f->vector == VEC_RESCHED) {
        /* The sender set need_resched or kill_pending if that is what it
         * wants; the way out below acts on them and re-programs the timer. */
        lapic_eoi();
    } else if (f->vector != VEC_SPURIOUS) {
        lapic_eoi();
    }
    if (from_user) {
        sched_preempt_point();
        sched_program_timer();
        kernel_unlock();
    } else if (!nested) {
        kernel_unlock();
    }
}
