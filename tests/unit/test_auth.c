// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kbitsd's reading of a job's secrets from its record
 * (tools/kbitsd/auth.c, record_secrets()): version-3 records built here,
 * valid ones read (the pair of the strongest scheme, only the schemes that
 * share it, write-only headers), and every length that does not add up
 * refused with -EINVAL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "kbitsd.h"

struct cred_spec {
	uint32_t target, scheme;
	const char *user, *password;
	size_t password_len;	/* 0: strlen(password) */
};

static unsigned char buf[8192];
static size_t len;
static struct net_settings ns;

/*
 * A version-3 record: @headers (write-only with @wo), @n creds, one file;
 * its length in len.  @extra bytes of junk at the end when nonzero.
 */
static void build(const char *headers, bool wo, const struct cred_spec *c, size_t n,
		  size_t extra)
{
	struct kbits_job_record h;
	struct kbits_record_file f;
	unsigned char *p = buf + KBITS_JOB_RECORD_SIZE_VER4;
	size_t i;

	memset(buf, 0, sizeof(buf));
	memset(&h, 0, sizeof(h));
	h.magic = KBITS_RECORD_MAGIC;
	h.version = 3;
	h.header_size = KBITS_JOB_RECORD_SIZE_VER4;
	h.type = KBITS_JOB_TYPE_DOWNLOAD;
	h.display_name_len = 3;
	h.http_headers_len = (uint32_t)strlen(headers);
	h.file_size = KBITS_RECORD_FILE_SIZE_VER1;
	h.notify_cmd_len = 3;
	h.nr_creds = (uint32_t)n;
	h.nr_files = 1;
	h.flags = wo ? KBITS_RECORD_HEADERS_WRITE_ONLY : 0;
	memcpy(p, "job", 3);
	p += 3;
	memcpy(p, headers, h.http_headers_len);
	p += h.http_headers_len;
	memcpy(p, "/x\0", 3);
	p += 3;
	for (i = 0; i < n; i++) {
		struct kbits_record_cred rc = {
			.target = c[i].target, .scheme = c[i].scheme,
			.user_len = (uint32_t)strlen(c[i].user),
			.password_len = (uint32_t)(c[i].password_len ? c[i].password_len :
						  strlen(c[i].password)),
		};

		memcpy(p, &rc, sizeof(rc));
		p += sizeof(rc);
		memcpy(p, c[i].user, rc.user_len);
		p += rc.user_len;
		memcpy(p, c[i].password, rc.password_len);
		p += rc.password_len;
	}
	memset(&f, 0, sizeof(f));
	f.remote_len = 4;
	f.local_len = 2;
	memcpy(p, &f, sizeof(f));
	p += KBITS_RECORD_FILE_SIZE_VER1;
	memcpy(p, "http/a", 6);
	p += 6 + extra;
	len = (size_t)(p - buf);
	h.length = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
}

/* transfer.c's net_settings_release(), without linking libcurl */
static void release(void)
{
	free(ns.http_headers);
	net_auth_release(&ns.server);
	net_auth_release(&ns.proxy);
	memset(&ns, 0, sizeof(ns));
}

static int read_secrets(void)
{
	release();
	return record_secrets(buf, len, &ns);
}

static void teardown(void)
{
	release();
}

#define S(x) (1U << KBITS_AUTH_SCHEME_##x)
#define SRV KBITS_AUTH_TARGET_SERVER
#define PRX KBITS_AUTH_TARGET_PROXY

START_TEST(valid_record)
{
	const struct cred_spec c[] = {
		{ SRV, KBITS_AUTH_SCHEME_BASIC, "u", "basicpw", 0 },
		{ SRV, KBITS_AUTH_SCHEME_NTLM, "u", "ntlmpw", 0 },
		{ SRV, KBITS_AUTH_SCHEME_DIGEST, "u", "ntlmpw", 0 },
		{ PRX, KBITS_AUTH_SCHEME_DIGEST, "p", "proxypw", 0 },
	};

	build("X-Token: t", true, c, 4, 0);
	ck_assert_int_eq(read_secrets(), 0);
	/* NTLM is the strongest: its pair, Digest shares it, Basic not */
	ck_assert_uint_eq(ns.server.set, S(BASIC) | S(DIGEST) | S(NTLM));
	ck_assert_uint_eq(ns.server.offered, S(DIGEST) | S(NTLM));
	ck_assert_str_eq(ns.server.user, "u");
	ck_assert_str_eq(ns.server.password, "ntlmpw");
	ck_assert_uint_eq(ns.proxy.set, S(DIGEST));
	ck_assert_uint_eq(ns.proxy.offered, S(DIGEST));
	ck_assert_str_eq(ns.proxy.user, "p");
	ck_assert_str_eq(ns.proxy.password, "proxypw");
	ck_assert(ns.headers_write_only);
	ck_assert_str_eq(ns.http_headers, "X-Token: t");
}
END_TEST

