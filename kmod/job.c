// SPDX-License-Identifier: GPL-2.0
/*
 * kbits jobs: the queue, keyed by GUID, the per-user limits and the job fd.
 *
 * Lookups walk the queue under RCU and take their reference with
 * kref_get_unless_zero(), so GET_JOB takes no global lock.  A job leaves the
 * queue (rhashtable_remove_fast) before the queue drops its reference, and
 * is freed a grace period after its release (call_rcu()), so a reader that
 * found it in time is safe.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/hashtable.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include "kbits.h"

static const struct rhashtable_params kbits_job_params = {
	.key_len = sizeof(guid_t),
	.key_offset = offsetof(struct kbits_job, id),
	.head_offset = offsetof(struct kbits_job, node),
	.automatic_shrinking = true,
};

static struct rhashtable kbits_jobs;

/*
 * The jobs themselves: a cache of their own, so that a job costs its size
 * rather than the next kmalloc size's (SLAB_ACCOUNT: charged to the
 * creator's memory cgroup, as kmalloc(GFP_KERNEL_ACCOUNT) did).
 */
static struct kmem_cache *kbits_job_cache;

const struct kbits_job_cold kbits_no_cold;
EXPORT_SYMBOL_IF_KUNIT(kbits_no_cold);

/*
 * The same jobs by a slot number, so that ENUM_JOBS can walk the queue in
 * batches with a cursor that survives between calls.
 */
static DEFINE_XARRAY_ALLOC(kbits_slots);
static u32 kbits_next_slot;

/*
 * Per-user job counts.  A job counts from its creation until it is freed,
 * however long its fds keep it after it left the queue, so that a user
 * never holds more than max_jobs_per_user jobs of kernel memory.  It counts
 * against its owner and, as ucounts do, against the owner of every user
 * namespace between the owner's and the initial one: a user's containers
 * and subordinate uids share that user's limit.  A namespace the initial
 * namespace's root made (a rootful container) counts as a user of its own,
 * so that its users together share one limit too.  Jobs made or taken over
 * by a caller with CAP_SYS_ADMIN are not counted (BITS exempts
 * administrators and services the same way).
 *
 * A key is a kuid's value, or the address of such a root-made namespace
 * (which the job holds a reference on while it counts).
 */
struct kbits_user {
	struct hlist_node node;
	unsigned long key;
	unsigned int jobs;
};

#define KBITS_USERS_BITS 6
static DEFINE_HASHTABLE(kbits_users, KBITS_USERS_BITS);
static DEFINE_SPINLOCK(kbits_users_lock);	/* kbits_users, kbits_charged */
static unsigned int kbits_charged;		/* all counted jobs */

/* A user namespace nests 32 deep at most: the owner and 32 creators. */
#define KBITS_CHAIN_MAX 33

static const char * const kbits_state_names[] = {
	[KBITS_JOB_STATE_QUEUED] = "QUEUED",
	[KBITS_JOB_STATE_CONNECTING] = "CONNECTING",
	[KBITS_JOB_STATE_TRANSFERRING] = "TRANSFERRING",
	[KBITS_JOB_STATE_SUSPENDED] = "SUSPENDED",
	[KBITS_JOB_STATE_ERROR] = "ERROR",
	[KBITS_JOB_STATE_TRANSIENT_ERROR] = "TRANSIENT_ERROR",
	[KBITS_JOB_STATE_TRANSFERRED] = "TRANSFERRED",
	[KBITS_JOB_STATE_ACKNOWLEDGED] = "ACKNOWLEDGED",
	[KBITS_JOB_STATE_CANCELLED] = "CANCELLED",
};

static const char * const kbits_type_names[] = {
	[KBITS_JOB_TYPE_DOWNLOAD] = "DOWNLOAD",
	[KBITS_JOB_TYPE_UPLOAD] = "UPLOAD",
	[KBITS_JOB_TYPE_UPLOAD_REPLY] = "UPLOAD_REPLY",
};

/**
 * kbits_state_is_final() - Is a job's state one it never leaves?
 * @state: an enum kbits_job_state.
 *
 * ACKNOWLEDGED and CANCELLED are final: the job left the queue, or is about to
 * (whoever made it final dequeues it once it dropped the job's lock), and
 * nothing changes it any more.  kbits_job_lookup() hides such a job.
 *
 * Context: Any.
 * Return: true for ACKNOWLEDGED and CANCELLED, false for any other state.
 */
bool kbits_state_is_final(u32 state)
{
	return state == KBITS_JOB_STATE_ACKNOWLEDGED ||
	       state == KBITS_JOB_STATE_CANCELLED;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_state_is_final);

/**
 * kbits_job_account() - Bring a job's transfer time up to date with its state.
 * @job: the job, its lock held.
 *
 * A stretch CONNECTING or TRANSFERRING begins or ends here.  Idempotent: every
 * state change calls it right after it wrote the state, through
 * kbits_job_enter_state() (the user's and the agent's) and again through
 * kbits_job_event(), and a second call changes nothing.  IMPORT writes the
 * state of a job not yet in the queue directly: never CONNECTING or
 * TRANSFERRING, so no stretch begins there.  The clock is boottime, which counts system
 * suspend, as BITS counts sleep against the maximum download time.
 *
 * Context: @job->lock held.
 */
void kbits_job_account(struct kbits_job *job)
{
	u32 state = job->state;
	bool running = state == KBITS_JOB_STATE_CONNECTING ||
		       state == KBITS_JOB_STATE_TRANSFERRING;
	u64 now;

	lockdep_assert_held(&job->lock);
	if (running == job->transfer_running)
		return;
	now = ktime_get_boottime_ns();
	if (running)
		job->transfer_since = now;
	else
		job->transfer_ns += now - job->transfer_since;
	job->transfer_running = running;
}

/**
 * kbits_job_enter_state() - Write a job's state and account its transfer time.
 * @job: the job, its lock held.
 * @state: the new state, an enum kbits_job_state.
 *
 * The state is written with WRITE_ONCE(): GET_STATE, poll() and
 * kbits_job_lookup() read it without the lock.  No event is sent: the caller
 * sends its own (kbits_job_changed() or kbits_job_event()), and the caller that
 * makes the job final dequeues it (kbits_job_dequeue()) once it dropped the
 * lock.
 *
 * Context: @job->lock held.
 */
void kbits_job_enter_state(struct kbits_job *job, u32 state)
{
	lockdep_assert_held(&job->lock);
	WRITE_ONCE(job->state, state);
	kbits_job_account(job);
}

/**
 * kbits_job_transfer_time() - A job's transfer time, in whole seconds.
 * @job: the job, its lock held.
 *
 * The time @job spent CONNECTING or TRANSFERRING since it was created or last
 * resumed (or, for an imported job, what its record said plus the time since),
 * the stretch still running included.
 *
 * Context: @job->lock held.
 * Return: the seconds, at most U32_MAX.
 */
u32 kbits_job_transfer_time(struct kbits_job *job)
{
	u64 ns;

	kbits_job_account(job);
	ns = job->transfer_ns;
	if (job->transfer_running)
		ns += ktime_get_boottime_ns() - job->transfer_since;
	return min_t(u64, div_u64(ns, NSEC_PER_SEC), U32_MAX);
}

/**
 * kbits_job_set_transfer_time() - Set a job's transfer time.
 * @job: the job, its lock held.
 * @seconds: the new transfer time: 0 on a RESUME, a record's on IMPORT.
 *
 * A stretch still running counts from now on, on top of @seconds.
 *
 * Context: @job->lock held.
 */
void kbits_job_set_transfer_time(struct kbits_job *job, u32 seconds)
{
	lockdep_assert_held(&job->lock);
	kbits_job_account(job);
	job->transfer_ns = (u64)seconds * NSEC_PER_SEC;
	if (job->transfer_running)
		job->transfer_since = ktime_get_boottime_ns();
}

static struct kbits_user *kbits_user_find(unsigned long key)
{
	struct kbits_user *u;

	lockdep_assert_held(&kbits_users_lock);
	hash_for_each_possible(kbits_users, u, node, key)
		if (u->key == key)
			return u;
	return NULL;
}

/**
 * kbits_chain() - The users a job of @owner made in @ns counts against.
 * @owner: the job's owner.
 * @ns: the user namespace the job belongs to (the owner's when it became
 * owner).
 * @keys: KBITS_CHAIN_MAX keys out: kuid values, or addresses of namespaces.
 *
 * See kbits_users: @owner, then for each namespace from @ns up to the initial
 * one its owner, or the namespace itself when the initial namespace's root made
 * it; each key once, whatever the nesting repeats.
 *
 * Context: Any; the caller keeps @ns alive (it holds a reference, or the
 * job's).
 * Return: how many keys it wrote to @keys, from 1 to KBITS_CHAIN_MAX.
 */
