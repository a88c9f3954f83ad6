// SPDX-License-Identifier: GPL-2.0
/*
 * Becoming a job's owner.  kbitsd runs as root, but everything it does with
 * a path a user named (open, create, read, write, fsync, rename, unlink) and
 * every network connection of a job happens in a child process that first
 * becomes the job's owner for good: owner_fork().
 *
 * The child starts from a clean state: before it drops privileges it enters
 * the job's namespaces (ns.c: the root directory and network namespace of
 * whoever created the job or took it over last; the daemon waits until it
 * has, and learns why when it could not), then it closes every fd of the
 * daemon (the agent fd, /dev/kbits, the database, the signalfd) but stdin,
 * stdout, stderr and the one socket it reports on, and it never touches
 * the daemon's state.  It then sets the supplementary
 * groups, gid and uid of the owner, makes itself not dumpable (so that the
 * owner can neither ptrace it nor read its memory, which is a copy of the
 * daemon's) and unable to gain privileges, and checks that no capability is
 * left and that it cannot become root again.  It never returns to root: the
 * daemon talks to it over the socket, and SIGKILLs it to stop it.
 *
 * A job owned by root (a job taken over with TAKE_OWNERSHIP by root, or
 * created by root) runs as uid 0 and gid 0 with every capability dropped:
 * it can write where root's uid can without overriding permissions, like
 * any user's job.
 *
 * The daemon is single-threaded (libcurl runs only in the children), so
 * the child may call anything; the passwd and group lookups still happen
 * in the daemon, before the fork, where the NSS modules are set up.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kbitsd.h"

#define NOBODY_GID	65534
#define CHILD_FAILED	127	/* the exit status of a child that could not become the owner */

int owner_lookup(uid_t uid, struct owner *o)
{
	struct passwd pw, *res = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf;
	int n, err;

	memset(o, 0, sizeof(*o));
	o->uid = uid;
	o->gid = NOBODY_GID;
	if (size <= 0)
		size = 16384;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		err = getpwuid_r(uid, &pw, buf, size, &res);
		if (err != ERANGE)
			break;
		size *= 2;
		free(buf);
		if (size > 1 << 20)
			return -ERANGE;
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
	}
	if (err) {
		/* the user database cannot be read now: not "no entry" */
		free(buf);
		log_msg(LOG_WARNING, "cannot look up uid %u: %s", (unsigned int)uid,
			strerror(err));
		return err > 0 ? -err : -EIO;
	}
	if (!res) {
		/* no entry: no supplementary groups, gid nogroup */
		free(buf);
		return 0;
	}
	o->gid = pw.pw_gid;
	n = 32;
	for (;;) {
		gid_t *g = malloc(n * sizeof(*g));
		int want = n;

		if (!g) {
			free(buf);
			return -ENOMEM;
		}
		if (getgrouplist(pw.pw_name, pw.pw_gid, g, &want) >= 0) {
			o->groups = g;
			o->ngroups = want;
			break;
		}
		free(g);
		if (want <= n || want > NGROUPS_MAX) {
			free(buf);
			return -E2BIG;
		}
		n = want;
	}
	free(buf);
	return 0;
}

void owner_release(struct owner *o)
{
	free(o->groups);
	o->groups = NULL;
	o->ngroups = 0;
}

/* ------------------------------------------------------------ the child */

static int capget_raw(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(SYS_capget, &h, data);
}

static int capset_none(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return (int)syscall(SYS_capset, &h, data);
}

