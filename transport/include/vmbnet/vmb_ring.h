/* SPDX-License-Identifier: MIT */
/*
 * vmbnet ring: one direction of a VMBus-format channel.
 *
 * The same code runs in the guest kernel, in QEMU, in the DPDK backend and in
 * host tests. It works on caller-provided memory (one header page followed by
 * the data area), never allocates, and uses no libc beyond errno values.
 *
 * A struct vmb_ring is one endpoint's private view of a shared ring: the
 * producer's view and the consumer's view are separate structs over the same
 * memory. The producer reserves and copies packets at a private write index
 * and publishes them once per batch; the consumer peeks and advances a
 * private read index and releases the space once per batch. Each publish and
 * release returns the one signal decision for that batch.
 *
 * Neither side trusts the other. Every index and descriptor read from shared
 * memory is copied out, then checked; a violation marks the endpoint broken
 * (vmb_ring.error), counts it, and every later call returns -EIO.
 */
#ifndef VMBNET_VMB_RING_H
#define VMBNET_VMB_RING_H

#include "vmb_barrier.h"
#include "vmb_wire.h"

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

/* Why an endpoint broke: the first violation seen, kept in vmb_ring.error. */
enum vmb_ring_error {
	VMB_RING_OK = 0,
	VMB_RING_ERR_INDEX, /* a shared index out of range or misaligned */
	VMB_RING_ERR_SHORT, /* fewer bytes published than a packet needs */
	VMB_RING_ERR_TYPE, /* unknown packet type */
	VMB_RING_ERR_FLAGS, /* unknown packet flags */
	VMB_RING_ERR_LENGTH, /* offset8/len8 inconsistent or past the published data */
	VMB_RING_ERR_TRAILER, /* trailer does not name the packet's start */
	VMB_RING_ERR_RANGE, /* GPA or transfer-page range malformed */
	VMB_RING_ERR_PFN, /* PFN outside the registered memory */
	VMB_RING_ERR__COUNT
};

struct vmb_ring_stats {
	uint64_t packets; /* written (producer) or consumed (consumer) */
	uint64_t bytes; /* packet bytes including descriptor and padding */
	uint64_t signals_sent; /* producer: data signals; consumer: space signals */
	uint64_t signals_suppressed; /* batches the rules decided not to signal */
	uint64_t signals_spurious; /* signals received that the rules made unnecessary */
	uint64_t protocol_errors; /* violations by the peer */
	uint64_t full; /* producer: writes refused for lack of space */
	uint64_t index_reloads; /* peer index re-read because the cache said full/empty */
};

struct vmb_ring {
	struct vmb_ring_hdr *hdr; /* shared header page */
	uint8_t *data; /* shared data area */
	uint32_t size; /* data area bytes, multiple of VMB_PKT_ALIGN */
	uint32_t priv_index; /* our next write (producer) or read (consumer) offset */
	uint32_t pub_index; /* our index as last published in the header */
	uint32_t peer_cache; /* peer's index as last read: read_index or write_index */
	uint32_t error; /* enum vmb_ring_error; non-zero = broken */
	struct vmb_ring_stats stats;
};

/* One piece of a packet's payload, gathered by vmb_ring_write(). */
struct vmb_sg {
	const void *base;
	uint32_t len;
};

/* A packet found by vmb_ring_peek(); all fields are private copies. */
struct vmb_pkt {
	uint16_t type; /* enum vmb_pkt_type */
	uint16_t flags; /* VMB_PKT_FLAG_* */
	uint64_t trans_id;
	uint32_t start; /* ring offset of the descriptor */
	uint32_t len; /* len8 * 8: descriptor + extension + payload + padding */
	uint32_t data_off; /* offset8 * 8: payload offset from the descriptor */
	const uint8_t *data; /* payload in the ring if contiguous, else NULL */
};

/* ---- set-up (vmb_ring.c) ------------------------------------------------ */

#define VMB_RING_MIN_BYTES (2 * VMB_PAGE_SIZE)

/*
 * Zero a ring's header page and advertise pending_send_sz support. Done once
 * by the side that allocates the memory, before the peer may look at it.
 * @len covers the header page and the data area. Returns 0 or -EINVAL.
 */
int vmb_ring_format(void *mem, uint64_t len);

