// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: the credential check holds (issue 12).  Each test
 * reproduces one way the answer to "may this caller have this job?" was
 * made wrong, and shows that it no longer is:
 *
 *  - TAKE_OWNERSHIP returns a new fd and revokes every older fd of the
 *    job, the one it went through included: every ioctl on them but
 *    GET_ID, read() and poll() tell EACCES / POLLERR, and nothing done
 *    through them changes the job (root's own older fds too);
 *  - TAKE_OWNERSHIP leaves an active job SUSPENDED, so nothing the old
 *    owner added is transferred with the new owner's rights until the new
 *    owner resumes it; the agent's reports of the job then get EBADFD;
 *  - a container's root has the jobs made in its user namespace (or below)
 *    whose owners it maps, and no others: not its user's host jobs, not a
 *    job host root took over, which its ENUM_JOBS no longer lists; a
 *    takeover moves the job to the taker's user namespace, root directory
 *    and network namespace;
 *  - a user who cancels jobs but keeps their fds pins at most
 *    max_jobs_per_user jobs' memory (measured); the limits are charged up
 *    the user-namespace hierarchy, so a container's uids share their
 *    creator's (a rootful container's, one of their own);
 *  - readers of one job fd sleep interruptibly, are killable, and share
 *    the events out (none twice).
 *
 * Against the real module, with raw ioctls.  Run as root with kbits loaded
 * and no agent attached (tests/selftests/run-in-vm.sh does that in the test
 * VM); the tests become other users themselves in forked children.  Uids
 * 2600-2699 are this program's, and host uids 2600000-2600999 are the
 * range a container of its maps (kbits_helpers.h's kbits_uid_ranges[]).
 * Every job a test makes is logged in memory shared by all the tests; the
 * last test checks that none of them, nor any job of its uids, is left in
 * the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"


#define ALICE		2601	/* the user whose jobs are taken, pinned, ... */
#define BOB		2602	/* another user */
#define NS_BASE		2600000	/* host uid of uid 0 of a container ("0 NS_BASE 1000") */
#define NS_RANGE	1000

#define DL		KBITS_JOB_TYPE_DOWNLOAD

/* ------------------------------------------------------------ parameters */

/* As they were when the run started; restored after each test. */
static unsigned int orig_max_jobs = 300, orig_max_jobs_per_user = 60;

static void restore_params(void)
{
	param_restore("max_jobs", orig_max_jobs);
	param_restore("max_jobs_per_user", orig_max_jobs_per_user);
}

/* ---------------------------------------------------------------- helpers */

/*
 * Becomes @uid, as become() does, but stays dumpable: a process's own
 * /proc/self/fdinfo is root's to read otherwise.
 */
static void become_user(uid_t uid)
{
	become(uid);
	ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
}

/*
 * CREATE_JOB of a download job named @name: the fd, or -1 and errno.  A
 * job made is logged (jobs_left_behind()).
 */
static int try_create(int dev, const char *name, uint8_t *id)
{
	guid_bytes got;
	int fd = raw_create(dev, name, strlen(name), KBITS_JOB_TYPE_DOWNLOAD, got);

	if (fd >= 0)
		log_job(got);
	if (id)
		memcpy(id, got, sizeof(got));
	return fd;
}

/* One step of a dialogue between two processes over a socket pair. */
static void post(int sock)
{
	ASSERT_EQ(1, write(sock, "s", 1));
}

static void await(int sock)
{
	char c;
	ssize_t n;

	do
		n = read(sock, &c, 1);
	while (n < 0 && errno == EINTR);
	ASSERT_EQ(1, n);
}

static int add_file(int fd, const char *remote, const char *local)
{
	struct kbits_file_spec spec;
	struct kbits_add_files add;

	memset(&spec, 0, sizeof(spec));
	spec.remote = (uintptr_t)remote;
	spec.remote_len = strlen(remote);
	spec.local = (uintptr_t)local;
	spec.local_len = strlen(local);
	memset(&add, 0, sizeof(add));
	add.size = sizeof(add);
	add.count = 1;
	add.entry_size = sizeof(spec);
	add.files = (uintptr_t)&spec;
	return ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &add);
}

/* A string GET into @buf (@room bytes): the ioctl's result. */
static int get_str(int fd, unsigned long cmd, char *buf, uint32_t room)
{
	struct kbits_job_string js;

	memset(buf, 0, room);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = room;
	js.buf = (uintptr_t)buf;
	return ioctl(fd, cmd, &js);
}

/* The string @cmd reads through @fd must be @want. */
static void expect_str(int fd, unsigned long cmd, const char *want)
{
	static char buf[KBITS_HTTP_HEADERS_MAX + 1];

	EXPECT_SYSOK(get_str(fd, cmd, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
}

static int get_attr(int fd, struct kbits_job_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	return ioctl(fd, KBITS_JOB_IOC_GET_ATTR, a);
}

static int set_priority(int fd, uint32_t prio)
{
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = KBITS_ATTR_PRIORITY;
	a.priority = prio;
	return ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &a);
}

static int set_notify(int fd, uint32_t flags)
{
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = KBITS_ATTR_NOTIFY_FLAGS;
	a.notify_flags = flags;
	return ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &a);
}

static uint32_t files_total(int fd)
{
	struct kbits_job_progress p;

	get_progress(fd, &p);
	return p.files_total;
}

/* GET_FILE of file @index, its local name into @local (@room bytes). */
static int get_file_local(int fd, uint32_t index, char *local, uint32_t room)
{
	static char remote[KBITS_REMOTE_NAME_MAX + 1];
	struct kbits_job_file f;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.index = index;
	f.remote = (uintptr_t)remote;
	f.remote_len = sizeof(remote);
	f.local = (uintptr_t)local;
	f.local_len = room;
	return ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f);
}

static int get_error(int fd)
{
	char text[KBITS_ERROR_TEXT_MAX + 1];
	struct kbits_job_error e;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.text = (uintptr_t)text;
	e.text_len = sizeof(text);
	return ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &e);
}

/* Is job @id in the walk ENUM_JOBS with @flags gives the caller?  -1: refused. */
#define listed(dev, id)		enum_lists(dev, 0, id)
#define listed_all(dev, id)	enum_lists(dev, KBITS_ENUM_ALL_USERS, id)

/*
 * /proc/self/fdinfo, opened before a chroot() hides /proc (-1: open it
 * each time).
 */
static int fdinfo_dir = -1;

/* Does /proc/self/fdinfo of @fd have a line with @needle? */
static bool fdinfo_has(int fd, const char *needle)
{
	char path[64], buf[1024];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fdinfo_dir >= 0 ? openat(fdinfo_dir, strrchr(path, '/') + 1,
				     O_RDONLY | O_CLOEXEC) :
			      open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_SYSOK(f);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	ASSERT_SYSOK(n);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Cancels the queued job @id, if it is there, as root. */
static void cancel_if_queued(int dev, const uint8_t *id)
{
	int fd = raw_get(dev, id);

	if (fd < 0) {
		EXPECT_EQ(ENOENT, errno);
		return;
	}
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
}

/* The scheduler state of thread @tid of this process ('R', 'S', 'D', ...). */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return '?';
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * Waits (5 s at most) for thread @tid to sleep: 'S', interruptibly.  Its
 * state then, or the last one seen.
 */
static char wait_sleeping(pid_t tid)
{
	char s = '?';
	int i;

	for (i = 0; i < 500; i++) {
		s = task_state(getpid(), tid);
		if (s == 'S' || s == 'D') {
			/* a moment later: still asleep, and how */
			usleep(20000);
			return task_state(getpid(), tid);
		}
		usleep(10000);
	}
	return s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * TAKE_OWNERSHIP through @fd, which must work: the new job fd it returns
 * (O_CLOEXEC, another fd than @fd, which it revoked).
 */
static int take(int fd)
{
	int nfd = ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP);

	ASSERT_SYSOK(nfd);
	ASSERT_NE(fd, nfd);
	ASSERT_EQ(FD_CLOEXEC, fcntl(nfd, F_GETFD) & FD_CLOEXEC);
	return nfd;
}

/* ------------------------------------------------------------- the agent */

static int agent_attach(int dev)
{
	int afd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);

	if (afd < 0 && errno == EBUSY)
		TH_LOG("an agent (kbitsd?) is attached: stop it first");
	ASSERT_SYSOK(afd);
	return afd;
}

