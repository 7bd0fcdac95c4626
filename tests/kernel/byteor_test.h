/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * byteor_test.h - helpers shared by the kselftest programs that exercise
 * byteor.ko through /dev/byteor.
 *
 * Every helper returns 0 (or a count / fd) on success and -errno on
 * failure, so a test asserts the exact errno with one ASSERT_EQ.  Nothing
 * here uses ASSERT_*: helpers also run in forked children, where a failed
 * assertion would longjmp into the wrong process.
 *
 * Conventions of the kernel test run (see README.md):
 *  - tests run as root, then again as uid 1000 with BYTEOR_AS_USER=1;
 *  - BYTEOR_HUGEPAGES is the number of 2 MiB pages reserved in the guest;
 *  - byteor.ko is loaded with create_gid=2000, a group uid 1000 is not in.
 *
 * Region names are "bt.<pid>.<tag>", so concurrent or leftover regions of
 * different tests never collide and a leak names the test that made it.
 */
#ifndef BYTEOR_TEST_H
#define BYTEOR_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/byteor.h"

/*
 * The harness is built here with -Wall -Wextra -Werror, which it was not
 * written for: its SIGALRM handler and the wrappers TEST() expands to have
 * unused parameters.  -Wsign-compare stays on: EXPECT_*() compare
 * typeof(expected) with typeof(seen), so write EXPECT_EQ(0U, a_u32).
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
/*
 * Test bodies are inlined into the harness wrapper that calls setjmp();
 * after its longjmp only the fixture (in memory) is used, never a local
 * of the body, so -Wclobbered has nothing to protect here.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#define BT_DEV			BYTEOR_DEVICE_PATH
#define BT_2M			(2UL << 20)
#define BT_USER_UID		1000
#define BT_USER_GID		1000
#define BT_SYSFS_DIR		"/sys/class/misc/byteor"
#define BT_DEBUGFS_REGIONS	"/sys/kernel/debug/byteor/regions"
#define BT_MODPARAM_DIR		"/sys/module/byteor/parameters"

/* The default geometry: a small single ring, one 2 MiB page. */
#define BT_SLOT_SIZE		64
#define BT_CAPACITY		1024

/*
 * SKIP() from FIXTURE_SETUP.  The pinned harness (Linux 6.1) would still
 * run the test body after a SKIP in setup, so end the test child here
 * with the status its parent reports as a skip (255 in this harness).
 */
#define BT_SETUP_SKIP(fmt, ...) do { \
	SKIP(, fmt, ##__VA_ARGS__); \
	fflush(NULL); \
	_exit(255); \
} while (0)

/*
 * The unprivileged pass: /init exports BYTEOR_AS_USER=1 for it (and =0 for
 * the root pass).  Root-only tests skip in it, saying why.
 */
static inline bool bt_as_user(void)
{
	const char *s = getenv("BYTEOR_AS_USER");

	return (s && strcmp(s, "0") && *s) || geteuid() != 0;
}

static inline int bt_read_ull(const char *path, unsigned long long *v);

/*
 * The module's create group: BYTEOR_CREATE_GID from the runner, else the
 * module parameter.  Return: the gid, or -1 when there is none.
 */
static inline long bt_create_gid(void)
{
	const char *s = getenv("BYTEOR_CREATE_GID");
	unsigned long long v = 0;

	if (s && *s)
		return strtol(s, NULL, 10);
	if (!bt_read_ull(BT_MODPARAM_DIR "/create_gid", &v) && (long long)v >= 0)
		return (long)v;
	return -1;
}

/*
 * The group packaging/60-byteor.rules gives /dev/byteor: BYTEOR_DEVICE_GID
 * from the runner, else group "byteor" of /etc/group (read directly: a
 * static program has no NSS).  Return: the gid, or -1 when there is none.
 */
static inline long bt_device_gid(void)
{
	const char *s = getenv("BYTEOR_DEVICE_GID");
	char line[1024];
	long gid = -1;
	FILE *f;

	if (s && *s)
		return strtol(s, NULL, 10);
	f = fopen("/etc/group", "re");
	if (!f)
		return -1;
	while (gid < 0 && fgets(line, sizeof(line), f)) {
		char *gp;

		/* name:password:gid:members */
		if (strncmp(line, "byteor:", 7))
			continue;
		gp = strchr(line + 7, ':');
		if (gp)
			gid = strtol(gp + 1, NULL, 10);
	}
	fclose(f);
	return gid;
}

