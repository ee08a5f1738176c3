// SPDX-License-Identifier: MIT
/*
 * The VMBus client (vmbnet_vmbc) against a hostile host: a scripted message
 * page behind the register port, answering what each case needs. Every
 * answer the host gives is copied, then checked; no host can make a call
 * return success for a refusal, or wait forever.
 *
 * usage: test_vmbc_hostile --list | <case>
 */
#include <errno.h>
#include <string.h>

#include "vmb_test.h"
#include "vmbnet_vmbc.h"

#define QMAX 64

/* The fake function: identification registers, and a queue of messages the
 * host "sends" (popped by MSG_RECV), or one message returned forever.
 */
static struct {
	uint32_t magic, version, channels, mtu, ring_pages;
	uint8_t q[QMAX][VMB_MSG_MAX];
	uint32_t qlen[QMAX], head, count;
	uint8_t forever[VMB_MSG_MAX];
	uint32_t forever_len;
	uint32_t recv_len_override; /* MSG_RECV says this (0: the queue's) */
	uint8_t rx[VMB_MSG_MAX];
	uint32_t posted; /* MSG_SEND writes */
	uint32_t last_type; /* type of the last posted message */
	uint8_t tx[VMB_MSG_MAX];
	uint8_t first_tx[VMB_MSG_MAX]; /* the first posted message */
	uint64_t now;
} F;

static struct vmbc C;

static void host_says(const void *msg, uint32_t len)
{
	VT_CHECK(F.count < QMAX);
	memcpy(F.q[(F.head + F.count) % QMAX], msg, len);
	F.qlen[(F.head + F.count) % QMAX] = len;
	F.count++;
}

static uint32_t f_rd(void *opaque, uint32_t reg)
{
	uint32_t v = 0;

	switch (reg) {
	case VMB_REG_MAGIC:
		return F.magic;
	case VMB_REG_VERSION:
		return F.version;
	case VMB_REG_NUM_CHANNELS:
		return F.channels;
	case VMB_REG_MTU:
		return F.mtu;
	case VMB_REG_RING_PAGES:
		return F.ring_pages;
	case VMB_REG_MSG_RECV:
		if (F.recv_len_override)
			return F.recv_len_override;
		if (F.forever_len) {
			memcpy(F.rx, F.forever, VMB_MSG_MAX);
			return F.forever_len;
		}
		if (!F.count)
			return 0;
		memcpy(F.rx, F.q[F.head], VMB_MSG_MAX);
		v = F.qlen[F.head];
		F.head = (F.head + 1) % QMAX;
		F.count--;
		return v;
	}
	if (reg >= VMB_REG_MSG_RX && reg < VMB_REG_MSG_RX + VMB_MSG_MAX) {
		memcpy(&v, F.rx + (reg - VMB_REG_MSG_RX), 4);
		return v;
	}
	return 0;
}

static void f_wr(void *opaque, uint32_t reg, uint32_t val)
{
	if (reg >= VMB_REG_MSG_TX && reg < VMB_REG_MSG_TX + VMB_MSG_MAX)
		memcpy(F.tx + (reg - VMB_REG_MSG_TX), &val, 4);
	if (reg == VMB_REG_MSG_SEND) {
		if (!F.posted++)
			memcpy(F.first_tx, F.tx, sizeof(F.tx));
		memcpy(&F.last_type, F.tx, 4);
	}
}

static void f_sleep(void *opaque, unsigned int us)
{
	F.now += 1 + us / 1000;
}

/* Time passes while the client reads the page, as it does on a real CPU. */
static uint64_t f_now_ms(void *opaque)
{
	return F.now++;
}

static const struct vmbc_port fake_port = {
	.rd = f_rd,
	.wr = f_wr,
	.sleep = f_sleep,
	.now_ms = f_now_ms,
};

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.magic = VMB_PCI_MAGIC;
	F.version = VMB_PCI_VERSION;
	F.channels = 2;
	F.mtu = 1500;
	F.ring_pages = 8;
	vmbc_init(&C, &fake_port, NULL);
	C.timeout_ms = 100;
}

static void teardown(void)
{
}

/* ---- the register file ------------------------------------------------------ */

static void probe_bad_identity_refused(void)
{
	F.magic = 0x12345678;
	VT_EQ(vmbc_probe(&C), -ENODEV);
	setup();
	F.version = (VMB_PCI_VERSION_MAJOR + 1) << 16;
	VT_EQ(vmbc_probe(&C), -ENODEV);
	setup();
	F.channels = 0;
	VT_EQ(vmbc_probe(&C), -ENODEV);
	setup();
	F.channels = VMB_PCI_MAX_CHANNELS + 1;
	VT_EQ(vmbc_probe(&C), -ENODEV);
	setup();
	F.mtu = VMB_PCI_MTU_MIN - 1;
	VT_EQ(vmbc_probe(&C), -ENODEV);
}

