/* SPDX-License-Identifier: MIT */
/*
 * What the host lends in a receive slot, parsed the way a guest that does
 * not trust its host must: the RNDIS message is copied out of the slot
 * before anything in it is looked at, every offset and length is checked
 * against the slot, and the answer says only what was verified. OS-neutral:
 * vmbnet.ko's NAPI poll and the userspace fuzzer run this one copy.
 */
#ifndef VMBNET_RX_H
#define VMBNET_RX_H

#include "vmbnet/vmb_nvsp.h"

#ifndef __KERNEL__
#include <stdbool.h>
#include <stdint.h>
#endif

#define VMBNET_RX_ETH_HLEN 14 /* a frame shorter than its Ethernet header is refused */

enum vmbnet_rx_kind {
	VMBNET_RX_BAD, /* malformed: drop and count */
	VMBNET_RX_FRAME, /* a data frame at data_off, data_len bytes */
	VMBNET_RX_LINK, /* a media status indication: link_up */
	VMBNET_RX_OTHER, /* well formed, nothing for the guest to do */
};

struct vmbnet_rx {
	uint32_t data_off, data_len; /* into the slot, checked */
	bool link_up;
};

/* Parse the @len bytes of the slot at @msg (shared memory). */
enum vmbnet_rx_kind vmbnet_rx_parse(const uint8_t *msg, uint32_t len, struct vmbnet_rx *rx);

#endif /* VMBNET_RX_H */
