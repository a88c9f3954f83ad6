/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's insides, shared by its parts:
 *
 *   agent.c      the agent's state, its events, the store, the main loop
 *   agentfd.c    the raw ioctls of the agent fd
 *   sched.c      the jobs waiting, and which run: limits, priorities,
 *                preemption, round-robin
 *   run.c        a running job (a slot): its worker, its progress, its end
 *   bandwidth.c  the rates of the running jobs: background jobs yield to
 *                other traffic, the administrator's caps
 *
 * Everything runs in the daemon's one thread, from agent_run()'s loop.
 */
#ifndef KBITSD_AGENT_H
#define KBITSD_AGENT_H

#include "kbitsd.h"

/* A job waiting to be taken: QUEUED, or TRANSIENT_ERROR waiting to be retried. */
struct pending {
	struct pending *next;
	struct kbits_guid id;
	uid_t owner;		/* jobs of one priority take turns by owner */
	enum kbits_job_priority priority;
	int64_t queued_us;	/* FIFO order within a priority (a preempted job: when) */
	bool preempted;		/* it was preempted: not again before PREEMPT_MIN_RUN_S */
	uint64_t seq;		/* ties */
	time_t not_before;	/* a retry waits until then; 0: now */
	/*
	 * The no-progress clock: when the job's first transient error since
	 * its last progress came (BITS: the clock starts there, not when the
	 * job was queued); 0: none.
	 */
	time_t error_since;
	bool retry;		/* TRANSIENT_ERROR */
	bool net_wait;		/* its network went away: it waits for it */
	struct xfer_error last_error;	/* a retry's error, made final on timeout */
};

/* Why a running job must stop. */
enum stop_reason {
	STOP_NONE = 0,
	STOP_SUSPENDED,		/* suspended, or otherwise no longer ours */
	STOP_PREEMPTED,		/* another job runs first: back to the queue */
	STOP_NETWORK,		/* its interface went down: a transient error */
	STOP_CANCELLED,
	STOP_COMPLETING,	/* its user completes it: place the files */
};

/* A running job: its worker, and what the daemon follows of it. */
struct slot {
	struct pending p;		/* as it waited (its clocks go on) */
	struct kbits_job *j;
	struct owner o;
	struct job_ns jns;
	struct net_settings ns;
	struct kbits_file *files;
	struct kbits_file_attrs *attrs;	/* one per file: its mode, its SHA-256 */
	size_t nfiles;
	struct file_validator *vals;	/* the worker's copy is its own (fork) */
	uint32_t delay, timeout;	/* min_retry_delay, no_progress_timeout */
	enum kbits_job_type type;
	bool post;			/* an upload with KBITS_JOB_UPLOAD_POST */
	char *reply;			/* an UPLOAD_REPLY job's reply file, malloc'd */
	int pass;			/* runs after files were added */

	struct worker w;		/* w.pid < 0: no worker (ended) */
	bool have_pending;		/* progress not yet reported */
	struct worker_msg pending;
	int64_t last_heard_ms, last_report_ms, last_checkpoint_ms;
	int64_t started_ms;		/* for the round-robin slice */
	int64_t deadline_ms;		/* the max download time; 0: none */

	enum stop_reason stop;
	bool ended;			/* the run is over: the slot goes */
	bool recheck;			/* its events while it stopped: look at it again after */
	uint32_t validators;		/* VALIDATOR records in this run */
	bool cancelled, completing, completed;	/* its events while it ran */
	bool progressed;		/* bytes arrived, or a file completed, in this run */

	/* bandwidth.c */
	char iface[16];			/* the interface it uses ("": not known) */
	struct conn_id conn;		/* its connection (family 0: not known) */
	uint64_t diag_last;		/* what sock_diag said of it at the last tick */
	uint64_t netns;			/* the inode of its network namespace */
	uint64_t net_bytes;		/* bytes it received from the network, all told */
	uint64_t last_net;		/* its worker's count at its last record */
	uint64_t tick_bytes;		/* net_bytes at the last tick */
	uint64_t tick_rate_bytes;	/* its bytes in the last tick */
	uint64_t rate;			/* its limit now, bytes/s; 0: none */
	uint32_t window;		/* its TCP window clamp, bytes; 0: none */
	uint64_t sent_rate;		/* what its worker was told */
	uint32_t sent_window;
};