static inline bool bt_in_group(long gid)
{
	gid_t groups[256];
	int i, n;

	if (gid < 0)
		return false;
	if (getegid() == (gid_t)gid)
		return true;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == (gid_t)gid)
			return true;
	return false;
}

/* Root, or a member of the create group: may create regions. */
static inline bool bt_can_create(void)
{
	return !bt_as_user() || bt_in_group(bt_create_gid());
}

static inline bool bt_have_dev(void)
{
	return access(BT_DEV, F_OK) == 0;
}

static inline int bt_open(void)
{
	int fd = open(BT_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int bt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static inline void bt_name(char name[BYTEOR_NAME_MAX], const char *tag)
{
	snprintf(name, BYTEOR_NAME_MAX, "bt.%d.%s", (int)getpid(), tag);
}

/* Copy a name NUL-padded, the way the ABI wants it. */
static inline void bt_set_name(char dst[BYTEOR_NAME_MAX], const char *src)
{
	size_t n = strnlen(src, BYTEOR_NAME_MAX - 1);

	memset(dst, 0, BYTEOR_NAME_MAX);
	memcpy(dst, src, n);
}

static inline void bt_ring_geometry(struct byteor_geometry *g, __u32 slot_size,
				    __u32 capacity)
{
	memset(g, 0, sizeof(*g));
	g->slot_size = slot_size;
	g->capacity = capacity;
	g->queues = 1;
	g->producers = 1;
}

/* A valid CREATE request: default single ring, mode 0666, owner = caller. */
static inline void bt_create_req(struct byteor_create *c, const char *name,
				 __u64 region_size)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	bt_set_name(c->name, name);
	c->kind = BYTEOR_KIND_SINGLE_RING;
	c->layout_version = BYTEOR_SINGLE_RING_VERSION;
	bt_ring_geometry(&c->geometry, BT_SLOT_SIZE, BT_CAPACITY);
	c->region_size = region_size;
	c->mode = 0666;
}

static inline int bt_create(int fd, const char *name, __u64 region_size,
			    __u64 *size_out)
{
	struct byteor_create c;
	int ret;

	bt_create_req(&c, name, region_size);
	ret = bt_ioctl(fd, BYTEOR_IOC_CREATE, &c);
	if (!ret && size_out)
		*size_out = c.region_size;
	return ret;
}

/* A valid ATTACH request for the default ring; geometry 0 = accept. */
static inline void bt_attach_req(struct byteor_attach *a, const char *name,
				 __u32 role)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	bt_set_name(a->name, name);
	a->kind = BYTEOR_KIND_SINGLE_RING;
	a->layout_version = BYTEOR_SINGLE_RING_VERSION;
	a->role = role;
}

static inline int bt_attach(int fd, const char *name, __u32 role,
			    struct byteor_attach *out)
{
	struct byteor_attach a;
	int ret;

	bt_attach_req(&a, name, role);
	ret = bt_ioctl(fd, BYTEOR_IOC_ATTACH, &a);
	if (out)
		*out = a;
	return ret;
}

static inline void bt_info_req(struct byteor_info *in, const char *name,
			       __u32 flags)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	in->flags = flags;
	if (name)
		bt_set_name(in->name, name);
}

static inline int bt_info(int fd, const char *name, struct byteor_info *out)
{
	struct byteor_info in;
	int ret;

	bt_info_req(&in, name, 0);
	ret = bt_ioctl(fd, BYTEOR_IOC_INFO, &in);
	if (out)
		*out = in;
	return ret;
}

static inline int bt_info_attached(int fd, struct byteor_info *out)
{
	struct byteor_info in;
	int ret;

	bt_info_req(&in, NULL, BYTEOR_INFO_F_ATTACHED);
	ret = bt_ioctl(fd, BYTEOR_IOC_INFO, &in);
	if (out)
		*out = in;
	return ret;
}

static inline void bt_destroy_req(struct byteor_destroy *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	bt_set_name(d->name, name);
}

static inline int bt_destroy(int fd, const char *name)
{
	struct byteor_destroy d;

	bt_destroy_req(&d, name);
	return bt_ioctl(fd, BYTEOR_IOC_DESTROY, &d);
}

