// SPDX-License-Identifier: MIT
/* A receive slot's RNDIS message, parsed. See vmbnet_rx.h. */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "vmbnet_rx.h"

enum vmbnet_rx_kind vmbnet_rx_parse(const uint8_t *msg, uint32_t len, struct vmbnet_rx *rx)
{
	struct rndis_hdr h;
	struct rndis_packet pk;
	uint32_t body, st;

	memset(rx, 0, sizeof(*rx));
	if (len < RNDIS_BODY_OFF)
		return VMBNET_RX_BAD;
	memcpy(&h, msg, sizeof(h)); /* copied once: the host may change the slot */
	/* the message may be shorter than the range that carries it, never longer */
	if (h.msg_len < RNDIS_BODY_OFF || h.msg_len > len)
		return VMBNET_RX_BAD;
	body = h.msg_len - RNDIS_BODY_OFF;
	if (h.msg_type == RNDIS_MSG_INDICATE) {
		if (body < sizeof(st))
			return VMBNET_RX_BAD;
		memcpy(&st, msg + RNDIS_BODY_OFF, sizeof(st));
		if (st != RNDIS_STATUS_MEDIA_CONNECT && st != RNDIS_STATUS_MEDIA_DISCONNECT)
			return VMBNET_RX_OTHER;
		rx->link_up = st == RNDIS_STATUS_MEDIA_CONNECT;
		return VMBNET_RX_LINK;
	}
	if (h.msg_type != RNDIS_MSG_PACKET)
		return VMBNET_RX_OTHER;
	if (body < sizeof(pk))
		return VMBNET_RX_BAD;
	memcpy(&pk, msg + RNDIS_BODY_OFF, sizeof(pk));
	if (pk.data_offset < sizeof(pk) || pk.data_offset > body ||
	    pk.data_len > body - pk.data_offset || pk.data_len < VMBNET_RX_ETH_HLEN)
		return VMBNET_RX_BAD;
	rx->data_off = RNDIS_BODY_OFF + pk.data_offset;
	rx->data_len = pk.data_len;
	return VMBNET_RX_FRAME;
}
