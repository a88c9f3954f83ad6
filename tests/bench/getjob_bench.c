// SPDX-License-Identifier: GPL-2.0
/*
 * GET_JOB's price, as ratios measured in one run (run as root in the VM:
 * `make bench`):
 *   - GET_JOB + close against pidfd_open + close (the kernel's own "an fd for
 *     this object" call) and against open("/dev/null") + close;
 *   - GET_JOB + close with 10^2 and 10^4 jobs queued (more with -n).
 * Each figure is the best of several rounds of many calls, so a busy host
 * (or an emulated CPU's hiccups) disturbs the ratios less.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#define ROUNDS 5

static int dev;
static struct kbits_get_job get_args;
static pid_t self;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "getjob_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void get_job_close(void)
{
	int fd = ioctl(dev, KBITS_IOC_GET_JOB, &get_args);

	if (fd < 0)
		die("GET_JOB");
	close(fd);
}

static void pidfd_open_close(void)
{
	int fd = (int)syscall(SYS_pidfd_open, self, 0);

	if (fd < 0)
		die("pidfd_open");
	close(fd);
}

static void open_null_close(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/null");
	close(fd);
}

/* The best of ROUNDS rounds of @iters calls, in ns per call. */
static double measure(void (*fn)(void), long iters)
{
	double best = 0;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			fn();
		double t = (now_ns() - t0) / iters;

		if (!r || t < best)
			best = t;
	}
	return best;
}

static int create_job(struct kbits_create_job *args)
{
	static const char name[] = "benchmark job";

	memset(args, 0, sizeof(*args));
	args->size = sizeof(*args);
	args->type = KBITS_JOB_TYPE_DOWNLOAD;
	args->name = (unsigned long)name;
	args->name_len = sizeof(name) - 1;
	return ioctl(dev, KBITS_IOC_CREATE_JOB, args);
}

/* Queues jobs until @total are there (the first one is the one we get). */
static void fill_queue(long *queued, long total)
{
	struct kbits_create_job args;

	for (; *queued < total; (*queued)++) {
		int fd = create_job(&args);

		if (fd < 0)
			die("CREATE_JOB");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	long iters = 20000, queued = 1, max_jobs = 10000;
	struct kbits_create_job args;
	int c, fd;

	while ((c = getopt(argc, argv, "i:n:")) != -1) {
		switch (c) {
		case 'i':
			iters = atol(optarg);
			break;
		case 'n':
			max_jobs = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: getjob_bench [-i ITERATIONS] [-n MAX_JOBS]\n");
			return 2;
		}
	}

	self = getpid();
	dev = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/kbits");
	fd = create_job(&args);
	if (fd < 0)
		die("CREATE_JOB");
	close(fd);
	get_args.size = sizeof(get_args);
	memcpy(get_args.id, args.id, sizeof(get_args.id));

	double get = measure(get_job_close, iters);
	double pidfd = measure(pidfd_open_close, iters);
	double null = measure(open_null_close, iters);

	printf("%-40s %10s %8s\n", "operation", "ns/call", "ratio");
	printf("%-40s %10.0f %8s\n", "GET_JOB + close (1 job queued)", get, "1.00");
	printf("%-40s %10.0f %8.2f   GET_JOB / this\n", "pidfd_open + close", pidfd, get / pidfd);
	printf("%-40s %10.0f %8.2f   GET_JOB / this\n", "open(/dev/null) + close", null, get / null);

	double base = 0;

	for (long n = 100; n <= max_jobs; n *= 100) {
		fill_queue(&queued, n);
		double t = measure(get_job_close, iters);

		if (!base)
			base = t;
		char what[64];

		snprintf(what, sizeof(what), "GET_JOB + close, %ld jobs queued", n);
		printf("%-40s %10.0f %8.2f   against 100 jobs\n", what, t, t / base);
	}
	return 0;
}
