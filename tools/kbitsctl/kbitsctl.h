/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbitsctl: what its source files share.  main.c: the table of commands
 * and the options they share; messages.c, queue.c, text.c, format.c,
 * parse.c, errors.c, json.c: what the commands use, by subject; output.c:
 * a job, its files and its error as text and as JSON; the commands:
 * jobs.c (create, add-file, set, resume, suspend, cancel, complete,
 * take-ownership), creds.c (set-credentials, remove-credentials; credfile.c
 * parses what they read), show.c (list, info, files, error), monitor.c and
 * transfer.c, with watch.c what those two share.
 */
#ifndef KBITSCTL_H
#define KBITSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <getopt.h>
#include <signal.h>

#include <kbits/kbits.h>

#include "credfile.h"
#include "json.h"

/* Exit status: see the help's "Exit status" and kbitsctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_FOUND = 3,
	EXIT_DENIED = 4,
	EXIT_STATE = 5,		/* not allowed in the job's state (EBADFD) */
	EXIT_TRANSFER = 6,	/* the transfer failed: the job is in ERROR */
	EXIT_INTERRUPTED = 7,	/* SIGINT, SIGTERM or SIGHUP */
};

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ------------------------------------------------------------ messages.c */

extern const char exit_status_text[];	/* the help's "Exit status:" section */

void errmsg(const char *fmt, ...) PRINTF(1, 2);
/* "kbitsctl CMD: MESSAGE", "Try 'kbitsctl CMD --help'."; returns EXIT_USAGE. */
int usage_fail(const char *cmd, const char *fmt, ...) PRINTF(2, 3);
/* After getopt printed its own message. */
int usage_hint(const char *cmd);
int finish_stdout(void);

/* ------------------------------------------------------------ queue.c */

/* Opens /dev/kbits, or says why not (EXIT_FAILED). */
int open_kbits(struct kbits **m);

/*
 * A JOB operand: a GUID, or name:NAME, the one job of the caller's (with
 * KBITS_ENUM_ALL_USERS: of anyone's) whose display name is NAME.
 */
#define JOB_NAME_PREFIX "name:"
/*
 * Checks the form of @arg (EXIT_USAGE, naming @cmd, if it is neither) and
 * parses a GUID into @id; for name:NAME it leaves @id alone.
 */
int parse_guid_arg(const char *cmd, const char *arg, struct kbits_guid *id);
/*
 * The GUID @arg stands for: a GUID as it is; name:NAME looked up among the
 * jobs kbits_enum_jobs(@enum_flags) lists.  EXIT_OK; EXIT_NOT_FOUND when
 * no job has that name, EXIT_USAGE when several have (their GUIDs listed).
 */
int resolve_job_arg(struct kbits *m, const char *cmd, const char *arg, unsigned int enum_flags,
		    struct kbits_guid *id);
/* Gets the job @id: EXIT_OK, or the message and status of job_fail(). */
int get_job(struct kbits *m, const struct kbits_guid *id, struct kbits_job **j);
/* Resolves @arg (among the caller's jobs) and gets its job, opening /dev/kbits for it. */
int get_job_arg(const char *cmd, const char *arg, struct kbits_guid *id,
		struct kbits_job **j);
/* The same, resolving a name among the jobs kbits_enum_jobs(@enum_flags) lists. */
int get_job_arg_flags(const char *cmd, const char *arg, unsigned int enum_flags,
		      struct kbits_guid *id, struct kbits_job **j);

/*
 * Reports the failure @err of an operation on job @id ("job {...}: cannot
 * WHAT: REASON", or "job {...}: REASON" when @what is NULL) and returns its
 * exit status.  @j, when not NULL, is used to read the state or owner, and
 * to tell a revoked handle from another user's job (both EACCES).
 */
int job_fail(const struct kbits_guid *id, struct kbits_job *j, const char *what, int err);
/* Was handle @j revoked (the job was taken over through another handle)? */
bool job_revoked(struct kbits_job *j);
/* The words job_fail() uses for @err (constant or static text). */
const char *reason_text(int err);

/* ------------------------------------------------------------ text.c */

