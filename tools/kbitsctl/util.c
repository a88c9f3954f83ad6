// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: messages, errors in words, JSON, parsing and formatting.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "kbitsctl.h"

const char exit_status_text[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed\n"
	"  2  usage error: unknown command or option, bad argument or GUID, a\n"
	"     name:NAME that names several jobs, or a bad line in add-file --from\n"
	"  3  the job is not in the queue\n"
	"  4  permission denied: the job belongs to another user (or was taken\n"
	"     over by another while kbitsctl had it), the command needs\n"
	"     CAP_SYS_ADMIN, or you may not write in a LOCAL file's directory\n"
	"  5  not allowed in the job's state (e.g. completing an upload job\n"
	"     that is not TRANSFERRED)\n"
	"  6  the transfer failed: the job is in the ERROR state\n"
	"  7  interrupted by SIGINT, SIGTERM or SIGHUP\n";

/* ---------------------------------------------------------------- messages */

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kbitsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_hint(const char *cmd)
{
	if (cmd)
		fprintf(stderr, "Try 'kbitsctl %s --help'.\n", cmd);
	else
		fputs("Try 'kbitsctl --help'.\n", stderr);
	return EXIT_USAGE;
}

int usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("kbitsctl: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return usage_hint(cmd);
}

/* Flushes stdout and reports a failed write (e.g. a full disk, a closed pipe). */
int finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errmsg("cannot write the output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int print_help(const char *text)
{
	fputs(text, stdout);
	return finish_stdout();
}

/* ------------------------------------------------------------ the queue */

int open_kbits(struct kbits **m)
{
	int err = kbits_new(m, 0);

	if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
		errmsg("kbits module not loaded: cannot open /dev/kbits: %s "
		       "(load it with 'modprobe kbits')", strerror(-err));
		return EXIT_FAILED;
	}
	if (err == -EACCES || err == -EPERM) {
		errmsg("cannot open /dev/kbits: %s", strerror(-err));
		return EXIT_DENIED;
	}
	if (err < 0) {
		errmsg("cannot open /dev/kbits: %s", strerror(-err));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int parse_guid_arg(const char *cmd, const char *arg, struct kbits_guid *id)
{
	if (!strncmp(arg, JOB_NAME_PREFIX, strlen(JOB_NAME_PREFIX))) {
		if (!arg[strlen(JOB_NAME_PREFIX)])
			return usage_fail(cmd, "'%s': the name is empty", arg);
		return EXIT_OK;
	}
	if (kbits_guid_parse(arg, id) < 0)
		return usage_fail(cmd, "'%s' is not a GUID ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}) "
				  "or name:NAME", arg);
	return EXIT_OK;
}

int resolve_job_arg(struct kbits *m, const char *cmd, const char *arg, unsigned int enum_flags,
		    struct kbits_guid *id)
{
	const char *name = arg + strlen(JOB_NAME_PREFIX);
	char shown[KBITS_DISPLAY_NAME_MAX * 4 + 1];
	struct kbits_guid *ids = NULL;
	size_t n, i;
	int ret, err;

	ret = parse_guid_arg(cmd, arg, id);
	if (ret || strncmp(arg, JOB_NAME_PREFIX, strlen(JOB_NAME_PREFIX)))
		return ret;
	text_to_buf(shown, sizeof(shown), name);
	err = kbits_find_jobs_by_name(m, name, enum_flags, &ids, &n);
	if (err == -EACCES) {
		errmsg("%s: name:%s: looking among every user's jobs needs CAP_SYS_ADMIN", cmd,
		       shown);
		return EXIT_DENIED;
	}
	if (err) {
		errmsg("%s: cannot list the jobs: %s", cmd, reason_text(err));
		return EXIT_FAILED;
	}
	if (n == 1) {
		*id = ids[0];
		free(ids);
		return EXIT_OK;
	}
	if (!n) {
		errmsg("%s: no job %sis named '%s'", cmd,
		       enum_flags & KBITS_ENUM_ALL_USERS ? "" : "of yours ", shown);
		return EXIT_NOT_FOUND;
	}
	fflush(stdout);
	fprintf(stderr, "kbitsctl: %s: %zu jobs are named '%s':", cmd, n, shown);
	for (i = 0; i < n; i++) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(&ids[i], g);
		fprintf(stderr, " %s", g);
	}
	fputs("; name one by its GUID\n", stderr);
	free(ids);
	return EXIT_USAGE;
}

int get_job(struct kbits *m, const struct kbits_guid *id, struct kbits_job **j)
{
	int err = kbits_get_job(m, id, j);

	return err < 0 ? job_fail(id, NULL, NULL, err) : EXIT_OK;
}

int get_job_arg_flags(const char *cmd, const char *arg, unsigned int enum_flags,
		      struct kbits_guid *id, struct kbits_job **j)
{
	struct kbits *m = NULL;
	int ret;

	ret = parse_guid_arg(cmd, arg, id);
	if (ret)
		return ret;
	ret = open_kbits(&m);
	if (ret)
		return ret;
	ret = resolve_job_arg(m, cmd, arg, enum_flags, id);
	if (!ret)
		ret = get_job(m, id, j);
	kbits_unref(m);
	return ret;
}

int get_job_arg(const char *cmd, const char *arg, struct kbits_guid *id, struct kbits_job **j)
{
	return get_job_arg_flags(cmd, arg, 0, id, j);
}

const char *reason_text(int err)
{
	switch (err) {
	case -ENOENT:
		return "not in the queue";
	case -EACCES:
		return "belongs to another user; permission denied";
	case -EPERM:
		return "permission denied: needs CAP_SYS_ADMIN over the job's user namespace, "
		       "with the job's owner mapped into yours";
	case -ENODATA:
		return "it has no files";
	case -ENOMSG:
		return "it has no error";
	case -EDQUOT:
		return "you have too many jobs (the limit is in "
		       "/sys/module/kbits/parameters/max_jobs_per_user)";
	case -ENOSPC:
		return "the machine has too many jobs (the limit is in "
		       "/sys/module/kbits/parameters/max_jobs)";
	case -E2BIG:
		return "the job would hold too many files (the limit is in "
		       "/sys/module/kbits/parameters/max_files_per_job; an upload job holds one)";
	case -ENAMETOOLONG:
		return "a name or string is too long";
	case -EINVAL:
		return "invalid argument";
	case -EAGAIN:
		return "kbitsd, which puts the files in place, is not running (start it, "
		       "then try again)";
	case -EBUSY:
		return "another complete of the job is already waiting";
	case -ENOTTY:
		return "the loaded kbits module does not know this request (is it older "
		       "than kbitsctl?)";
	case -EINTR:
		return "interrupted";
	}
	return kbits_strerror(err);
}

/*
 * A handle older than the job's last TAKE_OWNERSHIP (through another one):
 * the kernel answers its GET_ID and refuses everything else with EACCES.
 */
bool job_revoked(struct kbits_job *j)
{
	enum kbits_job_state st;
	struct kbits_guid id;

	return kbits_job_get_id(j, &id) == 0 && kbits_job_get_state(j, &st) == -EACCES;
}

int job_fail(const struct kbits_guid *id, struct kbits_job *j, const char *what, int err)
{
	char s[KBITS_GUID_STRING_LEN], pre[128];
	enum kbits_job_state st;
	uid_t owner;

	kbits_guid_format(id, s);
	if (what)
		snprintf(pre, sizeof(pre), "job %s: cannot %s", s, what);
	else
		snprintf(pre, sizeof(pre), "job %s", s);

	switch (err) {
	case -ENOENT:
		errmsg("%s: %s", pre, reason_text(err));
		return EXIT_NOT_FOUND;
	case -EACCES:
		if (j && job_revoked(j)) {
			errmsg("%s: this handle was revoked: the job was taken over by another user",
			       pre);
			return EXIT_DENIED;
		}
		if (j && kbits_job_get_owner(j, &owner) == 0) {
			char o[64];

			format_owner(o, sizeof(o), owner);
			errmsg("%s: belongs to %s; permission denied", pre, o);
		} else {
			errmsg("%s: %s", pre, reason_text(err));
		}
		return EXIT_DENIED;
	case -EPERM:
		errmsg("%s: %s", pre, reason_text(err));
		return EXIT_DENIED;
	case -EBADFD:
		if (j && kbits_job_get_state(j, &st) == 0)
			errmsg("%s: not allowed in state %s", pre, kbits_job_state_name(st));
		else
			errmsg("%s: not allowed in the job's state", pre);
		return EXIT_STATE;
	case -EINTR:
		errmsg("%s: %s", pre, reason_text(err));
		return EXIT_INTERRUPTED;
	}
	errmsg("%s: %s", pre, reason_text(err));
	return EXIT_FAILED;
}

/* ---------------------------------------------------------------- UTF-8 */

/* The length of the UTF-8 character at @s, or 0 when it is not one. */
static size_t utf8_char(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_char(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (c == '\\')
			fputs("\\\\", f);
		else
			fputc(c, f);
	}
}

void text_to_buf(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	if (!size)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		size_t len;

		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		} else if (c == '\\') {
			strcpy(tmp, "\\\\");
		} else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
		}
		len = strlen(tmp);
		if (o + len + 1 > size)
			break;
		memcpy(buf + o, tmp, len);
		o += len;
	}
	/* Do not end in the middle of a UTF-8 character. */
	while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80 && *s)
		o--;
	if (o > 0 && *s && ((unsigned char)buf[o - 1] & 0xc0) == 0xc0)
		o--;
	buf[o] = '\0';
}

