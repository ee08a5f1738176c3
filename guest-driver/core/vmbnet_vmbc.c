// SPDX-License-Identifier: MIT
/*
 * vmbc: the guest side of VMBus on vmbnet-pci. See vmbnet_vmbc.h.
 *
 * Message flows are those of transport/SPEC.md section 3 (control plane)
 * and section 5 (NVSP and RNDIS bring-up); Linux's hv_vmbus
 * (drivers/hv/channel.c, vmbus_establish_gpadl) and hv_netvsc
 * (netvsc_connect_vsp) do the same steps in the same order.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stddef.h>
#include <string.h>
#endif

#include "vmbnet_vmbc.h"

#define VMBC_POLL_US 200 /* between two looks at the message page or a ring */

static void vmbc_log(struct vmbc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void vmbc_log(struct vmbc *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->port->log)
		return;
	va_start(ap, fmt);
	c->port->log(c->opaque, fmt, ap);
	va_end(ap);
}

static uint32_t rd(struct vmbc *c, uint32_t reg)
{
	return c->port->rd(c->opaque, reg);
}

static void wr(struct vmbc *c, uint32_t reg, uint32_t val)
{
	c->port->wr(c->opaque, reg, val);
}

static void msg_lock(struct vmbc *c)
{
	if (c->port->msg_lock)
		c->port->msg_lock(c->opaque);
}

static void msg_unlock(struct vmbc *c)
{
	if (c->port->msg_unlock)
		c->port->msg_unlock(c->opaque);
}

static void chan_lock(struct vmbc_chan *ch)
{
	if (ch->c->port->chan_lock)
		ch->c->port->chan_lock(ch->c->opaque, ch->index);
}

static void chan_unlock(struct vmbc_chan *ch)
{
	if (ch->c->port->chan_unlock)
		ch->c->port->chan_unlock(ch->c->opaque, ch->index);
}

static uint64_t deadline(struct vmbc *c)
{
	return c->port->now_ms(c->opaque) + c->timeout_ms;
}

static bool expired(struct vmbc *c, uint64_t end)
{
	return c->port->now_ms(c->opaque) >= end;
}

void vmbc_init(struct vmbc *c, const struct vmbc_port *port, void *opaque)
{
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->opaque = opaque;
	c->timeout_ms = VMBC_TIMEOUT_MS;
	c->next_gpadl = 1;
}

/* ---- the register file ----------------------------------------------------- */

int vmbc_probe(struct vmbc *c)
{
	uint32_t magic = rd(c, VMB_REG_MAGIC), lo, hi;

	if (magic != VMB_PCI_MAGIC) {
		vmbc_log(c, "bad magic 0x%08x (want 0x%08x)\n", magic, VMB_PCI_MAGIC);
		return -ENODEV;
	}
	c->version = rd(c, VMB_REG_VERSION);
	if (c->version >> 16 != VMB_PCI_VERSION_MAJOR) {
		vmbc_log(c, "register map version %u.%u, driver speaks %u.x\n", c->version >> 16,
			 c->version & 0xffff, VMB_PCI_VERSION_MAJOR);
		return -ENODEV;
	}
	c->features = rd(c, VMB_REG_FEATURES);
	c->num_channels = rd(c, VMB_REG_NUM_CHANNELS);
	if (!c->num_channels || c->num_channels > VMB_PCI_MAX_CHANNELS) {
		vmbc_log(c, "device offers %u channels (1..%u)\n", c->num_channels,
			 VMB_PCI_MAX_CHANNELS);
		return -ENODEV;
	}
	c->mtu = rd(c, VMB_REG_MTU);
	if (c->mtu < VMB_PCI_MTU_MIN) {
		vmbc_log(c, "device MTU %u below %u\n", c->mtu, VMB_PCI_MTU_MIN);
		return -ENODEV;
	}
	c->ring_pages = rd(c, VMB_REG_RING_PAGES);
	if (c->ring_pages < VMB_PCI_RING_PAGES_MIN)
		c->ring_pages = VMB_PCI_RING_PAGES_MIN;
	if (c->ring_pages > VMB_PCI_RING_PAGES_MAX)
		c->ring_pages = VMB_PCI_RING_PAGES_MAX;
	lo = rd(c, VMB_REG_MAC_LO);
	hi = rd(c, VMB_REG_MAC_HI);
	for (int i = 0; i < 4; i++)
		c->mac[i] = (uint8_t)(lo >> (8 * i));
	c->mac[4] = (uint8_t)hi;
	c->mac[5] = (uint8_t)(hi >> 8);
	return 0;
}

