// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: a job, its files and its error, as text and as JSON.  Each
 * object's fields are one table: every entry says how the field reads as
 * text and as JSON, so that what one shows the other shows too.  The few
 * fields one of them shows alone say so, and why.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kbitsctl.h"

/* ------------------------------------------------------------- a job read */

void summary_free(struct job_summary *s)
{
	free(s->name);
	free(s->description);
	free(s->error.text);
	kbits_files_free(s->files, s->n_files);
	free(s->file_attrs);
	free(s->proxy_list);
	free(s->proxy_bypass);
	free(s->headers);
	kbits_strv_free(s->notify_cmd);
	free(s->reply_file);
	memset(s, 0, sizeof(*s));
}

int summary_read(struct kbits_job *j, struct job_summary *s, bool full)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = kbits_job_get_id(j, &s->id);
	if (!err)
		err = kbits_job_get_display_name(j, &s->name);
	if (!err)
		err = kbits_job_get_type(j, &s->type);
	if (!err)
		err = kbits_job_get_state(j, &s->state);
	if (!err)
		err = kbits_job_get_owner(j, &s->owner);
	if (!err)
		err = kbits_job_get_progress(j, &s->progress);
	s->attrs.size = sizeof(s->attrs);
	if (!err)
		err = kbits_job_get_attrs(j, &s->attrs);
	if (!err && full)
		err = kbits_job_get_description(j, &s->description);
	/*
	 * attrs reads 0 for the maximum and the transfer time from a module
	 * without them: this tells it from "no limit".
	 */
	if (!err && full) {
		uint32_t max;

		err = kbits_job_get_max_download_time(j, &max);
		s->max_download_known = err == 0;
		if (err == -EOPNOTSUPP)
			err = 0;
	}
	if (!err && full)
		err = kbits_job_get_files(j, &s->files, &s->n_files);
	if (!err && full)
		err = read_file_attrs(j, s->n_files, &s->file_attrs);
	if (!err && full) {
		err = kbits_job_get_error(j, &s->error);
		s->has_error = err == 0;
		if (err == -ENOMSG)
			err = 0;
	}
	/* A module older than these calls answers -ENOTTY: show the rest. */
	if (!err && full) {
		err = kbits_job_get_proxy(j, &s->proxy_usage, &s->proxy_list, &s->proxy_bypass);
		s->proxy_known = err == 0;
		if (err == -ENOTTY)
			err = 0;
	}
	/*
	 * Write-only headers are not asked for (GET_HTTP_HEADERS fails with
	 * EPERM); a job made write-only meanwhile answers EPERM, the same.
	 */
	if (!err && full && (s->attrs.flags & KBITS_JOB_HEADERS_WRITE_ONLY)) {
		s->headers_known = s->headers_write_only = true;
	} else if (!err && full) {
		err = kbits_job_get_http_headers(j, &s->headers);
		s->headers_write_only = err == -EPERM;
		s->headers_known = err == 0 || err == -ENODATA || err == -EPERM;
		if (err == -ENODATA || err == -ENOTTY || err == -EPERM)
			err = 0;
	}
	if (!err && full) {
		err = kbits_job_get_credentials(j, &s->creds_server, &s->creds_proxy);
		s->creds_known = err == 0;
		if (err == -ENOTTY)
			err = 0;
	}
	if (!err && full && s->type == KBITS_JOB_TYPE_UPLOAD_REPLY) {
		err = kbits_job_get_reply_file(j, &s->reply_file);
		s->reply_file_known = err == 0 || err == -ENODATA;
		if (err == -ENODATA || err == -ENOTTY || err == -EOPNOTSUPP)
			err = 0;
	}
	if (!err && full) {
		err = kbits_job_get_notify_cmd(j, &s->notify_cmd);
		s->notify_cmd_known = err == 0 || err == -ENODATA;
		if (err == -ENODATA || err == -ENOTTY)
			err = 0;
	}
	if (err)
		summary_free(s);
	return err;
}

static const char *proxy_usage_name(enum kbits_proxy_usage u)
{
	switch (u) {
	case KBITS_PROXY_SYSTEM:	return "system";
	case KBITS_PROXY_NONE:		return "none";
	case KBITS_PROXY_OVERRIDE:	return "override";
	}
	return "unknown";
}

