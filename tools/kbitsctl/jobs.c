// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the commands that change jobs: create, add-file, set, resume,
 * suspend, cancel, complete, take-ownership.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbitsctl.h"

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
	"is cancelled: it is created with all of them or not at all.\n"
	"kbitsctl(1) says what each member of --json's output means.\n";

struct create_opts {
	enum kbits_job_priority priority;
	enum kbits_job_type type;
	const char *description;
	bool priority_set;
};

static int create_option(struct cmdline *cl, int c, const char *arg)
{
	struct create_opts *o = cl->opts;

	switch (c) {
	case 't':
		if (kbits_job_type_from_name(arg, &o->type) < 0)
			return usage_fail("create", "unknown job type '%s' (download, upload or upload-reply)",
					  arg);
		return EXIT_OK;
	case 'p':
		if (kbits_job_priority_from_name(arg, &o->priority) < 0)
			return usage_fail("create", "unknown priority '%s' (foreground, high, normal or low)",
					  arg);
		o->priority_set = true;
		return EXIT_OK;
	case 'd':
		o->description = arg;
		return EXIT_OK;
	}
	return -1;
}

static const struct option create_long[] = {
	{ "type", required_argument, NULL, 't' },
	{ "priority", required_argument, NULL, 'p' },
	{ "description", required_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 },
};

/* (KBITS_JOB_TYPE_DOWNLOAD and KBITS_PRIORITY_NORMAL are 0: the defaults.) */
const struct verb_options create_options = {
	"t:p:d:", create_long, create_option, sizeof(struct create_opts),
	(const char *const[]){ create_help, NULL },
};

int cmd_create(struct cmdline *cl)
{
	const struct create_opts *o = cl->opts;
	const char *desc = o->description, *name = cl->argv[0];
	bool prio_set = o->priority_set;
	char s[KBITS_GUID_STRING_LEN];
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	struct kbits_guid id;
	int ret, err;

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
	err = kbits_create_job(m, name, o->type, &id, &j);
	kbits_unref(m);
	if (err) {
		errmsg("cannot create the job: %s",
		       err == -EINVAL ? "the name is not valid UTF-8" : reason_text(err));
		return err == -EACCES || err == -EPERM ? EXIT_DENIED : EXIT_FAILED;
	}
	kbits_guid_format(&id, s);

	err = 0;
	if (prio_set)
		err = kbits_job_set_priority(j, o->priority);
	if (!err && desc)
		err = kbits_job_set_description(j, desc);
	if (!err) {
		put_guid(s, cl->json);
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
	"       kbitsctl add-file [--sha256 HEX] GUID REMOTE LOCAL\n"
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
	"  -s, --sha256 HEX  the file's expected SHA-256, 64 hex digits: kbitsd\n"
	"                    checks the whole file and fails the job instead of\n"
	"                    placing a file that differs (one REMOTE LOCAL pair)\n"
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

void local_name_why(char *buf, size_t size, const char *local, int err)
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
	      const struct kbits_file_info *f, size_t n, const uint8_t *sha256)
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
	if (sha256)
		err = kbits_job_add_file_sha256(j, f[0].remote_name, f[0].local_name, sha256);
	else
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
		if (err == -EPERM)
			goto secrets;
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
	/* a module older than expected SHA-256s refuses the larger struct so */
	if (err == -E2BIG && sha256) {
		errmsg("job %s: cannot add the file: the job has as many files as it may, or "
		       "the kbits module is too old for --sha256 (%s)", s, reason_text(err));
		return EXIT_FAILED;
	}
	if (err == -EPERM)
		goto secrets;
	return job_fail(id, j, "add the files", err);
secrets:
	/*
	 * The kernel's: a job with secrets sends them where its files say,
	 * and an upload sends its owner's file; only who may get the job
	 * (GET_JOB's rule) says where.
	 */
	errmsg("job %s: cannot add the files: only the job's owner or an administrator may "
	       "add files to an upload job or to a job with credentials or write-only headers",
	       s);
	return EXIT_DENIED;
}

struct add_file_opts {
	const char *from;
	bool has_sha256;
	uint8_t sha256[KBITS_SHA256_SIZE];
};

static int add_file_option(struct cmdline *cl, int c, const char *arg)
{
	struct add_file_opts *o = cl->opts;
	char shown[256];

	switch (c) {
	case 'f':
		o->from = arg;
		return EXIT_OK;
	case 's':
		if (parse_sha256(arg, o->sha256)) {
			text_to_buf(shown, sizeof(shown), arg);
			return usage_fail("add-file", "--sha256 '%s': a SHA-256 is 64 hex digits "
					  "(0-9, a-f, in either case)", shown);
		}
		o->has_sha256 = true;
		return EXIT_OK;
	}
	return -1;
}

