// SPDX-License-Identifier: GPL-2.0
/*
 * The agent: kbitsd's end of /dev/kbits.  It attaches as the agent, keeps
 * every job on disk as its events come (store.c), keeps the list of jobs
 * waiting to be transferred, picks the next one by priority (FOREGROUND,
 * HIGH, NORMAL, LOW; first queued first within one), transfers it
 * in a worker (worker.c) that runs as the job's owner, relays the worker's
 * progress to the kernel, retries transient errors after the job's
 * min_retry_delay and makes them final after its no_progress_timeout.  One
 * job at a time; the daemon itself never opens, reads or writes a user's
 * file, and never waits on a worker without a timeout.  Every child that
 * touches a job's files or network does so in the job's namespaces (ns.c),
 * which the daemon gets from the kernel for each run and remembers for the
 * jobs it knows, for when a cancelled job's temporaries must go.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "kbitsd.h"

/* A job waiting to be taken: QUEUED, or TRANSIENT_ERROR waiting to be retried. */
struct pending {
	struct pending *next;
	struct kbits_guid id;
	enum kbits_job_priority priority;
	int64_t queued_us;	/* FIFO order within a priority */
	uint64_t seq;		/* ties */
	time_t not_before;	/* a retry waits until then; 0: now */
	time_t last_progress;	/* for the no-progress timeout */
	bool retry;		/* TRANSIENT_ERROR */
	struct xfer_error last_error;	/* a retry's error, made final on timeout */
};

/* What a job without namespaces (JOB_NS: -ESTALE) is told. */
#define NS_STALE_TEXT \
	"the job's namespaces (of the container or chroot it was made in) are gone: " \
	"it was restored from disk after the kbits module was reloaded; an " \
	"administrator may take it over (it then runs in theirs) or cancel it"

/* Why the job being transferred must stop. */
enum stop_reason {
	STOP_NONE = 0,
	STOP_SUSPENDED,		/* suspended, or otherwise no longer ours */
	STOP_CANCELLED,
	STOP_COMPLETING,	/* its user completes it: place the files */
};

/* How long a worker may stay silent (no heartbeat) before it is killed. */
#define WORKER_SILENCE_MS	60000
/* Progress goes to the kernel at most this often, and at each file's end. */
#define REPORT_INTERVAL_MS	200
/* Event records handled at once while a worker runs, so that it is heard. */
#define EVENT_BATCH		256
/* Jobs changed by their users are written to disk at most this often. */
#define FLUSH_INTERVAL_MS	1000

struct agent {
	struct kbits *m;
	char *state_dir;
	int fd;			/* the agent fd, O_NONBLOCK */
	int signal_fd;
	struct store *store;
	struct ns_cache *nsc;	/* the namespaces of the jobs we know */
	struct pending *pending;
	uint64_t seq;
	bool rescan;		/* an OVERFLOW: look at every job again */
	struct kbits_guid *dirty;	/* jobs to store at the next flush */
	size_t ndirty, dirty_room;
	int64_t last_flush_ms;
	bool shutdown;

	/* the job being transferred */
	bool busy;
	struct kbits_guid cur;
	enum stop_reason cur_stop;
	bool cur_cancelled, cur_completing, cur_completed;
	bool cur_progressed;	/* bytes arrived, or a file completed, in this run */
	int64_t last_report_ms, last_checkpoint_ms;
};

/* One run of a job's worker, as the daemon follows it. */
struct run {
	struct worker w;
	size_t nfiles;
	const struct kbits_file *files;
	struct file_validator *vals;	/* the worker's copy is its own (fork) */
	bool have_pending;		/* progress not yet reported */
	struct worker_msg pending;
	int64_t last_heard_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool guid_eq(const struct kbits_guid *a, const struct kbits_guid *b)
{
	return !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* ------------------------------------------------------------ raw ioctls */

static int agent_ioctl(struct agent *a, unsigned long cmd, void *arg)
{
	return ioctl(a->fd, cmd, arg) < 0 ? -errno : 0;
}

static int take_job(struct agent *a, const struct kbits_guid *id)
{
	struct kbits_agent_job aj = { .size = sizeof(aj) };

	memcpy(aj.id, id->bytes, sizeof(aj.id));
	return agent_ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &aj);
}

static int job_transferred(struct agent *a, const struct kbits_guid *id)
{
	struct kbits_agent_job aj = { .size = sizeof(aj) };

	memcpy(aj.id, id->bytes, sizeof(aj.id));
	return agent_ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, &aj);
}

/* The length of the longest prefix of @s that is whole, valid UTF-8. */
static size_t utf8_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 1, cp = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 2, cp = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 3, cp = p[i] & 0x07;
		else
			return i;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += n + 1;
	}
	return i;
}

static int job_error(struct agent *a, const struct kbits_guid *id,
		     const struct xfer_error *e, bool transient)
{
	size_t len = strnlen(e->text, sizeof(e->text));
	char ascii[sizeof(e->text)];
	struct kbits_agent_error ae = {
		.size = sizeof(ae),
		.flags = transient ? KBITS_ERROR_TRANSIENT : 0,
		.context = e->context,
		.code = e->code,
		.file_index = e->file_index,
		/* a text cut to fit may end in the middle of a character */
		.text_len = (uint32_t)utf8_prefix(e->text, len),
		.text = (uintptr_t)e->text,
	};
	size_t i;
	int err;

	memcpy(ae.id, id->bytes, sizeof(ae.id));
	err = agent_ioctl(a, KBITS_AGENT_IOC_ERROR, &ae);
	if (err != -EINVAL)
		return err;
	/* the kernel refuses the text: say it in printable ASCII */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)e->text[i];

		ascii[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	ae.text = (uintptr_t)ascii;
	ae.text_len = (uint32_t)len;
	return agent_ioctl(a, KBITS_AGENT_IOC_ERROR, &ae);
}

static int job_placed(struct agent *a, const struct kbits_guid *id, int error)
{
	struct kbits_agent_placed ap = { .size = sizeof(ap), .error = error };

	memcpy(ap.id, id->bytes, sizeof(ap.id));
	return agent_ioctl(a, KBITS_AGENT_IOC_PLACED, &ap);
}

