// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: a job's settings as options, parsed once for set and transfer
 * (set changes an existing job's, transfer gives its new job them), and
 * made all or none.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kbitsctl.h"

const char settings_help[] =
	"  -p, --priority PRIORITY       foreground, high, normal or low\n"
	"  -d, --description TEXT        at most 1024 bytes of UTF-8\n"
	"  -n, --display-name NAME       at most 256 bytes of UTF-8\n"
	"  -r, --retry-delay SECONDS     before a transient error is retried; at\n"
	"                                least 5 (default 600)\n"
	"  -t, --no-progress-timeout SECONDS\n"
	"                                without progress before an error is final\n"
	"                                (default 14 days); 0: at once\n"
	"      --notify FLAGS            which changes make events: comma-separated\n"
	"                                transferred, error, modification,\n"
	"                                file-transferred, disable; all, none, or a\n"
	"                                number (0x3: transferred,error, the default)\n"
	"      --proxy-usage USAGE       system (kbitsd's own settings), none, or\n"
	"                                override (needs --proxy-list)\n"
	"      --proxy-list LIST         proxies to try, as curl takes them\n"
	"                                (implies --proxy-usage override)\n"
	"      --proxy-bypass LIST       hosts reached directly (with override)\n"
	"      --headers-file FILE       custom HTTP headers from FILE ('-': stdin),\n"
	"                                \"Name: value\" lines; an empty file removes\n"
	"                                them. Headers may hold tokens: a file keeps\n"
	"                                them out of the process list\n"
	"      --dynamic-content on|off  the files may change with every request and\n"
	"                                come without a length or ranges: accepted,\n"
	"                                and never resumed (default off)\n"
	"      --max-download-time SECONDS\n"
	"                                connecting or transferring before the job\n"
	"                                is an error (default 90 days); 0: no limit.\n"
	"                                Queued and retry waits do not count; a\n"
	"                                resume starts it over\n"
	"      --headers-write-only      make the custom HTTP headers write-only\n"
	"                                (for tokens): no command shows them again,\n"
	"                                only kbitsd sends them. IRREVERSIBLE: they\n"
	"                                may be replaced or removed, never read\n";

static int check_string(const char *cmd, const char *what, const char *s, size_t max)
{
	if (!utf8_valid(s))
		return usage_fail(cmd, "the %s is not valid UTF-8", what);
	if (strlen(s) > max)
		return usage_fail(cmd, "the %s is longer than %zu bytes", what, max);
	return EXIT_OK;
}

int settings_option(const char *cmd, struct settings *st, int c, const char *arg)
{
	int ret;

	switch (c) {
	case 'p':
		if (kbits_job_priority_from_name(arg, &st->priority) < 0)
			return usage_fail(cmd, "unknown priority '%s' (foreground, high, normal or low)",
					  arg);
		st->prio = true;
		return EXIT_OK;
	case 'd':
		ret = check_string(cmd, "description", arg, KBITS_DESCRIPTION_MAX);
		if (!ret)
			st->description = arg;
		return ret;
	case 'n':
		ret = check_string(cmd, "display name", arg, KBITS_DISPLAY_NAME_MAX);
		if (!ret)
			st->display_name = arg;
		return ret;
	case 'r':
		if (parse_seconds(arg, &st->retry_delay) < 0)
			return usage_fail(cmd, "--retry-delay: '%s' is not a number of seconds", arg);
		if (st->retry_delay < KBITS_MIN_RETRY_DELAY_MIN)
			return usage_fail(cmd, "--retry-delay: at least %d seconds",
					  KBITS_MIN_RETRY_DELAY_MIN);
		st->retry = true;
		return EXIT_OK;
	case 't':
		if (parse_seconds(arg, &st->no_progress_timeout) < 0)
			return usage_fail(cmd, "--no-progress-timeout: '%s' is not a number of seconds",
					  arg);
		st->timeout = true;
		return EXIT_OK;
	case OPT_NOTIFY:
		if (parse_notify(arg, &st->notify_flags) < 0)
			return usage_fail(cmd, "--notify: '%s' is not a list of transferred, error, modification, file-transferred, disable, all, none or a number",
					  arg);
		st->notify = true;
		return EXIT_OK;
	case OPT_PROXY_USAGE:
		st->usage_arg = arg;
		return EXIT_OK;
	case OPT_PROXY_LIST:
		st->proxy_list = arg;
		return EXIT_OK;
	case OPT_PROXY_BYPASS:
		st->proxy_bypass = arg;
		return EXIT_OK;
	case OPT_HEADERS:
		st->headers_arg = arg;
		return EXIT_OK;
	case OPT_HEADERS_FILE:
		st->headers_file = arg;
		return EXIT_OK;
	case OPT_DYNAMIC:
		if (!strcasecmp(arg, "on"))
			st->dynamic = true;
		else if (!strcasecmp(arg, "off"))
			st->dynamic = false;
		else
			return usage_fail(cmd, "--dynamic-content: '%s' is not on or off", arg);
		st->dyn = true;
		return EXIT_OK;
	case OPT_MAX_DOWNLOAD_TIME:
		if (parse_seconds(arg, &st->max_download_time) < 0)
			return usage_fail(cmd, "--max-download-time: '%s' is not a number of seconds",
					  arg);
		st->mdt = true;
		return EXIT_OK;
	case OPT_HEADERS_WRITE_ONLY:
		st->headers_write_only = true;
		return EXIT_OK;
	case OPT_REPLY_FILE:
		/* made absolute by settings_finish(): nothing to free on a usage error */
		st->reply_file_arg = arg;
		return EXIT_OK;
	case OPT_UPLOAD_METHOD:
		if (!strcasecmp(arg, "put"))
			st->upload_post = false;
		else if (!strcasecmp(arg, "post"))
			st->upload_post = true;
		else
			return usage_fail(cmd, "--upload-method: '%s' is not put or post", arg);
		st->upload_method = true;
		return EXIT_OK;
	case OPT_NOTIFY_CMD:
		/* split by settings_finish(): nothing to free when a later option fails */
		st->notify_cmd_arg = arg;
		return EXIT_OK;
	}
	return -1;
}

/* "A: b\nC: d" -> "A: b\r\nC: d" */
static char *headers_crlf(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '\n' && (o == out || o[-1] != '\r'))
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/*
 * The headers in @path ("-": stdin), malloc'd, without the line ends at its
 * end; NULL when it cannot be read or is too long (said, *ret set).
 */
static char *read_headers_file(const char *cmd, const char *path, int *ret)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t cap = KBITS_HTTP_HEADERS_MAX * 2 + 2, len;
	char *buf;

	*ret = EXIT_FAILED;
	if (!f) {
		errmsg("%s: --headers-file: cannot open %s: %s", cmd, path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	if (!buf) {
		errmsg("out of memory");
		goto out;
	}
	/* With CR LF it is at most twice KBITS_HTTP_HEADERS_MAX: read one past. */
	len = fread(buf, 1, cap - 1, f);
	if (ferror(f)) {
		errmsg("%s: --headers-file: cannot read %s: %s", cmd, path, strerror(errno));
		goto fail;
	}
	if (len == cap - 1) {
		*ret = usage_fail(cmd, "--headers-file: %s is longer than %d bytes", path,
				  KBITS_HTTP_HEADERS_MAX);
		goto fail;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		*ret = usage_fail(cmd, "--headers-file: %s has a NUL byte", path);
		goto fail;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	*ret = EXIT_OK;
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	if (f != stdin)
		fclose(f);
	return buf;
}

int settings_finish(const char *cmd, struct settings *st)
{
	const char *raw;
	char *file = NULL;
	int ret;

	if (st->usage_arg || st->proxy_list || st->proxy_bypass) {
		st->proxy = true;
		st->proxy_usage = KBITS_PROXY_OVERRIDE;
		if (st->usage_arg && !strcasecmp(st->usage_arg, "system"))
			st->proxy_usage = KBITS_PROXY_SYSTEM;
		else if (st->usage_arg && !strcasecmp(st->usage_arg, "none"))
			st->proxy_usage = KBITS_PROXY_NONE;
		else if (st->usage_arg && strcasecmp(st->usage_arg, "override"))
			return usage_fail(cmd, "unknown proxy usage '%s' (system, none or override)",
					  st->usage_arg);
		if (st->proxy_usage != KBITS_PROXY_OVERRIDE && (st->proxy_list || st->proxy_bypass))
			return usage_fail(cmd, "--proxy-list and --proxy-bypass go with --proxy-usage override");
		if (st->proxy_usage == KBITS_PROXY_OVERRIDE && (!st->proxy_list || !*st->proxy_list))
			return usage_fail(cmd, "--proxy-usage override needs --proxy-list");
		if (st->proxy_list && (!utf8_valid(st->proxy_list) ||
				       strlen(st->proxy_list) > KBITS_PROXY_LIST_MAX))
			return usage_fail(cmd, "--proxy-list: not UTF-8, or longer than %d bytes",
					  KBITS_PROXY_LIST_MAX);
		if (st->proxy_bypass && (!utf8_valid(st->proxy_bypass) ||
					 strlen(st->proxy_bypass) > KBITS_PROXY_LIST_MAX))
			return usage_fail(cmd, "--proxy-bypass: not UTF-8, or longer than %d bytes",
					  KBITS_PROXY_LIST_MAX);
	}
	if (st->notify_cmd_arg) {
		char why[160];

		ret = split_cmdline(st->notify_cmd_arg, &st->notify_cmd, why, sizeof(why));
		if (ret == -ENOMEM) {
			errmsg("out of memory");
			return EXIT_FAILED;
		}
		if (ret)
			return usage_fail(cmd, "--notify-cmd: %s", why);
	}
	if (st->reply_file_arg && *st->reply_file_arg) {
		char shown[KBITS_LOCAL_NAME_MAX * 4 + 1];

		text_to_buf(shown, sizeof(shown), st->reply_file_arg);
		if (is_url(st->reply_file_arg))
			return usage_fail(cmd, "--reply-file '%s': it is not a path", shown);
		if (!utf8_valid(st->reply_file_arg))
			return usage_fail(cmd, "--reply-file '%s': not valid UTF-8", shown);
		/* relative: against the current directory, as add-file's LOCAL names */
		st->reply_file = absolute_path(st->reply_file_arg);
		if (!st->reply_file) {
			errmsg("cannot make a path absolute: %s", strerror(errno));
			return EXIT_FAILED;
		}
		if (strlen(st->reply_file) > KBITS_LOCAL_NAME_MAX)
			return usage_fail(cmd, "--reply-file '%s': longer than %d bytes", shown,
					  KBITS_LOCAL_NAME_MAX);
	} else if (st->reply_file_arg) {
		st->reply_file = strdup("");
		if (!st->reply_file) {
			errmsg("out of memory");
			return EXIT_FAILED;
		}
	}
	if (st->headers_arg && st->headers_file)
		return usage_fail(cmd, "--headers and --headers-file do not go together");
	raw = st->headers_arg;
	if (st->headers_file) {
		file = read_headers_file(cmd, st->headers_file, &ret);
		if (!file)
			return ret;
		raw = file;
	}
	if (raw) {
		st->headers = headers_crlf(raw);
		free(file);
		if (!st->headers) {
			errmsg("out of memory");
			return EXIT_FAILED;
		}
		if (!utf8_valid(st->headers) || strlen(st->headers) > KBITS_HTTP_HEADERS_MAX) {
			free(st->headers);
			st->headers = NULL;
			return usage_fail(cmd, "%s: not UTF-8, or longer than %d bytes",
					  st->headers_file ? "--headers-file" : "--headers",
					  KBITS_HTTP_HEADERS_MAX);
		}
	}
	return EXIT_OK;
}

bool settings_any(const struct settings *st)
{
	return st->prio || st->notify || st->retry || st->timeout || st->description ||
	       st->display_name || st->proxy || st->headers || st->dyn || st->mdt ||
	       st->notify_cmd || st->headers_write_only || st->reply_file || st->upload_method;
}

void settings_free(struct settings *st)
{
	free(st->headers);
	st->headers = NULL;
	kbits_strv_free(st->notify_cmd);
	st->notify_cmd = NULL;
	free(st->reply_file);
	st->reply_file = NULL;
}

/*
 * settings_apply()'s steps.  Each makes its change and undoes it, in an
 * order that can be undone: the headers last, so that they never need
 * undoing.  What they undo with is read before any change: the settings
 * GET_ATTR has, at once, and those with a call of their own.
 */
struct undo {
	struct kbits_job_attrs attrs;
	char *description, *display_name;
	enum kbits_proxy_usage proxy_usage;
	char *proxy_list, *proxy_bypass;
	char **notify_cmd;		/* NULL: none */
	char *reply_file;		/* NULL: none */
	char *headers;			/* NULL: none */
	bool headers_unread;		/* write-only already: nothing to undo with */
};

struct set_step {
	const char *what;		/* "cannot WHAT" */
	bool (*wanted)(const struct settings *st);
	/* Reads what to undo with, when not in undo.attrs; NULL: nothing to read. */
	int (*save)(struct kbits_job *j, struct undo *u);
	int (*apply)(struct kbits_job *j, const struct settings *st);
	/* Best effort: the job may be final by now.  NULL: never undone. */
	void (*undo)(struct kbits_job *j, const struct undo *u);
	/* What the value must be, when the kernel refuses it (EINVAL, ENAMETOOLONG). */
	const char *rules;
	/* Who may make the change, when the kernel says EPERM; NULL: job_fail()'s words. */
	const char *who;
};

#define STEP_WANTED(name, cond) \
	static bool name##_wanted(const struct settings *st) { return cond; }

STEP_WANTED(priority, st->prio)
STEP_WANTED(notify, st->notify)
STEP_WANTED(retry, st->retry)
STEP_WANTED(timeout, st->timeout)
STEP_WANTED(description, st->description != NULL)
STEP_WANTED(display_name, st->display_name != NULL)
STEP_WANTED(proxy, st->proxy)
STEP_WANTED(dynamic, st->dyn)
STEP_WANTED(max_download, st->mdt)
STEP_WANTED(notify_cmd, st->notify_cmd != NULL)
STEP_WANTED(reply_file, st->reply_file != NULL)
STEP_WANTED(upload_method, st->upload_method)
STEP_WANTED(headers, st->headers != NULL)
STEP_WANTED(write_only, st->headers_write_only)

static int priority_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_priority(j, st->priority);
}

static void priority_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_priority(j, u->attrs.priority);
}

static int notify_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_notify_flags(j, st->notify_flags);
}

