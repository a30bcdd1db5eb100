/* SPDX-License-Identifier: GPL-2.0 */
/*
 * npt/: nested page tables, independent of areas, files and frame owners.
 *
 * A format (one file each: ept.c, npt.c, stage2.c, gstage.c) is data: its
 * geometry, where an entry keeps its address, what makes it a table, which
 * bits a leaf takes for each right and memory type.  fmt.c converts
 * between portable prot and those bits, one function each way, for every
 * format; one generic walker (walk.c) implements every operation on top.
 *
 * Levels are numbered from the leaves: level 0 maps 4 KiB, level 1 2 MiB,
 * level 2 1 GiB; the root is level (levels - 1).  The root may hold more than
 * 512 entries (Arm concatenated tables, RISC-V x4): its index takes
 * gpa_bits - 12 - 9 * (levels - 1) bits.
 *
 * Operations: gpt_map() (linear), gpt_map_src() (a page source, e.g. frames
 * allocated one by one), gpt_unmap() (reports each removed leaf after the
 * invalidation, so its memory can be freed), gpt_protect(), gpt_query() and
 * gpt_destroy().  The caller serialises the changes.  Changes never
 * allocate: they take table pages from a struct gpt_cache the caller filled
 * beforehand (gpt_map_bound(), gpt_split_bound() and gpt_leaf_bound() say
 * how many may be needed), so they can run under a lock that an allocation
 * must not wait in.  gpt_query() may run beside a change, under rcu_read_lock(), when the
 * owner's mm_ops free unlinked tables after an RCU grace period.  Every
 * failed change leaves the tables exactly as they were.
 * pt->nr_table_pages counts the table pages linked in at every moment
 * (pages an unmap unlinked leave the count at once, and are freed after
 * the invalidate callback).
 */
#ifndef _GASPACE_NPT_PGTABLE_H
#define _GASPACE_NPT_PGTABLE_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/gaspace.h>
#include <asm/barrier.h>

#define GPT_PAGE_SHIFT		12
#define GPT_LEVEL_BITS		9
#define GPT_MAX_LEVELS		5

/* Portable prot: GASPACE_PROT_{READ,WRITE,EXEC} plus these attributes. */
#define GPT_PROT_RWX		(GASPACE_PROT_READ | GASPACE_PROT_WRITE | \
				 GASPACE_PROT_EXEC)
#define GPT_ATTR_DEVICE		BIT(8)		/* device memory type */

/*
 * A leaf of prot 0 is non-present to the hardware (its valid bits are 0) but
 * keeps its address and attributes, marked by this bit, which every format
 * ignores in a non-present entry (and Arm reserves for software).
 */
#define GPT_SW_PROTNONE		BIT_ULL(58)

/* Block (leaf above level 0) sizes the walker may use, as level masks. */
#define GPT_LEVEL_MASK(l)	(1u << (l))

struct gpt;

/**
 * struct gpt_width - the gpa_bits a format allows with one number of levels
 * @min_bits: smallest width
 * @max_bits: largest width
 * @levels: levels walked for these widths
 */
struct gpt_width {
	u8 min_bits;
	u8 max_bits;
	u8 levels;
};

#define GPT_MAX_WIDTHS		3

/**
 * struct gpt_geometry - the shape of a format's tables
 * @default_bits: gpa_bits used when 0 is asked
 * @widths: the widths allowed, and their levels (unused slots are 0)
 * @pa_bits: host physical address width of the format
 * @block_levels: levels above 0 that may hold leaves (GPT_LEVEL_MASK)
 */
struct gpt_geometry {
	u32 default_bits;
	struct gpt_width widths[GPT_MAX_WIDTHS];
	u32 pa_bits;
	u32 block_levels;
};

/*
 * A geometry: the default gpa_bits, the host-physical address width, then
 * the widths allowed as { min_bits, max_bits, levels }; blocks at levels 1
 * and 2 (2 MiB and 1 GiB), as every format here has them.
 */
