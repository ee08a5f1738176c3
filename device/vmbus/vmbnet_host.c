// SPDX-License-Identifier: MIT
/*
 * vmbnet host control plane: channel messages, GPADLs, channel open/close.
 * See vmbnet_host.h for the contract and transport/SPEC.md for the flows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet_host.h"

/* f8615163-df3e-46c5-913f-f2d2f965ed0e, in VMBus (mixed-endian) byte order */
const struct vmb_guid vmbnet_netvsc_guid = { { 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91,
					       0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e } };

#define GPADL_HDR_PFNS_OFF (sizeof(struct vmb_msg_gpadl_header) + sizeof(struct vmb_gpa_range))
#define GPADL_BODY_PFNS_OFF sizeof(struct vmb_msg_gpadl_body)

static void host_trace(struct vmbnet_host *h, const char *ev, uint32_t a, uint32_t b)
{
	if (h->ops->trace)
		h->ops->trace(h->opaque, ev, a, b);
}

static void host_guest_error(struct vmbnet_host *h, const char *what)
{
	h->stats.guest_errors++;
	if (h->ops->guest_error)
		h->ops->guest_error(h->opaque, what);
}

/* Queue a host -> guest message; vector 0 fires on empty -> non-empty. */
static void host_send(struct vmbnet_host *h, const void *msg, uint32_t len)
{
	uint32_t slot;

	if (h->msgq_count == VMBNET_MSGQ_LEN) {
		h->stats.msgs_dropped++;
		host_guest_error(h, "host message queue full: guest does not pop MSG_RECV");
		return;
	}
	slot = (h->msgq_head + h->msgq_count) % VMBNET_MSGQ_LEN;
	memcpy(h->msgq[slot], msg, len);
	h->msgq_len[slot] = (uint16_t)len;
	h->msgq_count++;
	h->stats.msgs_out++;
	if (h->msgq_count == 1)
		h->ops->notify(h->opaque, VMB_PCI_VEC_CONTROL);
}

uint32_t vmbnet_host_pop(struct vmbnet_host *h, void *buf)
{
	uint32_t len;

	if (!h->msgq_count)
		return 0;
	len = h->msgq_len[h->msgq_head];
	memcpy(buf, h->msgq[h->msgq_head], len);
	h->msgq_head = (h->msgq_head + 1) % VMBNET_MSGQ_LEN;
	h->msgq_count--;
	return len;
}

/* The channel of @relid, if the guest may use it (offered, in Hyper-V's
 * model; not rescinded, in either).
 */
static struct vmbnet_channel *host_chan(struct vmbnet_host *h, uint32_t relid)
{
	if (relid < 1 || relid > h->nchan)
		return NULL;
	if ((h->subch_on_request || h->rescinded & (1u << (relid - 1))) &&
	    !(h->offered & (1u << (relid - 1))))
		return NULL;
	return &h->chan[relid - 1];
}

static struct vmbnet_gpadl *host_find_gpadl(struct vmbnet_host *h, uint32_t id)
{
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++)
		if (h->gpadl[i].id && h->gpadl[i].id == id)
			return &h->gpadl[i];
	return NULL;
}

const struct vmbnet_gpadl *vmbnet_host_gpadl(struct vmbnet_host *h, uint32_t relid, uint32_t id)
{
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);

	return g && g->created && g->relid == relid ? g : NULL;
}

const struct vmbnet_gpadl *vmbnet_host_gpadl_hold(struct vmbnet_host *h, uint32_t relid,
						  uint32_t id)
{
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);

	/* one use at a time (hostile-peers bug 8): never a ring and a buffer,
	 * or two buffers, at once
	 */
	if (!g || !g->created || g->relid != relid || g->users) {
		if (g)
			host_guest_error(h, "GPADL already in use, or not this channel's");
		return NULL;
	}
	g->users++;
	return g;
}

const struct vmbnet_gpadl *vmbnet_host_gpadl_share(struct vmbnet_host *h, uint32_t relid,
						   uint32_t id)
{
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);

	if (!g || !g->created || g->relid != relid || !g->users) {
		if (g)
			host_guest_error(h, "GPADL to share is not in use by its channel");
		return NULL;
	}
	g->users++;
	return g;
}

void vmbnet_host_gpadl_release(struct vmbnet_host *h, uint32_t id)
{
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);

	if (g && g->users)
		g->users--;
}

static void gpadl_free(struct vmbnet_host *h, struct vmbnet_gpadl *g)
{
	h->stats.gpadl_pages -= g->npages;
	free(g->pfns);
	free(g->sorted);
	memset(g, 0, sizeof(*g));
}

