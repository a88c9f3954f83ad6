// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kbitsctl's add-file --from list (tools/kbitsctl/filelist.c):
 * one "REMOTE LOCAL" pair a line, blanks between, blank lines and
 * #-comments ignored, double quotes for names with blanks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "kbitsctl.h"

/* Parses @line; the pair in @r and @l (static), or the error in @why. */
static char r[256], l[256];
static const char *why;

static int parse(const char *line)
{
	char *remote = NULL, *local = NULL;
	int ret;

	why = NULL;
	r[0] = l[0] = '\0';
	ret = file_list_parse_line(line, strlen(line), &remote, &local, &why);
	if (ret == 1) {
		ck_assert_ptr_nonnull(remote);
		ck_assert_ptr_nonnull(local);
		snprintf(r, sizeof(r), "%s", remote);
		snprintf(l, sizeof(l), "%s", local);
	} else {
		ck_assert_ptr_null(remote);
		ck_assert_ptr_null(local);
	}
	if (ret < 0)
		ck_assert_ptr_nonnull(why);
	free(remote);
	free(local);
	return ret;
}

START_TEST(a_pair)
{
	ck_assert_int_eq(parse("http://h/a /tmp/a"), 1);
	ck_assert_str_eq(r, "http://h/a");
	ck_assert_str_eq(l, "/tmp/a");
}
END_TEST

START_TEST(blanks_around_and_between)
{
	ck_assert_int_eq(parse(" \t http://h/a \t\t rel/a  \t"), 1);
	ck_assert_str_eq(r, "http://h/a");
	ck_assert_str_eq(l, "rel/a");
}
END_TEST

START_TEST(crlf)
{
	ck_assert_int_eq(parse("/srv/a /tmp/a\r"), 1);
	ck_assert_str_eq(l, "/tmp/a");
	ck_assert_int_eq(parse("\r"), 0);
}
END_TEST

START_TEST(blank_and_comment_lines)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(parse("   \t "), 0);
	ck_assert_int_eq(parse("# a comment"), 0);
	ck_assert_int_eq(parse("   #indented /a /b"), 0);
}
END_TEST

START_TEST(comment_after_a_pair)
{
	ck_assert_int_eq(parse("/srv/a /tmp/a # the first"), 1);
	ck_assert_str_eq(r, "/srv/a");
	ck_assert_str_eq(l, "/tmp/a");
	ck_assert_int_eq(parse("/srv/a /tmp/a #"), 1);
}
END_TEST

START_TEST(hash_inside_a_name_is_kept)
{
	ck_assert_int_eq(parse("http://h/a#frag /tmp/a#1"), 1);
	ck_assert_str_eq(r, "http://h/a#frag");
	ck_assert_str_eq(l, "/tmp/a#1");
}
END_TEST

START_TEST(quoted_names)
{
	ck_assert_int_eq(parse("\"/srv/my file\" \"/tmp/your file\""), 1);
	ck_assert_str_eq(r, "/srv/my file");
	ck_assert_str_eq(l, "/tmp/your file");
	ck_assert_int_eq(parse("\"#not a comment\" /tmp/x"), 1);
	ck_assert_str_eq(r, "#not a comment");
	ck_assert_int_eq(parse("/srv/a\t\"/tmp/tab\there\""), 1);
	ck_assert_str_eq(l, "/tmp/tab\there");
}
END_TEST

START_TEST(quoted_escapes)
{
	ck_assert_int_eq(parse("\"/srv/a \\\"q\\\"\" \"/tmp/back\\\\slash\""), 1);
	ck_assert_str_eq(r, "/srv/a \"q\"");
	ck_assert_str_eq(l, "/tmp/back\\slash");
	/* another backslash stays as it is */
	ck_assert_int_eq(parse("\"/srv/a\\n\" /tmp/b"), 1);
	ck_assert_str_eq(r, "/srv/a\\n");
	/* unquoted: backslashes and quotes inside a name are plain characters */
	ck_assert_int_eq(parse("/srv/a\\b /tmp/it\"s"), 1);
	ck_assert_str_eq(r, "/srv/a\\b");
	ck_assert_str_eq(l, "/tmp/it\"s");
}
END_TEST

START_TEST(empty_quoted_name_is_a_name)
{
	/* kbitsctl then refuses the empty name, as it refuses "" on the command line */
	ck_assert_int_eq(parse("\"\" /tmp/a"), 1);
	ck_assert_str_eq(r, "");
}
END_TEST

START_TEST(one_name)
{
	ck_assert_int_eq(parse("/srv/a"), -1);
	ck_assert_ptr_nonnull(strstr(why, "without a LOCAL"));
	ck_assert_int_eq(parse("/srv/a  # no local"), -1);
}
END_TEST

START_TEST(three_names)
{
	ck_assert_int_eq(parse("/srv/my file /tmp/a"), -1);
	ck_assert_ptr_nonnull(strstr(why, "more than two names"));
	ck_assert_int_eq(parse("/a /b /c /d"), -1);
}
END_TEST