#define GPT_GEOMETRY(dflt, pa, width...) {				\
	.default_bits	= (dflt),					\
	.widths		= { width },					\
	.pa_bits	= (pa),						\
	.block_levels	= GPT_LEVEL_MASK(1) | GPT_LEVEL_MASK(2),	\
}

/* x86-64 paging's, which EPT and NPT share: 4 or 5 levels, 52-bit PAs. */
#define GPT_GEOMETRY_X86_64	GPT_GEOMETRY(48, 52, { 48, 48, 4 }, { 57, 57, 5 })

/**
 * struct gpt_table_bits - how a format writes a table entry, as data
 * @mask: an entry above level 0 is a table iff its bits under @mask equal
 *	@bits (leaves, empty and prot-0 entries differ)
 * @bits: see @mask
 * @attrs: the bits of a table entry beside its address
 */
struct gpt_table_bits {
	u64 mask;
	u64 bits;
	u64 attrs;
};

/**
 * struct gpt_leaf_bits - how a format writes a leaf, as data
 * @always: bits of every leaf
 * @present: bits of a leaf the hardware sees (one with a GASPACE_PROT_*
 *	bit); a leaf without them is non-present and marked GPT_SW_PROTNONE
 * @read: bits for GASPACE_PROT_READ; 0: every present leaf reads
 * @write: bits for GASPACE_PROT_WRITE
 * @exec: bits for GASPACE_PROT_EXEC; 0: a present leaf executes unless it
 *	has @noexec
 * @noexec: bits of a leaf without GASPACE_PROT_EXEC
 * @ram: memory-type bits of RAM
 * @device: memory-type bits of device memory (GPT_ATTR_DEVICE)
 * @type_mask: the memory-type field, 0 when the format has one type only
 * @block: bits of a leaf above level 0
 * @page: bits of a leaf at level 0
 */
struct gpt_leaf_bits {
	u64 always;
	u64 present;
	u64 read;
	u64 write;
	u64 exec;
	u64 noexec;
	u64 ram;
	u64 device;
	u64 type_mask;
	u64 block;
	u64 page;
};

/**
 * struct gpt_fmt - a hardware page-table format, as data
 * @format: GASPACE_FMT_*
 * @name: short name for messages
 * @geo: the shape of its tables
 * @addr_mask: the bits of an entry that hold the address
 * @addr_shift: an entry's address bits are (pa >> @addr_shift) & @addr_mask
 * @table: the bits of a table entry beside its address, and how a table
 *	entry is told from a leaf
 * @leaf: the bits of a leaf beside its address (gpt_leaf_tmpl() writes
 *	them from a portable prot, gpt_leaf_prot() reads them back)
 * @hw_bits: bits the hardware may set in entries it walks (accessed/dirty)
 * @bbm: a valid block must be made invalid and invalidated before it is
 *	replaced by a table (Arm break-before-make)
 * @root_pointer: the value a hypervisor loads (EPTP, nCR3, VTTBR_EL2,
 *	hgatp); *@walk_config gets VTCR_EL2's fields for Arm, 0 elsewhere
 */
struct gpt_fmt {
	u32 format;
	const char *name;
	struct gpt_geometry geo;
	u64 addr_mask;
	u32 addr_shift;
	struct gpt_table_bits table;
	struct gpt_leaf_bits leaf;
	u64 hw_bits;
	bool bbm;
	u64 (*root_pointer)(const struct gpt *pt, u64 *walk_config);
};

extern const struct gpt_fmt gpt_fmt_ept;
extern const struct gpt_fmt gpt_fmt_npt;
extern const struct gpt_fmt gpt_fmt_stage2;
extern const struct gpt_fmt gpt_fmt_gstage;

