// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of kbits's pure logic: UTF-8 validation, the HTTP header
 * rules, file names, the record parser (each corruption class IMPORT
 * refuses), the user's state rules and the per-user job counts.
 *
 * How this reaches the module's insides: this is a module of its own,
 * kbits_kunit.ko, which calls into the loaded kbits.ko.  It is built only
 * on request, `make -C KDIR M=... KBITS_KUNIT=y modules` against a kernel
 * with CONFIG_KUNIT (kmod/Kbuild; the debug lane of tests/run-all does so),
 * and that build is then for testing only: with KBITS_KUNIT the functions
 * tested here are non-static in kbits.ko too, and exported to the
 * EXPORTED_FOR_KUNIT_TESTING namespace only (VISIBLE_IF_KUNIT and
 * EXPORT_SYMBOL_IF_KUNIT() in kbits.h).  Without it, whatever the kernel's
 * CONFIG_KUNIT (Debian's has none, Fedora's and Ubuntu's have =m), kbits.ko
 * is built as before, DKMS included, and no test.  So the code under test
 * is the module's own object code, its globals exist once, its init runs
 * once (kbits.ko's).  #including the .c files here instead would have made
 * a second copy of the queue, the limits and the agent's state.  The
 * module's ioctls keep their own tests in tests/selftests/; these reach the
 * parsers and rules directly, without a VM round trip per case.
 *
 * Run: insmod kbits.ko; insmod kbits_kunit.ko (the suites run while it
 * loads; KTAP in the kernel log); rmmod kbits_kunit.  The charge suite
 * checks moves against limits of its own, never the module's max_jobs and
 * max_jobs_per_user, so real users' jobs meanwhile are not refused; it
 * needs no job counted against the uids it uses (4000000001 and up), and
 * its system-wide counts assume no other job is created or freed while it
 * runs.
 */
#include <kunit/test.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>

#include "kbits.h"

/* UTF-8 */

struct kb_utf8_case {
	const char *s;
	size_t len;
	bool valid;
};

#define KB_UTF8(str, ok) { str, sizeof(str) - 1, ok }

static const struct kb_utf8_case kb_utf8_valid[] = {
	KB_UTF8("", true),
	KB_UTF8("plain ASCII ~\x7f", true),
	KB_UTF8("\xc2\x80", true),			/* U+0080, 2 bytes */
	KB_UTF8("\xdf\xbf", true),			/* U+07FF */
	KB_UTF8("\xe0\xa0\x80", true),			/* U+0800, 3 bytes */
	KB_UTF8("\xed\x9f\xbf", true),			/* U+D7FF */
	KB_UTF8("\xee\x80\x80", true),			/* U+E000 */
	KB_UTF8("\xef\xbf\xbf", true),			/* U+FFFF */
	KB_UTF8("\xf0\x90\x80\x80", true),		/* U+10000, 4 bytes */
	KB_UTF8("\xf4\x8f\xbf\xbf", true),		/* U+10FFFF */
	KB_UTF8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true),
};

static const struct kb_utf8_case kb_utf8_overlong[] = {
	KB_UTF8("\xc0\x80", false),			/* NUL in 2 bytes */
	KB_UTF8("\xc0\xaf", false),			/* '/' in 2 bytes */
	KB_UTF8("\xc1\xbf", false),			/* U+007F in 2 */
	KB_UTF8("\xe0\x80\x80", false),
	KB_UTF8("\xe0\x80\xaf", false),			/* '/' in 3 bytes */
	KB_UTF8("\xe0\x9f\xbf", false),			/* U+07FF in 3 */
	KB_UTF8("\xf0\x80\x80\x80", false),
	KB_UTF8("\xf0\x80\x80\xaf", false),		/* '/' in 4 bytes */
	KB_UTF8("\xf0\x8f\xbf\xbf", false),		/* U+FFFF in 4 */
};

static const struct kb_utf8_case kb_utf8_surrogates[] = {
	KB_UTF8("\xed\xa0\x80", false),			/* U+D800 */
	KB_UTF8("\xed\xad\xbf", false),			/* U+DB7F */
	KB_UTF8("\xed\xb0\x80", false),			/* U+DC00 */
	KB_UTF8("\xed\xbf\xbf", false),			/* U+DFFF */
	KB_UTF8("\xed\xa0\xbd\xed\xb8\x80", false),	/* a CESU-8 pair */
};

static const struct kb_utf8_case kb_utf8_truncated[] = {
	KB_UTF8("\xc3", false),
	KB_UTF8("ab\xc3", false),
	KB_UTF8("\xe2\x82", false),
	KB_UTF8("\xe2", false),
	KB_UTF8("\xf0\x9f\x98", false),
	KB_UTF8("\xf0\x9f", false),
	KB_UTF8("\xf0", false),
	KB_UTF8("\xc3(", false),			/* not a continuation */
	KB_UTF8("\xe2\x28\xa1", false),
	KB_UTF8("\xf0\x9f\x98(", false),
};

static const struct kb_utf8_case kb_utf8_other[] = {
	KB_UTF8("a\0b", false),				/* NUL */
	KB_UTF8("\0", false),
	KB_UTF8("\x80", false),				/* lone continuation */
	KB_UTF8("a\xbf", false),
	KB_UTF8("\xf4\x90\x80\x80", false),		/* U+110000 */
	KB_UTF8("\xf7\xbf\xbf\xbf", false),
	KB_UTF8("\xf8\x88\x80\x80\x80", false),		/* 5 bytes */
	KB_UTF8("\xfc\x84\x80\x80\x80\x80", false),	/* 6 bytes */
	KB_UTF8("\xfe", false),
	KB_UTF8("\xff", false),
};

static void kb_utf8_check(struct kunit *test, const struct kb_utf8_case *c,
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, kbits_valid_utf8((const u8 *)c[i].s,
							   c[i].len),
				    c[i].valid, "case %zu: %*ph", i,
				    (int)c[i].len, c[i].s);
}

static void kbits_utf8_valid_test(struct kunit *test)
{
	kb_utf8_check(test, kb_utf8_valid, ARRAY_SIZE(kb_utf8_valid));
}

static void kbits_utf8_overlong_test(struct kunit *test)
{
	kb_utf8_check(test, kb_utf8_overlong, ARRAY_SIZE(kb_utf8_overlong));
}

static void kbits_utf8_surrogate_test(struct kunit *test)
{
	kb_utf8_check(test, kb_utf8_surrogates,
		      ARRAY_SIZE(kb_utf8_surrogates));
}

static void kbits_utf8_truncated_test(struct kunit *test)
{
	kb_utf8_check(test, kb_utf8_truncated, ARRAY_SIZE(kb_utf8_truncated));
}

static void kbits_utf8_other_test(struct kunit *test)
{
	kb_utf8_check(test, kb_utf8_other, ARRAY_SIZE(kb_utf8_other));
}

/* A length shorter than the buffer: the check stops at it. */
static void kbits_utf8_length_test(struct kunit *test)
{
	static const u8 s[] = "ok\xe2\x82\xac";

	KUNIT_EXPECT_TRUE(test, kbits_valid_utf8(s, 2));
	KUNIT_EXPECT_FALSE(test, kbits_valid_utf8(s, 3));
	KUNIT_EXPECT_FALSE(test, kbits_valid_utf8(s, 4));
	KUNIT_EXPECT_TRUE(test, kbits_valid_utf8(s, 5));
	KUNIT_EXPECT_FALSE(test, kbits_valid_utf8(s, 6));	/* its NUL */
}

static struct kunit_case kbits_utf8_cases[] = {
	KUNIT_CASE(kbits_utf8_valid_test),
	KUNIT_CASE(kbits_utf8_overlong_test),
	KUNIT_CASE(kbits_utf8_surrogate_test),
	KUNIT_CASE(kbits_utf8_truncated_test),
	KUNIT_CASE(kbits_utf8_other_test),
	KUNIT_CASE(kbits_utf8_length_test),
	{}
};

static struct kunit_suite kbits_utf8_suite = {
	.name = "kbits_utf8",
	.test_cases = kbits_utf8_cases,
};

/* HTTP headers */

/* RFC 9110's tchar, written out once more. */
static void kbits_http_tchar_test(struct kunit *test)
{
	unsigned int c;
	bool want;

	for (c = 0; c < 256; c++) {
		want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		       (c >= 'A' && c <= 'Z') ||
		       (c && strchr("!#$%&'*+-.^_`|~", c));
		KUNIT_EXPECT_EQ_MSG(test, kbits_http_tchar(c), want,
				    "byte 0x%02x", c);
	}
}

static const char * const kb_headers_ok[] = {
	"A: b",
	"A:",
	"A:b",
	"X-Custom: value\r\n",
	"A: b\r\nB: c",
	"A: b\r\nB: c\r\n",
	"A:\tb\t",
	"Accept-Language: caf\xc3\xa9",		/* bytes >= 0x80 in a value */
	"!#$%&'*+-.^_`|~09azAZ: x",
	"A: b: c",
};

static const char * const kb_headers_bad[] = {
	"",				/* no line */
	": b",				/* empty name */
	"A b: c",			/* space in the name */
	"A : b",
	"A",				/* no colon */
	"A\r\n",
	"A: b\nB: c",			/* a bare LF */
	"A: b\rB: c",			/* a lone CR */
	"A: b\r",
	"A: b\r\n\r\n",			/* an empty line */
	"A: b\r\n\r\nB: c",
	"\r\nA: b",
	"A: b\x01",			/* control characters */
	"A: \x1f",
	"A: b\x7f",
	"\xc3\xa9: x",			/* a name not ASCII */
	"A\x7f: b",
	"A(: b",			/* a separator */
	"A: b\r\nB",
};

