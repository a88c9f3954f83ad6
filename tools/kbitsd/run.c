// SPDX-License-Identifier: GPL-2.0
/*
 * A running job, a slot: the daemon takes the job (TAKE_JOB), forks its
 * worker (worker.c) as the job's owner in the job's namespaces, relays the
 * worker's progress to the kernel (at most every 200 ms, and at each file's
 * end), checkpoints it on disk, and ends the run:
 *
 *   every file done      TRANSFERRED (files added meanwhile: another pass)
 *   an error             a transient one is retried after the job's
 *                        min_retry_delay, and made final once the job has
 *                        gone no_progress_timeout without progress since its
 *                        first error; others are final at once
 *   preempted            REQUEUE: QUEUED again, its progress kept
 *   network down         a transient error; retried when the link is back
 *   max download time    a final error
 *   its user's events    suspended, cancelled, completing: as they ask
 *
 * A worker that is silent for a minute is killed (a transient error); the
 * daemon never blocks on one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* How long a worker may stay silent (no heartbeat) before it is killed. */
#define WORKER_SILENCE_MS	60000
/* Progress goes to the kernel at most this often, and at each file's end. */
#define REPORT_INTERVAL_MS	200

struct slot *slot_find(struct agent *a, const struct kbits_guid *id)
{
	size_t i;

	for (i = 0; i < a->nslots; i++) {
		if (guid_eq(&a->slots[i]->p.id, id))
			return a->slots[i];
	}
	return NULL;
}

int job_file_attrs(struct kbits_job *j, size_t n, struct kbits_file_attrs **out)
{
	struct kbits_file_attrs *v = calloc(n ? n : 1, sizeof(*v));
	size_t i;
	int err;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v[i].size = sizeof(v[i]);
		err = kbits_job_get_file_attrs(j, (uint32_t)i, &v[i]);
		if (err < 0) {
			free(v);
			return err;
		}
	}
	*out = v;
	return 0;
}

void job_final_error(struct agent *a, const struct kbits_guid *id, const struct xfer_error *e)
{
	int err = afd_error(a->fd, id, e, false);

	if (err < 0)
		log_job(LOG_ERR, id, "cannot report its error: %s", strerror(-err));
	log_job(LOG_ERR, id, "error (context %d, code %d): %s", e->context, e->code,
		e->text);
	save_job(a, id, NULL);
	if (err == 0)
		job_notify(a, id, true);
}

/* Job @p again after @delay seconds (at least the minimum). */
static void retry_later(struct agent *a, const struct pending *p, const struct xfer_error *e,
			uint32_t delay)
{
	struct pending np = *p;

	if (delay < KBITS_MIN_RETRY_DELAY_MIN)
		delay = KBITS_MIN_RETRY_DELAY_MIN;
	np.retry = true;
	np.not_before = time(NULL) + delay;
	if (e)
		np.last_error = *e;
	pending_put(a, &np);
}

/*
 * After a transient error: retry after the delay, or give up when the job
 * has made no progress for its timeout since its first error.  An error of
 * the network going away starts no clock: the job waits for it.
 */
static void transient_error(struct agent *a, struct pending *p, const struct xfer_error *e,
			    uint32_t delay, uint32_t timeout, bool progressed, bool network)
{
	time_t now = time(NULL);
	int err;

	if (progressed)
		p->error_since = 0;
	if (!network && !p->error_since)
		p->error_since = now;
	if (!timeout || (p->error_since && now - p->error_since >= (time_t)timeout)) {
		job_final_error(a, &p->id, e);
		return;
	}
	err = afd_error(a->fd, &p->id, e, true);
	if (err < 0) {
		log_job(LOG_ERR, &p->id, "cannot report its error: %s", strerror(-err));
		return;
	}
	if (delay < KBITS_MIN_RETRY_DELAY_MIN)
		delay = KBITS_MIN_RETRY_DELAY_MIN;
	log_job(LOG_WARNING, &p->id, "transient error (context %d, code %d): %s; retry in %u s%s",
		e->context, e->code, e->text, delay, network ? " or when the network is back" : "");
	save_job_progress(a, &p->id, NULL, progressed ? now : 0);
	p->net_wait = network;
	retry_later(a, p, e, delay);
}

