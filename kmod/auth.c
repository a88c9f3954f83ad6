// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's credentials (BITS: SetCredentials, RemoveCredentials): a
 * user name and password per target (server, proxy) and scheme (Basic,
 * Digest, NTLM, Negotiate), which the agent gives its HTTP requests.  They
 * are write-only: GET_CREDENTIALS tells which are set, and only the
 * agent's EXPORT_JOB reads the secrets (record.c).  A password is freed with
 * kfree_sensitive().
 *
 * Credentials are the owner's (Negotiate even lends the owner's Kerberos
 * tickets), so only a caller who may get the job now sets them (BITS: only
 * the job's owner calls SetCredentials); any fd holder may remove them.  A
 * job with secrets (credentials, or write-only custom headers) sends them to
 * the servers its files name, to its proxy and with its headers, so those
 * may only be changed by such a caller too (kbits_job_may_aim(), checked by
 * ADD_FILES, SET_PROXY, SET_HTTP_HEADERS and SET_REPLY_FILE): a user the
 * owner handed a job fd to may not point them at a server of its own.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kbits.h"

static_assert(sizeof(struct kbits_job_credentials) ==
	      KBITS_JOB_CREDENTIALS_SIZE_VER0);
static_assert(sizeof(struct kbits_job_cred_schemes) ==
	      KBITS_JOB_CRED_SCHEMES_SIZE_VER0);

#define KBITS_AUTH_SCHEMES	4	/* per target: Basic .. Negotiate */
static_assert(2 * KBITS_AUTH_SCHEMES == KBITS_CREDS_MAX);

/**
 * kbits_cred_index() - Where a target and scheme's credentials are.
 * @target: an enum kbits_auth_target.
 * @scheme: an enum kbits_auth_scheme.
 *
 * Context: Any.
 * Return: the index in a job's @creds, below KBITS_CREDS_MAX; -EINVAL for an
 * unknown target or scheme.
 */
int kbits_cred_index(u32 target, u32 scheme)
{
	if (target < KBITS_AUTH_TARGET_SERVER ||
	    target > KBITS_AUTH_TARGET_PROXY ||
	    scheme < KBITS_AUTH_SCHEME_BASIC ||
	    scheme > KBITS_AUTH_SCHEME_NEGOTIATE)
		return -EINVAL;
	return (target - 1) * KBITS_AUTH_SCHEMES + scheme - 1;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_cred_index);

/**
 * kbits_cred_user_ok() - May credentials of @scheme have this user name?
 * @user: the name, NUL-terminated and valid UTF-8 (kbits_copy_string()).
 * @scheme: an enum kbits_auth_scheme.
 *
 * No control character (it would end up in a header line), and no ':' in a
 * Basic user-id (RFC 7617: the colon ends it).
 *
 * Context: Any.
 * Return: true when it may, false otherwise.
 */
bool kbits_cred_user_ok(const char *user, u32 scheme)
{
	const unsigned char *p;

	for (p = (const unsigned char *)user; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			return false;
		if (*p == ':' && scheme == KBITS_AUTH_SCHEME_BASIC)
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_cred_user_ok);

/* Frees one pair, the password with kfree_sensitive(). */
static void kbits_cred_clear(struct kbits_cred *c)
{
	kfree(c->user);
	kfree_sensitive(c->password);
	c->user = NULL;
	c->password = NULL;
}

/**
 * kbits_job_set_cred() - Give a job credentials, or remove them.
 * @job: the job, its lock held (or not yet queued: IMPORT).
 * @index: kbits_cred_index()'s.
 * @user: the user name (kmalloc'd), or NULL to remove the pair.
 * @password: the password (kmalloc'd), or NULL with @user NULL.
 *
 * Takes @user and @password in every case: they are the job's, or freed.
 *
 * Context: Process context; may sleep (the first allocates the job's creds,
 * and its cold settings if it has none).
 * Return: 0; -ENOMEM.
 */
int kbits_job_set_cred(struct kbits_job *job, int index, char *user,
		       char *password)
{
	struct kbits_job_cold *cold;
	struct kbits_cred *c;

	if (!kbits_cold(job)->creds) {
		if (!user)
			return 0;
		cold = kbits_job_cold(job);
		if (cold)
			cold->creds = kcalloc(KBITS_CREDS_MAX,
					      sizeof(*cold->creds),
					      GFP_KERNEL_ACCOUNT);
		if (!cold || !cold->creds) {
			kfree(user);
			kfree_sensitive(password);
			return -ENOMEM;
		}
	}
	c = &job->cold->creds[index];
	kbits_cred_clear(c);
	c->user = user;
	c->password = password;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_job_set_cred);

/**
 * kbits_creds_free() - Free a job's credentials.
 * @creds: its @creds, which no one else sees any more; NULL: none.
 *
 * Context: Any.
 */
void kbits_creds_free(struct kbits_cred *creds)
{
	int i;

	for (i = 0; creds && i < KBITS_CREDS_MAX; i++)
		kbits_cred_clear(&creds[i]);
	kfree(creds);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_creds_free);

/**
 * kbits_job_has_secrets() - Does the job hold secrets for its servers?
 * @job: the job, its lock held.
 *
 * Context: Any.
 * Return: true when it has credentials or write-only custom headers.
 */
bool kbits_job_has_secrets(const struct kbits_job *job)
{
	const struct kbits_cred *creds = kbits_cold(job)->creds;
	int i;

	lockdep_assert_held(&job->lock);
	if (job->flags & KBITS_JOB_HEADERS_WRITE_ONLY)
		return true;
	for (i = 0; creds && i < KBITS_CREDS_MAX; i++) {
		if (creds[i].user)
			return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_job_has_secrets);

/**
 * kbits_job_may_aim() - May the caller change where a job's requests go?
 * @job: the job, its lock held.
 *
 * Its files, proxy, custom headers and reply file decide where the agent
 * sends the job's requests and what they carry.  Anyone holding the job fd
 * may change them, but for an upload (the agent sends the owner's file) or
 * a job with secrets (kbits_job_has_secrets()): only a caller who may get
 * the job now (kbits_may_get()) may, so that a user the owner handed an fd
 * to cannot have the owner's file, password or tickets sent to it.
 *
 * Context: @job->lock held.
 * Return: true when the caller may, false otherwise.
 */
bool kbits_job_may_aim(const struct kbits_job *job)
{
	lockdep_assert_held(&job->lock);
	if (job->type == KBITS_JOB_TYPE_DOWNLOAD && !kbits_job_has_secrets(job))
		return true;
	return kbits_may_get(job, true);
}

/*
 * A password from userspace: as kbits_copy_string(), but a copy that is
 * refused is freed with kfree_sensitive().
 */
static char *kbits_copy_password(const char __user *ustr, u32 len)
{
	char *str;

	if (len > KBITS_CRED_PASSWORD_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	str = kmalloc(len + 1, GFP_KERNEL_ACCOUNT);
	if (!str)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(str, ustr, len)) {
		kfree_sensitive(str);
		return ERR_PTR(-EFAULT);
	}
	str[len] = '\0';
	if (!kbits_valid_utf8(str, len)) {
		kfree_sensitive(str);
		return ERR_PTR(-EINVAL);
	}
	return str;
}

/**
 * kbits_job_set_credentials() - SET_CREDENTIALS: set or remove a job's
 * credentials for one target and scheme.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_credentials.
 *
 * The user name and password are copied and checked before the job's lock
 * is taken.  Only a caller who may get the job now sets them (the servers
 * they go to may be an fd holder's choice, and Negotiate lends the owner's
 * tickets); any holder of the fd may remove them.  On success the job's
 * modification time moves, and the agent and the job fds are told
 * (KBITS_EVENT_MODIFIED).
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copies from userspace.
 * Return: 0; -EINVAL for an unknown target, scheme or flag, lengths with
 * KBITS_CRED_REMOVE, a user name with a control character (or a ':' for
 * Basic), or either not UTF-8 or holding a NUL; -ENAMETOOLONG past
 * KBITS_CRED_USER_MAX or KBITS_CRED_PASSWORD_MAX; -EACCES when @jf is
 * revoked; -EPERM when setting them and the caller may not get the job;
 * -EBADFD when the job is final; -ENOMEM; kbits_copy_args()'s errors and
 * -EFAULT.
 */
long kbits_job_set_credentials(struct kbits_job_fd *jf,
			       struct kbits_job_credentials __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_credentials args;
	char *user = NULL, *password = NULL;
	int index, err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_CREDENTIALS_SIZE_VER0);
	if (err)
		return err;
	index = kbits_cred_index(args.target, args.scheme);
	if (index < 0 || (args.flags & ~KBITS_CRED_REMOVE))
		return -EINVAL;
	if (args.flags & KBITS_CRED_REMOVE) {
		if (args.user_len || args.password_len)
			return -EINVAL;
	} else {
		user = kbits_copy_string(u64_to_user_ptr(args.user),
					 args.user_len, KBITS_CRED_USER_MAX);
		if (IS_ERR(user))
			return PTR_ERR(user);
		if (!kbits_cred_user_ok(user, args.scheme)) {
			kfree(user);
			return -EINVAL;
		}
		password = kbits_copy_password(u64_to_user_ptr(args.password),
					       args.password_len);
		if (IS_ERR(password)) {
			kfree(user);
			return PTR_ERR(password);
		}
	}

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (!err && user && !kbits_may_get(job, true))
		err = -EPERM;
	if (!err && kbits_state_is_final(job->state))
		err = -EBADFD;
	if (!err) {
		err = kbits_job_set_cred(job, index, user, password);
		user = NULL;	/* the job's now, or freed */
		password = NULL;
	}
	if (!err) {
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
	mutex_unlock(&job->lock);
	kfree(user);
	kfree_sensitive(password);
	return err;
}

/**
 * kbits_job_get_credentials() - GET_CREDENTIALS: which credentials a job has.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_cred_schemes.
 *
 * Writes a bit (1U << scheme) for each scheme the job has credentials for,
 * per target; never a user name or password.  A final job still tells.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copy to userspace.
 * Return: 0; -EINVAL for a nonzero reserved field; -EACCES when @jf is
 * revoked; kbits_copy_args()'s errors and -EFAULT.
 */
long kbits_job_get_credentials(struct kbits_job_fd *jf,
			       struct kbits_job_cred_schemes __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_cred_schemes args;
	const struct kbits_cred *creds;
	u32 set[2] = { 0, 0 };
	int i, err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_CRED_SCHEMES_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	creds = kbits_cold(job)->creds;
	for (i = 0; !err && creds && i < KBITS_CREDS_MAX; i++) {
		if (creds[i].user)
			set[i / KBITS_AUTH_SCHEMES] |=
				1U << (i % KBITS_AUTH_SCHEMES + 1);
	}
	mutex_unlock(&job->lock);
	if (err)
		return err;
	if (put_user(set[0], &uarg->server) || put_user(set[1], &uarg->proxy))
		return -EFAULT;
	return 0;
}
