// SPDX-License-Identifier: GPL-2.0
/*
 * jobctl: drives kbits jobs for kbitsd's tests, through libkbits.
 *
 *   jobctl create NAME [upload|upload-reply]   prints the new job's GUID
 *   jobctl add GUID REMOTE LOCAL [SHA256]
 *                                      SHA256: the file's expected digest,
 *                                      64 hex digits
 *   jobctl set GUID priority|retry|timeout VALUE
 *   jobctl set GUID proxy LIST         KBITS_PROXY_OVERRIDE with LIST
 *   jobctl set GUID headers TEXT       custom HTTP headers ("\r\n" between)
 *   jobctl set GUID notify FLAGS       the notify flags (KBITS_NOTIFY_*)
 *   jobctl set GUID notifycmd PROGRAM [ARG...]
 *                                      the notify command
 *   jobctl set GUID replyfile PATH     an UPLOAD_REPLY job's reply file
 *                                      (the raw SET_REPLY_FILE; "" removes it)
 *   jobctl set GUID post 0|1           KBITS_JOB_UPLOAD_POST
 *   jobctl set GUID writeonly 1        KBITS_JOB_HEADERS_WRITE_ONLY (0: clear it)
 *   jobctl cred GUID server|proxy basic|digest|ntlm|negotiate USER
 *                                      SET_CREDENTIALS, the password read
 *                                      from stdin (all of it, one trailing
 *                                      newline dropped): never in argv
 *   jobctl uncred GUID server|proxy SCHEME
 *                                      SET_CREDENTIALS with KBITS_CRED_REMOVE
 *   jobctl creds GUID                  prints GET_CREDENTIALS's "SERVER PROXY"
 *                                      bitmasks (1 << scheme each)
 *   jobctl headers GUID                prints the custom headers
 *   jobctl dump GUID                   every job fd GET this program knows,
 *                                      its output raw (structs as bytes), for
 *                                      a test to search for a secret; a GET
 *                                      that fails prints its errno name
 *   jobctl notifycmd GUID              prints its arguments, one a line
 *                                      (exit 1, ENODATA: none)
 *   jobctl resume|suspend|cancel|take GUID    (take: TAKE_OWNERSHIP)
 *   jobctl complete GUID               prints 0 or 1 (partial)
 *   jobctl state GUID                  prints the state's name
 *   jobctl owner GUID                  prints the owner's uid
 *   jobctl error GUID                  prints "CONTEXT CODE FILE TEXT"
 *   jobctl errflags GUID               prints "CONTEXT CODE FLAGS" (2: KBITS_ERROR_HTTP)
 *   jobctl files GUID                  prints "INDEX TOTAL DONE COMPLETED" per file
 *   jobctl attrs GUID                  prints "INDEX FLAGS MODE SHA256" per file
 *                                      (MODE in octal; SHA256 "-" without
 *                                      KBITS_FILE_SHA256)
 *   jobctl wait GUID STATE[,STATE...] SECONDS
 *                                      waits for one of the states; prints it
 *   jobctl poll GUID...                prints "STATE BYTES" per job, in one
 *                                      go (BYTES: its files' bytes done)
 *   jobctl session GUID                one job fd for many commands: reads
 *                                      lines "id", "state", "owner", "resume",
 *                                      "suspend", "cancel", "take", "add REMOTE
 *                                      LOCAL", "description TEXT", and prints
 *                                      a line for each: "ok [VALUE]" or
 *                                      "error ERRNO" (the fd is kept from the
 *                                      GET_JOB at the start to the end)
 *
 * Exit status: 0 ok, 1 the call failed (its errno name on stderr), 2 usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <kbits/kbits.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "jobctl: %s: %s\n", what, strerror(-err));
	return 1;
}

static int usage(void)
{
	fputs("usage: jobctl create|add|set|resume|suspend|cancel|take|complete|state|owner|"
	      "error|errflags|files|attrs|notifycmd|cred|uncred|creds|headers|dump|wait|poll|"
	      "session ...\n", stderr);
	return 2;
}

/* SET_REPLY_FILE itself, with no library check of the name before it */
static int set_reply_file(struct kbits_job *j, const char *path)
{
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = (uint32_t)strlen(path);
	s.buf = (uintptr_t)path;
	return ioctl(kbits_job_fd(j), KBITS_JOB_IOC_SET_REPLY_FILE, &s) < 0 ? -errno : 0;
}

