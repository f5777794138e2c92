/* The one way into the kernel, shared by every program (musl's too, via libposix). */
    .text
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
