// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_fuzz - a hostile peer scribbles random bytes over the journal's
 * shared state (tail, intent, head, counters, eventcount words, record
 * headers) while a publisher and two subscribers (read-write zero-copy,
 * read-only copying) run in their own processes, with timeouts.  All must
 * survive - errors allowed, no crash, no hang - and exit normally; a
 * publisher restarted after the scribbling repairs the log and a fresh
 * subscriber reads intact records again.  Run under ASan too.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <sys/mman.h>
#include <byteor/journal.h>

#define NAME	"log"
#define CAP	8192U
#define MAXREC	512U
#define RUN_NS	2000000000LL

FIXTURE(jfuzz) {
	struct ht_dir d;
};

FIXTURE_SETUP(jfuzz)
{
	struct byteor_geometry g = ht_geom(MAXREC, CAP, 1, 1);

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_JOURNAL, &g));
}

FIXTURE_TEARDOWN(jfuzz)
{
	ht_dir_teardown(&self->d);
}

static void jf_role(const char *dir, int kind, long long end)
{
	struct byteor_attach_options o = lt_opts(dir, NAME, 0, 5000000);
	struct byteor_journal_record rec;
	struct byteor_journal *j;
	unsigned char buf[MAXREC] = { 0 };
	volatile unsigned int sum = 0;
	__u64 seq = 0;
	__u32 b;
	int ret;

	if (kind == 0) {
		ret = byteor_attach_journal_publisher(&o, &j);
	} else {
		if (kind == 2)
			o.flags = BYTEOR_ATTACH_OBSERVER;
		ret = byteor_attach_journal_subscriber_tail(&o, &j);
	}
	if (ret)
		LT_DIE(2, "attach %d: %s", kind, byteor_strerror(ret));
	while (lt_now_ns() < end) {
		if (kind == 0) {
			ret = byteor_journal_append(j, (__u32)seq, buf, seq % MAXREC, NULL);
			seq++;
			if (seq % 64 == 0)
				usleep(10);
		} else if (kind == 1) {
			ret = byteor_journal_peek(j, &rec);
			if (!ret) {
				for (b = 0; b < rec.len; b++)
					sum += ((const unsigned char *)rec.data)[b];
				ret = byteor_journal_consume(j, &rec);
			}
		} else {
			ret = byteor_journal_read(j, buf, sizeof(buf), &rec);
		}
		if (ret < 0 && ret != -EAGAIN && ret != -ETIMEDOUT &&
		    ret != -EOVERFLOW && ret != -EBADMSG && ret != -EINVAL &&
		    ret != -EPIPE)
			LT_DIE(3, "role %d: %s", kind, byteor_strerror(ret));
	}
	byteor_journal_detach(j);
	_exit(0);
}

TEST_F_TIMEOUT(jfuzz, publisher_and_subscribers_survive_random_scribbles, 60)
{
	struct byteor_attach_options o = lt_opts(self->d.path, NAME, 0, 0);
	struct byteor_region_info info;
	struct byteor_journal_record rec;
	struct byteor_journal *pub, *sub;
	long long end = lt_now_ns() + RUN_NS;
	unsigned char buf[MAXREC], *p;
	__u64 ctl, aux, off, v, n = 0;
	char path[HT_PATH * 2];
	pid_t pid[3];
	int i, fd;

	ASSERT_EQ(0, byteor_region_info(NAME, BYTEOR_BACKING_USER, self->d.path, &info));
	ctl = info.layout.area_off[BYTEOR_AREA_CONTROL];
	aux = info.layout.area_off[BYTEOR_AREA_AUX];
	for (i = 0; i < 3; i++) {
		pid[i] = lt_fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			jf_role(self->d.path, i, end);
	}
	ht_region_path(path, sizeof(path), self->d.path, NAME);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, p);
	srand(77);
	while (lt_now_ns() < end - 200000000LL) {
		switch (rand() % 3) {
		case 0:	/* tail, intent, head, counters, eventcount */
			off = ctl + (rand() % 48) * 8;
			break;
		case 1:	/* a record header, at an 8-byte boundary */
			off = aux + (rand() % (CAP / 8)) * 8;
			break;
		default:
			off = aux + rand() % (CAP - 8);
			break;
		}
		v = ((__u64)rand() << 33) ^ ((__u64)rand() << 7) ^ rand();
		if (rand() % 2)
			v %= 4 * CAP;
		memcpy(p + off, &v, 8);
		n++;
		usleep(rand() % 200);
	}
	munmap(p, info.size);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, lt_status(pid[i])) TH_LOG("role process %d", i);
	TH_LOG("%llu scribbles", (unsigned long long)n);
	/* Scribbling over: a new publisher repairs, new records read intact. */
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &sub));
	ASSERT_EQ(0, byteor_journal_append(pub, 5, "hello", 5, NULL));
	ASSERT_EQ(5, byteor_journal_read(sub, buf, sizeof(buf), &rec));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(5, rec.type);
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

TEST_HARNESS_MAIN
