/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kbits: a system-wide queue of background file-transfer jobs (BITS for Linux).
 *
 * This is the ioctl ABI of /dev/kbits and of the job file descriptors it
 * hands out.  The module, libkbits and the tests all include this one header.
 * docs/uapi.md describes every ioctl, its errors and who may call it.
 *
 * Rules of this ABI:
 *  - Every field has a fixed width; no struct has implicit padding.
 *  - Pointers travel as __aligned_u64.
 *  - Structs that can grow start with a __u32 'size' that the caller sets to
 *    sizeof() the struct as it knows it.  The kernel accepts any size from
 *    the first published one (KBITS_*_SIZE_VER0) upwards; bytes it does not
 *    know must be zero (else -E2BIG), as with openat2() and clone3().
 *  - Reserved fields must be zero and unknown flags are refused: -EINVAL.
 *  - Unknown ioctls give -ENOTTY.
 */
#ifndef _UAPI_LINUX_KBITS_H
#define _UAPI_LINUX_KBITS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KBITS_DEVICE_NAME	"kbits"		/* /dev/kbits */
/* A job fd's anon inode: /proc/<pid>/fd/<fd> reads "anon_inode:" this. */
#define KBITS_JOB_INODE_NAME	"[kbits-job]"
/* The agent fd's (KBITS_IOC_AGENT_ATTACH). */
#define KBITS_AGENT_INODE_NAME	"[kbits-agent]"

/* A job identifier: a 128-bit GUID, stored as the kernel's guid_t. */
#define KBITS_GUID_SIZE		16

/* Longest strings, in bytes (UTF-8, without a terminating NUL). */
#define KBITS_DISPLAY_NAME_MAX	256
#define KBITS_DESCRIPTION_MAX	1024
#define KBITS_REMOTE_NAME_MAX	2200	/* a URL or an absolute path */
#define KBITS_LOCAL_NAME_MAX	4095	/* an absolute path: PATH_MAX with its NUL */

/* Bytes of a SHA-256 digest, as a file's expected content gives it. */
#define KBITS_SHA256_SIZE	32

/* A size not known yet (BITS: BG_SIZE_UNKNOWN). */
#define KBITS_SIZE_UNKNOWN	(~0ULL)

enum kbits_job_type {
	KBITS_JOB_TYPE_DOWNLOAD		= 0,
	KBITS_JOB_TYPE_UPLOAD		= 1,
	KBITS_JOB_TYPE_UPLOAD_REPLY	= 2,
};

enum kbits_job_state {
	KBITS_JOB_STATE_QUEUED		= 0,
	KBITS_JOB_STATE_CONNECTING	= 1,
	KBITS_JOB_STATE_TRANSFERRING	= 2,
	KBITS_JOB_STATE_SUSPENDED	= 3,
	KBITS_JOB_STATE_ERROR		= 4,
	KBITS_JOB_STATE_TRANSIENT_ERROR	= 5,
	KBITS_JOB_STATE_TRANSFERRED	= 6,
	KBITS_JOB_STATE_ACKNOWLEDGED	= 7,
	KBITS_JOB_STATE_CANCELLED	= 8,
};

/* BITS's priorities: FOREGROUND jobs go first, LOW ones last. */
enum kbits_job_priority {
	KBITS_PRIORITY_FOREGROUND	= 0,
	KBITS_PRIORITY_HIGH		= 1,
	KBITS_PRIORITY_NORMAL		= 2,	/* a new job's */
	KBITS_PRIORITY_LOW		= 3,
};

/* Notify flags: the changes a job's events report (BITS's BG_NOTIFY_*). */
#define KBITS_NOTIFY_JOB_TRANSFERRED	0x0001
#define KBITS_NOTIFY_JOB_ERROR		0x0002
#define KBITS_NOTIFY_DISABLE		0x0004
#define KBITS_NOTIFY_JOB_MODIFICATION	0x0008
#define KBITS_NOTIFY_FILE_TRANSFERRED	0x0010
#define KBITS_NOTIFY_ALL		0x001f

/* A new job's timing (BITS's defaults), in seconds. */
#define KBITS_MIN_RETRY_DELAY_DEFAULT		600
#define KBITS_MIN_RETRY_DELAY_MIN		5
#define KBITS_NO_PROGRESS_TIMEOUT_DEFAULT	1209600	/* 14 days; 0: no retries */
#define KBITS_MAX_DOWNLOAD_TIME_DEFAULT		7776000	/* 90 days; 0: no limit */

/*
 * KBITS_IOC_CREATE_JOB - put a new job in the queue.
 * On /dev/kbits.  Anyone may call it, within the per-user and system-wide
 * job limits.  Returns a new job fd (O_CLOEXEC); the job's GUID is in @id.
 */
struct kbits_create_job {
	__u32 size;		/* in: sizeof(struct kbits_create_job) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u32 type;		/* in: enum kbits_job_type */
	__u32 name_len;		/* in: bytes at @name, <= KBITS_DISPLAY_NAME_MAX */
	__aligned_u64 name;	/* in: display name, UTF-8, no NUL needed */
	__u8 id[KBITS_GUID_SIZE];	/* out: the new job's GUID */
	__u64 reserved[2];	/* must be 0 */
};

#define KBITS_CREATE_JOB_SIZE_VER0	56

/*
 * KBITS_IOC_GET_JOB - a new fd for the job with GUID @id.
 * On /dev/kbits.  The caller may have a job made in its own user namespace
 * or one below it, when its euid is the job's owner and it has the job's
 * root directory and network namespace, or when it has CAP_SYS_ADMIN in the
 * job's user namespace and the owner is mapped into its own (as the kernel
 * asks of inodes, capable_wrt_inode_uidgid()).  Returns a new job fd
 * (O_CLOEXEC); -ENOENT when no such job is in the queue, -EACCES when it is
 * there but not the caller's.  The job's next TAKE_OWNERSHIP revokes every
 * job fd made before it: from then on every ioctl on it but GET_ID, and
 * read(), fail with -EACCES, and poll() gives EPOLLERR | EPOLLHUP.
 */
struct kbits_get_job {
	__u32 size;		/* in: sizeof(struct kbits_get_job) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u8 id[KBITS_GUID_SIZE];	/* in: the job's GUID */
	__u64 reserved[2];	/* must be 0 */
};

