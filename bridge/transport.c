// SPDX-License-Identifier: MIT
/*
 * bridge/transport.c - the engines the bridge knows, by name: JetStream,
 * and whatever a program registers (the unit tests' scripted engine).
 */
#include <errno.h>
#include <string.h>
#include "transport.h"

static const struct bridge_transport_ops *engines[8] = {
	&bridge_jetstream_ops,
};

const struct bridge_transport_ops *bridge_transport_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]) && engines[i]; i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

int bridge_transport_register(const struct bridge_transport_ops *ops)
{
	unsigned int i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		if (!engines[i]) {
			engines[i] = ops;
			return 0;
		}
	}
	return -ENOSPC;
}
