// SPDX-License-Identifier: GPL-2.0
/*
 * kbits_fuzz: a seeded, reproducible fuzzer for /dev/kbits, its job fds and
 * the agent fd, in two modes.
 *
 *	kbits_fuzz [--seed N] [--seconds S] [--iterations N]
 *		   [--mode both|stateful|mutation]
 *
 * It prints "# seed N" first.  Each process draws its choices from its own
 * PRNG, seeded from N: the same seed makes the same sequence of choices in
 * each process; what the kernel answers (and so what comes next) may differ
 * with timing between the processes.
 *
 * The stateful model (the main mode, 60% of the time; --mode stateful for
 * all of it) knows the protocol.  As root it runs four processes that share
 * nothing but the kernel: the agent (root, attached with
 * KBITS_AGENT_PLACES_FILES mostly), an administrator (root) and two users
 * (uids FUZZ_UID + 1 and + 2, through setresuid()).  Each keeps what it
 * believes of its jobs (the users and the administrator: the fd, GUID,
 * type, files added, state as last read; the agent: the jobs its events
 * announced, which it took, how far each file got, which COMPLETE waits
 * for it) and mostly makes the calls valid in that state: CREATE_JOB,
 * ADD_FILES, the setters, RESUME; the agent's TAKE_JOB, PROGRESS of each
 * file, ERROR (transient or final), REQUEUE, JOB_NS, TRANSFERRED; the
 * user's COMPLETE, which sleeps until the agent answers its COMPLETING with
 * PLACED (an errno now and then).  The races come from the processes: a
 * user's COMPLETE and CANCEL against the agent's PROGRESS and PLACED, the
 * administrator's ENUM_JOBS (all users) and TAKE_OWNERSHIP while the user
 * has its fds open (they are revoked), the agent detaching and attaching
 * again while COMPLETEs wait.  A share of the calls has one field mutated
 * (the size, a bit of the GUID, any u32 of an argument the kernel only
 * reads) and a share is made out of order (RESUME, SUSPEND, COMPLETE,
 * TAKE_OWNERSHIP, CANCEL, TRANSFERRED, REQUEUE, PLACED whatever the state).
 * The fuzzer cannot unload the module (other tests run around it), so it
 * does to a job what a reload does: the agent EXPORTs it, CANCELs it (its
 * GUID is then free), IMPORTs the record (its user finds the job again with
 * ENUM_JOBS and GET_JOB), and it also IMPORTs mutated records (a new GUID
 * mostly; what they make it cancels).  Not as root: one stateful user,
 * without an agent.
 *
 * The mutation fuzzer (the rest of the time; --mode mutation for all of it)
 * picks an fd from a small pool (/dev/kbits fds, job fds, the agent fd when
 * root, and fds of the wrong kind: /dev/null, a pipe, an eventfd) and a
 * command (every command of the UAPI, random command numbers in the kbits
 * magic with random sizes and directions, now and then any number at all),
 * and builds the argument by shape: a valid struct whose fields come from
 * interesting values, at its first size, larger with a zero tail, larger
 * with a non-zero tail or smaller; pointers to a valid buffer, NULL, an
 * unmapped page, a kernel address or a buffer that ends at a guard page;
 * strings of valid UTF-8, invalid UTF-8 or with a NUL; or plain garbage.
 * It also reads and polls job and agent fds, closes and reopens fds, and
 * forks children that do a few steps and exit.  As root it runs first as
 * root (with the agent), then, in a child, as FUZZ_UID.
 *
 * It never checks what a single call returns: the kernel decides.  What it
 * checks is that nothing crashes or hangs (the VM runner checks the kernel
 * log afterwards: tests/vm/check-dmesg), and that every command of the
 * UAPI succeeded at least once in the run (as root; unprivileged, all but
 * the agent's, TAKE_OWNERSHIP and GET_ERROR).  At the end it cancels every job it can
 * find, and prints per command "# NAME NR CALLS OK".  TAP: 1..2, test 1 for
 * the run, test 2 for the commands.
 *
 * It uses only its own PRNG (splitmix64 to seed, xorshift64* to run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kbits.h>

#include "kbits_rng.h"

#define DEV_PATH	"/dev/kbits"
#define FUZZ_UID	2900		/* the unprivileged phase's uid */
#define KADDR		0xffff888000000000ull
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- random choices (kbits_rng.h has the PRNG) ------------------------- */

static bool chance(struct rng *r, uint32_t percent)
{
	return rnd(r, 100) < percent;
}

static const uint32_t interesting32[] = {
	0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 23, 24, 25, 31, 32, 33, 39, 40, 41,
	47, 48, 55, 56, 57, 63, 64, 127, 128, 135, 136, 255, 256, 257, 1023,
	1024, 1025, 2199, 2200, 2201, 3999, 4000, 4001, 4094, 4095, 4096, 4097,
	8191, 8192, 8193, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
};

static const uint64_t interesting64[] = {
	0, 1, 2, 0xff, 0x100, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xfffffffffffffffeull, 0xffffffffffffffffull,
};

static uint32_t any32(struct rng *r)
{
	switch (rnd(r, 4)) {
	case 0:
		return (uint32_t)rnd64(r);
	case 1:
		return rnd(r, 16);
	default:
		return interesting32[rnd(r, ARRAY_SIZE(interesting32))];
	}
}

static uint64_t any64(struct rng *r)
{
	switch (rnd(r, 4)) {
	case 0:
		return rnd64(r);
	case 1:
		return any32(r);
	default:
		return interesting64[rnd(r, ARRAY_SIZE(interesting64))];
	}
}

/* @valid most of the time, else an interesting or random value. */
static uint32_t f32(struct rng *r, uint32_t valid)
{
	return chance(r, 75) ? valid : any32(r);
}

static uint64_t f64(struct rng *r, uint64_t valid)
{
	return chance(r, 75) ? valid : any64(r);
}

/* ---- memory the kernel may scribble on --------------------------------- */

/*
 * Arguments live in scratch memory only: a bump arena followed by a guard
 * page, and a few slots that each end at a guard page.  Whatever lengths a
 * step claims, the kernel can then write only to scratch memory (or fault),
 * never to the fuzzer's own state.
 */
#define ARENA_SIZE	(4u << 20)
#define SLOT_SIZE	(128u << 10)
#define NR_SLOTS	6

static uint8_t *arena;
static size_t arena_used;
static uint8_t *slots[NR_SLOTS];	/* each: SLOT_SIZE bytes, then a guard */
static unsigned int slot_next;
static uint64_t unmapped_addr, noaccess_addr;
static long pagesz;

static uint8_t *map_guarded(size_t size)
{
	uint8_t *p = mmap(NULL, size + pagesz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	if (mprotect(p + size, pagesz, PROT_NONE)) {
		perror("mprotect");
		exit(1);
	}
	return p;
}

static void memory_init(void)
{
	void *p;
	int i;

	pagesz = sysconf(_SC_PAGESIZE);
	arena = map_guarded(ARENA_SIZE);
	for (i = 0; i < NR_SLOTS; i++)
		slots[i] = map_guarded(SLOT_SIZE);
	/*
	 * A page with no access, kept mapped: a page unmapped here would be
	 * handed out again by a later mmap(), and the kernel would then write
	 * "through a bad pointer" into live memory of ours.
	 */
	p = mmap(NULL, pagesz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	noaccess_addr = (uintptr_t)p;
	/* And an address with nothing mapped, far below where mmap() goes. */
	unmapped_addr = 0xa0000000ull;
	if (msync((void *)(uintptr_t)unmapped_addr, pagesz, MS_ASYNC) != -1 || errno != ENOMEM)
		unmapped_addr = noaccess_addr;
}

static void arena_reset(void)
{
	arena_used = 0;
	slot_next = 0;
}

/* @n bytes of the arena (zeroed), 8-aligned; NULL when it is full. */
static uint8_t *bump(size_t n)
{
	uint8_t *p;

	if (n > ARENA_SIZE - 64 || arena_used + n + 64 > ARENA_SIZE)
		return NULL;
	p = arena + arena_used;
	memset(p, 0, n + 64);
	arena_used += (n + 64 + 7) & ~(size_t)7;
	return p;
}

/* @n bytes that end exactly at a guard page; NULL when too big. */
static uint8_t *at_guard(size_t n)
{
	uint8_t *s = slots[slot_next++ % NR_SLOTS];

	if (n > SLOT_SIZE)
		return NULL;
	memset(s + SLOT_SIZE - n, 0, n);
	return s + SLOT_SIZE - n;
}

/* A pointer that is wrong: NULL, unmapped, a kernel address, ... */
static uint64_t bad_ptr(struct rng *r)
{
	switch (rnd(r, 7)) {
	case 0:
		return 0;
	case 1:
		return unmapped_addr;
	case 6:
		return noaccess_addr;
	case 2:
		return KADDR;
	case 3:
		return KADDR + rnd(r, 1u << 20);
	case 4:		/* non-canonical */
		return rnd64(r) | 0x8000000000000000ull;
	default:	/* below mmap_min_addr */
		return rnd(r, 4096);
	}
}

/*
 * Where to put @n bytes at @src: usually the arena, sometimes so that they
 * end at a guard page, sometimes nowhere valid.  Returns the address.
 */
static uint64_t place(struct rng *r, const void *src, size_t n, uint32_t good_percent)
{
	uint8_t *p;
	uint32_t c = rnd(r, 100);

	if (c < good_percent)
		p = bump(n);
	else if (c < good_percent + (100 - good_percent) / 2)
		p = at_guard(n);
	else
		return bad_ptr(r);
	if (!p)
		return bad_ptr(r);
	if (src && n)
		memcpy(p, src, n);
	return (uintptr_t)p;
}

/* ---- strings ----------------------------------------------------------- */

enum str_kind {
	STR_ASCII, STR_UTF8, STR_BAD_UTF8, STR_NUL, STR_PATH, STR_URL,
	STR_HEADERS, STR_PROXY, STR_RANDOM, NR_STR_KINDS,
};

static const char *const utf8_bits[] = {
	"a", "Z", " ", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "-", "/",
};
static const char *const bad_utf8_bits[] = {
	"\xff", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80",
	"\xf4\x90\x80\x80", "\xc3",
};
static const char *const url_prefixes[] = {
	"http://example.com/", "https://example.com/a/", "file:///tmp/",
	"HTTP://EXAMPLE.COM/", "HtTpS://h/", "ftp://x/", "http:/", "file://rel/",
	"/abs/path/", "rel/path", "file://", "http://", "",
};
static const char *const header_bits[] = {
	"X-A: b", "\r\n", "Name: value", ": novalue", "Bad Name: x", "\r", "\n",
	"X-\x01: y", "Accept: */*",
};
static const char *const proxy_bits[] = {
	"http://proxy:8080", " ", ",", "socks5://p", "host", "*", ";",
};

static void fill_from(struct rng *r, uint8_t *d, size_t n,
		      const char *const *bits, size_t nbits)
{
	size_t i = 0;

	while (i < n) {
		const char *b = bits[rnd(r, nbits)];
		size_t l = strlen(b);

		if (l > n - i)
			l = n - i;
		memcpy(d + i, b, l);
		i += l;
	}
}

static void fill_string(struct rng *r, uint8_t *d, size_t n, enum str_kind k)
{
	size_t i, l;
	const char *pre;

	switch (k) {
	case STR_ASCII:
		for (i = 0; i < n; i++)
			d[i] = 'a' + rnd(r, 26);
		break;
	case STR_UTF8:
		fill_from(r, d, n, utf8_bits, ARRAY_SIZE(utf8_bits));
		break;
	case STR_BAD_UTF8:
		fill_from(r, d, n, utf8_bits, ARRAY_SIZE(utf8_bits));
		if (n) {
			const char *b = bad_utf8_bits[rnd(r, ARRAY_SIZE(bad_utf8_bits))];

			l = strlen(b);
			i = rnd(r, n);
			memcpy(d + i, b, l < n - i ? l : n - i);
		}
		break;
	case STR_NUL:
		fill_string(r, d, n, STR_ASCII);
		if (n)
			d[rnd(r, n)] = 0;
		break;
	case STR_PATH:
		fill_string(r, d, n, STR_ASCII);
		if (n)
			d[0] = '/';
		for (i = 1; i < n; i++)
			if (!rnd(r, 8))
				d[i] = '/';
		break;
	case STR_URL:
		pre = url_prefixes[rnd(r, ARRAY_SIZE(url_prefixes))];
		fill_string(r, d, n, chance(r, 80) ? STR_ASCII : STR_UTF8);
		l = strlen(pre);
		memcpy(d, pre, l < n ? l : n);
		break;
	case STR_HEADERS:
		fill_from(r, d, n, header_bits, ARRAY_SIZE(header_bits));
		break;
	case STR_PROXY:
		fill_from(r, d, n, proxy_bits, ARRAY_SIZE(proxy_bits));
		break;
	default:
		for (i = 0; i < n; i++)
			d[i] = (uint8_t)rnd64(r);
		break;
	}
}

/* A length for a string whose limit is @max. */
static uint32_t str_len(struct rng *r, uint32_t max)
{
	switch (rnd(r, 10)) {
	case 0:
		return 0;
	case 1:
		return max;
	case 2:
		return max + 1;
	case 3:
		return 1 + rnd(r, max);
	case 4:
		return rnd(r, 2 * max + 2);
	default:
		return 1 + rnd(r, max < 48 ? max : 48);
	}
}

/*
 * A string of up to @max bytes, mostly of kind @kind: its address, and in
 * *len the length to claim (usually its own).
 */
static uint64_t put_string(struct rng *r, uint32_t max, enum str_kind kind, uint32_t *len)
{
	uint32_t n = str_len(r, max);
	uint8_t tmp[16384];
	enum str_kind k = chance(r, 75) ? kind : (enum str_kind)rnd(r, NR_STR_KINDS);

	if (n > sizeof(tmp))
		n = sizeof(tmp);
	fill_string(r, tmp, n, k);
	*len = chance(r, 90) ? n : any32(r);
	return place(r, tmp, n, 80);
}

/* An output buffer: its address, and in *len the room to claim. */
static uint64_t put_outbuf(struct rng *r, uint32_t *len)
{
	static const uint32_t rooms[] = {
		0, 1, 2, 16, 256, 257, 1024, 1025, 4000, 4001, 4096, 8192, 8193, 65536,
	};
	uint32_t n = rooms[rnd(r, ARRAY_SIZE(rooms))];

	*len = chance(r, 85) ? n : any32(r);
	return place(r, NULL, n, 75);
}

/* ---- the fd pool, GUIDs, records ---------------------------------------- */

enum fd_kind { K_NONE, K_DEV, K_JOB, K_AGENT, K_OTHER };

#define NR_POOL		20
#define NR_GUIDS	64
#define NR_OWNED	48	/* jobs made here; older ones are cancelled */
#define NR_RECORDS	4
#define RECORD_MAX	(256u << 10)

struct slot {
	int fd;
	enum fd_kind kind;
};

struct fz {
	struct rng r;
	bool root;
	bool child;		/* a forked helper: no forks, no pool upkeep */
	uint64_t calls;
	struct slot pool[NR_POOL];
	bool agent_places;	/* the agent fd in the pool places files */
	uint8_t guids[NR_GUIDS][KBITS_GUID_SIZE];
	unsigned int nguids;
	uint8_t owned[NR_OWNED][KBITS_GUID_SIZE];
	unsigned int nowned;
	uint8_t *records[NR_RECORDS];
	uint32_t record_len[NR_RECORDS];
	uint64_t cursors[4];
};

static void count_cmd(unsigned long cmd, long ret);

/* Every ioctl of the fuzzer goes through here: counted per UAPI command. */
static long sys_ioctl(struct fz *z, int fd, unsigned long cmd, uint64_t arg)
{
	long ret;
	int e;

	z->calls++;
	ret = syscall(SYS_ioctl, fd, cmd, (unsigned long)arg);
	e = errno;
	count_cmd(cmd, ret);
	errno = e;
	return ret;
}

static void add_guid(struct fz *z, const uint8_t *id)
{
	memcpy(z->guids[z->nguids++ % NR_GUIDS], id, KBITS_GUID_SIZE);
}

static void pick_guid(struct fz *z, uint8_t *id)
{
	struct rng *r = &z->r;
	unsigned int n = z->nguids < NR_GUIDS ? z->nguids : NR_GUIDS;
	uint32_t c = rnd(r, 10);
	unsigned int i;

	if (n && c < 8) {
		memcpy(id, z->guids[rnd(r, n)], KBITS_GUID_SIZE);
		if (c == 7)
			id[rnd(r, KBITS_GUID_SIZE)] ^= 1u << rnd(r, 8);
	} else if (c == 8) {
		memset(id, 0, KBITS_GUID_SIZE);
	} else {
		for (i = 0; i < KBITS_GUID_SIZE; i++)
			id[i] = (uint8_t)rnd64(r);
	}
}

static int dev_fd(struct fz *z);

/*
 * A job made here (or imported) is owned: when more than NR_OWNED are,
 * the oldest is cancelled, which bounds what root (exempt from the job
 * limits) can pile up in the kernel.
 */
static void add_owned(struct fz *z, const uint8_t *id)
{
	uint8_t *old = z->owned[z->nowned % NR_OWNED];

	if (z->nowned >= NR_OWNED) {
		struct kbits_get_job g;
		int dev = dev_fd(z);
		long fd;

		memset(&g, 0, sizeof(g));
		g.size = sizeof(g);
		memcpy(g.id, old, KBITS_GUID_SIZE);
		fd = dev >= 0 ? sys_ioctl(z, dev, KBITS_IOC_GET_JOB, (uintptr_t)&g) : -1;
		if (fd >= 0) {
			sys_ioctl(z, fd, KBITS_JOB_IOC_CANCEL, 0);
			close(fd);
		}
	}
	memcpy(old, id, KBITS_GUID_SIZE);
	z->nowned++;
	add_guid(z, id);
}

static int pick_slot(struct fz *z, enum fd_kind kind)
{
	int idx[NR_POOL], n = 0, i;

	for (i = 0; i < NR_POOL; i++)
		if (z->pool[i].kind != K_NONE &&
		    (kind == K_NONE || z->pool[i].kind == kind))
			idx[n++] = i;
	return n ? idx[rnd(&z->r, n)] : -1;
}

static int dev_fd(struct fz *z)
{
	int i;

	for (i = 0; i < NR_POOL; i++)
		if (z->pool[i].kind == K_DEV)
			return z->pool[i].fd;
	return -1;
}

static int agent_slot(struct fz *z)
{
	int i;

	for (i = 0; i < NR_POOL; i++)
		if (z->pool[i].kind == K_AGENT)
			return i;
	return -1;
}

static void close_slot(struct fz *z, int i)
{
	if (z->pool[i].kind == K_NONE)
		return;
	if (z->pool[i].kind == K_AGENT)
		z->agent_places = false;
	z->calls++;
	close(z->pool[i].fd);
	z->pool[i].kind = K_NONE;
	z->pool[i].fd = -1;
}

/* Puts @fd in the pool, closing a random other fd when it is full. */
static void add_fd(struct fz *z, int fd, enum fd_kind kind)
{
	int i;

	if (fd < 0)
		return;
	/* A pool fd number that the kernel handed out again was closed. */
	for (i = 0; i < NR_POOL; i++)
		if (z->pool[i].kind != K_NONE && z->pool[i].fd == fd)
			z->pool[i].kind = K_NONE;
	for (i = 0; i < NR_POOL; i++)
		if (z->pool[i].kind == K_NONE)
			break;
	if (i == NR_POOL) {
		i = rnd(&z->r, NR_POOL);
		close_slot(z, i);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);	/* no read() may block */
	z->pool[i].fd = fd;
	z->pool[i].kind = kind;
}

static void open_dev(struct fz *z)
{
	z->calls++;
	add_fd(z, open(DEV_PATH, chance(&z->r, 80) ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC),
	       K_DEV);
}

static void open_other(struct fz *z)
{
	int p[2];

	z->calls++;
	switch (rnd(&z->r, 3)) {
	case 0:
		add_fd(z, open("/dev/null", O_RDWR | O_CLOEXEC), K_OTHER);
		break;
	case 1:
		if (!pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
			add_fd(z, p[0], K_OTHER);
			add_fd(z, p[1], K_OTHER);
		}
		break;
	default:
		add_fd(z, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), K_OTHER);
		break;
	}
}

/* ---- struct arguments --------------------------------------------------- */

/*
 * Places struct @s (@known bytes, first version @ver0 bytes) with a size
 * field of some shape: as known, at VER0, larger with a zero tail, larger
 * with a non-zero tail, smaller, far too large or random.  The struct's
 * first __u32 is its size field.
 */
static uint64_t place_struct(struct fz *z, void *s, size_t known, size_t ver0)
{
	struct rng *r = &z->r;
	uint8_t buf[8192 + 64];
	uint32_t size;
	size_t len;
	bool nonzero_tail = false;

	switch (rnd(r, 20)) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
		size = known;
		break;
	case 9: case 10:
		size = ver0;
		break;
	case 11: case 12:	/* larger, zero tail */
		size = known + (uint32_t[]){ 1, 4, 8, 64, 4096 - known }[rnd(r, 5)];
		break;
	case 13: case 14:	/* larger, non-zero tail */
		size = known + 1 + rnd(r, 64);
		nonzero_tail = true;
		break;
	case 15: case 16:	/* smaller */
		size = (uint32_t[]){ 0, 4, 8, ver0 - 8, ver0 - 1 }[rnd(r, 5)];
		break;
	case 17:
		size = (uint32_t[]){ 4097, 8192, 65536, 0x80000000, 0xffffffff }[rnd(r, 5)];
		break;
	default:
		size = any32(r);
		break;
	}
	memcpy(s, &size, sizeof(size));
	len = size >= 4 && size <= 8192 ? size : known;
	if (len < known && chance(r, 50))
		len = known;	/* the kernel reads less than is there */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, s, len < known ? len : known);
	if (len > known) {
		if (nonzero_tail)
			buf[known + rnd(r, len - known)] = 1 + rnd(r, 255);
		else if (chance(r, 10))
			buf[len - 1] = 0xff;
	}
	if (len < 4)
		len = 4;
	return place(r, buf, len, 80);
}

