// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: what a job fd changes and reads besides its identity --
 * SET_DISPLAY_NAME, GET/SET_DESCRIPTION, GET/SET_ATTR, GET/SET_PROXY,
 * GET/SET_HTTP_HEADERS, GET/SET_NOTIFY_CMD, SET/GET_CREDENTIALS, the
 * write-only headers and upload POST flags, GET/SET_REPLY_FILE and the
 * rule for jobs with secrets, ADD_FILES, GET_FILE, GET_PROGRESS,
 * RESUME, SUSPEND, COMPLETE and the max_files_per_job module parameter --
 * against the real module, with raw ioctls only.  Run as root
 * with kbits loaded (tests/selftests/run-in-vm.sh does that in the test VM);
 * the tests drop privileges themselves in forked children.
 *
 * No transfer agent runs in the VM, so a job only reaches the states its
 * user can put it in: SUSPENDED, QUEUED, ACKNOWLEDGED and CANCELLED.
 *
 * Uids 2200-2299 are this program's (kbits_helpers.h's kbits_uid_ranges[]),
 * so its jobs never count against the per-user limits kbits_limits_test
 * checks.  Every job a test makes is logged in memory shared by all the
 * tests, and the last test checks that none of them, nor any job of its
 * uids, is left in the queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#define FILES_DIR	"/tmp/jt"	/* add_n()'s: the tests look for its names */

#include "harness.h"
#include "kbits_helpers.h"

#define PARAM_MAX_FILES	"/sys/module/kbits/parameters/max_files_per_job"

#define DL	KBITS_JOB_TYPE_DOWNLOAD
#define UP	KBITS_JOB_TYPE_UPLOAD
#define UR	KBITS_JOB_TYPE_UPLOAD_REPLY

#define NOTIFY_DEFAULT	(KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR)
#define ATTR_ALL	(KBITS_ATTR_PRIORITY | KBITS_ATTR_NOTIFY_FLAGS | \
			 KBITS_ATTR_MIN_RETRY_DELAY | \
			 KBITS_ATTR_NO_PROGRESS_TIMEOUT)

/* ---------------------------------------------------------------- helpers */


/* An ioctl's result as one number: what it returned, or -errno. */
static long ioc(int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}


/* ------------------------------------------------- max_files_per_job */

static unsigned int orig_max_files;
static bool have_orig_max_files;

static unsigned int max_files_get(void)
{
	unsigned int v = 0;
	FILE *f = fopen(PARAM_MAX_FILES, "re");

	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(1, fscanf(f, "%u", &v));
	fclose(f);
	return v;
}

static void max_files_set(unsigned int v)
{
	FILE *f = fopen(PARAM_MAX_FILES, "we");

	ASSERT_TRUE(f != NULL);
	ASSERT_GT(fprintf(f, "%u\n", v), 0);
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(v, max_files_get());
}

/* Runs in the runner after each test: a failed test may not have. */
static void restore_max_files(void)
{
	FILE *f;

	if (!have_orig_max_files)
		return;
	f = fopen(PARAM_MAX_FILES, "we");
	if (f) {
		fprintf(f, "%u\n", orig_max_files);
		fclose(f);
	}
}

/* ------------------------------------------------------------ attributes */

static void get_attr(int fd, struct kbits_job_attr *a)
{
	/* garbage in every field GET must fill */
	memset(a, 0xa5, sizeof(*a));
	a->size = sizeof(*a);
	a->mask = 0;
	a->flags = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, a));
}

/*
 * A SET_ATTR request for @mask.  The fields it does not name hold values
 * SET would refuse, so a call that looked at them would fail.
 */
static struct kbits_job_attr attr_req(uint32_t mask)
{
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = mask;
	a.priority = 99;
	a.notify_flags = 0xffffffff;
	a.min_retry_delay = 0;
	a.no_progress_timeout = 0xdeadbeef;
	a.max_download_time = 0xdeadbeef;
	return a;
}

static void expect_attr(int fd, uint32_t prio, uint32_t notify, uint32_t delay,
			uint32_t timeout)
{
	struct kbits_job_attr a;

	get_attr(fd, &a);
	EXPECT_EQ(prio, a.priority);
	EXPECT_EQ(notify, a.notify_flags);
	EXPECT_EQ(delay, a.min_retry_delay);
	EXPECT_EQ(timeout, a.no_progress_timeout);
}

/* --------------------------------------------------------------- strings */

struct str_kind {
	const char *what;
	unsigned long get, set;
	uint32_t max;
};

static const struct str_kind str_kinds[] = {
	{ "display name", KBITS_JOB_IOC_GET_DISPLAY_NAME,
	  KBITS_JOB_IOC_SET_DISPLAY_NAME, KBITS_DISPLAY_NAME_MAX },
	{ "description", KBITS_JOB_IOC_GET_DESCRIPTION,
	  KBITS_JOB_IOC_SET_DESCRIPTION, KBITS_DESCRIPTION_MAX },
};

#define STR_BUF (KBITS_DESCRIPTION_MAX + 1)	/* room for either */

static int set_string(int fd, unsigned long cmd, const void *s, uint32_t len)
{
	struct kbits_job_string js;

	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = len;
	js.buf = (uintptr_t)s;
	return ioctl(fd, cmd, &js);
}

/* The string @cmd reads into @buf (STR_BUF bytes); its length. */
static uint32_t get_string(int fd, unsigned long cmd, char *buf)
{
	struct kbits_job_string js;

	memset(buf, 'Z', STR_BUF);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = STR_BUF;
	js.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd, cmd, &js));
	ASSERT_LT(js.len, STR_BUF);
	ASSERT_EQ(0, buf[js.len]);
	return js.len;
}

/* The string @cmd reads must be the @len bytes at @want. */
static void expect_string(int fd, unsigned long cmd, const void *want,
			  uint32_t len)
{
	char buf[STR_BUF];

	EXPECT_EQ(len, get_string(fd, cmd, buf));
	EXPECT_MEMEQ(want, buf, len);
}

/* ----------------------------------------------------------------- files */

static struct kbits_file_spec spec(const char *remote, const char *local)
{
	struct kbits_file_spec s;

	memset(&s, 0, sizeof(s));
	s.remote = (uintptr_t)remote;
	s.remote_len = strlen(remote);
	s.local = (uintptr_t)local;
	s.local_len = strlen(local);
	return s;
}

static int add_specs(int fd, const struct kbits_file_spec *specs, uint32_t count)
{
	struct kbits_add_files a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.count = count;
	a.entry_size = sizeof(*specs);
	a.files = (uintptr_t)specs;
	return ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a);
}

static int add_file(int fd, const char *remote, const char *local)
{
	struct kbits_file_spec s = spec(remote, local);

	return add_specs(fd, &s, 1);
}

static uint32_t files_total(int fd)
{
	struct kbits_job_progress p;

	get_progress(fd, &p);
	return p.files_total;
}

/* File @index must be @remote -> @local, with nothing transferred yet. */
static void expect_file(int fd, uint32_t index, const char *remote,
			const char *local)
{
	struct got_file g;

	ASSERT_SYSOK(get_file(fd, index, &g));
	EXPECT_EQ(strlen(remote), g.f.remote_len);
	EXPECT_EQ(strlen(local), g.f.local_len);
	EXPECT_STREQ(remote, g.remote);
	EXPECT_STREQ(local, g.local);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, g.f.bytes_total);
	EXPECT_EQ(0, g.f.bytes_transferred);
	EXPECT_EQ(0, g.f.flags);
	EXPECT_EQ(index, g.f.index);
}

static void expect_nth(int fd, uint32_t index, const char *tag, uint32_t i)
{
	char remote[64], local[64];

	nth_names(tag, i, remote, local);
	expect_file(fd, index, remote, local);
}

/* A struct of @size bytes in a buffer; the bytes past the known struct are 0. */
union big_arg {
	struct kbits_job_attr attr;
	struct kbits_job_string str;
	struct kbits_add_files add;
	struct kbits_job_file file;
	struct kbits_job_proxy proxy;
	uint8_t bytes[128];
};

/* --------------------------------------------------- a new job's values */

TEST(new_job_defaults)
{
	static const uint32_t types[] = { DL, UP, UR };
	struct kbits_job_progress p;
	struct kbits_job_attr a;
	struct got_file g;
	char buf[STR_BUF];
	int dev = dev_open(), fd;
	time_t before, after;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		/* time() reads the seconds the kernel stamps jobs with */
		before = time(NULL);
		fd = make_job(dev, "jt: defaults", types[i], NULL);
		after = time(NULL);

		get_attr(fd, &a);
		EXPECT_EQ(sizeof(a), a.size);
		EXPECT_EQ(0, a.mask);
		EXPECT_EQ(KBITS_PRIORITY_NORMAL, a.priority);
		EXPECT_EQ(KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR,
			  a.notify_flags);
		/* BITS's values, spelled out: the header's names could drift */
		EXPECT_EQ(600, a.min_retry_delay);
		EXPECT_EQ(1209600, a.no_progress_timeout);
		EXPECT_EQ(0, a.error_count);
		EXPECT_EQ(0, a.flags);
		EXPECT_LE(before, a.creation_time);
		EXPECT_GE(after, a.creation_time);
		EXPECT_EQ(a.creation_time, a.modification_time);
		EXPECT_EQ(0, a.completion_time);
		EXPECT_EQ(7776000, a.max_download_time);
		EXPECT_EQ(0, a.transfer_time);

		EXPECT_EQ(0, get_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, buf));
		EXPECT_STREQ("", buf);

		get_progress(fd, &p);
		EXPECT_EQ(0, p.bytes_total);
		EXPECT_EQ(0, p.bytes_transferred);
		EXPECT_EQ(0, p.files_total);
		EXPECT_EQ(0, p.files_transferred);

		EXPECT_ERRNO(ENXIO, get_file(fd, 0, &g));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		job_cancel(fd);
		close(fd);
	}
	close(dev);
}

/*
 * A device fd and a new download job (named after the test), cancelled and
 * closed after it: for the tests of one job's attributes.
 */
FIXTURE(dl_job) {
	int dev;
	int fd;
};

FIXTURE_SETUP(dl_job)
{
	char name[96];

	snprintf(name, sizeof(name), "jt: %s", _metadata->name);
	self->dev = dev_open();
	self->fd = make_job(self->dev, name, DL, NULL);
}

FIXTURE_TEARDOWN(dl_job)
{
	job_cancel(self->fd);
	close(self->fd);
	close(self->dev);
}

/* ------------------------------------------------------------- GET_ATTR */

TEST_F(dl_job, get_attr_bad_args)
{
	struct kbits_job_attr a;
	union big_arg b;
	int fd = self->fd;

	/* GET takes no mask, and reserved is reserved */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = KBITS_ATTR_PRIORITY;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &a));
	a.mask = 0x80000000u;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &a));
	a.mask = 0;
	a.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &a));

	/* sizes: below the first version, over a page */
	memset(&a, 0, sizeof(a));
	a.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &a));
	a.size = KBITS_JOB_ATTR_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &a));
	a.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &a));

	/* a larger struct: a zero tail is fine, anything else is not */
	memset(&b, 0, sizeof(b));
	b.attr.size = sizeof(b);
	b.bytes[sizeof(b) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &b));
	b.bytes[sizeof(b) - 1] = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &b));
	EXPECT_EQ(KBITS_PRIORITY_NORMAL, b.attr.priority);
	EXPECT_EQ(600, b.attr.min_retry_delay);
	EXPECT_NE(0, b.attr.creation_time);
	/* what the kernel does not know it leaves alone */
	EXPECT_TRUE(all_bytes(b.bytes + sizeof(b.attr), 0,
			      sizeof(b) - sizeof(b.attr)));

	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_ATTR, unmapped_page()));
}

/* ------------------------------------------------------------- SET_ATTR */

TEST_F(dl_job, set_attr_each_field)
{
	static const uint32_t prios[] = {
		KBITS_PRIORITY_FOREGROUND, KBITS_PRIORITY_HIGH,
		KBITS_PRIORITY_NORMAL, KBITS_PRIORITY_LOW,
	};
	static const uint32_t notifies[] = {
		0, KBITS_NOTIFY_ALL, KBITS_NOTIFY_DISABLE,
		KBITS_NOTIFY_JOB_MODIFICATION | KBITS_NOTIFY_FILE_TRANSFERRED,
	};
	static const uint32_t delays[] = { 5, 3600, 0xffffffff };
	static const uint32_t timeouts[] = { 0, 1, 0xffffffff, 86400 };
	struct kbits_job_attr req, a0, a;
	int fd = self->fd;
	uint32_t prio = KBITS_PRIORITY_NORMAL, notify = NOTIFY_DEFAULT;
	uint32_t delay = 600, timeout = 1209600;
	size_t i;

	get_attr(fd, &a0);

	/* each field alone; the others stay as they were */
	for (i = 0; i < ARRAY_SIZE(prios); i++) {
		req = attr_req(KBITS_ATTR_PRIORITY);
		req.priority = prio = prios[i];
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		expect_attr(fd, prio, notify, delay, timeout);
	}
	for (i = 0; i < ARRAY_SIZE(notifies); i++) {
		req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
		req.notify_flags = notify = notifies[i];
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		expect_attr(fd, prio, notify, delay, timeout);
	}
	for (i = 0; i < ARRAY_SIZE(delays); i++) {
		req = attr_req(KBITS_ATTR_MIN_RETRY_DELAY);
		req.min_retry_delay = delay = delays[i];
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		expect_attr(fd, prio, notify, delay, timeout);
	}
	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		req = attr_req(KBITS_ATTR_NO_PROGRESS_TIMEOUT);
		req.no_progress_timeout = timeout = timeouts[i];
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		expect_attr(fd, prio, notify, delay, timeout);
	}

	/* all four at once */
	req = attr_req(ATTR_ALL);
	req.priority = KBITS_PRIORITY_HIGH;
	req.notify_flags = KBITS_NOTIFY_JOB_ERROR;
	req.min_retry_delay = 60;
	req.no_progress_timeout = 7200;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	expect_attr(fd, KBITS_PRIORITY_HIGH, KBITS_NOTIFY_JOB_ERROR, 60, 7200);

	/* two of them, and back to the defaults */
	req = attr_req(KBITS_ATTR_PRIORITY | KBITS_ATTR_MIN_RETRY_DELAY);
	req.priority = KBITS_PRIORITY_NORMAL;
	req.min_retry_delay = 600;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	expect_attr(fd, KBITS_PRIORITY_NORMAL, KBITS_NOTIFY_JOB_ERROR, 600, 7200);

	/* the fields only GET fills are ignored by SET */
	req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
	req.notify_flags = NOTIFY_DEFAULT;
	req.error_count = 7;
	req.creation_time = 1;
	req.modification_time = 1;
	req.completion_time = 1;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &a);
	EXPECT_EQ(NOTIFY_DEFAULT, a.notify_flags);
	EXPECT_EQ(0, a.error_count);
	EXPECT_EQ(a0.creation_time, a.creation_time);
	EXPECT_LE(a0.creation_time, a.modification_time);
	EXPECT_EQ(0, a.completion_time);

	/* a larger struct with a zero tail */
	{
		union big_arg b;

		memset(&b, 0, sizeof(b));
		b.attr.size = sizeof(b);
		b.attr.mask = KBITS_ATTR_PRIORITY;
		b.attr.priority = KBITS_PRIORITY_LOW;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
		expect_attr(fd, KBITS_PRIORITY_LOW, NOTIFY_DEFAULT, 600, 7200);
	}
}

TEST_F(dl_job, set_attr_mask_zero_is_a_noop)
{
	struct kbits_job_attr req, before, after;
	int fd = self->fd;

	get_attr(fd, &before);

	/* every field refusable, none named: nothing is looked at */
	req = attr_req(0);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));

	/* and with plausible values too */
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.priority = KBITS_PRIORITY_LOW;
	req.min_retry_delay = 30;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));
}

/* KBITS_ATTR_FLAGS: a job's flags (KBITS_JOB_DYNAMIC_CONTENT), set only when named. */
TEST_F(dl_job, job_flags)
{
	struct kbits_job_attr req, before, after;
	int fd = self->fd;

	/* a new job has none */
	get_attr(fd, &before);
	EXPECT_EQ(0, before.flags);

	/* SET with the mask bit, then GET shows it */
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.mask = KBITS_ATTR_FLAGS;
	req.flags = KBITS_JOB_DYNAMIC_CONTENT;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &before);
	EXPECT_EQ(KBITS_JOB_DYNAMIC_CONTENT, before.flags);

	/* an unknown flag bit with the mask: EINVAL, and nothing changes */
	req.flags = KBITS_JOB_DYNAMIC_CONTENT | (KBITS_JOB_FLAGS_ALL + 1);
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	req.flags = 0x80000000u;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	/* with another field named too: all or none */
	req = attr_req(KBITS_ATTR_FLAGS | KBITS_ATTR_PRIORITY);
	req.priority = KBITS_PRIORITY_LOW;
	req.flags = 0x80000000u;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));

	/* nonzero flags without the mask bit: EINVAL, nothing changes */
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.mask = KBITS_ATTR_PRIORITY;
	req.priority = KBITS_PRIORITY_LOW;
	req.flags = KBITS_JOB_DYNAMIC_CONTENT;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	req.mask = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));

	/* and off again */
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.mask = KBITS_ATTR_FLAGS;
	req.flags = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_EQ(0, after.flags);
}

/*
 * KBITS_ATTR_MAX_DOWNLOAD_TIME (BITS: SetMaximumDownloadTime): BITS's 90
 * days for a new job, any value (0: no limit), set only when named and
 * only by a caller whose struct has the field (KBITS_JOB_ATTR_SIZE_VER1);
 * transfer_time is read only.  A caller of the first size still gets and
 * sets the rest, and GET writes it no more than its size.
 */
TEST(max_download_time)
{
	static const uint32_t values[] = { 0, 1, 59, 86400, 7776000, 0xffffffffu };
	struct kbits_job_attr req, before, after;
	int dev = dev_open(), fd;
	union big_arg b;
	size_t i;

	ASSERT_EQ(64, KBITS_JOB_ATTR_SIZE_VER1);
	ASSERT_EQ(64, sizeof(struct kbits_job_attr));
	ASSERT_EQ(KBITS_JOB_ATTR_SIZE_VER0,
		  offsetof(struct kbits_job_attr, max_download_time));
	ASSERT_EQ(7776000, KBITS_MAX_DOWNLOAD_TIME_DEFAULT);

	fd = make_job(dev, "jt: max download time", DL, NULL);
	get_attr(fd, &before);
	EXPECT_EQ(7776000, before.max_download_time);
	EXPECT_EQ(0, before.transfer_time);

	/* each value alone; the other fields stay as they were */
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		req = attr_req(KBITS_ATTR_MAX_DOWNLOAD_TIME);
		req.max_download_time = values[i];
		req.transfer_time = 77;		/* read only: ignored */
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		get_attr(fd, &after);
		EXPECT_EQ(values[i], after.max_download_time);
		EXPECT_EQ(0, after.transfer_time);
		EXPECT_EQ(before.priority, after.priority);
		EXPECT_EQ(before.notify_flags, after.notify_flags);
		EXPECT_EQ(before.min_retry_delay, after.min_retry_delay);
		EXPECT_EQ(before.no_progress_timeout, after.no_progress_timeout);
		EXPECT_EQ(before.flags, after.flags);
	}
	/* with the others; and not named, it stays */
	req = attr_req(ATTR_ALL | KBITS_ATTR_MAX_DOWNLOAD_TIME);
	req.priority = KBITS_PRIORITY_HIGH;
	req.notify_flags = NOTIFY_DEFAULT;
	req.min_retry_delay = 60;
	req.no_progress_timeout = 3600;
	req.max_download_time = 7200;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	expect_attr(fd, KBITS_PRIORITY_HIGH, NOTIFY_DEFAULT, 60, 3600);
	req = attr_req(KBITS_ATTR_PRIORITY);
	req.priority = KBITS_PRIORITY_LOW;
	req.max_download_time = 1;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &before);
	EXPECT_EQ(KBITS_PRIORITY_LOW, before.priority);
	EXPECT_EQ(7200, before.max_download_time);

	/* a struct of the first size cannot name it: EINVAL, nothing changes */
	memset(&b, 0, sizeof(b));
	b.attr.size = KBITS_JOB_ATTR_SIZE_VER0;
	b.attr.mask = KBITS_ATTR_MAX_DOWNLOAD_TIME;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	b.attr.mask = KBITS_ATTR_MAX_DOWNLOAD_TIME | KBITS_ATTR_PRIORITY;
	b.attr.priority = KBITS_PRIORITY_HIGH;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	b.attr.size = KBITS_JOB_ATTR_SIZE_VER1 - 1;
	b.attr.max_download_time = 5;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));

	/* a caller of the first size sets the rest, and the limit stays */
	memset(&b, 0, sizeof(b));
	b.attr.size = KBITS_JOB_ATTR_SIZE_VER0;
	b.attr.mask = KBITS_ATTR_PRIORITY;
	b.attr.priority = KBITS_PRIORITY_FOREGROUND;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	get_attr(fd, &after);
	EXPECT_EQ(KBITS_PRIORITY_FOREGROUND, after.priority);
	EXPECT_EQ(7200, after.max_download_time);

	/* ... and gets the first 56 bytes, not one more */
	memset(&b, 0xa5, sizeof(b));
	b.attr.size = KBITS_JOB_ATTR_SIZE_VER0;
	b.attr.mask = 0;
	b.attr.flags = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &b));
	EXPECT_EQ(KBITS_JOB_ATTR_SIZE_VER0, b.attr.size);
	EXPECT_EQ(KBITS_PRIORITY_FOREGROUND, b.attr.priority);
	EXPECT_EQ(after.creation_time, b.attr.creation_time);
	EXPECT_EQ(after.completion_time, b.attr.completion_time);
	EXPECT_TRUE(all_bytes(b.bytes + KBITS_JOB_ATTR_SIZE_VER0, 0xa5,
			      sizeof(b) - KBITS_JOB_ATTR_SIZE_VER0));
	/* a size between the two: what fits of the new fields */
	memset(&b, 0xa5, sizeof(b));
	b.attr.size = KBITS_JOB_ATTR_SIZE_VER0 + 4;
	b.attr.mask = 0;
	b.attr.flags = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &b));
	EXPECT_EQ(KBITS_JOB_ATTR_SIZE_VER0 + 4, b.attr.size);
	EXPECT_EQ(7200, b.attr.max_download_time);
	EXPECT_TRUE(all_bytes(b.bytes + KBITS_JOB_ATTR_SIZE_VER0 + 4, 0xa5,
			      sizeof(b) - KBITS_JOB_ATTR_SIZE_VER0 - 4));
	/* a larger struct with a zero tail sets and gets it */
	memset(&b, 0, sizeof(b));
	b.attr.size = sizeof(b);
	b.attr.mask = KBITS_ATTR_MAX_DOWNLOAD_TIME;
	b.attr.max_download_time = 42;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	memset(&b, 0, sizeof(b));
	b.attr.size = sizeof(b);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ATTR, &b));
	EXPECT_EQ(KBITS_JOB_ATTR_SIZE_VER1, b.attr.size);
	EXPECT_EQ(42, b.attr.max_download_time);
	EXPECT_EQ(0, b.attr.transfer_time);

	/* a job that left the queue: EBADFD, but it still reads */
	job_cancel(fd);
	req = attr_req(KBITS_ATTR_MAX_DOWNLOAD_TIME);
	req.max_download_time = 9;
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_EQ(42, after.max_download_time);
	close(fd);
	close(dev);
}

/* One refused SET_ATTR: the change it would have made besides its fault. */
struct bad_attr {
	const char *what;
	uint32_t mask;
	uint32_t priority, notify_flags, min_retry_delay, reserved;
};

