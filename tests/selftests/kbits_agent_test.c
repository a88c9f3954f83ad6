// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: the agent's side -- KBITS_IOC_AGENT_ATTACH, the events
 * read from the agent fd (kept with each job, one of each kind, however
 * users flood them; none is lost), the KBITS_AGENT_IOC_* transitions (TAKE_JOB,
 * PROGRESS, ERROR, TRANSFERRED, PLACED), JOB_NS (the root directory and
 * network namespace of a job's owner), what the job's user sees of them
 * (GET_FILE, GET_PROGRESS, GET_ATTR, GET_ERROR, COMPLETE, RESUME) and what
 * happens when the agent goes away -- against the real module, with raw
 * ioctls only.  Run as root with kbits loaded (tests/selftests/run-in-vm.sh
 * does that in the test VM); the tests drop privileges themselves in forked
 * children.
 *
 * There is one agent at a time: every test that attaches closes its agent
 * fd before it ends (its process ends with the test anyway), so the next
 * test can attach again.  The jobs' users are uids 2300-2399; every job a
 * test makes is logged in memory shared by all the tests, and the last test
 * checks that none of them is left in the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>
#include <linux/nsfs.h>

#define FILES_DIR	"/tmp/at"	/* add_n()'s */

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

#define E_QUEUED	KBITS_EVENT_QUEUED
#define E_SUSPENDED	KBITS_EVENT_SUSPENDED
#define E_CANCELLED	KBITS_EVENT_CANCELLED
#define E_COMPLETED	KBITS_EVENT_COMPLETED
#define E_MODIFIED	KBITS_EVENT_MODIFIED
#define E_OVERFLOW	KBITS_EVENT_OVERFLOW
#define E_COMPLETING	KBITS_EVENT_COMPLETING
#define E_CREATED	KBITS_EVENT_CREATED

#define UNKNOWN		KBITS_SIZE_UNKNOWN
#define DONE		KBITS_FILE_COMPLETED
#define TRANSIENT	KBITS_ERROR_TRANSIENT

_Static_assert(sizeof(struct kbits_event) == 32, "event record");
_Static_assert(sizeof(struct kbits_agent_job) == KBITS_AGENT_JOB_SIZE_VER0, "agent job");
_Static_assert(sizeof(struct kbits_agent_progress) == KBITS_AGENT_PROGRESS_SIZE_VER0,
	       "agent progress");
_Static_assert(sizeof(struct kbits_agent_error) == KBITS_AGENT_ERROR_SIZE_VER0,
	       "agent error");

static const char * const state_name[] = {
	"QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR",
	"TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
};

static const char * const kind_name[] = {
	"0?", "QUEUED", "SUSPENDED", "CANCELLED", "COMPLETED", "MODIFIED",
	"OVERFLOW", "TRANSFERRED", "ERROR", "FILE_TRANSFERRED", "COMPLETING",
	"CREATED",
};

#define NAME_OF(tbl, v) ((v) < ARRAY_SIZE(tbl) ? (tbl)[v] : "?")

/* ---------------------------------------------------------------- helpers */

static const guid_bytes zero_guid;

/* What a child acting as a job's user hands back to the test. */
struct user_result {
	guid_bytes id;
	guid_bytes id2;
	long ret;
	int err;
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

/* A GUID no job has (122 random bits make a clash unthinkable). */
static void unknown_guid(uint8_t *id)
{
	static const guid_bytes g = {
		0x6b, 0x62, 0x69, 0x74, 0x73, 0x2d, 0x40, 0x61,
		0x80, 0x67, 0x65, 0x6e, 0x74, 0x21, 0x21, 0x21,
	};

	memcpy(id, g, sizeof(g));
}

static void get_attr(int fd, struct kbits_job_attr *a)
{
	memset(a, 0xa5, sizeof(*a));
	a->size = sizeof(*a);
	a->mask = 0;
	a->flags = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, a));
}

static uint32_t error_count(int fd)
{
	struct kbits_job_attr a;

	get_attr(fd, &a);
	return a.error_count;
}

/* SET_ATTR of the priority: one MODIFIED event. */
static int set_priority(int fd, uint32_t prio)
{
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = KBITS_ATTR_PRIORITY;
	a.priority = prio;
	return ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &a);
}

/* ----------------------------------------------------------------- errors */

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

/* GET_ERROR must give the error described. */
#define EXPECT_JOB_ERROR(fd, ctx, cod, file, txt) do {			\
	struct got_error g_;						\
	EXPECT_SYSOK(get_error(fd, &g_));				\
	EXPECT_EQ(ctx, g_.e.context);					\
	EXPECT_EQ(cod, g_.e.code);					\
	EXPECT_EQ(file, g_.e.file_index);				\
	EXPECT_EQ(strlen(txt), g_.e.text_len);				\
	EXPECT_STREQ(txt, g_.text);					\
} while (0)

#define EXPECT_NO_JOB_ERROR(fd) do {					\
	struct got_error g_;						\
	EXPECT_ERRNO(ENOMSG, get_error(fd, &g_));			\
} while (0)

/* ------------------------------------------------------------ the agent */

static uint64_t ev_seq;	/* the seq of the last record read */

static int raw_attach(int dev)
{
	return ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
}

/* Becomes the agent: the agent fd, whose first record will be seq 1. */
static int agent_attach(void)
{
	int dev = dev_open(), a;

	a = raw_attach(dev);
	ASSERT_SYSOK(a);
	close(dev);
	ev_seq = 0;
	return a;
}

static struct kbits_agent_job agent_job(const uint8_t *id)
{
	struct kbits_agent_job j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id, KBITS_GUID_SIZE);
	return j;
}

static int take(int a, const uint8_t *id)
{
	struct kbits_agent_job j = agent_job(id);

	return ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j);
}

static int requeue(int a, const uint8_t *id)
{
	struct kbits_agent_job j = agent_job(id);

	return ioctl(a, KBITS_AGENT_IOC_REQUEUE, &j);
}

static int transferred(int a, const uint8_t *id)
{
	struct kbits_agent_job j = agent_job(id);

	return ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, &j);
}

static struct kbits_agent_progress agent_progress(const uint8_t *id,
						  uint32_t index, uint64_t total,
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
	return p;
}

static int progress(int a, const uint8_t *id, uint32_t index, uint64_t total,
		    uint64_t done, uint32_t flags)
{
	struct kbits_agent_progress p = agent_progress(id, index, total, done,
						       flags);

	return ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p);
}

static struct kbits_agent_error agent_error(const uint8_t *id, uint32_t flags,
					    uint32_t context, int32_t code,
					    uint32_t file, const char *text)
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
	return e;
}

static int report_error(int a, const uint8_t *id, uint32_t flags,
			uint32_t context, int32_t code, uint32_t file,
			const char *text)
{
	struct kbits_agent_error e = agent_error(id, flags, context, code, file,
						 text);

	return ioctl(a, KBITS_AGENT_IOC_ERROR, &e);
}

/* Is a record waiting on the agent fd?  (poll, without waiting) */
static bool ev_pending(int a)
{
	struct pollfd p = { .fd = a, .events = POLLIN };
	int n = poll(&p, 1, 0);

	ASSERT_SYSOK(n);
	if (n && p.revents != (POLLIN))
		TH_LOG("poll: revents %#x", p.revents);
	return n == 1 && (p.revents & POLLIN);
}

/*
 * The next record must be about @id (NULL: the zero GUID), of @kind, with
 * the job in @state, and the seq after the last one read.
 */
#define EXPECT_EVENT(a, id, kind, state) \
	expect_event(__LINE__, a, id, kind, state)

static void expect_event(int line, int a, const uint8_t *id, uint32_t kind,
			 uint32_t state)
{
	struct kbits_event ev;
	ssize_t n;

	ev_seq++;
	if (!ev_pending(a)) {
		th_fail(__FILE__, line, false, "no event; expected %s (%s)",
			NAME_OF(kind_name, kind), NAME_OF(state_name, state));
		return;
	}
	memset(&ev, 0xa5, sizeof(ev));
	n = read(a, &ev, sizeof(ev));
	if (n != sizeof(ev)) {
		th_fail(__FILE__, line, false, "read: %zd (%s)", n,
			th_errname(errno));
		return;
	}
	if (ev.kind != kind || ev.state != state || ev.seq != ev_seq ||
	    memcmp(ev.id, id ? id : zero_guid, KBITS_GUID_SIZE))
		th_fail(__FILE__, line, false,
			"event %s (%s) seq %llu%s; expected %s (%s) seq %llu",
			NAME_OF(kind_name, ev.kind),
			NAME_OF(state_name, ev.state),
			(unsigned long long)ev.seq,
			memcmp(ev.id, id ? id : zero_guid, KBITS_GUID_SIZE) ?
			" of another job" : "",
			NAME_OF(kind_name, kind), NAME_OF(state_name, state),
			(unsigned long long)ev_seq);
	ev_seq = ev.seq;
}

#define EXPECT_NO_EVENT(a) do {						\
	if (ev_pending(a))						\
		TH_REPORT(false, "an event is pending, expected none");	\
} while (0)

/* Reads whatever is pending, checking the seqs; how many records. */
static unsigned int drain(int a)
{
	struct kbits_event ev[64];
	unsigned int n = 0, i;
	ssize_t r;

	while (ev_pending(a)) {
		r = read(a, ev, sizeof(ev));
		ASSERT_SYSOK(r);
		ASSERT_EQ(0, r % sizeof(ev[0]));
		for (i = 0; i < r / sizeof(ev[0]); i++)
			EXPECT_EQ(++ev_seq, ev[i].seq);
		n += r / sizeof(ev[0]);
	}
	return n;
}

/* ------------------------------------------------------ the job's user */

/*
 * A job made by @uid in a child: @nfiles files, RESUMEd (QUEUED) if
 * @resume.  Returns an fd of it for this (root) process; its GUID to @id.
 */
static int user_job(int dev, uid_t uid, uint32_t type, uint32_t nfiles,
		    bool resume, uint8_t *id)
{
	pid_t pid;
	int fd;

	pid = th_fork();
	if (pid == 0) {
		int udev;

		become(uid);
		udev = dev_open();
		fd = make_job(udev, "at: a user's job", type, ures->id);
		if (nfiles)
			ASSERT_SYSOK(add_n(fd, nfiles, "u"));
		/* RESUME takes an UPLOAD_REPLY job with its reply file */
		if (type == UR)
			ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE,
					     "/tmp/at/reply"));
		if (resume)
			ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, ures->id, KBITS_GUID_SIZE);
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	ASSERT_EQ(uid, job_owner(fd));
	ASSERT_EQ(resume ? S_QUEUED : S_SUSPENDED, job_state(fd));
	return fd;
}

enum user_op { U_RESUME, U_SUSPEND, U_COMPLETE, U_CANCEL, U_ADD_FILE };

/*
 * The job's user @uid, in a child, gets job @id and does @op: what the
 * ioctl returned, or -errno.
 */
static long user_do(uid_t uid, const uint8_t *id, enum user_op op)
{
	static const unsigned long cmd[] = {
		[U_RESUME] = KBITS_JOB_IOC_RESUME,
		[U_SUSPEND] = KBITS_JOB_IOC_SUSPEND,
		[U_COMPLETE] = KBITS_JOB_IOC_COMPLETE,
		[U_CANCEL] = KBITS_JOB_IOC_CANCEL,
	};
	pid_t pid;

	ures->ret = -12345;
	pid = th_fork();
	if (pid == 0) {
		int fd;
		long r;

		become(uid);
		fd = raw_get(dev_open(), id);
		ASSERT_SYSOK(fd);
		if (op == U_ADD_FILE)
			r = add_n(fd, 1, "more");
		else
			r = ioctl(fd, cmd[op]);
		ures->ret = r < 0 ? -errno : r;
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	return ures->ret;
}

/* ------------------------------------------------------------ attaching */

TEST(attach_needs_cap_sys_admin)
{
	int dev = dev_open(), a;
	pid_t pid;

	/* an unprivileged user, on its own fd and on one root opened */
	pid = th_fork();
	if (pid == 0) {
		become(2300);
		EXPECT_ERRNO(EPERM, raw_attach(dev));
		EXPECT_ERRNO(EPERM, raw_attach(dev_open()));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* root of a user namespace it made: every capability, but not there */
	pid = th_fork();
	if (pid == 0) {
		enter_userns_as(2300);
		ASSERT_TRUE(has_cap_sys_admin());
		EXPECT_ERRNO(EPERM, raw_attach(dev_open()));
		EXPECT_ERRNO(EPERM, raw_attach(dev));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* the refusals left no agent behind */
	a = raw_attach(dev);
	ASSERT_SYSOK(a);
	close(a);
	close(dev);
}

TEST(attach_fd)
{
	int dev = dev_open(), a, a2, fd, spare, flags;
	char link[64], path[64];
	guid_bytes id;
	ssize_t n;
	pid_t pid;

	a = raw_attach(dev);
	ASSERT_SYSOK(a);
	flags = fcntl(a, F_GETFD);
	ASSERT_SYSOK(flags);
	EXPECT_TRUE(flags & FD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_SYSOK(n);
	link[n] = '\0';
	EXPECT_STREQ("anon_inode:" KBITS_AGENT_INODE_NAME, link);
	EXPECT_STREQ("anon_inode:[kbits-agent]", link);

	/* one agent at a time; a refused attach leaves no fd behind */
	spare = dup(0);
	ASSERT_SYSOK(spare);
	close(spare);
	EXPECT_ERRNO(EBUSY, raw_attach(dev));
	EXPECT_ERRNO(EBUSY, raw_attach(dev));
	EXPECT_EQ(spare, dup(0));
	close(spare);

	/* nor from another process */
	pid = th_fork();
	if (pid == 0) {
		close(a);
		EXPECT_ERRNO(EBUSY, raw_attach(dev_open()));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* and the refusals did not detach the agent: it still hears */
	ev_seq = 0;
	fd = make_job(dev, "at: attach", DL, id);
	EXPECT_EVENT(a, id, E_CREATED, S_SUSPENDED);
	ASSERT_SYSOK(add_n(fd, 1, "attach"));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);

	/* a second fd of the same file keeps the agent attached */
	a2 = dup(a);
	ASSERT_SYSOK(a2);
	close(a);
	EXPECT_ERRNO(EBUSY, raw_attach(dev));
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_LOW));
	EXPECT_EVENT(a2, id, E_MODIFIED, S_SUSPENDED);
	close(a2);

	/* closed: anyone with CAP_SYS_ADMIN may attach, and seq starts over */
	a = raw_attach(dev);
	ASSERT_SYSOK(a);
	ev_seq = 0;
	EXPECT_NO_EVENT(a);
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_HIGH));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	close(a);

	/* and once more, from another process */
	pid = th_fork();
	if (pid == 0) {
		int a3 = agent_attach();

		job_cancel(fd);
		EXPECT_EVENT(a3, id, E_CANCELLED, S_CANCELLED);
		close(a3);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_STATE(S_CANCELLED, fd);

	/* after that process's agent fd went, this one may attach again */
	a = raw_attach(dev);
	ASSERT_SYSOK(a);
	close(a);
	close(fd);
	close(dev);
}

/* --------------------------------------------------------------- events */

/*
 * What the users do to their jobs, as the agent reads it: a job's events
 * wait with the job, one of each kind (of QUEUED and SUSPENDED the later),
 * read in the order CREATED, QUEUED or SUSPENDED, MODIFIED, with the job's
 * state at read time; jobs in the order they had one waiting.  A job that
 * leaves the queue drops what it had for its CANCELLED or COMPLETED.
 */
static void expect_records(int line, const struct kbits_event *ev,
			   const uint8_t *id, const uint32_t *kinds,
			   uint32_t state, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ev_seq++;
		if (ev[i].kind == kinds[i] && ev[i].state == state &&
		    ev[i].seq == ev_seq && !memcmp(ev[i].id, id, KBITS_GUID_SIZE))
			continue;
		th_fail(__FILE__, line, false,
			"record %zu: %s (%s) seq %llu%s; expected %s (%s) seq %llu",
			i, NAME_OF(kind_name, ev[i].kind),
			NAME_OF(state_name, ev[i].state),
			(unsigned long long)ev[i].seq,
			memcmp(ev[i].id, id, KBITS_GUID_SIZE) ?
			" of another job" : "",
			NAME_OF(kind_name, kinds[i]), NAME_OF(state_name, state),
			(unsigned long long)ev_seq);
	}
}

