// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the DDI core's completion path (guest-driver/core)
 * against a host that is the fuzzer. Sends of every seed DDI (external-MDL
 * packets, NBLs with per-packet info, 802.11 sends by handle, intermediate
 * driver clones) go out; completions come back with ids and payloads the
 * fuzzer picks: the right one, another's, one twice, one never sent, any
 * echo of per-packet info. The oracle: every send the core accepted
 * completes exactly once (by the end, when the channel goes away), and
 * nothing else does.
 *
 * Input: records of u8 op, u8 arg, u16 len (LE), len bytes.
 *   op % 5: 0 send an NBL (its info slots from the bytes)
 *           1 send an external-MDL packet, 2 an 802.11 frame by handle,
 *           3 an intermediate driver's clone
 *           4 complete the arg-th id sent (or, with arg 255, the id in the
 *             first 8 bytes) with the rest as payload
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet_ddi.h"

#define SLOTS 16
#define ITEMS 64
#define POOL_BYTES (1u << 20) /* the core's header area and a page per item */
#define POOL_PFN0 0x4000u

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static uint8_t pool[POOL_BYTES] __attribute__((aligned(4096)));
static size_t pool_next;
static struct vmbnet_core C;
static uint64_t sent_tids[4096];
static unsigned int nsent_tids;

/* what the core accepted, and how often each completed */
static struct {
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl mdl;
	uint64_t pfn[2];
	unsigned int done;
	bool accepted;
} items[ITEMS];
static unsigned int nitems;

static int p_send(void *o, uint16_t type, uint16_t flags, uint64_t tid, const void *ext,
		  uint32_t ext_len, const struct vmb_sg *sg, unsigned int nsg, bool more)
{
	if (nsent_tids < sizeof(sent_tids) / sizeof(sent_tids[0]))
		sent_tids[nsent_tids++] = tid;
	return 0;
}

static void p_flush(void *o)
{
}

static bool p_ready(void *o)
{
	return true;
}

static bool p_atomic(void *o)
{
	return false;
}

static void *p_alloc(void *o, size_t n)
{
	return calloc(1, n);
}

static void p_free(void *o, void *p)
{
	free(p);
}

static void *p_dma_alloc(void *o, size_t n, uint64_t *pfn)
{
	size_t bytes = (n + VMB_PAGE_SIZE - 1) & ~(size_t)(VMB_PAGE_SIZE - 1);
	void *p;

	if (bytes > POOL_BYTES - pool_next)
		return NULL;
	p = pool + pool_next;
	*pfn = POOL_PFN0 + pool_next / VMB_PAGE_SIZE;
	pool_next += bytes;
	return p;
}

static void p_dma_free(void *o, void *p, size_t n, uint64_t pfn)
{
}

static void p_nolock(void *o)
{
}

static void p_wait(void *o, bool (*done)(void *arg), void *arg)
{
}

static uint64_t p_now(void *o)
{
	static uint64_t t;

	return t += 1000;
}

static void p_macs(void *o, uint8_t s[6], uint8_t d[6])
{
	memset(s, 2, 6);
	memset(d, 0xff, 6);
}

static int p_describe(void *o, void *va, uint32_t len, struct vmbnet_mdl *m, uint64_t *pfns,
		      uint32_t max)
{
	uint64_t off = (uint64_t)((uint8_t *)va - pool);

	if ((uint8_t *)va < pool || off + len > POOL_BYTES)
		return -EINVAL;
	return vmbnet_mdl_contig(m, va, len, POOL_PFN0 + off / VMB_PAGE_SIZE, pfns, max);
}

static const struct vmbnet_core_port port = {
	.send = p_send,
	.flush = p_flush,
	.ready = p_ready,
	.in_atomic = p_atomic,
	.alloc = p_alloc,
	.free = p_free,
	.dma_alloc = p_dma_alloc,
	.dma_free = p_dma_free,
	.lock = p_nolock,
	.unlock = p_nolock,
	.wait = p_wait,
	.now_ns = p_now,
	.macs = p_macs,
	.describe = p_describe,
};

