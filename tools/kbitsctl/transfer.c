// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl transfer: bitsadmin /transfer.  A job made with the options'
 * settings and the files, resumed, watched until TRANSFERRED, completed;
 * cancelled when anything on the way fails.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kbitsctl.h"

#define AGENT_WAIT_MS 3000		/* QUEUED this long: is kbitsd running? */

static const char transfer_help_head[] =
	"Usage: kbitsctl transfer [OPTIONS] REMOTE LOCAL [REMOTE LOCAL...]\n"
	"\n"
	"Downloads files and waits, as bitsadmin /transfer does: creates a job,\n"
	"gives it the settings of the options, adds the files (relative paths are\n"
	"made absolute), resumes it, shows its progress on stderr (a bar on a\n"
	"terminal, else one line per change), and when it is TRANSFERRED\n"
	"completes it, which puts the files at their LOCAL names, and exits 0.\n"
	"Each LOCAL file's directory must exist and be one you may write in:\n"
	"else no job is made, and the message names the file.\n"
	"\n"
	"With --async it returns once the job is queued, as PowerShell's\n"
	"Start-BitsTransfer -Asynchronous does: it prints the job's GUID, and\n"
	"kbitsd transfers it as any job; complete it with 'kbitsctl complete GUID'\n"
	"once it is TRANSFERRED. When anything before that fails, the job is\n"
	"cancelled: a transfer leaves a queued job with all its settings and\n"
	"files, or none.\n"
	"\n"
	"When the transfer fails (the job goes to ERROR) it prints the error,\n"
	"cancels the job and exits 6. A transient error (e.g. a server that does\n"
	"not answer) is shown and retried by kbitsd after the job's retry delay,\n"
	"until its no-progress timeout makes it final. On SIGINT (Ctrl-C),\n"
	"SIGTERM or SIGHUP it cancels the job and exits 7. When the job waits\n"
	"QUEUED for a few seconds it says once that it is waiting for kbitsd, the\n"
	"agent that transfers.\n"
	"\n"
	"Options (the job's settings, as 'set' takes them; the display name\n"
	"defaults to 'kbitsctl transfer'):\n";

static const char transfer_help_tail[] =
	"      --credentials-file FILE   credentials for the server or the proxy\n"
	"                                ('-': stdin): 'TARGET SCHEME USER PASSWORD'\n"
	"                                lines, TARGET server or proxy, SCHEME basic,\n"
	"                                digest, ntlm or negotiate, PASSWORD the rest\n"
	"                                of the line; blank lines and lines starting\n"
	"                                with # skipped; a warning when others may\n"
	"                                read FILE\n"
	"      --async                   print the job's GUID once it is queued,\n"
	"                                and return\n"
	"      --json                    at the end, one JSON object on stdout: the\n"
	"                                job and its files (with --async: its guid)\n"
	"  -h, --help                    show this help\n"
	"\n"
	"SECONDS may end in s, m, h or d (e.g. 30m, 2d). On success stdout gets\n"
	"'job GUID: transferred N files (SIZE)', with --async the GUID.\n"
	"kbitsctl(1) says what each member of --json's output means.\n";

/* The progress display of transfer, on stderr. */
struct show {
	bool tty;
	bool bar_drawn;
	char bar_line[1024];		/* what the bar shows now */
	char g[KBITS_GUID_STRING_LEN];
	enum kbits_job_state last_state;
	struct kbits_job_progress last_p;
	int64_t last_line_ms;
	bool any_line;
};

static void show_clear(struct show *sh)
{
	if (sh->tty && sh->bar_drawn) {
		fputs("\r\033[K", stderr);
		sh->bar_drawn = false;
	}
}

/* Leaves the bar as it is on the screen, and goes to the next line. */
static void show_finish(struct show *sh)
{
	if (sh->tty && sh->bar_drawn) {
		fputc('\n', stderr);
		sh->bar_drawn = false;
	}
}

/* "kbitsctl: job GUID: MSG" on a line of its own. */
static void show_say(struct show *sh, const char *msg)
{
	show_clear(sh);
	fprintf(stderr, "kbitsctl: job %s: %s\n", sh->g, msg);
}

