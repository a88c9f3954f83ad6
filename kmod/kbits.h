/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbits: the module's internal interfaces, shared by every file of kmod/.
 *
 *   main.c      /dev/kbits and its ioctls, the module's parameters, init and
 *               exit; kbits_copy_args() for every ioctl's argument struct
 *   job.c       the queue (a GUID table and walk slots), the per-user limits,
 *               a job's life and references, the job fd and most of its
 *               ioctls, the user's side of the state machine, JOB_NS
 *   files.c     a job's files and progress (ADD_FILES, GET_FILE,
 *               GET_PROGRESS)
 *   http.c      a job's proxy settings and custom HTTP headers
 *   auth.c      a job's credentials (write-only: only EXPORT reads them)
 *   notify.c    a job's notify command
 *   events.c    a job's events for its job fds (read(), poll())
 *   agent.c     the agent fd: its events and ioctls, the agent's side of the
 *               state machine
 *   record.c    a job's whole record: EXPORT_JOB, IMPORT_JOB
 *   reaper.c    cancels the jobs left alone too long
 *   kbits_kunit.c  KUnit suites of the module's insides (kbits_kunit.ko),
 *               which the KBITS_KUNIT section below makes visible to them
 *
 * The functions are documented (kernel-doc) where they are defined.
 */
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

/**
 * struct kbits_file - A file of a job.
 * @remote: where it comes from (or goes, for an upload): NUL-terminated.
 * @local: where it goes (or comes from): NUL-terminated.
 * @bytes_total: its size; KBITS_SIZE_UNKNOWN until known.
 * @bytes_transferred: how far it got.
 * @completed: the agent transferred all of it.
 * @has_sha256: @sha256 holds the content it must have (KBITS_FILE_SHA256).
 * @mode: the mode it is placed with: 0666 & ~ the umask of who added it.
 * @sha256: its expected SHA-256, with @has_sha256; else zero.
 *
 * In its job's @files, under the job's lock.
 */
struct kbits_file {
	char *remote;
	char *local;
	u64 bytes_total;
	u64 bytes_transferred;
	bool completed;
	bool has_sha256;
	u16 mode;
	u8 sha256[KBITS_SHA256_SIZE];
};

/**
 * struct kbits_cred - A job's credentials for one target and scheme.
 * @user: the user name, NUL-terminated; NULL: none set.
 * @password: the password, NUL-terminated (kfree_sensitive()); NULL with
 *            @user.
 *
 * A job's @creds (struct kbits_job_cold) has one per target and scheme, at
 * kbits_cred_index().
 */
struct kbits_cred {
	char *user;
	char *password;
};

/* A job's credentials: one per enum kbits_auth_target and kbits_auth_scheme. */
#define KBITS_CREDS_MAX		8

/**
 * struct kbits_completion - A COMPLETE waiting for the agent to place files.
 * @result: what the COMPLETE returns: 0, KBITS_COMPLETE_PARTIAL or an errno.
 * @done: the wait is over; the waiter reads it with READ_ONCE().
 *
 * On the waiter's stack, and the job's @completer while it waits.  The
 * agent's PLACED, or its detaching, sets @result and then @done, under the
 * job's lock (kbits_job_finish_completion()).
 */
struct kbits_completion {
	long result;
	bool done;
};

/**
 * struct kbits_job_cold - The settings of a job that most jobs never set.
 * @description: NUL-terminated UTF-8; NULL: empty.
 * @proxy_list: NUL-terminated; NULL: none.
 * @proxy_bypass: NUL-terminated; NULL: none.
 * @http_headers: NUL-terminated (kfree_sensitive()); NULL: none.
 * @notify_cmd: the notify command, its arguments each ended by a NUL;
 *              NULL: none.
 * @creds: its credentials (auth.c), KBITS_CREDS_MAX of them, allocated at
 *         the first SET_CREDENTIALS; NULL: none ever set.
 * @reply_file: an UPLOAD_REPLY job's reply file name, NUL-terminated;
 *              NULL: none.
 * @proxy_usage: an enum kbits_proxy_usage.
 * @notify_cmd_len: @notify_cmd's bytes, the NULs included.
 * @error: the last error (its context NONE: none).
 * @reply_mode: the mode the reply file is placed with (as a file's @mode).
 *
 * Out of line (the job's @cold), so that a job that has none of them costs
 * less: made by kbits_job_cold() when one is first set, under the job's
 * lock, and freed with the job.  A job without it (@cold NULL) has all of
 * them zero or NULL, as kbits_cold() reads it.
 */
