// SPDX-License-Identifier: GPL-2.0
/*
 * One file of a job, in the worker (worker.c), which runs as the job's
 * owner.  The source is opened first (a local file: an absolute path or a
 * file:// URL), then the temporary, relative to an fd of the destination
 * directory; the temporary's size says where to go on: an http:// or
 * https:// file through libcurl with a Range request, a local file by
 * copying.  Progress goes to the daemon through worker_progress().
 *
 * A resume never splices two versions of a file (BITS's rule): the daemon
 * gives each file the validators of the version in its temporary (struct
 * file_validator: ETag, Last-Modified and size of the first response, or a
 * local source's size and mtime).  An http resume asks for the rest with
 * If-Range (the strong ETag, else the Last-Modified date); a 200, or a 206
 * with another total or validator, starts the file over from byte 0, as
 * does a local source of another size or mtime, or a temporary with bytes
 * but no validators.  New validators go to the daemon (worker_validator())
 * before any byte of their version is written.  Without the job's dynamic
 * content flag a response with neither a length nor ranges is an error; with
 * it, such a file is never resumed.
 *
 * A file with an expected SHA-256 (KBITS_FILE_SHA256) is hashed once it is
 * complete and fsync'd: the whole temporary, read from byte 0, so that a
 * resumed file's bytes of earlier runs are checked as well as this run's,
 * and what is checked is what will be placed.  On a mismatch the temporary
 * is removed (a resume fetches the file again from byte 0) and the file
 * fails with a final error; it is never reported complete.
 *
 * Nothing here may block for good on a file a user chose: the source is
 * opened O_NONBLOCK (a FIFO opens at once) and refused unless it is a
 * regular file; the temporary is created O_EXCL | O_NOFOLLOW, or reused
 * only when it is a regular file of the owner's with one link.  The daemon
 * kills a worker that stays silent anyway.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "config.h"
#include "kbitsd.h"

#define COPY_CHUNK	(128 * 1024)
/* curl's receive buffer for a job nothing will slow (setup_curl()) */
#define UNPACED_BUFFER	(128L * 1024)

/*
 * SHA-256, fetched once in the daemon: a worker inherits it, and never has
 * to load a provider or read OpenSSL's configuration in a job's root.
 */
static EVP_MD *sha256_md;

int transfer_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_msg(LOG_ERR, "cannot initialise libcurl");
		return -ENOMEM;
	}
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!sha256_md) {
		log_msg(LOG_ERR, "libcrypto has no SHA-256 (EVP_MD_fetch failed)");
		curl_global_cleanup();
		return -ENOSYS;
	}
	return 0;
}

void transfer_global_cleanup(void)
{
	EVP_MD_free(sha256_md);
	sha256_md = NULL;
	curl_global_cleanup();
}

int net_settings_read(int afd, const struct kbits_guid *id, struct kbits_job *j,
		      struct net_settings *ns)
{
	int err;

	memset(ns, 0, sizeof(*ns));
	err = kbits_job_get_proxy(j, &ns->proxy_usage, &ns->proxy_list, &ns->proxy_bypass);
	if (err == -ENOTTY) {	/* a module without proxy settings */
		ns->proxy_usage = KBITS_PROXY_SYSTEM;
	} else if (err < 0) {
		return err;
	}
	/* -EPERM: write-only headers, which the record below carries */
	err = kbits_job_get_http_headers(j, &ns->http_headers);
	if (err < 0 && err != -ENODATA && err != -ENOTTY && err != -EPERM) {
		net_settings_release(ns);
		return err;
	}
	err = kbits_job_get_dynamic_content(j, &ns->dynamic);
	if (err < 0 && err != -EINVAL && err != -ENOTTY) {	/* -EINVAL: a module without flags */
		net_settings_release(ns);
		return err;
	}
	err = net_secrets_read(afd, id, ns);
	if (err < 0) {
		net_settings_release(ns);
		return err;
	}
	return 0;
}

void net_settings_release(struct net_settings *ns)
{
	free(ns->proxy_list);
	free(ns->proxy_bypass);
	if (ns->http_headers) {	/* maybe write-only: a token */
		explicit_bzero(ns->http_headers, strlen(ns->http_headers));
		free(ns->http_headers);
	}
	net_auth_release(&ns->server);
	net_auth_release(&ns->proxy);
	memset(ns, 0, sizeof(*ns));
}

enum xfer_result xfer_fail(struct xfer_error *err, bool transient,
			   enum kbits_error_context ctx, int code, uint32_t index,
			   const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->transient = transient;
	err->context = ctx;
	err->code = code;
	err->file_index = index;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return XFER_FAILED;
}

/*
 * The code of @err becomes the server's status @status, which the kernel
 * is told is one (KBITS_ERROR_HTTP): an errno and a status may have the
 * same number.  A status no HTTP has (outside 100 to 599) is EPROTO, a
 * protocol error; the text still says what the server sent.
 */
