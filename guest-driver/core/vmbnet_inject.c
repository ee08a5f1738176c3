// SPDX-License-Identifier: MIT
/*
 * vmbnet DDI core, layers 3 and 4: send completion by handle
 * (DOT11EXTIHV_SEND_PACKET_COMPLETION), transport-layer injection
 * (FwpsInjectTransportSendAsync1, FWPS_INJECT_COMPLETE0, injection handles
 * and states), and the intermediate driver's per-packet info copy
 * (NdisIMCopySendCompletePerPacketInfo).
 */
#include "vmbnet_ddi_priv.h"

#define ETH_HDR 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IPV4_HDR 20
#define IPV6_HDR 40
#define IP_TTL 64

/* ---- send completion by handle ------------------------------------------- */

void vmbnet_dot11_register(struct vmbnet_core *c, void (*completion)(void *arg, void *h), void *arg)
{
	c->dot11_completion = completion;
	c->dot11_arg = arg;
}

/* The completion context: the core, the caller's handle, the frame's MDL. */
struct dot11_ctx {
	struct vmbnet_core *core;
	void *handle;
	struct vmbnet_mdl mdl;
	uint64_t pfns[VMBNET_EXT_MAX_PFNS];
};

static void dot11_complete(void *arg, struct vmbnet_nbl *nbl, int32_t status)
{
	struct dot11_ctx *d = arg;
	struct vmbnet_core *c = d->core;
	void *handle = d->handle;

	c->port->free(c->opaque, d);
	c->dot11_completion(c->dot11_arg, handle);
}

int32_t vmbnet_dot11_send_packet(struct vmbnet_core *c, void *buf, uint32_t len,
				 void *hSendCompletion)
{
	struct dot11_ctx *d;
	int32_t st;

	if (!c->dot11_completion || !buf || !len)
		return VMBNET_STATUS_INVALID_PARAMETER;
	d = c->port->alloc(c->opaque, sizeof(*d));
	if (!d)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	d->core = c;
	d->handle = hSendCompletion;
	if (c->port->describe(c->opaque, buf, len, &d->mdl, d->pfns, VMBNET_EXT_MAX_PFNS)) {
		c->port->free(c->opaque, d);
		return VMBNET_STATUS_INVALID_PARAMETER;
	}
	st = vmbnet_core_send_frame(c, NULL, &d->mdl, 0, len, NULL, 0, dot11_complete, d);
	if (st)
		c->port->free(c->opaque, d);
	return st;
}

/* ---- injection ------------------------------------------------------------ */

int32_t vmbnet_inject_handle_create(struct vmbnet_core *c, uint16_t af, uint32_t flags,
				    struct vmbnet_inject_handle **out)
{
	struct vmbnet_inject_handle *h;
	uint8_t id;

	if (!out || (af != VMBNET_AF_UNSPEC && af != VMBNET_AF_INET && af != VMBNET_AF_INET6))
		return VMBNET_STATUS_INVALID_PARAMETER;
	h = c->port->alloc(c->opaque, sizeof(*h));
	if (!h)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	c->port->lock(c->opaque);
	for (id = 1; id <= VMBNET_MAX_INJECT_HANDLES && c->inject[id]; id++)
		;
	if (id <= VMBNET_MAX_INJECT_HANDLES)
		c->inject[id] = h;
	c->port->unlock(c->opaque);
	if (id > VMBNET_MAX_INJECT_HANDLES) {
		c->port->free(c->opaque, h);
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	}
	h->core = c;
	h->id = id;
	h->af = af;
	(void)flags; /* injection type: transport only in vmbnet */
	*out = h;
	return VMBNET_STATUS_SUCCESS;
}

static bool handle_idle(void *arg)
{
	struct vmbnet_inject_handle *h = arg;
	struct vmbnet_core *c = h->core;
	bool idle;

	c->port->lock(c->opaque);
	idle = h->inflight == 0;
	c->port->unlock(c->opaque);
	return idle;
}

int32_t vmbnet_inject_handle_destroy(struct vmbnet_inject_handle *h)
{
	struct vmbnet_core *c;

	if (!h)
		return VMBNET_STATUS_INVALID_PARAMETER;
	c = h->core;
	c->port->lock(c->opaque);
	h->closing = true; /* new injections: INJECT_HANDLE_CLOSING */
	c->port->unlock(c->opaque);
	c->port->wait(c->opaque, handle_idle, h);
	c->port->lock(c->opaque);
	c->inject[h->id] = NULL;
	c->port->unlock(c->opaque);
	c->port->free(c->opaque, h);
	return VMBNET_STATUS_SUCCESS;
}

void vmbnet_inject_set_endpoints(struct vmbnet_inject_handle *h, const struct vmbnet_endpoint *eps,
				 uint32_t n)
{
	h->endpoints = eps;
	h->nendpoints = n;
}