static void show_progress(struct show *sh, enum kbits_job_state st,
			  const struct kbits_job_progress *p, const char *note)
{
	char bar[32], counts[96];

	if (sh->tty) {
		char line[1024], cut[1024];
		struct winsize ws;
		size_t cols = 80;

		if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
			cols = ws.ws_col;
		format_counts(counts, sizeof(counts), p);
		format_bar(bar, 20, p);
		snprintf(line, sizeof(line), "[%s] %s  %s%s%s", bar, counts,
			 kbits_job_state_name(st), note ? ": " : "", note ? note : "");
		/* One line less a column, so that \r redraws it: never wrap.
		 * (The note is escaped already: describe_error().) */
		cut_utf8(cut, cols < sizeof(cut) ? cols : sizeof(cut), line);
		if (sh->bar_drawn && !strcmp(cut, sh->bar_line))
			return;
		fprintf(stderr, "\r%s\033[K", cut);
		snprintf(sh->bar_line, sizeof(sh->bar_line), "%s", cut);
		sh->bar_drawn = true;
		fflush(stderr);
		return;
	}
	/* Plain: on a change of state at once, of progress at most once a second. */
	if (sh->any_line && st == sh->last_state &&
	    (!memcmp(p, &sh->last_p, sizeof(*p)) || now_ms() - sh->last_line_ms < 1000))
		return;
	format_progress(counts, sizeof(counts), p);
	fprintf(stderr, "job %s: %s: %s%s%s\n", sh->g, kbits_job_state_name(st), counts,
		note ? ": " : "", note ? note : "");
	sh->any_line = true;
	sh->last_state = st;
	sh->last_p = *p;
	sh->last_line_ms = now_ms();
}

/* Cancels the job we made; says so when it cannot. */
static void cancel_ours(struct kbits_job *j, const char *g)
{
	int err = kbits_job_cancel(j);

	if (err < 0 && err != -EBADFD)
		errmsg("job %s: cannot cancel it: %s; cancel it with 'kbitsctl cancel %s'", g,
		       reason_text(err), g);
}

enum { OPT_ASYNC = OPT_SETTINGS_END, OPT_CREDENTIALS_FILE };

struct transfer_opts {
	struct settings st;
	bool async;
	const char *credentials_file;
};

static int transfer_option(struct cmdline *cl, int c, const char *arg)
{
	struct transfer_opts *o = cl->opts;

	switch (c) {
	case OPT_ASYNC:
		o->async = true;
		return EXIT_OK;
	case OPT_CREDENTIALS_FILE:
		o->credentials_file = arg;
		return EXIT_OK;
	case OPT_HEADERS:
		/* not the value: it may be a token */
		return usage_fail("transfer", "no --headers: the process list would show them "
				  "to every user; use --headers-file FILE");
	}
	return settings_option("transfer", &o->st, c, arg);
}