void xfer_http_status(struct xfer_error *err, long status)
{
	if (status >= 100 && status <= 599) {
		err->code = (int)status;
		err->http = true;
	} else {
		err->code = EPROTO;
		err->http = false;
	}
}

/* One file being transferred. */
struct xfer {
	uint32_t index;
	uid_t owner;
	bool dynamic;		/* KBITS_JOB_DYNAMIC_CONTENT: never resumed */
	const struct file_validator *old;	/* of the temporary's bytes */
	struct file_validator cur;	/* of this response, or the source */
	int fd;			/* the temporary, read-write (its digest is read back) */
	int dfd;		/* its directory */
	char name[TEMP_NAME_MAX];	/* its name there */
	uint64_t offset;	/* bytes of the file before this response's */
	uint64_t written;	/* this response's bytes in the temporary */
	uint64_t total;		/* or KBITS_SIZE_UNKNOWN */
	bool fresh;		/* bytes arrived in this run */
	int write_errno;
	/* the response */
	CURL *curl;
	bool started;
	long status;
	bool bad_range;		/* a 206 for other bytes than those asked for */
	bool changed;		/* a 206 of another version of the file */
	bool no_length;		/* neither a length nor ranges, not dynamic */
	bool accept_ranges;	/* Accept-Ranges: bytes */
	bool has_range;
	uint64_t range_start, range_total;	/* Content-Range; total may be unknown */
	const char *url_text;	/* the URL without its user:password@, for errors */
};

/* The temporary starts over: the server sends the whole file. */
static void report(struct xfer *x, bool completed, bool force);

static int restart_temp(struct xfer *x)
{
	bool had = x->offset || x->written;

	if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
		return -errno;
	x->offset = 0;
	x->written = 0;
	if (had) {
		/* the user sees it start over: progress 0 */
		x->fresh = true;
		report(x, false, true);
	}
	return 0;
}

/* Sends the validators of the version about to be written, when new. */
static void new_validator(struct xfer *x)
{
	if (x->dynamic || !memcmp(&x->cur, x->old, sizeof(x->cur)))
		return;
	worker_validator(x->index, &x->cur);
}

/* A header's value, its blanks trimmed, into @out (cut to fit). */
static void header_value(const char *v, char *out, size_t size)
{
	size_t len;

	v += strspn(v, " \t");
	len = strcspn(v, "\r\n");
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= size)
		len = 0;	/* too long to keep: as if there were none */
	memcpy(out, v, len);
	out[len] = 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends the progress so far to the daemon (worker_progress() throttles it). */
static void report(struct xfer *x, bool completed, bool force)
{
	uint64_t done = x->offset + x->written;
	uint64_t total = x->total;
	uint32_t flags = x->fresh ? WORKER_FRESH : 0;

	if (total != KBITS_SIZE_UNKNOWN && done > total)
		total = KBITS_SIZE_UNKNOWN;	/* the server said less than it sent */
	if (completed) {
		total = done;
		flags |= WORKER_COMPLETED;
	}
	worker_progress(x->index, total, done, flags, force);
}

/*
 * @url without the user:password@ of its authority, into @buf (cut to fit):
 * what error texts and the log show.
 */
const char *url_for_text(const char *url, char *buf, size_t size)
{
	const char *auth = strstr(url, "://");
	const char *end, *at = NULL, *p;

	if (!auth) {
		snprintf(buf, size, "%s", url);
		return buf;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++) {
		if (*p == '@')
			at = p;
	}
	if (!at)
		snprintf(buf, size, "%s", url);
	else
		snprintf(buf, size, "%.*s%s", (int)(auth - url), url, at + 1);
	return buf;
}

/* ------------------------------------------------------------------ http */

static size_t header_cb(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;
	unsigned long long start, end, total;
	char line[256];

	if (len >= sizeof(line))
		return len;
	memcpy(line, buf, len);
	line[len] = 0;
	if (!strncmp(line, "HTTP/", 5)) {	/* a new response (e.g. after a redirect) */
		x->has_range = false;
		x->accept_ranges = false;
		x->cur.etag[0] = 0;
		x->cur.last_modified[0] = 0;
		return len;
	}
	if (!strncasecmp(line, "ETag:", 5)) {
		header_value(line + 5, x->cur.etag, sizeof(x->cur.etag));
		return len;
	}
	if (!strncasecmp(line, "Last-Modified:", 14)) {
		header_value(line + 14, x->cur.last_modified, sizeof(x->cur.last_modified));
		return len;
	}
	if (!strncasecmp(line, "Accept-Ranges:", 14)) {
		char v[32];

		header_value(line + 14, v, sizeof(v));
		x->accept_ranges = !strcasecmp(v, "bytes");
		return len;
	}
	if (strncasecmp(line, "Content-Range:", 14))
		return len;
	if (sscanf(line + 14, " bytes %llu-%llu/%llu", &start, &end, &total) == 3) {
		x->has_range = true;
		x->range_start = start;
		x->range_total = total;
	} else if (sscanf(line + 14, " bytes %llu-%llu/*", &start, &end) == 2) {
		x->has_range = true;
		x->range_start = start;
		x->range_total = KBITS_SIZE_UNKNOWN;
	}
	return len;
}

