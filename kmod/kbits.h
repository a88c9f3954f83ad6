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

/*
 * A job.  The queue (kbits_jobs) holds one reference while the job is in it;
 * every job fd holds one more.  @id, @owner, @user_ns, @type, @charged and
 * @ctime never change once the job is queued.
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
};

extern unsigned int kbits_max_jobs;
extern unsigned int kbits_max_jobs_per_user;

int kbits_jobs_init(void);
void kbits_jobs_exit(void);

int kbits_create_job(const char __user *name, u32 name_len, u32 type,
		     guid_t __user *id_out);
int kbits_get_job(const guid_t *id);
int kbits_enum_jobs(struct kbits_enum_jobs *args,
		    struct kbits_job_id __user *ids);

int kbits_copy_args(void *dst, size_t ksize, const void __user *uarg,
		    size_t minsize);

#endif /* KBITS_INTERNAL_H */