#define EXPECT_RECORDS(ev, id, state, ...) do {				\
	static const uint32_t k_[] = { __VA_ARGS__ };			\
	expect_records(__LINE__, ev, id, k_, state, ARRAY_SIZE(k_));	\
} while (0)

TEST(events_user_changes)
{
	int a = agent_attach(), dev = dev_open(), fd;
	guid_bytes id1, id2, id3, id4;
	struct kbits_event ev[16];
	pid_t pid;

	EXPECT_NO_EVENT(a);
	pid = th_fork();
	if (pid == 0) {
		int udev;

		close(a);
		become(2301);
		udev = dev_open();
		fd = make_job(udev, "at: events 1", DL, ures->id);
		ASSERT_SYSOK(add_n(fd, 1, "ev"));
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION,
					"the first job"));
		ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_HIGH));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));

		fd = make_job(udev, "at: events 2", DL, ures->id2);
		ASSERT_SYSOK(add_n(fd, 1, "ev2"));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id1, ures->id, sizeof(id1));
	memcpy(id2, ures->id2, sizeof(id2));

	/* all six at once: a read with room for more takes them all */
	memset(ev, 0xa5, sizeof(ev));
	ASSERT_EQ(6 * sizeof(ev[0]), read(a, ev, sizeof(ev)));
	/* job 1: CREATE_JOB; RESUME, SUSPEND, RESUME; three changes */
	EXPECT_RECORDS(ev, id1, S_QUEUED, E_CREATED, E_QUEUED, E_MODIFIED);
	/* job 2: CREATE_JOB; RESUME, SUSPEND; ADD_FILES */
	EXPECT_RECORDS(ev + 3, id2, S_SUSPENDED, E_CREATED, E_SUSPENDED,
		       E_MODIFIED);
	EXPECT_NO_EVENT(a);

	/*
	 * Job 1 cancelled, job 2 completed by its user (dropping its
	 * unfinished file), each after more changes; then job 3 made, and
	 * job 4 made, changed and cancelled, none of it read in between.
	 */
	pid = th_fork();
	if (pid == 0) {
		int udev;

		close(a);
		become(2301);
		udev = dev_open();
		fd = raw_get(udev, id1);
		ASSERT_SYSOK(fd);
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION,
					"changed"));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
		job_cancel(fd);
		fd = raw_get(udev, id2);
		ASSERT_SYSOK(fd);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		ASSERT_EQ(KBITS_COMPLETE_PARTIAL,
			  ioctl(fd, KBITS_JOB_IOC_COMPLETE));
		make_job(udev, "at: events 3", DL, ures->id);
		fd = make_job(udev, "at: events 4", DL, ures->id2);
		ASSERT_SYSOK(add_n(fd, 1, "ev4"));
		job_cancel(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id3, ures->id, sizeof(id3));
	memcpy(id4, ures->id2, sizeof(id4));
	memset(ev, 0xa5, sizeof(ev));
	ASSERT_EQ(4 * sizeof(ev[0]), read(a, ev, sizeof(ev)));
	/* one record each, in the jobs' order */
	EXPECT_RECORDS(ev, id1, S_CANCELLED, E_CANCELLED);
	EXPECT_RECORDS(ev + 1, id2, S_ACK, E_COMPLETED);
	EXPECT_RECORDS(ev + 2, id3, S_SUSPENDED, E_CREATED);
	EXPECT_RECORDS(ev + 3, id4, S_CANCELLED, E_CANCELLED);
	EXPECT_NO_EVENT(a);

	EXPECT_ERRNO(ENOENT, raw_get(dev, id1));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id2));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id4));
	fd = raw_get(dev, id3);
	ASSERT_SYSOK(fd);
	job_cancel(fd);
	close(fd);
	EXPECT_EVENT(a, id3, E_CANCELLED, S_CANCELLED);
	EXPECT_NO_EVENT(a);
	close(a);
	close(dev);
}

/* Each change alone: one record for each, and none for what changes nothing. */
TEST(events_each_change)
{
	int a = agent_attach(), dev = dev_open(), fd, fd2;
	struct kbits_job_attr attr;
	struct kbits_job_progress p;
	struct got_error ge;
	guid_bytes id;

	fd = make_job(dev, "at: each change", DL, id);
	EXPECT_EVENT(a, id, E_CREATED, S_SUSPENDED);

	/* reading the job is not a change */
	get_attr(fd, &attr);
	get_progress(fd, &p);
	EXPECT_ERRNO(ENOMSG, get_error(fd, &ge));
	EXPECT_EQ(S_SUSPENDED, job_state(fd));
	fd2 = raw_get(dev, id);
	EXPECT_SYSOK(fd2);
	close(fd2);
	EXPECT_NO_EVENT(a);

	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME, "renamed"));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "described"));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_LOW));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);

	/* what fails or changes nothing is not a change */
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &attr));	/* mask 0 */
	EXPECT_ERRNO(EINVAL, set_priority(fd, 99));
	EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_RESUME));	/* no files */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));		/* already */
	EXPECT_NO_EVENT(a);

	ASSERT_SYSOK(add_n(fd, 2, "each"));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EVENT(a, id, E_QUEUED, S_QUEUED);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));		/* already */
	EXPECT_NO_EVENT(a);

	/* the agent's own changes are not echoed back to it */
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 10, 10, DONE));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNRESET, KBITS_NO_FILE, "reset"));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 1, 20, 20, DONE));
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_NO_EVENT(a);
	EXPECT_STATE(S_TRANSFERRED, fd);

	/* RESUME of a TRANSFERRED job without new files does nothing */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_STATE(S_TRANSFERRED, fd);
	EXPECT_NO_EVENT(a);

	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	EXPECT_EVENT(a, id, E_SUSPENDED, S_SUSPENDED);
	job_cancel(fd);
	EXPECT_EVENT(a, id, E_CANCELLED, S_CANCELLED);
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EBADFD, set_priority(fd, KBITS_PRIORITY_HIGH));
	EXPECT_NO_EVENT(a);
	close(fd);
	close(a);
	close(dev);
}

/* read(): whole records only; O_NONBLOCK; poll(). */
TEST(events_read)
{
	int a, dev = dev_open(), fd, fd2, fd3, flags, i;
	guid_bytes id, id2, id3, lost;
	struct kbits_event ev[8];
	struct pollfd pfd;
	char small[32];

	/* made before the agent attaches: no CREATED record */
	fd = make_job(dev, "at: read", DL, id);
	fd2 = make_job(dev, "at: read 2", DL, id2);
	fd3 = make_job(dev, "at: read 3", DL, id3);
	a = agent_attach();

	/* nothing pending: poll says so, and so does a non-blocking read */
	pfd = (struct pollfd){ .fd = a, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents);
	EXPECT_ERRNO(EINVAL, read(a, small, 31));	/* too small anyway */
	EXPECT_ERRNO(EINVAL, read(a, small, 0));
	flags = fcntl(a, F_GETFL);
	ASSERT_SYSOK(flags);
	ASSERT_SYSOK(fcntl(a, F_SETFL, flags | O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, read(a, ev, sizeof(ev)));
	EXPECT_ERRNO(EAGAIN, read(a, ev, sizeof(ev[0])));

	/* three records pending: a change of each job (the first's twice) */
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_HIGH));
	ASSERT_SYSOK(set_priority(fd2, KBITS_PRIORITY_LOW));
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_LOW));
	ASSERT_SYSOK(set_priority(fd3, KBITS_PRIORITY_LOW));
	pfd = (struct pollfd){ .fd = a, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	pfd = (struct pollfd){ .fd = a, .events = POLLIN | POLLRDNORM };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM, pfd.revents);
	pfd = (struct pollfd){ .fd = a, .events = POLLOUT };
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* a buffer for less than a record: EINVAL, and nothing is lost */
	EXPECT_ERRNO(EINVAL, read(a, small, 31));
	EXPECT_ERRNO(EINVAL, read(a, small, 1));
	EXPECT_TRUE(ev_pending(a));

	/* two and a half records of room: two records */
	memset(ev, 0xa5, sizeof(ev));
	EXPECT_EQ(2 * sizeof(ev[0]), read(a, ev, 2 * sizeof(ev[0]) + 16));
	EXPECT_EQ(1, ev[0].seq);
	EXPECT_EQ(2, ev[1].seq);
	EXPECT_MEMEQ(id, ev[0].id, sizeof(id));
	EXPECT_MEMEQ(id2, ev[1].id, sizeof(id2));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(E_MODIFIED, ev[i].kind);
		EXPECT_EQ(S_SUSPENDED, ev[i].state);
	}
	/* the bytes past the records are not written */
	{
		const uint8_t *b = (const uint8_t *)&ev[2];

		for (i = 0; i < 16; i++)
			EXPECT_EQ(0xa5, b[i]);
	}

	/* room for eight, one there: one */
	EXPECT_EQ(sizeof(ev[0]), read(a, ev, sizeof(ev)));
	EXPECT_EQ(3, ev[0].seq);
	EXPECT_MEMEQ(id3, ev[0].id, sizeof(id3));
	EXPECT_EQ(E_MODIFIED, ev[0].kind);
	ev_seq = 3;

	/* all read: poll and read say so again */
	pfd = (struct pollfd){ .fd = a, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_ERRNO(EAGAIN, read(a, ev, sizeof(ev)));

	/* five more, read with room for eight: five, in order */
	ASSERT_SYSOK(add_n(fd, 1, "read"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	ASSERT_SYSOK(set_str(fd2, KBITS_JOB_IOC_SET_DESCRIPTION, "five"));
	ASSERT_SYSOK(add_n(fd2, 1, "read"));
	ASSERT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_RESUME));
	job_cancel(fd3);
	memset(ev, 0xa5, sizeof(ev));
	EXPECT_EQ(5 * sizeof(ev[0]), read(a, ev, sizeof(ev)));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(4 + i, ev[i].seq);
	for (i = 0; i < 2; i++)
		EXPECT_MEMEQ(id, ev[i].id, sizeof(id));
	EXPECT_EQ(E_SUSPENDED, ev[0].kind);
	EXPECT_EQ(S_SUSPENDED, ev[0].state);
	EXPECT_EQ(E_MODIFIED, ev[1].kind);
	EXPECT_EQ(S_SUSPENDED, ev[1].state);
	for (i = 2; i < 4; i++)
		EXPECT_MEMEQ(id2, ev[i].id, sizeof(id2));
	EXPECT_EQ(E_QUEUED, ev[2].kind);
	EXPECT_EQ(S_QUEUED, ev[2].state);
	EXPECT_EQ(E_MODIFIED, ev[3].kind);
	EXPECT_EQ(S_QUEUED, ev[3].state);
	EXPECT_MEMEQ(id3, ev[4].id, sizeof(id3));
	EXPECT_EQ(E_CANCELLED, ev[4].kind);
	EXPECT_EQ(S_CANCELLED, ev[4].state);
	ev_seq = 8;
	EXPECT_ERRNO(EAGAIN, read(a, ev, sizeof(ev)));

	/* a kernel address: EFAULT before any record is taken */
	EXPECT_ERRNO(EBADFD, set_priority(fd3, KBITS_PRIORITY_LOW));
	close(fd3);
	fd3 = make_job(dev, "at: read efault", DL, lost);
	EXPECT_ERRNO(EFAULT, read(a, KADDR, sizeof(ev)));
	EXPECT_EVENT(a, lost, E_CREATED, S_SUSPENDED);
	/*
	 * A user page the kernel cannot write to: EFAULT, and the record it
	 * took is lost, which an OVERFLOW then says.
	 */
	ASSERT_SYSOK(set_priority(fd3, KBITS_PRIORITY_LOW));
	EXPECT_ERRNO(EFAULT, read(a, unmapped_page(), sizeof(ev)));
	memset(ev, 0xa5, sizeof(ev));
	EXPECT_EQ(sizeof(ev[0]), read(a, ev, sizeof(ev)));
	EXPECT_EQ(E_OVERFLOW, ev[0].kind);
	EXPECT_MEMEQ(zero_guid, ev[0].id, sizeof(zero_guid));
	EXPECT_GT(ev[0].seq, ev_seq);
	ev_seq = ev[0].seq;
	EXPECT_NO_EVENT(a);
	job_cancel(fd3);
	EXPECT_EVENT(a, lost, E_CANCELLED, S_CANCELLED);
	job_cancel(fd);
	job_cancel(fd2);
	drain(a);
	close(fd3);
	close(fd2);
	close(fd);
	close(a);
	close(dev);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocking read waits for an event; so does poll(); a signal ends it. */
TEST(events_blocking_read)
{
	int a, dev = dev_open(), fd;
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct timespec t0, t1;
	struct kbits_event ev[4];
	struct sigaction sa;
	struct pollfd pfd;
	guid_bytes id;
	pid_t pid;
	long ms;

	fd = make_job(dev, "at: blocking", DL, id);
	a = agent_attach();	/* after: no CREATED record */

	/* a job change 300 ms from now, by another process */
	pid = th_fork();
	if (pid == 0) {
		close(a);
		usleep(300000);
		ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_LOW));
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(ev, 0xa5, sizeof(ev));
	EXPECT_EQ(sizeof(ev[0]), read(a, ev, sizeof(ev)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_GE(ms, 200);
	EXPECT_EQ(1, ev[0].seq);
	EXPECT_EQ(E_MODIFIED, ev[0].kind);
	EXPECT_MEMEQ(id, ev[0].id, sizeof(id));
	ASSERT_CHILD_OK(pid);

	/* poll() waits the same way */
	pid = th_fork();
	if (pid == 0) {
		close(a);
		usleep(300000);
		ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_HIGH));
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd = (struct pollfd){ .fd = a, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(POLLIN, pfd.revents);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_GE(ms, 200);
	ASSERT_CHILD_OK(pid);
	ev_seq = 1;
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	EXPECT_NO_EVENT(a);

	/* a signal (without SA_RESTART) ends a read that waits: EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	ASSERT_SYSOK(sigaction(SIGALRM, &sa, NULL));
	ASSERT_SYSOK(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(EINTR, read(a, ev, sizeof(ev)));
	/* and nothing was lost or skipped */
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_NORMAL));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);

	job_cancel(fd);
	EXPECT_EVENT(a, id, E_CANCELLED, S_CANCELLED);
	close(fd);
	close(a);
	close(dev);
}

/*
 * Of QUEUED and SUSPENDED a job keeps the later for the agent; its pending
 * kinds come out in their order, not in the order they came, each with the
 * job's state when it is read.
 */
TEST(events_queued_suspended_replace)
{
	int a, dev = dev_open(), fd;
	guid_bytes id;

	fd = make_job(dev, "at: replace", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "rep"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	a = agent_attach();	/* after: nothing pending */
	EXPECT_NO_EVENT(a);

	/* suspend, resume, suspend, none read: one SUSPENDED */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	EXPECT_EVENT(a, id, E_SUSPENDED, S_SUSPENDED);
	EXPECT_NO_EVENT(a);

	/* resume, suspend, resume: one QUEUED */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EVENT(a, id, E_QUEUED, S_QUEUED);
	EXPECT_NO_EVENT(a);

	/* a change, then suspend and resume: QUEUED first all the same */
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_LOW));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_HIGH));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EVENT(a, id, E_QUEUED, S_QUEUED);
	EXPECT_EVENT(a, id, E_MODIFIED, S_QUEUED);
	EXPECT_NO_EVENT(a);

	/* the state is the job's when the record is read */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));	/* the agent's own: no record */
	EXPECT_EVENT(a, id, E_QUEUED, S_CONNECTING);
	EXPECT_NO_EVENT(a);

	job_cancel(fd);
	EXPECT_EVENT(a, id, E_CANCELLED, S_CANCELLED);
	EXPECT_NO_EVENT(a);
	close(fd);
	close(a);
	close(dev);
}