/*
 * Each new connection's socket: the worker reports the bytes that come on
 * it, as TCP counts them (see worker_socket()).
 */
static int sockopt_cb(void *data, curl_socket_t fd, curlsocktype purpose)
{
	(void)data;
	if (purpose == CURLSOCKTYPE_IPCXN)
		worker_socket((int)fd);
	return CURL_SOCKOPT_OK;
}

/*
 * The response's interface (the one that has its connection's local
 * address), whose traffic the daemon's bandwidth.c watches.
 */
static void connection_known(struct xfer *x)
{
	struct ifaddrs *ifa, *i;
	char addr[INET6_ADDRSTRLEN];
	const char *ip = NULL;
	const void *a;

	if (curl_easy_getinfo(x->curl, CURLINFO_LOCAL_IP, &ip) != CURLE_OK || !ip || !*ip ||
	    getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_name)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, a, addr, sizeof(addr)) &&
		    !strcmp(addr, ip)) {
			/* the loopback carries nobody else's traffic to yield to */
			if (!(i->ifa_flags & IFF_LOOPBACK))
				worker_iface(i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
}

/* The response's first byte, or its end when it had none. */
static void response_start(struct xfer *x)
{
	curl_off_t len = -1;

	x->started = true;
	connection_known(x);
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status >= 300)
		return;
	curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (x->status == 206 && x->offset) {
		const struct file_validator *o = x->old;

		if (!x->has_range || x->range_start != x->offset) {
			x->bad_range = true;
			return;
		}
		x->total = x->range_total != KBITS_SIZE_UNKNOWN ? x->range_total :
			   len >= 0 ? x->offset + (uint64_t)len : KBITS_SIZE_UNKNOWN;
		/* the rest of another version (a server that ignored If-Range) */
		if ((o->total != KBITS_SIZE_UNKNOWN && x->total != o->total) ||
		    (o->etag[0] && x->cur.etag[0] && strcmp(o->etag, x->cur.etag)) ||
		    (o->last_modified[0] && x->cur.last_modified[0] &&
		     strcmp(o->last_modified, x->cur.last_modified)))
			x->changed = true;
		return;
	}
	if (x->offset) {
		/*
		 * the server ignored the Range, or If-Range said the file
		 * changed: it sends the whole file, which starts over
		 */
		int err = restart_temp(x);

		if (err) {
			x->write_errno = -err;
			return;
		}
	}
	if (len < 0 && !x->accept_ranges && !x->dynamic) {
		x->no_length = true;
		return;
	}
	x->total = len >= 0 ? (uint64_t)len : KBITS_SIZE_UNKNOWN;
	x->cur.kind = VALIDATOR_HTTP;
	x->cur.total = x->total;
	new_validator(x);
}

static size_t write_cb(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;

	if (!x->started)
		response_start(x);
	if (x->status < 200 || x->status >= 300 || x->bad_range || x->changed ||
	    x->no_length || x->write_errno)
		return 0;	/* aborts the transfer */
	x->write_errno = write_all(x->fd, buf, len);
	if (x->write_errno)
		return 0;
	x->written += len;
	if (len)
		x->fresh = true;
	report(x, false, false);
	worker_received(len);
	return len;
}

/* Called about once a second even while nothing comes: the heartbeat. */
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

/* An errno for a failed curl transfer, and whether to retry it. */
int curl_errno(int rc, CURL *curl, bool *transient, enum kbits_error_context *ctx)
{
	long os_errno = 0;

	*transient = true;
	*ctx = KBITS_ERROR_CONTEXT_TRANSPORT;
	curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
	switch ((CURLcode)rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
		*transient = false;
		*ctx = KBITS_ERROR_CONTEXT_GENERAL;
		return EINVAL;
	case CURLE_TOO_MANY_REDIRECTS:
		*transient = false;
		*ctx = KBITS_ERROR_CONTEXT_REMOTE_FILE;
		return ELOOP;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		*transient = false;
		return EPROTO;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return os_errno > 0 ? (int)os_errno : ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return os_errno > 0 ? (int)os_errno : ECONNRESET;
	default:
		return os_errno > 0 ? (int)os_errno : EIO;
	}
}

/* The first proxy of a space- or comma-separated list, malloc'd. */
static char *first_proxy(const char *list)
{
	size_t skip = strspn(list, " ,\t");

	return strndup(list + skip, strcspn(list + skip, " ,\t"));
}

