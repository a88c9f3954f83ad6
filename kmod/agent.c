// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: the agent, the one privileged process (kbitsd) that transfers the
 * files of queued jobs.  KBITS_IOC_AGENT_ATTACH gives it the agent fd; the
 * fd yields an event for each change of a job the agent must know about, and
 * its ioctls are the only way to move a job through CONNECTING,
 * TRANSFERRING, TRANSFERRED and the error states.  Closing the fd gives the
 * jobs the agent had taken back to the queue.
 *
 * A job's events wait with the job (@agent_pending, one bit per kind, and
 * @agent_node in kbits_agent_pending), so that no user can flood them away
 * and they take no memory of their own: a job has one record of each kind
 * at most, whatever its users do.  A job that left the queue (CANCELLED,
 * COMPLETED) stays on the list, with a reference, until the agent has read
 * that: it still counts against its owner's limits meanwhile (jobs count
 * until freed), so the list is as bounded as the jobs are.  Only records
 * the agent's read() could not copy are lost; it then reads an OVERFLOW.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <net/net_namespace.h>

#include "kbits.h"

struct kbits_agent {
	wait_queue_head_t wait;
	bool overflow;			/* OVERFLOW is to be read next */
	u64 seq;			/* of the last record read */
	unsigned long flags;		/* KBITS_AGENT_PLACES_FILES */
};

static struct kbits_agent __rcu *kbits_agent;
static DEFINE_MUTEX(kbits_agent_lock);	/* attach and detach */

/* The jobs with events for the agent, in order, and its overflow flag. */
static DEFINE_SPINLOCK(kbits_agent_events_lock);
static LIST_HEAD(kbits_agent_pending);

/* The kinds a job keeps for the agent, in the order it reads them. */
static const u32 kbits_pending_kinds[] = {
	KBITS_EVENT_CREATED, KBITS_EVENT_QUEUED, KBITS_EVENT_SUSPENDED,
	KBITS_EVENT_MODIFIED, KBITS_EVENT_COMPLETING,
	KBITS_EVENT_CANCELLED, KBITS_EVENT_COMPLETED,
};

/* A job that keeps one of these holds a reference for the list. */
#define KBITS_PENDING_FINAL (BIT(5) | BIT(6))

/* @kind's bit in a job's agent_pending, or 0 for a kind it does not keep. */
static u32 kbits_pending_bit(u32 kind)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(kbits_pending_kinds); i++)
		if (kbits_pending_kinds[i] == kind)
			return BIT(i);
	return 0;
}

static_assert(sizeof(struct kbits_event) == 32);
static_assert(sizeof(struct kbits_agent_job) == KBITS_AGENT_JOB_SIZE_VER0);
static_assert(sizeof(struct kbits_agent_progress) ==
	      KBITS_AGENT_PROGRESS_SIZE_VER0);
static_assert(sizeof(struct kbits_agent_error) == KBITS_AGENT_ERROR_SIZE_VER0);
static_assert(sizeof(struct kbits_agent_placed) ==
	      KBITS_AGENT_PLACED_SIZE_VER0);

/**
 * kbits_agent_places_files() - whether the attached agent places the files
 *
 * Context: any; takes the RCU read lock.
 * Return: true when an agent is attached and it attached with
 * KBITS_AGENT_PLACES_FILES, else false.
 */
bool kbits_agent_places_files(void)
{
	struct kbits_agent *a;
	bool ret;

	rcu_read_lock();
	a = rcu_dereference(kbits_agent);
	ret = a && (a->flags & KBITS_AGENT_PLACES_FILES);
	rcu_read_unlock();
	return ret;
}

/*
 * Takes @job off the pending list, with what it kept; the lock is held.
 * Returns whether the list's reference on it is the caller's to put now.
 */
static bool kbits_agent_unpend(struct kbits_job *job)
{
	bool ref = job->agent_pending & KBITS_PENDING_FINAL;

	lockdep_assert_held(&kbits_agent_events_lock);
	if (!list_empty(&job->agent_node))
		list_del_init(&job->agent_node);
	job->agent_pending = 0;
	return ref;
}

