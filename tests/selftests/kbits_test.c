// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: the /dev/kbits ABI, who may have a job, job fds, limits
 * and libkbits, against the real module.  Run as root with kbits loaded
 * (tests/selftests/run-in-vm.sh does that in the test VM); the tests drop
 * privileges themselves in forked children.
 *
 * Uids: 1000 and 1001 are "a user" and "another user"; tests that count
 * jobs against the per-user limit, and the ENUM_JOBS tests that expect a
 * user's listing to be exact, use uids of their own (20xx), so a job left
 * behind by one failing test cannot change what another one counts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/kbits.h>
#include <linux/userfaultfd.h>
#include <kbits/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

#define DEV_PATH	"/dev/kbits"
#define KADDR		((void *)0xffff888000000000ull)

/* ---------------------------------------------------------------- helpers */

static int raw_create_str(int dev, const char *name, uint8_t *id)
{
	return raw_create(dev, name, strlen(name), KBITS_JOB_TYPE_DOWNLOAD, id);
}

/* A download job that must be created; returns its fd. */
static int make_dl_job(int dev, const char *name, uint8_t *id)
{
	return make_job(dev, name, KBITS_JOB_TYPE_DOWNLOAD, id);
}

/* The display name into @buf (KBITS_DISPLAY_NAME_MAX + 1 bytes); its length. */
static uint32_t job_name(int fd, char *buf)
{
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = KBITS_DISPLAY_NAME_MAX + 1;
	s.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	ASSERT_LE(s.len, KBITS_DISPLAY_NAME_MAX);
	ASSERT_EQ(0, buf[s.len]);
	return s.len;
}

/* Gets the job by GUID through @dev and cancels it. */
static void cancel_by_id(int dev, const uint8_t *id)
{
	int fd = raw_get(dev, id);

	ASSERT_SYSOK(fd);
	job_cancel(fd);
	close(fd);
}

static void random_guid(uint8_t *id)
{
	ASSERT_EQ(KBITS_GUID_SIZE, getrandom(id, KBITS_GUID_SIZE, 0));
}

static long read_long(const char *path)
{
	char buf[64] = "";
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		th_fail_fatal(__FILE__, __LINE__, "open %s: %s", path,
			th_errname(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_GT(n, 0);
	return strtol(buf, NULL, 10);
}

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

/* The fd of this process that is open on /dev/kbits, or -1. */
static int find_dev_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, DEV_PATH))
			found = atoi(e->d_name);
	}
	closedir(d);
	return found;
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

/* Parameters as they were when the run started; restored after each test. */
static unsigned int orig_max_jobs, orig_max_jobs_per_user;

static void restore_params(void)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "max_jobs");
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%u\n", orig_max_jobs);
		fclose(f);
	}
	snprintf(path, sizeof(path), PARAM_DIR "max_jobs_per_user");
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%u\n", orig_max_jobs_per_user);
		fclose(f);
	}
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

TEST(owner_may_get)
{
	guid_bytes *id = shared_alloc(sizeof(*id));
	int dev = dev_open(), fd;
	pid_t pid;

	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become(1000);
		udev = dev_open();
		ufd = make_dl_job(udev, "owned by 1000", *id);
		EXPECT_EQ(1000, job_owner(ufd));
		close(ufd);
		ufd = raw_get(udev, *id);
		ASSERT_SYSOK(ufd);
		EXPECT_EQ(1000, job_owner(ufd));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(ufd));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* root may have anybody's job */
	fd = raw_get(dev, *id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(1000, job_owner(fd));
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(other_user_eacces)
{
	guid_bytes root_id, *user_id = shared_alloc(sizeof(*user_id));
	int dev = dev_open(), root_fd, fd;
	pid_t pid;

	root_fd = make_dl_job(dev, "root's", root_id);

	pid = th_fork();
	if (pid == 0) {
		become(1000);
		close(make_dl_job(dev_open(), "1000's", *user_id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		guid_bytes unknown;
		int udev;

		become(1001);
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, root_id));
		EXPECT_ERRNO(EACCES, raw_get(udev, *user_id));
		random_guid(unknown);
		EXPECT_ERRNO(ENOENT, raw_get(udev, unknown));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* the /dev/kbits fd root opened does not make the caller root */
	pid = th_fork();
	if (pid == 0) {
		become(1001);
		EXPECT_ERRNO(EACCES, raw_get(dev, root_id));
		EXPECT_ERRNO(EACCES, raw_get(dev, *user_id));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	fd = raw_get(dev, *user_id);
	ASSERT_SYSOK(fd);
	job_cancel(fd);
	close(fd);
	job_cancel(root_fd);
	close(root_fd);
	close(dev);
}

/* The effective uid decides, as for files: not the real or saved one. */
TEST(euid_decides_access)
{
	guid_bytes *ids = shared_alloc(2 * sizeof(guid_bytes));
	int dev = dev_open();
	pid_t pid;

	pid = th_fork();
	if (pid == 0) {
		become(1000);
		close(make_dl_job(dev_open(), "1000's", ids[0]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(1001);
		close(make_dl_job(dev_open(), "1001's", ids[1]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(1000, 1001, 1000));
		ASSERT_SYSOK(setresuid(1000, 1001, 1000));
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, ids[0]));
		fd = raw_get(udev, ids[1]);
		EXPECT_SYSOK(fd);
		close(fd);
		/* a job made now is the euid's */
		fd = make_dl_job(udev, "made with euid 1001", NULL);
		EXPECT_EQ(1001, job_owner(fd));
		job_cancel(fd);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	cancel_by_id(dev, ids[0]);
	cancel_by_id(dev, ids[1]);
	close(dev);
}

struct userns_ids {
	guid_bytes root_job, other_job, own_outside, ns_job;
	int ns_ok;
};

TEST(userns_root_is_confined)
{
	struct userns_ids *ids = shared_alloc(sizeof(*ids));
	unsigned int overflowuid = read_long("/proc/sys/kernel/overflowuid");
	int dev = dev_open(), root_fd, fd;
	pid_t pid;

	root_fd = make_dl_job(dev, "root's, seen from a userns", ids->root_job);

	pid = th_fork();
	if (pid == 0) {
		become(1001);
		close(make_dl_job(dev_open(), "1001's", ids->other_job));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(1000);
		close(make_dl_job(dev_open(), "1000's, made outside", ids->own_outside));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		char name[KBITS_DISPLAY_NAME_MAX + 1];
		int udev, ufd;

		enter_userns_as(1000);
		udev = dev_open();
		/* root with every capability in its own namespace only */
		EXPECT_ERRNO(EACCES, raw_get(udev, ids->root_job));
		EXPECT_ERRNO(EACCES, raw_get(udev, ids->other_job));

		/*
		 * its user's job made outside, above its namespace, is not its
		 * own: a sandbox does not get its user's other jobs (issue 12);
		 * one it makes inside is
		 */
		EXPECT_ERRNO(EACCES, raw_get(udev, ids->own_outside));
		ufd = make_dl_job(udev, "made in a userns", ids->ns_job);
		EXPECT_EQ(0, job_owner(ufd));
		close(ufd);
		ufd = raw_get(udev, ids->ns_job);
		ASSERT_SYSOK(ufd);
		EXPECT_EQ(0, job_owner(ufd));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(ufd));
		job_name(ufd, name);
		EXPECT_STREQ("made in a userns", name);
		close(ufd);

		/* root's job fd, inherited: root is not mapped here */
		EXPECT_EQ(overflowuid, job_owner(root_fd));
		ids->ns_ok = 1;
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	if (!ids->ns_ok) {	/* the child failed: clean up */
		cancel_by_id(dev, ids->other_job);
		cancel_by_id(dev, ids->own_outside);
		job_cancel(root_fd);
		return;
	}

	/*
	 * The real root, in a user namespace it made itself, is root there
	 * only: another user's job is refused, and so is its own made
	 * outside (euid 0 is the owner, but the job is above its namespace).
	 */
	pid = th_fork();
	if (pid == 0) {
		int udev;

		enter_userns_as(0);
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, ids->other_job));
		EXPECT_ERRNO(EACCES, raw_get(udev, ids->own_outside));
		EXPECT_ERRNO(EACCES, raw_get(udev, ids->root_job));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* 1000 outside has the job its namespace's root made: it made it */
	pid = th_fork();
	if (pid == 0) {
		int ufd;

		become(1000);
		ufd = raw_get(dev_open(), ids->ns_job);
		EXPECT_SYSOK(ufd);
		if (ufd >= 0)
			EXPECT_EQ(1000, job_owner(ufd));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* Another user's root-in-a-userns may not have the job either. */
	pid = th_fork();
	if (pid == 0) {
		enter_userns_as(1001);
		EXPECT_ERRNO(EACCES, raw_get(dev_open(), ids->ns_job));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* Seen from outside: owned by 1000; the real root may have it. */
	fd = raw_get(dev, ids->ns_job);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(1000, job_owner(fd));
	job_cancel(fd);
	close(fd);
	cancel_by_id(dev, ids->other_job);
	cancel_by_id(dev, ids->own_outside);
	job_cancel(root_fd);
	close(root_fd);
	close(dev);
}

TEST(job_survives_closing_its_fds)
{
	guid_bytes *id = shared_alloc(sizeof(*id));
	int dev, fd;
	pid_t pid;

	/* a process of user 1003 makes a job and exits with nothing open */
	pid = th_fork();
	if (pid == 0) {
		become(1003);
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

		become(1003);
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
	EXPECT_EQ(1003, job_owner(fd));
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

TEST(job_from_fd_rejects_other_fds)
{
	struct kbits_job *j = NULL;
	int pipefd[2], dev = dev_open(), fd, nul;
	guid_bytes id;

	ASSERT_SYSOK(pipe2(pipefd, O_CLOEXEC));
	EXPECT_RET(-EBADF, kbits_job_from_fd(pipefd[0], &j));
	EXPECT_TRUE(j == NULL);
	/* not taken over on failure */
	EXPECT_SYSOK(fcntl(pipefd[0], F_GETFD));
	EXPECT_RET(-EBADF, kbits_job_from_fd(dev, &j));
	EXPECT_SYSOK(fcntl(dev, F_GETFD));
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_SYSOK(nul);
	EXPECT_RET(-EBADF, kbits_job_from_fd(nul, &j));
	close(nul);
	EXPECT_RET(-EBADF, kbits_job_from_fd(nul, &j));	/* closed */
	EXPECT_RET(-EBADF, kbits_job_from_fd(-1, &j));

	fd = make_dl_job(dev, "adopted", id);
	ASSERT_RET(0, kbits_job_from_fd(fd, &j));
	ASSERT_TRUE(j != NULL);
	EXPECT_EQ(fd, kbits_job_fd(j));
	EXPECT_RET(0, kbits_job_cancel(j));
	EXPECT_TRUE(kbits_job_unref(j) == NULL);
	EXPECT_ERRNO(EBADF, fcntl(fd, F_GETFD));
	close(pipefd[0]);
	close(pipefd[1]);
	close(dev);
}

/* CREATE_JOB with every kind of bad pointer: EFAULT, and nothing made. */
TEST(create_bad_pointers_efault)
{
	unsigned int limit = 2;
	pid_t pid;

	param_set("max_jobs_per_user", limit);
	param_set("max_jobs", 1000);

	pid = th_fork();
	if (pid == 0) {
		long ps = page_size();
		void *gone = unmapped_page();
		struct kbits_create_job *ro, *edge;
		guid_bytes ids[3];
		char *pages;
		int dev, before, fd, i;

		become(2010);
		dev = dev_open();
		before = lowest_free_fd();

		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, (void *)1));
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, gone));
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, KADDR));

		/* the name pointer */
		EXPECT_ERRNO(EFAULT, raw_create(dev, NULL, 4, 0, NULL));
		EXPECT_ERRNO(EFAULT, raw_create(dev, (void *)1, 4, 0, NULL));
		EXPECT_ERRNO(EFAULT, raw_create(dev, gone, 4, 0, NULL));
		EXPECT_ERRNO(EFAULT, raw_create(dev, KADDR, 4, 0, NULL));

		/* a struct whose tail runs into an unmapped page */
		pages = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, pages);
		ASSERT_SYSOK(munmap(pages + ps, ps));
		edge = (void *)(pages + ps - 8);
		memset(edge, 0, 8);
		edge->size = sizeof(*edge);
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, edge));

		/*
		 * A struct the kernel can read but not write: the job would be
		 * made, then the GUID cannot be returned.  Neither the job nor
		 * the fd may stay.
		 */
		ro = (void *)pages;
		memset(ro, 0, sizeof(*ro));
		ro->size = sizeof(*ro);
		ro->name = (uintptr_t)"read-only";
		ro->name_len = strlen("read-only");
		ASSERT_SYSOK(mprotect(pages, ps, PROT_READ));
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, ro));
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, ro));
		EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, ro));

		/* no fd was left behind ... */
		EXPECT_EQ(before, lowest_free_fd());

		/* ... nor any job: the user can still make exactly @limit */
		for (i = 0; i < (int)limit; i++) {
			fd = raw_create_str(dev, "counted", ids[i]);
			EXPECT_SYSOK(fd);
			if (fd < 0)
				TH_LOG("job %d of %u refused: a failed CREATE_JOB left a job behind?",
				       i + 1, limit);
			close(fd);
		}
		EXPECT_ERRNO(EDQUOT, raw_create_str(dev, "one too many", NULL));
		for (i = 0; i < (int)limit; i++) {
			fd = raw_get(dev, ids[i]);
			if (fd >= 0) {
				job_cancel(fd);
				close(fd);
			}
		}
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
}

