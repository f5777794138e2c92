/* Tessera: a cancellation-point system call, i.e.
 * __syscall_cp_asm(&self->cancel, n, a1, a2, a3, a4, a5, a6).
 * If cancellation is pending, act on it; otherwise pass n, a1..a6 on to
 * __tessera_syscall (a tail call: a6 is moved into our own stack argument
 * slot, which the callee owns). __cp_begin/__cp_end bound the region musl's
 * cancellation signal handler looks for; a call blocked inside the glue is
 * outside it, so cancellation there is acted on at the next cancellation
 * point rather than by interrupting the call. */
	.text
	.global __cp_begin
	.hidden __cp_begin
	.global __cp_end
	.hidden __cp_end
	.global __cp_cancel
	.hidden __cp_cancel
	.hidden __cancel
	.global __syscall_cp_asm
	.hidden __syscall_cp_asm
	.type __syscall_cp_asm,@function
__syscall_cp_asm:
__cp_begin:
	mov (%rdi),%eax
	test %eax,%eax
	jnz __cp_cancel
	mov %rsi,%rdi		/* n */
	mov %rdx,%rsi		/* a1 */
	mov %rcx,%rdx		/* a2 */
	mov %r8,%rcx		/* a3 */
	mov %r9,%r8		/* a4 */
	mov 8(%rsp),%r9		/* a5 */
	mov 16(%rsp),%rax
	mov %rax,8(%rsp)	/* a6 */
	jmp __tessera_syscall
__cp_end:
__cp_cancel:
	jmp __cancel
	.size __syscall_cp_asm,.-__syscall_cp_asm
	.section .note.GNU-stack,"",@progbits