static int cmp_pfn(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Do two ascending pfn lists share a page? */
static bool pfns_meet(const uint64_t *a, uint32_t na, const uint64_t *b, uint32_t nb)
{
	uint32_t i = 0, j = 0;

	while (i < na && j < nb) {
		if (a[i] == b[j])
			return true;
		if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return false;
}

/*
 * A page may belong to one GPADL only, once: a ring that shares a page with
 * a receive buffer would have the host overwrite its own indices. Sorted
 * copies make the check linear per pair of GPADLs.
 */
static bool gpadl_overlaps(struct vmbnet_host *h, struct vmbnet_gpadl *g)
{
	g->sorted = malloc((size_t)g->npages * sizeof(uint64_t));
	if (!g->sorted)
		return true;
	memcpy(g->sorted, g->pfns, (size_t)g->npages * sizeof(uint64_t));
	qsort(g->sorted, g->npages, sizeof(uint64_t), cmp_pfn);
	for (uint32_t i = 1; i < g->npages; i++)
		if (g->sorted[i] == g->sorted[i - 1])
			return true;
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++) {
		struct vmbnet_gpadl *o = &h->gpadl[i];

		if (o != g && o->created && o->sorted &&
		    pfns_meet(g->sorted, g->npages, o->sorted, o->npages))
			return true;
	}
	return false;
}

static void send_gpadl_created(struct vmbnet_host *h, uint32_t relid, uint32_t id, int status)
{
	struct vmb_msg_gpadl_created m = {
		.hdr.msgtype = VMB_MSG_GPADL_CREATED,
		.child_relid = relid,
		.gpadl = id,
		.creation_status = (uint32_t)status,
	};

	host_send(h, &m, sizeof(m));
}

/*
 * Take @n more pfns of @g; check and create it once all are in.
 * Returns 1 when created, 0 when more pfns are due, or -errno after freeing
 * @g (counted as a guest error).
 */
static int gpadl_add_pfns(struct vmbnet_host *h, struct vmbnet_gpadl *g, const void *pfns,
			  uint32_t n)
{
	const char *why = NULL;
	int err = 0;

	if (n > g->npages - g->received) {
		why = "GPADL: more pfns than the range needs";
		err = -EINVAL;
		goto fail;
	}
	memcpy(g->pfns + g->received, pfns, (size_t)n * sizeof(uint64_t));
	g->received += n;
	if (g->received < g->npages)
		return 0;
	for (uint32_t i = 0; i < g->npages && !err; i++)
		if (!h->ops->page_ok(h->opaque, g->pfns[i]))
			err = -EFAULT;
	if (err) {
		why = "GPADL: pfn outside guest RAM";
		goto fail;
	}
	if (gpadl_overlaps(h, g)) {
		why = "GPADL: page listed twice or owned by another GPADL";
		err = -EEXIST;
		goto fail;
	}
	g->created = true;
	if (h->handler->gpadl_created && (err = h->handler->gpadl_created(h, g))) {
		if (err == -EINPROGRESS) {
			h->op.type = VMBNET_OP_GPADL_CREATED;
			h->op.relid = g->relid;
			h->op.id = g->id;
			return 2; /* vmbnet_host_op_done() answers */
		}
		why = "GPADL: the datapath could not take it";
		goto fail;
	}
	host_trace(h, "gpadl-created", g->id, g->npages);
	return 1;
fail:
	host_guest_error(h, why);
	gpadl_free(h, g);
	return err;
}

/* Feed pfns and answer the guest when the GPADL is done, either way. */
static void gpadl_feed(struct vmbnet_host *h, struct vmbnet_gpadl *g, const void *pfns, uint32_t n)
{
	uint32_t id = g->id, relid = g->relid;
	int ret = gpadl_add_pfns(h, g, pfns, n);

	if (ret && ret != 2)
		send_gpadl_created(h, relid, id, ret > 0 ? 0 : ret);
}

/* A free slot for a new GPADL, or NULL with *err set (and counted). */
static struct vmbnet_gpadl *gpadl_alloc(struct vmbnet_host *h, uint32_t relid, uint32_t id,
					uint32_t npages, int *err)
{
	struct vmbnet_gpadl *g = NULL;

	*err = -EINVAL;
	if (host_find_gpadl(h, id)) {
		host_guest_error(h, "GPADL_HEADER: handle already in use");
		return NULL;
	}
	if (npages > VMBNET_GPADL_MAX_PAGES ||
	    h->stats.gpadl_pages + npages > VMBNET_GPADL_TOTAL_PAGES) {
		host_guest_error(h, "GPADL_HEADER: over the GPADL memory cap");
		*err = -ENOSPC;
		return NULL;
	}
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS && !g; i++)
		if (!h->gpadl[i].id)
			g = &h->gpadl[i];
	if (!g) {
		host_guest_error(h, "GPADL_HEADER: too many GPADLs");
		*err = -ENOSPC;
		return NULL;
	}
	g->pfns = calloc(npages, sizeof(uint64_t));
	if (!g->pfns) {
		*err = -ENOMEM;
		return NULL;
	}
	g->id = id;
	g->relid = relid;
	g->npages = npages;
	h->stats.gpadl_pages += npages;
	return g;
}

