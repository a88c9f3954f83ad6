// SPDX-License-Identifier: GPL-2.0
/*
 * The temporaries.  kbitsd writes file N of job G to
 * "<dir of its local name>/.kbits-<G as 32 hex digits>-<N>.part": beside the
 * final name (so that placing it is a rename on one file system) and under a
 * name a restarted kbitsd finds again.  The local name appears only when the
 * job's user completes the job.
 *
 * A temporary is 0600 while it is written; placing gives it the file's
 * mode (0666 & ~ the umask of who added it, as the kernel recorded it) just
 * before the rename, so that nobody else reads a file before it is whole.
 *
 * Placing and removing them happens in an owner child (owner_fork(), in
 * the job's namespaces), with renameat() and unlinkat() relative to an fd of
 * each file's directory, so that nothing follows a symlink a user put in
 * place of a temporary, and nothing runs with root's rights.  The daemon waits for the child's
 * records with a timeout and kills it when it hangs (a FUSE directory, say).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbitsd.h"

/* How long the child may take over one file before it is killed. */
#define PLACE_TIMEOUT_MS	30000

void temp_name(const struct kbits_guid *id, uint32_t index, char name[TEMP_NAME_MAX])
{
	char hex[2 * sizeof(id->bytes) + 1];
	size_t i;

	for (i = 0; i < sizeof(id->bytes); i++)
		snprintf(hex + 2 * i, 3, "%02x", id->bytes[i]);
	snprintf(name, TEMP_NAME_MAX, ".kbits-%s-%u.part", hex, (unsigned int)index);
}

char *local_dir(const char *local)
{
	const char *slash = strrchr(local, '/');
	size_t len = slash ? (size_t)(slash - local) : 0;

	return len ? strndup(local, len) : strdup("/");
}

const char *local_base(const char *local)
{
	const char *slash = strrchr(local, '/');

	return slash ? slash + 1 : local;
}

/* One record per file from the child; index ~0U ends them. */
struct place_msg {
	uint32_t index;
	int32_t error;		/* 0 or a positive errno */
};

enum place_op { PLACE_FILES, REMOVE_TEMPS };

/*
 * Temporary @tmp gets @mode (0: it keeps its 0600).  Opened without
 * following a symlink or blocking on a FIFO; no temporary (an earlier,
 * failed completion moved it) is for the rename to see.  0 or an errno.
 */
static int set_mode(int dfd, const char *tmp, uint32_t mode)
{
	int fd, err = 0;

	if (!mode)
		return 0;
	fd = openat(dfd, tmp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	if (fchmod(fd, (mode_t)(mode & 0777)) < 0)
		err = errno;
	close(fd);
	return err;
}

/* In the child, as the owner: file @i's temporary. */
static int child_one(const struct kbits_guid *id, uint32_t i, const struct place_file *f,
		     enum place_op op)
{
	char tmp[TEMP_NAME_MAX];
	const char *base = local_base(f->local);
	char *dir = local_dir(f->local);
	struct stat st;
	int dfd, err = 0;

	if (!dir)
		return ENOMEM;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0) {
		/* a directory the owner cannot open holds no temporary of theirs */
		if (op == REMOVE_TEMPS || !f->completed)
			return errno == ENOENT || errno == EACCES || errno == ENOTDIR ? 0 : errno;
		return errno;
	}
	temp_name(id, i, tmp);
	if (op == PLACE_FILES && f->completed) {
		err = set_mode(dfd, tmp, f->mode);
		if (!err && renameat(dfd, tmp, dfd, base) < 0) {
			err = errno;
			/* no temporary: an earlier, failed completion moved it */
			if (err == ENOENT && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
				err = 0;
		}
	} else if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT) {
		err = errno;
	}
	close(dfd);
	return err;
}

static void __attribute__((noreturn))
child_main(const struct kbits_guid *id, const struct place_file *files, size_t n,
	   enum place_op op)
{
	struct place_msg m;
	size_t i;

	for (i = 0; i < n; i++) {
		m.index = (uint32_t)i;
		m.error = child_one(id, (uint32_t)i, &files[i], op);
		send(OWNER_CHILD_FD, &m, sizeof(m), MSG_NOSIGNAL);
		/* the first move that fails ends the placing */
		if (m.error && op == PLACE_FILES && files[i].completed)
			_exit(0);
	}
	m.index = ~0U;
	m.error = 0;
	send(OWNER_CHILD_FD, &m, sizeof(m), MSG_NOSIGNAL);
	_exit(0);
}

/* 0, or the negative errno of the first move that failed. */
static int in_owner_child(const struct owner *o, const struct job_ns *ns,
			  const struct kbits_guid *id, const struct place_file *files, size_t n,
			  enum place_op op)
{
	char tmp[TEMP_NAME_MAX];
	const char *ns_failed;
	struct place_msg m;
	int sv[2], r, err = 0;
	bool ended = false;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = owner_fork(o, ns, sv[1], &ns_failed);
	if (pid == 0)
		child_main(id, files, n, op);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		if (ns_failed)
			log_job(LOG_ERR, id, "cannot %s to %s its files: %s", ns_failed,
				op == PLACE_FILES ? "place" : "remove the temporaries of",
				strerror(-pid));
		return pid;
	}
	for (;;) {
		r = owner_child_recv(sv[0], &m, sizeof(m), PLACE_TIMEOUT_MS);
		if (r <= 0)
			break;
		if (m.index == ~0U) {
			ended = true;
			break;
		}
		if (m.index >= n || m.error < 0)
			continue;
		temp_name(id, m.index, tmp);
		if (!m.error)
			continue;
		if (op == PLACE_FILES && files[m.index].completed) {
			log_job(LOG_ERR, id, "cannot move %s to %s: %s", tmp,
				files[m.index].local, strerror(m.error));
			err = -m.error;
			ended = true;
			break;
		}
		log_job(LOG_WARNING, id, "cannot remove %s beside %s: %s", tmp,
			files[m.index].local, strerror(m.error));
	}
	close(sv[0]);
	owner_child_done(pid, !ended);
	if (ended)
		return err;
	if (r == 0) {
		log_job(LOG_ERR, id, "the owner's child did not finish in %d s: killed",
			PLACE_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	log_job(LOG_ERR, id, "the owner's child failed (it could not become uid %u?)",
		(unsigned int)o->uid);
	return -EIO;
}

int place_files(const struct owner *o, const struct job_ns *ns, const struct kbits_guid *id,
		const struct place_file *files, size_t n)
{
	return n ? in_owner_child(o, ns, id, files, n, PLACE_FILES) : 0;
}

void remove_temps(const struct owner *o, const struct job_ns *ns, const struct kbits_guid *id,
		  const struct place_file *files, size_t n)
{
	if (n)
		in_owner_child(o, ns, id, files, n, REMOVE_TEMPS);
}
