// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel memory per job in the states jobs are left in, as ratios against
 * the 1 KiB goal, measured in one run.  Run as root in the VM, on a freshly
 * loaded module: `make bench` (tests/bench/run-in-vm.sh).
 *
 * For each state, N jobs are made in it (their fds closed: an application
 * that made a job usually exits), and the growth of every slab cache in
 * /proc/slabinfo (its slabs' pages, so partly used slabs count) plus
 * /proc/meminfo's VmallocUsed is divided by N; the caches that grew most are
 * named with the bytes of objects they gained per job.  Then the jobs are
 * cancelled, and the next state starts from there.  The states:
 *   - a new job: no file;
 *   - one file with names of typical lengths (a 72-byte URL, a 47-byte
 *     path);
 *   - TRANSFERRED with the default notify flags, one file (this program
 *     attaches as the agent and moves each job there);
 *   - 200 files (the default max_files_per_job);
 *   - every string at its maximum: display name, description, proxy lists,
 *     custom headers, notify command, the eight credentials, and one file
 *     with names of the longest lengths;
 *   - and per open job fd: N fds of one job.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/kbits.h>

#define MAX_CACHES	512
#define JOB_NAME	"nightly backup of /home/alice/photos"
#define FILE_REMOTE "https://downloads.example.com/releases/2026/11/package-1.2.3-x86_64.tar.xz"
#define FILE_LOCAL "/home/alice/Downloads/package-1.2.3-x86_64.tar.xz"

static int dev, agent;

static void die(const char *what)
{
	fprintf(stderr, "memory_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ----------------------------------------------------- what the kernel has */

struct cache {
	char name[64];
	long objs, objsize, bytes;	/* active objects; slabs' bytes */
};

struct snapshot {
	struct cache c[MAX_CACHES];
	int n;
	long vmalloc;
};

static void snapshot(struct snapshot *s)
{
	long active, num, size, perslab, pages, slabs, nslabs, shared, kb;
	char line[512], name[64];
	FILE *f;

	usleep(300000);		/* let RCU free what was closed */
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		die("/proc/slabinfo");
	s->n = 0;
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		if (sscanf(line, "%63s %ld %ld %ld %ld %ld : tunables %*d %*d %*d : slabdata %ld %ld %ld",
			   name, &active, &num, &size, &perslab, &pages, &slabs,
			   &nslabs, &shared) != 9)
			continue;
		snprintf(s->c[s->n].name, sizeof(s->c[s->n].name), "%s", name);
		s->c[s->n].objs = active;
		s->c[s->n].objsize = size;
		s->c[s->n].bytes = nslabs * pages * sysconf(_SC_PAGESIZE);
		s->n++;
	}
	fclose(f);
	f = fopen("/proc/meminfo", "re");
	if (!f)
		die("/proc/meminfo");
	s->vmalloc = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmallocUsed: %ld kB", &kb) == 1)
			s->vmalloc = kb * 1024;
	fclose(f);
}

/* Prints a state's row: bytes per job, against 1 KiB, and the top caches. */
static void report(const char *what, const struct snapshot *a,
		   const struct snapshot *b, long n, bool goal)
{
	struct { const char *name; long bytes; } top[3] = { { 0 } };
	long total = b->vmalloc - a->vmalloc;
	char caches[160] = "";
	size_t len = 0;

	for (int i = 0; i < b->n; i++) {
		const struct cache *c = &b->c[i];
		long objs = c->objs, bytes = c->bytes;

		for (int j = 0; j < a->n; j++)
			if (!strcmp(a->c[j].name, c->name)) {
				objs -= a->c[j].objs;
				bytes -= a->c[j].bytes;
				break;
			}
		total += bytes;
		objs *= c->objsize;
		for (int k = 0; k < 3; k++)
			if (objs > top[k].bytes) {
				memmove(&top[k + 1], &top[k], (2 - k) * sizeof(top[0]));
				top[k].name = c->name;
				top[k].bytes = objs;
				break;
			}
	}
	for (int k = 0; k < 3 && top[k].name && top[k].bytes >= n; k++)
		len += snprintf(caches + len, sizeof(caches) - len, "%s%s %ld",
				k ? ", " : "", top[k].name, top[k].bytes / n);
	printf("%-40s %8ld bytes %6.2f  %-8s %s\n", what, total / n,
	       total / n / 1024.0, goal ? "<= 1" : "", caches);
}

/* ------------------------------------------------------------ making jobs */

static int create_job(const char *name, uint8_t *id)
{
	struct kbits_create_job c = {
		.size = sizeof(c),
		.type = KBITS_JOB_TYPE_DOWNLOAD,
		.name = (uintptr_t)name,
		.name_len = strlen(name),
	};
	int fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);

	if (fd < 0)
		die("CREATE_JOB");
	memcpy(id, c.id, KBITS_GUID_SIZE);
	return fd;
}

static void add_file(int fd, const char *remote, const char *local)
{
	struct kbits_file_spec f = {
		.remote = (uintptr_t)remote,
		.local = (uintptr_t)local,
		.remote_len = strlen(remote),
		.local_len = strlen(local),
	};
	struct kbits_add_files a = {
		.size = sizeof(a),
		.count = 1,
		.entry_size = sizeof(f),
		.files = (uintptr_t)&f,
	};

	if (ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a))
		die("ADD_FILES");
}

