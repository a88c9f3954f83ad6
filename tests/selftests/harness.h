/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small KTAP test harness with the names of the kernel's kselftest
 * harness (tools/testing/selftests/kselftest_harness.h), so that a test
 * reads the same here and in a kernel tree.  Written anew for kbits: it
 * shares no code with the kernel's header.
 *
 *	TEST(name) { ASSERT_EQ(1, 1); }
 *	TEST_TIMEOUT(slow, 120) { ... }
 *
 *	FIXTURE(dev) { int fd; };
 *	FIXTURE_SETUP(dev) { self->fd = open("/dev/kbits", O_RDWR); ASSERT_SYSOK(self->fd); }
 *	FIXTURE_TEARDOWN(dev) { close(self->fd); }
 *	TEST_F(dev, reads) { ... self->fd ... }
 *
 *	TEST_HARNESS_MAIN
 *
 * Tests run in the order they are defined, each in a forked child of its
 * own, in a process group of its own, with a timeout.  The result lives in
 * shared memory, so an EXPECT or ASSERT that fails in a process the test
 * forked fails the test too.  ASSERT_* ends the calling process (_exit(1)),
 * or, in a TEST_F's own thread, the test or setup it is in, after which
 * the teardown runs (the kernel's harness does the same with longjmp);
 * EXPECT_* records the failure and goes on.  SKIP(stmt, fmt, ...) marks
 * the test skipped and runs stmt (usually "return"); XFAIL(stmt, fmt, ...)
 * marks it as a failure that is expected (known, reported, not counted as
 * failed), likewise.
 *
 * A FIXTURE's data is zeroed, FIXTURE_SETUP fills it, the TEST_F runs
 * unless the setup failed or skipped, and FIXTURE_TEARDOWN runs whenever
 * the setup returned (not when it ASSERTed), all in the test's process.
 * _metadata->name is the test's name in all three.  There are no fixture
 * variants.
 *
 * Output is KTAP version 1 (the kernel's Documentation/dev-tools/ktap.rst):
 * a plan, "ok N name", "not ok N name", "ok N name # SKIP reason",
 * "ok N name # XFAIL reason", "not ok N name # TIMEOUT S seconds", and "#"
 * diagnostics.  A fixture's tests are subtests of a test named after the
 * fixture, at the place of its first TEST_F, indented by two spaces:
 *
 *	KTAP version 1
 *	1..2
 *	# RUN plain
 *	ok 1 plain
 *	  KTAP version 1
 *	  1..2
 *	  # RUN dev.reads
 *	  ok 1 reads
 *	  # RUN dev.writes
 *	  ok 2 writes # SKIP no disk
 *	ok 2 dev
 *	# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:1 error:0
 *
 * A parent fails when one of its subtests failed and is skipped when all
 * were.  Count the leaves (tests/selftests/ktap-count does).
 *
 * A test that takes 10 s or more is followed by "# NAME took N.N s".
 *
 * KBITS_TIMEOUT_SCALE=N (1 to 10) multiplies every timeout: the debug
 * lane's kernel (KASAN, lockdep, kmemleak) runs everything slower.
 *
 * Arguments: tests to run, each a TEST's name, a fixture's name (all its
 * tests) or FIXTURE.TEST (default: all); "-x NAME" leaves out what NAME
 * names (the debug lane leaves out what the stock lane runs once); -l
 * lists the tests.
 * Exit status: 0 when nothing failed, 1 otherwise.
 */
#ifndef KBITS_SELFTEST_HARNESS_H
#define KBITS_SELFTEST_HARNESS_H

#include <errno.h>
#include <setjmp.h>
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
#include <time.h>
#include <unistd.h>

#define TEST_TIMEOUT_DEFAULT 60	/* seconds */

struct th_fixture {
	const char *name;
};

struct th_test {
	const char *name;
	const struct th_fixture *fixture;	/* NULL: a plain TEST */
	void (*fn)(struct th_test *_metadata);
	unsigned int timeout;
	int line;
	struct th_test *next;
};

/* Shared between the runner, the test and every process the test forks. */
struct th_result {
	int failed;
	int skipped;
	int xfail;
	char reason[256];
};

static struct th_test *th_tests;
static struct th_result *th_result;
/* Runs in the runner after each test, e.g. to restore global state. */
static void (*th_after_each)(void);
/* Spaces before every line the test prints: 2 in a fixture's subtests. */
static int th_indent;
/* In a TEST_F's own thread: where an ASSERT goes (see th_abort()). */
static pid_t th_test_tid;
static jmp_buf th_jmp;
static volatile sig_atomic_t th_jmp_armed;
static volatile sig_atomic_t th_setup_returned;

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
#define TH_LOG(fmt, ...) th_print("%*s# " fmt "\n", th_indent, "", ##__VA_ARGS__)

static const char *th_errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "unknown errno";
}

static void th_vfail(const char *file, int line, const char *fmt, va_list ap)
{
	char msg[900];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	th_print("%*s# %s:%d: %s\n", th_indent, "", file, line, msg);
	if (th_result)
		__atomic_store_n(&th_result->failed, 1, __ATOMIC_SEQ_CST);
}

/*
 * Ends what failed: in a TEST_F's own thread the setup, test or teardown
 * (back to its wrapper, which goes on with the teardown), anywhere else
 * (a process or a thread the test started) the process.
 */
__attribute__((noreturn))
static void th_abort(void)
{
	if (th_jmp_armed && th_test_tid == gettid()) {
		th_jmp_armed = 0;
		longjmp(th_jmp, 1);
	}
	_exit(1);
}

/* Records a failure; with @fatal also ends what failed (th_abort()). */
__attribute__((format(printf, 4, 5)))
static void th_fail(const char *file, int line, bool fatal, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	th_vfail(file, line, fmt, ap);
	va_end(ap);
	if (fatal)
		th_abort();
}

__attribute__((format(printf, 3, 4), noreturn))
static void th_fail_fatal(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	th_vfail(file, line, fmt, ap);
	va_end(ap);
	th_abort();
}

/* @fatal is a constant in every use, so the compiler sees ASSERT_* end. */
#define TH_REPORT(fatal, ...) do {					\
	if (fatal)							\
		th_fail_fatal(__FILE__, __LINE__, __VA_ARGS__);		\
	else								\
		th_fail(__FILE__, __LINE__, false, __VA_ARGS__);	\
} while (0)

