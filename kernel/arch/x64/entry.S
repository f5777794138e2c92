/*
 * Kernel entry and exit: interrupt/exception stubs, the syscall entry, the
 * context switch and user-memory copies. Interrupts stay disabled while in the
 * kernel (except in the idle loop), so none of this nests.
 * Per-CPU data is at %gs: 0 self, 8 kernel stack top, 16 user rsp scratch.
 */
#include "asm_offsets.h"

    .text

.macro PUSH_REGS
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro POP_REGS
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
.endm

.macro ISR_NOERR n
    .align 16
isr_\n:
    push $0
    push $\n
    jmp trap_common
.endm

.macro ISR_ERR n
    .align 16
isr_\n:
    push $\n
    jmp trap_common
.endm

/* Exceptions 8, 10-14, 17, 21, 29, 30 push an error code. */
.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
ISR_NOERR \n
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30
ISR_ERR \n
.endr
.altmacro
.macro ISR_RANGE from, to
ISR_NOERR %from
.if \to-\from
ISR_RANGE %(from+1), \to
.endif
.endm
ISR_RANGE 32, 63
ISR_RANGE 64, 95
ISR_RANGE 240, 255
.noaltmacro

trap_common:
    testb $3, 24(%rsp)          /* CS of the interrupted context */
    jz 1f
    swapgs
1:  PUSH_REGS
    cld
    mov %rsp, %rdi
    call trap_handler
    .global trap_return
trap_return:
    POP_REGS
    add $16, %rsp               /* vector, error */
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:  iretq

/* Vector table for idt setup: address of each stub, 0 where none. */
    .section .rodata
    .align 8
    .global isr_table
isr_table:
.altmacro
.macro ISR_ADDR n
    .quad isr_\n
.endm
.macro ISR_ZERO
    .quad 0
.endm
.set i, 0
.rept 96
ISR_ADDR %i
.set i, i+1
.endr
.rept 144
ISR_ZERO
.endr
.set i, 240
.rept 16
ISR_ADDR %i
.set i, i+1
.endr
.noaltmacro
    .text

/*
 * syscall: rcx = user rip, r11 = user rflags; we build the same trapframe an
 * interrupt would, so every path back to user space looks alike.
 */
    .align 16
    .global syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:PERCPU_USER_RSP
    mov %gs:PERCPU_KSTACK_TOP, %rsp
    push $USER_DS_SEL
    push %gs:PERCPU_USER_RSP
    push %r11
    push $USER_CS_SEL
    push %rcx
    push $0
    push $0x100
    PUSH_REGS
    cld
    mov %rsp, %rdi
    call syscall_handler
    POP_REGS
    add $16, %rsp
    /* sysret to a non-canonical rip would fault in ring 0: use iret then. */
    movabs $0x00007ffffffff000, %rcx
    cmp %rcx, (%rsp)
    jae 3f
    mov (%rsp), %rcx
    mov 16(%rsp), %r11
    mov 24(%rsp), %rsp
    swapgs
    sysretq
3:  swapgs
    iretq

/* A new thread's first switch "returns" here with its trapframe on the stack. */
    .global thread_trampoline
thread_trampoline:
    call thread_first_run
    jmp trap_return

/* arch_switch_stacks(uint64_t *save_ksp, uint64_t new_ksp) */
    .global arch_switch_stacks
arch_switch_stacks:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

/*
 * int user_copy(void *dst, const void *src, size_t n): memcpy that returns
 * -E_FAULT instead of panicking when a user page is missing (see .extable).
 */
    .global user_copy
user_copy:
    testb $1, smap_enabled(%rip)
    jz 1f
    stac
1:  mov %rdx, %rcx
user_copy_insn:
    rep movsb
    testb $1, smap_enabled(%rip)
    jz 2f
    clac
2:  xor %eax, %eax
    ret
user_copy_fixup:
    testb $1, smap_enabled(%rip)
    jz 3f
    clac
3:  mov $-4, %eax               /* -E_FAULT */
    ret

    .section .extable, "a"
    .quad user_copy_insn, user_copy_fixup

    .section .note.GNU-stack, "", @progbits
