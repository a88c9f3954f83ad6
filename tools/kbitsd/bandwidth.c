// SPDX-License-Identifier: GPL-2.0
/*
 * The rates of the running jobs, set every BANDWIDTH_TICK_MS:
 *
 *  - FOREGROUND jobs take what they get (unless the administrator caps
 *    them).
 *  - HIGH, NORMAL and LOW jobs use only bandwidth that other traffic leaves
 *    idle (policy->yield): for each interface the workers use (in its own
 *    network namespace: a container's veth is not the host's), the daemon
 *    reads the bytes the interface received (/proc/<worker>/net/dev) and
 *    subtracts what its background workers' connections received: read
 *    at the same moment from TCP (sock_diag) for connections in the
 *    daemon's own namespace, as the workers report it (every 50 ms) for
 *    others; other traffic (anyone
 *    else's, FOREGROUND jobs' included) cuts their total limit to 16 KiB/s
 *    at once, none doubles it until it no longer binds (yield_update()).  The limit is
 *    shared by weight: HIGH 4, NORMAL 2, LOW 1.
 *  - The administrator's caps (policy_cap(): per priority, maybe by hour)
 *    are shared equally by the running jobs of that priority.
 *
 * A worker keeps to its rate by reading no faster (worker_received()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"

#define WINDOW	4	/* ticks: a second */

/* The traffic of one interface the workers use. */
struct iface_group {
	uint64_t netns;
	char name[16];
	pid_t pid;		/* a worker in that namespace, to read its counters */
	bool have;		/* @last is a reading */
	bool seen;		/* a worker uses it this tick */
	bool exact;		/* every background worker's bytes read with it (sock_diag) */
	uint64_t last;		/* the counters at the last tick */
	uint64_t bg;		/* background bytes this tick */
	/*
	 * The last WINDOW ticks: the controller sees their sum, so that the
	 * workers' reports (every 50 ms) are late or early by 5% at most.
	 */
	uint64_t w_iface[WINDOW], w_bg[WINDOW];
	int64_t w_ms[WINDOW];
	unsigned int w_next;
	unsigned int ticks;	/* readings so far */
	struct yield_ctl y;
};

struct bandwidth {
	struct iface_group g[SLOTS_LIMIT];
	size_t n;
	int64_t last_tick;
	uint64_t own_netns;	/* the daemon's: sock_diag sees its sockets only */
};

static const unsigned int prio_weight[PRIORITY_COUNT] = { 0, 4, 2, 1 };

int bandwidth_new(struct bandwidth **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->own_netns = netns_of_fd(-1);
	return 0;
}

void bandwidth_free(struct bandwidth *bw)
{
	free(bw);
}

static bool background(const struct slot *s)
{
	return s->p.priority != KBITS_PRIORITY_FOREGROUND;
}

static struct iface_group *group_of(struct bandwidth *bw, const struct slot *s, bool add)
{
	struct iface_group *g;
	size_t i;

	if (!s->iface[0] || !s->netns)
		return NULL;
	for (i = 0; i < bw->n; i++) {
		g = &bw->g[i];
		if (g->netns == s->netns && !strcmp(g->name, s->iface))
			return g;
	}
	if (!add || bw->n == SLOTS_LIMIT)
		return NULL;
	g = &bw->g[bw->n++];
	memset(g, 0, sizeof(*g));
	g->netns = s->netns;
	memcpy(g->name, s->iface, sizeof(g->name));
	return g;
}

