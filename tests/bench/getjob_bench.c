// SPDX-License-Identifier: GPL-2.0
/*
 * What GET_JOB costs, as ratios measured in one run.  Run as root in the
 * VM, on a freshly loaded module: `make bench` (tests/bench/run-in-vm.sh).
 *
 *   - GET_JOB + close against pidfd_open + close (the kernel's own "an fd
 *     for this object" call), open("/dev/null") + close, and a userspace
 *     daemon that keeps the same GUID table and hands out an fd over an
 *     AF_UNIX socket with SCM_RIGHTS (what one would build instead);
 *   - GET_JOB + close of a random queued job's GUID (pre-drawn) with 10^2 ..
 *     10^6 jobs queued (-n sets the largest), each call timed: a round's
 *     median and 99th percentile; the rounds of all sizes interleaved, in 3
 *     passes up to the largest size and back down (jobs cancelled), so that
 *     each size's 12 rounds are spread over the run; a size's row is the
 *     median of its rounds' medians and of their p99s, with their spread;
 *     pidfd_open + close timed the same way, for the platform's own p99 /
 *     median; and at 10^5, while another thread creates and cancels jobs,
 *     and while one creates 10^5 more (the GUID table grows);
 *   - GET_JOB + close throughput from 1 and 2 threads;
 *   - CREATE_JOB, and ENUM_JOBS of every queued job; with the most jobs,
 *     ENUM_JOBS as root and as a user who owns 60 of them, and how late a
 *     thread on the same CPU that sleeps 100 us at a time wakes meanwhile;
 *   - kernel memory per job: the growth of /proc/meminfo's Slab and
 *     VmallocUsed over 10^5 jobs, each with one file of typical name
 *     lengths.
 * The fixed-GUID latencies are the median of SHORT_ROUNDS short rounds, the
 * throughputs of ROUNDS rounds, that interleave the calls compared (their
 * order rotates from round to round), with the rounds' spread (the short
 * rounds' includes their outliers); a ratio is the median of the rounds'
 * own ratios, so a busy host (or an emulated CPU's hiccups) disturbs it
 * less.  Rows measured once show "-" for a spread.  With -o FILE the
 * random lookups' median, p99, and lowest and highest round median against
 * queue size are also written to FILE for tests/bench/latency.gp.  With -q
 * it stops after the first table (GET_JOB against the other ways to get an
 * fd): a quick look at that ratio, e.g. before and after a change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#define ROUNDS		5
/*
 * The fixed-GUID calls' rounds: many short ones, so that the emulated
 * CPU's changes of speed (it runs for seconds at one of two) fall on the
 * calls compared alike, round by round, rather than on one of them for a
 * whole long round.
 */
#define SHORT_ROUNDS	100
#define THREAD_MS	500	/* one round of a throughput */
/* The display name of every job: about as long as a typical one. */
#define JOB_NAME	"nightly backup of /home/alice/photos"

static int dev;

/* The GUIDs of the jobs this program queued, in the order made. */
static uint8_t (*ids)[KBITS_GUID_SIZE];
static long nids, ids_room;

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

/* ------------------------------------------------------- the kbits calls */

static int create_job(uint8_t *id)
{
	struct kbits_create_job args;
	int fd;

	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.type = KBITS_JOB_TYPE_DOWNLOAD;
	args.name = (uintptr_t)JOB_NAME;
	args.name_len = sizeof(JOB_NAME) - 1;
	fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &args);
	if (fd < 0)
		die("CREATE_JOB");
	if (id)
		memcpy(id, args.id, KBITS_GUID_SIZE);
	if (nids == ids_room) {
		ids_room = ids_room ? 2 * ids_room : 4096;
		ids = realloc(ids, ids_room * sizeof(*ids));
		if (!ids)
			die("realloc");
	}
	memcpy(ids[nids++], args.id, KBITS_GUID_SIZE);
	return fd;
}

/* Cancels the job made last; returns false when it made none. */
static bool cancel_last(void)
{
	struct kbits_get_job args;
	int fd;

	if (!nids)
		return false;
	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	memcpy(args.id, ids[--nids], KBITS_GUID_SIZE);
	fd = ioctl(dev, KBITS_IOC_GET_JOB, &args);
	if (fd < 0 || ioctl(fd, KBITS_JOB_IOC_CANCEL))
		die("GET_JOB + CANCEL");
	close(fd);
	return true;
}

