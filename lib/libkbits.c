// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkbits: the C library of kbits.
 *
 * A struct kbits holds an fd of /dev/kbits, a struct kbits_job an fd of one
 * job; every operation is an ioctl on one of them (include/uapi/linux/kbits.h).
 * The handles keep no other state, so they need no lock: only their
 * reference counts are shared, and those are atomic.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libkmod.h>
#include <linux/capability.h>

#include <kbits/kbits.h>
#include <linux/kbits.h>

#define KBITS_DEV_PATH "/dev/" KBITS_DEVICE_NAME

_Static_assert(sizeof(struct kbits_guid) == KBITS_GUID_SIZE, "a GUID is 16 bytes");
_Static_assert(sizeof(struct kbits_create_job) == KBITS_CREATE_JOB_SIZE_VER0,
	       "struct kbits_create_job changed size");
_Static_assert(sizeof(struct kbits_get_job) == KBITS_GET_JOB_SIZE_VER0,
	       "struct kbits_get_job changed size");
_Static_assert(sizeof(struct kbits_enum_jobs) == KBITS_ENUM_JOBS_SIZE_VER0,
	       "struct kbits_enum_jobs changed size");
_Static_assert(sizeof(struct kbits_guid) == sizeof(struct kbits_job_id),
	       "struct kbits_guid and struct kbits_job_id differ");
_Static_assert(sizeof(struct kbits_job_string) == KBITS_JOB_STRING_SIZE_VER0,
	       "struct kbits_job_string changed size");
_Static_assert(sizeof(struct kbits_job_attr) == KBITS_JOB_ATTR_SIZE_VER1,
	       "struct kbits_job_attr changed size");
_Static_assert(sizeof(struct kbits_add_files) == KBITS_ADD_FILES_SIZE_VER0,
	       "struct kbits_add_files changed size");
_Static_assert(sizeof(struct kbits_file_spec) == KBITS_FILE_SPEC_SIZE_VER1,
	       "struct kbits_file_spec changed size");
_Static_assert(sizeof(struct kbits_job_file) == KBITS_JOB_FILE_SIZE_VER1,
	       "struct kbits_job_file changed size");
_Static_assert(sizeof(struct kbits_file_attrs) == KBITS_FILE_ATTRS_SIZE_VER0,
	       "struct kbits_file_attrs changed size");
_Static_assert(sizeof(struct kbits_job_error) == KBITS_JOB_ERROR_SIZE_VER0,
	       "struct kbits_job_error changed size");

struct kbits {
	atomic_uint refcount;
	int fd;			/* /dev/kbits */
};

struct kbits_job {
	atomic_uint refcount;
	int fd;			/* the job fd */
};

/* ioctl() as 0 or a negative errno (or the fd it returned). */
static int kbits_ioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* ------------------------------------------------------------------ GUIDs */

/*
 * The string is the Windows form, as the kernel's %pUl prints a guid_t: the
 * first three groups are little-endian numbers, the last two plain bytes.
 * guid_string_order[i] is the byte that the i-th pair of hex digits stands for.
 */
static const uint8_t guid_string_order[KBITS_GUID_SIZE] = {
	3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
};