#define KBITS_GET_JOB_SIZE_VER0		40

/*
 * KBITS_IOC_ENUM_JOBS - the GUIDs of queued jobs, a batch at a time.
 * On /dev/kbits.  Without KBITS_ENUM_ALL_USERS: the jobs whose owner is the
 * caller's euid; anyone may call it.  With it: every job the caller may get
 * (see GET_JOB: those whose owners are mapped into the caller's user
 * namespace); that needs CAP_SYS_ADMIN in that namespace, else -EACCES.
 * Start with @cursor 0.  Each call writes up to @count GUIDs (at most
 * KBITS_ENUM_MAX) to @ids, sets @count to the number written and @cursor to
 * where the next call goes on, or to KBITS_ENUM_END when the walk is over.
 * A job queued or removed during a walk may or may not be seen; no job is
 * seen twice.  A call looks at a bounded number of jobs, so it may write
 * fewer than @count GUIDs, even none, before the walk is over: go on until
 * @cursor is KBITS_ENUM_END.
 */
struct kbits_enum_jobs {
	__u32 size;		/* in: sizeof(struct kbits_enum_jobs) */
	__u32 flags;		/* in: KBITS_ENUM_* */
	__u64 cursor;		/* in/out: 0 to start */
	__aligned_u64 ids;	/* in: struct kbits_job_id[@count] */
	__u32 count;		/* in: room at @ids; out: GUIDs written */
	__u32 reserved;		/* must be 0 */
};

#define KBITS_ENUM_JOBS_SIZE_VER0	32
#define KBITS_ENUM_ALL_USERS		(1U << 0)
#define KBITS_ENUM_MAX			1024
#define KBITS_ENUM_END			(~0ULL)

/* A GUID, as the job fd's GET_ID returns it. */
struct kbits_job_id {
	__u8 id[KBITS_GUID_SIZE];
};

/*
 * A job's string: its display name, description or custom HTTP headers
 * (KBITS_JOB_IOC_GET_ and _SET_DISPLAY_NAME, _DESCRIPTION, _HTTP_HEADERS).
 * GET: the kernel writes the string and a NUL to @buf and its length
 * without the NUL to @len.  When @len (in) is too small for both it writes
 * nothing to @buf, stores the length needed without the NUL in @len and
 * fails with -ERANGE.  SET: @len bytes at @buf (no NUL needed) become the
 * string.
 */
struct kbits_job_string {
	__u32 size;		/* in: sizeof(struct kbits_job_string) */
	__u32 len;		/* in: bytes at @buf; out: string length */
	__aligned_u64 buf;	/* in: where to write the string */
	__u64 reserved;		/* must be 0 */
};

#define KBITS_JOB_STRING_SIZE_VER0	24

/*
 * A job's settings and times (KBITS_JOB_IOC_GET_ATTR, KBITS_JOB_IOC_SET_ATTR).
 * GET fills every field (@mask and @flags must be 0).  SET changes the
 * fields named in @mask, all or none; the others, and the fields only GET
 * fills, are ignored, but for @flags, which must be 0 unless named.  Times
 * are seconds since the epoch, 0 where not yet.  A field past the size the
 * caller gave is neither read nor written: SET fails with -EINVAL when
 * @mask names one (KBITS_ATTR_MAX_DOWNLOAD_TIME needs
 * KBITS_JOB_ATTR_SIZE_VER1).
 */
struct kbits_job_attr {
	__u32 size;			/* in: sizeof(struct kbits_job_attr) */
	__u32 mask;			/* SET: KBITS_ATTR_* to change */
	__u32 priority;			/* enum kbits_job_priority */
	__u32 notify_flags;		/* KBITS_NOTIFY_* */
	__u32 min_retry_delay;		/* seconds, >= KBITS_MIN_RETRY_DELAY_MIN */
	__u32 no_progress_timeout;	/* seconds; 0: an error is not retried */
	__u32 error_count;		/* GET: errors the job has had */
	__u32 flags;			/* KBITS_JOB_* */
	__s64 creation_time;		/* GET */
	__s64 modification_time;	/* GET: the last change by its user */
	__s64 completion_time;		/* GET: when it became TRANSFERRED */
	/* from here on: size >= KBITS_JOB_ATTR_SIZE_VER1 */
	/*
	 * Seconds the job may spend CONNECTING or TRANSFERRING before the
	 * agent gives it an ERROR (BITS: SetMaximumDownloadTime); 0: no
	 * limit.  A new job's is KBITS_MAX_DOWNLOAD_TIME_DEFAULT.
	 */
	__u32 max_download_time;
	/*
	 * GET: seconds the job spent CONNECTING or TRANSFERRING since it was
	 * created or last resumed (the running stretch included), on a clock
	 * that counts system suspend.  A RESUME that queues the job sets it
	 * to 0.
	 */
	__u32 transfer_time;
};

#define KBITS_JOB_ATTR_SIZE_VER0	56	/* up to completion_time */
#define KBITS_JOB_ATTR_SIZE_VER1	64	/* max_download_time, transfer_time */
#define KBITS_ATTR_PRIORITY		(1U << 0)
#define KBITS_ATTR_NOTIFY_FLAGS		(1U << 1)
#define KBITS_ATTR_MIN_RETRY_DELAY	(1U << 2)
#define KBITS_ATTR_NO_PROGRESS_TIMEOUT	(1U << 3)
#define KBITS_ATTR_FLAGS		(1U << 4)
#define KBITS_ATTR_MAX_DOWNLOAD_TIME	(1U << 5)

/*
 * The job's files may change with every request and be served without a
 * length or ranges (BITS_JOB_PROPERTY_DYNAMIC_CONTENT): the agent accepts
 * such a response, and never resumes such a file; without it, a response
 * with neither a length nor ranges is an error, as in BITS.
 */
#define KBITS_JOB_DYNAMIC_CONTENT	(1U << 0)
/*
 * The job's custom HTTP headers are write-only (BITS:
 * MakeCustomHeadersWriteOnly), for tokens: GET_HTTP_HEADERS fails with
 * -EPERM, and only the agent's EXPORT_JOB carries them.  SET_ATTR may set
 * it, never clear it (-EPERM); SET_HTTP_HEADERS may still replace or remove
 * the headers, which stay write-only.  Set it before the headers: a reader
 * woken by SET_HTTP_HEADERS's event could read them in between.
 * TAKE_OWNERSHIP removes the headers and the flag.
 */
