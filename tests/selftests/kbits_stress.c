// SPDX-License-Identifier: GPL-2.0
/*
 * kbits_stress: a bounded, seeded stress run.
 *
 *	kbits_stress [--seed N] [--seconds S]	(default 20 s)
 *
 * Two processes, one root and one an unprivileged uid, each with several
 * threads, share a list of job GUIDs in shared memory and create, get,
 * enumerate, add files to, resume, suspend, cancel, complete, take
 * ownership of, close, read and poll the same jobs, and fork children that
 * do the same briefly.  Meanwhile an agent thread (root) takes the QUEUED
 * jobs, reports progress, errors and TRANSFERRED, answers COMPLETING with
 * PLACED, and detaches and reattaches, half the time with
 * KBITS_AGENT_PLACES_FILES; and a thread tries delete_module("kbits",
 * O_NONBLOCK) over and over, which must fail (EBUSY, EAGAIN) while it holds
 * an fd of the module.
 *
 * The seed is printed first ("# seed N"); each thread's choices come from
 * its own PRNG seeded from it (threads race, so a replay is not exact).
 * At the end: every worker has ended, every job is cancelled, ENUM_JOBS
 * with KBITS_ENUM_ALL_USERS shows none, and the limits count from zero
 * again: an unprivileged uid can create max_jobs_per_user jobs and the
 * next gives EDQUOT; users together can create max_jobs and the next
 * gives ENOSPC.  On the debug kernel the runner also checks the kernel log
 * for reports.  Run as root with kbits loaded.  TAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "kbits_rng.h"

#define DEV_PATH	"/dev/kbits"
#define STRESS_UID	2950		/* the unprivileged process; the count check's first user */
#define ROOT_WORKERS	4
#define USER_WORKERS	3
#define NR_WORKERS	(ROOT_WORKERS + USER_WORKERS)
#define NR_SHARED	256		/* GUIDs in the shared list */
#define FDS_PER_WORKER	8
#define ROOT_LIVE_MAX	150		/* root is exempt from the limits: bound it */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- what the processes share -------------------------------------------- */

enum op {
	OP_CREATE, OP_GET, OP_ENUM, OP_CANCEL, OP_COMPLETE, OP_TAKE_OWNERSHIP,
	OP_ADD_FILES, OP_RESUME, OP_SUSPEND, OP_SET_ATTR, OP_READ_STATE, OP_READ,
	OP_ATTACH, OP_TAKE_JOB, OP_PROGRESS, OP_ERROR, OP_TRANSFERRED, OP_PLACED,
	NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"create", "get", "enum", "cancel", "complete", "take_ownership",
	"add_files", "resume", "suspend", "set_attr", "read_state", "read",
	"attach", "take_job", "progress", "error", "transferred", "placed",
};

#define NR_ERRNO	160

struct shared {
	int stop;			/* the workers stop */
	int workers_running;
	uint64_t guids[NR_SHARED][2];	/* written and read 8 bytes at a time */
	int live_root;			/* root's jobs, roughly */
	uint64_t ops;
	uint64_t results[NR_OPS][NR_ERRNO];	/* [op][0]: successes; [op][e]: errno e */
	uint64_t rmmod_tries, rmmod_refused;
	int rmmod_errno;		/* the first unexpected errno, or EPERM/ENOENT: cannot try */
	int rmmod_succeeded;
	int agent_attaches;
	char fail[256];
};

static struct shared *sh;
static uint64_t seed;
static bool is_root;

static void note(enum op op, long ret)
{
	int e = ret < 0 ? errno : 0;

	__atomic_add_fetch(&sh->ops, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->results[op][e > 0 && e < NR_ERRNO ? e : 0], 1, __ATOMIC_RELAXED);
}

/* The first failure: @what, and the errno @e unless 0. */
static void set_fail(const char *what, int e)
{
	if (sh->fail[0])
		return;
	if (e)
		snprintf(sh->fail, sizeof(sh->fail), "%s: %s", what, strerrorname_np(e) ?: "?");
	else
		snprintf(sh->fail, sizeof(sh->fail), "%s", what);
}

static void guid_put(struct rng *r, const uint8_t *id)
{
	unsigned int i = rnd(r, NR_SHARED);
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	__atomic_store_n(&sh->guids[i][0], a, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->guids[i][1], b, __ATOMIC_RELAXED);
}

