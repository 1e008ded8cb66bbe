/*
 * json.c - the --json output of the commands, built part by part (cli.h)
 *
 * Each function notes a NULL from cJSON in j->broken and goes on: a command
 * builds its document without a check after every member, and the printer
 * refuses what is not whole. Checking a counter of failed allocations
 * instead (util/alloc.h) would also refuse a whole document after a failure
 * the command recovered from, and miss a member left out for another reason.
 */
#include "cli/cli.h"

#include <string.h>

#include <sodium.h>

#include "util/error.h"
#include "util/json.h"

/* Note whether cJSON made the part: p, or NULL */
static cJSON *made(cli_json *j, cJSON *p)
{
	if (!p)
		j->broken = 1;
	return p;
}

static cJSON *start(cli_json *j, cJSON *root)
{
	cli_json_dispose(j);
	j->root = root;
	return made(j, root);
}

cJSON *cli_json_object(cli_json *j)
{
	return start(j, cJSON_CreateObject());
}

cJSON *cli_json_array(cli_json *j)
{
	return start(j, cJSON_CreateArray());
}

/*
 * cJSON_Add*ToObject return NULL for a NULL object too: a parent that
 * could not be made is noted once more, which changes nothing.
 */
void cli_json_str(cli_json *j, cJSON *obj, const char *name, const char *value)
{
	/* cJSON fails a NULL string as if memory ran out: it is no value, null */
	made(j, value ? cJSON_AddStringToObject(obj, name, value) : cJSON_AddNullToObject(obj, name));
}

void cli_json_num(cli_json *j, cJSON *obj, const char *name, double value)
{
	made(j, cJSON_AddNumberToObject(obj, name, value));
}

void cli_json_bool(cli_json *j, cJSON *obj, const char *name, int value)
{
	made(j, cJSON_AddBoolToObject(obj, name, value != 0));
}

void cli_json_null(cli_json *j, cJSON *obj, const char *name)
{
	made(j, cJSON_AddNullToObject(obj, name));
}

cJSON *cli_json_add_object(cli_json *j, cJSON *obj, const char *name)
{
	return made(j, cJSON_AddObjectToObject(obj, name));
}

cJSON *cli_json_push(cli_json *j, cJSON *array)
{
	cJSON *o;

	if (!array)
		return made(j, NULL);
	if (!(o = made(j, cJSON_CreateObject())))
		return NULL;
	/* adding to an array allocates nothing: it fails only on what it is given */
	if (!cJSON_AddItemToArray(array, o)) {
		cJSON_Delete(o);
		return made(j, NULL);
	}
	return o;
}

void cli_json_take(cli_json *j, cJSON *obj, const char *name, cli_json *part)
{
	cJSON *v = part->root;

	if (part->broken)
		j->broken = 1;
	j->secret |= part->secret;
	part->root = NULL;
	part->broken = 0;
	/* on failure cJSON leaves the item to its caller */
	if (!made(j, v) || !obj || !cJSON_AddItemToObject(obj, name, v)) {
		j->broken = 1;
		if (j->secret)
			fs_json_delete_secure(v);
		else
			cJSON_Delete(v);
	}
}

int cli_json_note(cli_json *j, int rc)
{
	if (rc < 0)
		j->broken = 1;
	return rc;
}

void cli_json_dispose(cli_json *j)
{
	if (j->secret)
		fs_json_delete_secure(j->root);
	else
		cJSON_Delete(j->root);
	j->root = NULL;
	j->broken = 0;
}

static int print(cli_json *j, const char *before, const char *after)
{
	char *s = j->root && !j->broken ? cJSON_PrintUnformatted(j->root) : NULL;

	cli_json_dispose(j);
	if (!s)
		return fs_error_set(FS_ENOMEM, "out of memory while making the --json output");
	fputs(before, stdout);
	fputs(s, stdout);
	fputs(after, stdout);
	if (j->secret)
		sodium_memzero(s, strlen(s));
	cJSON_free(s);
	return 0;
}

int cli_json_print(cli_json *j)
{
	return print(j, "", "\n");
}

int cli_json_print_item(cli_json *j, size_t n)
{
	return print(j, n ? ",\n" : "", "");
}
