// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: an example VMM's use of gaspace, step by step.
 *
 * A VMM opens /dev/gaspace, checks the API version and what the module can
 * do, and creates one address space per guest: a guest-physical range with a
 * nested page table in the format its hypervisor walks (Intel EPT, AMD NPT,
 * Arm stage-2, RISC-V G-stage).  GET_INFO tells it the value to load into
 * the hardware (EPTP, nCR3, VTTBR_EL2, hgatp) and what the space holds.
 *
 * After a short look at each format, the program builds one guest's memory
 * map in an EPT space and walks through what a VMM does with it: guest RAM
 * allocated lazily, a guest image loaded with pwrite and seen through a
 * shared mmap, a populated ROM, 2 MiB frames, device memory mapped
 * linearly, translations, the fault hook, PROTECT and UNMAP, with GET_INFO's
 * counters after each step.
 *
 * Every step also checks that the module behaves as the contract says
 * (Documentation/gaspace.rst; "the docs" in the messages); the program exits
 * non-zero and names the step when one does not, so `make demo` doubles as
 * a smoke test.
 *
 * Build: make -C samples/vmm; run as root after insmod gaspace.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/gaspace.h>

#define GASPACE_DEV "/dev/gaspace"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* The example guest: 4 GiB of guest-physical address space from 0. */
#define GUEST_SIZE (4 * GiB)

/*
 * Its memory map, a small PC:
 *
 *   [0, 256 MiB)              RAM, allocated lazily, one 4 KiB page a fault
 *     0x20000                 the kernel command line, written via mmap
 *     0x100000                the kernel image, loaded with pwrite
 *     0x300000                a page the guest touches first (FAULT)
 *   [256 MiB, 512 MiB)        high RAM in 2 MiB frames, the initrd at 256 MiB
 *   [0xe0000000, +4 MiB)      a device's MMIO window, linear to host MMIO
 *   [0xfff00000, 4 GiB)       firmware ROM, populated, read + execute
 */
#define RAM_GPA		0x0ULL
#define RAM_SIZE	(256 * MiB)
#define CMDLINE_GPA	0x20000ULL
#define IMAGE_GPA	0x100000ULL
#define LAZY_GPA	0x300000ULL
#define HIGH_GPA	(256 * MiB)
#define HIGH_SIZE	(256 * MiB)
#define MMIO_GPA	0xe0000000ULL
#define MMIO_SIZE	(4 * MiB)
#define ROM_GPA		0xfff00000ULL
#define ROM_SIZE	(1 * MiB)
#define RESET_GPA	0xfffffff0ULL

#define PROT_RWX (GASPACE_PROT_READ | GASPACE_PROT_WRITE | GASPACE_PROT_EXEC)
#define PROT_RW (GASPACE_PROT_READ | GASPACE_PROT_WRITE)
#define PROT_RX (GASPACE_PROT_READ | GASPACE_PROT_EXEC)

/* The "guest kernel": cli; hlt and a greeting. */
static const char guest_image[] = "\xfa\xf4 hello from the guest kernel";
static const char guest_cmdline[] = "console=ttyS0 root=/dev/vda";
static const char guest_initrd[] = "070701 initrd";
/* At the x86 reset vector: jmp far f000:e05b, into the firmware. */
static const unsigned char reset_vector[] = { 0xea, 0x5b, 0xe0, 0x00, 0xf0 };

/* What the VMM keeps about the module. */
struct vmm {
	int dev;		/* /dev/gaspace */
	long formats;		/* GASPACE_CAP_FORMATS */
};

/* One guest's address space. */
struct space {
	unsigned int format;
	int fd;
	struct gaspace_info info;
};

/* GET_INFO's counters, as read or as the contract predicts them. */
struct counters {
	unsigned long long areas;
	unsigned long long tables;
	unsigned long long data;
	unsigned long long mapped;
};

/* The guest the walk builds. */
struct guest {
	int fd;
	unsigned char *ram;		/* guest RAM mapped into the VMM */
	unsigned long long mmio_hpa;	/* 0: no device window mapped */
	unsigned long long huge_hpa;	/* host frame of the initrd's block */
	bool huge;			/* it got a 2 MiB frame */
	struct counters want;		/* what GET_INFO should say now */
};