/* An agent that goes drops what it had not read: the next starts afresh. */
TEST(events_pending_dropped_on_detach)
{
	int a = agent_attach(), dev = dev_open(), fd, fd2;
	guid_bytes id, id2;

	fd = make_job(dev, "at: detach", DL, id);
	fd2 = make_job(dev, "at: detach 2", DL, id2);
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_LOW));
	job_cancel(fd2);
	EXPECT_TRUE(ev_pending(a));
	close(a);

	a = agent_attach();
	EXPECT_NO_EVENT(a);
	/* and the job, no longer pending, gets its next change heard */
	ASSERT_SYSOK(set_priority(fd, KBITS_PRIORITY_HIGH));
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	EXPECT_NO_EVENT(a);
	job_cancel(fd);
	EXPECT_EVENT(a, id, E_CANCELLED, S_CANCELLED);
	close(fd2);
	close(fd);
	close(a);
	close(dev);
}


/* ---------------------------------------------------------------- storms */

/* Reads every pending record, @chunk at a time, into @evs (room for @max). */
static size_t read_all(int a, struct kbits_event *evs, size_t max, size_t chunk)
{
	size_t n = 0, want;
	ssize_t r;

	while (ev_pending(a)) {
		want = max - n < chunk ? max - n : chunk;
		ASSERT_GT(want, 0);
		r = read(a, evs + n, want * sizeof(*evs));
		ASSERT_SYSOK(r);
		ASSERT_EQ(0, r % sizeof(*evs));
		ASSERT_GT(r, 0);
		n += r / sizeof(*evs);
	}
	return n;
}

/*
 * @n jobs of root's (exempt from the limits), each made and cancelled at
 * once: a CANCELLED record for each, and nothing else.  Their GUIDs go to
 * @ids (room for @n).  Too many for the job log: each has left the queue
 * before the next is made.
 */
static void churn(int dev, guid_bytes *ids, size_t n)
{
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		fd = raw_create(dev, "at: churn", 9, DL, ids[i]);
		ASSERT_SYSOK(fd);
		job_cancel(fd);
		close(fd);
	}
}

/*
 * @n records from @evs[0] on: CANCELLED of the jobs @ids, in order, with
 * seqs from @seq on.
 */
static void expect_cancelled(const struct kbits_event *evs, size_t n,
			     const guid_bytes *ids, uint64_t seq)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		if (evs[i].seq == seq + i && evs[i].kind == E_CANCELLED &&
		    evs[i].state == S_CANCELLED &&
		    !memcmp(evs[i].id, ids[i], KBITS_GUID_SIZE))
			continue;
		if (!bad++)
			TH_LOG("record %zu: kind %s state %s seq %llu%s, expected CANCELLED seq %llu",
			       i, NAME_OF(kind_name, evs[i].kind),
			       NAME_OF(state_name, evs[i].state),
			       (unsigned long long)evs[i].seq,
			       memcmp(evs[i].id, ids[i], KBITS_GUID_SIZE) ?
			       " of another job" : "",
			       (unsigned long long)(seq + i));
	}
	EXPECT_EQ(0, bad);
}

#define CHURN	5000	/* more than the 4096 records the agent's ring held */

/*
 * Jobs made and cancelled by the thousand, none read: each CANCELLED
 * waits with its job, and the agent reads them all, in order, and no
 * OVERFLOW.
 */
TEST(events_churn_loses_nothing)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_event *evs;
	guid_bytes *ids, id;
	size_t n, i;

	evs = calloc(CHURN + 16, sizeof(*evs));
	ids = calloc(CHURN, sizeof(*ids));
	ASSERT_TRUE(evs != NULL && ids != NULL);

	churn(dev, ids, CHURN);
	n = read_all(a, evs, CHURN + 16, 1000);
	EXPECT_EQ(CHURN, n);
	for (i = 0; i < n; i++)
		if (evs[i].kind == E_OVERFLOW)
			break;
	EXPECT_EQ(n, i);	/* no OVERFLOW */
	expect_cancelled(evs, n < CHURN ? n : CHURN, ids, 1);
	ev_seq = n;
	EXPECT_NO_EVENT(a);
	/* each left the queue */
	EXPECT_ERRNO(ENOENT, raw_get(dev, ids[0]));
	EXPECT_ERRNO(ENOENT, raw_get(dev, ids[CHURN - 1]));

	/* and events go on, seq going on */
	fd = make_job(dev, "at: after the churn", DL, id);
	EXPECT_EVENT(a, id, E_CREATED, S_SUSPENDED);
	job_cancel(fd);
	EXPECT_EVENT(a, id, E_CANCELLED, S_CANCELLED);
	EXPECT_NO_EVENT(a);

	free(ids);
	free(evs);
	close(fd);
	close(a);
	close(dev);
}

static unsigned int max_jobs_per_user(void)
{
	unsigned int v = 0;
	FILE *f = fopen("/sys/module/kbits/parameters/max_jobs_per_user", "re");

	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(1, fscanf(f, "%u", &v));
	fclose(f);
	return v;
}

/* @uid makes and cancels jobs until CREATE fails; how many, and the errno. */
static long user_churn(uid_t uid, guid_bytes *ids, unsigned int max)
{
	pid_t pid;

	ures->ret = -12345;
	pid = th_fork();
	if (pid == 0) {
		unsigned int n;
		int udev, fd;

		become(uid);
		udev = dev_open();
		for (n = 0; n < max; n++) {
			fd = raw_create(udev, "at: user churn", 14, DL, ids[n]);
			if (fd < 0)
				break;
			job_cancel(fd);
			close(fd);
		}
		ures->ret = n;
		ures->err = n < max ? errno : 0;
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	return ures->ret;
}

/*
 * A cancelled job whose CANCELLED the agent has not read yet still counts
 * against its owner: a user's create and cancel storm stops at its limit
 * (EDQUOT) while the agent does not read, so what waits for the agent is
 * bounded as the jobs are, and goes on once it has read them, or once it
 * is gone.
 */
TEST(events_churn_counts_until_read)
{
	unsigned int limit = max_jobs_per_user();
	int a = agent_attach(), dev = dev_open();
	guid_bytes *ids = shared_alloc(4 * (limit + 1) * sizeof(guid_bytes));
	struct kbits_event *evs;
	size_t n;

	evs = calloc(limit + 16, sizeof(*evs));
	ASSERT_TRUE(evs != NULL);
	ASSERT_GT(limit, 0);
	ASSERT_LT(limit, 100000);

	EXPECT_EQ(limit, user_churn(2372, ids, limit + 1));
	EXPECT_EQ(EDQUOT, ures->err);
	/* the agent reads them: the user may again */
	n = read_all(a, evs, limit + 16, 7);
	EXPECT_EQ(limit, n);
	expect_cancelled(evs, n < limit ? n : limit, ids, 1);
	ev_seq = n;
	EXPECT_EQ(limit, user_churn(2372, ids, limit + 1));
	EXPECT_EQ(EDQUOT, ures->err);
	/* and when the agent goes, what it had not read goes with it */
	close(a);
	EXPECT_EQ(limit, user_churn(2372, ids, limit));
	EXPECT_EQ(0, ures->err);
	/* with no agent, nothing waits: no limit to a storm */
	EXPECT_EQ(2 * limit, user_churn(2372, ids, 2 * limit));
	free(evs);
	close(dev);
}

/* ---------------------------------------------------------- transitions */

TEST(take_job)
{
	int a = agent_attach(), dev = dev_open(), fd, sfd, cfd;
	struct kbits_agent_job j;
	uint8_t big[128];
	guid_bytes id, sid, cid, unk;

	fd = user_job(dev, 2310, DL, 2, true, id);
	sfd = user_job(dev, 2310, DL, 1, false, sid);

	/* QUEUED -> CONNECTING, once */
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);

	/* a job its user has not resumed is not the agent's to take */
	EXPECT_ERRNO(EBADFD, take(a, sid));
	EXPECT_STATE(S_SUSPENDED, sfd);

	/* no such job */
	unknown_guid(unk);
	EXPECT_ERRNO(ENOENT, take(a, unk));
	EXPECT_ERRNO(ENOENT, take(a, zero_guid));

	/* TRANSFERRING: taken already */
	ASSERT_SYSOK(progress(a, id, 0, 100, 1, 0));
	EXPECT_STATE(S_TRANSFERRING, fd);
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_STATE(S_TRANSFERRING, fd);

	/* its user suspends it: not takeable; resumed: takeable again */
	EXPECT_EQ(0, user_do(2310, id, U_SUSPEND));
	EXPECT_STATE(S_SUSPENDED, fd);
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_EQ(0, user_do(2310, id, U_RESUME));
	EXPECT_STATE(S_QUEUED, fd);
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);

	/* ERROR: not takeable until its user resumes it */
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL, EIO,
				  KBITS_NO_FILE, "final"));
	EXPECT_STATE(S_ERROR, fd);
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_STATE(S_ERROR, fd);

	/* TRANSFERRED: not takeable */
	ASSERT_EQ(0, user_do(2310, id, U_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 100, 100, DONE));
	ASSERT_SYSOK(progress(a, id, 1, 5, 5, DONE));
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_STATE(S_TRANSFERRED, fd);
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_STATE(S_TRANSFERRED, fd);

	/* a job that left the queue: CANCELLED or ACKNOWLEDGED */
	cfd = user_job(dev, 2310, DL, 1, true, cid);
	ASSERT_EQ(0, user_do(2310, cid, U_CANCEL));
	EXPECT_ERRNO(ENOENT, take(a, cid));
	EXPECT_STATE(S_CANCELLED, cfd);
	close(cfd);
	ASSERT_EQ(0, user_do(2310, id, U_COMPLETE));
	EXPECT_STATE(S_ACK, fd);
	EXPECT_ERRNO(ENOENT, take(a, id));
	EXPECT_STATE(S_ACK, fd);
	close(fd);

	/* the arguments, on a job that could be taken */
	fd = user_job(dev, 2310, DL, 1, true, id);
	j = agent_job(id);
	j.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	j.flags = 0x80000000u;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	j = agent_job(id);
	j.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	j = agent_job(id);
	j.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	j.size = KBITS_AGENT_JOB_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	j.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, KADDR));
	/* a larger struct: its tail must be zero */
	memset(big, 0, sizeof(big));
	j = agent_job(id);
	memcpy(big, &j, sizeof(j));
	((struct kbits_agent_job *)big)->size = sizeof(big);
	big[sizeof(big) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, big));
	EXPECT_STATE(S_QUEUED, fd);
	big[sizeof(big) - 1] = 0;
	EXPECT_SYSOK(ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, big));
	EXPECT_STATE(S_CONNECTING, fd);

	job_cancel(fd);
	job_cancel(sfd);
	close(fd);
	close(sfd);
	close(a);
	close(dev);
}

/*
 * REQUEUE: a job the agent took goes back to the queue with its progress
 * (preempted by another); only a taken job can.
 */
TEST(requeue_taken_job)
{
	int a = agent_attach(), dev = dev_open(), fd, sfd;
	struct kbits_agent_job j;
	guid_bytes id, sid, unk;

	fd = user_job(dev, 2310, DL, 2, true, id);
	sfd = user_job(dev, 2310, DL, 1, false, sid);

	/* not taken: QUEUED, SUSPENDED */
	EXPECT_ERRNO(EBADFD, requeue(a, id));
	EXPECT_ERRNO(EBADFD, requeue(a, sid));
	EXPECT_STATE(S_QUEUED, fd);
	EXPECT_STATE(S_SUSPENDED, sfd);

	/* CONNECTING -> QUEUED, taken again */
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(requeue(a, id));
	EXPECT_STATE(S_QUEUED, fd);
	EXPECT_ERRNO(EBADFD, requeue(a, id));
	ASSERT_SYSOK(take(a, id));

	/* TRANSFERRING -> QUEUED: the files keep what they had */
	ASSERT_SYSOK(progress(a, id, 0, 1000, 1000, DONE));
	ASSERT_SYSOK(progress(a, id, 1, 500, 120, 0));
	ASSERT_SYSOK(requeue(a, id));
	EXPECT_STATE(S_QUEUED, fd);
	EXPECT_FILE(fd, 0, 1000, 1000, KBITS_FILE_COMPLETED);
	EXPECT_FILE(fd, 1, 500, 120, 0);
	EXPECT_ERRNO(EBADFD, progress(a, id, 1, 500, 130, 0));
	EXPECT_ERRNO(EBADFD, transferred(a, id));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 1, 500, 130, 0));
	EXPECT_FILE(fd, 1, 500, 130, 0);

	/* TRANSIENT_ERROR and ERROR are not taken */
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_GENERAL,
				  EIO, KBITS_NO_FILE, "again"));
	EXPECT_ERRNO(EBADFD, requeue(a, id));
	EXPECT_STATE(S_TRANSIENT, fd);
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL, EIO,
				  KBITS_NO_FILE, "final"));
	EXPECT_ERRNO(EBADFD, requeue(a, id));
	EXPECT_STATE(S_ERROR, fd);

	/* no such job; the arguments */
	unknown_guid(unk);
	EXPECT_ERRNO(ENOENT, requeue(a, unk));
	ASSERT_EQ(0, user_do(2310, id, U_RESUME));
	ASSERT_SYSOK(take(a, id));
	j = agent_job(id);
	j.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_REQUEUE, &j));
	j = agent_job(id);
	j.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_REQUEUE, &j));
	j = agent_job(id);
	j.size = KBITS_AGENT_JOB_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_REQUEUE, &j));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_REQUEUE, NULL));
	EXPECT_STATE(S_CONNECTING, fd);
	/* only the agent fd */
	j = agent_job(id);
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_AGENT_IOC_REQUEUE, &j));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_REQUEUE, &j));
	EXPECT_SYSOK(ioctl(a, KBITS_AGENT_IOC_REQUEUE, &j));
	EXPECT_STATE(S_QUEUED, fd);

	job_cancel(fd);
	job_cancel(sfd);
	close(fd);
	close(sfd);
	close(a);
	close(dev);
}

TEST(progress_reports)
{
	int a = agent_attach(), dev = dev_open(), fd;
	guid_bytes id;

	fd = user_job(dev, 2320, DL, 3, true, id);
	EXPECT_PROGRESS(fd, UNKNOWN, 0, 3, 0);
	ASSERT_SYSOK(take(a, id));

	/* the first report: TRANSFERRING, the file's numbers */
	ASSERT_SYSOK(progress(a, id, 0, 1000, 100, 0));
	EXPECT_STATE(S_TRANSFERRING, fd);
	EXPECT_FILE(fd, 0, 1000, 100, 0);
	EXPECT_FILE(fd, 1, UNKNOWN, 0, 0);
	/* two sizes still unknown: so is the total */
	EXPECT_PROGRESS(fd, UNKNOWN, 100, 3, 0);

	/* a size not known yet: any count of bytes so far */
	ASSERT_SYSOK(progress(a, id, 1, UNKNOWN, 50, 0));
	EXPECT_FILE(fd, 1, UNKNOWN, 50, 0);
	EXPECT_PROGRESS(fd, UNKNOWN, 150, 3, 0);
	EXPECT_STATE(S_TRANSFERRING, fd);

	ASSERT_SYSOK(progress(a, id, 1, 500, 500, DONE));
	EXPECT_FILE(fd, 1, 500, 500, KBITS_FILE_COMPLETED);
	EXPECT_PROGRESS(fd, UNKNOWN, 600, 3, 1);

	/* every size known: the total is their sum */
	ASSERT_SYSOK(progress(a, id, 2, 0, 0, DONE));	/* an empty file */
	EXPECT_FILE(fd, 2, 0, 0, KBITS_FILE_COMPLETED);
	EXPECT_PROGRESS(fd, 1500, 600, 3, 2);

	/* all bytes, but not COMPLETED: not a transferred file yet */
	ASSERT_SYSOK(progress(a, id, 0, 1000, 1000, 0));
	EXPECT_FILE(fd, 0, 1000, 1000, 0);
	EXPECT_PROGRESS(fd, 1500, 1500, 3, 2);
	ASSERT_SYSOK(progress(a, id, 0, 1000, 1000, DONE));
	EXPECT_FILE(fd, 0, 1000, 1000, KBITS_FILE_COMPLETED);
	EXPECT_PROGRESS(fd, 1500, 1500, 3, 3);
	EXPECT_STATE(S_TRANSFERRING, fd);

	/* the same from another fd, and the job's user */
	{
		int fd2 = raw_get(dev, id);

		ASSERT_SYSOK(fd2);
		EXPECT_PROGRESS(fd2, 1500, 1500, 3, 3);
		close(fd2);
	}

	job_cancel(fd);
	/* the job left the queue: the agent cannot name it any more */
	EXPECT_ERRNO(ENOENT, progress(a, id, 0, 1000, 1000, DONE));
	close(fd);
	close(a);
	close(dev);
}

