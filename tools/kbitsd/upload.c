// SPDX-License-Identifier: GPL-2.0
/*
 * An upload job's file, in the worker (worker.c), which runs as the job's
 * owner in the job's namespaces.  The job's one file goes the other way
 * from a download's: its local name is the source, read with the owner's
 * rights, and its remote name the http:// or https:// URL it is sent to,
 * with PUT, or POST when the job has KBITS_JOB_UPLOAD_POST.  The request is
 * set up as a download's (net_curl_setup(): the job's proxy, custom headers
 * and the rest), the body streamed from the file with a read callback
 * (Content-Length: its size; never the whole file in memory), progress
 * reported as downloads report theirs (total: the size, done: the bytes
 * handed to libcurl), and the daemon's rate kept to as a download keeps to
 * it.
 *
 * A plain PUT or POST cannot be resumed: each run sends the file from byte
 * 0.  Nor may a server get a mix of two versions of the file: the source is
 * fstat'd when it is opened, again before its last byte is handed over
 * (another size, mtime, inode or device aborts the request, so that the
 * server sees a body cut short), and once more after the response; a change
 * is a transient error and the next run sends the file again.
 *
 * An UPLOAD_REPLY job's reply body goes to a temporary beside its reply
 * file (reply_temp_name(): created O_EXCL | O_NOFOLLOW, 0600, as the owner;
 * one of an earlier run is removed first), at most REPLY_MAX bytes, fsync'd
 * before the file is reported complete; the daemon places it when the job
 * is completed (place.c).  The body of a response that is not the last (a
 * 401 before the credentials, a redirect) never stays in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent.h"

/*
 * The most of a reply kbitsd keeps: replies are status pages, receipts and
 * the like (BITS: GetReplyData returns at most 64 KiB of it); a server that
 * sends more is not one to fill a user's disk for.
 */
#define REPLY_MAX	(16U << 20)
#define REPLY_MAX_TEXT	"16 MiB"

/* One upload being sent. */
struct up {
	uint32_t index;
	int src;		/* the source, O_RDONLY */
	struct stat st;		/* the source when it was opened */
	uint64_t size;		/* its size then: the Content-Length */
	uint64_t pos;		/* bytes handed to libcurl */
	bool fresh;		/* bytes were sent in this run */
	bool changed;		/* the source is no longer what was opened */
	int read_errno;
	/* the response */
	CURL *curl;
	int reply_fd;		/* the reply's temporary; -1: the body is dropped */
	int reply_dfd;		/* its directory */
	char reply_name[TEMP_NAME_MAX];	/* its name there */
	uint64_t reply_len;
	bool new_response;	/* a status line came: what the temporary has goes */
	bool reply_too_big;
	int write_errno;
};

static void report(struct up *u, bool completed, bool force)
{
	uint32_t flags = u->fresh ? WORKER_FRESH : 0;

	if (completed)
		flags |= WORKER_COMPLETED;
	worker_progress(u->index, u->size, completed ? u->size : u->pos, flags, force);
}