static int agent_job(int afd, unsigned long cmd, const uint8_t *id)
{
	struct kbits_agent_job a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.id, id, KBITS_GUID_SIZE);
	return ioctl(afd, cmd, &a);
}

static int agent_progress(int afd, const uint8_t *id, uint64_t total,
			  uint64_t done, uint32_t flags)
{
	struct kbits_agent_progress p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	memcpy(p.id, id, KBITS_GUID_SIZE);
	p.bytes_total = total;
	p.bytes_transferred = done;
	p.flags = flags;
	return ioctl(afd, KBITS_AGENT_IOC_PROGRESS, &p);
}

static int agent_error(int afd, const uint8_t *id, uint32_t flags)
{
	static const char text[] = "refused";
	struct kbits_agent_error e;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = flags;
	memcpy(e.id, id, KBITS_GUID_SIZE);
	e.context = KBITS_ERROR_CONTEXT_TRANSPORT;
	e.code = ECONNREFUSED;
	e.file_index = KBITS_NO_FILE;
	e.text = (uintptr_t)text;
	e.text_len = strlen(text);
	return ioctl(afd, KBITS_AGENT_IOC_ERROR, &e);
}

/* The events readable on agent fd @afd now (it does not wait), at most @max. */
static int agent_events(int afd, struct kbits_event *ev, int max)
{
	struct pollfd p = { .fd = afd, .events = POLLIN };
	int n = 0;
	ssize_t r;

	while (n < max && poll(&p, 1, 0) == 1) {
		r = read(afd, ev + n, (max - n) * sizeof(*ev));
		ASSERT_SYSOK(r);
		ASSERT_EQ(0, r % sizeof(*ev));
		if (!r)
			break;
		n += r / sizeof(*ev);
	}
	return n;
}

static void agent_drain(int afd)
{
	struct kbits_event ev[64];

	while (agent_events(afd, ev, ARRAY_SIZE(ev)) > 0)
		;
}

/* A JOB_NS fd of job @id: @kind KBITS_JOB_NS_ROOT or _NET. */
static int agent_job_ns(int afd, const uint8_t *id, uint32_t kind)
{
	struct kbits_agent_job_ns a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.id, id, KBITS_GUID_SIZE);
	a.kind = kind;
	return ioctl(afd, KBITS_AGENT_IOC_JOB_NS, &a);
}

/* The inode (and its device) behind a JOB_NS fd of job @id. */
static void job_ns_stat(int afd, const uint8_t *id, uint32_t kind,
			struct stat *st)
{
	int fd = agent_job_ns(afd, id, kind);

	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(fstat(fd, st));
	close(fd);
}

static ino_t netns_ino(void)
{
	struct stat st;

	ASSERT_SYSOK(stat("/proc/self/ns/net", &st));
	return st.st_ino;
}

/* ------------------------------------------------------- 1. revocation */

/* A reader of a job fd, in a thread: what its read() gave. */
struct reader {
	int fd;
	volatile pid_t tid;
	ssize_t ret;
	int err;
	size_t len;		/* bytes each read() asks for */
	/* events_are_shared_out: the seqs it read */
	uint64_t seqs[64];
	unsigned int n;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct kbits_event ev;

	r->tid = gettid();
	r->ret = read(r->fd, &ev, sizeof(ev));
	r->err = errno;
	return NULL;
}

/* Joins @th within 5 s, or fails the test (it hangs on: the test's timeout ends it). */
static void join_soon(pthread_t th, const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (pthread_timedjoin_np(th, NULL, &ts))
		th_fail_fatal(__FILE__, __LINE__, "%s: still blocked after 5 s", what);
}

/* Every ioctl of a job fd but GET_ID, through revoked fd @fd: EACCES, each. */
static void expect_all_refused(int fd)
{
	static char buf[KBITS_HTTP_HEADERS_MAX + 1];
	struct kbits_job_progress prog;
	struct kbits_job_attr attr;
	struct got_proxy *gp = malloc(sizeof(*gp));
	uint32_t v = 0xdeadbeef;

	ASSERT_TRUE(gp != NULL);
	/* changes: local names anywhere, the headers, the state, ... */
	EXPECT_ERRNO(EACCES, add_file(fd, "http://example.test/evil",
				      "/etc/kbits-cred-evil"));
	EXPECT_ERRNO(EACCES, set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS,
				     "Authorization: Bearer stolen"));
	EXPECT_ERRNO(EACCES, set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "mine again"));
	EXPECT_ERRNO(EACCES, set_str(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME, "mine again"));
	EXPECT_ERRNO(EACCES, set_priority(fd, KBITS_PRIORITY_FOREGROUND));
	EXPECT_ERRNO(EACCES, raw_set_proxy(fd, KBITS_PROXY_OVERRIDE,
					   "evil.test:3128", NULL));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	/* and reads: what the new owner sets is not the old owner's to see */
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_GET_STATE, &v));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_GET_TYPE, &v));
	EXPECT_ERRNO(EACCES, ioctl(fd, KBITS_JOB_IOC_GET_OWNER, &v));
	EXPECT_EQ(0xdeadbeef, v);
	EXPECT_ERRNO(EACCES, get_file_local(fd, 0, buf, sizeof(buf)));
	EXPECT_ERRNO(EACCES, get_attr(fd, &attr));
	EXPECT_ERRNO(EACCES, get_str(fd, KBITS_JOB_IOC_GET_DESCRIPTION, buf, sizeof(buf)));
	EXPECT_ERRNO(EACCES, get_str(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, buf, sizeof(buf)));
	EXPECT_ERRNO(EACCES, get_str(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, buf, sizeof(buf)));
	EXPECT_TRUE(all_bytes(buf, 0, sizeof(buf)));
	EXPECT_ERRNO(EACCES, raw_get_proxy(fd, gp));
	EXPECT_ERRNO(EACCES, get_error(fd));
	EXPECT_ERRNO(EACCES, raw_get_progress(fd, &prog));
	free(gp);
}

/* What a revoked fd still is: its GUID, and EACCES / POLLERR otherwise. */
static void expect_revoked(int fd, const uint8_t *id)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDNORM };
	struct kbits_event ev;
	guid_bytes got;
	int fl;

	expect_all_refused(fd);
	job_id(fd, got);
	EXPECT_MEMEQ(id, got, KBITS_GUID_SIZE);
	EXPECT_ERRNO(EACCES, read(fd, &ev, sizeof(ev)));
	fl = fcntl(fd, F_GETFL);
	ASSERT_SYSOK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_ERRNO(EACCES, read(fd, &ev, sizeof(ev)));
	ASSERT_SYSOK(fcntl(fd, F_SETFL, fl));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLERR | POLLHUP, p.revents);
	EXPECT_TRUE(fdinfo_has(fd, "kbits-revoked:\t1\n"));
	EXPECT_TRUE(fdinfo_has(fd, "kbits-id:\t{"));
	EXPECT_FALSE(fdinfo_has(fd, "kbits-owner:"));
	EXPECT_FALSE(fdinfo_has(fd, "kbits-state:"));
}

/*
 * alice makes a job, gives it a file, headers and a description, resumes
 * it and keeps its fd, with a reader blocked on it.  root GET_JOBs it twice
 * and takes it over through the second fd, which gives root a new fd.
 * Through alice's old fd then: every change and every read is EACCES but
 * GET_ID, the blocked read() wakes with EACCES, poll() says POLLERR |
 * POLLHUP, fdinfo "revoked"; and nothing she tried reached the job (root
 * reads it as it was, SUSPENDED).  root's new fd works; both of root's
 * older fds, the one the takeover went through included, are revoked like
 * alice's; a GET_JOB after the take works for root and is EACCES for alice.
 */