static void set_string(int fd, unsigned long cmd, const char *s, size_t len)
{
	struct kbits_job_string js = {
		.size = sizeof(js), .len = len, .buf = (uintptr_t)s,
	};

	if (ioctl(fd, cmd, &js))
		die("a string SET");
}

/* A string of @len bytes, absolute-path shaped (the names need that). */
static char *long_string(size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		die("malloc");
	memset(s, 'a', len);
	s[0] = '/';
	s[len] = '\0';
	return s;
}

static void max_strings(int fd)
{
	char *s = long_string(KBITS_HTTP_HEADERS_MAX);
	char *remote = long_string(KBITS_REMOTE_NAME_MAX);
	char *local = long_string(KBITS_LOCAL_NAME_MAX);
	struct kbits_job_proxy p = {
		.size = sizeof(p), .usage = KBITS_PROXY_OVERRIDE,
		.list_len = KBITS_PROXY_LIST_MAX,
		.bypass_len = KBITS_PROXY_LIST_MAX,
		.list = (uintptr_t)s, .bypass = (uintptr_t)s,
	};
	char *headers = malloc(KBITS_HTTP_HEADERS_MAX + 1);

	if (!headers)
		die("malloc");
	/* "X: aaa...": one header line of the longest length */
	memset(headers, 'a', KBITS_HTTP_HEADERS_MAX);
	memcpy(headers, "X: ", 3);
	set_string(fd, KBITS_JOB_IOC_SET_DISPLAY_NAME, s + 1, KBITS_DISPLAY_NAME_MAX);
	set_string(fd, KBITS_JOB_IOC_SET_DESCRIPTION, s + 1, KBITS_DESCRIPTION_MAX);
	if (ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p))
		die("SET_PROXY");
	set_string(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, headers, KBITS_HTTP_HEADERS_MAX);
	/* the program and an argument, each ended by a NUL */
	s[KBITS_NOTIFY_CMD_MAX / 2 - 1] = '\0';
	s[KBITS_NOTIFY_CMD_MAX - 1] = '\0';
	set_string(fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, s, KBITS_NOTIFY_CMD_MAX);
	for (uint32_t t = KBITS_AUTH_TARGET_SERVER; t <= KBITS_AUTH_TARGET_PROXY; t++)
		for (uint32_t m = KBITS_AUTH_SCHEME_BASIC; m <= KBITS_AUTH_SCHEME_NEGOTIATE; m++) {
			struct kbits_job_credentials c = {
				.size = sizeof(c), .target = t, .scheme = m,
				.user_len = KBITS_CRED_USER_MAX,
				.password_len = KBITS_CRED_PASSWORD_MAX,
				.user = (uintptr_t)(s + KBITS_NOTIFY_CMD_MAX),
				.password = (uintptr_t)(s + KBITS_NOTIFY_CMD_MAX),
			};

			if (ioctl(fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c))
				die("SET_CREDENTIALS");
		}
	add_file(fd, remote, local);
	free(headers);
	free(local);
	free(remote);
	free(s);
}

