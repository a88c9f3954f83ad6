/* SPDX-License-Identifier: GPL-2.0 */
/* kbits: internal interfaces between the device (main.c) and jobs (job.c) */
#ifndef KBITS_INTERNAL_H
#define KBITS_INTERNAL_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uuid.h>

#include <linux/kbits.h>

/* A file of a job: where it comes from, where it goes, how far it got. */
struct kbits_file {
	char *remote;			/* NUL-terminated */
	char *local;			/* NUL-terminated */
	u64 bytes_total;		/* KBITS_SIZE_UNKNOWN until known */
	u64 bytes_transferred;
	bool completed;
};

/*
 * A job.  The queue (kbits_jobs) holds one reference while the job is in it;
 * every job fd holds one more.  @id, @owner, @user_ns, @type, @charged and
 * @ctime never change once the job is queued; the fields after @lock
 * change under it.
 */
struct kbits_job {
	struct rhash_head node;		/* in the queue, keyed by @id */
	guid_t id;
	u32 slot;			/* index in the queue's walk order */
	struct kref ref;
	struct rcu_head rcu;
	kuid_t owner;			/* the creator's euid */
	struct user_namespace *user_ns;	/* the namespace it was created in */
	u32 type;			/* enum kbits_job_type */
	bool charged;			/* counted against the per-user limits */
	time64_t ctime;			/* creation, wall clock seconds */

	struct mutex lock;		/* serialises state changes */
	u32 state;			/* enum kbits_job_state; read locklessly */
	char *display_name;		/* NUL-terminated UTF-8 */
	char *description;		/* NUL-terminated UTF-8; NULL: empty */
	u32 priority;			/* enum kbits_job_priority */
	u32 notify_flags;		/* KBITS_NOTIFY_* */
	u32 min_retry_delay;		/* seconds */
	u32 no_progress_timeout;	/* seconds */
	u32 error_count;
	time64_t mtime;			/* last change by its user */
	time64_t completion_time;	/* became TRANSFERRED; 0: not yet */
	struct kbits_file *files;	/* @nr_files of them, in the order added */
	u32 nr_files;
};

extern unsigned int kbits_max_jobs;
extern unsigned int kbits_max_jobs_per_user;
extern unsigned int kbits_max_files_per_job;

int kbits_jobs_init(void);
void kbits_jobs_exit(void);

int kbits_create_job(const char __user *name, u32 name_len, u32 type,
		     guid_t __user *id_out);
int kbits_get_job(const guid_t *id);
int kbits_enum_jobs(struct kbits_enum_jobs *args,
		    struct kbits_job_id __user *ids);

int kbits_copy_args(void *dst, size_t ksize, const void __user *uarg,
		    size_t minsize);
char *kbits_copy_string(const char __user *ustr, u32 len, u32 max);
bool kbits_state_is_final(u32 state);

/* files.c: a job's files and progress */
long kbits_job_add_files(struct kbits_job *job,
			 struct kbits_add_files __user *uarg);
long kbits_job_get_file(struct kbits_job *job,
			struct kbits_job_file __user *uarg);
long kbits_job_get_progress(struct kbits_job *job,
			    struct kbits_job_progress __user *uarg);
bool kbits_job_all_files_done(const struct kbits_job *job);
u32 kbits_job_drop_unfinished(struct kbits_job *job);
void kbits_job_free_files(struct kbits_job *job);

#endif /* KBITS_INTERNAL_H */