/* An argument of plain garbage. */
static uint64_t garbage(struct fz *z)
{
	struct rng *r = &z->r;
	uint8_t buf[512];
	uint32_t n = rnd(r, sizeof(buf)), i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)rnd64(r);
	if (n >= 4 && chance(r, 50)) {
		uint32_t size = any32(r);

		memcpy(buf, &size, 4);
	}
	return chance(r, 85) ? place(r, buf, n ? n : 1, 70) : any64(r);
}

/* A pointer to @n bytes of room for a result (valid, tight at a guard, bad). */
static uint64_t out_ptr(struct fz *z, size_t n)
{
	struct rng *r = &z->r;

	if (chance(r, 10))
		n = rnd(r, n);	/* too small: ends at the guard page */
	return place(r, NULL, n ? n : 1, 75);
}

static uint64_t arg_create(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_create_job c;
	static const enum str_kind k[] = { STR_ASCII, STR_UTF8, STR_BAD_UTF8, STR_NUL };

	memset(&c, 0, sizeof(c));
	c.flags = chance(r, 90) ? 0 : any32(r);
	c.type = f32(r, rnd(r, 3));
	c.name = put_string(r, KBITS_DISPLAY_NAME_MAX, k[rnd(r, ARRAY_SIZE(k))], &c.name_len);
	if (chance(r, 5))
		c.reserved[rnd(r, 2)] = any64(r);
	if (chance(r, 10))
		memset(c.id, 0xa5, sizeof(c.id));
	return place_struct(z, &c, sizeof(c), KBITS_CREATE_JOB_SIZE_VER0);
}

static uint64_t arg_get(struct fz *z)
{
	struct kbits_get_job g;

	memset(&g, 0, sizeof(g));
	g.flags = chance(&z->r, 95) ? 0 : any32(&z->r);
	pick_guid(z, g.id);
	if (chance(&z->r, 5))
		g.reserved[rnd(&z->r, 2)] = any64(&z->r);
	return place_struct(z, &g, sizeof(g), KBITS_GET_JOB_SIZE_VER0);
}

static uint64_t arg_enum(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_enum_jobs e;
	uint32_t room;

	memset(&e, 0, sizeof(e));
	e.flags = chance(r, 80) ? (z->root && chance(r, 70) ? KBITS_ENUM_ALL_USERS : 0) : any32(r);
	switch (rnd(r, 4)) {
	case 0: case 1:
		e.cursor = 0;
		break;
	case 2:
		e.cursor = z->cursors[rnd(r, ARRAY_SIZE(z->cursors))];
		break;
	default:
		e.cursor = chance(r, 30) ? KBITS_ENUM_END : any64(r);
		break;
	}
	room = (uint32_t[]){ 0, 1, 2, 16, 64, 1024, 1025 }[rnd(r, 7)];
	e.count = f32(r, room);
	e.ids = out_ptr(z, (size_t)room * KBITS_GUID_SIZE);
	e.reserved = chance(r, 95) ? 0 : any32(r);
	return place_struct(z, &e, sizeof(e), KBITS_ENUM_JOBS_SIZE_VER0);
}

static uint64_t arg_string_get(struct fz *z)
{
	struct kbits_job_string s;

	memset(&s, 0, sizeof(s));
	s.buf = put_outbuf(&z->r, &s.len);
	s.reserved = chance(&z->r, 95) ? 0 : any64(&z->r);
	return place_struct(z, &s, sizeof(s), KBITS_JOB_STRING_SIZE_VER0);
}

static uint64_t arg_string_set(struct fz *z, uint32_t max, enum str_kind kind)
{
	struct kbits_job_string s;
	static const enum str_kind k[] = { STR_ASCII, STR_UTF8, STR_BAD_UTF8, STR_NUL };

	memset(&s, 0, sizeof(s));
	s.buf = put_string(&z->r, max, chance(&z->r, 70) ? kind : k[rnd(&z->r, 4)], &s.len);
	s.reserved = chance(&z->r, 95) ? 0 : any64(&z->r);
	return place_struct(z, &s, sizeof(s), KBITS_JOB_STRING_SIZE_VER0);
}

/* SET_CREDENTIALS: a pair of mostly valid target and scheme, REMOVE now and then. */
static uint64_t arg_cred_set(struct fz *z)
{
	static const enum str_kind k[] = { STR_ASCII, STR_UTF8, STR_BAD_UTF8, STR_NUL };
	struct rng *r = &z->r;
	struct kbits_job_credentials c;

	memset(&c, 0, sizeof(c));
	c.target = f32(r, 1 + rnd(r, 2));
	c.scheme = f32(r, 1 + rnd(r, 4));
	if (chance(r, 20)) {
		c.flags = f32(r, KBITS_CRED_REMOVE);
		if (chance(r, 80))
			return place_struct(z, &c, sizeof(c),
					    KBITS_JOB_CREDENTIALS_SIZE_VER0);
	} else {
		c.flags = chance(r, 95) ? 0 : any32(r);
	}
	c.user = put_string(r, KBITS_CRED_USER_MAX, chance(r, 70) ? STR_ASCII :
			    k[rnd(r, ARRAY_SIZE(k))], &c.user_len);
	c.password = put_string(r, KBITS_CRED_PASSWORD_MAX, chance(r, 70) ? STR_UTF8 :
				k[rnd(r, ARRAY_SIZE(k))], &c.password_len);
	return place_struct(z, &c, sizeof(c), KBITS_JOB_CREDENTIALS_SIZE_VER0);
}

static uint64_t arg_cred_get(struct fz *z)
{
	struct kbits_job_cred_schemes c;

	memset(&c, 0, sizeof(c));
	c.reserved = chance(&z->r, 95) ? 0 : any32(&z->r);
	return place_struct(z, &c, sizeof(c), KBITS_JOB_CRED_SCHEMES_SIZE_VER0);
}

static uint64_t arg_attr(struct fz *z, bool set)
{
	struct rng *r = &z->r;
	struct kbits_job_attr a;

	memset(&a, 0, sizeof(a));
	if (set) {
		a.mask = f32(r, rnd(r, 16));
		a.priority = f32(r, rnd(r, 4));
		a.notify_flags = f32(r, rnd(r, 0x20));
		a.min_retry_delay = f32(r, 5 + rnd(r, 1000));
		a.no_progress_timeout = f32(r, rnd(r, 3) ? rnd(r, 100000) : 0);
		if (chance(r, 20)) {
			a.error_count = any32(r);
			a.creation_time = (int64_t)any64(r);
			a.completion_time = (int64_t)any64(r);
		}
	} else if (chance(r, 10)) {
		a.mask = any32(r);
	}
	a.flags = chance(r, 95) ? 0 : any32(r);
	return place_struct(z, &a, sizeof(a), KBITS_JOB_ATTR_SIZE_VER0);
}

static uint64_t arg_add_files(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_add_files a;
	uint8_t entries[16 * 64];
	uint32_t n, es, i;

	memset(&a, 0, sizeof(a));
	memset(entries, 0, sizeof(entries));
	n = chance(r, 80) ? 1 + rnd(r, 4) : 1 + rnd(r, 16);
	es = chance(r, 80) ? sizeof(struct kbits_file_spec)
			   : (uint32_t[]){ 0, 23, 32, 64, 4096, 4097 }[rnd(r, 6)];
	for (i = 0; i < n; i++) {
		struct kbits_file_spec f;
		size_t at = (size_t)i * (es <= 64 ? es : 0);

		memset(&f, 0, sizeof(f));
		f.remote = put_string(r, chance(r, 95) ? 96 : KBITS_REMOTE_NAME_MAX,
				      chance(r, 60) ? STR_URL : STR_PATH, &f.remote_len);
		f.local = put_string(r, chance(r, 95) ? 96 : KBITS_LOCAL_NAME_MAX,
				     chance(r, 80) ? STR_PATH : STR_URL, &f.local_len);
		/* a digest (version 1's spec) with its flag, or bytes without */
		if (chance(r, 30)) {
			f.flags = f32(r, KBITS_FILE_SHA256);
			for (size_t k = 0; k < sizeof(f.sha256); k++)
				f.sha256[k] = (uint8_t)rnd64(r);
		} else if (chance(r, 3)) {
			f.sha256[rnd(r, sizeof(f.sha256))] = 1;
		}
		if (chance(r, 3))
			f.reserved = any32(r);
		if (es > 64 || at + es > sizeof(entries))
			break;
		memcpy(entries + at, &f, es < sizeof(f) ? es : sizeof(f));
		if (es > sizeof(f) && chance(r, 20))
			entries[at + sizeof(f) + rnd(r, es - sizeof(f))] = 1;
	}
	a.flags = chance(r, 95) ? 0 : any32(r);
	a.count = f32(r, n);
	a.entry_size = es;
	if (es > 64) {	/* big entries: one, in a buffer of its own */
		uint8_t *e = bump(es);

		a.files = e ? (uintptr_t)e : bad_ptr(r);
		if (e) {
			struct kbits_file_spec f;

			memset(&f, 0, sizeof(f));
			f.remote = put_string(r, 64, STR_URL, &f.remote_len);
			f.local = put_string(r, 64, STR_PATH, &f.local_len);
			memcpy(e, &f, sizeof(f));
		}
	} else {
		a.files = place(r, entries, (n && es) ? (size_t)n * es : 1, 85);
	}
	return place_struct(z, &a, sizeof(a), KBITS_ADD_FILES_SIZE_VER0);
}

