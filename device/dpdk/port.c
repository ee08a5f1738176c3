// SPDX-License-Identifier: MIT
/*
 * vmbnet-dpdk: the DPDK port. Guest frames become mbufs (copied when small,
 * attached as external buffers in guest memory when large and the driver
 * is done with a frame when tx_burst returns), go out in bursts, and frames
 * the port receives are written into the guest's receive slots in bursts.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vmbnet_dpdk.h"

/* Drivers that have finished with every mbuf when rte_eth_tx_burst()
 * returns (they copy or drop it there), so a frame attached from guest
 * memory may be completed to the guest right after the burst.
 */
static const char *const zc_safe_drivers[] = { "net_null", "net_pcap", "net_tap" };

#define RX_MAX_SEGS 4 /* a 2 KiB receive slot never needs more mbufs */

/* ---- guest -> port ---------------------------------------------------------- */

static void zc_free(void *addr, void *opaque)
{
	struct vmbnet_dpdk *d = opaque;

	d->zc_outstanding--;
}

/* An mbuf whose data is @len bytes of guest memory at @va. */
static struct rte_mbuf *zc_mbuf(struct vmbnet_dpdk *d, void *va, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);
	struct rte_mbuf_ext_shared_info *sh;
	rte_iova_t iova;

	if (!m)
		return NULL;
	sh = rte_mbuf_to_priv(m);
	sh->free_cb = zc_free;
	sh->fcb_opaque = d;
	rte_mbuf_ext_refcnt_set(sh, 1);
	iova = rte_eal_iova_mode() == RTE_IOVA_VA ? (rte_iova_t)(uintptr_t)va : RTE_BAD_IOVA;
	rte_pktmbuf_attach_extbuf(m, va, iova, len, sh);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	d->zc_outstanding++;
	return m;
}

/* A chain of external-buffer segments over @iov. */
static struct rte_mbuf *tx_zero_copy(struct vmbnet_dpdk *d, const struct iovec *iov, int n)
{
	struct rte_mbuf *head = NULL, *seg;

	for (int i = 0; i < n; i++) {
		seg = zc_mbuf(d, iov[i].iov_base, (uint16_t)iov[i].iov_len);
		if (!seg || (head && rte_pktmbuf_chain(head, seg))) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (!head)
			head = seg;
	}
	d->stats.tx_zero_copy++;
	return head;
}

/* A copy of the frame in as many mbufs as it needs (jumbo frames chain). */
static struct rte_mbuf *tx_copy(struct vmbnet_dpdk *d, const struct iovec *iov, int n, uint32_t len)
{
	struct rte_mbuf *head = NULL, *m;
	int i = 0;
	size_t off = 0;

	while (len) {
		uint16_t room, k = 0;
		uint8_t *p;

		m = rte_pktmbuf_alloc(d->pool);
		if (!m || (head && rte_pktmbuf_chain(head, m))) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (!head)
			head = m;
		room = (uint16_t)RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), len);
		p = (uint8_t *)rte_pktmbuf_append(head, room); /* into m, the last segment */
		while (k < room) { /* gather the iov pieces into this segment */
			size_t take = RTE_MIN(iov[i].iov_len - off, (size_t)(room - k));

			memcpy(p + k, (const uint8_t *)iov[i].iov_base + off, take);
			k = (uint16_t)(k + take);
			off += take;
			if (off == iov[i].iov_len) {
				i++;
				off = 0;
			}
		}
		len -= room;
	}
	d->stats.tx_copied++;
	return head;
}

/* The guest left the IPv4 TCP/UDP checksum to us (RNDIS checksum info):
 * hand it to the port, or compute it here. Copied frames only.
 */
