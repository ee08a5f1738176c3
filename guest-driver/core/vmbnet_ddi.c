// SPDX-License-Identifier: MIT
/*
 * vmbnet DDI core, layers 1 and 2: packets with external data and
 * NET_BUFFER_LIST sends. See vmbnet_ddi.h for the contracts.
 */
#include "vmbnet_ddi_priv.h"

/* ---- packet objects ------------------------------------------------------ */

int vmbnet_mdl_contig(struct vmbnet_mdl *m, void *va, uint32_t len, uint64_t pfn0, uint64_t *pfns,
		      uint32_t max)
{
	uint32_t off = (uint32_t)((uintptr_t)va & (VMB_PAGE_SIZE - 1));

	memset(m, 0, sizeof(*m));
	m->ByteOffset = off;
	m->PfnCount = VMB_GPA_RANGE_PFNS(off, len ? len : 1);
	if (m->PfnCount > max)
		return -EINVAL;
	m->StartVa = (uint8_t *)va - off;
	m->ByteCount = len;
	for (uint32_t i = 0; i < m->PfnCount; i++)
		pfns[i] = pfn0 + i;
	m->Pfns = pfns;
	return 0;
}

int vmbnet_core_init(struct vmbnet_core *c, const struct vmbnet_core_port *port, void *opaque,
		     uint32_t nslots)
{
	uint64_t pfn0;
	uint32_t i;

	memset(c, 0, sizeof(*c));
	if (!nslots || nslots > (1u << VMBNET_TID_SLOT_BITS))
		return -EINVAL;
	c->port = port;
	c->opaque = opaque;
	c->nslots = nslots;
	c->pkts = port->alloc(opaque, (size_t)nslots * sizeof(*c->pkts));
	c->hdr_area = port->dma_alloc(opaque, (size_t)nslots * VMBNET_HDR_BYTES, &pfn0);
	c->hdr_pfn0 = pfn0;
	if (!c->pkts || !c->hdr_area) {
		vmbnet_core_fini(c);
		return -ENOMEM;
	}
	for (i = 0; i < nslots; i++) {
		struct vmbnet_vmbpacket *p = &c->pkts[i];
		uint64_t off = (uint64_t)i * VMBNET_HDR_BYTES;

		p->core = c;
		p->slot = i;
		p->hdr = c->hdr_area + off;
		p->hdr_pfn = pfn0 + (off >> VMB_PAGE_SHIFT);
		p->next_queued = i + 2 <= nslots ? i + 2 : 0; /* free list */
	}
	c->free_head = 1;
	return 0;
}

void vmbnet_core_fini(struct vmbnet_core *c)
{
	if (c->hdr_area)
		c->port->dma_free(c->opaque, c->hdr_area, (size_t)c->nslots * VMBNET_HDR_BYTES,
				  c->hdr_pfn0);
	if (c->pkts)
		c->port->free(c->opaque, c->pkts);
	c->pkts = NULL;
	c->hdr_area = NULL;
}

/* A free slot, or NULL; caller holds the lock. */
static struct vmbnet_vmbpacket *packet_get(struct vmbnet_core *c, vmbnet_packet_done_fn done,
					   void *ctx)
{
	struct vmbnet_vmbpacket *p;

	if (!c->free_head)
		return NULL;
	p = &c->pkts[c->free_head - 1];
	c->free_head = p->next_queued;
	p->next_queued = 0;
	p->state = VMBNET_PKT_IDLE;
	c->in_use++;
	p->done = done;
	p->ctx = ctx;
	p->nbl = NULL;
	p->nbl_done = NULL;
	return p;
}

struct vmbnet_vmbpacket *vmbnet_packet_alloc(struct vmbnet_core *c, vmbnet_packet_done_fn done,
					     void *ctx)
{
	struct vmbnet_vmbpacket *p;

	c->port->lock(c->opaque);
	p = packet_get(c, done, ctx);
	c->port->unlock(c->opaque);
	return p;
}