TEST(set_attr_invalid_changes_nothing)
{
	/*
	 * Each names every field with a valid value but one, so a kernel
	 * that applied what it checked before finding the fault shows it.
	 */
	static const struct bad_attr bad[] = {
		{ "unknown mask bit 6", ATTR_ALL | KBITS_ATTR_FLAGS |
		  KBITS_ATTR_MAX_DOWNLOAD_TIME | (1u << 6),
		  KBITS_PRIORITY_LOW, 0, 60, 0 },
		{ "unknown mask bit 31", ATTR_ALL | (1u << 31),
		  KBITS_PRIORITY_LOW, 0, 60, 0 },
		{ "unknown mask bit alone", 1u << 6,
		  KBITS_PRIORITY_LOW, 0, 60, 0 },
		{ "reserved", ATTR_ALL, KBITS_PRIORITY_LOW, 0, 60, 1 },
		{ "reserved, mask 0", 0, KBITS_PRIORITY_LOW, 0, 60, 0x80000000u },
		{ "priority LOW + 1", ATTR_ALL, KBITS_PRIORITY_LOW + 1, 0, 60, 0 },
		{ "priority ~0", ATTR_ALL, 0xffffffff, 0, 60, 0 },
		{ "notify 0x20", ATTR_ALL, KBITS_PRIORITY_LOW, 0x20, 60, 0 },
		{ "notify ALL | 1 << 31", ATTR_ALL, KBITS_PRIORITY_LOW,
		  KBITS_NOTIFY_ALL | 0x80000000u, 60, 0 },
		{ "min_retry_delay 4", ATTR_ALL, KBITS_PRIORITY_LOW, 0, 4, 0 },
		{ "min_retry_delay 0", ATTR_ALL, KBITS_PRIORITY_LOW, 0, 0, 0 },
		{ "min_retry_delay 4 alone", KBITS_ATTR_MIN_RETRY_DELAY,
		  KBITS_PRIORITY_LOW, 0, 4, 0 },
	};
	struct kbits_job_attr req, before, after;
	int dev = dev_open(), fd;
	union big_arg b;
	size_t i;

	fd = make_job(dev, "jt: set_attr invalid", DL, NULL);
	get_attr(fd, &before);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&req, 0, sizeof(req));
		req.size = sizeof(req);
		req.mask = bad[i].mask;
		req.priority = bad[i].priority;
		req.notify_flags = bad[i].notify_flags;
		req.min_retry_delay = bad[i].min_retry_delay;
		req.no_progress_timeout = 0;
		req.flags = bad[i].reserved;
		if (ioc(fd, KBITS_JOB_IOC_SET_ATTR, &req) != -EINVAL)
			TH_LOG("SET_ATTR with %s: not EINVAL", bad[i].what);
		EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		get_attr(fd, &after);
		if (memcmp(&before, &after, sizeof(before)))
			TH_LOG("SET_ATTR with %s changed the job", bad[i].what);
		EXPECT_MEMEQ(&before, &after, sizeof(before));
	}

	/* sizes and pointers, with a valid request behind them */
	memset(&b, 0, sizeof(b));
	b.attr.mask = KBITS_ATTR_PRIORITY;
	b.attr.priority = KBITS_PRIORITY_LOW;
	b.attr.size = KBITS_JOB_ATTR_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	b.attr.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	b.attr.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	b.attr.size = sizeof(b);
	b.bytes[sizeof(b.attr)] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &b));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, unmapped_page()));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));

	/* the smallest retry delay is allowed */
	req = attr_req(KBITS_ATTR_MIN_RETRY_DELAY);
	req.min_retry_delay = KBITS_MIN_RETRY_DELAY_MIN;
	ASSERT_EQ(5, KBITS_MIN_RETRY_DELAY_MIN);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	expect_attr(fd, KBITS_PRIORITY_NORMAL, NOTIFY_DEFAULT, 5, 1209600);

	job_cancel(fd);
	close(fd);
	close(dev);
}

/*
 * Which calls move modification_time: the changes of a job's user do, the
 * reads, the refused calls and the no-ops do not.  One second of sleep for
 * them all: every job is set up first, then the clock moves, then each job
 * gets one call.
 */
enum { MT_ATTR, MT_NAME, MT_DESC, MT_ADD, MT_RESUME, MT_SUSPEND,
       MT_IDLE_SUSPENDED, MT_IDLE_QUEUED, MT_JOBS };

TEST(modification_time)
{
	struct kbits_job_attr a, m0[MT_JOBS], req;
	int dev = dev_open(), fd[MT_JOBS], i;
	struct kbits_job_progress p;
	struct got_file g;
	char buf[STR_BUF], big[KBITS_DISPLAY_NAME_MAX + 1];
	time_t now;

	for (i = 0; i < MT_JOBS; i++)
		fd[i] = make_job(dev, "jt: mtime", DL, NULL);
	ASSERT_SYSOK(add_file(fd[MT_RESUME], "/src", "/dst"));
	ASSERT_SYSOK(add_file(fd[MT_SUSPEND], "/src", "/dst"));
	ASSERT_SYSOK(ioctl(fd[MT_SUSPEND], KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(add_file(fd[MT_IDLE_QUEUED], "/src", "/dst"));
	ASSERT_SYSOK(ioctl(fd[MT_IDLE_QUEUED], KBITS_JOB_IOC_RESUME));
	for (i = 0; i < MT_JOBS; i++)
		get_attr(fd[i], &m0[i]);

	/* after this, "now" in seconds is past every m0 */
	sleep(1);

	req = attr_req(KBITS_ATTR_PRIORITY);
	req.priority = KBITS_PRIORITY_HIGH;
	ASSERT_SYSOK(ioctl(fd[MT_ATTR], KBITS_JOB_IOC_SET_ATTR, &req));
	ASSERT_SYSOK(set_string(fd[MT_NAME], KBITS_JOB_IOC_SET_DISPLAY_NAME,
				"renamed", 7));
	ASSERT_SYSOK(set_string(fd[MT_DESC], KBITS_JOB_IOC_SET_DESCRIPTION,
				"described", 9));
	ASSERT_SYSOK(add_file(fd[MT_ADD], "/src", "/dst"));
	ASSERT_SYSOK(ioctl(fd[MT_RESUME], KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(ioctl(fd[MT_SUSPEND], KBITS_JOB_IOC_SUSPEND));

	/* reads, refusals and no-ops, on a SUSPENDED job ... */
	i = MT_IDLE_SUSPENDED;
	get_attr(fd[i], &a);
	get_string(fd[i], KBITS_JOB_IOC_GET_DISPLAY_NAME, buf);
	get_string(fd[i], KBITS_JOB_IOC_GET_DESCRIPTION, buf);
	get_progress(fd[i], &p);
	EXPECT_ERRNO(ENXIO, get_file(fd[i], 0, &g));
	req = attr_req(0);
	EXPECT_SYSOK(ioctl(fd[i], KBITS_JOB_IOC_SET_ATTR, &req));
	req = attr_req(KBITS_ATTR_MIN_RETRY_DELAY);
	req.min_retry_delay = 4;
	EXPECT_ERRNO(EINVAL, ioctl(fd[i], KBITS_JOB_IOC_SET_ATTR, &req));
	memset(big, 'a', sizeof(big));
	EXPECT_ERRNO(ENAMETOOLONG, set_string(fd[i], KBITS_JOB_IOC_SET_DISPLAY_NAME,
					      big, sizeof(big)));
	EXPECT_ERRNO(EINVAL, set_string(fd[i], KBITS_JOB_IOC_SET_DESCRIPTION,
					"\xff", 1));
	EXPECT_ERRNO(EINVAL, add_file(fd[i], "relative", "/dst"));
	EXPECT_ERRNO(ENODATA, ioctl(fd[i], KBITS_JOB_IOC_RESUME));
	EXPECT_SYSOK(ioctl(fd[i], KBITS_JOB_IOC_SUSPEND));
	/* ... and on a QUEUED one */
	EXPECT_SYSOK(ioctl(fd[MT_IDLE_QUEUED], KBITS_JOB_IOC_RESUME));

	now = time(NULL);
	for (i = 0; i < MT_JOBS; i++) {
		get_attr(fd[i], &a);
		EXPECT_EQ(m0[i].creation_time, a.creation_time);
		if (i == MT_IDLE_SUSPENDED || i == MT_IDLE_QUEUED) {
			EXPECT_EQ(m0[i].modification_time, a.modification_time);
		} else {
			if (a.modification_time <= m0[i].modification_time)
				TH_LOG("job %d: modification_time did not move", i);
			EXPECT_LT(m0[i].modification_time, a.modification_time);
			EXPECT_GE(now, a.modification_time);
		}
		EXPECT_EQ(0, a.completion_time);
		job_cancel(fd[i]);
		close(fd[i]);
	}
	close(dev);
}

/* -------------------------------------------- display name, description */

TEST(strings_roundtrip)
{
	static const char *const samples[] = {
		"jt: plain ASCII",
		"Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80",
		"\x01",
		"\xf4\x8f\xbf\xbf",	/* U+10FFFF */
	};
	char s[KBITS_DESCRIPTION_MAX + 2];
	int dev = dev_open(), fd, fd2;
	guid_bytes id;
	size_t k, i;
	uint32_t j;

	fd = make_job(dev, "jt: strings", DL, id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);

	for (k = 0; k < ARRAY_SIZE(str_kinds); k++) {
		const struct str_kind *sk = &str_kinds[k];

		for (i = 0; i < ARRAY_SIZE(samples); i++) {
			ASSERT_SYSOK(set_string(fd, sk->set, samples[i],
						strlen(samples[i])));
			expect_string(fd, sk->get, samples[i], strlen(samples[i]));
			/* the job's, not the fd's */
			expect_string(fd2, sk->get, samples[i], strlen(samples[i]));
		}

		/* empty, with and without a buffer */
		ASSERT_SYSOK(set_string(fd, sk->set, "ignored", 0));
		expect_string(fd, sk->get, "", 0);
		ASSERT_SYSOK(set_string(fd, sk->set, "x", 1));
		ASSERT_SYSOK(set_string(fd, sk->set, NULL, 0));
		expect_string(fd, sk->get, "", 0);

		/* the longest, in ASCII and in 4-byte characters */
		memset(s, 'a', sizeof(s));
		ASSERT_SYSOK(set_string(fd, sk->set, s, sk->max));
		expect_string(fd, sk->get, s, sk->max);
		for (j = 0; j < sk->max; j += 4)
			memcpy(s + j, "\xf0\x9f\x98\x80", 4);
		ASSERT_SYSOK(set_string(fd, sk->set, s, sk->max));
		expect_string(fd, sk->get, s, sk->max);

		/* one byte more, however it is made up: refused, unchanged */
		memset(s, 'b', sizeof(s));
		EXPECT_ERRNO(ENAMETOOLONG, set_string(fd, sk->set, s, sk->max + 1));
		memcpy(s + sk->max - 1, "\xc3\xa9", 2);
		EXPECT_ERRNO(ENAMETOOLONG, set_string(fd, sk->set, s, sk->max + 1));
		/* a huge length with a short buffer: refused before reading */
		EXPECT_ERRNO(ENAMETOOLONG, set_string(fd, sk->set, "abc",
						      0xffffffffu));
		for (j = 0; j < sk->max; j += 4)
			memcpy(s + j, "\xf0\x9f\x98\x80", 4);
		expect_string(fd, sk->get, s, sk->max);
	}

	/* the two strings are apart */
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME, "jt: name", 8));
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "a description", 13));
	expect_string(fd2, KBITS_JOB_IOC_GET_DISPLAY_NAME, "jt: name", 8);
	expect_string(fd2, KBITS_JOB_IOC_GET_DESCRIPTION, "a description", 13);

	job_cancel(fd);
	close(fd);
	close(fd2);
	close(dev);
}

TEST(strings_invalid)
{
	/* by length, as a literal with its NULs: sizeof - 1 */
#define BAD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; uint32_t len; } bad[] = {
		BAD("ab\0cd"), BAD("\0"), BAD("abc\0"), BAD("\0abc"),
		BAD("\xff"), BAD("\xc0\x80"), BAD("\xe0\x80\xaf"),
		BAD("abc\xe2\x82"), BAD("\x80"), BAD("\xed\xa0\x80"),
		BAD("\xf4\x90\x80\x80"), BAD("\xf8\x88\x80\x80\x80"),
	};
#undef BAD
	struct kbits_job_string js;
	int dev = dev_open(), fd;
	union big_arg b;
	char buf[STR_BUF];
	size_t k, i;

	fd = make_job(dev, "jt: invalid strings", DL, NULL);
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "kept", 4));

	for (k = 0; k < ARRAY_SIZE(str_kinds); k++) {
		const struct str_kind *sk = &str_kinds[k];
		const char *keep = k ? "kept" : "jt: invalid strings";

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (set_string(fd, sk->set, bad[i].s, bad[i].len) != -1 ||
			    errno != EINVAL)
				TH_LOG("%s: bad string %zu not EINVAL", sk->what, i);
			EXPECT_ERRNO(EINVAL, set_string(fd, sk->set, bad[i].s,
							bad[i].len));
		}

		/* reserved, sizes, pointers: for SET and for GET */
		memset(&js, 0, sizeof(js));
		js.size = sizeof(js);
		js.len = 3;
		js.buf = (uintptr_t)"new";
		js.reserved = 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, sk->set, &js));
		js.reserved = 0;
		js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, sk->set, &js));
		js.size = page_size() + 1;
		EXPECT_ERRNO(E2BIG, ioctl(fd, sk->set, &js));
		memset(&b, 0, sizeof(b));
		b.str.size = sizeof(b);
		b.str.len = 3;
		b.str.buf = (uintptr_t)"new";
		b.bytes[sizeof(b) - 1] = 1;
		EXPECT_ERRNO(E2BIG, ioctl(fd, sk->set, &b));
		js.size = sizeof(js);
		js.buf = (uintptr_t)KADDR;
		EXPECT_ERRNO(EFAULT, ioctl(fd, sk->set, &js));
		js.buf = (uintptr_t)unmapped_page();
		EXPECT_ERRNO(EFAULT, ioctl(fd, sk->set, &js));
		EXPECT_ERRNO(EFAULT, ioctl(fd, sk->set, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(fd, sk->set, KADDR));
		expect_string(fd, sk->get, keep, strlen(keep));

		memset(&js, 0, sizeof(js));
		js.size = sizeof(js);
		js.len = sizeof(buf);
		js.buf = (uintptr_t)buf;
		js.reserved = 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, sk->get, &js));
		js.reserved = 0;
		js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, sk->get, &js));
		js.size = sizeof(js);
		js.buf = (uintptr_t)KADDR;
		EXPECT_ERRNO(EFAULT, ioctl(fd, sk->get, &js));
		EXPECT_ERRNO(EFAULT, ioctl(fd, sk->get, NULL));
		/* a larger struct with a zero tail reads fine */
		memset(&b, 0, sizeof(b));
		b.str.size = sizeof(b);
		b.str.len = sizeof(buf);
		b.str.buf = (uintptr_t)buf;
		ASSERT_SYSOK(ioctl(fd, sk->get, &b));
		EXPECT_EQ(strlen(keep), b.str.len);
		EXPECT_STREQ(keep, buf);
	}

	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(strings_erange)
{
	static const char str[] = "twelve bytes";
	struct kbits_job_string js;
	int dev = dev_open(), fd;
	char buf[STR_BUF + 8], s[KBITS_DESCRIPTION_MAX];
	size_t k;

	fd = make_job(dev, "jt: erange", DL, NULL);

	for (k = 0; k < ARRAY_SIZE(str_kinds); k++) {
		const struct str_kind *sk = &str_kinds[k];

		ASSERT_SYSOK(set_string(fd, sk->set, str, strlen(str)));

		/* room for the string but not its NUL: nothing written */
		memset(buf, 'Z', sizeof(buf));
		memset(&js, 0, sizeof(js));
		js.size = sizeof(js);
		js.len = strlen(str);
		js.buf = (uintptr_t)buf;
		EXPECT_ERRNO(ERANGE, ioctl(fd, sk->get, &js));
		EXPECT_EQ(strlen(str), js.len);
		EXPECT_TRUE(all_bytes(buf, 'Z', sizeof(buf)));

		/* asking for the length: len 0, no buffer */
		js.len = 0;
		js.buf = 0;
		EXPECT_ERRNO(ERANGE, ioctl(fd, sk->get, &js));
		EXPECT_EQ(strlen(str), js.len);

		/* exactly enough */
		js.len = strlen(str) + 1;
		js.buf = (uintptr_t)buf;
		ASSERT_SYSOK(ioctl(fd, sk->get, &js));
		EXPECT_EQ(strlen(str), js.len);
		EXPECT_STREQ(str, buf);
		EXPECT_EQ('Z', buf[strlen(str) + 1]);

		/* the empty string needs one byte */
		ASSERT_SYSOK(set_string(fd, sk->set, NULL, 0));
		js.len = 0;
		EXPECT_ERRNO(ERANGE, ioctl(fd, sk->get, &js));
		EXPECT_EQ(0, js.len);
		js.len = 1;
		buf[0] = 'Z';
		ASSERT_SYSOK(ioctl(fd, sk->get, &js));
		EXPECT_EQ(0, js.len);
		EXPECT_EQ(0, buf[0]);

		/* the longest needs max + 1 */
		memset(s, 'm', sizeof(s));
		ASSERT_SYSOK(set_string(fd, sk->set, s, sk->max));
		memset(buf, 'Z', sizeof(buf));
		js.len = sk->max;
		EXPECT_ERRNO(ERANGE, ioctl(fd, sk->get, &js));
		EXPECT_EQ(sk->max, js.len);
		EXPECT_TRUE(all_bytes(buf, 'Z', sizeof(buf)));
		js.len = sk->max + 1;
		ASSERT_SYSOK(ioctl(fd, sk->get, &js));
		EXPECT_EQ(sk->max, js.len);
		EXPECT_MEMEQ(s, buf, sk->max);
		EXPECT_EQ(0, buf[sk->max]);
	}

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* ------------------------------------------------ proxy settings, headers */

#define PX_SYSTEM	KBITS_PROXY_SYSTEM
#define PX_NONE		KBITS_PROXY_NONE
#define PX_OVERRIDE	KBITS_PROXY_OVERRIDE
#define HDRS_BUF	(KBITS_HTTP_HEADERS_MAX + 16)

/* SET_PROXY with explicit lengths (the lists need no NUL); ioctl's result. */
static int set_proxy_n(int fd, uint32_t usage, const void *list, uint32_t list_len,
		       const void *bypass, uint32_t bypass_len)
{
	struct kbits_job_proxy p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.usage = usage;
	p.list = (uintptr_t)list;
	p.list_len = list_len;
	p.bypass = (uintptr_t)bypass;
	p.bypass_len = bypass_len;
	return ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p);
}

/* The job's proxy settings must be these (NULL: an empty list). */
#define EXPECT_PROXY(fd, usage, list, bypass) \
	expect_proxy(__LINE__, fd, usage, list, bypass)

static void expect_proxy(int line, int fd, uint32_t usage, const char *list,
			 const char *bypass)
{
	static struct got_proxy g;
	size_t ll = list ? strlen(list) : 0, bl = bypass ? strlen(bypass) : 0;

	if (raw_get_proxy(fd, &g)) {
		th_fail(__FILE__, line, false, "GET_PROXY: %s", th_errname(errno));
		return;
	}
	if (g.p.usage != usage || g.p.list_len != ll || g.p.bypass_len != bl ||
	    memcmp(g.list, list ?: "", ll + 1) ||
	    memcmp(g.bypass, bypass ?: "", bl + 1))
		th_fail(__FILE__, line, false,
			"GET_PROXY: usage %u, lengths %u/%u, lists \"%.40s\" \"%.40s\"; expected %u, %zu/%zu, \"%.40s\" \"%.40s\"",
			g.p.usage, g.p.list_len, g.p.bypass_len, g.list, g.bypass,
			usage, ll, bl, list ?: "", bypass ?: "");
	/* nothing written past either NUL */
	if (ll + 1 < sizeof(g.list) && g.list[ll + 1] != 'Z')
		th_fail(__FILE__, line, false, "GET_PROXY wrote past the list's NUL");
	if (bl + 1 < sizeof(g.bypass) && g.bypass[bl + 1] != 'Z')
		th_fail(__FILE__, line, false, "GET_PROXY wrote past the bypass list's NUL");
	EXPECT_EQ(sizeof(g.p), g.p.size);
	EXPECT_EQ(0, g.p.reserved);
}

/* GET_HTTP_HEADERS into @buf (HDRS_BUF bytes): its length, or -errno. */
static long get_headers(int fd, char *buf)
{
	struct kbits_job_string js;

	memset(buf, 'Z', HDRS_BUF);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = HDRS_BUF;
	js.buf = (uintptr_t)buf;
	if (ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js))
		return -errno;
	ASSERT_LT(js.len, HDRS_BUF);
	ASSERT_EQ(0, buf[js.len]);
	EXPECT_EQ('Z', buf[js.len + 1]);
	return js.len;
}

/* The job's headers must be the @len bytes at @want; NULL: it has none. */
#define EXPECT_HEADERS(fd, want, len) \
	expect_headers(__LINE__, fd, want, len)

static void expect_headers(int line, int fd, const char *want, uint32_t len)
{
	static char hb[HDRS_BUF];
	long got = get_headers(fd, hb);

	if (!want) {
		if (got != -ENODATA)
			th_fail(__FILE__, line, false,
				"GET_HTTP_HEADERS gave %ld, expected -ENODATA", got);
		return;
	}
	if (got != (long)len)
		th_fail(__FILE__, line, false,
			"GET_HTTP_HEADERS gave %ld, expected length %u", got, len);
	else if (memcmp(want, hb, len))
		th_fail(__FILE__, line, false, "GET_HTTP_HEADERS: other bytes");
}

static int set_headers(int fd, const char *h)
{
	return set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, h, h ? strlen(h) : 0);
}

TEST(proxy_defaults_and_roundtrip)
{
	static const uint32_t types[] = { DL, UP, UR };
	static char l[KBITS_PROXY_LIST_MAX + 8], b[KBITS_PROXY_LIST_MAX + 8];
	int dev = dev_open(), fd, fd2;
	guid_bytes id;
	uint32_t i;

	/* a new job's: SYSTEM, no lists, whatever its type */
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		fd = make_job(dev, "jt: proxy defaults", types[i], NULL);
		EXPECT_PROXY(fd, PX_SYSTEM, NULL, NULL);
		job_cancel(fd);
		close(fd);
	}

	fd = make_job(dev, "jt: proxy", DL, id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);

	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "http://proxy.test:3128",
				   "localhost,*.example.test"));
	EXPECT_PROXY(fd, PX_OVERRIDE, "http://proxy.test:3128",
		     "localhost,*.example.test");
	/* the job's, not the fd's */
	EXPECT_PROXY(fd2, PX_OVERRIDE, "http://proxy.test:3128",
		     "localhost,*.example.test");
	/* OVERRIDE with no bypass list (and a pointer that is not read) */
	ASSERT_SYSOK(set_proxy_n(fd, PX_OVERRIDE, "p1 p2", 5, KADDR, 0));
	EXPECT_PROXY(fd, PX_OVERRIDE, "p1 p2", NULL);
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "\xc3\xa9.test", "<local>"));
	EXPECT_PROXY(fd, PX_OVERRIDE, "\xc3\xa9.test", "<local>");
	/* NONE and SYSTEM drop the lists */
	ASSERT_SYSOK(raw_set_proxy(fd, PX_NONE, NULL, NULL));
	EXPECT_PROXY(fd2, PX_NONE, NULL, NULL);
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "p", "b"));
	ASSERT_SYSOK(set_proxy_n(fd, PX_SYSTEM, KADDR, 0, KADDR, 0));
	EXPECT_PROXY(fd2, PX_SYSTEM, NULL, NULL);
	/* the same again is fine */
	ASSERT_SYSOK(raw_set_proxy(fd, PX_SYSTEM, NULL, NULL));
	EXPECT_PROXY(fd, PX_SYSTEM, NULL, NULL);

	/* the longest lists: KBITS_PROXY_LIST_MAX bytes, ASCII or not */
	EXPECT_EQ(4000, KBITS_PROXY_LIST_MAX);
	memset(l, 'l', sizeof(l));
	memset(b, 'b', sizeof(b));
	l[KBITS_PROXY_LIST_MAX] = b[KBITS_PROXY_LIST_MAX] = '\0';
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, l, b));
	EXPECT_PROXY(fd, PX_OVERRIDE, l, b);
	for (i = 0; i < KBITS_PROXY_LIST_MAX; i += 2)
		memcpy(b + i, "\xc3\xa9", 2);
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "x", b));
	EXPECT_PROXY(fd, PX_OVERRIDE, "x", b);

	/* a byte more, in either list: ENAMETOOLONG, and nothing changes */
	memset(l, 'L', sizeof(l));
	l[KBITS_PROXY_LIST_MAX + 1] = '\0';
	EXPECT_ERRNO(ENAMETOOLONG, raw_set_proxy(fd, PX_OVERRIDE, l, NULL));
	EXPECT_ERRNO(ENAMETOOLONG, raw_set_proxy(fd, PX_OVERRIDE, "y", l));
	EXPECT_ERRNO(ENAMETOOLONG, raw_set_proxy(fd, PX_OVERRIDE, l, l));
	memcpy(l + KBITS_PROXY_LIST_MAX - 1, "\xc3\xa9", 2);
	EXPECT_ERRNO(ENAMETOOLONG, raw_set_proxy(fd, PX_OVERRIDE, l, "z"));
	/* a huge length with a short buffer: refused before reading */
	EXPECT_ERRNO(ENAMETOOLONG, set_proxy_n(fd, PX_OVERRIDE, "abc",
					       0xffffffffu, NULL, 0));
	EXPECT_ERRNO(ENAMETOOLONG, set_proxy_n(fd, PX_OVERRIDE, "abc", 3,
					       "abc", 0xffffffffu));
	EXPECT_PROXY(fd2, PX_OVERRIDE, "x", b);

	job_cancel(fd);
	close(fd);
	close(fd2);
	close(dev);
}

TEST(proxy_invalid)
{
#define BAD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; uint32_t len; } bad[] = {
		BAD("ab\0cd"), BAD("\0"), BAD("abc\0"), BAD("\xff"),
		BAD("\xc0\x80"), BAD("\xe0\x80\xaf"), BAD("abc\xe2\x82"),
		BAD("\x80"), BAD("\xed\xa0\x80"), BAD("\xf4\x90\x80\x80"),
	};
