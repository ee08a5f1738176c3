// SPDX-License-Identifier: MIT
/*
 * vmbnet NIC: NVSP on the channel rings, guest buffers, the receive path.
 * RNDIS message handling is in vmbnet_rndis.c. See vmbnet_nic.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet_fault.h"
#include "vmbnet_nic.h"
#include "vmbnet_nic_priv.h"

/* Worst case one guest packet makes us write: its completion (NVSP message
 * padded to 40) and a control reply through a transfer-page packet.
 */
#define COMP_BYTES \
	(sizeof(struct vmb_pkt_desc) + NVSP_ECHO_PPI_OFF + RNDIS_PPI_MAX + VMB_TRAILER_SIZE)
#define XFER_BYTES                                                        \
	(sizeof(struct vmb_pkt_desc) + sizeof(struct vmb_xfer_page_hdr) + \
	 sizeof(struct vmb_xfer_range) + NVSP_MSG_SIZE + VMB_TRAILER_SIZE)
#define REPLY_ROOM (COMP_BYTES + XFER_BYTES)

static bool nic_wait_room(struct vmbnet_nic_chan *nc, uint32_t need);

/*
 * Publish what was written to the host -> guest ring and signal the guest if
 * the ring rules say so. An external backend checkpoints first (ops->commit)
 * so that a successor knows exactly what this publish made visible.
 */
void vmbnet_nic_publish(struct vmbnet_nic_chan *nc)
{
	if (nc->nic->ops->commit)
		nc->nic->ops->commit(nc->nic->opaque, nc->ch->index);
	if (vmb_ring_tx_publish(&nc->ch->out))
		vmbnet_chan_notify(nc->ch);
}

/* ---- guest buffers ------------------------------------------------------ */

static int gbuf_map_pages(struct vmbnet_host *h, struct vmbnet_gbuf *b,
			  const struct vmbnet_gpadl *g, uint32_t id, bool held)
{
	if (!g || b->pages) {
		if (g && held)
			vmbnet_host_gpadl_release(h, id);
		return -EINVAL;
	}
	b->pages = calloc(g->npages, sizeof(*b->pages));
	b->gpadl = id; /* held from here: vmbnet_gbuf_unmap() releases */
	if (!b->pages)
		return -ENOMEM;
	for (b->npages = 0; b->npages < g->npages; b->npages++) {
		b->pages[b->npages] =
			h->ops->map(h->opaque, g->pfns[b->npages] << VMB_PAGE_SHIFT, VMB_PAGE_SIZE);
		if (!b->pages[b->npages])
			return -EFAULT; /* caller unmaps what was mapped */
	}
	return 0;
}

int vmbnet_gbuf_map(struct vmbnet_host *h, struct vmbnet_gbuf *b, uint32_t relid, uint32_t id,
		    bool hold)
{
	const struct vmbnet_gpadl *g = hold ? vmbnet_host_gpadl_hold(h, relid, id) :
					      vmbnet_host_gpadl(h, relid, id);

	return gbuf_map_pages(h, b, g, id, hold);
}

int vmbnet_gbuf_share(struct vmbnet_host *h, struct vmbnet_gbuf *b, uint32_t relid, uint32_t id)
{
	return gbuf_map_pages(h, b, vmbnet_host_gpadl_share(h, relid, id), id, true);
}

void vmbnet_gbuf_unmap(struct vmbnet_host *h, struct vmbnet_gbuf *b)
{
	for (uint32_t i = 0; i < b->npages; i++)
		h->ops->unmap(h->opaque, b->pages[i], VMB_PAGE_SIZE);
	if (b->gpadl)
		vmbnet_host_gpadl_release(h, b->gpadl);
	free(b->pages);
	memset(b, 0, sizeof(*b));
}

static uint64_t gbuf_len(const struct vmbnet_gbuf *b)
{
	return (uint64_t)b->npages * VMB_PAGE_SIZE;
}

/* Describe @len bytes at @off as page pieces. Caller checked the bounds. */
int vmbnet_gbuf_iov(const struct vmbnet_gbuf *b, uint64_t off, uint64_t len, struct iovec *iov,
		    int max)
{
	int n = 0;

	while (len && n < max) {
		uint64_t in_page = VMB_PAGE_SIZE - (off & (VMB_PAGE_SIZE - 1));
		uint64_t chunk = len < in_page ? len : in_page;

		iov[n].iov_base = b->pages[off >> VMB_PAGE_SHIFT] + (off & (VMB_PAGE_SIZE - 1));
		iov[n].iov_len = chunk;
		n++;
		off += chunk;
		len -= chunk;
	}
	return len ? -ENOSPC : n;
}

static void gbuf_write(const struct vmbnet_gbuf *b, uint64_t off, const void *src, uint64_t len)
{
	struct iovec iov[VMBNET_RX_SECTION_BYTES / VMB_PAGE_SIZE + 2];
	int n = vmbnet_gbuf_iov(b, off, len, iov, (int)(sizeof(iov) / sizeof(iov[0])));

	for (int i = 0; i < n; i++) {
		memcpy(iov[i].iov_base, src, iov[i].iov_len);
		src = (const uint8_t *)src + iov[i].iov_len;
	}
}

/* ---- writing to the guest ----------------------------------------------- */

/* Write a send completion for @tid with @status and the per-packet info
 * echoed, @copies times (a copy only if the ring has room for it).
 */
static void echo_write(struct vmbnet_nic_chan *nc, uint64_t tid, uint32_t status, const void *ppi,
		       uint32_t ppi_len, int copies)
{
	uint8_t buf[NVSP_ECHO_PPI_OFF + RNDIS_PPI_MAX] = { 0 };
	struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, status };
	uint32_t len = NVSP_ECHO_PPI_OFF + ppi_len;
	struct vmb_sg sg = { buf, len < NVSP_MSG_SIZE ? NVSP_MSG_SIZE : len };

	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), &ppi_len, sizeof(ppi_len));
	if (ppi_len)
		memcpy(buf + NVSP_ECHO_PPI_OFF, ppi, ppi_len);
	while (copies--)
		if (vmb_ring_write(&nc->ch->out, VMB_PKT_COMP, 0, tid, NULL, 0, &sg, 1) == 0)
			nc->nic->stats.completions++;
}

/* ---- what the fault engine holds back ------------------------------------ */

static uint64_t nic_now(const struct vmbnet_nic *nic)
{
	return nic->faults ? vmbnet_fault_now(nic->faults) : 0;
}

/* Something waits until @when: make sure vmbnet_nic_tick() runs by then. */
static void nic_want_tick(struct vmbnet_nic *nic, uint64_t when)
{
	if (when == UINT64_MAX || nic->tick_ns <= when)
		return;
	nic->tick_ns = when;
	if (nic->ops->timer)
		nic->ops->timer(nic->opaque, when);
}

