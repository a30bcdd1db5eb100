// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: random calls, only documented results (issue 8, part 3).
 *
 * Random ioctl numbers (gaspace's own, its magic with other numbers,
 * directions and sizes, and any number the VFS does not claim itself),
 * random struct bytes (mutations of valid structs and plain noise), bad
 * pointers (NULL, never mapped, PROT_NONE, read-only, kernel and
 * non-canonical addresses, structs that run into an inaccessible page),
 * wrong fds (/dev/null, a pipe, a memfd, a closed fd, /dev/gaspace for a
 * space's calls and a space for /dev/gaspace's), and random pread, pwrite
 * and mmap arguments on spaces of every format.  The dirty log's calls
 * (DIRTY_LOG_ENABLE, DIRTY_LOG_DISABLE, GET_DIRTY_LOG) are among the
 * space's calls, with random bitmaps and bitmap pointers as well.  So are
 * userfault's: MAP_ALLOC makes USERFAULT areas, FILL gets random ranges
 * and sources, USERFAULT_FD random flags.  The first two spaces hold a
 * userfault fd throughout, whose resolver thread FILLs the page of each
 * event with zeros, so that every access there completes; the other two
 * hold none, so that an access to a missing page of a USERFAULT area
 * fails at once (-EIO, SIGBUS) there.
 *
 * Each result is checked against the list gaspace.rst 3-5 documents for
 * that call; where the arguments alone decide the result (EFAULT, EINVAL,
 * ERANGE, ENOTTY) it must be exactly that one.  A dirty-log call or a FILL
 * that fails must leave GET_INFO and TRANSLATE of a few addresses as they
 * were (a FILL that succeeds adds its pages to nr_data_pages);
 * a report must zero the bits past its range and report at most
 * nr_dirty_pages pages.  Then the spaces are
 * emptied: their counters go back to the empty space's, and once they are
 * closed every table page is gone.
 *
 * GASPACE_FUZZ_CALLS: calls in all (default 100000); GASPACE_SEED: the
 * seed (printed as a TAP comment), so that a failing run can be replayed.
 * Pointers the kernel may write through never point into the test's own
 * data: only into a scratch area, guest mmaps or inaccessible memory.
 */
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/mman.h>

#include "gaspace_util.h"
#include "gaspace_random.h"
#include "kselftest_harness.h"

#define DEF_CALLS	100000ULL
#define NR_SPACES	4
#define SPACE_BASE	SZ_1G
#define SPACE_SIZE	(16 * SZ_2M / 2)	/* 16 MiB */
#define SCRATCH		(64 * 1024)
#define NR_CASES	4
#define NR_UFDS		2		/* spaces with a userfault fd */

/* bits that say "this call may have returned that" */
/* a set of errnos up to 127 */
#define E(x)		((__uint128_t)1 << (x))
#define OK		E(0)

/* FILLs the page of each event of a space's userfault fd with zeros. */
struct resolver {
	pthread_t th;
	int fd, ufd;
	int stop;
	bool running;
};

struct fuzz {
	__u64 rng;
	__u64 seed;
	int dev;
	struct gas_space s[NR_SPACES];
	struct resolver res[NR_UFDS];
	int devnull, pipe[2], memfd, closed;
	/* [RW x 16][NONE][RO][NONE]: structs live at the end of RW */
	unsigned char *scratch, *none, *ro;
	unsigned char *prot_none;	/* reserved, never accessible */
	unsigned long calls;
	char why[1024];
};

static __u64 rnd(struct fuzz *f)
{
	return gas_rnd(&f->rng);
}

static __u64 below(struct fuzz *f, __u64 n)
{
	return n ? rnd(f) % n : 0;
}

static unsigned long long calls_per_case(void)
{
	return (env_number("GASPACE_FUZZ_CALLS", DEF_CALLS) + NR_CASES - 1) /
	       NR_CASES;
}

/* A result outside @allowed: note the call, return -1. */
static int verdict(struct fuzz *f, long ret, __uint128_t allowed,
		   const char *fmt, ...)
{
	char call[700];
	va_list ap;
	int e;

	f->calls++;
	if (ret >= 0 ? allowed & OK : (-ret < 128 && (allowed & E(-ret))))
		return 0;
	va_start(ap, fmt);
	vsnprintf(call, sizeof(call), fmt, ap);
	va_end(ap);
	snprintf(f->why, sizeof(f->why), "call %lu: %s = %ld; allowed:%s",
		 f->calls, call, ret, allowed & OK ? " >=0" : "");
	for (e = 1; e < 128; e++)
		if (allowed & E(e))
			snprintf(f->why + strlen(f->why),
				 sizeof(f->why) - strlen(f->why), " -%d", e);
	return -1;
}

/* ---- values worth trying ---- */

static __u64 any_u64(struct fuzz *f, const struct gas_space *s)
{
	static const __u64 fixed[] = {
		0, 1, PAGE_4K, SZ_2M, SZ_1G, ~0ULL, ~0ULL - PAGE_4K + 1,
		1ULL << 63, 1ULL << 47, 1ULL << 48, 1ULL << 52, 1ULL << 57,
	};
	__u64 end = s->base + s->size;

	switch (below(f, 10)) {
	case 0:
		return fixed[below(f, ARRAY_LEN(fixed))];
	case 1:
		return rnd(f);
	case 2:
		return rnd(f) & ((1ULL << below(f, 64)) - 1);
	case 3:
		return s->base + below(f, s->size + 1);
	case 4:
		return end - PAGE_4K * below(f, 4);
	case 5:
		return BIT_ULL(s->bits) - PAGE_4K * below(f, 3);
	default:
		return s->base + below(f, s->size / PAGE_4K + 1) * PAGE_4K;
	}
}

static __u64 any_size(struct fuzz *f, const struct gas_space *s)
{
	switch (below(f, 6)) {
	case 0:
		return any_u64(f, s);
	case 1:
		return 0;
	default:
		return (1 + below(f, 1ULL << below(f, 13))) * PAGE_4K;
	}
}

static __u32 any_prot(struct fuzz *f)
{
	switch (below(f, 6)) {
	case 0:
		return rnd(f);
	case 1:
		return 1u << below(f, 32);
	default:
		return below(f, 8);
	}
}

static __u32 any_flags(struct fuzz *f)
{
	switch (below(f, 5)) {
	case 0:
		return rnd(f);
	case 1:
		return 1u << below(f, 32);
	default:
		return rnd(f) & 0x3f & ~(below(f, 3) ? GASPACE_MAP_POPULATE : 0);
	}
}

/* ---- pointers ---- */

enum ptr_kind { P_GOOD, P_NULL, P_LOW, P_NONE, P_KERNEL, P_NONCANON,
	P_STRADDLE, P_RO, P_KINDS };

static const char *const ptr_names[] = {
	"good", "NULL", "low", "PROT_NONE", "kernel", "non-canonical",
	"straddle", "read-only",
};

struct ptr {
	enum ptr_kind kind;
	unsigned char *p;
	size_t readable, writable;	/* bytes from p */
};

