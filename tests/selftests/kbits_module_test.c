// SPDX-License-Identifier: GPL-2.0
/*
 * kbits module lifetime: open fds pin the module, unloading frees the queue,
 * finit_module brings it back empty, and the agent's export and import
 * carry jobs across a reload.  Run as root with kbits loaded and
 * KBITS_KO=/path/to/kbits.ko, after the other selftests: it unloads and
 * reloads the module and leaves it loaded with default parameters.  Its
 * users are uids 3000 and 3001 (kbits_helpers.h's kbits_uid_ranges[]).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>
#include <kbits/kbits.h>

#include "harness.h"
#include "kbits_helpers.h"

#define MODULE_DIR	"/sys/module/kbits"

static const char *ko_path;

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

static int finit_module(int fd, const char *params, int flags)
{
	return syscall(SYS_finit_module, fd, params, flags);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Waits up to 2 s for @path to exist (@want) or not. */
static bool wait_for(const char *path, bool want)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (exists(path) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static void load(void)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC);

	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(finit_module(fd, "", 0));
	close(fd);
	ASSERT_TRUE(wait_for(DEV_PATH, true));
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ASSERT_SYSOK(fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_GT(n, 0);
	return strtol(buf, NULL, 10);
}

#define NEED_KO() do {							\
	if (!ko_path)							\
		SKIP(return, "KBITS_KO is not set");			\
	ASSERT_TRUE(exists(MODULE_DIR));				\
} while (0)

TEST(job_fd_pins_module)
{
	int dev, fd, p[2];
	pid_t pid;

	NEED_KO();
	dev = dev_open();
	fd = make_dl_job(dev, "pin", NULL);
	close(dev);

	/* only the job fd is open */
	EXPECT_ERRNO(EWOULDBLOCK, delete_module("kbits", O_NONBLOCK));
	ASSERT_TRUE(exists(DEV_PATH));

	/* a cancelled job's fd pins it as well */
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	EXPECT_ERRNO(EWOULDBLOCK, delete_module("kbits", O_NONBLOCK));

	/* held only by a child process, until we write to the pipe */
	ASSERT_SYSOK(pipe2(p, O_CLOEXEC));
	pid = th_fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	close(fd);
	EXPECT_ERRNO(EWOULDBLOCK, delete_module("kbits", O_NONBLOCK));
	ASSERT_EQ(1, write(p[1], "x", 1));
	close(p[1]);
	ASSERT_CHILD_OK(pid);
	ASSERT_TRUE(exists(MODULE_DIR));
}

TEST(dev_fd_pins_module)
{
	uint8_t id[KBITS_GUID_SIZE];
	int dev, fd;

	NEED_KO();
	dev = dev_open();
	EXPECT_ERRNO(EWOULDBLOCK, delete_module("kbits", O_NONBLOCK));

	/* and a GET_JOB fd alone */
	fd = make_dl_job(dev, "pin by get", id);
	close(fd);
	fd = raw_get(dev, id);
	ASSERT_SYSOK(fd);
	close(dev);
	EXPECT_ERRNO(EWOULDBLOCK, delete_module("kbits", O_NONBLOCK));
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	ASSERT_TRUE(exists(MODULE_DIR));
}

TEST(unload_frees_queue_and_reload)
{
	uint8_t root_id[KBITS_GUID_SIZE], *user_id;
	struct kbits *m = NULL;
	int dev, fd;
	pid_t pid;

	NEED_KO();
	user_id = mmap(NULL, KBITS_GUID_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user_id);

	/* jobs that stay queued with no fd open: one root's, one a user's */
	dev = dev_open();
	close(make_dl_job(dev, "left in the queue", root_id));
	pid = th_fork();
	if (pid == 0) {
		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(3000, 3000, 3000));
		ASSERT_SYSOK(setresuid(3000, 3000, 3000));
		close(make_dl_job(dev, "a user's, left in the queue", user_id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	fd = raw_get(dev, root_id);
	ASSERT_SYSOK(fd);
	close(fd);
	close(dev);

	/* nothing is open now: it goes */
	ASSERT_SYSOK(delete_module("kbits", O_NONBLOCK));
	EXPECT_TRUE(wait_for(DEV_PATH, false));
	EXPECT_TRUE(wait_for(MODULE_DIR, false));
	EXPECT_ERRNO(ENOENT, open(DEV_PATH, O_RDWR | O_CLOEXEC));
	EXPECT_RET(-ENOENT, kbits_new(&m, 0));
	EXPECT_ERRNO(ENOENT, delete_module("kbits", O_NONBLOCK));

	/* back, empty, with the default limits */
	load();
	ASSERT_TRUE(exists(MODULE_DIR));
	EXPECT_EQ(300, read_long(MODULE_DIR "/parameters/max_jobs"));
	EXPECT_EQ(60, read_long(MODULE_DIR "/parameters/max_jobs_per_user"));
	dev = dev_open();
	EXPECT_ERRNO(ENOENT, raw_get(dev, root_id));
	EXPECT_ERRNO(ENOENT, raw_get(dev, user_id));

	/* and it works */
	fd = make_dl_job(dev, "after reload", root_id);
	close(fd);
	fd = raw_get(dev, root_id);
	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(dev);

	ASSERT_RET(0, kbits_new(&m, 0));
	kbits_unref(m);
}

static void add_file(int fd, const char *remote, const char *local)
{
	struct kbits_file_spec spec = {
		.remote = (uintptr_t)remote, .remote_len = strlen(remote),
		.local = (uintptr_t)local, .local_len = strlen(local),
	};
	struct kbits_add_files a = {
		.size = sizeof(a), .count = 1, .entry_size = sizeof(spec),
		.files = (uintptr_t)&spec,
	};

	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_ADD_FILES, &a));
}

