// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the command line of kbits, as bitsadmin is BITS's.
 * `kbitsctl --help` and kbitsctl(1) say what each command does.
 *
 * Here: the table of commands (verbs), and what every command's command
 * line shares, parsed once: --help, --json (for the commands that print
 * something), how many operands it takes.  A verb's own options are parsed
 * by its struct verb_options, next to the verb.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kbitsctl.h"

struct verb {
	const char *name;
	int min_args, max_args;		/* operands after the options; -1: no maximum */
	const char *missing;		/* "missing WHAT" when there are too few */
	bool json;			/* takes --json */
	int (*run)(struct cmdline *cl);
	const struct verb_options *options;	/* its own options, and its help */
	/* The usage's line(s): the synopsis, then the one-line summary. */
	const char *synopsis;
	const char *summary;
};

#define GUID_VERB(n, fn, opts, json, syn, sum) \
	{ n, 1, 1, "the job's GUID", json, fn, opts, syn, sum }

static const struct verb verbs[] = {
	{ "create", 1, 1, "the job's NAME", true, cmd_create, &create_options,
	  "create [--type T] [--priority P] [--description D] NAME",
	  "queue a new job, SUSPENDED; print its GUID" },
	{ "add-file", 1, -1, "the job's GUID", false, cmd_add_file, &add_file_options,
	  "add-file GUID REMOTE LOCAL [REMOTE LOCAL...]\nadd-file [--sha256 HEX] GUID REMOTE LOCAL\n"
	  "add-file GUID --from FILE",
	  "add files to a job, all or none" },
	{ "list", 0, 0, NULL, true, cmd_list, &list_options,
	  "list [--all-users] [--verbose]",
	  "list your jobs (every user's: CAP_SYS_ADMIN)" },
	GUID_VERB("info", cmd_info, &info_options, true,
		  "info GUID", "show everything about a job"),
	GUID_VERB("files", cmd_files, &files_options, true,
		  "files GUID", "show a job's files and their progress"),
	GUID_VERB("error", cmd_error, &error_options, true,
		  "error GUID", "show a job's last error"),
	GUID_VERB("set", cmd_set, &set_options, false,
		  "set GUID OPTIONS", "change a job's settings (see set --help)"),
	GUID_VERB("set-credentials", cmd_set_credentials, &set_credentials_options, false,
		  "set-credentials GUID OPTIONS",
		  "give a job a user and password for the\nserver or proxy (the password asked\nfor, or from a file)"),
	GUID_VERB("remove-credentials", cmd_remove_credentials, &remove_credentials_options,
		  false, "remove-credentials GUID OPTIONS",
		  "remove a job's user and password"),
	GUID_VERB("resume", cmd_resume, &resume_options, false,
		  "resume GUID", "queue a job for transfer"),
	GUID_VERB("suspend", cmd_suspend, &suspend_options, false,
		  "suspend GUID", "stop a job's transfer"),
	GUID_VERB("cancel", cmd_cancel, &cancel_options, false,
		  "cancel GUID", "cancel a job: it leaves the queue"),
	GUID_VERB("complete", cmd_complete, &complete_options, true,
		  "complete GUID", "put a job's transferred files in place;\n"
		  "the job leaves the queue"),
	GUID_VERB("take-ownership", cmd_take_ownership, &take_ownership_options, true,
		  "take-ownership [--json] GUID",
		  "show another user's job's files, make it\n"
		  "yours (CAP_SYS_ADMIN); an active job is\n"
		  "SUSPENDED until you resume it"),
	{ "monitor", 0, 1, NULL, true, cmd_monitor, &monitor_options,
	  "monitor [GUID]", "watch your jobs, or one, as they progress" },
	/* "missing REMOTE LOCAL"; one name alone is file_pairs()'s to refuse */
	{ "transfer", 1, -1, "REMOTE LOCAL", true, cmd_transfer, &transfer_options,
	  "transfer [OPTIONS] REMOTE LOCAL [REMOTE LOCAL...]",
	  "download files and wait (bitsadmin /transfer);\n"
	  "--async: print the GUID and return" },
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const char usage_head[] =
	"Usage: kbitsctl [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"Manages the jobs of kbits, the kernel's queue of background transfers.\n"
	"\n"
	"Commands:\n";

static const char usage_tail[] =
	"\n"
	"'kbitsctl COMMAND --help' shows a command's options. Every command that\n"
	"prints something takes --json: one JSON object or array on stdout\n"
	"(monitor: one object per line).\n"
	"\n"
	"A GUID is written {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, braces optional.\n"
	"Wherever a command takes a GUID, name:NAME names the one job of yours\n"
	"whose display name is NAME (take-ownership: of anyone's); none or\n"
	"several is an error, which lists the several.\n"
	"\n"
	"Options:\n"
	"  -h, --help       show this help\n"
	"  -V, --version    show the version\n"
	"\n";

#define SUMMARY_COLUMN 30

/*
 * "  SYNOPSIS   SUMMARY": the summary at SUMMARY_COLUMN, beside the
 * synopsis's last line when it leaves room, else below it; every line of
 * either on a line of its own.
 */
static void put_command(FILE *f, const char *synopsis, const char *summary)
{
	const char *s = synopsis, *nl;
	int len;

	for (;;) {
		nl = strchr(s, '\n');
		len = nl ? (int)(nl - s) : (int)strlen(s);
		fprintf(f, "  %.*s", len, s);
		if (!nl)
			break;
		fputc('\n', f);
		s = nl + 1;
	}
	if (2 + len + 2 <= SUMMARY_COLUMN)
		fprintf(f, "%*s", SUMMARY_COLUMN - 2 - len, "");
	else
		fprintf(f, "\n%*s", SUMMARY_COLUMN, "");
	for (s = summary; (nl = strchr(s, '\n')); s = nl + 1)
		fprintf(f, "%.*s\n%*s", (int)(nl - s), s, SUMMARY_COLUMN, "");
	fprintf(f, "%s\n", s);
}

static int print_usage(FILE *f)
{
	size_t i;

	fputs(usage_head, f);
	for (i = 0; i < N_VERBS; i++)
		put_command(f, verbs[i].synopsis, verbs[i].summary);
	put_command(f, "help [COMMAND]", "show this help, or a command's");
	fputs(usage_tail, f);
	fputs(exit_status_text, f);
	return f == stdout ? finish_stdout() : EXIT_USAGE;
}

static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < N_VERBS; i++)
		if (!strcmp(name, verbs[i].name))
			return &verbs[i];
	return NULL;
}