/**
 * kbits_agent_notify() - tell the agent, if there is one, that a job changed
 * @job: the job, on which the caller holds a reference
 * @kind: what happened, a KBITS_EVENT_* kind the job keeps for the agent
 *
 * The job keeps the event (QUEUED and SUSPENDED replace each other); once
 * it left the queue (CANCELLED, COMPLETED) it keeps only that, and a
 * reference until the agent reads it.  Without an agent it does nothing:
 * the next agent looks at every job when it attaches.
 *
 * Context: does not sleep; takes the RCU read lock and the events spinlock.
 */
void kbits_agent_notify(struct kbits_job *job, u32 kind)
{
	u32 bit = kbits_pending_bit(kind);
	struct kbits_agent *a;

	if (WARN_ON_ONCE(!bit))
		return;
	rcu_read_lock();
	a = rcu_dereference(kbits_agent);
	if (a) {
		spin_lock(&kbits_agent_events_lock);
		if (job->agent_pending & KBITS_PENDING_FINAL) {
			/* nothing comes after: kept as it is */
		} else if (bit & KBITS_PENDING_FINAL) {
			/* in its place, if it had one */
			kref_get(&job->ref);
			job->agent_pending = bit;
			if (list_empty(&job->agent_node))
				list_add_tail(&job->agent_node,
					      &kbits_agent_pending);
		} else {
			if (kind == KBITS_EVENT_QUEUED ||
			    kind == KBITS_EVENT_SUSPENDED)
				job->agent_pending &=
					~(kbits_pending_bit(KBITS_EVENT_QUEUED) |
					  kbits_pending_bit(KBITS_EVENT_SUSPENDED));
			job->agent_pending |= bit;
			if (list_empty(&job->agent_node))
				list_add_tail(&job->agent_node,
					      &kbits_agent_pending);
		}
		spin_unlock(&kbits_agent_events_lock);
		wake_up_interruptible_poll(&a->wait, EPOLLIN | EPOLLRDNORM);
	}
	rcu_read_unlock();
}

/**
 * kbits_agent_forget() - take a job that is being freed off the agent's list
 * @job: the job, whose last reference is gone
 *
 * A job that keeps a final event holds a reference for the list, so none
 * can be on it here; a warning says so if one is.
 *
 * Context: does not sleep; takes the events spinlock.
 */
void kbits_agent_forget(struct kbits_job *job)
{
	spin_lock(&kbits_agent_events_lock);
	/* a job that keeps a final event has the list's reference */
	WARN_ON_ONCE(kbits_agent_unpend(job));
	spin_unlock(&kbits_agent_events_lock);
}

static bool kbits_agent_has_events(struct kbits_agent *a)
{
	bool ret;

	spin_lock(&kbits_agent_events_lock);
	ret = a->overflow || !list_empty(&kbits_agent_pending);
	spin_unlock(&kbits_agent_events_lock);
	return ret;
}

/*
 * Takes the next record, if any, into @ev: the first event the first job
 * on the list keeps, or OVERFLOW.  *@put is a job whose reference the
 * caller must put, outside the lock (its last record was final).
 */
static bool kbits_agent_pop(struct kbits_agent *a, struct kbits_event *ev,
			    struct kbits_job **put)
{
	struct kbits_job *job;
	bool got = true;
	u32 i;

	memset(ev, 0, sizeof(*ev));
	*put = NULL;
	spin_lock(&kbits_agent_events_lock);
	if (!list_empty(&kbits_agent_pending)) {
		job = list_first_entry(&kbits_agent_pending, struct kbits_job,
				       agent_node);
		i = __ffs(job->agent_pending);
		memcpy(ev->id, &job->id, sizeof(ev->id));
		ev->kind = kbits_pending_kinds[i];
		ev->state = READ_ONCE(job->state);
		job->agent_pending &= ~BIT(i);
		if (BIT(i) & KBITS_PENDING_FINAL)
			*put = job;
		if (!job->agent_pending)
			list_del_init(&job->agent_node);
	} else if (a->overflow) {
		ev->kind = KBITS_EVENT_OVERFLOW;
		a->overflow = false;
	} else {
		got = false;
	}
	if (got)
		ev->seq = ++a->seq;
	spin_unlock(&kbits_agent_events_lock);
	return got;
}

