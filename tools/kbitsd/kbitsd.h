/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbitsd: the agent of kbits, the privileged daemon that transfers the files
 * of the kernel's queued jobs.  The declarations its parts share:
 *
 *   main.c      options, signals, daemonising, the top of the main loop
 *   log.c       logging to stderr with sd-daemon(3) priority prefixes
 *   agent.c     the agent fd, its events, the jobs waiting and their timing
 *   transfer.c  one job's files: libcurl for http(s), a copy for local files
 *   place.c     the temporaries: their names, placing them, removing them
 *   owner.c     doing file operations as the job's owner, in a child process
 *   store.c     the queue on disk (SQLite)
 */
#ifndef KBITSD_H
#define KBITSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

#include <kbits/kbits.h>

/* ------------------------------------------------------------------ log.c */

/* @prio: LOG_ERR, LOG_WARNING, LOG_INFO or LOG_DEBUG. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line about a job: "job {guid}: ..." */
void log_job(int prio, const struct kbits_guid *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- owner.c */

/* Who a job's owner is: looked up once, before any fork. */
struct owner {
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups, malloc'd */
	int ngroups;
};

/* 0 or a negative errno.  No passwd entry: gid 65534, no supplementary groups. */
int owner_lookup(uid_t uid, struct owner *o);
void owner_release(struct owner *o);

/*
 * Each of these forks a child that becomes the owner (groups, gid, uid, and
 * checks that it cannot become root again) and does the one operation.
 * They return 0 or the operation's negative errno.
 */
/* Opens @path with @flags (O_CREAT: mode 0666 under umask 022); *fd is the daemon's. */
int owner_open(const struct owner *o, const char *path, int flags, int *fd);
int owner_rename(const struct owner *o, const char *from, const char *to);
/* -ENOENT counts as success. */
int owner_unlink(const struct owner *o, const char *path);

/* ---------------------------------------------------------------- place.c */

/* "<dir of @local>/.kbits-<32 hex digits>-<index>.part", malloc'd; NULL: no memory. */
char *temp_path(const struct kbits_guid *id, uint32_t index, const char *local);

/* A file of a job as place.c needs it. */
struct place_file {
	const char *local;
	bool completed;
};

/*
 * Completing a job: moves the temporaries of the completed files to their
 * local names and removes the others'.  0, or the negative errno of the first
 * move that failed (the files moved before it stay moved).
 */
int place_files(const struct owner *o, const struct kbits_guid *id,
		const struct place_file *files, size_t n);
/* Cancelling a job: removes every temporary it may have. */
void remove_temps(const struct owner *o, const struct kbits_guid *id,
		  const struct place_file *files, size_t n);

/* ---------------------------------------------------------------- store.c */

struct store;

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
};

/* Opens (creating them) @dir (0700) and @dir/queue.db.  0 or a negative errno. */
int store_open(const char *dir, struct store **out);
void store_close(struct store *s);
/* Writes a job and its files, replacing what was there, in one transaction. */
int store_put(struct store *s, const struct store_job *job);
int store_delete(struct store *s, const struct kbits_guid *id);
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

/* ---------------------------------------------------------------- agent.c */

struct agent;

/* Why the job being transferred must stop. */
enum stop_reason {
	STOP_NONE = 0,
	STOP_SUSPENDED,		/* suspended, or otherwise no longer ours */
	STOP_CANCELLED,
	STOP_COMPLETING,	/* its user completes it: place the files */
	STOP_SHUTDOWN,		/* SIGTERM, SIGINT */
};

/*
 * Attaches to /dev/kbits (through @m), opens the store in @state_dir, gives
 * the kernel the stored jobs back and stores the kernel's.  Returns 0, or a
 * negative errno after logging why (-EPERM: not privileged; -EBUSY: another
 * agent is attached).
 */
int agent_new(struct kbits *m, const char *state_dir, int signal_fd, struct agent **out);
/* Runs until SIGTERM or SIGINT: 0, or a negative errno on a fatal error. */
int agent_run(struct agent *a);
/* Stores every job, detaches, frees. */
void agent_free(struct agent *a);

/*
 * For transfer.c, while it transfers: reads pending events and signals
 * without waiting; returns why the current job must stop, or STOP_NONE.
 */
enum stop_reason agent_check(struct agent *a);
/*
 * Reports file @index's progress to the kernel (at most every 200 ms unless
 * @completed or @force) and checkpoints the job on disk now and then.
 * 0, or -EBADFD when the job is no longer being transferred: stop.
 */
int agent_progress(struct agent *a, uint32_t index, uint64_t total, uint64_t done,
		   bool completed, bool force);

/* ------------------------------------------------------------- transfer.c */

/* How a transfer failed. */
struct xfer_error {
	bool transient;
	enum kbits_error_context context;
	int code;			/* a positive errno or an HTTP status */
	uint32_t file_index;		/* or KBITS_NO_FILE */
	char text[512];
};

enum xfer_result {
	XFER_DONE,		/* every file is complete */
	XFER_FAILED,		/* see the struct xfer_error */
	XFER_STOPPED,		/* agent_check() or agent_progress() said stop */
};

/* How the job reaches HTTP servers. */
struct net_settings {
	enum kbits_proxy_usage proxy_usage;
	char *proxy_list;	/* malloc'd or NULL */
	char *proxy_bypass;
	char *http_headers;	/* CR LF separated "Name: value" lines, or NULL */
};

int transfer_global_init(void);
void transfer_global_cleanup(void);

/* Reads a job's proxy settings and HTTP headers; 0 or a negative errno. */
int net_settings_read(struct kbits_job *j, struct net_settings *ns);
void net_settings_release(struct net_settings *ns);

/* Transfers the unfinished files of job @id, as @o, reporting to @a. */
enum xfer_result transfer_job(struct agent *a, const struct kbits_guid *id,
			      const struct owner *o, const struct kbits_file *files,
			      size_t n, const struct net_settings *ns,
			      struct xfer_error *err);

#endif /* KBITSD_H */
