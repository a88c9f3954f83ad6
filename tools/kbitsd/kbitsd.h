/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbitsd: the agent of kbits, the privileged daemon that transfers the files
 * of the kernel's queued jobs.  The declarations its parts share:
 *
 *   main.c      options, signals, daemonising, the top of the main loop
 *   log.c       logging to stderr with sd-daemon(3) priority prefixes
 *   policy.c    the administrator's settings: kbitsd.conf, --max-jobs,
 *               --max-rate...; the background rate controller's arithmetic
 *   agent.c     the agent: its events, the store, the main loop; its other
 *               parts (agent.h): agentfd.c, sched.c, run.c, bandwidth.c
 *   netwatch.c  links going down and up (rtnetlink), interface counters
 *   worker.c    the worker: the child process, running as the job's owner,
 *               that transfers a job's files and reports over a socket
 *   transfer.c  one file, in the worker: libcurl for http(s), a local copy
 *   upload.c    an upload job's file, in the worker: PUT or POST, the reply
 *   place.c     the temporaries: their names, placing them, removing them
 *   owner.c     becoming the job's owner in a clean child process
 *   ns.c        the job's namespaces (its root and network namespace), and
 *               entering them in that child
 *   store.c     the queue on disk (SQLite)
 */
#ifndef KBITSD_H
#define KBITSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>

#include <kbits/kbits.h>

struct curl_slist;

/* A TCP connection, by its addresses and ports (host order). */
struct conn_id {
	uint16_t family;	/* AF_INET, AF_INET6; 0: none */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
};

/* ------------------------------------------------------------------ log.c */

