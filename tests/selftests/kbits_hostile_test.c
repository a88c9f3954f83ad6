// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: hostile input, in one table.  Every ioctl of /dev/kbits,
 * of a job fd and of the agent fd (the rows of iocs[] below) against every
 * hostile shape of argument that applies to it (the columns, made by
 * run_ioctl() from the row's fields):
 *
 *  - the argument pointer: NULL, unmapped, a kernel address, a struct that
 *    ends right at a PROT_NONE guard page (accepted), one whose last byte is
 *    on it (EFAULT), one in read-only memory (EFAULT when the ioctl writes
 *    back, else accepted);
 *  - the size field: 0, 1, VER0 - 1 (EINVAL), the struct's current size
 *    (what this test and the kernel know: VER0 until it grew) + 8 with a
 *    zero tail (accepted), with a nonzero tail (E2BIG), 4096 (accepted),
 *    4097 and 2^32 - 1 (E2BIG), the current size + 8 whose tail is on the
 *    guard page (EFAULT);
 *  - each flags field with an unknown bit, each reserved field nonzero, each
 *    enum or ranged field out of range;
 *  - each length at 0, 1, its limit, the limit + 1 and 2^32 - 1;
 *  - each pointer in the struct NULL, unmapped, a kernel address, and a
 *    buffer whose last byte is on the guard page;
 *  - each string in: every valid one ends right before a guard page (no NUL
 *    after it), and then one with an embedded NUL and several kinds of
 *    invalid UTF-8; a notify command's arguments each end with a NUL (an
 *    embedded one separates two: valid), and it is refused without its
 *    final NUL, with a relative or empty program;
 *  - the ioctl on each wrong kind of fd (/dev/kbits, a job fd, the agent fd,
 *    /dev/null): ENOTTY.
 *
 * Each cell expects the errno docs/uapi.md gives (or the row's valid result
 * where the shape is legal), starts from a fresh subject job and checks "no
 * trace" after a failure: the subject's state, settings, strings, proxy,
 * notify command, files, progress and error as before, no new job in the queue, no event
 * for the agent, no fd leaked.  One TAP line per ioctl, with its number of
 * cells.  Import records themselves are kbits_record_test.c's.
 *
 * read_once: for each struct-taking ioctl a second thread flips one word of
 * the argument (the size, a length, a pointer) between its valid and a
 * hostile value while this one calls the ioctl; each call must give the
 * valid result (for one that writes back: the same output as a quiet call)
 * or one of the hostile value's errnos, and the queue must end as it began.
 *
 * Run as root with kbits loaded and no agent attached (the test attaches
 * one); tests/selftests/run-in-vm.sh does that in the test VM.  The tests
 * run as root only (kbits_helpers.h's kbits_uid_ranges[] keeps uids
 * 2800-2899 for them); the last test checks that no job of theirs is left
 * in the queue, and no agent attached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

#define PARAM_MAX_FILES	"/sys/module/kbits/parameters/max_files_per_job"
#define ATTR_ALL	(KBITS_ATTR_PRIORITY | KBITS_ATTR_NOTIFY_FLAGS | \
			 KBITS_ATTR_MIN_RETRY_DELAY | \
			 KBITS_ATTR_NO_PROGRESS_TIMEOUT)

#define OK		(-1)	/* expected: the row's valid result */
#define BIGLEN		0xffffffffu
#define GEN_MAX		16384	/* longest content a length cell builds */
#define OUT_SIZE	20000	/* the GET buffers */

/* ------------------------------------------------------------ the table */

enum fdk { DEV, JOB, AGENT, DEVNULL, NR_FDK };
static const char *const fdk_name[] = { "/dev/kbits", "a job fd", "the agent fd", "/dev/null" };

/* Where a cell's subject job starts. */
enum prep {
	P_ERRORED,	/* TRANSIENT_ERROR, with an error, not taken */
	P_TAKEN,	/* CONNECTING (taken again), error kept */
	P_DONE,		/* TRANSFERRING, its file complete */
	P_CANCELLED,	/* CANCELLED */
	P_REPLY,	/* as P_ERRORED, an UPLOAD_REPLY job with a reply file */
};

enum fk { F_END, F_BAD, F_LEN, F_PTR, F_STR };

/* What a length cell puts at the pointer that goes with the length. */
enum gen {
	G_ROOM,		/* nothing: a GET's room, the buffer is large */
	G_TEXT,		/* "aaa..." */
	G_PATH,		/* "/aaa..." */
	G_HDR,		/* "X:aaa..." (1 byte: "X", which is no header) */
	G_CMD,		/* "/aaa...\0", a notify command (1 byte: "\0", no program) */
	G_REC,		/* the subject's exported record */
	G_COUNT,	/* ADD_FILES: that many copies of the file spec */
	G_ESIZE,	/* ADD_FILES: spec entries that long, zero tail */
};

enum { A_1, A_2, A_SPEC, A_STRUCT, NR_AREAS };	/* guarded areas */

struct fld {
	enum fk k;
	const char *name;
	bool spec;		/* in the ADD_FILES file spec, not the struct */
	uint16_t off, w;	/* F_BAD: the field; F_LEN: the length; F_PTR, F_STR: the pointer */
	uint64_t bad;		/* F_BAD: the value */
	int err;		/* F_BAD, F_PTR: its errno */
	uint16_t off2;		/* F_BAD: a second field set with it (0: none) */
	uint64_t bad2;
	uint16_t mate;		/* F_LEN: its pointer; F_PTR, F_STR: its length */
	int area;		/* guarded area for its content */
	enum gen gen;
	uint32_t limit;		/* F_LEN; LIM_* for a limit known at run time */
	int e[5];		/* F_LEN: for 0, 1, limit, limit + 1, 2^32 - 1 */
	bool out;		/* F_PTR: the kernel writes there */
};

#define LIM_FILES	0xfffffff0u	/* room left for files in the subject */
#define LIM_RECORD	0xfffffff1u	/* the subject's record's length */

struct ctx;

struct ioc {
	const char *name;
	unsigned long cmd;
	enum fdk kind;
	uint32_t ver0;		/* the first size; 0: the struct has no size */
	uint32_t argsize;	/* 0: no pointer argument */
	bool out;		/* writes to the struct */
	bool makes_fd;
	bool intarg;		/* AGENT_ATTACH: an integer argument */
	bool cmp_out;		/* read_once: output the same every call */
	enum prep prep, rprep;	/* subject for the cells, for read_once */
	int ok, rok;		/* the valid argument's result (0 or errno) */
	void (*fill)(struct ctx *c);
	const struct fld *f;
};

struct gbuf {
	uint8_t *base, *end;	/* *end is the first byte of the guard page */
};

struct ctx {
	int dev, agent, job, null;
	guid_bytes id;
	guid_bytes base_ids[256];	/* the queue when the test began */
	int nbase;
	uint8_t *arg;		/* the struct, in 2 zeroed pages */
	void *argp;		/* what the cell passes */
	unsigned long intarg;
	int fd;			/* where the cell calls it */
	struct gbuf area[NR_AREAS];
	uint8_t *ro;		/* a page made read-only */
	void *gone;		/* unmapped_page() */
	uint8_t *outb[2];	/* GET buffers */
	uint8_t spec0[4096];	/* ADD_FILES: the first entry, esize bytes */
	uint32_t nspec, esize;
	uint8_t *rec;		/* the subject's record */
	uint32_t rec_len;
	uint32_t max_files;
	bool racing;
	int cells;
};

/* ------------------------------------------------------------- helpers */

static void put_field(uint8_t *base, uint16_t off, uint16_t w, uint64_t v)
{
	if (w == 8)
		memcpy(base + off, &v, 8);
	else {
		uint32_t v32 = v;

		memcpy(base + off, &v32, 4);
	}
}

static uint64_t get_field(const uint8_t *base, uint16_t off, uint16_t w)
{
	uint64_t v = 0;
	uint32_t v32;

	if (w == 8) {
		memcpy(&v, base + off, 8);
		return v;
	}
	memcpy(&v32, base + off, 4);
	return v32;
}

