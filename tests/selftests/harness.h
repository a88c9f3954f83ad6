/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP 13 test harness in the style of the kernel's kselftest
 * harness (written anew for kbits; it shares no code with it).
 *
 *	TEST(name) { ASSERT_EQ(1, 1); }
 *	TEST_TIMEOUT(slow, 120) { ... }
 *	TEST_HARNESS_MAIN
 *
 * Tests run in the order they are defined, each in a forked child of its
 * own, in a process group of its own, with a timeout.  The result lives in
 * shared memory, so an EXPECT or ASSERT that fails in a process the test
 * forked fails the test too.  ASSERT_* ends the calling process (_exit(1));
 * EXPECT_* records the failure and goes on.  SKIP(stmt, fmt, ...) marks the
 * test skipped and runs stmt (usually "return").
 *
 * KBITS_TIMEOUT_SCALE=N (1 to 10) multiplies every timeout: the debug
 * lane's kernel (KASAN, lockdep, kmemleak) runs everything slower.
 *
 * Arguments: test names to run (default: all); -l lists the tests.
 * Exit status: 0 when nothing failed, 1 otherwise.
 */
#ifndef KBITS_SELFTEST_HARNESS_H
#define KBITS_SELFTEST_HARNESS_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_TIMEOUT_DEFAULT 60	/* seconds */

struct th_test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;
	int line;
	struct th_test *next;
};

/* Shared between the runner, the test and every process the test forks. */
struct th_result {
	int failed;
	int skipped;
	char reason[256];
};

static struct th_test *th_tests;
static struct th_result *th_result;
/* Runs in the runner after each test, e.g. to restore global state. */
static void (*th_after_each)(void);

static void th_register(struct th_test *t)
{
	struct th_test **p = &th_tests;

	/* Sort by line: constructor order is not something to rely on. */
	while (*p && (*p)->line < t->line)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

/* One write(2) per line, so lines of concurrent processes do not mix. */
__attribute__((format(printf, 1, 2)))
static void th_print(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		n -= w;
	}
}

/* A diagnostic line of the running test. */
#define TH_LOG(fmt, ...) th_print("# " fmt "\n", ##__VA_ARGS__)

static const char *th_errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "unknown errno";
}

static void th_vfail(const char *file, int line, const char *fmt, va_list ap)
{
	char msg[900];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	th_print("# %s:%d: %s\n", file, line, msg);
	if (th_result)
		__atomic_store_n(&th_result->failed, 1, __ATOMIC_SEQ_CST);
}

/* Records a failure; with @fatal also ends the calling process. */
__attribute__((format(printf, 4, 5)))
static void th_fail(const char *file, int line, bool fatal, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	th_vfail(file, line, fmt, ap);
	va_end(ap);
	if (fatal)
		_exit(1);
}

__attribute__((format(printf, 3, 4), noreturn))
static void th_fail_fatal(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	th_vfail(file, line, fmt, ap);
	va_end(ap);
	_exit(1);
}

/* @fatal is a constant in every use, so the compiler sees ASSERT_* end. */
#define TH_REPORT(fatal, ...) do {					\
	if (fatal)							\
		th_fail_fatal(__FILE__, __LINE__, __VA_ARGS__);		\
	else								\
		th_fail(__FILE__, __LINE__, false, __VA_ARGS__);	\
} while (0)

#define TEST_TIMEOUT(test_name, secs)					\
	static void test_name(void);					\
	static struct th_test th_test_##test_name = {			\
		.name = #test_name, .fn = test_name,			\
		.timeout = (secs), .line = __LINE__,			\
	};								\
	__attribute__((constructor))					\
	static void th_register_##test_name(void)			\
	{								\
		th_register(&th_test_##test_name);			\
	}								\
	static void test_name(void)

#define TEST(test_name) TEST_TIMEOUT(test_name, TEST_TIMEOUT_DEFAULT)

#define SKIP(statement, fmt, ...) do {					\
	if (th_result) {						\
		th_result->skipped = 1;					\
		snprintf(th_result->reason, sizeof(th_result->reason),	\
			 fmt, ##__VA_ARGS__);				\
	}								\
	statement;							\
} while (0)

/* Compares as long long: enough for fds, errnos, u32 fields and pointers. */
#define TH_CMP(fatal, expected, op, seen, es, ss) do {			\
	long long th_e_ = (long long)(expected);			\
	long long th_s_ = (long long)(seen);				\
	if (!(th_e_ op th_s_))						\
		TH_REPORT(fatal,					\
			"Expected %s (%lld) %s %s (%lld)",		\
			es, th_e_, #op, ss, th_s_);			\
} while (0)

#define ASSERT_EQ(e, s) TH_CMP(true, e, ==, s, #e, #s)
#define ASSERT_NE(e, s) TH_CMP(true, e, !=, s, #e, #s)
#define ASSERT_LT(e, s) TH_CMP(true, e, <, s, #e, #s)
#define ASSERT_LE(e, s) TH_CMP(true, e, <=, s, #e, #s)
#define ASSERT_GT(e, s) TH_CMP(true, e, >, s, #e, #s)
#define ASSERT_GE(e, s) TH_CMP(true, e, >=, s, #e, #s)
#define EXPECT_EQ(e, s) TH_CMP(false, e, ==, s, #e, #s)
#define EXPECT_NE(e, s) TH_CMP(false, e, !=, s, #e, #s)
#define EXPECT_LT(e, s) TH_CMP(false, e, <, s, #e, #s)
#define EXPECT_LE(e, s) TH_CMP(false, e, <=, s, #e, #s)
#define EXPECT_GT(e, s) TH_CMP(false, e, >, s, #e, #s)
#define EXPECT_GE(e, s) TH_CMP(false, e, >=, s, #e, #s)

#define TH_TRUE(fatal, cond, want, cs) do {				\
	if (!(cond) != !(want))						\
		TH_REPORT(fatal, "Expected %s to be %s",		\
			cs, (want) ? "true" : "false");			\
} while (0)
#define ASSERT_TRUE(c) TH_TRUE(true, c, 1, #c)
#define ASSERT_FALSE(c) TH_TRUE(true, c, 0, #c)
#define EXPECT_TRUE(c) TH_TRUE(false, c, 1, #c)
#define EXPECT_FALSE(c) TH_TRUE(false, c, 0, #c)

