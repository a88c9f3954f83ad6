// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: a job in the queue and its fds -- CREATE_JOB and
 * GET_JOB (the GUID, type, state, owner and display name a job fd
 * reads), unknown GUIDs, CANCEL, a job that outlives every fd of it, job
 * fds that are close-on-exec and leak nowhere, their fdinfo lines, their
 * events (poll() and read()), the inactivity reaper (inactive_timeout),
 * and GET_JOB racing CANCEL -- against the real module, with raw ioctls
 * and with libkbits.
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh does that in
 * the test VM); the tests drop privileges themselves in forked children.
 *
 * Uids 2700-2799 are this program's (kbits_helpers.h's kbits_uid_ranges[]);
 * the last test checks that no job a test made is left in the queue.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>
#include <kbits/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

/* ---------------------------------------------------------------- helpers */

/* Writes @val to a parameter: the write's result, -1 and errno on failure. */
static int write_param_raw(const char *name, const char *val)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_SYSOK(fd);
	r = write(fd, val, strlen(val)) < 0 ? -1 : 0;
	close(fd);
	return r;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

/* The value of "key:\t..." in /proc/self/fdinfo/<fd>, or false. */
static bool fdinfo_get(int fd, const char *key, char *val, size_t size)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':' ||
		    line[klen + 1] != '\t')
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(val, size, "%s", line + klen + 2);
		found = true;
		break;
	}
	fclose(f);
	return found;
}



static void set_notify(int fd, uint32_t flags)
{
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = KBITS_ATTR_NOTIFY_FLAGS;
	a.notify_flags = flags;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &a));
}

static void agent_call(int agent, unsigned long cmd, const guid_bytes id,
		       uint32_t index, uint64_t total, uint32_t flags)
{
	union {
		struct kbits_agent_job j;
		struct kbits_agent_progress p;
	} u;

	memset(&u, 0, sizeof(u));
	if (cmd == KBITS_AGENT_IOC_PROGRESS) {
		u.p.size = sizeof(u.p);
		memcpy(u.p.id, id, KBITS_GUID_SIZE);
		u.p.index = index;
		u.p.bytes_total = total;
		u.p.bytes_transferred = total;
		u.p.flags = flags;
	} else {
		u.j.size = sizeof(u.j);
		memcpy(u.j.id, id, KBITS_GUID_SIZE);
	}
	ASSERT_SYSOK(ioctl(agent, cmd, &u));
}

/* ------------------------------------------------------------- the tests */

TEST(create_then_get)
{
	static const char name[] = "kbits selftest: create then get";
	guid_bytes id, id1, id2, id_other, zero = { 0 };
	char n1[KBITS_DISPLAY_NAME_MAX + 1], n2[KBITS_DISPLAY_NAME_MAX + 1];
	int dev = dev_open(), fd1, fd2, fd3;

	fd1 = raw_create(dev, name, strlen(name), KBITS_JOB_TYPE_UPLOAD, id);
	ASSERT_SYSOK(fd1);
	ASSERT_NE(0, memcmp(id, zero, sizeof(id)));

	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	ASSERT_NE(fd1, fd2);

	job_id(fd1, id1);
	job_id(fd2, id2);
	EXPECT_MEMEQ(id, id1, sizeof(id));
	EXPECT_MEMEQ(id, id2, sizeof(id));
	EXPECT_EQ(KBITS_JOB_TYPE_UPLOAD, job_type(fd1));
	EXPECT_EQ(KBITS_JOB_TYPE_UPLOAD, job_type(fd2));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd1));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd2));
	EXPECT_EQ(0, job_owner(fd1));
	EXPECT_EQ(0, job_owner(fd2));
	EXPECT_EQ(strlen(name), job_name(fd1, n1));
	EXPECT_EQ(strlen(name), job_name(fd2, n2));
	EXPECT_STREQ(name, n1);
	EXPECT_STREQ(name, n2);

	/* A second job has a GUID of its own. */
	fd3 = make_dl_job(dev, "another", id_other);
	EXPECT_NE(0, memcmp(id, id_other, sizeof(id)));
	job_cancel(fd3);

	/* Both fds are the same job. */
	job_cancel(fd1);
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(fd2));
	close(fd1);
	close(fd2);
	close(fd3);
	close(dev);
}

