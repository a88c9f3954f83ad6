// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: who may do what.  Every ioctl of /dev/kbits, of a job fd
 * and of the agent fd, against every kind of caller, each cell checked for
 * its exact result.  The table below (expected[][]) is the one in
 * docs/permissions.md; a change to either must change the other.
 *
 * Each cell starts from a fresh subject job: a download job of uid 4001 in
 * the initial user namespace, ERROR with its error, one finished file, a
 * description, proxy settings, HTTP headers and a notify command, so that
 * every GET of a caller allowed to read it succeeds and every change succeeds too (RESUME,
 * SUSPEND, COMPLETE, CANCEL, TAKE_OWNERSHIP included).  The subjects are
 * made with the agent's IMPORT_JOB (as kbitsd brings a job back after a
 * reboot): only that gives a job an error without an agent transfer.  For
 * an agent operation the subject is QUEUED without an error, and the test
 * puts it where the operation succeeds (taken for PROGRESS, ERROR and
 * TRANSFERRED; a COMPLETE waiting for PLACED).
 *
 * Each cell runs in a fresh caller process, forked from the test (root),
 * that first becomes the row's caller, gets its job fd the way that caller
 * can (GET_JOB, SCM_RIGHTS, fork, or an fd got before a change of
 * credentials or before a takeover), then does the one operation; the test
 * compares the result and then cancels whatever the cell left in the queue.
 *
 * A job fd is revoked by the job's next TAKE_OWNERSHIP (issue 12): three
 * rows hold such an fd (the old owner's, root's own, a container root's),
 * and get EACCES from every job ioctl but GET_ID.  Two rows are a
 * container's root: uid 4001 in a user namespace it made, mapping its 0 to
 * 4001, so the subject's owner is mapped there; but the subject was made
 * in the initial namespace, above it, so it may neither get nor take it:
 * it holds the owner's fd, received -- until host root takes the job over.
 * A takeover also removes the job's notify command (it runs as the owner):
 * the new owner's GET_NOTIFY_CMD is ENODATA; and its credentials and
 * custom headers (GET_HTTP_HEADERS ENODATA).
 *
 * The columns of credentials, the reply file and the secrets rule take
 * subjects of their own (subject_of()): the same job with two credentials,
 * an UPLOAD_REPLY job with a reply file, or with write-only headers.
 * Setting credentials needs a caller who may get the job now (removing
 * them does not); an upload job, or a job with secrets (credentials,
 * write-only headers), takes ADD_FILES, SET_PROXY, SET_HTTP_HEADERS and
 * SET_REPLY_FILE only from such a caller: a holder of the owner's fd who is
 * not gets EPERM there, though it may still do them on a download without
 * secrets.
 *
 * Run as root with kbits loaded and no agent (kbitsd) attached;
 * tests/selftests/run-in-vm.sh does that in the test VM.  The callers are
 * uids 4001-4003, of this program's 4000-4099 (kbits_helpers.h's
 * kbits_uid_ranges[]); the last test checks that no job of theirs is left
 * in the queue, and no agent attached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"


#define OWNER_UID	4001	/* the subject job's owner */
#define OTHER_UID	4002	/* another user */
#define TAKER_UID	4003	/* takes ownership with CAP_SYS_ADMIN */
#define OVERFLOW_UID	65534	/* an owner not mapped in the caller's namespace */

/* ------------------------------------------------------------- the table */

/* The callers: the rows. */
enum caller {
	C_OWNER,	/* uid 4001, the job's owner; job fd by GET_JOB */
	C_OTHER,	/* uid 4002: GET_JOB refused, so no job fd */
	C_ROOT,		/* root, CAP_SYS_ADMIN in the initial namespace */
	C_USERNS_ROOT,	/* uid 4002 as root of a user namespace it made */
	C_USERNS_FD,	/* the same, holding the owner's job fd (SCM_RIGHTS) */
	C_RECEIVED,	/* uid 4002 holding the owner's job fd (SCM_RIGHTS) */
	C_FORKED,	/* a child of the owner, holding its inherited job fd */
	C_NOCAP_ROOT,	/* root without CAP_SYS_ADMIN; fd got before the drop */
	C_NEW_OWNER,	/* uid 4003, took ownership, then dropped its caps */
	C_OLD_OWNER,	/* uid 4001 after that, holding the fd it had */
	C_OLD_ROOT_FD,	/* root, holding an fd older than 4003's takeover */
	C_CT_OWN_JOB,	/* uid 4001 as root of a user namespace it made, fd received */
	C_CT_HOST_JOB,	/* the same, after host root took the job over */
	C_AGENT,	/* root holding the agent fd */
	C_AGENT_FD,	/* uid 4002 holding the agent fd (SCM_RIGHTS) */
	NR_CALLERS
};

/* The operations: the columns. */
enum op {
	/* on /dev/kbits */
	O_CREATE_JOB, O_GET_JOB, O_ENUM_JOBS, O_ENUM_ALL, O_AGENT_ATTACH,
	/* on a job fd: reading */
	O_GET_ID, O_GET_TYPE, O_GET_STATE, O_GET_OWNER, O_GET_DISPLAY_NAME,
	O_GET_DESCRIPTION, O_GET_ATTR, O_GET_FILE, O_GET_PROGRESS,
	O_GET_ERROR, O_GET_PROXY, O_GET_HTTP_HEADERS,
	/* on a job fd: changing */
	O_SET_DISPLAY_NAME, O_SET_DESCRIPTION, O_SET_ATTR, O_SET_PROXY,
	O_SET_HTTP_HEADERS,
	/* on a job fd: the notify command, read and set */
	O_GET_NOTIFY_CMD, O_SET_NOTIFY_CMD,
	O_ADD_FILES, O_RESUME, O_SUSPEND, O_COMPLETE,
	O_CANCEL, O_TAKE_OWNERSHIP,
	/*
	 * credentials (the subject has two) and the reply file (an
	 * UPLOAD_REPLY subject with one), read and set
	 */
	O_GET_CREDENTIALS, O_SET_CREDENTIALS, O_GET_REPLY_FILE,
	O_SET_REPLY_FILE,
	/*
	 * the secrets rule: where a job with secrets sends them -- a subject
	 * with credentials (an UPLOAD_REPLY one for SET_REPLY_FILE), or with
	 * write-only headers
	 */
	O_ADD_FILES_CREDS, O_SET_PROXY_CREDS, O_SET_REPLY_FILE_CREDS,
	O_ADD_FILES_WO,
	/*
	 * removing credentials (any holder may), SET_HTTP_HEADERS on a job
	 * with credentials, SET_PROXY on an upload (the UPLOAD_REPLY subject)
	 */
	O_REMOVE_CREDENTIALS, O_SET_HTTP_HEADERS_CREDS, O_SET_PROXY_UPLOAD,
	/* ADD_FILES on an upload job without its file (an UPLOAD subject) */
	O_ADD_FILES_UPLOAD,
	/*
	 * the agent's: on the agent fd; a caller without one tries them on
	 * /dev/kbits and on its job fd, and both must give the cell's result
	 */
	O_TAKE_JOB, O_PROGRESS, O_ERROR, O_TRANSFERRED, O_EXPORT_JOB,
	O_IMPORT_JOB, O_PLACED,
	NR_OPS
};

#define FIRST_JOB_OP	O_GET_ID
#define FIRST_AGENT_OP	O_TAKE_JOB

/*
 * A cell.  0 is no value, so that a cell left out of the table is caught
 * (table_is_complete).  Errors are -errno.
 */