/* Offsets of the hex pairs in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
static const uint8_t guid_string_offset[KBITS_GUID_SIZE] = {
	0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34
};

#define GUID_BARE_LEN 36	/* without braces and NUL */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kbits_guid_parse(const char *s, struct kbits_guid *out)
{
	struct kbits_guid g;
	size_t len;
	int i;

	if (!s || !out)
		return -EINVAL;

	len = strnlen(s, GUID_BARE_LEN + 3);
	if (len == GUID_BARE_LEN + 2) {
		if (s[0] != '{' || s[len - 1] != '}')
			return -EINVAL;
		s++;
	} else if (len != GUID_BARE_LEN) {
		return -EINVAL;
	}

	if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -EINVAL;

	for (i = 0; i < KBITS_GUID_SIZE; i++) {
		int hi = hex_value(s[guid_string_offset[i]]);
		int lo = hex_value(s[guid_string_offset[i] + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		g.bytes[guid_string_order[i]] = (uint8_t)(hi << 4 | lo);
	}

	*out = g;
	return 0;
}

void kbits_guid_format(const struct kbits_guid *g, char out[KBITS_GUID_STRING_LEN])
{
	static const char digits[] = "0123456789abcdef";
	char *p;
	int i;

	if (!out)
		return;
	if (!g) {
		out[0] = '\0';
		return;
	}

	memset(out, '-', KBITS_GUID_STRING_LEN - 1);
	out[0] = '{';
	p = out + 1;
	for (i = 0; i < KBITS_GUID_SIZE; i++) {
		uint8_t b = g->bytes[guid_string_order[i]];

		p[guid_string_offset[i]] = digits[b >> 4];
		p[guid_string_offset[i] + 1] = digits[b & 0xf];
	}
	out[KBITS_GUID_STRING_LEN - 2] = '}';
	out[KBITS_GUID_STRING_LEN - 1] = '\0';
}

/* --------------------------------------------------------------- /dev/kbits */

static void kbits_kmod_log(void *data, int priority, const char *file, int line,
			   const char *fn, const char *format, va_list args)
{
	/* A library does not write to stderr; the caller gets the errno. */
}

/*
 * Loads the kbits module: 0, a negative errno, or 1 when the module is
 * blacklisted (so it stays unloaded).
 */
static int kbits_load_module(void)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int err;

	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kbits_kmod_log, NULL);

	err = kmod_module_new_from_name(ctx, KBITS_DEVICE_NAME, &mod);
	if (err == 0) {
		err = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
						      NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	return err > 0 ? 1 : err;
}

/* Does this open() errno mean that the kbits module is not loaded? */
static bool kbits_module_missing(int err)
{
	return err == -ENOENT || err == -ENXIO || err == -ENODEV;
}

static int kbits_open_dev(void)
{
	int fd = open(KBITS_DEV_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

int kbits_new(struct kbits **out, unsigned int flags)
{
	struct kbits *m;
	int fd;

	if (out)
		*out = NULL;
	if (!out || (flags & ~KBITS_LOAD_MODULE))
		return -EINVAL;

	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;

	fd = kbits_open_dev();
	if (kbits_module_missing(fd) && (flags & KBITS_LOAD_MODULE)) {
		int err = kbits_load_module();

		if (err < 0) {
			fd = err;
		} else if (err == 0) {
			/*
			 * devtmpfs makes the node as the module registers its
			 * device; a udev-managed /dev may lag a little.
			 */
			struct timespec ts = { 0, 1000000 };	/* 1 ms, doubling */
			int tries;

			fd = kbits_open_dev();
			for (tries = 0; tries < 9 && kbits_module_missing(fd); tries++) {
				nanosleep(&ts, NULL);
				ts.tv_nsec *= 2;
				fd = kbits_open_dev();
			}
		}
	}
	if (fd < 0) {
		free(m);
		return fd;
	}

	atomic_init(&m->refcount, 1);
	m->fd = fd;
	*out = m;
	return 0;
}

struct kbits *kbits_ref(struct kbits *m)
{
	if (m)
		atomic_fetch_add_explicit(&m->refcount, 1, memory_order_relaxed);
	return m;
}

struct kbits *kbits_unref(struct kbits *m)
{
	if (m && atomic_fetch_sub_explicit(&m->refcount, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		close(m->fd);
		free(m);
	}
	return NULL;
}

/* ----------------------------------------------------------------- jobs */

static struct kbits_job *kbits_job_alloc(void)
{
	struct kbits_job *j = malloc(sizeof(*j));

	if (j) {
		atomic_init(&j->refcount, 1);
		j->fd = -1;
	}
	return j;
}

int kbits_create_job(struct kbits *m, const char *display_name, enum kbits_job_type type,
		     struct kbits_guid *id_out, struct kbits_job **job_out)
{
	struct kbits_create_job args;
	struct kbits_job *j = NULL;
	size_t len;
	int fd;

	if (job_out)
		*job_out = NULL;
	if (!m || !display_name)
		return -EINVAL;
	len = strlen(display_name);
	if (len > KBITS_DISPLAY_NAME_MAX)
		return -ENAMETOOLONG;

	/* Allocated first: once the job is in the queue nothing may fail. */
	if (job_out) {
		j = kbits_job_alloc();
		if (!j)
			return -ENOMEM;
	}

	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.type = (uint32_t)type;
	args.name_len = (uint32_t)len;
	args.name = (uintptr_t)display_name;

	fd = kbits_ioctl(m->fd, KBITS_IOC_CREATE_JOB, &args);
	if (fd < 0) {
		free(j);
		return fd;
	}

	if (id_out)
		memcpy(id_out->bytes, args.id, sizeof(id_out->bytes));
	if (j) {
		j->fd = fd;
		*job_out = j;
	} else {
		close(fd);
	}
	return 0;
}

int kbits_get_job(struct kbits *m, const struct kbits_guid *id, struct kbits_job **job_out)
{
	struct kbits_get_job args;
	struct kbits_job *j;
	int fd;

	if (job_out)
		*job_out = NULL;
	if (!m || !id || !job_out)
		return -EINVAL;

	j = kbits_job_alloc();
	if (!j)
		return -ENOMEM;

	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	memcpy(args.id, id->bytes, sizeof(args.id));

	fd = kbits_ioctl(m->fd, KBITS_IOC_GET_JOB, &args);
	if (fd < 0) {
		free(j);
		return fd;
	}
	j->fd = fd;
	*job_out = j;
	return 0;
}

int kbits_enum_jobs(struct kbits *m, unsigned int flags, struct kbits_guid **ids, size_t *n)
{
	struct kbits_enum_jobs args;
	struct kbits_guid *all = NULL, *grown;
	size_t have = 0, room = 0;
	uint64_t cursor = 0;
	int r;

	if (ids)
		*ids = NULL;
	if (n)
		*n = 0;
	if (!m || !ids || !n)
		return -EINVAL;

	/* The kernel hands out KBITS_ENUM_MAX GUIDs a call; the array grows by doubling. */
	while (cursor != KBITS_ENUM_END) {
		if (room - have < KBITS_ENUM_MAX) {
			room = room ? room * 2 : KBITS_ENUM_MAX;
			grown = realloc(all, room * sizeof(*all));
			if (!grown) {
				free(all);
				return -ENOMEM;
			}
			all = grown;
		}
		memset(&args, 0, sizeof(args));
		args.size = sizeof(args);
		args.flags = flags;
		args.cursor = cursor;
		args.ids = (uintptr_t)(all + have);
		args.count = KBITS_ENUM_MAX;
		r = kbits_ioctl(m->fd, KBITS_IOC_ENUM_JOBS, &args);
		if (r < 0) {
			free(all);
			return r;
		}
		have += args.count;
		cursor = args.cursor;
	}
	if (!have) {
		free(all);
		all = NULL;
	}
	*ids = all;
	*n = have;
	return 0;
}

int kbits_find_jobs_by_name(struct kbits *m, const char *name, unsigned int flags,
			    struct kbits_guid **ids, size_t *n)
{
	struct kbits_guid *all = NULL;
	size_t i, have = 0, found = 0;
	int err;

	if (ids)
		*ids = NULL;
	if (n)
		*n = 0;
	if (!m || !name || !ids || !n)
		return -EINVAL;
	err = kbits_enum_jobs(m, flags, &all, &have);
	if (err < 0)
		return err;
	for (i = 0; i < have; i++) {
		struct kbits_job *j;
		char *dn = NULL;

		err = kbits_get_job(m, &all[i], &j);
		/* a job that left the queue, or changed hands, since the walk */
		if (err == -ENOENT || err == -EACCES)
			continue;
		if (err < 0)
			goto fail;
		err = kbits_job_get_display_name(j, &dn);
		kbits_job_unref(j);
		if (err == -EACCES)
			continue;
		if (err < 0)
			goto fail;
		/* the matches go to the front of the array they came in */
		if (!strcmp(dn, name))
			all[found++] = all[i];
		free(dn);
	}
	if (!found) {
		free(all);
		all = NULL;
	}
	*ids = all;
	*n = found;
	return 0;
fail:
	free(all);
	return err;
}

struct kbits_job *kbits_job_ref(struct kbits_job *j)
{
	if (j)
		atomic_fetch_add_explicit(&j->refcount, 1, memory_order_relaxed);
	return j;
}

struct kbits_job *kbits_job_unref(struct kbits_job *j)
{
	if (j && atomic_fetch_sub_explicit(&j->refcount, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		close(j->fd);
		free(j);
	}
	return NULL;
}

int kbits_job_fd(struct kbits_job *j)
{
	return j ? j->fd : -EINVAL;
}

/*
 * Is @fd a kbits job fd?  Its /proc link names its anon inode, which no
 * other file has; and it answers GET_ID.  Without /proc (a chroot, early
 * boot) the answer to GET_ID alone decides.
 */
static bool kbits_is_job_fd(int fd)
{
	static const char link[] = "anon_inode:" KBITS_JOB_INODE_NAME;
	char path[32], target[sizeof(link)];
	struct kbits_job_id id;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target));
	if (n >= 0 && ((size_t)n != sizeof(link) - 1 || memcmp(target, link, (size_t)n)))
		return false;
	return kbits_ioctl(fd, KBITS_JOB_IOC_GET_ID, &id) == 0;
}

int kbits_job_from_fd(int fd, struct kbits_job **out)
{
	struct kbits_job *j;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	if (fd < 0 || !kbits_is_job_fd(fd))
		return -EBADF;

	j = kbits_job_alloc();
	if (!j)
		return -ENOMEM;
	j->fd = fd;
	*out = j;
	return 0;
}

int kbits_job_get_id(struct kbits_job *j, struct kbits_guid *out)
{
	struct kbits_job_id id;
	int err;

	if (!j || !out)
		return -EINVAL;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_ID, &id);
	if (err < 0)
		return err;
	memcpy(out->bytes, id.id, sizeof(out->bytes));
	return 0;
}

static int kbits_job_get_u32(struct kbits_job *j, unsigned long cmd, uint32_t *out)
{
	uint32_t v;
	int err;

	if (!j || !out)
		return -EINVAL;
	err = kbits_ioctl(j->fd, cmd, &v);
	if (err < 0)
		return err;
	*out = v;
	return 0;
}

int kbits_job_get_type(struct kbits_job *j, enum kbits_job_type *out)
{
	uint32_t v;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_u32(j, KBITS_JOB_IOC_GET_TYPE, &v);
	if (err == 0)
		*out = (enum kbits_job_type)v;
	return err;
}

int kbits_job_get_state(struct kbits_job *j, enum kbits_job_state *out)
{
	uint32_t v;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_u32(j, KBITS_JOB_IOC_GET_STATE, &v);
	if (err == 0)
		*out = (enum kbits_job_state)v;
	return err;
}

int kbits_job_get_owner(struct kbits_job *j, uid_t *out)
{
	uint32_t v;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_u32(j, KBITS_JOB_IOC_GET_OWNER, &v);
	if (err == 0)
		*out = (uid_t)v;
	return err;
}

/* A string can change between two calls; this many tries are plenty. */
#define KBITS_STRING_TRIES 8

/*
 * A job's string (@cmd: GET_DISPLAY_NAME, GET_DESCRIPTION,
 * GET_HTTP_HEADERS, GET_REPLY_FILE), malloc'd.
 */
static int kbits_job_get_string(struct kbits_job *j, unsigned long cmd, char **out)
{
	size_t cap = KBITS_DISPLAY_NAME_MAX + 1;
	char *buf = NULL;
	int tries;

	if (!j || !out)
		return -EINVAL;

	for (tries = 0; tries < KBITS_STRING_TRIES; tries++) {
		struct kbits_job_string s;
		char *nbuf;
		int err;

		nbuf = realloc(buf, cap);
		if (!nbuf) {
			free(buf);
			return -ENOMEM;
		}
		buf = nbuf;

		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.len = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
		s.buf = (uintptr_t)buf;
		err = kbits_ioctl(j->fd, cmd, &s);
		if (err == -ERANGE && (size_t)s.len + 1 > cap) {
			/* Longer than the buffer: ask again with room for it. */
			cap = (size_t)s.len + 1;
			continue;
		}
		if (err < 0) {
			free(buf);
			return err;
		}
		if (s.len < cap)
			buf[s.len] = '\0';
		else
			buf[cap - 1] = '\0';
		*out = buf;
		return 0;
	}
	free(buf);
	return -ERANGE;
}

int kbits_job_get_display_name(struct kbits_job *j, char **out)
{
	return kbits_job_get_string(j, KBITS_JOB_IOC_GET_DISPLAY_NAME, out);
}

int kbits_job_get_description(struct kbits_job *j, char **out)
{
	return kbits_job_get_string(j, KBITS_JOB_IOC_GET_DESCRIPTION, out);
}

static int kbits_job_set_string(struct kbits_job *j, unsigned long cmd, const char *str,
				size_t max)
{
	struct kbits_job_string s;
	size_t len;

	if (!j || !str)
		return -EINVAL;
	len = strlen(str);
	if (len > max)
		return -ENAMETOOLONG;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = (uint32_t)len;
	s.buf = (uintptr_t)str;
	return kbits_ioctl(j->fd, cmd, &s);
}

int kbits_job_set_display_name(struct kbits_job *j, const char *name)
{
	return kbits_job_set_string(j, KBITS_JOB_IOC_SET_DISPLAY_NAME, name,
				    KBITS_DISPLAY_NAME_MAX);
}

int kbits_job_set_description(struct kbits_job *j, const char *description)
{
	return kbits_job_set_string(j, KBITS_JOB_IOC_SET_DESCRIPTION, description,
				    KBITS_DESCRIPTION_MAX);
}

int kbits_job_get_http_headers(struct kbits_job *j, char **out)
{
	return kbits_job_get_string(j, KBITS_JOB_IOC_GET_HTTP_HEADERS, out);
}

int kbits_job_set_http_headers(struct kbits_job *j, const char *headers)
{
	return kbits_job_set_string(j, KBITS_JOB_IOC_SET_HTTP_HEADERS, headers ? headers : "",
				    KBITS_HTTP_HEADERS_MAX);
}

int kbits_job_set_notify_cmd(struct kbits_job *j, const char *const *argv)
{
	struct kbits_job_string s;
	size_t len = 0, i;
	char *buf, *p;
	int err;

	if (!j)
		return -EINVAL;
	for (i = 0; argv && argv[i]; i++) {
		len += strlen(argv[i]) + 1;
		if (len > KBITS_NOTIFY_CMD_MAX)
			return -ENAMETOOLONG;
	}
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0, p = buf; argv && argv[i]; i++)
		p = stpcpy(p, argv[i]) + 1;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = (uint32_t)len;
	s.buf = (uintptr_t)buf;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_SET_NOTIFY_CMD, &s);
	free(buf);
	return err;
}