/* The job's record, malloc'd into *buf. */
static int export_job(struct agent *a, const struct kbits_guid *id, void **buf,
		      size_t *len)
{
	struct kbits_agent_record rec = { .size = sizeof(rec) };
	uint32_t room = 4096;
	int err;

	memcpy(rec.id, id->bytes, sizeof(rec.id));
	for (;;) {
		void *b = malloc(room);

		if (!b)
			return -ENOMEM;
		rec.buf = (uintptr_t)b;
		rec.buf_len = room;
		err = agent_ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, &rec);
		if (!err) {
			*buf = b;
			*len = rec.buf_len;
			return 0;
		}
		free(b);
		if (err != -ERANGE || rec.buf_len <= room)
			return err;
		room = rec.buf_len;
	}
}

/* ---------------------------------------------------------------- storing */

/*
 * Writes the kernel's copy of job @id to the store, with the time of its
 * last progress when @progress is not 0.  -ENOENT: not queued.
 */
static int save_job_progress(struct agent *a, const struct kbits_guid *id,
			     uint32_t *record_flags, time_t progress)
{
	struct store_job sj = { .id = *id, .last_progress = progress };
	struct kbits_file *files = NULL;
	struct kbits_job *j = NULL;
	char *name = NULL;
	void *rec = NULL;
	int err;

	err = kbits_get_job(a->m, id, &j);
	if (err < 0)
		return err;
	err = kbits_job_get_owner(j, &sj.owner);
	if (!err)
		err = kbits_job_get_state(j, &sj.state);
	if (!err)
		err = kbits_job_get_priority(j, &sj.priority);
	if (!err)
		err = kbits_job_get_display_name(j, &name);
	if (!err)
		err = kbits_job_get_files(j, &files, &sj.nfiles);
	if (!err)
		err = export_job(a, id, &rec, &sj.record_len);
	if (!err) {
		sj.display_name = name;
		sj.files = files;
		sj.record = rec;
		err = store_put(a->store, &sj);
	}
	if (!err && record_flags)
		*record_flags = ((const struct kbits_job_record *)rec)->flags;
	if (err < 0 && err != -ENOENT)
		log_job(LOG_ERR, id, "cannot store it: %s", strerror(-err));
	free(rec);
	kbits_files_free(files, sj.nfiles);
	free(name);
	kbits_job_unref(j);
	return err;
}

/* Writes the kernel's copy of job @id to the store.  -ENOENT: not queued. */
static int save_job(struct agent *a, const struct kbits_guid *id, uint32_t *record_flags)
{
	return save_job_progress(a, id, record_flags, 0);
}

/*
 * Job @id changed: it is stored at the next flush, at most a second from
 * now, so that a user who changes a job over and over costs one write a
 * second, not one each.
 */
static void mark_dirty(struct agent *a, const struct kbits_guid *id)
{
	struct kbits_guid *v;
	size_t i;

	for (i = 0; i < a->ndirty; i++) {
		if (guid_eq(&a->dirty[i], id))
			return;
	}
	if (a->ndirty == a->dirty_room) {
		size_t room = a->dirty_room ? 2 * a->dirty_room : 16;

		v = realloc(a->dirty, room * sizeof(*v));
		if (!v) {
			save_job(a, id, NULL);
			return;
		}
		a->dirty = v;
		a->dirty_room = room;
	}
	a->dirty[a->ndirty++] = *id;
}

/* Stores the changed jobs, in one transaction, when due or when @now. */
static void flush_dirty(struct agent *a, bool now)
{
	int64_t t = now_ms();
	size_t i;
	bool batch;

	if (!a->ndirty || (!now && t - a->last_flush_ms < FLUSH_INTERVAL_MS))
		return;
	a->last_flush_ms = t;
	batch = store_batch_begin(a->store) == 0;
	for (i = 0; i < a->ndirty; i++)
		save_job(a, &a->dirty[i], NULL);
	a->ndirty = 0;
	if (batch)
		store_batch_end(a->store);
}

/* Milliseconds until the next flush is due, or @dflt when none waits. */
static int64_t flush_wait(struct agent *a, int64_t dflt)
{
	int64_t w;

	if (!a->ndirty)
		return dflt;
	w = a->last_flush_ms + FLUSH_INTERVAL_MS - now_ms();
	return w < 0 ? 0 : w < dflt ? w : dflt;
}

/*
 * Job @id changed: its namespaces may have (a TAKE_OWNERSHIP moves the job
 * to the taker's); the cache follows the kernel while the job is queued.
 */
static void remember_ns(struct agent *a, const struct kbits_guid *id)
{
	int err = ns_cache_update(a->nsc, a->fd, id, NULL);

	/* -ESTALE: it has none (restored from another namespace's record) */
	if (err < 0 && err != -ENOENT && err != -ESTALE)
		log_job(LOG_WARNING, id, "cannot read its namespaces: %s", strerror(-err));
}

static void forget_job(struct agent *a, const struct kbits_guid *id)
{
	int err = store_delete(a->store, id);

	ns_cache_forget(a->nsc, id);
	if (err < 0)
		log_job(LOG_ERR, id, "cannot remove it from the database: %s", strerror(-err));
}

/* ----------------------------------------------------------- the waiting */

static struct pending *pending_find(struct agent *a, const struct kbits_guid *id,
				    struct pending ***link)
{
	struct pending **pp;

