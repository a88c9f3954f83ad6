// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: a job's whole record -- KBITS_AGENT_IOC_EXPORT_JOB and
 * KBITS_AGENT_IOC_IMPORT_JOB on the agent fd.  What EXPORT writes (struct
 * kbits_job_record, the six strings, the notify command, then each file's
 * struct kbits_record_file and its two names, with no padding), that IMPORT
 * brings a job back as it was (GUID, owner, settings, proxy settings, HTTP
 * headers, times, error, files and their progress; CONNECTING and TRANSFERRING
 * come back QUEUED), that a notify command goes out and comes back byte for
 * byte and a malformed one (no final NUL, a relative or empty program, not
 * UTF-8, too long, its length past the bytes) is refused, that each file's
 * mode (0666 & ~ the umask of who added it) and expected SHA-256 go into its
 * struct kbits_record_file and come back, that an error's code stays an HTTP
 * status (KBITS_RECORD_ERROR_HTTP) or an errno (without it, as in an older
 * record), that IMPORT still takes version 1 records, which older modules
 * wrote (headers of three sizes, files without mode or digest: they come back
 * 0600, as they were placed then, and export as version 3) and version 2
 * ones, and refuses what no version is, that version 3's reply file name,
 * reply mode, credentials (count, lengths, bytes) and write-only headers
 * go out and come back, and that each of its rejections holds, that a job's transfer time (what counts against its
 * maximum download time) grows only while the agent has it and comes back with
 * its record, that the imported job is charged to its owner past the limits
 * unless its record says it was exempt (KBITS_RECORD_EXEMPT), that IMPORT
 * takes up to 65536 files whatever max_files_per_job says, and that IMPORT
 * takes the record as the untrusted input it is: every corrupted field, string
 * and length is refused, and a refused record leaves no job behind.  Against
 * the real module, with raw ioctls only.  Run as root with kbits loaded
 * (tests/selftests/run-in-vm.sh does that in the test VM); the tests drop
 * privileges themselves in forked children.
 *
 * There is one agent at a time: every test that attaches closes its agent
 * fd before it ends (its process ends with the test anyway).  The jobs'
 * users are uids 2500-2599; every job a test makes is logged in memory
 * shared by all the tests, and the last test checks that none of them (nor
 * a job imported with its GUID) is left in the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#define FILES_DIR	"/tmp/rt"	/* add_n()'s: the tests look for its names */

#include "harness.h"
#include "kbits_helpers.h"

#define DL	KBITS_JOB_TYPE_DOWNLOAD
#define UP	KBITS_JOB_TYPE_UPLOAD
#define UR	KBITS_JOB_TYPE_UPLOAD_REPLY

#define S_QUEUED	KBITS_JOB_STATE_QUEUED
#define S_CONNECTING	KBITS_JOB_STATE_CONNECTING
#define S_TRANSFERRING	KBITS_JOB_STATE_TRANSFERRING
#define S_SUSPENDED	KBITS_JOB_STATE_SUSPENDED
#define S_ERROR		KBITS_JOB_STATE_ERROR
#define S_TRANSIENT	KBITS_JOB_STATE_TRANSIENT_ERROR
#define S_TRANSFERRED	KBITS_JOB_STATE_TRANSFERRED
#define S_ACK		KBITS_JOB_STATE_ACKNOWLEDGED
#define S_CANCELLED	KBITS_JOB_STATE_CANCELLED

#define UNKNOWN		KBITS_SIZE_UNKNOWN
#define DONE		KBITS_FILE_COMPLETED
#define TRANSIENT	KBITS_ERROR_TRANSIENT
#define NO_FILE		KBITS_NO_FILE
#define SHA		KBITS_FILE_SHA256

/* What EXPORT writes: version 3's header and files. */
#define HDR_SIZE	KBITS_JOB_RECORD_SIZE_VER4
/* Version 2's header (no reply file, no credentials), which IMPORT still takes. */
#define V2_HDR_SIZE	KBITS_JOB_RECORD_SIZE_VER3
#define RF_SIZE		KBITS_RECORD_FILE_SIZE_VER1
/* A version 1 record's files, and the mode IMPORT gives them. */
#define V1_RF_SIZE	KBITS_RECORD_FILE_SIZE_VER0
#define V1_MODE		0600

/* The ABI, as documented: fixed sizes, no padding. */
_Static_assert(sizeof(struct kbits_agent_record) == KBITS_AGENT_RECORD_SIZE_VER0,
	       "agent record");
_Static_assert(KBITS_AGENT_RECORD_SIZE_VER0 == 40, "agent record size");
_Static_assert(sizeof(struct kbits_job_record) == KBITS_JOB_RECORD_SIZE_VER4,
	       "job record");
_Static_assert(KBITS_RECORD_VERSION == 3, "record version");
_Static_assert(KBITS_JOB_RECORD_SIZE_VER4 == 168, "version 3's header size");
_Static_assert(offsetof(struct kbits_job_record, reply_file_len) ==
	       KBITS_JOB_RECORD_SIZE_VER3, "version 3 fields");
_Static_assert(offsetof(struct kbits_job_record, reply_mode) == 156, "reply_mode");
_Static_assert(offsetof(struct kbits_job_record, nr_creds) == 160, "nr_creds");
_Static_assert(offsetof(struct kbits_job_record, reserved) == 164, "reserved");
_Static_assert(sizeof(struct kbits_record_cred) == 16, "record cred");
_Static_assert(KBITS_JOB_RECORD_SIZE_VER0 == 120, "job record size, header 0");
_Static_assert(KBITS_JOB_RECORD_SIZE_VER1 == 136, "job record size, header 1");
_Static_assert(KBITS_JOB_RECORD_SIZE_VER2 == 144, "version 1's longest header");
_Static_assert(KBITS_JOB_RECORD_SIZE_VER3 == 152, "job record size");
_Static_assert(offsetof(struct kbits_job_record, proxy_usage) ==
	       KBITS_JOB_RECORD_SIZE_VER0, "header 1 fields");
_Static_assert(offsetof(struct kbits_job_record, max_download_time) ==
	       KBITS_JOB_RECORD_SIZE_VER1, "header 2 fields");
_Static_assert(offsetof(struct kbits_job_record, file_size) ==
	       KBITS_JOB_RECORD_SIZE_VER2, "version 2 fields");
_Static_assert(offsetof(struct kbits_job_record, notify_cmd_len) == 148, "notify_cmd_len");
_Static_assert(sizeof(struct kbits_record_file) == KBITS_RECORD_FILE_SIZE_VER1,
	       "record file");
_Static_assert(KBITS_RECORD_FILE_SIZE_VER0 == 32, "version 1's record file size");
_Static_assert(KBITS_RECORD_FILE_SIZE_VER1 == 72, "record file size");
_Static_assert(KBITS_RECORD_FILE_SIZE == KBITS_RECORD_FILE_SIZE_VER0,
	       "the old name keeps its value");
_Static_assert(offsetof(struct kbits_record_file, mode) ==
	       KBITS_RECORD_FILE_SIZE_VER0, "version 2 file fields");
_Static_assert(offsetof(struct kbits_record_file, reserved2) == 36, "reserved2");
_Static_assert(offsetof(struct kbits_record_file, sha256) == 40, "sha256");
_Static_assert(KBITS_SHA256_SIZE == 32, "SHA-256 size");
_Static_assert(sizeof(struct kbits_file_spec) == KBITS_FILE_SPEC_SIZE_VER1,
	       "file spec");
_Static_assert(offsetof(struct kbits_job_record, id) == 16, "id");
_Static_assert(offsetof(struct kbits_job_record, owner) == 32, "owner");
_Static_assert(offsetof(struct kbits_job_record, creation_time) == 64, "times");
_Static_assert(offsetof(struct kbits_job_record, error_context) == 88, "error");
_Static_assert(offsetof(struct kbits_job_record, nr_files) == 100, "nr_files");
_Static_assert(offsetof(struct kbits_job_record, flags) == 116, "flags");
_Static_assert(offsetof(struct kbits_job_record, proxy_usage) == 120, "proxy_usage");
_Static_assert(offsetof(struct kbits_record_file, flags) == 16, "file flags");
_Static_assert(offsetof(struct kbits_record_file, reserved) == 28, "file reserved");
_Static_assert(KBITS_RECORD_MAGIC == 0x5354424bU, "magic");

static const char * const state_name[] = {
	"QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR",
	"TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
};

#define NAME_OF(tbl, v) ((v) < ARRAY_SIZE(tbl) ? (tbl)[v] : "?")

/* ---------------------------------------------------------------- helpers */

static const guid_bytes zero_guid;

/* What a child acting as a job's user hands back to the test. */
struct user_result {
	guid_bytes id;
	guid_bytes id2;
	long ret;
};
static struct user_result *ures;


/* The job's state must be @want; says which it is when not. */
#define EXPECT_STATE(want, fd) do {					\
	uint32_t st_ = job_state(fd);					\
	if (st_ != (uint32_t)(want))					\
		TH_LOG("state %s, expected %s",				\
		       NAME_OF(state_name, st_),			\
		       NAME_OF(state_name, (uint32_t)(want)));		\
	EXPECT_EQ(want, st_);						\
} while (0)

/* Cancels the queued job @id (root may). */
static void cancel_id(int dev, const uint8_t *id)
{
	int fd = raw_get(dev, id);

	ASSERT_SYSOK(fd);
	job_cancel(fd);
	close(fd);
}

/*
 * Reads what agent @a has waiting: a cancelled job counts against its
 * owner until the agent has read its CANCELLED.  How many records.
 */
static unsigned int read_events(int a)
{
	struct kbits_event ev[64];
	struct pollfd p = { .fd = a, .events = POLLIN };
	unsigned int n = 0;
	ssize_t r;

	while (poll(&p, 1, 0) == 1) {
		r = read(a, ev, sizeof(ev));
		ASSERT_GT(r, 0);
		n += r / sizeof(ev[0]);
	}
	return n;
}

/* Cancels the queued job @id, and agent @a reads that (and the rest). */
static void cancel_read(int a, int dev, const uint8_t *id)
{
	cancel_id(dev, id);
	ASSERT_GT(read_events(a), 0);
}

/* A GUID no job has (122 random bits make a clash unthinkable). */
static void unknown_guid(uint8_t *id)
{
	static const guid_bytes g = {
		0x6b, 0x62, 0x69, 0x74, 0x73, 0x2d, 0x40, 0x72,
		0x80, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x21, 0x21,
	};

	memcpy(id, g, sizeof(g));
}

/* ------------------------------------------------------------ parameters */

/* As they were when the run started; restored after each test. */
static unsigned int orig_max_jobs = 300, orig_max_jobs_per_user = 60;
static unsigned int orig_max_files = 200;

static void restore_params(void)
{
	param_restore("max_jobs", orig_max_jobs);
	param_restore("max_jobs_per_user", orig_max_jobs_per_user);
	param_restore("max_files_per_job", orig_max_files);
}

/* ----------------------------------------------------------------- files */

static void get_attr(int fd, struct kbits_job_attr *a)
{
	memset(a, 0xa5, sizeof(*a));
	a->size = sizeof(*a);
	a->mask = 0;
	a->flags = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, a));
}

static int set_attr(int fd, uint32_t mask, uint32_t prio, uint32_t notify,
		    uint32_t retry, uint32_t timeout)
{
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = mask;
	a.priority = prio;
	a.notify_flags = notify;
	a.min_retry_delay = retry;
	a.no_progress_timeout = timeout;
	return ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &a);
}

/*
 * ADD_FILES of one file, with a spec of @entry_size bytes (version 0's or
 * 1's) and, when @sha256 is not NULL, that expected SHA-256: the ioctl's
 * result.  The file's mode is 0666 & ~ the caller's umask.
 */
static int add_spec(int fd, const char *remote, const char *local,
		    const uint8_t *sha256, uint32_t entry_size)
{
	struct kbits_file_spec spec;
	struct kbits_add_files a;

	memset(&spec, 0, sizeof(spec));
	spec.remote = (uintptr_t)remote;
	spec.remote_len = strlen(remote);
	spec.local = (uintptr_t)local;
	spec.local_len = strlen(local);
	if (sha256) {
		spec.flags = KBITS_FILE_SHA256;
		memcpy(spec.sha256, sha256, KBITS_SHA256_SIZE);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.count = 1;
	a.entry_size = entry_size;
	a.files = (uintptr_t)&spec;
	return ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a);
}

/* Two digests: SHA-256 of "" and of "abc". */
static const uint8_t sha_empty[KBITS_SHA256_SIZE] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
	0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
	0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};
static const uint8_t sha_abc[KBITS_SHA256_SIZE] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
	0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};
static const uint8_t sha_zero[KBITS_SHA256_SIZE];

/* GET_DISPLAY_NAME or GET_DESCRIPTION into @buf (@cap bytes). */
static void get_string(int fd, unsigned long cmd, char *buf, size_t cap)
{
	struct kbits_job_string js;

	memset(buf, 'Z', cap);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = cap;
	js.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd, cmd, &js));
	ASSERT_LT(js.len, cap);
	EXPECT_EQ(strlen(buf), js.len);
}

struct got_error {
	struct kbits_job_error e;
	char text[KBITS_ERROR_TEXT_MAX + 16];
};

static int get_error(int fd, struct got_error *g)
{
	memset(g, 'Z', sizeof(*g));
	g->e.size = sizeof(g->e);
	g->e.flags = 0;
	g->e.text_len = sizeof(g->text);
	g->e.text = (uintptr_t)g->text;
	return ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g->e);
}

/* ------------------------------------------------------------ the agent */

static int agent_attach(void)
{
	int dev = dev_open(), a;

	a = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(a);
	close(dev);
	return a;
}

static int take(int a, const uint8_t *id)
{
	struct kbits_agent_job j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id, KBITS_GUID_SIZE);
	return ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j);
}

static int transferred(int a, const uint8_t *id)
{
	struct kbits_agent_job j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id, KBITS_GUID_SIZE);
	return ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, &j);
}

static int progress(int a, const uint8_t *id, uint32_t index, uint64_t total,
		    uint64_t done, uint32_t flags)
{
	struct kbits_agent_progress p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.index = index;
	memcpy(p.id, id, KBITS_GUID_SIZE);
	p.bytes_total = total;
	p.bytes_transferred = done;
	p.flags = flags;
	return ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p);
}

static int report_error(int a, const uint8_t *id, uint32_t flags,
			uint32_t context, int32_t code, uint32_t file,
			const char *text)
{
	struct kbits_agent_error e;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = flags;
	memcpy(e.id, id, KBITS_GUID_SIZE);
	e.context = context;
	e.code = code;
	e.file_index = file;
	e.text = (uintptr_t)text;
	e.text_len = text ? strlen(text) : 0;
	return ioctl(a, KBITS_AGENT_IOC_ERROR, &e);
}

/* ------------------------------------------------------------- records */

static struct kbits_agent_record agent_record(const uint8_t *id,
					      const void *buf, uint32_t len)
{
	struct kbits_agent_record r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (id)
		memcpy(r.id, id, KBITS_GUID_SIZE);
	r.buf = (uintptr_t)buf;
	r.buf_len = len;
	return r;
}

/* EXPORT_JOB of @id into @buf (*@len bytes); *@len gets the buf_len out. */
static int raw_export(int a, const uint8_t *id, void *buf, uint32_t *len)
{
	struct kbits_agent_record r = agent_record(id, buf, *len);
	int ret;

	ret = ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, &r);
	*len = r.buf_len;	/* errno is as the ioctl left it */
	return ret;
}

static int raw_import(int a, const void *buf, uint32_t len)
{
	struct kbits_agent_record r = agent_record(NULL, buf, len);

	return ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, &r);
}

/* A record, and room for a grown one. */
#define REC_CAP 16384
struct rec {
	uint32_t len;
	uint8_t b[REC_CAP];
};

/* Exports job @id, which must work, into @r. */
static void export_rec(int a, const uint8_t *id, struct rec *r)
{
	uint32_t len = sizeof(r->b);

	memset(r->b, 'Z', sizeof(r->b));
	ASSERT_SYSOK(raw_export(a, id, r->b, &len));
	ASSERT_GE(len, HDR_SIZE);
	ASSERT_LT(len, sizeof(r->b));
	r->len = len;
	/* nothing written past the record */
	EXPECT_EQ('Z', r->b[len]);
}

static struct kbits_job_record rec_hdr(const struct rec *r)
{
	struct kbits_job_record h;

	memcpy(&h, r->b, sizeof(h));
	return h;
}

static void rec_set_hdr(struct rec *r, const struct kbits_job_record *h)
{
	memcpy(r->b, h, sizeof(*h));
}

static void rec_set_state(struct rec *r, uint32_t state)
{
	struct kbits_job_record h = rec_hdr(r);

	h.state = state;
	rec_set_hdr(r, &h);
}

#define RF_MAX 8
#define RC_MAX 9	/* one more than a record may have: the tests make 9 */

/* Where things are in a (valid) record, from its lengths. */
struct layout {
	uint32_t str_off[6];		/* display name ... HTTP headers */
	uint32_t notify_off;		/* the notify command, after them */
	uint32_t reply_off;		/* the reply file's name (version 3) */
	uint32_t nr_creds;
	uint32_t cred_off[RC_MAX];	/* each struct kbits_record_cred */
	uint32_t creds_end;		/* where the files begin */
	uint32_t nr_files;
	uint32_t file_off[RF_MAX];	/* each file's struct kbits_record_file */
};

enum rstr { R_NAME, R_DESC, R_ERR, R_PROXY, R_BYPASS, R_HEADERS, R_REMOTE,
	    R_LOCAL,
	    R_NOTIFY,	/* the job's, after the headers; its bytes end with a NUL */
	    R_REPLY };	/* the reply file's name, after the notify command */

static const char * const rstr_name[] = {
	"display name", "description", "error text", "proxy list",
	"proxy bypass list", "HTTP headers", "remote name", "local name",
};

static void rec_layout(const struct rec *r, struct layout *l)
{
	struct kbits_job_record h = rec_hdr(r);
	struct kbits_record_file f;
	uint32_t off = HDR_SIZE, i;

	ASSERT_LE(h.nr_files, RF_MAX);
	l->str_off[R_NAME] = off;
	off += h.display_name_len;
	l->str_off[R_DESC] = off;
	off += h.description_len;
	l->str_off[R_ERR] = off;
	off += h.error_text_len;
	l->str_off[R_PROXY] = off;
	off += h.proxy_list_len;
	l->str_off[R_BYPASS] = off;
	off += h.proxy_bypass_len;
	l->str_off[R_HEADERS] = off;
	off += h.http_headers_len;
	l->notify_off = off;
	off += h.notify_cmd_len;
	l->reply_off = off;
	off += h.reply_file_len;
	ASSERT_LE(h.nr_creds, RC_MAX);
	l->nr_creds = h.nr_creds;
	for (i = 0; i < h.nr_creds; i++) {
		struct kbits_record_cred c;

		ASSERT_LE(off + sizeof(c), r->len);
		l->cred_off[i] = off;
		memcpy(&c, r->b + off, sizeof(c));
		off += sizeof(c) + c.user_len + c.password_len;
	}
	l->creds_end = off;
	l->nr_files = h.nr_files;
	for (i = 0; i < h.nr_files; i++) {
		ASSERT_LE(off + RF_SIZE, r->len);
		l->file_off[i] = off;
		memcpy(&f, r->b + off, sizeof(f));
		off += RF_SIZE + f.remote_len + f.local_len;
	}
	/* the lengths add up to the whole record: no padding anywhere */
	ASSERT_EQ(r->len, off);
}

static struct kbits_record_file rec_file(const struct rec *r, uint32_t i)
{
	struct kbits_record_file f;
	struct layout l;

	rec_layout(r, &l);
	ASSERT_LT(i, l.nr_files);
	memcpy(&f, r->b + l.file_off[i], sizeof(f));
	return f;
}

/*
 * String @which (of file @file): its offset and length, and the offset of
 * the field that holds its length.
 */
static void rec_str_at(const struct rec *r, enum rstr which, uint32_t file,
		       uint32_t *off, uint32_t *len, uint32_t *len_field)
{
	struct kbits_record_file f;
	struct layout l;

	rec_layout(r, &l);
	switch (which) {
	case R_NAME:
		*len_field = offsetof(struct kbits_job_record, display_name_len);
		break;
	case R_DESC:
		*len_field = offsetof(struct kbits_job_record, description_len);
		break;
	case R_ERR:
		*len_field = offsetof(struct kbits_job_record, error_text_len);
		break;
	case R_PROXY:
		*len_field = offsetof(struct kbits_job_record, proxy_list_len);
		break;
	case R_BYPASS:
		*len_field = offsetof(struct kbits_job_record, proxy_bypass_len);
		break;
	case R_HEADERS:
		*len_field = offsetof(struct kbits_job_record, http_headers_len);
		break;
	case R_NOTIFY:
		*len_field = offsetof(struct kbits_job_record, notify_cmd_len);
		*off = l.notify_off;
		memcpy(len, r->b + *len_field, sizeof(*len));
		return;
	case R_REPLY:
		*len_field = offsetof(struct kbits_job_record, reply_file_len);
		*off = l.reply_off;
		memcpy(len, r->b + *len_field, sizeof(*len));
		return;
	case R_REMOTE:
	case R_LOCAL:
		ASSERT_LT(file, l.nr_files);
		memcpy(&f, r->b + l.file_off[file], sizeof(f));
		if (which == R_REMOTE) {
			*off = l.file_off[file] + RF_SIZE;
			*len = f.remote_len;
			*len_field = l.file_off[file] +
				     offsetof(struct kbits_record_file, remote_len);
		} else {
			*off = l.file_off[file] + RF_SIZE + f.remote_len;
			*len = f.local_len;
			*len_field = l.file_off[file] +
				     offsetof(struct kbits_record_file, local_len);
		}
		return;
	}
	*off = l.str_off[which];
	memcpy(len, r->b + *len_field, sizeof(*len));
}

/* String @which as a C string (it must have no NUL). */
static void rec_get_str(const struct rec *r, enum rstr which, uint32_t file,
			char *out, size_t cap)
{
	uint32_t off = 0, len = 0, lf = 0;

	rec_str_at(r, which, file, &off, &len, &lf);
	ASSERT_LT(len, cap);
	memcpy(out, r->b + off, len);
	out[len] = '\0';
	EXPECT_EQ(len, strlen(out));
}

static void rec_fix_length(struct rec *r)
{
	memcpy(r->b + offsetof(struct kbits_job_record, length), &r->len,
	       sizeof(r->len));
}

/* Replaces string @which with @slen bytes at @s; the lengths follow. */
static void rec_put_str(struct rec *r, enum rstr which, uint32_t file,
			const void *s, uint32_t slen)
{
	uint32_t off = 0, len = 0, lf = 0;

	rec_str_at(r, which, file, &off, &len, &lf);
	ASSERT_LE((size_t)r->len - len + slen, sizeof(r->b) - 1);
	memmove(r->b + off + slen, r->b + off + len, r->len - off - len);
	memcpy(r->b + off, s, slen);
	r->len = r->len - len + slen;
	memcpy(r->b + lf, &slen, sizeof(slen));
	rec_fix_length(r);
}

/*
 * @src, a record as EXPORT writes it, rewritten into @dst (which may be
 * @src) with @version, a header of @hsize bytes (header_size says so; its
 * bytes past the current header are zeros) and files of @fsize bytes each:
 * their first bytes, then zeros; file_size says @fsize when the header has
 * room for it.  Files of version 1's size cannot say they have a digest:
 * their KBITS_FILE_SHA256 goes, as with an older module.  A header shorter
 * than version 3's leaves out the reply file's name and the credentials
 * (the source should have none), one without notify_cmd_len the notify
 * command too.  rec_to_v1() makes the version 1 records older modules
 * wrote, rec_to_v2() the version 2 ones; other sizes make records that no
 * version is.
 */
static void rec_convert(const struct rec *src, struct rec *dst,
			uint32_t version, uint32_t hsize, uint32_t fsize)
{
	struct kbits_job_record h = rec_hdr(src);
	static struct rec t;
	struct kbits_record_file f;
	struct layout l;
	uint32_t off, end, i;

	rec_layout(src, &l);
	memset(&t, 0, sizeof(t));
	h.version = version;
	h.header_size = hsize;
	h.file_size = fsize;
	memcpy(t.b, &h, hsize < sizeof(h) ? hsize : sizeof(h));
	off = hsize;
	/*
	 * the strings; a header without notify_cmd_len has no command, one
	 * without version 3's fields no reply file and no credentials
	 */
	if (hsize >= HDR_SIZE)
		end = l.creds_end;
	else if (hsize >= offsetof(struct kbits_job_record, notify_cmd_len) + 4)
		end = l.reply_off;
	else
		end = l.notify_off;
	ASSERT_LT(off + (end - HDR_SIZE), sizeof(t.b));
	memcpy(t.b + off, src->b + HDR_SIZE, end - HDR_SIZE);
	off += end - HDR_SIZE;
	for (i = 0; i < l.nr_files; i++) {
		memcpy(&f, src->b + l.file_off[i], sizeof(f));
		if (fsize <= V1_RF_SIZE)
			f.flags &= ~SHA;
		ASSERT_LT(off + fsize + f.remote_len + f.local_len, sizeof(t.b));
		memcpy(t.b + off, &f, fsize < sizeof(f) ? fsize : sizeof(f));
		off += fsize;
		memcpy(t.b + off, src->b + l.file_off[i] + RF_SIZE,
		       f.remote_len + f.local_len);
		off += f.remote_len + f.local_len;
	}
	t.len = off;
	rec_fix_length(&t);
	*dst = t;
}

/* @r as the module before version 3 wrote it: version 2's header and files. */
static void rec_to_v2(struct rec *r)
{
	rec_convert(r, r, 2, V2_HDR_SIZE, RF_SIZE);
}

/* @r as an older module wrote it: version 1, an @hsize header, 32-byte files. */
static void rec_to_v1(struct rec *r, uint32_t hsize)
{
	rec_convert(r, r, 1, hsize, V1_RF_SIZE);
}

/*
 * The files of record @r as a version 1 record of it brings them back:
 * mode 0600 (how such files were placed), no digest.
 */
static void rec_v1_files(struct rec *r)
{
	struct kbits_record_file f;
	struct layout l;
	uint32_t i;

	rec_layout(r, &l);
	for (i = 0; i < l.nr_files; i++) {
		memcpy(&f, r->b + l.file_off[i], sizeof(f));
		f.mode = V1_MODE;
		f.flags &= ~SHA;
		memset(f.sha256, 0, sizeof(f.sha256));
		memcpy(r->b + l.file_off[i], &f, sizeof(f));
	}
}

