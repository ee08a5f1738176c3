// SPDX-License-Identifier: MIT
/*
 * vmbnet NIC: RNDIS messages from the guest (data packets with per-packet
 * info, and the control requests INITIALIZE, QUERY, SET, KEEPALIVE, RESET,
 * HALT) and the RNDIS framing of frames sent to the guest.
 *
 * The message lives in guest memory that the guest may still change, so
 * every header and per-packet info is copied out before it is checked; the
 * frame bytes themselves go to the network as they are.
 */
#include <errno.h>
#include <string.h>

#include "vmbnet_nic_priv.h"

#define CONTROL_REPLY_MAX 256u /* header, query completion and the largest answer (NDIS_OFFLOAD) */
#define LINK_SPEED_100BPS 100000000u /* 10 Gbit/s in units of 100 bit/s */

/* Copy @len bytes at @off of the concatenated @iov into @dst; false if short. */
static bool iov_read(const struct iovec *iov, int n, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *d = dst;

	for (int i = 0; i < n && len; i++) {
		uint64_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		memcpy(d, (const uint8_t *)iov[i].iov_base + off, chunk);
		d += chunk;
		len -= chunk;
		off = 0;
	}
	return len == 0;
}

/* Describe @len bytes at @off of @iov as a new iovec; -1 if out of range. */
static int iov_sub(const struct iovec *iov, int n, uint64_t off, uint64_t len, struct iovec *out,
		   int max)
{
	int m = 0;

	for (int i = 0; i < n && len; i++) {
		uint64_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		if (m == max)
			return -1;
		chunk = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		out[m].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[m].iov_len = chunk;
		m++;
		len -= chunk;
		off = 0;
	}
	return len ? -1 : m;
}

/* Parse the per-packet info area (already copied out) into @meta. */
static bool parse_ppi(const uint8_t *area, uint32_t len, struct vmbnet_frame_meta *meta)
{
	uint32_t off = 0;

	while (off < len) {
		struct rndis_ppi h;
		uint32_t v;

		if (len - off < sizeof(h))
			return false;
		memcpy(&h, area + off, sizeof(h));
		if (h.size < sizeof(h) || h.size % 4 || h.size > len - off ||
		    h.ppi_offset < sizeof(h) || h.ppi_offset > h.size - sizeof(v))
			return false;
		memcpy(&v, area + off + h.ppi_offset, sizeof(v));
		switch (h.type) {
		case RNDIS_PPI_CHECKSUM:
			meta->csum_info = v;
			break;
		case RNDIS_PPI_LSO:
			meta->lso_info = v;
			break;
		case RNDIS_PPI_8021Q:
			meta->vlan_info = v;
			meta->has_vlan = 1;
			break;
		case RNDIS_PPI_HASH:
			meta->hash = v;
			meta->has_hash = 1;
			break;
		default:
			break; /* IPsec and the rest: carried, not acted on */
		}
		off += h.size;
	}
	return true;
}