TEST(takeover_revokes_older_fds)
{
	struct shared {
		guid_bytes id;
	} *sh = shared_alloc(sizeof(*sh));
	static char local[KBITS_LOCAL_NAME_MAX + 1];
	int dev = dev_open(), sv[2], before, taker, nfd, after, fd;
	struct kbits_job_attr attr;
	struct got_proxy *gp;
	pid_t alice;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	alice = th_fork();
	if (alice == 0) {
		struct reader r = { .ret = 1234 };
		pthread_t th;
		int adev;

		become_user(ALICE);
		adev = dev_open();
		fd = make_job(adev, "cred: alice's", DL, sh->id);
		ASSERT_SYSOK(add_file(fd, "http://example.test/cred/a",
				      "/tmp/kbits-cred/a"));
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "alice's"));
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, "X-Alice: 1"));
		ASSERT_SYSOK(raw_set_proxy(fd, KBITS_PROXY_OVERRIDE, "p.test:1", "b.test"));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		/* a reader waits for an event on the fd she keeps */
		r.fd = fd;
		ASSERT_EQ(0, pthread_create(&th, NULL, reader_fn, &r));
		while (!r.tid)
			usleep(1000);
		EXPECT_EQ('S', wait_sleeping(r.tid));
		post(sv[1]);
		await(sv[1]);			/* root took the job over */

		join_soon(th, "a reader of the revoked fd");
		EXPECT_EQ(-1, r.ret);
		EXPECT_EQ(EACCES, r.err);
		expect_revoked(fd, sh->id);
		/* and no new fd either, nor a listing */
		EXPECT_ERRNO(EACCES, raw_get(adev, sh->id));
		EXPECT_EQ(0, listed(adev, sh->id));
		EXPECT_SYSOK(close(fd));	/* close works */
		_exit(0);
	}
	await(sv[0]);
	before = raw_get(dev, sh->id);		/* root's, made before the take */
	ASSERT_SYSOK(before);
	taker = raw_get(dev, sh->id);
	ASSERT_SYSOK(taker);
	EXPECT_EQ(ALICE, job_owner(taker));
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(taker));
	nfd = take(taker);
	post(sv[0]);
	ASSERT_CHILD_OK(alice);

	/* nothing alice tried reached the job: root reads it as it was */
	EXPECT_EQ(0, job_owner(nfd));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(nfd));
	EXPECT_EQ(1, files_total(nfd));
	EXPECT_SYSOK(get_file_local(nfd, 0, local, sizeof(local)));
	EXPECT_STREQ("/tmp/kbits-cred/a", local);
	expect_str(nfd, KBITS_JOB_IOC_GET_DESCRIPTION, "alice's");
	expect_str(nfd, KBITS_JOB_IOC_GET_DISPLAY_NAME, "cred: alice's");
	/* the takeover removed the headers (they may carry alice's tokens) */
	{
		static char hb[KBITS_HTTP_HEADERS_MAX + 1];

		EXPECT_ERRNO(ENODATA, get_str(nfd, KBITS_JOB_IOC_GET_HTTP_HEADERS,
					      hb, sizeof(hb)));
	}
	gp = malloc(sizeof(*gp));
	ASSERT_TRUE(gp != NULL);
	EXPECT_SYSOK(raw_get_proxy(nfd, gp));
	EXPECT_EQ(KBITS_PROXY_OVERRIDE, gp->p.usage);
	EXPECT_STREQ("p.test:1", gp->list);
	free(gp);
	EXPECT_SYSOK(get_attr(nfd, &attr));
	EXPECT_EQ(KBITS_PRIORITY_NORMAL, attr.priority);

	/* the fd the takeover gave root works */
	EXPECT_SYSOK(set_str(nfd, KBITS_JOB_IOC_SET_DESCRIPTION, "root's"));
	expect_str(nfd, KBITS_JOB_IOC_GET_DESCRIPTION, "root's");
	EXPECT_FALSE(fdinfo_has(nfd, "kbits-revoked"));
	EXPECT_TRUE(fdinfo_has(nfd, "kbits-owner:\t0\n"));
	/* root's older fds, the one it took through too, are revoked */
	expect_revoked(taker, sh->id);
	expect_revoked(before, sh->id);
	expect_str(nfd, KBITS_JOB_IOC_GET_DESCRIPTION, "root's");
	EXPECT_EQ(1, files_total(nfd));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(nfd));
	/* a GET_JOB after the take is a new, valid fd */
	after = raw_get(dev, sh->id);
	ASSERT_SYSOK(after);
	EXPECT_EQ(0, job_owner(after));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(after));

	job_cancel(nfd);
	close(after);
	close(before);
	close(taker);
	close(nfd);
	close(dev);
}

#define STATE_OF(fd) ioctl(fd, KBITS_JOB_IOC_GET_STATE, &(uint32_t){ 0 })

/*
 * A second takeover revokes the fd the first one gave, and the fds made
 * between the two; a TAKE_OWNERSHIP through a revoked fd takes nothing
 * (EACCES, and no fd).
 */
TEST(each_takeover_revokes_again)
{
	int dev = dev_open(), fd, first, got1, between, second, got2, lowest;
	guid_bytes id;

	fd = make_job(dev, "cred: taken twice", DL, id);
	first = raw_get(dev, id);
	ASSERT_SYSOK(first);
	got1 = take(first);
	EXPECT_ERRNO(EACCES, STATE_OF(fd));
	EXPECT_ERRNO(EACCES, STATE_OF(first));
	EXPECT_SYSOK(STATE_OF(got1));
	between = raw_get(dev, id);
	ASSERT_SYSOK(between);
	second = raw_get(dev, id);
	ASSERT_SYSOK(second);
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(between));
	got2 = take(second);
	EXPECT_ERRNO(EACCES, STATE_OF(got1));
	EXPECT_ERRNO(EACCES, STATE_OF(between));
	EXPECT_ERRNO(EACCES, STATE_OF(second));
	lowest = lowest_free_fd();
	EXPECT_ERRNO(EACCES, ioctl(got1, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	EXPECT_ERRNO(EACCES, ioctl(first, KBITS_JOB_IOC_TAKE_OWNERSHIP));
	EXPECT_EQ(lowest, lowest_free_fd());	/* no fd for a refused one */
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(got2));
	EXPECT_TRUE(fdinfo_has(got1, "kbits-revoked:\t1\n"));
	EXPECT_FALSE(fdinfo_has(got2, "kbits-revoked"));
	job_cancel(got2);
	close(fd);
	close(first);
	close(got1);
	close(between);
	close(second);
	close(got2);
	close(dev);
}

/*
 * A takeover revokes the open file it went through as well, so every copy
 * of it: root takes alice's job over through the fd she sent it, and her
 * copy (the same open file) is revoked with root's; only the new fd the
 * takeover returned works.
 */
TEST(takeover_revokes_the_fd_it_went_through)
{
	struct shared {
		guid_bytes id;
	} *sh = shared_alloc(sizeof(*sh));
	int sv[2], dev = dev_open(), got, nfd;
	pid_t alice;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	alice = th_fork();
	if (alice == 0) {
		int fd;

		become_user(ALICE);
		fd = make_job(dev_open(), "cred: fd sent to root", DL, sh->id);
		ASSERT_SYSOK(send_fd(sv[1], fd));
		await(sv[1]);		/* root took it through her fd */
		expect_revoked(fd, sh->id);
		_exit(0);
	}
	got = recv_fd(sv[0]);
	ASSERT_SYSOK(got);
	nfd = take(got);
	post(sv[0]);
	ASSERT_CHILD_OK(alice);
	expect_revoked(got, sh->id);
	EXPECT_EQ(0, job_owner(nfd));
	job_cancel(nfd);
	close(nfd);
	close(got);
	close(dev);
}

/*
 * A revoked fd refuses what its job's owner could do (EACCES), but a
 * command no job fd knows is still ENOTTY, as on any fd (docs/uapi.md's
 * conventions): an agent command, a /dev/kbits command, an unknown number.
 * A program probing for an ioctl must not read "revoked" for "unknown".
 */
TEST(revoked_fd_unknown_ioctl_is_enotty)
{
	int dev = dev_open(), fd, taker, nfd;
	struct kbits_agent_job a;
	guid_bytes id;

	fd = make_job(dev, "cred: unknown ioctls", DL, id);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.id, id, KBITS_GUID_SIZE);
	/* before the takeover: ENOTTY, each */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_TAKE_JOB, &a));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_IOC_AGENT_ATTACH, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(KBITS_IOC_MAGIC, 0x7f)));
	taker = raw_get(dev, id);
	ASSERT_SYSOK(taker);
	nfd = take(taker);
	EXPECT_ERRNO(EACCES, STATE_OF(fd));
	/* after it: still ENOTTY */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_AGENT_IOC_TAKE_JOB, &a));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_IOC_AGENT_ATTACH, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(KBITS_IOC_MAGIC, 0x7f)));
	job_cancel(nfd);
	close(nfd);
	close(taker);
	close(fd);
	close(dev);
}

