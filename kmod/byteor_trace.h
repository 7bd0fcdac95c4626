/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * byteor_trace.h - tracepoints of byteor.ko: region create and destroy,
 * attach and claim release, under events/byteor/ in tracefs.  Cheap when
 * off (a static key); for an operator asking who attached what, when.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM byteor

#if !defined(_BYTEOR_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _BYTEOR_TRACE_H

#include <linux/tracepoint.h>

#include "byteor_compat.h"

TRACE_EVENT(byteor_create,
	TP_PROTO(const char *name, u32 kind, u64 size),
	TP_ARGS(name, kind, size),
	TP_STRUCT__entry(
		__string(name, name)
		__field(u32, kind)
		__field(u64, size)
	),
	TP_fast_assign(
		byteor_assign_str(name, name);
		__entry->kind = kind;
		__entry->size = size;
	),
	TP_printk("name=%s kind=%u size=%llu", __get_str(name), __entry->kind,
		  (unsigned long long)__entry->size)
);

TRACE_EVENT(byteor_destroy,
	TP_PROTO(const char *name, u64 size),
	TP_ARGS(name, size),
	TP_STRUCT__entry(
		__string(name, name)
		__field(u64, size)
	),
	TP_fast_assign(
		byteor_assign_str(name, name);
		__entry->size = size;
	),
	TP_printk("name=%s size=%llu", __get_str(name),
		  (unsigned long long)__entry->size)
);

TRACE_EVENT(byteor_attach,
	TP_PROTO(const char *name, u32 role, u32 queue, int claim),
	TP_ARGS(name, role, queue, claim),
	TP_STRUCT__entry(
		__string(name, name)
		__field(u32, role)
		__field(u32, queue)
		__field(int, claim)
	),
	TP_fast_assign(
		byteor_assign_str(name, name);
		__entry->role = role;
		__entry->queue = queue;
		__entry->claim = claim;
	),
	TP_printk("name=%s role=%u queue=%u claim=%d", __get_str(name),
		  __entry->role, __entry->queue, __entry->claim)
);

TRACE_EVENT(byteor_claim_release,
	TP_PROTO(const char *name, u32 claim),
	TP_ARGS(name, claim),
	TP_STRUCT__entry(
		__string(name, name)
		__field(u32, claim)
	),
	TP_fast_assign(
		byteor_assign_str(name, name);
		__entry->claim = claim;
	),
	TP_printk("name=%s claim=%u", __get_str(name), __entry->claim)
);

#endif /* _BYTEOR_TRACE_H */

/* Out of tree: the header is found beside the sources (Kbuild's -I$(src)). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE byteor_trace
#include <trace/define_trace.h>
