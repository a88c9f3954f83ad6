// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's HTTP settings, which the agent applies to its transfers:
 * the proxy settings (BITS: Get/SetProxySettings) and the custom headers
 * (BITS: SetCustomHeaders; their GET and SET are job.c's string ioctls).
 */
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kbits.h"

static_assert(sizeof(struct kbits_job_proxy) == KBITS_JOB_PROXY_SIZE_VER0);

/**
 * kbits_http_tchar() - Is a character one of a header's name?
 * @c: the character.
 *
 * Context: Any.
 * Return: true for RFC 9110's tchar (an ASCII letter or digit, or one of the 15
 * marks it lists), false for any other byte, NUL and non-ASCII included.
 */
VISIBLE_IF_KUNIT bool kbits_http_tchar(unsigned char c)
{
	return c < 0x80 && (isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)));
}
EXPORT_SYMBOL_IF_KUNIT(kbits_http_tchar);

/**
 * kbits_http_headers_ok() - Are custom HTTP headers well formed?
 * @headers: the headers, NUL-terminated.
 *
 * Well formed: lines "Name: value", each ended or separated by CR LF (BITS ends
 * each with one), with a name of RFC 9110 token characters and a value without
 * control characters but tab.  No empty line: not between two, not at the end
 * (one CR LF ends the last), and not the empty string (SET_HTTP_HEADERS takes
 * that as "no headers" before it gets here).
 *
 * Context: Any.
 * Return: true when @headers are well formed, false otherwise.
 */
bool kbits_http_headers_ok(const char *headers)
{
	const unsigned char *p = (const unsigned char *)headers;

	do {
		if (!kbits_http_tchar(*p))
			return false;	/* an empty line or name */
		while (kbits_http_tchar(*p))
			p++;
		if (*p++ != ':')
			return false;
		while (*p && *p != '\r') {
			if ((*p < ' ' && *p != '\t') || *p == 0x7f)
				return false;
			p++;
		}
		if (*p && *++p != '\n')
			return false;	/* a lone CR */
	} while (*p && *++p);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_http_headers_ok);

/* Writes @str (NULL: "") with its NUL to @buf. */
static int kbits_put_proxy_string(const char *str, u64 buf)
{
	u32 len = str ? strlen(str) : 0;

	return copy_to_user(u64_to_user_ptr(buf), str ?: "", len + 1) ?
	       -EFAULT : 0;
}

/**
 * kbits_job_get_proxy() - GET_PROXY: a job's proxy settings.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_proxy.
 *
 * Writes the usage, and the proxy list and bypass list as GET_FILE writes
 * names: each length (without NUL) to its field, and each list (NUL-terminated;
 * "" for none) to its buffer when that is long enough.  The lists are copied
 * under the job's lock, and copied out after.  A final job still tells.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copies to userspace.
 * Return: 0; -EINVAL for a nonzero reserved field; -EACCES when @jf is revoked;
 * -ERANGE when a buffer is too short for its list and NUL (the lengths are
 * written); -ENOMEM; kbits_copy_args()'s errors and -EFAULT.
 */
long kbits_job_get_proxy(struct kbits_job_fd *jf,
			 struct kbits_job_proxy __user *uarg)
{
	struct kbits_job *job = jf->job;
	const struct kbits_job_cold *cold;
	struct kbits_job_proxy args;
	char *list = NULL, *bypass = NULL;
	u32 usage, list_len, bypass_len;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_PROXY_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;

	/* Copies, so that no lock is held across the copies to userspace. */
	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	cold = kbits_cold(job);
	usage = cold->proxy_usage;
	if (!err && cold->proxy_list)
		list = kstrdup(cold->proxy_list, GFP_KERNEL_ACCOUNT);
	if (!err && cold->proxy_bypass)
		bypass = kstrdup(cold->proxy_bypass, GFP_KERNEL_ACCOUNT);
	if (!err &&
	    ((cold->proxy_list && !list) || (cold->proxy_bypass && !bypass)))
		err = -ENOMEM;
	mutex_unlock(&job->lock);
	if (err)
		goto out;

	list_len = list ? strlen(list) : 0;
	bypass_len = bypass ? strlen(bypass) : 0;
	if (put_user(usage, &uarg->usage) ||
	    put_user(list_len, &uarg->list_len) ||
	    put_user(bypass_len, &uarg->bypass_len)) {
		err = -EFAULT;
		goto out;
	}
	if (args.list_len < list_len + 1 || args.bypass_len < bypass_len + 1) {
		err = -ERANGE;
		goto out;
	}
	err = kbits_put_proxy_string(list, args.list) ?:
	      kbits_put_proxy_string(bypass, args.bypass);
out:
	kfree(list);
	kfree(bypass);
	return err;
}

/**
 * kbits_job_set_proxy() - SET_PROXY: set a job's proxy settings.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_proxy.
 *
 * KBITS_PROXY_OVERRIDE takes a proxy list, and maybe a bypass list; another
 * usage takes neither.  The lists are copied in and checked
 * (kbits_copy_string(), KBITS_PROXY_LIST_MAX each) before the job's lock is
 * taken.  On success the job's modification time moves, and the agent and the
 * job fds are told (KBITS_EVENT_MODIFIED).
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copies from userspace.
 * Return: 0; -EINVAL for a nonzero reserved field, an unknown usage, or lists
 * that do not go with it; kbits_copy_string()'s errors for a list; -EACCES when
 * @jf is revoked; -EBADFD when the job is final; -EPERM when the caller may
 * not get the job and it is an upload or has secrets (kbits_job_may_aim());
 * -ENOMEM; kbits_copy_args()'s errors.
 */
long kbits_job_set_proxy(struct kbits_job_fd *jf,
			 struct kbits_job_proxy __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_proxy args;
	char *list = NULL, *bypass = NULL;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_PROXY_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved || args.usage > KBITS_PROXY_OVERRIDE)
		return -EINVAL;
	if (args.usage == KBITS_PROXY_OVERRIDE ? !args.list_len :
	    args.list_len || args.bypass_len)
		return -EINVAL;

	if (args.list_len) {
		list = kbits_copy_string(u64_to_user_ptr(args.list),
					 args.list_len, KBITS_PROXY_LIST_MAX);
		if (IS_ERR(list))
			return PTR_ERR(list);
	}
	if (args.bypass_len) {
		bypass = kbits_copy_string(u64_to_user_ptr(args.bypass),
					   args.bypass_len,
					   KBITS_PROXY_LIST_MAX);
		if (IS_ERR(bypass)) {
			kfree(list);
			return PTR_ERR(bypass);
		}
	}

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (kbits_state_is_final(job->state)) {
		err = -EBADFD;
	} else if (!kbits_job_may_aim(job)) {
		err = -EPERM;
	} else if (!kbits_job_cold(job)) {
		err = -ENOMEM;
	} else {
		job->cold->proxy_usage = args.usage;
		swap(job->cold->proxy_list, list);
		swap(job->cold->proxy_bypass, bypass);
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
	mutex_unlock(&job->lock);
	kfree(list);	/* the old lists, or the new ones on error */
	kfree(bypass);
	return err;
}
