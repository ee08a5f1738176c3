/* SPDX-License-Identifier: MIT */
/*
 * vmbnet wire formats: everything that lives in memory shared between the
 * guest and the host. Byte-compatible with Hyper-V VMBus (ring header page,
 * packet descriptor, trailer, GPA-direct and transfer-page packets,
 * completions, channel messages), so tools and knowledge carry over.
 *
 * All fields are little-endian; vmbnet runs on little-endian hosts only
 * (asserted below). No libc: this header builds in the kernel, QEMU, DPDK
 * and plain userspace.
 */
#ifndef VMBNET_VMB_WIRE_H
#define VMBNET_VMB_WIRE_H

#ifdef __KERNEL__
#include <linux/limits.h>
#include <linux/stddef.h>
#include <linux/types.h>
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#else
#include <stdint.h>
#include <stddef.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vmbnet wire formats are little-endian; big-endian hosts are not supported"
#endif

#define VMB_PAGE_SHIFT 12
#define VMB_PAGE_SIZE (1u << VMB_PAGE_SHIFT)
#define VMB_PKT_ALIGN 8 /* every packet and payload is padded to this */

/* ---- ring header page ------------------------------------------------- */

/* Bit of vmb_ring_hdr.feature_bits */
#define VMB_RING_FEAT_PENDING_SEND_SZ (1u << 0)

/*
 * One 4 KiB page in front of each ring's data area. The producer owns
 * write_index, the consumer owns read_index and interrupt_mask; the producer
 * writes pending_send_sz when it is blocked on space.
 */
struct vmb_ring_hdr {
	volatile uint32_t write_index; /* byte offset of the next write, 8-aligned */
	volatile uint32_t read_index; /* byte offset of the next read, 8-aligned */
	volatile uint32_t interrupt_mask; /* consumer: 1 = do not signal me */
	volatile uint32_t pending_send_sz; /* producer: signal when this much is free */
	uint32_t reserved1[12];
	volatile uint32_t feature_bits; /* VMB_RING_FEAT_* */
	uint8_t reserved2[VMB_PAGE_SIZE - 0x44];
};

_Static_assert(sizeof(struct vmb_ring_hdr) == VMB_PAGE_SIZE, "ring header is one page");
_Static_assert(offsetof(struct vmb_ring_hdr, write_index) == 0x00, "write_index");
_Static_assert(offsetof(struct vmb_ring_hdr, read_index) == 0x04, "read_index");
_Static_assert(offsetof(struct vmb_ring_hdr, interrupt_mask) == 0x08, "interrupt_mask");
_Static_assert(offsetof(struct vmb_ring_hdr, pending_send_sz) == 0x0c, "pending_send_sz");
_Static_assert(offsetof(struct vmb_ring_hdr, feature_bits) == 0x40, "feature_bits");

/* ---- packets ------------------------------------------------------------ */

enum vmb_pkt_type {
	VMB_PKT_DATA_INBAND = 0x6,
	VMB_PKT_DATA_XFER_PAGES = 0x7,
	VMB_PKT_DATA_GPA_DIRECT = 0x9,
	VMB_PKT_COMP = 0xb,
};

#define VMB_PKT_FLAG_COMPLETION_REQUESTED 0x1u
#define VMB_PKT_FLAGS_KNOWN VMB_PKT_FLAG_COMPLETION_REQUESTED

/*
 * Every packet starts with this descriptor. offset8 is where the payload
 * starts and len8 the packet length without the trailer, both in units of 8
 * bytes from the descriptor's start.
 */
struct vmb_pkt_desc {
	uint16_t type; /* enum vmb_pkt_type */
	uint16_t offset8; /* payload offset / 8 */
	uint16_t len8; /* packet length / 8, trailer excluded */
	uint16_t flags; /* VMB_PKT_FLAG_* */
	uint64_t trans_id; /* matches a COMP to its request; 0 is never used */
};

_Static_assert(sizeof(struct vmb_pkt_desc) == 16, "descriptor");
_Static_assert(offsetof(struct vmb_pkt_desc, offset8) == 2, "offset8");
_Static_assert(offsetof(struct vmb_pkt_desc, len8) == 4, "len8");
_Static_assert(offsetof(struct vmb_pkt_desc, flags) == 6, "flags");
_Static_assert(offsetof(struct vmb_pkt_desc, trans_id) == 8, "trans_id");

/* The u64 after every packet: its start offset in the high 32 bits. */
#define VMB_TRAILER_SIZE 8u
#define VMB_TRAILER(start) ((uint64_t)(start) << 32)
#define VMB_TRAILER_START(t) ((uint32_t)((t) >> 32))