static uint64_t arg_get_file(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_job_file f;

	memset(&f, 0, sizeof(f));
	f.index = f32(r, rnd(r, 4));
	f.remote = put_outbuf(r, &f.remote_len);
	f.local = put_outbuf(r, &f.local_len);
	if (chance(r, 5))
		f.reserved = any32(r);
	if (chance(r, 5))
		f.reserved2 = any32(r);
	if (chance(r, 5))
		f.bytes_total = any64(r);
	return place_struct(z, &f, sizeof(f), KBITS_JOB_FILE_SIZE_VER0);
}

static uint64_t arg_proxy(struct fz *z, bool set)
{
	struct rng *r = &z->r;
	struct kbits_job_proxy p;

	memset(&p, 0, sizeof(p));
	if (set) {
		p.usage = f32(r, rnd(r, 3));
		if (p.usage == KBITS_PROXY_OVERRIDE || chance(r, 20))
			p.list = put_string(r, KBITS_PROXY_LIST_MAX, STR_PROXY, &p.list_len);
		if (chance(r, 50))
			p.bypass = put_string(r, KBITS_PROXY_LIST_MAX, STR_PROXY, &p.bypass_len);
	} else {
		p.usage = chance(r, 90) ? 0 : any32(r);
		p.list = put_outbuf(r, &p.list_len);
		p.bypass = put_outbuf(r, &p.bypass_len);
	}
	p.reserved = chance(r, 95) ? 0 : any64(r);
	return place_struct(z, &p, sizeof(p), KBITS_JOB_PROXY_SIZE_VER0);
}

static uint64_t arg_get_error(struct fz *z)
{
	struct kbits_job_error e;

	memset(&e, 0, sizeof(e));
	e.text = put_outbuf(&z->r, &e.text_len);
	if (chance(&z->r, 5))
		e.flags = any32(&z->r);
	if (chance(&z->r, 5))
		e.code = (int32_t)any32(&z->r);
	return place_struct(z, &e, sizeof(e), KBITS_JOB_ERROR_SIZE_VER0);
}

static uint64_t arg_agent_job(struct fz *z)
{
	struct kbits_agent_job j;

	memset(&j, 0, sizeof(j));
	j.flags = chance(&z->r, 95) ? 0 : any32(&z->r);
	pick_guid(z, j.id);
	j.reserved = chance(&z->r, 95) ? 0 : any64(&z->r);
	return place_struct(z, &j, sizeof(j), KBITS_AGENT_JOB_SIZE_VER0);
}

static uint64_t arg_progress(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_agent_progress p;
	uint64_t total = chance(r, 20) ? KBITS_SIZE_UNKNOWN : rnd(r, 1u << 20);

	memset(&p, 0, sizeof(p));
	p.index = f32(r, rnd(r, 4));
	pick_guid(z, p.id);
	p.bytes_total = f64(r, total);
	p.bytes_transferred = f64(r, total == KBITS_SIZE_UNKNOWN ? rnd(r, 1000)
				  : (chance(r, 50) ? total : rnd(r, (uint32_t)total + 1)));
	p.flags = f32(r, chance(r, 50) ? KBITS_FILE_COMPLETED : 0);
	p.reserved = chance(r, 95) ? 0 : any32(r);
	return place_struct(z, &p, sizeof(p), KBITS_AGENT_PROGRESS_SIZE_VER0);
}

static uint64_t arg_agent_error(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_agent_error e;

	memset(&e, 0, sizeof(e));
	/* KBITS_ERROR_TRANSIENT and KBITS_ERROR_HTTP, with an errno or not */
	e.flags = f32(r, rnd(r, 4));
	pick_guid(z, e.id);
	e.context = f32(r, 1 + rnd(r, 5));
	e.code = (int32_t)f32(r, chance(r, 50) ? 404 : 5);
	e.file_index = f32(r, chance(r, 50) ? KBITS_NO_FILE : rnd(r, 3));
	e.text = put_string(r, KBITS_ERROR_TEXT_MAX, STR_UTF8, &e.text_len);
	e.reserved = chance(r, 95) ? 0 : any64(r);
	return place_struct(z, &e, sizeof(e), KBITS_AGENT_ERROR_SIZE_VER0);
}

static uint64_t arg_placed(struct fz *z, const uint8_t *id)
{
	struct rng *r = &z->r;
	struct kbits_agent_placed p;

	memset(&p, 0, sizeof(p));
	p.flags = chance(r, 95) ? 0 : any32(r);
	if (id)
		memcpy(p.id, id, KBITS_GUID_SIZE);
	else
		pick_guid(z, p.id);
	p.error = (int32_t)(chance(r, 60) ? 0 : f32(r, (uint32_t[]){ EIO, ENOSPC, EACCES }[rnd(r, 3)]));
	p.reserved = chance(r, 95) ? 0 : any32(r);
	return place_struct(z, &p, sizeof(p), KBITS_AGENT_PLACED_SIZE_VER0);
}

static uint64_t arg_job_ns(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_agent_job_ns n;

	memset(&n, 0, sizeof(n));
	n.flags = chance(r, 95) ? 0 : any32(r);
	pick_guid(z, n.id);
	n.kind = f32(r, rnd(r, 2));
	n.reserved = chance(r, 95) ? 0 : any32(r);
	return place_struct(z, &n, sizeof(n), KBITS_AGENT_JOB_NS_SIZE_VER0);
}

static uint64_t arg_export(struct fz *z)
{
	struct kbits_agent_record a;

	memset(&a, 0, sizeof(a));
	a.flags = chance(&z->r, 95) ? 0 : any32(&z->r);
	pick_guid(z, a.id);
	a.buf = put_outbuf(&z->r, &a.buf_len);
	if (chance(&z->r, 30)) {	/* room for any record */
		uint8_t *b = bump(RECORD_MAX);

		a.buf = b ? (uintptr_t)b : 0;
		a.buf_len = RECORD_MAX;
	}
	a.reserved = chance(&z->r, 95) ? 0 : any32(&z->r);
	return place_struct(z, &a, sizeof(a), KBITS_AGENT_RECORD_SIZE_VER0);
}

/*
 * A record made from scratch, with strings and files after it: version 3
 * mostly (its header, file_size, a reply file's name for an UPLOAD_REPLY
 * job now and then, with its mode, up to 3 credentials, the write-only
 * headers flag, files of 72 bytes with a mode and now and then a digest),
 * else version 2 (the header before, no reply file, no credentials) or
 * version 1 as older modules wrote it (one of its three headers, files of
 * 32 bytes), so that most get past the header's checks to the strings',
 * credentials' and files'.  Each field is valid most of the time.
 */
static uint32_t make_record(struct fz *z, uint8_t *buf, uint32_t room)
{
	static const uint32_t v1_headers[] = {
		KBITS_JOB_RECORD_SIZE_VER0, KBITS_JOB_RECORD_SIZE_VER1,
		KBITS_JOB_RECORD_SIZE_VER2,
	};
	static const uint32_t modes[] = { 0644, 0600, 0640, 0666, 0 };
	static const char *const users[] = { "alice", "", "DOM\\bob:x", "a:b", "\t",
					     "caf\xc3\xa9" };
	static const uint32_t reply_modes[] = { 0600, 0644, 0, 0666, 0700 };
	struct rng *r = &z->r;
	struct kbits_job_record h;
	uint32_t version = chance(r, 50) ? 3 : chance(r, 50) ? 2 : 1;
	bool v2 = version >= 2;	/* files of 72 bytes */
	uint32_t hsize = version == 3 ? KBITS_JOB_RECORD_SIZE_VER4 :
			 version == 2 ? KBITS_JOB_RECORD_SIZE_VER3 :
			 v1_headers[rnd(r, ARRAY_SIZE(v1_headers))];
	uint32_t fsize = v2 ? sizeof(struct kbits_record_file)
			    : KBITS_RECORD_FILE_SIZE_VER0;
	uint32_t len = hsize, i, j, nf = rnd(r, 3), nc = 0;
	bool reply = false;

	memset(&h, 0, sizeof(h));
	h.magic = f32(r, KBITS_RECORD_MAGIC);
	h.version = f32(r, version);
	h.header_size = f32(r, hsize);
	pick_guid(z, h.id);
	if (chance(r, 50))
		for (i = 0; i < KBITS_GUID_SIZE; i++)
			h.id[i] = (uint8_t)rnd64(r);
	h.owner = f32(r, chance(r, 50) ? 0 : FUZZ_UID);
	h.type = f32(r, rnd(r, 3));
	h.state = f32(r, rnd(r, 9));
	h.priority = f32(r, rnd(r, 4));
	h.notify_flags = f32(r, 3);
	h.min_retry_delay = f32(r, 600);
	h.no_progress_timeout = f32(r, 1209600);
	h.error_count = f32(r, 0);
	h.creation_time = (int64_t)f64(r, 1700000000);
	h.modification_time = (int64_t)f64(r, 1700000000);
	h.completion_time = (int64_t)f64(r, 0);
	h.error_context = f32(r, 0);
	h.error_file_index = f32(r, KBITS_NO_FILE);
	h.nr_files = f32(r, nf);
	h.display_name_len = f32(r, 4);
	h.flags = f32(r, rnd(r, 2));
	/* from here on, only the bytes of the header's version are written */
	h.proxy_usage = f32(r, 0);
	h.max_download_time = f32(r, KBITS_MAX_DOWNLOAD_TIME_DEFAULT);
	h.transfer_time = f32(r, 0);
	h.file_size = f32(r, fsize);
	if (len + 4 > room)
		return 0;
	memset(buf + len, 'n', 4);
	len += 4;
	if (version == 3) {
		/* a reply file's name, mostly for an UPLOAD_REPLY job */
		reply = chance(r, h.type == KBITS_JOB_TYPE_UPLOAD_REPLY ? 70 : 5);
		if (reply && len + 12 <= room) {
			memcpy(buf + len, chance(r, 90) ? "/tmp/reply1" : "tmp/reply1", 11);
			len += 11;
			h.reply_file_len = f32(r, 11);
			h.reply_mode = f32(r, reply_modes[rnd(r, ARRAY_SIZE(reply_modes))]);
		} else {
			h.reply_mode = f32(r, 0);
		}
		/* credentials: distinct (target, scheme) pairs mostly */
		nc = rnd(r, 4);
		for (i = 0; i < nc; i++) {
			struct kbits_record_cred c;
			const char *u = users[rnd(r, ARRAY_SIZE(users))];

			if (len + sizeof(c) + strlen(u) + 8 > room)
				break;
			c.target = f32(r, 1 + i % 2);
			c.scheme = f32(r, 1 + i / 2 + rnd(r, 2));
			c.user_len = f32(r, strlen(u));
			c.password_len = f32(r, 8);
			memcpy(buf + len, &c, sizeof(c));
			len += sizeof(c);
			memcpy(buf + len, u, strlen(u));
			len += strlen(u);
			memcpy(buf + len, chance(r, 95) ? "pass:wd!" : "pa\0ss\xffwd", 8);
			len += 8;
		}
		h.nr_creds = f32(r, i);
		h.reserved = f32(r, 0);
		if (chance(r, 20))
			h.flags |= KBITS_RECORD_HEADERS_WRITE_ONLY;
	}
	for (i = 0; i < nf && len + fsize + 30 <= room; i++) {
		struct kbits_record_file f;

		memset(&f, 0, sizeof(f));
		f.bytes_total = f64(r, KBITS_SIZE_UNKNOWN);
		f.flags = f32(r, v2 && chance(r, 30) ? KBITS_FILE_SHA256 : 0);
		f.remote_len = f32(r, 20);
		f.local_len = f32(r, 10);
		f.mode = f32(r, modes[rnd(r, ARRAY_SIZE(modes))]);
		f.reserved2 = f32(r, 0);
		/* a digest with its flag, and now and then without */
		if ((f.flags & KBITS_FILE_SHA256) || chance(r, 5))
			for (j = 0; j < sizeof(f.sha256); j++)
				f.sha256[j] = (uint8_t)rnd64(r);
		memcpy(buf + len, &f, fsize);
		len += fsize;
		memcpy(buf + len, "http://example.com/x", 20);
		len += 20;
		memcpy(buf + len, "/tmp/abcde", 10);
		len += 10;
	}
	h.length = f32(r, len);
	memcpy(buf, &h, hsize);
	return len;
}

static uint64_t arg_import(struct fz *z)
{
	struct rng *r = &z->r;
	struct kbits_agent_record a;
	unsigned int i = rnd(r, NR_RECORDS);
	uint32_t len = 0, n, j;
	uint8_t *b = bump(RECORD_MAX + 64);

	memset(&a, 0, sizeof(a));
	a.flags = chance(r, 95) ? 0 : any32(r);
	if (chance(r, 10))
		pick_guid(z, a.id);
	if (!b) {
		a.buf = bad_ptr(r);
		a.buf_len = any32(r);
		return place_struct(z, &a, sizeof(a), KBITS_AGENT_RECORD_SIZE_VER0);
	}
	if (z->records[i] && chance(r, 70)) {
		len = z->record_len[i];
		memcpy(b, z->records[i], len);
	} else if (chance(r, 80)) {
		len = make_record(z, b, RECORD_MAX);
	} else {
		len = rnd(r, 512);
		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rnd64(r);
	}
	/* Mutations: bytes, a u32 field, the length. */
	n = chance(r, 40) ? 0 : 1 + rnd(r, 4);
	for (j = 0; j < n && len; j++) {
		uint32_t at = rnd(r, len);

		if (chance(r, 50) && at + 4 <= len) {
			uint32_t v = any32(r);

			memcpy(b + (at & ~3u), &v, 4);
		} else {
			b[at] ^= 1u << rnd(r, 8);
		}
	}
	if (chance(r, 10) && len)
		len = rnd(r, len);
	a.buf_len = f32(r, len);
	if (chance(r, 15)) {	/* the record ends at a guard page */
		uint8_t *g = at_guard(len);

		if (g) {
			memcpy(g, b, len);
			b = g;
		}
	}
	a.buf = chance(r, 95) ? (uintptr_t)b : bad_ptr(r);
	a.reserved = chance(r, 95) ? 0 : any32(r);
	return place_struct(z, &a, sizeof(a), KBITS_AGENT_RECORD_SIZE_VER0);
}

/* ---- the commands ------------------------------------------------------- */