int kbits_job_get_notify_cmd(struct kbits_job *j, char ***argv)
{
	struct kbits_job_string s;
	char *buf, **v;
	size_t n = 0, i, k;
	int err;

	if (!j || !argv)
		return -EINVAL;
	/* at most KBITS_NOTIFY_CMD_MAX bytes: one buffer always holds it */
	buf = malloc(KBITS_NOTIFY_CMD_MAX);
	if (!buf)
		return -ENOMEM;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.len = KBITS_NOTIFY_CMD_MAX;
	s.buf = (uintptr_t)buf;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_NOTIFY_CMD, &s);
	if (!err && (!s.len || s.len > KBITS_NOTIFY_CMD_MAX || buf[s.len - 1]))
		err = -EIO;	/* not what the kernel gives */
	if (err) {
		free(buf);
		return err;
	}
	for (i = 0; i < s.len; i++)
		n += !buf[i];
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		free(buf);
		return -ENOMEM;
	}
	for (i = 0, k = 0; k < n; i += strlen(buf + i) + 1, k++) {
		v[k] = strdup(buf + i);
		if (!v[k]) {
			kbits_strv_free(v);
			free(buf);
			return -ENOMEM;
		}
	}
	free(buf);
	*argv = v;
	return 0;
}

void kbits_strv_free(char **strv)
{
	size_t i;

	for (i = 0; strv && strv[i]; i++)
		free(strv[i]);
	free(strv);
}

/*
 * Credentials.  The library keeps no copy of a secret: the ioctl reads the
 * caller's strings where they are, and nothing here stores them.
 */
int kbits_job_set_credentials(struct kbits_job *j, enum kbits_auth_target target,
			      enum kbits_auth_scheme scheme, const char *user,
			      const char *password)
{
	struct kbits_job_credentials c;
	size_t ulen = user ? strlen(user) : 0;
	size_t plen = password ? strlen(password) : 0;

	if (!j)
		return -EINVAL;
	if (ulen > KBITS_CRED_USER_MAX || plen > KBITS_CRED_PASSWORD_MAX)
		return -ENAMETOOLONG;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.target = (uint32_t)target;
	c.scheme = (uint32_t)scheme;
	c.user_len = (uint32_t)ulen;
	c.password_len = (uint32_t)plen;
	c.user = (uintptr_t)(user ? user : "");
	c.password = (uintptr_t)(password ? password : "");
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c);
}

int kbits_job_remove_credentials(struct kbits_job *j, enum kbits_auth_target target,
				 enum kbits_auth_scheme scheme)
{
	struct kbits_job_credentials c;