void vmbc_reset(struct vmbc *c)
{
	wr(c, VMB_REG_CONTROL, VMB_CTRL_RESET);
}

/* ---- the message page --------------------------------------------------------- */

static int post_locked(struct vmbc *c, const void *msg, uint32_t len)
{
	uint8_t buf[VMB_MSG_MAX] = { 0 };

	if (len > VMB_MSG_MAX || len < sizeof(struct vmb_msg_hdr))
		return -EINVAL;
	memcpy(buf, msg, len);
	for (uint32_t off = 0; off < len; off += 4) {
		uint32_t w;

		memcpy(&w, buf + off, sizeof(w));
		wr(c, VMB_REG_MSG_TX + off, w);
	}
	wr(c, VMB_REG_MSG_SEND, len);
	return 0;
}

int vmbc_post(struct vmbc *c, const void *msg, uint32_t len)
{
	int err;

	msg_lock(c);
	err = post_locked(c, msg, len);
	msg_unlock(c);
	return err;
}

/* Pop one host message into @buf: its length, 0 if none is waiting. */
static uint32_t recv_locked(struct vmbc *c, uint8_t *buf)
{
	uint32_t len = rd(c, VMB_REG_MSG_RECV);

	if (!len)
		return 0;
	if (len > VMB_MSG_MAX || len < sizeof(struct vmb_msg_hdr)) {
		c->stats.protocol_errors++;
		vmbc_log(c, "host message of %u bytes (%zu..%u)\n", len, sizeof(struct vmb_msg_hdr),
			 VMB_MSG_MAX);
		return 0;
	}
	for (uint32_t off = 0; off < len; off += 4) {
		uint32_t w = rd(c, VMB_REG_MSG_RX + off);

		memcpy(buf + off, &w, sizeof(w));
	}
	return len;
}

/*
 * Check an OFFER against the ones on file (one per connection id, each
 * relid once) and file it. Its index in c->offer[], or -EPROTO.
 */
static int offer_add(struct vmbc *c, const uint8_t *buf, uint32_t got)
{
	struct vmb_msg_offer o;
	struct vmbc_offer *f = NULL;
	uint32_t i;

	memset(&o, 0, sizeof(o));
	memcpy(&o, buf, got < sizeof(o) ? got : sizeof(o));
	if (o.connection_id >= c->num_channels || (c->conn_mask & (1u << o.connection_id)) ||
	    !o.child_relid) {
		c->stats.protocol_errors++;
		vmbc_log(c, "offer of relid %u on connection %u (of %u) refused\n", o.child_relid,
			 o.connection_id, c->num_channels);
		return -EPROTO;
	}
	for (i = 0; i < c->noffers; i++) {
		if (c->offer[i].relid == o.child_relid) {
			c->stats.protocol_errors++;
			vmbc_log(c, "relid %u offered twice\n", o.child_relid);
			return -EPROTO;
		}
		if (!f && !c->offer[i].relid)
			f = &c->offer[i];
	}
	if (!f) /* conn_mask bounds the live ones; rescinded slots are reused */
		f = &c->offer[c->noffers++];
	c->conn_mask |= 1u << o.connection_id;
	f->relid = o.child_relid;
	f->index = o.connection_id;
	f->if_type = o.if_type;
	f->if_instance = o.if_instance;
	f->sub_channel_index = o.sub_channel_index;
	return (int)(f - c->offer);
}

