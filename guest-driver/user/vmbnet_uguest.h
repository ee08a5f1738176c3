/* SPDX-License-Identifier: MIT */
/*
 * vmbnet_uguest: a guest in userspace on vmbnet-pci in-process (vmb_sim.h).
 * Guest RAM handed out page by page, MDLs over it, and channel 0 brought up
 * by the VMBus client (vmbnet_vmbc) exactly as vmbnet.ko does it. The native
 * guest (vmbnet_native) and the DDI core's tests (tests/harness) build on it.
 */
#ifndef VMBNET_UGUEST_H
#define VMBNET_UGUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbnet/vmb_sim.h"
#include "vmbnet_ddi.h"
#include "vmbnet_vmbc.h"

struct vmbnet_uguest {
	struct vmb_sim *sim;
	uint8_t *ram;
	uint64_t ram_gpa, ram_bytes;
	uint64_t next; /* bump allocator over ram, bytes */
	struct vmbc vmbc;
	struct vmbc_chan vc; /* channel 0 */
	struct vmb_ring up, down; /* the guest's producer and consumer views */
	struct vmbc_buf ring, rx, tx;
	/* the client's sleep while it waits for the device (NULL: none) */
	void (*idle)(void *opaque, unsigned int us);
	void *opaque;
};

/* The device from @cfg and its RAM. 0 or -errno. */
int vmbnet_uguest_init(struct vmbnet_uguest *g, const struct vmb_sim_config *cfg);
void vmbnet_uguest_fini(struct vmbnet_uguest *g);

/* @len bytes of page-aligned guest RAM (never freed), its first pfn in *pfn. */
void *vmbnet_uguest_dma(struct vmbnet_uguest *g, uint32_t len, uint64_t *pfn);
/* An MDL over @len bytes at @va in guest RAM: 0, or -EINVAL outside it or
 * when more than @max pfns are needed.
 */
int vmbnet_uguest_describe(struct vmbnet_uguest *g, void *va, uint32_t len, struct vmbnet_mdl *m,
			   uint64_t *pfns, uint32_t max);

/* Probe, connect, then channel 0 with rings of @up_pages and @down_pages,
 * a receive and a send buffer, NVSP and RNDIS INITIALIZE. 0 or -errno.
 */
int vmbnet_uguest_bringup(struct vmbnet_uguest *g, uint32_t up_pages, uint32_t down_pages,
			  uint32_t rx_pages, uint32_t tx_pages, unsigned int timeout_ms);
/* CLOSE_CHANNEL without waiting for anything. */
void vmbnet_uguest_close(struct vmbnet_uguest *g);

/* Ring channel 0's doorbell. */
void vmbnet_uguest_doorbell(struct vmbnet_uguest *g);

/* A core port's send: one packet on channel 0's up ring, not published. */
int vmbnet_uguest_write(struct vmbnet_uguest *g, uint16_t type, uint16_t flags, uint64_t tid,
			const void *ext, uint32_t ext_len, const struct vmb_sg *sg,
			unsigned int nsg);

#endif /* VMBNET_UGUEST_H */