static inline void bt_list_req(struct byteor_list *l, void *entries, __u32 room)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->count = room;
	l->entries = (__u64)(uintptr_t)entries;
}

/* LIST into @e (room entries); *count gets the number of live regions. */
static inline int bt_list(int fd, struct byteor_region_info *e, __u32 room,
			  __u32 *count)
{
	struct byteor_list l;
	int ret;

	bt_list_req(&l, e, room);
	ret = bt_ioctl(fd, BYTEOR_IOC_LIST, &l);
	if (!ret && count)
		*count = l.count;
	return ret;
}

/*
 * bt_list_all - every live region, in the kernel's order.  Retries when
 * regions appear between the count and the fetch.
 * Return: number of entries in *out (caller frees), or -errno.
 */
static inline int bt_list_all(int fd, struct byteor_region_info **out)
{
	struct byteor_region_info *e = NULL;
	__u32 room = 0, count = 0;
	int ret, tries;

	*out = NULL;
	for (tries = 0; tries < 16; tries++) {
		ret = bt_list(fd, e, room, &count);
		if (ret) {
			free(e);
			return ret;
		}
		if (count <= room) {
			*out = e;
			return (int)count;
		}
		free(e);
		room = count + 8;
		e = calloc(room, sizeof(*e));
		if (!e)
			return -ENOMEM;
	}
	free(e);
	return -EAGAIN;
}

/* Is a region of that name listed?  1, 0 or -errno. */
static inline int bt_listed(int fd, const char *name)
{
	struct byteor_region_info *e = NULL;
	int i, n, found = 0;

	n = bt_list_all(fd, &e);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (!strncmp(e[i].name, name, BYTEOR_NAME_MAX))
			found = 1;
	free(e);
	return found;
}

/* Count listed regions whose name starts with @prefix. */
static inline int bt_listed_prefix(int fd, const char *prefix)
{
	struct byteor_region_info *e = NULL;
	int i, n, found = 0;

	n = bt_list_all(fd, &e);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (!strncmp(e[i].name, prefix, strlen(prefix)))
			found++;
	free(e);
	return found;
}

static inline void *bt_mmap(int fd, size_t len, int prot, int flags, off_t off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

/* The usual mapping: whole region, shared, read-write, prefaulted. */
static inline void *bt_map_rw(int fd, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, 0);
}

/* A field of /proc/meminfo (HugePages_Free, ...), or -errno. */
static inline long bt_meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -ENOENT;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static inline long bt_hugepages_free(void)
{
	return bt_meminfo("HugePages_Free");
}

/*
 * Pages go back to the pool when the last reference to the backing file
 * drops; give deferred fput work a bounded moment instead of racing it.
 * Return: the last HugePages_Free seen (== @want on success).
 */
static inline long bt_wait_hugepages_free(long want, int timeout_ms)
{
	long v = bt_hugepages_free();

	while (v != want && timeout_ms > 0) {
		usleep(10000);
		timeout_ms -= 10;
		v = bt_hugepages_free();
	}
	return v;
}

/*
 * Field @key (e.g. "Rss:", in kB) of the mapping that contains @addr, from
 * /proc/self/smaps; -ENOENT if no mapping holds it or has the field.
 */
static inline long bt_smaps_field(const void *addr, const char *key)
{
	unsigned long start, end, a = (unsigned long)addr;
	size_t klen = strlen(key);
	char line[512];
	bool in = false;
	long v = -ENOENT;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') && line[0] != ' ') {
			in = a >= start && a < end;
			continue;
		}
		if (in && !strncmp(line, key, klen)) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* KernelPageSize (kB) of the mapping that contains @addr, or -errno. */
static inline long bt_smaps_kernelpagesize(const void *addr)
{
	return bt_smaps_field(addr, "KernelPageSize:");
}

