// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the commands on jobs: create, add-file, list, info, files,
 * error, set, resume, suspend, cancel, complete, take-ownership.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbitsctl.h"

#define HELP_OPT { "help", no_argument, NULL, 'h' }
#define JSON_OPT { "json", no_argument, NULL, 'j' }
#define END_OPT { NULL, 0, NULL, 0 }

/* Checks that exactly one operand (the GUID) is left. */
static int one_guid(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return usage_fail(cmd, "missing the job's GUID");
	if (optind + 1 < argc)
		return usage_fail(cmd, "too many arguments");
	return EXIT_OK;
}

/* ------------------------------------------------------------- a job read */

struct job_summary {
	struct kbits_guid id;
	char *name;
	char *description;
	enum kbits_job_type type;
	enum kbits_job_state state;
	uid_t owner;
	enum kbits_job_priority priority;
	uint32_t notify, retry_delay, no_progress_timeout, error_count;
	bool dynamic_content;		/* KBITS_JOB_DYNAMIC_CONTENT */
	bool max_download_known;	/* false: the module has no maximum download time */
	uint32_t max_download_time, transfer_time;
	struct kbits_job_times times;
	struct kbits_job_progress progress;
	bool has_error;
	struct kbits_error error;
	struct kbits_file *files;
	size_t n_files;
	bool proxy_known;		/* false: the module has no proxy settings */
	enum kbits_proxy_usage proxy_usage;
	char *proxy_list, *proxy_bypass;
	bool headers_known;		/* false: the module has no HTTP headers */
	char *headers;			/* NULL: none */
};

static void summary_free(struct job_summary *s)
{
	free(s->name);
	free(s->description);
	free(s->error.text);
	kbits_files_free(s->files, s->n_files);
	free(s->proxy_list);
	free(s->proxy_bypass);
	free(s->headers);
	memset(s, 0, sizeof(*s));
}

/* Reads what list shows; with @full, what info shows. */
static int summary_read(struct kbits_job *j, struct job_summary *s, bool full)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = kbits_job_get_id(j, &s->id);
	if (!err)
		err = kbits_job_get_display_name(j, &s->name);
	if (!err)
		err = kbits_job_get_type(j, &s->type);
	if (!err)
		err = kbits_job_get_state(j, &s->state);
	if (!err)
		err = kbits_job_get_owner(j, &s->owner);
	if (!err)
		err = kbits_job_get_progress(j, &s->progress);
	if (!err)
		err = kbits_job_get_priority(j, &s->priority);
	if (!err && full)
		err = kbits_job_get_description(j, &s->description);
	if (!err && full)
		err = kbits_job_get_notify_flags(j, &s->notify);
	if (!err && full)
		err = kbits_job_get_min_retry_delay(j, &s->retry_delay);
	if (!err && full)
		err = kbits_job_get_no_progress_timeout(j, &s->no_progress_timeout);
	if (!err && full)
		err = kbits_job_get_error_count(j, &s->error_count);
	if (!err && full)
		err = kbits_job_get_dynamic_content(j, &s->dynamic_content);
	if (!err && full) {
		err = kbits_job_get_max_download_time(j, &s->max_download_time);
		if (!err)
			err = kbits_job_get_transfer_time(j, &s->transfer_time);
		s->max_download_known = err == 0;
		if (err == -EOPNOTSUPP)
			err = 0;
	}
	if (!err && full)
		err = kbits_job_get_times(j, &s->times);
	if (!err && full)
		err = kbits_job_get_files(j, &s->files, &s->n_files);
	if (!err && full) {
		err = kbits_job_get_error(j, &s->error);
		s->has_error = err == 0;
		if (err == -ENOMSG)
			err = 0;
	}
	/* A module older than these calls answers -ENOTTY: show the rest. */
	if (!err && full) {
		err = kbits_job_get_proxy(j, &s->proxy_usage, &s->proxy_list, &s->proxy_bypass);
		s->proxy_known = err == 0;
		if (err == -ENOTTY)
			err = 0;
	}
	if (!err && full) {
		err = kbits_job_get_http_headers(j, &s->headers);
		s->headers_known = err == 0 || err == -ENODATA;
		if (err == -ENODATA || err == -ENOTTY)
			err = 0;
	}
	if (err)
		summary_free(s);
	return err;
}

static const char *proxy_usage_name(enum kbits_proxy_usage u)
{
	switch (u) {
	case KBITS_PROXY_SYSTEM:	return "system";
	case KBITS_PROXY_NONE:		return "none";
	case KBITS_PROXY_OVERRIDE:	return "override";
	}
	return "unknown";
}

static void put_json_progress(FILE *f, const struct kbits_job_progress *p)
{
	fprintf(f, "\"files_total\": %u, \"files_transferred\": %u, ", p->files_total,
		p->files_transferred);
	if (p->bytes_total == KBITS_SIZE_UNKNOWN)
		fputs("\"bytes_total\": null, ", f);
	else
		fprintf(f, "\"bytes_total\": %llu, ", (unsigned long long)p->bytes_total);
	fprintf(f, "\"bytes_transferred\": %llu", (unsigned long long)p->bytes_transferred);
}

static void put_json_time(FILE *f, const char *key, int64_t t)
{
	if (t)
		fprintf(f, ", \"%s\": %lld", key, (long long)t);
	else
		fprintf(f, ", \"%s\": null", key);
}

static void put_json_file(FILE *f, const struct kbits_file *file, size_t index)
{
	fprintf(f, "{\"index\": %zu, \"remote_name\": ", index);
	put_json_string(f, file->remote_name);
	fputs(", \"local_name\": ", f);
	put_json_string(f, file->local_name);
	if (file->bytes_total == KBITS_SIZE_UNKNOWN)
		fputs(", \"bytes_total\": null", f);
	else
		fprintf(f, ", \"bytes_total\": %llu", (unsigned long long)file->bytes_total);
	fprintf(f, ", \"bytes_transferred\": %llu, \"completed\": %s}",
		(unsigned long long)file->bytes_transferred, file->completed ? "true" : "false");
}

