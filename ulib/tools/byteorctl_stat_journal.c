// SPDX-License-Identifier: MIT
/*
 * byteorctl_stat_journal.c - the journal part of `byteorctl stat`: attach
 * as a read-only subscriber and print the journal's snapshot (tail, oldest
 * retained position, intent, records, publisher liveness, waiters),
 * human-readable or as one JSON object ("schema": "byteor.stat.v1",
 * "kind": "journal").
 *
 *	orders.log: journal, 1048576 bytes, records up to 4096 bytes
 *	  tail 73400320  oldest 72351808  retained 1048512 bytes  records 917504
 *	  publisher alive pid 4242  attaches 1
 *	  subscribers attached 3  waiting 1  parks 12
 *	  subscriber 0  pos 73400000  lag 320 bytes  read 917000  lapped 0  alive pid 4250
 *
 * A subscriber line per registered subscriber (read-write ones register
 * in a slot; a killed one shows "dead" until its slot is taken again);
 * JSON: "subscribers":{..., "registered":[{"slot":0,"pos":...}]}.
 *
 * Called by byteorctl_stat.c as
 *	int __byteorctl_stat_journal(const char *name,
 *				     const struct byteor_attach_options *o,
 *				     int json);
 * Return: the exit status (0, or 1 if the region cannot be read).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <byteor/journal.h>
#include <byteor/region.h>
#include <byteor/wait.h>
#include "byteorctl.h"

int __byteorctl_stat_journal(const char *name,
			     const struct byteor_attach_options *o, int json)
{
	struct byteor_attach_options ro = *o;
	struct byteor_journal_subscriber_snap v[BYTEOR_JOURNAL_SUBSCRIBERS];
	struct byteor_journal_snapshot s;
	struct byteor_journal *j;
	int i, n = 0, ret;

	ro.flags |= BYTEOR_ATTACH_OBSERVER;
	ret = byteor_attach_journal_subscriber_tail(&ro, &j);
	if (!ret) {
		ret = byteor_journal_snapshot(j, &s);
		n = ret ? 0 : byteor_journal_subscribers(j, v,
							 BYTEOR_JOURNAL_SUBSCRIBERS);
		if (n < 0)
			ret = n;
		if (n > BYTEOR_JOURNAL_SUBSCRIBERS)
			n = BYTEOR_JOURNAL_SUBSCRIBERS;
		byteor_journal_detach(j);
	}
	if (ret) {
		return __byteorctl_stat_error(name, json, ret);
	}
	if (json) {
		printf("{\"schema\":\"byteor.stat.v1\",\"name\":\"%s\","
		       "\"kind\":\"journal\",\"capacity\":%u,\"max_record\":%u,"
		       "\"park_path\":\"%s\",\"corrupt\":%s,\"tail\":%" PRIu64
		       ",\"oldest\":%" PRIu64 ",\"intent\":%" PRIu64
		       ",\"retained\":%" PRIu64 ",\"records\":%" PRIu64
		       ",\"publisher\":{\"alive\":%s,\"pid\":%u,\"attaches\":%"
		       PRIu64 ",\"corrupt_seen\":%" PRIu64 "},"
		       "\"subscribers\":{\"attaches\":%" PRIu64 ",\"waiters\":%u,"
		       "\"parks\":%" PRIu64 ",\"registered\":[", name, s.capacity,
		       s.max_record, byteor_park_path_name(s.park_path),
		       s.flags & BYTEOR_JOURNAL_SNAP_F_CORRUPT ? "true" : "false",
		       (uint64_t)s.tail, (uint64_t)s.oldest, (uint64_t)s.intent,
		       (uint64_t)(s.tail - s.oldest), (uint64_t)s.records,
		       s.publisher_alive > 0 ? "true" :
		       s.publisher_alive == 0 ? "false" : "null",
		       s.publisher_pid, (uint64_t)s.publisher_attaches,
		       (uint64_t)s.corrupt, (uint64_t)s.subscriber_attaches,
		       s.waiters, (uint64_t)s.parks);
		for (i = 0; i < n; i++)
			printf("%s{\"slot\":%u,\"pos\":%" PRIu64 ",\"lag\":%" PRIu64
			       ",\"read\":%" PRIu64 ",\"lapped\":%" PRIu64
			       ",\"bad\":%" PRIu64 ",\"attaches\":%" PRIu64
			       ",\"pid\":%u,\"alive\":%s}", i ? "," : "", v[i].slot,
			       (uint64_t)v[i].position, (uint64_t)v[i].lag,
			       (uint64_t)v[i].read, (uint64_t)v[i].lapped,
			       (uint64_t)v[i].bad, (uint64_t)v[i].attaches,
			       v[i].pid, v[i].alive > 0 ? "true" :
			       v[i].alive == 0 ? "false" : "null");
		printf("]}}\n");
		return 0;
	}
	printf("%s: journal, %u bytes, records up to %u bytes\n", name,
	       s.capacity, s.max_record);
	printf("  tail %" PRIu64 "  oldest %" PRIu64 "  retained %" PRIu64
	       " bytes  records %" PRIu64 "%s\n", (uint64_t)s.tail,
	       (uint64_t)s.oldest, (uint64_t)(s.tail - s.oldest),
	       (uint64_t)s.records,
	       s.flags & BYTEOR_JOURNAL_SNAP_F_CORRUPT ?
	       "  (positions inconsistent: corrupt)" : "");
	printf("  publisher %s pid %u  attaches %" PRIu64 "\n",
	       s.publisher_alive > 0 ? "alive" :
	       s.publisher_alive == 0 ? "gone" : "unknown",
	       s.publisher_pid, (uint64_t)s.publisher_attaches);
	printf("  subscribers attached %" PRIu64 "  waiting %u  parks %" PRIu64
	       "\n", (uint64_t)s.subscriber_attaches, s.waiters,
	       (uint64_t)s.parks);
	for (i = 0; i < n; i++)
		printf("  subscriber %u  pos %" PRIu64 "  lag %" PRIu64 " bytes  read %"
		       PRIu64 "  lapped %" PRIu64 "  %s pid %u\n", v[i].slot,
		       (uint64_t)v[i].position, (uint64_t)v[i].lag,
		       (uint64_t)v[i].read, (uint64_t)v[i].lapped,
		       v[i].alive > 0 ? "alive" : v[i].alive == 0 ? "dead" : "unknown",
		       v[i].pid);
	if (s.corrupt)
		printf("  corrupt values seen: %" PRIu64 "\n", (uint64_t)s.corrupt);
	printf("  park path of this host: %s\n", byteor_park_path_name(s.park_path));
	return 0;
}
