// SPDX-License-Identifier: MIT
/*
 * Regression (hostile-peers issue, bug 5): closing a channel drains the
 * guest -> host ring, and the drain had no bound. A guest with a second
 * vCPU that keeps moving write_index along a cyclic chain of packets kept
 * the closing thread (QEMU's, holding the global lock) spinning forever.
 *
 * Here a timer signal plays that vCPU: the whole ring is a chain of completions
 * and write_index keeps moving along it. The close must return after at
 * most one ring's worth of packets (the test's timeout catches a hang).
 *
 * usage: test_nic_drain --list | <case>
 */
#include <signal.h>
#include <sys/time.h>

#include "fake_guest.h"
#include "vmbnet_nic.h"

#define UP_PAGES 1024 /* 4 MiB - 4 KiB of data: 174592 packets of 24 bytes */
#define DOWN_PAGES 4
#define PKT_BYTES 24 /* descriptor + trailer, no payload */

static struct fake_guest g;
static struct vmbnet_host h;
static struct vmbnet_nic nic;

static int net_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		  const struct vmbnet_frame_meta *meta)
{
	return 0;
}

static const struct vmbnet_nic_ops net_ops = { .tx = net_tx };

/*
 * The second vCPU, as a timer signal on the closing thread itself (so that
 * it runs however loaded the machine is): every 100 us write_index jumps to
 * another packet of the chain. The host re-reads write_index each time it
 * catches up with the value it read, and finds it equal to its position only
 * once in UP_PAGES * 4096 / 24 tries: without a bound the drain runs for
 * minutes.
 */
static struct vmb_ring_hdr *chain_hdr;
static uint64_t jumps;

static void jump(int sig)
{
	uint32_t npkts = (UP_PAGES - 1) * VMB_PAGE_SIZE / PKT_BYTES;

	jumps += 7919; /* prime: every position in turn */
	__atomic_store_n(&chain_hdr->write_index, (uint32_t)(jumps % npkts) * PKT_BYTES,
			 __ATOMIC_RELEASE);
}

static void close_cyclic_chain(void)
{
	uint64_t ring_pfn;
	uint8_t *ring, *data;
	uint32_t size = (UP_PAGES - 1) * VMB_PAGE_SIZE;
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };
	struct itimerval every = { { 0, 100 }, { 0, 100 } }, disarm = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = jump };

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 1, (const uint8_t[6]){ 2, 1, 2, 3, 4, 5 }, &fake_guest_ops, &g,
			       &vmbnet_nic_handler),
	      0);
	vmbnet_nic_init(&nic, &h, 1500, &net_ops, NULL);
	fg_connect(&h);
	ring_pfn = fg_alloc(&g, UP_PAGES + DOWN_PAGES);
	VT_EQ(fg_gpadl_contig(&h, 1, 10, ring_pfn, UP_PAGES + DOWN_PAGES), 0);
	VT_EQ(fg_open(&h, &g, 1, 10, ring_pfn, UP_PAGES, DOWN_PAGES), 0);
	ring = fg_ptr(&g, ring_pfn);
	data = ring + VMB_PAGE_SIZE;
	VT_EQ(size % PKT_BYTES, 0);
	for (uint32_t off = 0; off < size; off += PKT_BYTES) {
		struct vmb_pkt_desc d = { .type = VMB_PKT_COMP,
					  .offset8 = sizeof(d) / 8,
					  .len8 = sizeof(d) / 8,
					  .trans_id = 1000 + off };
		uint64_t trailer = (uint64_t)off << 32;

		memcpy(data + off, &d, sizeof(d));
		memcpy(data + off + sizeof(d), &trailer, sizeof(trailer));
	}
	__atomic_store_n(&((struct vmb_ring_hdr *)ring)->write_index, size - PKT_BYTES,
			 __ATOMIC_RELEASE);
	chain_hdr = (struct vmb_ring_hdr *)ring;
	VT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	VT_EQ(setitimer(ITIMER_REAL, &every, NULL), 0);
	vmbnet_host_message(&h, &c, sizeof(c)); /* returns: the drain is bounded */
	VT_EQ(setitimer(ITIMER_REAL, &disarm, NULL), 0);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OFFERED);
	VT_CHECK(h.chan[0].in.stats.packets <= vmb_ring_max_pkts(&h.chan[0].in));
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static const struct vt_case cases[] = {
	VT_CASE(close_cyclic_chain),
};

VT_MAIN(cases)