#define OK	1	/* the ioctl succeeded */
#define LIST	2	/* ENUM_JOBS succeeded and listed the subject */
#define NOLIST	3	/* ENUM_JOBS succeeded without the subject */
#define NOFD	4	/* the caller cannot get a job fd (see GET_JOB) */
#define BADVAL	5	/* (a result only) succeeded with a wrong value */
#define MIXED	6	/* (a result only) not ENOTTY, or not the same, off the agent fd */
#define ACCES	(-EACCES)
#define PERM	(-EPERM)
#define NOTTY	(-ENOTTY)
#define BUSY	(-EBUSY)
#define NODATA	(-ENODATA)
#define NONE	7	/* GET_CREDENTIALS succeeded: the job has none */

static const char * const caller_name[NR_CALLERS] = {
	[C_OWNER] = "owner (uid 4001)",
	[C_OTHER] = "another user (uid 4002)",
	[C_ROOT] = "root",
	[C_USERNS_ROOT] = "root in its own user namespace",
	[C_USERNS_FD] = "root in its own user namespace, job fd received",
	[C_RECEIVED] = "uid 4002, job fd received over SCM_RIGHTS",
	[C_FORKED] = "the owner's child, job fd inherited",
	[C_NOCAP_ROOT] = "root without CAP_SYS_ADMIN",
	[C_NEW_OWNER] = "new owner (uid 4003, after TAKE_OWNERSHIP)",
	[C_OLD_OWNER] = "old owner (uid 4001, after TAKE_OWNERSHIP)",
	[C_OLD_ROOT_FD] = "root, fd older than another admin's TAKE_OWNERSHIP",
	[C_CT_OWN_JOB] = "container root (uid 4001's user namespace), its user's job, fd received",
	[C_CT_HOST_JOB] = "container root (uid 4001's user namespace), fd received, after host root took the job",
	[C_AGENT] = "the agent (root, agent fd)",
	[C_AGENT_FD] = "uid 4002 holding the agent fd",
};

static const char * const op_name[NR_OPS] = {
	"CREATE_JOB", "GET_JOB", "ENUM_JOBS", "ENUM_JOBS(ALL_USERS)",
	"AGENT_ATTACH",
	"GET_ID", "GET_TYPE", "GET_STATE", "GET_OWNER", "GET_DISPLAY_NAME",
	"GET_DESCRIPTION", "GET_ATTR", "GET_FILE", "GET_PROGRESS",
	"GET_ERROR", "GET_PROXY", "GET_HTTP_HEADERS",
	"SET_DISPLAY_NAME", "SET_DESCRIPTION", "SET_ATTR", "SET_PROXY",
	"SET_HTTP_HEADERS", "GET_NOTIFY_CMD", "SET_NOTIFY_CMD", "ADD_FILES", "RESUME", "SUSPEND", "COMPLETE",
	"CANCEL", "TAKE_OWNERSHIP",
	"GET_CREDENTIALS", "SET_CREDENTIALS", "GET_REPLY_FILE",
	"SET_REPLY_FILE", "ADD_FILES (credentials)", "SET_PROXY (credentials)",
	"SET_REPLY_FILE (credentials)", "ADD_FILES (write-only headers)",
	"SET_CREDENTIALS (REMOVE)", "SET_HTTP_HEADERS (credentials)",
	"SET_PROXY (upload)", "ADD_FILES (upload)",
	"TAKE_JOB", "PROGRESS", "ERROR", "TRANSFERRED", "EXPORT_JOB",
	"IMPORT_JOB", "PLACED",
};

/* The same twelve GETs, five SETs, or seven agent ops, in a row. */
#define GETS_OK		OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK
/* a new owner's: the takeover removed the custom headers (GET_HTTP_HEADERS) */
#define GETS_TAKEN	OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, NODATA
/* a revoked fd's: GET_ID still works; the other eleven are EACCES */
#define GETS_REVOKED	OK, ACCES, ACCES, ACCES, ACCES, ACCES, ACCES, ACCES, \
			ACCES, ACCES, ACCES, ACCES
#define SETS_REVOKED	ACCES, ACCES, ACCES, ACCES, ACCES
#define SETS_OK		OK, OK, OK, OK, OK
#define GETS_NOFD	NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, \
			NOFD, NOFD, NOFD, NOFD
#define SETS_NOFD	NOFD, NOFD, NOFD, NOFD, NOFD
#define AGENT_OK	OK, OK, OK, OK, OK, OK, OK
/*
 * the credentials' and reply file's four, the four secrets columns, then
 * REMOVE, SET_HTTP_HEADERS (credentials), SET_PROXY (upload)
 */
#define SECRETS_OK	OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK
/*
 * a holder who may not get the job: it reads them and removes credentials,
 * but may not set them, nor aim an upload or a job with secrets
 */
#define SECRETS_HELD	OK, PERM, OK, PERM, PERM, PERM, PERM, PERM, OK, PERM, PERM, \
			PERM
#define SECRETS_REVOKED	ACCES, ACCES, ACCES, ACCES, ACCES, ACCES, ACCES, ACCES, \
			ACCES, ACCES, ACCES, ACCES
#define SECRETS_NOFD	NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, NOFD, \
			NOFD, NOFD, NOFD
#define AGENT_NOTTY	NOTTY, NOTTY, NOTTY, NOTTY, NOTTY, NOTTY, NOTTY

/*
 * The table.  Columns:
 *  /dev/kbits: CREATE_JOB GET_JOB ENUM_JOBS ENUM(ALL_USERS) AGENT_ATTACH
 *  job fd:     the 12 GETs | the 5 SETs | GET_NOTIFY_CMD SET_NOTIFY_CMD |
 *              ADD_FILES RESUME SUSPEND COMPLETE CANCEL TAKE_OWNERSHIP |
 *              GET_CREDENTIALS SET_CREDENTIALS GET_REPLY_FILE SET_REPLY_FILE
 *              ADD_FILES SET_PROXY SET_REPLY_FILE (with credentials)
 *              ADD_FILES (with write-only headers) |
 *              REMOVE credentials, SET_HTTP_HEADERS (with credentials),
 *              SET_PROXY (an upload), ADD_FILES (an upload without its file)
 *  agent:      TAKE_JOB PROGRESS ERROR TRANSFERRED EXPORT IMPORT PLACED
 */
