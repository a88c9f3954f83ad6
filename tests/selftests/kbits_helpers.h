/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers that the kbits selftests share: opening /dev/kbits, creating,
 * getting and cancelling jobs, becoming another user, memory a test's
 * children share, passing fds, a job's files and progress, ENUM_JOBS
 * walks; and what every program has: its uids (kbits_uid_ranges[]), its
 * last test (NO_JOBS_LEFT_BEHIND) and, for most, its main()
 * (kbits_selftest_main()).  Include after harness.h (they ASSERT).  The
 * 32-bit kbits_compat_test includes it too: nothing here depends on the
 * size of a pointer (pointer fields are set through uintptr_t), so its
 * helpers make the same ioctls from the 32-bit process.
 */
#ifndef KBITS_SELFTEST_HELPERS_H
#define KBITS_SELFTEST_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/kbits.h>

#define DEV_PATH	"/dev/kbits"
/* A kernel address (x86-64's direct map): every copy from or to it faults. */
#define KADDR		((void *)0xffff888000000000ull)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

typedef uint8_t guid_bytes[KBITS_GUID_SIZE];

/* CREATE_JOB with a normal struct: the fd or -1/errno; @id gets the GUID. */
static inline int raw_create(int dev, const void *name, uint32_t len, uint32_t type,
			     uint8_t *id)
{
	struct kbits_create_job c;
	int fd;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = type;
	c.name_len = len;
	c.name = (uintptr_t)name;
	fd = ioctl(dev, KBITS_IOC_CREATE_JOB, &c);
	if (id)
		memcpy(id, fd >= 0 ? c.id : (const uint8_t[KBITS_GUID_SIZE]){ 0 },
		       KBITS_GUID_SIZE);
	return fd;
}

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static inline int dev_open(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_SYSOK(fd);
	return fd;
}

static inline int raw_get(int dev, const uint8_t *id)
{
	struct kbits_get_job g;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	memcpy(g.id, id, KBITS_GUID_SIZE);
	return ioctl(dev, KBITS_IOC_GET_JOB, &g);
}

static inline void job_cancel(int fd)
{
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
}

/* Becomes @uid (and gid @uid) with no supplementary groups, as pidfd tests do. */
static inline void become(uid_t uid)
{
	ASSERT_SYSOK(setgroups(0, NULL));
	ASSERT_SYSOK(setresgid(uid, uid, uid));
	ASSERT_SYSOK(setresuid(uid, uid, uid));
	ASSERT_EQ(uid, geteuid());
	ASSERT_EQ(uid, getegid());
}

/* Memory shared with the children a test forks. */
static inline void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	/* not ASSERT_NE: its cast to long long breaks the -m32 build */
	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 0, size);
	return p;
}

/*
 * Every job a test program made, in memory its tests and their children
 * share: at the end, a test checks that none was left in the queue.  The
 * program maps it in main() with job_log_map().
 */
#define JOB_LOG_MAX 1024
struct job_log {
	unsigned int n;
	guid_bytes ids[JOB_LOG_MAX];
};
static __attribute__((unused)) struct job_log *job_log;

