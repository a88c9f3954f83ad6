// SPDX-License-Identifier: GPL-2.0
/*
 * Uses the installed libkbits as a program outside this tree would: built in
 * the test VM by tests/install/run-in-vm.sh with
 *   cc use-installed.c $(pkg-config --cflags --libs libkbits)
 * Opens kbits with KBITS_LOAD_MODULE (the module is not loaded: libkmod must
 * load it), creates a job, gets it back by its GUID, reads it and cancels it.
 * Prints the GUID; exits non-zero, saying why, when a step fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kbits/kbits.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "use-installed: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(void)
{
	char s[KBITS_GUID_STRING_LEN];
	enum kbits_job_state state;
	struct kbits_guid id, got;
	struct kbits_job *job;
	struct kbits *m;
	char *name;
	int err;

	err = kbits_new(&m, KBITS_LOAD_MODULE);
	if (err)
		return fail("kbits_new(KBITS_LOAD_MODULE)", err);
	err = kbits_create_job(m, "installed", KBITS_JOB_TYPE_DOWNLOAD, &id, NULL);
	if (err)
		return fail("kbits_create_job", err);
	err = kbits_get_job(m, &id, &job);
	if (err)
		return fail("kbits_get_job", err);
	err = kbits_job_get_id(job, &got);
	if (err)
		return fail("kbits_job_get_id", err);
	if (memcmp(&id, &got, sizeof(id)) != 0) {
		fprintf(stderr, "use-installed: the job got has another GUID\n");
		return 1;
	}
	err = kbits_job_get_state(job, &state);
	if (err)
		return fail("kbits_job_get_state", err);
	if (state != KBITS_JOB_STATE_SUSPENDED) {
		fprintf(stderr, "use-installed: state %s, want SUSPENDED\n",
			kbits_job_state_name(state));
		return 1;
	}
	err = kbits_job_get_display_name(job, &name);
	if (err)
		return fail("kbits_job_get_display_name", err);
	if (strcmp(name, "installed") != 0) {
		fprintf(stderr, "use-installed: display name \"%s\"\n", name);
		return 1;
	}
	free(name);
	err = kbits_job_cancel(job);
	if (err)
		return fail("kbits_job_cancel", err);
	kbits_guid_format(&id, s);
	printf("%s\n", s);
	kbits_job_unref(job);
	kbits_unref(m);
	return 0;
}