#undef BAD
	struct kbits_job_proxy p;
	int dev = dev_open(), fd;
	union big_arg u;
	size_t i;

	fd = make_job(dev, "jt: proxy invalid", DL, NULL);
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "kept", "kept too"));

	/* usages there are not */
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, 3, NULL, NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, 3, "p", NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, 0x80000000u, NULL, NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, ~0u, "p", "b"));
	/* SYSTEM and NONE take no lists, OVERRIDE needs a list */
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_SYSTEM, "p", NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_SYSTEM, NULL, "b"));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_SYSTEM, "p", "b"));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_NONE, "p", NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_NONE, NULL, "b"));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_NONE, "p", "b"));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_OVERRIDE, NULL, NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_OVERRIDE, NULL, "b"));
	EXPECT_ERRNO(EINVAL, set_proxy_n(fd, PX_OVERRIDE, "p", 0, "b", 1));
	EXPECT_PROXY(fd, PX_OVERRIDE, "kept", "kept too");

	/* lists that are not UTF-8, or have a NUL */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (set_proxy_n(fd, PX_OVERRIDE, bad[i].s, bad[i].len, NULL, 0) != -1 ||
		    errno != EINVAL)
			TH_LOG("bad list %zu not EINVAL", i);
		EXPECT_ERRNO(EINVAL, set_proxy_n(fd, PX_OVERRIDE, bad[i].s,
						 bad[i].len, NULL, 0));
		EXPECT_ERRNO(EINVAL, set_proxy_n(fd, PX_OVERRIDE, "p", 1,
						 bad[i].s, bad[i].len));
	}
	EXPECT_PROXY(fd, PX_OVERRIDE, "kept", "kept too");

	/* SET: reserved, sizes, pointers */
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.usage = PX_NONE;
	p.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p));
	p.reserved = 1ull << 63;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p));
	p.reserved = 0;
	p.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p));
	p.size = KBITS_JOB_PROXY_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p));
	p.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p));
	memset(&u, 0, sizeof(u));
	u.proxy.size = sizeof(u);
	u.proxy.usage = PX_NONE;
	u.bytes[sizeof(u) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &u));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_PROXY, unmapped_page()));
	EXPECT_ERRNO(EFAULT, set_proxy_n(fd, PX_OVERRIDE, KADDR, 4, NULL, 0));
	EXPECT_ERRNO(EFAULT, set_proxy_n(fd, PX_OVERRIDE, unmapped_page(), 4,
					 NULL, 0));
	EXPECT_ERRNO(EFAULT, set_proxy_n(fd, PX_OVERRIDE, NULL, 4, NULL, 0));
	EXPECT_ERRNO(EFAULT, set_proxy_n(fd, PX_OVERRIDE, "p", 1, KADDR, 4));
	EXPECT_ERRNO(EFAULT, set_proxy_n(fd, PX_OVERRIDE, "p", 1, NULL, 4));
	EXPECT_PROXY(fd, PX_OVERRIDE, "kept", "kept too");
	/* a larger struct with a zero tail works */
	u.bytes[sizeof(u) - 1] = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &u));
	EXPECT_PROXY(fd, PX_NONE, NULL, NULL);
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "kept", "kept too"));

	/* GET: reserved, sizes, pointers */
	{
		static struct got_proxy g;

		raw_get_proxy(fd, &g);	/* sets up the request */
		g.p.reserved = 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g.p));
		g.p.reserved = 0;
		g.p.size = KBITS_JOB_PROXY_SIZE_VER0 - 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g.p));
		g.p.size = page_size() + 1;
		EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g.p));
		g.p.size = sizeof(g.p);
		/* (the lengths are out too: room again before each call) */
		g.p.list_len = sizeof(g.list);
		g.p.bypass_len = sizeof(g.bypass);
		g.p.list = (uintptr_t)KADDR;
		EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g.p));
		g.p.list = (uintptr_t)g.list;
		g.p.list_len = sizeof(g.list);
		g.p.bypass_len = sizeof(g.bypass);
		g.p.bypass = (uintptr_t)unmapped_page();
		EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g.p));
		/* with room for nothing, ERANGE comes before any pointer is used */
		g.p.list_len = 0;
		g.p.bypass_len = 0;
		g.p.list = (uintptr_t)KADDR;
		EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g.p));
		EXPECT_EQ(4, g.p.list_len);
		EXPECT_EQ(8, g.p.bypass_len);
		EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, KADDR));
		/* a struct it may read but not write back */
		{
			long ps = page_size();
			struct kbits_job_proxy *ro;

			ro = mmap(NULL, ps, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			ASSERT_TRUE(ro != MAP_FAILED);
			raw_get_proxy(fd, &g);
			memcpy(ro, &g.p, sizeof(g.p));
			ASSERT_SYSOK(mprotect(ro, ps, PROT_READ));
			EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, ro));
			munmap(ro, ps);
		}
		/* a larger struct with a zero tail reads fine */
		memset(&u, 0, sizeof(u));
		u.proxy.size = sizeof(u);
		u.proxy.list = (uintptr_t)g.list;
		u.proxy.list_len = sizeof(g.list);
		u.proxy.bypass = (uintptr_t)g.bypass;
		u.proxy.bypass_len = sizeof(g.bypass);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &u));
		EXPECT_EQ(PX_OVERRIDE, u.proxy.usage);
		EXPECT_EQ(4, u.proxy.list_len);
		EXPECT_STREQ("kept", g.list);
		EXPECT_STREQ("kept too", g.bypass);
		u.bytes[sizeof(u) - 1] = 1;
		EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &u));
	}
	EXPECT_PROXY(fd, PX_OVERRIDE, "kept", "kept too");

	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(proxy_erange)
{
	static char list[KBITS_PROXY_LIST_MAX + 8], byp[KBITS_PROXY_LIST_MAX + 8];
	struct kbits_job_proxy p;
	int dev = dev_open(), fd;

#define GET_REQ(ll, bl) do {						\
	memset(list, 'Z', sizeof(list));				\
	memset(byp, 'Z', sizeof(byp));					\
	memset(&p, 0, sizeof(p));					\
	p.size = sizeof(p);						\
	p.usage = 0xdeadbeef;						\
	p.list = (uintptr_t)list;					\
	p.list_len = (ll);						\
	p.bypass = (uintptr_t)byp;					\
	p.bypass_len = (bl);						\
} while (0)
#define NOTHING_WRITTEN() do {						\
	EXPECT_TRUE(all_bytes(list, 'Z', sizeof(list)));		\
	EXPECT_TRUE(all_bytes(byp, 'Z', sizeof(byp)));			\
} while (0)

	fd = make_job(dev, "jt: proxy erange", DL, NULL);

	/* a new job's empty lists still need their NULs */
	GET_REQ(0, 0);
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	EXPECT_EQ(0, p.list_len);
	EXPECT_EQ(0, p.bypass_len);
	NOTHING_WRITTEN();
	GET_REQ(1, 0);
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	NOTHING_WRITTEN();
	GET_REQ(1, 1);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	EXPECT_EQ(PX_SYSTEM, p.usage);
	EXPECT_EQ(0, list[0]);
	EXPECT_EQ(0, byp[0]);
	EXPECT_EQ('Z', list[1]);
	EXPECT_EQ('Z', byp[1]);

	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "twelve bytes", "five!"));
	/* room for a list but not its NUL: both lengths, nothing written */
	GET_REQ(12, 100);
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	EXPECT_EQ(12, p.list_len);
	EXPECT_EQ(5, p.bypass_len);
	NOTHING_WRITTEN();
	GET_REQ(100, 5);
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	EXPECT_EQ(12, p.list_len);
	EXPECT_EQ(5, p.bypass_len);
	NOTHING_WRITTEN();
	/* asking for the lengths: no buffers at all */
	GET_REQ(0, 0);
	p.list = p.bypass = 0;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	EXPECT_EQ(12, p.list_len);
	EXPECT_EQ(5, p.bypass_len);
	/* exactly enough */
	GET_REQ(13, 6);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
	EXPECT_EQ(PX_OVERRIDE, p.usage);
	EXPECT_EQ(12, p.list_len);
	EXPECT_EQ(5, p.bypass_len);
	EXPECT_STREQ("twelve bytes", list);
	EXPECT_STREQ("five!", byp);
	EXPECT_EQ('Z', list[13]);
	EXPECT_EQ('Z', byp[6]);

	/* the longest need KBITS_PROXY_LIST_MAX + 1 */
	{
		static char l[KBITS_PROXY_LIST_MAX + 1];

		memset(l, 'm', KBITS_PROXY_LIST_MAX);
		ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, l, l));
		GET_REQ(KBITS_PROXY_LIST_MAX, KBITS_PROXY_LIST_MAX + 1);
		EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
		EXPECT_EQ(KBITS_PROXY_LIST_MAX, p.list_len);
		EXPECT_EQ(KBITS_PROXY_LIST_MAX, p.bypass_len);
		NOTHING_WRITTEN();
		GET_REQ(KBITS_PROXY_LIST_MAX + 1, KBITS_PROXY_LIST_MAX + 1);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &p));
		EXPECT_MEMEQ(l, list, KBITS_PROXY_LIST_MAX + 1);
		EXPECT_MEMEQ(l, byp, KBITS_PROXY_LIST_MAX + 1);
	}
#undef GET_REQ
#undef NOTHING_WRITTEN

	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(http_headers_roundtrip)
{
	static const char *const samples[] = {
		"X-Kbits: 1",
		"Authorization: Bearer abc\r\nX-Trace: \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80",
		"A:b",
		"A:",
		"A: 1\r\nA: 2\r\nA: 3",
		"X-Colons: a: b: c",
		"X-Tab:\tvalue\twith tabs",
		"!#$%&'*+-.^_`|~09Az: token characters",
		/* each line ended by CR LF, as BITS writes them */
		"X-Kbits: 1\r\n",
		"A: 1\r\nB: 2\r\n",
	};
	static char h[KBITS_HTTP_HEADERS_MAX + 8];
	struct kbits_job_string js;
	int dev = dev_open(), fd, fd2;
	char buf[64];
	guid_bytes id;
	size_t i;

	fd = make_job(dev, "jt: headers", DL, id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);

	/* a new job has none: ENODATA, whatever the buffer */
	EXPECT_HEADERS(fd, NULL, 0);
	memset(buf, 'Z', sizeof(buf));
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = 0;
	EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	js.len = sizeof(buf);
	js.buf = (uintptr_t)buf;
	EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	EXPECT_TRUE(all_bytes(buf, 'Z', sizeof(buf)));

	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		if (set_headers(fd, samples[i]))
			TH_LOG("headers %zu refused: %s", i, th_errname(errno));
		ASSERT_SYSOK(set_headers(fd, samples[i]));
		EXPECT_HEADERS(fd, samples[i], strlen(samples[i]));
		/* the job's, not the fd's */
		EXPECT_HEADERS(fd2, samples[i], strlen(samples[i]));
	}

	/* len 0 removes them, with or without a buffer; again is fine */
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, "X: ignored", 0));
	EXPECT_HEADERS(fd2, NULL, 0);
	ASSERT_SYSOK(set_headers(fd, "X: y"));
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, NULL, 0));
	EXPECT_HEADERS(fd2, NULL, 0);
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, KADDR, 0));
	EXPECT_HEADERS(fd2, NULL, 0);

	/* the longest: KBITS_HTTP_HEADERS_MAX bytes, in one line or many */
	EXPECT_EQ(8192, KBITS_HTTP_HEADERS_MAX);
	memcpy(h, "X: ", 3);
	memset(h + 3, 'h', sizeof(h) - 3);
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, h,
				KBITS_HTTP_HEADERS_MAX));
	EXPECT_HEADERS(fd2, h, KBITS_HTTP_HEADERS_MAX);
	for (i = 0; i + 8 <= KBITS_HTTP_HEADERS_MAX; i += 8)
		memcpy(h + i, i ? "\r\nA: \xc3\xa9!" : "B: \xc3\xa9!!!", 8);
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, h,
				KBITS_HTTP_HEADERS_MAX));
	EXPECT_HEADERS(fd2, h, KBITS_HTTP_HEADERS_MAX);
	/* a byte more: ENAMETOOLONG, unchanged */
	h[KBITS_HTTP_HEADERS_MAX] = 'x';
	EXPECT_ERRNO(ENAMETOOLONG, set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS,
					      h, KBITS_HTTP_HEADERS_MAX + 1));
	EXPECT_ERRNO(ENAMETOOLONG, set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS,
					      "X: y", 0xffffffffu));
	EXPECT_HEADERS(fd2, h, KBITS_HTTP_HEADERS_MAX);

	/* ERANGE as for the other strings: the length, nothing written */
	{
		static char out[KBITS_HTTP_HEADERS_MAX + 8];

		ASSERT_SYSOK(set_headers(fd, "X-Twelve: ab"));
		memset(out, 'Z', sizeof(out));
		memset(&js, 0, sizeof(js));
		js.size = sizeof(js);
		js.len = 12;
		js.buf = (uintptr_t)out;
		EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
		EXPECT_EQ(12, js.len);
		EXPECT_TRUE(all_bytes(out, 'Z', sizeof(out)));
		js.len = 0;
		js.buf = 0;
		EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
		EXPECT_EQ(12, js.len);
		js.len = 13;
		js.buf = (uintptr_t)out;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
		EXPECT_EQ(12, js.len);
		EXPECT_STREQ("X-Twelve: ab", out);
		EXPECT_EQ('Z', out[13]);

		ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, h,
					KBITS_HTTP_HEADERS_MAX));
		memset(out, 'Z', sizeof(out));
		js.len = KBITS_HTTP_HEADERS_MAX;
		EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
		EXPECT_EQ(KBITS_HTTP_HEADERS_MAX, js.len);
		EXPECT_TRUE(all_bytes(out, 'Z', sizeof(out)));
		js.len = KBITS_HTTP_HEADERS_MAX + 1;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
		EXPECT_MEMEQ(h, out, KBITS_HTTP_HEADERS_MAX);
		EXPECT_EQ(0, out[KBITS_HTTP_HEADERS_MAX]);
	}

	/* headers, display name, description are three strings */
	ASSERT_SYSOK(set_headers(fd, "X-Mine: 1"));
	expect_string(fd2, KBITS_JOB_IOC_GET_DISPLAY_NAME, "jt: headers", 11);
	expect_string(fd2, KBITS_JOB_IOC_GET_DESCRIPTION, "", 0);
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "d", 1));
	EXPECT_HEADERS(fd2, "X-Mine: 1", 9);

	job_cancel(fd);
	close(fd);
	close(fd2);
	close(dev);
}

TEST(http_headers_invalid)
{
#define BAD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; uint32_t len; } bad[] = {
		/* not "Name: value" */
		BAD("NoColon"), BAD("X-A: b\r\nNoColon"), BAD(": x"),
		BAD("X-A: b\r\n: x"), BAD("Bad Name: x"), BAD(" X-A: x"),
		BAD("X-A : x"), BAD("X\tA: x"), BAD("X\x01" "A: x"),
		BAD("X\x7f: x"), BAD("X\r: x"), BAD("X\n: x"),
		/* a name is a token: visible ASCII, not UTF-8 beyond it */
		BAD("X-\xc3\xa9: x"), BAD("\xe2\x82\xac: x"),
		/* a lone CR or LF, an empty line */
		BAD("A: b\nC: d"), BAD("A: b\rC: d"), BAD("A: b\n"),
		BAD("A: b\r"), BAD("A: b\r\r\nC: d"), BAD("A: b\n\r\nC: d"),
		BAD("A: b\r\n\r\nC: d"), BAD("\r\nA: b"), BAD("\nA: b"),
		BAD("\r\n"), BAD(" "), BAD(":"), BAD("A: b\r\n\r\n"),
		/* a control character in a value, but tab */
		BAD("X: a\x01" "b"), BAD("X: \x7f"), BAD("X: \x1b[0m"),
		BAD("X: b\r\nY: \x08"),
		/* not UTF-8, or a NUL */
		BAD("X: \xff"), BAD("X: caf\xc3"), BAD("X: \xc0\x80"),
		BAD("X: \xed\xa0\x80"), BAD("X: b\0"), BAD("X: b\r\n\0: c"),
		BAD("\0X: b"), BAD("X\0: b"),
	};
#undef BAD
	struct kbits_job_string js;
	int dev = dev_open(), fd;
	union big_arg u;
	char buf[64];
	size_t i;

	fd = make_job(dev, "jt: headers invalid", DL, NULL);
	ASSERT_SYSOK(set_headers(fd, "X-Kept: 1"));

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, bad[i].s,
			       bad[i].len) != -1 || errno != EINVAL)
			TH_LOG("bad headers %zu not EINVAL", i);
		EXPECT_ERRNO(EINVAL, set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS,
						bad[i].s, bad[i].len));
	}
	EXPECT_HEADERS(fd, "X-Kept: 1", 9);

	/* SET: reserved, sizes, pointers */
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = 4;
	js.buf = (uintptr_t)"X: y";
	js.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js));
	js.reserved = 0;
	js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js));
	js.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js));
	memset(&u, 0, sizeof(u));
	u.str.size = sizeof(u);
	u.str.len = 4;
	u.str.buf = (uintptr_t)"X: y";
	u.bytes[sizeof(u) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &u));
	js.size = sizeof(js);
	js.buf = (uintptr_t)KADDR;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js));
	js.buf = (uintptr_t)unmapped_page();
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js));
	js.buf = 0;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &js));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, KADDR));
	EXPECT_HEADERS(fd, "X-Kept: 1", 9);
	u.bytes[sizeof(u) - 1] = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &u));
	EXPECT_HEADERS(fd, "X: y", 4);

	/* GET: reserved, sizes, pointers */
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = sizeof(buf);
	js.buf = (uintptr_t)buf;
	js.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	js.reserved = 0;
	js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	js.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	js.size = sizeof(js);
	js.buf = (uintptr_t)KADDR;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, KADDR));
	memset(&u, 0, sizeof(u));
	u.str.size = sizeof(u);
	u.str.len = sizeof(buf);
	u.str.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &u));
	EXPECT_EQ(4, u.str.len);
	EXPECT_STREQ("X: y", buf);

	job_cancel(fd);
	close(fd);
	close(dev);
}


/*
 * Each SET_PROXY and SET_HTTP_HEADERS that works is a change by the job's
 * user: a MODIFIED event (on the job fd, with JOB_MODIFICATION, and to the
 * agent) and a new modification_time.  A refused one, or a GET, is not.
 * The agent's MODIFIED of a queued job coalesce: however many changes came
 * since it last read, it reads one.
 */
TEST(proxy_headers_modified)
{
	struct kbits_job_attr a0, a, req;
	struct kbits_event ev[16];
	static struct got_proxy g;
	static char hb[HDRS_BUF];
	int dev = dev_open(), fd, fd2, agent, n, i;
	guid_bytes id, id2;

	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	fd = make_job(dev, "jt: proxy events", DL, id);
	fd2 = make_job(dev, "jt: headers events", DL, id2);
	req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
	req.notify_flags = KBITS_NOTIFY_JOB_MODIFICATION;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	ASSERT_SYSOK(ioctl(fd2, KBITS_JOB_IOC_SET_ATTR, &req));
	/* what came before: CREATED and the SET_ATTRs */
	while (read_job_events(agent, ev, 16) > 0)
		;
	read_job_events(fd, ev, 16);
	read_job_events(fd2, ev, 16);
	get_attr(fd, &a0);
	sleep(1);	/* so that "now" is past a0's seconds */

	/* reads and refusals: nothing */
	ASSERT_SYSOK(raw_get_proxy(fd, &g));
	EXPECT_EQ(-ENODATA, get_headers(fd, hb));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, PX_NONE, "p", NULL));
	EXPECT_ERRNO(EINVAL, raw_set_proxy(fd, 7, NULL, NULL));
	EXPECT_ERRNO(EINVAL, set_headers(fd, "NoColon"));
	EXPECT_ERRNO(ENAMETOOLONG, set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS,
					      "X: y", KBITS_HTTP_HEADERS_MAX + 1));
	EXPECT_EQ(0, read_job_events(fd, ev, 16));
	EXPECT_EQ(0, read_job_events(agent, ev, 16));
	get_attr(fd, &a);
	EXPECT_EQ(a0.modification_time, a.modification_time);

	/* SET_PROXY: one MODIFIED each on the job fd; the agent's coalesce */
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "p", "b"));
	ASSERT_SYSOK(raw_set_proxy(fd, PX_NONE, NULL, NULL));
	n = read_job_events(fd, ev, 16);
	EXPECT_EQ(2, n);
	for (i = 0; i < n; i++) {
		EXPECT_MEMEQ(id, ev[i].id, KBITS_GUID_SIZE);
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, ev[i].state);
	}
	if (n == 2)
		EXPECT_EQ(ev[0].seq + 1, ev[1].seq);
	/*
	 * The agent: one MODIFIED, the two changes coalesced (a queued job
	 * keeps one event of each kind for it).  EXPECT, not ASSERT: the
	 * jobs are cancelled below whatever the count.
	 */
	n = read_job_events(agent, ev, 16);
	EXPECT_EQ(1, n);
	for (i = 0; i < n; i++) {
		EXPECT_MEMEQ(id, ev[i].id, KBITS_GUID_SIZE);
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
	}
	get_attr(fd, &a);
	EXPECT_LT(a0.modification_time, a.modification_time);
	EXPECT_GE(time(NULL), a.modification_time);
	EXPECT_EQ(a0.creation_time, a.creation_time);

	/* SET_HTTP_HEADERS, and removing them: likewise, on the other job */
	get_attr(fd2, &a0);
	EXPECT_GT(a.modification_time, a0.modification_time);
	ASSERT_SYSOK(set_headers(fd2, "X-A: 1"));
	ASSERT_SYSOK(set_headers(fd2, ""));
	n = read_job_events(fd2, ev, 16);
	EXPECT_EQ(2, n);
	for (i = 0; i < n; i++) {
		EXPECT_MEMEQ(id2, ev[i].id, KBITS_GUID_SIZE);
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
	}
	n = read_job_events(agent, ev, 16);
	EXPECT_EQ(1, n);	/* coalesced, as above */
	for (i = 0; i < n; i++) {
		EXPECT_MEMEQ(id2, ev[i].id, KBITS_GUID_SIZE);
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
	}
	get_attr(fd2, &a);
	EXPECT_LT(a0.modification_time, a.modification_time);
	/* and the proxy job heard nothing of it */
	EXPECT_EQ(0, read_job_events(fd, ev, 16));

	/* with the default notify flags the job fd says nothing */
	req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
	req.notify_flags = NOTIFY_DEFAULT;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	read_job_events(fd, ev, 16);
	while (read_job_events(agent, ev, 16) > 0)
		;
	ASSERT_SYSOK(raw_set_proxy(fd, PX_SYSTEM, NULL, NULL));
	ASSERT_SYSOK(set_headers(fd, "X: y"));
	EXPECT_EQ(0, read_job_events(fd, ev, 16));
	EXPECT_EQ(1, read_job_events(agent, ev, 16));	/* one MODIFIED, coalesced */

	close(agent);
	job_cancel(fd);
	close(fd);
	job_cancel(fd2);
	close(fd2);
	close(dev);
}