static inline int job_log_map(void)
{
	job_log = mmap(NULL, sizeof(*job_log), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return job_log == MAP_FAILED ? -1 : 0;
}

/* Logs job @id, if the program keeps a log (job_log_map()). */
static inline void log_job(const uint8_t *id)
{
	unsigned int i;

	if (!job_log)
		return;
	i = __atomic_fetch_add(&job_log->n, 1, __ATOMIC_SEQ_CST);

	ASSERT_LT(i, JOB_LOG_MAX);
	memcpy(job_log->ids[i], id, KBITS_GUID_SIZE);
}

/* A job that must be created, logged for jobs_left_behind(); its fd. */
static inline int make_job(int dev, const char *name, uint32_t type, uint8_t *id)
{
	guid_bytes got;
	int fd = raw_create(dev, name, strlen(name), type, got);

	ASSERT_SYSOK(fd);
	log_job(got);
	if (id)
		memcpy(id, got, sizeof(got));
	return fd;
}

/*
 * How many of the logged jobs are still in the queue; cancels them, to tidy
 * up for whatever runs next (the caller fails).
 */
static inline unsigned int jobs_left_behind(int dev)
{
	unsigned int i, n = job_log->n, left = 0;
	int fd;

	ASSERT_LE(n, JOB_LOG_MAX);
	for (i = 0; i < n; i++) {
		fd = raw_get(dev, job_log->ids[i]);
		if (fd < 0 && errno == ENOENT)
			continue;
		left++;
		if (fd >= 0) {
			ioctl(fd, KBITS_JOB_IOC_CANCEL);
			close(fd);
		}
	}
	if (left)
		TH_LOG("%u of %u jobs were left in the queue", left, n);
	return left;
}

/* A job fd's __u32 property (GET_STATE, GET_OWNER, GET_TYPE). */
static inline uint32_t job_u32(int fd, unsigned long cmd)
{
	uint32_t v = 0xdeadbeef;

	ASSERT_SYSOK(ioctl(fd, cmd, &v));
	return v;
}

#define job_state(fd) job_u32(fd, KBITS_JOB_IOC_GET_STATE)
#define job_owner(fd) job_u32(fd, KBITS_JOB_IOC_GET_OWNER)
#define job_type(fd) job_u32(fd, KBITS_JOB_IOC_GET_TYPE)

/* Writes a line made from @fmt to the file at @path (proc, sysfs); fatal on failure. */
__attribute__((format(printf, 2, 3)))
static inline void write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		th_fail_fatal(__FILE__, __LINE__, "open %s: %s", path,
			      th_errname(errno));
	if (write(fd, buf, n) != n)
		th_fail_fatal(__FILE__, __LINE__, "write \"%s\" to %s: %s",
			      buf, path, th_errname(errno));
	close(fd);
}

/* SET_DISPLAY_NAME, SET_DESCRIPTION or SET_HTTP_HEADERS to @s: the ioctl's result. */
static inline int set_str(int fd, unsigned long cmd, const char *s)
{
	struct kbits_job_string js;

	memset(&js, 0, sizeof(js));
	js.size = sizeof(js);
	js.len = strlen(s);
	js.buf = (uintptr_t)s;
	return ioctl(fd, cmd, &js);
}

#define PARAM_DIR	"/sys/module/kbits/parameters/"

/* The module parameter @name's value; fatal when it cannot be read. */
static inline unsigned int param_get(const char *name)
{
	char path[128];
	unsigned int v;
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "re");
	if (!f)
		th_fail_fatal(__FILE__, __LINE__, "open %s: %s", path,
			      th_errname(errno));
	if (fscanf(f, "%u", &v) != 1)
		th_fail_fatal(__FILE__, __LINE__, "%s: not a number", path);
	fclose(f);
	return v;
}

/* Sets the module parameter @name to @v; fatal when it does not take. */
static inline void param_set(const char *name, unsigned int v)
{
	char path[128];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	write_file(path, "%u\n", v);
	if (param_get(name) != v)
		th_fail_fatal(__FILE__, __LINE__, "%s: set to %u, reads %u",
			      path, v, param_get(name));
}

/* Sets @name back to @v after a test, whatever it left: never fatal. */
static inline void param_restore(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%u\n", v);
		fclose(f);
	}
}

/*
 * Becomes @uid, then root of a new user namespace that maps only @uid, so
 * the process has every capability there and none outside.  The test VM's
 * kernel has user namespaces: failing to enter one is a failure.
 */
static inline void enter_userns_as(uid_t uid)
{
	become(uid);
	/* setresuid made us non-dumpable: /proc/self/uid_map would be root's */
	ASSERT_SYSOK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	if (unshare(CLONE_NEWUSER))
		th_fail_fatal(__FILE__, __LINE__, "unshare(CLONE_NEWUSER) as uid %u: %s",
			      (unsigned int)uid, th_errname(errno));
	write_file("/proc/self/setgroups", "deny");
	write_file("/proc/self/uid_map", "0 %u 1", (unsigned int)uid);
	write_file("/proc/self/gid_map", "0 %u 1", (unsigned int)uid);
	ASSERT_EQ(0, geteuid());
	ASSERT_EQ(0, getegid());
}

