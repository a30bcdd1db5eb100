// SPDX-License-Identifier: GPL-2.0
/*
 * The self-audit of an address space: the walker checks every entry of the
 * table (npt/audit.c) against the view this file gives it of the area set,
 * and the space's own counters are checked against what it found.
 *
 * The view, per area: a linear area has a leaf on every page, of the
 * largest size its alignment allows (4 KiB with NOHUGE or while logged),
 * mapping gpa + delta; an alloc area has leaves where it has frames, 4 KiB
 * or (HUGE, not logged) 2 MiB blocks that lie inside it, each a page of
 * RAM; a user area has a leaf on every page (pinned at MAP_USER), of any
 * size up to the largest its physical runs allow, each a page of RAM that
 * is not counted as a data page.  Leaves carry the area's prot and memory
 * type; a logged area's lack W while their page is clean.  Outside every
 * area there is no leaf.
 */
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>

#include "internal.h"

static void gaspace_audit_expect(void *arg, u64 gpa, struct gpt_expect *e)
{
	struct gaspace *as = arg;
	struct gaspace_area a;
	u64 limit = 1ULL << as->pt.gpa_bits;

	if (!gaspace_area_find(as, gpa, &a)) {
		e->fill = GPT_FILL_NONE;
		e->start = gpa;
		e->end = gaspace_area_next(as, gpa, limit, &a) ? a.start : limit;
		return;
	}
	e->start = a.start;
	e->end = a.end;
	e->prot = a.prot | (a.flags & GASPACE_MAP_DEVICE ? GPT_ATTR_DEVICE : 0);
	e->logged = a.flags & GASPACE_AREA_LOGGED;
	e->max_level = e->logged ? 0 : gaspace_backend(&a)->leaf_level(&a);
	switch (a.backend) {
	case GASPACE_BACKEND_LINEAR:
		e->fill = GPT_FILL_ALL;
		e->exact = true;
		e->fixed = true;
		e->delta = a.delta;
		break;
	case GASPACE_BACKEND_USER:
		/* pinned whole at MAP_USER; leaves as large as the runs allow */
		e->fill = GPT_FILL_ALL;
		break;
	default:
		e->fill = GPT_FILL_SOME;
		e->owned = true;
	}
}

static bool gaspace_audit_clean(void *arg, u64 gpa)
{
	return !gaspace_dirty_test(arg, gpa);
}

static const struct gpt_audit_ops gaspace_audit_ops = {
	.expect	= gaspace_audit_expect,
	.clean	= gaspace_audit_clean,
};

/**
 * gaspace_audit() - check the table of an address space against its rules
 * @as: the space
 * @out: the result, filled in whole
 *
 * Walks every entry of the table, with no change of the space in progress
 * (its map lock and table lock held), and checks it against the area set
 * and the format's exact encodings: memory type and every other bit, leaf
 * sizes (those the area allows, 4 KiB while logged), prot (the area's, W
 * absent on clean pages of logged areas), a leaf on every page of a linear
 * area and none outside the areas, host addresses (gpa + delta for linear
 * areas, RAM for alloc frames), every table page referenced once.  The
 * space's counters (table pages, present leaves of each size, mapped bytes,
 * data pages) must equal what the walk found: each that differs counts as
 * one error, reported first only when no entry broke a rule (at gpa 0 and
 * the root's level).  @out->first_level numbers levels as
 * struct gaspace_translation.level does (0 = 4 KiB leaves).
 *
 * Cheap enough to run after every test: one walk, one area lookup per area
 * or hole met.  May sleep.
 *
 * Return: 0, or -ENOMEM.
 */
int gaspace_audit(struct gaspace *as, struct gaspace_audit *out)
{
	struct gpt_audit r;
	int ret;

	memset(out, 0, sizeof(*out));
	mutex_lock(&as->map_lock);
	mutex_lock(&as->pt_lock);
	ret = gpt_audit(&as->pt, &gaspace_audit_ops, as, &r);
	if (!ret && r.nr_owned != as->nr_data_pages)
		gpt_audit_error(&r, 0, as->pt.levels - 1);
	mutex_unlock(&as->pt_lock);
	mutex_unlock(&as->map_lock);
	if (ret)
		return ret;
	out->nr_entries = r.nr_entries;
	out->nr_errors = r.nr_errors;
	out->first_gpa = r.first_gpa;
	out->first_level = r.first_level;
	return 0;
}
EXPORT_SYMBOL_GPL(gaspace_audit);
