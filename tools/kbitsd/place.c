// SPDX-License-Identifier: GPL-2.0
/*
 * The temporaries.  kbitsd writes file N of job G to
 * "<dir of its local name>/.kbits-<G as 32 hex digits>-<N>.part": beside the
 * final name (so that placing it is a rename on one file system) and under a
 * name a restarted kbitsd finds again.  The local name appears only when the
 * job's user completes the job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbitsd.h"

char *temp_path(const struct kbits_guid *id, uint32_t index, const char *local)
{
	const char *slash = strrchr(local, '/');
	size_t dirlen = slash ? (size_t)(slash - local) : 0;
	char hex[2 * sizeof(id->bytes) + 1];
	char *path;
	size_t i;

	for (i = 0; i < sizeof(id->bytes); i++)
		snprintf(hex + 2 * i, 3, "%02x", id->bytes[i]);
	if (asprintf(&path, "%.*s/.kbits-%s-%u.part", (int)dirlen, local, hex,
		     (unsigned int)index) < 0)
		return NULL;
	return path;
}

int place_files(const struct owner *o, const struct kbits_guid *id,
		const struct place_file *files, size_t n)
{
	int err = 0, e;
	size_t i;

	for (i = 0; i < n && !err; i++) {
		char *tmp = temp_path(id, (uint32_t)i, files[i].local);

		if (!tmp)
			return -ENOMEM;
		if (files[i].completed) {
			e = owner_rename(o, tmp, files[i].local);
			/* no temporary: an earlier, failed completion moved it */
			if (e == -ENOENT)
				e = 0;
			if (e < 0) {
				log_job(LOG_ERR, id, "cannot move %s to %s: %s", tmp,
					files[i].local, strerror(-e));
				err = e;
			}
		} else {
			e = owner_unlink(o, tmp);
			if (e < 0)
				log_job(LOG_WARNING, id, "cannot remove %s: %s", tmp,
					strerror(-e));
		}
		free(tmp);
	}
	return err;
}

void remove_temps(const struct owner *o, const struct kbits_guid *id,
		  const struct place_file *files, size_t n)
{
	size_t i;
	int e;

	for (i = 0; i < n; i++) {
		char *tmp = temp_path(id, (uint32_t)i, files[i].local);

		if (!tmp) {
			log_job(LOG_ERR, id, "cannot remove its temporaries: %s",
				strerror(ENOMEM));
			return;
		}
		e = owner_unlink(o, tmp);
		if (e < 0)
			log_job(LOG_WARNING, id, "cannot remove %s: %s", tmp, strerror(-e));
		free(tmp);
	}
}
