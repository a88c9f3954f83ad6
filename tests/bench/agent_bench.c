// SPDX-License-Identifier: GPL-2.0
/*
 * The agent under load (issue 15 item 4).  Run as root in the VM with the
 * module loaded: tests/bench/agent-bench (it makes the users kbench1..4,
 * uids 60001..60004, then runs this), or
 *
 *   agent_bench -d KBITSD [-r ROUNDS] [-s SECONDS] [-n JOBS]
 *
 *   - the storm: 4 processes, each as its own user (uids 60001..60004, the
 *     module's default limits: 60 jobs per user, 300 in all), each in a loop
 *     of CREATE_JOB + ADD_FILES (one http:// file, never resumed, so kbitsd
 *     never transfers it) + CANCEL + close, for SECONDS; in each round once
 *     without an agent and once with kbitsd attached (started for the round,
 *     in the foreground, with a fresh --state-dir on /dev/shm), the order
 *     alternating between rounds: jobs/s, and the ratio of the two in each
 *     round.  A CREATE_JOB refused for a limit (EDQUOT, ENOSPC: a cancelled
 *     job counts until the agent has read its CANCELLED) is counted and
 *     retried after 100 us;
 *   - the agent's OVERFLOWs kbitsd saw in the storm (its "events were lost"
 *     lines), per 10^4 jobs;
 *   - kbitsd's CPU time (utime + stime, its reaped children's too, from
 *     /proc/PID/stat) from the storm's start until it is idle again, per
 *     1,000 jobs, and how long after the storm it was busy;
 *   - RESUME to first byte: root's one-file jobs (default priority) from a
 *     loopback HTTP server in this program, which timestamps the request's
 *     first bytes (CLOCK_MONOTONIC, as the RESUME's return), one job at a
 *     time (TRANSFERRED, then COMPLETE), JOBS of them with kbitsd idle and
 *     JOBS with the storm running, in interleaved blocks of 25: p50 and p99.
 * Every row gives the median over the rounds (or for the latencies the
 * value over all samples) with the rounds' (blocks') minimum and maximum.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#define USERS		4
#define FIRST_UID	60001
#define BLOCK		25	/* latency samples per block */
#define MAX_ROUNDS	32
#define JOB_NAME	"nightly backup of /home/alice/photos"
#define STORM_REMOTE	"http://downloads.example.com/releases/package-1.2.3.tar.xz"
#define STORM_LOCAL	"/home/kbench/Downloads/package-1.2.3.tar.xz"

static const char *kbitsd_path;
static char dir[64];		/* ours, on /dev/shm */
static int dev;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "agent_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @q quantile of @n values (sorts them): the nearest rank's. */
static double quantile(double *v, int n, double q)
{
	int i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (int)(q * n + 0.999999) - 1;
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

struct spread {
	double med, min, max;
};

static struct spread spread_of(const double *v, int n)
{
	double s[MAX_ROUNDS * 16];
	struct spread r;

	memcpy(s, v, n * sizeof(*v));
	r.med = quantile(s, n, 0.5);
	r.min = s[0];
	r.max = s[n - 1];
	return r;
}

static void row(const char *what, struct spread s, const char *unit)
{
	printf("%-52s %11.2f %11.2f %11.2f  %s\n", what, s.med, s.min, s.max, unit);
}

/* ------------------------------------------------------------- the storm */

/* Shared with the storm's processes. */
struct storm {
	atomic_int ready, go, stop;
	struct {
		atomic_long jobs, refused;
	} u[USERS];
};

static struct storm *st;
static pid_t storm_pids[USERS];

static void storm_user(int i)
{
	uid_t uid = FIRST_UID + i;
	struct kbits_file_spec f = {
		.remote = (uintptr_t)STORM_REMOTE,
		.local = (uintptr_t)STORM_LOCAL,
		.remote_len = sizeof(STORM_REMOTE) - 1,
		.local_len = sizeof(STORM_LOCAL) - 1,
	};
	struct kbits_add_files add = {
		.size = sizeof(add),
		.count = 1,
		.entry_size = sizeof(f),
		.files = (uintptr_t)&f,
	};
	int d, fd;

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		die("becoming the storm's user");
	d = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (d < 0)
		die("/dev/kbits as a user");
	st->ready++;
	while (!st->go)
		usleep(100);
	while (!st->stop) {
		struct kbits_create_job c;

		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.type = KBITS_JOB_TYPE_DOWNLOAD;
		c.name = (uintptr_t)JOB_NAME;
		c.name_len = sizeof(JOB_NAME) - 1;
		fd = ioctl(d, KBITS_IOC_CREATE_JOB, &c);
		if (fd < 0 && (errno == EDQUOT || errno == ENOSPC)) {
			st->u[i].refused++;
			usleep(100);
			continue;
		}
		if (fd < 0)
			die("CREATE_JOB (storm)");
		if (ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &add) ||
		    ioctl(fd, KBITS_JOB_IOC_CANCEL))
			die("ADD_FILES + CANCEL (storm)");
		close(fd);
		st->u[i].jobs++;
	}
	_exit(0);
}

