// SPDX-License-Identifier: GPL-2.0
/*
 * The worker: the child process that transfers one job's files, as the
 * job's owner, in the job's namespaces.  The daemon forks it for each run
 * of a job (owner_fork(): it enters the job's network namespace and root
 * directory, then keeps no fd of the daemon's but its socket, and no
 * privilege), it opens the sources and the temporaries, runs the HTTP
 * transfers and the local copies (transfer.c), or an upload job's request
 * (upload.c), with its own libcurl handles,
 * and reports over a SOCK_SEQPACKET socket, one struct worker_msg per
 * packet:
 *
 *   WORKER_PROGRESS  file, bytes total, bytes so far, COMPLETED (after its
 *                    fsync), FRESH (bytes arrived in this run); at most
 *                    every 50 ms (so that the daemon knows its network
 *                    bytes to within a few percent), and at least every
 *                    second while it works
 *                    (a heartbeat)
 *   WORKER_VALIDATOR a file's validators (struct file_validator) from its
 *                    first response or its source, sent before any byte of
 *                    that version is written, for the daemon to store
 *   WORKER_IFACE     the network interface its connection uses, when it
 *                    changes (bandwidth.c watches that interface's traffic)
 *   WORKER_RESULT    the end: every file done, or the error that stopped it
 *
 * and each WORKER_PROGRESS carries the bytes received from the network so
 * far.  The other way, the daemon sends struct worker_ctl: WORKER_CTL_RATE,
 * the most it may receive per second (background jobs yield to other
 * traffic, and the administrator's caps); the worker reads it as it writes
 * and sleeps between reads to keep to it, which fills the socket's receive
 * window and so slows the server down.
 *
 * The daemon never waits on it: it polls the socket with a timeout, relays
 * the progress to the kernel, and SIGKILLs the worker when the job must stop
 * or when the worker is silent too long (a hung open() on FUSE, a SIGSTOP
 * from its owner, who may signal it).  A worker that dies without a result
 * is a transient error.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/tcp.h>

#include "kbitsd.h"

/* ------------------------------------------------------------ the worker */

static struct {
	int64_t sent_ms;
	struct worker_msg last;
	/*
	 * Bytes received from the network: of the connections before, and of
	 * the one now as TCP counts them (tcpi_bytes_received, what came on
	 * the wire: a reader that sleeps has bytes waiting in its socket)
	 */
	uint64_t net, net_base, sock_bytes;
	int sock;		/* the connection now, or -1 */
	struct conn_id conn;	/* the last one told to the daemon */
	bool clamped;		/* its window is clamped (apply_clamp()) */
	uint32_t rtt_us;	/* its round trip as TCP sees it; 0: not known */
	uint32_t window;	/* the clamp the daemon asks for; 0: none */
	char iface[16];
	/* the rate the daemon set, and the token bucket that keeps to it */
	uint64_t rate;
	int64_t bucket_us;
	double tokens;
	int64_t ctl_ms;		/* when worker_received() last read its messages */
} out;

/* how often worker_received() reads the daemon's messages without a rate */
#define CTL_POLL_MS	10