static void kbits_http_headers_ok_test(struct kunit *test)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kb_headers_ok); i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      kbits_http_headers_ok(kb_headers_ok[i]),
				      "\"%s\"", kb_headers_ok[i]);
}

static void kbits_http_headers_bad_test(struct kunit *test)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kb_headers_bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       kbits_http_headers_ok(kb_headers_bad[i]),
				       "\"%s\"", kb_headers_bad[i]);
}

static struct kunit_case kbits_http_cases[] = {
	KUNIT_CASE(kbits_http_tchar_test),
	KUNIT_CASE(kbits_http_headers_ok_test),
	KUNIT_CASE(kbits_http_headers_bad_test),
	{}
};

static struct kunit_suite kbits_http_suite = {
	.name = "kbits_http",
	.test_cases = kbits_http_cases,
};

/* Files */

static void kbits_remote_name_test(struct kunit *test)
{
	static const char * const ok[] = {
		"/a", "/", "file:///a", "FILE:///x", "http://h", "HTTP://h/x",
		"https://h", "hTtPs://example.test/a?b#c",
	};
	static const char * const bad[] = {
		"", "a", "./a", "file://host/a", "file://", "file:/a",
		"http://", "https://", "http:/h", "ftp://h/a", "htt",
		"https:", " /a",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		KUNIT_EXPECT_TRUE_MSG(test, kbits_remote_name_ok(ok[i]),
				      "\"%s\"", ok[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, kbits_remote_name_ok(bad[i]),
				       "\"%s\"", bad[i]);
}

static void kbits_file_names_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, kbits_file_names_ok("http://h/a", "/tmp/a"));
	KUNIT_EXPECT_TRUE(test, kbits_file_names_ok("/srv/a", "/"));
	KUNIT_EXPECT_FALSE(test, kbits_file_names_ok("http://h/a", "tmp/a"));
	KUNIT_EXPECT_FALSE(test, kbits_file_names_ok("http://h/a", ""));
	KUNIT_EXPECT_FALSE(test, kbits_file_names_ok("ftp://h/a", "/tmp/a"));
	KUNIT_EXPECT_FALSE(test, kbits_file_names_ok("", "/tmp/a"));
}

/*
 * Digest bytes only with KBITS_FILE_SHA256, and that flag only with a
 * digest that is not all zero, of a download.
 */
static void kbits_file_sha256_test(struct kunit *test)
{
	const u32 dl = KBITS_JOB_TYPE_DOWNLOAD, up = KBITS_JOB_TYPE_UPLOAD;
	u8 d[KBITS_SHA256_SIZE] = {};

	KUNIT_EXPECT_TRUE(test, kbits_file_sha256_ok(0, d, dl));
	KUNIT_EXPECT_TRUE(test, kbits_file_sha256_ok(0, d, up));
	KUNIT_EXPECT_FALSE(test, kbits_file_sha256_ok(KBITS_FILE_SHA256, d, dl));
	d[KBITS_SHA256_SIZE - 1] = 1;
	KUNIT_EXPECT_FALSE(test, kbits_file_sha256_ok(0, d, dl));
	KUNIT_EXPECT_FALSE(test,
			   kbits_file_sha256_ok(KBITS_FILE_COMPLETED, d, dl));
	KUNIT_EXPECT_TRUE(test, kbits_file_sha256_ok(KBITS_FILE_SHA256, d, dl));
	KUNIT_EXPECT_FALSE(test, kbits_file_sha256_ok(KBITS_FILE_SHA256, d, up));
	KUNIT_EXPECT_FALSE(test,
			   kbits_file_sha256_ok(KBITS_FILE_SHA256, d,
						KBITS_JOB_TYPE_UPLOAD_REPLY));
	d[KBITS_SHA256_SIZE - 1] = 0;
	d[0] = 0x80;
	KUNIT_EXPECT_FALSE(test, kbits_file_sha256_ok(0, d, dl));
}

/* A notify command: NUL-ended UTF-8 arguments, the first an absolute path. */
static void kbits_notify_cmd_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, kbits_notify_cmd_ok("/bin/true", 10));
	KUNIT_EXPECT_TRUE(test, kbits_notify_cmd_ok("/p\0\0x", 6));
	KUNIT_EXPECT_TRUE(test, kbits_notify_cmd_ok("/p\0caf\xc3\xa9", 9));
	KUNIT_EXPECT_FALSE(test, kbits_notify_cmd_ok("/bin/true", 9));
	KUNIT_EXPECT_FALSE(test, kbits_notify_cmd_ok("/bin/true", 0));
	KUNIT_EXPECT_FALSE(test, kbits_notify_cmd_ok("bin/true", 9));
	KUNIT_EXPECT_FALSE(test, kbits_notify_cmd_ok("", 1));
	KUNIT_EXPECT_FALSE(test, kbits_notify_cmd_ok("/p\0caf\xc3", 8));
	KUNIT_EXPECT_FALSE(test, kbits_notify_cmd_ok("/p\0\xed\xa0\x80", 7));
}