static const int expected[NR_CALLERS][NR_OPS] = {
	[C_OWNER] = {
		OK, OK, LIST, ACCES, PERM,
		GETS_OK, SETS_OK, OK, OK,
		OK, OK, OK, OK, OK, PERM,
		SECRETS_OK,
		AGENT_NOTTY },
	[C_OTHER] = {
		OK, ACCES, NOLIST, ACCES, PERM,
		GETS_NOFD, SETS_NOFD, NOFD, NOFD,
		NOFD, NOFD, NOFD, NOFD, NOFD, NOFD,
		SECRETS_NOFD,
		AGENT_NOTTY },
	[C_ROOT] = {
		OK, OK, NOLIST, LIST, OK,
		GETS_OK, SETS_OK, OK, OK,
		OK, OK, OK, OK, OK, OK,
		SECRETS_OK,
		AGENT_NOTTY },
	[C_USERNS_ROOT] = {
		OK, ACCES, NOLIST, NOLIST, PERM,
		GETS_NOFD, SETS_NOFD, NOFD, NOFD,
		NOFD, NOFD, NOFD, NOFD, NOFD, NOFD,
		SECRETS_NOFD,
		AGENT_NOTTY },
	[C_USERNS_FD] = {
		OK, ACCES, NOLIST, NOLIST, PERM,
		GETS_OK, SETS_OK, OK, PERM,	/* not who may get it */
		OK, OK, OK, OK, OK, PERM,
		SECRETS_HELD,
		AGENT_NOTTY },
	[C_RECEIVED] = {
		OK, ACCES, NOLIST, ACCES, PERM,
		GETS_OK, SETS_OK, OK, PERM,	/* not who may get it */
		OK, OK, OK, OK, OK, PERM,
		SECRETS_HELD,
		AGENT_NOTTY },
	[C_FORKED] = {
		OK, OK, LIST, ACCES, PERM,
		GETS_OK, SETS_OK, OK, OK,
		OK, OK, OK, OK, OK, PERM,
		SECRETS_OK,
		AGENT_NOTTY },
	[C_NOCAP_ROOT] = {
		OK, ACCES, NOLIST, ACCES, PERM,
		GETS_OK, SETS_OK, OK, PERM,	/* not who may get it */
		OK, OK, OK, OK, OK, PERM,
		SECRETS_HELD,
		AGENT_NOTTY },
	[C_NEW_OWNER] = {
		OK, OK, LIST, ACCES, PERM,
		GETS_TAKEN, SETS_OK, NODATA, OK,	/* taken: no headers, no notify command */
		OK, OK, OK, OK, OK, PERM,
		NONE, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK,	/* taken: no credentials */
		AGENT_NOTTY },
	[C_OLD_OWNER] = {
		OK, ACCES, NOLIST, ACCES, PERM,
		GETS_REVOKED, SETS_REVOKED, ACCES, ACCES,
		ACCES, ACCES, ACCES, ACCES, ACCES, ACCES,
		SECRETS_REVOKED,
		AGENT_NOTTY },
	[C_OLD_ROOT_FD] = {
		OK, OK, NOLIST, LIST, OK,
		GETS_REVOKED, SETS_REVOKED, ACCES, ACCES,
		ACCES, ACCES, ACCES, ACCES, ACCES, ACCES,
		SECRETS_REVOKED,
		AGENT_NOTTY },
	[C_CT_OWN_JOB] = {
		OK, ACCES, NOLIST, NOLIST, PERM,
		GETS_OK, SETS_OK, OK, PERM,	/* not who may get it */
		OK, OK, OK, OK, OK, PERM,
		SECRETS_HELD,
		AGENT_NOTTY },
	[C_CT_HOST_JOB] = {
		OK, ACCES, NOLIST, NOLIST, PERM,
		GETS_REVOKED, SETS_REVOKED, ACCES, ACCES,
		ACCES, ACCES, ACCES, ACCES, ACCES, ACCES,
		SECRETS_REVOKED,
		AGENT_NOTTY },
	[C_AGENT] = {
		OK, OK, NOLIST, LIST, BUSY,
		GETS_OK, SETS_OK, OK, OK,
		OK, OK, OK, OK, OK, OK,
		SECRETS_OK,
		AGENT_OK },
	[C_AGENT_FD] = {
		OK, ACCES, NOLIST, ACCES, PERM,
		GETS_NOFD, SETS_NOFD, NOFD, NOFD,
		NOFD, NOFD, NOFD, NOFD, NOFD, NOFD,
		SECRETS_NOFD,
		AGENT_OK },
};

/*
 * What GET_OWNER reads for each caller, were it to hold a job fd: the owner
 * as a uid of the caller's user namespace.
 */
static const uint32_t owner_seen[NR_CALLERS] = {
	[C_OWNER] = OWNER_UID, [C_OTHER] = OWNER_UID, [C_ROOT] = OWNER_UID,
	[C_USERNS_ROOT] = OVERFLOW_UID, [C_USERNS_FD] = OVERFLOW_UID,
	[C_RECEIVED] = OWNER_UID, [C_FORKED] = OWNER_UID,
	[C_NOCAP_ROOT] = OWNER_UID, [C_NEW_OWNER] = TAKER_UID,
	[C_OLD_OWNER] = TAKER_UID, [C_OLD_ROOT_FD] = TAKER_UID,
	[C_CT_OWN_JOB] = 0, [C_CT_HOST_JOB] = 0,
	[C_AGENT] = OWNER_UID, [C_AGENT_FD] = OWNER_UID,
};

static bool has_agent_fd(enum caller c)
{
	return c == C_AGENT || c == C_AGENT_FD;
}

static const char *cell_str(int v, char *buf, size_t n)
{
	switch (v) {
	case 0: return "(none)";
	case OK: return "ok";
	case LIST: return "ok, listed";
	case NOLIST: return "ok, not listed";
	case NOFD: return "no job fd";
	case NONE: return "ok, none";
	case BADVAL: return "ok with a wrong value";
	case MIXED: return "an agent command worked off the agent fd";
	}
	if (v < 0)
		return th_errname(-v);
	snprintf(buf, n, "%d?", v);
	return buf;
}

/* ----------------------------------------------------------------- helpers */

/* What a cell's processes share with the test. */
struct cell {
	guid_bytes subject;		/* the subject job */
	guid_bytes imported;		/* IMPORT_JOB's record's GUID */
	int result;			/* the caller's result */
	long completed;			/* the COMPLETE that waited for PLACED */
	uint32_t record_len;
	uint8_t record[4096];		/* IMPORT_JOB's record */
};
static struct cell *cell;

static void caps_get(struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	ASSERT_SYSOK(syscall(SYS_capget, &h, d));
}

static void caps_set(struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	ASSERT_SYSOK(syscall(SYS_capset, &h, d));
}

/*
 * Root gives up CAP_SYS_ADMIN for good: out of the bounding set and out of
 * the effective, permitted and inheritable sets.  Still euid 0.
 */
static void drop_cap_sys_admin(void)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	unsigned int i = CAP_TO_INDEX(CAP_SYS_ADMIN);

	ASSERT_SYSOK(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0));
	caps_get(d);
	d[i].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	d[i].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	d[i].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	caps_set(d);
	ASSERT_EQ(0, geteuid());
	ASSERT_FALSE(has_cap_sys_admin());
}

/* Root becomes @uid but keeps CAP_SYS_ADMIN (in the initial namespace). */
static void become_with_cap(uid_t uid)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	unsigned int i = CAP_TO_INDEX(CAP_SYS_ADMIN);

	ASSERT_SYSOK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	become(uid);
	caps_get(d);
	d[i].effective |= CAP_TO_MASK(CAP_SYS_ADMIN);
	caps_set(d);
	ASSERT_TRUE(has_cap_sys_admin());
}

/* Gives up every capability: a plain user from now on. */
static void drop_all_caps(void)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	caps_set(d);
	ASSERT_FALSE(has_cap_sys_admin());
}

/* What a subject has besides the rest (make_record()'s @extra). */
#define SUBJ_CREDS	(1U << 0)	/* two credentials: secrets */
#define SUBJ_REPLY	(1U << 1)	/* an UPLOAD_REPLY job with a reply file */
#define SUBJ_WO		(1U << 2)	/* its headers write-only: secrets */
#define SUBJ_UPLOAD	(1U << 3)	/* an UPLOAD job without its file */