/*
 * A proxy kbitsd uses: [scheme://]host[:port][/], the scheme one of http,
 * https, socks4, socks4a, socks5, socks5h; no path (libcurl would take
 * "socks5h://localhost/run/x.sock" for a Unix socket).
 */
static bool proxy_ok(const char *proxy)
{
	static const char *const schemes[] = {
		"http://", "https://", "socks4://", "socks4a://", "socks5://", "socks5h://",
	};
	const char *p = proxy, *slash;
	size_t i;

	if (strstr(p, "://")) {
		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
			if (!strncasecmp(p, schemes[i], strlen(schemes[i])))
				break;
		}
		if (i == sizeof(schemes) / sizeof(schemes[0]))
			return false;
		p += strlen(schemes[i]);
	}
	if (!*p || *p == '/')
		return false;
	slash = strchr(p, '/');
	return !slash || !slash[1];
}

static int add_headers(const char *headers, struct curl_slist **out)
{
	const char *p = headers;

	while (p && *p) {
		size_t len = strcspn(p, "\r\n");

		if (len) {
			char *line = strndup(p, len);
			struct curl_slist *l;

			if (!line)
				return -ENOMEM;
			l = curl_slist_append(*out, line);
			free(line);
			if (!l)
				return -ENOMEM;
			*out = l;
		}
		p += len;
		p += strspn(p, "\r\n");
	}
	return 0;
}

/* Every option must take: a libcurl that ignores one (too old) fails the transfer. */
#define SETOPT(c, opt, val) \
	do { \
		if (curl_easy_setopt((c), (opt), (val)) != CURLE_OK) \
			return -ENOPROTOOPT; \
	} while (0)

/* Whether @v can go in a header as is: printable ASCII, not empty. */
static bool header_safe(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++) {
		if ((unsigned char)*v < 0x20 || (unsigned char)*v >= 0x7f)
			return false;
	}
	return true;
}

/*
 * "If-Range: " the old strong ETag, else its Last-Modified date: the rest
 * only if it is still that version, else the whole file.  -ENOENT: none.
 */
static int if_range(const struct file_validator *o, struct curl_slist **headers)
{
	char line[32 + VALIDATOR_ETAG_MAX];
	struct curl_slist *l;

	if (header_safe(o->etag) && strncmp(o->etag, "W/", 2))
		snprintf(line, sizeof(line), "If-Range: %s", o->etag);
	else if (header_safe(o->last_modified))
		snprintf(line, sizeof(line), "If-Range: %s", o->last_modified);
	else
		return -ENOENT;
	l = curl_slist_append(*headers, line);
	if (!l)
		return -ENOMEM;
	*headers = l;
	return 0;
}

/* CURLAUTH_* for the schemes (1U << enum kbits_auth_scheme) in @offered */
static unsigned long curl_auth(uint32_t offered)
{
	unsigned long m = 0;

	if (offered & (1U << KBITS_AUTH_SCHEME_BASIC))
		m |= CURLAUTH_BASIC;
	if (offered & (1U << KBITS_AUTH_SCHEME_DIGEST))
		m |= CURLAUTH_DIGEST;
	if (offered & (1U << KBITS_AUTH_SCHEME_NTLM))
		m |= CURLAUTH_NTLM;
	if (offered & (1U << KBITS_AUTH_SCHEME_NEGOTIATE))
		m |= CURLAUTH_NEGOTIATE;
	return m;
}

/*
 * The job's credentials (auth.c chose one pair per target).  Credentials
 * never go to another host after a redirect: CURLOPT_UNRESTRICTED_AUTH
 * stays libcurl's 0 (set here so that no default can change it), and no
 * https request is redirected to plain http (net_curl_setup()), so Basic
 * never goes in clear text after https.  Negotiate uses GSS-API with the
 * default credential cache of the worker, which runs as the job's owner;
 * the empty user name curl then gets only switches its authentication on.
 */
