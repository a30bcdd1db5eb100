/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the address space (trace system "gaspace"): each call that
 * changes a space, each fault, each invalidation the notifiers see, each
 * dirty-log call and each userspace fault.  A space is named by the inode
 * number of its fd (the st_ino fstat gives; 0 for a space created in the
 * kernel), which is also its debugfs directory's name.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gaspace

#if !defined(_GASPACE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GASPACE_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(gaspace_map,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size, u64 hpa, u32 prot,
		     u32 backend, u32 flags, int result),
	    TP_ARGS(ino, gpa, size, hpa, prot, backend, flags, result),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, gpa)
			     __field(u64, size)
			     __field(u64, hpa)
			     __field(u32, prot)
			     __field(u32, backend)
			     __field(u32, flags)
			     __field(int, result)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gpa = gpa;
			   __entry->size = size;
			   __entry->hpa = hpa;
			   __entry->prot = prot;
			   __entry->backend = backend;
			   __entry->flags = flags;
			   __entry->result = result;),
	    TP_printk("ino=%lu gpa=0x%llx size=0x%llx hpa=0x%llx prot=0x%x backend=%u flags=0x%x result=%d",
		      __entry->ino, __entry->gpa, __entry->size, __entry->hpa,
		      __entry->prot, __entry->backend, __entry->flags,
		      __entry->result)
);

TRACE_EVENT(gaspace_unmap,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size, int result),
	    TP_ARGS(ino, gpa, size, result),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, gpa)
			     __field(u64, size)
			     __field(int, result)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gpa = gpa;
			   __entry->size = size;
			   __entry->result = result;),
	    TP_printk("ino=%lu gpa=0x%llx size=0x%llx result=%d", __entry->ino,
		      __entry->gpa, __entry->size, __entry->result)
);

TRACE_EVENT(gaspace_protect,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size, u32 prot,
		     int result),
	    TP_ARGS(ino, gpa, size, prot, result),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, gpa)
			     __field(u64, size)
			     __field(u32, prot)
			     __field(int, result)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gpa = gpa;
			   __entry->size = size;
			   __entry->prot = prot;
			   __entry->result = result;),
	    TP_printk("ino=%lu gpa=0x%llx size=0x%llx prot=0x%x result=%d",
		      __entry->ino, __entry->gpa, __entry->size, __entry->prot,
		      __entry->result)
);

TRACE_EVENT(gaspace_fault,
	    TP_PROTO(unsigned long ino, u64 gpa, u32 access, int result,
		     int level),
	    TP_ARGS(ino, gpa, access, result, level),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, gpa)
			     __field(u32, access)
			     __field(int, result)
			     __field(int, level)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gpa = gpa;
			   __entry->access = access;
			   __entry->result = result;
			   __entry->level = level;),
	    TP_printk("ino=%lu gpa=0x%llx access=0x%x result=%d level=%d",
		      __entry->ino, __entry->gpa, __entry->access,
		      __entry->result, __entry->level)
);

TRACE_EVENT(gaspace_invalidate,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size),
	    TP_ARGS(ino, gpa, size),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, gpa)
			     __field(u64, size)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gpa = gpa;
			   __entry->size = size;),
	    TP_printk("ino=%lu gpa=0x%llx size=0x%llx", __entry->ino,
		      __entry->gpa, __entry->size)
);

#define GASPACE_TRACE_LOG_ENABLE	0
#define GASPACE_TRACE_LOG_DISABLE	1
#define GASPACE_TRACE_LOG_GET		2

TRACE_EVENT(gaspace_dirty_log,
	    TP_PROTO(unsigned long ino, u32 op, u64 gpa, u64 size, u32 flags,
		     int result),
	    TP_ARGS(ino, op, gpa, size, flags, result),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u32, op)
			     __field(u64, gpa)
			     __field(u64, size)
			     __field(u32, flags)
			     __field(int, result)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->op = op;
			   __entry->gpa = gpa;
			   __entry->size = size;
			   __entry->flags = flags;
			   __entry->result = result;),
	    TP_printk("ino=%lu op=%s gpa=0x%llx size=0x%llx flags=0x%x result=%d",
		      __entry->ino,
		      __print_symbolic(__entry->op,
				       { GASPACE_TRACE_LOG_ENABLE, "enable" },
				       { GASPACE_TRACE_LOG_DISABLE, "disable" },
				       { GASPACE_TRACE_LOG_GET, "get" }),
		      __entry->gpa, __entry->size, __entry->flags,
		      __entry->result)
);

TRACE_EVENT(gaspace_userfault,
	    TP_PROTO(unsigned long ino, u64 gpa, u32 access, int result),
	    TP_ARGS(ino, gpa, access, result),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, gpa)
			     __field(u32, access)
			     __field(int, result)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gpa = gpa;
			   __entry->access = access;
			   __entry->result = result;),
	    TP_printk("ino=%lu gpa=0x%llx access=0x%x result=%d", __entry->ino,
		      __entry->gpa, __entry->access, __entry->result)
);

#endif /* _GASPACE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH addrspace
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