static void notify_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_notify_flags(j, u->attrs.notify_flags);
}

static int retry_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_min_retry_delay(j, st->retry_delay);
}

static void retry_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_min_retry_delay(j, u->attrs.min_retry_delay);
}

static int timeout_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_no_progress_timeout(j, st->no_progress_timeout);
}

static void timeout_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_no_progress_timeout(j, u->attrs.no_progress_timeout);
}

static int description_save(struct kbits_job *j, struct undo *u)
{
	return kbits_job_get_description(j, &u->description);
}

static int description_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_description(j, st->description);
}

static void description_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_description(j, u->description);
}

static int display_name_save(struct kbits_job *j, struct undo *u)
{
	return kbits_job_get_display_name(j, &u->display_name);
}

static int display_name_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_display_name(j, st->display_name);
}

static void display_name_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_display_name(j, u->display_name);
}

static int proxy_save(struct kbits_job *j, struct undo *u)
{
	return kbits_job_get_proxy(j, &u->proxy_usage, &u->proxy_list, &u->proxy_bypass);
}

/* The list and the bypass go only with override. */
static int proxy_apply(struct kbits_job *j, const struct settings *st)
{
	bool override = st->proxy_usage == KBITS_PROXY_OVERRIDE;

	return kbits_job_set_proxy(j, st->proxy_usage, override ? st->proxy_list : NULL,
				   override ? st->proxy_bypass : NULL);
}