/*
 * Attach an endpoint to formatted shared memory. The producer starts at the
 * published write_index, the consumer at the published read_index (both
 * checked). Returns 0, -EINVAL for bad arguments or -EIO for a bad index.
 */
int vmb_ring_attach_producer(struct vmb_ring *r, void *mem, uint64_t len);
int vmb_ring_attach_consumer(struct vmb_ring *r, void *mem, uint64_t len);

/*
 * Repositioning, for the host side's restore paths (migration, a backend
 * taking over another's rings). Nothing outside this file writes an
 * endpoint's private indices; these check what they are given.
 *
 * vmb_ring_rebind() points a migrated endpoint at its memory again: @mem
 * and @len as for attach, the migrated size, indices and error kept. -EIO
 * (endpoint broken, VMB_RING_ERR_INDEX) when the migrated size does not
 * match @len or an index is out of range or misaligned; -EINVAL for bad
 * arguments.
 *
 * vmb_ring_seek() puts the endpoint's private and published positions at
 * @idx, as a checkpoint recorded them. A consumer whose published read
 * index differs releases up to @idx first (the release its predecessor did
 * not do; no signal is decided). A producer's @idx is what the header's
 * write_index already says. 0 or -EIO for a bad @idx (endpoint untouched).
 *
 * vmb_ring_resync() takes the endpoint's own and its peer's positions
 * afresh from the header (another process moved them). 0 or -EIO.
 */
int vmb_ring_rebind(struct vmb_ring *r, void *mem, uint64_t len);
int vmb_ring_seek(struct vmb_ring *r, uint32_t idx, bool consumer);
int vmb_ring_resync(struct vmb_ring *r, bool consumer);

/* Where the endpoint is: its next write (producer) or read (consumer). */
static inline uint32_t vmb_ring_position(const struct vmb_ring *r)
{
	return r->priv_index;
}

/* Why the endpoint broke, as a short string ("ok" when it did not). */
const char *vmb_ring_error_name(uint32_t error);

/* A consistent-enough snapshot of both sides, for dumps and counters. */
struct vmb_ring_state {
	uint32_t size, priv_index, pub_index, peer_cache, error;
	uint32_t write_index, read_index, interrupt_mask, pending_send_sz;
	uint32_t feature_bits, bytes_used;
	struct vmb_ring_stats stats;
};
void vmb_ring_snapshot(const struct vmb_ring *r, struct vmb_ring_state *st);

/* Producer blocked: ask for a signal once @need bytes are free (see below). */
int vmb_ring_tx_want_space(struct vmb_ring *r, uint32_t need);

/* A signal arrived: count it as spurious when the rules made it unnecessary. */
void vmb_ring_tx_signal_received(struct vmb_ring *r);
void vmb_ring_rx_signal_received(struct vmb_ring *r);

/*
 * GPA-direct parsing, for the host side. Every PFN must name a whole page
 * inside one of the registered regions (guest RAM, or a backend's mapping).
 */
struct vmb_mem_region {
	uint64_t gpa; /* page aligned */
	uint64_t size; /* bytes, page multiple */
};

/* One piece of external data: physically contiguous, within one page. */
struct vmb_gpa_seg {
	uint64_t gpa;
	uint32_t len;
};

struct vmb_pkt;
/*
 * vmb_gpa_parse() - validate a GPA-direct packet's ranges and flatten them
 * into at most @max_segs page pieces in @segs, in order.
 * Returns the number of pieces, or -EIO (endpoint broken: malformed ranges,
 * or a PFN outside @mem), or -ENOSPC when @max_segs is too small (the ring
 * stays usable). Both range encodings (page buffers and multi-page) parse.
 * With @nmem 0 the PFNs are not checked here: the caller must check every
 * piece itself before touching it (QEMU asks its memory map).
 */
int vmb_gpa_parse(struct vmb_ring *r, const struct vmb_pkt *p, const struct vmb_mem_region *mem,
		  unsigned int nmem, struct vmb_gpa_seg *segs, unsigned int max_segs);

/*
 * vmb_xfer_parse() - validate a transfer-page packet's ranges against a
 * transfer page set of @set_size bytes and copy them to @ranges.
 * Returns the range count, -EIO (malformed), or -ENOSPC.
 */
int vmb_xfer_parse(struct vmb_ring *r, const struct vmb_pkt *p, uint32_t set_size,
		   struct vmb_xfer_page_hdr *hdr, struct vmb_xfer_range *ranges,
		   unsigned int max_ranges);