#define TH_REGISTER(id, test_name, fix, wrapper, secs)			\
	static struct th_test th_test_##id = {				\
		.name = #test_name, .fixture = (fix), .fn = (wrapper),	\
		.timeout = (secs), .line = __LINE__,			\
	};								\
	__attribute__((constructor))					\
	static void th_register_##id(void)				\
	{								\
		th_register(&th_test_##id);				\
	}

/*
 * A TEST's function is th_fn_<name>, not <name>: a test may then have the
 * name of a helper (kbits_hostile_test's get_file, and kbits_helpers.h's).
 */
#define TEST_TIMEOUT(test_name, secs)					\
	static void th_fn_##test_name(struct th_test *_metadata);	\
	TH_REGISTER(test_name, test_name, NULL, th_fn_##test_name, secs) \
	static void th_fn_##test_name(struct th_test __attribute__((unused)) *_metadata)

#define TEST(test_name) TEST_TIMEOUT(test_name, TEST_TIMEOUT_DEFAULT)

/* FIXTURE(name) { members; };  The members are *self in what follows. */
#define FIXTURE_DATA(fixture_name) struct th_fixture_data_##fixture_name
#define FIXTURE(fixture_name)						\
	static const struct th_fixture th_fixture_##fixture_name = {	\
		.name = #fixture_name,					\
	};								\
	FIXTURE_DATA(fixture_name)

#define FIXTURE_SETUP(fixture_name)					\
	static void fixture_name##_setup(				\
		struct th_test __attribute__((unused)) *_metadata,	\
		FIXTURE_DATA(fixture_name) __attribute__((unused)) *self)

#define FIXTURE_TEARDOWN(fixture_name)					\
	static void fixture_name##_teardown(				\
		struct th_test __attribute__((unused)) *_metadata,	\
		FIXTURE_DATA(fixture_name) __attribute__((unused)) *self)

/*
 * The wrapper runs in the test's process.  self is static (each test has a
 * process of its own), so a longjmp leaves it as the test left it.
 */