static void proxy_undo(struct kbits_job *j, const struct undo *u)
{
	bool override = u->proxy_usage == KBITS_PROXY_OVERRIDE;

	kbits_job_set_proxy(j, u->proxy_usage, override ? u->proxy_list : NULL,
			    override && *u->proxy_bypass ? u->proxy_bypass : NULL);
}

static int dynamic_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_dynamic_content(j, st->dynamic);
}

static void dynamic_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_dynamic_content(j, (u->attrs.flags & KBITS_JOB_DYNAMIC_CONTENT) != 0);
}

/*
 * undo.attrs has it too, but reads 0 from a module without maximum download
 * times: this call fails there (EOPNOTSUPP) before anything changes.
 */
static int max_download_save(struct kbits_job *j, struct undo *u)
{
	return kbits_job_get_max_download_time(j, &u->attrs.max_download_time);
}

static int max_download_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_max_download_time(j, st->max_download_time);
}

static void max_download_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_max_download_time(j, u->attrs.max_download_time);
}

static int notify_cmd_save(struct kbits_job *j, struct undo *u)
{
	int err = kbits_job_get_notify_cmd(j, &u->notify_cmd);

	return err == -ENODATA ? 0 : err;
}

/* No words: removes it. */
static int notify_cmd_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_notify_cmd(j, (const char *const *)st->notify_cmd);
}