	for (pp = &a->pending; *pp; pp = &(*pp)->next) {
		if (guid_eq(&(*pp)->id, id)) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

static void pending_remove(struct agent *a, const struct kbits_guid *id)
{
	struct pending **link, *p = pending_find(a, id, &link);

	if (p) {
		*link = p->next;
		free(p);
	}
}

/*
 * Puts job @id on the list (or updates it) as the kernel has it now: QUEUED
 * jobs to take at once, TRANSIENT_ERROR ones after their retry delay; other
 * states leave the list.  @queued_us: when it was queued, for FIFO.
 */
static void pending_update(struct agent *a, const struct kbits_guid *id, int64_t queued_us,
			   bool stored_clock)
{
	struct kbits_job *j = NULL;
	enum kbits_job_state state;
	enum kbits_job_priority prio;
	uint32_t delay;
	struct pending *p;
	time_t last;
	int err;

	err = kbits_get_job(a->m, id, &j);
	if (!err)
		err = kbits_job_get_state(j, &state);
	if (!err)
		err = kbits_job_get_priority(j, &prio);
	if (!err)
		err = kbits_job_get_min_retry_delay(j, &delay);
	kbits_job_unref(j);
	if (err < 0 || (state != KBITS_JOB_STATE_QUEUED &&
			state != KBITS_JOB_STATE_TRANSIENT_ERROR)) {
		pending_remove(a, id);
		return;
	}
	p = pending_find(a, id, NULL);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			log_job(LOG_ERR, id, "out of memory: it waits for the next rescan");
			return;
		}
		p->id = *id;
		p->next = a->pending;
		a->pending = p;
		p->last_progress = time(NULL);
		/* found at start, or after lost events: its clock as stored */
		if (stored_clock && store_get_progress(a->store, id, &last) == 0 &&
		    last < p->last_progress)
			p->last_progress = last;
	}
	p->priority = prio;
	if (queued_us) {
		p->queued_us = queued_us;
		p->seq = ++a->seq;
	}
	p->retry = state == KBITS_JOB_STATE_TRANSIENT_ERROR;
	if (!p->retry) {
		p->not_before = 0;
	} else if (!p->not_before) {
		if (delay < KBITS_MIN_RETRY_DELAY_MIN)
			delay = KBITS_MIN_RETRY_DELAY_MIN;
		p->not_before = time(NULL) + delay;
		p->last_error.context = KBITS_ERROR_CONTEXT_GENERAL;
		p->last_error.code = ETIMEDOUT;
		p->last_error.file_index = KBITS_NO_FILE;
		strcpy(p->last_error.text, "no progress before the no-progress timeout");
	}
}

/* The next job to take: the due one of the best priority, the first queued. */
static struct pending *pending_next(struct agent *a, time_t now, time_t *wake)
{
	struct pending *p, *best = NULL;

	*wake = 0;
	for (p = a->pending; p; p = p->next) {
		if (p->not_before > now) {
			if (!*wake || p->not_before < *wake)
				*wake = p->not_before;
			continue;
		}
		if (!best || p->priority < best->priority ||
		    (p->priority == best->priority &&
		     (p->queued_us < best->queued_us ||
		      (p->queued_us == best->queued_us && p->seq < best->seq))))
			best = p;
	}
	return best;
}

/* ------------------------------------------------- cancelling, completing */

static int stored_place_files(struct agent *a, const struct kbits_guid *id,
			      struct owner *o, struct place_file **pf, size_t *n,
			      struct store_file **sf)
{
	uid_t uid = 0;
	size_t i;
	int err;

	*pf = NULL;
	err = store_get_files(a->store, id, &uid, sf, n);
	if (err < 0)
		return err;
	err = owner_lookup(uid, o);
	if (!err && *n) {
		*pf = calloc(*n, sizeof(**pf));
		if (!*pf)
			err = -ENOMEM;
	}
	if (err < 0) {
		owner_release(o);
		store_files_free(*sf, *n);
		return err;
	}
	for (i = 0; i < *n; i++) {
		(*pf)[i].local = (*sf)[i].local;
		(*pf)[i].completed = (*sf)[i].completed;
	}
	return 0;
}

/*
 * The namespaces a job that left the queue had, as the cache kept them;
 * NULL (logged) when they are not known: then nothing is done with its
 * files, rather than in namespaces that are not the job's.
 */
static const struct job_ns *left_ns(struct agent *a, const struct kbits_guid *id, size_t n,
				    const char *what)
{
	const struct job_ns *ns = ns_cache_find(a->nsc, id);

	if (!ns && n)
		log_job(LOG_WARNING, id, "its namespaces are not known: %s", what);
	return ns;
}

/* Its user cancelled job @id: remove its temporaries and forget it. */
static void job_cancelled(struct agent *a, const struct kbits_guid *id)
{
	const struct job_ns *ns;
	struct place_file *pf;
	struct store_file *sf;
	struct owner o;
	size_t n;

	if (stored_place_files(a, id, &o, &pf, &n, &sf) == 0) {
		ns = left_ns(a, id, n, "its temporaries, if any, stay");
		if (ns)
			remove_temps(&o, ns, id, pf, n);
		free(pf);
		store_files_free(sf, n);
		owner_release(&o);
	}
	forget_job(a, id);
	log_job(LOG_INFO, id, "cancelled");
}

/*
 * Job @id left the queue ACKNOWLEDGED.  A module that waits for the agent
 * (KBITS_EVENT_COMPLETING) had it placed already and the job is no longer
 * stored; with one that does not, its files are placed now, as the store
 * last saw them.
 */
static void job_completed(struct agent *a, const struct kbits_guid *id)
{
	const struct job_ns *ns;
	struct place_file *pf;
	struct store_file *sf;
	struct owner o;
	size_t n;

	if (stored_place_files(a, id, &o, &pf, &n, &sf) == 0) {
		ns = left_ns(a, id, n, "its files are not placed");
		if (ns && place_files(&o, ns, id, pf, n) == 0)
			log_job(LOG_INFO, id, "completed: its files are in place");
		free(pf);
		store_files_free(sf, n);
		owner_release(&o);
	}
	forget_job(a, id);
}