/*
 * The coarse clock (a tick's resolution) is enough for the 50 ms and 10 ms
 * throttles, and the vDSO reads it without a system call whatever the
 * clocksource: it is read for each buffer curl hands over, and with a
 * clocksource the vDSO cannot read (hpet, as in a QEMU guest without KVM)
 * CLOCK_MONOTONIC is a system call.
 */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_msg(const struct worker_msg *m)
{
	ssize_t n;

	do {
		n = send(OWNER_CHILD_FD, m, sizeof(*m), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		_exit(1);	/* the daemon is gone: nothing to do for anyone */
	out.sent_ms = mono_ms();
}

/* Reads the connection's byte count into out.net, and its round trip. */
static void sample_net(void)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (out.sock >= 0 &&
	    getsockopt(out.sock, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received)) {
		out.sock_bytes = ti.tcpi_bytes_received;
		out.rtt_us = ti.tcpi_rcv_rtt ? ti.tcpi_rcv_rtt : ti.tcpi_rtt;
	}
	out.net = out.net_base + out.sock_bytes;
}

/*
 * Reading slower leaves the server sending until the window the socket
 * advertised is used up, and TCP grows it to megabytes on a fast link:
 * seconds of the link that a yielding job would not give up.  The daemon
 * gives background workers a window (TCP_WINDOW_CLAMP) of about a tenth of
 * a second of their rate, so that they stop soon after they slow down;
 * without one the clamp is lifted (TCP's own autotuning again).  And TCP
 * advertises that window again with each acknowledgement while its buffer
 * has room, whether the worker reads or not: with a rate, the clamp is a
 * round trip of the rate (at least what TCP allows), so that what comes
 * is about what the worker reads.
 */
static void apply_clamp(void)
{
	uint64_t rtt_us = out.rtt_us ? out.rtt_us : 100000, w;
	int clamp;

	if (out.sock < 0 || (!out.window && !out.rate && !out.clamped))
		return;
	clamp = out.window ? (int)out.window : 1 << 30;
	if (out.rate) {
		w = out.rate * rtt_us / 1000000;
		w = w < 2048 ? 2048 : w;
		if (w < (uint64_t)clamp)
			clamp = (int)w;
	}
	if (setsockopt(out.sock, IPPROTO_TCP, TCP_WINDOW_CLAMP, &clamp, sizeof(clamp)) == 0)
		out.clamped = out.window || out.rate;
}

void worker_socket(int fd)
{
	sample_net();
	out.net_base += out.sock_bytes;
	out.sock_bytes = 0;
	out.sock = fd;
	out.net = out.net_base;
	out.clamped = false;
	apply_clamp();
}

void worker_progress(uint32_t index, uint64_t total, uint64_t done, uint32_t flags,
		     bool force)
{
	int64_t now = mono_ms();
	bool same;

	/*
	 * Most calls (one per buffer curl hands over) come within 50 ms of
	 * the last record: they return before the TCP_INFO system call.
	 */
	if (!force && now - out.sent_ms < 50)
		return;
	sample_net();
	same = out.last.kind == WORKER_PROGRESS && out.last.index == index &&
		    out.last.total == total && out.last.done == done &&
		    out.last.flags == flags && out.last.net == out.net;
	if (!force && same && now - out.sent_ms < 1000)
		return;
	memset(&out.last, 0, sizeof(out.last));
	out.last.kind = WORKER_PROGRESS;
	out.last.index = index;
	out.last.total = total;
	out.last.done = done;
	out.last.flags = flags;
	out.last.net = out.net;
	send_msg(&out.last);
}

/* The addresses and ports of connection @fd, for the daemon's sock_diag. */
static void conn_of(int fd, struct conn_id *c)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);

	memset(c, 0, sizeof(*c));
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&l, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) < 0 || l.ss_family != r.ss_family)
		return;
	if (l.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&l, *b = (const void *)&r;

		memcpy(c->laddr, &a->sin_addr, 4);
		memcpy(c->raddr, &b->sin_addr, 4);
		c->lport = ntohs(a->sin_port);
		c->rport = ntohs(b->sin_port);
	} else if (l.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&l, *b = (const void *)&r;

		memcpy(c->laddr, &a->sin6_addr, 16);
		memcpy(c->raddr, &b->sin6_addr, 16);
		c->lport = ntohs(a->sin6_port);
		c->rport = ntohs(b->sin6_port);
	} else {
		return;
	}
	c->family = l.ss_family;
}

