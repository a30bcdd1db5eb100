// SPDX-License-Identifier: GPL-2.0
/*
 * The linear backend: guest-physical gpa maps to host-physical
 * gpa - start + hpa, with the largest blocks that the alignment of both and
 * the format's levels allow (4 KiB only with NOHUGE).  It owns no memory.
 */
#include "backend.h"

/**
 * gaspace_linear_map() - map a range of a linear area
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @hpa: host-physical address of @gpa
 * @prot: portable prot with GPT_ATTR_DEVICE for device memory
 * @nohuge: 4 KiB leaves only
 *
 * Return: 0 or the walker's error, with the table unchanged.
 */
int gaspace_linear_map(struct gpt *pt, u64 gpa, u64 size, u64 hpa, u32 prot,
		       bool nohuge)
{
	return gpt_map(pt, gpa, size, hpa, prot, nohuge ? GPT_MAP_NOHUGE : 0);
}
