// SPDX-License-Identifier: MIT
/*
 * vmbnet ring: the cold paths. Set-up, signal bookkeeping, snapshots and the
 * extension-header parsers. No allocation and no libc here either.
 */
#include "vmbnet/vmb_ring.h"

/* A header page plus a data area whose offsets fit in 32 bits. */
static bool vmb_ring_len_ok(uint64_t len)
{
	return len >= VMB_RING_MIN_BYTES && !(len % VMB_PAGE_SIZE) &&
	       len - VMB_PAGE_SIZE <= UINT32_MAX - VMB_PAGE_SIZE;
}

int vmb_ring_format(void *mem, uint64_t len)
{
	struct vmb_ring_hdr *hdr = mem;

	if (!mem || !vmb_ring_len_ok(len))
		return -EINVAL;
	__builtin_memset(hdr, 0, sizeof(*hdr));
	hdr->feature_bits = VMB_RING_FEAT_PENDING_SEND_SZ;
	return 0;
}

static int vmb_ring_attach(struct vmb_ring *r, void *mem, uint64_t len, bool producer)
{
	if (!r || !mem || !vmb_ring_len_ok(len))
		return -EINVAL;
	__builtin_memset(r, 0, sizeof(*r));
	r->hdr = mem;
	r->data = (uint8_t *)mem + VMB_PAGE_SIZE;
	r->size = (uint32_t)(len - VMB_PAGE_SIZE);
	if (vmb_ring_resync(r, !producer))
		return __vmb_ring_fail(r, VMB_RING_ERR_INDEX);
	return 0;
}

int vmb_ring_attach_producer(struct vmb_ring *r, void *mem, uint64_t len)
{
	return vmb_ring_attach(r, mem, len, true);
}

int vmb_ring_attach_consumer(struct vmb_ring *r, void *mem, uint64_t len)
{
	return vmb_ring_attach(r, mem, len, false);
}

int vmb_ring_rebind(struct vmb_ring *r, void *mem, uint64_t len)
{
	if (!r || !mem || !vmb_ring_len_ok(len))
		return -EINVAL;
	r->hdr = mem;
	r->data = (uint8_t *)mem + VMB_PAGE_SIZE;
	if (r->size != len - VMB_PAGE_SIZE) {
		r->size = (uint32_t)(len - VMB_PAGE_SIZE);
		return __vmb_ring_fail(r, VMB_RING_ERR_INDEX);
	}
	if (!__vmb_ring_index_ok(r, r->priv_index) || !__vmb_ring_index_ok(r, r->pub_index) ||
	    !__vmb_ring_index_ok(r, r->peer_cache))
		return __vmb_ring_fail(r, VMB_RING_ERR_INDEX);
	return 0;
}

int vmb_ring_seek(struct vmb_ring *r, uint32_t idx, bool consumer)
{
	if (!__vmb_ring_index_ok(r, idx))
		return -EIO;
	if (consumer && r->pub_index != idx) {
		r->priv_index = idx;
		vmb_ring_rx_release(r); /* publishes read_index = idx */
	}
	r->priv_index = idx;
	r->pub_index = idx;
	return 0;
}

int vmb_ring_resync(struct vmb_ring *r, bool consumer)
{
	/* Copy both indices out once, then check them. */
	uint32_t own = vmb_load_acquire(consumer ? &r->hdr->read_index : &r->hdr->write_index);
	uint32_t peer = vmb_load_acquire(consumer ? &r->hdr->write_index : &r->hdr->read_index);

	if (!__vmb_ring_index_ok(r, own) || !__vmb_ring_index_ok(r, peer))
		return -EIO;
	r->priv_index = own;
	r->pub_index = own;
	r->peer_cache = peer;
	return 0;
}

const char *vmb_ring_error_name(uint32_t error)
{
	static const char *const names[VMB_RING_ERR__COUNT] = {
		[VMB_RING_OK] = "ok",
		[VMB_RING_ERR_INDEX] = "bad index",
		[VMB_RING_ERR_SHORT] = "short packet",
		[VMB_RING_ERR_TYPE] = "unknown packet type",
		[VMB_RING_ERR_FLAGS] = "unknown packet flags",
		[VMB_RING_ERR_LENGTH] = "bad offset8/len8",
		[VMB_RING_ERR_TRAILER] = "bad trailer",
		[VMB_RING_ERR_RANGE] = "bad range",
		[VMB_RING_ERR_PFN] = "pfn outside registered memory",
	};

	return error < VMB_RING_ERR__COUNT ? names[error] : "unknown";
}