/* A pointer for @len bytes of argument; good most of the time. */
static struct ptr any_ptr(struct fuzz *f, size_t len)
{
	struct ptr r = { .kind = below(f, 10) < 7 ? P_GOOD :
				 (enum ptr_kind)(1 + below(f, P_KINDS - 1)) };
	size_t k;

	switch (r.kind) {
	case P_GOOD:
		r.p = f->none - len - below(f, 64);
		r.readable = len;
		r.writable = len;
		break;
	case P_NULL:
		r.p = NULL;
		break;
	case P_LOW:
		r.p = (unsigned char *)(uintptr_t)(below(f, 0x8000) & ~7ULL);
		break;
	case P_NONE:
		r.p = f->prot_none + below(f, 16 * PAGE_4K - len);
		break;
	case P_KERNEL: {
		static const __u64 k[] = {
			0xffff888000000000ULL, 0xffffffff81000000ULL,
			0xffffc90000000000ULL, 0xfffffffffffff000ULL,
		};
		r.p = (unsigned char *)(uintptr_t)k[below(f, ARRAY_LEN(k))];
		break;
	}
	case P_NONCANON:
		r.p = (unsigned char *)(uintptr_t)(0x8000000000000000ULL +
						   (below(f, 1 << 20) << 12));
		break;
	case P_STRADDLE:
		k = 1 + below(f, len > 1 ? len - 1 : 1);
		if (k >= len)
			k = len - 1;
		r.p = f->none - k;
		r.readable = k;
		r.writable = k;
		break;
	case P_RO:
		r.p = f->ro + below(f, PAGE_4K - len);
		r.readable = PAGE_4K;
		break;
	default:
		break;
	}
	return r;
}

static void fill(struct fuzz *f, struct ptr *p, const void *src, size_t len)
{
	if (p->kind == P_GOOD)
		memcpy(p->p, src, len);
	else if (p->kind == P_STRADDLE)
		memcpy(p->p, src, p->writable);
}

/* ---- the argument rules of gaspace.rst 3 ---- */

static bool bad_prot(__u32 prot)
{
	return (prot & ~GAS_PROT_RWX) ||
	       ((prot & GASPACE_PROT_WRITE) && !(prot & GASPACE_PROT_READ));
}

static bool unaligned(__u64 x)
{
	return x & (PAGE_4K - 1);
}

/* 0 when the arguments pass, else the errno the call must return. */
static int map_rules(const struct gas_space *s, bool linear,
		     const struct gaspace_map *m)
{
	__u32 known = GAS_MAP_FLAGS | GASPACE_MAP_USERFAULT;
	__u32 foreign = linear ? GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE |
				 GASPACE_MAP_USERFAULT :
				 GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE;
	/* USERFAULT pages come from FILL, one 4 KiB page at a time */
	bool uf_with = (m->flags & GASPACE_MAP_USERFAULT) &&
		       (m->flags & (GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));

	if (m->reserved[0] || m->reserved[1] || (m->flags & ~known) ||
	    (m->flags & foreign) || uf_with || bad_prot(m->prot) ||
	    (!linear && m->hpa) || unaligned(m->gpa) || unaligned(m->size) ||
	    (linear && unaligned(m->hpa)) || !m->size ||
	    m->gpa + m->size < m->gpa)
		return -EINVAL;
	if (linear && (m->hpa + m->size < m->hpa ||
		       m->hpa + m->size > BIT_ULL(s->pa_bits)))
		return -EINVAL;
	if (m->gpa < s->base || m->gpa + m->size > s->base + s->size)
		return -ERANGE;
	return 0;
}

static int range_rules(const struct gas_space *s, bool protect,
		       const struct gaspace_range *r)
{
	if (r->reserved[0] || r->reserved[1] || r->flags ||
	    (protect ? bad_prot(r->prot) : r->prot != 0) ||
	    unaligned(r->gpa) || unaligned(r->size) || !r->size ||
	    r->gpa + r->size < r->gpa)
		return -EINVAL;
	if (r->gpa < s->base || r->gpa + r->size > s->base + s->size)
		return -ERANGE;
	return 0;
}

static int fill_rules(const struct gas_space *s, const struct gaspace_fill *f)
{
	if (f->flags || f->pad || f->reserved[0] || f->reserved[1] ||
	    unaligned(f->gpa) || unaligned(f->size) || !f->size ||
	    f->gpa + f->size < f->gpa)
		return -EINVAL;
	if (f->gpa < s->base || f->gpa + f->size > s->base + s->size)
		return -ERANGE;
	return 0;
}

static int map_user_rules(const struct gas_space *s,
			  const struct gaspace_map_user *m)
{
	if (m->reserved[0] || m->reserved[1] ||
	    (m->flags & ~(GASPACE_MAP_REPLACE | GASPACE_MAP_NOHUGE)) ||
	    bad_prot(m->prot) || unaligned(m->gpa) || unaligned(m->size) ||
	    unaligned(m->uaddr) || !m->size || m->gpa + m->size < m->gpa ||
	    m->uaddr + m->size < m->uaddr)
		return -EINVAL;
	if (m->gpa < s->base || m->gpa + m->size > s->base + s->size)
		return -ERANGE;
	return 0;
}

static int dirty_log_rules(const struct gas_space *s,
			   const struct gaspace_dirty_log *d)
{
	__u32 both = GASPACE_DIRTY_CLEAR | GASPACE_DIRTY_SET;

	if (d->pad || d->reserved[0] || d->reserved[1] ||
	    (d->flags & ~both) || (d->flags & both) == both ||
	    unaligned(d->gpa) || unaligned(d->size) || !d->size ||
	    d->gpa + d->size < d->gpa)
		return -EINVAL;
	if (d->gpa < s->base || d->gpa + d->size > s->base + s->size)
		return -ERANGE;
	return 0;
}

static bool create_ok(const struct gaspace_create *c)
{
	unsigned int bits = c->gpa_bits ? c->gpa_bits :
			    gas_default_bits(c->format);

	return c->format >= 1 && c->format <= 4 &&
	       (!c->gpa_bits || gas_bits_allowed(c->format, c->gpa_bits)) &&
	       !c->flags && !c->reserved[0] && !c->reserved[1] &&
	       !c->reserved[2] && !c->reserved[3] && !unaligned(c->base) &&
	       !unaligned(c->size) && c->size && c->base + c->size > c->base &&
	       c->base + c->size <= BIT_ULL(bits);
}

/* ---- ioctl numbers ---- */

static const unsigned int dev_cmds[] = {
	GASPACE_GET_API_VERSION, GASPACE_CHECK_EXTENSION, GASPACE_CREATE,
};

static const unsigned int space_cmds[] = {
	GASPACE_MAP_LINEAR, GASPACE_MAP_ALLOC, GASPACE_UNMAP, GASPACE_PROTECT,
	GASPACE_TRANSLATE, GASPACE_FAULT, GASPACE_GET_INFO,
	GASPACE_DIRTY_LOG_ENABLE, GASPACE_DIRTY_LOG_DISABLE,
	GASPACE_GET_DIRTY_LOG, GASPACE_USERFAULT_FD, GASPACE_FILL,
	GASPACE_MAP_USER,
	GASPACE_AUDIT,
};

