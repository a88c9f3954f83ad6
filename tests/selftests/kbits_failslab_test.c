// SPDX-License-Identifier: GPL-2.0
/*
 * kbits under allocation failure, at every failure point of CREATE_JOB,
 * GET_JOB, AGENT_ATTACH, ENUM_JOBS, ADD_FILES, IMPORT_JOB, the proxy and
 * header ioctls, a job's event ring, TAKE_OWNERSHIP and the agent's JOB_NS:
 * for N = 1, 2, ...
 * the N-th slab allocation of one ioctl fails (failslab, aimed by
 * /proc/thread-self/fail-nth), until an N is reached that the ioctl never
 * gets to.  Each injected failure must give ENOMEM and leave nothing behind:
 * no job, no fd, no charge against the user's limit, no change to the jobs
 * that were there; the debug lane's kmemleak scan and dmesg check see the
 * rest.
 *
 * Needs a kernel with CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS:
 * the debug lane (`make check-debug`) runs it; the stock kernel has neither.
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh --failslab).
 * Uids 2100-2199 are this program's (kbits_helpers.h's kbits_uid_ranges[]);
 * the last test checks that no job of theirs is left in the queue, and no
 * agent attached.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
/* More failure points than any kbits ioctl has: the loop must end. */
#define MAX_POINTS	500
#define USER		2100	/* a uid of this test's own */
#define TAKEN_USER	2101	/* whose jobs are taken over, or looked into */

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		th_fail_fatal(__FILE__, __LINE__, "open %s: %s", path, th_errname(errno));
	ASSERT_EQ((ssize_t)strlen(s), write(fd, s, strlen(s)));
	close(fd);
}

/*
 * failslab fails only what fail-nth aims at (its probability stays 0),
 * also sleeping allocations (GFP_KERNEL), and quietly: a stack dump per
 * failure would read as a problem report in dmesg.
 */
static void failslab_setup(void)
{
	write_str(FAILSLAB "ignore-gfp-wait", "N");
	write_str(FAILSLAB "verbose", "0");
}

static int fail_nth_fd = -1;

/* The N-th fault-injection point this thread passes from now on fails. */
static void fail_nth(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (fail_nth_fd < 0) {
		fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		ASSERT_SYSOK(fail_nth_fd);
	}
	ASSERT_EQ(len, pwrite(fail_nth_fd, buf, len, 0));
}

/* Did the aimed failure happen?  (fail-nth counts down to 0 when it does.) */
static bool fail_nth_hit(void)
{
	char buf[16] = "";

	ASSERT_GT(pread(fail_nth_fd, buf, sizeof(buf) - 1, 0), 0);
	if (atoi(buf) == 0)
		return true;
	fail_nth(0);	/* not reached: disarm */
	return false;
}

static int create(int dev, uint8_t *id)
{
	static const char name[] = "made under failslab";
	struct kbits_create_job c;
	int fd;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.name = (uintptr_t)name;
	c.name_len = sizeof(name) - 1;
	fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
	if (fd >= 0 && id)
		memcpy(id, c.id, KBITS_GUID_SIZE);
	return fd;
}

static int get(int dev, const uint8_t *id)
{
	struct kbits_get_job g;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	memcpy(g.id, id, KBITS_GUID_SIZE);
	return ioctl(dev, KBITS_IOC_GET_JOB, &g);
}

/* One ENUM_JOBS call of up to 4 GUIDs (small: its buffers come from slab). */
static int enum_some(int dev, struct kbits_enum_jobs *e, struct kbits_job_id *ids)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->ids = (uintptr_t)ids;
	e->count = 4;
	return ioctl(dev, KBITS_IOC_ENUM_JOBS, e);
}

/*
 * CREATE_JOB by a user whose jobs count against the limits (its first job
 * also makes its per-user counter): each failure point gives ENOMEM, and
 * leaves no job, no fd and no charge.
 */
