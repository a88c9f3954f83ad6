// SPDX-License-Identifier: GPL-2.0
/*
 * kbits selftests: libkbits against the real module -- its handles and
 * their references (from threads too), kbits_job_from_fd(), the job
 * model's getters and setters (one at a time, and all at once with
 * kbits_job_get_attrs/set_attrs), proxy settings and HTTP headers, the
 * error an agent reported (through both versions of kbits_job_get_error),
 * a file's expected SHA-256 and mode (kbits_job_add_file_sha256,
 * kbits_job_get_file_attrs), and the notify command (kbits_job_set_notify_cmd,
 * kbits_job_get_notify_cmd).
 * tests/unit/ tests libkbits on the host, without the module.  Run as root
 * with kbits loaded (tests/selftests/run-in-vm.sh does that in the test
 * VM), and with no agent attached (lib_get_error and
 * lib_get_error_versions attach one).  The tests run as root
 * only (kbits_helpers.h's kbits_uid_ranges[] keeps uids 2050-2059 for
 * them); the last test checks that no job a test made is left in the
 * queue, and no agent attached.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kbits.h>
#include <kbits/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

/* ------------------------------------------------------------- the tests */

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
 * The agent reports an error on job @g, which it takes first: the job must
 * be QUEUED.  @flags: KBITS_ERROR_* of the report.
 */
static void lib_report_error(const struct kbits_guid *g, uint32_t context, int code,
			     uint32_t flags, const char *text)
{
	struct kbits_agent_error ae;
	struct kbits_agent_job take;
	int dev, agent;

	dev = dev_open();
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	close(dev);
	memset(&take, 0, sizeof(take));
	take.size = sizeof(take);
	memcpy(take.id, g->bytes, sizeof(take.id));
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_TAKE_JOB, &take));
	memset(&ae, 0, sizeof(ae));
	ae.size = sizeof(ae);
	memcpy(ae.id, g->bytes, sizeof(ae.id));
	ae.flags = flags;
	ae.context = context;
	ae.code = code;
	ae.file_index = 0;
	ae.text = (uintptr_t)text;
	ae.text_len = strlen(text);
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_ERROR, &ae));
	close(agent);
}

/* struct kbits_error before LIBKBITS_0.5, what old binaries allocate */
struct kbits_error_v0_1 {
	enum kbits_error_context context;
	int code;
	uint32_t file_index;
	char *text;
};

typedef int get_error_fn(struct kbits_job *, void *);

/*
 * The function behind kbits_job_get_error@LIBKBITS_0.1, by its own name:
 * found only where libkbits.c is compiled into this program
 * (tests/selftests/Makefile with KBITS_SRC, the kselftest lane), which has
 * no symbol versions.  libkbits.so keeps the name local: NULL there.
 */
extern get_error_fn kbits_job_get_error_v0_1 __attribute__((weak));

/*
 * kbits_job_get_error's two versions (LIBKBITS_0.5): @@LIBKBITS_0.5, what
 * this program links to, fills struct kbits_error's flags (KBITS_ERROR_HTTP
 * for an HTTP status); @LIBKBITS_0.1, what binaries linked before call,
 * writes the old struct and not one byte past it.
 */
