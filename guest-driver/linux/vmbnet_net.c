// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: the netdev. One TX queue and one NAPI context per channel.
 * TX copies each frame behind its RNDIS header into a send section and
 * announces it with NVSP 107; the completion (trans_id = section + 1, plus
 * a generation in bits 32..39) frees the section. RX takes RNDIS packets from the receive slots the host lends
 * with transfer-page packets, and gives each slot back with a completion.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/interrupt.h>
#include <asm/unaligned.h>

#include "vmbnet.h"
#include "vmbnet_rx.h"
#include "vmbnet_ddi_linux.h"

/* Room kept in the up ring: a data packet and the slot completions of a poll. */
#define TX_STOP_ROOM (2 * (sizeof(struct vmb_pkt_desc) + NVSP_MSG_SIZE + VMB_TRAILER_SIZE))

struct vmbnet_priv {
	struct vmbnet_dev *vd;
};

static struct vmbnet_dev *ndev_vd(struct net_device *ndev)
{
	return ((struct vmbnet_priv *)netdev_priv(ndev))->vd;
}

/* ---- receive slots ------------------------------------------------------ */

/* Where the RNDIS message of a transfer-page packet lies in the rx buffer. */
static int xfer_msg(struct vmbnet_guest_chan *ch, const struct vmb_pkt *p, u32 *off, u32 *len)
{
	struct vmb_xfer_page_hdr xh;
	struct vmb_xfer_range xr;
	int n = vmb_xfer_parse(&ch->down, p, ch->rx_buf.pages * PAGE_SIZE, &xh, &xr, 1);

	if (n != 1 || xh.xfer_pageset_id != NVSP_RECV_BUF_ID || xr.byte_count < RNDIS_BODY_OFF)
		return -EPROTO;
	*off = xr.byte_offset;
	*len = xr.byte_count;
	return 0;
}

/* RNDIS INITIALIZE, the MAC, the link state, the packet filter. */
static int vmbnet_rndis_bring_up(struct vmbnet_dev *vd, bool *link_up)
{
	struct vmbnet_guest_chan *ch = &vd->chan[0];
	u32 filter = RNDIS_FILTER_DIRECTED | RNDIS_FILTER_ALL_MULTICAST | RNDIS_FILTER_BROADCAST;
	u8 reply[64];
	u32 status;
	int err;

	err = vmbc_rndis_init(&ch->vc);
	if (err)
		return err;
	err = vmbc_rndis_call(&ch->vc, RNDIS_MSG_QUERY, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, NULL, 0,
			      reply, sizeof(reply));
	if (err)
		return err;
	status = get_unaligned_le32(reply + RNDIS_BODY_OFF + sizeof(struct rndis_query_complete));
	*link_up = status == 0;
	return vmbc_rndis_call(&ch->vc, RNDIS_MSG_SET, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter,
			       sizeof(filter), reply, sizeof(reply));
}

/* ---- TX ------------------------------------------------------------------ */

