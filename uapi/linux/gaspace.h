/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gaspace: guest address spaces with real nested page tables.
 *
 * /dev/gaspace hands out address-space file descriptors; their ioctls build
 * a set of areas and a nested page table of one hardware format (Intel EPT,
 * AMD NPT, Arm stage-2, RISC-V G-stage).  See Documentation/gaspace.rst.
 *
 * Every struct uses fixed-width types and explicit padding; reserved fields
 * and padding must be zero.  Pointers travel as __u64.
 */
#ifndef _UAPI_LINUX_GASPACE_H
#define _UAPI_LINUX_GASPACE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define GASPACE_API_VERSION	1

/* Ioctl magic. */
#define GASPACE_IO		0xBA

/* Page-table formats (struct gaspace_create.format). */
enum gaspace_format {
	GASPACE_FMT_EPT		= 1,	/* Intel EPT: gpa_bits 48 (default), 57 */
	GASPACE_FMT_NPT		= 2,	/* AMD NPT: gpa_bits 48 (default), 57 */
	GASPACE_FMT_ARM64_S2	= 3,	/* Arm stage-2, 4 KiB granule: 32..48, default 40 */
	GASPACE_FMT_RISCV_G	= 4,	/* RISC-V G-stage: 41 (default), 50, 59 */
};

/* Capabilities (GASPACE_CHECK_EXTENSION). */
#define GASPACE_CAP_FORMATS	1	/* bitmask of 1 << format */
#define GASPACE_CAP_HUGE	2	/* OR of block sizes linear maps can use */
#define GASPACE_CAP_MMAP	3	/* 1: address-space fds can be mmapped */
#define GASPACE_CAP_MAX_AREAS	4	/* areas per address space */
#define GASPACE_CAP_DIRTY_LOG	5	/* 1: DIRTY_LOG_ENABLE/DISABLE, GET_DIRTY_LOG */
#define GASPACE_CAP_USERFAULT	6	/* 1: GASPACE_MAP_USERFAULT, USERFAULT_FD, FILL */
#define GASPACE_CAP_MAP_USER	7	/* 1: GASPACE_MAP_USER */
#define GASPACE_CAP_FILE	8	/* 1: fstat, lseek SEEK_DATA/HOLE, fallocate */
#define GASPACE_CAP_AUDIT	9	/* 1: GASPACE_AUDIT */

/* Guest access rights (prot, access). */
#define GASPACE_PROT_READ	0x1
#define GASPACE_PROT_WRITE	0x2	/* requires READ */
#define GASPACE_PROT_EXEC	0x4

/* struct gaspace_map.flags */
#define GASPACE_MAP_POPULATE	0x01u		/* alloc: allocate and map every page now */
#define GASPACE_MAP_DEVICE	0x02u		/* linear: device memory type */
#define GASPACE_MAP_HUGE	0x04u		/* alloc: 2 MiB frames where possible */
#define GASPACE_MAP_NOHUGE	0x08u		/* linear, user: 4 KiB leaves only */
#define GASPACE_MAP_REPLACE	0x10u		/* atomically unmap whatever overlaps first */
#define GASPACE_MAP_USERFAULT	0x20u		/* alloc: missing pages come from FILL */

/* struct gaspace_translation.backend */
#define GASPACE_BACKEND_LINEAR	1
#define GASPACE_BACKEND_ALLOC	2
#define GASPACE_BACKEND_USER	3

/**
 * struct gaspace_create - argument of GASPACE_CREATE
 * @format: an enum gaspace_format value
 * @gpa_bits: guest-physical width; 0 selects the format's default
 * @base: first guest-physical address of the space, page aligned
 * @size: size of the space, page aligned, > 0, base + size <= 1 << gpa_bits
 * @flags: none defined, must be 0
 * @reserved: must be 0
 */
struct gaspace_create {
	__u32 format;
	__u32 gpa_bits;
	__u64 base;
	__u64 size;
	__u64 flags;
	__u64 reserved[4];
};

/**
 * struct gaspace_map - argument of GASPACE_MAP_LINEAR and GASPACE_MAP_ALLOC
 * @gpa: guest-physical start, page aligned
 * @size: bytes, page aligned, > 0
 * @hpa: host-physical start (linear); must be 0 for alloc
 * @prot: GASPACE_PROT_* (0 allowed: the area exists, its leaves are not present)
 * @flags: GASPACE_MAP_*
 * @reserved: must be 0
 */
