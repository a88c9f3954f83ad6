// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kbitsd's policy (tools/kbitsd/policy.c): the rates, caps
 * and hours of kbitsd.conf and --max-rate, the caps at each hour of a day
 * (the hour is an argument: the clock is the test's), and the background
 * rate controller's arithmetic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "kbitsd.h"

START_TEST(rates)
{
	uint64_t r;

	ck_assert_int_eq(policy_parse_rate("5", &r), 0);
	ck_assert_uint_eq(r, 5);
	ck_assert_int_eq(policy_parse_rate("200K", &r), 0);
	ck_assert_uint_eq(r, 200 * 1024);
	ck_assert_int_eq(policy_parse_rate("3m", &r), 0);
	ck_assert_uint_eq(r, 3 << 20);
	ck_assert_int_eq(policy_parse_rate("2G", &r), 0);
	ck_assert_uint_eq(r, 2ull << 30);
	ck_assert_int_eq(policy_parse_rate("0", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("K", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("-1", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("1.5M", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("10KB", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("99999999999999G", &r), -EINVAL);
	ck_assert_int_eq(policy_parse_rate("99999999999999999999", &r), -EINVAL);
}
END_TEST

START_TEST(priorities)
{
	enum kbits_job_priority p;

	ck_assert_int_eq(kbits_job_priority_from_name("foreground", &p), 0);
	ck_assert_int_eq(p, KBITS_PRIORITY_FOREGROUND);
	ck_assert_int_eq(kbits_job_priority_from_name("LOW", &p), 0);
	ck_assert_int_eq(p, KBITS_PRIORITY_LOW);
	ck_assert_int_eq(kbits_job_priority_from_name("lowest", &p), -EINVAL);
	ck_assert_int_eq(kbits_job_priority_from_name("", &p), -EINVAL);
}
END_TEST

START_TEST(caps_command_line)
{
	struct policy p;
	const char *why = NULL;

	policy_init(&p);
	ck_assert_uint_eq(p.max_jobs, MAX_JOBS_DEFAULT);
	ck_assert_uint_eq(p.slice, SLICE_DEFAULT);
	ck_assert(p.yield);
	ck_assert_int_eq(policy_add_cap(&p, "low=200K", false, &why), 0);
	ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_LOW, 3), 200 * 1024);
	ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_NORMAL, 3), 0);
	ck_assert_int_eq(policy_add_cap(&p, "low", false, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(policy_add_cap(&p, "bogus=1K", false, &why), -EINVAL);
	ck_assert_int_eq(policy_add_cap(&p, "low=fast", false, &why), -EINVAL);
	/* hours belong to the file's syntax */
	ck_assert_int_eq(policy_add_cap(&p, "low=1K=8-18", false, &why), -EINVAL);
	ck_assert_uint_eq(p.ncaps, 1);
}
END_TEST

/* The caps at each hour: the clock is the test's. */
START_TEST(caps_by_hour)
{
	struct policy p;
	const char *why;
	int h;

	policy_init(&p);
	ck_assert_int_eq(policy_add_cap(&p, "normal 1M 8-18", true, &why), 0);
	ck_assert_int_eq(policy_add_cap(&p, "low 100K 22-6", true, &why), 0);
	ck_assert_int_eq(policy_add_cap(&p, "low 500K", true, &why), 0);
	ck_assert_int_eq(policy_add_cap(&p, "high 2M 0-24", true, &why), 0);
	for (h = 0; h < 24; h++) {
		ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_NORMAL, h),
				  h >= 8 && h < 18 ? 1u << 20 : 0);
		/* the lowest cap that applies wins */
		ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_LOW, h),
				  h >= 22 || h < 6 ? 100 * 1024 : 500 * 1024);
		ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_HIGH, h), 2u << 20);
		ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_FOREGROUND, h), 0);
	}
	ck_assert_int_eq(policy_add_cap(&p, "low 1M 8-8", true, &why), -EINVAL);
	ck_assert_int_eq(policy_add_cap(&p, "low 1M 25-3", true, &why), -EINVAL);
	ck_assert_int_eq(policy_add_cap(&p, "low 1M 8-25", true, &why), -EINVAL);
	ck_assert_int_eq(policy_add_cap(&p, "low 1M 8:00-9", true, &why), -EINVAL);
	ck_assert_int_eq(policy_add_cap(&p, "low 1M 8-9 x", true, &why), -EINVAL);
	ck_assert_int_eq(policy_add_cap(&p, "low", true, &why), -EINVAL);
}
END_TEST

/* Which jobs the daemon may ever slow: those read in small buffers. */
START_TEST(may_slow)
{
	struct policy p;
	const char *why;

	policy_init(&p);
	ck_assert(!policy_may_slow(&p, KBITS_PRIORITY_FOREGROUND));
	ck_assert(policy_may_slow(&p, KBITS_PRIORITY_HIGH));
	ck_assert(policy_may_slow(&p, KBITS_PRIORITY_NORMAL));
	ck_assert(policy_may_slow(&p, KBITS_PRIORITY_LOW));
	p.yield = false;
	ck_assert(!policy_may_slow(&p, KBITS_PRIORITY_NORMAL));
	/* a cap at any hour: it may apply while the job runs */
	ck_assert_int_eq(policy_add_cap(&p, "normal 1M 8-9", true, &why), 0);
	ck_assert_int_eq(policy_add_cap(&p, "foreground 5M", true, &why), 0);
	ck_assert(policy_may_slow(&p, KBITS_PRIORITY_NORMAL));
	ck_assert(policy_may_slow(&p, KBITS_PRIORITY_FOREGROUND));
	ck_assert(!policy_may_slow(&p, KBITS_PRIORITY_HIGH));
	ck_assert(!policy_may_slow(&p, KBITS_PRIORITY_LOW));
}
END_TEST