/* ------------------------------------------------------------ job views */

/* Everything a job fd shows of a job. */
struct job_view {
	uint32_t type, state, owner;
	struct kbits_job_attr attr;
	char name[KBITS_DISPLAY_NAME_MAX + 16];
	char desc[KBITS_DESCRIPTION_MAX + 16];
	struct kbits_job_progress prog;
	int err_ret;
	struct got_error err;
	struct got_proxy proxy;
	int hdr_ret;
	char headers[KBITS_HTTP_HEADERS_MAX + 16];
	int cmd_ret;			/* GET_NOTIFY_CMD's: 0 or -ENODATA */
	uint32_t cmd_len;
	char cmd[KBITS_NOTIFY_CMD_MAX + 16];
	int reply_ret;			/* GET_REPLY_FILE's: 0, -ENODATA, -EOPNOTSUPP */
	uint32_t reply_len;
	char reply[KBITS_LOCAL_NAME_MAX + 16];
	struct kbits_job_cred_schemes creds;	/* which credentials it has */
	uint32_t nfiles;
	struct got_file files[RF_MAX];
};

/* GET_HTTP_HEADERS into @buf (@cap bytes): 0, or -errno. */
static int get_headers(int fd, char *buf, size_t cap)
{
	struct kbits_job_string js;

	memset(buf, 'Z', cap);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = cap;
	js.buf = (uintptr_t)buf;
	if (ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js))
		return -errno;
	ASSERT_LT(js.len, cap);
	EXPECT_EQ(strlen(buf), js.len);
	return 0;
}

/* GET_NOTIFY_CMD into @buf (@cap bytes), its length to @len: 0, or -errno. */
static int get_cmd(int fd, char *buf, size_t cap, uint32_t *len)
{
	struct kbits_job_string js;

	memset(buf, 'Z', cap);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = cap;
	js.buf = (uintptr_t)buf;
	*len = 0;
	if (ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js))
		return -errno;
	ASSERT_LT(js.len, cap);
	EXPECT_EQ('Z', buf[js.len]);	/* no NUL added */
	*len = js.len;
	return 0;
}

static int set_cmd(int fd, const void *cmd, uint32_t len)
{
	struct kbits_job_string js;

	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = len;
	js.buf = (uintptr_t)cmd;
	return ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js);
}

/* GET_REPLY_FILE into @buf (@cap bytes), its length to @len: 0, or -errno. */
static int get_reply(int fd, char *buf, size_t cap, uint32_t *len)
{
	struct kbits_job_string js;

	memset(buf, 'Z', cap);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = cap;
	js.buf = (uintptr_t)buf;
	*len = 0;
	if (ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js))
		return -errno;
	ASSERT_LT(js.len, cap);
	EXPECT_EQ(0, buf[js.len]);
	*len = js.len;
	return 0;
}

static int set_reply(int fd, const char *name)
{
	return set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE, name);
}

static void get_creds(int fd, struct kbits_job_cred_schemes *cs)
{
	memset(cs, 0xa5, sizeof(*cs));
	cs->size = sizeof(*cs);
	cs->reserved = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, cs));
}

static void view_job(int fd, struct job_view *v)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->type = job_type(fd);
	v->state = job_state(fd);
	v->owner = job_owner(fd);
	get_attr(fd, &v->attr);
	get_string(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, v->name, sizeof(v->name));
	get_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, v->desc, sizeof(v->desc));
	get_progress(fd, &v->prog);
	v->err_ret = get_error(fd, &v->err) ? -errno : 0;
	ASSERT_SYSOK(raw_get_proxy(fd, &v->proxy));
	v->hdr_ret = get_headers(fd, v->headers, sizeof(v->headers));
	if (v->hdr_ret)
		v->headers[0] = '\0';
	v->cmd_ret = get_cmd(fd, v->cmd, sizeof(v->cmd), &v->cmd_len);
	if (v->cmd_ret)
		EXPECT_EQ(-ENODATA, v->cmd_ret);
	v->reply_ret = get_reply(fd, v->reply, sizeof(v->reply), &v->reply_len);
	if (v->reply_ret)
		EXPECT_EQ(v->type == UR ? -ENODATA : -EOPNOTSUPP, v->reply_ret);
	get_creds(fd, &v->creds);
	v->nfiles = v->prog.files_total;
	ASSERT_LE(v->nfiles, RF_MAX);
	for (i = 0; i < v->nfiles; i++)
		ASSERT_SYSOK(get_file(fd, i, &v->files[i]));
}

/* Two views of what must be the same job. */
static void expect_same_view(const struct job_view *w, const struct job_view *v)
{
	uint32_t i;

	EXPECT_EQ(w->type, v->type);
	EXPECT_EQ(w->state, v->state);
	EXPECT_EQ(w->owner, v->owner);
	EXPECT_EQ(w->attr.priority, v->attr.priority);
	EXPECT_EQ(w->attr.notify_flags, v->attr.notify_flags);
	EXPECT_EQ(w->attr.min_retry_delay, v->attr.min_retry_delay);
	EXPECT_EQ(w->attr.no_progress_timeout, v->attr.no_progress_timeout);
	EXPECT_EQ(w->attr.error_count, v->attr.error_count);
	EXPECT_EQ(w->attr.creation_time, v->attr.creation_time);
	EXPECT_EQ(w->attr.modification_time, v->attr.modification_time);
	EXPECT_EQ(w->attr.completion_time, v->attr.completion_time);
	EXPECT_EQ(w->attr.max_download_time, v->attr.max_download_time);
	EXPECT_EQ(w->attr.transfer_time, v->attr.transfer_time);
	EXPECT_STREQ(w->name, v->name);
	EXPECT_STREQ(w->desc, v->desc);
	EXPECT_EQ(w->prog.bytes_total, v->prog.bytes_total);
	EXPECT_EQ(w->prog.bytes_transferred, v->prog.bytes_transferred);
	EXPECT_EQ(w->prog.files_total, v->prog.files_total);
	EXPECT_EQ(w->prog.files_transferred, v->prog.files_transferred);
	EXPECT_EQ(w->err_ret, v->err_ret);
	if (!w->err_ret && !v->err_ret) {
		EXPECT_EQ(w->err.e.context, v->err.e.context);
		EXPECT_EQ(w->err.e.code, v->err.e.code);
		EXPECT_EQ(w->err.e.flags, v->err.e.flags);
		EXPECT_EQ(w->err.e.file_index, v->err.e.file_index);
		EXPECT_EQ(w->err.e.text_len, v->err.e.text_len);
		EXPECT_STREQ(w->err.text, v->err.text);
	}
	EXPECT_EQ(w->proxy.p.usage, v->proxy.p.usage);
	EXPECT_EQ(w->proxy.p.list_len, v->proxy.p.list_len);
	EXPECT_EQ(w->proxy.p.bypass_len, v->proxy.p.bypass_len);
	EXPECT_STREQ(w->proxy.list, v->proxy.list);
	EXPECT_STREQ(w->proxy.bypass, v->proxy.bypass);
	EXPECT_EQ(w->hdr_ret, v->hdr_ret);
	EXPECT_STREQ(w->headers, v->headers);
	EXPECT_EQ(w->cmd_ret, v->cmd_ret);
	EXPECT_EQ(w->cmd_len, v->cmd_len);
	EXPECT_MEMEQ(w->cmd, v->cmd, w->cmd_len);
	EXPECT_EQ(w->reply_ret, v->reply_ret);
	EXPECT_EQ(w->reply_len, v->reply_len);
	EXPECT_MEMEQ(w->reply, v->reply, w->reply_len);
	EXPECT_EQ(w->creds.server, v->creds.server);
	EXPECT_EQ(w->creds.proxy, v->creds.proxy);
	EXPECT_EQ(w->attr.flags, v->attr.flags);
	ASSERT_EQ(w->nfiles, v->nfiles);
	for (i = 0; i < w->nfiles; i++) {
		const struct got_file *a = &w->files[i], *b = &v->files[i];

		EXPECT_EQ(a->f.bytes_total, b->f.bytes_total);
		EXPECT_EQ(a->f.bytes_transferred, b->f.bytes_transferred);
		EXPECT_EQ(a->f.flags, b->f.flags);
		EXPECT_EQ(a->f.mode, b->f.mode);
		EXPECT_MEMEQ(a->f.sha256, b->f.sha256, KBITS_SHA256_SIZE);
		EXPECT_EQ(a->f.remote_len, b->f.remote_len);
		EXPECT_EQ(a->f.local_len, b->f.local_len);
		EXPECT_STREQ(a->remote, b->remote);
		EXPECT_STREQ(a->local, b->local);
	}
}

/*
 * The record @r must say what the view @v of job @id shows, with the
 * record flags @flags (which no job fd shows).
 */
static void expect_record_of(const struct rec *r, const uint8_t *id,
			     const struct job_view *v, uint32_t flags)
{
	struct kbits_job_record h = rec_hdr(r);
	static char s[KBITS_HTTP_HEADERS_MAX + 16];
	struct kbits_record_file f;
	uint32_t i;

	EXPECT_EQ(KBITS_RECORD_MAGIC, h.magic);
	EXPECT_EQ(KBITS_RECORD_VERSION, h.version);
	EXPECT_EQ(3, h.version);
	EXPECT_EQ(r->len, h.length);
	EXPECT_EQ(HDR_SIZE, h.header_size);
	EXPECT_EQ(RF_SIZE, h.file_size);
	/* no notify command (ENODATA): no bytes of one */
	EXPECT_EQ(v->cmd_ret ? 0 : v->cmd_len, h.notify_cmd_len);
	/* no reply file (ENODATA, EOPNOTSUPP): no bytes of one, mode 0 */
	EXPECT_EQ(v->reply_ret ? 0 : v->reply_len, h.reply_file_len);
	if (v->reply_ret)
		EXPECT_EQ(0, h.reply_mode);
	else
		EXPECT_EQ(0, h.reply_mode & ~0666u);
	/* one entry per (target, scheme) GET_CREDENTIALS shows */
	EXPECT_EQ(__builtin_popcount(v->creds.server) +
		  __builtin_popcount(v->creds.proxy), h.nr_creds);
	EXPECT_EQ(0, h.reserved);
	EXPECT_MEMEQ(id, h.id, KBITS_GUID_SIZE);
	EXPECT_EQ(v->owner, h.owner);
	EXPECT_EQ(v->type, h.type);
	EXPECT_EQ(v->state, h.state);
	EXPECT_EQ(v->attr.priority, h.priority);
	EXPECT_EQ(v->attr.notify_flags, h.notify_flags);
	EXPECT_EQ(v->attr.min_retry_delay, h.min_retry_delay);
	EXPECT_EQ(v->attr.no_progress_timeout, h.no_progress_timeout);
	EXPECT_EQ(v->attr.error_count, h.error_count);
	EXPECT_EQ(v->attr.creation_time, h.creation_time);
	EXPECT_EQ(v->attr.modification_time, h.modification_time);
	EXPECT_EQ(v->attr.completion_time, h.completion_time);
	EXPECT_EQ(v->attr.max_download_time, h.max_download_time);
	EXPECT_EQ(v->attr.transfer_time, h.transfer_time);
	EXPECT_EQ(flags, h.flags);
	EXPECT_EQ(strlen(v->name), h.display_name_len);
	EXPECT_EQ(strlen(v->desc), h.description_len);
	if (v->err_ret) {
		EXPECT_EQ(-ENOMSG, v->err_ret);
		/* no error: all of its fields 0 */
		EXPECT_EQ(KBITS_ERROR_CONTEXT_NONE, h.error_context);
		EXPECT_EQ(0, h.error_code);
		EXPECT_EQ(0, h.error_file_index);
		EXPECT_EQ(0, h.error_text_len);
	} else {
		EXPECT_EQ(v->err.e.context, h.error_context);
		EXPECT_EQ(v->err.e.code, h.error_code);
		EXPECT_EQ(v->err.e.file_index, h.error_file_index);
		EXPECT_EQ(v->err.e.text_len, h.error_text_len);
		/* the code's kind: the one flag a GET_ERROR shows */
		EXPECT_EQ(!!(v->err.e.flags & KBITS_ERROR_HTTP),
			  !!(h.flags & KBITS_RECORD_ERROR_HTTP));
	}
	EXPECT_EQ(v->proxy.p.usage, h.proxy_usage);
	EXPECT_EQ(v->proxy.p.list_len, h.proxy_list_len);
	EXPECT_EQ(v->proxy.p.bypass_len, h.proxy_bypass_len);
	/*
	 * no headers (ENODATA) and no bytes of them are the same to a record;
	 * write-only ones (EPERM) only the record has
	 */
	EXPECT_EQ(!!(v->attr.flags & KBITS_JOB_HEADERS_WRITE_ONLY),
		  !!(h.flags & KBITS_RECORD_HEADERS_WRITE_ONLY));
	if (v->hdr_ret != -EPERM)
		EXPECT_EQ(v->hdr_ret ? 0 : strlen(v->headers), h.http_headers_len);
	if (v->hdr_ret)
		EXPECT_EQ(v->attr.flags & KBITS_JOB_HEADERS_WRITE_ONLY ?
			  -EPERM : -ENODATA, v->hdr_ret);
	EXPECT_EQ(v->nfiles, h.nr_files);
	if (h.nr_files != v->nfiles)
		return;

	rec_get_str(r, R_NAME, 0, s, sizeof(s));
	EXPECT_STREQ(v->name, s);
	rec_get_str(r, R_DESC, 0, s, sizeof(s));
	EXPECT_STREQ(v->desc, s);
	rec_get_str(r, R_ERR, 0, s, sizeof(s));
	EXPECT_STREQ(v->err_ret ? "" : v->err.text, s);
	rec_get_str(r, R_PROXY, 0, s, sizeof(s));
	EXPECT_STREQ(v->proxy.list, s);
	rec_get_str(r, R_BYPASS, 0, s, sizeof(s));
	EXPECT_STREQ(v->proxy.bypass, s);
	rec_get_str(r, R_HEADERS, 0, s, sizeof(s));
	if (v->hdr_ret != -EPERM)
		EXPECT_STREQ(v->headers, s);
	{
		struct kbits_record_cred c;
		uint32_t server = 0, proxy = 0;
		struct layout l;

		rec_layout(r, &l);
		EXPECT_MEMEQ(v->cmd, r->b + l.notify_off, h.notify_cmd_len);
		EXPECT_MEMEQ(v->reply, r->b + l.reply_off, h.reply_file_len);
		for (i = 0; i < l.nr_creds; i++) {
			memcpy(&c, r->b + l.cred_off[i], sizeof(c));
			if (c.target == KBITS_AUTH_TARGET_SERVER)
				server |= 1U << c.scheme;
			else if (c.target == KBITS_AUTH_TARGET_PROXY)
				proxy |= 1U << c.scheme;
			else
				TH_REPORT(false, "credential %u: target %u", i, c.target);
		}
		EXPECT_EQ(v->creds.server, server);
		EXPECT_EQ(v->creds.proxy, proxy);
	}
	for (i = 0; i < h.nr_files; i++) {
		f = rec_file(r, i);
		EXPECT_EQ(v->files[i].f.bytes_total, f.bytes_total);
		EXPECT_EQ(v->files[i].f.bytes_transferred, f.bytes_transferred);
		EXPECT_EQ(v->files[i].f.flags, f.flags);
		EXPECT_EQ(0, f.reserved);
		EXPECT_EQ(v->files[i].f.mode, f.mode);
		EXPECT_EQ(0, f.reserved2);
		EXPECT_MEMEQ(v->files[i].f.sha256, f.sha256, KBITS_SHA256_SIZE);
		/* no digest, no bytes of one */
		if (!(f.flags & SHA))
			EXPECT_MEMEQ(sha_zero, f.sha256, KBITS_SHA256_SIZE);
		EXPECT_EQ(v->files[i].f.remote_len, f.remote_len);
		EXPECT_EQ(v->files[i].f.local_len, f.local_len);
		rec_get_str(r, R_REMOTE, i, s, sizeof(s));
		EXPECT_STREQ(v->files[i].remote, s);
		rec_get_str(r, R_LOCAL, i, s, sizeof(s));
		EXPECT_STREQ(v->files[i].local, s);
	}
}

/*
 * An import that must be refused with @err (or @err2, when not 0), after
 * which no job with GUID @id may be in the queue.
 */
#define EXPECT_REFUSED(a, dev, buf, len, id, err, err2, ...)		\
	expect_refused(__LINE__, a, dev, buf, len, id, err, err2, __VA_ARGS__)

__attribute__((format(printf, 9, 10)))
static void expect_refused(int line, int a, int dev, const void *buf,
			   uint32_t len, const uint8_t *id, int err, int err2,
			   const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int ret, e, fd;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	ret = raw_import(a, buf, len);
	e = errno;
	if (ret != -1 || (e != err && (!err2 || e != err2)))
		th_fail(__FILE__, line, false,
			"%s: IMPORT gave %d%s%s, expected -1 and errno %s%s%s",
			what, ret, ret == -1 ? " and errno " : "",
			ret == -1 ? th_errname(e) : "", th_errname(err),
			err2 ? " or " : "", err2 ? th_errname(err2) : "");
	fd = raw_get(dev, id);
	e = errno;
	if (fd >= 0 || e != ENOENT) {
		th_fail(__FILE__, line, false,
			"%s: after the refused IMPORT, GET_JOB gave %d (%s), expected ENOENT",
			what, fd, fd < 0 ? th_errname(e) : "a job");
		if (fd >= 0) {
			ioctl(fd, KBITS_JOB_IOC_CANCEL);
			close(fd);
		}
	}
}

/*
 * An import of @r (buf_len @len) that must work: the job comes back with
 * GUID @id in @state, and its export is @r with that state, byte for byte.
 * The job is cancelled again.
 */
#define EXPECT_IMPORTED(a, dev, r, len, id, state, ...)		\
	expect_imported(__LINE__, a, dev, r, len, id, state, __VA_ARGS__)

__attribute__((format(printf, 8, 9)))
static void expect_imported(int line, int a, int dev, const struct rec *r,
			    uint32_t len, const uint8_t *id, uint32_t state,
			    const char *fmt, ...)
{
	static struct rec want, got;
	char what[256];
	uint32_t st;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (raw_import(a, r->b, len) < 0) {
		th_fail(__FILE__, line, false, "%s: IMPORT failed: %s", what,
			th_errname(errno));
		return;
	}
	fd = raw_get(dev, id);
	if (fd < 0) {
		th_fail(__FILE__, line, false,
			"%s: GET_JOB of the imported job: %s", what,
			th_errname(errno));
		return;
	}
	st = job_state(fd);
	if (st != state)
		th_fail(__FILE__, line, false,
			"%s: imported job is %s, expected %s", what,
			NAME_OF(state_name, st), NAME_OF(state_name, state));
	want = *r;
	rec_set_state(&want, state);
	export_rec(a, id, &got);
	if (got.len != want.len || memcmp(got.b, want.b, want.len)) {
		uint32_t i, n = got.len < want.len ? got.len : want.len;

		for (i = 0; i < n && got.b[i] == want.b[i]; i++)
			;
		th_fail(__FILE__, line, false,
			"%s: the imported job's record differs (length %u, expected %u; first difference at byte %u)",
			what, got.len, want.len, i);
	}
	job_cancel(fd);
	close(fd);
}

/*
 * The base record of the corruption tests: a download job of root's with a
 * description, settings changed, an OVERRIDE proxy with a list and a bypass
 * list, custom HTTP headers (so every string a record has is there), three
 * files -- 0 completed (100 of 100
 * bytes), 1 partly done (10 of 1000), 2 of a size not known yet (7 bytes
 * so far) -- and a transient TRANSPORT error on file 1, so TRANSIENT_ERROR.
 * Files 0 and 1 are added under umask 022 (mode 0644), file 2 with an
 * expected SHA-256 (sha_empty) under umask 027 (mode 0640).
 * Returns an fd of the job, still queued; its GUID to @id.
 */
static const char base_name[] = "rt: base \xc3\xa9t\xc3\xa9";
static const char base_desc[] = "the base record \xe2\x9c\x93";
static const char base_err[] = "connection refused";
static const char base_proxy[] = "http://proxy.test:3128 http://proxy2.test:8080";
static const char base_bypass[] = "localhost,*.example.test,10.0.0.0/8";
static const char base_headers[] =
	"X-Kbits-Test: base\r\nAuthorization: Bearer t\xc3\xb6ken\r\nAccept:";

static int base_job(int a, int dev, const char *tag, uint8_t *id)
{
	int fd;

	fd = make_job(dev, base_name, DL, id);
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION, base_desc));
	ASSERT_SYSOK(raw_set_proxy(fd, KBITS_PROXY_OVERRIDE, base_proxy,
				   base_bypass));
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, base_headers));
	ASSERT_SYSOK(set_attr(fd, KBITS_ATTR_PRIORITY | KBITS_ATTR_NOTIFY_FLAGS |
				  KBITS_ATTR_MIN_RETRY_DELAY |
				  KBITS_ATTR_NO_PROGRESS_TIMEOUT,
			      KBITS_PRIORITY_HIGH,
			      KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR,
			      30, 3600));
	{
		char remote[64], local[64];
		mode_t old = umask(022);

		ASSERT_SYSOK(add_n(fd, 2, tag));
		umask(027);
		nth_names(tag, 2, remote, local);
		ASSERT_SYSOK(add_spec(fd, remote, local, sha_empty,
				      KBITS_FILE_SPEC_SIZE_VER1));
		umask(old);
	}
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 100, 100, DONE));
	ASSERT_SYSOK(progress(a, id, 1, 1000, 10, 0));
	ASSERT_SYSOK(progress(a, id, 2, UNKNOWN, 7, 0));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNREFUSED, 1, base_err));
	EXPECT_STATE(S_TRANSIENT, fd);
	return fd;
}

/* The base record, exported; the job is cancelled, so its GUID is free. */
static void base_record(int a, int dev, const char *tag, struct rec *r,
			uint8_t *id)
{
	int fd = base_job(a, dev, tag, id);

	export_rec(a, id, r);
	job_cancel(fd);
	close(fd);
	ASSERT_EQ(-1, raw_get(dev, id));
	ASSERT_EQ(ENOENT, errno);
}

/* ---------------------------------------------------------------- export */

TEST(export_fresh_job)
{
	static const char name[] = "rt: fresh";
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_job_attr attr, attr2;
	struct kbits_job_record h;
	struct job_view v;
	static struct rec r;
	time_t before, after;
	guid_bytes id;

	before = time(NULL);
	fd = make_job(dev, name, DL, id);
	after = time(NULL);
	get_attr(fd, &attr);
	export_rec(a, id, &r);

	h = rec_hdr(&r);
	EXPECT_EQ(KBITS_RECORD_MAGIC, h.magic);
	EXPECT_EQ(3, h.version);
	EXPECT_EQ(HDR_SIZE + strlen(name), r.len);
	EXPECT_EQ(r.len, h.length);
	EXPECT_EQ(HDR_SIZE, h.header_size);
	EXPECT_EQ(168, h.header_size);
	/* the size of its files' structs, also when it has none */
	EXPECT_EQ(72, h.file_size);
	EXPECT_EQ(0, h.notify_cmd_len);
	/* no reply file (a download has none), no credentials */
	EXPECT_EQ(0, h.reply_file_len);
	EXPECT_EQ(0, h.reply_mode);
	EXPECT_EQ(0, h.nr_creds);
	EXPECT_EQ(0, h.reserved);
	EXPECT_MEMEQ(id, h.id, KBITS_GUID_SIZE);
	EXPECT_EQ(0, h.owner);
	EXPECT_EQ(DL, h.type);
	EXPECT_EQ(S_SUSPENDED, h.state);
	EXPECT_EQ(KBITS_PRIORITY_NORMAL, h.priority);
	EXPECT_EQ(attr.notify_flags, h.notify_flags);
	EXPECT_EQ(KBITS_MIN_RETRY_DELAY_DEFAULT, h.min_retry_delay);
	EXPECT_EQ(KBITS_NO_PROGRESS_TIMEOUT_DEFAULT, h.no_progress_timeout);
	EXPECT_EQ(0, h.error_count);
	EXPECT_EQ(attr.creation_time, h.creation_time);
	EXPECT_LE(before, h.creation_time);
	EXPECT_GE(after, h.creation_time);
	EXPECT_EQ(attr.modification_time, h.modification_time);
	EXPECT_EQ(0, h.completion_time);
	EXPECT_EQ(KBITS_ERROR_CONTEXT_NONE, h.error_context);
	EXPECT_EQ(0, h.error_code);
	EXPECT_EQ(0, h.error_file_index);
	EXPECT_EQ(0, h.nr_files);
	EXPECT_EQ(strlen(name), h.display_name_len);
	EXPECT_EQ(0, h.description_len);
	EXPECT_EQ(0, h.error_text_len);
	/* root made it: it does not count against the limits */
	EXPECT_EQ(KBITS_RECORD_EXEMPT, h.flags);
	/* a new job's proxy settings and headers: SYSTEM, none */
	EXPECT_EQ(KBITS_PROXY_SYSTEM, h.proxy_usage);
	EXPECT_EQ(0, h.proxy_list_len);
	EXPECT_EQ(0, h.proxy_bypass_len);
	EXPECT_EQ(0, h.http_headers_len);
	/* the maximum download time, BITS's 90 days; never taken: no time */
	EXPECT_EQ(7776000, h.max_download_time);
	EXPECT_EQ(0, h.transfer_time);
	/* the name right after the header, with no NUL */
	EXPECT_MEMEQ(name, r.b + HDR_SIZE, strlen(name));
	view_job(fd, &v);
	expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT);

	/* exporting changed nothing */
	get_attr(fd, &attr2);
	EXPECT_EQ(attr.modification_time, attr2.modification_time);
	EXPECT_STATE(S_SUSPENDED, fd);

	/* a second export is the same */
	{
		static struct rec r2;

		export_rec(a, id, &r2);
		ASSERT_EQ(r.len, r2.len);
		EXPECT_MEMEQ(r.b, r2.b, r.len);
	}

	/* a job out of the queue, or none at all: ENOENT */
	job_cancel(fd);
	{
		uint32_t len = sizeof(r.b);

		EXPECT_ERRNO(ENOENT, raw_export(a, id, r.b, &len));
		unknown_guid(id);
		len = sizeof(r.b);
		EXPECT_ERRNO(ENOENT, raw_export(a, id, r.b, &len));
		len = sizeof(r.b);
		EXPECT_ERRNO(ENOENT, raw_export(a, zero_guid, r.b, &len));
	}
	close(fd);
	close(a);
	close(dev);
}