TEST(get_bad_pointers_efault)
{
	int dev = dev_open(), fd, before;
	struct kbits_get_job *ro;
	struct kbits_job_string s;
	void *gone = unmapped_page();
	char *page;
	guid_bytes id;

	fd = make_dl_job(dev, "bad pointers", id);
	before = lowest_free_fd();

	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_GET_JOB, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_GET_JOB, (void *)1));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_GET_JOB, gone));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_GET_JOB, KADDR));
	EXPECT_EQ(before, lowest_free_fd());

	/* GET_JOB only reads its struct: a read-only one is fine */
	page = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ro = (void *)page;
	ro->size = sizeof(*ro);
	memcpy(ro->id, id, sizeof(id));
	ASSERT_SYSOK(mprotect(page, page_size(), PROT_READ));
	int fd2 = ioctl(dev, KBITS_IOC_GET_JOB, ro);

	EXPECT_SYSOK(fd2);
	close(fd2);

	/* the job fd's ioctls */
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_ID, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_ID, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_TYPE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_STATE, (void *)1));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_OWNER, gone));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_ID, page));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, KADDR));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = 64;
	s.buf = (uintptr_t)gone;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	s.buf = (uintptr_t)page;	/* read-only */
	s.len = 64;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	s.buf = (uintptr_t)KADDR;
	s.len = 64;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));

	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(flags_and_reserved_einval)
{
	struct kbits_create_job c;
	struct kbits_get_job g;
	struct kbits_job_string s;
	int dev = dev_open(), fd, before;
	char buf[64];
	guid_bytes id;

	fd = make_dl_job(dev, "flags", id);
	before = lowest_free_fd();

#define CREATE_WITH(field, value) do {					\
	memset(&c, 0, sizeof(c));					\
	c.size = sizeof(c);						\
	c.name = (uintptr_t)"x";					\
	c.name_len = 1;							\
	c.field = (value);						\
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_CREATE_JOB, &c));	\
} while (0)
	CREATE_WITH(flags, 1);
	CREATE_WITH(flags, 0x80000000u);
	CREATE_WITH(reserved[0], 1);
	CREATE_WITH(reserved[1], 1ull << 63);
#undef CREATE_WITH

	/* the GUID is right: only the flag or reserved field is wrong */
#define GET_WITH(field, value) do {					\
	memset(&g, 0, sizeof(g));					\
	g.size = sizeof(g);						\
	memcpy(g.id, id, sizeof(id));					\
	g.field = (value);						\
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_GET_JOB, &g));	\
} while (0)
	GET_WITH(flags, 1);
	GET_WITH(flags, 0x80000000u);
	GET_WITH(reserved[0], 1);
	GET_WITH(reserved[1], 1ull << 63);
#undef GET_WITH
	EXPECT_EQ(before, lowest_free_fd());

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = sizeof(buf);
	s.buf = (uintptr_t)buf;
	s.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* A struct of @size bytes in a buffer; the bytes past the known struct are 0. */
union big_struct {
	struct kbits_create_job c;
	struct kbits_get_job g;
	struct kbits_job_string s;
	uint8_t bytes[128];
};

TEST(struct_size_versions)
{
	static const uint32_t small[] = { 0, 1, 4, 8, 39 };
	char name[KBITS_DISPLAY_NAME_MAX + 1];
	int dev = dev_open(), fd, fd2, before;
	union big_struct b;
	guid_bytes id;
	size_t i;

	fd = make_dl_job(dev, "sizes", id);
	before = lowest_free_fd();

	/* CREATE_JOB: too small */
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.c.size = small[i];
		b.c.name = (uintptr_t)"x";
		b.c.name_len = 1;
		EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_CREATE_JOB, &b));
	}
	memset(&b, 0, sizeof(b));
	b.c.size = KBITS_CREATE_JOB_SIZE_VER0 - 1;
	b.c.name = (uintptr_t)"x";
	b.c.name_len = 1;
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_CREATE_JOB, &b));

	/* CREATE_JOB: larger, tail not zero */
	memset(&b, 0, sizeof(b));
	b.c.size = sizeof(b);
	b.c.name = (uintptr_t)"x";
	b.c.name_len = 1;
	b.bytes[sizeof(b) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(dev, KBITS_IOC_CREATE_JOB, &b));
	b.bytes[sizeof(b) - 1] = 0;
	b.bytes[sizeof(struct kbits_create_job)] = 0x80;
	EXPECT_ERRNO(E2BIG, ioctl(dev, KBITS_IOC_CREATE_JOB, &b));
	EXPECT_EQ(before, lowest_free_fd());

	/* CREATE_JOB: larger, tail zero: fine, and the GUID is written */
	b.bytes[sizeof(struct kbits_create_job)] = 0;
	fd2 = ioctl(dev, KBITS_IOC_CREATE_JOB, &b);
	ASSERT_SYSOK(fd2);
	{
		guid_bytes got;

		job_id(fd2, got);
		EXPECT_MEMEQ(b.c.id, got, sizeof(got));
	}
	job_cancel(fd2);
	close(fd2);

	/* GET_JOB */
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.g.size = small[i];
		memcpy(b.g.id, id, sizeof(id));
		EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_GET_JOB, &b));
	}
	memset(&b, 0, sizeof(b));
	b.g.size = sizeof(b);
	memcpy(b.g.id, id, sizeof(id));
	b.bytes[sizeof(struct kbits_get_job) + 3] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(dev, KBITS_IOC_GET_JOB, &b));
	b.bytes[sizeof(struct kbits_get_job) + 3] = 0;
	fd2 = ioctl(dev, KBITS_IOC_GET_JOB, &b);
	EXPECT_SYSOK(fd2);
	close(fd2);
	EXPECT_EQ(before, lowest_free_fd());

	/* GET_DISPLAY_NAME */
	memset(&b, 0, sizeof(b));
	b.s.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
	b.s.len = sizeof(name);
	b.s.buf = (uintptr_t)name;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &b));
	b.s.size = sizeof(b);
	b.bytes[100] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &b));
	b.bytes[100] = 0;
	memset(name, 'z', sizeof(name));
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &b));
	EXPECT_EQ(strlen("sizes"), b.s.len);
	EXPECT_STREQ("sizes", name);

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* @name of @len bytes must be refused with @err, leaving no fd behind. */
static void create_fails(int dev, const char *name, size_t len, int err)
{
	int before = lowest_free_fd(), fd;

	errno = 0;
	fd = raw_create(dev, name, len, KBITS_JOB_TYPE_DOWNLOAD, NULL);
	if (fd != -1 || errno != err) {
		char hex[3 * 16 + 1] = "";
		size_t i;

		for (i = 0; i < len && i < 16 && len <= KBITS_DISPLAY_NAME_MAX; i++)
			snprintf(hex + 3 * i, 4, "%02x ", (uint8_t)name[i]);
		th_fail(__FILE__, __LINE__, false,
			"name of %zu bytes [%s]: expected -1/%s, got %d/%s",
			len, hex, th_errname(err), fd,
			fd == -1 ? th_errname(errno) : "-");
		if (fd >= 0) {
			ioctl(fd, KBITS_JOB_IOC_CANCEL);
			close(fd);
		}
	}
	EXPECT_EQ(before, lowest_free_fd());
}

/* @name of @len bytes must be taken and read back unchanged. */
static void create_roundtrip(int dev, const char *name, size_t len)
{
	char got[KBITS_DISPLAY_NAME_MAX + 1];
	uint32_t n;
	int fd;

	fd = raw_create(dev, name, len, KBITS_JOB_TYPE_DOWNLOAD, NULL);
	if (fd < 0) {
		th_fail(__FILE__, __LINE__, false,
			"name of %zu bytes starting %02x: refused with %s",
			len, len ? (uint8_t)name[0] : 0, th_errname(errno));
		return;
	}
	n = job_name(fd, got);
	EXPECT_EQ(len, n);
	EXPECT_TRUE(n == len && !memcmp(name, got, len));
	job_cancel(fd);
	close(fd);
}

#define FAILS(dev, lit, err) create_fails(dev, lit, sizeof(lit) - 1, err)
#define ROUNDTRIP(dev, lit) create_roundtrip(dev, lit, sizeof(lit) - 1)

TEST(name_with_nul_einval)
{
	int dev = dev_open();

	FAILS(dev, "ab\0cd", EINVAL);
	FAILS(dev, "\0", EINVAL);
	FAILS(dev, "abc\0", EINVAL);
	FAILS(dev, "\0abc", EINVAL);
	close(dev);
}

TEST(name_invalid_utf8_einval)
{
	int dev = dev_open();

	FAILS(dev, "\xff", EINVAL);
	FAILS(dev, "\xfe", EINVAL);
	FAILS(dev, "\xc0\x80", EINVAL);		/* overlong NUL */
	FAILS(dev, "\xc1\xbf", EINVAL);		/* overlong 2 bytes */
	FAILS(dev, "\xe0\x80\xaf", EINVAL);	/* overlong '/' in 3 */
	FAILS(dev, "\xf0\x80\x80\xaf", EINVAL);	/* overlong '/' in 4 */
	FAILS(dev, "\xe2\x82", EINVAL);		/* truncated euro sign */
	FAILS(dev, "abc\xe2\x82", EINVAL);
	FAILS(dev, "\xe2\x82x", EINVAL);
	FAILS(dev, "\x80", EINVAL);		/* lone continuation byte */
	FAILS(dev, "a\xbf" "b", EINVAL);
	FAILS(dev, "\xc3", EINVAL);
	FAILS(dev, "\xc3\xc3\xa9", EINVAL);
	close(dev);
}

TEST(name_utf8_is_strict)
{
	int dev = dev_open();

	FAILS(dev, "\xed\xa0\x80", EINVAL);		/* U+D800 surrogate */
	FAILS(dev, "\xed\xbf\xbf", EINVAL);		/* U+DFFF surrogate */
	FAILS(dev, "\xf4\x90\x80\x80", EINVAL);	/* U+110000 */
	FAILS(dev, "\xf7\xbf\xbf\xbf", EINVAL);
	FAILS(dev, "\xf8\x88\x80\x80\x80", EINVAL);	/* 5-byte form */

	/* the edges of every length are valid */
	ROUNDTRIP(dev, "\x01");
	ROUNDTRIP(dev, "\x7f");
	ROUNDTRIP(dev, "\xc2\x80");		/* U+0080 */
	ROUNDTRIP(dev, "\xdf\xbf");		/* U+07FF */
	ROUNDTRIP(dev, "\xe0\xa0\x80");		/* U+0800 */
	ROUNDTRIP(dev, "\xed\x9f\xbf");		/* U+D7FF */
	ROUNDTRIP(dev, "\xee\x80\x80");		/* U+E000 */
	ROUNDTRIP(dev, "\xef\xbf\xbf");		/* U+FFFF */
	ROUNDTRIP(dev, "\xf0\x90\x80\x80");	/* U+10000 */
	ROUNDTRIP(dev, "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	ROUNDTRIP(dev, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80");
	close(dev);
}

TEST(name_lengths)
{
	char name[2 * KBITS_DISPLAY_NAME_MAX];
	int dev = dev_open(), fd;
	int i;

	/* empty */
	create_roundtrip(dev, "", 0);
	fd = raw_create(dev, "ignored", 0, KBITS_JOB_TYPE_DOWNLOAD, NULL);
	ASSERT_SYSOK(fd);
	{
		char got[KBITS_DISPLAY_NAME_MAX + 1];

		EXPECT_EQ(0, job_name(fd, got));
		EXPECT_STREQ("", got);
	}
	job_cancel(fd);
	close(fd);

	/* 256 bytes, ASCII and 4-byte characters */
	memset(name, 'a', sizeof(name));
	create_roundtrip(dev, name, KBITS_DISPLAY_NAME_MAX);
	for (i = 0; i < KBITS_DISPLAY_NAME_MAX; i += 4)
		memcpy(name + i, "\xf0\x9f\x98\x80", 4);
	create_roundtrip(dev, name, KBITS_DISPLAY_NAME_MAX);

	/* 257 and more */
	memset(name, 'a', sizeof(name));
	create_fails(dev, name, KBITS_DISPLAY_NAME_MAX + 1, ENAMETOOLONG);
	create_fails(dev, name, sizeof(name), ENAMETOOLONG);
	memcpy(name + KBITS_DISPLAY_NAME_MAX - 1, "\xc3\xa9", 2);
	create_fails(dev, name, KBITS_DISPLAY_NAME_MAX + 1, ENAMETOOLONG);
	/* a huge length with a short buffer: refused before reading */
	create_fails(dev, "abc", 0xffffffffu, ENAMETOOLONG);
	create_fails(dev, "abc", 0x80000000u, ENAMETOOLONG);
	close(dev);
}