static void notify_cmd_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_notify_cmd(j, (const char *const *)u->notify_cmd);
}

/* Another type of job has none (EOPNOTSUPP): its set fails, and says so. */
static int reply_file_save(struct kbits_job *j, struct undo *u)
{
	int err = kbits_job_get_reply_file(j, &u->reply_file);

	return err == -ENODATA || err == -EOPNOTSUPP ? 0 : err;
}

/* "": removes it. */
static int reply_file_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_reply_file(j, st->reply_file);
}

static void reply_file_undo(struct kbits_job *j, const struct undo *u)
{
	kbits_job_set_reply_file(j, u->reply_file);
}

/* The other flags stay as they are. */
static int upload_method_apply(struct kbits_job *j, const struct settings *st)
{
	uint32_t flags;
	int err = kbits_job_get_flags(j, &flags);

	if (err)
		return err;
	flags = st->upload_post ? flags | KBITS_JOB_UPLOAD_POST : flags & ~KBITS_JOB_UPLOAD_POST;
	return kbits_job_set_flags(j, flags);
}

static void upload_method_undo(struct kbits_job *j, const struct undo *u)
{
	uint32_t flags;

	if (kbits_job_get_flags(j, &flags) == 0)
		kbits_job_set_flags(j, (flags & ~KBITS_JOB_UPLOAD_POST) |
				    (u->attrs.flags & KBITS_JOB_UPLOAD_POST));
}

