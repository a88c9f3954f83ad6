// SPDX-License-Identifier: GPL-2.0
/*
 * kbits: a job's whole record (struct kbits_job_record, then its strings
 * and files), which the agent exports to keep the queue on disk and imports
 * to bring it back after a reboot or a module reload.
 *
 * IMPORT reads a record the agent read from disk: it is untrusted input.
 * It is copied from userspace once, and every length, value and string in
 * it is checked as CREATE_JOB, ADD_FILES, SET_ATTR and the agent's ioctls
 * check theirs, before anything is made.
 */
#include <linux/overflow.h>
#include <linux/minmax.h>
#include <linux/path.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include "kbits.h"

static_assert(sizeof(struct kbits_agent_record) ==
	      KBITS_AGENT_RECORD_SIZE_VER0);
static_assert(sizeof(struct kbits_job_record) == KBITS_JOB_RECORD_SIZE_VER4);
static_assert(offsetof(struct kbits_job_record, reply_file_len) ==
	      KBITS_JOB_RECORD_SIZE_VER3);
static_assert(offsetof(struct kbits_job_record, proxy_usage) ==
	      KBITS_JOB_RECORD_SIZE_VER0);
static_assert(offsetof(struct kbits_job_record, max_download_time) ==
	      KBITS_JOB_RECORD_SIZE_VER1);
static_assert(offsetof(struct kbits_job_record, file_size) ==
	      KBITS_JOB_RECORD_SIZE_VER2);
static_assert(sizeof(struct kbits_record_file) == KBITS_RECORD_FILE_SIZE_VER1);
static_assert(offsetof(struct kbits_record_file, mode) ==
	      KBITS_RECORD_FILE_SIZE_VER0);

/* A file of a version 1 record, which had no mode: how it was placed. */
#define KBITS_RECORD_V1_FILE_MODE	0600

/*
 * The longest record a job can have: with as many files as any
 * max_files_per_job allows, so that a job exported before the limit was
 * lowered still imports.
 */
static size_t kbits_record_max(void)
{
	size_t file = KBITS_RECORD_FILE_SIZE_VER1 + KBITS_REMOTE_NAME_MAX +
		      KBITS_LOCAL_NAME_MAX;

	size_t max = sizeof(struct kbits_job_record) + KBITS_DISPLAY_NAME_MAX +
		     KBITS_DESCRIPTION_MAX + KBITS_ERROR_TEXT_MAX +
		     2 * KBITS_PROXY_LIST_MAX + KBITS_HTTP_HEADERS_MAX +
		     KBITS_NOTIFY_CMD_MAX + KBITS_LOCAL_NAME_MAX +
		     KBITS_CREDS_MAX * (sizeof(struct kbits_record_cred) +
					KBITS_CRED_USER_MAX +
					KBITS_CRED_PASSWORD_MAX) +
		     (size_t)KBITS_FILES_PER_JOB_LIMIT * file;

	return min_t(size_t, max, INT_MAX);	/* what kvmalloc() takes */
}

static size_t kbits_strlen(const char *s)
{
	return s ? strlen(s) : 0;
}

static u8 *kbits_put(u8 *p, const void *src, size_t len)
{
	memcpy(p, src, len);
	return p + len;
}

/**
 * kbits_record_make() - Make the record of a job, for EXPORT.
 * @job: the job, its lock held.
 * @len: out: the record's length in bytes.
 *
 * The record is a struct kbits_job_record, then the job's strings and its files
 * (see docs/uapi.md).  The owner is written as a uid of the initial user
 * namespace.  Its flags say KBITS_RECORD_EXEMPT when the job counts against
 * nobody, and KBITS_RECORD_FOREIGN_NS unless the job belongs to the initial
 * user namespace and has the caller's (the agent's) root directory and network
 * namespace (kbits_job_here()).  The error's code and file index are written
 * only when the job has an error.  The transfer time includes the stretch still
 * running.  The record holds the job's secrets (credentials, write-only
 * headers): the caller frees it with kvfree_sensitive().
 *
 * Context: @job->lock held; may sleep (it allocates).
 * Return: the record; NULL when out of memory.
 */
