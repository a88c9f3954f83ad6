// SPDX-License-Identifier: GPL-2.0
/*
 * The agent: kbitsd's end of /dev/kbits.  It attaches as the agent, keeps
 * every job on disk as its events come (store.c), keeps the list of jobs
 * waiting to be transferred, picks the next one by priority (FOREGROUND,
 * HIGH, NORMAL, LOW; first queued first within one), transfers it
 * (transfer.c), retries transient errors after the job's min_retry_delay and
 * makes them final after its no_progress_timeout.  One job at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

struct agent {
	struct kbits *m;
	int fd;			/* the agent fd, O_NONBLOCK */
	int signal_fd;
	struct store *store;
	struct pending *pending;
	uint64_t seq;
	bool rescan;		/* an OVERFLOW: look at every job again */
	bool shutdown;

	/* the job being transferred */
	bool busy;
	struct kbits_guid cur;
	enum stop_reason cur_stop;
	bool cur_cancelled, cur_completing, cur_completed;
	bool cur_progressed;
	int64_t last_report_ms, last_checkpoint_ms;
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

static int job_error(struct agent *a, const struct kbits_guid *id,
		     const struct xfer_error *e, bool transient)
{
	struct kbits_agent_error ae = {
		.size = sizeof(ae),
		.flags = transient ? KBITS_ERROR_TRANSIENT : 0,
		.context = e->context,
		.code = e->code,
		.file_index = e->file_index,
		.text_len = (uint32_t)strnlen(e->text, sizeof(e->text)),
		.text = (uintptr_t)e->text,
	};

	memcpy(ae.id, id->bytes, sizeof(ae.id));
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

/* Writes the kernel's copy of job @id to the store.  -ENOENT: not queued. */
static int save_job(struct agent *a, const struct kbits_guid *id, uint32_t *record_flags)
{
	struct store_job sj = { .id = *id };
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

static void forget_job(struct agent *a, const struct kbits_guid *id)
{
	int err = store_delete(a->store, id);

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
static void pending_update(struct agent *a, const struct kbits_guid *id, int64_t queued_us)
{
	struct kbits_job *j = NULL;
	enum kbits_job_state state;
	enum kbits_job_priority prio;
	uint32_t delay;
	struct pending *p;
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

/* Its user cancelled job @id: remove its temporaries and forget it. */
static void job_cancelled(struct agent *a, const struct kbits_guid *id)
{
	struct place_file *pf;
	struct store_file *sf;
	struct owner o;
	size_t n;

	if (stored_place_files(a, id, &o, &pf, &n, &sf) == 0) {
		remove_temps(&o, id, pf, n);
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
	struct place_file *pf;
	struct store_file *sf;
	struct owner o;
	size_t n;

	if (stored_place_files(a, id, &o, &pf, &n, &sf) == 0) {
		if (place_files(&o, id, pf, n) == 0)
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
		err = place_files(&o, id, pf, n);
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
		save_job(a, &id, NULL);
		if (pending_find(a, &id, NULL))
			pending_update(a, &id, 0);	/* e.g. a new priority */
		break;
	case KBITS_EVENT_QUEUED:
		save_job(a, &id, NULL);
		pending_update(a, &id, realtime_us());
		break;
	case KBITS_EVENT_SUSPENDED:
		save_job(a, &id, NULL);
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

/* Handles every event waiting; -errno on a fatal error of the agent fd. */
static int read_events(struct agent *a)
{
	struct kbits_event ev[64];
	ssize_t n, i;

	for (;;) {
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
	}
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

/* Stores every job the kernel has and puts the waiting ones on the list. */
static int rescan(struct agent *a)
{
	struct kbits_guid *ids = NULL;
	size_t i, n = 0;
	int err;

	a->rescan = false;
	err = kbits_enum_jobs(a->m, KBITS_ENUM_ALL_USERS, &ids, &n);
	if (err < 0) {
		log_msg(LOG_ERR, "cannot list the jobs: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		uint32_t flags = 0;

		if (save_job(a, &ids[i], &flags) == -ENOENT)
			continue;
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
			pending_update(a, &ids[i], t.creation_time * 1000000);
		} else {
			pending_update(a, &ids[i], 0);
		}
	}
	free(ids);
	return 0;
}

enum stop_reason agent_check(struct agent *a)
{
	if (read_events(a) < 0)
		a->shutdown = true;
	read_signals(a);
	if (a->rescan)
		rescan(a);
	if (a->shutdown)
		return STOP_SHUTDOWN;
	return a->cur_stop;
}

int agent_progress(struct agent *a, uint32_t index, uint64_t total, uint64_t done,
		   bool completed, bool force)
{
	struct kbits_agent_progress p = {
		.size = sizeof(p),
		.index = index,
		.bytes_total = total,
		.bytes_transferred = done,
		.flags = completed ? KBITS_FILE_COMPLETED : 0,
	};
	int64_t now = now_ms();
	int err;

	if (!completed && !force && now - a->last_report_ms < 200)
		return 0;
	a->last_report_ms = now;
	memcpy(p.id, a->cur.bytes, sizeof(p.id));
	err = agent_ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p);
	if (err == -EBADFD || err == -ENOENT) {
		/* suspended, cancelled or completed meanwhile: its event tells which */
		if (!a->cur_stop)
			a->cur_stop = STOP_SUSPENDED;
		return -EBADFD;
	}
	if (err < 0) {
		log_job(LOG_ERR, &a->cur, "cannot report progress: %s", strerror(-err));
		return err;
	}
	if (done)
		a->cur_progressed = true;
	if (completed || now - a->last_checkpoint_ms >= 1000) {
		a->last_checkpoint_ms = now;
		save_job(a, &a->cur, NULL);
	}
	return 0;
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

/* After a transient error: retry after the delay, or give up. */
static void transient_error(struct agent *a, struct pending *p, const struct xfer_error *e,
			    uint32_t delay, uint32_t timeout)
{
	time_t now = time(NULL);
	struct pending *np;
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
	save_job(a, &p->id, NULL);
	np = malloc(sizeof(*np));
	if (!np) {
		log_job(LOG_ERR, &p->id, "out of memory: it waits for the next rescan");
		return;
	}
	*np = *p;
	np->retry = true;
	np->not_before = now + delay;
	np->last_error = *e;
	np->next = a->pending;
	a->pending = np;
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

static void run_job(struct agent *a, struct pending *p)
{
	struct net_settings ns = { 0 };
	struct kbits_file *files = NULL;
	struct kbits_job *j = NULL;
	enum kbits_job_type type;
	uint32_t delay = 0, timeout = 0;
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
		log_job(LOG_ERR, &p->id, "cannot read it: %s", strerror(-err));
		goto out;
	}
	err = take_job(a, &p->id);
	if (err < 0) {
		if (err != -EBADFD && err != -ENOENT)
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
	r = transfer_job(a, &p->id, &o, files, nfiles, &ns, &xe);
	a->busy = false;

	switch (r) {
	case XFER_DONE:
		err = job_transferred(a, &p->id);
		if (err == 0)
			log_job(LOG_INFO, &p->id, "transferred");
		else if (err != -EBADFD && err != -ENOENT)
			log_job(LOG_ERR, &p->id, "cannot mark it transferred: %s", strerror(-err));
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
	struct pending **link, *p, job;
	time_t now, wake;
	int timeout, err;

	while (!a->shutdown) {
		err = read_events(a);
		if (err < 0)
			return err;
		read_signals(a);
		if (a->shutdown)
			break;
		if (a->rescan)
			rescan(a);
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
		timeout = wake ? (int)(wake - now) * 1000 : -1;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
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
	struct import_ctx ctx = { 0 };
	struct agent *a;
	size_t i;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->m = kbits_ref(m);
	a->fd = -1;
	a->signal_fd = signal_fd;
	err = attach(a);
	if (!err)
		err = store_open(state_dir, &a->store);
	if (err)
		goto fail;

	ctx.a = a;
	err = store_for_each_record(a->store, import_one, &ctx);
	for (i = 0; i < ctx.ndrop; i++)
		forget_job(a, &ctx.drop[i]);
	free(ctx.drop);
	if (err)
		goto fail;
	if (ctx.imported)
		log_msg(LOG_INFO, "%zu job(s) restored from %s", ctx.imported, state_dir);
	err = rescan(a);
	if (err)
		goto fail;
	*out = a;
	return 0;
fail:
	agent_free(a);
	return err;
}

void agent_free(struct agent *a)
{
	struct pending *p;

	if (!a)
		return;
	if (a->fd >= 0 && a->store)
		rescan(a);	/* every job on disk, as it is now */
	while ((p = a->pending)) {
		a->pending = p->next;
		free(p);
	}
	store_close(a->store);
	if (a->fd >= 0)
		close(a->fd);
	kbits_unref(a->m);
	free(a);
}
