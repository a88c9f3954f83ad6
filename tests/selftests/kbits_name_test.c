// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: a job's display name as CREATE_JOB takes it and
 * GET_DISPLAY_NAME gives it back -- strict UTF-8 without NUL (EINVAL),
 * 0 to KBITS_DISPLAY_NAME_MAX bytes (ENAMETOOLONG beyond), ERANGE and the
 * length needed when the buffer is short, and libkbits's getter --
 * against the real module.  kbits_job_test checks SET_DISPLAY_NAME.
 * Run as root with kbits loaded (tests/selftests/run-in-vm.sh does that
 * in the test VM).  The tests run as root only (kbits_helpers.h's
 * kbits_uid_ranges[] keeps uids 2040-2049 for them); the last test checks
 * that no job a test made is left in the queue.
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
#include <kbits/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

/* ---------------------------------------------------------------- helpers */

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

/* ------------------------------------------------------------- the tests */

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

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