static int set_post(struct kbits_job *j, bool on)
{
	uint32_t flags;
	int err = kbits_job_get_flags(j, &flags);

	if (err < 0)
		return err;
	return kbits_job_set_flags(j, on ? flags | KBITS_JOB_UPLOAD_POST :
				   flags & ~KBITS_JOB_UPLOAD_POST);
}

static int job_ioctl(struct kbits_job *j, unsigned long cmd, void *arg)
{
	return ioctl(kbits_job_fd(j), cmd, arg) < 0 ? -errno : 0;
}

static int parse_target(const char *s)
{
	return !strcmp(s, "server") ? KBITS_AUTH_TARGET_SERVER :
	       !strcmp(s, "proxy") ? KBITS_AUTH_TARGET_PROXY : -1;
}

static int parse_scheme(const char *s)
{
	static const char *const names[] = { "", "basic", "digest", "ntlm", "negotiate" };
	int i;

	for (i = 1; i < 5; i++) {
		if (!strcmp(s, names[i]))
			return i;
	}
	return -1;
}

/* SET_CREDENTIALS itself; @user NULL: KBITS_CRED_REMOVE */
static int set_cred(struct kbits_job *j, int target, int scheme, const char *user,
		    const char *password, size_t password_len)
{
	struct kbits_job_credentials c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.target = (uint32_t)target;
	c.scheme = (uint32_t)scheme;
	if (!user) {
		c.flags = KBITS_CRED_REMOVE;
	} else {
		c.user_len = (uint32_t)strlen(user);
		c.user = (uintptr_t)user;
		c.password_len = (uint32_t)password_len;
		c.password = (uintptr_t)password;
	}
	return job_ioctl(j, KBITS_JOB_IOC_SET_CREDENTIALS, &c);
}

/* The password on stdin: all of it, one trailing newline dropped */
static int read_password(char *buf, size_t size, size_t *len)
{
	size_t n = fread(buf, 1, size, stdin);

	if (ferror(stdin) || n == size)
		return -EINVAL;
	if (n && buf[n - 1] == '\n')
		n--;
	*len = n;
	return 0;
}

static int set_write_only(struct kbits_job *j, bool on)
{
	uint32_t flags;
	int err = kbits_job_get_flags(j, &flags);

	if (err < 0)
		return err;
	return kbits_job_set_flags(j, on ? flags | KBITS_JOB_HEADERS_WRITE_ONLY :
				   flags & ~KBITS_JOB_HEADERS_WRITE_ONLY);
}

static void dump_errno(const char *what, int err)
{
	printf("%s: error %s\n", what, strerrorname_np(-err) ? strerrorname_np(-err) : "?");
}

static void dump_raw(const char *what, const void *p, size_t len)
{
	printf("%s: ", what);
	fwrite(p, 1, len, stdout);
	printf("\n");
}

static void dump_string(const char *what, int err, char *s)
{
	if (err < 0)
		dump_errno(what, err);
	else
		dump_raw(what, s, strlen(s));
	free(s);
}

