// SPDX-License-Identifier: GPL-2.0
/*
 * The agent fd's ioctls, raw: each returns 0 or a negative errno (see
 * docs/uapi.md for what each does and when it fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
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

void record_free(void *rec, size_t len)
{
	if (!rec)
		return;
	explicit_bzero(rec, len);
	free(rec);
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

/*
 * Version-2 or -3 record @rec (@len bytes) as version 1, malloc'd into *@out
 * (*@out_len bytes): the header's first KBITS_JOB_RECORD_SIZE_VER2 bytes,
 * the strings as they are but the notify command, each file's first
 * KBITS_RECORD_FILE_SIZE_VER0 bytes (without KBITS_FILE_SHA256) and its
 * names.  The job loses its notify command, and its files their mode (a
 * module that takes only version 1 places them 0600, as it always did) and
 * their expected SHA-256: such a module has none of them.  Of a version-3
 * record it also loses its reply file's name, its credentials, the POST
 * flag and its write-only custom headers (headers and flag: a module
 * without the flag would let any fd holder read them).  What went is logged,
 * never a secret.  0; -EINVAL when @rec is not such a record whose lengths
 * add up; -ENOMEM.
 */
static int record_v1(const void *rec, size_t len, void **out, size_t *out_len)
{
	const size_t fsize0 = KBITS_RECORD_FILE_SIZE_VER0;
	const char *p = rec, *end = p + len;
	struct kbits_job_record h;
	struct kbits_record_file f;
	uint64_t strings, kept, total, skipped;
	uint32_t server = 0, proxy = 0, headers_len;
	size_t hsize, fsize, min;
	bool wo;
	char *o, *q;
	uint32_t i;

	if (len < KBITS_JOB_RECORD_SIZE_VER3)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	memcpy(&h, p, len < sizeof(h) ? len : sizeof(h));	/* SQLite's blob: maybe not aligned */
	min = h.version == 3 ? KBITS_JOB_RECORD_SIZE_VER4 : KBITS_JOB_RECORD_SIZE_VER3;
	if (h.magic != KBITS_RECORD_MAGIC || (h.version != 2 && h.version != 3) ||
	    h.length != len || h.header_size < min || h.header_size > len ||
	    h.file_size < KBITS_RECORD_FILE_SIZE_VER0)
		return -EINVAL;
	if (h.version == 2) {	/* no such fields: its header may hold anything past VER3 */
		h.reply_file_len = 0;
		h.nr_creds = 0;
	}
	wo = h.version == 3 && (h.flags & KBITS_RECORD_HEADERS_WRITE_ONLY);
	strings = (uint64_t)h.display_name_len + h.description_len + h.error_text_len +
		  h.proxy_list_len + h.proxy_bypass_len + h.http_headers_len;
	skipped = (uint64_t)h.notify_cmd_len + h.reply_file_len;
	if (strings + skipped > len - h.header_size)
		return -EINVAL;
	hsize = h.header_size;
	fsize = h.file_size;
	headers_len = h.http_headers_len;
	/* write-only headers go: the last string */
	kept = wo ? strings - headers_len : strings;
	p += hsize + strings + skipped;
	for (i = 0; i < h.nr_creds; i++) {
		struct kbits_record_cred c;

		if ((size_t)(end - p) < sizeof(c))
			return -EINVAL;
		memcpy(&c, p, sizeof(c));
		p += sizeof(c);
		if ((uint64_t)c.user_len + c.password_len > (uint64_t)(end - p) ||
		    c.scheme < KBITS_AUTH_SCHEME_BASIC || c.scheme > KBITS_AUTH_SCHEME_NEGOTIATE)
			return -EINVAL;
		if (c.target == KBITS_AUTH_TARGET_SERVER)
			server |= 1U << c.scheme;
		else if (c.target == KBITS_AUTH_TARGET_PROXY)
			proxy |= 1U << c.scheme;
		else
			return -EINVAL;
		p += c.user_len + c.password_len;
	}
	/* the new length: what goes goes, the files' entries shrink */
	total = KBITS_JOB_RECORD_SIZE_VER2 + kept;
	for (i = 0; i < h.nr_files; i++) {
		if ((size_t)(end - p) < fsize)
			return -EINVAL;
		memcpy(&f, p, fsize0);
		p += fsize;
		if ((uint64_t)f.remote_len + f.local_len > (uint64_t)(end - p))
			return -EINVAL;
		p += f.remote_len + f.local_len;
		total += fsize0 + f.remote_len + f.local_len;
	}
	if (p != end || total > UINT32_MAX)
		return -EINVAL;
	o = malloc(total);
	if (!o)
		return -ENOMEM;
	if (h.version == 3) {
		struct kbits_guid id;
		char sn[64], pn[64];

		memcpy(id.bytes, h.id, sizeof(id.bytes));
		if (!auth_scheme_names(server, sn, sizeof(sn)))
			snprintf(sn, sizeof(sn), "none");
		if (!auth_scheme_names(proxy, pn, sizeof(pn)))
			snprintf(pn, sizeof(pn), "none");
		if (h.nr_creds || h.reply_file_len || wo || (h.flags & KBITS_RECORD_UPLOAD_POST))
			log_job(LOG_WARNING, &id, "for an older kbits module: dropped %s%s%s%s"
				"credentials (server: %s; proxy: %s)",
				h.reply_file_len ? "its reply file, " : "",
				wo ? "its write-only custom headers, " : "",
				(h.flags & KBITS_RECORD_UPLOAD_POST) ? "its POST flag (PUT now), " : "",
				h.nr_creds ? "its " : "no ", sn, pn);
		h.flags &= ~(KBITS_RECORD_HEADERS_WRITE_ONLY | KBITS_RECORD_UPLOAD_POST);
		if (wo)
			h.http_headers_len = 0;
	}
	h.version = 1;
	h.header_size = KBITS_JOB_RECORD_SIZE_VER2;
	h.length = (uint32_t)total;
	memcpy(o, &h, KBITS_JOB_RECORD_SIZE_VER2);
	q = o + KBITS_JOB_RECORD_SIZE_VER2;
	p = (const char *)rec + hsize;
	memcpy(q, p, (size_t)kept);
	p += strings + skipped;
	q += kept;
	/* past the credentials, walked above */
	for (i = 0; i < h.nr_creds; i++) {
		struct kbits_record_cred c;

		memcpy(&c, p, sizeof(c));
		p += sizeof(c) + c.user_len + c.password_len;
	}
	for (i = 0; i < h.nr_files; i++) {
		memcpy(&f, p, fsize0);
		p += fsize;
		f.flags &= ~KBITS_FILE_SHA256;
		memcpy(q, &f, fsize0);
		q += fsize0;
		memcpy(q, p, f.remote_len + f.local_len);
		p += f.remote_len + f.local_len;
		q += f.remote_len + f.local_len;
	}
	*out = o;
	*out_len = (size_t)total;
	return 0;
}