/* Does the calling process have CAP_SYS_ADMIN in its own user namespace? */
static inline bool has_cap_sys_admin(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ull << 21);	/* CAP_SYS_ADMIN */
}

/*
 * A page no access is allowed to: every copy to or from it faults.  It
 * stays mapped (PROT_NONE) so that no later mmap() can reuse its address,
 * which would turn a "bad pointer" into live memory.
 */
static inline void *unmapped_page(void)
{
	void *p = mmap(NULL, page_size(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* not ASSERT_NE: its cast to long long breaks the -m32 build */
	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

static inline bool all_bytes(const void *p, int c, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (uint8_t)c)
			return false;
	return true;
}

static inline int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char data = 'j';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static inline int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static inline void job_id(int fd, uint8_t *out)
{
	struct kbits_job_id id;

	memset(&id, 0xa5, sizeof(id));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_ID, &id));
	memcpy(out, id.id, KBITS_GUID_SIZE);
}

/*
 * SET_PROXY with a normal struct: the lists' lengths are their strlen()
 * (NULL: 0).  The ioctl's result.
 */
static inline int raw_set_proxy(int fd, uint32_t usage, const char *list,
				const char *bypass)
{
	struct kbits_job_proxy p;

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.usage = usage;
	p.list_len = list ? strlen(list) : 0;
	p.bypass_len = bypass ? strlen(bypass) : 0;
	p.list = (uintptr_t)list;
	p.bypass = (uintptr_t)bypass;
	return ioctl(fd, KBITS_JOB_IOC_SET_PROXY, &p);
}

/* A GET_PROXY request with room for the longest lists. */
struct got_proxy {
	struct kbits_job_proxy p;
	char list[KBITS_PROXY_LIST_MAX + 1];
	char bypass[KBITS_PROXY_LIST_MAX + 1];
};

/* GET_PROXY into @g (buffers filled with 'Z' first); the ioctl's result. */
static inline int raw_get_proxy(int fd, struct got_proxy *g)
{
	memset(g, 'Z', sizeof(*g));
	g->p.size = sizeof(g->p);
	g->p.usage = 0xdeadbeef;
	g->p.list_len = sizeof(g->list);
	g->p.bypass_len = sizeof(g->bypass);
	g->p.list = (uintptr_t)g->list;
	g->p.bypass = (uintptr_t)g->bypass;
	g->p.reserved = 0;
	return ioctl(fd, KBITS_JOB_IOC_GET_PROXY, &g->p);
}

/* The lowest free fd number: an fd leak moves it. */
static inline int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_SYSOK(fd);
	close(fd);
	return fd;
}

/*
 * Fills the caller's fd table: RLIMIT_NOFILE's soft limit at the lowest
 * free fd, so that the next fd the kernel reserves is refused with EMFILE;
 * the limit before goes to *@saved for unfill_fd_table().  Only in a forked
 * child, so that the test's own limit stays.
 */