static void storm_start(void)
{
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < USERS; i++) {
		storm_pids[i] = fork();
		if (storm_pids[i] < 0)
			die("fork");
		if (!storm_pids[i])
			storm_user(i);
	}
	while (st->ready < USERS)
		usleep(1000);
	st->go = 1;
}

/* Ends the storm; its jobs and refusals in *@jobs and *@refused. */
static void storm_stop(long *jobs, long *refused)
{
	int status;

	st->stop = 1;
	*jobs = *refused = 0;
	for (int i = 0; i < USERS; i++) {
		if (waitpid(storm_pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "agent_bench: a storm process failed\n");
			exit(1);
		}
		*jobs += st->u[i].jobs;
		*refused += st->u[i].refused;
	}
}

/* ---------------------------------------------------------------- kbitsd */

static pid_t kbitsd_pid;
static char kbitsd_log[96];
static int kbitsd_starts;

/* Has @pid an fd on the agent's inode? */
static bool attached(pid_t pid)
{
	char path[64], link[128];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char fdpath[320];
		ssize_t n;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			found = strstr(link, KBITS_AGENT_INODE_NAME) != NULL;
		}
	}
	closedir(d);
	return found;
}

/* kbitsd's CPU time so far, its reaped children's included, in seconds. */
static double kbitsd_cpu(void)
{
	unsigned long long ut, stime, cut, cst;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", kbitsd_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die(path);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* after the comm: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &ut, &stime, &cut, &cst) != 4) {
		errno = EINVAL;
		die(path);
	}
	return (double)(ut + stime + cut + cst) / sysconf(_SC_CLK_TCK);
}

static void kbitsd_start(void)
{
	char state[96], conf[96];
	double t0 = now_ns();
	int fd;

	snprintf(state, sizeof(state), "%s/state-%d", dir, ++kbitsd_starts);
	snprintf(conf, sizeof(conf), "%s/kbitsd.conf", dir);
	snprintf(kbitsd_log, sizeof(kbitsd_log), "%s/kbitsd-%d.log", dir, kbitsd_starts);
	kbitsd_pid = fork();
	if (kbitsd_pid < 0)
		die("fork");
	if (!kbitsd_pid) {
		fd = open(kbitsd_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			die(kbitsd_log);
		execl(kbitsd_path, "kbitsd", "--foreground", "--state-dir", state,
		      "--config", conf, (char *)NULL);
		die(kbitsd_path);
	}
	while (!attached(kbitsd_pid)) {
		if (waitpid(kbitsd_pid, NULL, WNOHANG) == kbitsd_pid ||
		    now_ns() - t0 > 30e9) {
			fprintf(stderr, "agent_bench: kbitsd did not attach; its log, %s:\n",
				kbitsd_log);
			execlp("cat", "cat", kbitsd_log, (char *)NULL);
			exit(1);
		}
		usleep(2000);
	}
}

static void kbitsd_stop(void)
{
	int status;

	kill(kbitsd_pid, SIGTERM);
	if (waitpid(kbitsd_pid, &status, 0) < 0)
		die("waitpid kbitsd");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "agent_bench: kbitsd ended with status %#x (log %s)\n",
			status, kbitsd_log);
}