/* Text for the terminal: control characters as \xNN, \ as \\. */
void put_text(FILE *f, const char *s);
/* The same, into @buf (at most @size bytes with the NUL, cut at a character). */
void text_to_buf(char *buf, size_t size, const char *s);
/* @s cut to @size bytes with the NUL, at a character's start; no escaping. */
void cut_utf8(char *buf, size_t size, const char *s);

/*
 * @argv's words, separated by spaces, each quoted ('...') where a shell
 * needs it to read the word back; control characters as \xNN.
 */
void put_shell_words(FILE *f, char *const *argv);

bool utf8_valid(const char *s);
/* The length of the UTF-8 character at @s, or 0 when it is not one. */
size_t utf8_char(const unsigned char *s);

/* ------------------------------------------------------------ format.c */

/* "1.5 MiB", "512 B"; "?" for KBITS_SIZE_UNKNOWN. */
void format_bytes(char *buf, size_t size, uint64_t n);
/* "2026-11-24 22:30:01 UTC"; "never" for 0. */
void format_time(char *buf, size_t size, int64_t t);
/* "7 days", "10 minutes", "1 hour 2 minutes 5 seconds" */
void format_duration(char *buf, size_t size, uint32_t seconds);

/* "alice (1000)", or "1000" with no name. */
void format_owner(char *buf, size_t size, uid_t uid);
const char *user_name(uid_t uid);	/* NULL when it has none */

/* A progress bar of @width cells, with a NUL: "#####-----". */
void format_bar(char *buf, int width, const struct kbits_job_progress *p);
/* "1/2 files, 1.0 MiB of 2.0 MiB (50%)", "no files" */
void format_progress(char *buf, size_t size, const struct kbits_job_progress *p);
/* 0..100, or -1 when unknown (or no files) */
int progress_percent(const struct kbits_job_progress *p);

/* ------------------------------------------------------------ parse.c */

/* Names or numbers, comma-separated: "transferred,error", "0x3", "none". */
int parse_notify(const char *s, uint32_t *flags);
/* "transferred,error" for 3; "none" for 0. */
void format_notify(char *buf, size_t size, uint32_t flags);
/* The names of @flags, a JSON array: ["transferred", "error"]. */
void json_notify(struct json *w, uint32_t flags);
/* A number of seconds, or with a suffix s, m, h, d: 0 or -1. */
int parse_seconds(const char *s, uint32_t *out);
/* A SHA-256: exactly 64 hex digits, in either case: 0 or -1. */
int parse_sha256(const char *s, uint8_t out[KBITS_SHA256_SIZE]);
/*
 * @s split into words as a POSIX shell splits them (blanks; '...', "..." and
 * backslashes quote), without any expansion; an unquoted | & ; < > ( ) or a
 * word's starting # (shell syntax) is refused.  0 and *@out, NULL-ended and
 * empty for no words, to free with kbits_strv_free(); or -EINVAL (or
 * -ENOMEM) with why in @why.
 */
int split_cmdline(const char *s, char ***out, char *why, size_t why_size);
/* A SHA-256 as 64 lower-case hex digits and a NUL. */
#define SHA256_HEX_LEN (2 * KBITS_SHA256_SIZE + 1)
void format_sha256(char out[SHA256_HEX_LEN], const uint8_t sha256[KBITS_SHA256_SIZE]);

/*
 * A REMOTE or LOCAL name as the user typed it, made absolute against the
 * current directory when it is a relative path (REMOTE: when it is no URL).
 * malloc'd, or NULL (errno set).
 */
char *absolute_path(const char *path);
bool is_url(const char *s);
/* Checks a REMOTE and LOCAL pair before they go to the kernel: NULL or why not. */
const char *check_file_pair(const char *remote, const char *local, const char **which);

/* ------------------------------------------------------------ errors.c */

/* The name of errno @e ("ENOENT"), or NULL. */
const char *errno_name(int e);
/* The reason phrase of HTTP status @code, or NULL. */
const char *http_reason(int code);
/*
 * The error in words: "http://host/x: HTTP 404 Not Found", or
 * "/srv/a: No such file or directory (ENOENT): TEXT"; control characters
 * escaped as put_text() does.
 */
void describe_error(char *buf, size_t size, const struct kbits_error *e,
		    const struct kbits_file *files, size_t n);

