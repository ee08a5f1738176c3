// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet_hvbus.ko: drivers/hv/channel.c's exports: open and close a
 * channel, GPADLs, sending, and the request-id table.
 *
 * What differs from hv_vmbus and why:
 * - rings are one physically contiguous allocation, formatted by vmbnet's
 *   ring code (Linux's layout) and attached as two private views; the
 *   hv_ring_buffer_info fields the inline helpers read are filled in too;
 * - a GPADL whose teardown the host never confirmed is not freed here (the
 *   host may still write it): the ring pages are kept and the error returned;
 * - vmbus_proto_version says Windows 10 5.3, so hv_netvsc tears its buffers'
 *   GPADLs down after vmbus_close(), as on current Hyper-V.
 *
 * Headers: exactly drivers/hv/channel.c's (see hvbus.h).
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/hyperv.h>
#include <linux/uio.h>
#include <linux/interrupt.h>
#include <linux/set_memory.h>
#include <asm/page.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"
#include "hvbus.h"

/* ---- request ids: hv_vmbus's free list, same ids (slot + 1, never 0) ---- */

static int rqstor_alloc(struct vmbus_requestor *r, u32 size)
{
	u32 i;

	r->req_arr = kcalloc(size, sizeof(*r->req_arr), GFP_KERNEL);
	r->req_bitmap = bitmap_zalloc(size, GFP_KERNEL);
	if (!r->req_arr || !r->req_bitmap) {
		kfree(r->req_arr);
		bitmap_free(r->req_bitmap);
		r->req_arr = NULL;
		r->req_bitmap = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < size; i++)
		r->req_arr[i] = i + 1;
	r->size = size;
	r->next_request_id = 0;
	spin_lock_init(&r->req_lock);
	return 0;
}

static void rqstor_free(struct vmbus_requestor *r)
{
	kfree(r->req_arr);
	bitmap_free(r->req_bitmap);
	r->req_arr = NULL;
	r->req_bitmap = NULL;
	r->size = 0;
}

u64 vmbus_next_request_id(struct vmbus_channel *channel, u64 rqst_addr)
{
	struct vmbus_requestor *r = &channel->requestor;
	unsigned long flags;
	u64 id;

	if (!channel->rqstor_size || !r->req_arr)
		return VMBUS_NO_RQSTOR;
	spin_lock_irqsave(&r->req_lock, flags);
	id = r->next_request_id;
	if (id >= r->size) {
		spin_unlock_irqrestore(&r->req_lock, flags);
		return VMBUS_RQST_ERROR;
	}
	r->next_request_id = r->req_arr[id];
	r->req_arr[id] = rqst_addr;
	__set_bit(id, r->req_bitmap);
	hvb_oracle_id_given(hvb_chan(channel), id);
	spin_unlock_irqrestore(&r->req_lock, flags);
	/* 0 is the host's unsolicited id */
	return id + 1;
}
EXPORT_SYMBOL_GPL(vmbus_next_request_id);

/* The address behind @trans_id, whose slot is freed; VMBUS_RQST_ERROR for
 * an id that is not outstanding (a completion the host made up or repeats).
 */
u64 vmbus_request_addr(struct vmbus_channel *channel, u64 trans_id)
{
	struct vmbus_requestor *r = &channel->requestor;
	unsigned long flags;
	u64 addr;

	if (!channel->rqstor_size || !r->req_arr)
		return VMBUS_NO_RQSTOR;
	spin_lock_irqsave(&r->req_lock, flags);
	if (!trans_id || trans_id > r->size || !test_bit(trans_id - 1, r->req_bitmap)) {
		hvb_oracle_id_back(hvb_chan(channel), 0, false);
		spin_unlock_irqrestore(&r->req_lock, flags);
		return VMBUS_RQST_ERROR;
	}
	trans_id--;
	addr = r->req_arr[trans_id];
	r->req_arr[trans_id] = r->next_request_id;
	r->next_request_id = trans_id;
	__clear_bit(trans_id, r->req_bitmap);
	hvb_oracle_id_back(hvb_chan(channel), trans_id, true);
	spin_unlock_irqrestore(&r->req_lock, flags);
	return addr;
}
EXPORT_SYMBOL_GPL(vmbus_request_addr);

/* ---- GPADLs --------------------------------------------------------------- */

static u64 buf_pfn(void *arg, u32 i)
{
	u8 *p = (u8 *)arg + (size_t)i * PAGE_SIZE;

	return is_vmalloc_addr(p) ? vmalloc_to_pfn(p) : PHYS_PFN(virt_to_phys(p));
}

int vmbus_establish_gpadl(struct vmbus_channel *channel, void *kbuffer, u32 size,
			  struct vmbus_gpadl *gpadl)
{
	struct hvb_chan *hc = hvb_chan(channel);
	u32 id;
	int err;

	if (!size || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(kbuffer))
		return -EINVAL;
	if (channel->rescind)
		return -ENODEV;
	err = vmbc_gpadl_create(&hc->bus->vmbc, channel->offermsg.child_relid, size >> PAGE_SHIFT,
				buf_pfn, kbuffer, &id);
	if (err)
		return err;
	gpadl->gpadl_handle = id;
	gpadl->buffer = kbuffer;
	gpadl->size = size;
	gpadl->decrypted = false;
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_establish_gpadl);

int vmbus_teardown_gpadl(struct vmbus_channel *channel, struct vmbus_gpadl *gpadl)
{
	struct hvb_chan *hc = hvb_chan(channel);
	int err;

	if (!gpadl->gpadl_handle)
		return 0;
	err = vmbc_gpadl_teardown(&hc->bus->vmbc, channel->offermsg.child_relid,
				  gpadl->gpadl_handle);
	if (err)
		dev_warn(
			hc->bus->dev,
			"channel %u: GPADL %u teardown not confirmed (%d): its %u bytes stay the host's\n",
			channel->offermsg.child_relid, gpadl->gpadl_handle, err, gpadl->size);
	else
		gpadl->gpadl_handle = 0;
	return err;
}
EXPORT_SYMBOL_GPL(vmbus_teardown_gpadl);

/* ---- open and close ------------------------------------------------------- */

static void ring_info_init(struct hv_ring_buffer_info *ri, void *mem, u32 bytes)
{
	ri->ring_buffer = mem;
	ri->ring_size = bytes;
	ri->ring_datasize = bytes - PAGE_SIZE;
	ri->ring_size_div10_reciprocal = reciprocal_value(bytes / 10);
	ri->priv_read_index = 0;
	spin_lock_init(&ri->ring_lock);
	mutex_init(&ri->ring_buffer_mutex);
}

static void chan_rings_free(struct hvb_chan *hc)
{
	struct vmbus_channel *c = &hc->ch;

	kfree(c->inbound.pkt_buffer);
	c->inbound.pkt_buffer = NULL;
	c->inbound.pkt_buffer_size = 0;
	c->inbound.ring_buffer = NULL;
	c->outbound.ring_buffer = NULL;
	if (hc->ring_page)
		__free_pages(hc->ring_page, hc->ring_order);
	hc->ring_page = NULL;
	rqstor_free(&c->requestor);
	hvb_oracle_close(hc);
}

int vmbus_open(struct vmbus_channel *channel, u32 send_ringbuffersize, u32 recv_ringbuffersize,
	       void *userdata, u32 userdatalen, void (*onchannelcallback)(void *context),
	       void *context)
{
	struct hvb_chan *hc = hvb_chan(channel);
	struct vmbc *vc = &hc->bus->vmbc;
	u32 relid = channel->offermsg.child_relid;
	u32 max_pkt = channel->max_pkt_size ?: VMBUS_DEFAULT_MAX_PKT_SIZE;
	u32 send_pages = send_ringbuffersize >> PAGE_SHIFT;
	u32 recv_pages = recv_ringbuffersize >> PAGE_SHIFT;
	void *mem;
	int err;

	if (!PAGE_ALIGNED(send_ringbuffersize) || !PAGE_ALIGNED(recv_ringbuffersize) ||
	    send_pages < VMB_PCI_RING_PAGES_MIN || recv_pages < VMB_PCI_RING_PAGES_MIN ||
	    send_pages > VMB_PCI_RING_PAGES_MAX || recv_pages > VMB_PCI_RING_PAGES_MAX ||
	    userdatalen > MAX_USER_DEFINED_BYTES)
		return -EINVAL;
	if (channel->rescind)
		return -ENODEV;
	if (hc->opened || channel->state != CHANNEL_OPEN_STATE)
		return -EINVAL;

	hc->ring_order = get_order((size_t)(send_pages + recv_pages) << PAGE_SHIFT);
	hc->ring_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, hc->ring_order);
	if (!hc->ring_page)
		return -ENOMEM;
	mem = page_address(hc->ring_page);
	err = vmbc_rings_init(&hc->up, &hc->down, mem, send_ringbuffersize, recv_ringbuffersize);
	if (err)
		goto err_free;
	ring_info_init(&channel->outbound, mem, send_ringbuffersize);
	ring_info_init(&channel->inbound, (u8 *)mem + send_ringbuffersize, recv_ringbuffersize);
	err = -ENOMEM;
	channel->inbound.pkt_buffer = kzalloc(max_pkt, GFP_KERNEL);
	if (!channel->inbound.pkt_buffer)
		goto err_free;
	channel->inbound.pkt_buffer_size = max_pkt;
	if (channel->rqstor_size && (rqstor_alloc(&channel->requestor, channel->rqstor_size) ||
				     hvb_oracle_open(hc, channel->rqstor_size)))
		goto err_free;
	hc->have_cur = false;
	channel->onchannel_callback = onchannelcallback;
	channel->channel_callback_context = context;

	err = vmbc_gpadl_create_contig(vc, relid, page_to_pfn(hc->ring_page),
				       send_pages + recv_pages, &hc->ring_gpadl);
	if (err)
		goto err_free;
	channel->ringbuffer_gpadlhandle.gpadl_handle = hc->ring_gpadl;
	channel->ringbuffer_gpadlhandle.size = send_ringbuffersize + recv_ringbuffersize;
	channel->ringbuffer_gpadlhandle.buffer = mem;
	channel->ringbuffer_page = hc->ring_page;
	channel->ringbuffer_pagecount = send_pages + recv_pages;
	channel->ringbuffer_send_offset = send_pages;

	err = hvb_chan_irq_on(hc);
	if (err)
		goto err_gpadl;
	hc->opened = true; /* before the host can signal the first packet */
	err = vmbc_open(vc, relid, hc->ring_gpadl, send_pages);
	if (err) {
		unsigned long irqf;

		spin_lock_irqsave(&channel->outbound.ring_lock, irqf);
		hc->opened = false; /* the oracle's watch looks at open rings */
		spin_unlock_irqrestore(&channel->outbound.ring_lock, irqf);
		hvb_chan_irq_off(hc);
		goto err_gpadl;
	}
	channel->state = CHANNEL_OPENED_STATE;
	return 0;

err_gpadl:
	if (vmbc_gpadl_teardown(vc, relid, hc->ring_gpadl)) {
		dev_warn(hc->bus->dev, "channel %u: ring GPADL kept by the host\n", relid);
		hc->ring_page = NULL; /* never reused: the host may still write it */
	}
	channel->ringbuffer_gpadlhandle.gpadl_handle = 0;
err_free:
	channel->onchannel_callback = NULL;
	chan_rings_free(hc);
	return err;
}
EXPORT_SYMBOL_GPL(vmbus_open);