START_TEST(empty_pair_and_readable_headers)
{
	const struct cred_spec c[] = {
		{ SRV, KBITS_AUTH_SCHEME_NEGOTIATE, "", "", 0 },
		{ SRV, KBITS_AUTH_SCHEME_BASIC, "", "", 0 },
	};

	build("X-A: b", false, c, 2, 0);
	ns.http_headers = strdup("from the job fd");
	ck_assert_int_eq(record_secrets(buf, len, &ns), 0);
	ck_assert_uint_eq(ns.server.offered, S(NEGOTIATE) | S(BASIC));
	ck_assert_str_eq(ns.server.user, "");
	ck_assert_str_eq(ns.server.password, "");
	ck_assert_uint_eq(ns.proxy.offered, 0);
	ck_assert_ptr_null(ns.proxy.user);
	/* not write-only: the headers read through the job fd stay */
	ck_assert(!ns.headers_write_only);
	ck_assert_str_eq(ns.http_headers, "from the job fd");
}
END_TEST

START_TEST(older_record_has_none)
{
	struct kbits_job_record h;

	build("", false, NULL, 0, 0);
	memcpy(&h, buf, sizeof(h));
	h.version = 2;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(read_secrets(), 0);
	ck_assert_uint_eq(ns.server.set | ns.proxy.set, 0);
}
END_TEST

START_TEST(lengths_must_add_up)
{
	const struct cred_spec c[] = { { SRV, KBITS_AUTH_SCHEME_BASIC, "u", "pw", 0 } };
	struct kbits_job_record h;

	build("", false, c, 1, 0);
	ck_assert_int_eq(read_secrets(), 0);
	/* junk after the last file */
	build("", false, c, 1, 1);
	ck_assert_int_eq(read_secrets(), -EINVAL);
	/* @length not the buffer's */
	build("", false, c, 1, 0);
	ck_assert_int_eq(record_secrets(buf, len - 1, &ns), -EINVAL);
	/* a password longer than what is left */
	build("", false, c, 1, 0);
	memcpy(&h, buf, sizeof(h));
	{
		struct kbits_record_cred rc;
		size_t off = h.header_size + 3 + 0 + 3;

		memcpy(&rc, buf + off, sizeof(rc));
		rc.password_len = 100000;
		memcpy(buf + off, &rc, sizeof(rc));
	}
	ck_assert_int_eq(read_secrets(), -EINVAL);
	/* one credential more than there is */
	build("", false, c, 1, 0);
	memcpy(&h, buf, sizeof(h));
	h.nr_creds = 2;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(read_secrets(), -EINVAL);
	/* more than the kernel's 8 */
	h.nr_creds = 9;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(read_secrets(), -EINVAL);
	/* strings longer than the record */
	build("", false, c, 1, 0);
	memcpy(&h, buf, sizeof(h));
	h.display_name_len = 0xffffffffU;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(read_secrets(), -EINVAL);
	/* a header shorter than version 3's, or reserved set */
	build("", false, c, 1, 0);
	memcpy(&h, buf, sizeof(h));
	h.header_size = KBITS_JOB_RECORD_SIZE_VER3;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(read_secrets(), -EINVAL);
	build("", false, c, 1, 0);
	memcpy(&h, buf, sizeof(h));
	h.reserved = 1;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(read_secrets(), -EINVAL);
	/* nothing was kept from a refused record */
	ck_assert_ptr_null(ns.server.password);
}
END_TEST

START_TEST(bad_credentials)
{
	const struct cred_spec dup[] = {
		{ SRV, KBITS_AUTH_SCHEME_BASIC, "u", "a", 0 },
		{ SRV, KBITS_AUTH_SCHEME_BASIC, "v", "b", 0 },
	};
	const struct cred_spec target[] = { { 3, KBITS_AUTH_SCHEME_BASIC, "u", "a", 0 } };
	const struct cred_spec scheme[] = { { SRV, 5, "u", "a", 0 } };
	const struct cred_spec nul[] = { { SRV, KBITS_AUTH_SCHEME_BASIC, "u", "a\0b", 3 } };

	build("", false, dup, 2, 0);
	ck_assert_int_eq(read_secrets(), -EINVAL);
	build("", false, target, 1, 0);
	ck_assert_int_eq(read_secrets(), -EINVAL);
	build("", false, scheme, 1, 0);
	ck_assert_int_eq(read_secrets(), -EINVAL);
	build("", false, nul, 1, 0);
	ck_assert_int_eq(read_secrets(), -EINVAL);
}
END_TEST

START_TEST(scheme_names)
{
	char b[64];

	ck_assert_uint_eq(auth_scheme_names(0, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "");
	auth_scheme_names(S(BASIC) | S(NEGOTIATE) | S(DIGEST), b, sizeof(b));
	ck_assert_str_eq(b, "negotiate, digest, basic");
	/* cut to whole names, never overrun; no room at all: nothing written */
	ck_assert_uint_eq(auth_scheme_names(S(BASIC), b + 63, 0), 0);
	auth_scheme_names(S(BASIC) | S(NEGOTIATE), b, 12);
	ck_assert_str_eq(b, "negotiate");
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("record");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, valid_record);
	tcase_add_test(tc, empty_pair_and_readable_headers);
	tcase_add_test(tc, older_record_has_none);
	tcase_add_test(tc, lengths_must_add_up);
	tcase_add_test(tc, bad_credentials);
	tcase_add_test(tc, scheme_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