static void msg_gpadl_header(struct vmbnet_host *h, const uint8_t *msg, uint32_t len)
{
	struct vmb_msg_gpadl_header m;
	struct vmb_gpa_range r;
	struct vmbnet_gpadl *g = NULL;
	uint32_t npages, n;
	int err = -EINVAL;

	if (len < GPADL_HDR_PFNS_OFF || (len - GPADL_HDR_PFNS_OFF) % sizeof(uint64_t)) {
		host_guest_error(h, "GPADL_HEADER: bad length");
		return; /* no handle to answer to */
	}
	memcpy(&m, msg, sizeof(m));
	memcpy(&r, msg + sizeof(m), sizeof(r));
	npages = VMB_GPA_RANGE_PFNS(r.byte_offset, r.byte_count);
	n = (len - GPADL_HDR_PFNS_OFF) / sizeof(uint64_t);
	if (!host_chan(h, m.child_relid) || !m.gpadl || m.range_count != 1 || r.byte_offset ||
	    !r.byte_count || r.byte_count % VMB_PAGE_SIZE ||
	    m.range_buflen != sizeof(r) + (uint64_t)npages * sizeof(uint64_t))
		host_guest_error(h, "GPADL_HEADER: bad relid, handle or range");
	else
		g = gpadl_alloc(h, m.child_relid, m.gpadl, npages, &err);
	if (!g) {
		if (m.gpadl)
			send_gpadl_created(h, m.child_relid, m.gpadl, err);
		return;
	}
	gpadl_feed(h, g, msg + GPADL_HDR_PFNS_OFF, n);
}

static void msg_gpadl_body(struct vmbnet_host *h, const uint8_t *msg, uint32_t len)
{
	struct vmb_msg_gpadl_body m;
	struct vmbnet_gpadl *g;

	if (len < GPADL_BODY_PFNS_OFF || (len - GPADL_BODY_PFNS_OFF) % sizeof(uint64_t)) {
		host_guest_error(h, "GPADL_BODY: bad length");
		return;
	}
	memcpy(&m, msg, sizeof(m));
	g = host_find_gpadl(h, m.gpadl);
	if (!g || g->created) {
		host_guest_error(h, "GPADL_BODY: no GPADL in creation with this handle");
		return;
	}
	if (m.msgnumber != g->next_body) {
		uint32_t id = g->id, relid = g->relid;

		host_guest_error(h, "GPADL_BODY: out of sequence");
		gpadl_free(h, g);
		send_gpadl_created(h, relid, id, -EINVAL);
		return;
	}
	g->next_body++;
	gpadl_feed(h, g, msg + GPADL_BODY_PFNS_OFF, (len - GPADL_BODY_PFNS_OFF) / sizeof(uint64_t));
}

static void gpadl_teardown_done(struct vmbnet_host *h, struct vmbnet_gpadl *g, int err)
{
	struct vmb_msg_gpadl_torndown r = { .hdr.msgtype = VMB_MSG_GPADL_TORNDOWN, .gpadl = g->id };

	if (err) {
		host_guest_error(h, "GPADL_TEARDOWN: GPADL still used by the datapath");
		return;
	}
	host_trace(h, "gpadl-torndown", g->id, g->npages);
	gpadl_free(h, g);
	host_send(h, &r, sizeof(r));
}

static void msg_gpadl_teardown(struct vmbnet_host *h, const uint8_t *msg, uint32_t len)
{
	struct vmb_msg_gpadl_teardown m;
	struct vmbnet_gpadl *g;
	int err;

	if (len < sizeof(m)) {
		host_guest_error(h, "GPADL_TEARDOWN: short");
		return;
	}
	memcpy(&m, msg, sizeof(m));
	g = host_find_gpadl(h, m.gpadl);
	if (!g || g->users) {
		host_guest_error(h, g ? "GPADL_TEARDOWN: GPADL still used by an open channel" :
					"GPADL_TEARDOWN: unknown handle");
		return;
	}
	err = h->handler->gpadl_teardown ? h->handler->gpadl_teardown(h, g) : 0;
	if (err == -EINPROGRESS) {
		h->op.type = VMBNET_OP_GPADL_TEARDOWN;
		h->op.id = m.gpadl;
		return;
	}
	gpadl_teardown_done(h, g, err);
}

/* Map the ring GPADL (physically contiguous) and attach both endpoints. */
static int chan_attach(struct vmbnet_channel *ch, struct vmbnet_gpadl *g, uint32_t down)
{
	struct vmbnet_host *h = ch->host;
	uint64_t up_len = (uint64_t)down * VMB_PAGE_SIZE;
	uint64_t down_len = (uint64_t)(g->npages - down) * VMB_PAGE_SIZE;

	if (down < 2 || g->npages - down < 2)
		return -EINVAL;
	for (uint32_t i = 1; i < g->npages; i++)
		if (g->pfns[i] != g->pfns[0] + i)
			return -EINVAL; /* vmbnet-pci wants contiguous ring memory */
	ch->ring_len = (uint64_t)g->npages * VMB_PAGE_SIZE;
	ch->ring_mem = h->ops->map(h->opaque, g->pfns[0] << VMB_PAGE_SHIFT, ch->ring_len);
	if (!ch->ring_mem)
		return -EFAULT;
	if (vmb_ring_attach_consumer(&ch->in, ch->ring_mem, up_len) ||
	    vmb_ring_attach_producer(&ch->out, (uint8_t *)ch->ring_mem + up_len, down_len)) {
		h->ops->unmap(h->opaque, ch->ring_mem, ch->ring_len);
		ch->ring_mem = NULL;
		return -EIO;
	}
	return 0;
}

