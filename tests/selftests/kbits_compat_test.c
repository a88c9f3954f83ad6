// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests for 32-bit callers: this program is built with -m32 and
 * runs on the 64-bit kernel of the test VM, so each ioctl goes through the
 * module's compat_ioctl.  It uses the UAPI header alone (libkbits is a
 * 64-bit library here) and checks that every ioctl gives a 32-bit process
 * what it gives a 64-bit one: the same struct sizes and command numbers, the
 * same results, the same errors for bad pointers.  Run as root with kbits
 * loaded (tests/selftests/run-in-vm.sh).  kbits_helpers.h is built -m32
 * here too: its helpers make the same ioctls from this 32-bit process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

_Static_assert(sizeof(void *) == 4, "build this test with -m32");

/* The layout a 64-bit caller sees: the same for a 32-bit one. */
_Static_assert(sizeof(struct kbits_create_job) == KBITS_CREATE_JOB_SIZE_VER0, "create");
_Static_assert(sizeof(struct kbits_get_job) == KBITS_GET_JOB_SIZE_VER0, "get");
_Static_assert(sizeof(struct kbits_enum_jobs) == KBITS_ENUM_JOBS_SIZE_VER0, "enum");
_Static_assert(sizeof(struct kbits_job_string) == KBITS_JOB_STRING_SIZE_VER0, "string");
_Static_assert(sizeof(struct kbits_job_attr) == KBITS_JOB_ATTR_SIZE_VER1, "attr");
_Static_assert(sizeof(struct kbits_job_id) == KBITS_GUID_SIZE, "id");
_Static_assert(sizeof(struct kbits_add_files) == KBITS_ADD_FILES_SIZE_VER0, "add files");
_Static_assert(sizeof(struct kbits_file_spec) == KBITS_FILE_SPEC_SIZE_VER1, "file spec");
_Static_assert(sizeof(struct kbits_job_file) == KBITS_JOB_FILE_SIZE_VER1, "job file");
_Static_assert(sizeof(struct kbits_agent_job) == KBITS_AGENT_JOB_SIZE_VER0, "agent job");
_Static_assert(sizeof(struct kbits_agent_record) == KBITS_AGENT_RECORD_SIZE_VER0, "record");
_Static_assert(sizeof(struct kbits_job_record) == KBITS_JOB_RECORD_SIZE_VER4, "record header");
_Static_assert(sizeof(struct kbits_record_cred) == 16, "record cred");
_Static_assert(sizeof(struct kbits_job_credentials) == KBITS_JOB_CREDENTIALS_SIZE_VER0, "credentials");
_Static_assert(sizeof(struct kbits_job_cred_schemes) == KBITS_JOB_CRED_SCHEMES_SIZE_VER0, "cred schemes");
_Static_assert(sizeof(struct kbits_record_file) == KBITS_RECORD_FILE_SIZE_VER1, "record file");
_Static_assert(sizeof(struct kbits_agent_job_ns) == KBITS_AGENT_JOB_NS_SIZE_VER0, "job ns");

