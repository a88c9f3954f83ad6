// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsd: the agent of kbits.  It attaches to /dev/kbits as the one agent,
 * transfers the files of queued jobs as their owners, and keeps the queue on
 * disk across reboots and module reloads.
 *
 *   kbitsd [--foreground] [--state-dir DIR] [--config FILE] [--max-jobs N]
 *          [--slice SECONDS] [--max-rate PRIORITY=RATE]... [--no-yield]
 *          [--help] [--version]
 *
 * Exit status: 0 stopped by SIGTERM or SIGINT, 1 failed, 2 usage error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbitsd.h"

#define DEFAULT_STATE_DIR "/var/lib/kbits"

static const char usage_text[] =
	"Usage: kbitsd [OPTION]...\n"
	"\n"
	"The agent of kbits: transfers the files of the kernel's queued jobs, as\n"
	"their owners, and keeps the queue on disk.  See kbitsd(8).\n"
	"\n"
	"Options:\n"
	"  -f, --foreground            do not detach (as under systemd)\n"
	"  -s, --state-dir DIR         keep the queue in DIR/queue.db (default "
	DEFAULT_STATE_DIR ")\n"
	"  -c, --config FILE           read settings from FILE (default " DEFAULT_CONFIG ")\n"
	"  -j, --max-jobs N            background jobs transferring at once (default 4)\n"
	"      --slice SECONDS         round-robin time slice (default 30)\n"
	"  -r, --max-rate PRIO=RATE    cap a priority's total rate, bytes/s (K, M, G)\n"
	"      --no-yield              background jobs do not yield to other traffic\n"
	"  -h, --help                  show this help\n"
	"  -V, --version               show the version\n";

/* Detaches as daemon(0, 0) does, but keeps stderr: the log goes there. */
static int detach(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/*
 * SIGTERM, SIGINT and SIGHUP come through a signalfd, and SIGCHLD, which
 * wakes the main loop to reap notify commands; SIGPIPE is ignored.
 */
static int setup_signals(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "max-jobs", required_argument, NULL, 'j' },
		{ "slice", required_argument, NULL, 'S' },
		{ "max-rate", required_argument, NULL, 'r' },
		{ "no-yield", no_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = DEFAULT_STATE_DIR;
	const char *config = NULL, *why;
	static struct policy pol, cmdline;
	long max_jobs = 0, slice = 0;
	bool no_yield = false;
	struct agent *a = NULL;
	char *end;
	size_t i;
	struct kbits *m = NULL;
	bool foreground = false;
	int c, err, sfd;

	argv[0] = (char *)"kbitsd";
	/* the database holds users' headers and proxies: nothing for others */
	umask(077);
	policy_init(&cmdline);
	while ((c = getopt_long(argc, argv, "fs:c:j:r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			max_jobs = strtol(optarg, &end, 10);
			if (*end || max_jobs < 1 || max_jobs > SLOTS_LIMIT) {
				fprintf(stderr, "kbitsd: --max-jobs takes a number from 1 to %d\n",
					SLOTS_LIMIT);
				return 2;
			}
			break;
		case 'S':
			slice = strtol(optarg, &end, 10);
			if (*end || slice < 1 || slice > 86400) {
				fprintf(stderr, "kbitsd: --slice takes seconds from 1 to 86400\n");
				return 2;
			}
			break;
		case 'r':
			if (policy_add_cap(&cmdline, optarg, false, &why) < 0) {
				fprintf(stderr, "kbitsd: --max-rate %s: %s\n", optarg, why);
				return 2;
			}
			break;
		case 'Y':
			no_yield = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'V':
			printf("kbitsd %s\n", KBITS_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kbitsd: unexpected argument '%s'\n", argv[optind]);
		fputs(usage_text, stderr);
		return 2;
	}
	if (state_dir[0] != '/') {
		fprintf(stderr, "kbitsd: --state-dir needs an absolute path\n");
		return 2;
	}
	/* the file, then the command line over it */
	policy_init(&pol);
	if (policy_load(&pol, config ? config : DEFAULT_CONFIG, config != NULL) < 0)
		return 2;
	if (max_jobs)
		pol.max_jobs = (unsigned int)max_jobs;
	if (slice)
		pol.slice = (unsigned int)slice;
	if (no_yield)
		pol.yield = false;
	for (i = 0; i < cmdline.ncaps && pol.ncaps < POLICY_CAPS_MAX; i++)
		pol.caps[pol.ncaps++] = cmdline.caps[i];

	err = kbits_new(&m, geteuid() == 0 ? KBITS_LOAD_MODULE : 0);
	if (err < 0) {
		/* ENOENT, ENODEV, ENXIO: no device, so no module to serve it */
		log_msg(LOG_ERR, "cannot open /dev/kbits: %s%s", strerror(-err),
			err == -ENOENT || err == -ENODEV || err == -ENXIO ?
			" (the kbits module is not loaded: modprobe kbits)" : "");
		return 1;
	}
	sfd = setup_signals();
	if (sfd < 0) {
		log_msg(LOG_ERR, "cannot set up signals: %s", strerror(-sfd));
		kbits_unref(m);
		return 1;
	}
	if (transfer_global_init() < 0) {	/* it said why */
		close(sfd);
		kbits_unref(m);
		return 1;
	}
	/*
	 * Attach (and check the state dir) before detaching, so that the exit
	 * status says whether it could; open the database after, so that no
	 * SQLite connection crosses a fork.
	 */
	err = agent_new(m, state_dir, &pol, sfd, &a);
	if (!err && !foreground) {
		err = detach();
		if (err)
			log_msg(LOG_ERR, "cannot detach: %s", strerror(-err));
	}
	if (!err)
		err = agent_start(a);
	if (!err) {
		log_msg(LOG_INFO, "kbitsd %s: attached to /dev/kbits, state in %s; %u background "
			"job(s) at once, slice %u s, background %s", KBITS_VERSION, state_dir,
			pol.max_jobs, pol.slice,
			pol.yield ? "yields to other traffic" : "does not yield");
		err = agent_run(a);
	}
	agent_free(a);
	transfer_global_cleanup();
	close(sfd);
	kbits_unref(m);
	if (!err)
		log_msg(LOG_INFO, "stopped");
	return err ? 1 : 0;
}
