// SPDX-License-Identifier: MIT
/*
 * version.c - the version of the library that is running, for programs to
 * compare with the headers they were built against (BYTEOR_VERSION).
 */
#include <byteor/common.h>

int byteor_version(void)
{
	return BYTEOR_VERSION;
}

const char *byteor_version_string(void)
{
	return BYTEOR_VERSION_STRING;
}
