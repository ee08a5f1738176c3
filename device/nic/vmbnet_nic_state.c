// SPDX-License-Identifier: MIT
/*
 * vmbnet NIC state across backends: the checkpoints a backend writes into
 * the hand-off state area before each publish, and how a successor (or the
 * front end, when none comes) resumes from them. The protocol is in
 * vmb_handoff.h and transport/SPEC.md section 6.
 */
#include <errno.h>
#include <string.h>

#include "vmbnet/vmb_barrier.h"
#include "vmbnet_nic.h"
#include "vmbnet_nic_priv.h"

/* Both slots marked torn: a successor refuses to resume instead of taking
 * a checkpoint that no longer describes the channel.
 */
static void ckpt_invalidate(struct vmb_hof_chan_state *st, uint64_t gen)
{
	vmb_write_once(st->slot[0].seq, 2 * gen - 1);
	vmb_write_once(st->slot[1].seq, 2 * gen - 1);
}

int vmbnet_nic_checkpoint(struct vmbnet_nic *nic, uint32_t chan, struct vmb_hof_chan_state *st)
{
	struct vmbnet_nic_chan *nc = &nic->chan[chan];
	uint64_t s0 = vmb_read_once(st->slot[0].seq), s1 = vmb_read_once(st->slot[1].seq);
	uint64_t gen = (s0 > s1 ? s0 : s1) / 2 + 1; /* 64 bits: never wraps */
	struct vmb_hof_ckpt *ck = &st->slot[gen % 2];

	if (nc->rx_slots > VMB_HOF_RX_SLOTS_MAX) {
		ckpt_invalidate(st, gen);
		return -E2BIG;
	}
	vmb_write_once(ck->seq, 2 * gen - 1);
	/* Pairs with the read barrier in ckpt_copy(): the odd seq is visible
	 * before any field changes.
	 */
	vmb_wmb();
	ck->in_read = vmb_ring_position(&nc->ch->in);
	ck->out_write = vmb_ring_position(&nc->ch->out);
	ck->nvsp_version = nc->nvsp_version;
	ck->rndis_ready = nc->rndis_ready ? 1 : nc->rndis_halted ? 2 : 0;
	ck->packet_filter = nc->packet_filter;
	ck->rx_gpadl = nc->rx_buf.pages ? nc->rx_buf.gpadl : 0;
	ck->tx_gpadl = nc->tx_buf.pages ? nc->tx_buf.gpadl : 0;
	ck->rx_slots = nc->rx_slots;
	ck->link_pending = nc->link_indication_pending;
	ck->link_up = nic->link_up;
	if (nc->rx_slots)
		memcpy(ck->rx_busy, nc->rx_busy, nc->rx_slots);
	/* Pairs with the read barrier in ckpt_copy(): the fields are complete
	 * before the even seq says so.
	 */
	vmb_store_release(&ck->seq, 2 * gen);
	return 0;
}

/* Copy slot @i out; true when it was complete and stable while copied. */
static bool ckpt_copy(const struct vmb_hof_chan_state *st, int i, struct vmb_hof_ckpt *out)
{
	uint64_t before = vmb_load_acquire(&st->slot[i].seq);

	memcpy(out, &st->slot[i], sizeof(*out));
	vmb_rmb(); /* pairs with the barriers in vmbnet_nic_checkpoint() */
	return before && !(before & 1) && vmb_read_once(st->slot[i].seq) == before;
}

/*
 * The checkpoint that matches the guest's view: the newest complete one
 * whose out_write the guest has seen published, else the one before it.
 * When the newest does not match and there is none before it, its publish
 * never happened and nothing ever was published: start fresh.
 * 1 = found (in *out), 0 = start fresh, -EIO = none matches.
 */
static int ckpt_pick(const struct vmb_hof_chan_state *st, uint32_t write_index,
		     struct vmb_hof_ckpt *out)
{
	struct vmb_hof_ckpt c[2];
	uint64_t seq[2] = { vmb_read_once(st->slot[0].seq), vmb_read_once(st->slot[1].seq) };
	bool ok[2];
	int newest = seq[1] > seq[0], older = !newest;

	ok[0] = ckpt_copy(st, 0, &c[0]);
	ok[1] = ckpt_copy(st, 1, &c[1]);
	if (!seq[newest])
		return 0; /* never written */
	if (ok[newest] && c[newest].out_write == write_index) {
		memcpy(out, &c[newest], sizeof(*out));
		return 1;
	}
	if (!seq[older])
		return 0;
	if (ok[older] && c[older].out_write == write_index) {
		memcpy(out, &c[older], sizeof(*out));
		return 1;
	}
	return -EIO;
}