TEST(lib_get_error_versions)
{
	void *p01 = dlvsym(RTLD_DEFAULT, "kbits_job_get_error", "LIBKBITS_0.1");
	unsigned char buf[sizeof(struct kbits_error_v0_1) + 64];
	struct kbits_error_v0_1 old;
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	struct kbits_error e;
	struct kbits_guid g;
	get_error_fn *v01 = kbits_job_get_error_v0_1;
	size_t i;

	if (p01)	/* libkbits.so: by its version */
		memcpy(&v01, &p01, sizeof(v01));	/* POSIX's way to a function pointer */
	ASSERT_TRUE(v01 != NULL);
	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "versions", KBITS_JOB_TYPE_DOWNLOAD, &g, &j));
	ASSERT_RET(0, kbits_job_add_file(j, "http://h/missing", "/tmp/kbits-missing"));
	ASSERT_RET(0, kbits_job_resume(j));
	lib_report_error(&g, KBITS_ERROR_CONTEXT_REMOTE_FILE, 404, KBITS_ERROR_HTTP,
			 "HTTP 404: not found");

	memset(&e, 0xa5, sizeof(e));
	ASSERT_RET(0, kbits_job_get_error(j, &e));
	EXPECT_EQ(KBITS_ERROR_CONTEXT_REMOTE_FILE, e.context);
	EXPECT_EQ(404, e.code);
	EXPECT_EQ(0, e.file_index);
	EXPECT_EQ(KBITS_ERROR_HTTP, e.flags);
	EXPECT_STREQ("HTTP 404: not found", e.text);
	free(e.text);

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_RET(0, v01(j, buf));
	memcpy(&old, buf, sizeof(old));
	EXPECT_EQ(KBITS_ERROR_CONTEXT_REMOTE_FILE, old.context);
	EXPECT_EQ(404, old.code);
	EXPECT_EQ(0, old.file_index);
	EXPECT_STREQ("HTTP 404: not found", old.text);
	free(old.text);
	for (i = sizeof(old); i < sizeof(buf); i++)
		if (buf[i] != 0xa5)
			break;
	EXPECT_EQ(sizeof(buf), i);	/* nothing written past the old struct */

	/* an errno: flags 0 */
	ASSERT_RET(0, kbits_job_resume(j));
	lib_report_error(&g, KBITS_ERROR_CONTEXT_TRANSPORT, ECONNREFUSED, 0,
			 "connection refused");
	memset(&e, 0xa5, sizeof(e));
	ASSERT_RET(0, kbits_job_get_error(j, &e));
	EXPECT_EQ(KBITS_ERROR_CONTEXT_TRANSPORT, e.context);
	EXPECT_EQ(ECONNREFUSED, e.code);
	EXPECT_EQ(0, e.flags);
	free(e.text);
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_RET(0, v01(j, buf));
	memcpy(&old, buf, sizeof(old));
	EXPECT_EQ(ECONNREFUSED, old.code);
	free(old.text);
	for (i = sizeof(old); i < sizeof(buf); i++)
		if (buf[i] != 0xa5)
			break;
	EXPECT_EQ(sizeof(buf), i);

	/* get_attrs counts them */
	{
		struct kbits_job_attrs a = { .size = sizeof(a) };

		ASSERT_RET(0, kbits_job_get_attrs(j, &a));
		EXPECT_EQ(2, a.error_count);
	}
	EXPECT_RET(0, kbits_job_cancel(j));
	kbits_job_unref(j);
	kbits_unref(m);
}

/*
 * kbits_job_get_attrs/set_attrs (LIBKBITS_0.5): one read of everything the
 * single getters read; a set of several fields, all or none; fields the
 * mask does not name are not read; no byte past @size.
 */
