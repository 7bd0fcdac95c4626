// SPDX-License-Identifier: MIT
/*
 * crashpoint.c - the crash-test build's crash points (byteor/crashpoint.h).
 * Compiled to an empty object unless -DBYTEOR_CRASHPOINTS.
 *
 * One point is armed per process; it is compared by string, so a mark costs
 * a strcmp in the crash build - the build the recovery tests run, never the
 * one anybody measures or ships.  A point that fires does not return:
 * SIGKILL is not catchable, exactly like the kill -9 the tests stand for.
 * With mode "stop" the process stops at the point (SIGSTOP) and goes on if
 * the test sends SIGCONT; the point then stays disarmed.
 */
#include <byteor/crashpoint.h>

#ifdef BYTEOR_CRASHPOINTS

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CP_NAME_MAX	96

static struct {
	int loaded;			/* the environment was read */
	char name[CP_NAME_MAX];		/* armed point, "" for none */
	unsigned long nth;		/* fire on this hit of it */
	unsigned long hits;		/* hits of it so far */
	int stop;			/* SIGSTOP instead of SIGKILL */
} cp;

static void cp_set(const char *name, unsigned long nth, const char *mode)
{
	cp.loaded = 1;
	cp.name[0] = '\0';
	cp.hits = 0;
	cp.nth = nth ? nth : 1;
	cp.stop = mode && !strcmp(mode, "stop");
	if (name && strlen(name) < sizeof(cp.name))
		strcpy(cp.name, name);
}

static void cp_load(void)
{
	const char *hit = getenv("BYTEOR_CRASH_HIT");

	cp_set(getenv("BYTEOR_CRASH_AT"), hit ? strtoul(hit, NULL, 10) : 1,
	       getenv("BYTEOR_CRASH_MODE"));
}

void __byteor_crashpoint_arm(const char *name, unsigned long nth,
			     const char *mode)
{
	cp_set(name, nth, mode);
}

unsigned long __byteor_crashpoint_hits(const char *name)
{
	if (!cp.loaded)
		cp_load();
	return name && !strcmp(name, cp.name) ? cp.hits : 0;
}

void __byteor_crashpoint(const char *name)
{
	if (!cp.loaded)
		cp_load();
	if (!cp.name[0] || strcmp(name, cp.name))
		return;
	if (++cp.hits != cp.nth)
		return;
	if (cp.stop) {
		cp.name[0] = '\0';
		raise(SIGSTOP);
		return;
	}
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

#else

/* ISO C wants a translation unit to declare something. */
typedef int byteor_crashpoint_unused;

#endif /* BYTEOR_CRASHPOINTS */
