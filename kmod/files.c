// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's files (BITS: AddFile, AddFileSet, EnumFiles) and its
 * progress.  Names are copied from userspace and checked before the job's
 * lock is taken; the lock is held only to look at or change the array.
 */
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kbits.h"

static_assert(sizeof(struct kbits_file_spec) == KBITS_FILE_SPEC_SIZE_VER1);
static_assert(offsetof(struct kbits_file_spec, flags) ==
	      KBITS_FILE_SPEC_SIZE_VER0);

static void kbits_file_free(struct kbits_file *f)
{
	kfree(f->remote);
	kfree(f->local);
}

/**
 * kbits_job_free_files() - Free every file of a job.
 * @job: the job, which nothing else can reach any more (its release, or a job
 * of kbits_kunit.ko's).
 *
 * Leaves the job without files.
 *
 * Context: Process context; may sleep.  No lock needed, as nothing else can
 * reach @job.
 */
void kbits_job_free_files(struct kbits_job *job)
{
	u32 i;

	for (i = 0; i < job->nr_files; i++) {
		kbits_file_free(&job->files[i]);
		cond_resched();	/* an imported job may have 65536 files */
	}
	kvfree(job->files);
	job->files = NULL;
	job->nr_files = 0;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_job_free_files);

/**
 * kbits_job_all_files_done() - Are all of a job's files transferred?
 * @job: the job, its lock held.
 *
 * Context: @job->lock held.
 * Return: true when every file is complete, and for a job without files (the
 * callers that care check that apart); false otherwise.
 */
bool kbits_job_all_files_done(const struct kbits_job *job)
{
	u32 i;

	lockdep_assert_held(&job->lock);
	for (i = 0; i < job->nr_files; i++)
		if (!job->files[i].completed)
			return false;
	return true;
}

/**
 * kbits_file_flags() - A file's KBITS_FILE_* flags, as GET_FILE and EXPORT
 * give them.
 * @f: the file, its job's lock held.
 *
 * Context: Its job's lock held.
 * Return: KBITS_FILE_COMPLETED and KBITS_FILE_SHA256 where they hold.
 */
u32 kbits_file_flags(const struct kbits_file *f)
{
	return (f->completed ? KBITS_FILE_COMPLETED : 0) |
	       (f->has_sha256 ? KBITS_FILE_SHA256 : 0);
}

/**
 * kbits_job_drop_unfinished() - Drop the files of a job that did not finish.
 * @job: the job, its lock held.
 *
 * Keeps the completed files, in their order (COMPLETE keeps only those, as BITS
 * does); the array keeps its size.
 *
 * Context: @job->lock held.
 * Return: how many files it dropped.
 */
u32 kbits_job_drop_unfinished(struct kbits_job *job)
{
	u32 i, kept = 0;

	lockdep_assert_held(&job->lock);
	for (i = 0; i < job->nr_files; i++) {
		if (job->files[i].completed)
			job->files[kept++] = job->files[i];
		else
			kbits_file_free(&job->files[i]);
	}
	i = job->nr_files - kept;
	job->nr_files = kept;
	return i;
}