/* The subject @op needs: the plain one, 0, for most. */
static unsigned int subject_of(enum op op)
{
	switch (op) {
	case O_GET_CREDENTIALS:
	case O_ADD_FILES_CREDS:
	case O_SET_PROXY_CREDS:
	case O_REMOVE_CREDENTIALS:
	case O_SET_HTTP_HEADERS_CREDS:
		return SUBJ_CREDS;
	case O_GET_REPLY_FILE:
	case O_SET_REPLY_FILE:
	case O_SET_PROXY_UPLOAD:
		return SUBJ_REPLY;
	case O_SET_REPLY_FILE_CREDS:
		return SUBJ_REPLY | SUBJ_CREDS;
	case O_ADD_FILES_WO:
		return SUBJ_WO;
	case O_ADD_FILES_UPLOAD:
		return SUBJ_UPLOAD;
	default:
		return 0;
	}
}

/* The subject's reply file (SUBJ_REPLY) and credentials (SUBJ_CREDS). */
static const char reply_file[] = "/tmp/kbits-perm/reply";
static const struct {
	uint32_t target, scheme;
	const char *user, *password;
} subject_creds[] = {
	{ KBITS_AUTH_TARGET_SERVER, KBITS_AUTH_SCHEME_BASIC, "perm", "secret" },
	{ KBITS_AUTH_TARGET_PROXY, KBITS_AUTH_SCHEME_NTLM, "DOM\\perm", "proxy secret" },
};
#define SUBJECT_SERVER	(1U << KBITS_AUTH_SCHEME_BASIC)
#define SUBJECT_PROXY	(1U << KBITS_AUTH_SCHEME_NTLM)

/* The subject's notify command: two arguments, each ended by its NUL. */
static const char notify_cmd[] = "/usr/bin/perm-notify\0--subject";
#define NOTIFY_CMD_LEN	((uint32_t)sizeof(notify_cmd))	/* the last NUL too */

static uint8_t *put(uint8_t *p, const char *s)
{
	memcpy(p, s, strlen(s));
	return p + strlen(s);
}

/*
 * A record (IMPORT_JOB, version 3) of a download job of @owner with GUID
 * @id in @state, with one finished file, a description, proxy settings,
 * headers, a notify command, with @error an error, and what @extra says
 * (SUBJ_*: credentials, an UPLOAD_REPLY job with a reply file, write-only
 * headers).  Its length.
 */
static uint32_t make_record(uint8_t *buf, size_t room, const uint8_t *id,
			    uint32_t owner, uint32_t state, bool error,
			    unsigned int extra)
{
	static const char name[] = "perm subject", desc[] = "a description",
		text[] = "boom", list[] = "proxy.test:3128",
		bypass[] = "local.test", headers[] = "X-Perm: subject",
		remote[] = "http://example.test/perm/0",
		local[] = "/tmp/kbits-perm/0";
	struct kbits_job_record r;
	struct kbits_record_file f;
	uint8_t *p = buf;

	memset(&r, 0, sizeof(r));
	r.magic = KBITS_RECORD_MAGIC;
	r.version = KBITS_RECORD_VERSION;
	r.header_size = KBITS_JOB_RECORD_SIZE_VER4;
	r.file_size = sizeof(f);
	memcpy(r.id, id, KBITS_GUID_SIZE);
	r.owner = owner;
	r.type = extra & SUBJ_REPLY ? KBITS_JOB_TYPE_UPLOAD_REPLY :
		 extra & SUBJ_UPLOAD ? KBITS_JOB_TYPE_UPLOAD :
				       KBITS_JOB_TYPE_DOWNLOAD;
	if (extra & SUBJ_REPLY) {
		r.reply_file_len = strlen(reply_file);
		r.reply_mode = 0600;
	}
	if (extra & SUBJ_CREDS)
		r.nr_creds = ARRAY_SIZE(subject_creds);
	if (extra & SUBJ_WO)
		r.flags |= KBITS_RECORD_HEADERS_WRITE_ONLY;
	r.state = state;
	r.priority = KBITS_PRIORITY_NORMAL;
	r.notify_flags = KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR;
	r.min_retry_delay = KBITS_MIN_RETRY_DELAY_DEFAULT;
	r.no_progress_timeout = KBITS_NO_PROGRESS_TIMEOUT_DEFAULT;
	r.max_download_time = KBITS_MAX_DOWNLOAD_TIME_DEFAULT;
	r.creation_time = time(NULL) - 60;
	r.modification_time = r.creation_time;
	if (error) {
		r.error_count = 1;
		r.error_context = KBITS_ERROR_CONTEXT_GENERAL;
		r.error_code = EIO;
		r.error_file_index = KBITS_NO_FILE;
		r.error_text_len = strlen(text);
	}
	r.nr_files = extra & SUBJ_UPLOAD ? 0 : 1;
	r.display_name_len = strlen(name);
	r.description_len = strlen(desc);
	r.proxy_usage = KBITS_PROXY_OVERRIDE;
	r.proxy_list_len = strlen(list);
	r.proxy_bypass_len = strlen(bypass);
	r.http_headers_len = strlen(headers);
	r.notify_cmd_len = NOTIFY_CMD_LEN;

	memset(&f, 0, sizeof(f));
	f.bytes_total = 1;
	f.bytes_transferred = 1;
	f.flags = KBITS_FILE_COMPLETED;
	f.remote_len = strlen(remote);
	f.local_len = strlen(local);
	f.mode = 0644;

	ASSERT_LE(sizeof(r) + 512 + sizeof(f), room);
	p += sizeof(r);
	p = put(p, name);
	p = put(p, desc);
	if (error)
		p = put(p, text);
	p = put(p, list);
	p = put(p, bypass);
	p = put(p, headers);
	memcpy(p, notify_cmd, NOTIFY_CMD_LEN);
	p += NOTIFY_CMD_LEN;
	if (extra & SUBJ_REPLY)
		p = put(p, reply_file);
	for (size_t i = 0; i < r.nr_creds; i++) {
		struct kbits_record_cred c = {
			.target = subject_creds[i].target,
			.scheme = subject_creds[i].scheme,
			.user_len = strlen(subject_creds[i].user),
			.password_len = strlen(subject_creds[i].password),
		};

		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
		p = put(p, subject_creds[i].user);
		p = put(p, subject_creds[i].password);
	}
	if (r.nr_files) {
		memcpy(p, &f, sizeof(f));
		p += sizeof(f);
		p = put(p, remote);
		p = put(p, local);
	}
	r.length = p - buf;
	memcpy(buf, &r, sizeof(r));
	return r.length;
}

static int agent_import(int afd, const uint8_t *rec, uint32_t len)
{
	struct kbits_agent_record a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.buf = (uintptr_t)rec;
	a.buf_len = len;
	return ioctl(afd, KBITS_AGENT_IOC_IMPORT_JOB, &a);
}

static int agent_job_ioctl(int fd, unsigned long cmd, const uint8_t *id)
{
	struct kbits_agent_job a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.id, id, KBITS_GUID_SIZE);
	return ioctl(fd, cmd, &a);
}

/* Cancels the queued job @id, if it is there. */
static void cancel_if_queued(int dev, const uint8_t *id)
{
	int fd = raw_get(dev, id);

	if (fd < 0) {
		ASSERT_EQ(ENOENT, errno);
		return;
	}
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
}

/* Reads the agent fd until the COMPLETING of job @id. */
static void wait_completing(int afd, const uint8_t *id)
{
	struct kbits_event ev;
	struct pollfd p = { .fd = afd, .events = POLLIN };

	for (;;) {
		ASSERT_EQ(1, poll(&p, 1, 20000));
		ASSERT_EQ((ssize_t)sizeof(ev), read(afd, &ev, sizeof(ev)));
		if (ev.kind == KBITS_EVENT_COMPLETING &&
		    !memcmp(ev.id, id, KBITS_GUID_SIZE))
			return;
	}
}

