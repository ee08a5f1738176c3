/* SPDX-License-Identifier: MIT */
/*
 * vmbc: the guest side of VMBus on vmbnet-pci, OS-neutral.
 *
 * Everything a guest does before its datapath runs and after it stops: the
 * register file check, version contact and offers through the message page,
 * GPADL creation (header and body chunking) and teardown, channel open and
 * close, unload; on an open channel the synchronous NVSP exchanges (INIT, the
 * receive and send buffers) and RNDIS control requests. vmbnet.ko, the
 * userspace native guest and the DDI tests run this one copy.
 *
 * The port is the PCI function itself (32-bit register reads and writes at
 * the offsets of vmbnet/vmb_pci.h), a sleep, a clock and a log; the caller
 * owns guest memory and hands in ring views and page frame numbers.
 *
 * The host is not trusted: every length, id and status it sends is copied
 * out and checked, and every wait is bounded by the port's clock. A status
 * the protocol does not define as success fails the call with -EIO, never
 * reaches the caller as a positive number.
 */
#ifndef VMBNET_VMBC_H
#define VMBNET_VMBC_H

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet/vmb_pci.h"
#include "vmbnet/vmb_ring.h"
#include "vmbnet/vmb_wire.h"

#ifdef __KERNEL__
#include <linux/stdarg.h>
#else
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#endif

#define VMBC_TIMEOUT_MS 2000 /* default bound on one answer from the host */
/* pfns a GPADL_HEADER carries after its one range, and a GPADL_BODY */
#define VMBC_GPADL_HDR_PFNS                                                                   \
	((VMB_MSG_MAX - sizeof(struct vmb_msg_gpadl_header) - sizeof(struct vmb_gpa_range)) / \
	 sizeof(uint64_t))
#define VMBC_GPADL_BODY_PFNS ((VMB_MSG_MAX - sizeof(struct vmb_msg_gpadl_body)) / sizeof(uint64_t))
/* trans_ids of the client's own ring requests: above every datapath id */
#define VMBC_TID_BASE (1ull << 40)
#define VMBC_SECTION_MIN 256 /* smallest send section the client accepts */

struct vmbc_offer {
	uint32_t relid;
	uint32_t index; /* connection_id: doorbell and vector 1 + index */
	struct vmb_guid if_type, if_instance;
	uint16_t sub_channel_index;
};

struct vmbc_port {
	uint32_t (*rd)(void *opaque, uint32_t reg);
	void (*wr)(void *opaque, uint32_t reg, uint32_t val);
	/* Nothing arrived yet: wait about @us microseconds (or for the
	 * device's signal, whichever comes first).
	 */
	void (*sleep)(void *opaque, unsigned int us);
	uint64_t (*now_ms)(void *opaque);
	void (*log)(void *opaque, const char *fmt, va_list ap);
	/* Optional: the message page is one per device; the up ring of
	 * channel @index may be shared with a running datapath.
	 */
	void (*msg_lock)(void *opaque);
	void (*msg_unlock)(void *opaque);
	void (*chan_lock)(void *opaque, uint32_t index);
	void (*chan_unlock)(void *opaque, uint32_t index);
	/* Optional: an offer that came after ALL_OFFERS_DELIVERED (checked
	 * and in c->offer[]), or the rescind of one (@rescind; it is gone from
	 * c->offer[] when this returns). Called with the message lock held,
	 * from whichever call read the message: it may only take note. Without
	 * it such messages are counted as unexpected and dropped.
	 */
	void (*offer_event)(void *opaque, const struct vmbc_offer *o, bool rescind);
};

struct vmbc_stats {
	uint64_t unexpected_msgs; /* host messages nobody waited for */
	uint64_t unexpected_pkts; /* ring packets nobody waited for */
	uint64_t protocol_errors; /* answers that broke a rule */
	uint64_t timeouts;
	uint64_t gpadls_leaked; /* teardown never confirmed: memory kept */
};

struct vmbc {
	const struct vmbc_port *port;
	void *opaque;
	unsigned int timeout_ms;
	/* from the register file */
	uint32_t version, features, num_channels, mtu, ring_pages;
	uint8_t mac[6];
	/* INITIATE_CONTACT's flags (VMB_CONTACT_*), set before vmbc_connect() */
	uint32_t contact_flags;
	/* from the host's messages: offer[0..noffers), relid 0 = rescinded */
	uint32_t noffers;
	struct vmbc_offer offer[VMB_PCI_MAX_CHANNELS];
	uint32_t conn_mask; /* connection ids on offer */
	uint32_t next_gpadl;
	uint64_t next_tid;
	struct vmbc_stats stats;
};

/*
 * Guest memory the host sees through a GPADL: @pages pages, physically
 * contiguous from frame @pfn (as the device addresses it), mapped at @va.
 * The caller allocates and frees it; the client fills @gpadl, and sets @kept
 * when the host never confirmed its teardown: such memory must never be
 * freed or reused, the host may still write it.
 */
struct vmbc_buf {
	void *va;
	uint64_t pfn;
	uint32_t pages;
	uint32_t gpadl;
	bool kept;
};

/* An open channel as the client sees it: the caller's ring views. */
struct vmbc_chan {
	struct vmbc *c;
	uint32_t index, relid;
	bool open;
	struct vmb_ring *up, *down;
	/* the buffers, once vmbc_nvsp_connect() has set them up */
	uint8_t *rx_buf, *tx_buf;
	uint32_t rx_bytes, tx_bytes;
	uint32_t rx_slot_size, rx_slots;
	uint32_t tx_section_size, tx_sections;
	uint32_t rndis_req_id;
};

