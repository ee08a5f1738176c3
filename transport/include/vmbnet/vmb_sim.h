/* SPDX-License-Identifier: MIT */
/*
 * vmb_sim: a vmbnet-pci function in-process, for guests that run in
 * userspace (the native guest of perf/, the DDI core's tests).
 *
 * It is the register map of vmb_pci.h behind two calls, vmb_sim_read() and
 * vmb_sim_write(), over the same host side QEMU's vmbnet-pci runs
 * (device/vmbus), plus guest RAM (a sealed memfd at VMB_SIM_RAM_BASE) and the
 * datapath: the in-process NIC (frames for the network go to cfg->tx), or the
 * hand-off front end serving an external backend on cfg->backend.
 *
 * Declared here, beside the register map it implements, so that guest code
 * can drive it without including device code; implemented by device/sim
 * (library vmbnet_sim). Single-threaded: every call from one thread.
 */
#ifndef VMBNET_VMB_SIM_H
#define VMBNET_VMB_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmbnet/vmb_pci.h"

#define VMB_SIM_RAM_BASE 0x100000ull /* GPA of the first RAM byte */

struct vmb_sim;

/* Per-frame offload information, as the RNDIS per-packet info said it. */
struct vmb_sim_frame_info {
	uint32_t csum_info; /* RNDIS checksum info, 0 = none */
	uint32_t lso_info; /* RNDIS LSOv2 info, 0 = none */
	uint32_t vlan_info; /* RNDIS 802.1Q info, valid if has_vlan */
	uint32_t hash; /* valid if has_hash */
	uint8_t has_vlan, has_hash;
};

struct vmb_sim_config {
	uint32_t channels; /* 1..VMB_PCI_MAX_CHANNELS */
	uint32_t mtu; /* VMB_PCI_MTU_MIN.. */
	uint32_t ring_pages; /* what VMB_REG_RING_PAGES suggests */
	uint8_t mac[6];
	uint32_t ram_mib; /* guest RAM */
	/* Datapath B: the hand-off front end listens on this socket. NULL:
	 * datapath A, the in-process NIC, whose frames go to @tx (0 = sent,
	 * -errno = the guest's completion fails).
	 */
	const char *backend;
	int (*tx)(void *opaque, uint32_t chan, const struct iovec *iov, int iovcnt,
		  const struct vmb_sim_frame_info *info);
	void *opaque;
};

struct vmb_sim_stats {
	uint64_t guest_errors; /* the guest broke a rule (control plane or ring) */
	uint64_t backend_connects;
	uint64_t backend_failed_in_flight; /* completions failed for a gone backend */
	uint64_t backend_fenced; /* unresponsive backends killed */
	uint64_t backend_fence_failed; /* ... that could not be */
};

/* 0 or -errno (bad configuration, no memory, the socket). */
int vmb_sim_create(const struct vmb_sim_config *cfg, struct vmb_sim **out);
void vmb_sim_destroy(struct vmb_sim *s);

/* BAR0, 32-bit accesses at the offsets of vmb_pci.h. */
uint32_t vmb_sim_read(struct vmb_sim *s, uint32_t reg);
void vmb_sim_write(struct vmb_sim *s, uint32_t reg, uint32_t val);

/* Guest RAM: its host address, first guest-physical address and size. */
uint8_t *vmb_sim_ram(struct vmb_sim *s, uint64_t *gpa, uint64_t *bytes);

/* The network's link (an RNDIS status indication reaches the guest). */
void vmb_sim_set_link(struct vmb_sim *s, bool up);

/* Datapath B: wait up to @timeout_ms for a backend and hand it the state.
 * 0, -ETIMEDOUT, or the replay's error.
 */
int vmb_sim_accept(struct vmb_sim *s, int timeout_ms);
/* Datapath B: sleep up to @timeout_ms on channel 0's interrupt, a backend
 * connecting or one hanging up. 1 when the backend signalled channel 0.
 */
int vmb_sim_wait(struct vmb_sim *s, int timeout_ms);

void vmb_sim_get_stats(const struct vmb_sim *s, struct vmb_sim_stats *st);

#endif /* VMBNET_VMB_SIM_H */