static struct gbuf guarded(size_t pages)
{
	long ps = page_size();
	uint8_t *p = mmap(NULL, (pages + 1) * ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gbuf g;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_SYSOK(mprotect(p + pages * ps, ps, PROT_NONE));
	g.base = p;
	g.end = p + pages * ps;
	return g;
}

/* @n bytes of @data, ending right before the guard page. */
static void *gput(struct gbuf *g, const void *data, size_t n)
{
	uint8_t *p = g->end - n;

	memmove(p, data, n);
	return p;
}

static void set_string(int fd, unsigned long cmd, const char *s)
{
	struct kbits_job_string js;

	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = strlen(s);
	js.buf = (uintptr_t)s;
	ASSERT_SYSOK(ioctl(fd, cmd, &js));
}

/* The subject's notify command: two arguments, the last NUL included. */
static const char subject_cmd[] = "/usr/bin/notify\0--hostile";

static void set_cmd(int fd, const char *cmd, uint32_t len)
{
	struct kbits_job_string js;

	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = len;
	js.buf = (uintptr_t)cmd;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
}

static void add_file(int fd, const char *remote, const char *local)
{
	struct kbits_file_spec s = {
		.remote = (uintptr_t)remote, .local = (uintptr_t)local,
		.remote_len = strlen(remote), .local_len = strlen(local),
	};
	struct kbits_add_files a = {
		.size = sizeof(a), .count = 1, .entry_size = sizeof(s),
		.files = (uintptr_t)&s,
	};

	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
}

static int agent_job(struct ctx *c, unsigned long cmd)
{
	struct kbits_agent_job j = { .size = sizeof(j) };

	memcpy(j.id, c->id, sizeof(j.id));
	return ioctl(c->agent, cmd, &j);
}

static int agent_progress(struct ctx *c, uint32_t index, uint64_t total,
			  uint64_t done, uint32_t flags)
{
	struct kbits_agent_progress p = {
		.size = sizeof(p), .index = index, .bytes_total = total,
		.bytes_transferred = done, .flags = flags,
	};

	memcpy(p.id, c->id, sizeof(p.id));
	return ioctl(c->agent, KBITS_AGENT_IOC_PROGRESS, &p);
}

static int report_error(struct ctx *c, uint32_t flags, const char *text)
{
	struct kbits_agent_error e = {
		.size = sizeof(e), .flags = flags,
		.context = KBITS_ERROR_CONTEXT_REMOTE_FILE, .code = 404,
		.file_index = 0, .text_len = strlen(text),
		.text = (uintptr_t)text,
	};

	memcpy(e.id, c->id, sizeof(e.id));
	return ioctl(c->agent, KBITS_AGENT_IOC_ERROR, &e);
}

static void drain(struct ctx *c)
{
	struct kbits_event ev[64];

	if (c->agent >= 0)
		while (read(c->agent, ev, sizeof(ev)) > 0)
			;
}

static void attach(struct ctx *c)
{
	c->agent = ioctl(c->dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(c->agent);
	ASSERT_SYSOK(fcntl(c->agent, F_SETFL, O_NONBLOCK));
}

static int cmp_guid(const void *a, const void *b)
{
	return memcmp(a, b, KBITS_GUID_SIZE);
}

/* Every queued job's GUID, sorted; how many. */
static int list_jobs(int dev, guid_bytes *ids, int max)
{
	struct kbits_enum_jobs e;
	int n = 0;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = KBITS_ENUM_ALL_USERS;
	while (e.cursor != KBITS_ENUM_END) {
		e.count = max - n;
		e.ids = (uintptr_t)ids[n];
		ASSERT_SYSOK(ioctl(dev, KBITS_IOC_ENUM_JOBS, &e));
		n += e.count;
		ASSERT_LE(n, max);
		if (n == max)
			break;
	}
	qsort(ids, n, KBITS_GUID_SIZE, cmp_guid);
	return n;
}

/* Cancels every queued job that was not there when the test began. */
static void cancel_new_jobs(struct ctx *c)
{
	guid_bytes ids[256];
	int n = list_jobs(c->dev, ids, 256), i, fd;

	for (i = 0; i < n; i++) {
		if (bsearch(ids[i], c->base_ids, c->nbase, KBITS_GUID_SIZE, cmp_guid))
			continue;
		fd = raw_get(c->dev, ids[i]);
		if (fd < 0)
			continue;
		ioctl(fd, KBITS_JOB_IOC_CANCEL);
		close(fd);
	}
}

static uint32_t read_param(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);

	ASSERT_SYSOK(fd);
	ASSERT_GT(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	return strtoul(buf, NULL, 10);
}

/* --------------------------------------------------------- the snapshot */

/* What a failed ioctl must leave as it was. */
struct snap {
	int nids;
	guid_bytes ids[256];
	uint32_t state, type, owner;
	struct kbits_job_attr attr;
	struct kbits_job_progress prog;
	int r_name, r_desc, r_hdr, r_proxy, r_file, r_err, r_cmd;
	char name[KBITS_DISPLAY_NAME_MAX + 1];
	char desc[KBITS_DESCRIPTION_MAX + 1];
	char hdr[KBITS_HTTP_HEADERS_MAX + 1];
	uint32_t cmd_len;	/* GET_NOTIFY_CMD adds no NUL: its length */
	char cmd[KBITS_NOTIFY_CMD_MAX + 1];
	int r_reply, r_creds;
	char reply[KBITS_LOCAL_NAME_MAX + 1];
	struct kbits_job_cred_schemes creds;
	struct kbits_job_proxy px;
	char list[KBITS_PROXY_LIST_MAX + 1], bypass[KBITS_PROXY_LIST_MAX + 1];
	struct kbits_job_file f0;
	char remote[KBITS_REMOTE_NAME_MAX + 1], local[KBITS_LOCAL_NAME_MAX + 1];
	struct kbits_job_error er;
	char etext[KBITS_ERROR_TEXT_MAX + 1];
	int events;		/* the agent has one to read */
};

static int err_of(int r)
{
	return r < 0 ? errno : 0;
}

static int sget(int fd, unsigned long cmd, char *buf, uint32_t room)
{
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = room;
	s.buf = (uintptr_t)buf;
	return err_of(ioctl(fd, cmd, &s));
}

/* sget, and the length the GET wrote (it is no NUL-ended string). */
static int sget_len(int fd, unsigned long cmd, char *buf, uint32_t room,
		    uint32_t *len)
{
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = room;
	s.buf = (uintptr_t)buf;
	*len = 0;
	if (ioctl(fd, cmd, &s))
		return errno;
	*len = s.len;
	return 0;
}

static void take_snap(struct ctx *c, struct snap *s)
{
	struct pollfd pfd = { .fd = c->agent, .events = POLLIN };
	int fd = c->job;

	memset(s, 0, sizeof(*s));
	s->nids = list_jobs(c->dev, s->ids, 256);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_STATE, &s->state));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_TYPE, &s->type));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_OWNER, &s->owner));
	s->attr.size = sizeof(s->attr);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &s->attr));
	/* a taken job's grows with the clock: no ioctl's doing */
	s->attr.transfer_time = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, &s->prog));
	s->r_name = sget(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, s->name, sizeof(s->name));
	s->r_desc = sget(fd, KBITS_JOB_IOC_GET_DESCRIPTION, s->desc, sizeof(s->desc));
	s->r_hdr = sget(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, s->hdr, sizeof(s->hdr));
	s->r_cmd = sget_len(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, s->cmd,
			    sizeof(s->cmd), &s->cmd_len);
	s->r_reply = sget(fd, KBITS_JOB_IOC_GET_REPLY_FILE, s->reply,
			  sizeof(s->reply));
	s->creds.size = sizeof(s->creds);
	s->r_creds = err_of(ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, &s->creds));
	s->px.size = sizeof(s->px);
	s->px.list_len = sizeof(s->list);
	s->px.bypass_len = sizeof(s->bypass);
	s->px.list = (uintptr_t)s->list;
	s->px.bypass = (uintptr_t)s->bypass;
	s->r_proxy = err_of(ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &s->px));
	s->px.list = s->px.bypass = 0;
	s->f0.size = sizeof(s->f0);
	s->f0.remote_len = sizeof(s->remote);
	s->f0.local_len = sizeof(s->local);
	s->f0.remote = (uintptr_t)s->remote;
	s->f0.local = (uintptr_t)s->local;
	s->r_file = err_of(ioctl(fd, KBITS_JOB_IOC_GET_FILE, &s->f0));
	s->f0.remote = s->f0.local = 0;
	s->er.size = sizeof(s->er);
	s->er.text_len = sizeof(s->etext);
	s->er.text = (uintptr_t)s->etext;
	s->r_err = err_of(ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &s->er));
	s->er.text = 0;
	s->events = c->agent >= 0 ? poll(&pfd, 1, 0) : -1;
}

/* The first part of @a and @b that differs, or NULL. */
static const char *snap_diff(const struct snap *a, const struct snap *b)
{
#define DIFF(f) if (memcmp(&a->f, &b->f, sizeof(a->f))) return #f
	DIFF(nids);
	DIFF(ids);
	DIFF(state);
	DIFF(type);
	DIFF(owner);
	DIFF(attr);
	DIFF(prog);
	DIFF(r_name);
	DIFF(name);
	DIFF(r_desc);
	DIFF(desc);
	DIFF(r_hdr);
	DIFF(hdr);
	DIFF(r_cmd);
	DIFF(cmd_len);
	DIFF(cmd);
	DIFF(r_reply);
	DIFF(reply);
	DIFF(r_creds);
	DIFF(creds);
	DIFF(r_proxy);
	DIFF(px);
	DIFF(list);
	DIFF(bypass);
	DIFF(r_file);
	DIFF(f0);
	DIFF(remote);
	DIFF(local);
	DIFF(r_err);
	DIFF(er);
	DIFF(etext);
	DIFF(events);
#undef DIFF
	return NULL;
}

/* ------------------------------------------------------- the subject */