/* A PACKET message: one frame for the network. Returns the NVSP status. */
static uint32_t rndis_packet(struct vmbnet_nic_chan *nc, const struct iovec *iov, int n,
			     uint32_t msg_len, uint8_t *ppi, uint32_t *ppi_len)
{
	struct vmbnet_nic *nic = nc->nic;
	struct vmbnet_frame_meta meta = { 0 };
	struct iovec frame[VMBNET_MAX_FRAME / VMB_PAGE_SIZE + 8];
	struct rndis_packet pk;
	uint64_t body_len = msg_len - RNDIS_BODY_OFF;
	int fn;

	if (body_len < sizeof(pk) || !iov_read(iov, n, RNDIS_BODY_OFF, &pk, sizeof(pk)))
		return NVSP_STAT_INVALID_RNDIS_PKT;
	if (pk.num_oob || pk.oob_len || pk.data_len < 14 || pk.data_len > VMBNET_MAX_FRAME ||
	    pk.data_offset < sizeof(pk) || pk.data_offset > body_len ||
	    pk.data_len > body_len - pk.data_offset || pk.ppi_len > RNDIS_PPI_MAX ||
	    (pk.ppi_len && (pk.ppi_offset < sizeof(pk) || pk.ppi_offset > body_len ||
			    pk.ppi_len > body_len - pk.ppi_offset)))
		return NVSP_STAT_INVALID_RNDIS_PKT;
	if (pk.ppi_len && (!iov_read(iov, n, RNDIS_BODY_OFF + pk.ppi_offset, ppi, pk.ppi_len) ||
			   !parse_ppi(ppi, pk.ppi_len, &meta)))
		return NVSP_STAT_INVALID_RNDIS_PKT;
	*ppi_len = pk.ppi_len; /* checked: echoed with the completion */
	fn = iov_sub(iov, n, RNDIS_BODY_OFF + pk.data_offset, pk.data_len, frame,
		     (int)(sizeof(frame) / sizeof(frame[0])));
	if (fn < 0)
		return NVSP_STAT_INVALID_RNDIS_PKT;
	if (!nic->link_up || nic->ops->tx(nic->opaque, nc->ch->index, frame, fn, &meta)) {
		nic->stats.tx_errors++;
		return NVSP_STAT_FAIL;
	}
	nic->stats.tx_packets++;
	nic->stats.tx_bytes += pk.data_len;
	return NVSP_STAT_SUCCESS;
}

/*
 * The offloads both datapaths complete in software (vmbnet-pci's
 * net_checksum_calculate(), vmbnet-dpdk's tx_csum()): IPv4 TCP and UDP
 * checksums, IPv4 options included. No IPv6 checksum, no LSO, no RSC: a
 * guest that is told so sends whole frames with their checksums.
 */
static uint32_t rndis_offload_caps(const struct iovec *iov, int n, uint32_t msg_len,
				   const struct rndis_query_request *rq, uint8_t *out,
				   uint32_t *len)
{
	struct ndis_offload_caps caps = {
		.type = NDIS_OBJTYPE_OFFLOAD,
		.ip4_txenc = NDIS_OFFLOAD_ENCAP_8023,
		.ip4_txcsum = NDIS_TXCSUM_TCP4 | NDIS_TXCSUM_TCP4OPT | NDIS_TXCSUM_UDP4 |
			      NDIS_TXCSUM_IP4 | NDIS_TXCSUM_IP4OPT,
	};
	uint8_t asked[4] = { 0 };

	/* the revision the guest wrote in its info buffer; 3 if none */
	if (rq->info_len >= sizeof(asked) && rq->info_offset <= msg_len - RNDIS_BODY_OFF &&
	    sizeof(asked) <= msg_len - RNDIS_BODY_OFF - rq->info_offset)
		iov_read(iov, n, RNDIS_BODY_OFF + rq->info_offset, asked, sizeof(asked));
	switch (asked[1]) {
	case 1:
		caps.size = NDIS_OFFLOAD_SIZE_REV1;
		break;
	case 2:
		caps.size = NDIS_OFFLOAD_SIZE_REV2;
		break;
	default:
		caps.size = NDIS_OFFLOAD_SIZE_REV3;
		break;
	}
	caps.revision = asked[1] >= 1 && asked[1] <= 3 ? asked[1] : 3;
	memcpy(out, &caps, caps.size);
	*len = caps.size;
	return RNDIS_STATUS_SUCCESS;
}

