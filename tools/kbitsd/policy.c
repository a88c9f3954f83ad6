// SPDX-License-Identifier: GPL-2.0
/*
 * The administrator's settings, like BITS's group policy: how many
 * background jobs run at once, the round-robin slice, whether background
 * jobs yield to other traffic, and caps on each priority's rate, always or
 * during some hours of the day.  They come from /etc/kbits/kbitsd.conf and
 * the command line (which wins); kbitsd(8) documents both.
 *
 * Also the arithmetic of the background rate controller (yield_update()),
 * which bandwidth.c feeds with what it measures: pure functions, tested on
 * the host.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kbitsd.h"

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->max_jobs = MAX_JOBS_DEFAULT;
	p->slice = SLICE_DEFAULT;
	p->yield = true;
}

int policy_parse_rate(const char *s, uint64_t *rate)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end || v > (UINT64_MAX >> shift) || !v)
		return -EINVAL;
	*rate = (uint64_t)v << shift;
	return 0;
}

/* "HH-HH": 0 or -EINVAL. */
static int parse_hours(const char *s, int *from, int *to)
{
	int a, b, n = 0;

	if (sscanf(s, "%2d-%2d%n", &a, &b, &n) != 2 || s[n] || a < 0 || a > 23 ||
	    b < 1 || b > 24 || a == b)
		return -EINVAL;
	*from = a;
	*to = b % 24;
	return 0;
}

int policy_add_cap(struct policy *p, const char *arg, bool file_syntax, const char **why)
{
	char buf[128], *words[4], *save = NULL, *w;
	struct rate_cap c = { .from_hour = -1, .to_hour = -1 };
	size_t n = 0;

	if (strlen(arg) >= sizeof(buf)) {
		*why = "too long";
		return -EINVAL;
	}
	strcpy(buf, arg);
	for (w = strtok_r(buf, file_syntax ? " \t" : "=", &save); w && n < 4;
	     w = strtok_r(NULL, file_syntax ? " \t" : "=", &save))
		words[n++] = w;
	if (n < 2 || n > (file_syntax ? 3u : 2u)) {
		*why = file_syntax ? "expected PRIORITY RATE [HH-HH]" : "expected PRIORITY=RATE";
		return -EINVAL;
	}
	if (kbits_job_priority_from_name(words[0], &c.priority) < 0) {
		*why = "the priority is not foreground, high, normal or low";
		return -EINVAL;
	}
	if (policy_parse_rate(words[1], &c.rate) < 0) {
		*why = "the rate is not a positive number of bytes per second, with K, M or G";
		return -EINVAL;
	}
	if (n == 3 && parse_hours(words[2], &c.from_hour, &c.to_hour) < 0) {
		*why = "the hours are not HH-HH (from 0-23, to 1-24, not equal)";
		return -EINVAL;
	}
	if (p->ncaps == POLICY_CAPS_MAX) {
		*why = "too many caps";
		return -ENOSPC;
	}
	p->caps[p->ncaps++] = c;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int policy_load(struct policy *p, const char *path, bool must_exist)
{
	char line[512];
	unsigned int lineno = 0;
	const char *why;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		if (err == -ENOENT && !must_exist)
			return 0;
		log_msg(LOG_ERR, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		char *key, *val, *eq, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			log_msg(LOG_ERR, "%s:%u: line too long", path, lineno);
			err = -EINVAL;
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			log_msg(LOG_ERR, "%s:%u: expected 'key = value'", path, lineno);
			err = -EINVAL;
			break;
		}
		*eq = 0;
		key = trim(key);
		val = trim(eq + 1);
		why = NULL;
		if (!strcmp(key, "max-jobs")) {
			if (parse_uint(val, 1, SLOTS_LIMIT, &p->max_jobs) < 0)
				why = "max-jobs is a number from 1 to " SLOTS_LIMIT_TEXT;
		} else if (!strcmp(key, "slice")) {
			if (parse_uint(val, 1, 86400, &p->slice) < 0)
				why = "slice is a number of seconds from 1 to 86400";
		} else if (!strcmp(key, "yield")) {
			if (parse_bool(val, &p->yield) < 0)
				why = "yield is yes or no";
		} else if (!strcmp(key, "max-rate")) {
			policy_add_cap(p, val, true, &why);
		} else {
			why = "unknown key (max-jobs, slice, yield, max-rate)";
		}
		if (why) {
			log_msg(LOG_ERR, "%s:%u: %s", path, lineno, why);
			err = -EINVAL;
		}
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

static bool in_hours(const struct rate_cap *c, int hour)
{
	if (c->from_hour < 0)
		return true;
	if (c->from_hour < c->to_hour)
		return hour >= c->from_hour && hour < c->to_hour;
	return hour >= c->from_hour || hour < c->to_hour;	/* past midnight */
}

uint64_t policy_cap(const struct policy *p, enum kbits_job_priority prio, int hour)
{
	uint64_t cap = 0;
	size_t i;

	for (i = 0; i < p->ncaps; i++) {
		const struct rate_cap *c = &p->caps[i];

		if (c->priority == prio && in_hours(c, hour) && (!cap || c->rate < cap))
			cap = c->rate;
	}
	return cap;
}

bool policy_may_slow(const struct policy *p, enum kbits_job_priority prio)
{
	size_t i;

	if (prio != KBITS_PRIORITY_FOREGROUND && p->yield)
		return true;
	for (i = 0; i < p->ncaps; i++) {
		if (p->caps[i].priority == prio)
			return true;
	}
	return false;
}

/*
 * The interface receives more than the background jobs' payload: their
 * packets' headers (about 5% with a 1500-byte MTU), and the jobs' bytes
 * are known only as their workers report them (every 50 ms: over
 * bandwidth.c's 1-second window, 5% late or early).  Other traffic
 * counts when it is above a tenth of their rate and 24 KiB/s: a download
 * that a background job leaves only a tenth of the link shows.
 */
void yield_update(struct yield_ctl *y, uint64_t iface_bytes, uint64_t bg_bytes, int64_t ms)
{
	uint64_t bg, total, other;

	if (ms <= 0)
		return;
	bg = bg_bytes * 1000 / (uint64_t)ms;
	total = iface_bytes * 1000 / (uint64_t)ms;
	other = total > bg ? total - bg : 0;
	if (other > bg / 10 + 24 * 1024) {
		/* someone else wants the link: give it all up at once */
		y->limit = YIELD_FLOOR;
		y->quiet = 0;
		return;
	}
	if (!y->limit)
		return;
	/*
	 * nobody else: after YIELD_HOLD quiet looks (the other may only be
	 * ramping up again), double it, until it is more than the link
	 * could carry
	 */
	if (++y->quiet <= YIELD_HOLD)
		return;
	if (y->limit >= YIELD_CEILING / 2)
		y->limit = 0;
	else
		y->limit *= 2;
}
