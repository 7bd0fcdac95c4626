// SPDX-License-Identifier: MIT
/*
 * ctl_owner.c - how byteorctl shows who owns a region and what the caller
 * may do with it: user and group names (the number when there is none),
 * the access the mode bits give the caller ("rw", "r" or "-", like a file
 * open would decide; root: "rw"), and sizes for people ("2.0M").
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "byteorctl.h"

const char *__byteorctl_user(unsigned int uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw)
		return pw->pw_name;
	snprintf(buf, len, "%u", uid);
	return buf;
}

const char *__byteorctl_group(unsigned int gid, char *buf, size_t len)
{
	struct group *gr = getgrgid((gid_t)gid);

	if (gr)
		return gr->gr_name;
	snprintf(buf, len, "%u", gid);
	return buf;
}

static int in_group(gid_t gid)
{
	gid_t groups[256];
	int i, n;

	if (getegid() == gid)
		return 1;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

const char *__byteorctl_access(unsigned int uid, unsigned int gid,
			       unsigned int mode)
{
	unsigned int bits;

	if (geteuid() == 0)
		return "rw";
	if (geteuid() == (uid_t)uid)
		bits = mode >> 6;
	else if (in_group((gid_t)gid))
		bits = mode >> 3;
	else
		bits = mode;
	bits &= 7;
	return (bits & 6) == 6 ? "rw" : (bits & 4) ? "r" : "-";
}

const char *__byteorctl_human(unsigned long long bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}