/* A message nobody waited for: late offers and rescinds go to the port. */
static void unsolicited(struct vmbc *c, const uint8_t *buf, uint32_t got, uint32_t want_type)
{
	struct vmb_msg_rescind_offer r;
	struct vmb_msg_hdr h;
	int i;

	memcpy(&h, buf, sizeof(h));
	if (c->port->offer_event && h.msgtype == VMB_MSG_OFFER_CHANNEL) {
		i = offer_add(c, buf, got);
		if (i >= 0)
			c->port->offer_event(c->opaque, &c->offer[i], false);
		return;
	}
	if (c->port->offer_event && h.msgtype == VMB_MSG_RESCIND_OFFER && got >= sizeof(r)) {
		memcpy(&r, buf, sizeof(r));
		for (i = 0; i < (int)c->noffers; i++) {
			struct vmbc_offer *f = &c->offer[i];

			if (!r.child_relid || f->relid != r.child_relid)
				continue;
			c->port->offer_event(c->opaque, f, true);
			c->conn_mask &= ~(1u << f->index);
			f->relid = 0;
			return;
		}
		c->stats.protocol_errors++;
		vmbc_log(c, "rescind of relid %u, which is not on offer\n", r.child_relid);
		return;
	}
	c->stats.unexpected_msgs++;
	vmbc_log(c, "unexpected host message %u (waiting for %u)\n", h.msgtype, want_type);
}

int vmbc_poll(struct vmbc *c)
{
	uint8_t buf[VMB_MSG_MAX];
	uint32_t got;
	int n = 0;

	msg_lock(c);
	/* bounded: a host that never stops talking gets another call */
	while (n < VMBC_POLL_MAX && (got = recv_locked(c, buf))) {
		unsolicited(c, buf, got, 0);
		n++;
	}
	msg_unlock(c);
	return n;
}

/* vmbc_call() with the message lock held: a message that answers what was
 * just posted must not be read by anyone else (vmbc_poll()) in between.
 */
static int call_locked(struct vmbc *c, const void *msg, uint32_t len, uint32_t want_type,
		       void *reply, uint32_t reply_len)
{
	uint8_t buf[VMB_MSG_MAX];
	uint64_t end = deadline(c);
	int err = 0;

	if (msg)
		err = post_locked(c, msg, len);
	while (!err) {
		struct vmb_msg_hdr h;
		uint32_t got = recv_locked(c, buf);

		if (!got) {
			if (expired(c, end)) {
				c->stats.timeouts++;
				err = -ETIMEDOUT;
				break;
			}
			c->port->sleep(c->opaque, VMBC_POLL_US);
			continue;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.msgtype == want_type) {
			memset(reply, 0, reply_len);
			memcpy(reply, buf, got < reply_len ? got : reply_len);
			break;
		}
		/* bounded by the deadline even if the host never stops talking */
		unsolicited(c, buf, got, want_type);
		if (expired(c, end)) {
			c->stats.timeouts++;
			err = -ETIMEDOUT;
		}
	}
	return err;
}

int vmbc_call(struct vmbc *c, const void *msg, uint32_t len, uint32_t want_type, void *reply,
	      uint32_t reply_len)
{
	int err;

	msg_lock(c);
	err = call_locked(c, msg, len, want_type, reply, reply_len);
	msg_unlock(c);
	return err;
}