/* The /proc/self/maps line of the mapping holding @addr, into @buf. */
static inline int bt_maps_line(const void *addr, char *buf, size_t len)
{
	unsigned long start, end, a = (unsigned long)addr;
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(buf, (int)len, f)) {
		if (sscanf(buf, "%lx-%lx ", &start, &end) == 2 &&
		    a >= start && a < end) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static inline int bt_read_ull(const char *path, unsigned long long *v)
{
	char buf[64];
	ssize_t n;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	buf[n] = '\0';
	errno = 0;
	*v = (unsigned long long)strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* A sysfs statistic of the misc device: regions, bytes, creates, ... */
static inline int bt_stat(const char *attr, unsigned long long *v)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", BT_SYSFS_DIR, attr);
	return bt_read_ull(path, v);
}

/* Does the whole file at @path contain @needle?  1, 0 or -errno. */
static inline int bt_file_contains(const char *path, const char *needle)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	int found, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, 4096);
		if (n < 0) {
			n = -errno;
			free(buf);
			close(fd);
			return (int)n;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return 0;
	buf[len] = '\0';
	found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

/* Is byteor listed in /proc/modules?  1, 0 or -errno. */
static inline int bt_module_loaded(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "byteor ", 7))
			found = 1;
	fclose(f);
	return found;
}

/*
 * Drop to an unprivileged identity (in a forked child only): supplementary
 * groups first, then gid, then uid, which clears every capability.
 */
static inline int bt_drop_privs(uid_t uid, gid_t gid, const gid_t *groups,
				size_t ngroups)
{
	if (setgroups(ngroups, groups))
		return -errno;
	if (setresgid(gid, gid, gid))
		return -errno;
	if (setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/* waitpid: exit status, 128 + signal, or -errno. */
static inline int bt_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -ECHILD;
}

/* Run @fn(@arg) in a child; its return value is the child's exit status. */
static inline pid_t bt_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return pid;
}

static inline long bt_futex(uint32_t *uaddr, int op, uint32_t val,
			    const struct timespec *timeout)
{
	long r = syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);

	return r < 0 ? -errno : r;
}

static inline uint64_t bt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Read one byte from a pipe with a timeout: lets a parent wait for a child
 * to reach a point without sleeping for a guessed time.
 * Return: the byte, or -ETIMEDOUT / -EPIPE / -errno.
 */
static inline int bt_pipe_get(int rfd, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	unsigned char c;
	fd_set set;
	ssize_t n;
	int r;

	FD_ZERO(&set);
	FD_SET(rfd, &set);
	r = select(rfd + 1, &set, NULL, NULL, &tv);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	n = read(rfd, &c, 1);
	if (n < 0)
		return -errno;
	return n ? c : -EPIPE;
}

static inline void bt_pipe_put(int wfd, unsigned char c)
{
	ssize_t n = write(wfd, &c, 1);

	(void)n;
}

/* An address with nothing mapped behind it (for -EFAULT checks). */
static inline void *bt_unmapped_addr(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return (void *)16;
	munmap(p, 4096);
	return p;
}

/* Fill with a position-dependent pattern, and check it. */
static inline void bt_fill(volatile unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += 8)
		*(volatile uint64_t *)(p + i) = (uint64_t)i * 0x9e3779b97f4a7c15ULL + seed;
}

/* Return: offset of the first mismatch, or (size_t)-1 if all match. */
static inline size_t bt_check(const volatile unsigned char *p, size_t len,
			      unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i += 8)
		if (*(const volatile uint64_t *)(p + i) !=
		    (uint64_t)i * 0x9e3779b97f4a7c15ULL + seed)
			return i;
	return (size_t)-1;
}

/* The pool the runner reserved (BYTEOR_HUGEPAGES), or -1 if not told. */
static inline long bt_hugepages_env(void)
{
	const char *s = getenv("BYTEOR_HUGEPAGES");

	return s && *s ? strtol(s, NULL, 10) : -1;
}

/*
 * From FIXTURE_SETUP: @need free 2 MiB pages, @free seen.  Where the runner
 * reserved a pool big enough, fewer free pages mean an earlier test or
 * program leaked them: fail and say so.  Elsewhere the host is simply too
 * small: skip.
 */
#define BT_SETUP_NEED_HUGEPAGES(need, free) do { \
	long __need = (need), __free = (free); \
	if (__free < __need && bt_hugepages_env() >= __need) { \
		ASSERT_LE(__need, __free) \
			TH_LOG("%ld of the %ld reserved hugepages free: leaked before this test?", \
			       __free, bt_hugepages_env()); \
	} \
	if (__free < __need) \
		BT_SETUP_SKIP("needs %ld free 2 MiB hugepages, HugePages_Free is %ld", \
			      __need, __free); \
} while (0)