/* Progress sums saturate below KBITS_SIZE_UNKNOWN, never wrap. */
static void kbits_cred_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kbits_cred_index(KBITS_AUTH_TARGET_SERVER,
					       KBITS_AUTH_SCHEME_BASIC), 0);
	KUNIT_EXPECT_EQ(test, kbits_cred_index(KBITS_AUTH_TARGET_PROXY,
					       KBITS_AUTH_SCHEME_NEGOTIATE),
			KBITS_CREDS_MAX - 1);
	KUNIT_EXPECT_EQ(test, kbits_cred_index(0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kbits_cred_index(3, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kbits_cred_index(1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kbits_cred_index(1, 5), -EINVAL);	/* Passport */
	KUNIT_EXPECT_TRUE(test, kbits_cred_user_ok("", KBITS_AUTH_SCHEME_BASIC));
	KUNIT_EXPECT_TRUE(test, kbits_cred_user_ok("DOMAIN\\al ice\xc3\xa9",
						   KBITS_AUTH_SCHEME_NTLM));
	KUNIT_EXPECT_FALSE(test, kbits_cred_user_ok("a:b",
						    KBITS_AUTH_SCHEME_BASIC));
	KUNIT_EXPECT_TRUE(test, kbits_cred_user_ok("a:b",
						   KBITS_AUTH_SCHEME_DIGEST));
	KUNIT_EXPECT_FALSE(test, kbits_cred_user_ok("a\r\nX: y",
						    KBITS_AUTH_SCHEME_DIGEST));
	KUNIT_EXPECT_FALSE(test, kbits_cred_user_ok("a\x7f",
						    KBITS_AUTH_SCHEME_NTLM));
}

static void kbits_add_sat_test(struct kunit *test)
{
	const u64 top = KBITS_SIZE_UNKNOWN - 1;

	KUNIT_EXPECT_EQ(test, kbits_add_sat(0, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(1, 2), 3ULL);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(top - 1, 1), top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(top, 0), top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(top, 1), top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(1, top), top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(U64_MAX, 1), top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(U64_MAX / 2 + 1, U64_MAX / 2 + 1),
			top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(U64_MAX / 2, U64_MAX / 2), top);
	KUNIT_EXPECT_EQ(test, kbits_add_sat(U64_MAX / 2, U64_MAX / 2 - 1),
			top - 1);
}

static struct kunit_case kbits_files_cases[] = {
	KUNIT_CASE(kbits_remote_name_test),
	KUNIT_CASE(kbits_file_names_test),
	KUNIT_CASE(kbits_file_sha256_test),
	KUNIT_CASE(kbits_notify_cmd_test),
	KUNIT_CASE(kbits_cred_test),
	KUNIT_CASE(kbits_add_sat_test),
	{}
};

static struct kunit_suite kbits_files_suite = {
	.name = "kbits_files",
	.test_cases = kbits_files_cases,
};

/* Records */

/* A record to encode: its header, strings and files. */
struct kb_rec {
	struct kbits_job_record h;
	size_t hsize;		/* header bytes written: a version's size */
	size_t fsize;		/* bytes written of each file's struct */
	/* display name, description, error text, proxies, bypass, headers */
	const char *str[6];
	const char *notify;	/* the notify command, @notify_len bytes */
	u32 notify_len;
	const char *reply;	/* the reply file's name */
	const void *creds;	/* @nr_creds credentials, @creds_len bytes */
	u32 nr_creds;
	size_t creds_len;
	u32 nr;
	struct kbits_record_file f[2];
	const char *remote[2];
	const char *local[2];
	s32 length_fix;		/* added to h.length once computed */
	s32 name_len_fix;	/* added to h.display_name_len */
	u32 nr_fix;		/* added to h.nr_files */
	u32 trailing;		/* zero bytes after the files, counted */
};

/* A valid record of a SUSPENDED download job with one file. */
static void kb_rec_init(struct kb_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->h.magic = KBITS_RECORD_MAGIC;
	rec->h.version = KBITS_RECORD_VERSION;
	rec->h.header_size = sizeof(rec->h);
	rec->hsize = sizeof(rec->h);
	rec->h.file_size = sizeof(rec->f[0]);
	rec->fsize = sizeof(rec->f[0]);
	memcpy(rec->h.id, "kbits kunit job!", sizeof(rec->h.id));
	rec->h.owner = 1000;
	rec->h.type = KBITS_JOB_TYPE_DOWNLOAD;
	rec->h.state = KBITS_JOB_STATE_SUSPENDED;
	rec->h.priority = KBITS_PRIORITY_HIGH;
	rec->h.notify_flags = KBITS_NOTIFY_ALL;
	rec->h.min_retry_delay = 60;
	rec->h.no_progress_timeout = 3600;
	rec->h.error_count = 2;
	rec->h.creation_time = 1000;
	rec->h.modification_time = 2000;
	rec->h.error_file_index = 0;
	rec->h.flags = KBITS_RECORD_EXEMPT;
	rec->h.max_download_time = 86400;
	rec->h.transfer_time = 7;
	rec->str[0] = "kunit job";
	rec->nr = 1;
	rec->f[0].bytes_total = 100;
	rec->f[0].bytes_transferred = 10;
	rec->f[0].mode = 0644;
	rec->remote[0] = "https://example.test/a";
	rec->local[0] = "/tmp/a";
}

static size_t kb_strlen(const char *s)
{
	return s ? strlen(s) : 0;
}

static u8 *kb_put(u8 *p, const void *src, size_t len)
{
	if (len)
		memcpy(p, src, len);
	return p + len;
}

/* @rec's bytes, in memory the test frees; their length in *@lenp. */
static u8 *kb_rec_encode(struct kunit *test, struct kb_rec *rec, size_t *lenp)
{
	struct kbits_job_record *h = &rec->h;
	u32 *lens[6] = {
		&h->display_name_len, &h->description_len, &h->error_text_len,
		&h->proxy_list_len, &h->proxy_bypass_len, &h->http_headers_len,
	};
	size_t len = rec->hsize;
	u8 *buf, *p;
	u32 i;

	for (i = 0; i < 6; i++) {
		*lens[i] = kb_strlen(rec->str[i]);
		len += *lens[i];
	}
	h->notify_cmd_len = rec->notify_len;
	len += rec->notify_len;
	h->reply_file_len = kb_strlen(rec->reply);
	h->nr_creds = rec->nr_creds;
	len += h->reply_file_len + rec->creds_len;
	for (i = 0; i < rec->nr; i++) {
		rec->f[i].remote_len = kb_strlen(rec->remote[i]);
		rec->f[i].local_len = kb_strlen(rec->local[i]);
		len += rec->fsize + rec->f[i].remote_len +
		       rec->f[i].local_len;
	}
	len += rec->trailing;
	h->nr_files = rec->nr + rec->nr_fix;
	h->length = len + rec->length_fix;
	h->display_name_len += rec->name_len_fix;

	buf = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	p = kb_put(buf, h, rec->hsize);
	for (i = 0; i < 6; i++)
		p = kb_put(p, rec->str[i], kb_strlen(rec->str[i]));
	p = kb_put(p, rec->notify, rec->notify_len);
	p = kb_put(p, rec->reply, h->reply_file_len);
	p = kb_put(p, rec->creds, rec->creds_len);
	for (i = 0; i < rec->nr; i++) {
		p = kb_put(p, &rec->f[i], rec->fsize);
		p = kb_put(p, rec->remote[i], rec->f[i].remote_len);
		p = kb_put(p, rec->local[i], rec->f[i].local_len);
	}
	*lenp = len;
	return buf;
}

/* What kbits_record_parse() makes of @rec: 0 or its errno. */
static int kb_rec_parse(struct kunit *test, struct kb_rec *rec)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	size_t len;
	u8 *buf;

	buf = kb_rec_encode(test, rec, &len);
	job = kbits_record_parse(buf, len, &r);
	if (IS_ERR(job))
		return PTR_ERR(job);
	kbits_job_put(job);
	return 0;
}

/* A string of @len bytes, "/" then "a"s. */
static const char *kb_long(struct kunit *test, size_t len)
{
	char *s = kunit_kzalloc(test, len + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	memset(s, 'a', len);
	s[0] = '/';
	return s;
}

/*
 * Expects IMPORT's parser to refuse the valid record changed by @change,
 * statements on `rec` (a struct kb_rec *); a failure names them.
 */
#define KB_REJECTS(test, change)					\
	do {								\
		struct kunit *t_ = (test);				\
		struct kb_rec rec_;					\
		struct kb_rec *rec = &rec_;				\
									\
		kb_rec_init(rec);					\
		change;							\
		KUNIT_EXPECT_EQ_MSG(t_, kb_rec_parse(t_, rec), -EINVAL,	\
				    "accepted: %s", #change);		\
	} while (0)

/* The same, for a change IMPORT must accept. */
#define KB_ACCEPTS(test, change)					\
	do {								\
		struct kunit *t_ = (test);				\
		struct kb_rec rec_;					\
		struct kb_rec *rec = &rec_;				\
									\
		kb_rec_init(rec);					\
		change;							\
		KUNIT_EXPECT_EQ_MSG(t_, kb_rec_parse(t_, rec), 0,	\
				    "refused: %s", #change);		\
	} while (0)

static void kbits_record_valid_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kb_rec rec;
	time64_t now;
	size_t len;
	u8 *buf;

	kb_rec_init(&rec);
	rec.str[1] = "a description";
	rec.str[3] = "http://proxy.test:3128";
	rec.str[4] = "*.local";
	rec.str[5] = "X-A: 1\r\nX-B: 2\r\n";
	rec.h.proxy_usage = KBITS_PROXY_OVERRIDE;
	rec.h.state = KBITS_JOB_STATE_TRANSFERRING;
	rec.h.completion_time = -5;
	rec.h.modification_time = S64_MAX;
	rec.nr = 2;
	rec.f[1].bytes_total = 5;
	rec.f[1].bytes_transferred = 5;
	rec.f[1].flags = KBITS_FILE_COMPLETED;
	rec.remote[1] = "file:///srv/b";
	rec.local[1] = "/tmp/b";
	buf = kb_rec_encode(test, &rec, &len);

	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	now = ktime_get_real_seconds();
	KUNIT_EXPECT_EQ(test, memcmp(&job->id, rec.h.id, sizeof(job->id)), 0);
	KUNIT_EXPECT_EQ(test, __kuid_val(job->owner), 1000U);
	/* no agent holds an imported job */
	KUNIT_EXPECT_EQ(test, job->state, (u32)KBITS_JOB_STATE_QUEUED);
	KUNIT_EXPECT_EQ(test, job->priority, (u32)KBITS_PRIORITY_HIGH);
	KUNIT_EXPECT_EQ(test, job->min_retry_delay, 60U);
	KUNIT_EXPECT_EQ(test, job->no_progress_timeout, 3600U);
	KUNIT_EXPECT_EQ(test, job->error_count, 2U);
	KUNIT_EXPECT_EQ(test, job->max_download_time, 86400U);
	KUNIT_EXPECT_EQ(test, job->ctime, (time64_t)1000);
	KUNIT_EXPECT_EQ(test, job->completion_time, (time64_t)0);
	KUNIT_EXPECT_LE(test, job->mtime, now);
	KUNIT_EXPECT_GE(test, job->mtime, now - 60);
	KUNIT_EXPECT_STREQ(test, job->display_name, "kunit job");
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->description, "a description");
	KUNIT_EXPECT_NULL(test, kbits_cold(job)->error.text);
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->proxy_usage, (u32)KBITS_PROXY_OVERRIDE);
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->proxy_list, "http://proxy.test:3128");
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->proxy_bypass, "*.local");
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->http_headers, "X-A: 1\r\nX-B: 2\r\n");
	KUNIT_ASSERT_EQ(test, job->nr_files, 2U);
	KUNIT_EXPECT_STREQ(test, job->files[0].remote, "https://example.test/a");
	KUNIT_EXPECT_STREQ(test, job->files[0].local, "/tmp/a");
	KUNIT_EXPECT_EQ(test, job->files[0].bytes_total, 100ULL);
	KUNIT_EXPECT_EQ(test, job->files[0].bytes_transferred, 10ULL);
	KUNIT_EXPECT_FALSE(test, job->files[0].completed);
	KUNIT_EXPECT_STREQ(test, job->files[1].remote, "file:///srv/b");
	KUNIT_EXPECT_TRUE(test, job->files[1].completed);
	KUNIT_EXPECT_NOT_NULL(test, job->net);	/* not FOREIGN_NS */
	kbits_job_put(job);

	/* a foreign job has no namespaces; CONNECTING is queued too */
	rec.h.flags |= KBITS_RECORD_FOREIGN_NS;
	rec.h.state = KBITS_JOB_STATE_CONNECTING;
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_NULL(test, job->net);
	KUNIT_EXPECT_EQ(test, job->state, (u32)KBITS_JOB_STATE_QUEUED);
	kbits_job_put(job);
}

/* @rec as an older module wrote it: version 1, files without mode or digest. */
static void kb_rec_v1(struct kb_rec *rec, u32 header_size)
{
	rec->h.version = 1;
	rec->h.header_size = header_size;
	rec->hsize = header_size;
	rec->fsize = KBITS_RECORD_FILE_SIZE_VER0;
}

