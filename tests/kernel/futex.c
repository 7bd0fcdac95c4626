// SPDX-License-Identifier: GPL-2.0-only
/*
 * futex - the wait protocol's kernel half: a 32-bit word in a region is a
 * SHARED futex, so a process parked on it through its own mapping (futex(2)
 * or io_uring IORING_OP_FUTEX_WAIT) is woken by FUTEX_WAKE from another
 * process through another mapping.  Both sides map the region themselves:
 * the futex key must come from the backing file and offset, not from a
 * shared virtual address.
 *
 * io_uring's futex opcodes arrived in 6.7; liburing in Debian 12 predates
 * its helpers, so the SQE is filled by hand on a minimal ring.  A kernel
 * without the opcode (6.1) makes that test SKIP, found by probing.
 */
#include "byteor_test.h"

#include <linux/io_uring.h>

#define BT_IORING_OP_FUTEX_WAIT	51	/* enum io_uring_op, Linux 6.7 */
#define BT_FUTEX2_SIZE_U32	0x02	/* futex2 flags: 32-bit word, shared */

/* The futex word: first cache line of the control area. */
#define WORD_OFF		BYTEOR_HEADER_SIZE
#define OTHER_WORD_OFF		(BYTEOR_HEADER_SIZE + 64)

FIXTURE(fx) {
	struct bt_res r;
	const char *name;
	unsigned char *map;	/* this process's own mapping */
	size_t size;
};

FIXTURE_SETUP(fx)
{
	struct byteor_attach a;
	int fd;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (!bt_can_create())
		BT_SETUP_SKIP("creates regions: needs root or the create group (%ld)",
			      bt_create_gid());
	self->name = bt_res_name(&self->r, "futex");
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_create(fd, self->name, 0, NULL));
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_PRODUCER, &a));
	self->size = a.info.size;
	self->map = bt_res_map(&self->r, bt_map_rw(fd, self->size), self->size);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(fx)
{
	bt_res_release(&self->r);
}

/* The waiter's own file, attach and mapping. */
static uint32_t *own_word(const char *name)
{
	struct byteor_attach a;
	unsigned char *m;
	int fd = bt_open();

	if (fd < 0 || bt_attach(fd, name, BYTEOR_ROLE_CONSUMER, &a))
		return NULL;
	m = bt_map_rw(fd, a.info.size);
	if (m == MAP_FAILED)
		return NULL;
	return (uint32_t *)(m + WORD_OFF);
}

/*
 * Wake the word until a waiter was woken, for at most @ms: returns as soon
 * as the waiter is queued, without guessing how long it takes to get there.
 * Return: waiters woken (1), 0 on timeout, or -errno.
 */
static long wake_until_woken(uint32_t *word, int ms)
{
	uint64_t end = bt_now_ms() + ms;
	long n;

	do {
		n = bt_futex(word, FUTEX_WAKE, 1, NULL);
		if (n)
			return n;
		usleep(1000);
	} while (bt_now_ms() < end);
	return 0;
}

TEST_F(fx, shared_futex_key_resolves_on_the_mapping)
{
	struct timespec ts = { 0, 1000000 };
	uint32_t *w = (uint32_t *)(self->map + WORD_OFF);

	/* the key is looked up before the value: EAGAIN, not EFAULT */
	*w = 7;
	EXPECT_EQ(-EAGAIN, bt_futex(w, FUTEX_WAIT, 8, &ts));
	EXPECT_EQ(-ETIMEDOUT, bt_futex(w, FUTEX_WAIT, 7, &ts));
	EXPECT_EQ(0, bt_futex(w, FUTEX_WAKE, 1, NULL));
}

struct waiter {
	const char *name;
	int wfd;
};

static int futex_waiter(void *p)
{
	struct waiter *wt = p;
	struct timespec ts = { 20, 0 };
	uint32_t *w = own_word(wt->name);
	long r;

	if (!w)
		return 10;
	bt_pipe_put(wt->wfd, 1);
	r = bt_futex(w, FUTEX_WAIT, 0, &ts);
	if (r == -ETIMEDOUT)
		return 11;
	if (r == -EFAULT)
		return 12;
	return r ? 13 : 0;
}

TEST_F(fx, shared_futex_wait_is_woken_from_another_process)
{
	uint32_t *w = (uint32_t *)(self->map + WORD_OFF);
	uint32_t *other = (uint32_t *)(self->map + OTHER_WORD_OFF);
	struct waiter wt = { self->name, -1 };
	int pfd[2], st;
	pid_t pid;

	*w = 0;
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	wt.wfd = pfd[1];
	pid = bt_res_pid(&self->r, bt_spawn(futex_waiter, &wt));
	ASSERT_LT(0, pid);
	close(pfd[1]);
	ASSERT_EQ(1, bt_pipe_get(pfd[0], 10000)) TH_LOG("waiter did not start");
	close(pfd[0]);

	/* a neighbouring word is another futex: nobody wakes */
	EXPECT_EQ(0, bt_futex(other, FUTEX_WAKE, 1, NULL));
	ASSERT_EQ(1, wake_until_woken(w, 10000)) {
		TH_LOG("no waiter on the word after 10 s: the keys differ");
	}
	st = bt_res_wait(&self->r, pid);
	EXPECT_EQ(0, st) TH_LOG("waiter: 10 setup, 11 timeout, 12 EFAULT, 13 other");
}

