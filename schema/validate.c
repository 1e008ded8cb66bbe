/*
 * validate.c - JSON Schema draft 2020-12 (a subset) over cJSON
 *
 * Loading a document walks every subschema once: it checks the keywords it
 * knows, records each subschema's base URI and location, registers "$id"s
 * and "$anchor"s as resources, and compiles patterns, so that validation is
 * a plain recursive walk with no parsing in it. Keywords this validator
 * cannot honour ($dynamicRef, unevaluated*) make the document fail to load
 * rather than be silently ignored: ignoring them would accept records that
 * the schema's author meant to refuse.
 */
#include "schema/schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/format.h"
#include "schema/regex.h"
#include "schema/uri.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/json.h"
#include "util/utf8.h"

#define MAX_DEPTH 256      /* nested subschemas applied at once: ends $ref loops */
#define MAX_STEPS 4000000  /* subschemas applied in one validation: ends blow-ups */
#define MAX_KEPT 1000      /* failures kept in a report; the rest are counted */
#define ENUM_LISTED 10     /* longer enums are named by their document, not listed */
#define FOUND_CHARS 40     /* strings in messages are cut after this many characters */
#define LISTED_PLACES 5    /* repeated items named in a uniqueItems failure */

/* ---- the set ------------------------------------------------------------ */

typedef struct {
	const void *key;  /* a subschema, or the "pattern" string it holds */
	const char *base; /* interned base URI */
	char *loc;        /* "<document uri>#<JSON pointer>" */
	fs_regex *re;     /* a "pattern" value, or a patternProperties member */
	unsigned kw;      /* a walked subschema: the KW_ groups of the keywords it has */
	const char *ref;  /* ... and its "$ref" made absolute against base (interned) */
} node_info;

/*
 * Keywords in groups, one bit each, recorded for every subschema when it is
 * loaded: validation then asks a subschema only for the keywords of groups it
 * has. A typical subschema has two or three keywords of some forty, and
 * asking for each (a scan of the subschema's members) was the larger part of
 * checking a valid record.
 */
enum {
	KW_REF = 1 << 0,
	KW_TYPE = 1 << 1,
	KW_ENUM = 1 << 2,
	KW_CONST = 1 << 3,
	KW_NUMBER = 1 << 4,
	KW_STRING = 1 << 5,
	KW_ARRAY = 1 << 6,
	KW_OBJECT = 1 << 7,
	KW_COMBINATORS = 1 << 8,
	KW_ALL = (1 << 9) - 1
};

static const struct {
	const char *name;
	unsigned group;
} kw_groups[] = {
	{ "$ref", KW_REF }, { "type", KW_TYPE }, { "enum", KW_ENUM }, { "const", KW_CONST },
	{ "minimum", KW_NUMBER }, { "maximum", KW_NUMBER }, { "exclusiveMinimum", KW_NUMBER },
	{ "exclusiveMaximum", KW_NUMBER }, { "multipleOf", KW_NUMBER },
	{ "minLength", KW_STRING }, { "maxLength", KW_STRING }, { "pattern", KW_STRING },
	{ "format", KW_STRING },
	{ "items", KW_ARRAY }, { "prefixItems", KW_ARRAY }, { "contains", KW_ARRAY },
	{ "minContains", KW_ARRAY }, { "maxContains", KW_ARRAY }, { "minItems", KW_ARRAY },
	{ "maxItems", KW_ARRAY }, { "uniqueItems", KW_ARRAY },
	{ "properties", KW_OBJECT }, { "patternProperties", KW_OBJECT },
	{ "additionalProperties", KW_OBJECT }, { "propertyNames", KW_OBJECT },
	{ "required", KW_OBJECT }, { "dependentRequired", KW_OBJECT },
	{ "dependentSchemas", KW_OBJECT }, { "minProperties", KW_OBJECT },
	{ "maxProperties", KW_OBJECT },
	{ "allOf", KW_COMBINATORS }, { "anyOf", KW_COMBINATORS }, { "oneOf", KW_COMBINATORS },
	{ "not", KW_COMBINATORS }, { "if", KW_COMBINATORS },
};