/* RSS capabilities: as many queues as the host may offer (see vmb_nvsp.h). */
static uint32_t rndis_rss_caps(struct vmbnet_nic_chan *nc, const struct rndis_query_request *rq,
			       uint8_t *out, uint32_t *len)
{
	struct ndis_rss_caps caps = {
		.type = NDIS_OBJTYPE_RSS_CAPS,
		.revision = 2,
		.size = NDIS_RSS_CAPS_SIZE_REV2,
		.caps = NDIS_RSS_CAP_MSI | NDIS_RSS_CAP_CLASSIFY_DPC | NDIS_RSS_CAP_IPV4 |
			NDIS_RSS_CAP_TOEPLITZ,
		.num_int_msg = vmbnet_host_max_queues(nc->ch->host),
		.num_recv_que = vmbnet_host_max_queues(nc->ch->host),
		.num_indirect_tabent = 128, /* Linux's ITAB_NUM and DPDK's default */
	};

	*len = rq->info_len >= sizeof(caps) ? sizeof(caps) : NDIS_RSS_CAPS_SIZE_REV2;
	memcpy(out, &caps, *len);
	return RNDIS_STATUS_SUCCESS;
}

/* Reply to a QUERY; @out is the body after the completion header. */
static uint32_t rndis_query(struct vmbnet_nic_chan *nc, const struct iovec *iov, int n,
			    uint32_t msg_len, const struct rndis_query_request *rq, uint8_t *out,
			    uint32_t *len)
{
	struct vmbnet_host *h = nc->ch->host;
	uint32_t v;

	switch (rq->oid) {
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		v = nc->nic->mtu;
		break;
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		v = nc->nic->link_up ? 0 : 1;
		break;
	case RNDIS_OID_GEN_LINK_SPEED:
		v = LINK_SPEED_100BPS;
		break;
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		v = nc->packet_filter;
		break;
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		memcpy(out, h->mac, sizeof(h->mac));
		*len = sizeof(h->mac);
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
		return rndis_offload_caps(iov, n, msg_len, rq, out, len);
	case RNDIS_OID_GEN_RSS_CAPABILITIES:
		return rndis_rss_caps(nc, rq, out, len);
	default:
		*len = 0;
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
	memcpy(out, &v, sizeof(v));
	*len = sizeof(v);
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_set(struct vmbnet_nic_chan *nc, const struct iovec *iov, int n,
			  uint32_t msg_len, const struct rndis_query_request *rq)
{
	uint32_t v;

	switch (rq->oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		if (rq->info_len != sizeof(v) || rq->info_offset > msg_len - RNDIS_BODY_OFF ||
		    sizeof(v) > msg_len - RNDIS_BODY_OFF - rq->info_offset ||
		    !iov_read(iov, n, RNDIS_BODY_OFF + rq->info_offset, &v, sizeof(v)))
			return RNDIS_STATUS_INVALID_DATA;
		nc->packet_filter = v;
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_TCP_OFFLOAD_PARAMETERS:
		return RNDIS_STATUS_SUCCESS; /* offloads travel per packet */
	case RNDIS_OID_GEN_RSS_PARAMETERS:
		/* accepted, not applied: a frame's channel is the one of the
		 * netdev queue (or backend port queue) it came from
		 */
		return RNDIS_STATUS_SUCCESS;
	default:
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
}

/* Build the reply to a control request into @reply; returns its length, 0 if none. */
static uint32_t rndis_control(struct vmbnet_nic_chan *nc, const struct iovec *iov, int n,
			      uint32_t type, uint32_t msg_len, uint8_t *reply)
{
	struct rndis_hdr rh = { type | RNDIS_MSG_COMPLETION, 0 };
	uint8_t *body = reply + sizeof(rh);
	uint32_t req_id = 0;

	if (msg_len >= RNDIS_BODY_OFF + sizeof(req_id))
		iov_read(iov, n, RNDIS_BODY_OFF, &req_id, sizeof(req_id));
	switch (type) {
	case RNDIS_MSG_INIT: {
		struct rndis_init_complete c = {
			.req_id = req_id,
			.status = RNDIS_STATUS_SUCCESS,
			.major = 1,
			.dev_flags = 1,
			.max_pkt_per_msg = 1,
			.max_xfer_size = VMBNET_TX_SECTION_BYTES,
			.pkt_align_factor = 3,
		};

		memcpy(body, &c, sizeof(c));
		rh.msg_len = sizeof(rh) + sizeof(c);
		nc->rndis_ready = true;
		nc->rndis_halted = false;
		break;
	}
	case RNDIS_MSG_QUERY:
	case RNDIS_MSG_SET: {
		struct rndis_query_request rq = { 0 };
		struct rndis_query_complete c = { .req_id = req_id, .info_offset = sizeof(c) };

		if (msg_len < RNDIS_BODY_OFF + sizeof(rq) ||
		    !iov_read(iov, n, RNDIS_BODY_OFF, &rq, sizeof(rq))) {
			c.status = RNDIS_STATUS_INVALID_DATA;
		} else if (type == RNDIS_MSG_QUERY) {
			uint32_t info_len = 0;

			c.status =
				rndis_query(nc, iov, n, msg_len, &rq, body + sizeof(c), &info_len);
			c.info_len = info_len;
		} else {
			c.status = rndis_set(nc, iov, n, msg_len, &rq);
		}
		if (type == RNDIS_MSG_SET) {
			struct rndis_set_complete sc = { req_id, c.status };

			memcpy(body, &sc, sizeof(sc));
			rh.msg_len = sizeof(rh) + sizeof(sc);
		} else {
			memcpy(body, &c, sizeof(c));
			rh.msg_len = sizeof(rh) + sizeof(c) + c.info_len;
		}
		break;
	}
	case RNDIS_MSG_KEEPALIVE: {
		struct rndis_set_complete c = { req_id, RNDIS_STATUS_SUCCESS };

		memcpy(body, &c, sizeof(c));
		rh.msg_len = sizeof(rh) + sizeof(c);
		break;
	}
	case RNDIS_MSG_RESET: {
		struct rndis_reset_complete c = { RNDIS_STATUS_SUCCESS, 0 };

		memcpy(body, &c, sizeof(c));
		rh.msg_len = sizeof(rh) + sizeof(c);
		break;
	}
	case RNDIS_MSG_HALT:
		nc->rndis_ready = false;
		nc->rndis_halted = true;
		return 0;
	default:
		return 0;
	}
	memcpy(reply, &rh, sizeof(rh));
	return rh.msg_len;
}

int vmbnet_rndis_message(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p,
			 const struct iovec *iov, int iovcnt)
{
	uint8_t reply[CONTROL_REPLY_MAX], ppi[RNDIS_PPI_MAX];
	uint64_t total = 0;
	struct rndis_hdr rh;
	uint32_t status = NVSP_STAT_SUCCESS, rlen = 0, ppi_len = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!iov_read(iov, iovcnt, 0, &rh, sizeof(rh)) || rh.msg_len < sizeof(rh) ||
	    rh.msg_len > total) {
		vmbnet_chan_guest_error(nc->ch, "RNDIS message: bad length", false);
		vmbnet_nic_complete_rndis(nc, p, NVSP_STAT_INVALID_RNDIS_PKT);
		return 0;
	}
	nc->cur_rndis_type = rh.msg_type;
	nc->cur_rndis_len = rh.msg_len;
	if (rh.msg_type == RNDIS_MSG_PACKET && !nc->rndis_ready && nc->rndis_halted) {
		/*
		 * After HALT the device discards what comes (the RNDIS spec,
		 * REMOTE_NDIS_HALT_MSG): completed, not sent. Linux hv_netvsc
		 * may send one: rndis_filter_halt_device() sets nvdev->destroy,
		 * which stops netvsc_send(), only after the HALT is out.
		 */
		nc->nic->stats.tx_discarded++;
	} else if (rh.msg_type == RNDIS_MSG_PACKET) {
		status = nc->rndis_ready ?
				 rndis_packet(nc, iov, iovcnt, rh.msg_len, ppi, &ppi_len) :
				 NVSP_STAT_FAIL;
		if (status == NVSP_STAT_INVALID_RNDIS_PKT)
			vmbnet_chan_guest_error(nc->ch, "RNDIS packet: bad offsets or ppi", false);
	} else if (rh.msg_type >= RNDIS_MSG_INIT && rh.msg_type <= RNDIS_MSG_KEEPALIVE &&
		   rh.msg_type != RNDIS_MSG_INDICATE) {
		/* Completion first, then the reply: the request is consumed
		 * before its answer arrives. Room for both was checked.
		 */
		if (!vmbnet_nic_control_room(nc)) {
			vmbnet_chan_guest_error(nc->ch,
						"RNDIS control: guest holds every "
						"receive slot",
						false);
			status = NVSP_STAT_BUSY;
		} else {
			nc->nic->stats.control_msgs++;
			rlen = rndis_control(nc, iov, iovcnt, rh.msg_type, rh.msg_len, reply);
		}
	} else {
		vmbnet_chan_guest_error(nc->ch, "RNDIS message: unknown type", false);
		status = NVSP_STAT_INVALID_RNDIS_PKT;
	}
	vmbnet_nic_complete_echo(nc, p, status, ppi, ppi_len);
	nc->cur_rndis_type = nc->cur_rndis_len = 0;
	if (rlen)
		vmbnet_nic_send_control(nc, reply, rlen);
	return 0;
}

static uint32_t put_ppi(uint8_t *at, uint32_t type, uint32_t value)
{
	struct rndis_ppi h = { sizeof(h) + sizeof(value), type, sizeof(h) };

	memcpy(at, &h, sizeof(h));
	memcpy(at + sizeof(h), &value, sizeof(value));
	return h.size;
}

uint32_t vmbnet_rndis_rx_header(uint8_t *hdr, uint32_t frame_len,
				const struct vmbnet_frame_meta *meta)
{
	struct rndis_packet pk = { .ppi_offset = sizeof(pk) };
	uint32_t off = RNDIS_BODY_OFF + sizeof(pk);
	struct rndis_hdr rh = { RNDIS_MSG_PACKET, 0 };

	if (meta && meta->csum_info)
		off += put_ppi(hdr + off, RNDIS_PPI_CHECKSUM, meta->csum_info);
	if (meta && meta->has_vlan)
		off += put_ppi(hdr + off, RNDIS_PPI_8021Q, meta->vlan_info);
	if (meta && meta->has_hash) {
		/* DPDK netvsc takes the value only beside a hash info
		 * (hn_rxtx.c hn_rxpkt: hash_info != HN_NDIS_HASH_INFO_INVALID);
		 * Linux hv_netvsc reads the value alone.
		 */
		off += put_ppi(hdr + off, RNDIS_PPI_HASH, meta->hash);
		off += put_ppi(hdr + off, RNDIS_PPI_HASH_INFO,
			       RNDIS_HASH_FUNCTION_TOEPLITZ | meta->hash_info);
	}
	pk.ppi_len = off - RNDIS_BODY_OFF - sizeof(pk);
	/* no per-packet info: offset 0 too, Linux hv_netvsc (rndis_get_ppi())
	 * takes a non-zero offset as a promise of at least one entry
	 */
	if (!pk.ppi_len)
		pk.ppi_offset = 0;
	pk.data_offset = off - RNDIS_BODY_OFF;
	pk.data_len = frame_len;
	rh.msg_len = off + frame_len;
	memcpy(hdr, &rh, sizeof(rh));
	memcpy(hdr + sizeof(rh), &pk, sizeof(pk));
	return off;
}

void vmbnet_rndis_flush_indication(struct vmbnet_nic_chan *nc)
{
	struct {
		struct rndis_hdr h;
		struct rndis_indicate i;
	} m = { { RNDIS_MSG_INDICATE, sizeof(m) }, { 0, 0, sizeof(struct rndis_indicate) } };

	if (!nc->link_indication_pending || !nc->ch || nc->ch->state != VMBNET_CHAN_OPEN ||
	    !nc->rndis_ready)
		return;
	m.i.status = nc->nic->link_up ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT;
	if (vmbnet_nic_send_control(nc, &m, sizeof(m)))
		return; /* retried at the next doorbell */
	nc->link_indication_pending = false;
	vmbnet_nic_publish(nc);
}