static bool guid_get(struct rng *r, uint8_t *id)
{
	unsigned int i = rnd(r, NR_SHARED);
	uint64_t a = __atomic_load_n(&sh->guids[i][0], __ATOMIC_RELAXED);
	uint64_t b = __atomic_load_n(&sh->guids[i][1], __ATOMIC_RELAXED);

	memcpy(id, &a, 8);
	memcpy(id + 8, &b, 8);
	return a || b;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
		perror("become");
		_exit(3);
	}
}

/* ---- workers -------------------------------------------------------------- */

struct worker {
	struct rng r;
	int dev;
	int fds[FDS_PER_WORKER];
	bool root;
	bool can_fork;
};

static void keep_fd(struct worker *w, int fd)
{
	unsigned int i = rnd(&w->r, FDS_PER_WORKER);

	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (w->fds[i] >= 0)
		close(w->fds[i]);
	w->fds[i] = fd;
}

static int some_fd(struct worker *w)
{
	return w->fds[rnd(&w->r, FDS_PER_WORKER)];
}

static void drop_fd(struct worker *w)
{
	unsigned int i = rnd(&w->r, FDS_PER_WORKER);

	if (w->fds[i] >= 0)
		close(w->fds[i]);
	w->fds[i] = -1;
}

static void w_create(struct worker *w)
{
	struct kbits_create_job c;
	static const char name[] = "stress";
	int fd;

	if (w->root && __atomic_load_n(&sh->live_root, __ATOMIC_RELAXED) >= ROOT_LIVE_MAX)
		return;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = rnd(&w->r, 8) ? KBITS_JOB_TYPE_DOWNLOAD : rnd(&w->r, 2) + 1;
	c.name = (uintptr_t)name;
	c.name_len = sizeof(name) - 1;
	fd = ioctl(w->dev, KBITS_IOC_CREATE_JOB, &c);
	note(OP_CREATE, fd);
	if (fd < 0)
		return;
	if (w->root)
		__atomic_add_fetch(&sh->live_root, 1, __ATOMIC_RELAXED);
	guid_put(&w->r, c.id);
	keep_fd(w, fd);
}

static void w_get(struct worker *w)
{
	struct kbits_get_job g;
	int fd;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	if (!guid_get(&w->r, g.id))
		return;
	fd = ioctl(w->dev, KBITS_IOC_GET_JOB, &g);
	note(OP_GET, fd);
	keep_fd(w, fd);
}

static void w_enum(struct worker *w)
{
	struct kbits_job_id ids[64];
	struct kbits_enum_jobs e;
	int ret, n = 0;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = w->root && rnd(&w->r, 2) ? KBITS_ENUM_ALL_USERS : 0;
	do {
		e.ids = (uintptr_t)ids;
		e.count = 1 + rnd(&w->r, ARRAY_SIZE(ids));
		ret = ioctl(w->dev, KBITS_IOC_ENUM_JOBS, &e);
		note(OP_ENUM, ret);
		if (ret)
			break;
		if (e.count)
			guid_put(&w->r, ids[rnd(&w->r, e.count)].id);
	} while (e.cursor != KBITS_ENUM_END && ++n < 8);
}

static void w_add_files(int fd)
{
	static const char remote[] = "http://example.com/stress";
	static const char local[] = "/tmp/kbits-stress";
	struct kbits_file_spec f = {
		.remote = (uintptr_t)remote, .local = (uintptr_t)local,
		.remote_len = sizeof(remote) - 1, .local_len = sizeof(local) - 1,
	};
	struct kbits_add_files a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.count = 1;
	a.entry_size = sizeof(f);
	a.files = (uintptr_t)&f;
	note(OP_ADD_FILES, ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
}

static void w_read(struct worker *w, int fd)
{
	struct kbits_event ev[4];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&p, 1, rnd(&w->r, 3));
	note(OP_READ, ret);
	if (ret == 1 && (p.revents & (POLLIN | POLLHUP)))
		note(OP_READ, read(fd, ev, sizeof(ev)));	/* the fd is O_NONBLOCK */
}