static ssize_t kbits_agent_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct kbits_agent *a = file->private_data;
	struct kbits_job *put;
	struct kbits_event ev;
	size_t done = 0;
	int err;

	if (count < sizeof(ev))
		return -EINVAL;
	while (!done) {
		if (!kbits_agent_has_events(a)) {
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			err = wait_event_interruptible(a->wait,
						       kbits_agent_has_events(a));
			if (err)
				return err;
		}
		while (done + sizeof(ev) <= count &&
		       kbits_agent_pop(a, &ev, &put)) {
			if (put)
				kbits_job_put(put);
			if (copy_to_user(buf + done, &ev, sizeof(ev))) {
				/* lost: the agent must hear of it */
				spin_lock(&kbits_agent_events_lock);
				a->overflow = true;
				spin_unlock(&kbits_agent_events_lock);
				return done ?: -EFAULT;
			}
			done += sizeof(ev);
		}
	}
	return done;
}

static __poll_t kbits_agent_poll(struct file *file, poll_table *pt)
{
	struct kbits_agent *a = file->private_data;

	poll_wait(file, &a->wait, pt);
	return kbits_agent_has_events(a) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * The agent is gone: what it had taken goes back to the queue, and a
 * COMPLETE waiting for it to place the files fails with -EAGAIN.
 */
static void kbits_agent_requeue(struct kbits_job *job)
{
	mutex_lock(&job->lock);
	if (job->completing)
		kbits_job_finish_completion(job, -EAGAIN);
	if (job->state == KBITS_JOB_STATE_CONNECTING ||
	    job->state == KBITS_JOB_STATE_TRANSFERRING) {
		kbits_job_enter_state(job, KBITS_JOB_STATE_QUEUED);
		kbits_job_event(job, KBITS_EVENT_MODIFIED);
	}
	mutex_unlock(&job->lock);
}

static int kbits_agent_release(struct inode *inode, struct file *file)
{
	struct kbits_agent *a = file->private_data;
	struct kbits_job *job, *tmp;
	LIST_HEAD(put);

	/*
	 * The lock is held until the jobs are back in the queue, so that a
	 * new agent cannot take one first and then lose it to this requeue.
	 */
	mutex_lock(&kbits_agent_lock);
	if (rcu_access_pointer(kbits_agent) == a) {
		RCU_INIT_POINTER(kbits_agent, NULL);
		synchronize_rcu();	/* no kbits_agent_notify() still in @a */
		kbits_jobs_for_each(kbits_agent_requeue);
		/*
		 * The next agent starts afresh, with a look at every job.
		 * The jobs with the list's reference go to @put: only this
		 * walk reaches them there, and they are put outside the lock.
		 */
		spin_lock(&kbits_agent_events_lock);
		list_for_each_entry_safe(job, tmp, &kbits_agent_pending,
					 agent_node) {
			if (job->agent_pending & KBITS_PENDING_FINAL) {
				job->agent_pending = 0;
				list_move(&job->agent_node, &put);
			} else {
				kbits_agent_unpend(job);
			}
		}
		spin_unlock(&kbits_agent_events_lock);
		list_for_each_entry_safe(job, tmp, &put, agent_node) {
			list_del_init(&job->agent_node);
			kbits_job_put(job);
		}
	}
	mutex_unlock(&kbits_agent_lock);
	kfree(a);
	return 0;
}

/* The queued job the agent names, with a reference. */
static struct kbits_job *kbits_agent_job(const u8 *id)
{
	guid_t guid;

	memcpy(&guid, id, sizeof(guid));
	return kbits_job_lookup(&guid);
}

static bool kbits_job_is_taken(const struct kbits_job *job)
{
	return job->state == KBITS_JOB_STATE_CONNECTING ||
	       job->state == KBITS_JOB_STATE_TRANSFERRING;
}

/*
 * The queued job @id names, locked, when the agent holds it: CONNECTING or
 * TRANSFERRING (or TRANSIENT_ERROR too, when @or_retrying), and no COMPLETE
 * waits for its PLACED.  The caller unlocks and puts it.  Else an ERR_PTR:
 * -ENOENT, -EBADFD (not the agent's, e.g. suspended meanwhile: stop) or
 * -EBUSY (its files are being placed: stop).
 */
static struct kbits_job *kbits_agent_lock_taken(const u8 *id, bool or_retrying)
{
	struct kbits_job *job = kbits_agent_job(id);
	int err = 0;

	if (!job)
		return ERR_PTR(-ENOENT);
	mutex_lock(&job->lock);
	if (!kbits_job_is_taken(job) &&
	    !(or_retrying && job->state == KBITS_JOB_STATE_TRANSIENT_ERROR))
		err = -EBADFD;
	else if (job->completing)
		err = -EBUSY;
	if (err) {
		mutex_unlock(&job->lock);
		kbits_job_put(job);
		return ERR_PTR(err);
	}
	return job;
}

/* Copies in and checks a struct kbits_agent_job. */
static int kbits_agent_job_copy(struct kbits_agent_job *args,
				struct kbits_agent_job __user *uarg)
{
	int err;

	err = kbits_copy_args(args, sizeof(*args), uarg,
			      KBITS_AGENT_JOB_SIZE_VER0);
	if (err)
		return err;
	return args->flags || args->reserved ? -EINVAL : 0;
}

/*
 * TAKE_JOB: QUEUED (or TRANSIENT_ERROR, to retry it) -> CONNECTING.  An
 * agent that places files marks the job: it will have temporaries.
 */
static long kbits_agent_take(struct kbits_agent *a,
			     struct kbits_agent_job __user *uarg)
{
	struct kbits_agent_job args;
	struct kbits_job *job;
	int err;

	err = kbits_agent_job_copy(&args, uarg);
	if (err)
		return err;
	job = kbits_agent_job(args.id);
	if (!job)
		return -ENOENT;

	mutex_lock(&job->lock);
	if (job->completing) {
		err = -EBUSY;
	} else if (job->state == KBITS_JOB_STATE_QUEUED ||
		   job->state == KBITS_JOB_STATE_TRANSIENT_ERROR) {
		/* an upload job's file is the user's own: nothing to place */
		if ((a->flags & KBITS_AGENT_PLACES_FILES) &&
		    job->type != KBITS_JOB_TYPE_UPLOAD)
			job->agent_places = true;
		kbits_job_enter_state(job, KBITS_JOB_STATE_CONNECTING);
		kbits_job_event(job, KBITS_EVENT_MODIFIED);
	} else {
		err = -EBADFD;
	}
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	return err;
}

/* The job's error is over (its text stays); the job's lock is held. */
static void kbits_job_clear_error(struct kbits_job *job)
{
	if (job->cold) {	/* none: no error either */
		job->cold->error.context = KBITS_ERROR_CONTEXT_NONE;
		job->cold->error.flags = 0;
	}
}

/* PROGRESS: a file's size and bytes so far -> TRANSFERRING. */
static long kbits_agent_progress(struct kbits_agent_progress __user *uarg)
{
	struct kbits_agent_progress args;
	struct kbits_job *job;
	struct kbits_file *f;
	bool done, newly_done;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_AGENT_PROGRESS_SIZE_VER0);
	if (err)
		return err;
	done = args.flags & KBITS_FILE_COMPLETED;
	if ((args.flags & ~KBITS_FILE_COMPLETED) || args.reserved)
		return -EINVAL;
	if (args.bytes_total != KBITS_SIZE_UNKNOWN &&
	    args.bytes_transferred > args.bytes_total)
		return -EINVAL;
	if (done && (args.bytes_total == KBITS_SIZE_UNKNOWN ||
		     args.bytes_transferred != args.bytes_total))
		return -EINVAL;
	job = kbits_agent_lock_taken(args.id, false);
	if (IS_ERR(job))
		return PTR_ERR(job);

	if (args.index >= job->nr_files) {
		err = -ENXIO;
	} else {
		f = &job->files[args.index];
		newly_done = done && !f->completed;
		f->bytes_total = args.bytes_total;
		f->bytes_transferred = args.bytes_transferred;
		f->completed = done;
		kbits_job_clear_error(job);
		kbits_job_enter_state(job, KBITS_JOB_STATE_TRANSFERRING);
		kbits_job_event(job, KBITS_EVENT_MODIFIED);
		if (newly_done)
			kbits_job_event(job, KBITS_EVENT_FILE_TRANSFERRED);
	}
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	return err;
}

