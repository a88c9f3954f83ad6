/* SPDX-License-Identifier: GPL-2.0 */
/* kbits: the module's internal interfaces, between its files */
#ifndef KBITS_INTERNAL_H
#define KBITS_INTERNAL_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uuid.h>
#include <linux/wait.h>

struct file;
struct net;
struct poll_table_struct;

#include <linux/kbits.h>

/*
 * kbits_kunit.ko (kbits_kunit.c) tests the module's pure logic.  It is
 * built only on request, `make ... KBITS_KUNIT=y` (kmod/Kbuild, which then
 * defines KBITS_KUNIT for both modules), never from the kernel's
 * CONFIG_KUNIT alone: a distribution kernel with CONFIG_KUNIT=m must still
 * get, through DKMS, a kbits.ko whose insides are static.  With
 * KBITS_KUNIT, what the tests need of the module's insides is visible to
 * them: VISIBLE_IF_KUNIT is "static" without it and nothing with it, and
 * EXPORT_SYMBOL_IF_KUNIT() exports a symbol then, to the namespace
 * EXPORTED_FOR_KUNIT_TESTING only.  <kunit/visibility.h> has the same
 * macros but keys them on CONFIG_KUNIT, hence these.  The namespace is
 * KBITS_KUNIT_NS: Linux 6.1's EXPORT_SYMBOL_NS() and MODULE_IMPORT_NS()
 * stringify a bare name (a string literal would get its quotes into the
 * name); from 6.13 on they take the string literal instead, which is what
 * KBITS_KUNIT_NS must then be.
 */
#undef EXPORT_SYMBOL_IF_KUNIT
#undef VISIBLE_IF_KUNIT
#ifdef KBITS_KUNIT
/* Linux 6.13 and later: "EXPORTED_FOR_KUNIT_TESTING", a string literal. */
#define KBITS_KUNIT_NS EXPORTED_FOR_KUNIT_TESTING
#include <linux/export.h>
#define EXPORT_SYMBOL_IF_KUNIT(symbol) \
	EXPORT_SYMBOL_NS(symbol, KBITS_KUNIT_NS)
#define VISIBLE_IF_KUNIT
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#define VISIBLE_IF_KUNIT static
#endif

/* A file of a job: where it comes from, where it goes, how far it got. */
struct kbits_file {
	char *remote;			/* NUL-terminated */
	char *local;			/* NUL-terminated */
	u64 bytes_total;		/* KBITS_SIZE_UNKNOWN until known */
	u64 bytes_transferred;
	bool completed;
};

/*
 * A COMPLETE waiting for the agent to place the job's files (on the waiter's
 * stack; job->completer while it waits).  The agent's PLACED, or its
 * detaching, sets @result and then @done.
 */
struct kbits_completion {
	long result;
	bool done;
};

/*
 * A job.  The queue (kbits_jobs) holds one reference while the job is in it;
 * every job fd holds one more.  @id, @type and @ctime never change once the
 * job is queued.  TAKE_OWNERSHIP changes @owner, @user_ns, @root, @net and
 * @owner_gen under @lock, and @owner and @user_ns also under
 * kbits_users_lock; @owner is read with READ_ONCE() elsewhere.  @charged
 * changes under kbits_users_lock; @agent_node and @agent_pending under
 * agent.c's lock; the fields after @lock change under it.
 */
struct kbits_job {
	struct rhash_head node;		/* in the queue, keyed by @id */
	guid_t id;
	u32 slot;			/* index in the queue's walk order */
	struct kref ref;
	struct rcu_head rcu;
	kuid_t owner;			/* the creator's euid, or who took it */
	struct user_namespace *user_ns;	/* the owner's, when it became owner */
	u32 type;			/* enum kbits_job_type */
	bool charged;			/* counted against the limits until freed */
	time64_t ctime;			/* creation, wall clock seconds */
	struct list_head agent_node;	/* in agent.c's queue while pending */
	u32 agent_pending;		/* agent events waiting: bits of kinds */