static const struct vmbnet_endpoint *find_endpoint(const struct vmbnet_inject_handle *h,
						   uint64_t handle)
{
	for (uint32_t i = 0; i < h->nendpoints; i++)
		if (h->endpoints[i].handle == handle)
			return &h->endpoints[i];
	return NULL;
}

/* First byte of the NBL's data: the IP version nibble for raw sends. */
static int first_byte(const struct vmbnet_nb *nb)
{
	const struct vmbnet_mdl *m = nb->MdlChain;
	uint32_t off = nb->DataOffset;

	for (; m && off >= m->ByteCount; m = m->Next)
		off -= m->ByteCount;
	if (!m || !m->StartVa)
		return -1;
	return ((const uint8_t *)m->StartVa)[m->ByteOffset + off];
}

static uint16_t ip_csum(const uint8_t *h, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet, and the IP header the stack would add at the transport layer. */
static uint32_t build_l2l3(struct vmbnet_core *c, uint8_t *b, uint16_t af,
			   const struct vmbnet_endpoint *ep, const struct vmbnet_send_params *sa,
			   uint32_t payload)
{
	uint32_t n = ETH_HDR;

	c->port->macs(c->opaque, b + 6, b);
	put_be16(b + 12, af == VMBNET_AF_INET ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	if (!sa)
		return n; /* raw: the NBL carries its IP header */
	if (af == VMBNET_AF_INET) {
		uint8_t *ip = b + n;

		memset(ip, 0, IPV4_HDR);
		ip[0] = 0x45;
		put_be16(ip + 2, (uint16_t)(IPV4_HDR + payload));
		ip[8] = IP_TTL;
		ip[9] = ep->protocol;
		memcpy(ip + 12, ep->local, 4);
		memcpy(ip + 16, sa->remoteAddress, 4);
		put_be16(ip + 10, ip_csum(ip, IPV4_HDR));
		return n + IPV4_HDR;
	}
	memset(b + n, 0, IPV6_HDR);
	b[n] = 0x60;
	put_be16(b + n + 4, (uint16_t)payload);
	b[n + 6] = ep->protocol;
	b[n + 7] = IP_TTL;
	memcpy(b + n + 8, ep->local, 16);
	memcpy(b + n + 24, sa->remoteAddress, 16);
	return n + IPV6_HDR;
}

/* Per injection: who to call back. Freed when the last NBL completes. */
struct inject_ctx {
	struct vmbnet_inject_handle *h;
	vmbnet_inject_complete_fn fn;
	void *context;
	uint32_t left;
};

static void inject_done(void *arg, struct vmbnet_nbl *nbl, int32_t status)
{
	struct inject_ctx *ic = arg;
	struct vmbnet_inject_handle *h = ic->h;
	struct vmbnet_core *c = h->core;
	vmbnet_inject_complete_fn fn = ic->fn;
	void *context = ic->context;
	bool last;

	nbl->Status = status;
	c->port->lock(c->opaque);
	last = --ic->left == 0;
	c->port->unlock(c->opaque);
	if (last)
		c->port->free(c->opaque, ic);
	fn(context, nbl, c->port->in_atomic(c->opaque));
	/* After the callback: destroy may free the handle once this drops. */
	c->port->lock(c->opaque);
	h->inflight--;
	c->port->unlock(c->opaque);
}

/* Validate the arguments, the way FwpsInjectTransportSendAsync1 does. */
static int32_t inject_check(struct vmbnet_inject_handle *h, uint64_t endpoint, uint32_t flags,
			    const struct vmbnet_send_params *sa, uint16_t af,
			    const struct vmbnet_nbl *nbl, vmbnet_inject_complete_fn fn,
			    uint32_t *count)
{
	const struct vmbnet_nbl *n;

	if (!h || flags || !nbl || !fn || (af != VMBNET_AF_INET && af != VMBNET_AF_INET6) ||
	    (h->af != VMBNET_AF_UNSPEC && h->af != af))
		return VMBNET_STATUS_INVALID_PARAMETER;
	if (sa && (!sa->remoteAddress || !find_endpoint(h, endpoint)))
		return VMBNET_STATUS_INVALID_PARAMETER;
	for (*count = 0, n = nbl; n; n = n->Next, (*count)++) {
		if (!n->FirstNetBuffer || !n->FirstNetBuffer->DataLength)
			return VMBNET_STATUS_INVALID_PARAMETER;
		/* sendArgs may be NULL only if the NBL carries an IP header. */
		if (!sa && first_byte(n->FirstNetBuffer) >> 4 != (af == VMBNET_AF_INET ? 4 : 6))
			return VMBNET_STATUS_INVALID_PARAMETER;
	}
	return VMBNET_STATUS_SUCCESS;
}

int32_t vmbnet_inject_transport_send(struct vmbnet_inject_handle *h, void *injectionContext,
				     uint64_t endpointHandle, uint32_t flags,
				     const struct vmbnet_send_params *sendArgs, uint16_t af,
				     uint32_t compartmentId, struct vmbnet_nbl *nbl,
				     vmbnet_inject_complete_fn completionFn,
				     void *completionContext)
{
	const struct vmbnet_endpoint *ep;
	struct vmbnet_core *c;
	struct inject_ctx *ic;
	struct vmbnet_nbl *n;
	uint32_t count;
	int32_t st;

	(void)compartmentId; /* one compartment */
	st = inject_check(h, endpointHandle, flags, sendArgs, af, nbl, completionFn, &count);
	if (st)
		return st;
	c = h->core;
	if (h->closing)
		return VMBNET_STATUS_FWP_INJECT_HANDLE_CLOSING;
	if (!c->port->ready(c->opaque))
		return VMBNET_STATUS_FWP_TCPIP_NOT_READY;
	/* All or nothing: a failure must leave no completion behind. */
	if (c->nslots - c->in_use < count)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	ic = c->port->alloc(c->opaque, sizeof(*ic));
	if (!ic)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	ic->h = h;
	ic->fn = completionFn;
	ic->context = completionContext;
	ic->left = count;
	c->port->lock(c->opaque);
	h->inflight += count;
	c->port->unlock(c->opaque);
	ep = sendArgs ? find_endpoint(h, endpointHandle) : NULL;
	for (n = nbl; n; n = n->Next) {
		struct vmbnet_nb *nb = n->FirstNetBuffer;
		uint8_t l2[VMBNET_L2_MAX];
		uint32_t l2_len = build_l2l3(c, l2, af, ep, sendArgs, nb->DataLength);

		n->inj_by |= 1u << h->id;
		n->inj_last = h->id;
		n->inj_ctx = injectionContext;
		st = vmbnet_core_send_frame(c, n, nb->MdlChain, nb->DataOffset, nb->DataLength, l2,
					    l2_len, inject_done, ic);
		if (st) /* slots were counted: only a vanished channel gets here */
			inject_done(ic, n, st);
	}
	return VMBNET_STATUS_SUCCESS;
}

enum vmbnet_injection_state vmbnet_inject_query_state(struct vmbnet_inject_handle *h,
						      const struct vmbnet_nbl *nbl,
						      void **injectionContext)
{
	if (!nbl || !nbl->inj_last)
		return VMBNET_NOT_INJECTED;
	if (nbl->inj_last == h->id) {
		if (injectionContext)
			*injectionContext = nbl->inj_ctx;
		return VMBNET_INJECTED_BY_SELF;
	}
	if (nbl->inj_by & (1u << h->id))
		return VMBNET_PREVIOUSLY_INJECTED_BY_SELF;
	return VMBNET_INJECTED_BY_OTHER;
}

/* ---- intermediate driver --------------------------------------------------- */

void vmbnet_im_copy_send_complete_info(struct vmbnet_nbl *dst, const struct vmbnet_nbl *src)
{
	memcpy(dst->NetBufferListInfo, src->NetBufferListInfo, sizeof(dst->NetBufferListInfo));
}

struct im_clone {
	struct vmbnet_nbl lower;
	struct vmbnet_nb nb;
	struct vmbnet_nbl *upper;
	void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status);
	void *ctx;
	struct vmbnet_core *core;
};

static void im_lower_done(void *arg, struct vmbnet_nbl *lower, int32_t status)
{
	struct im_clone *cl = arg;
	struct vmbnet_nbl *upper = cl->upper;
	void (*done)(void *, struct vmbnet_nbl *, int32_t) = cl->done;
	void *ctx = cl->ctx;
	struct vmbnet_core *c = cl->core;

	vmbnet_im_copy_send_complete_info(upper, lower);
	upper->Status = status;
	c->port->free(c->opaque, cl);
	done(ctx, upper, status);
}

int32_t vmbnet_im_send(struct vmbnet_core *c, struct vmbnet_nbl *upper,
		       void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status), void *ctx)
{
	struct im_clone *cl;
	int32_t st;

	if (!upper || !upper->FirstNetBuffer || !done)
		return VMBNET_STATUS_INVALID_PARAMETER;
	cl = c->port->alloc(c->opaque, sizeof(*cl));
	if (!cl)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	/* The clone shares the data and starts with the upper packet's info. */
	cl->nb = *upper->FirstNetBuffer;
	cl->nb.Next = NULL;
	cl->lower.FirstNetBuffer = &cl->nb;
	memcpy(cl->lower.NetBufferListInfo, upper->NetBufferListInfo,
	       sizeof(cl->lower.NetBufferListInfo));
	cl->lower.SourceHandle = cl;
	cl->upper = upper;
	cl->done = done;
	cl->ctx = ctx;
	cl->core = c;
	st = vmbnet_send_nbl(c, &cl->lower, NULL, 0, im_lower_done, cl);
	if (st)
		c->port->free(c->opaque, cl);
	return st;
}