#define KBITS_JOB_HEADERS_WRITE_ONLY	(1U << 1)
/*
 * An upload job's file is sent with POST rather than PUT (a download job
 * may not have it: -EINVAL).
 */
#define KBITS_JOB_UPLOAD_POST		(1U << 2)
#define KBITS_JOB_FLAGS_ALL		(KBITS_JOB_DYNAMIC_CONTENT | \
					 KBITS_JOB_HEADERS_WRITE_ONLY | \
					 KBITS_JOB_UPLOAD_POST)

/*
 * One file to add: where it comes from and where it goes, and, from
 * KBITS_FILE_SPEC_SIZE_VER1 on, what its content must be: with
 * KBITS_FILE_SHA256 in @flags (a download's only, a digest not all zero),
 * the agent checks the whole file's SHA-256 against @sha256 once it has it,
 * and gives the job an ERROR (context LOCAL_FILE, EBADMSG) instead of the
 * file when they differ; such a file is never placed.  Without it, @sha256
 * must be zero.
 */
struct kbits_file_spec {
	__aligned_u64 remote;	/* http://, https://, file:// URL or absolute path */
	__aligned_u64 local;	/* absolute path */
	__u32 remote_len;	/* bytes at @remote, no NUL needed */
	__u32 local_len;	/* bytes at @local, no NUL needed */
	/* from here on: entry_size >= KBITS_FILE_SPEC_SIZE_VER1 */
	__u32 flags;		/* 0 or KBITS_FILE_SHA256 */
	__u32 reserved;		/* must be 0 */
	__u8 sha256[KBITS_SHA256_SIZE];	/* with KBITS_FILE_SHA256 */
};

/*
 * KBITS_JOB_IOC_ADD_FILES - add @count files to a job, all or none
 * (BITS: AddFile, AddFileSet).  Each file records the caller's umask: the
 * agent places it with mode 0666 & ~umask, as cp, curl -o and wget would
 * have made it (GET_FILE reports that mode); no wider than 0600 when the
 * caller holds the fd but may not get the job (GET_JOB's rule), and
 * TAKE_OWNERSHIP cuts every file's to 0600 at most.  Such a caller gets
 * -EPERM for an upload job, or a job with secrets (see
 * KBITS_JOB_IOC_SET_CREDENTIALS).
 */
struct kbits_add_files {
	__u32 size;		/* in: sizeof(struct kbits_add_files) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u32 count;		/* in: entries at @files, >= 1 */
	__u32 entry_size;	/* in: sizeof(struct kbits_file_spec), <= 4096 */
	__aligned_u64 files;	/* in: struct kbits_file_spec[@count] */
};

#define KBITS_ADD_FILES_SIZE_VER0	24
#define KBITS_FILE_SPEC_SIZE_VER0	24	/* up to local_len */
#define KBITS_FILE_SPEC_SIZE_VER1	64	/* flags, sha256 */

/*
 * KBITS_JOB_IOC_GET_FILE - file @index of a job (0 is the first added):
 * its names and progress.  Each name is written with a NUL to its buffer,
 * and its length without the NUL to its _len; when a buffer is too small
 * for its name neither name is written, both lengths are, and the call
 * fails with -ERANGE.
 */
struct kbits_job_file {
	__u32 size;		/* in: sizeof(struct kbits_job_file) */
	__u32 index;		/* in */
	__u64 bytes_total;	/* out: KBITS_SIZE_UNKNOWN until known */
	__u64 bytes_transferred;	/* out */
	__u32 flags;		/* out: KBITS_FILE_* */
	__u32 remote_len;	/* in: bytes at @remote; out: name length */
	__u32 local_len;	/* in: bytes at @local; out: name length */
	__u32 reserved;		/* must be 0 */
	__aligned_u64 remote;	/* in: where to write the remote name */
	__aligned_u64 local;	/* in: where to write the local name */
	/* from here on: size >= KBITS_JOB_FILE_SIZE_VER1 */
	__u32 mode;		/* out: the placed file's mode (see ADD_FILES) */
	__u32 reserved2;	/* must be 0 */
	__u8 sha256[KBITS_SHA256_SIZE];	/* out: with KBITS_FILE_SHA256 in @flags */
};

#define KBITS_JOB_FILE_SIZE_VER0	56	/* up to local */
#define KBITS_JOB_FILE_SIZE_VER1	96	/* mode, sha256 */
/* GET_FILE's and the records' file flags; KBITS_FILE_SHA256 also a spec's. */
#define KBITS_FILE_COMPLETED		(1U << 0)	/* the whole file is transferred */
#define KBITS_FILE_SHA256		(1U << 1)	/* it has an expected SHA-256 */

/*
 * A job's progress (KBITS_JOB_IOC_GET_PROGRESS); a new job's is all 0.  It
 * has no size field: _IOR encodes its size in the command, so a larger
 * version would come as a new command beside this one.
 */
struct kbits_job_progress {
	__u64 bytes_total;	/* KBITS_SIZE_UNKNOWN until every file's size is known */
	__u64 bytes_transferred;
	__u32 files_total;
	__u32 files_transferred;
};

/* KBITS_JOB_IOC_COMPLETE returns this when it dropped unfinished files. */
#define KBITS_COMPLETE_PARTIAL		1

/* How a job reaches its HTTP servers (BITS: BG_JOB_PROXY_USAGE_*). */
enum kbits_proxy_usage {
	KBITS_PROXY_SYSTEM	= 0,	/* the agent's own settings (a new job's) */
	KBITS_PROXY_NONE	= 1,	/* connect directly */
	KBITS_PROXY_OVERRIDE	= 2,	/* the job's list and bypass list */
};

#define KBITS_PROXY_LIST_MAX	4000	/* bytes of the list, and of the bypass list */