	struct mutex lock;		/* serialises state changes */
	u32 state;			/* enum kbits_job_state; read locklessly */
	char *display_name;		/* NUL-terminated UTF-8 */
	char *description;		/* NUL-terminated UTF-8; NULL: empty */
	u32 priority;			/* enum kbits_job_priority */
	u32 flags;			/* KBITS_JOB_* */
	u32 notify_flags;		/* KBITS_NOTIFY_* */
	u32 min_retry_delay;		/* seconds */
	u32 no_progress_timeout;	/* seconds */
	u32 max_download_time;		/* seconds; 0: no limit */
	/*
	 * Time CONNECTING or TRANSFERRING since creation or the last RESUME
	 * that queued the job (boottime: it counts system suspend): the
	 * stretches that ended, in @transfer_ns, and while @transfer_running
	 * the one that began at @transfer_since.  kbits_job_account() keeps
	 * them up to date with @state.
	 */
	u64 transfer_ns;
	u64 transfer_since;
	bool transfer_running;
	u32 error_count;
	time64_t mtime;			/* last change by its user */
	time64_t completion_time;	/* became TRANSFERRED; 0: not yet */
	struct kbits_file *files;	/* @nr_files of them, in the order added */
	u32 nr_files;
	struct kbits_event *events;	/* events.c's ring, or NULL */
	u64 event_seq;			/* of the last event; read locklessly */
	wait_queue_head_t wait;		/* job fds waiting for events */
	u32 proxy_usage;		/* enum kbits_proxy_usage */
	char *proxy_list;		/* NUL-terminated; NULL: none */
	char *proxy_bypass;		/* NUL-terminated; NULL: none */
	char *http_headers;		/* NUL-terminated; NULL: none */
	bool agent_places;		/* taken by a KBITS_AGENT_PLACES_FILES agent */
	bool completing;		/* COMPLETE waits for the agent's PLACED */
	struct kbits_completion *completer;	/* that COMPLETE, if still waiting */
	u64 owner_gen;			/* TAKE_OWNERSHIPs so far: revokes fds */
	/*
	 * The owner's root and network namespace (JOB_NS); none (NULL net)
	 * for a job imported from a record made in others.
	 */
	struct path root;
	struct net *net;
	struct {			/* the last error; context NONE: none */
		u32 context;		/* enum kbits_error_context */
		s32 code;
		u32 file_index;
		char *text;		/* NUL-terminated UTF-8, or NULL */
	} error;
};

/*
 * A job fd's own state: its job, its place in the job's events, and the
 * job's owner_gen when it was made (or took the job over): an older one is
 * revoked.  @cursor changes under the job's lock.
 */
struct kbits_job_fd {
	struct kbits_job *job;
	u64 cursor;			/* the last event read */
	u64 owner_gen;
};

/* Files one job may have, whatever max_files_per_job says. */
#define KBITS_FILES_PER_JOB_LIMIT	65536

extern unsigned int kbits_max_jobs;
extern unsigned int kbits_max_jobs_per_user;
extern unsigned int kbits_max_files_per_job;

/* The limits a job's count is checked against (kbits_charge_to()). */
struct kbits_limits {
	unsigned int jobs;		/* all users together */
	unsigned int per_user;
};

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
void kbits_job_account(struct kbits_job *job);
void kbits_job_enter_state(struct kbits_job *job, u32 state);
u32 kbits_job_transfer_time(struct kbits_job *job);
void kbits_job_set_transfer_time(struct kbits_job *job, u32 seconds);
int kbits_job_fd_check(const struct kbits_job_fd *jf);
bool kbits_valid_utf8(const u8 *s, size_t len);
struct kbits_job *kbits_job_alloc(char *name, u32 type);
int kbits_job_import(struct kbits_job *job, bool exempt);
bool kbits_job_here(const struct kbits_job *job);
long kbits_agent_job_ns(struct kbits_agent_job_ns __user *uarg);
void kbits_job_dequeue(struct kbits_job *job);
long kbits_job_acknowledge(struct kbits_job *job);
void kbits_job_finish_completion(struct kbits_job *job, long result);
struct kbits_job *kbits_job_lookup(const guid_t *id);
void kbits_job_put(struct kbits_job *job);
void kbits_jobs_for_each(void (*fn)(struct kbits_job *job));
void kbits_job_cancel_idle(struct kbits_job *job, time64_t idle_since);