/* Older headers: the fields they lack get their defaults. */
static void kbits_record_versions_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kb_rec rec;
	size_t len;
	u8 *buf;

	/* version 2: no reply file, no credentials */
	kb_rec_init(&rec);
	rec.h.version = 2;
	rec.h.header_size = KBITS_JOB_RECORD_SIZE_VER3;
	rec.hsize = KBITS_JOB_RECORD_SIZE_VER3;
	rec.h.nr_creds = 1;	/* not in the bytes */
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_NULL(test, kbits_cold(job)->creds);
	KUNIT_EXPECT_NULL(test, kbits_cold(job)->reply_file);
	KUNIT_EXPECT_EQ(test, job->files[0].mode, 0644);
	kbits_job_put(job);
	/* nor does a version 2 record have the current header */
	kb_rec_init(&rec);
	rec.h.version = 2;
	KUNIT_EXPECT_EQ(test, kb_rec_parse(test, &rec), -EINVAL);

	/* version 1's last header: all but the files' mode and digest */
	kb_rec_init(&rec);
	kb_rec_v1(&rec, KBITS_JOB_RECORD_SIZE_VER2);
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_EQ(test, job->max_download_time, 86400U);
	KUNIT_EXPECT_EQ(test, job->nr_files, 1U);
	if (job->nr_files == 1) {
		KUNIT_EXPECT_EQ(test, job->files[0].mode, 0600);
		KUNIT_EXPECT_FALSE(test, job->files[0].has_sha256);
		KUNIT_EXPECT_EQ(test, job->files[0].bytes_transferred, 10ULL);
	}
	kbits_job_put(job);

	/* version 1 had no digests: a file that says it has one is forged */
	kb_rec_init(&rec);
	kb_rec_v1(&rec, KBITS_JOB_RECORD_SIZE_VER2);
	rec.f[0].flags = KBITS_FILE_SHA256;
	buf = kb_rec_encode(test, &rec, &len);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kbits_record_parse(buf, len, &r)),
			(long)-EINVAL);

	kb_rec_init(&rec);
	kb_rec_v1(&rec, KBITS_JOB_RECORD_SIZE_VER1);
	rec.str[5] = "A: b";
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_EQ(test, job->max_download_time,
			(u32)KBITS_MAX_DOWNLOAD_TIME_DEFAULT);
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->http_headers, "A: b");
	kbits_job_put(job);

	kb_rec_init(&rec);
	kb_rec_v1(&rec, KBITS_JOB_RECORD_SIZE_VER0);
	rec.h.proxy_usage = KBITS_PROXY_NONE;	/* not in the bytes */
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->proxy_usage, (u32)KBITS_PROXY_SYSTEM);
	KUNIT_EXPECT_EQ(test, job->max_download_time,
			(u32)KBITS_MAX_DOWNLOAD_TIME_DEFAULT);
	KUNIT_EXPECT_NULL(test, kbits_cold(job)->http_headers);
	kbits_job_put(job);
}

/* What EXPORT makes of an imported job imports to the same bytes. */
static void kbits_record_round_trip_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kb_rec rec;
	size_t len, len2 = 0;
	u8 *buf, *buf2;

	kb_rec_init(&rec);
	rec.str[1] = "d";
	rec.str[2] = "it failed";
	rec.str[5] = "A: b";
	rec.h.state = KBITS_JOB_STATE_ERROR;
	rec.h.error_context = KBITS_ERROR_CONTEXT_REMOTE_FILE;
	rec.h.error_code = 404;
	rec.h.flags |= KBITS_RECORD_DYNAMIC_CONTENT;
	rec.f[0].flags = KBITS_FILE_SHA256;
	memset(rec.f[0].sha256, 0xa5, sizeof(rec.f[0].sha256));
	rec.f[0].mode = 0640;
	rec.notify = "/usr/bin/notify\0--done";	/* and the literal's NUL */
	rec.notify_len = 23;
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	mutex_lock(&job->lock);
	buf2 = kbits_record_make(job, &len2);
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	KUNIT_ASSERT_NOT_NULL(test, buf2);
	KUNIT_EXPECT_EQ(test, len2, len);
	if (len2 == len)
		KUNIT_EXPECT_EQ(test, memcmp(buf2, buf, len), 0);
	kvfree(buf2);
}

/*
 * A record without the settings most jobs never set makes a job without
 * their struct kbits_job_cold (@cold NULL), whose record is the same bytes:
 * a missing one reads as zero.  A record with just one of them (a
 * description; a proxy usage other than SYSTEM) makes the struct, and comes
 * back the same too.
 */
static void kbits_record_cold_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kb_rec rec;
	size_t len, len2;
	u8 *buf, *buf2;
	int i;

	for (i = 0; i < 3; i++) {
		kb_rec_init(&rec);
		if (i == 1)
			rec.str[1] = "d";
		if (i == 2)
			rec.h.proxy_usage = KBITS_PROXY_NONE;
		buf = kb_rec_encode(test, &rec, &len);
		job = kbits_record_parse(buf, len, &r);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
		if (i == 0)
			KUNIT_EXPECT_NULL(test, job->cold);
		else
			KUNIT_EXPECT_NOT_NULL(test, job->cold);
		len2 = 0;
		mutex_lock(&job->lock);
		buf2 = kbits_record_make(job, &len2);
		mutex_unlock(&job->lock);
		kbits_job_put(job);
		KUNIT_ASSERT_NOT_NULL(test, buf2);
		KUNIT_EXPECT_EQ(test, len2, len);
		if (len2 == len)
			KUNIT_EXPECT_EQ(test, memcmp(buf2, buf, len), 0);
		kvfree(buf2);
	}
}

/* One credential's bytes in a record: its header, user and password. */
static size_t kb_cred(u8 *p, u32 target, u32 scheme, const char *user,
		      const char *password)
{
	struct kbits_record_cred rc = {
		.target = target, .scheme = scheme,
		.user_len = strlen(user), .password_len = strlen(password),
	};

	memcpy(p, &rc, sizeof(rc));
	memcpy(p + sizeof(rc), user, rc.user_len);
	memcpy(p + sizeof(rc) + rc.user_len, password, rc.password_len);
	return sizeof(rc) + rc.user_len + rc.password_len;
}

/* An UPLOAD_REPLY job's record with a reply file and two credentials. */
static void kb_rec_secrets(struct kb_rec *rec, u8 *creds)
{
	rec->h.type = KBITS_JOB_TYPE_UPLOAD_REPLY;
	rec->h.flags |= KBITS_RECORD_HEADERS_WRITE_ONLY |
			KBITS_RECORD_UPLOAD_POST;
	rec->str[5] = "Authorization: Bearer t0ken";
	rec->reply = "/tmp/reply";
	rec->h.reply_mode = 0640;
	rec->creds_len = kb_cred(creds, KBITS_AUTH_TARGET_SERVER,
				 KBITS_AUTH_SCHEME_DIGEST, "alice", "s3cret");
	rec->creds_len += kb_cred(creds + rec->creds_len,
				  KBITS_AUTH_TARGET_PROXY,
				  KBITS_AUTH_SCHEME_NEGOTIATE, "", "");
	rec->creds = creds;
	rec->nr_creds = 2;
}

/* Version 3's reply file and credentials: kept, and exported the same. */
static void kbits_record_secrets_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kb_rec rec;
	size_t len, len2 = 0;
	u8 *buf, *buf2, creds[128];
	int i;

	kb_rec_init(&rec);
	kb_rec_secrets(&rec, creds);
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->reply_file, "/tmp/reply");
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->reply_mode, 0640);
	KUNIT_EXPECT_EQ(test, job->flags, KBITS_JOB_HEADERS_WRITE_ONLY |
					  KBITS_JOB_UPLOAD_POST);
	KUNIT_ASSERT_NOT_NULL(test, kbits_cold(job)->creds);
	i = kbits_cred_index(KBITS_AUTH_TARGET_SERVER, KBITS_AUTH_SCHEME_DIGEST);
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->creds[i].user, "alice");
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->creds[i].password, "s3cret");
	i = kbits_cred_index(KBITS_AUTH_TARGET_PROXY,
			     KBITS_AUTH_SCHEME_NEGOTIATE);
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->creds[i].user, "");
	mutex_lock(&job->lock);
	KUNIT_EXPECT_TRUE(test, kbits_job_has_secrets(job));
	buf2 = kbits_record_make(job, &len2);
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	KUNIT_ASSERT_NOT_NULL(test, buf2);
	KUNIT_EXPECT_EQ(test, len2, len);
	if (len2 == len)
		KUNIT_EXPECT_EQ(test, memcmp(buf2, buf, len), 0);
	kvfree(buf2);

	/* made in other namespaces: its secrets are not kept (dead until taken over) */
	kb_rec_init(&rec);
	kb_rec_secrets(&rec, creds);
	rec.h.flags |= KBITS_RECORD_FOREIGN_NS;
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_NULL(test, kbits_cold(job)->creds);
	KUNIT_EXPECT_NULL(test, kbits_cold(job)->http_headers);
	KUNIT_EXPECT_STREQ(test, kbits_cold(job)->reply_file, "/tmp/reply");
	kbits_job_put(job);

	KB_ACCEPTS(test, kb_rec_secrets(rec, creds));
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->h.reserved = 1);
	/* a reply file is an UPLOAD_REPLY job's, absolute, with a file's mode */
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->h.type = KBITS_JOB_TYPE_UPLOAD);
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->reply = "tmp/r");
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->h.reply_mode = 0777);
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->reply = NULL);
	KB_ACCEPTS(test, kb_rec_secrets(rec, creds); rec->reply = NULL;
		   rec->h.reply_mode = 0);
	/* POST is an upload's */
	KB_REJECTS(test, rec->h.flags |= KBITS_RECORD_UPLOAD_POST);
	/* credentials as SET_CREDENTIALS takes them, one per target and scheme */
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->nr_creds = 3);
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->nr_creds = 1);
	KB_REJECTS(test, kb_rec_secrets(rec, creds); rec->h.nr_creds = 9;
		   rec->nr_creds = 9);
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 3, 1, "a", "b");
		   rec->nr_creds = 1);
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 1, 5, "a", "b");
		   rec->nr_creds = 1);
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 1, 1, "a:b", "c");
		   rec->nr_creds = 1);
	KB_ACCEPTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 1, 2, "a:b", "c");
		   rec->nr_creds = 1);
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 1, 1, "a\tb", "c");
		   rec->nr_creds = 1);
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 1, 1, "a", "\xff");
		   rec->nr_creds = 1);
	KB_REJECTS(test, kb_rec_secrets(rec, creds);
		   rec->creds_len = kb_cred(creds, 1, 1, "a", "b");
		   rec->creds_len += kb_cred(creds + rec->creds_len, 1, 1, "c",
					     "d");
		   rec->nr_creds = 2);
}

