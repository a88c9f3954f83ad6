// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: a job's error in words: errno names, HTTP reasons.
 */
#include "config.h"

#include <string.h>

#include "kbitsctl.h"

const char *errno_name(int e)
{
#ifdef HAVE_STRERRORDESC_NP
	return strerrorname_np(e);
#else
	(void)e;
	return NULL;
#endif
}

const char *http_reason(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return NULL;
}

void describe_error(char *buf, size_t size, const struct kbits_error *e,
		    const struct kbits_file *files, size_t n)
{
	char code[160], text[KBITS_ERROR_TEXT_MAX + 1], raw[4096 + KBITS_ERROR_TEXT_MAX];
	const char *where = NULL;

	if (e->file_index != KBITS_NO_FILE && e->file_index < n)
		where = e->context == KBITS_ERROR_CONTEXT_LOCAL_FILE ?
			files[e->file_index].local_name : files[e->file_index].remote_name;

	if (e->flags & KBITS_ERROR_HTTP) {
		const char *r = http_reason(e->code);

		snprintf(code, sizeof(code), "HTTP %d%s%s", e->code, r ? " " : "", r ? r : "");
	} else if (e->code > 0) {
		const char *name = errno_name(e->code);

		snprintf(code, sizeof(code), "%s (%s)", strerror(e->code), name ? name : "?");
	} else {
		snprintf(code, sizeof(code), "error %d", e->code);
	}
	snprintf(text, sizeof(text), "%s", e->text ? e->text : "");
	/* kbitsd's texts may start with the name again: say it once. */
	if (where) {
		size_t wl = strlen(where);

		if (!strncmp(text, where, wl) && !strncmp(text + wl, ": ", 2))
			memmove(text, text + wl + 2, strlen(text + wl + 2) + 1);
	}
	snprintf(raw, sizeof(raw), "%s%s%s%s%s", where ? where : "", where ? ": " : "", code,
		 text[0] ? ": " : "", text);
	text_to_buf(buf, size, raw);
}