static unsigned kw_of(const cJSON *s)
{
	unsigned kw = 0;

	for (const cJSON *m = cJSON_IsObject(s) ? s->child : NULL; m; m = m->next)
		for (size_t i = 0; i < sizeof(kw_groups) / sizeof(kw_groups[0]); i++)
			if (m->string && strcmp(m->string, kw_groups[i].name) == 0)
				kw |= kw_groups[i].group;
	return kw;
}

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
	size_t more; /* failures past MAX_KEPT */
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if (!(p = fs_realloc(*v, c * size)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	*v = p;
	*cap = c;
	return 0;
}

static size_t hash_ptr(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
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

/* The entry for key, made if needed. Entries move when the map grows. */
static node_info *map_put(fs_schema_set *set, const void *key)
{
	node_info *e;
	size_t i;

	if ((e = map_find(set, key)))
		return e;
	if ((set->mapn + 1) * 2 > set->mapcap) {
		size_t cap = set->mapcap ? set->mapcap * 2 : 256, oldcap = set->mapcap;
		node_info *old = set->map, *m = fs_calloc(cap, sizeof(*m));
		if (!m) {
			fs_error_set(FS_ENOMEM, "out of memory");
			return NULL;
		}
		for (size_t j = 0; j < oldcap; j++) {
			if (!old[j].key)
				continue;
			for (i = hash_ptr(old[j].key, cap); m[i].key; i = (i + 1) & (cap - 1))
				;
			m[i] = old[j];
		}
		fs_free(old);
		set->map = m;
		set->mapcap = cap;
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
		if (strncmp(set->strings[i], s, len) == 0 && set->strings[i][len] == '\0')
			return set->strings[i];
	if (grow((void **)&set->strings, &set->capstrings, set->nstrings, sizeof(char *)) < 0)
		return NULL;
	if (!(copy = fs_strndup(s, len))) {
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
	if (!(copy = fs_strdup(uri)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	set->res[set->nres].uri = copy;
	set->res[set->nres].node = node;
	set->nres++;
	return 0;
}

static const cJSON *find_resource(const fs_schema_set *set, const char *uri, size_t len)
{
	for (size_t i = 0; i < set->nres; i++)
		if (strncmp(set->res[i].uri, uri, len) == 0 && set->res[i].uri[len] == '\0')
			return set->res[i].node;
	return NULL;
}

/*
 * The schema an absolute URI names: a resource, an anchor in one, or a JSON
 * pointer (with %-escapes and ~0 ~1) into one. NULL if there is none.
 */
static const cJSON *lookup(const fs_schema_set *set, const char *uri)
{
	size_t h = fs_uri_strip_fragment(uri);
	const cJSON *target;
	char small[256], *frag, *p;

	if (uri[h] && uri[h + 1] && uri[h + 1] != '/')
		return find_resource(set, uri, strlen(uri)); /* an anchor */
	if (!(target = find_resource(set, uri, h)) || !uri[h])
		return target;
	/*
	 * On the stack when it fits: NULL says "no such schema", so a failed
	 * allocation here would turn into a refused record.
	 */
	if (strlen(uri + h + 1) < sizeof(small))
		frag = strcpy(small, uri + h + 1);
	else if (!(frag = fs_strdup(uri + h + 1)))
		return NULL;
	if (fs_uri_unescape(frag) < 0) {
		if (frag != small)
			fs_free(frag);
		return NULL;
	}
	for (p = frag; target && *p == '/';) {
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
			char *e;
			long i = strtol(seg, &e, 10);
			/* no sign, no leading zero: "01" is not an index */
			target = *seg >= '0' && *seg <= '9' && !*e && (seg[0] != '0' || !seg[1]) &&
					 i <= 0x7FFFFFFF ? cJSON_GetArrayItem(target, (int)i) : NULL;
		} else if (cJSON_IsObject(target)) {
			target = cJSON_GetObjectItemCaseSensitive(target, seg);
		} else {
			target = NULL;
		}
		if (!end)
			break;
		p = end;
		*p = '/';
	}
	if (frag != small)
		fs_free(frag);
	return target;
}

int fs_schema_set_new(fs_schema_set **out)
{
	*out = fs_calloc(1, sizeof(**out));
	return *out ? 0 : fs_error_set(FS_ENOMEM, "out of memory");
}

void fs_schema_set_free(fs_schema_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->mapcap; i++) {
		fs_regex_free(set->map[i].re);
		fs_free(set->map[i].loc);
	}
	for (size_t i = 0; i < set->nres; i++)
		fs_free(set->res[i].uri);
	for (size_t i = 0; i < set->nstrings; i++)
		fs_free(set->strings[i]);
	for (size_t i = 0; i < set->ndocs; i++)
		cJSON_Delete(set->docs[i]);
	fs_free(set->map);
	fs_free(set->res);
	fs_free(set->strings);
	fs_free(set->docs);
	fs_free(set);
}

void fs_schema_set_assert_formats(fs_schema_set *set, int on)
{
	set->assert_formats = on;
}

const cJSON *fs_schema_set_lookup(const fs_schema_set *set, const char *uri)
{
	return lookup(set, uri);
}

/* ---- loading: check and index every subschema once ------------------------ */

static const char *const one_schema[] = { "additionalProperties", "propertyNames", "items",
					  "contains", "not", "if", "then", "else", NULL };
static const char *const schema_map[] = { "properties", "patternProperties", "$defs",
					  "definitions", "dependentSchemas", NULL };
static const char *const schema_list[] = { "allOf", "anyOf", "oneOf", "prefixItems", NULL };
static const char *const unsupported[] = { "$dynamicRef", "unevaluatedProperties",
					   "unevaluatedItems", "$recursiveRef", NULL };
static const char *const type_names[] = { "string", "number", "integer", "object", "array",
					  "boolean", "null", NULL };

enum { K_COUNT, K_NUMBER, K_POSITIVE, K_STRING, K_BOOL, K_ARRAY, K_STRINGS, K_TYPE, K_DEPREQ };

/* What the value of each keyword must be; a schema breaking this does not load. */
static const struct {
	const char *kw;
	int kind;
} value_rules[] = {
	{ "minLength", K_COUNT }, { "maxLength", K_COUNT }, { "minItems", K_COUNT },
	{ "maxItems", K_COUNT }, { "minProperties", K_COUNT }, { "maxProperties", K_COUNT },
	{ "minContains", K_COUNT }, { "maxContains", K_COUNT }, { "minimum", K_NUMBER },
	{ "maximum", K_NUMBER }, { "exclusiveMinimum", K_NUMBER }, { "exclusiveMaximum", K_NUMBER },
	{ "multipleOf", K_POSITIVE }, { "pattern", K_STRING }, { "format", K_STRING },
	{ "$ref", K_STRING }, { "$id", K_STRING }, { "$anchor", K_STRING },
	{ "$dynamicAnchor", K_STRING }, { "uniqueItems", K_BOOL }, { "enum", K_ARRAY },
	{ "required", K_STRINGS }, { "type", K_TYPE }, { "dependentRequired", K_DEPREQ },
};

static int is_type_name(const cJSON *v)
{
	if (!cJSON_IsString(v))
		return 0;
	for (size_t i = 0; type_names[i]; i++)
		if (strcmp(v->valuestring, type_names[i]) == 0)
			return 1;
	return 0;
}

static int all_strings(const cJSON *v)
{
	if (!cJSON_IsArray(v))
		return 0;
	for (const cJSON *c = v->child; c; c = c->next)
		if (!cJSON_IsString(c))
			return 0;
	return 1;
}

static int value_ok(const cJSON *v, int kind)
{
	switch (kind) {
	case K_COUNT:
		return cJSON_IsNumber(v) && v->valuedouble >= 0 && fs_json_is_integer(v->valuedouble);
	case K_NUMBER:
		return cJSON_IsNumber(v) && isfinite(v->valuedouble);
	case K_POSITIVE:
		return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0;
	case K_STRING:
		return cJSON_IsString(v);
	case K_BOOL:
		return cJSON_IsBool(v);
	case K_ARRAY:
		return cJSON_IsArray(v);
	case K_STRINGS:
		return all_strings(v);
	case K_TYPE:
		if (cJSON_IsArray(v)) {
			for (const cJSON *c = v->child; c; c = c->next)
				if (!is_type_name(c))
					return 0;
			return 1;
		}
		return is_type_name(v);
	default: /* K_DEPREQ */
		if (!cJSON_IsObject(v))
			return 0;
		for (const cJSON *c = v->child; c; c = c->next)
			if (!all_strings(c))
				return 0;
		return 1;
	}
}

/*
 * Is `s` a schema whose keywords the validator can use? NULL if so, else the
 * problem, written into why[].
 */
static const char *check_keywords(const cJSON *s, char *why, size_t size)
{
	const cJSON *v;

	if (cJSON_IsBool(s))
		return NULL;
	if (!cJSON_IsObject(s))
		return _("expected a schema (an object, true or false)");
	for (size_t i = 0; unsupported[i]; i++)
		if (cJSON_GetObjectItemCaseSensitive(s, unsupported[i])) {
			snprintf(why, size, _("keyword \"%s\" is not supported"), unsupported[i]);
			return why;
		}
	for (size_t i = 0; i < sizeof(value_rules) / sizeof(value_rules[0]); i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(s, value_rules[i].kw)) &&
		    !value_ok(v, value_rules[i].kind)) {
			snprintf(why, size, _("\"%s\" has a value it cannot have"), value_rules[i].kw);
			return why;
		}
	for (size_t i = 0; one_schema[i]; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(s, one_schema[i])) &&
		    !cJSON_IsObject(v) && !cJSON_IsBool(v)) {
			snprintf(why, size, _("\"%s\" must hold a schema"), one_schema[i]);
			return why;
		}
	for (size_t i = 0; schema_map[i]; i++) {
		if (!(v = cJSON_GetObjectItemCaseSensitive(s, schema_map[i])))
			continue;
		if (!cJSON_IsObject(v)) {
			snprintf(why, size, _("\"%s\" must be an object"), schema_map[i]);
			return why;
		}
		for (const cJSON *c = v->child; c; c = c->next)
			if (!cJSON_IsObject(c) && !cJSON_IsBool(c)) {
				snprintf(why, size, _("\"%s\" must hold schemas"), schema_map[i]);
				return why;
			}
	}
	for (size_t i = 0; schema_list[i]; i++) {
		if (!(v = cJSON_GetObjectItemCaseSensitive(s, schema_list[i])))
			continue;
		if (!cJSON_IsArray(v) || !v->child) {
			snprintf(why, size, _("\"%s\" must be a non-empty array"), schema_list[i]);
			return why;
		}
		for (const cJSON *c = v->child; c; c = c->next)
			if (!cJSON_IsObject(c) && !cJSON_IsBool(c)) {
				snprintf(why, size, _("\"%s\" must hold schemas"), schema_list[i]);
				return why;
			}
	}
	return NULL;
}

typedef struct {
	fs_schema_set *set;
	const char *doc; /* the URI the document was added as */
	fs_buf path;     /* JSON pointer of the subschema being walked */
} loader;

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

static void pop(fs_buf *b, size_t size)
{
	b->size = size;
	if (b->ptr)
		b->ptr[size] = '\0';
}

static int walk(loader *l, const cJSON *s, const char *base, int depth);

static int walk_child(loader *l, const cJSON *s, const char *base, int depth,
		      const char *kw, const char *name, int index)
{
	size_t at = l->path.size;
	int rc;

	push(&l->path, kw);
	if (name)
		push(&l->path, name);
	else if (index >= 0)
		fs_buf_printf(&l->path, "/%d", index);
	rc = walk(l, s, base, depth + 1);
	pop(&l->path, at);
	return rc;
}

static int compile(fs_schema_set *set, const void *key, const char *pattern)
{
	node_info *e = map_put(set, key);

	if (!e)
		return FS_ENOMEM;
	return e->re ? 0 : fs_regex_compile(&e->re, pattern);
}

/* The JSON pointer of the subschema being walked (the buffer moves as it grows). */
#define WHERE fs_buf_cstr(&l->path)

static int walk(loader *l, const cJSON *s, const char *base, int depth)
{
	fs_schema_set *set = l->set;
	const cJSON *v, *c;
	fs_buf uri = FS_BUF_INIT;
	node_info *e;
	const char *bad;
	char why[128];
	int rc = 0;

	if ((rc = fs_buf_check(&l->path)) < 0)
		return rc;
	if (depth > MAX_DEPTH)
		return fs_error_set(FS_EINVALID, "schema %s#%s: nested too deeply", l->doc, WHERE);
	if ((bad = check_keywords(s, why, sizeof(why))))
		return fs_error_set(FS_EINVALID, "schema %s#%s: %s", l->doc, WHERE, bad);
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "$id"))) {
		size_t h;
		if ((rc = fs_uri_resolve(&uri, base, v->valuestring)) < 0)
			goto done;
		h = fs_uri_strip_fragment(uri.ptr);
		if (uri.ptr[h] && uri.ptr[h + 1]) {
			rc = fs_error_set(FS_EINVALID, "schema %s#%s: \"$id\" '%s' has a fragment "
					  "(use \"$anchor\")", l->doc, WHERE, v->valuestring);
			goto done;
		}
		if (!(base = intern(set, uri.ptr, h))) {
			rc = FS_ENOMEM;
			goto done;
		}
		if ((rc = add_resource(set, base, s)) < 0)
			goto done;
	}
	if (!(e = map_put(set, s))) {
		rc = FS_ENOMEM;
		goto done;
	}
	e->base = base;
	e->kw = kw_of(s);
	/* resolved once here rather than at each use of the subschema */
	e->ref = NULL;
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "$ref")) && cJSON_IsString(v)) {
		fs_buf_clear(&uri);
		if ((rc = fs_uri_resolve(&uri, base, v->valuestring)) < 0)
			goto done;
		if (!(e->ref = intern(set, uri.ptr, uri.size))) {
			rc = FS_ENOMEM;
			goto done;
		}
	}
	fs_buf_clear(&uri);
	fs_buf_printf(&uri, "%s#%s", l->doc, WHERE);
	if ((rc = fs_buf_check(&uri)) < 0)
		goto done;
	if (!e->loc && !(e->loc = fs_strdup(uri.ptr))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if (!cJSON_IsObject(s))
		goto done;
	/* $dynamicAnchor without $dynamicRef is a plain anchor */
	for (int k = 0; k < 2; k++) {
		if (!(v = cJSON_GetObjectItemCaseSensitive(s, k ? "$dynamicAnchor" : "$anchor")))
			continue;
		fs_buf_clear(&uri);
		fs_buf_printf(&uri, "%s#%s", base, v->valuestring);
		if ((rc = fs_buf_check(&uri)) < 0 || (rc = add_resource(set, uri.ptr, s)) < 0)
			goto done;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "pattern")) &&
	    (rc = compile(set, v, v->valuestring)) < 0)
		goto done;
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "patternProperties")))
		for (c = v->child; c; c = c->next)
			if ((rc = compile(set, c, c->string)) < 0)
				goto done;
	for (size_t i = 0; one_schema[i]; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(s, one_schema[i])) &&
		    (rc = walk_child(l, v, base, depth, one_schema[i], NULL, -1)) < 0)
			goto done;
	for (size_t i = 0; schema_map[i]; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(s, schema_map[i])))
			for (c = v->child; c; c = c->next)
				if ((rc = walk_child(l, c, base, depth, schema_map[i], c->string, -1)) < 0)
					goto done;
	for (size_t i = 0; schema_list[i]; i++) {
		int n = 0;
		if ((v = cJSON_GetObjectItemCaseSensitive(s, schema_list[i])))
			for (c = v->child; c; c = c->next, n++)
				if ((rc = walk_child(l, c, base, depth, schema_list[i], NULL, n)) < 0)
					goto done;
	}
