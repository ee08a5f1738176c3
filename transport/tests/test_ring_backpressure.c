// SPDX-License-Identifier: MIT
/*
 * Ring full: the writer leaves 8 bytes free, refuses with -EAGAIN and
 * changes nothing; pending_send_sz makes the consumer signal exactly when
 * its release crosses the requested free space, not before, not twice.
 */
#include <string.h>

#include "vmb_test_ring.h"

#define PAYLOAD 1000u
#define PKT_BYTES (16u + VMB_ALIGN8(PAYLOAD) + VMB_TRAILER_SIZE)

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

int main(void)
{
	const uint32_t size = 4 * VMB_PAGE_SIZE;
	struct vt_ring t;
	struct vmb_ring_state st;
	uint64_t id = 1;
	uint32_t fit = (size - 8) / PKT_BYTES; /* packets that fit */
	int ret;

	vt_ring_init(&t, size);
	while ((ret = put(&t, id)) == 0)
		id++;
	VT_EQ(ret, -EAGAIN);
	VT_EQ(id - 1, fit);
	VT_EQ(t.tx.stats.full, 1);
	vmb_ring_tx_publish(&t.tx);
	vmb_ring_snapshot(&t.tx, &st);
	VT_EQ(st.bytes_used, fit * PKT_BYTES);
	VT_CHECK(size - st.bytes_used >= 8);

	/* Producer asks to be told when one more packet fits. */
	VT_EQ(vmb_ring_tx_want_space(&t.tx, PKT_BYTES), -EAGAIN);
	VT_EQ(vt_hdr(&t)->pending_send_sz, PKT_BYTES);

	/* Releasing one packet frees exactly PKT_BYTES: free space goes from
	 * below to above the threshold only if there was slack; compute it.
	 */
	take(&t, 1);
	uint32_t free_before = size - fit * PKT_BYTES;
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

	/* If space appeared between the failed write and the request, the
	 * request is withdrawn at once (no wake-up would ever come).
	 */
	vmb_ring_tx_publish(&t.tx);
	take(&t, 3);
	vmb_ring_rx_release(&t.rx);
	VT_EQ(vmb_ring_tx_want_space(&t.tx, PKT_BYTES), 0);
	VT_EQ(vt_hdr(&t)->pending_send_sz, 0);
	VT_EQ(put(&t, id), 0);

	/* Asking for two packets' worth: the release that frees one is not
	 * enough and stays silent, the one that frees the second signals.
	 */
	while (put(&t, ++id) == 0)
		;
	vmb_ring_tx_publish(&t.tx);
	VT_EQ(vmb_ring_tx_want_space(&t.tx, 2 * PKT_BYTES), -EAGAIN);
	{
		uint64_t before = t.rx.stats.signals_sent;
		struct vmb_pkt p;

		VT_EQ(vmb_ring_peek(&t.rx, &p), 0);
		vmb_ring_advance(&t.rx, &p);
		VT_EQ(vmb_ring_rx_release(&t.rx), false);
		VT_EQ(vmb_ring_peek(&t.rx, &p), 0);
		vmb_ring_advance(&t.rx, &p);
		VT_EQ(vmb_ring_rx_release(&t.rx), true);
		VT_EQ(t.rx.stats.signals_sent, before + 1);
	}
	vmb_ring_tx_signal_received(&t.tx);

	/* want_space with packets written but not published would wait for a
	 * signal the consumer can never send: refused.
	 */
	{
		struct vmb_pkt p;

		VT_EQ(vmb_ring_peek(&t.rx, &p), 0);
		vmb_ring_advance(&t.rx, &p);
		vmb_ring_rx_release(&t.rx);
		VT_EQ(put(&t, ++id), 0);
		VT_EQ(vmb_ring_tx_want_space(&t.tx, PKT_BYTES), -EINVAL);
		vmb_ring_tx_publish(&t.tx);
	}

	/* Requests that can never be met are refused. */
	VT_EQ(vmb_ring_tx_want_space(&t.tx, size), -EINVAL);
	{
		static uint8_t big[4 * VMB_PAGE_SIZE];

		VT_EQ(vmb_ring_write_inband(&t.tx, 0, 1, big, sizeof(big)), -EINVAL);
	}
	VT_EQ(t.tx.error, 0);
	vt_ring_fini(&t);
	return 0;
}