START_TEST(bad_quotes)
{
	ck_assert_int_eq(parse("\"/srv/a /tmp/a"), -1);
	ck_assert_ptr_nonnull(strstr(why, "no closing quote"));
	ck_assert_int_eq(parse("/srv/a \"/tmp/a\\\""), -1);
	ck_assert_ptr_nonnull(strstr(why, "no closing quote"));
	ck_assert_int_eq(parse("\"/srv/a\"x /tmp/a"), -1);
	ck_assert_ptr_nonnull(strstr(why, "closing quote"));
}
END_TEST

START_TEST(nul_byte)
{
	char *remote = NULL, *local = NULL;
	const char line[] = "/srv/a\0x /tmp/a";

	why = NULL;
	ck_assert_int_eq(file_list_parse_line(line, sizeof(line) - 1, &remote, &local, &why), -1);
	ck_assert_ptr_null(remote);
	ck_assert_ptr_nonnull(strstr(why, "NUL"));
}
END_TEST

/* file_list_read() of @text */
static int read_text(const char *text, struct file_list *fl, unsigned int *bad)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	ck_assert_ptr_nonnull(f);
	ret = file_list_read(f, fl, bad, &why);
	fclose(f);
	return ret;
}

START_TEST(read_a_list)
{
	struct file_list fl;
	unsigned int bad = 99;

	ck_assert_int_eq(read_text("# files for tonight\n"
				   "\n"
				   "http://h/a /tmp/a\n"
				   "  \"/srv/b c\"   /tmp/bc   # spaces\n"
				   "/srv/d /tmp/d", &fl, &bad), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(fl.n_pairs, 3);
	ck_assert_str_eq(fl.words[0], "http://h/a");
	ck_assert_str_eq(fl.words[1], "/tmp/a");
	ck_assert_str_eq(fl.words[2], "/srv/b c");
	ck_assert_str_eq(fl.words[3], "/tmp/bc");
	ck_assert_str_eq(fl.words[4], "/srv/d");	/* no newline at the end */
	ck_assert_str_eq(fl.words[5], "/tmp/d");
	ck_assert_uint_eq(fl.lines[0], 3);
	ck_assert_uint_eq(fl.lines[1], 4);
	ck_assert_uint_eq(fl.lines[2], 5);
	file_list_free(&fl);
	ck_assert_ptr_null(fl.words);
	ck_assert_uint_eq(fl.n_pairs, 0);
}
END_TEST

START_TEST(read_many)
{
	struct file_list fl;
	unsigned int bad;
	size_t i, len = 0, cap = 300 * 40;
	char *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len, "/srv/%zu /tmp/%zu\n", i, i);
	ck_assert_int_eq(read_text(text, &fl, &bad), 0);
	ck_assert_uint_eq(fl.n_pairs, 300);
	ck_assert_str_eq(fl.words[2 * 299 + 1], "/tmp/299");
	ck_assert_uint_eq(fl.lines[299], 300);
	file_list_free(&fl);
	free(text);
}
END_TEST

START_TEST(read_nothing)
{
	struct file_list fl;
	unsigned int bad;

	ck_assert_int_eq(read_text("", &fl, &bad), 0);
	ck_assert_uint_eq(fl.n_pairs, 0);
	file_list_free(&fl);
	ck_assert_int_eq(read_text("# only\n\n  # comments\n", &fl, &bad), 0);
	ck_assert_uint_eq(fl.n_pairs, 0);
	file_list_free(&fl);
}
END_TEST

START_TEST(read_stops_at_a_bad_line)
{
	struct file_list fl;
	unsigned int bad = 0;

	ck_assert_int_eq(read_text("/srv/a /tmp/a\n# fine\n/srv/b\n/srv/c /tmp/c\n", &fl, &bad), -1);
	ck_assert_uint_eq(bad, 3);
	ck_assert_ptr_nonnull(strstr(why, "without a LOCAL"));
	/* all or none: nothing is handed back */
	ck_assert_ptr_null(fl.words);
	ck_assert_uint_eq(fl.n_pairs, 0);
	ck_assert_int_eq(read_text("/a /b\r\n/c /d /e\r\n", &fl, &bad), -1);
	ck_assert_uint_eq(bad, 2);
}
END_TEST

/* A line of FILE_LIST_LINE_MAX bytes is read; one byte more is refused. */
START_TEST(read_line_length_cap)
{
	size_t max = FILE_LIST_LINE_MAX, len;
	char *text = malloc(max + 64);
	struct file_list fl;
	unsigned int bad = 0;

	ck_assert_ptr_nonnull(text);
	/* line 2 is "/a /xxx...x", max bytes, then a newline */
	len = (size_t)sprintf(text, "/r /l\n/a /");
	memset(text + len, 'x', max - 4);
	len += max - 4;
	strcpy(text + len, "\n/c /d\n");
	ck_assert_int_eq(read_text(text, &fl, &bad), 0);
	ck_assert_uint_eq(fl.n_pairs, 3);
	ck_assert_uint_eq(strlen(fl.words[3]), max - 3);
	file_list_free(&fl);
	/* one more: line 2 is too long, and nothing is handed back */
	len = (size_t)sprintf(text, "/r /l\n/a /");
	memset(text + len, 'x', max - 3);
	len += max - 3;
	strcpy(text + len, "\n/c /d\n");
	ck_assert_int_eq(read_text(text, &fl, &bad), -1);
	ck_assert_uint_eq(bad, 2);
	ck_assert_ptr_nonnull(strstr(why, "too long"));
	ck_assert_ptr_nonnull(strstr(why, "13618 bytes"));
	ck_assert_ptr_null(fl.words);
	ck_assert_uint_eq(fl.n_pairs, 0);
	free(text);
}
END_TEST

