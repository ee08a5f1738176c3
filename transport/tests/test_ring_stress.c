// SPDX-License-Identifier: MIT
/*
 * Two threads on two cores stream packets of random sizes and types through
 * a small ring (so it wraps and fills constantly), each side sleeping on an
 * eventfd exactly as the signaling rules allow. Checks that no packet is
 * lost, duplicated, reordered or corrupted, and that no wake-up is lost: a
 * sleeper that waits longer than WAKEUP_TIMEOUT_MS fails the test.
 *
 * usage: test_ring_stress two_threads_stream [packets]
 *        (also built under ThreadSanitizer)
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmb_test_ring.h"
#include "vmbnet/vmb_ring_dump.h"

#define RING_BYTES (16 * VMB_PAGE_SIZE)
#define MAX_PAYLOAD 3000u
#define MAX_BATCH 64u
#define WAKEUP_TIMEOUT_MS 20000

static struct vt_ring ring;
static int data_efd, space_efd;
static uint64_t total_packets;

/* xorshift64*: deterministic per seed, cheap. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void signal_efd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		VT_FAIL("eventfd write");
}

static void wait_efd(int fd, const char *who)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&pfd, 1, WAKEUP_TIMEOUT_MS) != 1) {
		vmb_ring_dump(stderr, "tx", &ring.tx);
		vmb_ring_dump(stderr, "rx", &ring.rx);
		VT_FAIL("%s: lost wake-up (no signal in %d ms)", who, WAKEUP_TIMEOUT_MS);
	}
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		VT_FAIL("eventfd read");
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % CPU_SETSIZE, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set); /* best effort */
}

/* Packet seq's shape and contents follow from seq alone. */
static uint16_t seq_type(uint64_t seq)
{
	static const uint16_t types[] = { VMB_PKT_DATA_INBAND, VMB_PKT_DATA_GPA_DIRECT,
					  VMB_PKT_DATA_XFER_PAGES, VMB_PKT_COMP };
	return types[(seq * 2654435761u >> 7) % 4];
}

static uint32_t seq_len(uint64_t seq)
{
	uint64_t s = seq * 0x9e3779b97f4a7c15ull + 1;

	return (uint32_t)(rnd(&s) % MAX_PAYLOAD) + sizeof(uint64_t);
}

static void fill(uint8_t *buf, uint64_t seq, uint32_t len)
{
	memcpy(buf, &seq, sizeof(seq));
	for (uint32_t i = sizeof(seq); i < len; i++)
		buf[i] = (uint8_t)(seq + i * 7);
}

static int write_one(uint64_t seq, uint8_t *buf)
{
	struct {
		struct vmb_gpa_direct_hdr h;
		struct vmb_gpa_range r;
		uint64_t pfn;
	} gpa = { { 0, 1 }, { 100, 8 }, seq };
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r;
	} xfer = { { 0, 0, 0, 1 }, { 64, (uint32_t)seq & 0xfff8 } };
	uint16_t type = seq_type(seq);
	uint32_t len = seq_len(seq);
	struct vmb_sg sg[2] = { { buf, len / 2 }, { buf + len / 2, len - len / 2 } };
	const void *ext = NULL;
	uint32_t ext_len = 0;

	fill(buf, seq, len);
	if (type == VMB_PKT_DATA_GPA_DIRECT) {
		ext = &gpa;
		ext_len = sizeof(gpa);
	} else if (type == VMB_PKT_DATA_XFER_PAGES) {
		ext = &xfer;
		ext_len = sizeof(xfer);
	}
	return vmb_ring_write(&ring.tx, type, VMB_PKT_FLAG_COMPLETION_REQUESTED, seq + 1, ext,
			      ext_len, sg, 2);
}

