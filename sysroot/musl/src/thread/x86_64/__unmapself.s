/* Tessera: void __unmapself(void *base, size_t size) ends a detached thread
 * by unmapping its own stack, then exit(0). The glue calls need a stack that
 * survives the munmap, so this switches to a private one first. One stack is
 * enough: musl holds the thread list lock from before this call until the
 * exiting thread's ctid is cleared, so two threads are never here at once.
 * The glue must serve munmap and exit within these 16 KiB. */
	.text
	.global __unmapself
	.type __unmapself,@function
__unmapself:
	lea unmap_stack_top(%rip),%rsp
	mov %rsi,%rdx		/* a2 = size */
	mov %rdi,%rsi		/* a1 = base */
	mov $11,%edi		/* SYS_munmap */
	xor %ecx,%ecx
	xor %r8d,%r8d
	xor %r9d,%r9d
	push $0			/* padding: keeps the stack 16-aligned */
	push $0			/* a6 */
	call __tessera_syscall
	xor %esi,%esi		/* a1 = 0 */
	mov $60,%edi		/* SYS_exit (this thread only) */
	call __tessera_syscall
	hlt			/* exit does not return */
	.size __unmapself,.-__unmapself

	.bss
	.balign 16
	.skip 16384
unmap_stack_top:
	.section .note.GNU-stack,"",@progbits