static void subject(struct ctx *c, enum prep p)
{
	c->job = raw_create(c->dev, "subject", 7, p == P_REPLY ?
			    KBITS_JOB_TYPE_UPLOAD_REPLY : KBITS_JOB_TYPE_DOWNLOAD,
			    c->id);
	ASSERT_SYSOK(c->job);
	if (p == P_REPLY)
		set_string(c->job, KBITS_JOB_IOC_SET_REPLY_FILE, "/tmp/kbits-hostile-reply");
	set_string(c->job, KBITS_JOB_IOC_SET_DESCRIPTION, "desc");
	add_file(c->job, "http://h/f", "/tmp/kbits-hostile-f");
	ASSERT_SYSOK(raw_set_proxy(c->job, KBITS_PROXY_OVERRIDE, "p:8080", "b"));
	set_string(c->job, KBITS_JOB_IOC_SET_HTTP_HEADERS, "X-A: 1");
	set_cmd(c->job, subject_cmd, sizeof(subject_cmd));
	ASSERT_SYSOK(ioctl(c->job, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(agent_job(c, KBITS_AGENT_IOC_TAKE_JOB));
	ASSERT_SYSOK(report_error(c, KBITS_ERROR_TRANSIENT, "not found"));
	if (p == P_TAKEN || p == P_DONE)
		ASSERT_SYSOK(agent_job(c, KBITS_AGENT_IOC_TAKE_JOB));
	if (p == P_DONE)
		ASSERT_SYSOK(agent_progress(c, 0, 10, 10, KBITS_FILE_COMPLETED));
	if (p == P_CANCELLED)
		job_cancel(c->job);
	drain(c);
}

/* ---------------------------------------------------- valid arguments */

#define ARG(type)	((type *)c->arg)

static void fill_none(struct ctx *c)
{
	(void)c;
}

static void fill_create(struct ctx *c)
{
	struct kbits_create_job *a = ARG(struct kbits_create_job);

	a->type = KBITS_JOB_TYPE_DOWNLOAD;
	a->name_len = 4;
	a->name = (uintptr_t)gput(&c->area[A_1], "cell", 4);
}

static void fill_get_job(struct ctx *c)
{
	memcpy(ARG(struct kbits_get_job)->id, c->id, KBITS_GUID_SIZE);
}

static void fill_enum(struct ctx *c)
{
	ARG(struct kbits_enum_jobs)->count = KBITS_ENUM_MAX;
	ARG(struct kbits_enum_jobs)->ids = (uintptr_t)c->outb[0];
}

static void fill_get_string(struct ctx *c)
{
	ARG(struct kbits_job_string)->len = OUT_SIZE;
	ARG(struct kbits_job_string)->buf = (uintptr_t)c->outb[0];
}

static void fill_set_string(struct ctx *c, const char *s)
{
	ARG(struct kbits_job_string)->len = strlen(s);
	ARG(struct kbits_job_string)->buf =
		(uintptr_t)gput(&c->area[A_1], s, strlen(s));
}

static void fill_set_name(struct ctx *c)
{
	fill_set_string(c, "renamed");
}

static void fill_set_desc(struct ctx *c)
{
	fill_set_string(c, "described");
}

static void fill_set_hdr(struct ctx *c)
{
	fill_set_string(c, "X-B: 2\r\nY: 3");
}

static void fill_set_cmd(struct ctx *c)
{
	static const char cmd[] = "/bin/true\0a b\0\0caf\xc3\xa9";

	ARG(struct kbits_job_string)->len = sizeof(cmd);
	ARG(struct kbits_job_string)->buf =
		(uintptr_t)gput(&c->area[A_1], cmd, sizeof(cmd));
}

static void fill_set_reply(struct ctx *c)
{
	fill_set_string(c, "/tmp/kbits-hostile-other-reply");
}

static void fill_set_creds(struct ctx *c)
{
	struct kbits_job_credentials *a = ARG(struct kbits_job_credentials);

	a->target = KBITS_AUTH_TARGET_SERVER;
	a->scheme = KBITS_AUTH_SCHEME_BASIC;
	a->user_len = 7;
	a->user = (uintptr_t)gput(&c->area[A_1], "hostile", 7);
	a->password_len = 2;
	a->password = (uintptr_t)gput(&c->area[A_2], "pw", 2);
}

static void fill_set_attr(struct ctx *c)
{
	struct kbits_job_attr *a = ARG(struct kbits_job_attr);

	a->mask = ATTR_ALL;
	a->priority = KBITS_PRIORITY_LOW;
	a->notify_flags = KBITS_NOTIFY_ALL;
	a->min_retry_delay = KBITS_MIN_RETRY_DELAY_MIN;
	a->no_progress_timeout = 0;
}

/* Puts nspec entries of esize bytes (spec0, zero tail) before the guard. */
static void place_specs(struct ctx *c)
{
	struct gbuf *g = &c->area[A_SPEC];
	size_t total = (size_t)c->nspec * c->esize;
	uint8_t *p = g->end - total;
	uint32_t i;

	ASSERT_LE(total, (size_t)(g->end - g->base));
	for (i = 0; i < c->nspec; i++)
		memcpy(p + (size_t)i * c->esize, c->spec0, c->esize);
	ARG(struct kbits_add_files)->files = (uintptr_t)p;
}

static void fill_add_files(struct ctx *c)
{
	struct kbits_file_spec *s = (struct kbits_file_spec *)c->spec0;
	static const char remote[] = "http://h/g", local[] = "/tmp/kbits-hostile-g";

	memset(c->spec0, 0, sizeof(c->spec0));
	s->remote = (uintptr_t)gput(&c->area[A_1], remote, strlen(remote));
	s->remote_len = strlen(remote);
	s->local = (uintptr_t)gput(&c->area[A_2], local, strlen(local));
	s->local_len = strlen(local);
	c->nspec = 1;
	c->esize = sizeof(*s);
	ARG(struct kbits_add_files)->count = 1;
	ARG(struct kbits_add_files)->entry_size = sizeof(*s);
	place_specs(c);
}

static void fill_get_file(struct ctx *c)
{
	struct kbits_job_file *a = ARG(struct kbits_job_file);

	a->remote_len = a->local_len = OUT_SIZE;
	a->remote = (uintptr_t)c->outb[0];
	a->local = (uintptr_t)c->outb[1];
}

static void fill_get_error(struct ctx *c)
{
	ARG(struct kbits_job_error)->text_len = OUT_SIZE;
	ARG(struct kbits_job_error)->text = (uintptr_t)c->outb[0];
}

static void fill_get_proxy(struct ctx *c)
{
	struct kbits_job_proxy *a = ARG(struct kbits_job_proxy);

	a->list_len = a->bypass_len = OUT_SIZE;
	a->list = (uintptr_t)c->outb[0];
	a->bypass = (uintptr_t)c->outb[1];
}

static void fill_set_proxy(struct ctx *c)
{
	struct kbits_job_proxy *a = ARG(struct kbits_job_proxy);

	a->usage = KBITS_PROXY_OVERRIDE;
	a->list_len = 6;
	a->list = (uintptr_t)gput(&c->area[A_1], "q:3128", 6);
	a->bypass_len = 1;
	a->bypass = (uintptr_t)gput(&c->area[A_2], "c", 1);
}

static void fill_agent_job(struct ctx *c)
{
	memcpy(ARG(struct kbits_agent_job)->id, c->id, KBITS_GUID_SIZE);
}

static void fill_progress(struct ctx *c)
{
	struct kbits_agent_progress *a = ARG(struct kbits_agent_progress);

	memcpy(a->id, c->id, KBITS_GUID_SIZE);
	a->index = 0;
	a->bytes_total = 10;
	a->bytes_transferred = 10;
	a->flags = KBITS_FILE_COMPLETED;
}

static void fill_error(struct ctx *c)
{
	struct kbits_agent_error *a = ARG(struct kbits_agent_error);

	memcpy(a->id, c->id, KBITS_GUID_SIZE);
	a->flags = KBITS_ERROR_TRANSIENT;
	a->context = KBITS_ERROR_CONTEXT_GENERAL;
	a->code = 5;
	a->file_index = KBITS_NO_FILE;
	a->text_len = 4;
	a->text = (uintptr_t)gput(&c->area[A_1], "boom", 4);
}

/* The subject's record, in c->rec. */
static void export_subject(struct ctx *c)
{
	struct kbits_agent_record r = { .size = sizeof(r) };

	memcpy(r.id, c->id, KBITS_GUID_SIZE);
	r.buf = (uintptr_t)c->rec;
	r.buf_len = GEN_MAX;
	ASSERT_SYSOK(ioctl(c->agent, KBITS_AGENT_IOC_EXPORT_JOB, &r));
	c->rec_len = r.buf_len;
}

static void fill_export(struct ctx *c)
{
	struct kbits_agent_record *a = ARG(struct kbits_agent_record);

	export_subject(c);
	memcpy(a->id, c->id, KBITS_GUID_SIZE);
	a->buf = (uintptr_t)c->outb[0];
	a->buf_len = OUT_SIZE;
}

/* Imports the subject's record: after a cancel it succeeds, else EEXIST. */
static void fill_import(struct ctx *c)
{
	struct kbits_agent_record *a = ARG(struct kbits_agent_record);

	export_subject(c);
	a->buf = (uintptr_t)gput(&c->area[A_1], c->rec, c->rec_len);
	a->buf_len = c->rec_len;
	if (!c->racing) {
		job_cancel(c->job);
		drain(c);
	}
}

static void fill_placed(struct ctx *c)
{
	memcpy(ARG(struct kbits_agent_placed)->id, c->id, KBITS_GUID_SIZE);
}

/* The subject's root directory: an fd (which the cell closes). */
static void fill_job_ns(struct ctx *c)
{
	memcpy(ARG(struct kbits_agent_job_ns)->id, c->id, KBITS_GUID_SIZE);
	ARG(struct kbits_agent_job_ns)->kind = KBITS_JOB_NS_ROOT;
}

/* ------------------------------------------------------ the fields */

#define FSZ(t, f)	sizeof(((t *)0)->f)
/* A field set to a value its ioctl refuses with @e. */
#define BAD(t, f, v, e, what) \
	{ .k = F_BAD, .name = what, .off = offsetof(t, f), .w = FSZ(t, f), \
	  .bad = (v), .err = (e) }
#define FLAG(t, f, v)	BAD(t, f, v, EINVAL, #f " with an unknown bit")
#define RSVD(t, f)	BAD(t, f, 1ull << (FSZ(t, f) * 8 - 1), EINVAL, #f " nonzero")
#define LEN(t, f, p, lim, g, a, ...) \
	{ .k = F_LEN, .name = #f, .off = offsetof(t, f), .w = 4, \
	  .mate = offsetof(t, p), .limit = (lim), .gen = (g), .area = (a), \
	  .e = { __VA_ARGS__ } }
#define PTR(t, f, l, is_out, a) \
	{ .k = F_PTR, .name = #f, .off = offsetof(t, f), .w = 8, \
	  .mate = offsetof(t, l), .err = EFAULT, .out = (is_out), .area = (a) }
#define STR(t, f, l, g, a) \
	{ .k = F_STR, .name = #f, .off = offsetof(t, f), .w = 8, \
	  .mate = offsetof(t, l), .gen = (g), .area = (a) }
#define END		{ .k = F_END }

#define ROOM_E		ERANGE, ERANGE, OK, OK, OK	/* a GET's room */
#define SETLEN_E	OK, OK, OK, ENAMETOOLONG, ENAMETOOLONG

typedef struct kbits_create_job cj_t;
typedef struct kbits_get_job gj_t;
typedef struct kbits_enum_jobs ej_t;
typedef struct kbits_job_string js_t;
typedef struct kbits_job_attr at_t;
typedef struct kbits_add_files af_t;
typedef struct kbits_file_spec fs_t;
typedef struct kbits_job_file jf_t;
typedef struct kbits_job_error je_t;
typedef struct kbits_job_proxy px_t;
typedef struct kbits_agent_job aj_t;
typedef struct kbits_agent_progress ap_t;
typedef struct kbits_agent_error ae_t;
typedef struct kbits_agent_record ar_t;
typedef struct kbits_agent_placed pl_t;
typedef struct kbits_agent_job_ns ns_t;
typedef struct kbits_job_credentials cr_t;
typedef struct kbits_job_cred_schemes cs_t;

static const struct fld f_create[] = {
	FLAG(cj_t, flags, 1),
	BAD(cj_t, type, 3, EINVAL, "type 3 (no such type)"),
	RSVD(cj_t, reserved[0]),
	RSVD(cj_t, reserved[1]),
	LEN(cj_t, name_len, name, KBITS_DISPLAY_NAME_MAX, G_TEXT, A_1, SETLEN_E),
	PTR(cj_t, name, name_len, false, A_1),
	STR(cj_t, name, name_len, G_TEXT, A_1),
	END
};

static const struct fld f_get_job[] = {
	FLAG(gj_t, flags, 1),
	RSVD(gj_t, reserved[0]),
	RSVD(gj_t, reserved[1]),
	END
};

static const struct fld f_enum[] = {
	FLAG(ej_t, flags, 1u << 1),
	FLAG(ej_t, flags, 1u << 31),
	RSVD(ej_t, reserved),
	BAD(ej_t, cursor, 1ull << 33, EINVAL, "cursor 2^33 (no call returned it)"),
	{ .k = F_BAD, .name = "cursor 2^33 (no call returned it) with count 0",
	  .off = offsetof(ej_t, cursor), .w = 8, .bad = 1ull << 33, .err = EINVAL,
	  .off2 = offsetof(ej_t, count), .bad2 = 0 },
	LEN(ej_t, count, ids, KBITS_ENUM_MAX, G_ROOM, A_1, OK, OK, OK, OK, OK),
	PTR(ej_t, ids, count, true, A_1),
	END
};

static const struct fld f_get_string[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_DISPLAY_NAME_MAX, G_ROOM, A_1, ROOM_E),
	PTR(js_t, buf, len, true, A_1),
	END
};

static const struct fld f_get_desc[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_DESCRIPTION_MAX, G_ROOM, A_1, ROOM_E),
	PTR(js_t, buf, len, true, A_1),
	END
};

