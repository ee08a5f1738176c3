// SPDX-License-Identifier: MIT
/*
 * The NIC misbehaving on purpose (device/fault): each action the engine
 * can fire, as a guest driver sees it on the rings, and the same decisions
 * again from the same seed.
 */
#include "nic_harness.h"
#include "vmbnet_fault.h"

static struct vmbnet_fault F;
static uint64_t t_ns; /* the engine's clock, moved by hand */

static uint64_t fake_clock(void *opaque)
{
	return t_ns;
}

/* Move the clock on by @ms and let the NIC do what is due. */
static void advance_ms(uint64_t ms)
{
	t_ns += ms * 1000000u;
	vmbnet_nic_tick(&nic);
}

/* The NIC up, with @rule (JSON, a scenario's rules entry) in its engine. */
static void up_with(const char *rule, uint64_t seed)
{
	char err[256] = "";

	t_ns = 1000; /* not 0: times are absolute */
	vmbnet_fault_init(&F, seed);
	vmbnet_fault_set_clock(&F, fake_clock, NULL);
	if (rule && vmbnet_fault_add_json(&F, rule, err, sizeof(err))) {
		fprintf(stderr, "rule: %s\n", err);
		VT_CHECK(0);
	}
	bring_up(); /* opens the channel: a fresh NIC */
	nic.faults = &F;
	rndis_init_and_query();
}

/* Add @rule to the running NIC's engine (after the bring-up it would hit). */
static void add_rule(const char *rule)
{
	char err[256] = "";

	if (vmbnet_fault_add_json(&F, rule, err, sizeof(err))) {
		fprintf(stderr, "rule: %s\n", err);
		VT_CHECK(0);
	}
}

static void done(void)
{
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

/* drop: the guest never hears of that send; the frame still went out. */
static void drop_completion(void)
{
	uint64_t tid[4];
	struct vmb_pkt p;

	up_with("{ \"id\": \"d\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"every\": 2 }, \"action\": \"drop\" }",
		1);
	for (int i = 0; i < 4; i++)
		tid[i] = send_frame_gpa(0, 0, 100);
	expect_comp(tid[0], NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	expect_comp(tid[2], NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	VT_EQ(net.frames, 4);
	VT_EQ(F.seq, 2);
	VT_EQ(nic.stats.faults, 2);
	VT_EQ(vmbnet_fault_last(&F, 0)->trans_id, tid[3]);
	done();
}

static void status_completion(void)
{
	uint64_t a, b;

	up_with("{ \"id\": \"s\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"nth\": 1 }, \"action\": \"status\", \"status\": 2 }",
		1);
	a = send_frame_gpa(0, 0, 100);
	b = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_FAIL);
	expect_comp(b, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(nic.stats.completions_failed, 1);
	done();
}

/* A completion for an id the guest has no packet for; its own never comes. */
static void wrong_trans_id(void)
{
	uint64_t a;
	struct vmb_pkt p;

	up_with("{ \"id\": \"w\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"action\": \"wrong_trans_id\" }",
		1);
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a ^ (1ull << 63), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	done();
}

static void duplicate_completion(void)
{
	uint64_t a;

	up_with("{ \"id\": \"x2\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"action\": \"duplicate\" }",
		1);
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(net.frames, 1);
	done();
}

/* An RNDIS query in send section 1; takes its reply, leaves the rest. */
/* An RNDIS query for the MAC in send section 1: its trans_id. */
static uint64_t send_query_in_section(void)
{
	struct {
		struct rndis_hdr h;
		struct rndis_query_request q;
	} query = { { RNDIS_MSG_QUERY, sizeof(query) },
		    { 9, RNDIS_OID_802_3_PERMANENT_ADDRESS, 0, 20, 0 } };

	return send_rndis_section(1, &query, sizeof(query));
}

static void query_mac_in_section(void)
{
	uint8_t reply[256];
	uint32_t len;

	send_query_in_section();
	complete_slot(recv_rndis(reply, sizeof(reply), &len));
}

/* The match names RNDIS control messages: data is left alone, a query's
 * completion is dropped (its reply still comes).
 */
static void match_on_rndis_type(void)
{
	char err[256];
	uint64_t a;

	up_with(NULL, 1);
	VT_EQ(vmbnet_fault_add_json(&F,
				    "{ \"id\": \"q\", \"point\": \"completion\", \"match\":"
				    " { \"rndis\": \"query\" }, \"action\": \"drop\" }",
				    err, sizeof(err)),
	      0);
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(F.rules[0].matched, 0);
	query_mac_in_section(); /* no completion before its reply */
	VT_EQ(F.seq, 1);
	done();
}

/* The first NVSP INIT fails; the guest's next try gets the version. */
static void refuse_nvsp_version(void)
{
	char err[256];
	uint32_t st;

	open_channel();
	vmbnet_fault_init(&F, 1);
	VT_EQ(vmbnet_fault_add_json(&F,
				    "{ \"id\": \"v\", \"point\": \"nvsp_init\", \"trigger\":"
				    " { \"nth\": 1 }, \"action\": \"refuse_version\" }",
				    err, sizeof(err)),
	      0);
	nic.faults = &F;
	nvsp_version_for(NVSP_VERSION_61, NVSP_VERSION_61, &st);
	VT_EQ(st, NVSP_STAT_FAIL);
	VT_EQ(nic.chan[0].nvsp_version, 0);
	VT_EQ(nvsp_version_for(NVSP_VERSION_6, NVSP_VERSION_6, &st), NVSP_VERSION_6);
	VT_EQ(st, NVSP_STAT_SUCCESS);
	done();
}

/* Frames lost on the way in: taken from the network, never written. */
static void drop_received(void)
{
	uint8_t frame[100] = { 0 }, msg[256];
	uint32_t len;
	struct vmb_pkt p;

	up_with("{ \"id\": \"r\", \"point\": \"receive\", \"match\": { \"min_len\": 90 },"
		" \"trigger\": { \"every\": 2 }, \"action\": \"drop\" }",
		1);
	for (int i = 0; i < 4; i++)
		VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1, NULL),
		      sizeof(frame));
	VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, 60 }, 1, NULL), 60);
	for (int i = 0; i < 3; i++)
		complete_slot(recv_rndis(msg, sizeof(msg), &len));
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	VT_EQ(nic.stats.rx_dropped, 2);
	VT_EQ(F.seq, 2);
	done();
}

