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

    .section .note.GNU-stack, "", @progbits
