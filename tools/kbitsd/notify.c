// SPDX-License-Identifier: GPL-2.0
/*
 * A job's notify command (BITS: SetNotifyCmdLine; docs/uapi.md, "The notify
 * command"): kbitsd runs it when it makes a job TRANSFERRED or gives it a
 * final ERROR and the job's notify flags ask for that event, once for each
 * such change.  It runs in an owner child (owner_fork(): the job's root
 * directory and network namespace, its owner's uid, gid and groups, no
 * capability, no new privileges), which execs the program (no shell) with
 * stdin, stdout and stderr on /dev/null, in a session of its own, with only
 * KBITS_JOB_ID, KBITS_JOB_STATE and a plain PATH in its environment.
 *
 * The daemon does not wait for the command: it waits only until the child
 * has exec'd it (or could not: that is logged), and leaves the child to
 * owner_reap_later(), which the main loop runs each turn (SIGCHLD wakes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

#define NOTIFY_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"
/* How long the daemon waits for the child to exec the command. */
#define NOTIFY_EXEC_TIMEOUT_MS	2000

/* What a child that could not exec the command tells the daemon. */
struct notify_status {
	int32_t step;		/* NOTIFY_STEP_* */
	int32_t err;		/* a positive errno */
};

enum { NOTIFY_STEP_NULL, NOTIFY_STEP_SETUP, NOTIFY_STEP_EXEC };

static const char *const notify_steps[] = {
	[NOTIFY_STEP_NULL] = "cannot open /dev/null in the job's root",
	[NOTIFY_STEP_SETUP] = "cannot set its process up",
	[NOTIFY_STEP_EXEC] = "cannot execute it",
};

static void __attribute__((noreturn)) child_fail(int step, int err)
{
	struct notify_status st = { .step = step, .err = err };

	if (send(OWNER_CHILD_FD, &st, sizeof(st), MSG_NOSIGNAL) < 0)
		_exit(127);
	_exit(127);
}

/* In the owner child (already the owner, in the job's root): exec @argv. */
static void __attribute__((noreturn)) notify_exec(char **argv, const struct kbits_guid *id,
						   const char *state)
{
	char env_id[sizeof("KBITS_JOB_ID=") + KBITS_GUID_STRING_LEN];
	char env_state[sizeof("KBITS_JOB_STATE=TRANSFERRED")];
	char guid[KBITS_GUID_STRING_LEN];
	char *envp[] = { env_id, env_state, (char *)NOTIFY_PATH, NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int fd;

	kbits_guid_format(id, guid);
	snprintf(env_id, sizeof(env_id), "KBITS_JOB_ID=%s", guid);
	snprintf(env_state, sizeof(env_state), "KBITS_JOB_STATE=%s", state);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		child_fail(NOTIFY_STEP_NULL, errno);
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		child_fail(NOTIFY_STEP_NULL, errno);
	if (fd > STDERR_FILENO)
		close(fd);
	/*
	 * The status socket closes when the exec succeeds.  The daemon ignores
	 * SIGPIPE, which an exec would keep; and the command, unlike a worker,
	 * may outlive the daemon (a restart), so no parent-death signal.
	 */
	if (fcntl(OWNER_CHILD_FD, F_SETFD, FD_CLOEXEC) < 0 ||
	    sigaction(SIGPIPE, &dfl, NULL) < 0 ||
	    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0 || setsid() < 0)
		child_fail(NOTIFY_STEP_SETUP, errno);
	/* owner_fork() left umask 077, the daemon's: the command gets the usual 022 */
	umask(022);
	execve(argv[0], argv, envp);
	child_fail(NOTIFY_STEP_EXEC, errno);
}

/* Starts @argv for job @id as @o in @jns; logs what happened. */
static void notify_start(const struct owner *o, const struct job_ns *jns,
			 const struct kbits_guid *id, const char *state, char **argv)
{
	struct notify_status st;
	const char *ns_failed;
	int sv[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_job(LOG_WARNING, id, "%s: cannot run its notify command %s: %s", state,
			argv[0], strerror(errno));
		return;
	}
	pid = owner_fork(o, jns, sv[1], &ns_failed);
	if (pid == 0)
		notify_exec(argv, id, state);
	close(sv[1]);
	if (pid < 0) {
		if (ns_failed)
			log_job(LOG_WARNING, id, "%s: cannot run its notify command %s: "
				"kbitsd cannot %s: %s", state, argv[0], ns_failed,
				strerror((int)-pid));
		else
			log_job(LOG_WARNING, id, "%s: cannot run its notify command %s: %s",
				state, argv[0], strerror((int)-pid));
		close(sv[0]);
		return;
	}
	r = owner_child_recv(sv[0], &st, sizeof(st), NOTIFY_EXEC_TIMEOUT_MS);
	close(sv[0]);
	if (r == 1) {
		log_job(LOG_WARNING, id, "%s: notify command %s not run: %s: %s", state, argv[0],
			st.step >= 0 && st.step <= NOTIFY_STEP_EXEC ? notify_steps[st.step] :
			"failed", strerror(st.err > 0 ? st.err : EIO));
		owner_child_done(pid, false);
		return;
	}
	if (r == -EPIPE)
		log_job(LOG_INFO, id, "%s: notify command %s started (pid %d)", state, argv[0],
			(int)pid);
	else	/* slow to exec (or a failed poll): it runs or not, on its own */
		log_job(LOG_INFO, id, "%s: notify command %s started (pid %d; not seen to "
			"execute within %d ms)", state, argv[0], (int)pid,
			NOTIFY_EXEC_TIMEOUT_MS);
	owner_child_detach(pid);
}

void job_notify(struct agent *a, const struct kbits_guid *id, bool error)
{
	uint32_t want = error ? KBITS_NOTIFY_JOB_ERROR : KBITS_NOTIFY_JOB_TRANSFERRED;
	const char *state = error ? "ERROR" : "TRANSFERRED";
	struct kbits_job_attrs attrs = { .size = sizeof(attrs) };
	struct job_ns jns = { .root_fd = -1, .net_fd = -1 };
	struct owner o = { 0 };
	struct kbits_job *j = NULL;
	char **argv = NULL;
	uid_t uid = 0, now_uid = 0;
	int err;

	err = kbits_get_job(a->m, id, &j);
	if (!err)
		err = kbits_job_get_attrs(j, &attrs);
	if (!err && (!(attrs.notify_flags & want) || (attrs.notify_flags & KBITS_NOTIFY_DISABLE)))
		goto out;
	/* the owner before the command: a takeover in between removes the command */
	if (!err)
		err = kbits_job_get_owner(j, &uid);
	if (!err)
		err = kbits_job_get_notify_cmd(j, &argv);
	/* none, or a module older than notify commands */
	if (err == -ENODATA || err == -ENOTTY || err == -ENOENT)
		goto out;
	if (!err)
		err = owner_lookup(uid, &o);
	if (!err)
		err = job_ns_get(a->fd, id, &jns);
	if (!err)
		err = kbits_job_get_owner(j, &now_uid);
	if (err == -ENOENT)	/* gone meanwhile */
		goto out;
	if (err < 0) {
		log_job(LOG_WARNING, id, "%s: cannot run its notify command: %s", state,
			strerror(-err));
		goto out;
	}
	/* taken over meanwhile: the command read may be the next owner's */
	if (now_uid != uid)
		goto out;
	notify_start(&o, &jns, id, state, argv);
out:
	job_ns_close(&jns);
	owner_release(&o);
	kbits_strv_free(argv);
	kbits_job_unref(j);
}
