// SPDX-License-Identifier: GPL-2.0
/*
 * The agent fd's ioctls, raw: each returns 0 or a negative errno (see
 * docs/uapi.md for what each does and when it fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "agent.h"

static int agent_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int job_cmd(int fd, unsigned long cmd, const struct kbits_guid *id)
{
	struct kbits_agent_job aj = { .size = sizeof(aj) };

	memcpy(aj.id, id->bytes, sizeof(aj.id));
	return agent_ioctl(fd, cmd, &aj);
}

int afd_take(int fd, const struct kbits_guid *id)
{
	return job_cmd(fd, KBITS_AGENT_IOC_TAKE_JOB, id);
}

int afd_requeue(int fd, const struct kbits_guid *id)
{
	return job_cmd(fd, KBITS_AGENT_IOC_REQUEUE, id);
}

int afd_transferred(int fd, const struct kbits_guid *id)
{
	return job_cmd(fd, KBITS_AGENT_IOC_TRANSFERRED, id);
}

int afd_progress(int fd, const struct kbits_guid *id, const struct worker_msg *m)
{
	struct kbits_agent_progress p = {
		.size = sizeof(p),
		.index = m->index,
		.bytes_total = m->total,
		.bytes_transferred = m->done,
		.flags = (m->flags & WORKER_COMPLETED) ? KBITS_FILE_COMPLETED : 0,
	};

	memcpy(p.id, id->bytes, sizeof(p.id));
	return agent_ioctl(fd, KBITS_AGENT_IOC_PROGRESS, &p);
}

/* The length of the longest prefix of @s that is whole, valid UTF-8. */
static size_t utf8_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 1, cp = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 2, cp = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 3, cp = p[i] & 0x07;
		else
			return i;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += n + 1;
	}
	return i;
}

int afd_error(int fd, const struct kbits_guid *id, const struct xfer_error *e, bool transient)
{
	size_t len = strnlen(e->text, sizeof(e->text));
	char ascii[sizeof(e->text)];
	struct kbits_agent_error ae = {
		.size = sizeof(ae),
		.flags = (transient ? KBITS_ERROR_TRANSIENT : 0) |
			 (e->http ? KBITS_ERROR_HTTP : 0),
		.context = e->context,
		.code = e->code,
		.file_index = e->file_index,
		/* a text cut to fit may end in the middle of a character */
		.text_len = (uint32_t)utf8_prefix(e->text, len),
		.text = (uintptr_t)e->text,
	};
	size_t i;
	int err;

	memcpy(ae.id, id->bytes, sizeof(ae.id));
	err = agent_ioctl(fd, KBITS_AGENT_IOC_ERROR, &ae);
	if (err != -EINVAL)
		return err;
	/* the kernel refuses the text: say it in printable ASCII */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)e->text[i];

		ascii[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	ae.text = (uintptr_t)ascii;
	ae.text_len = (uint32_t)len;
	err = agent_ioctl(fd, KBITS_AGENT_IOC_ERROR, &ae);
	if (err != -EINVAL || !(ae.flags & KBITS_ERROR_HTTP))
		return err;
	/*
	 * A module older than KBITS_ERROR_HTTP refuses the flag: the status
	 * goes as a bare code, as it always did, rather than the job staying
	 * taken with nothing working on it.
	 */
	ae.flags &= ~KBITS_ERROR_HTTP;
	return agent_ioctl(fd, KBITS_AGENT_IOC_ERROR, &ae);
}

int afd_placed(int fd, const struct kbits_guid *id, int error)
{
	struct kbits_agent_placed ap = { .size = sizeof(ap), .error = error };

	memcpy(ap.id, id->bytes, sizeof(ap.id));
	return agent_ioctl(fd, KBITS_AGENT_IOC_PLACED, &ap);
}

int afd_export(int fd, const struct kbits_guid *id, void **buf, size_t *len)
{
	struct kbits_agent_record rec = { .size = sizeof(rec) };
	uint32_t room = 4096;
	int err;

	memcpy(rec.id, id->bytes, sizeof(rec.id));
	for (;;) {
		void *b = malloc(room);

		if (!b)
			return -ENOMEM;
		rec.buf = (uintptr_t)b;
		rec.buf_len = room;
		err = agent_ioctl(fd, KBITS_AGENT_IOC_EXPORT_JOB, &rec);
		if (!err) {
			*buf = b;
			*len = rec.buf_len;
			return 0;
		}
		free(b);
		if (err != -ERANGE || rec.buf_len <= room)
			return err;
		room = rec.buf_len;
	}
}

int afd_import(int fd, const void *rec, size_t len)
{
	struct kbits_agent_record r = {
		.size = sizeof(r),
		.buf = (uintptr_t)rec,
		.buf_len = (uint32_t)len,
	};
	struct kbits_job_record *copy;
	uint32_t flags;
	int err;

	err = agent_ioctl(fd, KBITS_AGENT_IOC_IMPORT_JOB, &r);
	if (err != -EINVAL || len < sizeof(*copy))
		return err;
	/* @rec is SQLite's blob: maybe not aligned for the struct */
	memcpy(&flags, (const char *)rec + offsetof(struct kbits_job_record, flags),
	       sizeof(flags));
	if (!(flags & KBITS_RECORD_ERROR_HTTP))
		return err;
	/*
	 * A module older than KBITS_RECORD_ERROR_HTTP (one loaded after a
	 * downgrade) refuses the flag, and a refused record is dropped: give
	 * it the record without it, whose status then reads as a bare code.
	 */
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rec, len);
	copy->flags &= ~KBITS_RECORD_ERROR_HTTP;
	r.buf = (uintptr_t)copy;
	err = agent_ioctl(fd, KBITS_AGENT_IOC_IMPORT_JOB, &r);
	free(copy);
	return err;
}

int afd_attach(int *out)
{
	int dev, fd, err;

	dev = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		err = -errno;
		log_msg(LOG_ERR, "cannot open /dev/kbits: %s (is the kbits module loaded?)",
			strerror(-err));
		return err;
	}
	fd = ioctl(dev, KBITS_IOC_AGENT_ATTACH, KBITS_AGENT_PLACES_FILES);
	err = fd < 0 ? -errno : 0;
	close(dev);
	if (err == -EPERM) {
		log_msg(LOG_ERR, "must run as root (CAP_SYS_ADMIN) to attach to /dev/kbits");
		return err;
	}
	if (err == -EBUSY) {
		log_msg(LOG_ERR, "another agent is attached to /dev/kbits");
		return err;
	}
	if (err < 0) {
		log_msg(LOG_ERR, "cannot attach to /dev/kbits: %s", strerror(-err));
		return err;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}