/* Largest packet the 16-bit len8 can describe. */
#define VMB_PKT_MAX_LEN (0xffffu * VMB_PKT_ALIGN)

/*
 * GPA-direct (type 0x9): after the descriptor, a range count and the ranges.
 * Each range is {byte_count, byte_offset, pfn[]} with as many PFNs as the
 * range touches pages: the page-buffer encoding uses one PFN per range, the
 * multi-page encoding one range with many PFNs. Both parse the same way.
 */
struct vmb_gpa_direct_hdr {
	uint32_t reserved;
	uint32_t range_count;
};

struct vmb_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset; /* into the first page, < VMB_PAGE_SIZE */
	uint64_t pfn[]; /* VMB_GPA_RANGE_PFNS(byte_offset, byte_count) entries */
};

#define VMB_GPA_RANGE_PFNS(off, cnt) \
	((uint32_t)((((uint64_t)(off) + (cnt)) + VMB_PAGE_SIZE - 1) >> VMB_PAGE_SHIFT))
#define VMB_GPA_MAX_RANGES 64 /* per packet; more is a protocol error */
#define VMB_GPA_MAX_PFNS 256 /* per packet, all ranges together */
#define VMB_MAX_PFN ((1ull << 40) - 1) /* 52-bit guest physical addresses */

_Static_assert(sizeof(struct vmb_gpa_direct_hdr) == 8, "gpa direct header");
_Static_assert(sizeof(struct vmb_gpa_range) == 8, "gpa range head");
_Static_assert(offsetof(struct vmb_gpa_range, pfn) == 8, "gpa range pfn[]");

/* Transfer pages (type 0x7): ranges inside a registered transfer page set. */
struct vmb_xfer_page_hdr {
	uint16_t xfer_pageset_id;
	uint8_t sender_owns_set;
	uint8_t reserved;
	uint32_t range_count;
};

struct vmb_xfer_range {
	uint32_t byte_count;
	uint32_t byte_offset; /* into the transfer page set */
};

#define VMB_XFER_MAX_RANGES 64

_Static_assert(sizeof(struct vmb_xfer_page_hdr) == 8, "xfer page header");
_Static_assert(offsetof(struct vmb_xfer_page_hdr, range_count) == 4, "range_count");
_Static_assert(sizeof(struct vmb_xfer_range) == 8, "xfer range");

/* ---- channel messages (over the PCI message page) ----------------------- */

/*
 * Layouts follow Hyper-V's packed channel messages: sizes are the sums of
 * their fields (no tail padding), fields after a 16-bit pair may sit at
 * 4-byte offsets. Always copy a message out of the page before reading it.
 */

enum vmb_msg_type {
	VMB_MSG_OFFER_CHANNEL = 1,
	VMB_MSG_RESCIND_OFFER = 2,
	VMB_MSG_REQUEST_OFFERS = 3,
	VMB_MSG_ALL_OFFERS_DELIVERED = 4,
	VMB_MSG_OPEN_CHANNEL = 5,
	VMB_MSG_OPEN_RESULT = 6,
	VMB_MSG_CLOSE_CHANNEL = 7,
	VMB_MSG_GPADL_HEADER = 8,
	VMB_MSG_GPADL_BODY = 9,
	VMB_MSG_GPADL_CREATED = 10,
	VMB_MSG_GPADL_TEARDOWN = 11,
	VMB_MSG_GPADL_TORNDOWN = 12,
	VMB_MSG_INITIATE_CONTACT = 14,
	VMB_MSG_VERSION_RESPONSE = 15,
	VMB_MSG_UNLOAD = 16,
	VMB_MSG_UNLOAD_RESPONSE = 17,
};

/* Protocol version carried by INITIATE_CONTACT: major << 16 | minor. */
#define VMB_PROTO_VERSION_1_0 0x00010000u

struct vmb_msg_hdr {
	uint32_t msgtype; /* enum vmb_msg_type */
	uint32_t padding;
};

struct vmb_guid {
	uint8_t b[16];
};

struct vmb_msg_initiate_contact {
	struct vmb_msg_hdr hdr;
	uint32_t version_requested;
	uint32_t target_vcpu; /* ignored: vectors are per channel */
	uint32_t flags; /* VMB_CONTACT_* */
	uint32_t reserved0;
	uint64_t reserved[2];
};