/* Only a job fd reaches these: not /dev/kbits, not the agent fd. */
TEST(proxy_headers_need_job_fd)
{
	static struct got_proxy g;
	struct kbits_job_string js;
	int dev = dev_open(), fd, agent;
	char buf[64];

	fd = make_job(dev, "jt: proxy enotty", DL, NULL);
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = sizeof(buf);
	js.buf = (uintptr_t)buf;
	for (int k = 0; k < 2; k++) {
		int other = k ? agent : dev;

		EXPECT_ERRNO(ENOTTY, raw_set_proxy(other, PX_NONE, NULL, NULL));
		EXPECT_ERRNO(ENOTTY, raw_get_proxy(other, &g));
		EXPECT_ERRNO(ENOTTY, set_headers(other, "X: y"));
		EXPECT_ERRNO(ENOTTY, ioctl(other, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
	}
	close(agent);
	/* an unprivileged user's /dev/kbits fd, likewise */
	{
		pid_t pid = th_fork();

		if (pid == 0) {
			int udev;

			become(2202);
			udev = dev_open();
			EXPECT_ERRNO(ENOTTY, raw_set_proxy(udev, PX_NONE, NULL, NULL));
			EXPECT_ERRNO(ENOTTY, raw_get_proxy(udev, &g));
			EXPECT_ERRNO(ENOTTY, set_headers(udev, "X: y"));
			EXPECT_ERRNO(ENOTTY, ioctl(udev, KBITS_JOB_IOC_GET_HTTP_HEADERS, &js));
			_exit(0);
		}
		ASSERT_CHILD_OK(pid);
	}
	EXPECT_PROXY(fd, PX_SYSTEM, NULL, NULL);
	EXPECT_HEADERS(fd, NULL, 0);
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* -------------------------------------------------------- notify command */

#define CMD_BUF	(KBITS_NOTIFY_CMD_MAX + 16)

/*
 * GET_NOTIFY_CMD into @buf (CMD_BUF bytes, 'Z' first): its length, or
 * -errno.  It adds no NUL: the byte after the command stays 'Z'.
 */
static long get_cmd(int fd, char *buf)
{
	struct kbits_job_string js;

	memset(buf, 'Z', CMD_BUF);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = CMD_BUF;
	js.buf = (uintptr_t)buf;
	if (ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js))
		return -errno;
	ASSERT_LE(js.len, KBITS_NOTIFY_CMD_MAX);
	EXPECT_EQ('Z', buf[js.len]);
	return js.len;
}

static int set_cmd(int fd, const void *cmd, uint32_t len)
{
	return set_string(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, cmd, len);
}

/* The job's notify command must be the @len bytes at @want; NULL: none. */
#define EXPECT_CMD(fd, want, len) expect_cmd(__LINE__, fd, want, len)

static void expect_cmd(int line, int fd, const void *want, uint32_t len)
{
	static char cb[CMD_BUF];
	long got = get_cmd(fd, cb);

	if (!want) {
		if (got != -ENODATA)
			th_fail(__FILE__, line, false,
				"GET_NOTIFY_CMD gave %ld, expected -ENODATA", got);
		return;
	}
	if (got != (long)len)
		th_fail(__FILE__, line, false,
			"GET_NOTIFY_CMD gave %ld, expected length %u", got, len);
	else if (memcmp(want, cb, len))
		th_fail(__FILE__, line, false, "GET_NOTIFY_CMD: other bytes");
}

/* A command literal, by its size: the NUL the literal ends with included. */
#define LIT(lit)	{ lit, sizeof(lit) }

/* @n bytes: a program "/ccc...", then "/"-less arguments of @arg bytes. */
static void long_cmd(char *buf, uint32_t n, uint32_t arg)
{
	uint32_t i;

	memset(buf, 'c', n);
	buf[0] = '/';
	for (i = arg; i < n; i += arg)
		buf[i - 1] = '\0';
	buf[n - 1] = '\0';
}

TEST(notify_cmd_roundtrip)
{
	static const struct { const char *s; uint32_t len; } samples[] = {
		LIT("/usr/bin/notify"),			/* one argument */
		LIT("/usr/bin/notify\0--job\0two words"),	/* several */
		LIT("/p\0\0x\0"),			/* empty arguments */
		LIT("/bin/x\0\0"),
		LIT("/opt/caf\xc3\xa9/run\0\xe2\x82\xac\0\xf0\x9f\x98\x80"),
		LIT("/"),				/* the root as program */
		LIT("/a b\tc"),				/* any non-NUL byte */
	};
	static char c[KBITS_NOTIFY_CMD_MAX + 8];
	struct kbits_job_string js;
	int dev = dev_open(), fd, fd2;
	char buf[64];
	guid_bytes id;
	uint32_t j;
	size_t i;

	fd = make_job(dev, "jt: notify", DL, id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);

	/* a new job has none: ENODATA, whatever the buffer, nothing written */
	EXPECT_CMD(fd, NULL, 0);
	memset(buf, 'Z', sizeof(buf));
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(0, js.len);
	js.len = sizeof(buf);
	js.buf = (uintptr_t)buf;
	EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(sizeof(buf), js.len);
	EXPECT_TRUE(all_bytes(buf, 'Z', sizeof(buf)));

	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		if (set_cmd(fd, samples[i].s, samples[i].len))
			TH_LOG("command %zu refused: %s", i, th_errname(errno));
		ASSERT_SYSOK(set_cmd(fd, samples[i].s, samples[i].len));
		EXPECT_CMD(fd, samples[i].s, samples[i].len);
		/* the job's, not the fd's */
		EXPECT_CMD(fd2, samples[i].s, samples[i].len);
	}

	/* len 0 removes it, with or without a buffer; again is fine */
	ASSERT_SYSOK(set_cmd(fd, "/ignored", 0));
	EXPECT_CMD(fd2, NULL, 0);
	ASSERT_SYSOK(set_cmd(fd, NULL, 0));
	EXPECT_CMD(fd2, NULL, 0);
	ASSERT_SYSOK(set_cmd(fd, "/x", 3));
	ASSERT_SYSOK(set_cmd(fd, KADDR, 0));
	EXPECT_CMD(fd2, NULL, 0);

	/* the longest: KBITS_NOTIFY_CMD_MAX bytes, NULs included */
	EXPECT_EQ(4096, KBITS_NOTIFY_CMD_MAX);
	long_cmd(c, KBITS_NOTIFY_CMD_MAX, KBITS_NOTIFY_CMD_MAX);
	ASSERT_SYSOK(set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX));
	EXPECT_CMD(fd2, c, KBITS_NOTIFY_CMD_MAX);
	long_cmd(c, KBITS_NOTIFY_CMD_MAX, 2);	/* "/" and 2047 "c" arguments */
	ASSERT_SYSOK(set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX));
	EXPECT_CMD(fd2, c, KBITS_NOTIFY_CMD_MAX);
	/* in 4-byte characters: "/", 1023 of them, 2 bytes and the NUL */
	memset(c, 'u', KBITS_NOTIFY_CMD_MAX);
	c[0] = '/';
	for (j = 1; j + 4 < KBITS_NOTIFY_CMD_MAX; j += 4)
		memcpy(c + j, "\xf0\x9f\x98\x80", 4);
	c[KBITS_NOTIFY_CMD_MAX - 1] = '\0';
	ASSERT_SYSOK(set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX));
	EXPECT_CMD(fd2, c, KBITS_NOTIFY_CMD_MAX);

	/* the command and the strings are apart */
	ASSERT_SYSOK(set_cmd(fd, samples[1].s, samples[1].len));
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "d", 1));
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, "X: y", 4));
	EXPECT_CMD(fd2, samples[1].s, samples[1].len);
	expect_string(fd2, KBITS_JOB_IOC_GET_DISPLAY_NAME, "jt: notify", 10);
	expect_string(fd2, KBITS_JOB_IOC_GET_DESCRIPTION, "d", 1);

	job_cancel(fd);
	close(fd);
	close(fd2);
	close(dev);
}

/* ERANGE: the length to @len, nothing written; exactly enough works. */
TEST(notify_cmd_erange)
{
	static const char cmd[] = "/bin/x\0y z";	/* 11 bytes */
	static char out[CMD_BUF], c[KBITS_NOTIFY_CMD_MAX];
	struct kbits_job_string js;
	int dev = dev_open(), fd;

	fd = make_job(dev, "jt: notify erange", DL, NULL);
	ASSERT_SYSOK(set_cmd(fd, cmd, sizeof(cmd)));

	memset(out, 'Z', sizeof(out));
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = sizeof(cmd) - 1;
	js.buf = (uintptr_t)out;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(sizeof(cmd), js.len);
	EXPECT_TRUE(all_bytes(out, 'Z', sizeof(out)));
	/* asking for the length: len 0, no buffer */
	js.len = 0;
	js.buf = 0;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(sizeof(cmd), js.len);
	/* exactly enough: no room for a NUL, and none is needed */
	js.len = sizeof(cmd);
	js.buf = (uintptr_t)out;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(sizeof(cmd), js.len);
	EXPECT_MEMEQ(cmd, out, sizeof(cmd));
	EXPECT_EQ('Z', out[sizeof(cmd)]);
	/* more than enough: the length, and still nothing past it */
	memset(out, 'Z', sizeof(out));
	js.len = sizeof(out);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(sizeof(cmd), js.len);
	EXPECT_TRUE(all_bytes(out + sizeof(cmd), 'Z', sizeof(out) - sizeof(cmd)));

	/* the longest needs KBITS_NOTIFY_CMD_MAX, not a byte more */
	long_cmd(c, sizeof(c), 100);
	ASSERT_SYSOK(set_cmd(fd, c, sizeof(c)));
	memset(out, 'Z', sizeof(out));
	js.len = KBITS_NOTIFY_CMD_MAX - 1;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(KBITS_NOTIFY_CMD_MAX, js.len);
	EXPECT_TRUE(all_bytes(out, 'Z', sizeof(out)));
	js.len = KBITS_NOTIFY_CMD_MAX;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_EQ(KBITS_NOTIFY_CMD_MAX, js.len);
	EXPECT_MEMEQ(c, out, sizeof(c));
	EXPECT_EQ('Z', out[KBITS_NOTIFY_CMD_MAX]);

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* Every refusal of SET_NOTIFY_CMD and GET_NOTIFY_CMD; the command stays. */
TEST(notify_cmd_invalid)
{
	/* by length, the literal's own NUL left out unless written */
#define BAD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; uint32_t len; } bad[] = {
		/* a relative or empty program */
		BAD("bin/true\0"), BAD("./true\0"), BAD("true\0/abs\0"),
		BAD(" /bin/true\0"), BAD("\0"), BAD("\0/bin/true\0"),
		BAD("~/bin/x\0"),
		/* no final NUL */
		BAD("/bin/true"), BAD("/bin/true\0-x"), BAD("/"),
		BAD("/bin/caf\xc3\xa9"),
		/* not UTF-8, in the program or in an argument */
		BAD("/\xff\0"), BAD("/p\0\xff\0"), BAD("/p\0a\xc0\x80\0"),
		BAD("/p\0\xe0\x80\xaf\0"), BAD("/p\0abc\xe2\x82\0"),
		BAD("/p\0\x80\0"), BAD("/p\0\xed\xa0\x80\0"),
		BAD("/p\0\xf4\x90\x80\x80\0"), BAD("/p\0\xf8\x88\x80\x80\x80\0"),
		BAD("/caf\xc3\0"), BAD("/p\0ok\0\xfe\0"),
	};
#undef BAD
	static const char kept[] = "/usr/bin/kept\0--arg";
	static char c[KBITS_NOTIFY_CMD_MAX + 8];
	struct kbits_job_string js;
	int dev = dev_open(), fd, agent;
	union big_arg b;
	char buf[64];
	size_t i;

	fd = make_job(dev, "jt: notify invalid", DL, NULL);
	ASSERT_SYSOK(set_cmd(fd, kept, sizeof(kept)));

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (set_cmd(fd, bad[i].s, bad[i].len) != -1 || errno != EINVAL)
			TH_LOG("bad command %zu not EINVAL", i);
		EXPECT_ERRNO(EINVAL, set_cmd(fd, bad[i].s, bad[i].len));
	}
	EXPECT_CMD(fd, kept, sizeof(kept));

	/* one byte too long, however it is made up: ENAMETOOLONG */
	long_cmd(c, KBITS_NOTIFY_CMD_MAX + 1, KBITS_NOTIFY_CMD_MAX + 1);
	EXPECT_ERRNO(ENAMETOOLONG, set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX + 1));
	long_cmd(c, KBITS_NOTIFY_CMD_MAX + 1, 8);
	EXPECT_ERRNO(ENAMETOOLONG, set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX + 1));
	/* a huge length with a short buffer: refused before reading */
	EXPECT_ERRNO(ENAMETOOLONG, set_cmd(fd, "/x", 0xffffffffu));
	EXPECT_ERRNO(ENAMETOOLONG, set_cmd(fd, KADDR, KBITS_NOTIFY_CMD_MAX + 1));
	/* and exactly the most is fine (then back to the kept one) */
	ASSERT_SYSOK(set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX - 8));	/* arguments of 8 */
	c[KBITS_NOTIFY_CMD_MAX - 1] = '\0';
	ASSERT_SYSOK(set_cmd(fd, c, KBITS_NOTIFY_CMD_MAX));
	EXPECT_CMD(fd, c, KBITS_NOTIFY_CMD_MAX);
	ASSERT_SYSOK(set_cmd(fd, kept, sizeof(kept)));

	/* SET: reserved, sizes, pointers */
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = 3;
	js.buf = (uintptr_t)"/x";
	js.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	js.reserved = 0;
	js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	js.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	js.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	memset(&b, 0, sizeof(b));
	b.str.size = sizeof(b);
	b.str.len = 3;
	b.str.buf = (uintptr_t)"/x";
	b.bytes[sizeof(b) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &b));
	js.size = sizeof(js);
	js.buf = (uintptr_t)KADDR;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	js.buf = (uintptr_t)unmapped_page();
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	js.buf = 0;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &js));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD,
				   unmapped_page()));
	/* a larger struct with a zero tail is fine */
	memset(&b, 0, sizeof(b));
	b.str.size = sizeof(b);
	b.str.len = 3;
	b.str.buf = (uintptr_t)"/b";
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &b));
	EXPECT_CMD(fd, "/b", 3);
	ASSERT_SYSOK(set_cmd(fd, kept, sizeof(kept)));

	/* GET: likewise; nothing written where it failed */
	memset(buf, 'Z', sizeof(buf));
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = sizeof(buf);
	js.buf = (uintptr_t)buf;
	js.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	js.reserved = 0;
	js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	js.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_TRUE(all_bytes(buf, 'Z', sizeof(buf)));
	js.size = sizeof(js);
	js.buf = (uintptr_t)KADDR;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	js.buf = (uintptr_t)unmapped_page();
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, KADDR));
	/* a larger struct with a zero tail reads fine */
	memset(&b, 0, sizeof(b));
	b.str.size = sizeof(b);
	b.str.len = sizeof(buf);
	b.str.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &b));
	EXPECT_EQ(sizeof(kept), b.str.len);
	EXPECT_MEMEQ(kept, buf, sizeof(kept));

	/* only a job fd has them: not /dev/kbits, not the agent fd */
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = sizeof(buf);
	js.buf = (uintptr_t)buf;
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_ERRNO(ENOTTY, ioctl(agent, KBITS_JOB_IOC_GET_NOTIFY_CMD, &js));
	EXPECT_ERRNO(ENOTTY, set_cmd(dev, "/x", 3));
	EXPECT_ERRNO(ENOTTY, set_cmd(agent, "/x", 3));
	close(agent);

	EXPECT_CMD(fd, kept, sizeof(kept));
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* A final job: SET is EBADFD, removing included; GET still reads it. */
TEST(notify_cmd_final)
{
	static const char cmd[] = "/usr/bin/done\0--final";
	int dev = dev_open(), fd, fd2;
	guid_bytes id;

	/* ACKNOWLEDGED, through the fd that completed it and another */
	fd = make_job(dev, "jt: notify acknowledged", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "ncf"));
	ASSERT_SYSOK(set_cmd(fd, cmd, sizeof(cmd)));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	ASSERT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_EQ(KBITS_JOB_STATE_ACKNOWLEDGED, job_state(fd));
	EXPECT_ERRNO(EBADFD, set_cmd(fd, "/late", 6));
	EXPECT_ERRNO(EBADFD, set_cmd(fd2, "/late", 6));
	EXPECT_ERRNO(EBADFD, set_cmd(fd, NULL, 0));
	EXPECT_CMD(fd, cmd, sizeof(cmd));
	EXPECT_CMD(fd2, cmd, sizeof(cmd));
	close(fd);
	close(fd2);

	/* CANCELLED, queued when cancelled */
	fd = make_job(dev, "jt: notify cancelled", DL, id);
	ASSERT_SYSOK(add_n(fd, 1, "ncf"));
	ASSERT_SYSOK(set_cmd(fd, cmd, sizeof(cmd)));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	job_cancel(fd);
	EXPECT_ERRNO(EBADFD, set_cmd(fd, "/late", 6));
	EXPECT_ERRNO(EBADFD, set_cmd(fd, NULL, 0));
	EXPECT_CMD(fd, cmd, sizeof(cmd));
	/* (the argument is checked first: a bad one is still EINVAL) */
	EXPECT_ERRNO(EINVAL, set_cmd(fd, "late", 5));
	close(fd);

	/* a cancelled job without one: ENODATA, and it gets none */
	fd = make_job(dev, "jt: notify cancelled, none", DL, NULL);
	job_cancel(fd);
	EXPECT_ERRNO(EBADFD, set_cmd(fd, "/late", 6));
	EXPECT_CMD(fd, NULL, 0);
	close(fd);
	close(dev);
}

/*
 * A takeover removes the notify command (it runs as the job's owner: the
 * old owner's must not run as the new one).  Root takes a user's job: the
 * user's fd is revoked (EACCES, GET and SET alike), root's new fd reads
 * ENODATA, and may set its own, which the revoked fd cannot read.
 */
TEST(notify_cmd_take_ownership)
{
	static const char cmd[] = "/home/u/bin/notify\0--mine";
	uint8_t *uid_job = shared_alloc(KBITS_GUID_SIZE);	/* the child's */
	int sv[2], dev = dev_open(), ufd, rfd, nfd;
	static char buf[CMD_BUF];
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		close(sv[0]);
		become(2203);
		udev = dev_open();
		fd = make_job(udev, "jt: 2203's, with a command", DL, uid_job);
		ASSERT_SYSOK(set_cmd(fd, cmd, sizeof(cmd)));
		EXPECT_CMD(fd, cmd, sizeof(cmd));
		ASSERT_SYSOK(send_fd(sv[1], fd));
		_exit(0);
	}
	close(sv[1]);
	ufd = recv_fd(sv[0]);
	ASSERT_SYSOK(ufd);
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(2203, job_owner(ufd));

	rfd = raw_get(dev, uid_job);
	ASSERT_SYSOK(rfd);
	EXPECT_CMD(rfd, cmd, sizeof(cmd));
	nfd = ioctl(rfd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(nfd);
	EXPECT_EQ(0, job_owner(nfd));

	/* the new fd: none */
	EXPECT_CMD(nfd, NULL, 0);
	/* the old ones, the user's and root's own: revoked */
	for (int k = 0; k < 2; k++) {
		int old = k ? rfd : ufd;

		EXPECT_EQ(-EACCES, get_cmd(old, buf));
		EXPECT_ERRNO(EACCES, set_cmd(old, cmd, sizeof(cmd)));
		EXPECT_ERRNO(EACCES, set_cmd(old, NULL, 0));
		/* (the revoked fd is refused before the argument is read) */
		EXPECT_ERRNO(EACCES, set_cmd(old, "relative", 9));
	}
	EXPECT_CMD(nfd, NULL, 0);

	/* the new owner's own */
	ASSERT_SYSOK(set_cmd(nfd, "/root/notify", 13));
	EXPECT_CMD(nfd, "/root/notify", 13);
	EXPECT_EQ(-EACCES, get_cmd(ufd, buf));

	/* a second takeover removes that one too */
	close(rfd);
	rfd = ioctl(nfd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(rfd);
	EXPECT_CMD(rfd, NULL, 0);

	job_cancel(rfd);
	close(rfd);
	close(nfd);
	close(ufd);
	close(sv[0]);
	close(dev);
}

/* File @index's mode, as GET_FILE version 1 reports it. */
static uint32_t file_mode(int fd, uint32_t index)
{
	struct got_file g;

	if (get_file(fd, index, &g))
		return ~0u;
	return g.f.mode;
}

/*
 * The umask is the owner's to give.  The owner's file (umask 0) is 0666; a
 * user the owner handed the fd to adds files no wider than 0600 whatever
 * its umask (they are placed as the owner), a tighter one still applies;
 * root (an administrator over the job) keeps its own umask; and a takeover
 * cuts every file's mode to 0600 at most.
 */
TEST(add_files_mode_is_the_owners)
{
	uint8_t *uid_job = shared_alloc(KBITS_GUID_SIZE);
	int sv[2], dev = dev_open(), ufd, nfd;
	mode_t old;
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		close(sv[0]);
		become(2204);
		umask(0);
		udev = dev_open();
		fd = make_job(udev, "jt: 2204's, modes", DL, uid_job);
		ASSERT_SYSOK(add_file(fd, "/m/0", "/tmp/jt/m0"));
		EXPECT_EQ(0666, file_mode(fd, 0));
		ASSERT_SYSOK(send_fd(sv[1], fd));
		_exit(0);
	}
	close(sv[1]);
	ufd = recv_fd(sv[0]);
	ASSERT_SYSOK(ufd);
	ASSERT_CHILD_OK(pid);
	close(sv[0]);

	/* another user holding the owner's fd */
	pid = th_fork();
	if (pid == 0) {
		become(2205);
		umask(0);
		ASSERT_SYSOK(add_file(ufd, "/m/1", "/tmp/jt/m1"));
		umask(027);
		ASSERT_SYSOK(add_file(ufd, "/m/2", "/tmp/jt/m2"));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0600, file_mode(ufd, 1));
	EXPECT_EQ(0600 & ~027, file_mode(ufd, 2));

	/* root, an administrator over it, through the same fd */
	old = umask(002);
	ASSERT_SYSOK(add_file(ufd, "/m/3", "/tmp/jt/m3"));
	umask(old);
	EXPECT_EQ(0664, file_mode(ufd, 3));

	/* root takes it over: no file wider than 0600 */
	nfd = ioctl(ufd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(nfd);
	EXPECT_EQ(0600, file_mode(nfd, 0));
	EXPECT_EQ(0600, file_mode(nfd, 1));
	EXPECT_EQ(0600 & ~027, file_mode(nfd, 2));
	EXPECT_EQ(0600, file_mode(nfd, 3));

	job_cancel(nfd);
	close(nfd);
	close(ufd);
	close(dev);
}

/*
 * SET_NOTIFY_CMD is a change like SET_HTTP_HEADERS: modification_time
 * moves, the job fd reads MODIFIED (when its notify flags ask), the agent
 * too; the reads and the refusals change nothing.
 */
TEST(notify_cmd_modified)
{
	struct kbits_job_attr a0, a, req;
	struct kbits_event ev[16];
	static char cb[CMD_BUF];
	int dev = dev_open(), fd, agent, n, i;
	guid_bytes id;

	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	fd = make_job(dev, "jt: notify events", DL, id);
	req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
	req.notify_flags = KBITS_NOTIFY_JOB_MODIFICATION;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	/* what came before: CREATED and the SET_ATTR */
	while (read_job_events(agent, ev, 16) > 0)
		;
	read_job_events(fd, ev, 16);
	get_attr(fd, &a0);
	sleep(1);	/* so that "now" is past a0's seconds */

	/* reads and refusals: nothing */
	EXPECT_EQ(-ENODATA, get_cmd(fd, cb));
	EXPECT_ERRNO(EINVAL, set_cmd(fd, "relative", 9));
	EXPECT_ERRNO(EINVAL, set_cmd(fd, "/no/final/nul", 13));
	EXPECT_ERRNO(ENAMETOOLONG, set_cmd(fd, "/x", KBITS_NOTIFY_CMD_MAX + 1));
	EXPECT_ERRNO(EFAULT, set_cmd(fd, KADDR, 3));
	EXPECT_EQ(0, read_job_events(fd, ev, 16));
	EXPECT_EQ(0, read_job_events(agent, ev, 16));
	get_attr(fd, &a);
	EXPECT_EQ(a0.modification_time, a.modification_time);

	/* a SET, and removing it: one MODIFIED each; the agent's coalesce */
	ASSERT_SYSOK(set_cmd(fd, "/bin/x\0y", 9));
	ASSERT_SYSOK(set_cmd(fd, NULL, 0));
	n = read_job_events(fd, ev, 16);
	EXPECT_EQ(2, n);
	for (i = 0; i < n; i++) {
		EXPECT_MEMEQ(id, ev[i].id, KBITS_GUID_SIZE);
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, ev[i].state);
	}
	if (n == 2)
		EXPECT_EQ(ev[0].seq + 1, ev[1].seq);
	n = read_job_events(agent, ev, 16);
	EXPECT_EQ(1, n);
	for (i = 0; i < n; i++) {
		EXPECT_MEMEQ(id, ev[i].id, KBITS_GUID_SIZE);
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
	}
	get_attr(fd, &a);
	EXPECT_LT(a0.modification_time, a.modification_time);
	EXPECT_GE(time(NULL), a.modification_time);
	EXPECT_EQ(a0.creation_time, a.creation_time);

	/* with the default notify flags the job fd says nothing; the agent does */
	req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
	req.notify_flags = NOTIFY_DEFAULT;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	read_job_events(fd, ev, 16);
	while (read_job_events(agent, ev, 16) > 0)
		;
	ASSERT_SYSOK(set_cmd(fd, "/bin/x", 7));
	EXPECT_EQ(0, read_job_events(fd, ev, 16));
	EXPECT_EQ(1, read_job_events(agent, ev, 16));

	close(agent);
	job_cancel(fd);
	close(fd);
	close(dev);
}
#undef LIT

/* ------------------------------------------------------------ ADD_FILES */

