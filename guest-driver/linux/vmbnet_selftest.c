// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: in-guest tests of the DDI rules against the real device, in
 * KTAP (the Debian kernel has no KUnit). Reading the debugfs file
 * "selftest" runs them; the boot runner turns each line into a CTest result
 * vmbnet_ddi.<case> (cases are listed with KCASE() for CMake to find).
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/gfp.h>

#include "vmbnet_ddi_linux.h"

#define WAIT_MS 3000
#define FRAME 200

struct st {
	struct vmbnet_dev *vd;
	struct vmbnet_core *c;
	u8 *page; /* two pages, physically contiguous */
	struct vmbnet_mdl m[3];
	u64 pfns[3][3];
	char why[96];
};

static atomic_t calls;
static int32_t last_status;
static u8 last_dispatch;
static void *last_ctx;

static void reset_calls(void)
{
	atomic_set(&calls, 0);
	last_status = 1;
	last_dispatch = 0xff;
	last_ctx = NULL;
}

static bool wait_calls(int n)
{
	unsigned long end = jiffies + msecs_to_jiffies(WAIT_MS);

	while (atomic_read(&calls) < n && time_before(jiffies, end))
		usleep_range(100, 300);
	return atomic_read(&calls) >= n;
}

#define CHECK(t, cond)                                                                        \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			snprintf((t)->why, sizeof((t)->why), "line %d: %s", __LINE__, #cond); \
			return -EINVAL;                                                       \
		}                                                                             \
	} while (0)

/* An RNDIS PACKET of FRAME bytes at @at; returns its length. */
static u32 put_msg(u8 *at, u8 seed)
{
	struct rndis_hdr rh = { RNDIS_MSG_PACKET, 8 + sizeof(struct rndis_packet) + FRAME };
	struct rndis_packet pk = { .data_offset = sizeof(pk), .data_len = FRAME };
	u8 *f = at + 8 + sizeof(pk);
	u32 i;

	memcpy(at, &rh, sizeof(rh));
	memcpy(at + 8, &pk, sizeof(pk));
	eth_broadcast_addr(f);
	for (i = ETH_ALEN; i < FRAME; i++)
		f[i] = (u8)(seed + i);
	return rh.msg_len;
}

static void mdl(struct st *t, int i, void *va, u32 len)
{
	struct vmbnet_core *c = t->c;

	c->port->describe(c->opaque, va, len, &t->m[i], t->pfns[i], 3);
}

static void vmb_done(struct vmbnet_vmbpacket *p, int32_t status, const void *payload, u32 len)
{
	last_status = status;
	atomic_inc(&calls);
}

static const struct nvsp_rndis_pkt nvsp = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA,
					    NVSP_SECTION_NONE, 0 };

/* Send with external data; waits for the completion when accepted. */
static int32_t send_ext(struct st *t, u32 off, u32 len, u32 flags)
{
	struct vmbnet_vmbpacket *p = vmbnet_packet_alloc(t->c, vmb_done, NULL);
	int32_t st;

	if (!p)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	reset_calls();
	st = vmbnet_packet_send_ext_mdl(p, &nvsp, sizeof(nvsp), &t->m[0], off, len, flags);
	if (!st && !wait_calls(1))
		st = -ETIMEDOUT;
	if (!st || st == -ETIMEDOUT)
		st = st ?: last_status;
	if (p->state == VMBNET_PKT_IDLE)
		vmbnet_packet_free(p);
	return st;
}

#define KCASE(name) static int st_##name(struct st *t)

KCASE(ext_mdl_requires_wait_for_completion)
{
	u32 len = put_msg(t->page, 1);

	mdl(t, 0, t->page, len);
	CHECK(t, send_ext(t, 0, 0, 0) == VMBNET_STATUS_INVALID_PARAMETER);
	msleep(20);
	CHECK(t, atomic_read(&calls) == 0); /* never called on failure */
	return 0;
}

KCASE(ext_mdl_whole_chain)
{
	u32 len = put_msg(t->page + 4000, 2); /* across the page boundary */

	mdl(t, 0, t->page + 4000, 40);
	mdl(t, 1, t->page + 4040, len - 40);
	t->m[0].Next = &t->m[1];
	CHECK(t, send_ext(t, 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION) == 0);
	CHECK(t, atomic_read(&calls) == 1);
	return 0;
}