/* ------------------------------------------------------- a job's fields */

/* "Label:              value": info's line of a field. */
static void put_field(const char *label, const char *value)
{
	printf("%-21s%s\n", label, value);
}

/* The same with @value escaped (put_text()). */
static void put_field_text(const char *label, const char *value)
{
	printf("%-21s", label);
	put_text(stdout, value);
	putchar('\n');
}

#define TEXT(fn) static void fn(const char *label, const struct job_summary *s)
#define JSON(fn) static void fn(struct json *w, const struct job_summary *s)

TEXT(guid_text)
{
	char g[KBITS_GUID_STRING_LEN];

	kbits_guid_format(&s->id, g);
	put_field(label, g);
}

JSON(guid_json)
{
	char g[KBITS_GUID_STRING_LEN];

	kbits_guid_format(&s->id, g);
	json_member_string(w, "guid", g);
}

TEXT(name_text) { put_field_text(label, s->name); }
JSON(name_json) { json_member_string(w, "display_name", s->name); }
TEXT(description_text) { put_field_text(label, s->description); }
JSON(description_json) { json_member_string(w, "description", s->description); }
TEXT(type_text) { put_field(label, kbits_job_type_name(s->type)); }
JSON(type_json) { json_member_string(w, "type", kbits_job_type_name(s->type)); }
TEXT(state_text) { put_field(label, kbits_job_state_name(s->state)); }
JSON(state_json) { json_member_string(w, "state", kbits_job_state_name(s->state)); }

TEXT(owner_text)
{
	char buf[64];

	format_owner(buf, sizeof(buf), s->owner);
	put_field(label, buf);
}

JSON(owner_json)
{
	json_member_uint(w, "owner", (unsigned int)s->owner);
	json_member_string_or_null(w, "owner_name", user_name(s->owner));
}

TEXT(priority_text) { put_field(label, kbits_job_priority_name(s->attrs.priority)); }

JSON(priority_json)
{
	json_member_string(w, "priority", kbits_job_priority_name(s->attrs.priority));
}

TEXT(notify_text)
{
	char buf[256];

	format_notify(buf, sizeof(buf), s->attrs.notify_flags);
	put_field(label, buf);
}

JSON(notify_json)
{
	json_member_uint(w, "notify_flags", s->attrs.notify_flags);
	json_key(w, "notify");
	json_notify(w, s->attrs.notify_flags);
}

static void put_duration(const char *label, uint32_t seconds)
{
	char buf[128];

	format_duration(buf, sizeof(buf), seconds);
	put_field(label, buf);
}

TEXT(retry_text) { put_duration(label, s->attrs.min_retry_delay); }
JSON(retry_json) { json_member_uint(w, "min_retry_delay", s->attrs.min_retry_delay); }
TEXT(timeout_text) { put_duration(label, s->attrs.no_progress_timeout); }
JSON(timeout_json) { json_member_uint(w, "no_progress_timeout", s->attrs.no_progress_timeout); }

TEXT(errors_text)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", s->attrs.error_count);
	put_field(label, buf);
}

JSON(errors_json) { json_member_uint(w, "error_count", s->attrs.error_count); }
static bool dynamic_content(const struct job_summary *s)
{
	return s->attrs.flags & KBITS_JOB_DYNAMIC_CONTENT;
}

TEXT(dynamic_text) { put_field(label, dynamic_content(s) ? "yes" : "no"); }
JSON(dynamic_json) { json_member_bool(w, "dynamic_content", dynamic_content(s)); }

TEXT(max_download_text)
{
	if (!s->max_download_known)
		put_field(label, "? (the loaded kbits module has no maximum download time)");
	else if (s->attrs.max_download_time)
		put_duration(label, s->attrs.max_download_time);
	else
		put_field(label, "none");
}

JSON(max_download_json)
{
	if (s->max_download_known)
		json_member_uint(w, "max_download_time", s->attrs.max_download_time);
	else
		json_member_null(w, "max_download_time");
}

/* The text leaves it out where the maximum's line said it is not known. */
TEXT(transfer_time_text)
{
	if (s->max_download_known)
		put_duration(label, s->attrs.transfer_time);
}