/* ------------------------------------------------------------ filelist.c */

/*
 * add-file --from FILE: one "REMOTE LOCAL" pair a line, the two names
 * separated by blanks (spaces, tabs); blank lines, and from a '#' that
 * starts a name to the end of the line, comments.  A name with blanks, or
 * one that starts with '#' or '"', is written in double quotes, in which
 * \" is a quote and \\ a backslash.  A line may end in CR LF.
 */
/*
 * A line is at most FILE_LIST_LINE_MAX bytes: two names of the longest
 * (KBITS_REMOTE_NAME_MAX, KBITS_LOCAL_NAME_MAX), each quoted with every
 * byte escaped (twice as long, and two quotes), and room for blanks and a
 * comment.  A list holds at most FILE_LIST_PAIRS_MAX pairs: the most files
 * a job may ever hold, whatever the module's max_files_per_job
 * (docs/uapi.md: 1 to 65,536).
 */
#define FILE_LIST_LINE_MAX		(2 * (KBITS_REMOTE_NAME_MAX + 1) + \
					 2 * (KBITS_LOCAL_NAME_MAX + 1) + 1024)
#define FILE_LIST_PAIRS_MAX		65536

struct file_list {
	char **words;			/* remote, local, remote, local, ... */
	unsigned int *lines;		/* the line of each pair */
	size_t n_pairs;
};

/*
 * One line (without its \n), @len bytes: 0 (blank or a comment), 1 (a
 * pair: *remote and *local malloc'd), or -1 with *why saying what is wrong.
 */
int file_list_parse_line(const char *line, size_t len, char **remote, char **local,
			 const char **why);
/*
 * Every line of @f: 0, or -1 with *why and the line in *bad_line (0: not
 * a line's fault, e.g. a read error or out of memory; a list is read
 * whole or not at all).  A line over FILE_LIST_LINE_MAX bytes, or more than
 * FILE_LIST_PAIRS_MAX pairs, is that line's fault.  A list without pairs
 * is no error here (n_pairs 0).
 */
int file_list_read(FILE *f, struct file_list *out, unsigned int *bad_line, const char **why);
void file_list_free(struct file_list *l);

/* ------------------------------------------------------------ settings.c */

/*
 * set's options, which transfer takes too (set alone takes --headers,
 * --notify-cmd, --reply-file, --upload-method)
 */
enum {
	OPT_NOTIFY = 256, OPT_PROXY_USAGE, OPT_PROXY_LIST, OPT_PROXY_BYPASS, OPT_HEADERS,
	OPT_HEADERS_FILE, OPT_DYNAMIC, OPT_MAX_DOWNLOAD_TIME, OPT_NOTIFY_CMD,
	OPT_HEADERS_WRITE_ONLY, OPT_REPLY_FILE, OPT_UPLOAD_METHOD,
	OPT_SETTINGS_END	/* a command's own long options start here */
};
#define SETTINGS_SHORT "p:d:n:r:t:"
#define SETTINGS_OPTS \
	{ "priority", required_argument, NULL, 'p' }, \
	{ "description", required_argument, NULL, 'd' }, \
	{ "display-name", required_argument, NULL, 'n' }, \
	{ "retry-delay", required_argument, NULL, 'r' }, \
	{ "no-progress-timeout", required_argument, NULL, 't' }, \
	{ "notify", required_argument, NULL, OPT_NOTIFY }, \
	{ "proxy-usage", required_argument, NULL, OPT_PROXY_USAGE }, \
	{ "proxy-list", required_argument, NULL, OPT_PROXY_LIST }, \
	{ "proxy-bypass", required_argument, NULL, OPT_PROXY_BYPASS }, \
	{ "headers-file", required_argument, NULL, OPT_HEADERS_FILE }, \
	{ "dynamic-content", required_argument, NULL, OPT_DYNAMIC }, \
	{ "max-download-time", required_argument, NULL, OPT_MAX_DOWNLOAD_TIME }, \
	{ "headers-write-only", no_argument, NULL, OPT_HEADERS_WRITE_ONLY }

/* The help's lines for SETTINGS_OPTS. */
extern const char settings_help[];