VISIBLE_IF_KUNIT void *kbits_record_make(struct kbits_job *job, size_t *len)
{
	const struct kbits_job_cold *cold = kbits_cold(job);
	struct kbits_job_record r = {};
	struct kbits_record_file rf;
	struct kbits_record_cred rc;
	size_t n = sizeof(r);
	u8 *buf, *p;
	u32 i;

	lockdep_assert_held(&job->lock);
	r.reply_file_len = kbits_strlen(cold->reply_file);
	for (i = 0; cold->creds && i < KBITS_CREDS_MAX; i++) {
		if (!cold->creds[i].user)
			continue;
		r.nr_creds++;
		n += sizeof(rc) + strlen(cold->creds[i].user) +
		     strlen(cold->creds[i].password);
	}
	r.display_name_len = strlen(job->display_name);
	r.description_len = kbits_strlen(cold->description);
	r.error_text_len = cold->error.context ?
			   kbits_strlen(cold->error.text) : 0;
	r.proxy_list_len = kbits_strlen(cold->proxy_list);
	r.proxy_bypass_len = kbits_strlen(cold->proxy_bypass);
	r.http_headers_len = kbits_strlen(cold->http_headers);
	r.notify_cmd_len = cold->notify_cmd_len;
	n += r.display_name_len + r.description_len + r.error_text_len +
	     r.proxy_list_len + r.proxy_bypass_len + r.http_headers_len +
	     r.notify_cmd_len + r.reply_file_len;
	for (i = 0; i < job->nr_files; i++)
		n += sizeof(rf) + strlen(job->files[i].remote) +
		     strlen(job->files[i].local);

	buf = kvmalloc(n, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return NULL;

	r.magic = KBITS_RECORD_MAGIC;
	r.version = KBITS_RECORD_VERSION;
	r.length = n;
	r.header_size = sizeof(r);
	r.file_size = sizeof(rf);
	memcpy(r.id, &job->id, sizeof(r.id));
	r.owner = from_kuid(&init_user_ns, job->owner);
	r.type = job->type;
	r.state = job->state;
	r.priority = job->priority;
	r.notify_flags = job->notify_flags;
	r.min_retry_delay = job->min_retry_delay;
	r.no_progress_timeout = job->no_progress_timeout;
	r.error_count = job->error_count;
	r.creation_time = job->ctime;
	r.modification_time = job->mtime;
	r.completion_time = job->completion_time;
	r.error_context = cold->error.context;
	if (cold->error.context) {
		r.error_code = cold->error.code;
		r.error_file_index = cold->error.file_index;
	}
	r.nr_files = job->nr_files;
	r.flags = (job->agent_places ? KBITS_RECORD_AGENT_PLACES : 0) |
		  (job->completing ? KBITS_RECORD_COMPLETING : 0) |
		  (READ_ONCE(job->charged) ? 0 : KBITS_RECORD_EXEMPT) |
		  (job->user_ns == &init_user_ns && kbits_job_here(job) ?
		   0 : KBITS_RECORD_FOREIGN_NS) |
		  (job->flags & KBITS_JOB_DYNAMIC_CONTENT ?
		   KBITS_RECORD_DYNAMIC_CONTENT : 0) |
		  (cold->error.context && (cold->error.flags & KBITS_ERROR_HTTP) ?
		   KBITS_RECORD_ERROR_HTTP : 0) |
		  (job->flags & KBITS_JOB_HEADERS_WRITE_ONLY ?
		   KBITS_RECORD_HEADERS_WRITE_ONLY : 0) |
		  (job->flags & KBITS_JOB_UPLOAD_POST ?
		   KBITS_RECORD_UPLOAD_POST : 0);
	r.proxy_usage = cold->proxy_usage;
	r.max_download_time = job->max_download_time;
	r.transfer_time = kbits_job_transfer_time(job);
	r.reply_mode = cold->reply_file ? cold->reply_mode : 0;

	p = kbits_put(buf, &r, sizeof(r));
	p = kbits_put(p, job->display_name, r.display_name_len);
	p = kbits_put(p, cold->description, r.description_len);
	p = kbits_put(p, cold->error.text, r.error_text_len);
	p = kbits_put(p, cold->proxy_list, r.proxy_list_len);
	p = kbits_put(p, cold->proxy_bypass, r.proxy_bypass_len);
	p = kbits_put(p, cold->http_headers, r.http_headers_len);
	p = kbits_put(p, cold->notify_cmd, r.notify_cmd_len);
	p = kbits_put(p, cold->reply_file, r.reply_file_len);
	for (i = 0; cold->creds && i < KBITS_CREDS_MAX; i++) {
		const struct kbits_cred *c = &cold->creds[i];

		if (!c->user)
			continue;
		rc.target = i / (KBITS_CREDS_MAX / 2) + KBITS_AUTH_TARGET_SERVER;
		rc.scheme = i % (KBITS_CREDS_MAX / 2) + KBITS_AUTH_SCHEME_BASIC;
		rc.user_len = strlen(c->user);
		rc.password_len = strlen(c->password);
		p = kbits_put(p, &rc, sizeof(rc));
		p = kbits_put(p, c->user, rc.user_len);
		p = kbits_put(p, c->password, rc.password_len);
	}
	for (i = 0; i < job->nr_files; i++) {
		const struct kbits_file *f = &job->files[i];

		memset(&rf, 0, sizeof(rf));
		rf.bytes_total = f->bytes_total;
		rf.bytes_transferred = f->bytes_transferred;
		rf.flags = kbits_file_flags(f);
		rf.remote_len = strlen(f->remote);
		rf.local_len = strlen(f->local);
		rf.mode = f->mode;
		memcpy(rf.sha256, f->sha256, sizeof(rf.sha256));
		p = kbits_put(p, &rf, sizeof(rf));
		p = kbits_put(p, f->remote, rf.remote_len);
		p = kbits_put(p, f->local, rf.local_len);
	}
	*len = n;
	return buf;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_record_make);

/**
 * kbits_agent_export() - EXPORT_JOB: the record of a queued job.
 * @uarg: the agent's struct kbits_agent_record: the job's GUID and a buffer.
 *
 * The record (kbits_record_make()) is made under the job's lock and copied out
 * after.  Its length goes to @uarg->buf_len whether or not the buffer is long
 * enough.
 *
 * Context: Process context (the agent fd's ioctl); may sleep.  Takes the job's
 * lock, not across the copy to userspace.
 * Return: 0; -EINVAL for nonzero flags or reserved field; -ENOENT when no
 * queued job has the GUID (or it is final); -ENOMEM; -ERANGE when the buffer is
 * shorter than the record (its length is written); kbits_copy_args()'s errors
 * and -EFAULT.
 */
long kbits_agent_export(struct kbits_agent_record __user *uarg)
{
	struct kbits_agent_record args;
	struct kbits_job *job;
	size_t len = 0;
	void *rec;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_AGENT_RECORD_SIZE_VER0);
	if (err)
		return err;
	if (args.flags || args.reserved)
		return -EINVAL;
	job = kbits_job_lookup((const guid_t *)args.id);
	if (!job)
		return -ENOENT;

	mutex_lock(&job->lock);
	/* one that left the queue meanwhile is not in it */
	rec = kbits_state_is_final(job->state) ? ERR_PTR(-ENOENT) :
	      kbits_record_make(job, &len) ?: ERR_PTR(-ENOMEM);
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	if (IS_ERR(rec))
		return PTR_ERR(rec);

	if (put_user((u32)len, &uarg->buf_len))
		err = -EFAULT;
	else if (args.buf_len < len)
		err = -ERANGE;
	else if (copy_to_user(u64_to_user_ptr(args.buf), rec, len))
		err = -EFAULT;
	kvfree_sensitive(rec, len);
	return err;
}