TEST(export_buffer_sizes)
{
	static const char name[] = "rt: sizes";
	int a = agent_attach(), dev = dev_open(), fd;
	uint32_t need, len, want, i;
	static uint8_t buf[4096], ref[4096];
	long ps = page_size();
	uint8_t *m;
	guid_bytes id;

	fd = make_job(dev, name, DL, id);
	ASSERT_SYSOK(add_n(fd, 2, "sz"));
	want = HDR_SIZE + strlen(name) +
	       2 * (RF_SIZE + strlen("http://example.test/sz/0") +
		    strlen("/tmp/rt/sz/0"));

	/* no room at all: ERANGE, and the length needed */
	len = 0;
	EXPECT_ERRNO(ERANGE, raw_export(a, id, NULL, &len));
	EXPECT_EQ(want, len);
	need = len;
	ASSERT_LT(need, sizeof(buf));

	/* one byte short, or a lot: ERANGE, and nothing written */
	memset(buf, 'Z', sizeof(buf));
	len = need - 1;
	EXPECT_ERRNO(ERANGE, raw_export(a, id, buf, &len));
	EXPECT_EQ(need, len);
	len = 1;
	EXPECT_ERRNO(ERANGE, raw_export(a, id, buf, &len));
	EXPECT_EQ(need, len);
	len = HDR_SIZE;
	EXPECT_ERRNO(ERANGE, raw_export(a, id, buf, &len));
	EXPECT_EQ(need, len);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != 'Z')
			break;
	EXPECT_EQ(sizeof(buf), i);

	/* just enough */
	len = need;
	ASSERT_SYSOK(raw_export(a, id, buf, &len));
	EXPECT_EQ(need, len);
	EXPECT_EQ('Z', buf[need]);
	memcpy(ref, buf, need);

	/* more than enough: the length, and nothing past the record */
	memset(buf, 'Z', sizeof(buf));
	len = sizeof(buf);
	ASSERT_SYSOK(raw_export(a, id, buf, &len));
	EXPECT_EQ(need, len);
	EXPECT_MEMEQ(ref, buf, need);
	for (i = need; i < sizeof(buf); i++)
		if (buf[i] != 'Z')
			break;
	EXPECT_EQ(sizeof(buf), i);

	/* a buffer it cannot write: EFAULT */
	len = need;
	EXPECT_ERRNO(EFAULT, raw_export(a, id, NULL, &len));
	len = need;
	EXPECT_ERRNO(EFAULT, raw_export(a, id, KADDR, &len));
	/* whose last byte is on a page it cannot write */
	m = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_SYSOK(mprotect(m + ps, ps, PROT_READ));
	len = need;
	EXPECT_ERRNO(EFAULT, raw_export(a, id, m + ps - (need - 1), &len));
	/* and the same at an odd address that fits */
	len = need;
	EXPECT_SYSOK(raw_export(a, id, m + ps - need, &len));
	EXPECT_EQ(need, len);
	EXPECT_MEMEQ(ref, m + ps - need, need);
	munmap(m, 2 * ps);

	/* none of that touched the job */
	EXPECT_STATE(S_SUSPENDED, fd);
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/*
 * A job's proxy settings and headers, as they change: each export has them
 * (usage, lengths, then the bytes after the error text, in order, no NUL),
 * and each round trip (cancel, import) brings them back byte for byte.
 */
TEST(export_proxy_and_headers)
{
	static const char name[] = "rt: proxy";
	static const struct {
		uint32_t usage;
		const char *list, *bypass, *headers;	/* headers "": none */
	} steps[] = {
		{ KBITS_PROXY_NONE, NULL, NULL, "X-One: 1" },
		{ KBITS_PROXY_OVERRIDE, "http://p.test:3128", NULL, "" },
		{ KBITS_PROXY_OVERRIDE, "p1.test,p2.test", "*.local <local>",
		  "X-A: 1\r\nX-B: two words\r\nX-C: \xe2\x82\xac" },
		{ KBITS_PROXY_OVERRIDE, "\xc3\xa9.test", "b", "A:b" },
		{ KBITS_PROXY_SYSTEM, NULL, NULL, "" },
	};
	int a = agent_attach(), dev = dev_open(), fd, fd2;
	static struct job_view v, v2;
	static struct rec r, r2;
	struct kbits_job_record h;
	struct layout l;
	uint32_t off, ll, bl, hl;
	guid_bytes id;
	size_t i;

	fd = make_job(dev, name, DL, id);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		ll = steps[i].list ? strlen(steps[i].list) : 0;
		bl = steps[i].bypass ? strlen(steps[i].bypass) : 0;
		hl = strlen(steps[i].headers);
		ASSERT_SYSOK(raw_set_proxy(fd, steps[i].usage, steps[i].list,
					   steps[i].bypass));
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS,
					steps[i].headers));
		view_job(fd, &v);
		EXPECT_EQ(steps[i].usage, v.proxy.p.usage);
		EXPECT_EQ(hl ? 0 : -ENODATA, v.hdr_ret);

		export_rec(a, id, &r);
		expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT);
		h = rec_hdr(&r);
		EXPECT_EQ(steps[i].usage, h.proxy_usage);
		EXPECT_EQ(ll, h.proxy_list_len);
		EXPECT_EQ(bl, h.proxy_bypass_len);
		EXPECT_EQ(hl, h.http_headers_len);
		EXPECT_EQ(HDR_SIZE + strlen(name) + ll + bl + hl, r.len);
		rec_layout(&r, &l);
		off = HDR_SIZE + strlen(name);
		EXPECT_EQ(off, l.str_off[R_PROXY]);
		EXPECT_MEMEQ(steps[i].list ?: "", r.b + off, ll);
		off += ll;
		EXPECT_EQ(off, l.str_off[R_BYPASS]);
		EXPECT_MEMEQ(steps[i].bypass ?: "", r.b + off, bl);
		off += bl;
		EXPECT_EQ(off, l.str_off[R_HEADERS]);
		EXPECT_MEMEQ(steps[i].headers, r.b + off, hl);

		/* across a cancel and an import, all of it */
		job_cancel(fd);
		close(fd);
		ASSERT_SYSOK(raw_import(a, r.b, r.len));
		fd2 = raw_get(dev, id);
		ASSERT_SYSOK(fd2);
		view_job(fd2, &v2);
		expect_same_view(&v, &v2);
		export_rec(a, id, &r2);
		ASSERT_EQ(r.len, r2.len);
		EXPECT_MEMEQ(r.b, r2.b, r.len);
		fd = fd2;
	}
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/* KBITS_JOB_DYNAMIC_CONTENT goes into the record, and comes back from it. */
TEST(export_dynamic_content)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r;
	struct kbits_job_record h;
	struct kbits_job_attr at;
	guid_bytes id;

	fd = make_job(dev, "rt: dynamic", DL, id);
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(0, h.flags & KBITS_RECORD_DYNAMIC_CONTENT);

	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.mask = KBITS_ATTR_FLAGS;
	at.flags = KBITS_JOB_DYNAMIC_CONTENT;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &at));
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(KBITS_RECORD_DYNAMIC_CONTENT, h.flags & KBITS_RECORD_DYNAMIC_CONTENT);

	/* across a cancel and an import */
	job_cancel(fd);
	close(fd);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &at));
	EXPECT_EQ(KBITS_JOB_DYNAMIC_CONTENT, at.flags);

	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/*
 * Each file's mode and expected SHA-256 in its struct kbits_record_file, as
 * GET_FILE shows them: the mode 0666 & ~ the umask of who added the file
 * (also through version 0's spec, as an older binary adds them), the
 * digest with KBITS_FILE_SHA256, zeros without.  The agent's progress
 * leaves them be: a completed file keeps its digest and flag.  Across a
 * cancel and an import all of it comes back, byte for byte.
 */
TEST(export_file_mode_and_sha256)
{
	static const struct {
		mode_t umask;
		const uint8_t *sha256;
		uint32_t entry_size;
		uint32_t mode;		/* the file's */
	} files[] = {
		{ 027, sha_abc, KBITS_FILE_SPEC_SIZE_VER1, 0640 },
		{ 027, NULL, KBITS_FILE_SPEC_SIZE_VER1, 0640 },
		{ 0, sha_empty, KBITS_FILE_SPEC_SIZE_VER1, 0666 },
		{ 077, NULL, KBITS_FILE_SPEC_SIZE_VER0, 0600 },
		{ 0777, sha_abc, KBITS_FILE_SPEC_SIZE_VER1, 0 },
		{ 0222, NULL, KBITS_FILE_SPEC_SIZE_VER0, 0444 },
	};
	int a = agent_attach(), dev = dev_open(), fd;
	static struct job_view v, v2;
	static struct rec r, r2;
	struct kbits_record_file f;
	char remote[64], local[64];
	mode_t old;
	guid_bytes id;
	size_t i;

	_Static_assert(ARRAY_SIZE(files) <= RF_MAX, "files");
	fd = make_job(dev, "rt: modes and digests", DL, id);
	old = umask(0);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		umask(files[i].umask);
		nth_names("md", i, remote, local);
		ASSERT_SYSOK(add_spec(fd, remote, local, files[i].sha256,
				      files[i].entry_size));
	}
	umask(old);

	view_job(fd, &v);
	ASSERT_EQ(ARRAY_SIZE(files), v.nfiles);
	export_rec(a, id, &r);
	expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		const uint8_t *sha = files[i].sha256 ?: sha_zero;

		EXPECT_EQ(files[i].mode, v.files[i].f.mode);
		EXPECT_EQ(files[i].sha256 ? SHA : 0, v.files[i].f.flags);
		EXPECT_MEMEQ(sha, v.files[i].f.sha256, KBITS_SHA256_SIZE);
		f = rec_file(&r, i);
		EXPECT_EQ(files[i].mode, f.mode);
		EXPECT_EQ(files[i].sha256 ? SHA : 0, f.flags);
		EXPECT_EQ(0, f.reserved);
		EXPECT_EQ(0, f.reserved2);
		EXPECT_MEMEQ(sha, f.sha256, KBITS_SHA256_SIZE);
	}

	/* the agent completes files 0 and 2 and gets part of 1; suspended */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 3, 3, DONE));
	ASSERT_SYSOK(progress(a, id, 1, 100, 50, 0));
	ASSERT_SYSOK(progress(a, id, 2, 0, 0, DONE));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	EXPECT_STATE(S_SUSPENDED, fd);
	view_job(fd, &v);
	export_rec(a, id, &r);
	expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT);
	f = rec_file(&r, 0);
	EXPECT_EQ(DONE | SHA, f.flags);
	EXPECT_EQ(0640, f.mode);
	EXPECT_MEMEQ(sha_abc, f.sha256, KBITS_SHA256_SIZE);
	f = rec_file(&r, 1);
	EXPECT_EQ(0, f.flags);
	EXPECT_EQ(50, f.bytes_transferred);
	f = rec_file(&r, 2);
	EXPECT_EQ(DONE | SHA, f.flags);
	EXPECT_EQ(0666, f.mode);
	EXPECT_MEMEQ(sha_empty, f.sha256, KBITS_SHA256_SIZE);

	/* across a cancel and an import: the same job, the same bytes */
	job_cancel(fd);
	close(fd);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	view_job(fd, &v2);
	expect_same_view(&v, &v2);
	export_rec(a, id, &r2);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);

	/* a file added to the imported job gets its adder's umask, as ever */
	old = umask(007);
	nth_names("md", ARRAY_SIZE(files), remote, local);
	ASSERT_SYSOK(add_spec(fd, remote, local, sha_empty,
			      KBITS_FILE_SPEC_SIZE_VER1));
	umask(old);
	export_rec(a, id, &r2);
	f = rec_file(&r2, ARRAY_SIZE(files));
	EXPECT_EQ(0660, f.mode);
	EXPECT_EQ(SHA, f.flags);
	EXPECT_MEMEQ(sha_empty, f.sha256, KBITS_SHA256_SIZE);
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/* ------------------------------------------------------- the arguments */

TEST(record_ioctls_only_on_agent_fd)
{
	int a, dev = dev_open(), fd;
	static struct rec r;
	guid_bytes id;
	uint32_t len;
	pid_t pid;

	a = agent_attach();
	fd = make_job(dev, "rt: enotty", DL, id);
	export_rec(a, id, &r);
	job_cancel(fd);
	close(fd);
	fd = make_job(dev, "rt: enotty 2", DL, NULL);

	/* root, with an agent attached and without */
	for (int round = 0; round < 2; round++) {
		struct kbits_agent_record ar = agent_record(id, r.b, r.len);

		len = sizeof(r.b);
		EXPECT_ERRNO(ENOTTY, raw_export(dev, id, r.b, &len));
		EXPECT_ERRNO(ENOTTY, raw_export(fd, id, r.b, &len));
		EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_AGENT_IOC_IMPORT_JOB, &ar));
		EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_IMPORT_JOB, &ar));
		EXPECT_ERRNO(ENOTTY, raw_import(dev, r.b, r.len));
		EXPECT_ERRNO(ENOTTY, raw_import(fd, r.b, r.len));
		EXPECT_ERRNO(ENOENT, raw_get(dev, id));
		if (round == 0)
			close(a);
	}

	/* an unprivileged user, on its own /dev/kbits fd and job fd */
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become(2500);
		udev = dev_open();
		ufd = make_job(udev, "rt: a user's", DL, NULL);
		len = sizeof(r.b);
		EXPECT_ERRNO(ENOTTY, raw_export(udev, id, r.b, &len));
		EXPECT_ERRNO(ENOTTY, raw_export(ufd, id, r.b, &len));
		EXPECT_ERRNO(ENOTTY, raw_import(udev, r.b, r.len));
		EXPECT_ERRNO(ENOTTY, raw_import(ufd, r.b, r.len));
		job_cancel(ufd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));

	/* the agent fd does it */
	a = agent_attach();
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	cancel_id(dev, id);
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

TEST(record_args)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_agent_record ar;
	static struct rec r;
	uint8_t big[128];
	guid_bytes id;

	fd = make_job(dev, "rt: args", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "args"));

	/* EXPORT */
#define EXPORT_REFUSED(err, ...) do {					\
	ar = agent_record(id, r.b, sizeof(r.b));			\
	__VA_ARGS__;							\
	EXPECT_ERRNO(err, ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, &ar));	\
} while (0)
	EXPORT_REFUSED(EINVAL, ar.flags = 1);
	EXPORT_REFUSED(EINVAL, ar.flags = 0x80000000u);
	EXPORT_REFUSED(EINVAL, ar.reserved = 1);
	EXPORT_REFUSED(EINVAL, ar.reserved = 0x80000000u);
	EXPORT_REFUSED(EINVAL, ar.size = 0);
	EXPORT_REFUSED(EINVAL, ar.size = KBITS_AGENT_RECORD_SIZE_VER0 - 1);
	EXPORT_REFUSED(E2BIG, ar.size = page_size() + 1);
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, KADDR));
	/* a larger struct: its tail must be zero */
	memset(big, 0, sizeof(big));
	ar = agent_record(id, r.b, sizeof(r.b));
	memcpy(big, &ar, sizeof(ar));
	((struct kbits_agent_record *)big)->size = sizeof(big);
	big[sizeof(big) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, big));
	big[sizeof(big) - 1] = 0;
	memset(r.b, 'Z', sizeof(r.b));
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, big));
	r.len = ((struct kbits_agent_record *)big)->buf_len;
	EXPECT_EQ(r.len, rec_hdr(&r).length);
	{
		static struct rec r2;

		export_rec(a, id, &r2);
		ASSERT_EQ(r2.len, r.len);
		EXPECT_MEMEQ(r2.b, r.b, r.len);
	}

	/* IMPORT of that record, whose GUID is free once the job is cancelled */
	job_cancel(fd);
	close(fd);
#define IMPORT_REFUSED(err, ...) do {					\
	ar = agent_record(NULL, r.b, r.len);				\
	__VA_ARGS__;							\
	EXPECT_ERRNO(err, ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, &ar));	\
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));				\
} while (0)
	IMPORT_REFUSED(EINVAL, ar.flags = 1);
	IMPORT_REFUSED(EINVAL, ar.flags = 0x80000000u);
	IMPORT_REFUSED(EINVAL, ar.reserved = 1);
	IMPORT_REFUSED(EINVAL, ar.reserved = 0x80000000u);
	IMPORT_REFUSED(EINVAL, ar.size = 0);
	IMPORT_REFUSED(EINVAL, ar.size = KBITS_AGENT_RECORD_SIZE_VER0 - 1);
	IMPORT_REFUSED(E2BIG, ar.size = page_size() + 1);
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, KADDR));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	/* @id means nothing to IMPORT: the record's GUID is the job's */
	{
		guid_bytes other;

		unknown_guid(other);
		ar = agent_record(other, r.b, r.len);
		memcpy(big, &ar, sizeof(ar));
		((struct kbits_agent_record *)big)->size = sizeof(big);
		memset(big + sizeof(ar), 0, sizeof(big) - sizeof(ar));
		big[sizeof(big) - 1] = 1;
		EXPECT_ERRNO(E2BIG, ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, big));
		EXPECT_ERRNO(ENOENT, raw_get(dev, id));
		big[sizeof(big) - 1] = 0;
		ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, big));
		EXPECT_ERRNO(ENOENT, raw_get(dev, other));
	}
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_SUSPENDED, fd);
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/* ------------------------------------------------------------ round trip */

/*
 * A job with everything: description, settings, proxy settings, HTTP
 * headers, three files (one completed by the agent), a transient error.  Its record says what the job fd
 * shows; cancelled and imported, the job fd shows the same again, and the
 * imported job's record is the original's, byte for byte.
 */
TEST(export_cancel_import_round_trip)
{
	int a = agent_attach(), dev = dev_open(), fd, fd2;
	static struct job_view v, v2;
	static struct rec r, r2;
	struct kbits_job_record h;
	struct kbits_record_file f;
	struct layout l;
	guid_bytes id, id2;
	uint32_t len;

	fd = base_job(a, dev, "rt", id);
	view_job(fd, &v);
	/* what the job is, as set up */
	EXPECT_EQ(DL, v.type);
	EXPECT_EQ(S_TRANSIENT, v.state);
	EXPECT_EQ(0, v.owner);
	EXPECT_EQ(KBITS_PRIORITY_HIGH, v.attr.priority);
	EXPECT_EQ(KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR,
		  v.attr.notify_flags);
	EXPECT_EQ(30, v.attr.min_retry_delay);
	EXPECT_EQ(3600, v.attr.no_progress_timeout);
	EXPECT_EQ(1, v.attr.error_count);
	EXPECT_STREQ(base_name, v.name);
	EXPECT_STREQ(base_desc, v.desc);
	EXPECT_EQ(0, v.err_ret);
	EXPECT_EQ(3, v.nfiles);
	EXPECT_EQ(UNKNOWN, v.prog.bytes_total);
	EXPECT_EQ(117, v.prog.bytes_transferred);
	EXPECT_EQ(1, v.prog.files_transferred);
	EXPECT_EQ(KBITS_PROXY_OVERRIDE, v.proxy.p.usage);
	EXPECT_STREQ(base_proxy, v.proxy.list);
	EXPECT_STREQ(base_bypass, v.proxy.bypass);
	EXPECT_EQ(0, v.hdr_ret);
	EXPECT_STREQ(base_headers, v.headers);
	EXPECT_EQ(0644, v.files[0].f.mode);
	EXPECT_EQ(0644, v.files[1].f.mode);
	EXPECT_EQ(0640, v.files[2].f.mode);
	EXPECT_EQ(SHA, v.files[2].f.flags);
	EXPECT_MEMEQ(sha_empty, v.files[2].f.sha256, KBITS_SHA256_SIZE);

	export_rec(a, id, &r);
	expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT);

	/* the layout, spelled out: no padding anywhere */
	h = rec_hdr(&r);
	rec_layout(&r, &l);
	EXPECT_EQ(HDR_SIZE, l.str_off[R_NAME]);
	EXPECT_MEMEQ(base_name, r.b + HDR_SIZE, strlen(base_name));
	EXPECT_MEMEQ(base_desc, r.b + HDR_SIZE + strlen(base_name),
		     strlen(base_desc));
	EXPECT_MEMEQ(base_err, r.b + HDR_SIZE + strlen(base_name) +
		     strlen(base_desc), strlen(base_err));
	/* then the proxy list, the bypass list, the headers: each no NUL */
	len = HDR_SIZE + strlen(base_name) + strlen(base_desc) + strlen(base_err);
	EXPECT_EQ(len, l.str_off[R_PROXY]);
	EXPECT_MEMEQ(base_proxy, r.b + len, strlen(base_proxy));
	len += strlen(base_proxy);
	EXPECT_EQ(len, l.str_off[R_BYPASS]);
	EXPECT_MEMEQ(base_bypass, r.b + len, strlen(base_bypass));
	len += strlen(base_bypass);
	EXPECT_EQ(len, l.str_off[R_HEADERS]);
	EXPECT_MEMEQ(base_headers, r.b + len, strlen(base_headers));
	len += strlen(base_headers);
	EXPECT_EQ(len, l.file_off[0]);
	EXPECT_EQ(KBITS_PROXY_OVERRIDE, h.proxy_usage);
	EXPECT_EQ(strlen(base_proxy), h.proxy_list_len);
	EXPECT_EQ(strlen(base_bypass), h.proxy_bypass_len);
	EXPECT_EQ(strlen(base_headers), h.http_headers_len);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, h.flags);	/* root's */
	EXPECT_EQ(l.file_off[0] + RF_SIZE + strlen("http://example.test/rt/0") +
		  strlen("/tmp/rt/rt/0"), l.file_off[1]);
	EXPECT_MEMEQ("http://example.test/rt/1/tmp/rt/rt/1",
		     r.b + l.file_off[1] + RF_SIZE,
		     strlen("http://example.test/rt/1/tmp/rt/rt/1"));
	EXPECT_EQ(S_TRANSIENT, h.state);
	EXPECT_EQ(KBITS_ERROR_CONTEXT_TRANSPORT, h.error_context);
	EXPECT_EQ(ECONNREFUSED, h.error_code);
	EXPECT_EQ(1, h.error_file_index);
	EXPECT_EQ(3, h.nr_files);
	f = rec_file(&r, 0);
	EXPECT_EQ(100, f.bytes_total);
	EXPECT_EQ(100, f.bytes_transferred);
	EXPECT_EQ(DONE, f.flags);
	EXPECT_EQ(0644, f.mode);
	EXPECT_MEMEQ(sha_zero, f.sha256, KBITS_SHA256_SIZE);
	f = rec_file(&r, 1);
	EXPECT_EQ(1000, f.bytes_total);
	EXPECT_EQ(10, f.bytes_transferred);
	EXPECT_EQ(0, f.flags);
	EXPECT_EQ(0644, f.mode);
	EXPECT_MEMEQ(sha_zero, f.sha256, KBITS_SHA256_SIZE);
	f = rec_file(&r, 2);
	EXPECT_EQ(UNKNOWN, f.bytes_total);
	EXPECT_EQ(7, f.bytes_transferred);
	EXPECT_EQ(SHA, f.flags);
	EXPECT_EQ(0640, f.mode);
	EXPECT_EQ(0, f.reserved2);
	EXPECT_MEMEQ(sha_empty, f.sha256, KBITS_SHA256_SIZE);
	/* each file's names right after its struct, digest and all */
	EXPECT_MEMEQ("http://example.test/rt/2/tmp/rt/rt/2",
		     r.b + l.file_off[2] + RF_SIZE,
		     strlen("http://example.test/rt/2/tmp/rt/rt/2"));
	EXPECT_EQ(r.len, l.file_off[2] + RF_SIZE +
		  strlen("http://example.test/rt/2/tmp/rt/rt/2"));

	/* cancelled: out of the queue, and no longer exported */
	job_cancel(fd);
	len = sizeof(r2.b);
	EXPECT_ERRNO(ENOENT, raw_export(a, id, r2.b, &len));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));

	/* imported while the cancelled job's fd is still open */
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	ASSERT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_GET_ID, id2));
	EXPECT_MEMEQ(id, id2, KBITS_GUID_SIZE);
	view_job(fd2, &v2);
	expect_same_view(&v, &v2);
	/* the old fd is still the cancelled job's */
	EXPECT_STATE(S_CANCELLED, fd);

	/* and its record is the same, byte for byte (times included) */
	export_rec(a, id, &r2);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);

	/* a job like any other: the agent takes it, and goes on */
	ASSERT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_RESUME));
	EXPECT_STATE(S_QUEUED, fd2);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 1, 1000, 1000, DONE));
	EXPECT_STATE(S_TRANSFERRING, fd2);

	job_cancel(fd2);
	close(fd2);
	close(fd);
	close(a);
	close(dev);
}

/* CONNECTING and TRANSFERRING: no agent holds the imported job. */
TEST(import_taken_job_is_queued)
{
	int a = agent_attach(), dev = dev_open(), fd, cfd;
	static struct rec r, rc, r2;
	struct kbits_job_record h;
	guid_bytes id, cid;

	fd = make_job(dev, "rt: transferring", DL, id);
	ASSERT_SYSOK(add_n(fd, 2, "tr"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 500, 200, 0));
	EXPECT_STATE(S_TRANSFERRING, fd);
	cfd = make_job(dev, "rt: connecting", DL, cid);
	ASSERT_SYSOK(add_n(cfd, 1, "co"));
	ASSERT_SYSOK(ioctl(cfd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, cid));
	EXPECT_STATE(S_CONNECTING, cfd);

	export_rec(a, id, &r);
	EXPECT_EQ(S_TRANSFERRING, rec_hdr(&r).state);
	export_rec(a, cid, &rc);
	EXPECT_EQ(S_CONNECTING, rec_hdr(&rc).state);
	job_cancel(fd);
	close(fd);
	job_cancel(cfd);
	close(cfd);

	/* back QUEUED, the rest as it was */
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_QUEUED, fd);
	export_rec(a, id, &r2);
	h = rec_hdr(&r2);
	EXPECT_EQ(S_QUEUED, h.state);
	rec_set_state(&r2, S_TRANSFERRING);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);
	ASSERT_SYSOK(raw_import(a, rc.b, rc.len));
	cfd = raw_get(dev, cid);
	ASSERT_SYSOK(cfd);
	EXPECT_STATE(S_QUEUED, cfd);

	/* the agent takes them afresh */
	EXPECT_ERRNO(EBADFD, progress(a, id, 0, 500, 300, 0));
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	ASSERT_SYSOK(progress(a, id, 0, 500, 300, 0));
	EXPECT_STATE(S_TRANSFERRING, fd);
	ASSERT_SYSOK(take(a, cid));
	EXPECT_STATE(S_CONNECTING, cfd);

	job_cancel(fd);
	close(fd);
	job_cancel(cfd);
	close(cfd);
	close(a);
	close(dev);
}