/* An UPLOAD_REPLY job without a reply file (the kernel's RESUME checks that) */
static void no_reply_file(struct agent *a, const struct kbits_guid *id)
{
	struct xfer_error e;

	xfer_fail(&e, false, KBITS_ERROR_CONTEXT_GENERAL, EDESTADDRREQ, KBITS_NO_FILE,
		  "the upload job has no reply file to write the server's reply to");
	if (afd_take(a->fd, id) == 0)
		job_final_error(a, id, &e);
}

/*
 * The job could not be set up (its owner not looked up: the user database
 * is down; out of memory): it is taken and gets a transient error, to be
 * retried like any; if it cannot be taken it is looked at again later.
 */
static void setup_failed(struct agent *a, struct pending *p, int err, uint32_t delay,
			 uint32_t timeout)
{
	struct xfer_error xe;

	xfer_fail(&xe, true, KBITS_ERROR_CONTEXT_GENERAL, -err, KBITS_NO_FILE,
		  "kbitsd cannot set the job up: %s (its owner's user and groups cannot be "
		  "looked up?)", strerror(-err));
	log_job(LOG_WARNING, &p->id, "%s", xe.text);
	if (afd_take(a->fd, &p->id) == 0)
		transient_error(a, p, &xe, delay, timeout, false, false);
	else
		retry_later(a, p, NULL, delay);
}

/*
 * The job's namespaces cannot be had: it has none (-ESTALE), or not even an
 * fd can be made (EMFILE, ENOMEM).  It is taken and gets an ERROR that says
 * so.
 */
static void ns_get_failed(struct agent *a, const struct kbits_guid *id, int err)
{
	struct xfer_error xe;

	if (err == -ESTALE)
		xfer_fail(&xe, false, KBITS_ERROR_CONTEXT_GENERAL, -err, KBITS_NO_FILE, "%s",
			  NS_STALE_TEXT);
	else
		xfer_fail(&xe, false, KBITS_ERROR_CONTEXT_GENERAL, -err, KBITS_NO_FILE,
			  "kbitsd cannot get the job's namespaces: %s", strerror(-err));
	err = afd_take(a->fd, id);
	if (err == 0)
		job_final_error(a, id, &xe);
	else if (err != -EBADFD && err != -ENOENT && err != -EBUSY)
		log_job(LOG_ERR, id, "cannot take it: %s", strerror(-err));
}

static void slot_free(struct slot *s)
{
	if (s->w.pid > 0)
		worker_stop(&s->w, true);
	free(s->vals);
	free(s->reply);
	job_ns_close(&s->jns);
	net_settings_release(&s->ns);
	free(s->attrs);
	kbits_files_free(s->files, s->nfiles);
	owner_release(&s->o);
	kbits_job_unref(s->j);
	free(s);
}

/* Starts a worker for the slot's files; 0, or -1 with @xe set. */
static int worker_begin(struct agent *a, struct slot *s, struct xfer_error *xe)
{
	struct worker_job wj = {
		.id = s->p.id, .owner = &s->o, .jns = &s->jns, .ns = &s->ns,
		.files = s->files, .attrs = s->attrs, .nfiles = s->nfiles,
		.type = s->type, .post = s->post, .reply = s->reply,
	};
	const char *ns_failed;
	int err;

	free(s->vals);
	s->vals = calloc(s->nfiles ? s->nfiles : 1, sizeof(*s->vals));
	if (!s->vals) {
		xfer_fail(xe, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, KBITS_NO_FILE,
			  "out of memory");
		return -1;
	}
	err = store_get_validators(a->store, &s->p.id, s->files, s->vals, s->nfiles);
	if (err < 0)	/* none: the files with bytes start over */
		log_job(LOG_WARNING, &s->p.id, "cannot read its files' validators: %s",
			strerror(-err));
	wj.vals = s->vals;
	err = worker_start(&wj, &s->w, &ns_failed);
	if (err < 0) {
		/* not in the job's namespaces: an error to show, not to retry */
		if (ns_failed)
			xfer_fail(xe, false, KBITS_ERROR_CONTEXT_GENERAL, -err, KBITS_NO_FILE,
				  "kbitsd cannot %s: %s", ns_failed, strerror(-err));
		else
			xfer_fail(xe, true, KBITS_ERROR_CONTEXT_GENERAL, -err, KBITS_NO_FILE,
				  "cannot start the transfer process: %s", strerror(-err));
		return -1;
	}
	s->last_heard_ms = now_ms();
	s->sent_rate = 0;
	s->sent_window = 0;
	s->validators = 0;
	s->iface[0] = 0;
	memset(&s->conn, 0, sizeof(s->conn));
	s->diag_last = 0;
	s->last_net = 0;
	slot_send_rate(s);
	return 0;
}