static int nic_state_apply(struct vmbnet_nic_chan *nc, const struct vmb_hof_ckpt *ck)
{
	struct vmbnet_host *h = nc->ch->host;

	nc->nvsp_version = ck->nvsp_version;
	nc->rndis_ready = ck->rndis_ready == 1;
	nc->rndis_halted = ck->rndis_ready == 2;
	nc->packet_filter = ck->packet_filter;
	/* Owed an indication, or the link changed since the guest was told. */
	nc->link_indication_pending = ck->link_pending || !ck->link_up != !nc->nic->link_up;
	if (ck->tx_gpadl &&
	    vmbnet_gbuf_map(h, &nc->tx_buf, vmbnet_nic_buf_relid(nc), ck->tx_gpadl, true))
		return -EIO;
	nc->tx_sections =
		(uint32_t)((uint64_t)nc->tx_buf.npages * VMB_PAGE_SIZE / VMBNET_TX_SECTION_BYTES);
	if (!ck->rx_gpadl)
		return ck->rx_slots ? -EIO : 0;
	if (vmbnet_gbuf_map(h, &nc->rx_buf, vmbnet_nic_buf_relid(nc), ck->rx_gpadl, true) ||
	    ck->rx_slots > VMB_HOF_RX_SLOTS_MAX ||
	    ck->rx_slots != (uint64_t)nc->rx_buf.npages * VMB_PAGE_SIZE / VMBNET_RX_SECTION_BYTES)
		return -EIO;
	return vmbnet_nic_rx_slots_init(nc, ck->rx_busy) ? -EIO : 0;
}

int vmbnet_nic_resume(struct vmbnet_nic *nic, uint32_t chan, struct vmb_hof_chan_state *st)
{
	struct vmb_hof_ckpt ck;
	struct vmbnet_nic_chan *nc = &nic->chan[chan];
	struct vmbnet_channel *ch = nc->ch;
	int ret;

	if (!ch || ch->state != VMBNET_CHAN_OPEN)
		return -EINVAL;
	ret = ckpt_pick(st, vmb_load_acquire(&ch->out.hdr->write_index), &ck);
	if (ret < 0 || (ret > 0 && (vmb_ring_seek(&ch->in, ck.in_read, true) ||
				    vmb_ring_seek(&ch->out, ck.out_write, false) ||
				    nic_state_apply(nc, &ck)))) {
		vmbnet_nic_release_bufs(nc);
		vmbnet_chan_guest_error(ch, "resume: no checkpoint matches the rings", true);
		return -EIO;
	}
	/*
	 * The state taken over becomes the newest checkpoint, so that our
	 * next one goes to the other slot: if we die before publishing it,
	 * our successor still finds this one.
	 */
	if (ret > 0)
		vmbnet_nic_checkpoint(nic, chan, st);
	/*
	 * The predecessor may have died between a publish and its signal, or
	 * after a release the guest waits for: one interrupt covers both (a
	 * spurious one is harmless). Whatever the guest queued meanwhile is
	 * served at the first poll.
	 */
	vmbnet_chan_notify(ch);
	return 0;
}

int vmbnet_nic_fail_in_flight(struct vmbnet_channel *ch, const struct vmb_hof_chan_state *st)
{
	static const struct vmbnet_nic_ops no_ops;
	struct vmbnet_nic nic = { .ops = &no_ops }; /* only its counters are used */
	struct vmbnet_nic_chan nc = { .nic = &nic, .ch = ch };
	struct vmb_hof_ckpt ck;
	struct vmb_pkt p;
	int ret;

	/* The backend moved the rings since the front end attached them. */
	if (vmb_ring_resync(&ch->in, true) || vmb_ring_resync(&ch->out, false))
		return -EIO;
	ret = ckpt_pick(st, vmb_load_acquire(&ch->out.hdr->write_index), &ck);
	if (ret < 0 || (ret > 0 && (vmb_ring_seek(&ch->in, ck.in_read, true) ||
				    vmb_ring_seek(&ch->out, ck.out_write, false))))
		return -EIO;
	/* bounded (hostile-peers bug 5): the guest may keep refilling */
	for (uint32_t budget = vmb_ring_max_pkts(&ch->in);
	     budget && vmb_ring_peek(&ch->in, &p) == 0; budget--) {
		if (p.type != VMB_PKT_COMP) {
			if (vmb_ring_tx_room(&ch->out, sizeof(struct vmb_pkt_desc) + NVSP_MSG_SIZE +
							       VMB_TRAILER_SIZE))
				break;
			vmbnet_nic_complete_rndis(&nc, &p, NVSP_STAT_FAIL);
		}
		vmb_ring_advance(&ch->in, &p);
	}
	vmbnet_nic_publish(&nc);
	vmb_ring_rx_release(&ch->in);
	return (int)nic.stats.completions;
}
