// SPDX-License-Identifier: GPL-2.0
/*
 * The agent: kbitsd's end of /dev/kbits.  It attaches as the agent, keeps
 * every job on disk as its events come (store.c), and runs the loop that
 * everything else hangs from: the events of the agent fd, the signals, the
 * links going down and up (netwatch.c), and the workers of the running
 * jobs (run.c), which the scheduler (sched.c) starts, preempts and rotates
 * and whose rates bandwidth.c sets.  The daemon itself never opens, reads
 * or writes a user's file, and never waits on a worker without a timeout.
 * Every child that touches a job's files or network does so in the job's
 * namespaces (ns.c), which the daemon gets from the kernel for each run and
 * remembers for the jobs it knows, for when a cancelled job's temporaries
 * must go.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* Event records handled at once while workers run, so that they are heard. */
#define EVENT_BATCH		256
/* Jobs changed by their users are written to disk at most this often. */
#define FLUSH_INTERVAL_MS	1000

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool guid_eq(const struct kbits_guid *a, const struct kbits_guid *b)
{
	return !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}



/* ---------------------------------------------------------------- storing */

/*
 * Writes the kernel's copy of job @id to the store, with the time of its
 * last progress when @progress is not 0.  -ENOENT: not queued.
 */
int save_job_progress(struct agent *a, const struct kbits_guid *id,
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
		err = afd_export(a->fd, id, &rec, &sj.record_len);
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
	record_free(rec, sj.record_len);
	kbits_files_free(files, sj.nfiles);
	free(name);
	kbits_job_unref(j);
	return err;
}

/* Writes the kernel's copy of job @id to the store.  -ENOENT: not queued. */
int save_job(struct agent *a, const struct kbits_guid *id, uint32_t *record_flags)
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
void flush_dirty(struct agent *a, bool now)
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

/*
 * Job @id changed: its namespaces may have (a TAKE_OWNERSHIP moves the job
 * to the taker's); the cache follows the kernel while the job is queued.
 */
void remember_ns(struct agent *a, const struct kbits_guid *id)
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

/* ------------------------------------------------- cancelling, completing */

/*
 * An upload job's stored file is the user's own, never placed nor removed:
 * *@sf becomes an UPLOAD_REPLY job's reply (its name and mode from the
 * stored record), or nothing.  *@reply_mode: the mode to place it with.
 */
static int stored_upload_reply(struct agent *a, const struct kbits_guid *id,
			       struct store_file **sf, size_t *n, uint32_t *reply_mode)
{
	const size_t type_end = offsetof(struct kbits_job_record, type) + sizeof(uint32_t);
	char *reply = NULL;
	uint32_t type;
	void *rec;
	size_t len;
	int err = store_get_record(a->store, id, &rec, &len);

	if (err < 0 || len < type_end) {
		record_free(rec, len);
		return err < 0 ? err : -EINVAL;
	}
	memcpy(&type, (const char *)rec + offsetof(struct kbits_job_record, type), sizeof(type));
	if (type != KBITS_JOB_TYPE_DOWNLOAD && type != KBITS_JOB_TYPE_UPLOAD_REPLY)
		type = KBITS_JOB_TYPE_UPLOAD;
	err = type == KBITS_JOB_TYPE_UPLOAD_REPLY ? record_reply(rec, len, &reply, reply_mode) : 0;
	record_free(rec, len);
	if (type == KBITS_JOB_TYPE_DOWNLOAD)
		return err;
	/* an upload's file is never placed, even when its reply is unknown */
	store_files_free(*sf, *n);
	*sf = NULL;
	*n = 0;
	if (err < 0 && err != -ENODATA)
		return err;
	if (!reply)
		return 0;
	*sf = calloc(1, sizeof(**sf));
	if (!*sf) {
		free(reply);
		return -ENOMEM;
	}
	(*sf)[0].local = reply;
	(*sf)[0].completed = true;
	*n = 1;
	return 1;
}

/*
 * What is stored of job @id to place or remove: 0 with its owner and files,
 * 1 when it is not stored, or -errno.
 */
static int stored_place_files(struct agent *a, const struct kbits_guid *id,
			      struct owner *o, struct place_file **pf, size_t *n,
			      struct store_file **sf)
{
	uint32_t reply_mode = 0;
	int reply = 0;
	uid_t uid = 0;
	size_t i;
	int err;