/* Which sends a probability fires: the trans_ids of the fired faults. */
static unsigned int fired_ids(uint64_t seed, uint64_t *ids)
{
	struct vmb_pkt p;
	unsigned int n;

	next_tid = 1;
	up_with("{ \"id\": \"p\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"probability\": 0.5 }, \"action\": \"status\", \"status\": 2 }",
		seed);
	for (int i = 0; i < 40; i++) {
		send_frame_gpa(0, 0, 64);
		p = recv_pkt(NULL, 0);
		VT_EQ(p.type, VMB_PKT_COMP);
	}
	n = (unsigned int)F.seq;
	for (unsigned int i = 0; i < n; i++)
		ids[i] = vmbnet_fault_last(&F, n - 1 - i)->trans_id;
	done();
	return n;
}

/* The same seed and the same guest: the same faults, in the same order. */
static void same_seed_same_faults(void)
{
	uint64_t a[40], b[40], c[40];
	unsigned int na = fired_ids(7, a), nb = fired_ids(7, b), nc = fired_ids(8, c);

	VT_EQ(na, nb);
	VT_CHECK(!memcmp(a, b, na * sizeof(a[0])));
	VT_CHECK(na > 5 && na < 35);
	VT_CHECK(na != nc || memcmp(a, c, na * sizeof(a[0])));
}