TEST(create_types)
{
	static const uint32_t types[] = {
		KBITS_JOB_TYPE_DOWNLOAD, KBITS_JOB_TYPE_UPLOAD,
		KBITS_JOB_TYPE_UPLOAD_REPLY,
	};
	int dev = dev_open(), fd, before;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fd = raw_create(dev, "t", 1, types[i], NULL);
		ASSERT_SYSOK(fd);
		EXPECT_EQ(types[i], job_type(fd));
		job_cancel(fd);
		close(fd);
	}
	before = lowest_free_fd();
	EXPECT_ERRNO(EINVAL, raw_create(dev, "t", 1, 3, NULL));
	EXPECT_ERRNO(EINVAL, raw_create(dev, "t", 1, 0x80000000u, NULL));
	EXPECT_ERRNO(EINVAL, raw_create(dev, "t", 1, 0xffffffffu, NULL));
	EXPECT_EQ(before, lowest_free_fd());
	close(dev);
}

TEST(get_unknown_guid_enoent)
{
	guid_bytes id, zero = { 0 };
	struct kbits_guid g;
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	int dev = dev_open();

	random_guid(id);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	EXPECT_ERRNO(ENOENT, raw_get(dev, zero));

	ASSERT_RET(0, kbits_new(&m, 0));
	memcpy(g.bytes, id, sizeof(g.bytes));
	EXPECT_RET(-ENOENT, kbits_get_job(m, &g, &j));
	EXPECT_TRUE(j == NULL);
	kbits_unref(m);
	close(dev);
}

TEST(job_fds_are_cloexec)
{
	struct kbits_job *j = NULL;
	struct kbits_guid g;
	struct kbits *m = NULL;
	int dev = dev_open(), fd1, fd2;
	guid_bytes id;

	fd1 = make_dl_job(dev, "cloexec", id);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd1, F_GETFD) & FD_CLOEXEC);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd2, F_GETFD) & FD_CLOEXEC);

	/* and the ones libkbits hands out */
	ASSERT_RET(0, kbits_new(&m, 0));
	EXPECT_EQ(FD_CLOEXEC, fcntl(find_dev_fd(), F_GETFD) & FD_CLOEXEC);
	memcpy(g.bytes, id, sizeof(g.bytes));
	ASSERT_RET(0, kbits_get_job(m, &g, &j));
	EXPECT_EQ(FD_CLOEXEC, fcntl(kbits_job_fd(j), F_GETFD) & FD_CLOEXEC);
	kbits_job_unref(j);
	j = NULL;
	ASSERT_RET(0, kbits_create_job(m, "cloexec 2", KBITS_JOB_TYPE_DOWNLOAD,
				       NULL, &j));
	EXPECT_EQ(FD_CLOEXEC, fcntl(kbits_job_fd(j), F_GETFD) & FD_CLOEXEC);
	EXPECT_RET(0, kbits_job_cancel(j));
	kbits_job_unref(j);
	kbits_unref(m);

	job_cancel(fd1);
	close(fd1);
	close(fd2);
	close(dev);
}