/*
 * GET_PROGRESS's sums stop at KBITS_SIZE_UNKNOWN - 1: they never wrap, and
 * never read as the unknown size.
 */
TEST(progress_saturates)
{
	const uint64_t half = 1ull << 63;
	int a = agent_attach(), dev = dev_open(), fd;
	guid_bytes id;

	fd = user_job(dev, 2322, DL, 3, true, id);
	ASSERT_SYSOK(take(a, id));

	/* two files near 2^64 bytes, and a small one: both sums stop */
	ASSERT_SYSOK(progress(a, id, 0, UNKNOWN - 2, UNKNOWN - 2, DONE));
	ASSERT_SYSOK(progress(a, id, 1, UNKNOWN - 2, UNKNOWN - 2, DONE));
	ASSERT_SYSOK(progress(a, id, 2, 10, 10, DONE));
	EXPECT_FILE(fd, 0, UNKNOWN - 2, UNKNOWN - 2, DONE);
	EXPECT_PROGRESS(fd, UNKNOWN - 1, UNKNOWN - 1, 3, 3);

	/* a sum of exactly 2^64 - 1 would read as unknown: one less */
	ASSERT_SYSOK(progress(a, id, 0, half, half, DONE));
	ASSERT_SYSOK(progress(a, id, 1, half - 11, half - 11, DONE));
	EXPECT_PROGRESS(fd, UNKNOWN - 1, UNKNOWN - 1, 3, 3);
	/* a byte less than that is the sum as it is */
	ASSERT_SYSOK(progress(a, id, 1, half - 13, half - 13, DONE));
	EXPECT_PROGRESS(fd, UNKNOWN - 2, UNKNOWN - 2, 3, 3);

	/* a size unknown: so is the total, and the bytes still stop */
	ASSERT_SYSOK(progress(a, id, 0, UNKNOWN, UNKNOWN - 2, 0));
	ASSERT_SYSOK(progress(a, id, 1, UNKNOWN - 2, UNKNOWN - 2, DONE));
	EXPECT_PROGRESS(fd, UNKNOWN, UNKNOWN - 1, 3, 2);

	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

TEST(progress_refused)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_agent_progress p;
	guid_bytes id, unk;

	fd = user_job(dev, 2321, DL, 2, true, id);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 1000, 10, 0));

	/* a file the job does not have */
	EXPECT_ERRNO(ENXIO, progress(a, id, 2, 1000, 10, 0));
	EXPECT_ERRNO(ENXIO, progress(a, id, 0xffffffffu, 1000, 10, 0));

	/* more bytes than the size */
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, 1001, 0));
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 0, 1, 0));
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, UNKNOWN, 0));

	/* COMPLETED with bytes missing, or with a size still unknown */
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, 999, DONE));
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, 0, DONE));
	/* complete needs a known size */
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, UNKNOWN, UNKNOWN, DONE));
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, UNKNOWN, 5, DONE));

	/* unknown flags, reserved */
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, 20, 2));
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, 20, 0x80000000u));
	EXPECT_ERRNO(EINVAL, progress(a, id, 0, 1000, 1000, DONE | 4));
	p = agent_progress(id, 0, 1000, 20, 0);
	p.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p));

	/* the struct itself */
	p = agent_progress(id, 0, 1000, 20, 0);
	p.size = KBITS_AGENT_PROGRESS_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p));
	p.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(a, KBITS_AGENT_IOC_PROGRESS, &p));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_PROGRESS, NULL));

	/* no such job */
	unknown_guid(unk);
	EXPECT_ERRNO(ENOENT, progress(a, unk, 0, 1000, 20, 0));

	/* none of that changed anything */
	EXPECT_FILE(fd, 0, 1000, 10, 0);
	EXPECT_FILE(fd, 1, UNKNOWN, 0, 0);
	EXPECT_STATE(S_TRANSFERRING, fd);

	/* its user suspended it meanwhile: the agent must stop */
	EXPECT_EQ(0, user_do(2321, id, U_SUSPEND));
	EXPECT_ERRNO(EBADFD, progress(a, id, 0, 1000, 20, 0));
	EXPECT_STATE(S_SUSPENDED, fd);
	EXPECT_FILE(fd, 0, 1000, 10, 0);

	/* QUEUED again, but not taken yet */
	EXPECT_EQ(0, user_do(2321, id, U_RESUME));
	EXPECT_ERRNO(EBADFD, progress(a, id, 0, 1000, 20, 0));
	EXPECT_STATE(S_QUEUED, fd);

	/* taken: CONNECTING, then TRANSFERRING */
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	ASSERT_SYSOK(progress(a, id, 0, 1000, 20, 0));
	EXPECT_STATE(S_TRANSFERRING, fd);
	EXPECT_FILE(fd, 0, 1000, 20, 0);

	/* in an error state it is not the agent's to report on */
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ETIMEDOUT, KBITS_NO_FILE, "timed out"));
	EXPECT_ERRNO(EBADFD, progress(a, id, 0, 1000, 30, 0));
	EXPECT_STATE(S_TRANSIENT, fd);

	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

TEST(transferred_then_complete)
{
	int a = agent_attach(), dev = dev_open(), fd, qfd;
	struct kbits_agent_job j;
	struct kbits_job_attr attr;
	guid_bytes id, qid, unk;
	time_t before, after;

	fd = user_job(dev, 2330, DL, 2, true, id);
	qfd = user_job(dev, 2330, DL, 1, true, qid);
	ASSERT_SYSOK(take(a, id));

	/* not before every file is complete */
	EXPECT_ERRNO(EINVAL, transferred(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	ASSERT_SYSOK(progress(a, id, 0, 10, 10, DONE));
	ASSERT_SYSOK(progress(a, id, 1, 20, 19, 0));
	EXPECT_ERRNO(EINVAL, transferred(a, id));
	EXPECT_STATE(S_TRANSFERRING, fd);
	get_attr(fd, &attr);
	EXPECT_EQ(0, attr.completion_time);

	/* the arguments */
	j = agent_job(id);
	j.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, &j));
	j = agent_job(id);
	j.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, &j));
	j = agent_job(id);
	j.size = KBITS_AGENT_JOB_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, &j));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_TRANSFERRED, NULL));
	unknown_guid(unk);
	EXPECT_ERRNO(ENOENT, transferred(a, unk));

	/* a job not taken: QUEUED, SUSPENDED */
	EXPECT_ERRNO(EBADFD, transferred(a, qid));
	EXPECT_STATE(S_QUEUED, qfd);
	EXPECT_EQ(0, user_do(2330, qid, U_SUSPEND));
	EXPECT_ERRNO(EBADFD, transferred(a, qid));
	EXPECT_STATE(S_SUSPENDED, qfd);

	/* every file complete: TRANSFERRED, with its completion time */
	ASSERT_SYSOK(progress(a, id, 1, 20, 20, DONE));
	before = time(NULL);
	ASSERT_SYSOK(transferred(a, id));
	after = time(NULL);
	EXPECT_STATE(S_TRANSFERRED, fd);
	get_attr(fd, &attr);
	EXPECT_LE(before, attr.completion_time);
	EXPECT_GE(after, attr.completion_time);
	EXPECT_EQ(0, attr.error_count);
	EXPECT_PROGRESS(fd, 30, 30, 2, 2);

	/* it is the user's now */
	EXPECT_ERRNO(EBADFD, transferred(a, id));
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_ERRNO(EBADFD, progress(a, id, 0, 10, 10, DONE));
	EXPECT_ERRNO(EBADFD, report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL,
					  EIO, KBITS_NO_FILE, "late"));
	EXPECT_ERRNO(EBADFD, report_error(a, id, TRANSIENT,
					  KBITS_ERROR_CONTEXT_GENERAL, EIO,
					  KBITS_NO_FILE, "late"));
	EXPECT_STATE(S_TRANSFERRED, fd);

	/* its user completes it: 0 (nothing dropped), ACKNOWLEDGED */
	drain(a);
	EXPECT_EQ(0, user_do(2330, id, U_COMPLETE));
	EXPECT_STATE(S_ACK, fd);
	EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	EXPECT_PROGRESS(fd, 30, 30, 2, 2);
	get_attr(fd, &attr);
	EXPECT_LE(before, attr.completion_time);
	EXPECT_GE(after, attr.completion_time);
	EXPECT_ERRNO(ENOENT, transferred(a, id));

	job_cancel(qfd);
	close(qfd);
	close(fd);
	close(a);
	close(dev);
}

/* An upload job can be completed only once TRANSFERRED: the agent's doing. */
TEST(transferred_upload)
{
	static const uint32_t types[] = { UP, UR };
	int a = agent_attach(), dev = dev_open(), fd;
	guid_bytes id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		fd = user_job(dev, 2331, types[i], 1, true, id);
		EXPECT_EQ(-EBADFD, user_do(2331, id, U_COMPLETE));
		ASSERT_SYSOK(take(a, id));
		EXPECT_EQ(-EBADFD, user_do(2331, id, U_COMPLETE));
		/* the agent writes the reply beside the name it read: it stays */
		if (types[i] == UR)
			EXPECT_ERRNO(EBADFD, set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE,
						     "/tmp/at/other"));
		ASSERT_SYSOK(progress(a, id, 0, 4096, 4096, DONE));
		EXPECT_EQ(-EBADFD, user_do(2331, id, U_COMPLETE));
		ASSERT_SYSOK(transferred(a, id));
		EXPECT_STATE(S_TRANSFERRED, fd);
		if (types[i] == UR)
			EXPECT_ERRNO(EBADFD, set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE,
						     "/tmp/at/other"));
		drain(a);
		EXPECT_EQ(0, user_do(2331, id, U_COMPLETE));
		EXPECT_STATE(S_ACK, fd);
		EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
		EXPECT_ERRNO(ENOENT, raw_get(dev, id));
		EXPECT_PROGRESS(fd, 4096, 4096, 1, 1);
		close(fd);
	}
	close(a);
	close(dev);
}

/* A TRANSFERRED download job given another file goes round again. */
TEST(transferred_download_new_file)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct kbits_job_attr attr;
	guid_bytes id;
	int64_t first;

	fd = user_job(dev, 2332, DL, 1, true, id);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 7, 7, DONE));
	ASSERT_SYSOK(transferred(a, id));
	get_attr(fd, &attr);
	first = attr.completion_time;
	EXPECT_NE(0, first);
	drain(a);

	/* RESUME with nothing new: a no-op */
	EXPECT_EQ(0, user_do(2332, id, U_RESUME));
	EXPECT_STATE(S_TRANSFERRED, fd);
	EXPECT_NO_EVENT(a);
	EXPECT_ERRNO(EBADFD, take(a, id));

	/* a new file: still TRANSFERRED until RESUME, then QUEUED */
	EXPECT_EQ(0, user_do(2332, id, U_ADD_FILE));
	EXPECT_STATE(S_TRANSFERRED, fd);
	EXPECT_EVENT(a, id, E_MODIFIED, S_TRANSFERRED);
	EXPECT_PROGRESS(fd, UNKNOWN, 7, 2, 1);
	EXPECT_EQ(0, user_do(2332, id, U_RESUME));
	EXPECT_STATE(S_QUEUED, fd);
	EXPECT_EVENT(a, id, E_QUEUED, S_QUEUED);

	/* and round again: only the new file is left to do */
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	EXPECT_ERRNO(EINVAL, transferred(a, id));
	ASSERT_SYSOK(progress(a, id, 1, 3, 3, DONE));
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_STATE(S_TRANSFERRED, fd);
	EXPECT_PROGRESS(fd, 10, 10, 2, 2);
	get_attr(fd, &attr);
	EXPECT_LE(first, attr.completion_time);

	/* SUSPENDED from TRANSFERRED, then resumed: QUEUED, and done at once */
	EXPECT_EQ(0, user_do(2332, id, U_SUSPEND));
	EXPECT_STATE(S_SUSPENDED, fd);
	EXPECT_EQ(0, user_do(2332, id, U_RESUME));
	EXPECT_STATE(S_QUEUED, fd);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_STATE(S_TRANSFERRED, fd);

	EXPECT_EQ(0, user_do(2332, id, U_COMPLETE));
	EXPECT_STATE(S_ACK, fd);
	EXPECT_PROGRESS(fd, 10, 10, 2, 2);
	close(fd);
	close(a);
	close(dev);
}

/* --------------------------------------------------------------- errors */

TEST(errors_transient_and_final)
{
	static const char refused[] = "connection refused";
	static const char notfound[] = "HTTP 404: not found";
	int a = agent_attach(), dev = dev_open(), fd;
	struct got_error g;
	guid_bytes id;

	fd = user_job(dev, 2340, DL, 2, true, id);
	EXPECT_NO_JOB_ERROR(fd);
	ASSERT_SYSOK(take(a, id));
	EXPECT_NO_JOB_ERROR(fd);
	EXPECT_EQ(0, error_count(fd));

	/* a transient error: TRANSIENT_ERROR, and the user can read it */
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNREFUSED, KBITS_NO_FILE, refused));
	EXPECT_STATE(S_TRANSIENT, fd);
	EXPECT_EQ(1, error_count(fd));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_TRANSPORT, ECONNREFUSED,
			 KBITS_NO_FILE, refused);

	/* a text buffer too small: ERANGE with the length, nothing written */
	memset(&g, 'Z', sizeof(g));
	g.e.size = sizeof(g.e);
	g.e.flags = 0;
	g.e.text = (uintptr_t)g.text;
	g.e.text_len = strlen(refused);		/* no room for the NUL */
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));
	EXPECT_EQ(strlen(refused), g.e.text_len);
	EXPECT_EQ('Z', g.text[0]);
	g.e.text_len = 0;
	g.e.text = 0;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));
	EXPECT_EQ(strlen(refused), g.e.text_len);
	/* just enough */
	memset(&g, 'Z', sizeof(g));
	g.e.size = sizeof(g.e);
	g.e.flags = 0;
	g.e.text = (uintptr_t)g.text;
	g.e.text_len = strlen(refused) + 1;
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));
	EXPECT_STREQ(refused, g.text);
	EXPECT_EQ(KBITS_ERROR_CONTEXT_TRANSPORT, g.e.context);
	/* flags, the reserved field they were: no bit but KBITS_ERROR_HTTP in */
	g.e.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));

	/* not another transient error before a retry */
	EXPECT_ERRNO(EBADFD, report_error(a, id, TRANSIENT,
					  KBITS_ERROR_CONTEXT_GENERAL, EIO,
					  KBITS_NO_FILE, "again"));
	EXPECT_STATE(S_TRANSIENT, fd);
	EXPECT_EQ(1, error_count(fd));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_TRANSPORT, ECONNREFUSED,
			 KBITS_NO_FILE, refused);

	/* the retry: TAKE again; the error stays until progress */
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_TRANSPORT, ECONNREFUSED,
			 KBITS_NO_FILE, refused);

	/* a final error: ERROR, the new error replaces the old */
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_REMOTE_FILE, 404,
				  1, notfound));
	EXPECT_STATE(S_ERROR, fd);
	EXPECT_EQ(2, error_count(fd));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_REMOTE_FILE, 404, 1, notfound);

	/* ERROR waits for its user: no TAKE, no more errors */
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_ERRNO(EBADFD, report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL,
					  EIO, KBITS_NO_FILE, "x"));
	EXPECT_ERRNO(EBADFD, report_error(a, id, TRANSIENT,
					  KBITS_ERROR_CONTEXT_GENERAL, EIO,
					  KBITS_NO_FILE, "x"));
	EXPECT_ERRNO(EBADFD, transferred(a, id));
	EXPECT_STATE(S_ERROR, fd);
	EXPECT_EQ(2, error_count(fd));

	/* RESUME of an ERROR job: QUEUED */
	drain(a);
	EXPECT_EQ(0, user_do(2340, id, U_RESUME));
	EXPECT_STATE(S_QUEUED, fd);
	EXPECT_EVENT(a, id, E_QUEUED, S_QUEUED);

	/* TRANSIENT_ERROR turned final without a TAKE (no progress for too long) */
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  EHOSTUNREACH, KBITS_NO_FILE, "unreachable"));
	EXPECT_STATE(S_TRANSIENT, fd);
	EXPECT_EQ(3, error_count(fd));
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ETIMEDOUT, 0, "gave up"));
	EXPECT_STATE(S_ERROR, fd);
	EXPECT_EQ(4, error_count(fd));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_TRANSPORT, ETIMEDOUT, 0,
			 "gave up");

	/* a TRANSIENT_ERROR job its user resumes, or suspends */
	EXPECT_EQ(0, user_do(2340, id, U_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT,
				  KBITS_ERROR_CONTEXT_REMOTE_APPLICATION, 503,
				  KBITS_NO_FILE, "busy"));
	EXPECT_EQ(0, user_do(2340, id, U_RESUME));
	EXPECT_STATE(S_QUEUED, fd);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT,
				  KBITS_ERROR_CONTEXT_LOCAL_FILE, ENOSPC, 0,
				  "disk full"));
	EXPECT_EQ(0, user_do(2340, id, U_SUSPEND));
	EXPECT_STATE(S_SUSPENDED, fd);
	/* which takes it out of the agent's hands */
	EXPECT_ERRNO(EBADFD, report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL,
					  EIO, KBITS_NO_FILE, "x"));
	EXPECT_ERRNO(EBADFD, take(a, id));
	EXPECT_EQ(6, error_count(fd));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_LOCAL_FILE, ENOSPC, 0,
			 "disk full");

	job_cancel(fd);
	EXPECT_ERRNO(ENOENT, report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL,
					  EIO, KBITS_NO_FILE, "x"));
	close(fd);
	close(a);
	close(dev);
}