	if (!j)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.target = (uint32_t)target;
	c.scheme = (uint32_t)scheme;
	c.flags = KBITS_CRED_REMOVE;
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_SET_CREDENTIALS, &c);
}

int kbits_job_get_credentials(struct kbits_job *j, uint32_t *server, uint32_t *proxy)
{
	struct kbits_job_cred_schemes s;
	int err;

	if (!j || (!server && !proxy))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_CREDENTIALS, &s);
	if (err < 0)
		return err;
	if (server)
		*server = s.server;
	if (proxy)
		*proxy = s.proxy;
	return 0;
}

int kbits_job_make_headers_write_only(struct kbits_job *j)
{
	uint32_t flags;
	int err;

	/* the other flags stay as they are (a race with another setter aside) */
	err = kbits_job_get_flags(j, &flags);
	if (err < 0)
		return err;
	if (flags & KBITS_JOB_HEADERS_WRITE_ONLY)
		return 0;
	return kbits_job_set_flags(j, flags | KBITS_JOB_HEADERS_WRITE_ONLY);
}

/*
 * The reply file is a destination as a download's local file is: checked
 * with kbits_check_local_name(), the caller's rights, before the kernel
 * records it (only for an UPLOAD_REPLY job: the kernel refuses any other
 * with -EOPNOTSUPP, which says more than a check of the name would).
 */
int kbits_job_set_reply_file(struct kbits_job *j, const char *path)
{
	enum kbits_job_type type;
	int err;

	if (!j)
		return -EINVAL;
	if (!path)
		path = "";
	if (*path) {
		err = kbits_job_get_type(j, &type);
		if (err < 0)
			return err;
		if (type == KBITS_JOB_TYPE_UPLOAD_REPLY) {
			err = kbits_check_local_name(path);
			if (err < 0)
				return err;
		}
	}
	return kbits_job_set_string(j, KBITS_JOB_IOC_SET_REPLY_FILE, path, KBITS_LOCAL_NAME_MAX);
}

int kbits_job_get_reply_file(struct kbits_job *j, char **path)
{
	if (path)
		*path = NULL;
	return kbits_job_get_string(j, KBITS_JOB_IOC_GET_REPLY_FILE, path);
}

int kbits_job_set_proxy(struct kbits_job *j, enum kbits_proxy_usage usage, const char *list,
			const char *bypass)
{
	struct kbits_job_proxy p;
	size_t list_len = list ? strlen(list) : 0;
	size_t bypass_len = bypass ? strlen(bypass) : 0;

	if (!j)
		return -EINVAL;
	if (list_len > KBITS_PROXY_LIST_MAX || bypass_len > KBITS_PROXY_LIST_MAX)
		return -ENAMETOOLONG;
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.usage = (uint32_t)usage;
	p.list_len = (uint32_t)list_len;
	p.bypass_len = (uint32_t)bypass_len;
	p.list = (uintptr_t)list;
	p.bypass = (uintptr_t)bypass;
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_SET_PROXY, &p);
}

int kbits_job_get_proxy(struct kbits_job *j, enum kbits_proxy_usage *usage, char **list,
			char **bypass)
{
	char *l = malloc(KBITS_PROXY_LIST_MAX + 1);
	char *b = malloc(KBITS_PROXY_LIST_MAX + 1);
	struct kbits_job_proxy p;
	int err;

	if (!j || !usage || !list || !bypass) {
		err = -EINVAL;
		goto fail;
	}
	if (!l || !b) {
		err = -ENOMEM;
		goto fail;
	}
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.list = (uintptr_t)l;
	p.list_len = KBITS_PROXY_LIST_MAX + 1;
	p.bypass = (uintptr_t)b;
	p.bypass_len = KBITS_PROXY_LIST_MAX + 1;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_PROXY, &p);
	if (err < 0)
		goto fail;
	*usage = (enum kbits_proxy_usage)p.usage;
	*list = l;
	*bypass = b;
	return 0;
fail:
	free(l);
	free(b);
	return err;
}

static int kbits_job_get_attr(struct kbits_job *j, struct kbits_job_attr *a)
{
	if (!j)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_ATTR, a);
}

/* Sets the one attribute @mask names, to @value (the kernel reads only that field). */
static int kbits_job_set_attr(struct kbits_job *j, uint32_t mask, uint32_t value)
{
	struct kbits_job_attr a;

	if (!j)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = mask;
	a.priority = a.notify_flags = a.min_retry_delay = a.no_progress_timeout = value;
	a.max_download_time = value;
	if (mask == KBITS_ATTR_FLAGS)
		a.flags = value;	/* must be 0 unless named */
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_SET_ATTR, &a);
}

/* Gets the attribute at offset @off of struct kbits_job_attr. */
static int kbits_job_get_attr_u32(struct kbits_job *j, size_t off, uint32_t *out)
{
	struct kbits_job_attr a;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_attr(j, &a);
	if (err == 0)
		memcpy(out, (const char *)&a + off, sizeof(*out));
	return err;
}

int kbits_job_get_priority(struct kbits_job *j, enum kbits_job_priority *out)
{
	uint32_t v;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_attr_u32(j, offsetof(struct kbits_job_attr, priority), &v);
	if (err == 0)
		*out = (enum kbits_job_priority)v;
	return err;
}

int kbits_job_set_priority(struct kbits_job *j, enum kbits_job_priority priority)
{
	return kbits_job_set_attr(j, KBITS_ATTR_PRIORITY, (uint32_t)priority);
}

int kbits_job_get_notify_flags(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_u32(j, offsetof(struct kbits_job_attr, notify_flags), out);
}

int kbits_job_set_notify_flags(struct kbits_job *j, uint32_t flags)
{
	return kbits_job_set_attr(j, KBITS_ATTR_NOTIFY_FLAGS, flags);
}

int kbits_job_get_min_retry_delay(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_u32(j, offsetof(struct kbits_job_attr, min_retry_delay), out);
}

int kbits_job_set_min_retry_delay(struct kbits_job *j, uint32_t seconds)
{
	return kbits_job_set_attr(j, KBITS_ATTR_MIN_RETRY_DELAY, seconds);
}

int kbits_job_get_no_progress_timeout(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_u32(j, offsetof(struct kbits_job_attr, no_progress_timeout),
				      out);
}

int kbits_job_set_no_progress_timeout(struct kbits_job *j, uint32_t seconds)
{
	return kbits_job_set_attr(j, KBITS_ATTR_NO_PROGRESS_TIMEOUT, seconds);
}

int kbits_job_get_flags(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_u32(j, offsetof(struct kbits_job_attr, flags), out);
}

int kbits_job_set_flags(struct kbits_job *j, uint32_t flags)
{
	return kbits_job_set_attr(j, KBITS_ATTR_FLAGS, flags);
}

int kbits_job_get_dynamic_content(struct kbits_job *j, bool *out)
{
	uint32_t flags;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_flags(j, &flags);
	if (err == 0)
		*out = (flags & KBITS_JOB_DYNAMIC_CONTENT) != 0;
	return err;
}

