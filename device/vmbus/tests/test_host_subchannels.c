// SPDX-License-Identifier: MIT
/*
 * Hyper-V's offer model (VMB_CONTACT_SUBCHANNELS_ON_REQUEST) against a fake
 * guest: the primary alone at REQUEST_OFFERS, subchannels offered on
 * request with the primary's instance, unoffered ones refused, the
 * subchannels closed and rescinded (before the primary) when the primary
 * closes; and vmbnet's own model unchanged (every channel at once, none on
 * request).
 */
#include "fake_guest.h"

static unsigned int closes[VMB_PCI_MAX_CHANNELS], order[2 * VMB_PCI_MAX_CHANNELS], norder;

static int rec_open(struct vmbnet_channel *ch)
{
	return 0;
}

static unsigned int doorbells;

static void rec_doorbell(struct vmbnet_channel *ch)
{
	doorbells++;
}

static void rec_close(struct vmbnet_channel *ch)
{
	closes[ch->index]++;
	order[norder++] = ch->index;
}

static const struct vmbnet_chan_handler rec = {
	.open = rec_open,
	.doorbell = rec_doorbell,
	.close = rec_close,
};
static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static void contact(struct vmbnet_host *h, uint32_t flags)
{
	struct vmb_msg_initiate_contact m = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
		.flags = flags,
	};
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	struct vmb_msg_version_response r;

	vmbnet_host_message(h, &m, sizeof(m));
	VT_EQ(fg_pop(h, &r), VMB_MSG_VERSION_RESPONSE);
	VT_EQ(r.version_supported, 1);
	vmbnet_host_message(h, &req, sizeof(req));
}

/* Hyper-V's model, the primary and two subchannels open on GPADLs 10..12
 * over @pfn[0..2]; every host message popped.
 */