VISIBLE_IF_KUNIT int kbits_chain(kuid_t owner, const struct user_namespace *ns,
				 unsigned long *keys)
{
	unsigned long key;
	int n = 0, i;

	keys[n++] = __kuid_val(owner);
	for (; ns != &init_user_ns && n < KBITS_CHAIN_MAX; ns = ns->parent) {
		key = uid_eq(ns->owner, GLOBAL_ROOT_UID) ?
		      (unsigned long)ns : __kuid_val(ns->owner);
		for (i = 0; i < n && keys[i] != key; i++)
			;
		if (i == n)
			keys[n++] = key;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_chain);

/* kbits_uncharge() with kbits_users_lock held. */
static void kbits_uncharge_locked(struct kbits_job *job)
{
	unsigned long keys[KBITS_CHAIN_MAX];
	struct kbits_user *u;
	int i, n;

	lockdep_assert_held(&kbits_users_lock);
	if (!job->charged)
		return;
	n = kbits_chain(job->owner, job->user_ns, keys);
	for (i = 0; i < n; i++) {
		u = kbits_user_find(keys[i]);
		if (WARN_ON_ONCE(!u))
			continue;
		if (!--u->jobs) {
			hash_del(&u->node);
			kfree(u);
		}
	}
	kbits_charged--;
	job->charged = false;
}

/* Is @key one of the users @job counts against now? */
static bool kbits_charged_to(const struct kbits_job *job, unsigned long key)
{
	unsigned long keys[KBITS_CHAIN_MAX];
	int i, n;

	if (!job->charged)
		return false;
	n = kbits_chain(job->owner, job->user_ns, keys);
	for (i = 0; i < n; i++)
		if (keys[i] == key)
			return true;
	return false;
}

/*
 * May @job count against the @n users @keys instead of those it counts
 * against now?  -EDQUOT when one of them would pass @lim->per_user,
 * -ENOSPC when the system would pass @lim->jobs.
 */
static int kbits_charge_check(const struct kbits_job *job,
			      const unsigned long *keys, int n,
			      const struct kbits_limits *lim)
{
	const struct kbits_user *u;
	unsigned int jobs;
	int i;

	lockdep_assert_held(&kbits_users_lock);
	for (i = 0; i < n; i++) {
		u = kbits_user_find(keys[i]);
		jobs = u ? u->jobs : 0;
		if (kbits_charged_to(job, keys[i]))
			jobs--;
		if (jobs >= lim->per_user)
			return -EDQUOT;
	}
	if (!job->charged && kbits_charged >= lim->jobs)
		return -ENOSPC;
	return 0;
}

/*
 * Counts @job, which counts against nobody now, against the @n users
 * @keys.  @spare[i] is a new entry for @keys[i], taken (set to NULL) when
 * that user has none yet.
 */
static void kbits_charge_locked(struct kbits_job *job,
				const unsigned long *keys, int n,
				struct kbits_user **spare)
{
	struct kbits_user *u;
	int i;

	lockdep_assert_held(&kbits_users_lock);
	for (i = 0; i < n; i++) {
		u = kbits_user_find(keys[i]);
		if (!u) {
			u = spare[i];
			spare[i] = NULL;
			u->key = keys[i];
			hash_add(kbits_users, &u->node, u->key);
		}
		u->jobs++;
	}
	kbits_charged++;
	job->charged = true;
}

/**
 * kbits_charge_to() - Give a job an owner, and move its count to that owner.
 * @job: the job: not visible to anyone else yet, or its lock held.
 * @owner: the new owner.
 * @ns: in: the new owner's user namespace, with a reference the caller gives up
 * on success; out on success: the job's old namespace (or NULL), with its
 * reference, for the caller to put.  Left alone on failure.
 * @force: IMPORT: the job existed before and counts even past the limits,
 * whoever calls.
 * @lim: the limits the move is checked against (the ioctls: kbits_limits_now();
 * kbits_kunit.ko: its own).
 *
 * Makes @owner the owner of @job, and moves the job's count against the limits
 * (see kbits_users) to the users kbits_chain() gives for @owner and *@ns.  The
 * job does not count at all when the caller has CAP_SYS_ADMIN in the initial
 * user namespace, unless @force; then nothing is checked, and a count the job
 * had is dropped.  @job->owner and @job->user_ns change under kbits_users_lock
 * (the owner with WRITE_ONCE(), for lockless readers), so that the job's count
 * always matches them; the caller holds @job->lock (or the job is its own),
 * which serialises changes of the owner.
 *
 * Context: Process context; may sleep (it allocates first), and takes
 * kbits_users_lock.
 * Return: 0; -ENOMEM; -EDQUOT when one of the new owner's users would pass
 * @lim->per_user; -ENOSPC when the system would pass @lim->jobs.  On failure
 * the job stays as it was.
 */
VISIBLE_IF_KUNIT int kbits_charge_to(struct kbits_job *job, kuid_t owner,
				     struct user_namespace **ns, bool force,
				     const struct kbits_limits *lim)
{
	bool exempt = !force && ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	struct kbits_user *spare[KBITS_CHAIN_MAX] = { };
	unsigned long keys[KBITS_CHAIN_MAX];
	int err = 0, i, n = 0;

	if (!exempt) {
		n = kbits_chain(owner, *ns, keys);
		for (i = 0; i < n; i++) {
			spare[i] = kzalloc(sizeof(*spare[i]),
					   GFP_KERNEL_ACCOUNT);
			if (!spare[i]) {
				err = -ENOMEM;
				goto out;
			}
		}
	}

	spin_lock(&kbits_users_lock);
	if (!exempt && !force)
		err = kbits_charge_check(job, keys, n, lim);
	if (!err) {
		kbits_uncharge_locked(job);
		WRITE_ONCE(job->owner, owner);
		swap(job->user_ns, *ns);
		if (!exempt)
			kbits_charge_locked(job, keys, n, spare);
	}
	spin_unlock(&kbits_users_lock);
out:
	for (i = 0; i < n; i++)
		kfree(spare[i]);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_charge_to);

/**
 * kbits_uncharge() - Drop a job's count against the limits.
 * @job: the job; its release calls this, and kbits_kunit.ko.
 *
 * Drops the count @job had, if any: a second call does nothing.  @job keeps its
 * owner and user namespace.
 *
 * Context: Takes kbits_users_lock, which the caller must not hold.
 */
VISIBLE_IF_KUNIT void kbits_uncharge(struct kbits_job *job)
{
	spin_lock(&kbits_users_lock);
	kbits_uncharge_locked(job);
	spin_unlock(&kbits_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_uncharge);

/* The limits the module's parameters set now. */
static struct kbits_limits kbits_limits_now(void)
{
	return (struct kbits_limits){
		.jobs = READ_ONCE(kbits_max_jobs),
		.per_user = READ_ONCE(kbits_max_jobs_per_user),
	};
}

#ifdef KBITS_KUNIT
/**
 * kbits_user_jobs() - How many jobs count against a user (for kbits_kunit.ko).
 * @key: the user's key (see kbits_users).
 * @all: out: how many jobs count at all.
 *
 * Context: Takes kbits_users_lock.
 * Return: the jobs counted against @key.
 */
unsigned int kbits_user_jobs(unsigned long key, unsigned int *all)
{
	const struct kbits_user *u;
	unsigned int jobs;

	spin_lock(&kbits_users_lock);
	u = kbits_user_find(key);
	jobs = u ? u->jobs : 0;
	*all = kbits_charged;
	spin_unlock(&kbits_users_lock);
	return jobs;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_user_jobs);
#endif

/**
 * kbits_job_cold() - A job's cold settings, made if it has none yet.
 * @job: the job, its lock held (or not yet seen by anyone else: IMPORT).
 *
 * For a caller about to set one of them: the struct starts all zero, as
 * kbits_cold() reads a job without one, and stays until the job is freed.
 *
 * Context: Process context; may sleep (it allocates).
 * Return: @job->cold; NULL when out of memory (then the job is unchanged).
 */
struct kbits_job_cold *kbits_job_cold(struct kbits_job *job)
{
	if (!job->cold)
		job->cold = kzalloc(sizeof(*job->cold), GFP_KERNEL_ACCOUNT);
	return job->cold;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_job_cold);

static void kbits_job_cold_free(struct kbits_job_cold *cold)
{
	if (!cold)
		return;
	kfree(cold->description);
	kfree(cold->error.text);
	kfree(cold->proxy_list);
	kfree(cold->proxy_bypass);
	kfree_sensitive(cold->http_headers);
	kfree(cold->notify_cmd);
	kbits_creds_free(cold->creds);
	kfree(cold->reply_file);
	kfree(cold);
}

/*
 * kfree_rcu() would not do: on Linux 6.1, rcu_barrier() does not wait for
 * its batches, so the cache could not be destroyed safely at unload.
 */
static void kbits_job_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(kbits_job_cache,
			container_of(rcu, struct kbits_job, rcu));
}

static void kbits_job_release(struct kref *ref)
{
	struct kbits_job *job = container_of(ref, struct kbits_job, ref);

	kbits_agent_forget(job);
	kbits_uncharge(job);
	put_user_ns(job->user_ns);
	path_put(&job->root);	/* none: nothing to put */
	if (job->net)
		put_net(job->net);
	kfree(job->display_name);
	kbits_job_cold_free(job->cold);
	kfree(job->events);
	kbits_job_free_files(job);
	mutex_destroy(&job->lock);
	/* off agent.c's list (kbits_agent_forget()): @rcu takes its room */
	call_rcu(&job->rcu, kbits_job_free_rcu);
}

/**
 * kbits_job_put() - Drop a reference on a job, and free it with the last.
 * @job: the job; the caller gives up one reference it held.
 *
 * The last reference frees the job: its records for the agent are dropped (a
 * final one, CANCELLED or COMPLETED, holds a reference of its own until the
 * agent reads it, so is never among them), its count against the limits is
 * dropped, its namespaces, root, strings, files and events are put and freed,
 * and the job itself is freed after an RCU grace period (call_rcu()), so that
 * a lookup that found it in the queue under RCU is safe.
 *
 * Context: Process context; may sleep when it drops the last reference (it puts
 * a path), so no spinlock may be held then; nor @job->lock, kbits_users_lock
 * or kbits_agent_events_lock, which the release takes, unless the caller holds
 * another reference.  kbits_agent_lock may be held (the agent's release drops
 * jobs under it).
 */
void kbits_job_put(struct kbits_job *job)
{
	kref_put(&job->ref, kbits_job_release);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_job_put);

/**
 * kbits_job_dequeue() - Take a job out of the queue, and drop its reference.
 * @job: the queued job; the caller holds a reference of its own.
 *
 * Called once per job, by whoever made it final (ACKNOWLEDGED or CANCELLED)
 * under its lock, after it dropped the lock: being final under the lock is what
 * makes the caller the only one.  Lookups hide a final job already, and an RCU
 * reader that found it in the table is safe until a grace period after its
 * release.  The job counts against its users until its last reference goes (its
 * last fd closed, the agent's record read).
 *
 * Context: Process context; may sleep.  @job->lock not held.
 */
void kbits_job_dequeue(struct kbits_job *job)
{
	rhashtable_remove_fast(&kbits_jobs, &job->node, kbits_job_params);
	xa_erase(&kbits_slots, job->slot);
	kbits_job_put(job);
}

/**
 * kbits_valid_utf8() - Is a string valid UTF-8 without NUL?
 * @s: the bytes.
 * @len: how many.
 *
 * Valid means shortest forms, no surrogates, nothing above U+10FFFF, and no NUL
 * byte (a NUL would end the string early for the agent and the user).
 *
 * Context: Any.
 * Return: true when @s is valid, false otherwise.
 */
bool kbits_valid_utf8(const u8 *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		u8 c = s[i];
		unsigned int n, cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (i++; n; n--, i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_valid_utf8);

/**
 * kbits_copy_string() - Copy in and check a string from userspace.
 * @ustr: the caller's string (no NUL needed).
 * @len: its length in bytes.
 * @max: the longest length accepted.
 *
 * The string is copied once and the copy is checked, so another thread of the
 * caller cannot change it after the check.  The empty string is valid.
 *
 * Context: Process context; may sleep, so no lock may be held.  The memory
 * counts against the caller's memory cgroup.
 * Return: the string, NUL-terminated, for the caller to kfree(); or
 * ERR_PTR(-ENAMETOOLONG) when @len > @max, ERR_PTR(-EFAULT), ERR_PTR(-ENOMEM),
 * ERR_PTR(-EINVAL) when it is not valid UTF-8 or holds a NUL
 * (kbits_valid_utf8()).
 */
char *kbits_copy_string(const char __user *ustr, u32 len, u32 max)
{
	char *str;

	if (len > max)
		return ERR_PTR(-ENAMETOOLONG);

	str = kmalloc(len + 1, GFP_KERNEL_ACCOUNT);
	if (!str)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(str, ustr, len)) {
		kfree(str);
		return ERR_PTR(-EFAULT);
	}
	str[len] = '\0';
	if (!kbits_valid_utf8(str, len)) {
		kfree(str);
		return ERR_PTR(-EINVAL);
	}
	return str;
}

/*
 * The longest length of the string @cmd (a GET or a SET of a display name,
 * description, custom HTTP headers or reply file) names.
 */
static u32 kbits_job_string_max(unsigned int cmd)
{
	switch (cmd) {
	case KBITS_JOB_IOC_GET_DISPLAY_NAME:
	case KBITS_JOB_IOC_SET_DISPLAY_NAME:
		return KBITS_DISPLAY_NAME_MAX;
	case KBITS_JOB_IOC_GET_DESCRIPTION:
	case KBITS_JOB_IOC_SET_DESCRIPTION:
		return KBITS_DESCRIPTION_MAX;
	case KBITS_JOB_IOC_GET_REPLY_FILE:
		return KBITS_LOCAL_NAME_MAX;
	default:
		return KBITS_HTTP_HEADERS_MAX;
	}
}

/*
 * The job's display name, description, custom HTTP headers or reply file, as
 * @cmd (a GET or a SET) names it, with @cold the job's cold settings; NULL
 * for one of those when @cold is NULL (the job has none of them).
 */
static char **kbits_job_string_field(struct kbits_job *job,
				     struct kbits_job_cold *cold,
				     unsigned int cmd)
{
	switch (cmd) {
	case KBITS_JOB_IOC_GET_DISPLAY_NAME:
	case KBITS_JOB_IOC_SET_DISPLAY_NAME:
		return &job->display_name;
	}
	if (!cold)
		return NULL;
	switch (cmd) {
	case KBITS_JOB_IOC_GET_DESCRIPTION:
	case KBITS_JOB_IOC_SET_DESCRIPTION:
		return &cold->description;
	case KBITS_JOB_IOC_GET_REPLY_FILE:
		return &cold->reply_file;
	default:
		return &cold->http_headers;
	}
}

static long kbits_job_get_string(struct kbits_job_fd *jf, unsigned int cmd,
				 struct kbits_job_string __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_string args;
	char *copy, *field, **fieldp;
	u32 len;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_STRING_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;
	if (cmd == KBITS_JOB_IOC_GET_REPLY_FILE &&
	    job->type != KBITS_JOB_TYPE_UPLOAD_REPLY)
		return -EOPNOTSUPP;	/* only an UPLOAD_REPLY job has one */

	/* A copy, so that no lock is held across the copy to userspace. */
	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	/* write-only headers: only the agent's EXPORT reads them */
	if (!err && cmd == KBITS_JOB_IOC_GET_HTTP_HEADERS &&
	    (job->flags & KBITS_JOB_HEADERS_WRITE_ONLY))
		err = -EPERM;
	fieldp = kbits_job_string_field(job, job->cold, cmd);
	field = fieldp ? *fieldp : NULL;
	copy = err ? NULL : kstrdup(field ?: "", GFP_KERNEL_ACCOUNT);
	mutex_unlock(&job->lock);
	if (err)
		return err;
	if (!copy)
		return -ENOMEM;
	/* No headers is not the same as empty ones (BITS: S_FALSE). */
	if (!field && (cmd == KBITS_JOB_IOC_GET_HTTP_HEADERS ||
		       cmd == KBITS_JOB_IOC_GET_REPLY_FILE)) {
		kfree(copy);
		return -ENODATA;
	}

	len = strlen(copy);
	if (put_user(len, &uarg->len))
		err = -EFAULT;
	else if (args.len < len + 1)
		err = -ERANGE;
	else if (copy_to_user(u64_to_user_ptr(args.buf), copy, len + 1))
		err = -EFAULT;
	kfree(copy);
	return err;
}

/*
 * SET_DISPLAY_NAME, SET_DESCRIPTION, SET_HTTP_HEADERS: headers must be
 * "Name: value" lines, and an empty string removes them.  Headers may hold
 * tokens: they are freed with kfree_sensitive(), and on an upload or a job
 * with secrets only a caller who may get the job sets them
 * (kbits_job_may_aim(): a Host header would send the owner's credentials
 * elsewhere).
 */
static long kbits_job_set_string(struct kbits_job_fd *jf, unsigned int cmd,
				 struct kbits_job_string __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_string args;
	char *str;
	bool headers;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_STRING_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;
	str = kbits_copy_string(u64_to_user_ptr(args.buf), args.len,
				kbits_job_string_max(cmd));
	if (IS_ERR(str))
		return PTR_ERR(str);
	headers = cmd == KBITS_JOB_IOC_SET_HTTP_HEADERS;
	if (headers && args.len && !kbits_http_headers_ok(str)) {
		kfree_sensitive(str);
		return -EINVAL;
	}
	if (headers && !args.len) {
		kfree(str);
		str = NULL;
	}

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (kbits_state_is_final(job->state)) {
		err = -EBADFD;
	} else if (headers && !kbits_job_may_aim(job)) {
		err = -EPERM;
	} else if (cmd != KBITS_JOB_IOC_SET_DISPLAY_NAME &&
		   !kbits_job_cold(job)) {
		err = -ENOMEM;
	} else {
		swap(*kbits_job_string_field(job, job->cold, cmd), str);
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
	mutex_unlock(&job->lock);
	kfree_sensitive(str);	/* the old string, or the new one on error */
	return err;
}

static long kbits_job_get_attr(struct kbits_job_fd *jf,
			       struct kbits_job_attr __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_attr args;
	u32 usize;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_ATTR_SIZE_VER0);
	if (err)
		return err;
	if (args.mask || args.flags)
		return -EINVAL;
	usize = args.size;

	memset(&args, 0, sizeof(args));
	args.size = min_t(u32, usize, sizeof(args));
	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	args.priority = job->priority;
	args.notify_flags = job->notify_flags;
	args.min_retry_delay = job->min_retry_delay;
	args.no_progress_timeout = job->no_progress_timeout;
	args.error_count = job->error_count;
	args.flags = job->flags;
	args.modification_time = job->mtime;
	args.completion_time = job->completion_time;
	args.max_download_time = job->max_download_time;
	args.transfer_time = kbits_job_transfer_time(job);
	mutex_unlock(&job->lock);
	if (err)
		return err;
	args.creation_time = job->ctime;

	return copy_to_user(uarg, &args, args.size) ? -EFAULT : 0;
}

#define KBITS_ATTR_ALL (KBITS_ATTR_PRIORITY | KBITS_ATTR_NOTIFY_FLAGS | \
			KBITS_ATTR_MIN_RETRY_DELAY | \
			KBITS_ATTR_NO_PROGRESS_TIMEOUT | KBITS_ATTR_FLAGS | \
			KBITS_ATTR_MAX_DOWNLOAD_TIME)