/* Does @s start with @prefix, in any case? */
static bool kbits_has_prefix(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

/**
 * kbits_remote_name_ok() - May a file have this remote name?
 * @s: the name, NUL-terminated.
 *
 * A remote name is an absolute path, a file:// URL of one, or an http:// or
 * https:// URL with something after the scheme (in any case).  Only the form is
 * checked: the agent resolves it.
 *
 * Context: Any.
 * Return: true when @s has one of those forms, false otherwise.
 */
VISIBLE_IF_KUNIT bool kbits_remote_name_ok(const char *s)
{
	if (s[0] == '/')
		return true;
	if (kbits_has_prefix(s, "file://"))
		return s[7] == '/';
	if (kbits_has_prefix(s, "http://"))
		return s[7] != '\0';
	if (kbits_has_prefix(s, "https://"))
		return s[8] != '\0';
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_remote_name_ok);

/**
 * kbits_file_names_ok() - May a file have these names?
 * @remote: its remote name (kbits_remote_name_ok()).
 * @local: its local name, which must be an absolute path.
 *
 * ADD_FILES and IMPORT check every file with this.  Only the form is checked:
 * the agent resolves the names, in the job's root directory.
 *
 * Context: Any.
 * Return: true when both names have the forms a file's may, false otherwise.
 */
bool kbits_file_names_ok(const char *remote, const char *local)
{
	return kbits_remote_name_ok(remote) && local[0] == '/';
}
EXPORT_SYMBOL_IF_KUNIT(kbits_file_names_ok);

/**
 * kbits_file_sha256_ok() - May a file have these digest flags and bytes?
 * @flags: its KBITS_FILE_* flags as given (a spec's, or a record's).
 * @sha256: its digest bytes.
 * @type: its job's enum kbits_job_type.
 *
 * A digest is a download's only (the agent checks what it fetched), and is
 * never all zero: that is a digest left out, not one of any content.
 * Without KBITS_FILE_SHA256 the bytes must be zero.
 *
 * Context: Any.
 * Return: true when the flag and the bytes go together, false otherwise.
 */
bool kbits_file_sha256_ok(u32 flags, const u8 *sha256, u32 type)
{
	bool zero = !memchr_inv(sha256, 0, KBITS_SHA256_SIZE);

	if (!(flags & KBITS_FILE_SHA256))
		return zero;
	return type == KBITS_JOB_TYPE_DOWNLOAD && !zero;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_file_sha256_ok);

/*
 * Copies and checks one file spec of @size bytes (its names, its digest) of
 * a job of @type into @f, with the mode the caller's umask gives it.  A
 * digest needs the whole of version 1's spec.
 */
static int kbits_file_from_spec(struct kbits_file *f,
				const struct kbits_file_spec *spec, u32 size,
				u32 type)
{
	char *remote, *local;

	if (!spec->remote_len || !spec->local_len ||
	    (spec->flags & ~KBITS_FILE_SHA256) || spec->reserved ||
	    ((spec->flags & KBITS_FILE_SHA256) &&
	     size < KBITS_FILE_SPEC_SIZE_VER1) ||
	    !kbits_file_sha256_ok(spec->flags, spec->sha256, type))
		return -EINVAL;
	remote = kbits_copy_string(u64_to_user_ptr(spec->remote),
				   spec->remote_len, KBITS_REMOTE_NAME_MAX);
	if (IS_ERR(remote))
		return PTR_ERR(remote);
	local = kbits_copy_string(u64_to_user_ptr(spec->local),
				  spec->local_len, KBITS_LOCAL_NAME_MAX);
	if (IS_ERR(local)) {
		kfree(remote);
		return PTR_ERR(local);
	}
	if (!kbits_file_names_ok(remote, local)) {
		kfree(remote);
		kfree(local);
		return -EINVAL;
	}
	f->remote = remote;
	f->local = local;
	f->bytes_total = KBITS_SIZE_UNKNOWN;
	f->bytes_transferred = 0;
	f->completed = false;
	f->has_sha256 = spec->flags & KBITS_FILE_SHA256;
	memcpy(f->sha256, spec->sha256, KBITS_SHA256_SIZE);
	f->mode = 0666 & ~current_umask();
	return 0;
}

/**
 * kbits_job_add_files() - ADD_FILES: add files to a job.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_add_files: an array of struct
 * kbits_file_spec, of @uarg->entry_size bytes each.
 *
 * As BITS's AddFile and AddFileSet: all the files or none.  Every spec and name
 * is copied in and checked before the job's lock is taken (a larger spec than
 * we know must end in zeros); the lock is held only to grow the array.  Each
 * file keeps its expected SHA-256, if the spec has one, and the mode the
 * caller's umask gives a new file (0666 & ~umask), which the agent places it
 * with; when the caller is not one who may get the job now (an fd holder the
 * owner handed it to), no wider than 0600, since the files are placed as the
 * owner.  A job
 * may have max_files_per_job files in all (KBITS_FILES_PER_JOB_LIMIT at most),
 * an upload or upload-reply job one.  The state does not change: a TRANSFERRED
 * job given files stays so until its user resumes it.  On success the job's
 * modification time moves, and the agent and the job fds are told
 * (KBITS_EVENT_MODIFIED).
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copies from userspace.
 * Return: 0; -EINVAL for nonzero flags, no files, an entry size below version
 * 0's or above a page, an empty or malformed name (kbits_file_names_ok()), a
 * spec with a flag but KBITS_FILE_SHA256, a nonzero reserved field, digest
 * bytes without that flag, or a digest that is all zero, shorter than version
 * 1's spec, or not a download's;
 * -E2BIG past the job's limit of files (checked before anything is copied, and
 * again with the files the job has), or for a spec with nonzero bytes we do not
 * know; kbits_copy_string()'s errors for a name; -EACCES when @jf is revoked;
 * -EBADFD when the job is final; -EBUSY while a COMPLETE waits for the agent to
 * place its files; -EPERM when the caller may not get the job and it is an
 * upload or has secrets (kbits_job_may_aim()); -ENOMEM; kbits_copy_args()'s
 * errors and -EFAULT.
 */
long kbits_job_add_files(struct kbits_job_fd *jf,
			 struct kbits_add_files __user *uarg)
{
	u32 max = min_t(u32, READ_ONCE(kbits_max_files_per_job),
			KBITS_FILES_PER_JOB_LIMIT);
	struct kbits_job *job = jf->job;
	struct kbits_file *new, *grown;
	struct kbits_add_files args;
	struct kbits_file_spec spec;
	const u8 __user *uspecs;
	u32 i, n = 0;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_ADD_FILES_SIZE_VER0);
	if (err)
		return err;
	if (args.flags || !args.count ||
	    args.entry_size < KBITS_FILE_SPEC_SIZE_VER0 ||
	    args.entry_size > PAGE_SIZE)
		return -EINVAL;
	/* More than a job may hold is refused before anything is copied. */
	if (args.count > max ||
	    (job->type != KBITS_JOB_TYPE_DOWNLOAD && args.count > 1))
		return -E2BIG;

	/* kv*: max_files_per_job is root's to raise, and may be large. */
	new = kvcalloc(args.count, sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	uspecs = u64_to_user_ptr(args.files);
	for (n = 0; n < args.count; n++) {
		err = copy_struct_from_user(&spec, sizeof(spec),
					    uspecs + (size_t)n * args.entry_size,
					    args.entry_size);
		if (!err)
			err = kbits_file_from_spec(&new[n], &spec,
						   args.entry_size, job->type);
		if (err)
			goto out;
	}

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (kbits_state_is_final(job->state)) {
		err = -EBADFD;
	} else if (job->completing) {
		err = -EBUSY;
	} else if (!kbits_job_may_aim(job)) {
		err = -EPERM;
	} else if (job->nr_files + args.count > max ||
		   (job->type != KBITS_JOB_TYPE_DOWNLOAD &&
		    job->nr_files + args.count > 1)) {
		err = -E2BIG;
	} else {
		grown = kvrealloc(job->files, job->nr_files * sizeof(*grown),
				  (job->nr_files + args.count) * sizeof(*grown),
				  GFP_KERNEL_ACCOUNT);
		if (!grown) {
			err = -ENOMEM;
		} else {
			/*
			 * The umask is the owner's say: a holder of an fd
			 * the owner handed over gets files no wider than 0600.
			 */
			if (!kbits_may_get(job, false))
				for (i = 0; i < args.count; i++)
					new[i].mode &= 0600;
			memcpy(grown + job->nr_files, new,
			       args.count * sizeof(*new));
			job->files = grown;
			job->nr_files += args.count;
			job->mtime = ktime_get_real_seconds();
			kbits_job_changed(job, KBITS_EVENT_MODIFIED);
			n = 0;	/* the job owns the names now */
		}
	}
	mutex_unlock(&job->lock);
out:
	for (i = 0; i < n; i++)
		kbits_file_free(&new[i]);
	kvfree(new);
	return err;
}

/**
 * kbits_job_get_file() - GET_FILE: a file of a job, its names and progress.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_file, with the file's index.
 *
 * Writes each name's length (without NUL) to its field, and, when both buffers
 * are long enough, the names (NUL-terminated), the sizes and the flags, and
 * for a caller of KBITS_JOB_FILE_SIZE_VER1 or more the mode and the digest.
 * The names are copied under the job's lock, and copied out after.  A final
 * job still tells.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copies to userspace.
 * Return: 0; -EINVAL for a nonzero @reserved or @reserved2; -EACCES when @jf
 * is revoked;
 * -ENXIO for an index past the job's files; -ERANGE when a buffer is too short
 * for its name and NUL (the lengths are written); -ENOMEM; kbits_copy_args()'s
 * errors and -EFAULT.
 */
long kbits_job_get_file(struct kbits_job_fd *jf,
			struct kbits_job_file __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_file args;
	char *remote = NULL, *local = NULL;
	u8 sha256[KBITS_SHA256_SIZE] = {};
	u64 total = 0, done = 0;
	u32 flags = 0, mode = 0, rlen, llen;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_FILE_SIZE_VER0);
	if (err)
		return err;
	/* out fields (a reused struct's) are ignored, as the sizes always were */
	if (args.reserved || args.reserved2)
		return -EINVAL;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (args.index >= job->nr_files) {
		err = -ENXIO;
	} else {
		struct kbits_file *f = &job->files[args.index];

		remote = kstrdup(f->remote, GFP_KERNEL_ACCOUNT);
		local = kstrdup(f->local, GFP_KERNEL_ACCOUNT);
		total = f->bytes_total;
		done = f->bytes_transferred;
		flags = kbits_file_flags(f);
		mode = f->mode;
		memcpy(sha256, f->sha256, sizeof(sha256));
		if (!remote || !local)
			err = -ENOMEM;
	}
	mutex_unlock(&job->lock);
	if (err)
		goto out;

	rlen = strlen(remote);
	llen = strlen(local);
	if (put_user(rlen, &uarg->remote_len) ||
	    put_user(llen, &uarg->local_len)) {
		err = -EFAULT;
		goto out;
	}
	if (args.remote_len < rlen + 1 || args.local_len < llen + 1) {
		err = -ERANGE;
		goto out;
	}
	if (copy_to_user(u64_to_user_ptr(args.remote), remote, rlen + 1) ||
	    copy_to_user(u64_to_user_ptr(args.local), local, llen + 1) ||
	    put_user(total, &uarg->bytes_total) ||
	    put_user(done, &uarg->bytes_transferred) ||
	    put_user(flags, &uarg->flags))
		err = -EFAULT;
	else if (args.size >= KBITS_JOB_FILE_SIZE_VER1 &&
		 (put_user(mode, &uarg->mode) ||
		  copy_to_user(uarg->sha256, sha256, sizeof(sha256))))
		err = -EFAULT;
out:
	kfree(remote);
	kfree(local);
	return err;
}