/* Bind @c to a port. No device access. */
void vmbc_init(struct vmbc *c, const struct vmbc_port *port, void *opaque);

/* Check the register file (magic, major version, channel count, MTU, ring
 * size) and read the MAC. 0 or -ENODEV, logged.
 */
int vmbc_probe(struct vmbc *c);

/* Post one message through the message page. 0 or -EINVAL. */
int vmbc_post(struct vmbc *c, const void *msg, uint32_t len);
/* Post @msg (may be NULL) and wait for the host's message of @want_type,
 * copied to @reply (zero-filled past what the host sent). Other messages are
 * counted and dropped. 0, -ETIMEDOUT or -EPROTO.
 */
int vmbc_call(struct vmbc *c, const void *msg, uint32_t len, uint32_t want_type, void *reply,
	      uint32_t reply_len);

/* Version contact, then the offers until ALL_OFFERS_DELIVERED, in c->offer[]. */
int vmbc_connect(struct vmbc *c);
/* Read the host messages nobody waits for (late offers and rescinds go to
 * port->offer_event). Returns how many were read; VMBC_POLL_MAX means it
 * stopped with more waiting: the host raises no new interrupt for those,
 * so call again.
 */
#define VMBC_POLL_MAX (4 * VMB_PCI_MAX_CHANNELS)
int vmbc_poll(struct vmbc *c);
/* UNLOAD and wait for its response. */
int vmbc_unload(struct vmbc *c);
/* VMB_CTRL_RESET: the device closes everything. */
void vmbc_reset(struct vmbc *c);

/*
 * A GPADL over @npages pages for channel @relid; pfn(@arg, i) gives page
 * i's frame number. The id (chosen by the client) goes to *@id. 0, -ETIMEDOUT,
 * -EPROTO, or -EIO when the host refused it.
 */
int vmbc_gpadl_create(struct vmbc *c, uint32_t relid, uint32_t npages,
		      uint64_t (*pfn)(void *arg, uint32_t i), void *arg, uint32_t *id);
int vmbc_gpadl_create_contig(struct vmbc *c, uint32_t relid, uint64_t pfn0, uint32_t npages,
			     uint32_t *id);
/* Tear GPADL @id down. 0 only when the host confirmed it: on any error the
 * host may still write the pages, and the caller must not reuse them.
 */
int vmbc_gpadl_teardown(struct vmbc *c, uint32_t relid, uint32_t id);

/* OPEN_CHANNEL on ring GPADL @gpadl, downstream ring at page @down_off. */
int vmbc_open(struct vmbc *c, uint32_t relid, uint32_t gpadl, uint32_t down_off);
void vmbc_close(struct vmbc *c, uint32_t relid);

/*
 * A channel up for a netvsc datapath, in hv_netvsc's order: format and
 * attach the rings in @ring (guest -> host first, @up_pages of it), its
 * GPADL, OPEN_CHANNEL, the GPADLs of @rx and @tx, then NVSP
 * (vmbc_nvsp_connect). On failure everything done is undone. 0 or -errno.
 */
int vmbc_chan_open(struct vmbc_chan *ch, struct vmbc_buf *ring, uint32_t up_pages,
		   struct vmbc_buf *rx, struct vmbc_buf *tx);
/* CLOSE_CHANNEL (the host completes what is in flight), then tear the
 * GPADLs down; a buffer whose teardown was not confirmed is marked kept.
 */
void vmbc_chan_close(struct vmbc_chan *ch, struct vmbc_buf *ring, struct vmbc_buf *rx,
		     struct vmbc_buf *tx);

/* Format both rings of an @up_len + @down_len area and attach the views. */
int vmbc_rings_init(struct vmb_ring *up, struct vmb_ring *down, void *mem, uint64_t up_len,
		    uint64_t down_len);

/* Ring channel @ch's doorbell if @ch's up ring must be signalled. */
void vmbc_chan_signal(struct vmbc_chan *ch);

/*
 * One NVSP request with completion requested; waits for the completion
 * (copied to @reply, zero-filled) and hands back any receive slot the host
 * lends meanwhile. 0, -ETIMEDOUT, -ENOSPC or the ring's error.
 */
int vmbc_nvsp_call(struct vmbc_chan *ch, const void *msg, uint32_t len, void *reply,
		   uint32_t reply_len);

/*
 * NVSP INIT (version 6.1), then the receive buffer (GPADL @rx_gpadl over
 * @rx, @rx_bytes) and the send buffer (@tx_gpadl over @tx, @tx_bytes). The
 * host's answers are checked against the buffers; the geometry lands in
 * @ch. 0, -EPROTONOSUPPORT, -EPROTO or a transport error.
 */
int vmbc_nvsp_connect(struct vmbc_chan *ch, uint32_t rx_gpadl, void *rx, uint32_t rx_bytes,
		      uint32_t tx_gpadl, void *tx, uint32_t tx_bytes);

/*
 * An RNDIS control request through send section 0 (the caller keeps it free
 * while this runs): INIT (@oid ignored), QUERY or SET of @oid with @in. The
 * host's answer (its whole RNDIS message) is copied to @out. 0, -EIO when
 * the host refused the NVSP packet, -EPROTO, -ETIMEDOUT.
 */
int vmbc_rndis_call(struct vmbc_chan *ch, uint32_t type, uint32_t oid, const void *in,
		    uint32_t in_len, void *out, uint32_t out_len);
/* RNDIS INITIALIZE; 0 only when its completion says success. */
int vmbc_rndis_init(struct vmbc_chan *ch);

/* Hand receive slot @tid back (not signalled: vmbc_chan_signal()). */
int vmbc_slot_return(struct vmbc_chan *ch, uint64_t tid);

#endif /* VMBNET_VMBC_H */