static const struct {
	unsigned int format;
	const char *name;
	const char *pointer;	/* what the hypervisor loads */
	unsigned int gpa_bits, levels, root_pages;	/* the defaults */
} formats[] = {
	{ GASPACE_FMT_EPT, "Intel EPT", "EPTP", 48, 4, 1 },
	{ GASPACE_FMT_NPT, "AMD NPT", "nCR3", 48, 4, 1 },
	{ GASPACE_FMT_ARM64_S2, "Arm stage-2", "VTTBR_EL2", 40, 3, 2 },
	{ GASPACE_FMT_RISCV_G, "RISC-V G-stage", "hgatp", 41, 3, 4 },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NR_FORMATS ARRAY_SIZE(formats)

/* The step being run and the checks that failed so far. */
static int cur_step;
static int nr_failed;

static void step(int n, const char *what)
{
	cur_step = n;
	printf("\nStep %d: %s\n", n, what);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * A check of the contract: when @ok is false, say which step broke which
 * promise.  Returns @ok.
 */
static bool expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	nr_failed++;
	printf("  FAIL (step %d): ", cur_step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

static int fail(const char *what)
{
	fprintf(stderr, "vmm: %s: %s\n", what, strerror(errno));
	return -1;
}

/* "4 KiB", "2 MiB", "256 TiB": a size in the largest unit that divides it. */
static const char *human(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const units[] = {
		"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned int u = 0;

	while (u < 6 && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu %s", bytes, units[u]);
	return buf;
}

static const char *plural(unsigned long long n, const char *one,
			  const char *many)
{
	return n == 1 ? one : many;
}

/* "rwx", "r-x", "---" */
static const char *prot_str(unsigned int prot, char *buf)
{
	buf[0] = prot & GASPACE_PROT_READ ? 'r' : '-';
	buf[1] = prot & GASPACE_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & GASPACE_PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

/* The result of an ioctl as 0 or -errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* Step 1: the device that hands out address spaces. */
static int open_device(struct vmm *vmm)
{
	step(1, "open " GASPACE_DEV);
	vmm->dev = open(GASPACE_DEV, O_RDWR | O_CLOEXEC);
	if (vmm->dev < 0)
		return fail("open " GASPACE_DEV " (is gaspace.ko loaded?)");
	say("%s is open as fd %d.", GASPACE_DEV, vmm->dev);
	return 0;
}

/* Step 2: refuse to run against an API this VMM was not written for. */
static int check_api_version(struct vmm *vmm)
{
	int version;

	step(2, "check the API version");
	version = ioctl(vmm->dev, GASPACE_GET_API_VERSION, 0);
	if (version < 0)
		return fail("GASPACE_GET_API_VERSION");
	say("The module speaks gaspace API version %d; this VMM was built for version %d.",
	    version, GASPACE_API_VERSION);
	if (version != GASPACE_API_VERSION) {
		fprintf(stderr, "vmm: API version mismatch\n");
		return -1;
	}
	return 0;
}

/* Step 3: what the module can do, capability by capability. */
static int show_capabilities(struct vmm *vmm)
{
	long huge, mmap_ok, max_areas;
	char names[128] = "", sizes[64] = "", buf[32];
	unsigned int i;

	step(3, "ask what the module can do");
	vmm->formats = ioctl(vmm->dev, GASPACE_CHECK_EXTENSION,
			     GASPACE_CAP_FORMATS);
	huge = ioctl(vmm->dev, GASPACE_CHECK_EXTENSION, GASPACE_CAP_HUGE);
	mmap_ok = ioctl(vmm->dev, GASPACE_CHECK_EXTENSION, GASPACE_CAP_MMAP);
	max_areas = ioctl(vmm->dev, GASPACE_CHECK_EXTENSION,
			  GASPACE_CAP_MAX_AREAS);
	if (vmm->formats < 0 || huge < 0 || mmap_ok < 0 || max_areas < 0)
		return fail("GASPACE_CHECK_EXTENSION");

	for (i = 0; i < NR_FORMATS; i++)
		if (vmm->formats & (1L << formats[i].format))
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 *names ? ", " : "", formats[i].name);
	for (i = 12; i < 31; i++)	/* ioctl returns an int */
		if (huge & (1L << i))
			snprintf(sizes + strlen(sizes),
				 sizeof(sizes) - strlen(sizes), "%s%s",
				 *sizes ? " and " : "",
				 human(1ULL << i, buf, sizeof(buf)));

	say("Page-table formats (mask %#lx): %s.", vmm->formats, names);
	say("Linear mappings use blocks of %s (mask %#lx) where alignment allows.",
	    huge ? sizes : "4 KiB only", huge);
	say("Guest memory %s be mmapped into the VMM; a space holds at most %ld areas.",
	    mmap_ok ? "can" : "cannot", max_areas);
	expect(vmm->formats == 0x1e, "GASPACE_CAP_FORMATS is %#lx, the docs say 0x1e",
	       vmm->formats);
	expect((huge & (1L << 21)) && (huge & (1L << 30)),
	       "GASPACE_CAP_HUGE %#lx lacks 2 MiB or 1 GiB", huge);
	expect(mmap_ok == 1, "GASPACE_CAP_MMAP is %ld, the docs say 1", mmap_ok);
	return 0;
}

/*
 * The address space of a guest with GUEST_SIZE bytes of guest-physical
 * memory from 0, at the format's default width.
 */
static int create_space(struct vmm *vmm, struct space *sp, unsigned int format)
{
	struct gaspace_create args = {
		.format = format,
		.gpa_bits = 0,		/* the format's default width */
		.base = 0,
		.size = GUEST_SIZE,
	};

	sp->format = format;
	sp->fd = ioctl(vmm->dev, GASPACE_CREATE, &args);
	if (sp->fd < 0)
		return fail("GASPACE_CREATE");
	if (ioctl(sp->fd, GASPACE_GET_INFO, &sp->info) < 0) {
		fail("GASPACE_GET_INFO");
		close(sp->fd);
		return -1;
	}
	return 0;
}

/* The root value gaspace.rst 12 gives for @info's format. */
static unsigned long long want_pointer(const struct gaspace_info *info)
{
	unsigned long long root = info->root_hpa;

	switch (info->format) {
	case GASPACE_FMT_EPT:
		return root | (info->levels - 1) << 3 | 6;
	case GASPACE_FMT_RISCV_G:
		return (5ULL + info->levels) << 60 | root >> 12;
	default:
		return root;
	}
}

/* How the hypervisor would use info->root_pointer, in words. */
static void explain_root_pointer(const struct gaspace_info *info)
{
	unsigned long long ptr = info->root_pointer;
	unsigned long long vtcr = info->walk_config;

	switch (info->format) {
	case GASPACE_FMT_EPT:
		say("  EPTP %#llx: write-back walks, %llu levels, accessed/dirty flags %s.",
		    ptr, ((ptr >> 3) & 7) + 1, ptr & (1 << 6) ? "on" : "off");
		break;
	case GASPACE_FMT_NPT:
		say("  nCR3 %#llx: the root's address, as CR3 in long mode.", ptr);
		break;
	case GASPACE_FMT_ARM64_S2:
		say("  VTTBR_EL2 %#llx (VMID 0); VTCR_EL2 fields %#llx:", ptr, vtcr);
		say("  T0SZ %llu, start level %llu, write-back walks, 4 KiB granule.",
		    vtcr & 0x3f, 2 - ((vtcr >> 6) & 3));
		break;
	case GASPACE_FMT_RISCV_G:
		say("  hgatp %#llx: mode %llu (Sv%llux4), VMID 0, root PPN %#llx.",
		    ptr, ptr >> 60, 39 + 9 * ((ptr >> 60) - 8),
		    ptr & ((1ULL << 44) - 1));
		break;
	}
}

/* One format's space in two lines, checked against the contract. */
static void describe_space(const struct space *sp, unsigned int i)
{
	const struct gaspace_info *info = &sp->info;

	say("%s: %u-bit guest addresses, %u levels, a %u-page root at host-physical %#llx.",
	    formats[i].name, info->gpa_bits, info->levels, info->root_pages,
	    (unsigned long long)info->root_hpa);
	if (info->root_hpa)
		explain_root_pointer(info);
	else
		say("  (%s hidden: the fd's creator lacked CAP_SYS_ADMIN)",
		    formats[i].pointer);

	expect(info->gpa_bits == formats[i].gpa_bits &&
	       info->levels == formats[i].levels &&
	       info->root_pages == formats[i].root_pages,
	       "%s: gpa_bits %u, levels %u, root_pages %u; the docs say %u, %u, %u",
	       formats[i].name, info->gpa_bits, info->levels, info->root_pages,
	       formats[i].gpa_bits, formats[i].levels, formats[i].root_pages);
	expect(info->base == 0 && info->size == GUEST_SIZE && !info->nr_areas &&
	       info->nr_table_pages == info->root_pages &&
	       !info->nr_data_pages && !info->mapped_bytes,
	       "%s: a new space is not empty or not [0, 4 GiB)",
	       formats[i].name);
	if (info->root_hpa)
		expect(info->root_pointer == want_pointer(info),
		       "%s: %s is %#llx, the docs say %#llx", formats[i].name,
		       formats[i].pointer,
		       (unsigned long long)info->root_pointer,
		       want_pointer(info));
	if (info->format == GASPACE_FMT_ARM64_S2)
		expect(info->walk_config == 0x3558,
		       "VTCR_EL2 fields %#llx, the docs say 0x3558",
		       (unsigned long long)info->walk_config);
}

/* Step 4: one address space per format, described, then closed. */
static int tour_formats(struct vmm *vmm)
{
	unsigned int i;
	int ret = 0;

	step(4, "create a 4 GiB guest's address space in each format");
	say("Each space covers guest-physical [0, 4 GiB) and starts empty: no area, no");
	say("data page, only its root table.  The hypervisor loads the root value shown.");
	for (i = 0; i < NR_FORMATS; i++) {
		struct space sp;

		if (!(vmm->formats & (1L << formats[i].format))) {
			say("%s: not offered by this module, skipped.",
			    formats[i].name);
			continue;
		}
		if (create_space(vmm, &sp, formats[i].format)) {
			ret = -1;
			continue;
		}
		describe_space(&sp, i);
		/* Closing the last reference frees the tables. */
		close(sp.fd);
	}
	say("Closing a space's fd frees its page table; the walk below keeps one.");
	return ret;
}

/* The name of an errno result, as the contract writes it. */
static const char *errname(int err)
{
	static char buf[64];

	switch (err) {
	case 0:
		return "0";
	case -ENOENT:
		return "-ENOENT";
	case -ERANGE:
		return "-ERANGE";
	case -EACCES:
		return "-EACCES";
	case -EPERM:
		return "-EPERM";
	case -ENXIO:
		return "-ENXIO";
	case -EEXIST:
		return "-EEXIST";
	case -EINVAL:
		return "-EINVAL";
	}
	snprintf(buf, sizeof(buf), "%d (%s)", err, strerror(-err));
	return buf;
}

/* The first @n bytes of @p in hex: "fa f4 20 68". */
static const char *hex(const void *p, size_t n, char *buf, size_t len)
{
	const unsigned char *b = p;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off + 4 <= len; i++)
		off += snprintf(buf + off, len - off, "%s%02x", i ? " " : "",
				b[i]);
	return buf;
}

/* GET_INFO's counters in one line, checked against what the docs predict. */
static void show_counters(struct guest *g)
{
	const struct counters *w = &g->want;
	struct gaspace_info info;
	char mapped[32];

	if (!expect(!xioctl(g->fd, GASPACE_GET_INFO, &info),
		    "GASPACE_GET_INFO failed"))
		return;
	say("GET_INFO: %llu %s, %llu table %s, %llu data %s, %s mapped.",
	    (unsigned long long)info.nr_areas,
	    plural(info.nr_areas, "area", "areas"),
	    (unsigned long long)info.nr_table_pages,
	    plural(info.nr_table_pages, "page", "pages"),
	    (unsigned long long)info.nr_data_pages,
	    plural(info.nr_data_pages, "page", "pages"),
	    human(info.mapped_bytes, mapped, sizeof(mapped)));
	expect(info.nr_areas == w->areas, "nr_areas is %llu, the docs say %llu",
	       (unsigned long long)info.nr_areas, w->areas);
	expect(info.nr_table_pages == w->tables,
	       "nr_table_pages is %llu, the docs say %llu",
	       (unsigned long long)info.nr_table_pages, w->tables);
	expect(info.nr_data_pages == w->data,
	       "nr_data_pages is %llu, the docs say %llu",
	       (unsigned long long)info.nr_data_pages, w->data);
	expect(info.mapped_bytes == w->mapped,
	       "mapped_bytes is %#llx, the docs say %#llx",
	       (unsigned long long)info.mapped_bytes, w->mapped);
	/* Go on from what is there, so that a FAIL names one step only. */
	g->want.areas = info.nr_areas;
	g->want.tables = info.nr_table_pages;
	g->want.data = info.nr_data_pages;
	g->want.mapped = info.mapped_bytes;
}

static int map_alloc(struct guest *g, unsigned long long gpa,
		     unsigned long long size, unsigned int prot,
		     unsigned int flags)
{
	struct gaspace_map map = {
		.gpa = gpa, .size = size, .prot = prot, .flags = flags,
	};

	return xioctl(g->fd, GASPACE_MAP_ALLOC, &map);
}

static int map_linear(struct guest *g, unsigned long long gpa,
		      unsigned long long hpa, unsigned long long size,
		      unsigned int prot, unsigned int flags)
{
	struct gaspace_map map = {
		.gpa = gpa, .size = size, .hpa = hpa, .prot = prot,
		.flags = flags,
	};

	return xioctl(g->fd, GASPACE_MAP_LINEAR, &map);
}

static int unmap(struct guest *g, unsigned long long gpa,
		 unsigned long long size)
{
	struct gaspace_range range = { .gpa = gpa, .size = size };

	return xioctl(g->fd, GASPACE_UNMAP, &range);
}

static int protect(struct guest *g, unsigned long long gpa,
		   unsigned long long size, unsigned int prot)
{
	struct gaspace_range range = { .gpa = gpa, .size = size, .prot = prot };

	return xioctl(g->fd, GASPACE_PROTECT, &range);
}

static int translate(struct guest *g, unsigned long long gpa,
		     struct gaspace_translation *t)
{
	memset(t, 0, sizeof(*t));
	t->gpa = gpa;
	return xioctl(g->fd, GASPACE_TRANSLATE, t);
}

static int fault(struct guest *g, unsigned long long gpa, unsigned int access)
{
	struct gaspace_fault f = { .gpa = gpa, .access = access };

	return xioctl(g->fd, GASPACE_FAULT, &f);
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/*
 * Read one byte of guest RAM through the VMM's mapping, as device emulation
 * would.  Returns 0, or -1 when the read raised SIGBUS.
 */
static int touch(const unsigned char *p, unsigned char *val)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(bus_jmp, 1))
		*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	else
		ret = -1;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

/* Step 5: the space the walk fills, kept for the guest's lifetime. */
static int create_guest(struct vmm *vmm, struct guest *g)
{
	struct space sp;

	step(5, "create the guest's address space: EPT, 4 GiB");
	say("A VMM creates one space per guest and keeps it as long as the guest lives;");
	say("each vCPU's VMCS gets its EPTP.  It starts with the root table alone.");
	if (create_space(vmm, &sp, GASPACE_FMT_EPT))
		return -1;
	g->fd = sp.fd;
	g->want.tables = sp.info.root_pages;
	show_counters(g);
	return 0;
}

/* Step 6: guest RAM whose frames come one fault at a time. */
static int map_ram(struct guest *g)
{
	int ret;

	step(6, "map guest RAM: 256 MiB at gpa 0, allocated lazily");
	say("MAP_ALLOC makes an area whose frames the space owns.  Without POPULATE none");
	say("exists yet: a page gets its frame when first touched, so an idle guest costs");
	say("only the memory it uses.  No frame, no leaf: nothing is mapped so far.");
	ret = map_alloc(g, RAM_GPA, RAM_SIZE, PROT_RWX, 0);
	if (!expect(!ret, "MAP_ALLOC of guest RAM: %s", errname(ret)))
		return -1;
	g->want.areas++;
	show_counters(g);
	return 0;
}

/* Step 7: the loader's way in, and reads that allocate nothing. */
static int load_image(struct guest *g)
{
	unsigned char buf[64], zeros[64] = { 0 };
	char h[64];
	ssize_t n;

	step(7, "load the guest kernel with pwrite");
	say("pwrite at offset = gpa copies into guest memory, as a VMM's loader does before");
	say("the first vCPU runs; the page it writes gets its frame (and the tables above it).");
	n = pwrite(g->fd, guest_image, sizeof(guest_image), IMAGE_GPA);
	if (!expect(n == sizeof(guest_image), "pwrite of the image returned %zd (%s)",
		    n, n < 0 ? strerror(errno) : "short"))
		return -1;
	say("Wrote %zd bytes at gpa %#llx: %s ...", n, IMAGE_GPA,
	    hex(guest_image, 12, h, sizeof(h)));
	g->want.data++;
	g->want.mapped += 4 * KiB;
	g->want.tables += 3;	/* the EPT PDPT, PD and PT above it */

	memset(buf, 0xff, sizeof(buf));
	n = pread(g->fd, buf, sizeof(buf), LAZY_GPA);
	say("pread of the untouched page at gpa %#llx: %zd bytes of %s, nothing allocated.",
	    LAZY_GPA, n, memcmp(buf, zeros, sizeof(buf)) ? "data" : "zeros");
	expect(n == sizeof(buf) && !memcmp(buf, zeros, sizeof(buf)),
	       "pread of a never-faulted page did not return zeros");
	show_counters(g);
	return 0;
}

/* Step 8: guest RAM in the VMM's own address space. */
static int map_into_vmm(struct guest *g)
{
	char buf[sizeof(guest_cmdline)], h[64];
	void *p;

	step(8, "map guest RAM into the VMM: mmap(MAP_SHARED) at offset = gpa");
	say("Device emulation reads and writes guest memory all day: a shared mapping of");
	say("the fd gives the VMM the very frames the guest uses.");
	p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd,
		 RAM_GPA);
	if (!expect(p != MAP_FAILED, "mmap of guest RAM: %s", strerror(errno)))
		return -1;
	g->ram = p;
	say("Guest RAM is at %p in the VMM; at gpa %#llx it reads", p,
	    IMAGE_GPA);
	say("%s ..., the bytes pwrite wrote.",
	    hex(g->ram + IMAGE_GPA, 12, h, sizeof(h)));
	expect(!memcmp(g->ram + IMAGE_GPA, guest_image, sizeof(guest_image)),
	       "the mmap does not show the bytes pwrite wrote");

	memcpy(g->ram + CMDLINE_GPA, guest_cmdline, sizeof(guest_cmdline));
	g->want.data++;
	g->want.mapped += 4 * KiB;
	memset(buf, 0, sizeof(buf));
	expect(pread(g->fd, buf, sizeof(buf), CMDLINE_GPA) == sizeof(buf) &&
	       !memcmp(buf, guest_cmdline, sizeof(buf)),
	       "pread does not see what the VMM wrote through its mapping");
	say("The VMM writes the command line at gpa %#llx through the mapping: the touch",
	    CMDLINE_GPA);
	say("allocates that page, and pread reads back \"%.*s\".",
	    (int)sizeof(buf) - 1, buf);
	show_counters(g);
	return 0;
}

/* Step 9: memory the guest needs at once, mapped before it runs. */
static int map_rom(struct guest *g)
{
	ssize_t n;
	int ret;

	step(9, "map the firmware ROM: 1 MiB below 4 GiB, populated, read + execute");
	say("POPULATE allocates and maps every page now, for memory the guest needs at");
	say("once: the vCPU starts in the firmware and never faults on it.");
	ret = map_alloc(g, ROM_GPA, ROM_SIZE, PROT_RX, GASPACE_MAP_POPULATE);
	if (!expect(!ret, "MAP_ALLOC with POPULATE: %s", errname(ret)))
		return 0;
	g->want.areas++;
	g->want.data += ROM_SIZE / (4 * KiB);
	g->want.mapped += ROM_SIZE;
	g->want.tables += 2;	/* the PD of the 4th GiB, a PT */
	n = pwrite(g->fd, reset_vector, sizeof(reset_vector), RESET_GPA);
	expect(n == sizeof(reset_vector), "pwrite into the ROM returned %zd", n);
	say("pwrite ignores the guest's prot: the VMM writes the reset vector at %#llx.",
	    RESET_GPA);
	show_counters(g);
	return 0;
}

/* Step 10: 2 MiB frames, one block leaf each. */
static int map_huge(struct guest *g)
{
	struct gaspace_translation t;
	char size[32];
	ssize_t n;
	int ret;

	step(10, "map high RAM with 2 MiB frames: 256 MiB at 256 MiB, HUGE");
	say("With GASPACE_MAP_HUGE each 2 MiB block of the area gets one 2 MiB frame and one");
	say("leaf: fewer table pages and TLB misses.  Writing the initrd's first bytes");
	say("populates a whole block.");
	ret = map_alloc(g, HIGH_GPA, HIGH_SIZE, PROT_RW, GASPACE_MAP_HUGE);
	if (!expect(!ret, "MAP_ALLOC with HUGE: %s", errname(ret)))
		return 0;
	g->want.areas++;
	n = pwrite(g->fd, guest_initrd, sizeof(guest_initrd), HIGH_GPA);
	expect(n == sizeof(guest_initrd), "pwrite of the initrd returned %zd", n);
	ret = translate(g, HIGH_GPA, &t);
	if (!expect(!ret, "TRANSLATE of the initrd: %s", errname(ret)))
		return 0;
	say("TRANSLATE %#llx: a %s page, leaf at level %u, host-physical %#llx.",
	    HIGH_GPA, human(t.page_size, size, sizeof(size)), t.level,
	    (unsigned long long)t.hpa);
	g->huge_hpa = t.hpa;
	if (t.page_size == 2 * MiB && t.level == 1) {
		g->huge = true;
		g->want.data += 512;
		g->want.mapped += 2 * MiB;
	} else {
		say("No 2 MiB page was free: the block fell back to 4 KiB frames (allowed).");
		expect(t.page_size == 4 * KiB && t.level == 0,
		       "a HUGE page of %#llx at level %u",
		       (unsigned long long)t.page_size, t.level);
		g->want.data++;
		g->want.mapped += 4 * KiB;
		g->want.tables++;
	}
	show_counters(g);
	return 0;
}

/*
 * A top-level /proc/iomem region that is not System RAM and holds @size
 * bytes at a 2 MiB-aligned address, a PCI window preferred; or, with @ram,
 * the first page of System RAM.  Returns the address, 0 if none.
 */
static unsigned long long find_iomem(unsigned long long size, bool ram,
				     char *name, size_t len)
{
	unsigned long long start, end, at, found = 0;
	char line[256], *desc;
	FILE *f;
	int n;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* Indented lines are parts of the region above them. */
		if (line[0] == ' ' ||
		    sscanf(line, "%llx-%llx : %n", &start, &end, &n) != 2)
			continue;
		desc = line + n;
		desc[strcspn(desc, "\n")] = '\0';
		if (ram != !strcmp(desc, "System RAM") || !end)
			continue;
		at = ram ? (start + 4095) & ~4095ULL :
			   (start + 2 * MiB - 1) & ~(2 * MiB - 1);
		if (at < start || at + size - 1 > end)
			continue;
		if (found && strncmp(desc, "PCI Bus", 7))
			continue;
		found = at;
		snprintf(name, len, "%llx-%llx : %s", start, end, desc);
		if (ram || !strncmp(desc, "PCI Bus", 7))
			break;
	}
	fclose(f);
	return found;
}

/* Step 11: a host device's registers, seen by the guest. */
static int map_device(struct guest *g)
{
	unsigned long long hpa, ram;
	char where[128], ram_where[128];
	int ret;

	step(11, "map a device's MMIO window linearly, as device memory");
	say("MAP_LINEAR maps guest-physical to host-physical at a fixed offset, for device");
	say("pass-through.  It needs CAP_SYS_RAWIO and refuses System RAM; GASPACE_MAP_DEVICE");
	say("makes the leaves uncached (EPT memory type UC).");
	hpa = find_iomem(MMIO_SIZE, false, where, sizeof(where));
	if (!hpa) {
		say("/proc/iomem shows no 4 MiB window outside RAM: skipped.");
		return 0;
	}
	say("/proc/iomem has \"%s\", no RAM in it:", where);
	say("map the 4 MiB at host-physical %#llx to gpa %#llx.", hpa,
	    MMIO_GPA);
	ret = map_linear(g, MMIO_GPA, hpa, MMIO_SIZE, PROT_RW,
			 GASPACE_MAP_DEVICE);
	if (expect(!ret, "MAP_LINEAR of MMIO at %#llx: %s", hpa,
		   errname(ret))) {
		g->mmio_hpa = hpa;
		g->want.areas++;
		g->want.mapped += MMIO_SIZE;	/* two 2 MiB blocks */
	}

	ram = find_iomem(4 * KiB, true, ram_where, sizeof(ram_where));
	if (ram) {
		ret = map_linear(g, MMIO_GPA + MMIO_SIZE, ram, 4 * KiB,
				 PROT_RW, 0);
		say("The same call over host RAM (\"%s\") returns %s.",
		    ram_where, errname(ret));
		if (!expect(ret == -EPERM,
			    "MAP_LINEAR of System RAM: %s, the docs say -EPERM",
			    errname(ret)) && !ret)
			unmap(g, MMIO_GPA + MMIO_SIZE, 4 * KiB);
	}
	show_counters(g);
	return 0;
}

/* What TRANSLATE should say about one address. */
struct probe {
	unsigned long long gpa;
	const char *what;
	int err;
	unsigned long long page_size;
	unsigned int level, backend, prot;
	unsigned long long limit;	/* bytes to the end of the area */
	unsigned long long hpa;		/* 0: not known in advance */
};

static void show_probe(struct guest *g, const struct probe *p)
{
	struct gaspace_translation t;
	char size[32], prot[4];
	int ret;

	ret = translate(g, p->gpa, &t);
	if (ret) {
		say("%#-12llx %-14s %s", p->gpa, p->what, errname(ret));
		expect(ret == p->err, "TRANSLATE %#llx: %s, the docs say %s",
		       p->gpa, errname(ret), errname(p->err));
		return;
	}
	say("%#-12llx %-14s %#-12llx %-6s %-5u %-7s %-4s %#llx",
	    p->gpa, p->what, (unsigned long long)t.hpa,
	    human(t.page_size, size, sizeof(size)), t.level,
	    t.backend == GASPACE_BACKEND_LINEAR ? "linear" : "alloc",
	    prot_str(t.prot, prot), (unsigned long long)t.limit);
	expect(!p->err, "TRANSLATE %#llx: 0, the docs say %s", p->gpa,
	       errname(p->err));
	expect(t.page_size == p->page_size && t.level == p->level,
	       "TRANSLATE %#llx: leaf %#llx at level %u, the docs say %#llx at %u",
	       p->gpa, (unsigned long long)t.page_size, t.level,
	       p->page_size, p->level);
	expect(t.backend == p->backend && t.prot == p->prot,
	       "TRANSLATE %#llx: backend %u prot %#x, the docs say %u and %#x",
	       p->gpa, t.backend, t.prot, p->backend, p->prot);
	expect(t.limit == p->limit, "TRANSLATE %#llx: limit %#llx, the docs say %#llx",
	       p->gpa, (unsigned long long)t.limit, p->limit);
	expect(!t.hpa || (t.hpa & (t.page_size - 1)) ==
			 (p->gpa & (t.page_size - 1)),
	       "TRANSLATE %#llx: hpa %#llx is not the byte's address", p->gpa,
	       (unsigned long long)t.hpa);
	expect(!p->hpa || !t.hpa || t.hpa == p->hpa,
	       "TRANSLATE %#llx: hpa %#llx, the docs say %#llx", p->gpa,
	       (unsigned long long)t.hpa, p->hpa);
}

/* Step 12: the nested table, walked for a few addresses. */
static int show_translations(struct guest *g)
{
	unsigned long long huge = g->huge ? 2 * MiB : 4 * KiB;
	struct probe probes[] = {
		{ .gpa = IMAGE_GPA + 2, .what = "kernel image",
		  .page_size = 4 * KiB, .backend = GASPACE_BACKEND_ALLOC,
		  .prot = PROT_RWX, .limit = RAM_SIZE - IMAGE_GPA - 2 },
		{ .gpa = HIGH_GPA + 0x1234, .what = "initrd",
		  .page_size = huge, .level = g->huge,
		  .backend = GASPACE_BACKEND_ALLOC, .prot = PROT_RW,
		  .limit = HIGH_SIZE - 0x1234,
		  .hpa = g->huge ? g->huge_hpa + 0x1234 : 0 },
		{ .gpa = MMIO_GPA + 0x1010, .what = "MMIO register",
		  .page_size = 2 * MiB, .level = 1,
		  .backend = GASPACE_BACKEND_LINEAR, .prot = PROT_RW,
		  .limit = MMIO_SIZE - 0x1010, .hpa = g->mmio_hpa + 0x1010 },
		{ .gpa = RESET_GPA, .what = "reset vector",
		  .page_size = 4 * KiB, .backend = GASPACE_BACKEND_ALLOC,
		  .prot = PROT_RX, .limit = GUEST_SIZE - RESET_GPA },
		{ .gpa = LAZY_GPA, .what = "untouched RAM", .err = -ENOENT },
		{ .gpa = 2 * GiB, .what = "no area", .err = -ENOENT },
		{ .gpa = GUEST_SIZE, .what = "past the end", .err = -ERANGE },
	};
	unsigned int i;

	step(12, "translate guest-physical addresses: TRANSLATE");
	say("TRANSLATE walks the nested table as the CPU would, for any byte: a VMM uses it");
	say("to emulate an instruction, program DMA or debug.  hpa needs a space");
	say("created with CAP_SYS_ADMIN.");
	say("An untouched lazy page has no leaf yet: -ENOENT, like an unmapped hole.");
	say("limit counts the bytes from gpa to the end of its area.");
	printf("\n");
	say("%-12s %-14s %-12s %-6s %-5s %-7s %-4s %s", "gpa", "what", "hpa",
	    "leaf", "level", "backend", "prot", "limit");
	for (i = 0; i < ARRAY_SIZE(probes); i++)
		if (g->mmio_hpa || probes[i].gpa != MMIO_GPA + 0x1010)
			show_probe(g, &probes[i]);
	show_counters(g);
	return 0;
}

/* Step 13: what the hypervisor does on an EPT violation. */
static int handle_faults(struct guest *g)
{
	struct gaspace_translation t;
	int ret;

	step(13, "handle the guest's first touch of a page: FAULT");
	say("When the guest touches a page with no leaf the CPU exits (an EPT violation)");
	say("and the hypervisor calls FAULT with the access: 0 means resume the guest.");
	ret = fault(g, LAZY_GPA + 0x42, GASPACE_PROT_WRITE);
	expect(!ret, "FAULT of a lazy page: %s", errname(ret));
	g->want.data++;
	g->want.mapped += 4 * KiB;
	g->want.tables++;	/* a PT for [2 MiB, 4 MiB) */
	ret = translate(g, LAZY_GPA, &t);
	expect(!ret, "TRANSLATE after FAULT: %s", errname(ret));
	say("A store at %#llx: FAULT returns %s; the page now has a frame at %#llx.",
	    LAZY_GPA + 0x42, errname(ret), (unsigned long long)t.hpa);
	ret = fault(g, LAZY_GPA, GASPACE_PROT_READ);
	say("The same page again (two vCPUs racing): %s, and nothing more is allocated.",
	    errname(ret));
	expect(!ret, "a second FAULT of a present page: %s", errname(ret));
	ret = fault(g, RESET_GPA, GASPACE_PROT_WRITE);
	say("A store into the r-x ROM: %s; the VMM emulates it or stops the guest.",
	    errname(ret));
	expect(ret == -EACCES, "FAULT W on an r-x area: %s, the docs say -EACCES",
	       errname(ret));
	ret = fault(g, 2 * GiB, GASPACE_PROT_READ);
	say("A load at 2 GiB, where no area is: %s, an MMIO exit for the VMM to emulate.",
	    errname(ret));
	expect(ret == -ENOENT, "FAULT in a hole: %s, the docs say -ENOENT",
	       errname(ret));
	show_counters(g);
	return 0;
}

/* Step 14: write-protection for dirty logging, and prot 0. */
static int protect_page(struct guest *g)
{
	struct gaspace_translation t, back;
	char buf[sizeof(guest_image)], prot[4];
	bool same;
	int ret;

	step(14, "write-protect a page, hide it, give it back: PROTECT");
	say("Live migration write-protects pages to learn which ones the guest dirties;");
	say("prot 0 hides a page from the guest (e.g. for introspection) but keeps its frame.");
	say("PROTECT splits the area at both edges of its range; areas are never merged.");
	ret = protect(g, IMAGE_GPA, 4 * KiB, GASPACE_PROT_READ);
	if (!expect(!ret, "PROTECT to r--: %s", errname(ret)))
		return 0;
	g->want.areas += 2;
	ret = translate(g, IMAGE_GPA, &t);
	expect(!ret && t.prot == GASPACE_PROT_READ,
	       "TRANSLATE after PROTECT to r--: %s, prot %#x", errname(ret),
	       t.prot);
	ret = fault(g, IMAGE_GPA, GASPACE_PROT_WRITE);
	say("Page %#llx is now %s; a guest store faults with %s: log it dirty, then",
	    IMAGE_GPA, prot_str(t.prot, prot), errname(ret));
	say("give write access back.");
	expect(ret == -EACCES, "FAULT W on an r-- page: %s, the docs say -EACCES",
	       errname(ret));
	show_counters(g);

	ret = protect(g, IMAGE_GPA, 4 * KiB, 0);
	expect(!ret, "PROTECT to 0: %s", errname(ret));
	g->want.mapped -= 4 * KiB;
	ret = translate(g, IMAGE_GPA, &back);
	same = pread(g->fd, buf, sizeof(buf), IMAGE_GPA) == sizeof(buf) &&
	       !memcmp(buf, guest_image, sizeof(buf)) &&
	       !memcmp(g->ram + IMAGE_GPA, guest_image, sizeof(buf));
	say("At prot 0 TRANSLATE says %s, yet pread and the VMM's mapping still read",
	    errname(ret));
	say("the kernel there: %s.  The VMM is privileged over its guest.",
	    same ? "yes" : "no");
	expect(ret == -ENOENT, "TRANSLATE at prot 0: %s, the docs say -ENOENT",
	       errname(ret));
	expect(same, "at prot 0 the VMM no longer reads the kernel's bytes");
	show_counters(g);

	ret = protect(g, IMAGE_GPA, 4 * KiB, PROT_RWX);
	expect(!ret, "PROTECT back to rwx: %s", errname(ret));
	g->want.mapped += 4 * KiB;
	ret = translate(g, IMAGE_GPA, &back);
	say("Back to rwx: the same frame (%#llx) is mapped at once; the area stays split.",
	    (unsigned long long)back.hpa);
	expect(!ret && back.prot == PROT_RWX && back.hpa == t.hpa,
	       "after PROTECT back to rwx: %s, prot %#x, hpa %#llx (was %#llx)",
	       errname(ret), back.prot, (unsigned long long)back.hpa,
	       (unsigned long long)t.hpa);
	show_counters(g);
	return 0;
}

/* UNMAP of one page inside the initrd's 2 MiB frame: the block splits. */
static void unmap_in_huge(struct guest *g)
{
	struct gaspace_translation t;
	int ret;

	ret = unmap(g, HIGH_GPA + 1 * MiB, 4 * KiB);
	expect(!ret, "UNMAP inside a 2 MiB frame: %s", errname(ret));
	g->want.areas++;
	if (g->huge) {
		g->want.data--;
		g->want.mapped -= 4 * KiB;
		g->want.tables++;	/* 4 KiB leaves replace the block */
	}
	ret = translate(g, HIGH_GPA, &t);
	say("UNMAP of 4 KiB inside the initrd's 2 MiB frame frees that page alone: the rest");
	say("stays in place, mapped by 4 KiB leaves (%#llx: a %s leaf at %#llx).",
	    HIGH_GPA, t.page_size == 4 * KiB ? "4 KiB" : "larger",
	    (unsigned long long)t.hpa);
	expect(!ret && t.page_size == 4 * KiB && t.level == 0 &&
	       t.hpa == g->huge_hpa,
	       "after a split, %#llx is %s, a %#llx leaf at %#llx", HIGH_GPA,
	       errname(ret), (unsigned long long)t.page_size,
	       (unsigned long long)t.hpa);
	show_counters(g);
}

/* Step 15: memory taken away from the guest, and from the VMM with it. */
static int unmap_ram(struct guest *g)
{
	unsigned long long gpa = LAZY_GPA & ~(2 * MiB - 1);
	unsigned char val = 0xff;
	char buf[1];
	int ret;

	step(15, "give memory back: UNMAP, and the SIGBUS after it");
	say("UNMAP takes memory from the guest (a balloon, a hot-unplug): it frees frames");
	say("and empty tables, and zaps the VMM's mappings so no stale frame stays visible.");
	ret = touch(g->ram + LAZY_GPA, &val);
	say("Before: the VMM reads gpa %#llx through its mapping: 0x%02x.",
	    LAZY_GPA, val);
	expect(!ret, "a touch of a mapped page raised SIGBUS");

	ret = unmap(g, gpa, 2 * MiB);
	if (!expect(!ret, "UNMAP: %s", errname(ret)))
		return 0;
	g->want.areas++;
	g->want.data--;
	g->want.mapped -= 4 * KiB;
	g->want.tables--;	/* the PT of [2 MiB, 4 MiB) is empty */
	ret = touch(g->ram + LAZY_GPA, &val);
	say("UNMAP [%#llx, %#llx); the same read now %s.", gpa, gpa + 2 * MiB,
	    ret ? "raises SIGBUS, caught with siglongjmp" : "still works");
	expect(ret, "a touch after UNMAP did not raise SIGBUS");
	ret = pread(g->fd, buf, 1, LAZY_GPA) < 0 ? -errno : 0;
	say("pread of gpa %#llx now says %s.", LAZY_GPA, errname(ret));
	expect(ret == -ENXIO, "pread of an unmapped page: %s, the docs say -ENXIO",
	       errname(ret));
	ret = touch(g->ram + IMAGE_GPA, &val);
	say("Pages outside the range stay: the kernel at %#llx still reads 0x%02x.",
	    IMAGE_GPA, val);
	expect(!ret && val == (unsigned char)guest_image[0],
	       "UNMAP took the VMM's mapping of a page outside its range");
	show_counters(g);

	unmap_in_huge(g);
	return 0;
}

/* SecPageTables of /proc/meminfo in KiB, or -1. */
static long long sec_page_tables(void)
{
	char line[128];
	long long kib = -1;
	FILE *f;

	/* Fold the per-CPU counter deltas into the totals first. */
	f = fopen("/proc/sys/vm/stat_refresh", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %lld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Step 16: the last references go, and everything with them. */
static void shut_down(struct guest *g)
{
	long long before, after;

	step(16, "shut the guest down: munmap and close");
	say("The space lives while its fd or a mapping of it does; the last one to go");
	say("frees every frame and table page.");
	before = sec_page_tables();
	if (g->ram)
		munmap(g->ram, RAM_SIZE);
	close(g->fd);
	after = sec_page_tables();
	if (before < 0 || after < 0)
		return;
	say("SecPageTables in /proc/meminfo: %lld kB before, %lld kB after.",
	    before, after);
	expect(before - after == (long long)g->want.tables * 4,
	       "closing freed %lld kB of table pages, the docs say %llu",
	       before - after, g->want.tables * 4);
}

/* Steps 6 to 15, in order. */
static int (*const walk_steps[])(struct guest *g) = {
	map_ram, load_image, map_into_vmm, map_rom, map_huge, map_device,
	show_translations, handle_faults, protect_page, unmap_ram,
};

/* Steps 5 to 16: one guest's memory, built and taken apart. */
static int walk_guest(struct vmm *vmm)
{
	struct guest g = { .fd = -1 };
	unsigned int i;
	int ret;

	ret = create_guest(vmm, &g);
	for (i = 0; !ret && i < ARRAY_SIZE(walk_steps); i++)
		ret = walk_steps[i](&g);
	if (g.fd >= 0)
		shut_down(&g);
	return ret;
}

int main(void)
{
	struct vmm vmm = { .dev = -1 };
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("gaspace example VMM\n");
	ret = open_device(&vmm);
	if (!ret)
		ret = check_api_version(&vmm);
	if (!ret)
		ret = show_capabilities(&vmm);
	if (!ret)
		ret = tour_formats(&vmm);
	if (!ret)
		ret = walk_guest(&vmm);
	if (vmm.dev >= 0)
		close(vmm.dev);
	if (nr_failed)
		printf("\nvmm: %d %s of the contract failed, see FAIL above.\n",
		       nr_failed, plural(nr_failed, "check", "checks"));
	else if (ret)
		printf("\nvmm: a step could not run, see above.\n");
	else
		printf("\nDone: every step behaved as the contract says.\n");
	return ret || nr_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