/**
 * kbits_take() - Take the next bytes of a record.
 * @rd: the cursor over the record.
 * @len: how many bytes.
 *
 * Context: Any.
 * Return: the next @len bytes, and @rd moves past them; NULL (@rd unmoved) when
 * fewer are left.
 */
VISIBLE_IF_KUNIT const void *kbits_take(struct kbits_reader *rd, size_t len)
{
	const void *p = rd->p;

	if (len > rd->left)
		return NULL;
	rd->p += len;
	rd->left -= len;
	return p;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_take);

/**
 * kbits_take_string() - Take the next bytes of a record as a string.
 * @rd: the cursor over the record.
 * @len: the string's length, from the record.
 * @max: the longest length it may have.
 * @empty_ok: whether it may be empty (absent).
 *
 * The string is checked as kbits_copy_string() checks the ioctls': at most @max
 * bytes, valid UTF-8 without NUL.
 *
 * Context: Process context; may sleep (it allocates).
 * Return: the string, NUL-terminated, for the caller to kfree(); NULL for an
 * empty one when @empty_ok; ERR_PTR(-EINVAL) for an empty one otherwise, one
 * longer than @max, one the record is too short for, or one that is not valid
 * UTF-8 or holds a NUL; ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT char *kbits_take_string(struct kbits_reader *rd, u32 len,
					 u32 max, bool empty_ok)
{
	const u8 *src;
	char *s;

	if (!len && empty_ok)
		return NULL;
	if (!len || len > max)
		return ERR_PTR(-EINVAL);
	src = kbits_take(rd, len);
	if (!src || !kbits_valid_utf8(src, len))
		return ERR_PTR(-EINVAL);
	s = kmemdup_nul((const char *)src, len, GFP_KERNEL_ACCOUNT);
	return s ?: ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_take_string);

/*
 * Version 1 (older modules'): a header of any of its three sizes, files of
 * KBITS_RECORD_FILE_SIZE_VER0 bytes (kbits_record_parse() set @file_size).
 * Version 2: a header of KBITS_JOB_RECORD_SIZE_VER3 (no reply file, no
 * credentials), with the current files' size.  Version 3: the current header.
 */
static bool kbits_record_version_ok(const struct kbits_job_record *r)
{
	if (r->version == 1)
		return r->header_size == KBITS_JOB_RECORD_SIZE_VER0 ||
		       r->header_size == KBITS_JOB_RECORD_SIZE_VER1 ||
		       r->header_size == KBITS_JOB_RECORD_SIZE_VER2;
	if (r->file_size != sizeof(struct kbits_record_file))
		return false;
	if (r->version == 2)
		return r->header_size == KBITS_JOB_RECORD_SIZE_VER3;
	return r->version == KBITS_RECORD_VERSION &&
	       r->header_size == sizeof(*r);
}

