// SPDX-License-Identifier: GPL-2.0
/*
 * postcopy_test: a post-copy migration and a lazy snapshot restore of a
 * guest of the SVM sample (samples/svm, gaspace_svm.ko) through userspace
 * fault delivery (gaspace.rst 5.10-5.11: GASPACE_MAP_USERFAULT, USERFAULT_FD and
 * FILL).
 *
 * The guest writes a pattern over its RAM on a source space, every dword
 * odd (never 0), and stops.  The destination's memory is one MAP_ALLOC
 * USERFAULT area without a page: the guest resumes there with its saved
 * registers, and the first access to each page it needs - the fetch of its
 * first instruction, the loads of the RAM it sums, the store of the sum to
 * a mailbox page - queues an event on the destination's userfault fd and
 * waits until a resolver thread FILLs that page.  The resolver reads the
 * page with pread from where the memory is: the stopped source space
 * (post-copy), or an image of it saved to a memfd with pread before the
 * source went away (lazy restore; zero pages are FILLed from src 0).  The
 * guest sums its RAM and counts the zero dwords it loaded: the sum must be
 * the source's and the count 0, so no access ever saw a page that was not
 * yet there.  Then every page of the destination is compared with the
 * source's through pread, which pulls in the pages the guest left, and
 * the events are checked against the accesses: one per page, in order,
 * each with its access.  A third case FILLs every page from the top down
 * in the background while the guest pulls what it needs (FILL of a page
 * that is there already: -EEXIST).
 *
 * Skips without the SVM sample (or without SVM: it needs QEMU's -cpu max
 * on an AMD model or TCG) or without GASPACE_CAP_USERFAULT; `make check`
 * asserts that it ran.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "gaspace_util.h"
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/svm/gaspace_svm.h"

#define SVM_EXIT_VMMCALL	0x81

#define AREA_SIZE	SZ_2M		/* one RWX area from gpa 0 */
#define PAGES		(AREA_SIZE / PAGE_4K)
#define GUEST_CODE	0x1000ULL
#define RAM		0x100000ULL	/* the pattern's pages */
#define RAM_PAGES	128
#define RAM_DWORDS	(RAM_PAGES * PAGE_4K / 4)
#define MBOX		0x1ff000ULL	/* the destination's sum */
#define SEED		0x2545f491u	/* odd: every dword of the pattern is */
/* the destination's guest: its code page, the RAM, the mailbox */
#define GUEST_PAGES	(1U + RAM_PAGES + 1)
#define MAX_EVENTS	(PAGES + 8)

/*
 * Big real mode; in: esi = RAM, ecx = dwords, edx = seed, edi = MBOX.
 *	mov ebx, esi; mov ebp, ecx; mov eax, edx
 * 1:	mov [ebx], eax; add ebx, 4; add eax, 0x9e3779b8; dec ebp; jnz 1b
 *	vmmcall				(offset 0x1b: the pattern is written)
 *	xor eax, eax; xor ebx, ebx; mov edx, esi; mov ebp, ecx
 * 2:	cmp dword [edx], 0; jne 3f; inc ebx
 * 3:	add eax, [edx]; add edx, 4; dec ebp; jnz 2b
 *	mov [edi], eax
 *	vmmcall				(offset 0x43: eax = sum, ebx = zeros)
 * An odd seed plus an even step keeps every dword odd.
 */
static const unsigned char guest_postcopy[] = {
	0x66, 0x89, 0xf3, 0x66, 0x89, 0xcd, 0x66, 0x89, 0xd0, 0x67, 0x66, 0x89,
	0x03, 0x66, 0x83, 0xc3, 0x04, 0x66, 0x05, 0xb8, 0x79, 0x37, 0x9e, 0x66,
	0x4d, 0x75, 0xee, 0x0f, 0x01, 0xd9, 0x66, 0x31, 0xc0, 0x66, 0x31, 0xdb,
	0x66, 0x89, 0xf2, 0x66, 0x89, 0xcd, 0x67, 0x66, 0x83, 0x3a, 0x00, 0x75,
	0x02, 0x66, 0x43, 0x67, 0x66, 0x03, 0x02, 0x66, 0x83, 0xc2, 0x04, 0x66,
	0x4d, 0x75, 0xeb, 0x67, 0x66, 0x89, 0x07, 0x0f, 0x01, 0xd9,
};

#define STOPPED_AT	0x1b
#define CHECKED_AT	0x43