/**
 * struct gpt_mm_ops - where table pages come from, and what a change tells
 * @zalloc_pages: a zeroed, naturally aligned block of 1 << order pages
 *	allocated with @gfp, or NULL; returns its kernel address
 * @free_pages: give back what zalloc_pages returned, now
 * @free_unlinked: give back a table page an unmap unlinked, once no
 *	lockless reader (gpt_query() under rcu_read_lock()) can be in it:
 *	after an RCU grace period.  May be NULL: @free_pages then, for
 *	owners whose readers hold their lock.
 * @invalidate: leaves in [gpa, gpa + size) were cleared or downgraded, or
 *	(Arm break-before-make) a block was made invalid before it is replaced
 *	by a table; runs before any page such a leaf or table pointed to is
 *	freed or reused.  May be NULL.
 * @sync_leaf: the @size bytes at host-physical @pa are about to become
 *	visible to the guest through a present leaf of portable @prot (a new
 *	leaf, one made present again, or one that gains EXEC): make them
 *	coherent for a guest that may bypass the data cache or fetch
 *	instructions (Arm: KVM's clean to PoC and I-cache invalidate).  Runs
 *	before the leaf is written.  May be NULL (x86, RISC-V: coherent).
 */
struct gpt_mm_ops {
	void *(*zalloc_pages)(struct gpt *pt, unsigned int order, gfp_t gfp);
	void (*free_pages)(struct gpt *pt, void *va, unsigned int order);
	void (*free_unlinked)(struct gpt *pt, void *va);
	void (*invalidate)(struct gpt *pt, u64 gpa, u64 size);
	void (*sync_leaf)(struct gpt *pt, phys_addr_t pa, u64 size, u32 prot);
};

/**
 * struct gpt - one nested page table
 * @fmt: its format
 * @mm_ops: allocation and invalidation callbacks
 * @gpa_bits: guest-physical width
 * @levels: levels walked
 * @root_order: the root is 1 << root_order pages, naturally aligned
 * @root: kernel address of the root
 * @root_pa: host-physical address of the root
 * @nr_table_pages: 4 KiB table pages linked in, root included
 * @present_bytes: bytes covered by present leaves (prot 0 leaves excluded)
 * @nr_present: present leaves at each level
 * @gen: the change generation: odd while an entry that was not empty
 *	changes (gpt_set()) or while the owner changes what a lookup reports
 *	beside the table (gpt_gen_begin()); an answer read while it was even
 *	holds while it stays at that value
 * @priv: the owner's
 */
struct gpt {
	const struct gpt_fmt *fmt;
	const struct gpt_mm_ops *mm_ops;
	u32 gpa_bits;
	u32 levels;
	u32 root_order;
	u64 *root;
	phys_addr_t root_pa;
	u64 nr_table_pages;
	u64 present_bytes;
	u64 nr_present[GPT_MAX_LEVELS];
	u64 gen;
	void *priv;
};

/*
 * @pt->gen, written under the owner's table lock: begin makes it odd before
 * a change, end even after it.  64 bits: it never comes back to a value.
 */
static inline void gpt_gen_begin(struct gpt *pt)
{
	WRITE_ONCE(pt->gen, pt->gen + 1);
	/* odd before the change is visible */
	smp_wmb();
}

static inline void gpt_gen_end(struct gpt *pt)
{
	/* the change before the even value */
	smp_wmb();
	WRITE_ONCE(pt->gen, pt->gen + 1);
}

/* @pt->gen for a lockless reader; odd: a change is under way. */
static inline u64 gpt_gen_read(const struct gpt *pt)
{
	/* before the reader's loads: pairs with gpt_gen_begin()'s smp_wmb() */
	return smp_load_acquire(&pt->gen);
}

/* What a reader read since gpt_gen_read() gave @gen may have changed. */
static inline bool gpt_gen_retry(const struct gpt *pt, u64 gen)
{
	/* the reader's loads before the second look */
	smp_rmb();
	return READ_ONCE(pt->gen) != gen;
}