TEST(create_every_failure_point)
{
	pid_t pid;

	failslab_setup();
	param_set("max_jobs_per_user", 1);
	pid = th_fork();
	if (pid == 0) {
		int dev, before, fd, err, n, hits = 0;

		become(USER);
		/* else /proc/thread-self/ is root's and fail-nth cannot be opened */
		ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
		dev = dev_open();
		fail_nth(0);	/* opens fail-nth: that fd is not a leak */
		before = lowest_free_fd();
		for (n = 1; n <= MAX_POINTS; n++) {
			fail_nth(n);
			fd = create(dev, NULL);
			err = errno;
			if (!fail_nth_hit()) {
				/* past the last failure point: it worked */
				ASSERT_SYSOK(fd);
				break;
			}
			hits++;
			if (fd >= 0) {
				/* recovered from the failure: the job is whole */
				TH_LOG("failure point %d: CREATE_JOB succeeded anyway", n);
				ASSERT_EQ(1, enum_walk(dev, 0, NULL, NULL));
				ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
				close(fd);
				continue;
			}
			if (err != ENOMEM)
				TH_LOG("failure point %d: errno %s", n, th_errname(err));
			ASSERT_EQ(ENOMEM, err);
			EXPECT_EQ(before, lowest_free_fd());
			ASSERT_EQ(0, enum_walk(dev, 0, NULL, NULL));
		}
		TH_LOG("CREATE_JOB: %d failure points", hits);
		ASSERT_GT(hits, 0);
		ASSERT_LE(n, MAX_POINTS);

		/* No failed attempt kept a charge: this one job is the limit. */
		EXPECT_ERRNO(EDQUOT, create(dev, NULL));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
		close(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	param_set("max_jobs_per_user", 60);
}

/* GET_JOB: ENOMEM, no fd, and the job is as it was. */
TEST(get_every_failure_point)
{
	int dev = dev_open(), job, fd, err, before, n, hits = 0;
	uint8_t id[KBITS_GUID_SIZE];
	uint32_t state;

	failslab_setup();
	job = create(dev, id);
	ASSERT_SYSOK(job);
	fail_nth(0);	/* opens fail-nth: that fd is not a leak */
	before = lowest_free_fd();
	for (n = 1; n <= MAX_POINTS; n++) {
		fail_nth(n);
		fd = get(dev, id);
		err = errno;
		if (!fail_nth_hit()) {
			ASSERT_SYSOK(fd);
			close(fd);
			break;
		}
		hits++;
		if (fd >= 0) {
			TH_LOG("failure point %d: GET_JOB succeeded anyway", n);
			close(fd);
			continue;
		}
		if (err != ENOMEM)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_EQ(ENOMEM, err);
		EXPECT_EQ(before, lowest_free_fd());
	}
	TH_LOG("GET_JOB: %d failure points", hits);
	ASSERT_GT(hits, 0);
	ASSERT_LE(n, MAX_POINTS);
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_GET_STATE, &state));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, state);
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
	close(job);
	close(dev);
}

/*
 * AGENT_ATTACH: ENOMEM, no fd, and no agent left attached (the next
 * ATTACH succeeds).
 */
TEST(attach_every_failure_point)
{
	int dev = dev_open(), agent, err, before, n, hits = 0;

	failslab_setup();
	fail_nth(0);	/* opens fail-nth: that fd is not a leak */
	before = lowest_free_fd();
	for (n = 1; n <= MAX_POINTS; n++) {
		fail_nth(n);
		agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
		err = errno;
		if (!fail_nth_hit()) {
			ASSERT_SYSOK(agent);
			close(agent);
			break;
		}
		hits++;
		if (agent >= 0) {
			TH_LOG("failure point %d: AGENT_ATTACH succeeded anyway", n);
			close(agent);
			continue;
		}
		if (err != ENOMEM)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_EQ(ENOMEM, err);
		EXPECT_EQ(before, lowest_free_fd());
	}
	TH_LOG("AGENT_ATTACH: %d failure points", hits);
	ASSERT_GT(hits, 0);
	ASSERT_LE(n, MAX_POINTS);
	close(dev);
}