enum arg_type {
	A_CREATE, A_GET, A_ENUM, A_ATTACH, A_NONE, A_OUT_ID, A_OUT_U32, A_OUT_PROGRESS,
	A_STR_GET, A_NAME_SET, A_DESC_SET, A_HDR_SET, A_ATTR_GET, A_ATTR_SET,
	A_ADD_FILES, A_GET_FILE, A_GET_ERROR, A_PROXY_GET, A_PROXY_SET,
	A_AGENT_JOB, A_PROGRESS, A_AGENT_ERROR, A_EXPORT, A_IMPORT, A_PLACED,
	A_JOB_NS, A_CRED_SET, A_CRED_GET, A_REPLY_SET,
};

struct cmd {
	unsigned long nr;
	const char *name;
	enum fd_kind kind;
	enum arg_type arg;
};

#define C(nr, kind, arg)	{ nr, #nr, kind, arg }

static const struct cmd cmds[] = {
	C(KBITS_IOC_CREATE_JOB, K_DEV, A_CREATE),
	C(KBITS_IOC_GET_JOB, K_DEV, A_GET),
	C(KBITS_IOC_ENUM_JOBS, K_DEV, A_ENUM),
	C(KBITS_IOC_AGENT_ATTACH, K_DEV, A_ATTACH),
	C(KBITS_AGENT_IOC_TAKE_JOB, K_AGENT, A_AGENT_JOB),
	C(KBITS_AGENT_IOC_PROGRESS, K_AGENT, A_PROGRESS),
	C(KBITS_AGENT_IOC_ERROR, K_AGENT, A_AGENT_ERROR),
	C(KBITS_AGENT_IOC_TRANSFERRED, K_AGENT, A_AGENT_JOB),
	C(KBITS_AGENT_IOC_EXPORT_JOB, K_AGENT, A_EXPORT),
	C(KBITS_AGENT_IOC_IMPORT_JOB, K_AGENT, A_IMPORT),
	C(KBITS_AGENT_IOC_PLACED, K_AGENT, A_PLACED),
	C(KBITS_AGENT_IOC_JOB_NS, K_AGENT, A_JOB_NS),
	C(KBITS_AGENT_IOC_REQUEUE, K_AGENT, A_AGENT_JOB),
	C(KBITS_JOB_IOC_GET_ID, K_JOB, A_OUT_ID),
	C(KBITS_JOB_IOC_GET_TYPE, K_JOB, A_OUT_U32),
	C(KBITS_JOB_IOC_GET_STATE, K_JOB, A_OUT_U32),
	C(KBITS_JOB_IOC_GET_OWNER, K_JOB, A_OUT_U32),
	C(KBITS_JOB_IOC_GET_DISPLAY_NAME, K_JOB, A_STR_GET),
	C(KBITS_JOB_IOC_CANCEL, K_JOB, A_NONE),
	C(KBITS_JOB_IOC_SET_DISPLAY_NAME, K_JOB, A_NAME_SET),
	C(KBITS_JOB_IOC_GET_DESCRIPTION, K_JOB, A_STR_GET),
	C(KBITS_JOB_IOC_SET_DESCRIPTION, K_JOB, A_DESC_SET),
	C(KBITS_JOB_IOC_GET_ATTR, K_JOB, A_ATTR_GET),
	C(KBITS_JOB_IOC_SET_ATTR, K_JOB, A_ATTR_SET),
	C(KBITS_JOB_IOC_ADD_FILES, K_JOB, A_ADD_FILES),
	C(KBITS_JOB_IOC_GET_FILE, K_JOB, A_GET_FILE),
	C(KBITS_JOB_IOC_GET_PROGRESS, K_JOB, A_OUT_PROGRESS),
	C(KBITS_JOB_IOC_RESUME, K_JOB, A_NONE),
	C(KBITS_JOB_IOC_SUSPEND, K_JOB, A_NONE),
	C(KBITS_JOB_IOC_COMPLETE, K_JOB, A_NONE),
	C(KBITS_JOB_IOC_GET_ERROR, K_JOB, A_GET_ERROR),
	C(KBITS_JOB_IOC_TAKE_OWNERSHIP, K_JOB, A_NONE),
	C(KBITS_JOB_IOC_GET_PROXY, K_JOB, A_PROXY_GET),
	C(KBITS_JOB_IOC_SET_PROXY, K_JOB, A_PROXY_SET),
	C(KBITS_JOB_IOC_GET_HTTP_HEADERS, K_JOB, A_STR_GET),
	C(KBITS_JOB_IOC_SET_HTTP_HEADERS, K_JOB, A_HDR_SET),
	C(KBITS_JOB_IOC_SET_CREDENTIALS, K_JOB, A_CRED_SET),
	C(KBITS_JOB_IOC_GET_CREDENTIALS, K_JOB, A_CRED_GET),
	C(KBITS_JOB_IOC_GET_REPLY_FILE, K_JOB, A_STR_GET),
	C(KBITS_JOB_IOC_SET_REPLY_FILE, K_JOB, A_REPLY_SET),
};

#undef C

/*
 * Per command of cmds[], how often it was called and how often it succeeded
 * (shared memory: every process of every phase adds to them).
 */
static uint64_t *cmd_calls, *cmd_ok;

static int cmd_index(unsigned long nr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i].nr == nr)
			return i;
	return -1;
}

static void count_cmd(unsigned long nr, long ret)
{
	int i = cmd_index(nr);

	if (i < 0 || !cmd_calls)
		return;
	__atomic_add_fetch(&cmd_calls[i], 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		__atomic_add_fetch(&cmd_ok[i], 1, __ATOMIC_RELAXED);
}

static uint64_t build_arg(struct fz *z, enum arg_type t)
{
	struct rng *r = &z->r;

	if (chance(r, 4))
		return garbage(z);
	switch (t) {
	case A_CREATE:
		return arg_create(z);
	case A_GET:
		return arg_get(z);
	case A_ENUM:
		return arg_enum(z);
	case A_ATTACH:
		return chance(r, 85) ? rnd(r, 2) : any64(r);
	case A_NONE:
		return chance(r, 80) ? 0 : any64(r);
	case A_OUT_ID:
		return out_ptr(z, KBITS_GUID_SIZE);
	case A_OUT_U32:
		return out_ptr(z, 4);
	case A_OUT_PROGRESS:
		return out_ptr(z, sizeof(struct kbits_job_progress));
	case A_STR_GET:
		return arg_string_get(z);
	case A_NAME_SET:
		return arg_string_set(z, KBITS_DISPLAY_NAME_MAX, STR_UTF8);
	case A_DESC_SET:
		return arg_string_set(z, KBITS_DESCRIPTION_MAX, STR_UTF8);
	case A_HDR_SET:
		return arg_string_set(z, KBITS_HTTP_HEADERS_MAX, STR_HEADERS);
	case A_ATTR_GET:
		return arg_attr(z, false);
	case A_ATTR_SET:
		return arg_attr(z, true);
	case A_ADD_FILES:
		return arg_add_files(z);
	case A_GET_FILE:
		return arg_get_file(z);
	case A_GET_ERROR:
		return arg_get_error(z);
	case A_PROXY_GET:
		return arg_proxy(z, false);
	case A_PROXY_SET:
		return arg_proxy(z, true);
	case A_AGENT_JOB:
		return arg_agent_job(z);
	case A_PROGRESS:
		return arg_progress(z);
	case A_AGENT_ERROR:
		return arg_agent_error(z);
	case A_EXPORT:
		return arg_export(z);
	case A_IMPORT:
		return arg_import(z);
	case A_PLACED:
		return arg_placed(z, NULL);
	case A_JOB_NS:
		return arg_job_ns(z);
	case A_CRED_SET:
		return arg_cred_set(z);
	case A_CRED_GET:
		return arg_cred_get(z);
	case A_REPLY_SET:
		return arg_string_set(z, KBITS_LOCAL_NAME_MAX, STR_PATH);
	}
	return 0;
}

/* Is @p the address of @n bytes of the arena (what a result may be read from)? */
static bool in_arena(uint64_t p, size_t n)
{
	return p >= (uintptr_t)arena && p + n <= (uintptr_t)arena + ARENA_SIZE;
}

/* ... or of the arena or a guarded slot. */
static bool in_scratch(uint64_t p, size_t n)
{
	int i;

	if (in_arena(p, n))
		return true;
	for (i = 0; i < NR_SLOTS; i++)
		if (p >= (uintptr_t)slots[i] && p + n <= (uintptr_t)slots[i] + SLOT_SIZE)
			return true;
	return false;
}

/* Harvests GUIDs, cursors, fds and records from a call that worked. */
static void harvest(struct fz *z, int si, const struct cmd *c, uint64_t arg, long ret)
{
	if (ret < 0 || si < 0 || z->pool[si].kind != c->kind)
		return;
	switch (c->arg) {
	case A_CREATE:
		if (in_arena(arg, sizeof(struct kbits_create_job)))
			add_owned(z, ((struct kbits_create_job *)(uintptr_t)arg)->id);
		add_fd(z, ret, K_JOB);
		break;
	case A_GET:
		add_fd(z, ret, K_JOB);
		break;
	case A_ATTACH:
		add_fd(z, ret, K_AGENT);
		z->agent_places = arg & KBITS_AGENT_PLACES_FILES;
		break;
	case A_OUT_ID:
		if (in_arena(arg, KBITS_GUID_SIZE))
			add_guid(z, (uint8_t *)(uintptr_t)arg);
		break;
	case A_ENUM:
		if (in_arena(arg, sizeof(struct kbits_enum_jobs))) {
			struct kbits_enum_jobs *e = (void *)(uintptr_t)arg;

			z->cursors[rnd(&z->r, ARRAY_SIZE(z->cursors))] = e->cursor;
			if (e->count && e->count <= KBITS_ENUM_MAX &&
			    in_arena(e->ids, (size_t)e->count * KBITS_GUID_SIZE))
				add_guid(z, (uint8_t *)(uintptr_t)e->ids +
					 rnd(&z->r, e->count) * KBITS_GUID_SIZE);
		}
		break;
	case A_EXPORT:
		if (in_arena(arg, sizeof(struct kbits_agent_record))) {
			struct kbits_agent_record *a = (void *)(uintptr_t)arg;
			unsigned int i = rnd(&z->r, NR_RECORDS);

			if (a->buf_len <= RECORD_MAX && in_arena(a->buf, a->buf_len)) {
				memcpy(z->records[i], (void *)(uintptr_t)a->buf, a->buf_len);
				z->record_len[i] = a->buf_len;
			}
		}
		break;
	case A_IMPORT:
		if (in_arena(arg, sizeof(struct kbits_agent_record))) {
			struct kbits_agent_record *a = (void *)(uintptr_t)arg;

			if (a->buf_len >= 32 && in_scratch(a->buf, 32))
				add_owned(z, (uint8_t *)(uintptr_t)a->buf + 16);
		}
		break;
	default:
		break;
	}
}

/* ---- the agent's answers, forks ----------------------------------------- */

/* Reads what the agent fd has and answers each COMPLETING with PLACED. */
static void agent_answer(struct fz *z, struct rng *r)
{
	int si = agent_slot(z);
	struct kbits_event ev[16];
	struct pollfd pfd;
	long n, i;

	if (si < 0)
		return;
	pfd.fd = z->pool[si].fd;
	pfd.events = POLLIN;
	z->calls++;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return;
	z->calls++;
	n = syscall(SYS_read, pfd.fd, ev, sizeof(ev));
	for (i = 0; n > 0 && i < n / (long)sizeof(ev[0]); i++) {
		struct kbits_agent_placed p;

		if (ev[i].kind != KBITS_EVENT_COMPLETING)
			continue;
		memset(&p, 0, sizeof(p));
		p.size = sizeof(p);
		memcpy(p.id, ev[i].id, KBITS_GUID_SIZE);
		p.error = chance(r, 75) ? 0 : EIO;
		sys_ioctl(z, pfd.fd, KBITS_AGENT_IOC_PLACED, (uintptr_t)&p);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Waits for a child that may be sleeping in a COMPLETE, answering the
 * agent's COMPLETING meanwhile (and PLACED for @id after a while); after
 * 3 s the child is killed (the COMPLETE sleeps killable).
 */
static void wait_child(struct fz *z, pid_t pid, const uint8_t *id)
{
	struct rng r;
	double start = now();
	bool placed = false;
	int st;

	rng_seed(&r, rnd64(&z->r));
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return;
		agent_answer(z, &r);
		if (id && !placed && now() - start > 0.3 && agent_slot(z) >= 0) {
			struct kbits_agent_placed p;

			memset(&p, 0, sizeof(p));
			p.size = sizeof(p);
			memcpy(p.id, id, KBITS_GUID_SIZE);
			sys_ioctl(z, z->pool[agent_slot(z)].fd, KBITS_AGENT_IOC_PLACED,
				  (uintptr_t)&p);
			placed = true;
		}
		if (now() - start > 3) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return;
		}
		usleep(1000);
	}
}

static void step(struct fz *z);

/* A child that does a few steps and exits; the calls it makes are not counted. */
static void op_fork(struct fz *z)
{
	uint64_t seed = rnd64(&z->r);
	unsigned int n = 1 + rnd(&z->r, 20);
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		z->child = true;
		rng_seed(&z->r, seed);
		while (n--)
			step(z);
		_exit(0);
	}
	wait_child(z, pid, NULL);
}

/* COMPLETE while we hold a placing agent: in a child, the agent answering. */
static void complete_guarded(struct fz *z, int fd, uint64_t arg)
{
	struct kbits_job_id id;
	bool have_id;
	pid_t pid;

	have_id = sys_ioctl(z, fd, KBITS_JOB_IOC_GET_ID, (uintptr_t)&id) == 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		sys_ioctl(z, fd, KBITS_JOB_IOC_COMPLETE, arg);
		_exit(0);
	}
	z->calls++;
	wait_child(z, pid, have_id ? id.id : NULL);
}

/* read() and poll() of a pool fd; read only what poll says is there. */
static void op_read_poll(struct fz *z)
{
	struct rng *r = &z->r;
	int si = pick_slot(z, chance(r, 40) ? K_JOB : chance(r, 50) ? K_AGENT : K_NONE);
	struct pollfd pfd;
	uint64_t buf;
	size_t len;

	if (si < 0)
		return;
	pfd.fd = z->pool[si].fd;
	pfd.events = POLLIN | POLLOUT | POLLPRI;
	z->calls++;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (z->pool[si].kind == K_OTHER && !(pfd.revents & POLLIN))
		return;
	len = (size_t[]){ 0, 1, 31, 32, 33, 64, 1000, 4096 }[rnd(r, 8)];
	buf = chance(r, 90) ? place(r, NULL, len ? len : 1, 85) : bad_ptr(r);
	z->calls++;
	syscall(SYS_read, pfd.fd, (void *)(uintptr_t)buf, len);
}