/*
 * Numbers that do_vfs_ioctl() answers before any driver sees them
 * (FIOCLEX, FIONBIO, FIGETBSZ, FIFREEZE, FS_IOC_*, FICLONE, ...): types
 * 'T', 'X', 'f', 0x94 and 0.
 */
static bool vfs_claims(unsigned int cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 'T' || type == 'X' || type == 'f' || type == 0x94 ||
	       type == 0;
}

static unsigned int any_cmd(struct fuzz *f, bool space)
{
	unsigned int cmd;

	switch (below(f, 8)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return space ? space_cmds[below(f, ARRAY_LEN(space_cmds))] :
			       dev_cmds[below(f, ARRAY_LEN(dev_cmds))];
	case 4:		/* the other fd's numbers */
		return space ? dev_cmds[below(f, ARRAY_LEN(dev_cmds))] :
			       space_cmds[below(f, ARRAY_LEN(space_cmds))];
	case 5:		/* a known number with another dir or size */
		cmd = space ? space_cmds[below(f, ARRAY_LEN(space_cmds))] :
			      dev_cmds[below(f, ARRAY_LEN(dev_cmds))];
		if (rnd(f) & 1)
			return _IOC(below(f, 4), GASPACE_IO, _IOC_NR(cmd),
				    _IOC_SIZE(cmd));
		return _IOC(_IOC_DIR(cmd), GASPACE_IO, _IOC_NR(cmd),
			    below(f, 1 << 14));
	case 6:
		return _IOC(below(f, 4), GASPACE_IO, below(f, 0x20),
			    rnd(f) & 1 ? below(f, 1 << 14) : 8 * below(f, 12));
	default:
		do {
			cmd = rnd(f);
		} while (vfs_claims(cmd));
		return cmd;
	}
}

static bool is_one_of(unsigned int cmd, const unsigned int *cmds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (cmds[i] == cmd)
			return true;
	return false;
}

/* ---- one ioctl on /dev/gaspace ---- */

static int fuzz_dev(struct fuzz *f)
{
	unsigned int cmd = any_cmd(f, false);
	const struct gas_space *s = &f->s[below(f, NR_SPACES)];
	struct gaspace_create c;
	unsigned long arg;
	struct ptr p;
	bool ok;
	long ret;

	if (cmd == GASPACE_GET_API_VERSION || cmd == GASPACE_CHECK_EXTENSION) {
		arg = below(f, 3) ? below(f, 7) : rnd(f);
		ret = gas_ioctl(f->dev, cmd, arg);
		if (cmd == GASPACE_GET_API_VERSION)
			return verdict(f, ret, arg ? E(EINVAL) :
					  ret == GASPACE_API_VERSION ? OK : 0,
				       "GET_API_VERSION(%#lx)", arg);
		switch (arg) {
		case GASPACE_CAP_FORMATS:
			ok = ret == (long)ALL_FORMATS_MASK;
			break;
		case GASPACE_CAP_HUGE:
			ok = (ret & (SZ_2M | SZ_1G)) == (long)(SZ_2M | SZ_1G);
			break;
		case GASPACE_CAP_MMAP:
			ok = ret == 1;
			break;
		case GASPACE_CAP_MAX_AREAS:
			ok = ret > 0;
			break;
		case GASPACE_CAP_DIRTY_LOG:
		case GASPACE_CAP_USERFAULT:
		case GASPACE_CAP_MAP_USER:
			ok = ret == 1;
			break;
		default:
			ok = ret == 0;
			break;
		}
		return verdict(f, ret, ok ? OK : 0, "CHECK_EXTENSION(%#lx)",
			       arg);
	}
	if (cmd != GASPACE_CREATE) {
		arg = rnd(f) & 1 ? rnd(f) : (unsigned long)f->scratch;
		ret = gas_ioctl(f->dev, cmd, arg);
		return verdict(f, ret, E(ENOTTY), "dev ioctl(%#x, %#lx)", cmd,
			       arg);
	}
	memset(&c, 0, sizeof(c));
	if (below(f, 4)) {
		c.format = 1 + below(f, 4);
		c.gpa_bits = below(f, 2) ? 0 : below(f, 64);
		c.base = below(f, 2) ? 0 : any_u64(f, s);
		c.size = any_size(f, s);
		if (!below(f, 8))
			c.flags = 1ULL << below(f, 64);
		if (!below(f, 8))
			c.reserved[below(f, 4)] = 1ULL << below(f, 64);
	} else {
		__u64 *w = (__u64 *)&c;
		size_t i;

		for (i = 0; i < sizeof(c) / 8; i++)
			w[i] = rnd(f);
	}
	p = any_ptr(f, sizeof(c));
	fill(f, &p, &c, sizeof(c));
	if (p.kind == P_RO)
		memcpy(&c, p.p, sizeof(c));
	ret = gas_ioctl_ptr(f->dev, GASPACE_CREATE, p.p);
	if (ret >= 0)
		close(ret);
	if (p.readable < sizeof(c))
		return verdict(f, ret, E(EFAULT), "CREATE(%s ptr)",
			       ptr_names[p.kind]);
	return verdict(f, ret, create_ok(&c) ? OK | E(ENOMEM) | E(EMFILE) :
					       E(EINVAL),
		       "CREATE(format %u bits %u base %#llx size %#llx flags %#llx rsv %llx %llx %llx %llx)",
		       c.format, c.gpa_bits, (unsigned long long)c.base,
		       (unsigned long long)c.size, (unsigned long long)c.flags,
		       (unsigned long long)c.reserved[0],
		       (unsigned long long)c.reserved[1],
		       (unsigned long long)c.reserved[2],
		       (unsigned long long)c.reserved[3]);
}

/* ---- one ioctl on an address-space fd ---- */

static void noise(struct fuzz *f, void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = rnd(f);
}

/*
 * A bitmap pointer for GET_DIRTY_LOG of @size bytes; *@blen is the length
 * the call reads or writes.  Good ones lie at the start of the scratch
 * area, away from the struct at its end, and hold noise.
 */
static struct ptr any_bitmap(struct fuzz *f, __u64 size, size_t *blen)
{
	struct ptr r = { .kind = P_NULL };

	*blen = (size / PAGE_4K + 63) / 64 * 8;
	if (!*blen || *blen > SCRATCH / 2)
		return r;	/* EINVAL or ERANGE comes first */
	r = any_ptr(f, *blen);
	if (r.kind == P_RO && *blen > PAGE_4K)
		r = (struct ptr){ .kind = P_NULL };
	if (r.kind == P_GOOD) {
		r.p = f->scratch + 8 * below(f, 64);
		noise(f, r.p, *blen);
	}
	return r;
}