int kbits_job_set_dynamic_content(struct kbits_job *j, bool on)
{
	uint32_t flags;
	int err;

	/* the other flags stay as they are (a race with another setter aside) */
	err = kbits_job_get_flags(j, &flags);
	if (err < 0)
		return err;
	flags = on ? flags | KBITS_JOB_DYNAMIC_CONTENT : flags & ~KBITS_JOB_DYNAMIC_CONTENT;
	return kbits_job_set_flags(j, flags);
}

/*
 * A field of version 1 of struct kbits_job_attr: a module that knows only
 * version 0 writes back a smaller size and leaves it alone.
 */
static int kbits_job_get_attr_ver1(struct kbits_job *j, size_t off, uint32_t *out)
{
	struct kbits_job_attr a;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_attr(j, &a);
	if (err == 0 && a.size < KBITS_JOB_ATTR_SIZE_VER1)
		err = -EOPNOTSUPP;
	if (err == 0)
		memcpy(out, (const char *)&a + off, sizeof(*out));
	return err;
}

int kbits_job_get_max_download_time(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_ver1(j, offsetof(struct kbits_job_attr, max_download_time), out);
}

int kbits_job_set_max_download_time(struct kbits_job *j, uint32_t seconds)
{
	return kbits_job_set_attr(j, KBITS_ATTR_MAX_DOWNLOAD_TIME, seconds);
}

int kbits_job_get_transfer_time(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_ver1(j, offsetof(struct kbits_job_attr, transfer_time), out);
}

int kbits_job_get_error_count(struct kbits_job *j, uint32_t *out)
{
	return kbits_job_get_attr_u32(j, offsetof(struct kbits_job_attr, error_count), out);
}

int kbits_job_get_times(struct kbits_job *j, struct kbits_job_times *out)
{
	struct kbits_job_attr a;
	int err;

	if (!out)
		return -EINVAL;
	err = kbits_job_get_attr(j, &a);
	if (err == 0) {
		out->creation_time = a.creation_time;
		out->modification_time = a.modification_time;
		out->transfer_completion_time = a.completion_time;
	}
	return err;
}

/* The settable fields, as kbits_job_set_attrs() takes them. */
#define KBITS_JOB_ATTRS_MASK (KBITS_ATTR_PRIORITY | KBITS_ATTR_NOTIFY_FLAGS | \
			      KBITS_ATTR_MIN_RETRY_DELAY | KBITS_ATTR_NO_PROGRESS_TIMEOUT | \
			      KBITS_ATTR_FLAGS | KBITS_ATTR_MAX_DOWNLOAD_TIME)

_Static_assert(sizeof(struct kbits_job_attrs) == KBITS_JOB_ATTRS_SIZE_VER0,
	       "struct kbits_job_attrs changed size");

int kbits_job_get_attrs(struct kbits_job *j, struct kbits_job_attrs *out)
{
	struct kbits_job_attrs v;
	struct kbits_job_attr a;
	size_t size;
	int err;

	if (!out || out->size < KBITS_JOB_ATTRS_SIZE_VER0)
		return -EINVAL;
	err = kbits_job_get_attr(j, &a);
	if (err < 0)
		return err;
	if (a.size < KBITS_JOB_ATTR_SIZE_VER1)	/* a module without them left them 0 */
		a.max_download_time = a.transfer_time = 0;

	memset(&v, 0, sizeof(v));
	size = out->size < sizeof(v) ? out->size : sizeof(v);
	v.size = (uint32_t)size;
	v.priority = (enum kbits_job_priority)a.priority;
	v.notify_flags = a.notify_flags;
	v.min_retry_delay = a.min_retry_delay;
	v.no_progress_timeout = a.no_progress_timeout;
	v.max_download_time = a.max_download_time;
	v.flags = a.flags;
	v.error_count = a.error_count;
	v.transfer_time = a.transfer_time;
	v.creation_time = a.creation_time;
	v.modification_time = a.modification_time;
	v.transfer_completion_time = a.completion_time;
	memcpy(out, &v, size);
	return 0;
}

int kbits_job_set_attrs(struct kbits_job *j, uint32_t mask, const struct kbits_job_attrs *in)
{
	struct kbits_job_attr a;

	if (!j || !in || in->size < KBITS_JOB_ATTRS_SIZE_VER0 || (mask & ~KBITS_JOB_ATTRS_MASK))
		return -EINVAL;
	/* The kernel reads only what @mask names, and @flags must be 0 unless named. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mask = mask;
	a.priority = (uint32_t)in->priority;
	a.notify_flags = in->notify_flags;
	a.min_retry_delay = in->min_retry_delay;
	a.no_progress_timeout = in->no_progress_timeout;
	a.max_download_time = in->max_download_time;
	if (mask & KBITS_ATTR_FLAGS)
		a.flags = in->flags;
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_SET_ATTR, &a);
}

/*
 * May the caller write and search @dir, with its effective ids (as the
 * kernel judges a create)?  0, or a negative errno.
 *
 * faccessat(AT_EACCESS) is the faccessat2 system call, which an older
 * seccomp profile (a container's) refuses with EPERM or ENOSYS; glibc falls
 * back to fstatat only on ENOSYS, and then guesses from the mode bits.
 * Then: the old faccessat, which judges with the real ids, answers for the
 * effective ones when they are the same; when they differ there is no
 * honest answer here, and the check is left out: kbitsd, which writes the
 * file as the job's owner, reports a directory it may not write as the
 * job's LOCAL_FILE error.
 */
static int kbits_may_write_dir(const char *dir)
{
	int err;

	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	err = -errno;
	if (err != -EPERM && err != -ENOSYS)
		return err;
	if (getuid() != geteuid() || getgid() != getegid())
		return 0;
	if (syscall(SYS_faccessat, AT_FDCWD, dir, W_OK | X_OK) == 0)
		return 0;
	return -errno;
}

/* Has the caller CAP_FOWNER in its effective set? */
static bool kbits_has_cap_fowner(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_TO_INDEX(CAP_FOWNER)].effective & CAP_TO_MASK(CAP_FOWNER);
}

/*
 * Could the caller create @local_name, as a download's destination?  kbitsd
 * writes a temporary beside it and renames it over the name, as the job's
 * owner: what counts is the directory, which must be one the caller (its
 * effective ids and groups, as the kernel judges a create) may write and
 * search.  An existing file of that name is replaced, whatever its mode, as
 * mv replaces it; an existing directory cannot be.  In a sticky directory
 * (/tmp) the rename may replace only a file of the caller's, or any file
 * when the directory is the caller's or the caller has CAP_FOWNER (the
 * kernel's rule for a delete there): another user's file is -EACCES.
 */
int kbits_check_local_name(const char *local_name)
{
	const char *slash;
	struct stat st, dst;
	char *dir;
	int err = 0;

	if (!local_name || local_name[0] != '/')
		return -EINVAL;	/* the kernel takes absolute names only */
	if (strlen(local_name) > KBITS_LOCAL_NAME_MAX)
		return -ENAMETOOLONG;
	slash = strrchr(local_name, '/');
	if (!slash[1])
		return -EISDIR;	/* "/dir/": a directory's name, no file's */
	dir = slash == local_name ? strdup("/")
				  : strndup(local_name, (size_t)(slash - local_name));
	if (!dir)
		return -ENOMEM;
	if (stat(dir, &dst) < 0)
		err = -errno;
	else if (!S_ISDIR(dst.st_mode))
		err = -ENOTDIR;
	else
		err = kbits_may_write_dir(dir);
	free(dir);
	if (err || lstat(local_name, &st) < 0)
		return err;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if ((dst.st_mode & S_ISVTX) && st.st_uid != geteuid() && dst.st_uid != geteuid() &&
	    !kbits_has_cap_fowner())
		return -EACCES;
	return 0;
}

