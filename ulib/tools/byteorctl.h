/* SPDX-License-Identifier: MIT */
/*
 * byteorctl.h - what the files of the byteorctl command share: the `stat`
 * and `watch` subcommands (each parses its own command line, argv[0] being
 * the subcommand, and returns the exit status) and the snapshot printers.
 * __byteorctl_stat_once() prints the snapshot of a region of any kind;
 * the per-kind printers do one kind each.  Each printer attaches to
 * region @name as an observer (backing and directory from @o), prints the
 * lane snapshot human-readable or, with @json, as JSON with
 * "schema":"byteor.stat.v1", and returns the exit status (0, or 1 after an
 * error on stderr).
 */
#ifndef _BYTEORCTL_H
#define _BYTEORCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <byteor/common.h>

int __byteorctl_stat(int argc, char **argv);
int __byteorctl_stat_once(const char *name, const struct byteor_attach_options *o,
			  int json);
int __byteorctl_watch(int argc, char **argv);
int __byteorctl_apply(int argc, char **argv);
int __byteorctl_stat_seq(const char *name, const struct byteor_attach_options *o,
			 int json);
int __byteorctl_stat_fanout(const char *name,
			    const struct byteor_attach_options *o, int json);
int __byteorctl_stat_journal(const char *name,
			     const struct byteor_attach_options *o, int json);
/* The monitoring commands (ctl_check.c, ctl_export.c). */
int __byteorctl_check(int argc, char **argv);
int __byteorctl_stat_error(const char *name, int json, int err);
int __byteorctl_json_exact(void);
const char *__byteorctl_user(unsigned int uid, char *buf, size_t len);
const char *__byteorctl_group(unsigned int gid, char *buf, size_t len);
const char *__byteorctl_access(unsigned int uid, unsigned int gid,
			       unsigned int mode);
const char *__byteorctl_human(unsigned long long bytes, char *buf, size_t len);
void __byteorctl_json_exact_write(const char *s, size_t n, FILE *out);
const char *__byteorctl_create_rule(const char *name, __u32 kind,
				    const struct byteor_geometry *g,
				    char *buf, size_t len);
int __byteorctl_export(int argc, char **argv);
/* Operator's helpers (ctl_admin.c). */
int __byteorctl_parse_owner(const char *s, bool group, __u32 *out);
void __byteorctl_warn_disk_dir(enum byteor_backing backing, const char *dir);
int __byteorctl_cmd_help(const char *cmd);

#endif /* _BYTEORCTL_H */