/*
 * KBITS_JOB_IOC_GET_PROXY, KBITS_JOB_IOC_SET_PROXY - a job's proxy settings
 * (BITS: GetProxySettings, SetProxySettings).  @list names the proxies to
 * try, @bypass the hosts to reach directly, each a space- or comma-separated
 * list as curl's CURLOPT_PROXY and CURLOPT_NOPROXY take them.  SET: with
 * KBITS_PROXY_OVERRIDE @list_len must be > 0; with the other usages both
 * lengths must be 0.  GET writes each list as GET_FILE writes the names
 * (with a NUL; both lengths out; -ERANGE when a buffer is too small).
 */
struct kbits_job_proxy {
	__u32 size;		/* in: sizeof(struct kbits_job_proxy) */
	__u32 usage;		/* enum kbits_proxy_usage */
	__u32 list_len;		/* bytes at @list (GET in: room; out: length) */
	__u32 bypass_len;	/* bytes at @bypass (likewise) */
	__aligned_u64 list;
	__aligned_u64 bypass;
	__u64 reserved;		/* must be 0 */
};

#define KBITS_JOB_PROXY_SIZE_VER0	40

/*
 * A job's custom HTTP headers (KBITS_JOB_IOC_GET_HTTP_HEADERS,
 * KBITS_JOB_IOC_SET_HTTP_HEADERS, with struct kbits_job_string): lines
 * "Name: value", each ended by CR LF as BITS's SetCustomHeaders takes them
 * (the last one's may be left out), at most KBITS_HTTP_HEADERS_MAX bytes.
 * A name is an RFC 9110 token; a value has no control character but tab.
 * SET with @len 0 removes them; GET fails with -ENODATA when the job has
 * none.
 */
#define KBITS_HTTP_HEADERS_MAX	8192

/*
 * KBITS_JOB_IOC_GET_NOTIFY_CMD, KBITS_JOB_IOC_SET_NOTIFY_CMD - a job's
 * notify command (BITS: SetNotifyCmdLine), with struct kbits_job_string:
 * a program the agent runs as the job's owner, in the job's root directory
 * and namespaces, when the job becomes TRANSFERRED or ERROR and its notify
 * flags ask for that event (KBITS_NOTIFY_JOB_TRANSFERRED,
 * KBITS_NOTIFY_JOB_ERROR, not KBITS_NOTIFY_DISABLE), with the job's GUID
 * in its environment (see docs/uapi.md).  Its bytes are the arguments, each
 * ended by a NUL, as /proc/<pid>/cmdline has them: the first, the program,
 * an absolute path; each UTF-8; at most KBITS_NOTIFY_CMD_MAX bytes, NULs
 * included.  SET needs a caller who may get the job now (GET_JOB's rule;
 * else -EPERM), not only its fd; -ESTALE for a job imported without its
 * namespaces (KBITS_RECORD_FOREIGN_NS).  SET with @len 0 removes it;
 * TAKE_OWNERSHIP removes it too.
 * GET writes @len bytes, the NULs included (no NUL added), and their
 * count to @len; -ENODATA when the job has none; -ERANGE, with the count,
 * when @len (in) is smaller.
 */
#define KBITS_NOTIFY_CMD_MAX	4096

/* Who credentials are for (BITS: BG_AUTH_TARGET_*). */
enum kbits_auth_target {
	KBITS_AUTH_TARGET_SERVER	= 1,
	KBITS_AUTH_TARGET_PROXY		= 2,
};

/* How they are presented (BITS: BG_AUTH_SCHEME_*; no Passport). */
enum kbits_auth_scheme {
	KBITS_AUTH_SCHEME_BASIC		= 1,
	KBITS_AUTH_SCHEME_DIGEST	= 2,
	KBITS_AUTH_SCHEME_NTLM		= 3,
	KBITS_AUTH_SCHEME_NEGOTIATE	= 4,
};

#define KBITS_CRED_USER_MAX	1024	/* bytes of a user name */
#define KBITS_CRED_PASSWORD_MAX	1024	/* bytes of a password */

/*
 * KBITS_JOB_IOC_SET_CREDENTIALS - set, or with KBITS_CRED_REMOVE remove, the
 * job's credentials for one target and scheme (BITS: SetCredentials,
 * RemoveCredentials); a job has at most one pair per target and scheme.
 * @user: UTF-8 without control characters (and without ':' for
 * KBITS_AUTH_SCHEME_BASIC, RFC 7617), at most KBITS_CRED_USER_MAX bytes;
 * @password: UTF-8 without NUL, at most KBITS_CRED_PASSWORD_MAX; either may
 * be empty (Negotiate with the owner's Kerberos tickets).  With
 * KBITS_CRED_REMOVE both lengths must be 0; removing credentials the job
 * does not have succeeds.  The secrets are write-only: no job fd ioctl
 * returns them, only the agent's EXPORT_JOB.  Setting them needs a caller
 * who may get the job now (GET_JOB's rule), else -EPERM; any holder of the
 * job fd may remove them; TAKE_OWNERSHIP removes them all.  A job with
 * secrets (these, or write-only headers) sends them where its files, proxy
 * and headers say, and an upload sends the owner's file: on such jobs
 * ADD_FILES, SET_PROXY, SET_HTTP_HEADERS and SET_REPLY_FILE need such a
 * caller too (else -EPERM), so that a holder of an fd the owner gave away
 * cannot point them at a server of its own.  Set secrets before handing out
 * an fd, and the write-only flag before the headers.
 */
struct kbits_job_credentials {
	__u32 size;		/* in: sizeof(struct kbits_job_credentials) */
	__u32 target;		/* enum kbits_auth_target */
	__u32 scheme;		/* enum kbits_auth_scheme */
	__u32 flags;		/* 0 or KBITS_CRED_REMOVE */
	__u32 user_len;		/* bytes at @user, no NUL needed */
	__u32 password_len;	/* bytes at @password, no NUL needed */
	__aligned_u64 user;
	__aligned_u64 password;
};

#define KBITS_JOB_CREDENTIALS_SIZE_VER0	40
#define KBITS_CRED_REMOVE		(1U << 0)

/*
 * KBITS_JOB_IOC_GET_CREDENTIALS - which credentials a job has, never the
 * secrets: a bit (1U << scheme) per enum kbits_auth_scheme set, for each
 * target.
 */
struct kbits_job_cred_schemes {
	__u32 size;		/* in: sizeof(struct kbits_job_cred_schemes) */
	__u32 reserved;		/* must be 0 */
	__u32 server;		/* out: 1U << scheme for each one set */
	__u32 proxy;		/* out: likewise */
};

