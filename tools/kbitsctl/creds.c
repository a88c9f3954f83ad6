// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: set-credentials and remove-credentials (bitsadmin
 * /setcredentials, /removecredentials), and the credentials files that
 * transfer --credentials-file reads.  A password never comes from argv,
 * which every user may read in /proc: from a file, or from a prompt on the
 * terminal with echo off.  Buffers that held one are cleared before they
 * are freed (credfile.c), and no message quotes one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "credfile.h"
#include "kbitsctl.h"

/*
 * Opens @path ("-": stdin, not to be closed) to read secrets from; warns
 * when others than its owner may read it, as ssh warns of a key file (the
 * secrets are not secret then; the file is used all the same).  The fd, or
 * -1 with the message said.
 */
static int open_secret_file(const char *cmd, const char *opt, const char *path)
{
	char shown[PATH_MAX * 4 + 1];
	struct stat st;
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	text_to_buf(shown, sizeof(shown), path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		errmsg("%s: %s: cannot open %s: %s", cmd, opt, shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		errmsg("%s: warning: %s %s is readable by %s (mode %04o): its passwords are "
		       "not secret; 'chmod go-rwx' it", cmd, opt, shown,
		       (st.st_mode & S_IROTH) ? "every user" : "its group",
		       (unsigned int)(st.st_mode & 07777));
	return fd;
}

/*
 * The whole of a secrets file, read without stdio: EXIT_OK with *buf and
 * *len (free with cred_buf_free()), or the failure said.
 */
static int read_secret_file(const char *cmd, const char *opt, const char *path, size_t max,
			    char **buf, size_t *len)
{
	char shown[PATH_MAX * 4 + 1];
	int fd, err;

	fd = open_secret_file(cmd, opt, path);
	if (fd < 0)
		return EXIT_FAILED;
	err = cred_read_fd(fd, max, buf, len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (!err)
		return EXIT_OK;
	text_to_buf(shown, sizeof(shown), strcmp(path, "-") ? path : "stdin");
	if (err == -EFBIG)
		return usage_fail(cmd, "%s: %s is longer than %zu bytes", opt, shown, max);
	errmsg("%s: %s: cannot read %s: %s", cmd, opt, shown, strerror(-err));
	return EXIT_FAILED;
}

/*
 * The terminal to ask for a password on: its fd, or -1 with a usage error
 * said (that says what to give instead).
 */
static int open_tty(const char *cmd)
{
	struct termios t;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0 && tcgetattr(fd, &t) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	usage_fail(cmd, "no terminal to ask for the password on: give --password-file FILE "
		   "('-': stdin); a password is never taken from the command line");
	return -1;
}

/*
 * The password from the terminal @fd (closed here), echo off: EXIT_OK with
 * *out malloc'd, or the failure said.
 */
static int prompt_password(const char *cmd, int fd, const char *prompt, char **out)
{
	char buf[KBITS_CRED_PASSWORD_MAX + 2];
	struct termios old, quiet;
	size_t have = 0;
	int ret = EXIT_OK;
	ssize_t n;
	char c;

	*out = NULL;
	if (tcgetattr(fd, &old) < 0) {
		errmsg("%s: cannot read the terminal's settings: %s", cmd, strerror(errno));
		close(fd);
		return EXIT_FAILED;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* SIGINT and the like end the read (EINTR), and the echo comes back */
	catch_signals();
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		errmsg("%s: cannot turn the terminal's echo off: %s", cmd, strerror(errno));
		close(fd);
		return EXIT_FAILED;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* nothing to do: the read says what is wrong with the terminal */
	}
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR && !got_signal)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (have < sizeof(buf) - 1)
			buf[have++] = c;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* the echo was off: the newline only tidies the screen */
	}
	close(fd);
	c = 0;
	if (got_signal) {
		errmsg("%s: interrupted (%s): nothing was set", cmd, strsignal(got_signal));
		ret = EXIT_INTERRUPTED;
	} else if (n < 0) {
		errmsg("%s: cannot read the password from the terminal: %s", cmd, strerror(errno));
		ret = EXIT_FAILED;
	} else if (have > KBITS_CRED_PASSWORD_MAX) {
		ret = usage_fail(cmd, "the password is longer than %d bytes",
				 KBITS_CRED_PASSWORD_MAX);
	} else {
		buf[have] = '\0';
		*out = strdup(buf);
		if (!*out) {
			errmsg("out of memory");
			ret = EXIT_FAILED;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

int read_credentials_file(const char *cmd, const char *path, struct cred_list *out)
{
	char shown[PATH_MAX * 4 + 1];
	const char *why;
	unsigned int bad;
	size_t len;
	char *buf;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_secret_file(cmd, "--credentials-file", path, CRED_FILE_MAX, &buf, &len);
	if (ret)
		return ret;
	text_to_buf(shown, sizeof(shown), strcmp(path, "-") ? path : "stdin");
	ret = cred_list_parse(buf, len, out, &bad, &why);
	cred_buf_free(buf, len);
	if (ret < 0 && bad)
		return usage_fail(cmd, "--credentials-file %s:%u: %s (lines are 'TARGET SCHEME "
				  "USER PASSWORD')", shown, bad, why);
	if (ret < 0)
		return usage_fail(cmd, "--credentials-file %s: %s", shown, why);
	return EXIT_OK;
}

/* Says why SET_CREDENTIALS failed; the exit status. */
static int credentials_fail(const struct kbits_guid *id, struct kbits_job *j, const char *what,
			    int err)
{
	char g[KBITS_GUID_STRING_LEN];

	kbits_guid_format(id, g);
	switch (err) {
	case -EINVAL:
	case -ENAMETOOLONG:
		errmsg("job %s: cannot %s: the kbits module refused them (%s): a user name is "
		       "UTF-8 without control characters (and without ':' for basic), a "
		       "password UTF-8, each at most %d bytes", g, what, kbits_strerror(err),
		       KBITS_CRED_USER_MAX);
		return EXIT_FAILED;
	case -ENOTTY:
		errmsg("job %s: cannot %s: the loaded kbits module has no credentials (is it "
		       "older than kbitsctl?)", g, what);
		return EXIT_FAILED;
	}
	return job_fail(id, j, what, err);
}

int apply_credentials(const struct kbits_guid *id, struct kbits_job *j,
		      const struct cred_list *l)
{
	char what[96];
	size_t i;
	int err;

	for (i = 0; i < l->n; i++) {
		const struct cred *c = &l->creds[i];

		err = kbits_job_set_credentials(j, c->target, c->scheme, c->user, c->password);
		if (err) {
			snprintf(what, sizeof(what), "set the %s %s credentials",
				 cred_target_name(c->target), cred_scheme_name(c->scheme));
			return credentials_fail(id, j, what, err);
		}
	}
	return EXIT_OK;
}

/* ------------------------------------------------------- set-credentials */

static const char set_credentials_help[] =
	"Usage: kbitsctl set-credentials GUID --target T --scheme S --user NAME\n"
	"                                [--password-file FILE]\n"
	"\n"
	"Gives a job a user name and password for the server or the proxy, for one\n"
	"authentication scheme (bitsadmin /setcredentials); setting them again\n"
	"replaces them. kbitsd presents them as curl does. They are write-only:\n"
	"info and every other command show only which schemes are set.\n"
	"\n"
	"The password is never taken from the command line (every user may read\n"
	"it there): it is the first line of --password-file FILE, or else asked\n"
	"for on the terminal, not echoed. Without a terminal, give a file.\n"
	"\n"
	"Options:\n"
	"      --target T           server or proxy\n"
	"      --scheme S           basic, digest, ntlm or negotiate\n"
	"  -u, --user NAME          the user name: UTF-8 without control characters,\n"
	"                           without ':' for basic; may be '' (negotiate with\n"
	"                           your Kerberos tickets)\n"
	"      --password-file FILE the password: FILE's first line, without its\n"
	"                           line end ('-': stdin); a warning when others may\n"
	"                           read FILE\n"
	"  -h, --help               show this help\n"
	"\n"
	"Each is at most 1024 bytes. Taking the job over (take-ownership) removes\n"
	"its credentials. GUID may be name:NAME, the one job of yours with that\n"
	"display name.\n";

enum { OPT_TARGET = 256, OPT_SCHEME, OPT_PASSWORD_FILE, OPT_PASSWORD };

struct cred_opts {
	const char *target_arg, *scheme_arg, *user, *password_file;
	enum kbits_auth_target target;
	enum kbits_auth_scheme scheme;
};

static int cred_option(struct cmdline *cl, int c, const char *arg)
{
	struct cred_opts *o = cl->opts;

	switch (c) {
	case OPT_TARGET:
		if (cred_target_from_name(arg, &o->target) < 0)
			return usage_fail(cl->name, "--target: '%s' is not server or proxy", arg);
		o->target_arg = arg;
		return EXIT_OK;
	case OPT_SCHEME:
		if (cred_scheme_from_name(arg, &o->scheme) < 0)
			return usage_fail(cl->name, "--scheme: '%s' is not basic, digest, ntlm or "
					  "negotiate", arg);
		o->scheme_arg = arg;
		return EXIT_OK;
	case 'u':
		o->user = arg;
		return EXIT_OK;
	case OPT_PASSWORD_FILE:
		o->password_file = arg;
		return EXIT_OK;
	case OPT_PASSWORD:
		/* not the value: it is a secret, now in the process list */
		return usage_fail(cl->name, "no --password: the process list shows the command "
				  "line to every user; use --password-file FILE ('-': stdin), or "
				  "no option to be asked on the terminal");
	}
	return -1;
}

static const struct option set_credentials_long[] = {
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "user", required_argument, NULL, 'u' },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	/*
	 * Refused, named so that getopt does not take --password for an
	 * abbreviation of --password-file and the secret for a file's name.
	 */
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options set_credentials_options = {
	"u:", set_credentials_long, cred_option, sizeof(struct cred_opts),
	(const char *const[]){ set_credentials_help, NULL },
};

/* set-credentials --password-file: EXIT_OK with *out malloc'd, or the failure said. */
static int read_password_file(const struct cred_opts *o, char **out)
{
	const char *why;
	size_t len;
	char *buf;
	int ret;

	*out = NULL;
	/* its first line is the password: a longer one is refused by cred_first_line() */
	ret = read_secret_file("set-credentials", "--password-file", o->password_file,
			       CRED_FILE_MAX, &buf, &len);
	if (ret)
		return ret;
	ret = cred_first_line(buf, len, out, &why);
	cred_buf_free(buf, len);
	if (ret < 0)
		return usage_fail("set-credentials", "--password-file: %s", why);
	why = cred_check(o->scheme, o->user, *out);
	if (why) {
		explicit_bzero(*out, strlen(*out));
		free(*out);
		*out = NULL;
		return usage_fail("set-credentials", "--password-file: %s", why);
	}
	return EXIT_OK;
}

/* The password asked for on the terminal @tty (closed here). */
static int ask_password(const struct cred_opts *o, int tty, char **out)
{
	char prompt[KBITS_CRED_USER_MAX * 4 + 64], shown[KBITS_CRED_USER_MAX * 4 + 1];
	const char *why;
	int ret;

	text_to_buf(shown, sizeof(shown), o->user);
	snprintf(prompt, sizeof(prompt), "Password for '%s' (%s %s): ", shown,
		 cred_target_name(o->target), cred_scheme_name(o->scheme));
	ret = prompt_password("set-credentials", tty, prompt, out);
	if (ret)
		return ret;
	why = cred_check(o->scheme, o->user, *out);
	if (why) {
		explicit_bzero(*out, strlen(*out));
		free(*out);
		*out = NULL;
		return usage_fail("set-credentials", "%s", why);
	}
	return EXIT_OK;
}

int cmd_set_credentials(struct cmdline *cl)
{
	const struct cred_opts *o = cl->opts;
	struct kbits_job *j = NULL;
	char *password = NULL, what[96];
	struct kbits_guid id;
	const char *why;
	int ret, err, tty = -1;

	ret = parse_guid_arg("set-credentials", cl->argv[0], &id);
	if (ret)
		return ret;
	if (!o->target_arg || !o->scheme_arg || !o->user)
		return usage_fail("set-credentials", "give --target, --scheme and --user");
	why = cred_check(o->scheme, o->user, "");
	if (why)
		return usage_fail("set-credentials", "--user: %s", why);
	/*
	 * Everything checked before the job is got: a file read, or the
	 * terminal opened (without one: a usage error); the password is
	 * asked for only once the job is there.
	 */
	if (o->password_file)
		ret = read_password_file(o, &password);
	else
		ret = (tty = open_tty("set-credentials")) < 0 ? EXIT_USAGE : EXIT_OK;
	if (!ret)
		ret = get_job_arg("set-credentials", cl->argv[0], &id, &j);
	if (!ret && tty >= 0) {
		ret = ask_password(o, tty, &password);
		tty = -1;	/* closed */
	}
	if (tty >= 0)
		close(tty);
	if (!ret) {
		err = kbits_job_set_credentials(j, o->target, o->scheme, o->user, password);
		snprintf(what, sizeof(what), "set the %s %s credentials",
			 cred_target_name(o->target), cred_scheme_name(o->scheme));
		if (err)
			ret = credentials_fail(&id, j, what, err);
	}
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	kbits_job_unref(j);
	return ret;
}

/* ---------------------------------------------------- remove-credentials */

static const char remove_credentials_help[] =
	"Usage: kbitsctl remove-credentials GUID --target T --scheme S\n"
	"\n"
	"Removes a job's user name and password for the server or the proxy and\n"
	"one scheme (bitsadmin /removecredentials). Removing credentials the job\n"
	"does not have is no error.\n"
	"\n"
	"Options:\n"
	"      --target T   server or proxy\n"
	"      --scheme S   basic, digest, ntlm or negotiate\n"
	"  -h, --help       show this help\n"
	"\n"
	"GUID may be name:NAME, the one job of yours with that display name.\n";

static const struct option remove_credentials_long[] = {
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ NULL, 0, NULL, 0 },
};

const struct verb_options remove_credentials_options = {
	NULL, remove_credentials_long, cred_option, sizeof(struct cred_opts),
	(const char *const[]){ remove_credentials_help, NULL },
};

int cmd_remove_credentials(struct cmdline *cl)
{
	const struct cred_opts *o = cl->opts;
	struct kbits_job *j = NULL;
	struct kbits_guid id;
	char what[96];
	int ret, err;

	ret = parse_guid_arg("remove-credentials", cl->argv[0], &id);
	if (ret)
		return ret;
	if (!o->target_arg || !o->scheme_arg)
		return usage_fail("remove-credentials", "give --target and --scheme");
	ret = get_job_arg("remove-credentials", cl->argv[0], &id, &j);
	if (ret)
		return ret;
	err = kbits_job_remove_credentials(j, o->target, o->scheme);
	snprintf(what, sizeof(what), "remove the %s %s credentials",
		 cred_target_name(o->target), cred_scheme_name(o->scheme));
	if (err)
		ret = credentials_fail(&id, j, what, err);
	kbits_job_unref(j);
	return ret;
}