/* Whether the source is still the version opened. */
static bool source_same(struct up *u)
{
	struct stat st;

	if (fstat(u->src, &st) < 0)
		return false;
	return st.st_size == u->st.st_size && st.st_ino == u->st.st_ino &&
	       st.st_dev == u->st.st_dev && st.st_mtim.tv_sec == u->st.st_mtim.tv_sec &&
	       st.st_mtim.tv_nsec == u->st.st_mtim.tv_nsec;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *data)
{
	struct up *u = data;
	uint64_t left = u->size - u->pos;
	size_t want = size * n;
	ssize_t got;

	if (!left)
		return 0;
	if (want > left)
		want = (size_t)left;
	do {
		got = pread(u->src, buf, want, (off_t)u->pos);
	} while (got < 0 && errno == EINTR);
	if (got < 0) {
		u->read_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	/*
	 * It shrank; or these are its last bytes and it changed meanwhile: the
	 * server must not get a whole body of two versions.
	 */
	if (got == 0 || ((uint64_t)got == left && !source_same(u))) {
		u->changed = true;
		return CURL_READFUNC_ABORT;
	}
	u->pos += (uint64_t)got;
	if (got)
		u->fresh = true;
	report(u, false, false);
	worker_received((size_t)got);	/* the daemon's rate: sleeps as it asks */
	return (size_t)got;
}

/* libcurl sends the body again (a redirect, an authentication round). */
static int seek_cb(void *data, curl_off_t offset, int origin)
{
	struct up *u = data;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > u->size)
		return CURL_SEEKFUNC_CANTSEEK;
	u->pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *data)
{
	struct up *u = data;
	size_t len = size * n;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5))
		u->new_response = true;
	return len;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *data)
{
	struct up *u = data;
	size_t len = size * n, done = 0;
	long status = 0;

	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300)
		return 0;	/* an error's body: the status says it, the transfer ends */
	if (u->reply_fd < 0)
		return len;
	if (u->new_response) {
		/* the final response's body, and only it, is the reply */
		u->new_response = false;
		u->reply_len = 0;
		if (ftruncate(u->reply_fd, 0) < 0 || lseek(u->reply_fd, 0, SEEK_SET) < 0) {
			u->write_errno = errno;
			return 0;
		}
	}
	if (len > REPLY_MAX - u->reply_len) {
		u->reply_too_big = true;
		return 0;
	}
	while (done < len) {
		ssize_t w = write(u->reply_fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			u->write_errno = errno;
			return 0;
		}
		done += (size_t)w;
	}
	u->reply_len += len;
	return len;
}

/* About once a second even while nothing moves: the heartbeat. */
static int xferinfo_cb(void *data, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	report(data, false, false);
	return 0;
}

#define SETOPT(c, opt, val) \
	do { \
		if (curl_easy_setopt((c), (opt), (val)) != CURLE_OK) \
			return -ENOPROTOOPT; \
	} while (0)

/* Whether the job's custom headers set @name ("Content-Type:"). */
static bool has_header(const struct curl_slist *h, const char *name)
{
	for (; h; h = h->next) {
		if (!strncasecmp(h->data, name, strlen(name)))
			return true;
	}
	return false;
}

static int setup(struct up *u, const char *url, bool post, const struct net_settings *ns,
		 struct curl_slist **headers, char **proxy)
{
	CURL *c = u->curl;
	struct curl_slist *l;
	int err;