static void op_ioctl(struct fz *z)
{
	struct rng *r = &z->r;
	const struct cmd *c = NULL;
	unsigned long nr;
	uint64_t arg;
	int si = -1, fd;
	uint32_t p = rnd(r, 100);
	long ret;

	if (p < 88) {
		c = &cmds[rnd(r, ARRAY_SIZE(cmds))];
		nr = c->nr;
	} else if (p < 98) {	/* the magic, another number, size, direction */
		nr = _IOC(rnd(r, 4), KBITS_IOC_MAGIC,
			  chance(r, 50) ? rnd(r, 0x60) : rnd(r, 256),
			  chance(r, 50) ? rnd(r, 128) : rnd(r, 1u << 14));
		if (chance(r, 30))	/* a real command with another size or direction */
			nr = (cmds[rnd(r, ARRAY_SIZE(cmds))].nr & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			     ((unsigned long)rnd(r, 1u << 14) << _IOC_SIZESHIFT);
	} else {
		nr = (uint32_t)rnd64(r);
	}
	if (!c && nr == KBITS_JOB_IOC_COMPLETE)	/* may sleep: only as below */
		return;

	if (c && chance(r, 85))
		si = pick_slot(z, c->kind);
	if (si < 0 && chance(r, 95))
		si = pick_slot(z, K_NONE);
	if (si >= 0)
		fd = z->pool[si].fd;
	else
		fd = (int[]){ -1, 999, 0x7fffffff }[rnd(r, 3)];
	/* Any command at all: only on kbits fds, whose unknown ones are ENOTTY. */
	if (!c && p >= 98 && (si < 0 || z->pool[si].kind == K_OTHER))
		return;

	arg = c ? build_arg(z, c->arg) : (chance(r, 50) ? garbage(z) : any64(r));

	if (c && c->nr == KBITS_JOB_IOC_COMPLETE && !z->child && z->agent_places &&
	    si >= 0 && z->pool[si].kind == K_JOB) {
		complete_guarded(z, fd, arg);
		return;
	}
	ret = sys_ioctl(z, fd, nr, arg);
	if (c && c->arg == A_JOB_NS && ret >= 0)	/* a root or netns fd */
		close(ret);
	else if (c && c->nr == KBITS_JOB_IOC_TAKE_OWNERSHIP && ret >= 0)
		add_fd(z, ret, K_JOB);	/* the new fd; the old one is revoked */
	else if (c)
		harvest(z, si, c, arg, ret);
}

/*
 * Moves a pool job along with valid calls (a file, RESUME, the agent's
 * TAKE_JOB, PROGRESS, then TRANSFERRED or an ERROR), so that the random
 * calls also meet jobs in the agent's states.
 */
static void op_advance(struct fz *z)
{
	static const char remote[] = "http://example.com/f", local[] = "/tmp/kbits-fuzz";
	struct rng *r = &z->r;
	int si = pick_slot(z, K_JOB), ai = agent_slot(z);
	struct kbits_file_spec f = {
		.remote = (uintptr_t)remote, .local = (uintptr_t)local,
		.remote_len = sizeof(remote) - 1, .local_len = sizeof(local) - 1,
	};
	struct kbits_add_files a = {
		.size = sizeof(a), .count = 1, .entry_size = sizeof(f), .files = (uintptr_t)&f,
	};
	struct kbits_agent_progress p;
	struct kbits_agent_job j;
	struct kbits_job_id id;
	int fd, afd;

	if (si < 0)
		return;
	fd = z->pool[si].fd;
	if (chance(r, 50))
		sys_ioctl(z, fd, KBITS_JOB_IOC_ADD_FILES, (uintptr_t)&a);
	sys_ioctl(z, fd, KBITS_JOB_IOC_RESUME, 0);
	if (ai < 0 || sys_ioctl(z, fd, KBITS_JOB_IOC_GET_ID, (uintptr_t)&id))
		return;
	afd = z->pool[ai].fd;
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	memcpy(j.id, id.id, KBITS_GUID_SIZE);
	sys_ioctl(z, afd, KBITS_AGENT_IOC_TAKE_JOB, (uintptr_t)&j);
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	memcpy(p.id, id.id, KBITS_GUID_SIZE);
	p.bytes_total = 100;
	p.bytes_transferred = chance(r, 60) ? 100 : 50;
	p.flags = p.bytes_transferred == 100 ? KBITS_FILE_COMPLETED : 0;
	for (p.index = 0; p.index < 4; p.index++)
		if (sys_ioctl(z, afd, KBITS_AGENT_IOC_PROGRESS, (uintptr_t)&p))
			break;
	if (chance(r, 60)) {
		sys_ioctl(z, afd, KBITS_AGENT_IOC_TRANSFERRED, (uintptr_t)&j);
	} else {
		struct kbits_agent_error e;

		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.flags = rnd(r, 4);	/* KBITS_ERROR_HTTP too: 404 is one */
		memcpy(e.id, id.id, KBITS_GUID_SIZE);
		e.context = 1 + rnd(r, 5);
		e.code = 404;
		e.file_index = chance(r, 50) ? 0 : KBITS_NO_FILE;
		e.text = (uintptr_t)"not found";
		e.text_len = 9;
		sys_ioctl(z, afd, KBITS_AGENT_IOC_ERROR, (uintptr_t)&e);
	}
}

static void step(struct fz *z)
{
	struct rng *r = &z->r;
	uint32_t p = rnd(r, 1000);
	int si;

	arena_reset();
	if (p < 8) {
		open_dev(z);
	} else if (p < 12) {
		open_other(z);
	} else if (p < 24) {
		si = pick_slot(z, K_NONE);
		if (si >= 0 && (z->pool[si].kind != K_AGENT || chance(r, 30)))
			close_slot(z, si);
	} else if (p < 60) {
		op_read_poll(z);
	} else if (p < 63) {
		if (!z->child)
			op_fork(z);
	} else if (p < 70) {
		struct rng ar;

		rng_seed(&ar, rnd64(r));
		agent_answer(z, &ar);
	} else if (p < 80) {
		op_advance(z);
	} else if (p < 84) {
		/* A fresh job of our own, to keep the pool of jobs full. */
		int dev = dev_fd(z);
		struct kbits_create_job c;
		long fd;

		if (dev < 0 || z->child)
			return;
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.type = rnd(r, 3);
		c.name = (uintptr_t)"fuzz";
		c.name_len = 4;
		fd = sys_ioctl(z, dev, KBITS_IOC_CREATE_JOB, (uintptr_t)&c);
		if (fd >= 0) {
			add_owned(z, c.id);
			add_fd(z, fd, K_JOB);
		}
	} else {
		op_ioctl(z);
	}
}

/* ---- setup, phases, cleanup --------------------------------------------- */

static void fz_init(struct fz *z, uint64_t seed, bool root)
{
	unsigned int i;

	memset(z, 0, sizeof(*z));
	rng_seed(&z->r, seed);
	z->root = root;
	for (i = 0; i < NR_POOL; i++)
		z->pool[i].fd = -1;
	for (i = 0; i < NR_RECORDS; i++) {
		z->records[i] = malloc(RECORD_MAX);
		if (!z->records[i]) {
			perror("malloc");
			exit(1);
		}
	}
	open_dev(z);
	open_dev(z);
	open_other(z);
	open_other(z);
	open_other(z);
	if (root)
		add_fd(z, syscall(SYS_ioctl, dev_fd(z), KBITS_IOC_AGENT_ATTACH, 0), K_AGENT);
}

/* One phase: steps until @secs (0: no limit) or @iters (0: no limit). */
static void run_phase(struct fz *z, double secs, uint64_t iters)
{
	double end = now() + secs;
	uint64_t i;
	int j;

	for (i = 0; !iters || i < iters; i++) {
		if (secs > 0 && !(i & 15) && now() >= end)
			break;
		step(z);
	}
	/* Detach before the end, so nothing waits on this agent. */
	for (j = 0; j < NR_POOL; j++)
		close_slot(z, j);
}

/* Cancels every job ENUM_JOBS shows (all users' when root); the number. */
static unsigned int cancel_all(bool root, uint64_t *calls)
{
	static struct kbits_job_id ids[KBITS_ENUM_MAX];
	unsigned int cancelled = 0, round, i;
	int dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (dev < 0)
		return 0;
	for (round = 0; round < 8; round++) {
		struct kbits_enum_jobs e;
		unsigned int seen = 0;

		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.flags = root ? KBITS_ENUM_ALL_USERS : 0;
		do {
			e.ids = (uintptr_t)ids;
			e.count = KBITS_ENUM_MAX;
			(*calls)++;
			if (ioctl(dev, KBITS_IOC_ENUM_JOBS, &e))
				break;
			for (i = 0; i < e.count; i++) {
				struct kbits_get_job g;
				int fd;

				memset(&g, 0, sizeof(g));
				g.size = sizeof(g);
				memcpy(g.id, ids[i].id, KBITS_GUID_SIZE);
				(*calls)++;
				fd = ioctl(dev, KBITS_IOC_GET_JOB, &g);
				seen++;
				if (fd < 0)
					continue;
				(*calls)++;
				if (!ioctl(fd, KBITS_JOB_IOC_CANCEL))
					cancelled++;
				close(fd);
			}
		} while (e.cursor != KBITS_ENUM_END);
		if (!seen)
			break;
	}
	close(dev);
	return cancelled;
}

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
		perror("become");
		_exit(3);
	}
}

/* Shared with the phases' processes. */
struct shared {
	uint64_t calls;
	uint64_t cmd_calls[ARRAY_SIZE(cmds)];
	uint64_t cmd_ok[ARRAY_SIZE(cmds)];
	int stop;		/* the stateful phase's users are done */
};

/*
 * Runs one phase in a child and waits for it, killing it past its time.
 * Returns 0, or a description of what went wrong.
 */