static void *producer(void *arg)
{
	static uint8_t buf[MAX_PAYLOAD + 16];
	uint64_t seed = 12345, seq = 0;

	pin(0);
	while (seq < total_packets) {
		uint32_t batch = (uint32_t)(rnd(&seed) % MAX_BATCH) + 1;
		int ret = 0;

		for (uint32_t i = 0; i < batch && seq < total_packets; i++) {
			ret = write_one(seq, buf);
			if (ret)
				break;
			seq++;
		}
		if (vmb_ring_tx_publish(&ring.tx))
			signal_efd(data_efd);
		if (ret == -EAGAIN) {
			uint32_t need = 16 + 24 + VMB_ALIGN8(MAX_PAYLOAD + 8) + 8;

			if (vmb_ring_tx_want_space(&ring.tx, need) == -EAGAIN) {
				wait_efd(space_efd, "producer");
				vmb_ring_tx_signal_received(&ring.tx);
			}
		} else if (ret) {
			VT_FAIL("write: %d", ret);
		}
	}
	return NULL;
}

static void check_pkt(const struct vmb_pkt *p, uint64_t seq, uint8_t *buf)
{
	uint32_t len = seq_len(seq);
	uint8_t want[MAX_PAYLOAD + 16];

	VT_EQ(p->trans_id, seq + 1);
	VT_EQ(p->type, seq_type(seq));
	VT_EQ(vmb_pkt_data_len(p), VMB_ALIGN8(len));
	VT_EQ(vmb_ring_pkt_copy(&ring.rx, p, p->data_off, buf, len), 0);
	fill(want, seq, len);
	if (memcmp(buf, want, len))
		VT_FAIL("packet %" PRIu64 " corrupted", seq);
}

static void *consumer(void *arg)
{
	static uint8_t buf[MAX_PAYLOAD + 16];
	uint64_t seq = 0;
	struct vmb_pkt p;

	pin(1);
	while (seq < total_packets) {
		int ret;

		vmb_ring_rx_mask(&ring.rx);
		while ((ret = vmb_ring_peek(&ring.rx, &p)) == 0) {
			check_pkt(&p, seq++, buf);
			vmb_ring_advance(&ring.rx, &p);
		}
		if (ret != -EAGAIN)
			VT_FAIL("peek: %d (%s)", ret, vmb_ring_error_name(ring.rx.error));
		if (vmb_ring_rx_release(&ring.rx))
			signal_efd(space_efd);
		if (seq < total_packets && !vmb_ring_rx_unmask(&ring.rx)) {
			wait_efd(data_efd, "consumer");
			vmb_ring_rx_signal_received(&ring.rx);
		}
	}
	return NULL;
}

static void two_threads_stream(void)
{
	pthread_t pt, ct;

	total_packets = vt_argc > 0 ? strtoull(vt_argv[0], NULL, 0) : 1000000;
	vt_ring_init(&ring, RING_BYTES);
	data_efd = eventfd(0, 0);
	space_efd = eventfd(0, 0);
	VT_CHECK(data_efd >= 0 && space_efd >= 0);
	VT_EQ(pthread_create(&ct, NULL, consumer, NULL), 0);
	VT_EQ(pthread_create(&pt, NULL, producer, NULL), 0);
	pthread_join(pt, NULL);
	pthread_join(ct, NULL);

	VT_EQ(ring.tx.stats.packets, total_packets);
	VT_EQ(ring.rx.stats.packets, total_packets);
	VT_EQ(ring.tx.stats.bytes, ring.rx.stats.bytes);
	VT_EQ(ring.rx.stats.protocol_errors + ring.tx.stats.protocol_errors, 0);
	VT_CHECK(ring.tx.stats.full > 0); /* back-pressure was exercised */
	VT_CHECK(ring.rx.stats.signals_sent > 0); /* and space signals */
	vmb_ring_dump(stdout, "tx", &ring.tx);
	vmb_ring_dump(stdout, "rx", &ring.rx);
	vt_ring_fini(&ring);
}

static const struct vt_case cases[] = {
	VT_CASE(two_threads_stream),
};

VT_MAIN(cases)
