// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the command line of kbits, as bitsadmin is BITS's.
 * `kbitsctl --help` and kbitsctl(1) say what each command does.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "kbitsctl.h"

static const char usage_head[] =
	"Usage: kbitsctl [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"Manages the jobs of kbits, the kernel's queue of background transfers.\n"
	"\n"
	"Commands:\n"
	"  create [--type T] [--priority P] [--description D] NAME\n"
	"                              queue a new job, SUSPENDED; print its GUID\n"
	"  add-file GUID REMOTE LOCAL [REMOTE LOCAL...]\n"
	"  add-file GUID --from FILE   add files to a job, all or none\n"
	"  list [--all-users] [--verbose]\n"
	"                              list your jobs (every user's: CAP_SYS_ADMIN)\n"
	"  info GUID                   show everything about a job\n"
	"  files GUID                  show a job's files and their progress\n"
	"  error GUID                  show a job's last error\n"
	"  set GUID OPTIONS            change a job's settings (see set --help)\n"
	"  resume GUID                 queue a job for transfer\n"
	"  suspend GUID                stop a job's transfer\n"
	"  cancel GUID                 cancel a job: it leaves the queue\n"
	"  complete GUID               put a job's transferred files in place;\n"
	"                              the job leaves the queue\n"
	"  take-ownership [--json] GUID\n"
	"                              show another user's job's files, make it\n"
	"                              yours (CAP_SYS_ADMIN); an active job is\n"
	"                              SUSPENDED until you resume it\n"
	"  monitor [GUID]              watch your jobs, or one, as they progress\n"
	"  transfer [OPTIONS] REMOTE LOCAL [REMOTE LOCAL...]\n"
	"                              download files and wait (bitsadmin /transfer);\n"
	"                              --async: print the GUID and return\n"
	"  help [COMMAND]              show this help, or a command's\n"
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

static int print_usage(FILE *f)
{
	fputs(usage_head, f);
	fputs(exit_status_text, f);
	return f == stdout ? finish_stdout() : EXIT_USAGE;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create },
	{ "add-file", cmd_add_file },
	{ "list", cmd_list },
	{ "info", cmd_info },
	{ "files", cmd_files },
	{ "error", cmd_error },
	{ "set", cmd_set },
	{ "resume", cmd_resume },
	{ "suspend", cmd_suspend },
	{ "cancel", cmd_cancel },
	{ "complete", cmd_complete },
	{ "take-ownership", cmd_take_ownership },
	{ "monitor", cmd_monitor },
	{ "transfer", cmd_transfer },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* Runs @c with its argv starting at its name, which getopt skips. */
static int run(const struct command *c, int argc, char **argv)
{
	static char prog[64];

	snprintf(prog, sizeof(prog), "kbitsctl %s", c->name);
	argv[0] = prog;
	optind = 0;	/* getopt starts afresh */
	return c->fn(argc, argv);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
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
		cmd = find_command(argv[optind + 1]);
		if (!cmd)
			return usage_fail(NULL, "unknown command '%s'", argv[optind + 1]);
		{
			char help[] = "--help";
			char *hargv[] = { NULL, help, NULL };

			return run(cmd, 2, hargv);
		}
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return usage_fail(NULL, "unknown command '%s'", argv[optind]);
	return run(cmd, argc - optind, argv + optind);
}