JSON(transfer_time_json)
{
	if (s->max_download_known)
		json_member_uint(w, "transfer_time", s->attrs.transfer_time);
	else
		json_member_null(w, "transfer_time");
}

static void put_time(const char *label, int64_t t)
{
	char buf[64];

	format_time(buf, sizeof(buf), t);
	put_field(label, buf);
}

/* Seconds since the epoch; null: not yet. */
static void json_time(struct json *w, const char *key, int64_t t)
{
	if (t)
		json_member_int(w, key, t);
	else
		json_member_null(w, key);
}

TEXT(created_text) { put_time(label, s->attrs.creation_time); }
JSON(created_json) { json_time(w, "creation_time", s->attrs.creation_time); }
TEXT(modified_text) { put_time(label, s->attrs.modification_time); }
JSON(modified_json) { json_time(w, "modification_time", s->attrs.modification_time); }
TEXT(transferred_text) { put_time(label, s->attrs.transfer_completion_time); }

JSON(transferred_json)
{
	json_time(w, "transfer_completion_time", s->attrs.transfer_completion_time);
}

TEXT(progress_text)
{
	char buf[160];

	format_progress(buf, sizeof(buf), &s->progress);
	put_field(label, buf);
}

/* The four progress members (info's and monitor's). */
void json_progress(struct json *w, const struct kbits_job_progress *p)
{
	json_member_uint(w, "files_total", p->files_total);
	json_member_uint(w, "files_transferred", p->files_transferred);
	if (p->bytes_total == KBITS_SIZE_UNKNOWN)
		json_member_null(w, "bytes_total");
	else
		json_member_uint(w, "bytes_total", p->bytes_total);
	json_member_uint(w, "bytes_transferred", p->bytes_transferred);
}

JSON(progress_json)
{
	json_progress(w, &s->progress);
}

TEXT(proxy_usage_text)
{
	if (!s->proxy_known)
		put_field(label, "? (the loaded kbits module has no proxy settings)");
	else
		put_field(label, proxy_usage_name(s->proxy_usage));
}

JSON(proxy_usage_json)
{
	json_member_string_or_null(w, "proxy_usage",
				   s->proxy_known ? proxy_usage_name(s->proxy_usage) : NULL);
}

/* The text shows the list and the bypass only where they count: override. */
static bool proxy_override(const struct job_summary *s)
{
	return s->proxy_known && s->proxy_usage == KBITS_PROXY_OVERRIDE;
}

TEXT(proxy_list_text)
{
	if (proxy_override(s))
		put_field_text(label, s->proxy_list);
}

JSON(proxy_list_json) { json_member_string_or_null(w, "proxy_list", s->proxy_list); }

TEXT(proxy_bypass_text)
{
	if (proxy_override(s))
		put_field_text(label, *s->proxy_bypass ? s->proxy_bypass : "none");
}

JSON(proxy_bypass_json) { json_member_string_or_null(w, "proxy_bypass", s->proxy_bypass); }