/* Write-only headers cannot be read: then there is nothing to undo with. */
static int headers_save(struct kbits_job *j, struct undo *u)
{
	int err = kbits_job_get_http_headers(j, &u->headers);

	u->headers_unread = err == -EPERM;
	return err == -ENODATA || err == -EPERM ? 0 : err;
}

static int headers_apply(struct kbits_job *j, const struct settings *st)
{
	return kbits_job_set_http_headers(j, st->headers);
}

static void headers_undo(struct kbits_job *j, const struct undo *u)
{
	if (!u->headers_unread)
		kbits_job_set_http_headers(j, u->headers);
}

static int write_only_apply(struct kbits_job *j, const struct settings *st)
{
	(void)st;
	return kbits_job_make_headers_write_only(j);
}

#define STEP(name, what_, save_) \
	{ .what = what_, .wanted = name##_wanted, .save = save_, .apply = name##_apply, \
	  .undo = name##_undo }

static const struct set_step set_steps[] = {
	STEP(priority, "set the priority", NULL),
	STEP(notify, "set the notify flags", NULL),
	STEP(retry, "set the retry delay", NULL),
	STEP(timeout, "set the no-progress timeout", NULL),
	STEP(description, "set the description", description_save),
	STEP(display_name, "set the display name", display_name_save),
	/* EPERM: the kernel's rule for a job with secrets (they go to the proxy) */
	{ .what = "set the proxy settings", .wanted = proxy_wanted, .save = proxy_save,
	  .apply = proxy_apply, .undo = proxy_undo,
	  .who = "the job has credentials or write-only headers: only its owner or an administrator may say where they are sent" },
	STEP(dynamic, "set dynamic content", NULL),
	STEP(max_download, "set the maximum download time", max_download_save),
	{ .what = "set the notify command", .wanted = notify_cmd_wanted, .save = notify_cmd_save,
	  .apply = notify_cmd_apply, .undo = notify_cmd_undo,
	  .rules = "the program must be an absolute path, the words UTF-8 and at most 4096 bytes in all with a NUL each",
	  .who = "only the job's owner or an administrator may set the command, which runs as the owner" },
	{ .what = "set the reply file", .wanted = reply_file_wanted, .save = reply_file_save,
	  .apply = reply_file_apply, .undo = reply_file_undo,
	  .rules = "an absolute path of at most 4095 bytes of UTF-8",
	  .who = "only the job's owner or an administrator may say where its reply goes" },
	STEP(upload_method, "set the upload method", NULL),
	/*
	 * The flag before the headers: setting headers wakes the job fds'
	 * readers, who could read new headers before a flag made after them.
	 * It cannot be undone, so it comes after every other step but the
	 * headers, which come last and so never need undoing.
	 */
	{ .what = "make the HTTP headers write-only", .wanted = write_only_wanted,
	  .apply = write_only_apply },
	{ .what = "set the HTTP headers", .wanted = headers_wanted, .save = headers_save,
	  .apply = headers_apply, .undo = headers_undo },
};

#define N_SET_STEPS (sizeof(set_steps) / sizeof(set_steps[0]))

/*
 * An errno of kbits_job_set_reply_file()'s check of the name (that of
 * kbits_check_local_name(); EACCES also a revoked handle's).
 */
static bool reply_file_errno(struct kbits_job *j, int err)
{
	switch (err) {
	case -ENOENT: case -ENOTDIR: case -EISDIR: case -EROFS: case -ELOOP:
		return true;
	case -EACCES:
		return !job_revoked(j);
	}
	return false;
}

int settings_apply(const struct kbits_guid *id, struct kbits_job *j, const struct settings *st)
{
	struct undo u = { .attrs.size = sizeof(u.attrs) };
	size_t i, done;
	int ret = EXIT_OK, err;

	/* What to undo with: the job's settings now (those GET_ATTR has, always). */
	err = kbits_job_get_attrs(j, &u.attrs);
	for (i = 0; i < N_SET_STEPS && !err; i++)
		if (set_steps[i].save && set_steps[i].wanted(st))
			err = set_steps[i].save(j, &u);
	if (err) {
		ret = job_fail(id, j, "read the job's settings", err);
		goto out;
	}

	for (done = 0; done < N_SET_STEPS; done++) {
		if (!set_steps[done].wanted(st))
			continue;
		err = set_steps[done].apply(j, st);
		if (err)
			break;
	}
	if (!err)
		goto out;

	/* set_steps[done] failed: the steps' own words first. */
	if (err == -ESTALE && set_steps[done].apply == notify_cmd_apply) {
		char g[KBITS_GUID_STRING_LEN];

		/* KBITS_RECORD_FOREIGN_NS: no namespaces to run it in */
		kbits_guid_format(id, g);
		errmsg("job %s: cannot %s: the job was imported without its owner's namespaces; an administrator must take it over first",
		       g, set_steps[done].what);
		ret = EXIT_STATE;
	} else if (err == -EOPNOTSUPP && set_steps[done].apply == reply_file_apply) {
		char g[KBITS_GUID_STRING_LEN];
		enum kbits_job_type type;

		kbits_guid_format(id, g);
		errmsg("job %s: cannot %s: only an upload-reply job has a reply file (this job is %s)",
		       g, set_steps[done].what,
		       kbits_job_get_type(j, &type) == 0 ? kbits_job_type_name(type) : "another type");
		ret = EXIT_FAILED;
	} else if (set_steps[done].apply == reply_file_apply && reply_file_errno(j, err)) {
		char g[KBITS_GUID_STRING_LEN], why[PATH_MAX * 4 + 160];
		char shown[PATH_MAX * 4 + 1];

		kbits_guid_format(id, g);
		local_name_why(why, sizeof(why), st->reply_file, err);
		text_to_buf(shown, sizeof(shown), st->reply_file);
		errmsg("job %s: cannot %s: '%s': %s", g, set_steps[done].what, shown, why);
		ret = err == -EACCES || err == -EROFS ? EXIT_DENIED : EXIT_FAILED;
	} else if (err == -EINVAL && set_steps[done].apply == upload_method_apply) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(id, g);
		errmsg("job %s: cannot %s: only an upload job is sent with PUT or POST, or the "
		       "loaded kbits module is older than POST uploads", g, set_steps[done].what);
		ret = EXIT_FAILED;
	} else if (err == -EINVAL && set_steps[done].apply == write_only_apply) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(id, g);
		errmsg("job %s: cannot %s: the loaded kbits module has no write-only headers "
		       "(is it older than kbitsctl?)", g, set_steps[done].what);
		ret = EXIT_FAILED;
	} else if (err == -EINVAL || err == -ENAMETOOLONG) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(id, g);
		errmsg("job %s: cannot %s: the kbits module refused the value (%s)%s%s", g,
		       set_steps[done].what, kbits_strerror(err),
		       set_steps[done].rules ? ": " : "",
		       set_steps[done].rules ? set_steps[done].rules : "");
		ret = EXIT_FAILED;
	} else if (err == -EPERM && set_steps[done].who) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(id, g);
		errmsg("job %s: cannot %s: %s", g, set_steps[done].what, set_steps[done].who);
		ret = EXIT_DENIED;
	} else {
		ret = job_fail(id, j, set_steps[done].what, err);
	}
	/* Undo the steps made before it, best effort (the job may be final now). */
	for (i = 0; i < done; i++)
		if (set_steps[i].undo && set_steps[i].wanted(st))
			set_steps[i].undo(j, &u);
	if (st->headers_write_only && set_steps[done].apply == headers_apply) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(id, g);
		errmsg("job %s: its headers were made write-only first, and stay so (that cannot be undone)",
		       g);
	}
out:
	free(u.description);
	free(u.display_name);
	free(u.proxy_list);
	free(u.proxy_bypass);
	kbits_strv_free(u.notify_cmd);
	free(u.reply_file);
	free(u.headers);
	return ret;
}