TEST(display_name_erange)
{
	static const char name[] = "twelve bytes";
	struct kbits_job_string s;
	int dev = dev_open(), fd;
	char buf[64];
	size_t i;

	fd = make_dl_job(dev, name, NULL);

	/* room for the string but not its NUL */
	memset(buf, 'Z', sizeof(buf));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = strlen(name);
	s.buf = (uintptr_t)buf;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(strlen(name), s.len);
	for (i = 0; i < sizeof(buf) && buf[i] == 'Z'; i++)
		;
	EXPECT_EQ(sizeof(buf), i);	/* nothing written */

	/* asking for the length: len 0, no buffer */
	s.len = 0;
	s.buf = 0;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(strlen(name), s.len);

	/* exactly enough */
	s.len = strlen(name) + 1;
	s.buf = (uintptr_t)buf;
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(strlen(name), s.len);
	EXPECT_STREQ(name, buf);
	EXPECT_EQ('Z', buf[strlen(name) + 1]);
	job_cancel(fd);
	close(fd);

	/* the empty name needs one byte */
	fd = raw_create(dev, "", 0, KBITS_JOB_TYPE_DOWNLOAD, NULL);
	ASSERT_SYSOK(fd);
	s.len = 0;
	s.buf = (uintptr_t)buf;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(0, s.len);
	s.len = 1;
	buf[0] = 'Z';
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(0, s.len);
	EXPECT_EQ(0, buf[0]);

	/* and libkbits gets it whole */
	{
		struct kbits_job *j = NULL;
		char *got = NULL;
		int lfd = make_dl_job(dev, name, NULL);

		ASSERT_RET(0, kbits_job_from_fd(lfd, &j));
		EXPECT_RET(0, kbits_job_get_display_name(j, &got));
		EXPECT_STREQ(name, got);
		free(got);
		EXPECT_RET(0, kbits_job_cancel(j));
		kbits_job_unref(j);
	}
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(unknown_ioctls_enotty)
{
	int dev = dev_open(), fd;
	uint8_t buf[256];
	guid_bytes id;

	memset(buf, 0, sizeof(buf));
	fd = make_dl_job(dev, "ioctls", id);

	/* unknown numbers, of our magic and of another */
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IO(KBITS_IOC_MAGIC, 0x7f)));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOR(KBITS_IOC_MAGIC, 0x03, __u32), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOWR('T', 0x01, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, FIONREAD, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(KBITS_IOC_MAGIC, 0x7f)));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOR(KBITS_IOC_MAGIC, 0x46, __u32), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOWR('T', 0x01, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, FIONREAD, buf));

	/* a known number with another size is another command */
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOC(_IOC_READ | _IOC_WRITE, KBITS_IOC_MAGIC,
					     0x01, 64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOC(_IOC_WRITE, KBITS_IOC_MAGIC, 0x02, 56), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOR(KBITS_IOC_MAGIC, 0x42, __u64), buf));

	/* each fd kind refuses the other's commands */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_IOC_CREATE_JOB, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, KBITS_IOC_GET_JOB, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_GET_ID, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_GET_TYPE, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_GET_STATE, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_GET_OWNER, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_GET_DISPLAY_NAME, buf));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_CANCEL));

	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(scm_rights_fd_is_a_capability)
{
	int sv[2], dev = dev_open(), fd;
	guid_bytes id;
	pid_t pid;

	fd = make_dl_job(dev, "passed over a socket", id);
	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

	pid = th_fork();
	if (pid == 0) {
		struct kbits_job *j = NULL;
		enum kbits_job_state st;
		guid_bytes got;
		int jfd, udev;

		close(sv[0]);
		close(fd);
		close(dev);
		become(1002);
		jfd = recv_fd(sv[1]);
		ASSERT_SYSOK(jfd);

		/* the fd works for us although the job is root's ... */
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(jfd));
		EXPECT_EQ(0, job_owner(jfd));
		job_id(jfd, got);
		EXPECT_MEMEQ(id, got, sizeof(got));
		/* ... while the GUID alone does not */
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, id));

		ASSERT_RET(0, kbits_job_from_fd(jfd, &j));
		EXPECT_RET(0, kbits_job_get_state(j, &st));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, st);
		EXPECT_RET(0, kbits_job_cancel(j));
		EXPECT_RET(0, kbits_job_get_state(j, &st));
		EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, st);
		kbits_job_unref(j);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_SYSOK(send_fd(sv[0], fd));
	ASSERT_CHILD_OK(pid);

	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(fd));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	close(sv[0]);
	close(fd);
	close(dev);
}

TEST(inherited_fd_is_a_capability)
{
	int dev = dev_open(), fd;
	guid_bytes id;
	pid_t pid;

	fd = make_dl_job(dev, "inherited", id);
	pid = th_fork();
	if (pid == 0) {
		become(1005);
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		EXPECT_ERRNO(EACCES, raw_get(dev, id));
		job_cancel(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(fd));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	close(fd);
	close(dev);
}

TEST(per_user_limit_edquot)
{
	enum { LIMIT = 3 };
	guid_bytes (*ids)[LIMIT + 1] = shared_alloc(sizeof(guid_bytes) * (LIMIT + 1));
	int dev = dev_open(), fds[LIMIT + 2], i;
	pid_t pid;

	param_set("max_jobs", 1000);
	param_set("max_jobs_per_user", LIMIT);

	pid = th_fork();
	if (pid == 0) {
		int udev, ufd[LIMIT];

		become(2001);
		udev = dev_open();
		for (i = 0; i < LIMIT; i++)
			ufd[i] = make_dl_job(udev, "limited", (*ids)[i]);
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));

		/* closing fds does not give jobs back: the jobs stay queued */
		for (i = 0; i < LIMIT; i++)
			close(ufd[i]);
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));

		/* cancelling does */
		cancel_by_id(udev, (*ids)[0]);
		close(make_dl_job(udev, "again", (*ids)[0]));
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* the limit is per user */
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd[LIMIT];

		become(2002);
		udev = dev_open();
		for (i = 0; i < LIMIT; i++)
			ufd[i] = make_dl_job(udev, "other user", NULL);
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));
		for (i = 0; i < LIMIT; i++)
			job_cancel(ufd[i]);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* root is exempt */
	for (i = 0; i < LIMIT + 2; i++)
		fds[i] = make_dl_job(dev, "root, beyond the limit", NULL);
	for (i = 0; i < LIMIT + 2; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}

	/* the limit is read at each create: raising it lets 2001 make one more */
	param_set("max_jobs_per_user", LIMIT + 1);
	pid = th_fork();
	if (pid == 0) {
		int udev;

		become(2001);
		udev = dev_open();
		close(make_dl_job(udev, "raised", (*ids)[LIMIT]));
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* root cancelling 2001's jobs gives them back to 2001 */
	for (i = 0; i < LIMIT + 1; i++)
		cancel_by_id(dev, (*ids)[i]);
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd[LIMIT + 1];

		become(2001);
		udev = dev_open();
		for (i = 0; i < LIMIT + 1; i++)
			ufd[i] = make_dl_job(udev, "after cancel", NULL);
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));
		for (i = 0; i < LIMIT + 1; i++)
			job_cancel(ufd[i]);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	close(dev);
}