/* Ring sizes outside the register map's limits are clamped, not trusted. */
static void probe_ring_pages_clamped(void)
{
	F.ring_pages = 0xffffffffu;
	VT_EQ(vmbc_probe(&C), 0);
	VT_EQ(C.ring_pages, VMB_PCI_RING_PAGES_MAX);
	F.ring_pages = 0;
	VT_EQ(vmbc_probe(&C), 0);
	VT_EQ(C.ring_pages, VMB_PCI_RING_PAGES_MIN);
}

/* ---- the message page ---------------------------------------------------------- */

/*
 * Regression (hostile-peers issue, bug 8): the control call looped for as
 * long as the host kept sending messages of another type. It must give up
 * at its deadline.
 */
static void wrong_type_forever_times_out(void)
{
	struct vmb_msg_hdr h = { .msgtype = VMB_MSG_OFFER_CHANNEL };
	struct vmb_msg_version_response r;

	memcpy(F.forever, &h, sizeof(h));
	F.forever_len = sizeof(struct vmb_msg_offer);
	VT_EQ(vmbc_call(&C, NULL, 0, VMB_MSG_VERSION_RESPONSE, &r, sizeof(r)), -ETIMEDOUT);
	VT_CHECK(C.stats.unexpected_msgs > 0);
	VT_EQ(C.stats.timeouts, 1);
}

/* A length over the page (or under a header) is counted, never read. */
static void bad_message_length_refused(void)
{
	struct vmb_msg_version_response r;

	F.recv_len_override = VMB_MSG_MAX + 4;
	VT_EQ(vmbc_call(&C, NULL, 0, VMB_MSG_VERSION_RESPONSE, &r, sizeof(r)), -ETIMEDOUT);
	VT_CHECK(C.stats.protocol_errors > 0);
	F.recv_len_override = 3;
	VT_EQ(vmbc_call(&C, NULL, 0, VMB_MSG_VERSION_RESPONSE, &r, sizeof(r)), -ETIMEDOUT);
}

/* A short answer of the right type: the rest reads as zero, not as stale
 * stack or page contents.
 */
static void short_answer_zero_filled(void)
{
	struct vmb_msg_open_result r;
	struct {
		struct vmb_msg_hdr h;
		uint32_t relid;
	} m = { { .msgtype = VMB_MSG_OPEN_RESULT }, 1 };

	memset(F.q, 0xee, sizeof(F.q));
	host_says(&m, sizeof(m));
	memset(&r, 0xcc, sizeof(r));
	VT_EQ(vmbc_call(&C, NULL, 0, VMB_MSG_OPEN_RESULT, &r, sizeof(r)), 0);
	VT_EQ(r.child_relid, 1);
	VT_EQ(r.openid, 0);
	VT_EQ(r.status, 0);
}

/* ---- offers ---------------------------------------------------------------- */

static void version_ok(void)
{
	struct vmb_msg_version_response v = { .hdr.msgtype = VMB_MSG_VERSION_RESPONSE,
					      .version_supported = 1 };

	host_says(&v, sizeof(v));
}

static void offer(uint32_t relid, uint32_t conn)
{
	struct vmb_msg_offer o = { .hdr.msgtype = VMB_MSG_OFFER_CHANNEL,
				   .child_relid = relid,
				   .connection_id = conn };

	host_says(&o, sizeof(o));
}

static void all_offers(void)
{
	struct vmb_msg_hdr h = { .msgtype = VMB_MSG_ALL_OFFERS_DELIVERED };

	host_says(&h, sizeof(h));
}

static void offers_accepted(void)
{
	VT_EQ(vmbc_probe(&C), 0);
	version_ok();
	offer(1, 0);
	offer(2, 1);
	all_offers();
	VT_EQ(vmbc_connect(&C), 0);
	VT_EQ(C.noffers, 2);
	VT_EQ(C.offer[1].relid, 2);
	VT_EQ(C.offer[1].index, 1);
}

static void version_refused(void)
{
	struct vmb_msg_version_response v = { .hdr.msgtype = VMB_MSG_VERSION_RESPONSE };

	VT_EQ(vmbc_probe(&C), 0);
	host_says(&v, sizeof(v));
	VT_EQ(vmbc_connect(&C), -EPROTONOSUPPORT);
}

/* An offer on a doorbell the device does not have, twice on one doorbell,
 * a relid twice or relid 0: refused, nothing indexed by it.
 */
