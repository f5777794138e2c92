/* Tessera: pid_t vfork(void) is fork(), which POSIX allows: the child gets a
 * copy of the address space, so both parent and child simply return from
 * __tessera_syscall(SYS_fork). The result goes through __syscall_ret to set
 * errno. */
	.text
	.global vfork
	.type vfork,@function
vfork:
	push $0			/* a6; also aligns the stack for the call */
	mov $57,%edi		/* SYS_fork */
	xor %esi,%esi
	xor %edx,%edx
	xor %ecx,%ecx
	xor %r8d,%r8d
	xor %r9d,%r9d
	call __tessera_syscall
	add $8,%rsp
	mov %rax,%rdi
	.hidden __syscall_ret
	jmp __syscall_ret
	.size vfork,.-vfork
	.section .note.GNU-stack,"",@progbits