static void tx_csum(struct vmbnet_dpdk *d, struct rte_mbuf *m, uint32_t info)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t l2 = sizeof(*eth), l3, len = rte_pktmbuf_data_len(m);
	struct rte_ipv4_hdr *ip;
	void *l4;

	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		l2 += sizeof(struct rte_vlan_hdr);
	if (!(info & RNDIS_CSUM_TX_IPV4) || len < l2 + sizeof(*ip))
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	l3 = rte_ipv4_hdr_len(ip);
	/* The checksum covers total_length bytes: the guest's claim, checked. */
	if (l3 < sizeof(*ip) || len < l2 + l3 + sizeof(struct rte_udp_hdr) ||
	    rte_be_to_cpu_16(ip->total_length) < l3 + sizeof(struct rte_udp_hdr) ||
	    rte_be_to_cpu_16(ip->total_length) > len - l2 || m->nb_segs != 1)
		return;
	l4 = (uint8_t *)ip + l3;
	if (info & RNDIS_CSUM_TX_IP_HDR) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (info & RNDIS_CSUM_TX_TCP && ip->next_proto_id == IPPROTO_TCP &&
	    rte_be_to_cpu_16(ip->total_length) >= l3 + sizeof(struct rte_tcp_hdr)) {
		((struct rte_tcp_hdr *)l4)->cksum = 0;
		((struct rte_tcp_hdr *)l4)->cksum = rte_ipv4_udptcp_cksum(ip, l4);
	} else if (info & RNDIS_CSUM_TX_UDP && ip->next_proto_id == IPPROTO_UDP) {
		((struct rte_udp_hdr *)l4)->dgram_cksum = 0;
		((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv4_udptcp_cksum(ip, l4);
	} else {
		return;
	}
	d->stats.tx_csum_sw++;
}

/* An 802.1Q tag from the RNDIS info: priority (802.1p) and VLAN. */
static int tx_vlan(struct vmbnet_dpdk *d, struct rte_mbuf **m, uint32_t info)
{
	(*m)->vlan_tci = (uint16_t)(RNDIS_8021Q_PRIO(info) << 13 | RNDIS_8021Q_VLAN(info));
	if (d->hw_vlan) {
		(*m)->ol_flags |= RTE_MBUF_F_TX_VLAN;
		return 0;
	}
	d->stats.tx_vlan_sw++;
	return rte_vlan_insert(m);
}

static int nic_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		  const struct vmbnet_frame_meta *meta)
{
	struct vmbnet_dpdk *d = opaque;
	struct rte_mbuf *m;
	uint32_t len = 0;
	bool copy;

	for (int i = 0; i < n; i++)
		len += (uint32_t)iov[i].iov_len;
	/* Frames we must edit (tag, checksum) are copied too. */
	copy = !d->zero_copy || len < VMBNET_DPDK_COPY_BREAK || meta->has_vlan || meta->csum_info;
	m = copy ? tx_copy(d, iov, n, len) : tx_zero_copy(d, iov, n);
	if (!m || (meta->has_vlan && tx_vlan(d, &m, meta->vlan_info))) {
		rte_pktmbuf_free(m);
		d->stats.tx_nombuf++;
		return -ENOMEM; /* the guest's completion says it failed */
	}
	if (meta->csum_info)
		tx_csum(d, m, meta->csum_info);
	d->tx[d->ntx++] = m;
	if (d->ntx == VMBNET_DPDK_BURST)
		vmbnet_dpdk_tx_flush(d);
	return 0;
}