/**
 * kbits_error_code_ok() - whether an error may have a code
 * @flags: the error's KBITS_ERROR_HTTP, or 0
 * @code: its code
 *
 * The agent's ERROR and IMPORT's record check an error's code with it.
 *
 * Return: with KBITS_ERROR_HTTP in @flags, whether @code is an HTTP status
 * (100 to 599); without it, whether @code is not negative (a positive
 * errno, or 0, which was always taken).
 */
bool kbits_error_code_ok(u32 flags, s32 code)
{
	if (flags & KBITS_ERROR_HTTP)
		return code >= 100 && code <= 599;
	return code >= 0;
}

/*
 * ERROR: a transient error (TRANSIENT_ERROR: the agent retries it later) or
 * a final one (ERROR: the job waits for its user), from a job the agent has
 * taken; a TRANSIENT_ERROR job may also turn into ERROR (no progress for
 * too long).  KBITS_ERROR_HTTP says the code is an HTTP status; the job's
 * error keeps it for GET_ERROR and EXPORT.
 */
static long kbits_agent_error(struct kbits_agent_error __user *uarg)
{
	struct kbits_agent_error args;
	struct kbits_job_cold *cold;
	struct kbits_job *job;
	bool transient;
	char *text;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_AGENT_ERROR_SIZE_VER0);
	if (err)
		return err;
	transient = args.flags & KBITS_ERROR_TRANSIENT;
	if ((args.flags & ~(KBITS_ERROR_TRANSIENT | KBITS_ERROR_HTTP)) ||
	    args.reserved || !kbits_error_code_ok(args.flags, args.code) ||
	    args.context == KBITS_ERROR_CONTEXT_NONE ||
	    args.context > KBITS_ERROR_CONTEXT_REMOTE_APPLICATION)
		return -EINVAL;
	text = kbits_copy_string(u64_to_user_ptr(args.text), args.text_len,
				 KBITS_ERROR_TEXT_MAX);
	if (IS_ERR(text))
		return PTR_ERR(text);
	/* a final error may end a retry too */
	job = kbits_agent_lock_taken(args.id, !transient);
	if (IS_ERR(job)) {
		kfree(text);
		return PTR_ERR(job);
	}

	if (args.file_index != KBITS_NO_FILE &&
	    args.file_index >= job->nr_files) {
		err = -ENXIO;
	} else if (!kbits_job_cold(job)) {
		err = -ENOMEM;
	} else {
		cold = job->cold;
		cold->error.context = args.context;
		cold->error.code = args.code;
		cold->error.flags = args.flags & KBITS_ERROR_HTTP;
		cold->error.file_index = args.file_index;
		swap(cold->error.text, text);
		job->error_count++;
		kbits_job_enter_state(job, transient ?
				      KBITS_JOB_STATE_TRANSIENT_ERROR :
				      KBITS_JOB_STATE_ERROR);
		kbits_job_event(job, transient ? KBITS_EVENT_MODIFIED :
						 KBITS_EVENT_ERROR);
	}
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	kfree(text);	/* the old text, or the new one on error */
	return err;
}

