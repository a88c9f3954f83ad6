// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the command line of kbits, as bitsadmin is BITS's.
 *
 *   kbitsctl create [--type download|upload|upload-reply] NAME
 *   kbitsctl info [--json] GUID
 *   kbitsctl list [--all-users] [--json]
 *   kbitsctl cancel GUID
 *
 * Exit status: 0 ok, 1 the operation failed, 2 usage error, 3 no such job,
 * 4 permission denied.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kbits/kbits.h>

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_FOUND = 3,
	EXIT_DENIED = 4,
};

static const char usage_text[] =
	"Usage: kbitsctl [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"Manages the jobs of kbits, the kernel's queue of background transfers.\n"
	"\n"
	"Commands:\n"
	"  create [--type TYPE] NAME   queue a new job, SUSPENDED, named NAME, and\n"
	"                              print its GUID; TYPE is download (the\n"
	"                              default), upload or upload-reply\n"
	"  info [--json] GUID          show a job: GUID, display name, type, state\n"
	"                              and owner uid (--json: one JSON object)\n"
	"  list [--all-users] [--json] list your jobs; with --all-users every\n"
	"                              user's (needs CAP_SYS_ADMIN)\n"
	"  cancel GUID                 cancel a job: it leaves the queue\n"
	"  help                        show this help\n"
	"\n"
	"A GUID is written {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, braces optional.\n"
	"\n"
	"Options:\n"
	"  -h, --help       show this help\n"
	"  -V, --version    show the version\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed\n"
	"  2  usage error: unknown command or option, bad argument or GUID\n"
	"  3  the job is not in the queue\n"
	"  4  permission denied: the job belongs to another user\n";

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("kbitsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(void)
{
	fputs("Try 'kbitsctl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Flushes stdout and reports a failed write (e.g. a full disk, a closed pipe). */
static int finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errmsg("cannot write the output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* Opens /dev/kbits, or says why not. */
static int open_kbits(struct kbits **m)
{
	int err = kbits_new(m, 0);

	if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
		errmsg("cannot open /dev/kbits: %s (is the kbits module loaded?)",
		       strerror(-err));
		return EXIT_FAILED;
	}
	if (err < 0) {
		errmsg("cannot open /dev/kbits: %s", strerror(-err));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* Reports a failed operation on the job @id; returns the exit status. */
static int job_error(const struct kbits_guid *id, int err)
{
	char s[KBITS_GUID_STRING_LEN];

	kbits_guid_format(id, s);
	switch (err) {
	case -ENOENT:
		errmsg("job %s: not in the queue", s);
		return EXIT_NOT_FOUND;
	case -EACCES:
		errmsg("job %s: permission denied (it belongs to another user)", s);
		return EXIT_DENIED;
	case -EBADFD:
		errmsg("job %s: already cancelled or acknowledged", s);
		return EXIT_FAILED;
	default:
		errmsg("job %s: %s", s, kbits_strerror(err));
		return EXIT_FAILED;
	}
}

static int parse_guid_arg(const char *arg, struct kbits_guid *id)
{
	if (kbits_guid_parse(arg, id) < 0) {
		errmsg("'%s' is not a GUID", arg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Checks that exactly one operand is left; @what names it in messages. */
static int one_operand(const char *cmd, const char *what, int argc, char **argv)
{
	if (optind >= argc) {
		errmsg("%s: missing %s", cmd, what);
		return usage_error();
	}
	if (optind + 1 < argc) {
		errmsg("%s: too many arguments", cmd);
		return usage_error();
	}
	return EXIT_OK;
}

/* Gets the job @arg names, opening /dev/kbits for it. */
static int get_job(const char *arg, struct kbits_guid *id, struct kbits_job **j)
{
	struct kbits *m = NULL;
	int ret, err;

	ret = parse_guid_arg(arg, id);
	if (ret)
		return ret;
	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_get_job(m, id, j);
	kbits_unref(m);
	return err < 0 ? job_error(id, err) : EXIT_OK;
}

/* ----------------------------------------------------------------- create */

static int parse_type(const char *s, enum kbits_job_type *t)
{
	if (!strcasecmp(s, "download"))
		*t = KBITS_JOB_TYPE_DOWNLOAD;
	else if (!strcasecmp(s, "upload"))
		*t = KBITS_JOB_TYPE_UPLOAD;
	else if (!strcasecmp(s, "upload-reply") || !strcasecmp(s, "upload_reply"))
		*t = KBITS_JOB_TYPE_UPLOAD_REPLY;
	else
		return -1;
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum kbits_job_type type = KBITS_JOB_TYPE_DOWNLOAD;
	char s[KBITS_GUID_STRING_LEN];
	struct kbits_job *j = NULL;
	struct kbits *m = NULL;
	struct kbits_guid id;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_type(optarg, &type) < 0) {
				errmsg("create: unknown job type '%s' (download, upload or upload-reply)",
				       optarg);
				return usage_error();
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return finish_stdout();
		default:
			return usage_error();
		}
	}
	ret = one_operand("create", "the job's NAME", argc, argv);
	if (ret)
		return ret;

	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_create_job(m, argv[optind], type, &id, &j);
	kbits_unref(m);
	switch (err) {
	case 0:
		break;
	case -EINVAL:
		errmsg("cannot create the job: the name is not valid UTF-8");
		return EXIT_FAILED;
	case -ENAMETOOLONG:
		errmsg("cannot create the job: the name is longer than %d bytes",
		       KBITS_DISPLAY_NAME_MAX);
		return EXIT_FAILED;
	default:
		errmsg("cannot create the job: %s", kbits_strerror(err));
		return EXIT_FAILED;
	}

	kbits_guid_format(&id, s);
	printf("%s\n", s);
	ret = finish_stdout();
	if (ret) {
		/* Nobody learnt the GUID: do not leave the job behind. */
		err = kbits_job_cancel(j);
		if (err < 0)
			errmsg("job %s: left in the queue: %s", s, kbits_strerror(err));
	}
	kbits_job_unref(j);
	return ret;
}

/* ------------------------------------------------------------------- info */

/* Writes @s for a terminal: control characters as \xNN, and \ as \\. */
static void put_text(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else
			putchar(c);
	}
}

/* Writes @s as a JSON string (it is UTF-8: the kernel checks names). */
static void put_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		default:
			if (c < 0x20)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	putchar('"');
}

/* What info and list show of a job. */
struct job_info {
	struct kbits_guid id;
	char *name;
	enum kbits_job_type type;
	enum kbits_job_state state;
	uid_t owner;
};

static int read_job(struct kbits_job *j, struct job_info *info)
{
	int err;

	err = kbits_job_get_id(j, &info->id);
	if (!err)
		err = kbits_job_get_display_name(j, &info->name);
	if (!err)
		err = kbits_job_get_type(j, &info->type);
	if (!err)
		err = kbits_job_get_state(j, &info->state);
	if (!err)
		err = kbits_job_get_owner(j, &info->owner);
	return err;
}

/* "1000 (alice)", or just the uid when it has no name here. */
static void put_owner(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	printf("%u", (unsigned int)uid);
	if (pw)
		printf(" (%s)", pw->pw_name);
}

static void put_json_job(const struct job_info *info)
{
	char s[KBITS_GUID_STRING_LEN];

	kbits_guid_format(&info->id, s);
	printf("{\"guid\": \"%s\", \"display_name\": ", s);
	put_json_string(info->name);
	printf(", \"type\": \"%s\", \"state\": \"%s\", \"owner\": %u}",
	       kbits_job_type_name(info->type), kbits_job_state_name(info->state),
	       (unsigned int)info->owner);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct job_info info = { 0 };
	char s[KBITS_GUID_STRING_LEN];
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	bool json = false;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return finish_stdout();
		default:
			return usage_error();
		}
	}
	ret = one_operand("info", "the job's GUID", argc, argv);
	if (ret)
		return ret;
	ret = get_job(argv[optind], &id, &j);
	if (ret)
		return ret;

	err = read_job(j, &info);
	kbits_job_unref(j);
	if (err) {
		free(info.name);
		return job_error(&id, err);
	}

	if (json) {
		put_json_job(&info);
		putchar('\n');
	} else {
		kbits_guid_format(&info.id, s);
		printf("GUID:         %s\n", s);
		fputs("Display name: ", stdout);
		put_text(info.name);
		putchar('\n');
		printf("Type:         %s\n", kbits_job_type_name(info.type));
		printf("State:        %s\n", kbits_job_state_name(info.state));
		fputs("Owner:        ", stdout);
		put_owner(info.owner);
		putchar('\n');
	}
	free(info.name);
	return finish_stdout();
}

/* ------------------------------------------------------------------- list */

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all-users", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int flags = 0;
	struct kbits_guid *ids = NULL;
	struct kbits *m = NULL;
	bool json = false;
	size_t i, n, shown = 0;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "ajh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			flags |= KBITS_ENUM_ALL_USERS;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return finish_stdout();
		default:
			return usage_error();
		}
	}
	if (optind < argc) {
		errmsg("list: too many arguments");
		return usage_error();
	}

	ret = open_kbits(&m);
	if (ret)
		return ret;
	err = kbits_enum_jobs(m, flags, &ids, &n);
	if (err == -EACCES) {
		errmsg("list --all-users: permission denied (needs CAP_SYS_ADMIN)");
		kbits_unref(m);
		return EXIT_DENIED;
	}
	if (err) {
		errmsg("cannot list the jobs: %s", kbits_strerror(err));
		kbits_unref(m);
		return EXIT_FAILED;
	}

	if (json)
		putchar('[');
	else
		printf("%-38s  %-15s  %-8s  %s\n", "GUID", "STATE", "OWNER", "DISPLAY NAME");
	for (i = 0; i < n; i++) {
		struct job_info info = { 0 };
		char s[KBITS_GUID_STRING_LEN];
		struct kbits_job *j;

		/* A job may leave the queue between the walk and the get. */
		if (kbits_get_job(m, &ids[i], &j) < 0)
			continue;
		err = read_job(j, &info);
		kbits_job_unref(j);
		if (err) {
			free(info.name);
			continue;
		}
		if (json) {
			fputs(shown ? ",\n " : "", stdout);
			put_json_job(&info);
		} else {
			kbits_guid_format(&info.id, s);
			printf("%-38s  %-15s  %-8u  ", s, kbits_job_state_name(info.state),
			       (unsigned int)info.owner);
			put_text(info.name);
			putchar('\n');
		}
		shown++;
		free(info.name);
	}
	if (json)
		puts("]");
	free(ids);
	kbits_unref(m);
	return finish_stdout();
}

