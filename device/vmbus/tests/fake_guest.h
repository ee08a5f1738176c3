/* SPDX-License-Identifier: MIT */
/*
 * A fake guest for host-side tests: guest RAM as a heap buffer at GPA
 * FAKE_RAM_BASE, the vmbnet_host_ops over it, and helpers that speak the
 * channel-message protocol the way a guest driver does.
 */
#ifndef VMBNET_FAKE_GUEST_H
#define VMBNET_FAKE_GUEST_H

#include <stdlib.h>
#include <string.h>

#include "vmb_test.h"
#include "vmbnet_host.h"

#define FAKE_RAM_BASE 0x100000ull
#ifndef FAKE_RAM_BYTES
#define FAKE_RAM_BYTES (8u << 20)
#endif

struct fake_guest {
	uint8_t *ram;
	unsigned int irqs[VMB_PCI_NUM_VECTORS]; /* notify() calls per vector */
	unsigned int maps; /* live mappings */
	unsigned int errors; /* guest_error() calls */
	const char *last_error;
	uint64_t next_page; /* bump allocator over ram, in bytes */
};

static void *fg_map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct fake_guest *g = opaque;

	if (gpa < FAKE_RAM_BASE || gpa - FAKE_RAM_BASE > FAKE_RAM_BYTES ||
	    len > FAKE_RAM_BYTES - (gpa - FAKE_RAM_BASE))
		return NULL;
	g->maps++;
	return g->ram + (gpa - FAKE_RAM_BASE);
}

static void fg_unmap(void *opaque, void *ptr, uint64_t len)
{
	struct fake_guest *g = opaque;

	VT_CHECK(g->maps > 0);
	g->maps--;
}

static bool fg_page_ok(void *opaque, uint64_t pfn)
{
	uint64_t gpa = pfn << VMB_PAGE_SHIFT;

	return pfn < (1ull << 40) && gpa >= FAKE_RAM_BASE && gpa < FAKE_RAM_BASE + FAKE_RAM_BYTES;
}

static void fg_notify(void *opaque, unsigned int vec)
{
	struct fake_guest *g = opaque;

	VT_CHECK(vec < VMB_PCI_NUM_VECTORS);
	g->irqs[vec]++;
}

static void fg_guest_error(void *opaque, const char *what)
{
	struct fake_guest *g = opaque;

	g->errors++;
	g->last_error = what;
}

static const struct vmbnet_host_ops fake_guest_ops = {
	.map = fg_map,
	.unmap = fg_unmap,
	.page_ok = fg_page_ok,
	.notify = fg_notify,
	.guest_error = fg_guest_error,
};

static inline void fg_init(struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->ram = aligned_alloc(VMB_PAGE_SIZE, FAKE_RAM_BYTES);
	VT_CHECK(g->ram);
	memset(g->ram, 0, FAKE_RAM_BYTES);
}

static inline void fg_fini(struct fake_guest *g)
{
	free(g->ram);
}

/* Allocate @pages contiguous guest pages; returns the first PFN. */
static inline uint64_t fg_alloc(struct fake_guest *g, uint32_t pages)
{
	uint64_t gpa = FAKE_RAM_BASE + g->next_page;

	g->next_page += (uint64_t)pages * VMB_PAGE_SIZE;
	VT_CHECK(g->next_page <= FAKE_RAM_BYTES);
	return gpa >> VMB_PAGE_SHIFT;
}

static inline void *fg_ptr(struct fake_guest *g, uint64_t pfn)
{
	return g->ram + ((pfn << VMB_PAGE_SHIFT) - FAKE_RAM_BASE);
}

/* Pop one host message; returns its type (0 when none) and copies it. */
static inline uint32_t fg_pop(struct vmbnet_host *h, void *buf)
{
	uint8_t tmp[VMB_MSG_MAX];
	uint32_t len = vmbnet_host_pop(h, tmp);
	struct vmb_msg_hdr hdr;

	if (!len)
		return 0;
	memcpy(&hdr, tmp, sizeof(hdr));
	if (buf)
		memcpy(buf, tmp, len);
	return hdr.msgtype;
}