	err = net_curl_setup(c, url, ns, headers, proxy);
	if (err)
		return err;
	SETOPT(c, CURLOPT_READFUNCTION, read_cb);
	SETOPT(c, CURLOPT_READDATA, u);
	SETOPT(c, CURLOPT_SEEKFUNCTION, seek_cb);
	SETOPT(c, CURLOPT_SEEKDATA, u);
	SETOPT(c, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(c, CURLOPT_HEADERDATA, u);
	SETOPT(c, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(c, CURLOPT_WRITEDATA, u);
	SETOPT(c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(c, CURLOPT_XFERINFODATA, u);
	SETOPT(c, CURLOPT_NOPROGRESS, 0L);
	if (post) {
		SETOPT(c, CURLOPT_POST, 1L);
		SETOPT(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->size);
		/* a POST redirected with 301 or 302 stays one (303: a GET, as HTTP says) */
		SETOPT(c, CURLOPT_POSTREDIR, (long)(CURL_REDIR_POST_301 | CURL_REDIR_POST_302));
		/* the file's bytes, not a form (curl's default type for a POST) */
		if (!has_header(*headers, "Content-Type:")) {
			l = curl_slist_append(*headers, "Content-Type: application/octet-stream");
			if (!l)
				return -ENOMEM;
			*headers = l;
		}
	} else {
		SETOPT(c, CURLOPT_UPLOAD, 1L);
		SETOPT(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u->size);
	}
	if (*headers)
		SETOPT(c, CURLOPT_HTTPHEADER, *headers);
	return 0;
}

/* The request, and what became of it. */
static enum xfer_result send_file(struct up *u, const char *url, bool post,
				  const struct net_settings *ns, const char *shown,
				  struct xfer_error *err)
{
	struct curl_slist *headers = NULL;
	enum kbits_error_context ctx;
	enum xfer_result r;
	char *proxy = NULL;
	bool transient;
	long status = 0;
	CURLcode rc;
	int e;

	u->curl = curl_easy_init();
	if (!u->curl)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, u->index,
				 "out of memory");
	e = setup(u, url, post, ns, &headers, &proxy);
	if (e == -EINVAL) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_GENERAL, EINVAL, u->index,
			      "the job's proxy is not [http|https|socks4|socks4a|socks5|socks5h://]host[:port]");
		goto out;
	}
	if (e < 0) {
		r = xfer_fail(err, e == -ENOMEM, KBITS_ERROR_CONTEXT_GENERAL, -e, u->index,
			      "cannot set up the transfer: %s", strerror(-e));
		goto out;
	}
	rc = curl_easy_perform(u->curl);
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &status);
	if (!u->changed && !source_same(u))
		u->changed = true;

	if (u->read_errno) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, u->read_errno, u->index,
			      "cannot read the file to upload: %s", strerror(u->read_errno));
	} else if (u->changed) {
		r = xfer_fail(err, true, KBITS_ERROR_CONTEXT_LOCAL_FILE, EAGAIN, u->index,
			      "the file changed while it was sent: it is sent again, whole");
	} else if (u->write_errno) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, u->write_errno,
			      KBITS_NO_FILE, "cannot write the reply's temporary file: %s",
			      strerror(u->write_errno));
	} else if (u->reply_too_big) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, EFBIG, u->index,
			      "%s: the server's reply is larger than " REPLY_MAX_TEXT
			      ", the most kbitsd keeps", shown);
	} else if (status >= 400) {
		/* as a download's: a server error may pass, a client error stays */
		r = xfer_fail(err, status >= 500, KBITS_ERROR_CONTEXT_REMOTE_FILE, (int)status,
			      u->index, "%s: HTTP status %ld", shown, status);
		xfer_http_status(err, status);
	} else if (rc != CURLE_OK) {
		e = curl_errno((int)rc, u->curl, &transient, &ctx);
		r = xfer_fail(err, transient, ctx, e, u->index, "%s: %s", shown,
			      curl_easy_strerror(rc));
	} else if (status < 200 || status >= 300) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, (int)status, u->index,
			      "%s: unexpected HTTP status %ld", shown, status);
		xfer_http_status(err, status);
	} else {
		r = XFER_DONE;
	}
out:
	worker_socket(-1);
	curl_easy_cleanup(u->curl);
	u->curl = NULL;
	curl_slist_free_all(headers);
	free(proxy);
	return r;
}

/*
 * The reply's temporary, new and empty: one an earlier run left is removed
 * (a reply is never resumed), and the new one made O_EXCL | O_NOFOLLOW, so
 * that nothing a user put there is followed or written into.
 */
static enum xfer_result open_reply(struct up *u, const struct kbits_guid *id,
				   const char *reply, struct xfer_error *err)
{
	char *name = u->reply_name;
	char *dir = local_dir(reply);
	int dfd, e;

	if (!dir)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, KBITS_NO_FILE,
				 "out of memory");
	reply_temp_name(id, name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		e = errno;
		xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, e, KBITS_NO_FILE,
			  "cannot open the reply file's directory %s: %s", dir, strerror(e));
		free(dir);
		return XFER_FAILED;
	}
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		e = errno;
	else if ((u->reply_fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_NOCTTY | O_CLOEXEC, 0600)) < 0)
		e = errno;
	else
		e = 0;
	if (e)
		close(dfd);
	else
		u->reply_dfd = dfd;
	if (e)
		xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, e, KBITS_NO_FILE,
			  "cannot create %s/%s for the reply: %s", dir, name, strerror(e));
	free(dir);
	return e ? XFER_FAILED : XFER_DONE;
}

