// SPDX-License-Identifier: MIT
/*
 * The control plane end to end against a fake guest: version negotiation,
 * offers, GPADLs (one message and split over bodies), channel open with the
 * rings attached, doorbells reaching the datapath, close, teardown, unload,
 * reset. Exact message contents, statuses and call counts.
 */
#include "fake_guest.h"

static struct {
	unsigned int open, doorbell, close;
	int open_ret;
} calls;

static int rec_open(struct vmbnet_channel *ch)
{
	calls.open++;
	return calls.open_ret;
}

static void rec_doorbell(struct vmbnet_channel *ch)
{
	calls.doorbell++;
}

static void rec_close(struct vmbnet_channel *ch)
{
	calls.close++;
}

static const struct vmbnet_chan_handler rec = {
	.open = rec_open,
	.doorbell = rec_doorbell,
	.close = rec_close,
};
static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static void version_and_offers(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_initiate_contact bad = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = 0x00050000,
	};
	struct vmb_msg_version_response vr;
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	struct vmb_msg_offer o;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 3, mac, &fake_guest_ops, &g, &rec), 0);

	/* Anything before contact is refused and counted. */
	vmbnet_host_message(&h, &req, sizeof(req));
	VT_EQ(h.stats.guest_errors, 1);
	VT_EQ(fg_pop(&h, NULL), 0);

	/* A version we do not speak: answered "not supported". */
	vmbnet_host_message(&h, &bad, sizeof(bad));
	VT_EQ(fg_pop(&h, &vr), VMB_MSG_VERSION_RESPONSE);
	VT_EQ(vr.version_supported, 0);
	VT_EQ(h.connected, false);
	VT_EQ(g.irqs[VMB_PCI_VEC_CONTROL], 1);

	fg_connect(&h);
	vmbnet_host_message(&h, &req, sizeof(req));
	for (uint32_t i = 0; i < 3; i++) {
		VT_EQ(fg_pop(&h, &o), VMB_MSG_OFFER_CHANNEL);
		VT_CHECK(!memcmp(&o.if_type, &vmbnet_netvsc_guid, sizeof(o.if_type)));
		VT_EQ(o.child_relid, i + 1);
		VT_EQ(o.connection_id, i);
		VT_EQ(o.sub_channel_index, i);
		VT_CHECK(!memcmp(o.if_instance.b, mac, 6));
	}
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_ALL_OFFERS_DELIVERED);
	VT_EQ(fg_pop(&h, NULL), 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

/* 300 pfns: header carries 100, then three bodies; the channel opens on it. */
static void open_on_split_gpadl(struct vmbnet_host *h, struct fake_guest *g, uint64_t pfn)
{
	VT_EQ(fg_gpadl_contig(h, 1, 7, pfn, 300), 0);
	VT_EQ(h->stats.gpadl_pages, 300);
	VT_CHECK(vmbnet_host_gpadl(h, 1, 7) != NULL);
	VT_CHECK(vmbnet_host_gpadl(h, 2, 7) == NULL); /* other channel's view */

	memset(&calls, 0, sizeof(calls));
	VT_EQ(fg_open(h, g, 1, 7, pfn, 100, 200), 0);
	VT_EQ(calls.open, 1);
	VT_EQ(h->chan[0].state, VMBNET_CHAN_OPEN);
	VT_EQ(h->chan[0].in.size, 99 * VMB_PAGE_SIZE);
	VT_EQ(h->chan[0].out.size, 199 * VMB_PAGE_SIZE);
	VT_EQ(g->maps, 1);

	/* Opening twice is refused with a status, not ignored. */
	VT_EQ(fg_open(h, g, 1, 7, pfn, 100, 200), -EINVAL);
	VT_EQ(h->stats.guest_errors, 1);
}

/* Doorbells: open channel reaches the datapath, closed one is spurious. */
static void doorbells_while_open(struct vmbnet_host *h)
{
	vmbnet_host_doorbell(h, 0);
	vmbnet_host_doorbell(h, 1);
	VT_EQ(calls.doorbell, 1);
	VT_EQ(h->chan[1].stats.doorbells_spurious, 1);
	vmbnet_host_doorbell(h, 5); /* beyond NUM_CHANNELS */
	VT_EQ(h->stats.guest_errors, 2);
}

static void close_then_teardown(struct vmbnet_host *h, struct fake_guest *g)
{
	struct vmb_msg_close_channel close = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
					       .child_relid = 1 };
	struct vmb_msg_gpadl_teardown td = { .hdr.msgtype = VMB_MSG_GPADL_TEARDOWN,
					     .child_relid = 1,
					     .gpadl = 7 };
	struct vmb_msg_gpadl_torndown tdr;

	/* The ring GPADL cannot go while the channel uses it. */
	vmbnet_host_message(h, &td, sizeof(td));
	VT_EQ(fg_pop(h, NULL), 0);
	VT_EQ(h->stats.guest_errors, 3);

	vmbnet_host_message(h, &close, sizeof(close));
	VT_EQ(calls.close, 1);
	VT_EQ(g->maps, 0);
	VT_EQ(h->chan[0].state, VMBNET_CHAN_OFFERED);
	vmbnet_host_message(h, &td, sizeof(td));
	VT_EQ(fg_pop(h, &tdr), VMB_MSG_GPADL_TORNDOWN);
	VT_EQ(tdr.gpadl, 7);
	VT_EQ(h->stats.gpadl_pages, 0);
}

