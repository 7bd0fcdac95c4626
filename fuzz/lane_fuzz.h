/* SPDX-License-Identifier: MIT */
/*
 * lane_fuzz.h - the shared part of the lane fuzz targets (libFuzzer).
 *
 * A target creates one small region of its lane on the userspace backing in
 * a private /dev/shm directory, fills it through the lane's own writer once,
 * and keeps that image.  Each input then starts from the image (the used
 * part of the region copied back), attaches a fresh reader with a zero
 * timeout (nothing waits), and interprets the input as a program: scribble
 * operations write 1..8 bytes anywhere in the shared state (positions,
 * control words, headers, slots) and read operations call the lane; the
 * reader detaches at the end.  A fresh attach per input keeps a crash
 * reproducible from its input alone.
 *
 * Each target checks: every length handed out is within the slot or
 * record size (and ASan checks every byte of it is touched in bounds),
 * every error is one the lane's header documents (lf_errno_ok()).
 * Anything else aborts, which libFuzzer reports as a crash.
 */
#ifndef _BYTEOR_LANE_FUZZ_H
#define _BYTEOR_LANE_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <byteor.h>

#define LF_NAME	"fz"

struct lf_state {
	char dir[64];
	unsigned char *map;	/* our own mapping of the region file */
	unsigned char *image;	/* the used part as formatted and filled */
	size_t used;		/* bytes of the region in use (layout min_size) */
	size_t size;
	struct byteor_region_info info;
};

static struct lf_state lf;

static void lf_die(const char *what, long v)
{
	fprintf(stderr, "lane fuzz: %s (%ld)\n", what, v);
	abort();
}

static void lf_cleanup(void)
{
	byteor_region_destroy(LF_NAME, BYTEOR_BACKING_USER, lf.dir);
	rmdir(lf.dir);
}

static struct byteor_attach_options lf_opts(unsigned int queue)
{
	struct byteor_attach_options o;

	memset(&o, 0, sizeof(o));
	o.name = LF_NAME;
	o.queue = queue;
	o.backing = BYTEOR_BACKING_USER;
	o.dir = lf.dir;
	o.timeout_ns = 0;
	return o;
}

/* Create the region in a private directory and map it for scribbling. */
static void lf_create(__u32 kind, struct byteor_geometry g)
{
	struct byteor_region_options o;
	char path[128];
	int fd, ret;

	snprintf(lf.dir, sizeof(lf.dir), "/dev/shm/byteor-fuzz.XXXXXX");
	if (!mkdtemp(lf.dir))
		lf_die("mkdtemp", errno);
	atexit(lf_cleanup);
	memset(&o, 0, sizeof(o));
	o.name = LF_NAME;
	o.kind = kind;
	o.geometry = g;
	o.backing = BYTEOR_BACKING_USER;
	o.dir = lf.dir;
	ret = byteor_region_create(&o, &lf.info);
	if (ret)
		lf_die("create", ret);
	snprintf(path, sizeof(path), "%s/byteor." LF_NAME, lf.dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		lf_die("open", errno);
	lf.size = lf.info.size;
	lf.used = lf.info.layout.min_size;
	lf.map = mmap(NULL, lf.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (lf.map == MAP_FAILED)
		lf_die("mmap", errno);
}

/* Keep the filled state: every input starts from it. */
static void lf_save(void)
{
	lf.image = malloc(lf.used);
	if (!lf.image)
		lf_die("malloc", 0);
	memcpy(lf.image, lf.map, lf.used);
}

static void lf_restore(void)
{
	memcpy(lf.map, lf.image, lf.used);
}

/*
 * The input as a program.  lf_next() gives the next operation byte, or -1
 * at the end; scribble operations (op & 1 == 0 of lf_op_scribble()) take
 * an offset and a value from the input.
 */
struct lf_in {
	const uint8_t *p;
	size_t n;
};

static int lf_byte(struct lf_in *in)
{
	if (!in->n)
		return -1;
	in->n--;
	return *in->p++;
}

static uint64_t lf_bytes(struct lf_in *in, unsigned int k)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < k && in->n; i++) {
		v |= (uint64_t)*in->p++ << (8 * i);
		in->n--;
	}
	return v;
}

/*
 * Write 1, 2, 4 or 8 bytes at an offset of the used part (skipping the
 * region header, which the library read once at attach and never again
 * for bounds).  The value is taken from the input, or is the current value
 * nudged by a small signed amount (a plausible position).
 */
static void lf_scribble(struct lf_in *in, int op)
{
	static const unsigned int widths[4] = { 1, 2, 4, 8 };
	unsigned int w = widths[op & 3];
	size_t span = lf.used - BYTEOR_HEADER_SIZE;
	size_t off = BYTEOR_HEADER_SIZE + lf_bytes(in, 3) % span;
	uint64_t v, cur = 0;

	off &= ~(size_t)(w - 1);	/* aligned, as the lanes' own stores */
	if (off + w > lf.used)
		return;
	if (op & 4) {
		memcpy(&cur, lf.map + off, w);
		v = cur + (uint64_t)(int64_t)(int8_t)lf_byte(in);
	} else {
		v = lf_bytes(in, w);
	}
	memcpy(lf.map + off, &v, w);
}

/* A payload handed out: within @max, and every byte readable. */
static unsigned int lf_touch(const void *p, size_t len, size_t max)
{
	const volatile unsigned char *b = p;
	unsigned int sum = 0;
	size_t i;

	if (len > max)
		lf_die("length beyond the slot handed out", (long)len);
	for (i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/* Is @ret a value the read call may return (a count >= 0 or one of @ok)? */
static void lf_errno_ok(int ret, const int *ok, const char *call)
{
	if (ret >= 0)
		return;
	for (; *ok; ok++)
		if (ret == *ok)
			return;
	fprintf(stderr, "lane fuzz: %s returned %d (%s), not documented\n",
		call, ret, byteor_strerror(ret));
	abort();
}

#endif /* _BYTEOR_LANE_FUZZ_H */