int vmbc_connect(struct vmbc *c)
{
	struct vmb_msg_initiate_contact m = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
		.flags = c->contact_flags,
	};
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	struct vmb_msg_version_response vr;
	uint8_t buf[VMB_MSG_MAX];
	int err;

	err = vmbc_call(c, &m, sizeof(m), VMB_MSG_VERSION_RESPONSE, &vr, sizeof(vr));
	if (err)
		return err;
	if (!vr.version_supported)
		return -EPROTONOSUPPORT;
	err = vmbc_post(c, &req, sizeof(req));
	c->noffers = 0;
	c->conn_mask = 0;
	while (!err) {
		struct vmb_msg_hdr h;
		uint64_t end = deadline(c);
		uint32_t got;

		msg_lock(c);
		while (!(got = recv_locked(c, buf)) && !expired(c, end))
			c->port->sleep(c->opaque, VMBC_POLL_US);
		msg_unlock(c);
		if (!got) {
			c->stats.timeouts++;
			return -ETIMEDOUT;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.msgtype == VMB_MSG_ALL_OFFERS_DELIVERED)
			break;
		if (h.msgtype != VMB_MSG_OFFER_CHANNEL) {
			c->stats.unexpected_msgs++;
			vmbc_log(c, "unexpected host message %u among the offers\n", h.msgtype);
			continue;
		}
		/* one offer per doorbell, each relid once */
		if (offer_add(c, buf, got) < 0)
			return -EPROTO;
	}
	if (!err && !c->noffers)
		err = -ENODEV;
	return err;
}

int vmbc_unload(struct vmbc *c)
{
	struct vmb_msg_hdr unload = { .msgtype = VMB_MSG_UNLOAD };
	struct vmb_msg_hdr reply;

	return vmbc_call(c, &unload, sizeof(unload), VMB_MSG_UNLOAD_RESPONSE, &reply,
			 sizeof(reply));
}

/* ---- GPADLs ---------------------------------------------------------------------- */

static uint32_t put_pfns(uint8_t *dst, uint32_t first, uint32_t npages, uint32_t max,
			 uint64_t (*pfn)(void *arg, uint32_t i), void *arg)
{
	uint32_t k;

	for (k = 0; first + k < npages && k < max; k++) {
		uint64_t v = pfn(arg, first + k);

		memcpy(dst + (size_t)k * sizeof(v), &v, sizeof(v));
	}
	return k;
}

int vmbc_gpadl_create(struct vmbc *c, uint32_t relid, uint32_t npages,
		      uint64_t (*pfn)(void *arg, uint32_t i), void *arg, uint32_t *id)
{
	uint8_t msg[VMB_MSG_MAX];
	struct vmb_msg_gpadl_header h = {
		.hdr.msgtype = VMB_MSG_GPADL_HEADER,
		.child_relid = relid,
		.range_count = 1,
	};
	struct vmb_gpa_range r = { .byte_count = npages * VMB_PAGE_SIZE };
	struct vmb_msg_gpadl_body b = { .hdr.msgtype = VMB_MSG_GPADL_BODY };
	struct vmb_msg_gpadl_created cr;
	uint32_t sent, k;
	int err = 0;

	/* range_buflen is 16 bits wide and byte_count 32 */
	if (!npages || npages > (0xffffu - sizeof(r)) / sizeof(uint64_t))
		return -EINVAL;
	h.range_buflen = (uint16_t)(sizeof(r) + npages * sizeof(uint64_t));
	h.gpadl = b.gpadl = c->next_gpadl++;
	if (!c->next_gpadl)
		c->next_gpadl = 1;
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), &r, sizeof(r));
	msg_lock(c);
	k = put_pfns(msg + sizeof(h) + sizeof(r), 0, npages, VMBC_GPADL_HDR_PFNS, pfn, arg);
	post_locked(c, msg, (uint32_t)(sizeof(h) + sizeof(r) + k * sizeof(uint64_t)));
	for (sent = k; sent < npages; sent += k, b.msgnumber++) {
		memcpy(msg, &b, sizeof(b));
		k = put_pfns(msg + sizeof(b), sent, npages, VMBC_GPADL_BODY_PFNS, pfn, arg);
		post_locked(c, msg, (uint32_t)(sizeof(b) + k * sizeof(uint64_t)));
	}
	err = call_locked(c, NULL, 0, VMB_MSG_GPADL_CREATED, &cr, sizeof(cr));
	msg_unlock(c);
	if (err)
		return err;
	if (cr.gpadl != h.gpadl || cr.child_relid != relid) {
		c->stats.protocol_errors++;
		vmbc_log(c, "GPADL_CREATED for %u/%u, sent %u/%u\n", cr.child_relid, cr.gpadl,
			 relid, h.gpadl);
		return -EPROTO;
	}
	if (cr.creation_status) {
		vmbc_log(c, "GPADL %u refused: status 0x%x\n", h.gpadl, cr.creation_status);
		return -EIO;
	}
	*id = h.gpadl;
	return 0;
}