static inline void fill_fd_table(struct rlimit *saved)
{
	struct rlimit rl;

	ASSERT_SYSOK(getrlimit(RLIMIT_NOFILE, saved));
	rl = *saved;
	rl.rlim_cur = lowest_free_fd();
	ASSERT_SYSOK(setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_ERRNO(EMFILE, open("/dev/null", O_RDONLY | O_CLOEXEC));
}

static inline void unfill_fd_table(const struct rlimit *saved)
{
	ASSERT_SYSOK(setrlimit(RLIMIT_NOFILE, saved));
}

/* CREATE_JOB of a download job named @name: the fd or -1/errno. */
static inline int raw_create_str(int dev, const char *name, uint8_t *id)
{
	return raw_create(dev, name, strlen(name), KBITS_JOB_TYPE_DOWNLOAD, id);
}

/* A download job that must be created, logged for jobs_left_behind(); its fd. */
static inline int make_dl_job(int dev, const char *name, uint8_t *id)
{
	return make_job(dev, name, KBITS_JOB_TYPE_DOWNLOAD, id);
}

/* Gets the job by GUID through @dev and cancels it. */
static inline void cancel_by_id(int dev, const uint8_t *id)
{
	int fd = raw_get(dev, id);

	ASSERT_SYSOK(fd);
	job_cancel(fd);
	close(fd);
}

/* A random GUID: no job has it (122 random bits make a clash unthinkable). */
static inline void random_guid(uint8_t *id)
{
	ASSERT_EQ(KBITS_GUID_SIZE, getrandom(id, KBITS_GUID_SIZE, 0));
}

/* The display name into @buf (KBITS_DISPLAY_NAME_MAX + 1 bytes); its length. */
static inline uint32_t job_name(int fd, char *buf)
{
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = KBITS_DISPLAY_NAME_MAX + 1;
	s.buf = (uintptr_t)buf;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &s));
	ASSERT_LE(s.len, KBITS_DISPLAY_NAME_MAX);
	ASSERT_EQ(0, buf[s.len]);
	return s.len;
}

/* The fd of this process that is open on /dev/kbits, or -1. */
static inline int find_dev_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, DEV_PATH))
			found = atoi(e->d_name);
	}
	closedir(d);
	return found;
}

/* ------------------------------------------------- a job's files, progress */

/*
 * Where add_n() puts its files: a program whose tests look for those names
 * defines FILES_DIR before it includes this file.
 */
#ifndef FILES_DIR
#define FILES_DIR	"/tmp/kbits-selftest"
#endif

/* The names of add_n()'s file @i tagged @tag (64 bytes each). */
static inline void nth_names(const char *tag, uint32_t i, char *remote, char *local)
{
	snprintf(remote, 64, "http://example.test/%s/%u", tag, i);
	snprintf(local, 64, FILES_DIR "/%s/%u", tag, i);
}

/* Adds @n files in one ADD_FILES call, named by nth_names(); the ioctl's result. */
static inline int add_n(int fd, uint32_t n, const char *tag)
{
	struct kbits_file_spec *specs = calloc(n ? n : 1, sizeof(*specs));
	char (*names)[2][64] = calloc(n ? n : 1, sizeof(*names));
	struct kbits_add_files a;
	uint32_t i;
	int r, e;

	ASSERT_TRUE(specs && names);
	for (i = 0; i < n; i++) {
		nth_names(tag, i, names[i][0], names[i][1]);
		specs[i].remote = (uintptr_t)names[i][0];
		specs[i].remote_len = strlen(names[i][0]);
		specs[i].local = (uintptr_t)names[i][1];
		specs[i].local_len = strlen(names[i][1]);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.count = n;
	a.entry_size = sizeof(specs[0]);
	a.files = (uintptr_t)specs;
	r = ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a);
	e = errno;
	free(specs);
	free(names);
	errno = e;
	return r;
}

/* A GET_FILE request with room for the longest names. */
struct got_file {
	struct kbits_job_file f;
	char remote[KBITS_REMOTE_NAME_MAX + 1];
	char local[KBITS_LOCAL_NAME_MAX + 1];
};

/* GET_FILE of file @index into @g (buffers filled with 'Z' first); the ioctl's result. */
static inline int get_file(int fd, uint32_t index, struct got_file *g)
{
	memset(g, 'Z', sizeof(*g));
	g->f.size = sizeof(g->f);
	g->f.index = index;
	g->f.reserved = 0;
	g->f.reserved2 = 0;	/* mode and sha256 stay 'Z': out fields, ignored */
	g->f.remote_len = sizeof(g->remote);
	g->f.local_len = sizeof(g->local);
	g->f.remote = (uintptr_t)g->remote;
	g->f.local = (uintptr_t)g->local;
	return ioctl(fd, KBITS_JOB_IOC_GET_FILE, &g->f);
}