struct kbits_job_cold {
	char *description;
	char *proxy_list;
	char *proxy_bypass;
	char *http_headers;
	char *notify_cmd;
	struct kbits_cred *creds;
	char *reply_file;
	u32 proxy_usage;
	u32 notify_cmd_len;
	struct {
		u32 context;		/* enum kbits_error_context */
		s32 code;
		u32 flags;		/* KBITS_ERROR_HTTP: @code is one */
		u32 file_index;
		char *text;		/* NUL-terminated UTF-8, or NULL */
	} error;
	u16 reply_mode;
};

/**
 * struct kbits_job - A job: files to transfer, and how.
 * @node: in the queue's table (kbits_jobs), keyed by @id.
 * @id: its GUID.
 * @slot: its index in the queue's walk order (kbits_slots).
 * @ref: its references (see below).
 * @owner: the creator's euid, or who took it over last.
 * @type: an enum kbits_job_type.
 * @user_ns: the owner's user namespace when it became owner (a reference).
 * @ctime: its creation, wall-clock seconds.
 * @agent_node: in agent.c's list while it keeps events for the agent.
 * @rcu: frees it a grace period after its release (call_rcu()), for the
 *       lookups that walk the queue under RCU.  It shares @agent_node's
 *       room: the release takes the job off agent.c's list first
 *       (kbits_agent_forget()), and nothing reads @agent_node after.
 * @agent_pending: the kinds of event it keeps for the agent: a bit each.
 * @charged: it counts against the limits (kbits_users) until it is freed,
 *           or until an administrator's TAKE_OWNERSHIP uncharges it.
 * @transfer_running: a stretch of @transfer_ns is running.
 * @agent_places: a KBITS_AGENT_PLACES_FILES agent took it: its files are
 *                under temporary names until the agent places them.
 * @completing: a COMPLETE waits for the agent's PLACED.
 * @lock: serialises its changes (see below).
 * @state: an enum kbits_job_state; written with WRITE_ONCE(), also read
 *         without @lock.
 * @priority: an enum kbits_job_priority.
 * @display_name: NUL-terminated UTF-8.
 * @root: the owner's root directory (JOB_NS): none for a job imported from
 *        a record made in other namespaces.
 * @net: the owner's network namespace (JOB_NS), a reference: NULL with no
 *       @root.
 * @owner_gen: the TAKE_OWNERSHIPs so far: a job fd made before the last one
 *             is revoked; also read without @lock.
 * @flags: KBITS_JOB_* flags.
 * @notify_flags: KBITS_NOTIFY_* flags: the events its job fds get.
 * @min_retry_delay: seconds.
 * @no_progress_timeout: seconds.
 * @max_download_time: seconds; 0: no limit.
 * @error_count: the errors the agent reported.
 * @transfer_ns: the time it spent CONNECTING or TRANSFERRING since its
 *               creation or the last RESUME that queued it, in the stretches
 *               that ended (boottime nanoseconds: it counts system suspend);
 *               kbits_job_account() keeps it, @transfer_since and
 *               @transfer_running up to date with @state.
 * @transfer_since: when the running stretch began (boottime nanoseconds).
 * @mtime: its last change by its user, wall-clock seconds (the reaper's).
 * @completion_time: when it became TRANSFERRED; 0: not yet.
 * @files: its @nr_files files, in the order added.
 * @events: events.c's ring, or NULL: made with the first event while the job
 *          has a job fd, freed when its last one closes.
 * @nr_files: how many.
 * @nr_fds: its job fds, open or not yet installed.
 * @event_seq: the number of the last event; also read without @lock.
 * @wait: its job fds' readers, and a COMPLETE waiting for the agent.
 * @completer: that COMPLETE, while it still waits.
 * @cold: the settings most jobs never set, or NULL: none of them set
 *        (struct kbits_job_cold).
 *
 * The queue (kbits_jobs) holds one reference while the job is in it; every
 * job fd holds one more, and so does agent.c's list while the job keeps a
 * final event (CANCELLED, COMPLETED) the agent has not read.  @id, @type and
 * @ctime never change once the job is queued.  TAKE_OWNERSHIP changes
 * @owner, @user_ns, @root, @net and @owner_gen under @lock, and @owner and
 * @user_ns also under kbits_users_lock; @owner is read with READ_ONCE()
 * elsewhere.  @charged changes under kbits_users_lock; @agent_node and
 * @agent_pending under agent.c's lock; @transfer_running, @agent_places,
 * @completing and the fields after @lock change under @lock.  The fields
 * are ordered so that the struct has no holes (it comes from its own
 * kmem_cache, kbits_job_cache, at its size).
 */
