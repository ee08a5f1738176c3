// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the guest's VMBus client (guest-driver/core/vmbnet_vmbc)
 * against a host that is the fuzzer: the register file, every message the
 * message page returns, and every packet on the host -> guest ring. The
 * client runs the whole bring-up (probe, contact and offers, three GPADLs,
 * open, NVSP, RNDIS INITIALIZE and a query) and the close. Any crash,
 * sanitizer report, or a wait that does not end is a bug: the client's
 * clock advances on every look, so each wait meets its deadline.
 *
 * Input: u8 flags, then (flags & 1) five u32 identity registers, then
 * records of u8 kind, u16 len (LE), len bytes:
 *   kind % 4 == 0  the next message MSG_RECV returns (len as the length it
 *                  reports: may exceed the bytes, or the page)
 *             1    a completion for the client's last request, the bytes
 *                  as its payload
 *             2    a packet of type, flags, trans_id from the first 12
 *                  bytes, the rest as payload
 *             3    a receive slot lent: range offset and count from the
 *                  first 8 bytes, the rest copied into the receive buffer
 *                  there (an RNDIS answer)
 * Messages are taken when the client reads MSG_RECV, packets when it waits
 * on its ring.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet_vmbc.h"

#define RING_PAGES 4 /* each direction */
#define RX_PAGES 4
#define TX_PAGES 6

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static uint8_t ring_mem[2 * RING_PAGES * VMB_PAGE_SIZE] __attribute__((aligned(4096)));
static uint8_t rx_mem[RX_PAGES * VMB_PAGE_SIZE], tx_mem[TX_PAGES * VMB_PAGE_SIZE];

static struct {
	const uint8_t *in;
	size_t len, off;
	uint32_t id[5];
	uint8_t rx[VMB_MSG_MAX];
	uint64_t now, last_tid;
	struct vmb_ring host_in, host_out; /* the host's views of the rings */
	bool rings;
} F;

/* The next record if its kind is @want (mod 4); NULL otherwise. */
static const uint8_t *next(unsigned int want, uint16_t *n)
{
	if (F.off + 3 > F.len || F.in[F.off] % 4 != want)
		return NULL;
	*n = (uint16_t)(F.in[F.off + 1] | F.in[F.off + 2] << 8);
	F.off += 3;
	return F.in + F.off;
}

static uint16_t take(uint16_t n)
{
	uint16_t have = (uint16_t)(n < F.len - F.off ? n : F.len - F.off);

	F.off += have;
	return have;
}

static uint32_t f_rd(void *o, uint32_t reg)
{
	const uint8_t *b;
	uint16_t n;
	uint32_t v = 0;

	switch (reg) {
	case VMB_REG_MAGIC:
		return F.id[0];
	case VMB_REG_VERSION:
		return F.id[1];
	case VMB_REG_NUM_CHANNELS:
		return F.id[2];
	case VMB_REG_MTU:
		return F.id[3];
	case VMB_REG_RING_PAGES:
		return F.id[4];
	case VMB_REG_MSG_RECV:
		b = next(0, &n);
		if (!b)
			return 0;
		memset(F.rx, 0, sizeof(F.rx));
		v = take(n);
		memcpy(F.rx, b, v < sizeof(F.rx) ? v : sizeof(F.rx));
		return n;
	}
	if (reg >= VMB_REG_MSG_RX && reg + 4 <= VMB_REG_MSG_RX + VMB_MSG_MAX)
		memcpy(&v, F.rx + (reg - VMB_REG_MSG_RX), 4);
	return v;
}

static void f_wr(void *o, uint32_t reg, uint32_t val)
{
}