/*
 * Serves a userfault fd: FILLs each page an event names with the page at
 * the same offset of @from (pread), until a byte arrives on @stop.
 * Everything it finds wrong is kept for the test to report (the first
 * failure); it FILLs what it can, so that the guest never hangs on it.
 */
struct resolver {
	pthread_t thread;
	int as;			/* the destination space */
	int ufd;		/* its userfault fd, O_NONBLOCK */
	int stop[2];		/* a pipe */
	int from;		/* the pages: pread at offset gpa */
	bool zero_src;		/* FILL all-zero pages from src 0 */
	bool eexist_ok;		/* another thread FILLs too */
	atomic_uint nr_events;	/* ev[] up to it is set before each FILL */
	struct gaspace_fault_event ev[MAX_EVENTS];
	/* read once the thread is joined: */
	unsigned int nr_filled;	/* FILLs that succeeded */
	unsigned int nr_zero;	/* of them, from src 0 */
	unsigned int nr_eexist;
	const char *what;	/* the first failure, or NULL */
	long error;
	__u64 gpa;
	char page[PAGE_4K];
};

/* Records the first failure: what, its error (negative errno) and gpa. */
static void failed(struct resolver *r, const char *what, long error,
		   __u64 gpa)
{
	if (r->what)
		return;
	r->what = what;
	r->error = error;
	r->gpa = gpa;
}

/*
 * FILL page @gpa of @as with the page at offset @gpa of @from, read into
 * @buf; from src 0 when @zero_src and it is all zeros (*@zero then true).
 * 0 or a negative errno (-EIO: a short pread).
 */
static int fill_page(int as, int from, __u64 gpa, char *buf, bool zero_src,
		     bool *zero)
{
	struct gaspace_fill f = {
		.gpa = gpa, .size = PAGE_4K, .src = (__u64)(uintptr_t)buf,
	};
	ssize_t n = pread(from, buf, PAGE_4K, (off_t)gpa);

	*zero = false;
	if (n != (ssize_t)PAGE_4K)
		return n < 0 ? -errno : -EIO;
	if (zero_src && gas_bytes_diff(buf, 0, PAGE_4K) < 0) {
		f.src = 0;
		*zero = true;
	}
	return gas_ioctl_ptr(as, GASPACE_FILL, &f);
}

static void resolve(struct resolver *r, const struct gaspace_fault_event *e)
{
	unsigned int nr = atomic_load(&r->nr_events);
	bool zero;
	int ret;

	if (e->flags || e->reserved[0] || e->reserved[1])
		failed(r, "event with flags or reserved set", -EINVAL, e->gpa);
	if (e->access != GASPACE_PROT_READ && e->access != GASPACE_PROT_WRITE &&
	    e->access != GASPACE_PROT_EXEC)
		failed(r, "event access not READ, WRITE or EXEC", -EINVAL,
		       e->gpa);
	if (e->gpa % PAGE_4K || e->gpa >= AREA_SIZE) {
		failed(r, "event gpa not a page of the area", -EINVAL, e->gpa);
		return;
	}
	if (nr < MAX_EVENTS)
		r->ev[nr] = *e;
	atomic_store(&r->nr_events, nr + 1);
	ret = fill_page(r->as, r->from, e->gpa, r->page, r->zero_src, &zero);
	if (!ret) {
		r->nr_filled++;
		r->nr_zero += zero;
	} else if (ret == -EEXIST && r->eexist_ok) {
		r->nr_eexist++;
	} else {
		failed(r, "FILL of an event's page", ret, e->gpa);
	}
}

static void *resolver_run(void *arg)
{
	struct gaspace_fault_event ev[8];
	struct resolver *r = arg;
	struct pollfd p[2];
	ssize_t n, i;

	for (;;) {
		p[0] = (struct pollfd){ .fd = r->ufd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = r->stop[0], .events = POLLIN };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			failed(r, "poll", -errno, 0);
			return NULL;
		}
		if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			failed(r, "poll of the userfault fd", -EIO, p[0].revents);
			return NULL;
		}
		if (!(p[0].revents & POLLIN)) {
			if (p[1].revents)
				return NULL;
			continue;
		}
		n = read(r->ufd, ev, sizeof(ev));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0 || n % sizeof(ev[0])) {
			failed(r, "read of the userfault fd",
			       n < 0 ? -errno : -EIO, n);
			return NULL;
		}
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++)
			resolve(r, &ev[i]);
	}
}