static void w_read_state(struct worker *w, int fd)
{
	struct kbits_job_progress p;
	__u32 v;

	switch (rnd(&w->r, 3)) {
	case 0:
		note(OP_READ_STATE, ioctl(fd, KBITS_JOB_IOC_GET_STATE, &v));
		break;
	case 1:
		note(OP_READ_STATE, ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, &p));
		break;
	default: {
		struct kbits_job_file f;
		char rb[64], lb[64];

		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		f.index = rnd(&w->r, 2);
		f.remote = (uintptr_t)rb;
		f.remote_len = sizeof(rb);
		f.local = (uintptr_t)lb;
		f.local_len = sizeof(lb);
		note(OP_READ_STATE, ioctl(fd, KBITS_JOB_IOC_GET_FILE, &f));
		break;
	}
	}
}

static void w_step(struct worker *w);

/* A short-lived process: a few steps on its own copies of the fds. */
static void w_fork(struct worker *w)
{
	pid_t pid = fork();
	int n, st;

	if (pid < 0)
		return;
	if (pid == 0) {
		/*
		 * Only this worker's fds come along: a copy of the agent fd
		 * would keep the agent attached after its thread closed it,
		 * and a COMPLETE here would wait for a PLACED nobody sends.
		 */
		for (n = 3; n < 1024; n++) {
			bool mine = n == w->dev;
			int i;

			for (i = 0; i < FDS_PER_WORKER; i++)
				mine |= n == w->fds[i];
			if (!mine)
				close(n);
		}
		w->can_fork = false;
		for (n = 1 + rnd(&w->r, 8); n > 0; n--)
			w_step(w);
		_exit(0);
	}
	rnd(&w->r, 2);	/* parent and child go on differently */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static void w_step(struct worker *w)
{
	int fd = some_fd(w), ret;
	uint32_t p = rnd(&w->r, 100);

	if (p < 12) {
		w_create(w);
	} else if (p < 24) {
		w_get(w);
	} else if (p < 28) {
		w_enum(w);
	} else if (p < 34) {
		drop_fd(w);
	} else if (p < 38) {	/* the fd goes, the dev fd with it sometimes */
		close(w->dev);
		w->dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (w->dev < 0)
			set_fail("reopening /dev/kbits", errno);
	} else if (p < 40) {
		if (w->can_fork)
			w_fork(w);
	} else if (fd < 0) {
		w_get(w);
	} else if (p < 46) {
		ret = ioctl(fd, KBITS_JOB_IOC_CANCEL);
		note(OP_CANCEL, ret);
		if (!ret && w->root)
			__atomic_sub_fetch(&sh->live_root, 1, __ATOMIC_RELAXED);
	} else if (p < 52) {
		/* May wait for the agent's PLACED (or fail EAGAIN when it detaches). */
		ret = ioctl(fd, KBITS_JOB_IOC_COMPLETE);
		note(OP_COMPLETE, ret);
		if (ret >= 0 && w->root)
			__atomic_sub_fetch(&sh->live_root, 1, __ATOMIC_RELAXED);
	} else if (p < 55) {
		/* a new fd; the old one, revoked, stays for the others to try */
		ret = ioctl(fd, KBITS_JOB_IOC_TAKE_OWNERSHIP);
		note(OP_TAKE_OWNERSHIP, ret);
		if (ret >= 0)
			keep_fd(w, ret);
	} else if (p < 63) {
		w_add_files(fd);
	} else if (p < 73) {
		note(OP_RESUME, ioctl(fd, KBITS_JOB_IOC_RESUME));
	} else if (p < 77) {
		note(OP_SUSPEND, ioctl(fd, KBITS_JOB_IOC_SUSPEND));
	} else if (p < 81) {
		struct kbits_job_attr a;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.mask = KBITS_ATTR_PRIORITY | KBITS_ATTR_NOTIFY_FLAGS;
		a.priority = rnd(&w->r, 4);
		a.notify_flags = rnd(&w->r, 2) ? KBITS_NOTIFY_JOB_MODIFICATION : KBITS_NOTIFY_ALL;
		note(OP_SET_ATTR, ioctl(fd, KBITS_JOB_IOC_SET_ATTR, &a));
	} else if (p < 90) {
		w_read_state(w, fd);
	} else {
		w_read(w, fd);
	}
}

static void worker_init(struct worker *w, uint64_t s, bool root)
{
	int i;

	rng_seed(&w->r, s);
	w->root = root;
	w->can_fork = root;
	for (i = 0; i < FDS_PER_WORKER; i++)
		w->fds[i] = -1;
	w->dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (w->dev < 0)
		set_fail("opening /dev/kbits", errno);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED) && w->dev >= 0)
		w_step(w);
	for (i = 0; i < FDS_PER_WORKER; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	if (w->dev >= 0)
		close(w->dev);
	__atomic_sub_fetch(&sh->workers_running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* ---- the agent ------------------------------------------------------------- */

static void agent_job(int afd, unsigned long cmd, const uint8_t *id, enum op op)
{
	struct kbits_agent_job j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id, KBITS_GUID_SIZE);
	note(op, ioctl(afd, cmd, &j));
}

static int agent_progress(int afd, const uint8_t *id, uint32_t index, bool done)
{
	struct kbits_agent_progress p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.index = index;
	memcpy(p.id, id, KBITS_GUID_SIZE);
	p.bytes_total = 1000;
	p.bytes_transferred = done ? 1000 : 500;
	p.flags = done ? KBITS_FILE_COMPLETED : 0;
	ret = ioctl(afd, KBITS_AGENT_IOC_PROGRESS, &p);
	note(OP_PROGRESS, ret);
	return ret;
}

static void agent_work(struct rng *r, int afd, const uint8_t *id)
{
	struct kbits_agent_error e;
	static const char text[] = "stress: transient";
	uint32_t i;

	agent_job(afd, KBITS_AGENT_IOC_TAKE_JOB, id, OP_TAKE_JOB);
	switch (rnd(r, 4)) {
	case 0:
		agent_progress(afd, id, 0, false);
		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.flags = rnd(r, 3) ? KBITS_ERROR_TRANSIENT : 0;
		memcpy(e.id, id, KBITS_GUID_SIZE);
		e.context = KBITS_ERROR_CONTEXT_REMOTE_FILE;
		e.code = 503;
		e.file_index = KBITS_NO_FILE;
		e.text = (uintptr_t)text;
		e.text_len = sizeof(text) - 1;
		note(OP_ERROR, ioctl(afd, KBITS_AGENT_IOC_ERROR, &e));
		break;
	case 1:
	case 2:
		for (i = 0; i < 16 && !agent_progress(afd, id, i, true); i++)
			;
		agent_job(afd, KBITS_AGENT_IOC_TRANSFERRED, id, OP_TRANSFERRED);
		break;
	default:
		agent_progress(afd, id, 0, false);
		break;
	}
}

static int agent_attach(struct rng *r, int dev)
{
	int afd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, rnd(r, 2) ? KBITS_AGENT_PLACES_FILES : 0);

	note(OP_ATTACH, afd);
	if (afd >= 0) {
		__atomic_add_fetch(&sh->agent_attaches, 1, __ATOMIC_RELAXED);
		fcntl(afd, F_SETFL, O_NONBLOCK);
	}
	return afd;
}