/* list --json's object; with @full, info --json's. */
static void put_json_summary(FILE *f, const struct job_summary *s, bool full)
{
	char g[KBITS_GUID_STRING_LEN];
	size_t i;

	kbits_guid_format(&s->id, g);
	fprintf(f, "{\"guid\": \"%s\", \"display_name\": ", g);
	put_json_string(f, s->name);
	fprintf(f, ", \"type\": \"%s\", \"state\": \"%s\", \"owner\": %u, \"owner_name\": ",
		kbits_job_type_name(s->type), kbits_job_state_name(s->state),
		(unsigned int)s->owner);
	put_json_string_or_null(f, user_name(s->owner));
	fprintf(f, ", \"priority\": \"%s\", ", priority_name(s->priority));
	put_json_progress(f, &s->progress);
	if (!full) {
		fputc('}', f);
		return;
	}
	fputs(", \"description\": ", f);
	put_json_string(f, s->description);
	fprintf(f, ", \"notify_flags\": %u, \"notify\": ", s->notify);
	put_json_notify(f, s->notify);
	fprintf(f, ", \"min_retry_delay\": %u, \"no_progress_timeout\": %u, \"error_count\": %u",
		s->retry_delay, s->no_progress_timeout, s->error_count);
	fprintf(f, ", \"dynamic_content\": %s", s->dynamic_content ? "true" : "false");
	if (s->max_download_known)
		fprintf(f, ", \"max_download_time\": %u, \"transfer_time\": %u",
			s->max_download_time, s->transfer_time);
	else
		fputs(", \"max_download_time\": null, \"transfer_time\": null", f);
	put_json_time(f, "creation_time", s->times.creation_time);
	put_json_time(f, "modification_time", s->times.modification_time);
	put_json_time(f, "transfer_completion_time", s->times.transfer_completion_time);
	fputs(", \"proxy_usage\": ", f);
	put_json_string_or_null(f, s->proxy_known ? proxy_usage_name(s->proxy_usage) : NULL);
	fputs(", \"proxy_list\": ", f);
	put_json_string_or_null(f, s->proxy_list);
	fputs(", \"proxy_bypass\": ", f);
	put_json_string_or_null(f, s->proxy_bypass);
	fputs(", \"http_headers\": ", f);
	put_json_string_or_null(f, s->headers);
	fputs(", \"error\": ", f);
	if (s->has_error) {
		fputc('{', f);
		put_json_error_members(f, &s->error, s->files, s->n_files);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(", \"files\": [", f);
	for (i = 0; i < s->n_files; i++) {
		fputs(i ? ", " : "", f);
		put_json_file(f, &s->files[i], i);
	}
	fputs("]}", f);
}

/* ----------------------------------------------------------------- create */

static const char create_help[] =
	"Usage: kbitsctl create [OPTIONS] NAME\n"
	"\n"
	"Queues a new job, owned by you and SUSPENDED, with the display name NAME,\n"
	"and prints its GUID. Add files with add-file, then resume it.\n"
	"\n"
	"Options:\n"
	"  -t, --type TYPE          download (the default), upload or upload-reply\n"
	"  -p, --priority PRIORITY  foreground, high, normal (the default) or low\n"
	"  -d, --description TEXT   the job's description (at most 1024 bytes)\n"
	"      --json               print {\"guid\": \"{...}\"}\n"
	"  -h, --help               show this help\n"
	"\n"
	"NAME is UTF-8, at most 256 bytes. When a setting cannot be made, the job\n"
	"is cancelled: it is created with all of them or not at all.\n";

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "priority", required_argument, NULL, 'p' },
		{ "description", required_argument, NULL, 'd' },
		JSON_OPT, HELP_OPT, END_OPT,
	};
	enum kbits_job_priority prio = KBITS_PRIORITY_NORMAL;
	enum kbits_job_type type = KBITS_JOB_TYPE_DOWNLOAD;
	const char *desc = NULL, *name;
	char s[KBITS_GUID_STRING_LEN];
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	struct kbits_guid id;
	bool json = false, prio_set = false;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "t:p:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_type(optarg, &type) < 0)
				return usage_fail("create", "unknown job type '%s' (download, upload or upload-reply)",
						  optarg);
			break;
		case 'p':
			if (parse_priority(optarg, &prio) < 0)
				return usage_fail("create", "unknown priority '%s' (foreground, high, normal or low)",
						  optarg);
			prio_set = true;
			break;
		case 'd':
			desc = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(create_help);
		default:
			return usage_hint("create");
		}
	}
	if (optind >= argc)
		return usage_fail("create", "missing the job's NAME");
	if (optind + 1 < argc)
		return usage_fail("create", "too many arguments");
	name = argv[optind];
	if (!utf8_valid(name))
		return usage_fail("create", "the name is not valid UTF-8");
	if (strlen(name) > KBITS_DISPLAY_NAME_MAX)
		return usage_fail("create", "the name is longer than %d bytes",
				  KBITS_DISPLAY_NAME_MAX);
	if (desc && !utf8_valid(desc))
		return usage_fail("create", "the description is not valid UTF-8");
	if (desc && strlen(desc) > KBITS_DESCRIPTION_MAX)
		return usage_fail("create", "the description is longer than %d bytes",
				  KBITS_DESCRIPTION_MAX);

	/* A reader of stdout gone is a write error: the job is cancelled, not left. */
	signal(SIGPIPE, SIG_IGN);
	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_create_job(m, name, type, &id, &j);
	kbits_unref(m);
	if (err) {
		errmsg("cannot create the job: %s",
		       err == -EINVAL ? "the name is not valid UTF-8" : reason_text(err));
		return err == -EACCES || err == -EPERM ? EXIT_DENIED : EXIT_FAILED;
	}
	kbits_guid_format(&id, s);

	err = 0;
	if (prio_set)
		err = kbits_job_set_priority(j, prio);
	if (!err && desc)
		err = kbits_job_set_description(j, desc);
	if (!err) {
		if (json)
			printf("{\"guid\": \"%s\"}\n", s);
		else
			printf("%s\n", s);
		ret = finish_stdout();
	} else {
		ret = job_fail(&id, j, prio_set ? "set the priority or description"
						 : "set the description", err);
	}
	if (ret) {
		/* Nobody learnt the GUID, or a setting failed: do not leave the job behind. */
		err = kbits_job_cancel(j);
		if (err < 0)
			errmsg("job %s: left in the queue: %s", s, reason_text(err));
	}
	kbits_job_unref(j);
	return ret;
}