/* File @index must show @total, @done and @flags. */
#define EXPECT_FILE(fd, index, total, done, fl) do {			\
	struct got_file g_;						\
	ASSERT_SYSOK(get_file(fd, index, &g_));				\
	EXPECT_EQ((uint64_t)(total), g_.f.bytes_total);			\
	EXPECT_EQ((uint64_t)(done), g_.f.bytes_transferred);		\
	EXPECT_EQ(fl, g_.f.flags);					\
} while (0)

/* GET_PROGRESS into @p (filled with 0xa5 first): the ioctl's result. */
static inline int raw_get_progress(int fd, struct kbits_job_progress *p)
{
	memset(p, 0xa5, sizeof(*p));
	return ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, p);
}

/* GET_PROGRESS into @p, which must succeed. */
static inline void get_progress(int fd, struct kbits_job_progress *p)
{
	ASSERT_SYSOK(raw_get_progress(fd, p));
}

/* The job's progress must be @total and @done bytes, @files and @files_done files. */
#define EXPECT_PROGRESS(fd, total, done, files, files_done) do {	\
	struct kbits_job_progress p_;					\
	get_progress(fd, &p_);						\
	EXPECT_EQ((uint64_t)(total), p_.bytes_total);			\
	EXPECT_EQ((uint64_t)(done), p_.bytes_transferred);		\
	EXPECT_EQ(files, p_.files_total);				\
	EXPECT_EQ(files_done, p_.files_transferred);			\
} while (0)

/* ------------------------------------------------------------ ENUM_JOBS */

/*
 * One whole ENUM_JOBS walk with @flags, KBITS_ENUM_MAX GUIDs a call: how
 * many GUIDs it listed, or -1 with errno when a call failed (ALL_USERS
 * refused).  @each, unless NULL, is called with each GUID listed and @arg.
 * (kbits_enum_test checks the walk itself: the cursor, the room, the
 * batches; the other programs only need what it lists.)
 */
static inline int enum_walk(int dev, uint32_t flags,
			    void (*each)(const uint8_t *id, void *arg), void *arg)
{
	struct kbits_job_id ids[KBITS_ENUM_MAX];
	struct kbits_enum_jobs e;
	uint32_t i;
	int n = 0;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = flags;
	do {
		e.ids = (uintptr_t)ids;
		e.count = KBITS_ENUM_MAX;
		if (ioctl(dev, KBITS_IOC_ENUM_JOBS, &e))
			return -1;
		ASSERT_LE(e.count, KBITS_ENUM_MAX);
		for (i = 0; each && i < e.count; i++)
			each(ids[i].id, arg);
		n += e.count;
	} while (e.cursor != KBITS_ENUM_END);
	return n;
}

struct enum_seek {
	const uint8_t *id;
	bool seen;
};

static inline void enum_seek_one(const uint8_t *id, void *arg)
{
	struct enum_seek *s = arg;

	s->seen |= !memcmp(id, s->id, KBITS_GUID_SIZE);
}

/*
 * Does an ENUM_JOBS walk with @flags list job @id?  1 or 0; -1 and errno
 * when a call failed.
 */
static inline int enum_lists(int dev, uint32_t flags, const uint8_t *id)
{
	struct enum_seek s = { .id = id };

	if (enum_walk(dev, flags, enum_seek_one, &s) < 0)
		return -1;
	return s.seen;
}

/* ---------------------------------------------- every program's uids, end */

/*
 * The uids each selftest program's tests become.  A test becomes uids of
 * its own program's range only (or uids of a user namespace it made), so
 * that what one program leaves behind cannot change what another counts
 * (the limits, the exact listings of ENUM_JOBS), and so that its last test,
 * NO_JOBS_LEFT_BEHIND, can tell its own leftovers from anybody's.  A new
 * program takes a range of its own in this table, by the name of its
 * source file: NO_JOBS_LEFT_BEHIND fails a program without a row, and
 * every program when two rows overlap.  Uids below 2000 are left to real
 * users: a developer who runs the selftests on their own machine is likely
 * uid 1000, with jobs of their own.
 */