void cut_utf8(char *buf, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (!size)
		return;
	if (len < size) {
		memcpy(buf, s, len + 1);
		return;
	}
	len = size - 1;
	/* Back to the start of the character that the cut splits. */
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

void put_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		unsigned char c = *p;
		size_t n;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			p++;
			continue;
		case '\\':
			fputs("\\\\", f);
			p++;
			continue;
		case '\n':
			fputs("\\n", f);
			p++;
			continue;
		case '\r':
			fputs("\\r", f);
			p++;
			continue;
		case '\t':
			fputs("\\t", f);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			p++;
			continue;
		}
		n = utf8_char(p);
		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

void put_json_string_or_null(FILE *f, const char *s)
{
	if (s)
		put_json_string(f, s);
	else
		fputs("null", f);
}

/* ------------------------------------------------------------ formatting */

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

bool state_is_final(enum kbits_job_state s)
{
	return s == KBITS_JOB_STATE_ACKNOWLEDGED || s == KBITS_JOB_STATE_CANCELLED;
}

/* ---------------------------------------------------------------- parsing */

static const char *const priority_names[] = { "foreground", "high", "normal", "low" };

int parse_priority(const char *s, enum kbits_job_priority *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, priority_names[i])) {
			*p = (enum kbits_job_priority)i;
			return 0;
		}
	}
	return -1;
}