/**
 * kbits_record_check() - Check what a record's header says.
 * @r: the header, grown to the current one (kbits_record_parse()).
 * @len: the record's whole length.
 *
 * All but its strings and files: the magic, version, header size (for
 * version 1 any of its three, for version 2 its one, for version 3 the
 * current one, with its files' size), length and flags, the reply file's
 * length and mode and the credentials' count, and that every value is one
 * the ioctls would have set: type, state (not a final one), priority, notify
 * flags, retry delay, proxy usage with its lists, error (context, code, file
 * index), file count; and only states the
 * module itself makes: a job without files is SUSPENDED, an ERROR or
 * TRANSIENT_ERROR job has an error, a TRANSFERRED one has none.  The owner must
 * be a valid uid of the initial user namespace.
 *
 * Context: Any.
 * Return: 0 when the header is one IMPORT takes, -EINVAL otherwise.
 */
VISIBLE_IF_KUNIT int kbits_record_check(const struct kbits_job_record *r,
					size_t len)
{
	u32 http = r->flags & KBITS_RECORD_ERROR_HTTP ? KBITS_ERROR_HTTP : 0;

	if (r->magic != KBITS_RECORD_MAGIC || !kbits_record_version_ok(r) ||
	    r->length != len || r->reserved ||
	    (r->flags & ~(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_COMPLETING |
			  KBITS_RECORD_EXEMPT | KBITS_RECORD_FOREIGN_NS |
			  KBITS_RECORD_DYNAMIC_CONTENT | KBITS_RECORD_ERROR_HTTP |
			  KBITS_RECORD_HEADERS_WRITE_ONLY |
			  KBITS_RECORD_UPLOAD_POST)))
		return -EINVAL;
	/* a reply file is an UPLOAD_REPLY job's, with a mode a file may have */
	if ((r->reply_file_len && r->type != KBITS_JOB_TYPE_UPLOAD_REPLY) ||
	    (r->reply_mode & ~0666) || (r->reply_mode && !r->reply_file_len) ||
	    r->nr_creds > KBITS_CREDS_MAX ||
	    ((r->flags & KBITS_RECORD_UPLOAD_POST) &&
	     r->type == KBITS_JOB_TYPE_DOWNLOAD))
		return -EINVAL;
	if (r->proxy_usage > KBITS_PROXY_OVERRIDE ||
	    (r->proxy_usage == KBITS_PROXY_OVERRIDE ? !r->proxy_list_len :
	     r->proxy_list_len || r->proxy_bypass_len))
		return -EINVAL;
	if (r->type > KBITS_JOB_TYPE_UPLOAD_REPLY ||
	    r->state > KBITS_JOB_STATE_CANCELLED ||
	    kbits_state_is_final(r->state) ||
	    r->priority > KBITS_PRIORITY_LOW ||
	    (r->notify_flags & ~KBITS_NOTIFY_ALL) ||
	    r->min_retry_delay < KBITS_MIN_RETRY_DELAY_MIN)
		return -EINVAL;
	/* an HTTP status as the agent's ERROR takes it; an errno otherwise */
	if (r->error_context > KBITS_ERROR_CONTEXT_REMOTE_APPLICATION ||
	    !kbits_error_code_ok(http, r->error_code) ||
	    (!r->error_context &&
	     (r->error_code || r->error_text_len || r->error_file_index ||
	      http)) ||
	    (r->error_context && r->error_file_index != KBITS_NO_FILE &&
	     r->error_file_index >= r->nr_files))
		return -EINVAL;
	if (r->nr_files > KBITS_FILES_PER_JOB_LIMIT ||
	    (r->type != KBITS_JOB_TYPE_DOWNLOAD && r->nr_files > 1))
		return -EINVAL;
	/*
	 * Only what the module itself makes: a job without files is
	 * SUSPENDED (RESUME refuses it); only the agent's ERROR puts a job in
	 * an error state, and it records the error; TRANSFERRED has none.
	 */
	if ((!r->nr_files && r->state != KBITS_JOB_STATE_SUSPENDED) ||
	    ((r->state == KBITS_JOB_STATE_ERROR ||
	      r->state == KBITS_JOB_STATE_TRANSIENT_ERROR) &&
	     !r->error_context) ||
	    (r->state == KBITS_JOB_STATE_TRANSFERRED && r->error_context))
		return -EINVAL;
	if (!uid_valid(make_kuid(&init_user_ns, r->owner)))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_record_check);

/**
 * kbits_record_files() - Read a record's files into a job.
 * @job: the job, without files, which nothing else can see yet.
 * @rd: the cursor, at the first file.
 * @nr: how many files the record says it has (kbits_record_check() bounded it).
 * @file_size: the bytes of each struct kbits_record_file: version 1's
 * (KBITS_RECORD_FILE_SIZE_VER0: no mode, no digest) or the current one.
 *
 * Each file is a struct kbits_record_file and its two names, checked as
 * ADD_FILES and the agent's PROGRESS check theirs; a version 1 file gets the
 * mode such files were placed with, 0600.  Each name joins the job at once, so
 * that on failure the job's release frees what was read.
 *
 * Context: Process context; may sleep (it allocates).
 * Return: 0; -EINVAL for a file that is malformed or runs past the record (@nr
 * more than the bytes left could hold is refused before anything is allocated);
 * -ENOMEM.  On failure the caller puts the job.
 */