/*
 * One owner's jobs run in at most SLOTS_PER_OWNER slots (FOREGROUND ones
 * included), so that one user cannot take every slot.
 */
#define SLOTS_PER_OWNER		(SLOTS_LIMIT / 4)
/*
 * A job preempted once runs at least this long (or a slice, if shorter)
 * before it can be preempted again: a user who resumes and suspends a HIGH
 * job in a loop does not keep others' jobs from running.
 */
#define PREEMPT_MIN_RUN_S	10

struct agent {
	struct kbits *m;
	char *state_dir;
	int fd;			/* the agent fd, O_NONBLOCK */
	int signal_fd;
	int net_fd;		/* rtnetlink (netwatch.c), or -1 */
	struct store *store;
	struct ns_cache *nsc;	/* the namespaces of the jobs we know */
	struct pending *pending;
	uint64_t seq;
	bool rescan;		/* an OVERFLOW: look at every job again */
	struct kbits_guid *dirty;	/* jobs to store at the next flush */
	size_t ndirty, dirty_room;
	int64_t last_flush_ms;
	bool shutdown;
	const struct policy *pol;

	struct slot *slots[SLOTS_LIMIT];
	size_t nslots;
	struct bandwidth *bw;
};

/* What a job without namespaces (JOB_NS: -ESTALE) is told. */
#define NS_STALE_TEXT \
	"the job's namespaces (of the container or chroot it was made in) are gone: " \
	"it was restored from disk after the kbits module was reloaded; an " \
	"administrator may take it over (it then runs in theirs) or cancel it"

int64_t now_ms(void);
int64_t realtime_us(void);
bool guid_eq(const struct kbits_guid *a, const struct kbits_guid *b);

/* ---------------------------------------------------------------- agent.c */

/* Writes the kernel's copy of job @id to the store, with @progress when not 0. */
int save_job_progress(struct agent *a, const struct kbits_guid *id, uint32_t *record_flags,
		      time_t progress);
int save_job(struct agent *a, const struct kbits_guid *id, uint32_t *record_flags);
void remember_ns(struct agent *a, const struct kbits_guid *id);
void flush_dirty(struct agent *a, bool now);
/* Handles the events waiting, at most @max records (0: all of them). */
int read_events(struct agent *a, size_t max);
/* A job stopped: what its events asked for while it ran, now. */
void job_cancelled(struct agent *a, const struct kbits_guid *id);
void job_completing(struct agent *a, const struct kbits_guid *id);
void job_completed(struct agent *a, const struct kbits_guid *id);

/* -------------------------------------------------------------- agentfd.c */

int afd_attach(int *fd);
int afd_take(int fd, const struct kbits_guid *id);
int afd_requeue(int fd, const struct kbits_guid *id);
int afd_transferred(int fd, const struct kbits_guid *id);
int afd_progress(int fd, const struct kbits_guid *id, const struct worker_msg *m);
int afd_error(int fd, const struct kbits_guid *id, const struct xfer_error *e, bool transient);
int afd_placed(int fd, const struct kbits_guid *id, int error);
/*
 * The job's record, malloc'd into *buf.  It holds the job's secrets
 * (credentials, write-only headers): free it with record_free().
 */
int afd_export(int fd, const struct kbits_guid *id, void **buf, size_t *len);
/* Zeroes a record of @len bytes (NULL: none) and frees it. */
void record_free(void *rec, size_t len);
/*
 * Gives the kernel a stored record.  A module older than the record's
 * version or flags refuses it (-EINVAL): it is given the record as that
 * module's version would have it (*@older set), rather than the job lost.
 */
int afd_import(int fd, const void *rec, size_t len, bool *older);

/* --------------------------------------------------------------- notify.c */

