// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kbitsctl's credentials parsing (tools/kbitsctl/credfile.c):
 * transfer --credentials-file's "TARGET SCHEME USER PASSWORD" lines, a
 * password file's first line, the names, the checks the kernel would make,
 * and that no message quotes a password.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "credfile.h"

static struct cred c;
static const char *why;

static int parse(const char *line)
{
	int ret;

	why = NULL;
	cred_free(&c);
	ret = cred_parse_line(line, strlen(line), &c, &why);
	if (ret == 1) {
		ck_assert_ptr_nonnull(c.user);
		ck_assert_ptr_nonnull(c.password);
	} else {
		ck_assert_ptr_null(c.user);
		ck_assert_ptr_null(c.password);
	}
	if (ret < 0) {
		ck_assert_ptr_nonnull(why);
		/* never the secret: every test's password holds "s3cr" */
		ck_assert_ptr_null(strstr(why, "s3cr"));
	}
	return ret;
}

START_TEST(a_line)
{
	ck_assert_int_eq(parse("server basic alice s3cret"), 1);
	ck_assert_int_eq(c.target, KBITS_AUTH_TARGET_SERVER);
	ck_assert_int_eq(c.scheme, KBITS_AUTH_SCHEME_BASIC);
	ck_assert_str_eq(c.user, "alice");
	ck_assert_str_eq(c.password, "s3cret");
	ck_assert_int_eq(parse("PROXY Negotiate bob s3cr"), 1);
	ck_assert_int_eq(c.target, KBITS_AUTH_TARGET_PROXY);
	ck_assert_int_eq(c.scheme, KBITS_AUTH_SCHEME_NEGOTIATE);
	ck_assert_int_eq(parse("server digest u s3cr"), 1);
	ck_assert_int_eq(c.scheme, KBITS_AUTH_SCHEME_DIGEST);
	ck_assert_int_eq(parse("server ntlm DOMAIN\\\\u s3cr"), 1);
	ck_assert_int_eq(c.scheme, KBITS_AUTH_SCHEME_NTLM);
	ck_assert_str_eq(c.user, "DOMAIN\\\\u");
}
END_TEST

/* The password is the rest of the line: blanks, '#', quotes kept. */
START_TEST(password_rest_of_line)
{
	ck_assert_int_eq(parse("server basic alice  s3cr et # not a comment \"x\" "), 1);
	ck_assert_str_eq(c.password, "s3cr et # not a comment \"x\" ");
	ck_assert_int_eq(parse(" \t server\t\tbasic \t alice\ts3cr\tt"), 1);
	ck_assert_str_eq(c.user, "alice");
	ck_assert_str_eq(c.password, "s3cr\tt");
	ck_assert_int_eq(parse("server basic alice s3cr\r"), 1);
	ck_assert_str_eq(c.password, "s3cr");
	ck_assert_int_eq(parse("server basic alice p\xc3\xa4ss s3cr"), 1);
	ck_assert_str_eq(c.password, "p\xc3\xa4ss s3cr");
}
END_TEST

START_TEST(blank_and_comments)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(parse("   \t "), 0);
	ck_assert_int_eq(parse("\r"), 0);
	ck_assert_int_eq(parse("# server basic alice s3cr"), 0);
	ck_assert_int_eq(parse("   #server basic alice s3cr"), 0);
}
END_TEST

START_TEST(malformed)
{
	ck_assert_int_eq(parse("server"), -1);
	ck_assert_int_eq(parse("server basic"), -1);
	ck_assert_int_eq(parse("server basic alice"), -1);
	ck_assert_int_eq(parse("server basic alice   "), -1);
	ck_assert_int_eq(parse("host basic alice s3cr"), -1);
	ck_assert_int_eq(parse("server plain alice s3cr"), -1);
	ck_assert_int_eq(parse("serverx basic alice s3cr"), -1);
	ck_assert_int_eq(parse("server basicx alice s3cr"), -1);
	ck_assert_int_eq(parse("server passport alice s3cr"), -1);
	/* what the kernel refuses, said first */
	ck_assert_int_eq(parse("server basic al:ice s3cr"), -1);
	ck_assert_int_eq(parse("server digest al:ice s3cr"), 1);
	ck_assert_int_eq(parse("server basic al\x01ice s3cr"), -1);
	ck_assert_int_eq(parse("server basic alice s3cr\xff"), -1);
	ck_assert_int_eq(parse("server basic \xc0\xaf s3cr"), -1);
}
END_TEST

