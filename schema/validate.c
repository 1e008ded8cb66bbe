/*
 * validate.c - JSON Schema draft 2020-12 (a subset) over cJSON
 *
 * Loading a document walks every subschema once: it records each one's base
 * URI, registers "$id"s and "$anchor"s as resources, and compiles patterns,
 * so that validation is a plain recursive walk with no parsing in it.
 * Keywords this validator cannot honour ($dynamicRef, unevaluated*) make the
 * document fail to load rather than be silently ignored.
 */
#include "schema/schema.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/format.h"
#include "schema/regex.h"
#include "schema/uri.h"
#include "util/error.h"
#include "util/json.h"
#include "util/utf8.h"

#define MAX_DEPTH 256  /* nested subschemas followed in one validation */
#define ENUM_LISTED 10 /* longer enums are named by their document, not listed */

/* ---- the set ------------------------------------------------------------ */

typedef struct {
	const void *key; /* a schema node, a "pattern" value, or a patternProperties member */
	const char *base;
	fs_regex *re;
} node_info;

typedef struct {
	char *uri;
	const cJSON *node;
} resource;

struct fs_schema_set {
	cJSON **docs;
	size_t ndocs, capdocs;
	resource *res;
	size_t nres, capres;
	node_info *map; /* open addressing on the pointer */
	size_t mapcap, mapn;
	char **strings; /* interned base URIs */
	size_t nstrings, capstrings;
	int assert_formats;
};