/* @prio: LOG_ERR, LOG_WARNING, LOG_INFO or LOG_DEBUG. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line about a job: "job {guid}: ..." */
void log_job(int prio, const struct kbits_guid *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --------------------------------------------------------------- policy.c */

#define PRIORITY_COUNT		4	/* FOREGROUND, HIGH, NORMAL, LOW */
#define POLICY_CAPS_MAX		64
#define MAX_JOBS_DEFAULT	4
#define SLICE_DEFAULT		30	/* seconds */
#define SLOTS_LIMIT		64	/* workers at once, FOREGROUND ones included */
#define SLOTS_LIMIT_TEXT	"64"
#define DEFAULT_CONFIG		"/etc/kbits/kbitsd.conf"

/* A cap on a priority's total rate, always or during some hours. */
struct rate_cap {
	enum kbits_job_priority priority;
	uint64_t rate;		/* bytes/s */
	int from_hour, to_hour;	/* [from, to) local time, may wrap; -1: always */
};

/* How kbitsd shares the network (kbitsd.conf, the command line). */
struct policy {
	unsigned int max_jobs;	/* background (HIGH, NORMAL, LOW) jobs at once */
	unsigned int slice;	/* seconds a job of a priority runs while others wait */
	bool yield;		/* background jobs use only bandwidth others leave idle */
	struct rate_cap caps[POLICY_CAPS_MAX];
	size_t ncaps;
};

void policy_init(struct policy *p);
/* Bytes per second: digits, optionally K, M or G (powers of 1024). 0 or -EINVAL. */
int policy_parse_rate(const char *s, uint64_t *rate);
/*
 * "PRIORITY=RATE" (the command line) or "PRIORITY RATE [HH-HH]" (the
 * file): adds a cap.  0, or -EINVAL with @why set, or -ENOSPC.
 */
int policy_add_cap(struct policy *p, const char *arg, bool file_syntax, const char **why);
/*
 * Reads @path: lines "key = value", '#' comments; keys max-jobs, slice,
 * yield, max-rate.  A missing file is fine unless @must_exist.  0, or a
 * negative errno after logging where and why.
 */
int policy_load(struct policy *p, const char *path, bool must_exist);
/* The cap on @prio's total rate at local hour @hour (0-23): bytes/s, 0: none. */
uint64_t policy_cap(const struct policy *p, enum kbits_job_priority prio, int hour);
/*
 * May the daemon ever slow a job of @prio: it yields (a background job while
 * @p->yield), or a cap on @prio applies at some hour?
 */
bool policy_may_slow(const struct policy *p, enum kbits_job_priority prio);

/*
 * The background rate controller of one interface: every tick it sees the
 * interface's bytes and the background jobs' own over the tick, and sets
 * the limit of their total rate.  Other traffic above what the jobs' own
 * packets explain sets the limit to YIELD_FLOOR at once, so that the
 * other gets the link within a second or two; after YIELD_HOLD looks
 * without, each look doubles it, up to YIELD_CEILING (then none).
 */
#define YIELD_FLOOR	(16 * 1024)	/* bytes/s background jobs keep */
#define YIELD_HOLD	4		/* quiet looks before the limit grows */
#define YIELD_CEILING	(1ULL << 31)	/* a limit this high is none */

struct yield_ctl {
	uint64_t limit;		/* bytes/s; 0: none */
	unsigned int quiet;	/* looks without others since the last cut */
};

/* One tick of @ms milliseconds: @iface_bytes on the interface, @bg_bytes the jobs'. */
void yield_update(struct yield_ctl *y, uint64_t iface_bytes, uint64_t bg_bytes, int64_t ms);

/* ------------------------------------------------------------------- ns.c */

/*
 * The namespaces a job's I/O happens in: those of whoever created the job
 * or took it over last (KBITS_AGENT_IOC_JOB_NS).
 */
struct job_ns {
	int root_fd;		/* O_PATH fd of its root directory */
	int net_fd;		/* nsfs fd of its network namespace */
};

/* Fresh fds of job @id's namespaces: 0, -ENOENT (not queued) or a negative errno. */
int job_ns_get(int agent_fd, const struct kbits_guid *id, struct job_ns *ns);
void job_ns_close(struct job_ns *ns);
/* The steps of job_ns_enter(), for the daemon to say which failed. */
enum {
	JOB_NS_STEP_NET,	/* setns() */
	JOB_NS_STEP_ROOT,	/* fchdir() */
	JOB_NS_STEP_CHROOT,	/* chroot("."), chdir("/") */
	JOB_NS_STEP_TIMEOUT,	/* the child took too long */
};
/* "enter the job's network namespace", ... */
const char *job_ns_step_name(int step);
/*
 * In an owner child, before it drops its privileges: setns() into the
 * network namespace, fchdir() to the root, chroot("."), chdir("/").  0, or
 * a negative errno with *@step the step that failed.  The fds stay open
 * (owner_fork() closes them).
 */
int job_ns_enter(const struct job_ns *ns, int *step);

/*
 * The namespaces of the jobs the daemon knows, kept after the kernel
 * forgets them (when a job leaves the queue), so that a cancelled job's
 * temporaries are removed where they were made.  Jobs with the same
 * namespaces share their fds.
 */
struct ns_cache;

int ns_cache_new(struct ns_cache **out);
void ns_cache_free(struct ns_cache *c);
/*
 * Reads job @id's namespaces from the kernel into the cache; *@out (when
 * not NULL) points at them, valid until the job is forgotten or updated.
 * 0, -ENOENT (not queued: what was kept stays) or a negative errno.
 */
int ns_cache_update(struct ns_cache *c, int agent_fd, const struct kbits_guid *id,
		    const struct job_ns **out);
/* What the cache has of job @id, or NULL. */
const struct job_ns *ns_cache_find(struct ns_cache *c, const struct kbits_guid *id);
void ns_cache_forget(struct ns_cache *c, const struct kbits_guid *id);

/* ---------------------------------------------------------------- owner.c */

/* Who a job's owner is: looked up in the daemon, before any fork. */
struct owner {
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups, malloc'd */
	int ngroups;
};

/*
 * 0 or a negative errno.  A uid without a passwd entry gets gid 65534 and
 * no supplementary groups; a lookup that failed (sssd or LDAP down: EIO,
 * EAGAIN...) is an error, for the job to retry later, never a reason to
 * run with fewer groups.
 */
int owner_lookup(uid_t uid, struct owner *o);
void owner_release(struct owner *o);

/* The fd number of the socket an owner child talks to the daemon on. */
#define OWNER_CHILD_FD 3

/*
 * Forks a child that becomes @o for good, in the namespaces @ns.  Before
 * it drops privileges the child resets its signal mask, enters @ns
 * (job_ns_enter()), closes every fd but stdin, stdout, stderr and @keep_fd
 * (moved to OWNER_CHILD_FD); then it sets the groups, gid and uid (and for
 * uid 0 drops every capability), sets PR_SET_NO_NEW_PRIVS and
 * PR_SET_DUMPABLE 0, and checks with capget() that no capability is left
 * and that setuid(0) fails; any failure _exits.  It must not touch the
 * daemon's state (agent fd, store, libcurl handles) and ends with _exit().
 * Returns 0 in the child, the child's pid in the daemon, or a negative
 * errno: when the child could not enter @ns, *@ns_failed says what failed
 * (else it is NULL), and the child is gone.
 */
pid_t owner_fork(const struct owner *o, const struct job_ns *ns, int keep_fd,
		 const char **ns_failed);
/*
 * The daemon is done with child @pid: SIGKILLs it when @kill, then reaps it;
 * one that has not exited within a second is reaped later by
 * owner_reap_later(), so that the daemon never waits on it.
 */
void owner_child_done(pid_t pid, bool kill);
/*
 * The daemon leaves child @pid to run on (a notify command): it is reaped
 * by owner_reap_later() once it exits, never waited on.
 */
void owner_child_detach(pid_t pid);
/*
 * Reaps the children owner_child_done() could not reap at once and the
 * detached ones that exited.
 */
void owner_reap_later(void);
/*
 * Waits up to @timeout_ms for a record from an owner child on @fd; 1 with
 * it in @buf, 0 on timeout, -EPIPE when the child closed its end.
 */
int owner_child_recv(int fd, void *buf, size_t len, int timeout_ms);

/* ---------------------------------------------------------------- place.c */

/* A temporary's name in its directory: ".kbits-<32 hex digits>-<index>.part". */
#define TEMP_NAME_MAX 64
void temp_name(const struct kbits_guid *id, uint32_t index, char name[TEMP_NAME_MAX]);
/* An UPLOAD_REPLY job's reply's temporary: ".kbits-<32 hex digits>-reply.part". */
void reply_temp_name(const struct kbits_guid *id, char name[TEMP_NAME_MAX]);
/*
 * The reply file of an UPLOAD_REPLY job's EXPORT record @rec (@len bytes):
 * its name (malloc'd into *@name) and mode (0: none recorded).  0,
 * -ENODATA (none: another type of job, or a record of an older module),
 * -EINVAL (a record whose lengths do not add up) or -ENOMEM.
 */
int record_reply(const void *rec, size_t len, char **name, uint32_t *mode);
/* The directory part of @local ("/" for "/x"), malloc'd; NULL: no memory. */
char *local_dir(const char *local);
/* The last component of @local (a pointer into it). */
const char *local_base(const char *local);

/* A file of a job as place.c needs it. */
struct place_file {
	const char *local;
	bool completed;
	uint32_t mode;		/* its mode once placed (GET_FILE's); 0: the temporary's 0600 */
	bool reply;		/* an UPLOAD_REPLY job's reply (reply_temp_name()), @local its name */
};

/*
 * Completing a job: in one owner child (see owner_fork()), relative to each
 * file's directory fd, gives the temporaries of the completed files their
 * modes (fchmod) and moves them to their local names, and removes the
 * others'.  0, or the negative errno of the first move that failed (the
 * files moved before it stay moved); -ETIMEDOUT when the child did not
 * finish in time (it is killed).
 */
int place_files(const struct owner *o, const struct job_ns *ns, const struct kbits_guid *id,
		const struct place_file *files, size_t n);
/* Cancelling a job: removes every temporary it may have, likewise. */
void remove_temps(const struct owner *o, const struct job_ns *ns, const struct kbits_guid *id,
		  const struct place_file *files, size_t n);

/* ---------------------------------------------------------------- store.c */

struct store;

/*
 * What says that a file is still the one whose first bytes are in its
 * temporary (BITS: a resume never splices two versions): for http(s),
 * the first response's ETag, Last-Modified and total size; for a local
 * source, its size and mtime.  Fixed-size, NUL-terminated strings: it
 * crosses the worker's socket as is.
 */
#define VALIDATOR_NONE	0	/* not known: a temporary with bytes starts over */
#define VALIDATOR_HTTP	1
#define VALIDATOR_LOCAL	2
#define VALIDATOR_ETAG_MAX	192
#define VALIDATOR_DATE_MAX	64

struct file_validator {
	uint32_t kind;			/* VALIDATOR_* */
	uint32_t mtime_nsec;		/* LOCAL */
	uint64_t total;			/* or KBITS_SIZE_UNKNOWN (HTTP) */
	int64_t mtime_sec;		/* LOCAL */
	char etag[VALIDATOR_ETAG_MAX];	/* HTTP, "" when none */
	char last_modified[VALIDATOR_DATE_MAX];	/* HTTP, "" when none */
};

/* Whether @v is well formed (its strings terminated, its kind known). */
bool validator_ok(const struct file_validator *v);

/* A file as the store keeps it (the names are malloc'd). */
struct store_file {
	char *remote;
	char *local;
	uint64_t bytes_total;
	uint64_t bytes_transferred;
	bool completed;
};

/* A job as the store keeps it. */
struct store_job {
	struct kbits_guid id;
	uid_t owner;
	enum kbits_job_state state;
	enum kbits_job_priority priority;
	const char *display_name;
	const void *record;		/* the EXPORT_JOB record */
	size_t record_len;
	const struct kbits_file *files;	/* libkbits's, as kbits_job_get_files() gives them */
	size_t nfiles;
	time_t last_progress;		/* its last progress; 0: as stored before */
};

/*
 * Makes sure @dir is a directory (created 0700 when missing), not a
 * symlink, owned by the daemon's euid, with no group or other bits (they are
 * removed, with a warning).  0 or a negative errno, logged.
 */
int store_prepare_dir(const char *dir);
/* Opens (creating them, 0600) @dir and @dir/queue.db.  0 or a negative errno. */
int store_open(const char *dir, struct store **out);
void store_close(struct store *s);
/* Writes a job and its files, replacing what was there, in one transaction. */
int store_put(struct store *s, const struct store_job *job);
int store_delete(struct store *s, const struct kbits_guid *id);
/*
 * Many changes in one transaction (one fsync): store_put() and
 * store_delete() between these two are each still all or nothing.
 */
int store_batch_begin(struct store *s);
int store_batch_end(struct store *s);
/*
 * Calls @fn for every stored job's record; a negative return of @fn stops
 * the walk and is returned.
 */
int store_for_each_record(struct store *s,
			  int (*fn)(void *ctx, const struct kbits_guid *id,
				    const void *rec, size_t len),
			  void *ctx);
/* The stored files and owner of a job: -ENOENT when it is not stored. */
int store_get_files(struct store *s, const struct kbits_guid *id, uid_t *owner,
		    struct store_file **files, size_t *n);
void store_files_free(struct store_file *files, size_t n);
/* The stored record of job @id, malloc'd into *@rec: -ENOENT when not stored. */
int store_get_record(struct store *s, const struct kbits_guid *id, void **rec, size_t *len);
/* When job @id last made progress, as stored: -ENOENT when not known. */
int store_get_progress(struct store *s, const struct kbits_guid *id, time_t *when);
/*
 * The validators of job @id's files (see struct file_validator) into @v[0 ..
 * @n): those stored for a file with another remote name than @files' are
 * not used (kind 0).  0 or a negative errno.
 */
int store_get_validators(struct store *s, const struct kbits_guid *id,
			 const struct kbits_file *files, struct file_validator *v, size_t n);
/* Stores (replaces) file @index's validators, @remote its remote name. */
int store_put_validator(struct store *s, const struct kbits_guid *id, uint32_t index,
			const char *remote, const struct file_validator *v);

/* ------------------------------------------------------------- transfer.c */

/* How a transfer failed. */
struct xfer_error {
	bool transient;
	bool http;			/* @code is an HTTP status: KBITS_ERROR_HTTP */
	enum kbits_error_context context;
	int code;			/* a positive errno or an HTTP status */
	uint32_t file_index;		/* or KBITS_NO_FILE */
	char text[512];			/* NUL-terminated */
};

enum xfer_result {
	XFER_DONE,		/* every file is complete */
	XFER_FAILED,		/* see the struct xfer_error */
	XFER_STOPPED,		/* the daemon stopped the worker */
};

/*
 * Fills every field of @err, its text from @fmt (cut to fit): the one way
 * an xfer_error is made, in the worker and in the daemon.  Returns
 * XFER_FAILED.
 */
enum xfer_result xfer_fail(struct xfer_error *err, bool transient,
			   enum kbits_error_context ctx, int code, uint32_t index,
			   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * One target's credentials, as libcurl takes them (auth.c): one user name
 * and password, for the schemes in @offered (1U << enum kbits_auth_scheme
 * each); @set is every scheme the job has for the target.
 */
struct net_auth {
	uint32_t set;
	uint32_t offered;	/* 0: no credentials for this target */
	char *user;		/* malloc'd; zeroed when released */
	char *password;
};

/* How the job reaches HTTP servers. */
struct net_settings {
	enum kbits_proxy_usage proxy_usage;
	char *proxy_list;	/* malloc'd or NULL */
	char *proxy_bypass;
	char *http_headers;	/* CR LF separated "Name: value" lines, or NULL */
	bool dynamic;		/* KBITS_JOB_DYNAMIC_CONTENT */
	bool headers_write_only;	/* @http_headers came from the record */
	/*
	 * Nothing will ever slow it (policy_may_slow() is false): curl reads
	 * in big buffers, as the curl tool does (transfer.c: setup_curl()).
	 * Set by the daemon, not read from the job.
	 */
	bool unpaced;
	struct net_auth server, proxy;	/* from the record, never a job fd */
};

/*
 * In the daemon, once: curl_global_init(), and libcrypto's SHA-256 fetched
 * (before any worker enters a job's root, where OpenSSL's files may not be).
 * 0, or a negative errno after logging which failed.
 */
int transfer_global_init(void);
void transfer_global_cleanup(void);

/*
 * In the daemon: job @id's (@j's) proxy settings, HTTP headers and
 * credentials, the secrets from its EXPORT record through agent fd @afd
 * (net_secrets_read()); 0 or a negative errno.  Release zeroes the secrets.
 */
int net_settings_read(int afd, const struct kbits_guid *id, struct kbits_job *j,
		      struct net_settings *ns);
void net_settings_release(struct net_settings *ns);

/* ----------------------------------------------------------------- auth.c */

/*
 * In the daemon: job @id's secrets into @ns from its EXPORT record (agent fd
 * @afd): the credentials (ns->server, ns->proxy) and, when the job has
 * KBITS_JOB_HEADERS_WRITE_ONLY, its custom headers (replacing
 * ns->http_headers).  Logs which schemes the job has, never a secret.  0
 * (an older module's record: none), -EINVAL (a record that does not add
 * up), -ENOMEM or EXPORT's errno.
 */
int net_secrets_read(int afd, const struct kbits_guid *id, struct net_settings *ns);
/*
 * The same from record @rec (@len bytes), without logging: checks the
 * whole record's lengths.  0, -EINVAL or -ENOMEM.
 */
int record_secrets(const void *rec, size_t len, struct net_settings *ns);
void net_auth_release(struct net_auth *a);
/* "negotiate, ntlm, digest, basic" for the bits of @set into @buf; its length */
size_t auth_scheme_names(uint32_t set, char *buf, size_t size);

/*
 * What every request of a job carries, in transfer.c so that downloads and
 * uploads (upload.c) reach servers alike: @url, the protocols and redirects
 * allowed, the user agent, the timeouts, the socket callback (the worker's
 * byte counts), the job's proxy (*@proxy: a string to free after the
 * request), its credentials for the server and the proxy (the schemes and
 * pair auth.c chose), and its custom headers appended to *@headers, which
 * the caller sets (CURLOPT_HTTPHEADER) once it added its own.  0, -EINVAL
 * (the job's proxy is not one kbitsd uses), -ENOMEM or -ENOPROTOOPT (a
 * libcurl without an option).  @c is a CURL *.
 */
int net_curl_setup(void *c, const char *url, const struct net_settings *ns,
		   struct curl_slist **headers, char **proxy);
/* The code of @err becomes HTTP status @status (KBITS_ERROR_HTTP), or EPROTO. */
void xfer_http_status(struct xfer_error *err, long status);
/* @url without its user:password@, into @buf: for texts and the log. */
const char *url_for_text(const char *url, char *buf, size_t size);
/*
 * An errno for a failed libcurl transfer (@rc a CURLcode of handle @curl),
 * whether it is worth a retry, and where it happened.
 */
int curl_errno(int rc, void *curl, bool *transient, enum kbits_error_context *ctx);

/*
 * In the worker, as the owner: transfers file @index of job @id (the
 * source, then its temporary, then the bytes; fsync'd when complete),
 * reporting with worker_progress().  With @sha256 (the file's expected
 * digest; NULL: none) the whole temporary is hashed once it is complete: on
 * a mismatch it is removed and the file fails (LOCAL_FILE, EBADMSG), never
 * reported complete.
 */
enum xfer_result transfer_file(const struct kbits_guid *id, uid_t owner, uint32_t index,
			       const struct kbits_file *f, const uint8_t *sha256,
			       const struct net_settings *ns, const struct file_validator *val,
			       struct xfer_error *err);

/* --------------------------------------------------------------- upload.c */

/*
 * In the worker, as the owner: the upload job's file @index of job @id,
 * its local name sent to its http(s) remote name with PUT (POST when
 * @post), from byte 0; with @reply (an UPLOAD_REPLY job's reply file) the
 * server's reply body is written to its temporary (reply_temp_name()),
 * whole and fsync'd before the file is reported complete.  A source that
 * changed while it was sent is a transient error.
 */
enum xfer_result upload_file(const struct kbits_guid *id, uint32_t index,
			     const struct kbits_file *f, bool post, const char *reply,
			     const struct net_settings *ns, struct xfer_error *err);

/* ---------------------------------------------------------------- worker.c */

/*
 * A worker is the owner child that transfers one job's files: the daemon
 * forks it per job run, it sends records over a SOCK_SEQPACKET socket (one
 * struct worker_msg per packet), and the daemon SIGKILLs it to stop it.
 */
enum worker_msg_kind {
	WORKER_PROGRESS = 1,	/* file @index: @total, @done, @flags */
	WORKER_RESULT = 2,	/* the end: @result, and @error when XFER_FAILED */
	WORKER_VALIDATOR = 3,	/* file @index's new validators: @val */
	WORKER_IFACE = 4,	/* the interface its connection uses: @iface */
};

#define WORKER_COMPLETED	(1U << 0)	/* the file is complete and fsync'd */
#define WORKER_FRESH		(1U << 1)	/* bytes of it arrived in this run */

struct worker_msg {
	uint32_t kind;
	uint32_t index;
	uint64_t total;		/* or KBITS_SIZE_UNKNOWN */
	uint64_t done;
	uint32_t flags;
	uint32_t result;	/* enum xfer_result */
	uint64_t net;		/* PROGRESS: bytes received from the network so far */
	struct xfer_error error;
	struct file_validator val;
	char iface[16];		/* IFACE: NUL-terminated */
	struct conn_id conn;	/* IFACE: its connection */
};

/* What the daemon tells a worker (one struct per packet, the other way). */
enum worker_ctl_kind {
	/*
	 * receive at most @rate bytes/s (0: no limit), with a TCP window of at
	 * most @window bytes (0: TCP's own)
	 */
	WORKER_CTL_RATE = 1,
};

struct worker_ctl {
	uint32_t kind;
	uint32_t window;
	uint64_t rate;
};

/* What a worker transfers. */
struct worker_job {
	struct kbits_guid id;
	const struct owner *owner;
	const struct job_ns *jns;	/* where: the job's namespaces */
	const struct kbits_file *files;
	const struct kbits_file_attrs *attrs;	/* one per file: its SHA-256 */
	const struct file_validator *vals;	/* one per file, from the store */
	size_t nfiles;
	const struct net_settings *ns;
	enum kbits_job_type type;	/* an upload's file goes with upload_file() */
	bool post;			/* KBITS_JOB_UPLOAD_POST */
	const char *reply;		/* UPLOAD_REPLY: the reply file; else NULL */
};

struct worker {
	pid_t pid;
	int fd;			/* the daemon's end, O_NONBLOCK */
};

/*
 * Forks the worker of @job; 0 or a negative errno (with *@ns_failed set as
 * owner_fork() sets it).
 */
int worker_start(const struct worker_job *job, struct worker *w, const char **ns_failed);
/*
 * One record, checked: 1 with it in @m, 0 when none waits, -EPIPE when the
 * worker is gone, -EPROTO for a malformed record.
 */
int worker_receive(struct worker *w, size_t nfiles, struct worker_msg *m);
/* Ends the worker: @kill it, or reap it after its result. */
void worker_stop(struct worker *w, bool kill);

/*
 * In the worker: sends file @index's progress, at most every 50 ms unless
 * @force (the daemon tells the kernel at most every 200 ms); and at least
 * every second as a heartbeat when called that often.
 */
void worker_progress(uint32_t index, uint64_t total, uint64_t done, uint32_t flags,
		     bool force);
/* In the worker: file @index's new validators, before any byte of them is written. */
void worker_validator(uint32_t index, const struct file_validator *v);
/*
 * In the worker: the connection a response comes on (its socket, -1 when
 * it is done), whose bytes on the wire worker_progress() reports.
 */
void worker_socket(int fd);
/* In the worker: the connection uses interface @name (sent when it changes). */
void worker_iface(const char *name);
/*
 * In the worker, after @len bytes came from the network: counts them, reads
 * the daemon's rate, and sleeps as long as the rate asks.
 */
void worker_received(size_t len);

/* ------------------------------------------------------------- netwatch.c */

/* An rtnetlink socket (O_NONBLOCK) told of links and routes: an fd or -errno. */
int netwatch_open(void);
/*
 * Reads what came: @down(@ctx, name) for a link that went down or away, or
 * whose default route went; @up(@ctx) for a link that came up or a new route.
 */
void netwatch_read(int fd, void (*down)(void *ctx, const char *ifname),
		   void (*up)(void *ctx), void *ctx);
/*
 * The bytes TCP received on connection @c of the daemon's own network
 * namespace (sock_diag: tcpi_bytes_received), read now.  0 or -errno.
 */
int tcp_bytes_received(const struct conn_id *c, uint64_t *bytes);
/* Bytes received on @ifname, as process @pid's network namespace counts them. */
int netdev_bytes(pid_t pid, const char *ifname, uint64_t *bytes);
/* The inode of network namespace fd @fd, or of the daemon's own for -1; 0: unknown. */
uint64_t netns_of_fd(int fd);

/* ---------------------------------------------------------------- agent.c */

struct agent;

/*
 * Attaches to /dev/kbits (through @m) and checks @state_dir.  Returns 0, or a
 * negative errno after logging why (-EPERM: not privileged; -EBUSY: another
 * agent is attached).
 */
int agent_new(struct kbits *m, const char *state_dir, const struct policy *pol,
	      int signal_fd, struct agent **out);
/*
 * Opens the store (after detaching: no SQLite connection crosses a fork),
 * gives the kernel the stored jobs back and stores the kernel's.
 */
int agent_start(struct agent *a);
/* Runs until SIGTERM or SIGINT: 0, or a negative errno on a fatal error. */
int agent_run(struct agent *a);
/* Stores every job, detaches, frees. */
void agent_free(struct agent *a);

#endif /* KBITSD_H */