/* Hold @tid's completion back as rule @r says; false when the NIC holds
 * as many as it can already (the completion then goes at once).
 */
static bool nic_hold(struct vmbnet_nic_chan *nc, const struct vmbnet_fault_rule *r, uint64_t tid,
		     uint32_t status, const void *ppi, uint32_t ppi_len)
{
	struct vmbnet_nic *nic = nc->nic;
	uint64_t now = nic_now(nic);
	struct vmbnet_nic_held *h;

	if (nic->nheld == VMBNET_NIC_HELD_MAX)
		return false;
	h = &nic->held[nic->nheld++];
	h->tid = tid;
	h->status = status;
	h->chan = (uint8_t)nc->ch->index;
	h->ppi_len = (uint16_t)ppi_len;
	memcpy(h->ppi, ppi, ppi_len);
	h->reorder = r->action == VMBNET_FA_REORDER;
	if (r->action == VMBNET_FA_DELAY)
		h->due_ns = now + vmbnet_fault_duration(nic->faults, r);
	else if (h->reorder)
		h->due_ns = now + VMBNET_NIC_REORDER_MAX_NS;
	else
		h->due_ns = vmbnet_fault_window_end(nic->faults, r); /* withhold */
	nic->stats.held++;
	nic_want_tick(nic, h->due_ns);
	return true;
}

/*
 * Write @nc's held completions that are due at @now, oldest first, and
 * with @overtaken the reordered ones too (the channel's next completion has
 * just gone). Stops where the ring is full: the guest's doorbell resumes.
 */
static void nic_release_held(struct vmbnet_nic_chan *nc, uint64_t now, bool overtaken)
{
	struct vmbnet_nic *nic = nc->nic;
	uint32_t i = 0;

	while (i < nic->nheld) {
		struct vmbnet_nic_held *h = &nic->held[i];

		if (h->chan != nc->ch->index || (h->due_ns > now && !(overtaken && h->reorder))) {
			i++;
			continue;
		}
		if (vmb_ring_tx_room(&nc->ch->out, COMP_BYTES) && !nic_wait_room(nc, COMP_BYTES))
			return;
		echo_write(nc, h->tid, h->status, h->ppi, h->ppi_len, 1);
		memmove(h, h + 1, (nic->nheld - i - 1) * sizeof(*h));
		nic->nheld--;
	}
}

/* @chan closed: what it held is never written (the guest gave it up). */
static void nic_forget_held(struct vmbnet_nic *nic, uint32_t chan)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < nic->nheld; i++) {
		if (nic->held[i].chan == chan)
			nic->stats.held_lost++;
		else
			nic->held[kept++] = nic->held[i];
	}
	nic->nheld = kept;
}

static void nic_apply_link(struct vmbnet_nic *nic, bool up)
{
	if (nic->link_up == up)
		return;
	nic->link_up = up;
	for (uint32_t i = 0; i < nic->host->nchan; i++) {
		nic->chan[i].link_indication_pending = true;
		vmbnet_rndis_flush_indication(&nic->chan[i]);
	}
}

/* Fault link flap: down now, back to the embedder's state after a while. */
static void nic_flap(struct vmbnet_nic *nic, const struct vmbnet_fault_rule *r)
{
	uint64_t until = nic_now(nic) + vmbnet_fault_duration(nic->faults, r);

	if (until > nic->flap_until_ns)
		nic->flap_until_ns = until;
	nic_apply_link(nic, false);
	nic_want_tick(nic, nic->flap_until_ns);
}

/*
 * The NIC goes away as a synthetic NIC removed from a running Hyper-V VM:
 * its channels are rescinded (and served until the guest closes them, see
 * vmbnet_host_set_present()), and it is offered again when the rule's
 * duration is over, as one added back. Datapath A: the host here is the
 * one the guest talks to.
 */
static void nic_rescind(struct vmbnet_nic *nic, const struct vmbnet_fault_rule *r)
{
	uint64_t until = nic_now(nic) + vmbnet_fault_duration(nic->faults, r);

	if (until > nic->rescind_until_ns)
		nic->rescind_until_ns = until;
	vmbnet_host_set_present(nic->host, false);
	nic_want_tick(nic, nic->rescind_until_ns);
}

/*
 * The host loses the guest's receive and send buffers for a while, as if
 * their GPADLs had been torn down under the guest (a host that revokes
 * them in a rescind or restore race; LIS #253 shows a teardown racing a
 * rescind). Meanwhile frames for the guest have nowhere to go and are
 * dropped, and sends in a send section cannot be read and complete with
 * NVSP_STAT_FAIL; sends in guest pages and RNDIS control replies still go.
 * Nothing tells the guest: the GPADLs are still its own.
 */
static void nic_revoke(struct vmbnet_nic *nic, const struct vmbnet_fault_rule *r)
{
	uint64_t until = nic_now(nic) + vmbnet_fault_duration(nic->faults, r);

	if (until > nic->revoke_until_ns)
		nic->revoke_until_ns = until; /* looked at per packet: no tick */
}

static bool nic_revoked(struct vmbnet_nic *nic)
{
	if (!nic->revoke_until_ns)
		return false;
	if (nic_now(nic) < nic->revoke_until_ns)
		return true;
	nic->revoke_until_ns = 0;
	return false;
}

/* Ask the fault engine (if any) whether to misbehave here: per packet, so
 * nothing is built while it has no rules.
 */
static const struct vmbnet_fault_rule *nic_fault(struct vmbnet_nic_chan *nc, uint32_t point,
						 uint32_t nvsp_type, uint32_t len, uint64_t tid,
						 bool section)
{
	struct vmbnet_fault *f = nc->nic->faults;
	struct vmbnet_fault_ctx ctx;
	const struct vmbnet_fault_rule *r;

	if (!f || !f->nrules)
		return NULL;
	ctx = (struct vmbnet_fault_ctx){
		.point = point,
		.chan = nc->ch->index,
		.nvsp_type = nvsp_type,
		.rndis_type = point == VMBNET_FP_COMPLETION ? nc->cur_rndis_type : 0,
		.len = len,
		.section = section,
		.trans_id = tid,
	};
	r = vmbnet_fault_check(f, &ctx);
	if (r)
		nc->nic->stats.faults++;
	return r;
}

/* Complete guest packet @tid with NVSP message @msg padded to 40 bytes, or
 * with no payload at all when @msg is NULL; room was checked.
 */
static void nic_complete(struct vmbnet_nic_chan *nc, uint64_t tid, const void *msg, uint32_t len)
{
	uint8_t buf[NVSP_MSG_SIZE] = { 0 };
	struct vmb_sg sg = { buf, NVSP_MSG_SIZE };

	if (msg)
		memcpy(buf, msg, len < sizeof(buf) ? len : sizeof(buf));
	if (vmb_ring_write(&nc->ch->out, VMB_PKT_COMP, 0, tid, NULL, 0, &sg, msg ? 1 : 0) == 0)
		nc->nic->stats.completions++;
}