struct fs_schema_report {
	fs_schema_failure *v;
	size_t n, cap;
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if (!(p = realloc(*v, c * size)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

static size_t hash_ptr(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;
	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 7) & (cap - 1);
}

static node_info *map_find(const fs_schema_set *set, const void *key)
{
	size_t i;

	if (!set->mapcap)
		return NULL;
	for (i = hash_ptr(key, set->mapcap); set->map[i].key; i = (i + 1) & (set->mapcap - 1))
		if (set->map[i].key == key)
			return &set->map[i];
	return NULL;
}

static node_info *map_put(fs_schema_set *set, const void *key)
{
	node_info *e;
	size_t i;

	if ((e = map_find(set, key)))
		return e;
	if ((set->mapn + 1) * 2 > set->mapcap) {
		size_t cap = set->mapcap ? set->mapcap * 2 : 256;
		node_info *old = set->map, *m = calloc(cap, sizeof(*m));
		size_t oldcap = set->mapcap;
		if (!m) {
			fs_error_set(FS_ENOMEM, "out of memory");
			return NULL;
		}
		set->map = m;
		set->mapcap = cap;
		for (size_t j = 0; j < oldcap; j++) {
			if (!old[j].key)
				continue;
			for (i = hash_ptr(old[j].key, cap); m[i].key; i = (i + 1) & (cap - 1))
				;
			m[i] = old[j];
		}
		free(old);
	}
	for (i = hash_ptr(key, set->mapcap); set->map[i].key; i = (i + 1) & (set->mapcap - 1))
		;
	set->map[i].key = key;
	set->mapn++;
	return &set->map[i];
}

static const char *intern(fs_schema_set *set, const char *s, size_t len)
{
	char *copy;

	for (size_t i = set->nstrings; i-- > 0;)
		if (strlen(set->strings[i]) == len && strncmp(set->strings[i], s, len) == 0)
			return set->strings[i];
	if (grow((void **)&set->strings, &set->capstrings, set->nstrings, sizeof(char *)) < 0 ||
	    !(copy = strndup(s, len))) {
		fs_error_set(FS_ENOMEM, "out of memory");
		return NULL;
	}
	set->strings[set->nstrings++] = copy;
	return copy;
}

static int add_resource(fs_schema_set *set, const char *uri, const cJSON *node)
{
	char *copy;

	for (size_t i = 0; i < set->nres; i++)
		if (strcmp(set->res[i].uri, uri) == 0)
			return set->res[i].node == node ? 0 :
			       fs_error_set(FS_EINVALID, "schema: '%s' is defined twice", uri);
	if (grow((void **)&set->res, &set->capres, set->nres, sizeof(resource)) < 0)
		return FS_ENOMEM;
	if (!(copy = strdup(uri)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	set->res[set->nres].uri = copy;
	set->res[set->nres].node = node;
	set->nres++;
	return 0;
}

static const cJSON *find_resource(const fs_schema_set *set, const char *uri)
{
	for (size_t i = 0; i < set->nres; i++)
		if (strcmp(set->res[i].uri, uri) == 0)
			return set->res[i].node;
	return NULL;
}

int fs_schema_set_new(fs_schema_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : fs_error_set(FS_ENOMEM, "out of memory");
}

void fs_schema_set_free(fs_schema_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->mapcap; i++)
		fs_regex_free(set->map[i].re);
	for (size_t i = 0; i < set->nres; i++)
		free(set->res[i].uri);
	for (size_t i = 0; i < set->nstrings; i++)
		free(set->strings[i]);
	for (size_t i = 0; i < set->ndocs; i++)
		cJSON_Delete(set->docs[i]);
	free(set->map);
	free(set->res);
	free(set->strings);
	free(set->docs);
	free(set);
}

void fs_schema_set_assert_formats(fs_schema_set *set, int on)
{
	set->assert_formats = on;
}

/* ---- loading: walk every subschema once ---------------------------------- */

static const char *const one_schema[] = { "additionalProperties", "propertyNames", "items",
					  "contains", "not", "if", "then", "else", NULL };
static const char *const schema_map[] = { "properties", "patternProperties", "$defs",
					  "definitions", "dependentSchemas", NULL };
static const char *const schema_list[] = { "allOf", "anyOf", "oneOf", "prefixItems", NULL };
static const char *const unsupported[] = { "$dynamicRef", "unevaluatedProperties",
					   "unevaluatedItems", "$recursiveRef", NULL };

static int walk(fs_schema_set *set, const cJSON *s, const char *base, int depth);

static int walk_child(fs_schema_set *set, const cJSON *s, const char *base, int depth,
		      const char *kw)
{
	if (!cJSON_IsObject(s) && !cJSON_IsBool(s))
		return fs_error_set(FS_EINVALID, "schema '%s': \"%s\" must hold a schema", base, kw);
	return walk(set, s, base, depth + 1);
}

static int compile(fs_schema_set *set, const void *key, const char *pattern)
{
	node_info *e = map_put(set, key);
	int rc;

	if (!e)
		return FS_ENOMEM;
	if (e->re)
		return 0;
	if ((rc = fs_regex_compile(&e->re, pattern)) < 0)
		return rc;
	return 0;
}

static int walk(fs_schema_set *set, const cJSON *s, const char *base, int depth)
{
	const cJSON *v, *c;
	fs_buf uri = FS_BUF_INIT;
	node_info *e;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return fs_error_set(FS_EINVALID, "schema '%s': nested too deeply", base);
	if (!(e = map_put(set, s)))
		return FS_ENOMEM;
	if (!cJSON_IsObject(s)) {
		e->base = base;
		return 0;
	}
	for (size_t i = 0; unsupported[i]; i++)
		if (cJSON_GetObjectItemCaseSensitive(s, unsupported[i]))
			return fs_error_set(FS_EINVALID, "schema '%s': keyword \"%s\" is not supported",
					    base, unsupported[i]);
	v = cJSON_GetObjectItemCaseSensitive(s, "$id");
	if (cJSON_IsString(v)) {
		const char *b;
		if ((rc = fs_uri_resolve(&uri, base, v->valuestring)) < 0)
			goto done;
		/* an empty fragment is allowed and means nothing */
		if (!(b = intern(set, uri.ptr, fs_uri_strip_fragment(uri.ptr)))) {
			rc = FS_ENOMEM;
			goto done;
		}
		base = b;
		if ((rc = add_resource(set, base, s)) < 0)
			goto done;
	}
	if (!(e = map_put(set, s))) { /* the map may have moved */
		rc = FS_ENOMEM;
		goto done;
	}
	e->base = base;
	for (int k = 0; k < 2; k++) {
		v = cJSON_GetObjectItemCaseSensitive(s, k ? "$dynamicAnchor" : "$anchor");
		if (!cJSON_IsString(v))
			continue;
		fs_buf_clear(&uri);
		fs_buf_printf(&uri, "%s#%s", base, v->valuestring);
		if ((rc = fs_buf_check(&uri)) < 0 || (rc = add_resource(set, uri.ptr, s)) < 0)
			goto done;
	}
	v = cJSON_GetObjectItemCaseSensitive(s, "pattern");
	if (cJSON_IsString(v) && (rc = compile(set, v, v->valuestring)) < 0)
		goto done;
	v = cJSON_GetObjectItemCaseSensitive(s, "patternProperties");
	if (cJSON_IsObject(v))
		for (c = v->child; c; c = c->next)
			if ((rc = compile(set, c, c->string)) < 0)
				goto done;
	for (size_t i = 0; one_schema[i]; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(s, one_schema[i])) &&
		    (rc = walk_child(set, v, base, depth, one_schema[i])) < 0)
			goto done;
	for (size_t i = 0; schema_map[i]; i++) {
		v = cJSON_GetObjectItemCaseSensitive(s, schema_map[i]);
		if (!v)
			continue;
		if (!cJSON_IsObject(v)) {
			rc = fs_error_set(FS_EINVALID, "schema '%s': \"%s\" must be an object", base,
					  schema_map[i]);
			goto done;
		}
		for (c = v->child; c; c = c->next)
			if ((rc = walk_child(set, c, base, depth, schema_map[i])) < 0)
				goto done;
	}
	for (size_t i = 0; schema_list[i]; i++) {
		v = cJSON_GetObjectItemCaseSensitive(s, schema_list[i]);
		if (!v)
			continue;
		if (!cJSON_IsArray(v)) {
			rc = fs_error_set(FS_EINVALID, "schema '%s': \"%s\" must be an array", base,
					  schema_list[i]);
			goto done;
		}
		for (c = v->child; c; c = c->next)
			if ((rc = walk_child(set, c, base, depth, schema_list[i])) < 0)
				goto done;
	}
done:
	fs_buf_dispose(&uri);
	return rc;
}

int fs_schema_set_add(fs_schema_set *set, const char *uri, const char *json, size_t len)
{
	cJSON *doc = NULL;
	const cJSON *id;
	const char *base;
	fs_buf abs = FS_BUF_INIT;
	int rc;

	if ((rc = fs_json_parse(&doc, json, len, uri ? uri : "schema")) < 0)
		return rc;
	id = cJSON_GetObjectItemCaseSensitive(doc, "$id");
	if (!uri && !cJSON_IsString(id)) {
		rc = fs_error_set(FS_EINVALID, "schema: no \"$id\" and no URI given");
		goto done;
	}
	if ((rc = grow((void **)&set->docs, &set->capdocs, set->ndocs, sizeof(cJSON *))) < 0)
		goto done;
	set->docs[set->ndocs++] = doc;
	fs_buf_puts(&abs, uri ? uri : id->valuestring);
	if ((rc = fs_buf_check(&abs)) < 0)
		goto fail;
	if (!(base = intern(set, abs.ptr, fs_uri_strip_fragment(abs.ptr)))) {
		rc = FS_ENOMEM;
		goto fail;
	}
	if ((rc = add_resource(set, base, doc)) < 0 || (rc = walk(set, doc, base, 0)) < 0)
		goto fail;
	fs_buf_dispose(&abs);
	return 0;
fail:
	/* keep the document: resources already registered point into it */
	doc = NULL;
done:
	cJSON_Delete(doc);
	fs_buf_dispose(&abs);
	return rc;
}

/* ---- the report -------------------------------------------------------- */

size_t fs_schema_report_count(const fs_schema_report *r) { return r ? r->n : 0; }

const fs_schema_failure *fs_schema_report_get(const fs_schema_report *r, size_t i)
{
	return r && i < r->n ? &r->v[i] : NULL;
}

void fs_schema_report_free(fs_schema_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->v[i].instance);
		free((char *)r->v[i].schema);
		free((char *)r->v[i].keyword);
		free((char *)r->v[i].expected);
		free((char *)r->v[i].found);
	}
	free(r->v);
	free(r);
}