VISIBLE_IF_KUNIT int kbits_record_files(struct kbits_job *job,
					struct kbits_reader *rd, u32 nr,
					u32 file_size)
{
	struct kbits_record_file rf;
	const void *src;
	u32 i;

	if (file_size != KBITS_RECORD_FILE_SIZE_VER0 &&
	    file_size != sizeof(rf))
		return -EINVAL;
	if (!nr)
		return 0;
	/* Each file takes its header and two names of a byte at least. */
	if (nr > rd->left / (file_size + 2))
		return -EINVAL;
	job->files = kvcalloc(nr, sizeof(*job->files), GFP_KERNEL_ACCOUNT);
	if (!job->files)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct kbits_file *f = &job->files[i];
		bool done;
		char *s;

		src = kbits_take(rd, file_size);
		if (!src)
			return -EINVAL;
		memset(&rf, 0, sizeof(rf));
		memcpy(&rf, src, file_size);
		/* version 1's files had no mode, and no digest to flag */
		if (file_size == KBITS_RECORD_FILE_SIZE_VER0) {
			rf.mode = KBITS_RECORD_V1_FILE_MODE;
			if (rf.flags & KBITS_FILE_SHA256)
				return -EINVAL;
		}
		done = rf.flags & KBITS_FILE_COMPLETED;
		if ((rf.flags & ~(KBITS_FILE_COMPLETED | KBITS_FILE_SHA256)) ||
		    rf.reserved || rf.reserved2 || (rf.mode & ~0666) ||
		    !kbits_file_sha256_ok(rf.flags, rf.sha256, job->type) ||
		    (rf.bytes_total != KBITS_SIZE_UNKNOWN &&
		     rf.bytes_transferred > rf.bytes_total) ||
		    (done && (rf.bytes_total == KBITS_SIZE_UNKNOWN ||
			      rf.bytes_transferred != rf.bytes_total)))
			return -EINVAL;
		/* each name joins the job at once: its release frees them */
		s = kbits_take_string(rd, rf.remote_len, KBITS_REMOTE_NAME_MAX,
				      false);
		if (IS_ERR(s))
			return PTR_ERR(s);
		f->remote = s;
		job->nr_files++;
		s = kbits_take_string(rd, rf.local_len, KBITS_LOCAL_NAME_MAX,
				      false);
		if (IS_ERR(s))
			return PTR_ERR(s);
		f->local = s;
		if (!kbits_file_names_ok(f->remote, f->local))
			return -EINVAL;
		f->bytes_total = rf.bytes_total;
		f->bytes_transferred = rf.bytes_transferred;
		f->completed = done;
		f->has_sha256 = rf.flags & KBITS_FILE_SHA256;
		f->mode = rf.mode;
		memcpy(f->sha256, rf.sha256, sizeof(f->sha256));
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kbits_record_files);

/*
 * The proxy lists, custom headers and notify command of a record into @job,
 * whose cold settings kbits_record_job() made when the record has any.
 */
static int kbits_record_http(struct kbits_job *job,
			     const struct kbits_job_record *r,
			     struct kbits_reader *rd)
{
	const void *src;
	char *s;

	s = kbits_take_string(rd, r->proxy_list_len, KBITS_PROXY_LIST_MAX,
			      true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s)
		job->cold->proxy_list = s;
	s = kbits_take_string(rd, r->proxy_bypass_len, KBITS_PROXY_LIST_MAX,
			      true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s)
		job->cold->proxy_bypass = s;
	s = kbits_take_string(rd, r->http_headers_len, KBITS_HTTP_HEADERS_MAX,
			      true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s)
		job->cold->http_headers = s;
	if (s && !kbits_http_headers_ok(s))
		return -EINVAL;
	if (!r->notify_cmd_len)
		return 0;
	src = r->notify_cmd_len <= KBITS_NOTIFY_CMD_MAX ?
	      kbits_take(rd, r->notify_cmd_len) : NULL;
	if (!src || !kbits_notify_cmd_ok(src, r->notify_cmd_len))
		return -EINVAL;
	/*
	 * A job imported without its namespaces runs nothing until taken
	 * over, which removes the command: it is not kept.
	 */
	if (r->flags & KBITS_RECORD_FOREIGN_NS)
		return 0;
	job->cold->notify_cmd = kmemdup(src, r->notify_cmd_len,
					GFP_KERNEL_ACCOUNT);
	if (!job->cold->notify_cmd)
		return -ENOMEM;
	job->cold->notify_cmd_len = r->notify_cmd_len;
	return 0;
}

