/* SPDX-License-Identifier: MIT */
/*
 * byteor.h - libbyteor: lock-free lanes between processes over shared
 * memory regions held by byteor.ko (/dev/byteor) or, without the module,
 * by files on hugetlbfs or /dev/shm.
 *
 *	#include <byteor.h>
 *	cc app.c $(pkg-config --cflags --libs libbyteor)
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure (byteor_strerror() explains it); none writes errno or prints.
 */
#ifndef _BYTEOR_H
#define _BYTEOR_H

#include <byteor/common.h>
#include <byteor/region.h>
#include <byteor/wait.h>
#include <byteor/single_ring.h>
#include <byteor/events.h>
#include <byteor/sequenced_slots.h>
#include <byteor/fanout.h>
#include <byteor/journal.h>

#endif /* _BYTEOR_H */