/* A GET_DIRTY_LOG report that cannot be right: -1 with f->why set. */
static int bad_report(struct fuzz *f, const struct gaspace_dirty_log *d,
		      const struct ptr *bp, const struct gas_snapshot *before,
		      const struct gas_snapshot *after)
{
	__u64 pages = d->size / PAGE_4K, words = (pages + 63) / 64, n = 0, i;
	const __u64 *bits = (const __u64 *)bp->p;
	__u64 want;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(bits[i]);
	if (pages % 64 && bits[words - 1] >> (pages % 64)) {
		snprintf(f->why, sizeof(f->why),
			 "GET_DIRTY_LOG %#llx+%#llx: bits past the range: %#llx",
			 (unsigned long long)d->gpa,
			 (unsigned long long)d->size,
			 (unsigned long long)bits[words - 1]);
		return -1;
	}
	want = before->info.nr_dirty_pages;
	if (d->flags & GASPACE_DIRTY_CLEAR)
		want -= n;
	if (n > before->info.nr_dirty_pages ||
	    after->info.nr_dirty_pages != want) {
		snprintf(f->why, sizeof(f->why),
			 "GET_DIRTY_LOG %#llx+%#llx flags %u: %llu pages reported, nr_dirty_pages %llu before, %llu after",
			 (unsigned long long)d->gpa,
			 (unsigned long long)d->size, d->flags,
			 (unsigned long long)n,
			 (unsigned long long)before->info.nr_dirty_pages,
			 (unsigned long long)after->info.nr_dirty_pages);
		return -1;
	}
	return 0;
}

static bool is_dirty_cmd(unsigned int cmd)
{
	return cmd == GASPACE_DIRTY_LOG_ENABLE ||
	       cmd == GASPACE_DIRTY_LOG_DISABLE ||
	       cmd == GASPACE_GET_DIRTY_LOG;
}

/*
 * What a dirty-log call changed: nothing when it failed.  A CLEAR whose
 * bitmap could not be written puts the bits back, but the leaves of the
 * dirty pages lost W on the way (harmless: their next write marks them
 * again), so W is not compared then.
 */
static int dirty_changes(struct fuzz *f, unsigned int cmd,
			 const void *arg, long ret,
			 const struct gas_snapshot *before,
			 struct gas_snapshot *after)
{
	const struct gaspace_dirty_log *d = arg;
	const struct gaspace_range *r = arg;
	int i;

	if (ret < 0) {
		if (cmd == GASPACE_GET_DIRTY_LOG && ret == -EFAULT &&
		    (d->flags & GASPACE_DIRTY_CLEAR)) {
			for (i = 0; i < after->nr; i++)
				if (!((before->t[i].prot ^ after->t[i].prot) &
				      ~GASPACE_PROT_WRITE))
					after->t[i].prot = before->t[i].prot;
		}
		if (gas_snapshot_equal(before, after))
			return 0;
		snprintf(f->why, sizeof(f->why),
			 "call %lu: failed dirty-log call %#x (%ld) changed GET_INFO or TRANSLATE",
			 f->calls, cmd, ret);
		return -1;
	}
	if (cmd == GASPACE_GET_DIRTY_LOG)
		return 0;
	if (cmd == GASPACE_DIRTY_LOG_ENABLE ?
	    after->info.nr_dirty_pages == before->info.nr_dirty_pages :
	    after->info.nr_dirty_pages <= before->info.nr_dirty_pages)
		return 0;
	snprintf(f->why, sizeof(f->why),
		 "call %lu: DIRTY_LOG_%s %#llx+%#llx: nr_dirty_pages %llu -> %llu",
		 f->calls,
		 cmd == GASPACE_DIRTY_LOG_ENABLE ? "ENABLE" : "DISABLE",
		 (unsigned long long)r->gpa, (unsigned long long)r->size,
		 (unsigned long long)before->info.nr_dirty_pages,
		 (unsigned long long)after->info.nr_dirty_pages);
	return -1;
}

/*
 * What a FILL changed: nothing when it failed; its pages' frames, and
 * nothing else GET_INFO counts but what they map, when it succeeded.
 */
static int fill_changes(struct fuzz *f, const struct gaspace_fill *fi,
			long ret, const struct gas_snapshot *before,
			const struct gas_snapshot *after)
{
	const struct gaspace_info *b = &before->info, *a = &after->info;
	__u64 pages = fi->size / PAGE_4K;

	if (ret < 0 ? gas_snapshot_equal(before, after) :
	    a->nr_data_pages == b->nr_data_pages + pages &&
	    a->nr_demand_faults == b->nr_demand_faults + pages &&
	    a->nr_areas == b->nr_areas &&
	    a->nr_userfaults == b->nr_userfaults &&
	    a->mapped_bytes - b->mapped_bytes <= fi->size)
		return 0;
	snprintf(f->why, sizeof(f->why),
		 "call %lu: FILL %#llx+%#llx (%ld): nr_data_pages %llu -> %llu, nr_demand_faults %llu -> %llu, or TRANSLATE changed",
		 f->calls, (unsigned long long)fi->gpa,
		 (unsigned long long)fi->size, ret,
		 (unsigned long long)b->nr_data_pages,
		 (unsigned long long)a->nr_data_pages,
		 (unsigned long long)b->nr_demand_faults,
		 (unsigned long long)a->nr_demand_faults);
	return -1;
}

/* USERFAULT_FD: the first NR_UFDS spaces hold theirs throughout. */
static int fuzz_ufd(struct fuzz *f, struct gas_space *s, int idx)
{
	unsigned long arg = below(f, 4) ? below(f, 2) :
			    below(f, 2) ? 1UL << below(f, 64) : rnd(f);
	__uint128_t allowed;
	long ret;

	ret = gas_ioctl(s->fd, GASPACE_USERFAULT_FD, arg);
	if (ret >= 0)
		close(ret);
	if (arg & ~(unsigned long)GASPACE_UFD_NONBLOCK)
		allowed = E(EINVAL);
	else if (idx < NR_UFDS)
		allowed = E(EBUSY);
	else
		allowed = OK | E(EMFILE) | E(ENOMEM);
	return verdict(f, ret, allowed, "USERFAULT_FD(fd of %s/%u, %#lx)",
		       gas_format_name(s->format), s->bits, arg);
}

/*
 * A source for FILL: zeros, the scratch area, or memory it cannot read.
 * *@readable: the bytes from it that are readable (~0 for zeros).
 */
static __u64 any_src(struct fuzz *f, __u64 *readable)
{
	__u64 off;

	switch (below(f, 6)) {
	case 0:
	case 1:
		*readable = ~0ULL;
		return 0;
	case 2:
	case 3:
		off = 8 * below(f, 64);
		*readable = SCRATCH - off;
		return (uintptr_t)(f->scratch + off);
	case 4:
		off = 8 * below(f, 8);
		*readable = off;
		return (uintptr_t)(f->none - off);
	default:
		*readable = 0;
		return rnd(f) & 1 ? (uintptr_t)f->prot_none :
				    0xffff888000000000ULL;
	}
}