void vmbnet_nic_complete_echo(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p, uint32_t status,
			      const void *ppi, uint32_t ppi_len)
{
	const struct vmbnet_fault_rule *fault;
	uint64_t tid = p->trans_id;
	int copies = 1;

	if (!(p->flags & VMB_PKT_FLAG_COMPLETION_REQUESTED))
		return;
	if (ppi_len > RNDIS_PPI_MAX)
		ppi_len = 0;
	/* a packet in a send section is inband; one in guest pages is not */
	fault = nic_fault(nc, VMBNET_FP_COMPLETION, NVSP_MSG_SEND_RNDIS_PKT, nc->cur_rndis_len, tid,
			  p->type == VMB_PKT_DATA_INBAND);
	if (fault && fault->action == VMBNET_FA_DROP)
		return; /* the guest waits for it forever */
	if (fault && fault->action == VMBNET_FA_STATUS)
		status = fault->arg;
	if (fault && fault->action == VMBNET_FA_WRONG_TRANS_ID)
		tid ^= 1ull << 63; /* no driver has such an id outstanding */
	if (fault && fault->action == VMBNET_FA_DUPLICATE)
		copies = 2; /* the second only if the ring has room for it */
	if (fault && fault->action == VMBNET_FA_LINK_FLAP)
		nic_flap(nc->nic, fault); /* this completion still goes */
	if (fault && fault->action == VMBNET_FA_RESCIND)
		nic_rescind(nc->nic, fault); /* so does this one */
	if (fault && fault->action == VMBNET_FA_REVOKE)
		nic_revoke(nc->nic, fault); /* and this one */
	if (status != NVSP_STAT_SUCCESS)
		nc->nic->stats.completions_failed++;
	if (fault &&
	    (fault->action == VMBNET_FA_DELAY || fault->action == VMBNET_FA_REORDER ||
	     fault->action == VMBNET_FA_WITHHOLD) &&
	    nic_hold(nc, fault, tid, status, ppi, ppi_len))
		return;
	echo_write(nc, tid, status, ppi, ppi_len, copies);
	if (nc->nic->nheld)
		nic_release_held(nc, nic_now(nc->nic), true);
}

void vmbnet_nic_complete_rndis(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p, uint32_t status)
{
	vmbnet_nic_complete_echo(nc, p, status, NULL, 0);
}

/* Slots for data leave VMBNET_RX_CTRL_RESERVE free for control replies. */
static int rx_slot_get(struct vmbnet_nic_chan *nc, bool control)
{
	if (nc->rx_nfree <= (control ? 0 : VMBNET_RX_CTRL_RESERVE))
		return -1;
	nc->rx_nfree--;
	nc->rx_busy[nc->rx_free[nc->rx_nfree]] = 1;
	return (int)nc->rx_free[nc->rx_nfree];
}

/*
 * Lend receive slot @slot (holding @len bytes of RNDIS message) to the guest
 * with a transfer-page packet. The guest gives it back with a completion
 * whose trans_id is the packet's: the slot's index, so a guest may index a
 * table of receive sections by it (DPDK netvsc's hn_rxtx.c does, with
 * rxbuf_info[xactid] checked only against the slot count; Linux hv_netvsc
 * echoes it). Ring room was checked by the caller.
 */
static void rx_send_slot(struct vmbnet_nic_chan *nc, uint32_t slot, uint32_t len,
			 uint32_t channel_type)
{
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r;
	} ext = { { NVSP_RECV_BUF_ID, 0, 0, 1 }, { len, slot * VMBNET_RX_SECTION_BYTES } };
	uint8_t msg[NVSP_MSG_SIZE] = { 0 };
	struct nvsp_rndis_pkt m = { NVSP_MSG_SEND_RNDIS_PKT, channel_type, NVSP_SECTION_NONE, 0 };
	struct vmb_sg sg = { msg, sizeof(msg) };

	memcpy(msg, &m, sizeof(m));
	vmb_ring_write(&nc->ch->out, VMB_PKT_DATA_XFER_PAGES, VMB_PKT_FLAG_COMPLETION_REQUESTED,
		       slot, &ext, sizeof(ext), &sg, 1);
}

bool vmbnet_nic_control_room(struct vmbnet_nic_chan *nc)
{
	return nc->rx_buf.pages && nc->rx_nfree && !vmb_ring_tx_room(&nc->ch->out, XFER_BYTES);
}

int vmbnet_nic_send_control(struct vmbnet_nic_chan *nc, const void *msg, uint32_t len)
{
	int slot;

	if (len > VMBNET_RX_SECTION_BYTES || !vmbnet_nic_control_room(nc))
		return -EAGAIN;
	slot = rx_slot_get(nc, true);
	if (slot < 0)
		return -EAGAIN;
	gbuf_write(&nc->rx_buf, (uint64_t)slot * VMBNET_RX_SECTION_BYTES, msg, len);
	rx_send_slot(nc, (uint32_t)slot, len, NVSP_CHANNEL_CONTROL);
	return 0;
}

/* The guest returned receive slot @slot (the trans_id it was lent with). */
static void rx_slot_put(struct vmbnet_nic_chan *nc, uint64_t slot)
{
	if (slot >= nc->rx_slots || !nc->rx_busy[slot]) {
		nc->nic->stats.unknown_completions++;
		vmbnet_chan_guest_error(nc->ch, "completion for a receive slot not lent", false);
		return;
	}
	nc->rx_busy[slot] = 0;
	nc->rx_free[nc->rx_nfree++] = (uint32_t)slot;
}

/* Write one frame into a receive slot; no publish. Same returns as
 * vmbnet_nic_receive().
 */