/*
 * PLACED: the agent's answer to COMPLETING.  0: the files are in place, the
 * job becomes ACKNOWLEDGED and leaves the queue; a positive errno: the job
 * stays as it was, and its COMPLETE fails with that errno.
 */
static long kbits_agent_placed(struct kbits_agent_placed __user *uarg)
{
	struct kbits_agent_placed args;
	struct kbits_job *job;
	bool acked = false;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_AGENT_PLACED_SIZE_VER0);
	if (err)
		return err;
	/* a user's errno: none of the kernel's own, from ERESTARTSYS on */
	if (args.flags || args.reserved || args.error < 0 ||
	    args.error >= ERESTARTSYS)
		return -EINVAL;
	job = kbits_agent_job(args.id);
	if (!job)
		return -ENOENT;

	mutex_lock(&job->lock);
	if (!job->completing) {
		err = -EBADFD;
	} else if (args.error) {
		kbits_job_finish_completion(job, -args.error);
	} else {
		kbits_job_finish_completion(job, kbits_job_acknowledge(job));
		acked = true;
	}
	mutex_unlock(&job->lock);
	if (acked)
		kbits_job_dequeue(job);
	kbits_job_put(job);
	return err;
}

/*
 * REQUEUE: the agent gives a job it took back to the queue (CONNECTING or
 * TRANSFERRING -> QUEUED), to run another first (a higher priority, or
 * the next of its own: round-robin).  Its files keep their progress: the
 * agent resumes from there when it takes the job again.
 */
static long kbits_agent_requeue_one(struct kbits_agent_job __user *uarg)
{
	struct kbits_agent_job args;
	struct kbits_job *job;
	int err;

	err = kbits_agent_job_copy(&args, uarg);
	if (err)
		return err;
	job = kbits_agent_lock_taken(args.id, false);
	if (IS_ERR(job))
		return PTR_ERR(job);

	kbits_job_enter_state(job, KBITS_JOB_STATE_QUEUED);
	kbits_job_event(job, KBITS_EVENT_MODIFIED);
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	return 0;
}

