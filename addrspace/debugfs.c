// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs (root only): gaspace/<ino>/{info,areas,tables} for each space
 * that has a file, <ino> the inode number fstat() gives for its fd, in
 * decimal.  The directory comes with the fd and goes when the space is
 * freed; debugfs_remove() waits for readers in the middle of a read, and
 * later reads of a file still open fail, so no reader outlives the space.
 *
 *   info    one "name: value" line per GET_INFO field, values in decimal
 *           (base and size in hex)
 *   areas   one line per area, in gpa order:
 *           "0x<start>-0x<end> <prot> <backend>[ <flag>...]", prot as
 *           "rwx" with '-' for a missing right, backend "linear" (then
 *           " hpa=0x<hpa>") or "alloc", flags among device, nohuge, huge,
 *           userfault, logged
 *   tables  one line per run of leaves that follow each other with the
 *           same level, prot and backend, in gpa order:
 *           "0x<start>-0x<end> level=<level> <prot> <backend>"; prot is
 *           what the leaves allow ("---" for prot 0 leaves; clean pages
 *           of a logged area lack 'w')
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "internal.h"

static struct dentry *gaspace_debugfs_root;

static const char *const gaspace_fmt_names[] = {
	[GASPACE_FMT_EPT]	= "ept",
	[GASPACE_FMT_NPT]	= "npt",
	[GASPACE_FMT_ARM64_S2]	= "arm64_s2",
	[GASPACE_FMT_RISCV_G]	= "riscv_g",
};

static const char *gaspace_backend_name(u32 backend)
{
	return backend == GASPACE_BACKEND_LINEAR ? "linear" : "alloc";
}

static void gaspace_prot_str(u32 prot, char *s)
{
	s[0] = prot & GASPACE_PROT_READ ? 'r' : '-';
	s[1] = prot & GASPACE_PROT_WRITE ? 'w' : '-';
	s[2] = prot & GASPACE_PROT_EXEC ? 'x' : '-';
	s[3] = 0;
}

static int gaspace_info_show(struct seq_file *m, void *v)
{
	struct gaspace *as = m->private;
	struct gaspace_info i;

	gaspace_get_info(as, &i);
	seq_printf(m, "format: %s\n", gaspace_fmt_names[i.format]);
	seq_printf(m, "gpa_bits: %u\nlevels: %u\nroot_pages: %u\n",
		   i.gpa_bits, i.levels, i.root_pages);
	seq_printf(m, "base: 0x%llx\nsize: 0x%llx\n", i.base, i.size);
	seq_printf(m, "nr_areas: %llu\nnr_table_pages: %llu\n", i.nr_areas,
		   i.nr_table_pages);
	seq_printf(m, "nr_data_pages: %llu\nmapped_bytes: %llu\n",
		   i.nr_data_pages, i.mapped_bytes);
	seq_printf(m, "nr_leaves_4k: %llu\nnr_leaves_2m: %llu\nnr_leaves_1g: %llu\n",
		   i.nr_leaves_4k, i.nr_leaves_2m, i.nr_leaves_1g);
	seq_printf(m, "nr_demand_faults: %llu\nnr_dirty_pages: %llu\nnr_userfaults: %llu\n",
		   i.nr_demand_faults, i.nr_dirty_pages, i.nr_userfaults);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gaspace_info);