static void slot_end(struct agent *a, struct slot *s, enum xfer_result r,
		     const struct xfer_error *xe);

/*
 * BITS's maximum download time: what is left of it, as the kernel counts it
 * (from @a, read at once; none when reading failed, or from a module
 * without it, which reads 0: no limit).
 */
static void set_deadline(struct slot *s, const struct kbits_job_attrs *a, int err)
{
	uint32_t maxt = a->max_download_time, spent = a->transfer_time;

	s->deadline_ms = 0;
	if (err == 0 && maxt)
		s->deadline_ms = now_ms() + (int64_t)(maxt > spent ? maxt - spent : 0) * 1000;
}

void slot_modified(struct agent *a, struct slot *s)
{
	struct kbits_job_attrs at = { .size = sizeof(at) };
	int err;

	if (s->ended || s->stop)
		return;
	err = kbits_job_get_attrs(s->j, &at);
	if (err == 0)
		s->p.priority = at.priority;
	set_deadline(s, &at, err);
	/*
	 * A job that read in big buffers (nothing was to slow it) and now may
	 * be slowed: its reads would come in bursts that others on the link
	 * feel (transfer.c: setup_curl()).  It goes back to the queue and
	 * starts again, resumed, with small ones.
	 */
	if (s->ns.unpaced && policy_may_slow(a->pol, s->p.priority)) {
		log_job(LOG_INFO, &s->p.id, "its priority may now be slowed: it starts again");
		s->stop = STOP_PREEMPTED;
	}
}

bool slot_start(struct agent *a, const struct pending *p)
{
	struct kbits_job_attrs attrs = { .size = sizeof(attrs) };
	struct xfer_error xe;
	struct slot *s;
	uid_t uid = 0;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s) {
		log_job(LOG_ERR, &p->id, "out of memory: it waits for the next rescan");
		return false;
	}
	s->p = *p;
	s->p.next = NULL;
	s->jns.root_fd = s->jns.net_fd = -1;
	s->w.pid = -1;
	s->w.fd = -1;
	s->delay = KBITS_MIN_RETRY_DELAY_DEFAULT;
	s->timeout = KBITS_NO_PROGRESS_TIMEOUT_DEFAULT;

	err = kbits_get_job(a->m, &p->id, &s->j);
	if (!err)
		err = kbits_job_get_type(s->j, &s->type);
	if (!err && s->type != KBITS_JOB_TYPE_DOWNLOAD) {
		err = upload_settings(a, s->j, &p->id, s->type, &s->post, &s->reply);
		if (err == -EDESTADDRREQ) {
			no_reply_file(a, &p->id);
			goto fail;
		}
	}
	if (!err)
		err = kbits_job_get_owner(s->j, &uid);
	s->p.owner = uid;
	if (!err)
		err = kbits_job_get_attrs(s->j, &attrs);
	if (!err) {
		s->p.priority = attrs.priority;
		s->delay = attrs.min_retry_delay;
		s->timeout = attrs.no_progress_timeout;
	}
	if (!err)
		err = kbits_job_get_files(s->j, &s->files, &s->nfiles);
	if (!err)
		err = job_file_attrs(s->j, s->nfiles, &s->attrs);
	if (!err)
		err = net_settings_read(a->fd, &p->id, s->j, &s->ns);
	if (!err)
		s->ns.unpaced = s->type == KBITS_JOB_TYPE_DOWNLOAD &&
				!policy_may_slow(a->pol, s->p.priority);
	if (!err)
		err = owner_lookup(uid, &s->o);
	if (err == -ENOENT)
		goto fail;	/* gone meanwhile */
	if (err < 0) {
		setup_failed(a, &s->p, err, s->delay, s->timeout);
		goto fail;
	}
	/* where its owner is: after the owner, so never a newer owner's */
	err = job_ns_get(a->fd, &p->id, &s->jns);
	if (err == -ENOENT)
		goto fail;	/* gone meanwhile */
	if (err < 0) {
		ns_get_failed(a, &p->id, err);
		goto fail;
	}
	remember_ns(a, &p->id);
	err = afd_take(a->fd, &p->id);
	if (err < 0) {
		if (err != -EBADFD && err != -ENOENT && err != -EBUSY)
			log_job(LOG_ERR, &p->id, "cannot take it: %s", strerror(-err));
		goto fail;
	}
	log_job(LOG_INFO, &p->id, "transferring %zu file(s) for uid %u (priority %d)",
		s->nfiles, (unsigned int)uid, s->p.priority);

	s->started_ms = now_ms();
	s->last_checkpoint_ms = s->started_ms;
	s->netns = netns_of_fd(s->jns.net_fd);
	/* the time spent so far as of the take */
	err = kbits_job_get_attrs(s->j, &attrs);
	set_deadline(s, &attrs, err);
	a->slots[a->nslots++] = s;
	if (worker_begin(a, s, &xe) < 0)
		slot_end(a, s, XFER_FAILED, &xe);
	return true;