void worker_iface(const char *name)
{
	struct worker_msg m;

	if (strlen(name) >= sizeof(m.iface))
		return;
	memset(&m, 0, sizeof(m));
	m.kind = WORKER_IFACE;
	strcpy(m.iface, name);
	conn_of(out.sock, &m.conn);
	if (!memcmp(&m.conn, &out.conn, sizeof(m.conn)) && !strcmp(out.iface, name))
		return;
	strcpy(out.iface, name);
	out.conn = m.conn;
	send_msg(&m);
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The daemon's messages, if any; waits up to @ms for one. */
static void read_ctl(int ms)
{
	struct pollfd pfd = { .fd = OWNER_CHILD_FD, .events = POLLIN };
	struct worker_ctl c;
	ssize_t n;

	if (ms > 0 && poll(&pfd, 1, ms) <= 0)
		return;
	for (;;) {
		n = recv(OWNER_CHILD_FD, &c, sizeof(c), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(c))
			return;
		if (c.kind != WORKER_CTL_RATE)
			continue;
		if (c.rate == out.rate && c.window == out.window)
			continue;
		if (c.rate != out.rate)
			out.bucket_us = 0;
		out.rate = c.rate;
		out.window = c.window;
		sample_net();
		apply_clamp();
	}
}

void worker_received(size_t len)
{
	double burst;
	int64_t now;

	if (out.sock < 0)	/* not a TCP connection kbitsd knows */
		out.net_base += len;
	/*
	 * Without a rate, the daemon's messages are read at most every
	 * CTL_POLL_MS, not at each buffer: a system call per buffer costs
	 * more than the copy itself on a fast link.  A new rate waits that
	 * long at most (a tick of bandwidth.c is 250 ms).
	 */
	now = mono_ms();
	if (out.rate || now - out.ctl_ms >= CTL_POLL_MS) {
		out.ctl_ms = now;
		read_ctl(0);
	}
	while (out.rate) {
		now = mono_us();
		/* a quarter of a second's worth may come at once, 16 KiB at least */
		burst = out.rate / 4.0 > 16384 ? out.rate / 4.0 : 16384;
		if (!out.bucket_us) {
			out.bucket_us = now;
			out.tokens = burst;
		}
		out.tokens += (double)(now - out.bucket_us) * (double)out.rate / 1e6;
		if (out.tokens > burst)
			out.tokens = burst;
		out.bucket_us = now;
		if (len) {
			out.tokens -= (double)len;
			len = 0;
		}
		if (out.tokens >= 0)
			break;
		/* a new rate wakes it at once; a heartbeat at least every second */
		read_ctl((int)(-out.tokens * 1000 / (double)out.rate) + 1 < 200 ?
			 (int)(-out.tokens * 1000 / (double)out.rate) + 1 : 200);
		if (out.last.kind == WORKER_PROGRESS)
			worker_progress(out.last.index, out.last.total, out.last.done,
					out.last.flags & ~(WORKER_COMPLETED | WORKER_FRESH),
					false);
	}
}

void worker_validator(uint32_t index, const struct file_validator *v)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = WORKER_VALIDATOR;
	m.index = index;
	m.val = *v;
	send_msg(&m);
}

static void __attribute__((noreturn)) worker_main(const struct worker_job *job)
{
	struct worker_msg m = { .kind = WORKER_RESULT, .result = XFER_DONE };
	size_t i;

	out.sock = -1;
	for (i = 0; i < job->nfiles; i++) {
		const struct kbits_file_attrs *fa = &job->attrs[i];

		if (job->files[i].completed)
			continue;
		if (job->type != KBITS_JOB_TYPE_DOWNLOAD)
			m.result = upload_file(&job->id, (uint32_t)i, &job->files[i], job->post,
					       job->reply, job->ns, &m.error);
		else
			m.result = transfer_file(&job->id, job->owner->uid, (uint32_t)i,
						 &job->files[i],
						 (fa->flags & KBITS_FILE_SHA256) ? fa->sha256 : NULL,
						 job->ns, &job->vals[i], &m.error);
		if (m.result != XFER_DONE)
			break;
	}
	m.error.text[sizeof(m.error.text) - 1] = 0;
	send_msg(&m);
	_exit(0);
}