static int print_verb_help(const struct verb *v)
{
	const char *const *t;

	for (t = v->options->help; *t; t++)
		fputs(*t, stdout);
	return finish_stdout();
}

enum { OPT_COMMON_JSON = 0x1000 };

#define MAX_LONG_OPTS 32

/*
 * The common pass over a verb's command line (@argv[0] its name): --help
 * and --json here, the verb's own options to its parser, then the number
 * of operands.  EXIT_OK with @cl filled in, or the status of the error said
 * (or of the help printed: *done set).
 */
static int parse_verb_line(const struct verb *v, int argc, char **argv, struct cmdline *cl,
			   bool *done)
{
	const struct verb_options *vo = v->options;
	struct option opts[MAX_LONG_OPTS];
	char shorts[64];
	size_t n = 0;
	int c, ret;

	*done = false;
	/* The verb's own first, then --json, --help: getopt's messages list them so. */
	for (const struct option *o = vo->long_opts; o && o->name; o++) {
		/* room for --json, --help and the end: a verb with more is a bug */
		if (n + 3 > MAX_LONG_OPTS) {
			errmsg("%s: too many options (MAX_LONG_OPTS)", v->name);
			return EXIT_FAILED;
		}
		opts[n++] = *o;
	}
	if (v->json)
		opts[n++] = (struct option){ "json", no_argument, NULL, OPT_COMMON_JSON };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	snprintf(shorts, sizeof(shorts), "%sh", vo->short_opts ? vo->short_opts : "");

	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			*done = true;
			return print_verb_help(v);
		case OPT_COMMON_JSON:
			cl->json = true;
			continue;
		case '?':
		case ':':
			return usage_hint(v->name);
		}
		ret = vo->option ? vo->option(cl, c, optarg) : -1;
		if (ret < 0)
			return usage_hint(v->name);
		if (ret)
			return ret;
	}
	cl->argc = argc - optind;
	cl->argv = argv + optind;
	if (cl->argc < v->min_args)
		return usage_fail(v->name, "missing %s", v->missing);
	if (v->max_args >= 0 && cl->argc > v->max_args)
		return usage_fail(v->name, "too many arguments");
	return EXIT_OK;
}

/* Runs @v with its argv starting at its name, which getopt skips. */
static int run(const struct verb *v, int argc, char **argv)
{
	static char prog[64];
	struct cmdline cl = { .name = v->name };
	bool done;
	int ret;

	/* getopt's messages then read "kbitsctl VERB: ..." */
	snprintf(prog, sizeof(prog), "kbitsctl %s", v->name);
	argv[0] = prog;
	optind = 0;	/* getopt starts afresh */
	if (v->options->opts_size) {
		cl.opts = calloc(1, v->options->opts_size);
		if (!cl.opts) {
			errmsg("out of memory");
			return EXIT_FAILED;
		}
	}
	ret = parse_verb_line(v, argc, argv, &cl, &done);
	if (!ret && !done)
		ret = v->run(&cl);
	free(cl.opts);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct verb *v;
	int c;

	/* getopt's messages then read "kbitsctl: ..." whatever the path. */
	argv[0] = (char *)"kbitsctl";

	/* '+': stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return print_usage(stdout);
		case 'V':
			printf("kbitsctl %s\n", KBITS_VERSION);
			return finish_stdout();
		default:
			return usage_hint(NULL);
		}
	}
	if (optind >= argc)
		return print_usage(stderr);

	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc)
			return print_usage(stdout);
		if (optind + 2 < argc)
			return usage_fail(NULL, "help: too many arguments");
		v = find_verb(argv[optind + 1]);
		if (!v)
			return usage_fail(NULL, "unknown command '%s'", argv[optind + 1]);
		return print_verb_help(v);
	}
	v = find_verb(argv[optind]);
	if (!v)
		return usage_fail(NULL, "unknown command '%s'", argv[optind]);
	return run(v, argc - optind, argv + optind);
}