/* Every GET of job @j, raw: what a test searches for a secret. */
static int dump(struct kbits_job *j)
{
	struct kbits_job_cred_schemes cs;
	struct kbits_job_attrs attrs = { .size = sizeof(attrs) };
	struct kbits_job_times times;
	struct kbits_job_progress prog;
	enum kbits_proxy_usage usage;
	struct kbits_job_string js;
	struct kbits_error e;
	struct kbits_file *f;
	char *s = NULL, *s2 = NULL, **v = NULL;
	char reply[4096 + 1];
	uint32_t u32;
	size_t i, n;
	int err;

	err = kbits_job_get_display_name(j, &s);
	dump_string("display_name", err, err ? NULL : s);
	s = NULL;
	err = kbits_job_get_description(j, &s);
	dump_string("description", err, err ? NULL : s);
	s = NULL;
	err = kbits_job_get_proxy(j, &usage, &s, &s2);
	if (err < 0) {
		dump_errno("proxy", err);
	} else {
		printf("proxy: %d %s %s\n", (int)usage, s ? s : "", s2 ? s2 : "");
		free(s);
		free(s2);
	}
	s = NULL;
	err = kbits_job_get_http_headers(j, &s);
	dump_string("headers", err, err ? NULL : s);
	err = kbits_job_get_notify_cmd(j, &v);
	if (err < 0)
		dump_errno("notify_cmd", err);
	for (i = 0; !err && v[i]; i++)
		dump_raw("notify_cmd", v[i], strlen(v[i]));
	if (!err)
		kbits_strv_free(v);
	err = kbits_job_get_flags(j, &u32);
	if (err < 0)
		dump_errno("flags", err);
	else
		printf("flags: %u\n", (unsigned int)u32);
	err = kbits_job_get_attrs(j, &attrs);
	if (err < 0)
		dump_errno("attrs", err);
	else
		dump_raw("attrs", &attrs, sizeof(attrs));
	memset(&times, 0, sizeof(times));
	err = kbits_job_get_times(j, &times);
	if (err < 0)
		dump_errno("times", err);
	else
		dump_raw("times", &times, sizeof(times));
	memset(&prog, 0, sizeof(prog));
	err = kbits_job_get_progress(j, &prog);
	if (err < 0)
		dump_errno("progress", err);
	else
		dump_raw("progress", &prog, sizeof(prog));
	err = kbits_job_get_error(j, &e);
	if (err < 0) {
		dump_errno("error", err);
	} else {
		printf("error: %d %d %u ", e.context, e.code, (unsigned int)e.flags);
		dump_raw("text", e.text, strlen(e.text));
		free(e.text);
	}
	err = kbits_job_get_files(j, &f, &n);
	if (err < 0)
		dump_errno("files", err);
	for (i = 0; !err && i < n; i++) {
		struct kbits_file_attrs fa;

		printf("file %zu: %s %s\n", i, f[i].remote_name, f[i].local_name);
		memset(&fa, 0, sizeof(fa));
		fa.size = sizeof(fa);
		if (kbits_job_get_file_attrs(j, (uint32_t)i, &fa) == 0)
			dump_raw("file_attrs", &fa, sizeof(fa));
	}
	if (!err)
		kbits_files_free(f, n);
	memset(&cs, 0, sizeof(cs));
	cs.size = sizeof(cs);
	err = job_ioctl(j, KBITS_JOB_IOC_GET_CREDENTIALS, &cs);
	if (err < 0)
		dump_errno("credentials", err);
	else
		dump_raw("credentials", &cs, sizeof(cs));
	memset(&js, 0, sizeof(js));
	memset(reply, 0, sizeof(reply));
	js.size = sizeof(js);
	js.len = sizeof(reply) - 1;
	js.buf = (uintptr_t)reply;
	err = job_ioctl(j, KBITS_JOB_IOC_GET_REPLY_FILE, &js);
	if (err < 0)
		dump_errno("reply_file", err);
	else
		dump_raw("reply_file", reply, js.len);
	return 0;
}

static int get(struct kbits **m, const char *s, struct kbits_job **j)
{
	struct kbits_guid id;
	int err;

	if (kbits_guid_parse(s, &id) < 0)
		return -EINVAL;
	err = kbits_new(m, 0);
	if (err < 0)
		return err;
	return kbits_get_job(*m, &id, j);
}

/* 64 hex digits into @out: 0 or -EINVAL. */
static int parse_sha256(const char *s, uint8_t out[KBITS_SHA256_SIZE])
{
	size_t i;

	if (strlen(s) != 2 * KBITS_SHA256_SIZE)
		return -EINVAL;
	for (i = 0; i < KBITS_SHA256_SIZE; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1 || !isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]))
			return -EINVAL;
		out[i] = (uint8_t)b;
	}
	return 0;
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