/*
 * The FIXTURE_SETUP of a test that creates regions: byteor.ko there, the
 * caller allowed to create, @pages free 2 MiB pages.
 */
#define BT_SETUP_NEED_CREATE(pages) do {					\
	if (!bt_have_dev())							\
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);	\
	if (!bt_can_create())							\
		BT_SETUP_SKIP("creates regions: needs root or the create group (%ld)", \
			      bt_create_gid());					\
	BT_SETUP_NEED_HUGEPAGES(pages, bt_hugepages_free());			\
} while (0)

/*
 * Resources a test holds, released by bt_res_release() from
 * FIXTURE_TEARDOWN - also after a failed ASSERT - so one failing test
 * leaves no region, mapping, file or child behind to poison the next.
 * The harness zeroes fixture data: fd 0 / NULL / pid 0 mean "empty slot".
 */
#define BT_MAX_RES	16

struct bt_res {
	int fd[BT_MAX_RES];
	void *map[BT_MAX_RES];
	size_t map_len[BT_MAX_RES];
	pid_t pid[BT_MAX_RES];
	char name[BT_MAX_RES][BYTEOR_NAME_MAX];
};

static inline int bt_res_fd(struct bt_res *r, int fd)
{
	int i;

	for (i = 0; fd > 0 && i < BT_MAX_RES; i++)
		if (r->fd[i] <= 0) {
			r->fd[i] = fd;
			break;
		}
	return fd;
}

static inline void bt_res_close(struct bt_res *r, int fd)
{
	int i;

	for (i = 0; i < BT_MAX_RES; i++)
		if (r->fd[i] == fd)
			r->fd[i] = 0;
	if (fd > 0)
		close(fd);
}

static inline void *bt_res_map(struct bt_res *r, void *p, size_t len)
{
	int i;

	for (i = 0; p != MAP_FAILED && i < BT_MAX_RES; i++)
		if (!r->map[i]) {
			r->map[i] = p;
			r->map_len[i] = len;
			break;
		}
	return p;
}

static inline int bt_res_unmap(struct bt_res *r, void *p)
{
	int i;

	for (i = 0; i < BT_MAX_RES; i++)
		if (r->map[i] == p) {
			r->map[i] = NULL;
			return munmap(p, r->map_len[i]) ? -errno : 0;
		}
	return -ENOENT;
}

static inline pid_t bt_res_pid(struct bt_res *r, pid_t pid)
{
	int i;

	for (i = 0; pid > 0 && i < BT_MAX_RES; i++)
		if (!r->pid[i]) {
			r->pid[i] = pid;
			break;
		}
	return pid;
}

/* Reap a tracked child: its exit status (see bt_wait). */
static inline int bt_res_wait(struct bt_res *r, pid_t pid)
{
	int i;

	for (i = 0; i < BT_MAX_RES; i++)
		if (r->pid[i] == pid)
			r->pid[i] = 0;
	return bt_wait(pid);
}

/* A region name to destroy at teardown (also made here, from @tag). */
static inline const char *bt_res_name(struct bt_res *r, const char *tag)
{
	int i;

	for (i = 0; i < BT_MAX_RES; i++)
		if (!r->name[i][0]) {
			bt_name(r->name[i], tag);
			return r->name[i];
		}
	return "bt.overflow";
}

static inline void bt_res_release(struct bt_res *r)
{
	int i, fd;

	for (i = 0; i < BT_MAX_RES; i++)
		if (r->pid[i] > 0) {
			kill(r->pid[i], SIGKILL);
			bt_wait(r->pid[i]);
			r->pid[i] = 0;
		}
	for (i = 0; i < BT_MAX_RES; i++)
		if (r->map[i]) {
			munmap(r->map[i], r->map_len[i]);
			r->map[i] = NULL;
		}
	for (i = 0; i < BT_MAX_RES; i++)
		if (r->fd[i] > 0) {
			close(r->fd[i]);
			r->fd[i] = 0;
		}
	fd = bt_open();
	for (i = 0; fd >= 0 && i < BT_MAX_RES; i++)
		if (r->name[i][0])
			bt_destroy(fd, r->name[i]);
	if (fd >= 0)
		close(fd);
}

#endif /* BYTEOR_TEST_H */