/* --------------------------------------------------------------- add-file */

static const char add_file_help[] =
	"Usage: kbitsctl add-file GUID REMOTE LOCAL [REMOTE LOCAL...]\n"
	"       kbitsctl add-file GUID --from FILE\n"
	"\n"
	"Adds files to a job, all or none. REMOTE is an http://, https:// or\n"
	"file:// URL, or a path; LOCAL is a path. A relative path is made absolute\n"
	"against the current directory. For a download job REMOTE is where the\n"
	"file comes from and LOCAL where it goes; for an upload job the other way.\n"
	"\n"
	"For a download job, each LOCAL file's directory must exist and be one you\n"
	"may write in (a file there of that name is replaced when the job is\n"
	"completed): else nothing is added, and the message names the file.\n"
	"\n"
	"Options:\n"
	"  -f, --from FILE   the pairs from FILE ('-': stdin), one 'REMOTE LOCAL'\n"
	"                    a line (bitsadmin /addfileset's list): names\n"
	"                    separated by blanks, blank lines and #-comments\n"
	"                    ignored; a name with blanks, or that starts with # or\n"
	"                    \", in double quotes (\\\" a quote, \\\\ a backslash)\n"
	"  -h, --help        show this help\n"
	"\n"
	"GUID may be name:NAME, the one job of yours with that display name.\n";

/* "FILE:LINE: " for the pair @i from a list (@src shown escaped), else "" */
static void pair_where(char *buf, size_t size, const char *src, const unsigned int *lines,
		       int i)
{
	if (src && lines)
		snprintf(buf, size, "%s:%u: ", src, lines[i]);
	else
		buf[0] = '\0';
}

/* Makes the REMOTE LOCAL pairs at @argv absolute and checks them. */
int file_pairs(const char *cmd, int n, char **argv, const char *src, const unsigned int *lines,
	       struct kbits_file_info **out)
{
	struct kbits_file_info *f;
	int i, ret = EXIT_USAGE;
	char where[PATH_MAX * 4 + 32], shown[PATH_MAX * 4 + 1];

	*out = NULL;
	if (n == 0)
		return src ? usage_fail(cmd, "%s: no REMOTE LOCAL pairs in it", src)
			   : usage_fail(cmd, "missing REMOTE LOCAL");
	if (n % 2) {
		text_to_buf(shown, sizeof(shown), argv[n - 1]);
		return usage_fail(cmd, "'%s' has no LOCAL name: give REMOTE LOCAL pairs", shown);
	}
	f = calloc((size_t)n / 2, sizeof(*f));
	if (!f) {
		errmsg("out of memory");
		return EXIT_FAILED;
	}
	for (i = 0; i < n / 2; i++) {
		const char *why, *which;
		char *r = absolute_path(argv[2 * i]);
		char *l = absolute_path(argv[2 * i + 1]);

		f[i].remote_name = r;
		f[i].local_name = l;
		if (!r || !l) {
			errmsg("cannot make a path absolute: %s", strerror(errno));
			ret = EXIT_FAILED;
			goto fail;
		}
		pair_where(where, sizeof(where), src, lines, i);
		/* A local name with a URL's form is a path with "scheme:" in it: refuse it. */
		/* names from a list, or argv: shown escaped, as check_local_names shows them */
		if (is_url(argv[2 * i + 1])) {
			text_to_buf(shown, sizeof(shown), argv[2 * i + 1]);
			usage_fail(cmd, "%sLOCAL '%s': it is not a path", where, shown);
			goto fail;
		}
		why = check_file_pair(r, l, &which);
		if (why) {
			text_to_buf(shown, sizeof(shown),
				    argv[!strcmp(which, "REMOTE") ? 2 * i : 2 * i + 1]);
			usage_fail(cmd, "%s%s '%s': %s", where, which, shown, why);
			goto fail;
		}
	}
	*out = f;
	return EXIT_OK;
fail:
	for (i = 0; i < n / 2; i++) {
		free((char *)f[i].remote_name);
		free((char *)f[i].local_name);
	}
	free(f);
	return ret;
}

void file_pairs_free(struct kbits_file_info *f, size_t n)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < n; i++) {
		free((char *)f[i].remote_name);
		free((char *)f[i].local_name);
	}
	free(f);
}

/*
 * Why kbits_check_local_name() refused @local, in words; its directory
 * shown escaped.
 */
static void local_name_why(char *buf, size_t size, const char *local, int err)
{
	const char *slash = strrchr(local, '/');
	size_t dlen = slash && slash != local ? (size_t)(slash - local) : 1;
	char dir[PATH_MAX + 1], shown[PATH_MAX * 4 + 1];
	struct stat dst, st;

	if (dlen > PATH_MAX)
		dlen = PATH_MAX;
	memcpy(dir, local, dlen);
	dir[dlen] = '\0';
	text_to_buf(shown, sizeof(shown), dir);
	switch (err) {
	case -EACCES:
	case -EPERM:
		/* a sticky directory one may write in, and another user's file there */
		if (err == -EACCES && stat(dir, &dst) == 0 && (dst.st_mode & S_ISVTX) &&
		    faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0 &&
		    lstat(local, &st) == 0 && st.st_uid != geteuid()) {
			snprintf(buf, size, "a file of that name is there, another user's, and its "
				 "directory %s is sticky: it may not be replaced (permission denied)",
				 shown);
			break;
		}
		snprintf(buf, size, "you may not write in its directory %s (permission denied)",
			 shown);
		break;
	case -EROFS:
		snprintf(buf, size, "its directory %s is on a read-only file system", shown);
		break;
	case -ENOENT:
		snprintf(buf, size, "its directory %s does not exist", shown);
		break;
	case -ENOTDIR:
		snprintf(buf, size, "its directory %s is not a directory", shown);
		break;
	case -EISDIR:
		snprintf(buf, size, "it is a directory");
		break;
	default:
		snprintf(buf, size, "%s", strerror(-err));
	}
}