static void kbits_record_header_test(struct kunit *test)
{
	KB_REJECTS(test, rec->h.magic ^= 1);
	KB_REJECTS(test, rec->h.version = KBITS_RECORD_VERSION + 1);
	KB_REJECTS(test, rec->h.version = 0);
	KB_REJECTS(test, rec->h.header_size = KBITS_JOB_RECORD_SIZE_VER3 + 8);
	/* version 2 has the current header and files, version 1 neither */
	KB_REJECTS(test, rec->h.header_size = KBITS_JOB_RECORD_SIZE_VER2;
		   rec->hsize = KBITS_JOB_RECORD_SIZE_VER2);
	KB_REJECTS(test, rec->h.version = 1);
	KB_REJECTS(test, kb_rec_v1(rec, KBITS_JOB_RECORD_SIZE_VER2);
		   rec->fsize = sizeof(rec->f[0]));
	KB_REJECTS(test, rec->h.file_size = KBITS_RECORD_FILE_SIZE_VER0);
	KB_REJECTS(test, rec->h.file_size = KBITS_RECORD_FILE_SIZE_VER0;
		   rec->fsize = KBITS_RECORD_FILE_SIZE_VER0);
	KB_REJECTS(test, rec->h.file_size = sizeof(rec->f[0]) + 8);
	KB_REJECTS(test, rec->h.header_size = KBITS_JOB_RECORD_SIZE_VER0 + 4);
	KB_REJECTS(test, rec->h.header_size = 0);
	/* a header size that does not match its bytes */
	KB_REJECTS(test, rec->h.header_size = KBITS_JOB_RECORD_SIZE_VER1);
	KB_REJECTS(test, rec->hsize = KBITS_JOB_RECORD_SIZE_VER1);
	KB_REJECTS(test, kb_rec_v1(rec, KBITS_JOB_RECORD_SIZE_VER2);
		   rec->h.header_size = KBITS_JOB_RECORD_SIZE_VER1);
	KB_REJECTS(test, kb_rec_v1(rec, KBITS_JOB_RECORD_SIZE_VER2);
		   rec->hsize = KBITS_JOB_RECORD_SIZE_VER1);
	KB_REJECTS(test, rec->length_fix = 1);
	KB_REJECTS(test, rec->length_fix = -1);
	/* the first flag not defined; 1U << 7 is KBITS_RECORD_UPLOAD_POST */
	KB_REJECTS(test, rec->h.flags |= 1U << 8);
	KB_REJECTS(test, rec->h.flags |= 1U << 31);
}

/* Truncated records: too short for a header, or cut anywhere. */
static void kbits_record_truncated_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kbits_job_record *h;
	struct kb_rec rec;
	size_t len, cut;
	u8 *buf;

	kb_rec_init(&rec);
	rec.str[1] = "desc";
	buf = kb_rec_encode(test, &rec, &len);
	h = (struct kbits_job_record *)buf;
	for (cut = 0; cut < len; cut++) {
		h->length = cut;	/* so that only the cut is wrong */
		job = kbits_record_parse(buf, cut, &r);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(job), -EINVAL,
				    "accepted %zu of %zu bytes", cut, len);
		if (!IS_ERR(job))
			kbits_job_put(job);
	}
}

static void kbits_record_values_test(struct kunit *test)
{
	KB_REJECTS(test, rec->h.type = KBITS_JOB_TYPE_UPLOAD_REPLY + 1);
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_CANCELLED + 1);
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_ACKNOWLEDGED);
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_CANCELLED);
	KB_REJECTS(test, rec->h.priority = KBITS_PRIORITY_LOW + 1);
	KB_REJECTS(test, rec->h.notify_flags = KBITS_NOTIFY_ALL + 1);
	KB_REJECTS(test,
		   rec->h.min_retry_delay = KBITS_MIN_RETRY_DELAY_MIN - 1);
	KB_ACCEPTS(test, rec->h.min_retry_delay = KBITS_MIN_RETRY_DELAY_MIN);
	KB_REJECTS(test, rec->h.owner = (u32)-1);
	KB_REJECTS(test, rec->h.proxy_usage = KBITS_PROXY_OVERRIDE + 1);
	KB_REJECTS(test, rec->h.proxy_usage = KBITS_PROXY_OVERRIDE);
	KB_REJECTS(test, rec->str[3] = "http://p");
	KB_REJECTS(test, rec->h.proxy_usage = KBITS_PROXY_NONE;
		   rec->str[4] = "*.local");
	KB_REJECTS(test, rec->h.proxy_usage = KBITS_PROXY_OVERRIDE;
		   rec->str[4] = "*.local");
	KB_ACCEPTS(test, rec->h.proxy_usage = KBITS_PROXY_OVERRIDE;
		   rec->str[3] = "http://p");
}

static void kbits_record_error_test(struct kunit *test)
{
	KB_REJECTS(test, rec->h.error_context =
		   KBITS_ERROR_CONTEXT_REMOTE_APPLICATION + 1);
	KB_REJECTS(test, rec->h.error_context = KBITS_ERROR_CONTEXT_GENERAL;
		   rec->h.error_code = -1);
	/* no error, but something of one */
	KB_REJECTS(test, rec->h.error_code = 5);
	KB_REJECTS(test, rec->str[2] = "text");
	KB_REJECTS(test, rec->h.error_file_index = KBITS_NO_FILE);
	/* an error of a file the job does not have */
	KB_REJECTS(test, rec->h.error_context = KBITS_ERROR_CONTEXT_GENERAL;
		   rec->h.error_file_index = 1);
	KB_ACCEPTS(test, rec->h.error_context = KBITS_ERROR_CONTEXT_GENERAL;
		   rec->h.error_file_index = KBITS_NO_FILE);
	/* error states need their error; TRANSFERRED has none */
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_ERROR);
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_TRANSIENT_ERROR);
	KB_ACCEPTS(test, rec->h.state = KBITS_JOB_STATE_TRANSIENT_ERROR;
		   rec->h.error_context = KBITS_ERROR_CONTEXT_TRANSPORT);
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_TRANSFERRED;
		   rec->f[0].flags = KBITS_FILE_COMPLETED;
		   rec->f[0].bytes_transferred = 100;
		   rec->h.error_context = KBITS_ERROR_CONTEXT_GENERAL);
	KB_REJECTS(test, rec->h.error_context = KBITS_ERROR_CONTEXT_GENERAL;
		   rec->str[2] = kb_long(test, KBITS_ERROR_TEXT_MAX + 1));
}

/* A record of an error state with the error @flags say, code @code. */
static void kb_rec_error(struct kb_rec *rec, u32 flags, s32 code)
{
	rec->h.state = KBITS_JOB_STATE_ERROR;
	rec->h.error_context = KBITS_ERROR_CONTEXT_REMOTE_FILE;
	rec->h.error_code = code;
	rec->h.error_file_index = KBITS_NO_FILE;
	rec->h.flags |= flags;
	rec->str[2] = "it failed";
}

/*
 * KBITS_RECORD_ERROR_HTTP: an HTTP status (100 to 599) of an error; a
 * record without it has an errno, an older record (which has none) too.
 */
static void kbits_record_error_http_test(struct kunit *test)
{
	const u32 http = KBITS_RECORD_ERROR_HTTP;

	KB_ACCEPTS(test, kb_rec_error(rec, http, 100));
	KB_ACCEPTS(test, kb_rec_error(rec, http, 599));
	KB_REJECTS(test, kb_rec_error(rec, http, 99));
	KB_REJECTS(test, kb_rec_error(rec, http, 600));
	KB_REJECTS(test, kb_rec_error(rec, http, 0));
	KB_REJECTS(test, kb_rec_error(rec, http, -404));
	KB_REJECTS(test, kb_rec_error(rec, http, S32_MAX));
	/* without it any errno goes, as ever; the flag needs an error */
	KB_ACCEPTS(test, kb_rec_error(rec, 0, 0));
	KB_ACCEPTS(test, kb_rec_error(rec, 0, 600));
	KB_REJECTS(test, rec->h.flags |= http);
}

/* The flag in and out of a job; older records, cleared errors: none. */
static void kbits_record_error_http_round_trip_test(struct kunit *test)
{
	struct kbits_job_record r;
	struct kbits_job *job;
	struct kb_rec rec;
	size_t len, len2 = 0;
	u8 *buf, *buf2;

	/* the flag comes back as the error's, and goes out again */
	kb_rec_init(&rec);
	kb_rec_error(&rec, KBITS_RECORD_ERROR_HTTP, 404);
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->error.flags, (u32)KBITS_ERROR_HTTP);
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->error.code, 404);
	mutex_lock(&job->lock);
	buf2 = kbits_record_make(job, &len2);
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	KUNIT_ASSERT_NOT_NULL(test, buf2);
	KUNIT_EXPECT_EQ(test, len2, len);
	if (len2 == len)
		KUNIT_EXPECT_EQ(test, memcmp(buf2, buf, len), 0);
	kvfree(buf2);

	/* an older record, version 0 or 1, has no flag: the code is an errno */
	kb_rec_init(&rec);
	kb_rec_error(&rec, 0, 404);
	kb_rec_v1(&rec, KBITS_JOB_RECORD_SIZE_VER0);
	buf = kb_rec_encode(test, &rec, &len);
	job = kbits_record_parse(buf, len, &r);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, job);
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->error.flags, 0U);
	KUNIT_EXPECT_EQ(test, kbits_cold(job)->error.code, 404);
	/*
	 * an HTTP error that progress cleared since (context NONE, as
	 * PROGRESS leaves it) puts no flag in the record
	 */
	KUNIT_ASSERT_NOT_NULL(test, job->cold);
	mutex_lock(&job->lock);
	job->cold->error.flags = KBITS_ERROR_HTTP;
	job->cold->error.context = KBITS_ERROR_CONTEXT_NONE;
	buf2 = kbits_record_make(job, &len2);
	mutex_unlock(&job->lock);
	kbits_job_put(job);
	KUNIT_ASSERT_NOT_NULL(test, buf2);
	memcpy(&r, buf2, sizeof(r));
	KUNIT_EXPECT_EQ(test, r.flags & KBITS_RECORD_ERROR_HTTP, 0U);
	KUNIT_EXPECT_EQ(test, r.error_code, 0);
	kvfree(buf2);
}

