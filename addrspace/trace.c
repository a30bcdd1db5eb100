// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of addrspace/trace.h, defined once.
 */
#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
