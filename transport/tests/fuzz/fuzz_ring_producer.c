// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the producer side of a ring whose consumer is the
 * fuzzer: read_index, pending_send_sz and the interrupt mask move to any
 * value between writes of any size, publishes and room checks. Oracle,
 * besides the sanitizers: every write changes only the bytes between the
 * producer's position before and after it (it never writes where it has
 * not reserved, whatever the consumer claims).
 *
 * Input: records of u8 op, u32 value (LE).
 *   op % 5: 0 read_index, 1 pending_send_sz, 2 interrupt_mask,
 *           3 write an inband packet of value % 4096 bytes, 4 publish
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet/vmb_ring.h"

#define DATA_BYTES (2 * VMB_PAGE_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static uint8_t buf[VMB_PAGE_SIZE + DATA_BYTES] __attribute__((aligned(4096)));
	static uint8_t shadow[DATA_BYTES], payload[4096];
	struct vmb_ring_hdr *hdr = (struct vmb_ring_hdr *)buf;
	uint8_t *data = buf + VMB_PAGE_SIZE;
	struct vmb_ring r;

	if (vmb_ring_format(buf, sizeof(buf)) || vmb_ring_attach_producer(&r, buf, sizeof(buf)))
		abort();
	memset(payload, 0xa5, sizeof(payload));
	for (size_t off = 0; off + 5 <= len; off += 5) {
		uint32_t v, before, after;

		memcpy(&v, in + off + 1, 4);
		switch (in[off] % 5) {
		case 0:
			hdr->read_index = v;
			break;
		case 1:
			hdr->pending_send_sz = v;
			break;
		case 2:
			hdr->interrupt_mask = v;
			break;
		case 3:
			memcpy(shadow, data, DATA_BYTES);
			before = vmb_ring_position(&r);
			if (vmb_ring_write_inband(&r, 0, v, payload, v % sizeof(payload)))
				break;
			after = vmb_ring_position(&r);
			for (uint32_t i = 0; i < DATA_BYTES; i++) {
				bool inside = before <= after ? i >= before && i < after :
								i >= before || i < after;

				if (!inside && data[i] != shadow[i])
					abort(); /* wrote outside its reservation */
			}
			break;
		case 4:
			vmb_ring_tx_publish(&r);
			vmb_ring_tx_room(&r, v % DATA_BYTES);
			break;
		}
	}
	return 0;
}