static void kbits_record_strings_test(struct kunit *test)
{
	KB_ACCEPTS(test, rec->str[0] = NULL);	/* an empty name */
	KB_ACCEPTS(test, rec->str[0] = kb_long(test, KBITS_DISPLAY_NAME_MAX));
	KB_REJECTS(test,
		   rec->str[0] = kb_long(test, KBITS_DISPLAY_NAME_MAX + 1));
	KB_REJECTS(test, rec->str[0] = "caf\xc3");
	KB_REJECTS(test, rec->str[0] = "\xc0\xaf");
	KB_REJECTS(test, rec->str[1] = "\xed\xa0\x80");
	KB_REJECTS(test,
		   rec->str[1] = kb_long(test, KBITS_DESCRIPTION_MAX + 1));
	KB_REJECTS(test, rec->h.proxy_usage = KBITS_PROXY_OVERRIDE;
		   rec->str[3] = kb_long(test, KBITS_PROXY_LIST_MAX + 1));
	KB_REJECTS(test, rec->h.proxy_usage = KBITS_PROXY_OVERRIDE;
		   rec->str[3] = "http://p";
		   rec->str[4] = kb_long(test, KBITS_PROXY_LIST_MAX + 1));
	KB_REJECTS(test,
		   rec->str[5] = kb_long(test, KBITS_HTTP_HEADERS_MAX + 1));
	/* headers that are no headers */
	KB_REJECTS(test, rec->str[5] = "A b: c");
	KB_REJECTS(test, rec->str[5] = "A: b\nC: d");
	/* a notify command: NUL-ended UTF-8 arguments, an absolute program */
	KB_ACCEPTS(test, rec->notify = "/bin/true"; rec->notify_len = 10);
	KB_ACCEPTS(test, rec->notify = "/p\0\0a b\0"; rec->notify_len = 8);
	KB_REJECTS(test, rec->notify = "/bin/true"; rec->notify_len = 9);
	KB_REJECTS(test, rec->notify = "true"; rec->notify_len = 5);
	KB_REJECTS(test, rec->notify = "\0/p"; rec->notify_len = 4);
	KB_REJECTS(test, rec->notify = "/p\0\xff"; rec->notify_len = 5);
	/* kb_long()'s strings start with '/' and have a NUL after them */
	KB_ACCEPTS(test, rec->notify = kb_long(test, KBITS_NOTIFY_CMD_MAX - 1);
		   rec->notify_len = KBITS_NOTIFY_CMD_MAX);
	KB_REJECTS(test, rec->notify = kb_long(test, KBITS_NOTIFY_CMD_MAX);
		   rec->notify_len = KBITS_NOTIFY_CMD_MAX + 1);
	/* lengths that do not add up */
	KB_REJECTS(test, rec->name_len_fix = 1);
	KB_REJECTS(test, rec->name_len_fix = -1);
	KB_REJECTS(test, rec->trailing = 1);
	KB_REJECTS(test, rec->trailing = 64);
}

static void kbits_record_files_test(struct kunit *test)
{
	/* files and states */
	KB_ACCEPTS(test, rec->nr = 0);
	KB_REJECTS(test, rec->nr = 0; rec->h.state = KBITS_JOB_STATE_QUEUED);
	KB_REJECTS(test, rec->h.type = KBITS_JOB_TYPE_UPLOAD; rec->nr = 2;
		   rec->remote[1] = "/b"; rec->local[1] = "/c");
	KB_ACCEPTS(test, rec->h.type = KBITS_JOB_TYPE_UPLOAD);
	KB_REJECTS(test, rec->h.state = KBITS_JOB_STATE_TRANSFERRED);
	KB_ACCEPTS(test, rec->h.state = KBITS_JOB_STATE_TRANSFERRED;
		   rec->f[0].flags = KBITS_FILE_COMPLETED;
		   rec->f[0].bytes_transferred = 100);
	/* each file's own */
	KB_REJECTS(test, rec->f[0].flags = 4);
	KB_REJECTS(test, rec->f[0].reserved = 1);
	KB_REJECTS(test, rec->f[0].reserved2 = 1);
	/* a digest, only with its flag; a mode, only of rw bits */
	KB_ACCEPTS(test, rec->f[0].flags = KBITS_FILE_SHA256;
		   rec->f[0].sha256[31] = 1);
	KB_REJECTS(test, rec->f[0].sha256[31] = 1);
	KB_REJECTS(test, rec->f[0].flags = KBITS_FILE_SHA256);	/* all zero */
	KB_REJECTS(test, rec->h.type = KBITS_JOB_TYPE_UPLOAD;
		   rec->f[0].flags = KBITS_FILE_SHA256;
		   rec->f[0].sha256[31] = 1);
	KB_ACCEPTS(test, rec->f[0].mode = 0);
	KB_ACCEPTS(test, rec->f[0].mode = 0666);
	KB_REJECTS(test, rec->f[0].mode = 0100);
	KB_REJECTS(test, rec->f[0].mode = 01000);
	KB_REJECTS(test, rec->f[0].mode = 0x10000);
	KB_REJECTS(test, rec->f[0].bytes_transferred = 101);
	KB_ACCEPTS(test, rec->f[0].bytes_total = KBITS_SIZE_UNKNOWN;
		   rec->f[0].bytes_transferred = 1000);
	KB_REJECTS(test, rec->f[0].flags = KBITS_FILE_COMPLETED);
	KB_REJECTS(test, rec->f[0].flags = KBITS_FILE_COMPLETED;
		   rec->f[0].bytes_total = KBITS_SIZE_UNKNOWN);
	KB_REJECTS(test, rec->remote[0] = NULL);
	KB_REJECTS(test, rec->local[0] = NULL);
	KB_REJECTS(test, rec->remote[0] = "ftp://h/a");
	KB_REJECTS(test, rec->local[0] = "tmp/a");
	KB_REJECTS(test, rec->local[0] = "/tmp/\xff");
	KB_REJECTS(test,
		   rec->remote[0] = kb_long(test, KBITS_REMOTE_NAME_MAX + 1));
	KB_REJECTS(test,
		   rec->local[0] = kb_long(test, KBITS_LOCAL_NAME_MAX + 1));
	KB_ACCEPTS(test, rec->local[0] = kb_long(test, KBITS_LOCAL_NAME_MAX));
	/* more files than the record has, or than any job has */
	KB_REJECTS(test, rec->nr_fix = 1);
	KB_REJECTS(test, rec->nr_fix = 1; rec->trailing = 64);
	KB_REJECTS(test, rec->nr_fix = KBITS_FILES_PER_JOB_LIMIT);
	KB_REJECTS(test, rec->nr_fix = U32_MAX - 1);
}

