/* SPDX-License-Identifier: MIT */
/* Internal interfaces between vmbnet_nic.c and vmbnet_rndis.c. */
#ifndef VMBNET_NIC_PRIV_H
#define VMBNET_NIC_PRIV_H

#include "vmbnet_nic.h"

/* RNDIS PACKET header + per-packet info the host puts before a received frame. */
#define VMBNET_RNDIS_RX_HDR_MAX 128

/* Page pieces of @len bytes at @off of a mapped guest buffer. */
int vmbnet_gbuf_iov(const struct vmbnet_gbuf *b, uint64_t off, uint64_t len, struct iovec *iov,
		    int max);

/* Complete guest packet @p (if it asked) with NVSP 108 and @status. */
void vmbnet_nic_complete_rndis(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p,
			       uint32_t status);

/* ... and with the per-packet info the host parsed echoed after it. */
void vmbnet_nic_complete_echo(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p, uint32_t status,
			      const void *ppi, uint32_t ppi_len);

/* Could a control reply be sent right now (slot and ring room)? */
bool vmbnet_nic_control_room(struct vmbnet_nic_chan *nc);

/* Send an RNDIS control message to the guest through a receive slot.
 * 0, or -EAGAIN when no slot or ring room is free.
 */
int vmbnet_nic_send_control(struct vmbnet_nic_chan *nc, const void *msg, uint32_t len);

/* Publish the host -> guest ring (checkpoint first, via ops->commit) and
 * signal the guest when the ring rules say so.
 */
void vmbnet_nic_publish(struct vmbnet_nic_chan *nc);

/* Map / unmap GPADL @id of channel @relid as a guest buffer. With @hold the
 * mapping holds the GPADL (the guest cannot tear it down) until unmapped;
 * without, the hold is already counted (a migrated users count).
 */
int vmbnet_gbuf_map(struct vmbnet_host *h, struct vmbnet_gbuf *b, uint32_t relid, uint32_t id,
		    bool hold);
void vmbnet_gbuf_unmap(struct vmbnet_host *h, struct vmbnet_gbuf *b);
/* Map GPADL @id that channel @relid holds, holding it too (the buffer a
 * subchannel shares with its primary).
 */
int vmbnet_gbuf_share(struct vmbnet_host *h, struct vmbnet_gbuf *b, uint32_t relid, uint32_t id);

/* Set up the receive slots of the mapped rx_buf; @busy (rx_slots bytes, or
 * NULL) marks the ones lent to the guest. 0 or -EINVAL/-ENOMEM; the caller
 * releases the buffers on failure.
 */
int vmbnet_nic_rx_slots_init(struct vmbnet_nic_chan *nc, const uint8_t *busy);
/* The slots of the receive buffer channel @nc lends: [*lo, *hi). */
void vmbnet_nic_rx_range(const struct vmbnet_nic_chan *nc, uint32_t *lo, uint32_t *hi);
/* The channel whose GPADLs @nc's buffers are (the primary's, for a
 * subchannel in Hyper-V's offer model).
 */
uint32_t vmbnet_nic_buf_relid(const struct vmbnet_nic_chan *nc);

/* Handle one RNDIS message spread over @iov and complete @p. 0 or -EIO. */
int vmbnet_rndis_message(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p,
			 const struct iovec *iov, int iovcnt);

/* Build the RNDIS PACKET header for a received frame of @frame_len bytes
 * into @hdr (VMBNET_RNDIS_RX_HDR_MAX bytes). Returns the header length.
 */
uint32_t vmbnet_rndis_rx_header(uint8_t *hdr, uint32_t frame_len,
				const struct vmbnet_frame_meta *meta);

/* Send a pending link-status indication if there is room now. */
void vmbnet_rndis_flush_indication(struct vmbnet_nic_chan *nc);

#endif /* VMBNET_NIC_PRIV_H */