static netdev_tx_t vmbnet_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct vmbnet_dev *vd = ndev_vd(ndev);
	u16 q = skb_get_queue_mapping(skb);
	struct vmbnet_guest_chan *ch = &vd->chan[q];
	struct netdev_queue *txq = netdev_get_tx_queue(ndev, q);
	struct rndis_packet pk = { .data_offset = sizeof(pk), .data_len = skb->len };
	struct rndis_hdr rh = { RNDIS_MSG_PACKET, 0 };
	struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA, 0, 0 };
	u32 hdr = RNDIS_BODY_OFF + sizeof(pk), sec, info[2], type[2], nppi = 0, i;
	u64 tid;
	u8 *dst;
	int err;

	/* 802.1p priority and VLAN, and the checksum left to the device,
	 * travel as per-packet info.
	 */
	if (skb_vlan_tag_present(skb)) {
		type[nppi] = RNDIS_PPI_8021Q;
		info[nppi++] = RNDIS_8021Q(skb_vlan_tag_get_prio(skb), skb_vlan_tag_get_id(skb));
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb->protocol == htons(ETH_P_IP)) {
		u32 c = RNDIS_CSUM_TX_IPV4 | (u32)skb_transport_offset(skb) << 16;

		c |= ip_hdr(skb)->protocol == IPPROTO_TCP ? RNDIS_CSUM_TX_TCP : RNDIS_CSUM_TX_UDP;
		type[nppi] = RNDIS_PPI_CHECKSUM;
		info[nppi++] = c;
	}
	if (nppi) {
		pk.ppi_offset = sizeof(pk);
		pk.ppi_len = nppi * (sizeof(struct rndis_ppi) + sizeof(u32));
		pk.data_offset += pk.ppi_len;
		hdr += pk.ppi_len;
	}
	rh.msg_len = hdr + skb->len;
	if (rh.msg_len > ch->tx_section_size) {
		ch->stats.tx_failed++;
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}

	spin_lock(&ch->tx_lock);
	sec = find_first_zero_bit(ch->tx_map, ch->tx_sections);
	if (sec >= ch->tx_sections) {
		netif_tx_stop_queue(txq);
		ch->stats.tx_busy++;
		spin_unlock(&ch->tx_lock);
		return NETDEV_TX_BUSY;
	}
	dst = ch->tx_buf.va + (size_t)sec * ch->tx_section_size;
	memcpy(dst, &rh, sizeof(rh));
	for (i = 0; i < nppi; i++) {
		struct rndis_ppi ppi = { sizeof(ppi) + sizeof(u32), type[i], sizeof(ppi) };
		u8 *at = dst + RNDIS_BODY_OFF + sizeof(pk) + i * ppi.size;

		memcpy(at, &ppi, sizeof(ppi));
		memcpy(at + sizeof(ppi), &info[i], sizeof(u32));
	}
	memcpy(dst + RNDIS_BODY_OFF, &pk, sizeof(pk));
	skb_copy_bits(skb, 0, dst + hdr, skb->len);
	n.section_index = sec;
	n.section_size = rh.msg_len;
	ch->tx_gen++;
	tid = ((u64)ch->tx_gen << 32) + sec + 1; /* below the DDI core's ids */
	err = vmb_ring_write_inband(&ch->up, VMB_PKT_FLAG_COMPLETION_REQUESTED, tid, &n, sizeof(n));
	if (err) {
		/* Ring full: publish what is there, ask for room, retry later. */
		netif_tx_stop_queue(txq);
		ch->stats.tx_busy++;
		if (vmb_ring_tx_publish(&ch->up))
			vmbnet_chan_doorbell(ch);
		vmb_ring_tx_want_space(&ch->up, TX_STOP_ROOM);
		spin_unlock(&ch->tx_lock);
		return NETDEV_TX_BUSY;
	}
	set_bit(sec, ch->tx_map);
	ch->tx_tid[sec] = tid;
	ch->stats.tx_packets++;
	ch->stats.tx_bytes += skb->len;
	/* Stop before the ring or the sections run out, and say why. */
	if (bitmap_full(ch->tx_map, ch->tx_sections) || vmb_ring_tx_room(&ch->up, TX_STOP_ROOM))
		netif_tx_stop_queue(txq);
	/* One signal decision per batch: publish when the stack has no more. */
	if ((!netdev_xmit_more() || netif_xmit_stopped(txq)) && vmb_ring_tx_publish(&ch->up))
		vmbnet_chan_doorbell(ch);
	spin_unlock(&ch->tx_lock);
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
}

/* ---- RX and completions (NAPI) ------------------------------------------- */