KCASE(ext_mdl_offset_length)
{
	u32 len;

	memset(t->page, 0xee, 2 * PAGE_SIZE);
	len = put_msg(t->page + 300, 3);
	mdl(t, 0, t->page, 2 * PAGE_SIZE);
	CHECK(t, send_ext(t, 300, len, VMBNET_FLAG_WAIT_FOR_COMPLETION) == 0);
	CHECK(t, send_ext(t, 300, 2 * PAGE_SIZE, VMBNET_FLAG_WAIT_FOR_COMPLETION) ==
			 VMBNET_STATUS_INVALID_PARAMETER);
	return 0;
}

KCASE(ext_mdl_force_mdl_length)
{
	u32 len = put_msg(t->page + 3000, 4);
	u32 flags = VMBNET_FLAG_WAIT_FOR_COMPLETION | VMBNET_FLAG_FORCE_MDL_LENGTH;

	mdl(t, 0, t->page + 3000, 50); /* the MDL says 50, the page holds more */
	CHECK(t, send_ext(t, 0, len, VMBNET_FLAG_WAIT_FOR_COMPLETION) ==
			 VMBNET_STATUS_INVALID_PARAMETER);
	CHECK(t, send_ext(t, 0, len, flags) == 0);
	CHECK(t, send_ext(t, 0, PAGE_SIZE - 3000 + 1, flags) == VMBNET_STATUS_INVALID_PARAMETER);
	/* first MDL only: a forced, whole-MDL send carries just 50 bytes */
	mdl(t, 1, t->page + 3050, len - 50);
	t->m[0].Next = &t->m[1];
	CHECK(t, send_ext(t, 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION) == 0);
	CHECK(t, send_ext(t, 0, 0, flags) == VMBNET_STATUS_INVALID_PARAMETER);
	return 0;
}

KCASE(ext_mdl_paged_buffer)
{
	struct nvsp_rndis_pkt *mine = kmalloc(sizeof(*mine), GFP_KERNEL);
	struct vmbnet_vmbpacket *p = vmbnet_packet_alloc(t->c, vmb_done, NULL);
	int32_t st;

	CHECK(t, mine && p);
	mdl(t, 0, t->page, put_msg(t->page, 5));
	*mine = nvsp;
	reset_calls();
	st = vmbnet_packet_send_ext_mdl(p, mine, sizeof(*mine), &t->m[0], 0, 0,
					VMBNET_FLAG_WAIT_FOR_COMPLETION | VMBNET_FLAG_PAGED_BUFFER);
	memset(mine, 0xab, sizeof(*mine)); /* reused at once */
	kfree(mine);
	CHECK(t, st == 0);
	CHECK(t, wait_calls(1));
	CHECK(t, last_status == 0);
	vmbnet_packet_free(p);
	return 0;
}

static void handle_done(void *arg, void *h)
{
	last_ctx = h;
	atomic_inc(&calls);
}

KCASE(completion_handle_once)
{
	u8 *frame = kmalloc(FRAME, GFP_KERNEL);

	CHECK(t, frame);
	eth_broadcast_addr(frame);
	vmbnet_dot11_register(t->c, handle_done, NULL);
	reset_calls();
	CHECK(t, vmbnet_dot11_send_packet(t->c, frame, FRAME, (void *)0xabc) == 0);
	CHECK(t, wait_calls(1));
	msleep(20);
	kfree(frame); /* only now */
	CHECK(t, atomic_read(&calls) == 1);
	CHECK(t, last_ctx == (void *)0xabc);
	return 0;
}

/* ---- injection ------------------------------------------------------------ */

static struct vmbnet_nbl nbls[3];
static struct vmbnet_nb nbs[3];
static const struct vmbnet_endpoint eps[] = { { 7, VMBNET_AF_INET, 17, { 10, 0, 2, 15 } } };
static const u8 remote4[4] = { 10, 0, 2, 2 };

static void inj_done(void *ctx, struct vmbnet_nbl *nbl, u8 dispatch)
{
	last_ctx = ctx;
	last_status = nbl->Status;
	last_dispatch = dispatch;
	atomic_inc(&calls);
}

static struct vmbnet_nbl *chain(struct st *t, int n, bool ip)
{
	int i;

	for (i = 0; i < n; i++) {
		u8 *b = t->page + i * 512;

		memset(b, i, 64);
		if (ip)
			b[0] = 0x45;
		mdl(t, i, b, 64);
		memset(&nbs[i], 0, sizeof(nbs[i]));
		nbs[i].MdlChain = &t->m[i];
		nbs[i].DataLength = 64;
		memset(&nbls[i], 0, sizeof(nbls[i]));
		nbls[i].FirstNetBuffer = &nbs[i];
		nbls[i].Next = i + 1 < n ? &nbls[i + 1] : NULL;
	}
	return nbls;
}

