// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: the reaper.  BITS cancels a job its user has left alone for 90
 * days; so does kbits, after inactive_timeout seconds (a module parameter).
 * A delayed work looks at every job a few times per timeout, at most hourly;
 * changing the parameter makes it look at once.
 */
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "kbits.h"

static unsigned int kbits_inactive_timeout = 90 * 24 * 3600;
static bool kbits_reaper_on;	/* between start and stop; kernel_param_lock */

static void kbits_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(kbits_reaper, kbits_reap);

static time64_t kbits_idle_since;	/* for kbits_reap_job() */

static void kbits_reap_job(struct kbits_job *job)
{
	kbits_job_cancel_idle(job, kbits_idle_since);
}

/* How often to look: a quarter of the timeout, from 1 s to an hour. */
static unsigned long kbits_reap_period(void)
{
	return clamp(READ_ONCE(kbits_inactive_timeout) / 4, 1U, 3600U) * HZ;
}

static void kbits_reap(struct work_struct *work)
{
	/* The work never runs twice at once: kbits_idle_since is its own. */
	kbits_idle_since = ktime_get_real_seconds() -
			   READ_ONCE(kbits_inactive_timeout);
	kbits_jobs_for_each(kbits_reap_job);
	schedule_delayed_work(&kbits_reaper, kbits_reap_period());
}

static int kbits_set_inactive_timeout(const char *val,
				      const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (!v)
		return -EINVAL;
	/* The caller holds kernel_param_lock(THIS_MODULE). */
	WRITE_ONCE(kbits_inactive_timeout, v);
	if (kbits_reaper_on)
		mod_delayed_work(system_wq, &kbits_reaper, 0);
	return 0;
}

static const struct kernel_param_ops kbits_inactive_timeout_ops = {
	.set = kbits_set_inactive_timeout,
	.get = param_get_uint,
};

module_param_cb(inactive_timeout, &kbits_inactive_timeout_ops,
		&kbits_inactive_timeout, 0644);
MODULE_PARM_DESC(inactive_timeout,
		 "Seconds a job may stay unchanged by its user before it is cancelled (default 90 days)");

/**
 * kbits_reaper_start() - Start looking for idle jobs to cancel.
 *
 * Description: Queues the reaper's first look, a period (a quarter of
 * inactive_timeout, from 1 s to an hour) from now, and lets later writes to the
 * parameter make it look at once.  Each look cancels, through
 * kbits_job_cancel_idle(), the queued jobs their users left unchanged for
 * inactive_timeout seconds.
 *
 * Context: Module init, after kbits_jobs_init() (the reaper walks the queue);
 * takes kernel_param_lock(THIS_MODULE).
 */
void kbits_reaper_start(void)
{
	kernel_param_lock(THIS_MODULE);
	kbits_reaper_on = true;
	schedule_delayed_work(&kbits_reaper, kbits_reap_period());
	kernel_param_unlock(THIS_MODULE);
}

/**
 * kbits_reaper_stop() - Stop the reaper for good.
 *
 * Description: After this no write to inactive_timeout queues the work (the
 * flag that allows it changes under kernel_param_lock(), which such writes
 * hold), and the work is neither queued nor running.
 *
 * Context: Module exit, before kbits_jobs_exit() frees the queue the work
 * walks; may sleep (it waits for a running look to end).
 */
void kbits_reaper_stop(void)
{
	kernel_param_lock(THIS_MODULE);
	kbits_reaper_on = false;
	kernel_param_unlock(THIS_MODULE);
	cancel_delayed_work_sync(&kbits_reaper);
}
