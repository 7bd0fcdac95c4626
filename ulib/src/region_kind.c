// SPDX-License-Identifier: MIT
/*
 * region_kind.c - the names of layout kinds, as byteorctl and the JSON
 * output spell them.
 */
#include <string.h>
#include "internal.h"

static const char *const kind_names[BYTEOR_KIND_MAX + 1] = {
	[BYTEOR_KIND_SINGLE_RING] = "single-ring",
	[BYTEOR_KIND_EVENTS_CHAIN] = "events",
	[BYTEOR_KIND_FANOUT] = "fanout",
	[BYTEOR_KIND_JOURNAL] = "journal",
	[BYTEOR_KIND_SEQUENCED_SLOTS] = "sequenced-slots",
};

BYTEOR_API const char *byteor_kind_name(__u32 kind)
{
	return kind <= BYTEOR_KIND_MAX ? kind_names[kind] : NULL;
}

BYTEOR_API int byteor_kind_parse(const char *name)
{
	int k;

	if (!name)
		return -EINVAL;
	for (k = 1; k <= BYTEOR_KIND_MAX; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -EINVAL;
}