/* KBITS_EVENT_COMPLETING: place the files, then tell the kernel. */
static void job_completing(struct agent *a, const struct kbits_guid *id)
{
	struct job_ns ns = { -1, -1 };
	struct kbits_file *files = NULL;
	struct place_file *pf = NULL;
	struct kbits_job *j = NULL;
	size_t i, n = 0;
	struct owner o = { 0 };
	uid_t uid;
	int err;

	err = kbits_get_job(a->m, id, &j);
	if (!err)
		err = kbits_job_get_owner(j, &uid);
	if (!err)
		err = kbits_job_get_files(j, &files, &n);
	if (!err)
		err = owner_lookup(uid, &o);
	if (!err) {
		err = job_ns_get(a->fd, id, &ns);
		if (err == -ESTALE)
			log_job(LOG_ERR, id, "cannot place its files: %s", NS_STALE_TEXT);
		else if (err < 0 && err != -ENOENT)
			log_job(LOG_ERR, id, "cannot get its namespaces to place its files: %s",
				strerror(-err));
	}
	if (!err && n) {
		pf = calloc(n, sizeof(*pf));
		if (!pf)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < n; i++) {
		pf[i].local = files[i].local_name;
		pf[i].completed = files[i].completed;
	}
	if (!err)
		err = place_files(&o, &ns, id, pf, n);
	job_ns_close(&ns);
	err = job_placed(a, id, -err);
	if (err < 0)
		log_job(LOG_ERR, id, "cannot tell the kernel its files are placed: %s",
			strerror(-err));
	else
		log_job(LOG_INFO, id, "completed: its files are in place");
	if (!err)
		forget_job(a, id);
	free(pf);
	kbits_files_free(files, n);
	owner_release(&o);
	kbits_job_unref(j);
}

/* ---------------------------------------------------------------- events */

static void handle_event(struct agent *a, const struct kbits_event *ev)
{
	struct kbits_guid id;
	bool cur;

	memcpy(id.bytes, ev->id, sizeof(id.bytes));
	cur = a->busy && guid_eq(&id, &a->cur);
	switch (ev->kind) {
	case KBITS_EVENT_OVERFLOW:
		log_msg(LOG_WARNING, "events were lost: looking at every job again");
		a->rescan = true;
		break;
	case KBITS_EVENT_CREATED:
	case KBITS_EVENT_MODIFIED:
		mark_dirty(a, &id);
		remember_ns(a, &id);
		if (pending_find(a, &id, NULL))
			pending_update(a, &id, 0, false);	/* e.g. a new priority */
		break;
	case KBITS_EVENT_QUEUED:
		mark_dirty(a, &id);
		remember_ns(a, &id);
		pending_update(a, &id, realtime_us(), false);
		break;
	case KBITS_EVENT_SUSPENDED:
		mark_dirty(a, &id);
		remember_ns(a, &id);
		pending_remove(a, &id);
		if (cur && !a->cur_stop)
			a->cur_stop = STOP_SUSPENDED;
		break;
	case KBITS_EVENT_CANCELLED:
		pending_remove(a, &id);
		if (!cur) {
			job_cancelled(a, &id);
			break;
		}
		a->cur_cancelled = true;
		a->cur_stop = STOP_CANCELLED;
		break;
	case KBITS_EVENT_COMPLETING:
		pending_remove(a, &id);
		if (!cur) {
			job_completing(a, &id);
			break;
		}
		a->cur_completing = true;
		if (!a->cur_stop || a->cur_stop == STOP_SUSPENDED)
			a->cur_stop = STOP_COMPLETING;
		break;
	case KBITS_EVENT_COMPLETED:
		pending_remove(a, &id);
		if (!cur) {
			job_completed(a, &id);
			break;
		}
		a->cur_completed = true;
		if (!a->cur_stop)
			a->cur_stop = STOP_SUSPENDED;
		break;
	default:
		log_job(LOG_DEBUG, &id, "event %u ignored", ev->kind);
		break;
	}
}

/*
 * Handles the events waiting, at most @max records (0: all of them);
 * -errno on a fatal error of the agent fd.
 */
static int read_events(struct agent *a, size_t max)
{
	struct kbits_event ev[64];
	size_t done = 0;
	ssize_t n, i;

	while (!max || done < max) {
		n = read(a->fd, ev, sizeof(ev));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			log_msg(LOG_ERR, "cannot read the agent fd: %s", strerror(errno));
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++)
			handle_event(a, &ev[i]);
		done += (size_t)n / sizeof(ev[0]);
	}
	return 0;
}

static void read_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (!a->shutdown)
			log_msg(LOG_INFO, "signal %u: stopping", si.ssi_signo);
		a->shutdown = true;
	}
}

struct stored_ids {
	struct kbits_guid *ids;
	size_t n;
};

