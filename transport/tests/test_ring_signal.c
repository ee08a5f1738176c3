// SPDX-License-Identifier: MIT
/*
 * Signaling rules: the producer signals only on empty -> non-empty with the
 * consumer's interrupt_mask clear, once per batch; unmask reports packets
 * that arrived while masked (the lost-wakeup re-check); spurious signals are
 * counted.
 */
#include "vmb_test_ring.h"

static void put(struct vt_ring *t, uint64_t id)
{
	uint64_t v = id;

	VT_EQ(vmb_ring_write_inband(&t->tx, 0, id, &v, sizeof(v)), 0);
}

static int drain(struct vt_ring *t)
{
	struct vmb_pkt p;
	int n = 0;

	while (vmb_ring_peek(&t->rx, &p) == 0) {
		vmb_ring_advance(&t->rx, &p);
		n++;
	}
	vmb_ring_rx_release(&t->rx);
	return n;
}

static void init(struct vt_ring *t)
{
	vt_ring_init(t, 4 * VMB_PAGE_SIZE);
}

/* Consumer releases never signal while the producer is not waiting. */
static void fini(struct vt_ring *t)
{
	VT_EQ(t->rx.stats.signals_sent, 0);
	vt_ring_fini(t);
}

/* 33 packets published in two batches, the first one signalled. */
static void batches(struct vt_ring *t)
{
	/* A batch of 32 into an empty ring: exactly one signal. */
	for (int i = 1; i <= 32; i++)
		put(t, i);
	VT_EQ(vmb_ring_tx_publish(&t->tx), true);
	VT_EQ(t->tx.stats.signals_sent, 1);

	/* Nothing new: no decision at all. */
	VT_EQ(vmb_ring_tx_publish(&t->tx), false);
	VT_EQ(t->tx.stats.signals_suppressed, 0);

	/* Ring not empty (consumer has not read): more data, no signal. */
	put(t, 33);
	VT_EQ(vmb_ring_tx_publish(&t->tx), false);
	VT_EQ(t->tx.stats.signals_suppressed, 1);
}

static void signal_once_per_batch(void)
{
	struct vt_ring t;

	init(&t);
	batches(&t);
	fini(&t);
}

static void unmask_reports_masked_arrivals(void)
{
	struct vt_ring t;

	init(&t);
	batches(&t);

	/* Consumer drains with the mask set; producer adds meanwhile. */
	vmb_ring_rx_mask(&t.rx);
	VT_EQ(drain(&t), 33);
	put(&t, 34);
	VT_EQ(vmb_ring_tx_publish(&t.tx), false); /* masked: suppressed */
	/* Unmask must report the packet that came without a signal. */
	VT_EQ(vmb_ring_rx_unmask(&t.rx), true);
	VT_EQ(drain(&t), 1);
	VT_EQ(vmb_ring_rx_unmask(&t.rx), false);

	/* Empty and unmasked again: next batch signals. */
	put(&t, 35);
	VT_EQ(vmb_ring_tx_publish(&t.tx), true);
	VT_EQ(t.tx.stats.signals_sent, 2);
	fini(&t);
}

/* A signal while there is data and we listen is due; one with the ring
 * drained, or while masked, is spurious.
 */
static void spurious_data_signals(void)
{
	struct vt_ring t;

	init(&t);
	put(&t, 35);
	VT_EQ(vmb_ring_tx_publish(&t.tx), true);

	vmb_ring_rx_signal_received(&t.rx);
	VT_EQ(t.rx.stats.signals_spurious, 0);
	VT_EQ(drain(&t), 1);
	vmb_ring_rx_signal_received(&t.rx);
	VT_EQ(t.rx.stats.signals_spurious, 1);
	vmb_ring_rx_mask(&t.rx);
	put(&t, 36);
	vmb_ring_tx_publish(&t.tx);
	vmb_ring_rx_signal_received(&t.rx);
	VT_EQ(t.rx.stats.signals_spurious, 2);
	fini(&t);
}

/* Unmasking before releasing must not let the consumer sleep: the producer
 * judges "empty" by the published read_index (review finding: lost wake-up
 * when unmask came before release).
 */
static void unmask_before_release(void)
{
	struct vt_ring t;
	struct vmb_pkt p;

	init(&t);
	/* Masked, with one packet published and not read. */
	vmb_ring_rx_mask(&t.rx);
	put(&t, 36);
	VT_EQ(vmb_ring_tx_publish(&t.tx), false);

	vmb_ring_rx_unmask(&t.rx);
	put(&t, 37);
	vmb_ring_tx_publish(&t.tx);
	vmb_ring_rx_mask(&t.rx);
	while (vmb_ring_peek(&t.rx, &p) == 0)
		vmb_ring_advance(&t.rx, &p);
	VT_EQ(vmb_ring_rx_unmask(&t.rx), true); /* not released yet */
	vmb_ring_rx_release(&t.rx);
	VT_EQ(vmb_ring_rx_unmask(&t.rx), false);
	put(&t, 38);
	VT_EQ(vmb_ring_tx_publish(&t.tx), true);
	VT_EQ(drain(&t), 1);
	fini(&t);
}

/* A space signal while not waiting for space is spurious. */
static void spurious_space_signal(void)
{
	struct vt_ring t;

	init(&t);
	vmb_ring_tx_signal_received(&t.tx);
	VT_EQ(t.tx.stats.signals_spurious, 1);
	fini(&t);
}

static const struct vt_case cases[] = {
	VT_CASE(signal_once_per_batch), VT_CASE(unmask_reports_masked_arrivals),
	VT_CASE(spurious_data_signals), VT_CASE(unmask_before_release),
	VT_CASE(spurious_space_signal),
};

VT_MAIN(cases)