/* TRANSFERRED comes back TRANSFERRED, with its completion time. */
TEST(import_transferred_job)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r, r2;
	struct kbits_job_attr attr;
	guid_bytes id;
	uint32_t len;

	fd = make_job(dev, "rt: transferred", DL, id);
	ASSERT_SYSOK(add_n(fd, 2, "td"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 10, 10, DONE));
	ASSERT_SYSOK(progress(a, id, 1, 0, 0, DONE));
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_STATE(S_TRANSFERRED, fd);
	get_attr(fd, &attr);
	EXPECT_NE(0, attr.completion_time);
	export_rec(a, id, &r);
	EXPECT_EQ(S_TRANSFERRED, rec_hdr(&r).state);
	EXPECT_EQ(attr.completion_time, rec_hdr(&r).completion_time);
	job_cancel(fd);
	close(fd);

	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_TRANSFERRED, fd);
	export_rec(a, id, &r2);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);

	/* its user acknowledges it: final, out of the queue */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_STATE(S_ACK, fd);
	len = sizeof(r2.b);
	EXPECT_ERRNO(ENOENT, raw_export(a, id, r2.b, &len));
	/* a record of a final job is refused */
	rec_set_state(&r2, S_ACK);
	EXPECT_REFUSED(a, dev, r2.b, r2.len, id, EINVAL, 0, "state ACKNOWLEDGED");
	rec_set_state(&r2, S_CANCELLED);
	EXPECT_REFUSED(a, dev, r2.b, r2.len, id, EINVAL, 0, "state CANCELLED");
	close(fd);
	close(a);
	close(dev);
}

/* Upload jobs (one file at most) and a job with neither files nor error. */
TEST(import_types)
{
	static const uint32_t types[] = { DL, UP, UR };
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r, r2;
	guid_bytes id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		for (int nfiles = 0; nfiles < 2; nfiles++) {
			fd = make_job(dev, "rt: types", types[i], id);
			if (nfiles)
				ASSERT_SYSOK(add_n(fd, 1, "ty"));
			export_rec(a, id, &r);
			EXPECT_EQ(types[i], rec_hdr(&r).type);
			EXPECT_EQ(nfiles, rec_hdr(&r).nr_files);
			job_cancel(fd);
			close(fd);
			ASSERT_SYSOK(raw_import(a, r.b, r.len));
			fd = raw_get(dev, id);
			ASSERT_SYSOK(fd);
			EXPECT_EQ(types[i], job_type(fd));
			EXPECT_STATE(S_SUSPENDED, fd);
			export_rec(a, id, &r2);
			ASSERT_EQ(r.len, r2.len);
			EXPECT_MEMEQ(r.b, r2.b, r.len);
			job_cancel(fd);
			close(fd);
		}
	}
	close(a);
	close(dev);
}

/* ENUM_JOBS of the caller's own jobs: is @id among them? */
static bool enum_has(int dev, const uint8_t *id)
{
	static struct kbits_job_id ids[64];
	struct kbits_enum_jobs e;
	bool found = false;
	uint32_t i;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	do {
		e.ids = (uintptr_t)ids;
		e.count = ARRAY_SIZE(ids);
		ASSERT_SYSOK(ioctl(dev, KBITS_IOC_ENUM_JOBS, &e));
		for (i = 0; i < e.count; i++)
			if (!memcmp(ids[i].id, id, KBITS_GUID_SIZE))
				found = true;
	} while (e.cursor != KBITS_ENUM_END);
	return found;
}

/* An unprivileged user's job keeps its owner. */
TEST(import_keeps_owner)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r, r2;
	guid_bytes id;
	pid_t pid;

	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become(2530);
		udev = dev_open();
		ufd = make_job(udev, "rt: a user's job", DL, ures->id);
		ASSERT_SYSOK(add_n(ufd, 2, "own"));
		ASSERT_SYSOK(ioctl(ufd, KBITS_JOB_IOC_RESUME));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, ures->id, KBITS_GUID_SIZE);

	export_rec(a, id, &r);
	EXPECT_EQ(2530, rec_hdr(&r).owner);
	EXPECT_EQ(S_QUEUED, rec_hdr(&r).state);
	cancel_id(dev, id);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2530, job_owner(fd));
	EXPECT_STATE(S_QUEUED, fd);
	export_rec(a, id, &r2);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);

	/* its owner has it again, as before */
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		close(a);
		become(2530);
		udev = dev_open();
		ufd = raw_get(udev, id);
		ASSERT_SYSOK(ufd);
		EXPECT_EQ(2530, job_owner(ufd));
		EXPECT_STATE(S_QUEUED, ufd);
		EXPECT_TRUE(enum_has(udev, id));
		EXPECT_SYSOK(ioctl(ufd, KBITS_JOB_IOC_SUSPEND));
		EXPECT_STATE(S_SUSPENDED, ufd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_STATE(S_SUSPENDED, fd);

	/* and nobody else */
	pid = th_fork();
	if (pid == 0) {
		int udev;

		close(a);
		become(2531);
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, id));
		EXPECT_FALSE(enum_has(udev, id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/*
 * A job made in a user namespace: its owner as a uid of the initial one,
 * and the record says it was made in other namespaces than the agent's.
 * IMPORT makes it without namespaces (a reload must not move a container's
 * job into the host's): its owner cannot get it, nor the agent its
 * namespaces (ESTALE), until an administrator takes it over.
 */
TEST(import_owner_from_userns)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_agent_job_ns ns;
	static struct rec r;
	guid_bytes id;
	pid_t pid;

	pid = th_fork();
	if (pid == 0) {
		int udev;

		close(a);
		enter_userns_as(2540);
		udev = dev_open();
		make_job(udev, "rt: from a userns", DL, ures->id);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, ures->id, KBITS_GUID_SIZE);
	export_rec(a, id, &r);
	EXPECT_EQ(2540, rec_hdr(&r).owner);
	EXPECT_EQ(KBITS_RECORD_FOREIGN_NS, rec_hdr(&r).flags);
	cancel_id(dev, id);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2540, job_owner(fd));
	memset(&ns, 0, sizeof(ns));
	ns.size = sizeof(ns);
	memcpy(ns.id, id, KBITS_GUID_SIZE);
	ns.kind = KBITS_JOB_NS_NET;
	EXPECT_ERRNO(ESTALE, ioctl(a, KBITS_AGENT_IOC_JOB_NS, &ns));
	ns.kind = KBITS_JOB_NS_ROOT;
	EXPECT_ERRNO(ESTALE, ioctl(a, KBITS_AGENT_IOC_JOB_NS, &ns));
	/* and it stays foreign across another round */
	{
		static struct rec r2;

		export_rec(a, id, &r2);
		ASSERT_EQ(r.len, r2.len);
		EXPECT_MEMEQ(r.b, r2.b, r.len);
	}

	/*
	 * Its owner gets it from the initial user namespace, wherever it is
	 * (the job cannot run until an administrator takes it over), and
	 * may cancel it; the cancel is then refused to root's fd.
	 */
	pid = th_fork();
	if (pid == 0) {
		int own;

		close(a);
		become(2540);
		own = raw_get(dev_open(), id);
		EXPECT_SYSOK(own);
		if (own >= 0)
			EXPECT_SYSOK(ioctl(own, KBITS_JOB_IOC_CANCEL));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_CANCEL));
	if (job_state(fd) != KBITS_JOB_STATE_CANCELLED)
		job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/* A GUID that is queued already: EEXIST, and the queued job is untouched. */
TEST(import_eexist)
{
	int a = agent_attach(), dev = dev_open(), fd, fd2;
	static struct rec r, r2;
	char desc[KBITS_DESCRIPTION_MAX + 16];
	struct kbits_job_attr attr;
	guid_bytes id;

	fd = make_job(dev, "rt: exists", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "ex"));
	export_rec(a, id, &r);
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "changed since"));
	get_attr(fd, &attr);

	EXPECT_ERRNO(EEXIST, raw_import(a, r.b, r.len));
	get_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, desc, sizeof(desc));
	EXPECT_STREQ("changed since", desc);
	EXPECT_STATE(S_SUSPENDED, fd);
	/* in any state it is queued in */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_ERRNO(EEXIST, raw_import(a, r.b, r.len));
	ASSERT_SYSOK(take(a, id));
	EXPECT_ERRNO(EEXIST, raw_import(a, r.b, r.len));
	ASSERT_SYSOK(progress(a, id, 0, 10, 1, 0));
	EXPECT_ERRNO(EEXIST, raw_import(a, r.b, r.len));
	EXPECT_STATE(S_TRANSFERRING, fd);
	EXPECT_ERRNO(EEXIST, raw_import(a, r.b, r.len));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	EXPECT_STATE(S_TRANSFERRING, fd2);
	close(fd2);

	/* cancelled: free; imported twice: EEXIST the second time */
	job_cancel(fd);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	EXPECT_ERRNO(EEXIST, raw_import(a, r.b, r.len));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	EXPECT_STATE(S_SUSPENDED, fd2);
	get_string(fd2, KBITS_JOB_IOC_GET_DESCRIPTION, desc, sizeof(desc));
	EXPECT_STREQ("", desc);
	export_rec(a, id, &r2);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);
	job_cancel(fd2);
	close(fd2);
	close(fd);
	close(a);
	close(dev);
}

/* --------------------------------------------------------------- limits */

/* @uid makes a job in a child: 0 (its GUID to @id) or -errno. */
static long user_create(uid_t uid, uint8_t *id)
{
	pid_t pid;

	ures->ret = -12345;
	pid = th_fork();
	if (pid == 0) {
		static const char name[] = "rt: charged";
		struct kbits_create_job c;
		int udev, fd;

		become(uid);
		udev = dev_open();
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.type = DL;
		c.name_len = strlen(name);
		c.name = (uintptr_t)name;
		fd = ioctl(udev, KBITS_IOC_CREATE_JOB, &c);
		if (fd >= 0) {
			log_job(c.id);
			memcpy(ures->id, c.id, KBITS_GUID_SIZE);
			ures->ret = 0;
		} else {
			ures->ret = -errno;
		}
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	if (!ures->ret && id)
		memcpy(id, ures->id, KBITS_GUID_SIZE);
	return ures->ret;
}

/* Charged to its owner, past the owner's limit. */
TEST(import_charged_to_owner)
{
	int a = agent_attach(), dev = dev_open();
	guid_bytes ja, jb, jc, jd;
	static struct rec r;

	param_set("max_jobs_per_user", 2);
	ASSERT_EQ(0, user_create(2520, ja));
	ASSERT_EQ(0, user_create(2520, jb));
	EXPECT_EQ(-EDQUOT, user_create(2520, NULL));
	export_rec(a, ja, &r);
	/* cancelled, but not yet read by the agent: it counts still */
	cancel_id(dev, ja);
	EXPECT_EQ(-EDQUOT, user_create(2520, NULL));
	EXPECT_GT(read_events(a), 0);
	ASSERT_EQ(0, user_create(2520, jc));

	/* at its limit: the import works all the same */
	EXPECT_SYSOK(raw_import(a, r.b, r.len));
	EXPECT_SYSOK(close(raw_get(dev, ja)));

	/* and counts: three jobs, one over */
	EXPECT_EQ(-EDQUOT, user_create(2520, NULL));
	cancel_read(a, dev, jb);
	EXPECT_EQ(-EDQUOT, user_create(2520, NULL));
	cancel_read(a, dev, jc);
	ASSERT_EQ(0, user_create(2520, jd));
	EXPECT_EQ(-EDQUOT, user_create(2520, NULL));
	cancel_read(a, dev, ja);
	cancel_read(a, dev, jd);
	/* all gone: the user has its two again */
	ASSERT_EQ(0, user_create(2520, ja));
	ASSERT_EQ(0, user_create(2520, jb));
	cancel_read(a, dev, ja);
	cancel_read(a, dev, jb);
	close(a);
	close(dev);
}

/* Charged against the system-wide limit too, past it. */
TEST(import_charged_past_max_jobs)
{
	int a = agent_attach(), dev = dev_open();
	guid_bytes je, jf, jg;
	static struct rec r;

	param_set("max_jobs_per_user", 100);
	param_set("max_jobs", 1);
	ASSERT_EQ(0, user_create(2521, je));
	EXPECT_EQ(-ENOSPC, user_create(2522, NULL));
	export_rec(a, je, &r);
	cancel_read(a, dev, je);
	ASSERT_EQ(0, user_create(2521, jf));

	EXPECT_SYSOK(raw_import(a, r.b, r.len));
	EXPECT_SYSOK(close(raw_get(dev, je)));
	EXPECT_EQ(-ENOSPC, user_create(2522, NULL));
	cancel_read(a, dev, jf);
	/* the imported job still fills the one place */
	EXPECT_EQ(-ENOSPC, user_create(2522, NULL));
	cancel_read(a, dev, je);
	ASSERT_EQ(0, user_create(2522, jg));
	cancel_read(a, dev, jg);
	close(a);
	close(dev);
}

/* What IMPORT takes, whatever max_files_per_job says (KBITS_FILES_PER_JOB_LIMIT). */
#define FILES_LIMIT	65536

/*
 * The longest record IMPORT takes: every string at its longest and
 * FILES_LIMIT files with the longest names (but no more than kvmalloc()
 * takes); a longer buf_len is E2BIG.
 */
static size_t largest_record(void)
{
	size_t max = HDR_SIZE + KBITS_DISPLAY_NAME_MAX + KBITS_DESCRIPTION_MAX +
		     KBITS_ERROR_TEXT_MAX + 2 * KBITS_PROXY_LIST_MAX +
		     KBITS_HTTP_HEADERS_MAX + KBITS_NOTIFY_CMD_MAX +
		     /* version 3: a reply file's name, 8 credentials */
		     KBITS_LOCAL_NAME_MAX +
		     8 * (sizeof(struct kbits_record_cred) + KBITS_CRED_USER_MAX +
			  KBITS_CRED_PASSWORD_MAX) +
		     (size_t)FILES_LIMIT * (RF_SIZE + KBITS_REMOTE_NAME_MAX +
					    KBITS_LOCAL_NAME_MAX);

	return max < INT_MAX ? max : INT_MAX;
}

/*
 * A record of job @id (uid 2591's, SUSPENDED, not exempt) with @nfiles
 * files of short names, into @buf; its length.
 */
static const char many_remote[] = "http://example.test/f";
static const char many_local[] = "/tmp/rt/many";

static size_t many_files_record(uint8_t *buf, uint32_t nfiles,
				const uint8_t *id)
{
	static const char name[] = "rt: many files";
	struct kbits_job_record h;
	uint8_t *p = buf;
	uint32_t i;

	memset(&h, 0, sizeof(h));
	h.magic = KBITS_RECORD_MAGIC;
	h.version = KBITS_RECORD_VERSION;
	h.header_size = HDR_SIZE;
	h.file_size = RF_SIZE;
	memcpy(h.id, id, KBITS_GUID_SIZE);
	h.owner = 2591;
	h.type = DL;
	h.state = S_SUSPENDED;
	h.priority = KBITS_PRIORITY_NORMAL;
	h.notify_flags = KBITS_NOTIFY_ALL;
	h.min_retry_delay = 600;
	h.no_progress_timeout = 0;
	h.creation_time = 1600000000;
	h.modification_time = 1600000001;
	h.nr_files = nfiles;
	h.display_name_len = strlen(name);
	h.proxy_usage = KBITS_PROXY_SYSTEM;
	p += sizeof(h);
	memcpy(p, name, strlen(name));
	p += strlen(name);
	for (i = 0; i < nfiles; i++) {
		struct kbits_record_file f = {
			.bytes_total = 100,
			.bytes_transferred = i % 101,
			.remote_len = strlen(many_remote),
			.local_len = strlen(many_local),
			.mode = 0644,
		};

		memcpy(p, &f, sizeof(f));
		p += sizeof(f);
		memcpy(p, many_remote, strlen(many_remote));
		p += strlen(many_remote);
		memcpy(p, many_local, strlen(many_local));
		p += strlen(many_local);
	}
	h.length = p - buf;
	memcpy(buf, &h, sizeof(h));
	return p - buf;
}

/*
 * A job exported before max_files_per_job was lowered imports all the
 * same: IMPORT takes up to FILES_LIMIT files whatever the parameter says
 * (the job keeps them, and ADD_FILES keeps to the parameter); a record of
 * more files than that is refused.
 */
TEST_TIMEOUT(import_max_files_per_job, 120)
{
	static const guid_bytes many_id = {
		0x72, 0x74, 0x2d, 0x6d, 0x61, 0x6e, 0x79, 0x2d,
		0x66, 0x69, 0x6c, 0x65, 0x73, 0x21, 0x21, 0x21,
	};
	int a = agent_attach(), dev = dev_open(), fd;
	size_t cap = HDR_SIZE + 64 + (size_t)(FILES_LIMIT + 1) *
		     (RF_SIZE + strlen(many_remote) + strlen(many_local));
	struct kbits_job_progress prog;
	static struct rec r;
	uint8_t *buf, *out;
	uint32_t len;
	size_t n;
	guid_bytes id;

	base_record(a, dev, "mf", &r, id);	/* 3 files */
	param_set("max_files_per_job", 2);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_TRANSIENT,
			"3 files, max_files_per_job 2");
	param_set("max_files_per_job", 1);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	get_progress(fd, &prog);
	EXPECT_EQ(3, prog.files_total);
	EXPECT_ERRNO(E2BIG, add_n(fd, 1, "mf"));
	param_set("max_files_per_job", 4);
	EXPECT_SYSOK(add_n(fd, 1, "mf"));
	EXPECT_ERRNO(E2BIG, add_n(fd, 1, "mf"));
	job_cancel(fd);
	close(fd);

	/* FILES_LIMIT files, max_files_per_job 1: imported, and exported back */
	log_job(many_id);
	param_set("max_files_per_job", 1);
	buf = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	out = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED && out != MAP_FAILED);
	n = many_files_record(buf, FILES_LIMIT, many_id);
	ASSERT_LE(n, cap);
	ASSERT_SYSOK(raw_import(a, buf, n));
	fd = raw_get(dev, many_id);
	ASSERT_SYSOK(fd);
	get_progress(fd, &prog);
	EXPECT_EQ(FILES_LIMIT, prog.files_total);
	EXPECT_EQ(100ull * FILES_LIMIT, prog.bytes_total);
	len = cap;
	ASSERT_SYSOK(raw_export(a, many_id, out, &len));
	ASSERT_EQ(n, len);
	EXPECT_MEMEQ(buf, out, n);
	job_cancel(fd);
	close(fd);

	/* a file more: refused, whatever max_files_per_job says */
	n = many_files_record(buf, FILES_LIMIT + 1, many_id);
	ASSERT_LE(n, cap);
	EXPECT_REFUSED(a, dev, buf, n, many_id, EINVAL, 0,
		       "%u files, max_files_per_job 1", FILES_LIMIT + 1);
	param_set("max_files_per_job", FILES_LIMIT);
	EXPECT_REFUSED(a, dev, buf, n, many_id, EINVAL, 0,
		       "%u files, max_files_per_job %u", FILES_LIMIT + 1,
		       FILES_LIMIT);
	munmap(buf, cap);
	munmap(out, cap);
	close(a);
	close(dev);
}

/* The parameter itself: 1 to FILES_LIMIT; anything else is refused. */
static int param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t w;
	int fd, e;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_SYSOK(fd);
	w = write(fd, val, strlen(val));
	e = errno;
	close(fd);
	return w == (ssize_t)strlen(val) ? 0 : w < 0 ? e : EIO;
}

TEST(max_files_per_job_param)
{
	static const char * const refused[] = {
		"0\n", "65537\n", "4294967295\n", "-1\n", "x\n", "\n",
	};
	size_t i;
	int e;

	param_set("max_files_per_job", 7);
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		e = param_write("max_files_per_job", refused[i]);

		if (e != EINVAL)
			TH_LOG("writing \"%.*s\": %s, expected EINVAL",
			       (int)strlen(refused[i]) - 1, refused[i],
			       th_errname(e));
		EXPECT_EQ(EINVAL, e);
		/* and it is as it was */
		EXPECT_EQ(7, param_get("max_files_per_job"));
	}
	/* no u32 at all: what kstrtouint() says, ERANGE */
	e = param_write("max_files_per_job", "4294967296\n");
	EXPECT_TRUE(e == ERANGE || e == EINVAL);
	EXPECT_EQ(7, param_get("max_files_per_job"));

	EXPECT_EQ(0, param_write("max_files_per_job", "65536\n"));
	EXPECT_EQ(FILES_LIMIT, param_get("max_files_per_job"));
	EXPECT_EQ(0, param_write("max_files_per_job", "1\n"));
	EXPECT_EQ(1, param_get("max_files_per_job"));
	EXPECT_EQ(0, param_write("max_files_per_job", "0x10\n"));
	EXPECT_EQ(16, param_get("max_files_per_job"));
	/* the default again (th_after_each restores it too) */
	param_set("max_files_per_job", orig_max_files);
	EXPECT_EQ(orig_max_files, param_get("max_files_per_job"));
}

/*
 * KBITS_RECORD_EXEMPT: a job that did not count against the limits (root
 * made it, or took it over) does not after IMPORT either, whoever owns it;
 * a job without the flag counts against its owner, past the limits.
 */
TEST(import_exempt_not_charged)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec ra, rb, rx;
	struct kbits_job_record h;
	guid_bytes ja, jb, jc, jd, jx;

	param_set("max_jobs_per_user", 2);
	/* a user's jobs are not exempt */
	ASSERT_EQ(0, user_create(2550, ja));
	ASSERT_EQ(0, user_create(2550, jb));
	export_rec(a, ja, &ra);
	export_rec(a, jb, &rb);
	EXPECT_EQ(0, rec_hdr(&ra).flags);
	EXPECT_EQ(0, rec_hdr(&rb).flags);
	cancel_read(a, dev, ja);
	cancel_read(a, dev, jb);

	/* one root took over is: exempt, and its record says so */
	ASSERT_EQ(0, user_create(2551, jx));
	fd = raw_get(dev, jx);
	ASSERT_SYSOK(fd);
	{
		int nfd = ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP);

		ASSERT_SYSOK(nfd);	/* the new fd; this one is revoked */
		close(fd);
		fd = nfd;
	}
	export_rec(a, jx, &rx);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, rec_hdr(&rx).flags);
	EXPECT_EQ(0, rec_hdr(&rx).owner);
	job_cancel(fd);
	close(fd);

	/* marked exempt, the user's two import and do not count */
	h = rec_hdr(&ra);
	h.flags = KBITS_RECORD_EXEMPT;
	rec_set_hdr(&ra, &h);
	h = rec_hdr(&rb);
	h.flags = KBITS_RECORD_EXEMPT;
	rec_set_hdr(&rb, &h);
	ASSERT_SYSOK(raw_import(a, ra.b, ra.len));
	ASSERT_SYSOK(raw_import(a, rb.b, rb.len));
	ASSERT_EQ(0, user_create(2550, jc));
	ASSERT_EQ(0, user_create(2550, jd));
	EXPECT_EQ(-EDQUOT, user_create(2550, NULL));
	/* and stay exempt: their records have the flag again */
	{
		static struct rec got;

		export_rec(a, ja, &got);
		ASSERT_EQ(ra.len, got.len);
		EXPECT_MEMEQ(ra.b, got.b, ra.len);
	}
	cancel_read(a, dev, jc);
	cancel_read(a, dev, jd);
	cancel_read(a, dev, ja);
	cancel_read(a, dev, jb);

	/* without the flag: they count, and the user is at its limit */
	h = rec_hdr(&ra);
	h.flags = 0;
	rec_set_hdr(&ra, &h);
	h = rec_hdr(&rb);
	h.flags = 0;
	rec_set_hdr(&rb, &h);
	ASSERT_SYSOK(raw_import(a, ra.b, ra.len));
	ASSERT_SYSOK(raw_import(a, rb.b, rb.len));
	EXPECT_EQ(-EDQUOT, user_create(2550, NULL));
	cancel_read(a, dev, ja);
	ASSERT_EQ(0, user_create(2550, jc));
	EXPECT_EQ(-EDQUOT, user_create(2550, NULL));
	cancel_read(a, dev, jb);
	cancel_read(a, dev, jc);
	close(a);
	close(dev);
}

/* --------------------------------------------------------- corruptions */

enum mop {
	M_NONE,
	M_HDR,		/* header field at @off (@width bytes) = @val */
	M_HDR_ADD,	/* header field at @off += @val */
	M_FILE,		/* field at @off of file @file's struct = @val */
	M_FILE_ADD,	/* field at @off of file @file's struct += @val */
	M_FILE_BYTE,	/* byte at @off of file @file's struct = @val */
	M_STR,		/* string @str (of @file) = @s, then @unit @rep times */
	M_NO_ERROR_CONTEXT,	/* error context, code, file index 0; text kept */
	M_NO_ERROR,	/* no error at all: context, code, file index 0, no text */
	M_APPEND,	/* a byte more at the end, and length says so */
	M_TRUNCATE,	/* a byte less at the end, and length says so */
	M_BUF_LONGER,	/* buf_len a byte past length (a valid byte) */
	M_BUF_SHORTER,	/* buf_len a byte short of length */
	M_PROXY,	/* proxy_usage = @val; drop the list (@rep & 1), the bypass (& 2) */
};

struct mutation {
	const char *what;
	enum mop op;
	uint32_t off, width, file;
	uint64_t val;
	enum rstr str;
	const char *s;
	uint32_t slen;
	const char *unit;
	uint32_t rep;
};

#define HDR_OFF(f)	offsetof(struct kbits_job_record, f)
#define HDR_W(f)	sizeof(((struct kbits_job_record *)0)->f)
#define FILE_OFF(f)	offsetof(struct kbits_record_file, f)
#define FILE_W(f)	sizeof(((struct kbits_record_file *)0)->f)

#define H(f, v)		{ .what = #f " = " #v, .op = M_HDR,			\
			  .off = HDR_OFF(f), .width = HDR_W(f), .val = (uint64_t)(v) }