static int collect_id(void *data, const struct kbits_guid *id, const void *rec, size_t len)
{
	struct stored_ids *s = data;
	struct kbits_guid *v;

	(void)rec;
	(void)len;
	v = realloc(s->ids, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->ids = v;
	s->ids[s->n++] = *id;
	return 0;
}

/*
 * After an OVERFLOW: a stored job the kernel no longer has was cancelled
 * (or completed without us) while its events were lost; its temporaries go
 * and so does its row, else the next start would bring it back.
 */
static void prune_ghosts(struct agent *a, const struct kbits_guid *ids, size_t n)
{
	struct stored_ids st = { 0 };
	size_t i, k;

	if (store_for_each_record(a->store, collect_id, &st) < 0) {
		free(st.ids);
		return;
	}
	for (i = 0; i < st.n; i++) {
		for (k = 0; k < n && !guid_eq(&st.ids[i], &ids[k]); k++)
			;
		if (k < n)
			continue;
		pending_remove(a, &st.ids[i]);
		if (a->busy && guid_eq(&st.ids[i], &a->cur)) {
			a->cur_cancelled = true;
			a->cur_stop = STOP_CANCELLED;
			continue;
		}
		log_job(LOG_INFO, &st.ids[i], "gone from the kernel's queue while events were lost");
		job_cancelled(a, &st.ids[i]);
	}
	free(st.ids);
}

/*
 * Stores every job the kernel has and puts the waiting ones on the list;
 * with @prune, forgets the stored jobs the kernel no longer has.
 */
static int rescan(struct agent *a, bool prune)
{
	struct kbits_guid *ids = NULL;
	size_t i, n = 0;
	bool batch;
	int err;

	a->rescan = false;
	err = kbits_enum_jobs(a->m, KBITS_ENUM_ALL_USERS, &ids, &n);
	if (err < 0) {
		log_msg(LOG_ERR, "cannot list the jobs: %s", strerror(-err));
		return err;
	}
	batch = store_batch_begin(a->store) == 0;
	for (i = 0; i < n; i++) {
		uint32_t flags = 0;

		if (save_job(a, &ids[i], &flags) == -ENOENT)
			continue;
		remember_ns(a, &ids[i]);
		if (flags & KBITS_RECORD_COMPLETING) {
			/* its COMPLETING was lost in the overflow */
			struct kbits_event ev = { .kind = KBITS_EVENT_COMPLETING };

			memcpy(ev.id, ids[i].bytes, sizeof(ev.id));
			handle_event(a, &ev);
			continue;
		}
		if (!pending_find(a, &ids[i], NULL)) {
			struct kbits_job *j = NULL;
			struct kbits_job_times t = { 0 };

			if (kbits_get_job(a->m, &ids[i], &j) == 0)
				kbits_job_get_times(j, &t);
			kbits_job_unref(j);
			pending_update(a, &ids[i], t.creation_time * 1000000, true);
		} else {
			pending_update(a, &ids[i], 0, false);
		}
	}
	if (batch)
		store_batch_end(a->store);
	if (prune)
		prune_ghosts(a, ids, n);
	free(ids);
	return 0;
}

/* ------------------------------------------------------- following a worker */

/* Reports file progress to the kernel, and checkpoints the job on disk now and then. */
static void report_progress(struct agent *a, struct run *run)
{
	const struct worker_msg *m = &run->pending;
	struct kbits_agent_progress p = {
		.size = sizeof(p),
		.index = m->index,
		.bytes_total = m->total,
		.bytes_transferred = m->done,
		.flags = (m->flags & WORKER_COMPLETED) ? KBITS_FILE_COMPLETED : 0,
	};
	int64_t now = now_ms();
	int err;

	run->have_pending = false;
	a->last_report_ms = now;
	memcpy(p.id, a->cur.bytes, sizeof(p.id));
	err = agent_ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p);
	if (err == -EBADFD || err == -ENOENT || err == -EBUSY) {
		/*
		 * suspended, cancelled or completed meanwhile, or its COMPLETE
		 * waits for its files: its event tells which
		 */
		if (!a->cur_stop)
			a->cur_stop = STOP_SUSPENDED;
		return;
	}
	if (err < 0) {
		log_job(LOG_ERR, &a->cur, "cannot report progress: %s", strerror(-err));
		return;
	}
	a->cur_progressed = true;
	if ((m->flags & WORKER_COMPLETED) || now - a->last_checkpoint_ms >= 1000) {
		a->last_checkpoint_ms = now;
		save_job_progress(a, &a->cur, NULL, time(NULL));
	}
}

static enum xfer_result worker_failed(struct run *run, struct xfer_error *xe,
				      const char *why)
{
	worker_stop(&run->w, true);
	memset(xe, 0, sizeof(*xe));
	xe->transient = true;
	xe->context = KBITS_ERROR_CONTEXT_GENERAL;
	xe->code = EIO;
	xe->file_index = KBITS_NO_FILE;
	snprintf(xe->text, sizeof(xe->text), "%s", why);
	return XFER_FAILED;
}

/*
 * The worker's records: 1 when its result came (in *r), 0 when none
 * waits any more, -1 when it failed (*r set).
 */
static int worker_records(struct agent *a, struct run *run, enum xfer_result *r,
			  struct xfer_error *xe)
{
	struct worker_msg m;
	int got;

	for (;;) {
		got = worker_receive(&run->w, run->nfiles, &m);
		if (got == 0)
			return 0;
		if (got < 0) {
			if (run->have_pending)
				report_progress(a, run);
			*r = worker_failed(run, xe, got == -EPIPE ?
					   "the transfer process ended unexpectedly" :
					   "the transfer process sent a malformed record");
			return -1;
		}
		run->last_heard_ms = now_ms();
		if (m.kind == WORKER_VALIDATOR) {
			/* stored before the bytes that follow it are reported */
			int err = store_put_validator(a->store, &a->cur, m.index,
						      run->files[m.index].remote_name, &m.val);

			if (err < 0)
				log_job(LOG_ERR, &a->cur, "cannot store file %u's validators: %s",
					m.index, strerror(-err));
			run->vals[m.index] = m.val;
			continue;
		}
		if (m.kind == WORKER_RESULT) {
			if (run->have_pending)
				report_progress(a, run);
			worker_stop(&run->w, false);
			*r = (enum xfer_result)m.result;
			if (*r == XFER_FAILED)
				*xe = m.error;
			return 1;
		}
		/* a record without new bytes is only a heartbeat */
		if (!(m.flags & (WORKER_FRESH | WORKER_COMPLETED)))
			continue;
		if (run->have_pending && run->pending.index != m.index)
			report_progress(a, run);
		run->pending = m;
		run->have_pending = true;
		if ((m.flags & WORKER_COMPLETED) ||
		    run->last_heard_ms - a->last_report_ms >= REPORT_INTERVAL_MS)
			report_progress(a, run);
	}
}

/*
 * Follows the worker until its result, a stop (an event of the job, a
 * signal) or its silence.  It never blocks on the worker: everything the
 * daemon waits for is in one poll(), with a timeout.
 */
static enum xfer_result supervise(struct agent *a, struct run *run, struct xfer_error *xe)
{
	struct pollfd pfd[3] = {
		{ .fd = a->fd, .events = POLLIN },
		{ .fd = a->signal_fd, .events = POLLIN },
		{ .fd = run->w.fd, .events = POLLIN },
	};
	enum xfer_result r;
	int64_t now, wait;