/* --------------------------------------- 2. TAKE_OWNERSHIP suspends */

struct take_case {
	const char *name;
	uint32_t before;	/* the state the agent and alice put it in */
	uint32_t after;		/* its state after root's TAKE_OWNERSHIP */
	uint32_t event;		/* the agent's one event of it then */
};

static const struct take_case take_cases[] = {
	{ "QUEUED", KBITS_JOB_STATE_QUEUED, KBITS_JOB_STATE_SUSPENDED,
	  KBITS_EVENT_SUSPENDED },
	{ "CONNECTING", KBITS_JOB_STATE_CONNECTING, KBITS_JOB_STATE_SUSPENDED,
	  KBITS_EVENT_SUSPENDED },
	{ "TRANSFERRING", KBITS_JOB_STATE_TRANSFERRING, KBITS_JOB_STATE_SUSPENDED,
	  KBITS_EVENT_SUSPENDED },
	{ "TRANSIENT_ERROR", KBITS_JOB_STATE_TRANSIENT_ERROR,
	  KBITS_JOB_STATE_SUSPENDED, KBITS_EVENT_SUSPENDED },
	{ "SUSPENDED", KBITS_JOB_STATE_SUSPENDED, KBITS_JOB_STATE_SUSPENDED,
	  KBITS_EVENT_MODIFIED },
	{ "ERROR", KBITS_JOB_STATE_ERROR, KBITS_JOB_STATE_ERROR,
	  KBITS_EVENT_MODIFIED },
	{ "TRANSFERRED", KBITS_JOB_STATE_TRANSFERRED, KBITS_JOB_STATE_TRANSFERRED,
	  KBITS_EVENT_MODIFIED },
};

/* alice's job with one file, resumed (QUEUED) unless @suspended; its GUID. */
static void alice_job(bool suspended, uint8_t *id)
{
	guid_bytes *got = shared_alloc(sizeof(*got));
	pid_t pid = th_fork();
	int dev, fd;

	if (pid == 0) {
		become_user(ALICE);
		dev = dev_open();
		fd = make_job(dev, "cred: taken while active", DL, *got);
		ASSERT_SYSOK(add_file(fd, "http://example.test/cred/t",
				      "/tmp/kbits-cred/t"));
		if (!suspended)
			ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		_exit(0);	/* the job stays queued */
	}
	ASSERT_CHILD_OK(pid);
	memcpy(id, *got, KBITS_GUID_SIZE);
	munmap(got, sizeof(*got));
}

/*
 * root takes alice's job over in each state: an active one (QUEUED,
 * CONNECTING, TRANSFERRING, TRANSIENT_ERROR) becomes SUSPENDED, and the
 * agent hears SUSPENDED; SUSPENDED, ERROR and TRANSFERRED stay, and the
 * agent hears MODIFIED.  The agent's reports of a job it had taken then
 * get EBADFD, and it cannot take the job again until the new owner
 * resumes it.
 */
TEST(takeover_suspends_active_job)
{
	int dev = dev_open(), afd = agent_attach(dev), fd, nfd;
	const struct take_case *c;
	struct kbits_event ev[16];
	guid_bytes id;
	unsigned int i;
	int n;

	for (i = 0; i < ARRAY_SIZE(take_cases); i++) {
		c = &take_cases[i];
		TH_LOG("taken while %s", c->name);
		alice_job(c->before == KBITS_JOB_STATE_SUSPENDED, id);
		fd = raw_get(dev, id);
		ASSERT_SYSOK(fd);
		switch (c->before) {
		case KBITS_JOB_STATE_CONNECTING:
			ASSERT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
			break;
		case KBITS_JOB_STATE_TRANSFERRING:
			ASSERT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
			ASSERT_SYSOK(agent_progress(afd, id, 10, 5, 0));
			break;
		case KBITS_JOB_STATE_TRANSIENT_ERROR:
			ASSERT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
			ASSERT_SYSOK(agent_error(afd, id, KBITS_ERROR_TRANSIENT));
			break;
		case KBITS_JOB_STATE_ERROR:
			ASSERT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
			ASSERT_SYSOK(agent_error(afd, id, 0));
			break;
		case KBITS_JOB_STATE_TRANSFERRED:
			ASSERT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
			ASSERT_SYSOK(agent_progress(afd, id, 10, 10,
						    KBITS_FILE_COMPLETED));
			ASSERT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TRANSFERRED, id));
			break;
		}
		ASSERT_EQ(c->before, job_state(fd));
		agent_drain(afd);

		nfd = take(fd);
		close(fd);
		fd = nfd;
		EXPECT_EQ(c->after, job_state(fd));
		EXPECT_EQ(0, job_owner(fd));
		n = agent_events(afd, ev, ARRAY_SIZE(ev));
		EXPECT_EQ(1, n);
		if (n >= 1) {
			EXPECT_MEMEQ(id, ev[0].id, KBITS_GUID_SIZE);
			EXPECT_EQ(c->event, ev[0].kind);
			EXPECT_EQ(c->after, ev[0].state);
		}

		if (c->after == c->before) {
			job_cancel(fd);
			close(fd);
			continue;
		}
		/* the agent's reports of it stop; it cannot take it back */
		EXPECT_ERRNO(EBADFD, agent_progress(afd, id, 10, 6, 0));
		EXPECT_ERRNO(EBADFD, agent_job(afd, KBITS_AGENT_IOC_TRANSFERRED, id));
		EXPECT_ERRNO(EBADFD, agent_error(afd, id, 0));
		EXPECT_ERRNO(EBADFD, agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		/* until the new owner resumes it */
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));
		n = agent_events(afd, ev, ARRAY_SIZE(ev));
		EXPECT_EQ(1, n);
		if (n >= 1)
			EXPECT_EQ(KBITS_EVENT_QUEUED, ev[0].kind);
		EXPECT_SYSOK(agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id));
		EXPECT_EQ(KBITS_JOB_STATE_CONNECTING, job_state(fd));
		job_cancel(fd);
		close(fd);
	}
	close(afd);
	close(dev);
}

/* ------------------------------------------ 3, 4. user namespaces */

/*
 * A container of alice's: she unshares a user namespace that maps its 0
 * to her.  Its root has the jobs made in it (their owner is alice, mapped
 * in, and they are in its namespace), and lists them; not alice's jobs made
 * outside it (a sandbox of hers does not get her host jobs), not bob's.
 * Host alice has the container's job: she made its user namespace.  Host
 * root takes the container's job over: from then on neither the container
 * nor host alice can GET_JOB it, the container's ENUM_JOBS (its own or
 * ALL_USERS) does not list it, and the fds it had are revoked.
 */