struct gaspace_map {
	__u64 gpa;
	__u64 size;
	__u64 hpa;
	__u32 prot;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct gaspace_range - argument of GASPACE_UNMAP and GASPACE_PROTECT
 * @gpa: guest-physical start, page aligned
 * @size: bytes, page aligned, > 0
 * @prot: new GASPACE_PROT_* (PROTECT); must be 0 for UNMAP
 * @flags: must be 0
 * @reserved: must be 0
 */
struct gaspace_range {
	__u64 gpa;
	__u64 size;
	__u32 prot;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct gaspace_translation - argument of GASPACE_TRANSLATE
 * @gpa: in: any byte address
 * @hpa: out: host-physical address of that byte; 0 unless the space fd
 *	was created with CAP_SYS_ADMIN
 * @page_size: out: size of the leaf (4 KiB, 2 MiB, 1 GiB)
 * @limit: out: bytes from @gpa to the end of the area that holds it
 * @prot: out: GASPACE_PROT_* of the leaf
 * @backend: out: GASPACE_BACKEND_*
 * @level: out: page-table level of the leaf, 0 = last level
 * @pad: out: 0
 */
struct gaspace_translation {
	__u64 gpa;
	__u64 hpa;
	__u64 page_size;
	__u64 limit;
	__u32 prot;
	__u32 backend;
	__u32 level;
	__u32 pad;
};

/**
 * struct gaspace_fault - argument of GASPACE_FAULT
 * @gpa: any byte address
 * @access: non-empty subset of GASPACE_PROT_* describing the access
 * @flags: must be 0
 */
struct gaspace_fault {
	__u64 gpa;
	__u32 access;
	__u32 flags;
};

/**
 * struct gaspace_info - result of GASPACE_GET_INFO
 * @format: enum gaspace_format
 * @gpa_bits: width in effect
 * @levels: page-table levels walked
 * @root_pages: 4 KiB pages in the root table
 * @base: first guest-physical address
 * @size: size of the space
 * @root_hpa: host-physical address of the root; 0 unless the space fd
 *	was created with CAP_SYS_ADMIN
 * @root_pointer: EPTP / nCR3 / VTTBR_EL2 / hgatp; 0 as @root_hpa
 * @walk_config: VTCR_EL2 fields for GASPACE_FMT_ARM64_S2, else 0
 * @nr_areas: areas in the space
 * @nr_table_pages: 4 KiB table pages linked in, root included
 * @nr_data_pages: alloc frames, in 4 KiB pages
 * @mapped_bytes: bytes covered by present leaves
 * @nr_leaves_4k: present 4 KiB leaves
 * @nr_leaves_2m: present 2 MiB leaves
 * @nr_leaves_1g: present 1 GiB leaves
 * @nr_demand_faults: pages (or 2 MiB blocks) populated on demand so far:
 *	by FAULT, the fault hook, a VMM touch, pwrite or FILL; never
 *	decreases
 * @nr_dirty_pages: pages dirty in the dirty log now
 * @nr_userfaults: userfault events raised so far; never decreases
 * @reserved: 0
 */
struct gaspace_info {
	__u32 format;
	__u32 gpa_bits;
	__u32 levels;
	__u32 root_pages;
	__u64 base;
	__u64 size;
	__u64 root_hpa;
	__u64 root_pointer;
	__u64 walk_config;
	__u64 nr_areas;
	__u64 nr_table_pages;
	__u64 nr_data_pages;
	__u64 mapped_bytes;
	__u64 nr_leaves_4k;
	__u64 nr_leaves_2m;
	__u64 nr_leaves_1g;
	__u64 nr_demand_faults;
	__u64 nr_dirty_pages;
	__u64 nr_userfaults;
	__u64 reserved[2];
};

/* struct gaspace_dirty_log.flags */
#define GASPACE_DIRTY_CLEAR	0x1u	/* report, then clear what was reported */
#define GASPACE_DIRTY_SET	0x2u	/* OR the bitmap into the log */

/**
 * struct gaspace_dirty_log - argument of GASPACE_GET_DIRTY_LOG
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0; inside dirty-logged areas
 * @bitmap: user pointer to DIV_ROUND_UP(size / 4096, 64) __u64 words: bit
 *	i (word i / 64, bit i % 64) is the page at @gpa + i * 4096.  Written
 *	(bits past the range 0) without SET; read with SET.
 * @flags: 0 (report), GASPACE_DIRTY_CLEAR (report, and the reported pages
 *	are clean and write-protected again when the call returns) or
 *	GASPACE_DIRTY_SET (mark the bitmap's pages dirty)
 * @pad: must be 0
 * @reserved: must be 0
 */
struct gaspace_dirty_log {
	__u64 gpa;
	__u64 size;
	__u64 bitmap;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/* GASPACE_USERFAULT_FD's argument */
#define GASPACE_UFD_NONBLOCK	0x1u	/* the new fd is O_NONBLOCK */

/**
 * struct gaspace_fault_event - what read() of a userfault fd returns
 * @gpa: the page that an access waits for (page aligned)
 * @access: the first access's GASPACE_PROT_* (READ, WRITE or EXEC)
 * @flags: 0
 * @reserved: 0
 */
struct gaspace_fault_event {
	__u64 gpa;
	__u32 access;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct gaspace_fill - argument of GASPACE_FILL
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0; inside one GASPACE_MAP_USERFAULT area,
 *	none of its pages present yet
 * @src: user pointer to @size bytes to copy in; 0 fills with zeros
 * @flags: must be 0
 * @pad: must be 0
 * @reserved: must be 0
 */
struct gaspace_fill {
	__u64 gpa;
	__u64 size;
	__u64 src;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct gaspace_map_user - argument of GASPACE_MAP_USER
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0
 * @uaddr: the caller's address of the memory that @gpa maps, page aligned;
 *	every page of [@uaddr, @uaddr + @size) must be mapped writable
 * @prot: GASPACE_PROT_*
 * @flags: GASPACE_MAP_REPLACE, GASPACE_MAP_NOHUGE
 * @reserved: must be 0
 */
struct gaspace_map_user {
	__u64 gpa;
	__u64 size;
	__u64 uaddr;
	__u32 prot;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct gaspace_audit - result of GASPACE_AUDIT
 * @nr_entries: non-empty entries checked (tables and leaves, root entries
 *	included)
 * @nr_errors: entries that break a rule of the table's format or of the
 *	areas, and counters that disagree with the table (each counts once)
 * @first_gpa: guest-physical address of the first error in gpa order; 0
 *	when there is none
 * @first_level: its level, numbered as struct gaspace_translation.level
 *	(0 = the last level, 4 KiB; the root is levels - 1); 0 when there is
 *	none
 * @pad: written 0
 * @reserved: written 0
 */
struct gaspace_audit {
	__u64 nr_entries;
	__u64 nr_errors;
	__u64 first_gpa;
	__u32 first_level;
	__u32 pad;
	__u64 reserved[4];
};

/* /dev/gaspace */
#define GASPACE_GET_API_VERSION	_IO(GASPACE_IO, 0x00)
#define GASPACE_CHECK_EXTENSION	_IO(GASPACE_IO, 0x01)
#define GASPACE_CREATE		_IOW(GASPACE_IO, 0x02, struct gaspace_create)

/* Address-space fd */
#define GASPACE_MAP_LINEAR	_IOW(GASPACE_IO, 0x10, struct gaspace_map)
#define GASPACE_MAP_ALLOC	_IOW(GASPACE_IO, 0x11, struct gaspace_map)
#define GASPACE_UNMAP		_IOW(GASPACE_IO, 0x12, struct gaspace_range)
#define GASPACE_PROTECT		_IOW(GASPACE_IO, 0x13, struct gaspace_range)
#define GASPACE_TRANSLATE	_IOWR(GASPACE_IO, 0x14, struct gaspace_translation)
#define GASPACE_FAULT		_IOW(GASPACE_IO, 0x15, struct gaspace_fault)
#define GASPACE_GET_INFO	_IOR(GASPACE_IO, 0x16, struct gaspace_info)
#define GASPACE_DIRTY_LOG_ENABLE	_IOW(GASPACE_IO, 0x17, struct gaspace_range)
#define GASPACE_DIRTY_LOG_DISABLE	_IOW(GASPACE_IO, 0x18, struct gaspace_range)
#define GASPACE_GET_DIRTY_LOG	_IOW(GASPACE_IO, 0x19, struct gaspace_dirty_log)
#define GASPACE_USERFAULT_FD	_IO(GASPACE_IO, 0x1a)
#define GASPACE_FILL		_IOW(GASPACE_IO, 0x1b, struct gaspace_fill)
#define GASPACE_MAP_USER	_IOW(GASPACE_IO, 0x1c, struct gaspace_map_user)
#define GASPACE_AUDIT		_IOR(GASPACE_IO, 0x1d, struct gaspace_audit)

#endif /* _UAPI_LINUX_GASPACE_H */
