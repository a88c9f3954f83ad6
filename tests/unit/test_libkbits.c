// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libkbits that need no module: GUID strings, error texts,
 * argument checks, names.  What needs the module is in tests/selftests/,
 * run in the test VM.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <check.h>

#include <kbits/kbits.h>

static const char *const good_guid = "{03020100-0504-0706-0809-0a0b0c0d0e0f}";

static struct kbits_guid guid_00_0f(void)
{
	struct kbits_guid g;
	int i;

	for (i = 0; i < 16; i++)
		g.bytes[i] = (uint8_t)i;
	return g;
}

/* ------------------------------------------------------------------ GUIDs */

START_TEST(guid_format_known_bytes)
{
	struct kbits_guid g = guid_00_0f();
	char s[KBITS_GUID_STRING_LEN];

	memset(s, 'x', sizeof(s));
	kbits_guid_format(&g, s);
	ck_assert_str_eq(s, good_guid);
	ck_assert_uint_eq(strlen(s), KBITS_GUID_STRING_LEN - 1);
}
END_TEST

START_TEST(guid_format_lower_case)
{
	struct kbits_guid g;
	char s[KBITS_GUID_STRING_LEN];

	memset(g.bytes, 0xab, sizeof(g.bytes));
	g.bytes[0] = 0xff;
	g.bytes[15] = 0xcd;
	kbits_guid_format(&g, s);
	/* byte 0 ends the first group, byte 15 ends the last */
	ck_assert_str_eq(s, "{abababff-abab-abab-abab-abababababcd}");
}
END_TEST

START_TEST(guid_format_null)
{
	char s[KBITS_GUID_STRING_LEN] = "x";

	kbits_guid_format(NULL, s);
	ck_assert_str_eq(s, "");
	kbits_guid_format(NULL, NULL);	/* no crash */
}
END_TEST

START_TEST(guid_parse_known_string)
{
	struct kbits_guid want = guid_00_0f(), g;

	memset(&g, 0x55, sizeof(g));
	ck_assert_int_eq(kbits_guid_parse(good_guid, &g), 0);
	ck_assert_mem_eq(g.bytes, want.bytes, sizeof(g.bytes));
}
END_TEST

START_TEST(guid_parse_accepted_forms)
{
	static const char *const forms[] = {
		"{03020100-0504-0706-0809-0a0b0c0d0e0f}",
		"03020100-0504-0706-0809-0a0b0c0d0e0f",
		"{03020100-0504-0706-0809-0A0B0C0D0E0F}",
		"03020100-0504-0706-0809-0A0B0C0D0E0F",
		"03020100-0504-0706-0809-0a0B0c0D0e0F",
	};
	struct kbits_guid want = guid_00_0f(), g;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&g, 0, sizeof(g));
		ck_assert_msg(kbits_guid_parse(forms[i], &g) == 0, "refused %s", forms[i]);
		ck_assert_mem_eq(g.bytes, want.bytes, sizeof(g.bytes));
	}
}
END_TEST

START_TEST(guid_parse_rejected_forms)
{
	static const char *const bad[] = {
		"",
		"{}",
		"{03020100-0504-0706-0809-0a0b0c0d0e0f",	/* one brace */
		"03020100-0504-0706-0809-0a0b0c0d0e0f}",
		"(03020100-0504-0706-0809-0a0b0c0d0e0f)",
		"}03020100-0504-0706-0809-0a0b0c0d0e0f{",
		"{03020100-0504-0706-0809-0a0b0c0d0e0f}}",
		"{{03020100-0504-0706-0809-0a0b0c0d0e0f}",
		"03020100-0504-0706-0809-0a0b0c0d0e0",		/* too short */
		"03020100-0504-0706-0809-0a0b0c0d0e0f0",	/* too long */
		"{03020100-0504-0706-0809-0a0b0c0d0e0}",
		"{03020100-0504-0706-0809-0a0b0c0d0e0f0}",
		"03020100-0504-0706-0809-0a0b0c0d0e0f ",	/* trailing space */
		" 03020100-0504-0706-0809-0a0b0c0d0e0f",
		"g3020100-0504-0706-0809-0a0b0c0d0e0f",		/* bad hex */
		"03020100-0504-0706-0809-0a0b0c0d0e0g",
		"0302010x-0504-0706-0809-0a0b0c0d0e0f",
		"03020100-05 4-0706-0809-0a0b0c0d0e0f",
		"+3020100-0504-0706-0809-0a0b0c0d0e0f",
		"030201000-504-0706-0809-0a0b0c0d0e0f",		/* dashes misplaced */
		"03020100-05040-706-0809-0a0b0c0d0e0f",
		"03020100-0504-07060-809-0a0b0c0d0e0f",
		"03020100-0504-0706-08090-a0b0c0d0e0f",
		"03020100005040706080900a0b0c0d0e0f00",		/* no dashes */
		"03020100:0504:0706:0809:0a0b0c0d0e0f",
		"03020100-0504-0706-0809-0a0b-0c0d0e0f",
		"0302010-00504-0706-0809-0a0b0c0d0e0f",
		"03020100-0504-0706-0809-0a0b0c0d0e0f\n",
	};
	struct kbits_guid g = guid_00_0f(), before = g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(kbits_guid_parse(bad[i], &g) == -EINVAL,
			      "accepted \"%s\"", bad[i]);
		/* a failed parse leaves the output alone */
		ck_assert_mem_eq(g.bytes, before.bytes, sizeof(g.bytes));
	}
}
END_TEST

START_TEST(guid_parse_embedded_nul)
{
	char s[40];
	struct kbits_guid g;

	strcpy(s, "03020100-0504-0706-0809-0a0b0c0d0e0f");
	s[20] = '\0';
	ck_assert_int_eq(kbits_guid_parse(s, &g), -EINVAL);
}
END_TEST