/* One RNDIS message from a receive slot: a frame or a status indication. */
static void vmbnet_rx_msg(struct vmbnet_guest_chan *ch, const u8 *msg, u32 len)
{
	struct net_device *ndev = ch->vd->ndev;
	struct vmbnet_rx rx;
	struct sk_buff *skb;

	switch (vmbnet_rx_parse(msg, len, &rx)) {
	case VMBNET_RX_LINK:
		if (rx.link_up)
			netif_carrier_on(ndev);
		else
			netif_carrier_off(ndev);
		return;
	case VMBNET_RX_FRAME:
		break;
	case VMBNET_RX_OTHER:
		return;
	case VMBNET_RX_BAD:
		goto drop;
	}
	skb = napi_alloc_skb(&ch->napi, rx.data_len);
	if (!skb)
		goto drop;
	skb_put_data(skb, msg + rx.data_off, rx.data_len);
	skb->protocol = eth_type_trans(skb, ndev);
	skb_record_rx_queue(skb, ch->index);
	ch->stats.rx_packets++;
	ch->stats.rx_bytes += rx.data_len;
	napi_gro_receive(&ch->napi, skb);
	return;
drop:
	ch->stats.rx_dropped++;
}

/* A batch of the DDI core's completions, read on channel 0. */
static void vmbnet_poll_ddi(struct vmbnet_dev *vd, struct vmbnet_comp *comp, unsigned int n)
{
	if (vd->ddi_ready)
		vmbnet_core_complete_batch(&vd->ddi, comp, n);
}

static int vmbnet_poll(struct napi_struct *napi, int budget)
{
	struct vmbnet_guest_chan *ch = container_of(napi, struct vmbnet_guest_chan, napi);
	struct netdev_queue *txq = netdev_get_tx_queue(ch->vd->ndev, ch->index);
	int done = 0, freed = 0, ddi = 0;
	struct vmbnet_comp *comp = ch->vd->ddi_comp;
	unsigned int ncomp = 0;
	struct vmb_pkt p;
	bool signal;
	u32 off, len;

	vmb_ring_rx_mask(&ch->down);
again:
	/* The down ring is NAPI's alone; tx_lock guards only the up ring. */
	while (done < budget && vmb_ring_peek(&ch->down, &p) == 0) {
		if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id) && ch->index == 0) {
			/* the DDI core's, in batches (channel 0's NAPI owns comp[]) */
			struct vmbnet_comp *e = &comp[ncomp];

			e->trans_id = p.trans_id;
			e->len = min_t(u32, vmb_pkt_data_len(&p), sizeof(e->payload));
			e->data = NULL;
			vmb_ring_pkt_copy(&ch->down, &p, p.data_off, e->payload, e->len);
			if (++ncomp == VMBNET_COMP_BATCH) {
				vmbnet_poll_ddi(ch->vd, comp, ncomp);
				ncomp = 0;
			}
			ddi++;
		} else if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id)) {
			u8 payload[NVSP_ECHO_MAX]; /* a host's on another channel */
			u32 plen = min_t(u32, vmb_pkt_data_len(&p), sizeof(payload));

			vmb_ring_pkt_copy(&ch->down, &p, p.data_off, payload, plen);
			if (ch->vd->ddi_ready)
				vmbnet_core_complete(&ch->vd->ddi, p.trans_id, payload, plen);
			ddi++;
		} else if (p.type == VMB_PKT_COMP) {
			u64 sec = (p.trans_id & U32_MAX) - 1;
			u32 nvsp[2] = { 0, NVSP_STAT_FAIL };

			vmb_ring_pkt_copy(&ch->down, &p, p.data_off, nvsp,
					  min_t(u32, vmb_pkt_data_len(&p), sizeof(nvsp)));
			spin_lock(&ch->tx_lock);
			if (sec < ch->tx_sections && test_bit(sec, ch->tx_map) &&
			    ch->tx_tid[sec] == p.trans_id) {
				clear_bit(sec, ch->tx_map);
				if (nvsp[1] != NVSP_STAT_SUCCESS)
					ch->stats.tx_completion_errors++;
				freed++;
			} else {
				ch->stats.tx_refused++;
			}
			spin_unlock(&ch->tx_lock);
		} else if (p.type == VMB_PKT_DATA_XFER_PAGES && !xfer_msg(ch, &p, &off, &len)) {
			vmbnet_rx_msg(ch, ch->rx_buf.va + off, len);
			spin_lock(&ch->tx_lock);
			vmbc_slot_return(&ch->vc, p.trans_id);
			spin_unlock(&ch->tx_lock);
			done++;
		}
		vmb_ring_advance(&ch->down, &p);
	}
	if (ncomp) {
		vmbnet_poll_ddi(ch->vd, comp, ncomp);
		ncomp = 0;
	}
	spin_lock(&ch->tx_lock);
	signal = vmb_ring_rx_release(&ch->down);
	signal |= vmb_ring_tx_publish(&ch->up);
	if (signal)
		vmbnet_chan_doorbell(ch);
	spin_unlock(&ch->tx_lock);
	if (ddi && ch->vd->ddi_ready)
		vmbnet_core_kick(&ch->vd->ddi); /* sends that waited for room */
	if (freed && netif_tx_queue_stopped(txq))
		netif_tx_wake_queue(txq);
	if (done < budget && napi_complete_done(napi, done)) {
		/* Re-arm, then re-check: a packet published before the unmask
		 * was seen would otherwise wait for a signal never sent.
		 */
		if (vmb_ring_rx_unmask(&ch->down) && napi_schedule_prep(napi)) {
			vmb_ring_rx_mask(&ch->down);
			goto again;
		}
	}
	return done;
}

