/*
 * uplink.h - a regional hub's dataset, sent up to a global hub
 *
 * A regional hub syncs with a global hub the way a city does with it: it
 * pushes to refs/heads/cities/<id> on the global hub, once per city of its
 * unified dataset, commits signed by the regional hub's own key, which the
 * global hub has enrolled for each of those cities (`hub enroll CITY KEY
 * --regional`). The global hub checks them like any city's push.
 *
 * What goes up is a history of its own, one branch per remote and city,
 * refs/fieldsync/up/<remote>/<city> on the regional hub: each commit's tree
 * is the city's city.json and actions/, and
 *
 *   - by default, instead of the service records, aggregates/services.json:
 *     the city's services table as the regional merge wrote it, counts under
 *     the threshold already suppressed (the global hub publishes it as the
 *     city's services table);
 *   - with remote.<remote>.fieldsyncSendServices true, the services/ records
 *     themselves (the global hub then counts them).
 *
 * A commit is made only when that tree changes; its parent is the previous
 * one, so the global hub always receives a fast-forward.
 */
#ifndef FS_UPLINK_H
#define FS_UPLINK_H

#include "node/node.h"

#define FS_UPLINK_REF_PREFIX "refs/fieldsync/up/"

/* The file that carries a city's services table in place of its records. */
#define FS_UPLINK_TABLE "aggregates/services.json"

/*
 * Bring the up branches for `remote` in line with the hub's last unified
 * commit (the hub's key signs: open it for writing). `cities` gets the city
 * ids, sorted (git_strarray_dispose() them). FS_ENOTFOUND when the hub has
 * not merged yet.
 */
int fs_uplink_prepare(fs_node *hub, const char *remote, git_strarray *cities);

/* "refs/fieldsync/up/<remote>/<city>" */
int fs_uplink_ref(char *out, size_t size, const char *remote, const char *city);

#endif