#define KBITS_JOB_CRED_SCHEMES_SIZE_VER0	16

/*
 * KBITS_JOB_IOC_GET_REPLY_FILE, KBITS_JOB_IOC_SET_REPLY_FILE - where an
 * UPLOAD_REPLY job's reply goes (BITS: GetReplyFileName, SetReplyFileName),
 * with struct kbits_job_string: an absolute path, as a file's local name,
 * at most KBITS_LOCAL_NAME_MAX bytes.  The agent writes the server's reply
 * body to a temporary as the owner and places it there, like a downloaded
 * file, when the job is completed; its mode is 0666 & ~ the umask of who
 * set the name.  SET needs a caller who may get the job now (else -EPERM),
 * and a job that is not CONNECTING, TRANSFERRING or TRANSFERRED (the reply
 * is on its way there: -EBADFD).
 * Another type of job: -EOPNOTSUPP.  SET with @len 0 removes it; RESUME of
 * an UPLOAD_REPLY job without one fails with -EDESTADDRREQ.  GET: -ENODATA
 * when the job has none.
 */

/* Where an error happened. */
enum kbits_error_context {
	KBITS_ERROR_CONTEXT_NONE		= 0,
	KBITS_ERROR_CONTEXT_GENERAL		= 1,
	KBITS_ERROR_CONTEXT_LOCAL_FILE		= 2,
	KBITS_ERROR_CONTEXT_REMOTE_FILE		= 3,
	KBITS_ERROR_CONTEXT_TRANSPORT		= 4,
	KBITS_ERROR_CONTEXT_REMOTE_APPLICATION	= 5,
};

#define KBITS_ERROR_TEXT_MAX	1024	/* bytes of an error's text */
#define KBITS_NO_FILE		(~0U)	/* an error that concerns no one file */

/*
 * KBITS_JOB_IOC_GET_ERROR - the job's last error (BITS: GetError):
 * -ENOMSG when it has none.  The text is written as GET_DISPLAY_NAME writes
 * a string (@text_len in: room; out: length; -ERANGE when too small).
 * @flags says what @code is: KBITS_ERROR_HTTP for an HTTP status, else a
 * positive errno.  It was a reserved field that had to be 0; on the way in
 * it may hold what an earlier call wrote there (KBITS_ERROR_HTTP), which is
 * ignored, and no other bit.
 */
struct kbits_job_error {
	__u32 size;		/* in: sizeof(struct kbits_job_error) */
	__u32 context;		/* out: enum kbits_error_context */
	__s32 code;		/* out: a positive errno, or an HTTP status */
	__u32 file_index;	/* out: the file it concerns, or KBITS_NO_FILE */
	__u32 text_len;		/* in: bytes at @text; out: text length */
	__u32 flags;		/* in: 0 or ignored KBITS_ERROR_HTTP; out: that or 0 */
	__aligned_u64 text;	/* in: where to write the text */
};

#define KBITS_JOB_ERROR_SIZE_VER0	32

/*
 * The agent: the one privileged process (kbitsd) that transfers the files of
 * queued jobs.  KBITS_IOC_AGENT_ATTACH on /dev/kbits makes the caller the
 * agent and returns the agent fd: read() it for struct kbits_event records
 * of the jobs' changes, and move jobs along with the KBITS_AGENT_IOC_*
 * ioctls on it.  When the agent fd is closed, the jobs the agent had taken
 * (CONNECTING, TRANSFERRING) go back to QUEUED.
 *
 * The agent's events of a job wait with the job, one of each kind at most
 * (of QUEUED and SUSPENDED the later), in the order CREATED, QUEUED or
 * SUSPENDED, MODIFIED, COMPLETING; CANCELLED or COMPLETED replaces them
 * all.  However often users change their jobs, none is lost.  The agent
 * reads an OVERFLOW only after a read() that could not copy its records.
 */
enum kbits_event_kind {
	KBITS_EVENT_QUEUED	= 1,	/* the job became QUEUED: ready to take */
	KBITS_EVENT_SUSPENDED	= 2,
	KBITS_EVENT_CANCELLED	= 3,
	KBITS_EVENT_COMPLETED	= 4,	/* ACKNOWLEDGED by its user */
	KBITS_EVENT_MODIFIED	= 5,	/* files, settings or progress changed */
	KBITS_EVENT_OVERFLOW	= 6,	/* events were lost */
	/* on job fds only, from the agent's reports: */
	KBITS_EVENT_TRANSFERRED	= 7,	/* the job became TRANSFERRED */
	KBITS_EVENT_ERROR	= 8,	/* the job became ERROR */
	KBITS_EVENT_FILE_TRANSFERRED = 9,	/* a file is complete */
	/* on the agent fd only, for an agent attached with KBITS_AGENT_PLACES_FILES: */
	KBITS_EVENT_COMPLETING	= 10,	/* place its files, then KBITS_AGENT_IOC_PLACED */
	/* on the agent fd only: */
	KBITS_EVENT_CREATED	= 11,	/* a new job (SUSPENDED): keep it on disk */
};

/*
 * One event, as read() of the agent fd or of a job fd gives them (whole
 * records only).  A job fd yields the events of its job that the job's
 * notify flags ask for (see docs/uapi.md), from the moment the fd was made.
 */
struct kbits_event {
	__u8 id[KBITS_GUID_SIZE];	/* the job; zero for the agent's OVERFLOW */
	__u32 kind;		/* enum kbits_event_kind */
	__u32 state;		/* the job's state right after the change */
	__u64 seq;		/* agent fd: 1, 2, ...; job fd: the job's event number */
};

/*
 * KBITS_IOC_AGENT_ATTACH's argument: 0, or KBITS_AGENT_PLACES_FILES for an
 * agent that writes each file under a temporary name and moves it to its
 * local name only when the job's user completes the job.  Such an agent
 * marks every download or upload-reply job it takes; COMPLETE of a marked
 * job then gives the agent a KBITS_EVENT_COMPLETING and waits for its
 * KBITS_AGENT_IOC_PLACED, so that COMPLETE returns once the files are in
 * place (see docs/uapi.md).
 */
#define KBITS_AGENT_PLACES_FILES	(1U << 0)