/* Measures each interface, and updates its background limit. */
static void measure(struct agent *a, int64_t ms)
{
	struct bandwidth *bw = a->bw;
	struct iface_group *g;
	uint64_t bytes, d;
	size_t i;

	for (i = 0; i < bw->n; i++) {
		bw->g[i].seen = false;
		bw->g[i].exact = true;
		bw->g[i].bg = 0;
	}
	for (i = 0; i < a->nslots; i++) {
		struct slot *s = a->slots[i];
		bool exact = false;
		uint64_t b;

		d = s->net_bytes - s->tick_bytes;
		s->tick_bytes = s->net_bytes;
		/* what TCP received, now, rather than what the worker said */
		if (s->conn.family && s->netns == bw->own_netns &&
		    tcp_bytes_received(&s->conn, &b) == 0) {
			/* the first reading of a connection spans more than the tick */
			exact = s->diag_last != 0;
			d = b >= s->diag_last ? b - s->diag_last : b;
			s->diag_last = b;
		}
		s->tick_rate_bytes = d;
		if (s->ended || s->w.pid <= 0)
			continue;
		g = group_of(bw, s, true);
		if (!g)
			continue;
		g->seen = true;
		g->pid = s->w.pid;
		if (background(s)) {
			g->bg += d;
			g->exact &= exact;
		}
	}
	for (i = 0; i < bw->n;) {
		g = &bw->g[i];
		if (!g->seen) {		/* nobody uses it any more */
			bw->g[i] = bw->g[--bw->n];
			continue;
		}
		i++;
		if (netdev_bytes(g->pid, g->name, &bytes) < 0) {
			if (g->have)
				log_msg(LOG_DEBUG, "cannot read the counters of %s", g->name);
			g->have = false;
			continue;
		}
		if (g->have && bytes >= g->last) {
			uint64_t wi = 0, wb = 0;
			int64_t wms = 0;
			unsigned int k;

			g->ticks++;
			g->w_iface[g->w_next] = bytes - g->last;
			g->w_bg[g->w_next] = g->bg;
			g->w_ms[g->w_next] = ms;
			g->w_next = (g->w_next + 1) % WINDOW;
			for (k = 0; k < WINDOW; k++) {
				wi += g->w_iface[k];
				wb += g->w_bg[k];
				wms += g->w_ms[k];
			}
			if (a->pol->yield) {
				uint64_t before = g->y.limit;

				/*
				 * read together, one tick tells: others show at
				 * once; else the window evens out the reports
				 */
				if (g->exact)
					yield_update(&g->y, bytes - g->last, g->bg, ms);
				else if (g->ticks >= WINDOW)
					yield_update(&g->y, wi, wb, wms);
				if (g->y.limit != before)
					log_msg(LOG_DEBUG, "%s: %" PRIu64 " B/s on it, %" PRIu64
						" B/s background: their limit %" PRIu64 " B/s%s",
						g->name, wi * 1000 / (uint64_t)wms,
						wb * 1000 / (uint64_t)wms, g->y.limit,
						g->y.limit ? "" : " (none)");
			}
		}
		g->last = bytes;
		g->have = true;
	}
}

/*
 * A yielding job's TCP window: a tenth of a second of what it gets (at
 * least 64 KiB), or of its rate while it has one.  Enough for its rate on
 * a link with a round trip up to 100 ms (and it grows with its rate), and
 * little enough that it neither fills the queue of the link's bottleneck
 * (where a window beyond the link's round trip sits, delaying and
 * dropping others' packets) nor goes on long after it slows down.
 */
static uint32_t window_for(const struct agent *a, const struct slot *s, int64_t ms)
{
	uint64_t w;

	if (!background(s) || !a->pol->yield)
		return 0;
	if (s->rate)
		w = s->rate / 10;
	else
		w = ms > 0 ? s->tick_rate_bytes * 1000 / (uint64_t)ms / 10 : 0;
	if (w < 65536 && !s->rate)
		w = 65536;
	if (w < 8192)
		w = 8192;
	return w > (1u << 30) ? 1u << 30 : (uint32_t)w;
}

void bandwidth_tick(struct agent *a, int64_t now)
{
	struct bandwidth *bw = a->bw;
	unsigned int count[PRIORITY_COUNT] = { 0 };
	uint64_t cap[PRIORITY_COUNT], weights;
	struct iface_group *g;
	struct tm tm;
	time_t t;
	size_t i, k;
	int p;

	int64_t ms = now - bw->last_tick;

	if (ms < BANDWIDTH_TICK_MS)
		return;
	if (bw->last_tick)
		measure(a, ms);
	else
		ms = 0;
	bw->last_tick = now;

	t = time(NULL);
	localtime_r(&t, &tm);
	for (p = 0; p < PRIORITY_COUNT; p++)
		cap[p] = policy_cap(a->pol, (enum kbits_job_priority)p, tm.tm_hour);
	for (i = 0; i < a->nslots; i++) {
		if (!a->slots[i]->ended && a->slots[i]->p.priority < PRIORITY_COUNT)
			count[a->slots[i]->p.priority]++;
	}
	for (i = 0; i < a->nslots; i++) {
		struct slot *s = a->slots[i];
		uint64_t rate = 0, share;

		if (s->ended || s->p.priority >= PRIORITY_COUNT)
			continue;
		if (cap[s->p.priority]) {
			rate = cap[s->p.priority] / count[s->p.priority];
			rate = rate ? rate : 1;
		}
		g = background(s) && a->pol->yield ? group_of(bw, s, false) : NULL;
		if (g && g->y.limit) {
			for (k = 0, weights = 0; k < a->nslots; k++) {
				const struct slot *o = a->slots[k];

				if (!o->ended && background(o) && o->p.priority < PRIORITY_COUNT &&
				    group_of(bw, o, false) == g)
					weights += prio_weight[o->p.priority];
			}
			share = g->y.limit * prio_weight[s->p.priority] / (weights ? weights : 1);
			share = share ? share : 1;
			if (!rate || share < rate)
				rate = share;
		}
		s->rate = rate;
		s->window = window_for(a, s, ms);
		slot_send_rate(s);
	}
}

int64_t bandwidth_wait(const struct agent *a, int64_t now)
{
	int64_t w;

	if (!a->nslots)
		return 60000;
	w = a->bw->last_tick + BANDWIDTH_TICK_MS - now;
	return w < 0 ? 0 : w;
}