/* delay: that completion comes after its duration; others overtake it. */
static void delay_completion(void)
{
	uint64_t a, b;
	struct vmb_pkt p;

	up_with("{ \"id\": \"slow\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"nth\": 1 }, \"action\": \"delay\", \"duration_ms\": 5 }",
		1);
	a = send_frame_gpa(0, 0, 100);
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	VT_EQ(nic.stats.held, 1);
	VT_EQ(nic.tick_ns, t_ns + 5000000u);
	b = send_frame_gpa(0, 0, 100);
	expect_comp(b, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	advance_ms(4);
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	advance_ms(1);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(nic.nheld, 0);
	VT_EQ(nic.tick_ns, UINT64_MAX);
	VT_EQ(net.frames, 2);
	done();
}

/* A drawn delay stays in its distribution's range and repeats with the seed. */
static uint64_t drawn_delay(const char *dist, uint64_t seed)
{
	char rule[256];
	uint64_t due;

	snprintf(rule, sizeof(rule),
		 "{ \"id\": \"j\", \"point\": \"completion\", \"action\": \"delay\","
		 " \"duration_ms\": 2, \"jitter_ms\": 3, \"distribution\": \"%s\" }",
		 dist);
	up_with(NULL, seed);
	add_rule(rule);
	send_frame_gpa(0, 0, 100);
	VT_EQ(nic.nheld, 1);
	due = nic.held[0].due_ns - t_ns;
	done();
	return due;
}

static void delay_distributions(void)
{
	uint64_t u = drawn_delay("uniform", 3), e = drawn_delay("exponential", 3);

	VT_CHECK(u >= 2000000 && u < 5000000);
	VT_CHECK(e >= 2000000 && e <= 2000000 + 3000000000ull);
	VT_EQ(drawn_delay("uniform", 3), u);
	VT_EQ(drawn_delay("exponential", 3), e);
	VT_EQ(drawn_delay("fixed", 3), 2000000);
}

/* reorder: the completion goes right after the channel's next one, or
 * after VMBNET_NIC_REORDER_MAX_NS when no other comes.
 */
static void reorder_completions(void)
{
	uint64_t a, b, c;

	up_with("{ \"id\": \"swap\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"every\": 2 }, \"action\": \"reorder\" }",
		1);
	a = send_frame_gpa(0, 0, 100);
	b = send_frame_gpa(0, 0, 100); /* the 2nd: held */
	c = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	expect_comp(c, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	expect_comp(b, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	b = send_frame_gpa(0, 0, 100); /* the 4th: held, and nothing follows */
	advance_ms(1);
	expect_comp(b, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	done();
}

/* withhold: every completion in the window waits for its end, in order. */
static void withhold_for_window(void)
{
	uint64_t tid[3];

	up_with("{ \"id\": \"hold\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"for_ms\": 10 }, \"action\": \"withhold\" }",
		1);
	for (int i = 0; i < 3; i++)
		tid[i] = send_frame_gpa(0, 0, 100);
	VT_EQ(nic.nheld, 3);
	advance_ms(9);
	VT_EQ(nic.nheld, 3);
	advance_ms(1);
	for (int i = 0; i < 3; i++)
		expect_comp(tid[i], NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	/* after the window: at once */
	tid[0] = send_frame_gpa(0, 0, 100);
	expect_comp(tid[0], NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	done();
}

/* withhold with no end, then the guest closes the channel: they are lost
 * (what a host restarting its queues did to Linux, OpenVMM #2821).
 */
static void withhold_lost_at_close(void)
{
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };
	struct vmb_pkt p;

	up_with("{ \"id\": \"hold\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"action\": \"withhold\" }",
		1);
	send_frame_gpa(0, 0, 100);
	send_frame_gpa(0, 0, 100);
	VT_EQ(nic.tick_ns, UINT64_MAX); /* nothing to wake up for */
	vmbnet_host_message(&h, &c, sizeof(c));
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	VT_EQ(nic.nheld, 0);
	VT_EQ(nic.stats.held_lost, 2);
	done();
}

/* match.section: what came in a send section is withheld (the guest runs
 * out of sections), what came in its own pages is not.
 */
static void withhold_send_sections(void)
{
	uint64_t a;

	up_with(NULL, 1);
	add_rule(
		"{ \"id\": \"sections\", \"point\": \"completion\", \"match\": { \"section\": true },"
		" \"action\": \"withhold\" }");
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	query_mac_in_section(); /* the reply comes, the completion does not */
	VT_EQ(nic.nheld, 1);
	VT_EQ(F.rules[0].matched, 1);
	done();
}

/* stall: the host stops reading the guest's ring for the duration. */
static void stall_ring(void)
{
	uint64_t a, b;
	struct vmb_pkt p;

	up_with(NULL, 1);
	add_rule("{ \"id\": \"stop\", \"point\": \"ring\", \"trigger\": { \"nth\": 1 },"
		 " \"action\": \"stall\", \"duration_ms\": 3 }");
	a = send_frame_gpa(0, 0, 100);
	b = send_frame_gpa(0, 0, 100); /* its doorbell finds the ring still stalled */
	VT_CHECK(vmb_ring_peek(&down, &p) != 0);
	VT_EQ(net.frames, 0);
	advance_ms(2);
	VT_EQ(net.frames, 0);
	advance_ms(1);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	expect_comp(b, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(net.frames, 2);
	done();
}

static uint32_t expect_indication(void)
{
	struct {
		struct rndis_hdr h;
		struct rndis_indicate i;
	} m;
	uint32_t len;

	complete_slot(recv_rndis(&m, sizeof(m), &len));
	VT_EQ(m.h.msg_type, RNDIS_MSG_INDICATE);
	return m.i.status;
}

/* link_flap: down at the fault, up again after the duration; a host
 * set_link meanwhile takes effect when the flap ends.
 */
static void link_flap(void)
{
	uint64_t a;

	up_with("{ \"id\": \"flap\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"nth\": 1 }, \"action\": \"link_flap\", \"duration_ms\": 4 }",
		1);
	a = send_frame_gpa(0, 0, 100);
	VT_EQ(expect_indication(), RNDIS_STATUS_MEDIA_DISCONNECT);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_CHECK(!vmbnet_nic_can_receive(&nic, 0));
	vmbnet_nic_set_link(&nic, true); /* the host's own state: up */
	VT_CHECK(!nic.link_up);
	advance_ms(4);
	VT_EQ(expect_indication(), RNDIS_STATUS_MEDIA_CONNECT);
	VT_CHECK(vmbnet_nic_can_receive(&nic, 0));
	VT_CHECK(net.rx_ready > 0);
	done();
}

/* rescind: the completion at hand still goes, the NIC's channels are
 * rescinded at once (and still served), and it is offered again after the
 * duration, as Hyper-V offers a NIC added back.
 */
static void rescind_then_offered_again(void)
{
	uint64_t a, b;

	up_with("{ \"id\": \"gone\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"nth\": 1 }, \"action\": \"rescind\", \"duration_ms\": 5 }",
		1);
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_CHECK(h.absent); /* the host rescinds (its messages: test_host_*) */
	b = send_frame_gpa(0, 0, 100); /* served until the guest closes it */
	expect_comp(b, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(nic.tick_ns, t_ns + 5000000u);
	advance_ms(5);
	VT_CHECK(!h.absent);
	VT_EQ(nic.rescind_until_ns, 0u);
	VT_EQ(F.rules[0].fired, 1u);
	done();
}

/*
 * revoke: the completion at hand still goes; then, for the duration, a
 * frame for the guest is dropped and a send in a section fails unread,
 * while sends in guest pages go on; after it both buffers work again.
 */
static void revoke_buffers(void)
{
	uint8_t frame[100] = { 0 }, msg[256];
	struct iovec iov = { frame, sizeof(frame) };
	uint64_t a, q;
	uint32_t len;
	struct vmb_pkt p;

	up_with("{ \"id\": \"rv\", \"point\": \"completion\", \"match\": { \"rndis\": \"packet\" },"
		" \"trigger\": { \"nth\": 1 }, \"action\": \"revoke\", \"duration_ms\": 5 }",
		1);
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(vmbnet_nic_receive(&nic, 0, &iov, 1, NULL), sizeof(frame));
	VT_CHECK(vmb_ring_peek(&down, &p) != 0); /* taken, never written */
	q = send_query_in_section();
	expect_comp(q, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_FAIL);
	VT_CHECK(vmb_ring_peek(&down, &p) != 0); /* no reply: never read */
	a = send_frame_gpa(0, 0, 100);
	expect_comp(a, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(net.frames, 2);
	VT_EQ(nic.stats.revoked, 2);
	VT_EQ(nic.stats.rx_dropped, 1);
	t_ns += 5000000u;
	VT_EQ(vmbnet_nic_receive(&nic, 0, &iov, 1, NULL), sizeof(frame));
	complete_slot(recv_rndis(msg, sizeof(msg), &len));
	q = send_query_in_section();
	expect_comp(q, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	complete_slot(recv_rndis(msg, sizeof(msg), &len)); /* the reply */
	VT_EQ(nic.stats.revoked, 2);
	VT_EQ(nic.revoke_until_ns, 0u);
	VT_EQ(F.rules[0].fired, 1u);
	done();
}

/* Durations: required where an action lasts, refused elsewhere. */
static void duration_rules_checked(void)
{
	static const char *const bad[] = {
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"delay\" }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"drop\", \"duration_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"ring\", \"action\": \"stall\", \"duration_ms\": 1,"
		" \"jitter_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"delay\", \"duration_ms\": 1,"
		" \"distribution\": \"uniform\" }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"delay\", \"duration_ms\": 1,"
		" \"distribution\": \"normal\", \"jitter_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"stall\", \"duration_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"ring\", \"action\": \"withhold\" }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"rescind\" }",
		"{ \"id\": \"a\", \"point\": \"ring\", \"action\": \"rescind\", \"duration_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"receive\", \"action\": \"revoke\" }",
		"{ \"id\": \"a\", \"point\": \"ring\", \"action\": \"revoke\", \"duration_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"drop\","
		" \"match\": { \"section\": 1 } }",
	};
	struct vmbnet_fault f;
	char err[256];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vmbnet_fault_init(&f, 1);
		err[0] = 0;
		VT_EQ(vmbnet_fault_add_json(&f, bad[i], err, sizeof(err)), -EINVAL);
		VT_CHECK(err[0] != 0);
		VT_EQ(f.nrules, 0);
	}
}

static const struct vt_case cases[] = {
	VT_CASE(drop_completion),
	VT_CASE(status_completion),
	VT_CASE(wrong_trans_id),
	VT_CASE(duplicate_completion),
	VT_CASE(match_on_rndis_type),
	VT_CASE(refuse_nvsp_version),
	VT_CASE(drop_received),
	VT_CASE(same_seed_same_faults),
	VT_CASE(delay_completion),
	VT_CASE(delay_distributions),
	VT_CASE(reorder_completions),
	VT_CASE(withhold_for_window),
	VT_CASE(withhold_lost_at_close),
	VT_CASE(withhold_send_sections),
	VT_CASE(stall_ring),
	VT_CASE(link_flap),
	VT_CASE(rescind_then_offered_again),
	VT_CASE(revoke_buffers),
	VT_CASE(duration_rules_checked),
};

VT_MAIN(cases)
