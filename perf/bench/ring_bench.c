// SPDX-License-Identifier: MIT
/*
 * ring_bench: 64-byte inband packets from one core to the other through the
 * vmbnet ring, at bursts 1, 8, 32, 128, 256. In the same run, on the same
 * cores and with the same payload, two references:
 *   raw      - the same 64 bytes copied through a bare SPSC slot array (no
 *              descriptor, trailer, validation or signaling): the floor cost
 *              of moving the bytes across cores;
 *   rte_ring - DPDK's rte_ring, SP/SC, 64-byte elements.
 *
 * The ring's consumer behaves like a NAPI poller with busy-poll: it masks
 * interrupts while draining, polls an empty ring IDLE_POLLS times, then
 * unmasks and waits for the producer's signal (a counter, spun on), so
 * "signals per million packets" is what a real driver would take in
 * interrupts.
 *
 * Expected here (2 cores, shared machine, burst 32): vmb/raw >= 0.8, at most
 * one signal per burst, vmb/rte_ring >= 1.0.
 *
 * usage: ring_bench [--packets N] [--reps R] [--report-dir DIR]
 * Fails only when a measurement cannot be made.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "vmbnet/vmb_ring.h"
#include "vmbnet_report.h"

#define PAYLOAD_BYTES 64
#define RING_DATA_BYTES (256u * 1024) /* 64 pages, the device's default ring */
#define SLOTS (RING_DATA_BYTES / PAYLOAD_BYTES) /* raw and rte_ring capacity */
#define DEQ_MAX 256 /* rte_ring consumer's burst */
#define SPIN_LIMIT_NS 5000000000ull /* a wait this long is a lost wake-up */
#define IDLE_POLLS 256 /* empty-ring polls before the consumer sleeps */

enum kind { K_VMB, K_RAW, K_RTE, K__COUNT };
static const char *const kind_names[K__COUNT] = { "vmb", "raw", "rte_ring" };

static const unsigned int bursts[] = { 1, 8, 32, 128, 256 };
#define NBURSTS (sizeof(bursts) / sizeof(bursts[0]))

struct shared {
	/* vmbnet ring */
	void *ring_mem;
	struct vmb_ring tx, rx;
	/* raw slot array */
	uint8_t (*slots)[PAYLOAD_BYTES];
	uint64_t raw_head __attribute__((aligned(64))); /* producer's count */
	uint64_t raw_tail __attribute__((aligned(64))); /* consumer's count */
	/* rte_ring */
	struct rte_ring *rte;
	/* signals, as counters the peer spins on */
	uint64_t data_sig __attribute__((aligned(64)));
	uint64_t space_sig __attribute__((aligned(64)));
	/* run parameters and results */
	enum kind kind;
	unsigned int burst;
	uint64_t packets;
	uint64_t checksum; /* consumer's sum of bytes, keeps the copies honest */
	pthread_barrier_t start;
};

static struct shared S;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "ring_bench: cannot pin to cpu %d (running unpinned)\n", cpu);
}

/* Spin until *ctr differs from @seen; abort on a lost wake-up. */
static uint64_t wait_change(uint64_t *ctr, uint64_t seen, const char *what)
{
	uint64_t t0 = 0, v;
	unsigned int spins = 0;

	while ((v = __atomic_load_n(ctr, __ATOMIC_ACQUIRE)) == seen) {
		_mm_pause();
		if (++spins % 4096 == 0) {
			if (!t0)
				t0 = vmbnet_now_ns();
			else if (vmbnet_now_ns() - t0 > SPIN_LIMIT_NS) {
				fprintf(stderr, "ring_bench: lost wake-up waiting for %s\n", what);
				exit(1);
			}
		}
	}
	return v;
}

