// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the commands that show jobs: list, info, files, error
 * (output.c writes the jobs, files and errors they read).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kbitsctl.h"

#define SEE_MAN "kbitsctl(1) says what each member of --json's output means.\n"

/* ------------------------------------------------------------------- list */

static const char list_help[] =
	"Usage: kbitsctl list [OPTIONS]\n"
	"\n"
	"Lists your jobs in the queue: GUID, state and display name.\n"
	"\n"
	"Options:\n"
	"  -a, --all-users   every user's jobs (needs CAP_SYS_ADMIN)\n"
	"  -v, --verbose     also the owner, files done/total and bytes\n"
	"      --json        a JSON array of objects, one per job\n"
	"  -h, --help        show this help\n"
	"\n"
	SEE_MAN;

struct list_opts {
	unsigned int enum_flags;
	bool verbose;
};

static int list_option(struct cmdline *cl, int c, const char *arg)
{
	struct list_opts *o = cl->opts;

	(void)arg;
	switch (c) {
	case 'a':
		o->enum_flags |= KBITS_ENUM_ALL_USERS;
		return EXIT_OK;
	case 'v':
		o->verbose = true;
		return EXIT_OK;
	}
	return -1;
}

static const struct option list_long[] = {
	{ "all-users", no_argument, NULL, 'a' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options list_options = {
	"av", list_long, list_option, sizeof(struct list_opts),
	(const char *const[]){ list_help, NULL },
};

/* list's columns: "GUID  STATE  [OWNER  FILES  BYTES]  DISPLAY NAME" */
static void put_list_line(const struct job_summary *s, bool verbose)
{
	char g[KBITS_GUID_STRING_LEN];

	kbits_guid_format(&s->id, g);
	if (verbose) {
		char owner[64], files[24], done[16], total[16], bytes[40];

		format_owner(owner, sizeof(owner), s->owner);
		snprintf(files, sizeof(files), "%u/%u", s->progress.files_transferred,
			 s->progress.files_total);
		format_bytes(done, sizeof(done), s->progress.bytes_transferred);
		format_bytes(total, sizeof(total), s->progress.bytes_total);
		snprintf(bytes, sizeof(bytes), "%s/%s", done, total);
		printf("%-38s  %-15s  %-20s  %-9s  %-21s  ", g, kbits_job_state_name(s->state),
		       owner, files, bytes);
	} else {
		printf("%-38s  %-15s  ", g, kbits_job_state_name(s->state));
	}
	put_text(stdout, s->name);
	putchar('\n');
}

int cmd_list(struct cmdline *cl)
{
	const struct list_opts *o = cl->opts;
	struct kbits_guid *ids = NULL;
	struct kbits *m = NULL;
	struct json w;
	size_t i, n;
	int ret, err;

	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_enum_jobs(m, o->enum_flags, &ids, &n);
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

	json_init(&w, stdout);
	if (cl->json)
		json_array_begin_lines(&w);
	else if (o->verbose)
		printf("%-38s  %-15s  %-20s  %-9s  %-21s  %s\n", "GUID", "STATE", "OWNER", "FILES",
		       "BYTES", "DISPLAY NAME");
	else
		printf("%-38s  %-15s  %s\n", "GUID", "STATE", "DISPLAY NAME");
	for (i = 0; i < n; i++) {
		struct job_summary sum;
		struct kbits_job *j;

		/* A job may leave the queue between the walk and the get. */
		if (kbits_get_job(m, &ids[i], &j) < 0)
			continue;
		err = summary_read(j, &sum, false);
		kbits_job_unref(j);
		if (err)
			continue;
		if (cl->json)
			json_summary(&w, &sum, false);
		else
			put_list_line(&sum, o->verbose);
		summary_free(&sum);
	}
	if (cl->json) {
		json_array_end(&w);
		json_end(&w);
	}
	free(ids);
	kbits_unref(m);
	return finish_stdout();
}

/* ------------------------------------------------------------------- info */

static const char info_help[] =
	"Usage: kbitsctl info [--json] GUID\n"
	"\n"
	"Shows everything about a job: its name and description, type, state,\n"
	"owner, settings, times, progress, proxy settings, HTTP headers (not\n"
	"write-only ones), which credentials it has (never a password), an upload\n"
	"job's method and reply file, and its last error ('files' shows its files).\n"
	"\n"
	"Options:\n"
	"      --json   one JSON object, with the job's files too\n"
	"  -h, --help   show this help\n"
	"\n"
	SEE_MAN;

const struct verb_options info_options = {
	.help = (const char *const[]){ info_help, NULL },
};

int cmd_info(struct cmdline *cl)
{
	struct job_summary s;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	int ret, err;

	ret = get_job_arg(cl->name, cl->argv[0], &id, &j);
	if (ret)
		return ret;
	err = summary_read(j, &s, true);
	if (err) {
		ret = job_fail(&id, j, "read the job", err);
		kbits_job_unref(j);
		return ret;
	}
	kbits_job_unref(j);

	if (cl->json) {
		struct json w;

		json_init(&w, stdout);
		json_summary(&w, &s, true);
		json_end(&w);
	} else {
		put_summary_text(&s);
	}
	summary_free(&s);
	return finish_stdout();
}

/* ------------------------------------------------------------------ files */

static const char files_help[] =
	"Usage: kbitsctl files [--json] GUID\n"
	"\n"
	"Shows a job's files in the order they were added: remote and local name,\n"
	"bytes transferred and total ('?' while not known), whether the file is\n"
	"completed, the mode it is placed with (0666 less the umask of who added\n"
	"it) and its expected SHA-256, when it has one.\n"
	"\n"
	"Options:\n"
	"      --json   a JSON array of objects, one per file\n"
	"  -h, --help   show this help\n"
	"\n"
	SEE_MAN;

const struct verb_options files_options = {
	.help = (const char *const[]){ files_help, NULL },
};

int cmd_files(struct cmdline *cl)
{
	struct kbits_file_attrs *attrs = NULL;
	struct kbits_file *files = NULL;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	size_t n = 0;
	int ret, err;

	ret = get_job_arg(cl->name, cl->argv[0], &id, &j);
	if (ret)
		return ret;
	err = kbits_job_get_files(j, &files, &n);
	if (!err)
		err = read_file_attrs(j, n, &attrs);
	if (err) {
		ret = job_fail(&id, j, "read the files", err);
		kbits_job_unref(j);
		kbits_files_free(files, n);
		return ret;
	}
	kbits_job_unref(j);

	if (cl->json) {
		struct json w;

		json_init(&w, stdout);
		json_files(&w, files, attrs, n);
		json_end(&w);
	} else {
		put_files(files, attrs, n);
	}
	kbits_files_free(files, n);
	free(attrs);
	return finish_stdout();
}

/* ------------------------------------------------------------------ error */

static const char error_help[] =
	"Usage: kbitsctl error [--json] GUID\n"
	"\n"
	"Shows a job's last error: in words, then its context, its code (an HTTP\n"
	"status, or an errno with its name), the file it concerns and its text.\n"
	"A job without an error prints \"job {...}: no error\"; that is no\n"
	"failure: the exit status is 0.\n"
	"\n"
	"Options:\n"
	"      --json   one JSON object: the job's guid and its error (null: none)\n"
	"  -h, --help   show this help\n"
	"\n"
	SEE_MAN;

const struct verb_options error_options = {
	.help = (const char *const[]){ error_help, NULL },
};

int cmd_error(struct cmdline *cl)
{
	struct kbits_file *files = NULL;
	struct kbits_error e = { 0 };
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	char g[KBITS_GUID_STRING_LEN], words[2048];
	struct json w;
	size_t n = 0;
	int ret, err;

	ret = get_job_arg(cl->name, cl->argv[0], &id, &j);
	if (ret)
		return ret;
	kbits_guid_format(&id, g);
	json_init(&w, stdout);
	err = kbits_job_get_error(j, &e);
	if (err == -ENOMSG) {
		kbits_job_unref(j);
		if (cl->json) {
			json_object_begin(&w);
			json_member_string(&w, "guid", g);
			json_member_null(&w, "error");
			json_object_end(&w);
			json_end(&w);
		} else {
			printf("job %s: no error\n", g);
		}
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

	if (cl->json) {
		json_object_begin(&w);
		json_member_string(&w, "guid", g);
		json_key(&w, "error");
		json_error(&w, &e, files, n);
		json_object_end(&w);
		json_end(&w);
	} else {
		describe_error(words, sizeof(words), &e, files, n);
		printf("job %s: %s\n", g, words);
		put_error_text(&e, files, n);
	}
	free(e.text);
	kbits_files_free(files, n);
	return finish_stdout();
}