TEST(container_root_and_host_owned_job)
{
	struct shared {
		guid_bytes outside, bobs, inside;
	} *sh = shared_alloc(sizeof(*sh));
	int dev = dev_open(), sv[2], av[2], fd, nfd;
	pid_t pid, ct, alice;

	/* alice's job made outside the container, and bob's */
	pid = th_fork();
	if (pid == 0) {
		become_user(ALICE);
		make_job(dev_open(), "cred: alice's, outside", DL, sh->outside);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become_user(BOB);
		make_job(dev_open(), "cred: bob's", DL, sh->bobs);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, av));
	ct = th_fork();
	if (ct == 0) {
		int cdev, made, got;

		enter_userns_as(ALICE);
		cdev = dev_open();
		made = make_job(cdev, "cred: alice's, in her container", DL,
				sh->inside);
		EXPECT_EQ(0, job_owner(made));	/* alice is its 0 */
		got = raw_get(cdev, sh->inside);
		EXPECT_SYSOK(got);
		EXPECT_ERRNO(EACCES, raw_get(cdev, sh->outside));
		EXPECT_ERRNO(EACCES, raw_get(cdev, sh->bobs));
		EXPECT_EQ(1, listed_all(cdev, sh->inside));
		EXPECT_EQ(0, listed_all(cdev, sh->outside));
		EXPECT_EQ(0, listed_all(cdev, sh->bobs));
		EXPECT_EQ(1, listed(cdev, sh->inside));
		EXPECT_EQ(0, listed(cdev, sh->outside));
		post(sv[1]);
		await(sv[1]);			/* host root took "inside" */

		EXPECT_ERRNO(EACCES, raw_get(cdev, sh->inside));
		EXPECT_EQ(0, listed_all(cdev, sh->inside));
		EXPECT_EQ(0, listed(cdev, sh->inside));
		/* both fds it had of it: revoked, to the last ioctl */
		expect_revoked(made, sh->inside);
		expect_revoked(got, sh->inside);
		_exit(0);
	}
	await(sv[0]);

	/* host alice: her container's job is hers, and listed */
	alice = th_fork();
	if (alice == 0) {
		int adev, afd;

		become_user(ALICE);
		adev = dev_open();
		afd = raw_get(adev, sh->inside);
		EXPECT_SYSOK(afd);
		if (afd >= 0)
			EXPECT_EQ(ALICE, job_owner(afd));
		EXPECT_EQ(1, listed(adev, sh->inside));
		post(av[1]);
		await(av[1]);		/* host root took it */
		EXPECT_ERRNO(EACCES, raw_get(adev, sh->inside));
		EXPECT_EQ(0, listed(adev, sh->inside));
		if (afd >= 0)
			expect_revoked(afd, sh->inside);
		_exit(0);
	}
	await(av[0]);

	fd = raw_get(dev, sh->inside);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(ALICE, job_owner(fd));
	nfd = take(fd);
	EXPECT_EQ(0, job_owner(nfd));
	post(sv[0]);
	post(av[0]);
	ASSERT_CHILD_OK(ct);
	ASSERT_CHILD_OK(alice);

	/* what they tried did not reach it */
	EXPECT_EQ(0, files_total(nfd));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(nfd));
	job_cancel(nfd);
	close(nfd);
	close(fd);
	cancel_if_queued(dev, sh->outside);
	cancel_if_queued(dev, sh->bobs);
	close(dev);
}

/*
 * A takeover moves the job to the taker's namespaces: its user namespace
 * (who may have it) and the root directory and network namespace the agent
 * does its I/O in (JOB_NS).  alice's container (its own network namespace,
 * chrooted) makes a job: JOB_NS gives the container's.  Host alice, who
 * made the container, takes it over: it is still alice's, but it is the
 * host's now -- JOB_NS gives the host's namespaces, the container can no
 * longer get or list it, and its fd is revoked.  Host root takes over
 * another of the container's jobs: the host's namespaces again.
 */
TEST(takeover_moves_job_namespaces)
{
	struct shared {
		guid_bytes mine, roots;
		ino_t ct_net;
	} *sh = shared_alloc(sizeof(*sh));
	char dir[] = "/tmp/kbits-cred-root.XXXXXX";
	int dev = dev_open(), afd = agent_attach(dev), sv[2], fd, nfd;
	struct stat st, want, root;
	pid_t alice, ct;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_SYSOK(chmod(dir, 0755));
	ASSERT_SYSOK(stat(dir, &want));
	ASSERT_SYSOK(stat("/", &root));
	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

	ct = th_fork();
	if (ct == 0) {
		int cdev, jfd;

		enter_userns_as(ALICE);
		ASSERT_SYSOK(unshare(CLONE_NEWNET));
		sh->ct_net = netns_ino();
		cdev = dev_open();
		fdinfo_dir = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ASSERT_SYSOK(fdinfo_dir);
		ASSERT_SYSOK(chdir(dir));
		ASSERT_SYSOK(chroot("."));
		jfd = make_job(cdev, "cred: moved out of the container", DL,
			       sh->mine);
		close(make_job(cdev, "cred: the container's, for root", DL,
			       sh->roots));
		EXPECT_EQ(1, listed_all(cdev, sh->mine));
		post(sv[1]);
		await(sv[1]);		/* alice took "mine" out of it */
		expect_revoked(jfd, sh->mine);
		EXPECT_ERRNO(EACCES, raw_get(cdev, sh->mine));
		EXPECT_EQ(0, listed_all(cdev, sh->mine));
		EXPECT_EQ(0, listed(cdev, sh->mine));
		_exit(0);
	}
	await(sv[0]);
	/* made in the container: its namespaces */
	job_ns_stat(afd, sh->mine, KBITS_JOB_NS_NET, &st);
	EXPECT_EQ(sh->ct_net, st.st_ino);
	EXPECT_NE(netns_ino(), st.st_ino);
	job_ns_stat(afd, sh->mine, KBITS_JOB_NS_ROOT, &st);
	EXPECT_EQ(want.st_dev, st.st_dev);
	EXPECT_EQ(want.st_ino, st.st_ino);

	alice = th_fork();
	if (alice == 0) {
		int adev, jfd, mine;

		become_user(ALICE);
		adev = dev_open();
		jfd = raw_get(adev, sh->mine);
		ASSERT_SYSOK(jfd);
		mine = take(jfd);
		EXPECT_EQ(ALICE, job_owner(mine));
		EXPECT_EQ(1, listed(adev, sh->mine));
		_exit(0);
	}
	ASSERT_CHILD_OK(alice);
	post(sv[0]);
	ASSERT_CHILD_OK(ct);

	/* still alice's, in the host's namespaces */
	fd = raw_get(dev, sh->mine);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(ALICE, job_owner(fd));
	job_ns_stat(afd, sh->mine, KBITS_JOB_NS_NET, &st);
	EXPECT_EQ(netns_ino(), st.st_ino);
	job_ns_stat(afd, sh->mine, KBITS_JOB_NS_ROOT, &st);
	EXPECT_EQ(root.st_dev, st.st_dev);
	EXPECT_EQ(root.st_ino, st.st_ino);
	job_cancel(fd);
	close(fd);

	/* the container's other job, until host root takes it */
	job_ns_stat(afd, sh->roots, KBITS_JOB_NS_NET, &st);
	EXPECT_EQ(sh->ct_net, st.st_ino);
	fd = raw_get(dev, sh->roots);
	ASSERT_SYSOK(fd);
	nfd = take(fd);
	job_ns_stat(afd, sh->roots, KBITS_JOB_NS_NET, &st);
	EXPECT_EQ(netns_ino(), st.st_ino);
	job_ns_stat(afd, sh->roots, KBITS_JOB_NS_ROOT, &st);
	EXPECT_EQ(root.st_dev, st.st_dev);
	EXPECT_EQ(root.st_ino, st.st_ino);
	job_cancel(nfd);
	close(nfd);
	close(fd);

	close(afd);
	close(dev);
	rmdir(dir);
}

/* What alice, elsewhere, got of her host job; the job she made there. */
struct elsewhere {
	guid_bytes hers, made_there;
	int get_errno, listed;
};

/*
 * Its owner gets a job where the job is: with the job's root directory and
 * network namespace.  alice in another network namespace, or chrooted --
 * still in the initial user namespace, without capabilities -- does not
 * get the job alice made on the host, nor list it; and host alice does not
 * get the job she made there.  Root gets both.
 */