#define HADD(f, v)	{ .what = #f " += " #v, .op = M_HDR_ADD,		\
			  .off = HDR_OFF(f), .width = HDR_W(f), .val = (uint64_t)(v) }
#define F(i, f, v)	{ .what = "file " #i " " #f " = " #v, .op = M_FILE,	\
			  .off = FILE_OFF(f), .width = FILE_W(f), .file = i,	\
			  .val = (uint64_t)(v) }
#define FADD(i, f, v)	{ .what = "file " #i " " #f " += " #v, .op = M_FILE_ADD, \
			  .off = FILE_OFF(f), .width = FILE_W(f), .file = i,	\
			  .val = (uint64_t)(v) }
/* string @w of file @i: the bytes of literal @lit, then @u @n times */
#define STR(w, i, lit, u, n) { .what = #w " of file " #i " = " #lit " + " #n " x " #u, \
			  .op = M_STR, .file = i, .str = w, .s = lit,		\
			  .slen = sizeof(lit) - 1, .unit = u, .rep = n }
/* byte @at of file @i's digest */
#define FSHA(i, at, v)	{ .what = "file " #i " sha256[" #at "] = " #v,	\
			  .op = M_FILE_BYTE, .off = FILE_OFF(sha256) + (at),	\
			  .width = 1, .file = i, .val = (uint64_t)(v) }
#define OP(o)		{ .what = #o, .op = o }
#define PROXY(u, drop)	{ .what = "proxy_usage = " #u ", drop " #drop,	\
			  .op = M_PROXY, .val = u, .rep = drop }
#define PX_LIST		1
#define PX_BYPASS	2

static void poke(struct rec *r, size_t at, uint32_t width, uint64_t val, bool add)
{
	ASSERT_LE(at + width, r->len);
	if (width == 4) {
		uint32_t v;

		memcpy(&v, r->b + at, 4);
		v = add ? v + (uint32_t)val : (uint32_t)val;
		memcpy(r->b + at, &v, 4);
	} else {
		uint64_t v;

		ASSERT_EQ(8, width);
		memcpy(&v, r->b + at, 8);
		v = add ? v + val : val;
		memcpy(r->b + at, &v, 8);
	}
}

/* Applies @m to @r; the buf_len to import it with. */
static uint32_t apply(const struct mutation *m, struct rec *r)
{
	static char s[KBITS_HTTP_HEADERS_MAX + 64];
	struct kbits_job_record h;
	struct layout l;
	uint32_t n, i;

	switch (m->op) {
	case M_NONE:
		break;
	case M_HDR:
	case M_HDR_ADD:
		poke(r, m->off, m->width, m->val, m->op == M_HDR_ADD);
		break;
	case M_FILE:
	case M_FILE_ADD:
		rec_layout(r, &l);
		ASSERT_LT(m->file, l.nr_files);
		poke(r, l.file_off[m->file] + m->off, m->width, m->val,
		     m->op == M_FILE_ADD);
		break;
	case M_FILE_BYTE:
		rec_layout(r, &l);
		ASSERT_LT(m->file, l.nr_files);
		ASSERT_LT(m->off, RF_SIZE);
		r->b[l.file_off[m->file] + m->off] = (uint8_t)m->val;
		break;
	case M_STR:
		n = m->slen;
		ASSERT_LE(n, sizeof(s));
		memcpy(s, m->s, n);
		for (i = 0; i < m->rep; i++) {
			size_t u = strlen(m->unit);

			ASSERT_LE(n + u, sizeof(s));
			memcpy(s + n, m->unit, u);
			n += u;
		}
		rec_put_str(r, m->str, m->file, s, n);
		break;
	case M_NO_ERROR_CONTEXT:
		h = rec_hdr(r);
		h.error_context = KBITS_ERROR_CONTEXT_NONE;
		h.error_code = 0;
		h.error_file_index = 0;
		ASSERT_NE(0, h.error_text_len);
		rec_set_hdr(r, &h);
		break;
	case M_NO_ERROR:
		rec_put_str(r, R_ERR, 0, "", 0);
		h = rec_hdr(r);
		h.error_context = KBITS_ERROR_CONTEXT_NONE;
		h.error_code = 0;
		h.error_file_index = 0;
		rec_set_hdr(r, &h);
		break;
	case M_APPEND:
		r->b[r->len++] = 'x';
		rec_fix_length(r);
		break;
	case M_TRUNCATE:
		r->len--;
		rec_fix_length(r);
		break;
	case M_BUF_LONGER:
		r->b[r->len] = 'x';
		return r->len + 1;
	case M_BUF_SHORTER:
		return r->len - 1;
	case M_PROXY:
		if (m->rep & PX_LIST)
			rec_put_str(r, R_PROXY, 0, "", 0);
		if (m->rep & PX_BYPASS)
			rec_put_str(r, R_BYPASS, 0, "", 0);
		h = rec_hdr(r);
		h.proxy_usage = (uint32_t)m->val;
		rec_set_hdr(r, &h);
		break;
	}
	return r->len;
}

/*
 * One change at a time to the base record, each of which IMPORT must
 * refuse with EINVAL.  The base: name, description, error text, an OVERRIDE
 * proxy list and bypass list, HTTP headers; files 0 (100/100, COMPLETED,
 * 0644), 1 (10/1000, 0644), 2 (7/unknown, 0640, a digest); error on file 1.
 */
static const struct mutation corruptions[] = {
	/* the header's frame */
	H(magic, 0),
	H(magic, KBITS_RECORD_MAGIC + 1),
	H(magic, 0x4b425453),		/* the other byte order */
	H(version, 0),
	H(version, 4),
	H(version, ~0u),
	H(version, 1),			/* version 1 with the current header */
	H(version, 2),			/* version 2 with the current header */
	H(header_size, 0),
	H(header_size, 112),
	H(header_size, 119),
	H(header_size, 121),
	H(header_size, 128),
	H(header_size, 137),
	H(header_size, 135),
	H(header_size, 143),
	H(header_size, 145),
	H(header_size, 151),
	H(header_size, 153),
	H(header_size, 160),
	H(header_size, 167),
	H(header_size, 169),
	H(header_size, 176),
	H(header_size, KBITS_JOB_RECORD_SIZE_VER3),	/* version 2's header */
	H(header_size, KBITS_JOB_RECORD_SIZE_VER0),	/* version 1's headers */
	H(header_size, KBITS_JOB_RECORD_SIZE_VER1),
	H(header_size, KBITS_JOB_RECORD_SIZE_VER2),
	H(header_size, ~0u),
	/* version 2's files are 72 bytes, and nothing else */
	H(file_size, 0),
	H(file_size, KBITS_RECORD_FILE_SIZE_VER0),
	H(file_size, 64),
	H(file_size, 71),
	H(file_size, 73),
	H(file_size, 80),
	H(file_size, 144),
	H(file_size, 0x80000000u),
	H(file_size, ~0u),
	/* a notify command longer than the bytes there are */
	H(notify_cmd_len, 1),
	H(notify_cmd_len, 0x80000000u),
	H(notify_cmd_len, ~0u),
	HADD(length, 1),
	HADD(length, -1),
	H(length, 0),
	H(length, 120),
	H(length, ~0u),
	/* the first flag not defined (64 is KBITS_RECORD_HEADERS_WRITE_ONLY) */
	H(flags, 128),
	H(flags, KBITS_RECORD_AGENT_PLACES | 128),
	H(flags, KBITS_RECORD_EXEMPT | KBITS_RECORD_FOREIGN_NS | 128),
	/* version 3's fields: reserved 0, a mode only with a name, no more bytes */
	H(reserved, 1),
	H(reserved, 0x80000000u),
	H(reply_mode, 0600),		/* a download has no reply file */
	H(reply_file_len, 1),
	H(reply_file_len, ~0u),
	H(nr_creds, 1),
	H(nr_creds, 9),
	H(nr_creds, ~0u),
	H(flags, 0x80000000u),
	H(flags, ~0u),
	/* proxy settings SET_PROXY would refuse */
	H(proxy_usage, 3),
	H(proxy_usage, ~0u),
	H(proxy_usage, KBITS_PROXY_SYSTEM),	/* with both lists */
	H(proxy_usage, KBITS_PROXY_NONE),	/* with both lists */
	PROXY(KBITS_PROXY_SYSTEM, PX_BYPASS),	/* with a list */
	PROXY(KBITS_PROXY_NONE, PX_BYPASS),	/* with a list */
	PROXY(KBITS_PROXY_SYSTEM, PX_LIST),	/* with a bypass list */
	PROXY(KBITS_PROXY_NONE, PX_LIST),	/* with a bypass list */
	PROXY(KBITS_PROXY_OVERRIDE, PX_LIST),	/* no list */
	PROXY(KBITS_PROXY_OVERRIDE, PX_LIST | PX_BYPASS),
	PROXY(3, PX_LIST | PX_BYPASS),
	/* what CREATE_JOB, SET_ATTR would refuse */
	H(type, 3),
	H(type, ~0u),
	H(type, KBITS_JOB_TYPE_UPLOAD),		/* with 3 files */
	H(type, KBITS_JOB_TYPE_UPLOAD_REPLY),	/* with 3 files */
	H(state, KBITS_JOB_STATE_ACKNOWLEDGED),
	H(state, KBITS_JOB_STATE_CANCELLED),
	H(state, 9),
	H(state, ~0u),
	H(priority, 4),
	H(priority, ~0u),
	H(notify_flags, 0x20),
	H(notify_flags, KBITS_NOTIFY_ALL | 0x100),
	H(notify_flags, 0x80000000u),
	H(min_retry_delay, KBITS_MIN_RETRY_DELAY_MIN - 1),
	H(min_retry_delay, 1),
	H(min_retry_delay, 0),
	H(owner, ~0u),			/* no uid at all */
	/* the error: what the agent's ERROR would refuse */
	H(error_context, KBITS_ERROR_CONTEXT_REMOTE_APPLICATION + 1),
	H(error_context, ~0u),
	H(error_context, KBITS_ERROR_CONTEXT_NONE),	/* code, file, text left */
	OP(M_NO_ERROR_CONTEXT),				/* text without an error */
	OP(M_NO_ERROR),			/* TRANSIENT_ERROR without an error */
	/* a TRANSFERRED job with an error and unfinished files */
	H(state, KBITS_JOB_STATE_TRANSFERRED),
	H(error_code, -1),
	H(error_code, INT32_MIN),
	H(error_file_index, 3),		/* there are 3 files */
	H(error_file_index, 4),
	H(error_file_index, 0x80000000u),
	H(error_file_index, KBITS_NO_FILE - 1),
	/* lengths that run past the end or leave bytes over */
	HADD(nr_files, 1),
	HADD(nr_files, -1),
	H(nr_files, 0),
	H(nr_files, 201),
	H(nr_files, 0x10000),
	H(nr_files, ~0u),
	HADD(display_name_len, 1),
	HADD(display_name_len, -1),
	H(display_name_len, KBITS_DISPLAY_NAME_MAX + 1),
	H(display_name_len, 0x80000000u),
	H(display_name_len, ~0u),
	HADD(description_len, 1),
	HADD(description_len, -1),
	H(description_len, KBITS_DESCRIPTION_MAX + 1),
	H(description_len, ~0u),
	HADD(error_text_len, 1),
	HADD(error_text_len, -1),
	H(error_text_len, KBITS_ERROR_TEXT_MAX + 1),
	H(error_text_len, ~0u),
	HADD(proxy_list_len, 1),
	HADD(proxy_list_len, -1),
	H(proxy_list_len, KBITS_PROXY_LIST_MAX + 1),
	H(proxy_list_len, 0x80000000u),
	H(proxy_list_len, ~0u),
	HADD(proxy_bypass_len, 1),
	HADD(proxy_bypass_len, -1),
	H(proxy_bypass_len, KBITS_PROXY_LIST_MAX + 1),
	H(proxy_bypass_len, ~0u),
	HADD(http_headers_len, 1),
	HADD(http_headers_len, -1),
	H(http_headers_len, KBITS_HTTP_HEADERS_MAX + 1),
	H(http_headers_len, 0x80000000u),
	H(http_headers_len, ~0u),
	FADD(0, remote_len, 1),
	FADD(0, remote_len, -1),
	F(0, remote_len, 0),
	F(1, remote_len, KBITS_REMOTE_NAME_MAX + 1),
	F(1, remote_len, ~0u),
	F(1, remote_len, 0x80000000u),
	FADD(2, local_len, 1),
	FADD(2, local_len, -1),
	F(2, local_len, 0),
	F(1, local_len, KBITS_LOCAL_NAME_MAX + 1),
	F(1, local_len, ~0u),
	/* a file's struct: what the agent's PROGRESS would refuse */
	F(0, reserved, 1),
	/* the flag with an all-zero digest: a digest left out */
	F(0, flags, DONE | SHA),
	F(1, flags, SHA),
	F(2, reserved, 0x80000000u),
	/* the first flag not defined (2 is KBITS_FILE_SHA256) */
	F(0, flags, 4),
	F(0, flags, DONE | 4),
	F(2, flags, SHA | 4),
	F(1, flags, 0x80000000u),
	F(1, flags, DONE),		/* 10 of 1000 */
	F(2, flags, DONE | SHA),	/* size unknown */
	/* what ADD_FILES would refuse: digest bytes without the flag */
	F(2, flags, 0),			/* its digest left */
	FSHA(0, 0, 1),
	FSHA(1, 31, 0x80),
	FSHA(0, 16, 0xff),
	/* nor does a file have more than the rw bits 0666 & ~umask leaves */
	F(0, reserved2, 1),
	F(2, reserved2, 0x80000000u),
	F(1, reserved2, ~0u),
	F(0, mode, 0100),
	F(0, mode, 01000),
	F(1, mode, 0644 | 0100),
	F(1, mode, 0755),
	F(2, mode, 0777),
	F(2, mode, 02640),
	F(2, mode, 04640),
	F(0, mode, 0170644),		/* S_IFREG | 0644: a mode, no type */
	F(0, mode, 0x10000),
	F(1, mode, 0x80000000u),
	F(2, mode, ~0u),
	F(1, bytes_transferred, 1001),	/* more than the size */
	F(1, bytes_transferred, UNKNOWN),
	F(1, bytes_total, 9),		/* less than the 10 transferred */
	F(1, bytes_total, 0),
	F(0, bytes_transferred, 99),	/* COMPLETED, a byte short */
	F(0, bytes_total, 101),		/* COMPLETED, a byte short */
	F(0, bytes_total, UNKNOWN),	/* COMPLETED, size unknown */
	/* the whole: a byte less or more */
	OP(M_TRUNCATE),
	OP(M_APPEND),
	OP(M_BUF_LONGER),
	OP(M_BUF_SHORTER),
	/* strings that are too long */
	STR(R_NAME, 0, "", "n", KBITS_DISPLAY_NAME_MAX + 1),
	STR(R_NAME, 0, "", "\xc3\xa9", KBITS_DISPLAY_NAME_MAX / 2 + 1),
	STR(R_DESC, 0, "", "d", KBITS_DESCRIPTION_MAX + 1),
	STR(R_ERR, 0, "", "e", KBITS_ERROR_TEXT_MAX + 1),
	STR(R_PROXY, 0, "", "p", KBITS_PROXY_LIST_MAX + 1),
	STR(R_PROXY, 0, "", "\xc3\xa9", KBITS_PROXY_LIST_MAX / 2 + 1),
	STR(R_BYPASS, 0, "", "b", KBITS_PROXY_LIST_MAX + 1),
	STR(R_HEADERS, 0, "X: ", "h", KBITS_HTTP_HEADERS_MAX + 1 - 3),
	STR(R_REMOTE, 1, "http://", "r", KBITS_REMOTE_NAME_MAX + 1 - 7),
	STR(R_LOCAL, 1, "/", "l", KBITS_LOCAL_NAME_MAX + 1 - 1),
	/* strings with a NUL */
	STR(R_NAME, 0, "rt:\0base", "", 0),
	STR(R_NAME, 0, "rt: base\0", "", 0),
	STR(R_NAME, 0, "\0", "", 0),
	STR(R_DESC, 0, "the\0base", "", 0),
	STR(R_ERR, 0, "conn\0refused", "", 0),
	STR(R_PROXY, 0, "http://p.test\0", "", 0),
	STR(R_PROXY, 0, "\0", "", 0),
	STR(R_BYPASS, 0, "local\0host", "", 0),
	STR(R_HEADERS, 0, "X-A: b\0", "", 0),
	STR(R_HEADERS, 0, "X-A: b\r\n\0: c", "", 0),
	/* headers SET_HTTP_HEADERS refuses */
	STR(R_HEADERS, 0, "NoColon", "", 0),
	STR(R_HEADERS, 0, "X-A: b\r\nNoColon", "", 0),
	STR(R_HEADERS, 0, ": x", "", 0),
	STR(R_HEADERS, 0, "X-A: b\r\n: x", "", 0),
	STR(R_HEADERS, 0, "Bad Name: x", "", 0),
	STR(R_HEADERS, 0, " X-A: x", "", 0),
	STR(R_HEADERS, 0, "X-A : x", "", 0),
	STR(R_HEADERS, 0, "X\tA: x", "", 0),
	STR(R_HEADERS, 0, "X\x01A: x", "", 0),
	STR(R_HEADERS, 0, "X\x7f: x", "", 0),
	STR(R_HEADERS, 0, "X-\xc3\xa9: x", "", 0),
	STR(R_HEADERS, 0, "A: b\nC: d", "", 0),
	STR(R_HEADERS, 0, "A: b\rC: d", "", 0),
	STR(R_HEADERS, 0, "A: b\n", "", 0),
	STR(R_HEADERS, 0, "A: b\r", "", 0),
	STR(R_HEADERS, 0, "A: b\r\r\nC: d", "", 0),
	STR(R_HEADERS, 0, "A: b\r\n\r\nC: d", "", 0),
	STR(R_HEADERS, 0, "\r\nA: b", "", 0),
	STR(R_HEADERS, 0, "\nA: b", "", 0),
	STR(R_REMOTE, 0, "http://example.test/\0x", "", 0),
	STR(R_LOCAL, 2, "/tmp/rt\0/x", "", 0),
	STR(R_LOCAL, 2, "/tmp/rt/x\0", "", 0),
	/* names ADD_FILES refuses */
	STR(R_REMOTE, 0, "ftp://example.test/x", "", 0),
	STR(R_REMOTE, 0, "file://x", "", 0),
	STR(R_REMOTE, 0, "file://", "", 0),
	STR(R_REMOTE, 0, "http://", "", 0),
	STR(R_REMOTE, 1, "https://", "", 0),
	STR(R_REMOTE, 1, "example.test/x", "", 0),
	STR(R_REMOTE, 1, "http:/x", "", 0),
	STR(R_REMOTE, 2, "", "", 0),
	STR(R_LOCAL, 0, "tmp/x", "", 0),
	STR(R_LOCAL, 1, "~/x", "", 0),
	STR(R_LOCAL, 1, "http://example.test/x", "", 0),
	STR(R_LOCAL, 2, "", "", 0),
};

/* Byte sequences that are not UTF-8. */
static const char * const bad_utf8[] = {
	"\xff", "caf\xc3", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
	"\x80", "ok\xfe", "\xe2\x82", "\xf0\x9f\x98",
};

TEST(import_refuses_corruptions)
{
	int a = agent_attach(), dev = dev_open();
	static struct rec base, r;
	guid_bytes id;
	uint32_t len;
	size_t i, j;

	base_record(a, dev, "bad", &base, id);
	/* the base record itself imports */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT, "the base record");

	for (i = 0; i < ARRAY_SIZE(corruptions); i++) {
		r = base;
		len = apply(&corruptions[i], &r);
		EXPECT_REFUSED(a, dev, r.b, len, id, EINVAL, 0, "%s",
			       corruptions[i].what);
	}

	/* each string, not UTF-8, at its end or within */
	for (i = 0; i < ARRAY_SIZE(bad_utf8); i++) {
		static const char * const prefix[] = {
			[R_NAME] = "rt: ", [R_DESC] = "the ",
			[R_ERR] = "conn ", [R_PROXY] = "http://p.test ",
			[R_BYPASS] = "localhost,", [R_HEADERS] = "X-Rt: v ",
			[R_REMOTE] = "http://example.test/",
			[R_LOCAL] = "/tmp/rt/",
		};
		_Static_assert(ARRAY_SIZE(prefix) == R_LOCAL + 1, "prefixes");
		_Static_assert(ARRAY_SIZE(rstr_name) == R_LOCAL + 1, "names");

		for (j = R_NAME; j <= R_LOCAL; j++) {
			char s[128];
			int n;

			for (int mid = 0; mid < 2; mid++) {
				n = snprintf(s, sizeof(s), "%s%s%s", prefix[j],
					     bad_utf8[i], mid ? "x" : "");
				r = base;
				rec_put_str(&r, j, 1, s, n);
				EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
					       "%s %zu not UTF-8 (%s)",
					       rstr_name[j], i,
					       mid ? "within" : "at its end");
			}
		}
	}

	/* none of that left a trace: the base record still imports */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT,
			"the base record, after the corruptions");
	close(a);
	close(dev);
}

/* Changes to the base record that are all fine: each one imports as is. */
struct variant {
	struct mutation m;
	uint32_t state;		/* the imported job's */
};

#define OK(st, ...)	{ .m = __VA_ARGS__, .state = st }

static const struct variant variants[] = {
	OK(S_TRANSIENT, OP(M_NONE)),
	OK(S_QUEUED, H(state, KBITS_JOB_STATE_QUEUED)),
	OK(S_QUEUED, H(state, KBITS_JOB_STATE_CONNECTING)),
	OK(S_QUEUED, H(state, KBITS_JOB_STATE_TRANSFERRING)),
	OK(S_SUSPENDED, H(state, KBITS_JOB_STATE_SUSPENDED)),
	OK(S_ERROR, H(state, KBITS_JOB_STATE_ERROR)),
	OK(S_TRANSIENT, H(priority, KBITS_PRIORITY_FOREGROUND)),
	OK(S_TRANSIENT, H(priority, KBITS_PRIORITY_LOW)),
	OK(S_TRANSIENT, H(notify_flags, 0)),
	OK(S_TRANSIENT, H(notify_flags, KBITS_NOTIFY_ALL)),
	OK(S_TRANSIENT, H(min_retry_delay, KBITS_MIN_RETRY_DELAY_MIN)),
	OK(S_TRANSIENT, H(min_retry_delay, ~0u)),
	OK(S_TRANSIENT, H(no_progress_timeout, 0)),
	OK(S_TRANSIENT, H(no_progress_timeout, ~0u)),
	OK(S_TRANSIENT, H(error_count, 0)),
	OK(S_TRANSIENT, H(error_count, 12345)),
	OK(S_TRANSIENT, H(creation_time, 1000000000)),
	OK(S_TRANSIENT, H(modification_time, 1000000001)),
	OK(S_TRANSIENT, H(completion_time, 1000000002)),
	OK(S_TRANSIENT, H(owner, 2560)),
	OK(S_TRANSIENT, H(owner, 65534)),
	OK(S_TRANSIENT, H(error_context, KBITS_ERROR_CONTEXT_GENERAL)),
	OK(S_TRANSIENT, H(error_context, KBITS_ERROR_CONTEXT_REMOTE_APPLICATION)),
	OK(S_TRANSIENT, H(error_code, 0)),
	OK(S_TRANSIENT, H(error_code, INT32_MAX)),
	OK(S_TRANSIENT, H(error_file_index, 0)),
	OK(S_TRANSIENT, H(error_file_index, 2)),
	OK(S_TRANSIENT, H(error_file_index, KBITS_NO_FILE)),
	OK(S_TRANSIENT, STR(R_ERR, 0, "", "", 0)),
	OK(S_TRANSIENT, STR(R_NAME, 0, "", "", 0)),
	OK(S_TRANSIENT, STR(R_DESC, 0, "", "", 0)),
	/* the agent-places mark */
	OK(S_TRANSIENT, H(flags, KBITS_RECORD_AGENT_PLACES)),
	OK(S_TRANSIENT, H(flags, KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_EXEMPT)),
	OK(S_TRANSIENT, H(flags, 0)),		/* not exempt: charged */
	/* made elsewhere: imported without namespaces, and exported so */
	OK(S_TRANSIENT, H(flags, KBITS_RECORD_EXEMPT | KBITS_RECORD_FOREIGN_NS)),
	/* other proxy settings and headers SET_PROXY, SET_HTTP_HEADERS take */
	OK(S_TRANSIENT, PROXY(KBITS_PROXY_SYSTEM, PX_LIST | PX_BYPASS)),
	OK(S_TRANSIENT, PROXY(KBITS_PROXY_NONE, PX_LIST | PX_BYPASS)),
	OK(S_TRANSIENT, PROXY(KBITS_PROXY_OVERRIDE, PX_BYPASS)),
	OK(S_TRANSIENT, STR(R_PROXY, 0, "x", "", 0)),
	OK(S_TRANSIENT, STR(R_BYPASS, 0, "<local>", "", 0)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "", "", 0)),		/* none */
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "A:b", "", 0)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "A:", "", 0)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "A: b: c\tand d", "", 0)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "A: 1\r\nA: 2", "", 0)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "X-Smile: \xf0\x9f\x98\x80", "", 0)),
	/* strings and names as long as they may be */
	OK(S_TRANSIENT, STR(R_NAME, 0, "", "n", KBITS_DISPLAY_NAME_MAX)),
	OK(S_TRANSIENT, STR(R_NAME, 0, "", "\xf0\x9f\x98\x80",
			    KBITS_DISPLAY_NAME_MAX / 4)),
	OK(S_TRANSIENT, STR(R_DESC, 0, "", "\xc3\xa9", KBITS_DESCRIPTION_MAX / 2)),
	OK(S_TRANSIENT, STR(R_ERR, 0, "", "e", KBITS_ERROR_TEXT_MAX)),
	OK(S_TRANSIENT, STR(R_PROXY, 0, "", "p", KBITS_PROXY_LIST_MAX)),
	OK(S_TRANSIENT, STR(R_PROXY, 0, "", "\xc3\xa9", KBITS_PROXY_LIST_MAX / 2)),
	OK(S_TRANSIENT, STR(R_BYPASS, 0, "", "b", KBITS_PROXY_LIST_MAX)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "X: ", "h", KBITS_HTTP_HEADERS_MAX - 3)),
	OK(S_TRANSIENT, STR(R_HEADERS, 0, "X: y", "\r\nX: y", (KBITS_HTTP_HEADERS_MAX - 4) / 6)),
	OK(S_TRANSIENT, STR(R_REMOTE, 1, "http://", "r", KBITS_REMOTE_NAME_MAX - 7)),
	OK(S_TRANSIENT, STR(R_LOCAL, 1, "/", "l", KBITS_LOCAL_NAME_MAX - 1)),
	/* other names ADD_FILES takes */
	OK(S_TRANSIENT, STR(R_REMOTE, 0, "/srv/data/x", "", 0)),
	OK(S_TRANSIENT, STR(R_REMOTE, 0, "file:///srv/x", "", 0)),
	OK(S_TRANSIENT, STR(R_REMOTE, 0, "FILE:///srv/x", "", 0)),
	OK(S_TRANSIENT, STR(R_REMOTE, 1, "HTTPS://example.test/\xc3\xa9", "", 0)),
	OK(S_TRANSIENT, STR(R_LOCAL, 2, "/", "", 0)),
	/* progress the agent could have reported */
	OK(S_TRANSIENT, F(1, bytes_transferred, 1000)),	/* all, not COMPLETED */
	OK(S_TRANSIENT, F(1, bytes_transferred, 0)),
	OK(S_TRANSIENT, F(2, bytes_transferred, 0)),
	OK(S_TRANSIENT, F(2, bytes_total, 7)),
	OK(S_TRANSIENT, F(0, flags, 0)),			/* all, not COMPLETED */
	/* modes 0666 & ~umask gives, for some umask */
	OK(S_TRANSIENT, F(0, mode, 0)),
	OK(S_TRANSIENT, F(0, mode, 0666)),
	OK(S_TRANSIENT, F(1, mode, 0600)),
	OK(S_TRANSIENT, F(1, mode, 0400)),
	OK(S_TRANSIENT, F(2, mode, 0222)),
	OK(S_TRANSIENT, F(2, mode, 0046)),
	/* digests: any 32 bytes with the flag but all zeros */
	OK(S_TRANSIENT, FSHA(2, 0, 0)),
	OK(S_TRANSIENT, FSHA(2, 31, 0xff)),
};