static uint64_t contig_pfn(void *arg, uint32_t i)
{
	return *(const uint64_t *)arg + i;
}

int vmbc_gpadl_create_contig(struct vmbc *c, uint32_t relid, uint64_t pfn0, uint32_t npages,
			     uint32_t *id)
{
	return vmbc_gpadl_create(c, relid, npages, contig_pfn, &pfn0, id);
}

int vmbc_gpadl_teardown(struct vmbc *c, uint32_t relid, uint32_t id)
{
	struct vmb_msg_gpadl_teardown t = {
		.hdr.msgtype = VMB_MSG_GPADL_TEARDOWN,
		.child_relid = relid,
		.gpadl = id,
	};
	struct vmb_msg_gpadl_torndown r;
	int err = vmbc_call(c, &t, sizeof(t), VMB_MSG_GPADL_TORNDOWN, &r, sizeof(r));

	if (!err && r.gpadl != id) {
		c->stats.protocol_errors++;
		err = -EPROTO;
	}
	if (err) {
		c->stats.gpadls_leaked++;
		vmbc_log(c, "GPADL %u: teardown not confirmed (%d); its pages stay with the host\n",
			 id, err);
	}
	return err;
}

/* ---- channels -------------------------------------------------------------------- */

int vmbc_open(struct vmbc *c, uint32_t relid, uint32_t gpadl, uint32_t down_off)
{
	struct vmb_msg_open_channel m = {
		.hdr.msgtype = VMB_MSG_OPEN_CHANNEL,
		.child_relid = relid,
		.openid = relid,
		.ringbuffer_gpadl = gpadl,
		.downstream_ring_offset = down_off,
	};
	struct vmb_msg_open_result r;
	int err = vmbc_call(c, &m, sizeof(m), VMB_MSG_OPEN_RESULT, &r, sizeof(r));

	if (err)
		return err;
	if (r.child_relid != relid || r.openid != relid) {
		c->stats.protocol_errors++;
		return -EPROTO;
	}
	if (r.status) {
		vmbc_log(c, "channel %u: open refused, status 0x%x\n", relid, r.status);
		return -EIO;
	}
	return 0;
}

void vmbc_close(struct vmbc *c, uint32_t relid)
{
	struct vmb_msg_close_channel m = {
		.hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
		.child_relid = relid,
	};

	vmbc_post(c, &m, sizeof(m));
}

int vmbc_rings_init(struct vmb_ring *up, struct vmb_ring *down, void *mem, uint64_t up_len,
		    uint64_t down_len)
{
	uint8_t *p = mem;
	int err;

	err = vmb_ring_format(p, up_len);
	if (!err)
		err = vmb_ring_format(p + up_len, down_len);
	if (!err)
		err = vmb_ring_attach_producer(up, p, up_len);
	if (!err)
		err = vmb_ring_attach_consumer(down, p + up_len, down_len);
	return err;
}

static int buf_gpadl(struct vmbc_chan *ch, struct vmbc_buf *b)
{
	return vmbc_gpadl_create_contig(ch->c, ch->relid, b->pfn, b->pages, &b->gpadl);
}

static void buf_teardown(struct vmbc_chan *ch, struct vmbc_buf *b)
{
	if (b && b->gpadl && vmbc_gpadl_teardown(ch->c, ch->relid, b->gpadl))
		b->kept = true;
	if (b)
		b->gpadl = 0;
}

int vmbc_chan_open(struct vmbc_chan *ch, struct vmbc_buf *ring, uint32_t up_pages,
		   struct vmbc_buf *rx, struct vmbc_buf *tx)
{
	uint64_t up = (uint64_t)up_pages * VMB_PAGE_SIZE;
	int err;

