// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's events, as its job fds yield them (read() and poll()).
 *
 * A job numbers its events 1, 2, 3...  and keeps the last KBITS_JOB_EVENTS
 * of them in a ring, made when the first one comes.  Each job fd keeps the
 * number of the last event it read in its file position, which starts at the
 * job's count when the fd is made.  A reader that fell behind the ring (or
 * an event that found no memory for the ring) gets an OVERFLOW record in
 * place of what it missed: nothing is lost without its reader being told.
 * The job records only the kinds its notify flags ask for (BITS's
 * BG_NOTIFY_*).  Once the job is final (ACKNOWLEDGED, CANCELLED) and a
 * reader has read every event, read() gives 0 and poll() EPOLLHUP.
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

/* Records an event of @job (whose lock is held) for its job fds. */
void kbits_job_event(struct kbits_job *job, u32 kind)
{
	struct kbits_event *ev;
	u64 seq;

	lockdep_assert_held(&job->lock);
	if (!kbits_job_wants(job, kind))
		return;
	if (!job->events)	/* on failure the readers see an OVERFLOW */
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

/* A change its user made: for the agent, and for the job fds. */
void kbits_job_changed(struct kbits_job *job, u32 kind)
{
	kbits_agent_notify(job, kind);
	kbits_job_event(job, kind);
}

/*
 * Up to @max records after event *@pos into @out; moves *@pos past them.
 * Returns how many.
 */
static size_t kbits_job_events_after(struct kbits_job *job, loff_t *pos,
				     struct kbits_event *out, size_t max)
{
	u64 next = *pos + 1;
	size_t n = 0;

	mutex_lock(&job->lock);
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
	mutex_unlock(&job->lock);
	*pos = next - 1;
	return n;
}

static bool kbits_job_has_events(struct kbits_job *job, loff_t pos)
{
	return READ_ONCE(job->event_seq) > (u64)pos;
}

/* Is there something for a reader at @pos: an event, or the end? */
static bool kbits_job_readable(struct kbits_job *job, loff_t pos)
{
	return kbits_job_has_events(job, pos) ||
	       kbits_state_is_final(READ_ONCE(job->state));
}

ssize_t kbits_job_read(struct file *file, char __user *buf, size_t count,
		       loff_t *ppos)
{
	struct kbits_job *job = file->private_data;
	struct kbits_event evs[8];
	size_t n, done = 0;
	int err;

	if (count < sizeof(evs[0]))
		return -EINVAL;
	if (!kbits_job_readable(job, *ppos)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(job->wait,
					       kbits_job_readable(job, *ppos));
		if (err)
			return err;
	}
	/* Past the last event of a job that will have no more: EOF (0). */
	while (done < count) {
		loff_t pos = *ppos;

		n = kbits_job_events_after(job, &pos, evs,
					   min(ARRAY_SIZE(evs),
					       (count - done) / sizeof(evs[0])));
		if (!n)
			break;
		if (copy_to_user(buf + done, evs, n * sizeof(evs[0])))
			return done ?: -EFAULT;
		*ppos = pos;
		done += n * sizeof(evs[0]);
	}
	return done;
}

__poll_t kbits_job_poll(struct file *file, poll_table *pt)
{
	struct kbits_job *job = file->private_data;

	__poll_t mask = 0;

	poll_wait(file, &job->wait, pt);
	if (kbits_job_has_events(job, file->f_pos))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kbits_state_is_final(READ_ONCE(job->state)))
		mask |= EPOLLHUP;
	return mask;
}