TEST(system_limit_enospc)
{
	enum { MAX = 5 };
	int dev = dev_open(), fds[MAX + 2], i;
	int *made = shared_alloc(sizeof(int));
	guid_bytes (*ids)[MAX + 1] = shared_alloc(sizeof(guid_bytes) * (MAX + 1));
	pid_t pid;

	param_set("max_jobs_per_user", 1000);
	param_set("max_jobs", MAX);

	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		become(2003);
		udev = dev_open();
		for (i = 0; i < MAX + 1; i++) {
			fd = raw_create_str(udev, "system-wide", (*ids)[i]);
			if (fd < 0)
				break;
			close(fd);
		}
		*made = i;
		EXPECT_EQ(MAX, i);
		if (i == MAX + 1)
			TH_LOG("max_jobs=%d did not stop user 2003", MAX);
		else if (i < MAX)
			TH_LOG("refused after %d jobs (%s): charged jobs left over by another test?",
			       i, th_errname(errno));
		EXPECT_ERRNO(ENOSPC, raw_create_str(udev, "one too many", NULL));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* everybody is out of luck, but root */
	pid = th_fork();
	if (pid == 0) {
		become(2004);
		EXPECT_ERRNO(ENOSPC, raw_create_str(dev_open(), "full", NULL));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	for (i = 0; i < MAX + 2; i++)
		fds[i] = make_dl_job(dev, "root, beyond max_jobs", NULL);
	for (i = 0; i < MAX + 2; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}

	for (i = 0; i < *made; i++)
		cancel_by_id(dev, (*ids)[i]);
	close(dev);
}

TEST(userns_root_is_not_exempt_from_limits)
{
	enum { LIMIT = 2 };
	pid_t pid;

	param_set("max_jobs", 1000);
	param_set("max_jobs_per_user", LIMIT);

	pid = th_fork();
	if (pid == 0) {
		int udev, ufd[LIMIT], i;

		enter_userns_as(2005);
		udev = dev_open();
		for (i = 0; i < LIMIT; i++)
			ufd[i] = make_dl_job(udev, "userns root", NULL);
		/* CAP_SYS_ADMIN in its own namespace exempts nobody */
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));
		for (i = 0; i < LIMIT; i++)
			job_cancel(ufd[i]);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
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

		become(1006);
		udev = dev_open();
		ufd = make_dl_job(udev, "fdinfo 1006", NULL);
		ASSERT_TRUE(fdinfo_get(ufd, "kbits-owner", val, sizeof(val)));
		EXPECT_STREQ("1006", val);
		ASSERT_TRUE(fdinfo_get(ufd, "kbits-state", val, sizeof(val)));
		EXPECT_STREQ("SUSPENDED", val);
		job_cancel(ufd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	close(dev);
}

struct ref_thread {
	struct kbits *m;
	struct kbits_job *j;
	int bad;
};

#define REF_THREADS 8
#define REF_ITERATIONS 10000

static void *ref_thread_fn(void *arg)
{
	struct ref_thread *t = arg;
	enum kbits_job_state st;
	int i;

	for (i = 0; i < REF_ITERATIONS; i++) {
		if (kbits_job_ref(t->j) != t->j)
			__atomic_add_fetch(&t->bad, 1, __ATOMIC_RELAXED);
		if (kbits_ref(t->m) != t->m)
			__atomic_add_fetch(&t->bad, 1, __ATOMIC_RELAXED);
		if (i % 500 == 0 &&
		    (kbits_job_get_state(t->j, &st) ||
		     st != KBITS_JOB_STATE_SUSPENDED))
			__atomic_add_fetch(&t->bad, 1, __ATOMIC_RELAXED);
		if (kbits_job_unref(t->j) != NULL)
			__atomic_add_fetch(&t->bad, 1, __ATOMIC_RELAXED);
		if (kbits_unref(t->m) != NULL)
			__atomic_add_fetch(&t->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_TIMEOUT(lib_refcounts_from_threads, 300)
{
	struct ref_thread t = { 0 };
	pthread_t th[REF_THREADS];
	int i, jfd, mfd;

	ASSERT_EQ(-1, find_dev_fd());
	ASSERT_RET(0, kbits_new(&t.m, 0));
	mfd = find_dev_fd();
	ASSERT_GE(mfd, 0);
	ASSERT_RET(0, kbits_create_job(t.m, "threads", KBITS_JOB_TYPE_DOWNLOAD,
				       NULL, &t.j));
	jfd = kbits_job_fd(t.j);
	ASSERT_GE(jfd, 0);

	for (i = 0; i < REF_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, ref_thread_fn, &t));
	for (i = 0; i < REF_THREADS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	EXPECT_EQ(0, t.bad);

	/* our own references are still there */
	EXPECT_SYSOK(fcntl(jfd, F_GETFD));
	EXPECT_SYSOK(fcntl(mfd, F_GETFD));
	EXPECT_EQ(mfd, find_dev_fd());
	EXPECT_RET(0, kbits_job_cancel(t.j));

	/* one more reference each, then the final unrefs */
	EXPECT_TRUE(kbits_job_ref(t.j) == t.j);
	EXPECT_TRUE(kbits_ref(t.m) == t.m);
	EXPECT_TRUE(kbits_job_unref(t.j) == NULL);
	EXPECT_TRUE(kbits_unref(t.m) == NULL);
	EXPECT_SYSOK(fcntl(jfd, F_GETFD));
	EXPECT_SYSOK(fcntl(mfd, F_GETFD));
	EXPECT_TRUE(kbits_job_unref(t.j) == NULL);
	EXPECT_ERRNO(EBADF, fcntl(jfd, F_GETFD));
	EXPECT_SYSOK(fcntl(mfd, F_GETFD));
	EXPECT_TRUE(kbits_unref(t.m) == NULL);
	EXPECT_ERRNO(EBADF, fcntl(mfd, F_GETFD));
	EXPECT_EQ(-1, find_dev_fd());

	/* NULL is accepted */
	EXPECT_TRUE(kbits_unref(NULL) == NULL);
	EXPECT_TRUE(kbits_job_unref(NULL) == NULL);
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

TEST(lib_roundtrip)
{
	struct kbits_job *j = NULL, *j2 = NULL;
	struct kbits_guid g, g2;
	enum kbits_job_state st;
	enum kbits_job_type ty;
	struct kbits *m = NULL;
	char *name = NULL;
	uid_t owner;
	char big[KBITS_DISPLAY_NAME_MAX + 2];

	EXPECT_RET(-EINVAL, kbits_new(&m, 0x80000000u));
	ASSERT_RET(0, kbits_new(&m, 0));

	ASSERT_RET(0, kbits_create_job(m, "libkbits \xe2\x9c\x93",
				       KBITS_JOB_TYPE_UPLOAD_REPLY, &g, &j));
	ASSERT_RET(0, kbits_job_get_id(j, &g2));
	EXPECT_MEMEQ(g.bytes, g2.bytes, sizeof(g.bytes));
	ASSERT_RET(0, kbits_job_get_type(j, &ty));
	EXPECT_EQ(KBITS_JOB_TYPE_UPLOAD_REPLY, ty);
	ASSERT_RET(0, kbits_job_get_state(j, &st));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, st);
	EXPECT_STREQ("SUSPENDED", kbits_job_state_name(st));
	EXPECT_STREQ("UPLOAD_REPLY", kbits_job_type_name(ty));
	ASSERT_RET(0, kbits_job_get_owner(j, &owner));
	EXPECT_EQ(0, owner);
	ASSERT_RET(0, kbits_job_get_display_name(j, &name));
	EXPECT_STREQ("libkbits \xe2\x9c\x93", name);
	free(name);

	ASSERT_RET(0, kbits_get_job(m, &g, &j2));
	EXPECT_NE(kbits_job_fd(j), kbits_job_fd(j2));
	ASSERT_RET(0, kbits_job_get_id(j2, &g2));
	EXPECT_MEMEQ(g.bytes, g2.bytes, sizeof(g.bytes));

	EXPECT_RET(0, kbits_job_cancel(j));
	EXPECT_RET(-EBADFD, kbits_job_cancel(j2));
	ASSERT_RET(0, kbits_job_get_state(j2, &st));
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, st);
	kbits_job_unref(j2);
	j2 = NULL;
	EXPECT_RET(-ENOENT, kbits_get_job(m, &g, &j2));
	kbits_job_unref(j);

	/* creating with neither id nor job wanted */
	EXPECT_RET(-EINVAL, kbits_create_job(m, "\xc0\x80", KBITS_JOB_TYPE_DOWNLOAD,
					     NULL, NULL));
	EXPECT_RET(-EINVAL, kbits_create_job(m, "x", 3, NULL, NULL));
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	EXPECT_RET(-ENAMETOOLONG, kbits_create_job(m, big, KBITS_JOB_TYPE_DOWNLOAD,
						   NULL, NULL));
	big[KBITS_DISPLAY_NAME_MAX] = 0;
	ASSERT_RET(0, kbits_create_job(m, big, KBITS_JOB_TYPE_DOWNLOAD, &g, NULL));
	ASSERT_RET(0, kbits_get_job(m, &g, &j));
	ASSERT_RET(0, kbits_job_get_display_name(j, &name));
	EXPECT_STREQ(big, name);
	free(name);
	EXPECT_RET(0, kbits_job_cancel(j));
	kbits_job_unref(j);
	kbits_unref(m);
}

/* The job-model calls of libkbits, each against the real module. */
TEST(lib_job_model_roundtrip)
{
	static const struct kbits_file_info set[] = {
		{ "https://example.org/a.iso", "/tmp/kbits-a.iso" },
		{ "file:///etc/hostname", "/tmp/kbits-hostname" },
	};
	struct kbits_job *j = NULL, *up = NULL, *again = NULL;
	struct kbits_job_progress p;
	struct kbits_job_times t;
	enum kbits_job_priority prio;
	enum kbits_job_state st;
	struct kbits_file *files = NULL;
	struct kbits *m = NULL;
	struct kbits_guid g;
	char *desc = NULL, *name = NULL;
	uint32_t v;
	size_t n;

	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "model", KBITS_JOB_TYPE_DOWNLOAD, &g, &j));

	/* the defaults */
	ASSERT_RET(0, kbits_job_get_priority(j, &prio));
	EXPECT_EQ(KBITS_PRIORITY_NORMAL, prio);
	ASSERT_RET(0, kbits_job_get_notify_flags(j, &v));
	EXPECT_EQ(KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR, v);
	ASSERT_RET(0, kbits_job_get_min_retry_delay(j, &v));
	EXPECT_EQ(600, v);
	ASSERT_RET(0, kbits_job_get_no_progress_timeout(j, &v));
	EXPECT_EQ(1209600, v);
	ASSERT_RET(0, kbits_job_get_max_download_time(j, &v));
	EXPECT_EQ(7776000, v);
	v = 99;
	ASSERT_RET(0, kbits_job_get_transfer_time(j, &v));
	EXPECT_EQ(0, v);
	ASSERT_RET(0, kbits_job_get_error_count(j, &v));
	EXPECT_EQ(0, v);
	ASSERT_RET(0, kbits_job_get_times(j, &t));
	EXPECT_GT(t.creation_time, 0);
	EXPECT_EQ(t.creation_time, t.modification_time);
	EXPECT_EQ(0, t.transfer_completion_time);
	ASSERT_RET(0, kbits_job_get_description(j, &desc));
	EXPECT_STREQ("", desc);
	free(desc);
	ASSERT_RET(0, kbits_job_get_progress(j, &p));
	EXPECT_EQ(0, p.bytes_total);
	EXPECT_EQ(0, p.bytes_transferred);
	EXPECT_EQ(0, p.files_total);
	EXPECT_EQ(0, p.files_transferred);
	ASSERT_RET(0, kbits_job_get_files(j, &files, &n));
	EXPECT_EQ(0, n);
	EXPECT_TRUE(files == NULL);
	EXPECT_RET(-ENODATA, kbits_job_resume(j));
	{
		struct kbits_error e;

		EXPECT_RET(-ENOMSG, kbits_job_get_error(j, &e));
		EXPECT_TRUE(e.text == NULL);
	}

	/* setters */
	EXPECT_RET(0, kbits_job_set_display_name(j, "renamed"));
	ASSERT_RET(0, kbits_job_get_display_name(j, &name));
	EXPECT_STREQ("renamed", name);
	free(name);
	EXPECT_RET(0, kbits_job_set_description(j, "what it is for"));
	ASSERT_RET(0, kbits_job_get_description(j, &desc));
	EXPECT_STREQ("what it is for", desc);
	free(desc);
	EXPECT_RET(0, kbits_job_set_priority(j, KBITS_PRIORITY_FOREGROUND));
	ASSERT_RET(0, kbits_job_get_priority(j, &prio));
	EXPECT_EQ(KBITS_PRIORITY_FOREGROUND, prio);
	EXPECT_RET(-EINVAL, kbits_job_set_priority(j, (enum kbits_job_priority)4));
	EXPECT_RET(0, kbits_job_set_notify_flags(j, KBITS_NOTIFY_ALL));
	ASSERT_RET(0, kbits_job_get_notify_flags(j, &v));
	EXPECT_EQ(KBITS_NOTIFY_ALL, v);
	EXPECT_RET(-EINVAL, kbits_job_set_notify_flags(j, 0x20));
	EXPECT_RET(-EINVAL, kbits_job_set_min_retry_delay(j, 4));
	EXPECT_RET(0, kbits_job_set_min_retry_delay(j, 5));
	ASSERT_RET(0, kbits_job_get_min_retry_delay(j, &v));
	EXPECT_EQ(5, v);
	EXPECT_RET(0, kbits_job_set_no_progress_timeout(j, 0));
	ASSERT_RET(0, kbits_job_get_no_progress_timeout(j, &v));
	EXPECT_EQ(0, v);
	EXPECT_RET(0, kbits_job_set_max_download_time(j, 0));	/* no limit */
	ASSERT_RET(0, kbits_job_get_max_download_time(j, &v));
	EXPECT_EQ(0, v);
	EXPECT_RET(0, kbits_job_set_max_download_time(j, 0xffffffffu));
	ASSERT_RET(0, kbits_job_get_max_download_time(j, &v));
	EXPECT_EQ(0xffffffffu, v);
	EXPECT_RET(0, kbits_job_set_max_download_time(j, 3600));
	ASSERT_RET(0, kbits_job_get_max_download_time(j, &v));
	EXPECT_EQ(3600, v);
	/* the other settings did not move */
	ASSERT_RET(0, kbits_job_get_no_progress_timeout(j, &v));
	EXPECT_EQ(0, v);
	ASSERT_RET(0, kbits_job_get_min_retry_delay(j, &v));
	EXPECT_EQ(5, v);
	ASSERT_RET(0, kbits_job_get_transfer_time(j, &v));
	EXPECT_EQ(0, v);

	/* files */
	EXPECT_RET(-EINVAL, kbits_job_add_file(j, "relative/path", "/tmp/x"));
	EXPECT_RET(-EINVAL, kbits_job_add_file(j, "http://h/x", "relative"));
	ASSERT_RET(0, kbits_job_add_file_set(j, set, 2));
	ASSERT_RET(0, kbits_job_add_file(j, "/srv/c", "/tmp/kbits-c"));
	ASSERT_RET(0, kbits_job_get_files(j, &files, &n));
	ASSERT_EQ(3, n);
	EXPECT_STREQ(set[0].remote_name, files[0].remote_name);
	EXPECT_STREQ(set[0].local_name, files[0].local_name);
	EXPECT_STREQ(set[1].remote_name, files[1].remote_name);
	EXPECT_STREQ("/tmp/kbits-c", files[2].local_name);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, files[2].bytes_total);
	EXPECT_EQ(0, files[2].bytes_transferred);
	EXPECT_EQ(0, files[2].completed);
	kbits_files_free(files, n);
	ASSERT_RET(0, kbits_job_get_progress(j, &p));
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, p.bytes_total);
	EXPECT_EQ(3, p.files_total);

	/* states */
	EXPECT_RET(0, kbits_job_resume(j));
	ASSERT_RET(0, kbits_job_get_state(j, &st));
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, st);
	EXPECT_RET(0, kbits_job_suspend(j));
	ASSERT_RET(0, kbits_job_get_state(j, &st));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, st);
	/* nothing finished: a partial complete that keeps no file */
	EXPECT_RET(KBITS_COMPLETE_PARTIAL, kbits_job_complete(j));
	EXPECT_EQ(0x00200017, kbits_hresult(KBITS_COMPLETE_PARTIAL));
	ASSERT_RET(0, kbits_job_get_state(j, &st));
	EXPECT_EQ(KBITS_JOB_STATE_ACKNOWLEDGED, st);
	ASSERT_RET(0, kbits_job_get_files(j, &files, &n));
	EXPECT_EQ(0, n);
	EXPECT_RET(-EBADFD, kbits_job_complete(j));
	EXPECT_RET(-EBADFD, kbits_job_set_description(j, "too late"));
	EXPECT_RET(-ENOENT, kbits_get_job(m, &g, &again));

	/* an upload job: one file, and Complete only once TRANSFERRED */
	ASSERT_RET(0, kbits_create_job(m, "up", KBITS_JOB_TYPE_UPLOAD, NULL, &up));
	ASSERT_RET(0, kbits_job_add_file(up, "http://h/in", "/tmp/kbits-out"));
	EXPECT_RET(-E2BIG, kbits_job_add_file(up, "http://h/in2", "/tmp/kbits-out2"));
	EXPECT_RET(-EBADFD, kbits_job_complete(up));
	EXPECT_RET(0, kbits_job_cancel(up));

	kbits_job_unref(up);
	kbits_job_unref(j);
	kbits_unref(m);
}

/*
 * libkbits's proxy settings and HTTP headers: defaults, round trips, the
 * lengths it refuses itself (ENAMETOOLONG) and those it passes on, the
 * kernel's EINVAL, removal, and EBADFD once the job is final.
 */
TEST(lib_proxy_and_headers)
{
	static char longest[KBITS_HTTP_HEADERS_MAX + 2];
	enum kbits_proxy_usage usage;
	char *list = NULL, *bypass = NULL, *h = NULL;
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;

	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "lib proxy", KBITS_JOB_TYPE_DOWNLOAD, NULL, &j));

	/* the defaults: SYSTEM with empty lists, no headers */
	usage = KBITS_PROXY_OVERRIDE;
	ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
	EXPECT_EQ(KBITS_PROXY_SYSTEM, usage);
	EXPECT_STREQ("", list);
	EXPECT_STREQ("", bypass);
	free(list);
	free(bypass);
	EXPECT_RET(-ENODATA, kbits_job_get_http_headers(j, &h));
	EXPECT_TRUE(h == NULL);

	/* round trips */
	ASSERT_RET(0, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, "http://p.test:8080",
					  "localhost"));
	ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
	EXPECT_EQ(KBITS_PROXY_OVERRIDE, usage);
	EXPECT_STREQ("http://p.test:8080", list);
	EXPECT_STREQ("localhost", bypass);
	free(list);
	free(bypass);
	ASSERT_RET(0, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, "p", NULL));
	ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
	EXPECT_STREQ("p", list);
	EXPECT_STREQ("", bypass);
	free(list);
	free(bypass);
	ASSERT_RET(0, kbits_job_set_proxy(j, KBITS_PROXY_NONE, NULL, NULL));
	ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
	EXPECT_EQ(KBITS_PROXY_NONE, usage);
	EXPECT_STREQ("", list);
	free(list);
	free(bypass);
	ASSERT_RET(0, kbits_job_set_http_headers(j, "X-A: 1\r\nX-B: 2"));
	ASSERT_RET(0, kbits_job_get_http_headers(j, &h));
	EXPECT_STREQ("X-A: 1\r\nX-B: 2", h);
	free(h);
	h = NULL;

	/* what the kernel refuses */
	EXPECT_RET(-EINVAL, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, NULL, NULL));
	EXPECT_RET(-EINVAL, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, "", "b"));
	EXPECT_RET(-EINVAL, kbits_job_set_proxy(j, KBITS_PROXY_SYSTEM, "p", NULL));
	EXPECT_RET(-EINVAL, kbits_job_set_proxy(j, KBITS_PROXY_NONE, NULL, "b"));
	EXPECT_RET(-EINVAL, kbits_job_set_proxy(j, (enum kbits_proxy_usage)3, NULL, NULL));
	EXPECT_RET(-EINVAL, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, "\xff", NULL));
	EXPECT_RET(-EINVAL, kbits_job_set_http_headers(j, "NoColon"));
	EXPECT_RET(-EINVAL, kbits_job_set_http_headers(j, "A: b\nC: d"));
	EXPECT_RET(-EINVAL, kbits_job_get_proxy(j, NULL, &list, &bypass));
	EXPECT_RET(-EINVAL, kbits_job_get_proxy(j, &usage, NULL, &bypass));
	EXPECT_RET(-EINVAL, kbits_job_get_proxy(j, &usage, &list, NULL));
	EXPECT_RET(-EINVAL, kbits_job_get_http_headers(j, NULL));

	/* the longest, and a byte more */
	memset(longest, 'p', KBITS_PROXY_LIST_MAX);
	longest[KBITS_PROXY_LIST_MAX] = '\0';
	ASSERT_RET(0, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, longest, longest));
	ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
	EXPECT_STREQ(longest, list);
	EXPECT_STREQ(longest, bypass);
	free(list);
	free(bypass);
	longest[KBITS_PROXY_LIST_MAX] = 'p';
	longest[KBITS_PROXY_LIST_MAX + 1] = '\0';
	EXPECT_RET(-ENAMETOOLONG, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, longest, NULL));
	EXPECT_RET(-ENAMETOOLONG, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE, "p", longest));
	memcpy(longest, "X: ", 3);
	memset(longest + 3, 'h', KBITS_HTTP_HEADERS_MAX - 3);
	longest[KBITS_HTTP_HEADERS_MAX] = '\0';
	ASSERT_RET(0, kbits_job_set_http_headers(j, longest));
	ASSERT_RET(0, kbits_job_get_http_headers(j, &h));
	EXPECT_STREQ(longest, h);
	free(h);
	h = NULL;
	longest[KBITS_HTTP_HEADERS_MAX] = 'h';
	longest[KBITS_HTTP_HEADERS_MAX + 1] = '\0';
	EXPECT_RET(-ENAMETOOLONG, kbits_job_set_http_headers(j, longest));

	/* NULL or "" removes the headers */
	ASSERT_RET(0, kbits_job_set_http_headers(j, ""));
	EXPECT_RET(-ENODATA, kbits_job_get_http_headers(j, &h));
	ASSERT_RET(0, kbits_job_set_http_headers(j, "X: y"));
	ASSERT_RET(0, kbits_job_set_http_headers(j, NULL));
	EXPECT_RET(-ENODATA, kbits_job_get_http_headers(j, &h));

	/* final: EBADFD, and the settings can still be read */
	ASSERT_RET(0, kbits_job_cancel(j));
	EXPECT_RET(-EBADFD, kbits_job_set_proxy(j, KBITS_PROXY_SYSTEM, NULL, NULL));
	EXPECT_RET(-EBADFD, kbits_job_set_http_headers(j, "X: y"));
	ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
	EXPECT_EQ(KBITS_PROXY_OVERRIDE, usage);
	free(list);
	free(bypass);

	kbits_job_unref(j);
	kbits_unref(m);
}

