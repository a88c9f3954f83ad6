// SPDX-License-Identifier: GPL-2.0
/*
 * Which jobs run, as BITS documents it:
 *
 *  - FOREGROUND jobs start at once, whatever else runs (up to SLOTS_LIMIT
 *    workers in all).
 *  - HIGH, NORMAL and LOW jobs run up to policy->max_jobs at once, the best
 *    priority first, first queued first within one.
 *  - When that many run and a job of a better priority waits, the running
 *    job of the worst priority (the longest running of them) is preempted:
 *    its worker stops, the kernel puts it back in the queue (REQUEUE:
 *    QUEUED again) with its files' progress, and it resumes from there (a
 *    Range request) when its turn comes.
 *  - Jobs of one priority share time round-robin: when one waits and all
 *    the room is taken, a running job of its priority that has run for
 *    policy->slice seconds is preempted and goes to the back of its
 *    priority's line.  So a small job never waits hours behind a big one.
 *  - Users take turns: within a priority, the next job is that of the
 *    owner with the fewest jobs running, and round-robin preempts a job of
 *    the owner with the most; no owner has more than SLOTS_PER_OWNER jobs
 *    running; a job preempted once is not preempted again before it has
 *    run PREEMPT_MIN_RUN_S (a user who resumes and suspends a HIGH job in
 *    a loop costs others one restart per job, not one per loop).
 *
 * The waiting jobs are a list (struct pending): QUEUED ones, and
 * TRANSIENT_ERROR ones until their retry delay passes.  A job's files still
 * go in order: one worker per job transfers them one after the other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

struct pending *pending_find(struct agent *a, const struct kbits_guid *id,
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

void pending_remove(struct agent *a, const struct kbits_guid *id)
{
	struct pending **link, *p = pending_find(a, id, &link);

	if (p) {
		*link = p->next;
		free(p);
	}
}

void pending_put(struct agent *a, const struct pending *p)
{
	struct pending *np;

	pending_remove(a, &p->id);
	np = malloc(sizeof(*np));
	if (!np) {
		log_job(LOG_ERR, &p->id, "out of memory: it waits for the next rescan");
		return;
	}
	*np = *p;
	np->next = a->pending;
	a->pending = np;
}

void pending_update(struct agent *a, const struct kbits_guid *id, int64_t queued_us,
		    bool stored_clock)
{
	struct kbits_job_attrs attrs = { .size = sizeof(attrs) };
	struct kbits_job *j = NULL;
	enum kbits_job_state state;
	struct pending *p;
	struct slot *s;
	time_t last;
	uid_t owner;
	int err;

	/* a job still running: looked at again when its slot ends */
	s = slot_find(a, id);
	if (s && !s->ended) {
		s->recheck = true;
		return;
	}
	err = kbits_get_job(a->m, id, &j);
	if (!err)
		err = kbits_job_get_state(j, &state);
	if (!err)
		err = kbits_job_get_owner(j, &owner);
	if (!err)
		err = kbits_job_get_attrs(j, &attrs);
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
		/*
		 * found at start, or after lost events, in TRANSIENT_ERROR: its
		 * clock runs from its last progress as stored, if known
		 */
		if (stored_clock && state == KBITS_JOB_STATE_TRANSIENT_ERROR) {
			p->error_since = time(NULL);
			if (store_get_progress(a->store, id, &last) == 0 && last &&
			    last < p->error_since)
				p->error_since = last;
		}
	}
	p->priority = attrs.priority;
	p->owner = owner;
	if (queued_us) {
		p->queued_us = queued_us;
		p->seq = ++a->seq;
	}
	p->retry = state == KBITS_JOB_STATE_TRANSIENT_ERROR;
	if (!p->retry) {
		p->not_before = 0;
		p->net_wait = false;
	} else if (!p->not_before) {
		uint32_t delay = attrs.min_retry_delay;

		if (delay < KBITS_MIN_RETRY_DELAY_MIN)
			delay = KBITS_MIN_RETRY_DELAY_MIN;
		p->not_before = time(NULL) + delay;
		if (!p->error_since)
			p->error_since = time(NULL);
		/* all of it: an earlier error's HTTP flag must not stay */
		xfer_fail(&p->last_error, false, KBITS_ERROR_CONTEXT_GENERAL, ETIMEDOUT,
			  KBITS_NO_FILE, "no progress before the no-progress timeout");
	}
}

void pending_network_back(struct agent *a)
{
	struct pending *p;

	for (p = a->pending; p; p = p->next) {
		if (!p->net_wait)
			continue;
		p->net_wait = false;
		p->not_before = 0;
		log_job(LOG_INFO, &p->id, "the network is back: retried now");
	}
}

/* How many of @owner's jobs run. */
static unsigned int running_of(const struct agent *a, uid_t owner)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < a->nslots; i++)
		n += a->slots[i]->p.owner == owner;
	return n;
}

/*
 * Before @b in the line: a better priority; within one, the owner with
 * fewer jobs running (@pr, @br), then the first queued.
 */
static bool before(const struct pending *p, unsigned int pr, const struct pending *b,
		   unsigned int br)
{
	if (p->priority != b->priority)
		return p->priority < b->priority;
	if (pr != br)
		return pr < br;
	return p->queued_us < b->queued_us || (p->queued_us == b->queued_us && p->seq < b->seq);
}