static void bad_offers_refused(void)
{
	static const uint32_t bad[][4] = {
		{ 1, 2, 0, 0 }, /* connection 2 of 2 */
		{ 1, 0, 2, 0 }, /* connection 0 twice */
		{ 1, 0, 1, 1 }, /* relid 1 twice */
		{ 0, 0, 0, 0 }, /* relid 0 */
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		VT_EQ(vmbc_probe(&C), 0);
		version_ok();
		offer(bad[i][0], bad[i][1]);
		if (bad[i][2] || bad[i][3])
			offer(bad[i][2], bad[i][3]);
		all_offers();
		VT_EQ(vmbc_connect(&C), -EPROTO);
		VT_CHECK(C.noffers <= 1);
	}
}

static void no_offers_is_no_device(void)
{
	VT_EQ(vmbc_probe(&C), 0);
	version_ok();
	all_offers();
	VT_EQ(vmbc_connect(&C), -ENODEV);
}

/* ---- GPADLs and channels ---------------------------------------------------------- */

static void gpadl_answer(uint32_t relid, uint32_t id, uint32_t status)
{
	struct vmb_msg_gpadl_created c = { .hdr.msgtype = VMB_MSG_GPADL_CREATED,
					   .child_relid = relid,
					   .gpadl = id,
					   .creation_status = status };

	host_says(&c, sizeof(c));
}

/* The chunking: 300 pages go as a header and bodies within the page. */
static void gpadl_chunked(void)
{
	uint32_t id = 0;

	gpadl_answer(1, 1, 0);
	VT_EQ(vmbc_gpadl_create_contig(&C, 1, 0x1000, 300, &id), 0);
	VT_EQ(id, 1);
	VT_EQ(F.posted,
	      1 + (300 - VMBC_GPADL_HDR_PFNS + VMBC_GPADL_BODY_PFNS - 1) / VMBC_GPADL_BODY_PFNS);
	VT_EQ(F.last_type, VMB_MSG_GPADL_BODY);
}

/*
 * Regression (hostile-peers issue, bug 3): a positive status from the host
 * became a positive return and then a positive probe result (the device
 * stayed bound, removal called unregister_netdev(NULL)). Any status but
 * success is -EIO.
 */
static void gpadl_positive_status_fails(void)
{
	uint32_t id = 0;

	gpadl_answer(1, 1, 5);
	VT_EQ(vmbc_gpadl_create_contig(&C, 1, 0x1000, 4, &id), -EIO);
	VT_EQ(id, 0);
}

static void open_answer(uint32_t relid, uint32_t openid, uint32_t status)
{
	struct vmb_msg_open_result r = { .hdr.msgtype = VMB_MSG_OPEN_RESULT,
					 .child_relid = relid,
					 .openid = openid,
					 .status = status };

	host_says(&r, sizeof(r));
}

/* Regression (hostile-peers issue, bug 3), the open path. */
static void open_positive_status_fails(void)
{
	open_answer(1, 1, 1);
	VT_EQ(vmbc_open(&C, 1, 7, 4), -EIO);
	open_answer(1, 1, 0x7fffffff);
	VT_EQ(vmbc_open(&C, 1, 7, 4), -EIO);
}

/* Answers for another channel or GPADL are protocol errors, not success. */
static void answers_for_others_refused(void)
{
	uint32_t id = 0;

	open_answer(2, 2, 0);
	VT_EQ(vmbc_open(&C, 1, 7, 4), -EPROTO);
	gpadl_answer(1, 99, 0);
	VT_EQ(vmbc_gpadl_create_contig(&C, 1, 0x1000, 4, &id), -EPROTO);
	VT_EQ(C.stats.protocol_errors, 2);
}

/*
 * Regression (hostile-peers issue, bug 8): the guest freed GPADL memory
 * whose teardown the host never confirmed. vmbc_chan_close marks such a
 * buffer kept; its owner must not free it.
 */
static void teardown_unconfirmed_kept(void)
{
	struct vmb_msg_gpadl_torndown t = { .hdr.msgtype = VMB_MSG_GPADL_TORNDOWN, .gpadl = 2 };
	struct vmbc_buf ring = { .gpadl = 1 }, rx = { .gpadl = 2 }, tx = { .gpadl = 3 };
	struct vmbc_chan ch = { .c = &C, .relid = 1, .open = true };

	/* tx (torn down first) gets an answer for another GPADL, rx is
	 * confirmed, the ring gets no answer at all
	 */
	t.gpadl = 9;
	host_says(&t, sizeof(t));
	t.gpadl = 2;
	host_says(&t, sizeof(t));
	vmbc_chan_close(&ch, &ring, &rx, &tx);
	VT_CHECK(!ch.open);
	VT_CHECK(tx.kept);
	VT_CHECK(!rx.kept);
	VT_CHECK(ring.kept);
	VT_EQ(C.stats.gpadls_leaked, 2);
}