/* A record's credential's user name or password: may be empty. */
static char *kbits_take_cred_string(struct kbits_reader *rd, u32 len, u32 max)
{
	char *s = kbits_take_string(rd, len, max, true);

	return s ?: kstrdup("", GFP_KERNEL_ACCOUNT) ?: ERR_PTR(-ENOMEM);
}

/**
 * kbits_record_secrets() - Read a record's reply file and credentials.
 * @job: the job, which nothing else can see yet.
 * @r: the record's header, checked by kbits_record_check().
 * @rd: the cursor, at the reply file's name.
 *
 * Each is checked as SET_REPLY_FILE and SET_CREDENTIALS check theirs, and
 * joins the job at once, so that on failure the job's release frees it.  Two
 * credentials of one target and scheme are refused.  A record made in other
 * namespaces (KBITS_RECORD_FOREIGN_NS) keeps neither its credentials nor its
 * write-only headers: the taking over that job needs removes them anyway.
 *
 * Context: Process context; may sleep (it allocates).
 * Return: 0; -EINVAL for a malformed one, or one past the record; -ENOMEM.
 */
static int kbits_record_secrets(struct kbits_job *job,
				const struct kbits_job_record *r,
				struct kbits_reader *rd)
{
	struct kbits_record_cred rc;
	const void *src;
	char *s, *user;
	int index, err;
	u32 i;

	s = kbits_take_string(rd, r->reply_file_len, KBITS_LOCAL_NAME_MAX,
			      true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s) {	/* @reply_mode is 0 without a file (kbits_record_check()) */
		job->cold->reply_file = s;
		job->cold->reply_mode = r->reply_mode;
		if (s[0] != '/')
			return -EINVAL;
	}
	for (i = 0; i < r->nr_creds; i++) {
		src = kbits_take(rd, sizeof(rc));
		if (!src)
			return -EINVAL;
		memcpy(&rc, src, sizeof(rc));
		index = kbits_cred_index(rc.target, rc.scheme);
		if (index < 0 || (kbits_cold(job)->creds &&
				  job->cold->creds[index].user))
			return -EINVAL;
		user = kbits_take_cred_string(rd, rc.user_len,
					      KBITS_CRED_USER_MAX);
		if (IS_ERR(user))
			return PTR_ERR(user);
		if (!kbits_cred_user_ok(user, rc.scheme)) {
			kfree(user);
			return -EINVAL;
		}
		s = kbits_take_cred_string(rd, rc.password_len,
					   KBITS_CRED_PASSWORD_MAX);
		if (IS_ERR(s)) {
			kfree(user);
			return PTR_ERR(s);
		}
		err = kbits_job_set_cred(job, index, user, s);
		if (err)
			return err;
	}
	/*
	 * A job imported without its namespaces transfers nothing until
	 * taken over, which removes them: its secrets are not kept.
	 */
	if ((r->flags & KBITS_RECORD_FOREIGN_NS) && job->cold) {
		kbits_creds_free(job->cold->creds);
		job->cold->creds = NULL;
		if (job->flags & KBITS_JOB_HEADERS_WRITE_ONLY) {
			kfree_sensitive(job->cold->http_headers);
			job->cold->http_headers = NULL;
		}
	}
	return 0;
}

/*
 * Whether a checked record has any of the settings a job keeps out of line
 * (struct kbits_job_cold): kbits_record_job() makes them for those alone.
 */
static bool kbits_record_has_cold(const struct kbits_job_record *r)
{
	return r->description_len || r->error_context || r->proxy_usage ||
	       r->proxy_list_len || r->proxy_bypass_len ||
	       r->http_headers_len || r->notify_cmd_len ||
	       r->reply_file_len || r->nr_creds;
}

/**
 * kbits_clamp_time() - A time from a record, within 0 and now.
 * @t: the time, wall-clock seconds.
 *
 * A time after now (the clock went back since the record was made, or the
 * record is forged) must not keep a job from ever being idle for the reaper,
 * nor make its times lie; one before 1970 is no time kbits makes.
 *
 * Context: Any.
 * Return: @t, clamped to 0 .. now.
 */
VISIBLE_IF_KUNIT time64_t kbits_clamp_time(s64 t)
{
	return clamp_t(s64, t, 0, ktime_get_real_seconds());
}
EXPORT_SYMBOL_IF_KUNIT(kbits_clamp_time);