static void chan_open_undo(struct vmbnet_channel *ch)
{
	struct vmbnet_host *h = ch->host;
	struct vmbnet_gpadl *g = host_find_gpadl(h, ch->gpadl);

	ch->state = VMBNET_CHAN_OFFERED;
	if (g && g->users)
		g->users--;
	h->ops->unmap(h->opaque, ch->ring_mem, ch->ring_len);
	ch->ring_mem = NULL;
	ch->gpadl = 0;
}

/* Open channel @relid on ring GPADL @id; 0, -EINPROGRESS (the handler
 * answers later) or -errno (counted).
 */
static int chan_open(struct vmbnet_host *h, uint32_t relid, uint32_t id, uint32_t down)
{
	struct vmbnet_channel *ch = host_chan(h, relid);
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);
	int err;

	if (!ch || ch->state != VMBNET_CHAN_OFFERED || !g || !g->created || g->relid != relid ||
	    g->users) {
		host_guest_error(h, "OPEN_CHANNEL: bad relid, state or ring GPADL (or one in use)");
		return -EINVAL;
	}
	err = chan_attach(ch, g, down);
	if (err) {
		host_guest_error(h, "OPEN_CHANNEL: ring GPADL unusable");
		return err;
	}
	memset(&ch->stats, 0, sizeof(ch->stats));
	ch->gpadl = g->id;
	g->users++;
	ch->state = VMBNET_CHAN_OPEN;
	err = h->handler->open(ch);
	if (err && err != -EINPROGRESS)
		chan_open_undo(ch);
	return err;
}

static void msg_open(struct vmbnet_host *h, const uint8_t *msg, uint32_t len)
{
	struct vmb_msg_open_channel m;
	struct vmb_msg_open_result r = { .hdr.msgtype = VMB_MSG_OPEN_RESULT };
	int err;

	if (len < sizeof(m)) {
		host_guest_error(h, "OPEN_CHANNEL: short");
		return;
	}
	memcpy(&m, msg, sizeof(m));
	r.child_relid = m.child_relid;
	r.openid = m.openid;
	err = chan_open(h, m.child_relid, m.ringbuffer_gpadl, m.downstream_ring_offset);
	if (err == -EINPROGRESS) {
		h->op.type = VMBNET_OP_OPEN;
		h->op.relid = m.child_relid;
		h->op.openid = m.openid;
		return;
	}
	host_trace(h, "channel-open", m.child_relid, (uint32_t)err);
	r.status = (uint32_t)err;
	host_send(h, &r, sizeof(r));
}

static void chan_close_finish(struct vmbnet_channel *ch)
{
	struct vmbnet_host *h = ch->host;
	struct vmbnet_gpadl *g;

	g = host_find_gpadl(h, ch->gpadl);
	if (g)
		g->users--;
	h->ops->unmap(h->opaque, ch->ring_mem, ch->ring_len);
	ch->ring_mem = NULL;
	ch->gpadl = 0;
	ch->state = VMBNET_CHAN_OFFERED;
	host_trace(h, "channel-closed", ch->relid, 0);
}

static void chan_close(struct vmbnet_channel *ch)
{
	struct vmbnet_host *h = ch->host;

	if (ch->state == VMBNET_CHAN_OFFERED)
		return;
	if (h->async_ok && h->handler->close_async) {
		if (h->handler->close_async(ch) == -EINPROGRESS) {
			/* one guest CLOSE may close several channels (the
			 * primary takes its subchannels along): each answers
			 */
			h->op.type = VMBNET_OP_CLOSE;
			h->op.closing |= 1u << ch->index;
			return;
		}
	} else {
		h->handler->close(ch);
	}
	chan_close_finish(ch);
}

static void rescind_subchannels(struct vmbnet_host *h);

static void msg_close(struct vmbnet_host *h, const uint8_t *msg, uint32_t len)
{
	struct vmb_msg_close_channel m;
	struct vmbnet_channel *ch;

	if (len < sizeof(m)) {
		host_guest_error(h, "CLOSE_CHANNEL: short");
		return;
	}
	memcpy(&m, msg, sizeof(m));
	ch = host_chan(h, m.child_relid);
	/* Linux's vmbus_close_internal() closes a channel the host rescinded:
	 * the channel the NIC's going away left open goes now; one already
	 * closed needs nothing.
	 */
	if (!ch && m.child_relid >= 1 && m.child_relid <= h->nchan &&
	    h->rescinded & (1u << (m.child_relid - 1))) {
		chan_close(&h->chan[m.child_relid - 1]);
		return;
	}
	if (!ch || ch->state == VMBNET_CHAN_OFFERED) {
		host_guest_error(h, "CLOSE_CHANNEL: channel not open");
		return;
	}
	/* Hyper-V's model: the subchannels go first, so that nothing still
	 * uses the primary's buffers when it lets go of them
	 */
	if (ch->index == 0 && h->subch_on_request)
		rescind_subchannels(h);
	chan_close(ch);
}

