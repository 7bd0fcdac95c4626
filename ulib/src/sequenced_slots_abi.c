// SPDX-License-Identifier: MIT
/*
 * sequenced_slots_abi.c - the sequenced slots' data-path entry points as
 * libbyteor 0.4 exported them.  Since 0.5 byteor/sequenced_slots.h makes
 * these calls static inline (byteor/seq_inline.h) over the "__" functions
 * of the same names; programs built against the older headers still call
 * the exported symbols, so they stay, doing the whole job.  This file must
 * not include byteor/sequenced_slots.h (its inline definitions would clash
 * with these).
 */
#include <stddef.h>
#include <byteor/common.h>

struct byteor_sequenced_slots;

#define SEQ_ABI_WAIT(name)						\
	BYTEOR_API int __##name(struct byteor_sequenced_slots *h,	\
				unsigned int max, __u64 *first);	\
	BYTEOR_API int name(struct byteor_sequenced_slots *h,		\
			    unsigned int max, __u64 *first);		\
	int name(struct byteor_sequenced_slots *h, unsigned int max,	\
		 __u64 *first)						\
	{								\
		return __##name(h, max, first);				\
	}

#define SEQ_ABI_TIMED(name)						\
	BYTEOR_API int __##name(struct byteor_sequenced_slots *h,	\
				unsigned int n, __u64 *first,		\
				long long timeout_ns);			\
	BYTEOR_API int name(struct byteor_sequenced_slots *h,		\
			    unsigned int n, __u64 *first,		\
			    long long timeout_ns);			\
	int name(struct byteor_sequenced_slots *h, unsigned int n,	\
		 __u64 *first, long long timeout_ns)			\
	{								\
		return __##name(h, n, first, timeout_ns);		\
	}

#define SEQ_ABI_STEP(name)						\
	BYTEOR_API int __##name(struct byteor_sequenced_slots *h,	\
				unsigned int n);			\
	BYTEOR_API int name(struct byteor_sequenced_slots *h,		\
			    unsigned int n);				\
	int name(struct byteor_sequenced_slots *h, unsigned int n)	\
	{								\
		return __##name(h, n);					\
	}

SEQ_ABI_WAIT(byteor_sequenced_slots_producer_claim)
SEQ_ABI_TIMED(byteor_sequenced_slots_producer_claim_timed)
SEQ_ABI_STEP(byteor_sequenced_slots_producer_publish)
SEQ_ABI_WAIT(byteor_sequenced_slots_stage_wait)
SEQ_ABI_TIMED(byteor_sequenced_slots_stage_wait_timed)
SEQ_ABI_STEP(byteor_sequenced_slots_stage_advance)
SEQ_ABI_WAIT(byteor_sequenced_slots_subscriber_wait)
SEQ_ABI_TIMED(byteor_sequenced_slots_subscriber_wait_timed)
SEQ_ABI_STEP(byteor_sequenced_slots_subscriber_advance)

#define SEQ_ABI_ENTRY(type, name)					\
	BYTEOR_API type __##name(const struct byteor_sequenced_slots *h,	\
				 __u64 seq);				\
	BYTEOR_API type name(const struct byteor_sequenced_slots *h,	\
			     __u64 seq);				\
	type name(const struct byteor_sequenced_slots *h, __u64 seq)	\
	{								\
		return __##name(h, seq);				\
	}

SEQ_ABI_ENTRY(void *, byteor_sequenced_slots_entry)
SEQ_ABI_ENTRY(const void *, byteor_sequenced_slots_entry_ro)