/* A list of NUL bytes without a newline (--from /dev/zero) ends at the cap. */
START_TEST(read_endless_line)
{
	size_t size = 4 * (size_t)FILE_LIST_LINE_MAX;
	char *zeros = calloc(1, size);
	struct file_list fl;
	unsigned int bad = 0;
	FILE *f;

	ck_assert_ptr_nonnull(zeros);
	f = fmemopen(zeros, size, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(file_list_read(f, &fl, &bad, &why), -1);
	ck_assert_uint_eq(bad, 1);
	ck_assert_ptr_nonnull(strstr(why, "too long"));
	/* it stopped reading at the cap */
	ck_assert_int_le(ftell(f), FILE_LIST_LINE_MAX + 1);
	fclose(f);
	free(zeros);
}
END_TEST

/* FILE_LIST_PAIRS_MAX pairs are read; one more is refused, at its line. */
START_TEST(read_pairs_cap)
{
	size_t i, len = 0, cap = (FILE_LIST_PAIRS_MAX + 2) * 8;
	char *text = malloc(cap);
	struct file_list fl;
	unsigned int bad = 0;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, cap - len, "# c\n");
	for (i = 0; i < FILE_LIST_PAIRS_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len, "/r /l\n");
	ck_assert_int_eq(read_text(text, &fl, &bad), 0);
	ck_assert_uint_eq(fl.n_pairs, FILE_LIST_PAIRS_MAX);
	file_list_free(&fl);
	snprintf(text + len, cap - len, "/r /l\n");
	ck_assert_int_eq(read_text(text, &fl, &bad), -1);
	ck_assert_uint_eq(bad, FILE_LIST_PAIRS_MAX + 2);
	ck_assert_ptr_nonnull(strstr(why, "more than 65536 pairs"));
	ck_assert_ptr_null(fl.words);
	ck_assert_uint_eq(fl.n_pairs, 0);
	free(text);
}
END_TEST

/* A stream that gives two pairs, then fails: the list is not taken in part. */
static int fail_reads;

static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
	static const char part[] = "/srv/1 /tmp/1\n/srv/2 /tmp/2\n";
	size_t *pos = cookie;

	if (*pos >= sizeof(part) - 1) {
		fail_reads++;
		errno = EIO;
		return -1;
	}
	if (size > sizeof(part) - 1 - *pos)
		size = sizeof(part) - 1 - *pos;
	memcpy(buf, part + *pos, size);
	*pos += size;
	return (ssize_t)size;
}

START_TEST(read_error_is_not_the_end)
{
	cookie_io_functions_t io = { .read = failing_read };
	struct file_list fl;
	unsigned int bad = 99;
	size_t pos = 0;
	FILE *f = fopencookie(&pos, "r", io);

	ck_assert_ptr_nonnull(f);
	fail_reads = 0;
	ck_assert_int_eq(file_list_read(f, &fl, &bad, &why), -1);
	ck_assert_int_ge(fail_reads, 1);
	ck_assert_uint_eq(bad, 0);		/* no line's fault */
	ck_assert_str_eq(why, strerror(EIO));
	ck_assert_ptr_null(fl.words);
	ck_assert_uint_eq(fl.n_pairs, 0);
	fclose(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kbitsctl-filelist");
	TCase *tc = tcase_create("line");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, a_pair);
	tcase_add_test(tc, blanks_around_and_between);
	tcase_add_test(tc, crlf);
	tcase_add_test(tc, blank_and_comment_lines);
	tcase_add_test(tc, comment_after_a_pair);
	tcase_add_test(tc, hash_inside_a_name_is_kept);
	tcase_add_test(tc, quoted_names);
	tcase_add_test(tc, quoted_escapes);
	tcase_add_test(tc, empty_quoted_name_is_a_name);
	tcase_add_test(tc, one_name);
	tcase_add_test(tc, three_names);
	tcase_add_test(tc, bad_quotes);
	tcase_add_test(tc, nul_byte);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_test(tc, read_a_list);
	tcase_add_test(tc, read_many);
	tcase_add_test(tc, read_nothing);
	tcase_add_test(tc, read_stops_at_a_bad_line);
	tcase_add_test(tc, read_line_length_cap);
	tcase_add_test(tc, read_endless_line);
	tcase_add_test(tc, read_pairs_cap);
	tcase_add_test(tc, read_error_is_not_the_end);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