static void msg_initiate(struct vmbnet_host *h, const uint8_t *msg, uint32_t len)
{
	struct vmb_msg_initiate_contact m;
	struct vmb_msg_version_response r = { .hdr.msgtype = VMB_MSG_VERSION_RESPONSE };

	if (len < sizeof(m)) {
		host_guest_error(h, "INITIATE_CONTACT: short");
		return;
	}
	memcpy(&m, msg, sizeof(m));
	r.version_supported = m.version_requested == VMB_PROTO_VERSION_1_0;
	h->connected = r.version_supported;
	h->subch_on_request = r.version_supported && (m.flags & VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
	h->offered = 0;
	host_trace(h, "version", m.version_requested, r.version_supported);
	host_send(h, &r, sizeof(r));
}

/* Offer channel @i; in Hyper-V's model a subchannel carries its primary's
 * instance GUID (hv_vmbus matches a subchannel to its primary by type and
 * instance), in vmbnet's own each channel has its own.
 */
static void host_offer(struct vmbnet_host *h, uint32_t i)
{
	struct vmb_msg_offer o = { .hdr.msgtype = VMB_MSG_OFFER_CHANNEL };

	o.if_type = vmbnet_netvsc_guid;
	memcpy(o.if_instance.b, h->mac, sizeof(h->mac));
	o.if_instance.b[15] = h->subch_on_request ? 0 : (uint8_t)i;
	o.sub_channel_index = (uint16_t)i;
	o.child_relid = h->chan[i].relid;
	o.connection_id = i; /* = doorbell index */
	o.is_dedicated_interrupt = 1;
	h->offered |= 1u << i;
	h->rescinded &= ~(1u << i);
	host_send(h, &o, sizeof(o));
}

/* Close channel @i if open and take it back from the guest. */
static void host_rescind(struct vmbnet_host *h, uint32_t i)
{
	struct vmb_msg_rescind_offer r = { .hdr.msgtype = VMB_MSG_RESCIND_OFFER };

	chan_close(&h->chan[i]);
	h->offered &= ~(1u << i);
	h->rescinded |= 1u << i;
	r.child_relid = h->chan[i].relid;
	host_trace(h, "channel-rescinded", r.child_relid, 0);
	host_send(h, &r, sizeof(r));
}

static void msg_request_offers(struct vmbnet_host *h)
{
	struct vmb_msg_hdr done = { .msgtype = VMB_MSG_ALL_OFFERS_DELIVERED };

	if (!h->connected) {
		host_guest_error(h, "REQUEST_OFFERS before INITIATE_CONTACT");
		return;
	}
	for (uint32_t i = 0; !h->absent && i < (h->subch_on_request ? 1 : h->nchan); i++)
		host_offer(h, i);
	host_send(h, &done, sizeof(done));
}

/*
 * The NIC goes: each offered channel is rescinded, subchannels first, but an
 * open one stays open and served until the guest closes it. The guest goes
 * on sending until it has seen the rescind (Linux sets channel->rescind in
 * a work item, vmbus_onoffer_rescind()), and hv_netvsc's remove waits for
 * every send's completion with no timeout: closing at once would strand
 * what it sends meanwhile.
 */
void vmbnet_host_set_present(struct vmbnet_host *h, bool present)
{
	bool async = h->async_ok;

	if (h->absent == !present)
		return;
	h->absent = !present;
	host_trace(h, present ? "present" : "absent", 0, 0);
	if (!h->connected)
		return; /* REQUEST_OFFERS will say */
	if (!present) {
		for (uint32_t i = h->nchan; i-- > 0;) {
			struct vmb_msg_rescind_offer r = { .hdr.msgtype = VMB_MSG_RESCIND_OFFER };

			if (!(h->offered & (1u << i)))
				continue;
			h->offered &= ~(1u << i);
			h->rescinded |= 1u << i;
			r.child_relid = h->chan[i].relid;
			host_trace(h, "channel-rescinded", r.child_relid, 0);
			host_send(h, &r, sizeof(r));
		}
		return;
	}
	/* a guest that never closed what went away: closed now, not reoffered open */
	h->async_ok = false;
	for (uint32_t i = 0; i < h->nchan; i++)
		if (h->rescinded & (1u << i))
			chan_close(&h->chan[i]);
	h->async_ok = async;
	for (uint32_t i = 0; i < (h->subch_on_request ? 1 : h->nchan); i++)
		host_offer(h, i);
}

uint32_t vmbnet_host_offer_subchannels(struct vmbnet_host *h, uint32_t want)
{
	uint32_t n = want < h->nchan - 1 ? want : h->nchan - 1;

	if (!h->subch_on_request)
		return 0;
	if (h->ops->offer_subchannels) {
		h->ops->offer_subchannels(h->opaque, n);
		return n;
	}
	for (uint32_t i = 1; i <= n; i++)
		if (!(h->offered & (1u << i)))
			host_offer(h, i);
	host_trace(h, "subchannels-offered", want, n);
	return n;
}

/*
 * Closing the primary in Hyper-V's model takes its subchannels with it: each
 * is closed and rescinded, and a later subchannel request offers them anew
 * (Linux hv_vmbus handles a subchannel's rescind during or after the close
 * sequence, vmbus_onoffer_rescind(); hv_netvsc asks again on each attach).
 */
static void rescind_subchannels(struct vmbnet_host *h)
{
	for (uint32_t i = 1; i < h->nchan; i++)
		if (h->offered & (1u << i))
			host_rescind(h, i);
}

static void host_dispatch(struct vmbnet_host *h, const void *msg, uint32_t len)
{
	struct vmb_msg_hdr hdr;
	struct vmb_msg_hdr unload = { .msgtype = VMB_MSG_UNLOAD_RESPONSE };

	memcpy(&hdr, msg, sizeof(hdr));
	if (!h->connected && hdr.msgtype != VMB_MSG_INITIATE_CONTACT) {
		host_guest_error(h, "message before INITIATE_CONTACT");
		return;
	}
	switch (hdr.msgtype) {
	case VMB_MSG_INITIATE_CONTACT:
		msg_initiate(h, msg, len);
		break;
	case VMB_MSG_REQUEST_OFFERS:
		msg_request_offers(h);
		break;
	case VMB_MSG_GPADL_HEADER:
		msg_gpadl_header(h, msg, len);
		break;
	case VMB_MSG_GPADL_BODY:
		msg_gpadl_body(h, msg, len);
		break;
	case VMB_MSG_GPADL_TEARDOWN:
		msg_gpadl_teardown(h, msg, len);
		break;
	case VMB_MSG_OPEN_CHANNEL:
		msg_open(h, msg, len);
		break;
	case VMB_MSG_CLOSE_CHANNEL:
		msg_close(h, msg, len);
		break;
	case VMB_MSG_UNLOAD:
		h->async_ok = false; /* the reset below finishes every channel now */
		vmbnet_host_reset(h);
		host_send(h, &unload, sizeof(unload));
		break;
	default:
		host_guest_error(h, "unknown channel message type");
		break;
	}
}

/* Handle the guest's waiting messages until one needs a deferred answer. */
static void host_drain(struct vmbnet_host *h)
{
	uint8_t msg[VMB_MSG_MAX];
	uint32_t len;

	while (!h->dispatching && h->op.type == VMBNET_OP_NONE && h->inq_count) {
		len = h->inq_len[h->inq_head];
		memcpy(msg, h->inq[h->inq_head], len);
		h->inq_head = (h->inq_head + 1) % VMBNET_INQ_LEN;
		h->inq_count--;
		h->dispatching = h->async_ok = true;
		host_dispatch(h, msg, len);
		h->dispatching = h->async_ok = false;
	}
}

void vmbnet_host_message(struct vmbnet_host *h, const void *msg, uint32_t len)
{
	h->stats.msgs_in++;
	if (len < sizeof(struct vmb_msg_hdr) || len > VMB_MSG_MAX) {
		host_guest_error(h, "message length out of range");
		return;
	}
	/* in order: behind a deferred answer, or one being handled */
	if (h->inq_count == VMBNET_INQ_LEN) {
		host_guest_error(h, "messages while the host answers: queue full, dropped");
		return;
	}
	memcpy(h->inq[(h->inq_head + h->inq_count) % VMBNET_INQ_LEN], msg, len);
	h->inq_len[(h->inq_head + h->inq_count) % VMBNET_INQ_LEN] = (uint16_t)len;
	h->inq_count++;
	host_drain(h);
}

void vmbnet_host_op_done(struct vmbnet_host *h, enum vmbnet_host_op op, int result)
{
	struct vmb_msg_open_result r = { .hdr.msgtype = VMB_MSG_OPEN_RESULT };
	struct vmbnet_channel *ch = host_chan(h, h->op.relid);
	struct vmbnet_gpadl *g = host_find_gpadl(h, h->op.id);

	if (op == VMBNET_OP_NONE || h->op.type != op)
		return; /* reset meanwhile */
	h->op.type = VMBNET_OP_NONE;
	switch (op) {
	case VMBNET_OP_OPEN:
		if (result && ch && ch->state != VMBNET_CHAN_OFFERED)
			chan_open_undo(ch);
		r.child_relid = h->op.relid;
		r.openid = h->op.openid;
		r.status = (uint32_t)result;
		host_trace(h, "channel-open", h->op.relid, (uint32_t)result);
		host_send(h, &r, sizeof(r));
		break;
	case VMBNET_OP_GPADL_CREATED:
		if (g && result) {
			host_guest_error(h, "GPADL: the datapath could not take it");
			gpadl_free(h, g);
		} else if (g) {
			host_trace(h, "gpadl-created", g->id, g->npages);
		}
		send_gpadl_created(h, h->op.relid, h->op.id, result);
		break;
	case VMBNET_OP_GPADL_TEARDOWN:
		if (g)
			gpadl_teardown_done(h, g, result);
		break;
	case VMBNET_OP_CLOSE:
		for (uint32_t i = 0; i < h->nchan; i++)
			if (h->op.closing & (1u << i) && h->chan[i].state != VMBNET_CHAN_OFFERED)
				chan_close_finish(&h->chan[i]);
		h->op.closing = 0;
		break;
	default:
		break;
	}
	host_drain(h);
}

void vmbnet_host_close_done(struct vmbnet_host *h, uint32_t index)
{
	if (h->op.type != VMBNET_OP_CLOSE || index >= h->nchan || !(h->op.closing & (1u << index)))
		return; /* reset meanwhile */
	h->op.closing &= ~(1u << index);
	if (h->chan[index].state != VMBNET_CHAN_OFFERED)
		chan_close_finish(&h->chan[index]);
	if (h->op.closing)
		return;
	h->op.type = VMBNET_OP_NONE;
	host_drain(h);
}

void vmbnet_host_doorbell(struct vmbnet_host *h, uint32_t index)
{
	struct vmbnet_channel *ch;

	if (index >= h->nchan) {
		host_guest_error(h, "doorbell of a channel the device does not have");
		return;
	}
	ch = &h->chan[index];
	ch->stats.doorbells++;
	if (ch->state != VMBNET_CHAN_OPEN) {
		ch->stats.doorbells_spurious++;
		return;
	}
	h->handler->doorbell(ch);
}

void vmbnet_chan_notify(struct vmbnet_channel *ch)
{
	ch->stats.interrupts++;
	ch->host->ops->notify(ch->host->opaque, VMB_PCI_VEC_CHANNEL(ch->index));
}

void vmbnet_chan_guest_error(struct vmbnet_channel *ch, const char *what, bool fatal)
{
	host_guest_error(ch->host, what);
	if (fatal && ch->state == VMBNET_CHAN_OPEN) {
		ch->state = VMBNET_CHAN_BROKEN;
		host_trace(ch->host, "channel-broken", ch->relid, 0);
	}
}

void vmbnet_host_reset(struct vmbnet_host *h)
{
	bool async = h->async_ok;

	/* a deferred answer still to come is for a device that is gone */
	h->op.type = VMBNET_OP_NONE;
	h->op.closing = 0;
	h->inq_head = h->inq_count = 0;
	h->async_ok = false; /* every channel closes now */
	for (uint32_t i = 0; i < h->nchan; i++)
		chan_close(&h->chan[i]);
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++) {
		if (!h->gpadl[i].id)
			continue;
		if (h->gpadl[i].created && h->handler->gpadl_teardown)
			h->handler->gpadl_teardown(h, &h->gpadl[i]); /* all closed: cannot refuse */
		gpadl_free(h, &h->gpadl[i]);
	}
	h->connected = false;
	h->subch_on_request = false;
	h->offered = h->rescinded = 0;
	h->msgq_head = h->msgq_count = 0;
	h->async_ok = async;
	host_trace(h, "reset", 0, 0);
}