/* The checks of kbits_check_local_name() for a download job's files. */
static int kbits_job_check_files(struct kbits_job *j, const struct kbits_file_info *files,
				 size_t n)
{
	enum kbits_job_type type;
	size_t i;
	int err;

	err = kbits_job_get_type(j, &type);
	if (err < 0)
		return err;
	/* an upload's local file is its source, which kbitsd does not read yet */
	if (type != KBITS_JOB_TYPE_DOWNLOAD)
		return 0;
	for (i = 0; i < n; i++) {
		err = kbits_check_local_name(files[i].local_name);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Adds @n files, all or none; @sha256, when not NULL, holds each one's
 * expected digest.  The specs are version 1's: without a digest their new
 * fields are 0, which a module that knows only version 0 takes; with one
 * such a module refuses them (-E2BIG: bytes it does not know).
 */
static int kbits_job_add_specs(struct kbits_job *j, const struct kbits_file_info *files,
			       size_t n, const uint8_t (*sha256)[KBITS_SHA256_SIZE])
{
	struct kbits_file_spec *specs;
	struct kbits_add_files args;
	size_t i;
	int err;

	if (!j || !files || !n || n > UINT32_MAX)
		return -EINVAL;
	specs = calloc(n, sizeof(*specs));
	if (!specs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t rlen, llen;

		if (!files[i].remote_name || !files[i].local_name) {
			free(specs);
			return -EINVAL;
		}
		rlen = strlen(files[i].remote_name);
		llen = strlen(files[i].local_name);
		if (rlen > KBITS_REMOTE_NAME_MAX || llen > KBITS_LOCAL_NAME_MAX) {
			free(specs);
			return -ENAMETOOLONG;
		}
		specs[i].remote = (uintptr_t)files[i].remote_name;
		specs[i].local = (uintptr_t)files[i].local_name;
		specs[i].remote_len = (uint32_t)rlen;
		specs[i].local_len = (uint32_t)llen;
		if (sha256) {
			specs[i].flags = KBITS_FILE_SHA256;
			memcpy(specs[i].sha256, sha256[i], KBITS_SHA256_SIZE);
		}
	}
	/* all or none: a file refused here adds none */
	err = kbits_job_check_files(j, files, n);
	if (err < 0) {
		free(specs);
		return err;
	}
	memset(&args, 0, sizeof(args));
	args.size = sizeof(args);
	args.count = (uint32_t)n;
	args.entry_size = sizeof(*specs);
	args.files = (uintptr_t)specs;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_ADD_FILES, &args);
	free(specs);
	return err;
}

int kbits_job_add_file_set(struct kbits_job *j, const struct kbits_file_info *files, size_t n)
{
	return kbits_job_add_specs(j, files, n, NULL);
}

int kbits_job_add_file(struct kbits_job *j, const char *remote_name, const char *local_name)
{
	struct kbits_file_info f = { remote_name, local_name };

	return kbits_job_add_specs(j, &f, 1, NULL);
}

int kbits_job_add_file_sha256(struct kbits_job *j, const char *remote_name,
			      const char *local_name, const uint8_t sha256[KBITS_SHA256_SIZE])
{
	struct kbits_file_info f = { remote_name, local_name };

	if (!sha256)
		return -EINVAL;
	return kbits_job_add_specs(j, &f, 1, (const uint8_t (*)[KBITS_SHA256_SIZE])sha256);
}

void kbits_files_free(struct kbits_file *files, size_t n)
{
	size_t i;

	if (!files)
		return;
	for (i = 0; i < n; i++) {
		free(files[i].remote_name);
		free(files[i].local_name);
	}
	free(files);
}

/*
 * GET_FILE of file @index into @a (version 1: a module that knows only
 * version 0 leaves mode and sha256 0); its names malloc'd into *@remote and
 * *@local.  GET_FILE writes the names only into buffers that hold them.
 */
static int kbits_job_read_file(struct kbits_job *j, uint32_t index, struct kbits_job_file *a,
			       char **remote_out, char **local_out)
{
	char *remote = malloc(KBITS_REMOTE_NAME_MAX + 1);
	char *local = malloc(KBITS_LOCAL_NAME_MAX + 1);
	int err;

	if (!remote || !local) {
		err = -ENOMEM;
		goto fail;
	}
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->index = index;
	a->remote = (uintptr_t)remote;
	a->remote_len = KBITS_REMOTE_NAME_MAX + 1;
	a->local = (uintptr_t)local;
	a->local_len = KBITS_LOCAL_NAME_MAX + 1;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_FILE, a);
	if (err < 0)
		goto fail;
	*remote_out = remote;
	*local_out = local;
	return 0;
fail:
	free(remote);
	free(local);
	return err;
}

/* File @index into @f; its names malloc'd. */
static int kbits_job_get_file(struct kbits_job *j, uint32_t index, struct kbits_file *f)
{
	struct kbits_job_file a;
	char *remote, *local;
	int err;

	err = kbits_job_read_file(j, index, &a, &remote, &local);
	if (err < 0)
		return err;
	f->remote_name = remote;
	f->local_name = local;
	f->bytes_total = a.bytes_total;
	f->bytes_transferred = a.bytes_transferred;
	f->completed = !!(a.flags & KBITS_FILE_COMPLETED);
	return 0;
}

int kbits_job_get_file_attrs(struct kbits_job *j, uint32_t index, struct kbits_file_attrs *out)
{
	struct kbits_file_attrs v;
	struct kbits_job_file a;
	char *remote, *local;
	size_t size;
	int err;

	if (!j || !out || out->size < KBITS_FILE_ATTRS_SIZE_VER0)
		return -EINVAL;
	err = kbits_job_read_file(j, index, &a, &remote, &local);
	if (err < 0)
		return err;
	free(remote);
	free(local);

	memset(&v, 0, sizeof(v));
	size = out->size < sizeof(v) ? out->size : sizeof(v);
	v.size = (uint32_t)size;
	v.flags = a.flags;
	v.mode = a.mode;
	memcpy(v.sha256, a.sha256, sizeof(v.sha256));
	memcpy(out, &v, size);
	return 0;
}

int kbits_job_get_files(struct kbits_job *j, struct kbits_file **files, size_t *n)
{
	struct kbits_job_progress p;
	struct kbits_file *all;
	uint32_t i;
	int err;

	if (files)
		*files = NULL;
	if (n)
		*n = 0;
	if (!j || !files || !n)
		return -EINVAL;
	err = kbits_job_get_progress(j, &p);
	if (err < 0)
		return err;
	if (!p.files_total)
		return 0;
	all = calloc(p.files_total, sizeof(*all));
	if (!all)
		return -ENOMEM;
	/* Files are only ever added (Complete drops some, but then the job is
	 * final and nothing changes any more): stop where the list ends. */
	for (i = 0; i < p.files_total; i++) {
		err = kbits_job_get_file(j, i, &all[i]);
		if (err == -ENXIO)
			break;
		if (err < 0) {
			kbits_files_free(all, i);
			return err;
		}
	}
	*files = all;
	*n = i;
	return 0;
}