static void get_job_close(const uint8_t *id)
{
	struct kbits_get_job args;
	int fd;

	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	memcpy(args.id, id, KBITS_GUID_SIZE);
	fd = ioctl(dev, KBITS_IOC_GET_JOB, &args);
	if (fd < 0)
		die("GET_JOB");
	close(fd);
}

/* Queues jobs until @total are there. */
static void fill_queue(long *queued, long total)
{
	for (; *queued < total; (*queued)++)
		close(create_job(NULL));
}

/* Names of typical lengths: a 72-byte URL, a 47-byte path. */
#define FILE_REMOTE "https://downloads.example.com/releases/2026/11/package-1.2.3-x86_64.tar.xz"
#define FILE_LOCAL "/home/alice/Downloads/package-1.2.3-x86_64.tar.xz"

/* Queues jobs with one file each until @total are there. */
static void fill_queue_with_files(long *queued, long total)
{
	struct kbits_file_spec f = {
		.remote = (uintptr_t)FILE_REMOTE,
		.local = (uintptr_t)FILE_LOCAL,
		.remote_len = sizeof(FILE_REMOTE) - 1,
		.local_len = sizeof(FILE_LOCAL) - 1,
	};
	struct kbits_add_files args = {
		.size = sizeof(args),
		.count = 1,
		.entry_size = sizeof(f),
		.files = (uintptr_t)&f,
	};
	int fd;

	for (; *queued < total; (*queued)++) {
		fd = create_job(NULL);
		if (ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &args))
			die("ADD_FILES");
		close(fd);
	}
}

/* Every queued job's GUID, in batches of KBITS_ENUM_MAX; returns how many. */
static long enum_all(void)
{
	static struct kbits_job_id ids[KBITS_ENUM_MAX];
	struct kbits_enum_jobs e;
	long n = 0;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.ids = (uintptr_t)ids;
	while (e.cursor != KBITS_ENUM_END) {
		e.count = KBITS_ENUM_MAX;
		if (ioctl(dev, KBITS_IOC_ENUM_JOBS, &e))
			die("ENUM_JOBS");
		n += e.count;
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void row(const char *what, double value, const char *unit,
		double ratio, const char *ratio_means, const char *target);
static void row_spread(const char *what, double value, const char *unit,
		       double spread, double ratio, const char *ratio_means,
		       const char *target);

/*
 * How late a thread sharing the walker's CPU wakes from 100 us sleeps while
 * the walker calls ENUM_JOBS: a long walk in the kernel without a
 * rescheduling point would hold it off.
 */
static atomic_bool sleeper_stop;
static double sleeper_worst;

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void *sleeper_run(void *arg)
{
	struct timespec ts = { 0, 100000 };

	(void)arg;
	pin_cpu0();
	sleeper_worst = 0;
	while (!sleeper_stop) {
		double t0 = now_ns(), late;

		nanosleep(&ts, NULL);
		late = now_ns() - t0 - 100000;
		if (late > sleeper_worst)
			sleeper_worst = late;
	}
	return NULL;
}

/*
 * Walks of every job the caller may list (the ENUM_JOBS batches of
 * enum_all()), 3 of them, with a sleeper on the same CPU: the ENUM walk's
 * median time in ms in *@ms, the sleeper's worst lateness in us returned.
 * With @spin the walker instead spins in userspace as long as the walks
 * took: how late the sleeper is when the kernel has no say (the emulated
 * CPU's and the host's own delays).
 */
static double enum_with_sleeper(double *ms, long *listed, double spin)
{
	double t[3], t0;
	cpu_set_t was;
	pthread_t th;

	if (sched_getaffinity(0, sizeof(was), &was))
		die("sched_getaffinity");
	pin_cpu0();
	sleeper_stop = false;
	if (pthread_create(&th, NULL, sleeper_run, NULL))
		die("pthread_create");
	usleep(10000);
	for (int i = 0; i < 3; i++) {
		t0 = now_ns();
		if (spin)
			while (now_ns() - t0 < spin * 1e6)
				;
		else
			*listed = enum_all();
		t[i] = now_ns() - t0;
	}
	sleeper_stop = true;
	pthread_join(th, NULL);
	/* the lookups after it run where the scheduler puts them, as before */
	if (sched_setaffinity(0, sizeof(was), &was))
		die("sched_setaffinity");
	qsort(t, 3, sizeof(*t), cmp_double);
	*ms = t[1] / 1e6;
	return sleeper_worst / 1e3;
}

/* The rows of one caller's walks: time, and the sleeper against a spin. */
static void enum_caller_rows(const char *who)
{
	double ms, late, spin_ms, spin_late;
	char what[64];
	long listed;

	late = enum_with_sleeper(&ms, &listed, 0);
	spin_late = enum_with_sleeper(&spin_ms, &(long){ 0 }, ms);
	snprintf(what, sizeof(what), "ENUM_JOBS walk, %s: %ld listed", who, listed);
	row(what, ms, "ms", 1, "", "");
	row("  a same-CPU sleeper woke late by", late, "us", late / spin_late,
	    "against a userspace spin", "");
}

/*
 * ENUM_JOBS with the whole queue as root, and as a user who owns 60 jobs
 * among them (a child, which makes them and cancels them).
 */
static void enum_rows(long queued)
{
	char who[64];
	pid_t pid;

	enum_caller_rows("root");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fds[60];

		if (setresuid(-1, 2033, -1))
			die("setresuid");
		for (int i = 0; i < 60; i++)
			fds[i] = create_job(NULL);
		snprintf(who, sizeof(who), "a user owning 60 of %ld", queued + 60);
		enum_caller_rows(who);
		for (int i = 0; i < 60; i++)
			if (ioctl(fds[i], KBITS_JOB_IOC_CANCEL))
				die("CANCEL");
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid");
	/* the rest runs on any CPU again */
	{
		cpu_set_t all;

		CPU_ZERO(&all);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}
}

/* ------------------------------------------------- what it is compared to */

static pid_t self;
static uint8_t the_job[KBITS_GUID_SIZE];

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

static void the_job_close(void)
{
	get_job_close(the_job);
}

/*
 * The daemon one would write instead of a kernel queue: it keeps the jobs
 * in a hash table keyed by GUID (an eventfd stands for each job), learns its
 * client's uid once per connection (SO_PEERCRED), and answers each request
 * (a GUID) with a status and, when the client may have the job, the job's
 * fd over SCM_RIGHTS.  The client keeps its connection open between
 * requests, as a library would.
 */
struct daemon_job {
	uint8_t id[KBITS_GUID_SIZE];
	uid_t owner;
	int fd;
	bool used;
};

#define DAEMON_SLOTS 256	/* a power of two, more than DAEMON_JOBS */
#define DAEMON_JOBS 100

static struct daemon_job daemon_table[DAEMON_SLOTS];
static int daemon_sock = -1;
static pid_t daemon_pid;

static uint32_t guid_hash(const uint8_t *id)
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));	/* random bits already */
	return h;
}

