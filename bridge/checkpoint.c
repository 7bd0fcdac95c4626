// SPDX-License-Identifier: MIT
/*
 * bridge/checkpoint.c - the bridge's checkpoint file.
 *
 * A few "key value" lines and a last "sum <fnv1a-64 of the lines before>"
 * line.  Stored by writing "<path>.tmp", fsync, rename over <path>, fsync
 * of the directory: a crash leaves the old file or the new one, whole, and
 * after the call returns the new one survives a power cut.  A file that
 * does not parse or whose sum is wrong is -EBADMSG: the bridge refuses to
 * guess a position.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bridge.h"

#define CKPT_MAGIC	"byteor-bridge-checkpoint 1"

static __u64 fnv1a(const char *s, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int ckpt_format(const struct bridge_ckpt *c, char *buf, size_t n)
{
	int len;

	len = snprintf(buf, n,
		       CKPT_MAGIC "\n"
		       "direction %s\n"
		       "chain %d\n"
		       "region %s\n"
		       "generation %llu\n"
		       "origin %llu\n"
		       "position %llu\n"
		       "dest %s\n"
		       "dest-generation %llu\n"
		       "dest-position %llu\n",
		       c->dir == BRIDGE_OUT ? "out" : "in", c->chain_known ? 1 : 0,
		       c->region[0] ? c->region : "(none)",
		       (unsigned long long)c->generation,
		       (unsigned long long)c->origin,
		       (unsigned long long)c->position,
		       c->dest[0] ? c->dest : "(none)",
		       (unsigned long long)c->dest_generation,
		       (unsigned long long)c->dest_position);
	if (len < 0 || (size_t)len + 40 >= n)
		return -ENAMETOOLONG;
	len += snprintf(buf + len, n - len, "sum %016llx\n",
			(unsigned long long)fnv1a(buf, len));
	return len;
}

int bridge_ckpt_store(const char *path, const struct bridge_ckpt *c,
		      struct bridge_err *err)
{
	char buf[1024], tmp[BRIDGE_STR_MAX + 8], dir[BRIDGE_STR_MAX];
	int fd, len, ret = 0;
	ssize_t w;

	len = ckpt_format(c, buf, sizeof(buf));
	if (len < 0) {
		bridge_err_set(err, "checkpoint %s: names too long", path);
		return len;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		bridge_err_set(err, "checkpoint %s: %s", tmp, strerror(-ret));
		return ret;
	}
	w = write(fd, buf, len);
	if (w != len)
		ret = w < 0 ? -errno : -EIO;
	else if (fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		bridge_err_set(err, "checkpoint %s: %s (the previous one stays)",
			       path, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	/* The rename is durable only once the directory is. */
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		ret = -errno;
		bridge_err_set(err, "checkpoint %s: fsync of its directory: %s",
			       path, strerror(-ret));
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static int parse_u64(const char *v, __u64 *out)
{
	char *end;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int bridge_ckpt_load(const char *path, struct bridge_ckpt *c,
		     struct bridge_err *err)
{
	char buf[1024], *line, *save, *sum;
	unsigned int seen = 0;
	ssize_t n;
	int fd, ret;
	__u64 want;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret != -ENOENT)
			bridge_err_set(err, "checkpoint %s: %s", path,
				       strerror(-ret));
		return ret;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret) {
		bridge_err_set(err, "checkpoint %s: %s", path, strerror(-ret));
		return ret;
	}
	buf[n] = 0;
	sum = strstr(buf, "sum ");
	if (strncmp(buf, CKPT_MAGIC "\n", sizeof(CKPT_MAGIC)) || !sum ||
	    sum[-1] != '\n' || sscanf(sum, "sum %" SCNx64, (uint64_t *)&want) != 1 ||
	    want != fnv1a(buf, sum - buf)) {
		bridge_err_set(err, "checkpoint %s: not a byteor-bridge checkpoint or corrupt (bad magic or checksum); refusing to guess a position",
			       path);
		return -EBADMSG;
	}
	*sum = 0;
	for (line = strtok_r(buf + sizeof(CKPT_MAGIC), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');

		if (!v)
			goto bad;
		*v++ = 0;
		ret = 0;
		if (!strcmp(line, "direction")) {
			if (!strcmp(v, "out"))
				c->dir = BRIDGE_OUT;
			else if (!strcmp(v, "in"))
				c->dir = BRIDGE_IN;
			else
				goto bad;
			seen |= 1;
		} else if (!strcmp(line, "chain")) {
			c->chain_known = !strcmp(v, "1");
		} else if (!strcmp(line, "region")) {
			snprintf(c->region, sizeof(c->region), "%s",
				 strcmp(v, "(none)") ? v : "");
			seen |= 2;
		} else if (!strcmp(line, "generation")) {
			ret = parse_u64(v, &c->generation);
		} else if (!strcmp(line, "origin")) {
			ret = parse_u64(v, &c->origin);
		} else if (!strcmp(line, "position")) {
			ret = parse_u64(v, &c->position);
			seen |= 4;
		} else if (!strcmp(line, "dest")) {
			snprintf(c->dest, sizeof(c->dest), "%s",
				 strcmp(v, "(none)") ? v : "");
		} else if (!strcmp(line, "dest-generation")) {
			ret = parse_u64(v, &c->dest_generation);
		} else if (!strcmp(line, "dest-position")) {
			ret = parse_u64(v, &c->dest_position);
		}
		if (ret)
			goto bad;
	}
	if (seen != 7)
		goto bad;
	return 0;
bad:
	bridge_err_set(err, "checkpoint %s: malformed; refusing to guess a position",
		       path);
	return -EBADMSG;
}