void hvb_chan_close(struct hvb_chan *hc)
{
	struct vmbus_channel *c = &hc->ch;
	struct vmbc *vc = &hc->bus->vmbc;
	u32 relid = c->offermsg.child_relid;
	unsigned long irqf;

	if (!hc->opened)
		return;
	/* no callback after this: vmbus_reset_channel_cb()'s promise */
	hvb_chan_irq_off(hc);
	tasklet_kill(&c->callback_event);
	spin_lock_irqsave(&c->outbound.ring_lock, irqf);
	hc->opened = false;
	spin_unlock_irqrestore(&c->outbound.ring_lock, irqf);
	c->onchannel_callback = NULL;

	vmbc_close(vc, relid);
	if (vmbc_gpadl_teardown(vc, relid, hc->ring_gpadl)) {
		dev_warn(hc->bus->dev, "channel %u: ring teardown not confirmed; %u pages kept\n",
			 relid, 1u << hc->ring_order);
		hc->ring_page = NULL;
	}
	c->ringbuffer_gpadlhandle.gpadl_handle = 0;
	c->ringbuffer_page = NULL;
	chan_rings_free(hc);
	c->state = CHANNEL_OPEN_STATE;
}

/*
 * hv_vmbus's vmbus_close(): a no-op on a subchannel; on a primary, its
 * subchannels first (a rescinded one leaves the bus once closed), then the
 * primary, whose close makes the host rescind the subchannels.
 */
