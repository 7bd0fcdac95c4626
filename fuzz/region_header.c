// SPDX-License-Identifier: MIT
/*
 * region_header.c - libFuzzer target: region header validation of both
 * backings.
 *
 * The userspace backing validates a private copy of the header in the file
 * (__byteor_header_info(), region_check.c) and then the attach request
 * against the descriptor (__byteor_check_request(), which the kernel
 * backing's attach runs too, on the descriptor byteor.ko returns).  The
 * kernel's own CREATE and ATTACH checks are the inline rules of
 * include/uapi/byteor.h (byteor_name_valid, byteor_geometry_check,
 * byteor_layout_compute, byteor_claim_range, byteor_geometry_match): the
 * same functions, fuzzed here directly on the input's geometry.
 *
 * Input: the first 384 bytes of a header (ident, name, geometry, layout;
 * short input is zero-filled), a file-size selector, then an attach
 * request (kind, version, wanted geometry, role, queue).
 *
 * Checked: only the documented errnos; a header that validates describes
 * areas inside the file and claims inside the claim table; every claim
 * range the rules grant lies inside the layout's claim words.
 *
 * BYTEOR_FUZZ_SEEDS=DIR: write one seed per layout kind (valid headers of
 * real regions, matching requests) into DIR and exit (fuzz/gen-corpus.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define HDR_FUZZ	384	/* ident .. layout: what validation reads */

struct req_in {
	__u32 kind, version;
	struct byteor_geometry want;
	__u32 role, queue;
};

static void die(const char *what, long v)
{
	fprintf(stderr, "region_header: %s (%ld)\n", what, v);
	abort();
}

static void take(void *dst, size_t n, const uint8_t **p, size_t *left)
{
	size_t k = n < *left ? n : *left;

	memset(dst, 0, n);
	memcpy(dst, *p, k);
	*p += k;
	*left -= k;
}

/* A layout the rules accept must describe areas inside min_size. */
static void check_layout(const struct byteor_layout *l)
{
	unsigned int i;

	if (l->min_size > BYTEOR_REGION_SIZE_MAX || l->nr_claims > BYTEOR_MAX_CLAIMS)
		die("layout beyond the maxima", (long)l->nr_claims);
	for (i = 0; i < BYTEOR_AREA_MAX; i++)
		if (l->area_size[i] && (l->area_off[i] < BYTEOR_HEADER_SIZE ||
		    l->area_off[i] + l->area_size[i] > l->min_size))
			die("area outside the layout", i);
}

/* The inline rules of the ABI header, as byteor.ko runs them. */
static void fuzz_rules(__u32 kind, const struct byteor_geometry *g,
		       const struct byteor_geometry *want, __u32 queue,
		       const char name[BYTEOR_NAME_MAX])
{
	struct byteor_layout l;
	__u32 role, first, count;
	int gc, lc, ret;

	ret = byteor_name_valid(name);
	if (ret && ret != -EINVAL && ret != -ENAMETOOLONG)
		die("name_valid errno", ret);
	gc = byteor_geometry_check(kind, g);
	if (gc && gc != -EINVAL)
		die("geometry_check errno", gc);
	lc = byteor_layout_compute(kind, g, &l);
	if (lc && lc != -EINVAL)
		die("layout_compute errno", lc);
	if (!lc && gc)
		die("layout of a geometry the check refuses", gc);
	ret = byteor_geometry_match(g, want);
	if (ret && ret != -EBADMSG)
		die("geometry_match errno", ret);
	if (lc)
		return;
	check_layout(&l);
	for (role = 0; role <= BYTEOR_ROLE_MAX + 1; role++) {
		ret = byteor_claim_range(kind, g, role, queue, &first, &count);
		if (ret && ret != -EINVAL && ret != -ENOENT)
			die("claim_range errno", ret);
		if (!ret && (!count || first + count < first ||
			     first + count > l.nr_claims))
			die("claim range outside the claim words", role);
	}
}

static char seed_dir[256];