/* A header a line. */
TEXT(headers_text)
{
	char *line, *save = NULL, *copy;
	bool first = true;

	if (s->headers_write_only) {
		put_field(label, "(write-only)");
		return;
	}
	if (!s->headers) {
		put_field(label, s->headers_known ? "none" :
			  "? (the loaded kbits module has no HTTP headers)");
		return;
	}
	copy = strdup(s->headers);
	for (line = copy ? strtok_r(copy, "\r\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		put_field_text(first ? label : "", line);
		first = false;
	}
	free(copy);
}

JSON(headers_json)
{
	json_member_string_or_null(w, "http_headers", s->headers);
	json_member_bool(w, "headers_write_only", s->headers_write_only);
}

/* "server basic,digest; proxy none": the schemes set, never a secret */
TEXT(credentials_text)
{
	char srv[64], prx[64], buf[160];

	if (!s->creds_known) {
		put_field(label, "? (the loaded kbits module has no credentials)");
		return;
	}
	cred_format_schemes(srv, sizeof(srv), s->creds_server);
	cred_format_schemes(prx, sizeof(prx), s->creds_proxy);
	snprintf(buf, sizeof(buf), "server %s; proxy %s", srv, prx);
	put_field(label, buf);
}

static void json_schemes(struct json *w, const char *key, uint32_t mask)
{
	unsigned int sc;

	json_key(w, key);
	json_array_begin(w);
	for (sc = KBITS_AUTH_SCHEME_BASIC; sc <= KBITS_AUTH_SCHEME_NEGOTIATE; sc++)
		if (mask & (1U << sc))
			json_string(w, cred_scheme_name((enum kbits_auth_scheme)sc));
	json_array_end(w);
}

/* {"server": ["basic"], "proxy": []}; null from a module without credentials */
JSON(credentials_json)
{
	json_key(w, "credentials");
	if (!s->creds_known) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_schemes(w, "server", s->creds_server);
	json_schemes(w, "proxy", s->creds_proxy);
	json_object_end(w);
}

static bool is_upload(const struct job_summary *s)
{
	return s->type == KBITS_JOB_TYPE_UPLOAD || s->type == KBITS_JOB_TYPE_UPLOAD_REPLY;
}

/* The text shows it only for upload jobs, which alone have one. */
TEXT(upload_method_text)
{
	if (is_upload(s))
		put_field(label, s->attrs.flags & KBITS_JOB_UPLOAD_POST ? "POST" : "PUT");
}

JSON(upload_method_json)
{
	json_member_string_or_null(w, "upload_method", !is_upload(s) ? NULL :
				   s->attrs.flags & KBITS_JOB_UPLOAD_POST ? "post" : "put");
}

/* The text shows it only for upload-reply jobs, which alone have one. */
TEXT(reply_file_text)
{
	if (s->type != KBITS_JOB_TYPE_UPLOAD_REPLY)
		return;
	if (s->reply_file)
		put_field_text(label, s->reply_file);
	else
		put_field(label, s->reply_file_known ? "none" :
			  "? (the loaded kbits module has no reply files)");
}

JSON(reply_file_json) { json_member_string_or_null(w, "reply_file", s->reply_file); }

/* The words as a shell reads them back: quoted where they need it. */
TEXT(notify_cmd_text)
{
	if (!s->notify_cmd) {
		put_field(label, s->notify_cmd_known ? "none" :
			  "? (the loaded kbits module has no notify command)");
		return;
	}
	printf("%-21s", label);
	put_shell_words(stdout, s->notify_cmd);
	putchar('\n');
}

JSON(notify_cmd_json)
{
	char **a;

	json_key(w, "notify_cmd");
	if (!s->notify_cmd) {
		json_null(w);
		return;
	}
	json_array_begin(w);
	for (a = s->notify_cmd; *a; a++)
		json_string(w, *a);
	json_array_end(w);
}

TEXT(error_text)
{
	char buf[2048];

	if (!s->has_error) {
		put_field(label, "none");
		return;
	}
	describe_error(buf, sizeof(buf), &s->error, s->files, s->n_files);
	printf("%-21s%s (context %s)\n", label, buf, kbits_error_context_name(s->error.context));
}

JSON(error_json)
{
	json_key(w, "error");
	if (s->has_error)
		json_error(w, &s->error, s->files, s->n_files);
	else
		json_null(w);
}

static void json_file(struct json *w, const struct kbits_file *file,
		      const struct kbits_file_attrs *attrs, size_t index);

JSON(files_json)
{
	size_t i;

	json_key(w, "files");
	json_array_begin(w);
	for (i = 0; i < s->n_files; i++)
		json_file(w, &s->files[i], s->file_attrs ? &s->file_attrs[i] : NULL, i);
	json_array_end(w);
}

static const struct job_field {
	const char *label;		/* info's; NULL: JSON only (the comment says why) */
	bool full;			/* info's alone, not list's */
	void (*text)(const char *label, const struct job_summary *s);
	void (*json)(struct json *w, const struct job_summary *s);
} job_fields[] = {
	{ "GUID:", false, guid_text, guid_json },
	{ "Display name:", false, name_text, name_json },
	{ "Description:", true, description_text, description_json },
	{ "Type:", false, type_text, type_json },
	{ "State:", false, state_text, state_json },
	{ "Owner:", false, owner_text, owner_json },
	{ "Priority:", false, priority_text, priority_json },
	{ "Notify flags:", true, notify_text, notify_json },
	{ "Notify command:", true, notify_cmd_text, notify_cmd_json },
	{ "Retry delay:", true, retry_text, retry_json },
	{ "No-progress timeout:", true, timeout_text, timeout_json },
	{ "Errors:", true, errors_text, errors_json },
	{ "Dynamic content:", true, dynamic_text, dynamic_json },
	{ "Max download time:", true, max_download_text, max_download_json },
	{ "Transfer time:", true, transfer_time_text, transfer_time_json },
	{ "Created:", true, created_text, created_json },
	{ "Modified:", true, modified_text, modified_json },
	{ "Transferred:", true, transferred_text, transferred_json },
	{ "Progress:", false, progress_text, progress_json },
	{ "Proxy usage:", true, proxy_usage_text, proxy_usage_json },
	{ "Proxy list:", true, proxy_list_text, proxy_list_json },
	{ "Proxy bypass:", true, proxy_bypass_text, proxy_bypass_json },
	{ "HTTP headers:", true, headers_text, headers_json },
	{ "Credentials:", true, credentials_text, credentials_json },
	{ "Upload method:", true, upload_method_text, upload_method_json },
	{ "Reply file:", true, reply_file_text, reply_file_json },
	{ "Last error:", true, error_text, error_json },
	/* JSON only: info's text leaves the files to 'kbitsctl files' */
	{ NULL, true, NULL, files_json },
};

#define N_JOB_FIELDS (sizeof(job_fields) / sizeof(job_fields[0]))

void put_summary_text(const struct job_summary *s)
{
	size_t i;

	for (i = 0; i < N_JOB_FIELDS; i++)
		if (job_fields[i].label)
			job_fields[i].text(job_fields[i].label, s);
}

void json_summary(struct json *w, const struct job_summary *s, bool full)
{
	size_t i;

	json_object_begin(w);
	for (i = 0; i < N_JOB_FIELDS; i++)
		if (full || !job_fields[i].full)
			job_fields[i].json(w, s);
	json_object_end(w);
}

void put_guid(const char *g, bool json)
{
	struct json w;

	if (!json) {
		printf("%s\n", g);
		return;
	}
	json_init(&w, stdout);
	json_object_begin(&w);
	json_member_string(&w, "guid", g);
	json_object_end(&w);
	json_end(&w);
}

/* ------------------------------------------------------------------ files */

int read_file_attrs(struct kbits_job *j, size_t n, struct kbits_file_attrs **out)
{
	struct kbits_file_attrs *a;
	size_t i;
	int err;

	*out = NULL;
	if (!n)
		return 0;
	a = calloc(n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	/* n came from kbits_job_get_files(): at most a u32's files_total */
	for (i = 0; i < n; i++) {
		a[i].size = sizeof(a[i]);
		err = kbits_job_get_file_attrs(j, (uint32_t)i, &a[i]);
		if (err == -ENXIO) {
			/* the rest are gone: they read as 0, "not known" */
			memset(&a[i], 0, (n - i) * sizeof(*a));
			break;
		}
		if (err < 0) {
			free(a);
			return err;
		}
	}
	*out = a;
	return 0;
}

/* A file, its attributes (NULL: not read) and its place in the job. */
struct file_view {
	const struct kbits_file *f;
	const struct kbits_file_attrs *a;
	size_t index;
};

static void index_text(const struct file_view *v)
{
	printf("%zu: ", v->index);
}

static void index_json(struct json *w, const struct file_view *v)
{
	json_member_uint(w, "index", v->index);
}

static void names_text(const struct file_view *v)
{
	put_text(stdout, v->f->remote_name);
	fputs(" -> ", stdout);
	put_text(stdout, v->f->local_name);
	putchar('\n');
}

static void names_json(struct json *w, const struct file_view *v)
{
	json_member_string(w, "remote_name", v->f->remote_name);
	json_member_string(w, "local_name", v->f->local_name);
}

static void bytes_text(const struct file_view *v)
{
	printf("   %llu of ", (unsigned long long)v->f->bytes_transferred);
	if (v->f->bytes_total == KBITS_SIZE_UNKNOWN)
		fputs("? bytes", stdout);
	else
		printf("%llu bytes", (unsigned long long)v->f->bytes_total);
}

static void bytes_json(struct json *w, const struct file_view *v)
{
	if (v->f->bytes_total == KBITS_SIZE_UNKNOWN)
		json_member_null(w, "bytes_total");
	else
		json_member_uint(w, "bytes_total", v->f->bytes_total);
	json_member_uint(w, "bytes_transferred", v->f->bytes_transferred);
}

static void completed_text(const struct file_view *v)
{
	printf(", %s\n", v->f->completed ? "completed" : "not completed");
}

static void completed_json(struct json *w, const struct file_view *v)
{
	json_member_bool(w, "completed", v->f->completed);
}

/* The mode the file is placed with: 0 from a module older than file modes. */
static unsigned int file_mode(const struct file_view *v)
{
	return v->a ? v->a->mode & 07777 : 0;
}

static bool file_has_sha256(const struct file_view *v)
{
	return v->a && (v->a->flags & KBITS_FILE_SHA256);
}

/* "   mode 0644, sha256 HEX": what is known of the two, on a line of its own */
static void attrs_text(const struct file_view *v)
{
	char hex[SHA256_HEX_LEN];
	const char *sep = "   ";

	if (file_mode(v)) {
		printf("%smode %04o", sep, file_mode(v));
		sep = ", ";
	}
	if (file_has_sha256(v)) {
		format_sha256(hex, v->a->sha256);
		printf("%ssha256 %s", sep, hex);
		sep = ", ";
	}
	if (strcmp(sep, "   "))
		putchar('\n');
}

/* mode as an octal string ("0644"), as chmod takes it; null when not known */
static void attrs_json(struct json *w, const struct file_view *v)
{
	char buf[16], hex[SHA256_HEX_LEN];

	if (file_mode(v)) {
		snprintf(buf, sizeof(buf), "%04o", file_mode(v));
		json_member_string(w, "mode", buf);
	} else {
		json_member_null(w, "mode");
	}
	if (file_has_sha256(v)) {
		format_sha256(hex, v->a->sha256);
		json_member_string(w, "sha256", hex);
	} else {
		json_member_null(w, "sha256");
	}
}

/*
 * The text: "INDEX: REMOTE -> LOCAL", then "   DONE of TOTAL bytes,
 * completed", then "   mode 0644, sha256 HEX" (what of them is known).
 */
static const struct file_field {
	void (*text)(const struct file_view *v);
	void (*json)(struct json *w, const struct file_view *v);
} file_fields[] = {
	{ index_text, index_json },
	{ names_text, names_json },
	{ bytes_text, bytes_json },
	{ completed_text, completed_json },
	{ attrs_text, attrs_json },
};

#define N_FILE_FIELDS (sizeof(file_fields) / sizeof(file_fields[0]))

void put_files(const struct kbits_file *files, const struct kbits_file_attrs *attrs, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct file_view v = { &files[i], attrs ? &attrs[i] : NULL, i };

		for (k = 0; k < N_FILE_FIELDS; k++)
			file_fields[k].text(&v);
	}
	if (!n)
		puts("no files");
}

/* A file's JSON object; @index its place in the job. */
static void json_file(struct json *w, const struct kbits_file *file,
		      const struct kbits_file_attrs *attrs, size_t index)
{
	const struct file_view v = { file, attrs, index };
	size_t k;

	json_object_begin(w);
	for (k = 0; k < N_FILE_FIELDS; k++)
		file_fields[k].json(w, &v);
	json_object_end(w);
}

void json_files(struct json *w, const struct kbits_file *files,
		const struct kbits_file_attrs *attrs, size_t n)
{
	size_t i;

	json_array_begin_lines(w);
	for (i = 0; i < n; i++)
		json_file(w, &files[i], attrs ? &attrs[i] : NULL, i);
	json_array_end(w);
}

/* ------------------------------------------------------------------ error */

struct error_view {
	const struct kbits_error *e;
	const struct kbits_file *files;
	size_t n;
};

/* The file the error concerns, or NULL. */
static const struct kbits_file *error_file(const struct error_view *v)
{
	const struct kbits_error *e = v->e;

	return e->file_index != KBITS_NO_FILE && e->file_index < v->n ? &v->files[e->file_index]
								       : NULL;
}

static void context_text(const struct error_view *v)
{
	printf("%s\n", kbits_error_context_name(v->e->context));
}

static void context_json(struct json *w, const struct error_view *v)
{
	json_member_string(w, "context", kbits_error_context_name(v->e->context));
}

static void code_text(const struct error_view *v)
{
	const struct kbits_error *e = v->e;

	if (e->flags & KBITS_ERROR_HTTP) {
		const char *r = http_reason(e->code);

		printf("HTTP %d%s%s\n", e->code, r ? " " : "", r ? r : "");
	} else {
		const char *name = e->code > 0 ? errno_name(e->code) : NULL;

		printf("errno %d %s (%s)\n", e->code, name ? name : "?",
		       e->code > 0 ? strerror(e->code) : "?");
	}
}

static void code_json(struct json *w, const struct error_view *v)
{
	const struct kbits_error *e = v->e;

	json_member_int(w, "code", e->code);
	if (e->flags & KBITS_ERROR_HTTP) {
		json_member_int(w, "http_status", e->code);
		json_member_null(w, "errno");
	} else {
		json_member_null(w, "http_status");
		json_member_string_or_null(w, "errno", e->code > 0 ? errno_name(e->code) : NULL);
	}
}

static void file_text(const struct error_view *v)
{
	const struct kbits_file *f = error_file(v);

	if (!f) {
		puts("none");
		return;
	}
	printf("%u: ", v->e->file_index);
	put_text(stdout, f->remote_name);
	fputs(" -> ", stdout);
	put_text(stdout, f->local_name);
	putchar('\n');
}

/* file_index as the kernel gave it (null: none), the names only of a file the job has */
static void file_json(struct json *w, const struct error_view *v)
{
	const struct kbits_file *f = error_file(v);

	if (v->e->file_index == KBITS_NO_FILE)
		json_member_null(w, "file_index");
	else
		json_member_uint(w, "file_index", v->e->file_index);
	json_member_string_or_null(w, "remote_name", f ? f->remote_name : NULL);
	json_member_string_or_null(w, "local_name", f ? f->local_name : NULL);
}

static void text_text(const struct error_view *v)
{
	put_text(stdout, v->e->text ? v->e->text : "");
	putchar('\n');
}

static void text_json(struct json *w, const struct error_view *v)
{
	json_member_string(w, "text", v->e->text ? v->e->text : "");
}

static void description_json_e(struct json *w, const struct error_view *v)
{
	char words[2048];

	describe_error(words, sizeof(words), v->e, v->files, v->n);
	json_member_string(w, "description", words);
}

static const struct error_field {
	const char *label;		/* NULL: JSON only (the comment says why) */
	void (*text)(const struct error_view *v);
	void (*json)(struct json *w, const struct error_view *v);
} error_fields[] = {
	{ "Context:", context_text, context_json },
	{ "Code:", code_text, code_json },
	{ "File:", file_text, file_json },
	{ "Text:", text_text, text_json },
	/* JSON only: the text says it first, "job GUID: DESCRIPTION" (cmd_error) */
	{ NULL, NULL, description_json_e },
};

#define N_ERROR_FIELDS (sizeof(error_fields) / sizeof(error_fields[0]))

void put_error_text(const struct kbits_error *e, const struct kbits_file *files, size_t n)
{
	const struct error_view v = { e, files, n };
	size_t i;

	for (i = 0; i < N_ERROR_FIELDS; i++) {
		if (!error_fields[i].label)
			continue;
		printf("%-9s", error_fields[i].label);
		error_fields[i].text(&v);
	}
}

void json_error(struct json *w, const struct kbits_error *e, const struct kbits_file *files,
		size_t n)
{
	const struct error_view v = { e, files, n };
	size_t i;

	json_object_begin(w);
	for (i = 0; i < N_ERROR_FIELDS; i++)
		error_fields[i].json(w, &v);
	json_object_end(w);
}