TEST(import_accepts_variants)
{
	int a = agent_attach(), dev = dev_open();
	static struct rec base, r;
	guid_bytes id;
	uint32_t len;
	size_t i;

	base_record(a, dev, "ok", &base, id);
	for (i = 0; i < ARRAY_SIZE(variants); i++) {
		r = base;
		len = apply(&variants[i].m, &r);
		EXPECT_IMPORTED(a, dev, &r, len, id, variants[i].state, "%s",
				variants[i].m.what);
	}

	/* a file 0 of 0 bytes, COMPLETED */
	r = base;
	apply(&(struct mutation)F(0, bytes_total, 0), &r);
	apply(&(struct mutation)F(0, bytes_transferred, 0), &r);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_TRANSIENT, "an empty file");

	/* the header alone: no strings, no files, no error */
	r = base;
	{
		struct kbits_job_record h = rec_hdr(&r);

		h.display_name_len = 0;
		h.description_len = 0;
		h.error_text_len = 0;
		h.proxy_usage = KBITS_PROXY_SYSTEM;
		h.proxy_list_len = 0;
		h.proxy_bypass_len = 0;
		h.http_headers_len = 0;
		h.error_context = KBITS_ERROR_CONTEXT_NONE;
		h.error_code = 0;
		h.error_file_index = 0;
		h.nr_files = 0;
		h.state = S_SUSPENDED;
		h.length = HDR_SIZE;
		rec_set_hdr(&r, &h);
		r.len = HDR_SIZE;
	}
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "the header alone");
	/* with a byte less */
	EXPECT_REFUSED(a, dev, r.b, HDR_SIZE - 1, id, EINVAL, 0, "a header short");
	close(a);
	close(dev);
}

/* ------------------------------------------------------- notify command */

#define CMD(lit)	{ #lit, lit, sizeof(lit) }	/* its last NUL too */

/* @n bytes of a command: one long program, "/ccc...", and its NUL. */
static void long_cmd(char *buf, uint32_t n)
{
	memset(buf, 'c', n);
	buf[0] = '/';
	buf[n - 1] = '\0';
}

/*
 * A job's notify command goes into its record after the HTTP headers,
 * notify_cmd_len bytes as GET_NOTIFY_CMD reads them (each argument's NUL
 * included, no NUL added), and comes back from IMPORT byte for byte: one
 * argument, several, empty ones, UTF-8, the longest; none once removed.
 */
TEST(export_notify_cmd)
{
	static const struct { const char *what, *s; uint32_t n; } cmds[] = {
		CMD("/usr/bin/notify"),
		CMD("/usr/bin/notify\0--job\0a b"),
		CMD("/p\0\0\0x"),
		CMD("/opt/caf\xc3\xa9/run\0\xe2\x82\xac \xf0\x9f\x98\x80"),
		CMD("/"),
		{ "the longest", NULL, KBITS_NOTIFY_CMD_MAX },
	};
	static char longest[KBITS_NOTIFY_CMD_MAX];
	int a = agent_attach(), dev = dev_open(), fd, fd2;
	static struct job_view v, v2;
	static struct rec r, r2;
	struct kbits_job_record h;
	struct layout l;
	guid_bytes id;
	size_t i;

	ASSERT_EQ(4096, KBITS_NOTIFY_CMD_MAX);
	long_cmd(longest, sizeof(longest));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		const char *c = cmds[i].s ? cmds[i].s : longest;
		uint32_t n = cmds[i].n;

		TH_LOG("%s (%u bytes)", cmds[i].what, n);
		fd = base_job(a, dev, "nc", id);
		ASSERT_SYSOK(set_cmd(fd, c, n));
		view_job(fd, &v);
		EXPECT_EQ(0, v.cmd_ret);
		EXPECT_EQ(n, v.cmd_len);
		EXPECT_MEMEQ(c, v.cmd, n);

		export_rec(a, id, &r);
		expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT);
		h = rec_hdr(&r);
		EXPECT_EQ(n, h.notify_cmd_len);
		/* right after the headers, right before the first file */
		rec_layout(&r, &l);
		EXPECT_EQ(l.str_off[R_HEADERS] + strlen(base_headers), l.notify_off);
		EXPECT_EQ(l.notify_off + n, l.file_off[0]);
		EXPECT_MEMEQ(c, r.b + l.notify_off, n);

		/* cancelled, imported: the same command, the same record */
		job_cancel(fd);
		ASSERT_SYSOK(raw_import(a, r.b, r.len));
		fd2 = raw_get(dev, id);
		ASSERT_SYSOK(fd2);
		view_job(fd2, &v2);
		expect_same_view(&v, &v2);
		EXPECT_EQ(n, v2.cmd_len);
		EXPECT_MEMEQ(c, v2.cmd, n);
		export_rec(a, id, &r2);
		ASSERT_EQ(r.len, r2.len);
		EXPECT_MEMEQ(r.b, r2.b, r.len);

		/* removed: the record has none, and the import none either */
		ASSERT_SYSOK(set_cmd(fd2, NULL, 0));
		view_job(fd2, &v2);
		EXPECT_EQ(-ENODATA, v2.cmd_ret);
		export_rec(a, id, &r2);
		expect_record_of(&r2, id, &v2, KBITS_RECORD_EXEMPT);
		EXPECT_EQ(0, rec_hdr(&r2).notify_cmd_len);
		EXPECT_EQ(r.len - n, r2.len);
		job_cancel(fd2);
		ASSERT_SYSOK(raw_import(a, r2.b, r2.len));
		close(fd2);
		fd2 = raw_get(dev, id);
		ASSERT_SYSOK(fd2);
		view_job(fd2, &v);
		EXPECT_EQ(-ENODATA, v.cmd_ret);
		job_cancel(fd2);
		close(fd2);
		close(fd);
	}
	close(a);
	close(dev);
}

/*
 * IMPORT checks a record's notify command as SET_NOTIFY_CMD checks one:
 * no final NUL, a relative or empty program, an argument not UTF-8, more
 * than KBITS_NOTIFY_CMD_MAX bytes, and a notify_cmd_len that does not fit
 * the bytes there are, are each EINVAL, and leave no job.
 */
TEST(import_refuses_bad_notify_cmd)
{
	static const struct { const char *what, *s; uint32_t n; } bad[] = {
		{ "no final NUL", "/usr/bin/notify", 15 },
		{ "no final NUL after an argument", "/usr/bin/notify\0--done", 22 },
		CMD("usr/bin/notify"),
		CMD("./notify\0/abs"),
		CMD(""),
		CMD("\0/usr/bin/notify"),
		CMD(" /usr/bin/notify"),
	};
	static const char good[] = "/usr/bin/notify\0--done";
	static char big[KBITS_NOTIFY_CMD_MAX + 1];
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, r;
	struct kbits_job_record h;
	char s[64];
	guid_bytes id;
	size_t i;
	int n;

	fd = base_job(a, dev, "nb", id);
	ASSERT_SYSOK(set_cmd(fd, good, sizeof(good)));
	export_rec(a, id, &base);
	job_cancel(fd);
	close(fd);
	ASSERT_EQ(sizeof(good), rec_hdr(&base).notify_cmd_len);
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT,
			"the base record, with a notify command");

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = base;
		rec_put_str(&r, R_NOTIFY, 0, bad[i].s, bad[i].n);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "notify command: %s", bad[i].what);
	}

	/* not UTF-8: in the program, in an argument, at an argument's end */
	for (i = 0; i < ARRAY_SIZE(bad_utf8); i++) {
		for (int at = 0; at < 3; at++) {
			/* "/p" BAD, "/p" NUL BAD "x", "/p" NUL BAD; a NUL */
			n = snprintf(s, sizeof(s), "/p_%s%s", bad_utf8[i],
				     at == 1 ? "x" : "");
			ASSERT_LT(n + 1, (int)sizeof(s));
			if (at == 0)
				memmove(s + 2, s + 3, n-- - 2);
			else
				s[2] = '\0';
			r = base;
			rec_put_str(&r, R_NOTIFY, 0, s, n + 1);	/* and its NUL */
			EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
				       "notify command, bad UTF-8 %zu (%s)", i,
				       at == 0 ? "in the program" :
				       at == 1 ? "within an argument" :
				       "at an argument's end");
		}
	}

	/* the longest imports; a byte more does not */
	long_cmd(big, KBITS_NOTIFY_CMD_MAX);
	r = base;
	rec_put_str(&r, R_NOTIFY, 0, big, KBITS_NOTIFY_CMD_MAX);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_TRANSIENT,
			"a notify command of KBITS_NOTIFY_CMD_MAX bytes");
	long_cmd(big, KBITS_NOTIFY_CMD_MAX + 1);
	r = base;
	rec_put_str(&r, R_NOTIFY, 0, big, KBITS_NOTIFY_CMD_MAX + 1);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
		       "a notify command of KBITS_NOTIFY_CMD_MAX + 1 bytes");

	/* a length past the bytes there are, or short of them */
	{
		static const struct { const char *what; int64_t add; uint32_t set; } lens[] = {
			{ "notify_cmd_len + 1", 1, 0 },
			{ "notify_cmd_len - 1", -1, 0 },
			{ "notify_cmd_len 0, its bytes left", 0, 0 },
			{ "notify_cmd_len KBITS_NOTIFY_CMD_MAX + 1", 0,
			  KBITS_NOTIFY_CMD_MAX + 1 },
			{ "notify_cmd_len 0x80000000", 0, 0x80000000u },
			{ "notify_cmd_len 2^32 - 1", 0, ~0u },
		};

		for (i = 0; i < ARRAY_SIZE(lens); i++) {
			r = base;
			h = rec_hdr(&r);
			h.notify_cmd_len = lens[i].add ? h.notify_cmd_len + lens[i].add :
					   lens[i].set;
			rec_set_hdr(&r, &h);
			EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "%s",
				       lens[i].what);
		}
		/*
		 * The record's end: a SUSPENDED job without files or error,
		 * its command last, imports; cut a byte short, it does not.
		 */
		{
			struct layout l;

			r = base;
			apply(&(struct mutation)OP(M_NO_ERROR), &r);
			rec_layout(&r, &l);
			h = rec_hdr(&r);
			h.state = S_SUSPENDED;
			h.nr_files = 0;
			r.len = l.notify_off + sizeof(good);
			h.length = r.len;
			rec_set_hdr(&r, &h);
			EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED,
					"a record that ends with its notify command");
			r.len--;
			h.length = r.len;
			rec_set_hdr(&r, &h);
			EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
				       "a record that ends inside its notify command");
		}
	}

	/* none of that left a trace */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT,
			"the base record, after the refusals");
	close(a);
	close(dev);
}
#undef CMD

/*
 * A version 1 record with a header of KBITS_JOB_RECORD_SIZE_VER0 (no proxy
 * settings, no headers, no maximum download time) and files of
 * KBITS_RECORD_FILE_SIZE_VER0 (no mode, no digest), as an agent of before
 * them kept on disk: it imports with the defaults (SYSTEM, no lists, no
 * headers, 90 days, no transfer time; files 0600, no digest) and exports
 * as the current version.
 */
static void rec_to_ver0(struct rec *r)
{
	struct kbits_job_record h = rec_hdr(r);

	/* what a version 0 header cannot say */
	ASSERT_EQ(KBITS_PROXY_SYSTEM, h.proxy_usage);
	ASSERT_EQ(0, h.proxy_list_len);
	ASSERT_EQ(0, h.proxy_bypass_len);
	ASSERT_EQ(0, h.http_headers_len);
	ASSERT_EQ(KBITS_MAX_DOWNLOAD_TIME_DEFAULT, h.max_download_time);
	ASSERT_EQ(0, h.transfer_time);
	rec_to_v1(r, KBITS_JOB_RECORD_SIZE_VER0);
}

/* Job @id's files must be as a version 1 record brings them: 0600, no digest. */
static void expect_v1_files(int dev, const uint8_t *id, uint32_t nfiles)
{
	struct got_file g;
	int fd = raw_get(dev, id);
	uint32_t i;

	ASSERT_SYSOK(fd);
	for (i = 0; i < nfiles; i++) {
		ASSERT_SYSOK(get_file(fd, i, &g));
		EXPECT_EQ(V1_MODE, g.f.mode);
		EXPECT_EQ(0, g.f.flags & SHA);
		EXPECT_MEMEQ(sha_zero, g.f.sha256, KBITS_SHA256_SIZE);
	}
	EXPECT_ERRNO(ENXIO, get_file(fd, nfiles, &g));
	close(fd);
}

TEST(import_version0_record)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, cur, want, r, got;
	struct kbits_job_record h;
	struct got_proxy gp;
	char buf[64];
	guid_bytes id;

	base_record(a, dev, "v0", &base, id);
	/* the base without proxy settings and headers: what version 0 has */
	cur = base;
	apply(&(struct mutation)PROXY(KBITS_PROXY_SYSTEM, PX_LIST | PX_BYPASS), &cur);
	rec_put_str(&cur, R_HEADERS, 0, "", 0);
	r = cur;
	rec_to_ver0(&r);
	EXPECT_EQ(cur.len - (HDR_SIZE - KBITS_JOB_RECORD_SIZE_VER0) -
		  3 * (RF_SIZE - V1_RF_SIZE), r.len);
	h = rec_hdr(&r);
	EXPECT_EQ(1, h.version);
	EXPECT_EQ(120, h.header_size);
	EXPECT_EQ(r.len, h.length);
	EXPECT_MEMEQ(base_name, r.b + KBITS_JOB_RECORD_SIZE_VER0, strlen(base_name));

	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_TRANSIENT, fd);
	ASSERT_SYSOK(raw_get_proxy(fd, &gp));
	EXPECT_EQ(KBITS_PROXY_SYSTEM, gp.p.usage);
	EXPECT_EQ(0, gp.p.list_len);
	EXPECT_EQ(0, gp.p.bypass_len);
	EXPECT_STREQ("", gp.list);
	EXPECT_STREQ("", gp.bypass);
	EXPECT_EQ(-ENODATA, get_headers(fd, buf, sizeof(buf)));
	{
		struct kbits_job_attr at;

		get_attr(fd, &at);
		EXPECT_EQ(KBITS_MAX_DOWNLOAD_TIME_DEFAULT, at.max_download_time);
		EXPECT_EQ(0, at.transfer_time);
	}
	/* its files as they were placed then: 0600, and no digest (file 2 had one) */
	expect_v1_files(dev, id, 3);
	/*
	 * exported as the current version: the record it was cut from, byte
	 * for byte, but for the files' modes and file 2's digest
	 */
	export_rec(a, id, &got);
	EXPECT_EQ(3, rec_hdr(&got).version);
	EXPECT_EQ(HDR_SIZE, rec_hdr(&got).header_size);
	EXPECT_EQ(RF_SIZE, rec_hdr(&got).file_size);
	want = cur;
	rec_v1_files(&want);
	ASSERT_EQ(want.len, got.len);
	EXPECT_MEMEQ(want.b, got.b, want.len);
	/* a job like any other: SET_PROXY, SET_HTTP_HEADERS work on it */
	ASSERT_SYSOK(raw_set_proxy(fd, KBITS_PROXY_OVERRIDE, base_proxy, NULL));
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, "X-V: 0"));
	export_rec(a, id, &got);
	EXPECT_EQ(strlen(base_proxy), rec_hdr(&got).proxy_list_len);
	EXPECT_EQ(strlen("X-V: 0"), rec_hdr(&got).http_headers_len);
	job_cancel(fd);
	close(fd);

	/* the current record it was cut from imports after that (nothing left over) */
	EXPECT_IMPORTED(a, dev, &cur, cur.len, id, S_TRANSIENT,
			"the current record a version 0 header was cut from");
	/* and what the version 1 one came back as, again */
	EXPECT_IMPORTED(a, dev, &want, want.len, id, S_TRANSIENT,
			"the version 1 record's export");

	/* version 0 with a byte less, a byte more, or a header too short */
	{
		static struct rec t;

		t = r;
		EXPECT_REFUSED(a, dev, t.b, t.len - 1, id, EINVAL, 0,
			       "version 0, buf_len a byte short");
		t.b[t.len++] = 'x';
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 0, a byte over");
		rec_fix_length(&t);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 0, a byte over, length says so");
		EXPECT_REFUSED(a, dev, t.b, KBITS_JOB_RECORD_SIZE_VER0 - 1, id,
			       EINVAL, 0, "a version 0 header short");
	}
	/* version 0 layout but the current header_size, or the other way round */
	{
		static struct rec t;
		uint32_t hs = HDR_SIZE;

		t = r;
		memcpy(t.b + offsetof(struct kbits_job_record, header_size),
		       &hs, sizeof(hs));
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 0 layout, header_size %u", HDR_SIZE);
		t = cur;
		hs = KBITS_JOB_RECORD_SIZE_VER0;
		memcpy(t.b + offsetof(struct kbits_job_record, header_size),
		       &hs, sizeof(hs));
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "current layout, header_size 120");
	}
	/* the version 0 header with version 2, or with version 2's files */
	{
		static struct rec t;

		t = r;
		h = rec_hdr(&t);
		h.version = 2;
		memcpy(t.b, &h, KBITS_JOB_RECORD_SIZE_VER0);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 2 with a version 0 header");
		h.version = 3;
		memcpy(t.b, &h, KBITS_JOB_RECORD_SIZE_VER0);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 3 with a version 0 header");
		rec_convert(&cur, &t, 1, KBITS_JOB_RECORD_SIZE_VER0, RF_SIZE);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "a version 0 header with 72-byte files");
		rec_convert(&cur, &t, 2, KBITS_JOB_RECORD_SIZE_VER0, V1_RF_SIZE);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 2, a version 0 header, 32-byte files");
	}
	/*
	 * The base record with its proxy settings and headers, cut to version
	 * 0: their strings are bytes no length accounts for.
	 */
	{
		static struct rec t;

		rec_convert(&base, &t, 1, KBITS_JOB_RECORD_SIZE_VER0, V1_RF_SIZE);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 0 with proxy lists and headers left in");
	}
	/* the version 0 header alone */
	{
		static struct rec t;

		t = cur;
		h = rec_hdr(&t);
		h.display_name_len = 0;
		h.description_len = 0;
		h.error_text_len = 0;
		h.error_context = KBITS_ERROR_CONTEXT_NONE;
		h.error_code = 0;
		h.error_file_index = 0;
		h.nr_files = 0;
		h.state = S_SUSPENDED;
		h.length = HDR_SIZE;
		rec_set_hdr(&t, &h);
		t.len = HDR_SIZE;
		r = t;
		rec_to_ver0(&r);
		EXPECT_EQ(KBITS_JOB_RECORD_SIZE_VER0, r.len);
		ASSERT_SYSOK(raw_import(a, r.b, r.len));
		export_rec(a, id, &got);
		ASSERT_EQ(t.len, got.len);
		EXPECT_MEMEQ(t.b, got.b, t.len);
		cancel_id(dev, id);
	}
	close(a);
	close(dev);
}

/*
 * A version 1 record with a header of KBITS_JOB_RECORD_SIZE_VER1 (no
 * maximum download time and no transfer time) and 32-byte files, as an
 * agent of before them kept on disk: it imports with BITS's 90 days and no
 * transfer time, its files 0600 without digests.  One with version 1's
 * longest header (KBITS_JOB_RECORD_SIZE_VER2), the last an older module
 * wrote, keeps both.  A current record brings both back as they were.
 */
TEST(import_version1_record)
{
	const uint32_t v1 = KBITS_JOB_RECORD_SIZE_VER1;
	const uint32_t v2 = KBITS_JOB_RECORD_SIZE_VER2;
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, full, want, r, got;
	struct kbits_job_record h;
	struct kbits_job_attr at;
	guid_bytes id;

	base_record(a, dev, "v1", &base, id);
	h = rec_hdr(&base);
	ASSERT_EQ(KBITS_MAX_DOWNLOAD_TIME_DEFAULT, h.max_download_time);
	ASSERT_EQ(0, h.transfer_time);

	/* a current record with both set: the job has them */
	full = base;
	h.max_download_time = 1234;
	h.transfer_time = 99;
	rec_set_hdr(&full, &h);
	ASSERT_SYSOK(raw_import(a, full.b, full.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	get_attr(fd, &at);
	EXPECT_EQ(1234, at.max_download_time);
	EXPECT_EQ(99, at.transfer_time);
	job_cancel(fd);
	close(fd);
	EXPECT_IMPORTED(a, dev, &full, full.len, id, S_TRANSIENT,
			"max_download_time 1234, transfer_time 99");

	/* version 1's longest header has both: they come back, the files 0600 */
	r = full;
	rec_to_v1(&r, v2);
	EXPECT_EQ(full.len - (HDR_SIZE - v2) - 3 * (RF_SIZE - V1_RF_SIZE), r.len);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_TRANSIENT, fd);
	get_attr(fd, &at);
	EXPECT_EQ(1234, at.max_download_time);
	EXPECT_EQ(99, at.transfer_time);
	expect_v1_files(dev, id, 3);
	want = full;
	rec_v1_files(&want);
	export_rec(a, id, &got);
	ASSERT_EQ(want.len, got.len);
	EXPECT_MEMEQ(want.b, got.b, want.len);
	job_cancel(fd);
	close(fd);

	h.max_download_time = 0;	/* no limit */
	h.transfer_time = 0xffffffffu;
	rec_set_hdr(&full, &h);
	EXPECT_IMPORTED(a, dev, &full, full.len, id, S_TRANSIENT,
			"max_download_time 0, transfer_time ~0");

	/* cut to header 1: the defaults, whatever the cut fields said */
	r = full;
	rec_to_v1(&r, v1);
	EXPECT_EQ(1, rec_hdr(&r).version);
	EXPECT_EQ(base.len - (HDR_SIZE - v1) - 3 * (RF_SIZE - V1_RF_SIZE), r.len);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_TRANSIENT, fd);
	get_attr(fd, &at);
	EXPECT_EQ(KBITS_MAX_DOWNLOAD_TIME_DEFAULT, at.max_download_time);
	EXPECT_EQ(0, at.transfer_time);
	expect_v1_files(dev, id, 3);
	/* exported as the current version: the base record, byte for byte, files 0600 */
	export_rec(a, id, &got);
	EXPECT_EQ(HDR_SIZE, rec_hdr(&got).header_size);
	want = base;
	rec_v1_files(&want);
	ASSERT_EQ(want.len, got.len);
	EXPECT_MEMEQ(want.b, got.b, want.len);
	job_cancel(fd);
	close(fd);

	/* a header 1 layout that says the current size, and the other way */
	{
		static struct rec t;
		uint32_t hs = HDR_SIZE;

		t = r;
		memcpy(t.b + offsetof(struct kbits_job_record, header_size),
		       &hs, sizeof(hs));
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 1 layout, header_size %u", HDR_SIZE);
		t = full;
		hs = v1;
		memcpy(t.b + offsetof(struct kbits_job_record, header_size),
		       &hs, sizeof(hs));
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "current layout, header_size %u", v1);
		EXPECT_REFUSED(a, dev, r.b, v1 - 1, id, EINVAL, 0,
			       "a version 1 header short");
	}
	close(a);
	close(dev);
}

/*
 * Version 3 is the current header (KBITS_JOB_RECORD_SIZE_VER4) with
 * file_size 72 and files of 72 bytes, version 2 the header before it
 * (KBITS_JOB_RECORD_SIZE_VER3) with the same files, version 1 one of its
 * three headers with files of 32 bytes; a record that mixes them, or says
 * another size, is refused, however its lengths add up.
 */