done:
	fs_buf_dispose(&uri);
	return rc;
}

#undef WHERE

int fs_schema_set_add(fs_schema_set *set, const char *uri, const char *json, size_t len)
{
	loader l = { set, NULL, FS_BUF_INIT };
	cJSON *doc = NULL;
	const cJSON *id;
	const char *base;
	size_t nres = set->nres;
	int rc;

	if ((rc = fs_json_parse(&doc, json, len, uri ? uri : _("schema"))) < 0)
		return rc;
	id = cJSON_GetObjectItemCaseSensitive(doc, "$id");
	if (!uri && !cJSON_IsString(id)) {
		rc = fs_error_set(FS_EINVALID, "schema: no \"$id\" and no URI given");
		goto done;
	}
	if (!uri)
		uri = id->valuestring;
	if (!cJSON_IsObject(doc) && !cJSON_IsBool(doc)) {
		rc = fs_error_set(FS_EINVALID, "schema %s: expected an object, true or false", uri);
		goto done;
	}
	if ((rc = grow((void **)&set->docs, &set->capdocs, set->ndocs, sizeof(cJSON *))) < 0)
		goto done;
	/* the set owns it from here: the index points into it even if loading fails */
	set->docs[set->ndocs++] = doc;
	if (!(base = intern(set, uri, fs_uri_strip_fragment(uri)))) {
		rc = FS_ENOMEM;
		goto done;
	}
	l.doc = base;
	/* the walk goes on past a failed push: the locations it indexed may be wrong */
	if ((rc = add_resource(set, base, doc)) < 0 || (rc = walk(&l, doc, base, 0)) < 0 ||
	    (rc = fs_buf_check(&l.path)) < 0)
		goto done;
done:
	if (rc < 0) {
		/* a document that failed to load cannot be named by a $ref */
		while (set->nres > nres)
			fs_free(set->res[--set->nres].uri);
		if (!set->ndocs || set->docs[set->ndocs - 1] != doc)
			cJSON_Delete(doc);
	}
	fs_buf_dispose(&l.path);
	return rc;
}

