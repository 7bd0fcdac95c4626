// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_spsc_recovery - single_ring_recovery's tests over queue 0 of an
 * events chain (an SPSC queue): the same core, the same recovery rules.
 */
#define SL_EVENTS	true
#include "single_ring_recovery.c"