static const struct option add_file_long[] = {
	{ "from", required_argument, NULL, 'f' },
	{ "sha256", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options add_file_options = {
	"f:s:", add_file_long, add_file_option, sizeof(struct add_file_opts),
	(const char *const[]){ add_file_help, NULL },
};

int cmd_add_file(struct cmdline *cl)
{
	const struct add_file_opts *o = cl->opts;
	struct kbits_file_info *files = NULL;
	struct file_list list = { 0 };
	const char *from = o->from, *why, *arg = cl->argv[0];
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	unsigned int bad;
	int ret, n;

	ret = parse_guid_arg("add-file", arg, &id);
	if (ret)
		return ret;
	n = cl->argc - 1;
	/* a digest is one file's: a list would need one a line */
	if (o->has_sha256 && from)
		return usage_fail("add-file", "--sha256 and --from do not go together");
	if (o->has_sha256 && n > 2)
		return usage_fail("add-file", "--sha256 goes with one REMOTE LOCAL pair, not more");
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
		ret = file_pairs("add-file", n, cl->argv + 1, NULL, NULL, &files);
	}
	if (!ret)
		ret = get_job_arg("add-file", arg, &id, &j);
	if (!ret)
		ret = add_files(&id, j, files, (size_t)n / 2, o->has_sha256 ? o->sha256 : NULL);
	kbits_job_unref(j);
	file_pairs_free(files, (size_t)n / 2);
	file_list_free(&list);
	return ret;
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
	"      --notify-cmd CMDLINE      the program (an absolute path) and its\n"
	"                                arguments kbitsd runs as the job's owner\n"
	"                                when the job is transferred or in error (as\n"
	"                                --notify asks), split into words as sh\n"
	"                                splits them ('...', \"...\", \\) but not run\n"
	"                                by a shell: nothing is expanded; '' removes it\n"
	"      --reply-file PATH         an upload-reply job's reply file, where the\n"
	"                                server's reply goes (relative: made absolute\n"
	"                                against the current directory; its directory\n"
	"                                must be one you may write in); '' removes it\n"
	"      --upload-method put|post  how an upload job's file is sent (default put)\n"
	"  -h, --help                    show this help\n"
	"\n"
	"SECONDS may end in s, m, h or d (e.g. 30m, 2d). Credentials have commands\n"
	"of their own: set-credentials, remove-credentials.\n";

static int set_option(struct cmdline *cl, int c, const char *arg)
{
	return settings_option("set", cl->opts, c, arg);
}

static const struct option set_long[] = {
	SETTINGS_OPTS,
	{ "headers", required_argument, NULL, OPT_HEADERS },
	{ "notify-cmd", required_argument, NULL, OPT_NOTIFY_CMD },
	{ "reply-file", required_argument, NULL, OPT_REPLY_FILE },
	{ "upload-method", required_argument, NULL, OPT_UPLOAD_METHOD },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options set_options = {
	SETTINGS_SHORT, set_long, set_option, sizeof(struct settings),
	(const char *const[]){ set_help_head, settings_help, set_help_tail, NULL },
};

int cmd_set(struct cmdline *cl)
{
	struct settings *st = cl->opts;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	int ret;

	ret = parse_guid_arg("set", cl->argv[0], &id);
	if (!ret)
		ret = settings_finish("set", st);
	if (!ret && !settings_any(st))
		ret = usage_fail("set", "nothing to set: give at least one option");
	if (!ret)
		ret = get_job_arg("set", cl->argv[0], &id, &j);
	if (!ret)
		ret = settings_apply(&id, j, st);
	settings_free(st);
	kbits_job_unref(j);
	return ret;
}

/* ------------------------------------------ resume, suspend, cancel, ... */

/*
 * resume, suspend, cancel and complete: one call on the job.  Only complete
 * prints something (a partial completion), so only it takes --json.
 */
static int run_simple(struct cmdline *cl, const char *what, int (*op)(struct kbits_job *j),
		      bool prints)
{
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	int ret, r;

	ret = get_job_arg(cl->name, cl->argv[0], &id, &j);
	if (ret)
		return ret;
	r = op(j);
	if (r < 0) {
		ret = job_fail(&id, j, what, r);
	} else if (prints) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(&id, g);
		if (cl->json) {
			struct json w;

			json_init(&w, stdout);
			json_object_begin(&w);
			json_member_string(&w, "guid", g);
			json_member_bool(&w, "partial", r == KBITS_COMPLETE_PARTIAL);
			json_object_end(&w);
			json_end(&w);
		} else if (r == KBITS_COMPLETE_PARTIAL) {
			printf("job %s: partially completed: unfinished files dropped\n", g);
		}
		ret = finish_stdout();
	}
	kbits_job_unref(j);
	return ret;
}

static const char resume_help[] =
	"Usage: kbitsctl resume GUID\n"
	"\n"
	"Queues a job for transfer (SUSPENDED, ERROR or TRANSIENT_ERROR ->\n"
	"QUEUED); kbitsd then transfers its files. A job needs files first.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

const struct verb_options resume_options = {
	.help = (const char *const[]){ resume_help, NULL },
};

int cmd_resume(struct cmdline *cl)
{
	return run_simple(cl, "resume", kbits_job_resume, false);
}

static const char suspend_help[] =
	"Usage: kbitsctl suspend GUID\n"
	"\n"
	"Suspends a job: kbitsd stops transferring it until it is resumed.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

const struct verb_options suspend_options = {
	.help = (const char *const[]){ suspend_help, NULL },
};

int cmd_suspend(struct cmdline *cl)
{
	return run_simple(cl, "suspend", kbits_job_suspend, false);
}

static const char cancel_help[] =
	"Usage: kbitsctl cancel GUID\n"
	"\n"
	"Cancels a job: it leaves the queue, and the files not yet completed with\n"
	"'complete' are not put in place.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

const struct verb_options cancel_options = {
	.help = (const char *const[]){ cancel_help, NULL },
};

int cmd_cancel(struct cmdline *cl)
{
	return run_simple(cl, "cancel", kbits_job_cancel, false);
}

static const char complete_help[] =
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
	"      --json   one JSON object: the job's guid, and whether files were\n"
	"               dropped\n"
	"  -h, --help   show this help\n"
	"\n"
	"kbitsctl(1) says what each member of --json's output means.\n";

const struct verb_options complete_options = {
	.help = (const char *const[]){ complete_help, NULL },
};

int cmd_complete(struct cmdline *cl)
{
	return run_simple(cl, "complete", kbits_job_complete, true);
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
	"      --json   one JSON object: the job's owner and state before and\n"
	"               after, and its files after the takeover\n"
	"  -h, --help   show this help\n"
	"\n"
	"kbitsctl(1) says what each member of --json's output means.\n";

const struct verb_options take_ownership_options = {
	.help = (const char *const[]){ take_ownership_help, NULL },
};

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

int cmd_take_ownership(struct cmdline *cl)
{
	struct kbits_file_attrs *attrs_before = NULL, *attrs_after = NULL;
	struct kbits_file *before = NULL, *after = NULL;
	size_t n_before = 0, n_after = 0;
	enum kbits_job_state st_before, st_after;
	char g[KBITS_GUID_STRING_LEN], who[64];
	uid_t old_owner, new_owner;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	bool json = cl->json;
	int ret, err;

	/* name:NAME among every user's jobs: it takes another's */
	ret = get_job_arg_flags("take-ownership", cl->argv[0], KBITS_ENUM_ALL_USERS, &id, &j);
	if (ret)
		return ret;
	kbits_guid_format(&id, g);

	/* What the job is before: its files, shown before it is taken. */
	err = kbits_job_get_state(j, &st_before);
	if (!err)
		err = kbits_job_get_owner(j, &old_owner);
	if (!err)
		err = kbits_job_get_files(j, &before, &n_before);
	if (!err)
		err = read_file_attrs(j, n_before, &attrs_before);
	if (err) {
		ret = job_fail(&id, j, "read the job", err);
		goto out;
	}
	if (!json) {
		format_owner(who, sizeof(who), old_owner);
		printf("job %s: owned by %s, %s; its files:\n", g, who,
		       kbits_job_state_name(st_before));
		put_files(before, attrs_before, n_before);
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
	if (!err)
		err = read_file_attrs(j, n_after, &attrs_after);
	if (err) {
		ret = job_fail(&id, j, "read the job after taking it", err);
		goto out;
	}

	if (json) {
		struct json w;

		json_init(&w, stdout);
		json_object_begin(&w);
		json_member_string(&w, "guid", g);
		json_member_uint(&w, "owner", (unsigned int)new_owner);
		json_member_uint(&w, "previous_owner", (unsigned int)old_owner);
		json_member_string(&w, "state", kbits_job_state_name(st_after));
		json_member_string(&w, "previous_state", kbits_job_state_name(st_before));
		json_key(&w, "files");
		json_files(&w, after, attrs_after, n_after);
		json_object_end(&w);
		json_end(&w);
		ret = finish_stdout();
		goto out;
	}
	if (!same_files(before, n_before, after, n_after)) {
		/* its old owner changed them meanwhile: these are the ones it has */
		printf("job %s: its files changed before the takeover; they are now:\n", g);
		put_files(after, attrs_after, n_after);
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
	free(attrs_before);
	free(attrs_after);
	kbits_job_unref(j);
	return ret;
}
