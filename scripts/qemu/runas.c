// SPDX-License-Identifier: MIT
/*
 * runas - run one test program in the QEMU guest, as a given user, with a
 * deadline, and leave nothing of it behind.
 *
 *	runas [-u UID -g GID [-G GID,...]] [-t SECONDS] [--] PROG [ARG...]
 *
 * -u/-g/-G: drop to that uid, gid and supplementary groups (only those
 * listed; none without -G) before exec.  setuid() from root to a non-zero
 * uid clears every capability, so PROG runs as a plain user.
 * -t: after SECONDS, SIGTERM then (5 s later) SIGKILL every process PROG
 * started, and exit 124.
 *
 * Why not busybox timeout + su: timeout signals only PROG itself, while the
 * kselftest harness runs each test in a child in its own process group, so
 * a hung test would outlive its program and run on into the next one.
 * runas is a child subreaper: every descendant of PROG, whatever its
 * process group or session, is reparented here when its parent dies, so
 * runas can find and kill all of them (/proc ppid scan) and reap them.
 *
 * Exit status: PROG's status, 128 + signal if a signal killed it, 124 on
 * timeout, 125 if runas itself failed (bad usage, setuid or fork failure).
 * Processes PROG left running after it exited are killed and reported on
 * stderr ("runas: killed N stray processes").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#define RUNAS_FAIL	125
#define RUNAS_TIMEOUT	124
#define RUNAS_MAX_GROUPS 32
#define RUNAS_KILL_GRACE 5	/* seconds between SIGTERM and SIGKILL */
#define RUNAS_REAP_LIMIT 10	/* seconds to wait for SIGKILLed processes */

static void usage(void)
{
	fputs("runas [-u UID -g GID [-G GID,...]] [-t SECONDS] [--] PROG [ARG...]\n",
	      stderr);
	exit(RUNAS_FAIL);
}

static unsigned long parse_num(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0x7fffffffUL)
		usage();
	return v;
}

static int parse_groups(char *s, gid_t *groups)
{
	char *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == RUNAS_MAX_GROUPS)
			usage();
		groups[n++] = parse_num(tok);
	}
	return n;
}

/* Drop to uid/gid/groups; order matters: groups and gid need root. */
static void drop_privileges(uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		perror("runas: dropping privileges");
		_exit(RUNAS_FAIL);
	}
	/* A test that believes it is unprivileged must really be. */
	if (uid && setuid(0) == 0) {
		fprintf(stderr, "runas: could regain root after setuid(%u)\n", uid);
		_exit(RUNAS_FAIL);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Signal every live process whose parent is this one: as subreaper, that is
 * every remaining descendant whose own parent has died.  Return how many.
 */
static int signal_children(int sig)
{
	pid_t self = getpid();
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[64], buf[512], *p, state;
		long ppid;
		pid_t pid;
		FILE *f;

		pid = strtol(de->d_name, &p, 10);
		if (*p || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* "pid (comm) state ppid ...": comm may hold spaces and ')'. */
		if (p)
			p = strrchr(buf, ')');
		if (!p)
			continue;
		if (sscanf(p + 1, " %c %ld", &state, &ppid) != 2 || ppid != self)
			continue;
		if (state == 'Z')	/* dead already, only to be reaped */
			continue;
		if (kill(pid, sig) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Reap children until none is left or @deadline passes, sending @sig (if
 * non-zero) to those still running, as more keep reparenting to us while
 * their parents die.  Return 0 when none is left.
 */
static int reap_all(double deadline, int sig)
{
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0 && errno == ECHILD)
			return 0;
		if (pid > 0)
			continue;
		if (now() >= deadline)
			return -1;
		if (sig)
			signal_children(sig);
		usleep(20000);
	}
}

int main(int argc, char **argv)
{
	gid_t groups[RUNAS_MAX_GROUPS];
	int ngroups = 0, have_uid = 0, have_gid = 0, opt, status, ret, strays;
	unsigned long timeout = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	double deadline;
	sigset_t chld;
	pid_t child;

	while ((opt = getopt(argc, argv, "+u:g:G:t:")) != -1) {
		switch (opt) {
		case 'u':
			uid = parse_num(optarg);
			have_uid = 1;
			break;
		case 'g':
			gid = parse_num(optarg);
			have_gid = 1;
			break;
		case 'G':
			ngroups = parse_groups(optarg, groups);
			break;
		case 't':
			timeout = parse_num(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || have_uid != have_gid || (ngroups && !have_uid))
		usage();

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) {
		perror("runas: PR_SET_CHILD_SUBREAPER");
		return RUNAS_FAIL;
	}
	/* SIGCHLD stays blocked; sigtimedwait() below is the timer. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	fflush(NULL);
	child = fork();
	if (child < 0) {
		perror("runas: fork");
		return RUNAS_FAIL;
	}
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		setpgid(0, 0);
		if (have_uid)
			drop_privileges(uid, gid, groups, ngroups);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "runas: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}

	deadline = timeout ? now() + timeout : 0;
	for (;;) {
		struct timespec ts;
		double left;
		pid_t pid;

		pid = waitpid(child, &status, WNOHANG);
		if (pid == child)
			break;
		if (pid < 0) {
			perror("runas: waitpid");
			return RUNAS_FAIL;
		}
		if (!timeout) {
			sigwaitinfo(&chld, NULL);
			continue;
		}
		left = deadline - now();
		if (left <= 0) {
			fprintf(stderr, "runas: %s timed out after %lu s, killing it\n",
				argv[optind], timeout);
			kill(-child, SIGTERM);
			kill(child, SIGTERM);
			signal_children(SIGTERM);
			if (reap_all(now() + RUNAS_KILL_GRACE, 0)) {
				kill(-child, SIGKILL);
				signal_children(SIGKILL);
				if (reap_all(now() + RUNAS_REAP_LIMIT, SIGKILL))
					fprintf(stderr, "runas: processes of %s would not die\n",
						argv[optind]);
			}
			return RUNAS_TIMEOUT;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &ts);
	}

	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = RUNAS_FAIL;

	/*
	 * Whatever PROG left running would disturb the next program.  PROG is
	 * reaped, so its orphans are our children now: count them, kill them
	 * and, as they die, theirs.
	 */
	strays = signal_children(SIGKILL);
	kill(-child, SIGKILL);
	if (reap_all(now() + RUNAS_REAP_LIMIT, SIGKILL))
		fprintf(stderr, "runas: processes of %s would not die\n", argv[optind]);
	if (strays)
		fprintf(stderr, "runas: killed %d stray processes of %s\n", strays,
			argv[optind]);
	return ret;
}