	*pf = NULL;
	err = store_get_files(a->store, id, &uid, sf, n);
	if (err == -ENOENT)
		return 1;	/* not stored */
	if (err < 0)
		return err;
	reply = stored_upload_reply(a, id, sf, n, &reply_mode);
	if (reply < 0 && reply != -ENOENT)
		log_job(LOG_WARNING, id, "cannot read its stored record: %s", strerror(-reply));
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
	/*
	 * mode 0, the temporaries' 0600: a job placed from the store is one a
	 * module without KBITS_EVENT_COMPLETING completed, and such a module
	 * records no modes
	 */
	for (i = 0; i < *n; i++) {
		(*pf)[i].local = (*sf)[i].local;
		(*pf)[i].completed = (*sf)[i].completed;
	}
	if (reply > 0) {
		(*pf)[0].reply = true;
		(*pf)[0].mode = reply_mode;
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
void job_cancelled(struct agent *a, const struct kbits_guid *id)
{
	const struct job_ns *ns;
	struct place_file *pf;
	struct store_file *sf;
	struct owner o;
	size_t n;
	int err;

	err = stored_place_files(a, id, &o, &pf, &n, &sf);
	if (err == 0) {
		ns = left_ns(a, id, n, "its temporaries, if any, stay");
		if (ns)
			remove_temps(&o, ns, id, pf, n);
		free(pf);
		store_files_free(sf, n);
		owner_release(&o);
	}
	/*
	 * A job created and cancelled between two flushes was never stored:
	 * no write transaction to delete nothing (a storm of such jobs made
	 * one per job, and users wait for the agent: their cancelled jobs
	 * count against their limits until it has read them).
	 */
	if (err == 1)
		ns_cache_forget(a->nsc, id);
	else
		forget_job(a, id);
	log_job(LOG_INFO, id, "cancelled");
}

/*
 * Job @id left the queue ACKNOWLEDGED.  A module that waits for the agent
 * (KBITS_EVENT_COMPLETING) had it placed already and the job is no longer
 * stored; with one that does not, its files are placed now, as the store
 * last saw them.
 */
void job_completed(struct agent *a, const struct kbits_guid *id)
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
void job_completing(struct agent *a, const struct kbits_guid *id)
{
	struct job_ns ns = { -1, -1 };
	struct kbits_file *files = NULL;
	struct kbits_file_attrs *attrs = NULL;
	struct place_file *pf = NULL;
	struct kbits_job *j = NULL;
	enum kbits_job_type type = KBITS_JOB_TYPE_DOWNLOAD;
	size_t i, n = 0;
	struct owner o = { 0 };
	char *reply = NULL;
	uint32_t reply_mode = 0;
	uid_t uid;
	int err;

	err = kbits_get_job(a->m, id, &j);
	if (!err)
		err = kbits_job_get_owner(j, &uid);
	if (!err)
		err = kbits_job_get_type(j, &type);
	if (!err && type == KBITS_JOB_TYPE_DOWNLOAD)
		err = kbits_job_get_files(j, &files, &n);
	if (!err && type == KBITS_JOB_TYPE_DOWNLOAD)
		err = job_file_attrs(j, n, &attrs);
	/* an upload's file is the user's own: only an UPLOAD_REPLY's reply is placed */
	if (!err && type == KBITS_JOB_TYPE_UPLOAD_REPLY) {
		void *rec = NULL;
		size_t len;

		err = afd_export(a->fd, id, &rec, &len);
		if (!err)
			err = record_reply(rec, len, &reply, &reply_mode);
		if (err == -ENODATA)
			err = -EDESTADDRREQ;
		record_free(rec, len);
		n = 1;
	}
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
	for (i = 0; !err && i < n && !reply; i++) {
		pf[i].local = files[i].local_name;
		pf[i].completed = files[i].completed;
		pf[i].mode = attrs[i].mode;
	}
	if (!err && reply)	/* complete only once TRANSFERRED: the reply is whole */
		pf[0] = (struct place_file){ .local = reply, .completed = true,
					     .mode = reply_mode, .reply = true };
	if (!err)
		err = place_files(&o, &ns, id, pf, n);
	job_ns_close(&ns);
	err = afd_placed(a->fd, id, -err);
	if (err < 0)
		log_job(LOG_ERR, id, "cannot tell the kernel its files are placed: %s",
			strerror(-err));
	else
		log_job(LOG_INFO, id, "completed: its files are in place");
	if (!err)
		forget_job(a, id);
	free(pf);
	free(reply);
	free(attrs);
	kbits_files_free(files, files ? n : 0);
	owner_release(&o);
	kbits_job_unref(j);
}

/* ---------------------------------------------------------------- events */

static void handle_event(struct agent *a, const struct kbits_event *ev)
{
	struct kbits_guid id;
	struct slot *cur;

	memcpy(id.bytes, ev->id, sizeof(id.bytes));
	cur = slot_find(a, &id);
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
		else if (cur)
			slot_modified(a, cur);
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
		/* a preempted job or one whose network went is not requeued */
		if (cur && (!cur->stop || cur->stop == STOP_PREEMPTED ||
			    cur->stop == STOP_NETWORK))
			cur->stop = STOP_SUSPENDED;
		break;
	case KBITS_EVENT_CANCELLED:
		pending_remove(a, &id);
		if (!cur) {
			job_cancelled(a, &id);
			break;
		}
		cur->cancelled = true;
		cur->stop = STOP_CANCELLED;
		break;
	case KBITS_EVENT_COMPLETING:
		pending_remove(a, &id);
		if (!cur) {
			job_completing(a, &id);
			break;
		}
		cur->completing = true;
		if (cur->stop != STOP_CANCELLED)
			cur->stop = STOP_COMPLETING;
		break;
	case KBITS_EVENT_COMPLETED:
		pending_remove(a, &id);
		if (!cur) {
			job_completed(a, &id);
			break;
		}
		cur->completed = true;
		if (!cur->stop || cur->stop == STOP_PREEMPTED || cur->stop == STOP_NETWORK)
			cur->stop = STOP_SUSPENDED;
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
int read_events(struct agent *a, size_t max)
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
		if (si.ssi_signo == SIGCHLD) {
			/* a notify command exited (or a worker: reaped already) */
			owner_reap_later();
			continue;
		}
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
	struct slot *cur;
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
		cur = slot_find(a, &st.ids[i]);
		if (cur) {
			cur->cancelled = true;
			cur->stop = STOP_CANCELLED;
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
/* ---------------------------------------------------------- the main loop */

/* Milliseconds until the next flush is due, or @dflt when none waits. */
static int64_t flush_wait(struct agent *a, int64_t dflt)
{
	int64_t w;

	if (!a->ndirty)
		return dflt;
	w = a->last_flush_ms + FLUSH_INTERVAL_MS - now_ms();
	return w < 0 ? 0 : w < dflt ? w : dflt;
}

static void net_down(void *ctx, const char *ifname)
{
	slots_network_down(ctx, ifname);
}

static void net_up(void *ctx)
{
	pending_network_back(ctx);
}

int agent_run(struct agent *a)
{
	struct pollfd pfd[3 + SLOTS_LIMIT];
	struct slot *polled[SLOTS_LIMIT];
	int64_t wait, now, w;
	size_t i, n, base;
	int err;

	while (!a->shutdown) {
		owner_reap_later();
		flush_dirty(a, false);
		err = read_events(a, EVENT_BATCH);
		if (err < 0)
			return err;
		read_signals(a);
		if (a->shutdown)
			break;
		if (a->rescan)
			rescan(a, true);
		/* the slots that ended leave room; the scheduler fills it */
		slots_reap(a);
		/* at most a minute: stuck children are reaped, the clock may jump */
		wait = 60000;
		schedule(a, &wait);
		now = now_ms();
		bandwidth_tick(a, now);
		w = bandwidth_wait(a, now);
		if (w < wait)
			wait = w;
		for (i = 0; i < a->nslots; i++) {
			w = slot_wait(a, a->slots[i], now);
			if (w < wait)
				wait = w;
		}
		wait = flush_wait(a, wait < 0 ? 0 : wait);

		pfd[0] = (struct pollfd){ .fd = a->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = a->signal_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = a->net_fd, .events = POLLIN };
		base = 3;
		for (i = 0, n = 0; i < a->nslots; i++) {
			if (a->slots[i]->w.fd < 0)
				continue;
			polled[n] = a->slots[i];
			pfd[base + n] = (struct pollfd){ .fd = polled[n]->w.fd, .events = POLLIN };
			n++;
		}
		if (poll(pfd, base + n, (int)wait) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return -errno;
		}
		if (pfd[2].revents && a->net_fd >= 0)
			netwatch_read(a->net_fd, net_down, net_up, a);
		for (i = 0; i < n; i++)
			slot_poll(a, polled[i], pfd[base + i].revents != 0);
		/* slots not polled: their stops and deadlines */
		for (i = 0; i < a->nslots; i++) {
			if (a->slots[i]->w.fd < 0)
				slot_poll(a, a->slots[i], false);
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
	struct kbits_guid *nd;
	bool older = false;
	int err;

	err = afd_import(ctx->a->fd, rec, len, &older);
	if (!err) {
		ctx->imported++;
		if (older)
			log_job(LOG_WARNING, id, "given back to the kernel as an older kbits "
				"module takes it: without what that module lacks (an HTTP "
				"status reads as a code; the notify command goes; files lose "
				"their mode, placed 0600, and their SHA-256, not checked)");
		else
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

int agent_new(struct kbits *m, const char *state_dir, const struct policy *pol,
	      int signal_fd, struct agent **out)
{
	struct agent *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->m = kbits_ref(m);
	a->fd = -1;
	a->net_fd = -1;
	a->signal_fd = signal_fd;
	a->pol = pol;
	a->state_dir = strdup(state_dir);
	err = a->state_dir ? ns_cache_new(&a->nsc) : -ENOMEM;
	if (!err)
		err = bandwidth_new(&a->bw);
	if (!err)
		err = afd_attach(&a->fd);
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
	a->net_fd = netwatch_open();
	if (a->net_fd < 0) {
		log_msg(LOG_WARNING, "cannot watch the network (rtnetlink): %s; jobs whose "
			"link goes down wait for their retry", strerror(-a->net_fd));
		a->net_fd = -1;
	}
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
	slots_stop_all(a);
	if (a->fd >= 0 && a->store)
		rescan(a, false);	/* every job on disk, as it is now */
	free(a->dirty);
	while ((p = a->pending)) {
		a->pending = p->next;
		free(p);
	}
	store_close(a->store);
	ns_cache_free(a->nsc);
	bandwidth_free(a->bw);
	if (a->fd >= 0)
		close(a->fd);
	if (a->net_fd >= 0)
		close(a->net_fd);
	owner_reap_later();
	kbits_unref(a->m);
	free(a->state_dir);
	free(a);
}
