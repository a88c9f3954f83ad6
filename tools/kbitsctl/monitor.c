// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl monitor: a live view of jobs on a terminal; elsewhere a line
 * (or a JSON object) per change.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kbitsctl.h"

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
	"      --json        JSON Lines: one JSON object per change, never the\n"
	"                    live view\n"
	"  -h, --help        show this help\n"
	"\n"
	"kbitsctl(1) says what each member of --json's output means.\n";

struct monitor_opts {
	unsigned int enum_flags;
};

static int monitor_option(struct cmdline *cl, int c, const char *arg)
{
	struct monitor_opts *o = cl->opts;

	(void)arg;
	if (c != 'a')
		return -1;
	o->enum_flags |= KBITS_ENUM_ALL_USERS;
	return EXIT_OK;
}

static const struct option monitor_long[] = {
	{ "all-users", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options monitor_options = {
	"a", monitor_long, monitor_option, sizeof(struct monitor_opts),
	(const char *const[]){ monitor_help, NULL },
};

/* One job as monitor shows it. */

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



static bool snap_changed(const struct snap *a, const struct snap *b)
{
	return a->state != b->state || memcmp(&a->p, &b->p, sizeof(a->p)) ||
	       strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

struct monitor {
	struct kbits *m;
	struct kbits_job *one;		/* monitor GUID: the job */
	unsigned int enum_flags;
	bool plain;			/* a line per change, not the live view */
	bool json;			/* the lines in JSON */
	bool keys;			/* stdin is a terminal, read key by key */
	struct termios saved;		/* its settings before */
	struct snap *snaps;
	size_t n, room;
};

/* ------------------------------------------------- a line for a change */

static void format_clock(char *buf, size_t size, time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

/* A change: job @id now @s, or @s NULL: it left the queue. */
struct change {
	const struct kbits_guid *id;
	const struct snap *s;
	time_t now;
};

static void time_text(const struct change *c)
{
	char clock[40];

	format_clock(clock, sizeof(clock), c->now);
	fputs(clock, stdout);
}

static void time_json(struct json *w, const struct change *c)
{
	json_member_int(w, "time", (long long)c->now);
}

static void guid_text(const struct change *c)
{
	char g[KBITS_GUID_STRING_LEN];

	kbits_guid_format(c->id, g);
	fputs(g, stdout);
}

static void guid_json(struct json *w, const struct change *c)
{
	char g[KBITS_GUID_STRING_LEN];

	kbits_guid_format(c->id, g);
	json_member_string(w, "guid", g);
}

static void state_text(const struct change *c)
{
	fputs(c->s ? kbits_job_state_name(c->s->state) : "gone: no longer in the queue", stdout);
}

static void state_json(struct json *w, const struct change *c)
{
	json_member_string_or_null(w, "state", c->s ? kbits_job_state_name(c->s->state) : NULL);
	json_member_bool(w, "gone", !c->s);
}

static void progress_text(const struct change *c)
{
	const struct kbits_job_progress *p = &c->s->p;

	printf("files %u/%u bytes %llu/", p->files_transferred, p->files_total,
	       (unsigned long long)p->bytes_transferred);
	if (p->bytes_total == KBITS_SIZE_UNKNOWN)
		putchar('?');
	else
		printf("%llu", (unsigned long long)p->bytes_total);
}

static void progress_json(struct json *w, const struct change *c)
{
	json_progress(w, &c->s->p);
}

static void name_text(const struct change *c)
{
	put_text(stdout, c->s->name);
}

static void name_json(struct json *w, const struct change *c)
{
	json_member_string(w, "display_name", c->s->name);
}

/* A line's fields: the text's separated by a space. */
static const struct change_field {
	bool gone_too;			/* shown for a job that left the queue */
	void (*text)(const struct change *c);
	void (*json)(struct json *w, const struct change *c);
} change_fields[] = {
	{ true, time_text, time_json },
	{ true, guid_text, guid_json },
	{ true, state_text, state_json },
	{ false, progress_text, progress_json },
	{ false, name_text, name_json },
};

#define N_CHANGE_FIELDS (sizeof(change_fields) / sizeof(change_fields[0]))

/* The line (or JSON line) for a change of @s; @s NULL: @id left the queue. */
static void put_plain(const struct monitor *mon, const struct kbits_guid *id,
		      const struct snap *s)
{
	const struct change c = { id, s, time(NULL) };
	struct json w;
	size_t i;

	json_init(&w, stdout);
	if (mon->json)
		json_object_begin(&w);
	for (i = 0; i < N_CHANGE_FIELDS; i++) {
		if (!s && !change_fields[i].gone_too)
			continue;
		if (mon->json) {
			change_fields[i].json(&w, &c);
		} else {
			if (i)
				putchar(' ');
			change_fields[i].text(&c);
		}
	}
	if (mon->json)
		json_object_end(&w);
	putchar('\n');
	fflush(stdout);
}

/* ------------------------------------------------------------ the rounds */

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
static int monitor_round(struct monitor *mon)
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
			if (mon->plain && snap_changed(prev, &cur))
				put_plain(mon, &cur.id, &cur);
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
		if (mon->plain)
			put_plain(mon, &cur.id, &cur);
	}
	free(ids);
	/* The jobs that left the queue. */
	for (i = 0; i < mon->n;) {
		if (mon->snaps[i].live) {
			i++;
			continue;
		}
		if (mon->plain)
			put_plain(mon, &mon->snaps[i].id, NULL);
		free(mon->snaps[i].name);
		mon->snaps[i] = mon->snaps[--mon->n];
	}
	if (mon->plain && ferror(stdout))
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

	format_clock(clock, sizeof(clock), time(NULL));
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

/* The one job GUID, when given: gets it into mon->one.  EXIT_OK or said. */
static int monitor_open(struct monitor *mon, struct cmdline *cl)
{
	const char *arg = cl->argc ? cl->argv[0] : NULL;
	struct kbits_guid id;
	int ret;

	if (arg && mon->enum_flags)
		return usage_fail("monitor", "--all-users and a GUID do not go together");
	if (arg) {
		ret = parse_guid_arg("monitor", arg, &id);
		if (ret)
			return ret;
	}
	ret = open_kbits(&mon->m);
	if (ret || !arg)
		return ret;
	ret = resolve_job_arg(mon->m, "monitor", arg, 0, &id);
	if (!ret)
		ret = get_job(mon->m, &id, &mon->one);
	return ret;
}

/* The live view: stdin key by key (when a terminal), the alternate screen. */
static void live_begin(struct monitor *mon)
{
	struct termios raw;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &mon->saved) == 0) {
		raw = mon->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		mon->keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	fputs("\033[?1049h\033[?25l", stdout);	/* alternate screen, no cursor */
}

/* Back to the normal screen, where what the view last showed of the one job stays. */
static void live_end(struct monitor *mon, int ret)
{
	fputs("\033[?25h\033[?1049l", stdout);
	if (mon->keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &mon->saved);
	if (!ret && mon->one && mon->n == 1) {
		char g[KBITS_GUID_STRING_LEN], counts[96];

		kbits_guid_format(&mon->snaps[0].id, g);
		format_counts(counts, sizeof(counts), &mon->snaps[0].p);
		printf("job %s: %s  %s\n", g, kbits_job_state_name(mon->snaps[0].state), counts);
	}
}

/* Waits for the next round (TICK_MS), a signal, or q pressed (*quit set). */
static void wait_tick(const struct monitor *mon, bool *quit)
{
	struct pollfd p = { .fd = mon->keys ? STDIN_FILENO : -1, .events = POLLIN };
	int64_t until = now_ms() + TICK_MS;

	while (!got_signal && !*quit) {
		int64_t left = until - now_ms();

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) > 0 && (p.revents & POLLIN)) {
			char k[16];
			ssize_t r = read(STDIN_FILENO, k, sizeof(k));

			if (r <= 0)
				p.fd = -1;	/* no more keys */
			else if (memchr(k, 'q', (size_t)r) || memchr(k, 'Q', (size_t)r))
				*quit = true;
		}
	}
}

