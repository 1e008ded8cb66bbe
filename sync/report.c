#include "sync/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schema/builtin.h"
#include "node/record.h"
#include "node/tree.h"
#include "sync/aggregate.h"
#include "sync/check.h"
#include "sync/merge.h"
#include "sync/sync.h"
#include "util/alloc.h"
#include "util/counter.h"
#include "util/error.h"
#include "util/json.h"
#include "util/i18n.h"

#define CHART_WIDTH 720
#define LABEL_WIDTH 300
#define BAR_MAX 330
#define ROW 24

typedef struct {
	git_repository *repo;
	git_tree *tree;       /* the unified tree */
	int threshold;
	fs_counter *priority, *country, *month, *category; /* totals to chart */
	long long hidden; /* service cells under the threshold, left out of the totals */
	fs_buf *out;
} report;

static void esc(fs_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fs_buf_puts(out, "&amp;"); break;
		case '<': fs_buf_puts(out, "&lt;"); break;
		case '>': fs_buf_puts(out, "&gt;"); break;
		case '"': fs_buf_puts(out, "&quot;"); break;
		default: fs_buf_putc(out, *s);
		}
	}
}

/* Text in the reader's language, escaped: translations are text, never markup. */
static void put_text(fs_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_text(fs_buf *out, const char *fmt, ...)
{
	fs_buf text = FS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fs_buf_vprintf(&text, fmt, ap);
	va_end(ap);
	esc(out, fs_buf_cstr(&text));
	fs_buf_dispose(&text);
}

/*
 * The language of the catalogue in use, for <html lang> and vocabulary
 * labels; English labels where a vocabulary has none in that language.
 */
static const char *lang(void)
{
	/* TRANSLATORS: the code of your language (fr, es): the HTML page's lang and its labels */
	return _("en");
}

static const char *label_of(const char *vocab, const char *code)
{
	const char *label = fs_schema_label(vocab, code, lang());
	return label ? label : fs_schema_label(vocab, code, "en");
}

/* A blob of the unified tree, parsed; FS_ENOTFOUND when absent. */
static int read_json(cJSON **out, const report *r, const char *path)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;

	*out = NULL;
	if ((rc = fs_tree_find(&e, r->tree, path)) < 0)
		return rc;
	if (!e)
		return fs_error_set(FS_ENOTFOUND, "the unified dataset has no %s", path);
	if ((rc = git_blob_lookup(&blob, r->repo, git_tree_entry_id(e))) < 0)
		rc = fs_error_git(rc, "cannot read %s", path);
	else
		rc = fs_json_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), path);
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

/*
 * Add the count of each row of a table to the counters of two of its
 * columns. Rows under `threshold` are left out (and counted in *hidden): a
 * total that included them would give a suppressed cell away by subtraction
 * from the cells shown next to it.
 */
static int sum_rows(const cJSON *table, size_t ncols, size_t a, fs_counter *ca, size_t b,
		    fs_counter *cb, int threshold, long long *total, long long *hidden)
{
	const cJSON *row;
	int rc = 0;

	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(table, "rows")) {
		const cJSON *v = cJSON_GetArrayItem(row, (int)ncols);
		const cJSON *ka = cJSON_GetArrayItem(row, (int)a), *kb = cJSON_GetArrayItem(row, (int)b);
		if (!cJSON_IsString(ka) || !cJSON_IsString(kb) ||
		    !(cJSON_IsNumber(v) || (hidden && cJSON_IsString(v) && v->valuestring[0] == '<')))
			return fs_error_set(FS_EINVALID, "the aggregates have a malformed row");
		/* a cell a table already hid ("<5"), or one under the threshold */
		if (!hidden && v->valuedouble < 1)
			return fs_error_set(FS_EINVALID, "the aggregates have a count under 1");
		if (cJSON_IsString(v) || v->valuedouble < threshold) {
			(*hidden)++;
			continue;
		}
		if ((rc = fs_counter_add(ca, ka->valuestring, (long long)v->valuedouble)) < 0 ||
		    (rc = fs_counter_add(cb, kb->valuestring, (long long)v->valuedouble)) < 0)
			return rc;
		if (total)
			*total += (long long)v->valuedouble;
	}
	return rc;
}