static const struct fld f_get_hdr[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_HTTP_HEADERS_MAX, G_ROOM, A_1, ROOM_E),
	PTR(js_t, buf, len, true, A_1),
	END
};

static const struct fld f_set_name[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_DISPLAY_NAME_MAX, G_TEXT, A_1, SETLEN_E),
	PTR(js_t, buf, len, false, A_1),
	STR(js_t, buf, len, G_TEXT, A_1),
	END
};

static const struct fld f_set_desc[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_DESCRIPTION_MAX, G_TEXT, A_1, SETLEN_E),
	PTR(js_t, buf, len, false, A_1),
	STR(js_t, buf, len, G_TEXT, A_1),
	END
};

static const struct fld f_set_hdr[] = {
	RSVD(js_t, reserved),
	/* 0 removes them; 1 byte is no "Name:" line */
	LEN(js_t, len, buf, KBITS_HTTP_HEADERS_MAX, G_HDR, A_1,
	    OK, EINVAL, OK, ENAMETOOLONG, ENAMETOOLONG),
	PTR(js_t, buf, len, false, A_1),
	STR(js_t, buf, len, G_HDR, A_1),
	END
};

static const struct fld f_get_cmd[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_NOTIFY_CMD_MAX, G_ROOM, A_1, ROOM_E),
	PTR(js_t, buf, len, true, A_1),
	END
};

static const struct fld f_set_cmd[] = {
	RSVD(js_t, reserved),
	/* 0 removes it; 1 byte is "\0", an empty program */
	LEN(js_t, len, buf, KBITS_NOTIFY_CMD_MAX, G_CMD, A_1,
	    OK, EINVAL, OK, ENAMETOOLONG, ENAMETOOLONG),
	PTR(js_t, buf, len, false, A_1),
	STR(js_t, buf, len, G_CMD, A_1),
	END
};

static const struct fld f_get_reply[] = {
	RSVD(js_t, reserved),
	LEN(js_t, len, buf, KBITS_LOCAL_NAME_MAX, G_ROOM, A_1, ROOM_E),
	PTR(js_t, buf, len, true, A_1),
	END
};

static const struct fld f_set_reply[] = {
	RSVD(js_t, reserved),
	/* 0 removes it; 1 byte is "/" */
	LEN(js_t, len, buf, KBITS_LOCAL_NAME_MAX, G_PATH, A_1, SETLEN_E),
	PTR(js_t, buf, len, false, A_1),
	STR(js_t, buf, len, G_PATH, A_1),
	END
};

static const struct fld f_set_creds[] = {
	FLAG(cr_t, flags, 1u << 1),
	FLAG(cr_t, flags, 1u << 31),
	BAD(cr_t, flags, KBITS_CRED_REMOVE, EINVAL, "REMOVE with lengths"),
	BAD(cr_t, target, 0, EINVAL, "target 0"),
	BAD(cr_t, target, KBITS_AUTH_TARGET_PROXY + 1, EINVAL, "target 3"),
	BAD(cr_t, target, 0xffffffff, EINVAL, "target 2^32-1"),
	BAD(cr_t, scheme, 0, EINVAL, "scheme 0"),
	BAD(cr_t, scheme, KBITS_AUTH_SCHEME_NEGOTIATE + 1, EINVAL, "scheme 5"),
	BAD(cr_t, scheme, 0xffffffff, EINVAL, "scheme 2^32-1"),
	/* either may be empty */
	LEN(cr_t, user_len, user, KBITS_CRED_USER_MAX, G_TEXT, A_1, SETLEN_E),
	LEN(cr_t, password_len, password, KBITS_CRED_PASSWORD_MAX, G_TEXT, A_2,
	    SETLEN_E),
	PTR(cr_t, user, user_len, false, A_1),
	PTR(cr_t, password, password_len, false, A_2),
	STR(cr_t, user, user_len, G_TEXT, A_1),
	STR(cr_t, password, password_len, G_TEXT, A_2),
	END
};

static const struct fld f_get_creds[] = {
	RSVD(cs_t, reserved),
	END
};

static const struct fld f_get_attr[] = {
	FLAG(at_t, mask, 1),
	BAD(at_t, flags, 1, EINVAL, "flags nonzero"),
	END
};

static const struct fld f_set_attr[] = {
	FLAG(at_t, mask, 1u << 6),	/* the first unknown one */
	FLAG(at_t, mask, 1u << 31),
	BAD(at_t, flags, 1, EINVAL, "flags not named in mask"),
	BAD(at_t, priority, KBITS_PRIORITY_LOW + 1, EINVAL, "priority 4"),
	BAD(at_t, notify_flags, KBITS_NOTIFY_ALL + 1, EINVAL,
	    "notify_flags with an unknown bit"),
	BAD(at_t, min_retry_delay, KBITS_MIN_RETRY_DELAY_MIN - 1, EINVAL,
	    "min_retry_delay 4"),
	END
};

static const struct fld f_add_files[] = {
	FLAG(af_t, flags, 1),
	LEN(af_t, count, files, LIM_FILES, G_COUNT, A_SPEC,
	    EINVAL, OK, OK, E2BIG, E2BIG),
	LEN(af_t, entry_size, files, 4096, G_ESIZE, A_SPEC,
	    EINVAL, EINVAL, OK, EINVAL, EINVAL),
	PTR(af_t, files, count, false, A_SPEC),
	{ .k = F_LEN, .name = "spec.remote_len", .spec = true,
	  .off = offsetof(fs_t, remote_len), .w = 4, .mate = offsetof(fs_t, remote),
	  .limit = KBITS_REMOTE_NAME_MAX, .gen = G_PATH, .area = A_1,
	  .e = { EINVAL, OK, OK, ENAMETOOLONG, ENAMETOOLONG } },
	{ .k = F_LEN, .name = "spec.local_len", .spec = true,
	  .off = offsetof(fs_t, local_len), .w = 4, .mate = offsetof(fs_t, local),
	  .limit = KBITS_LOCAL_NAME_MAX, .gen = G_PATH, .area = A_2,
	  .e = { EINVAL, OK, OK, ENAMETOOLONG, ENAMETOOLONG } },
	{ .k = F_PTR, .name = "spec.remote", .spec = true,
	  .off = offsetof(fs_t, remote), .w = 8, .mate = offsetof(fs_t, remote_len),
	  .err = EFAULT, .area = A_1 },
	{ .k = F_PTR, .name = "spec.local", .spec = true,
	  .off = offsetof(fs_t, local), .w = 8, .mate = offsetof(fs_t, local_len),
	  .err = EFAULT, .area = A_2 },
	{ .k = F_STR, .name = "spec.remote", .spec = true,
	  .off = offsetof(fs_t, remote), .w = 8, .mate = offsetof(fs_t, remote_len),
	  .gen = G_PATH, .area = A_1 },
	{ .k = F_STR, .name = "spec.local", .spec = true,
	  .off = offsetof(fs_t, local), .w = 8, .mate = offsetof(fs_t, local_len),
	  .gen = G_PATH, .area = A_2 },
	END
};

static const struct fld f_get_file[] = {
	RSVD(jf_t, reserved),
	BAD(jf_t, index, 1, ENXIO, "index 1 (no such file)"),
	BAD(jf_t, index, BIGLEN, ENXIO, "index 2^32-1"),
	LEN(jf_t, remote_len, remote, KBITS_REMOTE_NAME_MAX, G_ROOM, A_1, ROOM_E),
	LEN(jf_t, local_len, local, KBITS_LOCAL_NAME_MAX, G_ROOM, A_1, ROOM_E),
	PTR(jf_t, remote, remote_len, true, A_1),
	PTR(jf_t, local, local_len, true, A_1),
	END
};

static const struct fld f_get_error[] = {
	RSVD(je_t, flags),
	LEN(je_t, text_len, text, KBITS_ERROR_TEXT_MAX, G_ROOM, A_1, ROOM_E),
	PTR(je_t, text, text_len, true, A_1),
	END
};

static const struct fld f_get_proxy[] = {
	RSVD(px_t, reserved),
	LEN(px_t, list_len, list, KBITS_PROXY_LIST_MAX, G_ROOM, A_1, ROOM_E),
	LEN(px_t, bypass_len, bypass, KBITS_PROXY_LIST_MAX, G_ROOM, A_1, ROOM_E),
	PTR(px_t, list, list_len, true, A_1),
	PTR(px_t, bypass, bypass_len, true, A_1),
	END
};