#define RECORD_ROOM 65536

/* The record of job @id through the agent fd @agent into @buf; its length. */
static uint32_t export_job(int agent, const uint8_t *id, void *buf)
{
	struct kbits_agent_record r = {
		.size = sizeof(r), .buf = (uintptr_t)buf, .buf_len = RECORD_ROOM,
	};

	memcpy(r.id, id, KBITS_GUID_SIZE);
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_EXPORT_JOB, &r));
	return r.buf_len;
}

static void import_job(int agent, const void *buf, uint32_t len)
{
	struct kbits_agent_record r = {
		.size = sizeof(r), .buf = (uintptr_t)buf, .buf_len = len,
	};

	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_IMPORT_JOB, &r));
}

/* The proxy settings and headers of the jobs that go across a reload. */
static const char user_proxy[] = "http://proxy.test:3128";
static const char user_bypass[] = "localhost,*.example.org";
static const char user_headers[] = "X-Kept: across a reload\r\nAccept: */*";
static const char root_proxy[] = "socks5://\xc3\xa9.test:1080";
static const char root_headers[] = "Authorization: Bearer xyz";

/* A GET_HTTP_HEADERS that must work: the headers, in @buf (@cap bytes). */
static void get_headers(int fd, char *buf, uint32_t cap)
{
	struct kbits_job_string s = {
		.size = sizeof(s), .buf = (uintptr_t)buf, .len = cap,
	};

	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &s));
	ASSERT_LT(s.len, cap);
	EXPECT_EQ(strlen(buf), s.len);
}

/*
 * What kbitsd does across a reboot: export every job, unload and reload
 * the module, import them.  The jobs come back with their GUIDs, owners,
 * settings, proxy settings, HTTP headers, files and progress; one the agent
 * was transferring comes back QUEUED; its user gets it again by its GUID.
 */