static int fuzz_space(struct fuzz *f)
{
	int idx = below(f, NR_SPACES);
	struct gas_space *s = &f->s[idx];
	unsigned int cmd = any_cmd(f, true);
	bool raw = !below(f, 6);
	union {
		struct gaspace_map m;
		struct gaspace_range r;
		struct gaspace_translation t;
		struct gaspace_fault fa;
		struct gaspace_info i;
		struct gaspace_dirty_log d;
		struct gaspace_fill fi;
		struct gaspace_map_user mu;
		struct gaspace_audit a;
	} u, out;
	struct gas_snapshot before, after;
	struct ptr bp = { .kind = P_NULL };
	size_t len = _IOC_SIZE(cmd), blen = 0;
	__u64 probe[4], src_readable = ~0ULL;
	bool snap;
	const char *name;
	__uint128_t allowed;
	struct ptr p;
	long ret;
	int rule;

	if (!is_one_of(cmd, space_cmds, ARRAY_LEN(space_cmds))) {
		unsigned long arg = rnd(f) & 1 ? rnd(f) :
				    (unsigned long)f->scratch;

		ret = gas_ioctl(s->fd, cmd, arg);
		return verdict(f, ret, E(ENOTTY), "space ioctl(%#x, %#lx)",
			       cmd, arg);
	}
	if (cmd == GASPACE_USERFAULT_FD)
		return fuzz_ufd(f, s, idx);
	memset(&u, 0, sizeof(u));
	switch (cmd) {
	case GASPACE_MAP_LINEAR:
	case GASPACE_MAP_ALLOC:
		u.m.gpa = any_u64(f, s);
		u.m.size = any_size(f, s);
		u.m.hpa = cmd == GASPACE_MAP_ALLOC && below(f, 4) ? 0 :
			  below(f, 2) ? BIT_ULL(40) + any_size(f, s) :
					any_u64(f, s);
		u.m.prot = any_prot(f);
		u.m.flags = any_flags(f);
		if (!below(f, 10))
			u.m.reserved[below(f, 2)] = 1ULL << below(f, 64);
		break;
	case GASPACE_UNMAP:
	case GASPACE_PROTECT:
	case GASPACE_DIRTY_LOG_ENABLE:
	case GASPACE_DIRTY_LOG_DISABLE:
		u.r.gpa = any_u64(f, s);
		u.r.size = any_size(f, s);
		u.r.prot = cmd != GASPACE_PROTECT && below(f, 4) ? 0 :
			   any_prot(f);
		u.r.flags = below(f, 4) ? 0 : any_flags(f);
		if (!below(f, 10))
			u.r.reserved[below(f, 2)] = 1ULL << below(f, 64);
		break;
	case GASPACE_TRANSLATE:
		noise(f, &u.t, sizeof(u.t));	/* outputs: ignored */
		u.t.gpa = any_u64(f, s) + below(f, PAGE_4K);
		break;
	case GASPACE_FAULT:
		u.fa.gpa = any_u64(f, s) + below(f, PAGE_4K);
		u.fa.access = below(f, 4) ? below(f, 8) : any_prot(f);
		u.fa.flags = below(f, 6) ? 0 : any_flags(f);
		break;
	case GASPACE_GET_DIRTY_LOG:
		u.d.gpa = any_u64(f, s);
		u.d.size = any_size(f, s);
		u.d.flags = below(f, 8) ? below(f, 3) :
			    below(f, 2) ? 3 : any_flags(f);
		if (!below(f, 12))
			u.d.pad = 1u << below(f, 32);
		if (!below(f, 12))
			u.d.reserved[below(f, 2)] = 1ULL << below(f, 64);
		bp = any_bitmap(f, u.d.size, &blen);
		u.d.bitmap = (uintptr_t)bp.p;
		break;
	case GASPACE_FILL:
		u.fi.gpa = any_u64(f, s);
		u.fi.size = below(f, 2) ? (1 + below(f, 8)) * PAGE_4K :
					  any_size(f, s);
		u.fi.src = any_src(f, &src_readable);
		if (!below(f, 12))
			u.fi.flags = 1u << below(f, 32);
		if (!below(f, 12))
			u.fi.pad = 1u << below(f, 32);
		if (!below(f, 12))
			u.fi.reserved[below(f, 2)] = 1ULL << below(f, 64);
		break;
	case GASPACE_MAP_USER:
		/* the scratch buffer (pinned until the space goes) or worse */
		u.mu.gpa = any_u64(f, s);
		u.mu.size = below(f, 2) ? (1 + below(f, 2)) * PAGE_4K :
					  any_size(f, s);
		u.mu.uaddr = any_src(f, &src_readable) &
			     (below(f, 4) ? ~(PAGE_4K - 1) : ~0ULL);
		u.mu.prot = any_prot(f);
		u.mu.flags = below(f, 2) ? GASPACE_MAP_REPLACE : any_flags(f);
		if (!below(f, 10))
			u.mu.reserved[below(f, 2)] = 1ULL << below(f, 64);
		break;
	default:
		noise(f, &u.i, sizeof(u.i));
		break;
	}
	if (raw)
		noise(f, &u, len);
	p = any_ptr(f, len);
	fill(f, &p, &u, len);
	if (p.kind == P_RO)
		memcpy(&u, p.p, len);
	if (cmd == GASPACE_GET_DIRTY_LOG && (raw || p.kind == P_RO)) {
		/* the pointer is noise now: taken to be inaccessible */
		blen = (u.d.size / PAGE_4K + 63) / 64 * 8;
		bp = (struct ptr){ .kind = P_NULL };
		bp.p = (unsigned char *)(uintptr_t)u.d.bitmap;
	}
	/* the source is noise now: taken to be unreadable */
	if (cmd == GASPACE_FILL && (raw || p.kind == P_RO))
		src_readable = u.fi.src ? 0 : ~0ULL;
	snap = is_dirty_cmd(cmd) || cmd == GASPACE_FILL;
	if (snap) {
		/* gpa and size lie at the same offsets in both structs */
		probe[0] = u.r.gpa;
		probe[1] = u.r.gpa + u.r.size - 1;
		probe[2] = s->base + below(f, s->size);
		probe[3] = s->base + below(f, s->size);
		gas_snapshot(s->fd, &before, probe, ARRAY_LEN(probe));
	}
	ret = gas_ioctl_ptr(s->fd, cmd, p.p);
	if (!ret && p.kind == P_GOOD)
		memcpy(&out, p.p, len);
	if (snap) {
		gas_snapshot(s->fd, &after, probe, ARRAY_LEN(probe));
		if (cmd == GASPACE_FILL ?
		    fill_changes(f, &u.fi, ret, &before, &after) :
		    dirty_changes(f, cmd, &u, ret, &before, &after))
			return -1;
	}

	switch (cmd) {
	case GASPACE_MAP_LINEAR:
	case GASPACE_MAP_ALLOC:
		name = cmd == GASPACE_MAP_LINEAR ? "MAP_LINEAR" : "MAP_ALLOC";
		rule = map_rules(s, cmd == GASPACE_MAP_LINEAR, &u.m);
		allowed = rule ? E(-rule) :
			  OK | E(EEXIST) | E(ENOSPC) | E(ENOMEM) | E(EINTR) |
			  (cmd == GASPACE_MAP_LINEAR ? E(EPERM) : 0);
		break;
	case GASPACE_MAP_USER:
		name = "MAP_USER";
		rule = map_user_rules(s, &u.mu);
		allowed = rule ? E(-rule) :
			  OK | E(EEXIST) | E(ENOSPC) | E(ENOMEM) | E(EINTR) |
			  E(EFAULT);
		break;
	case GASPACE_UNMAP:
	case GASPACE_PROTECT:
		name = cmd == GASPACE_UNMAP ? "UNMAP" : "PROTECT";
		rule = range_rules(s, cmd == GASPACE_PROTECT, &u.r);
		allowed = rule ? E(-rule) :
			  OK | E(ENOSPC) | E(ENOMEM) | E(EINTR) |
			  (cmd == GASPACE_PROTECT ? E(ENOENT) : 0);
		break;
	case GASPACE_DIRTY_LOG_ENABLE:
	case GASPACE_DIRTY_LOG_DISABLE:
		name = cmd == GASPACE_DIRTY_LOG_ENABLE ? "DIRTY_LOG_ENABLE" :
							 "DIRTY_LOG_DISABLE";
		rule = range_rules(s, false, &u.r);
		allowed = rule ? E(-rule) :
			  OK | E(ENOENT) | E(ENOSPC) | E(ENOMEM);
		break;
	case GASPACE_GET_DIRTY_LOG:
		name = "GET_DIRTY_LOG";
		rule = dirty_log_rules(s, &u.d);
		if (rule)
			allowed = E(-rule);
		else if ((u.d.flags & GASPACE_DIRTY_SET ? bp.readable :
							  bp.writable) < blen)
			allowed = E(ENOENT) | E(EFAULT) | E(ENOMEM);
		else
			allowed = OK | E(ENOENT) | E(ENOMEM);
		if (!ret && bp.kind == P_GOOD &&
		    !(u.d.flags & GASPACE_DIRTY_SET) &&
		    bad_report(f, &u.d, &bp, &before, &after))
			return -1;
		break;
	case GASPACE_FILL:
		name = "FILL";
		rule = fill_rules(s, &u.fi);
		allowed = rule ? E(-rule) :
			  OK | E(ENOENT) | E(EINVAL) | E(EEXIST) | E(ENOMEM) |
			  E(EINTR) |
			  (src_readable < u.fi.size ? E(EFAULT) : 0);
		break;
	case GASPACE_TRANSLATE:
		/* EFAULT first: the whole struct is read and written */
		name = "TRANSLATE";
		allowed = u.t.gpa < s->base || u.t.gpa >= s->base + s->size ?
			  E(ERANGE) : OK | E(ENOENT);
		if (p.readable < len || p.writable < len)
			allowed = E(EFAULT);
		if (!ret && p.kind == P_GOOD &&
		    (out.t.gpa != u.t.gpa || out.t.pad || !out.t.limit ||
		     (out.t.page_size != PAGE_4K && out.t.page_size != SZ_2M &&
		      out.t.page_size != SZ_1G) ||
		     !out.t.prot || bad_prot(out.t.prot) || out.t.level > 2 ||
		     out.t.backend < 1 || out.t.backend > GASPACE_BACKEND_USER ||
		     out.t.gpa + out.t.limit > s->base + s->size))
			allowed = 0;
		break;
	case GASPACE_FAULT:
		name = "FAULT";
		if (!u.fa.access || (u.fa.access & ~GAS_PROT_RWX) || u.fa.flags)
			allowed = E(EINVAL);
		else if (u.fa.gpa < s->base || u.fa.gpa >= s->base + s->size)
			allowed = E(ERANGE);
		else
			allowed = OK | E(ENOENT) | E(EACCES) | E(ENOMEM) |
				  E(EINTR) | (idx >= NR_UFDS ? E(EIO) : 0);
		break;
	case GASPACE_AUDIT:
		/* EFAULT first: the whole struct is written; never an error */
		name = "AUDIT";
		allowed = p.writable >= len ? OK | E(ENOMEM) : E(EFAULT);
		if (!ret && p.kind == P_GOOD &&
		    (out.a.nr_errors || out.a.first_gpa || out.a.first_level ||
		     out.a.pad || out.a.reserved[0] || out.a.reserved[1] ||
		     out.a.reserved[2] || out.a.reserved[3]))
			allowed = 0;
		break;
	default:
		name = "GET_INFO";
		allowed = p.writable >= len ? OK : E(EFAULT);
		if (!ret && p.kind == P_GOOD &&
		    (out.i.levels != s->levels || out.i.format != s->format ||
		     out.i.gpa_bits != s->bits || out.i.base != s->base ||
		     out.i.size != s->size ||
		     out.i.root_pages != s->root_pages ||
		     out.i.nr_table_pages < s->root_pages ||
		     out.i.nr_data_pages > s->size / PAGE_4K ||
		     out.i.nr_dirty_pages > s->size / PAGE_4K ||
		     (idx >= NR_UFDS && out.i.nr_userfaults) ||
		     out.i.reserved[0] ||
		     out.i.reserved[1]))
			allowed = 0;
		break;
	}
	if (cmd != GASPACE_GET_INFO && cmd != GASPACE_TRANSLATE &&
	    cmd != GASPACE_AUDIT && p.readable < len)
		allowed = E(EFAULT);
	{
		char hex[2 * sizeof(u) + 1];
		size_t i;

		for (i = 0; i < len && i < sizeof(u); i++)
			sprintf(hex + 2 * i, "%02x", ((unsigned char *)&u)[i]);
		hex[2 * i] = 0;
		return verdict(f, ret, allowed, "%s(fd of %s/%u, %s ptr %p: %s)",
			       name, gas_format_name(s->format), s->bits,
			       ptr_names[p.kind], p.p, hex);
	}
}