/* ---- the report -------------------------------------------------------- */

size_t fs_schema_report_count(const fs_schema_report *r)
{
	return r ? r->n : 0;
}

const fs_schema_failure *fs_schema_report_get(const fs_schema_report *r, size_t i)
{
	return r && i < r->n ? &r->v[i] : NULL;
}

void fs_schema_report_free(fs_schema_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		fs_free((char *)r->v[i].instance);
		fs_free((char *)r->v[i].schema);
		fs_free((char *)r->v[i].keyword);
		fs_free((char *)r->v[i].expected);
		fs_free((char *)r->v[i].found);
	}
	fs_free(r->v);
	fs_free(r);
}

int fs_schema_report_format(const fs_schema_report *r, fs_buf *out, const char *prefix,
			    size_t max)
{
	size_t n = fs_schema_report_count(r), shown = 0;

	for (size_t i = 0; i < n && (max == 0 || i < max); i++, shown++) {
		const fs_schema_failure *f = &r->v[i];
		fs_buf_printf(out, _("%s: %s: expected %s, found %s\n"), prefix,
			      *f->instance ? f->instance : "/", f->expected, f->found);
	}
	if (r && n + r->more > shown)
		fs_buf_printf(out, P_("%s: ... and %zu more problem\n", "%s: ... and %zu more problems\n",
				      n + r->more - shown), prefix, n + r->more - shown);
	return fs_buf_check(out);
}

/* ---- words ---------------------------------------------------------------- */

static void put_number(fs_buf *b, double v)
{
	if (isfinite(v))
		fs_json_put_number(b, v);
	else
		fs_buf_puts(b, v > 0 ? _("a number too large to hold") : _("a number too small to hold"));
}

/* A value, short: strings quoted and cut, containers by kind. */
static void render(fs_buf *b, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring, *p = s;
		size_t chars = 0;
		while (*p && chars < FOUND_CHARS) {
			p++;
			while (((unsigned char)*p & 0xC0) == 0x80)
				p++;
			chars++;
		}
		if (!*p) {
			fs_json_put_string(b, s);
		} else {
			char *cut = fs_strndup(s, (size_t)(p - s));
			if (!cut) {
				fs_buf_puts(b, _("a long string"));
				return;
			}
			fs_json_put_string(b, cut);
			fs_free(cut);
			if (b->size)
				b->size--; /* the closing quote */
			fs_buf_puts(b, "...\"");
		}
	} else if (cJSON_IsNumber(v)) {
		put_number(b, v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		fs_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		fs_buf_puts(b, "null");
	} else if (cJSON_IsArray(v)) {
		fs_buf_puts(b, v->child ? _("an array") : _("an empty array"));
	} else {
		fs_buf_puts(b, v->child ? _("an object") : _("an empty object"));
	}
}

/* A value with its kind, for type failures: "the number 5". */
static void describe(fs_buf *b, const cJSON *v)
{
	if (cJSON_IsString(v))
		fs_buf_puts(b, _("the string "));
	else if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
		fs_buf_puts(b, _("the number "));
	render(b, v);
}

static const char *type_words(const char *t)
{
	if (strcmp(t, "string") == 0) return _("a string");
	if (strcmp(t, "number") == 0) return _("a number");
	if (strcmp(t, "integer") == 0) return _("an integer");
	if (strcmp(t, "object") == 0) return _("an object");
	if (strcmp(t, "array") == 0) return _("an array");
	if (strcmp(t, "boolean") == 0) return _("true or false");
	return "null";
}

/* P_() for a bound that a schema gives as a JSON number */
static unsigned long count_of(double n)
{
	return n >= 0 && n < 1e9 ? (unsigned long)n : 1000000000UL;
}

/* ---- validation ---------------------------------------------------------- */

typedef struct {
	const fs_schema_set *set;
	fs_schema_report *report; /* NULL: only find out whether it is valid */
	fs_buf iptr;              /* where we are in the instance */
	const char *base;         /* base URI of the subschema being applied */
	const char *loc;          /* its location, for fs_schema_failure.schema */
	const char *root;         /* the URI validated against, to name documents */
	size_t root_dir;          /* length of its folder part ("https://x/schema/") */
	int depth;
	unsigned long steps;
} vctx;

