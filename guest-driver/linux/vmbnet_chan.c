// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: channels. Ring memory and buffers as GPADLs, channel open and
 * close through the message page, and the synchronous NVSP exchanges of the
 * bring-up (before NAPI runs, so polling the ring here races with nobody).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <asm/unaligned.h>

#include "vmbnet.h"

static int shbuf_alloc(struct vmbnet_dev *vd, struct vmbnet_shbuf *b, u32 pages)
{
	b->va = dma_alloc_coherent(&vd->pdev->dev, (size_t)pages * PAGE_SIZE, &b->dma, GFP_KERNEL);
	if (!b->va)
		return -ENOMEM;
	b->pages = pages;
	return 0;
}

static void shbuf_free(struct vmbnet_dev *vd, struct vmbnet_shbuf *b)
{
	if (b->va)
		dma_free_coherent(&vd->pdev->dev, (size_t)b->pages * PAGE_SIZE, b->va, b->dma);
	memset(b, 0, sizeof(*b));
}

/* Describe @b to the host: GPADL_HEADER with the first pfns, bodies after. */
static int gpadl_create(struct vmbnet_guest_chan *ch, struct vmbnet_shbuf *b)
{
	struct vmbnet_dev *vd = ch->vd;
	u8 msg[VMB_MSG_MAX];
	struct vmb_msg_gpadl_header h = {
		.hdr.msgtype = VMB_MSG_GPADL_HEADER,
		.child_relid = ch->relid,
		.gpadl = vd->next_gpadl++,
		.range_count = 1,
		.range_buflen = sizeof(struct vmb_gpa_range) + b->pages * sizeof(u64),
	};
	struct vmb_gpa_range r = { .byte_count = b->pages * PAGE_SIZE };
	struct vmb_msg_gpadl_created c;
	u64 pfn0 = b->dma >> PAGE_SHIFT;
	u32 sent, n, body = 0, i;
	int err;

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), &r, sizeof(r));
	n = min_t(u32, b->pages, VMBNET_GPADL_HDR_PFNS);
	for (i = 0; i < n; i++)
		put_unaligned_le64(pfn0 + i, msg + sizeof(h) + sizeof(r) + 8 * i);
	mutex_lock(&vd->ctrl_lock);
	vmbnet_ctrl_send(vd, msg, sizeof(h) + sizeof(r) + 8 * n);
	for (sent = n; sent < b->pages; sent += n) {
		struct vmb_msg_gpadl_body bd = { .hdr.msgtype = VMB_MSG_GPADL_BODY,
						 .msgnumber = body++,
						 .gpadl = h.gpadl };

		n = min_t(u32, b->pages - sent, VMBNET_GPADL_BODY_PFNS);
		memcpy(msg, &bd, sizeof(bd));
		for (i = 0; i < n; i++)
			put_unaligned_le64(pfn0 + sent + i, msg + sizeof(bd) + 8 * i);
		vmbnet_ctrl_send(vd, msg, sizeof(bd) + 8 * n);
	}
	mutex_unlock(&vd->ctrl_lock);
	err = vmbnet_ctrl_call(vd, NULL, 0, VMB_MSG_GPADL_CREATED, &c, sizeof(c));
	if (err)
		return err;
	if (c.gpadl != h.gpadl || c.creation_status)
		return c.creation_status ? (int)c.creation_status : -EPROTO;
	b->gpadl = h.gpadl;
	return 0;
}

static void gpadl_teardown(struct vmbnet_guest_chan *ch, struct vmbnet_shbuf *b)
{
	struct vmb_msg_gpadl_teardown t = { .hdr.msgtype = VMB_MSG_GPADL_TEARDOWN,
					    .child_relid = ch->relid,
					    .gpadl = b->gpadl };
	struct vmb_msg_gpadl_torndown r;

	if (!b->gpadl)
		return;
	if (vmbnet_ctrl_call(ch->vd, &t, sizeof(t), VMB_MSG_GPADL_TORNDOWN, &r, sizeof(r)))
		dev_warn(&ch->vd->pdev->dev, "GPADL %u: no TORNDOWN\n", b->gpadl);
	b->gpadl = 0;
}

void vmbnet_chan_doorbell(struct vmbnet_guest_chan *ch)
{
	ch->stats.doorbells++;
	vmbnet_wr(ch->vd, VMB_REG_DOORBELL(ch->index), 1);
}

/*
 * Send one inband NVSP message asking for completion and wait for it,
 * handing back any receive slot the host lends meanwhile. Bring-up only.
 */
int vmbnet_chan_send_sync(struct vmbnet_guest_chan *ch, const void *msg, u32 len, void *reply,
			  u32 reply_len)
{
	static atomic64_t seq = ATOMIC64_INIT(0);
	u64 tid = VMBNET_TID_CONTROL + atomic64_inc_return(&seq);
	unsigned long end = jiffies + msecs_to_jiffies(VMBNET_CTRL_TIMEOUT_MS);
	struct vmb_pkt p;
	int err;

	spin_lock_bh(&ch->tx_lock);
	err = vmb_ring_write_inband(&ch->up, VMB_PKT_FLAG_COMPLETION_REQUESTED, tid, msg, len);
	if (!err && vmb_ring_tx_publish(&ch->up))
		vmbnet_chan_doorbell(ch);
	spin_unlock_bh(&ch->tx_lock);
	if (err)
		return err;
	while (time_before(jiffies, end)) {
		err = vmb_ring_peek(&ch->down, &p);
		if (err == -EAGAIN) {
			usleep_range(100, 500);
			continue;
		}
		if (err)
			return err;
		if (p.type == VMB_PKT_COMP && p.trans_id == tid) {
			vmb_ring_pkt_copy(&ch->down, &p, p.data_off, reply,
					  min(reply_len, vmb_pkt_data_len(&p)));
			vmb_ring_advance(&ch->down, &p);
			vmb_ring_rx_release(&ch->down);
			return 0;
		}
		dev_warn(&ch->vd->pdev->dev, "bring-up: unexpected packet type %u\n", p.type);
		vmb_ring_advance(&ch->down, &p);
		vmb_ring_rx_release(&ch->down);
	}
	return -ETIMEDOUT;
}