void vmb_ring_snapshot(const struct vmb_ring *r, struct vmb_ring_state *st)
{
	st->size = r->size;
	st->priv_index = r->priv_index;
	st->pub_index = r->pub_index;
	st->peer_cache = r->peer_cache;
	st->error = r->error;
	st->write_index = vmb_read_once(r->hdr->write_index);
	st->read_index = vmb_read_once(r->hdr->read_index);
	st->interrupt_mask = vmb_read_once(r->hdr->interrupt_mask);
	st->pending_send_sz = vmb_read_once(r->hdr->pending_send_sz);
	st->feature_bits = vmb_read_once(r->hdr->feature_bits);
	st->bytes_used = (st->write_index < r->size && st->read_index < r->size) ?
				 __vmb_ring_dist(r, st->read_index, st->write_index) :
				 0;
	st->stats = r->stats;
}

/*
 * vmb_ring_tx_want_space() - the producer could not write @need bytes (as
 * vmb_ring_write() computed them: packet plus trailer) and will wait.
 *
 * Sets pending_send_sz so that the consumer signals when its releases make
 * @need bytes free, then re-checks: space freed between the failed write and
 * now would otherwise never be signalled. Returns 0 when the space is already
 * there (pending_send_sz cleared, write again), -EAGAIN to wait for the
 * signal, -EINVAL when @need can never fit, -EOPNOTSUPP when the ring lacks
 * the feature (poll instead), -EIO when broken.
 */
int vmb_ring_tx_want_space(struct vmb_ring *r, uint32_t need)
{
	uint32_t read;

	if (r->error)
		return -EIO;
	/* The consumer measures free space from the published write_index. */
	if (need >= r->size || r->pub_index != r->priv_index)
		return -EINVAL;
	if (!(vmb_read_once(r->hdr->feature_bits) & VMB_RING_FEAT_PENDING_SEND_SZ))
		return -EOPNOTSUPP;
	vmb_write_once(r->hdr->pending_send_sz, need);
	/* Pairs with vmb_mb() in vmb_ring_rx_release(). */
	vmb_mb();
	read = vmb_load_acquire(&r->hdr->read_index);
	if (!__vmb_ring_index_ok(r, read))
		return __vmb_ring_fail(r, VMB_RING_ERR_INDEX);
	r->peer_cache = read;
	if (__vmb_ring_free(r, read) > need) {
		vmb_write_once(r->hdr->pending_send_sz, 0);
		return 0;
	}
	return -EAGAIN;
}

void vmb_ring_tx_signal_received(struct vmb_ring *r)
{
	/* A space signal is due only while we wait for space. */
	if (!vmb_read_once(r->hdr->pending_send_sz))
		r->stats.signals_spurious++;
	vmb_write_once(r->hdr->pending_send_sz, 0);
}

void vmb_ring_rx_signal_received(struct vmb_ring *r)
{
	uint32_t w = vmb_read_once(r->hdr->write_index);

	/* A data signal is due only if we asked for signals and data is there. */
	if (vmb_read_once(r->hdr->interrupt_mask) || w == r->priv_index)
		r->stats.signals_spurious++;
}

/* Copy out @len bytes at @*off of the packet, advancing @*off; -EIO past @end. */
static int vmb_ext_read(struct vmb_ring *r, const struct vmb_pkt *p, uint32_t *off, uint32_t end,
			void *dst, uint32_t len)
{
	if (len > end - *off || vmb_ring_pkt_copy(r, p, *off, dst, len))
		return __vmb_ring_fail(r, VMB_RING_ERR_RANGE);
	vmb_compiler_barrier(); /* check the copy, never re-read shared memory */
	*off += len;
	return 0;
}

static bool vmb_page_registered(const struct vmb_mem_region *mem, unsigned int nmem, uint64_t pfn)
{
	uint64_t gpa = pfn << VMB_PAGE_SHIFT;
	unsigned int i;

	for (i = 0; i < nmem; i++)
		if (gpa >= mem[i].gpa && gpa - mem[i].gpa < mem[i].size &&
		    mem[i].size - (gpa - mem[i].gpa) >= VMB_PAGE_SIZE)
			return true;
	return false;
}

