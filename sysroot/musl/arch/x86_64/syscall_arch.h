/* Tessera: musl's system calls on x86-64 do not trap into a kernel; each one
 * is a call to __tessera_syscall(), provided by Tessera's POSIX glue
 * (libposix.a), which serves it with IPC to the system's servers. Numbers,
 * argument order and the "-errno on failure" result are those of Linux
 * x86-64. No vDSO either: clock_gettime goes through the glue like the rest. */

long __tessera_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6);

#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

static __inline long __syscall0(long n)
{
	return __tessera_syscall(n, 0, 0, 0, 0, 0, 0);
}

static __inline long __syscall1(long n, long a1)
{
	return __tessera_syscall(n, a1, 0, 0, 0, 0, 0);
}

static __inline long __syscall2(long n, long a1, long a2)
{
	return __tessera_syscall(n, a1, a2, 0, 0, 0, 0);
}

static __inline long __syscall3(long n, long a1, long a2, long a3)
{
	return __tessera_syscall(n, a1, a2, a3, 0, 0, 0);
}

static __inline long __syscall4(long n, long a1, long a2, long a3, long a4)
{
	return __tessera_syscall(n, a1, a2, a3, a4, 0, 0);
}

static __inline long __syscall5(long n, long a1, long a2, long a3, long a4, long a5)
{
	return __tessera_syscall(n, a1, a2, a3, a4, a5, 0);
}

static __inline long __syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return __tessera_syscall(n, a1, a2, a3, a4, a5, a6);
}

#define IPC_64 0