static irqreturn_t vmbnet_chan_irq(int irq, void *data)
{
	struct vmbnet_guest_chan *ch = data;

	ch->stats.interrupts++;
	napi_schedule_irqoff(&ch->napi);
	return IRQ_HANDLED;
}

/* INTx: one line for everything; IRQ_STATUS says which vectors fired. */
static irqreturn_t vmbnet_intx_irq(int irq, void *data)
{
	struct vmbnet_dev *vd = data;
	u32 st = vmbnet_rd(vd, VMB_REG_IRQ_STATUS);
	u32 i;

	if (!st)
		return IRQ_NONE;
	vmbnet_wr(vd, VMB_REG_IRQ_STATUS, st);
	for (i = 0; i < vd->nchan; i++)
		if (st & BIT(VMB_PCI_VEC_CHANNEL(i)))
			vmbnet_chan_irq(irq, &vd->chan[i]);
	return IRQ_HANDLED;
}

/* ---- netdev ---------------------------------------------------------------- */

static int vmbnet_open(struct net_device *ndev)
{
	struct vmbnet_dev *vd = ndev_vd(ndev);
	u32 i;

	for (i = 0; i < vd->nchan; i++) {
		napi_enable(&vd->chan[i].napi);
		napi_schedule(&vd->chan[i].napi); /* catch anything already queued */
	}
	netif_tx_start_all_queues(ndev);
	return 0;
}

static int vmbnet_stop(struct net_device *ndev)
{
	struct vmbnet_dev *vd = ndev_vd(ndev);
	u32 i;

	netif_tx_disable(ndev);
	for (i = 0; i < vd->nchan; i++)
		napi_disable(&vd->chan[i].napi);
	return 0;
}

static void vmbnet_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s)
{
	struct vmbnet_dev *vd = ndev_vd(ndev);
	u32 i;

	for (i = 0; i < vd->nchan; i++) {
		struct vmbnet_guest_chan_stats *cs = &vd->chan[i].stats;

		s->tx_packets += cs->tx_packets;
		s->tx_bytes += cs->tx_bytes;
		s->tx_dropped += cs->tx_failed;
		s->rx_packets += cs->rx_packets;
		s->rx_bytes += cs->rx_bytes;
		s->rx_dropped += cs->rx_dropped;
	}
}

static const struct net_device_ops vmbnet_netdev_ops = {
	.ndo_open = vmbnet_open,
	.ndo_stop = vmbnet_stop,
	.ndo_start_xmit = vmbnet_xmit,
	.ndo_get_stats64 = vmbnet_get_stats64,
	.ndo_validate_addr = eth_validate_addr,
};