TEST(lib_job_attrs)
{
	unsigned char big[sizeof(struct kbits_job_attrs) + 32];
	struct kbits_job_attrs a, b, *pa;
	struct kbits_job *j = NULL;
	struct kbits_job_times t;
	struct kbits *m = NULL;
	struct kbits_guid g;
	bool dyn;
	size_t i;

	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "attrs", KBITS_JOB_TYPE_DOWNLOAD, &g, &j));

	/* a new job's, as the single getters give them */
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	ASSERT_RET(0, kbits_job_get_attrs(j, &a));
	EXPECT_EQ(KBITS_JOB_ATTRS_SIZE_VER0, a.size);
	EXPECT_EQ(KBITS_PRIORITY_NORMAL, a.priority);
	EXPECT_EQ(KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR, a.notify_flags);
	EXPECT_EQ(600, a.min_retry_delay);
	EXPECT_EQ(1209600, a.no_progress_timeout);
	EXPECT_EQ(7776000, a.max_download_time);
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0, a.error_count);
	EXPECT_EQ(0, a.transfer_time);
	ASSERT_RET(0, kbits_job_get_times(j, &t));
	EXPECT_EQ(t.creation_time, a.creation_time);
	EXPECT_EQ(t.modification_time, a.modification_time);
	EXPECT_EQ(0, a.transfer_completion_time);
	EXPECT_TRUE(a.creation_time > 0);

	/* several at once; the others stay */
	b = a;
	b.priority = KBITS_PRIORITY_LOW;
	b.min_retry_delay = 30;
	b.max_download_time = 100;
	b.notify_flags = 0x7777;	/* not named: not read */
	b.flags = 0xffff;		/* not named: not read (SET_ATTR would refuse it) */
	ASSERT_RET(0, kbits_job_set_attrs(j, KBITS_ATTR_PRIORITY | KBITS_ATTR_MIN_RETRY_DELAY |
				       KBITS_ATTR_MAX_DOWNLOAD_TIME, &b));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	ASSERT_RET(0, kbits_job_get_attrs(j, &b));
	EXPECT_EQ(KBITS_PRIORITY_LOW, b.priority);
	EXPECT_EQ(30, b.min_retry_delay);
	EXPECT_EQ(100, b.max_download_time);
	EXPECT_EQ(a.notify_flags, b.notify_flags);
	EXPECT_EQ(a.no_progress_timeout, b.no_progress_timeout);
	EXPECT_EQ(0, b.flags);

	/* all or none: a bad retry delay leaves the priority too */
	b.priority = KBITS_PRIORITY_HIGH;
	b.min_retry_delay = 4;
	EXPECT_RET(-EINVAL, kbits_job_set_attrs(j, KBITS_ATTR_PRIORITY |
						KBITS_ATTR_MIN_RETRY_DELAY, &b));
	b.priority = KBITS_PRIORITY_HIGH;
	b.min_retry_delay = 60;
	EXPECT_RET(-EINVAL, kbits_job_set_attrs(j, KBITS_ATTR_PRIORITY | (1U << 6), &b));
	EXPECT_RET(-EINVAL, kbits_job_set_attrs(j, KBITS_ATTR_PRIORITY | (1U << 31), &b));
	b.size = KBITS_JOB_ATTRS_SIZE_VER0 - 1;
	EXPECT_RET(-EINVAL, kbits_job_set_attrs(j, KBITS_ATTR_PRIORITY, &b));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	ASSERT_RET(0, kbits_job_get_attrs(j, &b));
	EXPECT_EQ(KBITS_PRIORITY_LOW, b.priority);
	EXPECT_EQ(30, b.min_retry_delay);

	/* the job flags and the notify flags */
	b.flags = KBITS_JOB_DYNAMIC_CONTENT;
	b.notify_flags = KBITS_NOTIFY_ALL;
	b.no_progress_timeout = 0;
	ASSERT_RET(0, kbits_job_set_attrs(j, KBITS_ATTR_FLAGS | KBITS_ATTR_NOTIFY_FLAGS |
				       KBITS_ATTR_NO_PROGRESS_TIMEOUT, &b));
	ASSERT_RET(0, kbits_job_get_dynamic_content(j, &dyn));
	EXPECT_TRUE(dyn);
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	ASSERT_RET(0, kbits_job_get_attrs(j, &b));
	EXPECT_EQ(KBITS_JOB_DYNAMIC_CONTENT, b.flags);
	EXPECT_EQ(KBITS_NOTIFY_ALL, b.notify_flags);
	EXPECT_EQ(0, b.no_progress_timeout);
	EXPECT_TRUE(b.modification_time >= a.modification_time);
	/* mask 0 changes nothing */
	EXPECT_RET(0, kbits_job_set_attrs(j, 0, &b));

	/* a bigger struct (a newer program's): no byte past this version's */
	memset(big, 0xa5, sizeof(big));
	pa = (struct kbits_job_attrs *)big;
	pa->size = sizeof(big);
	ASSERT_RET(0, kbits_job_get_attrs(j, pa));
	EXPECT_EQ(KBITS_JOB_ATTRS_SIZE_VER0, pa->size);
	EXPECT_EQ(KBITS_PRIORITY_LOW, pa->priority);
	for (i = sizeof(*pa); i < sizeof(big); i++)
		if (big[i] != 0xa5)
			break;
	EXPECT_EQ(sizeof(big), i);
	/* a smaller one: nothing */
	memset(&b, 0x5a, sizeof(b));
	b.size = KBITS_JOB_ATTRS_SIZE_VER0 - 8;
	EXPECT_RET(-EINVAL, kbits_job_get_attrs(j, &b));
	EXPECT_EQ(0x5a5a5a5a, b.notify_flags);

	/* a final job's settings do not change */
	EXPECT_RET(0, kbits_job_cancel(j));
	b.size = sizeof(b);
	b.priority = KBITS_PRIORITY_HIGH;
	EXPECT_RET(-EBADFD, kbits_job_set_attrs(j, KBITS_ATTR_PRIORITY, &b));
	kbits_job_unref(j);
	kbits_unref(m);
}

