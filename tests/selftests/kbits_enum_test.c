// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: ENUM_JOBS -- a user's own jobs, ALL_USERS for root
 * (EACCES for others, and for euid 0 without CAP_SYS_ADMIN) and for root
 * of a user namespace (the jobs made in it), the cursor, KBITS_ENUM_END
 * and the room of each call, bad arguments and pointers, a CREATE_JOB
 * not finished yet, 100,000 jobs, and walks while jobs come and go --
 * with the raw ioctl and with kbits_enum_jobs(), against the real
 * module.
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh does that in
 * the test VM); the tests drop privileges themselves in forked children.
 *
 * Uids 2020-2039 are this program's (kbits_helpers.h's kbits_uid_ranges[]),
 * so that a user's listing is exact: no other program's jobs are theirs.
 * The last test checks that no job a test made is left in the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
	enum { MANY = 100000, FEW = 3 };	/* BITS allows 300; the walk must not care */
	guid_bytes *made = calloc(MANY, sizeof(*made)), *list, *buf, few[FEW];
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

	/*
	 * A user with a few jobs after the 10^5 of root's: a call looks at a
	 * bounded number of jobs (KBITS_ENUM_SCAN_MAX, 65536, in the module),
	 * so the first lists none of them and is not the end, and the walk
	 * still lists exactly the user's, each once.
	 */
	ASSERT_SYSOK(setresuid(-1, 2031, -1));
	for (i = 0; i < FEW; i++) {
		fd = make_dl_job(dev, "enum: a user's, after many", few[i]);
		close(fd);
	}
	buf = malloc((size_t)KBITS_ENUM_MAX * sizeof(*buf));
	ASSERT_TRUE(buf != NULL);
	cursor = 0;
	count = KBITS_ENUM_MAX;
	EXPECT_SYSOK(raw_enum(dev, 0, &cursor, buf, &count));
	EXPECT_EQ(0, count);
	EXPECT_NE(KBITS_ENUM_END, cursor);
	free(buf);
	list = walk_raw(dev, 0, KBITS_ENUM_MAX, &n);
	EXPECT_EQ(FEW, n);
	qsort(few, FEW, sizeof(*few), guid_cmp);
	if (n == FEW) {
		qsort(list, n, sizeof(*list), guid_cmp);
		EXPECT_EQ(0, memcmp(list, few, sizeof(few)));
	}
	free(list);
	ASSERT_SYSOK(setresuid(-1, 0, -1));
	for (i = 0; i < FEW; i++)
		drop_job(dev, few[i]);

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

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