/* Starts the resolver of @ufd on @as with the pages of @from: 0 or -1. */
static int resolver_start(struct resolver *r, int as, int ufd, int from,
			  bool zero_src, bool eexist_ok)
{
	memset(r, 0, sizeof(*r));
	r->as = as;
	r->ufd = ufd;
	r->from = from;
	r->zero_src = zero_src;
	r->eexist_ok = eexist_ok;
	if (pipe2(r->stop, O_CLOEXEC))
		return -1;
	if (pthread_create(&r->thread, NULL, resolver_run, r)) {
		close(r->stop[0]);
		close(r->stop[1]);
		return -1;
	}
	return 0;
}

/* Stops the resolver once it has served every pending event. */
static void resolver_stop(struct resolver *r)
{
	char c = 0;

	if (write(r->stop[1], &c, 1) != 1)
		abort();
	pthread_join(r->thread, NULL);
	close(r->stop[0]);
	close(r->stop[1]);
}

/* FILLs every page of the area from the top down, as a background push. */
struct pusher {
	pthread_t thread;
	int as;
	int from;
	struct resolver *r;	/* starts after its first event */
	unsigned int nr_filled, nr_eexist;
	const char *what;
	long error;
	__u64 gpa;
	char page[PAGE_4K];
};

static void *pusher_run(void *arg)
{
	struct timespec ts = { .tv_nsec = 100 * 1000 };
	struct pusher *p = arg;
	__u64 gpa;
	bool zero;
	int ret;

	while (!atomic_load(&p->r->nr_events))
		nanosleep(&ts, NULL);
	for (gpa = AREA_SIZE; gpa; ) {
		gpa -= PAGE_4K;
		ret = fill_page(p->as, p->from, gpa, p->page, false, &zero);
		if (!ret) {
			p->nr_filled++;
		} else if (ret == -EEXIST) {
			p->nr_eexist++;
		} else if (!p->what) {
			p->what = "FILL of the push";
			p->error = ret;
			p->gpa = gpa;
		}
	}
	return NULL;
}

/* A test's state: the fixture's, handed to the helpers below. */
struct postcopy {
	int dev;
	int svm;
	int src;
	int dst;
	int ufd;
	int image;
	__u32 sum;		/* of the source's RAM, as the guest sums it */
	struct gaspace_svm_info info;
	struct gaspace_svm_run run;
	struct resolver r;
	char a[PAGE_4K];
	char b[PAGE_4K];
};

FIXTURE(postcopy) {
	struct postcopy pc;
};

