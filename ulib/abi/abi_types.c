// SPDX-License-Identifier: MIT
/*
 * abi_types.c - compiled with -g by scripts/abi.sh, never linked: one
 * object of every struct the public headers define, so that pahole can
 * print their layouts from the debug information.  The list is generated
 * by scripts/abi.sh from the headers into build/abi/abi_types.h.
 */
#include <byteor.h>
#include "abi_types.h"