/**
 * struct gpt_cache - zeroed table pages one change may link
 * @pages: the pages, chained through page->lru
 * @nr: how many
 *
 * Filled with gpt_cache_topup() before the change (outside the caller's
 * lock), emptied with gpt_cache_free() after it: the arm64 kvm_pgtable's
 * memcache.  A change that finds too few pages in it fails with -ENOMEM
 * and changes nothing.
 */
struct gpt_cache {
	struct list_head pages;
	unsigned long nr;
};

static inline void gpt_cache_init(struct gpt_cache *mc)
{
	INIT_LIST_HEAD(&mc->pages);
	mc->nr = 0;
}

int gpt_cache_topup(struct gpt *pt, struct gpt_cache *mc, unsigned long nr,
		    gfp_t gfp);
void gpt_cache_free(struct gpt *pt, struct gpt_cache *mc);

/* gpt_map() flags */
#define GPT_MAP_NOHUGE		BIT(0)	/* 4 KiB leaves only */
#define GPT_MAP_KILLABLE	BIT(1)	/* -EINTR on a fatal signal */

/**
 * struct gpt_leaf - one leaf, as gpt_query() and unmap reports see it
 * @gpa: guest-physical base of the leaf
 * @pa: host-physical base of the leaf
 * @size: bytes it maps (4 KiB, 2 MiB or 1 GiB)
 * @level: its level, 0 = 4 KiB
 * @prot: portable prot and attributes (GPT_ATTR_DEVICE); a prot 0 leaf,
 *	non-present to the hardware, has no GASPACE_PROT_* bit
 */
struct gpt_leaf {
	u64 gpa;
	phys_addr_t pa;
	u64 size;
	u32 level;
	u32 prot;
};

/**
 * typedef gpt_leaf_fn - called for each leaf an unmap removed
 * @arg: the caller's cookie
 * @leaf: the removed leaf
 *
 * Runs after the invalidate callback for its range and before gpt_unmap()
 * returns, so the caller may free the memory the leaf mapped.  @leaf->prot
 * holds its attributes only (GPT_ATTR_DEVICE), no GASPACE_PROT_* bit.
 */
typedef void (*gpt_leaf_fn)(void *arg, const struct gpt_leaf *leaf);

/**
 * struct gpt_pa_src - host pages for gpt_map_src(), one leaf at a time
 * @get: give the host address for the leaf at @gpa: *@level (at most
 *	@max_level, which alignment and the range allow) and *@pa (aligned to
 *	that level's size).  Return 0 or a negative errno, which stops the map
 *	(e.g. -ENOMEM, -EINTR).
 * @put: the map failed: the leaf at @gpa that @get gave (@pa, @level) is no
 *	longer mapped and was invalidated; may be NULL
 */
struct gpt_pa_src {
	int (*get)(void *arg, u64 gpa, u32 max_level, phys_addr_t *pa,
		   u32 *level);
	void (*put)(void *arg, u64 gpa, phys_addr_t pa, u32 level);
};

int gpt_map(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
	    phys_addr_t hpa, u32 prot, u32 flags);
int gpt_map_src(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
		u32 prot, u32 flags, const struct gpt_pa_src *src, void *arg);
int gpt_unmap(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
	      gpt_leaf_fn removed, void *arg);
int gpt_protect(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
		u32 prot);
int gpt_query(const struct gpt *pt, u64 gpa, struct gpt_leaf *leaf);
unsigned long gpt_map_bound(const struct gpt *pt, u64 gpa, u64 size,
			    phys_addr_t hpa, u32 flags);
unsigned long gpt_split_bound(const struct gpt *pt);
long gpt_leaf_bound(const struct gpt *pt, u64 gpa, u32 level);
unsigned long gpt_wrprotect_bound(const struct gpt *pt, u64 gpa, u64 size);
long gpt_wrprotect(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
		   bool split);