int check_local_names(const char *pre, const struct kbits_file_info *f, size_t n)
{
	char why[PATH_MAX * 4 + 160], shown[PATH_MAX * 4 + 1];
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = kbits_check_local_name(f[i].local_name);
		if (!err)
			continue;
		local_name_why(why, sizeof(why), f[i].local_name, err);
		text_to_buf(shown, sizeof(shown), f[i].local_name);
		errmsg("%s: LOCAL '%s': %s; no file was added", pre, shown, why);
		return err == -EACCES || err == -EPERM || err == -EROFS ? EXIT_DENIED : EXIT_FAILED;
	}
	return EXIT_OK;
}

/*
 * An errno of kbits_job_add_file_set() that kbits_check_local_name() gives
 * for a download's file (the kernel's ADD_FILES gives none of these but
 * EACCES, for a revoked handle).
 */
static bool local_file_errno(int err)
{
	switch (err) {
	case -ENOENT: case -ENOTDIR: case -EISDIR: case -EROFS: case -EACCES: case -EPERM:
	case -ELOOP:
		return true;
	}
	return false;
}

/* Adds the files; reports a failure. */
int add_files(const struct kbits_guid *id, struct kbits_job *j,
	      const struct kbits_file_info *f, size_t n)
{
	char s[KBITS_GUID_STRING_LEN], pre[128];
	enum kbits_job_type type;
	int err, ret;

	kbits_guid_format(id, s);
	/* A download's LOCAL files: said one by one, before libkbits refuses them all. */
	err = kbits_job_get_type(j, &type);
	if (err)
		return job_fail(id, j, "add the files", err);
	if (type == KBITS_JOB_TYPE_DOWNLOAD) {
		snprintf(pre, sizeof(pre), "job %s: cannot add the files", s);
		ret = check_local_names(pre, f, n);
		if (ret)
			return ret;
	}
	err = kbits_job_add_file_set(j, f, n);
	if (!err)
		return EXIT_OK;
	/*
	 * libkbits checked the files again, and one passed here and failed
	 * there (its directory changed in between): the failure is the file's,
	 * not the job's, unless the handle was revoked (EACCES for the job).
	 */
	if (type == KBITS_JOB_TYPE_DOWNLOAD && local_file_errno(err) &&
	    !(err == -EACCES && job_revoked(j))) {
		ret = check_local_names(pre, f, n);
		if (ret)
			return ret;
		errmsg("%s: a LOCAL file's directory changed while they were added: %s; "
		       "no file was added", pre, strerror(-err));
		return err == -EACCES || err == -EPERM || err == -EROFS ? EXIT_DENIED : EXIT_FAILED;
	}
	if (err == -EINVAL) {
		errmsg("job %s: cannot add the files: a name is not valid (REMOTE: an http://, "
		       "https:// or file:// URL or an absolute path; LOCAL: an absolute path)", s);
		return EXIT_FAILED;
	}
	if (err == -ENAMETOOLONG) {
		errmsg("job %s: cannot add the files: a name is too long (REMOTE: at most %d "
		       "bytes, LOCAL: at most %d)", s, KBITS_REMOTE_NAME_MAX, KBITS_LOCAL_NAME_MAX);
		return EXIT_FAILED;
	}
	return job_fail(id, j, "add the files", err);
}

int cmd_add_file(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		HELP_OPT, END_OPT,
	};
	struct kbits_file_info *files = NULL;
	struct file_list list = { 0 };
	const char *from = NULL, *why;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	unsigned int bad;
	int c, ret, n;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 'h':
			return print_help(add_file_help);
		default:
			return usage_hint("add-file");
		}
	}
	if (optind >= argc)
		return usage_fail("add-file", "missing the job's GUID");
	ret = parse_guid_arg("add-file", argv[optind], &id);
	if (ret)
		return ret;
	n = argc - optind - 1;
	if (from) {
		char shown[PATH_MAX * 4 + 1];
		FILE *f;

		if (n)
			return usage_fail("add-file", "--from and REMOTE LOCAL pairs do not go together");
		/* FILE in the messages: escaped, as the names in it are */
		text_to_buf(shown, sizeof(shown), strcmp(from, "-") ? from : "stdin");
		f = strcmp(from, "-") ? fopen(from, "re") : stdin;
		if (!f) {
			errmsg("add-file: cannot open %s: %s", shown, strerror(errno));
			return EXIT_FAILED;
		}
		ret = file_list_read(f, &list, &bad, &why);
		if (f != stdin)
			fclose(f);
		if (ret < 0 && bad)
			return usage_fail("add-file", "%s:%u: %s; no file was added", shown, bad, why);
		if (ret < 0) {
			errmsg("add-file: cannot read %s: %s", shown, why);
			return EXIT_FAILED;
		}
		if (list.n_pairs > INT_MAX / 2) {
			file_list_free(&list);
			return usage_fail("add-file", "%s: too many lines", shown);
		}
		n = (int)list.n_pairs * 2;
		ret = file_pairs("add-file", n, list.words, shown, list.lines, &files);
	} else {
		ret = file_pairs("add-file", n, argv + optind + 1, NULL, NULL, &files);
	}
	if (!ret)
		ret = get_job_arg("add-file", argv[optind], &id, &j);
	if (!ret)
		ret = add_files(&id, j, files, (size_t)n / 2);
	kbits_job_unref(j);
	file_pairs_free(files, (size_t)n / 2);
	file_list_free(&list);
	return ret;
}

/* ------------------------------------------------------------------- list */

