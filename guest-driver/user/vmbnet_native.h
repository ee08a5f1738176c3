/* SPDX-License-Identifier: MIT */
/*
 * vmbnet native: the guest-driver core in userspace, driving an external
 * backend (vmbnet-dpdk) at native speed with no QEMU. This process is the
 * guest: the VMBus client (vmbnet_vmbc) brings channel 0 up and the DDI core
 * sends on its rings. The device is vmbnet-pci in-process (vmb_sim.h, built
 * by device/sim) with the hand-off front end exactly as QEMU runs it; the
 * backend maps the guest's RAM (a memfd) and serves the rings from another
 * process on another core.
 *
 * Single-threaded: every call comes from the thread that plays the guest.
 */
#ifndef VMBNET_NATIVE_H
#define VMBNET_NATIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbnet/vmb_sim.h"
#include "vmbnet_ddi.h"
#include "vmbnet_uguest.h"

#define VMBNET_NATIVE_RING_PAGES 32 /* each direction, header page included */
#define VMBNET_NATIVE_RX_PAGES 512 /* 2 MiB receive buffer: 1024 slots */
#define VMBNET_NATIVE_TX_PAGES 256 /* 1 MiB send buffer */

struct vmbnet_native_stats {
	uint64_t doorbells; /* guest -> backend signals */
	uint64_t wakeups; /* backend -> guest signals taken while sleeping */
	uint64_t rx_frames; /* data frames the backend delivered */
	uint64_t rx_bytes;
};

struct vmbnet_native {
	struct vmbnet_uguest g; /* the device, guest RAM, channel 0 */
	struct vmbnet_core core;
	bool core_ready;
	struct vmbnet_native_stats stats;
	struct vmbnet_comp comp[VMBNET_COMP_BATCH]; /* vmbnet_native_pump()'s */
};

/* Guest RAM of @ram_mib MiB and a front end listening on @sock. 0 or -errno. */
int vmbnet_native_init(struct vmbnet_native *n, const char *sock, uint32_t ram_mib);
void vmbnet_native_fini(struct vmbnet_native *n);

/* Wait up to @timeout_ms for a backend to connect, and hand it the state.
 * 0, -ETIMEDOUT, or the replay's error.
 */
int vmbnet_native_accept(struct vmbnet_native *n, int timeout_ms);

/* The guest's bring-up: channel 0's GPADLs and rings, open, NVSP and RNDIS
 * through the backend, then the DDI core with @slots in flight. 0 or -errno.
 */
int vmbnet_native_bringup(struct vmbnet_native *n, uint32_t slots, int timeout_ms);

/* The guest closes channel 0 (with or without a backend). */
void vmbnet_native_close(struct vmbnet_native *n);

/* Deliver what the backend wrote: completions to the core, receive slots
 * straight back. Returns the packets taken from the ring.
 */
unsigned int vmbnet_native_pump(struct vmbnet_native *n);

/* Nothing to do: unmask, sleep up to @timeout_ms on the backend's signal
 * (and on a backend connecting or hanging up), mask again. 1 when woken by
 * the backend, 0 on timeout.
 */
int vmbnet_native_wait(struct vmbnet_native *n, int timeout_ms);

/* CLOCK_MONOTONIC nanoseconds, from the TSC where it is constant (cheap). */
uint64_t vmbnet_native_now_ns(void);

/* @len bytes of page-aligned guest RAM, its first pfn in *pfn. */
void *vmbnet_native_dma(struct vmbnet_native *n, uint32_t len, uint64_t *pfn);

/* Ring channel 0's doorbell. */
void vmbnet_native_doorbell(struct vmbnet_native *n);

/* An MDL over @len bytes at @va (guest RAM from vmbnet_native_dma). */
int vmbnet_native_describe(struct vmbnet_native *n, void *va, uint32_t len, struct vmbnet_mdl *m,
			   uint64_t *pfns, uint32_t max);

#endif /* VMBNET_NATIVE_H */