/*
 * kbits_job_add_file_sha256 and kbits_job_get_file_attrs (LIBKBITS_0.6):
 * a file with an expected digest and files without, each with the mode
 * 0666 & ~ the umask of the process that added it; the checks
 * kbits_job_add_file makes; the struct's size handled as struct
 * kbits_job_attrs's (no byte past it, -EINVAL below version 0).
 */
TEST(lib_file_sha256_mode)
{
	static const uint8_t zero[KBITS_SHA256_SIZE];
	unsigned char big[sizeof(struct kbits_file_attrs) + 32];
	struct kbits_file_attrs a, *pa;
	uint8_t d[KBITS_SHA256_SIZE];
	struct kbits_file *files = NULL;
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	mode_t old;
	size_t i, n = 0;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(0xa0 + i);
	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "sha256 and modes", KBITS_JOB_TYPE_DOWNLOAD, NULL, &j));

	old = umask(027);
	EXPECT_RET(0, kbits_job_add_file_sha256(j, "https://example.org/a", "/tmp/kbits-lib-a", d));
	umask(077);
	EXPECT_RET(0, kbits_job_add_file(j, "https://example.org/b", "/tmp/kbits-lib-b"));
	umask(0);
	EXPECT_RET(0, kbits_job_add_file(j, "file:///etc/hostname", "/tmp/kbits-lib-c"));
	umask(old);

	/* with a digest, umask 027: 0640 */
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	ASSERT_RET(0, kbits_job_get_file_attrs(j, 0, &a));
	EXPECT_EQ(KBITS_FILE_ATTRS_SIZE_VER0, a.size);
	EXPECT_EQ(KBITS_FILE_SHA256, a.flags);
	EXPECT_EQ(0640, a.mode);
	EXPECT_MEMEQ(d, a.sha256, sizeof(d));
	/* without one, umask 077: 0600, the flag clear, the digest zero */
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	ASSERT_RET(0, kbits_job_get_file_attrs(j, 1, &a));
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0600, a.mode);
	EXPECT_MEMEQ(zero, a.sha256, sizeof(zero));
	/* umask 0: 0666 */
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	ASSERT_RET(0, kbits_job_get_file_attrs(j, 2, &a));
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0666, a.mode);
	/* past the last file */
	memset(&a, 0x5a, sizeof(a));
	a.size = sizeof(a);
	EXPECT_RET(-ENXIO, kbits_job_get_file_attrs(j, 3, &a));
	EXPECT_RET(-ENXIO, kbits_job_get_file_attrs(j, UINT32_MAX, &a));
	EXPECT_EQ(0x5a5a5a5a, a.mode);

	/* the names as kbits_job_get_files() reads them, unchanged */
	ASSERT_RET(0, kbits_job_get_files(j, &files, &n));
	ASSERT_EQ(3, n);
	EXPECT_STREQ("https://example.org/a", files[0].remote_name);
	EXPECT_STREQ("/tmp/kbits-lib-a", files[0].local_name);
	EXPECT_EQ(KBITS_SIZE_UNKNOWN, files[0].bytes_total);
	EXPECT_EQ(0, files[0].completed);
	kbits_files_free(files, n);

	/* kbits_job_add_file's checks, kbits_check_local_name()'s too; none added */
	EXPECT_RET(-EINVAL, kbits_job_add_file_sha256(j, "https://example.org/x", "/tmp/x", NULL));
	EXPECT_RET(-EINVAL, kbits_job_add_file_sha256(j, "ftp://example.org/x", "/tmp/x", d));
	EXPECT_RET(-EINVAL, kbits_job_add_file_sha256(j, "https://example.org/x", "rel/x", d));
	EXPECT_RET(-ENOENT, kbits_job_add_file_sha256(j, "https://example.org/x",
						      "/nonexistent-kbits-dir/x", d));
	EXPECT_RET(-EISDIR, kbits_job_add_file_sha256(j, "https://example.org/x", "/tmp", d));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	EXPECT_RET(-ENXIO, kbits_job_get_file_attrs(j, 3, &a));

	/* a bigger struct (a newer program's): no byte past this version's */
	memset(big, 0xa5, sizeof(big));
	pa = (struct kbits_file_attrs *)big;
	pa->size = sizeof(big);
	ASSERT_RET(0, kbits_job_get_file_attrs(j, 0, pa));
	EXPECT_EQ(KBITS_FILE_ATTRS_SIZE_VER0, pa->size);
	EXPECT_EQ(0640, pa->mode);
	EXPECT_MEMEQ(d, pa->sha256, sizeof(d));
	for (i = sizeof(*pa); i < sizeof(big); i++)
		if (big[i] != 0xa5)
			break;
	EXPECT_EQ(sizeof(big), i);
	/* a smaller one: -EINVAL, nothing written */
	memset(&a, 0x5a, sizeof(a));
	a.size = KBITS_FILE_ATTRS_SIZE_VER0 - 1;
	EXPECT_RET(-EINVAL, kbits_job_get_file_attrs(j, 0, &a));
	EXPECT_EQ(0x5a5a5a5a, a.mode);
	EXPECT_EQ(0x5a, a.sha256[0]);
	a.size = 0;
	EXPECT_RET(-EINVAL, kbits_job_get_file_attrs(j, 0, &a));

	/* a final job's files are still told; none is added */
	EXPECT_RET(0, kbits_job_cancel(j));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	EXPECT_RET(0, kbits_job_get_file_attrs(j, 0, &a));
	EXPECT_EQ(0640, a.mode);
	EXPECT_RET(-EBADFD, kbits_job_add_file_sha256(j, "https://example.org/x",
						      "/tmp/kbits-lib-x", d));
	kbits_job_unref(j);
	kbits_unref(m);
}