static const char list_help[] =
	"Usage: kbitsctl list [OPTIONS]\n"
	"\n"
	"Lists your jobs in the queue: GUID, state and display name.\n"
	"\n"
	"Options:\n"
	"  -a, --all-users   every user's jobs (needs CAP_SYS_ADMIN)\n"
	"  -v, --verbose     also the owner, files done/total and bytes\n"
	"      --json        a JSON array of objects: guid, display_name, type,\n"
	"                    state, owner, owner_name, priority, files_total,\n"
	"                    files_transferred, bytes_total (null: not known yet),\n"
	"                    bytes_transferred\n"
	"  -h, --help        show this help\n";

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all-users", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		JSON_OPT, HELP_OPT, END_OPT,
	};
	struct kbits_guid *ids = NULL;
	unsigned int flags = 0;
	struct kbits *m = NULL;
	bool json = false, verbose = false;
	size_t i, n, shown = 0;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "avh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			flags |= KBITS_ENUM_ALL_USERS;
			break;
		case 'v':
			verbose = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(list_help);
		default:
			return usage_hint("list");
		}
	}
	if (optind < argc)
		return usage_fail("list", "too many arguments");

	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_enum_jobs(m, flags, &ids, &n);
	if (err == -EACCES) {
		errmsg("list --all-users: permission denied (needs CAP_SYS_ADMIN)");
		kbits_unref(m);
		return EXIT_DENIED;
	}
	if (err) {
		errmsg("cannot list the jobs: %s", reason_text(err));
		kbits_unref(m);
		return EXIT_FAILED;
	}

	if (json)
		putchar('[');
	else if (verbose)
		printf("%-38s  %-15s  %-20s  %-9s  %-21s  %s\n", "GUID", "STATE", "OWNER", "FILES",
		       "BYTES", "DISPLAY NAME");
	else
		printf("%-38s  %-15s  %s\n", "GUID", "STATE", "DISPLAY NAME");
	for (i = 0; i < n; i++) {
		struct job_summary sum;
		char g[KBITS_GUID_STRING_LEN];
		struct kbits_job *j;

		/* A job may leave the queue between the walk and the get. */
		if (kbits_get_job(m, &ids[i], &j) < 0)
			continue;
		err = summary_read(j, &sum, false);
		kbits_job_unref(j);
		if (err)
			continue;
		kbits_guid_format(&sum.id, g);
		if (json) {
			fputs(shown ? ",\n " : "", stdout);
			put_json_summary(stdout, &sum, false);
		} else if (verbose) {
			char owner[64], files[24], done[16], total[16], bytes[40];

			format_owner(owner, sizeof(owner), sum.owner);
			snprintf(files, sizeof(files), "%u/%u", sum.progress.files_transferred,
				 sum.progress.files_total);
			format_bytes(done, sizeof(done), sum.progress.bytes_transferred);
			format_bytes(total, sizeof(total), sum.progress.bytes_total);
			snprintf(bytes, sizeof(bytes), "%s/%s", done, total);
			printf("%-38s  %-15s  %-20s  %-9s  %-21s  ", g,
			       kbits_job_state_name(sum.state), owner, files, bytes);
			put_text(stdout, sum.name);
			putchar('\n');
		} else {
			printf("%-38s  %-15s  ", g, kbits_job_state_name(sum.state));
			put_text(stdout, sum.name);
			putchar('\n');
		}
		shown++;
		summary_free(&sum);
	}
	if (json)
		puts("]");
	free(ids);
	kbits_unref(m);
	return finish_stdout();
}

/* ------------------------------------------------------------------- info */

static const char info_help[] =
	"Usage: kbitsctl info [--json] GUID\n"
	"\n"
	"Shows everything about a job: GUID, display name, description, type,\n"
	"state, owner, priority, notify flags, retry delay, no-progress timeout,\n"
	"error count, dynamic content, maximum download time and the transfer time\n"
	"that counts against it, times, progress, files, proxy settings, HTTP\n"
	"headers and the last error.\n"
	"\n"
	"Options:\n"
	"      --json   one JSON object: guid, display_name, type, state, owner,\n"
	"               owner_name, priority, files_total, files_transferred,\n"
	"               bytes_total, bytes_transferred, description, notify_flags,\n"
	"               notify, min_retry_delay, no_progress_timeout, error_count,\n"
	"               dynamic_content (true or false), max_download_time (seconds,\n"
	"               0: no limit), transfer_time (seconds connecting or\n"
	"               transferring since created or resumed; both null from a\n"
	"               module without them), creation_time, modification_time,\n"
	"               transfer_completion_time\n"
	"               (seconds since the epoch, null: not yet),\n"
	"               proxy_usage, proxy_list, proxy_bypass, http_headers,\n"
	"               error (null or an object as 'error --json' gives), files\n"
	"  -h, --help   show this help\n";

static void put_field(const char *label, const char *value)
{
	printf("%-21s%s\n", label, value);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { JSON_OPT, HELP_OPT, END_OPT };
	struct job_summary s;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	char buf[2048], g[KBITS_GUID_STRING_LEN];
	bool json = false;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(info_help);
		default:
			return usage_hint("info");
		}
	}
	ret = one_guid("info", argc, argv);
	if (!ret)
		ret = get_job_arg("info", argv[optind], &id, &j);
	if (ret)
		return ret;

	err = summary_read(j, &s, true);
	if (err) {
		ret = job_fail(&id, j, "read the job", err);
		kbits_job_unref(j);
		return ret;
	}
	kbits_job_unref(j);

	if (json) {
		put_json_summary(stdout, &s, true);
		putchar('\n');
		summary_free(&s);
		return finish_stdout();
	}
	kbits_guid_format(&s.id, g);
	put_field("GUID:", g);
	fputs("Display name:        ", stdout);
	put_text(stdout, s.name);
	putchar('\n');
	fputs("Description:         ", stdout);
	put_text(stdout, s.description);
	putchar('\n');
	put_field("Type:", kbits_job_type_name(s.type));
	put_field("State:", kbits_job_state_name(s.state));
	format_owner(buf, sizeof(buf), s.owner);
	put_field("Owner:", buf);
	put_field("Priority:", priority_name(s.priority));
	format_notify(buf, sizeof(buf), s.notify);
	put_field("Notify flags:", buf);
	format_duration(buf, sizeof(buf), s.retry_delay);
	put_field("Retry delay:", buf);
	format_duration(buf, sizeof(buf), s.no_progress_timeout);
	put_field("No-progress timeout:", buf);
	snprintf(buf, sizeof(buf), "%u", s.error_count);
	put_field("Errors:", buf);
	put_field("Dynamic content:", s.dynamic_content ? "yes" : "no");
	if (!s.max_download_known) {
		put_field("Max download time:",
			  "? (the loaded kbits module has no maximum download time)");
	} else {
		if (s.max_download_time)
			format_duration(buf, sizeof(buf), s.max_download_time);
		else
			snprintf(buf, sizeof(buf), "none");
		put_field("Max download time:", buf);
		format_duration(buf, sizeof(buf), s.transfer_time);
		put_field("Transfer time:", buf);
	}
	format_time(buf, sizeof(buf), s.times.creation_time);
	put_field("Created:", buf);
	format_time(buf, sizeof(buf), s.times.modification_time);
	put_field("Modified:", buf);
	format_time(buf, sizeof(buf), s.times.transfer_completion_time);
	put_field("Transferred:", buf);
	format_progress(buf, sizeof(buf), &s.progress);
	put_field("Progress:", buf);
	if (!s.proxy_known)
		put_field("Proxy usage:", "? (the loaded kbits module has no proxy settings)");
	else
		put_field("Proxy usage:", proxy_usage_name(s.proxy_usage));
	if (s.proxy_known && s.proxy_usage == KBITS_PROXY_OVERRIDE) {
		fputs("Proxy list:          ", stdout);
		put_text(stdout, s.proxy_list);
		putchar('\n');
		fputs("Proxy bypass:        ", stdout);
		put_text(stdout, *s.proxy_bypass ? s.proxy_bypass : "none");
		putchar('\n');
	}
	if (s.headers) {
		char *line, *save = NULL, *copy = strdup(s.headers);
		bool first = true;

		for (line = copy ? strtok_r(copy, "\r\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\r\n", &save)) {
			fputs(first ? "HTTP headers:        " : "                     ", stdout);
			put_text(stdout, line);
			putchar('\n');
			first = false;
		}
		free(copy);
	} else {
		put_field("HTTP headers:", s.headers_known ? "none" :
			  "? (the loaded kbits module has no HTTP headers)");
	}
	if (s.has_error) {
		describe_error(buf, sizeof(buf), &s.error, s.files, s.n_files);
		fputs("Last error:          ", stdout);
		printf("%s (context %s)\n", buf, error_context_name(s.error.context));
	} else {
		put_field("Last error:", "none");
	}
	summary_free(&s);
	return finish_stdout();
}