/*
 * The source, with the owner's rights (the worker is the owner: a symlink
 * leads nowhere the owner could not read anyway).  O_NONBLOCK: a FIFO or a
 * device must not hang the open; only a regular file is sent.
 */
static enum xfer_result open_source(struct up *u, const char *local, struct xfer_error *err)
{
	int e, fl;

	u->src = open(local, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (u->src < 0) {
		e = errno;
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, e, u->index,
				 "cannot open %s: %s", local, strerror(e));
	}
	if (fstat(u->src, &u->st) < 0 || !S_ISREG(u->st.st_mode) ||
	    (fl = fcntl(u->src, F_GETFL)) < 0 || fcntl(u->src, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, EINVAL, u->index,
				 "%s is not a regular file", local);
	u->size = (uint64_t)u->st.st_size;
	return XFER_DONE;
}

enum xfer_result upload_file(const struct kbits_guid *id, uint32_t index,
			     const struct kbits_file *f, bool post, const char *reply,
			     const struct net_settings *ns, struct xfer_error *err)
{
	struct up u = { .index = index, .src = -1, .reply_fd = -1, .reply_dfd = -1 };
	enum xfer_result r = XFER_DONE;
	char shown[512];

	url_for_text(f->remote_name, shown, sizeof(shown));
	if (strncasecmp(f->remote_name, "http://", 7) && strncasecmp(f->remote_name, "https://", 8))
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, EOPNOTSUPP, index,
				 "%s: kbitsd uploads to http:// and https:// URLs only", shown);
	r = open_source(&u, f->local_name, err);
	if (r == XFER_DONE && reply)
		r = open_reply(&u, id, reply, err);
	if (r == XFER_DONE) {
		report(&u, false, true);	/* from byte 0: a heartbeat */
		r = send_file(&u, f->remote_name, post, ns, shown, err);
	}
	if (r == XFER_DONE && u.reply_fd >= 0 && fsync(u.reply_fd) < 0)
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, errno, KBITS_NO_FILE,
			      "cannot write the reply's temporary file: %s", strerror(errno));
	if (r == XFER_DONE)
		report(&u, true, true);
	else if (u.src >= 0)
		report(&u, false, true);
	/* a failed run's reply is nobody's: only a whole one is placed */
	if (r != XFER_DONE && u.reply_fd >= 0)
		unlinkat(u.reply_dfd, u.reply_name, 0);
	if (u.reply_fd >= 0)
		close(u.reply_fd);
	if (u.reply_dfd >= 0)
		close(u.reply_dfd);
	if (u.src >= 0)
		close(u.src);
	return r;
}

/* ------------------------------------------------------------ the daemon */

int upload_settings(struct agent *a, struct kbits_job *j, const struct kbits_guid *id,
		    enum kbits_job_type type, bool *post, char **reply)
{
	uint32_t flags = 0, mode;
	void *rec = NULL;
	size_t len;
	int err;

	*post = false;
	*reply = NULL;
	err = kbits_job_get_flags(j, &flags);
	if (err < 0 && err != -EINVAL && err != -ENOTTY)	/* -EINVAL: a module without flags */
		return err;
	*post = flags & KBITS_JOB_UPLOAD_POST;
	if (type != KBITS_JOB_TYPE_UPLOAD_REPLY)
		return 0;
	/* from the record, as completing the job reads it to place the reply */
	err = afd_export(a->fd, id, &rec, &len);
	if (!err)
		err = record_reply(rec, len, reply, &mode);
	record_free(rec, len);
	return err == -ENODATA ? -EDESTADDRREQ : err;
}