int fs_schema_report_format(const fs_schema_report *r, fs_buf *out, const char *prefix,
			    size_t max)
{
	size_t n = fs_schema_report_count(r);

	for (size_t i = 0; i < n && (max == 0 || i < max); i++) {
		const fs_schema_failure *f = &r->v[i];
		fs_buf_printf(out, "%s: %s: expected %s, found %s\n", prefix,
			      *f->instance ? f->instance : "/", f->expected, f->found);
	}
	if (max && n > max)
		fs_buf_printf(out, "%s: ... and %zu more problems\n", prefix, n - max);
	return fs_buf_check(out);
}

/* ---- validation ---------------------------------------------------------- */

typedef struct {
	const fs_schema_set *set;
	fs_schema_report *report; /* NULL: only find out whether it is valid */
	fs_buf iptr;              /* where we are in the instance */
	fs_buf sptr;              /* where we are in the schemas */
	int depth;
} vctx;

static void push(fs_buf *b, const char *seg)
{
	fs_buf_putc(b, '/');
	for (; *seg; seg++) {
		if (*seg == '~')
			fs_buf_puts(b, "~0");
		else if (*seg == '/')
			fs_buf_puts(b, "~1");
		else
			fs_buf_putc(b, *seg);
	}
}

static void push_index(fs_buf *b, size_t i)
{
	fs_buf_printf(b, "/%zu", i);
}

static void pop(fs_buf *b, size_t size)
{
	b->size = size;
	if (b->ptr)
		b->ptr[size] = '\0';
}

/* A value in words, short: strings quoted and cut, containers by kind. */
static void render(fs_buf *b, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		size_t len = strlen(v->valuestring), cut = len > 40 ? 40 : len;
		/* cut at a character boundary */
		while (cut < len && ((unsigned char)v->valuestring[cut] & 0xC0) == 0x80)
			cut--;
		if (cut < len) {
			char *tmp = strndup(v->valuestring, cut);
			if (tmp) {
				fs_json_put_string(b, tmp);
				b->size--;
				fs_buf_puts(b, "...\"");
				free(tmp);
			}
		} else {
			fs_json_put_string(b, v->valuestring);
		}
	} else if (cJSON_IsNumber(v)) {
		fs_json_put_number(b, v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		fs_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		fs_buf_puts(b, "null");
	} else if (cJSON_IsArray(v)) {
		fs_buf_puts(b, "an array");
	} else {
		fs_buf_puts(b, "an object");
	}
}

static int fail(vctx *c, const char *keyword, const char *expected, const char *found)
{
	fs_schema_failure *f;
	fs_schema_report *r = c->report;

	if (!r)
		return 0;
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v)) < 0)
		return FS_ENOMEM;
	f = &r->v[r->n];
	f->instance = strdup(fs_buf_cstr(&c->iptr));
	f->keyword = strdup(keyword);
	f->expected = strdup(expected);
	f->found = strdup(found);
	{
		fs_buf s = FS_BUF_INIT;
		fs_buf_printf(&s, "%s/%s", fs_buf_cstr(&c->sptr), keyword);
		f->schema = fs_buf_detach(&s);
	}
	if (!f->instance || !f->keyword || !f->expected || !f->found || !f->schema) {
		free((char *)f->instance);
		free((char *)f->keyword);
		free((char *)f->expected);
		free((char *)f->found);
		free((char *)f->schema);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	r->n++;
	return 0;
}