/* Drops the events the agent fd has read so far: they are not looked at. */
static void drain_events(int afd)
{
	struct kbits_event ev[64];
	struct pollfd p = { .fd = afd, .events = POLLIN };

	while (poll(&p, 1, 0) == 1)
		ASSERT_LT(0, read(afd, ev, sizeof(ev)));
}

/* ---------------------------------------------------------- the operations */

/* 0 for an ioctl that succeeded, else -errno. */
static int res(long r)
{
	return r >= 0 ? 0 : -errno;
}

/* ENUM_JOBS with @flags, whole walk: LIST or NOLIST (the subject), or -errno. */
static int do_enum(int dev, uint32_t flags)
{
	int r = enum_lists(dev, flags, cell->subject);

	if (r < 0)
		return -errno;
	return r ? LIST : NOLIST;
}

static int do_string(int fd, unsigned long cmd, const char *set)
{
	static char buf[KBITS_HTTP_HEADERS_MAX + 1];
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	if (set) {
		s.len = strlen(set);
		s.buf = (uintptr_t)set;
	} else {
		s.len = sizeof(buf);
		s.buf = (uintptr_t)buf;
	}
	return res(ioctl(fd, cmd, &s));
}

static int do_job_op(enum caller who, enum op op, int fd)
{
	static char b1[256], b2[256], text[KBITS_ERROR_TEXT_MAX + 1];
	struct kbits_job_cred_schemes cs;
	struct kbits_job_credentials cr;
	struct kbits_job_progress prog;
	struct kbits_job_string str;
	struct kbits_job_error err;
	struct kbits_job_attr attr;
	struct kbits_job_file file;
	struct kbits_file_spec spec;
	struct kbits_add_files add;
	struct kbits_job_id id;
	struct got_proxy *gp;
	uint32_t v = 0xdeadbeef;
	int r;

	switch (op) {
	case O_GET_ID:
		r = res(ioctl(fd, KBITS_JOB_IOC_GET_ID, &id));
		if (!r && memcmp(id.id, cell->subject, KBITS_GUID_SIZE))
			return BADVAL;
		return r;
	case O_GET_TYPE:
		return res(ioctl(fd, KBITS_JOB_IOC_GET_TYPE, &v));
	case O_GET_STATE:
		return res(ioctl(fd, KBITS_JOB_IOC_GET_STATE, &v));
	case O_GET_OWNER:
		r = res(ioctl(fd, KBITS_JOB_IOC_GET_OWNER, &v));
		if (!r && v != owner_seen[who]) {
			TH_LOG("GET_OWNER read %u, expected %u", v, owner_seen[who]);
			return BADVAL;
		}
		return r;
	case O_GET_DISPLAY_NAME:
		return do_string(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, NULL);
	case O_GET_DESCRIPTION:
		return do_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, NULL);
	case O_GET_HTTP_HEADERS:
		return do_string(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, NULL);
	case O_GET_ATTR:
		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		return res(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &attr));
	case O_GET_FILE:
		memset(&file, 0, sizeof(file));
		file.size = sizeof(file);
		file.remote = (uintptr_t)b1;
		file.remote_len = sizeof(b1);
		file.local = (uintptr_t)b2;
		file.local_len = sizeof(b2);
		return res(ioctl(fd, KBITS_JOB_IOC_GET_FILE, &file));
	case O_GET_PROGRESS:
		return res(ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, &prog));
	case O_GET_ERROR:
		memset(&err, 0, sizeof(err));
		err.size = sizeof(err);
		err.text = (uintptr_t)text;
		err.text_len = sizeof(text);
		return res(ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &err));
	case O_GET_PROXY:
		gp = malloc(sizeof(*gp));
		ASSERT_TRUE(gp != NULL);
		r = res(raw_get_proxy(fd, gp));
		free(gp);
		return r;
	case O_SET_DISPLAY_NAME:
		return do_string(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME, "renamed");
	case O_SET_DESCRIPTION:
		return do_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "described");
	case O_SET_HTTP_HEADERS:
	case O_SET_HTTP_HEADERS_CREDS:
		return do_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, "X-Perm: set");
	case O_GET_NOTIFY_CMD:
		/* the subject's command, byte for byte: no NUL added */
		memset(&str, 0, sizeof(str));
		memset(b1, 'Z', sizeof(b1));
		str.size = sizeof(str);
		str.len = sizeof(b1);
		str.buf = (uintptr_t)b1;
		r = res(ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &str));
		if (!r && (str.len != NOTIFY_CMD_LEN ||
			   memcmp(b1, notify_cmd, NOTIFY_CMD_LEN) ||
			   b1[NOTIFY_CMD_LEN] != 'Z'))
			return BADVAL;
		return r;
	case O_SET_NOTIFY_CMD:
		memset(&str, 0, sizeof(str));
		str.size = sizeof(str);
		str.len = sizeof("/bin/true");
		str.buf = (uintptr_t)"/bin/true";
		return res(ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &str));
	case O_SET_ATTR:
		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.mask = KBITS_ATTR_PRIORITY;
		attr.priority = KBITS_PRIORITY_HIGH;
		return res(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &attr));
	case O_SET_PROXY:
	case O_SET_PROXY_CREDS:
	case O_SET_PROXY_UPLOAD:
		return res(raw_set_proxy(fd, KBITS_PROXY_NONE, NULL, NULL));
	case O_GET_CREDENTIALS:
		/* which the subject has (never the secrets); none once taken */
		memset(&cs, 0xa5, sizeof(cs));
		cs.size = sizeof(cs);
		cs.reserved = 0;
		r = res(ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, &cs));
		if (r)
			return r;
		if (!cs.server && !cs.proxy)
			return NONE;
		if (cs.server != SUBJECT_SERVER || cs.proxy != SUBJECT_PROXY) {
			TH_LOG("GET_CREDENTIALS read %#x, %#x", cs.server, cs.proxy);
			return BADVAL;
		}
		return 0;
	case O_SET_CREDENTIALS:
		memset(&cr, 0, sizeof(cr));
		cr.size = sizeof(cr);
		cr.target = KBITS_AUTH_TARGET_SERVER;
		cr.scheme = KBITS_AUTH_SCHEME_DIGEST;
		cr.user = (uintptr_t)"someone";
		cr.user_len = 7;
		cr.password = (uintptr_t)"pw";
		cr.password_len = 2;
		return res(ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &cr));
	case O_REMOVE_CREDENTIALS:
		/* one the subject has */
		memset(&cr, 0, sizeof(cr));
		cr.size = sizeof(cr);
		cr.target = subject_creds[0].target;
		cr.scheme = subject_creds[0].scheme;
		cr.flags = KBITS_CRED_REMOVE;
		return res(ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &cr));
	case O_GET_REPLY_FILE:
		memset(&str, 0, sizeof(str));
		memset(b1, 'Z', sizeof(b1));
		str.size = sizeof(str);
		str.len = sizeof(b1);
		str.buf = (uintptr_t)b1;
		r = res(ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &str));
		if (!r && (str.len != strlen(reply_file) || strcmp(b1, reply_file)))
			return BADVAL;
		return r;
	case O_SET_REPLY_FILE:
	case O_SET_REPLY_FILE_CREDS:
		return do_string(fd, KBITS_JOB_IOC_SET_REPLY_FILE,
				 "/tmp/kbits-perm/another-reply");
	case O_ADD_FILES:
	case O_ADD_FILES_CREDS:
	case O_ADD_FILES_WO:
	case O_ADD_FILES_UPLOAD:
		snprintf(b1, sizeof(b1), "http://example.test/perm/add");
		snprintf(b2, sizeof(b2), "/tmp/kbits-perm/add");
		memset(&spec, 0, sizeof(spec));
		spec.remote = (uintptr_t)b1;
		spec.remote_len = strlen(b1);
		spec.local = (uintptr_t)b2;
		spec.local_len = strlen(b2);
		memset(&add, 0, sizeof(add));
		add.size = sizeof(add);
		add.count = 1;
		add.entry_size = sizeof(spec);
		add.files = (uintptr_t)&spec;
		return res(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &add));
	case O_RESUME:
		return res(ioctl(fd, KBITS_JOB_IOC_RESUME));
	case O_SUSPEND:
		return res(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	case O_COMPLETE:
		r = ioctl(fd, KBITS_JOB_IOC_COMPLETE);
		/* the subject's one file is finished: nothing is dropped */
		return r > 0 ? BADVAL : res(r);
	case O_CANCEL:
		return res(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	case O_TAKE_OWNERSHIP:
		return res(ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	default:
		th_fail_fatal(__FILE__, __LINE__, "not a job op: %d", op);
	}
}

/* An agent operation on @fd, whatever @fd is: 0 or -errno. */
static int do_agent_op(enum op op, int fd)
{
	static uint8_t buf[65536];
	struct kbits_agent_progress pr;
	struct kbits_agent_error er;
	struct kbits_agent_record rec;
	struct kbits_agent_placed pl;
	static const char text[] = "perm";

	switch (op) {
	case O_TAKE_JOB:
		return res(agent_job_ioctl(fd, KBITS_AGENT_IOC_TAKE_JOB,
					   cell->subject));
	case O_TRANSFERRED:
		return res(agent_job_ioctl(fd, KBITS_AGENT_IOC_TRANSFERRED,
					   cell->subject));
	case O_PROGRESS:
		memset(&pr, 0, sizeof(pr));
		pr.size = sizeof(pr);
		memcpy(pr.id, cell->subject, KBITS_GUID_SIZE);
		pr.bytes_total = 10;
		pr.bytes_transferred = 5;
		return res(ioctl(fd, KBITS_AGENT_IOC_PROGRESS, &pr));
	case O_ERROR:
		memset(&er, 0, sizeof(er));
		er.size = sizeof(er);
		memcpy(er.id, cell->subject, KBITS_GUID_SIZE);
		er.context = KBITS_ERROR_CONTEXT_TRANSPORT;
		er.code = ECONNREFUSED;
		er.file_index = KBITS_NO_FILE;
		er.text = (uintptr_t)text;
		er.text_len = strlen(text);
		return res(ioctl(fd, KBITS_AGENT_IOC_ERROR, &er));
	case O_EXPORT_JOB:
		memset(&rec, 0, sizeof(rec));
		rec.size = sizeof(rec);
		memcpy(rec.id, cell->subject, KBITS_GUID_SIZE);
		rec.buf = (uintptr_t)buf;
		rec.buf_len = sizeof(buf);
		return res(ioctl(fd, KBITS_AGENT_IOC_EXPORT_JOB, &rec));
	case O_IMPORT_JOB:
		return res(agent_import(fd, cell->record, cell->record_len));
	case O_PLACED:
		memset(&pl, 0, sizeof(pl));
		pl.size = sizeof(pl);
		memcpy(pl.id, cell->subject, KBITS_GUID_SIZE);
		return res(ioctl(fd, KBITS_AGENT_IOC_PLACED, &pl));
	default:
		th_fail_fatal(__FILE__, __LINE__, "not an agent op: %d", op);
	}
}

/* @r as a cell: 0 becomes OK. */
static int as_cell(int r)
{
	return r ? r : OK;
}

/*
 * The cell's operation by a caller with /dev/kbits @dev, job fd @jfd (or
 * -1: none) and agent fd @afd (or -1: none).
 */
static int do_op(enum caller who, enum op op, int dev, int jfd, int afd)
{
	uint8_t id[KBITS_GUID_SIZE];
	int fd, r, r2;

	switch (op) {
	case O_CREATE_JOB:
		fd = raw_create(dev, "perm", 4, KBITS_JOB_TYPE_DOWNLOAD, id);
		if (fd < 0)
			return -errno;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
		close(fd);
		return OK;
	case O_GET_JOB:
		fd = raw_get(dev, cell->subject);
		if (fd < 0)
			return -errno;
		close(fd);
		return OK;
	case O_ENUM_JOBS:
		return do_enum(dev, 0);
	case O_ENUM_ALL:
		return do_enum(dev, KBITS_ENUM_ALL_USERS);
	case O_AGENT_ATTACH:
		fd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
		if (fd < 0)
			return -errno;
		close(fd);
		return OK;
	default:
		break;
	}
	if (op < FIRST_AGENT_OP)
		return jfd < 0 ? NOFD : as_cell(do_job_op(who, op, jfd));
	if (afd >= 0) {
		/* even the agent's commands are the agent fd's only */
		r = do_agent_op(op, dev);
		r2 = jfd < 0 ? -ENOTTY : do_agent_op(op, jfd);
		if (r != -ENOTTY || r2 != -ENOTTY) {
			TH_LOG("%s: %s on /dev/kbits, %s on the job fd",
			       op_name[op], th_errname(-r), th_errname(-r2));
			return MIXED;
		}
		return as_cell(do_agent_op(op, afd));
	}
	/* no agent fd: the agent's commands mean nothing elsewhere */
	r = do_agent_op(op, dev);
	if (jfd < 0)
		return as_cell(r);
	r2 = do_agent_op(op, jfd);
	if (r != r2) {
		TH_LOG("%s: %s on /dev/kbits, %s on the job fd", op_name[op],
		       th_errname(-r), th_errname(-r2));
		return MIXED;
	}
	return as_cell(r);
}

/* ------------------------------------------------------------- the callers */

/* A child of the owner that got the subject's fd and sends it on @sock. */
static void owner_sends_fd(int sock)
{
	pid_t pid = th_fork();
	int dev, fd;

	if (pid == 0) {
		become(OWNER_UID);
		dev = dev_open();
		fd = raw_get(dev, cell->subject);
		ASSERT_SYSOK(fd);
		ASSERT_SYSOK(send_fd(sock, fd));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
}

/* uid 4003 takes ownership of the subject, with CAP_SYS_ADMIN; then drops it. */
static void taker_takes_subject(void)
{
	int dev, fd;

	become_with_cap(TAKER_UID);
	dev = dev_open();
	fd = raw_get(dev, cell->subject);
	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	close(fd);
	close(dev);
}

/* Host root takes ownership of the subject (the test's child, root). */
static void root_takes_subject(void)
{
	int dev = dev_open(), fd;

	fd = raw_get(dev, cell->subject);
	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	close(fd);
	close(dev);
}

/* Do the callers of row @who hold an fd from before a takeover? */
static bool taken_meanwhile(enum caller who)
{
	return who == C_OLD_OWNER || who == C_OLD_ROOT_FD ||
	       who == C_CT_HOST_JOB;
}

/* The caller has its fd: the test has the subject taken, then goes on. */
static void wait_for_takeover(int sock)
{
	char c;

	ASSERT_EQ(1, write(sock, "r", 1));
	ASSERT_EQ(1, read(sock, &c, 1));
}

/*
 * The caller process of one cell (a child of the test, root): becomes
 * @who, gets its fds, does @op, leaves the result in cell->result.  @afd is
 * the test's agent fd, if the row has one; @sock a socket to the test,
 * which sends the agent fd on it (C_AGENT_FD) or waits on it while it has
 * the job taken over (taken_meanwhile()).
 */
static void caller(enum caller who, enum op op, int afd, int sock)
{
	int dev = -1, jfd = -1, my_afd = -1, pair[2];
	pid_t pid;

	if (who != C_AGENT && afd >= 0)
		close(afd);	/* inherited, not this caller's */
	switch (who) {
	case C_OWNER:
	case C_OTHER:
		become(who == C_OWNER ? OWNER_UID : OTHER_UID);
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		break;
	case C_ROOT:
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		break;
	case C_USERNS_ROOT:
		enter_userns_as(OTHER_UID);
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		break;
	case C_USERNS_FD:
	case C_RECEIVED:
		ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
					pair));
		owner_sends_fd(pair[1]);
		if (who == C_USERNS_FD)
			enter_userns_as(OTHER_UID);
		else
			become(OTHER_UID);
		jfd = recv_fd(pair[0]);
		ASSERT_SYSOK(jfd);
		dev = dev_open();
		break;
	case C_FORKED:
		become(OWNER_UID);
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		ASSERT_SYSOK(jfd);
		pid = th_fork();
		if (pid == 0) {
			cell->result = do_op(who, op, dev, jfd, -1);
			_exit(0);
		}
		ASSERT_CHILD_OK(pid);
		return;
	case C_NOCAP_ROOT:
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		ASSERT_SYSOK(jfd);
		drop_cap_sys_admin();
		break;
	case C_NEW_OWNER:
		taker_takes_subject();
		drop_all_caps();
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);	/* as its owner now */
		break;
	case C_OLD_OWNER:
		become(OWNER_UID);
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		ASSERT_SYSOK(jfd);
		/* the test has uid 4003 take the job meanwhile */
		wait_for_takeover(sock);
		break;
	case C_OLD_ROOT_FD:
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		ASSERT_SYSOK(jfd);
		/* likewise: another admin takes it over */
		wait_for_takeover(sock);
		break;
	case C_CT_OWN_JOB:
	case C_CT_HOST_JOB:
		ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
					pair));
		owner_sends_fd(pair[1]);
		enter_userns_as(OWNER_UID);
		jfd = recv_fd(pair[0]);
		ASSERT_SYSOK(jfd);
		dev = dev_open();
		/* the test has host root take the job over meanwhile */
		if (who == C_CT_HOST_JOB)
			wait_for_takeover(sock);
		break;
	case C_AGENT:
		my_afd = afd;
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		break;
	case C_AGENT_FD:
		my_afd = recv_fd(sock);
		ASSERT_SYSOK(my_afd);
		become(OTHER_UID);
		dev = dev_open();
		jfd = raw_get(dev, cell->subject);
		break;
	default:
		th_fail_fatal(__FILE__, __LINE__, "no such caller: %d", who);
	}
	cell->result = do_op(who, op, dev, jfd, my_afd);
}