/*
 * kbitsd made job @id TRANSFERRED (@error false) or gave it a final ERROR:
 * runs its notify command, when it has one and its notify flags ask for
 * that event, without waiting for it.  A failure is logged, nothing more.
 */
void job_notify(struct agent *a, const struct kbits_guid *id, bool error);

/* --------------------------------------------------------------- upload.c */

/*
 * In the daemon, as a run of upload job @id (@j, of @type) starts: whether
 * it POSTs (KBITS_JOB_UPLOAD_POST), and an UPLOAD_REPLY job's reply file
 * (from its record: malloc'd into *@reply; NULL for an UPLOAD job).  0,
 * -EDESTADDRREQ (an UPLOAD_REPLY job without a reply file) or a negative
 * errno.
 */
int upload_settings(struct agent *a, struct kbits_job *j, const struct kbits_guid *id,
		    enum kbits_job_type type, bool *post, char **reply);

/* ---------------------------------------------------------------- sched.c */

struct pending *pending_find(struct agent *a, const struct kbits_guid *id,
			     struct pending ***link);
void pending_remove(struct agent *a, const struct kbits_guid *id);
/*
 * Puts job @id on the list (or updates it) as the kernel has it now: QUEUED
 * jobs to take at once, TRANSIENT_ERROR ones after their retry delay; other
 * states leave the list.  @queued_us: when it was queued, for FIFO.
 */
void pending_update(struct agent *a, const struct kbits_guid *id, int64_t queued_us,
		    bool stored_clock);
/* Puts @p (copied) back on the list. */
void pending_put(struct agent *a, const struct pending *p);
/*
 * Starts what may start and marks what must give way (STOP_PREEMPTED);
 * *@wake_ms: when to look again (0: no need).
 */
void schedule(struct agent *a, int64_t *wake_ms);
/* The network is back: jobs waiting for it are due now. */
void pending_network_back(struct agent *a);

/* ------------------------------------------------------------------ run.c */

struct slot *slot_find(struct agent *a, const struct kbits_guid *id);
/*
 * The attributes (mode, expected SHA-256) of job @j's first @n files,
 * malloc'd into *@out (at least one entry, so never NULL on success).
 */
int job_file_attrs(struct kbits_job *j, size_t n, struct kbits_file_attrs **out);
/* Job @id gets final error @e (it is taken or in TRANSIENT_ERROR), and is stored. */
void job_final_error(struct agent *a, const struct kbits_guid *id, const struct xfer_error *e);
/* Takes job @p and starts its worker; false when it did not start (handled). */
bool slot_start(struct agent *a, const struct pending *p);
/*
 * Its job changed (MODIFIED): its priority (a job that read in big buffers
 * and now may be slowed starts again: STOP_PREEMPTED), its maximum
 * download time.
 */
void slot_modified(struct agent *a, struct slot *s);
/* Its worker's records, its progress, its stop, its silence, its deadline. */
void slot_poll(struct agent *a, struct slot *s, bool readable);
/* Milliseconds until slot @s needs a look (a report, a silence, a deadline). */
int64_t slot_wait(const struct agent *a, const struct slot *s, int64_t now);
/* Ends the slots that are done; true when one ended. */
bool slots_reap(struct agent *a);
/* Shutting down: every worker is stopped, its progress reported, its slot freed. */
void slots_stop_all(struct agent *a);
/* The slots using interface @ifname of the daemon's network namespace stop. */
void slots_network_down(struct agent *a, const char *ifname);
/* Sends slot @s's rate to its worker when it changed. */
void slot_send_rate(struct slot *s);

/* ------------------------------------------------------------ bandwidth.c */

struct bandwidth;

int bandwidth_new(struct bandwidth **out);
void bandwidth_free(struct bandwidth *bw);
/* Every BANDWIDTH_TICK_MS: measures and sets every slot's rate. */
void bandwidth_tick(struct agent *a, int64_t now);
int64_t bandwidth_wait(const struct agent *a, int64_t now);

#define BANDWIDTH_TICK_MS	250

#endif /* KBITSD_AGENT_H */
