// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_spsc_reattach - single_ring_reattach's validator over queue 0 of
 * an events chain (an SPSC queue), in batches of up to 64.
 */
#define SL_EVENTS	true
#include "single_ring_reattach.c"