/* ---- guest memory ---- */

static off_t any_offset(struct fuzz *f, const struct gas_space *s)
{
	switch (below(f, 8)) {
	case 0:
		return (off_t)rnd(f);
	case 1:
		return -(off_t)below(f, 1 << 20);
	case 2:
		return (off_t)(s->base + s->size - below(f, 3 * PAGE_4K));
	default:
		return (off_t)(s->base + below(f, s->size));
	}
}

static int fuzz_rw(struct fuzz *f)
{
	int idx = below(f, NR_SPACES);
	struct gas_space *s = &f->s[idx];
	bool write = rnd(f) & 1;
	off_t off = any_offset(f, s);
	size_t len = below(f, 10) ? below(f, 3 * PAGE_4K) : below(f, SCRATCH);
	struct ptr p = any_ptr(f, len ? len : 1);
	__uint128_t allowed = OK | E(ENXIO) | E(EINTR) | E(ENOMEM) |
			      (idx >= NR_UFDS ? E(EIO) : 0);
	size_t acc;
	ssize_t ret;

	if (p.kind == P_GOOD) {
		/* at the end of the scratch area, whatever the length */
		p.p = f->none - len;
		p.readable = len;
		p.writable = len;
	}
	acc = write ? p.readable : p.writable;
	if (acc > len)
		acc = len;
	if (write)
		ret = pwrite(s->fd, p.p, len, off);
	else
		ret = pread(s->fd, p.p, len, off);
	if (ret < 0)
		ret = -errno;
	if (off < 0 || (__u64)off + len > (__u64)LLONG_MAX) {
		allowed = E(EINVAL);
	} else if (!len) {
		allowed = OK | E(ENXIO) | E(EFAULT);
	} else {
		if (!acc)
			allowed &= ~OK;
		if (acc < len)
			allowed |= E(EFAULT);
		/* past the space: -ENXIO (or -EFAULT first) */
		if ((__u64)off < s->base || (__u64)off >= s->base + s->size)
			allowed &= E(ENXIO) | E(EFAULT);
	}
	if (ret > (ssize_t)acc)
		allowed = 0;
	return verdict(f, ret, allowed, "%s(fd of %s/%u, %s ptr %p, %zu, %#llx)",
		       write ? "pwrite" : "pread", gas_format_name(s->format),
		       s->bits, ptr_names[p.kind], p.p, len,
		       (unsigned long long)off);
}