#define TEST_F_TIMEOUT(fixture_name, test_name, secs)			\
	static void fixture_name##_##test_name(				\
		struct th_test *_metadata,				\
		FIXTURE_DATA(fixture_name) *self);			\
	static void th_wrap_##fixture_name##_##test_name(		\
		struct th_test *_metadata)				\
	{								\
		static FIXTURE_DATA(fixture_name) self;			\
									\
		memset(&self, 0, sizeof(self));				\
		th_setup_returned = 0;					\
		if (setjmp(th_jmp) == 0) {				\
			th_jmp_armed = 1;				\
			fixture_name##_setup(_metadata, &self);		\
			th_setup_returned = 1;				\
			if (th_result->failed || th_result->skipped ||	\
			    th_result->xfail)				\
				TH_LOG("%s.%s: not run after its setup", \
				       #fixture_name, #test_name);	\
			else						\
				fixture_name##_##test_name(_metadata, &self); \
		}							\
		th_jmp_armed = 0;					\
		if (th_setup_returned && setjmp(th_jmp) == 0) {		\
			th_jmp_armed = 1;				\
			fixture_name##_teardown(_metadata, &self);	\
		}							\
		th_jmp_armed = 0;					\
	}								\
	TH_REGISTER(fixture_name##_##test_name, test_name,		\
		    &th_fixture_##fixture_name,				\
		    th_wrap_##fixture_name##_##test_name, secs)		\
	static void fixture_name##_##test_name(				\
		struct th_test __attribute__((unused)) *_metadata,	\
		FIXTURE_DATA(fixture_name) __attribute__((unused)) *self)

#define TEST_F(fixture_name, test_name)					\
	TEST_F_TIMEOUT(fixture_name, test_name, TEST_TIMEOUT_DEFAULT)

#define TH_MARK(field, statement, fmt, ...) do {			\
	if (th_result) {						\
		th_result->field = 1;					\
		snprintf(th_result->reason, sizeof(th_result->reason),	\
			 fmt, ##__VA_ARGS__);				\
	}								\
	statement;							\
} while (0)

/* The test cannot run here: "ok N name # SKIP reason". */
#define SKIP(statement, fmt, ...) TH_MARK(skipped, statement, fmt, ##__VA_ARGS__)
/* The test found the failure it expects: "ok N name # XFAIL reason". */
#define XFAIL(statement, fmt, ...) TH_MARK(xfail, statement, fmt, ##__VA_ARGS__)

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

#define TH_NULL(fatal, s, ss) do {					\
	const void *th_p_ = (s);					\
	if (th_p_)							\
		TH_REPORT(fatal, "Expected %s to be NULL, not %p",	\
			ss, th_p_);					\
} while (0)
#define ASSERT_NULL(s) TH_NULL(true, s, #s)
#define EXPECT_NULL(s) TH_NULL(false, s, #s)

#define TH_STRNE(fatal, e, s, es, ss) do {				\
	const char *th_e_ = (e), *th_s_ = (s);				\
	if (!th_e_ || !th_s_ || !strcmp(th_e_, th_s_))			\
		TH_REPORT(fatal,					\
			"Expected %s \"%s\" != %s \"%s\"", es,		\
			th_e_ ? th_e_ : "(null)", ss,			\
			th_s_ ? th_s_ : "(null)");			\
} while (0)
#define ASSERT_STRNE(e, s) TH_STRNE(true, e, s, #e, #s)
#define EXPECT_STRNE(e, s) TH_STRNE(false, e, s, #e, #s)

/* fork() for tests: a forked test process must end with _exit(). */
static __attribute__((unused)) pid_t th_fork(void)
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

/* Does @arg name test @t: its name, its fixture's, or FIXTURE.TEST? */
static bool th_names(const struct th_test *t, const char *arg)
{
	size_t n;

	if (!strcmp(arg, t->name))
		return true;
	if (!t->fixture)
		return false;
	if (!strcmp(arg, t->fixture->name))
		return true;
	n = strlen(t->fixture->name);
	return !strncmp(arg, t->fixture->name, n) && arg[n] == '.' &&
	       !strcmp(arg + n + 1, t->name);
}

/*
 * Is @t to run: named by an argument, or no test is named; and no "-x NAME"
 * pair names it?
 */
static bool th_selected(const struct th_test *t, int argc, char **argv)
{
	bool named = false, hit = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-x") && i + 1 < argc) {
			if (th_names(t, argv[++i]))
				return false;
			continue;
		}
		named = true;
		hit = hit || th_names(t, argv[i]);
	}
	return !named || hit;
}

enum { TH_PASS, TH_FAIL, TH_SKIP, TH_XFAIL, TH_TIMEOUT };

/* Runs one test in a child of its own; returns a TH_* result. */
static int th_run_one(struct th_test *t)
{
	int status = 0, ret;
	pid_t pid, w;

	memset(th_result, 0, sizeof(*th_result));
	th_timed_out = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		TH_LOG("fork: %s", strerror(errno));
		return TH_FAIL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGALRM, SIG_DFL);
		th_test_tid = gettid();
		t->fn(t);
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
		ret = TH_TIMEOUT;
	} else if (WIFSIGNALED(status)) {
		TH_LOG("%s: killed by signal %d (%s)", t->name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		ret = TH_FAIL;
	} else if (WEXITSTATUS(status) || th_result->failed) {
		ret = TH_FAIL;
	} else if (th_result->xfail) {
		ret = TH_XFAIL;
	} else if (th_result->skipped) {
		ret = TH_SKIP;
	} else {
		ret = TH_PASS;
	}
	return ret;
}

/* A test that runs this long gets a "took N s" diagnostic line. */
#define TH_SLOW_SECONDS 10

struct th_counts {
	int pass, fail, xfail, skip;
};

