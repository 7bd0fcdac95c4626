// SPDX-License-Identifier: GPL-2.0-only
/*
 * module_info - what byteor.ko tells an operator about itself: its
 * version (/sys/module/byteor/version, modinfo) is the project's, the one
 * libbyteor's headers carry, and every create and destroy is logged at
 * info level with what (name, kind, size) and who (uid, pid, command).
 */
#include <fcntl.h>
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

TEST_HARNESS_MAIN