/* ENUM_JOBS: ENOMEM, and the caller's struct is not written. */
TEST(enum_every_failure_point)
{
	struct kbits_job_id ids[4];
	struct kbits_enum_jobs e;
	int dev = dev_open(), job, r, err, n, hits = 0;

	failslab_setup();
	job = create(dev, NULL);
	ASSERT_SYSOK(job);
	for (n = 1; n <= MAX_POINTS; n++) {
		fail_nth(n);
		r = enum_some(dev, &e, ids);
		err = errno;
		if (!fail_nth_hit()) {
			ASSERT_SYSOK(r);
			break;
		}
		hits++;
		if (r == 0)
			continue;
		if (err != ENOMEM)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_EQ(ENOMEM, err);
		EXPECT_EQ(0, e.cursor);
		EXPECT_EQ(4, e.count);
	}
	TH_LOG("ENUM_JOBS: %d failure points", hits);
	ASSERT_GT(hits, 0);
	ASSERT_LE(n, MAX_POINTS);
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
	close(job);
	close(dev);
}

static uint32_t files_total(int job)
{
	struct kbits_job_progress p;

	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_GET_PROGRESS, &p));
	return p.files_total;
}

/* ADD_FILES of a set: ENOMEM adds none of it. */
TEST(add_files_every_failure_point)
{
	static const char *names[][2] = {
		{ "https://example.org/one", "/tmp/one" },
		{ "file:///etc/hostname", "/tmp/two" },
	};
	struct kbits_file_spec specs[2];
	struct kbits_add_files a;
	int dev = dev_open(), job, r, err, n, hits = 0, i;

	failslab_setup();
	job = create(dev, NULL);
	ASSERT_SYSOK(job);
	memset(specs, 0, sizeof(specs));	/* the fields of later versions too */
	for (i = 0; i < 2; i++) {
		specs[i].remote = (uintptr_t)names[i][0];
		specs[i].remote_len = strlen(names[i][0]);
		specs[i].local = (uintptr_t)names[i][1];
		specs[i].local_len = strlen(names[i][1]);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.count = 2;
	a.entry_size = sizeof(specs[0]);
	a.files = (uintptr_t)specs;
	for (n = 1; n <= MAX_POINTS; n++) {
		fail_nth(n);
		r = ioctl(job, KBITS_JOB_IOC_ADD_FILES, &a);
		err = errno;
		if (!fail_nth_hit()) {
			ASSERT_SYSOK(r);
			break;
		}
		hits++;
		if (r == 0) {
			/* recovered: both files are there; start again */
			ASSERT_EQ(2, files_total(job));
			ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
			close(job);
			job = create(dev, NULL);
			ASSERT_SYSOK(job);
			continue;
		}
		if (err != ENOMEM)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_EQ(ENOMEM, err);
		ASSERT_EQ(0, files_total(job));
	}
	TH_LOG("ADD_FILES: %d failure points", hits);
	ASSERT_GT(hits, 0);
	ASSERT_LE(n, MAX_POINTS);
	EXPECT_EQ(2, files_total(job));
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
	close(job);
	close(dev);
}

static int set_headers(int job, const char *h)
{
	struct kbits_job_string js = {
		.size = sizeof(js), .len = strlen(h), .buf = (uintptr_t)h,
	};

	return ioctl(job, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js);
}

static int get_headers(int job, char *buf, uint32_t room)
{
	struct kbits_job_string js = {
		.size = sizeof(js), .len = room, .buf = (uintptr_t)buf,
	};

	return ioctl(job, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js);
}

/* IMPORT_JOB of a record with two files: ENOMEM leaves no job. */
TEST(import_every_failure_point)
{
	static uint8_t rec[65536];
	struct kbits_agent_record r;
	uint8_t id[KBITS_GUID_SIZE];
	int dev = dev_open(), job, agent, err, n, hits = 0, fd;
	struct kbits_file_spec specs[2] = {
		{ .remote = (uintptr_t)"https://example.org/one", .remote_len = 23,
		  .local = (uintptr_t)"/tmp/one", .local_len = 8 },
		{ .remote = (uintptr_t)"file:///etc/hostname", .remote_len = 20,
		  .local = (uintptr_t)"/tmp/two", .local_len = 8 },
	};
	struct kbits_add_files a = {
		.size = sizeof(a), .count = 2, .entry_size = sizeof(specs[0]),
		.files = (uintptr_t)specs,
	};

	failslab_setup();
	job = create(dev, id);
	ASSERT_SYSOK(job);
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_ADD_FILES, &a));
	/* every string a record can hold, so that each one's copy fails once */
	ASSERT_SYSOK(raw_set_proxy(job, KBITS_PROXY_OVERRIDE, "http://proxy:3128",
				   "localhost"));
	ASSERT_SYSOK(set_headers(job, "X-Failslab: 1"));
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	memcpy(r.id, id, sizeof(r.id));
	r.buf = (uintptr_t)rec;
	r.buf_len = sizeof(rec);
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_EXPORT_JOB, &r));
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
	close(job);

	for (n = 1; n <= MAX_POINTS; n++) {
		fail_nth(n);
		err = ioctl(agent, KBITS_AGENT_IOC_IMPORT_JOB, &r) ? errno : 0;
		if (!fail_nth_hit()) {
			ASSERT_EQ(0, err);
			break;
		}
		hits++;
		fd = get(dev, id);
		if (!err) {
			/* recovered: the job is whole; start again */
			ASSERT_SYSOK(fd);
			ASSERT_EQ(2, files_total(fd));
			ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
			close(fd);
			continue;
		}
		if (err != ENOMEM)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_EQ(ENOMEM, err);
		ASSERT_EQ(-1, fd);	/* no half-made job */
	}
	TH_LOG("IMPORT_JOB: %d failure points", hits);
	ASSERT_GT(hits, 0);
	ASSERT_LE(n, MAX_POINTS);
	fd = get(dev, id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2, files_total(fd));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(agent);
	close(dev);
}