/* --------------------------------------------------------------- the cells */

static bool op_takes_job(enum op op)
{
	return op == O_PROGRESS || op == O_ERROR || op == O_TRANSFERRED ||
	       op == O_PLACED;
}

/*
 * One cell: a fresh subject, the caller's try, the comparison, and the
 * queue cleaned up.  @row_afd: the row's agent fd (attached with
 * KBITS_AGENT_PLACES_FILES), or -1.
 */
static void run_cell(int dev, enum caller who, enum op op, int row_afd)
{
	bool agent_op = op >= FIRST_AGENT_OP, upload;
	int afd = row_afd, want = expected[who][op], sock[2], got;
	pid_t pid, completer = -1, taker;
	char b1[32], b2[32];
	uint8_t rec[1024];
	uint32_t len;
	char c;

	memset(cell, 0, sizeof(*cell));
	random_guid(cell->subject);
	if (afd < 0)
		afd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(afd);

	/* The subject: ERROR with its error, or QUEUED for the agent's ops. */
	/* (an upload without its file cannot have been transferred: SUSPENDED) */
	upload = subject_of(op) & SUBJ_UPLOAD;
	len = make_record(rec, sizeof(rec), cell->subject, OWNER_UID,
			  agent_op ? KBITS_JOB_STATE_QUEUED :
			  upload ? KBITS_JOB_STATE_SUSPENDED : KBITS_JOB_STATE_ERROR,
			  !agent_op && !upload, subject_of(op));
	ASSERT_SYSOK(agent_import(afd, rec, len));
	if (op == O_IMPORT_JOB) {
		random_guid(cell->imported);
		cell->record_len = make_record(cell->record, sizeof(cell->record),
					       cell->imported, OWNER_UID,
					       KBITS_JOB_STATE_QUEUED, false, 0);
	}
	if (row_afd >= 0 && op_takes_job(op))
		ASSERT_SYSOK(agent_job_ioctl(afd, KBITS_AGENT_IOC_TAKE_JOB,
					     cell->subject));
	if (row_afd >= 0 && op == O_PLACED) {
		/* root completes the job, and waits for the agent's PLACED */
		cell->completed = 1000;
		completer = th_fork();
		if (completer == 0) {
			int fd = raw_get(dev, cell->subject);

			ASSERT_SYSOK(fd);
			cell->completed = ioctl(fd, KBITS_JOB_IOC_COMPLETE);
			if (cell->completed < 0)
				cell->completed = -errno;
			_exit(0);
		}
		wait_completing(afd, cell->subject);
	}
	if (row_afd < 0)
		ASSERT_SYSOK(close(afd));
	else
		drain_events(afd);

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock));
	pid = th_fork();
	if (pid == 0) {
		close(sock[0]);
		caller(who, op, row_afd, sock[1]);
		_exit(0);
	}
	close(sock[1]);
	if (who == C_AGENT_FD)
		ASSERT_SYSOK(send_fd(sock[0], row_afd));
	if (taken_meanwhile(who)) {
		ASSERT_EQ(1, read(sock[0], &c, 1));
		taker = th_fork();
		if (taker == 0) {
			if (who == C_CT_HOST_JOB)
				root_takes_subject();
			else
				taker_takes_subject();
			_exit(0);
		}
		ASSERT_CHILD_OK(taker);
		ASSERT_EQ(1, write(sock[0], "g", 1));
	}
	EXPECT_CHILD_OK(pid);
	close(sock[0]);
	if (completer > 0) {
		ASSERT_CHILD_OK(completer);
		EXPECT_EQ(0, cell->completed);
	}

	got = cell->result;
	if (got != want)
		TH_LOG("%s, %s: expected %s, got %s", caller_name[who],
		       op_name[op], cell_str(want, b1, sizeof(b1)),
		       cell_str(got, b2, sizeof(b2)));
	EXPECT_EQ(want, got);

	cancel_if_queued(dev, cell->subject);
	if (op == O_IMPORT_JOB)
		cancel_if_queued(dev, cell->imported);
}

