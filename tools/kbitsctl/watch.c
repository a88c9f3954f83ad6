// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: monitor (a live view of jobs) and transfer (bitsadmin /transfer).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kbitsctl.h"

#define TICK_MS 250			/* ~4 Hz */
#define AGENT_WAIT_MS 3000		/* QUEUED this long: is kbitsd running? */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* SIGINT, SIGTERM, SIGHUP set got_signal; no SA_RESTART, so waits end. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to @ms for an event of @j (drained) or a signal. */
static void wait_job(struct kbits_job *j, int ms)
{
	struct pollfd p = { .fd = j ? kbits_job_fd(j) : -1, .events = POLLIN };
	struct kbits_event ev;

	if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
		while (kbits_job_next_event(j, &ev, 0) == 0)
			;
	} else if (p.revents & (POLLHUP | POLLERR)) {
		/* Final: the caller sees it; do not spin. */
		if (!got_signal)
			poll(NULL, 0, ms);
	}
}

/* One job as monitor and transfer show it. */
struct snap {
	struct kbits_guid id;
	enum kbits_job_state state;
	struct kbits_job_progress p;
	char *name;
	bool live;			/* seen in this round */
};

static int snap_read(struct kbits_job *j, struct snap *s)
{
	char *name = NULL;
	int err;

	err = kbits_job_get_id(j, &s->id);
	if (!err)
		err = kbits_job_get_state(j, &s->state);
	if (!err)
		err = kbits_job_get_progress(j, &s->p);
	if (!err)
		err = kbits_job_get_display_name(j, &name);
	if (!err) {
		free(s->name);
		s->name = name;
	}
	return err;
}

/* "1/2 files  1.0 MiB/2.0 MiB  50%" */
static void format_counts(char *buf, size_t size, const struct kbits_job_progress *p)
{
	char done[16], total[16];
	int pc = progress_percent(p);

	format_bytes(done, sizeof(done), p->bytes_transferred);
	format_bytes(total, sizeof(total), p->bytes_total);
	if (pc >= 0)
		snprintf(buf, size, "%3d%%  %s/%s  %u/%u files", pc, done, total,
			 p->files_transferred, p->files_total);
	else
		snprintf(buf, size, "  ?%%  %s/?  %u/%u files", done, p->files_transferred,
			 p->files_total);
}