/* fail() with the found value rendered from the instance */
static int fail_v(vctx *c, const char *keyword, const char *expected, const cJSON *inst)
{
	fs_buf found = FS_BUF_INIT;
	int rc;

	if (!c->report)
		return 0;
	render(&found, inst);
	rc = fs_buf_check(&found) < 0 ? FS_ENOMEM : fail(c, keyword, expected, found.ptr);
	fs_buf_dispose(&found);
	return rc;
}

static const char *title_of(const cJSON *s)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "title");
	return cJSON_IsString(t) ? t->valuestring : NULL;
}

static int is_integer(const cJSON *v)
{
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
}

static int type_is(const cJSON *v, const char *t)
{
	if (strcmp(t, "string") == 0) return cJSON_IsString(v);
	if (strcmp(t, "number") == 0) return cJSON_IsNumber(v);
	if (strcmp(t, "integer") == 0) return is_integer(v);
	if (strcmp(t, "object") == 0) return cJSON_IsObject(v);
	if (strcmp(t, "array") == 0) return cJSON_IsArray(v);
	if (strcmp(t, "boolean") == 0) return cJSON_IsBool(v);
	if (strcmp(t, "null") == 0) return cJSON_IsNull(v);
	return 0;
}

static const char *type_words(const char *t)
{
	if (strcmp(t, "string") == 0) return "a string";
	if (strcmp(t, "number") == 0) return "a number";
	if (strcmp(t, "integer") == 0) return "an integer";
	if (strcmp(t, "object") == 0) return "an object";
	if (strcmp(t, "array") == 0) return "an array";
	if (strcmp(t, "boolean") == 0) return "true or false";
	return "null";
}

/* Deep equality; numbers by value (1 == 1.0), objects regardless of order. */
static int equal(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
		const cJSON *x = a->child, *y = b->child;
		for (; x && y; x = x->next, y = y->next)
			if (!equal(x, y))
				return 0;
		return !x && !y;
	}
	if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
		size_t na = 0, nb = 0;
		for (const cJSON *x = a->child; x; x = x->next, na++) {
			const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
			if (!y || !equal(x, y))
				return 0;
		}
		for (const cJSON *y = b->child; y; y = y->next)
			nb++;
		return na == nb;
	}
	return cJSON_Compare(a, b, 1);
}

/* "https://x/schema/vocab/countries.json" -> "vocab/countries.json" */
static const char *doc_name(const char *base)
{
	const char *p = strstr(base, "/schema/");
	return p ? p + strlen("/schema/") : base;
}

static int v_schema(vctx *c, const cJSON *s, const cJSON *inst);

/* Validate without recording failures: 1 valid, 0 not, <0 error. */
static int quiet(vctx *c, const cJSON *s, const cJSON *inst)
{
	fs_schema_report *r = c->report;
	int rc;

	c->report = NULL;
	rc = v_schema(c, s, inst);
	c->report = r;
	return rc;
}

static const char *base_of(const vctx *c, const cJSON *s)
{
	const node_info *e = map_find(c->set, s);
	return e && e->base ? e->base : "";
}