struct kbits_job {
	struct rhash_head node;
	guid_t id;
	u32 slot;
	struct kref ref;
	kuid_t owner;
	u32 type;
	struct user_namespace *user_ns;
	time64_t ctime;
	union {
		struct list_head agent_node;
		struct rcu_head rcu;
	};
	u32 agent_pending;
	bool charged;
	bool transfer_running;
	bool agent_places;
	bool completing;

	struct mutex lock;		/* serialises its changes */
	u32 state;
	u32 priority;
	char *display_name;
	struct path root;
	struct net *net;
	u64 owner_gen;
	u32 flags;
	u32 notify_flags;
	u32 min_retry_delay;
	u32 no_progress_timeout;
	u32 max_download_time;
	u32 error_count;
	u64 transfer_ns;
	u64 transfer_since;
	time64_t mtime;
	time64_t completion_time;
	struct kbits_file *files;
	struct kbits_event *events;
	u32 nr_files;
	u32 nr_fds;
	u64 event_seq;
	wait_queue_head_t wait;
	struct kbits_completion *completer;
	struct kbits_job_cold *cold;
};

/* A job without its struct kbits_job_cold reads as this: all zero. */
extern const struct kbits_job_cold kbits_no_cold;

/**
 * kbits_cold() - A job's cold settings, for reading.
 * @job: the job, its lock held (or not yet seen by anyone else).
 *
 * Return: @job->cold, or kbits_no_cold when it has none: every field zero or
 * NULL, as a job that never set one has them.
 */
static inline const struct kbits_job_cold *
kbits_cold(const struct kbits_job *job)
{
	return job->cold ?: &kbits_no_cold;
}

/**
 * struct kbits_job_fd - A job fd's own state.
 * @job: its job, on which the fd holds a reference; NULL only while the fd
 *       is being made and not installed (kbits_job_file_new() in job.c).
 * @cursor: the number of the last event it read; changes under the job's
 *          lock, and is also read without it.
 * @owner_gen: the job's owner_gen when the fd was made (or took the job
 *             over): the fd is revoked once the job's is newer
 *             (kbits_job_fd_check()).
 */
struct kbits_job_fd {
	struct kbits_job *job;
	u64 cursor;
	u64 owner_gen;
};

/* Files one job may have, whatever max_files_per_job says. */
#define KBITS_FILES_PER_JOB_LIMIT	65536

extern unsigned int kbits_max_jobs;
extern unsigned int kbits_max_jobs_per_user;
extern unsigned int kbits_max_files_per_job;

/**
 * struct kbits_limits - The limits a job's count is checked against.
 * @jobs: the jobs counted, all users together (max_jobs).
 * @per_user: the jobs counted against one user (max_jobs_per_user).
 *
 * See kbits_charge_to().
 */