int afd_import(int fd, const void *rec, size_t len, bool *older)
{
	struct kbits_agent_record r = {
		.size = sizeof(r),
		.buf = (uintptr_t)rec,
		.buf_len = (uint32_t)len,
	};
	struct kbits_job_record *copy = NULL;
	uint32_t version, flags;
	size_t copy_len = len;
	int err;

	*older = false;
	err = agent_ioctl(fd, KBITS_AGENT_IOC_IMPORT_JOB, &r);
	if (err != -EINVAL || len < KBITS_JOB_RECORD_SIZE_VER0)
		return err;
	/* @rec is SQLite's blob: maybe not aligned for the struct */
	memcpy(&version, (const char *)rec + offsetof(struct kbits_job_record, version),
	       sizeof(version));
	memcpy(&flags, (const char *)rec + offsetof(struct kbits_job_record, flags),
	       sizeof(flags));
	if (version == 2 || version == 3) {
		/*
		 * A module older than file modes and SHA-256 (still loaded after
		 * a package upgrade, or loaded after a downgrade) takes only
		 * version 1, and a refused record is dropped: give it the
		 * record as it would have written it.
		 */
		void *v1;

		if (record_v1(rec, len, &v1, &copy_len) < 0)
			return err;
		copy = v1;
		r.buf = (uintptr_t)copy;
		r.buf_len = (uint32_t)copy_len;
		err = agent_ioctl(fd, KBITS_AGENT_IOC_IMPORT_JOB, &r);
		if (!err)
			*older = true;
	}
	if (err == -EINVAL && (flags & KBITS_RECORD_ERROR_HTTP)) {
		/*
		 * A module older than KBITS_RECORD_ERROR_HTTP refuses the
		 * flag: give it the record without it, whose status then
		 * reads as a bare code.
		 */
		if (!copy) {
			copy = malloc(len);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, rec, len);
		}
		copy->flags &= ~KBITS_RECORD_ERROR_HTTP;
		r.buf = (uintptr_t)copy;
		r.buf_len = (uint32_t)copy_len;
		err = agent_ioctl(fd, KBITS_AGENT_IOC_IMPORT_JOB, &r);
		if (!err)
			*older = true;
	}
	if (copy)	/* it may hold the job's secrets */
		explicit_bzero(copy, copy_len);
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