int vmbnet_host_init(struct vmbnet_host *h, uint32_t nchan, const uint8_t mac[6],
		     const struct vmbnet_host_ops *ops, void *opaque,
		     const struct vmbnet_chan_handler *handler)
{
	if (!nchan || nchan > VMB_PCI_MAX_CHANNELS || !ops || !ops->map || !ops->unmap ||
	    !ops->page_ok || !ops->notify || !handler)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->ops = ops;
	h->opaque = opaque;
	h->handler = handler;
	h->nchan = nchan;
	memcpy(h->mac, mac, sizeof(h->mac));
	for (uint32_t i = 0; i < nchan; i++) {
		h->chan[i].host = h;
		h->chan[i].index = i;
		h->chan[i].relid = i + 1;
	}
	return 0;
}

/*
 * Is the migrated state one the host could have been in? A stream is as
 * untrusted as the guest (it may come from anywhere): every count, index,
 * length and state is checked before anything is mapped or indexed by it.
 */
static const char *state_invalid(const struct vmbnet_host *h, uint64_t *total_pages)
{
	uint64_t pages = 0;

	if (h->msgq_head >= VMBNET_MSGQ_LEN || h->msgq_count > VMBNET_MSGQ_LEN)
		return "message queue position";
	for (uint32_t i = 0; i < h->msgq_count; i++) {
		uint16_t len = h->msgq_len[(h->msgq_head + i) % VMBNET_MSGQ_LEN];

		if (len < sizeof(struct vmb_msg_hdr) || len > VMBNET_MSG_SLOT)
			return "queued message length";
	}
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++) {
		const struct vmbnet_gpadl *g = &h->gpadl[i];

		if (!g->id && (g->npages || g->pfns))
			return "free GPADL slot with pages"; /* found by fuzz_restore */
		if (!g->id)
			continue;
		if (!g->npages || g->npages > VMBNET_GPADL_MAX_PAGES || g->received > g->npages ||
		    (g->created && g->received != g->npages) || !g->pfns ||
		    g->users > (g->created ? 1 : 0))
			return "GPADL";
		for (unsigned int j = 0; j < i; j++)
			if (h->gpadl[j].id == g->id)
				return "GPADL id twice";
		for (uint32_t k = 0; k < g->received; k++)
			if (!h->ops->page_ok(h->opaque, g->pfns[k]))
				return "GPADL page outside guest RAM";
		pages += g->npages;
	}
	if (pages > VMBNET_GPADL_TOTAL_PAGES)
		return "GPADL pages in all";
	*total_pages = pages;
	for (uint32_t i = 0; i < h->nchan; i++) {
		const struct vmbnet_channel *ch = &h->chan[i];

		if (ch->state > VMBNET_CHAN_BROKEN)
			return "channel state";
		if (ch->state != VMBNET_CHAN_OFFERED &&
		    !host_find_gpadl((struct vmbnet_host *)h, ch->gpadl))
			return "channel ring GPADL";
	}
	return NULL;
}