/* Flatten one range whose head is @rg into @segs; returns pieces or error. */
static int vmb_gpa_range(struct vmb_ring *r, const struct vmb_pkt *p, uint32_t *off,
			 const struct vmb_gpa_range *rg, const struct vmb_mem_region *mem,
			 unsigned int nmem, struct vmb_gpa_seg *segs, unsigned int room,
			 unsigned int done)
{
	uint32_t npfn, left = rg->byte_count, page_off = rg->byte_offset, i;
	uint64_t pfn;

	if (!rg->byte_count || rg->byte_offset >= VMB_PAGE_SIZE)
		return __vmb_ring_fail(r, VMB_RING_ERR_RANGE);
	npfn = VMB_GPA_RANGE_PFNS(rg->byte_offset, rg->byte_count);
	if (npfn > VMB_GPA_MAX_PFNS - done) /* the cap is per packet */
		return __vmb_ring_fail(r, VMB_RING_ERR_RANGE);
	if (npfn > room)
		return -ENOSPC;
	for (i = 0; i < npfn; i++) {
		uint32_t chunk = VMB_PAGE_SIZE - page_off;

		if (vmb_ext_read(r, p, off, p->data_off, &pfn, sizeof(pfn)))
			return -EIO;
		if (pfn > VMB_MAX_PFN || (nmem && !vmb_page_registered(mem, nmem, pfn)))
			return __vmb_ring_fail(r, VMB_RING_ERR_PFN);
		segs[i].gpa = (pfn << VMB_PAGE_SHIFT) + page_off;
		segs[i].len = left < chunk ? left : chunk;
		left -= segs[i].len;
		page_off = 0;
	}
	return (int)npfn;
}

int vmb_gpa_parse(struct vmb_ring *r, const struct vmb_pkt *p, const struct vmb_mem_region *mem,
		  unsigned int nmem, struct vmb_gpa_seg *segs, unsigned int max_segs)
{
	struct vmb_gpa_direct_hdr h;
	struct vmb_gpa_range rg;
	uint32_t off = sizeof(struct vmb_pkt_desc), i;
	unsigned int n = 0;
	int ret;

	if (r->error)
		return -EIO;
	if (p->type != VMB_PKT_DATA_GPA_DIRECT)
		return -EINVAL;
	if (vmb_ext_read(r, p, &off, p->data_off, &h, sizeof(h)))
		return -EIO;
	if (!h.range_count || h.range_count > VMB_GPA_MAX_RANGES)
		return __vmb_ring_fail(r, VMB_RING_ERR_RANGE);
	for (i = 0; i < h.range_count; i++) {
		if (vmb_ext_read(r, p, &off, p->data_off, &rg, sizeof(rg)))
			return -EIO;
		ret = vmb_gpa_range(r, p, &off, &rg, mem, nmem, segs + n, max_segs - n, n);
		if (ret < 0)
			return ret;
		n += (unsigned int)ret;
	}
	return (int)n;
}

int vmb_xfer_parse(struct vmb_ring *r, const struct vmb_pkt *p, uint32_t set_size,
		   struct vmb_xfer_page_hdr *hdr, struct vmb_xfer_range *ranges,
		   unsigned int max_ranges)
{
	uint32_t off = sizeof(struct vmb_pkt_desc), i;

	if (r->error)
		return -EIO;
	if (p->type != VMB_PKT_DATA_XFER_PAGES)
		return -EINVAL;
	if (vmb_ext_read(r, p, &off, p->data_off, hdr, sizeof(*hdr)))
		return -EIO;
	if (!hdr->range_count || hdr->range_count > VMB_XFER_MAX_RANGES)
		return __vmb_ring_fail(r, VMB_RING_ERR_RANGE);
	if (hdr->range_count > max_ranges)
		return -ENOSPC;
	for (i = 0; i < hdr->range_count; i++) {
		if (vmb_ext_read(r, p, &off, p->data_off, &ranges[i], sizeof(ranges[i])))
			return -EIO;
		if (!ranges[i].byte_count || ranges[i].byte_offset > set_size ||
		    ranges[i].byte_count > set_size - ranges[i].byte_offset)
			return __vmb_ring_fail(r, VMB_RING_ERR_RANGE);
	}
	return (int)hdr->range_count;
}