#define TH_STREQ(fatal, e, s, es, ss) do {				\
	const char *th_e_ = (e), *th_s_ = (s);				\
	if (!th_e_ || !th_s_ || strcmp(th_e_, th_s_))			\
		TH_REPORT(fatal,					\
			"Expected %s \"%s\" == %s \"%s\"", es,		\
			th_e_ ? th_e_ : "(null)", ss,			\
			th_s_ ? th_s_ : "(null)");			\
} while (0)
#define ASSERT_STREQ(e, s) TH_STREQ(true, e, s, #e, #s)
#define EXPECT_STREQ(e, s) TH_STREQ(false, e, s, #e, #s)

#define TH_MEMEQ(fatal, e, s, n, es, ss) do {				\
	if (memcmp((e), (s), (n)))					\
		TH_REPORT(fatal,					\
			"Expected the %zu bytes at %s and %s to be equal", \
			(size_t)(n), es, ss);				\
} while (0)
#define ASSERT_MEMEQ(e, s, n) TH_MEMEQ(true, e, s, n, #e, #s)
#define EXPECT_MEMEQ(e, s, n) TH_MEMEQ(false, e, s, n, #e, #s)

/*
 * A system call that must succeed (>= 0): on failure shows errno, as it is
 * after @expr, which may also be a return value saved before.
 */
#define TH_SYSOK(fatal, expr, xs) do {					\
	long long th_r_ = (long long)(expr);				\
	int th_err_ = errno;						\
	if (th_r_ < 0)							\
		TH_REPORT(fatal,					\
			"%s failed: %lld, errno %s (%s)", xs, th_r_,	\
			th_errname(th_err_), strerror(th_err_));	\
} while (0)
#define ASSERT_SYSOK(expr) TH_SYSOK(true, expr, #expr)
#define EXPECT_SYSOK(expr) TH_SYSOK(false, expr, #expr)

/* A system call that must fail with -1 and errno @err. */
#define TH_ERRNO(fatal, err, expr, xs) do {				\
	long long th_r_ = (long long)(expr);				\
	int th_err_ = errno;						\
	if (th_r_ != -1 || th_err_ != (err))				\
		TH_REPORT(fatal,					\
			"%s: expected -1 and errno %s, got %lld%s%s",	\
			xs, th_errname(err), th_r_,			\
			th_r_ == -1 ? " and errno " : "",		\
			th_r_ == -1 ? th_errname(th_err_) : "");	\
} while (0)
#define ASSERT_ERRNO(err, expr) TH_ERRNO(true, err, expr, #expr)
#define EXPECT_ERRNO(err, expr) TH_ERRNO(false, err, expr, #expr)

/* A library call that returns 0 or a negative errno. */
#define TH_RET(fatal, want, expr, xs) do {				\
	long long th_r_ = (long long)(expr);				\
	long long th_w_ = (long long)(want);				\
	if (th_r_ != th_w_)						\
		TH_REPORT(fatal,					\
			"%s: expected %lld (%s), got %lld (%s)", xs,	\
			th_w_, th_w_ < 0 ? th_errname(-th_w_) : "ok",	\
			th_r_, th_r_ < 0 ? th_errname(-th_r_) : "ok");	\
} while (0)
#define ASSERT_RET(want, expr) TH_RET(true, want, expr, #expr)
#define EXPECT_RET(want, expr) TH_RET(false, want, expr, #expr)