static void format_clock(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

/* A plain line (or with @json a JSON line) for a change of @s; @s NULL: @id left the queue. */
static void put_plain(const struct kbits_guid *id, const struct snap *s, bool json)
{
	char g[KBITS_GUID_STRING_LEN], clock[40], counts[96];

	kbits_guid_format(id, g);
	format_clock(clock, sizeof(clock));
	if (json) {
		printf("{\"time\": %lld, \"guid\": \"%s\", ", (long long)time(NULL), g);
		if (!s) {
			puts("\"state\": null, \"gone\": true}");
		} else {
			printf("\"state\": \"%s\", \"gone\": false, \"display_name\": ",
			       kbits_job_state_name(s->state));
			put_json_string(stdout, s->name);
			printf(", \"files_total\": %u, \"files_transferred\": %u, ",
			       s->p.files_total, s->p.files_transferred);
			if (s->p.bytes_total == KBITS_SIZE_UNKNOWN)
				fputs("\"bytes_total\": null, ", stdout);
			else
				printf("\"bytes_total\": %llu, ", (unsigned long long)s->p.bytes_total);
			printf("\"bytes_transferred\": %llu}\n",
			       (unsigned long long)s->p.bytes_transferred);
		}
	} else if (!s) {
		printf("%s %s gone: no longer in the queue\n", clock, g);
	} else {
		if (s->p.bytes_total == KBITS_SIZE_UNKNOWN)
			snprintf(counts, sizeof(counts), "files %u/%u bytes %llu/?",
				 s->p.files_transferred, s->p.files_total,
				 (unsigned long long)s->p.bytes_transferred);
		else
			snprintf(counts, sizeof(counts), "files %u/%u bytes %llu/%llu",
				 s->p.files_transferred, s->p.files_total,
				 (unsigned long long)s->p.bytes_transferred,
				 (unsigned long long)s->p.bytes_total);
		printf("%s %s %s %s ", clock, g, kbits_job_state_name(s->state), counts);
		put_text(stdout, s->name);
		putchar('\n');
	}
	fflush(stdout);
}

static bool snap_changed(const struct snap *a, const struct snap *b)
{
	return a->state != b->state || memcmp(&a->p, &b->p, sizeof(a->p)) ||
	       strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

/* ---------------------------------------------------------------- monitor */

static const char monitor_help[] =
	"Usage: kbitsctl monitor [OPTIONS] [GUID]\n"
	"\n"
	"Watches your jobs, or the one job GUID, as they progress.\n"
	"\n"
	"On a terminal: a live view of each job's state and a progress bar,\n"
	"redrawn about 4 times a second, until you press q or Ctrl-C, or until\n"
	"the one job GUID is ACKNOWLEDGED or CANCELLED.\n"
	"\n"
	"When the output is not a terminal (a pipe, a log file): one line per\n"
	"change of a job's state or progress,\n"
	"  TIME GUID STATE files DONE/TOTAL bytes DONE/TOTAL DISPLAY-NAME\n"
	"and 'TIME GUID gone: no longer in the queue' for a job that left the\n"
	"queue, until SIGINT or SIGTERM, or until the one job GUID is\n"
	"ACKNOWLEDGED or CANCELLED. Its exit status is then 0.\n"
	"\n"
	"Options:\n"
	"  -a, --all-users   every user's jobs (needs CAP_SYS_ADMIN)\n"
	"      --json        JSON Lines: one JSON object per change (time, guid,\n"
	"                    state, gone, display_name, files_total,\n"
	"                    files_transferred, bytes_total, bytes_transferred),\n"
	"                    never the live view\n"
	"  -h, --help        show this help\n";

struct monitor {
	struct kbits *m;
	struct kbits_job *one;		/* monitor GUID: the job */
	unsigned int enum_flags;
	struct snap *snaps;
	size_t n, room;
};

static struct snap *monitor_find(struct monitor *mon, const struct kbits_guid *id)
{
	size_t i;

	for (i = 0; i < mon->n; i++)
		if (!memcmp(&mon->snaps[i].id, id, sizeof(*id)))
			return &mon->snaps[i];
	return NULL;
}

/*
 * Reads the jobs into mon->snaps; with @plain prints a line for each new
 * or changed job and each that left.  Returns 0, or an exit status.
 */
static int monitor_round(struct monitor *mon, bool plain, bool json)
{
	struct kbits_guid *ids = NULL;
	size_t n = 0, i;
	int err;

	for (i = 0; i < mon->n; i++)
		mon->snaps[i].live = false;
	if (mon->one) {
		struct kbits_guid id;

		err = kbits_job_get_id(mon->one, &id);
		if (err)
			return job_fail(&id, mon->one, "read the job", err);
		ids = malloc(sizeof(*ids));
		if (!ids)
			return EXIT_FAILED;
		ids[0] = id;
		n = 1;
	} else {
		err = kbits_enum_jobs(mon->m, mon->enum_flags, &ids, &n);
		if (err == -EACCES) {
			errmsg("monitor --all-users: permission denied (needs CAP_SYS_ADMIN)");
			return EXIT_DENIED;
		}
		if (err) {
			errmsg("cannot list the jobs: %s", reason_text(err));
			return EXIT_FAILED;
		}
	}
	for (i = 0; i < n; i++) {
		struct kbits_job *j = mon->one ? kbits_job_ref(mon->one) : NULL;
		struct snap cur = { 0 }, *prev;

		if (!j && kbits_get_job(mon->m, &ids[i], &j) < 0)
			continue;
		err = snap_read(j, &cur);
		kbits_job_unref(j);
		if (err) {
			free(cur.name);
			/* the one job was taken over: its handle is revoked */
			if (mon->one && err == -EACCES) {
				struct kbits_guid one = ids[0];

				free(ids);
				return job_fail(&one, mon->one, NULL, err);
			}
			continue;
		}
		cur.live = true;
		prev = monitor_find(mon, &cur.id);
		if (prev) {
			if (plain && snap_changed(prev, &cur))
				put_plain(&cur.id, &cur, json);
			free(prev->name);
			*prev = cur;
			continue;
		}
		if (mon->n == mon->room) {
			size_t room = mon->room ? mon->room * 2 : 16;
			struct snap *s = realloc(mon->snaps, room * sizeof(*s));

			if (!s) {
				free(cur.name);
				free(ids);
				errmsg("out of memory");
				return EXIT_FAILED;
			}
			mon->snaps = s;
			mon->room = room;
		}
		mon->snaps[mon->n++] = cur;
		if (plain)
			put_plain(&cur.id, &cur, json);
	}
	free(ids);
	/* The jobs that left the queue. */
	for (i = 0; i < mon->n;) {
		if (mon->snaps[i].live) {
			i++;
			continue;
		}
		if (plain)
			put_plain(&mon->snaps[i].id, NULL, json);
		free(mon->snaps[i].name);
		mon->snaps[i] = mon->snaps[--mon->n];
	}
	if (plain && ferror(stdout))
		return finish_stdout();
	return 0;
}

static int term_columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* One line of the live view, cut to @cols columns (near enough for UTF-8). */
static void put_line(const char *s, int cols)
{
	char buf[1024];

	text_to_buf(buf, (size_t)cols + 1 < sizeof(buf) ? (size_t)cols + 1 : sizeof(buf), s);
	printf("%s\033[K\n", buf);
}

static void monitor_draw(struct monitor *mon)
{
	int cols = term_columns(), bar_w = cols >= 100 ? 30 : 20;
	char line[1024], clock[40], g[KBITS_GUID_STRING_LEN];
	size_t i;

	format_clock(clock, sizeof(clock));
	fputs("\033[H", stdout);
	snprintf(line, sizeof(line), "kbitsctl monitor: %zu job%s   %s   (q: quit)", mon->n,
		 mon->n == 1 ? "" : "s", clock);
	put_line(line, cols);
	put_line("", cols);
	if (!mon->n)
		put_line(mon->one ? "" : "no jobs in the queue", cols);
	for (i = 0; i < mon->n; i++) {
		const struct snap *s = &mon->snaps[i];
		char bar[64], counts[96];

		kbits_guid_format(&s->id, g);
		/* put_line() escapes the name. */
		snprintf(line, sizeof(line), "%s  %s", g, s->name ? s->name : "");
		put_line(line, cols);
		format_bar(bar, bar_w, &s->p);
		format_counts(counts, sizeof(counts), &s->p);
		snprintf(line, sizeof(line), "  %-15s [%s] %s", kbits_job_state_name(s->state), bar,
			 counts);
		put_line(line, cols);
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all-users", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct monitor mon = { 0 };
	struct termios saved, raw;
	struct kbits_guid id;
	bool json = false, plain, keys = false, quit = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			mon.enum_flags |= KBITS_ENUM_ALL_USERS;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return print_help(monitor_help);
		default:
			return usage_hint("monitor");
		}
	}
	if (optind + 1 < argc)
		return usage_fail("monitor", "too many arguments");
	if (optind < argc && mon.enum_flags)
		return usage_fail("monitor", "--all-users and a GUID do not go together");
	if (optind < argc) {
		ret = parse_guid_arg("monitor", argv[optind], &id);
		if (ret)
			return ret;
	}
	ret = open_kbits(&mon.m);
	if (ret)
		return ret;
	if (optind < argc) {
		ret = resolve_job_arg(mon.m, "monitor", argv[optind], 0, &id);
		if (!ret)
			ret = get_job(mon.m, &id, &mon.one);
		if (ret) {
			kbits_unref(mon.m);
			return ret;
		}
	}

	plain = json || !isatty(STDOUT_FILENO);
	catch_signals();
	/* The first round before the live view: its errors stay on the screen. */
	ret = monitor_round(&mon, plain, json);
	if (ret)
		goto out;
	if (!plain) {
		if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
			raw = saved;
			raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
			raw.c_cc[VMIN] = 0;
			raw.c_cc[VTIME] = 0;
			keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
		}
		fputs("\033[?1049h\033[?25l", stdout);	/* alternate screen, no cursor */
	}

	for (bool first = true;; first = false) {
		struct pollfd p = { .fd = keys ? STDIN_FILENO : -1, .events = POLLIN };
		int64_t until;

		if (!first)
			ret = monitor_round(&mon, plain, json);
		if (ret)
			break;
		if (!plain)
			monitor_draw(&mon);
		if (mon.one && mon.n == 1 && state_is_final(mon.snaps[0].state))
			break;
		if (got_signal || quit)
			break;
		until = now_ms() + TICK_MS;
		while (!got_signal && !quit) {
			int64_t left = until - now_ms();

			if (left <= 0)
				break;
			if (poll(&p, 1, (int)left) > 0 && (p.revents & POLLIN)) {
				char k[16];
				ssize_t r = read(STDIN_FILENO, k, sizeof(k));

				if (r <= 0)
					p.fd = -1;	/* no more keys */
				else if (memchr(k, 'q', (size_t)r) || memchr(k, 'Q', (size_t)r))
					quit = true;
			}
		}
	}

	if (!plain) {
		fputs("\033[?25h\033[?1049l", stdout);	/* back to the normal screen */
		if (keys)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		/* What the view last showed of the one job stays on the screen. */
		if (!ret && mon.one && mon.n == 1) {
			char g[KBITS_GUID_STRING_LEN], counts[96];

			kbits_guid_format(&mon.snaps[0].id, g);
			format_counts(counts, sizeof(counts), &mon.snaps[0].p);
			printf("job %s: %s  %s\n", g, kbits_job_state_name(mon.snaps[0].state),
			       counts);
		}
	}
out:
	for (size_t i = 0; i < mon.n; i++)
		free(mon.snaps[i].name);
	free(mon.snaps);
	kbits_job_unref(mon.one);
	kbits_unref(mon.m);
	if (ret)
		return ret;
	return finish_stdout();
}