/*
 * A horizontal bar chart of a counter, its keys in order. data-chart and
 * each bar's data-label / data-value say what is drawn, for people using a
 * screen reader and for the tests.
 */
static int chart(report *r, const char *id, const char *title, const fs_counter *c,
		 const char *vocab)
{
	const char **keys = NULL;
	size_t n = 0;
	long long max = 1;
	char num[32];
	int rc, height;

	if ((rc = fs_counter_keys(&keys, &n, c)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (fs_counter_get(c, keys[i]) > max)
			max = fs_counter_get(c, keys[i]);
	height = (int)n * ROW + 8;
	fs_buf_puts(r->out, "<figure>\n<figcaption>");
	esc(r->out, title);
	fs_buf_puts(r->out, "</figcaption>\n");
	if (!n) {
		fs_buf_puts(r->out, "<p class=\"none\">");
		esc(r->out, _("nothing recorded yet"));
		fs_buf_puts(r->out, "</p>\n");
	} else {
		fs_buf_printf(r->out, "<svg class=\"chart\" data-chart=\"%s\" role=\"img\" aria-label=\"",
			      id);
		esc(r->out, title);
		fs_buf_printf(r->out, "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
			      "xmlns=\"http://www.w3.org/2000/svg\">\n", CHART_WIDTH, height,
			      CHART_WIDTH, height);
	}
	for (size_t i = 0; i < n; i++) {
		long long v = fs_counter_get(c, keys[i]);
		const char *label = vocab ? label_of(vocab, keys[i]) : NULL;
		int y = (int)i * ROW + 4, w = (int)((double)v / (double)max * BAR_MAX + 0.5);
		snprintf(num, sizeof(num), "%lld", v);
		fs_buf_puts(r->out, "<g data-label=\"");
		esc(r->out, keys[i]);
		fs_buf_printf(r->out, "\" data-value=\"%s\">", num);
		fs_buf_printf(r->out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_WIDTH - 8,
			      y + 16);
		esc(r->out, keys[i]);
		if (label) {
			char cut[48];
			snprintf(cut, sizeof(cut), "%s", label);
			if (strlen(label) >= sizeof(cut))
				memcpy(cut + sizeof(cut) - 4, "...", 4);
			fs_buf_puts(r->out, " ");
			esc(r->out, cut);
		}
		fs_buf_printf(r->out, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			      "class=\"bar\"/><text x=\"%d\" y=\"%d\" class=\"v\">", LABEL_WIDTH, y + 3,
			      w, ROW - 8, LABEL_WIDTH + w + 6, y + 16);
		esc(r->out, num);
		fs_buf_puts(r->out, "</text></g>\n");
	}
	if (n)
		fs_buf_puts(r->out, "</svg>\n");
	fs_buf_puts(r->out, "</figure>\n");
	fs_free(keys);
	return fs_buf_check(r->out);
}

static void format_time(char out[32], git_time_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
	else
		snprintf(out, 32, "-");
}

/*
 * When the city last synced: the hub's reflog of its branch (hub init turns
 * reflogs on); without one, the time of the city's last commit.
 */
static void last_sync(char out[48], git_repository *repo, const char *city)
{
	char ref[256], when[32];
	git_reflog *log = NULL;
	git_commit *c = NULL;
	git_oid id;

	snprintf(out, 48, "-");
	snprintf(ref, sizeof(ref), FS_CITY_REF_PREFIX "%s", city);
	if (git_reflog_read(&log, repo, ref) == 0 && git_reflog_entrycount(log) > 0) {
		format_time(when, git_reflog_entry_committer(git_reflog_entry_byindex(log, 0))->when.time);
		snprintf(out, 48, "%s", when);
	} else if (git_reference_name_to_id(&id, repo, ref) == 0 &&
		   git_commit_lookup(&c, repo, &id) == 0) {
		format_time(when, git_commit_time(c));
		snprintf(out, 48, _("%s (last commit)"), when);
	}
	git_commit_free(c);
	git_reflog_free(log);
	fs_error_clear();
}

/*
 * One row per city; its exact service counts go into the month and category
 * totals (cells under the threshold left out, as sum_rows says).
 */
static int cities(report *r)
{
	git_tree_entry *e = NULL;
	git_tree *cities = NULL;
	fs_buf path = FS_BUF_INIT;
	char when[48];
	int rc = 0;

	const char *head[] = { _("city"), _("name"), _("country"), _("services"), _("last sync") };

	fs_buf_puts(r->out, "<h2>");
	esc(r->out, _("Cities"));
	fs_buf_puts(r->out, "</h2>\n<table class=\"cities\">\n<thead><tr>");
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		fs_buf_puts(r->out, "<th>");
		esc(r->out, head[i]);
		fs_buf_puts(r->out, "</th>");
	}
	fs_buf_puts(r->out, "</tr></thead>\n<tbody>\n");
	if ((rc = fs_tree_find(&e, r->tree, "cities")) < 0)
		goto done;
	if (e && (rc = fs_tree_lookup(&cities, r->repo, git_tree_entry_id(e))) < 0) {
		rc = fs_error_git(rc, "cannot read cities/");
		goto done;
	}
	for (size_t i = 0; cities && i < git_tree_entrycount(cities); i++) {
		const char *id = git_tree_entry_name(git_tree_entry_byindex(cities, i));
		cJSON *meta = NULL, *counts = NULL;
		long long total = 0;
		fs_buf_clear(&path);
		fs_buf_printf(&path, "cities/%s/city.json", id);
		if ((rc = fs_buf_check(&path)) < 0 || (rc = read_json(&meta, r, path.ptr)) < 0)
			goto done;
		fs_buf_clear(&path);
		fs_buf_printf(&path, "hub/counts/%s.json", id);
		if ((rc = fs_buf_check(&path)) < 0)
			goto done;
		/* a city sent up without its records has only its suppressed table */
		if ((rc = read_json(&counts, r, path.ptr)) == FS_ENOTFOUND) {
			fs_buf_clear(&path);
			fs_buf_printf(&path, "hub/aggregates/services/%s.json", id);
			rc = fs_buf_check(&path) < 0 ? FS_ENOMEM : read_json(&counts, r, path.ptr);
		}
		if (rc < 0) {
			cJSON_Delete(meta);
			goto done;
		}
		/* columns: month, category, group, sex, age band, count */
		rc = sum_rows(counts, 5, 0, r->month, 1, r->category, r->threshold, &total, &r->hidden);
		last_sync(when, r->repo, id);
		fs_buf_puts(r->out, "<tr><td>");
		esc(r->out, id);
		fs_buf_puts(r->out, "</td><td>");
		esc(r->out, fs_json_string(meta, "name") ? fs_json_string(meta, "name") : "");
		fs_buf_puts(r->out, "</td><td>");
		esc(r->out, fs_json_string(meta, "country") ? fs_json_string(meta, "country") : "");
		fs_buf_printf(r->out, "</td><td class=\"n\">%lld</td><td>", total);
		esc(r->out, when);
		fs_buf_puts(r->out, "</td></tr>\n");
		cJSON_Delete(meta);
		cJSON_Delete(counts);
		if (rc < 0)
			goto done;
	}
	fs_buf_puts(r->out, "</tbody>\n</table>\n");
	rc = fs_buf_check(r->out);
done:
	fs_buf_dispose(&path);
	git_tree_free(cities);
	git_tree_entry_free(e);
	return rc;
}

/*
 * Actions per country, each action once: the aggregate counts an action
 * under each of its priorities, so its rows would count it several times.
 */
static int count_country(const char *id, fs_kind kind, const char *data, size_t len,
			 void *payload)
{
	cJSON *rec = NULL;
	const char *country;
	int rc;

	(void)kind;
	/* damaged JSON, or memory that ran out: fs_json_parse_stored tells them apart */
	if ((rc = fs_json_parse_stored(&rec, data, len, "stored record")) < 0)
		return fs_error_prefix("record '%s'", id);
	country = fs_json_string(rec, "country");
	rc = fs_counter_add(payload, country ? country : "unknown", 1);
	cJSON_Delete(rec);
	return rc;
}

static const char style[] =
	"body{font:15px/1.4 sans-serif;margin:2em auto;max-width:760px;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}"
	"figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.5em}"
	".bar{fill:#2b6cb0}text{font-size:12px;fill:#222}"
	"table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;"
	"text-align:left}.n{text-align:right}.meta,.none{color:#666}ol{font-size:.9em}";

/*
 * The dataset to draw: a hub's last unified commit, or on a city node the
 * public branch it fetched last (the first remote, by name, that has one).
 */
static int pick(git_commit **out, char *from, size_t size, fs_node *node)
{
	git_repository *repo = fs_node_repo(node);
	git_strarray names = { NULL, 0 };
	const char *ref = NULL;
	git_oid id;
	int rc;

	*out = NULL;
	if (fs_node_is_hub(node)) {
		ref = FS_UNIFIED_REF;
		snprintf(from, size, "%s", _("the unified dataset"));
	} else {
		if ((rc = fs_remote_public_refs(&names, node)) < 0)
			return rc;
		if (names.count) {
			ref = names.strings[0];
			snprintf(from, size, _("the public dataset of remote '%.*s'"),
				 (int)(strlen(ref) - 20), ref + 13);
		}
	}
	rc = ref ? git_reference_name_to_id(&id, repo, ref) : GIT_ENOTFOUND;
	if (rc == GIT_ENOTFOUND)
		rc = fs_node_is_hub(node)
			     ? fs_error_set(FS_ENOTFOUND, "hub '%s' has no unified dataset yet: run "
					    "'fieldsync hub merge'", fs_node_dir(node))
			     : fs_error_set(FS_ENOTFOUND, "node '%s' has no public dataset yet: run "
					    "'fieldsync sync' after the hub's first merge",
					    fs_node_dir(node));
	else if (rc < 0 || (rc = git_commit_lookup(out, repo, &id)) < 0)
		rc = fs_error_git(rc, "cannot read %s", ref);
	git_strarray_dispose(&names);
	return rc;
}

/*
 * The threshold the counts were suppressed with: a hub's unified.json says;
 * public has no unified.json, its services tables each say.
 */
static int threshold_of(report *r)
{
	cJSON *doc = NULL;
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	const cJSON *v;
	int rc = read_json(&doc, r, "hub/unified.json");

	if (rc == FS_ENOTFOUND) {
		fs_error_clear();
		r->threshold = FS_AGGREGATE_THRESHOLD;
		/* a lookup that fails is not "no table": the default threshold
		 * could be lower than the dataset's */
		if ((rc = fs_tree_find(&e, r->tree, "hub/aggregates/services")) < 0)
			goto done;
		if (e && (rc = fs_tree_lookup(&t, r->repo, git_tree_entry_id(e))) < 0) {
			rc = fs_error_git(rc, "cannot read hub/aggregates/services");
			goto done;
		}
		rc = FS_ENOTFOUND;
		if (t) {
			for (size_t i = 0; i < git_tree_entrycount(t) && !doc; i++) {
				const char *name = git_tree_entry_name(git_tree_entry_byindex(t, i));
				size_t len = strlen(name);
				char path[512];
				if (len < 5 || strcmp(name + len - 5, ".json") != 0)
					continue;
				snprintf(path, sizeof(path), "hub/aggregates/services/%s", name);
				if ((rc = read_json(&doc, r, path)) < 0)
					break;
			}
		}
		if (!doc && rc == FS_ENOTFOUND)
			rc = 0; /* no services table anywhere: nothing to suppress */
	}
	if (rc == 0 && doc) {
		v = cJSON_GetObjectItemCaseSensitive(doc, "suppress_below");
		r->threshold = cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
		if (r->threshold < 1)
			rc = fs_error_set(FS_EINVALID, "the dataset names no suppress_below: merge "
					  "again with this fieldsync");
	}
done:
	cJSON_Delete(doc);
	git_tree_free(t);
	git_tree_entry_free(e);
	return rc;
}

int fs_report_html(fs_buf *out, fs_node *node)
{
	report r = { fs_node_repo(node), NULL, 0, NULL, NULL, NULL, NULL, 0, out };
	git_commit *unified = NULL;
	cJSON *actions = NULL;
	char when[32], num[32], from[128];
	fs_counter *unused = NULL;
	const char *title;
	int rc;

	if ((rc = pick(&unified, from, sizeof(from), node)) < 0)
		goto done;
	if ((rc = git_commit_tree(&r.tree, unified)) < 0) {
		rc = fs_error_git(rc, "cannot read %s", from);
		goto done;
	}
	if ((rc = threshold_of(&r)) < 0 ||
	    (rc = read_json(&actions, &r, "hub/aggregates/actions.json")) < 0)
		goto done;
	if ((rc = fs_counter_new(&r.priority)) < 0 || (rc = fs_counter_new(&r.country)) < 0 ||
	    (rc = fs_counter_new(&r.month)) < 0 || (rc = fs_counter_new(&r.category)) < 0 ||
	    (rc = fs_counter_new(&unused)) < 0 ||
	    (rc = sum_rows(actions, 4, 0, r.priority, 3, unused, 0, NULL, NULL)) < 0 ||
	    (rc = fs_record_foreach_tree(r.repo, r.tree, NULL, FS_KIND_ACTION, count_country,
					 r.country)) < 0)
		goto done;
	format_time(when, git_commit_time(unified));
	fs_buf_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>", lang());
	title = fs_node_name(node) ? fs_node_name(node) : "fieldsync";
	esc(out, title);
	fs_buf_puts(out, ": ");
	esc(out, from);
	fs_buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
	esc(out, title);
	fs_buf_puts(out, "</h1>\n<p class=\"meta\">");
	put_text(out, _("From %s as merged on %s, commit %s."), from, when,
		 git_oid_tostr_s(git_commit_id(unified)));
	fs_buf_putc(out, ' ');
	put_text(out, P_("No count of fewer than %d service is shown, so that no small group of "
			 "people can be singled out; an action serving several priorities counts "
			 "under each.",
			 "No count of fewer than %d services is shown, so that no small group of "
			 "people can be singled out; an action serving several priorities counts "
			 "under each.", (unsigned long)r.threshold), r.threshold);
	fs_buf_puts(out, "</p>\n");
	if ((rc = cities(&r)) < 0)
		goto done;
	fs_buf_puts(out, "<h2>");
	esc(out, _("Actions"));
	fs_buf_puts(out, "</h2>\n");
	if ((rc = chart(&r, "actions-per-priority", _("Actions per priority"), r.priority,
			"priorities")) < 0 ||
	    (rc = chart(&r, "actions-per-country", _("Actions per country"), r.country, "countries")) < 0)
		goto done;
	fs_buf_puts(out, "<h2>");
	esc(out, _("Services"));
	fs_buf_puts(out, "</h2>\n");
	if (r.hidden) {
		unsigned long n = r.hidden > 1000000000 ? 1000000000UL : (unsigned long)r.hidden;
		fs_buf_puts(out, "<p class=\"meta\">");
		put_text(out, P_("Totals count the cells of %d services or more only: %lld smaller cell "
				 "(a month, a category, a group, a sex and an age band in one city) is "
				 "left out.",
				 "Totals count the cells of %d services or more only: %lld smaller cells "
				 "(a month, a category, a group, a sex and an age band in one city) are "
				 "left out.", n), r.threshold, r.hidden);
		fs_buf_puts(out, "</p>\n");
	}
	if ((rc = chart(&r, "services-per-month", _("Services per month"), r.month, NULL)) < 0 ||
	    (rc = chart(&r, "services-per-category", _("Services per category"), r.category,
			"service-categories")) < 0)
		goto done;
	fs_buf_puts(out, "<h2>");
	esc(out, _("The 8 priorities"));
	fs_buf_puts(out, "</h2>\n<ol>\n");
	for (int p = 1; p <= 8; p++) {
		const char *label;
		snprintf(num, sizeof(num), "%d", p);
		label = label_of("priorities", num);
		fs_buf_puts(out, "<li>");
		esc(out, label ? label : num);
		fs_buf_puts(out, "</li>\n");
	}
	fs_buf_puts(out, "</ol>\n<p class=\"meta\">");
	esc(out, _("Made by fieldsync from the signed unified dataset; anyone with a clone can "
		   "recompute it."));
	fs_buf_puts(out, "</p>\n</body>\n</html>\n");
	rc = fs_buf_check(out);
done:
	fs_counter_free(unused);
	fs_counter_free(r.priority);
	fs_counter_free(r.country);
	fs_counter_free(r.month);
	fs_counter_free(r.category);
	cJSON_Delete(actions);
	git_tree_free(r.tree);
	git_commit_free(unified);
	return rc;
}