static const struct kbits_uid_range {
	const char *file;	/* the program's source file */
	uid_t first, last;
} kbits_uid_ranges[] = {
	{ "kbits_limits_test.c",	2000, 2009 },
	{ "kbits_args_test.c",		2010, 2019 },
	{ "kbits_enum_test.c",		2020, 2039 },
	{ "kbits_name_test.c",		2040, 2049 },
	{ "kbits_lib_test.c",		2050, 2059 },
	{ "kbits_failslab_test.c",	2100, 2199 },
	{ "kbits_job_test.c",		2200, 2299 },
	{ "kbits_agent_test.c",		2300, 2399 },
	{ "kbits_access_test.c",	2400, 2499 },
	{ "kbits_record_test.c",	2500, 2599 },
	{ "kbits_cred_test.c",		2600, 2699 },
	{ "kbits_queue_test.c",		2700, 2799 },
	{ "kbits_hostile_test.c",	2800, 2899 },
	{ "kbits_fuzz.c",		2900, 2949 },	/* FUZZ_UID and the two after it */
	{ "kbits_stress.c",		2950, 2999 },	/* STRESS_UID */
	{ "kbits_module_test.c",	3000, 3099 },
	{ "kbits_perm_test.c",		4000, 4099 },
	/* the host uids of kbits_cred_test's containers (its NS_BASE) */
	{ "kbits_cred_test.c",		2600000, 2600999 },
};

/*
 * Checks the table (no two rows overlap) and that @file (__FILE__ of a
 * program) has a row: fatal otherwise.  @file's basename is what the rows
 * name.
 */
static inline void kbits_uid_ranges_check(const char *file)
{
	const size_t n = sizeof(kbits_uid_ranges) / sizeof(kbits_uid_ranges[0]);
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	bool found = false;
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct kbits_uid_range *a = &kbits_uid_ranges[i];

		found |= !strcmp(a->file, base);
		if (a->first > a->last)
			th_fail_fatal(__FILE__, __LINE__, "kbits_uid_ranges[]: %s: %u > %u",
				      a->file, (unsigned int)a->first,
				      (unsigned int)a->last);
		for (j = i + 1; j < n; j++) {
			const struct kbits_uid_range *b = &kbits_uid_ranges[j];

			if (a->first <= b->last && b->first <= a->last)
				th_fail_fatal(__FILE__, __LINE__,
					      "kbits_uid_ranges[]: %s's uids %u-%u overlap %s's %u-%u",
					      a->file, (unsigned int)a->first,
					      (unsigned int)a->last, b->file,
					      (unsigned int)b->first, (unsigned int)b->last);
		}
	}
	if (!found)
		th_fail_fatal(__FILE__, __LINE__,
			      "%s has no uids of its own: give it a row in kbits_helpers.h's kbits_uid_ranges[]",
			      base);
}

/* Is @uid one of @file's (by kbits_uid_ranges[])? */
static inline bool kbits_uid_is_of(const char *file, uid_t uid)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t i;

	for (i = 0; i < sizeof(kbits_uid_ranges) / sizeof(kbits_uid_ranges[0]); i++)
		if (!strcmp(kbits_uid_ranges[i].file, base) &&
		    uid >= kbits_uid_ranges[i].first && uid <= kbits_uid_ranges[i].last)
			return true;
	return false;
}

struct kbits_leftovers {
	const char *file;
	int dev;
	unsigned int n;
};

/* A job of the walk: counted and cancelled when its owner is one of the program's uids. */
static inline void kbits_leftover(const uint8_t *id, void *arg)
{
	struct kbits_leftovers *l = arg;
	uint32_t owner;
	int fd = raw_get(l->dev, id);

	if (fd < 0)	/* gone since it was listed */
		return;
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_OWNER, &owner));
	if (kbits_uid_is_of(l->file, owner)) {
		TH_LOG("a job of uid %u was left in the queue", owner);
		ioctl(fd, KBITS_JOB_IOC_CANCEL);
		l->n++;
	}
	close(fd);
}

