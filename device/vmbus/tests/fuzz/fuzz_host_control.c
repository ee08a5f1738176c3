// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the host's control plane (vmbnet_host) fed a guest's
 * message page from the fuzzer: any sequence of messages, pops, doorbells,
 * resets and a migration's post_load. Any crash, sanitizer report, leak or
 * mapping left behind is a bug.
 *
 * Input: records of u8 op, u8 arg, u16 len (LE), len bytes.
 *   op % 5: 0 message, 1 pop until empty, 2 doorbell(arg), 3 reset,
 *           4 post_load (as after a migration of the current state)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_RAM_BYTES (256u << 10)
#include "fake_guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static int nop_open(struct vmbnet_channel *ch)
{
	return 0;
}

static void nop(struct vmbnet_channel *ch)
{
	/* a datapath that looks at the rings the way the NIC does */
	struct vmb_pkt p;

	for (unsigned int n = vmb_ring_max_pkts(&ch->in); n && !vmb_ring_peek(&ch->in, &p); n--)
		vmb_ring_advance(&ch->in, &p);
	vmb_ring_rx_release(&ch->in);
}

static const struct vmbnet_chan_handler handler = {
	.open = nop_open,
	.doorbell = nop,
	.close = nop,
};

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static struct fake_guest g;
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t buf[VMB_MSG_MAX];
	struct vmbnet_host h;
	size_t off = 0;

	if (!g.ram)
		fg_init(&g);
	memset(g.ram, 0, 64 << 10); /* rings live in the first pages */
	g.maps = 0;
	if (vmbnet_host_init(&h, 2, mac, &fake_guest_ops, &g, &handler))
		abort();
	while (off + 4 <= len) {
		uint8_t op = in[off], arg = in[off + 1];
		uint16_t n = (uint16_t)(in[off + 2] | in[off + 3] << 8);

		off += 4;
		if (n > len - off)
			n = (uint16_t)(len - off);
		switch (op % 5) {
		case 0:
			vmbnet_host_message(&h, in + off, n);
			break;
		case 1:
			for (unsigned int i = 0; i <= VMBNET_MSGQ_LEN; i++)
				if (!vmbnet_host_pop(&h, buf))
					break;
			break;
		case 2:
			vmbnet_host_doorbell(&h, arg);
			break;
		case 3:
			vmbnet_host_reset(&h);
			break;
		case 4:
			/* what a load sees: the state, no mappings */
			for (uint32_t i = 0; i < h.nchan; i++)
				if (h.chan[i].ring_mem) {
					fake_guest_ops.unmap(&g, h.chan[i].ring_mem,
							     h.chan[i].ring_len);
					h.chan[i].ring_mem = NULL;
				}
			vmbnet_host_post_load(&h);
			break;
		}
		off += n;
	}
	vmbnet_host_fini(&h);
	if (g.maps)
		abort(); /* a mapping outlived the host */
	return 0;
}