/* KBITS_AGENT_IOC_TAKE_JOB, KBITS_AGENT_IOC_TRANSFERRED */
struct kbits_agent_job {
	__u32 size;		/* in: sizeof(struct kbits_agent_job) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u8 id[KBITS_GUID_SIZE];	/* in: the job */
	__u64 reserved;		/* must be 0 */
};

#define KBITS_AGENT_JOB_SIZE_VER0	32

/* KBITS_AGENT_IOC_PROGRESS: how far one file got. */
struct kbits_agent_progress {
	__u32 size;		/* in: sizeof(struct kbits_agent_progress) */
	__u32 index;		/* in: the file */
	__u8 id[KBITS_GUID_SIZE];	/* in: the job */
	__u64 bytes_total;	/* in: KBITS_SIZE_UNKNOWN while unknown */
	__u64 bytes_transferred;	/* in: <= bytes_total */
	__u32 flags;		/* in: KBITS_FILE_COMPLETED */
	__u32 reserved;		/* must be 0 */
};

#define KBITS_AGENT_PROGRESS_SIZE_VER0	48

/* KBITS_AGENT_IOC_ERROR: a transfer failed. */
struct kbits_agent_error {
	__u32 size;		/* in: sizeof(struct kbits_agent_error) */
	__u32 flags;		/* in: KBITS_ERROR_TRANSIENT, KBITS_ERROR_HTTP */
	__u8 id[KBITS_GUID_SIZE];	/* in: the job */
	__u32 context;		/* in: enum kbits_error_context, not NONE */
	__s32 code;		/* in: a positive errno, or an HTTP status */
	__u32 file_index;	/* in: the file, or KBITS_NO_FILE */
	__u32 text_len;		/* in: bytes at @text, <= KBITS_ERROR_TEXT_MAX */
	__aligned_u64 text;	/* in: a short text, UTF-8 */
	__u64 reserved;		/* must be 0 */
};

#define KBITS_AGENT_ERROR_SIZE_VER0	56

/*
 * KBITS_AGENT_ERROR's flags: KBITS_ERROR_TRANSIENT for an error the job
 * retries (TRANSIENT_ERROR), without it a final one (ERROR);
 * KBITS_ERROR_HTTP when @code is an HTTP status (100 to 599), without it
 * @code is a positive errno.  GET_ERROR reports KBITS_ERROR_HTTP back.
 */
#define KBITS_ERROR_TRANSIENT		(1U << 0)
#define KBITS_ERROR_HTTP		(1U << 1)

/*
 * KBITS_AGENT_IOC_PLACED: the agent's answer to KBITS_EVENT_COMPLETING.
 * @error 0: the finished files are at their local names and the others'
 * temporaries are gone; the job becomes ACKNOWLEDGED and COMPLETE returns.
 * Else a positive errno below 512 (the kernel's own start there): the job
 * stays as it was and COMPLETE fails with it.
 */
struct kbits_agent_placed {
	__u32 size;		/* in: sizeof(struct kbits_agent_placed) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u8 id[KBITS_GUID_SIZE];	/* in: the job */
	__s32 error;		/* in: 0, or a positive errno */
	__u32 reserved;		/* must be 0 */
};

#define KBITS_AGENT_PLACED_SIZE_VER0	32

/*
 * KBITS_AGENT_IOC_JOB_NS: an fd for a namespace of job @id, as its owner
 * had it when it created the job or took it over, so that the agent can do
 * the job's I/O as that owner would: @kind KBITS_JOB_NS_ROOT gives an O_PATH
 * fd of the owner's root directory (fchdir() to it, then chroot(".")); its
 * mount namespace's mounts are seen below it), KBITS_JOB_NS_NET an nsfs fd
 * of its network namespace (setns(fd, CLONE_NEWNET)).  The fd is O_CLOEXEC.
 * An imported job has the importing agent's, or none (-ESTALE) when its
 * record says KBITS_RECORD_FOREIGN_NS.
 */
struct kbits_agent_job_ns {
	__u32 size;		/* in: sizeof(struct kbits_agent_job_ns) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u8 id[KBITS_GUID_SIZE];	/* in: the job */
	__u32 kind;		/* in: KBITS_JOB_NS_* */
	__u32 reserved;		/* must be 0 */
};

#define KBITS_AGENT_JOB_NS_SIZE_VER0	32
#define KBITS_JOB_NS_ROOT	0
#define KBITS_JOB_NS_NET	1

/*
 * KBITS_AGENT_IOC_EXPORT_JOB, KBITS_AGENT_IOC_IMPORT_JOB: a job's whole
 * record, for the agent to keep on disk and to give back to the kernel after
 * a reboot or a module reload.  EXPORT writes the record of job @id to @buf
 * and its length to @buf_len (-ERANGE, with the length, when @buf_len was
 * smaller).  IMPORT makes a job from the @buf_len bytes at @buf, with the
 * record's GUID (-EEXIST when that job is queued), owner, state and all.
 */
struct kbits_agent_record {
	__u32 size;		/* in: sizeof(struct kbits_agent_record) */
	__u32 flags;		/* in: none defined yet, must be 0 */
	__u8 id[KBITS_GUID_SIZE];	/* EXPORT in: the job */
	__aligned_u64 buf;	/* in: the record */
	__u32 buf_len;		/* in: bytes at @buf; EXPORT out: record length */
	__u32 reserved;		/* must be 0 */
};

#define KBITS_AGENT_RECORD_SIZE_VER0	40