START_TEST(guid_parse_null)
{
	struct kbits_guid g;

	ck_assert_int_eq(kbits_guid_parse(NULL, &g), -EINVAL);
	ck_assert_int_eq(kbits_guid_parse(good_guid, NULL), -EINVAL);
	ck_assert_int_eq(kbits_guid_parse(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(guid_round_trip)
{
	char s[KBITS_GUID_STRING_LEN], upper[KBITS_GUID_STRING_LEN];
	struct kbits_guid g, back;
	unsigned int seed = 1;
	int round, i;

	for (round = 0; round < 1000; round++) {
		for (i = 0; i < 16; i++)
			g.bytes[i] = (uint8_t)(rand_r(&seed) >> 7);
		kbits_guid_format(&g, s);
		ck_assert_uint_eq(strlen(s), KBITS_GUID_STRING_LEN - 1);
		ck_assert_int_eq(kbits_guid_parse(s, &back), 0);
		ck_assert_mem_eq(g.bytes, back.bytes, sizeof(g.bytes));

		/* without braces, in upper case */
		for (i = 0; s[i]; i++)
			upper[i] = (char)(s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 'A' : s[i]);
		upper[i - 1] = '\0';
		memset(&back, 0, sizeof(back));
		ck_assert_int_eq(kbits_guid_parse(upper + 1, &back), 0);
		ck_assert_mem_eq(g.bytes, back.bytes, sizeof(g.bytes));
	}
}
END_TEST

START_TEST(guid_every_byte_value)
{
	char s[KBITS_GUID_STRING_LEN];
	struct kbits_guid g, back;
	int v, i;

	for (v = 0; v < 256; v++) {
		for (i = 0; i < 16; i++)
			g.bytes[i] = (uint8_t)(v + i);
		kbits_guid_format(&g, s);
		ck_assert_int_eq(kbits_guid_parse(s, &back), 0);
		ck_assert_mem_eq(g.bytes, back.bytes, sizeof(g.bytes));
	}
}
END_TEST

/* ------------------------------------------------------------ kbits_strerror */

START_TEST(strerror_mapped)
{
	static const int mapped[] = {
		ENOENT, EACCES, EBADFD, ENODATA, ENOMSG, EDQUOT, ENOSPC,
		E2BIG, ENAMETOOLONG, EBADF,
	};
	const char *texts[sizeof(mapped) / sizeof(mapped[0])];
	size_t i, k;

	for (i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++) {
		const char *s = kbits_strerror(-mapped[i]);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 0);
		/* its own text, not the C library's */
		ck_assert_str_ne(s, strerror(mapped[i]));
		ck_assert_str_ne(s, "unknown error");
		texts[i] = s;
		for (k = 0; k < i; k++)
			ck_assert_str_ne(texts[k], s);
	}
}
END_TEST

START_TEST(strerror_bits_names)
{
	ck_assert_ptr_nonnull(strstr(kbits_strerror(-ENOENT), "BG_E_NOT_FOUND"));
	ck_assert_ptr_nonnull(strstr(kbits_strerror(-EACCES), "E_ACCESSDENIED"));
	ck_assert_ptr_nonnull(strstr(kbits_strerror(-EBADFD), "BG_E_INVALID_STATE"));
	ck_assert_ptr_nonnull(strstr(kbits_strerror(-EDQUOT), "BG_E_TOO_MANY_JOBS_PER_USER"));
	ck_assert_ptr_nonnull(strstr(kbits_strerror(-ENOSPC), "BG_E_TOO_MANY_JOBS_PER_MACHINE"));
	ck_assert_ptr_nonnull(strstr(kbits_strerror(-ENAMETOOLONG), "BG_E_STRING_TOO_LONG"));
}
END_TEST

/*
 * Since LIBKBITS_0.4 kbits_job_add_file_set() returns a local file's errnos
 * too (kbits_check_local_name()): each text is true of a job and of a file.
 */
START_TEST(strerror_job_or_file)
{
	const char *s = kbits_strerror(-ENOENT);

	ck_assert_ptr_nonnull(strstr(s, "no such job in the queue"));
	ck_assert_ptr_nonnull(strstr(s, "no such directory for a local file"));
	s = kbits_strerror(-EACCES);
	ck_assert_ptr_nonnull(strstr(s, "the job belongs to another user"));
	ck_assert_ptr_nonnull(strstr(s, "a local file may not be created or replaced"));
	/* a file's own errnos: the C library's texts, which say no job */
	ck_assert_str_eq(kbits_strerror(-ENOTDIR), strerror(ENOTDIR));
	ck_assert_str_eq(kbits_strerror(-EISDIR), strerror(EISDIR));
	ck_assert_str_eq(kbits_strerror(-EROFS), strerror(EROFS));
	ck_assert_str_eq(kbits_strerror(-EPERM), strerror(EPERM));
}
END_TEST

START_TEST(strerror_fallback)
{
	const char *s;

	s = kbits_strerror(-EPIPE);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, strerror(EPIPE));
	ck_assert_ptr_nonnull(kbits_strerror(0));
	ck_assert_ptr_nonnull(kbits_strerror(-100000));
	ck_assert_ptr_nonnull(kbits_strerror(-2147483647 - 1));
	ck_assert_ptr_nonnull(kbits_strerror(2147483647));
}
END_TEST

/* ---------------------------------------------------------- argument checks */

START_TEST(new_bad_flags)
{
	struct kbits *m = (struct kbits *)&m;	/* not NULL, to see it cleared */

	ck_assert_int_eq(kbits_new(&m, 0x2), -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(kbits_new(&m, 0x80000000u), -EINVAL);
	ck_assert_int_eq(kbits_new(&m, ~0u), -EINVAL);
	ck_assert_int_eq(kbits_new(NULL, 0), -EINVAL);
}
END_TEST

/* Without the module kbits_new() fails with ENOENT; in the VM it may work. */
START_TEST(new_without_module)
{
	struct kbits *m = NULL;
	int err = kbits_new(&m, 0);

	if (err == 0) {
		ck_assert_ptr_nonnull(m);
		ck_assert_ptr_eq(kbits_ref(m), m);
		ck_assert_ptr_null(kbits_unref(m));
		ck_assert_ptr_null(kbits_unref(m));
	} else {
		ck_assert_msg(err == -ENOENT || err == -ENXIO || err == -ENODEV ||
			      err == -EACCES, "kbits_new: %d", err);
		ck_assert_ptr_null(m);
	}
}
END_TEST

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

START_TEST(job_from_fd_pipe)
{
	struct kbits_job *j = (struct kbits_job *)&j;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(kbits_job_from_fd(p[0], &j), -EBADF);
	ck_assert_ptr_null(j);
	ck_assert_int_eq(kbits_job_from_fd(p[1], &j), -EBADF);
	/* a failed call does not take the fd */
	ck_assert(fd_is_open(p[0]));
	ck_assert(fd_is_open(p[1]));
	ck_assert_int_eq(close(p[0]), 0);
	ck_assert_int_eq(close(p[1]), 0);
}
END_TEST

START_TEST(job_from_fd_other_files)
{
	struct kbits_job *j = NULL;
	int fd;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(kbits_job_from_fd(fd, &j), -EBADF);
	ck_assert(fd_is_open(fd));
	close(fd);
	/* now closed */
	ck_assert_int_eq(kbits_job_from_fd(fd, &j), -EBADF);

	fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(kbits_job_from_fd(fd, &j), -EBADF);
	ck_assert(fd_is_open(fd));
	close(fd);
	ck_assert_ptr_null(j);
}
END_TEST

START_TEST(job_from_fd_negative)
{
	struct kbits_job *j = NULL;

	ck_assert_int_eq(kbits_job_from_fd(-1, &j), -EBADF);
	ck_assert_int_eq(kbits_job_from_fd(-100, &j), -EBADF);
	ck_assert_ptr_null(j);
	ck_assert_int_eq(kbits_job_from_fd(0, NULL), -EINVAL);
}
END_TEST

START_TEST(ref_unref_null)
{
	ck_assert_ptr_null(kbits_ref(NULL));
	ck_assert_ptr_null(kbits_unref(NULL));
	ck_assert_ptr_null(kbits_job_ref(NULL));
	ck_assert_ptr_null(kbits_job_unref(NULL));
}
END_TEST

START_TEST(null_handles)
{
	enum kbits_job_state st;
	enum kbits_job_type ty;
	struct kbits_job *j = (struct kbits_job *)&j;
	struct kbits_guid g = guid_00_0f();
	char *name = NULL;
	uid_t owner;

	ck_assert_int_eq(kbits_create_job(NULL, "x", KBITS_JOB_TYPE_DOWNLOAD, &g, &j), -EINVAL);
	ck_assert_ptr_null(j);
	j = (struct kbits_job *)&j;
	ck_assert_int_eq(kbits_get_job(NULL, &g, &j), -EINVAL);
	ck_assert_ptr_null(j);
	ck_assert_int_eq(kbits_job_fd(NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_get_id(NULL, &g), -EINVAL);
	ck_assert_int_eq(kbits_job_get_type(NULL, &ty), -EINVAL);
	ck_assert_int_eq(kbits_job_get_state(NULL, &st), -EINVAL);
	ck_assert_int_eq(kbits_job_get_owner(NULL, &owner), -EINVAL);
	ck_assert_int_eq(kbits_job_get_display_name(NULL, &name), -EINVAL);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(kbits_job_cancel(NULL), -EINVAL);
}
END_TEST

/* The job-model calls: a NULL handle or out pointer is -EINVAL, and out
 * pointers are cleared. */
START_TEST(null_handles_job_model)
{
	struct kbits_file_info fi = { "http://h/f", "/tmp/f" };
	struct kbits_file *files = (struct kbits_file *)&files;
	struct kbits_job_progress p;
	struct kbits_job_times t;
	enum kbits_job_priority prio;
	char *desc = NULL;
	size_t n = 7;
	uint32_t v;

	ck_assert_int_eq(kbits_job_set_display_name(NULL, "x"), -EINVAL);
	ck_assert_int_eq(kbits_job_get_description(NULL, &desc), -EINVAL);
	ck_assert_ptr_null(desc);
	ck_assert_int_eq(kbits_job_set_description(NULL, "x"), -EINVAL);
	ck_assert_int_eq(kbits_job_get_priority(NULL, &prio), -EINVAL);
	ck_assert_int_eq(kbits_job_set_priority(NULL, KBITS_PRIORITY_LOW), -EINVAL);
	ck_assert_int_eq(kbits_job_get_notify_flags(NULL, &v), -EINVAL);
	ck_assert_int_eq(kbits_job_set_notify_flags(NULL, 0), -EINVAL);
	ck_assert_int_eq(kbits_job_get_min_retry_delay(NULL, &v), -EINVAL);
	ck_assert_int_eq(kbits_job_set_min_retry_delay(NULL, 60), -EINVAL);
	ck_assert_int_eq(kbits_job_get_no_progress_timeout(NULL, &v), -EINVAL);
	ck_assert_int_eq(kbits_job_set_no_progress_timeout(NULL, 60), -EINVAL);
	ck_assert_int_eq(kbits_job_get_max_download_time(NULL, &v), -EINVAL);
	ck_assert_int_eq(kbits_job_set_max_download_time(NULL, 60), -EINVAL);
	ck_assert_int_eq(kbits_job_get_transfer_time(NULL, &v), -EINVAL);
	ck_assert_int_eq(kbits_job_get_error_count(NULL, &v), -EINVAL);
	ck_assert_int_eq(kbits_job_get_times(NULL, &t), -EINVAL);
	ck_assert_int_eq(kbits_job_add_file(NULL, fi.remote_name, fi.local_name), -EINVAL);
	ck_assert_int_eq(kbits_job_add_file_set(NULL, &fi, 1), -EINVAL);
	ck_assert_int_eq(kbits_job_get_files(NULL, &files, &n), -EINVAL);
	ck_assert_ptr_null(files);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(kbits_job_get_progress(NULL, &p), -EINVAL);
	ck_assert_int_eq(kbits_job_resume(NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_suspend(NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_complete(NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_take_ownership(NULL), -EINVAL);
	{
		struct kbits_event ev;

		ck_assert_int_eq(kbits_job_next_event(NULL, &ev, 0), -EINVAL);
	}
	kbits_files_free(NULL, 3);	/* accepts NULL */
	{
		struct kbits_error e = { .text = (char *)&e };

		ck_assert_int_eq(kbits_job_get_error(NULL, &e), -EINVAL);
		ck_assert_ptr_null(e.text);
	}
}
END_TEST

/*
 * Proxy settings and HTTP headers: a NULL handle or out pointer is -EINVAL,
 * whatever else is wrong too, and a failed get frees what it allocated (the
 * sanitizers' leak check sees it) and leaves the out pointers alone.
 */
START_TEST(null_handles_proxy_and_headers)
{
	static char too_long[KBITS_HTTP_HEADERS_MAX + 2];
	enum kbits_proxy_usage usage = KBITS_PROXY_NONE;
	char *list = NULL, *bypass = NULL, *h = NULL;

	memset(too_long, 'x', sizeof(too_long) - 1);
	ck_assert_int_eq(kbits_job_set_proxy(NULL, KBITS_PROXY_SYSTEM, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_set_proxy(NULL, KBITS_PROXY_OVERRIDE, "p", "b"), -EINVAL);
	ck_assert_int_eq(kbits_job_set_proxy(NULL, KBITS_PROXY_OVERRIDE, too_long, NULL),
			 -EINVAL);
	ck_assert_int_eq(kbits_job_set_proxy(NULL, KBITS_PROXY_OVERRIDE, "p", too_long),
			 -EINVAL);
	ck_assert_int_eq(kbits_job_get_proxy(NULL, &usage, &list, &bypass), -EINVAL);
	ck_assert_int_eq(kbits_job_get_proxy(NULL, NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(usage, KBITS_PROXY_NONE);
	ck_assert_ptr_null(list);
	ck_assert_ptr_null(bypass);
	ck_assert_int_eq(kbits_job_set_http_headers(NULL, "X: y"), -EINVAL);
	ck_assert_int_eq(kbits_job_set_http_headers(NULL, NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_set_http_headers(NULL, ""), -EINVAL);
	ck_assert_int_eq(kbits_job_set_http_headers(NULL, too_long), -EINVAL);
	ck_assert_int_eq(kbits_job_get_http_headers(NULL, &h), -EINVAL);
	ck_assert_int_eq(kbits_job_get_http_headers(NULL, NULL), -EINVAL);
	ck_assert_ptr_null(h);
}
END_TEST

/* ------------------------------------------------- kbits_check_local_name */

/* A fresh directory of the test's, with a file "file" and a directory "dir". */
static char local_dir[64];

static void make_local_dir(void)
{
	char path[128];
	int fd;

	snprintf(local_dir, sizeof(local_dir), "/tmp/kbits-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(local_dir));
	snprintf(path, sizeof(path), "%s/file", local_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);	/* read-only */
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/dir", local_dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void remove_local_dir(void)
{
	char path[128];

	chmod(local_dir, 0700);
	snprintf(path, sizeof(path), "%s/file", local_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dir", local_dir);
	rmdir(path);
	rmdir(local_dir);
}

static int check_in(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", local_dir, name);
	return kbits_check_local_name(path);
}

START_TEST(local_name_forms)
{
	static char too_long[KBITS_LOCAL_NAME_MAX + 2];

	too_long[0] = '/';
	memset(too_long + 1, 'x', sizeof(too_long) - 2);
	ck_assert_int_eq(kbits_check_local_name(NULL), -EINVAL);
	ck_assert_int_eq(kbits_check_local_name(""), -EINVAL);
	/* relative: refused as the kernel refuses it, not resolved */
	ck_assert_int_eq(kbits_check_local_name("relative"), -EINVAL);
	ck_assert_int_eq(kbits_check_local_name("./tmp/x"), -EINVAL);
	ck_assert_int_eq(kbits_check_local_name(too_long), -ENAMETOOLONG);
	ck_assert_int_eq(kbits_check_local_name("/"), -EISDIR);
	ck_assert_int_eq(kbits_check_local_name("/tmp/"), -EISDIR);
}
END_TEST

START_TEST(local_name_checks)
{
	make_local_dir();
	ck_assert_int_eq(check_in("new"), 0);
	/* an existing file is replaced by a rename: its mode does not matter */
	ck_assert_int_eq(check_in("file"), 0);
	ck_assert_int_eq(check_in("dir/new"), 0);
	ck_assert_int_eq(check_in("dir"), -EISDIR);
	ck_assert_int_eq(check_in("missing/new"), -ENOENT);
	ck_assert_int_eq(check_in("missing/deeper/new"), -ENOENT);
	ck_assert_int_eq(check_in("file/new"), -ENOTDIR);
	remove_local_dir();
}
END_TEST

/*
 * A directory the caller may not write: its effective ids decide
 * (AT_EACCESS).  As root the test makes its euid nobody's: root's real uid
 * alone would be allowed.
 */
START_TEST(local_name_not_writable)
{
	make_local_dir();
	if (geteuid() == 0) {
		ck_assert_int_eq(chmod(local_dir, 0755), 0);
		ck_assert_int_eq(seteuid(65534), 0);
		ck_assert_int_eq(check_in("new"), -EACCES);
		ck_assert_int_eq(check_in("file"), -EACCES);
		ck_assert_int_eq(seteuid(0), 0);
	} else {
		ck_assert_int_eq(chmod(local_dir, 0555), 0);
		ck_assert_int_eq(check_in("new"), -EACCES);
		ck_assert_int_eq(check_in("file"), -EACCES);
	}
	/* writable again: the same names pass */
	ck_assert_int_eq(chmod(local_dir, 0700), 0);
	ck_assert_int_eq(check_in("new"), 0);
	/* searchable but not writable, and writable but not searchable */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(local_dir, 0300), 0);
		ck_assert_int_eq(check_in("new"), 0);
		ck_assert_int_eq(chmod(local_dir, 0600), 0);
		ck_assert_int_eq(check_in("new"), -EACCES);
	}
	remove_local_dir();
}
END_TEST

/* A seccomp filter that refuses faccessat2 with @err, as an older profile does. */
static int refuse_faccessat2(int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_faccessat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned int)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In a child of its own (it gives up its ids): 0, or the step that failed. */
static int faccessat2_refused_child(int err)
{
	if (refuse_faccessat2(err) < 0)
		return 1;
	/* the old faccessat answers: a writable directory passes */
	if (check_in("new") != 0)
		return 2;
	if (geteuid() == 0) {
		if (chmod(local_dir, 0755) < 0 || seteuid(65534) < 0)
			return 3;
		/* effective ids not the real ones: no honest answer, left out */
		if (check_in("new") != 0)
			return 4;
		if (seteuid(0) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			return 5;
	} else if (chmod(local_dir, 0555) < 0) {
		return 5;
	}
	/* the same ids: the old faccessat's answer is theirs */
	if (check_in("new") != -EACCES)
		return 6;
	return 0;
}

START_TEST(local_name_faccessat2_refused)
{
	static const int errs[] = { EPERM, ENOSYS };
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		int status;
		pid_t pid;

		make_local_dir();
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(faccessat2_refused_child(errs[i]));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "faccessat2 refused with %s: step %d failed", strerror(errs[i]),
			      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		remove_local_dir();
	}
}
END_TEST

/* Makes @name in local_dir, owned by @uid (when root). */
static void make_owned(const char *name, uid_t uid)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", local_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	if (geteuid() == 0)
		ck_assert_int_eq(fchown(fd, uid, uid), 0);
	close(fd);
}

/*
 * A sticky directory: a rename may replace the caller's own file, or any
 * when the directory is the caller's or it has CAP_FOWNER; another user's
 * file there is -EACCES, as kbitsd's rename would fail.
 */
START_TEST(local_name_sticky_dir)
{
	char path[256];

	make_local_dir();
	ck_assert_int_eq(chmod(local_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/sticky", local_dir);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	ck_assert_int_eq(chmod(path, 01777), 0);
	make_owned("sticky/mine", 65533);
	make_owned("sticky/theirs", 65534);
	if (geteuid() == 0) {
		/* root: CAP_FOWNER */
		ck_assert_int_eq(check_in("sticky/theirs"), 0);
		ck_assert_int_eq(seteuid(65533), 0);
		ck_assert_int_eq(check_in("sticky/theirs"), -EACCES);
		ck_assert_int_eq(check_in("sticky/mine"), 0);
		ck_assert_int_eq(check_in("sticky/new"), 0);
		ck_assert_int_eq(seteuid(0), 0);
		/* the directory's owner may replace any file in it */
		ck_assert_int_eq(chown(path, 65533, 65533), 0);
		ck_assert_int_eq(seteuid(65533), 0);
		ck_assert_int_eq(check_in("sticky/theirs"), 0);
		ck_assert_int_eq(seteuid(0), 0);
		/* not sticky: the directory's write permission is enough */
		ck_assert_int_eq(chown(path, 0, 0), 0);
		ck_assert_int_eq(chmod(path, 0777), 0);
		ck_assert_int_eq(seteuid(65533), 0);
		ck_assert_int_eq(check_in("sticky/theirs"), 0);
		ck_assert_int_eq(seteuid(0), 0);
	} else {
		/* the caller's own files and directory */
		ck_assert_int_eq(check_in("sticky/mine"), 0);
		ck_assert_int_eq(check_in("sticky/new"), 0);
	}
	snprintf(path, sizeof(path), "%s/sticky/mine", local_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sticky/theirs", local_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sticky", local_dir);
	rmdir(path);
	remove_local_dir();
}
END_TEST

START_TEST(find_by_name_args)
{
	struct kbits_guid *ids = (struct kbits_guid *)&ids;
	struct kbits *m = (struct kbits *)&m;	/* never used: the arguments fail first */
	size_t n = 7;

	ck_assert_int_eq(kbits_find_jobs_by_name(NULL, "x", 0, &ids, &n), -EINVAL);
	ck_assert_ptr_null(ids);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(kbits_find_jobs_by_name(m, NULL, 0, &ids, &n), -EINVAL);
	ck_assert_int_eq(kbits_find_jobs_by_name(m, "x", 0, NULL, &n), -EINVAL);
	ck_assert_int_eq(kbits_find_jobs_by_name(m, "x", 0, &ids, NULL), -EINVAL);
}
END_TEST

/* ----------------------------------------------------------------- HRESULT */

START_TEST(hresult_mapped)
{
	ck_assert_uint_eq(kbits_hresult(0), 0);
	ck_assert_uint_eq(kbits_hresult(KBITS_COMPLETE_PARTIAL), 0x00200017);
	ck_assert_uint_eq(kbits_hresult(-ENOENT), 0x80200001);
	ck_assert_uint_eq(kbits_hresult(-EBADFD), 0x80200002);
	ck_assert_uint_eq(kbits_hresult(-ENODATA), 0x80200003);
	ck_assert_uint_eq(kbits_hresult(-ENOMSG), 0x8020000F);
	ck_assert_uint_eq(kbits_hresult(-ENAMETOOLONG), 0x80200021);
	ck_assert_uint_eq(kbits_hresult(-EDQUOT), 0x80200049);
	ck_assert_uint_eq(kbits_hresult(-ENOSPC), 0x80200050);
	ck_assert_uint_eq(kbits_hresult(-E2BIG), 0x80200051);
	ck_assert_uint_eq(kbits_hresult(-EACCES), 0x80070005);
	ck_assert_uint_eq(kbits_hresult(-EINVAL), 0x80070057);
	ck_assert_uint_eq(kbits_hresult(-ENOMEM), 0x8007000E);
	ck_assert_uint_eq(kbits_hresult(-ENOTTY), 0x80004001);
	ck_assert_uint_eq(kbits_hresult(-EIO), 0x80004005);	/* E_FAIL */
	/* a local file's: Win32 errors; its ENOENT is BG_E_NOT_FOUND, as above */
	ck_assert_uint_eq(kbits_hresult(-ENOTDIR), 0x80070003);	/* ERROR_PATH_NOT_FOUND */
	ck_assert_uint_eq(kbits_hresult(-EROFS), 0x80070013);	/* ERROR_WRITE_PROTECT */
	ck_assert_uint_eq(kbits_hresult(-EISDIR), 0x80070150);	/* ERROR_DIRECTORY_NOT_SUPPORTED */
}
END_TEST

/* ------------------------------------------------------------------- names */

START_TEST(state_names)
{
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_QUEUED), "QUEUED");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_CONNECTING), "CONNECTING");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_TRANSFERRING), "TRANSFERRING");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_SUSPENDED), "SUSPENDED");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_ERROR), "ERROR");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_TRANSIENT_ERROR), "TRANSIENT_ERROR");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_TRANSFERRED), "TRANSFERRED");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_ACKNOWLEDGED), "ACKNOWLEDGED");
	ck_assert_str_eq(kbits_job_state_name(KBITS_JOB_STATE_CANCELLED), "CANCELLED");
	ck_assert_str_eq(kbits_job_state_name((enum kbits_job_state)9), "UNKNOWN");
	ck_assert_str_eq(kbits_job_state_name((enum kbits_job_state)-1), "UNKNOWN");
}
END_TEST