static int gaspace_areas_show(struct seq_file *m, void *v)
{
	struct gaspace *as = m->private;
	u64 gpa = 0, limit = 1ULL << as->pt.gpa_bits;
	struct gaspace_area a;
	char prot[4];

	mutex_lock(&as->pt_lock);
	while (gaspace_area_next(as, gpa, limit, &a)) {
		gaspace_prot_str(a.prot, prot);
		seq_printf(m, "0x%llx-0x%llx %s %s", a.start, a.end, prot,
			   gaspace_backend_name(a.backend));
		if (a.backend == GASPACE_BACKEND_LINEAR)
			seq_printf(m, " hpa=0x%llx", a.start + a.delta);
		if (a.flags & GASPACE_MAP_DEVICE)
			seq_puts(m, " device");
		if (a.flags & GASPACE_MAP_NOHUGE)
			seq_puts(m, " nohuge");
		if (a.flags & GASPACE_MAP_HUGE)
			seq_puts(m, " huge");
		if (a.flags & GASPACE_MAP_USERFAULT)
			seq_puts(m, " userfault");
		if (a.flags & GASPACE_AREA_LOGGED)
			seq_puts(m, " logged");
		seq_putc(m, '\n');
		gpa = a.end;
	}
	mutex_unlock(&as->pt_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gaspace_areas);

/**
 * struct gaspace_run - leaves that follow each other alike
 * @m: where the runs go
 * @as: the space
 * @start: first address of the run
 * @end: its end; == @start while there is none
 * @level: its leaves' level
 * @prot: their prot (what they allow)
 * @backend: their area's backend
 */
struct gaspace_run {
	struct seq_file *m;
	struct gaspace *as;
	u64 start;
	u64 end;
	u32 level;
	u32 prot;
	u32 backend;
};

static void gaspace_run_flush(struct gaspace_run *r)
{
	char prot[4];

	if (r->end == r->start)
		return;
	gaspace_prot_str(r->prot, prot);
	seq_printf(r->m, "0x%llx-0x%llx level=%u %s %s\n", r->start, r->end,
		   r->level, prot, gaspace_backend_name(r->backend));
	r->start = r->end;
}

static void gaspace_run_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct gaspace_run *r = arg;
	u32 prot = leaf->prot & GPT_PROT_RWX;
	struct gaspace_area a;
	u32 backend = 0;

	if (gaspace_area_find(r->as, leaf->gpa, &a))
		backend = a.backend;
	if (r->end != leaf->gpa || r->level != leaf->level ||
	    r->prot != prot || r->backend != backend) {
		gaspace_run_flush(r);
		r->start = leaf->gpa;
		r->level = leaf->level;
		r->prot = prot;
		r->backend = backend;
	}
	r->end = leaf->gpa + leaf->size;
}

static int gaspace_tables_show(struct seq_file *m, void *v)
{
	struct gaspace_run r = { .m = m, .as = m->private };

	mutex_lock(&r.as->pt_lock);
	gpt_report_leaves(&r.as->pt, 0, 1ULL << r.as->pt.gpa_bits,
			  gaspace_run_leaf, &r);
	gaspace_run_flush(&r);
	mutex_unlock(&r.as->pt_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gaspace_tables);

/**
 * gaspace_debugfs_add() - the space's directory, once it has a file
 * @as: the space, @as->ino set
 *
 * Nothing fails: a space without its directory works as well.
 */
void gaspace_debugfs_add(struct gaspace *as)
{
	char name[24];

	if (IS_ERR_OR_NULL(gaspace_debugfs_root))
		return;
	snprintf(name, sizeof(name), "%lu", as->ino);
	as->debugfs = debugfs_create_dir(name, gaspace_debugfs_root);
	debugfs_create_file("info", 0400, as->debugfs, as, &gaspace_info_fops);
	debugfs_create_file("areas", 0400, as->debugfs, as,
			    &gaspace_areas_fops);
	debugfs_create_file("tables", 0400, as->debugfs, as,
			    &gaspace_tables_fops);
}

/**
 * gaspace_debugfs_remove() - the space is being freed: its directory goes
 * @as: the space
 */
void gaspace_debugfs_remove(struct gaspace *as)
{
	debugfs_remove(as->debugfs);
	as->debugfs = NULL;
}

void gaspace_debugfs_init(void)
{
	gaspace_debugfs_root = debugfs_create_dir("gaspace", NULL);
}

void gaspace_debugfs_exit(void)
{
	debugfs_remove(gaspace_debugfs_root);
}
