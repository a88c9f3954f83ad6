// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's events, as its job fds yield them (read() and poll()).
 *
 * A job numbers its events 1, 2, 3...  and keeps the last KBITS_JOB_EVENTS
 * of them in a ring, made with the first event while the job has a job fd
 * and freed when its last fd closes: a job in the queue with no fd open (the
 * common case: its application exited) keeps no ring.  Each job fd keeps the
 * number of the last event it read in its cursor (struct kbits_job_fd),
 * which starts at the job's count when the fd is made.  The fd is a stream:
 * threads that read one fd at once each get other events, and each waits
 * interruptibly; nothing holds f_pos_lock.  A reader that fell behind the ring (or
 * an event that found no memory for the ring) gets an OVERFLOW record in
 * place of what it missed: nothing is lost without its reader being told.
 * The job records only the kinds its notify flags ask for (BITS's
 * BG_NOTIFY_*).  Once the job is final (ACKNOWLEDGED, CANCELLED) and a
 * reader has read every event, read() gives 0 and poll() EPOLLHUP.  A fd
 * revoked by a TAKE_OWNERSHIP reads -EACCES and polls EPOLLERR | EPOLLHUP.
 */
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "kbits.h"

#define KBITS_JOB_EVENTS 16

/* Do @job's notify flags ask for events of @kind? */
static bool kbits_job_wants(const struct kbits_job *job, u32 kind)
{
	u32 f = job->notify_flags;

	if (f & KBITS_NOTIFY_DISABLE)
		return false;
	switch (kind) {
	case KBITS_EVENT_TRANSFERRED:
		return f & (KBITS_NOTIFY_JOB_TRANSFERRED |
			    KBITS_NOTIFY_JOB_MODIFICATION);
	case KBITS_EVENT_ERROR:
		return f & (KBITS_NOTIFY_JOB_ERROR |
			    KBITS_NOTIFY_JOB_MODIFICATION);
	case KBITS_EVENT_FILE_TRANSFERRED:
		return f & (KBITS_NOTIFY_FILE_TRANSFERRED |
			    KBITS_NOTIFY_JOB_MODIFICATION);
	default:
		return f & KBITS_NOTIFY_JOB_MODIFICATION;
	}
}

/**
 * kbits_job_event() - Record an event of a job for its job fds.
 * @job: the job, its lock held.
 * @kind: an enum kbits_event_kind.
 *
 * Every state change of a queued job comes here after kbits_job_enter_state():
 * it first accounts the job's transfer time again (kbits_job_account(),
 * idempotent).  The event is recorded only when the job's notify flags ask for
 * its kind.  The ring is made with the first event while the job has a job
 * fd (without one no one can read it: a new fd starts after it); when it
 * cannot be, the event still takes its number, and the readers get an
 * OVERFLOW in its place.
 * Readers and pollers are woken (EPOLLIN) only when the event was recorded.
 * The agent is not told: kbits_job_changed() does both.
 *
 * Context: @job->lock held; may sleep (it may allocate the ring).
 */
void kbits_job_event(struct kbits_job *job, u32 kind)
{
	struct kbits_event *ev;
	u64 seq;

	lockdep_assert_held(&job->lock);
	/* after kbits_job_enter_state(): a second call changes nothing */
	kbits_job_account(job);
	if (!kbits_job_wants(job, kind))
		return;
	if (!job->events && job->nr_fds)	/* else readers see an OVERFLOW */
		job->events = kcalloc(KBITS_JOB_EVENTS, sizeof(*job->events),
				      GFP_KERNEL_ACCOUNT);
	seq = job->event_seq + 1;
	if (job->events) {
		ev = &job->events[seq % KBITS_JOB_EVENTS];
		memcpy(ev->id, &job->id, sizeof(ev->id));
		ev->kind = kind;
		ev->state = job->state;
		ev->seq = seq;
	}
	WRITE_ONCE(job->event_seq, seq);
	wake_up_interruptible_poll(&job->wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * kbits_job_changed() - Tell the agent and the job fds of a user's change.
 * @job: the job, its lock held; the caller holds a reference.
 * @kind: an event kind the agent keeps (kbits_agent_notify()): CREATED, QUEUED,
 * SUSPENDED, MODIFIED, COMPLETING, CANCELLED or COMPLETED.
 *
 * Context: @job->lock held; may sleep.
 */
void kbits_job_changed(struct kbits_job *job, u32 kind)
{
	kbits_agent_notify(job, kind);
	kbits_job_event(job, kind);
}

/**
 * kbits_job_revoked() - Wake the readers of a job's revoked fds.
 * @job: the job whose owner_gen a TAKE_OWNERSHIP just moved.
 *
 * Their read() returns -EACCES, their poll() EPOLLERR | EPOLLHUP.
 *
 * Context: Any; TAKE_OWNERSHIP calls it with @job->lock held.
 */
void kbits_job_revoked(struct kbits_job *job)
{
	wake_up_interruptible_poll(&job->wait, EPOLLERR | EPOLLHUP);
}

/*
 * Up to @max records after the last event @jf read into @out, and moves its
 * cursor past them, under the job's lock: two readers of one fd never get
 * the same event.  Returns how many, or -EACCES when @jf is revoked.
 */
static ssize_t kbits_job_events_take(struct kbits_job_fd *jf,
				     struct kbits_event *out, size_t max)
{
	struct kbits_job *job = jf->job;
	size_t n = 0;
	u64 next;

	mutex_lock(&job->lock);
	if (kbits_job_fd_check(jf)) {
		mutex_unlock(&job->lock);
		return -EACCES;
	}
	next = jf->cursor + 1;
	for (; n < max && next <= job->event_seq; n++) {
		const struct kbits_event *ev = job->events ?
			&job->events[next % KBITS_JOB_EVENTS] : NULL;

		if (ev && ev->seq == next) {
			out[n] = *ev;
			next++;
			continue;
		}
		/* lost: say so, and go on from the oldest event kept */
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].id, &job->id, sizeof(out[n].id));
		out[n].kind = KBITS_EVENT_OVERFLOW;
		out[n].state = job->state;
		out[n].seq = next;
		if (!job->events)
			next = job->event_seq + 1;
		else if (job->event_seq >= KBITS_JOB_EVENTS)
			next = max(next + 1,
				   job->event_seq - KBITS_JOB_EVENTS + 1);
		else
			next++;
	}
	WRITE_ONCE(jf->cursor, next - 1);
	mutex_unlock(&job->lock);
	return n;
}