	run->last_heard_ms = now_ms();
	for (;;) {
		if (a->shutdown || a->cur_stop) {
			if (run->have_pending)
				report_progress(a, run);
			worker_stop(&run->w, true);
			return XFER_STOPPED;
		}
		now = now_ms();
		if (run->have_pending && now - a->last_report_ms >= REPORT_INTERVAL_MS) {
			report_progress(a, run);
			continue;
		}
		if (now - run->last_heard_ms >= WORKER_SILENCE_MS) {
			log_job(LOG_WARNING, &a->cur, "its transfer process was silent for %d s: killed",
				WORKER_SILENCE_MS / 1000);
			return worker_failed(run, xe, "the transfer process stopped responding "
					     "(a file system that hangs?)");
		}
		flush_dirty(a, false);
		wait = flush_wait(a, run->last_heard_ms + WORKER_SILENCE_MS - now);
		if (run->have_pending && a->last_report_ms + REPORT_INTERVAL_MS - now < wait)
			wait = a->last_report_ms + REPORT_INTERVAL_MS - now;
		if (poll(pfd, 3, (int)wait) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return worker_failed(run, xe, "kbitsd cannot wait for the transfer");
		}
		if (pfd[2].revents) {
			int got = worker_records(a, run, &r, xe);

			if (got)
				return r;
		}
		if (pfd[0].revents && read_events(a, EVENT_BATCH) < 0)
			a->shutdown = true;
		if (pfd[1].revents)
			read_signals(a);
		if (a->rescan)
			rescan(a, true);
	}
}

/* ------------------------------------------------------------- a job's run */

static void final_error(struct agent *a, const struct kbits_guid *id,
			const struct xfer_error *e)
{
	int err = job_error(a, id, e, false);

	if (err < 0)
		log_job(LOG_ERR, id, "cannot report its error: %s", strerror(-err));
	log_job(LOG_ERR, id, "error (context %d, code %d): %s", e->context, e->code,
		e->text);
	save_job(a, id, NULL);
}

/* Job @p again after @delay seconds (at least the minimum). */
static void retry_later(struct agent *a, const struct pending *p, const struct xfer_error *e,
			uint32_t delay)
{
	struct pending *np;

	if (delay < KBITS_MIN_RETRY_DELAY_MIN)
		delay = KBITS_MIN_RETRY_DELAY_MIN;
	np = malloc(sizeof(*np));
	if (!np) {
		log_job(LOG_ERR, &p->id, "out of memory: it waits for the next rescan");
		return;
	}
	*np = *p;
	np->retry = true;
	np->not_before = time(NULL) + delay;
	if (e)
		np->last_error = *e;
	np->next = a->pending;
	a->pending = np;
}

/* After a transient error: retry after the delay, or give up. */
static void transient_error(struct agent *a, struct pending *p, const struct xfer_error *e,
			    uint32_t delay, uint32_t timeout)
{
	time_t now = time(NULL);
	int err;

	if (a->cur_progressed)
		p->last_progress = now;
	if (!timeout || now - p->last_progress >= (time_t)timeout) {
		final_error(a, &p->id, e);
		return;
	}
	err = job_error(a, &p->id, e, true);
	if (err < 0) {
		log_job(LOG_ERR, &p->id, "cannot report its error: %s", strerror(-err));
		return;
	}
	if (delay < KBITS_MIN_RETRY_DELAY_MIN)
		delay = KBITS_MIN_RETRY_DELAY_MIN;
	log_job(LOG_WARNING, &p->id, "transient error (context %d, code %d): %s; retry in %u s",
		e->context, e->code, e->text, delay);
	save_job_progress(a, &p->id, NULL, a->cur_progressed ? now : 0);
	retry_later(a, p, e, delay);
}

static void upload_job(struct agent *a, const struct kbits_guid *id)
{
	struct xfer_error e = {
		.context = KBITS_ERROR_CONTEXT_GENERAL,
		.code = EOPNOTSUPP,
		.file_index = KBITS_NO_FILE,
		.text = "upload jobs are not supported yet",
	};

	if (take_job(a, id) == 0)
		final_error(a, id, &e);
}

/* The job is not busy any more: what its events asked for, now. */
static void after_stop(struct agent *a, const struct kbits_guid *id)
{
	if (a->cur_cancelled)
		job_cancelled(a, id);
	else if (a->cur_completing)
		job_completing(a, id);
	else if (a->cur_completed)
		job_completed(a, id);
	else if (a->cur_stop == STOP_SUSPENDED)
		log_job(LOG_INFO, id, "stopped");
}

/*
 * The job could not be set up (its owner not looked up: the user database
 * is down; out of memory): it is taken and gets a transient error, to be
 * retried like any; if it cannot be taken it is looked at again later.
 */
static void setup_failed(struct agent *a, struct pending *p, int err, uint32_t delay,
			 uint32_t timeout)
{
	struct xfer_error xe = {
		.transient = true,
		.context = KBITS_ERROR_CONTEXT_GENERAL,
		.code = -err,
		.file_index = KBITS_NO_FILE,
	};

	snprintf(xe.text, sizeof(xe.text), "kbitsd cannot set the job up: %s (its owner's "
		 "user and groups cannot be looked up?)", strerror(-err));
	log_job(LOG_WARNING, &p->id, "%s", xe.text);
	if (take_job(a, &p->id) == 0) {
		a->cur_progressed = false;
		transient_error(a, p, &xe, delay, timeout);
	} else {
		retry_later(a, p, NULL, delay);
	}
}

