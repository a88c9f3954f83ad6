// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: the arguments of /dev/kbits's CREATE_JOB and GET_JOB
 * and of a job fd's identity ioctls (GET_ID, GET_TYPE, GET_STATE,
 * GET_OWNER, GET_DISPLAY_NAME) -- bad pointers (EFAULT, and nothing made,
 * no fd, no charge), flags and reserved fields (EINVAL), the struct
 * sizes of older and newer callers (EINVAL, E2BIG), unknown commands
 * (ENOTTY) -- against the real module, with raw ioctls.  kbits_hostile_test
 * puts every ioctl through every hostile shape of argument, in a table.
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh does that in
 * the test VM); the tests drop privileges themselves in forked children.
 *
 * Uids 2010-2019 are this program's (kbits_helpers.h's kbits_uid_ranges[]);
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
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

/* ------------------------------------------------------------- the tests */

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

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