/* Every cell of row @who. */
static void run_row(enum caller who)
{
	int dev = dev_open(), afd = -1, op;

	cell = shared_alloc(sizeof(*cell));
	ASSERT_EQ(0, geteuid());
	if (has_agent_fd(who)) {
		afd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, KBITS_AGENT_PLACES_FILES);
		ASSERT_SYSOK(afd);
	}
	for (op = 0; op < NR_OPS; op++)
		run_cell(dev, who, op, afd);
	TH_LOG("%s: %d cells", caller_name[who], NR_OPS);
	if (afd >= 0)
		ASSERT_SYSOK(close(afd));
	close(dev);
}

/* ------------------------------------------------------------------- tests */

/* Every cell has a value, and the table tells the rules apart. */
TEST(table_is_complete)
{
	int who, op;

	for (who = 0; who < NR_CALLERS; who++) {
		ASSERT_TRUE(caller_name[who] != NULL);
		for (op = 0; op < NR_OPS; op++)
			if (!expected[who][op] || expected[who][op] == BADVAL ||
			    expected[who][op] == MIXED)
				TH_REPORT(false, "%s, %s: no value",
					  caller_name[who], op_name[op]);
	}
	for (op = 0; op < NR_OPS; op++)
		ASSERT_TRUE(op_name[op] != NULL);
	/* each rule shows in some pair of rows that differ only by it */
	EXPECT_NE(expected[C_ROOT][O_GET_JOB], expected[C_NOCAP_ROOT][O_GET_JOB]);
	EXPECT_NE(expected[C_ROOT][O_TAKE_OWNERSHIP],
		  expected[C_NOCAP_ROOT][O_TAKE_OWNERSHIP]);
	EXPECT_NE(expected[C_ROOT][O_AGENT_ATTACH],
		  expected[C_USERNS_ROOT][O_AGENT_ATTACH]);
	EXPECT_NE(expected[C_OWNER][O_GET_JOB], expected[C_OLD_OWNER][O_GET_JOB]);
	EXPECT_NE(expected[C_OTHER][O_SET_ATTR], expected[C_RECEIVED][O_SET_ATTR]);
	EXPECT_NE(expected[C_OWNER][O_TAKE_JOB], expected[C_AGENT][O_TAKE_JOB]);
	/* a takeover revokes the older fds: changes and reads, root's too */
	EXPECT_NE(expected[C_OWNER][O_SET_ATTR], expected[C_OLD_OWNER][O_SET_ATTR]);
	EXPECT_NE(expected[C_OWNER][O_GET_STATE], expected[C_OLD_OWNER][O_GET_STATE]);
	EXPECT_NE(expected[C_ROOT][O_SET_ATTR], expected[C_OLD_ROOT_FD][O_SET_ATTR]);
	EXPECT_EQ(expected[C_ROOT][O_GET_JOB], expected[C_OLD_ROOT_FD][O_GET_JOB]);
	/*
	 * a container of the owner's does not get the owner's job made above
	 * it, though the owner is mapped in it; nor may it take it
	 */
	EXPECT_NE(expected[C_OWNER][O_GET_JOB], expected[C_CT_OWN_JOB][O_GET_JOB]);
	EXPECT_NE(expected[C_OWNER][O_ENUM_JOBS], expected[C_CT_OWN_JOB][O_ENUM_JOBS]);
	EXPECT_NE(expected[C_ROOT][O_TAKE_OWNERSHIP],
		  expected[C_CT_OWN_JOB][O_TAKE_OWNERSHIP]);
	/* host root's takeover revokes what the container held */
	EXPECT_NE(expected[C_CT_OWN_JOB][O_SET_ATTR], expected[C_CT_HOST_JOB][O_SET_ATTR]);
	/* a takeover removes the notify command: it runs as the owner */
	EXPECT_EQ(NODATA, expected[C_NEW_OWNER][O_GET_NOTIFY_CMD]);
	EXPECT_NE(expected[C_OWNER][O_GET_NOTIFY_CMD],
		  expected[C_NEW_OWNER][O_GET_NOTIFY_CMD]);
	/* a takeover removes the credentials and the custom headers too */
	EXPECT_EQ(NONE, expected[C_NEW_OWNER][O_GET_CREDENTIALS]);
	EXPECT_EQ(NODATA, expected[C_NEW_OWNER][O_GET_HTTP_HEADERS]);
	/*
	 * the secrets rule: a holder of the owner's fd sets a job's proxy
	 * and adds files, but not to a job with secrets
	 */
	EXPECT_NE(expected[C_RECEIVED][O_ADD_FILES],
		  expected[C_RECEIVED][O_ADD_FILES_CREDS]);
	EXPECT_NE(expected[C_RECEIVED][O_SET_PROXY],
		  expected[C_RECEIVED][O_SET_PROXY_CREDS]);
	EXPECT_NE(expected[C_RECEIVED][O_SET_HTTP_HEADERS],
		  expected[C_RECEIVED][O_SET_HTTP_HEADERS_CREDS]);
	EXPECT_NE(expected[C_RECEIVED][O_ADD_FILES],
		  expected[C_RECEIVED][O_ADD_FILES_WO]);
	/* nor may it aim an upload (the owner's file) */
	EXPECT_NE(expected[C_RECEIVED][O_SET_PROXY],
		  expected[C_RECEIVED][O_SET_PROXY_UPLOAD]);
	EXPECT_NE(expected[C_RECEIVED][O_ADD_FILES],
		  expected[C_RECEIVED][O_ADD_FILES_UPLOAD]);
	/* it may remove credentials, not set them */
	EXPECT_NE(expected[C_RECEIVED][O_SET_CREDENTIALS],
		  expected[C_RECEIVED][O_REMOVE_CREDENTIALS]);
	EXPECT_EQ(expected[C_OWNER][O_ADD_FILES], expected[C_OWNER][O_ADD_FILES_CREDS]);
	EXPECT_EQ(expected[C_ROOT][O_SET_PROXY], expected[C_ROOT][O_SET_PROXY_CREDS]);
	/* a revoked fd: GET_ID, and EACCES from every other job ioctl */
	for (who = 0; who < NR_CALLERS; who++) {
		if (!taken_meanwhile(who))
			continue;
		EXPECT_EQ(OK, expected[who][O_GET_ID]);
		for (op = O_GET_ID + 1; op < FIRST_AGENT_OP; op++)
			if (expected[who][op] != ACCES)
				TH_REPORT(false, "%s, %s: a revoked fd, not EACCES",
					  caller_name[who], op_name[op]);
	}
}