/* Caller holds the lock. */
static void packet_put(struct vmbnet_vmbpacket *p)
{
	struct vmbnet_core *c = p->core;

	p->state = VMBNET_PKT_FREE;
	p->next_queued = c->free_head;
	c->free_head = p->slot + 1;
	c->in_use--;
}

void vmbnet_packet_free(struct vmbnet_vmbpacket *p)
{
	struct vmbnet_core *c = p->core;

	c->port->lock(c->opaque);
	if (p->state == VMBNET_PKT_IDLE)
		packet_put(p);
	c->port->unlock(c->opaque);
}

/* ---- building the GPA-direct extension ----------------------------------- */

/* Append one range of @len bytes at @off inside @m. */
static int32_t ext_add_range(struct vmbnet_vmbpacket *p, const struct vmbnet_mdl *m, uint32_t off,
			     uint32_t len, uint32_t *ranges, uint32_t *pfns)
{
	uint64_t start = (uint64_t)m->ByteOffset + off;
	uint32_t first = (uint32_t)(start >> VMB_PAGE_SHIFT);
	struct vmb_gpa_range r = { len, (uint32_t)(start & (VMB_PAGE_SIZE - 1)) };
	uint32_t n = VMB_GPA_RANGE_PFNS(r.byte_offset, len);

	if (first + (uint64_t)n > m->PfnCount || !m->Pfns)
		return VMBNET_STATUS_INVALID_PARAMETER;
	if (*ranges == VMBNET_EXT_MAX_RANGES || *pfns + n > VMBNET_EXT_MAX_PFNS)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	memcpy(p->ext + p->ext_len, &r, sizeof(r));
	p->ext_len += sizeof(r);
	memcpy(p->ext + p->ext_len, m->Pfns + first, (size_t)n * sizeof(uint64_t));
	p->ext_len += n * sizeof(uint64_t);
	(*ranges)++;
	*pfns += n;
	return VMBNET_STATUS_SUCCESS;
}

/* Append @len bytes of the MDL chain starting @off bytes into it. */
static int32_t ext_add_chain(struct vmbnet_vmbpacket *p, const struct vmbnet_mdl *m, uint32_t off,
			     uint32_t len, uint32_t *ranges, uint32_t *pfns)
{
	int32_t st;

	for (; m && off >= m->ByteCount; m = m->Next)
		off -= m->ByteCount;
	while (len) {
		uint32_t take;

		if (!m)
			return VMBNET_STATUS_INVALID_PARAMETER; /* past the chain */
		take = m->ByteCount - off < len ? m->ByteCount - off : len;
		if (take) {
			st = ext_add_range(p, m, off, take, ranges, pfns);
			if (st)
				return st;
		}
		len -= take;
		off = 0;
		m = m->Next;
	}
	return VMBNET_STATUS_SUCCESS;
}

static void ext_begin(struct vmbnet_vmbpacket *p)
{
	p->ext_len = sizeof(struct vmb_gpa_direct_hdr);
}

static void ext_end(struct vmbnet_vmbpacket *p, uint32_t ranges)
{
	struct vmb_gpa_direct_hdr h = { 0, ranges };

	memcpy(p->ext, &h, sizeof(h));
}

/*
 * The usual NBL send, in one go: the RNDIS header in its slot's page and a
 * frame inside one page of its first MDL, two one-page ranges. True when
 * it was (p->ext written), false when the frame needs the general walk.
 */
