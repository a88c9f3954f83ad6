// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: who may have a job -- its owner and root may get it,
 * other users may not; the effective uid decides; root of a user
 * namespace is root there only; a job fd is a capability (passed over
 * SCM_RIGHTS, inherited); TAKE_OWNERSHIP, for an administrator over the
 * job alone, moves the job and its charge -- against the real module,
 * with raw ioctls and with libkbits.  kbits_perm_test checks every ioctl
 * against every kind of caller; kbits_cred_test, that the check holds
 * (issue 12).
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh does that in
 * the test VM); the tests drop privileges themselves in forked children.
 *
 * Uids 2400-2499 are this program's (kbits_helpers.h's kbits_uid_ranges[]):
 * 2410 is "a user", 2411 "another user".  The last test checks that no job
 * a test made is left in the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kbits.h>
#include <kbits/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

/* ---------------------------------------------------------------- helpers */

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

/* ------------------------------------------------------------- the tests */

TEST(owner_may_get)
{
	guid_bytes *id = shared_alloc(sizeof(*id));
	int dev = dev_open(), fd;
	pid_t pid;

	pid = th_fork();
	if (pid == 0) {
		int udev, ufd;

		become(2410);
		udev = dev_open();
		ufd = make_dl_job(udev, "owned by 2410", *id);
		EXPECT_EQ(2410, job_owner(ufd));
		close(ufd);
		ufd = raw_get(udev, *id);
		ASSERT_SYSOK(ufd);
		EXPECT_EQ(2410, job_owner(ufd));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(ufd));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* root may have anybody's job */
	fd = raw_get(dev, *id);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2410, job_owner(fd));
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
		become(2410);
		close(make_dl_job(dev_open(), "2410's", *user_id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		guid_bytes unknown;
		int udev;

		become(2411);
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
		become(2411);
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
		become(2410);
		close(make_dl_job(dev_open(), "2410's", ids[0]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(2411);
		close(make_dl_job(dev_open(), "2411's", ids[1]));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(2410, 2411, 2410));
		ASSERT_SYSOK(setresuid(2410, 2411, 2410));
		udev = dev_open();
		EXPECT_ERRNO(EACCES, raw_get(udev, ids[0]));
		fd = raw_get(udev, ids[1]);
		EXPECT_SYSOK(fd);
		close(fd);
		/* a job made now is the euid's */
		fd = make_dl_job(udev, "made with euid 2411", NULL);
		EXPECT_EQ(2411, job_owner(fd));
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
		become(2411);
		close(make_dl_job(dev_open(), "2411's", ids->other_job));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		become(2410);
		close(make_dl_job(dev_open(), "2410's, made outside", ids->own_outside));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		char name[KBITS_DISPLAY_NAME_MAX + 1];
		int udev, ufd;

		enter_userns_as(2410);
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

	/* 2410 outside has the job its namespace's root made: it made it */
	pid = th_fork();
	if (pid == 0) {
		int ufd;

		become(2410);
		ufd = raw_get(dev_open(), ids->ns_job);
		EXPECT_SYSOK(ufd);
		if (ufd >= 0)
			EXPECT_EQ(2410, job_owner(ufd));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* Another user's root-in-a-userns may not have the job either. */
	pid = th_fork();
	if (pid == 0) {
		enter_userns_as(2411);
		EXPECT_ERRNO(EACCES, raw_get(dev_open(), ids->ns_job));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);

	/* Seen from outside: owned by 2410; the real root may have it. */
	fd = raw_get(dev, ids->ns_job);
	ASSERT_SYSOK(fd);
	EXPECT_EQ(2410, job_owner(fd));
	job_cancel(fd);
	close(fd);
	cancel_by_id(dev, ids->other_job);
	cancel_by_id(dev, ids->own_outside);
	job_cancel(root_fd);
	close(root_fd);
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
		become(2412);
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
		become(2415);
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

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