TEST(error_refused)
{
	char text[KBITS_ERROR_TEXT_MAX + 2];
	int a = agent_attach(), dev = dev_open(), fd, sfd;
	struct kbits_agent_error e;
	guid_bytes id, sid, unk;
	struct got_error g;
	size_t i;
	static const char * const bad_utf8[] = {
		"\xff", "caf\xc3", "\xc0\x80", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\x80", "ok\xfe",
	};

	fd = user_job(dev, 2341, DL, 2, true, id);
	sfd = user_job(dev, 2341, DL, 1, false, sid);
	ASSERT_SYSOK(take(a, id));

#define ERR_REFUSED(err, ...) do {					\
	e = agent_error(id, TRANSIENT, KBITS_ERROR_CONTEXT_GENERAL, EIO,	\
			KBITS_NO_FILE, "text");				\
	__VA_ARGS__;							\
	EXPECT_ERRNO(err, ioctl(a, KBITS_AGENT_IOC_ERROR, &e));		\
} while (0)

	/* the context: not NONE, not past REMOTE_APPLICATION */
	ERR_REFUSED(EINVAL, e.context = KBITS_ERROR_CONTEXT_NONE);
	ERR_REFUSED(EINVAL, e.context = KBITS_ERROR_CONTEXT_REMOTE_APPLICATION + 1);
	ERR_REFUSED(EINVAL, e.context = 0xffffffffu);
	ERR_REFUSED(EINVAL, e.context = KBITS_ERROR_CONTEXT_NONE; e.flags = 0);
	/* flags, reserved */
	ERR_REFUSED(EINVAL, e.flags = KBITS_ERROR_HTTP);	/* EIO: no status */
	ERR_REFUSED(EINVAL, e.code = -1);	/* an errno is positive */
	ERR_REFUSED(EINVAL, e.flags = TRANSIENT | 0x80000000u);
	ERR_REFUSED(EINVAL, e.reserved = 1);
	/* an HTTP status is 100 to 599 (error_http takes both ends) */
	ERR_REFUSED(EINVAL, e.flags = TRANSIENT | KBITS_ERROR_HTTP);
	ERR_REFUSED(EINVAL, e.flags = KBITS_ERROR_HTTP; e.code = 99);
	ERR_REFUSED(EINVAL, e.flags = KBITS_ERROR_HTTP; e.code = 600);
	ERR_REFUSED(EINVAL, e.flags = KBITS_ERROR_HTTP; e.code = 0);
	ERR_REFUSED(EINVAL, e.flags = KBITS_ERROR_HTTP; e.code = -404);
	ERR_REFUSED(EINVAL, e.flags = KBITS_ERROR_HTTP | 4; e.code = 404);
	ERR_REFUSED(EINVAL, e.flags = 4; e.code = 404);
	/* a file the job does not have (KBITS_NO_FILE is none) */
	ERR_REFUSED(ENXIO, e.file_index = 2);
	ERR_REFUSED(ENXIO, e.file_index = KBITS_NO_FILE - 1);
	ERR_REFUSED(ENXIO, e.file_index = 2; e.flags = 0);
	/* the text: at most 1024 bytes of UTF-8 without NUL */
	memset(text, 'x', sizeof(text));
	ERR_REFUSED(ENAMETOOLONG, e.text = (uintptr_t)text;
		    e.text_len = KBITS_ERROR_TEXT_MAX + 1);
	ERR_REFUSED(ENAMETOOLONG, e.text = (uintptr_t)text; e.text_len = 0xffffffffu);
	for (i = 0; i < ARRAY_SIZE(bad_utf8); i++)
		ERR_REFUSED(EINVAL, e.text = (uintptr_t)bad_utf8[i];
			    e.text_len = strlen(bad_utf8[i]));
	ERR_REFUSED(EINVAL, e.text = (uintptr_t)"a\0b"; e.text_len = 3);
	ERR_REFUSED(EFAULT, e.text = 0; e.text_len = 4);
	ERR_REFUSED(EFAULT, e.text = (uintptr_t)KADDR; e.text_len = 4);
	/* the struct itself */
	ERR_REFUSED(EINVAL, e.size = KBITS_AGENT_ERROR_SIZE_VER0 - 1);
	ERR_REFUSED(E2BIG, e.size = page_size() + 1);
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_ERROR, NULL));
	/* no such job */
	unknown_guid(unk);
	ERR_REFUSED(ENOENT, memcpy(e.id, unk, sizeof(unk)));

	/* none of that changed anything */
	EXPECT_STATE(S_CONNECTING, fd);
	EXPECT_EQ(0, error_count(fd));
	EXPECT_NO_JOB_ERROR(fd);

	/* a job not taken: SUSPENDED, QUEUED */
	e = agent_error(sid, TRANSIENT, KBITS_ERROR_CONTEXT_GENERAL, EIO,
			KBITS_NO_FILE, "text");
	EXPECT_ERRNO(EBADFD, ioctl(a, KBITS_AGENT_IOC_ERROR, &e));
	e.flags = 0;
	EXPECT_ERRNO(EBADFD, ioctl(a, KBITS_AGENT_IOC_ERROR, &e));
	EXPECT_STATE(S_SUSPENDED, sfd);
	EXPECT_NO_JOB_ERROR(sfd);
	EXPECT_EQ(0, user_do(2341, sid, U_RESUME));
	EXPECT_ERRNO(EBADFD, ioctl(a, KBITS_AGENT_IOC_ERROR, &e));
	EXPECT_STATE(S_QUEUED, sfd);
	/* taken, then suspended by its user */
	ASSERT_SYSOK(take(a, sid));
	ASSERT_SYSOK(progress(a, sid, 0, 9, 1, 0));
	EXPECT_EQ(0, user_do(2341, sid, U_SUSPEND));
	EXPECT_ERRNO(EBADFD, ioctl(a, KBITS_AGENT_IOC_ERROR, &e));
	e.flags = TRANSIENT;
	EXPECT_ERRNO(EBADFD, ioctl(a, KBITS_AGENT_IOC_ERROR, &e));
	EXPECT_STATE(S_SUSPENDED, sfd);
	EXPECT_EQ(0, error_count(sfd));
	EXPECT_NO_JOB_ERROR(sfd);

	/* the limits themselves are fine: 1024 bytes, every context, no text */
	memset(text, 'y', sizeof(text));
	e = agent_error(id, TRANSIENT, KBITS_ERROR_CONTEXT_REMOTE_APPLICATION,
			500, 1, NULL);
	e.text = (uintptr_t)text;
	e.text_len = KBITS_ERROR_TEXT_MAX;
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_ERROR, &e));
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(KBITS_ERROR_TEXT_MAX, g.e.text_len);
	EXPECT_EQ(0, g.text[KBITS_ERROR_TEXT_MAX]);
	EXPECT_TRUE(g.text[0] == 'y' && g.text[KBITS_ERROR_TEXT_MAX - 1] == 'y');
	EXPECT_EQ(500, g.e.code);
	EXPECT_EQ(1, g.e.file_index);
	for (i = KBITS_ERROR_CONTEXT_GENERAL;
	     i <= KBITS_ERROR_CONTEXT_REMOTE_APPLICATION; i++) {
		ASSERT_SYSOK(take(a, id));
		ASSERT_SYSOK(report_error(a, id, TRANSIENT, i, 100 + i, 0,
					  "é ünïcødé ✓ 𝄞"));
		EXPECT_JOB_ERROR(fd, i, 100 + i, 0, "é ünïcødé ✓ 𝄞");
	}
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_GENERAL, EIO,
				  KBITS_NO_FILE, NULL));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_GENERAL, EIO, KBITS_NO_FILE, "");
	EXPECT_STATE(S_ERROR, fd);
	EXPECT_EQ(7, error_count(fd));

	job_cancel(fd);
	job_cancel(sfd);
	close(fd);
	close(sfd);
	close(a);
	close(dev);
#undef ERR_REFUSED
}

/*
 * KBITS_ERROR_HTTP: the agent says its code is an HTTP status (100 to 599,
 * both ends taken), GET_ERROR says so; an errno error after it has no flag,
 * though the number may be a status's; a user's GET_ERROR sets no flags.
 */
TEST(error_http)
{
	int a = agent_attach(), dev = dev_open(), fd;
	struct got_error g;
	guid_bytes id;

	fd = user_job(dev, 2343, DL, 2, true, id);
	ASSERT_SYSOK(take(a, id));
	/* a transient one, the lowest status */
	ASSERT_SYSOK(report_error(a, id, TRANSIENT | KBITS_ERROR_HTTP,
				  KBITS_ERROR_CONTEXT_REMOTE_FILE, 100, 1,
				  "continue"));
	EXPECT_STATE(S_TRANSIENT, fd);
	EXPECT_EQ(1, error_count(fd));
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(KBITS_ERROR_HTTP, g.e.flags);
	EXPECT_EQ(KBITS_ERROR_CONTEXT_REMOTE_FILE, g.e.context);
	EXPECT_EQ(100, g.e.code);
	EXPECT_EQ(1, g.e.file_index);
	EXPECT_STREQ("continue", g.text);

	/* a final one ends the retry without a TAKE: the highest status */
	ASSERT_SYSOK(report_error(a, id, KBITS_ERROR_HTTP,
				  KBITS_ERROR_CONTEXT_REMOTE_APPLICATION, 599,
				  KBITS_NO_FILE, "gave up"));
	EXPECT_STATE(S_ERROR, fd);
	EXPECT_EQ(2, error_count(fd));
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(KBITS_ERROR_HTTP, g.e.flags);
	EXPECT_EQ(599, g.e.code);
	EXPECT_EQ(KBITS_NO_FILE, g.e.file_index);
	EXPECT_STREQ("gave up", g.text);

	/*
	 * The struct of that call, reused as it is: the flag it wrote comes
	 * back in, and is ignored (a caller that polls with one struct).
	 */
	g.e.text_len = sizeof(g.text);
	ASSERT_EQ(KBITS_ERROR_HTTP, g.e.flags);
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));
	EXPECT_EQ(KBITS_ERROR_HTTP, g.e.flags);
	EXPECT_EQ(599, g.e.code);
	EXPECT_STREQ("gave up", g.text);

	/* any other bit is refused, the flag with it or not: nothing written */
	memset(&g, 'Z', sizeof(g));
	g.e.size = sizeof(g.e);
	g.e.flags = KBITS_ERROR_HTTP | 0x80000000u;
	g.e.text = (uintptr_t)g.text;
	g.e.text_len = sizeof(g.text);
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));
	EXPECT_EQ('Z', g.text[0]);
	EXPECT_EQ(KBITS_ERROR_HTTP | 0x80000000u, g.e.flags);
	EXPECT_EQ(0x5a5a5a5a, (uint32_t)g.e.code);
	g.e.flags = 0x80000000u;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));
	g.e.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &g.e));

	/* an errno after it, of a status's number: no flag */
	EXPECT_EQ(0, user_do(2343, id, U_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT,
				  KBITS_ERROR_CONTEXT_TRANSPORT, ETIMEDOUT,
				  KBITS_NO_FILE, "timed out"));
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(0, g.e.flags);
	EXPECT_EQ(ETIMEDOUT, g.e.code);
	EXPECT_STREQ("timed out", g.text);

	/* a 404 as a final error; progress then clears it, flag and all */
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, KBITS_ERROR_HTTP,
				  KBITS_ERROR_CONTEXT_REMOTE_FILE, 404, 0,
				  "not found"));
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(KBITS_ERROR_HTTP, g.e.flags);
	EXPECT_EQ(404, g.e.code);
	EXPECT_EQ(4, error_count(fd));
	EXPECT_EQ(0, user_do(2343, id, U_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 100, 1, 0));
	EXPECT_NO_JOB_ERROR(fd);
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_LOCAL_FILE,
				  ENOSPC, 0, "full"));
	ASSERT_SYSOK(get_error(fd, &g));
	EXPECT_EQ(0, g.e.flags);
	EXPECT_EQ(ENOSPC, g.e.code);

	job_cancel(fd);
	close(fd);
	close(a);
	close(dev);
}

/* The error goes when the transfer goes on; the count of errors stays. */
TEST(error_cleared_by_progress)
{
	int a = agent_attach(), dev = dev_open(), fd;
	guid_bytes id;

	fd = user_job(dev, 2342, DL, 2, true, id);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  ECONNRESET, KBITS_NO_FILE, "reset"));
	ASSERT_SYSOK(take(a, id));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_TRANSPORT, ECONNRESET,
			 KBITS_NO_FILE, "reset");
	ASSERT_SYSOK(progress(a, id, 0, 100, 1, 0));
	EXPECT_NO_JOB_ERROR(fd);
	EXPECT_EQ(1, error_count(fd));
	EXPECT_STATE(S_TRANSFERRING, fd);

	/* a final error, its user's RESUME, the retry: gone at progress */
	ASSERT_SYSOK(report_error(a, id, 0, KBITS_ERROR_CONTEXT_REMOTE_FILE, 403,
				  0, "forbidden"));
	EXPECT_EQ(0, user_do(2342, id, U_RESUME));
	ASSERT_SYSOK(take(a, id));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_REMOTE_FILE, 403, 0, "forbidden");
	ASSERT_SYSOK(progress(a, id, 0, 100, 100, DONE));
	EXPECT_NO_JOB_ERROR(fd);
	EXPECT_EQ(2, error_count(fd));

	/* and at TRANSFERRED */
	ASSERT_SYSOK(progress(a, id, 1, 5, 5, DONE));
	ASSERT_SYSOK(report_error(a, id, TRANSIENT, KBITS_ERROR_CONTEXT_TRANSPORT,
				  EPIPE, KBITS_NO_FILE, "pipe"));
	ASSERT_SYSOK(take(a, id));
	EXPECT_JOB_ERROR(fd, KBITS_ERROR_CONTEXT_TRANSPORT, EPIPE, KBITS_NO_FILE,
			 "pipe");
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_NO_JOB_ERROR(fd);
	EXPECT_EQ(3, error_count(fd));

	EXPECT_EQ(0, user_do(2342, id, U_COMPLETE));
	EXPECT_EQ(3, error_count(fd));
	close(fd);
	close(a);
	close(dev);
}

/* ------------------------------------------------------ the agent going */