/* The fields of version 1 and later, which a smaller struct does not have. */
#define KBITS_ATTR_VER1 KBITS_ATTR_MAX_DOWNLOAD_TIME

static long kbits_job_set_attr(struct kbits_job_fd *jf,
			       struct kbits_job_attr __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_attr args;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_ATTR_SIZE_VER0);
	if (err)
		return err;
	if ((args.mask & ~KBITS_ATTR_ALL) ||
	    (args.flags & ~((args.mask & KBITS_ATTR_FLAGS) ?
			    KBITS_JOB_FLAGS_ALL : 0)))
		return -EINVAL;
	/* a field the caller's struct does not have cannot be set */
	if ((args.mask & KBITS_ATTR_VER1) &&
	    args.size < KBITS_JOB_ATTR_SIZE_VER1)
		return -EINVAL;
	if ((args.mask & KBITS_ATTR_PRIORITY) &&
	    args.priority > KBITS_PRIORITY_LOW)
		return -EINVAL;
	if ((args.mask & KBITS_ATTR_NOTIFY_FLAGS) &&
	    (args.notify_flags & ~KBITS_NOTIFY_ALL))
		return -EINVAL;
	if ((args.mask & KBITS_ATTR_MIN_RETRY_DELAY) &&
	    args.min_retry_delay < KBITS_MIN_RETRY_DELAY_MIN)
		return -EINVAL;
	if ((args.flags & KBITS_JOB_UPLOAD_POST) &&
	    job->type == KBITS_JOB_TYPE_DOWNLOAD)
		return -EINVAL;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err)
		goto out;
	if (kbits_state_is_final(job->state)) {
		err = -EBADFD;
		goto out;
	}
	/* write-only headers stay so (BITS: it cannot be undone) */
	if ((args.mask & KBITS_ATTR_FLAGS) &&
	    (job->flags & ~args.flags & KBITS_JOB_HEADERS_WRITE_ONLY)) {
		err = -EPERM;
		goto out;
	}
	if (args.mask & KBITS_ATTR_PRIORITY)
		job->priority = args.priority;
	if (args.mask & KBITS_ATTR_NOTIFY_FLAGS)
		job->notify_flags = args.notify_flags;
	if (args.mask & KBITS_ATTR_MIN_RETRY_DELAY)
		job->min_retry_delay = args.min_retry_delay;
	if (args.mask & KBITS_ATTR_NO_PROGRESS_TIMEOUT)
		job->no_progress_timeout = args.no_progress_timeout;
	if (args.mask & KBITS_ATTR_FLAGS)
		job->flags = args.flags;
	if (args.mask & KBITS_ATTR_MAX_DOWNLOAD_TIME)
		job->max_download_time = args.max_download_time;
	if (args.mask) {
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
out:
	mutex_unlock(&job->lock);
	return err;
}

/*
 * Sets the state of a job whose lock is held, as its user changes it, and
 * tells the agent (@event).
 */