/**
 * kbits_record_job() - Make the job a checked record describes.
 * @r: the record's header, checked by kbits_record_check().
 * @rd: the cursor, at the display name: the strings, then the files.
 *
 * The job (kbits_job_alloc()) belongs to the record's owner in the initial user
 * namespace, with the caller's (the agent's) root directory and network
 * namespace, or none when the record says KBITS_RECORD_FOREIGN_NS: those may be
 * gone, and no job may reach the host's files or network by a reload (JOB_NS
 * fails with -ESTALE until an administrator takes it over).  A job that was
 * CONNECTING or TRANSFERRING is QUEUED: no agent holds it now.  Times are
 * clamped (kbits_clamp_time()).  KBITS_RECORD_COMPLETING is not kept: the
 * COMPLETE that waited is gone.  Every byte of the record must be used, and a
 * TRANSFERRED job must have all its files complete.
 *
 * Context: Process context; may sleep.  Takes the new job's lock, for lockdep's
 * sake only.
 * Return: the job, with one reference (the caller's), not counted against any
 * limit nor queued; ERR_PTR(-EINVAL) for a record IMPORT does not take,
 * ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct kbits_job *
kbits_record_job(const struct kbits_job_record *r, struct kbits_reader *rd)
{
	struct kbits_job *job;
	char *name, *s;
	int err;

	name = kbits_take_string(rd, r->display_name_len,
				 KBITS_DISPLAY_NAME_MAX, true);
	if (IS_ERR(name))
		return ERR_CAST(name);
	if (!name) {
		name = kstrdup("", GFP_KERNEL_ACCOUNT);
		if (!name)
			return ERR_PTR(-ENOMEM);
	}
	job = kbits_job_alloc(name, r->type);
	if (!job) {
		kfree(name);
		return ERR_PTR(-ENOMEM);
	}
	/*
	 * An imported job belongs to the initial user namespace, with the
	 * agent's root and network namespace, or none when the record was
	 * made in others: those may be gone, and no job may reach the host's
	 * files or network by a reload (JOB_NS: -ESTALE until taken over).
	 */
	put_user_ns(job->user_ns);
	job->user_ns = get_user_ns(&init_user_ns);
	if (r->flags & KBITS_RECORD_FOREIGN_NS) {
		path_put(&job->root);
		job->root = (struct path){ };
		put_net(job->net);
		job->net = NULL;
	}
	job->owner = make_kuid(&init_user_ns, r->owner);
	memcpy(&job->id, r->id, sizeof(job->id));
	/* No agent holds it now. */
	job->state = r->state == KBITS_JOB_STATE_CONNECTING ||
		     r->state == KBITS_JOB_STATE_TRANSFERRING ?
		     KBITS_JOB_STATE_QUEUED : r->state;
	job->priority = r->priority;
	job->notify_flags = r->notify_flags;
	job->min_retry_delay = r->min_retry_delay;
	job->no_progress_timeout = r->no_progress_timeout;
	job->error_count = r->error_count;
	/* A clock that went back must not make a job never idle. */
	job->ctime = kbits_clamp_time(r->creation_time);
	job->mtime = kbits_clamp_time(r->modification_time);
	job->completion_time = kbits_clamp_time(r->completion_time);

	/* what a job without cold settings reads as zero stays so */
	if (kbits_record_has_cold(r) && !kbits_job_cold(job)) {
		err = -ENOMEM;
		goto fail;
	}
	s = kbits_take_string(rd, r->description_len, KBITS_DESCRIPTION_MAX,
			      true);
	err = PTR_ERR_OR_ZERO(s);
	if (err)
		goto fail;
	if (s)
		job->cold->description = s;
	if (r->error_context) {
		s = kbits_take_string(rd, r->error_text_len,
				      KBITS_ERROR_TEXT_MAX, true);
		err = PTR_ERR_OR_ZERO(s);
		if (err)
			goto fail;
		job->cold->error.text = s;
		job->cold->error.context = r->error_context;
		job->cold->error.code = r->error_code;
		/* without the flag (an older record's too): an errno */
		if (r->flags & KBITS_RECORD_ERROR_HTTP)
			job->cold->error.flags = KBITS_ERROR_HTTP;
		job->cold->error.file_index = r->error_file_index;
	}
	job->agent_places = r->flags & KBITS_RECORD_AGENT_PLACES;
	if (r->flags & KBITS_RECORD_DYNAMIC_CONTENT)
		job->flags |= KBITS_JOB_DYNAMIC_CONTENT;
	if (r->flags & KBITS_RECORD_HEADERS_WRITE_ONLY)
		job->flags |= KBITS_JOB_HEADERS_WRITE_ONLY;
	if (r->flags & KBITS_RECORD_UPLOAD_POST)
		job->flags |= KBITS_JOB_UPLOAD_POST;
	if (r->proxy_usage)
		job->cold->proxy_usage = r->proxy_usage;
	job->max_download_time = r->max_download_time;
	mutex_lock(&job->lock);	/* for the lockdep assertion only */
	kbits_job_set_transfer_time(job, r->transfer_time);
	mutex_unlock(&job->lock);
	err = kbits_record_http(job, r, rd) ?:
	      kbits_record_secrets(job, r, rd);
	if (err)
		goto fail;
	err = kbits_record_files(job, rd, r->nr_files, r->file_size);
	if (!err && rd->left)
		err = -EINVAL;	/* bytes over */
	if (!err && r->state == KBITS_JOB_STATE_TRANSFERRED) {
		mutex_lock(&job->lock);	/* for the lockdep assertion only */
		if (!kbits_job_all_files_done(job))
			err = -EINVAL;
		mutex_unlock(&job->lock);
	}
	if (err)
		goto fail;
	return job;