static inline void fg_connect(struct vmbnet_host *h)
{
	struct vmb_msg_initiate_contact m = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
	};
	struct vmb_msg_version_response r;

	vmbnet_host_message(h, &m, sizeof(m));
	VT_EQ(fg_pop(h, &r), VMB_MSG_VERSION_RESPONSE);
	VT_EQ(r.version_supported, 1);
}

/* GPADL over @npages pfns starting at @pfn, split over header + bodies
 * with at most @per_msg pfns per message. Returns GPADL_CREATED's status.
 */
static inline int32_t fg_gpadl(struct vmbnet_host *h, uint32_t relid, uint32_t id,
			       const uint64_t *pfns, uint32_t npages, uint32_t per_msg)
{
	uint8_t msg[VMB_MSG_MAX];
	struct vmb_msg_gpadl_header hdr = {
		.hdr.msgtype = VMB_MSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_count = 1,
		.range_buflen = (uint16_t)(sizeof(struct vmb_gpa_range) + 8 * npages),
	};
	struct vmb_gpa_range r = { .byte_count = npages * VMB_PAGE_SIZE };
	struct vmb_msg_gpadl_created c;
	uint32_t sent = npages < per_msg ? npages : per_msg, n;

	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), &r, sizeof(r));
	memcpy(msg + sizeof(hdr) + sizeof(r), pfns, 8 * sent);
	vmbnet_host_message(h, msg, sizeof(hdr) + sizeof(r) + 8 * sent);
	for (uint32_t body = 0; sent < npages; body++, sent += n) {
		struct vmb_msg_gpadl_body b = {
			.hdr.msgtype = VMB_MSG_GPADL_BODY,
			.msgnumber = body,
			.gpadl = id,
		};

		n = npages - sent < per_msg ? npages - sent : per_msg;
		memcpy(msg, &b, sizeof(b));
		memcpy(msg + sizeof(b), pfns + sent, 8 * n);
		vmbnet_host_message(h, msg, sizeof(b) + 8 * n);
	}
	VT_EQ(fg_pop(h, &c), VMB_MSG_GPADL_CREATED);
	VT_EQ(c.gpadl, id);
	VT_EQ(c.child_relid, relid);
	return (int32_t)c.creation_status;
}

/* GPADL over contiguous pages starting at @pfn0. */
static inline int32_t fg_gpadl_contig(struct vmbnet_host *h, uint32_t relid, uint32_t id,
				      uint64_t pfn0, uint32_t npages)
{
	uint64_t *pfns = calloc(npages, sizeof(*pfns));
	int32_t st;

	for (uint32_t i = 0; i < npages; i++)
		pfns[i] = pfn0 + i;
	st = fg_gpadl(h, relid, id, pfns, npages, 100);
	free(pfns);
	return st;
}

/* Format both rings of a channel (as the guest does) and open it. */
static inline int32_t fg_open(struct vmbnet_host *h, struct fake_guest *g, uint32_t relid,
			      uint32_t gpadl, uint64_t pfn0, uint32_t up_pages, uint32_t down_pages)
{
	struct vmb_msg_open_channel m = {
		.hdr.msgtype = VMB_MSG_OPEN_CHANNEL,
		.child_relid = relid,
		.openid = relid,
		.ringbuffer_gpadl = gpadl,
		.downstream_ring_offset = up_pages,
	};
	struct vmb_msg_open_result r;

	/* Sizes a ring cannot have are for the host to refuse: skip those. */
	if (up_pages >= 2 && down_pages >= 2) {
		VT_EQ(vmb_ring_format(fg_ptr(g, pfn0), (uint64_t)up_pages * VMB_PAGE_SIZE), 0);
		VT_EQ(vmb_ring_format(fg_ptr(g, pfn0 + up_pages),
				      (uint64_t)down_pages * VMB_PAGE_SIZE),
		      0);
	}
	vmbnet_host_message(h, &m, sizeof(m));
	VT_EQ(fg_pop(h, &r), VMB_MSG_OPEN_RESULT);
	VT_EQ(r.child_relid, relid);
	VT_EQ(r.openid, relid);
	return (int32_t)r.status;
}

#endif /* VMBNET_FAKE_GUEST_H */