static int follow_ref(vctx *c, const cJSON *s, const char *ref, const cJSON *inst)
{
	fs_buf abs = FS_BUF_INIT, doc = FS_BUF_INIT;
	const cJSON *target;
	size_t h, saved = c->sptr.size;
	char *frag = NULL;
	int rc;

	if ((rc = fs_uri_resolve(&abs, base_of(c, s), ref)) < 0)
		goto done;
	h = fs_uri_strip_fragment(abs.ptr);
	frag = strdup(abs.ptr[h] ? abs.ptr + h + 1 : "");
	if (!frag || fs_uri_unescape(frag) < 0) {
		rc = frag ? fs_error_set(FS_ERROR, "schema: bad $ref '%s'", ref)
			  : fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if (*frag && *frag != '/') {
		target = find_resource(c->set, abs.ptr); /* an anchor */
	} else {
		fs_buf_put(&doc, abs.ptr, h);
		target = find_resource(c->set, fs_buf_cstr(&doc));
		/* a JSON pointer into that resource */
		for (char *p = frag; target && *p == '/';) {
			char *seg = p + 1, *end = strchr(seg, '/'), *w, *q;
			if (end)
				*end = '\0';
			for (w = q = seg; *q; q++) {
				if (*q == '~' && (q[1] == '0' || q[1] == '1')) {
					*w++ = q[1] == '0' ? '~' : '/';
					q++;
				} else {
					*w++ = *q;
				}
			}
			*w = '\0';
			if (cJSON_IsArray(target)) {
				char *e2;
				long i = strtol(seg, &e2, 10);
				target = *seg && !*e2 && i >= 0 ? cJSON_GetArrayItem(target, (int)i) : NULL;
			} else {
				target = cJSON_GetObjectItemCaseSensitive(target, seg);
			}
			if (!end)
				break;
			p = end;
			*p = '/';
		}
	}
	if (!target) {
		rc = fs_error_set(FS_ERROR, "schema: cannot resolve $ref '%s' (%s)", ref, abs.ptr);
		goto done;
	}
	pop(&c->sptr, 0);
	fs_buf_puts(&c->sptr, abs.ptr);
	rc = v_schema(c, target, inst);
	pop(&c->sptr, 0);
	(void)saved;
done:
	free(frag);
	fs_buf_dispose(&abs);
	fs_buf_dispose(&doc);
	return rc;
}

/* The keywords that apply to numbers. */
static int v_number(vctx *c, const cJSON *s, const cJSON *inst)
{
	double x = inst->valuedouble;
	const cJSON *k;
	char exp[96];
	int ok = 1, rc;

	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "minimum")) && x < k->valuedouble) {
		snprintf(exp, sizeof(exp), "a number of at least %.17g", k->valuedouble);
		if ((rc = fail_v(c, "minimum", exp, inst)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "maximum")) && x > k->valuedouble) {
		snprintf(exp, sizeof(exp), "a number of at most %.17g", k->valuedouble);
		if ((rc = fail_v(c, "maximum", exp, inst)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "exclusiveMinimum")) &&
	    x <= k->valuedouble) {
		snprintf(exp, sizeof(exp), "a number greater than %.17g", k->valuedouble);
		if ((rc = fail_v(c, "exclusiveMinimum", exp, inst)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "exclusiveMaximum")) &&
	    x >= k->valuedouble) {
		snprintf(exp, sizeof(exp), "a number less than %.17g", k->valuedouble);
		if ((rc = fail_v(c, "exclusiveMaximum", exp, inst)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "multipleOf")) &&
	    k->valuedouble > 0) {
		double q = x / k->valuedouble;
		/* past the range of doubles the quotient overflows; the remainder does not */
		int multiple = isfinite(q) ? fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q))
					   : fmod(x, k->valuedouble) == 0;
		if (!multiple) {
			snprintf(exp, sizeof(exp), "a multiple of %.17g", k->valuedouble);
			if ((rc = fail_v(c, "multipleOf", exp, inst)) < 0) return rc;
			ok = 0;
		}
	}
	return ok;
}

static int v_string(vctx *c, const cJSON *s, const cJSON *inst)
{
	const cJSON *k;
	size_t len = fs_utf8_length(inst->valuestring);
	const char *title = title_of(s);
	char exp[160];
	int ok = 1, rc;

	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "minLength")) &&
	    (double)len < k->valuedouble) {
		char found[32];
		snprintf(exp, sizeof(exp), "at least %.0f character%s", k->valuedouble,
			 k->valuedouble == 1 ? "" : "s");
		snprintf(found, sizeof(found), "%zu", len);
		if ((rc = fail(c, "minLength", exp, found)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "maxLength")) &&
	    (double)len > k->valuedouble) {
		char found[32];
		snprintf(exp, sizeof(exp), "at most %.0f character%s", k->valuedouble,
			 k->valuedouble == 1 ? "" : "s");
		snprintf(found, sizeof(found), "%zu", len);
		if ((rc = fail(c, "maxLength", exp, found)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsString(k = cJSON_GetObjectItemCaseSensitive(s, "pattern"))) {
		const node_info *e = map_find(c->set, k);
		if (e && e->re && !fs_regex_search(e->re, inst->valuestring)) {
			fs_buf b = FS_BUF_INIT;
			if (!title)
				fs_buf_printf(&b, "a string matching /%s/", k->valuestring);
			rc = fail_v(c, "pattern", title ? title : fs_buf_cstr(&b), inst);
			fs_buf_dispose(&b);
			if (rc < 0) return rc;
			ok = 0;
		}
	}
	if (c->set->assert_formats &&
	    cJSON_IsString(k = cJSON_GetObjectItemCaseSensitive(s, "format")) &&
	    fs_format_check(k->valuestring, inst->valuestring) == 0) {
		snprintf(exp, sizeof(exp), "a valid %s", k->valuestring);
		if ((rc = fail_v(c, "format", title ? title : exp, inst)) < 0) return rc;
		ok = 0;
	}
	return ok;
}

static int v_array(vctx *c, const cJSON *s, const cJSON *inst)
{
	const cJSON *k, *items, *prefix, *it;
	size_t n = (size_t)cJSON_GetArraySize(inst), i, at = c->iptr.size;
	char exp[96], found[96];
	int ok = 1, rc;

	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "minItems")) &&
	    (double)n < k->valuedouble) {
		snprintf(exp, sizeof(exp), "at least %.0f item%s", k->valuedouble, k->valuedouble == 1 ? "" : "s");
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail(c, "minItems", exp, found)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "maxItems")) &&
	    (double)n > k->valuedouble) {
		snprintf(exp, sizeof(exp), "at most %.0f item%s", k->valuedouble, k->valuedouble == 1 ? "" : "s");
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail(c, "maxItems", exp, found)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "uniqueItems"))) {
		const cJSON *a, *b;
		for (a = inst->child; a && ok >= 0; a = a->next)
			for (b = a->next; b; b = b->next)
				if (equal(a, b)) {
					fs_buf f = FS_BUF_INIT;
					render(&f, a);
					fs_buf_puts(&f, " more than once");
					rc = fail(c, "uniqueItems", "no repeated items", fs_buf_cstr(&f));
					fs_buf_dispose(&f);
					if (rc < 0) return rc;
					ok = 0;
					goto unique_done;
				}
	}