static int fuzz_mmap(struct fuzz *f)
{
	static const int types[] = { MAP_SHARED, MAP_PRIVATE,
				     MAP_SHARED_VALIDATE };
	struct gas_space *s = &f->s[below(f, NR_SPACES)];
	off_t off = any_offset(f, s);
	size_t len;
	int prot = below(f, 8), flags, i;
	__uint128_t allowed = E(ENXIO) | E(ENOMEM) | E(EAGAIN) | E(EPERM) | E(EACCES);
	unsigned char *p;
	long ret = 0;

	if (below(f, 4))
		off &= ~(off_t)(PAGE_4K - 1);
	switch (below(f, 6)) {
	case 0:
		len = rnd(f);
		break;
	case 1:
		len = below(f, 2 * PAGE_4K);
		break;
	default:
		len = (1 + below(f, 64)) * PAGE_4K;
		break;
	}
	flags = types[below(f, ARRAY_LEN(types))];
	if (!below(f, 4))
		flags |= (rnd(f) & 1 ? MAP_POPULATE : 0) |
			 (rnd(f) & 1 ? MAP_NORESERVE : 0);
	if (!below(f, 10) && (flags & MAP_SHARED_VALIDATE) ==
			     MAP_SHARED_VALIDATE)
		flags |= 0x200000 << below(f, 2);	/* unknown to mmap */
	p = mmap(NULL, len, prot, flags, s->fd, off);
	if (p == MAP_FAILED)
		ret = -errno;
	/* what mm/ checks before gaspace sees the call */
	if (!len || (off & (PAGE_4K - 1)))
		allowed = E(EINVAL);
	else if ((flags & 3) == MAP_PRIVATE)
		allowed = E(EINVAL) | E(ENOMEM) | E(EOVERFLOW);
	else
		allowed |= OK | E(EINVAL) | E(EOVERFLOW) | E(EOPNOTSUPP);
	if (!ret) {
		/* touch a few bytes; SIGBUS where no alloc area is left */
		for (i = 0; i < 4 && (prot & PROT_READ); i++)
			gas_touch(p + below(f, len), (prot & PROT_WRITE) &&
				  (rnd(f) & 1), (int)rnd(f), NULL);
		munmap(p, len);
		if (off < 0 || (__u64)off < s->base ||
		    (__u64)off + len > s->base + s->size)
			allowed = 0;
	}
	return verdict(f, ret, allowed, "mmap(len %#zx, prot %d, flags %#x, fd of %s/%u, %#llx)",
		       len, prot, flags, gas_format_name(s->format), s->bits,
		       (unsigned long long)off);
}

/* ---- wrong fds ---- */

static int fuzz_wrong_fd(struct fuzz *f)
{
	int fds[] = { f->devnull, f->pipe[0], f->pipe[1], f->memfd,
		      f->closed, f->dev, f->s[0].fd };
	static const char *const names[] = { "/dev/null", "pipe read end",
		"pipe write end", "memfd", "closed fd", "/dev/gaspace",
		"space fd" };
	int which = below(f, ARRAY_LEN(fds));
	unsigned int cmd;
	struct ptr p;
	long ret;
	__uint128_t allowed;

	if (which == 5)		/* /dev/gaspace: a space's calls */
		cmd = space_cmds[below(f, ARRAY_LEN(space_cmds))];
	else if (which == 6)	/* a space: /dev/gaspace's calls */
		cmd = dev_cmds[below(f, ARRAY_LEN(dev_cmds))];
	else
		cmd = rnd(f) & 1 ?
		      space_cmds[below(f, ARRAY_LEN(space_cmds))] :
		      dev_cmds[below(f, ARRAY_LEN(dev_cmds))];
	switch (below(f, 6)) {
	case 0:
	case 1:
	case 2: {
		p = any_ptr(f, 96);
		if (p.kind == P_GOOD)
			noise(f, p.p, 96);
		ret = gas_ioctl_ptr(fds[which], cmd, p.p);
		allowed = which == 4 ? E(EBADF) : E(ENOTTY);
		return verdict(f, ret, allowed, "ioctl(%s, %#x, %s ptr)",
			       names[which], cmd, ptr_names[p.kind]);
	}
	case 3:
	case 4: {
		/* reads and writes that are not gaspace's to answer */
		size_t len = 1 + below(f, 64);
		off_t off = below(f, 1 << 20);

		if (which == 0 || which == 3 || which == 1 || which == 2 ||
		    which == 6)
			return 0;	/* valid files; nothing to check */
		ret = rnd(f) & 1 ? pread(fds[which], f->none - len, len, off) :
				   pwrite(fds[which], f->none - len, len, off);
		if (ret < 0)
			ret = -errno;
		allowed = which == 4 ? E(EBADF) : E(EINVAL) | E(ESPIPE);
		return verdict(f, ret, allowed, "pread/pwrite(%s)",
			       names[which]);
	}
	default: {
		void *m = mmap(NULL, PAGE_4K, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fds[which], 0);

		if (m != MAP_FAILED) {
			munmap(m, PAGE_4K);
			ret = 0;
		} else {
			ret = -errno;
		}
		switch (which) {
		case 4:
			allowed = E(EBADF);
			break;
		case 5:
			allowed = E(ENODEV);
			break;
		case 6:		/* gpa 0 is not in the space */
			allowed = E(ENXIO);
			break;
		default:	/* not gaspace's */
			allowed = OK | E(ENODEV) | E(EACCES) | E(EINVAL);
			break;
		}
		return verdict(f, ret, allowed, "mmap(%s)", names[which]);
	}
	}
}

/* ---- the userfault fds' resolvers ---- */

static void *resolver_main(void *arg)
{
	struct resolver *r = arg;
	struct gaspace_fault_event ev[8];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int i, n = gas_ufd_read(r->ufd, ev, ARRAY_LEN(ev), 20);

		for (i = 0; i < n; i++)
			gas_fill(r->fd, ev[i].gpa, PAGE_4K, NULL);
	}
	return NULL;
}