static int auth_setup(CURL *c, const struct net_settings *ns)
{
	SETOPT(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	if (ns->server.offered) {
		SETOPT(c, CURLOPT_HTTPAUTH, curl_auth(ns->server.offered));
		SETOPT(c, CURLOPT_USERNAME, ns->server.user);
		SETOPT(c, CURLOPT_PASSWORD, ns->server.password);
	}
	if (ns->proxy.offered) {
		SETOPT(c, CURLOPT_PROXYAUTH, curl_auth(ns->proxy.offered));
		SETOPT(c, CURLOPT_PROXYUSERNAME, ns->proxy.user);
		SETOPT(c, CURLOPT_PROXYPASSWORD, ns->proxy.password);
	}
	return 0;
}

/*
 * What every request of a job has, a download's or an upload's (see
 * kbitsd.h): the job's proxy, its credentials, its custom headers, the
 * limits on redirects and the socket callback.
 */
int net_curl_setup(CURL *c, const char *url, const struct net_settings *ns,
		   struct curl_slist **headers, char **proxy)
{
	bool https = !strncasecmp(url, "https://", 8);
	int err;

	SETOPT(c, CURLOPT_URL, url);
	SETOPT(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* custom headers never go back to clear text after https */
	SETOPT(c, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	SETOPT(c, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(c, CURLOPT_MAXREDIRS, 10L);
	SETOPT(c, CURLOPT_NOSIGNAL, 1L);
	SETOPT(c, CURLOPT_USERAGENT, "kbitsd/" KBITS_VERSION);
	SETOPT(c, CURLOPT_CONNECTTIMEOUT, 60L);
	/* a connection that has carried nothing for two minutes is dead */
	SETOPT(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(c, CURLOPT_LOW_SPEED_TIME, 120L);
	SETOPT(c, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	switch (ns->proxy_usage) {
	case KBITS_PROXY_SYSTEM:
		break;	/* curl's own: the *_proxy environment variables */
	case KBITS_PROXY_NONE:
		SETOPT(c, CURLOPT_PROXY, "");
		SETOPT(c, CURLOPT_NOPROXY, "*");
		break;
	case KBITS_PROXY_OVERRIDE:
		*proxy = first_proxy(ns->proxy_list ? ns->proxy_list : "");
		if (!*proxy)
			return -ENOMEM;
		if (!proxy_ok(*proxy))
			return -EINVAL;
		SETOPT(c, CURLOPT_PROXY, *proxy);
		SETOPT(c, CURLOPT_NOPROXY, ns->proxy_bypass ? ns->proxy_bypass : "");
		break;
	}
	err = auth_setup(c, ns);
	if (err)
		return err;
	return add_headers(ns->http_headers, headers);
}

/* A download's request: net_curl_setup(), its callbacks, its Range and If-Range. */
static int setup_curl(struct xfer *x, const char *url, const struct net_settings *ns,
		      struct curl_slist **headers, char **proxy)
{
	CURL *c = x->curl;
	char range[32];
	int err;

	err = net_curl_setup(c, url, ns, headers, proxy);
	if (err)
		return err;
	SETOPT(c, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(c, CURLOPT_HEADERDATA, x);
	SETOPT(c, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(c, CURLOPT_WRITEDATA, x);
	SETOPT(c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(c, CURLOPT_XFERINFODATA, x);
	SETOPT(c, CURLOPT_NOPROGRESS, 0L);
	/*
	 * A job nothing will slow reads in big buffers, as the curl tool does
	 * (100 KiB): a GiB in 16 KiB reads cost a third more CPU than curl's.
	 * One the daemon may slow keeps curl's 16 KiB default: with 128 KiB a
	 * yielding job's reads came in bursts that left a plain curl beside it
	 * 73-79% of a shaped link where it had 86-88%
	 * (tests/kbitsd/run-sched-tests, test 3).
	 */
	if (ns->unpaced)
		SETOPT(c, CURLOPT_BUFFERSIZE, UNPACED_BUFFER);
	if (x->offset) {
		/*
		 * CURLOPT_RANGE rather than CURLOPT_RESUME_FROM_LARGE: with the
		 * latter curl fails a 200 answer (CURLE_RANGE_ERROR) where kbitsd
		 * takes the whole file instead.
		 */
		snprintf(range, sizeof(range), "%" PRIu64 "-", x->offset);
		SETOPT(c, CURLOPT_RANGE, range);
	}
	if (x->offset) {
		err = if_range(x->old, headers);
		if (err == -ENOMEM)
			return err;
	}
	if (*headers)
		SETOPT(c, CURLOPT_HTTPHEADER, *headers);
	return 0;
}

/* One request; *again is set when it should be made again from byte 0. */
static enum xfer_result http_once(struct xfer *x, const char *url,
				  const struct net_settings *ns, struct xfer_error *err,
				  bool *again)
{
	const char *u = x->url_text;
	struct curl_slist *headers = NULL;
	enum xfer_result r;
	char *proxy = NULL;
	bool transient;
	enum kbits_error_context ctx;
	CURLcode rc;
	int e;

	*again = false;
	x->curl = curl_easy_init();
	if (!x->curl)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, x->index,
			    "out of memory");
	x->started = false;
	x->status = 0;
	x->bad_range = false;
	x->changed = false;
	x->no_length = false;
	x->accept_ranges = false;
	x->has_range = false;
	memset(&x->cur, 0, sizeof(x->cur));
	x->written = 0;
	x->total = KBITS_SIZE_UNKNOWN;
	e = setup_curl(x, url, ns, &headers, &proxy);
	if (e == -EINVAL) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_GENERAL, EINVAL, x->index,
			 "the job's proxy is not [http|https|socks4|socks4a|socks5|socks5h://]host[:port]");
		goto out;
	}
	if (e < 0) {
		r = xfer_fail(err, e == -ENOMEM, KBITS_ERROR_CONTEXT_GENERAL, -e, x->index,
			 "cannot set up the transfer: %s", strerror(-e));
		goto out;
	}
	rc = curl_easy_perform(x->curl);
	if (!x->started && rc == CURLE_OK)
		response_start(x);	/* an empty body */

	if (x->write_errno) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, x->write_errno, x->index,
			 "cannot write the temporary file: %s", strerror(x->write_errno));
	} else if (x->no_length) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, EPROTO, x->index,
			 "%s: the server sends neither the file's size (Content-Length) nor "
			 "byte ranges; a job with dynamic content accepts that", u);
	} else if (x->bad_range || x->changed || (x->status == 416 && x->offset)) {
		/*
		 * the bytes asked for are not what the server has, or are
		 * another version's: start over
		 */
		e = restart_temp(x);
		if (e < 0)
			r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, -e, x->index,
				 "cannot truncate the temporary file: %s", strerror(-e));
		else
			r = XFER_FAILED, *again = true;
	} else if (x->status >= 400) {
		r = xfer_fail(err, x->status >= 500, KBITS_ERROR_CONTEXT_REMOTE_FILE,
			 (int)x->status, x->index, "%s: HTTP status %ld", u, x->status);
		xfer_http_status(err, x->status);
	} else if (rc != CURLE_OK) {
		e = curl_errno(rc, x->curl, &transient, &ctx);
		r = xfer_fail(err, transient, ctx, e, x->index, "%s: %s", u,
			 curl_easy_strerror(rc));
	} else if (x->status < 200 || x->status >= 300) {
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, (int)x->status,
			 x->index, "%s: unexpected HTTP status %ld", u, x->status);
		xfer_http_status(err, x->status);
	} else if (x->total != KBITS_SIZE_UNKNOWN && x->offset + x->written != x->total) {
		r = xfer_fail(err, true, KBITS_ERROR_CONTEXT_TRANSPORT, ECONNRESET, x->index,
			 "%s: the connection ended early", u);
	} else {
		r = XFER_DONE;
	}
out:
	worker_socket(-1);
	curl_easy_cleanup(x->curl);
	x->curl = NULL;
	curl_slist_free_all(headers);
	free(proxy);
	return r;
}

