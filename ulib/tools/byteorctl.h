/* SPDX-License-Identifier: MIT */
/*
 * byteorctl.h - what the files of the byteorctl command share: the `stat`
 * subcommand and its per-lane snapshot printers.  Each printer attaches to
 * region @name as an observer (backing and directory from @o), prints the
 * lane snapshot human-readable or, with @json, as JSON with
 * "schema":"byteor.stat.v1", and returns the exit status (0, or 1 after an
 * error on stderr).
 */
#ifndef _BYTEORCTL_H
#define _BYTEORCTL_H

#include <byteor/common.h>

int __byteorctl_stat(int argc, char **argv);
int __byteorctl_stat_seq(const char *name, const struct byteor_attach_options *o,
			 int json);
int __byteorctl_stat_fanout(const char *name,
			    const struct byteor_attach_options *o, int json);
int __byteorctl_stat_journal(const char *name,
			     const struct byteor_attach_options *o, int json);

#endif /* _BYTEORCTL_H */