/*
 * TAKE_OWNERSHIP: only an administrator over the job (CAP_SYS_ADMIN in the
 * job's namespace, the owner mapped into the caller's); holding the fd is
 * not enough.  The old owner loses the job and its charge.
 */
TEST(take_ownership)
{
	struct shared_id { guid_bytes id; } *sh = shared_alloc(sizeof(*sh));
	struct kbits_job *j = NULL;
	int dev = dev_open(), fd, sv[2];
	pid_t pid;
	char c;

	param_set("max_jobs_per_user", 1);
	pid = th_fork();
	if (pid == 0) {
		become(2400);
		fd = make_dl_job(dev_open(), "to be taken", sh->id);
		/* the owner, unprivileged, may not take it either */
		EXPECT_ERRNO(EPERM, ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	fd = raw_get(dev, sh->id);
	ASSERT_SYSOK(fd);

	/* another user holding the fd, or root of its own namespace */
	pid = th_fork();
	if (pid == 0) {
		become(2401);
		EXPECT_ERRNO(EPERM, ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		enter_userns_as(2401);
		EXPECT_ERRNO(EPERM, ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(2400, job_owner(fd));

	/* a handle of the job 2400 keeps, made before the takeover */
	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		struct kbits_guid g;
		struct kbits_job *old = NULL;
		struct kbits *um = NULL;
		enum kbits_job_state st;
		char c;

		become(2400);
		memcpy(g.bytes, sh->id, sizeof(g.bytes));
		ASSERT_RET(0, kbits_new(&um, 0));
		ASSERT_RET(0, kbits_get_job(um, &g, &old));
		ASSERT_EQ(1, write(sv[1], "r", 1));
		ASSERT_EQ(1, read(sv[1], &c, 1));	/* root took it */
		/* revoked, for libkbits as for the raw ioctls */
		EXPECT_RET(-EACCES, kbits_job_set_description(old, "mine"));
		EXPECT_RET(-EACCES, kbits_job_add_file(old, "http://example.test/x",
						       "/etc/kbits-test-x"));
		EXPECT_RET(-EACCES, kbits_job_resume(old));
		EXPECT_RET(-EACCES, kbits_job_cancel(old));
		EXPECT_RET(-EACCES, kbits_job_get_state(old, &st));
		kbits_job_unref(old);
		kbits_unref(um);
		_exit(0);
	}
	ASSERT_EQ(1, read(sv[0], &c, 1));

	ASSERT_RET(0, kbits_job_from_fd(fd, &j));
	EXPECT_RET(0, kbits_job_take_ownership(j));
	/* the handle's fd number now holds the new fd the takeover gave */
	EXPECT_EQ(0, job_owner(fd));
	EXPECT_EQ(fd, kbits_job_fd(j));
	ASSERT_EQ(1, write(sv[0], "g", 1));
	EXPECT_CHILD_OK(pid);
	close(sv[0]);
	close(sv[1]);

	/* 2400 lost it, and its charge: it may make a job again */
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become(2400);
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, sh->id));
		ufd = raw_create_str(udev, "within the limit again", NULL);
		EXPECT_SYSOK(ufd);
		if (ufd >= 0)
			job_cancel(ufd);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	job_cancel(fd);
	EXPECT_RET(-EBADFD, kbits_job_take_ownership(j));
	kbits_job_unref(j);

	/*
	 * Root of its own namespace may take its own jobs, but that does not
	 * take them off its limit.  A takeover gives a new fd and revokes the
	 * old one.
	 */
	param_set("max_jobs_per_user", 2);
	pid = th_fork();
	if (pid == 0) {
		int udev, ufd[3], i, nfd;

		enter_userns_as(2403);
		udev = dev_open();
		for (i = 0; i < 2; i++) {
			ufd[i] = make_dl_job(udev, "mine", NULL);
			nfd = ioctl(ufd[i], KBITS_JOB_IOC_TAKE_OWNERSHIP);
			ASSERT_SYSOK(nfd);
			EXPECT_ERRNO(EACCES, ioctl(ufd[i], KBITS_JOB_IOC_CANCEL));
			close(ufd[i]);
			ufd[i] = nfd;
		}
		EXPECT_ERRNO(EDQUOT, raw_create_str(udev, "one too many", NULL));
		for (i = 0; i < 2; i++)
			job_cancel(ufd[i]);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
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

/* A job fd's events, non-blocking: how many records were read into @ev. */
static int read_events(int fd, struct kbits_event *ev, int max)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 0) == 0)
		return 0;
	n = read(fd, ev, max * sizeof(*ev));
	ASSERT_SYSOK(n);
	ASSERT_EQ(0, n % sizeof(*ev));
	return n / sizeof(*ev);
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
	EXPECT_EQ(0, read_events(fd, ev, 4));
	ASSERT_SYSOK(fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, read(fd, ev, sizeof(ev[0])));
	EXPECT_ERRNO(EINVAL, read(fd, ev, sizeof(ev[0]) - 1));

	/* JOB_MODIFICATION: every change (this SET_ATTR too), in order */
	set_notify(fd, KBITS_NOTIFY_JOB_MODIFICATION);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	n = read_events(fd, ev, 8);
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
	EXPECT_EQ(0, read_events(late, ev, 4));

	/* the agent's reports: MODIFIED, FILE_TRANSFERRED (asked for), TRANSFERRED */
	set_notify(fd, KBITS_NOTIFY_JOB_MODIFICATION | KBITS_NOTIFY_FILE_TRANSFERRED);
	EXPECT_EQ(1, read_events(late, ev, 4));	/* the SET_ATTR itself */
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	agent_call(agent, KBITS_AGENT_IOC_TAKE_JOB, id, 0, 0, 0);
	agent_call(agent, KBITS_AGENT_IOC_PROGRESS, id, 0, 10, KBITS_FILE_COMPLETED);
	agent_call(agent, KBITS_AGENT_IOC_TRANSFERRED, id, 0, 0, 0);
	close(agent);
	n = read_events(late, ev, 8);
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
	EXPECT_EQ(5, read_events(fd, ev, 8));

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
	n = read_events(late, ev, 40);
	ASSERT_GE(n, 2);
	EXPECT_EQ(KBITS_EVENT_OVERFLOW, ev[0].kind);
	EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[1].kind);
	EXPECT_GT(ev[1].seq, ev[0].seq + 1);	/* the gap it stands for */
	EXPECT_EQ(16, n - 1);			/* the ring keeps 16 */
	for (i = 2; i < n; i++)
		EXPECT_EQ(ev[i - 1].seq + 1, ev[i].seq);

	/* DISABLE: nothing at all */
	set_notify(fd, KBITS_NOTIFY_DISABLE | KBITS_NOTIFY_JOB_MODIFICATION);
	read_events(fd, ev, 40);
	read_events(fd, ev, 40);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str));
	EXPECT_EQ(0, read_events(fd, ev, 4));

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

/* kbits_job_get_error() reads what the agent reported. */
TEST(lib_get_error)
{
	static const char text[] = "HTTP 404: not found";
	struct kbits_agent_error ae;
	struct kbits_agent_job take;
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	struct kbits_error e;
	struct kbits_guid g;
	int dev, agent;

	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "errs", KBITS_JOB_TYPE_DOWNLOAD, &g, &j));
	ASSERT_RET(0, kbits_job_add_file(j, "http://h/missing", "/tmp/kbits-missing"));
	ASSERT_RET(0, kbits_job_resume(j));

	dev = dev_open();
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	close(dev);
	memset(&take, 0, sizeof(take));
	take.size = sizeof(take);
	memcpy(take.id, g.bytes, sizeof(take.id));
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_TAKE_JOB, &take));
	memset(&ae, 0, sizeof(ae));
	ae.size = sizeof(ae);
	memcpy(ae.id, g.bytes, sizeof(ae.id));
	ae.context = KBITS_ERROR_CONTEXT_REMOTE_FILE;
	ae.code = 404;
	ae.file_index = 0;
	ae.text = (uintptr_t)text;
	ae.text_len = sizeof(text) - 1;
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_ERROR, &ae));
	close(agent);

	ASSERT_RET(0, kbits_job_get_error(j, &e));
	EXPECT_EQ(KBITS_ERROR_CONTEXT_REMOTE_FILE, e.context);
	EXPECT_EQ(404, e.code);
	EXPECT_EQ(0, e.file_index);
	EXPECT_STREQ(text, e.text);
	free(e.text);
	EXPECT_RET(0, kbits_job_cancel(j));
	kbits_job_unref(j);
	kbits_unref(m);
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

/* ------------------------------------------------------------ ENUM_JOBS */

_Static_assert(sizeof(struct kbits_guid) == sizeof(guid_bytes),
	       "struct kbits_guid is not 16 bytes");

#define ENUM_GUARD	0xa5	/* fills what the kernel must not write */
#define ENUM_MAX_CALLS	100000	/* no walk of these tests needs that many */

/*
 * ENUM_JOBS with a normal struct: 0 or -1/errno.  *@cursor and *@count go in
 * and, when the call succeeds, come back.
 */
static int raw_enum(int dev, uint32_t flags, uint64_t *cursor, void *ids,
		    uint32_t *count)
{
	struct kbits_enum_jobs e;
	int r;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = flags;
	e.cursor = *cursor;
	e.ids = (uintptr_t)ids;
	e.count = *count;
	r = ioctl(dev, KBITS_IOC_ENUM_JOBS, &e);
	if (r == 0) {
		*cursor = e.cursor;
		*count = e.count;
	}
	return r;
}

/* One ENUM_JOBS call, for the calls that must fail. */
static int enum_once(int dev, uint32_t flags, uint64_t cursor, void *ids,
		     uint32_t count)
{
	return raw_enum(dev, flags, &cursor, ids, &count);
}

/*
 * A whole walk with the raw ioctl from cursor 0, room for @batch GUIDs a
 * call: the GUIDs in the order listed (malloc'd, *@n of them).  Every call
 * must succeed, report at most @batch (and KBITS_ENUM_MAX) GUIDs, write
 * nothing past them and move the cursor; the walk ends at KBITS_ENUM_END.
 */
static guid_bytes *walk_raw(int dev, uint32_t flags, uint32_t batch, size_t *n)
{
	size_t have = 0, room = 64, calls = 0;
	guid_bytes *all = malloc(room * sizeof(*all));
	guid_bytes *buf = malloc(((size_t)batch + 1) * sizeof(*buf));
	uint64_t cursor = 0;

	ASSERT_TRUE(all != NULL);
	ASSERT_TRUE(buf != NULL);
	do {
		uint64_t before = cursor;
		uint32_t count = batch;

		memset(buf, ENUM_GUARD, ((size_t)batch + 1) * sizeof(*buf));
		if (raw_enum(dev, flags, &cursor, buf, &count))
			th_fail_fatal(__FILE__, __LINE__,
				"ENUM_JOBS flags %#x, call %zu (cursor %llu, count %u): %s",
				flags, calls, (unsigned long long)before, batch,
				th_errname(errno));
		ASSERT_LE(count, batch);
		ASSERT_LE(count, KBITS_ENUM_MAX);
		if (!all_bytes(buf[count], ENUM_GUARD,
			       ((size_t)batch + 1 - count) * sizeof(*buf)))
			th_fail_fatal(__FILE__, __LINE__,
				"ENUM_JOBS reported %u GUIDs but wrote past them",
				count);
		if (cursor != KBITS_ENUM_END && cursor == before)
			th_fail_fatal(__FILE__, __LINE__,
				"ENUM_JOBS left the cursor at %llu (%u listed): the walk would not end",
				(unsigned long long)cursor, count);
		while (room - have < count) {
			room *= 2;
			all = realloc(all, room * sizeof(*all));
			ASSERT_TRUE(all != NULL);
		}
		memcpy(all[have], buf, (size_t)count * sizeof(*buf));
		have += count;
		ASSERT_LT(++calls, ENUM_MAX_CALLS);
	} while (cursor != KBITS_ENUM_END);
	free(buf);
	*n = have;
	return all;
}

/* kbits_enum_jobs(): the GUIDs (malloc'd, NULL when none), *@n of them. */
static guid_bytes *walk_lib(struct kbits *m, unsigned int flags, size_t *n)
{
	struct kbits_guid *ids = (void *)1;
	size_t count = 12345;

	ASSERT_RET(0, kbits_enum_jobs(m, flags, &ids, &count));
	if (count)
		ASSERT_TRUE(ids != NULL);
	else
		ASSERT_TRUE(ids == NULL);
	*n = count;
	return (guid_bytes *)ids;
}

static size_t occurrences(const guid_bytes *list, size_t n, const uint8_t *id)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += !memcmp(list[i], id, KBITS_GUID_SIZE);
	return k;
}

static int guid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, KBITS_GUID_SIZE);
}

