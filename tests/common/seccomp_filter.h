/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * seccomp_filter.h - a seccomp filter over a list of system calls, for the
 * tests that prove a path makes no system call (or none of a few): a
 * process that installs it and then makes a refused call is killed
 * (SIGSYS) or gets an errno.  Used by tests/host/wait_*.c, tests/crash/
 * and tests/lanes/single_ring_xproc.c.
 */
#ifndef _BYTEOR_SECCOMP_FILTER_H
#define _BYTEOR_SECCOMP_FILTER_H

#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#if defined(__x86_64__)
#define TP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#else
#error "seccomp_filter.h: add this architecture's AUDIT_ARCH_*"
#endif

/*
 * Install a seccomp filter: the system calls in @allow[] pass, every
 * other one makes the kernel return @deny_ret (SECCOMP_RET_KILL_PROCESS,
 * or SECCOMP_RET_ERRNO | errno).  With @invert, @allow[] lists the calls
 * that get @deny_ret and every other one passes.  0 or -errno (-EINVAL
 * or -ENOSYS: this kernel has no seccomp filters).
 */
static inline int tp_seccomp(const int *nrs, int n, int invert,
			     unsigned int deny_ret)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	int i, k = 0;
	unsigned int hit = invert ? deny_ret : SECCOMP_RET_ALLOW;
	unsigned int miss = invert ? SECCOMP_RET_ALLOW : deny_ret;

	if (n > 58)
		return -EINVAL;
	/* Another ABI's system call numbers mean other calls: kill. */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			TP_AUDIT_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, nr));
	for (i = 0; i < n; i++) {
		/* match: jump to the "hit" return at the end */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
				(unsigned int)nrs[i], (unsigned char)(n - i), 0);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, miss);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, hit);
	prog.len = (unsigned short)k;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

#endif /* _BYTEOR_SECCOMP_FILTER_H */