static void vmb_produce(const uint8_t *payload)
{
	const uint32_t need = 16 + PAYLOAD_BYTES + VMB_TRAILER_SIZE;
	uint64_t sent = 0;

	while (sent < S.packets) {
		uint64_t n = S.packets - sent < S.burst ? S.packets - sent : S.burst;
		int ret = 0;

		for (uint64_t i = 0; i < n; i++) {
			ret = vmb_ring_write_inband(&S.tx, 0, sent + 1, payload, PAYLOAD_BYTES);
			if (ret)
				break;
			sent++;
		}
		if (vmb_ring_tx_publish(&S.tx))
			__atomic_fetch_add(&S.data_sig, 1, __ATOMIC_RELEASE);
		if (ret == -EAGAIN) {
			uint64_t seen = __atomic_load_n(&S.space_sig, __ATOMIC_ACQUIRE);

			if (vmb_ring_tx_want_space(&S.tx, need) == -EAGAIN) {
				wait_change(&S.space_sig, seen, "space");
				vmb_ring_tx_signal_received(&S.tx);
			}
		} else if (ret) {
			fprintf(stderr, "ring_bench: write failed: %d\n", ret);
			exit(1);
		}
	}
}

static void vmb_consume(void)
{
	uint8_t buf[PAYLOAD_BYTES];
	uint64_t got = 0, sum = 0;
	struct vmb_pkt p;

	vmb_ring_rx_mask(&S.rx);
	while (got < S.packets) {
		int ret;

		while ((ret = vmb_ring_peek(&S.rx, &p)) == 0) {
			if (p.data)
				memcpy(buf, p.data, PAYLOAD_BYTES);
			else
				vmb_ring_pkt_copy(&S.rx, &p, p.data_off, buf, PAYLOAD_BYTES);
			sum += buf[got % PAYLOAD_BYTES];
			vmb_ring_advance(&S.rx, &p);
			got++;
		}
		if (ret != -EAGAIN) {
			fprintf(stderr, "ring_bench: peek failed: %d\n", ret);
			exit(1);
		}
		if (vmb_ring_rx_release(&S.rx))
			__atomic_fetch_add(&S.space_sig, 1, __ATOMIC_RELEASE);
		if (got == S.packets)
			break;
		/* Empty: poll a little first (busy-poll, as NAPI and DPDK do),
		 * then sleep the NAPI way: unmask, re-check, wait for a signal.
		 */
		for (unsigned int i = 0; i < IDLE_POLLS && ret == -EAGAIN; i++) {
			_mm_pause();
			ret = vmb_ring_peek(&S.rx, &p);
		}
		if (ret == 0)
			continue;
		uint64_t seen = __atomic_load_n(&S.data_sig, __ATOMIC_ACQUIRE);

		if (!vmb_ring_rx_unmask(&S.rx))
			wait_change(&S.data_sig, seen, "data");
		vmb_ring_rx_mask(&S.rx);
	}
	S.checksum = sum;
}

static void raw_produce(const uint8_t *payload)
{
	uint64_t head = 0, tail = 0;

	while (head < S.packets) {
		uint64_t n = S.packets - head < S.burst ? S.packets - head : S.burst;

		while (head + n - tail > SLOTS) {
			tail = __atomic_load_n(&S.raw_tail, __ATOMIC_ACQUIRE);
			_mm_pause();
		}
		for (uint64_t i = 0; i < n; i++)
			memcpy(S.slots[(head + i) % SLOTS], payload, PAYLOAD_BYTES);
		head += n;
		__atomic_store_n(&S.raw_head, head, __ATOMIC_RELEASE);
	}
}

static void raw_consume(void)
{
	uint8_t buf[PAYLOAD_BYTES];
	uint64_t tail = 0, sum = 0;

	while (tail < S.packets) {
		uint64_t head = __atomic_load_n(&S.raw_head, __ATOMIC_ACQUIRE);

		if (head == tail) {
			_mm_pause();
			continue;
		}
		for (; tail < head; tail++) {
			memcpy(buf, S.slots[tail % SLOTS], PAYLOAD_BYTES);
			sum += buf[tail % PAYLOAD_BYTES];
		}
		__atomic_store_n(&S.raw_tail, tail, __ATOMIC_RELEASE);
	}
	S.checksum = sum;
}