START_TEST(nul_in_line)
{
	static const char line[] = "server basic alice s3cr\0et";

	why = NULL;
	ck_assert_int_eq(cred_parse_line(line, sizeof(line) - 1, &c, &why), -1);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(long_strings)
{
	char *line = malloc(3 * 1100);
	char *p;

	p = line + sprintf(line, "server basic ");
	memset(p, 'u', 1024);
	p += 1024;
	p += sprintf(p, " s3cr");
	memset(p, 'p', 1020);
	p[1020] = '\0';
	ck_assert_int_eq(parse(line), 1);
	ck_assert_uint_eq(strlen(c.user), 1024);
	ck_assert_uint_eq(strlen(c.password), 1024);
	strcat(line, "p");
	ck_assert_int_eq(parse(line), -1);
	ck_assert_str_eq(why, "the password is longer than 1024 bytes");
	p = line + sprintf(line, "server basic ");
	memset(p, 'u', 1025);
	strcpy(p + 1025, " s3cr");
	ck_assert_int_eq(parse(line), -1);
	ck_assert_str_eq(why, "the user name is longer than 1024 bytes");
	free(line);
}
END_TEST

/* A list: line numbers, one line per target and scheme, all or none. */
START_TEST(a_list)
{
	static const char text[] =
		"# credentials\n"
		"\n"
		"server basic alice s3cr one\n"
		"proxy basic bob s3cr two\r\n"
		"server negotiate carol s3cr three";
	struct cred_list l;
	unsigned int bad = 99;

	ck_assert_int_eq(cred_list_parse(text, strlen(text), &l, &bad, &why), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(l.lines[0], 3);
	ck_assert_uint_eq(l.lines[1], 4);
	ck_assert_uint_eq(l.lines[2], 5);
	ck_assert_str_eq(l.creds[1].password, "s3cr two");
	ck_assert_int_eq(l.creds[2].scheme, KBITS_AUTH_SCHEME_NEGOTIATE);
	cred_list_free(&l);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(list_errors)
{
	static const char dup[] = "server basic a s3cr\nproxy basic a s3cr\n# x\nserver BASIC b s3cr\n";
	static const char bad_line[] = "server basic a s3cr\n\nserver basic\n";
	static const char empty[] = "# nothing\n\n";
	struct cred_list l;
	unsigned int bad;

	ck_assert_int_eq(cred_list_parse(dup, strlen(dup), &l, &bad, &why), -1);
	ck_assert_uint_eq(bad, 4);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(strstr(why, "s3cr"));
	ck_assert_int_eq(cred_list_parse(bad_line, strlen(bad_line), &l, &bad, &why), -1);
	ck_assert_uint_eq(bad, 3);
	ck_assert_int_eq(cred_list_parse(empty, strlen(empty), &l, &bad, &why), -1);
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(cred_list_parse("", 0, &l, &bad, &why), -1);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* Every target and scheme once: 8 lines, the most a job holds. */
START_TEST(list_full)
{
	static const char *const t[] = { "server", "proxy" };
	static const char *const sc[] = { "basic", "digest", "ntlm", "negotiate" };
	char text[1024], *p = text;
	struct cred_list l;
	unsigned int bad;
	int i, k;

	for (i = 0; i < 2; i++)
		for (k = 0; k < 4; k++)
			p += sprintf(p, "%s %s u%d%d s3cr%d%d\n", t[i], sc[k], i, k, i, k);
	ck_assert_int_eq(cred_list_parse(text, strlen(text), &l, &bad, &why), 0);
	ck_assert_uint_eq(l.n, CRED_LIST_MAX);
	ck_assert_str_eq(l.creds[7].password, "s3cr13");
	cred_list_free(&l);
}
END_TEST

START_TEST(first_line)
{
	char *pw;

	ck_assert_int_eq(cred_first_line("s3cr et\nsecond\n", 16, &pw, &why), 0);
	ck_assert_str_eq(pw, "s3cr et");
	free(pw);
	ck_assert_int_eq(cred_first_line("s3cr\r\n", 6, &pw, &why), 0);
	ck_assert_str_eq(pw, "s3cr");
	free(pw);
	ck_assert_int_eq(cred_first_line("s3cr", 4, &pw, &why), 0);
	ck_assert_str_eq(pw, "s3cr");
	free(pw);
	/* an empty file, an empty line: an empty password */
	ck_assert_int_eq(cred_first_line("", 0, &pw, &why), 0);
	ck_assert_str_eq(pw, "");
	free(pw);
	ck_assert_int_eq(cred_first_line("\n", 1, &pw, &why), 0);
	ck_assert_str_eq(pw, "");
	free(pw);
	ck_assert_int_eq(cred_first_line("s3\0cr\n", 6, &pw, &why), -1);
	ck_assert_ptr_null(pw);
}
END_TEST

START_TEST(names)
{
	enum kbits_auth_target t;
	enum kbits_auth_scheme s;
	char buf[64];

	ck_assert_int_eq(cred_target_from_name("Server", &t), 0);
	ck_assert_int_eq(t, KBITS_AUTH_TARGET_SERVER);
	ck_assert_int_eq(cred_target_from_name("proxy", &t), 0);
	ck_assert_int_eq(t, KBITS_AUTH_TARGET_PROXY);
	ck_assert_int_eq(cred_target_from_name("", &t), -1);
	ck_assert_int_eq(cred_target_from_name("1", &t), -1);
	ck_assert_int_eq(cred_scheme_from_name("NTLM", &s), 0);
	ck_assert_int_eq(s, KBITS_AUTH_SCHEME_NTLM);
	ck_assert_int_eq(cred_scheme_from_name("passport", &s), -1);
	ck_assert_str_eq(cred_target_name(KBITS_AUTH_TARGET_PROXY), "proxy");
	ck_assert_str_eq(cred_scheme_name(KBITS_AUTH_SCHEME_DIGEST), "digest");
	ck_assert_str_eq(cred_scheme_name((enum kbits_auth_scheme)9), "?");
	cred_format_schemes(buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "none");
	cred_format_schemes(buf, sizeof(buf), 1U << KBITS_AUTH_SCHEME_BASIC |
			    1U << KBITS_AUTH_SCHEME_DIGEST);
	ck_assert_str_eq(buf, "basic,digest");
	cred_format_schemes(buf, sizeof(buf), 0x1e);
	ck_assert_str_eq(buf, "basic,digest,ntlm,negotiate");
	/* bits the kernel does not give: not shown */
	cred_format_schemes(buf, sizeof(buf), 1U | 1U << 5);
	ck_assert_str_eq(buf, "none");
}
END_TEST

START_TEST(checks)
{
	ck_assert_ptr_null(cred_check(KBITS_AUTH_SCHEME_NEGOTIATE, "", ""));
	ck_assert_ptr_null(cred_check(KBITS_AUTH_SCHEME_NTLM, "D\\u", "p w"));
	ck_assert_ptr_nonnull(cred_check(KBITS_AUTH_SCHEME_BASIC, "a:b", "p"));
	ck_assert_ptr_null(cred_check(KBITS_AUTH_SCHEME_DIGEST, "a:b", "p"));
	ck_assert_ptr_nonnull(cred_check(KBITS_AUTH_SCHEME_DIGEST, "a\x7f", "p"));
	ck_assert_ptr_nonnull(cred_check(KBITS_AUTH_SCHEME_DIGEST, "a\tb", "p"));
	/* a password may hold control characters, not invalid UTF-8 */
	ck_assert_ptr_null(cred_check(KBITS_AUTH_SCHEME_DIGEST, "a", "p\tq"));
	ck_assert_ptr_nonnull(cred_check(KBITS_AUTH_SCHEME_DIGEST, "a", "\xed\xa0\x80"));
	ck_assert_ptr_null(cred_check(KBITS_AUTH_SCHEME_DIGEST, "\xf0\x9f\x94\x91", "p"));
}
END_TEST

/* cred_read_fd: all of a file, refused past its limit; no stdio. */
START_TEST(read_fd)
{
	char path[] = "/tmp/test_credfile.XXXXXX", *buf;
	size_t len;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, "server basic a s3cr\n", 20), 20);
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(cred_read_fd(fd, 20, &buf, &len), 0);
	ck_assert_uint_eq(len, 20);
	ck_assert_str_eq(buf, "server basic a s3cr\n");
	cred_buf_free(buf, len);
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(cred_read_fd(fd, 19, &buf, &len), -EFBIG);
	ck_assert_ptr_null(buf);
	close(fd);
	ck_assert_int_eq(cred_read_fd(fd, 19, &buf, &len), -EBADF);
	cred_buf_free(NULL, 0);
}
END_TEST

static Suite *credfile_suite(void)
{
	Suite *s = suite_create("credfile");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, a_line);
	tcase_add_test(tc, password_rest_of_line);
	tcase_add_test(tc, blank_and_comments);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, nul_in_line);
	tcase_add_test(tc, long_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, a_list);
	tcase_add_test(tc, list_errors);
	tcase_add_test(tc, list_full);
	tcase_add_test(tc, first_line);
	tcase_add_test(tc, read_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, names);
	tcase_add_test(tc, checks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(credfile_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	cred_free(&c);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