/*
 * SET_PROXY, SET_HTTP_HEADERS, GET_PROXY, GET_HTTP_HEADERS: ENOMEM changes
 * nothing (the settings stay as they were).  A failure the kernel recovers
 * from (kmemleak's own bookkeeping) must leave the call whole.
 */
TEST(proxy_and_headers_every_failure_point)
{
	int dev = dev_open(), job, r, err, n, hits = 0, enomem = 0, step;
	bool proxy_set = false, headers_set = false;
	static struct got_proxy g;
	char h[64];

	failslab_setup();
	job = create(dev, NULL);
	ASSERT_SYSOK(job);
	for (step = 0; step < 4; step++) {
		for (n = 1; n <= MAX_POINTS; n++) {
			fail_nth(n);
			switch (step) {
			case 0:
				r = raw_set_proxy(job, KBITS_PROXY_OVERRIDE,
						  "http://proxy:3128", "localhost");
				break;
			case 1:
				r = set_headers(job, "X-Failslab: 1");
				break;
			case 2:
				r = raw_get_proxy(job, &g);
				break;
			default:
				r = get_headers(job, h, sizeof(h));
				break;
			}
			err = errno;
			if (!fail_nth_hit()) {
				ASSERT_SYSOK(r);
				break;
			}
			hits++;
			if (r == 0) {	/* recovered: the call was whole */
				proxy_set |= step == 0;
				headers_set |= step == 1;
			} else {
				ASSERT_EQ(ENOMEM, err);
				enomem++;
			}
			/* and nothing changed but what a whole call did */
			ASSERT_SYSOK(raw_get_proxy(job, &g));
			ASSERT_EQ(proxy_set ? KBITS_PROXY_OVERRIDE : KBITS_PROXY_SYSTEM,
				  g.p.usage);
			r = get_headers(job, h, sizeof(h));
			if (headers_set)
				ASSERT_SYSOK(r);
			else
				ASSERT_ERRNO(ENODATA, r);
		}
		ASSERT_LE(n, MAX_POINTS);
		proxy_set |= step == 0;
		headers_set |= step == 1;
	}
	TH_LOG("proxy and headers: %d failure points, %d gave ENOMEM", hits, enomem);
	ASSERT_GE(enomem, 6);	/* 2 + 1 copies in, 2 + 1 copies out */
	ASSERT_SYSOK(raw_get_proxy(job, &g));
	EXPECT_STREQ("http://proxy:3128", g.list);
	EXPECT_STREQ("localhost", g.bypass);
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
	close(job);
	close(dev);
}

