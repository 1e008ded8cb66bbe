#include "sync/link.h"

void fs_link_init(fs_link *l, size_t max, size_t min)
{
	l->max = max;
	l->min = min < max ? min : max;
	l->limit = max;
	l->good = l->bad = l->wire = l->planned = 0;
}

uint64_t fs_link_budget(const fs_link *l)
{
	uint64_t b;

	if (!l->bad)
		return 0;
	b = l->good > l->bad / 2 ? l->good : l->bad / 2;
	return b < l->bad / 10 * 9 ? b : l->bad / 10 * 9;
}

uint64_t fs_link_wire(const fs_link *l, size_t estimate)
{
	return l->planned ? (uint64_t)estimate * l->wire / l->planned : estimate;
}

/* The batch that fills a new connection's budget, in estimate units. */
static size_t fill(const fs_link *l, uint64_t budget)
{
	uint64_t est = l->wire ? budget * l->planned / l->wire : budget;

	return est > l->max ? l->max : est < l->min ? l->min : (size_t)est;
}

int fs_link_fresh(const fs_link *l, uint64_t carried, size_t estimate)
{
	uint64_t budget = fs_link_budget(l);

	return budget && carried && carried + fs_link_wire(l, estimate) > budget;
}

void fs_link_landed(fs_link *l, size_t estimate, uint64_t wire, uint64_t carried)
{
	/* halved each time: the ratio follows the commits being sent now */
	l->planned = l->planned / 2 + estimate;
	l->wire = l->wire / 2 + wire;
	if (carried > l->good)
		l->good = carried;
	if (l->bad)
		l->limit = fill(l, fs_link_budget(l));
	else
		/* the link carried it: try a bigger one, up to the setting */
		l->limit = l->limit < l->max / 2 ? l->limit * 2 : l->max;
}

void fs_link_cut(fs_link *l, uint64_t carried, int landed, size_t inflight)
{
	if (carried) {
		if (!l->bad || carried < l->bad)
			l->bad = carried;
		l->limit = fill(l, fs_link_budget(l));
	} else if (!landed) {
		/* nothing measured (it did not even connect): halve, as blind */
		l->limit = l->limit / 2 > l->min ? l->limit / 2 : l->min;
	}
	if (inflight && l->limit > inflight / 4 * 3)
		l->limit = inflight / 4 * 3 > l->min ? inflight / 4 * 3 : l->min;
}
