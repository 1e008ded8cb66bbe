#define _GNU_SOURCE /* memmem */
#include "node/forget.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/protect.h"
#include "node/record.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/time.h"

#define MAX_KEYS 64 /* erasure/1's maxItems */

typedef struct {
	char person[FS_PERSON_HEX_BYTES];
	char kid[FS_KID_HEX_BYTES]; /* "" for an erasure that destroyed no key */
	char id[FS_ID_BYTES];
	char created[FS_TIME_RFC3339_BYTES];
} erased;

struct fs_erasures {
	erased *v;
	size_t n, cap;
};

static int push(fs_erasures *e, const char *person, const char *kid, const char *id,
		const char *created)
{
	erased *x;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 16;
		erased *v = fs_realloc(e->v, cap * sizeof(*v));
		if (!v)
			return fs_error_set(FS_ENOMEM, "out of memory");
		e->v = v;
		e->cap = cap;
	}
	x = &e->v[e->n++];
	snprintf(x->person, sizeof(x->person), "%s", person);
	snprintf(x->kid, sizeof(x->kid), "%s", kid);
	snprintf(x->id, sizeof(x->id), "%s", id);
	snprintf(x->created, sizeof(x->created), "%s", created);
	return 0;
}

static int load_one(const char *id, fs_kind kind, const char *data, size_t len, void *payload)
{
	const char *person, *created;
	const cJSON *keys, *k;
	cJSON *rec = NULL;
	int rc;
	(void)kind;

	if ((rc = fs_json_parse(&rec, data, len, id)) < 0)
		return rc;
	person = fs_json_string(rec, "person");
	created = fs_json_string(rec, "created");
	keys = cJSON_GetObjectItemCaseSensitive(rec, "keys");
	if (!person || !created)
		goto done; /* the hub's checks keep such a record out; nothing to learn from it */
	rc = push(payload, person, "", id, created);
	cJSON_ArrayForEach(k, keys)
		if (rc == 0 && cJSON_IsString(k))
			rc = push(payload, person, k->valuestring, id, created);
done:
	cJSON_Delete(rec);
	return rc;
}

