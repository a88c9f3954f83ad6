// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsd's log: one line per message on stderr, with the sd-daemon(3)
 * priority prefix ("<3>" ... "<7>") that the journal reads.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kbitsd.h"

/*
 * Messages quote names users chose (paths, URLs, display names): a control
 * character is written as \xNN, so that a name with a newline cannot start
 * a line of its own (with a priority prefix of its choosing), and a
 * backslash as \\, so that the escapes are unambiguous.
 */
static void escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *in && o + 5 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f || c == '\\') {
			out[o++] = '\\';
			if (c == '\\') {
				out[o++] = '\\';
				continue;
			}
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
}

static void vlog_line(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char line[2048], safe[4 * sizeof(line)];
	int len;

	len = vsnprintf(line, sizeof(line), fmt, ap);
	if (len < 0)
		return;
	escape(line, safe, sizeof(safe));
	/* one write per line, so that lines of a dying child never mix in */
	fprintf(stderr, "<%d>kbitsd: %s%s\n", prio, prefix, safe);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(prio, "", fmt, ap);
	va_end(ap);
}

void log_job(int prio, const struct kbits_guid *id, const char *fmt, ...)
{
	char prefix[KBITS_GUID_STRING_LEN + 8];
	char guid[KBITS_GUID_STRING_LEN];
	va_list ap;

	kbits_guid_format(id, guid);
	snprintf(prefix, sizeof(prefix), "job %s: ", guid);
	va_start(ap, fmt);
	vlog_line(prio, prefix, fmt, ap);
	va_end(ap);
}