/*
 * A record is this header (@header_size bytes: KBITS_JOB_RECORD_SIZE_VER4
 * as EXPORT writes it), then the display name, the description, the error
 * text, the proxy list, the proxy bypass list and the custom HTTP headers
 * (@*_len bytes each, no NUL), the notify command (@notify_cmd_len bytes,
 * its arguments each ended by a NUL, as SET_NOTIFY_CMD takes it), the
 * reply file's name (@reply_file_len bytes), @nr_creds times a struct
 * kbits_record_cred followed by its user name and password, then @nr_files
 * times a struct kbits_record_file (@file_size bytes) followed by its remote
 * and local names.  A record holds the job's secrets: keep it as the agent
 * keeps passwords.  EXPORT writes version KBITS_RECORD_VERSION (3).  IMPORT
 * also takes version 2 (a header of KBITS_JOB_RECORD_SIZE_VER3, ending
 * before @reply_file_len: no reply file, no credentials) and version 1,
 * which older modules wrote: a header of
 * KBITS_JOB_RECORD_SIZE_VER2, or _VER1, which ends before
 * @max_download_time (the job gets the default and 0), or _VER0, which ends
 * before @proxy_usage, and files of KBITS_RECORD_FILE_SIZE_VER0 bytes (mode
 * 0600, as such files were placed, and no SHA-256).  Fields are in the
 * machine's byte order; the owner is a uid of the initial user namespace,
 * where an imported job belongs.  IMPORT checks every field as CREATE_JOB,
 * ADD_FILES, SET_ATTR and the agent's ioctls check theirs: -EINVAL for
 * anything they would refuse, or a record whose lengths do not add up.
 */
struct kbits_job_record {
	__u32 magic;		/* KBITS_RECORD_MAGIC */
	__u32 version;		/* KBITS_RECORD_VERSION */
	__u32 length;		/* the whole record, this header included */
	__u32 header_size;	/* KBITS_JOB_RECORD_SIZE_VER4 (2: _VER3; 1: _VER2, _VER1, _VER0) */
	__u8 id[KBITS_GUID_SIZE];
	__u32 owner;
	__u32 type;		/* enum kbits_job_type */
	__u32 state;		/* enum kbits_job_state, not a final one */
	__u32 priority;
	__u32 notify_flags;
	__u32 min_retry_delay;
	__u32 no_progress_timeout;
	__u32 error_count;
	__s64 creation_time;
	__s64 modification_time;
	__s64 completion_time;
	__u32 error_context;	/* KBITS_ERROR_CONTEXT_NONE: no error */
	__s32 error_code;
	__u32 error_file_index;
	__u32 nr_files;
	__u32 display_name_len;
	__u32 description_len;
	__u32 error_text_len;
	__u32 flags;		/* KBITS_RECORD_* */
	/* from here on: header_size >= KBITS_JOB_RECORD_SIZE_VER1 */
	__u32 proxy_usage;	/* enum kbits_proxy_usage */
	__u32 proxy_list_len;
	__u32 proxy_bypass_len;
	__u32 http_headers_len;
	/* from here on: header_size >= KBITS_JOB_RECORD_SIZE_VER2 */
	__u32 max_download_time;	/* seconds; 0: no limit */
	__u32 transfer_time;	/* seconds CONNECTING or TRANSFERRING since resumed */
	/* from here on: version >= 2, header_size >= KBITS_JOB_RECORD_SIZE_VER3 */
	__u32 file_size;	/* KBITS_RECORD_FILE_SIZE_VER1 */
	__u32 notify_cmd_len;	/* bytes of the notify command, its NULs included */
	/* from here on: version >= 3, header_size >= KBITS_JOB_RECORD_SIZE_VER4 */
	__u32 reply_file_len;	/* bytes of the reply file's name; 0: none */
	__u32 reply_mode;	/* the reply file's mode (0 without a name) */
	__u32 nr_creds;		/* struct kbits_record_cred entries */
	__u32 reserved;		/* must be 0 */
};

/*
 * Credentials in a record (version 3): @nr_creds of these, each followed by
 * its user name and password (no NUL), after the reply file's name.
 */
struct kbits_record_cred {
	__u32 target;		/* enum kbits_auth_target */
	__u32 scheme;		/* enum kbits_auth_scheme */
	__u32 user_len;
	__u32 password_len;
};

struct kbits_record_file {
	__u64 bytes_total;
	__u64 bytes_transferred;
	__u32 flags;		/* KBITS_FILE_COMPLETED, KBITS_FILE_SHA256 */
	__u32 remote_len;
	__u32 local_len;
	__u32 reserved;		/* must be 0 */
	/* from here on: the header's file_size >= KBITS_RECORD_FILE_SIZE_VER1 */
	__u32 mode;		/* 0666 & ~ the umask of who added it */
	__u32 reserved2;	/* must be 0 */
	__u8 sha256[KBITS_SHA256_SIZE];	/* with KBITS_FILE_SHA256, else 0 */
};

#define KBITS_RECORD_MAGIC	0x5354424bU	/* "KBTS" */
#define KBITS_RECORD_VERSION	3
#define KBITS_JOB_RECORD_SIZE_VER0	120	/* no proxy settings, no headers */
#define KBITS_JOB_RECORD_SIZE_VER1	136	/* no max_download_time, transfer_time */
#define KBITS_JOB_RECORD_SIZE_VER2	144	/* version 1's longest */
#define KBITS_JOB_RECORD_SIZE_VER3	152	/* version 2: file_size, notify_cmd_len */
#define KBITS_JOB_RECORD_SIZE_VER4	168	/* version 3: credentials, reply file */
/* The job was marked by an agent with KBITS_AGENT_PLACES_FILES. */
#define KBITS_RECORD_AGENT_PLACES	(1U << 0)
/*
 * EXPORT: a COMPLETE of the job waits for the agent's PLACED, so that an
 * agent that lost the KBITS_EVENT_COMPLETING in an OVERFLOW finds it again
 * when it looks at every job.  IMPORT ignores it.
 */
#define KBITS_RECORD_COMPLETING		(1U << 1)
/*
 * The job does not count against the job limits: its creator, or who took
 * it over last, had CAP_SYS_ADMIN.  IMPORT keeps it so.
 */
#define KBITS_RECORD_EXEMPT		(1U << 2)
/*
 * EXPORT: the job's user namespace is not the initial one, or its root
 * directory or network namespace are not the exporting agent's.  IMPORT
 * makes such a job without namespaces: JOB_NS fails with -ESTALE until an
 * administrator takes it over.
 */
#define KBITS_RECORD_FOREIGN_NS		(1U << 3)
/* The job has KBITS_JOB_DYNAMIC_CONTENT. */
#define KBITS_RECORD_DYNAMIC_CONTENT	(1U << 4)
/*
 * The job's error has KBITS_ERROR_HTTP: @error_code is an HTTP status.  A
 * record without it, an older module's included, has an errno there.
 */
