// SPDX-License-Identifier: MIT
/*
 * strerror.c - byteor_strerror(): what a negative errno from libbyteor
 * means, in byteor's words where the errno carries a byteor-specific
 * meaning.  Static strings only: no errno, no locale, no allocation.
 */
#include <errno.h>
#include <string.h>
#include "internal.h"

static const char *const messages[] = {
	[EPERM] = "operation not permitted (creating or destroying needs privilege or ownership)",
	[ENOENT] = "no such region (or backing directory, or /dev/byteor missing)",
	[EINTR] = "interrupted by a signal",
	[EIO] = "input/output error",
	[E2BIG] = "argument list too long",
	[EBADF] = "bad file descriptor",
	[EAGAIN] = "would block: lane full or empty",
	[ENOMEM] = "out of memory",
	[EACCES] = "permission denied by the region's owner and mode",
	[EFAULT] = "bad address",
	[EBUSY] = "role already claimed, or region in use",
	[EEXIST] = "a region with this name already exists",
	[ENODEV] = "no such device: byteor.ko not loaded",
	[ENOTDIR] = "backing directory is not a directory",
	[EISDIR] = "is a directory",
	[EINVAL] = "invalid argument: malformed request, geometry, role or queue",
	[ENFILE] = "too many open files in the system",
	[EMFILE] = "too many open files",
	[ENOTTY] = "request not understood by /dev/byteor (module too old?)",
	[EFBIG] = "region too large",
	[ENOSPC] = "no hugepages or shared memory left for the region",
	[EROFS] = "backing directory is read-only",
	[EPIPE] = "peer is gone",
	[ERANGE] = "value out of range",
	[ENAMETOOLONG] = "region name too long (at most 63 bytes)",
	[ENOSYS] = "not supported by this kernel",
	[ELOOP] = "too many levels of symbolic links",
	[EPROTO] = "layout kind or version mismatch, or not a byteor region",
	[EBADMSG] = "geometry mismatch, or corrupt region header",
	[EOVERFLOW] = "journal overrun: position no longer retained",
	[EMSGSIZE] = "message larger than the lane's slot or record size",
	[EOPNOTSUPP] = "operation not supported by this backing or kernel",
	[ETIMEDOUT] = "timed out",
	[ECANCELED] = "operation cancelled",
	[EOWNERDEAD] = "previous owner died",
};

BYTEOR_API const char *byteor_strerror(int err)
{
	unsigned int e = err < 0 ? -(unsigned int)err : (unsigned int)err;
	const char *s;

	if (e == 0)
		return "success";
	if (e < ARRAY_SIZE(messages) && messages[e])
		return messages[e];
	/* glibc's untranslated text: a static string, errno untouched. */
	s = strerrordesc_np((int)e);
	return s ? s : "unknown error";
}