fail:
	slot_free(s);
	return false;
}

/* Reports file progress to the kernel, and checkpoints the job on disk now and then. */
static void report_progress(struct agent *a, struct slot *s)
{
	const struct worker_msg *m = &s->pending;
	int64_t now = now_ms();
	int err;

	s->have_pending = false;
	s->last_report_ms = now;
	err = afd_progress(a->fd, &s->p.id, m);
	if (err == -EBADFD || err == -ENOENT || err == -EBUSY) {
		/*
		 * suspended, cancelled or completed meanwhile, or its COMPLETE
		 * waits for its files: its event tells which
		 */
		if (!s->stop)
			s->stop = STOP_SUSPENDED;
		return;
	}
	if (err < 0) {
		log_job(LOG_ERR, &s->p.id, "cannot report progress: %s", strerror(-err));
		return;
	}
	s->progressed = true;
	if ((m->flags & WORKER_COMPLETED) || now - s->last_checkpoint_ms >= 1000) {
		s->last_checkpoint_ms = now;
		save_job_progress(a, &s->p.id, NULL, time(NULL));
	}
}

/* The worker is gone or misbehaved: a transient error. */
static void worker_failed(struct agent *a, struct slot *s, const char *why)
{
	struct xfer_error xe;

	if (s->have_pending)
		report_progress(a, s);
	worker_stop(&s->w, true);
	xfer_fail(&xe, true, KBITS_ERROR_CONTEXT_GENERAL, EIO, KBITS_NO_FILE, "%s", why);
	slot_end(a, s, XFER_FAILED, &xe);
}

/*
 * Records handled from one worker per turn of the main loop: one that
 * floods its socket does not keep the daemon from the others.
 */
#define RECORDS_PER_TURN	64
/* VALIDATOR records a worker may send per file in a run (a restart sends one more) */
#define VALIDATORS_PER_FILE	4

/* The worker's records, until none waits, it ended, or its turn is over. */
static void worker_records(struct agent *a, struct slot *s)
{
	struct worker_msg m;
	int got, n;

	for (n = 0; s->w.fd >= 0 && n < RECORDS_PER_TURN; n++) {
		got = worker_receive(&s->w, s->nfiles, &m);
		if (got == 0)
			return;
		if (got < 0) {
			worker_failed(a, s, got == -EPIPE ?
				      "the transfer process ended unexpectedly" :
				      "the transfer process sent a malformed record");
			return;
		}
		s->last_heard_ms = now_ms();
		switch (m.kind) {
		case WORKER_VALIDATOR: {
			int err;

			if (++s->validators > VALIDATORS_PER_FILE * (s->nfiles ? s->nfiles : 1)) {
				worker_failed(a, s, "the transfer process sent too many records");
				return;
			}
			/* stored before the bytes that follow it are reported */
			err = store_put_validator(a->store, &s->p.id, m.index,
						      s->files[m.index].remote_name, &m.val);

			if (err < 0)
				log_job(LOG_ERR, &s->p.id, "cannot store file %u's validators: %s",
					m.index, strerror(-err));
			s->vals[m.index] = m.val;
			continue;
		}
		case WORKER_IFACE:
			memcpy(s->iface, m.iface, sizeof(s->iface));
			if (memcmp(&s->conn, &m.conn, sizeof(s->conn)))
				s->diag_last = 0;	/* a new connection counts from 0 */
			s->conn = m.conn;
			log_job(LOG_DEBUG, &s->p.id, "its connection uses %s", s->iface);
			continue;
		case WORKER_RESULT:
			if (s->have_pending)
				report_progress(a, s);
			worker_stop(&s->w, false);
			slot_end(a, s, (enum xfer_result)m.result, &m.error);
			return;
		default:
			break;
		}
		/* WORKER_PROGRESS: the network bytes, for bandwidth.c */
		if (m.net >= s->last_net) {
			s->net_bytes += m.net - s->last_net;
			s->last_net = m.net;
		}
		/* a record without new bytes is only a heartbeat */
		if (!(m.flags & (WORKER_FRESH | WORKER_COMPLETED)))
			continue;
		if (s->have_pending && s->pending.index != m.index)
			report_progress(a, s);
		s->pending = m;
		s->have_pending = true;
		if ((m.flags & WORKER_COMPLETED) ||
		    s->last_heard_ms - s->last_report_ms >= REPORT_INTERVAL_MS)
			report_progress(a, s);
	}
}