/* ------------------------------------------------------------ the daemon */

bool validator_ok(const struct file_validator *v)
{
	switch (v->kind) {
	case VALIDATOR_NONE:
		return true;
	case VALIDATOR_HTTP:
		return memchr(v->etag, 0, sizeof(v->etag)) &&
		       memchr(v->last_modified, 0, sizeof(v->last_modified));
	case VALIDATOR_LOCAL:
		return v->mtime_nsec < 1000000000 && v->total != KBITS_SIZE_UNKNOWN;
	default:
		return false;
	}
}

int worker_start(const struct worker_job *job, struct worker *w, const char **ns_failed)
{
	int sv[2], err;
	pid_t pid;

	w->pid = -1;
	w->fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = owner_fork(job->owner, job->jns, sv[1], ns_failed);
	if (pid == 0)
		worker_main(job);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return pid;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		err = -errno;
		close(sv[0]);
		owner_child_done(pid, true);
		return err;
	}
	w->pid = pid;
	w->fd = sv[0];
	return 0;
}

/*
 * A bool the worker sent: its byte must be 0 or 1 before it is read as a
 * bool (any other value is undefined behaviour in C).
 */
static bool bool_byte_ok(const bool *b)
{
	unsigned char c;

	memcpy(&c, b, 1);
	return c <= 1;
}

static bool msg_ok(const struct worker_msg *m, size_t nfiles)
{
	const struct xfer_error *e = &m->error;

	switch (m->kind) {
	case WORKER_PROGRESS:
		if (m->index >= nfiles || (m->flags & ~(WORKER_COMPLETED | WORKER_FRESH)))
			return false;
		if (m->total != KBITS_SIZE_UNKNOWN && m->done > m->total)
			return false;
		return !(m->flags & WORKER_COMPLETED) || m->total == m->done;
	case WORKER_IFACE:
		return m->iface[0] && memchr(m->iface, 0, sizeof(m->iface)) &&
		       (m->conn.family == 0 || m->conn.family == AF_INET ||
			m->conn.family == AF_INET6);
	case WORKER_VALIDATOR:
		/* the worker is its owner's: every length in it is checked */
		return m->index < nfiles && m->val.kind != VALIDATOR_NONE &&
		       validator_ok(&m->val);
	case WORKER_RESULT:
		if (m->result == XFER_DONE)
			return true;
		if (m->result != XFER_FAILED ||
		    !bool_byte_ok(&e->transient) || !bool_byte_ok(&e->http))
			return false;
		return e->context > KBITS_ERROR_CONTEXT_NONE &&
		       e->context <= KBITS_ERROR_CONTEXT_REMOTE_APPLICATION &&
		       e->code >= 0 && (!e->http || (e->code >= 100 && e->code <= 599)) &&
		       (e->file_index < nfiles || e->file_index == KBITS_NO_FILE) &&
		       memchr(e->text, 0, sizeof(e->text));
	default:
		return false;
	}
}

int worker_receive(struct worker *w, size_t nfiles, struct worker_msg *m)
{
	ssize_t n;

	/*
	 * ECONNRESET: the worker exited with a rate message of ours unread.
	 * The kernel reports that before the records still queued from the
	 * worker (its RESULT among them) and then forgets it: read on.
	 */
	do {
		n = recv(w->fd, m, sizeof(*m), MSG_DONTWAIT);
	} while (n < 0 && (errno == EINTR || errno == ECONNRESET));
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	if (n != (ssize_t)sizeof(*m) || !msg_ok(m, nfiles))
		return -EPROTO;
	return 1;
}

void worker_stop(struct worker *w, bool kill_it)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	owner_child_done(w->pid, kill_it);
	w->pid = -1;
}
