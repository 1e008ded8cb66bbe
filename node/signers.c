#include "node/signers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node/sshsig.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"

struct fs_signers {
	fs_signer *v;
	size_t n, cap;
};

size_t fs_signers_count(const fs_signers *s) { return s->n; }
const fs_signer *fs_signers_get(const fs_signers *s, size_t i) { return i < s->n ? &s->v[i] : NULL; }

void fs_signers_free(fs_signers *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		fs_free((char *)s->v[i].principals);
		fs_free((char *)s->v[i].namespaces);
	}
	fs_free(s->v);
	fs_free(s);
}

/* ---- ssh's wildcard patterns (match.c): * and ?, lists with ! ----------- */

/*
 * Linear time: on a mismatch only the last '*' is retried one character
 * further, so a registry of "*a*a*a*...b" patterns cannot stall an audit.
 */
static int match_pattern(const char *s, const char *p, size_t plen)
{
	const char *end = p + plen, *star = NULL, *resume = NULL;

	while (*s) {
		if (p < end && *p == '*') {
			star = ++p;
			resume = s;
		} else if (p < end && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (p < end && *p == '*')
		p++;
	return p == end;
}

/* 1 if `s` matches the list, 0 if not, -1 if a negated pattern matches. */
static int match_list(const char *s, const char *list)
{
	int got = 0;

	while (*list) {
		size_t n = strcspn(list, ",");
		int neg = *list == '!';
		if (match_pattern(s, list + neg, n - (size_t)neg)) {
			if (neg)
				return -1;
			got = 1;
		}
		list += n;
		if (*list == ',')
			list++;
	}
	return got;
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct {
	const char *origin;
	size_t line;
} where;

static int bad(const where *w, const char *what)
{
	return fs_error_set(FS_EINVALID, "%s:%zu: %s", w->origin, w->line, what);
}

/* A token up to the next blank outside quotes, quotes kept. */
static int token(char **out, const char **pp, const char *end)
{
	const char *p = *pp, *start;
	int quoted = 0;

	*out = NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	start = p;
	while (p < end && (quoted || (*p != ' ' && *p != '\t'))) {
		if (*p == '"')
			quoted = !quoted;
		p++;
	}
	if (p == start || quoted)
		return 0;
	/* not "no token": a line must not read as malformed for want of memory */
	if (!(*out = fs_malloc((size_t)(p - start) + 1)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	memcpy(*out, start, (size_t)(p - start));
	(*out)[p - start] = '\0';
	*pp = p;
	return 1;
}

/* Drop the quotes around a whole value: "a,b" -> a,b */
static void unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/* YYYYMMDD[HHMM[SS]][Z], always read as UTC (the files fieldsync writes say Z). */
static int parse_time(int64_t *out, const char *s)
{
	struct tm tm;
	size_t n = strlen(s);
	int v[6] = { 0, 1, 1, 0, 0, 0 };

	if (n && s[n - 1] == 'Z')
		n--;
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	sscanf(s, "%4d%2d%2d", &v[0], &v[1], &v[2]);
	if (n >= 12)
		sscanf(s + 8, "%2d%2d", &v[3], &v[4]);
	if (n == 14)
		sscanf(s + 12, "%2d", &v[5]);
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int parse_options(fs_signer *e, char *opts, const where *w)
{
	char *p = opts;

	while (*p) {
		char *name = p, *value = NULL;
		int quoted = 0;
		for (; *p && (quoted || *p != ','); p++)
			if (*p == '"')
				quoted = !quoted;
		if (*p)
			*p++ = '\0';
		if ((value = strchr(name, '=')))
			*value++ = '\0';
		if (value)
			unquote(value);
		if (strcmp(name, "cert-authority") == 0)
			return bad(w, _("cert-authority is not supported (only plain ssh-ed25519 keys)"));
		if (!value)
			return bad(w, _("an option without a value"));
		if (strcmp(name, "namespaces") == 0) {
			fs_free((char *)e->namespaces);
			if (!(e->namespaces = fs_strdup(value)))
				return fs_error_set(FS_ENOMEM, "out of memory");
		} else if (strcmp(name, "valid-after") == 0) {
			if (parse_time(&e->valid_after, value) < 0)
				return bad(w, _("valid-after: expected YYYYMMDD[HHMM[SS]][Z]"));
		} else if (strcmp(name, "valid-before") == 0) {
			if (parse_time(&e->valid_before, value) < 0)
				return bad(w, _("valid-before: expected YYYYMMDD[HHMM[SS]][Z]"));
		} else {
			char msg[128];
			snprintf(msg, sizeof(msg), _("unknown option '%.40s'"), name);
			return bad(w, msg);
		}
	}
	return 0;
}

static int is_keytype(const char *t)
{
	return strncmp(t, "ssh-", 4) == 0 || strncmp(t, "ecdsa-", 6) == 0 ||
	       strncmp(t, "sk-", 3) == 0;
}

static int parse_line(fs_signers *s, const char *p, const char *end, const where *w)
{
	fs_signer e;
	char *principals = NULL, *tok = NULL, *key = NULL;
	fs_buf line = FS_BUF_INIT;
	int rc = 0;

	memset(&e, 0, sizeof(e));
	e.valid_after = INT64_MIN;
	e.valid_before = INT64_MAX;
	e.line = w->line;
	if ((rc = token(&principals, &p, end)) <= 0) {
		rc = rc < 0 ? rc : bad(w, _("expected principals"));
		goto done;
	}
	unquote(principals);
	if ((rc = token(&tok, &p, end)) <= 0) {
		rc = rc < 0 ? rc : bad(w, _("expected a key after the principals"));
		goto done;
	}
	if (!is_keytype(tok)) {
		if ((rc = parse_options(&e, tok, w)) < 0)
			goto done;
		fs_free(tok);
		if ((rc = token(&tok, &p, end)) <= 0) {
			rc = rc < 0 ? rc : bad(w, _("expected a key after the options"));
			goto done;
		}
	}
	if (strcmp(tok, "ssh-ed25519") != 0) {
		rc = bad(w, _("only ssh-ed25519 keys are supported"));
		goto done;
	}
	if ((rc = token(&key, &p, end)) <= 0) {
		rc = rc < 0 ? rc : bad(w, _("expected the base64 key"));
		goto done;
	}
	fs_buf_printf(&line, "ssh-ed25519 %s", key);
	if ((rc = fs_buf_check(&line)) < 0)
		goto done;
	if (fs_ssh_pubkey_parse(e.public_key, line.ptr) < 0) {
		rc = bad(w, _("bad ssh-ed25519 key"));
		goto done;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		fs_signer *v = fs_realloc(s->v, cap * sizeof(*v));
		if (!v) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		s->v = v;
		s->cap = cap;
	}
	e.principals = principals;
	principals = NULL;
	s->v[s->n++] = e;
	e.namespaces = NULL;
done:
	fs_free(principals);
	fs_free(tok);
	fs_free(key);
	fs_free((char *)e.namespaces);
	fs_buf_dispose(&line);
	return rc;
}

int fs_signers_parse(fs_signers **out, const char *text, size_t len, const char *origin)
{
	fs_signers *s = fs_calloc(1, sizeof(*s));
	const char *p = text, *end = text + len;
	where w = { origin, 0 };
	int rc = 0;

	*out = NULL;
	if (!s)
		return fs_error_set(FS_ENOMEM, "out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *q = p;
		w.line++;
		if (le > p && le[-1] == '\r')
			le--;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (memchr(p, '\0', (size_t)(le - p))) {
			rc = bad(&w, _("NUL byte"));
			break;
		}
		if (q < le && *q != '#' && (rc = parse_line(s, q, le, &w)) < 0)
			break;
		p = nl ? nl + 1 : end;
	}
	if (rc < 0) {
		fs_signers_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int usable(const fs_signer *e, const unsigned char pk[FS_KEY_PUBLIC_BYTES],
		  const char *namespace_, int64_t when)
{
	return sodium_memcmp(e->public_key, pk, FS_KEY_PUBLIC_BYTES) == 0 &&
	       (!e->namespaces || match_list(namespace_, e->namespaces) == 1) &&
	       when >= e->valid_after && when <= e->valid_before;
}

const fs_signer *fs_signers_find(const fs_signers *s, const char *principal,
				 const unsigned char pk[FS_KEY_PUBLIC_BYTES],
				 const char *namespace_, int64_t when)
{
	for (size_t i = 0; i < s->n; i++)
		if (usable(&s->v[i], pk, namespace_, when) &&
		    match_list(principal, s->v[i].principals) == 1)
			return &s->v[i];
	return NULL;
}

const fs_signer *fs_signers_find_key(const fs_signers *s,
				     const unsigned char pk[FS_KEY_PUBLIC_BYTES],
				     const char *namespace_, int64_t when)
{
	for (size_t i = 0; i < s->n; i++)
		if (usable(&s->v[i], pk, namespace_, when))
			return &s->v[i];
	return NULL;
}