/*
 * The next job to take: the due one of the best priority, of the owner with
 * the fewest running, the first queued; none of an owner at SLOTS_PER_OWNER.
 */
static struct pending *pending_next(struct agent *a, time_t now, time_t *wake)
{
	struct pending *p, *best = NULL;
	unsigned int r, best_r = 0;

	*wake = 0;
	for (p = a->pending; p; p = p->next) {
		if (p->not_before > now) {
			if (!*wake || p->not_before < *wake)
				*wake = p->not_before;
			continue;
		}
		r = running_of(a, p->owner);
		if (r >= SLOTS_PER_OWNER)
			continue;	/* a slot of its owner's ends first */
		if (!best || before(p, r, best, best_r)) {
			best = p;
			best_r = r;
		}
	}
	return best;
}

/* A retry is due: has the job gone without progress for its timeout? */
static bool no_progress_for_too_long(struct agent *a, const struct pending *p, time_t now)
{
	struct kbits_job *j = NULL;
	uint32_t timeout = 0;
	int err;

	if (!p->error_since)
		return false;
	err = kbits_get_job(a->m, &p->id, &j);
	if (!err)
		err = kbits_job_get_no_progress_timeout(j, &timeout);
	kbits_job_unref(j);
	return !err && now - p->error_since >= (time_t)timeout;
}

static bool background(enum kbits_job_priority prio)
{
	return prio != KBITS_PRIORITY_FOREGROUND;
}

/*
 * With every background room taken, whether @p may have one: a running job
 * gives way (STOP_PREEMPTED), or *@wake_ms says when one's slice ends.
 */
static void preempt(struct slot *s, const struct pending *p, const char *why)
{
	char by[KBITS_GUID_STRING_LEN];

	kbits_guid_format(&p->id, by);
	log_job(LOG_INFO, &s->p.id, "preempted: %s (job %s of uid %u)", why, by,
		(unsigned int)p->owner);
	s->stop = STOP_PREEMPTED;
}

/*
 * With every background room taken, whether @p may have one: a running job
 * gives way (STOP_PREEMPTED), or *@wake_ms says when one may.
 */
static void make_room(struct agent *a, const struct pending *p, int64_t now, int64_t *wake_ms)
{
	int64_t slice = (int64_t)a->pol->slice * 1000, min_run, w, when;
	struct slot *worst = NULL, *rr = NULL, *s;
	unsigned int rr_n = 0, n;
	size_t i;

	min_run = (int64_t)PREEMPT_MIN_RUN_S * 1000;
	if (min_run > slice)
		min_run = slice;
	for (i = 0; i < a->nslots; i++) {
		s = a->slots[i];
		if (!background(s->p.priority))
			continue;
		if (s->stop == STOP_PREEMPTED)
			return;		/* room comes: it is ending */
		if (s->stop)
			continue;
		/* preempted once: it runs a while before it can be again */
		if (s->p.preempted && now - s->started_ms < min_run) {
			w = s->started_ms + min_run - now;
			if (w < *wake_ms)
				*wake_ms = w;
			continue;
		}
		if (!worst || s->p.priority > worst->p.priority ||
		    (s->p.priority == worst->p.priority && s->started_ms < worst->started_ms))
			worst = s;
		if (s->p.priority != p->priority)
			continue;
		/* round-robin: a job of the owner with the most, the longest running */
		n = running_of(a, s->p.owner);
		if (!rr || n > rr_n || (n == rr_n && s->started_ms < rr->started_ms)) {
			rr = s;
			rr_n = n;
		}
	}
	if (worst && worst->p.priority > p->priority) {
		preempt(worst, p, "a job of higher priority waits");
		return;
	}
	if (!rr)
		return;
	/* another owner's turn at once when this one has more running */
	when = rr_n > running_of(a, p->owner) + 1 ? rr->started_ms + min_run
						  : rr->started_ms + slice;
	if (now >= when) {
		preempt(rr, p, "its time slice is over: another job of its priority runs");
		return;
	}
	if (when - now < *wake_ms)
		*wake_ms = when - now;
}

void schedule(struct agent *a, int64_t *wake_ms)
{
	struct pending *p, job;
	size_t i, nbg;
	time_t now, wake;
	int64_t w;

	for (;;) {
		now = time(NULL);
		p = pending_next(a, now, &wake);
		if (wake) {
			w = ((int64_t)wake - (int64_t)now) * 1000;
			if (w < *wake_ms)
				*wake_ms = w < 0 ? 0 : w;
		}
		if (!p || a->nslots == SLOTS_LIMIT)
			return;
		if (background(p->priority)) {
			for (i = 0, nbg = 0; i < a->nslots; i++)
				nbg += background(a->slots[i]->p.priority);
			if (nbg >= a->pol->max_jobs) {
				make_room(a, p, now_ms(), wake_ms);
				return;
			}
		}
		job = *p;
		pending_remove(a, &job.id);	/* frees p */
		if (job.retry && no_progress_for_too_long(a, &job, now)) {
			job_final_error(a, &job.id, &job.last_error);
			continue;
		}
		slot_start(a, &job);
	}
}