/* ---- internals ---------------------------------------------------------- */

#define VMB_ALIGN8(x) (((x) + (VMB_PKT_ALIGN - 1)) & ~(__typeof__(x))(VMB_PKT_ALIGN - 1))

static inline int __vmb_ring_fail(struct vmb_ring *r, uint32_t why)
{
	if (!r->error)
		r->error = why;
	r->stats.protocol_errors++;
	return -EIO;
}

static inline bool __vmb_ring_index_ok(const struct vmb_ring *r, uint32_t idx)
{
	return idx < r->size && (idx & (VMB_PKT_ALIGN - 1)) == 0;
}

/* Bytes from @from to @to going forward around the ring. */
static inline uint32_t __vmb_ring_dist(const struct vmb_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->size - from + to;
}

static inline uint32_t __vmb_ring_copy_to(struct vmb_ring *r, uint32_t off, const void *src,
					  uint32_t len)
{
	uint32_t first = r->size - off;

	if (len < first) {
		__builtin_memcpy(r->data + off, src, len);
		return off + len;
	}
	__builtin_memcpy(r->data + off, src, first);
	__builtin_memcpy(r->data, (const uint8_t *)src + first, len - first);
	return len - first;
}

static inline void __vmb_ring_copy_from(const struct vmb_ring *r, uint32_t off, void *dst,
					uint32_t len)
{
	uint32_t first = r->size - off;

	if (len <= first) {
		__builtin_memcpy(dst, r->data + off, len);
		return;
	}
	__builtin_memcpy(dst, r->data + off, first);
	__builtin_memcpy((uint8_t *)dst + first, r->data, len - first);
}

static inline uint32_t __vmb_ring_wrap(const struct vmb_ring *r, uint64_t off)
{
	return (uint32_t)(off >= r->size ? off - r->size : off);
}

/* ---- producer ----------------------------------------------------------- */

/* Free bytes for the producer, given the consumer's read index. */
static inline uint32_t __vmb_ring_free(const struct vmb_ring *r, uint32_t read)
{
	return r->size - __vmb_ring_dist(r, read, r->priv_index);
}

/*
 * Make sure more than @need bytes are free, re-reading the consumer's index
 * only when the cached one says there is not enough.
 */
static inline int __vmb_ring_reserve(struct vmb_ring *r, uint32_t need)
{
	uint32_t read;

	if (__vmb_ring_free(r, r->peer_cache) > need)
		return 0;
	/* Pairs with the release in vmb_ring_rx_release(): the consumer is done
	 * reading the bytes we are about to overwrite.
	 */
	read = vmb_load_acquire(&r->hdr->read_index);
	r->stats.index_reloads++;
	if (!__vmb_ring_index_ok(r, read))
		return __vmb_ring_fail(r, VMB_RING_ERR_INDEX);
	r->peer_cache = read;
	if (__vmb_ring_free(r, read) > need)
		return 0;
	return -EAGAIN;
}

/*
 * vmb_ring_write() - copy one packet into the ring, unpublished.
 * @ext: bytes between the descriptor and the payload (GPA-direct or
 *       transfer-page header), a multiple of 8; NULL with @ext_len 0 if none.
 * @sg/@nsg: the payload, gathered and padded to 8 bytes.
 *
 * The packet becomes visible to the consumer at the next
 * vmb_ring_tx_publish(). Returns 0; -EAGAIN when the ring lacks space (the
 * ring is unchanged: publish what is pending, then vmb_ring_tx_want_space());
 * -EINVAL for a packet no ring can carry; -EIO when the endpoint is broken.
 * The caller keeps ownership of every buffer: all bytes are copied.
 */