/* ------------------------------------------------------------------ files */

static const char files_help[] =
	"Usage: kbitsctl files [--json] GUID\n"
	"\n"
	"Shows a job's files in the order they were added: remote and local name,\n"
	"bytes transferred and total ('?' while not known), and whether the file\n"
	"is completed.\n"
	"\n"
	"Options:\n"
	"      --json   a JSON array of objects: index, remote_name, local_name,\n"
	"               bytes_total (null: not known yet), bytes_transferred,\n"
	"               completed\n"
	"  -h, --help   show this help\n";

/* The files as 'files' shows them. */
static void put_files(const struct kbits_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kbits_file *f = &files[i];

		printf("%zu: ", i);
		put_text(stdout, f->remote_name);
		fputs(" -> ", stdout);
		put_text(stdout, f->local_name);
		putchar('\n');
		if (f->bytes_total == KBITS_SIZE_UNKNOWN)
			printf("   %llu of ? bytes, %s\n", (unsigned long long)f->bytes_transferred,
			       f->completed ? "completed" : "not completed");
		else
			printf("   %llu of %llu bytes, %s\n",
			       (unsigned long long)f->bytes_transferred,
			       (unsigned long long)f->bytes_total,
			       f->completed ? "completed" : "not completed");
	}
	if (!n)
		puts("no files");
}

/* 'files --json''s array (without a newline). */
static void put_json_files(FILE *f, const struct kbits_file *files, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n " : "", f);
		put_json_file(f, &files[i], i);
	}
	fputc(']', f);
}

int cmd_files(int argc, char **argv)
{
	static const struct option opts[] = { JSON_OPT, HELP_OPT, END_OPT };
	struct kbits_file *files = NULL;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	bool json = false;
	size_t n = 0;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(files_help);
		default:
			return usage_hint("files");
		}
	}
	ret = one_guid("files", argc, argv);
	if (!ret)
		ret = get_job_arg("files", argv[optind], &id, &j);
	if (ret)
		return ret;
	err = kbits_job_get_files(j, &files, &n);
	if (err) {
		ret = job_fail(&id, j, "read the files", err);
		kbits_job_unref(j);
		return ret;
	}
	kbits_job_unref(j);

	if (json) {
		put_json_files(stdout, files, n);
		putchar('\n');
	} else {
		put_files(files, n);
	}
	kbits_files_free(files, n);
	return finish_stdout();
}

/* ------------------------------------------------------------------ error */

static const char error_help[] =
	"Usage: kbitsctl error [--json] GUID\n"
	"\n"
	"Shows a job's last error: in words, then its context (GENERAL, LOCAL_FILE,\n"
	"REMOTE_FILE, TRANSPORT, REMOTE_APPLICATION), its code (an HTTP status,\n"
	"or an errno with its name), the file it concerns and its text. A job\n"
	"without an error prints \"job {...}: no error\"; that is no failure: the\n"
	"exit status is 0.\n"
	"\n"
	"Options:\n"
	"      --json   one JSON object: guid, error: null, or an object with\n"
	"               context, code, http_status, errno (the errno's name),\n"
	"               file_index, remote_name, local_name (null: no file),\n"
	"               text, description (the error in words)\n"
	"  -h, --help   show this help\n";

