// SPDX-License-Identifier: MIT
/*
 * The NIC misbehaving on purpose (device/fault): each action the engine
 * can fire, as a guest driver sees it on the rings, and the same decisions
 * again from the same seed.
 */
#include "nic_harness.h"
#include "vmbnet_fault.h"

static struct vmbnet_fault F;

/* The NIC up, with @rule (JSON, a scenario's rules entry) in its engine. */
static void up_with(const char *rule, uint64_t seed)
{
	char err[256] = "";

	vmbnet_fault_init(&F, seed);
	if (rule && vmbnet_fault_add_json(&F, rule, err, sizeof(err))) {
		fprintf(stderr, "rule: %s\n", err);
		VT_CHECK(0);
	}
	bring_up(); /* opens the channel: a fresh NIC */
	nic.faults = &F;
	rndis_init_and_query();
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

/* The match names RNDIS control messages: data is left alone, a query's
 * completion is dropped (its reply still comes).
 */
static void match_on_rndis_type(void)
{
	struct {
		struct rndis_hdr h;
		struct rndis_query_request q;
	} query = { { RNDIS_MSG_QUERY, sizeof(query) },
		    { 9, RNDIS_OID_802_3_PERMANENT_ADDRESS, 0, 20, 0 } };
	uint8_t reply[256];
	uint32_t len;
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
	send_rndis_section(1, &query, sizeof(query));
	complete_slot(recv_rndis(reply, sizeof(reply), &len)); /* no completion before it */
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

static const struct vt_case cases[] = {
	VT_CASE(drop_completion),      VT_CASE(status_completion),     VT_CASE(wrong_trans_id),
	VT_CASE(duplicate_completion), VT_CASE(match_on_rndis_type),   VT_CASE(refuse_nvsp_version),
	VT_CASE(drop_received),	       VT_CASE(same_seed_same_faults),
};

VT_MAIN(cases)