static bool ext_two_pages(struct vmbnet_vmbpacket *p, uint32_t hoff, uint32_t hlen,
			  const struct vmbnet_mdl *m, uint32_t off, uint32_t len)
{
	struct { /* vmb_gpa_direct_hdr, then two vmb_gpa_range of one pfn each */
		uint32_t reserved, range_count;
		uint32_t len0, off0;
		uint64_t pfn0;
		uint32_t len1, off1;
		uint64_t pfn1;
	} e;
	uint64_t start;

	if (!m || !m->Pfns || off >= m->ByteCount || len > m->ByteCount - off)
		return false;
	start = (uint64_t)m->ByteOffset + off;
	if ((start & (VMB_PAGE_SIZE - 1)) + len > VMB_PAGE_SIZE ||
	    start >> VMB_PAGE_SHIFT >= m->PfnCount)
		return false;
	e.reserved = 0;
	e.range_count = 2;
	e.len0 = hlen;
	e.off0 = hoff;
	e.pfn0 = p->hdr_pfn;
	e.len1 = len;
	e.off1 = (uint32_t)(start & (VMB_PAGE_SIZE - 1));
	e.pfn1 = m->Pfns[start >> VMB_PAGE_SHIFT];
	_Static_assert(sizeof(e) == sizeof(struct vmb_gpa_direct_hdr) +
					    2 * (sizeof(struct vmb_gpa_range) + sizeof(uint64_t)),
		       "two one-page ranges");
	memcpy(p->ext, &e, sizeof(e));
	p->ext_len = sizeof(e);
	return true;
}

static uint64_t chain_bytes(const struct vmbnet_mdl *m)
{
	uint64_t n = 0;

	for (; m; m = m->Next)
		n += m->ByteCount;
	return n;
}

/* ---- sending and completing ---------------------------------------------- */

static uint64_t slot_tid(const struct vmbnet_vmbpacket *p)
{
	return VMBNET_TID_DDI + ((uint64_t)p->gen << VMBNET_TID_SLOT_BITS) + p->slot;
}

/* Queue tail append; caller holds the lock. */
static void queue_push(struct vmbnet_core *c, struct vmbnet_vmbpacket *p)
{
	p->state = VMBNET_PKT_QUEUED;
	p->next_queued = 0;
	if (c->queue_tail)
		c->pkts[c->queue_tail - 1].next_queued = p->slot + 1;
	else
		c->queue_head = p->slot + 1;
	c->queue_tail = p->slot + 1;
	c->stats.queued++;
}

static int port_send(struct vmbnet_core *c, struct vmbnet_vmbpacket *p)
{
	struct vmb_sg sg = { p->inline_buf, p->inline_len };

	return c->port->send(c->opaque, VMB_PKT_DATA_GPA_DIRECT, VMB_PKT_FLAG_COMPLETION_REQUESTED,
			     slot_tid(p), p->ext, p->ext_len, &sg, 1, c->batch > 0);
}

void vmbnet_core_batch_begin(struct vmbnet_core *c)
{
	c->port->lock(c->opaque);
	c->batch++;
	c->port->unlock(c->opaque);
}

void vmbnet_core_batch_end(struct vmbnet_core *c)
{
	bool flush;

	c->port->lock(c->opaque);
	flush = --c->batch == 0;
	if (flush)
		c->port->flush(c->opaque);
	c->port->unlock(c->opaque);
}

/* Send a fully built packet, or queue it behind others waiting for room;
 * caller holds the lock.
 */
static int32_t submit_locked(struct vmbnet_vmbpacket *p, uint64_t now)
{
	struct vmbnet_core *c = p->core;
	int32_t st = VMBNET_STATUS_SUCCESS;
	int ret = -EAGAIN;

	p->sent_ns = now;
	p->gen = (p->gen + 1) & VMBNET_TID_GEN_MASK; /* a new trans_id for each send */
	if (!c->queue_head)
		ret = port_send(c, p);
	if (ret == 0) {
		p->state = VMBNET_PKT_SENT;
		c->stats.sent++;
	} else if (ret == -EAGAIN) {
		queue_push(c, p); /* sent at the next kick, in order */
	} else {
		c->stats.rejected++;
		st = VMBNET_STATUS_UNSUCCESSFUL; /* channel gone; nothing sent */
	}
	return st;
}

int32_t vmbnet_core_submit(struct vmbnet_vmbpacket *p)
{
	struct vmbnet_core *c = p->core;
	int32_t st;

	c->port->lock(c->opaque);
	st = submit_locked(p, c->port->now_ns(c->opaque));
	c->port->unlock(c->opaque);
	return st;
}