static void three_open(struct vmbnet_host *h, struct fake_guest *g, uint64_t pfn[3])
{
	contact(h, VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
	while (fg_pop(h, NULL))
		;
	VT_EQ(vmbnet_host_offer_subchannels(h, 2), 2);
	while (fg_pop(h, NULL))
		;
	for (uint32_t i = 0; i < 3; i++) {
		pfn[i] = fg_alloc(g, 4);
		VT_EQ(fg_gpadl_contig(h, i + 1, 10 + i, pfn[i], 4), 0);
		VT_EQ(fg_open(h, g, i + 1, 10 + i, pfn[i], 2, 2), 0);
	}
}

static void primary_alone_at_boot(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_offer o;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 4, mac, &fake_guest_ops, &g, &rec), 0);
	contact(&h, VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
	VT_EQ(fg_pop(&h, &o), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(o.child_relid, 1);
	VT_EQ(o.sub_channel_index, 0);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_ALL_OFFERS_DELIVERED);
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_EQ(vmbnet_host_max_queues(&h), 4);
	VT_EQ(h.offered, 1u);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void offered_on_request(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_offer p, o;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 4, mac, &fake_guest_ops, &g, &rec), 0);
	contact(&h, VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
	VT_EQ(fg_pop(&h, &p), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_ALL_OFFERS_DELIVERED);

	VT_EQ(vmbnet_host_offer_subchannels(&h, 2), 2);
	for (uint32_t i = 1; i <= 2; i++) {
		VT_EQ(fg_pop(&h, &o), VMB_MSG_OFFER_CHANNEL);
		VT_EQ(o.sub_channel_index, i);
		VT_EQ(o.child_relid, i + 1);
		VT_EQ(o.connection_id, i);
		VT_CHECK(!memcmp(&o.if_instance, &p.if_instance, sizeof(o.if_instance)));
		VT_CHECK(!memcmp(&o.if_type, &p.if_type, sizeof(o.if_type)));
	}
	VT_EQ(fg_pop(&h, NULL), 0);
	/* asked again: the two stand, one more is offered, never past nchan */
	VT_EQ(vmbnet_host_offer_subchannels(&h, 7), 3);
	VT_EQ(fg_pop(&h, &o), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(o.sub_channel_index, 3);
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_EQ(vmbnet_host_offer_subchannels(&h, 3), 3);
	VT_EQ(fg_pop(&h, NULL), 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void unoffered_refused(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_gpadl_created c;
	uint8_t msg[VMB_MSG_MAX];
	struct vmb_msg_gpadl_header hdr = {
		.hdr.msgtype = VMB_MSG_GPADL_HEADER,
		.child_relid = 2,
		.gpadl = 9,
		.range_count = 1,
		.range_buflen = sizeof(struct vmb_gpa_range) + 8,
	};
	struct vmb_gpa_range r = { .byte_count = VMB_PAGE_SIZE };
	uint64_t pfn;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 2, mac, &fake_guest_ops, &g, &rec), 0);
	contact(&h, VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
	while (fg_pop(&h, NULL))
		;
	pfn = fg_alloc(&g, 1);
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), &r, sizeof(r));
	memcpy(msg + sizeof(hdr) + sizeof(r), &pfn, 8);
	vmbnet_host_message(&h, msg, sizeof(hdr) + sizeof(r) + 8);
	VT_EQ(g.errors, 1);
	VT_CHECK(fg_pop(&h, &c) != VMB_MSG_GPADL_CREATED || c.creation_status);
	/* once offered, the same request goes through */
	VT_EQ(vmbnet_host_offer_subchannels(&h, 1), 1);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(fg_gpadl_contig(&h, 2, 9, pfn, 1), 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void primary_close_rescinds(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_close_channel cl = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
					    .child_relid = 1 };
	struct vmb_msg_rescind_offer rs;
	uint64_t pfn[3];

	fg_init(&g);
	memset(closes, 0, sizeof(closes));
	norder = 0;
	VT_EQ(vmbnet_host_init(&h, 3, mac, &fake_guest_ops, &g, &rec), 0);
	three_open(&h, &g, pfn);
	vmbnet_host_message(&h, &cl, sizeof(cl));
	/* subchannels first, then the primary; each subchannel rescinded */
	VT_EQ(norder, 3);
	VT_EQ(order[0], 1);
	VT_EQ(order[1], 2);
	VT_EQ(order[2], 0);
	for (uint32_t i = 2; i <= 3; i++) {
		VT_EQ(fg_pop(&h, &rs), VMB_MSG_RESCIND_OFFER);
		VT_EQ(rs.child_relid, i);
	}
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_EQ(h.offered, 1u);
	/* asked again after the primary reopens: offered anew */
	VT_EQ(fg_open(&h, &g, 1, 10, pfn[0], 2, 2), 0);
	VT_EQ(vmbnet_host_offer_subchannels(&h, 2), 2);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(g.errors, 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void own_model_unchanged(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_close_channel cl = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
					    .child_relid = 1 };
	uint64_t pfn;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 3, mac, &fake_guest_ops, &g, &rec), 0);
	contact(&h, 0);
	for (uint32_t i = 0; i < 3; i++)
		VT_EQ(fg_pop(&h, NULL), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_ALL_OFFERS_DELIVERED);
	VT_EQ(vmbnet_host_offer_subchannels(&h, 2), 0);
	VT_EQ(vmbnet_host_max_queues(&h), 1);
	VT_EQ(fg_pop(&h, NULL), 0);
	pfn = fg_alloc(&g, 4);
	VT_EQ(fg_gpadl_contig(&h, 1, 3, pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 3, pfn, 2, 2), 0);
	vmbnet_host_message(&h, &cl, sizeof(cl));
	VT_EQ(fg_pop(&h, NULL), 0); /* no rescind */
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static int defer_close(struct vmbnet_channel *ch)
{
	rec_close(ch);
	return -EINPROGRESS;
}

static const struct vmbnet_chan_handler deferring = {
	.open = rec_open,
	.doorbell = rec_doorbell,
	.close = rec_close,
	.close_async = defer_close,
};

/*
 * Regression (real-clients issue, datapath B): the host kept one deferred
 * answer per guest message, so when the primary's CLOSE took its
 * subchannels along and every close was answered later (an external
 * backend), each overwrote the one before: only the primary finished, the
 * subchannels stayed half closed. Every channel answers now, and the
 * guest's next message waits for all of them.
 */
static void deferred_primary_close_waits_for_every_channel(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_close_channel cl = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
					    .child_relid = 1 };
	struct vmb_msg_gpadl_teardown td = { .hdr.msgtype = VMB_MSG_GPADL_TEARDOWN,
					     .child_relid = 1,
					     .gpadl = 10 };
	struct vmb_msg_gpadl_torndown tdone;
	uint64_t pfn[3];

	fg_init(&g);
	norder = 0;
	VT_EQ(vmbnet_host_init(&h, 3, mac, &fake_guest_ops, &g, &deferring), 0);
	three_open(&h, &g, pfn);
	vmbnet_host_message(&h, &cl, sizeof(cl));
	vmbnet_host_message(&h, &td, sizeof(td)); /* waits behind the closes */
	VT_EQ(norder, 3);
	VT_EQ(h.op.type, VMBNET_OP_CLOSE);
	VT_EQ(h.op.closing, 7u);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_RESCIND_OFFER);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_RESCIND_OFFER);
	VT_EQ(fg_pop(&h, NULL), 0);
	vmbnet_host_close_done(&h, 2);
	vmbnet_host_close_done(&h, 2); /* twice: the second is ignored */
	VT_EQ(h.chan[2].state, VMBNET_CHAN_OFFERED);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OPEN);
	vmbnet_host_close_done(&h, 0);
	VT_EQ(fg_pop(&h, NULL), 0); /* channel 1 still closing */
	vmbnet_host_close_done(&h, 1);
	for (uint32_t i = 0; i < 3; i++)
		VT_EQ(h.chan[i].state, VMBNET_CHAN_OFFERED);
	VT_EQ(h.op.type, VMBNET_OP_NONE);
	VT_EQ(fg_pop(&h, &tdone), VMB_MSG_GPADL_TORNDOWN);
	VT_EQ(tdone.gpadl, 10);
	VT_EQ(g.errors, 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static uint32_t offers_asked;

static void rec_offer(void *opaque, uint32_t count)
{
	offers_asked = count;
}

/* A host that leaves the offers to its embedder (a backend's mirror):
 * it says how many there are and sends none itself.
 */
static void offers_left_to_embedder(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmbnet_host_ops ops = fake_guest_ops;

	ops.offer_subchannels = rec_offer;
	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 4, mac, &ops, &g, &rec), 0);
	contact(&h, VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
	while (fg_pop(&h, NULL))
		;
	VT_EQ(vmbnet_host_offer_subchannels(&h, 9), 3);
	VT_EQ(offers_asked, 3);
	VT_EQ(vmbnet_host_offer_subchannels(&h, 1), 1);
	VT_EQ(offers_asked, 1);
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_EQ(h.offered, 1u);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

/*
 * The NIC goes away (present false) with the primary and two subchannels
 * open, as a synthetic NIC removed from a running Hyper-V VM, and comes
 * back. Regression (real-clients issue, device_goes_away): the host closed
 * the channels as it rescinded them, so the sends hv_netvsc made before it
 * saw the rescind were never completed and its remove waited for them
 * forever (rndis_filter_device_remove). A rescinded channel stays open and
 * served until the guest closes it.
 */
static void nic_goes_away_and_comes_back(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_close_channel cl = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
					    .child_relid = 1 };
	struct vmb_msg_gpadl_teardown td = { .hdr.msgtype = VMB_MSG_GPADL_TEARDOWN,
					     .child_relid = 1,
					     .gpadl = 10 };
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	struct vmb_msg_rescind_offer rs;
	struct vmb_msg_offer o;
	uint64_t pfn[3];

	fg_init(&g);
	norder = 0;
	VT_EQ(vmbnet_host_init(&h, 3, mac, &fake_guest_ops, &g, &rec), 0);
	three_open(&h, &g, pfn);
	vmbnet_host_set_present(&h, false);
	/* every channel rescinded, the subchannels before the primary; open still */
	VT_EQ(norder, 0);
	for (uint32_t i = 0; i < 3; i++) {
		VT_EQ(fg_pop(&h, &rs), VMB_MSG_RESCIND_OFFER);
		VT_EQ(rs.child_relid, 3 - i);
		VT_EQ(h.chan[i].state, VMBNET_CHAN_OPEN);
	}
	VT_EQ(h.offered, 0u);
	vmbnet_host_doorbell(&h, 2); /* served until closed */
	VT_EQ(doorbells, 1);
	/* the driver's remove: each channel's CLOSE, then the teardown */
	for (uint32_t relid = 3; relid >= 1; relid--) {
		cl.child_relid = relid;
		vmbnet_host_message(&h, &cl, sizeof(cl));
		VT_EQ(h.chan[relid - 1].state, VMBNET_CHAN_OFFERED);
	}
	VT_EQ(norder, 3);
	VT_EQ(order[2], 0);
	vmbnet_host_message(&h, &cl, sizeof(cl)); /* again: nothing to close, no complaint */
	vmbnet_host_message(&h, &td, sizeof(td));
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_GPADL_TORNDOWN);
	VT_EQ(g.errors, 0);
	/* the rescinded channel is not the guest's any more */
	VT_CHECK(fg_open(&h, &g, 2, 11, pfn[1], 2, 2) != 0 || g.errors);
	g.errors = 0;
	/* nothing on offer while the NIC is away, not even after a reconnect */
	vmbnet_host_message(&h, &req, sizeof(req));
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_ALL_OFFERS_DELIVERED);
	vmbnet_host_set_present(&h, true);
	VT_EQ(fg_pop(&h, &o), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(o.child_relid, 1);
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_EQ(h.offered, 1u);
	VT_EQ(fg_gpadl_contig(&h, 1, 20, pfn[0], 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 20, pfn[0], 2, 2), 0);
	VT_EQ(g.errors, 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

/* vmbnet's own model: every channel goes, and every one comes back. */
static void own_model_nic_goes_away(void)
{
	struct fake_guest g;
	struct vmbnet_host h;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 3, mac, &fake_guest_ops, &g, &rec), 0);
	contact(&h, 0);
	while (fg_pop(&h, NULL))
		;
	vmbnet_host_set_present(&h, false);
	vmbnet_host_set_present(&h, false); /* once is enough */
	for (uint32_t i = 0; i < 3; i++)
		VT_EQ(fg_pop(&h, NULL), VMB_MSG_RESCIND_OFFER);
	VT_EQ(fg_pop(&h, NULL), 0);
	vmbnet_host_reset(&h); /* a reset does not bring it back */
	contact(&h, 0);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_ALL_OFFERS_DELIVERED);
	vmbnet_host_set_present(&h, true);
	for (uint32_t i = 0; i < 3; i++)
		VT_EQ(fg_pop(&h, NULL), VMB_MSG_OFFER_CHANNEL);
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_EQ(h.offered, 7u);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static const struct vt_case cases[] = {
	VT_CASE(primary_alone_at_boot),	  VT_CASE(offered_on_request),
	VT_CASE(unoffered_refused),	  VT_CASE(primary_close_rescinds),
	VT_CASE(own_model_unchanged),	  VT_CASE(deferred_primary_close_waits_for_every_channel),
	VT_CASE(offers_left_to_embedder), VT_CASE(nic_goes_away_and_comes_back),
	VT_CASE(own_model_nic_goes_away),
};

VT_MAIN(cases)
