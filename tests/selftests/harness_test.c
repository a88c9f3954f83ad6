// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's own test: tests that pass, fail, skip, expect to fail,
 * time out and fail in a child, and fixtures whose setup or test ASSERTs.
 * Its output is checked, line by line, by harness-test.sh (meson test, on
 * the host: it needs no module).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

TEST(passes)
{
	ASSERT_EQ(1, 1);
	EXPECT_STREQ("a", "a");
	EXPECT_NULL(NULL);
}

TEST(expect_fails_and_goes_on)
{
	EXPECT_EQ(1, 2);
	TH_LOG("after the EXPECT");
}

TEST(skips)
{
	SKIP(return, "not here");
	ASSERT_TRUE(0);
}

TEST(xfails)
{
	XFAIL(return, "known");
	ASSERT_TRUE(0);
}

TEST_TIMEOUT(times_out, 1)
{
	pause();
}

TEST(child_asserts)
{
	pid_t pid = th_fork();

	if (pid == 0) {
		ASSERT_EQ(1, 2);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

FIXTURE(fx) {
	int n;
};

FIXTURE_SETUP(fx)
{
	self->n = 1;
	TH_LOG("setup %s", _metadata->name);
}

FIXTURE_TEARDOWN(fx)
{
	TH_LOG("teardown %s, n %d", _metadata->name, self->n);
}

TEST_F(fx, passes)
{
	self->n = 2;
	ASSERT_EQ(2, self->n);
}

TEST_F(fx, asserts_then_teardown)
{
	self->n = 3;
	ASSERT_EQ(0, self->n);
	TH_LOG("not reached");
}

TEST_F(fx, skips)
{
	SKIP(return, "no");
}

static void *asserts(void *arg)
{
	(void)arg;
	ASSERT_EQ(1, 2);
	return NULL;
}

/* Not the test's thread: the ASSERT ends the process, teardown and all. */
TEST_F(fx, thread_asserts)
{
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, asserts, NULL));
	pthread_join(t, NULL);
	TH_LOG("not reached");
}

TEST(between)
{
}

FIXTURE(bad) {
	int n;
};

FIXTURE_SETUP(bad)
{
	ASSERT_EQ(0, 1);
}

FIXTURE_TEARDOWN(bad)
{
	TH_LOG("teardown after a failed setup: wrong");
}

TEST_F(bad, never_runs)
{
	TH_LOG("the test after a failed setup: wrong");
}

FIXTURE(sk) {
	int n;
};

FIXTURE_SETUP(sk)
{
	SKIP(return, "setup skips");
}

FIXTURE_TEARDOWN(sk)
{
	TH_LOG("teardown %s", _metadata->name);
}

TEST_F(sk, one)
{
	TH_LOG("wrong");
}

TEST_F(sk, two)
{
	TH_LOG("wrong");
}

TEST_HARNESS_MAIN