/* In the child: become @o, for good.  false on any failure. */
static bool become(const struct owner *o)
{
	struct __user_cap_data_struct caps[2];
	struct rlimit no_core = { 0, 0 };
	int i;

	if (setgroups(o->ngroups, o->groups) < 0)
		return false;
	if (setresgid(o->gid, o->gid, o->gid) < 0)
		return false;
	if (setresuid(o->uid, o->uid, o->uid) < 0)
		return false;
	/* uid 0 keeps its capabilities through setresuid(0): drop them */
	if (o->uid == 0 && capset_none() < 0)
		return false;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return false;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return false;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return false;
	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
		return false;
	if (capget_raw(caps) < 0)
		return false;
	for (i = 0; i < 2; i++) {
		if (caps[i].effective || caps[i].permitted || caps[i].inheritable)
			return false;
	}
	if (o->uid != 0) {
		/* no way back */
		if (setuid(0) == 0 || seteuid(0) == 0)
			return false;
		if (o->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
			return false;
	}
	if (getuid() != o->uid || geteuid() != o->uid || getgid() != o->gid ||
	    getegid() != o->gid)
		return false;
	return true;
}

/* In the child: only stdin, stdout, stderr and @keep_fd (as OWNER_CHILD_FD) stay. */
static bool clean_fds(int keep_fd)
{
	if (keep_fd != OWNER_CHILD_FD) {
		if (dup2(keep_fd, OWNER_CHILD_FD) < 0)
			return false;
	} else if (fcntl(keep_fd, F_SETFD, 0) < 0) {
		return false;
	}
	return close_range(OWNER_CHILD_FD + 1, ~0U, 0) == 0;
}

/* What a child that could not enter the job's namespaces tells the daemon. */
struct ns_status {
	int32_t step;		/* JOB_NS_STEP_* */
	int32_t err;		/* a positive errno */
};

/* How long a child may take to enter the job's namespaces. */
#define NS_ENTER_TIMEOUT_MS	10000

/*
 * In the daemon: waits for the child to enter the job's namespaces, i.e.
 * to close its end of @fd (which it does when it closes the daemon's fds).
 * 0, or a negative errno with *@step set.
 */
static int ns_entered(int fd, int *step)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct ns_status st;
	ssize_t n;
	int r;

	do {
		r = poll(&p, 1, NS_ENTER_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r <= 0) {
		*step = JOB_NS_STEP_TIMEOUT;
		return r < 0 ? -errno : -ETIMEDOUT;
	}
	do {
		n = read(fd, &st, sizeof(st));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	*step = n == (ssize_t)sizeof(st) ? st.step : -1;
	return n == (ssize_t)sizeof(st) && st.err > 0 ? -st.err : -EIO;
}

pid_t owner_fork(const struct owner *o, const struct job_ns *ns, int keep_fd,
		 const char **ns_failed)
{
	pid_t pid, daemon_pid = getpid();
	struct ns_status st;
	int sp[2], err, step = -1;
	sigset_t none;

	*ns_failed = NULL;
	if (pipe2(sp, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sp[0]);
		close(sp[1]);
		return err;
	}
	if (pid > 0) {
		close(sp[1]);
		err = ns_entered(sp[0], &step);
		close(sp[0]);
		if (!err)
			return pid;
		owner_child_done(pid, true);
		*ns_failed = job_ns_step_name(step);
		return err;
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		_exit(CHILD_FAILED);
	/*
	 * The job's namespaces first, while the child may still setns() and
	 * chroot(); clean_fds() then closes their fds and the status pipe,
	 * which tells the daemon that they were entered.
	 */
	err = job_ns_enter(ns, &step);
	if (err) {
		st.step = step;
		st.err = -err;
		if (write(sp[1], &st, sizeof(st)) < 0)
			_exit(CHILD_FAILED);
		_exit(CHILD_FAILED);
	}
	if (!clean_fds(keep_fd) || !become(o))
		_exit(CHILD_FAILED);
	/*
	 * When the daemon dies (kill -9), its children go at once, rather than
	 * write on beside the next daemon's; after become(), which clears it.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != daemon_pid)
		_exit(CHILD_FAILED);
	umask(077);
	return 0;
}

/* ----------------------------------------------------------- the daemon */

/*
 * Children killed that had not exited yet, and notify commands
 * (owner_child_detach()): reaped later, never waited on.
 */
static pid_t *stragglers;
static size_t nstragglers;

static void msleep(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void owner_child_done(pid_t pid, bool kill_it)
{
	pid_t *ns;
	int i, status;

	if (pid <= 0)
		return;
	if (kill_it)
		kill(pid, SIGKILL);
	for (i = 0; i < 100; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return;
		if (r == 0 && i == 50 && !kill_it) {
			/* it should have exited after its last record */
			kill(pid, SIGKILL);
		}
		msleep(10);
	}
	kill(pid, SIGKILL);
	ns = realloc(stragglers, (nstragglers + 1) * sizeof(*ns));
	if (!ns) {
		log_msg(LOG_WARNING, "child %d stays a zombie: out of memory", (int)pid);
		return;
	}
	stragglers = ns;
	stragglers[nstragglers++] = pid;
	log_msg(LOG_WARNING, "child %d does not die at once (stuck in the kernel?): "
		"it is reaped later", (int)pid);
}

void owner_child_detach(pid_t pid)
{
	pid_t *ns;

	ns = realloc(stragglers, (nstragglers + 1) * sizeof(*ns));
	if (!ns) {
		log_msg(LOG_WARNING, "child %d stays a zombie: out of memory", (int)pid);
		return;
	}
	stragglers = ns;
	stragglers[nstragglers++] = pid;
}

void owner_reap_later(void)
{
	size_t i = 0;
	int status;

	while (i < nstragglers) {
		pid_t r = waitpid(stragglers[i], &status, WNOHANG);

		if (r == 0) {
			i++;
			continue;
		}
		stragglers[i] = stragglers[--nstragglers];
	}
	if (!nstragglers) {
		free(stragglers);
		stragglers = NULL;
	}
}

int owner_child_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	do {
		n = recv(fd, buf, len, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	return (size_t)n == len ? 1 : -EPROTO;
}