void vmbnet_core_kick(struct vmbnet_core *c)
{
	c->port->lock(c->opaque);
	if (!c->queue_head) {
		c->port->unlock(c->opaque);
		return;
	}
	c->batch++; /* one publish for everything that waited */
	while (c->queue_head) {
		struct vmbnet_vmbpacket *p = &c->pkts[c->queue_head - 1];

		if (port_send(c, p))
			break;
		c->queue_head = p->next_queued;
		if (!c->queue_head)
			c->queue_tail = 0;
		p->state = VMBNET_PKT_SENT;
		c->stats.sent++;
	}
	if (--c->batch == 0)
		c->port->flush(c->opaque);
	c->port->unlock(c->opaque);
}

int32_t vmbnet_packet_send_ext_mdl(struct vmbnet_vmbpacket *p, const void *buf, uint32_t len,
				   const struct vmbnet_mdl *mdl, uint32_t mdl_offset,
				   uint32_t mdl_length, uint32_t flags)
{
	uint32_t ranges = 0, pfns = 0;
	uint64_t avail;
	int32_t st;

	if (!p || p->state != VMBNET_PKT_IDLE || !mdl || (flags & ~VMBNET_FLAGS_KNOWN) ||
	    !(flags & VMBNET_FLAG_WAIT_FOR_COMPLETION) || len > VMBNET_INLINE_MAX || (len && !buf))
		return VMBNET_STATUS_INVALID_PARAMETER;
	if (flags & VMBNET_FLAG_FORCE_MDL_LENGTH) {
		/* First MDL only; up to the end of its last page. */
		uint64_t page_end =
			((uint64_t)mdl->ByteOffset + mdl->ByteCount + VMB_PAGE_SIZE - 1) &
			~(uint64_t)(VMB_PAGE_SIZE - 1);

		avail = page_end - mdl->ByteOffset;
		if (!mdl_length)
			mdl_length = mdl->ByteCount > mdl_offset ? mdl->ByteCount - mdl_offset : 0;
	} else {
		avail = chain_bytes(mdl);
		if (!mdl_length)
			mdl_length = avail > mdl_offset ? (uint32_t)(avail - mdl_offset) : 0;
	}
	if (!mdl_length || mdl_offset > avail || mdl_length > avail - mdl_offset)
		return VMBNET_STATUS_INVALID_PARAMETER;
	/* PAGED_BUFFER or not: the inline bytes are copied now. */
	memcpy(p->inline_buf, buf, len);
	p->inline_len = len;
	ext_begin(p);
	if (flags & VMBNET_FLAG_FORCE_MDL_LENGTH)
		st = ext_add_range(p, mdl, mdl_offset, mdl_length, &ranges, &pfns);
	else
		st = ext_add_chain(p, mdl, mdl_offset, mdl_length, &ranges, &pfns);
	if (st)
		return st;
	ext_end(p, ranges);
	return vmbnet_core_submit(p);
}

static int32_t nvsp_to_status(uint32_t s)
{
	switch (s) {
	case NVSP_STAT_SUCCESS:
		return VMBNET_STATUS_SUCCESS;
	case NVSP_STAT_INVALID_RNDIS_PKT:
		return VMBNET_STATUS_INVALID_PARAMETER;
	case NVSP_STAT_BUSY:
		return VMBNET_STATUS_DEVICE_BUSY;
	default:
		return VMBNET_STATUS_UNSUCCESSFUL;
	}
}

/* Finish @p outside the lock: callbacks, then the slot goes back. */
static void packet_finish(struct vmbnet_vmbpacket *p, int32_t status, const void *payload,
			  uint32_t len, uint64_t latency)
{
	struct vmbnet_core *c = p->core;

	if (c->on_complete)
		c->on_complete(c->on_complete_arg, latency, status);
	p->done(p, status, payload, len);
}

static void nbl_packet_done(struct vmbnet_vmbpacket *p, int32_t status, const void *payload,
			    uint32_t len);
static void echo_into_nbl(struct vmbnet_nbl *nbl, const uint8_t *payload, uint32_t len);

/* The outstanding send @trans_id names, or NULL; caller holds the lock. */
static struct vmbnet_vmbpacket *sent_packet(struct vmbnet_core *c, uint64_t trans_id)
{
	uint64_t off = trans_id - VMBNET_TID_DDI;
	uint64_t slot = off & ((1u << VMBNET_TID_SLOT_BITS) - 1);