	if (!up_pages || up_pages >= ring->pages)
		return -EINVAL;
	err = vmbc_rings_init(ch->up, ch->down, ring->va, up,
			      (uint64_t)ring->pages * VMB_PAGE_SIZE - up);
	if (!err)
		err = buf_gpadl(ch, ring);
	if (!err)
		err = vmbc_open(ch->c, ch->relid, ring->gpadl, up_pages);
	if (err) {
		buf_teardown(ch, ring);
		return err;
	}
	ch->open = true;
	err = buf_gpadl(ch, rx);
	if (!err)
		err = buf_gpadl(ch, tx);
	if (!err)
		err = vmbc_nvsp_connect(ch, rx->gpadl, rx->va, rx->pages * VMB_PAGE_SIZE, tx->gpadl,
					tx->va, tx->pages * VMB_PAGE_SIZE);
	if (err)
		vmbc_chan_close(ch, ring, rx, tx);
	return err;
}

void vmbc_chan_close(struct vmbc_chan *ch, struct vmbc_buf *ring, struct vmbc_buf *rx,
		     struct vmbc_buf *tx)
{
	if (ch->open)
		vmbc_close(ch->c, ch->relid);
	ch->open = false;
	buf_teardown(ch, tx);
	buf_teardown(ch, rx);
	buf_teardown(ch, ring);
	ch->rx_buf = ch->tx_buf = NULL;
}

void vmbc_chan_signal(struct vmbc_chan *ch)
{
	wr(ch->c, VMB_REG_DOORBELL(ch->index), 1);
}

int vmbc_slot_return(struct vmbc_chan *ch, uint64_t tid)
{
	struct nvsp_rndis_pkt_complete m = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };
	struct vmb_sg sg = { &m, sizeof(m) };

	return vmb_ring_write(ch->up, VMB_PKT_COMP, 0, tid, NULL, 0, &sg, 1);
}

/* Write one inband request and signal; the caller waits for its answer. */
static int request(struct vmbc_chan *ch, uint64_t tid, const void *msg, uint32_t len)
{
	int err;

	chan_lock(ch);
	err = vmb_ring_write_inband(ch->up, VMB_PKT_FLAG_COMPLETION_REQUESTED, tid, msg, len);
	if (!err && vmb_ring_tx_publish(ch->up))
		vmbc_chan_signal(ch);
	chan_unlock(ch);
	return err;
}

/* What a wait on the down ring is looking for. */
struct wait {
	uint64_t tid;
	void *reply; /* the completion's payload */
	uint32_t reply_len;
	bool completed;
	/* and, for RNDIS, the answer in a control receive slot */
	void *rndis;
	uint32_t rndis_len;
	bool answered;
	int err;
};

/* A receive slot during a wait: the RNDIS answer if one is awaited, else
 * dropped; either way the slot goes back at once.
 */
static void take_slot(struct vmbc_chan *ch, const struct vmb_pkt *p, struct wait *w)
{
	struct nvsp_rndis_pkt m = { 0 };
	struct vmb_xfer_page_hdr xh;
	struct vmb_xfer_range xr;

	vmb_ring_pkt_copy(ch->down, p, p->data_off, &m, sizeof(m));
	if (w->rndis && !w->answered && m.type == NVSP_MSG_SEND_RNDIS_PKT &&
	    m.channel_type == NVSP_CHANNEL_CONTROL) {
		int n = ch->rx_buf ? vmb_xfer_parse(ch->down, p, ch->rx_bytes, &xh, &xr, 1) : -EIO;

		if (n != 1 || xh.xfer_pageset_id != NVSP_RECV_BUF_ID ||
		    xr.byte_count < RNDIS_BODY_OFF) {
			ch->c->stats.protocol_errors++;
			w->err = -EPROTO;
		} else {
			uint32_t k = xr.byte_count < w->rndis_len ? xr.byte_count : w->rndis_len;

			memset(w->rndis, 0, w->rndis_len);
			memcpy(w->rndis, ch->rx_buf + xr.byte_offset, k);
		}
		w->answered = true;
	} else {
		ch->c->stats.unexpected_pkts++;
	}
	chan_lock(ch);
	if (!vmbc_slot_return(ch, p->trans_id) && vmb_ring_tx_publish(ch->up))
		vmbc_chan_signal(ch);
	chan_unlock(ch);
}