static inline int vmb_ring_write(struct vmb_ring *r, uint16_t type, uint16_t flags,
				 uint64_t trans_id, const void *ext, uint32_t ext_len,
				 const struct vmb_sg *sg, unsigned int nsg)
{
	static const uint8_t zero[VMB_PKT_ALIGN];
	struct vmb_pkt_desc desc;
	uint64_t payload = 0, pkt_len, trailer;
	uint32_t start = r->priv_index, off;
	unsigned int i;
	int ret;

	if (r->error)
		return -EIO;
	for (i = 0; i < nsg; i++)
		payload += sg[i].len;
	pkt_len = (uint64_t)sizeof(desc) + ext_len + VMB_ALIGN8(payload);
	if ((ext_len & (VMB_PKT_ALIGN - 1)) || pkt_len > VMB_PKT_MAX_LEN ||
	    pkt_len + VMB_TRAILER_SIZE >= r->size || payload > VMB_PKT_MAX_LEN)
		return -EINVAL;
	/* Refuse to write what the peer must treat as a protocol violation. */
	if ((type != VMB_PKT_DATA_INBAND && type != VMB_PKT_COMP &&
	     type != VMB_PKT_DATA_XFER_PAGES && type != VMB_PKT_DATA_GPA_DIRECT) ||
	    (flags & ~VMB_PKT_FLAGS_KNOWN) ||
	    ((type == VMB_PKT_DATA_XFER_PAGES || type == VMB_PKT_DATA_GPA_DIRECT) && ext_len < 8))
		return -EINVAL;
	ret = __vmb_ring_reserve(r, (uint32_t)pkt_len + VMB_TRAILER_SIZE);
	if (ret) {
		if (ret == -EAGAIN)
			r->stats.full++;
		return ret;
	}

	desc.type = type;
	desc.offset8 = (uint16_t)((sizeof(desc) + ext_len) / VMB_PKT_ALIGN);
	desc.len8 = (uint16_t)(pkt_len / VMB_PKT_ALIGN);
	desc.flags = flags;
	desc.trans_id = trans_id;
	off = __vmb_ring_copy_to(r, start, &desc, sizeof(desc));
	if (ext_len)
		off = __vmb_ring_copy_to(r, off, ext, ext_len);
	for (i = 0; i < nsg; i++)
		if (sg[i].len)
			off = __vmb_ring_copy_to(r, off, sg[i].base, sg[i].len);
	if (VMB_ALIGN8(payload) != payload)
		off = __vmb_ring_copy_to(r, off, zero, (uint32_t)(VMB_ALIGN8(payload) - payload));
	trailer = VMB_TRAILER(start);
	r->priv_index = __vmb_ring_copy_to(r, off, &trailer, sizeof(trailer));
	r->stats.packets++;
	r->stats.bytes += pkt_len;
	return 0;
}

/*
 * vmb_ring_tx_room() - would @need bytes (packets plus trailers, as
 * vmb_ring_write() counts them) fit now? 0, -EAGAIN, or -EIO (broken).
 * Lets a producer check before it takes work it must answer.
 */
static inline int vmb_ring_tx_room(struct vmb_ring *r, uint32_t need)
{
	if (r->error)
		return -EIO;
	return __vmb_ring_reserve(r, need);
}

/* Shorthand for an inband packet with one contiguous payload. */
static inline int vmb_ring_write_inband(struct vmb_ring *r, uint16_t flags, uint64_t trans_id,
					const void *buf, uint32_t len)
{
	struct vmb_sg sg = { buf, len };

	return vmb_ring_write(r, VMB_PKT_DATA_INBAND, flags, trans_id, NULL, 0, &sg, 1);
}

/*
 * vmb_ring_tx_publish() - make the packets written since the last publish
 * visible, and decide the batch's one signal.
 *
 * Returns true when the consumer must be signalled: the ring was empty
 * before this batch (the consumer had read everything we had published) and
 * the consumer has not masked interrupts. Counts the decision either way.
 */
static inline bool vmb_ring_tx_publish(struct vmb_ring *r)
{
	uint32_t old = r->pub_index;

	if (r->error || old == r->priv_index)
		return false;
	/* Pairs with the acquire in __vmb_ring_peer_write(): packet bytes are
	 * visible before the index that covers them.
	 */
	vmb_store_release(&r->hdr->write_index, r->priv_index);
	r->pub_index = r->priv_index;
	/* Pairs with vmb_mb() in vmb_ring_rx_unmask(): either the consumer
	 * sees our new write_index after unmasking, or we see its mask clear.
	 */
	vmb_mb();
	if (!vmb_read_once(r->hdr->interrupt_mask) && vmb_read_once(r->hdr->read_index) == old) {
		r->stats.signals_sent++;
		return true;
	}
	r->stats.signals_suppressed++;
	return false;
}

/* ---- consumer ----------------------------------------------------------- */