/* Is there something for @jf's reader: an event, the end, or revocation? */
static bool kbits_job_readable(struct kbits_job_fd *jf)
{
	struct kbits_job *job = jf->job;

	return READ_ONCE(job->event_seq) > READ_ONCE(jf->cursor) ||
	       kbits_state_is_final(READ_ONCE(job->state)) ||
	       kbits_job_fd_check(jf);
}

/**
 * kbits_job_read() - read() of a job fd: its job's events.
 * @file: the job fd.
 * @buf: the caller's buffer: whole struct kbits_event records.
 * @count: its size in bytes; at least one record.
 * @ppos: unused: the fd is a stream.
 *
 * Gives the events after the last one this fd read, as many whole records as
 * fit, waiting (interruptibly) for the first one unless the fd is O_NONBLOCK.
 * Threads that read one fd at once each get other events.  A reader that fell
 * behind the ring gets an OVERFLOW record in place of what it missed.  Events
 * taken but not copied (a bad @buf) are lost to this fd, as an eventfd's count
 * would be.
 *
 * Context: Process context; may sleep.  The job's lock is held only to take the
 * records, not across the copy to userspace.
 * Return: the bytes read, a multiple of the record's size; 0 (EOF) once the job
 * is final and every event was read; -EINVAL when @count is less than a record;
 * -EAGAIN when nothing is there and the fd is O_NONBLOCK; -ERESTARTSYS when a
 * signal came first; -EACCES when the fd is revoked; -EFAULT when nothing could
 * be copied.
 */
ssize_t kbits_job_read(struct file *file, char __user *buf, size_t count,
		       loff_t *ppos)
{
	struct kbits_job_fd *jf = file->private_data;
	struct kbits_event evs[8];
	size_t done = 0;
	ssize_t n;
	int err;

	if (count < sizeof(evs[0]))
		return -EINVAL;
	/*
	 * Past the last event of a job that will have no more: EOF (0).
	 * Events taken but not copied (a bad @buf) are lost to this fd, as
	 * an eventfd's count would be.
	 */
	while (done < count) {
		if (!done && !kbits_job_readable(jf)) {
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			err = wait_event_interruptible(jf->job->wait,
						       kbits_job_readable(jf));
			if (err)
				return err;
		}
		n = kbits_job_events_take(jf, evs,
					  min(ARRAY_SIZE(evs),
					      (count - done) / sizeof(evs[0])));
		if (n < 0)
			return done ?: n;
		/* another reader of this fd took them: wait again */
		if (!n && !done &&
		    !kbits_state_is_final(READ_ONCE(jf->job->state)))
			continue;
		if (!n)
			break;
		if (copy_to_user(buf + done, evs, n * sizeof(evs[0])))
			return done ?: -EFAULT;
		done += n * sizeof(evs[0]);
	}
	return done;
}

/**
 * kbits_job_poll() - poll() of a job fd.
 * @file: the job fd.
 * @pt: the poll table.
 *
 * Context: Any context poll() runs in; takes no lock (it reads what it looks at
 * with READ_ONCE()).
 * Return: EPOLLERR | EPOLLHUP for a revoked fd; otherwise EPOLLIN | EPOLLRDNORM
 * while there are events this fd has not read, and EPOLLHUP once the job is
 * final.
 */
__poll_t kbits_job_poll(struct file *file, poll_table *pt)
{
	struct kbits_job_fd *jf = file->private_data;
	struct kbits_job *job = jf->job;
	__poll_t mask = 0;

	poll_wait(file, &job->wait, pt);
	if (kbits_job_fd_check(jf))
		return EPOLLERR | EPOLLHUP;
	if (READ_ONCE(job->event_seq) > READ_ONCE(jf->cursor))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kbits_state_is_final(READ_ONCE(job->state)))
		mask |= EPOLLHUP;
	return mask;
}
