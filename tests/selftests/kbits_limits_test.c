// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: the limits -- max_jobs_per_user (EDQUOT) and max_jobs
 * (ENOSPC), read at each CREATE_JOB, charged until a job is cancelled
 * (not when its fds are closed), root exempt, root of a user namespace
 * not -- against the real module, with raw ioctls.  kbits_cred_test
 * checks the limits up the user-namespace hierarchy and the memory one
 * user can pin.
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh does that in
 * the test VM); the tests drop privileges themselves in forked children.
 *
 * Uids 2000-2009 are this program's (kbits_helpers.h's kbits_uid_ranges[]);
 * the last test checks that no job a test made is left in the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

/* ------------------------------------------------------------- the tests */

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

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