/* Lines of kbitsd's log that hold @s. */
static long log_count(const char *s)
{
	char line[1024];
	long n = 0;
	FILE *f = fopen(kbitsd_log, "re");

	if (!f)
		die(kbitsd_log);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

/*
 * Waits until kbitsd is idle: its CPU time unchanged over 1 s (it saves the
 * changed jobs once a second).  Returns when it last was busy, in ns.
 */
static double kbitsd_idle(void)
{
	double cpu = kbitsd_cpu(), c, busy = now_ns(), t0 = busy;

	while (now_ns() - busy < 1e9 && now_ns() - t0 < 60e9) {
		usleep(100000);
		c = kbitsd_cpu();
		if (c != cpu) {
			cpu = c;
			busy = now_ns();
		}
	}
	return busy;
}

/* ---------------------------------------------------- the HTTP server */

static int lsock, port;
static pthread_mutex_t arr_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arr_cond = PTHREAD_COND_INITIALIZER;
static double *arrival;		/* per latency job, 0 until its request came */
static long narrival;
static atomic_bool server_stop;

static void *server_run(void *arg)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n"
				    "Connection: close\r\n\r\n0123456789abcdef";
	char req[2048];

	(void)arg;
	while (!server_stop) {
		size_t got = 0;
		ssize_t n;
		double t = 0;
		long i;
		int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		/* the whole header, timed at its first bytes */
		while (got < sizeof(req) - 1) {
			n = read(c, req + got, sizeof(req) - 1 - got);
			if (n <= 0)
				break;
			if (!got)
				t = now_ns();
			got += n;
			req[got] = 0;
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		if (got && sscanf(req, "GET /%ld ", &i) == 1 && i >= 0 && i < narrival) {
			pthread_mutex_lock(&arr_lock);
			if (!arrival[i])
				arrival[i] = t;
			pthread_cond_broadcast(&arr_cond);
			pthread_mutex_unlock(&arr_lock);
			if (write(c, reply, sizeof(reply) - 1) < 0)
				perror("agent_bench: server write");
		}
		close(c);
	}
	return NULL;
}

static pthread_t server_start(long n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	pthread_t th;

	arrival = calloc(n, sizeof(*arrival));
	if (!arrival)
		die("calloc");
	narrival = n;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lsock, 64) || getsockname(lsock, (struct sockaddr *)&sa, &len))
		die("the HTTP server's socket");
	port = ntohs(sa.sin_port);
	if (pthread_create(&th, NULL, server_run, NULL))
		die("pthread_create");
	return th;
}

static void server_stop_join(pthread_t th)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int s;

	server_stop = true;
	/* wake its accept() */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		close(s);
	pthread_join(th, NULL);
	close(lsock);
}

/* Latency jobs that did not end TRANSFERRED (their latencies still count). */
static long failed_jobs;

static uint32_t job_state(int fd)
{
	uint32_t state;

	if (ioctl(fd, KBITS_JOB_IOC_GET_STATE, &state))
		die("GET_STATE");
	return state;
}

/*
 * Latency job @i: created, given its file, resumed; returns the time from
 * RESUME's return to the request's first bytes, in ms, once the job is
 * TRANSFERRED and completed.
 */
