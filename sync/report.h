/*
 * report.h - the hub's unified dataset as one page people can look at
 *
 * A static HTML page, self-contained (inline CSS and SVG, no script, no
 * font, no link to fetch), so that it opens offline and can travel by mail
 * or USB: actions per priority and per country, services per month and per
 * category, and the cities with when each last synced. Numbers come from
 * the last unified commit's aggregates; a service count under its threshold
 * reads "<5", as in the aggregates.
 */
#ifndef FS_REPORT_H
#define FS_REPORT_H

#include "node/node.h"
#include "util/buf.h"

/* Append the page to `out`. FS_ENOTFOUND when the hub has not merged yet. */
int fs_report_html(fs_buf *out, fs_node *hub);

#endif