/* Re-read the producer's write index; 0, or -EIO when it is invalid. */
static inline int __vmb_ring_peer_write(struct vmb_ring *r)
{
	/* Pairs with the release in vmb_ring_tx_publish(). */
	uint32_t w = vmb_load_acquire(&r->hdr->write_index);

	r->stats.index_reloads++;
	if (!__vmb_ring_index_ok(r, w))
		return __vmb_ring_fail(r, VMB_RING_ERR_INDEX);
	r->peer_cache = w;
	return 0;
}

/* Check a descriptor copied out of the ring against what was published. */
static inline int __vmb_ring_check_desc(struct vmb_ring *r, const struct vmb_pkt_desc *d,
					uint32_t avail)
{
	uint32_t off = (uint32_t)d->offset8 * VMB_PKT_ALIGN;
	uint32_t len = (uint32_t)d->len8 * VMB_PKT_ALIGN;
	uint32_t min_off = sizeof(*d);

	switch (d->type) {
	case VMB_PKT_DATA_INBAND:
	case VMB_PKT_COMP:
		break;
	case VMB_PKT_DATA_XFER_PAGES:
	case VMB_PKT_DATA_GPA_DIRECT:
		min_off += 8; /* both extension headers are 8 bytes */
		break;
	default:
		return __vmb_ring_fail(r, VMB_RING_ERR_TYPE);
	}
	if (d->flags & ~VMB_PKT_FLAGS_KNOWN)
		return __vmb_ring_fail(r, VMB_RING_ERR_FLAGS);
	/* trans_id is the sender's and opaque: any value, 0 included */
	if (off < min_off || len < off || len + VMB_TRAILER_SIZE > avail)
		return __vmb_ring_fail(r, VMB_RING_ERR_LENGTH);
	return 0;
}

/*
 * vmb_ring_peek() - find the next packet without consuming it.
 *
 * Fills @p with private copies of the descriptor fields; @p->data points at
 * the payload in shared memory when it does not wrap (zero-copy), else NULL
 * and vmb_ring_pkt_copy() gathers it. Payload bytes stay under the peer's
 * control: copy what you must check before checking it.
 * Returns 0, -EAGAIN when the ring is empty, or -EIO (endpoint broken).
 */
static inline int vmb_ring_peek(struct vmb_ring *r, struct vmb_pkt *p)
{
	struct vmb_pkt_desc d;
	uint32_t avail, start = r->priv_index, data_start;
	uint64_t trailer;
	int ret;

	if (r->error)
		return -EIO;
	if (start == r->peer_cache) {
		ret = __vmb_ring_peer_write(r);
		if (ret)
			return ret;
		if (start == r->peer_cache)
			return -EAGAIN;
	}
	avail = __vmb_ring_dist(r, start, r->peer_cache);
	if (avail < sizeof(d) + VMB_TRAILER_SIZE)
		return __vmb_ring_fail(r, VMB_RING_ERR_SHORT);
	__vmb_ring_copy_from(r, start, &d, sizeof(d));
	vmb_compiler_barrier(); /* check the copy, never re-read shared memory */
	ret = __vmb_ring_check_desc(r, &d, avail);
	if (ret)
		return ret;
	p->type = d.type;
	p->flags = d.flags;
	p->trans_id = d.trans_id;
	p->start = start;
	p->len = (uint32_t)d.len8 * VMB_PKT_ALIGN;
	p->data_off = (uint32_t)d.offset8 * VMB_PKT_ALIGN;
	__vmb_ring_copy_from(r, __vmb_ring_wrap(r, (uint64_t)start + p->len), &trailer,
			     sizeof(trailer));
	if (VMB_TRAILER_START(trailer) != start)
		return __vmb_ring_fail(r, VMB_RING_ERR_TRAILER);
	data_start = __vmb_ring_wrap(r, (uint64_t)start + p->data_off);
	p->data = (uint64_t)start + p->len <= r->size ? r->data + data_start : NULL;
	return 0;
}

/* Payload length of a peeked packet (padding included). */
static inline uint32_t vmb_pkt_data_len(const struct vmb_pkt *p)
{
	return p->len - p->data_off;
}

/*
 * vmb_ring_pkt_copy() - copy @len bytes at @off from the packet's start
 * (descriptor included) into @dst. Returns 0, or -EINVAL when the bytes lie
 * outside the packet; nothing is read then.
 */