int fs_erasures_load(fs_erasures **out, const fs_node *node)
{
	fs_erasures *e = fs_calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (!e)
		return fs_error_set(FS_ENOMEM, "out of memory");
	rc = fs_record_foreach(node, FS_KIND_ERASURE, load_one, e);
	if (rc == FS_ENOTFOUND) { /* a node without commits has erased nobody */
		fs_error_clear();
		rc = 0;
	}
	if (rc < 0) {
		fs_erasures_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

const char *fs_erasures_find(const fs_erasures *e, const char *person, const char *kid,
			     const char **created)
{
	for (size_t i = 0; e && i < e->n; i++) {
		if (strcmp(e->v[i].person, person) != 0 || (kid && strcmp(e->v[i].kid, kid) != 0))
			continue;
		if (created)
			*created = e->v[i].created;
		return e->v[i].id;
	}
	return NULL;
}

void fs_erasures_free(fs_erasures *e)
{
	if (!e)
		return;
	fs_free(e->v);
	fs_free(e);
}

/* ---- forget ----------------------------------------------------------------- */

typedef struct {
	const char *person;
	const fs_erasures *erasures;
	char kids[MAX_KEYS][FS_KID_HEX_BYTES];
	size_t nkids, records;
} gather;

static int add_kid(gather *g, const char *kid)
{
	for (size_t i = 0; i < g->nkids; i++)
		if (strcmp(g->kids[i], kid) == 0)
			return 0;
	if (fs_erasures_find(g->erasures, g->person, kid, NULL))
		return 0; /* destroyed by an earlier erasure */
	if (g->nkids == MAX_KEYS)
		return fs_error_set(FS_ETOOBIG, "person '%s': over %d keys to destroy", g->person,
				    MAX_KEYS);
	snprintf(g->kids[g->nkids++], FS_KID_HEX_BYTES, "%s", kid);
	return 0;
}

static int gather_one(const char *id, fs_kind kind, const char *data, size_t len, void *payload)
{
	gather *g = payload;
	const char *person, *kid;
	cJSON *rec = NULL;
	int rc;
	(void)kind;

	/* cheap test first: most services are other people's */
	if (!memmem(data, len, g->person, strlen(g->person)))
		return 0;
	if ((rc = fs_json_parse(&rec, data, len, id)) < 0)
		return rc;
	person = fs_json_string(rec, "person");
	if (person && strcmp(person, g->person) == 0) {
		g->records++;
		kid = fs_json_string(cJSON_GetObjectItemCaseSensitive(rec, "protected"), "kid");
		if (kid)
			rc = add_kid(g, kid);
	}
	cJSON_Delete(rec);
	return rc;
}

static int erasure_json(fs_buf *out, const gather *g)
{
	cJSON *rec = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(rec, "keys");
	int rc = 0;

	if (!rec || !keys || !cJSON_AddStringToObject(rec, "person", g->person))
		rc = fs_error_set(FS_ENOMEM, "out of memory");
	/* a key left out of the erasure would still be opened, and restored from a backup */
	for (size_t i = 0; rc == 0 && i < g->nkids; i++) {
		cJSON *s = cJSON_CreateString(g->kids[i]);
		if (!s || !cJSON_AddItemToArray(keys, s)) {
			cJSON_Delete(s);
			rc = fs_error_set(FS_ENOMEM, "out of memory");
		}
	}
	if (rc == 0)
		rc = fs_json_compact(out, rec);
	cJSON_Delete(rec);
	return rc;
}

int fs_person_forget(fs_node *node, const char *person, char erasure_id[FS_ID_BYTES],
		     size_t *records, size_t *keys)
{
	unsigned char key[FS_PERSON_KEY_BYTES];
	char kid[FS_KID_HEX_BYTES], gone[FS_KID_HEX_BYTES];
	fs_erasures *erasures = NULL;
	fs_keystore *ks;
	fs_buf json = FS_BUF_INIT;
	const char *was;
	gather *g = NULL;
	int rc, has_key;

	erasure_id[0] = '\0';
	*records = *keys = 0;
	if (!(g = fs_calloc(1, sizeof(*g))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	g->person = person;
	if ((rc = fs_node_keystore(&ks, node)) < 0 || (rc = fs_erasures_load(&erasures, node)) < 0)
		goto done;
	g->erasures = erasures;
	rc = fs_keystore_person_key(ks, person, 0, kid, key);
	sodium_memzero(key, sizeof(key));
	if (rc == 0)
		rc = add_kid(g, kid);
	else if (rc == FS_ENOTFOUND || rc == FS_EKEY) /* none, or damaged: destroyed below */
		fs_error_clear(), rc = 0;
	if (rc < 0)
		goto done;
	rc = fs_record_foreach(node, FS_KIND_SERVICE, gather_one, g);
	if (rc == FS_ENOTFOUND)
		fs_error_clear(), rc = 0;
	if (rc < 0)
		goto done;
	*records = g->records;
	has_key = fs_keystore_has_key(ks, person);
	was = fs_erasures_find(erasures, person, NULL, NULL);
	if (g->nkids == 0 && !has_key) {
		rc = was ? fs_error_set(FS_EUNCHANGED, "person '%s': already forgotten (erasure %s)",
					person, was)
			 : fs_error_set(FS_ENOTFOUND, "person '%s': no key and no service record in "
					"this node", person);
		goto done;
	}
	/*
	 * The erasure first, then the key: killed in between, the record says
	 * the key is gone, nothing opens with an erased key (show, import) and
	 * a rerun finds the key file and destroys it.
	 */
	if (g->nkids > 0 && ((rc = erasure_json(&json, g)) < 0 ||
			     (rc = fs_record_add(node, FS_KIND_ERASURE, json.ptr, json.size,
						 erasure_id)) < 0))
		goto done;
	if (g->nkids == 0)
		snprintf(erasure_id, FS_ID_BYTES, "%s", was ? was : "");
	if ((rc = fs_keystore_forget(ks, person, gone)) < 0)
		goto done;
	*keys = g->nkids ? g->nkids : (size_t)has_key;
done:
	fs_erasures_free(erasures);
	fs_buf_dispose(&json);
	fs_free(g);
	return rc;
}