fail:
	kbits_job_put(job);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_record_job);

/**
 * kbits_record_parse() - Make the job a record describes, every part checked.
 * @buf: the record, in kernel memory (copied from userspace once).
 * @len: its length in bytes.
 * @r: out: the record's header, grown to the current one: a version 0 header
 * has no proxy settings nor headers (zeros), versions 0 and 1 have no maximum
 * download time (the default) nor transfer time (0), a record of version 1
 * has files of KBITS_RECORD_FILE_SIZE_VER0 bytes, and versions 1 and 2 have no
 * reply file nor credentials (zeros).
 *
 * Context: Process context; may sleep.
 * Return: the job (see kbits_record_job()), or ERR_PTR(-EINVAL) when @buf is
 * not a record IMPORT takes, ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct kbits_job *
kbits_record_parse(const void *buf, size_t len, struct kbits_job_record *r)
{
	struct kbits_reader rd = { .p = buf, .left = len };
	const void *rest;
	u32 hsize;
	int err;

	if (len < KBITS_JOB_RECORD_SIZE_VER0)
		return ERR_PTR(-EINVAL);
	/*
	 * A version 0 header has no proxy settings and no headers: zeros.
	 * Versions 0 and 1 have no maximum download time: the default, and
	 * no transfer time.
	 */
	memset(r, 0, sizeof(*r));
	memcpy(r, kbits_take(&rd, KBITS_JOB_RECORD_SIZE_VER0),
	       KBITS_JOB_RECORD_SIZE_VER0);
	hsize = r->header_size;
	if (hsize == KBITS_JOB_RECORD_SIZE_VER1 ||
	    hsize == KBITS_JOB_RECORD_SIZE_VER2 ||
	    hsize == KBITS_JOB_RECORD_SIZE_VER3 || hsize == sizeof(*r)) {
		rest = kbits_take(&rd, hsize - KBITS_JOB_RECORD_SIZE_VER0);
		if (!rest)
			return ERR_PTR(-EINVAL);
		memcpy((u8 *)r + KBITS_JOB_RECORD_SIZE_VER0, rest,
		       hsize - KBITS_JOB_RECORD_SIZE_VER0);
	}
	if (hsize < KBITS_JOB_RECORD_SIZE_VER2)
		r->max_download_time = KBITS_MAX_DOWNLOAD_TIME_DEFAULT;
	if (r->version == 1)
		r->file_size = KBITS_RECORD_FILE_SIZE_VER0;
	err = kbits_record_check(r, len);
	if (err)
		return ERR_PTR(err);
	return kbits_record_job(r, &rd);
}
EXPORT_SYMBOL_IF_KUNIT(kbits_record_parse);

/**
 * kbits_agent_import() - IMPORT_JOB: make a job from a record and queue it.
 * @uarg: the agent's struct kbits_agent_record: the record's buffer and length.
 *
 * The record is untrusted input (the agent read it from disk): it is copied
 * once, and every part of it checked (kbits_record_parse()) before the job is
 * queued (kbits_job_import()), with the record's GUID.  The job counts against
 * its owner past the limits, unless the record says KBITS_RECORD_EXEMPT.
 *
 * Context: Process context (the agent fd's ioctl); may sleep.
 * Return: 0; -EINVAL for nonzero flags or reserved field, or a record IMPORT
 * does not take; -E2BIG for a buffer longer than any job's record; -EEXIST when
 * a queued job has the record's GUID; kbits_job_import()'s other errors;
 * -ENOMEM; kbits_copy_args()'s errors and -EFAULT.
 */
long kbits_agent_import(struct kbits_agent_record __user *uarg)
{
	struct kbits_agent_record args;
	struct kbits_job_record r;
	struct kbits_job *job;
	void *buf;
	int err;

	err = kbits_copy_args(&args, sizeof(args), uarg,
			      KBITS_AGENT_RECORD_SIZE_VER0);
	if (err)
		return err;
	if (args.flags || args.reserved)
		return -EINVAL;
	if (args.buf_len < KBITS_JOB_RECORD_SIZE_VER0)
		return -EINVAL;
	if (args.buf_len > kbits_record_max())
		return -E2BIG;

	/* Read once: the checks below and the job see the same bytes. */
	buf = kvmalloc(args.buf_len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, u64_to_user_ptr(args.buf), args.buf_len)) {
		err = -EFAULT;
		goto out;
	}
	job = kbits_record_parse(buf, args.buf_len, &r);
	if (IS_ERR(job)) {
		err = PTR_ERR(job);
		goto out;
	}
	err = kbits_job_import(job, r.flags & KBITS_RECORD_EXEMPT);
	if (err)
		kbits_job_put(job);
out:
	kvfree_sensitive(buf, args.buf_len);	/* it may hold passwords */
	return err;
}