TEST(owner_elsewhere_does_not_get_the_job)
{
	struct elsewhere *e = shared_alloc(sizeof(*e));
	char dir[] = "/tmp/kbits-cred-else.XXXXXX";
	int dev = dev_open(), i, fd;
	pid_t pid;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_SYSOK(chmod(dir, 0755));
	pid = th_fork();
	if (pid == 0) {
		become_user(ALICE);
		make_job(dev_open(), "cred: alice's, on the host", DL, e->hers);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	for (i = 0; i < 2; i++) {
		TH_LOG("alice %s", i ? "chrooted" : "in another network namespace");
		/* a chroot sees no /dev: it opens /dev/kbits before */
		pid = th_fork();
		if (pid == 0) {
			int d = dev_open(), f;

			if (i) {
				ASSERT_SYSOK(chdir(dir));
				ASSERT_SYSOK(chroot("."));
			} else {
				ASSERT_SYSOK(unshare(CLONE_NEWNET));
			}
			become_user(ALICE);
			f = raw_get(d, e->hers);
			e->get_errno = f < 0 ? errno : 0;
			e->listed = listed(d, e->hers);
			close(make_job(d, "cred: made elsewhere", DL, e->made_there));
			_exit(0);
		}
		ASSERT_CHILD_OK(pid);
		EXPECT_EQ(EACCES, e->get_errno);
		EXPECT_EQ(0, e->listed);

		/* host alice: her host job, but not the one made elsewhere */
		pid = th_fork();
		if (pid == 0) {
			int d, f;

			become_user(ALICE);
			d = dev_open();
			f = raw_get(d, e->hers);
			EXPECT_SYSOK(f);
			close(f);
			EXPECT_ERRNO(EACCES, raw_get(d, e->made_there));
			EXPECT_EQ(0, listed(d, e->made_there));
			EXPECT_EQ(1, listed(d, e->hers));
			_exit(0);
		}
		ASSERT_CHILD_OK(pid);
		fd = raw_get(dev, e->made_there);
		ASSERT_SYSOK(fd);
		EXPECT_EQ(ALICE, job_owner(fd));
		job_cancel(fd);
		close(fd);
	}
	cancel_if_queued(dev, e->hers);
	close(dev);
	rmdir(dir);
}

/*
 * A container whose root maps a range, as a container manager makes it:
 * @creator (alice; or root, 0, for a rootful container) unshares the user
 * namespace, so owns it, and root, its parent, maps "0 NS_BASE 1000".
 * @fn runs in it as its root (host uid NS_BASE), and may fork children
 * that become other uids of it.
 */
static void in_container(uid_t creator, void (*fn)(void))
{
	int sv[2];
	char path[64];
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		if (creator)
			become_user(creator);
		ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
		ASSERT_SYSOK(unshare(CLONE_NEWUSER));
		post(sv[1]);
		await(sv[1]);		/* mapped */
		/* the creator is not mapped in it: become its 0, NS_BASE */
		ASSERT_SYSOK(setresgid(0, 0, 0));
		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresuid(0, 0, 0));
		ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
		ASSERT_EQ(0, geteuid());
		ASSERT_TRUE(has_cap_sys_admin());
		fn();
		_exit(0);
	}
	await(sv[0]);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	write_file(path, "0 %u %u", NS_BASE, NS_RANGE);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	write_file(path, "0 %u %u", NS_BASE, NS_RANGE);
	post(sv[0]);
	ASSERT_CHILD_OK(pid);
	close(sv[0]);
	close(sv[1]);
}

/* In a container: becomes its uid @uid (and gid), without capabilities. */
static void become_in_container(uid_t uid)
{
	ASSERT_SYSOK(setgroups(0, NULL));
	ASSERT_SYSOK(setresgid(uid, uid, uid));
	ASSERT_SYSOK(setresuid(uid, uid, uid));
	ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	ASSERT_FALSE(has_cap_sys_admin());
}

/* What the container's processes report to the test. */
static struct ct_shared {
	guid_bytes ids[8];
	int created, refused_errno[4];
	guid_bytes taken;
} *cts;

/* Container uid 5 makes jobs until refused; they stay queued. */
static void ct_uid5_fills(void)
{
	pid_t pid = th_fork();
	int dev, fd, i;

	if (pid == 0) {
		become_in_container(5);
		dev = dev_open();
		for (i = 0; i < (int)ARRAY_SIZE(cts->ids); i++) {
			fd = try_create(dev, "cred: container uid 5", cts->ids[i]);
			if (fd < 0)
				break;
			EXPECT_EQ(5, job_owner(fd));
			cts->created++;
		}
		cts->refused_errno[0] = errno;
		_exit(0);	/* the jobs stay queued, counted */
	}
	ASSERT_CHILD_OK(pid);
}