static struct daemon_job *daemon_find(const uint8_t *id, bool insert)
{
	uint32_t i = guid_hash(id);

	for (;; i++) {
		struct daemon_job *j = &daemon_table[i & (DAEMON_SLOTS - 1)];

		if (!j->used)
			return insert ? j : NULL;
		if (!memcmp(j->id, id, KBITS_GUID_SIZE))
			return j;
	}
}

static void daemon_serve(int sock)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &len))
		die("SO_PEERCRED");
	for (;;) {
		uint8_t id[KBITS_GUID_SIZE];
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		int32_t status = 0;
		struct iovec iov = { &status, sizeof(status) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct daemon_job *j;
		ssize_t n = recv(sock, id, sizeof(id), 0);

		if (n <= 0)
			_exit(0);
		j = n == sizeof(id) ? daemon_find(id, false) : NULL;
		if (!j) {
			status = -ENOENT;
		} else if (peer.uid != j->owner && peer.uid != 0) {
			status = -EACCES;
		} else {
			struct cmsghdr *c;

			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &j->fd, sizeof(int));
		}
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
			_exit(1);
	}
}

/* Starts the daemon with DAEMON_JOBS jobs; the_job is one of them. */
static void daemon_start(void)
{
	int sv[2];

	for (int i = 0; i < DAEMON_JOBS; i++) {
		uint8_t id[KBITS_GUID_SIZE];
		struct daemon_job *j;

		if (i == 0)
			memcpy(id, the_job, sizeof(id));
		else if (getrandom(id, sizeof(id), 0) != sizeof(id))
			die("getrandom");
		j = daemon_find(id, true);
		memcpy(j->id, id, sizeof(id));
		j->owner = getuid();
		j->fd = eventfd(0, EFD_CLOEXEC);
		if (j->fd < 0)
			die("eventfd");
		j->used = true;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	daemon_pid = fork();
	if (daemon_pid < 0)
		die("fork");
	if (daemon_pid == 0) {
		close(sv[0]);
		daemon_serve(sv[1]);
	}
	close(sv[1]);
	daemon_sock = sv[0];
}

static void daemon_get_close(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int32_t status;
	struct iovec iov = { &status, sizeof(status) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	int fd;

	if (send(daemon_sock, the_job, sizeof(the_job), 0) != sizeof(the_job))
		die("send to the daemon");
	if (recvmsg(daemon_sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(status))
		die("recvmsg from the daemon");
	c = CMSG_FIRSTHDR(&msg);
	if (status || !c || c->cmsg_type != SCM_RIGHTS) {
		errno = status ? -status : EPROTO;
		die("the daemon's answer");
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	close(fd);
}

static void daemon_stop(void)
{
	close(daemon_sock);
	waitpid(daemon_pid, NULL, 0);
	for (int i = 0; i < DAEMON_SLOTS; i++)
		if (daemon_table[i].used)
			close(daemon_table[i].fd);
}

/* --------------------------------------------------------------- measuring */

/* The median of @n values (sorted in place), and their spread around it. */
static double median_spread(double *v, int n, double *spread)
{
	double med;

	qsort(v, n, sizeof(*v), cmp_double);
	med = v[n / 2];
	if (spread)
		*spread = med ? (v[n - 1] - v[0]) / med : 0;
	return med;
}

/* A call the fixed-GUID table compares, and what its rounds measured. */
struct timed {
	void (*fn)(void);
	long iters;		/* calls per round */
	double ns[SHORT_ROUNDS];	/* ns per call, round by round */
};

/*
 * SHORT_ROUNDS rounds in which each of the @n calls runs its @iters times,
 * in an order that rotates from round to round: a host's drift falls on all
 * of them alike, and each ratio is taken within a round.
 */
static void compare(struct timed *c, int n)
{
	for (int r = 0; r < SHORT_ROUNDS; r++) {
		for (int k = 0; k < n; k++) {
			struct timed *x = &c[(k + r) % n];
			double t0 = now_ns();

			for (long i = 0; i < x->iters; i++)
				x->fn();
			x->ns[r] = (now_ns() - t0) / x->iters;
		}
	}
}

/* The median over @n rounds of @a's / @b's of the same round. */
static double round_ratio(const double *a, const double *b, int n)
{
	double q[SHORT_ROUNDS];

	for (int r = 0; r < n; r++)
		q[r] = a[r] / b[r];
	return median_spread(q, n, NULL);
}

/* A row of a call compared over @n rounds: its median round, spread, a ratio. */
static void timed_row(const char *what, const double *v, int n, const char *unit,
		      double ratio, const char *ratio_means, const char *target)
{
	double c[SHORT_ROUNDS], spread, med;

	memcpy(c, v, n * sizeof(*c));
	med = median_spread(c, n, &spread);
	row_spread(what, med, unit, spread, ratio, ratio_means, target);
}

/* ------------------------------------------------- random lookups, timed */

/* xorshift64*: the draws need not be good, only not the same job. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A size's random lookups: the rounds' medians and 99th percentiles. */
struct lookups {
	double med, p99;	/* the median round's (by median), the median p99 */
	double spread;		/* (highest - lowest round median) / med */
	double p99_spread;	/* the same of the rounds' p99s */
};

/* Rounds' medians and p99s as struct lookups (sorts them). */
static struct lookups lookups_of(double *med, double *p99, int n)
{
	struct lookups l;

	l.p99 = median_spread(p99, n, &l.p99_spread);
	l.med = median_spread(med, n, &l.spread);
	return l;
}

/* Room for a round's GUIDs and times: @iters of each. */
static uint8_t (*drawn)[KBITS_GUID_SIZE];
static double *round_ns;

static void round_room(long iters)
{
	static long room;

	if (room >= iters)
		return;
	free(drawn);
	free(round_ns);
	drawn = malloc(iters * sizeof(*drawn));
	round_ns = malloc(iters * sizeof(*round_ns));
	if (!drawn || !round_ns)
		die("malloc");
	room = iters;
}

static void get_drawn_close(long i)
{
	get_job_close(drawn[i]);
}

static void pidfd_call(long i)
{
	(void)i;
	pidfd_open_close();
}

/* One round of @call(0 .. @iters - 1), each call timed alone: median, p99. */
static void timed_round(void (*call)(long i), long iters, double *med, double *p99)
{
	round_room(iters);
	for (long i = 0; i < iters; i++) {
		double t0 = now_ns();

		call(i);
		round_ns[i] = now_ns() - t0;
	}
	qsort(round_ns, iters, sizeof(*round_ns), cmp_double);
	*med = round_ns[iters / 2];
	*p99 = round_ns[iters * 99 / 100];
}

/*
 * One round of @iters GET_JOB + close, each of the GUID of a job drawn at
 * random among the first @among this program queued (drawn before the
 * round, so that drawing is not timed), each call timed alone.  The GUIDs
 * are copied in the order drawn, so that the lookups' memory is as cold as
 * the queue's size makes it.
 */
static void lookup_round(long among, long iters, double *med, double *p99)
{
	round_room(iters);
	for (long i = 0; i < iters; i++)
		memcpy(drawn[i], ids[rng() % among], KBITS_GUID_SIZE);
	timed_round(get_drawn_close, iters, med, p99);
}

/* ROUNDS rounds of lookup_round(): the median round, the median p99. */
static struct lookups random_lookups(long among, long iters)
{
	double med[ROUNDS], p99[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		lookup_round(among, iters, &med[r], &p99[r]);
	return lookups_of(med, p99, ROUNDS);
}

/*
 * The same for pidfd_open + close, each call timed alone: what the median
 * and the p99 of a kernel call that makes an fd are on this platform (an
 * emulated CPU's interrupts and the host's scheduling land in every p99).
 */
static struct lookups pidfd_each(long iters)
{
	double med[ROUNDS], p99[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		timed_round(pidfd_call, iters, &med[r], &p99[r]);
	return lookups_of(med, p99, ROUNDS);
}

/*
 * The queue sizes' rounds, gathered over the whole run: CYCLES passes from
 * 10^2 up to the largest size and back down, VISIT_ROUNDS rounds at each
 * size on each way (at the largest, twice that on each pass), so that each
 * size's rounds are spread over the run, interleaved with the others', and
 * a host that is slower for a while slows every size alike.
 */
#define CYCLES		3
#define VISIT_ROUNDS	2
#define MAX_SIZES	8
#define SIZE_ROUNDS	(CYCLES * 2 * VISIT_ROUNDS)

static struct size_rounds {
	long jobs;			/* the queue's size */
	int n;
	double med[SIZE_ROUNDS], p99[SIZE_ROUNDS];
} sizes[MAX_SIZES];

/* VISIT_ROUNDS rounds at size @k, the queue holding nids jobs. */
static void visit(int k, long iters)
{
	struct size_rounds *z = &sizes[k];

	z->jobs = nids;
	for (int r = 0; r < VISIT_ROUNDS && z->n < SIZE_ROUNDS; r++, z->n++)
		lookup_round(nids, iters, &z->med[z->n], &z->p99[z->n]);
}

/* Another thread's work while lookups are timed: churn, or growth. */
static atomic_bool churn_stop;
static atomic_long churn_done;

static uint8_t (*grown)[KBITS_GUID_SIZE];

static void *churn_run(void *arg)
{
	uint8_t id[KBITS_GUID_SIZE];
	long grow = (long)arg;

	while (!churn_stop && (!grow || churn_done < grow)) {
		struct kbits_create_job c;
		int fd;

		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.type = KBITS_JOB_TYPE_DOWNLOAD;
		c.name = (uintptr_t)JOB_NAME;
		c.name_len = sizeof(JOB_NAME) - 1;
		fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
		if (fd < 0)
			die("CREATE_JOB (churn)");
		memcpy(id, c.id, sizeof(id));
		if (!grow && ioctl(fd, KBITS_JOB_IOC_CANCEL))
			die("CANCEL (churn)");
		if (grow)
			memcpy(grown[churn_done], id, sizeof(id));
		close(fd);
		churn_done++;
	}
	return NULL;
}

/*
 * Random lookups among the jobs queued while another thread creates and
 * cancels jobs (@grow 0), or creates @grow more (they join the GUIDs this
 * program queued): then rounds go on until it is done, and the worst
 * median and p99 of them count.
 */
static struct lookups lookups_while(long iters, long grow)
{
	long among = nids;
	struct lookups l;
	pthread_t th;

	churn_stop = false;
	churn_done = 0;
	if (grow) {
		grown = malloc(grow * sizeof(*grown));
		if (!grown)
			die("malloc");
	}
	if (pthread_create(&th, NULL, churn_run, (void *)grow))
		die("pthread_create");
	l = random_lookups(among, iters);
	while (grow && churn_done < grow) {
		struct lookups more = random_lookups(among, iters);
		double p99 = l.p99 > more.p99 ? l.p99 : more.p99;

		if (more.med > l.med)
			l = more;
		l.p99 = p99;
	}
	churn_stop = true;
	pthread_join(th, NULL);
	for (long i = 0; grow && i < churn_done; i++) {
		if (nids == ids_room) {
			ids_room *= 2;
			ids = realloc(ids, ids_room * sizeof(*ids));
			if (!ids)
				die("realloc");
		}
		memcpy(ids[nids++], grown[i], KBITS_GUID_SIZE);
	}
	free(grown);
	grown = NULL;
	return l;
}

static void lookup_rows(const char *what, long size, struct lookups l,
			double base)
{
	char w[96];

	snprintf(w, sizeof(w), "%s, %ld: median", what, size);
	row_spread(w, l.med, "ns", l.spread, l.med / base,
		   "median / 10^2's median", size == 1000000 ? "<= 1.2" : "");
	snprintf(w, sizeof(w), "%s, %ld: p99", what, size);
	row_spread(w, l.p99, "ns", l.p99_spread, l.p99 / l.med, "p99 / median",
		   "<= 2");
}

/*
 * Throughput: each thread calls @fn for a while, on a job of its own.  The
 * same with pidfd_open + close shows what the platform (the fd table, the
 * emulated CPUs) lets any such call gain from a second thread.
 */
struct worker {
	pthread_t thread;
	void (*fn)(struct worker *w);
	const uint8_t *id;
	long calls;
};

/* The workers' jobs, one each, made once. */
static uint8_t worker_job[2][KBITS_GUID_SIZE];

static atomic_bool workers_stop;

static void worker_get_job(struct worker *w)
{
	get_job_close(w->id);
}

static void worker_pidfd(struct worker *w)
{
	(void)w;
	pidfd_open_close();
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	while (!workers_stop) {
		w->fn(w);
		w->calls++;
	}
	return NULL;
}

/* Calls per second of @fn, from @n threads together, for THREAD_MS. */
static double throughput(void (*fn)(struct worker *w), int n)
{
	struct worker w[2];
	double t0, t;
	long calls = 0;

	workers_stop = false;
	for (int i = 0; i < n; i++) {
		w[i].id = worker_job[i];
		w[i].fn = fn;
		w[i].calls = 0;
	}
	t0 = now_ns();
	for (int i = 0; i < n; i++)
		if (pthread_create(&w[i].thread, NULL, worker_run, &w[i]))
			die("pthread_create");
	usleep(THREAD_MS * 1000);
	workers_stop = true;
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		calls += w[i].calls;
	}
	t = now_ns() - t0;
	return calls / (t / 1e9);
}

/*
 * The kernel memory that objects take: /proc/meminfo's Slab plus
 * VmallocUsed (a big hash table's buckets are vmalloc'd), in bytes, once
 * what was closed has been freed.
 */
static long kernel_bytes(void)
{
	char line[128];
	long kb, total = 0;
	int found = 0;
	FILE *f;

	usleep(200000);		/* let RCU free what was closed */
	f = fopen("/proc/meminfo", "re");
	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1 ||
		    sscanf(line, "VmallocUsed: %ld kB", &kb) == 1) {
			total += kb;
			found++;
		}
	fclose(f);
	if (found != 2) {
		errno = ENOENT;
		die("Slab or VmallocUsed in /proc/meminfo");
	}
	return total * 1024;
}

/* ------------------------------------------------------------------ report */

/*
 * A row: what, its value, the spread of the rounds it is the median of
 * ((highest - lowest) / median; "-" for a single measurement), a ratio,
 * what the ratio is, its target.
 */
static void row_spread(const char *what, double value, const char *unit,
		       double spread, double ratio, const char *ratio_means,
		       const char *target)
{
	char v[32], sp[16];

	snprintf(v, sizeof(v), "%.0f %s", value, unit);
	if (spread >= 0)
		snprintf(sp, sizeof(sp), "%.0f%%", 100 * spread);
	else
		snprintf(sp, sizeof(sp), "-");
	printf("%-52s %16s %7s %8.2f  %-28s %s\n", what, v, sp, ratio,
	       ratio_means, target);
}

static void row(const char *what, double value, const char *unit,
		double ratio, const char *ratio_means, const char *target)
{
	row_spread(what, value, unit, -1, ratio, ratio_means, target);
}

int main(int argc, char **argv)
{
	long iters = 20000, queued = 0, max_jobs = 1000000;
	const char *datafile = NULL;
	double get, t, base = 0, ct, tp[4][ROUNDS];
	FILE *data = NULL;
	long mem0, n;
	long target[MAX_SIZES];
	int c, nsizes = 0;
	bool quick = false;

	while ((c = getopt(argc, argv, "i:n:o:q")) != -1) {
		switch (c) {
		case 'i':
			iters = atol(optarg);
			break;
		case 'n':
			max_jobs = atol(optarg);
			break;
		case 'o':
			datafile = optarg;
			break;
		case 'q':
			quick = true;
			break;
		default:
			fprintf(stderr, "usage: getjob_bench [-q] [-i ITERATIONS] [-n MAX_JOBS] [-o DATAFILE]\n");
			return 2;
		}
	}
	if (max_jobs < 1000)
		max_jobs = 1000;

	self = getpid();
	dev = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/kbits");
	if (datafile) {
		data = fopen(datafile, "we");
		if (!data)
			die(datafile);
		fprintf(data, "# jobs queued, GET_JOB + close of a random job: median ns, "
			"p99 ns, lowest and highest round's median ns\n");
	}

	printf("%-52s %16s %7s %8s  %-28s %s\n", "measured", "value", "spread",
	       "ratio", "ratio is", "target");

	/* Against the other ways to get an fd, with 100 jobs queued. */
	close(create_job(the_job));
	queued = 1;
	fill_queue(&queued, DAEMON_JOBS);
	daemon_start();
	{
		/* as many calls in all as ROUNDS rounds of @iters */
		long short_iters = iters * ROUNDS / SHORT_ROUNDS;
		struct timed c[] = {
			{ the_job_close, short_iters, { 0 } },
			{ pidfd_open_close, short_iters, { 0 } },
			{ open_null_close, short_iters, { 0 } },
			{ daemon_get_close, short_iters / 4, { 0 } },
		};
		const int n = SHORT_ROUNDS;
		double m[SHORT_ROUNDS];

		compare(c, 4);
		memcpy(m, c[0].ns, sizeof(m));
		get = median_spread(m, n, NULL);
		timed_row("GET_JOB + close, 100 jobs queued", c[0].ns, n, "ns",
			  1, "", "");
		timed_row("pidfd_open + close", c[1].ns, n, "ns",
			  round_ratio(c[0].ns, c[1].ns, n), "GET_JOB / pidfd_open",
			  "<= 1.3");
		timed_row("open(/dev/null) + close", c[2].ns, n, "ns",
			  round_ratio(c[0].ns, c[2].ns, n), "GET_JOB / open", "");
		timed_row("socket daemon: GUID -> SCM_RIGHTS fd", c[3].ns, n, "ns",
			  round_ratio(c[3].ns, c[0].ns, n), "daemon / GET_JOB",
			  ">= 10");
	}
	daemon_stop();
	if (quick)
		return 0;

	/*
	 * Threads, with 100 jobs (and the workers' own) queued: rounds of the
	 * four, in an order that rotates.
	 */
	close(create_job(worker_job[0]));
	close(create_job(worker_job[1]));
	queued += 2;
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < 4; k++) {
			int x = (k + r) % 4;

			tp[x][r] = throughput(x < 2 ? worker_get_job : worker_pidfd,
					      x % 2 + 1);
		}
	}
	timed_row("GET_JOB + close, 1 thread", tp[0], ROUNDS, "/s", 1, "", "");
	timed_row("GET_JOB + close, 2 threads", tp[1], ROUNDS, "/s",
		  round_ratio(tp[1], tp[0], ROUNDS), "2 threads / 1 thread", ">= 1.7");
	timed_row("pidfd_open + close, 1 thread", tp[2], ROUNDS, "/s", 1, "", "");
	timed_row("pidfd_open + close, 2 threads", tp[3], ROUNDS, "/s",
		  round_ratio(tp[3], tp[2], ROUNDS), "2 threads / 1 thread", "");

	/*
	 * Random lookups against queue size: CYCLES passes up and down (see
	 * struct size_rounds).  On the first pass up, on the way: CREATE_JOB
	 * from 10^2 to 10^3 jobs; pidfd_open timed as the lookups are, at
	 * 10^2; at 10^5, lookups while another thread churns and while one
	 * grows the queue by 10^5 (the GUID table resizes), then the memory
	 * 10^5 more jobs with a file take; at the top, ENUM_JOBS.
	 */
	for (long size = 100; size <= max_jobs && nsizes < MAX_SIZES; size *= 10)
		target[nsizes++] = size;
	for (int cycle = 0; cycle < CYCLES; cycle++) {
		int k;

		fprintf(stderr, "getjob_bench: random lookups, pass %d of %d\n",
			cycle + 1, CYCLES);
		for (k = 0; k < nsizes; k++) {
			long size = target[k];

			if (!cycle && size == 1000) {
				t = now_ns();
				n = queued;
				fill_queue(&queued, size);
				ct = (now_ns() - t) / (queued - n);
				row("CREATE_JOB + close", ct, "ns", ct / get,
				    "CREATE_JOB / GET_JOB", "");
			}
			fill_queue(&queued, size);
			visit(k, iters);
			if (k == nsizes - 1)
				visit(k, iters);	/* up and down in one */
			if (cycle)
				continue;
			if (size == 100) {
				struct lookups p = pidfd_each(iters);

				base = sizes[0].med[0];
				row_spread("pidfd_open + close, each timed: median", p.med,
					   "ns", p.spread, p.med / base,
					   "against GET_JOB's (random, 10^2)", "");
				row_spread("pidfd_open + close, each timed: p99", p.p99,
					   "ns", p.p99_spread, p.p99 / p.med, "p99 / median", "");
			}
			if (size == 100000) {
				struct lookups l = lookups_while(iters, 0);

				lookup_rows("... another thread creates+cancels", nids, l, base);
				n = nids;
				l = lookups_while(iters, 100000);
				queued += nids - n;
				lookup_rows("... another thread adds 10^5", nids, l, base);
				mem0 = kernel_bytes();
				n = queued;
				fill_queue_with_files(&queued, n + 100000);
				t = (double)(kernel_bytes() - mem0) / (queued - n);
				row("kernel memory per job with one file, over 10^5 jobs",
				    t, "bytes", t / 1024, "KiB per job", "<= 1");
			}
		}
		if (!cycle) {
			t = now_ns();
			n = enum_all();
			t = now_ns() - t;
			row("ENUM_JOBS of every job", t / 1e6, "ms", t / n / get,
			    "per job / GET_JOB", "");
			printf("(%ld jobs queued)\n", n);
			enum_rows(n);
		}
		/* and down, jobs cancelled */
		for (k = nsizes - 2; k >= 0; k--) {
			while (nids > target[k])
				cancel_last();
			visit(k, iters);
		}
		queued = nids;
	}

	/* Each size over all its rounds, against 10^2's. */
	base = lookups_of(sizes[0].med, sizes[0].p99, sizes[0].n).med;
	for (int k = 0; k < nsizes; k++) {
		struct lookups l = lookups_of(sizes[k].med, sizes[k].p99, sizes[k].n);
		char w[64];

		if (data)
			fprintf(data, "%ld %.0f %.0f %.0f %.0f\n", sizes[k].jobs, l.med,
				l.p99, sizes[k].med[0], sizes[k].med[sizes[k].n - 1]);
		snprintf(w, sizeof(w), "GET_JOB random, %ld jobs: median", sizes[k].jobs);
		row_spread(w, l.med, "ns", l.spread, l.med / base,
			   "median / 10^2's median", k == nsizes - 1 ? "<= 1.2" : "");
		snprintf(w, sizeof(w), "GET_JOB random, %ld jobs: p99", sizes[k].jobs);
		row_spread(w, l.p99, "ns", l.p99_spread, l.p99 / l.med,
			   "p99 / median", "<= 2");
	}
	printf("(%d rounds of %ld calls per size, %d at the largest, over %d passes up and down)\n",
	       sizes[0].n, iters, sizes[nsizes - 1].n, CYCLES);

	if (data)
		fclose(data);
	return 0;
}