static int32_t inject(struct vmbnet_inject_handle *h, struct vmbnet_nbl *nbl, u16 af, bool args,
		      u32 flags)
{
	struct vmbnet_send_params sa = { remote4, 0 };

	return vmbnet_inject_transport_send(h, NULL, 7, flags, args ? &sa : NULL, af, 0, nbl,
					    inj_done, (void *)0x55);
}

static struct vmbnet_inject_handle *handle(struct st *t)
{
	struct vmbnet_inject_handle *h = NULL;

	if (vmbnet_inject_handle_create(t->c, VMBNET_AF_UNSPEC, 0, &h))
		return NULL;
	vmbnet_inject_set_endpoints(h, eps, 1);
	return h;
}

KCASE(inject_completes_each_nbl)
{
	struct vmbnet_inject_handle *h = handle(t);

	CHECK(t, h);
	reset_calls();
	CHECK(t, inject(h, chain(t, 3, false), VMBNET_AF_INET, true, 0) == 0);
	CHECK(t, wait_calls(3));
	msleep(20);
	CHECK(t, atomic_read(&calls) == 3);
	CHECK(t, last_ctx == (void *)0x55);
	CHECK(t, nbls[0].Status == 0 && nbls[1].Status == 0 && nbls[2].Status == 0);
	/* NAPI delivers completions in softirq: dispatch level */
	CHECK(t, last_dispatch == 1);
	CHECK(t, vmbnet_inject_handle_destroy(h) == 0);
	return 0;
}

KCASE(inject_bad_arguments_no_completion)
{
	struct vmbnet_inject_handle *h = handle(t);

	CHECK(t, h);
	reset_calls();
	CHECK(t, inject(h, chain(t, 1, false), VMBNET_AF_INET, true, 1) ==
			 VMBNET_STATUS_INVALID_PARAMETER); /* flags must be 0 */
	CHECK(t, inject(h, chain(t, 1, false), 99, true, 0) == VMBNET_STATUS_INVALID_PARAMETER);
	CHECK(t, inject(h, chain(t, 1, false), VMBNET_AF_INET, false, 0) ==
			 VMBNET_STATUS_INVALID_PARAMETER); /* no sendArgs, no IP header */
	CHECK(t, inject(h, chain(t, 1, true), VMBNET_AF_INET, false, 0) == 0);
	CHECK(t, wait_calls(1));
	msleep(20);
	CHECK(t, atomic_read(&calls) == 1);
	CHECK(t, vmbnet_inject_handle_destroy(h) == 0);
	return 0;
}

KCASE(inject_not_ready_link_down)
{
	struct vmbnet_inject_handle *h = handle(t);
	int32_t st;

	CHECK(t, h);
	reset_calls();
	netif_carrier_off(t->vd->ndev);
	st = inject(h, chain(t, 1, false), VMBNET_AF_INET, true, 0);
	netif_carrier_on(t->vd->ndev);
	CHECK(t, st == VMBNET_STATUS_FWP_TCPIP_NOT_READY);
	msleep(20);
	CHECK(t, atomic_read(&calls) == 0);
	CHECK(t, vmbnet_inject_handle_destroy(h) == 0);
	return 0;
}

KCASE(inject_handle_closing)
{
	struct vmbnet_inject_handle *h = handle(t);
	int32_t st;

	CHECK(t, h);
	h->closing = true; /* what destroy sets before it waits */
	st = inject(h, chain(t, 1, false), VMBNET_AF_INET, true, 0);
	h->closing = false;
	CHECK(t, st == VMBNET_STATUS_FWP_INJECT_HANDLE_CLOSING);
	CHECK(t, vmbnet_inject_handle_destroy(h) == 0);
	return 0;
}

KCASE(injection_state)
{
	struct vmbnet_inject_handle *a = handle(t), *b = handle(t);
	struct vmbnet_nbl *n;

	CHECK(t, a && b);
	n = chain(t, 1, false);
	CHECK(t, vmbnet_inject_query_state(a, n, NULL) == VMBNET_NOT_INJECTED);
	reset_calls();
	CHECK(t, inject(a, n, VMBNET_AF_INET, true, 0) == 0);
	CHECK(t, wait_calls(1));
	CHECK(t, vmbnet_inject_query_state(a, n, NULL) == VMBNET_INJECTED_BY_SELF);
	CHECK(t, vmbnet_inject_query_state(b, n, NULL) == VMBNET_INJECTED_BY_OTHER);
	CHECK(t, inject(b, n, VMBNET_AF_INET, true, 0) == 0);
	CHECK(t, wait_calls(2));
	CHECK(t, vmbnet_inject_query_state(a, n, NULL) == VMBNET_PREVIOUSLY_INJECTED_BY_SELF);
	CHECK(t, vmbnet_inject_handle_destroy(a) == 0);
	CHECK(t, vmbnet_inject_handle_destroy(b) == 0);
	return 0;
}