/* @list sorted, in a copy (malloc'd). */
static guid_bytes *sorted_copy(const guid_bytes *list, size_t n)
{
	guid_bytes *s = malloc((n ? n : 1) * sizeof(*s));

	ASSERT_TRUE(s != NULL);
	if (n)
		memcpy(s, list, n * sizeof(*s));
	qsort(s, n, sizeof(*s), guid_cmp);
	return s;
}

/* How many entries of @list repeat an earlier one. */
static size_t duplicates(const guid_bytes *list, size_t n)
{
	guid_bytes *s = sorted_copy(list, n);
	size_t i, d = 0;

	for (i = 1; i < n; i++)
		d += !memcmp(s[i - 1], s[i], KBITS_GUID_SIZE);
	free(s);
	return d;
}

static void log_guid(const char *what, const uint8_t *id, size_t times)
{
	char s[KBITS_GUID_STRING_LEN];
	struct kbits_guid g;

	memcpy(g.bytes, id, sizeof(g.bytes));
	kbits_guid_format(&g, s);
	TH_LOG("  %s %s (listed %zu times)", what, s, times);
}

/*
 * @list must have each of @want once, none of @absent and no GUID twice;
 * with @exact nothing but @want.
 */
static void check_listing(const char *what, const guid_bytes *list, size_t n,
			  const guid_bytes *want, size_t nwant,
			  const guid_bytes *absent, size_t nabsent, bool exact)
{
	size_t i, dups = duplicates(list, n);
	bool ok = !dups && (!exact || n == nwant);

	for (i = 0; i < nwant; i++)
		ok &= occurrences(list, n, want[i]) == 1;
	for (i = 0; i < nabsent; i++)
		ok &= occurrences(list, n, absent[i]) == 0;
	if (ok)
		return;
	th_fail(__FILE__, __LINE__, false,
		"%s: %zu GUIDs listed (%zu repeated); expected %s%zu of ours once, %zu others not at all",
		what, n, dups, exact ? "exactly " : "", nwant, nabsent);
	for (i = 0; i < nwant; i++)
		log_guid("wanted", want[i], occurrences(list, n, want[i]));
	for (i = 0; i < nabsent; i++)
		log_guid("unwanted", absent[i], occurrences(list, n, absent[i]));
	if (exact)
		for (i = 0; i < n; i++)
			log_guid("listed", list[i], occurrences(list, n, list[i]));
}

/*
 * Walks with @flags through @dev, with the raw ioctl one GUID a call, a few a
 * call and KBITS_ENUM_MAX a call, and with kbits_enum_jobs(); checks each
 * walk with check_listing().
 */
static void check_enum(int dev, uint32_t flags, const guid_bytes *want,
		       size_t nwant, const guid_bytes *absent, size_t nabsent,
		       bool exact)
{
	static const uint32_t batches[] = { 1, 2, 3, KBITS_ENUM_MAX };
	struct kbits *m = NULL;
	guid_bytes *list;
	char what[96];
	size_t i, n;

	for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		list = walk_raw(dev, flags, batches[i], &n);
		snprintf(what, sizeof(what), "ENUM_JOBS flags %#x, %u a call",
			 flags, batches[i]);
		check_listing(what, list, n, want, nwant, absent, nabsent, exact);
		free(list);
	}
	ASSERT_RET(0, kbits_new(&m, 0));
	list = walk_lib(m, flags, &n);
	snprintf(what, sizeof(what), "kbits_enum_jobs flags %#x", flags);
	check_listing(what, list, n, want, nwant, absent, nabsent, exact);
	free(list);
	kbits_unref(m);
}

/* Cleanup: cancels the job when it is still queued; errors do not matter. */
static void drop_job(int dev, const uint8_t *id)
{
	int fd = raw_get(dev, id);

	if (fd >= 0) {
		ioctl(fd, KBITS_JOB_IOC_CANCEL);
		close(fd);
	}
}

/* Takes CAP_SYS_ADMIN out of the effective set: still euid 0. */
static void drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	ASSERT_SYSOK(syscall(SYS_capget, &h, d));
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	ASSERT_SYSOK(syscall(SYS_capset, &h, d));
	ASSERT_EQ(0, geteuid());
}

struct enum_own_ids {
	guid_bytes a[3], b[2], root;
};

