/* SPDX-License-Identifier: MIT */
/*
 * byteor/crashpoint.h - named crash points for the recovery tests.
 *
 * Every protocol step another process can observe half-done (a payload
 * before its tag, tags before the position, an MPSC record before its CAS,
 * a stage's gating store before its removed bit ...) is marked
 *
 *	BYTEOR_CRASHPOINT("spsc.tx.after_tags");
 *
 * In a normal build the mark compiles to nothing: no code, no load, no
 * symbol.  In the crash-test build (-DBYTEOR_CRASHPOINTS, the library in
 * build/ulib-crash and the tests of tests/crash/) it calls
 * __byteor_crashpoint(), which counts hits of that name and, on the hit a
 * test armed, kills the calling process with SIGKILL - or stops it with
 * SIGSTOP, so the test can look at the half-done state, run a replacement
 * role beside it, then kill it.
 *
 * Arming, per process (inherited over fork, read at the first hit):
 *	BYTEOR_CRASH_AT=NAME	the point
 *	BYTEOR_CRASH_HIT=N	on its Nth hit (default 1)
 *	BYTEOR_CRASH_MODE=kill|stop	(default kill)
 * or __byteor_crashpoint_arm() from the process itself (a forked child).
 * Names are "<lane>.<role>.<step>"; docs/design.md lists them, and each has
 * a test in tests/crash/ that kills there and restarts the role.
 */
#ifndef _BYTEOR_CRASHPOINT_H
#define _BYTEOR_CRASHPOINT_H

#ifdef BYTEOR_CRASHPOINTS

#ifdef __cplusplus
extern "C" {
#endif

/* The mark: count a hit of @name, die or stop if it is the armed one. */
__attribute__((visibility("default")))
void __byteor_crashpoint(const char *name);

/*
 * Arm @name to fire on its @nth hit from now (@nth >= 1) with @mode
 * "kill" or "stop"; a NULL @name disarms.  Replaces the environment's arming.
 */
__attribute__((visibility("default")))
void __byteor_crashpoint_arm(const char *name, unsigned long nth,
			     const char *mode);

/* Hits of the armed point @name so far in this process (0 for others). */
__attribute__((visibility("default")))
unsigned long __byteor_crashpoint_hits(const char *name);

#ifdef __cplusplus
}
#endif

#define BYTEOR_CRASHPOINT(name)	__byteor_crashpoint(name)

#else

#define BYTEOR_CRASHPOINT(name)	do { } while (0)

#endif /* BYTEOR_CRASHPOINTS */

#endif /* _BYTEOR_CRASHPOINT_H */