void vmbus_close(struct vmbus_channel *channel)
{
	struct hvb_bus *b = hvb_chan(channel)->bus;
	struct vmbus_channel *sc, *tmp;

	if (channel->primary_channel)
		return;
	mutex_lock(&b->chan_mutex);
	list_for_each_entry_safe(sc, tmp, &channel->sc_list, sc_list) {
		hvb_chan_close(hvb_chan(sc));
		if (READ_ONCE(sc->rescind))
			hvb_chan_free(hvb_chan(sc));
	}
	hvb_chan_close(hvb_chan(channel));
	mutex_unlock(&b->chan_mutex);
}
EXPORT_SYMBOL_GPL(vmbus_close);

/* ---- sending -------------------------------------------------------------- */

int vmbus_sendpacket(struct vmbus_channel *channel, void *buffer, u32 bufferLen, u64 requestid,
		     enum vmbus_packet_type type, u32 flags)
{
	if (flags & ~VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED)
		return -EINVAL;
	return hvb_ring_write(channel, type, flags, NULL, 0, buffer, bufferLen, requestid);
}
EXPORT_SYMBOL(vmbus_sendpacket);

/* @desc: the VMBus descriptor, then reserved/rangecount and the ranges;
 * everything after the 16-byte descriptor travels as the extension.
 */
int vmbus_sendpacket_mpb_desc(struct vmbus_channel *channel, struct vmbus_packet_mpb_array *desc,
			      u32 desc_size, void *buffer, u32 bufferlen, u64 requestid)
{
	const u32 hdr = sizeof(struct vmpacket_descriptor);

	if (desc_size < sizeof(*desc) || desc_size % 8)
		return -EINVAL;
	desc->reserved = 0;
	return hvb_ring_write(channel, VM_PKT_DATA_USING_GPA_DIRECT,
			      VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, (u8 *)desc + hdr,
			      desc_size - hdr, buffer, bufferlen, requestid);
}
EXPORT_SYMBOL_GPL(vmbus_sendpacket_mpb_desc);