/*
 * After the first round: shows it, then a round each tick, until a signal,
 * q, the one job final, or an error: its status.
 */
static int monitor_loop(struct monitor *mon)
{
	bool quit = false;
	int ret;

	for (;;) {
		if (!mon->plain)
			monitor_draw(mon);
		if (mon->one && mon->n == 1 && kbits_job_state_is_final(mon->snaps[0].state))
			return 0;
		if (got_signal || quit)
			return 0;
		wait_tick(mon, &quit);
		ret = monitor_round(mon);
		if (ret)
			return ret;
	}
}

static void monitor_free(struct monitor *mon)
{
	for (size_t i = 0; i < mon->n; i++)
		free(mon->snaps[i].name);
	free(mon->snaps);
	kbits_job_unref(mon->one);
	kbits_unref(mon->m);
}

int cmd_monitor(struct cmdline *cl)
{
	const struct monitor_opts *o = cl->opts;
	struct monitor mon = { .enum_flags = o->enum_flags, .json = cl->json };
	int ret;

	ret = monitor_open(&mon, cl);
	if (ret)
		goto out;
	mon.plain = mon.json || !isatty(STDOUT_FILENO);
	catch_signals();
	/* The first round before the live view: its errors stay on the screen. */
	ret = monitor_round(&mon);
	if (ret)
		goto out;
	if (!mon.plain)
		live_begin(&mon);
	ret = monitor_loop(&mon);
	if (!mon.plain)
		live_end(&mon, ret);
out:
	monitor_free(&mon);
	if (ret)
		return ret;
	return finish_stdout();
}