static const struct fld f_set_proxy[] = {
	RSVD(px_t, reserved),
	BAD(px_t, usage, KBITS_PROXY_OVERRIDE + 1, EINVAL, "usage 3 (no such usage)"),
	/* OVERRIDE needs a list: 0 is EINVAL */
	LEN(px_t, list_len, list, KBITS_PROXY_LIST_MAX, G_TEXT, A_1,
	    EINVAL, OK, OK, ENAMETOOLONG, ENAMETOOLONG),
	LEN(px_t, bypass_len, bypass, KBITS_PROXY_LIST_MAX, G_TEXT, A_2, SETLEN_E),
	PTR(px_t, list, list_len, false, A_1),
	PTR(px_t, bypass, bypass_len, false, A_2),
	STR(px_t, list, list_len, G_TEXT, A_1),
	STR(px_t, bypass, bypass_len, G_TEXT, A_2),
	END
};

static const struct fld f_agent_job[] = {
	FLAG(aj_t, flags, 1),
	RSVD(aj_t, reserved),
	END
};

static const struct fld f_progress[] = {
	FLAG(ap_t, flags, 1u << 1),
	RSVD(ap_t, reserved),
	BAD(ap_t, index, 1, ENXIO, "index 1 (no such file)"),
	BAD(ap_t, bytes_transferred, 11, EINVAL, "bytes_transferred > bytes_total"),
	BAD(ap_t, bytes_total, KBITS_SIZE_UNKNOWN, EINVAL,
	    "COMPLETED with an unknown total"),
	END
};

static const struct fld f_error[] = {
	FLAG(ae_t, flags, 1u << 1),
	RSVD(ae_t, reserved),
	BAD(ae_t, context, KBITS_ERROR_CONTEXT_NONE, EINVAL, "context NONE"),
	BAD(ae_t, context, KBITS_ERROR_CONTEXT_REMOTE_APPLICATION + 1, EINVAL,
	    "context 6 (no such context)"),
	BAD(ae_t, code, 0xffffffff, EINVAL, "code -1"),
	BAD(ae_t, file_index, 1, ENXIO, "file_index 1 (no such file)"),
	LEN(ae_t, text_len, text, KBITS_ERROR_TEXT_MAX, G_TEXT, A_1, SETLEN_E),
	PTR(ae_t, text, text_len, false, A_1),
	STR(ae_t, text, text_len, G_TEXT, A_1),
	END
};

static const struct fld f_export[] = {
	FLAG(ar_t, flags, 1),
	RSVD(ar_t, reserved),
	LEN(ar_t, buf_len, buf, LIM_RECORD, G_ROOM, A_1, ROOM_E),
	PTR(ar_t, buf, buf_len, true, A_1),
	END
};

static const struct fld f_import[] = {
	FLAG(ar_t, flags, 1),
	RSVD(ar_t, reserved),
	/* shorter than a header, a byte over, longer than any record */
	LEN(ar_t, buf_len, buf, LIM_RECORD, G_REC, A_1,
	    EINVAL, EINVAL, OK, EINVAL, E2BIG),
	PTR(ar_t, buf, buf_len, false, A_1),
	END
};

static const struct fld f_placed[] = {
	FLAG(pl_t, flags, 1),
	RSVD(pl_t, reserved),
	BAD(pl_t, error, 0xffffffff, EINVAL, "error -1"),
	BAD(pl_t, error, 4095, EINVAL, "error 4095"),
	END
};

static const struct fld f_job_ns[] = {
	FLAG(ns_t, flags, 1),
	FLAG(ns_t, flags, 1u << 31),
	RSVD(ns_t, reserved),
	BAD(ns_t, kind, KBITS_JOB_NS_NET + 1, EINVAL, "kind 2 (no such kind)"),
	BAD(ns_t, kind, 0xffffffff, EINVAL, "kind 2^32-1"),
	{ .k = F_BAD, .name = "id of no job", .off = offsetof(ns_t, id), .w = 8,
	  .bad = 0x2121212121212121ull, .err = ENOENT },
	END
};

static const struct fld f_attach[] = {
	{ .k = F_BAD, .name = "flags with an unknown bit", .bad = 1u << 1, .err = EINVAL },
	{ .k = F_BAD, .name = "flags with bit 31", .bad = 1u << 31, .err = EINVAL },
	{ .k = F_BAD, .name = "flags ~0", .bad = ~0ull, .err = EINVAL },
	{ .k = F_BAD, .name = "a kernel address as flags", .bad = 0xffff888000000000ull,
	  .err = EINVAL },
	END
};

static const struct fld f_none[] = { END };

#define STRUCT(t)	sizeof(t)
static const struct ioc iocs[] = {
	/* on /dev/kbits */
	{ "create_job", KBITS_IOC_CREATE_JOB, DEV, KBITS_CREATE_JOB_SIZE_VER0,
	  STRUCT(cj_t), .out = true, .makes_fd = true, .fill = fill_create, .f = f_create },
	{ "get_job", KBITS_IOC_GET_JOB, DEV, KBITS_GET_JOB_SIZE_VER0, STRUCT(gj_t),
	  .makes_fd = true, .fill = fill_get_job, .f = f_get_job },
	{ "enum_jobs", KBITS_IOC_ENUM_JOBS, DEV, KBITS_ENUM_JOBS_SIZE_VER0,
	  STRUCT(ej_t), .out = true, .cmp_out = true, .fill = fill_enum, .f = f_enum },
	{ "agent_attach", KBITS_IOC_AGENT_ATTACH, DEV, 0, 0, .makes_fd = true,
	  .intarg = true, .fill = fill_none, .f = f_attach },
	/* on a job fd */
	{ "get_id", KBITS_JOB_IOC_GET_ID, JOB, 0, sizeof(struct kbits_job_id),
	  .out = true, .fill = fill_none, .f = f_none },
	{ "get_type", KBITS_JOB_IOC_GET_TYPE, JOB, 0, 4, .out = true,
	  .fill = fill_none, .f = f_none },
	{ "get_state", KBITS_JOB_IOC_GET_STATE, JOB, 0, 4, .out = true,
	  .fill = fill_none, .f = f_none },
	{ "get_owner", KBITS_JOB_IOC_GET_OWNER, JOB, 0, 4, .out = true,
	  .fill = fill_none, .f = f_none },
	{ "get_progress", KBITS_JOB_IOC_GET_PROGRESS, JOB, 0,
	  sizeof(struct kbits_job_progress), .out = true, .fill = fill_none, .f = f_none },
	{ "get_display_name", KBITS_JOB_IOC_GET_DISPLAY_NAME, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .out = true, .cmp_out = true,
	  .fill = fill_get_string, .f = f_get_string },
	{ "set_display_name", KBITS_JOB_IOC_SET_DISPLAY_NAME, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .fill = fill_set_name, .f = f_set_name },
	{ "get_description", KBITS_JOB_IOC_GET_DESCRIPTION, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .out = true, .cmp_out = true,
	  .fill = fill_get_string, .f = f_get_desc },
	{ "set_description", KBITS_JOB_IOC_SET_DESCRIPTION, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .fill = fill_set_desc, .f = f_set_desc },
	{ "get_http_headers", KBITS_JOB_IOC_GET_HTTP_HEADERS, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .out = true, .cmp_out = true,
	  .fill = fill_get_string, .f = f_get_hdr },
	{ "set_http_headers", KBITS_JOB_IOC_SET_HTTP_HEADERS, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .fill = fill_set_hdr, .f = f_set_hdr },
	{ "get_notify_cmd", KBITS_JOB_IOC_GET_NOTIFY_CMD, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .out = true, .cmp_out = true,
	  .fill = fill_get_string, .f = f_get_cmd },
	{ "set_notify_cmd", KBITS_JOB_IOC_SET_NOTIFY_CMD, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .fill = fill_set_cmd, .f = f_set_cmd },
	{ "set_credentials", KBITS_JOB_IOC_SET_CREDENTIALS, JOB,
	  KBITS_JOB_CREDENTIALS_SIZE_VER0, STRUCT(cr_t), .fill = fill_set_creds,
	  .f = f_set_creds },
	{ "get_credentials", KBITS_JOB_IOC_GET_CREDENTIALS, JOB,
	  KBITS_JOB_CRED_SCHEMES_SIZE_VER0, STRUCT(cs_t), .out = true,
	  .cmp_out = true, .fill = fill_none, .f = f_get_creds },
	/* an UPLOAD_REPLY subject's */
	{ "get_reply_file", KBITS_JOB_IOC_GET_REPLY_FILE, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .out = true, .cmp_out = true,
	  .prep = P_REPLY, .rprep = P_REPLY, .fill = fill_get_string, .f = f_get_reply },
	{ "set_reply_file", KBITS_JOB_IOC_SET_REPLY_FILE, JOB,
	  KBITS_JOB_STRING_SIZE_VER0, STRUCT(js_t), .prep = P_REPLY,
	  .rprep = P_REPLY, .fill = fill_set_reply, .f = f_set_reply },
	{ "get_attr", KBITS_JOB_IOC_GET_ATTR, JOB, KBITS_JOB_ATTR_SIZE_VER0,
	  STRUCT(at_t), .out = true, .cmp_out = true, .fill = fill_none, .f = f_get_attr },
	{ "set_attr", KBITS_JOB_IOC_SET_ATTR, JOB, KBITS_JOB_ATTR_SIZE_VER0,
	  STRUCT(at_t), .fill = fill_set_attr, .f = f_set_attr },
	{ "add_files", KBITS_JOB_IOC_ADD_FILES, JOB, KBITS_ADD_FILES_SIZE_VER0,
	  STRUCT(af_t), .rprep = P_CANCELLED, .rok = EBADFD,
	  .fill = fill_add_files, .f = f_add_files },
	{ "get_file", KBITS_JOB_IOC_GET_FILE, JOB, KBITS_JOB_FILE_SIZE_VER0,
	  STRUCT(jf_t), .out = true, .cmp_out = true, .fill = fill_get_file, .f = f_get_file },
	{ "get_error", KBITS_JOB_IOC_GET_ERROR, JOB, KBITS_JOB_ERROR_SIZE_VER0,
	  STRUCT(je_t), .out = true, .cmp_out = true, .fill = fill_get_error, .f = f_get_error },
	{ "get_proxy", KBITS_JOB_IOC_GET_PROXY, JOB, KBITS_JOB_PROXY_SIZE_VER0,
	  STRUCT(px_t), .out = true, .cmp_out = true, .fill = fill_get_proxy, .f = f_get_proxy },
	{ "set_proxy", KBITS_JOB_IOC_SET_PROXY, JOB, KBITS_JOB_PROXY_SIZE_VER0,
	  STRUCT(px_t), .fill = fill_set_proxy, .f = f_set_proxy },
	/* no argument: only the wrong fds */
	{ "resume", KBITS_JOB_IOC_RESUME, JOB, .fill = fill_none, .f = f_none },
	{ "suspend", KBITS_JOB_IOC_SUSPEND, JOB, .fill = fill_none, .f = f_none },
	{ "complete", KBITS_JOB_IOC_COMPLETE, JOB, .fill = fill_none, .f = f_none },
	{ "cancel", KBITS_JOB_IOC_CANCEL, JOB, .fill = fill_none, .f = f_none },
	/* returns the job's new fd (every older one is revoked) */
	{ "take_ownership", KBITS_JOB_IOC_TAKE_OWNERSHIP, JOB, .makes_fd = true,
	  .fill = fill_none, .f = f_none },
	/* on the agent fd */
	{ "take_job", KBITS_AGENT_IOC_TAKE_JOB, AGENT, KBITS_AGENT_JOB_SIZE_VER0,
	  STRUCT(aj_t), .rprep = P_TAKEN, .rok = EBADFD,
	  .fill = fill_agent_job, .f = f_agent_job },
	{ "progress", KBITS_AGENT_IOC_PROGRESS, AGENT, KBITS_AGENT_PROGRESS_SIZE_VER0,
	  STRUCT(ap_t), .prep = P_TAKEN, .rprep = P_TAKEN,
	  .fill = fill_progress, .f = f_progress },
	{ "agent_error", KBITS_AGENT_IOC_ERROR, AGENT, KBITS_AGENT_ERROR_SIZE_VER0,
	  STRUCT(ae_t), .prep = P_TAKEN, .rprep = P_ERRORED, .rok = EBADFD,
	  .fill = fill_error, .f = f_error },
	{ "transferred", KBITS_AGENT_IOC_TRANSFERRED, AGENT, KBITS_AGENT_JOB_SIZE_VER0,
	  STRUCT(aj_t), .prep = P_DONE, .rprep = P_ERRORED, .rok = EBADFD,
	  .fill = fill_agent_job, .f = f_agent_job },
	{ "export_job", KBITS_AGENT_IOC_EXPORT_JOB, AGENT, KBITS_AGENT_RECORD_SIZE_VER0,
	  STRUCT(ar_t), .out = true, .cmp_out = true, .fill = fill_export, .f = f_export },
	/* cells: the subject is cancelled first; read_once: EEXIST */
	{ "import_job", KBITS_AGENT_IOC_IMPORT_JOB, AGENT, KBITS_AGENT_RECORD_SIZE_VER0,
	  STRUCT(ar_t), .rok = EEXIST, .fill = fill_import, .f = f_import },
	/* no COMPLETE waits, so the valid argument gets EBADFD */
	{ "placed", KBITS_AGENT_IOC_PLACED, AGENT, KBITS_AGENT_PLACED_SIZE_VER0,
	  STRUCT(pl_t), .ok = EBADFD, .rok = EBADFD, .fill = fill_placed, .f = f_placed },
	/* an O_PATH fd of the subject's root directory */
	{ "job_ns", KBITS_AGENT_IOC_JOB_NS, AGENT, KBITS_AGENT_JOB_NS_SIZE_VER0,
	  STRUCT(ns_t), .makes_fd = true, .fill = fill_job_ns, .f = f_job_ns },
	/* taken -> QUEUED; read_once: a job not taken gets EBADFD */
	{ "requeue", KBITS_AGENT_IOC_REQUEUE, AGENT, KBITS_AGENT_JOB_SIZE_VER0,
	  STRUCT(aj_t), .prep = P_TAKEN, .rprep = P_ERRORED, .rok = EBADFD,
	  .fill = fill_agent_job, .f = f_agent_job },
};