START_TEST(type_names)
{
	ck_assert_str_eq(kbits_job_type_name(KBITS_JOB_TYPE_DOWNLOAD), "DOWNLOAD");
	ck_assert_str_eq(kbits_job_type_name(KBITS_JOB_TYPE_UPLOAD), "UPLOAD");
	ck_assert_str_eq(kbits_job_type_name(KBITS_JOB_TYPE_UPLOAD_REPLY), "UPLOAD_REPLY");
	ck_assert_str_eq(kbits_job_type_name((enum kbits_job_type)3), "UNKNOWN");
	ck_assert_str_eq(kbits_job_type_name((enum kbits_job_type)-1), "UNKNOWN");
}
END_TEST

START_TEST(priority_names)
{
	ck_assert_str_eq(kbits_job_priority_name(KBITS_PRIORITY_FOREGROUND), "foreground");
	ck_assert_str_eq(kbits_job_priority_name(KBITS_PRIORITY_HIGH), "high");
	ck_assert_str_eq(kbits_job_priority_name(KBITS_PRIORITY_NORMAL), "normal");
	ck_assert_str_eq(kbits_job_priority_name(KBITS_PRIORITY_LOW), "low");
	ck_assert_str_eq(kbits_job_priority_name((enum kbits_job_priority)4), "unknown");
	ck_assert_str_eq(kbits_job_priority_name((enum kbits_job_priority)-1), "unknown");
}
END_TEST