/* ----------------------------------------------------------------- cancel */

static int cmd_cancel(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return finish_stdout();
		default:
			return usage_error();
		}
	}
	ret = one_operand("cancel", "the job's GUID", argc, argv);
	if (ret)
		return ret;
	ret = get_job(argv[optind], &id, &j);
	if (ret)
		return ret;

	err = kbits_job_cancel(j);
	kbits_job_unref(j);
	return err < 0 ? job_error(&id, err) : EXIT_OK;
}

/* ------------------------------------------------------------------- main */

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create },
	{ "info", cmd_info },
	{ "list", cmd_list },
	{ "cancel", cmd_cancel },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char prog[64];
	const char *cmd;
	size_t i;
	int c;

	/* getopt's messages then read "kbitsctl: ..." whatever the path. */
	argv[0] = (char *)"kbitsctl";

	/* '+': stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return finish_stdout();
		case 'V':
			printf("kbitsctl %s\n", KBITS_VERSION);
			return finish_stdout();
		default:
			return usage_error();
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}

	cmd = argv[optind];
	if (!strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return finish_stdout();
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		/* The command's argv starts at its name, which getopt skips;
		 * optind = 0 makes getopt start afresh. */
		snprintf(prog, sizeof(prog), "kbitsctl %s", cmd);
		argv[optind] = prog;
		argc -= optind;
		argv += optind;
		optind = 0;
		return commands[i].fn(argc, argv);
	}
	errmsg("unknown command '%s'", cmd);
	return usage_error();
}