static enum xfer_result http_file(struct xfer *x, const char *url,
				  const struct net_settings *ns, struct xfer_error *err)
{
	enum xfer_result r;
	bool again;
	int tries = 0;

	do {
		r = http_once(x, url, ns, err, &again);
	} while (again && ++tries < 2);
	if (again)
		r = xfer_fail(err, true, KBITS_ERROR_CONTEXT_REMOTE_FILE, EIO, x->index,
			 "%s: the server does not send the bytes asked for", x->url_text);
	return r;
}

/* ----------------------------------------------------------------- local */

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/*
 * The path of an absolute path or a file:// URL (percent-decoded), malloc'd
 * into *out: 0, -EINVAL (neither) or -ENOMEM.
 */
static int local_source_path(const char *remote, char **out)
{
	const char *p = remote;
	bool url = false;
	char *o;

	*out = NULL;
	if (!strncasecmp(p, "file://", 7)) {
		url = true;
		p += 7;
		if (!strncasecmp(p, "localhost/", 10))
			p += 9;
	}
	if (*p != '/')
		return -EINVAL;
	*out = malloc(strlen(p) + 1);
	if (!*out)
		return -ENOMEM;
	for (o = *out; *p; p++) {
		if (url && *p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			*o++ = (char)(hexval((unsigned char)p[1]) * 16 +
				      hexval((unsigned char)p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return 0;
}

/*
 * copy_file_range() of the next chunk, at the temporary's file position as
 * write() would: the kernel moves the bytes from the source's page cache
 * to the temporary's, one copy where a pread() and a write() make two
 * (what cp does too).  -1 with errno set when it cannot be used here (another
 * file system, one without it, an old kernel); 0 when it copied nothing,
 * which the caller checks with pread() rather than take for the end.
 */
static ssize_t copy_range(struct xfer *x, int src, size_t len)
{
	loff_t in = (loff_t)(x->offset + x->written);
	ssize_t n;

	do {
		n = copy_file_range(src, &in, x->fd, NULL, len, 0);
	} while (n < 0 && errno == EINTR);
	return n;
}

static enum xfer_result copy_file(struct xfer *x, int src, struct xfer_error *err)
{
	char *buf = malloc(COPY_CHUNK);
	enum xfer_result r = XFER_DONE;
	bool ranges = true;	/* copy_file_range() until it fails once */

	if (!buf)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, x->index,
			    "out of memory");
	while (x->offset + x->written < x->total) {
		uint64_t left = x->total - x->offset - x->written;
		size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
		ssize_t n;
		int e;

		if (ranges) {
			n = copy_range(x, src, want);
			if (n > 0) {
				x->written += (uint64_t)n;
				x->fresh = true;
				report(x, false, false);
				worker_received((size_t)n);
				continue;
			}
			/* any failure or 0: the plain copy says what it was */
			ranges = false;
		}
		n = pread(src, buf, want, (off_t)(x->offset + x->written));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, errno, x->index,
				 "cannot read the source: %s", strerror(errno));
			break;
		}
		if (n == 0) {	/* it shrank meanwhile: it ends here */
			x->total = x->offset + x->written;
			break;
		}
		e = write_all(x->fd, buf, (size_t)n);
		if (e) {
			r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, e, x->index,
				 "cannot write the temporary file: %s", strerror(e));
			break;
		}
		x->written += (uint64_t)n;
		x->fresh = true;
		report(x, false, false);
		worker_received((size_t)n);	/* the caps apply to copies too */
	}
	free(buf);
	return r;
}

