/* Tessera: int __clone(int (*fn)(void *), void *stack, int flags, void *arg,
 *                      pid_t *ptid, void *tls, pid_t *ctid)
 * calls __tessera_syscall(SYS_clone, flags, newsp, ptid, ctid, tls) with
 * Linux's clone semantics. The contract for the child: it starts with
 * %rsp = newsp and %rax = 0 and executes `ret`, i.e. it returns 0 from
 * __tessera_syscall to the address stored at newsp (label 1 below), with FS
 * base = tls when CLONE_SETTLS is given. On Linux a frameless glue whose
 * `syscall` is followed by `ret` does exactly that.
 * The new stack, from newsp up: child entry, fn, arg. */
	.text
	.global __clone
	.hidden __clone
	.type __clone,@function
__clone:
	and $-16,%rsi
	sub $24,%rsi		/* after three pops the child's %rsp is 16-aligned */
	lea 1f(%rip),%rax
	mov %rax,(%rsi)
	mov %rdi,8(%rsi)	/* fn */
	mov %rcx,16(%rsi)	/* arg */
	mov %rsi,%rax
	mov %edx,%esi		/* a1 = flags */
	mov %rax,%rdx		/* a2 = newsp */
	mov %r8,%rcx		/* a3 = ptid */
	mov 8(%rsp),%r8		/* a4 = ctid */
				/* a5 = tls, already in %r9 */
	mov $56,%edi		/* SYS_clone */
	push $0			/* a6; also aligns the stack for the call */
	call __tessera_syscall
	add $8,%rsp
	ret			/* parent: the child's id or -errno */

1:	xor %ebp,%ebp		/* child: outermost frame */
	pop %rax		/* fn */
	pop %rdi		/* arg */
	call *%rax
	mov %eax,%esi		/* a1 = fn's result */
	mov $60,%edi		/* SYS_exit (this thread only) */
	call __tessera_syscall
	hlt			/* exit does not return */
	.size __clone,.-__clone
	.section .note.GNU-stack,"",@progbits
