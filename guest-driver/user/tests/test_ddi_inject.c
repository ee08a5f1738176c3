// SPDX-License-Identifier: MIT
/*
 * FwpsInjectTransportSendAsync1 and FWPS_INJECT_COMPLETE0, one CTest entry
 * per rule of the seed pages: return codes; on failure the completion is
 * never called and the caller keeps the NBLs; on success one completion per
 * NBL of the chain, same context, Status set, dispatchLevel telling the
 * context; injection states; destroy waits for injections in flight.
 *
 * usage: test_ddi_inject <case>
 */
#include "harness.h"

#define PAYLOAD 64
#define EP 0x1234

static struct {
	unsigned int n;
	void *ctx[8];
	struct vmbnet_nbl *nbl[8];
	int32_t status[8];
	uint8_t dispatch[8];
} got;

static void complete(void *context, struct vmbnet_nbl *nbl, uint8_t dispatchLevel)
{
	if (got.n < 8) {
		got.ctx[got.n] = context;
		got.nbl[got.n] = nbl;
		got.status[got.n] = nbl->Status;
		got.dispatch[got.n] = dispatchLevel;
	}
	got.n++;
}

static struct vmbnet_nbl nbls[3];
static struct vmbnet_nb nbs[3];
static struct vmbnet_mdl mdls[3];
static uint64_t pfns[3][2];
static const struct vmbnet_endpoint eps[] = {
	{ EP, VMBNET_AF_INET, 17, { 10, 0, 2, 15 } },
	{ EP + 1, VMBNET_AF_INET6, 17, { 0xfe, 0x80, [15] = 1 } },
};
static const uint8_t remote4[4] = { 10, 0, 2, 2 };
static const uint8_t remote6[16] = { 0xfe, 0x80, [15] = 2 };

/* A chain of @n NBLs; @ip_header puts an IPv4 header first (raw socket). */
static struct vmbnet_nbl *chain(unsigned int n, bool ip_header)
{
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *b = h_dma(PAYLOAD, NULL);

		h_frame(b, PAYLOAD, (uint8_t)i);
		if (ip_header)
			b[0] = 0x45;
		h_mdl(&mdls[i], pfns[i], b, PAYLOAD);
		memset(&nbs[i], 0, sizeof(nbs[i]));
		nbs[i].MdlChain = &mdls[i];
		nbs[i].DataLength = PAYLOAD;
		memset(&nbls[i], 0, sizeof(nbls[i]));
		nbls[i].FirstNetBuffer = &nbs[i];
		nbls[i].Next = i + 1 < n ? &nbls[i + 1] : NULL;
	}
	return &nbls[0];
}

static int32_t inject(struct vmbnet_inject_handle *h, struct vmbnet_nbl *nbl, uint16_t af,
		      bool args, uint32_t flags, void *ctx)
{
	struct vmbnet_send_params sa = { af == VMBNET_AF_INET ? remote4 : remote6, 0 };

	return vmbnet_inject_transport_send(h, (void *)0x77, af == VMBNET_AF_INET ? EP : EP + 1,
					    flags, args ? &sa : NULL, af, 0, nbl, complete, ctx);
}

static struct vmbnet_inject_handle *handle(uint16_t af)
{
	struct vmbnet_inject_handle *h;

	VT_EQ(vmbnet_inject_handle_create(&H.core, af, 0, &h), 0);
	vmbnet_inject_set_endpoints(h, eps, 2);
	return h;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void success_completes_each_nbl_once(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);
	struct vmbnet_nbl *c = chain(3, false);

	H.atomic = true;
	VT_EQ(inject(h, c, VMBNET_AF_INET, true, 0, (void *)0x55), VMBNET_STATUS_SUCCESS);
	h_run();
	h_run();
	VT_EQ(got.n, 3);
	for (int i = 0; i < 3; i++) {
		VT_CHECK(got.ctx[i] == (void *)0x55);
		VT_CHECK(got.nbl[i] == &nbls[i]);
		VT_EQ(got.status[i], VMBNET_STATUS_SUCCESS);
		VT_EQ(got.dispatch[i], true);
	}
	/* The frame on the wire: Ethernet, IPv4 with our addresses, payload. */
	VT_EQ(H.last_len, 14 + 20 + PAYLOAD);
	VT_EQ(be16(H.last + 12), 0x0800);
	VT_EQ(H.last[14], 0x45);
	VT_EQ(H.last[14 + 9], 17);
	VT_CHECK(!memcmp(H.last + 14 + 12, eps[0].local, 4));
	VT_CHECK(!memcmp(H.last + 14 + 16, remote4, 4));
	VT_EQ(be16(H.last + 14 + 2), 20 + PAYLOAD);
	{
		uint32_t sum = 0;

		for (int i = 0; i < 20; i += 2)
			sum += be16(H.last + 14 + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		VT_EQ(sum, 0xffff); /* header checksum verifies */
	}
}

static void dispatch_level_false_outside_atomic(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	H.atomic = false;
	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, true, 0, NULL), 0);
	h_run();
	VT_EQ(got.n, 1);
	VT_EQ(got.dispatch[0], false);
}