/* Every file is done: TRANSFERRED, or another pass for files added meanwhile. */
static bool transferred(struct agent *a, struct slot *s)
{
	struct xfer_error xe;
	int err;

	err = afd_transferred(a->fd, &s->p.id);
	if (err == 0) {
		log_job(LOG_INFO, &s->p.id, "transferred");
		save_job(a, &s->p.id, NULL);
		job_notify(a, &s->p.id, false);
		return true;
	}
	if (err != -EINVAL || ++s->pass > 100) {
		if (err != -EBADFD && err != -ENOENT && err != -EBUSY)
			log_job(LOG_ERR, &s->p.id, "cannot mark it transferred: %s",
				strerror(-err));
		save_job(a, &s->p.id, NULL);
		return true;
	}
	/* files were added while it was transferred: those too */
	kbits_files_free(s->files, s->nfiles);
	free(s->attrs);
	s->files = NULL;
	s->attrs = NULL;
	s->nfiles = 0;
	err = kbits_job_get_files(s->j, &s->files, &s->nfiles);
	if (!err)
		err = job_file_attrs(s->j, s->nfiles, &s->attrs);
	if (err < 0) {
		log_job(LOG_ERR, &s->p.id, "cannot read its files: %s", strerror(-err));
		return true;
	}
	log_job(LOG_INFO, &s->p.id, "files were added: %zu file(s) now", s->nfiles);
	if (worker_begin(a, s, &xe) < 0) {
		slot_end(a, s, XFER_FAILED, &xe);
		return true;
	}
	return false;
}

/* The run is over (its worker stopped): what comes next for the job. */
static void slot_end(struct agent *a, struct slot *s, enum xfer_result r,
		     const struct xfer_error *xe)
{
	struct xfer_error ne;
	int err;

	if (s->w.pid > 0)
		worker_stop(&s->w, true);
	switch (r) {
	case XFER_DONE:
		if (!transferred(a, s))
			return;		/* another pass */
		break;
	case XFER_FAILED:
		if (xe->transient)
			transient_error(a, &s->p, xe, s->delay, s->timeout, s->progressed, false);
		else
			job_final_error(a, &s->p.id, xe);
		break;
	case XFER_STOPPED:
		if (s->stop == STOP_PREEMPTED) {
			err = afd_requeue(a->fd, &s->p.id);
			if (err == 0) {
				/* to the back of its priority's line, its clocks kept */
				s->p.preempted = true;
				s->p.queued_us = realtime_us();
				s->p.seq = ++a->seq;
				s->p.retry = false;
				s->p.not_before = 0;
				if (s->progressed)
					s->p.error_since = 0;
				pending_put(a, &s->p);
				save_job_progress(a, &s->p.id, NULL, s->progressed ? time(NULL) : 0);
				log_job(LOG_INFO, &s->p.id, "back in the queue");
			} else if (err != -EBADFD && err != -ENOENT && err != -EBUSY) {
				log_job(LOG_ERR, &s->p.id, "cannot put it back in the queue: %s",
					strerror(-err));
			}
		} else if (s->stop == STOP_NETWORK) {
			xfer_fail(&ne, true, KBITS_ERROR_CONTEXT_TRANSPORT, ENETDOWN, KBITS_NO_FILE,
				  "network disconnected: %s went down", s->iface);
			transient_error(a, &s->p, &ne, s->delay, s->timeout, s->progressed, true);
		}
		break;
	}
	s->ended = true;
}