/* Runs job @p's worker(s) until the job is transferred, fails or stops. */
static enum xfer_result transfer_job(struct agent *a, struct pending *p, struct kbits_job *j,
				     const struct owner *o, const struct job_ns *jns,
				     const struct net_settings *ns, struct kbits_file **files,
				     size_t *nfiles, struct xfer_error *xe)
{
	struct worker_job wj = { .id = p->id, .owner = o, .jns = jns, .ns = ns };
	const char *ns_failed;
	struct run run;
	enum xfer_result r;
	int pass, err;

	for (pass = 0;; pass++) {
		memset(&run, 0, sizeof(run));
		wj.files = run.files = *files;
		wj.nfiles = run.nfiles = *nfiles;
		run.vals = calloc(*nfiles ? *nfiles : 1, sizeof(*run.vals));
		if (!run.vals) {
			memset(xe, 0, sizeof(*xe));
			xe->transient = true;
			xe->context = KBITS_ERROR_CONTEXT_GENERAL;
			xe->code = ENOMEM;
			xe->file_index = KBITS_NO_FILE;
			snprintf(xe->text, sizeof(xe->text), "out of memory");
			return XFER_FAILED;
		}
		err = store_get_validators(a->store, &p->id, *files, run.vals, *nfiles);
		if (err < 0)	/* none: the files with bytes start over */
			log_job(LOG_WARNING, &p->id, "cannot read its files' validators: %s",
				strerror(-err));
		wj.vals = run.vals;
		err = worker_start(&wj, &run.w, &ns_failed);
		if (err < 0)
			free(run.vals);
		if (err < 0) {
			memset(xe, 0, sizeof(*xe));
			/* not in the job's namespaces: an error to show, not to retry */
			xe->transient = !ns_failed;
			xe->context = KBITS_ERROR_CONTEXT_GENERAL;
			xe->code = -err;
			xe->file_index = KBITS_NO_FILE;
			if (ns_failed)
				snprintf(xe->text, sizeof(xe->text), "kbitsd cannot %s: %s",
					 ns_failed, strerror(-err));
			else
				snprintf(xe->text, sizeof(xe->text),
					 "cannot start the transfer process: %s", strerror(-err));
			return XFER_FAILED;
		}
		r = supervise(a, &run, xe);
		free(run.vals);
		if (r != XFER_DONE)
			return r;
		err = job_transferred(a, &p->id);
		if (err == 0) {
			log_job(LOG_INFO, &p->id, "transferred");
			return XFER_DONE;
		}
		if (err != -EINVAL || pass >= 100) {
			if (err != -EBADFD && err != -ENOENT && err != -EBUSY)
				log_job(LOG_ERR, &p->id, "cannot mark it transferred: %s",
					strerror(-err));
			return XFER_DONE;
		}
		/* files were added while it was transferred: those too */
		kbits_files_free(*files, *nfiles);
		*files = NULL;
		*nfiles = 0;
		err = kbits_job_get_files(j, files, nfiles);
		if (err < 0) {
			log_job(LOG_ERR, &p->id, "cannot read its files: %s", strerror(-err));
			return XFER_DONE;
		}
		log_job(LOG_INFO, &p->id, "files were added: %zu file(s) now", *nfiles);
	}
}

/*
 * The job's namespaces cannot be had: it has none (-ESTALE), or not even an
 * fd can be made (EMFILE, ENOMEM).  It is taken and gets an ERROR that says
 * so.
 */
static void ns_get_failed(struct agent *a, const struct kbits_guid *id, int err)
{
	struct xfer_error xe = {
		.context = KBITS_ERROR_CONTEXT_GENERAL,
		.code = -err,
		.file_index = KBITS_NO_FILE,
	};

	if (err == -ESTALE)
		snprintf(xe.text, sizeof(xe.text), "%s", NS_STALE_TEXT);
	else
		snprintf(xe.text, sizeof(xe.text), "kbitsd cannot get the job's namespaces: %s",
			 strerror(-err));
	err = take_job(a, id);
	if (err == 0)
		final_error(a, id, &xe);
	else if (err != -EBADFD && err != -ENOENT && err != -EBUSY)
		log_job(LOG_ERR, id, "cannot take it: %s", strerror(-err));
}

static void run_job(struct agent *a, struct pending *p)
{
	struct job_ns jns = { -1, -1 };
	struct net_settings ns = { 0 };
	struct kbits_file *files = NULL;
	struct kbits_job *j = NULL;
	enum kbits_job_type type;
	uint32_t delay = KBITS_MIN_RETRY_DELAY_DEFAULT;
	uint32_t timeout = KBITS_NO_PROGRESS_TIMEOUT_DEFAULT;
	struct xfer_error xe = { 0 };
	enum xfer_result r;
	struct owner o = { 0 };
	size_t nfiles = 0;
	bool have_owner = false;
	uid_t uid;
	int err;

	err = kbits_get_job(a->m, &p->id, &j);
	if (!err)
		err = kbits_job_get_type(j, &type);
	if (!err && type != KBITS_JOB_TYPE_DOWNLOAD) {
		upload_job(a, &p->id);
		goto out;
	}
	if (!err)
		err = kbits_job_get_owner(j, &uid);
	if (!err)
		err = kbits_job_get_min_retry_delay(j, &delay);
	if (!err)
		err = kbits_job_get_no_progress_timeout(j, &timeout);
	if (!err)
		err = kbits_job_get_files(j, &files, &nfiles);
	if (!err)
		err = net_settings_read(j, &ns);
	if (!err) {
		err = owner_lookup(uid, &o);
		have_owner = !err;
	}
	if (err == -ENOENT)
		goto out;	/* gone meanwhile */
	if (err < 0) {
		setup_failed(a, p, err, delay, timeout);
		goto out;
	}
	/* where its owner is: after the owner, so never a newer owner's */
	err = job_ns_get(a->fd, &p->id, &jns);
	if (err == -ENOENT)
		goto out;	/* gone meanwhile */
	if (err < 0) {
		ns_get_failed(a, &p->id, err);
		goto out;
	}
	remember_ns(a, &p->id);
	err = take_job(a, &p->id);
	if (err < 0) {
		if (err != -EBADFD && err != -ENOENT && err != -EBUSY)
			log_job(LOG_ERR, &p->id, "cannot take it: %s", strerror(-err));
		goto out;
	}
	log_job(LOG_INFO, &p->id, "transferring %zu file(s) for uid %u", nfiles,
		(unsigned int)uid);

	a->busy = true;
	a->cur = p->id;
	a->cur_stop = STOP_NONE;
	a->cur_cancelled = a->cur_completing = a->cur_completed = false;
	a->cur_progressed = false;
	a->last_report_ms = 0;
	a->last_checkpoint_ms = now_ms();
	r = transfer_job(a, p, j, &o, &jns, &ns, &files, &nfiles, &xe);
	a->busy = false;

	switch (r) {
	case XFER_DONE:
		save_job(a, &p->id, NULL);
		break;
	case XFER_FAILED:
		if (xe.transient)
			transient_error(a, p, &xe, delay, timeout);
		else
			final_error(a, &p->id, &xe);
		break;
	case XFER_STOPPED:
		break;
	}
	/* events that came for it while it was busy */
	after_stop(a, &p->id);
out:
	job_ns_close(&jns);
	net_settings_release(&ns);
	kbits_files_free(files, nfiles);
	if (have_owner)
		owner_release(&o);
	kbits_job_unref(j);
}

