/* SPDX-License-Identifier: MIT */
/*
 * vmbnet NIC: the synthetic NIC behind each channel, with Hyper-V netvsc's
 * framing (NVSP in the ring packets, RNDIS messages with per-packet info,
 * send and receive buffers as GPADLs, receive through transfer pages).
 * Plain C; the embedding device moves frames through struct vmbnet_nic_ops.
 *
 * Flow control instead of queues: a guest packet is taken from the ring only
 * when its completion (and, for RNDIS control messages, its reply) can be
 * written at once; otherwise processing stops with pending_send_sz set and
 * resumes at the guest's next doorbell. Nothing is dropped, nothing waits in
 * host memory, and every completion-requested packet gets exactly one
 * completion.
 */
#ifndef VMBNET_NIC_H
#define VMBNET_NIC_H

#include <sys/uio.h>

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_host.h"

#define VMBNET_RX_SECTION_BYTES 2048u /* receive slot: RNDIS header + ppi + frame */
#define VMBNET_TX_SECTION_BYTES 2048u /* send section size offered to the guest */
#define VMBNET_RX_CTRL_RESERVE 2 /* receive slots kept for control replies */
#define VMBNET_MAX_FRAME 9216u


/* What travels with a frame besides its bytes (from or to per-packet info). */
struct vmbnet_frame_meta {
	uint32_t csum_info; /* RNDIS checksum info (tx or rx layout), 0 = none */
	uint32_t lso_info; /* RNDIS LSOv2 info, 0 = none */
	uint32_t vlan_info; /* RNDIS 802.1Q info (priority, VLAN), valid if has_vlan */
	uint32_t hash; /* valid if has_hash */
	uint8_t has_vlan, has_hash;
};

struct vmbnet_nic_ops {
	/* A frame from the guest for the network. 0 when handed over (the
	 * network may still drop it), -errno when it could not be sent; the
	 * guest's completion then carries a failure status.
	 */
	int (*tx)(void *opaque, uint32_t chan, const struct iovec *iov, int iovcnt,
		  const struct vmbnet_frame_meta *meta);
	/* Receive room appeared on @chan: frames the device held back may go. */
	void (*rx_ready)(void *opaque, uint32_t chan);
};

struct vmbnet_nic_stats {
	uint64_t tx_packets, tx_bytes, tx_errors; /* guest -> network */
	uint64_t rx_packets, rx_bytes, rx_dropped; /* network -> guest */
	uint64_t completions; /* completions written for guest packets */
	uint64_t completions_failed; /* ... with a failure status */
	uint64_t stalls; /* passes stopped for lack of ring space or slots */
	uint64_t unknown_completions; /* guest completed an id we never sent */
	uint64_t control_msgs; /* RNDIS control requests answered */
};

/* A guest buffer registered as a GPADL, mapped page by page. */
struct vmbnet_gbuf {
	uint32_t gpadl;
	uint32_t npages;
	uint8_t **pages;
};

struct vmbnet_nic;

struct vmbnet_nic_chan {
	struct vmbnet_nic *nic;
	struct vmbnet_channel *ch;
	uint32_t nvsp_version; /* 0 until NVSP INIT */
	uint8_t rndis_ready; /* RNDIS INITIALIZE done */
	uint8_t needs_doorbell; /* stalled: resume at the next doorbell */
	uint8_t link_indication_pending; /* link changed; tell the guest when room */
	uint32_t packet_filter; /* RNDIS OID_GEN_CURRENT_PACKET_FILTER */
	struct vmbnet_gbuf rx_buf, tx_buf;
	uint32_t rx_slots; /* receive slots in rx_buf */
	uint32_t *rx_free; /* stack of free slot numbers */
	uint32_t rx_nfree;
	uint8_t *rx_busy; /* per slot: lent to the guest */
	uint32_t tx_sections;
};

struct vmbnet_nic {
	struct vmbnet_host *host;
	const struct vmbnet_nic_ops *ops;
	void *opaque;
	uint32_t mtu;
	uint8_t link_up;
	struct vmbnet_nic_chan chan[VMB_PCI_MAX_CHANNELS];
	struct vmbnet_nic_stats stats;
};

/* The channel handler to give vmbnet_host_init(); host->chan[i].priv must
 * point at nic->chan[i] (vmbnet_nic_init() does that).
 */
extern const struct vmbnet_chan_handler vmbnet_nic_handler;

/* Bind @nic to @host (whose handler must be vmbnet_nic_handler). */
void vmbnet_nic_init(struct vmbnet_nic *nic, struct vmbnet_host *host, uint32_t mtu,
		     const struct vmbnet_nic_ops *ops, void *opaque);

/*
 * vmbnet_nic_receive() - a frame from the network for the guest on @chan.
 * Returns the frame length when it was written to the guest, 0 when there is
 * no room right now (hold it; ops->rx_ready() says when to retry), or -1
 * when the channel cannot take frames at all (drop it; counted).
 */
long vmbnet_nic_receive(struct vmbnet_nic *nic, uint32_t chan, const struct iovec *iov,
			int iovcnt, const struct vmbnet_frame_meta *meta);

/* After a migration restored the NIC's state: map the guest's send and
 * receive buffers again (by their migrated GPADL ids). 0 or -errno.
 */
int vmbnet_nic_post_load(struct vmbnet_nic *nic);

/* Link state: tells the guest with an RNDIS status indication. */
void vmbnet_nic_set_link(struct vmbnet_nic *nic, bool up);

#endif /* VMBNET_NIC_H */
