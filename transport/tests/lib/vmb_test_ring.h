/* SPDX-License-Identifier: MIT */
/* A ring in heap memory with both endpoints attached, for tests. */
#ifndef VMBNET_VMB_TEST_RING_H
#define VMBNET_VMB_TEST_RING_H

#include <stdlib.h>
#include <string.h>

#include "vmb_test.h"
#include "vmbnet/vmb_ring.h"

struct vt_ring {
	void *mem;
	uint64_t len;
	struct vmb_ring tx; /* producer view */
	struct vmb_ring rx; /* consumer view */
};

/* @data_bytes: size of the data area, a multiple of the page size. */
static inline void vt_ring_init(struct vt_ring *t, uint32_t data_bytes)
{
	t->len = VMB_PAGE_SIZE + (uint64_t)data_bytes;
	t->mem = aligned_alloc(VMB_PAGE_SIZE, t->len);
	VT_CHECK(t->mem);
	memset(t->mem, 0xa5, t->len); /* stale bytes must never matter */
	VT_EQ(vmb_ring_format(t->mem, t->len), 0);
	VT_EQ(vmb_ring_attach_producer(&t->tx, t->mem, t->len), 0);
	VT_EQ(vmb_ring_attach_consumer(&t->rx, t->mem, t->len), 0);
}

static inline void vt_ring_fini(struct vt_ring *t)
{
	free(t->mem);
}

static inline struct vmb_ring_hdr *vt_hdr(struct vt_ring *t)
{
	return t->mem;
}

#endif /* VMBNET_VMB_TEST_RING_H */