static void nbl_done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	items[(uintptr_t)ctx].done++;
}

static void pkt_done(struct vmbnet_vmbpacket *p, int32_t status, const void *payload, uint32_t len)
{
	items[(uintptr_t)p->ctx].done++;
	vmbnet_packet_free(p);
}

static void dot11_done(void *arg, void *h)
{
	items[(uintptr_t)h].done++;
}

/* A 100-byte frame in DMA memory, described as one MDL. */
static unsigned int item_new(const uint8_t *b, uint16_t n)
{
	unsigned int i = nitems++;
	uint64_t pfn;
	uint8_t *f = p_dma_alloc(NULL, 128, &pfn);

	memset(&items[i], 0, sizeof(items[i]));
	if (!f)
		abort();
	memset(f, 0xff, 12);
	p_describe(NULL, f, 100, &items[i].mdl, items[i].pfn, 2);
	items[i].nb.MdlChain = &items[i].mdl;
	items[i].nb.DataLength = 100;
	items[i].nbl.FirstNetBuffer = &items[i].nb;
	for (unsigned int k = 0; k < VMBNET_INFO_MAX && 4u * k + 4 <= n; k++) {
		uint32_t v;

		memcpy(&v, b + 4 * k, 4);
		items[i].nbl.NetBufferListInfo[k] = (void *)(uintptr_t)v;
	}
	return i;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	size_t off = 0;

	pool_next = 0;
	nitems = nsent_tids = 0;
	if (vmbnet_core_init(&C, &port, NULL, SLOTS))
		abort();
	vmbnet_dot11_register(&C, dot11_done, NULL);
	while (off + 4 <= len) {
		uint8_t op = in[off], arg = in[off + 1];
		uint16_t n = (uint16_t)(in[off + 2] | in[off + 3] << 8);
		const uint8_t *b = in + off + 4;
		unsigned int i;
		int32_t st = -1;

		off += 4;
		if (n > len - off)
			n = (uint16_t)(len - off);
		off += n;
		if (op % 5 != 4 && nitems == ITEMS)
			continue;
		switch (op % 5) {
		case 0:
			i = item_new(b, n);
			st = vmbnet_send_nbl(&C, &items[i].nbl, NULL, 0, nbl_done,
					     (void *)(uintptr_t)i);
			break;
		case 1: {
			struct vmbnet_vmbpacket *p;

			i = item_new(b, n);
			p = vmbnet_packet_alloc(&C, pkt_done, (void *)(uintptr_t)i);
			if (!p)
				break;
			st = vmbnet_packet_send_ext_mdl(p, b, n < 64 ? n : 64, &items[i].mdl, 0, 0,
							VMBNET_FLAG_WAIT_FOR_COMPLETION);
			if (st)
				vmbnet_packet_free(p);
			break;
		}
		case 2:
			i = item_new(b, n);
			st = vmbnet_dot11_send_packet(&C, (void *)items[i].mdl.StartVa, 100,
						      (void *)(uintptr_t)i);
			break;
		case 3:
			i = item_new(b, n);
			st = vmbnet_im_send(&C, &items[i].nbl, nbl_done, (void *)(uintptr_t)i);
			break;
		case 4: {
			uint64_t tid = nsent_tids ? sent_tids[arg % nsent_tids] : 0;

			if (arg == 255 && n >= 8) {
				memcpy(&tid, b, 8);
				b += 8;
				n -= 8;
			}
			vmbnet_core_complete(&C, tid, b, n);
			continue;
		}
		}
		items[i].accepted = st == 0;
	}
	vmbnet_core_cancel_all(&C, VMBNET_STATUS_CANCELLED);
	for (unsigned int i = 0; i < nitems; i++)
		if (items[i].done != (items[i].accepted ? 1u : 0u))
			abort(); /* completed twice, never, or without having been sent */
	vmbnet_core_fini(&C);
	return 0;
}