static long nic_rx_one(struct vmbnet_nic_chan *nc, const struct iovec *iov, int iovcnt,
		       const struct vmbnet_frame_meta *meta)
{
	struct vmbnet_nic *nic = nc->nic;
	const struct vmbnet_fault_rule *fault;
	uint8_t hdr[VMBNET_RNDIS_RX_HDR_MAX];
	uint64_t flen = 0, off;
	uint32_t hlen;
	int slot;

	for (int i = 0; i < iovcnt; i++)
		flen += iov[i].iov_len;
	if (flen > VMBNET_MAX_FRAME) {
		nic->stats.rx_dropped++;
		return -1;
	}
	fault = nic_fault(nc, VMBNET_FP_RECEIVE, 0, (uint32_t)flen, 0, false);
	if (fault && fault->action == VMBNET_FA_LINK_FLAP)
		nic_flap(nic, fault); /* this frame still goes */
	else if (fault && fault->action == VMBNET_FA_RESCIND)
		nic_rescind(nic, fault); /* so does this one */
	else if (fault && fault->action == VMBNET_FA_REVOKE)
		nic_revoke(nic, fault); /* this frame is the first one lost */
	else if (fault) {
		nic->stats.rx_dropped++;
		return (long)flen; /* lost on the way: taken, never written */
	}
	if (nic_revoked(nic)) { /* no receive buffer to write it into */
		nic->stats.revoked++;
		nic->stats.rx_dropped++;
		return (long)flen;
	}
	hlen = vmbnet_rndis_rx_header(hdr, (uint32_t)flen, meta);
	if (hlen + flen > VMBNET_RX_SECTION_BYTES) {
		nic->stats.rx_dropped++;
		return -1;
	}
	if (vmb_ring_tx_room(&nc->ch->out, XFER_BYTES) && !nic_wait_room(nc, XFER_BYTES))
		return 0;
	slot = rx_slot_get(nc, false);
	if (slot < 0) {
		/* the guest's next completion frees a slot and rings the bell */
		nc->needs_doorbell = true;
		nic->stats.stalls++;
		return 0;
	}
	/* One copy: from the network's buffers straight into the slot. */
	off = (uint64_t)slot * VMBNET_RX_SECTION_BYTES;
	gbuf_write(&nc->rx_buf, off, hdr, hlen);
	off += hlen;
	for (int i = 0; i < iovcnt; i++) {
		gbuf_write(&nc->rx_buf, off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	rx_send_slot(nc, (uint32_t)slot, hlen + (uint32_t)flen, NVSP_CHANNEL_DATA);
	nic->stats.rx_packets++;
	nic->stats.rx_bytes += flen;
	return (long)flen;
}

static struct vmbnet_nic_chan *nic_rx_chan(struct vmbnet_nic *nic, uint32_t chan)
{
	struct vmbnet_nic_chan *nc = chan < VMB_PCI_MAX_CHANNELS ? &nic->chan[chan] : NULL;

	/* a channel the NIC's going away rescinded is served until the guest
	 * closes it, but gets no new frames: the guest cannot complete them
	 * once it has seen the rescind (Linux's sends then fail with -ENODEV)
	 */
	if (!nc || !nc->ch || nc->ch->state != VMBNET_CHAN_OPEN || !nc->rndis_ready ||
	    !nic->link_up || nic->host->rescinded & (1u << chan))
		return NULL;
	return nc;
}

bool vmbnet_nic_can_receive(struct vmbnet_nic *nic, uint32_t chan)
{
	return nic_rx_chan(nic, chan) != NULL;
}

long vmbnet_nic_receive(struct vmbnet_nic *nic, uint32_t chan, const struct iovec *iov, int iovcnt,
			const struct vmbnet_frame_meta *meta)
{
	struct vmbnet_nic_chan *nc = nic_rx_chan(nic, chan);
	long ret;

	if (!nc) {
		nic->stats.rx_dropped++;
		return -1;
	}
	ret = nic_rx_one(nc, iov, iovcnt, meta);
	if (ret > 0)
		vmbnet_nic_publish(nc);
	return ret;
}

int vmbnet_nic_receive_burst(struct vmbnet_nic *nic, uint32_t chan, const struct vmbnet_rx_frame *f,
			     unsigned int n)
{
	struct vmbnet_nic_chan *nc = nic_rx_chan(nic, chan);
	unsigned int i;

	if (!nc) {
		nic->stats.rx_dropped += n;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (nic_rx_one(nc, f[i].iov, f[i].iovcnt, &f[i].meta) == 0)
			break; /* no room: the caller keeps the rest */
	if (i) /* a retry that took nothing has nothing to publish or checkpoint */
		vmbnet_nic_publish(nc);
	return (int)i;
}

/* ---- NVSP from the guest ------------------------------------------------- */

/*
 * The highest NVSP version in [@min, @max] that Hyper-V speaks, 0 when none:
 * Linux hv_netvsc and DPDK netvsc both ask one version at a time (min ==
 * max), newest first, and take the first INIT_COMPLETE with success.
 */
static uint32_t nvsp_pick_version(uint32_t min, uint32_t max)
{
	static const uint32_t known[] = { NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
					  NVSP_VERSION_4,  NVSP_VERSION_2, NVSP_VERSION_1 };

	for (unsigned int i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] >= min && known[i] <= max)
			return known[i];
	return 0;
}

static void nvsp_init(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p, const uint8_t *msg)
{
	struct nvsp_init m;
	struct nvsp_init_complete c = { NVSP_MSG_INIT_COMPLETE, 0, 0, NVSP_STAT_SUCCESS };
	uint32_t v;

	memcpy(&m, msg, sizeof(m));
	v = nvsp_pick_version(m.min_version, m.max_version);
	if (v && nic_fault(nc, VMBNET_FP_NVSP_INIT, NVSP_MSG_INIT, sizeof(m), p->trans_id, false))
		c.status = NVSP_STAT_FAIL; /* refuse_version, the only action here */
	else if (v)
		nc->nvsp_version = v;
	else if (m.min_version > NVSP_VERSION_61)
		c.status = NVSP_STAT_PROTOCOL_TOO_OLD; /* the guest is newer than us */
	else
		c.status = NVSP_STAT_PROTOCOL_TOO_NEW;
	c.negotiated_version = nc->nvsp_version;
	if (p->flags & VMB_PKT_FLAG_COMPLETION_REQUESTED)
		nic_complete(nc, p->trans_id, &c, sizeof(c));
}

uint32_t vmbnet_nic_buf_relid(const struct vmbnet_nic_chan *nc)
{
	const struct vmbnet_host *h = nc->ch->host;

	return h->subch_on_request && nc->ch->index ? h->chan[0].relid : nc->ch->relid;
}

/*
 * The receive slots channel @nc lends. In Hyper-V's offer model the
 * subchannels share the primary's receive buffer: each of the host's
 * channels then owns an equal part of the slots (ids stay indices into the
 * whole buffer, as the guest's table is), decided when the primary's buffer
 * arrives, before any subchannel exists. Otherwise a channel owns its whole
 * buffer.
 */
void vmbnet_nic_rx_range(const struct vmbnet_nic_chan *nc, uint32_t *lo, uint32_t *hi)
{
	uint32_t queues = vmbnet_host_max_queues(nc->ch->host);
	uint32_t per = nc->rx_slots / queues;

	*lo = queues > 1 ? per * nc->ch->index : 0;
	*hi = *lo + per;
}

int vmbnet_nic_rx_slots_init(struct vmbnet_nic_chan *nc, const uint8_t *busy)
{
	uint32_t lo, hi;

	nc->rx_slots = (uint32_t)(gbuf_len(&nc->rx_buf) / VMBNET_RX_SECTION_BYTES);
	nc->rx_free = calloc(nc->rx_slots, sizeof(*nc->rx_free));
	nc->rx_busy = calloc(nc->rx_slots, 1);
	vmbnet_nic_rx_range(nc, &lo, &hi);
	if (hi - lo <= VMBNET_RX_CTRL_RESERVE || !nc->rx_free || !nc->rx_busy)
		return -EINVAL;
	nc->rx_nfree = 0;
	for (uint32_t i = hi; i-- > lo;) {
		if (busy && busy[i])
			nc->rx_busy[i] = 1;
		else
			nc->rx_free[nc->rx_nfree++] = i;
	}
	return 0;
}

/*
 * A subchannel in Hyper-V's model has no NVSP exchange of its own: it takes
 * the primary's protocol version, buffers and RNDIS state when it opens
 * (hv_netvsc's netvsc_sc_open() and DPDK's hn_dev_rx_queue_setup() only
 * open the ring). Without a ready primary it has no buffers, and its
 * packets fail.
 */
static void nic_inherit_primary(struct vmbnet_nic_chan *nc)
{
	struct vmbnet_nic_chan *p0 = &nc->nic->chan[0];
	struct vmbnet_host *h = nc->ch->host;

	if (!p0->nvsp_version || !p0->rx_buf.pages || !p0->tx_buf.pages)
		return;
	if (vmbnet_gbuf_share(h, &nc->rx_buf, p0->ch->relid, p0->rx_buf.gpadl) ||
	    vmbnet_nic_rx_slots_init(nc, NULL) ||
	    vmbnet_gbuf_share(h, &nc->tx_buf, p0->ch->relid, p0->tx_buf.gpadl)) {
		vmbnet_nic_release_bufs(nc);
		return;
	}
	nc->tx_sections = p0->tx_sections;
	nc->nvsp_version = p0->nvsp_version;
	nc->rndis_ready = p0->rndis_ready;
	nc->rndis_halted = p0->rndis_halted;
	nc->packet_filter = p0->packet_filter;
}

static uint32_t nvsp_recv_buf(struct vmbnet_nic_chan *nc, const uint8_t *msg,
			      struct nvsp_recv_buf_complete *c)
{
	struct vmbnet_host *h = nc->ch->host;
	struct nvsp_send_buf m;

	memcpy(&m, msg, sizeof(m));
	if (!nc->nvsp_version || nc->rx_buf.pages || m.id != NVSP_RECV_BUF_ID)
		return NVSP_STAT_FAIL;
	if (vmbnet_gbuf_map(h, &nc->rx_buf, nc->ch->relid, m.gpadl, true)) {
		vmbnet_gbuf_unmap(h, &nc->rx_buf);
		return NVSP_STAT_FAIL;
	}
	if (vmbnet_nic_rx_slots_init(nc, NULL)) {
		vmbnet_nic_release_bufs(nc);
		return NVSP_STAT_FAIL;
	}
	c->num_sections = 1;
	c->sub_alloc_size = VMBNET_RX_SECTION_BYTES;
	c->num_sub_allocs = nc->rx_slots;
	c->end_offset = nc->rx_slots * VMBNET_RX_SECTION_BYTES;
	return NVSP_STAT_SUCCESS;
}

static uint32_t nvsp_send_buf(struct vmbnet_nic_chan *nc, const uint8_t *msg)
{
	struct nvsp_send_buf m;

	memcpy(&m, msg, sizeof(m));
	if (!nc->nvsp_version || nc->tx_buf.pages)
		return NVSP_STAT_FAIL;
	if (vmbnet_gbuf_map(nc->ch->host, &nc->tx_buf, nc->ch->relid, m.gpadl, true)) {
		vmbnet_gbuf_unmap(nc->ch->host, &nc->tx_buf);
		return NVSP_STAT_FAIL;
	}
	nc->tx_sections = (uint32_t)(gbuf_len(&nc->tx_buf) / VMBNET_TX_SECTION_BYTES);
	return NVSP_STAT_SUCCESS;
}

/* An RNDIS message in send-buffer section @m->section_index. */
static int nvsp_rndis_in_section(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p,
				 const struct nvsp_rndis_pkt *m)
{
	struct iovec iov[VMBNET_TX_SECTION_BYTES / VMB_PAGE_SIZE + 2];
	int n;

	if (m->section_index >= nc->tx_sections || !m->section_size ||
	    m->section_size > VMBNET_TX_SECTION_BYTES) {
		vmbnet_chan_guest_error(nc->ch, "RNDIS packet: bad send section", false);
		vmbnet_nic_complete_rndis(nc, p, NVSP_STAT_INVALID_RNDIS_PKT);
		return 0;
	}
	if (nic_revoked(nc->nic)) { /* the section cannot be read */
		nc->nic->stats.revoked++;
		vmbnet_nic_complete_rndis(nc, p, NVSP_STAT_FAIL);
		return 0;
	}
	n = vmbnet_gbuf_iov(&nc->tx_buf, (uint64_t)m->section_index * VMBNET_TX_SECTION_BYTES,
			    m->section_size, iov, (int)(sizeof(iov) / sizeof(iov[0])));
	return vmbnet_rndis_message(nc, p, iov, n);
}

/*
 * Let go of the receive buffer (REVOKE_RECV_BUF, close): the guest takes it
 * back before tearing its GPADL down (Linux netvsc_revoke_recv_buf, DPDK
 * hn_nvs_disconn_rxbuf). Slots still lent are forgotten: their completions
 * become unknown ones.
 */
static void nic_release_rx_buf(struct vmbnet_nic_chan *nc)
{
	vmbnet_gbuf_unmap(nc->ch->host, &nc->rx_buf);
	free(nc->rx_free);
	free(nc->rx_busy);
	nc->rx_free = NULL;
	nc->rx_busy = NULL;
	nc->rx_slots = nc->rx_nfree = 0;
}

/* Let go of the send buffer (REVOKE_SEND_BUF, close). */
static void nic_release_tx_buf(struct vmbnet_nic_chan *nc)
{
	vmbnet_gbuf_unmap(nc->ch->host, &nc->tx_buf);
	nc->tx_sections = 0;
}

/*
 * SUBCHANNEL, on the primary: in Hyper-V's offer model the host offers up
 * to the number asked for (the guest's RSS capabilities query said how many
 * queues there may be) and says how many it allocated; an external backend
 * leaves the offers to its front end (host op offer_subchannels). In
 * vmbnet's own model it allocates none: both Linux (rndis_set_subchannel)
 * and DPDK (hn_nvs_alloc_subchans) take 0 with success and go on with the
 * primary channel alone.
 */
static void nvsp_subchannel(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p, const uint8_t *msg)
{
	struct nvsp_subchannel_complete c = { NVSP_MSG_SUBCHANNEL, NVSP_STAT_SUCCESS, 0 };
	struct nvsp_subchannel_request m;

	memcpy(&m, msg, sizeof(m));
	if (m.op != NVSP_SUBCHANNEL_ALLOCATE || !nc->nvsp_version || nc->ch->index) {
		vmbnet_chan_guest_error(nc->ch, "subchannel request: bad operation or channel",
					false);
		c.status = NVSP_STAT_FAIL;
	} else {
		c.num_subchannels = vmbnet_host_offer_subchannels(nc->ch->host, m.num_subchannels);
	}
	if (p->flags & VMB_PKT_FLAG_COMPLETION_REQUESTED)
		nic_complete(nc, p->trans_id, &c, sizeof(c));
}

/* An inband NVSP message (payload copied and zero-padded to 40 bytes). */
static int nvsp_inband(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p)
{
	uint8_t msg[NVSP_MSG_SIZE] = { 0 };
	uint32_t len = vmb_pkt_data_len(p), type;
	union {
		struct nvsp_recv_buf_complete r;
		struct nvsp_send_buf_complete s;
	} c;

	vmb_ring_pkt_copy(&nc->ch->in, p, p->data_off, msg, len < sizeof(msg) ? len : sizeof(msg));
	memcpy(&type, msg, sizeof(type));
	memset(&c, 0, sizeof(c));
	switch (type) {
	case NVSP_MSG_INIT:
		nvsp_init(nc, p, msg);
		return 0;
	case NVSP_MSG_SEND_NDIS_VER:
	case NVSP_MSG_SEND_NDIS_CONFIG:
		return 0; /* informational; Linux asks no completion */
	case NVSP_MSG_SEND_RECV_BUF:
		c.r.type = NVSP_MSG_SEND_RECV_BUF_COMPLETE;
		c.r.status = nvsp_recv_buf(nc, msg, &c.r);
		break;
	case NVSP_MSG_SEND_SEND_BUF:
		c.s.type = NVSP_MSG_SEND_SEND_BUF_COMPLETE;
		c.s.status = nvsp_send_buf(nc, msg);
		c.s.section_size = c.s.status == NVSP_STAT_SUCCESS ? VMBNET_TX_SECTION_BYTES : 0;
		break;
	case NVSP_MSG_SEND_RNDIS_PKT: {
		struct nvsp_rndis_pkt m;

		memcpy(&m, msg, sizeof(m));
		return nvsp_rndis_in_section(nc, p, &m);
	}
	case NVSP_MSG_REVOKE_RECV_BUF:
	case NVSP_MSG_REVOKE_SEND_BUF:
		/* Linux and DPDK ask no answer */
		if (type == NVSP_MSG_REVOKE_RECV_BUF)
			nic_release_rx_buf(nc);
		else
			nic_release_tx_buf(nc);
		c.s.type = type;
		c.s.status = NVSP_STAT_SUCCESS;
		break;
	case NVSP_MSG_SWITCH_DATA_PATH:
		/* No VF here: the synthetic path stays. Hyper-V answers with a
		 * COMP that has no payload (Linux netvsc.c
		 * netvsc_send_completion, "VMBUS completion without data").
		 */
		if (p->flags & VMB_PKT_FLAG_COMPLETION_REQUESTED)
			nic_complete(nc, p->trans_id, NULL, 0);
		return 0;
	case NVSP_MSG_SUBCHANNEL:
		nvsp_subchannel(nc, p, msg);
		return 0;
	default:
		vmbnet_chan_guest_error(nc->ch, "unknown NVSP message", false);
		c.s.type = type;
		c.s.status = NVSP_STAT_FAIL;
		break;
	}
	if (p->flags & VMB_PKT_FLAG_COMPLETION_REQUESTED)
		nic_complete(nc, p->trans_id, &c, sizeof(c));
	return 0;
}

/* A GPA-direct packet: NVSP 107 inline, the RNDIS message in the ranges. */
static int nvsp_gpa_direct(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p)
{
	struct vmbnet_host *h = nc->ch->host;
	struct vmb_gpa_seg segs[VMBNET_MAX_FRAME / VMB_PAGE_SIZE + 4];
	struct iovec iov[sizeof(segs) / sizeof(segs[0])];
	struct nvsp_rndis_pkt m = { 0 };
	uint32_t len = vmb_pkt_data_len(p);
	int n, i, ret;

	vmb_ring_pkt_copy(&nc->ch->in, p, p->data_off, &m, len < sizeof(m) ? len : sizeof(m));
	n = vmb_gpa_parse(&nc->ch->in, p, NULL, 0, segs, sizeof(segs) / sizeof(segs[0]));
	if (n == -EIO)
		return -EIO;
	if (m.type != NVSP_MSG_SEND_RNDIS_PKT || n < 0) {
		vmbnet_chan_guest_error(nc->ch,
					"GPA-direct packet: not an RNDIS packet "
					"or too many pages",
					false);
		vmbnet_nic_complete_rndis(nc, p, NVSP_STAT_INVALID_RNDIS_PKT);
		return 0;
	}
	for (i = 0; i < n; i++) {
		iov[i].iov_len = segs[i].len;
		iov[i].iov_base = h->ops->page_ok(h->opaque, segs[i].gpa >> VMB_PAGE_SHIFT) ?
					  h->ops->map(h->opaque, segs[i].gpa, segs[i].len) :
					  NULL;
		if (!iov[i].iov_base)
			break;
	}
	if (i < n) {
		vmbnet_chan_guest_error(nc->ch, "GPA-direct packet: page outside guest RAM", true);
		ret = -EIO;
	} else {
		ret = vmbnet_rndis_message(nc, p, iov, n);
	}
	while (i-- > 0)
		h->ops->unmap(h->opaque, iov[i].iov_base, iov[i].iov_len);
	return ret;
}

/* One guest packet. 0 = consumed, -EIO = channel broken. */
static int nic_packet(struct vmbnet_nic_chan *nc, const struct vmb_pkt *p)
{
	switch (p->type) {
	case VMB_PKT_COMP:
		rx_slot_put(nc, p->trans_id);
		return 0;
	case VMB_PKT_DATA_INBAND:
		return nvsp_inband(nc, p);
	case VMB_PKT_DATA_GPA_DIRECT:
		return nvsp_gpa_direct(nc, p);
	default:
		vmbnet_chan_guest_error(nc->ch, "transfer-page packet from the guest", false);
		vmbnet_nic_complete_rndis(nc, p, NVSP_STAT_FAIL);
		return 0;
	}
}

/* ---- the channel loop ---------------------------------------------------- */

/*
 * The host -> guest ring lacks @need bytes: publish what is written (the
 * guest measures free space from the published index), then ask the guest to
 * ring the doorbell once it has made room. True if the room is there now.
 */
static bool nic_wait_room(struct vmbnet_nic_chan *nc, uint32_t need)
{
	vmbnet_nic_publish(nc);
	if (vmb_ring_tx_want_space(&nc->ch->out, need) == 0)
		return true;
	nc->nic->stats.stalls++;
	nc->needs_doorbell = true;
	return false;
}

/*
 * Does a fault keep the host from reading @nc's ring now? A stall lasts
 * its duration (the guest's ring fills, as with a host that stopped
 * consuming); a link flap asked here only takes the link down.
 */
static bool nic_ring_stalled(struct vmbnet_nic_chan *nc)
{
	const struct vmbnet_fault_rule *fault;

	if (nc->stall_until_ns) {
		if (nic_now(nc->nic) < nc->stall_until_ns)
			return true;
		nc->stall_until_ns = 0;
	}
	fault = nic_fault(nc, VMBNET_FP_RING, 0, 0, 0, false);
	if (fault && fault->action == VMBNET_FA_LINK_FLAP)
		nic_flap(nc->nic, fault);
	if (!fault || fault->action != VMBNET_FA_STALL)
		return false;
	nc->stall_until_ns = nic_now(nc->nic) + vmbnet_fault_duration(nc->nic->faults, fault);
	if (!nc->stall_until_ns)
		nc->stall_until_ns = 1; /* an engine without a clock stalls for good */
	nic_want_tick(nc->nic, nc->stall_until_ns);
	return true;
}

/* Drain the guest's ring while every answer can be written at once. */
static void nic_poll(struct vmbnet_nic_chan *nc)
{
	struct vmbnet_channel *ch = nc->ch;
	uint32_t max = ch->in.size / (sizeof(struct vmb_pkt_desc) + VMB_TRAILER_SIZE);
	bool more = true;
	struct vmb_pkt p;
	uint32_t n = 0;
	int ret;

	if (nic_ring_stalled(nc))
		return;
	nc->needs_doorbell = false;
	vmb_ring_rx_mask(&ch->in);
	while (more && ch->state == VMBNET_CHAN_OPEN) {
		while (n < max) {
			if (vmb_ring_tx_room(&ch->out, REPLY_ROOM) &&
			    !nic_wait_room(nc, REPLY_ROOM))
				break;
			ret = vmb_ring_peek(&ch->in, &p);
			if (ret == 0)
				ret = nic_packet(nc, &p);
			if (ret == -EIO) {
				vmbnet_chan_guest_error(ch, "guest broke the ring protocol", true);
				break;
			}
			if (ret)
				break; /* -EAGAIN: empty */
			vmb_ring_advance(&ch->in, &p);
			n++;
		}
		/* Completions first, then the read index that gives the guest
		 * the packets' space back: a backend that dies in between is
		 * succeeded by one that finishes the release from its
		 * checkpoint, never by one that redoes visible work.
		 */
		vmbnet_nic_publish(nc);
		if (vmb_ring_rx_release(&ch->in))
			vmbnet_chan_notify(ch);
		if (nc->nic->busy_poll)
			return; /* stays masked; the poller calls vmbnet_nic_arm() */
		more = !nc->needs_doorbell && n < max && vmb_ring_rx_unmask(&ch->in);
		if (more)
			vmb_ring_rx_mask(&ch->in);
	}
	vmb_ring_rx_unmask(&ch->in);
}

bool vmbnet_nic_arm(struct vmbnet_nic *nic, uint32_t chan)
{
	struct vmbnet_channel *ch = nic->chan[chan].ch;

	if (!ch || ch->state != VMBNET_CHAN_OPEN)
		return false;
	if (!vmb_ring_rx_unmask(&ch->in))
		return false;
	vmb_ring_rx_mask(&ch->in);
	return true;
}

bool vmbnet_nic_pending(struct vmbnet_nic *nic, uint32_t chan)
{
	struct vmbnet_channel *ch = nic->chan[chan].ch;

	return ch && ch->state == VMBNET_CHAN_OPEN && vmb_ring_rx_pending(&ch->in);
}

static void nic_doorbell(struct vmbnet_channel *ch)
{
	struct vmbnet_nic_chan *nc = ch->priv;
	bool was_stalled = nc->needs_doorbell;

	vmb_ring_rx_signal_received(&ch->in);
	if (nc->nic->nheld)
		nic_release_held(nc, nic_now(nc->nic), false); /* older than what follows */
	nic_poll(nc);
	vmbnet_rndis_flush_indication(nc);
	if (was_stalled && !nc->needs_doorbell && nc->nic->ops->rx_ready)
		nc->nic->ops->rx_ready(nc->nic->opaque, ch->index);
}

void vmbnet_nic_release_bufs(struct vmbnet_nic_chan *nc)
{
	nic_release_rx_buf(nc);
	nic_release_tx_buf(nc);
}

static int nic_open(struct vmbnet_channel *ch)
{
	struct vmbnet_nic_chan *nc = ch->priv;
	struct vmbnet_nic *nic = nc->nic;

	memset(nc, 0, sizeof(*nc));
	nc->nic = nic;
	nc->ch = ch;
	if (ch->index && ch->host->subch_on_request)
		nic_inherit_primary(nc);
	return 0;
}

/*
 * Close: answer every completion-requested packet still in the guest's ring
 * with a failure, as far as the host -> guest ring has room (the guest
 * driver fails whatever is left when its close returns), then let go of the
 * guest's buffers.
 */
static void nic_close(struct vmbnet_channel *ch)
{
	struct vmbnet_nic_chan *nc = ch->priv;
	uint32_t budget = vmb_ring_max_pkts(&ch->in);
	struct vmb_pkt p;

	/* bounded (hostile-peers bug 5): another vCPU may keep refilling */
	while (budget-- && !vmb_ring_tx_room(&ch->out, COMP_BYTES) &&
	       vmb_ring_peek(&ch->in, &p) == 0) {
		if (p.type != VMB_PKT_COMP)
			vmbnet_nic_complete_rndis(nc, &p, NVSP_STAT_FAIL);
		vmb_ring_advance(&ch->in, &p);
	}
	vmbnet_nic_publish(nc);
	vmb_ring_rx_release(&ch->in);
	vmbnet_nic_release_bufs(nc);
	nic_forget_held(nc->nic, ch->index);
	nc->stall_until_ns = 0;
	nc->rndis_ready = nc->rndis_halted = false;
	nc->nvsp_version = 0;
}

const struct vmbnet_chan_handler vmbnet_nic_handler = {
	.open = nic_open,
	.doorbell = nic_doorbell,
	.close = nic_close,
};

void vmbnet_nic_init(struct vmbnet_nic *nic, struct vmbnet_host *host, uint32_t mtu,
		     const struct vmbnet_nic_ops *ops, void *opaque)
{
	memset(nic, 0, sizeof(*nic));
	nic->host = host;
	nic->mtu = mtu;
	nic->ops = ops;
	nic->opaque = opaque;
	nic->link_up = nic->link_host = true;
	nic->tick_ns = UINT64_MAX;
	for (uint32_t i = 0; i < VMB_PCI_MAX_CHANNELS; i++) {
		nic->chan[i].nic = nic;
		host->chan[i].priv = &nic->chan[i];
	}
}

/*
 * The migrated receive-slot bookkeeping, against the receive buffer it
 * describes: the free stack holds distinct, idle slots; with the busy ones
 * they are every slot once.
 */
static bool rx_state_ok(const struct vmbnet_nic_chan *nc)
{
	uint32_t busy = 0, lo, hi;

	if (!nc->rx_slots)
		return !nc->rx_nfree;
	if (nc->rx_slots != gbuf_len(&nc->rx_buf) / VMBNET_RX_SECTION_BYTES || !nc->rx_free ||
	    !nc->rx_busy || nc->rx_nfree > nc->rx_slots)
		return false;
	vmbnet_nic_rx_range(nc, &lo, &hi);
	for (uint32_t i = 0; i < nc->rx_slots; i++)
		if (nc->rx_busy[i] > 1 || (nc->rx_busy[i] && (i < lo || i >= hi)))
			return false;
		else
			busy += nc->rx_busy[i];
	if (busy + nc->rx_nfree != hi - lo)
		return false;
	for (uint32_t i = 0; i < nc->rx_nfree; i++)
		if (nc->rx_free[i] < lo || nc->rx_free[i] >= hi || nc->rx_busy[nc->rx_free[i]])
			return false;
	/* count == slots - busy and none busy: distinct iff all idle slots */
	for (uint32_t i = 0; i < nc->rx_nfree; i++)
		for (uint32_t j = 0; j < i; j++)
			if (nc->rx_free[i] == nc->rx_free[j])
				return false;
	return true;
}

int vmbnet_nic_post_load(struct vmbnet_nic *nic)
{
	struct vmbnet_host *h = nic->host;
	int err = 0;

	for (uint32_t i = 0; i < h->nchan; i++) {
		struct vmbnet_nic_chan *nc = &nic->chan[i];
		uint32_t rx = nc->rx_buf.gpadl, tx = nc->tx_buf.gpadl;

		nc->nic = nic;
		nc->ch = &h->chan[i];
		nc->rx_buf.pages = NULL;
		nc->tx_buf.pages = NULL;
		nc->rx_buf.npages = nc->tx_buf.npages = 0;
		if (nc->ch->state == VMBNET_CHAN_OFFERED) {
			/* a closed channel has no NIC state; arrays a stream
			 * sized anyway are freed, not kept (found by fuzz_restore)
			 */
			if (rx || tx || nc->rx_slots || nc->rx_nfree || nc->tx_sections ||
			    nc->nvsp_version || nc->rndis_ready)
				err = -EINVAL;
			free(nc->rx_free);
			free(nc->rx_busy);
			memset(&nc->nvsp_version, 0,
			       sizeof(*nc) - offsetof(struct vmbnet_nic_chan, nvsp_version));
			continue;
		}
		/* The holds came with the migrated GPADL users counts. */
		if ((rx && vmbnet_gbuf_map(h, &nc->rx_buf, nc->ch->relid, rx, false)) ||
		    (tx && vmbnet_gbuf_map(h, &nc->tx_buf, nc->ch->relid, tx, false))) {
			vmbnet_chan_guest_error(nc->ch, "migration: guest buffers unusable", true);
			err = -EFAULT;
		} else if (!rx_state_ok(nc) ||
			   nc->tx_sections != gbuf_len(&nc->tx_buf) / VMBNET_TX_SECTION_BYTES ||
			   (nc->nvsp_version && nc->nvsp_version != NVSP_VERSION_61)) {
			/* Regression (hostile-peers bug 6): used unchecked, a
			 * migrated rx_nfree or rx_free[] indexed past the slots.
			 */
			vmbnet_chan_guest_error(nc->ch, "migration: receive or send state invalid",
						true);
			vmbnet_nic_release_bufs(nc);
			err = -EINVAL;
		}
	}
	return err;
}

void vmbnet_nic_set_link(struct vmbnet_nic *nic, bool up)
{
	nic->link_host = up;
	if (!nic->flap_until_ns)
		nic_apply_link(nic, up);
}

uint64_t vmbnet_nic_tick(struct vmbnet_nic *nic)
{
	uint64_t now, next = UINT64_MAX;

	if (nic->tick_ns == UINT64_MAX)
		return UINT64_MAX;
	now = nic_now(nic);
	if (now < nic->tick_ns)
		return nic->tick_ns;
	nic->tick_ns = UINT64_MAX;
	if (nic->flap_until_ns && now >= nic->flap_until_ns) {
		nic->flap_until_ns = 0;
		nic_apply_link(nic, nic->link_host);
		for (uint32_t i = 0; nic->link_up && nic->ops->rx_ready && i < nic->host->nchan;
		     i++)
			nic->ops->rx_ready(nic->opaque, i); /* frames held back may go */
	}
	if (nic->rescind_until_ns && now >= nic->rescind_until_ns) {
		nic->rescind_until_ns = 0;
		vmbnet_host_set_present(nic->host, true);
	}
	for (uint32_t i = 0; i < nic->host->nchan; i++) {
		struct vmbnet_nic_chan *nc = &nic->chan[i];

		if (!nc->ch || nc->ch->state != VMBNET_CHAN_OPEN)
			continue;
		if (nc->stall_until_ns && now >= nc->stall_until_ns)
			nic_doorbell(nc->ch); /* reads the ring again, writes what is due */
		else if (nic->nheld) {
			nic_release_held(nc, now, false);
			vmbnet_nic_publish(nc);
		}
	}
	/* what still waits; a due completion the ring had no room for goes at
	 * the guest's doorbell, not here
	 */
	if (nic->flap_until_ns)
		next = nic->flap_until_ns;
	if (nic->rescind_until_ns && nic->rescind_until_ns < next)
		next = nic->rescind_until_ns;
	for (uint32_t i = 0; i < nic->host->nchan; i++)
		if (nic->chan[i].stall_until_ns && nic->chan[i].stall_until_ns < next)
			next = nic->chan[i].stall_until_ns;
	for (uint32_t i = 0; i < nic->nheld; i++)
		if (nic->held[i].due_ns > now && nic->held[i].due_ns < next)
			next = nic->held[i].due_ns;
	nic_want_tick(nic, next);
	return next;
}