/* Moves job @id (one file, QUEUED) to TRANSFERRED as the agent would. */
static void transfer(const uint8_t *id)
{
	struct kbits_agent_job j = { .size = sizeof(j) };
	struct kbits_agent_progress p = {
		.size = sizeof(p), .bytes_total = 4096,
		.bytes_transferred = 4096, .flags = KBITS_FILE_COMPLETED,
	};

	memcpy(j.id, id, KBITS_GUID_SIZE);
	memcpy(p.id, id, KBITS_GUID_SIZE);
	if (ioctl(agent, KBITS_AGENT_IOC_TAKE_JOB, &j) ||
	    ioctl(agent, KBITS_AGENT_IOC_PROGRESS, &p) ||
	    ioctl(agent, KBITS_AGENT_IOC_TRANSFERRED, &j))
		die("TAKE_JOB, PROGRESS, TRANSFERRED");
}

static void cancel_all(uint8_t (*ids)[KBITS_GUID_SIZE], long n)
{
	for (long i = 0; i < n; i++) {
		struct kbits_get_job g = { .size = sizeof(g) };
		int fd;

		memcpy(g.id, ids[i], KBITS_GUID_SIZE);
		fd = ioctl(dev, KBITS_IOC_GET_JOB, &g);
		if (fd < 0 || ioctl(fd, KBITS_JOB_IOC_CANCEL))
			die("GET_JOB + CANCEL");
		close(fd);
	}
}

enum state { NEW, ONE_FILE, TRANSFERRED, FILES_200, MAX_STRINGS };

static void state_row(const char *what, enum state st, long n, bool goal)
{
	uint8_t (*ids)[KBITS_GUID_SIZE] = calloc(n, sizeof(*ids));
	struct snapshot *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char local[64];

	if (!ids || !a || !b)
		die("malloc");
	snapshot(a);
	for (long i = 0; i < n; i++) {
		int fd = create_job(JOB_NAME, ids[i]);

		if (st == ONE_FILE || st == TRANSFERRED)
			add_file(fd, FILE_REMOTE, FILE_LOCAL);
		for (int k = 0; st == FILES_200 && k < 200; k++) {
			snprintf(local, sizeof(local), "/home/alice/Downloads/f%03d.tar.xz", k);
			add_file(fd, FILE_REMOTE, local);
		}
		if (st == MAX_STRINGS)
			max_strings(fd);
		if (st == TRANSFERRED && ioctl(fd, KBITS_JOB_IOC_RESUME))
			die("RESUME");
		close(fd);
		if (st == TRANSFERRED)
			transfer(ids[i]);
	}
	snapshot(b);
	report(what, a, b, n, goal);
	cancel_all(ids, n);
	free(b);
	free(a);
	free(ids);
}

static void fd_row(long n)
{
	struct snapshot *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct kbits_get_job g = { .size = sizeof(g) };
	int *fds = calloc(n, sizeof(*fds)), fd;
	struct rlimit rl = { n + 64, n + 64 };

	if (!a || !b || !fds)
		die("malloc");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	fd = create_job(JOB_NAME, g.id);
	snapshot(a);
	for (long i = 0; i < n; i++) {
		fds[i] = ioctl(dev, KBITS_IOC_GET_JOB, &g);
		if (fds[i] < 0)
			die("GET_JOB");
	}
	snapshot(b);
	report("per open job fd", a, b, n, false);
	for (long i = 0; i < n; i++)
		close(fds[i]);
	if (ioctl(fd, KBITS_JOB_IOC_CANCEL))
		die("CANCEL");
	close(fd);
	free(fds);
	free(b);
	free(a);
}

int main(void)
{
	dev = open("/dev/kbits", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/kbits");
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	if (agent < 0)
		die("AGENT_ATTACH");
	printf("%-40s %14s %6s  %-8s %s\n", "kernel memory per job", "value", "KiB",
	       "target", "caches that grew most, object bytes per job");
	state_row("a new job, no file", NEW, 10000, true);
	state_row("one file", ONE_FILE, 10000, true);
	state_row("TRANSFERRED, default notify flags", TRANSFERRED, 10000, true);
	state_row("200 files", FILES_200, 200, false);
	state_row("every string at its maximum", MAX_STRINGS, 1000, false);
	fd_row(10000);
	close(agent);
	close(dev);
	return 0;
}