/* Waits for a child the test forked; it must have exited with status 0. */
#define TH_CHILD_OK(fatal, pid) do {					\
	pid_t th_p_ = (pid);						\
	int th_st_ = 0;							\
	pid_t th_w_;							\
	do								\
		th_w_ = waitpid(th_p_, &th_st_, 0);			\
	while (th_w_ < 0 && errno == EINTR);				\
	if (th_w_ != th_p_)						\
		TH_REPORT(fatal,					\
			"waitpid(%d): %s", (int)th_p_,			\
			th_errname(errno));				\
	else if (WIFSIGNALED(th_st_))					\
		TH_REPORT(fatal,					\
			"child %d killed by signal %d (%s)", (int)th_p_, \
			WTERMSIG(th_st_), strsignal(WTERMSIG(th_st_)));	\
	else if (WEXITSTATUS(th_st_))					\
		TH_REPORT(fatal,					\
			"child %d exited with status %d", (int)th_p_,	\
			WEXITSTATUS(th_st_));				\
} while (0)
#define ASSERT_CHILD_OK(pid) TH_CHILD_OK(true, pid)
#define EXPECT_CHILD_OK(pid) TH_CHILD_OK(false, pid)

/* fork() for tests: a forked test process must end with _exit(). */
static pid_t th_fork(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		th_fail_fatal(__FILE__, __LINE__, "fork: %s", th_errname(errno));
	return pid;
}

static volatile sig_atomic_t th_timed_out;

/* @t's timeout, times KBITS_TIMEOUT_SCALE when that is 1 to 10. */
static unsigned int th_timeout(const struct th_test *t)
{
	const char *s = getenv("KBITS_TIMEOUT_SCALE");
	unsigned long k = s ? strtoul(s, NULL, 10) : 1;

	return t->timeout * (unsigned int)(k >= 1 && k <= 10 ? k : 1);
}

static void th_on_alarm(int sig)
{
	(void)sig;
	th_timed_out = 1;
}

static bool th_selected(const struct th_test *t, int argc, char **argv)
{
	int i;

	if (argc <= 1)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], t->name))
			return true;
	return false;
}

/* Runs one test; returns 0 pass, 1 fail, 2 skip. */
static int th_run_one(const struct th_test *t)
{
	int status = 0, ret;
	pid_t pid, w;

	memset(th_result, 0, sizeof(*th_result));
	th_timed_out = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		TH_LOG("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGALRM, SIG_DFL);
		t->fn();
		_exit(th_result->failed ? 1 : 0);
	}
	setpgid(pid, pid);
	alarm(th_timeout(t));
	for (;;) {
		w = waitpid(pid, &status, 0);
		if (w == pid)
			break;
		if (w < 0 && errno == EINTR) {
			if (th_timed_out)
				kill(-pid, SIGKILL);
			continue;
		}
		TH_LOG("waitpid: %s", strerror(errno));
		break;
	}
	alarm(0);
	/* Whatever the test left behind in its process group goes too. */
	kill(-pid, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	if (th_timed_out) {
		TH_LOG("%s: timed out after %u s", t->name, th_timeout(t));
		ret = 1;
	} else if (WIFSIGNALED(status)) {
		TH_LOG("%s: killed by signal %d (%s)", t->name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		ret = 1;
	} else if (WEXITSTATUS(status) || th_result->failed) {
		ret = 1;
	} else if (th_result->skipped) {
		ret = 2;
	} else {
		ret = 0;
	}
	return ret;
}

static int test_harness_run(int argc, char **argv)
{
	int n = 0, i = 0, passed = 0, failed = 0, skipped = 0;
	struct sigaction sa;
	struct th_test *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (t = th_tests; t; t = t->next)
			printf("%s\n", t->name);
		return 0;
	}
	for (t = th_tests; t; t = t->next)
		n += th_selected(t, argc, argv);

	th_result = mmap(NULL, sizeof(*th_result), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (th_result == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = th_on_alarm;	/* no SA_RESTART: interrupts waitpid */
	sigaction(SIGALRM, &sa, NULL);
	/* Orphans of a test come back to us, to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	th_print("TAP version 13\n1..%d\n", n);
	for (t = th_tests; t; t = t->next) {
		if (!th_selected(t, argc, argv))
			continue;
		i++;
		th_print("# RUN %s\n", t->name);
		switch (th_run_one(t)) {
		case 0:
			passed++;
			th_print("ok %d %s\n", i, t->name);
			break;
		case 2:
			skipped++;
			th_print("ok %d %s # SKIP %s\n", i, t->name,
				 th_result->reason);
			break;
		default:
			failed++;
			th_print("not ok %d %s\n", i, t->name);
			break;
		}
		if (th_after_each)
			th_after_each();
	}
	th_print("# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

#define TEST_HARNESS_MAIN						\
	int main(int argc, char **argv)					\
	{								\
		return test_harness_run(argc, argv);			\
	}

#endif /* KBITS_SELFTEST_HARNESS_H */