/*
 * A job's event ring is made at its first event: when that allocation
 * fails the change is still made, and its readers are told with an
 * OVERFLOW record instead of losing it silently.
 */
TEST(event_ring_failure_point)
{
	struct kbits_job_attr attr = {
		.size = sizeof(attr), .mask = KBITS_ATTR_PRIORITY,
		.priority = KBITS_PRIORITY_HIGH,
	};
	struct pollfd pfd;
	struct kbits_event ev;
	int dev = dev_open(), job, r, err, n, hits = 0, lost = 0;

	failslab_setup();
	for (n = 1; n <= MAX_POINTS; n++) {
		struct kbits_job_attr notify = {
			.size = sizeof(notify), .mask = KBITS_ATTR_NOTIFY_FLAGS,
			.notify_flags = KBITS_NOTIFY_ALL & ~KBITS_NOTIFY_DISABLE,
		};

		job = create(dev, NULL);
		ASSERT_SYSOK(job);
		fail_nth(n);
		r = ioctl(job, KBITS_JOB_IOC_SET_ATTR, &notify);
		err = errno;
		if (!fail_nth_hit()) {
			ASSERT_SYSOK(r);
			ASSERT_EQ(sizeof(ev), read(job, &ev, sizeof(ev)));
			EXPECT_EQ(KBITS_EVENT_MODIFIED, ev.kind);
			ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
			close(job);
			break;
		}
		hits++;
		if (r)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_SYSOK(r);	/* the change is made */
		pfd = (struct pollfd){ .fd = job, .events = POLLIN };
		ASSERT_EQ(1, poll(&pfd, 1, 0));
		ASSERT_EQ(sizeof(ev), read(job, &ev, sizeof(ev)));
		/* the ring's own allocation: OVERFLOW; kmemleak's: recovered */
		if (ev.kind == KBITS_EVENT_OVERFLOW)
			lost++;
		else
			EXPECT_EQ(KBITS_EVENT_MODIFIED, ev.kind);
		/* the next change has its ring and its record */
		ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_SET_ATTR, &attr));
		ASSERT_EQ(sizeof(ev), read(job, &ev, sizeof(ev)));
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev.kind);
		ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_CANCEL));
		close(job);
	}
	TH_LOG("event ring: %d failure points, %d lost the ring", hits, lost);
	ASSERT_EQ(1, lost);
	close(dev);
}

/*
 * The fds open in this process, by a walk of /proc/self/fd (the walk's own
 * fd left out): a leaked fd, wherever its number, counts.
 */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ASSERT_TRUE(d != NULL);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

/* A QUEUED job of the caller's, with one file (no agent takes it); its fd. */
static int queued_job(int dev, uint8_t *id)
{
	struct kbits_file_spec spec = {
		.remote = (uintptr_t)"https://example.org/one", .remote_len = 23,
		.local = (uintptr_t)"/tmp/one", .local_len = 8,
	};
	struct kbits_add_files a = {
		.size = sizeof(a), .count = 1, .entry_size = sizeof(spec),
		.files = (uintptr_t)&spec,
	};
	int job = create(dev, id);

	ASSERT_SYSOK(job);
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_ADD_FILES, &a));
	ASSERT_SYSOK(ioctl(job, KBITS_JOB_IOC_RESUME));
	ASSERT_EQ(KBITS_JOB_STATE_QUEUED, job_state(job));
	return job;
}

/*
 * A QUEUED job of @uid, made by a child that becomes @uid and passes its
 * fd back: the creator's fd; the GUID in @id.
 */
static int user_job(uid_t uid, uint8_t *id)
{
	int sv[2], fd;
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		close(sv[0]);
		become(uid);
		ASSERT_SYSOK(send_fd(sv[1], queued_job(dev_open(), NULL)));
		_exit(0);
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	ASSERT_SYSOK(fd);
	close(sv[0]);
	ASSERT_CHILD_OK(pid);
	job_id(fd, id);
	return fd;
}