void vmbnet_dpdk_tx_flush(struct vmbnet_dpdk *d)
{
	unsigned int sent = 0;

	for (int tries = 0; sent < d->ntx && tries < VMBNET_DPDK_TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(d->port, 0, d->tx + sent, (uint16_t)(d->ntx - sent));
	d->stats.tx_sent += sent;
	if (sent < d->ntx) {
		d->stats.tx_dropped += d->ntx - sent;
		rte_pktmbuf_free_bulk(d->tx + sent, d->ntx - sent);
	}
	d->ntx = 0;
}

/*
 * Before the NIC publishes completions: the frames they complete must be out
 * of guest memory (tx burst done, every zero-copy mbuf released), and the
 * publish is checkpointed for a successor.
 */
static void nic_commit(void *opaque, uint32_t chan)
{
	struct vmbnet_dpdk *d = opaque;

	vmbnet_dpdk_tx_flush(d);
	if (d->zc_outstanding)
		d->stats.zc_held++;
	vmbnet_hof_back_commit(&d->back, chan);
}

/* No rx_ready: held frames are retried at the next poll anyway. */
const struct vmbnet_nic_ops vmbnet_dpdk_nic_ops = { .tx = nic_tx, .commit = nic_commit };

/* ---- port -> guest ---------------------------------------------------------- */

/* The RSS type of a hash, from what the port parsed; 0 when it did not say. */
static uint32_t rx_hash_type(uint32_t ptype)
{
	bool tcp = (ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP;

	if (RTE_ETH_IS_IPV4_HDR(ptype))
		return tcp ? RNDIS_HASH_TCP_IPV4 : RNDIS_HASH_IPV4;
	if (RTE_ETH_IS_IPV6_HDR(ptype))
		return tcp ? RNDIS_HASH_TCP_IPV6 : RNDIS_HASH_IPV6;
	return 0;
}

static void rx_meta(const struct rte_mbuf *m, struct vmbnet_frame_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		meta->has_vlan = 1;
		meta->vlan_info = RNDIS_8021Q(m->vlan_tci >> 13, m->vlan_tci & 0xfff);
	}
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) {
		meta->has_hash = 1;
		meta->hash = m->hash.rss;
		meta->hash_info = rx_hash_type(m->packet_type);
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		meta->csum_info |= RNDIS_CSUM_RX_IP_OK;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		meta->csum_info |= RNDIS_CSUM_RX_TCP_OK | RNDIS_CSUM_RX_UDP_OK;
}

/*
 * Frames in longer mbuf chains than a receive slot takes are dropped and
 * counted here, before the burst is built: passed on they became
 * zero-length frames for the guest (hostile-peers bug 8). Compacts the
 * @n fresh mbufs at the front of rx_hold; returns how many stay.
 */
static unsigned int rx_drop_long_chains(struct vmbnet_dpdk *d, unsigned int n)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = d->rx_hold[i], *seg = m;
		int segs = 0;

		while (seg && segs <= RX_MAX_SEGS) {
			seg = seg->next;
			segs++;
		}
		if (segs > RX_MAX_SEGS) {
			rte_pktmbuf_free(m);
			d->stats.rx_dropped++;
			continue;
		}
		d->rx_hold[kept++] = m;
	}
	return kept;
}

/* Say when the guest stops taking frames, and why, and when it takes them again. */
static void rx_say_blocked(struct vmbnet_dpdk *d, bool blocked)
{
	const struct vmbnet_nic_chan *nc = &d->back.nic.chan[0];

	if (blocked == d->rx_blocked)
		return;
	d->rx_blocked = blocked;
	if (!blocked) {
		printf("vmbnet-dpdk: the guest takes frames again\n");
		return;
	}
	printf("vmbnet-dpdk: the guest takes no frames: channel 0 %s, rndis %s, link %s\n",
	       !nc->ch				 ? "absent" :
	       nc->ch->state == VMBNET_CHAN_OPEN ? "open" :
						   "not open",
	       nc->rndis_ready ? "ready" : "not ready", d->back.nic.link_up ? "up" : "down");
}

