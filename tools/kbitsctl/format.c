// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: numbers, times, owners and progress in words.
 */
#include "config.h"

#include <pwd.h>
#include <time.h>

#include "kbitsctl.h"

void format_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	int u = -1;

	if (n == KBITS_SIZE_UNKNOWN) {
		snprintf(buf, size, "?");
		return;
	}
	if (n < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

void format_time(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || !localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, size, t ? "%lld" : "never", (long long)t);
}

void format_duration(char *buf, size_t size, uint32_t seconds)
{
	static const struct {
		const char *name;
		uint32_t len;
	} parts[] = {
		{ "day", 86400 }, { "hour", 3600 }, { "minute", 60 }, { "second", 1 },
	};
	size_t o = 0, i;

	if (seconds == 0) {
		snprintf(buf, size, "0 seconds");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uint32_t q = seconds / parts[i].len;

		if (!q)
			continue;
		seconds -= q * parts[i].len;
		if (o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%u %s%s", o ? " " : "", q,
					      parts[i].name, q == 1 ? "" : "s");
	}
}

void format_owner(char *buf, size_t size, uid_t uid)
{
	const char *name = user_name(uid);

	if (name)
		snprintf(buf, size, "%s (%u)", name, (unsigned int)uid);
	else
		snprintf(buf, size, "%u", (unsigned int)uid);
}

const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? pw->pw_name : NULL;
}

int progress_percent(const struct kbits_job_progress *p)
{
	if (!p->files_total)
		return -1;	/* nothing to transfer yet */
	if (p->bytes_total == KBITS_SIZE_UNKNOWN) {
		if (p->files_total && p->files_transferred == p->files_total)
			return 100;
		return -1;
	}
	if (p->bytes_total == 0)
		return p->files_transferred < p->files_total ? 0 : 100;
	return (int)((double)p->bytes_transferred * 100.0 / (double)p->bytes_total);
}

void format_bar(char *buf, int width, const struct kbits_job_progress *p)
{
	int pc = progress_percent(p), fill, i;

	if (pc < 0) {
		/* Unknown size: the files' share. */
		fill = p->files_total ? (int)((long)width * p->files_transferred / p->files_total) : 0;
	} else {
		fill = width * pc / 100;
	}
	for (i = 0; i < width; i++)
		buf[i] = i < fill ? '#' : '-';
	buf[width] = '\0';
}

void format_progress(char *buf, size_t size, const struct kbits_job_progress *p)
{
	char done[32], total[32];
	int pc = progress_percent(p);

	format_bytes(done, sizeof(done), p->bytes_transferred);
	format_bytes(total, sizeof(total), p->bytes_total);
	if (pc >= 0)
		snprintf(buf, size, "%u/%u files, %s of %s (%d%%)", p->files_transferred,
			 p->files_total, done, total, pc);
	else if (!p->files_total)
		snprintf(buf, size, "no files");
	else
		snprintf(buf, size, "%u/%u files, %s of ? (size not known yet)",
			 p->files_transferred, p->files_total, done);
}