static int resolver_start(struct resolver *r, int fd)
{
	r->fd = fd;
	r->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	if (r->ufd < 0)
		return r->ufd;
	if (pthread_create(&r->th, NULL, resolver_main, r)) {
		close(r->ufd);
		return -EAGAIN;
	}
	r->running = true;
	return 0;
}

static void resolver_stop(struct resolver *r)
{
	if (!r->running)
		return;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_join(r->th, NULL);
	close(r->ufd);
	r->running = false;
}

/* ---- the fixture ---- */

static const struct {
	unsigned int format, bits;
} geometries[NR_SPACES] = {
	{ GASPACE_FMT_EPT, 48 }, { GASPACE_FMT_NPT, 57 },
	{ GASPACE_FMT_ARM64_S2, 40 }, { GASPACE_FMT_RISCV_G, 41 },
};

FIXTURE(fuzz) {
	struct fuzz f;
	long long sec_before;
};

FIXTURE_SETUP(fuzz)
{
	struct fuzz *f = &self->f;
	unsigned char *area;
	int i;

	memset(f, 0, sizeof(*f));
	self->sec_before = gas_sec_page_tables_kb();
	f->dev = gas_open_dev();
	ASSERT_LE(0, f->dev);
	for (i = 0; i < NR_SPACES; i++) {
		ASSERT_EQ(0, gas_space_open(&f->s[i], geometries[i].format,
					    geometries[i].bits, SPACE_BASE,
					    SPACE_SIZE));
	}
	for (i = 0; i < NR_UFDS; i++)
		ASSERT_EQ(0, resolver_start(&f->res[i], f->s[i].fd));
	area = mmap(NULL, SCRATCH + 3 * PAGE_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	f->scratch = area;
	f->none = area + SCRATCH;
	f->ro = f->none + PAGE_4K;
	ASSERT_EQ(0, mprotect(f->none, PAGE_4K, PROT_NONE));
	ASSERT_EQ(0, mprotect(f->ro, PAGE_4K, PROT_READ));
	ASSERT_EQ(0, mprotect(f->ro + PAGE_4K, PAGE_4K, PROT_NONE));
	f->prot_none = mmap(NULL, 16 * PAGE_4K, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, f->prot_none);
	f->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, f->devnull);
	ASSERT_EQ(0, pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK));
	f->memfd = syscall(SYS_memfd_create, "fuzz", 0);
	ASSERT_LE(0, f->memfd);
	ASSERT_EQ(0, ftruncate(f->memfd, PAGE_4K));
	f->closed = dup(f->devnull);
	ASSERT_LE(0, f->closed);
	close(f->closed);
	ASSERT_EQ(0, gas_catch_sigbus());
}

FIXTURE_TEARDOWN(fuzz)
{
	struct fuzz *f = &self->f;
	int i;

	for (i = 0; i < NR_UFDS; i++)
		resolver_stop(&f->res[i]);
	for (i = 0; i < NR_SPACES; i++)
		gas_space_close(&f->s[i]);
	if (f->dev >= 0)
		close(f->dev);
	if (f->devnull > 0) {
		close(f->devnull);
		close(f->pipe[0]);
		close(f->pipe[1]);
		close(f->memfd);
	}
}

/* Each space back to empty, then gone with its table pages. */
static void fuzz_end(struct __test_metadata *_metadata, struct fuzz *f,
		     long long sec_before)
{
	long long sec_after;
	int i;

	for (i = 0; i < NR_UFDS; i++)
		resolver_stop(&f->res[i]);
	for (i = 0; i < NR_SPACES; i++) {
		struct gas_space *s = &f->s[i];
		struct gaspace_info info;

		ASSERT_EQ(0, gas_get_info(s->fd, &info));
		EXPECT_EQ(s->format, info.format);
		EXPECT_EQ(s->bits, info.gpa_bits);
		EXPECT_EQ(s->base, info.base);
		EXPECT_EQ(s->size, info.size);
		EXPECT_EQ(0, gas_audit_clean(s->fd));
		ASSERT_EQ(0, gas_unmap(s->fd, s->base, s->size));
		EXPECT_COUNTERS(s->fd, 0, s->root_pages, 0, 0);
		ASSERT_EQ(0, gas_get_info(s->fd, &info));
		EXPECT_EQ(0ULL, info.nr_dirty_pages);
		gas_space_close(s);
	}
	close(f->dev);
	f->dev = -1;
	sec_after = gas_sec_page_tables_kb();
	if (sec_before >= 0) {
		EXPECT_EQ(sec_before, sec_after);
	}
}

typedef int (*fuzz_fn)(struct fuzz *f);

static void fuzz_run(struct __test_metadata *_metadata, struct fuzz *f,
		     const char *what, unsigned int idx, const fuzz_fn *fns,
		     const unsigned int *weights, int n)
{
	unsigned long long calls = calls_per_case(), i;
	unsigned int total = 0;
	struct timespec t0, t1;
	int k;

	for (k = 0; k < n; k++)
		total += weights[k];
	f->seed = the_seed() + idx;
	f->rng = f->seed;
	printf("# fuzz %s: seed %#llx (GASPACE_SEED=%#llx), %llu calls\n",
	       what, (unsigned long long)f->seed,
	       (unsigned long long)the_seed(), calls);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (f->calls < calls) {
		unsigned int w = below(f, total);
		int ret;

		for (k = 0; w >= weights[k]; k++)
			w -= weights[k];
		ret = fns[k](f);
		ASSERT_EQ(0, ret) {
			TH_LOG("seed %#llx: %s", (unsigned long long)f->seed,
			       f->why);
		}
	}
	i = f->calls;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# fuzz %s: %llu calls in %.1f s\n", what, i,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

TEST_F_TIMEOUT(fuzz, space_ioctls, 36000)
{
	static const fuzz_fn fns[] = { fuzz_space };
	static const unsigned int w[] = { 1 };

	fuzz_run(_metadata, &self->f, "space ioctls", 0, fns, w, 1);
	fuzz_end(_metadata, &self->f, self->sec_before);
}

TEST_F_TIMEOUT(fuzz, dev_ioctls, 36000)
{
	static const fuzz_fn fns[] = { fuzz_dev };
	static const unsigned int w[] = { 1 };

	fuzz_run(_metadata, &self->f, "dev ioctls", 1, fns, w, 1);
	fuzz_end(_metadata, &self->f, self->sec_before);
}

TEST_F_TIMEOUT(fuzz, guest_memory, 36000)
{
	static const fuzz_fn fns[] = { fuzz_rw, fuzz_mmap, fuzz_space };
	static const unsigned int w[] = { 6, 1, 2 };

	fuzz_run(_metadata, &self->f, "pread/pwrite/mmap", 2, fns, w, 3);
	fuzz_end(_metadata, &self->f, self->sec_before);
}

TEST_F_TIMEOUT(fuzz, wrong_fds, 36000)
{
	static const fuzz_fn fns[] = { fuzz_wrong_fd, fuzz_space };
	static const unsigned int w[] = { 3, 1 };

	fuzz_run(_metadata, &self->f, "wrong fds", 3, fns, w, 2);
	fuzz_end(_metadata, &self->f, self->sec_before);
}

TEST_HARNESS_MAIN