static void rte_produce(const uint8_t *payload)
{
	static uint8_t objs[256][PAYLOAD_BYTES];
	uint64_t sent = 0;

	for (unsigned int i = 0; i < 256; i++)
		memcpy(objs[i], payload, PAYLOAD_BYTES);
	while (sent < S.packets) {
		unsigned int n = S.packets - sent < S.burst ? (unsigned int)(S.packets - sent) :
							      S.burst;
		unsigned int done = 0;

		while (done < n) {
			done += rte_ring_sp_enqueue_burst_elem(S.rte, objs[done], PAYLOAD_BYTES,
							       n - done, NULL);
			if (done < n)
				_mm_pause();
		}
		sent += n;
	}
}

static void rte_consume(void)
{
	static uint8_t objs[DEQ_MAX][PAYLOAD_BYTES];
	uint64_t got = 0, sum = 0;

	while (got < S.packets) {
		unsigned int n =
			rte_ring_sc_dequeue_burst_elem(S.rte, objs, PAYLOAD_BYTES, DEQ_MAX, NULL);

		if (!n) {
			_mm_pause();
			continue;
		}
		for (unsigned int i = 0; i < n; i++)
			sum += objs[i][(got + i) % PAYLOAD_BYTES];
		got += n;
	}
	S.checksum = sum;
}

static void *producer(void *arg)
{
	uint8_t payload[PAYLOAD_BYTES];

	for (unsigned int i = 0; i < PAYLOAD_BYTES; i++)
		payload[i] = (uint8_t)i;
	pin(0);
	pthread_barrier_wait(&S.start);
	if (S.kind == K_VMB)
		vmb_produce(payload);
	else if (S.kind == K_RAW)
		raw_produce(payload);
	else
		rte_produce(payload);
	return NULL;
}

struct measurement {
	double pps;
	double cycles_per_packet;
	double signals_per_mpkt;
};

static void reset_shared(void)
{
	vmb_ring_format(S.ring_mem, VMB_PAGE_SIZE + RING_DATA_BYTES);
	vmb_ring_attach_producer(&S.tx, S.ring_mem, VMB_PAGE_SIZE + RING_DATA_BYTES);
	vmb_ring_attach_consumer(&S.rx, S.ring_mem, VMB_PAGE_SIZE + RING_DATA_BYTES);
	S.raw_head = S.raw_tail = 0;
	S.data_sig = S.space_sig = 0;
	rte_ring_reset(S.rte);
}

/* One run: the consumer (this thread, cpu 1) times the stream. */
static struct measurement run(enum kind kind, unsigned int burst, uint64_t packets)
{
	struct measurement m;
	uint64_t t0, t1, c0, c1, want = 0;
	pthread_t pt;

	reset_shared();
	S.kind = kind;
	S.burst = burst;
	S.packets = packets;
	pthread_barrier_init(&S.start, NULL, 2);
	if (pthread_create(&pt, NULL, producer, NULL)) {
		fprintf(stderr, "ring_bench: cannot start the producer thread\n");
		exit(1);
	}
	pin(1);
	pthread_barrier_wait(&S.start);
	t0 = vmbnet_now_ns();
	c0 = __rdtsc();
	if (kind == K_VMB)
		vmb_consume();
	else if (kind == K_RAW)
		raw_consume();
	else
		rte_consume();
	c1 = __rdtsc();
	t1 = vmbnet_now_ns();
	pthread_join(pt, NULL);
	pthread_barrier_destroy(&S.start);

