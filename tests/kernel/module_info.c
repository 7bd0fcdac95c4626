// SPDX-License-Identifier: GPL-2.0-only
/*
 * module_info - what byteor.ko tells an operator about itself: its
 * version (/sys/module/byteor/version, modinfo) is the project's, the one
 * libbyteor's headers carry, and every create and destroy is logged at
 * info level with what (name, kind, size) and who (uid, pid, command); the
 * tracepoints of events/byteor/ record create, attach, claim release and
 * destroy.
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <byteor/common.h>
#include "kselftest_harness.h"
#include "byteor_test.h"

TEST(module_version_is_the_projects)
{
	char v[64] = "";
	ssize_t n;
	int fd;

	fd = open("/sys/module/byteor/version", O_RDONLY);
	if (fd < 0)
		SKIP(return, "byteor.ko not loaded");
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	ASSERT_LT(0, n);
	v[n] = '\0';
	if (n && v[n - 1] == '\n')
		v[n - 1] = '\0';
	EXPECT_STREQ(BYTEOR_VERSION_STRING, v);
}

/* Does the kernel log hold a line containing @a and @b?  -1: unreadable. */
static int kmsg_has(const char *a, const char *b)
{
	char rec[2048];
	ssize_t n;
	int fd, found = 0;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten record: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, a) && strstr(rec, b))
			found = 1;
	}
	close(fd);
	return found;
}

/* Create and destroy @tag; 1 if both were logged, 0 if not, -1 unreadable. */
static int create_destroy_logged(int fd, const char *tag, char *name)
{
	char what[128], who[64];
	int c, d;

	bt_name(name, tag);
	if (bt_create(fd, name, 0, NULL) || bt_destroy(fd, name))
		return -2;
	snprintf(what, sizeof(what), "byteor: create %s: kind %u, ", name,
		 BYTEOR_KIND_SINGLE_RING);
	snprintf(who, sizeof(who), "by uid %u pid %d (module_info)",
		 (unsigned int)getuid(), (int)getpid());
	c = kmsg_has(what, who);
	snprintf(what, sizeof(what), "byteor: destroy %s: ", name);
	d = kmsg_has(what, who);
	if (c < 0 || d < 0)
		return -1;
	return c && d;
}

TEST(create_and_destroy_are_logged_with_what_and_who)
{
	char name[BYTEOR_NAME_MAX];
	int fd, ret;

	if (!bt_have_dev())
		SKIP(return, "no /dev/byteor");
	if (!bt_can_create())
		SKIP(return, "not allowed to create regions");
	fd = bt_open();
	ASSERT_LE(0, fd);
	ret = create_destroy_logged(fd, "log1", name);
	/* The log is rate-limited: after a burst of creates, its 5 s window. */
	if (ret == 0) {
		sleep(6);
		ret = create_destroy_logged(fd, "log2", name);
	}
	close(fd);
	if (ret == -1)
		SKIP(return, "/dev/kmsg not readable (dmesg_restrict)");
	ASSERT_NE(-2, ret) TH_LOG("create or destroy of %s failed", name);
	EXPECT_EQ(1, ret) TH_LOG("no create/destroy line for %s in the log", name);
}

#define TRACEFS		"/sys/kernel/tracing"

static int write_str(const char *path, const char *v, int flags)
{
	int fd = open(path, O_WRONLY | flags);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, v, strlen(v));
	close(fd);
	return n == (ssize_t)strlen(v) ? 0 : -EIO;
}

/* The trace buffer's text, NUL-terminated, in @buf (at most @len - 1). */
static void read_trace(char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(TRACEFS "/trace", O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return;
	while (got + 1 < len &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

TEST(tracepoints_record_create_attach_release_and_destroy)
{
	static char trace[1 << 16];
	char name[BYTEOR_NAME_MAX], want[160];
	struct stat st;
	int fd, afd;

	if (!bt_have_dev() || !bt_can_create())
		SKIP(return, "no /dev/byteor, or not allowed to create");
	if (stat(TRACEFS "/events", &st) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		SKIP(return, "no tracefs (%s)", strerror(errno));
	if (stat(TRACEFS "/events/byteor", &st))
		SKIP(return, "this kernel has no tracepoints (CONFIG_TRACING)");
	ASSERT_EQ(0, write_str(TRACEFS "/events/byteor/enable", "1", 0));
	ASSERT_EQ(0, write_str(TRACEFS "/trace", "", O_TRUNC));
	fd = bt_open();
	ASSERT_LE(0, fd);
	bt_name(name, "trace");
	ASSERT_EQ(0, bt_create(fd, name, 0, NULL));
	afd = bt_open();
	ASSERT_LE(0, afd);
	ASSERT_EQ(0, bt_attach(afd, name, BYTEOR_ROLE_CONSUMER, NULL));
	close(afd);			/* the claim goes with the file */
	ASSERT_EQ(0, bt_destroy(fd, name));
	close(fd);
	write_str(TRACEFS "/events/byteor/enable", "0", 0);
	read_trace(trace, sizeof(trace));
	snprintf(want, sizeof(want), "byteor_create: name=%s kind=%u size=",
		 name, BYTEOR_KIND_SINGLE_RING);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("no '%s'", want);
	snprintf(want, sizeof(want), "byteor_attach: name=%s role=%u queue=0 claim=",
		 name, BYTEOR_ROLE_CONSUMER);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("no '%s'", want);
	snprintf(want, sizeof(want), "byteor_claim_release: name=%s claim=", name);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("no '%s'", want);
	snprintf(want, sizeof(want), "byteor_destroy: name=%s size=", name);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("no '%s'", want);
}

TEST_HARNESS_MAIN