unique_done:
	if (!ok && !c->report)
		return 0;
	prefix = cJSON_GetObjectItemCaseSensitive(s, "prefixItems");
	items = cJSON_GetObjectItemCaseSensitive(s, "items");
	for (i = 0, it = inst->child; it; it = it->next, i++) {
		const cJSON *sub = prefix && (int)i < cJSON_GetArraySize(prefix)
					   ? cJSON_GetArrayItem(prefix, (int)i) : items;
		if (!sub)
			continue;
		push_index(&c->iptr, i);
		rc = v_schema(c, sub, it);
		pop(&c->iptr, at);
		if (rc < 0) return rc;
		if (!rc) {
			ok = 0;
			if (!c->report)
				return 0;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "contains"))) {
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(s, "minContains");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(s, "maxContains");
		double min = cJSON_IsNumber(mn) ? mn->valuedouble : 1;
		size_t matched = 0;
		for (it = inst->child; it; it = it->next) {
			if ((rc = quiet(c, k, it)) < 0) return rc;
			matched += (size_t)rc;
		}
		if ((double)matched < min || (cJSON_IsNumber(mx) && (double)matched > mx->valuedouble)) {
			const char *title = cJSON_IsObject(k) ? title_of(k) : NULL;
			if ((double)matched < min)
				snprintf(exp, sizeof(exp), "at least %.0f item%s matching %s", min,
					 min == 1 ? "" : "s", title ? title : "the \"contains\" schema");
			else
				snprintf(exp, sizeof(exp), "at most %.0f items matching %s", mx->valuedouble,
					 title ? title : "the \"contains\" schema");
			snprintf(found, sizeof(found), "%zu", matched);
			if ((rc = fail(c, "contains", exp, found)) < 0) return rc;
			ok = 0;
		}
	}
	return ok;
}

/* One member of an object: propertyNames, properties, patternProperties, additionalProperties. */
static int v_member(vctx *c, const cJSON *s, const cJSON *m)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
	const cJSON *pp = cJSON_GetObjectItemCaseSensitive(s, "patternProperties");
	const cJSON *add = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(s, "propertyNames");
	const cJSON *sub = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
	int covered = sub != NULL, ok = 1, rc;

	if (names) {
		cJSON *name = cJSON_CreateString(m->string);
		if (!name)
			return fs_error_set(FS_ENOMEM, "out of memory");
		rc = v_schema(c, names, name);
		cJSON_Delete(name);
		if (rc <= 0)
			return rc;
	}
	if (sub && (rc = v_schema(c, sub, m)) <= 0) {
		if (rc < 0 || !c->report)
			return rc;
		ok = 0;
	}
	for (const cJSON *p = pp ? pp->child : NULL; p; p = p->next) {
		const node_info *e = map_find(c->set, p);
		if (!e || !e->re || !fs_regex_search(e->re, m->string))
			continue;
		covered = 1;
		if ((rc = v_schema(c, p, m)) <= 0) {
			if (rc < 0 || !c->report)
				return rc;
			ok = 0;
		}
	}
	if (covered || !add)
		return ok;
	if (cJSON_IsFalse(add)) {
		rc = fail_v(c, "additionalProperties", "no such field (the schema does not allow it)", m);
		return rc < 0 ? rc : 0;
	}
	rc = v_schema(c, add, m);
	return rc < 0 ? rc : ok && rc;
}