static int chan_nvsp_init(struct vmbnet_guest_chan *ch)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, ch->rx_buf.gpadl, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, ch->tx_buf.gpadl, 0 };
	struct nvsp_init_complete ic;
	struct nvsp_recv_buf_complete rc;
	struct nvsp_send_buf_complete sc;
	int err;

	err = vmbnet_chan_send_sync(ch, &init, sizeof(init), &ic, sizeof(ic));
	if (!err && ic.status != NVSP_STAT_SUCCESS)
		err = -EPROTONOSUPPORT;
	if (!err)
		err = vmbnet_chan_send_sync(ch, &rb, sizeof(rb), &rc, sizeof(rc));
	if (!err && (rc.status != NVSP_STAT_SUCCESS || !rc.sub_alloc_size ||
		     (u64)rc.sub_alloc_size * rc.num_sub_allocs > ch->rx_buf.pages * PAGE_SIZE))
		err = -EPROTO;
	if (!err)
		err = vmbnet_chan_send_sync(ch, &sb, sizeof(sb), &sc, sizeof(sc));
	if (!err && (sc.status != NVSP_STAT_SUCCESS || sc.section_size < 256 ||
		     sc.section_size > ch->tx_buf.pages * PAGE_SIZE))
		err = -EPROTO;
	if (err)
		return err;
	ch->tx_section_size = sc.section_size;
	ch->tx_sections = ch->tx_buf.pages * PAGE_SIZE / sc.section_size;
	ch->tx_map = bitmap_zalloc(ch->tx_sections, GFP_KERNEL);
	return ch->tx_map ? 0 : -ENOMEM;
}

static int chan_open_msg(struct vmbnet_guest_chan *ch)
{
	struct vmb_msg_open_channel m = {
		.hdr.msgtype = VMB_MSG_OPEN_CHANNEL,
		.child_relid = ch->relid,
		.openid = ch->relid,
		.ringbuffer_gpadl = ch->ring.gpadl,
		.downstream_ring_offset = ch->up_pages,
	};
	struct vmb_msg_open_result r;
	int err;

	err = vmbnet_ctrl_call(ch->vd, &m, sizeof(m), VMB_MSG_OPEN_RESULT, &r, sizeof(r));
	if (err)
		return err;
	return r.status ? (int)r.status : 0;
}

int vmbnet_chan_open(struct vmbnet_guest_chan *ch)
{
	struct vmbnet_dev *vd = ch->vd;
	u64 up_len, down_len;
	int err;

	spin_lock_init(&ch->tx_lock);
	ch->up_pages = vd->ring_pages;
	up_len = (u64)ch->up_pages * PAGE_SIZE;
	down_len = (u64)vd->ring_pages * PAGE_SIZE;
	err = shbuf_alloc(vd, &ch->ring, 2 * vd->ring_pages);
	if (err)
		return err;
	vmb_ring_format(ch->ring.va, up_len);
	vmb_ring_format(ch->ring.va + up_len, down_len);
	err = vmb_ring_attach_producer(&ch->up, ch->ring.va, up_len);
	if (!err)
		err = vmb_ring_attach_consumer(&ch->down, ch->ring.va + up_len, down_len);
	if (!err)
		err = gpadl_create(ch, &ch->ring);
	if (err)
		goto err_free_ring;
	err = chan_open_msg(ch);
	if (err)
		goto err_teardown_ring;
	ch->open = true;
	err = shbuf_alloc(vd, &ch->rx_buf, VMBNET_RX_BUF_PAGES);
	if (!err)
		err = shbuf_alloc(vd, &ch->tx_buf, VMBNET_TX_BUF_PAGES);
	if (!err)
		err = gpadl_create(ch, &ch->rx_buf);
	if (!err)
		err = gpadl_create(ch, &ch->tx_buf);
	if (!err)
		err = chan_nvsp_init(ch);
	if (err)
		vmbnet_chan_close(ch);
	return err;

err_teardown_ring:
	gpadl_teardown(ch, &ch->ring);
err_free_ring:
	shbuf_free(vd, &ch->ring);
	return err;
}

/* Close first (the host completes what is in flight), then the GPADLs. */
void vmbnet_chan_close(struct vmbnet_guest_chan *ch)
{
	struct vmbnet_dev *vd = ch->vd;
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
					   .child_relid = ch->relid };

	if (ch->open) {
		mutex_lock(&vd->ctrl_lock);
		vmbnet_ctrl_send(vd, &c, sizeof(c));
		mutex_unlock(&vd->ctrl_lock);
		ch->open = false;
	}
	gpadl_teardown(ch, &ch->tx_buf);
	gpadl_teardown(ch, &ch->rx_buf);
	gpadl_teardown(ch, &ch->ring);
	shbuf_free(vd, &ch->tx_buf);
	shbuf_free(vd, &ch->rx_buf);
	shbuf_free(vd, &ch->ring);
	bitmap_free(ch->tx_map);
	ch->tx_map = NULL;
}