static void kbits_job_set_state(struct kbits_job *job, u32 state, u32 event)
{
	kbits_job_enter_state(job, state);
	job->mtime = ktime_get_real_seconds();
	kbits_job_changed(job, event);
	/* A final job's readers get EOF, whatever its notify flags. */
	if (kbits_state_is_final(state))
		wake_up_interruptible_poll(&job->wait, EPOLLHUP);
}

/**
 * kbits_resume_state() - Where RESUME takes a job.
 * @state: the job's state.
 * @nr_files: its number of files.
 * @all_done: whether all of them are transferred.
 *
 * The user's side of the state machine, as pure rules on a job's state; the
 * ioctls apply them.  (The agent's side is agent.c's.)  A SUSPENDED, ERROR or
 * TRANSIENT_ERROR job, or a TRANSFERRED one that was given a file since, goes
 * to QUEUED; a job on its way already, or TRANSFERRED with nothing new, stays
 * in @state.
 *
 * Context: Any.
 * Return: the new state (@state when nothing changes), -ENODATA for a job
 * without files, -EBADFD for a final one.
 */
VISIBLE_IF_KUNIT int kbits_resume_state(u32 state, u32 nr_files,
					bool all_done)
{
	switch (state) {
	case KBITS_JOB_STATE_SUSPENDED:
	case KBITS_JOB_STATE_ERROR:
	case KBITS_JOB_STATE_TRANSIENT_ERROR:
	case KBITS_JOB_STATE_TRANSFERRED:
		if (!nr_files)
			return -ENODATA;
		if (state == KBITS_JOB_STATE_TRANSFERRED && all_done)
			return state;
		return KBITS_JOB_STATE_QUEUED;
	case KBITS_JOB_STATE_QUEUED:
	case KBITS_JOB_STATE_CONNECTING:
	case KBITS_JOB_STATE_TRANSFERRING:
		return state;
	default:
		return -EBADFD;
	}
}
EXPORT_SYMBOL_IF_KUNIT(kbits_resume_state);

/**
 * kbits_suspend_state() - Where SUSPEND takes a job.
 * @state: the job's state.
 *
 * Context: Any.
 * Return: SUSPENDED from any state but the final ones, -EBADFD from those.
 */
VISIBLE_IF_KUNIT int kbits_suspend_state(u32 state)
{
	return kbits_state_is_final(state) ? -EBADFD :
	       KBITS_JOB_STATE_SUSPENDED;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_suspend_state);

/**
 * kbits_owned_state() - Where TAKE_OWNERSHIP takes a job.
 * @state: the job's state, which is not final.
 *
 * A job the agent may work on (QUEUED, CONNECTING, TRANSFERRING,
 * TRANSIENT_ERROR) becomes SUSPENDED, so that nothing its old owner added is
 * transferred with the new owner's rights before the new owner resumes it; any
 * other stays in @state.
 *
 * Context: Any.
 * Return: the new state.
 */
VISIBLE_IF_KUNIT u32 kbits_owned_state(u32 state)
{
	switch (state) {
	case KBITS_JOB_STATE_QUEUED:
	case KBITS_JOB_STATE_CONNECTING:
	case KBITS_JOB_STATE_TRANSFERRING:
	case KBITS_JOB_STATE_TRANSIENT_ERROR:
		return KBITS_JOB_STATE_SUSPENDED;
	default:
		return state;
	}
}
EXPORT_SYMBOL_IF_KUNIT(kbits_owned_state);

/**
 * kbits_may_complete() - May COMPLETE end a job?
 * @type: the job's type.
 * @state: its state.
 *
 * Context: Any.
 * Return: true for a download job in any state but the final ones, and for an
 * upload job once TRANSFERRED; false otherwise.
 */
VISIBLE_IF_KUNIT bool kbits_may_complete(u32 type, u32 state)
{
	return !kbits_state_is_final(state) &&
	       (type == KBITS_JOB_TYPE_DOWNLOAD ||
		state == KBITS_JOB_STATE_TRANSFERRED);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_may_complete);

/* Resume (BITS: Resume): kbits_resume_state(). */
static long kbits_job_resume(struct kbits_job_fd *jf)
{
	struct kbits_job *job = jf->job;
	long err;
	int next;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (!err && job->completing)
		err = -EBUSY;
	if (err) {
		mutex_unlock(&job->lock);
		return err;
	}
	next = kbits_resume_state(job->state, job->nr_files,
				  job->state == KBITS_JOB_STATE_TRANSFERRED &&
				  kbits_job_all_files_done(job));
	if (next < 0) {
		err = next;
	} else if (next != job->state &&
		   job->type == KBITS_JOB_TYPE_UPLOAD_REPLY &&
		   !kbits_cold(job)->reply_file) {
		err = -EDESTADDRREQ;	/* nowhere to put the reply */
	} else if (next != job->state) {
		/* BITS: Resume resets the time against the maximum */
		kbits_job_set_transfer_time(job, 0);
		kbits_job_set_state(job, next, KBITS_EVENT_QUEUED);
	}
	mutex_unlock(&job->lock);
	return err;
}

/* Suspend (BITS: Suspend), from any state but the final ones. */
static long kbits_job_suspend(struct kbits_job_fd *jf)
{
	struct kbits_job *job = jf->job;
	long err;
	int next;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err)
		goto out;
	next = kbits_suspend_state(job->state);
	if (next < 0)
		err = next;
	else if (job->completing)
		err = -EBUSY;
	else if (next != job->state)
		kbits_job_set_state(job, next, KBITS_EVENT_SUSPENDED);
out:
	mutex_unlock(&job->lock);
	return err;
}

/**
 * kbits_job_acknowledge() - Make a job ACKNOWLEDGED, with its finished files.
 * @job: the job, which may complete (kbits_may_complete()), its lock held.
 *
 * Drops the files that did not finish, makes the job ACKNOWLEDGED (final),
 * tells the agent and the job fds (KBITS_EVENT_COMPLETED), and wakes the fds'
 * readers for their EOF.  The caller then takes the job out of the queue with
 * kbits_job_dequeue(), once it dropped the lock.  COMPLETE calls it, or the
 * agent's PLACED when the agent placed the files.
 *
 * Context: @job->lock held.
 * Return: KBITS_COMPLETE_PARTIAL when it dropped files, 0 when every file was
 * finished: what COMPLETE returns.
 */
long kbits_job_acknowledge(struct kbits_job *job)
{
	long ret = kbits_job_drop_unfinished(job) ? KBITS_COMPLETE_PARTIAL : 0;

	kbits_job_set_state(job, KBITS_JOB_STATE_ACKNOWLEDGED,
			    KBITS_EVENT_COMPLETED);
	return ret;
}

/**
 * kbits_job_finish_completion() - End the COMPLETE that waits for the agent.
 * @job: the job, which is completing (@job->completing), its lock held.
 * @result: what that COMPLETE returns: 0 or KBITS_COMPLETE_PARTIAL (see
 * kbits_job_acknowledge()), or a negative errno.
 *
 * Ends the wait for the agent to place @job's files, and gives the waiting
 * COMPLETE @result; when that COMPLETE was killed meanwhile, just ends the wait
 * (the agent went on alone).  The agent's PLACED calls this, and the agent's
 * detaching, with -EAGAIN.
 *
 * Context: @job->lock held.
 */
void kbits_job_finish_completion(struct kbits_job *job, long result)
{
	lockdep_assert_held(&job->lock);
	job->completing = false;
	if (job->completer) {
		job->completer->result = result;
		WRITE_ONCE(job->completer->done, true);
		job->completer = NULL;
	}
	wake_up_all(&job->wait);	/* the COMPLETE sleeps killable */
}

/*
 * Complete (BITS: Complete): the job is ACKNOWLEDGED and leaves the queue.
 * A download job may be completed in any state but the final ones and keeps
 * only its finished files (then KBITS_COMPLETE_PARTIAL, as BITS's
 * BG_S_PARTIAL_COMPLETE); an upload job only once TRANSFERRED.
 *
 * An agent attached with KBITS_AGENT_PLACES_FILES that took the job has
 * its files under temporary names: it is sent COMPLETING, and this waits
 * (killable, no lock held) for its PLACED, which makes the job ACKNOWLEDGED
 * once the files are at their local names, or fails.  -EAGAIN when no such
 * agent is attached (or it detaches meanwhile), -EBUSY while another
 * COMPLETE of the job waits.
 */
static long kbits_job_complete(struct kbits_job_fd *jf)
{
	struct kbits_job *job = jf->job;
	struct kbits_completion c = { };
	long ret;

	mutex_lock(&job->lock);
	ret = kbits_job_fd_check(jf);
	if (!ret && !kbits_may_complete(job->type, job->state))
		ret = -EBADFD;
	else if (!ret && job->completing)
		ret = -EBUSY;
	else if (!ret && job->agent_places && !kbits_agent_places_files())
		ret = -EAGAIN;
	if (ret) {
		mutex_unlock(&job->lock);
		return ret;
	}
	if (!job->agent_places) {
		ret = kbits_job_acknowledge(job);
		mutex_unlock(&job->lock);
		kbits_job_dequeue(job);
		return ret;
	}
	job->completing = true;
	job->completer = &c;
	kbits_agent_notify(job, KBITS_EVENT_COMPLETING);
	mutex_unlock(&job->lock);

	/* killable, and freezable: a suspend must not wait for the agent */
	wait_event_state(job->wait, READ_ONCE(c.done),
			 (TASK_KILLABLE | TASK_FREEZABLE));

	mutex_lock(&job->lock);
	if (job->completer == &c)	/* killed: the agent goes on alone */
		job->completer = NULL;
	ret = c.done ? c.result : -EINTR;
	mutex_unlock(&job->lock);
	return ret;
}

static int kbits_job_file(struct kbits_job *job, u64 owner_gen,
			  struct file **filep);

/* Is @ns the caller's user namespace, or one below it? */
static bool kbits_ns_below_caller(const struct user_namespace *ns)
{
	const struct user_namespace *mine = current_user_ns();

	while (ns->level > mine->level)
		ns = ns->parent;
	return ns == mine;
}

/*
 * May the caller act on @job as an administrator?  As the kernel asks of an
 * inode (capable_wrt_inode_uidgid()): CAP_SYS_ADMIN in the job's user
 * namespace (so the caller's is that one or above it), and the job's owner
 * mapped into the caller's.  @audit is false where this only filters a
 * listing.  The job's lock is held.
 */