/*
 * INITIATE_CONTACT flags. SUBCHANNELS_ON_REQUEST: Hyper-V's offer model, for
 * the kernel's own Hyper-V drivers: REQUEST_OFFERS offers the primary
 * channel only; NVSP's subchannel request (133) on it makes the host offer
 * that many more, with the primary's instance GUID; closing the primary
 * rescinds them. Without it every channel is offered at once (vmbnet.ko).
 */
#define VMB_CONTACT_SUBCHANNELS_ON_REQUEST (1u << 0)

struct vmb_msg_version_response {
	struct vmb_msg_hdr hdr;
	uint8_t version_supported; /* 1 = accepted */
	uint8_t connection_state; /* 0 = ok */
	uint16_t reserved;
	uint32_t msg_conn_id;
};

struct vmb_msg_offer {
	struct vmb_msg_hdr hdr;
	struct vmb_guid if_type; /* class of device (netvsc's GUID for the NIC) */
	struct vmb_guid if_instance;
	uint32_t reserved1[4];
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	uint8_t user_def[120];
	uint16_t sub_channel_index;
	uint16_t reserved2;
	uint32_t child_relid; /* channel id used by every later message */
	uint8_t monitorid;
	uint8_t monitor_allocated;
	uint16_t is_dedicated_interrupt;
	uint32_t connection_id; /* = doorbell index on vmbnet-pci */
};

struct vmb_msg_rescind_offer {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
};

struct vmb_msg_gpadl_header {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl; /* guest-chosen handle, non-zero */
	uint16_t range_buflen; /* bytes of range data in total (header + bodies) */
	uint16_t range_count; /* must be 1 */
	/* then struct vmb_gpa_range with its pfns, continued by GPADL_BODY */
};

struct vmb_msg_gpadl_body {
	struct vmb_msg_hdr hdr;
	uint32_t msgnumber;
	uint32_t gpadl;
	/* then more pfns */
};

struct vmb_msg_gpadl_created {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
	uint32_t creation_status; /* 0 = ok, else negative errno */
};

struct vmb_msg_gpadl_teardown {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
};

struct vmb_msg_gpadl_torndown {
	struct vmb_msg_hdr hdr;
	uint32_t gpadl;
};

struct vmb_msg_open_channel {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t ringbuffer_gpadl; /* guest->host ring first, then host->guest */
	uint32_t target_vp;
	uint32_t downstream_ring_offset; /* page offset of the host->guest ring */
	uint8_t user_data[120];
};

struct vmb_msg_open_result {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t status; /* 0 = ok, else negative errno */
};

struct vmb_msg_close_channel {
	struct vmb_msg_hdr hdr;
	uint32_t child_relid;
};

_Static_assert(sizeof(struct vmb_msg_hdr) == 8, "msg header");
_Static_assert(sizeof(struct vmb_guid) == 16, "guid");
_Static_assert(sizeof(struct vmb_msg_initiate_contact) == 40, "initiate contact");
_Static_assert(sizeof(struct vmb_msg_version_response) == 16, "version response");
_Static_assert(offsetof(struct vmb_msg_offer, if_type) == 8, "offer if_type");
_Static_assert(offsetof(struct vmb_msg_offer, user_def) == 60, "offer user_def");
_Static_assert(offsetof(struct vmb_msg_offer, child_relid) == 184, "offer child_relid");
_Static_assert(sizeof(struct vmb_msg_offer) == 196, "offer");
_Static_assert(sizeof(struct vmb_msg_rescind_offer) == 12, "rescind");
_Static_assert(sizeof(struct vmb_msg_gpadl_header) == 20, "gpadl header");
_Static_assert(offsetof(struct vmb_msg_gpadl_header, range_buflen) == 16, "range_buflen");
_Static_assert(sizeof(struct vmb_msg_gpadl_body) == 16, "gpadl body");
_Static_assert(sizeof(struct vmb_msg_gpadl_created) == 20, "gpadl created");
_Static_assert(sizeof(struct vmb_msg_gpadl_teardown) == 16, "gpadl teardown");
_Static_assert(sizeof(struct vmb_msg_gpadl_torndown) == 12, "gpadl torndown");
_Static_assert(offsetof(struct vmb_msg_open_channel, user_data) == 28, "open user_data");
_Static_assert(sizeof(struct vmb_msg_open_channel) == 148, "open channel");
_Static_assert(sizeof(struct vmb_msg_open_result) == 20, "open result");
_Static_assert(sizeof(struct vmb_msg_close_channel) == 12, "close channel");

#endif /* VMBNET_VMB_WIRE_H */