/* One command of a session on job @j: a line on stdout. */
static void session_line(struct kbits_job *j, char *line)
{
	char *arg = strchr(line, ' '), *arg2;
	char buf[KBITS_GUID_STRING_LEN + 32] = "";
	int err = -EINVAL;

	if (arg)
		*arg++ = 0;
	if (!strcmp(line, "id") && !arg) {
		struct kbits_guid id;

		err = kbits_job_get_id(j, &id);
		if (!err)
			kbits_guid_format(&id, buf);
	} else if (!strcmp(line, "state") && !arg) {
		enum kbits_job_state st;

		err = kbits_job_get_state(j, &st);
		if (!err)
			snprintf(buf, sizeof(buf), "%s", kbits_job_state_name(st));
	} else if (!strcmp(line, "owner") && !arg) {
		uid_t uid;

		err = kbits_job_get_owner(j, &uid);
		if (!err)
			snprintf(buf, sizeof(buf), "%u", (unsigned int)uid);
	} else if (!strcmp(line, "resume") && !arg) {
		err = kbits_job_resume(j);
	} else if (!strcmp(line, "suspend") && !arg) {
		err = kbits_job_suspend(j);
	} else if (!strcmp(line, "cancel") && !arg) {
		err = kbits_job_cancel(j);
	} else if (!strcmp(line, "take") && !arg) {
		err = kbits_job_take_ownership(j);
	} else if (!strcmp(line, "description") && arg) {
		err = kbits_job_set_description(j, arg);
	} else if (!strcmp(line, "add") && arg && (arg2 = strchr(arg, ' '))) {
		*arg2++ = 0;
		err = kbits_job_add_file(j, arg, arg2);
	}
	if (err < 0)
		printf("error %d\n", -err);
	else
		printf("ok%s%s\n", *buf ? " " : "", buf);
	fflush(stdout);
}

/* poll GUID...: one line "STATE BYTES" per job, the jobs read one after another */
static int poll_jobs(int n, char **guids)
{
	char out[4096] = "";
	size_t used = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct kbits_job *j = NULL;
		struct kbits *m = NULL;
		enum kbits_job_state st;
		unsigned long long bytes = 0;
		struct kbits_file *f = NULL;
		size_t k, nf = 0;
		int err;

		err = get(&m, guids[i], &j);
		if (!err)
			err = kbits_job_get_state(j, &st);
		if (!err)
			err = kbits_job_get_files(j, &f, &nf);
		for (k = 0; !err && k < nf; k++)
			bytes += f[k].bytes_transferred;
		if (!err)
			kbits_files_free(f, nf);
		kbits_job_unref(j);
		kbits_unref(m);
		if (err < 0)
			return fail(guids[i], err);
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s %llu\n",
					 kbits_job_state_name(st), bytes);
		if (used >= sizeof(out))
			return fail("poll", -E2BIG);
	}
	fputs(out, stdout);
	return 0;
}