struct settings {
	bool prio, notify, retry, timeout, dyn, mdt;
	bool dynamic;
	enum kbits_job_priority priority;
	uint32_t notify_flags, retry_delay, no_progress_timeout, max_download_time;
	const char *description, *display_name;
	bool proxy;
	enum kbits_proxy_usage proxy_usage;
	const char *proxy_list, *proxy_bypass;
	const char *usage_arg, *headers_arg, *headers_file;
	char *headers;			/* malloc'd, with CR LF */
	const char *notify_cmd_arg;
	char **notify_cmd;		/* its words, split; none: remove it */
	bool headers_write_only;	/* irreversible: set, never cleared */
	const char *reply_file_arg;
	char *reply_file;		/* made absolute; "": remove it */
	bool upload_method;
	bool upload_post;		/* POST, else PUT */
};

/*
 * Option @c of SETTINGS_OPTS (or set's own) with its @arg into @st: EXIT_OK,
 * a usage error (said), or -1 when @c is not one of them.
 */
int settings_option(const char *cmd, struct settings *st, int c, const char *arg);
/* After the options: what goes together, --headers-file read, --notify-cmd split. */
int settings_finish(const char *cmd, struct settings *st);
bool settings_any(const struct settings *st);
/*
 * Gives job @j the settings, all or none: when the kernel refuses one, those
 * made before it are undone.  EXIT_OK, or the failure said.
 */
int settings_apply(const struct kbits_guid *id, struct kbits_job *j, const struct settings *st);
void settings_free(struct settings *st);

/* ------------------------------------------------------------ creds.c */

/*
 * transfer --credentials-file @path ('-': stdin): EXIT_OK with @out filled
 * (free it with cred_list_free()), or the failure said (a bad line: a usage
 * error naming it).  Warns when others may read the file.
 */
int read_credentials_file(const char *cmd, const char *path, struct cred_list *out);
/* Gives job @j the credentials of @l: EXIT_OK, or the failure said. */
int apply_credentials(const struct kbits_guid *id, struct kbits_job *j,
		      const struct cred_list *l);

/* ------------------------------------------------------------ jobs.c */

/*
 * The REMOTE LOCAL pairs at @argv (@n words), made absolute and checked:
 * EXIT_OK, or the message and EXIT_USAGE.  @src and @lines, when not
 * NULL, name the file and lines the pairs came from, for the messages.
 * Free them with file_pairs_free().
 */
int file_pairs(const char *cmd, int n, char **argv, const char *src, const unsigned int *lines,
	       struct kbits_file_info **out);
void file_pairs_free(struct kbits_file_info *f, size_t n);
/*
 * Checks that the caller could create each LOCAL file (kbits_check_local_name()),
 * before a download job is made or given them: EXIT_OK, or a message
 * naming the file ("@pre: LOCAL '...': why") and EXIT_DENIED or EXIT_FAILED.
 */
int check_local_names(const char *pre, const struct kbits_file_info *f, size_t n);
/*
 * Why kbits_check_local_name() refused @local with @err, in words; its
 * directory shown escaped.
 */
void local_name_why(char *buf, size_t size, const char *local, int err);
/*
 * Adds @n files to job @j, all or none; reports a failure.  With @sha256
 * (not NULL), @n is 1 and the file is added with that expected SHA-256.
 */
int add_files(const struct kbits_guid *id, struct kbits_job *j,
	      const struct kbits_file_info *f, size_t n, const uint8_t *sha256);

/* ------------------------------------------------------------ output.c */

/* A job as list and info show it. */
struct job_summary {
	struct kbits_guid id;
	char *name;
	char *description;
	enum kbits_job_type type;
	enum kbits_job_state state;
	uid_t owner;
	/* the settings and times; list reads them too, for the priority */
	struct kbits_job_attrs attrs;
	bool max_download_known;	/* false: the module has no maximum download time */
	struct kbits_job_progress progress;
	bool has_error;
	struct kbits_error error;
	struct kbits_file *files;
	struct kbits_file_attrs *file_attrs;	/* one per file; NULL: none read */
	size_t n_files;
	bool proxy_known;		/* false: the module has no proxy settings */
	enum kbits_proxy_usage proxy_usage;
	char *proxy_list, *proxy_bypass;
	bool headers_known;		/* false: the module has no HTTP headers */
	char *headers;			/* NULL: none */
	bool notify_cmd_known;		/* false: the module has no notify command */
	char **notify_cmd;		/* NULL: none */
	/* which credentials are set, (1U << scheme) each: never the secrets */
	bool creds_known;		/* false: the module has no credentials */
	uint32_t creds_server, creds_proxy;
	bool headers_write_only;	/* headers is NULL: they cannot be read */
	bool reply_file_known;		/* false: not an UPLOAD_REPLY job, or an old module */
	char *reply_file;		/* NULL: none */
};