/* Container uid 6, and the container's root, try one job each. */
static void ct_others_try(void)
{
	pid_t pid = th_fork();
	int dev, fd;

	if (pid == 0) {
		become_in_container(6);
		dev = dev_open();
		fd = try_create(dev, "cred: container uid 6", NULL);
		cts->refused_errno[1] = fd < 0 ? errno : 0;
		if (fd >= 0)
			job_cancel(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	dev = dev_open();
	fd = try_create(dev, "cred: container root", NULL);
	cts->refused_errno[2] = fd < 0 ? errno : 0;
	if (fd >= 0)
		job_cancel(fd);
}

static void container_fills_and_tries(void)
{
	ct_uid5_fills();
	ct_others_try();
}

/* alice, outside any container, tries one job: 0 or its errno. */
static int alice_tries(void)
{
	int *err = shared_alloc(sizeof(*err)), ret;
	pid_t pid = th_fork();
	int fd;

	if (pid == 0) {
		become_user(ALICE);
		fd = try_create(dev_open(), "cred: alice tries", NULL);
		*err = fd < 0 ? errno : 0;
		if (fd >= 0)
			job_cancel(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	ret = *err;
	munmap(err, sizeof(*err));
	return ret;
}

/* Root cancels the jobs the container made; they are host uid NS_BASE + 5's. */
static void cancel_ct_jobs(int dev)
{
	int fd, i;

	for (i = 0; i < cts->created; i++) {
		fd = raw_get(dev, cts->ids[i]);
		ASSERT_SYSOK(fd);
		EXPECT_EQ(NS_BASE + 5, job_owner(fd));
		job_cancel(fd);
		close(fd);
	}
}

/*
 * The limits are charged up the user-namespace hierarchy: a job of
 * container uid 5 (host NS_BASE + 5) of a container alice made counts
 * against NS_BASE + 5 and against alice.  With max_jobs_per_user 3, uid 5
 * makes 3; uid 6 and the container's root are refused at once (alice has
 * 3), and so is alice outside.  Once the jobs are freed alice may create
 * again.  And max_jobs counts each job once, not once per user charged.
 */
TEST(limits_are_hierarchical)
{
	int dev = dev_open(), i;

	cts = shared_alloc(sizeof(*cts));
	param_set("max_jobs_per_user", 3);
	EXPECT_EQ(0, alice_tries());

	in_container(ALICE, container_fills_and_tries);
	EXPECT_EQ(3, cts->created);
	EXPECT_EQ(EDQUOT, cts->refused_errno[0]);
	EXPECT_EQ(EDQUOT, cts->refused_errno[1]);	/* uid 6 */
	EXPECT_EQ(EDQUOT, cts->refused_errno[2]);	/* its root */
	EXPECT_EQ(EDQUOT, alice_tries());
	cancel_ct_jobs(dev);
	/* freed: alice's share is back */
	EXPECT_EQ(0, alice_tries());

	/* max_jobs: 3 jobs of uid 5 are 3 of the machine's, not 6 */
	memset(cts, 0, sizeof(*cts));
	param_set("max_jobs_per_user", 10);
	param_set("max_jobs", 3);
	in_container(ALICE, ct_uid5_fills);
	EXPECT_EQ(3, cts->created);
	EXPECT_EQ(ENOSPC, cts->refused_errno[0]);
	for (i = 0; i < cts->created; i++)
		cancel_if_queued(dev, cts->ids[i]);
	EXPECT_EQ(0, alice_tries());
	close(dev);
}

/*
 * A container root itself made (rootful: its user namespace's owner is
 * the initial namespace's root, who is not counted) counts as one user:
 * its uids share one max_jobs_per_user, so 1000 mapped uids do not get
 * 1000 shares.  With max_jobs_per_user 3, uid 5 makes 3, and uid 6 and the
 * container's root are refused; alice, outside, is not concerned.
 */
TEST(rootful_container_shares_one_limit)
{
	int dev = dev_open();

	cts = shared_alloc(sizeof(*cts));
	param_set("max_jobs_per_user", 3);
	in_container(0, container_fills_and_tries);
	EXPECT_EQ(3, cts->created);
	EXPECT_EQ(EDQUOT, cts->refused_errno[0]);
	EXPECT_EQ(EDQUOT, cts->refused_errno[1]);	/* uid 6 */
	EXPECT_EQ(EDQUOT, cts->refused_errno[2]);	/* its root */
	EXPECT_EQ(0, alice_tries());
	cancel_ct_jobs(dev);

	/* freed: uid 6 may now */
	memset(cts, 0, sizeof(*cts));
	in_container(0, ct_others_try);
	EXPECT_EQ(0, cts->refused_errno[1]);
	EXPECT_EQ(0, cts->refused_errno[2]);
	close(dev);
}

/*
 * A container's root has the jobs of its uids, and a takeover by it moves
 * the job and its count: container uid 5's job, taken by the container's
 * root, is owned by host NS_BASE (which GET_OWNER there reads as 0), uid
 * 5's fd is revoked, and uid 5, without capabilities, cannot get it back.
 * bob's job, made outside, it cannot get at all.
 */
static void ct_root_takes_uid5s(void)
{
	int sv[2], dev, fd, nfd, own;
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become_in_container(5);
		udev = dev_open();
		ufd = make_job(udev, "cred: uid 5's", DL, cts->ids[0]);
		post(sv[1]);
		await(sv[1]);		/* its root took it */
		expect_revoked(ufd, cts->ids[0]);
		EXPECT_ERRNO(EACCES, raw_get(udev, cts->ids[0]));
		EXPECT_EQ(0, listed(udev, cts->ids[0]));
		_exit(0);
	}
	await(sv[0]);
	dev = dev_open();
	fd = raw_get(dev, cts->ids[0]);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(5, job_owner(fd));
	nfd = take(fd);
	EXPECT_EQ(0, job_owner(nfd));
	EXPECT_EQ(1, listed(dev, cts->ids[0]));
	post(sv[0]);
	ASSERT_CHILD_OK(pid);
	EXPECT_ERRNO(EACCES, raw_get(dev, cts->taken));	/* bob's */
	own = raw_get(dev, cts->ids[0]);
	EXPECT_SYSOK(own);
	close(own);
	close(nfd);
	close(fd);
}

TEST(container_root_takes_its_uids_job)
{
	int dev = dev_open(), fd;
	pid_t pid;

	cts = shared_alloc(sizeof(*cts));
	pid = th_fork();
	if (pid == 0) {
		become_user(BOB);
		make_job(dev_open(), "cred: bob's", DL, cts->taken);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	in_container(ALICE, ct_root_takes_uid5s);
	fd = raw_get(dev, cts->ids[0]);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(NS_BASE, job_owner(fd));
	job_cancel(fd);
	close(fd);
	cancel_if_queued(dev, cts->taken);
	close(dev);
}

/* ------------------------------------------------- 3. pinned memory */

/* The kernel memory a job pins shows in these (kB). */
static long meminfo_kb(void)
{
	char line[256];
	long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &v) == 1 ||
		    sscanf(line, "VmallocUsed: %ld kB", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

/* Lets the RCU-deferred frees happen before a reading. */
static long meminfo_settled(void)
{
	usleep(300000);
	return meminfo_kb();
}

/* What makes a job as big as a user can make it. */
static struct full_job {
	uint32_t nr_files;
	struct kbits_file_spec *specs;
	char *remote, *local;		/* one of each, the longest */
	char headers[KBITS_HTTP_HEADERS_MAX + 1];
	char list[KBITS_PROXY_LIST_MAX + 1], bypass[KBITS_PROXY_LIST_MAX + 1];
	size_t payload;			/* the bytes of it all */
} *full;

static void full_job_init(void)
{
	uint32_t i;

	full = calloc(1, sizeof(*full));
	ASSERT_TRUE(full != NULL);
	full->nr_files = param_get("max_files_per_job");
	full->remote = malloc(KBITS_REMOTE_NAME_MAX);
	full->local = malloc(KBITS_LOCAL_NAME_MAX);
	full->specs = calloc(full->nr_files, sizeof(*full->specs));
	ASSERT_TRUE(full->remote && full->local && full->specs);
	memset(full->remote, 'r', KBITS_REMOTE_NAME_MAX);
	memcpy(full->remote, "http://", 7);
	memset(full->local, 'l', KBITS_LOCAL_NAME_MAX);
	full->local[0] = '/';
	for (i = 0; i < full->nr_files; i++) {
		full->specs[i].remote = (uintptr_t)full->remote;
		full->specs[i].remote_len = KBITS_REMOTE_NAME_MAX;
		full->specs[i].local = (uintptr_t)full->local;
		full->specs[i].local_len = KBITS_LOCAL_NAME_MAX;
	}
	memset(full->headers, 'h', KBITS_HTTP_HEADERS_MAX);
	memcpy(full->headers, "X-Pad: ", 7);
	memset(full->list, 'p', KBITS_PROXY_LIST_MAX);
	memset(full->bypass, 'b', KBITS_PROXY_LIST_MAX);
	full->payload = (size_t)full->nr_files *
			(KBITS_REMOTE_NAME_MAX + KBITS_LOCAL_NAME_MAX) +
			KBITS_HTTP_HEADERS_MAX + 2 * KBITS_PROXY_LIST_MAX;
}

/* Fills job @fd to the brim, then cancels it (the caller keeps the fd). */
static void fill_and_cancel(int fd)
{
	struct kbits_add_files add;

	memset(&add, 0, sizeof(add));
	add.size = sizeof(add);
	add.count = full->nr_files;
	add.entry_size = sizeof(*full->specs);
	add.files = (uintptr_t)full->specs;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &add));
	ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, full->headers));
	ASSERT_SYSOK(raw_set_proxy(fd, KBITS_PROXY_OVERRIDE, full->list,
				   full->bypass));
	job_cancel(fd);
}

#define PIN_LIMIT	5
#define PIN_TRIES	1000
#define PIN_SLACK	2	/* jobs' worth of noise allowed */

/*
 * alice fills jobs to the brim (max_files_per_job files with the longest
 * names, 8 KB of headers, both proxy lists), cancels each and keeps its
 * fd.  With max_jobs_per_user 5 the 6th CREATE is EDQUOT; closing one fd
 * makes room again.  Then the bound, measured: the unreclaimable slab and
 * vmalloc memory one full job costs, and what 1000 tries of
 * create-fill-cancel-keep pin (refused from the 6th on): at most
 * (5 + 2) full jobs' worth.
 */
TEST_TIMEOUT(pinned_memory_is_bounded, 120)
{
	struct shared {
		long per_job, growth;
		int made, refused;
	} *sh = shared_alloc(sizeof(*sh));
	pid_t pid;

	param_set("max_jobs_per_user", PIN_LIMIT);
	full_job_init();
	pid = th_fork();
	if (pid == 0) {
		static int fds[PIN_TRIES];
		int dev, fd, i, n = 0;
		long m0, m1;

		become_user(ALICE);
		dev = dev_open();
		/* one full job's cost, from PIN_LIMIT of them */
		m0 = meminfo_settled();
		for (i = 0; i < PIN_LIMIT; i++) {
			fds[i] = try_create(dev, "cred: full", NULL);
			ASSERT_SYSOK(fds[i]);
			fill_and_cancel(fds[i]);
		}
		EXPECT_ERRNO(EDQUOT, try_create(dev, "cred: one more", NULL));
		m1 = meminfo_settled();
		sh->per_job = (m1 - m0) / PIN_LIMIT;
		/* a closed fd frees its job, and the room */
		close(fds[0]);
		fds[0] = try_create(dev, "cred: room again", NULL);
		EXPECT_SYSOK(fds[0]);
		if (fds[0] >= 0)
			job_cancel(fds[0]);
		for (i = 0; i < PIN_LIMIT; i++)
			if (fds[i] >= 0)
				close(fds[i]);

		/* the attack: 1000 tries, every fd kept */
		m0 = meminfo_settled();
		for (i = 0; i < PIN_TRIES; i++) {
			/*
			 * A module without the bound would pin all the VM's
			 * memory: stop well past it, which fails anyway.
			 */
			if (n == 4 * PIN_LIMIT)
				break;
			fd = try_create(dev, "cred: pin", NULL);
			if (fd < 0) {
				EXPECT_EQ(EDQUOT, errno);
				sh->refused++;
				continue;
			}
			fill_and_cancel(fd);
			fds[n++] = fd;
		}
		m1 = meminfo_settled();
		sh->made = n;
		sh->growth = m1 - m0;
		for (i = 0; i < n; i++)
			close(fds[i]);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	TH_LOG("one full job (%u files, %zu bytes of strings) costs %ld kB of slab+vmalloc",
	       full->nr_files, full->payload, sh->per_job);
	TH_LOG("%d tries of create-fill-cancel-keep: %d made, %d refused (EDQUOT), %ld kB pinned; bound (%d + %d) x %ld = %ld kB",
	       PIN_TRIES, sh->made, sh->refused, sh->growth, PIN_LIMIT,
	       PIN_SLACK, sh->per_job, (PIN_LIMIT + PIN_SLACK) * sh->per_job);
	/* the measurement sees at least the strings the job holds */
	EXPECT_GE(sh->per_job * 1024, (long)full->payload);
	EXPECT_EQ(PIN_LIMIT, sh->made);
	EXPECT_EQ(PIN_TRIES - PIN_LIMIT, sh->refused);
	EXPECT_LE(sh->growth, (PIN_LIMIT + PIN_SLACK) * sh->per_job);
}

/* ------------------------------------------------- 4. waiting readers */

static void on_usr1(int sig)
{
	(void)sig;
}

/*
 * Two threads read() one job fd that has no events: both wait, and
 * interruptibly (S, never D: no f_pos_lock held across the first one's
 * wait); a signal (no SA_RESTART) ends each one's read() with EINTR.
 */
TEST(two_readers_wait_interruptibly)
{
	struct reader r[2];
	struct sigaction sa;
	int dev = dev_open(), fd, i;
	pthread_t th[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART */
	ASSERT_SYSOK(sigaction(SIGUSR1, &sa, NULL));
	fd = make_job(dev, "cred: two readers", DL, NULL);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i].fd = fd;
		r[i].ret = 1234;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader_fn, &r[i]));
	}
	for (i = 0; i < 2; i++) {
		while (!r[i].tid)
			usleep(1000);
		EXPECT_EQ('S', wait_sleeping(r[i].tid));
	}
	/* still both: the second is not stuck behind the first */
	usleep(200000);
	for (i = 0; i < 2; i++)
		EXPECT_EQ('S', task_state(getpid(), r[i].tid));

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_kill(th[i], SIGUSR1));
		join_soon(th[i], "a reader sent a signal");
		EXPECT_EQ(-1, r[i].ret);
		EXPECT_EQ(EINTR, r[i].err);
		if (i == 0)
			EXPECT_EQ('S', task_state(getpid(), r[1].tid));
	}
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* A process whose two threads wait in read() on one job fd dies at SIGKILL. */
TEST(two_readers_are_killable)
{
	int dev = dev_open(), fd, sv[2], st;
	double t0, dt;
	pid_t pid;

	fd = make_job(dev, "cred: killed readers", DL, NULL);
	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		struct reader r[2];
		pthread_t th[2];
		int i;

		memset(r, 0, sizeof(r));
		for (i = 0; i < 2; i++) {
			r[i].fd = fd;
			ASSERT_EQ(0, pthread_create(&th[i], NULL, reader_fn, &r[i]));
		}
		for (i = 0; i < 2; i++) {
			while (!r[i].tid)
				usleep(1000);
			EXPECT_EQ('S', wait_sleeping(r[i].tid));
		}
		post(sv[1]);
		pause();
		_exit(1);
	}
	await(sv[0]);
	t0 = now();
	ASSERT_SYSOK(kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	dt = now() - t0;
	TH_LOG("reaped %.3f s after SIGKILL", dt);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	EXPECT_LT(dt, 1.0);
	job_cancel(fd);
	close(fd);
	close(dev);
}