static int vmbnet_irqs(struct vmbnet_dev *vd)
{
	struct pci_dev *pdev = vd->pdev;
	u32 i;
	int err;

	if (!pdev->msix_enabled)
		return request_irq(pci_irq_vector(pdev, 0), vmbnet_intx_irq, IRQF_SHARED,
				   VMBNET_DRV_NAME, vd);
	for (i = 0; i < vd->nchan; i++) {
		struct vmbnet_guest_chan *ch = &vd->chan[i];

		ch->irq = pci_irq_vector(pdev, VMB_PCI_VEC_CHANNEL(ch->index));
		err = request_irq(ch->irq, vmbnet_chan_irq, 0, VMBNET_DRV_NAME, ch);
		if (err)
			goto err_free;
	}
	return 0;
err_free:
	while (i--)
		free_irq(vd->chan[i].irq, &vd->chan[i]);
	return err;
}

static void vmbnet_free_irqs(struct vmbnet_dev *vd)
{
	u32 i;

	if (!vd->pdev->msix_enabled) {
		free_irq(pci_irq_vector(vd->pdev, 0), vd);
		return;
	}
	for (i = 0; i < vd->nchan; i++)
		free_irq(vd->chan[i].irq, &vd->chan[i]);
}

int vmbnet_net_probe(struct vmbnet_dev *vd)
{
	struct net_device *ndev;
	bool link_up = false;
	u32 i;
	int err;

	ndev = alloc_etherdev_mqs(sizeof(struct vmbnet_priv), vd->nchan, vd->nchan);
	if (!ndev)
		return -ENOMEM;
	((struct vmbnet_priv *)netdev_priv(ndev))->vd = vd;
	vd->ndev = ndev;
	SET_NETDEV_DEV(ndev, &vd->pdev->dev);
	ndev->netdev_ops = &vmbnet_netdev_ops;
	ndev->max_mtu = vd->mtu;
	ndev->mtu = vd->mtu;
	/* IPv4 TCP/UDP checksums are completed by the device. */
	ndev->features = NETIF_F_SG | NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_IP_CSUM;
	ndev->hw_features = ndev->features;
	eth_hw_addr_set(ndev, vd->mac);

	for (i = 0; i < vd->nchan; i++) {
		err = vmbnet_chan_open(&vd->chan[i]);
		if (err) {
			dev_err(&vd->pdev->dev, "channel %u: open failed: %d\n", i, err);
			goto err_close;
		}
		netif_napi_add(ndev, &vd->chan[i].napi, vmbnet_poll);
	}
	err = vmbnet_rndis_bring_up(vd, &link_up);
	if (err) {
		dev_err(&vd->pdev->dev, "RNDIS bring-up failed: %d\n", err);
		goto err_close;
	}
	err = vmbnet_irqs(vd);
	if (err)
		goto err_close;
	if (link_up)
		netif_carrier_on(ndev);
	else
		netif_carrier_off(ndev);
	err = register_netdev(ndev);
	if (err)
		goto err_irqs;
	err = vmbnet_ddi_attach(vd);
	if (err)
		netdev_warn(ndev, "DDI core unavailable: %d\n", err);
	netdev_info(ndev, "%u channel(s), link %s\n", vd->nchan, link_up ? "up" : "down");
	return 0;

err_irqs:
	vmbnet_free_irqs(vd);
err_close:
	while (i--) {
		netif_napi_del(&vd->chan[i].napi);
		vmbnet_chan_close(&vd->chan[i]);
	}
	free_netdev(ndev);
	vd->ndev = NULL;
	return err;
}

void vmbnet_net_remove(struct vmbnet_dev *vd)
{
	u32 i;

	vmbnet_ddi_quiesce(vd);
	unregister_netdev(vd->ndev); /* NAPI stops: nothing completes any more */
	vmbnet_ddi_detach(vd);
	vmbnet_free_irqs(vd);
	for (i = 0; i < vd->nchan; i++) {
		netif_napi_del(&vd->chan[i].napi);
		vmbnet_chan_close(&vd->chan[i]);
	}
	free_netdev(vd->ndev);
	vd->ndev = NULL;
}