TEST(job_survives_closing_its_fds)
{
	guid_bytes *id = shared_alloc(sizeof(*id));
	int dev, fd;
	pid_t pid;

	/* a process of user 2703 makes a job and exits with nothing open */
	pid = th_fork();
	if (pid == 0) {
		become(2703);
		dev = dev_open();
		fd = make_dl_job(dev, "survivor", *id);
		close(fd);
		close(dev);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* another process of the same user finds it */
	pid = th_fork();
	if (pid == 0) {
		char name[KBITS_DISPLAY_NAME_MAX + 1];
		guid_bytes got;

		become(2703);
		dev = dev_open();
		fd = raw_get(dev, *id);
		ASSERT_SYSOK(fd);
		job_id(fd, got);
		EXPECT_MEMEQ(*id, got, sizeof(got));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		job_name(fd, name);
		EXPECT_STREQ("survivor", name);
		close(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* root, in this process, after every fd of the job is closed */
	dev = dev_open();
	fd = raw_get(dev, *id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2703, job_owner(fd));
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(cancel_then_get)
{
	char name[KBITS_DISPLAY_NAME_MAX + 1], val[128];
	int dev = dev_open(), fd1, fd2;
	guid_bytes id, got;

	fd1 = make_dl_job(dev, "to be cancelled", id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);

	job_cancel(fd1);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(fd1));
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(fd2));
	EXPECT_ERRNO(EBADFD, ioctl(fd1, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EBADFD, ioctl(fd2, KBITS_JOB_IOC_CANCEL));

	/* the old fds still describe the job */
	job_id(fd2, got);
	EXPECT_MEMEQ(id, got, sizeof(got));
	job_name(fd2, name);
	EXPECT_STREQ("to be cancelled", name);
	EXPECT_EQ(0, job_owner(fd2));
	ASSERT_TRUE(fdinfo_get(fd1, "kbits-state", val, sizeof(val)));
	EXPECT_STREQ("CANCELLED", val);

	close(fd1);
	close(fd2);
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	close(dev);
}

TEST(fdinfo_lines)
{
	char val[128], want[KBITS_GUID_STRING_LEN];
	guid_bytes *id = shared_alloc(sizeof(*id));
	struct kbits_guid g, parsed;
	int dev = dev_open(), fd;
	pid_t pid;

	fd = make_dl_job(dev, "fdinfo", g.bytes);
	memcpy(*id, g.bytes, sizeof(*id));
	kbits_guid_format(&g, want);

	ASSERT_TRUE(fdinfo_get(fd, "kbits-id", val, sizeof(val)));
	EXPECT_EQ(KBITS_GUID_STRING_LEN - 1, strlen(val));
	EXPECT_EQ('{', val[0]);
	EXPECT_EQ('}', val[KBITS_GUID_STRING_LEN - 2]);
	if (strcasecmp(want, val))
		th_fail(__FILE__, __LINE__, false,
			"fdinfo kbits-id %s, kbits_guid_format() %s", val, want);
	EXPECT_RET(0, kbits_guid_parse(val, &parsed));
	EXPECT_MEMEQ(g.bytes, parsed.bytes, sizeof(g.bytes));

	ASSERT_TRUE(fdinfo_get(fd, "kbits-owner", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	ASSERT_TRUE(fdinfo_get(fd, "kbits-state", val, sizeof(val)));
	EXPECT_STREQ("SUSPENDED", val);
	job_cancel(fd);
	ASSERT_TRUE(fdinfo_get(fd, "kbits-state", val, sizeof(val)));
	EXPECT_STREQ("CANCELLED", val);
	close(fd);

	/* another user's job, read by that user */
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become(2706);
		udev = dev_open();
		ufd = make_dl_job(udev, "fdinfo 2706", NULL);
		ASSERT_TRUE(fdinfo_get(ufd, "kbits-owner", val, sizeof(val)));
		EXPECT_STREQ("2706", val);
		ASSERT_TRUE(fdinfo_get(ufd, "kbits-state", val, sizeof(val)));
		EXPECT_STREQ("SUSPENDED", val);
		job_cancel(ufd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	close(dev);
}

TEST_TIMEOUT(no_fd_leaks, 300)
{
	struct kbits_job *j;
	struct kbits *m = NULL;
	struct kbits_guid g;
	int dev = dev_open(), fd, first, fds, i;
	guid_bytes id, unknown;

	fd = make_dl_job(dev, "leak check", id);
	memcpy(g.bytes, id, sizeof(id));
	random_guid(unknown);
	ASSERT_RET(0, kbits_new(&m, 0));
	first = lowest_free_fd();
	fds = count_fds();

	for (i = 0; i < 2000; i++) {
		int f = raw_get(dev, id);

		if (f < 0) {
			th_fail_fatal(__FILE__, __LINE__,
				"GET_JOB %d: %s", i, th_errname(errno));
		}
		close(f);
	}
	for (i = 0; i < 1000; i++) {
		j = NULL;
		if (kbits_get_job(m, &g, &j))
			th_fail_fatal(__FILE__, __LINE__,
				"kbits_get_job %d failed", i);
		kbits_job_unref(j);
	}
	/* failures must not leak either */
	for (i = 0; i < 1000; i++) {
		EXPECT_ERRNO(ENOENT, raw_get(dev, unknown));
		EXPECT_ERRNO(EINVAL, raw_create(dev, "\xff", 1, 0, NULL));
		EXPECT_ERRNO(EFAULT, raw_create(dev, NULL, 1, 0, NULL));
	}
	EXPECT_EQ(first, lowest_free_fd());
	EXPECT_EQ(fds, count_fds());

	job_cancel(fd);
	close(fd);
	kbits_unref(m);
	close(dev);
}

/*
 * A job its user leaves alone for inactive_timeout seconds is cancelled;
 * one that its user keeps changing is not.
 */
TEST(inactive_jobs_are_cancelled)
{
	unsigned int orig = param_get("inactive_timeout");
	guid_bytes idle_id, busy_id;
	int dev = dev_open(), idle, busy, i;
	struct kbits_job_attr a;

	idle = make_dl_job(dev, "left alone", idle_id);
	busy = make_dl_job(dev, "kept busy", busy_id);
	param_set("inactive_timeout", 3);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = KBITS_ATTR_PRIORITY;
	a.priority = KBITS_PRIORITY_HIGH;
	/* 6 s: past the timeout, twice over, with the reaper looking each s */
	for (i = 0; i < 12; i++) {
		ASSERT_SYSOK(ioctl(busy, KBITS_JOB_IOC_SET_ATTR, &a));
		usleep(500000);
	}
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(idle));
	EXPECT_ERRNO(ENOENT, raw_get(dev, idle_id));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(busy));
	param_set("inactive_timeout", orig);
	EXPECT_ERRNO(EINVAL, write_param_raw("inactive_timeout", "0"));
	job_cancel(busy);
	close(idle);
	close(busy);
	close(dev);
}

/*
 * poll() and read() of a job fd: the events its notify flags ask for, in
 * order, from the moment the fd was made; an OVERFLOW record when the
 * reader fell behind.
 */
TEST(job_fd_events)
{
	struct kbits_job_string str = { .size = sizeof(str), .buf = (uintptr_t)"d", .len = 1 };
	int dev = dev_open(), fd, late, agent, n, i;
	struct kbits_event ev[40];
	struct kbits_job *j = NULL;
	struct kbits_file_spec spec;
	struct kbits_add_files add;
	guid_bytes id;

	fd = make_dl_job(dev, "events", id);
	memset(&spec, 0, sizeof(spec));
	spec.remote = (uintptr_t)"http://h/f";
	spec.remote_len = strlen("http://h/f");
	spec.local = (uintptr_t)"/tmp/kbits-ev";
	spec.local_len = strlen("/tmp/kbits-ev");
	memset(&add, 0, sizeof(add));
	add.size = sizeof(add);
	add.count = 1;
	add.entry_size = sizeof(spec);
	add.files = (uintptr_t)&spec;

	/* default flags (TRANSFERRED | ERROR): a user's changes say nothing */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &add));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	EXPECT_EQ(0, read_job_events(fd, ev, 4));
	ASSERT_SYSOK(fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, read(fd, ev, sizeof(ev[0])));
	EXPECT_ERRNO(EINVAL, read(fd, ev, sizeof(ev[0]) - 1));

	/* JOB_MODIFICATION: every change (this SET_ATTR too), in order */
	set_notify(fd, KBITS_NOTIFY_JOB_MODIFICATION);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	n = read_job_events(fd, ev, 8);
	ASSERT_EQ(3, n);
	EXPECT_MEMEQ(id, ev[0].id, KBITS_GUID_SIZE);
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[0].kind);
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[1].kind);
	EXPECT_EQ(KBITS_EVENT_QUEUED, ev[2].kind);
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, ev[2].state);
	EXPECT_EQ(ev[0].seq + 1, ev[1].seq);
	EXPECT_EQ(ev[1].seq + 1, ev[2].seq);

	/* a fd made now sees only what comes after */
	late = raw_get(dev, id);
	ASSERT_SYSOK(late);
	EXPECT_EQ(0, read_job_events(late, ev, 4));

	/* the agent's reports: MODIFIED, FILE_TRANSFERRED (asked for), TRANSFERRED */
	set_notify(fd, KBITS_NOTIFY_JOB_MODIFICATION | KBITS_NOTIFY_FILE_TRANSFERRED);
	EXPECT_EQ(1, read_job_events(late, ev, 4));	/* the SET_ATTR itself */
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	agent_call(agent, KBITS_AGENT_IOC_TAKE_JOB, id, 0, 0, 0);
	agent_call(agent, KBITS_AGENT_IOC_PROGRESS, id, 0, 10, KBITS_FILE_COMPLETED);
	agent_call(agent, KBITS_AGENT_IOC_TRANSFERRED, id, 0, 0, 0);
	close(agent);
	n = read_job_events(late, ev, 8);
	ASSERT_EQ(4, n);
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[0].kind);
	EXPECT_EQ(KBITS_JOB_STATE_CONNECTING, ev[0].state);
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[1].kind);
	EXPECT_EQ(KBITS_JOB_STATE_TRANSFERRING, ev[1].state);
	EXPECT_EQ(KBITS_EVENT_FILE_TRANSFERRED, ev[2].kind);
	EXPECT_EQ(KBITS_EVENT_TRANSFERRED, ev[3].kind);
	EXPECT_EQ(KBITS_JOB_STATE_TRANSFERRED, ev[3].state);
	for (i = 1; i < n; i++)
		EXPECT_EQ(ev[i - 1].seq + 1, ev[i].seq);
	/* the first fd saw the same, after its own earlier ones */
	EXPECT_EQ(5, read_job_events(fd, ev, 8));

	/* libkbits: kbits_job_next_event() */
	ASSERT_RET(0, kbits_job_from_fd(late, &j));
	EXPECT_RET(-ETIMEDOUT, kbits_job_next_event(j, &ev[0], 0));
	EXPECT_RET(-ETIMEDOUT, kbits_job_next_event(j, &ev[0], 50));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	EXPECT_RET(0, kbits_job_next_event(j, &ev[0], 1000));
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[0].kind);

	/* falling behind: OVERFLOW, then the events still kept */
	for (i = 0; i < 40; i++)
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	n = read_job_events(late, ev, 40);
	ASSERT_GE(n, 2);
	EXPECT_EQ(KBITS_EVENT_OVERFLOW, ev[0].kind);
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[1].kind);
	EXPECT_GT(ev[1].seq, ev[0].seq + 1);	/* the gap it stands for */
	EXPECT_EQ(16, n - 1);			/* the ring keeps 16 */
	for (i = 2; i < n; i++)
		EXPECT_EQ(ev[i - 1].seq + 1, ev[i].seq);

	/* DISABLE: nothing at all */
	set_notify(fd, KBITS_NOTIFY_DISABLE | KBITS_NOTIFY_JOB_MODIFICATION);
	read_job_events(fd, ev, 40);
	read_job_events(fd, ev, 40);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	EXPECT_EQ(0, read_job_events(fd, ev, 4));

	/* a final job: once its events are read, EOF and POLLHUP */
	job_cancel(fd);
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };

		EXPECT_EQ(1, poll(&p, 1, 0));
		EXPECT_TRUE(p.revents & POLLHUP);
		EXPECT_EQ(0, read(fd, ev, sizeof(ev[0])));
		while (read(late, ev, sizeof(ev)) > 0)
			;
		EXPECT_RET(-EBADFD, kbits_job_next_event(j, &ev[0], -1));
	}
	kbits_job_unref(j);
	close(fd);
	close(dev);
}