/* @got, NULL-ended, has @n strings, those of @want. */
static bool strv_eq(char **got, const char *const *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!got[i] || strcmp(got[i], want[i]))
			return false;
	return got[n] == NULL;
}

/*
 * The notify command (LIBKBITS_0.6) against the module: argv round trips
 * (empty and UTF-8 arguments, 4096 bytes in all), -ENODATA, the module's
 * refusals leaving the command as it was, removal, -EPERM for an fd holder
 * who may not get the job, and TAKE_OWNERSHIP removing it.
 */
TEST(lib_notify_cmd)
{
	static const char *const one[] = { "/usr/local/bin/notify", NULL };
	static const char *const several[] = {
		"/usr/bin/logger", "", "-t", "kbits j\u00f6b \u2713", "", "a b\nc", "$HOME", NULL
	};
	static const char *const empty[] = { NULL };
	static const char *const relative[] = { "bin/notify", "x", NULL };
	static const char *const empty_program[] = { "", NULL };
	static const char *const not_utf8[] = { "/bin/x", "\xff", NULL };
	static char big[KBITS_NOTIFY_CMD_MAX];
	const char *longest[] = { "/bin/x", big, NULL };
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	char **argv = NULL;
	pid_t pid;

	ASSERT_RET(0, kbits_new(&m, 0));
	ASSERT_RET(0, kbits_create_job(m, "lib notify cmd", KBITS_JOB_TYPE_DOWNLOAD, NULL, &j));

	/* none yet; removing none is fine */
	EXPECT_RET(-ENODATA, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(argv == NULL);
	EXPECT_RET(0, kbits_job_set_notify_cmd(j, NULL));
	EXPECT_RET(-ENODATA, kbits_job_get_notify_cmd(j, &argv));

	/* round trips */
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, one));
	ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(strv_eq(argv, one, 1));
	kbits_strv_free(argv);
	argv = NULL;
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, several));
	ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(strv_eq(argv, several, ARRAY_SIZE(several) - 1));
	kbits_strv_free(argv);
	argv = NULL;

	/* the module's refusals leave it */
	EXPECT_RET(-EINVAL, kbits_job_set_notify_cmd(j, relative));
	EXPECT_RET(-EINVAL, kbits_job_set_notify_cmd(j, empty_program));
	EXPECT_RET(-EINVAL, kbits_job_set_notify_cmd(j, not_utf8));
	/* "/bin/x" and its NUL, then 4089 bytes and a NUL: 4097 */
	memset(big, 'a', KBITS_NOTIFY_CMD_MAX - 8 + 1);
	big[KBITS_NOTIFY_CMD_MAX - 8 + 1] = '\0';
	EXPECT_RET(-ENAMETOOLONG, kbits_job_set_notify_cmd(j, longest));
	ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(strv_eq(argv, several, ARRAY_SIZE(several) - 1));
	kbits_strv_free(argv);
	argv = NULL;
	/* 4096 bytes exactly */
	big[KBITS_NOTIFY_CMD_MAX - 8] = '\0';
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, longest));
	ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(strv_eq(argv, longest, 2));
	EXPECT_EQ(KBITS_NOTIFY_CMD_MAX - 8, strlen(argv[1]));
	kbits_strv_free(argv);
	argv = NULL;

	/* an fd holder who may not get the job reads it but may not set it */
	pid = th_fork();
	if (pid == 0) {
		struct kbits_job *cj = NULL;
		char **cargv = NULL;
		int fd = dup(kbits_job_fd(j));

		ASSERT_SYSOK(fd);
		become(2050);
		ASSERT_RET(0, kbits_job_from_fd(fd, &cj));
		EXPECT_RET(-EPERM, kbits_job_set_notify_cmd(cj, one));
		EXPECT_RET(-EPERM, kbits_job_set_notify_cmd(cj, NULL));
		EXPECT_RET(0, kbits_job_get_notify_cmd(cj, &cargv));
		EXPECT_TRUE(cargv && strv_eq(cargv, longest, 2));
		kbits_strv_free(cargv);
		kbits_job_unref(cj);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(strv_eq(argv, longest, 2));
	kbits_strv_free(argv);
	argv = NULL;

	/* an empty argv removes it, as NULL does */
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, empty));
	EXPECT_RET(-ENODATA, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(argv == NULL);
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, one));
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, NULL));
	EXPECT_RET(-ENODATA, kbits_job_get_notify_cmd(j, &argv));

	/* final: EBADFD for set, get still reads */
	ASSERT_RET(0, kbits_job_set_notify_cmd(j, one));
	ASSERT_RET(0, kbits_job_cancel(j));
	EXPECT_RET(-EBADFD, kbits_job_set_notify_cmd(j, several));
	ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
	EXPECT_TRUE(strv_eq(argv, one, 1));
	kbits_strv_free(argv);
	argv = NULL;
	kbits_job_unref(j);
	j = NULL;

	/* a user's job with a command: root's takeover removes it */
	{
		struct kbits_guid *g = shared_alloc(sizeof(*g));

		pid = th_fork();
		if (pid == 0) {
			struct kbits_job *uj = NULL;
			struct kbits *um = NULL;

			become(2051);
			ASSERT_RET(0, kbits_new(&um, 0));
			ASSERT_RET(0, kbits_create_job(um, "lib notify cmd 2051",
						       KBITS_JOB_TYPE_DOWNLOAD, NULL, &uj));
			ASSERT_RET(0, kbits_job_get_id(uj, g));
			log_job(g->bytes);
			ASSERT_RET(0, kbits_job_set_notify_cmd(uj, several));
			kbits_job_unref(uj);
			kbits_unref(um);
			_exit(0);
		}
		ASSERT_CHILD_OK(pid);
		ASSERT_RET(0, kbits_get_job(m, g, &j));
		ASSERT_RET(0, kbits_job_get_notify_cmd(j, &argv));
		EXPECT_TRUE(strv_eq(argv, several, ARRAY_SIZE(several) - 1));
		kbits_strv_free(argv);
		argv = NULL;
		ASSERT_RET(0, kbits_job_take_ownership(j));
		EXPECT_RET(-ENODATA, kbits_job_get_notify_cmd(j, &argv));
		EXPECT_TRUE(argv == NULL);
		/* the new owner may set one again */
		ASSERT_RET(0, kbits_job_set_notify_cmd(j, one));
		ASSERT_RET(0, kbits_job_cancel(j));
		kbits_job_unref(j);
	}
	kbits_unref(m);
}

/* --------------------------------------------------------------- cleanup */

NO_JOBS_LEFT_BEHIND(true)

int main(int argc, char **argv)
{
	return kbits_selftest_main(argc, argv);
}
