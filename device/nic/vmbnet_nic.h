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

#include "vmbnet/vmb_handoff.h"
#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_host.h"

#define VMBNET_RX_SECTION_BYTES 2048u /* receive slot: RNDIS header + ppi + frame */
/* Send sections as Hyper-V gives them (Linux hyperv_net.h
 * NETVSC_SEND_SECTION_SIZE, which hv_netvsc takes from the host's answer):
 * a section spans pages, so a driver that assumes it does not is caught.
 */
#define VMBNET_TX_SECTION_BYTES 6144u
#define VMBNET_RX_CTRL_RESERVE 2 /* receive slots kept for control replies */
#define VMBNET_MAX_FRAME 9216u

/* What travels with a frame besides its bytes (from or to per-packet info). */
struct vmbnet_frame_meta {
	uint32_t csum_info; /* RNDIS checksum info (tx or rx layout), 0 = none */
	uint32_t lso_info; /* RNDIS LSOv2 info, 0 = none */
	uint32_t vlan_info; /* RNDIS 802.1Q info (priority, VLAN), valid if has_vlan */
	uint32_t hash; /* valid if has_hash */
	uint32_t hash_info; /* RNDIS_HASH_* type bits of @hash, 0 = unknown */
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
	/* Optional: the host -> guest ring of @chan is about to be published
	 * (and then the guest -> host ring released). An external backend
	 * calls vmbnet_nic_checkpoint() here, so that its successor knows what
	 * the guest has seen.
	 */
	void (*commit)(void *opaque, uint32_t chan);
	/* Optional: the fault engine holds something back until @when_ns
	 * of its clock: call vmbnet_nic_tick() then (UINT64_MAX: nothing
	 * waits). An embedder that polls calls vmbnet_nic_tick() anyway.
	 */
	void (*timer)(void *opaque, uint64_t when_ns);
};

/* Completions the fault engine holds back (delay, reorder, withhold). */
#define VMBNET_NIC_HELD_MAX 256
/* A reordered completion goes after the channel's next one, or after this. */
#define VMBNET_NIC_REORDER_MAX_NS 1000000ull

struct vmbnet_nic_held {
	uint64_t due_ns; /* the fault clock's time to write it */
	uint64_t tid;
	uint32_t status;
	uint16_t ppi_len;
	uint8_t chan;
	uint8_t reorder; /* goes right after the channel's next completion */
	uint8_t ppi[RNDIS_PPI_MAX];
};

/* A frame for vmbnet_nic_receive_burst(). */
struct vmbnet_rx_frame {
	const struct iovec *iov;
	int iovcnt;
	struct vmbnet_frame_meta meta;
};

struct vmbnet_nic_stats {
	uint64_t tx_packets, tx_bytes, tx_errors; /* guest -> network */
	uint64_t rx_packets, rx_bytes, rx_dropped; /* network -> guest */
	uint64_t completions; /* completions written for guest packets */
	uint64_t completions_failed; /* ... with a failure status */
	uint64_t stalls; /* passes stopped for lack of ring space or slots */
	uint64_t unknown_completions; /* guest completed an id we never sent */
	uint64_t control_msgs; /* RNDIS control requests answered */
	uint64_t tx_discarded; /* data after RNDIS HALT: completed, not sent */
	uint64_t faults; /* faults the engine fired (nic->faults) */
	uint64_t held; /* completions the engine held back (delay, reorder, withhold) */
	uint64_t held_lost; /* ... never written: their channel closed first */
	uint64_t revoked; /* frames dropped and sends failed while the buffers were revoked */
};

/* A guest buffer registered as a GPADL, mapped page by page. */
struct vmbnet_gbuf {
	uint32_t gpadl;
	uint32_t npages;
	uint8_t **pages;
};

struct vmbnet_nic;
struct vmbnet_fault;

struct vmbnet_nic_chan {
	struct vmbnet_nic *nic;
	struct vmbnet_channel *ch;
	uint32_t nvsp_version; /* 0 until NVSP INIT */
	uint8_t rndis_ready; /* RNDIS INITIALIZE done */
	uint8_t rndis_halted; /* RNDIS HALT since: data is discarded, not failed */
	/* the RNDIS message being answered, for the fault engine's match */
	uint32_t cur_rndis_type, cur_rndis_len;
	uint8_t needs_doorbell; /* stalled: resume at the next doorbell */
	uint8_t link_indication_pending; /* link changed; tell the guest when room */
	uint32_t packet_filter; /* RNDIS OID_GEN_CURRENT_PACKET_FILTER */
	struct vmbnet_gbuf rx_buf, tx_buf;
	uint32_t rx_slots; /* receive slots in rx_buf */
	uint32_t *rx_free; /* stack of free slot numbers */
	uint32_t rx_nfree;
	uint8_t *rx_busy; /* per slot: lent to the guest */
	uint32_t tx_sections;
	uint64_t stall_until_ns; /* fault stall: the ring is not read until then */
};

