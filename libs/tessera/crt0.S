/* Program entry: the kernel or the spawner leaves the System V initial stack
 * (argc, argv, envp, auxv) at %rsp. */
    .text
    .global _start
_start:
    xor %ebp, %ebp
    mov %rsp, %rdi
    and $-16, %rsp
    call tessera_start
    ud2

/* long syscall6(n, a1..a6): Linux-style register convention. */
    .global syscall6
syscall6:
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
    syscall
    ret

    .section .note.GNU-stack, "", @progbits