/* Reads what list shows; with @full, what info shows.  0 or -errno. */
int summary_read(struct kbits_job *j, struct job_summary *s, bool full);
void summary_free(struct job_summary *s);
/* info's lines. */
void put_summary_text(const struct job_summary *s);
/* info --json's object; without @full, list --json's. */
void json_summary(struct json *w, const struct job_summary *s, bool full);

/* A GUID as create and transfer --async print it: alone, or {"guid": GUID}. */
void put_guid(const char *g, bool json);

/*
 * Each of the job's first @n files' attributes (mode, SHA-256), malloc'd
 * into *@out (NULL when @n is 0): 0 or -errno.  A file gone since (a
 * completed job keeps only its finished ones) reads all 0.
 */
int read_file_attrs(struct kbits_job *j, size_t n, struct kbits_file_attrs **out);
/*
 * The files as 'files' shows them ("no files" for none); @attrs, one per
 * file, may be NULL (no modes or digests shown).
 */
void put_files(const struct kbits_file *files, const struct kbits_file_attrs *attrs, size_t n);
/* 'files --json''s array, one file a line. */
void json_files(struct json *w, const struct kbits_file *files,
		const struct kbits_file_attrs *attrs, size_t n);
void json_progress(struct json *w, const struct kbits_job_progress *p);

/* error's lines after the first ("job GUID: WORDS"). */
void put_error_text(const struct kbits_error *e, const struct kbits_file *files, size_t n);
/* error --json's error object. */
void json_error(struct json *w, const struct kbits_error *e, const struct kbits_file *files,
		size_t n);

/* ------------------------------------------------------------ watch.c */

#define TICK_MS 250			/* monitor's and transfer's pace: ~4 Hz */

/* The signal that ends monitor or transfer (SIGINT, SIGTERM, SIGHUP), or 0. */
extern volatile sig_atomic_t got_signal;
/* Those three set got_signal; no SA_RESTART, so waits end. */
void catch_signals(void);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t now_ms(void);
/* Waits up to @ms for an event of @j (drained) or a signal. */
void wait_job(struct kbits_job *j, int ms);
/* "  50%  1.0 MiB/2.0 MiB  1/2 files" */
void format_counts(char *buf, size_t size, const struct kbits_job_progress *p);

/* ------------------------------------------------------------ commands */

/* A command's line after the common pass of main.c. */
struct cmdline {
	const char *name;		/* the command's, for its messages */
	bool json;			/* --json */
	int argc;			/* the operands, their number checked */
	char **argv;
	void *opts;			/* the command's own options (zeroed) */
};

/* A command's own options and its help. */
struct verb_options {
	const char *short_opts;		/* without h */
	const struct option *long_opts;	/* without --json, --help; NULL-ended */
	/* Option @c: EXIT_OK, an exit status (said), or -1: not one of its own. */
	int (*option)(struct cmdline *cl, int c, const char *arg);
	size_t opts_size;		/* of what cl->opts points to */
	const char *const *help;	/* --help's text, in pieces; NULL-ended */
};

#define VERB(name) \
	int cmd_##name(struct cmdline *cl); \
	extern const struct verb_options name##_options

VERB(create);
VERB(add_file);
VERB(list);
VERB(info);
VERB(files);
VERB(error);
VERB(set);
VERB(set_credentials);
VERB(remove_credentials);
VERB(resume);
VERB(suspend);
VERB(cancel);
VERB(complete);
VERB(take_ownership);
VERB(monitor);
VERB(transfer);

#endif /* KBITSCTL_H */
