// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the consumer side of a ring whose whole shared state
 * (indices and data area) comes from the fuzzer. Peeks, copies, parses
 * GPA-direct and transfer-page extensions, advances and releases until the
 * ring is empty or broken. Any crash, sanitizer report, or a loop that does
 * not end is a bug in the ring core.
 *
 * Input: u32 write_index, u32 read_index, u32 pending_send_sz, then the data
 * area (padded with zeros to DATA_BYTES).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet/vmb_ring.h"

#define DATA_BYTES (2 * VMB_PAGE_SIZE)
#define HDR_INPUT 12

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static const struct vmb_mem_region mem[] = { { 0, 1 << 20 }, { 1ull << 32, 1 << 16 } };
	static uint8_t buf[VMB_PAGE_SIZE + DATA_BYTES] __attribute__((aligned(4096)));
	struct vmb_gpa_seg segs[VMB_GPA_MAX_PFNS];
	struct vmb_xfer_range xr[VMB_XFER_MAX_RANGES];
	struct vmb_xfer_page_hdr xh;
	struct vmb_ring r;
	struct vmb_pkt p;
	uint8_t copy[256];
	uint32_t idx[3] = { 0 };

	if (len < HDR_INPUT)
		return 0;
	memcpy(idx, in, HDR_INPUT);
	vmb_ring_format(buf, sizeof(buf));
	memset(buf + VMB_PAGE_SIZE, 0, DATA_BYTES);
	memcpy(buf + VMB_PAGE_SIZE, in + HDR_INPUT,
	       len - HDR_INPUT < DATA_BYTES ? len - HDR_INPUT : DATA_BYTES);
	((struct vmb_ring_hdr *)buf)->write_index = idx[0];
	((struct vmb_ring_hdr *)buf)->read_index = idx[1];
	((struct vmb_ring_hdr *)buf)->pending_send_sz = idx[2];
	if (vmb_ring_attach_consumer(&r, buf, sizeof(buf)))
		return 0;
	/* Every packet is at least 24 bytes: this bound is never reached by a
	 * correct consumer, so hitting it means the ring loops.
	 */
	for (unsigned int n = 0; n <= DATA_BYTES / 24; n++) {
		if (vmb_ring_peek(&r, &p))
			break;
		vmb_ring_pkt_copy(&r, &p, p.data_off, copy,
				  vmb_pkt_data_len(&p) < sizeof(copy) ? vmb_pkt_data_len(&p) :
									sizeof(copy));
		if (p.type == VMB_PKT_DATA_GPA_DIRECT &&
		    vmb_gpa_parse(&r, &p, mem, 2, segs, VMB_GPA_MAX_PFNS) == -EIO)
			break;
		if (p.type == VMB_PKT_DATA_XFER_PAGES &&
		    vmb_xfer_parse(&r, &p, 1 << 16, &xh, xr, VMB_XFER_MAX_RANGES) == -EIO)
			break;
		vmb_ring_advance(&r, &p);
		if (n == DATA_BYTES / 24)
			abort();
	}
	vmb_ring_rx_release(&r);
	return 0;
}