static inline int vmb_ring_pkt_copy(const struct vmb_ring *r, const struct vmb_pkt *p, uint32_t off,
				    void *dst, uint32_t len)
{
	if (off > p->len || len > p->len - off)
		return -EINVAL;
	__vmb_ring_copy_from(r, __vmb_ring_wrap(r, (uint64_t)p->start + off), dst, len);
	return 0;
}

/* Consume a peeked packet; its space returns to the producer at release. */
static inline void vmb_ring_advance(struct vmb_ring *r, const struct vmb_pkt *p)
{
	r->priv_index = __vmb_ring_wrap(r, (uint64_t)p->start + p->len + VMB_TRAILER_SIZE);
	r->stats.packets++;
	r->stats.bytes += p->len;
}

/*
 * The most packets @r can hold at once (each takes a descriptor and a
 * trailer). A loop that drains a ring the peer may keep refilling from
 * another CPU (a cyclic chain with write_index moved along) stops after
 * this many: it never spins on the peer's behalf.
 */
static inline uint32_t vmb_ring_max_pkts(const struct vmb_ring *r)
{
	return r->size / (uint32_t)(sizeof(struct vmb_pkt_desc) + VMB_TRAILER_SIZE);
}

/*
 * Has the producer published anything past our read position? A cheap look
 * for pollers (no barrier, nothing checked: vmb_ring_peek() validates what
 * it then reads).
 */
static inline bool vmb_ring_rx_pending(const struct vmb_ring *r)
{
	return vmb_read_once(r->hdr->write_index) != r->priv_index;
}

/*
 * vmb_ring_rx_release() - hand the space of consumed packets back to the
 * producer, and decide the batch's one signal.
 *
 * Returns true when the producer must be signalled: it asked for
 * pending_send_sz bytes, and this release is what made them free (free space
 * crossed the threshold). A release that leaves the space short, or that
 * finds it already sufficient before, stays silent.
 */
static inline bool vmb_ring_rx_release(struct vmb_ring *r)
{
	uint32_t old = r->pub_index, pending, w, before, now;

	if (r->error || old == r->priv_index)
		return false;
	/* Pairs with the acquire in __vmb_ring_reserve(): our reads of the
	 * packet bytes are done before the producer may overwrite them.
	 */
	vmb_store_release(&r->hdr->read_index, r->priv_index);
	r->pub_index = r->priv_index;
	/* Pairs with vmb_mb() in vmb_ring_tx_want_space(): either the producer
	 * sees our new read_index, or we see its pending_send_sz.
	 */
	vmb_mb();
	pending = vmb_read_once(r->hdr->pending_send_sz);
	if (!pending) {
		r->stats.signals_suppressed++;
		return false;
	}
	w = vmb_read_once(r->hdr->write_index);
	if (!__vmb_ring_index_ok(r, w)) {
		__vmb_ring_fail(r, VMB_RING_ERR_INDEX);
		return false;
	}
	now = r->size - __vmb_ring_dist(r, r->priv_index, w);
	before = r->size - __vmb_ring_dist(r, old, w);
	if (now > pending && before <= pending) {
		r->stats.signals_sent++;
		return true;
	}
	r->stats.signals_suppressed++;
	return false;
}

/* Draining: ask the producer not to signal (no barrier needed: at worst it
 * signals once more than necessary).
 */
static inline void vmb_ring_rx_mask(struct vmb_ring *r)
{
	vmb_write_once(r->hdr->interrupt_mask, 1);
}

/*
 * vmb_ring_rx_unmask() - re-enable signals after draining.
 *
 * Returns true when the caller must not sleep: packets arrived while
 * signals were masked (the producer may have decided not to signal: the
 * lost-wakeup re-check), or consumed space is not released yet (the
 * producer judges "empty" by the published read_index, so a consumer that
 * sleeps before releasing would never be signalled). Breakage also returns
 * true so that the caller's next peek reports it.
 */
static inline bool vmb_ring_rx_unmask(struct vmb_ring *r)
{
	vmb_write_once(r->hdr->interrupt_mask, 0);
	/* Pairs with vmb_mb() in vmb_ring_tx_publish(). */
	vmb_mb();
	if (r->error || r->pub_index != r->priv_index || __vmb_ring_peer_write(r))
		return true;
	return r->peer_cache != r->priv_index;
}

#endif /* VMBNET_VMB_RING_H */