static bool kbits_admin_over(const struct kbits_job *job, bool audit)
{
	lockdep_assert_held(&job->lock);
	if (!kbits_ns_below_caller(job->user_ns) ||
	    !kuid_has_mapping(current_user_ns(), job->owner))
		return false;
	return audit ? ns_capable(job->user_ns, CAP_SYS_ADMIN) :
		       ns_capable_noaudit(job->user_ns, CAP_SYS_ADMIN);
}

/**
 * kbits_job_here() - Is the caller where a job is?
 * @job: the job, its lock held (TAKE_OWNERSHIP changes its root and network
 * namespace under it).
 *
 * Where a job is: its owner's root directory and network namespace, as they
 * were when the owner created the job or took it over.
 *
 * Context: Process context: it looks at current's; takes current->fs->lock.
 * Return: true when the caller's network namespace and root directory are
 * @job's; false otherwise, and for a job without namespaces (imported from a
 * record made in others).
 */
bool kbits_job_here(const struct kbits_job *job)
{
	struct fs_struct *fs = current->fs;
	bool same;

	if (!job->net || !net_eq(job->net, current->nsproxy->net_ns))
		return false;	/* none (an imported foreign job), or others */
	spin_lock(&fs->lock);
	same = path_equal(&fs->root, &job->root);
	spin_unlock(&fs->lock);
	return same;
}

/*
 * Is the caller @job's owner, where the job is: in its user namespace or
 * above, with its root directory and network namespace?  A sandbox of the
 * owner's does not get the owner's other jobs.  A job without namespaces
 * (imported from others: it cannot run until taken over) is its owner's
 * from anywhere in its user namespace.  The job's lock is held.
 */
static bool kbits_is_owner_here(const struct kbits_job *job)
{
	lockdep_assert_held(&job->lock);
	return kbits_ns_below_caller(job->user_ns) &&
	       uid_eq(current_euid(), job->owner) &&
	       (!job->net || kbits_job_here(job));
}

/**
 * kbits_may_get() - May the caller have a job?
 * @job: the job, its lock held.
 * @audit: a refusal is worth an audit record (the caller asked for it).
 *
 * Its owner may (kbits_is_owner_here()), and so may an administrator over it
 * (kbits_admin_over()).  GET_JOB asks this; so does SET_NOTIFY_CMD, whose
 * command runs as the owner, of whoever holds the fd now.
 *
 * Context: @job->lock held: TAKE_OWNERSHIP changes what this looks at.
 * Return: true when the caller may, false otherwise.
 */
bool kbits_may_get(const struct kbits_job *job, bool audit)
{
	return kbits_is_owner_here(job) || kbits_admin_over(job, audit);
}

/*
 * TAKE_OWNERSHIP (BITS: TakeOwnership): the caller becomes the job's owner,
 * and the job moves to the caller's user namespace, root directory and
 * network namespace.  It needs to be an administrator over the job
 * (kbits_may_get(), kbits_admin_over()).  The job's count against the
 * limits moves to the new owner, within its limits, unless that one is
 * exempt from them.  Every fd of the job is revoked, @jf's included (its
 * copies may be anywhere): the caller gets a new one.  A job the agent may
 * work on (QUEUED, CONNECTING, TRANSFERRING, TRANSIENT_ERROR) becomes
 * SUSPENDED, so that nothing its old owner added is transferred with the
 * new owner's rights before the new owner resumes it; for the same reason
 * its notify command, which runs as the owner, is removed, and its files'
 * modes, from the old owner's umask, are cut to 0600 at most (the reply
 * file's too).  As BITS's TakeOwnership, the old owner's secrets go: its
 * credentials and custom headers (write-only or not) are removed.
 */
static long kbits_job_take_ownership(struct kbits_job_fd *jf)
{
	struct kbits_job *job = jf->job;
	struct kbits_limits lim = kbits_limits_now();
	struct kbits_job_fd *new_jf;
	struct user_namespace *ns;
	char *notify_cmd = NULL, *headers = NULL;
	struct kbits_cred *creds = NULL;
	struct file *file;
	struct path root;
	struct net *net;
	long err;
	int fd;
	u32 i;

	/* The new fd, made first: it is installed once nothing can fail. */
	kref_get(&job->ref);
	fd = kbits_job_file(job, 0, &file);
	if (fd < 0) {
		kbits_job_put(job);
		return fd;
	}
	new_jf = file->private_data;

	ns = get_user_ns(current_user_ns());
	get_fs_root(current->fs, &root);
	net = get_net(current->nsproxy->net_ns);
	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err)
		goto out;
	if (!kbits_admin_over(job, true)) {
		err = -EPERM;
		goto out;
	}
	if (kbits_state_is_final(job->state)) {
		err = -EBADFD;
		goto out;
	}
	if (job->completing) {
		err = -EBUSY;
		goto out;
	}
	err = kbits_charge_to(job, current_euid(), &ns, false, &lim);
	if (err)
		goto out;
	swap(job->root, root);
	swap(job->net, net);
	/*
	 * The old owner's command does not run as the new one, and the modes
	 * the old owner's umask gave its files are no wider than 0600 now.
	 * Nor are the old owner's secrets sent for the new one.  (A job without
	 * cold settings has no command, reply file, credentials or headers.)
	 */
	for (i = 0; i < job->nr_files; i++)
		job->files[i].mode &= 0600;
	if (job->cold) {
		swap(job->cold->notify_cmd, notify_cmd);
		job->cold->notify_cmd_len = 0;
		job->cold->reply_mode &= 0600;
		swap(job->cold->creds, creds);
		swap(job->cold->http_headers, headers);
	}
	job->flags &= ~KBITS_JOB_HEADERS_WRITE_ONLY;
	new_jf->owner_gen = job->owner_gen + 1;
	WRITE_ONCE(job->owner_gen, job->owner_gen + 1);
	kbits_job_revoked(job);
	if (kbits_owned_state(job->state) != job->state) {
		kbits_job_set_state(job, kbits_owned_state(job->state),
				    KBITS_EVENT_SUSPENDED);
	} else {
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
out:
	mutex_unlock(&job->lock);
	kfree(notify_cmd);
	kfree_sensitive(headers);
	kbits_creds_free(creds);
	put_user_ns(ns);	/* the job's old ones, or the caller's */
	path_put(&root);
	if (net)
		put_net(net);
	if (err) {
		fput(file);
		put_unused_fd(fd);
		return err;
	}
	fd_install(fd, file);
	return fd;
}

/*
 * GET_ERROR (BITS: GetError): -ENOMSG when the job has had no error.  Its
 * flags say KBITS_ERROR_HTTP when the code is an HTTP status; on the way in
 * they must be 0, as the reserved field they were.
 */
static long kbits_job_get_error(struct kbits_job_fd *jf,
				struct kbits_job_error __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_error args;
	char *text = NULL;
	u32 len;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_ERROR_SIZE_VER0);
	if (err)
		return err;
	/*
	 * The bits this call reports may come back in a struct it filled
	 * before (a caller that reuses it); any other bit is refused.
	 */
	if (args.flags & ~KBITS_ERROR_HTTP)
		return -EINVAL;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (kbits_cold(job)->error.context == KBITS_ERROR_CONTEXT_NONE) {
		err = -ENOMSG;
	} else {
		args.context = job->cold->error.context;
		args.code = job->cold->error.code;
		args.flags = job->cold->error.flags;
		args.file_index = job->cold->error.file_index;
		text = kstrdup(job->cold->error.text ?: "", GFP_KERNEL_ACCOUNT);
		if (!text)
			err = -ENOMEM;
	}
	mutex_unlock(&job->lock);
	if (err)
		return err;

	len = strlen(text);
	if (put_user(len, &uarg->text_len))
		err = -EFAULT;
	else if (args.text_len < len + 1)
		err = -ERANGE;
	else if (copy_to_user(u64_to_user_ptr(args.text), text, len + 1) ||
		 put_user(args.context, &uarg->context) ||
		 put_user(args.code, &uarg->code) ||
		 put_user(args.file_index, &uarg->file_index) ||
		 put_user(args.flags, &uarg->flags))
		err = -EFAULT;
	kfree(text);
	return err;
}

/*
 * Cancels @job (through @jf, or the reaper's NULL): -EACCES when @jf is
 * revoked, -EBADFD when it is final already, or, when @only_idle,
 * when its user changed it after @idle_since or the agent is working on it;
 * -EBUSY while a COMPLETE waits for the agent to place its files.
 */
static long __kbits_job_cancel(struct kbits_job *job, struct kbits_job_fd *jf,
			       bool only_idle, time64_t idle_since)
{
	long err;

	mutex_lock(&job->lock);
	err = jf ? kbits_job_fd_check(jf) : 0;
	if (!err && job->completing)
		err = -EBUSY;
	if (err) {
		mutex_unlock(&job->lock);
		return err;
	}
	if (kbits_state_is_final(job->state) ||
	    (only_idle && (job->mtime > idle_since ||
			   job->state == KBITS_JOB_STATE_CONNECTING ||
			   job->state == KBITS_JOB_STATE_TRANSFERRING))) {
		mutex_unlock(&job->lock);
		return -EBADFD;
	}
	kbits_job_set_state(job, KBITS_JOB_STATE_CANCELLED,
			    KBITS_EVENT_CANCELLED);
	mutex_unlock(&job->lock);

	kbits_job_dequeue(job);
	return 0;
}

static long kbits_job_cancel(struct kbits_job_fd *jf)
{
	return __kbits_job_cancel(jf->job, jf, false, 0);
}

/**
 * kbits_job_cancel_idle() - Cancel a job its user left alone (the reaper).
 * @job: the job; the caller holds a reference.
 * @idle_since: the wall-clock time (seconds) after which a change by its user
 * keeps the job.
 *
 * Cancels @job, as CANCEL does, and takes it out of the queue, unless it is
 * final already, its user changed it after @idle_since, the agent is working on
 * it (CONNECTING or TRANSFERRING), or a COMPLETE waits for the agent to place
 * its files.  BITS cancels a job left alone for 90 days.
 *
 * Context: Process context; may sleep; takes @job->lock.
 */
void kbits_job_cancel_idle(struct kbits_job *job, time64_t idle_since)
{
	__kbits_job_cancel(job, NULL, true, idle_since);
}