/* ------------------------------------------------------------- a cell */

static const struct ioc *find_ioc(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iocs); i++)
		if (!strcmp(iocs[i].name, name))
			return &iocs[i];
	ASSERT_TRUE(0);
	return NULL;
}

static int fd_of(struct ctx *c, enum fdk k)
{
	switch (k) {
	case DEV: return c->dev;
	case JOB: return c->job;
	case AGENT: return c->agent;
	default: return c->null;
	}
}

/* A fresh subject and the valid argument. */
static void begin(struct ctx *c, const struct ioc *io, enum prep p)
{
	memset(c->arg, 0, 2 * page_size());
	if (io->ver0)
		*(uint32_t *)c->arg = io->ver0;
	subject(c, p);
	c->intarg = 0;
	io->fill(c);
	c->argp = c->arg;
	c->fd = fd_of(c, io->kind);
}

static void end_cell(struct ctx *c)
{
	close(c->job);
	c->job = -1;
	cancel_new_jobs(c);
	drain(c);
}

/*
 * Calls the ioctl as the cell made it; @want is an errno, or OK for the
 * row's valid result.  After a failure nothing may have changed.
 */
static void finish(struct ctx *c, const struct ioc *io, int want,
		   const char *what, const char *detail)
{
	static struct snap s0, s1;
	int exp = want == OK ? io->ok : want, lf, e;
	const char *d;
	long r;

	if (io->intarg && c->fd != c->agent) {	/* ATTACH needs no agent */
		close(c->agent);
		c->agent = -1;
	}
	drain(c);
	take_snap(c, &s0);
	lf = lowest_free_fd();
	r = io->intarg ? ioctl(c->fd, io->cmd, c->intarg) : ioctl(c->fd, io->cmd, c->argp);
	e = r < 0 ? errno : 0;
	c->cells++;
	if (r >= 0 && io->makes_fd)
		close(r);
	if (exp ? (r != -1 || e != exp) : r < 0)
		TH_LOG("DISAGREES %s, %s%s: got %s, documented %s", io->name, what,
		       detail, r < 0 ? th_errname(e) : "success",
		       exp ? th_errname(exp) : "success");
	if (exp ? (r != -1 || e != exp) : r < 0)
		__atomic_store_n(&th_result->failed, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(lf, lowest_free_fd());
	if (r < 0) {
		take_snap(c, &s1);
		d = snap_diff(&s0, &s1);
		if (d)
			TH_LOG("TRACE %s, %s%s: failed with %s but changed %s",
			       io->name, what, detail, th_errname(e), d);
		EXPECT_TRUE(d == NULL);
	}
	if (io->intarg && c->agent < 0)	/* no agent may be left attached */
		attach(c);
	end_cell(c);
}

/* Content of @n bytes for a length cell, into @dst. */
static void gen(const struct ctx *c, enum gen g, uint8_t *dst, uint32_t n)
{
	memset(dst, 'a', n);
	switch (g) {
	case G_PATH:
		if (n)
			dst[0] = '/';
		break;
	case G_HDR:
		if (n)
			dst[0] = 'X';
		if (n > 1)
			dst[1] = ':';
		break;
	case G_CMD:
		if (n)
			dst[0] = '/';
		if (n)
			dst[n - 1] = '\0';
		break;
	case G_REC:
		memset(dst, 0, n);
		memcpy(dst, c->rec, n < c->rec_len ? n : c->rec_len);
		break;
	default:
		break;
	}
}

static uint8_t *field_base(struct ctx *c, const struct fld *f)
{
	return f->spec ? c->spec0 : c->arg;
}

/* After a change to spec0, nspec or esize. */
static void respec(struct ctx *c, const struct fld *f)
{
	if (f->spec)
		place_specs(c);
}

static const char *const len_name[] = { "0", "1", "the limit", "the limit + 1", "2^32 - 1" };

static void set_len(struct ctx *c, const struct fld *f, uint32_t v)
{
	static uint8_t tmp[GEN_MAX + 8];
	uint8_t *base = field_base(c, f);
	struct kbits_add_files *af = ARG(struct kbits_add_files);

	switch (f->gen) {
	case G_COUNT:
		af->count = v;
		if (v <= 1024) {
			c->nspec = v;
			place_specs(c);
		}
		return;
	case G_ESIZE:
		af->entry_size = v;
		if (v >= sizeof(fs_t) && v <= sizeof(c->spec0)) {
			c->esize = v;
			place_specs(c);
		}
		return;
	case G_ROOM:
		put_field(base, f->off, 4, v);
		return;
	default:
		put_field(base, f->off, 4, v);
		if (v <= GEN_MAX) {
			gen(c, f->gen, tmp, v);
			put_field(base, f->mate, 8,
				  (uintptr_t)gput(&c->area[f->area], tmp, v));
		}
		respec(c, f);
	}
}

static uint32_t limit_of(const struct ctx *c, const struct fld *f)
{
	if (f->limit == LIM_FILES)
		return c->max_files - 1;	/* the subject has a file */
	if (f->limit == LIM_RECORD)
		return c->rec_len;
	return f->limit;
}

/* Bad bytes for a string cell, after the field's usual prefix. */
static const struct { const char *what; const char *s; size_t n; } bad_str[] = {
	{ "an embedded NUL", "a\0b", 3 },
	{ "invalid UTF-8 (0xff)", "a\xff", 2 },
	{ "invalid UTF-8 (a lone continuation byte)", "\x80" "a", 2 },
	{ "invalid UTF-8 (overlong '/')", "\xc0\xaf", 2 },
	{ "invalid UTF-8 (a surrogate)", "\xed\xa0\x80", 3 },
	{ "invalid UTF-8 (above U+10FFFF)", "\xf4\x90\x80\x80", 4 },
	{ "invalid UTF-8 (cut short by the guard page)", "a\xe2\x82", 3 },
};

/*
 * A notify command's string cells: bad_str[]'s bytes after "/" and before
 * a final NUL (then an embedded NUL ends an argument: valid, and the cut
 * short sequence ends at the NUL), and these, whole.
 */
static const struct { const char *what; const char *s; size_t n; } bad_cmd[] = {
	{ "no final NUL", "/bin/true", 9 },
	{ "no final NUL after an argument", "/bin/true\0-x", 12 },
	{ "a relative program", "bin/true\0", 9 },
	{ "an empty program", "\0/bin/true\0", 11 },
	{ "invalid UTF-8 in an argument", "/bin/true\0\xff\0", 12 },
};

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->dev = dev_open();
	c->null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_SYSOK(c->null);
	c->nbase = list_jobs(c->dev, c->base_ids, 256);
	attach(c);
	c->arg = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c->arg);
	c->area[A_1] = guarded(4);
	c->area[A_2] = guarded(4);
	c->area[A_SPEC] = guarded(8);
	c->area[A_STRUCT] = guarded(2);
	c->ro = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c->ro);
	c->gone = unmapped_page();
	c->outb[0] = malloc(OUT_SIZE);
	c->outb[1] = malloc(OUT_SIZE);
	c->rec = malloc(GEN_MAX);
	ASSERT_TRUE(c->outb[0] && c->outb[1] && c->rec);
	c->max_files = read_param(PARAM_MAX_FILES);
}

