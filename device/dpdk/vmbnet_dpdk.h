/* SPDX-License-Identifier: MIT */
/*
 * vmbnet-dpdk: the poll-mode backend (datapath B). One lcore serves every
 * channel of one vmbnet device: it polls the guest -> host rings in bursts,
 * runs the NIC logic of device/nic on them, moves frames to and from one
 * DPDK port, and sleeps on the doorbell eventfds after an idle spell.
 */
#ifndef VMBNET_DPDK_H
#define VMBNET_DPDK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "vmbnet_fault.h"
#include "vmbnet_hof.h"

#define VMBNET_DPDK_BURST 32 /* frames per rte_eth_tx_burst / rx_burst */
#define VMBNET_DPDK_NB_MBUF 8191
#define VMBNET_DPDK_MBUF_CACHE 256
#define VMBNET_DPDK_RING_DESC 1024 /* per port queue */
#define VMBNET_DPDK_COPY_BREAK 256 /* bytes: smaller frames are copied */
#define VMBNET_DPDK_TX_RETRIES 64 /* tx_burst calls before the rest is dropped */
#define VMBNET_DPDK_MBUF_ROOM_MIN 64 /* --mbuf-size floor, bytes */
#define VMBNET_DPDK_IDLE_US 200 /* busy-poll this long with no work, then sleep */
#define VMBNET_DPDK_RX_POLL_MS 1 /* sleeping: still look at the port this often */
#define VMBNET_DPDK_SLEEP_MS 100 /* sleeping with no port receive to watch */
#define VMBNET_DPDK_CONNECT_RETRY_MS 100
#define VMBNET_DPDK_CONTROL_US 1000 /* busy: look at the socket this often (a syscall) */

enum vmbnet_dpdk_zc { VMBNET_ZC_AUTO, VMBNET_ZC_ON, VMBNET_ZC_OFF };

struct vmbnet_dpdk_stats {
	uint64_t tx_copied, tx_zero_copy; /* frames to the port, by how */
	uint64_t tx_sent, tx_dropped; /* accepted by / dropped at the port */
	uint64_t tx_nombuf; /* frames failed back to the guest: no mbuf */
	uint64_t tx_vlan_sw, tx_csum_sw; /* tags / checksums done in software */
	uint64_t zc_held; /* zero-copy mbufs still held at a publish (must stay 0) */
	uint64_t rx_frames, rx_held, rx_dropped; /* from the port to the guest */
	uint64_t polls, busy_polls; /* loop turns, turns that found work */
	uint64_t sleeps, wakeups; /* idle sleeps, doorbells that ended one */
	uint64_t connects, disconnects; /* front ends served */
};

struct vmbnet_dpdk {
	/* options */
	const char *socket_path;
	uint16_t port;
	enum vmbnet_dpdk_zc zc_mode;
	uint32_t idle_us;
	uint16_t mbuf_room; /* data bytes per mbuf of the pool */
	bool once; /* exit when the front end goes away */
	bool verbose;
	const char *faults_file; /* --faults: a scenario (device/fault/SCENARIO.md) */
	FILE *faults_log; /* --faults-log, or stdout */
	struct vmbnet_fault faults;
	/* port */
	struct rte_mempool *pool;
	bool zero_copy; /* decided at start from zc_mode and the driver */
	bool rx_enabled;
	bool rx_blocked; /* the guest took no frames at the last poll (said once) */
	bool hw_vlan, hw_csum; /* the port inserts tags / computes checksums */
	char driver[32];
	struct rte_mbuf *tx[VMBNET_DPDK_BURST];
	unsigned int ntx;
	struct rte_mbuf *rx_hold[VMBNET_DPDK_BURST]; /* received, not yet taken */
	unsigned int nrx_hold, rx_hold_first;
	uint64_t zc_outstanding; /* zero-copy mbufs the port still holds */
	/* the device */
	struct vmbnet_hof_back back;
	struct vmbnet_dpdk_stats stats;
};

extern struct vmbnet_dpdk vmbnet_dpdk;

/* port.c */
int vmbnet_dpdk_port_init(struct vmbnet_dpdk *d);
void vmbnet_dpdk_port_fini(struct vmbnet_dpdk *d);
extern const struct vmbnet_nic_ops vmbnet_dpdk_nic_ops;
/* Hand what is batched to the port. */
void vmbnet_dpdk_tx_flush(struct vmbnet_dpdk *d);
/* Poll the port once; frames for the guest. True if any moved. */
bool vmbnet_dpdk_rx(struct vmbnet_dpdk *d);

/* telemetry.c */
int vmbnet_dpdk_telemetry_init(struct vmbnet_dpdk *d);

#endif /* VMBNET_DPDK_H */