enum { J_TAKEN, J_MOVING, J_SUSP, J_TAKEN_SUSP, J_ERR, J_TRANSIENT,
       J_DONE, J_WAITING, J_NR };

static const uint32_t before_death[J_NR] = {
	[J_TAKEN] = S_CONNECTING, [J_MOVING] = S_TRANSFERRING,
	[J_SUSP] = S_SUSPENDED, [J_TAKEN_SUSP] = S_SUSPENDED,
	[J_ERR] = S_ERROR, [J_TRANSIENT] = S_TRANSIENT,
	[J_DONE] = S_TRANSFERRED, [J_WAITING] = S_QUEUED,
};

/* What the jobs the agent had taken become; the others stay as they are. */
static const uint32_t after_death[J_NR] = {
	[J_TAKEN] = S_QUEUED, [J_MOVING] = S_QUEUED,
	[J_SUSP] = S_SUSPENDED, [J_TAKEN_SUSP] = S_SUSPENDED,
	[J_ERR] = S_ERROR, [J_TRANSIENT] = S_TRANSIENT,
	[J_DONE] = S_TRANSFERRED, [J_WAITING] = S_QUEUED,
};

/* Puts jobs @ids in the states before_death[] names, as agent @a. */
static void agent_works(int a, guid_bytes *ids)
{
	ASSERT_SYSOK(take(a, ids[J_TAKEN]));
	ASSERT_SYSOK(take(a, ids[J_MOVING]));
	ASSERT_SYSOK(progress(a, ids[J_MOVING], 0, 100, 40, 0));
	ASSERT_SYSOK(take(a, ids[J_TAKEN_SUSP]));
	ASSERT_SYSOK(take(a, ids[J_ERR]));
	ASSERT_SYSOK(report_error(a, ids[J_ERR], 0, KBITS_ERROR_CONTEXT_REMOTE_FILE,
				  404, 0, "gone"));
	ASSERT_SYSOK(take(a, ids[J_TRANSIENT]));
	ASSERT_SYSOK(report_error(a, ids[J_TRANSIENT], TRANSIENT,
				  KBITS_ERROR_CONTEXT_TRANSPORT, ETIMEDOUT,
				  KBITS_NO_FILE, "slow"));
	ASSERT_SYSOK(take(a, ids[J_DONE]));
	ASSERT_SYSOK(progress(a, ids[J_DONE], 0, 1, 1, DONE));
	ASSERT_SYSOK(transferred(a, ids[J_DONE]));
}

static void make_death_jobs(int dev, uid_t uid, int *fds, guid_bytes *ids)
{
	int i;

	for (i = 0; i < J_NR; i++)
		fds[i] = user_job(dev, uid, DL, 1, i != J_SUSP, ids[i]);
}

static void expect_states(const int *fds, const uint32_t *want, const char *when)
{
	uint32_t st;
	int i;

	for (i = 0; i < J_NR; i++) {
		st = job_state(fds[i]);
		if (st != want[i])
			TH_LOG("%s: job %d is %s, expected %s", when, i,
			       NAME_OF(state_name, st),
			       NAME_OF(state_name, want[i]));
		EXPECT_EQ(want[i], st);
	}
}

TEST(agent_killed)
{
	int dev = dev_open(), fds[J_NR], pipefd[2], st = 0, a, i;
	guid_bytes ids[J_NR];
	char c;
	pid_t pid;

	make_death_jobs(dev, 2350, fds, ids);
	ASSERT_SYSOK(pipe2(pipefd, O_CLOEXEC));

	pid = th_fork();
	if (pid == 0) {
		close(pipefd[0]);
		a = agent_attach();
		agent_works(a, ids);
		ASSERT_EQ(1, write(pipefd[1], "r", 1));
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);

	/* a job the agent had taken, suspended by its user meanwhile */
	EXPECT_EQ(0, user_do(2350, ids[J_TAKEN_SUSP], U_SUSPEND));
	expect_states(fds, before_death, "agent alive");
	/* the agent is there: nobody else may attach */
	EXPECT_ERRNO(EBUSY, raw_attach(dev));

	ASSERT_SYSOK(kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGKILL, WTERMSIG(st));

	/* what it had taken is back in the queue; the rest is as it was */
	expect_states(fds, after_death, "agent killed");
	EXPECT_JOB_ERROR(fds[J_ERR], KBITS_ERROR_CONTEXT_REMOTE_FILE, 404, 0,
			 "gone");
	EXPECT_JOB_ERROR(fds[J_TRANSIENT], KBITS_ERROR_CONTEXT_TRANSPORT,
			 ETIMEDOUT, KBITS_NO_FILE, "slow");

	/* and a new agent can attach and take them */
	a = agent_attach();
	ASSERT_SYSOK(take(a, ids[J_TAKEN]));
	ASSERT_SYSOK(take(a, ids[J_MOVING]));
	ASSERT_SYSOK(take(a, ids[J_WAITING]));
	EXPECT_ERRNO(EBADFD, take(a, ids[J_SUSP]));
	close(a);
	/* closing it gives them back too */
	EXPECT_STATE(S_QUEUED, fds[J_TAKEN]);
	EXPECT_STATE(S_QUEUED, fds[J_MOVING]);
	EXPECT_STATE(S_QUEUED, fds[J_WAITING]);

	for (i = 0; i < J_NR; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}
	close(dev);
}

/* The same when the agent closes its fd, and only when the last copy goes. */
TEST(agent_closed)
{
	int dev = dev_open(), fds[J_NR], a, a2, i;
	guid_bytes ids[J_NR];

	make_death_jobs(dev, 2351, fds, ids);
	a = agent_attach();
	agent_works(a, ids);
	ASSERT_SYSOK(ioctl(fds[J_TAKEN_SUSP], KBITS_JOB_IOC_SUSPEND));
	expect_states(fds, before_death, "agent attached");

	/* a copy of the fd still open: still the agent's */
	a2 = dup(a);
	ASSERT_SYSOK(a2);
	close(a);
	expect_states(fds, before_death, "one copy closed");
	ASSERT_SYSOK(progress(a2, ids[J_MOVING], 0, 100, 50, 0));
	EXPECT_FILE(fds[J_MOVING], 0, 100, 50, 0);

	close(a2);
	expect_states(fds, after_death, "agent fd closed");
	/* what was transferred so far stays with the job */
	EXPECT_FILE(fds[J_MOVING], 0, 100, 50, 0);

	for (i = 0; i < J_NR; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}
	close(dev);
}

/*
 * A new agent may attach as soon as the old one's fd is closing; what the
 * old agent's close gives back to the queue are the jobs the old agent had
 * taken, never one the new agent took meanwhile.  Each round, a child
 * attaches while this process closes the old agent fd; once it is the
 * agent it takes a job, and when the old close has returned that job must
 * still be CONNECTING.
 */
#define CLOSE_ROUNDS 50

TEST_TIMEOUT(agent_closing_spares_new_agent, 120)
{
	int dev = dev_open(), fd, a, go[2], back[2], round, clobbered = 0;
	guid_bytes id;
	uint32_t st;
	char c;
	pid_t pid;

	fd = user_job(dev, 2352, DL, 1, true, id);
	for (round = 0; round < CLOSE_ROUNDS; round++) {
		a = agent_attach();
		ASSERT_SYSOK(pipe2(go, O_CLOEXEC));
		ASSERT_SYSOK(pipe2(back, O_CLOEXEC));
		pid = th_fork();
		if (pid == 0) {
			int b;

			close(a);	/* the parent's close is the last */
			close(go[1]);
			close(back[0]);
			ASSERT_EQ(1, write(back[1], "r", 1));
			ASSERT_EQ(1, read(go[0], &c, 1));	/* closing */
			while ((b = raw_attach(dev)) < 0)
				ASSERT_EQ(EBUSY, errno);
			ASSERT_SYSOK(take(b, id));
			ASSERT_EQ(1, write(back[1], "t", 1));
			ASSERT_EQ(1, read(go[0], &c, 1));	/* closed */
			ures->ret = job_state(fd);
			close(b);
			_exit(0);
		}
		close(go[0]);
		close(back[1]);
		ASSERT_EQ(1, read(back[0], &c, 1));
		ASSERT_EQ(1, write(go[1], "g", 1));
		close(a);				/* the old agent goes */
		ASSERT_EQ(1, read(back[0], &c, 1));	/* the new one took it */
		ASSERT_EQ(1, write(go[1], "d", 1));
		ASSERT_CHILD_OK(pid);
		close(go[1]);
		close(back[0]);
		st = ures->ret;
		if (st != S_CONNECTING && !clobbered++)
			TH_LOG("round %d: the job the new agent took is %s once "
			       "the old agent's close returned", round,
			       NAME_OF(state_name, st));
		/* the new agent closed too: the job is back in the queue */
		EXPECT_STATE(S_QUEUED, fd);
	}
	if (clobbered)
		TH_LOG("%d of %d rounds: the old agent's close requeued the job "
		       "the new agent had taken", clobbered, CLOSE_ROUNDS);
	EXPECT_EQ(0, clobbered);
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* ------------------------------------------------------- only the agent */

static const unsigned long agent_cmds[] = {
	KBITS_AGENT_IOC_TAKE_JOB, KBITS_AGENT_IOC_PROGRESS,
	KBITS_AGENT_IOC_ERROR, KBITS_AGENT_IOC_TRANSFERRED,
	KBITS_AGENT_IOC_PLACED, KBITS_AGENT_IOC_JOB_NS,
	KBITS_AGENT_IOC_REQUEUE,
};

/* Each agent ioctl, with arguments that would do something, on @fd. */
static void expect_agent_cmds_enotty(int fd, const uint8_t *id)
{
	struct kbits_agent_job j = agent_job(id);
	struct kbits_agent_progress p = agent_progress(id, 0, 10, 10, DONE);
	struct kbits_agent_error e = agent_error(id, 0,
						 KBITS_ERROR_CONTEXT_GENERAL,
						 EIO, KBITS_NO_FILE, "no");
	struct kbits_agent_job_ns ns = { .size = sizeof(ns) };

	memcpy(ns.id, id, KBITS_GUID_SIZE);

	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_TAKE_JOB, &j));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_PROGRESS, &p));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_ERROR, &e));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_TRANSFERRED, &j));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_JOB_NS, &ns));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_REQUEUE, &j));
}

TEST(agent_ioctls_only_on_agent_fd)
{
	int dev = dev_open(), fd, a;
	uint8_t buf[256];
	guid_bytes id;
	pid_t pid;
	size_t i;

	fd = user_job(dev, 2360, DL, 1, true, id);

	/* root, with no agent attached and with one */
	expect_agent_cmds_enotty(dev, id);
	expect_agent_cmds_enotty(fd, id);
	a = agent_attach();
	expect_agent_cmds_enotty(dev, id);
	expect_agent_cmds_enotty(fd, id);
	EXPECT_STATE(S_QUEUED, fd);

	/* the job's user, on its own /dev/kbits fd and job fd */
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		close(a);
		become(2360);
		udev = dev_open();
		ufd = raw_get(udev, id);
		ASSERT_SYSOK(ufd);
		expect_agent_cmds_enotty(udev, id);
		expect_agent_cmds_enotty(ufd, id);
		EXPECT_ERRNO(EPERM, raw_attach(udev));
		EXPECT_ERRNO(ENOTTY, ioctl(ufd, KBITS_IOC_AGENT_ATTACH, 0));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_STATE(S_QUEUED, fd);
	EXPECT_EQ(0, error_count(fd));
	EXPECT_NO_JOB_ERROR(fd);
	EXPECT_FILE(fd, 0, UNKNOWN, 0, 0);

	/* ATTACH is not a job fd's nor the agent fd's */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_IOC_AGENT_ATTACH, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_IOC_AGENT_ATTACH, 0));

	/* and the agent fd answers only its own */
	memset(buf, 0, sizeof(buf));
	*(uint32_t *)buf = 56;
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_IOC_CREATE_JOB, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_IOC_GET_JOB, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_IOC_ENUM_JOBS, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_JOB_IOC_GET_STATE, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_JOB_IOC_RESUME));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(ENOTTY, ioctl(a, KBITS_JOB_IOC_GET_ERROR, buf));
	for (i = 0; i < ARRAY_SIZE(agent_cmds); i++) {
		/* the same numbers with another size or direction */
		unsigned long cmd = agent_cmds[i];

		EXPECT_ERRNO(ENOTTY, ioctl(a, _IOC(_IOC_READ | _IOC_WRITE,
						  _IOC_TYPE(cmd), _IOC_NR(cmd),
						  _IOC_SIZE(cmd)), buf));
		EXPECT_ERRNO(ENOTTY, ioctl(a, _IOC(_IOC_WRITE, _IOC_TYPE(cmd),
						  _IOC_NR(cmd),
						  _IOC_SIZE(cmd) + 8), buf));
	}
	EXPECT_ERRNO(ENOTTY, ioctl(a, _IO(KBITS_IOC_MAGIC, 0x24)));
	EXPECT_ERRNO(ENOTTY, ioctl(a, _IO(KBITS_IOC_MAGIC, 0x1f)));

	/* the agent fd itself does it */
	ASSERT_SYSOK(take(a, id));
	EXPECT_STATE(S_CONNECTING, fd);
	close(a);
	EXPECT_STATE(S_QUEUED, fd);

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* ------------------------------------------- COMPLETE waits for PLACED */

/* Becomes an agent that places the files: the agent fd. */
static int placing_attach(void)
{
	int dev = dev_open(), a;

	a = ioctl(dev, KBITS_IOC_AGENT_ATTACH, KBITS_AGENT_PLACES_FILES);
	ASSERT_SYSOK(a);
	close(dev);
	ev_seq = 0;
	return a;
}

static struct kbits_agent_placed agent_placed(const uint8_t *id, int32_t error)
{
	struct kbits_agent_placed p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	memcpy(p.id, id, KBITS_GUID_SIZE);
	p.error = error;
	return p;
}

static int placed(int a, const uint8_t *id, int32_t error)
{
	struct kbits_agent_placed p = agent_placed(id, error);

	return ioctl(a, KBITS_AGENT_IOC_PLACED, &p);
}

/*
 * A job with two files that agent @a took, with file 0 done (and file 1
 * too when @all, and then TRANSFERRED); its events read.  Its fd.
 */
static int placed_job(int a, int dev, bool all, uint8_t *id)
{
	int fd = make_job(dev, "at: placed", DL, id);

	ASSERT_SYSOK(add_n(fd, 2, "placed"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	/* one record of each kind, in kind order, with the state now */
	EXPECT_EVENT(a, id, E_CREATED, S_QUEUED);
	EXPECT_EVENT(a, id, E_QUEUED, S_QUEUED);
	EXPECT_EVENT(a, id, E_MODIFIED, S_QUEUED);
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 10, 10, DONE));
	if (all) {
		ASSERT_SYSOK(progress(a, id, 1, 20, 20, DONE));
		ASSERT_SYSOK(transferred(a, id));
	}
	return fd;
}

/* The flags of job @id's exported record. */
static uint32_t record_flags(int a, const uint8_t *id)
{
	static uint8_t buf[1 << 16];
	struct kbits_agent_record r;
	struct kbits_job_record h;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	memcpy(r.id, id, KBITS_GUID_SIZE);
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, &r));
	memcpy(&h, buf, sizeof(h));
	return h.flags;
}

/* A child that calls COMPLETE on @fd; its result lands in ures->ret. */
static pid_t complete_in_child(int a, int fd)
{
	pid_t pid;

	ures->ret = -12345;
	pid = th_fork();
	if (pid == 0) {
		long r;

		close(a);
		r = ioctl(fd, KBITS_JOB_IOC_COMPLETE);
		ures->ret = r < 0 ? -errno : r;
		_exit(0);
	}
	return pid;
}

/* Waits up to 10 s for a record on the agent fd. */
static void await_event(int a)
{
	struct pollfd p = { .fd = a, .events = POLLIN };

	ASSERT_EQ(1, poll(&p, 1, 10000));
}

/* Is child @pid still running (after 200 ms)? */
static bool still_running(pid_t pid)
{
	usleep(200000);
	return waitpid(pid, NULL, WNOHANG) == 0;
}