KCASE(inject_destroy_waits)
{
	struct vmbnet_inject_handle *h = handle(t);

	CHECK(t, h);
	reset_calls();
	CHECK(t, inject(h, chain(t, 3, false), VMBNET_AF_INET, true, 0) == 0);
	CHECK(t, vmbnet_inject_handle_destroy(h) == 0);
	CHECK(t, atomic_read(&calls) == 3); /* all completed before it returned */
	return 0;
}

/* ---- per-packet info -------------------------------------------------------- */

static void nbl_done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	last_status = status;
	atomic_inc(&calls);
}

KCASE(ppi_roundtrip)
{
	struct vmbnet_nbl *n = chain(t, 1, false);

	VMBNET_NBL_INFO(n, VMBNET_INFO_8021Q) = (void *)(uintptr_t)RNDIS_8021Q(6, 100);
	VMBNET_NBL_INFO(n, VMBNET_INFO_CHECKSUM) = (void *)(uintptr_t)RNDIS_CSUM_TX_IPV4;
	VMBNET_NBL_INFO(n, VMBNET_INFO_IPSEC) = (void *)(uintptr_t)3;
	reset_calls();
	/* The core clears the info at completion and refills it from the
	 * host's echo: what is there afterwards made the round trip. (The NBL
	 * is the core's until its completion: no touching it meanwhile.)
	 */
	CHECK(t, vmbnet_send_nbl(t->c, n, NULL, 0, nbl_done, NULL) == 0);
	CHECK(t, wait_calls(1));
	CHECK(t, last_status == 0);
	CHECK(t, (uintptr_t)VMBNET_NBL_INFO(n, VMBNET_INFO_8021Q) == RNDIS_8021Q(6, 100));
	CHECK(t, (uintptr_t)VMBNET_NBL_INFO(n, VMBNET_INFO_CHECKSUM) == RNDIS_CSUM_TX_IPV4);
	CHECK(t, (uintptr_t)VMBNET_NBL_INFO(n, VMBNET_INFO_IPSEC) == 3);
	return 0;
}

KCASE(im_copy_per_packet_info)
{
	struct vmbnet_nbl *upper = chain(t, 1, false);

	VMBNET_NBL_INFO(upper, VMBNET_INFO_8021Q) = (void *)(uintptr_t)RNDIS_8021Q(2, 9);
	reset_calls();
	CHECK(t, vmbnet_im_send(t->c, upper, nbl_done, NULL) == 0);
	CHECK(t, wait_calls(1));
	CHECK(t, upper->Status == 0);
	CHECK(t, (uintptr_t)VMBNET_NBL_INFO(upper, VMBNET_INFO_8021Q) == RNDIS_8021Q(2, 9));
	return 0;
}

#define CASE(name)               \
	{                        \
#name, st_##name \
	}
static const struct {
	const char *name;
	int (*fn)(struct st *t);
} cases[] = {
	CASE(ext_mdl_requires_wait_for_completion),
	CASE(ext_mdl_whole_chain),
	CASE(ext_mdl_offset_length),
	CASE(ext_mdl_force_mdl_length),
	CASE(ext_mdl_paged_buffer),
	CASE(completion_handle_once),
	CASE(inject_completes_each_nbl),
	CASE(inject_bad_arguments_no_completion),
	CASE(inject_not_ready_link_down),
	CASE(inject_handle_closing),
	CASE(injection_state),
	CASE(inject_destroy_waits),
	CASE(ppi_roundtrip),
	CASE(im_copy_per_packet_info),
};

int vmbnet_selftest_show(struct seq_file *s, void *unused)
{
	struct st t = { .vd = s->private };
	size_t i;

	if (!t.vd->ddi_ready) {
		seq_puts(s, "KTAP version 1\n1..0 # SKIP DDI core not attached\n");
		return 0;
	}
	t.c = &t.vd->ddi;
	t.page = (u8 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 1);
	if (!t.page)
		return -ENOMEM;
	seq_printf(s, "KTAP version 1\n1..%zu\n", ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int err;

		memset(t.m, 0, sizeof(t.m));
		t.why[0] = 0;
		err = cases[i].fn(&t);
		if (err)
			seq_printf(s, "not ok %zu %s # %s\n", i + 1, cases[i].name, t.why);
		else
			seq_printf(s, "ok %zu %s\n", i + 1, cases[i].name);
	}
	vmbnet_dot11_register(t.c, NULL, NULL);
	free_pages((unsigned long)t.page, 1);
	return 0;
}