static int run(int argc, char **argv, struct kbits **m, struct kbits_job **j)
{
	const char *cmd = argv[1];
	enum kbits_job_state st;
	int err;

	if (!strcmp(cmd, "create") && (argc == 3 || argc == 4)) {
		char s[KBITS_GUID_STRING_LEN];
		struct kbits_guid id;

		err = kbits_new(m, 0);
		if (!err)
			err = kbits_create_job(*m, argv[2], argc == 3 ? KBITS_JOB_TYPE_DOWNLOAD :
					       !strcmp(argv[3], "upload-reply") ?
					       KBITS_JOB_TYPE_UPLOAD_REPLY : KBITS_JOB_TYPE_UPLOAD,
					       &id, NULL);
		if (err < 0)
			return fail("create", err);
		kbits_guid_format(&id, s);
		printf("%s\n", s);
		return 0;
	}
	if (argc < 3)
		return usage();
	if (!strcmp(cmd, "poll"))
		return poll_jobs(argc - 2, argv + 2);
	err = get(m, argv[2], j);
	if (err < 0)
		return fail("get job", err);
	if (!strcmp(cmd, "add") && argc == 5) {
		err = kbits_job_add_file(*j, argv[3], argv[4]);
	} else if (!strcmp(cmd, "add") && argc == 6) {
		uint8_t d[KBITS_SHA256_SIZE];

		if (parse_sha256(argv[5], d) < 0)
			return usage();
		err = kbits_job_add_file_sha256(*j, argv[3], argv[4], d);
	} else if (!strcmp(cmd, "set") && argc >= 5 && !strcmp(argv[3], "notifycmd")) {
		err = kbits_job_set_notify_cmd(*j, (const char *const *)argv + 4);
	} else if (!strcmp(cmd, "cred") && argc == 6) {
		int t = parse_target(argv[3]), sc = parse_scheme(argv[4]);
		char pw[8192];
		size_t len;

		if (t < 0 || sc < 0)
			return usage();
		if (read_password(pw, sizeof(pw), &len) < 0)
			return fail("read the password", -EINVAL);
		err = set_cred(*j, t, sc, argv[5], pw, len);
		explicit_bzero(pw, sizeof(pw));
	} else if (!strcmp(cmd, "uncred") && argc == 5) {
		int t = parse_target(argv[3]), sc = parse_scheme(argv[4]);

		if (t < 0 || sc < 0)
			return usage();
		err = set_cred(*j, t, sc, NULL, NULL, 0);
	} else if (!strcmp(cmd, "creds") && argc == 3) {
		struct kbits_job_cred_schemes cs;

		memset(&cs, 0, sizeof(cs));
		cs.size = sizeof(cs);
		err = job_ioctl(*j, KBITS_JOB_IOC_GET_CREDENTIALS, &cs);
		if (!err)
			printf("%u %u\n", (unsigned int)cs.server, (unsigned int)cs.proxy);
	} else if (!strcmp(cmd, "headers") && argc == 3) {
		char *h = NULL;

		err = kbits_job_get_http_headers(*j, &h);
		if (!err)
			printf("%s\n", h);
		free(h);
	} else if (!strcmp(cmd, "dump") && argc == 3) {
		err = dump(*j);
	} else if (!strcmp(cmd, "notifycmd") && argc == 3) {
		char **v = NULL;
		size_t i;

		err = kbits_job_get_notify_cmd(*j, &v);
		for (i = 0; !err && v[i]; i++)
			printf("%s\n", v[i]);
		kbits_strv_free(v);
	} else if (!strcmp(cmd, "set") && argc == 5) {
		unsigned long v = strtoul(argv[4], NULL, 0);

		if (!strcmp(argv[3], "proxy"))
			err = kbits_job_set_proxy(*j, KBITS_PROXY_OVERRIDE, argv[4], NULL);
		else if (!strcmp(argv[3], "headers"))
			err = kbits_job_set_http_headers(*j, argv[4]);
		else if (!strcmp(argv[3], "replyfile"))
			err = set_reply_file(*j, argv[4]);
		else if (!strcmp(argv[3], "post"))
			err = set_post(*j, v != 0);
		else if (!strcmp(argv[3], "writeonly"))
			err = set_write_only(*j, v != 0);
		else if (!strcmp(argv[3], "notify"))
			err = kbits_job_set_notify_flags(*j, (uint32_t)v);
		else if (!strcmp(argv[3], "priority"))
			err = kbits_job_set_priority(*j, (enum kbits_job_priority)v);
		else if (!strcmp(argv[3], "retry"))
			err = kbits_job_set_min_retry_delay(*j, (uint32_t)v);
		else if (!strcmp(argv[3], "timeout"))
			err = kbits_job_set_no_progress_timeout(*j, (uint32_t)v);
		else
			return usage();
	} else if (!strcmp(cmd, "resume") && argc == 3) {
		err = kbits_job_resume(*j);
	} else if (!strcmp(cmd, "suspend") && argc == 3) {
		err = kbits_job_suspend(*j);
	} else if (!strcmp(cmd, "cancel") && argc == 3) {
		err = kbits_job_cancel(*j);
	} else if (!strcmp(cmd, "take") && argc == 3) {
		err = kbits_job_take_ownership(*j);
	} else if (!strcmp(cmd, "session") && argc == 3) {
		char line[8192];

		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\n")] = 0;
			session_line(*j, line);
		}
		err = 0;
	} else if (!strcmp(cmd, "complete") && argc == 3) {
		err = kbits_job_complete(*j);
		if (err >= 0)
			printf("%d\n", err);
	} else if (!strcmp(cmd, "state") && argc == 3) {
		err = kbits_job_get_state(*j, &st);
		if (!err)
			printf("%s\n", kbits_job_state_name(st));
	} else if (!strcmp(cmd, "owner") && argc == 3) {
		uid_t uid;

		err = kbits_job_get_owner(*j, &uid);
		if (!err)
			printf("%u\n", (unsigned int)uid);
	} else if (!strcmp(cmd, "error") && argc == 3) {
		struct kbits_error e;

		err = kbits_job_get_error(*j, &e);
		if (!err) {
			printf("%d %d %d %s\n", e.context, e.code, (int)e.file_index, e.text);
			free(e.text);
		}
	} else if (!strcmp(cmd, "errflags") && argc == 3) {
		struct kbits_error e;

		err = kbits_job_get_error(*j, &e);
		if (!err) {
			printf("%d %d %u\n", e.context, e.code, (unsigned int)e.flags);
			free(e.text);
		}
	} else if (!strcmp(cmd, "files") && argc == 3) {
		struct kbits_file *f;
		size_t i, n;

		err = kbits_job_get_files(*j, &f, &n);
		for (i = 0; !err && i < n; i++)
			printf("%zu %lld %llu %d\n", i,
			       f[i].bytes_total == KBITS_SIZE_UNKNOWN ? -1LL :
			       (long long)f[i].bytes_total,
			       (unsigned long long)f[i].bytes_transferred, f[i].completed);
		if (!err)
			kbits_files_free(f, n);
	} else if (!strcmp(cmd, "attrs") && argc == 3) {
		struct kbits_file_attrs fa;
		uint32_t i;
		size_t k;

		for (i = 0;; i++) {
			memset(&fa, 0, sizeof(fa));
			fa.size = sizeof(fa);
			err = kbits_job_get_file_attrs(*j, i, &fa);
			if (err < 0)
				break;
			printf("%u %u %04o ", (unsigned int)i, (unsigned int)fa.flags,
			       (unsigned int)fa.mode);
			for (k = 0; k < KBITS_SHA256_SIZE && (fa.flags & KBITS_FILE_SHA256); k++)
				printf("%02x", fa.sha256[k]);
			printf("%s\n", (fa.flags & KBITS_FILE_SHA256) ? "" : "-");
		}
		if (err == -ENXIO)	/* past the last file */
			err = 0;
	} else if (!strcmp(cmd, "wait") && argc == 5) {
		time_t end = time(NULL) + atoi(argv[4]);

		for (;;) {
			err = kbits_job_get_state(*j, &st);
			if (err < 0)
				break;
			if (in_list(argv[3], kbits_job_state_name(st)))
				break;
			if (time(NULL) >= end) {
				printf("%s\n", kbits_job_state_name(st));
				return 1;
			}
			usleep(50 * 1000);
		}
		if (!err)
			printf("%s\n", kbits_job_state_name(st));
	} else {
		return usage();
	}
	return err < 0 ? fail(cmd, err) : 0;
}

int main(int argc, char **argv)
{
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	int ret;

	if (argc < 2)
		return usage();
	ret = run(argc, argv, &m, &j);
	kbits_job_unref(j);
	kbits_unref(m);
	if (fflush(stdout) != 0)
		return 1;
	return ret;
}