/* A result line; the reason has no newline (KTAP's lines are lines). */
static void th_result_line(int indent, int num, const char *name, int res,
			   const char *reason, unsigned int secs)
{
	char why[sizeof(th_result->reason)];

	snprintf(why, sizeof(why), "%s", reason ? reason : "");
	why[strcspn(why, "\n")] = '\0';
	switch (res) {
	case TH_PASS:
		th_print("%*sok %d %s\n", indent, "", num, name);
		break;
	case TH_SKIP:
		th_print("%*sok %d %s # SKIP %s\n", indent, "", num, name, why);
		break;
	case TH_XFAIL:
		th_print("%*sok %d %s # XFAIL %s\n", indent, "", num, name, why);
		break;
	case TH_TIMEOUT:
		th_print("%*snot ok %d %s # TIMEOUT %u seconds\n", indent, "",
			 num, name, secs);
		break;
	default:
		th_print("%*snot ok %d %s\n", indent, "", num, name);
		break;
	}
}

/* Runs @t and prints its result as test @num at @indent. */
static int th_run_and_report(struct th_test *t, int indent, int num,
			     struct th_counts *c)
{
	struct timespec t0, t1;
	double secs;
	int res;

	th_indent = indent;
	if (t->fixture)
		TH_LOG("RUN %s.%s", t->fixture->name, t->name);
	else
		TH_LOG("RUN %s", t->name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res = th_run_one(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* The slow ones are named, so that a lane's time can be accounted for. */
	if (secs >= TH_SLOW_SECONDS)
		TH_LOG("%s took %.1f s", t->name, secs);
	th_result_line(indent, num, t->name, res, th_result->reason,
		       th_timeout(t));
	th_indent = 0;
	switch (res) {
	case TH_PASS:
		c->pass++;
		break;
	case TH_SKIP:
		c->skip++;
		break;
	case TH_XFAIL:
		c->xfail++;
		break;
	default:
		c->fail++;
		break;
	}
	if (th_after_each)
		th_after_each();
	return res;
}

/* The selected tests of @t's fixture, @t first, as subtests of test @num. */
static void th_run_fixture(struct th_test *t, int argc, char **argv, int num,
			   struct th_counts *c)
{
	const struct th_fixture *f = t->fixture;
	int n = 0, i = 0, failed = 0, skipped = 0;
	struct th_test *u;

	for (u = t; u; u = u->next)
		n += u->fixture == f && th_selected(u, argc, argv);
	th_print("  KTAP version 1\n  1..%d\n", n);
	for (u = t; u; u = u->next) {
		if (u->fixture != f || !th_selected(u, argc, argv))
			continue;
		switch (th_run_and_report(u, 2, ++i, c)) {
		case TH_FAIL:
		case TH_TIMEOUT:
			failed++;
			break;
		case TH_SKIP:
			skipped++;
			break;
		}
	}
	if (failed)
		th_result_line(0, num, f->name, TH_FAIL, NULL, 0);
	else if (skipped == n)
		th_result_line(0, num, f->name, TH_SKIP, "all its tests", 0);
	else
		th_result_line(0, num, f->name, TH_PASS, NULL, 0);
}

/* Has a test of @f before @t been selected?  (Then @f has run.) */
static bool th_fixture_ran(const struct th_test *t, int argc, char **argv)
{
	const struct th_test *u;

	for (u = th_tests; u != t; u = u->next)
		if (u->fixture == t->fixture && th_selected(u, argc, argv))
			return true;
	return false;
}

static int test_harness_run(int argc, char **argv)
{
	struct th_counts c = { 0, 0, 0, 0 };
	struct sigaction sa;
	struct th_test *t;
	int n = 0, i = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (t = th_tests; t; t = t->next) {
			if (t->fixture)
				printf("%s.%s\n", t->fixture->name, t->name);
			else
				printf("%s\n", t->name);
		}
		return 0;
	}
	/* The plan: plain tests, and each fixture once. */
	for (t = th_tests; t; t = t->next)
		n += th_selected(t, argc, argv) &&
		     (!t->fixture || !th_fixture_ran(t, argc, argv));

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

	th_print("KTAP version 1\n1..%d\n", n);
	for (t = th_tests; t; t = t->next) {
		if (!th_selected(t, argc, argv))
			continue;
		if (!t->fixture)
			th_run_and_report(t, 0, ++i, &c);
		else if (!th_fixture_ran(t, argc, argv))
			th_run_fixture(t, argc, argv, ++i, &c);
	}
	th_print("# Totals: pass:%d fail:%d xfail:%d xpass:0 skip:%d error:0\n",
		 c.pass, c.fail, c.xfail, c.skip);
	return c.fail ? 1 : 0;
}

#define TEST_HARNESS_MAIN						\
	int main(int argc, char **argv)					\
	{								\
		return test_harness_run(argc, argv);			\
	}

#endif /* KBITS_SELFTEST_HARNESS_H */