TEST(export_reload_import)
{
	static uint8_t rec[2][RECORD_ROOM], again[RECORD_ROOM];
	struct shared { uint8_t id[KBITS_GUID_SIZE]; } *user;
	struct kbits_agent_progress prog;
	struct kbits_agent_job take;
	uint8_t root_id[KBITS_GUID_SIZE];
	struct kbits_job_record *hdr;
	uint32_t len[2], state;
	int dev, fd, agent;
	pid_t pid;

	NEED_KO();
	user = mmap(NULL, sizeof(*user), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user);
	dev = dev_open();

	pid = th_fork();
	if (pid == 0) {
		struct kbits_job_string d = {
			.size = sizeof(d), .buf = (uintptr_t)"kept", .len = 4,
		};
		struct kbits_job_string h = {
			.size = sizeof(h), .buf = (uintptr_t)user_headers,
			.len = strlen(user_headers),
		};

		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(3001, 3001, 3001));
		ASSERT_SYSOK(setresuid(3001, 3001, 3001));
		fd = make_dl_job(dev, "a user's, across a reload", user->id);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_DESCRIPTION, &d));
		ASSERT_SYSOK(raw_set_proxy(fd, KBITS_PROXY_OVERRIDE, user_proxy,
					   user_bypass));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &h));
		add_file(fd, "https://example.org/a", "/tmp/kbits-a");
		add_file(fd, "file:///etc/hostname", "/tmp/kbits-b");
		close(fd);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* root's job, which the agent is transferring at export time */
	fd = make_dl_job(dev, "root's, in transfer", root_id);
	add_file(fd, "/etc/hostname", "/tmp/kbits-c");
	/* its proxy settings and headers through libkbits */
	{
		struct kbits_job *j;

		ASSERT_RET(0, kbits_job_from_fd(fd, &j));
		ASSERT_RET(0, kbits_job_set_proxy(j, KBITS_PROXY_OVERRIDE,
						  root_proxy, NULL));
		ASSERT_RET(0, kbits_job_set_http_headers(j, root_headers));
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_RESUME));
		kbits_job_unref(j);	/* closes fd */
	}
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	memset(&take, 0, sizeof(take));
	take.size = sizeof(take);
	memcpy(take.id, root_id, sizeof(take.id));
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_TAKE_JOB, &take));
	memset(&prog, 0, sizeof(prog));
	prog.size = sizeof(prog);
	memcpy(prog.id, root_id, sizeof(prog.id));
	prog.bytes_total = 100;
	prog.bytes_transferred = 40;
	ASSERT_SYSOK(ioctl(agent, KBITS_AGENT_IOC_PROGRESS, &prog));

	len[0] = export_job(agent, user->id, rec[0]);
	len[1] = export_job(agent, root_id, rec[1]);
	close(agent);
	close(dev);

	ASSERT_SYSOK(delete_module("kbits", O_NONBLOCK));
	EXPECT_TRUE(wait_for(MODULE_DIR, false));
	load();

	dev = dev_open();
	EXPECT_ERRNO(ENOENT, raw_get(dev, user->id));
	agent = ioctl(dev, KBITS_IOC_AGENT_ATTACH, 0);
	ASSERT_SYSOK(agent);
	import_job(agent, rec[0], len[0]);
	import_job(agent, rec[1], len[1]);

	/* the same records, but that root's job is QUEUED now */
	EXPECT_EQ(len[0], export_job(agent, user->id, again));
	EXPECT_MEMEQ(rec[0], again, len[0]);
	EXPECT_EQ(len[1], export_job(agent, root_id, again));
	hdr = (struct kbits_job_record *)again;
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, hdr->state);
	EXPECT_EQ(3, hdr->version);
	EXPECT_EQ(KBITS_JOB_RECORD_SIZE_VER4, hdr->header_size);
	EXPECT_EQ(KBITS_RECORD_FILE_SIZE_VER1, hdr->file_size);
	EXPECT_EQ(KBITS_PROXY_OVERRIDE, hdr->proxy_usage);
	EXPECT_EQ(strlen(root_proxy), hdr->proxy_list_len);
	EXPECT_EQ(0, hdr->proxy_bypass_len);
	EXPECT_EQ(strlen(root_headers), hdr->http_headers_len);
	hdr->state = KBITS_JOB_STATE_TRANSFERRING;
	EXPECT_MEMEQ(rec[1], again, len[1]);
	close(agent);

	/* its user gets it back by its GUID; another user may not */
	pid = th_fork();
	if (pid == 0) {
		struct kbits_job_progress p;

		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(3001, 3001, 3001));
		ASSERT_SYSOK(setresuid(3001, 3001, 3001));
		fd = raw_get(dev, user->id);
		ASSERT_SYSOK(fd);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_PROGRESS, &p));
		EXPECT_EQ(2, p.files_total);
		{
			static struct got_proxy g;
			char h[128];

			ASSERT_SYSOK(raw_get_proxy(fd, &g));
			EXPECT_EQ(KBITS_PROXY_OVERRIDE, g.p.usage);
			EXPECT_STREQ(user_proxy, g.list);
			EXPECT_STREQ(user_bypass, g.bypass);
			get_headers(fd, h, sizeof(h));
			EXPECT_STREQ(user_headers, h);
		}
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	pid = th_fork();
	if (pid == 0) {
		ASSERT_SYSOK(setgroups(0, NULL));
		ASSERT_SYSOK(setresgid(2601, 2601, 2601));
		ASSERT_SYSOK(setresuid(2601, 2601, 2601));
		EXPECT_ERRNO(EACCES, raw_get(dev, user->id));
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	fd = raw_get(dev, root_id);
	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_GET_STATE, &state));
	EXPECT_EQ(KBITS_JOB_STATE_QUEUED, state);
	{
		enum kbits_proxy_usage usage = KBITS_PROXY_SYSTEM;
		char *list = NULL, *bypass = NULL, *h = NULL;
		struct kbits_job *j;

		ASSERT_RET(0, kbits_job_from_fd(dup(fd), &j));
		ASSERT_RET(0, kbits_job_get_proxy(j, &usage, &list, &bypass));
		EXPECT_EQ(KBITS_PROXY_OVERRIDE, usage);
		EXPECT_STREQ(root_proxy, list);
		EXPECT_STREQ("", bypass);
		ASSERT_RET(0, kbits_job_get_http_headers(j, &h));
		EXPECT_STREQ(root_headers, h);
		free(list);
		free(bypass);
		free(h);
		kbits_job_unref(j);
	}
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	fd = raw_get(dev, user->id);
	ASSERT_SYSOK(fd);
	ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
	close(fd);
	close(dev);
}

TEST(unload_reload_cycles)
{
	int i, dev, fd;

	NEED_KO();
	for (i = 0; i < 5; i++) {
		dev = dev_open();
		/* a few jobs each time, so exit has something to free */
		close(make_dl_job(dev, "cycle 1", NULL));
		close(make_dl_job(dev, "cycle 2", NULL));
		fd = make_dl_job(dev, "cycle 3", NULL);
		ASSERT_SYSOK(ioctl(fd, KBITS_JOB_IOC_CANCEL));
		close(fd);
		close(dev);
		ASSERT_SYSOK(delete_module("kbits", O_NONBLOCK));
		ASSERT_TRUE(wait_for(DEV_PATH, false));
		load();
	}
}

int main(int argc, char **argv)
{
	if (geteuid() != 0) {
		printf("KTAP version 1\n1..0 # SKIP kbits_module_test must run as root\n");
		return 4;
	}
	ko_path = getenv("KBITS_KO");
	if (ko_path && !*ko_path)
		ko_path = NULL;
	return test_harness_run(argc, argv);
}