int gpt_relax(struct gpt *pt, u64 gpa, u32 prot);
int gpt_collapse(struct gpt *pt, u64 gpa, u64 size, u32 max_level);
int gpt_split_at(struct gpt *pt, struct gpt_cache *mc, u64 gpa);
/* gpt_seek() flags */
#define GPT_SEEK_HOLE		BIT(0)	/* a byte no leaf maps (else one a leaf maps) */
#define GPT_SEEK_NEAR		BIT(1)	/* only in the table of @gpa's entry */
int gpt_seek(struct gpt *pt, u64 gpa, u64 end, u32 flags, u64 *at);

/* struct gpt_expect.fill: which pages of the range have a leaf */
enum gpt_fill {
	GPT_FILL_NONE,		/* none: no area holds the range */
	GPT_FILL_SOME,		/* those with memory (lazily populated) */
	GPT_FILL_ALL,		/* every page (fixed-offset memory) */
};

/**
 * struct gpt_expect - what an audit expects of the leaves over a range
 * @start: first address of the range this holds for (it holds the gpa
 *	asked)
 * @end: end of that range
 * @fill: which pages have a leaf (enum gpt_fill)
 * @prot: portable prot and attributes (GPT_ATTR_DEVICE) of the leaves
 * @max_level: the largest leaf level allowed (the format's block levels
 *	limit it further)
 * @exact: each leaf has the largest level allowed whose aligned block lies
 *	in [@start, @end) with gpa and host address equally aligned; without
 *	it, any level up to @max_level whose block lies in the range
 * @fixed: a leaf maps gpa + @delta; without it, any page of RAM
 * @delta: host minus guest address, with @fixed
 * @logged: a leaf may lack GASPACE_PROT_WRITE, and must when the owner's
 *	@clean callback says the page is clean
 * @owned: the owner counts the pages of these leaves
 *	(struct gpt_audit.nr_owned)
 */
struct gpt_expect {
	u64 start;
	u64 end;
	u32 fill;
	u32 prot;
	u32 max_level;
	bool exact;
	bool fixed;
	u64 delta;
	bool logged;
	bool owned;
};

/**
 * struct gpt_audit_ops - the owner's view of what the table should hold
 * @expect: fill *@e for the range that holds @gpa
 * @clean: whether the page of @gpa (in a @logged range) is clean, so its
 *	leaf must lack W; may be NULL (never clean)
 */
struct gpt_audit_ops {
	void (*expect)(void *arg, u64 gpa, struct gpt_expect *e);
	bool (*clean)(void *arg, u64 gpa);
};

/**
 * struct gpt_audit - what gpt_audit() found
 * @nr_entries: non-empty entries checked (tables and leaves)
 * @nr_errors: entries that break a rule, and counters of the table that
 *	disagree with what was found
 * @first_gpa: the first error in gpa order (0 when there is none)
 * @first_level: its level
 * @nr_owned: 4 KiB pages of leaves in ranges marked @owned
 */
struct gpt_audit {
	u64 nr_entries;
	u64 nr_errors;
	u64 first_gpa;
	u32 first_level;
	u64 nr_owned;
};

int gpt_audit(struct gpt *pt, const struct gpt_audit_ops *ops, void *arg,
	      struct gpt_audit *out);
void gpt_audit_error(struct gpt_audit *out, u64 gpa, u32 level);
void gpt_report_leaves(struct gpt *pt, u64 start, u64 end, gpt_leaf_fn fn,
		       void *arg);

const struct gpt_fmt *gpt_fmt_get(u32 format);
u64 gpt_leaf_tmpl(const struct gpt_fmt *fmt, u32 prot, u32 level);
int gpt_geometry(u32 format, u32 *gpa_bits, u32 *levels, u32 *root_order);
int gpt_init(struct gpt *pt, u32 format, u32 gpa_bits,
	     const struct gpt_mm_ops *mm_ops, void *priv, gfp_t gfp);