/*
 * How many more jobs the caller may create before EDQUOT (the jobs it
 * makes to find out are cancelled and closed at once: they count no more).
 */
static int room(int dev)
{
	int fds[8], n, i;

	for (n = 0; n < 8; n++) {
		fds[n] = create(dev, NULL);
		if (fds[n] < 0)
			break;
	}
	if (n < 8)
		EXPECT_EQ(EDQUOT, errno);
	for (i = 0; i < n; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}
	return n;
}

/* room() for @uid, from a child that becomes @uid. */
static int room_of(uid_t uid)
{
	int status;
	pid_t pid = th_fork();

	if (pid == 0) {
		become(uid);
		_exit(room(dev_open()));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * TAKE_OWNERSHIP gave @fd: the takeover is whole.  Every older fd (@olds)
 * is revoked, @fd is the one new fd (O_CLOEXEC), root owns the job, which
 * went from QUEUED to SUSPENDED, and TAKEN_USER's count went with it (under
 * max_jobs_per_user 2 it may create two jobs again).
 */
static void taken_whole(int dev, int fd, const int *olds, int nolds,
			const uint8_t *id, int fds_before)
{
	uint32_t v;
	int i, g;

	for (i = 0; i < nolds; i++) {
		EXPECT_ERRNO(EACCES, ioctl(olds[i], KBITS_JOB_IOC_GET_STATE, &v));
		EXPECT_ERRNO(EACCES, ioctl(olds[i], KBITS_JOB_IOC_GET_OWNER, &v));
	}
	EXPECT_EQ(fds_before + 1, open_fds());
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
	EXPECT_EQ(0, job_owner(fd));
	g = get(dev, id);
	ASSERT_SYSOK(g);
	EXPECT_EQ(0, job_owner(g));
	close(g);
	EXPECT_EQ(2, room_of(TAKEN_USER));
}

/* The walk of take_ownership_every_failure_point, in a child of root's. */
static void take_ownership_walk(void)
{
	int dev = dev_open(), fds[2], fd, g, err, before, lowest, n, hits = 0;
	int enomem = 0;
	uint8_t id[KBITS_GUID_SIZE];

	/* the creator's fd, and root's from GET_JOB: the old fds */
	fds[0] = user_job(TAKEN_USER, id);
	fds[1] = get(dev, id);
	ASSERT_SYSOK(fds[1]);
	/* TAKEN_USER has one job: room for one more */
	ASSERT_EQ(1, room_of(TAKEN_USER));
	fail_nth(0);	/* opens fail-nth: that fd is not a leak */
	for (n = 1; n <= MAX_POINTS; n++) {
		before = open_fds();
		lowest = lowest_free_fd();
		fail_nth(n);
		fd = ioctl(fds[1], KBITS_JOB_IOC_TAKE_OWNERSHIP);
		err = errno;
		if (!fail_nth_hit()) {
			/* past the last failure point: it worked */
			ASSERT_SYSOK(fd);
			taken_whole(dev, fd, fds, 2, id, before);
			break;
		}
		hits++;
		if (fd >= 0) {
			/* recovered from the failure: whole; start again */
			TH_LOG("failure point %d: TAKE_OWNERSHIP succeeded anyway", n);
			taken_whole(dev, fd, fds, 2, id, before);
			job_cancel(fd);
			close(fd);
			close(fds[0]);
			close(fds[1]);
			fds[0] = user_job(TAKEN_USER, id);
			fds[1] = get(dev, id);
			ASSERT_SYSOK(fds[1]);
			continue;
		}
		if (err != ENOMEM)
			TH_LOG("failure point %d: errno %s", n, th_errname(err));
		ASSERT_EQ(ENOMEM, err);
		enomem++;
		/* no new fd (nor one reserved), and the old ones are not revoked */
		EXPECT_EQ(before, open_fds());
		EXPECT_EQ(lowest, lowest_free_fd());
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fds[0]));
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fds[1]));
		/* the owner is not changed */
		EXPECT_EQ(TAKEN_USER, job_owner(fds[0]));
		g = get(dev, id);
		ASSERT_SYSOK(g);
		EXPECT_EQ(TAKEN_USER, job_owner(g));
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(g));
		close(g);
		/* and the job still counts against TAKEN_USER, once */
		EXPECT_EQ(1, room_of(TAKEN_USER));
	}
	TH_LOG("TAKE_OWNERSHIP: %d failure points, %d gave ENOMEM", hits, enomem);
	ASSERT_GT(enomem, 0);
	ASSERT_LE(n, MAX_POINTS);
	job_cancel(fd);
	close(fd);
	close(fds[0]);
	close(fds[1]);
	close(dev);
}

