// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: channels. The steps (GPADLs, open, NVSP, close) are the
 * OS-neutral client's (guest-driver/core/vmbnet_vmbc.c); this file owns the
 * memory: DMA-coherent buffers, kept rather than freed when the host never
 * confirmed a teardown (it may still write them).
 */
#include <linux/dma-mapping.h>

#include "vmbnet.h"

static int buf_alloc(struct vmbnet_dev *vd, struct vmbc_buf *b, u32 pages)
{
	dma_addr_t dma;

	b->va = dma_alloc_coherent(&vd->pdev->dev, (size_t)pages * PAGE_SIZE, &dma, GFP_KERNEL);
	if (!b->va)
		return -ENOMEM;
	b->pfn = dma >> PAGE_SHIFT; /* page-aligned: at least one page */
	b->pages = pages;
	return 0;
}

static void buf_free(struct vmbnet_dev *vd, struct vmbc_buf *b)
{
	if (b->va && b->kept)
		dev_warn(&vd->pdev->dev, "%u pages kept: the host never released them\n", b->pages);
	else if (b->va)
		dma_free_coherent(&vd->pdev->dev, (size_t)b->pages * PAGE_SIZE, b->va,
				  (dma_addr_t)b->pfn << PAGE_SHIFT);
	memset(b, 0, sizeof(*b));
}

static void chan_free(struct vmbnet_guest_chan *ch)
{
	buf_free(ch->vd, &ch->tx_buf);
	buf_free(ch->vd, &ch->rx_buf);
	buf_free(ch->vd, &ch->ring);
	bitmap_free(ch->tx_map);
	ch->tx_map = NULL;
	kfree(ch->tx_tid);
	ch->tx_tid = NULL;
}

void vmbnet_chan_doorbell(struct vmbnet_guest_chan *ch)
{
	ch->stats.doorbells++;
	vmbnet_wr(ch->vd, VMB_REG_DOORBELL(ch->index), 1);
}

int vmbnet_chan_open(struct vmbnet_guest_chan *ch)
{
	struct vmbnet_dev *vd = ch->vd;
	int err;

	spin_lock_init(&ch->tx_lock);
	ch->vc = (struct vmbc_chan){ .c = &vd->vmbc,
				     .index = ch->index,
				     .relid = ch->relid,
				     .up = &ch->up,
				     .down = &ch->down };
	err = buf_alloc(vd, &ch->ring, 2 * vd->ring_pages);
	if (!err)
		err = buf_alloc(vd, &ch->rx_buf, VMBNET_RX_BUF_PAGES);
	if (!err)
		err = buf_alloc(vd, &ch->tx_buf, VMBNET_TX_BUF_PAGES);
	if (!err)
		err = vmbc_chan_open(&ch->vc, &ch->ring, vd->ring_pages, &ch->rx_buf, &ch->tx_buf);
	if (!err) {
		ch->tx_section_size = ch->vc.tx_section_size;
		ch->tx_sections = ch->vc.tx_sections;
		ch->tx_map = bitmap_zalloc(ch->tx_sections, GFP_KERNEL);
		ch->tx_tid = kcalloc(ch->tx_sections, sizeof(*ch->tx_tid), GFP_KERNEL);
		if (!ch->tx_map || !ch->tx_tid) {
			vmbc_chan_close(&ch->vc, &ch->ring, &ch->rx_buf, &ch->tx_buf);
			err = -ENOMEM;
		}
	}
	if (err)
		chan_free(ch);
	return err;
}

/* Close first (the host completes what is in flight), then the GPADLs. */
void vmbnet_chan_close(struct vmbnet_guest_chan *ch)
{
	vmbc_chan_close(&ch->vc, &ch->ring, &ch->rx_buf, &ch->tx_buf);
	chan_free(ch);
}
