/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkbits - the C library for kbits, the kernel's background-transfer queue.
 *
 * Handles are opaque and reference-counted: _ref() returns its argument,
 * _unref() drops a reference, accepts NULL and returns NULL.  Reference
 * counts are atomic, so handles may be shared between threads.  Every call
 * that can fail returns 0 or a negative errno; kbits_strerror() says what a
 * negative errno means in BITS's terms.
 */
#ifndef KBITS_KBITS_H
#define KBITS_KBITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/kbits.h>	/* the enums, KBITS_* limits and flags, struct kbits_job_progress */

#ifdef __cplusplus
extern "C" {
#endif

/* A job identifier.  The bytes are in the kernel's guid_t order. */
struct kbits_guid {
	uint8_t bytes[16];
};

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" and a NUL */
#define KBITS_GUID_STRING_LEN 39

/* Parses a GUID with or without braces, in any case: 0 or -EINVAL. */
int kbits_guid_parse(const char *s, struct kbits_guid *out);
/* Formats a GUID with braces, in lower case. */
void kbits_guid_format(const struct kbits_guid *g, char out[KBITS_GUID_STRING_LEN]);

struct kbits;
struct kbits_job;

/* kbits_new() flags */
#define KBITS_LOAD_MODULE	(1u << 0)	/* load the kbits module through libkmod when /dev/kbits is missing */

/*
 * Opens /dev/kbits.  -EINVAL for unknown flags; -ENOENT (or -ENXIO, -ENODEV
 * with a static device node) when the module is not loaded.  With
 * KBITS_LOAD_MODULE it then loads the module and tries again; an error of
 * libkmod's (e.g. -EPERM without CAP_SYS_MODULE, -ENOENT when the module is
 * not installed) is returned as is.  Use strerror() for these errors:
 * kbits_strerror() speaks of jobs.
 */
int kbits_new(struct kbits **out, unsigned int flags);
struct kbits *kbits_ref(struct kbits *m);
struct kbits *kbits_unref(struct kbits *m);

/*
 * The calls that hand out a handle through an out pointer set it to NULL
 * when they fail.
 */

/*
 * Creates a job, owned by the caller and SUSPENDED.  @id_out and @job_out may
 * each be NULL when the caller does not want them.
 * -EINVAL: bad type, or a name that is not UTF-8 or has a NUL;
 * -ENAMETOOLONG: a name longer than KBITS_DISPLAY_NAME_MAX bytes;
 * -EDQUOT / -ENOSPC: the caller's / the system's job limit is reached.
 */
int kbits_create_job(struct kbits *m, const char *display_name, enum kbits_job_type type,
		     struct kbits_guid *id_out, struct kbits_job **job_out);
/* Gets a job from the queue: 0, -ENOENT (not in the queue), -EACCES (not yours). */
int kbits_get_job(struct kbits *m, const struct kbits_guid *id, struct kbits_job **job_out);

/*
 * The GUIDs of the queued jobs the caller owns, or with KBITS_ENUM_ALL_USERS
 * (from <linux/kbits.h>) of every job it may get, which needs CAP_SYS_ADMIN
 * (-EACCES without it).  *ids is malloc'd (NULL when *n is 0); the caller
 * frees it.  -EINVAL for unknown flags.
 */
int kbits_enum_jobs(struct kbits *m, unsigned int flags, struct kbits_guid **ids, size_t *n);
/*
 * The GUIDs of the jobs that kbits_enum_jobs() lists with @flags whose
 * display name is @name, byte for byte (BITS: Get-BitsTransfer -Name), in
 * the order it lists them.  *ids is malloc'd (NULL when *n is 0, which is
 * no error); the caller frees it.  Errors as kbits_enum_jobs()'s.  A job
 * that leaves the queue or changes hands meanwhile is left out.  Since
 * LIBKBITS_0.4.
 */
int kbits_find_jobs_by_name(struct kbits *m, const char *name, unsigned int flags,
			    struct kbits_guid **ids, size_t *n);

struct kbits_job *kbits_job_ref(struct kbits_job *j);
/* The last unref closes the job fd.  The job stays in the queue. */
struct kbits_job *kbits_job_unref(struct kbits_job *j);
/* The job fd, borrowed: it stays owned by @j.  -EINVAL for NULL. */
int kbits_job_fd(struct kbits_job *j);
/* Adopts a job fd (e.g. received over SCM_RIGHTS); on success @j owns @fd.
 * -EBADF when @fd is not an open kbits job fd. */
int kbits_job_from_fd(int fd, struct kbits_job **out);

int kbits_job_get_id(struct kbits_job *j, struct kbits_guid *out);
int kbits_job_get_type(struct kbits_job *j, enum kbits_job_type *out);
int kbits_job_get_state(struct kbits_job *j, enum kbits_job_state *out);
/* The owner's uid as seen from the caller's user namespace. */
int kbits_job_get_owner(struct kbits_job *j, uid_t *out);
/* *out is malloc'd; the caller frees it. */
int kbits_job_get_display_name(struct kbits_job *j, char **out);
/* Removes the job from the queue: -EBADFD when it is already cancelled or acknowledged. */
int kbits_job_cancel(struct kbits_job *j);

/*
 * The calls below return -EBADFD (BITS: BG_E_INVALID_STATE) when they would
 * change a job that is ACKNOWLEDGED or CANCELLED.
 */

/* -EINVAL: not UTF-8, or has a NUL; -ENAMETOOLONG: over KBITS_DISPLAY_NAME_MAX. */
int kbits_job_set_display_name(struct kbits_job *j, const char *name);
/* *out is malloc'd ("" when the job has none); the caller frees it. */
int kbits_job_get_description(struct kbits_job *j, char **out);
/* -EINVAL: not UTF-8, or has a NUL; -ENAMETOOLONG: over KBITS_DESCRIPTION_MAX. */
int kbits_job_set_description(struct kbits_job *j, const char *description);

/* enum kbits_job_priority: KBITS_PRIORITY_FOREGROUND ... _LOW (default NORMAL). */
int kbits_job_get_priority(struct kbits_job *j, enum kbits_job_priority *out);
int kbits_job_set_priority(struct kbits_job *j, enum kbits_job_priority priority);
/* KBITS_NOTIFY_* (default JOB_TRANSFERRED | JOB_ERROR); -EINVAL for unknown ones. */
int kbits_job_get_notify_flags(struct kbits_job *j, uint32_t *out);
int kbits_job_set_notify_flags(struct kbits_job *j, uint32_t flags);
/* Seconds before a transient error is retried: default 600, at least 5 (-EINVAL). */
int kbits_job_get_min_retry_delay(struct kbits_job *j, uint32_t *out);
int kbits_job_set_min_retry_delay(struct kbits_job *j, uint32_t seconds);
/* Seconds without progress before an error is final: default 14 days; 0: at once. */
int kbits_job_get_no_progress_timeout(struct kbits_job *j, uint32_t *out);
int kbits_job_set_no_progress_timeout(struct kbits_job *j, uint32_t seconds);
/* How many errors the job has had. */
int kbits_job_get_error_count(struct kbits_job *j, uint32_t *out);
/*
 * The job's flags, KBITS_JOB_* (a new job's: 0); -EINVAL for unknown ones;
 * -EINVAL from a module without job flags.  Since LIBKBITS_0.2.
 */
int kbits_job_get_flags(struct kbits_job *j, uint32_t *out);
int kbits_job_set_flags(struct kbits_job *j, uint32_t flags);
/*
 * KBITS_JOB_DYNAMIC_CONTENT (BITS_JOB_PROPERTY_DYNAMIC_CONTENT): the files
 * may be served without a length or ranges, and are never resumed (an
 * interrupted one starts over).  Default off.  Since LIBKBITS_0.2.
 */
int kbits_job_get_dynamic_content(struct kbits_job *j, bool *out);
int kbits_job_set_dynamic_content(struct kbits_job *j, bool on);
/*
 * Seconds the job may spend connecting or transferring (BITS:
 * SetMaximumDownloadTime) before the agent gives it a final error: default
 * KBITS_MAX_DOWNLOAD_TIME_DEFAULT, 90 days; 0: no limit; any value is
 * accepted.  Time queued or waiting to retry does not
 * count, and a resume starts it over.  From a module without it, get fails
 * with -EOPNOTSUPP and set with -EINVAL.  Since LIBKBITS_0.3.
 */
int kbits_job_get_max_download_time(struct kbits_job *j, uint32_t *out);
int kbits_job_set_max_download_time(struct kbits_job *j, uint32_t seconds);
/*
 * Seconds the job spent connecting or transferring since it was created or
 * last resumed, what counts against its maximum download time (the running
 * stretch included; system suspend counts).  -EOPNOTSUPP from a module
 * without it.  Since LIBKBITS_0.3.
 */
int kbits_job_get_transfer_time(struct kbits_job *j, uint32_t *out);

/*
 * Proxy settings (BITS: Get/SetProxySettings).  With KBITS_PROXY_OVERRIDE,
 * @list names the proxies (curl's CURLOPT_PROXY form) and @bypass, which may
 * be NULL, the hosts reached directly; with KBITS_PROXY_SYSTEM (a new
 * job's) or KBITS_PROXY_NONE both must be NULL.  -EINVAL otherwise;
 * -ENAMETOOLONG over KBITS_PROXY_LIST_MAX bytes.  Get: *list and *bypass are
 * malloc'd ("" when none); the caller frees them.
 */
int kbits_job_set_proxy(struct kbits_job *j, enum kbits_proxy_usage usage,
			const char *list, const char *bypass);
int kbits_job_get_proxy(struct kbits_job *j, enum kbits_proxy_usage *usage,
			char **list, char **bypass);
/*
 * Custom HTTP headers (BITS: SetCustomHeaders): "Name: value" lines
 * separated by "\r\n", at most KBITS_HTTP_HEADERS_MAX bytes; NULL or ""
 * removes them.  Get: -ENODATA when the job has none; *out is malloc'd;
 * -EPERM once the job's headers are write-only (KBITS_JOB_HEADERS_WRITE_ONLY,
 * below), whether or not it has any.
 */
int kbits_job_set_http_headers(struct kbits_job *j, const char *headers);
int kbits_job_get_http_headers(struct kbits_job *j, char **out);
/*
 * The notify command (BITS: SetNotifyCmdLine): a program and its
 * arguments that kbitsd runs, as the job's owner and without a shell, when
 * the job becomes TRANSFERRED or ERROR and its notify flags ask for that
 * event, with KBITS_JOB_ID and KBITS_JOB_STATE in its environment (see
 * libkbits(3)).  Set: @argv is NULL-terminated, argv[0] an absolute path,
 * each argument UTF-8, all of them with their NULs at most
 * KBITS_NOTIFY_CMD_MAX bytes (-ENAMETOOLONG); NULL or an empty @argv
 * removes it; -EPERM when the caller holds the job's fd but is neither its
 * owner nor an administrator over it (the command runs as the owner).  Get:
 * *argv, NULL-terminated, to free with kbits_strv_free(); -ENODATA when
 * the job has none.  TAKE_OWNERSHIP removes it.  -ENOTTY from a module
 * older than notify commands.  Since LIBKBITS_0.6.
 */
int kbits_job_set_notify_cmd(struct kbits_job *j, const char *const *argv);
int kbits_job_get_notify_cmd(struct kbits_job *j, char ***argv);
/* Frees a NULL-terminated array of strings and each of them; NULL is fine. */
void kbits_strv_free(char **strv);

/*
 * Credentials (BITS: SetCredentials, RemoveCredentials) for @target
 * (KBITS_AUTH_TARGET_SERVER or _PROXY) and @scheme (KBITS_AUTH_SCHEME_BASIC,
 * _DIGEST, _NTLM, _NEGOTIATE); a job has at most one user and password per
 * target and scheme, and setting them again replaces them.  NULL @user or
 * @password stands for "" (Negotiate with the owner's Kerberos tickets).
 * The user: UTF-8 without control characters, and without ':' for Basic;
 * the password: UTF-8 without NUL; each at most KBITS_CRED_USER_MAX /
 * KBITS_CRED_PASSWORD_MAX bytes (-ENAMETOOLONG); -EINVAL otherwise, and
 * for an unknown target or scheme.  The secrets are write-only: no call
 * returns them, and this library keeps no copy of them.  Remove: removing
 * credentials the job does not have succeeds.  Get: which are set, never
 * the secrets: a bit (1U << scheme) for each, in *@server and *@proxy
 * (either may be NULL, not both).  TAKE_OWNERSHIP removes them all.  A job
 * with secrets (credentials, or write-only headers) refuses
 * kbits_job_add_file*() and kbits_job_set_proxy() with -EPERM to a caller
 * who holds its fd but is neither its owner nor an administrator over it.  -ENOTTY from a module
 * older than credentials.  Since LIBKBITS_0.7.
 */
int kbits_job_set_credentials(struct kbits_job *j, enum kbits_auth_target target,
			      enum kbits_auth_scheme scheme, const char *user,
			      const char *password);
int kbits_job_remove_credentials(struct kbits_job *j, enum kbits_auth_target target,
				 enum kbits_auth_scheme scheme);
int kbits_job_get_credentials(struct kbits_job *j, uint32_t *server, uint32_t *proxy);

/*
 * Makes the job's custom HTTP headers write-only (BITS:
 * MakeCustomHeadersWriteOnly), for tokens: sets KBITS_JOB_HEADERS_WRITE_ONLY
 * and leaves the other flags as they are (kbits_job_set_flags() sets them
 * all).  Irreversible: clearing the flag fails with -EPERM, and
 * kbits_job_get_http_headers() then fails with -EPERM; the headers may
 * still be replaced or removed, and stay write-only.  TAKE_OWNERSHIP
 * removes the headers and the flag.  0 when the flag is already set;
 * -EINVAL from a module older than write-only headers.  Since LIBKBITS_0.7.
 */
int kbits_job_make_headers_write_only(struct kbits_job *j);

/*
 * The reply file of an UPLOAD_REPLY job (BITS: SetReplyFileName,
 * GetReplyFileName): where kbitsd puts the server's reply body, as a
 * downloaded file is placed (mode 0666 & ~ the setter's umask).  Set: an
 * absolute path, at most KBITS_LOCAL_NAME_MAX bytes, checked first with
 * kbits_check_local_name() (its errnos); NULL or "" removes it; -EPERM for
 * a caller who holds the job's fd but is neither its owner nor an
 * administrator over it; -EBADFD while the reply is on its way
 * (CONNECTING, TRANSFERRING, TRANSFERRED).  Get:
 * *path malloc'd; -ENODATA when the job has none.  Another type of job:
 * -EOPNOTSUPP.  kbits_job_resume() of an UPLOAD_REPLY job without one
 * fails with -EDESTADDRREQ.  Since LIBKBITS_0.7.
 */
int kbits_job_set_reply_file(struct kbits_job *j, const char *path);
int kbits_job_get_reply_file(struct kbits_job *j, char **path);

/*
 * All of a job's settings and times in one call (one GET_ATTR ioctl), and
 * several settings changed at once.  Since LIBKBITS_0.5.
 *
 * The struct may grow at its end in a later version, as the kernel's
 * structs do: the caller sets @size to sizeof(struct kbits_job_attrs) (or
 * KBITS_JOB_ATTRS_SIZE_VER0), and the library reads and writes no byte past
 * it; -EINVAL when it is below KBITS_JOB_ATTRS_SIZE_VER0.  A get sets @size
 * to the bytes it filled, at most the caller's (so a struct that a newer
 * binary passes to an older library says which fields it holds).
 *
 * The mask of kbits_job_set_attrs() is the UAPI's KBITS_ATTR_* of
 * <linux/kbits.h> (PRIORITY, NOTIFY_FLAGS, MIN_RETRY_DELAY,
 * NO_PROGRESS_TIMEOUT, FLAGS, MAX_DOWNLOAD_TIME): this header already
 * hands out the UAPI's names (the enums, KBITS_NOTIFY_*, KBITS_JOB_*), and
 * a second set of names for the same bits would be two ways to say one
 * thing.  Set changes the fields @mask names, all or none (one SET_ATTR);
 * the other fields are not read.  -EINVAL for a mask bit this library does
 * not know, and for a value the kernel refuses (as the single setters).
 * The fields only get fills (error_count, transfer_time, the times) have no
 * mask bit.
 *
 * From a module older than max download times (LIBKBITS_0.3),
 * max_download_time and transfer_time read 0 (such a module has no limit
 * to report; kbits_job_get_max_download_time() tells the two apart with
 * -EOPNOTSUPP), and setting KBITS_ATTR_MAX_DOWNLOAD_TIME fails with
 * -EINVAL.
 */
struct kbits_job_attrs {
	uint32_t size;				/* in: sizeof(struct kbits_job_attrs) */
	enum kbits_job_priority priority;
	uint32_t notify_flags;			/* KBITS_NOTIFY_* */
	uint32_t min_retry_delay;		/* seconds */
	uint32_t no_progress_timeout;		/* seconds */
	uint32_t max_download_time;		/* seconds; 0: no limit */
	uint32_t flags;				/* KBITS_JOB_* */
	uint32_t error_count;			/* get only */
	uint32_t transfer_time;			/* get only: seconds, as kbits_job_get_transfer_time() */
	/* seconds since the epoch, 0 where not yet; get only */
	int64_t creation_time;
	int64_t modification_time;		/* the last change by its user */
	int64_t transfer_completion_time;	/* when it became TRANSFERRED */
};
#define KBITS_JOB_ATTRS_SIZE_VER0	64

int kbits_job_get_attrs(struct kbits_job *j, struct kbits_job_attrs *out);
int kbits_job_set_attrs(struct kbits_job *j, uint32_t mask, const struct kbits_job_attrs *in);

/* Seconds since the epoch; 0 where not yet. */
struct kbits_job_times {
	int64_t creation_time;
	int64_t modification_time;		/* the last change by its user */
	int64_t transfer_completion_time;	/* when it became TRANSFERRED */
};
int kbits_job_get_times(struct kbits_job *j, struct kbits_job_times *out);

/*
 * Files.  A remote name is an http://, https:// or file:// URL or an
 * absolute path (at most KBITS_REMOTE_NAME_MAX bytes); a local name is an
 * absolute path (at most KBITS_LOCAL_NAME_MAX bytes).  -EINVAL for other
 * names; -E2BIG when the job would hold more files than the module allows
 * (200 by default), or an upload job more than one.
 */
struct kbits_file_info {
	const char *remote_name;
	const char *local_name;
};
int kbits_job_add_file(struct kbits_job *j, const char *remote_name, const char *local_name);
/*
 * Adds @n files, all or none.  Since LIBKBITS_0.4, for a download job each
 * local name first goes through kbits_check_local_name(), with the caller's
 * rights: a file the caller could not create is refused here, with that
 * errno (-EACCES, -ENOENT, -ENOTDIR, -EISDIR, -EROFS...), and no file is
 * added.  (Use strerror() for those: kbits_strerror() speaks of jobs.)  An
 * upload job's local file, its source, is not checked.
 */
int kbits_job_add_file_set(struct kbits_job *j, const struct kbits_file_info *files, size_t n);
/*
 * Could the caller create the file @local_name as a download's destination
 * (BITS refuses AddFile with E_ACCESSDENIED when it could not)?  0, or:
 * -EINVAL when it is not an absolute path (the kernel refuses a relative
 * name; this library does not resolve it); -ENAMETOOLONG over
 * KBITS_LOCAL_NAME_MAX; -ENOENT, -ENOTDIR when its directory does not
 * exist or is no directory; -EACCES (or -EROFS) when the caller's effective
 * ids may not write and search that directory, as the kernel would judge
 * a create (faccessat(2) with AT_EACCESS); -EISDIR when @local_name ends
 * in '/' or is an existing directory.  An existing file of that name is no
 * error, whatever its mode: kbitsd replaces it by a rename, which needs
 * only the directory's rights.  This checks the moment of the call, with
 * the caller's rights: kbitsd writes as the job's owner (root's jobs
 * without overriding permissions) and a later change (a directory removed
 * or made read-only) is still the job's LOCAL_FILE error.  Since
 * LIBKBITS_0.4.
 */
int kbits_check_local_name(const char *local_name);

/*
 * Adds one file, as kbits_job_add_file() does (the same checks of the
 * names, kbits_check_local_name() for a download job's), with the SHA-256
 * its whole content must have: kbitsd checks it once it has the whole
 * file, and gives the job a final error (context
 * KBITS_ERROR_CONTEXT_LOCAL_FILE, code EBADMSG, file_index that file)
 * instead of placing a file that differs.  -EINVAL when @sha256 is NULL.
 * A module older than expected SHA-256s refuses the file with -E2BIG (the
 * errno of a larger struct than it knows), as it does a job's file too
 * many.  Since LIBKBITS_0.6.
 */
int kbits_job_add_file_sha256(struct kbits_job *j, const char *remote_name,
			      const char *local_name, const uint8_t sha256[KBITS_SHA256_SIZE]);

/* A file of a job, with its progress. */
struct kbits_file {
	char *remote_name;
	char *local_name;
	uint64_t bytes_total;		/* KBITS_SIZE_UNKNOWN until known */
	uint64_t bytes_transferred;
	int completed;			/* 1 once the whole file is transferred */
};
/* The job's files in the order they were added; free them with kbits_files_free(). */
int kbits_job_get_files(struct kbits_job *j, struct kbits_file **files, size_t *n);
void kbits_files_free(struct kbits_file *files, size_t n);

/*
 * What file @index of the job (0 is the first added) is to be: its flags,
 * the mode kbitsd gives it when it places it, and its expected SHA-256.
 * -ENXIO past the job's last file.  Since LIBKBITS_0.6.
 *
 * The struct may grow at its end, as struct kbits_job_attrs may: the
 * caller sets @size to sizeof(struct kbits_file_attrs) (or
 * KBITS_FILE_ATTRS_SIZE_VER0), and the library writes no byte past it;
 * -EINVAL below KBITS_FILE_ATTRS_SIZE_VER0.  The call sets @size to the
 * bytes it filled, at most the caller's.
 */
struct kbits_file_attrs {
	uint32_t size;		/* in: sizeof(struct kbits_file_attrs) */
	uint32_t flags;		/* KBITS_FILE_COMPLETED, KBITS_FILE_SHA256 */
	/*
	 * 0666 & ~ the umask of the process that added the file, as cp, curl
	 * -o and wget make files; 0 from a module older than file modes.
	 */
	uint32_t mode;
	uint8_t sha256[KBITS_SHA256_SIZE];	/* with KBITS_FILE_SHA256, else 0 */
};
#define KBITS_FILE_ATTRS_SIZE_VER0	44

int kbits_job_get_file_attrs(struct kbits_job *j, uint32_t index, struct kbits_file_attrs *out);

/*
 * bytes_total is KBITS_SIZE_UNKNOWN until every file's size is known; a new
 * job's progress is all 0.  (struct kbits_job_progress is <linux/kbits.h>'s.)
 */
int kbits_job_get_progress(struct kbits_job *j, struct kbits_job_progress *out);

/*
 * The state machine.  Resume: SUSPENDED, ERROR or TRANSIENT_ERROR (or
 * TRANSFERRED with a file added since) -> QUEUED; -ENODATA (BITS:
 * BG_E_EMPTY) when the job has no files.  Suspend: -> SUSPENDED from any
 * state but the final ones.  Complete: the job becomes ACKNOWLEDGED and
 * leaves the queue; a download job may be completed in any state but the
 * final ones and keeps only its finished files, and then this returns
 * KBITS_COMPLETE_PARTIAL (BITS: BG_S_PARTIAL_COMPLETE) instead of 0; an
 * upload job only once TRANSFERRED (-EBADFD before).  When the agent
 * (kbitsd) has written the job's files under temporary names, complete
 * waits for it to move the finished ones to their local names: it returns
 * once they are there, owned by the job's owner; -EAGAIN when no such agent
 * is running, -EBUSY while another complete of the job is waiting.
 */
int kbits_job_resume(struct kbits_job *j);
int kbits_job_suspend(struct kbits_job *j);
int kbits_job_complete(struct kbits_job *j);

/*
 * The caller becomes the job's owner (BITS: TakeOwnership), and the job
 * moves to its namespaces.  It needs CAP_SYS_ADMIN over the job's user
 * namespace, with the job's owner mapped into the caller's: -EPERM.  An
 * active job (QUEUED, CONNECTING, TRANSFERRING, TRANSIENT_ERROR) becomes
 * SUSPENDED until the new owner resumes it.  @j stays valid (the kernel's
 * new fd takes its fd number); every other handle of the job made before,
 * and every copy of @j's old fd, is revoked: all calls on it but
 * kbits_job_get_id() then return -EACCES.
 */
int kbits_job_take_ownership(struct kbits_job *j);

/*
 * The next event of the job (struct kbits_event of <linux/kbits.h>): those
 * its notify flags ask for, made after this handle's fd was.  Waits up to
 * @timeout_ms milliseconds (0: does not wait; -1: no limit): -ETIMEDOUT
 * when none came; -EBADFD when the job is ACKNOWLEDGED or CANCELLED and
 * every event was read.  KBITS_EVENT_OVERFLOW means events were missed.  The
 * job fd can also be polled for POLLIN: see kbits_job_fd().  One thread at
 * a time may wait for a handle's events.
 */
int kbits_job_next_event(struct kbits_job *j, struct kbits_event *out, int timeout_ms);

/*
 * A job's last error (BITS: GetError).  @flags came with LIBKBITS_0.5: a
 * program built with this header gets kbits_job_get_error@LIBKBITS_0.5,
 * which fills it; one built before keeps the old call
 * (kbits_job_get_error@LIBKBITS_0.1), which writes the old struct, without
 * @flags.
 */
struct kbits_error {
	enum kbits_error_context context;	/* KBITS_ERROR_CONTEXT_* */
	int code;			/* see @flags */
	uint32_t file_index;		/* the file it concerns, or KBITS_NO_FILE */
	char *text;			/* malloc'd; the caller frees it */
	/*
	 * KBITS_ERROR_HTTP (<linux/kbits.h>) when @code is an HTTP status,
	 * else 0 and @code is a positive errno.  (A module older than
	 * KBITS_ERROR_HTTP never sets it: there, a code from 100 to 599 in
	 * the REMOTE_FILE or REMOTE_APPLICATION context is a status.)
	 */
	uint32_t flags;
};
/* -ENOMSG (BITS: BG_E_ERROR_INFORMATION_UNAVAILABLE) when the job has no error. */
int kbits_job_get_error(struct kbits_job *j, struct kbits_error *out);

/* Names for the enums, e.g. "SUSPENDED", "DOWNLOAD"; "UNKNOWN" for others. */
const char *kbits_job_state_name(enum kbits_job_state s);
const char *kbits_job_type_name(enum kbits_job_type t);
/*
 * The names kbitsctl and kbitsd show and read.  Since LIBKBITS_0.5.
 * Priorities: "foreground", "high", "normal", "low" ("unknown" for others).
 * Error contexts: "NONE", "GENERAL", "LOCAL_FILE", "REMOTE_FILE",
 * "TRANSPORT", "REMOTE_APPLICATION" ("UNKNOWN" for others).
 */
const char *kbits_job_priority_name(enum kbits_job_priority p);
const char *kbits_error_context_name(enum kbits_error_context c);
/*
 * The other way: 0, or -EINVAL for a name that is none of them.  Case does
 * not matter, and '-' stands for '_' ("upload-reply" is UPLOAD_REPLY).
 * Since LIBKBITS_0.5.
 */
int kbits_job_priority_from_name(const char *name, enum kbits_job_priority *out);
int kbits_job_type_from_name(const char *name, enum kbits_job_type *out);
/*
 * ACKNOWLEDGED and CANCELLED: the job left the queue and no call changes
 * it any more.  Since LIBKBITS_0.5.
 */
bool kbits_job_state_is_final(enum kbits_job_state s);

/*
 * Text for a negative errno returned by this library, in BITS's terms; for
 * errnos without a BITS meaning, the C library's text.  The string is
 * constant: never freed, and safe to use from any thread.
 */
const char *kbits_strerror(int err);

/*
 * The BITS HRESULT for a result of this library, for code ported from
 * Windows: 0 -> S_OK, KBITS_COMPLETE_PARTIAL -> BG_S_PARTIAL_COMPLETE,
 * -ENOENT -> BG_E_NOT_FOUND, -EACCES -> E_ACCESSDENIED, and so on; E_FAIL
 * for an errno without a BITS counterpart.
 */
uint32_t kbits_hresult(int err);

#ifdef __cplusplus
}
#endif

#endif /* KBITS_KBITS_H */
