/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_riscv: switch.S, shared by the assembly and riscv.c.
 */
#ifndef _GASPACE_RISCV_SWITCH_H
#define _GASPACE_RISCV_SWITCH_H

/*
 * Offsets in struct riscv_vcpu, checked in riscv.c.  The guest's registers
 * come first, as struct gaspace_riscv_regs lays them out: pc at 0, xN at
 * 8 * N.
 */
#define VCPU_PC			0
#define VCPU_X(n)		((n) * 8)
#define VCPU_GUEST_SSTATUS	256
#define VCPU_GUEST_HSTATUS	264
#define VCPU_HOST_SSTATUS	272
#define VCPU_HOST_HSTATUS	280
#define VCPU_HOST_STVEC		288
#define VCPU_HOST_SSCRATCH	296
#define VCPU_HOST_RA		304
#define VCPU_HOST_SP		312
#define VCPU_HOST_GP		320
#define VCPU_HOST_TP		328
#define VCPU_HOST_S(n)		(336 + (n) * 8)	/* s0 .. s11 */
#define VCPU_SCAUSE		432
#define VCPU_STVAL		440
#define VCPU_HTVAL		448
#define VCPU_HTINST		456
#define VCPU_SIZE		464

#ifndef __ASSEMBLY__
#include "gaspace_riscv.h"

/**
 * struct riscv_vcpu - what switch.S loads and stores
 * @regs: the guest's pc and x1..x31
 * @guest_sstatus: sstatus for the guest: SPP (VS-mode), SPIE
 * @guest_hstatus: hstatus for the guest: SPV (return to V=1), SPVP, VTW
 * @host_sstatus: the host's sstatus while the guest runs
 * @host_hstatus: the host's hstatus while the guest runs
 * @host_stvec: the host's trap vector while the guest runs
 * @host_sscratch: the host's sscratch (0 in the kernel) while the guest runs
 * @host_ra: the host's ra
 * @host_sp: the host's sp
 * @host_gp: the host's gp
 * @host_tp: the host's tp (current)
 * @host_s: the host's s0..s11
 * @scause: scause of the trap that left the guest
 * @stval: its stval
 * @htval: its htval
 * @htinst: its htinst
 */
struct riscv_vcpu {
	struct gaspace_riscv_regs regs;
	unsigned long guest_sstatus;
	unsigned long guest_hstatus;
	unsigned long host_sstatus;
	unsigned long host_hstatus;
	unsigned long host_stvec;
	unsigned long host_sscratch;
	unsigned long host_ra;
	unsigned long host_sp;
	unsigned long host_gp;
	unsigned long host_tp;
	unsigned long host_s[12];
	unsigned long scause;
	unsigned long stval;
	unsigned long htval;
	unsigned long htinst;
};

/*
 * Enters the guest with @vcpu's registers, sstatus and hstatus, and returns
 * at the guest's next trap with its registers, scause, stval, htval and
 * htinst stored back.  Called with interrupts disabled: a host interrupt
 * that arrives meanwhile is one of those traps.
 */
void gaspace_riscv_switch(struct riscv_vcpu *vcpu);
#endif

#endif /* _GASPACE_RISCV_SWITCH_H */