const char *priority_name(enum kbits_job_priority p)
{
	return (unsigned int)p < 4 ? priority_names[p] : "unknown";
}

int parse_type(const char *s, enum kbits_job_type *t)
{
	if (!strcasecmp(s, "download"))
		*t = KBITS_JOB_TYPE_DOWNLOAD;
	else if (!strcasecmp(s, "upload"))
		*t = KBITS_JOB_TYPE_UPLOAD;
	else if (!strcasecmp(s, "upload-reply") || !strcasecmp(s, "upload_reply"))
		*t = KBITS_JOB_TYPE_UPLOAD_REPLY;
	else
		return -1;
	return 0;
}

static const struct {
	const char *name;
	uint32_t flag;
} notify_names[] = {
	{ "transferred", KBITS_NOTIFY_JOB_TRANSFERRED },
	{ "error", KBITS_NOTIFY_JOB_ERROR },
	{ "disable", KBITS_NOTIFY_DISABLE },
	{ "modification", KBITS_NOTIFY_JOB_MODIFICATION },
	{ "file-transferred", KBITS_NOTIFY_FILE_TRANSFERRED },
};

#define N_NOTIFY (sizeof(notify_names) / sizeof(notify_names[0]))

int parse_notify(const char *s, uint32_t *flags)
{
	char *copy, *tok, *save = NULL;
	uint32_t f = 0;
	int ret = 0;

	if (!*s)
		return -1;
	copy = strdup(s);
	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		char *end;
		unsigned long v;

		if (!strcasecmp(tok, "none"))
			continue;
		if (!strcasecmp(tok, "all")) {
			f |= KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR |
			     KBITS_NOTIFY_JOB_MODIFICATION | KBITS_NOTIFY_FILE_TRANSFERRED;
			continue;
		}
		for (i = 0; i < N_NOTIFY; i++) {
			if (!strcasecmp(tok, notify_names[i].name) ||
			    (!strcasecmp(tok, "file_transferred") &&
			     notify_names[i].flag == KBITS_NOTIFY_FILE_TRANSFERRED)) {
				f |= notify_names[i].flag;
				break;
			}
		}
		if (i < N_NOTIFY)
			continue;
		errno = 0;
		v = strtoul(tok, &end, 0);
		if (errno || *end || tok[0] == '-' || v & ~(unsigned long)KBITS_NOTIFY_ALL) {
			ret = -1;
			break;
		}
		f |= (uint32_t)v;
	}
	free(copy);
	if (!ret)
		*flags = f;
	return ret;
}