bool vmbnet_dpdk_rx(struct vmbnet_dpdk *d)
{
	struct iovec iov[VMBNET_DPDK_BURST][RX_MAX_SEGS];
	struct vmbnet_rx_frame f[VMBNET_DPDK_BURST];
	unsigned int n = d->nrx_hold, first = d->rx_hold_first, k = 0;
	int taken;

	if (!d->rx_enabled || !d->back.started)
		return false;
	if (!n && !vmbnet_nic_can_receive(&d->back.nic, 0)) {
		rx_say_blocked(d, true);
		return false; /* frames wait in the port (its own drop counters) */
	}
	rx_say_blocked(d, false);
	if (!n) {
		n = rte_eth_rx_burst(d->port, 0, d->rx_hold, VMBNET_DPDK_BURST);
		first = 0;
		if (!n)
			return false;
		d->stats.rx_frames += n;
		n = rx_drop_long_chains(d, n);
		if (!n)
			return true; /* all dropped: progress all the same */
	}
	for (unsigned int i = first; i < first + n; i++) {
		struct rte_mbuf *seg = d->rx_hold[i];
		int segs = 0;

		for (; seg && segs < RX_MAX_SEGS; seg = seg->next, segs++) {
			iov[k][segs].iov_base = rte_pktmbuf_mtod(seg, void *);
			iov[k][segs].iov_len = seg->data_len;
		}
		f[k].iov = iov[k];
		f[k].iovcnt = segs;
		rx_meta(d->rx_hold[i], &f[k].meta);
		k++;
	}
	taken = vmbnet_nic_receive_burst(&d->back.nic, 0, f, k);
	if (taken < 0) { /* the guest cannot receive: drop, as a NIC would */
		d->stats.rx_dropped += k;
		taken = (int)k;
	}
	rte_pktmbuf_free_bulk(d->rx_hold + first, (unsigned int)taken);
	d->nrx_hold = k - (unsigned int)taken;
	d->rx_hold_first = first + (unsigned int)taken;
	if (d->nrx_hold)
		d->stats.rx_held++;
	return taken > 0;
}

/* ---- set-up ------------------------------------------------------------------ */

static bool driver_zc_safe(const char *name)
{
	for (unsigned int i = 0; i < RTE_DIM(zc_safe_drivers); i++)
		if (!strcmp(name, zc_safe_drivers[i]))
			return true;
	return false;
}

int vmbnet_dpdk_port_init(struct vmbnet_dpdk *d)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrxq;
	int err;

	if (!rte_eth_dev_is_valid_port(d->port))
		return -ENODEV;
	d->pool =
		rte_pktmbuf_pool_create("vmbnet_pool", VMBNET_DPDK_NB_MBUF, VMBNET_DPDK_MBUF_CACHE,
					sizeof(struct rte_mbuf_ext_shared_info),
					RTE_PKTMBUF_HEADROOM + d->mbuf_room, (int)rte_socket_id());
	if (!d->pool)
		return -rte_errno;
	err = rte_eth_dev_info_get(d->port, &info);
	if (err)
		return err;
	snprintf(d->driver, sizeof(d->driver), "%s", info.driver_name);
	memset(&conf, 0, sizeof(conf));
	d->hw_vlan = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	if (d->hw_vlan)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* Completions are published right after the burst: the driver must
	 * be done with guest memory by then.
	 */
	if (d->zc_mode == VMBNET_ZC_ON && !driver_zc_safe(info.driver_name)) {
		fprintf(stderr,
			"vmbnet-dpdk: --zero-copy on: %s may hold frames after tx_burst "
			"returns (zero-copy needs net_null, net_pcap or net_tap)\n",
			info.driver_name);
		return -EINVAL;
	}
	d->zero_copy = d->zc_mode != VMBNET_ZC_OFF && driver_zc_safe(info.driver_name);
	nrxq = info.max_rx_queues ? 1 : 0;
	err = rte_eth_dev_configure(d->port, nrxq, 1, &conf);
	if (!err && nrxq)
		err = rte_eth_rx_queue_setup(d->port, 0, VMBNET_DPDK_RING_DESC,
					     (unsigned int)rte_eth_dev_socket_id(d->port), NULL,
					     d->pool);
	if (!err)
		err = rte_eth_tx_queue_setup(d->port, 0, VMBNET_DPDK_RING_DESC,
					     (unsigned int)rte_eth_dev_socket_id(d->port), NULL);
	if (!err)
		err = rte_eth_dev_start(d->port);
	if (err)
		return err;
	rte_eth_promiscuous_enable(d->port); /* not every driver can; fine */
	d->rx_enabled = nrxq > 0;
	return 0;
}

void vmbnet_dpdk_port_fini(struct vmbnet_dpdk *d)
{
	vmbnet_dpdk_tx_flush(d);
	if (d->nrx_hold)
		rte_pktmbuf_free_bulk(d->rx_hold + d->rx_hold_first, d->nrx_hold);
	d->nrx_hold = 0;
	rte_eth_dev_stop(d->port);
	rte_eth_dev_close(d->port);
}