TEST(add_files_one_and_a_set)
{
	struct kbits_file_spec set[3];
	int dev = dev_open(), fd;
	struct got_file g;

	fd = make_job(dev, "jt: add files", DL, NULL);

	ASSERT_SYSOK(add_file(fd, "http://example.test/one", "/tmp/jt/one"));
	EXPECT_EQ(1, files_total(fd));
	expect_file(fd, 0, "http://example.test/one", "/tmp/jt/one");

	set[0] = spec("https://example.test/a", "/tmp/jt/a");
	set[1] = spec("file:///srv/b", "/tmp/jt/b");
	set[2] = spec("/srv/c", "/tmp/jt/c");
	ASSERT_SYSOK(add_specs(fd, set, 3));
	EXPECT_EQ(4, files_total(fd));

	/* in the order added, the first call's file first */
	expect_file(fd, 0, "http://example.test/one", "/tmp/jt/one");
	expect_file(fd, 1, "https://example.test/a", "/tmp/jt/a");
	expect_file(fd, 2, "file:///srv/b", "/tmp/jt/b");
	expect_file(fd, 3, "/srv/c", "/tmp/jt/c");
	EXPECT_ERRNO(ENXIO, get_file(fd, 4, &g));

	/* the same pair twice is two files */
	ASSERT_SYSOK(add_file(fd, "/srv/c", "/tmp/jt/c"));
	EXPECT_EQ(5, files_total(fd));
	expect_file(fd, 4, "/srv/c", "/tmp/jt/c");

	/* a QUEUED job takes files too */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	ASSERT_SYSOK(add_n(fd, 2, "queued"));
	EXPECT_EQ(7, files_total(fd));
	expect_nth(fd, 6, "queued", 1);
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));

	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(add_files_remote_names)
{
	static const char *const good[] = {
		"/abs", "file:///x", "http://h/x", "HTTPS://h/x",
		"https://h/x", "HTTP://h", "File:///x", "/",
	};
	static const char *const bad[] = {
		"relative", "ftp://x", "file://rel", "http://", "https://",
		"file://", "http:/x", "x/http://h", "HTTPS:/", "./x",
	};
	int dev = dev_open(), fd;
	uint32_t n = 0;
	size_t i;

	fd = make_job(dev, "jt: remote names", DL, NULL);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		if (add_file(fd, good[i], "/tmp/jt/x"))
			TH_LOG("remote \"%s\" refused: %s", good[i],
			       th_errname(errno));
		else
			n++;
		EXPECT_EQ(n, files_total(fd));
		EXPECT_EQ(i + 1, n);
		if (n == i + 1)
			expect_file(fd, i, good[i], "/tmp/jt/x");
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (add_file(fd, bad[i], "/tmp/jt/x") != -1 || errno != EINVAL)
			TH_LOG("remote \"%s\" not refused with EINVAL", bad[i]);
		EXPECT_ERRNO(EINVAL, add_file(fd, bad[i], "/tmp/jt/x"));
	}
	EXPECT_EQ(ARRAY_SIZE(good), files_total(fd));
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(add_files_names_invalid)
{
	static const char *const bad_local[] = {
		"relative", "file:///x", "http://h/x", "./x", "~/x", " /x",
	};
	struct kbits_file_spec s;
	int dev = dev_open(), fd;
	size_t i;

	fd = make_job(dev, "jt: bad names", DL, NULL);

	/* the local name must be an absolute path */
	for (i = 0; i < ARRAY_SIZE(bad_local); i++) {
		if (add_file(fd, "/src", bad_local[i]) != -1 || errno != EINVAL)
			TH_LOG("local \"%s\" not refused with EINVAL", bad_local[i]);
		EXPECT_ERRNO(EINVAL, add_file(fd, "/src", bad_local[i]));
	}
	ASSERT_SYSOK(add_file(fd, "/src", "/"));

	/* empty names, with and without a pointer */
	EXPECT_ERRNO(EINVAL, add_file(fd, "", "/dst"));
	EXPECT_ERRNO(EINVAL, add_file(fd, "/src", ""));
	EXPECT_ERRNO(EINVAL, add_file(fd, "", ""));
	s = spec("/src", "/dst");
	s.remote = 0;
	s.remote_len = 0;
	EXPECT_ERRNO(EINVAL, add_specs(fd, &s, 1));
	s = spec("/src", "/dst");
	s.local = 0;
	s.local_len = 0;
	EXPECT_ERRNO(EINVAL, add_specs(fd, &s, 1));

	/* NULs and invalid UTF-8, in either name */
	s = spec("/src", "/dst");
	s.remote = (uintptr_t)"/a\0b";
	s.remote_len = 4;
	EXPECT_ERRNO(EINVAL, add_specs(fd, &s, 1));
	s.remote_len = 3;	/* "/a" and its NUL */
	EXPECT_ERRNO(EINVAL, add_specs(fd, &s, 1));
	s = spec("/src", "/dst");
	s.local = (uintptr_t)"/a\0b";
	s.local_len = 4;
	EXPECT_ERRNO(EINVAL, add_specs(fd, &s, 1));
	EXPECT_ERRNO(EINVAL, add_file(fd, "/\xff", "/dst"));
	EXPECT_ERRNO(EINVAL, add_file(fd, "http://h/\xc0\x80", "/dst"));
	EXPECT_ERRNO(EINVAL, add_file(fd, "/src", "/\xed\xa0\x80"));
	EXPECT_ERRNO(EINVAL, add_file(fd, "/src", "/a\xe2\x82"));

	/* valid UTF-8 is fine */
	ASSERT_SYSOK(add_file(fd, "/Gr\xc3\xbc\xc3\x9f" "e",
			      "/tmp/\xf0\x9f\x98\x80"));
	EXPECT_EQ(2, files_total(fd));
	expect_file(fd, 1, "/Gr\xc3\xbc\xc3\x9f" "e", "/tmp/\xf0\x9f\x98\x80");

	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(add_files_name_lengths)
{
	char *remote = calloc(1, KBITS_REMOTE_NAME_MAX + 2);
	char *local = calloc(1, KBITS_LOCAL_NAME_MAX + 2);
	struct kbits_file_spec s;
	int dev = dev_open(), fd;

	ASSERT_TRUE(remote && local);
	fd = make_job(dev, "jt: name lengths", DL, NULL);

	/* 2200 bytes of remote path, 4095 of local: the longest */
	remote[0] = '/';
	memset(remote + 1, 'r', KBITS_REMOTE_NAME_MAX);
	local[0] = '/';
	memset(local + 1, 'l', KBITS_LOCAL_NAME_MAX);
	s = spec("/src", "/dst");
	s.remote = (uintptr_t)remote;
	s.remote_len = KBITS_REMOTE_NAME_MAX;
	s.local = (uintptr_t)local;
	s.local_len = KBITS_LOCAL_NAME_MAX;
	ASSERT_SYSOK(add_specs(fd, &s, 1));

	/* one byte more of either */
	s.remote_len = KBITS_REMOTE_NAME_MAX + 1;
	EXPECT_ERRNO(ENAMETOOLONG, add_specs(fd, &s, 1));
	s.remote_len = KBITS_REMOTE_NAME_MAX;
	s.local_len = KBITS_LOCAL_NAME_MAX + 1;
	EXPECT_ERRNO(ENAMETOOLONG, add_specs(fd, &s, 1));
	s.remote_len = KBITS_REMOTE_NAME_MAX + 1;
	EXPECT_ERRNO(ENAMETOOLONG, add_specs(fd, &s, 1));
	/* a huge length with a short buffer: refused before reading */
	s = spec("/src", "/dst");
	s.remote_len = 0xffffffffu;
	EXPECT_ERRNO(ENAMETOOLONG, add_specs(fd, &s, 1));
	s = spec("/src", "/dst");
	s.local_len = 0xffffffffu;
	EXPECT_ERRNO(ENAMETOOLONG, add_specs(fd, &s, 1));

	/* a URL of the longest length is fine too */
	memcpy(remote, "https://example.test/", 21);
	s = spec("/src", "/dst");
	s.remote = (uintptr_t)remote;
	s.remote_len = KBITS_REMOTE_NAME_MAX;
	ASSERT_SYSOK(add_specs(fd, &s, 1));

	EXPECT_EQ(2, files_total(fd));
	remote[KBITS_REMOTE_NAME_MAX] = 0;
	local[KBITS_LOCAL_NAME_MAX] = 0;
	expect_file(fd, 1, remote, "/dst");
	remote[0] = '/';
	memset(remote + 1, 'r', 20);
	expect_file(fd, 0, remote, local);

	job_cancel(fd);
	close(fd);
	close(dev);
	free(remote);
	free(local);
}

/* A set whose last entry is bad in one way each: nothing of it is added. */
TEST(add_files_all_or_none)
{
	char *long_remote = calloc(1, KBITS_REMOTE_NAME_MAX + 2);
	struct kbits_file_spec set[3], *edge;
	int dev = dev_open(), fd;
	struct got_file g;
	uint8_t *pages;
	size_t i;
	struct {
		const char *what;
		int err;
		struct kbits_file_spec last;
	} bad[] = {
		{ "ftp remote", EINVAL, spec("ftp://h/x", "/tmp/jt/x") },
		{ "relative local", EINVAL, spec("/src", "tmp/x") },
		{ "empty local", EINVAL, spec("/src", "") },
		{ "invalid UTF-8", EINVAL, spec("/src", "/\xff") },
		{ "long remote", ENAMETOOLONG, spec("/src", "/dst") },
		{ "unmapped remote", EFAULT, spec("/src", "/dst") },
		{ "kernel local", EFAULT, spec("/src", "/dst") },
	};

	ASSERT_TRUE(long_remote != NULL);
	long_remote[0] = '/';
	memset(long_remote + 1, 'x', KBITS_REMOTE_NAME_MAX);
	bad[4].last.remote = (uintptr_t)long_remote;
	bad[4].last.remote_len = KBITS_REMOTE_NAME_MAX + 1;
	bad[5].last.remote = (uintptr_t)unmapped_page();
	bad[6].last.local = (uintptr_t)KADDR;

	fd = make_job(dev, "jt: all or none", DL, NULL);
	ASSERT_SYSOK(add_file(fd, "/first", "/tmp/jt/first"));

	set[0] = spec("/s0", "/tmp/jt/0");
	set[1] = spec("/s1", "/tmp/jt/1");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		set[2] = bad[i].last;
		if (add_specs(fd, set, 3) != -1 || errno != bad[i].err)
			TH_LOG("a set ending in a bad %s: not %s", bad[i].what,
			       th_errname(bad[i].err));
		EXPECT_ERRNO(bad[i].err, add_specs(fd, set, 3));
		EXPECT_EQ(1, files_total(fd));
		EXPECT_ERRNO(ENXIO, get_file(fd, 1, &g));
		/* and the same entry first */
		set[2] = set[0];
		set[0] = bad[i].last;
		EXPECT_ERRNO(bad[i].err, add_specs(fd, set, 3));
		EXPECT_EQ(1, files_total(fd));
		set[0] = set[2];
	}

	/* an array that runs into an unmapped page after two good entries */
	pages = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_SYSOK(munmap(pages + page_size(), page_size()));
	edge = (struct kbits_file_spec *)(pages + page_size()) - 2;
	edge[0] = set[0];
	edge[1] = set[1];
	EXPECT_ERRNO(EFAULT, add_specs(fd, edge, 3));
	EXPECT_EQ(1, files_total(fd));
	ASSERT_SYSOK(add_specs(fd, edge, 2));
	EXPECT_EQ(3, files_total(fd));

	/* the array itself unreadable */
	EXPECT_ERRNO(EFAULT, add_specs(fd, NULL, 1));
	EXPECT_ERRNO(EFAULT, add_specs(fd, KADDR, 1));
	EXPECT_ERRNO(EFAULT, add_specs(fd, unmapped_page(), 2));
	EXPECT_EQ(3, files_total(fd));

	/* what failed left nothing behind */
	expect_file(fd, 0, "/first", "/tmp/jt/first");
	expect_file(fd, 1, "/s0", "/tmp/jt/0");
	expect_file(fd, 2, "/s1", "/tmp/jt/1");
	EXPECT_ERRNO(ENXIO, get_file(fd, 3, &g));

	job_cancel(fd);
	close(fd);
	close(dev);
	munmap(pages, page_size());
	free(long_remote);
}

TEST(add_files_bad_args)
{
	struct kbits_file_spec s = spec("/src", "/dst");
	struct kbits_add_files a;
	int dev = dev_open(), fd;
	union big_arg b;

	fd = make_job(dev, "jt: add_files args", DL, NULL);

#define ADD_WITH(field, value, err) do {				\
	memset(&a, 0, sizeof(a));					\
	a.size = sizeof(a);						\
	a.count = 1;							\
	a.entry_size = sizeof(s);					\
	a.files = (uintptr_t)&s;					\
	a.field = (value);						\
	EXPECT_ERRNO(err, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));	\
} while (0)
	ADD_WITH(count, 0, EINVAL);
	ADD_WITH(flags, 1, EINVAL);
	ADD_WITH(flags, 0x80000000u, EINVAL);
	ADD_WITH(entry_size, 0, EINVAL);
	ADD_WITH(entry_size, 8, EINVAL);
	ADD_WITH(entry_size, KBITS_FILE_SPEC_SIZE_VER0 - 1, EINVAL);
	/* the kernel bounds an entry to a page, as it does a struct */
	ADD_WITH(entry_size, page_size() + 1, EINVAL);
	ADD_WITH(size, 0, EINVAL);
	ADD_WITH(size, KBITS_ADD_FILES_SIZE_VER0 - 1, EINVAL);
	ADD_WITH(size, page_size() + 1, E2BIG);
#undef ADD_WITH
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, unmapped_page()));

	/* a larger struct: the tail decides */
	memset(&b, 0, sizeof(b));
	b.add.size = sizeof(b);
	b.add.count = 1;
	b.add.entry_size = sizeof(s);
	b.add.files = (uintptr_t)&s;
	b.bytes[sizeof(b.add)] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &b));
	EXPECT_EQ(0, files_total(fd));
	b.bytes[sizeof(b.add)] = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &b));
	EXPECT_EQ(1, files_total(fd));
	expect_file(fd, 0, "/src", "/dst");

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* Entries larger than the kernel's spec: a zero tail is fine, else E2BIG. */
TEST(add_files_entry_size)
{
	struct wide_spec {
		struct kbits_file_spec s;
		uint64_t more;
	} wide[3];
	struct kbits_add_files a;
	uint8_t odd[3 * 25];
	int dev = dev_open(), fd;
	struct kbits_file_spec s;
	size_t i;

	fd = make_job(dev, "jt: entry_size", DL, NULL);

	memset(wide, 0, sizeof(wide));
	wide[0].s = spec("/w0", "/tmp/jt/w0");
	wide[1].s = spec("/w1", "/tmp/jt/w1");
	wide[2].s = spec("/w2", "/tmp/jt/w2");
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.count = 3;
	a.entry_size = sizeof(wide[0]);
	a.files = (uintptr_t)wide;

	/* a nonzero tail in the last entry: nothing added */
	wide[2].more = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
	EXPECT_EQ(0, files_total(fd));
	wide[2].more = 1ull << 63;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
	EXPECT_EQ(0, files_total(fd));

	/* all tails zero: the stride is entry_size */
	wide[2].more = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
	EXPECT_EQ(3, files_total(fd));
	expect_file(fd, 0, "/w0", "/tmp/jt/w0");
	expect_file(fd, 1, "/w1", "/tmp/jt/w1");
	expect_file(fd, 2, "/w2", "/tmp/jt/w2");

	/* an odd stride, entries unaligned: version 0's and a zero byte */
	memset(odd, 0, sizeof(odd));
	for (i = 0; i < 3; i++) {
		static const char *const r[] = { "/o0", "/o1", "/o2" };

		s = spec(r[i], "/tmp/jt/o");
		memcpy(odd + 25 * i, &s, KBITS_FILE_SPEC_SIZE_VER0);
	}
	a.entry_size = 25;
	a.files = (uintptr_t)odd;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
	EXPECT_EQ(6, files_total(fd));
	expect_file(fd, 3, "/o0", "/tmp/jt/o");
	expect_file(fd, 5, "/o2", "/tmp/jt/o");

	job_cancel(fd);
	close(fd);
	close(dev);
}

/*
 * Version 1 of a spec: a file may carry its expected SHA-256
 * (KBITS_FILE_SHA256); each file keeps the mode its adder's umask gives a
 * new file, and GET_FILE of version 1 reports both.
 */
TEST(add_files_sha256_and_mode)
{
	struct kbits_file_spec s[2];
	struct got_file g;
	uint8_t digest[KBITS_SHA256_SIZE];
	int dev = dev_open(), fd;
	mode_t old;
	size_t i;

	for (i = 0; i < sizeof(digest); i++)
		digest[i] = 0x80 + i;
	fd = make_job(dev, "jt: sha256 and mode", DL, NULL);

	/* refused: flags but KBITS_FILE_SHA256, reserved, digest without flag */
	s[0] = spec("/sha/a", "/tmp/jt/sha-a");
	s[0].flags = KBITS_FILE_COMPLETED;
	EXPECT_ERRNO(EINVAL, add_specs(fd, s, 1));
	s[0].flags = 1u << 2;
	EXPECT_ERRNO(EINVAL, add_specs(fd, s, 1));
	s[0].flags = 1u << 31;
	EXPECT_ERRNO(EINVAL, add_specs(fd, s, 1));
	s[0].flags = KBITS_FILE_SHA256;
	s[0].reserved = 1;
	EXPECT_ERRNO(EINVAL, add_specs(fd, s, 1));
	s[0] = spec("/sha/a", "/tmp/jt/sha-a");
	s[0].sha256[31] = 1;
	EXPECT_ERRNO(EINVAL, add_specs(fd, s, 1));
	/* all or none: a good spec then a bad one adds nothing */
	s[0] = spec("/sha/a", "/tmp/jt/sha-a");
	s[1] = spec("/sha/b", "/tmp/jt/sha-b");
	s[1].flags = 1u << 2;
	EXPECT_ERRNO(EINVAL, add_specs(fd, s, 2));
	EXPECT_EQ(0, files_total(fd));

	/* one with a digest under umask 027, one without under 022 */
	old = umask(027);
	s[0] = spec("/sha/a", "/tmp/jt/sha-a");
	s[0].flags = KBITS_FILE_SHA256;
	memcpy(s[0].sha256, digest, sizeof(digest));
	ASSERT_SYSOK(add_specs(fd, s, 1));
	umask(022);
	s[1] = spec("/sha/b", "/tmp/jt/sha-b");
	ASSERT_SYSOK(add_specs(fd, &s[1], 1));
	umask(077);
	s[1] = spec("/sha/c", "/tmp/jt/sha-c");
	ASSERT_SYSOK(add_specs(fd, &s[1], 1));
	umask(old);
	EXPECT_EQ(3, files_total(fd));

	ASSERT_SYSOK(get_file(fd, 0, &g));
	EXPECT_EQ(KBITS_FILE_SHA256, g.f.flags);
	EXPECT_EQ(0640, g.f.mode);
	EXPECT_MEMEQ(digest, g.f.sha256, sizeof(digest));
	EXPECT_STREQ("/tmp/jt/sha-a", g.local);
	ASSERT_SYSOK(get_file(fd, 1, &g));
	EXPECT_EQ(0, g.f.flags);
	EXPECT_EQ(0644, g.f.mode);
	EXPECT_TRUE(all_bytes(g.f.sha256, 0, sizeof(g.f.sha256)));
	ASSERT_SYSOK(get_file(fd, 2, &g));
	EXPECT_EQ(0600, g.f.mode);

	/* GET_FILE: reserved2 must be 0; the out fields of a reused struct are not */
	ASSERT_SYSOK(get_file(fd, 0, &g));
	g.f.reserved2 = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &g.f));
	g.f.reserved2 = 0;
	g.f.mode = 0xffffffff;
	memset(g.f.sha256, 0xff, sizeof(g.f.sha256));
	g.f.remote_len = sizeof(g.remote);	/* the lengths came back in them */
	g.f.local_len = sizeof(g.local);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_FILE, &g.f));
	EXPECT_EQ(0640, g.f.mode);
	EXPECT_MEMEQ(digest, g.f.sha256, sizeof(digest));

	/* a version 0 caller: nothing written past its struct */
	memset(&g, 'Z', sizeof(g));
	g.f.size = KBITS_JOB_FILE_SIZE_VER0;
	g.f.index = 0;
	g.f.reserved = 0;
	g.f.remote_len = sizeof(g.remote);
	g.f.local_len = sizeof(g.local);
	g.f.remote = (uintptr_t)g.remote;
	g.f.local = (uintptr_t)g.local;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_FILE, &g.f));
	EXPECT_EQ(KBITS_FILE_SHA256, g.f.flags);
	EXPECT_TRUE(all_bytes((uint8_t *)&g.f + KBITS_JOB_FILE_SIZE_VER0, 'Z',
			      sizeof(g.f) - KBITS_JOB_FILE_SIZE_VER0));

	/* a version 0 spec (entry_size 24): no digest, the umask's mode */
	{
		struct kbits_add_files a;

		old = umask(002);
		s[0] = spec("/sha/d", "/tmp/jt/sha-d");
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.count = 1;
		a.entry_size = KBITS_FILE_SPEC_SIZE_VER0;
		a.files = (uintptr_t)&s[0];
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
		umask(old);
		ASSERT_SYSOK(get_file(fd, 3, &g));
		EXPECT_EQ(0, g.f.flags);
		EXPECT_EQ(0664, g.f.mode);
	}

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* max_files_per_job is 200 when the module loads, and it holds. */
TEST(add_files_default_limit)
{
	int dev = dev_open(), fd;
	struct got_file g;

	EXPECT_TRUE(have_orig_max_files);
	EXPECT_EQ(200, orig_max_files);
	EXPECT_EQ(200, max_files_get());

	fd = make_job(dev, "jt: 201 at once", DL, NULL);
	EXPECT_ERRNO(E2BIG, add_n(fd, 201, "d"));
	EXPECT_EQ(0, files_total(fd));
	job_cancel(fd);
	close(fd);

	fd = make_job(dev, "jt: 200 then 1", DL, NULL);
	ASSERT_SYSOK(add_n(fd, 200, "d"));
	EXPECT_EQ(200, files_total(fd));
	EXPECT_ERRNO(E2BIG, add_n(fd, 1, "e"));
	EXPECT_EQ(200, files_total(fd));
	expect_nth(fd, 0, "d", 0);
	expect_nth(fd, 199, "d", 199);
	EXPECT_ERRNO(ENXIO, get_file(fd, 200, &g));
	job_cancel(fd);
	close(fd);
	close(dev);
}

TEST(add_files_limit_param)
{
	unsigned int saved = max_files_get();
	int dev = dev_open(), fd, fd2;

	max_files_set(3);

	/* one, then two: three is the limit; a fourth is not */
	fd = make_job(dev, "jt: limit 3", DL, NULL);
	ASSERT_SYSOK(add_n(fd, 1, "a"));
	ASSERT_SYSOK(add_n(fd, 2, "b"));
	EXPECT_EQ(3, files_total(fd));
	EXPECT_ERRNO(E2BIG, add_n(fd, 1, "c"));
	EXPECT_ERRNO(E2BIG, add_n(fd, 2, "c"));
	EXPECT_EQ(3, files_total(fd));

	/* four at once, on an empty job */
	fd2 = make_job(dev, "jt: limit 3, four at once", DL, NULL);
	EXPECT_ERRNO(E2BIG, add_n(fd2, 4, "d"));
	EXPECT_EQ(0, files_total(fd2));
	ASSERT_SYSOK(add_n(fd2, 3, "d"));
	EXPECT_EQ(3, files_total(fd2));

	/* lowered below what a job has: it keeps its files, gets no more */
	max_files_set(2);
	EXPECT_ERRNO(E2BIG, add_n(fd, 1, "c"));
	EXPECT_EQ(3, files_total(fd));
	expect_nth(fd, 2, "b", 1);

	/* raised: room again */
	max_files_set(5);
	ASSERT_SYSOK(add_n(fd, 2, "e"));
	EXPECT_EQ(5, files_total(fd));
	EXPECT_ERRNO(E2BIG, add_n(fd, 1, "f"));
	expect_nth(fd, 0, "a", 0);
	expect_nth(fd, 4, "e", 1);

	max_files_set(saved);
	job_cancel(fd);
	job_cancel(fd2);
	close(fd);
	close(fd2);
	close(dev);
}

/* An upload job (and an upload-reply one) has one file at most. */
TEST(add_files_upload_one_file)
{
	static const uint32_t types[] = { UP, UR };
	int dev = dev_open(), fd;
	struct got_file g;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		fd = make_job(dev, "jt: upload, two at once", types[i], NULL);
		EXPECT_ERRNO(E2BIG, add_n(fd, 2, "u"));
		EXPECT_EQ(0, files_total(fd));
		job_cancel(fd);
		close(fd);

		fd = make_job(dev, "jt: upload", types[i], NULL);
		ASSERT_SYSOK(add_file(fd, "https://example.test/up", "/tmp/jt/up"));
		EXPECT_EQ(1, files_total(fd));
		EXPECT_ERRNO(E2BIG, add_file(fd, "https://example.test/2", "/tmp/jt/2"));
		EXPECT_ERRNO(E2BIG, add_n(fd, 2, "u"));
		EXPECT_EQ(1, files_total(fd));
		expect_file(fd, 0, "https://example.test/up", "/tmp/jt/up");
		EXPECT_ERRNO(ENXIO, get_file(fd, 1, &g));
		job_cancel(fd);
		close(fd);
	}
	close(dev);
}

/* ------------------------------------------------------------- GET_FILE */

TEST(get_file_args)
{
	static const char remote[] = "http://example.test/twelve";
	static const char local[] = "/tmp/jt/local";
	struct kbits_job_file f;
	char rbuf[64], lbuf[64];
	int dev = dev_open(), fd;
	struct got_file g;
	union big_arg b;

	fd = make_job(dev, "jt: get_file", DL, NULL);
	EXPECT_ERRNO(ENXIO, get_file(fd, 0, &g));
	ASSERT_SYSOK(add_file(fd, remote, local));

	/* past the end */
	EXPECT_ERRNO(ENXIO, get_file(fd, 1, &g));
	EXPECT_ERRNO(ENXIO, get_file(fd, 0xffffffffu, &g));

#define FILE_REQ(rl, ll) do {						\
	memset(rbuf, 'Z', sizeof(rbuf));				\
	memset(lbuf, 'Z', sizeof(lbuf));				\
	memset(&f, 0, sizeof(f));					\
	f.size = sizeof(f);						\
	f.remote = (uintptr_t)rbuf;					\
	f.local = (uintptr_t)lbuf;					\
	f.remote_len = (rl);						\
	f.local_len = (ll);						\
} while (0)
	/* the remote buffer has no room for the NUL: neither name written */
	FILE_REQ(strlen(remote), sizeof(lbuf));
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	EXPECT_EQ(strlen(remote), f.remote_len);
	EXPECT_EQ(strlen(local), f.local_len);
	EXPECT_TRUE(all_bytes(rbuf, 'Z', sizeof(rbuf)));
	EXPECT_TRUE(all_bytes(lbuf, 'Z', sizeof(lbuf)));

	/* the local one has not */
	FILE_REQ(sizeof(rbuf), strlen(local));
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	EXPECT_EQ(strlen(remote), f.remote_len);
	EXPECT_EQ(strlen(local), f.local_len);
	EXPECT_TRUE(all_bytes(rbuf, 'Z', sizeof(rbuf)));
	EXPECT_TRUE(all_bytes(lbuf, 'Z', sizeof(lbuf)));

	/* asking for the lengths: no buffers */
	FILE_REQ(0, 0);
	f.remote = 0;
	f.local = 0;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	EXPECT_EQ(strlen(remote), f.remote_len);
	EXPECT_EQ(strlen(local), f.local_len);

	/* exactly enough */
	FILE_REQ(strlen(remote) + 1, strlen(local) + 1);
	f.bytes_total = 1;
	f.bytes_transferred = 1;
	f.flags = 0xffffffff;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	EXPECT_EQ(strlen(remote), f.remote_len);
	EXPECT_EQ(strlen(local), f.local_len);
	EXPECT_STREQ(remote, rbuf);
	EXPECT_STREQ(local, lbuf);
	EXPECT_EQ('Z', rbuf[strlen(remote) + 1]);
	EXPECT_EQ('Z', lbuf[strlen(local) + 1]);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, f.bytes_total);
	EXPECT_EQ(0, f.bytes_transferred);
	EXPECT_EQ(0, f.flags);

	/* reserved, sizes, pointers */
	FILE_REQ(sizeof(rbuf), sizeof(lbuf));
	f.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	FILE_REQ(sizeof(rbuf), sizeof(lbuf));
	f.size = KBITS_JOB_FILE_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	f.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	FILE_REQ(sizeof(rbuf), sizeof(lbuf));
	f.remote = (uintptr_t)KADDR;
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	FILE_REQ(sizeof(rbuf), sizeof(lbuf));
	f.local = (uintptr_t)unmapped_page();
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_FILE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_FILE, KADDR));
#undef FILE_REQ

	/* a larger struct: the tail decides */
	memset(&b, 0, sizeof(b));
	b.file.size = sizeof(b);
	b.file.remote = (uintptr_t)rbuf;
	b.file.local = (uintptr_t)lbuf;
	b.file.remote_len = sizeof(rbuf);
	b.file.local_len = sizeof(lbuf);
	b.bytes[sizeof(b) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &b));
	b.bytes[sizeof(b) - 1] = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_FILE, &b));
	EXPECT_STREQ(remote, rbuf);
	EXPECT_STREQ(local, lbuf);

	job_cancel(fd);
	close(fd);
	close(dev);
}