int kbits_job_get_progress(struct kbits_job *j, struct kbits_job_progress *out)
{
	if (!j || !out)
		return -EINVAL;
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_PROGRESS, out);
}

int kbits_job_resume(struct kbits_job *j)
{
	return j ? kbits_ioctl(j->fd, KBITS_JOB_IOC_RESUME, NULL) : -EINVAL;
}

int kbits_job_suspend(struct kbits_job *j)
{
	return j ? kbits_ioctl(j->fd, KBITS_JOB_IOC_SUSPEND, NULL) : -EINVAL;
}

int kbits_job_complete(struct kbits_job *j)
{
	return j ? kbits_ioctl(j->fd, KBITS_JOB_IOC_COMPLETE, NULL) : -EINVAL;
}

int kbits_job_next_event(struct kbits_job *j, struct kbits_event *out, int timeout_ms)
{
	struct pollfd p;
	ssize_t n;
	int r;

	if (!j || !out || timeout_ms < -1)
		return -EINVAL;
	p.fd = j->fd;
	p.events = POLLIN;
	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	/* POLLIN: a record is there, so this read does not block. */
	do {
		n = read(j->fd, out, sizeof(*out));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)		/* the job is final, and every event was read */
		return -EBADFD;
	return n == sizeof(*out) ? 0 : -EIO;
}

/*
 * TAKE_OWNERSHIP revokes every fd of the job, j's included, and returns a
 * new one: it takes j's place under j's fd number, so that j stays valid
 * while every copy of the old fd, here or elsewhere, is revoked.
 */