static const struct option transfer_long[] = {
	SETTINGS_OPTS,
	/* named, so that getopt does not take it for --headers-file */
	{ "headers", required_argument, NULL, OPT_HEADERS },
	{ "async", no_argument, NULL, OPT_ASYNC },
	{ "credentials-file", required_argument, NULL, OPT_CREDENTIALS_FILE },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options transfer_options = {
	SETTINGS_SHORT, transfer_long, transfer_option, sizeof(struct transfer_opts),
	(const char *const[]){ transfer_help_head, settings_help, transfer_help_tail, NULL },
};

/* What a transfer has on its way. */
struct transfer {
	struct settings *st;
	const char *credentials_file;
	struct cred_list creds;		/* from --credentials-file; cleared at the end */
	bool json;
	const char *name;		/* the job's display name */
	struct kbits_file_info *pairs;
	size_t n_pairs;
	struct kbits_guid id;
	struct kbits_job *j;
	bool cancel;			/* the job is ours to cancel on the way out */
	struct show sh;
	struct kbits_job_progress p;	/* the job's progress, last read */
	struct kbits_file *files;	/* its files, when read */
	size_t n_files;
};

/* A step's status that says a signal came: the job is cancelled, exit 7. */
#define INTERRUPTED (-1)

/* Reads the job's files into t->files again (none when that fails). */
static void reread_files(struct transfer *t)
{
	kbits_files_free(t->files, t->n_files);
	t->files = NULL;
	t->n_files = 0;
	kbits_job_get_files(t->j, &t->files, &t->n_files);
}

/* The operands and the options checked, before any job is made. */
static int transfer_check(struct transfer *t, struct cmdline *cl)
{
	int ret;

	ret = file_pairs("transfer", cl->argc, cl->argv, NULL, NULL, &t->pairs);
	if (ret)
		return ret;
	t->n_pairs = (size_t)cl->argc / 2;
	ret = settings_finish("transfer", t->st);
	if (ret)
		return ret;
	if (t->credentials_file) {
		ret = read_credentials_file("transfer", t->credentials_file, &t->creds);
		if (ret)
			return ret;
	}
	/* Where the files go, before any job is made. */
	ret = check_local_names("transfer", t->pairs, t->n_pairs);
	if (ret)
		return ret;
	/* The job is made with its name. */
	t->name = t->st->display_name ? t->st->display_name : "kbitsctl transfer";
	t->st->display_name = NULL;
	return EXIT_OK;
}

/* The job made, given its settings and files, and resumed; cancelled if not. */
static int transfer_start(struct transfer *t)
{
	struct kbits *m = NULL;
	int ret, err;

	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_create_job(m, t->name, KBITS_JOB_TYPE_DOWNLOAD, &t->id, &t->j);
	kbits_unref(m);
	if (err) {
		errmsg("cannot create the job: %s", reason_text(err));
		return err == -EACCES || err == -EPERM ? EXIT_DENIED : EXIT_FAILED;
	}
	kbits_guid_format(&t->id, t->sh.g);
	t->sh.tty = isatty(STDERR_FILENO);
	t->cancel = true;

	ret = settings_any(t->st) ? settings_apply(&t->id, t->j, t->st) : EXIT_OK;
	if (ret)
		return ret;
	ret = apply_credentials(&t->id, t->j, &t->creds);
	if (ret)
		return ret;
	ret = add_files(&t->id, t->j, t->pairs, t->n_pairs, NULL);
	if (ret)
		return ret;
	err = kbits_job_resume(t->j);
	if (err)
		return job_fail(&t->id, t->j, "resume", err);
	/* A signal while the job was being set up: it is not to be queued. */
	if (got_signal)
		return INTERRUPTED;
	return EXIT_OK;
}

/* --async: the GUID, and the job left queued, unless nobody learnt it. */
static int transfer_async(struct transfer *t)
{
	int ret;

	put_guid(t->sh.g, t->json);
	ret = finish_stdout();
	t->cancel = ret != EXIT_OK;
	return ret;
}

/* The job went to ERROR: its error said; it is cancelled, exit 6. */
static int transfer_failed(struct transfer *t)
{
	struct kbits_error e = { 0 };
	char words[2048];

	show_progress(&t->sh, KBITS_JOB_STATE_ERROR, &t->p, NULL);
	show_finish(&t->sh);
	reread_files(t);
	if (kbits_job_get_error(t->j, &e) == 0) {
		describe_error(words, sizeof(words), &e, t->files, t->n_files);
		free(e.text);
		errmsg("job %s: %s", t->sh.g, words);
	} else {
		errmsg("job %s: the transfer failed", t->sh.g);
	}
	errmsg("job %s: cancelled", t->sh.g);
	return EXIT_TRANSFER;
}

/*
 * Shows the job's progress until it is TRANSFERRED (EXIT_OK, *state its
 * state), or ends: an error, a signal, another's cancel or complete.
 */
static int transfer_wait(struct transfer *t, enum kbits_job_state *state)
{
	enum kbits_job_state st, prev = KBITS_JOB_STATE_SUSPENDED;
	int64_t queued_since = now_ms();
	bool warned = false;
	int err;

	if (!t->sh.tty)
		fprintf(stderr, "job %s: queued %zu file%s\n", t->sh.g, t->n_pairs,
			t->n_pairs == 1 ? "" : "s");
	for (;;) {
		const char *note = NULL;
		struct kbits_error e = { 0 };
		char words[2048];

		if (got_signal)
			return INTERRUPTED;
		err = kbits_job_get_state(t->j, &st);
		if (!err)
			err = kbits_job_get_progress(t->j, &t->p);
		if (err) {
			/* taken over (EACCES): no longer ours to cancel */
			t->cancel = err != -EACCES;
			return job_fail(&t->id, t->j, "read the job", err);
		}
		if (st == KBITS_JOB_STATE_QUEUED && prev != KBITS_JOB_STATE_QUEUED)
			queued_since = now_ms();
		prev = st;

		switch (st) {
		case KBITS_JOB_STATE_QUEUED:
			if (!warned && now_ms() - queued_since >= AGENT_WAIT_MS) {
				show_say(&t->sh, "waiting for kbitsd (is it running?)");
				warned = true;
			}
			break;
		case KBITS_JOB_STATE_TRANSIENT_ERROR:
			if (kbits_job_get_error(t->j, &e) == 0) {
				reread_files(t);
				describe_error(words, sizeof(words), &e, t->files, t->n_files);
				free(e.text);
				note = words;
			}
			break;
		case KBITS_JOB_STATE_ERROR:
			return transfer_failed(t);
		case KBITS_JOB_STATE_CANCELLED:
		case KBITS_JOB_STATE_ACKNOWLEDGED:
			show_finish(&t->sh);
			errmsg("job %s: %s by another process", t->sh.g,
			       st == KBITS_JOB_STATE_CANCELLED ? "cancelled" : "completed");
			t->cancel = false;
			return EXIT_FAILED;
		default:
			break;
		}
		if (st == KBITS_JOB_STATE_TRANSFERRED) {
			*state = st;
			return EXIT_OK;
		}
		show_progress(&t->sh, st, &t->p, note);
		wait_job(t->j, TICK_MS);
	}
}

/* What a transfer that ended well prints: its job and files, or a line. */
static void transfer_report(const struct transfer *t, bool partial)
{
	struct json w;
	size_t i;

	if (!t->json) {
		char size[32];

		format_bytes(size, sizeof(size), t->p.bytes_transferred);
		printf("job %s: transferred %u file%s (%s)\n", t->sh.g, t->p.files_total,
		       t->p.files_total == 1 ? "" : "s", size);
		return;
	}
	json_init(&w, stdout);
	json_object_begin(&w);
	json_member_string(&w, "guid", t->sh.g);
	json_member_string(&w, "state", "ACKNOWLEDGED");
	json_member_bool(&w, "partial", partial);
	json_member_uint(&w, "bytes_transferred", t->p.bytes_transferred);
	json_key(&w, "files");
	json_array_begin(&w);
	for (i = 0; i < t->n_files; i++) {
		json_object_begin(&w);
		json_member_string(&w, "remote_name", t->files[i].remote_name);
		json_member_string(&w, "local_name", t->files[i].local_name);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	json_end(&w);
}

/* TRANSFERRED: complete it, which waits for kbitsd to place the files. */
static int transfer_complete(struct transfer *t, enum kbits_job_state state)
{
	int err;

	show_progress(&t->sh, state, &t->p, t->sh.tty ? "completing" : NULL);
	kbits_files_free(t->files, t->n_files);
	t->files = NULL;
	t->n_files = 0;
	err = kbits_job_get_files(t->j, &t->files, &t->n_files);
	if (!err) {
		err = kbits_job_complete(t->j);
		if (err == -EINTR || got_signal)
			return INTERRUPTED;
	}
	if (err >= 0)
		show_progress(&t->sh, KBITS_JOB_STATE_ACKNOWLEDGED, &t->p, NULL);
	show_finish(&t->sh);
	/* Completed or not, the job is not to be cancelled now. */
	t->cancel = false;
	if (err == -EAGAIN) {
		errmsg("job %s: transferred, but kbitsd, which puts the files in place, is not "
		       "running; the job stays in the queue: complete it later with "
		       "'kbitsctl complete %s'", t->sh.g, t->sh.g);
		return EXIT_FAILED;
	}
	if (err < 0)
		return job_fail(&t->id, t->j, "complete", err);
	transfer_report(t, err == KBITS_COMPLETE_PARTIAL);
	return finish_stdout();
}

int cmd_transfer(struct cmdline *cl)
{
	struct transfer_opts *o = cl->opts;
	struct transfer t = { .st = &o->st, .json = cl->json,
			      .credentials_file = o->credentials_file };
	enum kbits_job_state state;
	int ret;

	ret = transfer_check(&t, cl);
	if (ret)
		goto out;
	catch_signals();
	/*
	 * A reader of stdout that went away is a write error to report, and
	 * --async's job to cancel, not a SIGPIPE that kills kbitsctl and
	 * leaves a job behind that nobody knows the GUID of.
	 */
	signal(SIGPIPE, SIG_IGN);
	ret = transfer_start(&t);
	if (!ret && o->async)
		ret = transfer_async(&t);
	else if (!ret)
		ret = transfer_wait(&t, &state);
	if (!ret && !o->async)
		ret = transfer_complete(&t, state);
	if (ret == INTERRUPTED) {
		show_finish(&t.sh);
		errmsg("job %s: interrupted (%s): cancelled", t.sh.g,
		       strsignal(got_signal ? got_signal : SIGINT));
		ret = EXIT_INTERRUPTED;
		t.cancel = true;
	}
	if (t.cancel) {
		show_finish(&t.sh);
		cancel_ours(t.j, t.sh.g);
	}
out:
	settings_free(t.st);
	cred_list_free(&t.creds);
	kbits_files_free(t.files, t.n_files);
	file_pairs_free(t.pairs, t.n_pairs);
	kbits_job_unref(t.j);
	return ret;
}
