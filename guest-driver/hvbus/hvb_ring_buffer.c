// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet_hvbus.ko: drivers/hv/ring_buffer.c's exports, on vmbnet's ring.
 *
 * The inbound iterator copies each packet out of the ring before the driver
 * sees it (as Linux 6.1 does, into inbound.pkt_buffer), but checks it first
 * with vmb_ring_peek(): a host that publishes a malformed packet breaks the
 * ring (counted in its stats) and the iterator reports it empty from then
 * on, where hv_vmbus would clamp lengths and go on reading.
 *
 * Headers: exactly drivers/hv/ring_buffer.c's (see hvbus.h).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/hyperv.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/prefetch.h>
#include <linux/io.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"
#include "hvbus.h"

/* The iterator's view back into the hv_ring_buffer_info the inline helpers read. */
static void sync_priv_read_index(struct hvb_chan *hc)
{
	hc->ch.inbound.priv_read_index = hc->down.priv_index;
}

struct vmpacket_descriptor *hv_pkt_iter_first(struct vmbus_channel *channel)
{
	struct hvb_chan *hc = hvb_chan(channel);
	struct hv_ring_buffer_info *rbi = &channel->inbound;
	struct vmpacket_descriptor *copy = rbi->pkt_buffer;
	u32 len, off;

	if (!hc->opened || !copy || vmb_ring_peek(&hc->down, &hc->cur)) {
		hc->have_cur = false;
		return NULL;
	}
	hc->have_cur = true;
	/* A packet longer than the driver said it takes is cut to that size;
	 * the iterator still steps over all of it.
	 */
	len = min_t(u32, hc->cur.len, rbi->pkt_buffer_size & ~7u);
	off = min_t(u32, hc->cur.data_off, len);
	vmb_ring_pkt_copy(&hc->down, &hc->cur, 0, copy, len);
	/* the copy describes itself, never what the host may rewrite */
	copy->type = hc->cur.type;
	copy->flags = hc->cur.flags;
	copy->trans_id = hc->cur.trans_id;
	copy->len8 = len >> 3;
	copy->offset8 = off >> 3;
	if (copy->type == VM_PKT_COMP)
		hvb_oracle_answered(hc, copy->trans_id);
	return copy;
}
EXPORT_SYMBOL_GPL(hv_pkt_iter_first);

struct vmpacket_descriptor *__hv_pkt_iter_next(struct vmbus_channel *channel,
					       const struct vmpacket_descriptor *desc)
{
	struct hvb_chan *hc = hvb_chan(channel);

	if (hc->have_cur) {
		vmb_ring_advance(&hc->down, &hc->cur);
		hc->have_cur = false;
		sync_priv_read_index(hc);
	}
	return hv_pkt_iter_first(channel);
}
EXPORT_SYMBOL_GPL(__hv_pkt_iter_next);

/* Publish what was read; signal the host if that freed the space it waits for. */
void hv_pkt_iter_close(struct vmbus_channel *channel)
{
	struct hvb_chan *hc = hvb_chan(channel);

	if (!hc->opened)
		return;
	if (vmb_ring_rx_release(&hc->down)) {
		channel->intr_in_full++;
		hvb_chan_doorbell(hc);
	}
}
EXPORT_SYMBOL_GPL(hv_pkt_iter_close);

/*
 * hv_ringbuffer_write()'s contract: -ENODEV once the channel is rescinded,
 * -EAGAIN when the ring (or the driver's request-id table) is full. The
 * request id is taken under the ring lock and given back if the packet does
 * not go out, so a completion can never find an id whose packet was lost.
 */
int hvb_ring_write(struct vmbus_channel *c, u16 type, u16 flags, const void *ext, u32 ext_len,
		   const void *buf, u32 len, u64 requestid)
{
	struct hvb_chan *hc = hvb_chan(c);
	struct vmb_sg sg = { buf, len };
	u64 tid = requestid, rqst_id = VMBUS_NO_RQSTOR;
	unsigned long irqf;
	bool signal;
	int err;

	if (c->rescind)
		return -ENODEV;
	spin_lock_irqsave(&c->outbound.ring_lock, irqf);
	if (!hc->opened) {
		spin_unlock_irqrestore(&c->outbound.ring_lock, irqf);
		return -ENODEV;
	}
	if (flags == VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED && c->next_request_id_callback) {
		rqst_id = c->next_request_id_callback(c, requestid);
		if (rqst_id == VMBUS_RQST_ERROR) {
			spin_unlock_irqrestore(&c->outbound.ring_lock, irqf);
			return -EAGAIN;
		}
		if (rqst_id != VMBUS_NO_RQSTOR)
			tid = rqst_id;
	}
	err = vmb_ring_write(&hc->up, type, flags, tid, ext, ext_len, &sg, len ? 1 : 0);
	if (err) {
		if (err == -EAGAIN) {
			c->out_full_total++;
			if (!c->out_full_flag)
				c->out_full_first++;
			c->out_full_flag = true;
		}
		if (rqst_id != VMBUS_NO_RQSTOR && c->request_addr_callback) {
			c->request_addr_callback(c, rqst_id);
			hc->orc.unsent++; /* not a completion */
		}
		spin_unlock_irqrestore(&c->outbound.ring_lock, irqf);
		return err == -EAGAIN ? -EAGAIN : -EIO;
	}
	c->out_full_flag = false;
	signal = vmb_ring_tx_publish(&hc->up);
	spin_unlock_irqrestore(&c->outbound.ring_lock, irqf);
	if (signal) {
		c->sig_events++;
		hvb_chan_doorbell(hc);
	}
	return 0;
}
