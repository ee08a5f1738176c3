/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the DDI core: the core runs as the guest on a real ring pair,
 * brought up by the VMBus client (vmbnet_vmbc) against vmbnet-pci in-process
 * (vmb_sim.h: vmbnet's real host side and NIC). The test scripts the host: it
 * decides when the device runs (doorbells), the link state, and whether
 * completions arrive in "atomic" (NAPI-like) context.
 */
#ifndef VMBNET_USER_HARNESS_H
#define VMBNET_USER_HARNESS_H

#include "vmb_test.h"
#include "vmbnet_uguest.h"

#define H_UP_PAGES 2
#define H_DOWN_PAGES 8
#define H_RX_PAGES 4
#define H_TX_PAGES 6
#define H_SLOTS 128
#define H_RAM_MIB 16

struct harness {
	struct vmbnet_uguest g; /* the device, guest RAM, channel 0 */
	struct vmbnet_core core;
	bool host_runs; /* doorbells reach the device at once */
	bool atomic; /* completions are delivered "at dispatch level" */
	bool closed;
	unsigned int doorbells_pending;
	/* what the device put on the network */
	unsigned int frames;
	uint8_t last[2048];
	uint32_t last_len;
	struct vmb_sim_frame_info last_meta;
};

extern struct harness H;

/* Boot the device, bring the channel and RNDIS up, init the core. */
void h_init(void);
void h_fini(void);
/* Let the device process what is queued, then deliver completions to the core. */
void h_run(void);
/* Deliver what the device wrote (completions, receive slots), no device run. */
void h_pump(void);
/* The network's link goes up or down (the device tells the guest). */
void h_set_link(bool up);
/* Guest memory for frames: @len bytes, page-aligned, DMA-able. */
void *h_dma(uint32_t len, uint64_t *pfn);
/* An MDL over @len bytes at @va inside guest RAM (pfns filled). */
void h_mdl(struct vmbnet_mdl *m, uint64_t *pfns, void *va, uint32_t len);
/* A frame: Ethernet header + payload pattern seeded by @seed. */
void h_frame(uint8_t *buf, uint32_t len, uint8_t seed);

#endif /* VMBNET_USER_HARNESS_H */