void format_notify(char *buf, size_t size, uint32_t flags)
{
	size_t o = 0, i;

	buf[0] = '\0';
	for (i = 0; i < N_NOTIFY; i++) {
		if (!(flags & notify_names[i].flag))
			continue;
		if (o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
					      notify_names[i].name);
		flags &= ~notify_names[i].flag;
	}
	if (flags && o < size)
		o += (size_t)snprintf(buf + o, size - o, "%s0x%x", o ? "," : "", flags);
	if (!o)
		snprintf(buf, size, "none");
}

void put_json_notify(FILE *f, uint32_t flags)
{
	bool first = true;
	size_t i;

	fputc('[', f);
	for (i = 0; i < N_NOTIFY; i++) {
		if (flags & notify_names[i].flag) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", notify_names[i].name);
			first = false;
		}
	}
	fputc(']', f);
}

int parse_seconds(const char *s, uint32_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		if (end[1])
			return -1;
		switch (*end) {
		case 's':
			break;
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'd':
			mul = 86400;
			break;
		default:
			return -1;
		}
	}
	if (v > UINT32_MAX / mul)
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

/* ------------------------------------------------------------------ paths */

bool is_url(const char *s)
{
	const char *p = s;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return p[0] == ':' && p[1] == '/' && p[2] == '/';
}

char *absolute_path(const char *path)
{
	char *cwd, *joined, *out, *tok, *save = NULL;
	size_t len, o = 0;

	if (path[0] == '/' || is_url(path) || !path[0])
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	len = strlen(cwd) + strlen(path) + 2;
	joined = malloc(len);
	out = malloc(len + 1);
	if (!joined || !out) {
		free(cwd);
		free(joined);
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(joined, len, "%s/%s", cwd, path);
	free(cwd);
	/* Lexically, as realpath -s: no "." components, ".." takes one off. */
	for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, tok, strlen(tok));
		o += strlen(tok);
	}
	if (!o)
		out[o++] = '/';
	/* A trailing slash says "a directory": keep it (the kernel then refuses it). */
	if (path[strlen(path) - 1] == '/' && out[o - 1] != '/')
		out[o++] = '/';
	out[o] = '\0';
	free(joined);
	return out;
}

const char *check_file_pair(const char *remote, const char *local, const char **which)
{
	*which = "REMOTE";
	if (!*remote)
		return "it is empty";
	if (!utf8_valid(remote))
		return "it is not valid UTF-8";
	if (strlen(remote) > KBITS_REMOTE_NAME_MAX)
		return "it is longer than 2200 bytes";
	if (is_url(remote)) {
		if (strncasecmp(remote, "http://", 7) && strncasecmp(remote, "https://", 8) &&
		    strncasecmp(remote, "file://", 7))
			return "only http://, https:// and file:// URLs are supported";
		if (!strncasecmp(remote, "file://", 7) && remote[7] != '/')
			return "a file:// URL needs an absolute path (file:///dir/name)";
	} else if (remote[0] != '/') {
		return "it is not a URL or an absolute path";
	}
	*which = "LOCAL";
	if (!*local)
		return "it is empty";
	if (!utf8_valid(local))
		return "it is not valid UTF-8";
	if (strlen(local) > KBITS_LOCAL_NAME_MAX)
		return "it is longer than 4095 bytes";
	if (local[0] != '/')
		return "it is not an absolute path";
	return NULL;
}

/* ----------------------------------------------------------------- errors */

const char *errno_name(int e)
{
#ifdef HAVE_STRERRORDESC_NP
	return strerrorname_np(e);
#else
	(void)e;
	return NULL;
#endif
}

const char *http_reason(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return NULL;
}