/**
 * kbits_job_fd_check() - Is a job fd still valid?
 * @jf: the job fd.
 *
 * A job fd is valid while it is as new as its job's last TAKE_OWNERSHIP
 * (@jf->owner_gen), which revokes every older one.  A caller that goes on to
 * change the job, or to read what its owner set, calls this with the job's lock
 * held: TAKE_OWNERSHIP moves the generation under that lock, so it cannot come
 * between the check and the act.
 *
 * Context: Any; see above for the lock.
 * Return: 0 when @jf is valid, -EACCES when it is revoked.
 */
int kbits_job_fd_check(const struct kbits_job_fd *jf)
{
	return READ_ONCE(jf->owner_gen) == READ_ONCE(jf->job->owner_gen) ?
	       0 : -EACCES;
}

/* Is @cmd one of the job fd's ioctls? */
static bool kbits_job_cmd_known(unsigned int cmd)
{
	switch (cmd) {
	case KBITS_JOB_IOC_GET_ID:
	case KBITS_JOB_IOC_GET_TYPE:
	case KBITS_JOB_IOC_GET_STATE:
	case KBITS_JOB_IOC_GET_OWNER:
	case KBITS_JOB_IOC_GET_DISPLAY_NAME:
	case KBITS_JOB_IOC_GET_DESCRIPTION:
	case KBITS_JOB_IOC_GET_HTTP_HEADERS:
	case KBITS_JOB_IOC_SET_DISPLAY_NAME:
	case KBITS_JOB_IOC_SET_DESCRIPTION:
	case KBITS_JOB_IOC_SET_HTTP_HEADERS:
	case KBITS_JOB_IOC_GET_PROXY:
	case KBITS_JOB_IOC_SET_PROXY:
	case KBITS_JOB_IOC_GET_ATTR:
	case KBITS_JOB_IOC_SET_ATTR:
	case KBITS_JOB_IOC_ADD_FILES:
	case KBITS_JOB_IOC_GET_FILE:
	case KBITS_JOB_IOC_GET_PROGRESS:
	case KBITS_JOB_IOC_RESUME:
	case KBITS_JOB_IOC_SUSPEND:
	case KBITS_JOB_IOC_COMPLETE:
	case KBITS_JOB_IOC_GET_ERROR:
	case KBITS_JOB_IOC_TAKE_OWNERSHIP:
	case KBITS_JOB_IOC_CANCEL:
	case KBITS_JOB_IOC_GET_NOTIFY_CMD:
	case KBITS_JOB_IOC_SET_NOTIFY_CMD:
	case KBITS_JOB_IOC_SET_CREDENTIALS:
	case KBITS_JOB_IOC_GET_CREDENTIALS:
	case KBITS_JOB_IOC_GET_REPLY_FILE:
	case KBITS_JOB_IOC_SET_REPLY_FILE:
		return true;
	default:
		return false;
	}
}

static long kbits_job_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct kbits_job_fd *jf = file->private_data;
	struct kbits_job *job = jf->job;
	void __user *uarg = (void __user *)arg;

	/* Its GUID is what a revoked fd may still tell. */
	if (cmd == KBITS_JOB_IOC_GET_ID)
		return copy_to_user(uarg, &job->id, sizeof(job->id)) ?
		       -EFAULT : 0;
	/* unknown commands: -ENOTTY, revoked or not */
	if (kbits_job_fd_check(jf) && kbits_job_cmd_known(cmd))
		return -EACCES;

	switch (cmd) {
	case KBITS_JOB_IOC_GET_TYPE:
		return put_user(job->type, (u32 __user *)uarg);
	case KBITS_JOB_IOC_GET_STATE:
		return put_user(READ_ONCE(job->state), (u32 __user *)uarg);
	case KBITS_JOB_IOC_GET_OWNER:
		return put_user(from_kuid_munged(current_user_ns(),
						 READ_ONCE(job->owner)),
				(u32 __user *)uarg);
	case KBITS_JOB_IOC_GET_DISPLAY_NAME:
	case KBITS_JOB_IOC_GET_DESCRIPTION:
	case KBITS_JOB_IOC_GET_HTTP_HEADERS:
		return kbits_job_get_string(jf, cmd, uarg);
	case KBITS_JOB_IOC_SET_DISPLAY_NAME:
	case KBITS_JOB_IOC_SET_DESCRIPTION:
	case KBITS_JOB_IOC_SET_HTTP_HEADERS:
		return kbits_job_set_string(jf, cmd, uarg);
	case KBITS_JOB_IOC_GET_NOTIFY_CMD:
		return kbits_job_get_notify_cmd(jf, uarg);
	case KBITS_JOB_IOC_SET_NOTIFY_CMD:
		return kbits_job_set_notify_cmd(jf, uarg);
	case KBITS_JOB_IOC_SET_CREDENTIALS:
		return kbits_job_set_credentials(jf, uarg);
	case KBITS_JOB_IOC_GET_CREDENTIALS:
		return kbits_job_get_credentials(jf, uarg);
	case KBITS_JOB_IOC_GET_REPLY_FILE:
		return kbits_job_get_string(jf, cmd, uarg);
	case KBITS_JOB_IOC_SET_REPLY_FILE:
		return kbits_job_set_reply_file(jf, uarg);
	case KBITS_JOB_IOC_GET_PROXY:
		return kbits_job_get_proxy(jf, uarg);
	case KBITS_JOB_IOC_SET_PROXY:
		return kbits_job_set_proxy(jf, uarg);
	case KBITS_JOB_IOC_GET_ATTR:
		return kbits_job_get_attr(jf, uarg);
	case KBITS_JOB_IOC_SET_ATTR:
		return kbits_job_set_attr(jf, uarg);
	case KBITS_JOB_IOC_ADD_FILES:
		return kbits_job_add_files(jf, uarg);
	case KBITS_JOB_IOC_GET_FILE:
		return kbits_job_get_file(jf, uarg);
	case KBITS_JOB_IOC_GET_PROGRESS:
		return kbits_job_get_progress(jf, uarg);
	case KBITS_JOB_IOC_RESUME:
		return kbits_job_resume(jf);
	case KBITS_JOB_IOC_SUSPEND:
		return kbits_job_suspend(jf);
	case KBITS_JOB_IOC_COMPLETE:
		return kbits_job_complete(jf);
	case KBITS_JOB_IOC_GET_ERROR:
		return kbits_job_get_error(jf, uarg);
	case KBITS_JOB_IOC_TAKE_OWNERSHIP:
		return kbits_job_take_ownership(jf);
	case KBITS_JOB_IOC_CANCEL:
		return kbits_job_cancel(jf);
	default:
		return -ENOTTY;
	}
}

static int kbits_job_fd_release(struct inode *inode, struct file *file)
{
	struct kbits_job_fd *jf = file->private_data;
	struct kbits_job *job = jf->job;

	/* A file never given its job (kbits_job_file_new()) has nothing else. */
	if (job) {
		mutex_lock(&job->lock);
		/* no fd is left to read the events: a new one starts after them */
		if (!--job->nr_fds) {
			kfree(job->events);
			job->events = NULL;
		}
		mutex_unlock(&job->lock);
		kbits_job_put(job);
	}
	kfree(jf);
	return 0;
}

static void kbits_job_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kbits_job_fd *jf = file->private_data;
	struct kbits_job *job = jf->job;

	seq_printf(m, "kbits-id:\t{%pUl}\n", &job->id);
	if (kbits_job_fd_check(jf)) {
		seq_puts(m, "kbits-revoked:\t1\n");
		return;
	}
	seq_printf(m, "kbits-owner:\t%u\n",
		   from_kuid_munged(seq_user_ns(m), READ_ONCE(job->owner)));
	seq_printf(m, "kbits-type:\t%s\n", kbits_type_names[job->type]);
	seq_printf(m, "kbits-state:\t%s\n",
		   kbits_state_names[READ_ONCE(job->state)]);
}

static const struct file_operations kbits_job_fops = {
	.owner = THIS_MODULE,
	.release = kbits_job_fd_release,
	.unlocked_ioctl = kbits_job_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.read = kbits_job_read,
	.poll = kbits_job_poll,
	.show_fdinfo = kbits_job_show_fdinfo,
	.llseek = no_llseek,
};

/*
 * Makes a job fd's file, without its job yet: kbits_job_file_attach() gives it
 * one.  The fd is reserved but not installed: the caller installs it once
 * nothing else can fail, or else calls fput() and put_unused_fd().  Until it
 * has its job, the file holds no reference, and its release only frees it.
 */
static int kbits_job_file_new(struct file **filep)
{
	struct kbits_job_fd *jf;
	struct file *file;
	int fd;

	jf = kzalloc(sizeof(*jf), GFP_KERNEL_ACCOUNT);
	if (!jf)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(jf);
		return fd;
	}
	file = anon_inode_getfile(KBITS_JOB_INODE_NAME, &kbits_job_fops, jf,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kfree(jf);
		return PTR_ERR(file);
	}
	/*
	 * The fd reads the job's events from its own cursor (events.c): a
	 * stream, so that readers never wait on f_pos_lock.
	 */
	stream_open(file_inode(file), file);
	*filep = file;
	return fd;
}

/*
 * Gives a file from kbits_job_file_new() its job, @job: the file takes over a
 * reference the caller held.  The fd is valid while the job's owner_gen is
 * @owner_gen: the one its caller's right to the job was checked against.  It
 * reads the job's events from now on.  Under the job's lock: the ring is made
 * and freed by the count of fds (events.c).
 */
static void kbits_job_file_attach(struct file *file, struct kbits_job *job,
				  u64 owner_gen)
{
	struct kbits_job_fd *jf = file->private_data;

	lockdep_assert_held(&job->lock);
	jf->job = job;
	jf->owner_gen = owner_gen;
	jf->cursor = job->event_seq;
	job->nr_fds++;
}

/*
 * Makes a job fd for @job, valid while the job's owner_gen is @owner_gen.
 * On success the file owns one reference the caller held.  The fd is
 * reserved but not installed, as kbits_job_file_new() says.
 */
static int kbits_job_file(struct kbits_job *job, u64 owner_gen,
			  struct file **filep)
{
	int fd;

	fd = kbits_job_file_new(filep);
	if (fd < 0)
		return fd;
	mutex_lock(&job->lock);
	kbits_job_file_attach(*filep, job, owner_gen);
	mutex_unlock(&job->lock);
	return fd;
}