static int fail(vctx *c, const char *keyword, const char *expected, const char *found)
{
	fs_schema_report *r = c->report;
	const char *inst = fs_buf_cstr(&c->iptr);
	fs_schema_failure *f;
	fs_buf loc = FS_BUF_INIT;

	if (!r)
		return 0;
	if (fs_buf_check(&c->iptr) < 0)
		return FS_ENOMEM;
	/* the same words twice at one place (a pattern and a format under one title) help no one */
	for (size_t i = r->n, k = 0; i-- > 0 && k < 8; k++)
		if (strcmp(r->v[i].instance, inst) == 0 && strcmp(r->v[i].expected, expected) == 0 &&
		    strcmp(r->v[i].found, found) == 0)
			return 0;
	if (r->n == MAX_KEPT) {
		r->more++;
		return 0;
	}
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v)) < 0)
		return FS_ENOMEM;
	fs_buf_puts(&loc, c->loc);
	if (strcmp(keyword, "false") != 0)
		fs_buf_printf(&loc, "/%s", keyword);
	f = &r->v[r->n];
	f->instance = fs_strdup(inst);
	f->keyword = fs_strdup(keyword);
	f->expected = fs_strdup(expected);
	f->found = fs_strdup(found);
	f->schema = fs_buf_detach(&loc);
	if (!f->instance || !f->keyword || !f->expected || !f->found || !f->schema) {
		fs_free((char *)f->instance);
		fs_free((char *)f->keyword);
		fs_free((char *)f->expected);
		fs_free((char *)f->found);
		fs_free((char *)f->schema);
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

/* fail() with "expected" built by printf; "found" as given, or rendered from inst */
static int fail_va(vctx *c, const char *keyword, const char *found, const cJSON *inst,
		   const char *fmt, va_list ap)
{
	fs_buf exp = FS_BUF_INIT, rendered = FS_BUF_INIT;
	int rc;

	fs_buf_vprintf(&exp, fmt, ap);
	if (!found) {
		render(&rendered, inst);
		found = fs_buf_cstr(&rendered);
	}
	rc = fs_buf_check(&exp) < 0 || fs_buf_check(&rendered) < 0
		     ? FS_ENOMEM
		     : fail(c, keyword, fs_buf_cstr(&exp), found);
	fs_buf_dispose(&exp);
	fs_buf_dispose(&rendered);
	return rc;
}

static int fail_f(vctx *c, const char *keyword, const char *found, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_f(vctx *c, const char *keyword, const char *found, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (!c->report)
		return 0;
	va_start(ap, fmt);
	rc = fail_va(c, keyword, found, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_vf(vctx *c, const char *keyword, const cJSON *inst, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_vf(vctx *c, const char *keyword, const cJSON *inst, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (!c->report)
		return 0;
	va_start(ap, fmt);
	rc = fail_va(c, keyword, NULL, inst, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *title_of(const cJSON *s)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "title");
	/* titles are words for people: scripts/mkpot puts the built-in schemas' in the catalogue */
	return cJSON_IsString(t) && *t->valuestring ? _(t->valuestring) : NULL;
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
	return cJSON_IsNull(v);
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
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	return (a->type & 0xFF) == (b->type & 0xFF) && !cJSON_IsNumber(a) && !cJSON_IsString(a) &&
	       !cJSON_IsArray(a) && !cJSON_IsObject(a);
}

/*
 * A schema's location as a person reads it: relative to the folder of the
 * schema validated against ("vocab/countries.json"), without an empty "#".
 */
static void put_location(fs_buf *b, const vctx *c, const char *loc)
{
	size_t len = strlen(loc);

	if (len && loc[len - 1] == '#')
		len--;
	if (c->root_dir && strncmp(loc, c->root, c->root_dir) == 0 && len > c->root_dir) {
		loc += c->root_dir;
		len -= c->root_dir;
	}
	fs_buf_put(b, loc, len);
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

/* Apply the schema at absolute `uri` (the target of a $ref, or the caller's choice). */
static int apply_uri(vctx *c, const char *uri, const char *ref, const cJSON *inst)
{
	const char *base = c->base, *loc = c->loc;
	const cJSON *target = lookup(c->set, uri);
	char *doc = NULL;
	int rc;

	if (!target)
		return fs_error_set(FS_ERROR, "schema %s: cannot resolve $ref '%s' (%s)", c->loc, ref,
				    uri);
	if (!map_find(c->set, target)) {
		/* a pointer into a place the loader did not walk (an unknown keyword) */
		if (!(doc = fs_strndup(uri, fs_uri_strip_fragment(uri))))
			return fs_error_set(FS_ENOMEM, "out of memory");
		c->base = doc;
		c->loc = uri;
	}
	rc = v_schema(c, target, inst);
	c->base = base;
	c->loc = loc;
	fs_free(doc);
	return rc;
}

static int follow_ref(vctx *c, const char *ref, const cJSON *inst)
{
	fs_buf abs = FS_BUF_INIT;
	int rc;

	if ((rc = fs_uri_resolve(&abs, c->base, ref)) == 0)
		rc = apply_uri(c, abs.ptr, ref, inst);
	fs_buf_dispose(&abs);
	return rc;
}

static int v_number(vctx *c, const cJSON *s, const cJSON *inst)
{
	static const struct {
		const char *kw, *words;
	} bounds[] = {
		{ "minimum", N_("a number of at least ") },
		{ "maximum", N_("a number of at most ") },
		{ "exclusiveMinimum", N_("a number greater than ") },
		{ "exclusiveMaximum", N_("a number less than ") },
	};
	double x = inst->valuedouble;
	const cJSON *k;
	int ok = 1, rc;

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		double b;
		int bad;
		if (!(k = cJSON_GetObjectItemCaseSensitive(s, bounds[i].kw)))
			continue;
		b = k->valuedouble;
		bad = i == 0 ? x < b : i == 1 ? x > b : i == 2 ? x <= b : x >= b;
		if (!bad)
			continue;
		ok = 0;
		if (c->report) {
			fs_buf exp = FS_BUF_INIT;
			fs_buf_puts(&exp, _(bounds[i].words));
			put_number(&exp, b);
			rc = fs_buf_check(&exp) < 0 ? FS_ENOMEM : fail_v(c, bounds[i].kw, exp.ptr, inst);
			fs_buf_dispose(&exp);
			if (rc < 0)
				return rc;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "multipleOf"))) {
		double q = x / k->valuedouble;
		/*
		 * Decimal steps such as 0.01 are not exact in binary: a quotient within
		 * a few ulps of an integer counts. Past the range of doubles the
		 * quotient overflows; the remainder does not.
		 */
		int multiple = isfinite(q) ? fabs(q - nearbyint(q)) <= 1e-12 * fmax(1.0, fabs(q))
					   : fmod(x, k->valuedouble) == 0;
		if (!multiple) {
			ok = 0;
			if (c->report) {
				fs_buf exp = FS_BUF_INIT;
				fs_buf_puts(&exp, _("a multiple of "));
				put_number(&exp, k->valuedouble);
				rc = fs_buf_check(&exp) < 0 ? FS_ENOMEM : fail_v(c, "multipleOf", exp.ptr, inst);
				fs_buf_dispose(&exp);
				if (rc < 0)
					return rc;
			}
		}
	}
	return ok;
}

/* A regex of the set, or compiled for this once (a place the loader did not walk). */
static int pattern_match(const vctx *c, const void *key, const char *pattern, const char *s)
{
	const node_info *e = map_find(c->set, key);
	fs_regex *re = NULL;
	int rc;

	if (e && e->re)
		return fs_regex_search(e->re, s);
	if ((rc = fs_regex_compile(&re, pattern)) < 0)
		return rc;
	rc = fs_regex_search(re, s);
	fs_regex_free(re);
	return rc;
}

static int v_string(vctx *c, const cJSON *s, const cJSON *inst)
{
	/* the title and the length as words only when a failure is told: a valid
	   string is the common case, and they cost more than the checks */
	const char *title;
	const cJSON *k, *mn = cJSON_GetObjectItemCaseSensitive(s, "minLength"),
		    *mx = cJSON_GetObjectItemCaseSensitive(s, "maxLength");
	size_t len = mn || mx ? fs_utf8_length(inst->valuestring) : 0;
	char found[32];
	int ok = 1, rc;

	if ((mn && (double)len < mn->valuedouble) || (mx && (double)len > mx->valuedouble))
		snprintf(found, sizeof(found), "%zu", len);
	if ((k = mn) && (double)len < k->valuedouble) {
		ok = 0;
		if ((rc = fail_f(c, "minLength", found, P_("at least %.0f character", "at least %.0f characters",
					count_of(k->valuedouble)), k->valuedouble)) < 0)
			return rc;
	}
	if ((k = mx) && (double)len > k->valuedouble) {
		ok = 0;
		if ((rc = fail_f(c, "maxLength", found, P_("at most %.0f character", "at most %.0f characters",
					count_of(k->valuedouble)), k->valuedouble)) < 0)
			return rc;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "pattern"))) {
		if ((rc = pattern_match(c, k, k->valuestring, inst->valuestring)) < 0)
			return rc;
		if (!rc) {
			fs_buf exp = FS_BUF_INIT;
			ok = 0;
			if ((title = title_of(s)))
				fs_buf_puts(&exp, title);
			else
				fs_buf_printf(&exp, _("a string matching the pattern %s"), k->valuestring);
			rc = fs_buf_check(&exp) < 0 ? FS_ENOMEM : fail_v(c, "pattern", exp.ptr, inst);
			fs_buf_dispose(&exp);
			if (rc < 0)
				return rc;
		}
	}
	if (c->set->assert_formats && (k = cJSON_GetObjectItemCaseSensitive(s, "format")) &&
	    fs_format_check(k->valuestring, inst->valuestring) == 0) {
		fs_buf exp = FS_BUF_INIT;
		ok = 0;
		if ((title = title_of(s)))
			fs_buf_puts(&exp, title);
		else
			fs_buf_printf(&exp, "a valid %s", k->valuestring);
		rc = fs_buf_check(&exp) < 0 ? FS_ENOMEM : fail_v(c, "format", exp.ptr, inst);
		fs_buf_dispose(&exp);
		if (rc < 0)
			return rc;
	}
	return ok;
}

/* "2 at /a/0 and /a/3": the places of the items equal to the one at `first` */
static int fail_repeated(vctx *c, const cJSON *arr, const cJSON *first, size_t at)
{
	fs_buf f = FS_BUF_INIT;
	size_t i = 0, n = 0, total = 0;
	int rc;

	for (const cJSON *x = first; x; x = x->next)
		total += x == first || equal(first, x);
	render(&f, first);
	fs_buf_puts(&f, _(" at "));
	for (const cJSON *x = arr->child; x; x = x->next, i++) {
		if (i < at || (x != first && !equal(first, x)))
			continue;
		if (n == LISTED_PLACES) {
			fs_buf_printf(&f, P_(" and %zu more place", " and %zu more places", total - n), total - n);
			break;
		}
		if (n)
			fs_buf_puts(&f, n + 1 == total ? _(" and ") : ", ");
		fs_buf_printf(&f, "%s/%zu", fs_buf_cstr(&c->iptr), i);
		n++;
	}
	rc = fs_buf_check(&f) < 0 ? FS_ENOMEM : fail(c, "uniqueItems", _("no repeated items"), f.ptr);
	fs_buf_dispose(&f);
	return rc;
}

static int v_array(vctx *c, const cJSON *s, const cJSON *inst)
{
	const cJSON *k, *items, *prefix, *it, *sub;
	size_t n = 0, i, at = c->iptr.size;
	char found[32];
	int ok = 1, rc;

	for (it = inst->child; it; it = it->next)
		n++;
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "minItems")) && (double)n < k->valuedouble) {
		ok = 0;
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail_f(c, "minItems", found, P_("at least %.0f item", "at least %.0f items", count_of(k->valuedouble)), k->valuedouble)) < 0)
			return rc;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "maxItems")) && (double)n > k->valuedouble) {
		ok = 0;
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail_f(c, "maxItems", found, P_("at most %.0f item", "at most %.0f items", count_of(k->valuedouble)), k->valuedouble)) < 0)
			return rc;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "uniqueItems"))) {
		/* one failure per repeated value, at its first place */
		i = 0;
		for (const cJSON *a = inst->child; a; a = a->next, i++) {
			const cJSON *b, *earlier = inst->child;
			for (; earlier != a && !equal(earlier, a); earlier = earlier->next)
				;
			if (earlier != a)
				continue;
			for (b = a->next; b && !equal(a, b); b = b->next)
				;
			if (!b)
				continue;
			ok = 0;
			if (!c->report)
				return 0;
			if ((rc = fail_repeated(c, inst, a, i)) < 0)
				return rc;
		}
	}
	if (!ok && !c->report)
		return 0;
	prefix = cJSON_GetObjectItemCaseSensitive(s, "prefixItems");
	items = cJSON_GetObjectItemCaseSensitive(s, "items");
	sub = prefix ? prefix->child : NULL;
	for (i = 0, it = inst->child; it; it = it->next, i++) {
		const cJSON *schema = sub ? sub : items;
		if (sub)
			sub = sub->next;
		if (!schema)
			continue;
		fs_buf_printf(&c->iptr, "/%zu", i);
		rc = v_schema(c, schema, it);
		pop(&c->iptr, at);
		if (rc < 0)
			return rc;
		if (!rc) {
			ok = 0;
			if (!c->report)
				return 0;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "contains"))) {
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(s, "minContains");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(s, "maxContains");
		double min = mn ? mn->valuedouble : 1;
		const char *title = cJSON_IsObject(k) ? title_of(k) : NULL;
		size_t matched = 0;
		for (it = inst->child; it; it = it->next) {
			if ((rc = quiet(c, k, it)) < 0)
				return rc;
			matched += (size_t)rc;
		}
		snprintf(found, sizeof(found), "%zu", matched);
		if ((double)matched < min) {
			ok = 0;
			rc = fail_f(c, "contains", found, P_("at least %.0f item matching %s", "at least %.0f items matching %s",
				       count_of(min)), min, title ? title : _("the \"contains\" schema"));
			if (rc < 0)
				return rc;
		} else if (mx && (double)matched > mx->valuedouble) {
			ok = 0;
			rc = fail_f(c, "maxContains", found, P_("at most %.0f item matching %s",
				       "at most %.0f items matching %s", count_of(mx->valuedouble)),
				    mx->valuedouble, title ? title : _("the \"contains\" schema"));
			if (rc < 0)
				return rc;
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

#define MEMBER_RC(expr)                                 \
	do {                                            \
		if ((rc = (expr)) < 0)                  \
			return rc;                      \
		if (!rc) {                              \
			ok = 0;                         \
			if (!c->report)                 \
				return 0;               \
		}                                       \
	} while (0)

	if (names) {
		cJSON *name = cJSON_CreateString(m->string);
		if (!name)
			return fs_error_set(FS_ENOMEM, "out of memory");
		rc = v_schema(c, names, name);
		cJSON_Delete(name);
		MEMBER_RC(rc);
	}
	if (sub)
		MEMBER_RC(v_schema(c, sub, m));
	for (const cJSON *p = pp ? pp->child : NULL; p; p = p->next) {
		if ((rc = pattern_match(c, p, p->string, m->string)) < 0)
			return rc;
		if (!rc)
			continue;
		covered = 1;
		MEMBER_RC(v_schema(c, p, m));
	}
	if (covered || !add)
		return ok;
	if (cJSON_IsFalse(add)) {
		/* the schema's location is additionalProperties, not the false under it */
		rc = fail_v(c, "additionalProperties", _("no such field (the schema does not allow it)"), m);
		return rc < 0 ? rc : 0;
	}
	MEMBER_RC(v_schema(c, add, m));
#undef MEMBER_RC
	return ok;
}

static int v_object(vctx *c, const cJSON *s, const cJSON *inst)
{
	const cJSON *k, *m;
	size_t at = c->iptr.size, n = 0;
	char found[32];
	int ok = 1, rc;

	for (m = inst->child; m; m = m->next)
		n++;
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "required"))) {
		for (const cJSON *r = k->child; r; r = r->next) {
			if (cJSON_GetObjectItemCaseSensitive(inst, r->valuestring))
				continue;
			ok = 0;
			if (!c->report)
				return 0;
			/* the failure is where the value should be */
			push(&c->iptr, r->valuestring);
			rc = fail(c, "required", _("a value (the field is required)"), _("nothing"));
			pop(&c->iptr, at);
			if (rc < 0)
				return rc;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "dependentRequired"))) {
		for (const cJSON *d = k->child; d; d = d->next) {
			if (!cJSON_GetObjectItemCaseSensitive(inst, d->string))
				continue;
			for (const cJSON *r = d->child; r; r = r->next) {
				if (cJSON_GetObjectItemCaseSensitive(inst, r->valuestring))
					continue;
				ok = 0;
				if (!c->report)
					return 0;
				push(&c->iptr, r->valuestring);
				rc = fail_f(c, "dependentRequired", _("nothing"),
					    _("a value (required when \"%.60s\" is present)"), d->string);
				pop(&c->iptr, at);
				if (rc < 0)
					return rc;
			}
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "minProperties")) && (double)n < k->valuedouble) {
		ok = 0;
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail_f(c, "minProperties", found, P_("at least %.0f field", "at least %.0f fields", count_of(k->valuedouble)), k->valuedouble)) < 0)
			return rc;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "maxProperties")) && (double)n > k->valuedouble) {
		ok = 0;
		snprintf(found, sizeof(found), "%zu", n);
		if ((rc = fail_f(c, "maxProperties", found, P_("at most %.0f field", "at most %.0f fields", count_of(k->valuedouble)), k->valuedouble)) < 0)
			return rc;
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
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "dependentSchemas"))) {
		for (const cJSON *d = k->child; d; d = d->next) {
			if (!cJSON_GetObjectItemCaseSensitive(inst, d->string))
				continue;
			if ((rc = v_schema(c, d, inst)) < 0)
				return rc;
			if (!rc) {
				ok = 0;
				if (!c->report)
					return 0;
			}
		}
	}
	return ok;
}