TEST(import_refuses_record_versions)
{
	int a = agent_attach(), dev = dev_open();
	static struct rec base, want, t;
	static const uint32_t v1_headers[] = {
		KBITS_JOB_RECORD_SIZE_VER0, KBITS_JOB_RECORD_SIZE_VER1,
		KBITS_JOB_RECORD_SIZE_VER2,
	};
	static const uint32_t bad_fsizes[] = { 24, 40, 64, 71, 73, 80, 144 };
	struct kbits_job_record h;
	guid_bytes id;
	size_t i, j;

	base_record(a, dev, "ver", &base, id);
	/* the base without proxy settings and headers: every header has room */
	apply(&(struct mutation)PROXY(KBITS_PROXY_SYSTEM, PX_LIST | PX_BYPASS), &base);
	rec_put_str(&base, R_HEADERS, 0, "", 0);
	want = base;
	rec_v1_files(&want);

	/* version 3: its header, file_size 72, 72-byte files; nothing else */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT, "version 3");
	for (i = 0; i < ARRAY_SIZE(v1_headers); i++) {
		rec_convert(&base, &t, 3, v1_headers[i], RF_SIZE);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 3, header %u, 72-byte files",
			       v1_headers[i]);
	}
	rec_convert(&base, &t, 3, V2_HDR_SIZE, RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 3, version 2's header");
	rec_convert(&base, &t, 3, HDR_SIZE, V1_RF_SIZE);
	EXPECT_EQ(V1_RF_SIZE, rec_hdr(&t).file_size);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 3, 32-byte files, file_size 32");
	h = rec_hdr(&t);
	h.file_size = RF_SIZE;
	rec_set_hdr(&t, &h);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 3, 32-byte files, file_size 72");
	for (i = 0; i < ARRAY_SIZE(bad_fsizes); i++) {
		rec_convert(&base, &t, 3, HDR_SIZE, bad_fsizes[i]);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 3, %u-byte files, file_size %u",
			       bad_fsizes[i], bad_fsizes[i]);
		h = rec_hdr(&t);
		h.file_size = RF_SIZE;
		rec_set_hdr(&t, &h);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 3, %u-byte files, file_size 72",
			       bad_fsizes[i]);
	}
	/* a header longer than the current one, its tail zeros */
	rec_convert(&base, &t, 3, HDR_SIZE + 8, RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 3, a header of %u", HDR_SIZE + 8);

	/* version 2: the header before (no reply file, no credentials) */
	t = base;
	rec_to_v2(&t);
	EXPECT_EQ(2, rec_hdr(&t).version);
	EXPECT_EQ(V2_HDR_SIZE, rec_hdr(&t).header_size);
	EXPECT_EQ(base.len - (HDR_SIZE - V2_HDR_SIZE), t.len);
	/* it imports, and comes back as version 3: the base, byte for byte */
	ASSERT_SYSOK(raw_import(a, t.b, t.len));
	{
		static struct rec got;

		export_rec(a, id, &got);
		ASSERT_EQ(base.len, got.len);
		EXPECT_MEMEQ(base.b, got.b, base.len);
	}
	cancel_id(dev, id);
	for (i = 0; i < ARRAY_SIZE(v1_headers); i++) {
		rec_convert(&base, &t, 2, v1_headers[i], RF_SIZE);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 2, header %u, 72-byte files",
			       v1_headers[i]);
	}
	rec_convert(&base, &t, 2, HDR_SIZE, RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 2, version 3's header");
	rec_convert(&base, &t, 2, V2_HDR_SIZE, V1_RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 2, 32-byte files, file_size 32");
	h = rec_hdr(&t);
	h.file_size = RF_SIZE;
	rec_set_hdr(&t, &h);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 2, 32-byte files, file_size 72");
	for (i = 0; i < ARRAY_SIZE(bad_fsizes); i++) {
		rec_convert(&base, &t, 2, V2_HDR_SIZE, bad_fsizes[i]);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 2, %u-byte files, file_size %u",
			       bad_fsizes[i], bad_fsizes[i]);
		h = rec_hdr(&t);
		h.file_size = RF_SIZE;
		rec_set_hdr(&t, &h);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 2, %u-byte files, file_size 72",
			       bad_fsizes[i]);
	}
	rec_convert(&base, &t, 2, V2_HDR_SIZE + 8, RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 2, a header of %u", V2_HDR_SIZE + 8);

	/* version 1: each of its headers with 32-byte files, nothing else */
	for (i = 0; i < ARRAY_SIZE(v1_headers); i++) {
		rec_convert(&base, &t, 1, v1_headers[i], V1_RF_SIZE);
		EXPECT_EQ(1, rec_hdr(&t).version);
		ASSERT_SYSOK(raw_import(a, t.b, t.len));
		expect_v1_files(dev, id, 3);
		cancel_id(dev, id);
		/* ... which comes back as version 3, files 0600 */
		EXPECT_IMPORTED(a, dev, &want, want.len, id, S_TRANSIENT,
				"version 3 after version 1, header %u",
				v1_headers[i]);

		rec_convert(&base, &t, 1, v1_headers[i], RF_SIZE);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 1, header %u, 72-byte files",
			       v1_headers[i]);
		for (j = 0; j < ARRAY_SIZE(bad_fsizes); j++) {
			rec_convert(&base, &t, 1, v1_headers[i], bad_fsizes[j]);
			EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
				       "version 1, header %u, %u-byte files",
				       v1_headers[i], bad_fsizes[j]);
		}
	}
	/* version 1 with the current header: with either files */
	rec_convert(&base, &t, 1, HDR_SIZE, V1_RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 1, header %u, 32-byte files", HDR_SIZE);
	h = rec_hdr(&t);
	h.file_size = 0;
	rec_set_hdr(&t, &h);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 1, header %u, 32-byte files, file_size 0",
		       HDR_SIZE);
	rec_convert(&base, &t, 1, HDR_SIZE, RF_SIZE);
	EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
		       "version 1, header %u, 72-byte files", HDR_SIZE);
	/* versions before 1 and after 3, in either layout */
	for (i = 0; i < 2; i++) {
		static const uint32_t versions[] = { 0, 4, 5, 0x80000001u, ~0u };

		for (j = 0; j < ARRAY_SIZE(versions); j++) {
			if (i)
				rec_convert(&base, &t, versions[j],
					    KBITS_JOB_RECORD_SIZE_VER2, V1_RF_SIZE);
			else
				rec_convert(&base, &t, versions[j], HDR_SIZE,
					    RF_SIZE);
			EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
				       "version %u, the layout of version %s",
				       versions[j], i ? "1" : "3");
		}
	}

	/* none of that left a trace */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT,
			"version 3, after the refusals");
	close(a);
	close(dev);
}

/* ------------------------------------------ an HTTP status as the code */

/* Job @id's GET_ERROR must say @code, with the flags @flags. */
static void expect_error_kind(int dev, const uint8_t *id, uint32_t flags,
			      int32_t code)
{
	struct got_error g;
	int fd = raw_get(dev, id);

	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(flags, g.e.flags);
	EXPECT_EQ(code, g.e.code);
	close(fd);
}

/*
 * KBITS_RECORD_ERROR_HTTP: EXPORT says so of a job whose error has
 * KBITS_ERROR_HTTP, and only while it has that error; IMPORT brings the
 * flag back.  A record without it -- every record of a module from before
 * the flag -- imports its code as an errno, which is what GET_ERROR showed
 * of it then.  The flag without an error, or with a code that is no HTTP
 * status, is refused.
 */
TEST(import_error_http)
{
	const uint32_t v1 = KBITS_JOB_RECORD_SIZE_VER1;
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, r, got;
	struct kbits_job_record h;
	guid_bytes id;
	size_t i;
	static const int32_t bad_codes[] = { 0, 99, 600, -1, -404, INT32_MAX };

	/* a transient 503, while it lasts */
	fd = base_job(a, dev, "http", id);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT | KBITS_ERROR_HTTP,
				  KBITS_ERROR_CONTEXT_REMOTE_FILE, 503, 2,
				  "busy"));
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(KBITS_RECORD_EXEMPT | KBITS_RECORD_ERROR_HTTP, h.flags);
	EXPECT_EQ(503, h.error_code);
	/* progress clears the error, and the flag goes with it */
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 1, 1000, 20, 0));
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, h.flags);
	EXPECT_EQ(KBITS_ERROR_CONTEXT_NONE, h.error_context);
	/* an errno after a status has no flag either */
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNRESET, KBITS_NO_FILE, "reset"));
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, h.flags);
	EXPECT_EQ(ECONNRESET, h.error_code);
	/* a final 404: the record of the rest of the test */
	ASSERT_SYSOK(report_error(a, id, KBITS_ERROR_HTTP,
				  KBITS_ERROR_CONTEXT_REMOTE_FILE, 404, 2,
				  "not found"));
	EXPECT_STATE(S_ERROR, fd);
	export_rec(a, id, &base);
	h = rec_hdr(&base);
	EXPECT_EQ(KBITS_RECORD_EXEMPT | KBITS_RECORD_ERROR_HTTP, h.flags);
	EXPECT_EQ(KBITS_ERROR_CONTEXT_REMOTE_FILE, h.error_context);
	EXPECT_EQ(404, h.error_code);
	EXPECT_EQ(2, h.error_file_index);
	job_cancel(fd);
	close(fd);

	/* it imports with the flag, and exports the same bytes */
	ASSERT_SYSOK(raw_import(a, base.b, base.len));
	expect_error_kind(dev, id, KBITS_ERROR_HTTP, 404);
	export_rec(a, id, &got);
	ASSERT_EQ(base.len, got.len);
	EXPECT_MEMEQ(base.b, got.b, base.len);
	cancel_id(dev, id);
	/* the ends of the range */
	r = base;
	h.error_code = 100;
	rec_set_hdr(&r, &h);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_ERROR, "HTTP status 100");
	h.error_code = 599;
	rec_set_hdr(&r, &h);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_ERROR, "HTTP status 599");

	/* an older record: no flag, so an errno, whatever its number */
	r = base;
	h = rec_hdr(&r);
	h.flags &= ~KBITS_RECORD_ERROR_HTTP;
	rec_set_hdr(&r, &h);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	expect_error_kind(dev, id, 0, 404);
	export_rec(a, id, &got);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, rec_hdr(&got).flags);
	cancel_id(dev, id);
	/* the same as a version 1 record with header 1, as a module of then wrote it */
	rec_to_v1(&r, v1);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	expect_error_kind(dev, id, 0, 404);
	export_rec(a, id, &got);
	h = rec_hdr(&got);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, h.flags);
	EXPECT_EQ(404, h.error_code);
	EXPECT_EQ(HDR_SIZE, h.header_size);
	cancel_id(dev, id);

	/* the flag with a code that is no HTTP status */
	for (i = 0; i < ARRAY_SIZE(bad_codes); i++) {
		r = base;
		h = rec_hdr(&r);
		h.error_code = bad_codes[i];
		rec_set_hdr(&r, &h);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "KBITS_RECORD_ERROR_HTTP, code %d", bad_codes[i]);
	}
	/* the flag without an error (in a state that may have none) */
	r = base;
	rec_set_state(&r, S_SUSPENDED);
	apply(&(struct mutation)OP(M_NO_ERROR), &r);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
		       "KBITS_RECORD_ERROR_HTTP without an error");
	h = rec_hdr(&r);
	h.flags &= ~KBITS_RECORD_ERROR_HTTP;
	rec_set_hdr(&r, &h);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED,
			"no error, no flag");

	/* none of that left a trace: the record still imports */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_ERROR, "an HTTP 404");
	close(a);
	close(dev);
}

/* ------------------------------------------------- the transfer time */

/* Seconds on the clock the kernel counts transfer time on (suspend too). */
static double boot_now(void)
{
	struct timespec ts;

	ASSERT_SYSOK(clock_gettime(CLOCK_BOOTTIME, &ts));
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint32_t transfer_time(int fd)
{
	struct kbits_job_attr at;

	get_attr(fd, &at);
	return at.transfer_time;
}

static int agent_requeue(int a, const uint8_t *id)
{
	struct kbits_agent_job j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id, KBITS_GUID_SIZE);
	return ioctl(a, KBITS_AGENT_IOC_REQUEUE, &j);
}

static int set_max_download_time(int fd, uint32_t seconds)
{
	struct kbits_job_attr at;

	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.mask = KBITS_ATTR_MAX_DOWNLOAD_TIME;
	at.max_download_time = seconds;
	return ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &at);
}

/*
 * A job's transfer time (BITS: what counts against SetMaximumDownloadTime)
 * grows while the agent has it, CONNECTING or TRANSFERRING, and at no other
 * time: not SUSPENDED, QUEUED (also when the agent gives it back, or
 * detaches), TRANSIENT_ERROR or ERROR.  Whole seconds, the running stretch
 * included, never more than the time that passed.  A RESUME that queues
 * the job sets it to 0; one that finds the job queued changes nothing.
 */
TEST(transfer_time_counts_only_taken)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_job_attr at;
	uint32_t t, kept;
	double t0, t1;
	guid_bytes id;

	fd = make_job(dev, "rt: transfer time", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "tt"));
	get_attr(fd, &at);
	EXPECT_EQ(KBITS_MAX_DOWNLOAD_TIME_DEFAULT, at.max_download_time);
	EXPECT_EQ(0, at.transfer_time);

	/* SUSPENDED, then QUEUED: nothing counts */
	nap(1.2);
	EXPECT_EQ(0, transfer_time(fd));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	nap(1.2);
	EXPECT_EQ(0, transfer_time(fd));

	/* CONNECTING counts, the stretch still running included */
	t0 = boot_now();
	ASSERT_SYSOK(take(a, id));
	nap(1.2);
	t = transfer_time(fd);
	t1 = boot_now();
	EXPECT_GE(t, 1);
	EXPECT_LE(t, (uint32_t)(t1 - t0));
	/* TRANSFERRING too */
	ASSERT_SYSOK(progress(a, id, 0, 100, 10, 0));
	nap(1.2);
	t = transfer_time(fd);
	t1 = boot_now();
	EXPECT_GE(t, 2);
	EXPECT_LE(t, (uint32_t)(t1 - t0));

	/* TRANSIENT_ERROR does not */
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNRESET, 0, "reset"));
	kept = transfer_time(fd);
	EXPECT_GE(kept, 2);
	nap(1.2);
	EXPECT_EQ(kept, transfer_time(fd));

	/* a retry counts on from there */
	t0 = boot_now();
	ASSERT_SYSOK(take(a, id));
	nap(1.2);
	t = transfer_time(fd);
	t1 = boot_now();
	EXPECT_GE(t, kept + 1);
	EXPECT_LE(t, kept + (uint32_t)(t1 - t0) + 1);

	/* given back to the queue by the agent: QUEUED, it stops */
	ASSERT_SYSOK(agent_requeue(a, id));
	EXPECT_STATE(S_QUEUED, fd);
	kept = transfer_time(fd);
	nap(1.2);
	EXPECT_EQ(kept, transfer_time(fd));
	/* a RESUME of a QUEUED job is a no-op: it keeps it */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EQ(kept, transfer_time(fd));

	/* SUSPEND keeps it too, and it stops */
	ASSERT_SYSOK(take(a, id));
	nap(1.1);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	EXPECT_STATE(S_SUSPENDED, fd);
	kept = transfer_time(fd);
	EXPECT_GE(kept, 4);
	nap(1.2);
	EXPECT_EQ(kept, transfer_time(fd));

	/* RESUME from SUSPENDED starts it over (BITS: Resume resets it) */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EQ(0, transfer_time(fd));

	/* a final ERROR keeps it and stops it; RESUME starts it over */
	ASSERT_SYSOK(take(a, id));
	nap(1.1);
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL,
				  ETIMEDOUT, NO_FILE, "too long"));
	EXPECT_STATE(S_ERROR, fd);
	kept = transfer_time(fd);
	EXPECT_GE(kept, 1);
	nap(1.2);
	EXPECT_EQ(kept, transfer_time(fd));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EQ(0, transfer_time(fd));

	/* the agent detaching gives the job back: QUEUED, it stops */
	ASSERT_SYSOK(take(a, id));
	nap(1.1);
	close(a);
	EXPECT_STATE(S_QUEUED, fd);
	kept = transfer_time(fd);
	EXPECT_GE(kept, 1);
	nap(1.2);
	EXPECT_EQ(kept, transfer_time(fd));

	/* none of it touched the limit */
	get_attr(fd, &at);
	EXPECT_EQ(KBITS_MAX_DOWNLOAD_TIME_DEFAULT, at.max_download_time);
	job_cancel(fd);
	close(fd);
	close(dev);
}

/*
 * The maximum download time and the transfer time across EXPORT, a cancel
 * and IMPORT: both come back, and the time counts on from there.  An
 * export of a job the agent has counts the running stretch.
 */
TEST(max_download_time_record_round_trip)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r, r2;
	struct kbits_job_attr at, at2;
	struct kbits_job_record h;
	guid_bytes id;

	fd = make_job(dev, "rt: max download time", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "md"));
	ASSERT_SYSOK(set_max_download_time(fd, 12345));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	nap(1.2);
	/* while CONNECTING: the running stretch is in the record */
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(12345, h.max_download_time);
	EXPECT_GE(h.transfer_time, 1);
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNRESET, 0, "reset"));
	get_attr(fd, &at);
	EXPECT_EQ(12345, at.max_download_time);
	EXPECT_GE(at.transfer_time, h.transfer_time);
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(12345, h.max_download_time);
	EXPECT_EQ(at.transfer_time, h.transfer_time);
	job_cancel(fd);
	close(fd);

	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_STATE(S_TRANSIENT, fd);
	get_attr(fd, &at2);
	EXPECT_EQ(12345, at2.max_download_time);
	EXPECT_EQ(at.transfer_time, at2.transfer_time);
	export_rec(a, id, &r2);
	ASSERT_EQ(r.len, r2.len);
	EXPECT_MEMEQ(r.b, r2.b, r.len);

	/* the imported job counts on from its record's time */
	ASSERT_SYSOK(take(a, id));
	nap(1.2);
	EXPECT_GE(transfer_time(fd), at.transfer_time + 1);
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/*
 * KBITS_RECORD_AGENT_PLACES: the mark of a job an agent that places files
 * took.  It imports and exports back; COMPLETE of the imported job then
 * waits for such an agent, and with none attached fails with EAGAIN.
 */
TEST(import_agent_places_flag)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, r, got;
	guid_bytes id;

	base_record(a, dev, "places", &base, id);
	/* this agent does not place; root made the job: exempt */
	EXPECT_EQ(KBITS_RECORD_EXEMPT, rec_hdr(&base).flags);
	r = base;
	apply(&(struct mutation)H(flags, KBITS_RECORD_AGENT_PLACES |
					 KBITS_RECORD_EXEMPT), &r);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	export_rec(a, id, &got);
	EXPECT_EQ(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_EXEMPT,
		  rec_hdr(&got).flags);
	ASSERT_EQ(r.len, got.len);
	EXPECT_MEMEQ(r.b, got.b, r.len);
	/* the attached agent does not place files: COMPLETE cannot be done */
	EXPECT_ERRNO(EAGAIN, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_STATE(S_TRANSIENT, fd);
	close(a);
	EXPECT_ERRNO(EAGAIN, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_STATE(S_TRANSIENT, fd);
	job_cancel(fd);
	close(fd);

	/*
	 * A record exported while a COMPLETE waited: IMPORT takes it, and
	 * the new job has no COMPLETE waiting (nor the flag that says so).
	 */
	a = agent_attach();
	r = base;
	apply(&(struct mutation)H(flags, KBITS_RECORD_AGENT_PLACES |
					 KBITS_RECORD_COMPLETING |
					 KBITS_RECORD_EXEMPT), &r);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	export_rec(a, id, &got);
	EXPECT_EQ(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_EXEMPT,
		  rec_hdr(&got).flags);
	EXPECT_ERRNO(EAGAIN, ioctl(fd, KBITS_JOB_IOC_COMPLETE));	/* not EBUSY */
	job_cancel(fd);
	close(fd);
	close(a);

	/* without the mark, the same record's job completes at once */
	a = agent_attach();
	ASSERT_SYSOK(raw_import(a, base.b, base.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_STATE(S_ACK, fd);
	close(fd);
	close(a);
	close(dev);
}

/* ------------------------------------------------------------ buffers */

TEST(import_bad_buffers)
{
	int a = agent_attach(), dev = dev_open();
	static struct rec base;
	long ps = page_size();
	guid_bytes id;
	uint8_t *m, *p;
	uint32_t i;

	base_record(a, dev, "buf", &base, id);

	/* nothing, or less than a header */
	EXPECT_REFUSED(a, dev, base.b, 0, id, EINVAL, 0, "buf_len 0");
	EXPECT_REFUSED(a, dev, NULL, 0, id, EINVAL, 0, "NULL, buf_len 0");
	for (i = 1; i < HDR_SIZE; i += 17)
		EXPECT_REFUSED(a, dev, base.b, i, id, EINVAL, 0, "buf_len %u", i);
	EXPECT_REFUSED(a, dev, base.b, HDR_SIZE, id, EINVAL, 0, "header only");

	/* more than any record: refused before it is read */
	EXPECT_REFUSED(a, dev, base.b, ~0u, id, EINVAL, E2BIG, "buf_len ~0");
	EXPECT_REFUSED(a, dev, base.b, 0x80000000u, id, EINVAL, E2BIG,
		       "buf_len 2 GiB");
	EXPECT_REFUSED(a, dev, base.b, largest_record() + 1, id, E2BIG, 0,
		       "buf_len a byte past the largest record (%zu)",
		       largest_record());

	/*
	 * 64 MiB: no more than the largest record of FILES_LIMIT files, so
	 * IMPORT reads all of it.  The record and zeros after it: no record
	 * of that length; with the last page unreadable: EFAULT.
	 */
	ASSERT_GT(largest_record(), 64u << 20);
	m = mmap(NULL, 64u << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	memcpy(m, base.b, base.len);
	EXPECT_REFUSED(a, dev, m, 64u << 20, id, EINVAL, 0,
		       "buf_len 64 MiB, the record and zeros");
	ASSERT_SYSOK(mprotect(m + (64u << 20) - ps, ps, PROT_NONE));
	EXPECT_REFUSED(a, dev, m, 64u << 20, id, EFAULT, 0,
		       "buf_len 64 MiB, its last page unreadable");
	munmap(m, 64u << 20);

	/* a buffer it cannot read */
	EXPECT_REFUSED(a, dev, NULL, base.len, id, EFAULT, 0, "buf NULL");
	EXPECT_REFUSED(a, dev, KADDR, base.len, id, EFAULT, 0, "buf in the kernel");
	/* a valid record whose last byte is on a page it cannot read */
	m = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_LT(base.len, ps);
	p = m + ps - (base.len - 1);
	memcpy(p, base.b, base.len);
	ASSERT_SYSOK(mprotect(m + ps, ps, PROT_NONE));
	EXPECT_REFUSED(a, dev, p, base.len, id, EFAULT, 0,
		       "the record's last byte unreadable");
	/* readable: it imports, from that odd address */
	ASSERT_SYSOK(mprotect(m + ps, ps, PROT_READ));
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_TRANSIENT,
			"the base record");
	ASSERT_SYSOK(raw_import(a, p, base.len));
	cancel_id(dev, id);
	munmap(m, 2 * ps);
	close(a);
	close(dev);
}

/*
 * A record with every string as long as it may be (proxy lists and headers
 * included) and 200 files with the longest names (every other one with a
 * digest), built here: it imports,
 * and exports back byte for byte, also with a lower max_files_per_job; a
 * byte more is refused.  Then the edge of what IMPORT takes at all: a
 * buf_len of the largest record of FILES_LIMIT such files is read (and is
 * no record), a byte more is E2BIG.
 */
TEST_TIMEOUT(import_largest_record, 120)
{
	static const guid_bytes big_id = {
		0x72, 0x74, 0x2d, 0x6c, 0x61, 0x72, 0x67, 0x65,
		0x73, 0x74, 0x2d, 0x72, 0x65, 0x63, 0x21, 0x21,
	};
	const uint32_t nfiles = 200;
	const size_t file_size = RF_SIZE + KBITS_REMOTE_NAME_MAX +
				 KBITS_LOCAL_NAME_MAX;
	const size_t largest = HDR_SIZE + KBITS_DISPLAY_NAME_MAX +
			       KBITS_DESCRIPTION_MAX + KBITS_ERROR_TEXT_MAX +
			       2 * KBITS_PROXY_LIST_MAX + KBITS_HTTP_HEADERS_MAX +
			       nfiles * file_size;
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_job_progress prog;
	struct kbits_job_record h;
	size_t cap = largest + 2 * page_size();
	uint8_t *buf, *out, *p;
	uint32_t i, len;

	log_job(big_id);
	param_set("max_files_per_job", nfiles);
	buf = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	out = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED && out != MAP_FAILED);

	memset(&h, 0, sizeof(h));
	h.magic = KBITS_RECORD_MAGIC;
	h.version = KBITS_RECORD_VERSION;
	h.length = largest;
	h.header_size = HDR_SIZE;
	h.file_size = RF_SIZE;
	memcpy(h.id, big_id, KBITS_GUID_SIZE);
	h.owner = 2590;
	h.type = DL;
	h.state = S_SUSPENDED;
	h.priority = KBITS_PRIORITY_LOW;
	h.notify_flags = KBITS_NOTIFY_ALL;
	h.min_retry_delay = 60;
	h.no_progress_timeout = 0;
	h.error_count = 2;
	h.creation_time = 1500000000;
	h.modification_time = 1500000100;
	h.completion_time = 0;
	h.error_context = KBITS_ERROR_CONTEXT_GENERAL;
	h.error_code = EIO;
	h.error_file_index = nfiles - 1;
	h.nr_files = nfiles;
	h.display_name_len = KBITS_DISPLAY_NAME_MAX;
	h.description_len = KBITS_DESCRIPTION_MAX;
	h.error_text_len = KBITS_ERROR_TEXT_MAX;
	h.proxy_usage = KBITS_PROXY_OVERRIDE;
	h.proxy_list_len = KBITS_PROXY_LIST_MAX;
	h.proxy_bypass_len = KBITS_PROXY_LIST_MAX;
	h.http_headers_len = KBITS_HTTP_HEADERS_MAX;
	p = buf;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memset(p, 'N', KBITS_DISPLAY_NAME_MAX);
	p += KBITS_DISPLAY_NAME_MAX;
	memset(p, 'D', KBITS_DESCRIPTION_MAX);
	p += KBITS_DESCRIPTION_MAX;
	memset(p, 'E', KBITS_ERROR_TEXT_MAX);
	p += KBITS_ERROR_TEXT_MAX;
	memset(p, 'P', KBITS_PROXY_LIST_MAX);
	p += KBITS_PROXY_LIST_MAX;
	memset(p, 'B', KBITS_PROXY_LIST_MAX);
	p += KBITS_PROXY_LIST_MAX;
	memcpy(p, "X-Big: ", 7);
	memset(p + 7, 'H', KBITS_HTTP_HEADERS_MAX - 7);
	p += KBITS_HTTP_HEADERS_MAX;
	for (i = 0; i < nfiles; i++) {
		struct kbits_record_file f = {
			.bytes_total = 1000,
			.bytes_transferred = i,
			.flags = i % 2 ? SHA : 0,	/* every other one a digest */
			.remote_len = KBITS_REMOTE_NAME_MAX,
			.local_len = KBITS_LOCAL_NAME_MAX,
			.mode = i % 2 ? 0640 : 0644,
		};

		if (f.flags & SHA)
			memset(f.sha256, i, sizeof(f.sha256));
		memcpy(p, &f, sizeof(f));
		p += sizeof(f);
		memcpy(p, "http://", 7);
		memset(p + 7, 'a' + i % 26, KBITS_REMOTE_NAME_MAX - 7);
		p += KBITS_REMOTE_NAME_MAX;
		*p = '/';
		memset(p + 1, 'a' + i % 26, KBITS_LOCAL_NAME_MAX - 1);
		p += KBITS_LOCAL_NAME_MAX;
	}
	ASSERT_EQ(largest, (size_t)(p - buf));

	EXPECT_ERRNO(ENOENT, raw_get(dev, big_id));
	ASSERT_SYSOK(raw_import(a, buf, largest));
	fd = raw_get(dev, big_id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2590, job_owner(fd));
	EXPECT_STATE(S_SUSPENDED, fd);
	get_progress(fd, &prog);
	EXPECT_EQ(nfiles, prog.files_total);
	EXPECT_EQ(1000ull * nfiles, prog.bytes_total);
	EXPECT_EQ((uint64_t)nfiles * (nfiles - 1) / 2, prog.bytes_transferred);
	EXPECT_EQ(0, prog.files_transferred);

	/* exported: the same bytes, to the last */
	len = largest - 1;
	EXPECT_ERRNO(ERANGE, raw_export(a, big_id, out, &len));
	EXPECT_EQ(largest, len);
	len = cap;
	ASSERT_SYSOK(raw_export(a, big_id, out, &len));
	ASSERT_EQ(largest, len);
	EXPECT_MEMEQ(buf, out, largest);
	job_cancel(fd);
	close(fd);

	/* a byte more: refused, however it is counted (no record so long) */
	buf[largest] = 'x';
	EXPECT_REFUSED(a, dev, buf, largest + 1, big_id, EINVAL, 0,
		       "the record and a byte, length unchanged");
	h.length = largest + 1;
	memcpy(buf, &h, sizeof(h));
	EXPECT_REFUSED(a, dev, buf, largest + 1, big_id, EINVAL, 0,
		       "the record and a byte, in its length");
	/* max_files_per_job lowered since: it imports all the same */
	h.length = largest;
	memcpy(buf, &h, sizeof(h));
	param_set("max_files_per_job", nfiles - 1);
	ASSERT_SYSOK(raw_import(a, buf, largest));
	fd = raw_get(dev, big_id);
	ASSERT_SYSOK(fd);
	len = cap;
	ASSERT_SYSOK(raw_export(a, big_id, out, &len));
	ASSERT_EQ(largest, len);
	EXPECT_MEMEQ(buf, out, largest);
	job_cancel(fd);
	close(fd);
	param_set("max_files_per_job", 1);
	ASSERT_SYSOK(raw_import(a, buf, largest));
	cancel_id(dev, big_id);
	munmap(buf, cap);
	munmap(out, cap);

	/*
	 * The most IMPORT reads: this record and zeros, read (kvmalloc'd
	 * and copied) and refused as no record of that length; a byte more
	 * is refused before it is read.
	 */
	cap = largest_record();
	buf = mmap(NULL, cap + page_size(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED);
	memcpy(buf, &h, sizeof(h));
	EXPECT_REFUSED(a, dev, buf, cap, big_id, EINVAL, 0,
		       "buf_len of the largest record (%zu)", cap);
	EXPECT_REFUSED(a, dev, buf, cap + 1, big_id, E2BIG, 0,
		       "buf_len a byte past the largest record (%zu)", cap);
	munmap(buf, cap + page_size());
	close(a);
	close(dev);
}

/* ------------------------------------- version 3: reply file, credentials */

#define T_SERVER	KBITS_AUTH_TARGET_SERVER
#define T_PROXY		KBITS_AUTH_TARGET_PROXY
#define S_BASIC		KBITS_AUTH_SCHEME_BASIC
#define S_DIGEST	KBITS_AUTH_SCHEME_DIGEST
#define S_NTLM		KBITS_AUTH_SCHEME_NTLM
#define S_NEGOTIATE	KBITS_AUTH_SCHEME_NEGOTIATE

/* A credential entry of a record, its user and password by length. */
struct tcred {
	uint32_t target, scheme;
	const char *user;
	uint32_t ulen;
	const char *pw;
	uint32_t plen;
};

#define TC(t, s, u, p)	{ t, s, u, sizeof(u) - 1, p, sizeof(p) - 1 }

/* Replaces @r's credentials with the @n at @c; nr_creds and length follow. */
static void rec_put_creds(struct rec *r, const struct tcred *c, uint32_t n)
{
	static uint8_t t[REC_CAP];
	struct kbits_job_record h = rec_hdr(r);
	struct kbits_record_cred rc;
	struct layout l;
	uint32_t i, off = 0, start, tail;

	rec_layout(r, &l);
	start = l.reply_off + h.reply_file_len;
	for (i = 0; i < n; i++) {
		rc.target = c[i].target;
		rc.scheme = c[i].scheme;
		rc.user_len = c[i].ulen;
		rc.password_len = c[i].plen;
		ASSERT_LT(off + sizeof(rc) + rc.user_len + rc.password_len,
			  sizeof(t));
		memcpy(t + off, &rc, sizeof(rc));
		off += sizeof(rc);
		memcpy(t + off, c[i].user, c[i].ulen);
		off += c[i].ulen;
		memcpy(t + off, c[i].pw, c[i].plen);
		off += c[i].plen;
	}
	tail = r->len - l.creds_end;
	ASSERT_LT((size_t)start + off + tail, sizeof(r->b));
	memmove(r->b + start + off, r->b + l.creds_end, tail);
	memcpy(r->b + start, t, off);
	r->len = start + off + tail;
	h = rec_hdr(r);
	h.nr_creds = n;
	h.length = r->len;
	rec_set_hdr(r, &h);
}

/* Sets the reply file's name (and the length) and reply_mode of @r. */
static void rec_put_reply(struct rec *r, const char *name, uint32_t mode)
{
	struct kbits_job_record h;

	rec_put_str(r, R_REPLY, 0, name, strlen(name));
	h = rec_hdr(r);
	h.reply_mode = mode;
	rec_set_hdr(r, &h);
}

static const char v3_reply[] = "/tmp/rt/reply \xc3\xa9t\xc3\xa9";
static const char v3_headers[] = "Authorization: Bearer secret";
static const struct tcred v3_creds[] = {
	TC(T_SERVER, S_BASIC, "alice", "s3cr\xc3\xa9t"),
	TC(T_SERVER, S_NEGOTIATE, "", ""),		/* Kerberos tickets */
	TC(T_PROXY, S_NTLM, "DOMAIN\\bob:x", "pw:with:colons"),
};

/*
 * An UPLOAD_REPLY job of root's with its file, a reply file set under
 * umask 027 (mode 0640), the three credentials of v3_creds and write-only
 * headers; its fd (SUSPENDED), its GUID to @id.
 */
static int v3_job(int dev, uint8_t *id)
{
	mode_t old;
	size_t i;
	int fd;

	fd = make_job(dev, "rt: v3", UR, id);
	ASSERT_SYSOK(add_spec(fd, "http://example.test/rt/up", "/tmp/rt/up",
			      NULL, KBITS_FILE_SPEC_SIZE_VER1));
	old = umask(027);
	ASSERT_SYSOK(set_reply(fd, v3_reply));
	umask(old);
	for (i = 0; i < ARRAY_SIZE(v3_creds); i++) {
		struct kbits_job_credentials c;

		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.target = v3_creds[i].target;
		c.scheme = v3_creds[i].scheme;
		c.user_len = v3_creds[i].ulen;
		c.password_len = v3_creds[i].plen;
		c.user = (uintptr_t)v3_creds[i].user;
		c.password = (uintptr_t)v3_creds[i].pw;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c));
	}
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, v3_headers));
	{
		struct kbits_job_attr at;

		memset(&at, 0, sizeof(at));
		at.size = sizeof(at);
		at.mask = KBITS_ATTR_FLAGS;
		at.flags = KBITS_JOB_HEADERS_WRITE_ONLY;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &at));
	}
	return fd;
}