/* Runs until every worker is done (the agent answers their COMPLETEs). */
static void *agent_main(void *arg)
{
	struct rng r;
	struct kbits_event ev[64];
	double until = 0, hard_end = 0;
	int dev = open(DEV_PATH, O_RDWR | O_CLOEXEC), afd = -1;
	ssize_t n, i;

	rng_seed(&r, seed ^ 0xa6e47ull);
	(void)arg;
	if (dev < 0) {
		set_fail("agent: opening /dev/kbits", errno);
		return NULL;
	}
	for (;;) {
		if (__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
			if (!hard_end)
				hard_end = now() + 30;
			if (!__atomic_load_n(&sh->workers_running, __ATOMIC_SEQ_CST) ||
			    now() > hard_end)
				break;
		}
		if (afd < 0) {
			afd = agent_attach(&r, dev);
			if (afd < 0) {
				msleep(5);
				continue;
			}
			until = now() + 0.05 + rnd(&r, 500) / 1000.0;
		}
		if (now() > until && !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
			close(afd);	/* detach: taken jobs go back to QUEUED */
			afd = -1;
			msleep(rnd(&r, 20));
			continue;
		}
		{
			struct pollfd p = { .fd = afd, .events = POLLIN };

			if (poll(&p, 1, 10) != 1)
				continue;
		}
		n = read(afd, ev, sizeof(ev));
		note(OP_READ, n);
		for (i = 0; n > 0 && i < n / (ssize_t)sizeof(ev[0]); i++) {
			switch (ev[i].kind) {
			case KBITS_EVENT_QUEUED:
				agent_work(&r, afd, ev[i].id);
				break;
			case KBITS_EVENT_COMPLETING: {
				struct kbits_agent_placed pl;

				memset(&pl, 0, sizeof(pl));
				pl.size = sizeof(pl);
				memcpy(pl.id, ev[i].id, KBITS_GUID_SIZE);
				pl.error = rnd(&r, 8) ? 0 : EIO;
				note(OP_PLACED, ioctl(afd, KBITS_AGENT_IOC_PLACED, &pl));
				break;
			}
			default:
				break;
			}
		}
	}
	if (afd >= 0)
		close(afd);
	close(dev);
	return NULL;
}