/* The cells need an agent of their own: none may be attached already. */
TEST(no_agent_attached)
{
	int dev = dev_open(), afd;

	afd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	if (afd < 0 && errno == EBUSY)
		TH_LOG("an agent (kbitsd?) is attached: stop it first");
	ASSERT_SYSOK(afd);
	close(afd);
	close(dev);
}

#define ROW(test, who) TEST_TIMEOUT(test, 300) { run_row(who); }

ROW(owner, C_OWNER)
ROW(another_user, C_OTHER)
ROW(root, C_ROOT)
ROW(userns_root, C_USERNS_ROOT)
ROW(userns_root_with_fd, C_USERNS_FD)
ROW(fd_received_over_scm_rights, C_RECEIVED)
ROW(fd_inherited_by_fork, C_FORKED)
ROW(root_without_cap_sys_admin, C_NOCAP_ROOT)
ROW(new_owner, C_NEW_OWNER)
ROW(old_owner, C_OLD_OWNER)
ROW(root_fd_older_than_takeover, C_OLD_ROOT_FD)
ROW(container_root_its_users_job, C_CT_OWN_JOB)
ROW(container_root_host_owned_job, C_CT_HOST_JOB)
ROW(agent, C_AGENT)
ROW(agent_fd_received, C_AGENT_FD)

NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