/*
 * Opens a local source, before the temporary so that a file that cannot be
 * read gets none.  O_NONBLOCK: a FIFO or a device must not hang the open;
 * only a regular file is copied.
 */
static enum xfer_result open_source(struct xfer *x, const char *remote, int *src,
				    struct xfer_error *err)
{
	char shown[256];
	struct stat st;
	char *path;
	int e, fl;

	url_for_text(remote, shown, sizeof(shown));
	e = local_source_path(remote, &path);
	if (e == -EINVAL)
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, EINVAL, x->index,
			    "%s: not a URL kbitsd can transfer", shown);
	if (e < 0)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, -e, x->index,
			    "out of memory");
	*src = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	e = errno;
	free(path);
	if (*src < 0)
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, e, x->index,
			    "cannot open %s: %s", shown, strerror(e));
	if (fstat(*src, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fl = fcntl(*src, F_GETFL)) < 0 || fcntl(*src, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		close(*src);
		*src = -1;
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_REMOTE_FILE, EINVAL, x->index,
			    "%s is not a regular file", shown);
	}
	x->total = (uint64_t)st.st_size;
	x->cur.kind = VALIDATOR_LOCAL;
	x->cur.total = x->total;
	x->cur.mtime_sec = (int64_t)st.st_mtim.tv_sec;
	x->cur.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	return XFER_DONE;
}

static enum xfer_result local_file(struct xfer *x, int src, struct xfer_error *err)
{
	const struct file_validator *o = x->old;
	int e;

	/* another size or mtime than the temporary's bytes came from: start over */
	if (x->offset > x->total || o->kind != VALIDATOR_LOCAL || o->total != x->cur.total ||
	    o->mtime_sec != x->cur.mtime_sec || o->mtime_nsec != x->cur.mtime_nsec) {
		e = restart_temp(x);
		if (e < 0)
			return xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, -e, x->index,
				    "cannot truncate the temporary file: %s", strerror(-e));
	}
	new_validator(x);
	return copy_file(x, src, err);
}

/* ------------------------------------------------------------ temporary */

/*
 * An existing temporary to go on with: opened without following a symlink
 * and without blocking (a FIFO), and kept only when it is a regular file of
 * the owner's with one link.  1 with x->fd set; 0: there is none now (what
 * was there was removed); a negative errno.
 */
static int reuse_temp(struct xfer *x, int dfd, const char *name)
{
	struct stat st;
	int fd, fl;

	fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == x->owner &&
		    st.st_nlink == 1 && (fl = fcntl(fd, F_GETFL)) >= 0 &&
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0 &&
		    lseek(fd, st.st_size, SEEK_SET) >= 0) {
			x->fd = fd;
			x->offset = (uint64_t)st.st_size;
			return 1;
		}
		close(fd);
	} else if (errno != ELOOP && errno != ENXIO && errno != EACCES && errno != EPERM &&
		   errno != ETXTBSY && errno != EISDIR && errno != EWOULDBLOCK) {
		return -errno;
	}
	/* not ours to go on with (a symlink, a FIFO, another user's): away */
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Opens (or creates, mode 0600) file @index's temporary in @local's
 * directory; its size is where to go on.  The directory's fd stays open
 * (x->dfd), for removing a temporary whose digest is wrong.
 */
static enum xfer_result open_temp(struct xfer *x, const struct kbits_guid *id,
				  const char *local, struct xfer_error *err)
{
	char *name = x->name;
	char *dir = local_dir(local);
	int dfd, e;

	if (!dir)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, x->index,
			    "out of memory");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		e = errno;
		xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, e, x->index,
		     "cannot open the directory %s: %s", dir, strerror(e));
		free(dir);
		return XFER_FAILED;
	}
	temp_name(id, x->index, name);
	e = reuse_temp(x, dfd, name);
	if (e == 0) {
		x->fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			       O_NOCTTY | O_CLOEXEC, 0600);
		e = x->fd < 0 ? -errno : 0;
		x->offset = 0;
	}
	if (e < 0) {
		close(dfd);
		xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, -e, x->index,
		     "cannot create %s/%s: %s", dir, name, strerror(-e));
		free(dir);
		return XFER_FAILED;
	}
	x->dfd = dfd;
	free(dir);
	return XFER_DONE;
}