START_TEST(error_context_names)
{
	ck_assert_str_eq(kbits_error_context_name(KBITS_ERROR_CONTEXT_NONE), "NONE");
	ck_assert_str_eq(kbits_error_context_name(KBITS_ERROR_CONTEXT_GENERAL), "GENERAL");
	ck_assert_str_eq(kbits_error_context_name(KBITS_ERROR_CONTEXT_LOCAL_FILE), "LOCAL_FILE");
	ck_assert_str_eq(kbits_error_context_name(KBITS_ERROR_CONTEXT_REMOTE_FILE), "REMOTE_FILE");
	ck_assert_str_eq(kbits_error_context_name(KBITS_ERROR_CONTEXT_TRANSPORT), "TRANSPORT");
	ck_assert_str_eq(kbits_error_context_name(KBITS_ERROR_CONTEXT_REMOTE_APPLICATION),
			 "REMOTE_APPLICATION");
	ck_assert_str_eq(kbits_error_context_name((enum kbits_error_context)6), "UNKNOWN");
	ck_assert_str_eq(kbits_error_context_name((enum kbits_error_context)-1), "UNKNOWN");
}
END_TEST

/* Every name the *_name() calls give reads back, in any case; others do not. */
START_TEST(names_parse_back)
{
	static const char *const bad[] = {
		"", "lowest", "lo", "normal ", " normal", "norm-al", "foreground\n", "unknown",
		"UNKNOWN", "0", "download_", "upload-reply-", "upload__reply",
	};
	enum kbits_job_priority p;
	enum kbits_job_type t;
	char buf[32];
	size_t k;
	int i;

	for (i = 0; i < 4; i++) {
		const char *name = kbits_job_priority_name((enum kbits_job_priority)i);

		p = (enum kbits_job_priority)99;
		ck_assert_int_eq(kbits_job_priority_from_name(name, &p), 0);
		ck_assert_int_eq(p, i);
		for (k = 0; name[k]; k++)
			buf[k] = (char)(name[k] - 'a' + 'A');
		buf[k] = 0;
		p = (enum kbits_job_priority)99;
		ck_assert_int_eq(kbits_job_priority_from_name(buf, &p), 0);
		ck_assert_int_eq(p, i);
	}
	ck_assert_int_eq(kbits_job_priority_from_name("NoRmAl", &p), 0);
	ck_assert_int_eq(p, KBITS_PRIORITY_NORMAL);
	for (i = 0; i < 3; i++) {
		const char *name = kbits_job_type_name((enum kbits_job_type)i);

		t = (enum kbits_job_type)99;
		ck_assert_int_eq(kbits_job_type_from_name(name, &t), 0);
		ck_assert_int_eq(t, i);
	}
	/* kbitsctl's forms */
	ck_assert_int_eq(kbits_job_type_from_name("download", &t), 0);
	ck_assert_int_eq(t, KBITS_JOB_TYPE_DOWNLOAD);
	ck_assert_int_eq(kbits_job_type_from_name("upload", &t), 0);
	ck_assert_int_eq(t, KBITS_JOB_TYPE_UPLOAD);
	ck_assert_int_eq(kbits_job_type_from_name("upload-reply", &t), 0);
	ck_assert_int_eq(t, KBITS_JOB_TYPE_UPLOAD_REPLY);
	ck_assert_int_eq(kbits_job_type_from_name("upload_reply", &t), 0);
	ck_assert_int_eq(t, KBITS_JOB_TYPE_UPLOAD_REPLY);

	p = (enum kbits_job_priority)99;
	t = (enum kbits_job_type)99;
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		ck_assert_int_eq(kbits_job_priority_from_name(bad[k], &p), -EINVAL);
		ck_assert_int_eq(kbits_job_type_from_name(bad[k], &t), -EINVAL);
	}
	/* a failed parse leaves *out alone */
	ck_assert_int_eq(p, 99);
	ck_assert_int_eq(t, 99);
	ck_assert_int_eq(kbits_job_priority_from_name(NULL, &p), -EINVAL);
	ck_assert_int_eq(kbits_job_priority_from_name("low", NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_type_from_name(NULL, &t), -EINVAL);
	ck_assert_int_eq(kbits_job_type_from_name("upload", NULL), -EINVAL);
}
END_TEST