/* ---------------------------------------------------------- GET_PROGRESS */

TEST(get_progress_counts)
{
	struct kbits_job_progress p;
	int dev = dev_open(), fd;

	fd = make_job(dev, "jt: progress", DL, NULL);
	get_progress(fd, &p);
	EXPECT_EQ(0, p.bytes_total);
	EXPECT_EQ(0, p.files_total);

	/* sizes are not known until the agent asks: the total is not either */
	ASSERT_SYSOK(add_file(fd, "/src", "/dst"));
	get_progress(fd, &p);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, p.bytes_total);
	EXPECT_EQ(0, p.bytes_transferred);
	EXPECT_EQ(1, p.files_total);
	EXPECT_EQ(0, p.files_transferred);

	ASSERT_SYSOK(add_n(fd, 4, "p"));
	get_progress(fd, &p);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, p.bytes_total);
	EXPECT_EQ(0, p.bytes_transferred);
	EXPECT_EQ(5, p.files_total);
	EXPECT_EQ(0, p.files_transferred);

	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, unmapped_page()));

	/* a cancelled job keeps its files */
	job_cancel(fd);
	get_progress(fd, &p);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, p.bytes_total);
	EXPECT_EQ(5, p.files_total);
	close(fd);
	close(dev);
}

/* ------------------------------------------------------- state changes */

#define SUSP	KBITS_JOB_STATE_SUSPENDED
#define QUEUED	KBITS_JOB_STATE_QUEUED
#define ACK	KBITS_JOB_STATE_ACKNOWLEDGED
#define CANC	KBITS_JOB_STATE_CANCELLED
#define PARTIAL	KBITS_COMPLETE_PARTIAL

enum job_op { OP_RESUME, OP_SUSPEND, OP_COMPLETE, OP_CANCEL };

static const unsigned long op_cmd[] = {
	[OP_RESUME] = KBITS_JOB_IOC_RESUME,
	[OP_SUSPEND] = KBITS_JOB_IOC_SUSPEND,
	[OP_COMPLETE] = KBITS_JOB_IOC_COMPLETE,
	[OP_CANCEL] = KBITS_JOB_IOC_CANCEL,
};
static const char *const op_name[] = {
	[OP_RESUME] = "RESUME", [OP_SUSPEND] = "SUSPEND",
	[OP_COMPLETE] = "COMPLETE", [OP_CANCEL] = "CANCEL",
};
static const char *const state_name[] = {
	[QUEUED] = "QUEUED", [SUSP] = "SUSPENDED",
	[ACK] = "ACKNOWLEDGED", [CANC] = "CANCELLED",
};
static const char *const type_name[] = {
	[DL] = "download", [UP] = "upload", [UR] = "upload-reply",
};

struct transition {
	uint32_t type;
	uint32_t files;
	uint32_t from;
	enum job_op op;
	long ret;		/* what the ioctl returns, or -errno */
	uint32_t to;
};

static const struct transition transitions[] = {
	/* RESUME: only with files, to QUEUED; on a QUEUED job a no-op */
	{ DL, 0, SUSP,   OP_RESUME,   -ENODATA, SUSP },
	{ DL, 1, SUSP,   OP_RESUME,   0,        QUEUED },
	{ DL, 3, SUSP,   OP_RESUME,   0,        QUEUED },
	{ DL, 1, QUEUED, OP_RESUME,   0,        QUEUED },
	{ UP, 0, SUSP,   OP_RESUME,   -ENODATA, SUSP },
	{ UP, 1, SUSP,   OP_RESUME,   0,        QUEUED },
	{ UR, 0, SUSP,   OP_RESUME,   -ENODATA, SUSP },
	{ UR, 1, SUSP,   OP_RESUME,   0,        QUEUED },
	{ UR, 1, QUEUED, OP_RESUME,   0,        QUEUED },
	{ DL, 1, ACK,    OP_RESUME,   -EBADFD,  ACK },
	{ DL, 0, CANC,   OP_RESUME,   -EBADFD,  CANC },
	{ DL, 1, CANC,   OP_RESUME,   -EBADFD,  CANC },
	/* SUSPEND: to SUSPENDED, files or not; on a SUSPENDED job a no-op */
	{ DL, 0, SUSP,   OP_SUSPEND,  0,        SUSP },
	{ DL, 1, SUSP,   OP_SUSPEND,  0,        SUSP },
	{ DL, 1, QUEUED, OP_SUSPEND,  0,        SUSP },
	{ UP, 1, QUEUED, OP_SUSPEND,  0,        SUSP },
	{ UR, 1, QUEUED, OP_SUSPEND,  0,        SUSP },
	{ DL, 1, ACK,    OP_SUSPEND,  -EBADFD,  ACK },
	{ DL, 1, CANC,   OP_SUSPEND,  -EBADFD,  CANC },
	/* COMPLETE: a download drops what did not finish; an upload waits */
	{ DL, 0, SUSP,   OP_COMPLETE, 0,        ACK },
	{ DL, 1, SUSP,   OP_COMPLETE, PARTIAL,  ACK },
	{ DL, 3, SUSP,   OP_COMPLETE, PARTIAL,  ACK },
	{ DL, 1, QUEUED, OP_COMPLETE, PARTIAL,  ACK },
	{ UP, 0, SUSP,   OP_COMPLETE, -EBADFD,  SUSP },
	{ UP, 1, SUSP,   OP_COMPLETE, -EBADFD,  SUSP },
	{ UP, 1, QUEUED, OP_COMPLETE, -EBADFD,  QUEUED },
	{ UR, 0, SUSP,   OP_COMPLETE, -EBADFD,  SUSP },
	{ UR, 1, SUSP,   OP_COMPLETE, -EBADFD,  SUSP },
	{ UR, 1, QUEUED, OP_COMPLETE, -EBADFD,  QUEUED },
	{ DL, 1, ACK,    OP_COMPLETE, -EBADFD,  ACK },
	{ DL, 0, ACK,    OP_COMPLETE, -EBADFD,  ACK },
	{ DL, 1, CANC,   OP_COMPLETE, -EBADFD,  CANC },
	{ UP, 1, CANC,   OP_COMPLETE, -EBADFD,  CANC },
	/* CANCEL: from anything but the final states */
	{ DL, 0, SUSP,   OP_CANCEL,   0,        CANC },
	{ DL, 1, SUSP,   OP_CANCEL,   0,        CANC },
	{ DL, 1, QUEUED, OP_CANCEL,   0,        CANC },
	{ UP, 1, QUEUED, OP_CANCEL,   0,        CANC },
	{ UR, 1, SUSP,   OP_CANCEL,   0,        CANC },
	{ DL, 1, ACK,    OP_CANCEL,   -EBADFD,  ACK },
	{ DL, 1, CANC,   OP_CANCEL,   -EBADFD,  CANC },
};

/* Puts a new job into @from the way its user would. */
static void reach(int fd, uint32_t from)
{
	switch (from) {
	case SUSP:
		break;
	case QUEUED:
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		break;
	case ACK:
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_COMPLETE));
		break;
	case CANC:
		job_cancel(fd);
		break;
	}
	ASSERT_EQ(from, job_state(fd));
}

static bool final_state(uint32_t st)
{
	return st == ACK || st == CANC;
}

TEST(state_machine)
{
	int dev = dev_open(), fd, fd2;
	uint32_t st, st2, nfiles;
	guid_bytes id;
	size_t i;
	long ret;

	for (i = 0; i < ARRAY_SIZE(transitions); i++) {
		const struct transition *t = &transitions[i];
		bool dropped;

		fd = make_job(dev, "jt: state machine", t->type, id);
		if (t->files)
			ASSERT_SYSOK(add_n(fd, t->files, "sm"));
		/* RESUME takes an UPLOAD_REPLY job with its reply file (reply_file_resume) */
		if (t->type == UR)
			ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE, "/tmp/jt/smr"));
		/* a second fd, taken while the job is in the queue */
		fd2 = raw_get(dev, id);
		ASSERT_SYSOK(fd2);
		reach(fd, t->from);

		ret = ioc(fd, op_cmd[t->op], NULL);
		st = job_state(fd);
		st2 = job_state(fd2);
		if (ret != t->ret || st != t->to || st2 != t->to)
			TH_LOG("row %zu: %s job, %u files, %s %s: returned %ld (%s), now %u",
			       i, type_name[t->type], t->files,
			       state_name[t->from], op_name[t->op], ret,
			       ret < 0 ? th_errname(-ret) : "ok", st);
		EXPECT_EQ(t->ret, ret);
		EXPECT_EQ(t->to, st);
		EXPECT_EQ(t->to, st2);

		/* a final job has left the queue; the others are there */
		if (final_state(t->to)) {
			EXPECT_ERRNO(ENOENT, raw_get(dev, id));
		} else {
			int fd3 = raw_get(dev, id);

			EXPECT_SYSOK(fd3);
			if (fd3 >= 0) {
				EXPECT_EQ(t->to, job_state(fd3));
				close(fd3);
			}
		}

		/* COMPLETE kept no unfinished file; nothing else drops any */
		dropped = t->to == ACK;
		nfiles = files_total(fd);
		EXPECT_EQ(dropped ? 0 : t->files, nfiles);
		EXPECT_EQ(nfiles, files_total(fd2));

		if (!final_state(st))
			job_cancel(fd);
		close(fd);
		close(fd2);
	}
	close(dev);
}

/* COMPLETE on a download job, looked at closely. */
TEST(complete_download)
{
	struct kbits_job_attr a;
	int dev = dev_open(), fd, fd2;
	struct got_file g;
	guid_bytes id, got;

	fd = make_job(dev, "jt: complete", DL, id);
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "desc", 4));
	ASSERT_SYSOK(add_n(fd, 2, "c"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);

	/* two unfinished files dropped: a partial completion */
	EXPECT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_EQ(KBITS_JOB_STATE_ACKNOWLEDGED, job_state(fd));
	EXPECT_EQ(KBITS_JOB_STATE_ACKNOWLEDGED, job_state(fd2));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_ERRNO(EBADFD, ioctl(fd2, KBITS_JOB_IOC_COMPLETE));

	/* the old fds still describe it, without the dropped files */
	job_id(fd2, got);
	EXPECT_MEMEQ(id, got, sizeof(got));
	EXPECT_EQ(0, files_total(fd2));
	EXPECT_ERRNO(ENXIO, get_file(fd2, 0, &g));
	expect_string(fd2, KBITS_JOB_IOC_GET_DESCRIPTION, "desc", 4);
	expect_string(fd2, KBITS_JOB_IOC_GET_DISPLAY_NAME, "jt: complete", 12);
	get_attr(fd2, &a);
	/* it never became TRANSFERRED */
	EXPECT_EQ(0, a.completion_time);

	/* with no files there is nothing to drop: 0 */
	close(fd);
	fd = make_job(dev, "jt: complete, no files", DL, id);
	EXPECT_EQ(0, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_EQ(KBITS_JOB_STATE_ACKNOWLEDGED, job_state(fd));
	EXPECT_ERRNO(ENOENT, raw_get(dev, id));

	close(fd);
	close(fd2);
	close(dev);
}

/* An upload job is completed once TRANSFERRED, which needs the agent. */
TEST(complete_upload_ebadfd)
{
	static const uint32_t types[] = { UP, UR };
	int dev = dev_open(), fd, fd2;
	guid_bytes id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		fd = make_job(dev, "jt: complete upload", types[i], id);
		/* RESUME takes an UPLOAD_REPLY job with its reply file (reply_file_resume) */
		if (types[i] == UR)
			ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE, "/tmp/jt/cur"));
		EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		ASSERT_SYSOK(add_file(fd, "https://example.test/up", "/tmp/jt/up"));
		EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));

		/* still queued, file and all */
		fd2 = raw_get(dev, id);
		ASSERT_SYSOK(fd2);
		EXPECT_EQ(1, files_total(fd2));
		expect_file(fd2, 0, "https://example.test/up", "/tmp/jt/up");
		job_cancel(fd2);
		close(fd2);
		close(fd);
	}
	close(dev);
}

/* What a final job's fd still answers, and what it refuses. */
static void check_final(int fd, uint32_t state, uint32_t type,
			const uint8_t *id, uint32_t nfiles)
{
	struct kbits_job_attr before, after, req;
	struct kbits_job_progress p0, p;
	char name0[STR_BUF], desc0[STR_BUF], buf[STR_BUF];
	static struct got_proxy px0, px;
	static char hdr0[HDRS_BUF], hdr[HDRS_BUF];
	uint32_t name_len, desc_len;
	long hdr_len;
	struct got_file g;
	guid_bytes got;

	ASSERT_SYSOK(raw_get_proxy(fd, &px0));
	hdr_len = get_headers(fd, hdr0);
	get_attr(fd, &before);
	get_progress(fd, &p0);
	name_len = get_string(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, name0);
	desc_len = get_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, desc0);

	/* every change, each with valid arguments */
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EBADFD, add_file(fd, "/late", "/tmp/jt/late"));
	/* (two at once would be E2BIG for an upload job in any state) */
	if (type == DL)
		EXPECT_ERRNO(EBADFD, add_n(fd, 2, "late"));
	req = attr_req(KBITS_ATTR_PRIORITY);
	req.priority = KBITS_PRIORITY_FOREGROUND;
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	req = attr_req(ATTR_ALL);
	req.priority = KBITS_PRIORITY_LOW;
	req.notify_flags = 0;
	req.min_retry_delay = 60;
	req.no_progress_timeout = 0;
	EXPECT_ERRNO(EBADFD, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	EXPECT_ERRNO(EBADFD, set_string(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME,
					"jt: late", 8));
	EXPECT_ERRNO(EBADFD, set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION,
					"late", 4));
	EXPECT_ERRNO(EBADFD, set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION,
					NULL, 0));
	EXPECT_ERRNO(EBADFD, raw_set_proxy(fd, PX_OVERRIDE, "http://late.test", NULL));
	EXPECT_ERRNO(EBADFD, raw_set_proxy(fd, PX_OVERRIDE, "late", "late"));
	EXPECT_ERRNO(EBADFD, raw_set_proxy(fd, PX_NONE, NULL, NULL));
	EXPECT_ERRNO(EBADFD, raw_set_proxy(fd, PX_SYSTEM, NULL, NULL));
	EXPECT_ERRNO(EBADFD, set_headers(fd, "X-Late: 1"));
	EXPECT_ERRNO(EBADFD, set_headers(fd, ""));

	/* and every read still answers, with what was there */
	EXPECT_EQ(state, job_state(fd));
	EXPECT_EQ(type, job_type(fd));
	EXPECT_EQ(0, job_owner(fd));
	job_id(fd, got);
	EXPECT_MEMEQ(id, got, KBITS_GUID_SIZE);
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));
	get_progress(fd, &p);
	EXPECT_MEMEQ(&p0, &p, sizeof(p));
	EXPECT_EQ(nfiles, p.files_total);
	EXPECT_EQ(name_len, get_string(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, buf));
	EXPECT_STREQ(name0, buf);
	EXPECT_EQ(desc_len, get_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, buf));
	EXPECT_STREQ(desc0, buf);
	if (nfiles)
		expect_nth(fd, 0, "fin", 0);
	EXPECT_ERRNO(ENXIO, get_file(fd, nfiles, &g));
	ASSERT_SYSOK(raw_get_proxy(fd, &px));
	EXPECT_EQ(px0.p.usage, px.p.usage);
	EXPECT_EQ(px0.p.list_len, px.p.list_len);
	EXPECT_EQ(px0.p.bypass_len, px.p.bypass_len);
	EXPECT_MEMEQ(px0.list, px.list, sizeof(px.list));
	EXPECT_MEMEQ(px0.bypass, px.bypass, sizeof(px.bypass));
	EXPECT_EQ(hdr_len, get_headers(fd, hdr));
	EXPECT_MEMEQ(hdr0, hdr, sizeof(hdr));
}

TEST(final_states_refuse_changes)
{
	struct kbits_job_attr req;
	int dev = dev_open(), fd, fd2;
	guid_bytes id;

	/* ACKNOWLEDGED, through the fd that completed it and another */
	fd = make_job(dev, "jt: acknowledged", DL, id);
	ASSERT_SYSOK(add_n(fd, 2, "fin"));
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "before", 6));
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "before.test", "b"));
	ASSERT_SYSOK(set_headers(fd, "X-Before: 1"));
	req = attr_req(KBITS_ATTR_PRIORITY);
	req.priority = KBITS_PRIORITY_HIGH;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	ASSERT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	check_final(fd, ACK, DL, id, 0);
	check_final(fd2, ACK, DL, id, 0);
	expect_string(fd2, KBITS_JOB_IOC_GET_DESCRIPTION, "before", 6);
	EXPECT_PROXY(fd2, PX_OVERRIDE, "before.test", "b");
	EXPECT_HEADERS(fd2, "X-Before: 1", 11);
	close(fd);
	close(fd2);

	/* CANCELLED, queued when cancelled; it keeps its files */
	fd = make_job(dev, "jt: cancelled", DL, id);
	ASSERT_SYSOK(add_n(fd, 2, "fin"));
	ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "before", 6));
	ASSERT_SYSOK(raw_set_proxy(fd, PX_NONE, NULL, NULL));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	job_cancel(fd2);
	check_final(fd, CANC, DL, id, 2);
	check_final(fd2, CANC, DL, id, 2);
	expect_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, "before", 6);
	EXPECT_PROXY(fd, PX_NONE, NULL, NULL);
	EXPECT_HEADERS(fd, NULL, 0);
	close(fd);
	close(fd2);

	/* a cancelled upload job, with its one file */
	fd = make_job(dev, "jt: cancelled upload", UP, id);
	ASSERT_SYSOK(add_n(fd, 1, "fin"));
	job_cancel(fd);
	check_final(fd, CANC, UP, id, 1);
	close(fd);
	close(dev);
}

/* ------------------------------------------------- an unprivileged user */

struct user_share {
	guid_bytes done, passed;
};

/*
 * A user does all of it on their own job; a job fd they hand to another
 * user works for that user too (the fd is the capability), while the GUID
 * alone does not.
 */
TEST(user_owns_and_passes_job)
{
	struct user_share *sh = shared_alloc(sizeof(*sh));
	int sv[2], dev = dev_open(), jfd;
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

	pid = th_fork();
	if (pid == 0) {
		struct kbits_job_attr req;
		int udev, fd;

		close(sv[0]);
		become(2200);
		udev = dev_open();
		fd = make_job(udev, "jt: 2200's", DL, sh->done);
		EXPECT_EQ(2200, job_owner(fd));

		req = attr_req(ATTR_ALL);
		req.priority = KBITS_PRIORITY_FOREGROUND;
		req.notify_flags = KBITS_NOTIFY_ALL;
		req.min_retry_delay = 5;
		req.no_progress_timeout = 0;
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
		expect_attr(fd, KBITS_PRIORITY_FOREGROUND, KBITS_NOTIFY_ALL, 5, 0);
		ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME,
					"jt: 2200 renamed", 16));
		expect_string(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME,
			      "jt: 2200 renamed", 16);
		ASSERT_SYSOK(set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, "mine", 4));
		expect_string(fd, KBITS_JOB_IOC_GET_DESCRIPTION, "mine", 4);
		ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "http://p.test", "h"));
		EXPECT_PROXY(fd, PX_OVERRIDE, "http://p.test", "h");
		ASSERT_SYSOK(set_headers(fd, "X-User: 2200"));
		EXPECT_HEADERS(fd, "X-User: 2200", 12);
		EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_RESUME));
		ASSERT_SYSOK(add_n(fd, 2, "user"));
		EXPECT_EQ(2, files_total(fd));
		expect_nth(fd, 1, "user", 1);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		EXPECT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
		EXPECT_EQ(KBITS_JOB_STATE_ACKNOWLEDGED, job_state(fd));
		EXPECT_ERRNO(ENOENT, raw_get(udev, sh->done));
		close(fd);

		/* one to hand over */
		fd = make_job(udev, "jt: 2200's, passed on", DL, sh->passed);
		ASSERT_SYSOK(add_n(fd, 1, "passed"));
		ASSERT_SYSOK(send_fd(sv[1], fd));
		_exit(0);
	}
	close(sv[1]);
	jfd = recv_fd(sv[0]);
	ASSERT_SYSOK(jfd);
	ASSERT_CHILD_OK(pid);

	pid = th_fork();
	if (pid == 0) {
		struct kbits_job_attr req;

		become(2201);
		EXPECT_ERRNO(EACCES, raw_get(dev_open(), sh->passed));
		EXPECT_EQ(2200, job_owner(jfd));
		req = attr_req(KBITS_ATTR_PRIORITY);
		req.priority = KBITS_PRIORITY_LOW;
		ASSERT_SYSOK(ioctl(jfd, KBITS_JOB_IOC_SET_ATTR, &req));
		ASSERT_SYSOK(set_string(jfd, KBITS_JOB_IOC_SET_DESCRIPTION,
					"by 2201", 7));
		/* the fd is the capability for these too */
		EXPECT_HEADERS(jfd, NULL, 0);
		ASSERT_SYSOK(raw_set_proxy(jfd, PX_OVERRIDE, "by.2201", NULL));
		ASSERT_SYSOK(set_headers(jfd, "X-By: 2201"));
		ASSERT_SYSOK(add_file(jfd, "/by/2201", "/tmp/jt/2201"));
		EXPECT_EQ(2, files_total(jfd));
		expect_file(jfd, 1, "/by/2201", "/tmp/jt/2201");
		ASSERT_SYSOK(ioctl(jfd, KBITS_JOB_IOC_RESUME));
		EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(jfd));
		ASSERT_SYSOK(ioctl(jfd, KBITS_JOB_IOC_SUSPEND));
		job_cancel(jfd);
		EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(jfd));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* what 2201 did is the job's */
	EXPECT_EQ(KBITS_JOB_STATE_CANCELLED, job_state(jfd));
	expect_string(jfd, KBITS_JOB_IOC_GET_DESCRIPTION, "by 2201", 7);
	EXPECT_PROXY(jfd, PX_OVERRIDE, "by.2201", NULL);
	EXPECT_HEADERS(jfd, "X-By: 2201", 10);
	expect_attr(jfd, KBITS_PRIORITY_LOW, NOTIFY_DEFAULT, 600, 1209600);
	EXPECT_ERRNO(ENOENT, raw_get(dev, sh->passed));
	close(jfd);
	close(sv[0]);
	close(dev);
}

/* ------------------------------------------------- a full fd table, a bad buffer */

/* The limit fill_fd_table() saves for unfill_fd_table(), in the child. */
static struct rlimit saved_nofile;

/*
 * CREATE_JOB and GET_JOB when the caller's fd table is full (RLIMIT_NOFILE):
 * EMFILE, and nothing left behind -- CREATE_JOB queued no job (ENUM_JOBS
 * sees as many as before, and the GUID it was given stays unwritten),
 * neither made an fd; with room again both work.  In a child, as uid 2250,
 * so that the count is of this test's jobs only.
 */
TEST(job_fd_emfile)
{
	pid_t pid = th_fork();

	if (pid == 0) {
		static const char name[] = "jt: emfile";
		struct kbits_create_job c;
		guid_bytes id, id2, none;
		int dev, fd, gfd, lf, before;

		become(2250);
		dev = dev_open();
		fd = make_job(dev, "jt: emfile, the job got", DL, id);
		before = enum_walk(dev, 0, NULL, NULL);
		ASSERT_SYSOK(before);
		EXPECT_EQ(1, enum_lists(dev, 0, id));
		lf = lowest_free_fd();

		fill_fd_table(&saved_nofile);
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.type = DL;
		c.name_len = strlen(name);
		c.name = (uintptr_t)name;
		memset(c.id, 0xa5, sizeof(c.id));
		memset(none, 0xa5, sizeof(none));
		EXPECT_ERRNO(EMFILE, ioctl(dev, KBITS_IOC_CREATE_JOB, &c));
		EXPECT_MEMEQ(none, c.id, KBITS_GUID_SIZE);
		EXPECT_ERRNO(EMFILE, raw_get(dev, id));
		/* the job fd's own TAKE_OWNERSHIP makes a job fd too */
		EXPECT_ERRNO(EMFILE, ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP));
		unfill_fd_table(&saved_nofile);

		EXPECT_EQ(lf, lowest_free_fd());
		EXPECT_EQ(before, enum_walk(dev, 0, NULL, NULL));
		EXPECT_EQ(1, enum_lists(dev, 0, id));
		/* the fd went through is not revoked: no TAKE_OWNERSHIP happened */
		EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
		EXPECT_EQ(2250, job_owner(fd));

		/* with room: both work */
		gfd = raw_get(dev, id);
		EXPECT_SYSOK(gfd);
		if (gfd >= 0) {
			EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(gfd));
			close(gfd);
		}
		job_cancel(fd);
		close(fd);
		fd = make_job(dev, name, DL, id2);
		EXPECT_EQ(before, enum_walk(dev, 0, NULL, NULL));
		EXPECT_EQ(1, enum_lists(dev, 0, id2));
		job_cancel(fd);
		close(fd);
		close(dev);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
}