/**
 * kbits_add_sat() - Add two byte counts, saturating short of "unknown".
 * @a: a count.
 * @b: another.
 *
 * Context: Any.
 * Return: @a + @b, or at most U64_MAX - 1: a sum never reads as
 * KBITS_SIZE_UNKNOWN.
 */
VISIBLE_IF_KUNIT u64 kbits_add_sat(u64 a, u64 b)
{
	u64 sum;

	if (check_add_overflow(a, b, &sum) || sum == KBITS_SIZE_UNKNOWN)
		return KBITS_SIZE_UNKNOWN - 1;
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_add_sat);

/**
 * kbits_job_get_progress() - GET_PROGRESS: a job's progress over all its files.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_progress (fixed size, no size field).
 *
 * The sums of the files' sizes and bytes transferred (saturating: see
 * kbits_add_sat()), the total KBITS_SIZE_UNKNOWN while any file's size is
 * unknown, and the counts of files and of complete ones.  A final job still
 * tells.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copy to userspace.
 * Return: 0; -EACCES when @jf is revoked; -EFAULT.
 */
long kbits_job_get_progress(struct kbits_job_fd *jf,
			    struct kbits_job_progress __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_progress p = {};
	int err;
	u32 i;

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	for (i = 0; !err && i < job->nr_files; i++) {
		const struct kbits_file *f = &job->files[i];

		if (f->bytes_total == KBITS_SIZE_UNKNOWN ||
		    p.bytes_total == KBITS_SIZE_UNKNOWN)
			p.bytes_total = KBITS_SIZE_UNKNOWN;
		else
			p.bytes_total = kbits_add_sat(p.bytes_total,
						      f->bytes_total);
		p.bytes_transferred = kbits_add_sat(p.bytes_transferred,
						    f->bytes_transferred);
		p.files_transferred += f->completed;
	}
	p.files_total = job->nr_files;
	mutex_unlock(&job->lock);
	if (err)
		return err;

	return copy_to_user(uarg, &p, sizeof(p)) ? -EFAULT : 0;
}