static const char *run_child_phase(struct shared *sh, uint64_t seed, bool as_root,
				   double secs, uint64_t iters, char *why, size_t whylen)
{
	double limit = (secs > 0 ? secs : 3600) + 60;
	double start = now();
	bool killed = false;
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return "fork failed";
	if (pid == 0) {
		struct fz *z = malloc(sizeof(*z));

		if (!z)
			_exit(3);
		if (!as_root && geteuid() == 0)
			become(FUZZ_UID);
		fz_init(z, seed, as_root);
		run_phase(z, secs, iters);
		__atomic_add_fetch(&sh->calls, z->calls, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return "waitpid failed";
		if (now() - start > limit + (killed ? 30 : 0)) {
			if (killed) {
				snprintf(why, whylen, "the %s phase hangs (unkillable)",
					 as_root ? "root" : "unprivileged");
				return why;
			}
			kill(pid, SIGKILL);
			killed = true;
		}
		usleep(20000);
	}
	if (killed) {
		snprintf(why, whylen, "the %s phase hung past %.0f s and was killed",
			 as_root ? "root" : "unprivileged", limit);
		return why;
	}
	if (WIFSIGNALED(st)) {
		snprintf(why, whylen, "the %s phase died of signal %d",
			 as_root ? "root" : "unprivileged", WTERMSIG(st));
		return why;
	}
	if (WEXITSTATUS(st)) {
		snprintf(why, whylen, "the %s phase exited with %d",
			 as_root ? "root" : "unprivileged", WEXITSTATUS(st));
		return why;
	}
	return NULL;
}

/* ---- the stateful model -------------------------------------------------- */

/*
 * The main mode: processes that follow the protocol.  An agent (root) takes
 * the jobs its users queue, reports PROGRESS, ERROR, REQUEUE and TRANSFERRED,
 * answers COMPLETING with PLACED, exports jobs and imports them back after
 * cancelling them; an administrator (root) takes other users' jobs over while
 * their fds are open; two users (FUZZ_UID + 1, + 2) create jobs, add files,
 * resume, suspend, cancel and complete them.  Each keeps what it believes of
 * its jobs and mostly makes the calls that are valid for that belief; a
 * share of its calls has one field mutated, or is a call out of order.
 */
#define ST_MUTATE	8	/* percent of the calls with a field mutated */
#define ST_DISORDER	6	/* percent of the steps with a call out of order */
#define ST_USER_JOBS	10	/* jobs a user keeps at once (the limit is 60) */
#define ST_ADMIN_JOBS	6
#define ST_AGENT_JOBS	64
#define ST_FILES	4	/* files a user gives a download job, at most */
#define ST_RECORDS	4

enum role { ROLE_AGENT, ROLE_ADMIN, ROLE_USER };

/* What a user (or the administrator) believes of one of its jobs. */
struct ujob {
	int fd;			/* -1: slot free */
	uint8_t id[KBITS_GUID_SIZE];
	uint32_t type;
	uint32_t nfiles;
	uint32_t state;		/* as GET_STATE last said */
};

/* What the agent believes of a job. */
enum astate { AS_IDLE, AS_READY, AS_TAKEN, AS_RETRY };

struct ajob {
	bool used;
	uint8_t id[KBITS_GUID_SIZE];
	enum astate st;
	uint32_t next;		/* the next file to report */
	uint32_t part;		/* the current file's bytes so far */
	bool completing;	/* a COMPLETE waits for our PLACED */
	uint32_t place_in;	/* steps until we answer it */
	bool imported;		/* made by a mutated IMPORT: ours to cancel */
};

struct st {
	struct fz z;		/* its rng and call count; the pool is unused */
	enum role role;
	uid_t uid;
	int dev;
	/* users, administrator */
	struct ujob jobs[ST_USER_JOBS];
	unsigned int max_jobs;
	/* agent */
	int agent;
	bool places;
	struct ajob aj[ST_AGENT_JOBS];
	uint8_t *rec[ST_RECORDS];
	uint32_t rec_len[ST_RECORDS];
	uint8_t *rbuf;		/* RECORD_MAX bytes */
};

/*
 * Mutates one field of the @len bytes of an argument: its size field, a
 * bit of its GUID (at @guid_at, or -1), or (when @in_only: the kernel only
 * reads it) any aligned u32 of it.  An argument the kernel writes through
 * keeps its pointers and lengths, so the kernel never writes outside it.
 */
static void st_mutate(struct st *s, void *arg, size_t len, int guid_at, bool in_only)
{
	struct rng *r = &s->z.r;
	uint8_t *b = arg;
	uint32_t v;

	switch (rnd(r, in_only ? 4 : 2)) {
	case 0:		/* the size field: smaller, 0, or anything */
		v = chance(r, 50) ? (uint32_t)rnd(r, len) : any32(r);
		if (v > len && !in_only)
			v = len - 1;
		memcpy(b, &v, 4);
		break;
	case 1:
		if (guid_at >= 0) {
			b[guid_at + rnd(r, KBITS_GUID_SIZE)] ^= 1u << rnd(r, 8);
			break;
		}
		/* fall through */
	default:
		if (!in_only || len < 8)
			break;
		v = any32(r);
		memcpy(b + 4 + 4 * rnd(r, (len - 4) / 4), &v, 4);
		break;
	}
}

/* An ioctl of the model: a valid @arg of @len bytes, sometimes mutated. */
static long st_ioctl(struct st *s, int fd, unsigned long cmd, void *arg, size_t len,
		     int guid_at, bool in_only)
{
	if (arg && len >= 8 && chance(&s->z.r, ST_MUTATE))
		st_mutate(s, arg, len, guid_at, in_only);
	return sys_ioctl(&s->z, fd, cmd, (uintptr_t)arg);
}

#define GUID_AT(type)	((int)offsetof(type, id))

static long st_get_job(struct st *s, const uint8_t *id, bool mutate)
{
	struct kbits_get_job g = { .size = sizeof(g) };
	long fd;

	memcpy(g.id, id, KBITS_GUID_SIZE);
	if (mutate)
		fd = st_ioctl(s, s->dev, KBITS_IOC_GET_JOB, &g, sizeof(g),
			      GUID_AT(struct kbits_get_job), true);
	else
		fd = sys_ioctl(&s->z, s->dev, KBITS_IOC_GET_JOB, (uintptr_t)&g);
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Up to @max GUIDs of the jobs ENUM_JOBS shows (all users' with @all). */
static unsigned int st_enum(struct st *s, bool all, struct kbits_job_id *ids, unsigned int max)
{
	struct kbits_enum_jobs e;
	unsigned int n = 0;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.flags = all ? KBITS_ENUM_ALL_USERS : 0;
	while (n < max && e.cursor != KBITS_ENUM_END) {
		e.ids = (uintptr_t)(ids + n);
		e.count = chance(&s->z.r, 50) ? max - n : 1 + rnd(&s->z.r, max - n);
		if (st_ioctl(s, s->dev, KBITS_IOC_ENUM_JOBS, &e, sizeof(e), -1, false))
			break;
		if (e.count > max - n)	/* a mutated call may say anything */
			break;
		n += e.count;
	}
	return n;
}

/* ---- users and the administrator ---- */

static struct ujob *uj_find(struct st *s, const uint8_t *id)
{
	unsigned int i;

	for (i = 0; i < s->max_jobs; i++)
		if (s->jobs[i].fd >= 0 && !memcmp(s->jobs[i].id, id, KBITS_GUID_SIZE))
			return &s->jobs[i];
	return NULL;
}

static struct ujob *uj_free(struct st *s)
{
	unsigned int i;

	for (i = 0; i < s->max_jobs; i++)
		if (s->jobs[i].fd < 0)
			return &s->jobs[i];
	return NULL;
}

static unsigned int uj_count(struct st *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->max_jobs; i++)
		n += s->jobs[i].fd >= 0;
	return n;
}

static void uj_drop(struct st *s, struct ujob *j)
{
	s->z.calls++;
	close(j->fd);
	j->fd = -1;
}

/* Takes @fd of job @id into the table (reads its type, files and state). */
static struct ujob *uj_adopt(struct st *s, int fd, const uint8_t *id)
{
	struct ujob *j = uj_free(s);
	struct kbits_job_progress p;

	if (!j) {
		s->z.calls++;
		close(fd);
		return NULL;
	}
	j->fd = fd;
	memcpy(j->id, id, KBITS_GUID_SIZE);
	j->type = KBITS_JOB_TYPE_DOWNLOAD;
	j->nfiles = 0;
	j->state = KBITS_JOB_STATE_SUSPENDED;
	sys_ioctl(&s->z, fd, KBITS_JOB_IOC_GET_TYPE, (uintptr_t)&j->type);
	if (!sys_ioctl(&s->z, fd, KBITS_JOB_IOC_GET_PROGRESS, (uintptr_t)&p))
		j->nfiles = p.files_total;
	sys_ioctl(&s->z, fd, KBITS_JOB_IOC_GET_STATE, (uintptr_t)&j->state);
	return j;
}

static void u_create(struct st *s)
{
	struct rng *r = &s->z.r;
	struct kbits_create_job c;
	char name[32];
	long fd;
	struct ujob *j;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = chance(r, 75) ? KBITS_JOB_TYPE_DOWNLOAD : 1 + rnd(r, 2);
	snprintf(name, sizeof(name), "st-%u-%u", (unsigned int)s->uid, rnd(r, 1000));
	c.name = (uintptr_t)name;
	c.name_len = strlen(name);
	fd = st_ioctl(s, s->dev, KBITS_IOC_CREATE_JOB, &c, sizeof(c), -1, false);
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	j = uj_adopt(s, fd, c.id);
	if (j)
		j->type = c.type;
	/* an UPLOAD_REPLY job is resumed only with a reply file: mostly give it one */
	if (j && c.type == KBITS_JOB_TYPE_UPLOAD_REPLY && chance(r, 80)) {
		struct kbits_job_string str = { .size = sizeof(str) };

		snprintf(name, sizeof(name), "/tmp/kbits-fuzz-r%u", rnd(r, 100000));
		str.buf = (uintptr_t)name;
		str.len = strlen(name);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_REPLY_FILE, &str, sizeof(str), -1, true);
	}
}

static void u_add_files(struct st *s, struct ujob *j)
{
	struct rng *r = &s->z.r;
	struct kbits_file_spec f[ST_FILES];
	char remote[ST_FILES][64], local[ST_FILES][64];
	struct kbits_add_files a = {
		.size = sizeof(a), .entry_size = sizeof(f[0]), .files = (uintptr_t)f,
	};
	uint32_t i, n = 1 + rnd(r, 2);

	if (j->type != KBITS_JOB_TYPE_DOWNLOAD)
		n = 1;
	for (i = 0; i < n; i++) {
		snprintf(remote[i], sizeof(remote[i]), "%s://example.com/%u",
			 chance(r, 80) ? "http" : "https", rnd(r, 100000));
		snprintf(local[i], sizeof(local[i]), "/tmp/kbits-fuzz-%u-%u",
			 (unsigned int)s->uid, rnd(r, 100000));
		f[i].remote = (uintptr_t)remote[i];
		f[i].local = (uintptr_t)local[i];
		f[i].remote_len = strlen(remote[i]);
		f[i].local_len = strlen(local[i]);
		/* an expected SHA-256 now and then: the records then carry it */
		f[i].flags = 0;
		f[i].reserved = 0;
		memset(f[i].sha256, 0, sizeof(f[i].sha256));
		if (chance(r, 30)) {
			f[i].flags = KBITS_FILE_SHA256;
			for (size_t k = 0; k < sizeof(f[i].sha256); k++)
				f[i].sha256[k] = (uint8_t)rnd64(r);
		}
	}
	/* the files' modes come from the adder's umask: any */
	if (chance(r, 20))
		umask(rnd(r, 01000));
	a.count = n;
	if (!st_ioctl(s, j->fd, KBITS_JOB_IOC_ADD_FILES, &a, sizeof(a), -1, true))
		j->nfiles += n;
}

static void u_set(struct st *s, struct ujob *j)
{
	static const char hdrs[] = "X-Kbits-Fuzz: 1\r\nAccept: */*\r\n";
	static const char proxy[] = "http://proxy.invalid:8080", bypass[] = "localhost,*.test";
	struct rng *r = &s->z.r;
	char text[64];
	struct kbits_job_string str = { .size = sizeof(str), .buf = (uintptr_t)text };
	struct kbits_job_credentials cr;
	struct kbits_job_attr a;
	struct kbits_job_proxy p;

	switch (rnd(r, 7)) {
	case 5:
		/* credentials (a job with them refuses a holder's SET_PROXY, ADD_FILES) */
		memset(&cr, 0, sizeof(cr));
		cr.size = sizeof(cr);
		cr.target = 1 + rnd(r, 2);
		cr.scheme = 1 + rnd(r, 4);
		if (chance(r, 25)) {
			cr.flags = KBITS_CRED_REMOVE;
		} else {
			cr.user = (uintptr_t)"fuzz";
			cr.user_len = 4;
			cr.password = (uintptr_t)"s3cret \xc3\xa9";
			cr.password_len = 9;
		}
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_CREDENTIALS, &cr, sizeof(cr), -1, true);
		break;
	case 6:
		/* the reply file (an UPLOAD_REPLY job's; EOPNOTSUPP for the others) */
		str.len = chance(r, 85) ? (uint32_t)snprintf(text, sizeof(text),
				"/tmp/kbits-fuzz-r%u", rnd(r, 100000)) : 0;
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_REPLY_FILE, &str, sizeof(str), -1, true);
		break;
	case 0:
		str.len = snprintf(text, sizeof(text), "name %u", rnd(r, 1000));
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_DISPLAY_NAME, &str, sizeof(str), -1, true);
		break;
	case 1:
		str.len = snprintf(text, sizeof(text), "a description \xc3\xa9 %u", rnd(r, 1000));
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_DESCRIPTION, &str, sizeof(str), -1, true);
		break;
	case 2:
		str.buf = (uintptr_t)hdrs;
		str.len = chance(r, 80) ? sizeof(hdrs) - 1 : 0;
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_HTTP_HEADERS, &str, sizeof(str), -1, true);
		break;
	case 3:
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.mask = 1 + rnd(r, 0x3f);
		a.priority = rnd(r, 4);
		a.notify_flags = rnd(r, KBITS_NOTIFY_ALL + 1);
		a.min_retry_delay = KBITS_MIN_RETRY_DELAY_MIN + rnd(r, 1000);
		a.no_progress_timeout = rnd(r, 3) ? rnd(r, 100000) : 0;
		a.flags = rnd(r, 2) ? KBITS_JOB_DYNAMIC_CONTENT : 0;
		a.max_download_time = rnd(r, 3) ? rnd(r, 100000) : 0;
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_ATTR, &a, sizeof(a), -1, true);
		break;
	default:
		memset(&p, 0, sizeof(p));
		p.size = sizeof(p);
		p.usage = rnd(r, 3);
		if (p.usage == KBITS_PROXY_OVERRIDE) {
			p.list = (uintptr_t)proxy;
			p.list_len = sizeof(proxy) - 1;
			if (chance(r, 50)) {
				p.bypass = (uintptr_t)bypass;
				p.bypass_len = sizeof(bypass) - 1;
			}
		}
		st_ioctl(s, j->fd, KBITS_JOB_IOC_SET_PROXY, &p, sizeof(p), -1, true);
		break;
	}
}

/* A read-only look at the job: a getter with room enough, or its events. */
static void u_get(struct st *s, struct ujob *j)
{
	struct rng *r = &s->z.r;
	char b1[KBITS_HTTP_HEADERS_MAX + 1], b2[KBITS_LOCAL_NAME_MAX + 1];
	struct kbits_job_string str = { .size = sizeof(str), .buf = (uintptr_t)b1 };
	struct kbits_job_attr a = { .size = sizeof(a) };
	struct kbits_job_file f = { .size = sizeof(f) };
	struct kbits_job_error e = { .size = sizeof(e) };
	struct kbits_job_proxy p = { .size = sizeof(p) };
	struct kbits_job_cred_schemes cs = { .size = sizeof(cs) };
	struct kbits_job_progress pr;
	struct kbits_job_id id;
	struct kbits_event ev[4];
	uint32_t u;

	switch (rnd(r, 15)) {
	case 11:
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_CREDENTIALS, &cs, sizeof(cs), -1, false);
		break;
	case 12:
		str.buf = (uintptr_t)b2;
		str.len = chance(r, 90) ? sizeof(b2) : rnd(r, 8);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_REPLY_FILE, &str, sizeof(str), -1, false);
		break;
	case 0:
		sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_GET_ID, (uintptr_t)&id);
		break;
	case 1:
		sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_GET_TYPE, (uintptr_t)&u);
		break;
	case 2:
		sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_GET_OWNER, (uintptr_t)&u);
		break;
	case 3:
		str.len = chance(r, 90) ? sizeof(b1) : rnd(r, 8);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_DISPLAY_NAME, &str, sizeof(str), -1, false);
		break;
	case 4:
		str.len = chance(r, 90) ? sizeof(b1) : rnd(r, 8);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_DESCRIPTION, &str, sizeof(str), -1, false);
		break;
	case 5:
		str.len = sizeof(b1);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_HTTP_HEADERS, &str, sizeof(str), -1, false);
		break;
	case 6:
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_ATTR, &a, sizeof(a), -1, false);
		break;
	case 7:
		f.index = j->nfiles && chance(r, 90) ? rnd(r, j->nfiles) : rnd(r, 8);
		f.remote = (uintptr_t)b1;
		f.remote_len = sizeof(b1);
		f.local = (uintptr_t)b2;
		f.local_len = chance(r, 90) ? sizeof(b2) : rnd(r, 8);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_FILE, &f, sizeof(f), -1, false);
		break;
	case 8:
		if (!sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_GET_PROGRESS, (uintptr_t)&pr))
			j->nfiles = pr.files_total;
		break;
	case 9:
		e.text = (uintptr_t)b1;
		e.text_len = sizeof(b1);
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_ERROR, &e, sizeof(e), -1, false);
		break;
	case 10:
		p.list = (uintptr_t)b1;
		p.list_len = KBITS_PROXY_LIST_MAX + 1;
		p.bypass = (uintptr_t)b2;
		p.bypass_len = KBITS_PROXY_LIST_MAX + 1;
		st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_PROXY, &p, sizeof(p), -1, false);
		break;
	default:	/* the job's events (the fd is O_NONBLOCK) */
		s->z.calls++;
		if (read(j->fd, ev, sizeof(ev)) < 0 && errno == EACCES)
			uj_drop(s, j);	/* revoked by a TAKE_OWNERSHIP */
		break;
	}
}

/* The error the agent reported (a job in an error state has one). */
static void u_get_error(struct st *s, struct ujob *j)
{
	char text[KBITS_ERROR_TEXT_MAX + 1];
	struct kbits_job_error e = { .size = sizeof(e), .text = (uintptr_t)text };

	e.text_len = chance(&s->z.r, 90) ? sizeof(text) : rnd(&s->z.r, 8);
	st_ioctl(s, j->fd, KBITS_JOB_IOC_GET_ERROR, &e, sizeof(e), -1, false);
}

/*
 * COMPLETE: may sleep until the agent (another process) answers PLACED;
 * fails with EAGAIN when no placing agent is attached.
 */
static void u_complete(struct st *s, struct ujob *j)
{
	if (sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_COMPLETE, 0) >= 0)
		uj_drop(s, j);	/* ACKNOWLEDGED: out of the queue */
}

static void u_cancel(struct st *s, struct ujob *j)
{
	if (!sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_CANCEL, 0))
		uj_drop(s, j);
}

/* Any of the job fd's state changes, whatever the state: out of order. */
static void u_disorder(struct st *s, struct ujob *j)
{
	switch (rnd(&s->z.r, 7)) {
	case 0:
		sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_RESUME, 0);
		break;
	case 1:
		sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_SUSPEND, 0);
		break;
	case 2:
		u_complete(s, j);
		break;
	case 3:
		u_add_files(s, j);
		break;
	case 4:
		u_set(s, j);
		break;
	case 5:		/* not an administrator (EPERM), or one: the new fd */
		{
			long fd = sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_TAKE_OWNERSHIP, 0);

			if (fd >= 0) {
				fcntl(fd, F_SETFL, O_NONBLOCK);
				s->z.calls++;
				close(j->fd);
				j->fd = fd;
			}
		}
		break;
	default:
		u_cancel(s, j);
		break;
	}
}

/* ENUM_JOBS, then GET_JOB of what the table lacks (an IMPORT's job, say). */
static void u_discover(struct st *s, bool all)
{
	struct kbits_job_id ids[16];
	unsigned int n = st_enum(s, all, ids, ARRAY_SIZE(ids)), i;
	bool ours = !all;
	long fd;

	if (!n)
		return;
	i = rnd(&s->z.r, n);
	if (uj_find(s, ids[i].id) && !chance(&s->z.r, 20))
		return;	/* known (else: a second fd of it) */
	fd = st_get_job(s, ids[i].id, true);
	if (fd < 0)
		return;
	if (all && chance(&s->z.r, 60)) {
		/* The administrator takes it over while its user's fds are open. */
		long nfd = sys_ioctl(&s->z, fd, KBITS_JOB_IOC_TAKE_OWNERSHIP, 0);

		s->z.calls++;
		close(fd);
		if (nfd < 0)
			return;
		fd = nfd;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		ours = true;
	}
	if (!uj_free(s)) {	/* no room: a job of ours too many, cancel it */
		if (ours)
			sys_ioctl(&s->z, fd, KBITS_JOB_IOC_CANCEL, 0);
		s->z.calls++;
		close(fd);
		return;
	}
	uj_adopt(s, fd, ids[i].id);
}