TEST(complete_waits_for_placed)
{
	int a = placing_attach(), dev = dev_open(), fd, fd2;
	struct kbits_job_id jid;
	guid_bytes id;
	pid_t pid;

	fd = placed_job(a, dev, false, id);
	/* root made it: exempt from the limits, and the record says so */
	EXPECT_EQ(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_EXEMPT,
		  record_flags(a, id));
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRING);
	EXPECT_TRUE(still_running(pid));
	/* an agent that lost the record finds the wait in the job's record */
	EXPECT_EQ(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_COMPLETING |
		  KBITS_RECORD_EXEMPT, record_flags(a, id));

	/* meanwhile the job stands still: its user's changes are refused */
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	EXPECT_ERRNO(EBUSY, ioctl(fd2, KBITS_JOB_IOC_COMPLETE));
	EXPECT_ERRNO(EBUSY, ioctl(fd2, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EBUSY, ioctl(fd2, KBITS_JOB_IOC_SUSPEND));
	EXPECT_ERRNO(EBUSY, ioctl(fd2, KBITS_JOB_IOC_RESUME));
	EXPECT_ERRNO(EBUSY, ioctl(fd2, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	EXPECT_ERRNO(EBUSY, add_n(fd2, 1, "busy"));
	/* nor may the agent go on with it: its files are being placed */
	EXPECT_ERRNO(EBUSY, take(a, id));
	EXPECT_ERRNO(EBUSY, progress(a, id, 1, 20, 20, DONE));
	EXPECT_ERRNO(EBUSY, report_error(a, id, TRANSIENT,
					 KBITS_ERROR_CONTEXT_TRANSPORT, EIO,
					 KBITS_NO_FILE, "late"));
	EXPECT_ERRNO(EBUSY, transferred(a, id));
	EXPECT_ERRNO(EBUSY, requeue(a, id));
	EXPECT_FILE(fd2, 1, UNKNOWN, 0, 0);	/* still unfinished */
	EXPECT_STATE(S_TRANSFERRING, fd2);
	EXPECT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_GET_ID, &jid));
	EXPECT_NO_EVENT(a);
	EXPECT_TRUE(still_running(pid));

	/* the files are in place: COMPLETE returns, the unfinished one dropped */
	ASSERT_SYSOK(placed(a, id, 0));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(KBITS_COMPLETE_PARTIAL, ures->ret);
	EXPECT_STATE(S_ACK, fd);
	EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	EXPECT_ERRNO(ENOENT, placed(a, id, 0));
	EXPECT_ERRNO(EBADFD, ioctl(fd2, KBITS_JOB_IOC_COMPLETE));
	EXPECT_NO_EVENT(a);
	close(fd2);
	close(fd);
	close(a);
	close(dev);
}

/* A failed PLACED fails the COMPLETE with its errno and changes nothing. */
TEST(complete_placed_error)
{
	int a = placing_attach(), dev = dev_open(), fd;
	guid_bytes id;
	pid_t pid;

	fd = placed_job(a, dev, true, id);
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRED);
	ASSERT_SYSOK(placed(a, id, EACCES));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(-EACCES, ures->ret);
	EXPECT_STATE(S_TRANSFERRED, fd);
	EXPECT_EQ(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_EXEMPT,
		  record_flags(a, id));
	EXPECT_FILE(fd, 1, 20, 20, KBITS_FILE_COMPLETED);
	EXPECT_ERRNO(EBADFD, placed(a, id, 0));	/* no COMPLETE waits */
	EXPECT_NO_EVENT(a);

	/* and a second COMPLETE goes through: all files done, 0 */
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRED);
	ASSERT_SYSOK(placed(a, id, 0));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0, ures->ret);
	EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	close(fd);
	close(a);
	close(dev);
}

/*
 * Without an agent that places files, a job that one took cannot be
 * completed (EAGAIN); one that detaches fails the waiting COMPLETE.
 */
TEST(complete_needs_placing_agent)
{
	int a = placing_attach(), dev = dev_open(), fd;
	guid_bytes id;
	pid_t pid;

	fd = placed_job(a, dev, true, id);
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRED);
	close(a);	/* the agent dies */
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(-EAGAIN, ures->ret);
	EXPECT_STATE(S_TRANSFERRED, fd);

	/* no agent; then one that does not place files */
	EXPECT_ERRNO(EAGAIN, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	a = agent_attach();
	EXPECT_ERRNO(EAGAIN, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_ERRNO(EBADFD, placed(a, id, 0));
	close(a);
	EXPECT_STATE(S_TRANSFERRED, fd);

	/* a placing agent again: it goes through */
	a = placing_attach();
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRED);
	ASSERT_SYSOK(placed(a, id, 0));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0, ures->ret);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	close(fd);
	close(a);
	close(dev);
}

/* A job no placing agent took is completed at once, agent or not. */
TEST(complete_untaken_job_does_not_wait)
{
	int a = placing_attach(), dev = dev_open(), fd;
	guid_bytes id;

	fd = make_job(dev, "at: untaken", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "untaken"));
	EXPECT_EVENT(a, id, E_CREATED, S_SUSPENDED);
	EXPECT_EVENT(a, id, E_MODIFIED, S_SUSPENDED);
	EXPECT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
	EXPECT_NO_EVENT(a);
	close(fd);

	/* taken by an agent that does not place files: the same */
	close(a);
	a = agent_attach();
	fd = make_job(dev, "at: untaken 2", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "untaken"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	close(a);
	a = placing_attach();
	EXPECT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
	close(fd);

	/* an upload job's file is the user's own: taken, it is not marked */
	fd = make_job(dev, "at: upload", KBITS_JOB_TYPE_UPLOAD, id);
	ASSERT_SYSOK(add_n(fd, 1, "up"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(take(a, id));
	ASSERT_SYSOK(progress(a, id, 0, 10, 10, DONE));
	ASSERT_SYSOK(transferred(a, id));
	EXPECT_EQ(KBITS_RECORD_EXEMPT, record_flags(a, id));
	EXPECT_EQ(0, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_STATE(S_ACK, fd);
	drain(a);
	close(fd);
	close(a);
	close(dev);
}

/* A COMPLETE killed while it waits: the agent's PLACED still completes. */
TEST(complete_killed_while_waiting)
{
	int a = placing_attach(), dev = dev_open(), fd;
	guid_bytes id;
	pid_t pid;

	fd = placed_job(a, dev, true, id);
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRED);
	ASSERT_SYSOK(kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(-12345, ures->ret);
	EXPECT_ERRNO(EBUSY, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	ASSERT_SYSOK(placed(a, id, 0));
	EXPECT_STATE(S_ACK, fd);
	EXPECT_EVENT(a, id, E_COMPLETED, S_ACK);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	close(fd);
	close(a);
	close(dev);
}

/* PLACED's argument checks, and ATTACH's flags. */
TEST(placed_refusals)
{
	int a = placing_attach(), dev = dev_open(), fd;
	struct kbits_agent_placed p;
	guid_bytes id, unknown;
	pid_t pid;

	fd = placed_job(a, dev, true, id);
	unknown_guid(unknown);
	EXPECT_ERRNO(EBADFD, placed(a, id, 0));		/* nothing waits */
	EXPECT_ERRNO(ENOENT, placed(a, unknown, 0));
	pid = complete_in_child(a, fd);
	await_event(a);
	EXPECT_EVENT(a, id, E_COMPLETING, S_TRANSFERRED);

	p = agent_placed(id, 0);
	p.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_PLACED, &p));
	p = agent_placed(id, 0);
	p.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_PLACED, &p));
	EXPECT_ERRNO(EINVAL, placed(a, id, -1));
	EXPECT_ERRNO(EINVAL, placed(a, id, 512));	/* ERESTARTSYS */
	EXPECT_ERRNO(EINVAL, placed(a, id, 4095));
	EXPECT_ERRNO(EINVAL, placed(a, id, INT32_MIN));
	p = agent_placed(id, 0);
	p.size = KBITS_AGENT_PLACED_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_PLACED, &p));
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_PLACED, KADDR));
	/* not an agent fd's: the job fd and /dev/kbits */
	p = agent_placed(id, 0);
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_PLACED, &p));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_AGENT_IOC_PLACED, &p));
	/* none of that ended the wait */
	EXPECT_TRUE(still_running(pid));
	EXPECT_STATE(S_TRANSFERRED, fd);
	ASSERT_SYSOK(placed(a, id, 0));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0, ures->ret);
	close(fd);
	close(a);

	/* ATTACH takes 0 or KBITS_AGENT_PLACES_FILES */
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_AGENT_ATTACH, 2));
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_AGENT_ATTACH, ~0UL));
	a = ioctl(dev, KBITS_IOC_AGENT_ATTACH, KBITS_AGENT_PLACES_FILES);
	EXPECT_SYSOK(a);
	close(a);
	close(dev);
}

/* ------------------------------------------------------------- floods */

/* Logs @n records (a failing test's evidence). */
static void dump_records(const struct kbits_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 24; i++)
		TH_LOG("record %zu: %s (%s) seq %llu, job %02x%02x%02x%02x",
		       i, NAME_OF(kind_name, evs[i].kind),
		       NAME_OF(state_name, evs[i].state),
		       (unsigned long long)evs[i].seq, evs[i].id[0],
		       evs[i].id[1], evs[i].id[2], evs[i].id[3]);
}

/* Waits up to 10 s until job @id's COMPLETE waits (its record says so). */
static void await_completing(int a, const uint8_t *id)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (record_flags(a, id) & KBITS_RECORD_COMPLETING)
			return;
		usleep(10000);
	}
	ASSERT_TRUE(record_flags(a, id) & KBITS_RECORD_COMPLETING);
}

#define STORM_JOBS	3
#define STORM_ROUNDS	3000	/* each: 3 changes of each job */
#define STORM_UID	2370

/*
 * One unprivileged user changes its jobs thousands of times (27000
 * changes, the old ring held 4096) while the agent reads nothing; meanwhile
 * another job is made, and a COMPLETE of a third waits for the agent.  The
 * agent then reads one record of each kind a job had, no OVERFLOW, and the
 * CREATED and the COMPLETING among them.
 */
TEST_TIMEOUT(events_flood_user, 240)
{
	int a = placing_attach(), dev = dev_open(), fdc, fdn, go[2], back[2], i;
	guid_bytes *sids = shared_alloc(STORM_JOBS * sizeof(guid_bytes));
	guid_bytes idc, idn;
	struct kbits_event evs[64];
	pid_t storm, done;
	size_t n;
	char c;

	fdc = placed_job(a, dev, true, idc);	/* reads its events */
	ASSERT_SYSOK(pipe2(go, O_CLOEXEC));
	ASSERT_SYSOK(pipe2(back, O_CLOEXEC));
	storm = th_fork();
	if (storm == 0) {
		int udev, fds[STORM_JOBS], r, j;

		close(a);
		close(go[1]);
		close(back[0]);
		become(STORM_UID);
		udev = dev_open();
		for (j = 0; j < STORM_JOBS; j++) {
			fds[j] = make_job(udev, "at: storm", DL, sids[j]);
			ASSERT_SYSOK(add_n(fds[j], 1, "storm"));
			ASSERT_SYSOK(ioctl(fds[j], KBITS_JOB_IOC_RESUME));
		}
		for (r = 0; r < STORM_ROUNDS; r++) {
			if (r == STORM_ROUNDS / 3) {
				ASSERT_EQ(1, write(back[1], "s", 1));
				ASSERT_EQ(1, read(go[0], &c, 1));
			}
			for (j = 0; j < STORM_JOBS; j++) {
				ASSERT_SYSOK(set_str(fds[j],
					KBITS_JOB_IOC_SET_DESCRIPTION,
					r % 2 ? "storm" : "drizzle"));
				ASSERT_SYSOK(ioctl(fds[j], KBITS_JOB_IOC_SUSPEND));
				ASSERT_SYSOK(ioctl(fds[j], KBITS_JOB_IOC_RESUME));
			}
		}
		_exit(0);
	}
	close(go[0]);
	close(back[1]);

	/* in the storm: a new job, and a COMPLETE that waits */
	ASSERT_EQ(1, read(back[0], &c, 1));
	fdn = make_job(dev, "at: made in the storm", DL, idn);
	done = complete_in_child(a, fdc);
	await_completing(a, idc);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_CHILD_OK(storm);
	EXPECT_TRUE(still_running(done));

	n = read_all(a, evs, ARRAY_SIZE(evs), ARRAY_SIZE(evs));
	/* each storm job: CREATED, the later of QUEUED and SUSPENDED, MODIFIED */
	EXPECT_EQ(3 * STORM_JOBS + 2, n);
	if (n != 3 * STORM_JOBS + 2)
		dump_records(evs, n);
	for (i = 0; i < (int)n; i++)
		EXPECT_NE(E_OVERFLOW, evs[i].kind);
	if (n == 3 * STORM_JOBS + 2) {
		for (i = 0; i < STORM_JOBS; i++)
			EXPECT_RECORDS(evs + 3 * i, sids[i], S_QUEUED,
				       E_CREATED, E_QUEUED, E_MODIFIED);
		EXPECT_RECORDS(evs + 3 * STORM_JOBS, idn, S_SUSPENDED, E_CREATED);
		EXPECT_RECORDS(evs + 3 * STORM_JOBS + 1, idc, S_TRANSFERRED,
			       E_COMPLETING);
	}
	ev_seq = 3 + n;
	EXPECT_NO_EVENT(a);

	/* the COMPLETE goes through */
	ASSERT_SYSOK(placed(a, idc, 0));
	ASSERT_CHILD_OK(done);
	EXPECT_EQ(0, ures->ret);
	EXPECT_EVENT(a, idc, E_COMPLETED, S_ACK);
	job_cancel(fdn);
	EXPECT_EVENT(a, idn, E_CANCELLED, S_CANCELLED);
	for (i = 0; i < STORM_JOBS; i++) {
		int fd = raw_get(dev, sids[i]);

		ASSERT_SYSOK(fd);
		job_cancel(fd);
		close(fd);
	}
	close(fdn);
	close(fdc);
	close(a);
	close(dev);
}

/*
 * Thousands of jobs made and cancelled (root's: no limit stops them), and
 * in the middle of it a CREATED and a COMPLETING of queued jobs: the agent
 * reads every one of them, in order, and no OVERFLOW.
 */
TEST_TIMEOUT(events_flood_churn, 240)
{
	int a = placing_attach(), dev = dev_open(), fdc, fdn;
	struct kbits_event *evs;
	guid_bytes *ids, idc, idn;
	pid_t done;
	size_t n, i;

	evs = calloc(CHURN + 16, sizeof(*evs));
	ids = calloc(CHURN, sizeof(*ids));
	ASSERT_TRUE(evs != NULL && ids != NULL);
	fdc = placed_job(a, dev, true, idc);	/* reads its events: seq 3 */

	churn(dev, ids, CHURN / 2);
	fdn = make_job(dev, "at: made in the churn", DL, idn);
	done = complete_in_child(a, fdc);
	await_completing(a, idc);
	churn(dev, ids + CHURN / 2, CHURN / 2);

	n = read_all(a, evs, CHURN + 16, 1000);
	EXPECT_EQ(CHURN + 2, n);
	for (i = 0; i < n; i++)
		if (evs[i].kind == E_OVERFLOW)
			break;
	EXPECT_EQ(n, i);	/* no OVERFLOW */
	if (n == CHURN + 2) {
		expect_cancelled(evs, CHURN / 2, ids, 4);
		ev_seq = 3 + CHURN / 2;
		EXPECT_RECORDS(evs + CHURN / 2, idn, S_SUSPENDED, E_CREATED);
		EXPECT_RECORDS(evs + CHURN / 2 + 1, idc, S_TRANSFERRED,
			       E_COMPLETING);
		expect_cancelled(evs + CHURN / 2 + 2, CHURN / 2,
				 ids + CHURN / 2, 4 + CHURN / 2 + 2);
	} else {
		dump_records(evs, n);
	}
	ev_seq = 3 + n;
	EXPECT_NO_EVENT(a);

	ASSERT_SYSOK(placed(a, idc, 0));
	ASSERT_CHILD_OK(done);
	EXPECT_EQ(0, ures->ret);
	EXPECT_EVENT(a, idc, E_COMPLETED, S_ACK);
	job_cancel(fdn);
	EXPECT_EVENT(a, idn, E_CANCELLED, S_CANCELLED);
	free(ids);
	free(evs);
	close(fdn);
	close(fdc);
	close(a);
	close(dev);
}