/*
 * allOf reports its branches' failures; anyOf, oneOf and not report one
 * failure at the value, named by the schema's title if it has one: the
 * branches' own failures would be noise ("expected null" for a date).
 */
static int v_combinators(vctx *c, const cJSON *s, const cJSON *inst)
{
	/* looked up only when a failure is told: a lookup in the catalogue costs more
	   than the rest of a valid record's check */
	const char *title;
	const cJSON *k;
	int ok = 1, rc;

	if ((k = cJSON_GetObjectItemCaseSensitive(s, "allOf"))) {
		for (const cJSON *b = k->child; b; b = b->next) {
			if ((rc = v_schema(c, b, inst)) < 0)
				return rc;
			if (!rc) {
				ok = 0;
				if (!c->report)
					return 0;
			}
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "anyOf"))) {
		int any = 0;
		for (const cJSON *b = k->child; b && !any; b = b->next)
			if ((any = quiet(c, b, inst)) < 0)
				return any;
		if (!any) {
			ok = 0;
			if (!c->report)
				return 0;
			rc = (title = title_of(s)) ? fail_v(c, "anyOf", title, inst) :
			     fail_vf(c, "anyOf", inst, _("it to match one of %d alternatives"),
				     cJSON_GetArraySize(k));
			if (rc < 0)
				return rc;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "oneOf"))) {
		int matched = 0;
		for (const cJSON *b = k->child; b && matched < 2; b = b->next) {
			if ((rc = quiet(c, b, inst)) < 0)
				return rc;
			matched += rc;
		}
		if (matched != 1) {
			ok = 0;
			if (!c->report)
				return 0;
			if (matched == 0 && (title = title_of(s)))
				rc = fail_v(c, "oneOf", title, inst);
			else
				rc = fail_vf(c, "oneOf", inst, matched ? _("it to match only one of %d "
					     "alternatives") : _("it to match one of %d alternatives"),
					     cJSON_GetArraySize(k));
			if (rc < 0)
				return rc;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "not"))) {
		if ((rc = quiet(c, k, inst)) < 0)
			return rc;
		if (rc) {
			ok = 0;
			if (!c->report)
				return 0;
			title = title_of(s);
			rc = fail_v(c, "not", title ? title : _("a value the \"not\" schema refuses"), inst);
			if (rc < 0)
				return rc;
		}
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "if"))) {
		const cJSON *branch;
		if ((rc = quiet(c, k, inst)) < 0)
			return rc;
		if ((branch = cJSON_GetObjectItemCaseSensitive(s, rc ? "then" : "else"))) {
			if ((rc = v_schema(c, branch, inst)) < 0)
				return rc;
			if (!rc)
				ok = 0;
		}
	}
	return ok;
}

