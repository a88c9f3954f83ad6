// SPDX-License-Identifier: GPL-2.0
/*
 * Acting as a job's owner.  kbitsd runs as root, but every open, create,
 * rename and unlink of a path a user named happens in a child process that
 * first becomes that user: supplementary groups, gid and uid, then checks
 * that it cannot become root again.  The child hands an fd it opened back
 * over a socketpair (SCM_RIGHTS); the daemon only reads and writes fds.
 *
 * The passwd and group lookups happen in the daemon before the fork: the
 * daemon may have threads (libcurl's resolver), and after fork() a child of
 * a threaded process may only make async-signal-safe calls.  The child
 * makes system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kbitsd.h"

#define NOBODY_GID 65534

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
	if (err || !res) {
		/* no entry: no supplementary groups, gid nogroup */
		free(buf);
		if (err)
			log_msg(LOG_WARNING, "cannot look up uid %u: %s", (unsigned int)uid,
				strerror(err));
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

enum owner_op { OP_OPEN, OP_RENAME, OP_UNLINK };

/* In the child: become @o.  0 or an errno. */
static int become(const struct owner *o)
{
	if (setgroups(o->ngroups, o->groups) < 0)
		return errno;
	if (setresgid(o->gid, o->gid, o->gid) < 0)
		return errno;
	if (setresuid(o->uid, o->uid, o->uid) < 0)
		return errno;
	if (o->uid != 0) {
		/* no way back: setuid(0) and setgid(0) must fail now */
		if (setuid(0) == 0 || seteuid(0) == 0)
			return EPERM;
		if (o->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
			return EPERM;
	}
	return 0;
}

/* In the child: send @err and, if @fd >= 0, the fd. */
static void child_reply(int sock, int err, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void __attribute__((noreturn))
child_main(int sock, const struct owner *o, enum owner_op op, const char *a,
	   const char *b, int flags)
{
	int err, fd = -1;

	err = become(o);
	if (!err) {
		umask(022);
		switch (op) {
		case OP_OPEN:
			fd = open(a, flags | O_CLOEXEC | O_NOCTTY, 0666);
			if (fd < 0)
				err = errno;
			break;
		case OP_RENAME:
			if (rename(a, b) < 0)
				err = errno;
			break;
		case OP_UNLINK:
			if (unlink(a) < 0)
				err = errno;
			break;
		}
	}
	child_reply(sock, err, fd);
	_exit(0);
}

/* In the daemon: the child's errno and fd. */
static int parent_receive(int sock, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	int err = EIO;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
	};
	struct cmsghdr *c;
	ssize_t got;

	*fd = -1;
	do {
		got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(err))
		return EIO;	/* the child died before answering */
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	if (err && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	if (!err && (msg.msg_flags & MSG_CTRUNC))
		err = EIO;
	return err;
}

static int as_owner(const struct owner *o, enum owner_op op, const char *a,
		    const char *b, int flags, int *fd_out)
{
	int sv[2], status, err, fd = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(sv[0]);
		close(sv[1]);
		return -err;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], o, op, a, b, flags);
	}
	close(sv[1]);
	err = parent_receive(sv[0], &fd);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err)
		return -err;
	if (fd_out)
		*fd_out = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

int owner_open(const struct owner *o, const char *path, int flags, int *fd)
{
	*fd = -1;
	return as_owner(o, OP_OPEN, path, NULL, flags, fd);
}

int owner_rename(const struct owner *o, const char *from, const char *to)
{
	return as_owner(o, OP_RENAME, from, to, 0, NULL);
}

int owner_unlink(const struct owner *o, const char *path)
{
	int err = as_owner(o, OP_UNLINK, path, NULL, 0, NULL);

	return err == -ENOENT ? 0 : err;
}