/* A user address no 32-bit process can have: the kernel must refuse it. */
#define ABOVE_4G	0x00007f0000001000ull

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

	fd2 = raw_get(dev, id);
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

	EXPECT_EQ(1, enum_lists(dev, 0, id));

	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EBADFD, ioctl(fd2, KBITS_JOB_IOC_CANCEL));
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_u32(fd2, KBITS_JOB_IOC_GET_STATE));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	EXPECT_EQ(0, enum_lists(dev, 0, id));
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
		EXPECT_ERRNO(EACCES, raw_get(dev, id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(dev);
}

/*
 * A download job of root's with one file, RESUMEd and taken by agent @a;
 * its fd.  Then the flags of its exported record to *@flags.
 */
static int taken_job(int dev, int a, uint8_t *id, uint32_t *flags)
{
	static const char name[] = "taken by a 32-bit agent";
	static const char remote[] = "http://example.test/c", local[] = "/tmp/c";
	static uint8_t rec[4096];
	struct kbits_file_spec spec;
	struct kbits_add_files af;
	struct kbits_agent_record r;
	struct kbits_agent_job j;
	struct kbits_create_job c;
	struct kbits_job_record h;
	int fd;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = KBITS_JOB_TYPE_DOWNLOAD;
	c.name_len = strlen(name);
	c.name = (uintptr_t)name;
	fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
	ASSERT_SYSOK(fd);
	memcpy(id, c.id, KBITS_GUID_SIZE);
	memset(&spec, 0, sizeof(spec));
	spec.remote = (uintptr_t)remote;
	spec.remote_len = strlen(remote);
	spec.local = (uintptr_t)local;
	spec.local_len = strlen(local);
	memset(&af, 0, sizeof(af));
	af.size = sizeof(af);
	af.count = 1;
	af.entry_size = sizeof(spec);
	af.files = (uintptr_t)&spec;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &af));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id, KBITS_GUID_SIZE);
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_TAKE_JOB, &j));
	EXPECT_EQ(KBITS_JOB_STATE_CONNECTING, job_u32(fd, KBITS_JOB_IOC_GET_STATE));

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	memcpy(r.id, id, KBITS_GUID_SIZE);
	r.buf = (uintptr_t)rec;
	r.buf_len = sizeof(rec);
	ASSERT_SYSOK(ioctl(a, KBITS_AGENT_IOC_EXPORT_JOB, &r));
	ASSERT_GE(r.buf_len, sizeof(h));
	memcpy(&h, rec, sizeof(h));
	*flags = h.flags;
	return fd;
}

/*
 * AGENT_ATTACH's argument is an integer (its flags), not a pointer: from a
 * 32-bit process KBITS_AGENT_PLACES_FILES makes a placing agent, whose
 * jobs are marked, and an unknown bit is refused.
 */
TEST(compat_agent_attach_flags)
{
	uint8_t id[KBITS_GUID_SIZE];
	int dev = dev_open(), a, fd;
	uint32_t flags = 0;

	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_AGENT_ATTACH, 2));
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_AGENT_ATTACH,
				   KBITS_AGENT_PLACES_FILES | 2));
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_AGENT_ATTACH, 1u << 31));
	EXPECT_ERRNO(EINVAL, ioctl(dev, KBITS_IOC_AGENT_ATTACH, ~0u));

	/* a placing agent: the job it takes is marked (root's: exempt) */
	a = ioctl(dev, KBITS_IOC_AGENT_ATTACH, KBITS_AGENT_PLACES_FILES);
	ASSERT_SYSOK(a);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD));
	EXPECT_ERRNO(EBUSY, ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0));
	fd = taken_job(dev, a, id, &flags);
	EXPECT_EQ(KBITS_RECORD_AGENT_PLACES | KBITS_RECORD_EXEMPT, flags);
	/* and JOB_NS, through the agent fd's compat_ioctl */
	{
		struct kbits_agent_job_ns n;
		struct stat st, want;
		int nfd;

		memset(&n, 0, sizeof(n));
		n.size = sizeof(n);
		memcpy(n.id, id, KBITS_GUID_SIZE);
		n.kind = KBITS_JOB_NS_ROOT;
		nfd = ioctl(a, KBITS_AGENT_IOC_JOB_NS, &n);
		ASSERT_SYSOK(nfd);
		ASSERT_SYSOK(fstat(nfd, &st));
		ASSERT_SYSOK(stat("/", &want));
		EXPECT_EQ(want.st_dev, st.st_dev);
		EXPECT_EQ(want.st_ino, st.st_ino);
		close(nfd);
		n.kind = KBITS_JOB_NS_NET;
		nfd = ioctl(a, KBITS_AGENT_IOC_JOB_NS, &n);
		ASSERT_SYSOK(nfd);
		ASSERT_SYSOK(fstat(nfd, &st));
		ASSERT_SYSOK(stat("/proc/self/ns/net", &want));
		EXPECT_EQ(want.st_ino, st.st_ino);
		close(nfd);
		n.kind = 2;
		EXPECT_ERRNO(EINVAL, ioctl(a, KBITS_AGENT_IOC_JOB_NS, &n));
	}
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(a);

	/* 0: an agent that does not place files; its job is not marked */
	a = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(a);
	fd = taken_job(dev, a, id, &flags);
	EXPECT_EQ(KBITS_RECORD_EXEMPT, flags);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(a);
	close(dev);
}

TEST_HARNESS_MAIN