static int v_object(vctx *c, const cJSON *s, const cJSON *inst)
{
	const cJSON *k, *m;
	size_t at = c->iptr.size, n = 0;
	char exp[160], found[64];
	int ok = 1, rc;

	for (m = inst->child; m; m = m->next)
		n++;
	if (cJSON_IsArray(k = cJSON_GetObjectItemCaseSensitive(s, "required"))) {
		for (const cJSON *r = k->child; r; r = r->next) {
			if (!cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(inst, r->valuestring))
				continue;
			push(&c->iptr, r->valuestring);
			rc = fail(c, "required", "a value (the field is required)", "nothing");
			pop(&c->iptr, at);
			if (rc < 0) return rc;
			ok = 0;
			if (!c->report) return 0;
		}
	}
	if (cJSON_IsObject(k = cJSON_GetObjectItemCaseSensitive(s, "dependentRequired"))) {
		for (const cJSON *d = k->child; d; d = d->next) {
			if (!cJSON_GetObjectItemCaseSensitive(inst, d->string) || !cJSON_IsArray(d))
				continue;
			for (const cJSON *r = d->child; r; r = r->next) {
				if (!cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(inst, r->valuestring))
					continue;
				snprintf(exp, sizeof(exp), "a value (required when \"%.60s\" is present)", d->string);
				push(&c->iptr, r->valuestring);
				rc = fail(c, "dependentRequired", exp, "nothing");
				pop(&c->iptr, at);
				if (rc < 0) return rc;
				ok = 0;
				if (!c->report) return 0;
			}
		}
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "minProperties")) &&
	    (double)n < k->valuedouble) {
		snprintf(exp, sizeof(exp), "at least %.0f field%s", k->valuedouble, k->valuedouble == 1 ? "" : "s");
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail(c, "minProperties", exp, found)) < 0) return rc;
		ok = 0;
	}
	if (cJSON_IsNumber(k = cJSON_GetObjectItemCaseSensitive(s, "maxProperties")) &&
	    (double)n > k->valuedouble) {
		snprintf(exp, sizeof(exp), "at most %.0f field%s", k->valuedouble, k->valuedouble == 1 ? "" : "s");
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail(c, "maxProperties", exp, found)) < 0) return rc;
		ok = 0;
	}
	if (!ok && !c->report)
		return 0;
	for (m = inst->child; m; m = m->next) {
		push(&c->iptr, m->string);
		rc = v_member(c, s, m);
		pop(&c->iptr, at);
		if (rc < 0)
			return rc;
		if (!rc) {
			ok = 0;
			if (!c->report)
				return 0;
		}
	}
	if (cJSON_IsObject(k = cJSON_GetObjectItemCaseSensitive(s, "dependentSchemas"))) {
		for (const cJSON *d = k->child; d; d = d->next) {
			if (!cJSON_GetObjectItemCaseSensitive(inst, d->string))
				continue;
			if ((rc = v_schema(c, d, inst)) < 0) return rc;
			if (!rc) {
				ok = 0;
				if (!c->report) return 0;
			}
		}
	}
	return ok;
}

static int v_combinators(vctx *c, const cJSON *s, const cJSON *inst)
{
	const char *title = title_of(s);
	const cJSON *k;
	char exp[128], found[64];
	int ok = 1, rc;

	if (cJSON_IsArray(k = cJSON_GetObjectItemCaseSensitive(s, "allOf"))) {
		for (const cJSON *b = k->child; b; b = b->next) {
			if ((rc = v_schema(c, b, inst)) < 0) return rc;
			if (!rc) {
				ok = 0;
				if (!c->report) return 0;
			}
		}
	}
	if (cJSON_IsArray(k = cJSON_GetObjectItemCaseSensitive(s, "anyOf"))) {
		int any = 0, n = 0;
		for (const cJSON *b = k->child; b && !any; b = b->next, n++) {
			if ((rc = quiet(c, b, inst)) < 0) return rc;
			any = rc;
		}
		if (!any) {
			snprintf(exp, sizeof(exp), "a value matching one of %d alternatives",
				 cJSON_GetArraySize(k));
			if ((rc = fail_v(c, "anyOf", title ? title : exp, inst)) < 0) return rc;
			ok = 0;
			if (!c->report) return 0;
		}
	}
	if (cJSON_IsArray(k = cJSON_GetObjectItemCaseSensitive(s, "oneOf"))) {
		int matched = 0;
		for (const cJSON *b = k->child; b; b = b->next) {
			if ((rc = quiet(c, b, inst)) < 0) return rc;
			matched += rc;
		}
		if (matched != 1) {
			if (matched == 0)
				snprintf(exp, sizeof(exp), "a value matching one of %d alternatives",
					 cJSON_GetArraySize(k));
			else
				snprintf(exp, sizeof(exp), "a value matching exactly one of %d alternatives "
					 "(it matches %d)", cJSON_GetArraySize(k), matched);
			if ((rc = fail_v(c, "oneOf", title && matched == 0 ? title : exp, inst)) < 0)
				return rc;
			ok = 0;
			if (!c->report) return 0;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "not"))) {
		if ((rc = quiet(c, k, inst)) < 0) return rc;
		if (rc) {
			if ((rc = fail_v(c, "not", title ? title : "a value not matching the \"not\" schema",
					 inst)) < 0)
				return rc;
			ok = 0;
			if (!c->report) return 0;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "if"))) {
		const cJSON *branch;
		if ((rc = quiet(c, k, inst)) < 0) return rc;
		branch = cJSON_GetObjectItemCaseSensitive(s, rc ? "then" : "else");
		if (branch) {
			if ((rc = v_schema(c, branch, inst)) < 0) return rc;
			if (!rc) ok = 0;
		}
	}
	(void)found;
	return ok;
}