/* TRANSFERRED: every file is complete -> TRANSFERRED. */
static long kbits_agent_transferred(struct kbits_agent_job __user *uarg)
{
	struct kbits_agent_job args;
	struct kbits_job *job;
	int err;

	err = kbits_agent_job_copy(&args, uarg);
	if (err)
		return err;
	job = kbits_agent_lock_taken(args.id, false);
	if (IS_ERR(job))
		return PTR_ERR(job);

	if (!job->nr_files || !kbits_job_all_files_done(job)) {
		err = -EINVAL;
	} else {
		job->completion_time = ktime_get_real_seconds();
		kbits_job_clear_error(job);
		kbits_job_enter_state(job, KBITS_JOB_STATE_TRANSFERRED);
		kbits_job_event(job, KBITS_EVENT_TRANSFERRED);
	}
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	return err;
}

static long kbits_agent_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct kbits_agent *a = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KBITS_AGENT_IOC_TAKE_JOB:
		return kbits_agent_take(a, uarg);
	case KBITS_AGENT_IOC_PROGRESS:
		return kbits_agent_progress(uarg);
	case KBITS_AGENT_IOC_ERROR:
		return kbits_agent_error(uarg);
	case KBITS_AGENT_IOC_TRANSFERRED:
		return kbits_agent_transferred(uarg);
	case KBITS_AGENT_IOC_EXPORT_JOB:
		return kbits_agent_export(uarg);
	case KBITS_AGENT_IOC_IMPORT_JOB:
		return kbits_agent_import(uarg);
	case KBITS_AGENT_IOC_PLACED:
		return kbits_agent_placed(uarg);
	case KBITS_AGENT_IOC_JOB_NS:
		return kbits_agent_job_ns(uarg);
	case KBITS_AGENT_IOC_REQUEUE:
		return kbits_agent_requeue_one(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kbits_agent_fops = {
	.owner = THIS_MODULE,
	.release = kbits_agent_release,
	.read = kbits_agent_read,
	.poll = kbits_agent_poll,
	.unlocked_ioctl = kbits_agent_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * kbits_agent_attach() - KBITS_IOC_AGENT_ATTACH: become the agent
 * @flags: 0 or KBITS_AGENT_PLACES_FILES
 *
 * The caller needs CAP_SYS_ADMIN in the initial user namespace and must be
 * in the initial mount and network namespaces (the agent's root and
 * network are where the jobs it imports live, see record.c); no other
 * agent may be attached.  The fd is installed last, once the agent is.
 *
 * Context: process context; takes kbits_agent_lock.
 * Return: the agent fd (O_CLOEXEC), or -EPERM, -EINVAL for unknown
 * @flags, -EBUSY while another agent is attached, or what making the fd
 * failed with (-EMFILE, -ENFILE, -ENOMEM).
 */
int kbits_agent_attach(unsigned long flags)
{
	struct kbits_agent *a;
	struct file *file;
	int fd, err;

	if (!capable(CAP_SYS_ADMIN) ||
	    current->nsproxy->mnt_ns != init_task.nsproxy->mnt_ns ||
	    !net_eq(current->nsproxy->net_ns, &init_net))
		return -EPERM;
	if (flags & ~(unsigned long)KBITS_AGENT_PLACES_FILES)
		return -EINVAL;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	init_waitqueue_head(&a->wait);
	a->flags = flags;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto free_agent;
	}
	file = anon_inode_getfile(KBITS_AGENT_INODE_NAME, &kbits_agent_fops, a,
				  O_RDWR);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto put_fd;
	}

	mutex_lock(&kbits_agent_lock);
	if (rcu_access_pointer(kbits_agent)) {
		mutex_unlock(&kbits_agent_lock);
		err = -EBUSY;
		goto put_file;
	}
	rcu_assign_pointer(kbits_agent, a);
	mutex_unlock(&kbits_agent_lock);

	fd_install(fd, file);
	return fd;

put_file:
	fput(file);	/* its release frees @a: it is not the agent */
	a = NULL;
put_fd:
	put_unused_fd(fd);
free_agent:
	kfree(a);
	return err;
}
