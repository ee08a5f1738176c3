// SPDX-License-Identifier: MIT
/*
 * The DDI core's batched paths: a chain of NBLs sent in one call
 * (vmbnet_send_nbl_chain(), as MiniportSendNetBufferLists gets them) and
 * the completions of one pass over the ring handed over together
 * (vmbnet_core_complete_batch()): order kept, a failure stops the chain
 * where it is, every send completes exactly once even when the host repeats
 * a completion inside one batch, and NBL slots are free again when their
 * callbacks run.
 *
 * usage: test_ddi_batch --list | <case>
 */
#include "harness.h"

#define N 5

static struct vmbnet_nbl nbls[H_SLOTS + 1];
static struct vmbnet_nb nbs[H_SLOTS + 1];
static struct vmbnet_mdl mdls[H_SLOTS + 1];
static uint64_t pfns[H_SLOTS + 1][2];
static struct vmbnet_nbl *order[2 * H_SLOTS];
static unsigned int calls, resent;
static bool resend; /* the callback sends its NBL again */

static void done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	VT_CHECK(ctx == (void *)0x42);
	VT_EQ(status, 0);
	if (calls < 2 * H_SLOTS)
		order[calls] = nbl;
	calls++;
	if (resend) {
		/* its slot is back already: a send from the callback finds room */
		VT_EQ(vmbnet_send_nbl(&H.core, nbl, NULL, 0, done, (void *)0x42), 0);
		resent++;
	}
}

/* NBL @i over a 100-byte frame; chained to the next when @chain. */
static struct vmbnet_nbl *make(unsigned int i, bool chain)
{
	uint8_t *b = h_dma(100, NULL);

	h_frame(b, 100, (uint8_t)i);
	h_mdl(&mdls[i], pfns[i], b, 100);
	memset(&nbs[i], 0, sizeof(nbs[i]));
	nbs[i].MdlChain = &mdls[i];
	nbs[i].DataLength = 100;
	memset(&nbls[i], 0, sizeof(nbls[i]));
	nbls[i].FirstNetBuffer = &nbs[i];
	if (i && chain)
		nbls[i - 1].Next = &nbls[i];
	return &nbls[i];
}

/* The device runs; its completions are read as NAPI reads them: one batch. */
static unsigned int run_batched(struct vmbnet_comp *v, unsigned int max, bool repeat_first)
{
	unsigned int n = 0;
	struct vmb_pkt p;

	vmbnet_uguest_doorbell(&H.g);
	while (n < max && vmb_ring_peek(&H.g.down, &p) == 0) {
		if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id)) {
			v[n].trans_id = p.trans_id;
			v[n].len = vmb_pkt_data_len(&p) < sizeof(v[n].payload) ?
					   vmb_pkt_data_len(&p) :
					   (uint32_t)sizeof(v[n].payload);
			v[n].data = NULL;
			VT_EQ(vmb_ring_pkt_copy(&H.g.down, &p, p.data_off, v[n].payload, v[n].len),
			      0);
			n++;
		}
		vmb_ring_advance(&H.g.down, &p);
	}
	vmb_ring_rx_release(&H.g.down);
	if (repeat_first && n && n < max) {
		v[n] = v[0]; /* the host completes the first send twice */
		v[n].data = NULL;
		n++;
	}
	return n;
}

static void chain_sent_in_order(void)
{
	uint32_t sent = 99;

	for (unsigned int i = 0; i < N; i++)
		make(i, true);
	VT_EQ(vmbnet_send_nbl_chain(&H.core, &nbls[0], done, (void *)0x42, &sent), 0);
	VT_EQ(sent, N);
	VT_EQ(H.core.stats.sent, N);
	h_run();
	VT_EQ(H.frames, N);
	VT_EQ(calls, N);
	for (unsigned int i = 0; i < N; i++)
		VT_CHECK(order[i] == &nbls[i]);
	VT_EQ(H.core.in_use, 0);
}

/* An NBL the core refuses ends the chain there: those before it went. */
static void chain_stops_at_a_bad_nbl(void)
{
	uint32_t sent = 99;

	for (unsigned int i = 0; i < 3; i++)
		make(i, true);
	nbs[1].DataLength = 0;
	VT_EQ(vmbnet_send_nbl_chain(&H.core, &nbls[0], done, (void *)0x42, &sent),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(sent, 1);
	h_run();
	VT_EQ(H.frames, 1);
	VT_EQ(calls, 1);
	VT_CHECK(order[0] == &nbls[0]);
}

/* No slot left: the chain sends what fits and says how many. */
static void chain_stops_when_slots_run_out(void)
{
	uint32_t sent = 0;

	H.host_runs = false;
	for (unsigned int i = 0; i <= H_SLOTS; i++)
		make(i, true);
	VT_EQ(vmbnet_send_nbl_chain(&H.core, &nbls[0], done, (void *)0x42, &sent),
	      VMBNET_STATUS_INSUFFICIENT_RESOURCES);
	VT_EQ(sent, H_SLOTS);
	VT_EQ(H.core.in_use, H_SLOTS);
}

/* One batch: every completion once, in ring order; a repeat is refused. */
static void batch_completes_each_once(void)
{
	struct vmbnet_comp v[VMBNET_COMP_BATCH];
	uint32_t sent;
	unsigned int n;

	H.host_runs = false;
	for (unsigned int i = 0; i < N; i++)
		make(i, true);
	VT_EQ(vmbnet_send_nbl_chain(&H.core, &nbls[0], done, (void *)0x42, &sent), 0);
	n = run_batched(v, VMBNET_COMP_BATCH, true);
	VT_EQ(n, N + 1);
	vmbnet_core_complete_batch(&H.core, v, n);
	VT_EQ(calls, N);
	for (unsigned int i = 0; i < N; i++)
		VT_CHECK(order[i] == &nbls[i]);
	VT_EQ(H.core.stats.completed, N);
	VT_EQ(H.core.stats.unknown_completions, 1);
	VT_EQ(H.core.in_use, 0);
}

/* Every slot busy; each callback of the batch sends again, and finds room. */
static void batch_frees_slots_before_callbacks(void)
{
	struct vmbnet_comp v[VMBNET_COMP_BATCH];
	uint32_t sent;
	unsigned int n;

	H.host_runs = false;
	for (unsigned int i = 0; i < H_SLOTS; i++)
		make(i, false);
	for (unsigned int i = 0; i < H_SLOTS; i++)
		VT_EQ(vmbnet_send_nbl_chain(&H.core, &nbls[i], done, (void *)0x42, &sent), 0);
	VT_EQ(H.core.in_use, H_SLOTS);
	n = run_batched(v, VMBNET_COMP_BATCH, false);
	VT_EQ(n, VMBNET_COMP_BATCH);
	resend = true;
	vmbnet_core_complete_batch(&H.core, v, n);
	VT_EQ(calls, VMBNET_COMP_BATCH);
	VT_EQ(resent, VMBNET_COMP_BATCH);
	VT_EQ(H.core.in_use, H_SLOTS);
}

static const struct vt_case cases[] = {
	VT_CASE(chain_sent_in_order),
	VT_CASE(chain_stops_at_a_bad_nbl),
	VT_CASE(chain_stops_when_slots_run_out),
	VT_CASE(batch_completes_each_once),
	VT_CASE(batch_frees_slots_before_callbacks),
};

VT_MAIN_FIXTURE(cases, h_init, h_fini) /* a fresh harness per case */