/**
 * kbits_job_alloc() - Allocate a job, owned by the caller.
 * @name: its display name, NUL-terminated; the job owns it on success.
 * @type: its type, an enum kbits_job_type (checked by the caller).
 *
 * The job has one reference, the caller's; it is in no queue, has no GUID (all
 * zeros) and counts against nobody yet.  Its owner is the caller's effective
 * uid, in the caller's user namespace, with the caller's root directory and
 * network namespace (references taken on each).  It is SUSPENDED, without
 * files, with the default settings, created and modified now.  kbits_job_put()
 * frees it.
 *
 * Context: Process context; may sleep.
 * Return: the job, or NULL when out of memory (then @name is still the
 * caller's).
 */
struct kbits_job *kbits_job_alloc(char *name, u32 type)
{
	struct kbits_job *job;

	job = kmem_cache_zalloc(kbits_job_cache, GFP_KERNEL);
	if (!job)
		return NULL;
	kref_init(&job->ref);
	mutex_init(&job->lock);
	init_waitqueue_head(&job->wait);
	INIT_LIST_HEAD(&job->agent_node);
	job->owner = current_euid();
	job->user_ns = get_user_ns(current_user_ns());
	get_fs_root(current->fs, &job->root);
	job->net = get_net(current->nsproxy->net_ns);
	job->type = type;
	job->state = KBITS_JOB_STATE_SUSPENDED;
	job->ctime = ktime_get_real_seconds();
	job->mtime = job->ctime;
	job->display_name = name;
	job->priority = KBITS_PRIORITY_NORMAL;
	job->notify_flags = KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR;
	job->min_retry_delay = KBITS_MIN_RETRY_DELAY_DEFAULT;
	job->no_progress_timeout = KBITS_NO_PROGRESS_TIMEOUT_DEFAULT;
	job->max_download_time = KBITS_MAX_DOWNLOAD_TIME_DEFAULT;
	return job;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_job_alloc);

/* A collision of 122 random bits is not expected; a few tries are plenty. */
#define KBITS_GUID_TRIES 4

/* Reserves @job's walk slot: a reserved slot is invisible to ENUM_JOBS. */
static int kbits_slot_reserve(struct kbits_job *job)
{
	int err = xa_alloc_cyclic(&kbits_slots, &job->slot, NULL, xa_limit_32b,
				  &kbits_next_slot, GFP_KERNEL_ACCOUNT);

	return err == -EBUSY ? -ENOSPC : min(err, 0);
}

/*
 * Puts @job, whose slot is reserved, in the table under its GUID (-EEXIST
 * when that one is taken), and then in its slot, under job->lock: a walk
 * never sees a job whose GUID is not final, and a CANCEL (which takes
 * job->lock) never empties a slot before it is filled.
 */
static int kbits_job_insert(struct kbits_job *job)
{
	int err;

	mutex_lock(&job->lock);
	err = rhashtable_lookup_insert_fast(&kbits_jobs, &job->node,
					    kbits_job_params);
	if (!err) /* into a reserved slot: needs no memory */
		WARN_ON(xa_is_err(xa_store(&kbits_slots, job->slot, job,
					   GFP_KERNEL)));
	mutex_unlock(&job->lock);
	return err;
}

/* The table's own errors (-EBUSY while it must grow first, ...): -EAGAIN. */
static int kbits_table_error(int err)
{
	return err == -EFAULT || err == -ENOMEM || err == -EEXIST ? err : -EAGAIN;
}

/*
 * Gives @job its GUID, copies it to @id_out and puts the job in the queue.
 */
static int kbits_job_enqueue(struct kbits_job *job, guid_t __user *id_out)
{
	int err, try;

	err = kbits_slot_reserve(job);
	if (err)
		return err;

	for (try = 1; ; try++) {
		guid_gen(&job->id);
		if (copy_to_user(id_out, &job->id, sizeof(job->id))) {
			err = -EFAULT;
			break;
		}
		err = kbits_job_insert(job);
		if (err != -EEXIST || try == KBITS_GUID_TRIES)
			break;
	}
	if (!err)
		return 0;

	xa_release(&kbits_slots, job->slot);
	return kbits_table_error(err == -EEXIST ? -EAGAIN : err);
}

/* Counts @job against the users of its owner (see kbits_charge_to()). */
static int kbits_charge(struct kbits_job *job, bool force)
{
	struct kbits_limits lim = kbits_limits_now();
	struct user_namespace *ns = get_user_ns(job->user_ns);
	int err;

	err = kbits_charge_to(job, job->owner, &ns, force, &lim);
	put_user_ns(ns);
	return err;
}

/**
 * kbits_job_import() - Put a job made from a record in the queue (IMPORT).
 * @job: the job kbits_record_parse() made, with the record's GUID; the caller's
 * reference becomes the queue's on success.
 * @exempt: the record says it counts against nobody (KBITS_RECORD_EXEMPT).
 *
 * Counts @job against its owner's users, past the limits (it existed before),
 * unless @exempt, and puts it in the queue under the record's GUID.  The agent
 * is not told: it imported the job itself.
 *
 * Context: Process context; may sleep; takes @job->lock.
 * Return: 0; -EEXIST when a queued job has that GUID; -ENOSPC when no walk slot
 * is left; -ENOMEM; -EAGAIN on the table's transient errors.  On failure the
 * caller puts the job, which drops its count.
 */
int kbits_job_import(struct kbits_job *job, bool exempt)
{
	int err;

	if (!exempt) {
		err = kbits_charge(job, true);
		if (err)
			return err;
	}
	err = kbits_slot_reserve(job);
	if (err)
		return err;
	err = kbits_job_insert(job);
	if (!err)
		return 0;
	xa_release(&kbits_slots, job->slot);
	return kbits_table_error(err);
}

/**
 * kbits_create_job() - CREATE_JOB: make a job, and an fd for it.
 * @uname: the display name, in userspace.
 * @name_len: its length in bytes (KBITS_DISPLAY_NAME_MAX at most).
 * @type: an enum kbits_job_type.
 * @id_out: where in userspace the job's new GUID goes.
 *
 * The job belongs to the caller (kbits_job_alloc()), counts against the
 * caller's limits unless the caller has CAP_SYS_ADMIN in the initial user
 * namespace, and is SUSPENDED without files.  It gets a random GUID, which is
 * copied to @id_out before the job is queued; the agent is told
 * (KBITS_EVENT_CREATED), and the fd installed last.  The job fd holds the job's
 * first reference, the queue the second.
 *
 * Context: Process context; may sleep; no lock held.
 * Return: the new job fd (O_CLOEXEC), or a negative errno: -EINVAL for an
 * unknown @type; kbits_copy_string()'s errors for the name; -EDQUOT or -ENOSPC
 * past the limits (kbits_charge_to()), -ENOSPC also when no walk slot is left;
 * -EFAULT when @id_out cannot be written; -EAGAIN when no unused GUID was
 * found, or the table is busy; -ENOMEM, -EMFILE and the like.
 */
int kbits_create_job(const char __user *uname, u32 name_len, u32 type,
		     guid_t __user *id_out)
{
	struct kbits_job *job;
	struct file *file;
	char *name;
	int fd, err;

	if (type > KBITS_JOB_TYPE_UPLOAD_REPLY)
		return -EINVAL;

	name = kbits_copy_string(uname, name_len, KBITS_DISPLAY_NAME_MAX);
	if (IS_ERR(name))
		return PTR_ERR(name);

	job = kbits_job_alloc(name, type);
	if (!job) {
		kfree(name);
		return -ENOMEM;
	}

	/* Counted until freed: its release uncounts it. */
	err = kbits_charge(job, false);
	if (err)
		goto err_put;

	fd = kbits_job_file(job, 0, &file);
	if (fd < 0) {
		err = fd;
		goto err_put;
	}

	/* The file owns the job's first reference; this one is the queue's. */
	kref_get(&job->ref);
	err = kbits_job_enqueue(job, id_out);
	if (err) {
		kbits_job_put(job);
		fput(file);
		put_unused_fd(fd);
		return err;
	}

	kbits_agent_notify(job, KBITS_EVENT_CREATED);
	fd_install(fd, file);
	return fd;

err_put:
	kbits_job_put(job);
	return err;
}

/**
 * kbits_job_lookup() - Find a queued job by its GUID, with a reference.
 * @id: the GUID.
 *
 * Walks the queue under RCU and takes its reference with
 * kref_get_unless_zero(), without a global lock.  A final job, being taken out
 * of the queue, is not found.
 *
 * Context: Process context; may sleep (it may drop the last reference of a job
 * that turned final meanwhile).
 * Return: the job, with a reference for the caller to put with kbits_job_put();
 * NULL when no queued job that is not final has @id.
 */
struct kbits_job *kbits_job_lookup(const guid_t *id)
{
	struct kbits_job *job;

	rcu_read_lock();
	job = rhashtable_lookup(&kbits_jobs, id, kbits_job_params);
	if (job && !kref_get_unless_zero(&job->ref))
		job = NULL;
	rcu_read_unlock();

	/* A job being cancelled is no longer in the queue for callers. */
	if (job && kbits_state_is_final(READ_ONCE(job->state))) {
		kbits_job_put(job);
		job = NULL;
	}
	return job;
}

/**
 * kbits_get_job() - GET_JOB: an fd for a queued job the caller may have.
 * @id: the job's GUID.
 *
 * The caller may have the job when it is its owner where the job is: in the
 * job's user namespace or one above it, with the job's root directory and
 * network namespace (a job without namespaces: from anywhere in its user
 * namespace or above).  Or when it is an administrator over the job:
 * CAP_SYS_ADMIN in the job's user namespace, and the owner mapped into the
 * caller's.  The fd is valid for the owner that was checked: a TAKE_OWNERSHIP
 * after the check revokes it.
 *
 * Context: Process context; may sleep; takes the job's lock.
 * Return: the new job fd (O_CLOEXEC), which holds the lookup's reference;
 * -ENOENT when no queued job has @id (or it is final); -EACCES when the caller
 * may not have it; -ENOMEM, -EMFILE and the like (the fd is made before the
 * check, so these come first).
 */
int kbits_get_job(const guid_t *id)
{
	struct kbits_job *job;
	struct file *file;
	bool allowed;
	int fd;

	job = kbits_job_lookup(id);
	if (!job)
		return -ENOENT;
	/*
	 * The file is made first, so that the check and the fd's start are one
	 * section under the job's lock: the fd is valid for the owner checked
	 * (TAKE_OWNERSHIP waits for the lock), and a refusal only throws the
	 * file away.
	 */
	fd = kbits_job_file_new(&file);
	if (fd < 0) {
		kbits_job_put(job);
		return fd;
	}
	mutex_lock(&job->lock);
	allowed = kbits_may_get(job, true);
	if (allowed)
		kbits_job_file_attach(file, job, job->owner_gen);
	mutex_unlock(&job->lock);
	if (!allowed) {
		fput(file);
		put_unused_fd(fd);
		kbits_job_put(job);
		return -EACCES;
	}
	fd_install(fd, file);
	return fd;
}