/* ---------------------------------------------------------------------
 * A minimal io_uring: one SQ, one CQ, no liburing.
 */
struct ring {
	int fd;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_init(struct ring *r, unsigned int entries)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	unsigned char *sq, *cq;
	void *sqes;

	memset(&p, 0, sizeof(p));
	r->fd = syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		    IORING_OFF_SQES);
	if (sqes == MAP_FAILED)
		return -errno;
	r->sq_head = (unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	r->sqes = sqes;
	return 0;
}

/* Queue a FUTEX_WAIT for *@word == @val and submit it. */
static int ring_futex_wait(struct ring *r, uint32_t *word, uint32_t val,
			   __u64 user_data)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	long n;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = BT_IORING_OP_FUTEX_WAIT;
	sqe->fd = BT_FUTEX2_SIZE_U32;		/* futex2 flags; not private */
	sqe->addr = (__u64)(uintptr_t)word;
	sqe->off = val;				/* expected value */
	sqe->addr3 = FUTEX_BITSET_MATCH_ANY;	/* wake mask */
	sqe->rw_flags = 0;			/* futex_flags: none defined */
	sqe->user_data = user_data;
	r->sq_array[idx] = idx;
	/* Pairs with the kernel's acquire of the tail: the SQE is complete. */
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	n = syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

/* Reap one CQE, waiting for it if @wait.  Return: 0, -EAGAIN, -errno. */
static int ring_reap(struct ring *r, struct io_uring_cqe *out, bool wait)
{
	for (;;) {
		unsigned int head = *r->cq_head;
		/* Pairs with the kernel's release of the tail: CQE filled. */
		unsigned int tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);

		if (head != tail) {
			*out = r->cqes[head & *r->cq_mask];
			__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
			return 0;
		}
		if (!wait)
			return -EAGAIN;
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR)
			return -errno;
	}
}

/* Does the kernel know IORING_OP_FUTEX_WAIT?  1, 0, or -errno. */
static int ring_probe_futex(struct ring *r)
{
	size_t len = sizeof(struct io_uring_probe) +
		     256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, len);
	int ret;

	if (!p)
		return -ENOMEM;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PROBE, p, 256) < 0) {
		free(p);
		return -errno;
	}
	ret = p->last_op >= BT_IORING_OP_FUTEX_WAIT &&
	      (p->ops[BT_IORING_OP_FUTEX_WAIT].flags & IO_URING_OP_SUPPORTED);
	free(p);
	return ret;
}

static int uring_waiter(void *p)
{
	struct waiter *wt = p;
	struct io_uring_cqe cqe;
	struct ring r;
	uint32_t *w;

	/* a wake that never comes ends here, not at the harness timeout */
	alarm(20);
	w = own_word(wt->name);
	if (!w)
		return 10;
	if (ring_init(&r, 4))
		return 11;
	if (ring_futex_wait(&r, w, 0, 0xb7))
		return 12;
	/* queued now (or completed at once, seen below) */
	bt_pipe_put(wt->wfd, 1);
	if (ring_reap(&r, &cqe, true))
		return 13;
	if (cqe.user_data != 0xb7)
		return 14;
	if (cqe.res == -EFAULT)
		return 15;
	if (cqe.res == -EAGAIN)
		return 16;
	return cqe.res ? 17 : 0;
}

TEST_F(fx, io_uring_futex_wait_is_woken_from_another_process)
{
	uint32_t *w = (uint32_t *)(self->map + WORD_OFF);
	struct waiter wt = { self->name, -1 };
	struct io_uring_cqe cqe;
	struct ring r;
	int pfd[2], ret;
	pid_t pid;

	ret = ring_init(&r, 4);
	if (ret)
		SKIP(return, "io_uring_setup: %s (io_uring unavailable)", strerror(-ret));
	ret = ring_probe_futex(&r);
	ASSERT_LE(0, ret) TH_LOG("IORING_REGISTER_PROBE: %s", strerror(-ret));
	if (!ret)
		SKIP(return, "kernel lacks IORING_OP_FUTEX_WAIT (Linux >= 6.7)");

	/* the opcode works on the mapping: a stale value completes -EAGAIN */
	*w = 0;
	ASSERT_EQ(0, ring_futex_wait(&r, w, 1, 1));
	ASSERT_EQ(0, ring_reap(&r, &cqe, true));
	ASSERT_EQ(-EAGAIN, cqe.res) TH_LOG("a futex2 wait on the region: %d", cqe.res);

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	wt.wfd = pfd[1];
	pid = bt_res_pid(&self->r, bt_spawn(uring_waiter, &wt));
	ASSERT_LT(0, pid);
	close(pfd[1]);
	ASSERT_EQ(1, bt_pipe_get(pfd[0], 10000)) TH_LOG("waiter did not start");
	close(pfd[0]);
	ASSERT_EQ(1, wake_until_woken(w, 10000)) {
		TH_LOG("no io_uring waiter on the word after 10 s");
	}
	EXPECT_EQ(0, bt_res_wait(&self->r, pid)) {
		TH_LOG("waiter: 10-12 setup, 13 reap, 15 EFAULT, 16 EAGAIN, 17 other");
	}
}

TEST_HARNESS_MAIN