/* ------------------------------------------------------- the job's namespaces */

static int job_ns(int a, const uint8_t *id, uint32_t kind)
{
	struct kbits_agent_job_ns n;

	memset(&n, 0, sizeof(n));
	n.size = sizeof(n);
	memcpy(n.id, id, KBITS_GUID_SIZE);
	n.kind = kind;
	return ioctl(a, KBITS_AGENT_IOC_JOB_NS, &n);
}

/* What a child saw of itself, for the test to compare. */
struct ns_seen {
	dev_t root_dev;
	ino_t root_ino;
	ino_t net_ino;
	long ret;
};

static ino_t ino_of(const char *path)
{
	struct stat st;

	ASSERT_SYSOK(stat(path, &st));
	return st.st_ino;
}

/* The fd must be an O_PATH O_CLOEXEC fd of the directory @dev/@ino. */
static void expect_root_fd(int fd, dev_t dev, ino_t ino)
{
	struct stat st;
	int fl;

	fl = fcntl(fd, F_GETFL);
	ASSERT_SYSOK(fl);
	EXPECT_EQ(O_PATH, fl & O_PATH);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	ASSERT_SYSOK(fstat(fd, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(dev, st.st_dev);
	EXPECT_EQ(ino, st.st_ino);
}

/* The fd must be an O_CLOEXEC nsfs fd of the network namespace @ino. */
static void expect_net_fd(int fd, ino_t ino)
{
	struct stat st;

	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	EXPECT_EQ(CLONE_NEWNET, ioctl(fd, NS_GET_NSTYPE));
	ASSERT_SYSOK(fstat(fd, &st));
	EXPECT_EQ(ino, st.st_ino);
}

/*
 * ROOT: the root directory the job's creator had: of a chrooted creator its
 * chroot, of one in a mount namespace of its own with a tmpfs there, that
 * tmpfs, whose files the agent sees below the fd though it is mounted
 * nowhere the agent can see.
 */
TEST(job_ns_root)
{
	struct ns_seen *seen = shared_alloc(sizeof(*seen));
	char dir[] = "/tmp/kbits-at-root-XXXXXX";
	char dir2[] = "/tmp/kbits-at-mnt-XXXXXX";
	int a = agent_attach(), dev = dev_open(), fd, rfd;
	struct stat st, st2;
	char path[64];
	guid_bytes id;
	pid_t pid;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_TRUE(mkdtemp(dir2) != NULL);
	snprintf(path, sizeof(path), "%s/marker", dir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	ASSERT_SYSOK(stat(dir, &st));

	/* a job made in the initial root: "/" */
	fd = make_job(dev, "at: root /", DL, id);
	rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
	ASSERT_SYSOK(rfd);
	ASSERT_SYSOK(stat("/", &st2));
	expect_root_fd(rfd, st2.st_dev, st2.st_ino);
	close(rfd);
	job_cancel(fd);
	close(fd);

	/* made by a chrooted process: its chroot */
	pid = th_fork();
	if (pid == 0) {
		int udev = dev_open();

		close(a);
		ASSERT_SYSOK(chroot(dir));
		ASSERT_SYSOK(chdir("/"));
		make_job(udev, "at: root chrooted", DL, ures->id);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, ures->id, sizeof(id));
	rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
	ASSERT_SYSOK(rfd);
	expect_root_fd(rfd, st.st_dev, st.st_ino);
	EXPECT_SYSOK(fstatat(rfd, "marker", &st2, 0));
	/* the agent enters it the documented way */
	pid = th_fork();
	if (pid == 0) {
		ASSERT_SYSOK(fchdir(rfd));
		ASSERT_SYSOK(chroot("."));
		EXPECT_SYSOK(stat("/marker", &st2));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	close(rfd);
	cancel_id(dev, id);

	/* made in a mount namespace of its own, chrooted into a tmpfs */
	pid = th_fork();
	if (pid == 0) {
		int udev = dev_open();

		close(a);
		ASSERT_SYSOK(unshare(CLONE_NEWNS));
		ASSERT_SYSOK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
		ASSERT_SYSOK(mount("kbits-at", dir2, "tmpfs", 0, "size=64k"));
		snprintf(path, sizeof(path), "%s/only-in-the-tmpfs", dir2);
		close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
		ASSERT_SYSOK(chroot(dir2));
		ASSERT_SYSOK(chdir("/"));
		ASSERT_SYSOK(stat("/", &st2));
		seen->root_dev = st2.st_dev;
		seen->root_ino = st2.st_ino;
		make_job(udev, "at: root in a tmpfs", DL, ures->id);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, ures->id, sizeof(id));
	ASSERT_SYSOK(stat(dir2, &st2));
	EXPECT_NE(st2.st_dev, seen->root_dev);	/* not mounted here */
	rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
	ASSERT_SYSOK(rfd);
	expect_root_fd(rfd, seen->root_dev, seen->root_ino);
	EXPECT_SYSOK(fstatat(rfd, "only-in-the-tmpfs", &st2, 0));
	EXPECT_ERRNO(ENOENT, fstatat(rfd, "marker", &st2, 0));
	close(rfd);
	cancel_id(dev, id);

	snprintf(path, sizeof(path), "%s/marker", dir);
	unlink(path);
	rmdir(dir);
	rmdir(dir2);
	close(a);
	close(dev);
}

/*
 * NET: the network namespace the job's creator was in: an nsfs fd of it,
 * which setns() takes.
 */
TEST(job_ns_net)
{
	struct ns_seen *seen = shared_alloc(sizeof(*seen));
	int a = agent_attach(), dev = dev_open(), fd, nfd;
	ino_t init_net = ino_of("/proc/self/ns/net");
	guid_bytes id;
	pid_t pid;

	/* in the initial one: that one */
	fd = make_job(dev, "at: net init", DL, id);
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, init_net);
	close(nfd);
	job_cancel(fd);
	close(fd);

	/* made after unshare(CLONE_NEWNET): the new one */
	pid = th_fork();
	if (pid == 0) {
		int udev = dev_open();

		close(a);
		ASSERT_SYSOK(unshare(CLONE_NEWNET));
		seen->net_ino = ino_of("/proc/self/ns/net");
		make_job(udev, "at: net new", DL, ures->id);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, ures->id, sizeof(id));
	ASSERT_NE(init_net, seen->net_ino);
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, seen->net_ino);

	/* the agent's worker enters it */
	pid = th_fork();
	if (pid == 0) {
		ASSERT_SYSOK(setns(nfd, CLONE_NEWNET));
		EXPECT_EQ(seen->net_ino, ino_of("/proc/self/ns/net"));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	close(nfd);

	/* a second fd: the same namespace */
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, seen->net_ino);
	close(nfd);
	cancel_id(dev, id);
	close(a);
	close(dev);
}

/* EXPORT of job @id into @rec (room for @len): the record's flags. */
static uint32_t export_into(int a, const uint8_t *id, uint8_t *rec,
			   uint32_t len, struct kbits_agent_record *r)
{
	struct kbits_job_record h;

	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	memcpy(r->id, id, KBITS_GUID_SIZE);
	r->buf = (uintptr_t)rec;
	r->buf_len = len;
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, r));
	memcpy(&h, rec, sizeof(h));
	return h.flags;
}

/*
 * TAKE_OWNERSHIP moves the job to the taker's root and network namespace.
 * A record made in other namespaces than the agent's says so, and IMPORT
 * makes its job without any (ESTALE) until an administrator takes it over;
 * any other imported job has the importing agent's.
 */
TEST(job_ns_takeover_and_import)
{
	struct ns_seen *seen = shared_alloc(sizeof(*seen));
	char dir[] = "/tmp/kbits-at-take-XXXXXX";
	int a = agent_attach(), dev = dev_open(), fd, nfd, rfd;
	ino_t init_net = ino_of("/proc/self/ns/net");
	static uint8_t rec[1 << 16];
	struct kbits_agent_record r;
	struct stat st, root;
	guid_bytes id;
	pid_t pid;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_SYSOK(stat(dir, &st));
	ASSERT_SYSOK(stat("/", &root));
	fd = user_job(dev, 2371, DL, 1, true, id);
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, init_net);
	close(nfd);

	/* root, in a network namespace and a chroot of its own, takes it */
	pid = th_fork();
	if (pid == 0) {
		int udev = dev_open(), tfd;

		close(a);
		ASSERT_SYSOK(unshare(CLONE_NEWNET));
		seen->net_ino = ino_of("/proc/self/ns/net");
		ASSERT_SYSOK(chroot(dir));
		ASSERT_SYSOK(chdir("/"));
		tfd = raw_get(udev, id);
		ASSERT_SYSOK(tfd);
		ASSERT_SYSOK(ioctl(tfd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	close(fd);	/* older than the takeover: revoked */
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, seen->net_ino);
	close(nfd);
	rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
	ASSERT_SYSOK(rfd);
	expect_root_fd(rfd, st.st_dev, st.st_ino);
	close(rfd);

	/* exported: not the agent's namespaces, and the record says so */
	EXPECT_EQ(KBITS_RECORD_EXEMPT | KBITS_RECORD_FOREIGN_NS,
		  export_into(a, id, rec, sizeof(rec), &r));
	cancel_id(dev, id);
	EXPECT_ERRNO(ENOENT, job_ns(a, id, KBITS_JOB_NS_NET));
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, &r));
	/* imported: no namespaces at all, not even the agent's */
	EXPECT_ERRNO(ESTALE, job_ns(a, id, KBITS_JOB_NS_NET));
	EXPECT_ERRNO(ESTALE, job_ns(a, id, KBITS_JOB_NS_ROOT));
	EXPECT_EQ(KBITS_RECORD_EXEMPT | KBITS_RECORD_FOREIGN_NS,
		  export_into(a, id, rec, sizeof(rec), &r));
	/* until an administrator takes it over: then the taker's */
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	nfd = ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(nfd);
	close(fd);
	fd = nfd;
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, init_net);
	close(nfd);
	rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
	ASSERT_SYSOK(rfd);
	expect_root_fd(rfd, root.st_dev, root.st_ino);
	close(rfd);
	/* now the agent's own: exported as such, imported with the importer's */
	EXPECT_EQ(KBITS_RECORD_EXEMPT, export_into(a, id, rec, sizeof(rec), &r));
	job_cancel(fd);
	close(fd);
	pid = th_fork();
	if (pid == 0) {
		ASSERT_SYSOK(unshare(CLONE_NEWNET));
		seen->net_ino = ino_of("/proc/self/ns/net");
		ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_IMPORT_JOB, &r));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	nfd = job_ns(a, id, KBITS_JOB_NS_NET);
	ASSERT_SYSOK(nfd);
	expect_net_fd(nfd, seen->net_ino);
	close(nfd);
	rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
	ASSERT_SYSOK(rfd);
	expect_root_fd(rfd, root.st_dev, root.st_ino);
	close(rfd);
	cancel_id(dev, id);
	rmdir(dir);
	close(a);
	close(dev);
}

/* JOB_NS's refusals. */
TEST(job_ns_refused)
{
	int a = agent_attach(), dev = dev_open(), fd, lf;
	struct kbits_agent_job_ns n;
	guid_bytes id, unknown;

	fd = make_job(dev, "at: ns refused", DL, id);
	unknown_guid(unknown);
	lf = lowest_free_fd();
#define NS_REFUSED(err, ...) do {					\
	memset(&n, 0, sizeof(n));					\
	n.size = sizeof(n);						\
	memcpy(n.id, id, KBITS_GUID_SIZE);				\
	__VA_ARGS__;							\
	EXPECT_ERRNO(err, ioctl(a, KBITS_AGENT_IOC_JOB_NS, &n));	\
} while (0)
	NS_REFUSED(EINVAL, n.kind = 2);
	NS_REFUSED(EINVAL, n.kind = ~0u);
	NS_REFUSED(EINVAL, n.flags = 1);
	NS_REFUSED(EINVAL, n.flags = 1u << 31);
	NS_REFUSED(EINVAL, n.reserved = 1);
	NS_REFUSED(EINVAL, n.kind = KBITS_JOB_NS_NET; n.reserved = 1u << 31);
	/* the arguments are checked before the job is looked for */
	NS_REFUSED(EINVAL, n.kind = 2; memcpy(n.id, unknown, sizeof(unknown)));
	NS_REFUSED(ENOENT, memcpy(n.id, unknown, sizeof(unknown)));
	NS_REFUSED(ENOENT, n.kind = KBITS_JOB_NS_NET;
		   memcpy(n.id, unknown, sizeof(unknown)));
	NS_REFUSED(ENOENT, memset(n.id, 0, sizeof(n.id)));
	NS_REFUSED(EINVAL, n.size = KBITS_AGENT_JOB_NS_SIZE_VER0 - 1);
	EXPECT_ERRNO(EFAULT, ioctl(a, KBITS_AGENT_IOC_JOB_NS, KADDR));
	/* not the job's users', nor /dev/kbits's */
	memset(&n, 0, sizeof(n));
	n.size = sizeof(n);
	memcpy(n.id, id, KBITS_GUID_SIZE);
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_JOB_NS, &n));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_AGENT_IOC_JOB_NS, &n));
	/* a job out of the queue: ENOENT though its fd is open */
	job_cancel(fd);
	NS_REFUSED(ENOENT, n.kind = KBITS_JOB_NS_ROOT);
	NS_REFUSED(ENOENT, n.kind = KBITS_JOB_NS_NET);
#undef NS_REFUSED
	EXPECT_EQ(lf, lowest_free_fd());	/* no fd left behind */
	close(fd);
	close(a);
	close(dev);
}

/* ------------------------------------------------------- a full fd table */

/* The limit fill_fd_table() saves for unfill_fd_table(), in the child. */
static struct rlimit saved_nofile;

/*
 * AGENT_ATTACH when the caller's fd table is full: EMFILE, and no agent is
 * left attached (with room, the next attach works, not EBUSY).
 */
TEST(attach_emfile)
{
	pid_t pid = th_fork();

	if (pid == 0) {
		int dev = dev_open(), a, lf = lowest_free_fd();

		fill_fd_table(&saved_nofile);
		EXPECT_ERRNO(EMFILE, raw_attach(dev));
		unfill_fd_table(&saved_nofile);
		EXPECT_EQ(lf, lowest_free_fd());
		a = raw_attach(dev);
		EXPECT_SYSOK(a);
		close(a);
		close(dev);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
}

/*
 * JOB_NS when the agent's fd table is full: EMFILE for either kind, no fd
 * made; with room, both work.
 */
TEST(job_ns_emfile)
{
	pid_t pid = th_fork();

	if (pid == 0) {
		int a = agent_attach(), dev = dev_open(), fd, rfd, lf;
		guid_bytes id;

		fd = make_job(dev, "at: ns emfile", DL, id);
		lf = lowest_free_fd();
		fill_fd_table(&saved_nofile);
		EXPECT_ERRNO(EMFILE, job_ns(a, id, KBITS_JOB_NS_ROOT));
		EXPECT_ERRNO(EMFILE, job_ns(a, id, KBITS_JOB_NS_NET));
		unfill_fd_table(&saved_nofile);
		EXPECT_EQ(lf, lowest_free_fd());
		rfd = job_ns(a, id, KBITS_JOB_NS_ROOT);
		EXPECT_SYSOK(rfd);
		if (rfd >= 0) {
			struct stat st;

			ASSERT_SYSOK(stat("/", &st));
			expect_root_fd(rfd, st.st_dev, st.st_ino);
			close(rfd);
		}
		rfd = job_ns(a, id, KBITS_JOB_NS_NET);
		EXPECT_SYSOK(rfd);
		if (rfd >= 0) {
			expect_net_fd(rfd, ino_of("/proc/self/ns/net"));
			close(rfd);
		}
		job_cancel(fd);
		close(fd);
		close(a);
		close(dev);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
}

/* --------------------------------------------------------------- cleanup */

/* Every job this run made has left the queue, and no agent is attached. */
NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	ures = mmap(NULL, sizeof(*ures), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (job_log_map() || ures == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	return test_harness_run(argc, argv);
}