/* kbits_record_files() alone: a count past what the bytes can hold. */
static void kbits_record_files_count_test(struct kunit *test)
{
	struct kbits_record_file rf = { .remote_len = 1, .local_len = 1 };
	struct kbits_reader rd;
	struct kbits_job *job;
	u8 buf[2 * sizeof(rf) + 5];
	char *name;

	/* "/" to "/", then "/" to "/x": 149 bytes, room for 2 files only */
	memcpy(buf, &rf, sizeof(rf));
	memcpy(buf + sizeof(rf), "//", 2);
	rf.local_len = 2;
	memcpy(buf + sizeof(rf) + 2, &rf, sizeof(rf));
	memcpy(buf + 2 * sizeof(rf) + 2, "//x", 3);

	name = kstrdup("", GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	job = kbits_job_alloc(name, KBITS_JOB_TYPE_DOWNLOAD);
	KUNIT_ASSERT_NOT_NULL(test, job);

	rd = (struct kbits_reader){ .p = buf, .left = sizeof(buf) };
	KUNIT_EXPECT_EQ(test, kbits_record_files(job, &rd, 3, sizeof(rf)),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, job->files);	/* refused before any */
	KUNIT_EXPECT_EQ(test, kbits_record_files(job, &rd, U32_MAX, sizeof(rf)),
			-EINVAL);
	/* a file size neither version has */
	KUNIT_EXPECT_EQ(test, kbits_record_files(job, &rd, 2, sizeof(rf) - 8),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, job->files);
	KUNIT_EXPECT_EQ(test, kbits_record_files(job, &rd, 2, sizeof(rf)), 0);
	KUNIT_EXPECT_EQ(test, job->nr_files, 2U);
	KUNIT_EXPECT_EQ(test, rd.left, (size_t)0);
	if (job->nr_files == 2) {
		KUNIT_EXPECT_STREQ(test, job->files[1].remote, "/");
		KUNIT_EXPECT_STREQ(test, job->files[1].local, "/x");
	}
	kbits_job_put(job);
}

static void kbits_take_test(struct kunit *test)
{
	static const u8 buf[] = "abc\xc3\xa9\xff";
	struct kbits_reader rd = { .p = buf, .left = sizeof(buf) - 1 };
	const void *p;
	char *s;

	p = kbits_take(&rd, 2);
	KUNIT_EXPECT_PTR_EQ(test, p, (const void *)buf);
	KUNIT_EXPECT_EQ(test, rd.left, (size_t)4);
	KUNIT_EXPECT_NULL(test, kbits_take(&rd, 5));
	KUNIT_EXPECT_EQ(test, rd.left, (size_t)4);	/* not moved */

	/* empty: NULL where allowed, else -EINVAL; too long; too short */
	KUNIT_EXPECT_NULL(test, kbits_take_string(&rd, 0, 10, true));
	KUNIT_EXPECT_EQ(test, PTR_ERR(kbits_take_string(&rd, 0, 10, false)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kbits_take_string(&rd, 3, 2, false)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kbits_take_string(&rd, 5, 10, false)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rd.left, (size_t)4);

	s = kbits_take_string(&rd, 3, 3, false);	/* "c" U+00E9 */
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	KUNIT_EXPECT_STREQ(test, s, "c\xc3\xa9");
	kfree(s);
	KUNIT_EXPECT_EQ(test, rd.left, (size_t)1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kbits_take_string(&rd, 1, 10, false)),
			-EINVAL);			/* 0xff */
}

/* Times from a record land in 0..now. */
static void kbits_clamp_time_test(struct kunit *test)
{
	time64_t before = ktime_get_real_seconds(), t;

	KUNIT_EXPECT_EQ(test, kbits_clamp_time(-1), (time64_t)0);
	KUNIT_EXPECT_EQ(test, kbits_clamp_time(S64_MIN), (time64_t)0);
	KUNIT_EXPECT_EQ(test, kbits_clamp_time(0), (time64_t)0);
	KUNIT_EXPECT_EQ(test, kbits_clamp_time(before - 10), before - 10);
	t = kbits_clamp_time(S64_MAX);
	KUNIT_EXPECT_GE(test, t, before);
	KUNIT_EXPECT_LE(test, t, ktime_get_real_seconds());
}

static struct kunit_case kbits_record_cases[] = {
	KUNIT_CASE(kbits_record_valid_test),
	KUNIT_CASE(kbits_record_versions_test),
	KUNIT_CASE(kbits_record_round_trip_test),
	KUNIT_CASE(kbits_record_cold_test),
	KUNIT_CASE(kbits_record_secrets_test),
	KUNIT_CASE(kbits_record_header_test),
	KUNIT_CASE(kbits_record_truncated_test),
	KUNIT_CASE(kbits_record_values_test),
	KUNIT_CASE(kbits_record_error_test),
	KUNIT_CASE(kbits_record_error_http_test),
	KUNIT_CASE(kbits_record_error_http_round_trip_test),
	KUNIT_CASE(kbits_record_strings_test),
	KUNIT_CASE(kbits_record_files_test),
	KUNIT_CASE(kbits_record_files_count_test),
	KUNIT_CASE(kbits_take_test),
	KUNIT_CASE(kbits_clamp_time_test),
	{}
};

static struct kunit_suite kbits_record_suite = {
	.name = "kbits_record",
	.test_cases = kbits_record_cases,
};

/* The user's state rules */

#define KB_STATES	(KBITS_JOB_STATE_CANCELLED + 1)

static void kbits_state_final_test(struct kunit *test)
{
	u32 s;

	for (s = 0; s <= KB_STATES; s++)
		KUNIT_EXPECT_EQ_MSG(test, kbits_state_is_final(s),
				    s == KBITS_JOB_STATE_ACKNOWLEDGED ||
				    s == KBITS_JOB_STATE_CANCELLED,
				    "state %u", s);
}

static void kbits_state_resume_test(struct kunit *test)
{
	/* with files, not all done; then without files */
	static const int with[KB_STATES + 1] = {
		[KBITS_JOB_STATE_QUEUED] = KBITS_JOB_STATE_QUEUED,
		[KBITS_JOB_STATE_CONNECTING] = KBITS_JOB_STATE_CONNECTING,
		[KBITS_JOB_STATE_TRANSFERRING] = KBITS_JOB_STATE_TRANSFERRING,
		[KBITS_JOB_STATE_SUSPENDED] = KBITS_JOB_STATE_QUEUED,
		[KBITS_JOB_STATE_ERROR] = KBITS_JOB_STATE_QUEUED,
		[KBITS_JOB_STATE_TRANSIENT_ERROR] = KBITS_JOB_STATE_QUEUED,
		[KBITS_JOB_STATE_TRANSFERRED] = KBITS_JOB_STATE_QUEUED,
		[KBITS_JOB_STATE_ACKNOWLEDGED] = -EBADFD,
		[KBITS_JOB_STATE_CANCELLED] = -EBADFD,
		[KB_STATES] = -EBADFD,
	};
	static const int without[KB_STATES + 1] = {
		[KBITS_JOB_STATE_QUEUED] = KBITS_JOB_STATE_QUEUED,
		[KBITS_JOB_STATE_CONNECTING] = KBITS_JOB_STATE_CONNECTING,
		[KBITS_JOB_STATE_TRANSFERRING] = KBITS_JOB_STATE_TRANSFERRING,
		[KBITS_JOB_STATE_SUSPENDED] = -ENODATA,
		[KBITS_JOB_STATE_ERROR] = -ENODATA,
		[KBITS_JOB_STATE_TRANSIENT_ERROR] = -ENODATA,
		[KBITS_JOB_STATE_TRANSFERRED] = -ENODATA,
		[KBITS_JOB_STATE_ACKNOWLEDGED] = -EBADFD,
		[KBITS_JOB_STATE_CANCELLED] = -EBADFD,
		[KB_STATES] = -EBADFD,
	};
	u32 s;

	for (s = 0; s <= KB_STATES; s++) {
		KUNIT_EXPECT_EQ_MSG(test, kbits_resume_state(s, 1, false),
				    with[s], "state %u", s);
		KUNIT_EXPECT_EQ_MSG(test, kbits_resume_state(s, 0, false),
				    without[s], "state %u, no files", s);
	}
	/* TRANSFERRED with nothing new stays so */
	KUNIT_EXPECT_EQ(test,
			kbits_resume_state(KBITS_JOB_STATE_TRANSFERRED, 3, true),
			KBITS_JOB_STATE_TRANSFERRED);
	KUNIT_EXPECT_EQ(test,
			kbits_resume_state(KBITS_JOB_STATE_SUSPENDED, 3, true),
			KBITS_JOB_STATE_QUEUED);
}

static void kbits_state_suspend_test(struct kunit *test)
{
	u32 s;

	for (s = 0; s <= KB_STATES; s++)
		KUNIT_EXPECT_EQ_MSG(test, kbits_suspend_state(s),
				    kbits_state_is_final(s) ? -EBADFD :
				    KBITS_JOB_STATE_SUSPENDED, "state %u", s);
}

static void kbits_state_take_ownership_test(struct kunit *test)
{
	static const u32 to[KBITS_JOB_STATE_TRANSFERRED + 1] = {
		[KBITS_JOB_STATE_QUEUED] = KBITS_JOB_STATE_SUSPENDED,
		[KBITS_JOB_STATE_CONNECTING] = KBITS_JOB_STATE_SUSPENDED,
		[KBITS_JOB_STATE_TRANSFERRING] = KBITS_JOB_STATE_SUSPENDED,
		[KBITS_JOB_STATE_SUSPENDED] = KBITS_JOB_STATE_SUSPENDED,
		[KBITS_JOB_STATE_ERROR] = KBITS_JOB_STATE_ERROR,
		[KBITS_JOB_STATE_TRANSIENT_ERROR] = KBITS_JOB_STATE_SUSPENDED,
		[KBITS_JOB_STATE_TRANSFERRED] = KBITS_JOB_STATE_TRANSFERRED,
	};
	u32 s;

	for (s = 0; s < ARRAY_SIZE(to); s++)
		KUNIT_EXPECT_EQ_MSG(test, kbits_owned_state(s), to[s],
				    "state %u", s);
}

static void kbits_state_complete_test(struct kunit *test)
{
	u32 s, t;
	bool want;

	for (t = 0; t <= KBITS_JOB_TYPE_UPLOAD_REPLY; t++) {
		for (s = 0; s <= KB_STATES; s++) {
			want = !kbits_state_is_final(s) &&
			       (t == KBITS_JOB_TYPE_DOWNLOAD ||
				s == KBITS_JOB_STATE_TRANSFERRED);
			KUNIT_EXPECT_EQ_MSG(test, kbits_may_complete(t, s),
					    want, "type %u, state %u", t, s);
		}
	}
}

static struct kunit_case kbits_state_cases[] = {
	KUNIT_CASE(kbits_state_final_test),
	KUNIT_CASE(kbits_state_resume_test),
	KUNIT_CASE(kbits_state_suspend_test),
	KUNIT_CASE(kbits_state_take_ownership_test),
	KUNIT_CASE(kbits_state_complete_test),
	{}
};

static struct kunit_suite kbits_state_suite = {
	.name = "kbits_state",
	.test_cases = kbits_state_cases,
};

/* The per-user job counts */

#define KB_UID(n)	(4000000000U + (n))

static struct user_namespace *kb_fake_ns(struct kunit *test,
					 struct user_namespace *parent,
					 u32 owner)
{
	struct user_namespace *ns = kunit_kzalloc(test, sizeof(*ns),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ns);
	ns->parent = parent;
	ns->level = parent->level + 1;
	ns->owner = KUIDT_INIT(owner);
	return ns;
}

/* Who a job counts against: its owner and the namespaces' owners. */
static void kbits_charge_chain_test(struct kunit *test)
{
	unsigned long keys[33];
	struct user_namespace *a, *b, *root_made, *ns;
	int n, i;

	KUNIT_EXPECT_EQ(test, kbits_chain(KUIDT_INIT(5), &init_user_ns, keys),
			1);
	KUNIT_EXPECT_EQ(test, keys[0], 5UL);

	a = kb_fake_ns(test, &init_user_ns, 1000);
	b = kb_fake_ns(test, a, 100000);
	n = kbits_chain(KUIDT_INIT(100005), b, keys);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, keys[0], 100005UL);
	KUNIT_EXPECT_EQ(test, keys[1], 100000UL);
	KUNIT_EXPECT_EQ(test, keys[2], 1000UL);

	/* each user once */
	n = kbits_chain(KUIDT_INIT(1000), kb_fake_ns(test, a, 1000), keys);
	KUNIT_EXPECT_EQ(test, n, 1);

	/* a namespace the initial root made is a user of its own */
	root_made = kb_fake_ns(test, &init_user_ns, 0);
	n = kbits_chain(KUIDT_INIT(200001), kb_fake_ns(test, root_made, 200000),
			keys);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, keys[1], 200000UL);
	KUNIT_EXPECT_EQ(test, keys[2], (unsigned long)root_made);

	/* 40 deep (more than the kernel allows): at most 33 keys */
	ns = &init_user_ns;
	for (i = 0; i < 40; i++)
		ns = kb_fake_ns(test, ns, 2000 + i);
	KUNIT_EXPECT_EQ(test, kbits_chain(KUIDT_INIT(7), ns, keys), 33);
}

