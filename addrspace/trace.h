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

/*
 * What events start with, written once: the space and the range of a call
 * (map, unmap, protect, invalidate), or the space, the address and access
 * of a fault and its result (fault, userfault).  Each event adds its own
 * fields after these.
 */
#define GASPACE_TP_RANGE_ENTRY(more...)					\
	TP_STRUCT__entry(__field(unsigned long, ino)			\
			 __field(u64, gpa)				\
			 __field(u64, size)				\
			 more)
#define GASPACE_TP_RANGE_ASSIGN(more...)				\
	TP_fast_assign(__entry->ino = ino;				\
		       __entry->gpa = gpa;				\
		       __entry->size = size;				\
		       more)
#define GASPACE_TP_RANGE_PRINTK(fmt, args...)				\
	TP_printk("ino=%lu gpa=0x%llx size=0x%llx" fmt, __entry->ino,	\
		  __entry->gpa, __entry->size, ##args)

#define GASPACE_TP_FAULT_ENTRY(more...)					\
	TP_STRUCT__entry(__field(unsigned long, ino) __field(u64, gpa)	\
			 __field(u32, access) __field(int, result)	\
			 more)
#define GASPACE_TP_FAULT_ASSIGN(more...)				\
	TP_fast_assign(__entry->ino = ino; __entry->gpa = gpa;		\
		       __entry->access = access; __entry->result = result; \
		       more)
#define GASPACE_TP_FAULT_PRINTK(fmt, args...)				\
	TP_printk("ino=%lu gpa=0x%llx access=0x%x result=%d" fmt,	\
		  __entry->ino, __entry->gpa, __entry->access,		\
		  __entry->result, ##args)

TRACE_EVENT(gaspace_map,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size, u64 hpa, u32 prot,
		     u32 backend, u32 flags, int result),
	    TP_ARGS(ino, gpa, size, hpa, prot, backend, flags, result),
	    GASPACE_TP_RANGE_ENTRY(__field(u64, hpa) __field(u32, prot)
				   __field(u32, backend) __field(u32, flags)
				   __field(int, result)),
	    GASPACE_TP_RANGE_ASSIGN(__entry->hpa = hpa; __entry->prot = prot;
				    __entry->backend = backend;
				    __entry->flags = flags; __entry->result = result;),
	    GASPACE_TP_RANGE_PRINTK(" hpa=0x%llx prot=0x%x backend=%u flags=0x%x result=%d",
				    __entry->hpa, __entry->prot,
				    __entry->backend, __entry->flags,
				    __entry->result)
);

TRACE_EVENT(gaspace_unmap,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size, int result),
	    TP_ARGS(ino, gpa, size, result),
	    GASPACE_TP_RANGE_ENTRY(__field(int, result)),
	    GASPACE_TP_RANGE_ASSIGN(__entry->result = result;),
	    GASPACE_TP_RANGE_PRINTK(" result=%d", __entry->result)
);

TRACE_EVENT(gaspace_protect,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size, u32 prot,
		     int result),
	    TP_ARGS(ino, gpa, size, prot, result),
	    GASPACE_TP_RANGE_ENTRY(__field(u32, prot)
				   __field(int, result)),
	    GASPACE_TP_RANGE_ASSIGN(__entry->prot = prot;
				    __entry->result = result;),
	    GASPACE_TP_RANGE_PRINTK(" prot=0x%x result=%d", __entry->prot,
				    __entry->result)
);

TRACE_EVENT(gaspace_fault,
	    TP_PROTO(unsigned long ino, u64 gpa, u32 access, int result,
		     int level),
	    TP_ARGS(ino, gpa, access, result, level),
	    GASPACE_TP_FAULT_ENTRY(__field(int, level)),
	    GASPACE_TP_FAULT_ASSIGN(__entry->level = level;),
	    GASPACE_TP_FAULT_PRINTK(" level=%d", __entry->level)
);

TRACE_EVENT(gaspace_invalidate,
	    TP_PROTO(unsigned long ino, u64 gpa, u64 size),
	    TP_ARGS(ino, gpa, size),
	    GASPACE_TP_RANGE_ENTRY(),
	    GASPACE_TP_RANGE_ASSIGN(),
	    GASPACE_TP_RANGE_PRINTK("")
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
	    GASPACE_TP_FAULT_ENTRY(),
	    GASPACE_TP_FAULT_ASSIGN(),
	    GASPACE_TP_FAULT_PRINTK("")
);

#endif /* _GASPACE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH addrspace
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