int cmd_error(int argc, char **argv)
{
	static const struct option opts[] = { JSON_OPT, HELP_OPT, END_OPT };
	struct kbits_file *files = NULL;
	struct kbits_error e = { 0 };
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	char g[KBITS_GUID_STRING_LEN], words[2048];
	bool json = false;
	size_t n = 0;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(error_help);
		default:
			return usage_hint("error");
		}
	}
	ret = one_guid("error", argc, argv);
	if (!ret)
		ret = get_job_arg("error", argv[optind], &id, &j);
	if (ret)
		return ret;
	kbits_guid_format(&id, g);
	err = kbits_job_get_error(j, &e);
	if (err == -ENOMSG) {
		kbits_job_unref(j);
		if (json)
			printf("{\"guid\": \"%s\", \"error\": null}\n", g);
		else
			printf("job %s: no error\n", g);
		return finish_stdout();
	}
	if (!err)
		err = kbits_job_get_files(j, &files, &n);
	if (err) {
		ret = job_fail(&id, j, "read the error", err);
		kbits_job_unref(j);
		free(e.text);
		return ret;
	}
	kbits_job_unref(j);

	if (json) {
		printf("{\"guid\": \"%s\", \"error\": {", g);
		put_json_error_members(stdout, &e, files, n);
		puts("}}");
	} else {
		describe_error(words, sizeof(words), &e, files, n);
		printf("job %s: %s\n", g, words);
		printf("Context: %s\n", error_context_name(e.context));
		if (error_is_http(&e, files, n)) {
			const char *r = http_reason(e.code);

			printf("Code:    HTTP %d%s%s\n", e.code, r ? " " : "", r ? r : "");
		} else {
			const char *name = e.code > 0 ? errno_name(e.code) : NULL;

			printf("Code:    errno %d %s (%s)\n", e.code, name ? name : "?",
			       e.code > 0 ? strerror(e.code) : "?");
		}
		if (e.file_index == KBITS_NO_FILE || e.file_index >= n) {
			puts("File:    none");
		} else {
			printf("File:    %u: ", e.file_index);
			put_text(stdout, files[e.file_index].remote_name);
			fputs(" -> ", stdout);
			put_text(stdout, files[e.file_index].local_name);
			putchar('\n');
		}
		fputs("Text:    ", stdout);
		put_text(stdout, e.text ? e.text : "");
		putchar('\n');
	}
	free(e.text);
	kbits_files_free(files, n);
	return finish_stdout();
}

/* -------------------------------------------------------------------- set */

static const char set_help_head[] =
	"Usage: kbitsctl set GUID [OPTIONS]\n"
	"\n"
	"Changes a job's settings. Every argument is checked before anything\n"
	"changes; when the kernel refuses a change, the ones made before it are\n"
	"undone, so the job gets all the settings or none.\n"
	"\n"
	"Options:\n";

static const char set_help_tail[] =
	"      --headers HEADERS         custom HTTP headers, \"Name: value\" lines\n"
	"                                separated by \\n or \\r\\n; '' removes them\n"
	"                                (the process list shows them: prefer\n"
	"                                --headers-file for tokens)\n"
	"  -h, --help                    show this help\n"
	"\n"
	"SECONDS may end in s, m, h or d (e.g. 30m, 2d).\n";

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = {
		SETTINGS_OPTS,
		{ "headers", required_argument, NULL, OPT_HEADERS },
		HELP_OPT, END_OPT,
	};
	struct settings st = { 0 };
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	int c, ret;

	while ((c = getopt_long(argc, argv, SETTINGS_SHORT "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(set_help_head, stdout);
			fputs(settings_help, stdout);
			return print_help(set_help_tail);
		}
		ret = settings_option("set", &st, c, optarg);
		if (ret < 0)
			return usage_hint("set");
		if (ret)
			return ret;
	}
	ret = one_guid("set", argc, argv);
	if (ret)
		return ret;
	ret = parse_guid_arg("set", argv[optind], &id);
	if (ret)
		return ret;
	ret = settings_finish("set", &st);
	if (ret)
		return ret;
	if (!settings_any(&st))
		return usage_fail("set", "nothing to set: give at least one option");

	ret = get_job_arg("set", argv[optind], &id, &j);
	if (!ret)
		ret = settings_apply(&id, j, &st);
	settings_free(&st);
	kbits_job_unref(j);
	return ret;
}

/* ------------------------------------------ resume, suspend, cancel, ... */

struct simple_cmd {
	const char *name;
	const char *help;
	const char *what;		/* for "cannot WHAT" */
	int (*op)(struct kbits_job *j);
	bool json;			/* has --json (complete) */
};

static const struct simple_cmd resume_cmd = {
	"resume",
	"Usage: kbitsctl resume GUID\n"
	"\n"
	"Queues a job for transfer (SUSPENDED, ERROR or TRANSIENT_ERROR ->\n"
	"QUEUED); kbitsd then transfers its files. A job needs files first.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n",
	"resume", kbits_job_resume, false,
};

static const struct simple_cmd suspend_cmd = {
	"suspend",
	"Usage: kbitsctl suspend GUID\n"
	"\n"
	"Suspends a job: kbitsd stops transferring it until it is resumed.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n",
	"suspend", kbits_job_suspend, false,
};

static const struct simple_cmd cancel_cmd = {
	"cancel",
	"Usage: kbitsctl cancel GUID\n"
	"\n"
	"Cancels a job: it leaves the queue, and the files not yet completed with\n"
	"'complete' are not put in place.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n",
	"cancel", kbits_job_cancel, false,
};

static const struct simple_cmd complete_cmd = {
	"complete",
	"Usage: kbitsctl complete [--json] GUID\n"
	"\n"
	"Completes a job: its transferred files are put at their local names,\n"
	"owned by the job's owner, and the job becomes ACKNOWLEDGED and leaves\n"
	"the queue. A download job may be completed before all its files are\n"
	"transferred: then only the finished ones are kept, and this prints\n"
	"\"partially completed: unfinished files dropped\". An upload job must be\n"
	"TRANSFERRED (exit status 5 otherwise). This waits for kbitsd to move the\n"
	"files.\n"
	"\n"
	"Options:\n"
	"      --json   one JSON object: guid, partial (true when files were dropped)\n"
	"  -h, --help   show this help\n",
	"complete", kbits_job_complete, true,
};

static int run_simple(const struct simple_cmd *sc, int argc, char **argv)
{
	static const struct option opts[] = { JSON_OPT, HELP_OPT, END_OPT };
	static const struct option opts_nojson[] = { HELP_OPT, END_OPT };
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	bool json = false;
	int c, ret, r;

	while ((c = getopt_long(argc, argv, "h", sc->json ? opts : opts_nojson, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(sc->help);
		default:
			return usage_hint(sc->name);
		}
	}
	ret = one_guid(sc->name, argc, argv);
	if (!ret)
		ret = get_job_arg(sc->name, argv[optind], &id, &j);
	if (ret)
		return ret;
	r = sc->op(j);
	if (r < 0) {
		ret = job_fail(&id, j, sc->what, r);
	} else if (sc->json) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(&id, g);
		if (json)
			printf("{\"guid\": \"%s\", \"partial\": %s}\n", g,
			       r == KBITS_COMPLETE_PARTIAL ? "true" : "false");
		else if (r == KBITS_COMPLETE_PARTIAL)
			printf("job %s: partially completed: unfinished files dropped\n", g);
		ret = finish_stdout();
	}
	kbits_job_unref(j);
	return ret;
}