int kbits_job_take_ownership(struct kbits_job *j)
{
	int fd, r;

	if (!j)
		return -EINVAL;
	fd = kbits_ioctl(j->fd, KBITS_JOB_IOC_TAKE_OWNERSHIP, NULL);
	if (fd < 0)
		return fd;
	/* EBUSY: a race with another thread's open(); nothing else fails */
	do {
		r = dup3(fd, j->fd, O_CLOEXEC);
	} while (r < 0 && (errno == EBUSY || errno == EINTR));
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

/*
 * kbits_job_get_error has two versions.  struct kbits_error grew @flags in
 * LIBKBITS_0.5, and a program built before allocated the old struct:
 * kbits_job_get_error@LIBKBITS_0.1, which such programs are bound to,
 * writes that layout and nothing past it; @@LIBKBITS_0.5, the default that
 * programs link to now, the new one.  A program that reads @flags thus
 * needs a library that fills it (its LIBKBITS_0.5 reference says so).
 */
struct kbits_error_v0_1 {
	enum kbits_error_context context;
	int code;
	uint32_t file_index;
	char *text;
};

_Static_assert(offsetof(struct kbits_error, text) == offsetof(struct kbits_error_v0_1, text),
	       "struct kbits_error's old members moved");
_Static_assert(sizeof(struct kbits_error) > sizeof(struct kbits_error_v0_1),
	       "struct kbits_error did not grow");

/* The job's last error: 0 with *text malloc'd, or a negative errno. */
static int kbits_job_read_error(struct kbits_job *j, struct kbits_job_error *e, char **text)
{
	char *t;
	int err;

	if (!j)
		return -EINVAL;
	t = malloc(KBITS_ERROR_TEXT_MAX + 1);
	if (!t)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->text_len = KBITS_ERROR_TEXT_MAX + 1;
	e->text = (uintptr_t)t;
	err = kbits_ioctl(j->fd, KBITS_JOB_IOC_GET_ERROR, e);
	if (err < 0) {
		free(t);
		return err;
	}
	*text = t;
	return 0;
}

/*
 * Binds @fn to the versioned name @ver.  gcc (10 and later) has an
 * attribute, right under LTO too; clang (14) only the assembler's directive.
 */
#if defined(__has_attribute) && __has_attribute(symver)
#define KBITS_SYMVER(fn, ver) extern __typeof__(fn) fn __attribute__((symver(ver)))
#else
#define KBITS_SYMVER(fn, ver) __asm__(".symver " #fn ", " ver)
#endif

int kbits_job_get_error_v0_1(struct kbits_job *j, struct kbits_error_v0_1 *out);
int kbits_job_get_error_v0_5(struct kbits_job *j, struct kbits_error *out);

int kbits_job_get_error_v0_5(struct kbits_job *j, struct kbits_error *out)
{
	struct kbits_job_error e;
	char *text;
	int err;

	if (!out)
		return -EINVAL;
	out->text = NULL;
	err = kbits_job_read_error(j, &e, &text);
	if (err < 0)
		return err;
	out->context = (enum kbits_error_context)e.context;
	out->code = e.code;
	out->file_index = e.file_index;
	out->text = text;
	out->flags = e.flags;
	return 0;
}
KBITS_SYMVER(kbits_job_get_error_v0_5, "kbits_job_get_error@@LIBKBITS_0.5");

/* The old layout, for binaries linked before 0.5: no byte past it is written. */
int kbits_job_get_error_v0_1(struct kbits_job *j, struct kbits_error_v0_1 *out)
{
	struct kbits_error e;
	int err;

	if (!out)
		return -EINVAL;
	out->text = NULL;
	err = kbits_job_get_error_v0_5(j, &e);
	if (err < 0)
		return err;
	out->context = e.context;
	out->code = e.code;
	out->file_index = e.file_index;
	out->text = e.text;
	return 0;
}
KBITS_SYMVER(kbits_job_get_error_v0_1, "kbits_job_get_error@LIBKBITS_0.1");

int kbits_job_cancel(struct kbits_job *j)
{
	if (!j)
		return -EINVAL;
	return kbits_ioctl(j->fd, KBITS_JOB_IOC_CANCEL, NULL);
}

/* ----------------------------------------------------------------- names */

const char *kbits_job_state_name(enum kbits_job_state s)
{
	switch (s) {
	case KBITS_JOB_STATE_QUEUED:		return "QUEUED";
	case KBITS_JOB_STATE_CONNECTING:	return "CONNECTING";
	case KBITS_JOB_STATE_TRANSFERRING:	return "TRANSFERRING";
	case KBITS_JOB_STATE_SUSPENDED:		return "SUSPENDED";
	case KBITS_JOB_STATE_ERROR:		return "ERROR";
	case KBITS_JOB_STATE_TRANSIENT_ERROR:	return "TRANSIENT_ERROR";
	case KBITS_JOB_STATE_TRANSFERRED:	return "TRANSFERRED";
	case KBITS_JOB_STATE_ACKNOWLEDGED:	return "ACKNOWLEDGED";
	case KBITS_JOB_STATE_CANCELLED:		return "CANCELLED";
	}
	return "UNKNOWN";
}


static const char *const priority_names[] = {
	[KBITS_PRIORITY_FOREGROUND]	= "foreground",
	[KBITS_PRIORITY_HIGH]		= "high",
	[KBITS_PRIORITY_NORMAL]		= "normal",
	[KBITS_PRIORITY_LOW]		= "low",
};

static const char *const type_names[] = {
	[KBITS_JOB_TYPE_DOWNLOAD]	= "DOWNLOAD",
	[KBITS_JOB_TYPE_UPLOAD]		= "UPLOAD",
	[KBITS_JOB_TYPE_UPLOAD_REPLY]	= "UPLOAD_REPLY",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *kbits_job_type_name(enum kbits_job_type t)
{
	return (unsigned int)t < ARRAY_SIZE(type_names) ? type_names[t] : "UNKNOWN";
}

const char *kbits_job_priority_name(enum kbits_job_priority p)
{
	return (unsigned int)p < ARRAY_SIZE(priority_names) ? priority_names[p] : "unknown";
}

const char *kbits_error_context_name(enum kbits_error_context c)
{
	switch (c) {
	case KBITS_ERROR_CONTEXT_NONE:			return "NONE";
	case KBITS_ERROR_CONTEXT_GENERAL:		return "GENERAL";
	case KBITS_ERROR_CONTEXT_LOCAL_FILE:		return "LOCAL_FILE";
	case KBITS_ERROR_CONTEXT_REMOTE_FILE:		return "REMOTE_FILE";
	case KBITS_ERROR_CONTEXT_TRANSPORT:		return "TRANSPORT";
	case KBITS_ERROR_CONTEXT_REMOTE_APPLICATION:	return "REMOTE_APPLICATION";
	}
	return "UNKNOWN";
}

/* ASCII only: toupper() would follow the locale (a Turkish 'i'). */
static char name_char(char c)
{
	if (c == '-')
		return '_';
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* @name is @want, case aside, with '-' for '_'. */
static bool name_matches(const char *name, const char *want)
{
	for (; *name && *want; name++, want++)
		if (name_char(*name) != name_char(*want))
			return false;
	return !*name && !*want;
}

/* The index of @name in @names, or -EINVAL. */
static int name_index(const char *name, const char *const *names, size_t n)
{
	size_t i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (name_matches(name, names[i]))
			return (int)i;
	return -EINVAL;
}

int kbits_job_priority_from_name(const char *name, enum kbits_job_priority *out)
{
	int i = name_index(name, priority_names, ARRAY_SIZE(priority_names));

	if (i < 0 || !out)
		return -EINVAL;
	*out = (enum kbits_job_priority)i;
	return 0;
}

int kbits_job_type_from_name(const char *name, enum kbits_job_type *out)
{
	int i = name_index(name, type_names, ARRAY_SIZE(type_names));

	if (i < 0 || !out)
		return -EINVAL;
	*out = (enum kbits_job_type)i;
	return 0;
}

bool kbits_job_state_is_final(enum kbits_job_state s)
{
	return s == KBITS_JOB_STATE_ACKNOWLEDGED || s == KBITS_JOB_STATE_CANCELLED;
}

const char *kbits_strerror(int err)
{
	const char *s;
	int e;

	if (err == 0)
		return "success";
	if (err == INT_MIN)
		return "unknown error";
	e = err < 0 ? -err : err;

	switch (e) {
	/*
	 * ENOENT and EACCES are the job's, and since LIBKBITS_0.4 also a
	 * download's local file's (kbits_check_local_name(), which
	 * kbits_job_add_file_set() calls): the texts name both.
	 */
	case ENOENT:
		return "not found: no such job in the queue, or no such directory for a "
		       "local file (BG_E_NOT_FOUND)";
	case EACCES:
		return "access denied: the job belongs to another user, or a local file "
		       "may not be created or replaced in its directory (E_ACCESSDENIED)";
	case EBADFD:
		return "the job's state does not allow this (BG_E_INVALID_STATE)";
	case ENODATA:
		return "the job has no files (BG_E_EMPTY)";
	case ENOMSG:
		return "the job has no error information (BG_E_ERROR_INFORMATION_UNAVAILABLE)";
	case EDQUOT:
		return "too many jobs for this user (BG_E_TOO_MANY_JOBS_PER_USER)";
	case ENOSPC:
		return "too many jobs on this machine (BG_E_TOO_MANY_JOBS_PER_MACHINE)";
	case E2BIG:
		return "too many files in the job (BG_E_TOO_MANY_FILES_IN_JOB)";
	case ENAMETOOLONG:
		return "string too long (BG_E_STRING_TOO_LONG)";
	case EBADF:
		return "not a kbits job descriptor";
	case ENXIO:
		return "no such file in the job";
	case EINVAL:
		return "invalid argument (E_INVALIDARG)";
	case ENOMEM:
		return "out of memory (E_OUTOFMEMORY)";
	case ENOTTY:
		return "the kbits module does not know this request (E_NOTIMPL)";
	case EDESTADDRREQ:
		return "the upload-reply job has no reply file";
	}

#ifdef HAVE_STRERRORDESC_NP
	s = strerrordesc_np(e);		/* constant strings: thread-safe */
#else
	s = strerror(e);
#endif
	return s ? s : "unknown error";
}

uint32_t kbits_hresult(int err)
{
	switch (err) {
	case 0:			return 0x00000000;	/* S_OK */
	case KBITS_COMPLETE_PARTIAL: return 0x00200017;	/* BG_S_PARTIAL_COMPLETE */
	case -ENOENT:		return 0x80200001;	/* BG_E_NOT_FOUND */
	case -EBADFD:		return 0x80200002;	/* BG_E_INVALID_STATE */
	case -ENODATA:		return 0x80200003;	/* BG_E_EMPTY */
	case -ENOMSG:		return 0x8020000F;	/* BG_E_ERROR_INFORMATION_UNAVAILABLE */
	case -ENAMETOOLONG:	return 0x80200021;	/* BG_E_STRING_TOO_LONG */
	case -EDQUOT:		return 0x80200049;	/* BG_E_TOO_MANY_JOBS_PER_USER */
	case -ENOSPC:		return 0x80200050;	/* BG_E_TOO_MANY_JOBS_PER_MACHINE */
	case -E2BIG:		return 0x80200051;	/* BG_E_TOO_MANY_FILES_IN_JOB */
	case -EACCES:
	case -EPERM:		return 0x80070005;	/* E_ACCESSDENIED */
	case -EINVAL:
	case -EBADF:		return 0x80070057;	/* E_INVALIDARG */
	case -ENOMEM:		return 0x8007000E;	/* E_OUTOFMEMORY */
	case -ENOTTY:		return 0x80004001;	/* E_NOTIMPL */
	/*
	 * A download's local file (kbits_check_local_name()): Win32 errors
	 * as HRESULTs.  Its -ENOENT (no such directory) stays BG_E_NOT_FOUND
	 * above: errno alone cannot tell it from a job's, libkbits(3).
	 */
	case -ENOTDIR:		return 0x80070003;	/* ERROR_PATH_NOT_FOUND */
	case -EROFS:		return 0x80070013;	/* ERROR_WRITE_PROTECT */
	case -EISDIR:		return 0x80070150;	/* ERROR_DIRECTORY_NOT_SUPPORTED */
	}
	return 0x80004005;				/* E_FAIL */
}