	if (!vmbnet_core_owns(trans_id) || slot >= c->nslots ||
	    c->pkts[slot].state != VMBNET_PKT_SENT ||
	    c->pkts[slot].gen != off >> VMBNET_TID_SLOT_BITS)
		return NULL;
	return &c->pkts[slot];
}

void vmbnet_core_complete_batch(struct vmbnet_core *c, struct vmbnet_comp *v, unsigned int n)
{
	uint64_t now;
	unsigned int i;

	c->port->lock(c->opaque);
	now = c->port->now_ns(c->opaque); /* when this pass saw them all */
	for (i = 0; i < n; i++) {
		struct vmbnet_comp *e = &v[i];
		struct vmbnet_vmbpacket *p = sent_packet(c, e->trans_id);
		uint32_t nvsp[2] = { 0, NVSP_STAT_FAIL };

		if (!e->data)
			e->data = e->payload;
		e->pkt = p;
		e->nbl_done = NULL;
		if (!p) {
			c->stats.unknown_completions++;
			continue;
		}
		p->state = VMBNET_PKT_IDLE; /* the owner frees it (VmbPacketFree) */
		e->latency_ns = now - p->sent_ns;
		c->stats.completed++;
		c->stats.latency_ns_sum += e->latency_ns;
		memcpy(nvsp, e->data, e->len < sizeof(nvsp) ? e->len : sizeof(nvsp));
		e->status = nvsp_to_status(nvsp[1]);
		if (e->status)
			c->stats.failed++;
		e->nbl = NULL;
		if (p->done == nbl_packet_done) {
			/* An NBL send: its slot goes back now, as nbl_packet_done()
			 * would free it before the NBL's callback.
			 */
			e->nbl = p->nbl;
			e->nbl_done = p->nbl_done;
			e->nbl_ctx = p->nbl_ctx;
			if (e->nbl) {
				if (!e->status)
					echo_into_nbl(e->nbl, e->data, e->len);
				e->nbl->Status = e->status;
			}
			packet_put(p);
		}
	}
	c->port->unlock(c->opaque);
	for (i = 0; i < n; i++) {
		struct vmbnet_comp *e = &v[i];

		if (!e->pkt)
			continue;
		if (c->on_complete)
			c->on_complete(c->on_complete_arg, e->latency_ns, e->status);
		if (e->nbl_done)
			e->nbl_done(e->nbl_ctx, e->nbl, e->status);
		else
			e->pkt->done(e->pkt, e->status, e->data, e->len);
	}
}

void vmbnet_core_complete(struct vmbnet_core *c, uint64_t trans_id, const void *payload,
			  uint32_t len)
{
	struct vmbnet_comp e; /* its payload[] unused: the caller's is read */

	e.trans_id = trans_id;
	e.len = payload ? len : 0;
	e.data = payload ? payload : e.payload;
	vmbnet_core_complete_batch(c, &e, 1);
}

void vmbnet_core_cancel_all(struct vmbnet_core *c, int32_t status)
{
	uint32_t i;

	for (i = 0; i < c->nslots; i++) {
		struct vmbnet_vmbpacket *p = &c->pkts[i];
		bool was;

		c->port->lock(c->opaque);
		was = p->state == VMBNET_PKT_SENT || p->state == VMBNET_PKT_QUEUED;
		if (was) {
			p->state = VMBNET_PKT_IDLE;
			c->stats.completed++;
			c->stats.failed++;
		}
		c->port->unlock(c->opaque);
		if (was)
			packet_finish(p, status, NULL, 0, 0);
	}
	c->port->lock(c->opaque);
	c->queue_head = c->queue_tail = 0;
	c->port->unlock(c->opaque);
}

/* ---- layer 2: NET_BUFFER_LIST -------------------------------------------- */

