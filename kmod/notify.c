// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's notify command (BITS: SetNotifyCmdLine, GetNotifyCmdLine):
 * a program, with its arguments, that the agent runs as the job's owner when
 * the job becomes TRANSFERRED or ERROR (as its notify flags ask), so that an
 * application may exit and still be woken.  The kernel only keeps it; the
 * agent runs it.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kbits.h"

/**
 * kbits_notify_cmd_ok() - Is this a notify command?
 * @cmd: the bytes.
 * @len: how many.
 *
 * A notify command is its arguments, each ended by a NUL (as
 * /proc/<pid>/cmdline): the first, the program, an absolute path; each one
 * UTF-8; at most KBITS_NOTIFY_CMD_MAX bytes (the caller checks that).  An
 * argument may be empty, the program may not.
 *
 * Context: Any.
 * Return: true when @cmd is one, false otherwise (and for @len 0).
 */
bool kbits_notify_cmd_ok(const char *cmd, size_t len)
{
	size_t i = 0, n;

	if (!len || cmd[0] != '/' || cmd[len - 1] != '\0')
		return false;
	while (i < len) {
		n = strlen(cmd + i);	/* stops at the NUL that ends it */
		if (!kbits_valid_utf8((const u8 *)cmd + i, n))
			return false;
		i += n + 1;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_notify_cmd_ok);

/**
 * kbits_job_get_notify_cmd() - GET_NOTIFY_CMD: a job's notify command.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_string.
 *
 * Writes the command's length, its NULs included, to @uarg->len and, when
 * the buffer holds that many bytes, the command to it.  A copy is taken under
 * the job's lock and copied out after.  A final job still tells.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copy to userspace.
 * Return: 0; -EINVAL for a nonzero reserved field; -EACCES when @jf is revoked;
 * -ENODATA when the job has none; -ERANGE when the buffer is too short (the
 * length is written); -ENOMEM; kbits_copy_args()'s errors and -EFAULT.
 */
long kbits_job_get_notify_cmd(struct kbits_job_fd *jf,
			      struct kbits_job_string __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_string args;
	char *copy = NULL;
	u32 len = 0;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_STRING_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (!err && !kbits_cold(job)->notify_cmd) {
		err = -ENODATA;
	} else if (!err) {
		len = job->cold->notify_cmd_len;
		copy = kmemdup(job->cold->notify_cmd, len, GFP_KERNEL_ACCOUNT);
		if (!copy)
			err = -ENOMEM;
	}
	mutex_unlock(&job->lock);
	if (err)
		return err;

	if (put_user(len, &uarg->len))
		err = -EFAULT;
	else if (args.len < len)
		err = -ERANGE;
	else if (copy_to_user(u64_to_user_ptr(args.buf), copy, len))
		err = -EFAULT;
	kfree(copy);
	return err;
}

/**
 * kbits_job_set_notify_cmd() - SET_NOTIFY_CMD: set or remove a job's notify
 * command.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_string: @len bytes at @buf, the command
 * (kbits_notify_cmd_ok()), or @len 0 to remove it.
 *
 * The command is copied once and checked before the job's lock is taken.  It
 * runs as the job's owner, so holding the fd is not enough, unlike the other
 * settings: the caller must be one who may get the job now (its owner where
 * the job is, or an administrator over it: kbits_may_get()), not another
 * user the owner handed an fd to.  TAKE_OWNERSHIP removes it, so that no
 * command one owner set runs as the next.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copy from userspace.
 * Return: 0; -EINVAL for a nonzero reserved field or a malformed command;
 * -ENAMETOOLONG past KBITS_NOTIFY_CMD_MAX; -EACCES when @jf is revoked;
 * -EPERM when the caller may not get the job; -ESTALE for a job imported
 * without its namespaces (it runs nothing until taken over, which removes the
 * command); -EBADFD when the job is final;
 * -ENOMEM; kbits_copy_args()'s errors and -EFAULT.
 */
long kbits_job_set_notify_cmd(struct kbits_job_fd *jf,
			      struct kbits_job_string __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_string args;
	char *cmd = NULL;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_STRING_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;
	if (args.len > KBITS_NOTIFY_CMD_MAX)
		return -ENAMETOOLONG;
	if (args.len) {
		/* copied once: the check and the job see the same bytes */
		cmd = kmalloc(args.len, GFP_KERNEL_ACCOUNT);
		if (!cmd)
			return -ENOMEM;
		if (copy_from_user(cmd, u64_to_user_ptr(args.buf), args.len))
			err = -EFAULT;
		else if (!kbits_notify_cmd_ok(cmd, args.len))
			err = -EINVAL;
		if (err) {
			kfree(cmd);
			return err;
		}
	}

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (!kbits_may_get(job, true)) {
		err = -EPERM;
	} else if (!job->net) {
		err = -ESTALE;	/* nowhere to run it: see JOB_NS */
	} else if (kbits_state_is_final(job->state)) {
		err = -EBADFD;
	} else if (!kbits_job_cold(job)) {
		err = -ENOMEM;
	} else {
		swap(job->cold->notify_cmd, cmd);
		job->cold->notify_cmd_len = args.len;
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
	mutex_unlock(&job->lock);
	kfree(cmd);	/* the old command, or the new one on error */
	return err;
}