/* One channel's life in order: GPADL, open, doorbells, close, teardown, reopen. */
static void gpadl_open_close(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	uint64_t pfn;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 2, mac, &fake_guest_ops, &g, &rec), 0);
	fg_connect(&h);
	pfn = fg_alloc(&g, 300);
	open_on_split_gpadl(&h, &g, pfn);
	doorbells_while_open(&h);
	close_then_teardown(&h, &g);

	/* Reopen after close works with a new GPADL. */
	VT_EQ(fg_gpadl_contig(&h, 1, 8, pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 8, pfn, 2, 2), 0);
	VT_EQ(calls.open, 2);
	vmbnet_host_fini(&h);
	VT_EQ(calls.close, 2); /* teardown closes what is open */
	VT_EQ(g.maps, 0);
	fg_fini(&g);
}

static void unload_and_reset(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	struct vmb_msg_hdr unload = { .msgtype = VMB_MSG_UNLOAD };
	uint64_t pfn;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 2, mac, &fake_guest_ops, &g, &rec), 0);
	fg_connect(&h);
	pfn = fg_alloc(&g, 8);
	VT_EQ(fg_gpadl_contig(&h, 1, 1, pfn, 4), 0);
	VT_EQ(fg_gpadl_contig(&h, 2, 2, pfn + 4, 4), 0);
	memset(&calls, 0, sizeof(calls));
	VT_EQ(fg_open(&h, &g, 1, 1, pfn, 2, 2), 0);
	VT_EQ(fg_open(&h, &g, 2, 2, pfn + 4, 2, 2), 0);
	vmbnet_host_message(&h, &unload, sizeof(unload));
	VT_EQ(calls.close, 2);
	VT_EQ(g.maps, 0);
	VT_EQ(h.stats.gpadl_pages, 0);
	VT_EQ(fg_pop(&h, NULL), VMB_MSG_UNLOAD_RESPONSE);
	VT_EQ(h.connected, false);

	/* A device reset with a channel open closes it and drops queued replies. */
	fg_connect(&h);
	VT_EQ(fg_gpadl_contig(&h, 1, 1, pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 1, pfn, 2, 2), 0);
	fg_connect(&h); /* leaves nothing queued */
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	vmbnet_host_message(&h, &req, sizeof(req)); /* offers queued */
	vmbnet_host_reset(&h);
	VT_EQ(calls.close, 3);
	VT_EQ(g.maps, 0);
	VT_EQ(fg_pop(&h, NULL), 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void open_refused_by_datapath(void)
{
	struct fake_guest g;
	struct vmbnet_host h;
	uint64_t pfn;

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 1, mac, &fake_guest_ops, &g, &rec), 0);
	fg_connect(&h);
	pfn = fg_alloc(&g, 4);
	VT_EQ(fg_gpadl_contig(&h, 1, 3, pfn, 4), 0);
	memset(&calls, 0, sizeof(calls));
	calls.open_ret = -ENOMEM;
	VT_EQ(fg_open(&h, &g, 1, 3, pfn, 2, 2), -ENOMEM);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OFFERED);
	VT_EQ(g.maps, 0);
	calls.open_ret = 0;
	VT_EQ(fg_open(&h, &g, 1, 3, pfn, 2, 2), 0);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static const struct vt_case cases[] = {
	VT_CASE(version_and_offers),
	VT_CASE(gpadl_open_close),
	VT_CASE(unload_and_reset),
	VT_CASE(open_refused_by_datapath),
};

VT_MAIN(cases)