static void user_step(struct st *s)
{
	struct rng *r = &s->z.r;
	unsigned int n = uj_count(s), i, k;
	struct ujob *j = NULL;
	uint32_t p;

	if (!n || (n < s->max_jobs && chance(r, 8))) {
		u_create(s);
		return;
	}
	if (chance(r, 3)) {
		u_discover(s, s->role == ROLE_ADMIN);
		return;
	}
	if (n == s->max_jobs && chance(r, 3)) {	/* make room */
		u_cancel(s, &s->jobs[rnd(r, s->max_jobs)]);
		return;
	}
	k = rnd(r, n);
	for (i = 0; i < s->max_jobs; i++)
		if (s->jobs[i].fd >= 0 && !k--) {
			j = &s->jobs[i];
			break;
		}
	if (!j)
		return;
	/* What it believes, or now and then what the kernel says. */
	if (chance(r, 60) &&
	    sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_GET_STATE, (uintptr_t)&j->state)) {
		if (errno == EACCES)	/* revoked: someone took it over */
			uj_drop(s, j);
		return;
	}
	if (chance(r, ST_DISORDER)) {
		u_disorder(s, j);
		return;
	}
	p = rnd(r, 100);
	switch (j->state) {
	case KBITS_JOB_STATE_SUSPENDED:
		if (!j->nfiles || (j->type == KBITS_JOB_TYPE_DOWNLOAD && j->nfiles < 6 && p < 15))
			u_add_files(s, j);
		else if (p < 55)
			sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_RESUME, 0);
		else if (p < 75)
			u_set(s, j);
		else if (p < 97)
			u_get(s, j);
		else
			u_cancel(s, j);
		break;
	case KBITS_JOB_STATE_QUEUED:
	case KBITS_JOB_STATE_CONNECTING:
	case KBITS_JOB_STATE_TRANSFERRING:
		if (p < 60)
			u_get(s, j);
		else if (p < 70)
			u_set(s, j);
		else if (p < 78)
			sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_SUSPEND, 0);
		else if (p < 85)	/* races the agent's PROGRESS */
			u_cancel(s, j);
		else if (p < 90 && j->type == KBITS_JOB_TYPE_DOWNLOAD && j->nfiles < 6)
			u_add_files(s, j);
		else if (p < 93)	/* early: drops what is unfinished */
			u_complete(s, j);
		else
			usleep(200);	/* let the agent work */
		break;
	case KBITS_JOB_STATE_ERROR:
	case KBITS_JOB_STATE_TRANSIENT_ERROR:
		if (p < 35)
			u_get_error(s, j);
		else if (p < 50)
			u_get(s, j);
		else if (p < 80)
			sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_RESUME, 0);
		else if (p < 90)
			u_cancel(s, j);
		else
			u_complete(s, j);
		break;
	case KBITS_JOB_STATE_TRANSFERRED:
		if (p < 65)	/* races the agent's PLACED of other jobs */
			u_complete(s, j);
		else if (p < 80)
			u_get(s, j);
		else if (p < 90 && j->type == KBITS_JOB_TYPE_DOWNLOAD && j->nfiles < 6) {
			u_add_files(s, j);
			sys_ioctl(&s->z, j->fd, KBITS_JOB_IOC_RESUME, 0);
		} else {
			u_cancel(s, j);
		}
		break;
	default:	/* ACKNOWLEDGED, CANCELLED (by the agent, say): gone */
		if (p < 10)
			u_get(s, j);
		else
			uj_drop(s, j);
		break;
	}
}

/* ---- the agent ---- */

static struct ajob *aj_find(struct st *s, const uint8_t *id, bool add)
{
	struct ajob *fr = NULL;
	unsigned int i;

	for (i = 0; i < ST_AGENT_JOBS; i++) {
		if (s->aj[i].used && !memcmp(s->aj[i].id, id, KBITS_GUID_SIZE))
			return &s->aj[i];
		if (!s->aj[i].used && !fr)
			fr = &s->aj[i];
	}
	if (!add)
		return NULL;
	if (!fr)	/* full: forget one (it is found again by ENUM_JOBS) */
		fr = &s->aj[rnd(&s->z.r, ST_AGENT_JOBS)];
	memset(fr, 0, sizeof(*fr));
	fr->used = true;
	memcpy(fr->id, id, KBITS_GUID_SIZE);
	return fr;
}

static void a_attach(struct st *s)
{
	uint32_t flags = chance(&s->z.r, 90) ? KBITS_AGENT_PLACES_FILES : 0;
	long fd = sys_ioctl(&s->z, s->dev, KBITS_IOC_AGENT_ATTACH, flags);
	unsigned int i;

	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	s->agent = fd;
	s->places = flags;
	for (i = 0; i < ST_AGENT_JOBS; i++) {	/* what a new agent knows */
		s->aj[i].completing = false;
		if (s->aj[i].st == AS_TAKEN)
			s->aj[i].st = AS_READY;
	}
}

static void a_detach(struct st *s)
{
	s->z.calls++;
	close(s->agent);
	s->agent = -1;
}

static uint32_t a_export(struct st *s, struct ajob *a);

/*
 * ENUM_JOBS of every user's, GET_STATE through GET_JOB (what to take), and
 * EXPORT_JOB (which COMPLETE waits for us): as an agent does after an
 * OVERFLOW, or when it starts.
 */
static void a_rescan(struct st *s)
{
	struct kbits_job_id ids[32];
	unsigned int n = st_enum(s, true, ids, ARRAY_SIZE(ids)), i;

	for (i = 0; i < n; i++) {
		struct ajob *a;
		uint32_t state;
		long fd = st_get_job(s, ids[i].id, false);

		if (fd < 0)
			continue;
		if (!sys_ioctl(&s->z, fd, KBITS_JOB_IOC_GET_STATE, (uintptr_t)&state) &&
		    (state == KBITS_JOB_STATE_QUEUED || state == KBITS_JOB_STATE_TRANSIENT_ERROR)) {
			a = aj_find(s, ids[i].id, true);
			if (a->st != AS_TAKEN)
				a->st = state == KBITS_JOB_STATE_QUEUED ? AS_READY : AS_RETRY;
		}
		s->z.calls++;
		close(fd);
		/* A COMPLETE that waits, its COMPLETING lost: the record says so. */
		if (s->agent >= 0) {
			struct ajob tmp = { .used = true };
			const struct kbits_job_record *h = (const void *)s->rbuf;

			memcpy(tmp.id, ids[i].id, KBITS_GUID_SIZE);
			if (a_export(s, &tmp) >= sizeof(*h) && (h->flags & KBITS_RECORD_COMPLETING)) {
				a = aj_find(s, ids[i].id, true);
				if (!a->completing) {
					a->completing = true;
					a->place_in = rnd(&s->z.r, 4);
				}
			}
		}
	}
}

static void a_events(struct st *s)
{
	struct kbits_event ev[16];
	long n, i;

	s->z.calls++;
	if (chance(&s->z.r, 1)) {	/* lost records: an OVERFLOW follows */
		syscall(SYS_read, s->agent, (void *)(uintptr_t)noaccess_addr, sizeof(ev));
		return;
	}
	n = read(s->agent, ev, chance(&s->z.r, 90) ? sizeof(ev) : sizeof(ev[0]));
	for (i = 0; n > 0 && i < n / (long)sizeof(ev[0]); i++) {
		struct ajob *a;

		switch (ev[i].kind) {
		case KBITS_EVENT_QUEUED:
			a = aj_find(s, ev[i].id, true);
			a->st = AS_READY;
			break;
		case KBITS_EVENT_CREATED:
			aj_find(s, ev[i].id, true);
			break;
		case KBITS_EVENT_SUSPENDED:
			a = aj_find(s, ev[i].id, false);
			if (a)
				a->st = AS_IDLE;
			break;
		case KBITS_EVENT_CANCELLED:
		case KBITS_EVENT_COMPLETED:
			a = aj_find(s, ev[i].id, false);
			if (a)
				a->used = false;
			break;
		case KBITS_EVENT_COMPLETING:
			a = aj_find(s, ev[i].id, true);
			a->completing = true;
			a->place_in = rnd(&s->z.r, 4);
			break;
		case KBITS_EVENT_OVERFLOW:
			a_rescan(s);
			break;
		default:	/* MODIFIED: a file more, perhaps; found by ENXIO */
			break;
		}
	}
}

static void a_placed(struct st *s, struct ajob *a)
{
	struct rng *r = &s->z.r;
	struct kbits_agent_placed p = { .size = sizeof(p) };

	memcpy(p.id, a->id, KBITS_GUID_SIZE);
	p.error = chance(r, 85) ? 0 : (int32_t[]){ EIO, ENOSPC, EACCES }[rnd(r, 3)];
	st_ioctl(s, s->agent, KBITS_AGENT_IOC_PLACED, &p, sizeof(p),
		 GUID_AT(struct kbits_agent_placed), true);
	/* Whatever it said (EBADFD: cancelled meanwhile), it is answered. */
	a->completing = false;
}

static long a_job_call(struct st *s, unsigned long cmd, struct ajob *a)
{
	struct kbits_agent_job j = { .size = sizeof(j) };

	memcpy(j.id, a->id, KBITS_GUID_SIZE);
	return st_ioctl(s, s->agent, cmd, &j, sizeof(j), GUID_AT(struct kbits_agent_job), true);
}

static void a_error(struct st *s, struct ajob *a)
{
	static const char text[] = "503 Service Unavailable";
	struct rng *r = &s->z.r;
	struct kbits_agent_error e = { .size = sizeof(e) };

	memcpy(e.id, a->id, KBITS_GUID_SIZE);
	e.flags = chance(r, 70) ? KBITS_ERROR_TRANSIENT : 0;
	e.context = 1 + rnd(r, KBITS_ERROR_CONTEXT_REMOTE_APPLICATION);
	e.code = chance(r, 50) ? 503 : EIO;
	if (e.code == 503 && chance(r, 50))
		e.flags |= KBITS_ERROR_HTTP;	/* it says what 503 is */
	e.file_index = chance(r, 50) ? KBITS_NO_FILE : a->next;
	e.text = (uintptr_t)text;
	e.text_len = sizeof(text) - 1;
	if (!st_ioctl(s, s->agent, KBITS_AGENT_IOC_ERROR, &e, sizeof(e),
		      GUID_AT(struct kbits_agent_error), true))
		a->st = e.flags & KBITS_ERROR_TRANSIENT ? AS_RETRY : AS_IDLE;
}

/* One step of work on a job the agent took. */
static void a_work(struct st *s, struct ajob *a)
{
	struct rng *r = &s->z.r;
	struct kbits_agent_progress p = { .size = sizeof(p) };
	struct kbits_agent_job_ns ns = { .size = sizeof(ns) };
	uint32_t c = rnd(r, 100);
	long ret;

	if (c < 8) {
		a_error(s, a);
		return;
	}
	if (c < 12) {
		if (!a_job_call(s, KBITS_AGENT_IOC_REQUEUE, a))
			a->st = AS_READY;
		return;
	}
	if (c < 16) {
		memcpy(ns.id, a->id, KBITS_GUID_SIZE);
		ns.kind = rnd(r, 2);
		ret = st_ioctl(s, s->agent, KBITS_AGENT_IOC_JOB_NS, &ns, sizeof(ns),
			       GUID_AT(struct kbits_agent_job_ns), true);
		if (ret >= 0) {
			s->z.calls++;
			close(ret);
		}
		return;
	}
	/* PROGRESS of file a->next: a part first, now and then, then all of it. */
	memcpy(p.id, a->id, KBITS_GUID_SIZE);
	p.index = a->next;
	p.bytes_total = chance(r, 10) ? KBITS_SIZE_UNKNOWN : 4096;
	if (p.bytes_total != KBITS_SIZE_UNKNOWN && (a->part || chance(r, 60))) {
		p.bytes_transferred = 4096;
		p.flags = KBITS_FILE_COMPLETED;
	} else {
		p.bytes_transferred = a->part = 1 + rnd(r, 4095);
	}
	ret = st_ioctl(s, s->agent, KBITS_AGENT_IOC_PROGRESS, &p, sizeof(p),
		       GUID_AT(struct kbits_agent_progress), true);
	if (!ret) {
		if (p.flags) {
			a->next++;
			a->part = 0;
		}
		return;
	}
	if (errno == ENXIO && a->next && p.index == a->next) {
		/* Past the last file: all are done. */
		if (!a_job_call(s, KBITS_AGENT_IOC_TRANSFERRED, a)) {
			a->st = AS_IDLE;
		} else if (errno == EINVAL) {	/* one unfinished (added since) */
			a->next = 0;
		}
	} else if (errno == EBADFD) {	/* suspended, cancelled meanwhile */
		a->st = AS_IDLE;
	} else if (errno == ENOENT) {
		a->used = false;
	}
}

static void a_take(struct st *s, struct ajob *a)
{
	if (!a_job_call(s, KBITS_AGENT_IOC_TAKE_JOB, a)) {
		a->st = AS_TAKEN;
		a->next = 0;
		a->part = 0;
	} else if (errno == ENOENT) {
		a->used = false;
	} else if (errno == EBADFD) {
		a->st = AS_IDLE;
	}
}

/* EXPORT job @a; the record's length, or 0. */
static uint32_t a_export(struct st *s, struct ajob *a)
{
	struct kbits_agent_record rec = { .size = sizeof(rec) };

	memcpy(rec.id, a->id, KBITS_GUID_SIZE);
	rec.buf = (uintptr_t)s->rbuf;
	rec.buf_len = chance(&s->z.r, 95) ? RECORD_MAX : rnd(&s->z.r, 200);
	if (st_ioctl(s, s->agent, KBITS_AGENT_IOC_EXPORT_JOB, &rec, sizeof(rec),
		     GUID_AT(struct kbits_agent_record), false))
		return 0;
	return rec.buf_len <= RECORD_MAX ? rec.buf_len : 0;
}

static long a_import(struct st *s, const uint8_t *buf, uint32_t len)
{
	struct kbits_agent_record rec = { .size = sizeof(rec) };

	rec.buf = (uintptr_t)buf;
	rec.buf_len = len;
	return st_ioctl(s, s->agent, KBITS_AGENT_IOC_IMPORT_JOB, &rec, sizeof(rec), -1, true);
}

/* Cancels job @id through a new fd of our own (we are root). */
static long a_cancel(struct st *s, const uint8_t *id)
{
	long fd = st_get_job(s, id, false), ret;

	if (fd < 0)
		return fd;
	ret = sys_ioctl(&s->z, fd, KBITS_JOB_IOC_CANCEL, 0);
	s->z.calls++;
	close(fd);
	return ret;
}

/*
 * What a module reload does to a job, without the reload: EXPORT it,
 * CANCEL it (its GUID is then free), IMPORT the record.  Its user's fds
 * read CANCELLED; the user finds the imported job again with ENUM_JOBS.
 */
static void a_reload_one(struct st *s, struct ajob *a)
{
	unsigned int k = rnd(&s->z.r, ST_RECORDS);
	uint32_t len = a_export(s, a);

	if (!len)
		return;
	memcpy(s->rec[k], s->rbuf, len);
	s->rec_len[k] = len;
	if (chance(&s->z.r, 85) && a_cancel(s, a->id))
		return;	/* EBUSY: its COMPLETE waits; ENOENT: gone */
	/* The same GUID: free now, or EEXIST when not cancelled. */
	if (!a_import(s, s->rec[k], len)) {
		a->st = AS_IDLE;
		a->completing = false;
		a_rescan(s);
	}
}

