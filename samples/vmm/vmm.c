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
 * This program walks through those steps for every format and says what it
 * sees in plain words.  Each step is one function; later steps (map guest
 * memory, translate, fault, read it, protect, unmap) will slot in after
 * step 4's GET_INFO.
 *
 * Build: make -C samples/vmm; run as root after insmod gaspace.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/gaspace.h>

#define GASPACE_DEV "/dev/gaspace"

/* The example guest: 4 GiB of guest-physical address space from 0. */
#define GUEST_SIZE (4ULL << 30)

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

static const struct {
	unsigned int format;
	const char *name;
	const char *pointer;	/* what the hypervisor loads */
} formats[] = {
	{ GASPACE_FMT_EPT, "Intel EPT", "EPTP" },
	{ GASPACE_FMT_NPT, "AMD NPT", "nCR3" },
	{ GASPACE_FMT_ARM64_S2, "Arm stage-2", "VTTBR_EL2" },
	{ GASPACE_FMT_RISCV_G, "RISC-V G-stage", "hgatp" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NR_FORMATS ARRAY_SIZE(formats)

static const char *format_name(unsigned int format)
{
	unsigned int i;

	for (i = 0; i < NR_FORMATS; i++)
		if (formats[i].format == format)
			return formats[i].name;
	return "an unknown format";
}

static const char *pointer_name(unsigned int format)
{
	unsigned int i;

	for (i = 0; i < NR_FORMATS; i++)
		if (formats[i].format == format)
			return formats[i].pointer;
	return "root pointer";
}

static void step(int n, const char *what)
{
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
	char buf[32];
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

	say("Page-table formats it builds (mask %#lx):", vmm->formats);
	for (i = 0; i < NR_FORMATS; i++)
		if (vmm->formats & (1L << formats[i].format))
			say("  - %s", formats[i].name);

	if (!huge) {
		say("Linear mappings use 4 KiB pages only.");
	} else {
		say("Linear mappings can use blocks of (mask %#lx):", huge);
		for (i = 12; i < 63; i++)
			if (huge & (1L << i))
				say("  - %s", human(1ULL << i, buf,
						    sizeof(buf)));
	}
	say("Guest memory %s be mmapped into the VMM.",
	    mmap_ok ? "can" : "cannot");
	say("An address space holds at most %ld areas.", max_areas);
	return 0;
}

/*
 * Step 4a: the address space of a guest with GUEST_SIZE bytes of
 * guest-physical memory from 0, at the format's default width.
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

/* How the hypervisor would use info->root_pointer, in words. */
static void explain_root_pointer(const struct gaspace_info *info)
{
	unsigned long long ptr = info->root_pointer;
	unsigned long long vtcr = info->walk_config;

	switch (info->format) {
	case GASPACE_FMT_EPT:
		say("EPTP = %#llx: root %#llx, memory type %s,",
		    ptr, ptr & ~0xfffULL,
		    (ptr & 7) == 6 ? "write-back" : "uncacheable");
		say("a %llu-level walk, accessed/dirty flags %s.",
		    ((ptr >> 3) & 7) + 1, ptr & (1 << 6) ? "on" : "off");
		break;
	case GASPACE_FMT_NPT:
		say("nCR3 = %#llx: the root table's address, as CR3 in long mode.",
		    ptr);
		break;
	case GASPACE_FMT_ARM64_S2:
		say("VTTBR_EL2 = %#llx: root %#llx, VMID 0.", ptr,
		    ptr & ((1ULL << 48) - 1));
		say("VTCR_EL2 fields %#llx: T0SZ %llu (%llu-bit input), start level %llu,",
		    vtcr, vtcr & 0x3f, 64 - (vtcr & 0x3f),
		    2 - ((vtcr >> 6) & 3));
		say("write-back table walks, inner shareable, 4 KiB granule.");
		say("(The hypervisor adds PS, VS and the RES1 bits itself.)");
		break;
	case GASPACE_FMT_RISCV_G:
		say("hgatp = %#llx: mode %llu (Sv%llux4), VMID 0, root PPN %#llx.",
		    ptr, ptr >> 60, 39 + 9 * ((ptr >> 60) - 8),
		    ptr & ((1ULL << 44) - 1));
		break;
	}
}

/* Step 4b: everything GET_INFO says about the space, in sentences. */
static void describe_space(const struct space *sp)
{
	const struct gaspace_info *info = &sp->info;
	char size[32], root[32], mapped[32];

	human(info->size, size, sizeof(size));
	human(info->root_pages * 4096ULL, root, sizeof(root));
	human(info->mapped_bytes, mapped, sizeof(mapped));

	say("%s (fd %d): guest-physical addresses are %u bits wide, the format's default.",
	    format_name(info->format), sp->fd, info->gpa_bits);
	say("The space covers [0x%llx, 0x%llx), %s.",
	    (unsigned long long)info->base,
	    (unsigned long long)(info->base + info->size), size);
	say("Its page table has %u levels; the root table is %u %s (%s).",
	    info->levels, info->root_pages,
	    plural(info->root_pages, "page", "pages"), root);
	if (!info->root_hpa) {
		say("The root's host-physical address is hidden: %s needs CAP_SYS_ADMIN.",
		    pointer_name(info->format));
	} else {
		say("The root lies at host-physical %#llx.",
		    (unsigned long long)info->root_hpa);
		explain_root_pointer(info);
	}
	say("It holds %llu %s, %llu table %s and %llu data %s; %s %s mapped.",
	    (unsigned long long)info->nr_areas,
	    plural(info->nr_areas, "area", "areas"),
	    (unsigned long long)info->nr_table_pages,
	    plural(info->nr_table_pages, "page", "pages"),
	    (unsigned long long)info->nr_data_pages,
	    plural(info->nr_data_pages, "page", "pages"),
	    mapped, info->mapped_bytes == 1 ? "is" : "are");
}

/* Step 4: one address space per format, described, then closed. */
static int tour_formats(struct vmm *vmm)
{
	unsigned int i;
	int ret = 0;

	step(4, "create a 4 GiB guest's address space in each format");
	for (i = 0; i < NR_FORMATS; i++) {
		struct space sp;

		printf("\n");
		if (!(vmm->formats & (1L << formats[i].format))) {
			say("%s: not offered by this module, skipped.",
			    formats[i].name);
			continue;
		}
		if (create_space(vmm, &sp, formats[i].format)) {
			ret = -1;
			continue;
		}
		describe_space(&sp);
		/* Closing the last reference frees the tables. */
		close(sp.fd);
		say("Closed: its page table is freed.");
	}
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
	if (vmm.dev >= 0)
		close(vmm.dev);
	printf("\n%s\n", ret ? "vmm: something failed, see above." :
				"Done: every step worked.");
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