/* ---- delete_module while fds come and go ------------------------------------ */

static void *rmmod_main(void *arg)
{
	int dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);	/* pins the module throughout */

	(void)arg;
	if (dev < 0) {
		set_fail("rmmod thread: opening /dev/kbits", errno);
		return NULL;
	}
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		long ret = syscall(SYS_delete_module, "kbits", O_NONBLOCK);
		int e = errno;

		sh->rmmod_tries++;
		if (!ret) {
			sh->rmmod_succeeded = 1;
			set_fail("delete_module(kbits) succeeded while an fd was open", 0);
			break;
		}
		if (e == EBUSY || e == EAGAIN) {
			sh->rmmod_refused++;
		} else {
			sh->rmmod_errno = e;	/* EPERM, ENOENT: cannot try; else wrong */
			break;
		}
		msleep(10 + (sh->rmmod_tries * 7) % 40);
	}
	close(dev);
	return NULL;
}

/* ---- the two processes ---------------------------------------------------- */

static void run_process(bool root)
{
	pthread_t th[ROOT_WORKERS + 2];
	struct worker *w;
	int n = root ? ROOT_WORKERS : USER_WORKERS, i, t = 0;

	if (!root)
		become(STRESS_UID);
	w = calloc(n, sizeof(*w));
	if (!w)
		_exit(3);
	for (i = 0; i < n; i++) {
		worker_init(&w[i], seed + (root ? 1 : 101) + i, root);
		if (pthread_create(&th[t++], NULL, worker_main, &w[i])) {
			set_fail("pthread_create", errno);
			__atomic_sub_fetch(&sh->workers_running, 1, __ATOMIC_SEQ_CST);
			t--;
		}
	}
	if (root) {
		if (!pthread_create(&th[t], NULL, agent_main, NULL))
			t++;
		if (!pthread_create(&th[t], NULL, rmmod_main, NULL))
			t++;
	}
	for (i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* ---- the end: cleanup and consistency -------------------------------------- */

/* Cancels every job in the queue; returns how many ENUM_JOBS still shows. */
static int cancel_all(unsigned int *cancelled)
{
	static struct kbits_job_id ids[KBITS_ENUM_MAX];
	int dev = open(DEV_PATH, O_RDWR | O_CLOEXEC), round, left = -1;
	unsigned int i;

	if (dev < 0)
		return -1;
	for (round = 0; round < 10 && left; round++) {
		struct kbits_enum_jobs e;

		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.flags = KBITS_ENUM_ALL_USERS;
		left = 0;
		do {
			e.ids = (uintptr_t)ids;
			e.count = KBITS_ENUM_MAX;
			if (ioctl(dev, KBITS_IOC_ENUM_JOBS, &e)) {
				left = -1;
				break;
			}
			left += e.count;
			for (i = 0; i < e.count; i++) {
				struct kbits_get_job g;
				int fd;

				memset(&g, 0, sizeof(g));
				g.size = sizeof(g);
				memcpy(g.id, ids[i].id, KBITS_GUID_SIZE);
				fd = ioctl(dev, KBITS_IOC_GET_JOB, &g);
				if (fd < 0)
					continue;
				if (!ioctl(fd, KBITS_JOB_IOC_CANCEL))
					(*cancelled)++;
				close(fd);
			}
		} while (e.cursor != KBITS_ENUM_END);
		if (left)
			msleep(100);
	}
	close(dev);
	return left;
}

static int read_param(const char *name)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/sys/module/kbits/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * In a child as @uid: creates @n jobs (closing their fds; the jobs stay),
 * then, when @next_errno, one more, which must fail with it.  Returns 0, or
 * 1 + how many were created when one failed early, or a negative code.
 */
static int fill_as(uid_t uid, int n, int next_errno, char *msg, size_t msglen)
{
	int *res = mmap(NULL, sizeof(int) * 2, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st, ret;

	if (res == MAP_FAILED)
		return -1;
	res[0] = res[1] = -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int dev, i, fd;
		struct kbits_create_job c;

		become(uid);
		dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (dev < 0)
			_exit(3);
		for (i = 0; i <= n; i++) {
			if (i == n && !next_errno)
				break;
			memset(&c, 0, sizeof(c));
			c.size = sizeof(c);
			c.name = (uintptr_t)"count";
			c.name_len = 5;
			fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
			if (fd < 0) {
				res[0] = i;
				res[1] = errno;
				_exit(0);
			}
			close(fd);
		}
		res[0] = i;
		res[1] = 0;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (res[0] == n && res[1] == next_errno) {
		ret = 0;
	} else {
		snprintf(msg, msglen, "uid %d: %d jobs created then %s; expected %d then %s",
			 (int)uid, res[0], res[1] ? strerrorname_np(res[1]) : "no error",
			 n, next_errno ? strerrorname_np(next_errno) : "none");
		ret = 1;
	}
	munmap(res, sizeof(int) * 2);
	return ret;
}

/* The limits count from zero: per user, then all users together. */
static int check_counts(char *msg, size_t msglen)
{
	int per_user = read_param("max_jobs_per_user");
	int max_jobs = read_param("max_jobs");
	int total = 0, u = 0, n;

	if (per_user <= 0 || max_jobs <= 0) {
		snprintf(msg, msglen, "cannot read the module's parameters");
		return 1;
	}
	if (max_jobs < per_user || max_jobs > 5000) {
		/* Only the per-user count. */
		return fill_as(STRESS_UID, per_user, per_user < max_jobs ? EDQUOT : ENOSPC,
			       msg, msglen);
	}
	while (total < max_jobs) {
		n = max_jobs - total < per_user ? max_jobs - total : per_user;
		/* The first user also sees its own limit (EDQUOT) when it is full. */
		if (fill_as(STRESS_UID + u, n,
			    u == 0 && n == per_user && total + n < max_jobs ? EDQUOT : 0,
			    msg, msglen))
			return 1;
		total += n;
		u++;
	}
	return fill_as(STRESS_UID + u, 0, ENOSPC, msg, msglen);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seed N] [--seconds S]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double secs = 20, start, deadline;
	bool have_seed = false, hung = false;
	pid_t pids[2];
	unsigned int cancelled = 0;
	int i, j, left, st, ok_run = 1, fd;
	char msg[256] = "";

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage(argv[0]);
		if (!strcmp(argv[i], "--seed")) {
			seed = strtoull(argv[++i], NULL, 0);
			have_seed = true;
		} else if (!strcmp(argv[i], "--seconds")) {
			secs = strtod(argv[++i], NULL);
		} else {
			usage(argv[0]);
		}
	}
	if (!have_seed) {
		uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

		seed = splitmix64(&x) % 1000000000000ull;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# seed %" PRIu64 "\n", seed);
	is_root = geteuid() == 0;
	if (!is_root) {
		printf("1..1\nok 1 - stress # SKIP needs root (an agent, another uid, ALL_USERS)\n");
		return 0;
	}
	printf("1..4\n");
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("not ok 1 - stress seed %" PRIu64 ": cannot open %s: %s\n", seed,
		       DEV_PATH, strerror(errno));
		printf("not ok 2 - delete_module\nnot ok 3 - no job left\nnot ok 4 - counts\n");
		return 1;
	}
	close(fd);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	sh->workers_running = NR_WORKERS;

	printf("# %d root threads, %d threads as uid %d, an agent, delete_module; %.0f s\n",
	       ROOT_WORKERS, USER_WORKERS, STRESS_UID, secs);
	start = now();
	fflush(NULL);
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0)
			run_process(i == 0);
	}
	while (now() - start < secs)
		msleep(50);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);

	/* Every worker must end: a COMPLETE waits at most until the agent goes. */
	deadline = now() + 90;
	for (i = 0; i < 2; i++) {
		for (;;) {
			pid_t w = waitpid(pids[i], &st, WNOHANG);

			if (w == pids[i])
				break;
			if (now() > deadline) {
				hung = true;
				for (j = 0; j < 2; j++)
					kill(pids[j], SIGKILL);
				waitpid(pids[i], &st, 0);
				break;
			}
			msleep(20);
		}
		if (hung) {
			ok_run = 0;
			snprintf(msg, sizeof(msg), "the %s process did not end 90 s after the stop",
				 i ? "unprivileged" : "root");
		} else if (WIFSIGNALED(st) || WEXITSTATUS(st)) {
			ok_run = 0;
			snprintf(msg, sizeof(msg), "the %s process %s %d",
				 i ? "unprivileged" : "root",
				 WIFSIGNALED(st) ? "died of signal" : "exited with",
				 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		}
	}
	for (i = 0; i < NR_OPS; i++) {
		char line[1024];
		int off;

		off = snprintf(line, sizeof(line), "# %-15s ok %" PRIu64, op_names[i],
			       sh->results[i][0]);
		for (j = 1; j < NR_ERRNO; j++) {
			if (!sh->results[i][j])
				continue;
			off += snprintf(line + off, sizeof(line) - off, ", %s %" PRIu64,
					strerrorname_np(j) ?: "?", sh->results[i][j]);
			/* Well-formed calls on good fds: never these. */
			if ((j == EFAULT || j == ENOTTY || j == EBADF) && !sh->fail[0])
				snprintf(sh->fail, sizeof(sh->fail), "%s failed with %s",
					 op_names[i], strerrorname_np(j));
			if (off >= (int)sizeof(line))
				break;
		}
		printf("%s\n", line);
	}
	printf("# %d agent attaches\n", sh->agent_attaches);
	if (sh->fail[0])
		ok_run = 0;
	if (ok_run)
		printf("ok 1 - stress seed %" PRIu64 ": %" PRIu64 " calls in %.0f s\n", seed,
		       sh->ops, now() - start);
	else
		printf("not ok 1 - stress seed %" PRIu64 ": %s\n", seed, sh->fail[0] ? sh->fail : msg);

	if (sh->rmmod_succeeded)
		printf("not ok 2 - delete_module(kbits) succeeded while fds were open\n");
	else if (sh->rmmod_errno == EPERM || sh->rmmod_errno == ENOENT)
		printf("ok 2 - delete_module # SKIP cannot be tried here (%s)\n",
		       strerrorname_np(sh->rmmod_errno));
	else if (sh->rmmod_errno)
		printf("not ok 2 - delete_module(kbits) failed with %s, not EBUSY/EAGAIN\n",
		       strerrorname_np(sh->rmmod_errno));
	else
		printf("ok 2 - delete_module(kbits) refused %" PRIu64 " times while fds were open\n",
		       sh->rmmod_refused);
	if (hung) {
		printf("not ok 3 - no job left # workers still running\n");
		printf("not ok 4 - counts # workers still running\n");
		return 1;
	}

	left = cancel_all(&cancelled);
	printf("# cancelled %u jobs at the end\n", cancelled);
	if (left)
		printf("not ok 3 - ENUM_JOBS ALL_USERS shows %d jobs after cancelling them all\n", left);
	else
		printf("ok 3 - no job left in the queue\n");

	if (check_counts(msg, sizeof(msg))) {
		printf("not ok 4 - the job counts are not back: %s\n", msg);
		left = 1;
	} else {
		printf("ok 4 - the job counts are back: max_jobs_per_user, then EDQUOT; max_jobs, then ENOSPC\n");
	}
	cancel_all(&cancelled);
	return ok_run && !sh->rmmod_succeeded && !left &&
	       (!sh->rmmod_errno || sh->rmmod_errno == EPERM || sh->rmmod_errno == ENOENT) ? 0 : 1;
}