static void hex_digest(const uint8_t d[KBITS_SHA256_SIZE], char out[2 * KBITS_SHA256_SIZE + 1])
{
	size_t i;

	for (i = 0; i < KBITS_SHA256_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The SHA-256 of the whole temporary, from byte 0: 0 or a negative errno. */
static int hash_temp(struct xfer *x, uint8_t out[KBITS_SHA256_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *buf = malloc(COPY_CHUNK);
	unsigned int len = 0;
	uint64_t off = 0;
	int err = -ENOMEM;

	if (!ctx || !buf || !EVP_DigestInit_ex(ctx, sha256_md, NULL))
		goto out;
	for (;;) {
		ssize_t n = pread(x->fd, buf, COPY_CHUNK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			goto out;
		off += (uint64_t)n;
		/* a heartbeat: hashing a large file takes a while */
		report(x, false, false);
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) && len == KBITS_SHA256_SIZE)
		err = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return err;
}

/*
 * The complete temporary against the expected @sha256.  A mismatch removes
 * it (or, failing that, empties it), so that nothing of that version is
 * placed or resumed, and is a final error.
 */
static enum xfer_result check_sha256(struct xfer *x, const uint8_t *sha256,
				     struct xfer_error *err)
{
	char want[2 * KBITS_SHA256_SIZE + 1], got[2 * KBITS_SHA256_SIZE + 1];
	uint8_t d[KBITS_SHA256_SIZE];
	int e = hash_temp(x, d);
	bool gone;

	if (e == -ENOMEM)
		return xfer_fail(err, true, KBITS_ERROR_CONTEXT_GENERAL, ENOMEM, x->index,
			    "out of memory");
	if (e < 0)
		return xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, -e, x->index,
			    "cannot read the temporary file back: %s", strerror(-e));
	if (!memcmp(d, sha256, KBITS_SHA256_SIZE))
		return XFER_DONE;
	/* none of its bytes may be resumed: emptied when it cannot be removed */
	gone = unlinkat(x->dfd, x->name, 0) == 0 || errno == ENOENT || ftruncate(x->fd, 0) == 0;
	/* the user sees it start over: progress 0 */
	x->offset = 0;
	x->written = 0;
	x->fresh = true;
	hex_digest(sha256, want);
	hex_digest(d, got);
	return xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, EBADMSG, x->index,
		    "SHA-256 mismatch: expected %s, got %s%s", want, got,
		    gone ? "" : " (the temporary file could not be removed)");
}

static bool is_http(const char *remote)
{
	return !strncasecmp(remote, "http://", 7) || !strncasecmp(remote, "https://", 8);
}

enum xfer_result transfer_file(const struct kbits_guid *id, uid_t owner, uint32_t index,
			       const struct kbits_file *f, const uint8_t *sha256,
			       const struct net_settings *ns, const struct file_validator *val,
			       struct xfer_error *err)
{
	struct xfer x = {
		.index = index, .owner = owner, .fd = -1, .dfd = -1,
		.total = KBITS_SIZE_UNKNOWN, .dynamic = ns->dynamic, .old = val,
	};
	bool http = is_http(f->remote_name);
	enum xfer_result r = XFER_DONE;
	char shown[512];
	int src = -1;

	x.url_text = url_for_text(f->remote_name, shown, sizeof(shown));
	if (!http)
		r = open_source(&x, f->remote_name, &src, err);
	if (r == XFER_DONE)
		r = open_temp(&x, id, f->local_name, err);
	/*
	 * bytes of a version nothing vouches for (no validators: they were
	 * lost, or it is dynamic content, never resumed): start over
	 */
	if (r == XFER_DONE && x.offset && http &&
	    (x.dynamic || val->kind != VALIDATOR_HTTP)) {
		int e = restart_temp(&x);

		if (e < 0)
			r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, -e, index,
				 "cannot truncate the temporary file: %s", strerror(-e));
	}
	if (r == XFER_DONE) {
		report(&x, false, true);	/* where it starts: a heartbeat */
		r = http ? http_file(&x, f->remote_name, ns, err) : local_file(&x, src, err);
	}
	if (r == XFER_DONE && fsync(x.fd) < 0)
		r = xfer_fail(err, false, KBITS_ERROR_CONTEXT_LOCAL_FILE, errno, index,
			 "cannot write the temporary file: %s", strerror(errno));
	if (r == XFER_DONE && sha256)
		r = check_sha256(&x, sha256, err);
	if (r == XFER_DONE)
		report(&x, true, true);
	else if (x.fd >= 0)
		report(&x, false, true);	/* keep what came before the error */
	if (x.fd >= 0)
		close(x.fd);
	if (x.dfd >= 0)
		close(x.dfd);
	if (src >= 0)
		close(src);
	return r;
}