int vmbnet_host_post_load(struct vmbnet_host *h)
{
	uint64_t pages = 0;
	const char *why = state_invalid(h, &pages);
	int err = 0;

	if (why) {
		/* nothing of it is used: the device starts over, as after reset */
		host_guest_error(h, why);
		h->msgq_head = h->msgq_count = 0;
		for (uint32_t i = 0; i < h->nchan; i++)
			h->chan[i].state = VMBNET_CHAN_OFFERED;
		for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++) {
			h->gpadl[i].created = false;
			if (!h->gpadl[i].id) /* reset skips free slots */
				gpadl_free(h, &h->gpadl[i]);
		}
		vmbnet_host_reset(h);
		h->stats.gpadl_pages = 0;
		return -EINVAL;
	}
	h->stats.gpadl_pages = pages; /* counters are not migrated */
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS; i++) {
		struct vmbnet_gpadl *g = &h->gpadl[i];

		if (!g->id || !g->created || !g->pfns)
			continue;
		free(g->sorted);
		g->sorted = NULL;
		gpadl_overlaps(h, g); /* rebuilds g->sorted; the state was valid */
	}
	for (uint32_t i = 0; i < h->nchan; i++) {
		struct vmbnet_channel *ch = &h->chan[i];
		struct vmbnet_gpadl *g = host_find_gpadl(h, ch->gpadl);

		ch->ring_mem = NULL;
		if (ch->state == VMBNET_CHAN_OFFERED)
			continue;
		if (!g || !g->pfns || (uint64_t)g->npages * VMB_PAGE_SIZE != ch->ring_len ||
		    (uint64_t)ch->in.size + ch->out.size + 2 * VMB_PAGE_SIZE != ch->ring_len)
			ch->ring_mem = NULL;
		else
			ch->ring_mem =
				h->ops->map(h->opaque, g->pfns[0] << VMB_PAGE_SHIFT, ch->ring_len);
		if (!ch->ring_mem) {
			ch->state = VMBNET_CHAN_OFFERED; /* nothing to serve from */
			ch->gpadl = 0;
			err = -EFAULT;
			continue;
		}
		/* The migrated sizes were checked against ring_len above. */
		if (vmb_ring_rebind(&ch->in, ch->ring_mem, VMB_PAGE_SIZE + (uint64_t)ch->in.size) ||
		    vmb_ring_rebind(&ch->out, (uint8_t *)ch->ring_mem + VMB_PAGE_SIZE + ch->in.size,
				    VMB_PAGE_SIZE + (uint64_t)ch->out.size))
			err = -EIO; /* the channel stays, broken: the guest sees it fail */
	}
	return err;
}