static int v_schema(vctx *c, const cJSON *s, const cJSON *inst)
{
	const cJSON *k;
	size_t sat = c->sptr.size;
	char exp[256];
	int ok = 1, rc = 0;

	if (cJSON_IsBool(s)) {
		if (cJSON_IsTrue(s))
			return 1;
		rc = fail_v(c, "false", "nothing (no value is allowed here)", inst);
		return rc < 0 ? rc : 0;
	}
	if (!cJSON_IsObject(s))
		return fs_error_set(FS_ERROR, "schema: a schema must be an object or a boolean");
	if (++c->depth > MAX_DEPTH) {
		c->depth--;
		return fs_error_set(FS_ERROR, "schema: $ref nested too deeply (a loop?)");
	}
#define CHECK_RC(expr)                                                                   \
	do {                                                                             \
		if ((rc = (expr)) < 0)                                                   \
			goto done;                                                       \
		if (!rc) {                                                               \
			ok = 0;                                                          \
			if (!c->report)                                                  \
				goto done;                                               \
		}                                                                        \
	} while (0)

	if (cJSON_IsString(k = cJSON_GetObjectItemCaseSensitive(s, "$ref"))) {
		fs_buf saved = FS_BUF_INIT;
		fs_buf_put(&saved, fs_buf_cstr(&c->sptr), c->sptr.size);
		rc = follow_ref(c, s, k->valuestring, inst);
		pop(&c->sptr, 0);
		fs_buf_put(&c->sptr, fs_buf_cstr(&saved), saved.size);
		fs_buf_dispose(&saved);
		CHECK_RC(rc);
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "type"))) {
		int match = 0;
		fs_buf b = FS_BUF_INIT;
		if (cJSON_IsString(k)) {
			match = type_is(inst, k->valuestring);
			fs_buf_puts(&b, type_words(k->valuestring));
		} else {
			for (const cJSON *t = k->child; t; t = t->next) {
				if (!cJSON_IsString(t))
					continue;
				match |= type_is(inst, t->valuestring);
				fs_buf_printf(&b, "%s%s", b.size ? t->next ? ", " : " or " : "",
					      type_words(t->valuestring));
			}
		}
		if (!match) {
			rc = fail_v(c, "type", fs_buf_cstr(&b), inst);
			ok = 0;
		}
		fs_buf_dispose(&b);
		if (rc < 0 || (!ok && !c->report))
			goto done;
	}
	if (cJSON_IsArray(k = cJSON_GetObjectItemCaseSensitive(s, "enum"))) {
		int match = 0, n = cJSON_GetArraySize(k);
		for (const cJSON *e = k->child; e && !match; e = e->next)
			match = equal(e, inst);
		if (!match) {
			fs_buf b = FS_BUF_INIT;
			if (n > ENUM_LISTED) {
				fs_buf_printf(&b, "one of the %d values of %s", n, doc_name(base_of(c, s)));
			} else {
				fs_buf_puts(&b, "one of ");
				for (const cJSON *e = k->child; e; e = e->next) {
					render(&b, e);
					if (e->next)
						fs_buf_puts(&b, ", ");
				}
			}
			rc = fail_v(c, "enum", fs_buf_cstr(&b), inst);
			fs_buf_dispose(&b);
			ok = 0;
			if (rc < 0 || !c->report)
				goto done;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "const")) && !equal(k, inst)) {
		fs_buf b = FS_BUF_INIT;
		render(&b, k);
		snprintf(exp, sizeof(exp), "%s", fs_buf_cstr(&b));
		fs_buf_dispose(&b);
		rc = fail_v(c, "const", title_of(s) ? title_of(s) : exp, inst);
		ok = 0;
		if (rc < 0 || !c->report)
			goto done;
	}
	if (cJSON_IsNumber(inst))
		CHECK_RC(v_number(c, s, inst));
	else if (cJSON_IsString(inst))
		CHECK_RC(v_string(c, s, inst));
	else if (cJSON_IsArray(inst))
		CHECK_RC(v_array(c, s, inst));
	else if (cJSON_IsObject(inst))
		CHECK_RC(v_object(c, s, inst));
	CHECK_RC(v_combinators(c, s, inst));
#undef CHECK_RC
	rc = 0;
done:
	pop(&c->sptr, sat);
	c->depth--;
	return rc < 0 ? rc : ok;
}

int fs_schema_validate(const fs_schema_set *set, const char *uri, const cJSON *instance,
		       fs_schema_report **out)
{
	vctx c;
	fs_buf abs = FS_BUF_INIT;
	const cJSON *root;
	size_t h;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.set = set;
	if (!(c.report = calloc(1, sizeof(*c.report))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	h = fs_uri_strip_fragment(uri);
	fs_buf_put(&abs, uri, h);
	if (!(root = find_resource(set, fs_buf_cstr(&abs)))) {
		rc = fs_error_set(FS_ENOTFOUND, "schema '%s': unknown", uri);
		goto done;
	}
	/* a fragment goes through the same code as a $ref */
	if (uri[h]) {
		cJSON *probe = cJSON_CreateObject();
		if (!probe || !cJSON_AddStringToObject(probe, "$ref", uri)) {
			cJSON_Delete(probe);
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		fs_buf_puts(&c.sptr, uri);
		rc = v_schema(&c, probe, instance);
		cJSON_Delete(probe);
	} else {
		fs_buf_puts(&c.sptr, uri);
		rc = v_schema(&c, root, instance);
	}
	if (rc < 0)
		goto done;
	if (rc == 1 || c.report->n == 0) {
		rc = rc == 1 ? 0 : fs_error_set(FS_EINVALID, "invalid");
		if (rc == 0)
			goto done;
	}
	*out = c.report;
	c.report = NULL;
	rc = FS_EINVALID;
done:
	fs_schema_report_free(c.report);
	fs_buf_dispose(&c.iptr);
	fs_buf_dispose(&c.sptr);
	fs_buf_dispose(&abs);
	return rc;
}