int cmd_resume(int argc, char **argv)
{
	return run_simple(&resume_cmd, argc, argv);
}

int cmd_suspend(int argc, char **argv)
{
	return run_simple(&suspend_cmd, argc, argv);
}

int cmd_cancel(int argc, char **argv)
{
	return run_simple(&cancel_cmd, argc, argv);
}

int cmd_complete(int argc, char **argv)
{
	return run_simple(&complete_cmd, argc, argv);
}

/* ---------------------------------------------------------- take-ownership */

static const char take_ownership_help[] =
	"Usage: kbitsctl take-ownership [--json] GUID\n"
	"\n"
	"Makes you the owner of another user's job (BITS: TakeOwnership). Needs\n"
	"CAP_SYS_ADMIN over the job's user namespace, with the job's owner mapped\n"
	"into yours (root on the host may take any job). The job moves to your\n"
	"namespaces: its paths and URLs are then resolved where you are.\n"
	"\n"
	"First shows the job's files, as 'files' does: once you own it, kbitsd\n"
	"transfers them with your rights, and its old owner chose them. A job that\n"
	"was QUEUED, being transferred or waiting for a retry is SUSPENDED by the\n"
	"takeover: nothing is transferred until you have checked its files and\n"
	"resumed it with 'kbitsctl resume GUID'. Other states stay. Every handle\n"
	"the old owner had of the job is revoked.\n"
	"\n"
	"Options:\n"
	"      --json   one JSON object: guid, owner, previous_owner, state,\n"
	"               previous_state, files (as 'files --json' gives them, after\n"
	"               the takeover)\n"
	"  -h, --help   show this help\n";

/* The states in which a job is the agent's to work on: a takeover suspends them. */
static bool state_is_active(enum kbits_job_state s)
{
	return s == KBITS_JOB_STATE_QUEUED || s == KBITS_JOB_STATE_CONNECTING ||
	       s == KBITS_JOB_STATE_TRANSFERRING || s == KBITS_JOB_STATE_TRANSIENT_ERROR;
}

static bool same_files(const struct kbits_file *a, size_t na, const struct kbits_file *b,
		       size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (strcmp(a[i].remote_name, b[i].remote_name) ||
		    strcmp(a[i].local_name, b[i].local_name))
			return false;
	}
	return true;
}

int cmd_take_ownership(int argc, char **argv)
{
	static const struct option opts[] = { JSON_OPT, HELP_OPT, END_OPT };
	struct kbits_file *before = NULL, *after = NULL;
	size_t n_before = 0, n_after = 0;
	enum kbits_job_state st_before, st_after;
	char g[KBITS_GUID_STRING_LEN], who[64];
	uid_t old_owner, new_owner;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	bool json = false;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(take_ownership_help);
		default:
			return usage_hint("take-ownership");
		}
	}
	ret = one_guid("take-ownership", argc, argv);
	/* name:NAME among every user's jobs: it takes another's */
	if (!ret)
		ret = get_job_arg_flags("take-ownership", argv[optind], KBITS_ENUM_ALL_USERS, &id, &j);
	if (ret)
		return ret;
	kbits_guid_format(&id, g);

	/* What the job is before: its files, shown before it is taken. */
	err = kbits_job_get_state(j, &st_before);
	if (!err)
		err = kbits_job_get_owner(j, &old_owner);
	if (!err)
		err = kbits_job_get_files(j, &before, &n_before);
	if (err) {
		ret = job_fail(&id, j, "read the job", err);
		goto out;
	}
	if (!json) {
		format_owner(who, sizeof(who), old_owner);
		printf("job %s: owned by %s, %s; its files:\n", g, who,
		       kbits_job_state_name(st_before));
		put_files(before, n_before);
		ret = finish_stdout();
		if (ret)
			goto out;
	}

	err = kbits_job_take_ownership(j);
	if (err) {
		ret = job_fail(&id, j, "take ownership", err);
		goto out;
	}

	/* The job now, through the same handle (the takeover kept it valid). */
	err = kbits_job_get_state(j, &st_after);
	if (!err)
		err = kbits_job_get_owner(j, &new_owner);
	if (!err)
		err = kbits_job_get_files(j, &after, &n_after);
	if (err) {
		ret = job_fail(&id, j, "read the job after taking it", err);
		goto out;
	}

	if (json) {
		printf("{\"guid\": \"%s\", \"owner\": %u, \"previous_owner\": %u, "
		       "\"state\": \"%s\", \"previous_state\": \"%s\", \"files\": ", g,
		       (unsigned int)new_owner, (unsigned int)old_owner,
		       kbits_job_state_name(st_after), kbits_job_state_name(st_before));
		put_json_files(stdout, after, n_after);
		puts("}");
		ret = finish_stdout();
		goto out;
	}
	if (!same_files(before, n_before, after, n_after)) {
		/* its old owner changed them meanwhile: these are the ones it has */
		printf("job %s: its files changed before the takeover; they are now:\n", g);
		put_files(after, n_after);
	}
	format_owner(who, sizeof(who), new_owner);
	printf("job %s: taken over: its owner is now %s.\n", g, who);
	if (st_after == KBITS_JOB_STATE_SUSPENDED && state_is_active(st_before))
		printf("It is now SUSPENDED (it was %s): nothing is transferred until you resume it.\n"
		       "Check its files above, then resume it with 'kbitsctl resume %s'.\n",
		       kbits_job_state_name(st_before), g);
	else if (st_after == st_before)
		printf("Its state is %s, as before.\n", kbits_job_state_name(st_after));
	else
		printf("Its state is %s (it was %s).\n", kbits_job_state_name(st_after),
		       kbits_job_state_name(st_before));
	ret = finish_stdout();
out:
	kbits_files_free(before, n_before);
	kbits_files_free(after, n_after);
	kbits_job_unref(j);
	return ret;
}