/* IMPORT of a mutated record (a new GUID mostly); what it makes, we cancel. */
static void a_import_mutated(struct st *s)
{
	struct rng *r = &s->z.r;
	unsigned int k = rnd(r, ST_RECORDS), n, i;
	uint32_t len = s->rec_len[k];
	uint8_t *b = s->rbuf;
	struct kbits_job_record *h = (void *)b;

	if (!len)
		return;
	memcpy(b, s->rec[k], len);
	if (len >= sizeof(*h) && chance(r, 80))
		for (i = 0; i < KBITS_GUID_SIZE; i++)
			h->id[i] = (uint8_t)rnd64(r);
	n = rnd(r, 3);
	for (i = 0; i < n; i++) {
		uint32_t at = rnd(r, len), v = any32(r);

		if (chance(r, 60) && len >= 4)
			memcpy(b + (at & ~3u) - ((at & ~3u) + 4 > len ? 4 : 0), &v, 4);
		else
			b[at] ^= 1u << rnd(r, 8);
	}
	if (chance(r, 10))
		len = rnd(r, len + 1);
	if (!a_import(s, b, len) && len >= sizeof(*h)) {
		struct ajob *a = aj_find(s, h->id, true);

		a->imported = true;
		if (chance(r, 70)) {
			a_cancel(s, h->id);
			a->used = false;
		}
	}
}

static void agent_step(struct st *s)
{
	struct rng *r = &s->z.r;
	struct ajob *cand[ST_AGENT_JOBS];
	unsigned int i, n = 0;
	uint32_t p;

	if (s->agent < 0) {
		a_attach(s);
		if (s->agent < 0) {
			usleep(1000);	/* another agent: try again later */
			return;
		}
		a_rescan(s);	/* what a new agent does first */
	}
	/* Answer the COMPLETEs that wait, a few steps late. */
	for (i = 0; i < ST_AGENT_JOBS; i++) {
		struct ajob *a = &s->aj[i];

		if (a->used && a->completing && !a->place_in--)
			a_placed(s, a);
	}
	p = rnd(r, 1000);
	if (p < 200) {
		a_events(s);
		return;
	}
	if (p < 205) {
		a_rescan(s);
		return;
	}
	if (p < 207) {		/* the agent goes away and comes back */
		a_detach(s);
		return;
	}
	for (i = 0; i < ST_AGENT_JOBS; i++)
		if (s->aj[i].used)
			cand[n++] = &s->aj[i];
	if (!n) {
		a_events(s);
		usleep(200);
		return;
	}
	if (p < 245) {
		a_reload_one(s, cand[rnd(r, n)]);
		return;
	}
	if (p < 260) {
		a_import_mutated(s);
		return;
	}
	if (p < 275) {		/* out of order: any job, any of the agent's calls */
		struct ajob *a = cand[rnd(r, n)];

		switch (rnd(r, 6)) {
		case 0:
			a_take(s, a);
			break;
		case 1:
			a_job_call(s, KBITS_AGENT_IOC_TRANSFERRED, a);
			break;
		case 2:
			a_job_call(s, KBITS_AGENT_IOC_REQUEUE, a);
			break;
		case 3:
			a_placed(s, a);
			break;
		case 4:
			a_error(s, a);
			break;
		default:
			a_work(s, a);
			break;
		}
		return;
	}
	/* Mostly: the jobs taken, then the ones ready. */
	{
		struct ajob *a = cand[rnd(r, n)];

		switch (a->st) {
		case AS_TAKEN:
			a_work(s, a);
			break;
		case AS_READY:
			a_take(s, a);
			break;
		case AS_RETRY:	/* its min_retry_delay: not ours to wait here */
			if (chance(r, 30))
				a_take(s, a);
			else if (chance(r, 10))
				a_error(s, a);	/* out of time: a final error */
			break;
		default:
			if (chance(r, 10))
				a_events(s);
			break;
		}
	}
}

/* ---- the stateful phase ---- */

static void st_cleanup_user(struct st *s)
{
	struct kbits_job_id ids[64];
	unsigned int i, n;

	for (i = 0; i < s->max_jobs; i++)
		if (s->jobs[i].fd >= 0) {
			sys_ioctl(&s->z, s->jobs[i].fd, KBITS_JOB_IOC_CANCEL, 0);
			uj_drop(s, &s->jobs[i]);
		}
	/* and the ones it does not know: imported under its uid */
	n = st_enum(s, false, ids, ARRAY_SIZE(ids));
	for (i = 0; i < n; i++) {
		long fd = st_get_job(s, ids[i].id, false);

		if (fd >= 0) {
			sys_ioctl(&s->z, fd, KBITS_JOB_IOC_CANCEL, 0);
			close(fd);
		}
	}
}

static void st_worker(struct st *s, int *stop, double end, uint64_t iters)
{
	uint64_t i;

	for (i = 0; !iters || i < iters; i++) {
		if (s->role == ROLE_AGENT ? __atomic_load_n(stop, __ATOMIC_SEQ_CST) :
		    (!(i & 15) && end > 0 && now() >= end))
			break;
		if (s->role == ROLE_AGENT)
			agent_step(s);
		else
			user_step(s);
	}
	if (s->role == ROLE_AGENT) {
		/* The users are done: cancel what mutated IMPORTs left, detach. */
		for (i = 0; i < ST_AGENT_JOBS; i++)
			if (s->aj[i].used && s->aj[i].imported)
				a_cancel(s, s->aj[i].id);
		if (s->agent >= 0)
			a_detach(s);
	} else {
		st_cleanup_user(s);
	}
}

struct worker {
	enum role role;
	uid_t uid;
	const char *what;
};

/*
 * The stateful phase: the workers of @ws in processes of their own, until
 * @secs pass (or each made @iters steps); the agent goes on until the
 * others are done, so that no COMPLETE waits for an agent that left.
 * Returns 0, or a description of what went wrong.
 */
static const char *run_stateful(struct shared *sh, int *stop, uint64_t seed,
				 const struct worker *ws, unsigned int nw, double secs,
				 uint64_t iters, char *why, size_t whylen)
{
	double start = now(), end = secs > 0 ? start + secs : 0;
	double limit = (secs > 0 ? secs : 3600) + 60;
	pid_t pids[8];
	bool done[8] = { false }, killed = false;
	unsigned int i, left = nw, users_left = 0;
	const char *err = NULL;
	int st;

	__atomic_store_n(stop, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < nw; i++) {
		uint64_t x = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));

		users_left += ws[i].role != ROLE_AGENT;
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] < 0) {
			snprintf(why, whylen, "fork: %s", strerror(errno));
			return why;
		}
		if (pids[i] == 0) {
			struct st *s = calloc(1, sizeof(*s));
			unsigned int k;

			if (!s)
				_exit(3);
			if (ws[i].uid != geteuid())
				become(ws[i].uid);
			rng_seed(&s->z.r, splitmix64(&x));
			s->z.root = geteuid() == 0;
			s->role = ws[i].role;
			s->uid = ws[i].uid;
			s->agent = -1;
			s->max_jobs = s->role == ROLE_ADMIN ? ST_ADMIN_JOBS : ST_USER_JOBS;
			for (k = 0; k < ST_USER_JOBS; k++)
				s->jobs[k].fd = -1;
			for (k = 0; k < ST_RECORDS && s->role == ROLE_AGENT; k++)
				s->rec[k] = malloc(RECORD_MAX);
			s->rbuf = s->role == ROLE_AGENT ? malloc(RECORD_MAX) : NULL;
			s->dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);
			if (s->dev < 0 || (s->role == ROLE_AGENT && !s->rbuf))
				_exit(3);
			for (k = 0; k < ST_RECORDS && s->role == ROLE_AGENT; k++)
				if (!s->rec[k])
					_exit(3);
			st_worker(s, stop, end, s->role == ROLE_AGENT ? 0 : iters);
			__atomic_add_fetch(&sh->calls, s->z.calls, __ATOMIC_SEQ_CST);
			_exit(0);
		}
	}
	while (left) {
		pid_t w = waitpid(-1, &st, WNOHANG);

		if (w < 0 && errno != EINTR) {
			err = "waitpid failed";
			break;
		}
		for (i = 0; w > 0 && i < nw; i++) {
			if (pids[i] != w)
				continue;
			done[i] = true;
			left--;
			if (ws[i].role != ROLE_AGENT && !--users_left)
				__atomic_store_n(stop, 1, __ATOMIC_SEQ_CST);
			if (err)
				break;
			if (WIFSIGNALED(st) && !killed) {
				snprintf(why, whylen, "the %s died of signal %d", ws[i].what,
					 WTERMSIG(st));
				err = why;
			} else if (WIFEXITED(st) && WEXITSTATUS(st)) {
				snprintf(why, whylen, "the %s exited with %d", ws[i].what,
					 WEXITSTATUS(st));
				err = why;
			}
		}
		if (w > 0)
			continue;
		if (now() - start > limit + (killed ? 30 : 0)) {
			if (killed) {
				snprintf(why, whylen, "the stateful phase hangs (unkillable)");
				return why;
			}
			for (i = 0; i < nw; i++)
				if (!done[i]) {
					snprintf(why, whylen,
						 "the stateful phase's %s hung past %.0f s and was killed",
						 ws[i].what, limit);
					err = why;
					kill(pids[i], SIGKILL);
				}
			killed = true;
		}
		usleep(20000);
	}
	return err;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seed N] [--seconds S] [--iterations N] "
		"[--mode both|stateful|mutation]\n", argv0);
	exit(2);
}

/*
 * Commands an unprivileged run cannot make succeed: the agent's,
 * TAKE_OWNERSHIP, and GET_ERROR (only an agent gives a job an error).
 */
static bool needs_root(const struct cmd *c)
{
	return c->kind == K_AGENT || c->nr == KBITS_IOC_AGENT_ATTACH ||
	       c->nr == KBITS_JOB_IOC_TAKE_OWNERSHIP || c->nr == KBITS_JOB_IOC_GET_ERROR;
}

int main(int argc, char **argv)
{
	uint64_t seed, iters = 0, x;
	double secs = -1, start, took;
	bool have_seed = false, root = geteuid() == 0;
	double share = 0.6;	/* of the time, for the stateful model */
	const char *err = NULL;
	char why[256], never[512];
	struct shared *sh;
	unsigned int cancelled, k, nok = 0, nneed = 0;
	int i, fd, off = 0;
	static const struct worker root_workers[] = {
		{ ROLE_AGENT, 0, "agent" },
		{ ROLE_ADMIN, 0, "administrator" },
		{ ROLE_USER, FUZZ_UID + 1, "first user" },
		{ ROLE_USER, FUZZ_UID + 2, "second user" },
	};
	struct worker self = { ROLE_USER, geteuid(), "user" };

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage(argv[0]);
		if (!strcmp(argv[i], "--seed")) {
			seed = strtoull(argv[++i], NULL, 0);
			have_seed = true;
		} else if (!strcmp(argv[i], "--seconds")) {
			secs = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--iterations")) {
			iters = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--mode")) {
			i++;
			if (!strcmp(argv[i], "both"))
				share = 0.6;
			else if (!strcmp(argv[i], "stateful"))
				share = 1;
			else if (!strcmp(argv[i], "mutation"))
				share = 0;
			else
				usage(argv[0]);
		} else {
			usage(argv[0]);
		}
	}
	if (!have_seed) {
		x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		seed = splitmix64(&x) % 1000000000000ull;
	}
	if (secs < 0)
		secs = iters ? 0 : 10;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# seed %" PRIu64 "\n", seed);
	printf("1..2\n");

	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("not ok 1 - fuzz seed %" PRIu64 ": cannot open %s: %s\n",
		       seed, DEV_PATH, strerror(errno));
		printf("not ok 2 - every command succeeded # nothing ran\n");
		return 1;
	}
	close(fd);
	memory_init();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("not ok 1 - fuzz seed %" PRIu64 ": mmap: %s\n", seed, strerror(errno));
		printf("not ok 2 - every command succeeded # nothing ran\n");
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	cmd_calls = sh->cmd_calls;
	cmd_ok = sh->cmd_ok;

	start = now();
	if (root) {
		if (share > 0) {
			printf("# stateful phase: %.0f s: agent and administrator (root), users %d and %d\n",
			       secs * share, FUZZ_UID + 1, FUZZ_UID + 2);
			err = run_stateful(sh, &sh->stop, seed, root_workers,
					   ARRAY_SIZE(root_workers), secs * share, iters, why,
					   sizeof(why));
		}
		if (!err && share < 1) {
			printf("# mutation phase, root (with the agent): %.0f s\n",
			       secs * (1 - share) * 2 / 3);
			err = run_child_phase(sh, seed, true, secs * (1 - share) * 2 / 3, iters,
					      why, sizeof(why));
		}
		if (!err && share < 1) {
			printf("# mutation phase, unprivileged (uid %d): %.0f s\n", FUZZ_UID,
			       secs * (1 - share) / 3);
			err = run_child_phase(sh, seed ^ 0x5a5a5a5a5a5a5a5aull, false,
					      secs * (1 - share) / 3, iters, why, sizeof(why));
		}
	} else {
		if (share > 0) {
			printf("# not root: a stateful user without an agent: %.0f s\n",
			       secs * share);
			err = run_stateful(sh, &sh->stop, seed, &self, 1, secs * share, iters,
					   why, sizeof(why));
		}
		if (!err && share < 1) {
			printf("# mutation phase, unprivileged: %.0f s\n", secs * (1 - share));
			err = run_child_phase(sh, seed, false, secs * (1 - share), iters, why,
					      sizeof(why));
		}
	}
	cancelled = cancel_all(root, &sh->calls);
	took = now() - start;
	printf("# cancelled %u jobs at the end\n", cancelled);

	/* Per command: calls and successes; every one must have succeeded. */
	never[0] = 0;
	printf("# command nr calls ok\n");
	for (k = 0; k < ARRAY_SIZE(cmds); k++) {
		const struct cmd *c = &cmds[k];
		bool need = root || !needs_root(c);

		printf("# %s 0x%02x %" PRIu64 " %" PRIu64 "%s\n", c->name,
		       (unsigned int)_IOC_NR(c->nr), sh->cmd_calls[k], sh->cmd_ok[k],
		       need ? "" : " (needs root)");
		nneed += need;
		if (sh->cmd_ok[k] && need)
			nok++;
		else if (need && off < (int)sizeof(never) - 64)
			off += snprintf(never + off, sizeof(never) - off, " %s", c->name);
	}
	printf("# %u of %u commands succeeded at least once\n", nok, nneed);
	if (err)
		printf("not ok 1 - fuzz seed %" PRIu64 ": %s\n", seed, err);
	else
		printf("ok 1 - fuzz seed %" PRIu64 ": %" PRIu64 " calls in %.0f s\n",
		       seed, sh->calls, took);
	if (nok < nneed)
		printf("not ok 2 - fuzz seed %" PRIu64 ": every command succeeded; never:%s\n",
		       seed, never);
	else
		printf("ok 2 - fuzz seed %" PRIu64 ": every command succeeded (%u)\n", seed, nok);
	return err || nok < nneed;
}