/*
 * EXPORT writes version 3: the reply file's name after the notify command,
 * its mode, then each credential (target, scheme, lengths, the user name
 * and password, no NUL) in the header's count, and the write-only flag.
 */
TEST(export_v3_reply_and_creds)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r;
	struct kbits_job_record h;
	struct kbits_record_cred c;
	struct job_view v;
	struct layout l;
	uint32_t i, seen = 0;
	guid_bytes id;
	size_t k;

	fd = v3_job(dev, id);
	export_rec(a, id, &r);
	h = rec_hdr(&r);
	EXPECT_EQ(3, h.version);
	EXPECT_EQ(168, h.header_size);
	EXPECT_EQ(strlen(v3_reply), h.reply_file_len);
	EXPECT_EQ(0640, h.reply_mode);
	EXPECT_EQ(3, h.nr_creds);
	EXPECT_EQ(0, h.reserved);
	EXPECT_EQ(KBITS_RECORD_EXEMPT | KBITS_RECORD_HEADERS_WRITE_ONLY, h.flags);
	EXPECT_EQ(strlen(v3_headers), h.http_headers_len);
	rec_layout(&r, &l);
	EXPECT_MEMEQ(v3_reply, r.b + l.reply_off, strlen(v3_reply));
	ASSERT_EQ(3, l.nr_creds);
	/* the headers, which no job fd reads now, are in the record */
	EXPECT_MEMEQ(v3_headers, r.b + l.str_off[R_HEADERS], strlen(v3_headers));
	for (i = 0; i < l.nr_creds; i++) {
		memcpy(&c, r.b + l.cred_off[i], sizeof(c));
		for (k = 0; k < ARRAY_SIZE(v3_creds); k++) {
			const struct tcred *w = &v3_creds[k];
			const uint8_t *p = r.b + l.cred_off[i] + sizeof(c);

			if (c.target != w->target || c.scheme != w->scheme)
				continue;
			seen |= 1U << k;
			EXPECT_EQ(w->ulen, c.user_len);
			EXPECT_EQ(w->plen, c.password_len);
			if (c.user_len == w->ulen && c.password_len == w->plen) {
				EXPECT_MEMEQ(w->user, p, w->ulen);
				EXPECT_MEMEQ(w->pw, p + w->ulen, w->plen);
			}
		}
	}
	EXPECT_EQ(7, seen);
	view_job(fd, &v);
	EXPECT_EQ(-EPERM, v.hdr_ret);
	EXPECT_EQ(0, v.reply_ret);
	EXPECT_EQ((1U << S_BASIC) | (1U << S_NEGOTIATE), v.creds.server);
	EXPECT_EQ(1U << S_NTLM, v.creds.proxy);
	expect_record_of(&r, id, &v, KBITS_RECORD_EXEMPT | KBITS_RECORD_HEADERS_WRITE_ONLY);
	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/*
 * IMPORT of a version 3 record keeps them all: the same view (reply file,
 * credentials, write-only headers), and its export is the record again,
 * byte for byte (the secrets included); removing one credential and the
 * reply file exports a record without them.
 */
TEST(import_v3_round_trip)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec r, got;
	struct job_view v0, v;
	struct kbits_job_record h;
	struct kbits_job_credentials c;
	guid_bytes id;

	fd = v3_job(dev, id);
	view_job(fd, &v0);
	export_rec(a, id, &r);
	job_cancel(fd);
	close(fd);
	ASSERT_EQ(-1, raw_get(dev, id));

	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	view_job(fd, &v);
	expect_same_view(&v0, &v);
	EXPECT_EQ(-EPERM, v.hdr_ret);
	export_rec(a, id, &got);
	ASSERT_EQ(r.len, got.len);
	EXPECT_MEMEQ(r.b, got.b, r.len);

	/* one credential and the reply file less: the record says so */
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.target = T_SERVER;
	c.scheme = S_BASIC;
	c.flags = KBITS_CRED_REMOVE;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c));
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE, ""));
	export_rec(a, id, &got);
	h = rec_hdr(&got);
	EXPECT_EQ(2, h.nr_creds);
	EXPECT_EQ(0, h.reply_file_len);
	EXPECT_EQ(0, h.reply_mode);
	EXPECT_EQ(r.len - strlen(v3_reply) - sizeof(struct kbits_record_cred) -
		  v3_creds[0].ulen - v3_creds[0].plen, got.len);
	view_job(fd, &v);
	expect_record_of(&got, id, &v,
			 KBITS_RECORD_EXEMPT | KBITS_RECORD_HEADERS_WRITE_ONLY);
	job_cancel(fd);
	close(fd);

	/* the record of before imports again, as it was */
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "the version 3 record");
	close(a);
	close(dev);
}

/*
 * Every version 3 rule IMPORT checks: EINVAL, no job left.  And what it
 * takes: up to 8 credentials, a ':' in a user name but for Basic, empty
 * names and passwords, a reply mode of 0 with a name.
 */
TEST(import_refuses_bad_v3)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, r, dl;
	static char longu[KBITS_CRED_USER_MAX + 2], longp[KBITS_CRED_PASSWORD_MAX + 2];
	static const struct {
		const char *what;
		struct tcred c;
	} bad_creds[] = {
		{ "target 0", TC(0, S_BASIC, "u", "p") },
		{ "target 3", TC(3, S_BASIC, "u", "p") },
		{ "scheme 0", TC(T_SERVER, 0, "u", "p") },
		{ "scheme 5", TC(T_SERVER, 5, "u", "p") },
		{ "a ':' in a Basic user", TC(T_SERVER, S_BASIC, "a:b", "p") },
		{ "a ':' in a Basic proxy user", TC(T_PROXY, S_BASIC, ":", "p") },
		{ "a control character in the user", TC(T_SERVER, S_NTLM, "a\tb", "p") },
		{ "a newline in the user", TC(T_SERVER, S_DIGEST, "a\nb", "p") },
		{ "DEL in the user", TC(T_SERVER, S_DIGEST, "a\x7f", "p") },
		{ "a NUL in the user", TC(T_SERVER, S_NTLM, "a\0b", "p") },
		{ "a user not UTF-8", TC(T_SERVER, S_NTLM, "caf\xc3", "p") },
		{ "a user not UTF-8 (overlong)", TC(T_SERVER, S_NTLM, "\xc0\x80", "p") },
		{ "a NUL in the password", TC(T_SERVER, S_BASIC, "u", "p\0w") },
		{ "a password not UTF-8", TC(T_SERVER, S_BASIC, "u", "\xff") },
		{ "a password not UTF-8 (surrogate)", TC(T_PROXY, S_BASIC, "u", "\xed\xa0\x80") },
	};
	/* (in the order of (target, scheme), as EXPORT writes them back) */
	static const struct tcred ok_creds[] = {
		TC(T_SERVER, S_DIGEST, "", "only a password"),
		TC(T_SERVER, S_NTLM, "DOM\\u:x", ""),	/* ':' but for Basic */
		TC(T_PROXY, S_BASIC, "", ""),
		TC(T_PROXY, S_NEGOTIATE, "\xe2\x82\xac", "\t\x7f ctl ok"),
	};
	struct tcred c8[9];
	struct kbits_job_record h;
	uint32_t i;
	guid_bytes id;

	fd = v3_job(dev, id);
	export_rec(a, id, &base);
	job_cancel(fd);
	close(fd);
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_SUSPENDED, "the base");

	/* each bad credential, in place of the base's second */
	for (i = 0; i < ARRAY_SIZE(bad_creds); i++) {
		struct tcred c[3] = { v3_creds[0], bad_creds[i].c, v3_creds[2] };

		r = base;
		rec_put_creds(&r, c, 3);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "%s",
			       bad_creds[i].what);
		/* alone, too */
		rec_put_creds(&r, &bad_creds[i].c, 1);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "%s, alone",
			       bad_creds[i].what);
	}
	/* too long: a byte past either maximum */
	memset(longu, 'u', sizeof(longu));
	memset(longp, 'p', sizeof(longp));
	{
		struct tcred c = { T_SERVER, S_BASIC, longu, KBITS_CRED_USER_MAX + 1, "p", 1 };

		r = base;
		rec_put_creds(&r, &c, 1);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "a user of 1025 bytes");
		c.ulen = KBITS_CRED_USER_MAX;
		c.pw = longp;
		c.plen = KBITS_CRED_PASSWORD_MAX + 1;
		rec_put_creds(&r, &c, 1);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "a password of 1025 bytes");
		/* the most of both is fine */
		c.plen = KBITS_CRED_PASSWORD_MAX;
		rec_put_creds(&r, &c, 1);
		EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED,
				"1024-byte user and password");
	}
	/* the same (target, scheme) twice, whatever the names */
	{
		struct tcred c[3] = { v3_creds[0], v3_creds[1],
				      TC(T_SERVER, S_BASIC, "other", "pw") };

		r = base;
		rec_put_creds(&r, c, 3);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "server Basic twice");
		c[2] = v3_creds[1];
		rec_put_creds(&r, c, 3);
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "server Negotiate twice, the same");
		/* the same scheme for the other target is another pair */
		c[2] = (struct tcred)TC(T_PROXY, S_BASIC, "alice", "x");
		rec_put_creds(&r, c, 3);
		EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED,
				"Basic for the server and the proxy");
	}
	/* 8 credentials, every pair: fine; a ninth: EINVAL */
	for (i = 0; i < 8; i++)
		c8[i] = (struct tcred){ i < 4 ? T_SERVER : T_PROXY, i % 4 + 1,
					"u", 1, "p", 1 };
	r = base;
	rec_put_creds(&r, c8, 8);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "8 credentials");
	c8[8] = c8[0];
	rec_put_creds(&r, c8, 9);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "9 credentials");
	/* nr_creds saying more or fewer than there are */
	r = base;
	h = rec_hdr(&r);
	h.nr_creds = 2;
	rec_set_hdr(&r, &h);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "nr_creds one short");
	h.nr_creds = 4;
	rec_set_hdr(&r, &h);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "nr_creds one over");
	/* a credential's lengths past the record */
	{
		struct kbits_record_cred rc;
		struct layout l;

		r = base;
		rec_layout(&r, &l);
		memcpy(&rc, r.b + l.cred_off[2], sizeof(rc));
		rc.password_len += 1;
		memcpy(r.b + l.cred_off[2], &rc, sizeof(rc));
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "the last password's length a byte over");
		rc.password_len = ~0u;
		memcpy(r.b + l.cred_off[2], &rc, sizeof(rc));
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "the last password's length ~0");
		r = base;
		memcpy(&rc, r.b + l.cred_off[0], sizeof(rc));
		rc.user_len = 0x80000000u;
		memcpy(r.b + l.cred_off[0], &rc, sizeof(rc));
		EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0,
			       "the first user's length 2^31");
	}
	/* what is fine */
	r = base;
	rec_put_creds(&r, ok_creds, ARRAY_SIZE(ok_creds));
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "the accepted credentials");
	rec_put_creds(&r, NULL, 0);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "no credentials");

	/* the reply file: absolute, its mode within 0666, a mode only with it */
	r = base;
	rec_put_reply(&r, "relative/reply", 0600);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "a relative reply name");
	rec_put_reply(&r, "/tmp/rt/r\xff", 0600);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "a reply name not UTF-8");
	rec_put_reply(&r, "/tmp/rt/reply", 0777);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "reply_mode 0777");
	rec_put_reply(&r, "/tmp/rt/reply", 01600);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "reply_mode 01600");
	rec_put_reply(&r, "/tmp/rt/reply", 0700);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "reply_mode 0700");
	rec_put_reply(&r, "", 0600);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "reply_mode 0600 without a name");
	rec_put_reply(&r, "", 0);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "no reply file");
	rec_put_reply(&r, "/tmp/rt/reply", 0);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "reply_mode 0 with a name");
	rec_put_reply(&r, "/tmp/rt/reply", 0666);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "reply_mode 0666");
	/* a reply name on a download, an upload: EINVAL; without, fine */
	dl = base;
	h = rec_hdr(&dl);
	h.type = DL;
	rec_set_hdr(&dl, &h);
	EXPECT_REFUSED(a, dev, dl.b, dl.len, id, EINVAL, 0, "a download with a reply file");
	h.type = UP;
	rec_set_hdr(&dl, &h);
	EXPECT_REFUSED(a, dev, dl.b, dl.len, id, EINVAL, 0, "an upload with a reply file");
	rec_put_reply(&dl, "", 0);
	EXPECT_IMPORTED(a, dev, &dl, dl.len, id, S_SUSPENDED, "an upload without one");
	h = rec_hdr(&dl);
	h.type = DL;
	rec_set_hdr(&dl, &h);
	EXPECT_IMPORTED(a, dev, &dl, dl.len, id, S_SUSPENDED, "a download without one");
	/* reserved */
	r = base;
	h = rec_hdr(&r);
	h.reserved = 1;
	rec_set_hdr(&r, &h);
	EXPECT_REFUSED(a, dev, r.b, r.len, id, EINVAL, 0, "reserved 1");
	/* the write-only flag without headers is fine (the flag stays) */
	r = base;
	rec_put_str(&r, R_HEADERS, 0, "", 0);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED, "write-only, no headers");

	/* none of that left a trace */
	EXPECT_IMPORTED(a, dev, &base, base.len, id, S_SUSPENDED, "the base, after");
	close(a);
	close(dev);
}

/*
 * A record made in other namespaces (KBITS_RECORD_FOREIGN_NS) keeps neither
 * its credentials nor its write-only headers (the job transfers nothing
 * until a takeover, which would remove them): the write-only flag and the
 * reply file stay, and its export says so.  Without the write-only flag its
 * headers stay.
 */
TEST(import_foreign_drops_secrets)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, r, got;
	struct kbits_job_cred_schemes cs;
	struct kbits_job_record h;
	char buf[128];
	uint32_t len;
	guid_bytes id;

	fd = v3_job(dev, id);
	export_rec(a, id, &base);
	job_cancel(fd);
	close(fd);

	r = base;
	h = rec_hdr(&r);
	h.flags |= KBITS_RECORD_FOREIGN_NS;
	rec_set_hdr(&r, &h);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	get_creds(fd, &cs);
	EXPECT_EQ(0, cs.server);
	EXPECT_EQ(0, cs.proxy);
	EXPECT_EQ(-EPERM, get_headers(fd, buf, sizeof(buf)));	/* the flag stays */
	EXPECT_EQ(0, get_reply(fd, buf, sizeof(buf), &len));
	EXPECT_STREQ(v3_reply, buf);
	export_rec(a, id, &got);
	h = rec_hdr(&got);
	EXPECT_EQ(0, h.nr_creds);
	EXPECT_EQ(0, h.http_headers_len);
	EXPECT_EQ(strlen(v3_reply), h.reply_file_len);
	EXPECT_EQ(KBITS_RECORD_EXEMPT | KBITS_RECORD_FOREIGN_NS |
		  KBITS_RECORD_HEADERS_WRITE_ONLY, h.flags);
	job_cancel(fd);
	close(fd);

	/* headers that are not write-only are no secret: they stay */
	r = base;
	rec_put_creds(&r, NULL, 0);
	h = rec_hdr(&r);
	h.flags = (h.flags & ~KBITS_RECORD_HEADERS_WRITE_ONLY) | KBITS_RECORD_FOREIGN_NS;
	rec_set_hdr(&r, &h);
	EXPECT_IMPORTED(a, dev, &r, r.len, id, S_SUSPENDED,
			"a foreign record with headers not write-only");
	close(a);
	close(dev);
}

/*
 * A version 2 record (the module before, kbitsd's files on disk) still
 * imports: no reply file, no credentials; converted from a version 3 one
 * that had them, the bytes they took are bytes no length accounts for.
 */
TEST(import_version2_record)
{
	int a = agent_attach(), dev = dev_open(), fd;
	static struct rec base, r, got;
	struct kbits_job_cred_schemes cs;
	char buf[64];
	uint32_t len;
	guid_bytes id;

	fd = v3_job(dev, id);
	export_rec(a, id, &base);
	job_cancel(fd);
	close(fd);

	/* with its reply file and credentials cut out: version 2 */
	r = base;
	rec_put_creds(&r, NULL, 0);
	rec_put_reply(&r, "", 0);
	{
		struct kbits_job_record h = rec_hdr(&r);

		h.flags &= ~KBITS_RECORD_HEADERS_WRITE_ONLY;
		rec_set_hdr(&r, &h);
	}
	rec_to_v2(&r);
	EXPECT_EQ(2, rec_hdr(&r).version);
	ASSERT_SYSOK(raw_import(a, r.b, r.len));
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(-ENODATA, get_reply(fd, buf, sizeof(buf), &len));
	get_creds(fd, &cs);
	EXPECT_EQ(0, cs.server);
	EXPECT_EQ(0, cs.proxy);
	EXPECT_EQ(0, get_headers(fd, buf, sizeof(buf)));
	EXPECT_STREQ(v3_headers, buf);
	export_rec(a, id, &got);
	EXPECT_EQ(3, rec_hdr(&got).version);
	EXPECT_EQ(r.len + (HDR_SIZE - V2_HDR_SIZE), got.len);
	job_cancel(fd);
	close(fd);

	/* the version 3 bytes left in a version 2 record */
	rec_convert(&base, &r, 2, V2_HDR_SIZE, RF_SIZE);
	{
		struct layout l;
		static struct rec t;
		uint32_t extra;

		rec_layout(&base, &l);
		extra = l.creds_end - l.reply_off;
		/* put them back after the notify command */
		t = r;
		ASSERT_GT(extra, 0);
		memmove(t.b + l.reply_off - (HDR_SIZE - V2_HDR_SIZE) + extra,
			t.b + l.reply_off - (HDR_SIZE - V2_HDR_SIZE),
			t.len - (l.reply_off - (HDR_SIZE - V2_HDR_SIZE)));
		memcpy(t.b + l.reply_off - (HDR_SIZE - V2_HDR_SIZE),
		       base.b + l.reply_off, extra);
		t.len += extra;
		rec_fix_length(&t);
		EXPECT_REFUSED(a, dev, t.b, t.len, id, EINVAL, 0,
			       "version 2 with a reply name and credentials left in");
	}
	close(a);
	close(dev);
}

/* --------------------------------------------------------------- cleanup */

/* Every job this run made (or imported) has left the queue, and no agent is attached. */
NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	int ret;

	ures = mmap(NULL, sizeof(*ures), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (job_log_map() || ures == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	orig_max_jobs = param_get("max_jobs");
	orig_max_jobs_per_user = param_get("max_jobs_per_user");
	orig_max_files = param_get("max_files_per_job");
	th_after_each = restore_params;
	ret = test_harness_run(argc, argv);
	restore_params();
	return ret;
}