FIXTURE_SETUP(postcopy)
{
	struct postcopy *pc = &self->pc;
	const char *why = NULL;
	long ufd;

	pc->dev = -1;
	pc->src = -1;
	pc->dst = -1;
	pc->ufd = -1;
	pc->image = -1;
	pc->svm = gas_guest_open(GASPACE_SVM_DEVICE,
				 "gaspace_svm.ko (samples/svm)",
				 GASPACE_SVM_GET_INFO, &pc->info,
				 sizeof(pc->info), &why);
	if (pc->svm < 0)
		SKIP(return, "%s", why);
	if ((pc->info.flags & (GASPACE_SVM_HAVE_SVM | GASPACE_SVM_HAVE_NPT)) !=
	    (GASPACE_SVM_HAVE_SVM | GASPACE_SVM_HAVE_NPT))
		SKIP(return, "the CPU has no SVM with nested paging");
	pc->dev = gas_open_dev();
	ASSERT_LE(0, pc->dev);
	if (gas_ioctl(pc->dev, GASPACE_CHECK_EXTENSION,
		      GASPACE_CAP_USERFAULT) != 1)
		SKIP(return, "no GASPACE_CAP_USERFAULT");
	pc->src = gas_create(pc->dev, GASPACE_FMT_NPT, pc->info.gpa_bits, 0,
			     SZ_1G);
	pc->dst = gas_create(pc->dev, GASPACE_FMT_NPT, pc->info.gpa_bits, 0,
			     SZ_1G);
	ASSERT_LE(0, pc->src);
	ASSERT_LE(0, pc->dst);
	ASSERT_EQ(0, gas_map_alloc(pc->src, 0, AREA_SIZE, GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_alloc(pc->dst, 0, AREA_SIZE, GAS_PROT_RWX,
				   GASPACE_MAP_USERFAULT));
	ufd = gas_ioctl(pc->dst, GASPACE_USERFAULT_FD, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, ufd) TH_LOG("USERFAULT_FD: %s", strerror(-ufd));
	pc->ufd = ufd;
}

FIXTURE_TEARDOWN(postcopy)
{
	struct postcopy *pc = &self->pc;

	if (pc->image >= 0)
		close(pc->image);
	if (pc->ufd >= 0)
		close(pc->ufd);
	gas_close_audited(pc->dst);
	gas_guest_close(pc->src, pc->dev, pc->svm);
}

/*
 * The guest writes its pattern on the source and stops; pc->run keeps
 * its registers and pc->sum what it will sum.
 */
static void run_source(struct __test_metadata *_metadata,
		       struct postcopy *pc)
{
	unsigned int i, j;
	__u32 *w = (__u32 *)pc->a;

	ASSERT_EQ((ssize_t)sizeof(guest_postcopy),
		  pwrite(pc->src, guest_postcopy, sizeof(guest_postcopy),
			 GUEST_CODE));
	memset(&pc->run, 0, sizeof(pc->run));
	pc->run.as_fd = pc->src;
	pc->run.regs.rip = GUEST_CODE;
	pc->run.regs.rsi = RAM;
	pc->run.regs.rcx = RAM_DWORDS;
	pc->run.regs.rdx = SEED;
	pc->run.regs.rdi = MBOX;
	ASSERT_EQ(0, gas_ioctl_ptr(pc->svm, GASPACE_SVM_RUN, &pc->run));
	ASSERT_EQ((__u64)SVM_EXIT_VMMCALL, pc->run.exit_code)
		TH_LOG("exit 0x%llx gpa 0x%llx error %d", pc->run.exit_code,
		       pc->run.gpa, pc->run.error);
	ASSERT_EQ(GUEST_CODE + STOPPED_AT, pc->run.regs.rip);

	pc->sum = 0;
	for (i = 0; i < RAM_PAGES; i++) {
		ASSERT_EQ((ssize_t)PAGE_4K, pread(pc->src, pc->a, PAGE_4K,
						  RAM + i * PAGE_4K));
		for (j = 0; j < PAGE_4K / 4; j++) {
			ASSERT_EQ(1U, w[j] & 1) TH_LOG("page %u dword %u", i, j);
			pc->sum += w[j];
		}
	}
}

/*
 * The guest resumes on the destination, its pages FILLed from @from as it
 * needs them; it must find the source's sum and no zero dword.
 */
static void run_destination(struct __test_metadata *_metadata,
			    struct postcopy *pc)
{
	pc->run.as_fd = pc->dst;
	pc->run.regs.rip += 3;
	ASSERT_EQ(0, gas_ioctl_ptr(pc->svm, GASPACE_SVM_RUN, &pc->run));
	ASSERT_EQ((__u64)SVM_EXIT_VMMCALL, pc->run.exit_code)
		TH_LOG("exit 0x%llx gpa 0x%llx error %d", pc->run.exit_code,
		       pc->run.gpa, pc->run.error);
	ASSERT_EQ(GUEST_CODE + CHECKED_AT, pc->run.regs.rip);
	EXPECT_EQ(0ULL, pc->run.regs.rbx & 0xffffffff)
		TH_LOG("zero dwords the guest loaded");
	EXPECT_EQ(pc->sum, (__u32)pc->run.regs.rax)
		TH_LOG("the guest's sum of its RAM");
}

/* What the resolver @r found wrong, if anything. */
static void check_resolver(struct __test_metadata *_metadata,
			   const struct resolver *r)
{
	EXPECT_EQ(NULL, r->what)
		TH_LOG("%s: %ld (%s) at 0x%llx", r->what, r->error,
		       r->error < 0 ? strerror(-r->error) : "",
		       (unsigned long long)r->gpa);
}

/*
 * The events of the destination's run: its code page fetched (EXEC), its
 * RAM loaded page after page (READ), the mailbox stored to (WRITE), and
 * nothing else; one page each, and a frame for those pages only.
 */
static void check_guest_events(struct __test_metadata *_metadata,
			       struct postcopy *pc)
{
	struct resolver *r = &pc->r;
	struct gaspace_info info;
	unsigned int i;

	ASSERT_EQ(GUEST_PAGES, atomic_load(&r->nr_events));
	EXPECT_EQ(GUEST_CODE, r->ev[0].gpa);
	EXPECT_EQ((__u32)GASPACE_PROT_EXEC, r->ev[0].access);
	for (i = 0; i < RAM_PAGES; i++) {
		EXPECT_EQ(RAM + i * PAGE_4K, r->ev[1 + i].gpa) TH_LOG("%u", i);
		EXPECT_EQ((__u32)GASPACE_PROT_READ, r->ev[1 + i].access);
	}
	EXPECT_EQ(MBOX, r->ev[GUEST_PAGES - 1].gpa);
	EXPECT_EQ((__u32)GASPACE_PROT_WRITE, r->ev[GUEST_PAGES - 1].access);
	EXPECT_EQ((__u64)GUEST_PAGES, pc->run.nr_faults);
	ASSERT_EQ(0, gas_get_info(pc->dst, &info));
	EXPECT_EQ((__u64)GUEST_PAGES, info.nr_userfaults);
	EXPECT_EQ((__u64)GUEST_PAGES, info.nr_data_pages);
	EXPECT_EQ((__u64)GUEST_PAGES, info.nr_demand_faults);
}

/*
 * Every page of the destination against @from, through pread (which
 * pulls in those the guest left, READ), the mailbox holding the sum.
 */
static void compare_all(struct __test_metadata *_metadata,
			struct postcopy *pc, int from)
{
	unsigned int i;
	__u32 sum;

	for (i = 0; i < PAGES; i++) {
		ASSERT_EQ((ssize_t)PAGE_4K,
			  pread(from, pc->a, PAGE_4K, i * PAGE_4K));
		ASSERT_EQ((ssize_t)PAGE_4K,
			  pread(pc->dst, pc->b, PAGE_4K, i * PAGE_4K))
			TH_LOG("page %u: %s", i, strerror(errno));
		if (i * PAGE_4K == MBOX) {
			memcpy(&sum, pc->b, sizeof(sum));
			EXPECT_EQ(pc->sum, sum);
			EXPECT_EQ(-1, gas_bytes_diff(pc->b + 4, 0,
						     PAGE_4K - 4));
			continue;
		}
		ASSERT_EQ(0, memcmp(pc->a, pc->b, PAGE_4K))
			TH_LOG("page %u", i);
	}
}

/* After compare_all(): one READ event per page that the guest left. */
static void check_all_events(struct __test_metadata *_metadata,
			     struct postcopy *pc)
{
	struct resolver *r = &pc->r;
	struct gaspace_fill f = { .gpa = MBOX, .size = PAGE_4K };
	struct gaspace_fault_event e;
	struct gaspace_info info;
	unsigned int i, seen[PAGES] = { 0 };

	ASSERT_EQ(PAGES, atomic_load(&r->nr_events));
	for (i = 0; i < PAGES; i++)
		seen[r->ev[i].gpa / PAGE_4K]++;
	for (i = 0; i < PAGES; i++)
		EXPECT_EQ(1U, seen[i]) TH_LOG("events for page %u", i);
	for (i = GUEST_PAGES; i < PAGES; i++)
		EXPECT_EQ((__u32)GASPACE_PROT_READ, r->ev[i].access);
	EXPECT_EQ(PAGES, r->nr_filled);
	ASSERT_EQ(0, gas_get_info(pc->dst, &info));
	EXPECT_EQ((__u64)PAGES, info.nr_userfaults);
	EXPECT_EQ((__u64)PAGES, info.nr_data_pages);
	EXPECT_EQ((__u64)PAGES, info.nr_demand_faults);
	EXPECT_EQ(AREA_SIZE, info.mapped_bytes);
	/* nothing pending, and every page is there: FILL says EEXIST */
	EXPECT_EQ(-1, read(pc->ufd, &e, sizeof(e)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EEXIST, gas_ioctl_ptr(pc->dst, GASPACE_FILL, &f));
}

/*
 * Post-copy: the guest stops on the source and resumes on the destination
 * at once; each page it touches comes from the source when it needs it.
 */
TEST_F_TIMEOUT(postcopy, guest_pulls_each_page, 120)
{
	struct postcopy *pc = &self->pc;

	run_source(_metadata, pc);
	ASSERT_EQ(0, resolver_start(&pc->r, pc->dst, pc->ufd, pc->src,
				    false, false));
	run_destination(_metadata, pc);
	check_guest_events(_metadata, pc);
	compare_all(_metadata, pc, pc->src);
	resolver_stop(&pc->r);
	check_resolver(_metadata, &pc->r);
	check_all_events(_metadata, pc);
	ksft_print_msg("%u pages pulled by the guest, %u by the comparison\n",
		       GUEST_PAGES, (unsigned int)(PAGES - GUEST_PAGES));
}

/*
 * Post-copy with a background push: after the guest's first event, a
 * second thread FILLs every page from the top down while the guest pulls
 * its pages from the bottom up; each page is FILLed once (the other FILL
 * gets -EEXIST) and raises at most one event.  An event stays pending
 * until it is read, even when the push FILLed its page first: every event
 * raised is read (the resolver's FILL of its page may get -EEXIST).
 */
TEST_F_TIMEOUT(postcopy, pages_pushed_while_the_guest_pulls, 120)
{
	struct postcopy *pc = &self->pc;
	struct pusher p = { .as = pc->dst, .from = pc->src, .r = &pc->r };
	struct resolver *r = &pc->r;
	struct gaspace_info info;
	unsigned int i, nr, seen[PAGES] = { 0 };
	__u64 raised;

	run_source(_metadata, pc);
	ASSERT_EQ(0, resolver_start(r, pc->dst, pc->ufd, pc->src,
				    false, true));
	ASSERT_EQ(0, pthread_create(&p.thread, NULL, pusher_run, &p));
	run_destination(_metadata, pc);
	ASSERT_EQ(0, pthread_join(p.thread, NULL));
	resolver_stop(r);
	check_resolver(_metadata, r);
	EXPECT_EQ(NULL, p.what)
		TH_LOG("%s: %ld at 0x%llx", p.what, p.error, p.gpa);

	nr = atomic_load(&r->nr_events);
	ASSERT_LE(1U, nr);
	ASSERT_GE((unsigned int)GUEST_PAGES, nr);
	EXPECT_EQ(GUEST_CODE, r->ev[0].gpa);
	for (i = 0; i < nr; i++)
		seen[r->ev[i].gpa / PAGE_4K]++;
	for (i = 0; i < PAGES; i++)
		EXPECT_GE(1U, seen[i]) TH_LOG("events for page %u", i);
	EXPECT_EQ(PAGES, p.nr_filled + r->nr_filled);
	EXPECT_EQ(PAGES, p.nr_filled + p.nr_eexist);
	EXPECT_EQ(nr, r->nr_filled + r->nr_eexist);
	ASSERT_EQ(0, gas_get_info(pc->dst, &info));
	raised = info.nr_userfaults;
	EXPECT_EQ((__u64)nr, raised);
	EXPECT_EQ((__u64)PAGES, info.nr_data_pages);
	compare_all(_metadata, pc, pc->src);
	ASSERT_EQ(0, gas_get_info(pc->dst, &info));
	EXPECT_EQ(raised, info.nr_userfaults);
	ksft_print_msg("%u events: %u pages pulled, %u pushed, %u found pushed\n",
		       nr, r->nr_filled, p.nr_filled, r->nr_eexist);
}

/*
 * Lazy restore: the source's memory is saved to a memfd with pread (zero
 * pages left as holes) and the source closed; the guest resumes on the
 * destination, each page FILLed from the image as it needs it (zero pages
 * from src 0).
 */
TEST_F_TIMEOUT(postcopy, lazy_restore_from_a_saved_image, 120)
{
	struct postcopy *pc = &self->pc;
	unsigned int i, saved = 0;

	run_source(_metadata, pc);
	pc->image = memfd_create("postcopy_test", MFD_CLOEXEC);
	ASSERT_LE(0, pc->image);
	ASSERT_EQ(0, ftruncate(pc->image, AREA_SIZE));
	for (i = 0; i < PAGES; i++) {
		ASSERT_EQ((ssize_t)PAGE_4K,
			  pread(pc->src, pc->a, PAGE_4K, i * PAGE_4K));
		if (gas_bytes_diff(pc->a, 0, PAGE_4K) < 0)
			continue;
		ASSERT_EQ((ssize_t)PAGE_4K,
			  pwrite(pc->image, pc->a, PAGE_4K, i * PAGE_4K));
		saved++;
	}
	EXPECT_EQ(1U + RAM_PAGES, saved);
	close(pc->src);
	pc->src = -1;

	ASSERT_EQ(0, resolver_start(&pc->r, pc->dst, pc->ufd,
				    pc->image, true, false));
	run_destination(_metadata, pc);
	check_guest_events(_metadata, pc);
	compare_all(_metadata, pc, pc->image);
	resolver_stop(&pc->r);
	check_resolver(_metadata, &pc->r);
	check_all_events(_metadata, pc);
	EXPECT_EQ(PAGES - saved, pc->r.nr_zero);
	ksft_print_msg("%u pages restored from the image, %u from zeros\n",
		       saved, pc->r.nr_zero);
}

TEST_HARNESS_MAIN