static int wait_ring(struct vmbc_chan *ch, struct wait *w)
{
	struct vmbc *c = ch->c;
	uint64_t end = deadline(c);

	while (!w->err && !(w->completed && (!w->rndis || w->answered))) {
		struct vmb_pkt p;
		int err = vmb_ring_peek(ch->down, &p);

		if (err == -EAGAIN) {
			if (vmb_ring_rx_release(ch->down))
				vmbc_chan_signal(ch);
			if (expired(c, end)) {
				c->stats.timeouts++;
				return -ETIMEDOUT;
			}
			c->port->sleep(c->opaque, VMBC_POLL_US);
			continue;
		}
		if (err)
			return err;
		if (p.type == VMB_PKT_COMP && p.trans_id == w->tid && !w->completed) {
			uint32_t n = vmb_pkt_data_len(&p);

			memset(w->reply, 0, w->reply_len);
			vmb_ring_pkt_copy(ch->down, &p, p.data_off, w->reply,
					  n < w->reply_len ? n : w->reply_len);
			w->completed = true;
		} else if (p.type == VMB_PKT_DATA_XFER_PAGES) {
			take_slot(ch, &p, w);
		} else {
			c->stats.unexpected_pkts++;
			vmbc_log(c, "channel %u: unexpected packet type %u, id %llu\n", ch->relid,
				 p.type, (unsigned long long)p.trans_id);
		}
		vmb_ring_advance(ch->down, &p);
	}
	if (vmb_ring_rx_release(ch->down))
		vmbc_chan_signal(ch);
	return w->err;
}

int vmbc_nvsp_call(struct vmbc_chan *ch, const void *msg, uint32_t len, void *reply,
		   uint32_t reply_len)
{
	struct wait w = { .tid = VMBC_TID_BASE + ++ch->c->next_tid,
			  .reply = reply,
			  .reply_len = reply_len };
	int err = request(ch, w.tid, msg, len);

	return err ? err : wait_ring(ch, &w);
}

int vmbc_nvsp_connect(struct vmbc_chan *ch, uint32_t rx_gpadl, void *rx, uint32_t rx_bytes,
		      uint32_t tx_gpadl, void *tx, uint32_t tx_bytes)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, rx_gpadl, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, tx_gpadl, 0 };
	struct nvsp_init_complete ic;
	struct nvsp_recv_buf_complete rc;
	struct nvsp_send_buf_complete sc;
	int err;

	err = vmbc_nvsp_call(ch, &init, sizeof(init), &ic, sizeof(ic));
	if (err)
		return err;
	if (ic.type != NVSP_MSG_INIT_COMPLETE || ic.status != NVSP_STAT_SUCCESS) {
		vmbc_log(ch->c, "NVSP 6.1 refused: type %u status %u\n", ic.type, ic.status);
		return -EPROTONOSUPPORT;
	}
	err = vmbc_nvsp_call(ch, &rb, sizeof(rb), &rc, sizeof(rc));
	if (err)
		return err;
	if (rc.type != NVSP_MSG_SEND_RECV_BUF_COMPLETE || rc.status != NVSP_STAT_SUCCESS ||
	    !rc.sub_alloc_size || !rc.num_sub_allocs ||
	    (uint64_t)rc.sub_alloc_size * rc.num_sub_allocs > rx_bytes) {
		ch->c->stats.protocol_errors++;
		vmbc_log(ch->c, "receive buffer: status %u, %u slots of %u bytes in %u\n",
			 rc.status, rc.num_sub_allocs, rc.sub_alloc_size, rx_bytes);
		return -EPROTO;
	}
	ch->rx_buf = rx;
	ch->rx_bytes = rx_bytes;
	ch->rx_slot_size = rc.sub_alloc_size;
	ch->rx_slots = rc.num_sub_allocs;
	err = vmbc_nvsp_call(ch, &sb, sizeof(sb), &sc, sizeof(sc));
	if (err)
		return err;
	if (sc.type != NVSP_MSG_SEND_SEND_BUF_COMPLETE || sc.status != NVSP_STAT_SUCCESS ||
	    sc.section_size < VMBC_SECTION_MIN || sc.section_size > tx_bytes) {
		ch->c->stats.protocol_errors++;
		vmbc_log(ch->c, "send buffer: status %u, sections of %u bytes in %u\n", sc.status,
			 sc.section_size, tx_bytes);
		return -EPROTO;
	}
	ch->tx_buf = tx;
	ch->tx_bytes = tx_bytes;
	ch->tx_section_size = sc.section_size;
	ch->tx_sections = tx_bytes / sc.section_size;
	return 0;
}