/*
 * The body of NO_JOBS_LEFT_BEHIND: none of the jobs make_job() logged
 * (main() must have called job_log_map()) is left in the queue, none owned
 * by one of @file's uids, and, with @no_agent, no agent is attached (a test
 * that attached one closed it).  What it finds left, it cancels, for
 * whatever runs next.
 */
static inline void kbits_no_jobs_left_behind(const char *file, bool no_agent)
{
	struct kbits_leftovers l = { .file = file };
	int a;

	kbits_uid_ranges_check(file);
	if (!job_log)
		th_fail_fatal(__FILE__, __LINE__, "main() did not call job_log_map()");
	l.dev = dev_open();
	EXPECT_EQ(0, jobs_left_behind(l.dev));
	EXPECT_SYSOK(enum_walk(l.dev, KBITS_ENUM_ALL_USERS, kbits_leftover, &l));
	EXPECT_EQ(0, l.n);
	if (no_agent) {
		a = ioctl(l.dev, KBITS_IOC_AGENT_ATTACH, 0);
		EXPECT_SYSOK(a);
		close(a);
	}
	close(l.dev);
}

/*
 * Every program's last test: no job it made is left in the queue, by its
 * job log and by its uids (kbits_no_jobs_left_behind()); with @no_agent
 * (a program whose tests attach an agent) no agent is left attached either.
 */
#define NO_JOBS_LEFT_BEHIND(no_agent)					\
TEST(no_jobs_left_behind)						\
{									\
	kbits_no_jobs_left_behind(__FILE__, no_agent);			\
}

/* --------------------------------------------------------------- main() */

/* The limits as they were when the program began: tests change them. */
static unsigned int kbits_saved_max_jobs = 300, kbits_saved_max_jobs_per_user = 60;

/* Puts the limits back (after each test, and at the end): never fatal. */
static inline void kbits_restore_limits(void)
{
	param_restore("max_jobs", kbits_saved_max_jobs);
	param_restore("max_jobs_per_user", kbits_saved_max_jobs_per_user);
}

/*
 * The main() of a program of TESTs that need nothing else: SKIPs the whole
 * program (kselftest's exit status 4) unless it runs as root with
 * /dev/kbits there; maps the job log; saves the limits (max_jobs,
 * max_jobs_per_user) and puts them back after each test and at the end.
 */
static inline int kbits_selftest_main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	FILE *f;
	int ret;

	if (geteuid() != 0) {
		printf("KTAP version 1\n1..0 # SKIP %s must run as root\n", me);
		return 4;
	}
	if (access(DEV_PATH, F_OK)) {
		printf("KTAP version 1\n1..0 # SKIP %s: %s (is kbits loaded?)\n",
		       DEV_PATH, strerror(errno));
		return 4;
	}
	if (job_log_map()) {
		perror("mmap");
		return 1;
	}
	f = fopen(PARAM_DIR "max_jobs", "re");
	if (f) {
		if (fscanf(f, "%u", &kbits_saved_max_jobs) != 1)
			kbits_saved_max_jobs = 300;
		fclose(f);
	}
	f = fopen(PARAM_DIR "max_jobs_per_user", "re");
	if (f) {
		if (fscanf(f, "%u", &kbits_saved_max_jobs_per_user) != 1)
			kbits_saved_max_jobs_per_user = 60;
		fclose(f);
	}
	th_after_each = kbits_restore_limits;
	ret = test_harness_run(argc, argv);
	kbits_restore_limits();
	return ret;
}

/* The events readable on job fd @fd now (it does not wait), at most @max. */
static inline int read_job_events(int fd, struct kbits_event *ev, int max)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 0) == 0)
		return 0;
	n = read(fd, ev, max * sizeof(*ev));
	ASSERT_SYSOK(n);
	ASSERT_EQ(0, n % sizeof(*ev));
	return n / sizeof(*ev);
}

#endif /* KBITS_SELFTEST_HELPERS_H */
