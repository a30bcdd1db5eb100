/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace: the in-kernel API, for hypervisor modules and KUnit.
 *
 * Exported GPL by gaspace.ko.  Errors are those of the uAPI
 * (uapi/linux/gaspace.h); kernel callers are trusted for linear RAM.
 */
#ifndef _LINUX_GASPACE_H
#define _LINUX_GASPACE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/gaspace.h>

struct file;
struct gaspace;

/**
 * struct gaspace_notifier - told when leaves are cleared or downgraded
 * @invalidate: runs after the leaves of [@gpa, @gpa + @size) were cleared or
 *	downgraded and before any frame or table page of that range is freed;
 *	may sleep; runs with the space's map lock held and must not call back
 *	into gaspace for the same space
 * @node: gaspace's own
 */
struct gaspace_notifier {
	void (*invalidate)(struct gaspace_notifier *n, struct gaspace *as,
			   u64 gpa, u64 size);
	struct list_head node;
};

struct gaspace *gaspace_create(u32 format, u32 gpa_bits, u64 base, u64 size);
void gaspace_get(struct gaspace *as);
void gaspace_put(struct gaspace *as);
struct gaspace *gaspace_get_file(struct file *file);
int gaspace_map_linear(struct gaspace *as, u64 gpa, u64 hpa, u64 size,
		       u32 prot, u32 flags);
int gaspace_map_alloc(struct gaspace *as, u64 gpa, u64 size, u32 prot,
		      u32 flags);
int gaspace_unmap(struct gaspace *as, u64 gpa, u64 size);
int gaspace_protect(struct gaspace *as, u64 gpa, u64 size, u32 prot);
int gaspace_discard(struct gaspace *as, u64 gpa, u64 size);
int gaspace_translate(struct gaspace *as, u64 gpa,
		      struct gaspace_translation *out);
int gaspace_handle_fault(struct gaspace *as, u64 gpa, u32 access);
ssize_t gaspace_read(struct gaspace *as, u64 gpa, void *buf, size_t len);
ssize_t gaspace_write(struct gaspace *as, u64 gpa, const void *buf,
		      size_t len);
int gaspace_get_info(struct gaspace *as, struct gaspace_info *out);
int gaspace_dirty_log_enable(struct gaspace *as, u64 gpa, u64 size);
int gaspace_dirty_log_disable(struct gaspace *as, u64 gpa, u64 size);
int gaspace_get_dirty_log(struct gaspace *as, u64 gpa, u64 size, u64 *bitmap,
			  u32 flags);
int gaspace_audit(struct gaspace *as, struct gaspace_audit *out);
int gaspace_register_notifier(struct gaspace *as, struct gaspace_notifier *n);
void gaspace_unregister_notifier(struct gaspace *as,
				 struct gaspace_notifier *n);

#endif /* _LINUX_GASPACE_H */
