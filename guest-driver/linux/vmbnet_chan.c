// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: channels. The steps (GPADLs, open, NVSP, close) are the
 * OS-neutral client's (guest-driver/core/vmbnet_vmbc.c); this file owns the
 * memory: DMA-coherent buffers, and what to do when the host never confirms
 * a teardown (keep the pages: the host may still write them).
 */
#include <linux/dma-mapping.h>

#include "vmbnet.h"

static int shbuf_alloc(struct vmbnet_dev *vd, struct vmbnet_shbuf *b, u32 pages)
{
	b->va = dma_alloc_coherent(&vd->pdev->dev, (size_t)pages * PAGE_SIZE, &b->dma, GFP_KERNEL);
	if (!b->va)
		return -ENOMEM;
	b->pages = pages;
	return 0;
}

/* Free @b unless the host may still use it. */
static void shbuf_free(struct vmbnet_dev *vd, struct vmbnet_shbuf *b)
{
	if (b->va && !b->leaked)
		dma_free_coherent(&vd->pdev->dev, (size_t)b->pages * PAGE_SIZE, b->va, b->dma);
	memset(b, 0, sizeof(*b));
}

static int gpadl_create(struct vmbnet_guest_chan *ch, struct vmbnet_shbuf *b)
{
	return vmbc_gpadl_create_contig(&ch->vd->vmbc, ch->relid, b->dma >> PAGE_SHIFT, b->pages,
					&b->gpadl);
}

static void gpadl_teardown(struct vmbnet_guest_chan *ch, struct vmbnet_shbuf *b)
{
	if (b->gpadl && vmbc_gpadl_teardown(&ch->vd->vmbc, ch->relid, b->gpadl))
		b->leaked = true;
	b->gpadl = 0;
}

void vmbnet_chan_doorbell(struct vmbnet_guest_chan *ch)
{
	ch->stats.doorbells++;
	vmbnet_wr(ch->vd, VMB_REG_DOORBELL(ch->index), 1);
}

int vmbnet_chan_open(struct vmbnet_guest_chan *ch)
{
	struct vmbnet_dev *vd = ch->vd;
	u64 len = (u64)vd->ring_pages * PAGE_SIZE;
	int err;

	spin_lock_init(&ch->tx_lock);
	ch->vc = (struct vmbc_chan){ .c = &vd->vmbc,
				     .index = ch->index,
				     .relid = ch->relid,
				     .up = &ch->up,
				     .down = &ch->down };
	err = shbuf_alloc(vd, &ch->ring, 2 * vd->ring_pages);
	if (err)
		return err;
	err = vmbc_rings_init(&ch->up, &ch->down, ch->ring.va, len, len);
	if (!err)
		err = gpadl_create(ch, &ch->ring);
	if (err)
		goto err_free_ring;
	err = vmbc_open(&vd->vmbc, ch->relid, ch->ring.gpadl, vd->ring_pages);
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
		err = vmbc_nvsp_connect(&ch->vc, ch->rx_buf.gpadl, ch->rx_buf.va,
					ch->rx_buf.pages * PAGE_SIZE, ch->tx_buf.gpadl,
					ch->tx_buf.va, ch->tx_buf.pages * PAGE_SIZE);
	if (!err) {
		ch->tx_section_size = ch->vc.tx_section_size;
		ch->tx_sections = ch->vc.tx_sections;
		ch->tx_map = bitmap_zalloc(ch->tx_sections, GFP_KERNEL);
		if (!ch->tx_map)
			err = -ENOMEM;
	}
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

	if (ch->open) {
		vmbc_close(&vd->vmbc, ch->relid);
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