static void ipv6(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET6, true, 0, NULL), 0);
	h_run();
	VT_EQ(got.n, 1);
	VT_EQ(be16(H.last + 12), 0x86dd);
	VT_EQ(H.last[14] >> 4, 6);
	VT_EQ(be16(H.last + 14 + 4), PAYLOAD);
	VT_CHECK(!memcmp(H.last + 14 + 24, remote6, 16));
}

static void flags_must_be_zero(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, true, 1, NULL),
	      VMBNET_STATUS_INVALID_PARAMETER);
}

static void address_family_checked(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);
	struct vmbnet_inject_handle *h4 = handle(VMBNET_AF_INET);

	VT_EQ(inject(h, chain(1, false), 7, true, 0, NULL), VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(inject(h4, chain(1, false), VMBNET_AF_INET6, true, 0, NULL),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(vmbnet_inject_handle_destroy(h4), 0);
}

static void null_send_args_needs_ip_header(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, false, 0, NULL),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(inject(h, chain(2, true), VMBNET_AF_INET, false, 0, NULL), 0);
	h_run();
	VT_EQ(got.n, 2);
	VT_EQ(H.last_len, 14 + PAYLOAD); /* raw: no header added */
	VT_EQ(H.last[14], 0x45);
}

static void not_ready_when_link_down(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	h_set_link(false);
	h_run();
	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, true, 0, NULL),
	      VMBNET_STATUS_FWP_TCPIP_NOT_READY);
	h_set_link(true);
	h_run();
	H.closed = true;
	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, true, 0, NULL),
	      VMBNET_STATUS_FWP_TCPIP_NOT_READY);
	H.closed = false;
}

static void handle_closing(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	h->closing = true; /* as during destroy */
	VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, true, 0, NULL),
	      VMBNET_STATUS_FWP_INJECT_HANDLE_CLOSING);
	h->closing = false;
}

static void too_many_for_the_slots(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	/* All or nothing: no completion when the chain cannot all go. */
	H.host_runs = false;
	for (unsigned int i = 0; i < H_SLOTS - 2; i++)
		VT_EQ(inject(h, chain(1, false), VMBNET_AF_INET, true, 0, NULL), 0);
	VT_EQ(inject(h, chain(3, false), VMBNET_AF_INET, true, 0, NULL),
	      VMBNET_STATUS_INSUFFICIENT_RESOURCES);
	H.host_runs = true;
	for (int i = 0; i < 10; i++)
		h_run();
	VT_EQ(got.n, H_SLOTS - 2); /* the refused chain never completes */
}

static void injection_state(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);
	void *ictx = NULL;
	struct vmbnet_inject_handle *other = handle(VMBNET_AF_UNSPEC);
	struct vmbnet_nbl *c = chain(1, false);

	VT_EQ(vmbnet_inject_query_state(h, c, &ictx), VMBNET_NOT_INJECTED);
	VT_EQ(inject(h, c, VMBNET_AF_INET, true, 0, NULL), 0);
	h_run();
	VT_EQ(vmbnet_inject_query_state(h, c, &ictx), VMBNET_INJECTED_BY_SELF);
	VT_CHECK(ictx == (void *)0x77);
	VT_EQ(vmbnet_inject_query_state(other, c, NULL), VMBNET_INJECTED_BY_OTHER);
	VT_EQ(inject(other, c, VMBNET_AF_INET, true, 0, NULL), 0);
	h_run();
	VT_EQ(vmbnet_inject_query_state(h, c, NULL), VMBNET_PREVIOUSLY_INJECTED_BY_SELF);
	VT_EQ(vmbnet_inject_query_state(other, c, NULL), VMBNET_INJECTED_BY_SELF);
	VT_EQ(vmbnet_inject_handle_destroy(other), 0);
}

static void destroy_waits_for_in_flight(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	H.host_runs = false;
	VT_EQ(inject(h, chain(3, false), VMBNET_AF_INET, true, 0, NULL), 0);
	VT_EQ(got.n, 0);
	VT_EQ(vmbnet_inject_handle_destroy(h), 0); /* pumps until done */
	VT_EQ(got.n, 3);
	h = NULL;
}

static void failure_status_in_nbl(void)
{
	struct vmbnet_inject_handle *h = handle(VMBNET_AF_UNSPEC);

	/* Link drops after the inject was accepted: each NBL completes
	 * once, with a failure status in its Status.
	 */
	H.host_runs = false;
	VT_EQ(inject(h, chain(2, false), VMBNET_AF_INET, true, 0, NULL), 0);
	h_set_link(false);
	h_run();
	VT_EQ(got.n, 2);
	VT_CHECK(got.status[0] != 0 && got.status[1] != 0);
	VT_EQ(nbls[0].Status, got.status[0]);
}

static const struct vt_case cases[] = {
	VT_CASE(success_completes_each_nbl_once),
	VT_CASE(dispatch_level_false_outside_atomic),
	VT_CASE(ipv6),
	VT_CASE(flags_must_be_zero),
	VT_CASE(address_family_checked),
	VT_CASE(null_send_args_needs_ip_header),
	VT_CASE(not_ready_when_link_down),
	VT_CASE(handle_closing),
	VT_CASE(too_many_for_the_slots),
	VT_CASE(injection_state),
	VT_CASE(destroy_waits_for_in_flight),
	VT_CASE(failure_status_in_nbl),
};

VT_MAIN_FIXTURE(cases, h_init, h_fini) /* a fresh harness per case */