/*
 * Is the reply of a job in @state on its way to, or at, its reply file?  The
 * agent writes it beside the name it read when the run began, and places it
 * from there: the name may not change under it.
 */
static bool kbits_reply_taken(u32 state)
{
	return state == KBITS_JOB_STATE_CONNECTING ||
	       state == KBITS_JOB_STATE_TRANSFERRING ||
	       state == KBITS_JOB_STATE_TRANSFERRED;
}

/**
 * kbits_job_set_reply_file() - SET_REPLY_FILE: set or remove an UPLOAD_REPLY
 * job's reply file name.
 * @jf: the job fd.
 * @uarg: the caller's struct kbits_job_string: @len bytes at @buf, an
 * absolute path, or @len 0 to remove it.
 *
 * The agent writes the reply there as the owner, so the name is checked as a
 * file's local name is, only a caller who may get the job now may set it (an
 * upload: kbits_job_may_aim()), and the reply gets the mode a file that
 * caller added now would: 0666 & ~ its umask.
 *
 * Context: Process context; may sleep.  Takes the job's lock, not across the
 * copy from userspace.
 * Return: 0; -EOPNOTSUPP for a job of another type; -EINVAL for a nonzero
 * reserved field or a name that is not an absolute path;
 * kbits_copy_string()'s errors (-ENAMETOOLONG past KBITS_LOCAL_NAME_MAX);
 * -EACCES when @jf is revoked; -EPERM when the caller may not get the job;
 * -EBADFD while the agent transfers the job or once it is TRANSFERRED (the
 * reply is on its way to the name, or there), and when the job is final;
 * -EBUSY while a COMPLETE waits for the agent to place its files; -ENOMEM;
 * kbits_copy_args()'s errors and -EFAULT.
 */