static void ctx_exit(struct ctx *c)
{
	close(c->agent);
	close(c->null);
	close(c->dev);
}

/* Every cell of one ioctl. */
static void run_ioctl(const char *name)
{
	static struct ctx cx;
	struct ctx *c = &cx;
	const struct ioc *io = find_ioc(name);
	uint32_t sz = io->ver0 ? io->ver0 : io->argsize;
	const struct fld *f;
	char what[160];
	int k, i;

	ctx_init(c);

	/* The valid argument itself. */
	begin(c, io, io->prep);
	finish(c, io, OK, "the valid argument", "");

	/* The argument pointer. */
	if (io->argsize) {
		struct gbuf *g = &c->area[A_STRUCT];

		begin(c, io, io->prep);
		c->argp = NULL;
		finish(c, io, EFAULT, "argument NULL", "");
		begin(c, io, io->prep);
		c->argp = c->gone;
		finish(c, io, EFAULT, "argument unmapped", "");
		begin(c, io, io->prep);
		c->argp = KADDR;
		finish(c, io, EFAULT, "argument a kernel address", "");
		begin(c, io, io->prep);
		c->argp = gput(g, c->arg, sz);
		finish(c, io, OK, "argument ending at a guard page", "");
		begin(c, io, io->prep);
		c->argp = gput(g, c->arg, sz - 1);
		finish(c, io, EFAULT, "argument whose last byte is on a guard page", "");
		begin(c, io, io->prep);
		ASSERT_SYSOK(mprotect(c->ro, page_size(), PROT_READ | PROT_WRITE));
		memcpy(c->ro, c->arg, sz);
		ASSERT_SYSOK(mprotect(c->ro, page_size(), PROT_READ));
		c->argp = c->ro;
		finish(c, io, io->out ? EFAULT : OK, "argument in read-only memory", "");
	}

	/* The size. */
	if (io->ver0) {
		/*
		 * rel: VER0 + val when val < 0, else the current size (a
		 * struct that grew knows more than VER0) + val; else val
		 */
		static const struct {
			const char *what; bool rel; int32_t val; bool tail; int err;
		} sizes[] = {
			{ "size 0", false, 0, false, EINVAL },
			{ "size 1", false, 1, false, EINVAL },
			{ "size VER0 - 1", true, -1, false, EINVAL },
			{ "size current + 8, zero tail", true, 8, false, OK },
			{ "size current + 8, nonzero tail", true, 8, true, E2BIG },
			{ "size 4096, zero tail", false, 4096, false, OK },
			{ "size 4097", false, 4097, false, E2BIG },
			{ "size 2^32 - 1", false, -1, false, E2BIG },
		};

		for (i = 0; i < (int)ARRAY_SIZE(sizes); i++) {
			begin(c, io, io->prep);
			*(uint32_t *)c->arg = !sizes[i].rel ? (uint32_t)sizes[i].val :
					      sizes[i].val < 0 ? io->ver0 + sizes[i].val :
					      io->argsize + sizes[i].val;
			if (sizes[i].tail)
				c->arg[io->argsize + 7] = 0x5a;
			finish(c, io, sizes[i].err, sizes[i].what, "");
		}
		begin(c, io, io->prep);
		*(uint32_t *)c->arg = io->argsize + 8;
		c->argp = gput(&c->area[A_STRUCT], c->arg, io->argsize);
		finish(c, io, EFAULT, "size current + 8 with the tail on a guard page", "");
	}

	/* Each field. */
	for (f = io->f; f->k != F_END; f++) {
		switch (f->k) {
		case F_BAD:
			begin(c, io, io->prep);
			if (io->intarg) {
				c->intarg = f->bad;
			} else {
				put_field(field_base(c, f), f->off, f->w, f->bad);
				if (f->off2)
					put_field(field_base(c, f), f->off2, 4, f->bad2);
				respec(c, f);
			}
			finish(c, io, f->err, f->name, "");
			break;
		case F_LEN:
			for (k = 0; k < 5; k++) {
				uint32_t lim, v;

				begin(c, io, io->prep);
				lim = limit_of(c, f);
				v = k == 0 ? 0 : k == 1 ? 1 : k == 2 ? lim :
				    k == 3 ? lim + 1 : BIGLEN;
				set_len(c, f, v);
				snprintf(what, sizeof(what), "%s at %s (%u)", f->name,
					 len_name[k], v);
				finish(c, io, f->e[k], what, "");
			}
			break;
		case F_PTR:
			for (k = 0; k < 4; k++) {
				uint8_t *base;
				uint64_t len, p;

				begin(c, io, io->prep);
				base = field_base(c, f);
				p = get_field(base, f->off, 8);
				len = get_field(base, f->mate, 4);
				if (!f->spec && io->fill == fill_add_files)
					len = (uint64_t)c->nspec * c->esize;
				if (k == 0)
					p = 0;
				else if (k == 1)
					p = (uintptr_t)c->gone;
				else if (k == 2)
					p = (uintptr_t)KADDR;
				else if (f->out)	/* it writes more than 1 byte */
					p = (uintptr_t)(c->area[A_STRUCT].end - 1);
				else {
					/* its first len - 1 bytes, then the guard */
					uint8_t *q = c->area[f->area].end - len + 1;

					memmove(q, (void *)(uintptr_t)p, len - 1);
					p = (uintptr_t)q;
				}
				put_field(base, f->off, 8, p);
				respec(c, f);
				finish(c, io, f->err, f->name,
				       k == 0 ? " NULL" : k == 1 ? " unmapped" :
				       k == 2 ? " a kernel address" :
				       " with its last byte on a guard page");
			}
			break;
		case F_STR:
			for (k = 0; k < (int)ARRAY_SIZE(bad_str); k++) {
				uint8_t buf[64];
				size_t n = 0;

				begin(c, io, io->prep);
				if (f->gen == G_PATH || f->gen == G_CMD)
					buf[n++] = '/';
				if (f->gen == G_HDR) {
					memcpy(buf, "X: ", 3);
					n = 3;
				}
				memcpy(buf + n, bad_str[k].s, bad_str[k].n);
				n += bad_str[k].n;
				if (f->gen == G_CMD)
					buf[n++] = '\0';
				put_field(field_base(c, f), f->off, 8,
					  (uintptr_t)gput(&c->area[f->area], buf, n));
				put_field(field_base(c, f), f->mate, 4, n);
				respec(c, f);
				snprintf(what, sizeof(what), "%s with %s", f->name,
					 bad_str[k].what);
				/* an embedded NUL ends a command's argument */
				finish(c, io, f->gen == G_CMD &&
				       memchr(bad_str[k].s, 0, bad_str[k].n) ?
				       OK : EINVAL, what, "");
			}
			for (k = 0; f->gen == G_CMD && k < (int)ARRAY_SIZE(bad_cmd); k++) {
				begin(c, io, io->prep);
				put_field(field_base(c, f), f->off, 8,
					  (uintptr_t)gput(&c->area[f->area],
							  bad_cmd[k].s, bad_cmd[k].n));
				put_field(field_base(c, f), f->mate, 4, bad_cmd[k].n);
				snprintf(what, sizeof(what), "%s with %s", f->name,
					 bad_cmd[k].what);
				finish(c, io, EINVAL, what, "");
			}
			break;
		default:
			break;
		}
	}

	/* The wrong fds. */
	for (k = 0; k < NR_FDK; k++) {
		if (k == (int)io->kind)
			continue;
		begin(c, io, io->prep);
		c->fd = fd_of(c, k);
		snprintf(what, sizeof(what), "on %s", fdk_name[k]);
		finish(c, io, ENOTTY, what, "");
	}

	TH_LOG("%s: %d cells", io->name, c->cells);
	ctx_exit(c);
}

#define IOC_TEST(n) TEST(n) { run_ioctl(#n); }

IOC_TEST(create_job)
IOC_TEST(get_job)
IOC_TEST(enum_jobs)
IOC_TEST(agent_attach)
IOC_TEST(get_id)
IOC_TEST(get_type)
IOC_TEST(get_state)
IOC_TEST(get_owner)
IOC_TEST(get_progress)
IOC_TEST(get_display_name)
IOC_TEST(set_display_name)
IOC_TEST(get_description)
IOC_TEST(set_description)
IOC_TEST(get_http_headers)
IOC_TEST(set_http_headers)
IOC_TEST(get_notify_cmd)
IOC_TEST(set_notify_cmd)
IOC_TEST(set_credentials)
IOC_TEST(get_credentials)
IOC_TEST(get_reply_file)
IOC_TEST(set_reply_file)
IOC_TEST(get_attr)
IOC_TEST(set_attr)
IOC_TEST(add_files)
IOC_TEST(get_file)
IOC_TEST(get_error)
IOC_TEST(get_proxy)
IOC_TEST(set_proxy)
IOC_TEST(resume)
IOC_TEST(suspend)
IOC_TEST(complete)
IOC_TEST(cancel)
IOC_TEST(take_ownership)
IOC_TEST(take_job)
IOC_TEST(progress)
IOC_TEST(agent_error)
IOC_TEST(transferred)
IOC_TEST(export_job)
IOC_TEST(import_job)
IOC_TEST(placed)
IOC_TEST(job_ns)
IOC_TEST(requeue)