static int v_type(vctx *c, const cJSON *k, const cJSON *inst)
{
	fs_buf exp = FS_BUF_INIT, found = FS_BUF_INIT;
	int match = 0, rc;

	if (cJSON_IsString(k)) {
		match = type_is(inst, k->valuestring);
	} else {
		for (const cJSON *t = k->child; t && !match; t = t->next)
			match = type_is(inst, t->valuestring);
	}
	if (match || !c->report)
		return match;
	if (cJSON_IsString(k)) {
		fs_buf_puts(&exp, type_words(k->valuestring));
	} else {
		for (const cJSON *t = k->child; t; t = t->next)
			fs_buf_printf(&exp, "%s%s", t == k->child ? "" : t->next ? ", " : _(" or "),
				      type_words(t->valuestring));
	}
	describe(&found, inst);
	rc = fs_buf_check(&exp) < 0 || fs_buf_check(&found) < 0 ? FS_ENOMEM :
	     fail(c, "type", exp.size ? exp.ptr : _("no value"), found.ptr);
	fs_buf_dispose(&exp);
	fs_buf_dispose(&found);
	return rc < 0 ? rc : 0;
}

static int v_enum(vctx *c, const cJSON *s, const cJSON *k, const cJSON *inst)
{
	fs_buf b = FS_BUF_INIT;
	int n = 0, rc;

	for (const cJSON *e = k->child; e; e = e->next, n++)
		if (equal(e, inst))
			return 1;
	if (!c->report)
		return 0;
	if (n == 0) {
		fs_buf_puts(&b, _("nothing (the list of allowed values is empty)"));
	} else if (n > ENUM_LISTED) {
		const node_info *e = map_find(c->set, s);
		fs_buf_printf(&b, _("one of the %d values of "), n);
		put_location(&b, c, e && e->loc ? e->loc : c->loc);
	} else {
		fs_buf_puts(&b, _("one of "));
		for (const cJSON *e = k->child; e; e = e->next) {
			render(&b, e);
			if (e->next)
				fs_buf_puts(&b, ", ");
		}
	}
	rc = fs_buf_check(&b) < 0 ? FS_ENOMEM : fail_v(c, "enum", b.ptr, inst);
	fs_buf_dispose(&b);
	return rc < 0 ? rc : 0;
}