/* record.c: a job's whole record, for the agent (EXPORT, IMPORT) */
long kbits_agent_export(struct kbits_agent_record __user *uarg);
long kbits_agent_import(struct kbits_agent_record __user *uarg);

/* reaper.c: cancels the jobs left alone too long */
void kbits_reaper_start(void);
void kbits_reaper_stop(void);

/* events.c: a job's events for its job fds */
void kbits_job_event(struct kbits_job *job, u32 kind);
void kbits_job_changed(struct kbits_job *job, u32 kind);
ssize_t kbits_job_read(struct file *file, char __user *buf, size_t count,
		       loff_t *ppos);
void kbits_job_revoked(struct kbits_job *job);
__poll_t kbits_job_poll(struct file *file, struct poll_table_struct *pt);

/* agent.c: the agent fd, its events and its side of the state machine */
int kbits_agent_attach(unsigned long flags);
void kbits_agent_notify(struct kbits_job *job, u32 kind);
void kbits_agent_forget(struct kbits_job *job);
bool kbits_agent_places_files(void);

/* http.c: a job's proxy settings and custom HTTP headers */
long kbits_job_get_proxy(struct kbits_job_fd *jf,
			 struct kbits_job_proxy __user *uarg);
long kbits_job_set_proxy(struct kbits_job_fd *jf,
			 struct kbits_job_proxy __user *uarg);
bool kbits_http_headers_ok(const char *headers);

/* files.c: a job's files and progress */
long kbits_job_add_files(struct kbits_job_fd *jf,
			 struct kbits_add_files __user *uarg);
long kbits_job_get_file(struct kbits_job_fd *jf,
			struct kbits_job_file __user *uarg);
long kbits_job_get_progress(struct kbits_job_fd *jf,
			    struct kbits_job_progress __user *uarg);
bool kbits_job_all_files_done(const struct kbits_job *job);
bool kbits_file_names_ok(const char *remote, const char *local);
u32 kbits_job_drop_unfinished(struct kbits_job *job);
void kbits_job_free_files(struct kbits_job *job);

/* A cursor over an untrusted record (record.c). */
struct kbits_reader {
	const u8 *p;
	size_t left;
};

#ifdef KBITS_KUNIT
/* The module's insides that kbits_kunit.ko tests, static without it. */
struct user_namespace;

/* job.c */
int kbits_chain(kuid_t owner, const struct user_namespace *ns,
		unsigned long *keys);
int kbits_charge_to(struct kbits_job *job, kuid_t owner,
		    struct user_namespace **ns, bool force,
		    const struct kbits_limits *lim);
void kbits_uncharge(struct kbits_job *job);
unsigned int kbits_user_jobs(unsigned long key, unsigned int *all);
int kbits_resume_state(u32 state, u32 nr_files, bool all_done);
int kbits_suspend_state(u32 state);
u32 kbits_owned_state(u32 state);
bool kbits_may_complete(u32 type, u32 state);
/* http.c */
bool kbits_http_tchar(unsigned char c);
/* files.c */
bool kbits_remote_name_ok(const char *s);
u64 kbits_add_sat(u64 a, u64 b);
/* record.c */
void *kbits_record_make(struct kbits_job *job, size_t *len);
const void *kbits_take(struct kbits_reader *rd, size_t len);
char *kbits_take_string(struct kbits_reader *rd, u32 len, u32 max,
			bool empty_ok);
int kbits_record_check(const struct kbits_job_record *r, size_t len);
int kbits_record_files(struct kbits_job *job, struct kbits_reader *rd,
		       u32 nr);
time64_t kbits_clamp_time(s64 t);
struct kbits_job *kbits_record_job(const struct kbits_job_record *r,
				   struct kbits_reader *rd);
struct kbits_job *kbits_record_parse(const void *buf, size_t len,
				     struct kbits_job_record *r);
#endif

#endif /* KBITS_INTERNAL_H */