/* Without flags: exactly the caller's queued jobs. */
TEST(enum_lists_own_jobs)
{
	struct enum_own_ids *ids = shared_alloc(sizeof(*ids));
	int dev = dev_open(), root_fd, i;
	guid_bytes others[5], *list;
	struct kbits *m = NULL;
	size_t n, k;
	pid_t pid;

	root_fd = make_dl_job(dev, "enum: root's", ids->root);
	pid = th_fork();
	if (pid == 0) {
		int udev;

		become(2020);
		udev = dev_open();
		for (i = 0; i < 3; i++)
			close(make_dl_job(udev, "enum: 2020's", ids->a[i]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		int udev;

		become(2021);
		udev = dev_open();
		for (i = 0; i < 2; i++)
			close(make_dl_job(udev, "enum: 2021's", ids->b[i]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		become(2020);
		check_enum(dev_open(), 0, ids->a, 3, NULL, 0, true);
		/* the /dev/kbits fd root opened lists the caller's, not root's */
		check_enum(dev, 0, ids->a, 3, NULL, 0, true);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(2021);
		check_enum(dev_open(), 0, ids->b, 2, NULL, 0, true);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* root without ALL_USERS: its own (other tests may have left some) */
	memcpy(others, ids->a, sizeof(ids->a));
	memcpy(others + 3, ids->b, sizeof(ids->b));
	check_enum(dev, 0, &ids->root, 1, others, 5, false);
	ASSERT_RET(0, kbits_new(&m, 0));
	list = walk_lib(m, 0, &n);
	for (k = 0; k < n; k++) {
		int fd = raw_get(dev, list[k]);

		EXPECT_SYSOK(fd);
		if (fd >= 0) {
			EXPECT_EQ(0, job_owner(fd));
			close(fd);
		}
	}
	free(list);
	kbits_unref(m);

	/* a cancelled job leaves the list, though a fd of it is still open */
	pid = th_fork();
	if (pid == 0) {
		guid_bytes left[2];
		int udev, fd;

		become(2020);
		udev = dev_open();
		fd = raw_get(udev, ids->a[1]);
		ASSERT_SYSOK(fd);
		job_cancel(fd);
		memcpy(left[0], ids->a[0], sizeof(left[0]));
		memcpy(left[1], ids->a[2], sizeof(left[1]));
		check_enum(udev, 0, left, 2, &ids->a[1], 1, true);
		close(fd);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	job_cancel(root_fd);
	check_enum(dev, 0, NULL, 0, &ids->root, 1, false);

	/* cancelled by root: gone from their owner's list too */
	drop_job(dev, ids->b[0]);
	drop_job(dev, ids->b[1]);
	pid = th_fork();
	if (pid == 0) {
		become(2021);
		check_enum(dev_open(), 0, NULL, 0, NULL, 0, true);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	for (i = 0; i < 3; i++)
		drop_job(dev, ids->a[i]);
	close(root_fd);
	close(dev);
}

TEST(enum_all_users_eacces)
{
	int dev = dev_open(), fd;
	guid_bytes id;
	pid_t pid;

	fd = make_dl_job(dev, "enum: root's, not for users", id);

	pid = th_fork();
	if (pid == 0) {
		struct kbits_guid *list = (void *)1;
		struct kbits *m = NULL;
		guid_bytes buf[4];
		uint64_t cursor = 0;
		uint32_t count = 4;
		size_t n = 99;
		int udev;

		become(2022);
		udev = dev_open();
		EXPECT_ERRNO(EACCES, enum_once(udev, KBITS_ENUM_ALL_USERS, 0, buf, 4));
		/* whatever the cursor and room */
		EXPECT_ERRNO(EACCES, enum_once(udev, KBITS_ENUM_ALL_USERS, 0, buf, 0));
		EXPECT_ERRNO(EACCES, enum_once(udev, KBITS_ENUM_ALL_USERS,
					       KBITS_ENUM_END, buf, 4));
		EXPECT_ERRNO(EACCES, enum_once(udev, KBITS_ENUM_ALL_USERS, 0, buf,
					       KBITS_ENUM_MAX + 1));
		/* the /dev/kbits fd root opened does not make the caller root */
		EXPECT_ERRNO(EACCES, enum_once(dev, KBITS_ENUM_ALL_USERS, 0, buf, 4));

		ASSERT_RET(0, kbits_new(&m, 0));
		EXPECT_RET(-EACCES, kbits_enum_jobs(m, KBITS_ENUM_ALL_USERS, &list, &n));
		EXPECT_TRUE(list == NULL);
		EXPECT_EQ(0, n);

		/* without the flag it may: this user has no jobs */
		list = (void *)1;
		n = 99;
		EXPECT_RET(0, kbits_enum_jobs(m, 0, &list, &n));
		EXPECT_TRUE(list == NULL);
		EXPECT_EQ(0, n);
		EXPECT_SYSOK(raw_enum(udev, 0, &cursor, buf, &count));
		EXPECT_EQ(0, count);
		EXPECT_EQ(KBITS_ENUM_END, cursor);
		kbits_unref(m);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* euid 0 without CAP_SYS_ADMIN is not enough */
	pid = th_fork();
	if (pid == 0) {
		struct kbits_guid *list = (void *)1;
		struct kbits *m = NULL;
		guid_bytes buf[4];
		size_t n = 99;

		drop_cap_sys_admin();
		EXPECT_ERRNO(EACCES, enum_once(dev, KBITS_ENUM_ALL_USERS, 0, buf, 4));
		ASSERT_RET(0, kbits_new(&m, 0));
		EXPECT_RET(-EACCES, kbits_enum_jobs(m, KBITS_ENUM_ALL_USERS, &list, &n));
		EXPECT_TRUE(list == NULL);
		EXPECT_EQ(0, n);
		kbits_unref(m);
		/* its own jobs it lists still */
		check_enum(dev, 0, &id, 1, NULL, 0, false);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* Root with ALL_USERS: everybody's jobs. */
TEST(enum_all_users_root)
{
	/* [0] root's, [1] and [2] 2023's, [3] 2024's */
	guid_bytes *ids = shared_alloc(4 * sizeof(guid_bytes));
	guid_bytes *raw, *lib, *s1, *s2, left[3];
	int dev = dev_open(), root_fd, i;
	struct kbits *m = NULL;
	size_t n1, n2, k;
	pid_t pid;

	root_fd = make_dl_job(dev, "enum: root's, all users", ids[0]);
	pid = th_fork();
	if (pid == 0) {
		int udev;

		become(2023);
		udev = dev_open();
		close(make_dl_job(udev, "enum: 2023's", ids[1]));
		close(make_dl_job(udev, "enum: 2023's too", ids[2]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(2024);
		close(make_dl_job(dev_open(), "enum: 2024's", ids[3]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	check_enum(dev, KBITS_ENUM_ALL_USERS, ids, 4, NULL, 0, false);

	/* one a call or all at once, the same jobs; root may get each */
	raw = walk_raw(dev, KBITS_ENUM_ALL_USERS, 1, &n1);
	ASSERT_RET(0, kbits_new(&m, 0));
	lib = walk_lib(m, KBITS_ENUM_ALL_USERS, &n2);
	EXPECT_EQ(n1, n2);
	if (n1 == n2) {
		s1 = sorted_copy(raw, n1);
		s2 = sorted_copy(lib, n2);
		EXPECT_MEMEQ(s1, s2, n1 * sizeof(*s1));
		free(s1);
		free(s2);
	}
	for (k = 0; k < n1; k++) {
		int fd = raw_get(dev, raw[k]);

		EXPECT_SYSOK(fd);
		close(fd);
	}
	free(raw);
	free(lib);
	kbits_unref(m);

	/* a cancelled job of another user's leaves the list */
	drop_job(dev, ids[1]);
	memcpy(left[0], ids[0], sizeof(left[0]));
	memcpy(left[1], ids[2], sizeof(left[1]));
	memcpy(left[2], ids[3], sizeof(left[2]));
	check_enum(dev, KBITS_ENUM_ALL_USERS, left, 3, &ids[1], 1, false);

	for (i = 1; i < 4; i++)
		drop_job(dev, ids[i]);
	job_cancel(root_fd);
	close(root_fd);
	check_enum(dev, KBITS_ENUM_ALL_USERS, NULL, 0, ids, 4, false);
	close(dev);
}

struct enum_userns_ids {
	guid_bytes root_job;		/* root's */
	guid_bytes other_job;		/* 2026's, made outside */
	guid_bytes own_outside;		/* 2025's, made outside */
	guid_bytes ns_job;		/* made inside by its root (2025) */
	guid_bytes ns_other_job;	/* made inside by its uid 1 (2027) */
	int ns_ok;
};

/*
 * Root of a user namespace that 2025 made, with uids 0 -> 2025 and 1 -> 2027:
 * ALL_USERS is allowed there and lists what it may get, the jobs made in
 * its namespace, but not 2025's made outside (above it; issue 12), nor
 * root's, nor 2026's.
 */
TEST(enum_all_users_in_userns)
{
	struct enum_userns_ids *ids = shared_alloc(sizeof(*ids));
	int dev = dev_open(), root_fd, ready[2], go[2];
	char path[64], c = 0;
	pid_t pid;

	root_fd = make_dl_job(dev, "enum: root's, seen from a userns", ids->root_job);
	pid = th_fork();
	if (pid == 0) {
		become(2026);
		close(make_dl_job(dev_open(), "enum: 2026's", ids->other_job));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(2025);
		close(make_dl_job(dev_open(), "enum: 2025's, made outside",
			       ids->own_outside));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	ASSERT_SYSOK(pipe2(ready, O_CLOEXEC));
	ASSERT_SYSOK(pipe2(go, O_CLOEXEC));
	pid = th_fork();
	if (pid == 0) {
		guid_bytes want[3];
		int udev, e;
		pid_t cpid;

		close(ready[0]);
		close(go[1]);
		become(2025);
		ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
		e = unshare(CLONE_NEWUSER) ? errno : 0;
		ASSERT_EQ(1, write(ready[1], e ? "n" : "r", 1));
		if (e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS)
			SKIP(_exit(0), "user namespaces unavailable: %s",
			     th_errname(e));
		ASSERT_EQ(0, e);
		/* root outside writes a map of two uids, as newuidmap would */
		ASSERT_EQ(1, read(go[0], &c, 1));
		ASSERT_EQ('g', c);
		ASSERT_EQ(0, geteuid());
		udev = dev_open();

		cpid = th_fork();
		if (cpid == 0) {
			int u1dev, fd;

			become(1);
			u1dev = dev_open();
			fd = make_dl_job(u1dev, "enum: made in a userns by its uid 1",
				      ids->ns_other_job);
			EXPECT_EQ(1, job_owner(fd));
			close(fd);
			/* no CAP_SYS_ADMIN any more: its own only */
			check_enum(u1dev, 0, &ids->ns_other_job, 1, NULL, 0, true);
			EXPECT_ERRNO(EACCES, enum_once(u1dev, KBITS_ENUM_ALL_USERS,
						       0, want, 3));
			_exit(0);
		}
		ASSERT_CHILD_OK(cpid);
		close(make_dl_job(udev, "enum: made in a userns by its root",
			       ids->ns_job));

		memcpy(want[0], ids->ns_job, sizeof(want[0]));
		memcpy(want[1], ids->ns_other_job, sizeof(want[1]));
		memcpy(want[2], ids->own_outside, sizeof(want[2]));
		check_enum(udev, KBITS_ENUM_ALL_USERS, want, 2, &want[2], 1, true);
		/* without the flag: what its euid owns, made here */
		check_enum(udev, 0, want, 1, &want[2], 1, true);
		ids->ns_ok = 1;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1 && c == 'r') {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
		write_file(path, "0 2025 1\n1 2027 1\n");
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		write_file(path, "0 2025 1\n1 2027 1\n");
		ASSERT_EQ(1, write(go[1], "g", 1));
	}
	EXPECT_CHILD_OK(pid);

	if (ids->ns_ok) {
		guid_bytes all[5];

		/* another user's root-in-a-userns: nothing of these */
		pid = th_fork();
		if (pid == 0) {
			enter_userns_as(2028);
			check_enum(dev_open(), KBITS_ENUM_ALL_USERS, NULL, 0,
				   NULL, 0, true);
			_exit(0);
		}
		EXPECT_CHILD_OK(pid);

		/* the real root: all of them */
		memcpy(all, ids, sizeof(all));
		check_enum(dev, KBITS_ENUM_ALL_USERS, all, 5, NULL, 0, false);
	}

	drop_job(dev, ids->ns_job);
	drop_job(dev, ids->ns_other_job);
	drop_job(dev, ids->own_outside);
	drop_job(dev, ids->other_job);
	job_cancel(root_fd);
	close(root_fd);
	close(dev);
}

/* Batches with the raw ioctl: the cursor, END and the room. */
TEST(enum_batches)
{
	enum { N = 5 };
	/* [N] is made in the middle of a walk */
	guid_bytes *ids = shared_alloc((N + 1) * sizeof(guid_bytes));
	guid_bytes want[N], root_ids[N], *one, *lib, *s1, *s2;
	int dev = dev_open(), root_fds[N], i;
	struct kbits *m = NULL;
	size_t n1, n2;
	pid_t pid;

	/*
	 * 2029's jobs with root's in between, so that a walk of 2029's steps
	 * over jobs that are not its own: the euid decides the owner.
	 */
	for (i = 0; i < N; i++) {
		ASSERT_SYSOK(setresuid(-1, 2029, -1));
		close(make_dl_job(dev, "enum: batches", ids[i]));
		ASSERT_SYSOK(setresuid(-1, 0, -1));
		root_fds[i] = make_dl_job(dev, "enum: root's, in between", root_ids[i]);
	}

	pid = th_fork();
	if (pid == 0) {
		guid_bytes buf[N + 1], pattern[N + 1], seen[2 * N + 2];
		size_t nseen = 0, calls;
		uint64_t cursor;
		uint32_t count;
		int udev, gone;

		become(2029);
		udev = dev_open();

		/* one a call: each job once, then END (walk_raw checks each call) */
		check_enum(udev, 0, ids, N, root_ids, N, true);

		/* at the end already: nothing listed, nothing written, still END */
		memset(pattern, ENUM_GUARD, sizeof(pattern));
		memcpy(buf, pattern, sizeof(buf));
		cursor = KBITS_ENUM_END;
		count = N;
		EXPECT_SYSOK(raw_enum(udev, 0, &cursor, buf, &count));
		EXPECT_EQ(0, count);
		EXPECT_EQ(KBITS_ENUM_END, cursor);
		EXPECT_MEMEQ(pattern, buf, sizeof(buf));

		/* no room: nothing listed, nothing written */
		cursor = 0;
		count = 0;
		EXPECT_SYSOK(raw_enum(udev, 0, &cursor, buf, &count));
		EXPECT_EQ(0, count);
		EXPECT_MEMEQ(pattern, buf, sizeof(buf));
		cursor = 0;
		count = 0;
		EXPECT_SYSOK(raw_enum(udev, 0, &cursor, NULL, &count));
		EXPECT_EQ(0, count);

		/* room for all: all in one call, and the walk is over */
		cursor = 0;
		count = N + 1;
		EXPECT_SYSOK(raw_enum(udev, 0, &cursor, buf, &count));
		EXPECT_EQ(N, count);
		EXPECT_EQ(KBITS_ENUM_END, cursor);
		EXPECT_MEMEQ(pattern[N], buf[N], sizeof(buf[N]));

		/*
		 * A walk goes on from its cursor while jobs come and go in
		 * between: two listed, then one not listed yet is cancelled
		 * and a new one queued.
		 */
		cursor = 0;
		for (i = 0; i < 2; i++) {
			count = 1;
			ASSERT_SYSOK(raw_enum(udev, 0, &cursor, buf, &count));
			ASSERT_EQ(1, count);
			ASSERT_NE(KBITS_ENUM_END, cursor);
			memcpy(seen[nseen++], buf[0], sizeof(buf[0]));
		}
		for (gone = 0; gone < N; gone++)
			if (!occurrences(seen, nseen, ids[gone]))
				break;
		ASSERT_LT(gone, N);
		cancel_by_id(udev, ids[gone]);
		close(make_dl_job(udev, "enum: made in the middle of a walk", ids[N]));
		for (calls = 0; cursor != KBITS_ENUM_END; calls++) {
			ASSERT_LT(calls, 100);
			count = 1;
			ASSERT_SYSOK(raw_enum(udev, 0, &cursor, buf, &count));
			ASSERT_LE(count, 1);
			if (count) {
				ASSERT_LT(nseen, 2 * N + 2);
				memcpy(seen[nseen++], buf[0], sizeof(buf[0]));
			}
		}
		for (i = 0; i < N; i++) {
			if (i == gone)	/* removed during the walk: may be seen */
				EXPECT_LE(occurrences(seen, nseen, ids[i]), 1);
			else
				EXPECT_EQ(1, occurrences(seen, nseen, ids[i]));
		}
		EXPECT_LE(occurrences(seen, nseen, ids[N]), 1);	/* new: may be seen */
		EXPECT_EQ(0, duplicates(seen, nseen));

		/* the next walk: the new one and not the cancelled one */
		memcpy(want, ids, sizeof(want));
		memcpy(want[gone], ids[N], sizeof(want[gone]));
		check_enum(udev, 0, want, N, &ids[gone], 1, true);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	check_enum(dev, KBITS_ENUM_ALL_USERS, root_ids, N, NULL, 0, false);

	/* root, all users, one a call: the same jobs as kbits_enum_jobs() lists */
	one = walk_raw(dev, KBITS_ENUM_ALL_USERS, 1, &n1);
	ASSERT_RET(0, kbits_new(&m, 0));
	lib = walk_lib(m, KBITS_ENUM_ALL_USERS, &n2);
	EXPECT_EQ(0, duplicates(one, n1));
	EXPECT_EQ(n1, n2);
	if (n1 == n2) {
		s1 = sorted_copy(one, n1);
		s2 = sorted_copy(lib, n2);
		EXPECT_MEMEQ(s1, s2, n1 * sizeof(*s1));
		free(s1);
		free(s2);
	}
	EXPECT_GE(n1, 2 * N);
	free(one);
	free(lib);
	kbits_unref(m);

	for (i = 0; i < N + 1; i++)
		drop_job(dev, ids[i]);
	for (i = 0; i < N; i++) {
		job_cancel(root_fds[i]);
		close(root_fds[i]);
	}
	close(dev);
}

union enum_big {
	struct kbits_enum_jobs e;
	uint8_t bytes[128];
};

TEST(enum_bad_args_einval)
{
	static const uint32_t bad_flags[] = {
		1u << 1, 1u << 2, 1u << 31, KBITS_ENUM_ALL_USERS | 1u << 1, ~0u,
	};
	static const uint64_t bad_cursors[] = {
		(uint64_t)UINT32_MAX + 1, 1ull << 32 | 1, 1ull << 63,
		KBITS_ENUM_END - 1,
	};
	static const uint32_t small[] = {
		0, 1, 4, 8, 16, KBITS_ENUM_JOBS_SIZE_VER0 - 1,
	};
	struct kbits_guid *list = (void *)1;
	struct kbits *m = NULL;
	guid_bytes buf[4], id;
	int dev = dev_open(), fd;
	union enum_big b;
	uint8_t *huge;
	size_t i, n = 99;

	/* a job of root's, so that a call that went through would list it */
	fd = make_dl_job(dev, "enum: bad arguments", id);

#define ENUM_WITH(field, value) do {					\
	memset(&b, 0, sizeof(b));					\
	b.e.size = sizeof(b.e);						\
	b.e.ids = (uintptr_t)buf;					\
	b.e.count = 4;							\
	b.e.field = (value);						\
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));	\
} while (0)
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		ENUM_WITH(flags, bad_flags[i]);
	ENUM_WITH(reserved, 1);
	ENUM_WITH(reserved, 1u << 31);
	for (i = 0; i < sizeof(bad_cursors) / sizeof(bad_cursors[0]); i++) {
		ENUM_WITH(cursor, bad_cursors[i]);
		b.e.flags = KBITS_ENUM_ALL_USERS;
		EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));
	}
#undef ENUM_WITH

	/* the largest slot number is a cursor like any other */
	memset(&b, 0, sizeof(b));
	b.e.size = sizeof(b.e);
	b.e.ids = (uintptr_t)buf;
	b.e.count = 4;
	b.e.cursor = UINT32_MAX;
	EXPECT_SYSOK(ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));
	EXPECT_LE(b.e.count, 4);

	/* sizes: too small */
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.e.size = small[i];
		b.e.ids = (uintptr_t)buf;
		b.e.count = 4;
		EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));
	}
	/* larger, tail not zero */
	memset(&b, 0, sizeof(b));
	b.e.size = sizeof(b);
	b.e.ids = (uintptr_t)buf;
	b.e.count = 4;
	b.bytes[sizeof(b.e)] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));
	b.bytes[sizeof(b.e)] = 0;
	b.bytes[sizeof(b) - 1] = 0x80;
	EXPECT_ERRNO(E2BIG, ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));
	/* larger, tail zero: fine, and root's job is there to list */
	b.bytes[sizeof(b) - 1] = 0;
	EXPECT_SYSOK(ioctl(dev, KBITS_IOC_ENUM_JOBS, &b));
	EXPECT_GE(b.e.count, 1);
	EXPECT_LE(b.e.count, 4);
	/* more than a page */
	huge = calloc(1, page_size() + 8);
	ASSERT_TRUE(huge != NULL);
	((struct kbits_enum_jobs *)huge)->size = page_size() + 1;
	((struct kbits_enum_jobs *)huge)->ids = (uintptr_t)buf;
	((struct kbits_enum_jobs *)huge)->count = 4;
	EXPECT_ERRNO(E2BIG, ioctl(dev, KBITS_IOC_ENUM_JOBS, huge));
	free(huge);

	/* libkbits: unknown flags */
	ASSERT_RET(0, kbits_new(&m, 0));
	EXPECT_RET(-EINVAL, kbits_enum_jobs(m, 1u << 1, &list, &n));
	EXPECT_TRUE(list == NULL);
	EXPECT_EQ(0, n);
	kbits_unref(m);

	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(enum_bad_pointers_efault)
{
	long ps = page_size();
	void *gone = unmapped_page();
	struct kbits_enum_jobs *edge, *ro;
	guid_bytes ids[2], buf[4];
	int dev = dev_open(), fds[2], i;
	char *pages, *ro_page;

	/* two jobs of root's, so that every call has GUIDs to write */
	for (i = 0; i < 2; i++)
		fds[i] = make_dl_job(dev, "enum: bad pointers", ids[i]);

	/* the struct */
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, (void *)1));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, gone));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, KADDR));

	/* the ids pointer */
	EXPECT_ERRNO(EFAULT, enum_once(dev, 0, 0, gone, 4));
	EXPECT_ERRNO(EFAULT, enum_once(dev, KBITS_ENUM_ALL_USERS, 0, gone, 4));
	EXPECT_ERRNO(EFAULT, enum_once(dev, 0, 0, NULL, 4));
	EXPECT_ERRNO(EFAULT, enum_once(dev, 0, 0, (void *)1, 4));
	EXPECT_ERRNO(EFAULT, enum_once(dev, 0, 0, KADDR, 4));

	pages = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_SYSOK(munmap(pages + ps, ps));
	/* room for one GUID before the unmapped page: the second faults */
	EXPECT_ERRNO(EFAULT, enum_once(dev, 0, 0, pages + ps - KBITS_GUID_SIZE, 2));
	EXPECT_SYSOK(enum_once(dev, 0, 0, pages + ps - KBITS_GUID_SIZE, 1));

	/* ids read-only */
	ro_page = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro_page);
	EXPECT_ERRNO(EFAULT, enum_once(dev, 0, 0, ro_page, 4));

	/* a struct whose tail runs into the unmapped page */
	edge = (void *)(pages + ps - 8);
	memset(edge, 0, 8);
	edge->size = sizeof(*edge);
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, edge));

	/* a struct the kernel can read but not write the cursor and count to */
	ro = (void *)pages;
	memset(ro, 0, sizeof(*ro));
	ro->size = sizeof(*ro);
	ro->ids = (uintptr_t)buf;
	ro->count = 4;
	ASSERT_SYSOK(mprotect(pages, ps, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, ro));

	/* none of that broke the queue */
	check_enum(dev, 0, ids, 2, NULL, 0, false);
	for (i = 0; i < 2; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}
	close(dev);
}

