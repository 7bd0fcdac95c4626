// SPDX-License-Identifier: MIT
/*
 * ctl_json.c - byteorctl's JSON keeps 64-bit counters exact for jq and
 * JavaScript, whose numbers are doubles (exact to 2^53 - 1): an integer
 * above 2^53 - 1 is written as a decimal string ("9007199254740993")
 * instead of a number; every smaller one stays a number.  A reader that
 * wants the value exactly takes either form (jq: tonumber on a string is
 * exact only in jq 1.7+; `tostring` keeps the digits).  docs/design.md
 * ("byteorctl JSON") says the same.
 *
 * One place does it for every command: with --json, stdout goes to a
 * memory buffer, and at exit the buffer is written out with such numbers
 * quoted.  Output is small (one object, or one per region).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "byteorctl.h"

#define JSON_EXACT_MAX	9007199254740991ULL	/* 2^53 - 1 */

static FILE *real_stdout;
static char *buf;
static size_t len;

/*
 * Write @s (@n bytes of JSON text) to @out with every unsigned integer
 * token above 2^53 - 1 quoted.  Tokens inside strings are left alone.
 */
void __byteorctl_json_exact_write(const char *s, size_t n, FILE *out)
{
	bool in_str = false, esc = false;
	size_t i = 0, j;

	while (i < n) {
		char c = s[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			fputc(c, out);
			i++;
			continue;
		}
		if (c == '"') {
			in_str = true;
			fputc(c, out);
			i++;
			continue;
		}
		if (c < '0' || c > '9' ||
		    (i && ((s[i - 1] >= '0' && s[i - 1] <= '9') ||
			   s[i - 1] == '-' || s[i - 1] == '.'))) {
			fputc(c, out);
			i++;
			continue;
		}
		/* An integer token starts here: where does it end? */
		for (j = i; j < n && s[j] >= '0' && s[j] <= '9'; j++)
			;
		if (j < n && (s[j] == '.' || s[j] == 'e' || s[j] == 'E')) {
			fwrite(s + i, 1, j - i, out);	/* not an integer */
		} else {
			char tok[32];
			unsigned long long v;
			bool big = j - i > 16;

			if (!big) {
				memcpy(tok, s + i, j - i);
				tok[j - i] = '\0';
				v = strtoull(tok, NULL, 10);
				big = v > JSON_EXACT_MAX;
			}
			if (big)
				fputc('"', out);
			fwrite(s + i, 1, j - i, out);
			if (big)
				fputc('"', out);
		}
		i = j;
	}
}

static void json_exact_flush(void)
{
	fflush(stdout);
	fclose(stdout);
	stdout = real_stdout;
	__byteorctl_json_exact_write(buf, len, stdout);
	fflush(stdout);
	free(buf);
}

/*
 * From now on, stdout is held and written at exit with large integers
 * quoted.  Return: 0, or -1 (stdout left as it was).
 */
int __byteorctl_json_exact(void)
{
	FILE *mem;

	fflush(stdout);
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -1;
	real_stdout = stdout;
	stdout = mem;
	if (atexit(json_exact_flush)) {
		stdout = real_stdout;
		fclose(mem);
		return -1;
	}
	return 0;
}
