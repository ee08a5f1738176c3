// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the NIC (NVSP dispatch, RNDIS control and data,
 * per-packet info, send sections, GPA-direct ranges, receive slots) fed by a
 * guest whose packets, send-section contents and network frames come from
 * the fuzzer, on a channel that is open with its buffers connected.
 *
 * Input: records of u8 op, u8 arg, u16 len (LE), len bytes.
 *   op % 6: 0 inband packet (flags arg) with the bytes as payload
 *           1 the bytes into send section arg
 *           2 GPA-direct packet: one range over the data pages, bytes as
 *             NVSP payload, offset/length from the first 4 bytes
 *           3 completion of receive slot id (arg + first byte)
 *           4 a frame from the network (the bytes)
 *           5 link down/up (arg & 1), close and reopen (arg & 2)
 * After every record the guest rings the doorbell and takes what the host
 * wrote, without checking it (the guest-side fuzzers do that).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_nic_guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	size_t off = 0;

	nic_guest_up();
	while (off + 4 <= len) {
		uint8_t op = in[off], arg = in[off + 1];
		uint16_t n = (uint16_t)(in[off + 2] | in[off + 3] << 8);
		const uint8_t *b = in + off + 4;

		off += 4;
		if (n > len - off)
			n = (uint16_t)(len - off);
		switch (op % 6) {
		case 0:
			vmb_ring_write_inband(&up, arg, 100 + off, b, n);
			break;
		case 1: {
			uint32_t sec = arg % (TX_PAGES * VMB_PAGE_SIZE / VMBNET_TX_SECTION_BYTES);

			memcpy((uint8_t *)fg_ptr(&g, tx_pfn) + sec * VMBNET_TX_SECTION_BYTES, b,
			       n < VMBNET_TX_SECTION_BYTES ? n : VMBNET_TX_SECTION_BYTES);
			break;
		}
		case 2: {
			struct vmb_gpa_direct_hdr gh = { 0, 1 };
			struct vmb_gpa_range r = { 0, 0 };
			uint8_t ext[sizeof(gh) + sizeof(r) + 8 * DATA_PAGES];
			uint32_t o = 0, l = 0, np;

			if (n >= 8) {
				memcpy(&o, b, 4);
				memcpy(&l, b + 4, 4);
			}
			r.byte_offset = o % VMB_PAGE_SIZE;
			r.byte_count = l % (DATA_PAGES * VMB_PAGE_SIZE - r.byte_offset);
			np = VMB_GPA_RANGE_PFNS(r.byte_offset, r.byte_count ? r.byte_count : 1);
			memcpy(ext, &gh, sizeof(gh));
			memcpy(ext + sizeof(gh), &r, sizeof(r));
			for (unsigned int i = 0; i < DATA_PAGES; i++) {
				uint64_t pfn = data_pfn + i;

				memcpy(ext + sizeof(gh) + sizeof(r) + 8 * i, &pfn, 8);
			}
			vmb_ring_write(&up, VMB_PKT_DATA_GPA_DIRECT,
				       VMB_PKT_FLAG_COMPLETION_REQUESTED, 200 + off, ext,
				       (uint32_t)(sizeof(gh) + sizeof(r) + 8 * np),
				       &(struct vmb_sg){ b, n }, 1);
			break;
		}
		case 3: {
			struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
							     n ? b[0] : 0 };

			vmb_ring_write(&up, VMB_PKT_COMP, 0, (uint64_t)arg + (n ? b[0] : 0), NULL,
				       0, &(struct vmb_sg){ &c, sizeof(c) }, 1);
			break;
		}
		case 4:
			vmbnet_nic_receive(&nic, 0, &(struct iovec){ (void *)b, n }, 1, NULL);
			break;
		case 5:
			vmbnet_nic_set_link(&nic, arg & 1);
			if (arg & 2) {
				channel_close();
				if (channel_up())
					goto out;
			}
			break;
		}
		doorbell();
		off += n;
	}
out:
	nic_guest_down();
	return 0;
}