/*
 * read() of a job fd into memory it cannot write: EFAULT when no event was
 * copied (an unmapped page, a read-only one); the events taken for it are
 * lost to this fd, as events.c says.  The kernel copies 8 events at a time:
 * when a later chunk fails, read() returns the bytes of the chunks before,
 * the events up to there in order, and the rest of that read's events are
 * lost (the next event read is numbered past them).
 */
TEST(job_read_efault)
{
	struct kbits_job_attr req = attr_req(KBITS_ATTR_NOTIFY_FLAGS);
	struct kbits_event tmp[16], *ev;
	long ps = page_size();
	int dev = dev_open(), fd, i;
	char *buf, *ro;
	ssize_t n;

	fd = make_job(dev, "jt: read efault", DL, NULL);
	req.notify_flags = KBITS_NOTIFY_JOB_MODIFICATION;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	read_job_events(fd, tmp, 16);	/* the SET_ATTR's own MODIFIED */
	ASSERT_EQ(0, read_job_events(fd, tmp, 16));

	/* one MODIFIED, into an unmapped page: EFAULT, and it is gone */
	ASSERT_SYSOK(raw_set_proxy(fd, PX_OVERRIDE, "p", NULL));
	EXPECT_ERRNO(EFAULT, read(fd, unmapped_page(), sizeof(tmp[0])));
	EXPECT_EQ(0, read_job_events(fd, tmp, 16));
	/* into a read-only page: likewise */
	ro = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_SYSOK(raw_set_proxy(fd, PX_NONE, NULL, NULL));
	EXPECT_ERRNO(EFAULT, read(fd, ro, sizeof(tmp[0])));
	EXPECT_EQ(0, read_job_events(fd, tmp, 16));
	EXPECT_TRUE(all_bytes(ro, 0, ps));

	/* ten events; room for eight before a page that is not mapped */
	buf = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_SYSOK(mprotect(buf + ps, ps, PROT_NONE));
	ev = (struct kbits_event *)(buf + ps - 8 * sizeof(*ev));
	for (i = 0; i < 10; i++)
		ASSERT_SYSOK(raw_set_proxy(fd, i % 2 ? PX_NONE : PX_OVERRIDE,
					   i % 2 ? NULL : "p", NULL));
	n = read(fd, ev, 10 * sizeof(*ev));
	ASSERT_EQ((ssize_t)(8 * sizeof(*ev)), n);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[i].kind);
		EXPECT_EQ(ev[0].seq + i, ev[i].seq);
	}
	/* the two taken with the failed chunk are lost; the next is new */
	EXPECT_EQ(0, read_job_events(fd, tmp, 16));
	ASSERT_SYSOK(raw_set_proxy(fd, PX_NONE, NULL, NULL));
	ASSERT_EQ(1, read_job_events(fd, tmp, 16));
	EXPECT_EQ(KBITS_EVENT_MODIFIED, tmp[0].kind);
	EXPECT_EQ(ev[7].seq + 3, tmp[0].seq);

	munmap(buf, 2 * ps);
	munmap(ro, ps);
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* --------------------------------------------------------------- cleanup */

/* Every job this run made has left the queue: each test cleaned up. */
/* ------------------------------------------------------------ credentials */

#define T_SERVER	KBITS_AUTH_TARGET_SERVER
#define T_PROXY		KBITS_AUTH_TARGET_PROXY
#define BASIC		KBITS_AUTH_SCHEME_BASIC
#define DIGEST		KBITS_AUTH_SCHEME_DIGEST
#define NTLM		KBITS_AUTH_SCHEME_NTLM
#define NEGOTIATE	KBITS_AUTH_SCHEME_NEGOTIATE

/* SET_CREDENTIALS with the lengths given: the ioctl's result. */
static int set_cred_n(int fd, uint32_t target, uint32_t scheme, uint32_t flags,
		      const void *user, uint32_t ulen, const void *pw, uint32_t plen)
{
	struct kbits_job_credentials c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.target = target;
	c.scheme = scheme;
	c.flags = flags;
	c.user = (uintptr_t)user;
	c.user_len = ulen;
	c.password = (uintptr_t)pw;
	c.password_len = plen;
	return ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c);
}

static int set_cred(int fd, uint32_t target, uint32_t scheme, const char *user,
		    const char *pw)
{
	return set_cred_n(fd, target, scheme, 0, user, strlen(user), pw,
			  strlen(pw));
}

static int remove_cred(int fd, uint32_t target, uint32_t scheme)
{
	return set_cred_n(fd, target, scheme, KBITS_CRED_REMOVE, NULL, 0, NULL, 0);
}

/* GET_CREDENTIALS into @cs (0xa5 first): the ioctl's result. */
static int get_creds(int fd, struct kbits_job_cred_schemes *cs)
{
	memset(cs, 0xa5, sizeof(*cs));
	cs->size = sizeof(*cs);
	cs->reserved = 0;
	return ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, cs);
}

/* The job's credentials must be @srv and @prx (bitmasks of 1U << scheme). */
#define EXPECT_CREDS(fd, srv, prx) do {					\
	struct kbits_job_cred_schemes cs_;				\
	ASSERT_SYSOK(get_creds(fd, &cs_));				\
	EXPECT_EQ((uint32_t)(srv), cs_.server);				\
	EXPECT_EQ((uint32_t)(prx), cs_.proxy);				\
	EXPECT_EQ(0, cs_.reserved);					\
	EXPECT_EQ(sizeof(cs_), cs_.size);				\
} while (0)

#define B(s)	(1U << (s))

/*
 * SET_CREDENTIALS and GET_CREDENTIALS: a bit per (target, scheme) set, on
 * every type of job, the job's and not the fd's; setting again replaces
 * (one bit still), REMOVE clears one pair and no other, removing what the
 * job does not have succeeds; empty user and password, a ':' in a user
 * name but for Basic, UTF-8, the longest names all go in.
 */
TEST(credentials_roundtrip)
{
	static const uint32_t types[] = { DL, UP, UR };
	static char u[KBITS_CRED_USER_MAX], p[KBITS_CRED_PASSWORD_MAX];
	int dev = dev_open(), fd, fd2;
	guid_bytes id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		fd = make_job(dev, "jt: credentials", types[i], id);
		fd2 = raw_get(dev, id);
		ASSERT_SYSOK(fd2);
		EXPECT_CREDS(fd, 0, 0);

		ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "alice", "s3cret"));
		EXPECT_CREDS(fd2, B(BASIC), 0);
		ASSERT_SYSOK(set_cred(fd, T_PROXY, NTLM, "DOM\\alice:x", "p:w"));
		EXPECT_CREDS(fd2, B(BASIC), B(NTLM));
		/* empty user and password: Negotiate with the owner's tickets */
		ASSERT_SYSOK(set_cred(fd2, T_SERVER, NEGOTIATE, "", ""));
		ASSERT_SYSOK(set_cred(fd2, T_PROXY, DIGEST, "", "only pw"));
		ASSERT_SYSOK(set_cred(fd2, T_PROXY, BASIC, "only user", ""));
		EXPECT_CREDS(fd, B(BASIC) | B(NEGOTIATE), B(NTLM) | B(DIGEST) | B(BASIC));
		/* again: replaced, not added */
		ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "bob", "other"));
		EXPECT_CREDS(fd, B(BASIC) | B(NEGOTIATE), B(NTLM) | B(DIGEST) | B(BASIC));
		/* REMOVE: that pair only; the same scheme of the other target stays */
		ASSERT_SYSOK(remove_cred(fd, T_SERVER, BASIC));
		EXPECT_CREDS(fd2, B(NEGOTIATE), B(NTLM) | B(DIGEST) | B(BASIC));
		ASSERT_SYSOK(remove_cred(fd, T_SERVER, BASIC));	/* absent: fine */
		ASSERT_SYSOK(remove_cred(fd, T_SERVER, DIGEST));
		EXPECT_CREDS(fd2, B(NEGOTIATE), B(NTLM) | B(DIGEST) | B(BASIC));
		ASSERT_SYSOK(remove_cred(fd2, T_PROXY, NTLM));
		ASSERT_SYSOK(remove_cred(fd2, T_PROXY, DIGEST));
		ASSERT_SYSOK(remove_cred(fd2, T_PROXY, BASIC));
		ASSERT_SYSOK(remove_cred(fd2, T_SERVER, NEGOTIATE));
		EXPECT_CREDS(fd, 0, 0);
		/* REMOVE with buffers but both lengths 0: fine */
		ASSERT_SYSOK(set_cred(fd, T_SERVER, DIGEST, "x", "y"));
		ASSERT_SYSOK(set_cred_n(fd, T_SERVER, DIGEST, KBITS_CRED_REMOVE,
					"x", 0, "y", 0));
		EXPECT_CREDS(fd, 0, 0);
		/* all eight */
		for (uint32_t s = BASIC; s <= NEGOTIATE; s++) {
			ASSERT_SYSOK(set_cred(fd, T_SERVER, s, "u", "p"));
			ASSERT_SYSOK(set_cred(fd, T_PROXY, s, "u", "p"));
		}
		EXPECT_CREDS(fd, 0x1e, 0x1e);
		job_cancel(fd);
		close(fd);
		close(fd2);
	}

	fd = make_job(dev, "jt: credentials, names", DL, NULL);
	/* ':' is refused for Basic only (RFC 7617); any scheme's password may have one */
	ASSERT_SYSOK(set_cred(fd, T_SERVER, NTLM, "a:b", "c:d"));
	ASSERT_SYSOK(set_cred(fd, T_SERVER, DIGEST, ":", ""));
	ASSERT_SYSOK(set_cred(fd, T_SERVER, NEGOTIATE, "u@REALM:x", ""));
	ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "alice", "pa:ss"));
	/* UTF-8, and a password may have control characters but NUL */
	ASSERT_SYSOK(set_cred(fd, T_PROXY, BASIC, "caf\xc3\xa9 \xf0\x9f\x98\x80",
			      "\t\x7f\x01\xe2\x82\xac"));
	/* the longest: KBITS_CRED_USER_MAX and KBITS_CRED_PASSWORD_MAX bytes */
	EXPECT_EQ(1024, KBITS_CRED_USER_MAX);
	EXPECT_EQ(1024, KBITS_CRED_PASSWORD_MAX);
	memset(u, 'u', sizeof(u));
	memset(p, 'p', sizeof(p));
	ASSERT_SYSOK(set_cred_n(fd, T_PROXY, DIGEST, 0, u, sizeof(u), p, sizeof(p)));
	EXPECT_CREDS(fd, B(NTLM) | B(DIGEST) | B(NEGOTIATE) | B(BASIC),
		     B(BASIC) | B(DIGEST));
	job_cancel(fd);
	close(fd);
	close(dev);
}

/*
 * Every refusal of SET_CREDENTIALS (EINVAL, ENAMETOOLONG, EFAULT) and of
 * GET_CREDENTIALS; each leaves the job's credentials as they were, the pair
 * it named included.
 */
TEST(credentials_invalid)
{
#define BAD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; uint32_t len; } bad_user[] = {
		BAD("a\tb"), BAD("\n"), BAD("a\rb"), BAD("\x01"), BAD("\x1f"),
		BAD("a\x7f"), BAD("a\0b"), BAD("\0"),
		BAD("caf\xc3"), BAD("\xff"), BAD("\xc0\x80"), BAD("\xed\xa0\x80"),
		BAD("\xf4\x90\x80\x80"), BAD("\x80"), BAD("ok\xfe"),
	};
	static const struct { const char *s; uint32_t len; } bad_pw[] = {
		BAD("a\0b"), BAD("\0"), BAD("pw\0"),
		BAD("caf\xc3"), BAD("\xff"), BAD("\xc0\x80"), BAD("\xed\xa0\x80"),
		BAD("\xf4\x90\x80\x80"), BAD("\x80"),
	};
#undef BAD
	static char big[KBITS_CRED_USER_MAX + KBITS_CRED_PASSWORD_MAX + 2];
	struct kbits_job_cred_schemes cs;
	struct kbits_job_credentials c;
	int dev = dev_open(), fd;
	union {
		struct kbits_job_credentials c;
		struct kbits_job_cred_schemes cs;
		uint8_t bytes[128];
	} b;
	uint32_t s;
	size_t i;

	fd = make_job(dev, "jt: credentials invalid", DL, NULL);
	ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "kept", "kept"));
	ASSERT_SYSOK(set_cred(fd, T_PROXY, NTLM, "kept", "kept"));

	/* target, scheme, flags */
	EXPECT_ERRNO(EINVAL, set_cred(fd, 0, BASIC, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, 3, BASIC, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, ~0u, BASIC, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_SERVER, 0, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_SERVER, 5, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_PROXY, ~0u, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_SERVER, BASIC, 2, "u", 1, "p", 1));
	EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_SERVER, BASIC, 0x80000000u, "u", 1, "p", 1));
	EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_SERVER, BASIC, KBITS_CRED_REMOVE | 2,
					NULL, 0, NULL, 0));
	/* REMOVE of a bad pair, or with a length */
	EXPECT_ERRNO(EINVAL, remove_cred(fd, 0, BASIC));
	EXPECT_ERRNO(EINVAL, remove_cred(fd, T_SERVER, 5));
	EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_SERVER, BASIC, KBITS_CRED_REMOVE,
					"u", 1, NULL, 0));
	EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_SERVER, BASIC, KBITS_CRED_REMOVE,
					NULL, 0, "p", 1));
	EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_PROXY, NTLM, KBITS_CRED_REMOVE,
					"kept", 4, "kept", 4));
	EXPECT_CREDS(fd, B(BASIC), B(NTLM));

	/* a ':' in a Basic user, for either target */
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_SERVER, BASIC, "a:b", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_PROXY, BASIC, ":", ""));
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_SERVER, BASIC, "alice:", "p"));
	/* user: control characters, NUL, not UTF-8; for every scheme */
	for (i = 0; i < ARRAY_SIZE(bad_user); i++)
		for (s = BASIC; s <= NEGOTIATE; s++) {
			if (set_cred_n(fd, T_SERVER, s, 0, bad_user[i].s,
				       bad_user[i].len, "p", 1) != -1 || errno != EINVAL)
				TH_LOG("bad user %zu, scheme %u: not EINVAL", i, s);
			EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_SERVER, s, 0,
							bad_user[i].s, bad_user[i].len,
							"p", 1));
		}
	/* password: NUL, not UTF-8 */
	for (i = 0; i < ARRAY_SIZE(bad_pw); i++) {
		if (set_cred_n(fd, T_PROXY, NTLM, 0, "u", 1, bad_pw[i].s,
			       bad_pw[i].len) != -1 || errno != EINVAL)
			TH_LOG("bad password %zu: not EINVAL", i);
		EXPECT_ERRNO(EINVAL, set_cred_n(fd, T_PROXY, NTLM, 0, "u", 1,
						bad_pw[i].s, bad_pw[i].len));
	}
	EXPECT_CREDS(fd, B(BASIC), B(NTLM));

	/* a byte too long: ENAMETOOLONG, checked before the bytes are read */
	memset(big, 'x', sizeof(big));
	EXPECT_ERRNO(ENAMETOOLONG, set_cred_n(fd, T_SERVER, BASIC, 0, big,
					      KBITS_CRED_USER_MAX + 1, "p", 1));
	EXPECT_ERRNO(ENAMETOOLONG, set_cred_n(fd, T_SERVER, BASIC, 0, "u", 1, big,
					      KBITS_CRED_PASSWORD_MAX + 1));
	EXPECT_ERRNO(ENAMETOOLONG, set_cred_n(fd, T_SERVER, BASIC, 0, "u",
					      0xffffffffu, "p", 1));
	EXPECT_ERRNO(ENAMETOOLONG, set_cred_n(fd, T_SERVER, BASIC, 0, "u", 1, "p",
					      0xffffffffu));
	EXPECT_ERRNO(ENAMETOOLONG, set_cred_n(fd, T_SERVER, BASIC, 0, KADDR,
					      KBITS_CRED_USER_MAX + 1, "p", 1));
	EXPECT_CREDS(fd, B(BASIC), B(NTLM));

	/* bad pointers */
	EXPECT_ERRNO(EFAULT, set_cred_n(fd, T_SERVER, DIGEST, 0, KADDR, 1, "p", 1));
	EXPECT_ERRNO(EFAULT, set_cred_n(fd, T_SERVER, DIGEST, 0, "u", 1, KADDR, 1));
	EXPECT_ERRNO(EFAULT, set_cred_n(fd, T_SERVER, DIGEST, 0, NULL, 1, "p", 1));
	EXPECT_ERRNO(EFAULT, set_cred_n(fd, T_SERVER, DIGEST, 0, "u", 1,
					unmapped_page(), 1));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, KADDR));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, KADDR));
	/* sizes: short EINVAL, past a page E2BIG, a nonzero tail E2BIG, a zero one fine */
	memset(&c, 0, sizeof(c));
	c.target = T_SERVER;
	c.scheme = DIGEST;
	c.user = (uintptr_t)"u";
	c.user_len = 1;
	c.size = KBITS_JOB_CREDENTIALS_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c));
	c.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c));
	c.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c));
	memset(&b, 0, sizeof(b));
	b.c = c;
	b.c.size = sizeof(b);
	b.bytes[sizeof(b) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &b));
	EXPECT_CREDS(fd, B(BASIC), B(NTLM));
	b.bytes[sizeof(b) - 1] = 0;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &b));
	EXPECT_CREDS(fd, B(BASIC) | B(DIGEST), B(NTLM));
	ASSERT_SYSOK(remove_cred(fd, T_SERVER, DIGEST));

	/* GET: reserved, sizes; nothing written where it failed */
	memset(&cs, 0xa5, sizeof(cs));
	cs.size = sizeof(cs);
	cs.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, &cs));
	EXPECT_EQ(0xa5a5a5a5u, cs.server);
	EXPECT_EQ(0xa5a5a5a5u, cs.proxy);
	cs.reserved = 0;
	cs.size = KBITS_JOB_CRED_SCHEMES_SIZE_VER0 - 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, &cs));
	cs.size = page_size() + 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, &cs));
	EXPECT_EQ(0xa5a5a5a5u, cs.server);
	memset(&b, 0, sizeof(b));
	b.cs.size = sizeof(b);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_CREDENTIALS, &b));
	EXPECT_EQ(B(BASIC), b.cs.server);
	EXPECT_EQ(B(NTLM), b.cs.proxy);

	/* only a job fd has them */
	EXPECT_ERRNO(ENOTTY, set_cred(dev, T_SERVER, BASIC, "u", "p"));
	EXPECT_ERRNO(ENOTTY, get_creds(dev, &cs));

	EXPECT_CREDS(fd, B(BASIC), B(NTLM));
	job_cancel(fd);
	close(fd);
	close(dev);
}

/*
 * A final job: SET_CREDENTIALS is EBADFD (REMOVE too), GET still reads.
 * SET moves modification_time and says MODIFIED; a refusal does not.
 */
TEST(credentials_final_and_modified)
{
	struct kbits_job_attr a0, a;
	struct kbits_event ev[16];
	int dev = dev_open(), fd, agent, n;
	guid_bytes id;

	fd = make_job(dev, "jt: credentials acknowledged", DL, NULL);
	ASSERT_SYSOK(add_n(fd, 1, "crf"));
	ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "u", "p"));
	ASSERT_EQ(KBITS_COMPLETE_PARTIAL, ioctl(fd, KBITS_JOB_IOC_COMPLETE));
	EXPECT_ERRNO(EBADFD, set_cred(fd, T_SERVER, DIGEST, "u", "p"));
	EXPECT_ERRNO(EBADFD, remove_cred(fd, T_SERVER, BASIC));
	EXPECT_CREDS(fd, B(BASIC), 0);
	close(fd);

	fd = make_job(dev, "jt: credentials cancelled", DL, NULL);
	ASSERT_SYSOK(set_cred(fd, T_PROXY, NTLM, "u", "p"));
	job_cancel(fd);
	EXPECT_ERRNO(EBADFD, set_cred(fd, T_PROXY, NTLM, "v", "q"));
	EXPECT_ERRNO(EBADFD, remove_cred(fd, T_PROXY, NTLM));
	EXPECT_CREDS(fd, 0, B(NTLM));
	close(fd);

	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	fd = make_job(dev, "jt: credentials events", DL, id);
	while (read_job_events(agent, ev, 16) > 0)
		;
	get_attr(fd, &a0);
	sleep(1);	/* so that "now" is past a0's seconds */
	EXPECT_ERRNO(EINVAL, set_cred(fd, 0, BASIC, "u", "p"));
	EXPECT_ERRNO(EINVAL, set_cred(fd, T_SERVER, BASIC, "a:b", "p"));
	{
		struct kbits_job_cred_schemes cs;

		ASSERT_SYSOK(get_creds(fd, &cs));
	}
	EXPECT_EQ(0, read_job_events(agent, ev, 16));
	get_attr(fd, &a);
	EXPECT_EQ(a0.modification_time, a.modification_time);
	ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "u", "p"));
	n = read_job_events(agent, ev, 16);
	EXPECT_EQ(1, n);
	if (n == 1) {
		EXPECT_EQ(KBITS_EVENT_MODIFIED, ev[0].kind);
		EXPECT_MEMEQ(id, ev[0].id, KBITS_GUID_SIZE);
	}
	get_attr(fd, &a);
	EXPECT_LT(a0.modification_time, a.modification_time);
	close(agent);
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* -------------------------------------------------- write-only headers */

static int set_flags(int fd, uint32_t flags)
{
	struct kbits_job_attr r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.mask = KBITS_ATTR_FLAGS;
	r.flags = flags;
	return ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &r);
}

/*
 * KBITS_JOB_HEADERS_WRITE_ONLY: SET_ATTR sets it; then GET_HTTP_HEADERS is
 * EPERM (with headers or without), SET_HTTP_HEADERS still replaces and
 * removes, and clearing the flag is EPERM -- all or none: nothing else of
 * that SET_ATTR changes.
 */
TEST(headers_write_only)
{
	static char hb[HDRS_BUF];
	struct kbits_job_attr req, before, after;
	int dev = dev_open(), fd, fd2;
	guid_bytes id;

	fd = make_job(dev, "jt: write-only headers", DL, id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	ASSERT_SYSOK(set_headers(fd, "Authorization: Bearer t0ken"));
	EXPECT_HEADERS(fd, "Authorization: Bearer t0ken", 27);

	ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY));
	get_attr(fd2, &before);
	EXPECT_EQ(KBITS_JOB_HEADERS_WRITE_ONLY, before.flags);
	EXPECT_EQ(-EPERM, get_headers(fd, hb));
	EXPECT_EQ(-EPERM, get_headers(fd2, hb));
	/* SET still works, and the new ones are write-only too */
	ASSERT_SYSOK(set_headers(fd, "Authorization: Bearer n3w"));
	EXPECT_EQ(-EPERM, get_headers(fd2, hb));
	ASSERT_SYSOK(set_headers(fd, ""));
	EXPECT_EQ(-EPERM, get_headers(fd2, hb));	/* without headers too */

	/* clearing: EPERM, whatever else the SET_ATTR names */
	EXPECT_ERRNO(EPERM, set_flags(fd, 0));
	EXPECT_ERRNO(EPERM, set_flags(fd, KBITS_JOB_DYNAMIC_CONTENT));
	req = attr_req(KBITS_ATTR_FLAGS | KBITS_ATTR_PRIORITY |
		       KBITS_ATTR_MIN_RETRY_DELAY);
	req.flags = KBITS_JOB_DYNAMIC_CONTENT;
	req.priority = KBITS_PRIORITY_LOW;
	req.min_retry_delay = 120;
	EXPECT_ERRNO(EPERM, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_MEMEQ(&before, &after, sizeof(before));
	/* keeping it while setting another flag is fine */
	ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY |
				   KBITS_JOB_DYNAMIC_CONTENT));
	get_attr(fd, &after);
	EXPECT_EQ(KBITS_JOB_HEADERS_WRITE_ONLY | KBITS_JOB_DYNAMIC_CONTENT,
		  after.flags);
	ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY));
	EXPECT_ERRNO(EPERM, set_flags(fd2, 0));
	get_attr(fd, &after);
	EXPECT_EQ(KBITS_JOB_HEADERS_WRITE_ONLY, after.flags);
	/* a SET_ATTR that does not name the flags leaves it */
	req = attr_req(KBITS_ATTR_PRIORITY);
	req.flags = 0;
	req.priority = KBITS_PRIORITY_HIGH;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &req));
	get_attr(fd, &after);
	EXPECT_EQ(KBITS_JOB_HEADERS_WRITE_ONLY, after.flags);
	EXPECT_EQ(KBITS_PRIORITY_HIGH, after.priority);
	job_cancel(fd);
	close(fd);
	close(fd2);

	/* set on a job without headers: GET is EPERM all the same */
	fd = make_job(dev, "jt: write-only, no headers", UP, NULL);
	EXPECT_EQ(-ENODATA, get_headers(fd, hb));
	ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY));
	EXPECT_EQ(-EPERM, get_headers(fd, hb));
	ASSERT_SYSOK(set_headers(fd, "X-Token: a"));
	EXPECT_EQ(-EPERM, get_headers(fd, hb));
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* ------------------------------------------------------- upload method */

