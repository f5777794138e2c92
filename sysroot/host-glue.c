/*
 * Host glue: __tessera_syscall for running programs built against the
 * Tessera sysroot on Linux (tessera-cc --tessera-host). Every call becomes
 * the same Linux system call, so a host run of a program shows what the same
 * libraries compute, for comparison with a run on Tessera.
 *
 * It is assembly because of two contracts of the Tessera musl layer (see
 * sysroot/musl/): a clone child resumes with %rsp = newsp and returns 0 from
 * this function, which a frameless `syscall; ret` does by itself; and
 * rt_sigreturn passes the signal frame address as a1, where Linux expects
 * %rsp to be.
 */
__asm__(
    "	.text\n"
    "	.global __tessera_syscall\n"
    "	.type __tessera_syscall,@function\n"
    "__tessera_syscall:\n"
    "	mov %rdi,%rax\n"
    "	cmp $15,%rax\n"          /* SYS_rt_sigreturn */
    "	je 1f\n"
    "	mov %rsi,%rdi\n"
    "	mov %rdx,%rsi\n"
    "	mov %rcx,%rdx\n"
    "	mov %r8,%r10\n"
    "	mov %r9,%r8\n"
    "	mov 8(%rsp),%r9\n"
    "	syscall\n"
    "	ret\n"
    "1:	mov %rsi,%rsp\n"
    "	syscall\n"
    "	hlt\n"
    "	.size __tessera_syscall,.-__tessera_syscall\n"
    "	.section .note.GNU-stack,\"\",@progbits\n"
    "	.text\n");