/* ---------------------------------------------------------- the main loop */

/* A retry is due: has the job gone without progress for its timeout? */
static bool no_progress_for_too_long(struct agent *a, const struct pending *p, time_t now)
{
	struct kbits_job *j = NULL;
	uint32_t timeout = 0;
	int err;

	err = kbits_get_job(a->m, &p->id, &j);
	if (!err)
		err = kbits_job_get_no_progress_timeout(j, &timeout);
	kbits_job_unref(j);
	return !err && now - p->last_progress >= (time_t)timeout;
}

int agent_run(struct agent *a)
{
	struct pollfd pfd[2] = {
		{ .fd = a->fd, .events = POLLIN },
		{ .fd = a->signal_fd, .events = POLLIN },
	};
	struct pending **link = &a->pending, *p, job;
	time_t now, wake;
	int64_t timeout;
	int err;

	while (!a->shutdown) {
		owner_reap_later();
		flush_dirty(a, false);
		err = read_events(a, 0);
		if (err < 0)
			return err;
		read_signals(a);
		if (a->shutdown)
			break;
		if (a->rescan)
			rescan(a, true);
		now = time(NULL);
		p = pending_next(a, now, &wake);
		if (p) {
			job = *p;
			pending_find(a, &p->id, &link);
			*link = p->next;
			free(p);
			if (job.retry && no_progress_for_too_long(a, &job, now)) {
				final_error(a, &job.id, &job.last_error);
				continue;
			}
			run_job(a, &job);
			continue;
		}
		/* at most a minute: stuck children are reaped, the clock may jump */
		timeout = wake ? ((int64_t)wake - (int64_t)now) * 1000 : 60000;
		if (timeout > 60000 || timeout < 0)
			timeout = 60000;
		timeout = flush_wait(a, timeout);
		if (poll(pfd, 2, (int)timeout) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- start, end */

struct import_ctx {
	struct agent *a;
	struct kbits_guid *drop;
	size_t ndrop;
	size_t imported;
};

static int import_one(void *data, const struct kbits_guid *id, const void *rec, size_t len)
{
	struct import_ctx *ctx = data;
	struct kbits_agent_record r = {
		.size = sizeof(r),
		.buf = (uintptr_t)rec,
		.buf_len = (uint32_t)len,
	};
	struct kbits_guid *nd;
	int err;

	err = agent_ioctl(ctx->a, KBITS_AGENT_IOC_IMPORT_JOB, &r);
	if (!err) {
		ctx->imported++;
		log_job(LOG_DEBUG, id, "given back to the kernel");
		return 0;
	}
	if (err == -EEXIST) {
		log_job(LOG_DEBUG, id, "queued already: the kernel's copy wins");
		return 0;
	}
	if (err != -EINVAL && err != -E2BIG) {
		log_job(LOG_WARNING, id, "cannot give it back to the kernel: %s (kept)",
			strerror(-err));
		return 0;
	}
	log_job(LOG_WARNING, id, "the kernel refuses its record (%s): dropped",
		strerror(-err));
	nd = realloc(ctx->drop, (ctx->ndrop + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	ctx->drop = nd;
	ctx->drop[ctx->ndrop++] = *id;
	return 0;
}

static int attach(struct agent *a)
{
	int dev, fd, err;

	dev = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		err = -errno;
		log_msg(LOG_ERR, "cannot open /dev/kbits: %s (is the kbits module loaded?)",
			strerror(-err));
		return err;
	}
	fd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, KBITS_AGENT_PLACES_FILES);
	err = fd < 0 ? -errno : 0;
	close(dev);
	if (err == -EPERM) {
		log_msg(LOG_ERR, "must run as root (CAP_SYS_ADMIN) to attach to /dev/kbits");
		return err;
	}
	if (err == -EBUSY) {
		log_msg(LOG_ERR, "another agent is attached to /dev/kbits");
		return err;
	}
	if (err < 0) {
		log_msg(LOG_ERR, "cannot attach to /dev/kbits: %s", strerror(-err));
		return err;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	a->fd = fd;
	return 0;
}

int agent_new(struct kbits *m, const char *state_dir, int signal_fd, struct agent **out)
{
	struct agent *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->m = kbits_ref(m);
	a->fd = -1;
	a->signal_fd = signal_fd;
	a->state_dir = strdup(state_dir);
	err = a->state_dir ? ns_cache_new(&a->nsc) : -ENOMEM;
	if (!err)
		err = attach(a);
	if (!err)
		err = store_prepare_dir(state_dir);
	if (err) {
		agent_free(a);
		return err;
	}
	*out = a;
	return 0;
}

int agent_start(struct agent *a)
{
	struct import_ctx ctx = { 0 };
	size_t i;
	int err;

	err = store_open(a->state_dir, &a->store);
	if (err)
		return err;
	ctx.a = a;
	err = store_for_each_record(a->store, import_one, &ctx);
	for (i = 0; i < ctx.ndrop; i++)
		forget_job(a, &ctx.drop[i]);
	free(ctx.drop);
	if (err)
		return err;
	if (ctx.imported)
		log_msg(LOG_INFO, "%zu job(s) restored from %s", ctx.imported, a->state_dir);
	return rescan(a, false);
}

void agent_free(struct agent *a)
{
	struct pending *p;

	if (!a)
		return;
	if (a->fd >= 0 && a->store)
		rescan(a, false);	/* every job on disk, as it is now */
	free(a->dirty);
	while ((p = a->pending)) {
		a->pending = p->next;
		free(p);
	}
	store_close(a->store);
	ns_cache_free(a->nsc);
	if (a->fd >= 0)
		close(a->fd);
	owner_reap_later();
	kbits_unref(a->m);
	free(a->state_dir);
	free(a);
}