static int v_schema(vctx *c, const cJSON *s, const cJSON *inst)
{
	const char *base = c->base, *loc = c->loc;
	const node_info *e;
	const cJSON *k;
	const char *bad;
	char why[128];
	unsigned kw = KW_ALL; /* a place the loader did not walk: every keyword asked for */
	int ok = 1, rc = 0;

	if (++c->steps > MAX_STEPS)
		return fs_error_set(FS_ERROR, "schema %s: validation takes too many steps", c->root);
	if (c->depth >= MAX_DEPTH)
		return fs_error_set(FS_ERROR, "schema %s: subschemas nested too deeply (a $ref loop?)",
				    c->loc);
	c->depth++;
	if ((e = map_find(c->set, s)) && e->base) {
		c->base = e->base;
		c->loc = e->loc;
		kw = e->kw;
	} else if ((bad = check_keywords(s, why, sizeof(why)))) {
		/* a place the loader did not walk, reached by a JSON pointer */
		rc = fs_error_set(FS_ERROR, "schema %s: %s", c->loc, bad);
		goto done;
	}
#define CHECK_RC(expr)                                  \
	do {                                            \
		if ((rc = (expr)) < 0)                  \
			goto done;                      \
		if (!rc) {                              \
			ok = 0;                         \
			if (!c->report)                 \
				goto done;              \
		}                                       \
	} while (0)

	if (cJSON_IsBool(s)) {
		if (cJSON_IsFalse(s)) {
			ok = 0;
			rc = fail_v(c, "false", _("nothing (no value is allowed here)"), inst);
		}
		goto done;
	}
	if ((kw & KW_REF) && (k = cJSON_GetObjectItemCaseSensitive(s, "$ref")))
		CHECK_RC(e && e->base && e->ref ? apply_uri(c, e->ref, k->valuestring, inst) :
			 follow_ref(c, k->valuestring, inst));
	if ((kw & KW_TYPE) && (k = cJSON_GetObjectItemCaseSensitive(s, "type"))) {
		CHECK_RC(v_type(c, k, inst));
		/* the rest would only say the same about a value of the wrong kind */
		if (!rc)
			goto done;
	}
	if ((kw & KW_ENUM) && (k = cJSON_GetObjectItemCaseSensitive(s, "enum")))
		CHECK_RC(v_enum(c, s, k, inst));
	if ((kw & KW_CONST) && (k = cJSON_GetObjectItemCaseSensitive(s, "const")) &&
	    !equal(k, inst)) {
		ok = 0;
		if (!c->report)
			goto done;
		if (title_of(s)) {
			rc = fail_v(c, "const", title_of(s), inst);
		} else {
			fs_buf b = FS_BUF_INIT;
			render(&b, k);
			rc = fs_buf_check(&b) < 0 ? FS_ENOMEM : fail_v(c, "const", b.ptr, inst);
			fs_buf_dispose(&b);
		}
		if (rc < 0)
			goto done;
	}
	if (cJSON_IsNumber(inst) && (kw & KW_NUMBER))
		CHECK_RC(v_number(c, s, inst));
	else if (cJSON_IsString(inst) && (kw & KW_STRING))
		CHECK_RC(v_string(c, s, inst));
	else if (cJSON_IsArray(inst) && (kw & KW_ARRAY))
		CHECK_RC(v_array(c, s, inst));
	else if (cJSON_IsObject(inst) && (kw & KW_OBJECT))
		CHECK_RC(v_object(c, s, inst));
	if (kw & KW_COMBINATORS)
		CHECK_RC(v_combinators(c, s, inst));
	rc = 0;
#undef CHECK_RC
done:
	c->base = base;
	c->loc = loc;
	c->depth--;
	return rc < 0 ? rc : ok;
}

int fs_schema_validate(const fs_schema_set *set, const char *uri, const cJSON *instance,
		       fs_schema_report **out)
{
	vctx c;
	size_t h = fs_uri_strip_fragment(uri);
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.set = set;
	c.root = uri;
	c.base = "";
	c.loc = uri;
	for (size_t i = 0; i < h; i++)
		if (uri[i] == '/')
			c.root_dir = i + 1;
	if (!lookup(set, uri))
		return fs_error_set(FS_ENOTFOUND, "schema '%s': unknown", uri);
	if (!(c.report = fs_calloc(1, sizeof(*c.report))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	if ((rc = apply_uri(&c, uri, uri, instance)) < 0)
		goto done;
	/* the instance's path failed to grow: the report would point at the wrong member */
	if (fs_buf_check(&c.iptr) < 0) {
		rc = FS_ENOMEM;
		goto done;
	}
	if (rc == 1) {
		rc = 0;
		goto done;
	}
	/* every path to "invalid" reports; this is a guard, not a message anyone should see */
	if (c.report->n == 0 && c.report->more == 0 &&
	    (rc = fail_v(&c, "$ref", _("a value the schema accepts"), instance)) < 0)
		goto done;
	*out = c.report;
	c.report = NULL;
	rc = fs_error_set(FS_EINVALID, P_("%zu problem against schema '%s'",
					  "%zu problems against schema '%s'", (*out)->n + (*out)->more),
			  (*out)->n + (*out)->more, uri);
done:
	fs_schema_report_free(c.report);
	fs_buf_dispose(&c.iptr);
	return rc;
}