static double resume_to_first_byte(long i)
{
	char remote[64], local[96];
	struct kbits_file_spec f = { 0 };
	struct kbits_add_files add = {
		.size = sizeof(add),
		.count = 1,
		.entry_size = sizeof(f),
		.files = (uintptr_t)&f,
	};
	struct kbits_create_job c;
	struct timespec dl;
	double t0, t;
	uint32_t s;
	int fd;

	snprintf(remote, sizeof(remote), "http://127.0.0.1:%d/%ld", port, i);
	snprintf(local, sizeof(local), "%s/dl-%ld", dir, i);
	f.remote = (uintptr_t)remote;
	f.remote_len = strlen(remote);
	f.local = (uintptr_t)local;
	f.local_len = strlen(local);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = KBITS_JOB_TYPE_DOWNLOAD;
	c.name = (uintptr_t)JOB_NAME;
	c.name_len = sizeof(JOB_NAME) - 1;
	fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
	if (fd < 0)
		die("CREATE_JOB");
	if (ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &add))
		die("ADD_FILES");
	if (ioctl(fd, KBITS_JOB_IOC_RESUME))
		die("RESUME");
	t0 = now_ns();

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 60;
	pthread_mutex_lock(&arr_lock);
	while (!arrival[i])
		if (pthread_cond_timedwait(&arr_cond, &arr_lock, &dl) == ETIMEDOUT)
			break;
	t = arrival[i];
	pthread_mutex_unlock(&arr_lock);
	if (!t) {
		fprintf(stderr, "agent_bench: job %ld's request did not come in 60 s (state %u)\n",
			i, job_state(fd));
		exit(1);
	}
	/*
	 * Its request came, so its latency is measured; a job that then fails
	 * (the storm can starve the transfer) is said, counted and cancelled.
	 */
	while ((s = job_state(fd)) != KBITS_JOB_STATE_TRANSFERRED) {
		if (s == KBITS_JOB_STATE_ERROR || s == KBITS_JOB_STATE_TRANSIENT_ERROR ||
		    now_ns() - t > 60e9) {
			char text[256] = "";
			struct kbits_job_error e = {
				.size = sizeof(e),
				.text_len = sizeof(text) - 1,
				.text = (uintptr_t)text,
			};

			if (ioctl(fd, KBITS_JOB_IOC_GET_ERROR, &e))
				snprintf(text, sizeof(text), "no error: %s", strerror(errno));
			fprintf(stderr, "agent_bench: job %ld not TRANSFERRED (state %u: %s; kbitsd's log %s)\n",
				i, s, text, kbitsd_log);
			failed_jobs++;
			if (ioctl(fd, KBITS_JOB_IOC_CANCEL))
				die("CANCEL");
			close(fd);
			unlink(local);
			return (t - t0) / 1e6;
		}
		usleep(1000);
	}
	if (ioctl(fd, KBITS_JOB_IOC_COMPLETE))
		die("COMPLETE");
	close(fd);
	unlink(local);
	return (t - t0) / 1e6;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	int rounds = 3, seconds = 4, opt, r, b, nblocks;
	long lat_jobs = 200, jobs, refused;
	double rate[2][MAX_ROUNDS], refp[2][MAX_ROUNDS], ratio[MAX_ROUNDS];
	double ovf[MAX_ROUNDS], cpu[MAX_ROUNDS], drain[MAX_ROUNDS];
	double *lat[2], bp50[2][MAX_ROUNDS * 16], bp99[2][MAX_ROUNDS * 16];
	double storm_rate[MAX_ROUNDS * 16];
	int nlat[2] = { 0, 0 };
	pthread_t server;
	FILE *f;

	while ((opt = getopt(argc, argv, "d:r:s:n:")) != -1) {
		switch (opt) {
		case 'd':
			kbitsd_path = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			seconds = atoi(optarg);
			break;
		case 'n':
			lat_jobs = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	nblocks = (int)((lat_jobs + BLOCK - 1) / BLOCK);
	if (!kbitsd_path || rounds < 1 || rounds > MAX_ROUNDS || seconds < 1 ||
	    lat_jobs < BLOCK || nblocks > MAX_ROUNDS * 16) {
usage:
		fprintf(stderr, "usage: agent_bench -d KBITSD [-r ROUNDS (1..%d)] [-s SECONDS] "
			"[-n LATENCY_JOBS (%d..%d)]\n", MAX_ROUNDS, BLOCK, MAX_ROUNDS * 16 * BLOCK);
		return 2;
	}
	lat_jobs = (long)nblocks * BLOCK;

	setvbuf(stdout, NULL, _IOLBF, 0);
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		die("mmap");
	strcpy(dir, "/dev/shm/agent_bench.XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	{
		char conf[96];

		snprintf(conf, sizeof(conf), "%s/kbitsd.conf", dir);
		f = fopen(conf, "we");
		if (!f)
			die(conf);
		fclose(f);
	}
	dev = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/kbits");

	printf("agent_bench: %d users, rounds of %d s, %d rounds; %ld RESUMEs in blocks of %d\n",
	       USERS, seconds, rounds, lat_jobs, BLOCK);

	/* 1-3: the storm without and with kbitsd, the order alternating. */
	for (r = 0; r < rounds; r++) {
		for (int k = 0; k < 2; k++) {
			int with = (k + r) % 2;
			double t0, t, c0 = 0;

			if (with) {
				kbitsd_start();
				kbitsd_idle();
				c0 = kbitsd_cpu();
			}
			t0 = now_ns();
			storm_start();
			sleep(seconds);
			storm_stop(&jobs, &refused);
			t = now_ns() - t0;
			rate[with][r] = jobs / (t / 1e9);
			refp[with][r] = 1e4 * refused / jobs;
			if (with) {
				drain[r] = (kbitsd_idle() - (t0 + t)) / 1e6;
				cpu[r] = 1e3 * (kbitsd_cpu() - c0) / (jobs / 1e3);
				ovf[r] = 1e4 * log_count("events were lost") / jobs;
				kbitsd_stop();
			}
		}
		ratio[r] = rate[1][r] / rate[0][r];
	}

	/* 4: RESUME to first byte, idle and under the storm, blocks interleaved. */
	lat[0] = malloc(lat_jobs * sizeof(double));
	lat[1] = malloc(lat_jobs * sizeof(double));
	if (!lat[0] || !lat[1])
		die("malloc");
	server = server_start(2 * lat_jobs);
	kbitsd_start();
	kbitsd_idle();
	for (b = 0; b < 2 * nblocks; b++) {
		int loaded = (b + b / 2) % 2;	/* idle, loaded, loaded, idle, ... */
		int k = b / 2;
		double v[BLOCK], t0 = now_ns();

		if (loaded)
			storm_start();
		for (int j = 0; j < BLOCK; j++) {
			v[j] = resume_to_first_byte((long)b * BLOCK + j);
			lat[loaded][nlat[loaded]++] = v[j];
		}
		if (loaded) {
			storm_stop(&jobs, &refused);
			storm_rate[k] = jobs / ((now_ns() - t0) / 1e9);
			/* the storm's backlog is not the next idle block's */
			kbitsd_idle();
		}
		bp50[loaded][k] = quantile(v, BLOCK, 0.5);
		bp99[loaded][k] = quantile(v, BLOCK, 0.99);
	}
	kbitsd_stop();
	server_stop_join(server);

	printf("\n%-52s %11s %11s %11s  %s\n", "measured", "median", "min", "max", "unit");
	row("storm jobs/s, 4 users, no agent", spread_of(rate[0], rounds), "jobs/s");
	row("storm jobs/s, 4 users, kbitsd attached", spread_of(rate[1], rounds), "jobs/s");
	row("  ratio kbitsd / no agent (per round)", spread_of(ratio, rounds), "");
	row("  CREATE_JOB refused (limits), no agent", spread_of(refp[0], rounds), "per 10^4 jobs");
	row("  CREATE_JOB refused (limits), kbitsd", spread_of(refp[1], rounds), "per 10^4 jobs");
	row("kbitsd: agent OVERFLOWs in the storm", spread_of(ovf, rounds), "per 10^4 jobs");
	row("kbitsd: CPU per 1,000 jobs created+cancelled", spread_of(cpu, rounds), "ms");
	row("kbitsd: busy after the storm ended", spread_of(drain, rounds), "ms");
	for (int l = 0; l < 2; l++) {
		struct spread s;
		char w[64];
		const char *how = l ? "storm running" : "idle";

		s = spread_of(bp50[l], nblocks);
		s.med = quantile(lat[l], nlat[l], 0.5);
		snprintf(w, sizeof(w), "RESUME -> first byte p50, %s", how);
		row(w, s, "ms");
		s = spread_of(bp99[l], nblocks);
		s.med = quantile(lat[l], nlat[l], 0.99);
		snprintf(w, sizeof(w), "RESUME -> first byte p99, %s", how);
		row(w, s, "ms");
	}
	{
		double rr[MAX_ROUNDS * 16];

		for (b = 0; b < nblocks; b++)
			rr[b] = bp50[1][b] / bp50[0][b];
		row("  p50 storm / idle (per block pair)", spread_of(rr, nblocks), "");
	}
	row("  storm jobs/s meanwhile", spread_of(storm_rate, nblocks), "jobs/s");
	printf("(%ld RESUMEs each: the p50 and p99 are over all of them; min and max over blocks of %d)\n",
	       lat_jobs, BLOCK);
	printf("latency jobs not TRANSFERRED (request came, then failed): %ld of %ld\n",
	       failed_jobs, 2 * lat_jobs);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "agent_bench: could not remove %s\n", dir);
	}
	return 0;
}