void slot_poll(struct agent *a, struct slot *s, bool readable)
{
	struct xfer_error xe;
	int64_t now;

	if (s->ended)
		return;
	if (readable)
		worker_records(a, s);
	if (s->ended)
		return;
	if (a->shutdown || s->stop) {
		if (s->have_pending)
			report_progress(a, s);
		worker_stop(&s->w, true);
		slot_end(a, s, XFER_STOPPED, NULL);
		return;
	}
	now = now_ms();
	if (s->have_pending && now - s->last_report_ms >= REPORT_INTERVAL_MS)
		report_progress(a, s);
	if (s->deadline_ms && now >= s->deadline_ms) {
		uint32_t maxt = 0;

		kbits_job_get_max_download_time(s->j, &maxt);
		if (s->have_pending)
			report_progress(a, s);
		worker_stop(&s->w, true);
		xfer_fail(&xe, false, KBITS_ERROR_CONTEXT_GENERAL, ETIME, KBITS_NO_FILE,
			  "the job's maximum download time (%u s) passed before its files "
			  "were transferred", maxt);
		slot_end(a, s, XFER_FAILED, &xe);
		return;
	}
	if (now - s->last_heard_ms >= WORKER_SILENCE_MS) {
		log_job(LOG_WARNING, &s->p.id, "its transfer process was silent for %d s: killed",
			WORKER_SILENCE_MS / 1000);
		worker_failed(a, s, "the transfer process stopped responding "
			      "(a file system that hangs?)");
	}
}

int64_t slot_wait(const struct agent *a, const struct slot *s, int64_t now)
{
	int64_t w;

	(void)a;
	if (s->ended || s->stop)
		return 0;
	w = s->last_heard_ms + WORKER_SILENCE_MS - now;
	if (s->have_pending && s->last_report_ms + REPORT_INTERVAL_MS - now < w)
		w = s->last_report_ms + REPORT_INTERVAL_MS - now;
	if (s->deadline_ms && s->deadline_ms - now < w)
		w = s->deadline_ms - now;
	return w < 0 ? 0 : w;
}

/* The job is not running any more: what its events asked for, now. */
static void after_stop(struct agent *a, const struct slot *s)
{
	if (s->cancelled)
		job_cancelled(a, &s->p.id);
	else if (s->completing)
		job_completing(a, &s->p.id);
	else if (s->completed)
		job_completed(a, &s->p.id);
	else if (s->stop == STOP_SUSPENDED)
		log_job(LOG_INFO, &s->p.id, "stopped");
}

bool slots_reap(struct agent *a)
{
	bool any = false;
	size_t i = 0;

	while (i < a->nslots) {
		struct slot *s = a->slots[i];

		if (!s->ended) {
			i++;
			continue;
		}
		a->slots[i] = a->slots[--a->nslots];
		after_stop(a, s);
		/* what came for it while it stopped (a RESUME after a SUSPEND) */
		if (s->recheck && !s->cancelled && !s->completing && !s->completed)
			pending_update(a, &s->p.id, realtime_us(), false);
		slot_free(s);
		any = true;
	}
	return any;
}

void slots_stop_all(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nslots; i++) {
		struct slot *s = a->slots[i];

		if (s->ended)
			continue;
		if (s->have_pending)
			report_progress(a, s);
		worker_stop(&s->w, true);
		s->ended = true;
	}
	while (a->nslots)
		slot_free(a->slots[--a->nslots]);
}

void slots_network_down(struct agent *a, const char *ifname)
{
	uint64_t own = netns_of_fd(-1);
	size_t i;

	for (i = 0; i < a->nslots; i++) {
		struct slot *s = a->slots[i];

		if (s->ended || s->stop || !s->iface[0] || s->netns != own ||
		    strcmp(s->iface, ifname))
			continue;
		log_job(LOG_WARNING, &s->p.id, "%s went down: its transfer stops", ifname);
		s->stop = STOP_NETWORK;
	}
}

void slot_send_rate(struct slot *s)
{
	struct worker_ctl c = { .kind = WORKER_CTL_RATE, .rate = s->rate, .window = s->window };

	if (s->w.fd < 0 || (s->rate == s->sent_rate && s->window == s->sent_window))
		return;
	/* the worker reads it at its next write; a full socket: next tick */
	if (send(s->w.fd, &c, sizeof(c), MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(c)) {
		s->sent_rate = s->rate;
		s->sent_window = s->window;
	}
}