int vmbc_rndis_call(struct vmbc_chan *ch, uint32_t type, uint32_t oid, const void *in,
		    uint32_t in_len, void *out, uint32_t out_len)
{
	struct rndis_hdr h = { type, 0 };
	struct rndis_query_request q = { 0 };
	struct rndis_init_request ir = { 0 };
	struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_CONTROL, 0, 0 };
	struct nvsp_rndis_pkt_complete comp;
	struct wait w = {
		.reply = &comp, .reply_len = sizeof(comp), .rndis = out, .rndis_len = out_len
	};
	uint32_t body;
	int err;

	if (!ch->tx_buf || !out || out_len < RNDIS_BODY_OFF)
		return -EINVAL;
	if (type == RNDIS_MSG_INIT) {
		ir.req_id = ++ch->rndis_req_id;
		ir.major = 1;
		ir.max_xfer_size = ch->tx_section_size;
		body = sizeof(ir);
		in_len = 0;
	} else {
		q.req_id = ++ch->rndis_req_id;
		q.oid = oid;
		q.info_len = in_len;
		q.info_offset = sizeof(q);
		body = sizeof(q);
	}
	h.msg_len = RNDIS_BODY_OFF + body + in_len;
	if (h.msg_len > ch->tx_section_size)
		return -EINVAL;
	memcpy(ch->tx_buf, &h, sizeof(h));
	memcpy(ch->tx_buf + RNDIS_BODY_OFF, type == RNDIS_MSG_INIT ? (void *)&ir : (void *)&q,
	       body);
	if (in_len)
		memcpy(ch->tx_buf + RNDIS_BODY_OFF + body, in, in_len);
	n.section_size = h.msg_len;
	w.tid = VMBC_TID_BASE + ++ch->c->next_tid;
	err = request(ch, w.tid, &n, sizeof(n));
	if (!err)
		err = wait_ring(ch, &w);
	if (err)
		return err;
	if (comp.status != NVSP_STAT_SUCCESS) {
		vmbc_log(ch->c, "RNDIS message %u: NVSP status %u\n", type, comp.status);
		return -EIO;
	}
	return 0;
}

int vmbc_rndis_init(struct vmbc_chan *ch)
{
	uint8_t reply[RNDIS_BODY_OFF + sizeof(struct rndis_init_complete)];
	struct rndis_init_complete ic;
	int err = vmbc_rndis_call(ch, RNDIS_MSG_INIT, 0, NULL, 0, reply, sizeof(reply));

	if (err)
		return err;
	memcpy(&ic, reply + RNDIS_BODY_OFF, sizeof(ic));
	if (ic.status != RNDIS_STATUS_SUCCESS) {
		vmbc_log(ch->c, "RNDIS INITIALIZE: status 0x%x\n", ic.status);
		return -EIO;
	}
	return 0;
}
