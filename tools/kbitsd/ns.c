// SPDX-License-Identifier: GPL-2.0
/*
 * The namespaces of a job.  A job made in a container must be transferred
 * as if the container did it: its local names are paths in the container's
 * mount namespace (below its root), its URLs are fetched from the
 * container's network namespace.  The kernel keeps, with each job, the root
 * directory and the network namespace of whoever created it or took it over
 * last, and gives the agent fds of them (KBITS_AGENT_IOC_JOB_NS).  Every
 * owner child (owner_fork()) enters them before it drops its privileges:
 * setns() into the network namespace, then fchdir() to the root and
 * chroot("."), so that every path it opens resolves there.
 *
 * The kernel forgets a job's namespaces when the job leaves the queue, but a
 * cancelled job's temporaries must still be removed where they were made:
 * the daemon remembers the namespaces of the jobs it knows (struct
 * ns_cache), refreshed at each of their events.  Jobs that share their
 * namespaces (most of them: every job made on the host) share one pair of
 * fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kbitsd.h"

/* ----------------------------------------------------------- one job's */

static int job_ns_fd(int agent_fd, const struct kbits_guid *id, uint32_t kind)
{
	struct kbits_agent_job_ns args = { .size = sizeof(args), .kind = kind };
	int fd;

	memcpy(args.id, id->bytes, sizeof(args.id));
	fd = ioctl(agent_fd, KBITS_AGENT_IOC_JOB_NS, &args);
	return fd < 0 ? -errno : fd;
}

int job_ns_get(int agent_fd, const struct kbits_guid *id, struct job_ns *ns)
{
	int fd;

	ns->root_fd = ns->net_fd = -1;
	fd = job_ns_fd(agent_fd, id, KBITS_JOB_NS_ROOT);
	if (fd < 0)
		return fd;
	ns->root_fd = fd;
	fd = job_ns_fd(agent_fd, id, KBITS_JOB_NS_NET);
	if (fd < 0) {
		job_ns_close(ns);
		return fd;
	}
	ns->net_fd = fd;
	return 0;
}

void job_ns_close(struct job_ns *ns)
{
	if (ns->root_fd >= 0)
		close(ns->root_fd);
	if (ns->net_fd >= 0)
		close(ns->net_fd);
	ns->root_fd = ns->net_fd = -1;
}

static const char *const enter_steps[] = {
	[JOB_NS_STEP_NET] = "enter the job's network namespace",
	[JOB_NS_STEP_ROOT] = "change to the job's root directory",
	[JOB_NS_STEP_CHROOT] = "chroot to the job's root directory",
	[JOB_NS_STEP_TIMEOUT] = "enter the job's namespaces in time",
};

const char *job_ns_step_name(int step)
{
	if (step < 0 || step >= (int)(sizeof(enter_steps) / sizeof(enter_steps[0])))
		return "enter the job's namespaces";
	return enter_steps[step];
}

int job_ns_enter(const struct job_ns *ns, int *step)
{
	*step = JOB_NS_STEP_NET;
	if (setns(ns->net_fd, CLONE_NEWNET) < 0)
		return -errno;
	*step = JOB_NS_STEP_ROOT;
	if (fchdir(ns->root_fd) < 0)
		return -errno;
	*step = JOB_NS_STEP_CHROOT;
	if (chroot(".") < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/* ------------------------------------------------------------ the cache */

/* A pair of namespaces, and what tells it from another. */
struct ns_entry {
	struct ns_entry *next;
	struct job_ns ns;
	unsigned int refs;
	bool known;		/* the identity below was read */
	uint64_t root_mnt;	/* the root: its mount and inode */
	dev_t root_dev;
	ino_t root_ino;
	dev_t net_dev;		/* the network namespace's nsfs inode */
	ino_t net_ino;
};

struct ns_job {
	struct ns_job *next;
	struct kbits_guid id;
	struct ns_entry *e;
};

struct ns_cache {
	struct ns_entry *entries;
	struct ns_job *jobs;
};

/*
 * The identity of @ns: the root's mount id and inode (two mount namespaces
 * may show one directory through different mounts, which then differ
 * below it), and the network namespace's inode.  While the cache holds its
 * fds, no other mount or namespace can have these ids.
 */
static bool identify(struct ns_entry *e)
{
	struct statx sx;
	struct stat st;

	if (statx(e->ns.root_fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID) || fstat(e->ns.net_fd, &st) < 0)
		return false;
	e->root_mnt = sx.stx_mnt_id;
	e->root_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	e->root_ino = sx.stx_ino;
	e->net_dev = st.st_dev;
	e->net_ino = st.st_ino;
	return true;
}

static bool same_ns(const struct ns_entry *a, const struct ns_entry *b)
{
	return a->known && b->known && a->root_mnt == b->root_mnt &&
	       a->root_dev == b->root_dev && a->root_ino == b->root_ino &&
	       a->net_dev == b->net_dev && a->net_ino == b->net_ino;
}

static void entry_put(struct ns_cache *c, struct ns_entry *e)
{
	struct ns_entry **pp;

	if (!e || --e->refs)
		return;
	for (pp = &c->entries; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	job_ns_close(&e->ns);
	free(e);
}

static struct ns_job *job_find(struct ns_cache *c, const struct kbits_guid *id,
			       struct ns_job ***link)
{
	struct ns_job **pp;

	for (pp = &c->jobs; *pp; pp = &(*pp)->next) {
		if (!memcmp((*pp)->id.bytes, id->bytes, sizeof(id->bytes))) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

int ns_cache_new(struct ns_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void ns_cache_free(struct ns_cache *c)
{
	if (!c)
		return;
	while (c->jobs)
		ns_cache_forget(c, &c->jobs->id);
	free(c);
}

int ns_cache_update(struct ns_cache *c, int agent_fd, const struct kbits_guid *id,
		    const struct job_ns **out)
{
	struct ns_entry *fresh, *e;
	struct ns_job *j;
	int err;

	if (out)
		*out = NULL;
	fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	err = job_ns_get(agent_fd, id, &fresh->ns);
	if (err < 0) {
		/* -ENOENT: it left the queue; what is cached stays, for its cancel */
		free(fresh);
		return err;
	}
	fresh->known = identify(fresh);
	for (e = c->entries; e && !same_ns(e, fresh); e = e->next)
		;
	if (e) {
		job_ns_close(&fresh->ns);
		free(fresh);
	} else {
		e = fresh;
		e->next = c->entries;
		c->entries = e;
	}
	e->refs++;
	j = job_find(c, id, NULL);
	if (!j) {
		j = calloc(1, sizeof(*j));
		if (!j) {
			entry_put(c, e);
			return -ENOMEM;
		}
		j->id = *id;
		j->next = c->jobs;
		c->jobs = j;
	}
	entry_put(c, j->e);
	j->e = e;
	if (out)
		*out = &e->ns;
	return 0;
}

const struct job_ns *ns_cache_find(struct ns_cache *c, const struct kbits_guid *id)
{
	struct ns_job *j = job_find(c, id, NULL);

	return j ? &j->e->ns : NULL;
}

void ns_cache_forget(struct ns_cache *c, const struct kbits_guid *id)
{
	struct ns_job **link, *j = job_find(c, id, &link);

	if (!j)
		return;
	*link = j->next;
	entry_put(c, j->e);
	free(j);
}
