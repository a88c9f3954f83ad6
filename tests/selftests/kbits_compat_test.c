// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests for 32-bit callers: this program is built with -m32 and
 * runs on the 64-bit kernel of the test VM, so each ioctl goes through the
 * module's compat_ioctl.  It uses the UAPI header alone (libkbits is a
 * 64-bit library here) and checks that every ioctl gives a 32-bit process
 * what it gives a 64-bit one: the same struct sizes and command numbers, the
 * same results, the same errors for bad pointers.  Run as root with kbits
 * loaded (tests/selftests/run-in-vm.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"

_Static_assert(sizeof(void *) == 4, "build this test with -m32");

/* The layout a 64-bit caller sees: the same for a 32-bit one. */
_Static_assert(sizeof(struct kbits_create_job) == KBITS_CREATE_JOB_SIZE_VER0, "create");
_Static_assert(sizeof(struct kbits_get_job) == KBITS_GET_JOB_SIZE_VER0, "get");
_Static_assert(sizeof(struct kbits_enum_jobs) == KBITS_ENUM_JOBS_SIZE_VER0, "enum");
_Static_assert(sizeof(struct kbits_job_string) == KBITS_JOB_STRING_SIZE_VER0, "string");
_Static_assert(sizeof(struct kbits_job_id) == KBITS_GUID_SIZE, "id");

/* A user address no 32-bit process can have: the kernel must refuse it. */
#define ABOVE_4G	0x00007f0000001000ull

static int dev_open(void)
{
	int fd = open("/dev/kbits", O_RDWR | O_CLOEXEC);

	ASSERT_SYSOK(fd);
	return fd;
}

static int create(int dev, const char *name, uint64_t name_ptr, uint8_t *id)
{
	struct kbits_create_job c;
	int fd;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = KBITS_JOB_TYPE_UPLOAD;
	c.name_len = strlen(name);
	c.name = name_ptr;
	fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
	if (fd >= 0)
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

static uint32_t job_u32(int fd, unsigned long cmd)
{
	uint32_t v = 0xdeadbeef;

	ASSERT_SYSOK(ioctl(fd, cmd, &v));
	return v;
}

/* Does one ENUM_JOBS walk of the caller's jobs see @id? */
static bool enum_sees(int dev, const uint8_t *id)
{
	struct kbits_job_id ids[KBITS_ENUM_MAX];
	struct kbits_enum_jobs e;
	bool seen = false;
	uint32_t i;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.ids = (uintptr_t)ids;
	while (e.cursor != KBITS_ENUM_END) {
		e.count = KBITS_ENUM_MAX;
		ASSERT_SYSOK(ioctl(dev, KBITS_IOC_ENUM_JOBS, &e));
		ASSERT_LE(e.count, KBITS_ENUM_MAX);
		for (i = 0; i < e.count; i++)
			seen |= !memcmp(ids[i].id, id, KBITS_GUID_SIZE);
	}
	return seen;
}

/* Every ioctl of the foundation, from a 32-bit process, on one job. */
TEST(compat_create_get_enum_cancel)
{
	static const char name[] = "from a 32-bit process";
	uint8_t id[KBITS_GUID_SIZE], zero[KBITS_GUID_SIZE] = { 0 };
	struct kbits_job_string s;
	struct kbits_job_id got;
	char buf[KBITS_DISPLAY_NAME_MAX + 1];
	int dev = dev_open(), fd, fd2;

	fd = create(dev, name, (uintptr_t)name, id);
	ASSERT_SYSOK(fd);
	EXPECT_NE(0, memcmp(id, zero, sizeof(id)));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));

	fd2 = get(dev, id);
	ASSERT_SYSOK(fd2);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd2, F_GETFD));
	memset(&got, 0xa5, sizeof(got));
	ASSERT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_GET_ID, &got));
	EXPECT_MEMEQ(id, got.id, KBITS_GUID_SIZE);
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_u32(fd2, KBITS_JOB_IOC_GET_STATE));
	EXPECT_EQ(KBITS_JOB_TYPE_UPLOAD, job_u32(fd2, KBITS_JOB_IOC_GET_TYPE));
	EXPECT_EQ(getuid(), job_u32(fd2, KBITS_JOB_IOC_GET_OWNER));

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = sizeof(buf);
	s.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(strlen(name), s.len);
	EXPECT_STREQ(name, buf);
	/* too small: the length needed, and ERANGE */
	s.len = 3;
	EXPECT_ERRNO(ERANGE, ioctl(fd2, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	EXPECT_EQ(strlen(name), s.len);

	EXPECT_TRUE(enum_sees(dev, id));

	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EBADFD, ioctl(fd2, KBITS_JOB_IOC_CANCEL));
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_u32(fd2, KBITS_JOB_IOC_GET_STATE));
	EXPECT_ERRNO(ENOENT, get(dev, id));
	EXPECT_FALSE(enum_sees(dev, id));
	close(fd2);
	close(fd);
	close(dev);
}

/*
 * A pointer field holds 64 bits for every caller.  A 32-bit process can
 * put a value there that is no address of its own: EFAULT, and no job.
 */
TEST(compat_pointers_above_4g_efault)
{
	uint8_t id[KBITS_GUID_SIZE];
	struct kbits_job_string s;
	struct kbits_enum_jobs e;
	int dev = dev_open(), fd;

	EXPECT_ERRNO(EFAULT, create(dev, "high", ABOVE_4G, id));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_CREATE_JOB, NULL));

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.count = 1;
	e.ids = ABOVE_4G;
	fd = create(dev, "listed", (uintptr_t)"listed", id);
	ASSERT_SYSOK(fd);
	EXPECT_ERRNO(EFAULT, ioctl(dev, KBITS_IOC_ENUM_JOBS, &e));

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = KBITS_DISPLAY_NAME_MAX + 1;
	s.buf = ABOVE_4G;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));

	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(dev);
}

/* Unknown commands and bad fields give what they give a 64-bit caller. */
TEST(compat_errors)
{
	struct kbits_get_job g;
	int dev = dev_open();

	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IO(KBITS_IOC_MAGIC, 0x7f)));
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	EXPECT_ERRNO(ENOENT, ioctl(dev, KBITS_IOC_GET_JOB, &g));
	g.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_GET_JOB, &g));
	g.flags = 0;
	g.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_GET_JOB, &g));
	close(dev);
}

/* The credential check is the same: another user's job is refused. */
TEST(compat_other_user_eacces)
{
	uint8_t id[KBITS_GUID_SIZE];
	int dev = dev_open(), fd;
	pid_t pid;

	fd = create(dev, "root's", (uintptr_t)"root's", id);
	ASSERT_SYSOK(fd);
	pid = th_fork();
	if (pid == 0) {
		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(1000, 1000, 1000));
		ASSERT_SYSOK(setresuid(1000, 1000, 1000));
		EXPECT_ERRNO(EACCES, get(dev, id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(dev);
}

TEST_HARNESS_MAIN