struct held_create {
	int dev;
	struct kbits_create_job *c;
	int fd;
	int err;
};

static void *held_create_fn(void *arg)
{
	struct held_create *h = arg;

	h->fd = ioctl(h->dev, KBITS_IOC_CREATE_JOB, h->c);
	h->err = h->fd < 0 ? errno : 0;
	return NULL;
}

/*
 * A CREATE_JOB held up while it writes the new GUID back (userfaultfd
 * write-protects its struct).  A walk meanwhile may or may not list that
 * job, but every GUID it lists must be a queued job's: GET_JOB finds it.
 */
TEST(enum_during_unfinished_create)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_writeprotect wp;
	struct uffdio_register reg;
	struct held_create h = { 0 };
	int dev = dev_open(), uffd, fd, pass;
	struct kbits *m = NULL;
	struct uffd_msg msg;
	struct pollfd pfd;
	long ps = page_size();
	guid_bytes *list;
	size_t n, k, lost = 0;
	pthread_t th;
	char *page;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", th_errname(errno));
	if (ioctl(uffd, UFFDIO_API, &api) ||
	    !(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP))
		SKIP(return, "no userfaultfd write-protect");

	page = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	memset(page, 0, ps);
	h.c = (void *)page;
	h.c->size = sizeof(*h.c);
	h.c->type = KBITS_JOB_TYPE_DOWNLOAD;
	h.c->name = (uintptr_t)"enum: held up";
	h.c->name_len = strlen("enum: held up");
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)page;
	reg.range.len = ps;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		SKIP(return, "UFFDIO_REGISTER_MODE_WP: %s", th_errname(errno));
	wp.range = reg.range;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_SYSOK(ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));

	ASSERT_RET(0, kbits_new(&m, 0));
	h.dev = dev;
	ASSERT_EQ(0, pthread_create(&th, NULL, held_create_fn, &h));

	/* the GUID's write faults: CREATE_JOB waits in the middle */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 20000));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	EXPECT_TRUE(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);

	for (pass = 0; pass < 4; pass++) {
		uint32_t flags = pass & 1 ? KBITS_ENUM_ALL_USERS : 0;

		list = pass < 2 ? walk_raw(dev, flags, 1, &n) :
				  walk_lib(m, flags, &n);
		for (k = 0; k < n; k++) {
			fd = raw_get(dev, list[k]);
			if (fd >= 0) {
				close(fd);
				continue;
			}
			if (lost++ < 5)
				log_guid("GET_JOB cannot find", list[k], 1);
		}
		free(list);
	}
	if (lost)
		th_fail(__FILE__, __LINE__, false,
			"listed %zu times a GUID that is no queued job's while a CREATE_JOB was unfinished",
			lost);

	/* let it finish: now the job is queued, and listed */
	wp.mode = 0;
	ASSERT_SYSOK(ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(0, pthread_join(th, NULL));
	if (h.fd < 0)
		th_fail_fatal(__FILE__, __LINE__, "the held-up CREATE_JOB: %s",
			      th_errname(h.err));
	check_enum(dev, KBITS_ENUM_ALL_USERS, (const guid_bytes *)h.c->id, 1,
		   NULL, 0, false);
	check_enum(dev, 0, (const guid_bytes *)h.c->id, 1, NULL, 0, false);
	job_cancel(h.fd);
	close(h.fd);
	kbits_unref(m);
	close(uffd);
	close(dev);
}

/*
 * Each GUID of @made (sorted) must be in @list exactly once; with @none, not
 * at all.  The lookups go by bsearch: the lists are long.
 */
static void check_many(const char *what, const guid_bytes *list, size_t n,
		       const guid_bytes *made, size_t nmade, bool none)
{
	unsigned int *times = calloc(nmade, sizeof(*times));
	size_t i, wrong = 0;

	ASSERT_TRUE(times != NULL);
	for (i = 0; i < n; i++) {
		const guid_bytes *p = bsearch(list[i], made, nmade,
					      sizeof(*made), guid_cmp);

		if (p)
			times[p - made]++;
	}
	for (i = 0; i < nmade; i++) {
		if (times[i] == (none ? 0 : 1))
			continue;
		if (wrong++ < 5)
			log_guid(what, made[i], times[i]);
	}
	if (wrong)
		th_fail(__FILE__, __LINE__, false,
			"%s: %zu of our %zu jobs listed %s", what, wrong, nmade,
			none ? "after they were cancelled" : "not exactly once");
	EXPECT_EQ(0, duplicates(list, n));
	free(times);
}

/* More jobs than one batch of the kernel's: the library walks them all. */
TEST_TIMEOUT(enum_many_jobs, 300)
{
	enum { MANY = 100000 };	/* BITS allows 300; the walk must not care */
	guid_bytes *made = calloc(MANY, sizeof(*made)), *list, *buf;
	size_t n, i, nmade, room = (size_t)KBITS_ENUM_MAX + 8;
	int dev = dev_open(), fd;
	struct kbits *m = NULL;
	long ps = page_size();
	uint64_t cursor;
	uint32_t count;
	char *region;

	ASSERT_TRUE(made != NULL);
	for (nmade = 0; nmade < MANY; nmade++) {
		fd = raw_create_str(dev, "enum: one of many", made[nmade]);
		if (fd < 0) {
			th_fail(__FILE__, __LINE__, false, "CREATE_JOB %zu: %s",
				nmade, th_errname(errno));
			break;
		}
		close(fd);
	}
	if (nmade < MANY)
		goto out;
	qsort(made, nmade, sizeof(*made), guid_cmp);
	ASSERT_RET(0, kbits_new(&m, 0));

	list = walk_lib(m, 0, &n);
	EXPECT_GE(n, MANY);
	check_many("kbits_enum_jobs, own", list, n, made, nmade, false);
	free(list);
	list = walk_lib(m, KBITS_ENUM_ALL_USERS, &n);
	EXPECT_GE(n, MANY);
	check_many("kbits_enum_jobs, all users", list, n, made, nmade, false);
	free(list);
	list = walk_raw(dev, 0, KBITS_ENUM_MAX, &n);
	check_many("ENUM_JOBS, KBITS_ENUM_MAX a call", list, n, made, nmade, false);
	free(list);

	/* more room than KBITS_ENUM_MAX: at most KBITS_ENUM_MAX written */
	buf = malloc(room * sizeof(*buf));
	ASSERT_TRUE(buf != NULL);
	memset(buf, ENUM_GUARD, room * sizeof(*buf));
	cursor = 0;
	count = room;
	EXPECT_SYSOK(raw_enum(dev, 0, &cursor, buf, &count));
	EXPECT_GT(count, 0);
	EXPECT_LE(count, KBITS_ENUM_MAX);
	if (count <= KBITS_ENUM_MAX)
		EXPECT_TRUE(all_bytes(buf[count], ENUM_GUARD,
				      (room - count) * sizeof(*buf)));
	/* and with thousands more queued, the walk is not over */
	EXPECT_NE(KBITS_ENUM_END, cursor);
	free(buf);

	/* room claimed for UINT32_MAX, memory for KBITS_ENUM_MAX, then a hole */
	region = mmap(NULL, KBITS_ENUM_MAX * sizeof(guid_bytes) + ps,
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, region);
	ASSERT_SYSOK(munmap(region + KBITS_ENUM_MAX * sizeof(guid_bytes), ps));
	cursor = 0;
	count = UINT32_MAX;
	EXPECT_SYSOK(raw_enum(dev, KBITS_ENUM_ALL_USERS, &cursor, region, &count));
	EXPECT_GT(count, 0);
	EXPECT_LE(count, KBITS_ENUM_MAX);
	EXPECT_NE(KBITS_ENUM_END, cursor);

out:
	for (i = 0; i < nmade; i++)
		drop_job(dev, made[i]);
	if (m && nmade == MANY) {
		list = walk_lib(m, KBITS_ENUM_ALL_USERS, &n);
		check_many("kbits_enum_jobs after cancelling", list, n, made,
			   nmade, true);
		free(list);
	}
	kbits_unref(m);
	free(made);
	close(dev);
}

/*
 * Walks while another process queues and cancels jobs: the jobs queued all
 * along are each listed once, no GUID twice, and no GUID that no job had.
 */
#define CHURN_MAX	20000
#define CHURN_LIVE	8

struct churn {
	int stop;
	int failed;
	size_t made;
	guid_bytes ids[CHURN_MAX];
};

TEST_TIMEOUT(enum_walk_during_churn, 120)
{
	enum { STABLE = 40, MAX_WALKS = 2000 };
	struct churn *c = shared_alloc(sizeof(*c));
	guid_bytes stable[STABLE], *before, *all = NULL;
	size_t nbefore, nall = 0, n, i, walks = 0, strangers = 0;
	int dev = dev_open(), fds[STABLE];
	struct kbits *m = NULL;
	struct timespec t0, t;
	pid_t pid;

	for (i = 0; i < STABLE; i++)
		fds[i] = make_dl_job(dev, "enum: stable", stable[i]);
	ASSERT_RET(0, kbits_new(&m, 0));
	before = walk_lib(m, KBITS_ENUM_ALL_USERS, &nbefore);

	pid = th_fork();
	if (pid == 0) {
		int cdev = dev_open(), live[CHURN_LIVE], k;

		for (k = 0; k < CHURN_LIVE; k++)
			live[k] = -1;
		for (k = 0; !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) &&
			    c->made < CHURN_MAX; k = (k + 1) % CHURN_LIVE) {
			if (live[k] >= 0) {
				ioctl(live[k], KBITS_JOB_IOC_CANCEL);
				close(live[k]);
			}
			live[k] = raw_create_str(cdev, "enum: churn",
						 c->ids[c->made]);
			if (live[k] < 0) {
				c->failed = errno;
				break;
			}
			__atomic_store_n(&c->made, c->made + 1, __ATOMIC_RELEASE);
		}
		for (k = 0; k < CHURN_LIVE; k++)
			if (live[k] >= 0)
				ioctl(live[k], KBITS_JOB_IOC_CANCEL);
		_exit(0);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		static const uint32_t batches[] = { 1, 2, 3, 7, KBITS_ENUM_MAX };
		uint32_t flags = walks & 1 ? KBITS_ENUM_ALL_USERS : 0;
		guid_bytes *list;
		char what[96];

		list = walk_raw(dev, flags, batches[walks % 5], &n);
		snprintf(what, sizeof(what), "walk %zu, flags %#x, %u a call",
			 walks, flags, batches[walks % 5]);
		check_listing(what, list, n, stable, STABLE, NULL, 0, false);
		all = realloc(all, (nall + n) * sizeof(*all) + 1);
		ASSERT_TRUE(all != NULL);
		memcpy(all[nall], list, n * sizeof(*list));
		nall += n;
		free(list);
		walks++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (walks < MAX_WALKS && t.tv_sec - t0.tv_sec < 4 &&
		 (walks < 50 || __atomic_load_n(&c->made, __ATOMIC_ACQUIRE) < 2000));
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(0, c->failed);
	TH_LOG("%zu walks while %zu jobs came and went", walks, c->made);

	/* every GUID listed was a job's: queued before, or made by the churn */
	qsort(before, nbefore, sizeof(*before), guid_cmp);
	qsort(c->ids, c->made, sizeof(c->ids[0]), guid_cmp);
	for (i = 0; i < nall; i++) {
		if (bsearch(all[i], before, nbefore, sizeof(*before), guid_cmp) ||
		    bsearch(all[i], c->ids, c->made, sizeof(c->ids[0]), guid_cmp))
			continue;
		if (strangers++ < 5)
			log_guid("no job had", all[i], 1);
	}
	EXPECT_EQ(0, strangers);

	for (i = 0; i < c->made; i++)
		drop_job(dev, c->ids[i]);
	for (i = 0; i < STABLE; i++) {
		job_cancel(fds[i]);
		close(fds[i]);
	}
	free(all);
	free(before);
	kbits_unref(m);
	close(dev);
}

int main(int argc, char **argv)
{
	int ret;

	if (geteuid() != 0) {
		printf("KTAP version 1\n1..0 # SKIP kbits_test must run as root\n");
		return 4;
	}
	if (access(DEV_PATH, F_OK)) {
		printf("KTAP version 1\n1..0 # SKIP %s: %s (is kbits loaded?)\n",
		       DEV_PATH, strerror(errno));
		return 4;
	}
	orig_max_jobs = 300;
	orig_max_jobs_per_user = 60;
	{
		FILE *f = fopen(PARAM_DIR "max_jobs", "re");

		if (f) {
			if (fscanf(f, "%u", &orig_max_jobs) != 1)
				orig_max_jobs = 300;
			fclose(f);
		}
		f = fopen(PARAM_DIR "max_jobs_per_user", "re");
		if (f) {
			if (fscanf(f, "%u", &orig_max_jobs_per_user) != 1)
				orig_max_jobs_per_user = 60;
			fclose(f);
		}
	}
	th_after_each = restore_params;
	ret = test_harness_run(argc, argv);
	restore_params();
	return ret;
}