long kbits_job_set_reply_file(struct kbits_job_fd *jf,
			      struct kbits_job_string __user *uarg)
{
	struct kbits_job *job = jf->job;
	struct kbits_job_string args;
	u16 mode = 0666 & ~current_umask();
	char *name = NULL;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_JOB_STRING_SIZE_VER0);
	if (err)
		return err;
	if (args.reserved)
		return -EINVAL;
	if (job->type != KBITS_JOB_TYPE_UPLOAD_REPLY)
		return -EOPNOTSUPP;
	if (args.len) {
		name = kbits_copy_string(u64_to_user_ptr(args.buf), args.len,
					 KBITS_LOCAL_NAME_MAX);
		if (IS_ERR(name))
			return PTR_ERR(name);
		if (name[0] != '/') {
			kfree(name);
			return -EINVAL;
		}
	}

	mutex_lock(&job->lock);
	err = kbits_job_fd_check(jf);
	if (err) {
		/* revoked */
	} else if (kbits_state_is_final(job->state) ||
		   kbits_reply_taken(job->state)) {
		err = -EBADFD;
	} else if (job->completing) {
		err = -EBUSY;
	} else if (!kbits_job_may_aim(job)) {
		err = -EPERM;
	} else if (!kbits_job_cold(job)) {
		err = -ENOMEM;
	} else {
		swap(job->cold->reply_file, name);
		job->cold->reply_mode = job->cold->reply_file ? mode : 0;
		job->mtime = ktime_get_real_seconds();
		kbits_job_changed(job, KBITS_EVENT_MODIFIED);
	}
	mutex_unlock(&job->lock);
	kfree(name);	/* the old name, or the new one on error */
	return err;
}