/* ---- offers after the first ones (Hyper-V's subchannels) ------------------- */

static struct {
	uint32_t n, relid[8];
	bool rescind[8];
} E;

static void note_event(void *opaque, const struct vmbc_offer *o, bool rescind)
{
	VT_CHECK(E.n < 8);
	E.relid[E.n] = o->relid;
	E.rescind[E.n++] = rescind;
}

static const struct vmbc_port event_port = {
	.rd = f_rd,
	.wr = f_wr,
	.sleep = f_sleep,
	.now_ms = f_now_ms,
	.offer_event = note_event,
};

static void rescind(uint32_t relid)
{
	struct vmb_msg_rescind_offer r = { .hdr.msgtype = VMB_MSG_RESCIND_OFFER,
					   .child_relid = relid };

	host_says(&r, sizeof(r));
}

/*
 * A late offer is checked like the first ones and filed; a rescind takes it
 * off file (the relid may then be offered again); a rescind of what is not
 * on offer, or an offer of a relid or doorbell in use, is a protocol error
 * the port never hears of.
 */
static void late_offers_and_rescinds(void)
{
	memset(&E, 0, sizeof(E));
	F.channels = 3;
	vmbc_init(&C, &event_port, NULL);
	C.timeout_ms = 100;
	VT_EQ(vmbc_probe(&C), 0);
	version_ok();
	offer(1, 0);
	all_offers();
	VT_EQ(vmbc_connect(&C), 0);
	offer(2, 1);
	offer(2, 2); /* relid in use */
	offer(5, 1); /* doorbell in use */
	rescind(9); /* never offered */
	rescind(2);
	offer(2, 1); /* again, after its rescind */
	VT_EQ(vmbc_poll(&C), 6);
	VT_EQ(E.n, 3);
	VT_EQ(E.relid[0], 2);
	VT_CHECK(!E.rescind[0]);
	VT_EQ(E.relid[1], 2);
	VT_CHECK(E.rescind[1]);
	VT_EQ(E.relid[2], 2);
	VT_CHECK(!E.rescind[2]);
	VT_EQ(C.stats.protocol_errors, 3);
	VT_EQ(C.stats.unexpected_msgs, 0);
	VT_EQ(C.conn_mask, 3u);
	VT_EQ(vmbc_poll(&C), 0);
}

/* Without the port's hook (vmbnet.ko) they are unexpected, and dropped. */
static void late_offers_without_hook_dropped(void)
{
	VT_EQ(vmbc_probe(&C), 0);
	version_ok();
	offer(1, 0);
	all_offers();
	VT_EQ(vmbc_connect(&C), 0);
	offer(2, 1);
	rescind(1);
	VT_EQ(vmbc_poll(&C), 2);
	VT_EQ(C.stats.unexpected_msgs, 2);
	VT_EQ(C.noffers, 1);
	VT_EQ(C.offer[0].relid, 1);
}

/* The contact carries the client's flags. */
static void contact_flags_sent(void)
{
	struct vmb_msg_initiate_contact m;

	VT_EQ(vmbc_probe(&C), 0);
	C.contact_flags = VMB_CONTACT_SUBCHANNELS_ON_REQUEST;
	version_ok();
	offer(1, 0);
	all_offers();
	VT_EQ(vmbc_connect(&C), 0);
	VT_EQ(F.last_type, VMB_MSG_REQUEST_OFFERS);
	memcpy(&m, F.first_tx, sizeof(m));
	VT_EQ(m.hdr.msgtype, VMB_MSG_INITIATE_CONTACT);
	VT_EQ(m.flags, VMB_CONTACT_SUBCHANNELS_ON_REQUEST);
}

static const struct vt_case cases[] = {
	VT_CASE(probe_bad_identity_refused),
	VT_CASE(probe_ring_pages_clamped),
	VT_CASE(wrong_type_forever_times_out),
	VT_CASE(bad_message_length_refused),
	VT_CASE(short_answer_zero_filled),
	VT_CASE(offers_accepted),
	VT_CASE(version_refused),
	VT_CASE(bad_offers_refused),
	VT_CASE(no_offers_is_no_device),
	VT_CASE(gpadl_chunked),
	VT_CASE(gpadl_positive_status_fails),
	VT_CASE(open_positive_status_fails),
	VT_CASE(answers_for_others_refused),
	VT_CASE(teardown_unconfirmed_kept),
	VT_CASE(late_offers_and_rescinds),
	VT_CASE(late_offers_without_hook_dropped),
	VT_CASE(contact_flags_sent),
};

VT_MAIN_FIXTURE(cases, setup, teardown)