/* --------------------------------------------------------------- transfer */

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
	"      --async                   print the job's GUID once it is queued,\n"
	"                                and return\n"
	"      --json                    at the end, one JSON object on stdout: guid,\n"
	"                                state, partial, bytes_transferred, files\n"
	"                                (with --async: guid)\n"
	"  -h, --help                    show this help\n"
	"\n"
	"SECONDS may end in s, m, h or d (e.g. 30m, 2d). On success stdout gets\n"
	"'job GUID: transferred N files (SIZE)', with --async the GUID.\n";

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

enum { OPT_ASYNC = OPT_SETTINGS_END, OPT_JSON };

int cmd_transfer(int argc, char **argv)
{
	static const struct option opts[] = {
		SETTINGS_OPTS,
		/* named, so that getopt does not take it for --headers-file */
		{ "headers", required_argument, NULL, OPT_HEADERS },
		{ "async", no_argument, NULL, OPT_ASYNC },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "kbitsctl transfer";
	struct kbits_file_info *pairs = NULL;
	struct kbits_file *files = NULL;
	struct settings st = { 0 };
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	struct kbits_guid id;
	struct show sh = { 0 };
	size_t n_pairs = 0, n_files = 0;
	bool json = false, async = false, warned = false;
	int64_t queued_since;
	enum kbits_job_state st_now, prev_st = KBITS_JOB_STATE_SUSPENDED;
	struct kbits_job_progress p;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, SETTINGS_SHORT "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ASYNC:
			async = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_HEADERS:
			/* not the value: it may be a token */
			return usage_fail("transfer", "no --headers: the process list would show them "
					  "to every user; use --headers-file FILE");
		case 'h':
			fputs(transfer_help_head, stdout);
			fputs(settings_help, stdout);
			return print_help(transfer_help_tail);
		default:
			ret = settings_option("transfer", &st, c, optarg);
			if (ret < 0)
				return usage_hint("transfer");
			if (ret)
				return ret;
		}
	}
	ret = file_pairs("transfer", argc - optind, argv + optind, NULL, NULL, &pairs);
	if (ret)
		return ret;
	n_pairs = (size_t)(argc - optind) / 2;
	ret = settings_finish("transfer", &st);
	if (ret)
		goto out;
	/* Where the files go, before any job is made. */
	ret = check_local_names("transfer", pairs, n_pairs);
	if (ret)
		goto out;
	/* The job is made with its name. */
	if (st.display_name)
		name = st.display_name;
	st.display_name = NULL;

	catch_signals();
	/*
	 * A reader of stdout that went away is a write error to report, and
	 * --async's job to cancel, not a SIGPIPE that kills kbitsctl and
	 * leaves a job behind that nobody knows the GUID of.
	 */
	signal(SIGPIPE, SIG_IGN);
	ret = open_kbits(&m);
	if (ret)
		goto out;
	err = kbits_create_job(m, name, KBITS_JOB_TYPE_DOWNLOAD, &id, &j);
	kbits_unref(m);
	if (err) {
		errmsg("cannot create the job: %s", reason_text(err));
		ret = err == -EACCES || err == -EPERM ? EXIT_DENIED : EXIT_FAILED;
		goto out;
	}
	kbits_guid_format(&id, sh.g);
	sh.tty = isatty(STDERR_FILENO);

	ret = settings_any(&st) ? settings_apply(&id, j, &st) : EXIT_OK;
	if (ret)
		goto cancel;
	ret = add_files(&id, j, pairs, n_pairs);
	if (ret)
		goto cancel;
	err = kbits_job_resume(j);
	if (err) {
		ret = job_fail(&id, j, "resume", err);
		goto cancel;
	}
	/* A signal while the job was being set up: it is not to be queued. */
	if (got_signal)
		goto interrupted;
	if (async) {
		if (json)
			printf("{\"guid\": \"%s\"}\n", sh.g);
		else
			printf("%s\n", sh.g);
		ret = finish_stdout();
		/* Nobody learnt the GUID: do not leave the job behind. */
		if (ret)
			goto cancel;
		goto out;
	}
	if (!sh.tty)
		fprintf(stderr, "job %s: queued %zu file%s\n", sh.g, n_pairs, n_pairs == 1 ? "" : "s");
	queued_since = now_ms();

	for (;;) {
		const char *note = NULL;
		struct kbits_error e = { 0 };
		char words[2048];

		if (got_signal)
			goto interrupted;
		err = kbits_job_get_state(j, &st_now);
		if (!err)
			err = kbits_job_get_progress(j, &p);
		if (err) {
			ret = job_fail(&id, j, "read the job", err);
			if (err == -EACCES)
				goto out;	/* taken over: no longer ours to cancel */
			goto cancel;
		}
		if (st_now == KBITS_JOB_STATE_QUEUED && prev_st != KBITS_JOB_STATE_QUEUED)
			queued_since = now_ms();
		prev_st = st_now;

		switch (st_now) {
		case KBITS_JOB_STATE_QUEUED:
			if (!warned && now_ms() - queued_since >= AGENT_WAIT_MS) {
				show_say(&sh, "waiting for kbitsd (is it running?)");
				warned = true;
			}
			break;
		case KBITS_JOB_STATE_TRANSIENT_ERROR:
			if (kbits_job_get_error(j, &e) == 0) {
				kbits_files_free(files, n_files);
				files = NULL;
				n_files = 0;
				kbits_job_get_files(j, &files, &n_files);
				describe_error(words, sizeof(words), &e, files, n_files);
				free(e.text);
				note = words;
			}
			break;
		case KBITS_JOB_STATE_ERROR:
			show_progress(&sh, st_now, &p, NULL);
			show_finish(&sh);
			kbits_files_free(files, n_files);
			files = NULL;
			n_files = 0;
			kbits_job_get_files(j, &files, &n_files);
			err = kbits_job_get_error(j, &e);
			if (err == 0) {
				describe_error(words, sizeof(words), &e, files, n_files);
				free(e.text);
				errmsg("job %s: %s", sh.g, words);
			} else {
				errmsg("job %s: the transfer failed", sh.g);
			}
			errmsg("job %s: cancelled", sh.g);
			ret = EXIT_TRANSFER;
			goto cancel;
		case KBITS_JOB_STATE_CANCELLED:
		case KBITS_JOB_STATE_ACKNOWLEDGED:
			show_finish(&sh);
			errmsg("job %s: %s by another process", sh.g,
			       st_now == KBITS_JOB_STATE_CANCELLED ? "cancelled" : "completed");
			ret = EXIT_FAILED;
			goto out;
		default:
			break;
		}
		if (st_now == KBITS_JOB_STATE_TRANSFERRED)
			break;
		show_progress(&sh, st_now, &p, note);
		wait_job(j, TICK_MS);
	}

	/* TRANSFERRED: complete it, which waits for kbitsd to place the files. */
	show_progress(&sh, st_now, &p, sh.tty ? "completing" : NULL);
	kbits_files_free(files, n_files);
	files = NULL;
	n_files = 0;
	err = kbits_job_get_files(j, &files, &n_files);
	if (!err) {
		err = kbits_job_complete(j);
		if (err == -EINTR || got_signal)
			goto interrupted;
	}
	if (err >= 0)
		show_progress(&sh, KBITS_JOB_STATE_ACKNOWLEDGED, &p, NULL);
	show_finish(&sh);
	if (err == -EAGAIN) {
		errmsg("job %s: transferred, but kbitsd, which puts the files in place, is not "
		       "running; the job stays in the queue: complete it later with "
		       "'kbitsctl complete %s'", sh.g, sh.g);
		ret = EXIT_FAILED;
		goto out;
	}
	if (err < 0) {
		ret = job_fail(&id, j, "complete", err);
		goto out;
	}
	if (json) {
		printf("{\"guid\": \"%s\", \"state\": \"ACKNOWLEDGED\", \"partial\": %s, "
		       "\"bytes_transferred\": %llu, \"files\": [", sh.g,
		       err == KBITS_COMPLETE_PARTIAL ? "true" : "false",
		       (unsigned long long)p.bytes_transferred);
		for (size_t i = 0; i < n_files; i++) {
			fputs(i ? ", " : "", stdout);
			fputs("{\"remote_name\": ", stdout);
			put_json_string(stdout, files[i].remote_name);
			fputs(", \"local_name\": ", stdout);
			put_json_string(stdout, files[i].local_name);
			fputc('}', stdout);
		}
		puts("]}");
	} else {
		char size[32];

		format_bytes(size, sizeof(size), p.bytes_transferred);
		printf("job %s: transferred %u file%s (%s)\n", sh.g, p.files_total,
		       p.files_total == 1 ? "" : "s", size);
	}
	ret = finish_stdout();
	goto out;

interrupted:
	show_finish(&sh);
	errmsg("job %s: interrupted (%s): cancelled", sh.g, strsignal(got_signal ? got_signal : SIGINT));
	ret = EXIT_INTERRUPTED;
cancel:
	show_finish(&sh);
	cancel_ours(j, sh.g);
out:
	settings_free(&st);
	kbits_files_free(files, n_files);
	file_pairs_free(pairs, n_pairs);
	kbits_job_unref(j);
	return ret;
}