struct kbits_limits {
	unsigned int jobs;
	unsigned int per_user;
};

/* job.c: the queue, the limits, a job's life, the job fd (but as marked) */
int kbits_jobs_init(void);
void kbits_jobs_exit(void);

int kbits_create_job(const char __user *name, u32 name_len, u32 type,
		     guid_t __user *id_out);
int kbits_get_job(const guid_t *id);
int kbits_enum_jobs(struct kbits_enum_jobs *args,
		    struct kbits_job_id __user *ids);

struct kbits_job_cold *kbits_job_cold(struct kbits_job *job);

/* main.c's */
int kbits_copy_args(void *dst, size_t ksize, const void __user *uarg,
		    size_t minsize);
/* job.c's again */
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
bool kbits_may_get(const struct kbits_job *job, bool audit);
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
bool kbits_error_code_ok(u32 flags, s32 code);

/* http.c: a job's proxy settings and custom HTTP headers */
long kbits_job_get_proxy(struct kbits_job_fd *jf,
			 struct kbits_job_proxy __user *uarg);
long kbits_job_set_proxy(struct kbits_job_fd *jf,
			 struct kbits_job_proxy __user *uarg);
bool kbits_http_headers_ok(const char *headers);

/* files.c: a job's files and progress */
bool kbits_notify_cmd_ok(const char *cmd, size_t len);
/* auth.c: a job's credentials, which only the agent's EXPORT reads */
int kbits_cred_index(u32 target, u32 scheme);
bool kbits_cred_user_ok(const char *user, u32 scheme);
int kbits_job_set_cred(struct kbits_job *job, int index, char *user,
		       char *password);
void kbits_creds_free(struct kbits_cred *creds);
bool kbits_job_has_secrets(const struct kbits_job *job);
bool kbits_job_may_aim(const struct kbits_job *job);
long kbits_job_set_credentials(struct kbits_job_fd *jf,
			       struct kbits_job_credentials __user *uarg);
long kbits_job_get_credentials(struct kbits_job_fd *jf,
			       struct kbits_job_cred_schemes __user *uarg);
/* files.c: an UPLOAD_REPLY job's reply file (job.c's string GET reads it) */
long kbits_job_set_reply_file(struct kbits_job_fd *jf,
			      struct kbits_job_string __user *uarg);
long kbits_job_get_notify_cmd(struct kbits_job_fd *jf,
			      struct kbits_job_string __user *uarg);
long kbits_job_set_notify_cmd(struct kbits_job_fd *jf,
			      struct kbits_job_string __user *uarg);
long kbits_job_add_files(struct kbits_job_fd *jf,
			 struct kbits_add_files __user *uarg);
long kbits_job_get_file(struct kbits_job_fd *jf,
			struct kbits_job_file __user *uarg);
long kbits_job_get_progress(struct kbits_job_fd *jf,
			    struct kbits_job_progress __user *uarg);
bool kbits_job_all_files_done(const struct kbits_job *job);
bool kbits_file_names_ok(const char *remote, const char *local);
bool kbits_file_sha256_ok(u32 flags, const u8 *sha256, u32 type);
u32 kbits_file_flags(const struct kbits_file *f);
u32 kbits_job_drop_unfinished(struct kbits_job *job);
void kbits_job_free_files(struct kbits_job *job);

/**
 * struct kbits_reader - A cursor over an untrusted record (record.c).
 * @p: the next byte.
 * @left: the bytes from @p to the record's end.
 */
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
		       u32 nr, u32 file_size);
time64_t kbits_clamp_time(s64 t);
struct kbits_job *kbits_record_job(const struct kbits_job_record *r,
				   struct kbits_reader *rd);
struct kbits_job *kbits_record_parse(const void *buf, size_t len,
				     struct kbits_job_record *r);
#endif

#endif /* KBITS_INTERNAL_H */