	for (uint64_t i = 0; i < packets; i++)
		want += i % PAYLOAD_BYTES;
	if (S.checksum != want) {
		fprintf(stderr, "ring_bench: %s burst %u: payload checksum mismatch\n",
			kind_names[kind], burst);
		exit(1);
	}
	m.pps = (double)packets * 1e9 / (double)(t1 - t0);
	m.cycles_per_packet = (double)(c1 - c0) / (double)packets;
	m.signals_per_mpkt =
		kind == K_VMB ? (double)S.tx.stats.signals_sent * 1e6 / (double)packets : 0;
	return m;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "packets", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "report-dir", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *report_dir = ".";
	uint64_t packets = 5000000;
	unsigned int reps = 3;
	struct vmbnet_report rep;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			packets = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			report_dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [--packets N] [--reps R] [--report-dir DIR]\n",
				argv[0]);
			return 2;
		}
	}
	if (!packets || !reps || reps > 15) {
		fprintf(stderr, "ring_bench: --packets must be > 0 and --reps 1..15\n");
		return 2;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "ring_bench: needs 2 CPUs to measure cross-core rates\n");
		return 1;
	}
	S.ring_mem = aligned_alloc(VMB_PAGE_SIZE, VMB_PAGE_SIZE + RING_DATA_BYTES);
	S.slots = aligned_alloc(64, RING_DATA_BYTES);
	S.rte = aligned_alloc(128, rte_ring_get_memsize_elem(PAYLOAD_BYTES, SLOTS));
	if (!S.ring_mem || !S.slots || !S.rte ||
	    rte_ring_init(S.rte, "bench", SLOTS, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ)) {
		fprintf(stderr, "ring_bench: cannot set up the rings\n");
		return 1;
	}
	vmbnet_report_init(&rep, "ring");

	printf("ring benchmark: %d-byte inband packets, cpu 0 -> cpu 1, %llu packets per run, "
	       "median of %u runs\n",
	       PAYLOAD_BYTES, (unsigned long long)packets, reps);
	printf("cpu: %s\n", vmbnet_cpu_model());
	printf("%5s | %9s %8s %9s | %9s %9s | %7s %8s\n", "burst", "vmb Mpps", "cyc/pkt",
	       "sig/Mpkt", "raw Mpps", "rte Mpps", "vmb/raw", "vmb/rte");
	for (unsigned int b = 0; b < NBURSTS; b++) {
		double pps[K__COUNT][15], cyc[15], sig[15], med[K__COUNT];
		json_t *res;

		/* Interleave the kinds so drift on a noisy machine hits all alike. */
		for (unsigned int r = 0; r < reps; r++)
			for (int k = 0; k < K__COUNT; k++) {
				struct measurement m = run((enum kind)k, bursts[b], packets);

				pps[k][r] = m.pps;
				if (k == K_VMB) {
					cyc[r] = m.cycles_per_packet;
					sig[r] = m.signals_per_mpkt;
				}
			}
		for (int k = 0; k < K__COUNT; k++) {
			qsort(pps[k], reps, sizeof(double), cmp_double);
			med[k] = pps[k][reps / 2];
		}
		qsort(cyc, reps, sizeof(double), cmp_double);
		qsort(sig, reps, sizeof(double), cmp_double);
		printf("%5u | %9.2f %8.1f %9.0f | %9.2f %9.2f | %7.2f %8.2f\n", bursts[b],
		       med[K_VMB] / 1e6, cyc[reps / 2], sig[reps / 2], med[K_RAW] / 1e6,
		       med[K_RTE] / 1e6, med[K_VMB] / med[K_RAW], med[K_VMB] / med[K_RTE]);
		res = vmbnet_report_result(&rep);
		json_object_set_new(res, "config",
				    json_pack("{s:i, s:i, s:i, s:i}", "burst", bursts[b],
					      "frame_bytes", PAYLOAD_BYTES, "ring_bytes",
					      RING_DATA_BYTES, "packets", (int)packets));
		json_object_set_new(res, "pps", json_integer((json_int_t)med[K_VMB]));
		json_object_set_new(res, "cycles_per_packet", json_real(cyc[reps / 2]));
		json_object_set_new(res, "signals_per_mpkt", json_real(sig[reps / 2]));
		json_object_set_new(res, "peer",
				    json_pack("{s:s, s:I}", "name", "rte_ring", "pps",
					      (json_int_t)med[K_RTE]));
		json_object_set_new(res, "ratio_to_peer", json_real(med[K_VMB] / med[K_RTE]));
		json_object_set_new(res, "raw_copy",
				    json_pack("{s:I}", "pps", (json_int_t)med[K_RAW]));
		json_object_set_new(res, "ratio_to_raw_copy", json_real(med[K_VMB] / med[K_RAW]));
	}
	printf("targets at burst 32: vmb/raw >= 0.80, sig/Mpkt <= %d (one per burst), "
	       "vmb/rte >= 1.00\n",
	       1000000 / 32);
	c = vmbnet_report_write(&rep, report_dir);
	vmbnet_report_fini(&rep);
	return c ? 1 : 0;
}