/*
 * TAKE_OWNERSHIP by root of a QUEUED job of another user's: ENOMEM leaves
 * the job as it was (its owner, its state, its count against the owner's
 * limit), revokes no fd and leaks none; the call that works revokes them
 * all and returns the one new fd.  Root is exempt from the limits, so its
 * failure points are all in making the new fd; the next test's taker, who
 * is counted, reaches the charge's too.
 */
TEST(take_ownership_every_failure_point)
{
	unsigned int max = param_get("max_jobs_per_user");
	pid_t pid;

	failslab_setup();
	param_set("max_jobs_per_user", 2);
	pid = th_fork();
	if (pid == 0) {
		take_ownership_walk();
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	param_set("max_jobs_per_user", max);
}

/*
 * A takeover whose taker the limits count: root of a user namespace
 * TAKEN_USER made takes over a job it made there.  The job's count moves
 * to the taker (kbits_charge_to() allocates for it: a failure point root's
 * takeovers, exempt, never reach).  ENOMEM leaves the job and its count as
 * they were; the call that works revokes every older fd.  Under
 * max_jobs_per_user 2 the taker has room for one more job throughout.
 */
TEST(take_ownership_counted_every_failure_point)
{
	unsigned int max = param_get("max_jobs_per_user");
	pid_t pid;

	failslab_setup();
	param_set("max_jobs_per_user", 2);
	pid = th_fork();
	if (pid == 0) {
		int dev, fds[2], fd, err, before, lowest, n, i, hits = 0, enomem = 0;
		uint8_t id[KBITS_GUID_SIZE];
		uint32_t v;

		enter_userns_as(TAKEN_USER);
		dev = dev_open();
		fds[0] = queued_job(dev, id);
		fds[1] = get(dev, id);
		ASSERT_SYSOK(fds[1]);
		ASSERT_EQ(1, room(dev));
		fail_nth(0);	/* opens fail-nth: that fd is not a leak */
		for (n = 1; n <= MAX_POINTS; n++) {
			bool hit;

			before = open_fds();
			lowest = lowest_free_fd();
			fail_nth(n);
			fd = ioctl(fds[1], KBITS_JOB_IOC_TAKE_OWNERSHIP);
			err = errno;
			hit = fail_nth_hit();
			if (fd >= 0) {
				/* whole: the old fds revoked, one new fd */
				if (hit)
					TH_LOG("failure point %d: TAKE_OWNERSHIP succeeded anyway",
					       n);
				for (i = 0; i < 2; i++)
					EXPECT_ERRNO(EACCES, ioctl(fds[i],
						     KBITS_JOB_IOC_GET_STATE, &v));
				EXPECT_EQ(before + 1, open_fds());
				EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
				EXPECT_EQ(0, job_owner(fd));
				EXPECT_EQ(1, room(dev));
				if (!hit)
					break;
				/* start again */
				hits++;
				job_cancel(fd);
				close(fd);
				close(fds[0]);
				close(fds[1]);
				fds[0] = queued_job(dev, id);
				fds[1] = get(dev, id);
				ASSERT_SYSOK(fds[1]);
				continue;
			}
			ASSERT_TRUE(hit);
			hits++;
			if (err != ENOMEM)
				TH_LOG("failure point %d: errno %s", n, th_errname(err));
			ASSERT_EQ(ENOMEM, err);
			enomem++;
			EXPECT_EQ(before, open_fds());
			EXPECT_EQ(lowest, lowest_free_fd());
			for (i = 0; i < 2; i++) {
				EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fds[i]));
				EXPECT_EQ(0, job_owner(fds[i]));
			}
			EXPECT_EQ(1, room(dev));
		}
		TH_LOG("TAKE_OWNERSHIP, counted: %d failure points, %d gave ENOMEM",
		       hits, enomem);
		ASSERT_GT(enomem, 0);
		ASSERT_LE(n, MAX_POINTS);
		job_cancel(fd);
		close(fd);
		close(fds[0]);
		close(fds[1]);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	param_set("max_jobs_per_user", max);
}

