// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: a migration's restore of the host side and the NIC
 * (vmbnet_host_post_load, vmbnet_nic_post_load) from a stream the fuzzer
 * wrote. A channel is brought up, the pointers are dropped as QEMU's
 * pre_load leaves them, then every field vmbnet-pci migrates may take any
 * value (arrays sized by their counts, as VMSTATE_VARRAY_*_ALLOC loads
 * them), post_load runs, and the device is used: messages popped, a
 * doorbell, a frame received, the channel closed, the device reset. Any
 * crash, sanitizer report or mapping left behind is a bug.
 *
 * Input: records of u8 field, u8 index, u32 value (LE); see set().
 */
#include "fuzz_nic_guest.h"
#include "vmbnet_nic_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

/* An array of @n elements of @size, as a load allocates it. */
static void *resize(void *p, uint32_t n, size_t size)
{
	void *q = realloc(p, n ? (size_t)n * size : 1);

	if (!q)
		abort();
	memset(q, 0, n ? (size_t)n * size : 1);
	return q;
}

static void set(uint8_t field, uint8_t i, uint32_t v)
{
	struct vmbnet_gpadl *gp = &h.gpadl[i % 4];
	struct vmbnet_channel *ch = &h.chan[0];
	struct vmbnet_nic_chan *nc = &nic.chan[0];
	struct vmb_ring *r = i & 1 ? &ch->out : &ch->in;

	switch (field % 26) {
	case 0:
		h.msgq_head = v;
		break;
	case 1:
		h.msgq_count = v;
		break;
	case 2:
		h.msgq_len[i % VMBNET_MSGQ_LEN] = (uint16_t)v;
		break;
	case 3:
		h.connected = v & 1;
		break;
	case 4:
		gp->id = v;
		break;
	case 5:
		gp->relid = v;
		break;
	case 6:
		/* the pfn array is sized by the count that precedes it */
		gp->npages = v % 64;
		gp->pfns = resize(gp->pfns, gp->npages, sizeof(uint64_t));
		break;
	case 7:
		gp->received = v;
		break;
	case 8:
		gp->next_body = v;
		break;
	case 9:
		gp->created = v & 1;
		break;
	case 10:
		gp->users = (uint16_t)v;
		break;
	case 11:
		if (gp->npages)
			gp->pfns[(v >> 24) % gp->npages] = (FAKE_RAM_BASE >> 12) + (v & 0xffffff);
		break;
	case 12:
		ch->state = v;
		break;
	case 13:
		ch->gpadl = v;
		break;
	case 14:
		ch->ring_len = v;
		break;
	case 15:
		r->size = v;
		break;
	case 16:
		r->priv_index = v;
		break;
	case 17:
		r->pub_index = v;
		break;
	case 18:
		r->peer_cache = v;
		break;
	case 19:
		r->error = v;
		break;
	case 20:
		nc->nvsp_version = v;
		break;
	case 21:
		nc->rx_buf.gpadl = v;
		break;
	case 22:
		nc->tx_buf.gpadl = v;
		break;
	case 23:
		nc->rx_slots = v % 256;
		nc->rx_free = resize(nc->rx_free, nc->rx_slots, sizeof(uint32_t));
		nc->rx_busy = resize(nc->rx_busy, nc->rx_slots, 1);
		break;
	case 24:
		if (i & 1)
			nc->rx_nfree = v;
		else
			nc->tx_sections = v;
		break;
	case 25:
		if (nc->rx_slots && i & 1)
			nc->rx_free[(v >> 16) % nc->rx_slots] = v & 0xffff;
		else if (nc->rx_slots)
			nc->rx_busy[(v >> 16) % nc->rx_slots] = (uint8_t)v;
		break;
	}
}

/* What the stream does not carry: mappings and pointers (pre_load reset
 * them; the holds came with the GPADL users counts).
 */
static void drop_pointers(void)
{
	struct vmbnet_nic_chan *nc = &nic.chan[0];
	uint16_t users[VMBNET_MAX_GPADLS];

	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++) {
		users[i] = h.gpadl[i].users;
		free(h.gpadl[i].sorted); /* not migrated: post_load rebuilds it */
		h.gpadl[i].sorted = NULL;
	}
	vmbnet_gbuf_unmap(&h, &nc->rx_buf);
	vmbnet_gbuf_unmap(&h, &nc->tx_buf);
	nc->rx_buf.gpadl = 20;
	nc->tx_buf.gpadl = 21;
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++)
		h.gpadl[i].users = users[i];
	fake_guest_ops.unmap(&g, h.chan[0].ring_mem, h.chan[0].ring_len);
	h.chan[0].ring_mem = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	uint8_t buf[VMB_MSG_MAX], frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	nic_guest_up();
	drop_pointers();
	for (size_t off = 0; off + 6 <= len; off += 6) {
		uint32_t v;

		memcpy(&v, in + off + 2, 4);
		set(in[off], in[off + 1], v);
	}
	if (!vmbnet_host_post_load(&h))
		vmbnet_nic_post_load(&nic);
	else
		vmbnet_nic_release_bufs(&nic.chan[0]); /* what vmbnet-pci does then */
	while (vmbnet_host_pop(&h, buf))
		;
	vmbnet_host_doorbell(&h, 0);
	vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1, NULL);
	channel_close();
	vmbnet_host_reset(&h);
	nic_guest_down();
	return 0;
}
