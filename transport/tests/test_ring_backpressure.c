// SPDX-License-Identifier: MIT
/*
 * Ring full: the writer leaves 8 bytes free, refuses with -EAGAIN and
 * changes nothing; pending_send_sz makes the consumer signal exactly when
 * its release crosses the requested free space, not before, not twice.
 */
#include <string.h>

#include "vmb_test_ring.h"

#define SIZE (4 * VMB_PAGE_SIZE)
#define PAYLOAD 1000u
#define PKT_BYTES (16u + VMB_ALIGN8(PAYLOAD) + VMB_TRAILER_SIZE)
#define FIT ((SIZE - 8) / PKT_BYTES) /* packets that fit */

static int put(struct vt_ring *t, uint64_t id)
{
	uint8_t buf[PAYLOAD];

	memset(buf, (int)id, sizeof(buf));
	return vmb_ring_write_inband(&t->tx, 0, id, buf, sizeof(buf));
}

static void take(struct vt_ring *t, uint64_t want_id)
{
	struct vmb_pkt p;

	VT_EQ(vmb_ring_peek(&t->rx, &p), 0);
	VT_EQ(p.trans_id, want_id);
	vmb_ring_advance(&t->rx, &p);
}

static void init(struct vt_ring *t)
{
	vt_ring_init(t, SIZE);
}

static void fini(struct vt_ring *t)
{
	VT_EQ(t->tx.error, 0);
	vt_ring_fini(t);
}

/* Write packets @id, @id + 1, ... until one is refused; returns its id. */
static uint64_t fill(struct vt_ring *t, uint64_t id)
{
	int ret;

	while ((ret = put(t, id)) == 0)
		id++;
	VT_EQ(ret, -EAGAIN);
	return id;
}

static void full_ring_leaves_8_bytes(void)
{
	struct vt_ring t;
	struct vmb_ring_state st;
	uint64_t id;

	init(&t);
	id = fill(&t, 1);
	VT_EQ(id - 1, FIT);
	VT_EQ(t.tx.stats.full, 1);
	vmb_ring_tx_publish(&t.tx);
	vmb_ring_snapshot(&t.tx, &st);
	VT_EQ(st.bytes_used, FIT * PKT_BYTES);
	VT_CHECK(SIZE - st.bytes_used >= 8);
	fini(&t);
}

static void release_signals_once_at_threshold(void)
{
	struct vt_ring t;
	uint64_t id;

	init(&t);
	id = fill(&t, 1);
	vmb_ring_tx_publish(&t.tx);

	/* Producer asks to be told when one more packet fits. */
	VT_EQ(vmb_ring_tx_want_space(&t.tx, PKT_BYTES), -EAGAIN);
	VT_EQ(vt_hdr(&t)->pending_send_sz, PKT_BYTES);

	/* Releasing one packet frees exactly PKT_BYTES: free space goes from
	 * below to above the threshold only if there was slack; compute it.
	 */
	take(&t, 1);
	uint32_t free_before = SIZE - FIT * PKT_BYTES;
	uint32_t free_after = free_before + PKT_BYTES;
	VT_EQ(vmb_ring_rx_release(&t.rx), free_after > PKT_BYTES && free_before <= PKT_BYTES);
	uint64_t sent = t.rx.stats.signals_sent;
	VT_CHECK(sent == 1);
	/* Further releases above the threshold stay silent. */
	take(&t, 2);
	VT_EQ(vmb_ring_rx_release(&t.rx), false);
	VT_EQ(t.rx.stats.signals_sent, 1);

	/* The woken producer clears the request and writes again. */
	vmb_ring_tx_signal_received(&t.tx);
	VT_EQ(t.tx.stats.signals_spurious, 0);
	VT_EQ(vt_hdr(&t)->pending_send_sz, 0);
	VT_EQ(put(&t, id++), 0);
	VT_EQ(put(&t, id++), 0);
	VT_EQ(put(&t, id), -EAGAIN);
	fini(&t);
}

/* If space appeared between the failed write and the request, the request
 * is withdrawn at once (no wake-up would ever come).
 */
static void want_space_withdrawn_if_space_appeared(void)
{
	struct vt_ring t;
	uint64_t id;

	init(&t);
	id = fill(&t, 1);
	vmb_ring_tx_publish(&t.tx);
	take(&t, 1);
	vmb_ring_rx_release(&t.rx);
	VT_EQ(vmb_ring_tx_want_space(&t.tx, PKT_BYTES), 0);
	VT_EQ(vt_hdr(&t)->pending_send_sz, 0);
	VT_EQ(put(&t, id), 0);
	fini(&t);
}

/* Asking for two packets' worth: the release that frees one is not enough
 * and stays silent, the one that frees the second signals.
 */
static void want_space_two_packets(void)
{
	struct vt_ring t;
	uint64_t before;
	struct vmb_pkt p;

	init(&t);
	fill(&t, 1);
	vmb_ring_tx_publish(&t.tx);
	VT_EQ(vmb_ring_tx_want_space(&t.tx, 2 * PKT_BYTES), -EAGAIN);
	before = t.rx.stats.signals_sent;
	VT_EQ(vmb_ring_peek(&t.rx, &p), 0);
	vmb_ring_advance(&t.rx, &p);
	VT_EQ(vmb_ring_rx_release(&t.rx), false);
	VT_EQ(vmb_ring_peek(&t.rx, &p), 0);
	vmb_ring_advance(&t.rx, &p);
	VT_EQ(vmb_ring_rx_release(&t.rx), true);
	VT_EQ(t.rx.stats.signals_sent, before + 1);
	vmb_ring_tx_signal_received(&t.tx);
	fini(&t);
}

/* want_space with packets written but not published would wait for a
 * signal the consumer can never send: refused.
 */
static void want_space_refuses_unpublished(void)
{
	struct vt_ring t;
	struct vmb_pkt p;
	uint64_t id;

	init(&t);
	id = fill(&t, 1);
	vmb_ring_tx_publish(&t.tx);
	VT_EQ(vmb_ring_peek(&t.rx, &p), 0);
	vmb_ring_advance(&t.rx, &p);
	vmb_ring_rx_release(&t.rx);
	VT_EQ(put(&t, id), 0);
	VT_EQ(vmb_ring_tx_want_space(&t.tx, PKT_BYTES), -EINVAL);
	vmb_ring_tx_publish(&t.tx);
	fini(&t);
}

/* Requests that can never be met are refused. */
static void impossible_requests_refused(void)
{
	static uint8_t big[4 * VMB_PAGE_SIZE];
	struct vt_ring t;

	init(&t);
	fill(&t, 1);
	vmb_ring_tx_publish(&t.tx);
	VT_EQ(vmb_ring_tx_want_space(&t.tx, SIZE), -EINVAL);
	VT_EQ(vmb_ring_write_inband(&t.tx, 0, 1, big, sizeof(big)), -EINVAL);
	fini(&t);
}

static const struct vt_case cases[] = {
	VT_CASE(full_ring_leaves_8_bytes),
	VT_CASE(release_signals_once_at_threshold),
	VT_CASE(want_space_withdrawn_if_space_appeared),
	VT_CASE(want_space_two_packets),
	VT_CASE(want_space_refuses_unpublished),
	VT_CASE(impossible_requests_refused),
};

VT_MAIN(cases)
