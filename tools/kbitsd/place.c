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
 * An upload job's file is the user's own and is never placed; an
 * UPLOAD_REPLY job's reply is, as a download's file: the worker writes it to
 * "<dir of the reply file>/.kbits-<G>-reply.part" (upload.c), and
 * completing the job gives it the reply mode the kernel recorded (0666 & ~
 * the umask of who set the reply file; 0: it stays 0600) and moves it to the
 * reply file's name.
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

static void guid_hex(const struct kbits_guid *id, char hex[2 * KBITS_GUID_SIZE + 1])
{
	size_t i;

	for (i = 0; i < sizeof(id->bytes); i++)
		snprintf(hex + 2 * i, 3, "%02x", id->bytes[i]);
}

void temp_name(const struct kbits_guid *id, uint32_t index, char name[TEMP_NAME_MAX])
{
	char hex[2 * KBITS_GUID_SIZE + 1];

	guid_hex(id, hex);
	snprintf(name, TEMP_NAME_MAX, ".kbits-%s-%u.part", hex, (unsigned int)index);
}

void reply_temp_name(const struct kbits_guid *id, char name[TEMP_NAME_MAX])
{
	char hex[2 * KBITS_GUID_SIZE + 1];

	guid_hex(id, hex);
	snprintf(name, TEMP_NAME_MAX, ".kbits-%s-reply.part", hex);
}

/* The temporary of @f, file @index of job @id (or the job's reply). */
static void place_temp_name(const struct kbits_guid *id, uint32_t index,
			    const struct place_file *f, char name[TEMP_NAME_MAX])
{
	if (f->reply)
		reply_temp_name(id, name);
	else
		temp_name(id, index, name);
}

int record_reply(const void *rec, size_t len, char **name, uint32_t *mode)
{
	const struct kbits_job_record *h = rec;
	uint64_t off;

	*name = NULL;
	*mode = 0;
	if (len < KBITS_JOB_RECORD_SIZE_VER4 || h->version < 3 ||
	    h->header_size < KBITS_JOB_RECORD_SIZE_VER4 || h->header_size > len)
		return -ENODATA;	/* an older module's: no reply file */
	if (!h->reply_file_len)
		return -ENODATA;
	/* the strings before it */
	off = (uint64_t)h->header_size + h->display_name_len + h->description_len +
	      h->error_text_len + h->proxy_list_len + h->proxy_bypass_len +
	      h->http_headers_len + h->notify_cmd_len;
	if (off + h->reply_file_len > len)
		return -EINVAL;
	*name = strndup((const char *)rec + off, h->reply_file_len);
	if (!*name)
		return -ENOMEM;
	if ((*name)[0] != '/' || strlen(*name) != h->reply_file_len) {
		free(*name);
		*name = NULL;
		return -EINVAL;
	}
	*mode = h->reply_mode & 0666;
	return 0;
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
	place_temp_name(id, i, f, tmp);
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
		place_temp_name(id, m.index, &files[m.index], tmp);
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