const char *error_context_name(enum kbits_error_context c)
{
	switch (c) {
	case KBITS_ERROR_CONTEXT_NONE:			return "NONE";
	case KBITS_ERROR_CONTEXT_GENERAL:		return "GENERAL";
	case KBITS_ERROR_CONTEXT_LOCAL_FILE:		return "LOCAL_FILE";
	case KBITS_ERROR_CONTEXT_REMOTE_FILE:		return "REMOTE_FILE";
	case KBITS_ERROR_CONTEXT_TRANSPORT:		return "TRANSPORT";
	case KBITS_ERROR_CONTEXT_REMOTE_APPLICATION:	return "REMOTE_APPLICATION";
	}
	return "UNKNOWN";
}

/*
 * The code is "a positive errno, or an HTTP status", and errnos reach past
 * 100 (ECONNREFUSED is 111): a status is a code from 100 to 599 that an
 * HTTP server's answer gave, so in the REMOTE_FILE or REMOTE_APPLICATION
 * context, of a file whose remote name is an http(s) URL when the error
 * names a file.
 */
bool error_is_http(const struct kbits_error *e, const struct kbits_file *files, size_t n)
{
	if (e->code < 100 || e->code > 599)
		return false;
	if (e->context != KBITS_ERROR_CONTEXT_REMOTE_FILE &&
	    e->context != KBITS_ERROR_CONTEXT_REMOTE_APPLICATION)
		return false;
	if (e->file_index != KBITS_NO_FILE && e->file_index < n)
		return !strncasecmp(files[e->file_index].remote_name, "http", 4) &&
		       is_url(files[e->file_index].remote_name);
	return true;
}

void describe_error(char *buf, size_t size, const struct kbits_error *e,
		    const struct kbits_file *files, size_t n)
{
	char code[160], text[KBITS_ERROR_TEXT_MAX + 1], raw[4096 + KBITS_ERROR_TEXT_MAX];
	const char *where = NULL;

	if (e->file_index != KBITS_NO_FILE && e->file_index < n)
		where = e->context == KBITS_ERROR_CONTEXT_LOCAL_FILE ?
			files[e->file_index].local_name : files[e->file_index].remote_name;

	if (error_is_http(e, files, n)) {
		const char *r = http_reason(e->code);

		snprintf(code, sizeof(code), "HTTP %d%s%s", e->code, r ? " " : "", r ? r : "");
	} else if (e->code > 0) {
		const char *name = errno_name(e->code);

		snprintf(code, sizeof(code), "%s (%s)", strerror(e->code), name ? name : "?");
	} else {
		snprintf(code, sizeof(code), "error %d", e->code);
	}
	snprintf(text, sizeof(text), "%s", e->text ? e->text : "");
	/* kbitsd's texts may start with the name again: say it once. */
	if (where) {
		size_t wl = strlen(where);

		if (!strncmp(text, where, wl) && !strncmp(text + wl, ": ", 2))
			memmove(text, text + wl + 2, strlen(text + wl + 2) + 1);
	}
	snprintf(raw, sizeof(raw), "%s%s%s%s%s", where ? where : "", where ? ": " : "", code,
		 text[0] ? ": " : "", text);
	text_to_buf(buf, size, raw);
}

void put_json_error_members(FILE *f, const struct kbits_error *e,
			    const struct kbits_file *files, size_t n)
{
	bool http = error_is_http(e, files, n);
	bool has_file = e->file_index != KBITS_NO_FILE && e->file_index < n;
	char words[2048];

	fprintf(f, "\"context\": \"%s\", \"code\": %d, ", error_context_name(e->context), e->code);
	if (http) {
		fprintf(f, "\"http_status\": %d, \"errno\": null, ", e->code);
	} else {
		fputs("\"http_status\": null, \"errno\": ", f);
		put_json_string_or_null(f, e->code > 0 ? errno_name(e->code) : NULL);
		fputs(", ", f);
	}
	if (e->file_index == KBITS_NO_FILE)
		fputs("\"file_index\": null, ", f);
	else
		fprintf(f, "\"file_index\": %u, ", e->file_index);
	fputs("\"remote_name\": ", f);
	put_json_string_or_null(f, has_file ? files[e->file_index].remote_name : NULL);
	fputs(", \"local_name\": ", f);
	put_json_string_or_null(f, has_file ? files[e->file_index].local_name : NULL);
	fputs(", \"text\": ", f);
	put_json_string(f, e->text ? e->text : "");
	describe_error(words, sizeof(words), e, files, n);
	fputs(", \"description\": ", f);
	put_json_string(f, words);
}
