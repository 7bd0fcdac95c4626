// SPDX-License-Identifier: MIT
/*
 * ctl_admin.c - what byteorctl needs to be a host operator's tool, beside
 * ctl_owner.c (names, access, sizes for people): users and groups by name
 * or number for create --owner/--group, the warning for a --dir on a disk
 * file system, and each subcommand's --help with its rules.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <byteor/region.h>
#include "byteorctl.h"

#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC	0x858458f6
#endif

/* A decimal id: digits only, below (__u32)-1 (which means "unchanged"). */
static int parse_id(const char *s, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v >= 0xffffffffULL)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

/**
 * __byteorctl_parse_owner() - a user (@group false) or group by name or
 * number.  A name is looked up first (a name may be all digits); a number
 * no database names is taken as is, as chown(1) does.
 * Return: 0, -ENOENT (no such name), -EINVAL (neither a name nor a number).
 */
int __byteorctl_parse_owner(const char *s, bool group, __u32 *out)
{
	struct passwd *pw;
	struct group *gr;

	if (!s || !*s)
		return -EINVAL;
	if (group) {
		gr = getgrnam(s);
		if (gr) {
			*out = gr->gr_gid;
			return 0;
		}
	} else {
		pw = getpwnam(s);
		if (pw) {
			*out = pw->pw_uid;
			return 0;
		}
	}
	if (*s >= '0' && *s <= '9')
		return parse_id(s, out);
	return *s == '-' || *s == '+' ? -EINVAL : -ENOENT;
}

/**
 * __byteorctl_warn_disk_dir() - say on stderr if the userspace backing's
 * directory (@dir, else $BYTEOR_DIR) is on a disk file system: a region
 * there is page cache, written back to the disk behind the lanes' backs -
 * I/O and dirty-page stalls on the hot path.  tmpfs, ramfs and hugetlbfs
 * are what the backing is for.  Nothing if it cannot tell.
 */
void __byteorctl_warn_disk_dir(enum byteor_backing backing, const char *dir)
{
	struct statfs sfs;

	if (byteor_backing_resolve(backing) != BYTEOR_BACKING_USER)
		return;
	if (!dir || !*dir)
		dir = secure_getenv("BYTEOR_DIR");
	if (!dir || !*dir || statfs(dir, &sfs))
		return;
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC ||
	    sfs.f_type == RAMFS_MAGIC)
		return;
	fprintf(stderr, "byteorctl: warning: %s is on a disk file system "
		"(f_type 0x%llx): a region there is page cache written back "
		"to disk, stalls on the hot path; use tmpfs or hugetlbfs "
		"(/dev/shm, a hugetlbfs mount)\n", dir,
		(unsigned long long)sfs.f_type);
}

static const char help_create[] =
"usage: byteorctl create NAME --kind KIND --slot-size N --capacity N\n"
"                        [--queues N] [--producers N] [--mpsc-mask M]\n"
"                        [--stage-deps M0,M1,...] [--size BYTES] [--fixed]\n"
"                        [--mode OCTAL] [--owner USER|UID] [--group GROUP|GID]\n"
"Create region NAME, zero-filled, its header formatted.\n"
"\n"
"rules (checked before anything is created; the error names the one broken):\n"
"  NAME        1..63 characters of [A-Za-z0-9._-], not starting with '.'\n"
"  --kind      single-ring, events, fanout, journal, sequenced-slots\n"
"  --slot-size a multiple of 8 from 8 to 65536 (payload bytes; journal: the\n"
"              largest record, at most a quarter of the capacity)\n"
"  --capacity  a power of two from 2 to 2^30 slots (journal: bytes, at\n"
"              least 4096)\n"
"  --queues    events: 1..64 queues; fanout: 1..64 consumers; sequenced\n"
"              slots: 1..16 stages; single ring and journal: 1 (default 1)\n"
"  --producers events only: 1..64, above 1 only with MPSC queues, and no\n"
"              more than a queue's slots\n"
"  --mpsc-mask events only: bit q makes queue q MPSC (q < queues)\n"
"  --stage-deps sequenced slots only: stage i's mask names earlier stages\n"
"  --fixed     single ring only: every message is slot-size bytes\n"
"  --size      a minimum size in bytes, rounded up to 2 MiB; at most 1 TiB\n"
"  --mode      octal permission bits 1..0777 (default 0660)\n"
"  --owner, --group\n"
"              a user or group by name, or a number (taken as is);\n"
"              giving a region away needs root (CAP_CHOWN); an unknown\n"
"              name is an error (exit 2) and nothing is created\n"
"  N and BYTES take a K, M or G suffix (binary); M takes 0x hex.\n"
"  Userspace backing: a --dir on a disk file system draws a warning.\n";

static const char help_destroy[] =
"usage: byteorctl destroy NAME [--force]\n"
"Unlink region NAME.  Processes attached keep their mappings; the memory\n"
"goes with the last one.\n"
"\n"
"rules:\n"
"  refused (exit 1, \"busy\") while a live process holds a role of the\n"
"  region: the error names each (role, index, pid); --force destroys it\n"
"  anyway.  Read-only observers hold no role and do not count.\n";

static const char help_list[] =
"usage: byteorctl list [--bytes] [--json]\n"
"Every region of the backing, in name order: kind, size, geometry, owner,\n"
"group, mode, what this user may do with it (ACCESS: rw any role, r\n"
"observe only, - not open it; judged like a file open, root: rw), claims\n"
"held.  Regions this user may not open are listed too, like lsipc; one the\n"
"userspace backing cannot even read shows kind \"-\" and what its file\n"
"says (size, owner, group, mode).  Sizes in K/M/G (2.0M); --bytes: raw.\n";

static const char help_info[] =
"usage: byteorctl info NAME [--json]\n"
"The descriptor of region NAME: kind, size, generation, owner, geometry,\n"
"areas, claims.  The userspace backing validates the header as an attach\n"
"would; a corrupt or foreign file is an error, not a region.\n";

static const char help_remove_stage[] =
"usage: byteorctl remove-stage NAME STAGE [--json]\n"
"Take dead stage STAGE of sequenced-slots region NAME out of gating: the\n"
"producer and its dependents wait for its dependencies instead.\n"
"\n"
"rules:\n"
"  STAGE is an index 0..stages-1; fails (exit 1, \"busy\") while a live\n"
"  process holds the stage; removing a removed stage changes nothing; a\n"
"  later attach at the stage clears the removal.\n";

static const char help_common[] =
"\n"
"common options (also before the command):\n"
"  --backing kernel|user|auto  --dir DIR  --json  --help  -V, --version\n"
"exit status: 0 success, 1 failure, 2 bad usage\n";

/**
 * __byteorctl_cmd_help() - print @cmd's own --help.
 * Return: 0 if printed, -ENOENT if @cmd has none of its own here.
 */
int __byteorctl_cmd_help(const char *cmd)
{
	static const struct {
		const char *cmd;
		const char *text;
	} h[] = {
		{ "create", help_create },
		{ "destroy", help_destroy },
		{ "list", help_list },
		{ "info", help_info },
		{ "remove-stage", help_remove_stage },
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		if (strcmp(cmd, h[i].cmd))
			continue;
		fputs(h[i].text, stdout);
		fputs(help_common, stdout);
		return 0;
	}
	return -ENOENT;
}
