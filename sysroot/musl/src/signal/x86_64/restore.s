/* Tessera: __restore_rt is the sa_restorer of every signal handler: a handler
 * returns here with %rsp pointing at the signal frame (the ucontext, then the
 * siginfo) that the system pushed. It calls
 * __tessera_syscall(SYS_rt_sigreturn, frame) -- unlike Linux, the frame
 * address is passed as a1, since the call itself moves %rsp. It does not
 * return. The nop before the label is kept as on Linux, for debuggers that
 * recognise signal frames by the restorer's address. */
	.text
	nop
	.global __restore_rt
	.hidden __restore_rt
	.type __restore_rt,@function
__restore_rt:
	mov %rsp,%rsi		/* a1 = the signal frame */
	mov $15,%edi		/* SYS_rt_sigreturn */
	and $-16,%rsp
	call __tessera_syscall
	hlt			/* rt_sigreturn does not return */
	.size __restore_rt,.-__restore_rt
	.section .note.GNU-stack,"",@progbits