static const uint32_t info_ppi[VMBNET_INFO_MAX] = {
	[VMBNET_INFO_CHECKSUM] = RNDIS_PPI_CHECKSUM,
	[VMBNET_INFO_IPSEC] = RNDIS_PPI_IPSEC,
	[VMBNET_INFO_LSO] = RNDIS_PPI_LSO,
	[VMBNET_INFO_8021Q] = RNDIS_PPI_8021Q,
};

/* The host echoes the ppi it parsed after the NVSP completion: put it back. */
static void echo_into_nbl(struct vmbnet_nbl *nbl, const uint8_t *payload, uint32_t len)
{
	uint32_t ppi_len, off = 0, i;

	if (!nbl || len < NVSP_ECHO_PPI_OFF)
		return;
	memcpy(&ppi_len, payload + NVSP_ECHO_PPI_OFF - sizeof(ppi_len), sizeof(ppi_len));
	if (ppi_len > len - NVSP_ECHO_PPI_OFF)
		return;
	for (i = 0; i < VMBNET_INFO_MAX; i++)
		nbl->NetBufferListInfo[i] = NULL;
	payload += NVSP_ECHO_PPI_OFF;
	while (off + sizeof(struct rndis_ppi) + 4 <= ppi_len) {
		struct rndis_ppi h;
		uint32_t v;

		memcpy(&h, payload + off, sizeof(h));
		/* 64-bit: an offset near 2^32 must not wrap past the check */
		if (h.size < sizeof(h) + 4 || h.size > ppi_len - off ||
		    (uint64_t)h.ppi_offset + 4 > h.size)
			return;
		memcpy(&v, payload + off + h.ppi_offset, sizeof(v));
		for (i = 0; i < VMBNET_INFO_MAX; i++)
			if (info_ppi[i] == h.type)
				nbl->NetBufferListInfo[i] = (void *)(uintptr_t)v;
		off += h.size;
	}
}

static void nbl_packet_done(struct vmbnet_vmbpacket *p, int32_t status, const void *payload,
			    uint32_t len)
{
	struct vmbnet_nbl *nbl = p->nbl;
	void (*done)(void *, struct vmbnet_nbl *, int32_t) = p->nbl_done;
	void *ctx = p->nbl_ctx;

	if (nbl) {
		if (!status)
			echo_into_nbl(nbl, payload, len);
		nbl->Status = status;
	}
	vmbnet_packet_free(p);
	done(ctx, nbl, status);
}

/* RNDIS header, ppi and @l2 in the packet's header buffer; returns its length. */
static uint32_t build_rndis(struct vmbnet_vmbpacket *p, const struct vmbnet_nbl *nbl,
			    const void *l2, uint32_t l2_len, uint32_t data_len)
{
	struct rndis_hdr rh = { RNDIS_MSG_PACKET, 0 };
	struct rndis_packet pk = { .ppi_offset = sizeof(pk) };
	uint32_t off = sizeof(rh) + sizeof(pk), i;

	for (i = 0; nbl && i < VMBNET_INFO_MAX; i++) {
		uint32_t v = (uint32_t)(uintptr_t)nbl->NetBufferListInfo[i];
		struct rndis_ppi h = { sizeof(h) + sizeof(v), info_ppi[i], sizeof(h) };

		if (!v)
			continue;
		memcpy(p->hdr + off, &h, sizeof(h));
		memcpy(p->hdr + off + sizeof(h), &v, sizeof(v));
		off += h.size;
	}
	pk.ppi_len = off - sizeof(rh) - sizeof(pk);
	pk.data_offset = off - sizeof(rh);
	pk.data_len = l2_len + data_len;
	rh.msg_len = off + pk.data_len;
	memcpy(p->hdr, &rh, sizeof(rh));
	memcpy(p->hdr + sizeof(rh), &pk, sizeof(pk));
	if (l2_len)
		memcpy(p->hdr + off, l2, l2_len);
	return off + l2_len;
}