#define SPLIT_EVENTS 12		/* fewer than the job's ring holds (16) */

static void *event_reader_fn(void *arg)
{
	struct reader *r = arg;
	struct kbits_event ev;
	ssize_t n;

	r->tid = gettid();
	for (;;) {
		n = read(r->fd, &ev, sizeof(ev));
		if (n <= 0) {
			r->ret = n;
			r->err = errno;
			return NULL;
		}
		if (r->n < ARRAY_SIZE(r->seqs))
			r->seqs[r->n] = ev.seq;
		__atomic_add_fetch(&r->n, 1, __ATOMIC_SEQ_CST);
	}
}

/*
 * Two threads read one job fd, one event at a time: each event goes to one
 * of them, never to both, and none is lost; at the job's end both read EOF.
 */
TEST(two_readers_share_the_events)
{
	int dev = dev_open(), fd, i, j, k;
	struct kbits_event ev[16];
	struct reader r[2];
	pthread_t th[2];
	uint64_t first;
	unsigned int total;
	double t0;

	fd = make_job(dev, "cred: events shared", DL, NULL);
	ASSERT_SYSOK(set_notify(fd, KBITS_NOTIFY_JOB_MODIFICATION));
	/* the SET_ATTR's own MODIFIED: read it here */
	ASSERT_SYSOK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ((ssize_t)sizeof(ev[0]), read(fd, ev, sizeof(ev)));
	first = ev[0].seq + 1;
	ASSERT_SYSOK(fcntl(fd, F_SETFL, 0));

	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i].fd = fd;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, event_reader_fn, &r[i]));
	}
	for (i = 0; i < 2; i++) {
		while (!r[i].tid)
			usleep(1000);
		EXPECT_EQ('S', wait_sleeping(r[i].tid));
	}
	for (i = 0; i < SPLIT_EVENTS; i++) {
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_DESCRIPTION,
				     i & 1 ? "odd" : "even"));
		usleep(20000);
	}
	t0 = now();
	while (__atomic_load_n(&r[0].n, __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&r[1].n, __ATOMIC_SEQ_CST) < SPLIT_EVENTS &&
	       now() - t0 < 10)
		usleep(10000);
	job_cancel(fd);		/* one more event (CANCELLED), then EOF */
	for (i = 0; i < 2; i++) {
		join_soon(th[i], "a reader at the job's end");
		EXPECT_EQ(0, r[i].ret);
	}
	total = r[0].n + r[1].n;
	TH_LOG("%u events: %u to one reader, %u to the other", total,
	       r[0].n, r[1].n);
	EXPECT_EQ(SPLIT_EVENTS + 1, total);
	/* each seq from first to first + SPLIT_EVENTS, exactly once */
	for (k = 0; k <= SPLIT_EVENTS; k++) {
		unsigned int seen = 0;

		for (i = 0; i < 2; i++)
			for (j = 0; j < (int)r[i].n && j < (int)ARRAY_SIZE(r[i].seqs); j++)
				seen += r[i].seqs[j] == first + k;
		if (seen != 1)
			TH_LOG("event %llu read %u times",
			       (unsigned long long)(first + k), seen);
		EXPECT_EQ(1, seen);
	}
	close(fd);
	close(dev);
}

/*
 * TAKE_OWNERSHIP when the taker's fd table is full (RLIMIT_NOFILE, in a
 * child, so that the test's own limit stays): EMFILE, and nothing of the
 * takeover happened -- alice's QUEUED job stays QUEUED and hers, the fd it
 * went through is not revoked, no fd is left behind; with room the same fd
 * takes it.
 */
TEST(takeover_emfile_takes_nothing)
{
	int dev = dev_open(), fd, nfd, lf;
	guid_bytes id;
	pid_t pid;

	alice_job(false, id);
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	ASSERT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));
	lf = lowest_free_fd();
	pid = th_fork();
	if (pid == 0) {
		struct rlimit rl;

		ASSERT_SYSOK(getrlimit(RLIMIT_NOFILE, &rl));
		rl.rlim_cur = lf;
		ASSERT_SYSOK(setrlimit(RLIMIT_NOFILE, &rl));
		ASSERT_ERRNO(EMFILE, open("/dev/null", O_RDONLY | O_CLOEXEC));
		EXPECT_ERRNO(EMFILE, ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(lf, lowest_free_fd());
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));
	EXPECT_EQ(ALICE, job_owner(fd));

	nfd = take(fd);
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(nfd));
	EXPECT_EQ(0, job_owner(nfd));
	job_cancel(nfd);
	close(nfd);
	close(fd);
	close(dev);
}

/* No job a test made is left in the queue. */
NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	int ret;

	if (job_log_map()) {
		perror("mmap");
		return 1;
	}
	orig_max_jobs = param_get("max_jobs");
	orig_max_jobs_per_user = param_get("max_jobs_per_user");
	th_after_each = restore_params;
	ret = test_harness_run(argc, argv);
	restore_params();
	return ret;
}