/* Seeds: the header of a real region of each kind, and its own request. */
static void write_seeds(void)
{
	static const struct { __u32 kind; struct byteor_geometry g; } k[] = {
		{ BYTEOR_KIND_SINGLE_RING, { .slot_size = 64, .capacity = 16, .queues = 1, .producers = 1 } },
		{ BYTEOR_KIND_EVENTS_CHAIN, { .slot_size = 64, .capacity = 16, .queues = 3, .producers = 2, .mpsc_mask = 2 } },
		{ BYTEOR_KIND_FANOUT, { .slot_size = 64, .capacity = 16, .queues = 3, .producers = 1 } },
		{ BYTEOR_KIND_JOURNAL, { .slot_size = 256, .capacity = 65536, .queues = 1, .producers = 1 } },
		{ BYTEOR_KIND_SEQUENCED_SLOTS, { .slot_size = 64, .capacity = 16, .queues = 2, .producers = 1 } },
	};
	char tmp[] = "/dev/shm/byteor-seed.XXXXXX", path[512];
	struct byteor_region_options o;
	struct req_in rq;
	unsigned char hdr[HDR_FUZZ], sel = 0;
	unsigned int i;
	FILE *f;
	int fd;

	if (!mkdtemp(tmp))
		die("mkdtemp", errno);
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.name = "seed";
		o.kind = k[i].kind;
		o.geometry = k[i].g;
		o.backing = BYTEOR_BACKING_USER;
		o.dir = tmp;
		if (byteor_region_create(&o, NULL))
			die("seed create", i);
		snprintf(path, sizeof(path), "%s/byteor.seed", tmp);
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, hdr, sizeof(hdr)) != sizeof(hdr))
			die("seed read", errno);
		close(fd);
		byteor_region_destroy("seed", BYTEOR_BACKING_USER, tmp);
		memset(&rq, 0, sizeof(rq));
		rq.kind = k[i].kind;
		rq.version = byteor_kind_version(k[i].kind);
		rq.want = k[i].g;
		rq.role = BYTEOR_ROLE_CONSUMER;
		snprintf(path, sizeof(path), "%s/kind-%u", seed_dir, k[i].kind);
		f = fopen(path, "w");
		if (!f)
			die("seed write", errno);
		fwrite(hdr, 1, sizeof(hdr), f);
		fwrite(&sel, 1, 1, f);
		fwrite(&rq, 1, sizeof(rq), f);
		fclose(f);
	}
	rmdir(tmp);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *d = getenv("BYTEOR_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (d && *d) {
		snprintf(seed_dir, sizeof(seed_dir), "%s", d);
		write_seeds();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct byteor_region_header *h;
	struct __byteor_attach_req req;
	struct byteor_region_info info;
	struct req_in rq;
	__u64 file_size;
	__u32 first, count;
	uint8_t sel;
	int ret;

	/* A heap copy of the header's full size: ASan sees any overrun. */
	h = calloc(1, sizeof(*h));
	if (!h)
		die("calloc", 0);
	take(h, HDR_FUZZ, &data, &size);
	take(&sel, 1, &data, &size);
	if (sel & 1)
		take(&file_size, sizeof(file_size), &data, &size);
	else
		file_size = h->size;
	take(&rq, sizeof(rq), &data, &size);

	fuzz_rules(h->kind, &h->geometry, &rq.want, rq.queue, h->name);

	/* The request names the region the header's name field says ... */
	memset(&req, 0, sizeof(req));
	memcpy(req.name, h->name, BYTEOR_NAME_MAX);
	req.name[BYTEOR_NAME_MAX - 1] = 0;
	if (sel & 2)	/* ... or another one */
		req.name[0] ^= 1;
	req.kind = rq.kind;
	req.version = rq.version;
	req.want = rq.want;
	req.role = rq.role;
	req.queue = rq.queue;

	ret = __byteor_header_info(h, req.name, file_size, &info);
	if (ret && ret != -EPROTO && ret != -EBADMSG)
		die("header_info errno", ret);
	if (!ret) {
		check_layout(&info.layout);
		if (info.size != file_size || info.size < info.layout.min_size)
			die("valid header, size not the file's", (long)info.size);
		ret = __byteor_check_request(&req, &info);
		if (ret && ret != -EPROTO && ret != -EBADMSG && ret != -EINVAL)
			die("check_request errno", ret);
		if (!ret && !byteor_claim_range(info.kind, &info.geometry,
						req.role, req.queue, &first,
						&count) &&
		    first + count > info.layout.nr_claims)
			die("granted claim outside the table", (long)first);
	}
	free(h);
	return 0;
}