static char *write_conf(const char *text)
{
	char *path = strdup("/tmp/kbitsd-conf-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(config_file)
{
	struct policy p;
	char *path;

	policy_init(&p);
	path = write_conf("# kbitsd.conf\n"
			  "max-jobs = 2\n"
			  "  slice=5   # seconds\n"
			  "\n"
			  "yield = no\n"
			  "max-rate = low 64K\n"
			  "max-rate = normal 1M 9-17\n");
	ck_assert_int_eq(policy_load(&p, path, true), 0);
	ck_assert_uint_eq(p.max_jobs, 2);
	ck_assert_uint_eq(p.slice, 5);
	ck_assert(!p.yield);
	ck_assert_uint_eq(p.ncaps, 2);
	ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_LOW, 12), 64 * 1024);
	ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_NORMAL, 12), 1 << 20);
	ck_assert_uint_eq(policy_cap(&p, KBITS_PRIORITY_NORMAL, 20), 0);
	unlink(path);
	free(path);

	/* each mistake is refused, with its line */
	{
		static const char *const bad[] = {
			"max-jobs = 0\n", "max-jobs = 65\n", "max-jobs = two\n",
			"slice = 0\n", "yield = maybe\n", "max-rate = low\n",
			"speed = 1\n", "max-jobs 2\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			policy_init(&p);
			path = write_conf(bad[i]);
			ck_assert_int_eq(policy_load(&p, path, true), -EINVAL);
			unlink(path);
			free(path);
		}
	}
	policy_init(&p);
	ck_assert_int_eq(policy_load(&p, "/nonexistent/kbitsd.conf", false), 0);
	ck_assert_int_eq(policy_load(&p, "/nonexistent/kbitsd.conf", true), -ENOENT);
}
END_TEST

/* At 1 MB/s, with nobody else: the jobs' own packets never look like others'. */
START_TEST(yield_alone)
{
	struct yield_ctl y = { 0 };
	int i;

	for (i = 0; i < 20; i++) {
		/*
		 * 5% more on the wire (headers), and reports 5% late or
		 * early (bandwidth.c's window: 1 s)
		 */
		yield_update(&y, 1050000, i % 2 ? 1050000 : 950000, 1000);
		ck_assert_uint_eq(y.limit, 0);
	}
	/* a trickle of others' (24 KiB/s) is not worth yielding to */
	yield_update(&y, 24 * 1024, 0, 1000);
	ck_assert_uint_eq(y.limit, 0);
	/* another download that got only a tenth of the link is seen */
	yield_update(&y, 1000000, 875000, 1000);
	ck_assert_uint_ne(y.limit, 0);
	y.limit = 0;
	ck_assert_uint_eq(y.limit, 0);
}
END_TEST

START_TEST(yield_backs_off_and_recovers)
{
	struct yield_ctl y = { 0 };
	uint64_t bg = 500000;
	int i;

	/* another download takes half the link: all of it is left to it */
	yield_update(&y, 1000000, bg, 1000);
	ck_assert_uint_eq(y.limit, YIELD_FLOOR);
	/* while it runs, the floor stays */
	for (i = 0; i < 10; i++) {
		yield_update(&y, 1000000, YIELD_FLOOR, 1000);
		ck_assert_uint_eq(y.limit, YIELD_FLOOR);
	}
	/* it ends: the floor holds a while (the other may be ramping up) */
	for (i = 0; i < YIELD_HOLD; i++) {
		yield_update(&y, YIELD_FLOOR, YIELD_FLOOR, 1000);
		ck_assert_uint_eq(y.limit, YIELD_FLOOR);
	}
	/* then it doubles each look, to no limit */
	for (i = 0; i < 40 && y.limit; i++) {
		uint64_t before = y.limit;

		bg = before < 1000000 ? before : 1000000;	/* the link: 1 MB/s */
		yield_update(&y, bg + bg / 20, bg, 1000);
		ck_assert(y.limit == 0 || y.limit == 2 * before);
	}
	ck_assert_uint_eq(y.limit, 0);
	ck_assert_int_lt(i, 40);
	/* others again during the hold: it starts over */
	yield_update(&y, 1000000, 500000, 1000);
	ck_assert_uint_eq(y.limit, YIELD_FLOOR);
	yield_update(&y, YIELD_FLOOR, YIELD_FLOOR, 1000);
	yield_update(&y, 1000000, YIELD_FLOOR, 1000);
	for (i = 0; i < YIELD_HOLD; i++) {
		yield_update(&y, YIELD_FLOOR, YIELD_FLOOR, 1000);
		ck_assert_uint_eq(y.limit, YIELD_FLOOR);
	}
	/* a zero-length tick changes nothing */
	yield_update(&y, 1000000, 0, 0);
	ck_assert_uint_eq(y.limit, YIELD_FLOOR);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("kbitsd policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, rates);
	tcase_add_test(tc, priorities);
	tcase_add_test(tc, caps_command_line);
	tcase_add_test(tc, caps_by_hour);
	tcase_add_test(tc, may_slow);
	tcase_add_test(tc, config_file);
	tcase_add_test(tc, yield_alone);
	tcase_add_test(tc, yield_backs_off_and_recovers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