/*
 * ENUM_JOBS looks at this many jobs at most in one call, so that a call's
 * time is bounded whatever the queue's size (the caller calls again, from
 * the cursor), and at this many in one RCU read section, between which it
 * may reschedule.
 */
#define KBITS_ENUM_SCAN_MAX	65536
#define KBITS_ENUM_SCAN_BATCH	1024

/*
 * Takes a reference on up to @max queued jobs from slot *@index on, in slot
 * order, and moves *@index past the last one, looking at *@budget jobs at
 * most (it counts them down).  With @owner it takes only the jobs whose owner
 * that is now: an owner's walk passes the others' jobs without taking a
 * reference or a lock (the check under the job's lock decides).  Returns how
 * many it took; *@end tells whether the walk reached the last slot.
 */
static u32 kbits_jobs_from_slot(unsigned long *index, struct kbits_job **jobs,
				u32 max, const kuid_t *owner, u32 *budget,
				bool *end)
{
	struct kbits_job *job;
	u32 n = 0;

	*end = false;
	rcu_read_lock();
	for (job = xa_find(&kbits_slots, index, U32_MAX, XA_PRESENT);
	     job && n < max && *budget;
	     job = xa_find_after(&kbits_slots, index, U32_MAX, XA_PRESENT)) {
		--*budget;
		if (owner && !uid_eq(READ_ONCE(job->owner), *owner))
			continue;
		if (kref_get_unless_zero(&job->ref))
			jobs[n++] = job;
	}
	rcu_read_unlock();

	if (job)		/* stopped at a job it had no room for */
		return n;
	*end = true;
	return n;
}

/**
 * kbits_enum_jobs() - ENUM_JOBS: list the queued jobs the caller may see.
 * @args: the caller's arguments, copied in and checked: @args->cursor is where
 * to go on from, @args->count the most GUIDs wanted; on success both are
 * updated for the caller to copy back.
 * @uids: where in userspace the GUIDs go.
 *
 * Lists, in walk-slot order, the jobs that are not final whose owner the caller
 * is, where the job is; with KBITS_ENUM_ALL_USERS (CAP_SYS_ADMIN in the
 * caller's user namespace) those it may get (kbits_get_job()), without auditing
 * the capability checks.  At most KBITS_ENUM_MAX per call, from at most
 * KBITS_ENUM_SCAN_MAX jobs looked at: a call may list fewer, even none, before
 * the end, and its time does not grow with the queue.  The cursor survives
 * between calls (jobs queued meanwhile may or may not be seen); it becomes
 * KBITS_ENUM_END once the walk reached the last slot.  With @args->count 0, or
 * the cursor KBITS_ENUM_END, nothing is listed and the cursor stays.
 *
 * Context: Process context; may sleep; takes each job's lock in turn, none
 * across the copy to userspace.
 * Return: 0; -EACCES for KBITS_ENUM_ALL_USERS without the capability; -EINVAL
 * for a cursor that no call returned (above U32_MAX, but KBITS_ENUM_END);
 * -ENOMEM; -EFAULT.
 */
int kbits_enum_jobs(struct kbits_enum_jobs *args,
		    struct kbits_job_id __user *uids)
{
	bool all = args->flags & KBITS_ENUM_ALL_USERS;
	u32 want = min_t(u32, args->count, KBITS_ENUM_MAX);
	unsigned long index = args->cursor;
	u32 scan = KBITS_ENUM_SCAN_MAX, batch, left;
	kuid_t euid = current_euid();
	struct kbits_job **jobs;
	guid_t *ids;
	bool end = false;
	u32 n = 0, got, i;
	int err = 0;

	/* and then lists the jobs whose owners map into its namespace */
	if (all && !ns_capable(current_user_ns(), CAP_SYS_ADMIN))
		return -EACCES;
	if (args->cursor > U32_MAX && args->cursor != KBITS_ENUM_END)
		return -EINVAL;	/* no call returned it, whatever @count is */
	if (args->cursor == KBITS_ENUM_END || !want) {
		args->count = 0;
		return 0;
	}

	ids = kvmalloc_array(want, sizeof(*ids), GFP_KERNEL_ACCOUNT);
	jobs = kvmalloc_array(want, sizeof(*jobs), GFP_KERNEL_ACCOUNT);
	if (!ids || !jobs) {
		err = -ENOMEM;
		goto out;
	}

	while (n < want && !end && scan) {
		batch = min_t(u32, scan, KBITS_ENUM_SCAN_BATCH);
		left = batch;
		got = kbits_jobs_from_slot(&index, jobs, want - n,
					   all ? NULL : &euid, &left, &end);
		scan -= batch - left;
		/* The checks below may sleep: they run outside RCU. */
		for (i = 0; i < got; i++) {
			struct kbits_job *job = jobs[i];

			mutex_lock(&job->lock);
			if (!kbits_state_is_final(job->state) &&
			    (all ? kbits_may_get(job, false) :
				   kbits_is_owner_here(job)))
				ids[n++] = job->id;
			mutex_unlock(&job->lock);
			kbits_job_put(job);
		}
		cond_resched();
	}

	if (copy_to_user(uids, ids, n * sizeof(*ids))) {
		err = -EFAULT;
		goto out;
	}
	args->count = n;
	args->cursor = end ? KBITS_ENUM_END : index;
out:
	kvfree(jobs);
	kvfree(ids);
	return err;
}

static_assert(sizeof(struct kbits_agent_job_ns) ==
	      KBITS_AGENT_JOB_NS_SIZE_VER0);

/**
 * kbits_agent_job_ns() - JOB_NS: an fd for a job's root or network namespace.
 * @uarg: the agent's struct kbits_agent_job_ns: the job's GUID and the kind.
 *
 * The root directory or the network namespace its owner had when it created the
 * job or took it over (for an imported job, those of the agent that imported
 * it), for the agent to do the job's I/O in.  The root is opened O_PATH |
 * O_DIRECTORY, with the agent's credentials.  The job's lock is held only to
 * take references on them.
 *
 * Context: Process context (the agent fd's ioctl); may sleep.
 * Return: the new fd (O_CLOEXEC); -EINVAL for bad flags, reserved bits or kind;
 * -ENOENT when no queued job has the GUID (or it is final); -ESTALE for a job
 * without namespaces (imported from a record made in others, until an
 * administrator takes it over); kbits_copy_args()'s errors, and -EMFILE,
 * -ENOMEM and the like.
 */
long kbits_agent_job_ns(struct kbits_agent_job_ns __user *uarg)
{
	struct kbits_agent_job_ns args;
	struct kbits_job *job;
	struct file *file;
	struct path root;
	struct net *net;
	int err, fd;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_AGENT_JOB_NS_SIZE_VER0);
	if (err)
		return err;
	if (args.flags || args.reserved || args.kind > KBITS_JOB_NS_NET)
		return -EINVAL;
	job = kbits_job_lookup((const guid_t *)args.id);
	if (!job)
		return -ENOENT;
	mutex_lock(&job->lock);
	root = job->root;
	net = job->net;
	if (net) {
		path_get(&root);
		get_net(net);
	}
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	if (!net)
		return -ESTALE;	/* imported from other namespaces */

	if (args.kind == KBITS_JOB_NS_NET) {
		fd = open_related_ns(&net->ns, get_net_ns);
		goto out;
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto out;
	file = dentry_open(&root, O_PATH | O_DIRECTORY, current_cred());
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto out;
	}
	fd_install(fd, file);
out:
	path_put(&root);
	put_net(net);
	return fd;
}

/**
 * kbits_jobs_for_each() - Call a function on every queued job.
 * @fn: the function; it gets a job with a reference held (and put after it
 * returns), and no lock.
 *
 * Walks the queue in slot order, a batch of jobs at a time, taken under RCU;
 * @fn runs outside RCU, and may sleep, take the job's lock and even dequeue the
 * job.  A job may be final by the time @fn looks at it (being taken out of the
 * queue): @fn checks under the job's lock.  Jobs queued or dequeued during the
 * walk may or may not be visited.  The reaper and the agent's detaching use it.
 *
 * Context: Process context; may sleep.  The caller must not hold a job's lock.
 */
void kbits_jobs_for_each(void (*fn)(struct kbits_job *job))
{
	struct kbits_job *jobs[16];
	unsigned long index = 0;
	bool end = false;
	u32 n, i;

	u32 budget;

	while (!end) {
		budget = KBITS_ENUM_SCAN_BATCH;
		n = kbits_jobs_from_slot(&index, jobs, ARRAY_SIZE(jobs), NULL,
					 &budget, &end);
		for (i = 0; i < n; i++) {
			fn(jobs[i]);
			kbits_job_put(jobs[i]);
		}
		cond_resched();
	}
}

/**
 * kbits_jobs_init() - Make the queue and the jobs' cache, at module init.
 *
 * Context: Module init.
 * Return: 0; -ENOMEM, or rhashtable_init()'s negative errno.
 */
int kbits_jobs_init(void)
{
	int err;

	kbits_job_cache = KMEM_CACHE(kbits_job, SLAB_ACCOUNT);
	if (!kbits_job_cache)
		return -ENOMEM;
	err = rhashtable_init(&kbits_jobs, &kbits_job_params);
	if (err)
		kmem_cache_destroy(kbits_job_cache);
	return err;
}

static void kbits_job_free_queued(void *ptr, void *arg)
{
	kbits_job_put(ptr);
}

/**
 * kbits_jobs_exit() - Free the queue and every job still in it, at unload.
 *
 * Description: Called after /dev/kbits is gone and the reaper stopped, when no
 * fd is open (each holds the module): the queue's reference is then every job's
 * last, and a job that counts against a user is a leak (it warns).  The jobs'
 * cache is destroyed after rcu_barrier(): RCU callbacks free the last jobs.
 *
 * Context: Module exit; may sleep.
 */
void kbits_jobs_exit(void)
{
	rhashtable_free_and_destroy(&kbits_jobs, kbits_job_free_queued, NULL);
	xa_destroy(&kbits_slots);
	WARN_ON_ONCE(kbits_charged);
	rcu_barrier();	/* the jobs' kbits_job_free_rcu() */
	kmem_cache_destroy(kbits_job_cache);
}