struct vmbnet_nic {
	struct vmbnet_host *host;
	const struct vmbnet_nic_ops *ops;
	void *opaque;
	uint32_t mtu;
	uint8_t link_up;
	uint8_t busy_poll; /* a poller drives the channels: rings stay masked */
	struct vmbnet_fault *faults; /* the embedder's fault engine, or NULL */
	uint32_t nheld;
	uint8_t link_host; /* the link as the embedder set it (a flap ends there) */
	uint64_t flap_until_ns; /* fault link flap: down until then, 0 = none */
	uint64_t rescind_until_ns; /* fault rescind: offered again then, 0 = none */
	uint64_t revoke_until_ns; /* fault revoke: no receive nor send buffer until then */
	uint64_t tick_ns; /* the earliest thing the faults wait for, 0 = none */
	struct vmbnet_nic_chan chan[VMB_PCI_MAX_CHANNELS];
	struct vmbnet_nic_stats stats;
	/* not migrated nor checkpointed: a migration or a new backend
	 * forgets them, as if the host had dropped them
	 */
	struct vmbnet_nic_held held[VMBNET_NIC_HELD_MAX];
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
long vmbnet_nic_receive(struct vmbnet_nic *nic, uint32_t chan, const struct iovec *iov, int iovcnt,
			const struct vmbnet_frame_meta *meta);

/*
 * vmbnet_nic_can_receive() - could @chan take a frame now (open, RNDIS
 * initialised, link up)? A poll-mode backend leaves frames in its port
 * until then, as a NIC without posted buffers would.
 */
bool vmbnet_nic_can_receive(struct vmbnet_nic *nic, uint32_t chan);

/*
 * vmbnet_nic_receive_burst() - frames for the guest on @chan, written with
 * one publish and one signal decision for the burst. Returns how many were
 * taken from the front of @f (the caller keeps the rest and retries after
 * ops->rx_ready()), or -1 when the channel cannot take frames at all (drop
 * them all; counted). Frames too big for a slot are dropped and counted as
 * taken.
 */
int vmbnet_nic_receive_burst(struct vmbnet_nic *nic, uint32_t chan, const struct vmbnet_rx_frame *f,
			     unsigned int n);

/*
 * Busy polling (nic->busy_poll set): the guest -> host rings stay masked
 * while the poller runs the channel's doorbell handler whenever
 * vmbnet_nic_pending() says the guest wrote something. Before it sleeps on
 * the doorbell, vmbnet_nic_arm() unmasks: true means a packet arrived
 * meanwhile (the ring is masked again; poll instead of sleeping).
 */
bool vmbnet_nic_arm(struct vmbnet_nic *nic, uint32_t chan);
bool vmbnet_nic_pending(struct vmbnet_nic *nic, uint32_t chan);

/* ---- hand-off to an external backend (vmbnet_nic_state.c) -------------- */

/*
 * vmbnet_nic_checkpoint() - record @chan's state as of the publish about to
 * happen in @st's next slot (from ops->commit). -E2BIG when the guest's
 * receive buffer has more slots than a checkpoint describes (nothing is
 * written; a successor then cannot resume this channel).
 */
int vmbnet_nic_checkpoint(struct vmbnet_nic *nic, uint32_t chan, struct vmb_hof_chan_state *st);

/*
 * vmbnet_nic_resume() - after the host attached @chan's rings again (a new
 * backend), take the NIC state and ring positions from the checkpoint that
 * matches what the guest has seen, finish the release its predecessor may
 * not have done, map the guest's buffers, record the state taken over as
 * the newest checkpoint and interrupt the guest once. 0, or -EIO when no
 * checkpoint matches the ring (the channel is then broken).
 */
int vmbnet_nic_resume(struct vmbnet_nic *nic, uint32_t chan, struct vmb_hof_chan_state *st);

/*
 * vmbnet_nic_fail_in_flight() - no backend serves @ch any more and the guest
 * closes it: from the checkpoint, answer every completion-requested packet
 * the guest has queued with a failure status (as far as the host -> guest
 * ring has room). For the front end, which has no NIC of its own.
 * Returns the number of failure completions written, or -EIO.
 */
int vmbnet_nic_fail_in_flight(struct vmbnet_channel *ch, const struct vmb_hof_chan_state *st);

/* After a migration restored the NIC's state: map the guest's send and
 * receive buffers again (by their migrated GPADL ids). 0 or -errno.
 */
int vmbnet_nic_post_load(struct vmbnet_nic *nic);

/* Link state: tells the guest with an RNDIS status indication. During a
 * fault's link flap it takes effect when the flap ends.
 */
void vmbnet_nic_set_link(struct vmbnet_nic *nic, bool up);

/*
 * vmbnet_nic_tick() - do what the fault engine's timed actions wait for
 * and is due by now: write held completions, read a stalled ring again, end
 * a link flap. Cheap when nothing waits. Returns the fault clock's time of
 * the next thing that waits, UINT64_MAX for none.
 */
uint64_t vmbnet_nic_tick(struct vmbnet_nic *nic);

/* Drop @nc's mappings of the guest's send and receive buffers (and the
 * holds on their GPADLs): on revoke, reset, and when a backend gives a
 * channel up.
 */
void vmbnet_nic_release_bufs(struct vmbnet_nic_chan *nc);

#endif /* VMBNET_NIC_H */