struct kb_charge {
	const struct cred *old_cred;
	struct cred *cred;
};

/* A job counting against nobody yet. */
static struct kbits_job *kb_job(struct kunit *test)
{
	struct kbits_job *job;
	char *name = kstrdup("", GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, name);
	job = kbits_job_alloc(name, KBITS_JOB_TYPE_DOWNLOAD);
	KUNIT_ASSERT_NOT_NULL(test, job);
	return job;
}

/*
 * Charges @job to @uid of the initial namespace, within the test's own
 * limits @lim: the module's max_jobs and max_jobs_per_user stay as they
 * are, for the jobs of real users meanwhile.
 */
static int kb_charge(struct kbits_job *job, u32 uid, bool force,
		     const struct kbits_limits *lim)
{
	struct user_namespace *ns = get_user_ns(&init_user_ns);
	int err = kbits_charge_to(job, KUIDT_INIT(uid), &ns, force, lim);

	put_user_ns(ns);
	return err;
}

static unsigned int kb_jobs(u32 uid, unsigned int *all)
{
	return kbits_user_jobs(uid, all);
}

/* Runs as a user without CAP_SYS_ADMIN, whom the limits bind. */
static int kbits_charge_init(struct kunit *test)
{
	struct kb_charge *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	test->priv = c;
	c->cred = prepare_creds();
	if (!c->cred)
		return -ENOMEM;
	cap_lower(c->cred->cap_effective, CAP_SYS_ADMIN);
	return 0;
}

/* KUnit (6.1) calls it after a failed init too: c or c->cred may be NULL. */
static void kbits_charge_exit(struct kunit *test)
{
	struct kb_charge *c = test->priv;

	if (!c)
		return;
	if (c->cred)
		put_cred(c->cred);
}

static void kb_no_admin(struct kunit *test)
{
	struct kb_charge *c = test->priv;

	c->old_cred = override_creds(c->cred);
}

static void kb_admin_again(struct kunit *test)
{
	struct kb_charge *c = test->priv;

	revert_creds(c->old_cred);
}

static void kbits_charge_limits_test(struct kunit *test)
{
	struct kbits_limits lim = { .per_user = 2 };
	struct kbits_job *j[5];
	unsigned int base, all;
	int i;

	for (i = 0; i < ARRAY_SIZE(j); i++)
		j[i] = kb_job(test);
	kb_jobs(KB_UID(1), &base);
	KUNIT_ASSERT_EQ(test, kb_jobs(KB_UID(1), &all), 0U);
	KUNIT_ASSERT_EQ(test, kb_jobs(KB_UID(2), &all), 0U);
	lim.jobs = base + 3;
	kb_no_admin(test);

	KUNIT_EXPECT_EQ(test, kb_charge(j[0], KB_UID(1), false, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_charge(j[1], KB_UID(1), false, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(1), &all), 2U);
	KUNIT_EXPECT_EQ(test, all, base + 2);
	/* the user's limit */
	KUNIT_EXPECT_EQ(test, kb_charge(j[2], KB_UID(1), false, &lim),
			-EDQUOT);
	KUNIT_EXPECT_FALSE(test, j[2]->charged);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(1), &all), 2U);
	KUNIT_EXPECT_EQ(test, all, base + 2);
	/* a job moving within its own user's limit counts once */
	KUNIT_EXPECT_EQ(test, kb_charge(j[1], KB_UID(1), false, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(1), &all), 2U);
	KUNIT_EXPECT_EQ(test, all, base + 2);
	/* another user; then the system's limit */
	KUNIT_EXPECT_EQ(test, kb_charge(j[2], KB_UID(2), false, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_charge(j[3], KB_UID(2), false, &lim),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(2), &all), 1U);
	KUNIT_EXPECT_EQ(test, all, base + 3);
	/* a counted job moves between users without counting twice */
	KUNIT_EXPECT_EQ(test, kb_charge(j[1], KB_UID(2), false, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(1), &all), 1U);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(2), &all), 2U);
	KUNIT_EXPECT_EQ(test, all, base + 3);
	KUNIT_EXPECT_EQ(test, __kuid_val(j[1]->owner), KB_UID(2));
	/* ... and not past the new user's limit: the job stays */
	KUNIT_EXPECT_EQ(test, kb_charge(j[0], KB_UID(2), false, &lim),
			-EDQUOT);
	KUNIT_EXPECT_EQ(test, __kuid_val(j[0]->owner), KB_UID(1));
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(1), &all), 1U);
	/* IMPORT's force counts past both limits */
	KUNIT_EXPECT_EQ(test, kb_charge(j[3], KB_UID(2), true, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_charge(j[4], KB_UID(2), true, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(2), &all), 4U);
	KUNIT_EXPECT_EQ(test, all, base + 5);
	/* uncharging twice takes one count */
	kbits_uncharge(j[4]);
	kbits_uncharge(j[4]);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(2), &all), 3U);
	KUNIT_EXPECT_EQ(test, all, base + 4);
	kb_admin_again(test);

	/* a job counts until freed */
	for (i = 0; i < ARRAY_SIZE(j); i++)
		kbits_job_put(j[i]);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(1), &all), 0U);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(2), &all), 0U);
	KUNIT_EXPECT_EQ(test, all, base);
}

/* CAP_SYS_ADMIN callers' jobs count against nobody, past any limit. */
static void kbits_charge_exempt_test(struct kunit *test)
{
	const struct kbits_limits none = { .jobs = 0, .per_user = 0 };
	struct kbits_job *job = kb_job(test);
	unsigned int base, all;

	kb_jobs(KB_UID(3), &base);
	KUNIT_EXPECT_EQ(test, kb_charge(job, KB_UID(3), false, &none), 0);
	KUNIT_EXPECT_FALSE(test, job->charged);
	KUNIT_EXPECT_EQ(test, __kuid_val(job->owner), KB_UID(3));
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(3), &all), 0U);
	KUNIT_EXPECT_EQ(test, all, base);
	kbits_job_put(job);
}

/* A job in a user's namespace counts against that user too. */
static void kbits_charge_nested_test(struct kunit *test)
{
	const struct kbits_limits lim = { .jobs = UINT_MAX, .per_user = 1 };
	struct user_namespace *ns, *fake;
	struct kbits_job *job = kb_job(test);
	unsigned int base, all;

	fake = kb_fake_ns(test, &init_user_ns, KB_UID(4));
	ns = fake;
	kb_jobs(KB_UID(4), &base);
	kb_no_admin(test);
	KUNIT_EXPECT_EQ(test, kbits_charge_to(job, KUIDT_INIT(KB_UID(5)), &ns,
					      false, &lim), 0);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(5), &all), 1U);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(4), &all), 1U);
	KUNIT_EXPECT_EQ(test, all, base + 1);
	kbits_uncharge(job);
	kb_admin_again(test);
	KUNIT_EXPECT_EQ(test, kb_jobs(KB_UID(4), &all), 0U);
	KUNIT_EXPECT_EQ(test, all, base);
	/* the job's own namespace back, for its release to put */
	if (job->user_ns == fake)
		job->user_ns = ns;
	kbits_job_put(job);
}

static struct kunit_case kbits_charge_cases[] = {
	KUNIT_CASE(kbits_charge_chain_test),
	KUNIT_CASE(kbits_charge_limits_test),
	KUNIT_CASE(kbits_charge_exempt_test),
	KUNIT_CASE(kbits_charge_nested_test),
	{}
};

static struct kunit_suite kbits_charge_suite = {
	.name = "kbits_charge",
	.init = kbits_charge_init,
	.exit = kbits_charge_exit,
	.test_cases = kbits_charge_cases,
};

kunit_test_suites(&kbits_utf8_suite, &kbits_http_suite, &kbits_files_suite,
		  &kbits_record_suite, &kbits_state_suite, &kbits_charge_suite);

MODULE_DESCRIPTION("KUnit tests of kbits's parsers and rules");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(KBITS_KUNIT_NS);