/* Every command of the UAPI, once. */
static const unsigned long uapi_cmds[] = {
	KBITS_IOC_CREATE_JOB, KBITS_IOC_GET_JOB, KBITS_IOC_ENUM_JOBS,
	KBITS_IOC_AGENT_ATTACH, KBITS_JOB_IOC_GET_ID, KBITS_JOB_IOC_GET_TYPE,
	KBITS_JOB_IOC_GET_STATE, KBITS_JOB_IOC_GET_OWNER,
	KBITS_JOB_IOC_GET_PROGRESS, KBITS_JOB_IOC_GET_DISPLAY_NAME,
	KBITS_JOB_IOC_SET_DISPLAY_NAME, KBITS_JOB_IOC_GET_DESCRIPTION,
	KBITS_JOB_IOC_SET_DESCRIPTION, KBITS_JOB_IOC_GET_HTTP_HEADERS,
	KBITS_JOB_IOC_SET_HTTP_HEADERS, KBITS_JOB_IOC_GET_NOTIFY_CMD,
	KBITS_JOB_IOC_SET_NOTIFY_CMD, KBITS_JOB_IOC_GET_ATTR,
	KBITS_JOB_IOC_SET_ATTR, KBITS_JOB_IOC_ADD_FILES, KBITS_JOB_IOC_GET_FILE,
	KBITS_JOB_IOC_GET_ERROR, KBITS_JOB_IOC_GET_PROXY, KBITS_JOB_IOC_SET_PROXY,
	KBITS_JOB_IOC_RESUME, KBITS_JOB_IOC_SUSPEND, KBITS_JOB_IOC_COMPLETE,
	KBITS_JOB_IOC_CANCEL, KBITS_JOB_IOC_TAKE_OWNERSHIP,
	KBITS_AGENT_IOC_TAKE_JOB, KBITS_AGENT_IOC_PROGRESS, KBITS_AGENT_IOC_ERROR,
	KBITS_AGENT_IOC_TRANSFERRED, KBITS_AGENT_IOC_EXPORT_JOB,
	KBITS_AGENT_IOC_IMPORT_JOB, KBITS_AGENT_IOC_PLACED,
	KBITS_AGENT_IOC_JOB_NS, KBITS_AGENT_IOC_REQUEUE,
	KBITS_JOB_IOC_SET_CREDENTIALS, KBITS_JOB_IOC_GET_CREDENTIALS,
	KBITS_JOB_IOC_GET_REPLY_FILE, KBITS_JOB_IOC_SET_REPLY_FILE,
};

/*
 * Every row has its TEST above, and every command of the UAPI its row:
 * a new ioctl needs a row here (and one in uapi_cmds[]).
 */
TEST(table_is_complete)
{
	size_t i, j, found;

	EXPECT_EQ(42, (int)ARRAY_SIZE(iocs));
	EXPECT_EQ(ARRAY_SIZE(uapi_cmds), ARRAY_SIZE(iocs));
	for (i = 0; i < ARRAY_SIZE(uapi_cmds); i++) {
		for (found = 0, j = 0; j < ARRAY_SIZE(iocs); j++)
			found += iocs[j].cmd == uapi_cmds[i];
		if (found != 1)
			TH_LOG("command %#lx (nr %#x): %zu rows", uapi_cmds[i],
			       (unsigned int)_IOC_NR(uapi_cmds[i]), found);
		EXPECT_EQ(1, found);
	}
	(void)th_fork;
}

/* ------------------------------------------------------------ read once */

#define RACE_CALLS	20000
#define RACE_NSEC	250000000ll	/* per flipped word */

struct flipper {
	uint8_t *word;
	int w;
	uint64_t v[4];
	int stop;
};

static void *flip_run(void *p)
{
	struct flipper *fl = p;
	unsigned int i = 0;

	while (!__atomic_load_n(&fl->stop, __ATOMIC_RELAXED)) {
		uint64_t v = fl->v[i++ & 3];

		if (fl->w == 8)
			__atomic_store_n((uint64_t *)fl->word, v, __ATOMIC_RELAXED);
		else
			__atomic_store_n((uint32_t *)fl->word, (uint32_t)v,
					 __ATOMIC_RELAXED);
	}
	return NULL;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* A result of the valid argument: closes (and cancels) what it made. */
static bool race_valid(const struct ioc *io, long r, int e)
{
	if (r >= 0 && io->makes_fd) {
		if (io->cmd == KBITS_IOC_CREATE_JOB)
			ioctl(r, KBITS_JOB_IOC_CANCEL);
		close(r);
	}
	return io->rok ? r == -1 && e == io->rok : r >= 0;
}

/*
 * One word of io's argument (of the file spec with @spec) flips between its
 * valid value and @h1, @h2 while this thread calls the ioctl.
 */
static void race_one(struct ctx *c, const struct ioc *io, const char *what,
		     bool spec, uint16_t off, int w, uint64_t h1, uint64_t h2,
		     int err1, int err2)
{
	static uint8_t valid[4096], ref[4096];
	static struct snap s0, s1;
	struct flipper fl = { .w = w };
	uint32_t sz = io->ver0;
	long n_valid = 0, n_hostile = 0, n_other = 0, n_badout = 0, i;
	long long deadline;
	pthread_t t;
	uint8_t *base;
	int lf, e;
	long r;

	begin(c, io, io->rprep);
	base = spec ? (uint8_t *)(uintptr_t)ARG(af_t)->files : c->arg;
	fl.word = base + off;
	fl.v[0] = fl.v[2] = get_field(base, off, w);
	fl.v[1] = h1;
	fl.v[3] = h2;
	memcpy(valid, c->arg, sz);

	/* A quiet call: the valid result, and the output to expect. */
	r = ioctl(c->fd, io->cmd, c->arg);
	e = errno;
	if (!race_valid(io, r, e)) {
		TH_LOG("%s: the valid argument got %s", io->name,
		       r < 0 ? th_errname(e) : "success");
		EXPECT_TRUE(0);
	}
	memcpy(ref, c->arg, sz);
	memcpy(c->arg, valid, sz);
	drain(c);
	take_snap(c, &s0);
	lf = lowest_free_fd();

	ASSERT_EQ(0, pthread_create(&t, NULL, flip_run, &fl));
	deadline = now_ns() + RACE_NSEC;
	for (i = 0; i < RACE_CALLS && now_ns() < deadline; i++) {
		if (spec) {
			memcpy(c->arg, valid, sz);
		} else {
			memcpy(c->arg, valid, off);
			memcpy(c->arg + off + w, valid + off + w, sz - off - w);
		}
		r = ioctl(c->fd, io->cmd, c->arg);
		e = errno;
		if (race_valid(io, r, e)) {
			n_valid++;
			if (r >= 0 && io->cmp_out &&
			    (memcmp(c->arg, ref, spec ? sz : off) ||
			     (!spec && memcmp(c->arg + off + w, ref + off + w,
					      sz - off - w)))) {
				if (!n_badout++) {
					uint32_t b = 0;

					while (b < sz && (c->arg[b] == ref[b] ||
							  (!spec && b >= off && b < off + (uint32_t)w)))
						b++;
					TH_LOG("DISAGREES %s, %s flipping: succeeded "
					       "with an output unlike a quiet call's "
					       "(byte %u: 0x%02x, quiet 0x%02x)",
					       io->name, what, b, c->arg[b], ref[b]);
				}
			}
		} else if (r == -1 && (e == err1 || e == err2)) {
			n_hostile++;
		} else {
			if (!n_other++)
				TH_LOG("DISAGREES %s, %s flipping: got %s, neither "
				       "the valid result (%s) nor %s/%s", io->name,
				       what, r < 0 ? th_errname(e) : "success",
				       io->rok ? th_errname(io->rok) : "success",
				       th_errname(err1), th_errname(err2));
		}
	}
	__atomic_store_n(&fl.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	memcpy(c->arg, valid, sz);

	EXPECT_EQ(0, n_other);
	EXPECT_EQ(0, n_badout);
	EXPECT_EQ(lf, lowest_free_fd());
	take_snap(c, &s1);
	s0.attr.modification_time = s1.attr.modification_time = 0;
	s0.events = s1.events = 0;
	if (snap_diff(&s0, &s1))
		TH_LOG("TRACE %s, %s flipping: %s changed", io->name, what,
		       snap_diff(&s0, &s1));
	EXPECT_TRUE(snap_diff(&s0, &s1) == NULL);
	TH_LOG("%s, %s: %ld calls, %ld valid, %ld hostile, %ld other%s",
	       io->name, what, i, n_valid, n_hostile, n_other,
	       n_badout ? ", some with a wrong output" : "");
	c->cells++;
	end_cell(c);
}

TEST_TIMEOUT(read_once, 150)
{
	static struct ctx cx;
	struct ctx *c = &cx;
	const struct fld *f;
	char what[96];
	size_t i;

	ctx_init(c);
	c->racing = true;
	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const struct ioc *io = &iocs[i];
		bool ptr_done = false;

		if (!io->ver0)
			continue;
		race_one(c, io, "size VER0 <-> 0, 2^32 - 1", false, 0, 4, 0, BIGLEN,
			 EINVAL, E2BIG);
		for (f = io->f; f->k != F_END; f++) {
			if (f->k == F_LEN && f->e[4] != OK) {
				snprintf(what, sizeof(what), "%s <-> 2^32 - 1", f->name);
				race_one(c, io, what, f->spec, f->off, 4, BIGLEN, BIGLEN,
					 f->e[4], f->e[4]);
			}
			if (f->k == F_PTR && !ptr_done) {
				snprintf(what, sizeof(what), "%s <-> NULL", f->name);
				race_one(c, io, what, f->spec, f->off, 8, 0, 0,
					 EFAULT, EFAULT);
				ptr_done = true;
			}
		}
	}
	TH_LOG("read_once: %d words flipped", c->cells);
	ctx_exit(c);
}

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
