/* Tessera: int __set_thread_area(void *tp) sets the FS base of the calling
 * thread with arch_prctl(ARCH_SET_FS, tp) through the glue. musl calls it
 * before TLS exists, so the glue must not use TLS or the stack protector
 * on this path. */
	.text
	.global __set_thread_area
	.hidden __set_thread_area
	.type __set_thread_area,@function
__set_thread_area:
	push $0			/* a6; also aligns the stack for the call */
	mov %rdi,%rdx		/* a2 = tp */
	mov $0x1002,%esi	/* a1 = ARCH_SET_FS */
	mov $158,%edi		/* SYS_arch_prctl */
	xor %ecx,%ecx
	xor %r8d,%r8d
	xor %r9d,%r9d
	call __tessera_syscall
	add $8,%rsp
	ret
	.size __set_thread_area,.-__set_thread_area
	.section .note.GNU-stack,"",@progbits