static int job_ns(int agent, const uint8_t *id, uint32_t kind)
{
	struct kbits_agent_job_ns a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memcpy(a.id, id, KBITS_GUID_SIZE);
	a.kind = kind;
	return ioctl(agent, KBITS_AGENT_IOC_JOB_NS, &a);
}

/*
 * Is @fd what JOB_NS of @kind gives for a job made here: an O_PATH fd of
 * our root directory, or an fd of our network namespace; O_CLOEXEC?
 */
static void is_job_ns(int fd, uint32_t kind)
{
	struct stat want, got;

	ASSERT_SYSOK(stat(kind == KBITS_JOB_NS_ROOT ? "/" : "/proc/self/ns/net",
			  &want));
	ASSERT_SYSOK(fstat(fd, &got));
	EXPECT_EQ(want.st_dev, got.st_dev);
	EXPECT_EQ(want.st_ino, got.st_ino);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	if (kind == KBITS_JOB_NS_ROOT)
		EXPECT_EQ(O_PATH, fcntl(fd, F_GETFL) & O_PATH);
}

/*
 * The agent's JOB_NS, of either kind, of another user's QUEUED job: ENOMEM
 * leaks no fd and leaves the job as it was (its state, its owner, and its
 * namespaces: the next JOB_NS still gives them).
 */
TEST(job_ns_every_failure_point)
{
	static const uint32_t kinds[] = { KBITS_JOB_NS_ROOT, KBITS_JOB_NS_NET };
	int dev = dev_open(), job, agent, fd, err, before, lowest, n, k, hits, enomem;
	uint8_t id[KBITS_GUID_SIZE];

	failslab_setup();
	job = user_job(TAKEN_USER, id);
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	fail_nth(0);	/* opens fail-nth: that fd is not a leak */
	for (k = 0; k < 2; k++) {
		hits = enomem = 0;
		for (n = 1; n <= MAX_POINTS; n++) {
			before = open_fds();
			lowest = lowest_free_fd();
			fail_nth(n);
			fd = job_ns(agent, id, kinds[k]);
			err = errno;
			if (!fail_nth_hit()) {
				ASSERT_SYSOK(fd);
				is_job_ns(fd, kinds[k]);
				EXPECT_EQ(before + 1, open_fds());
				close(fd);
				break;
			}
			hits++;
			if (fd >= 0) {
				/* recovered: the fd is whole */
				is_job_ns(fd, kinds[k]);
				EXPECT_EQ(before + 1, open_fds());
				close(fd);
			} else {
				if (err != ENOMEM)
					TH_LOG("failure point %d: errno %s", n,
					       th_errname(err));
				ASSERT_EQ(ENOMEM, err);
				enomem++;
				EXPECT_EQ(before, open_fds());
				EXPECT_EQ(lowest, lowest_free_fd());
			}
			/* the job is as it was */
			EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(job));
			EXPECT_EQ(TAKEN_USER, job_owner(job));
			fd = job_ns(agent, id, kinds[k]);
			ASSERT_SYSOK(fd);
			is_job_ns(fd, kinds[k]);
			close(fd);
		}
		TH_LOG("JOB_NS %s: %d failure points, %d gave ENOMEM",
		       kinds[k] == KBITS_JOB_NS_ROOT ? "ROOT" : "NET", hits, enomem);
		ASSERT_GT(enomem, 0);
		ASSERT_LE(n, MAX_POINTS);
	}
	job_cancel(job);
	close(job);
	close(agent);
	close(dev);
}

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