START_TEST(final_states)
{
	int s;

	for (s = KBITS_JOB_STATE_QUEUED; s <= KBITS_JOB_STATE_CANCELLED; s++)
		ck_assert_int_eq(kbits_job_state_is_final((enum kbits_job_state)s),
				 s == KBITS_JOB_STATE_ACKNOWLEDGED || s == KBITS_JOB_STATE_CANCELLED);
	ck_assert(!kbits_job_state_is_final((enum kbits_job_state)9));
}
END_TEST

/*
 * kbits_job_get_attrs/set_attrs: the size and mask checks come before the
 * handle's; nothing is written when they fail.
 */
START_TEST(job_attrs_args)
{
	struct kbits_job_attrs a, b;

	ck_assert_uint_eq(sizeof(a), KBITS_JOB_ATTRS_SIZE_VER0);
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	b = a;
	ck_assert_int_eq(kbits_job_get_attrs(NULL, &a), -EINVAL);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	ck_assert_int_eq(kbits_job_get_attrs(NULL, NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_set_attrs(NULL, KBITS_ATTR_PRIORITY, &a), -EINVAL);
	ck_assert_int_eq(kbits_job_set_attrs(NULL, 0, NULL), -EINVAL);

	/* a size below version 0: nothing read or written */
	a.size = KBITS_JOB_ATTRS_SIZE_VER0 - 1;
	b = a;
	ck_assert_int_eq(kbits_job_get_attrs(NULL, &a), -EINVAL);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	a.size = 0;
	ck_assert_int_eq(kbits_job_get_attrs(NULL, &a), -EINVAL);
	ck_assert_int_eq(kbits_job_set_attrs(NULL, KBITS_ATTR_PRIORITY, &a), -EINVAL);
}
END_TEST

/*
 * kbits_job_get_error exists twice: @LIBKBITS_0.1 for programs built with
 * the old struct kbits_error, @@LIBKBITS_0.5 (the default, what this test
 * links to) for the new one.  The old one, called with the old struct in a
 * guard-filled buffer, writes nothing past it.  (Its success path needs a
 * job with an error, so a module: tests/selftests/kbits_test.c's
 * lib_get_error_versions checks it in the VM.)
 */
struct kbits_error_v0_1 {
	enum kbits_error_context context;
	int code;
	uint32_t file_index;
	char *text;
};

START_TEST(get_error_versions)
{
	typedef int get_error_fn(struct kbits_job *, void *);
	void *p01 = dlvsym(RTLD_DEFAULT, "kbits_job_get_error", "LIBKBITS_0.1");
	void *p05 = dlvsym(RTLD_DEFAULT, "kbits_job_get_error", "LIBKBITS_0.5");
	get_error_fn *v01, *v05;
	unsigned char buf[sizeof(struct kbits_error_v0_1) + 64];
	struct kbits_error_v0_1 old;
	size_t i;

	ck_assert_ptr_nonnull(p01);
	ck_assert_ptr_nonnull(p05);
	ck_assert_ptr_ne(p01, p05);
	/* POSIX's way from dlsym()'s void * to a function pointer */
	memcpy(&v01, &p01, sizeof(v01));
	memcpy(&v05, &p05, sizeof(v05));
	ck_assert_ptr_null(dlvsym(RTLD_DEFAULT, "kbits_job_get_error", "LIBKBITS_0.2"));
	/* the new struct grew by @flags, past the old one's end */
	ck_assert_uint_gt(sizeof(struct kbits_error), sizeof(old));
	ck_assert_uint_ge(offsetof(struct kbits_error, flags), sizeof(old));

	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(v01(NULL, buf), -EINVAL);
	memcpy(&old, buf, sizeof(old));
	ck_assert_ptr_null(old.text);	/* cleared, as it always was */
	for (i = sizeof(old); i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xa5);
	ck_assert_int_eq(v01(NULL, NULL), -EINVAL);

	/* the default: what kbits_job_get_error() in this program calls */
	{
		struct kbits_error e;

		memset(&e, 0xa5, sizeof(e));
		ck_assert_int_eq(v05(NULL, &e), -EINVAL);
		ck_assert_ptr_null(e.text);
		memset(&e, 0xa5, sizeof(e));
		ck_assert_int_eq(kbits_job_get_error(NULL, &e), -EINVAL);
		ck_assert_ptr_null(e.text);
	}
}
END_TEST

/*
 * kbits_job_add_file_sha256: a NULL handle, name or digest is -EINVAL
 * (the digest's check needs no handle).  Adding for real needs a module:
 * kbits_lib_test's lib_file_sha256_mode checks it in the VM.
 */
START_TEST(add_file_sha256_args)
{
	uint8_t d[KBITS_SHA256_SIZE];

	memset(d, 0xab, sizeof(d));
	ck_assert_int_eq(KBITS_SHA256_SIZE, 32);
	ck_assert_int_eq(kbits_job_add_file_sha256(NULL, "http://h/f", "/tmp/f", d), -EINVAL);
	ck_assert_int_eq(kbits_job_add_file_sha256(NULL, "http://h/f", "/tmp/f", NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_add_file_sha256(NULL, NULL, "/tmp/f", d), -EINVAL);
	ck_assert_int_eq(kbits_job_add_file_sha256(NULL, "http://h/f", NULL, d), -EINVAL);
}
END_TEST

/* The notify command's calls: a NULL handle or out pointer is -EINVAL; NULL frees nothing. */
START_TEST(notify_cmd_args)
{
	const char *const argv[] = { "/bin/true", NULL };
	char **out = (char **)1;

	ck_assert_int_eq(kbits_job_set_notify_cmd(NULL, argv), -EINVAL);
	ck_assert_int_eq(kbits_job_set_notify_cmd(NULL, NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_get_notify_cmd(NULL, &out), -EINVAL);
	ck_assert_ptr_eq(out, (char **)1);
	kbits_strv_free(NULL);
}
END_TEST

/*
 * kbits_job_get_file_attrs: -EINVAL for a NULL handle or struct and for a
 * size below version 0, and nothing written when it fails.
 */
START_TEST(file_attrs_args)
{
	struct kbits_file_attrs a, b;

	ck_assert_uint_eq(sizeof(a), KBITS_FILE_ATTRS_SIZE_VER0);
	ck_assert_uint_eq(offsetof(struct kbits_file_attrs, sha256), 12);
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	b = a;
	ck_assert_int_eq(kbits_job_get_file_attrs(NULL, 0, &a), -EINVAL);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	ck_assert_int_eq(kbits_job_get_file_attrs(NULL, 0, NULL), -EINVAL);

	/* a size below version 0: nothing written */
	a.size = KBITS_FILE_ATTRS_SIZE_VER0 - 1;
	b = a;
	ck_assert_int_eq(kbits_job_get_file_attrs(NULL, 0, &a), -EINVAL);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	a.size = 0;
	ck_assert_int_eq(kbits_job_get_file_attrs(NULL, 0, &a), -EINVAL);
}
END_TEST

/* The two calls are LIBKBITS_0.6's, and only its. */
START_TEST(symbols_0_6)
{
	ck_assert_ptr_nonnull(dlvsym(RTLD_DEFAULT, "kbits_job_add_file_sha256", "LIBKBITS_0.6"));
	ck_assert_ptr_nonnull(dlvsym(RTLD_DEFAULT, "kbits_job_get_file_attrs", "LIBKBITS_0.6"));
	ck_assert_ptr_null(dlvsym(RTLD_DEFAULT, "kbits_job_add_file_sha256", "LIBKBITS_0.5"));
	ck_assert_ptr_null(dlvsym(RTLD_DEFAULT, "kbits_job_get_file_attrs", "LIBKBITS_0.5"));
}
END_TEST

/*
 * LIBKBITS_0.7's calls: a NULL handle is -EINVAL whatever else is given
 * (NULL user and password stand for ""), a NULL out pointer too; a
 * getter's out pointers are left alone, the reply file's set to NULL.
 */
START_TEST(credentials_args)
{
	uint32_t server = 7, proxy = 9;

	ck_assert_int_eq(kbits_job_set_credentials(NULL, KBITS_AUTH_TARGET_SERVER,
						   KBITS_AUTH_SCHEME_BASIC, "u", "p"), -EINVAL);
	ck_assert_int_eq(kbits_job_set_credentials(NULL, KBITS_AUTH_TARGET_PROXY,
						   KBITS_AUTH_SCHEME_NEGOTIATE, NULL, NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_remove_credentials(NULL, KBITS_AUTH_TARGET_SERVER,
						      KBITS_AUTH_SCHEME_NTLM), -EINVAL);
	ck_assert_int_eq(kbits_job_get_credentials(NULL, &server, &proxy), -EINVAL);
	ck_assert_int_eq(kbits_job_get_credentials(NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(server, 7);
	ck_assert_uint_eq(proxy, 9);
	ck_assert_int_eq(kbits_job_make_headers_write_only(NULL), -EINVAL);
	/* the enums are the UAPI's: BITS's values */
	ck_assert_int_eq(KBITS_AUTH_TARGET_SERVER, 1);
	ck_assert_int_eq(KBITS_AUTH_TARGET_PROXY, 2);
	ck_assert_int_eq(KBITS_AUTH_SCHEME_BASIC, 1);
	ck_assert_int_eq(KBITS_AUTH_SCHEME_NEGOTIATE, 4);
}
END_TEST

START_TEST(reply_file_args)
{
	char *out = (char *)1;

	ck_assert_int_eq(kbits_job_set_reply_file(NULL, "/tmp/reply"), -EINVAL);
	ck_assert_int_eq(kbits_job_set_reply_file(NULL, NULL), -EINVAL);
	ck_assert_int_eq(kbits_job_set_reply_file(NULL, ""), -EINVAL);
	ck_assert_int_eq(kbits_job_get_reply_file(NULL, &out), -EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(kbits_job_get_reply_file(NULL, NULL), -EINVAL);
	ck_assert_str_eq(kbits_strerror(-EDESTADDRREQ), "the upload-reply job has no reply file");
}
END_TEST

/* The calls are LIBKBITS_0.7's, and only its. */
START_TEST(symbols_0_7)
{
	static const char *const names[] = {
		"kbits_job_set_credentials", "kbits_job_remove_credentials",
		"kbits_job_get_credentials", "kbits_job_make_headers_write_only",
		"kbits_job_set_reply_file", "kbits_job_get_reply_file",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_ptr_nonnull(dlvsym(RTLD_DEFAULT, names[i], "LIBKBITS_0.7"));
		ck_assert_ptr_null(dlvsym(RTLD_DEFAULT, names[i], "LIBKBITS_0.6"));
	}
}
END_TEST

static Suite *libkbits_suite(void)
{
	Suite *s = suite_create("libkbits");
	TCase *tc;

	tc = tcase_create("guid");
	tcase_add_test(tc, guid_format_known_bytes);
	tcase_add_test(tc, guid_format_lower_case);
	tcase_add_test(tc, guid_format_null);
	tcase_add_test(tc, guid_parse_known_string);
	tcase_add_test(tc, guid_parse_accepted_forms);
	tcase_add_test(tc, guid_parse_rejected_forms);
	tcase_add_test(tc, guid_parse_embedded_nul);
	tcase_add_test(tc, guid_parse_null);
	tcase_add_test(tc, guid_round_trip);
	tcase_add_test(tc, guid_every_byte_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("strerror");
	tcase_add_test(tc, strerror_mapped);
	tcase_add_test(tc, strerror_bits_names);
	tcase_add_test(tc, strerror_job_or_file);
	tcase_add_test(tc, strerror_fallback);
	suite_add_tcase(s, tc);

	tc = tcase_create("args");
	tcase_add_test(tc, new_bad_flags);
	tcase_add_test(tc, new_without_module);
	tcase_add_test(tc, job_from_fd_pipe);
	tcase_add_test(tc, job_from_fd_other_files);
	tcase_add_test(tc, job_from_fd_negative);
	tcase_add_test(tc, ref_unref_null);
	tcase_add_test(tc, null_handles);
	tcase_add_test(tc, null_handles_job_model);
	tcase_add_test(tc, null_handles_proxy_and_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("local names");
	tcase_add_test(tc, local_name_forms);
	tcase_add_test(tc, local_name_checks);
	tcase_add_test(tc, local_name_not_writable);
	tcase_add_test(tc, local_name_faccessat2_refused);
	tcase_add_test(tc, local_name_sticky_dir);
	tcase_add_test(tc, find_by_name_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("hresult");
	tcase_add_test(tc, hresult_mapped);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, state_names);
	tcase_add_test(tc, type_names);
	tcase_add_test(tc, priority_names);
	tcase_add_test(tc, error_context_names);
	tcase_add_test(tc, names_parse_back);
	tcase_add_test(tc, final_states);
	suite_add_tcase(s, tc);

	tc = tcase_create("LIBKBITS_0.5");
	tcase_add_test(tc, job_attrs_args);
	tcase_add_test(tc, get_error_versions);
	suite_add_tcase(s, tc);

	tc = tcase_create("LIBKBITS_0.6");
	tcase_add_test(tc, add_file_sha256_args);
	tcase_add_test(tc, notify_cmd_args);
	tcase_add_test(tc, file_attrs_args);
	tcase_add_test(tc, symbols_0_6);
	suite_add_tcase(s, tc);

	tc = tcase_create("LIBKBITS_0.7");
	tcase_add_test(tc, credentials_args);
	tcase_add_test(tc, reply_file_args);
	tcase_add_test(tc, symbols_0_7);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(libkbits_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);	/* CK_VERBOSITY, default normal */
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