/* The host's turn: read what the guest queued, answer from the input. */
static void f_sleep(void *o, unsigned int us)
{
	struct vmb_pkt p;
	const uint8_t *b;
	uint16_t n;

	F.now += 1 + us / 1000;
	if (!F.rings)
		return;
	while (!vmb_ring_peek(&F.host_in, &p)) {
		if (p.type == VMB_PKT_DATA_INBAND)
			F.last_tid = p.trans_id;
		vmb_ring_advance(&F.host_in, &p);
	}
	vmb_ring_rx_release(&F.host_in);
	if ((b = next(1, &n))) {
		n = take(n);
		vmb_ring_write(&F.host_out, VMB_PKT_COMP, 0, F.last_tid, NULL, 0,
			       &(struct vmb_sg){ b, n }, 1);
	} else if ((b = next(2, &n))) {
		uint16_t type = 0, flags = 0;
		uint64_t tid = 0;

		n = take(n);
		if (n >= 12) {
			memcpy(&type, b, 2);
			memcpy(&flags, b + 2, 2);
			memcpy(&tid, b + 4, 8);
			b += 12;
			n -= 12;
		}
		vmb_ring_write(&F.host_out, type, flags, tid, NULL, 0, &(struct vmb_sg){ b, n }, 1);
	} else if ((b = next(3, &n))) {
		struct {
			struct vmb_xfer_page_hdr h;
			struct vmb_xfer_range r;
		} __attribute__((packed)) x = { { NVSP_RECV_BUF_ID, 0, 0, 1 }, { 0, 0 } };
		struct nvsp_rndis_pkt m = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_CONTROL, 0, 0 };

		n = take(n);
		if (n >= 8) {
			memcpy(&x.r.byte_offset, b, 4);
			memcpy(&x.r.byte_count, b + 4, 4);
			if (x.r.byte_offset < sizeof(rx_mem))
				memcpy(rx_mem + x.r.byte_offset, b + 8,
				       n - 8u < sizeof(rx_mem) - x.r.byte_offset ?
					       n - 8u :
					       sizeof(rx_mem) - x.r.byte_offset);
		}
		vmb_ring_write(&F.host_out, VMB_PKT_DATA_XFER_PAGES, 0, 7, &x, sizeof(x),
			       &(struct vmb_sg){ &m, sizeof(m) }, 1);
	}
	vmb_ring_tx_publish(&F.host_out);
}

static uint64_t f_now(void *o)
{
	return F.now++;
}

static const struct vmbc_port port = {
	.rd = f_rd,
	.wr = f_wr,
	.sleep = f_sleep,
	.now_ms = f_now,
};

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct vmbc c;
	struct vmb_ring up, down;
	struct vmbc_chan ch;
	struct vmbc_buf ring = { ring_mem, 0x1000, 2 * RING_PAGES, 0, false };
	struct vmbc_buf rx = { rx_mem, 0x2000, RX_PAGES, 0, false };
	struct vmbc_buf tx = { tx_mem, 0x3000, TX_PAGES, 0, false };
	uint8_t reply[256];

	if (!len)
		return 0;
	memset(&F, 0, sizeof(F));
	F.in = in;
	F.len = len;
	F.off = 1;
	F.id[0] = VMB_PCI_MAGIC;
	F.id[1] = VMB_PCI_VERSION;
	F.id[2] = 1;
	F.id[3] = 1500;
	F.id[4] = RING_PAGES;
	if (in[0] & 1 && len >= 1 + sizeof(F.id)) {
		memcpy(F.id, in + 1, sizeof(F.id));
		F.off += sizeof(F.id);
	}
	vmbc_init(&c, &port, NULL);
	c.timeout_ms = 50;
	if (vmbc_probe(&c) || vmbc_connect(&c))
		return 0;
	if (c.noffers > VMB_PCI_MAX_CHANNELS || c.offer[0].index >= c.num_channels)
		abort(); /* the client let through what it must refuse */
	ch = (struct vmbc_chan){ .c = &c,
				 .index = c.offer[0].index,
				 .relid = c.offer[0].relid,
				 .up = &up,
				 .down = &down };
	/* the host attaches its views once the client formatted the rings */
	memset(ring_mem, 0, sizeof(ring_mem));
	if (vmbc_rings_init(&up, &down, ring_mem, RING_PAGES * VMB_PAGE_SIZE,
			    RING_PAGES * VMB_PAGE_SIZE) ||
	    vmb_ring_attach_consumer(&F.host_in, ring_mem, RING_PAGES * VMB_PAGE_SIZE) ||
	    vmb_ring_attach_producer(&F.host_out, ring_mem + RING_PAGES * VMB_PAGE_SIZE,
				     RING_PAGES * VMB_PAGE_SIZE))
		abort();
	F.rings = true;
	/* vmbc_chan_open formats the rings again: the views follow */
	if (!vmbc_chan_open(&ch, &ring, RING_PAGES, &rx, &tx)) {
		if (ch.rx_slot_size * (uint64_t)ch.rx_slots > sizeof(rx_mem) ||
		    ch.tx_section_size * (uint64_t)ch.tx_sections > sizeof(tx_mem))
			abort();
		vmbc_rndis_init(&ch);
		vmbc_rndis_call(&ch, RNDIS_MSG_QUERY, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, NULL, 0,
				reply, sizeof(reply));
		vmbc_chan_close(&ch, &ring, &rx, &tx);
	}
	vmbc_unload(&c);
	return 0;
}