/* One frame from its slot to the ring, sent at @now; caller holds the lock. */
static int32_t send_frame_locked(struct vmbnet_core *c, struct vmbnet_nbl *nbl,
				 const struct vmbnet_mdl *chain, uint32_t off, uint32_t len,
				 const void *l2, uint32_t l2_len,
				 void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status),
				 void *ctx, uint64_t now)
{
	struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA, NVSP_SECTION_NONE,
				    0 };
	struct vmbnet_vmbpacket *p;
	uint32_t ranges = 0, pfns = 0, hlen, hoff;
	int32_t st;

	p = packet_get(c, nbl_packet_done, NULL);
	if (!p)
		return VMBNET_STATUS_INSUFFICIENT_RESOURCES;
	p->nbl = nbl;
	p->nbl_done = done;
	p->nbl_ctx = ctx;
	hlen = build_rndis(p, nbl, l2, l2_len, len);
	hoff = (uint32_t)((p->hdr - c->hdr_area) & (VMB_PAGE_SIZE - 1));
	memcpy(p->inline_buf, &n, sizeof(n));
	p->inline_len = sizeof(n);
	if (ext_two_pages(p, hoff, hlen, chain, off, len)) {
		st = submit_locked(p, now);
	} else {
		struct vmbnet_mdl hm = { .ByteOffset = hoff, .ByteCount = hlen };

		hm.Pfns = &p->hdr_pfn;
		hm.PfnCount = 1; /* VMBNET_HDR_BYTES divides the page: never crosses */
		ext_begin(p);
		st = ext_add_range(p, &hm, 0, hlen, &ranges, &pfns);
		if (!st)
			st = ext_add_chain(p, chain, off, len, &ranges, &pfns);
		if (!st) {
			ext_end(p, ranges);
			st = submit_locked(p, now);
		}
	}
	if (st)
		packet_put(p);
	return st;
}

int32_t vmbnet_core_send_frame(struct vmbnet_core *c, struct vmbnet_nbl *nbl,
			       const struct vmbnet_mdl *chain, uint32_t off, uint32_t len,
			       const void *l2, uint32_t l2_len,
			       void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status),
			       void *ctx)
{
	int32_t st;

	if (!done || !len || l2_len > VMBNET_L2_MAX || (l2_len && !l2))
		return VMBNET_STATUS_INVALID_PARAMETER;
	/* One lock from the slot to the ring: the build is short. */
	c->port->lock(c->opaque);
	st = send_frame_locked(c, nbl, chain, off, len, l2, l2_len, done, ctx,
			       c->port->now_ns(c->opaque));
	c->port->unlock(c->opaque);
	return st;
}

int32_t vmbnet_send_nbl(struct vmbnet_core *c, struct vmbnet_nbl *nbl, const void *l2,
			uint32_t l2_len,
			void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status), void *ctx)
{
	struct vmbnet_nb *nb = nbl ? nbl->FirstNetBuffer : NULL;

	if (!nb || !nb->DataLength)
		return VMBNET_STATUS_INVALID_PARAMETER;
	return vmbnet_core_send_frame(c, nbl, nb->MdlChain, nb->DataOffset, nb->DataLength, l2,
				      l2_len, done, ctx);
}

int32_t vmbnet_send_nbl_chain(struct vmbnet_core *c, struct vmbnet_nbl *nbl,
			      void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status),
			      void *ctx, uint32_t *sent)
{
	int32_t st = VMBNET_STATUS_SUCCESS;
	uint64_t now;

	*sent = 0;
	if (!done)
		return VMBNET_STATUS_INVALID_PARAMETER;
	c->port->lock(c->opaque);
	now = c->port->now_ns(c->opaque); /* the chain is handed over at once */
	for (struct vmbnet_nbl *next; nbl; nbl = next) {
		struct vmbnet_nb *nb = nbl->FirstNetBuffer;

		/* read before the send: once sent, the NBL is the completion's */
		next = nbl->Next;
		if (!nb || !nb->DataLength) {
			st = VMBNET_STATUS_INVALID_PARAMETER;
			break;
		}
		st = send_frame_locked(c, nbl, nb->MdlChain, nb->DataOffset, nb->DataLength, NULL,
				       0, done, ctx, now);
		if (st)
			break;
		(*sent)++;
	}
	c->port->unlock(c->opaque);
	return st;
}