void vmbnet_host_fini(struct vmbnet_host *h)
{
	vmbnet_host_reset(h);
}

/* ---- mirroring another control plane (hand-off backends) ---------------- */

int vmbnet_host_import_gpadl(struct vmbnet_host *h, uint32_t relid, uint32_t id, uint32_t npages,
			     uint32_t first, uint32_t count, const uint64_t *pfns)
{
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);
	int err;

	if (!g && first == 0) {
		if (!host_chan(h, relid) || !id || !npages) {
			host_guest_error(h, "hand-off GPADL: bad relid, handle or size");
			return -EINVAL;
		}
		g = gpadl_alloc(h, relid, id, npages, &err);
		if (!g)
			return err;
	}
	if (!g || g->created || g->relid != relid || g->npages != npages || g->received != first ||
	    !count) {
		host_guest_error(h, "hand-off GPADL: piece out of sequence");
		if (g && !g->created)
			gpadl_free(h, g);
		return -EINVAL;
	}
	err = gpadl_add_pfns(h, g, pfns, count);
	return err < 0 ? err : 0;
}

int vmbnet_host_import_teardown(struct vmbnet_host *h, uint32_t id)
{
	struct vmbnet_gpadl *g = host_find_gpadl(h, id);

	if (!g || g->users) {
		host_guest_error(h, "hand-off GPADL teardown: unknown or in use");
		return g ? -EBUSY : -ENOENT;
	}
	if (h->handler->gpadl_teardown && h->handler->gpadl_teardown(h, g))
		return -EBUSY;
	gpadl_free(h, g);
	return 0;
}

int vmbnet_host_import_open(struct vmbnet_host *h, uint32_t index, uint32_t gpadl,
			    uint32_t downstream_offset)
{
	if (index >= h->nchan)
		return -EINVAL;
	if (h->chan[index].state != VMBNET_CHAN_OFFERED)
		return -EBUSY;
	return chan_open(h, index + 1, gpadl, downstream_offset);
}

int vmbnet_host_import_close(struct vmbnet_host *h, uint32_t index)
{
	if (index >= h->nchan || h->chan[index].state == VMBNET_CHAN_OFFERED)
		return -EINVAL;
	chan_close(&h->chan[index]);
	return 0;
}
