// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the queue and its jobs: /dev/kbits opened, a JOB operand (GUID or
 * name:NAME) found, and an operation's failure on a job in words.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kbitsctl.h"

int open_kbits(struct kbits **m)
{
	int err = kbits_new(m, 0);

	if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
		errmsg("kbits module not loaded: cannot open /dev/kbits: %s "
		       "(load it with 'modprobe kbits')", strerror(-err));
		return EXIT_FAILED;
	}
	if (err == -EACCES || err == -EPERM) {
		errmsg("cannot open /dev/kbits: %s", strerror(-err));
		return EXIT_DENIED;
	}
	if (err < 0) {
		errmsg("cannot open /dev/kbits: %s", strerror(-err));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int parse_guid_arg(const char *cmd, const char *arg, struct kbits_guid *id)
{
	if (!strncmp(arg, JOB_NAME_PREFIX, strlen(JOB_NAME_PREFIX))) {
		if (!arg[strlen(JOB_NAME_PREFIX)])
			return usage_fail(cmd, "'%s': the name is empty", arg);
		return EXIT_OK;
	}
	if (kbits_guid_parse(arg, id) < 0)
		return usage_fail(cmd, "'%s' is not a GUID ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}) "
				  "or name:NAME", arg);
	return EXIT_OK;
}

int resolve_job_arg(struct kbits *m, const char *cmd, const char *arg, unsigned int enum_flags,
		    struct kbits_guid *id)
{
	const char *name = arg + strlen(JOB_NAME_PREFIX);
	char shown[KBITS_DISPLAY_NAME_MAX * 4 + 1];
	struct kbits_guid *ids = NULL;
	size_t n, i;
	int ret, err;

	ret = parse_guid_arg(cmd, arg, id);
	if (ret || strncmp(arg, JOB_NAME_PREFIX, strlen(JOB_NAME_PREFIX)))
		return ret;
	text_to_buf(shown, sizeof(shown), name);
	err = kbits_find_jobs_by_name(m, name, enum_flags, &ids, &n);
	if (err == -EACCES) {
		errmsg("%s: name:%s: looking among every user's jobs needs CAP_SYS_ADMIN", cmd,
		       shown);
		return EXIT_DENIED;
	}
	if (err) {
		errmsg("%s: cannot list the jobs: %s", cmd, reason_text(err));
		return EXIT_FAILED;
	}
	if (n == 1) {
		*id = ids[0];
		free(ids);
		return EXIT_OK;
	}
	if (!n) {
		errmsg("%s: no job %sis named '%s'", cmd,
		       enum_flags & KBITS_ENUM_ALL_USERS ? "" : "of yours ", shown);
		return EXIT_NOT_FOUND;
	}
	fflush(stdout);
	fprintf(stderr, "kbitsctl: %s: %zu jobs are named '%s':", cmd, n, shown);
	for (i = 0; i < n; i++) {
		char g[KBITS_GUID_STRING_LEN];

		kbits_guid_format(&ids[i], g);
		fprintf(stderr, " %s", g);
	}
	fputs("; name one by its GUID\n", stderr);
	free(ids);
	return EXIT_USAGE;
}

int get_job(struct kbits *m, const struct kbits_guid *id, struct kbits_job **j)
{
	int err = kbits_get_job(m, id, j);

	return err < 0 ? job_fail(id, NULL, NULL, err) : EXIT_OK;
}

int get_job_arg_flags(const char *cmd, const char *arg, unsigned int enum_flags,
		      struct kbits_guid *id, struct kbits_job **j)
{
	struct kbits *m = NULL;
	int ret;

	ret = parse_guid_arg(cmd, arg, id);
	if (ret)
		return ret;
	ret = open_kbits(&m);
	if (ret)
		return ret;
	ret = resolve_job_arg(m, cmd, arg, enum_flags, id);
	if (!ret)
		ret = get_job(m, id, j);
	kbits_unref(m);
	return ret;
}

int get_job_arg(const char *cmd, const char *arg, struct kbits_guid *id, struct kbits_job **j)
{
	return get_job_arg_flags(cmd, arg, 0, id, j);
}

const char *reason_text(int err)
{
	switch (err) {
	case -ENOENT:
		return "not in the queue";
	case -EACCES:
		return "belongs to another user; permission denied";
	case -EPERM:
		return "permission denied: needs CAP_SYS_ADMIN over the job's user namespace, "
		       "with the job's owner mapped into yours";
	case -ENODATA:
		return "it has no files";
	case -ENOMSG:
		return "it has no error";
	case -EDQUOT:
		return "you have too many jobs (the limit is in "
		       "/sys/module/kbits/parameters/max_jobs_per_user)";
	case -ENOSPC:
		return "the machine has too many jobs (the limit is in "
		       "/sys/module/kbits/parameters/max_jobs)";
	case -E2BIG:
		return "the job would hold too many files (the limit is in "
		       "/sys/module/kbits/parameters/max_files_per_job; an upload job holds one)";
	case -ENAMETOOLONG:
		return "a name or string is too long";
	case -EINVAL:
		return "invalid argument";
	case -EAGAIN:
		return "kbitsd, which puts the files in place, is not running (start it, "
		       "then try again)";
	case -EBUSY:
		return "another complete of the job is already waiting";
	case -ENOTTY:
		return "the loaded kbits module does not know this request (is it older "
		       "than kbitsctl?)";
	case -EINTR:
		return "interrupted";
	}
	return kbits_strerror(err);
}

/*
 * A handle older than the job's last TAKE_OWNERSHIP (through another one):
 * the kernel answers its GET_ID and refuses everything else with EACCES.
 */
bool job_revoked(struct kbits_job *j)
{
	enum kbits_job_state st;
	struct kbits_guid id;

	return kbits_job_get_id(j, &id) == 0 && kbits_job_get_state(j, &st) == -EACCES;
}

int job_fail(const struct kbits_guid *id, struct kbits_job *j, const char *what, int err)
{
	char s[KBITS_GUID_STRING_LEN], pre[128];
	enum kbits_job_state st;
	uid_t owner;

	kbits_guid_format(id, s);
	if (what)
		snprintf(pre, sizeof(pre), "job %s: cannot %s", s, what);
	else
		snprintf(pre, sizeof(pre), "job %s", s);

	switch (err) {
	case -ENOENT:
		errmsg("%s: %s", pre, reason_text(err));
		return EXIT_NOT_FOUND;
	case -EACCES:
		if (j && job_revoked(j)) {
			errmsg("%s: this handle was revoked: the job was taken over by another user",
			       pre);
			return EXIT_DENIED;
		}
		if (j && kbits_job_get_owner(j, &owner) == 0) {
			char o[64];

			format_owner(o, sizeof(o), owner);
			errmsg("%s: belongs to %s; permission denied", pre, o);
		} else {
			errmsg("%s: %s", pre, reason_text(err));
		}
		return EXIT_DENIED;
	case -EPERM:
		errmsg("%s: %s", pre, reason_text(err));
		return EXIT_DENIED;
	case -EBADFD:
		if (j && kbits_job_get_state(j, &st) == 0)
			errmsg("%s: not allowed in state %s", pre, kbits_job_state_name(st));
		else
			errmsg("%s: not allowed in the job's state", pre);
		return EXIT_STATE;
	case -EINTR:
		errmsg("%s: %s", pre, reason_text(err));
		return EXIT_INTERRUPTED;
	case -EDESTADDRREQ:
		/* RESUME of an upload-reply job: where would the reply go? */
		errmsg("%s: it is an upload-reply job without a reply file, where the server's "
		       "reply goes: set one with 'kbitsctl set %s --reply-file PATH'", pre, s);
		return EXIT_FAILED;
	}
	errmsg("%s: %s", pre, reason_text(err));
	return EXIT_FAILED;
}