/*
 * GET_JOB racing CANCEL: every GET gives a fd or ENOENT, a fd reads
 * SUSPENDED or CANCELLED, and of all the cancels exactly one succeeds.
 */
struct race {
	int dev;
	guid_bytes id;
	int cancels;	/* successful cancels this round */
	int bad;
	int got;
};

static void *race_getter(void *arg)
{
	struct race *r = arg;

	for (;;) {
		int fd = raw_get(r->dev, r->id);
		uint32_t st;

		if (fd < 0) {
			if (errno == ENOENT)
				break;
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (ioctl(fd, KBITS_JOB_IOC_GET_STATE, &st) ||
		    (st != KBITS_JOB_STATE_SUSPENDED &&
		     st != KBITS_JOB_STATE_CANCELLED))
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
		/* every third fd got tries to cancel the job too */
		if (__atomic_add_fetch(&r->got, 1, __ATOMIC_RELAXED) % 3 == 0) {
			if (ioctl(fd, KBITS_JOB_IOC_CANCEL) == 0)
				__atomic_add_fetch(&r->cancels, 1, __ATOMIC_RELAXED);
			else if (errno != EBADFD)
				__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
		}
		close(fd);
	}
	return NULL;
}

TEST_TIMEOUT(get_races_cancel, 300)
{
	enum { ROUNDS = 200, THREADS = 4 };
	struct race r = { 0 };
	pthread_t th[THREADS];
	int round, i, fd, wrong_cancels = 0;

	r.dev = dev_open();
	for (round = 0; round < ROUNDS; round++) {
		fd = make_dl_job(r.dev, "race", r.id);
		__atomic_store_n(&r.cancels, 0, __ATOMIC_RELAXED);
		for (i = 0; i < THREADS; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, race_getter, &r));
		usleep(round % 10 * 100);
		if (ioctl(fd, KBITS_JOB_IOC_CANCEL) == 0)
			__atomic_add_fetch(&r.cancels, 1, __ATOMIC_RELAXED);
		else if (errno != EBADFD)
			th_fail(__FILE__, __LINE__, false, "CANCEL: %s",
				th_errname(errno));
		for (i = 0; i < THREADS; i++)
			ASSERT_EQ(0, pthread_join(th[i], NULL));
		if (r.cancels != 1)
			wrong_cancels++;
		EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(fd));
		EXPECT_ERRNO(ENOENT, raw_get(r.dev, r.id));
		close(fd);
	}
	EXPECT_EQ(0, wrong_cancels);
	EXPECT_EQ(0, r.bad);
	TH_LOG("%d job fds got while racing", r.got);
	close(r.dev);
}

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