#define KBITS_RECORD_ERROR_HTTP		(1U << 5)
/* The job has KBITS_JOB_HEADERS_WRITE_ONLY. */
#define KBITS_RECORD_HEADERS_WRITE_ONLY	(1U << 6)
/* The job has KBITS_JOB_UPLOAD_POST. */
#define KBITS_RECORD_UPLOAD_POST	(1U << 7)
#define KBITS_RECORD_FILE_SIZE_VER0	32	/* version 1's */
#define KBITS_RECORD_FILE_SIZE_VER1	72	/* mode, sha256 */
/*
 * Version 1's name of its file size.  A reader walks a record's files by the
 * header's @file_size (version 2) or KBITS_RECORD_FILE_SIZE_VER0 (version 1),
 * never by sizeof(struct kbits_record_file), which grows.
 */
#define KBITS_RECORD_FILE_SIZE		KBITS_RECORD_FILE_SIZE_VER0

/*
 * 0xBC: free in Documentation/userspace-api/ioctl/ioctl-number.rst (0xB8 is
 * mshv's and mrvl_cn10k_dpi's, 0xBA liveupdate's).
 */
#define KBITS_IOC_MAGIC		0xBC

/*
 * The commands of the structs that can grow encode their first size, so a
 * command keeps its number forever; the struct's 'size' tells the version.
 */

/* ioctls on /dev/kbits */
#define KBITS_IOC_CREATE_JOB	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x01, \
				     KBITS_CREATE_JOB_SIZE_VER0)
#define KBITS_IOC_GET_JOB	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x02, \
				     KBITS_GET_JOB_SIZE_VER0)
#define KBITS_IOC_ENUM_JOBS	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x03, \
				     KBITS_ENUM_JOBS_SIZE_VER0)
#define KBITS_IOC_AGENT_ATTACH	_IO(KBITS_IOC_MAGIC, 0x04)

/* ioctls on the agent fd */
#define KBITS_AGENT_IOC_TAKE_JOB \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x20, KBITS_AGENT_JOB_SIZE_VER0)
#define KBITS_AGENT_IOC_PROGRESS \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x21, KBITS_AGENT_PROGRESS_SIZE_VER0)
#define KBITS_AGENT_IOC_ERROR \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x22, KBITS_AGENT_ERROR_SIZE_VER0)
#define KBITS_AGENT_IOC_TRANSFERRED \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x23, KBITS_AGENT_JOB_SIZE_VER0)
#define KBITS_AGENT_IOC_EXPORT_JOB \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x24, KBITS_AGENT_RECORD_SIZE_VER0)
#define KBITS_AGENT_IOC_IMPORT_JOB \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x25, KBITS_AGENT_RECORD_SIZE_VER0)
#define KBITS_AGENT_IOC_PLACED \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x26, KBITS_AGENT_PLACED_SIZE_VER0)
#define KBITS_AGENT_IOC_JOB_NS \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x27, KBITS_AGENT_JOB_NS_SIZE_VER0)
#define KBITS_AGENT_IOC_REQUEUE \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x28, KBITS_AGENT_JOB_SIZE_VER0)

/* ioctls on a job fd */
#define KBITS_JOB_IOC_GET_ID	_IOR(KBITS_IOC_MAGIC, 0x40, struct kbits_job_id)
#define KBITS_JOB_IOC_GET_TYPE	_IOR(KBITS_IOC_MAGIC, 0x41, __u32)
#define KBITS_JOB_IOC_GET_STATE	_IOR(KBITS_IOC_MAGIC, 0x42, __u32)
#define KBITS_JOB_IOC_GET_OWNER	_IOR(KBITS_IOC_MAGIC, 0x43, __u32)
#define KBITS_JOB_IOC_GET_DISPLAY_NAME \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x44, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_CANCEL	_IO(KBITS_IOC_MAGIC, 0x45)
#define KBITS_JOB_IOC_SET_DISPLAY_NAME \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x46, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_GET_DESCRIPTION \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x47, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_SET_DESCRIPTION \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x48, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_GET_ATTR \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x49, KBITS_JOB_ATTR_SIZE_VER0)
#define KBITS_JOB_IOC_SET_ATTR \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x4a, KBITS_JOB_ATTR_SIZE_VER0)
#define KBITS_JOB_IOC_ADD_FILES \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x4b, KBITS_ADD_FILES_SIZE_VER0)
#define KBITS_JOB_IOC_GET_FILE \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x4c, KBITS_JOB_FILE_SIZE_VER0)
#define KBITS_JOB_IOC_GET_PROGRESS	_IOR(KBITS_IOC_MAGIC, 0x4d, struct kbits_job_progress)
#define KBITS_JOB_IOC_RESUME	_IO(KBITS_IOC_MAGIC, 0x4e)
#define KBITS_JOB_IOC_SUSPEND	_IO(KBITS_IOC_MAGIC, 0x4f)
#define KBITS_JOB_IOC_COMPLETE	_IO(KBITS_IOC_MAGIC, 0x50)
#define KBITS_JOB_IOC_GET_ERROR \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x51, KBITS_JOB_ERROR_SIZE_VER0)
#define KBITS_JOB_IOC_TAKE_OWNERSHIP	_IO(KBITS_IOC_MAGIC, 0x52)
#define KBITS_JOB_IOC_GET_PROXY \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x53, KBITS_JOB_PROXY_SIZE_VER0)
#define KBITS_JOB_IOC_SET_PROXY \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x54, KBITS_JOB_PROXY_SIZE_VER0)
#define KBITS_JOB_IOC_GET_HTTP_HEADERS \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x55, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_SET_HTTP_HEADERS \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x56, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_GET_NOTIFY_CMD \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x57, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_SET_NOTIFY_CMD \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x58, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_SET_CREDENTIALS \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x59, KBITS_JOB_CREDENTIALS_SIZE_VER0)
#define KBITS_JOB_IOC_GET_CREDENTIALS \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x5a, \
	     KBITS_JOB_CRED_SCHEMES_SIZE_VER0)
#define KBITS_JOB_IOC_GET_REPLY_FILE \
	_IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC, 0x5b, KBITS_JOB_STRING_SIZE_VER0)
#define KBITS_JOB_IOC_SET_REPLY_FILE \
	_IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x5c, KBITS_JOB_STRING_SIZE_VER0)

#endif /* _UAPI_LINUX_KBITS_H */
