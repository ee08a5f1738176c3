// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the guest's parser of what the host lends in a receive
 * slot (guest-driver/core/vmbnet_rx.c, the code vmbnet.ko's NAPI poll runs).
 * The input is the slot. Oracle, besides the sanitizers: a frame it reports
 * lies inside the slot, behind the RNDIS packet header, and is at least an
 * Ethernet header long.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet_rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	uint8_t *slot;
	struct vmbnet_rx rx;

	if (len > 65536)
		return 0;
	slot = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	if (!slot)
		abort();
	memcpy(slot, in, len);
	if (vmbnet_rx_parse(slot, (uint32_t)len, &rx) == VMBNET_RX_FRAME) {
		if (rx.data_off < RNDIS_BODY_OFF + sizeof(struct rndis_packet) ||
		    rx.data_len < VMBNET_RX_ETH_HLEN || rx.data_off > len ||
		    rx.data_len > len - rx.data_off)
			abort();
		volatile uint8_t last = slot[rx.data_off + rx.data_len - 1];
		(void)last;
	}
	free(slot);
	return 0;
}