void gpt_destroy(struct gpt *pt, gpt_leaf_fn removed, void *arg);

static inline u64 gpt_root_pointer(const struct gpt *pt)
{
	u64 cfg;

	return pt->fmt->root_pointer(pt, &cfg);
}

static inline u64 gpt_walk_config(const struct gpt *pt)
{
	u64 cfg;

	pt->fmt->root_pointer(pt, &cfg);
	return cfg;
}

/* Bytes one entry at @level maps. */
static inline u64 gpt_level_size(u32 level)
{
	return 1ULL << (GPT_PAGE_SHIFT + GPT_LEVEL_BITS * level);
}

/* Bits of the gpa that index the table at @level. */
static inline u32 gpt_level_shift(u32 level)
{
	return GPT_PAGE_SHIFT + GPT_LEVEL_BITS * level;
}

/* Index bits of the root: more than 9 for concatenated / x4 roots. */
static inline u32 gpt_root_index_bits(u32 gpa_bits, u32 levels)
{
	return gpa_bits - gpt_level_shift(levels - 1);
}

/* ---- entries: every format's, from its data and two converters ---- */

/* An entry's address bits for @pa, and back. */
static inline u64 gpt_addr_bits(const struct gpt_fmt *fmt, phys_addr_t pa)
{
	return ((u64)pa >> fmt->addr_shift) & fmt->addr_mask;
}

static inline phys_addr_t gpt_entry_pa(const struct gpt_fmt *fmt, u64 pte)
{
	return (pte & fmt->addr_mask) << fmt->addr_shift;
}

static inline bool gpt_is_table(const struct gpt_fmt *fmt, u64 pte, u32 level)
{
	return level && (pte & fmt->table.mask) == fmt->table.bits;
}

/**
 * gpt_leaf_prot() - what a leaf allows, read back from its bits
 * @fmt: the format
 * @pte: a leaf
 *
 * Return: its portable prot (what the hardware allows: every present NPT
 * leaf reads) and attributes; no GASPACE_PROT_* bit for a non-present one.
 */
static inline u32 gpt_leaf_prot(const struct gpt_fmt *fmt, u64 pte)
{
	const struct gpt_leaf_bits *b = &fmt->leaf;
	bool present = (pte & b->present) == b->present &&
		       !(pte & GPT_SW_PROTNONE);
	u32 prot = 0;

	if (b->read ? pte & b->read : present)
		prot |= GASPACE_PROT_READ;
	if (pte & b->write)
		prot |= GASPACE_PROT_WRITE;
	if (b->exec ? pte & b->exec : present && !(pte & b->noexec))
		prot |= GASPACE_PROT_EXEC;
	if (b->type_mask && (pte & b->type_mask) == b->device)
		prot |= GPT_ATTR_DEVICE;
	return prot;
}

/* A leaf: not empty, not a table. */
static inline bool gpt_is_leaf(const struct gpt_fmt *fmt, u64 pte, u32 level)
{
	return pte && !gpt_is_table(fmt, pte, level);
}

/* A leaf the hardware sees (prot 0 leaves are marked GPT_SW_PROTNONE). */
static inline bool gpt_is_present(const struct gpt_fmt *fmt, u64 pte,
				  u32 level)
{
	return gpt_is_leaf(fmt, pte, level) && !(pte & GPT_SW_PROTNONE);
}

static inline u64 gpt_encode_table(const struct gpt_fmt *fmt, phys_addr_t pa)
{
	return fmt->table.attrs | gpt_addr_bits(fmt, pa);
}

static inline u64 gpt_encode_leaf(const struct gpt_fmt *fmt, phys_addr_t pa,
				  u32 prot, u32 level)
{
	return gpt_leaf_tmpl(fmt, prot, level) | gpt_addr_bits(fmt, pa);
}

#endif /* _GASPACE_NPT_PGTABLE_H */