/* KBITS_JOB_UPLOAD_POST: an upload's (either type), never a download's. */
TEST(upload_post_flag)
{
	static const uint32_t ups[] = { UP, UR };
	struct kbits_job_attr a, before;
	int dev = dev_open(), fd;
	size_t i;

	fd = make_job(dev, "jt: download, post", DL, NULL);
	get_attr(fd, &before);
	EXPECT_ERRNO(EINVAL, set_flags(fd, KBITS_JOB_UPLOAD_POST));
	EXPECT_ERRNO(EINVAL, set_flags(fd, KBITS_JOB_UPLOAD_POST |
					   KBITS_JOB_DYNAMIC_CONTENT));
	get_attr(fd, &a);
	EXPECT_MEMEQ(&before, &a, sizeof(a));
	ASSERT_SYSOK(set_flags(fd, KBITS_JOB_DYNAMIC_CONTENT));
	job_cancel(fd);
	close(fd);

	for (i = 0; i < ARRAY_SIZE(ups); i++) {
		fd = make_job(dev, "jt: upload, post", ups[i], NULL);
		get_attr(fd, &a);
		EXPECT_EQ(0, a.flags);	/* PUT by default */
		ASSERT_SYSOK(set_flags(fd, KBITS_JOB_UPLOAD_POST));
		get_attr(fd, &a);
		EXPECT_EQ(KBITS_JOB_UPLOAD_POST, a.flags);
		ASSERT_SYSOK(set_flags(fd, KBITS_JOB_UPLOAD_POST |
					   KBITS_JOB_HEADERS_WRITE_ONLY));
		get_attr(fd, &a);
		EXPECT_EQ(KBITS_JOB_UPLOAD_POST | KBITS_JOB_HEADERS_WRITE_ONLY,
			  a.flags);
		/* back to PUT; the write-only flag stays */
		ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY));
		get_attr(fd, &a);
		EXPECT_EQ(KBITS_JOB_HEADERS_WRITE_ONLY, a.flags);
		job_cancel(fd);
		close(fd);
	}
	close(dev);
}

/*
 * TAKE_OWNERSHIP removes the credentials, the custom headers and the
 * write-only flag (they were the old owner's), and revokes the older fds:
 * SET_CREDENTIALS and GET_CREDENTIALS (and the reply file's ioctls) EACCES.
 */
TEST(take_ownership_removes_secrets)
{
	uint8_t *uid_job = shared_alloc(KBITS_GUID_SIZE);
	int sv[2], dev = dev_open(), ufd, nfd;
	struct kbits_job_cred_schemes cs;
	struct kbits_job_attr a;
	static char hb[HDRS_BUF];
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		close(sv[0]);
		become(2210);
		udev = dev_open();
		fd = make_job(udev, "jt: 2210's, with secrets", UR, uid_job);
		ASSERT_SYSOK(set_cred(fd, T_SERVER, BASIC, "u", "p"));
		ASSERT_SYSOK(set_cred(fd, T_PROXY, NEGOTIATE, "", ""));
		ASSERT_SYSOK(set_headers(fd, "Cookie: s=1"));
		ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY |
					   KBITS_JOB_UPLOAD_POST));
		ASSERT_SYSOK(set_str(fd, KBITS_JOB_IOC_SET_REPLY_FILE, "/tmp/jt/r"));
		ASSERT_SYSOK(send_fd(sv[1], fd));
		_exit(0);
	}
	close(sv[1]);
	ufd = recv_fd(sv[0]);
	ASSERT_SYSOK(ufd);
	ASSERT_CHILD_OK(pid);
	close(sv[0]);

	nfd = ioctl(ufd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(nfd);
	EXPECT_CREDS(nfd, 0, 0);
	EXPECT_EQ(-ENODATA, get_headers(nfd, hb));
	get_attr(nfd, &a);
	EXPECT_EQ(KBITS_JOB_UPLOAD_POST, a.flags);	/* no secret: it stays */
	/* the reply file stays (its mode capped: kbits_record_test) */
	{
		char buf[32];
		struct kbits_job_string js;

		memset(&js, 0, sizeof(js));
		js.size = sizeof(js);
		js.len = sizeof(buf);
		js.buf = (uintptr_t)buf;
		ASSERT_SYSOK(ioctl(nfd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
		EXPECT_STREQ("/tmp/jt/r", buf);
		/* the revoked fd: EACCES, before the argument is looked at */
		EXPECT_ERRNO(EACCES, ioctl(ufd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
		EXPECT_ERRNO(EACCES, set_str(ufd, KBITS_JOB_IOC_SET_REPLY_FILE, "/x"));
		EXPECT_ERRNO(EACCES, set_str(ufd, KBITS_JOB_IOC_SET_REPLY_FILE, "rel"));
	}
	EXPECT_ERRNO(EACCES, get_creds(ufd, &cs));
	EXPECT_ERRNO(EACCES, set_cred(ufd, T_SERVER, BASIC, "u", "p"));
	EXPECT_ERRNO(EACCES, remove_cred(ufd, T_SERVER, BASIC));
	EXPECT_ERRNO(EACCES, set_cred(ufd, 0, BASIC, "u", "p"));
	EXPECT_CREDS(nfd, 0, 0);
	/* the new owner sets its own, and may clear nothing it did not set */
	ASSERT_SYSOK(set_cred(nfd, T_SERVER, DIGEST, "root", "pw"));
	EXPECT_CREDS(nfd, B(DIGEST), 0);
	ASSERT_SYSOK(set_flags(nfd, KBITS_JOB_HEADERS_WRITE_ONLY));
	EXPECT_EQ(-EPERM, get_headers(nfd, hb));
	/* a second takeover removes those too */
	close(ufd);
	ufd = ioctl(nfd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(ufd);
	EXPECT_CREDS(ufd, 0, 0);
	get_attr(ufd, &a);
	EXPECT_EQ(0, a.flags & KBITS_JOB_HEADERS_WRITE_ONLY);
	EXPECT_EQ(-ENODATA, get_headers(ufd, hb));

	job_cancel(ufd);
	close(ufd);
	close(nfd);
	close(dev);
}

/* --------------------------------------------------------- reply file */

#define REPLY_BUF	(KBITS_LOCAL_NAME_MAX + 16)

/* GET_REPLY_FILE into @buf (REPLY_BUF bytes, 'Z' first): its length, or -errno. */
static long get_reply(int fd, char *buf)
{
	struct kbits_job_string js;

	memset(buf, 'Z', REPLY_BUF);
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = REPLY_BUF;
	js.buf = (uintptr_t)buf;
	if (ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js))
		return -errno;
	ASSERT_LE(js.len, KBITS_LOCAL_NAME_MAX);
	EXPECT_EQ(0, buf[js.len]);
	return js.len;
}

static int set_reply(int fd, const void *name, uint32_t len)
{
	return set_string(fd, KBITS_JOB_IOC_SET_REPLY_FILE, name, len);
}

/* The job's reply file must be @want (NULL: none). */
#define EXPECT_REPLY(fd, want) expect_reply(__LINE__, fd, want)

static void expect_reply(int line, int fd, const char *want)
{
	static char rb[REPLY_BUF];
	long n = get_reply(fd, rb);

	if (!want) {
		if (n != -ENODATA)
			th_fail(__FILE__, line, false,
				"GET_REPLY_FILE gave %ld, expected -ENODATA", n);
		return;
	}
	if (n != (long)strlen(want) || strcmp(want, rb))
		th_fail(__FILE__, line, false,
			"GET_REPLY_FILE gave %ld (%.40s), expected %s", n,
			n >= 0 ? rb : "", want);
}

/*
 * GET/SET_REPLY_FILE: an UPLOAD_REPLY job's only (EOPNOTSUPP for the
 * others); none at first (ENODATA); an absolute UTF-8 path of up to
 * KBITS_LOCAL_NAME_MAX bytes; len 0 removes it; ERANGE with the length.
 */
TEST(reply_file_roundtrip)
{
#define BAD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; uint32_t len; } bad[] = {
		BAD("relative"), BAD("./r"), BAD(" /r"), BAD("~/r"),
		BAD("/r\0x"), BAD("/r\0"), BAD("\0/r"),
		BAD("/caf\xc3"), BAD("/\xff"), BAD("/\xc0\x80"),
		BAD("/\xed\xa0\x80"),
	};
#undef BAD
	static char name[KBITS_LOCAL_NAME_MAX + 2], out[REPLY_BUF];
	static const uint32_t others[] = { DL, UP };
	struct kbits_job_string js;
	int dev = dev_open(), fd, fd2;
	guid_bytes id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(others); i++) {
		fd = make_job(dev, "jt: no reply file", others[i], NULL);
		EXPECT_EQ(-EOPNOTSUPP, get_reply(fd, out));
		EXPECT_ERRNO(EOPNOTSUPP, set_reply(fd, "/tmp/jt/r", 9));
		EXPECT_ERRNO(EOPNOTSUPP, set_reply(fd, NULL, 0));
		/* the struct is checked before the job's type (the name after) */
		memset(&js, 0, sizeof(js));
		js.size = sizeof(js);
		js.len = sizeof(out);
		js.buf = (uintptr_t)out;
		js.reserved = 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
		js.len = 2;
		js.buf = (uintptr_t)"/r";
		EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_REPLY_FILE, &js));
		js.reserved = 0;
		js.size = KBITS_JOB_STRING_SIZE_VER0 - 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_REPLY_FILE, &js));
		EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_SET_REPLY_FILE, KADDR));
		EXPECT_ERRNO(EFAULT, ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, NULL));
		job_cancel(fd);
		close(fd);
	}

	fd = make_job(dev, "jt: reply file", UR, id);
	fd2 = raw_get(dev, id);
	ASSERT_SYSOK(fd2);
	EXPECT_REPLY(fd, NULL);
	ASSERT_SYSOK(set_reply(fd, "/tmp/jt/reply", 13));
	EXPECT_REPLY(fd2, "/tmp/jt/reply");
	ASSERT_SYSOK(set_reply(fd2, "/tmp/jt/caf\xc3\xa9 \xf0\x9f\x98\x80",
			       strlen("/tmp/jt/caf\xc3\xa9 \xf0\x9f\x98\x80")));
	EXPECT_REPLY(fd, "/tmp/jt/caf\xc3\xa9 \xf0\x9f\x98\x80");
	/* each refusal leaves it */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (set_reply(fd, bad[i].s, bad[i].len) != -1 || errno != EINVAL)
			TH_LOG("bad reply name %zu: not EINVAL", i);
		EXPECT_ERRNO(EINVAL, set_reply(fd, bad[i].s, bad[i].len));
	}
	EXPECT_REPLY(fd, "/tmp/jt/caf\xc3\xa9 \xf0\x9f\x98\x80");
	/* the longest, and a byte more */
	memset(name, 'r', sizeof(name));
	name[0] = '/';
	ASSERT_SYSOK(set_reply(fd, name, KBITS_LOCAL_NAME_MAX));
	EXPECT_EQ(KBITS_LOCAL_NAME_MAX, get_reply(fd2, out));
	EXPECT_MEMEQ(name, out, KBITS_LOCAL_NAME_MAX);
	EXPECT_ERRNO(ENAMETOOLONG, set_reply(fd, name, KBITS_LOCAL_NAME_MAX + 1));
	EXPECT_ERRNO(ENAMETOOLONG, set_reply(fd, "/x", 0xffffffffu));
	EXPECT_ERRNO(EFAULT, set_reply(fd, KADDR, 5));
	EXPECT_EQ(KBITS_LOCAL_NAME_MAX, get_reply(fd2, out));

	/* ERANGE: the length, nothing written; exactly enough (with the NUL) works */
	ASSERT_SYSOK(set_reply(fd, "/tmp/jt/r", 9));
	memset(out, 'Z', sizeof(out));
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = 9;
	js.buf = (uintptr_t)out;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
	EXPECT_EQ(9, js.len);
	EXPECT_TRUE(all_bytes(out, 'Z', sizeof(out)));
	js.len = 0;
	js.buf = 0;
	EXPECT_ERRNO(ERANGE, ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
	EXPECT_EQ(9, js.len);
	js.len = 10;
	js.buf = (uintptr_t)out;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
	EXPECT_EQ(9, js.len);
	EXPECT_STREQ("/tmp/jt/r", out);
	/* reserved */
	js.reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
	js.len = 3;
	js.buf = (uintptr_t)"/yy";
	EXPECT_ERRNO(EINVAL, ioctl(fd, KBITS_JOB_IOC_SET_REPLY_FILE, &js));
	EXPECT_REPLY(fd, "/tmp/jt/r");

	/* len 0 removes it, with or without a buffer; again is fine */
	ASSERT_SYSOK(set_reply(fd, "/ignored", 0));
	EXPECT_REPLY(fd2, NULL);
	ASSERT_SYSOK(set_reply(fd, NULL, 0));
	EXPECT_REPLY(fd2, NULL);
	/* ENODATA whatever the buffer, nothing written */
	memset(out, 'Z', sizeof(out));
	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = 4;
	js.buf = (uintptr_t)out;
	EXPECT_ERRNO(ENODATA, ioctl(fd, KBITS_JOB_IOC_GET_REPLY_FILE, &js));
	EXPECT_TRUE(all_bytes(out, 'Z', sizeof(out)));

	/* a final job: SET EBADFD, GET reads */
	ASSERT_SYSOK(set_reply(fd, "/tmp/jt/final", 13));
	job_cancel(fd);
	EXPECT_ERRNO(EBADFD, set_reply(fd, "/tmp/jt/late", 12));
	EXPECT_ERRNO(EBADFD, set_reply(fd2, NULL, 0));
	EXPECT_REPLY(fd2, "/tmp/jt/final");
	close(fd);
	close(fd2);
	close(dev);
}

/*
 * RESUME of an UPLOAD_REPLY job with its file but no reply file:
 * EDESTADDRREQ (the reply has nowhere to go); with one, it queues.
 */
TEST(reply_file_resume)
{
	int dev = dev_open(), fd;

	fd = make_job(dev, "jt: reply, resume", UR, NULL);
	ASSERT_SYSOK(add_file(fd, "https://example.test/up", "/tmp/jt/up"));
	EXPECT_ERRNO(EDESTADDRREQ, ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
	ASSERT_SYSOK(set_reply(fd, "/tmp/jt/reply", 13));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, job_state(fd));
	/* removed while queued: the next RESUME (after a SUSPEND) is refused */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	ASSERT_SYSOK(set_reply(fd, NULL, 0));
	EXPECT_ERRNO(EDESTADDRREQ, ioctl(fd, KBITS_JOB_IOC_RESUME));
	EXPECT_EQ(KBITS_JOB_STATE_SUSPENDED, job_state(fd));
	job_cancel(fd);
	close(fd);

	/* a plain upload needs none */
	fd = make_job(dev, "jt: upload, resume", UP, NULL);
	ASSERT_SYSOK(add_file(fd, "https://example.test/up", "/tmp/jt/up"));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
	job_cancel(fd);
	close(fd);
	close(dev);
}

/* The reply_mode job @id's record says (the agent's EXPORT_JOB). */
static uint32_t reply_mode_of(int agent, const uint8_t *id)
{
	static uint8_t buf[65536];
	struct kbits_agent_record r;
	struct kbits_job_record h;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	memcpy(r.id, id, KBITS_GUID_SIZE);
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_EXPORT_JOB, &r));
	ASSERT_GE(r.buf_len, sizeof(h));
	memcpy(&h, buf, sizeof(h));
	ASSERT_EQ(3, h.version);
	return h.reply_mode;
}

/*
 * The reply file's mode is 0666 & ~ the setter's umask (a setter who may
 * not get the job is refused: it is an upload's); a takeover caps it at
 * 0600.  Only a record shows it.
 */
TEST(reply_file_mode)
{
	uint8_t *uid_job = shared_alloc(KBITS_GUID_SIZE);
	int sv[2], dev = dev_open(), ufd, nfd, agent;
	mode_t old;
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		close(sv[0]);
		become(2211);
		umask(022);
		udev = dev_open();
		fd = make_job(udev, "jt: 2211's reply", UR, uid_job);
		ASSERT_SYSOK(set_reply(fd, "/tmp/jt/r0", 10));
		ASSERT_SYSOK(send_fd(sv[1], fd));
		_exit(0);
	}
	close(sv[1]);
	ufd = recv_fd(sv[0]);
	ASSERT_SYSOK(ufd);
	ASSERT_CHILD_OK(pid);
	close(sv[0]);
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	EXPECT_EQ(0644, reply_mode_of(agent, uid_job));

	/* the owner again, with other umasks */
	pid = th_fork();
	if (pid == 0) {
		become(2211);
		umask(0);
		ASSERT_SYSOK(set_reply(ufd, "/tmp/jt/r1", 10));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0666, reply_mode_of(agent, uid_job));
	pid = th_fork();
	if (pid == 0) {
		become(2211);
		umask(077);
		ASSERT_SYSOK(set_reply(ufd, "/tmp/jt/r2", 10));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0600, reply_mode_of(agent, uid_job));

	/*
	 * another user holding the owner's fd may not set it (an upload's:
	 * secrets_need_may_get), nor remove it: the mode stays
	 */
	pid = th_fork();
	if (pid == 0) {
		become(2212);
		umask(0);
		EXPECT_ERRNO(EPERM, set_reply(ufd, "/tmp/jt/r3", 10));
		EXPECT_ERRNO(EPERM, set_reply(ufd, NULL, 0));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(0600, reply_mode_of(agent, uid_job));
	EXPECT_REPLY(ufd, "/tmp/jt/r2");

	/* root, an administrator over it, keeps its own umask */
	old = umask(002);
	ASSERT_SYSOK(set_reply(ufd, "/tmp/jt/r5", 10));
	umask(old);
	EXPECT_EQ(0664, reply_mode_of(agent, uid_job));
	/* removed: mode 0 */
	ASSERT_SYSOK(set_reply(ufd, NULL, 0));
	EXPECT_EQ(0, reply_mode_of(agent, uid_job));
	old = umask(0);
	ASSERT_SYSOK(set_reply(ufd, "/tmp/jt/r6", 10));
	umask(old);
	EXPECT_EQ(0666, reply_mode_of(agent, uid_job));

	/* a takeover: 0600 at most */
	nfd = ioctl(ufd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
	ASSERT_SYSOK(nfd);
	EXPECT_EQ(0600, reply_mode_of(agent, uid_job));
	EXPECT_REPLY(nfd, "/tmp/jt/r6");

	close(agent);
	job_cancel(nfd);
	close(nfd);
	close(ufd);
	close(dev);
}

/* --------------------------------------------------------- the secrets */

/*
 * Who may aim a job.  Setting credentials needs a caller who may get the
 * job (removing them does not); on an upload job (whose file is the
 * owner's) or a job with secrets (credentials, write-only headers),
 * ADD_FILES, SET_PROXY, SET_HTTP_HEADERS and SET_REPLY_FILE need one too: a
 * user the owner handed its fd to gets EPERM (it could point the owner's
 * secrets or file at its own server); on a download without secrets it may
 * (today's rule).  The owner and root may.  Jobs 0-2 are downloads, 3
 * an UPLOAD_REPLY job; 1 has credentials, 2 write-only headers.
 * kbits_perm_test checks the other callers.
 */
TEST(secrets_need_may_get)
{
	uint8_t *ids = shared_alloc(4 * KBITS_GUID_SIZE);
	int sv[2], dev = dev_open(), fds[4], k;
	pid_t pid;

	ASSERT_SYSOK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = th_fork();
	if (pid == 0) {
		int udev, fd;

		close(sv[0]);
		become(2213);
		udev = dev_open();
		for (k = 0; k < 4; k++) {
			fd = make_job(udev, "jt: 2213's", k < 3 ? DL : UR,
				      ids + k * KBITS_GUID_SIZE);
			if (k == 1)
				ASSERT_SYSOK(set_cred(fd, T_PROXY, DIGEST, "u", "p"));
			if (k == 2)
				ASSERT_SYSOK(set_flags(fd, KBITS_JOB_HEADERS_WRITE_ONLY));
			ASSERT_SYSOK(send_fd(sv[1], fd));
		}
		_exit(0);
	}
	close(sv[1]);
	for (k = 0; k < 4; k++) {
		fds[k] = recv_fd(sv[0]);
		ASSERT_SYSOK(fds[k]);
	}
	ASSERT_CHILD_OK(pid);
	close(sv[0]);

	/* uid 2214, holding the fds */
	pid = th_fork();
	if (pid == 0) {
		become(2214);
		/* a download without secrets: today's rule */
		EXPECT_SYSOK(add_file(fds[0], "https://evil.test/x", "/tmp/jt/x"));
		EXPECT_SYSOK(raw_set_proxy(fds[0], KBITS_PROXY_NONE, NULL, NULL));
		EXPECT_SYSOK(set_headers(fds[0], "X-A: b"));
		/* setting credentials: no; removing them (absent or not): yes */
		for (k = 0; k < 4; k++) {
			EXPECT_ERRNO(EPERM, set_cred(fds[k], T_SERVER, NTLM, "x", "y"));
			EXPECT_ERRNO(EPERM, set_cred(fds[k], T_SERVER, NEGOTIATE, "", ""));
			EXPECT_SYSOK(remove_cred(fds[k], T_SERVER, BASIC));
		}
		/* with secrets, or an upload: EPERM, and nothing changed */
		for (k = 1; k < 4; k++) {
			EXPECT_ERRNO(EPERM, raw_set_proxy(fds[k], KBITS_PROXY_OVERRIDE,
							  "http://evil.test:1", NULL));
			EXPECT_ERRNO(EPERM, raw_set_proxy(fds[k], KBITS_PROXY_NONE,
							  NULL, NULL));
			EXPECT_ERRNO(EPERM, set_headers(fds[k], "Host: evil.test"));
			EXPECT_ERRNO(EPERM, set_headers(fds[k], ""));
			EXPECT_ERRNO(EPERM, add_file(fds[k], "https://evil.test/x",
						     "/tmp/jt/x"));
			EXPECT_EQ(0, files_total(fds[k]));
			/* it may still set other things */
			EXPECT_SYSOK(set_string(fds[k], KBITS_JOB_IOC_SET_DESCRIPTION,
						"d", 1));
		}
		EXPECT_ERRNO(EPERM, set_reply(fds[3], "/tmp/jt/rr", 10));
		EXPECT_ERRNO(EPERM, set_reply(fds[3], NULL, 0));
		EXPECT_CREDS(fds[1], 0, B(DIGEST));
		/* it may remove the credentials: then the job is open to it again */
		EXPECT_SYSOK(remove_cred(fds[1], T_PROXY, DIGEST));
		EXPECT_CREDS(fds[1], 0, 0);
		EXPECT_SYSOK(raw_set_proxy(fds[1], KBITS_PROXY_NONE, NULL, NULL));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* the owner may: the credentials back, and the rest */
	pid = th_fork();
	if (pid == 0) {
		become(2213);
		EXPECT_SYSOK(set_cred(fds[1], T_PROXY, DIGEST, "u", "p"));
		for (k = 1; k < 4; k++) {
			if (k < 3)
				EXPECT_SYSOK(add_file(fds[k], "https://ok.test/x",
						      "/tmp/jt/x"));
			EXPECT_SYSOK(raw_set_proxy(fds[k], KBITS_PROXY_NONE, NULL, NULL));
			EXPECT_SYSOK(set_headers(fds[k], "X-Owner: 1"));
		}
		EXPECT_SYSOK(add_file(fds[3], "https://ok.test/up", "/tmp/jt/up"));
		EXPECT_SYSOK(set_reply(fds[3], "/tmp/jt/rr", 10));
		EXPECT_SYSOK(set_cred(fds[3], T_SERVER, BASIC, "u", "p"));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	/* root (an administrator over them) may */
	for (k = 1; k < 4; k++) {
		EXPECT_EQ(1, files_total(fds[k]));
		EXPECT_SYSOK(raw_set_proxy(fds[k], KBITS_PROXY_SYSTEM, NULL, NULL));
		EXPECT_SYSOK(set_headers(fds[k], "X-Root: 1"));
		EXPECT_SYSOK(set_cred(fds[k], T_SERVER, DIGEST, "r", "p"));
	}
	EXPECT_SYSOK(add_file(fds[1], "https://ok.test/r", "/tmp/jt/r"));
	EXPECT_SYSOK(set_reply(fds[3], "/tmp/jt/root", 12));
	for (k = 0; k < 4; k++) {
		job_cancel(fds[k]);
		close(fds[k]);
	}
	close(dev);
}

NO_JOBS_LEFT_BEHIND(false)

int main(int argc, char **argv)
{
	FILE *f;
	int ret;

	if (job_log_map()) {
		perror("mmap");
		return 1;
	}
	f = fopen(PARAM_MAX_FILES, "re");
	if (f) {
		have_orig_max_files = fscanf(f, "%u", &orig_max_files) == 1;
		fclose(f);
	}
	th_after_each = restore_max_files;
	ret = test_harness_run(argc, argv);
	restore_max_files();
	return ret;
}
