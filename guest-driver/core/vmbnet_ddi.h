/* SPDX-License-Identifier: MIT */
/*
 * vmbnet DDI core: the send / inject / complete cycle of the Windows DDIs in
 * ../shared/seeds, OS-neutral, on a vmbnet channel. Builds unchanged in the
 * Linux module and in userspace (host tests, benchmarks).
 *
 * Layers, each on the one below:
 *  1. VMBus packets with external data (VmbPacketSendWithExternalMdl): an
 *     inline buffer plus an MDL chain, sent as a GPA-direct packet; the
 *     packet object and everything it references stay held until the
 *     completion comes back.
 *  2. NET_BUFFER_LIST sends: an RNDIS PACKET built from the NBL (per-packet
 *     info -> RNDIS ppi), the frame by reference; the host echoes the ppi in
 *     the completion and the core writes it back into the NBL.
 *  3. Send completion by handle (DOT11EXTIHV_SEND_PACKET_COMPLETION), and
 *     transport-layer injection (FwpsInjectTransportSendAsync1 with its
 *     FWPS_INJECT_COMPLETE0 callback, injection handles and states).
 *  4. An intermediate driver that clones NBLs downward and copies per-packet
 *     info back up on completion (NdisIMCopySendCompletePerPacketInfo).
 *
 * The structs carry the WDK field names (Next, ByteCount, Status, ...), so
 * vmbnet_wdk.h can map the WDK types onto them one to one. Status values
 * are NTSTATUS (int32_t) at this level, as in the DDIs.
 */
#ifndef VMBNET_DDI_H
#define VMBNET_DDI_H

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet/vmb_ring.h"

#ifndef __KERNEL__
#include <stddef.h>
#include <stdint.h>
#endif

/* ---- status codes (NTSTATUS values) ------------------------------------ */
#define VMBNET_STATUS_SUCCESS ((int32_t)0x00000000)
#define VMBNET_STATUS_PENDING ((int32_t)0x00000103)
#define VMBNET_STATUS_UNSUCCESSFUL ((int32_t)0xC0000001)
#define VMBNET_STATUS_INVALID_PARAMETER ((int32_t)0xC000000D)
#define VMBNET_STATUS_INSUFFICIENT_RESOURCES ((int32_t)0xC000009A)
#define VMBNET_STATUS_CANCELLED ((int32_t)0xC0000120)
#define VMBNET_STATUS_DEVICE_BUSY ((int32_t)0x80000011)
#define VMBNET_STATUS_FWP_TCPIP_NOT_READY ((int32_t)0xC0220100)
#define VMBNET_STATUS_FWP_INJECT_HANDLE_CLOSING ((int32_t)0xC0220101)

/* VmbPacketSendWithExternalMdl flags (vmbnet's values). */
#define VMBNET_FLAG_WAIT_FOR_COMPLETION 0x1u
#define VMBNET_FLAG_FORCE_MDL_LENGTH 0x2u
#define VMBNET_FLAG_PAGED_BUFFER 0x4u
#define VMBNET_FLAGS_KNOWN 0x7u

#define VMBNET_INLINE_MAX 128 /* inline buffer bytes per packet */
#define VMBNET_EXT_MAX_RANGES 16
#define VMBNET_EXT_MAX_PFNS 40 /* all ranges of one packet */
#define VMBNET_HDR_BYTES 256 /* per-packet buffer: RNDIS header + ppi + L2/L3 */
/* trans_ids of the core: base + (generation << 20) + slot. The generation
 * changes with every send, so a completion the host repeats after the slot
 * went to a new packet is refused instead of completing the new one.
 */
#define VMBNET_TID_DDI (2ull << 40)
#define VMBNET_TID_SLOT_BITS 20
#define VMBNET_TID_GEN_MASK 0xfffu /* 32 - VMBNET_TID_SLOT_BITS bits */
#define VMBNET_MAX_INJECT_HANDLES 31

/* ---- the data model ------------------------------------------------------ */

/* MDL: a virtually contiguous buffer and the pages behind it. */
struct vmbnet_mdl {
	struct vmbnet_mdl *Next;
	void *StartVa; /* page-aligned start of the first page */
	uint32_t ByteOffset; /* data start within the first page */
	uint32_t ByteCount; /* bytes described */
	const uint64_t *Pfns; /* one PFN per page from StartVa */
	uint32_t PfnCount;
};

/* NET_BUFFER: a frame inside an MDL chain. */
struct vmbnet_nb {
	struct vmbnet_nb *Next;
	struct vmbnet_mdl *MdlChain;
	uint32_t DataOffset; /* into the MDL chain */
	uint32_t DataLength;
};

/* NET_BUFFER_LIST info slots carried as RNDIS per-packet info. */
enum vmbnet_nbl_info {
	VMBNET_INFO_CHECKSUM, /* TcpIpChecksumNetBufferListInfo -> ppi 0 */
	VMBNET_INFO_IPSEC, /* IPsecOffloadV1NetBufferListInfo -> ppi 1 */
	VMBNET_INFO_LSO, /* TcpLargeSendNetBufferListInfo -> ppi 2 */
	VMBNET_INFO_8021Q, /* Ieee8021QNetBufferListInfo -> ppi 6 */
	VMBNET_INFO_MAX
};

struct vmbnet_nbl {
	struct vmbnet_nbl *Next;
	struct vmbnet_nb *FirstNetBuffer;
	int32_t Status; /* NTSTATUS, set at completion */
	void *NetBufferListInfo[VMBNET_INFO_MAX]; /* values, as in NDIS */
	void *SourceHandle;
	/* injection bookkeeping (FWPS) */
	uint32_t inj_by; /* bit n: injection handle n injected it */
	uint8_t inj_last; /* handle id of the last injection, 0 = none */
	void *inj_ctx; /* injectionContext of the last injection */
};

#define VMBNET_NBL_INFO(nbl, id) ((nbl)->NetBufferListInfo[(id)])

/* ---- what the OS layer provides ------------------------------------------ */

struct vmbnet_core_port {
	/* Write one packet to the channel and publish it (signal per the ring
	 * rules). 0, -EAGAIN (ring full: the core queues and retries at
	 * vmbnet_core_kick()), -ENOTCONN (channel not open).
	 */
	int (*send)(void *opaque, uint16_t type, uint16_t flags, uint64_t trans_id, const void *ext,
		    uint32_t ext_len, const struct vmb_sg *sg, unsigned int nsg, bool more);
	/* Publish what was sent with @more set (one signal decision). */
	void (*flush)(void *opaque);
	bool (*ready)(void *opaque); /* link up and channel open */
	bool (*in_atomic)(void *opaque); /* completing at dispatch level? */
	void *(*alloc)(void *opaque, size_t len); /* zeroed, may sleep */
	void (*free)(void *opaque, void *p);
	/* DMA-able memory for per-packet headers: @len bytes, page-aligned,
	 * physically contiguous; its first PFN in *pfn.
	 */
	void *(*dma_alloc)(void *opaque, size_t len, uint64_t *pfn);
	void (*dma_free)(void *opaque, void *p, size_t len, uint64_t pfn);
	void (*lock)(void *opaque); /* protects the core's tables, any context */
	void (*unlock)(void *opaque);
	/* Block until @done(arg) is true (completions keep arriving meanwhile). */
	void (*wait)(void *opaque, bool (*done)(void *arg), void *arg);
	uint64_t (*now_ns)(void *opaque);
	/* L2 addresses for injected packets. */
	void (*macs)(void *opaque, uint8_t src[6], uint8_t dst[6]);
	/* Describe @len bytes at @va (DMA-able memory) as an MDL with its
	 * PFNs in @pfns (room for @max). 0 or -EINVAL.
	 */
	int (*describe)(void *opaque, void *va, uint32_t len, struct vmbnet_mdl *mdl,
			uint64_t *pfns, uint32_t max);
};

/* ---- layer 1: packets with external data --------------------------------- */

struct vmbnet_core;
struct vmbnet_vmbpacket;

typedef void (*vmbnet_packet_done_fn)(struct vmbnet_vmbpacket *pkt, int32_t status,
				      const void *payload, uint32_t len);

enum vmbnet_pkt_state { VMBNET_PKT_FREE, VMBNET_PKT_IDLE, VMBNET_PKT_QUEUED, VMBNET_PKT_SENT };

struct vmbnet_vmbpacket {
	struct vmbnet_core *core;
	uint32_t slot;
	uint32_t gen; /* of the send in flight: its trans_id's upper bits */
	enum vmbnet_pkt_state state;
	vmbnet_packet_done_fn done;
	void *ctx; /* the owner's */
	uint8_t inline_buf[VMBNET_INLINE_MAX];
	uint32_t inline_len;
	uint8_t ext[sizeof(struct vmb_gpa_direct_hdr) +
		    VMBNET_EXT_MAX_RANGES * sizeof(struct vmb_gpa_range) +
		    VMBNET_EXT_MAX_PFNS * sizeof(uint64_t)];
	uint32_t ext_len;
	uint8_t *hdr; /* VMBNET_HDR_BYTES of DMA memory for layer 2 */
	uint64_t hdr_pfn;
	uint64_t sent_ns; /* for completion latency */
	uint32_t next_queued; /* FIFO link, slot + 1; 0 = end */
	/* layer 2 */
	struct vmbnet_nbl *nbl;
	void (*nbl_done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status);
	void *nbl_ctx;
};

struct vmbnet_core_stats {
	uint64_t sent, completed, failed, queued, rejected, unknown_completions;
	uint64_t latency_ns_sum;
};

struct vmbnet_core {
	const struct vmbnet_core_port *port;
	void *opaque;
	uint32_t nslots;
	struct vmbnet_vmbpacket *pkts;
	uint8_t *hdr_area;
	uint64_t hdr_pfn0;
	uint32_t free_head; /* free list through next_queued, slot + 1 */
	uint32_t queue_head, queue_tail; /* ring-full FIFO, slot + 1 */
	uint32_t in_use;
	struct vmbnet_core_stats stats;
	uint32_t batch; /* > 0: inside vmbnet_core_batch_begin/end */
	/* optional observer of every completion, for latency histograms */
	void (*on_complete)(void *arg, uint64_t latency_ns, int32_t status);
	void *on_complete_arg;
	/* layer 3 */
	void (*dot11_completion)(void *arg, void *hSendCompletion);
	void *dot11_arg;
	struct vmbnet_inject_handle *inject[VMBNET_MAX_INJECT_HANDLES + 1];
};

int vmbnet_core_init(struct vmbnet_core *c, const struct vmbnet_core_port *port, void *opaque,
		     uint32_t nslots);
void vmbnet_core_fini(struct vmbnet_core *c);

/*
 * An MDL over @len bytes at @va in physically contiguous memory whose page
 * holding @va is frame @pfn0: the ports of memory pools use it. 0, or
 * -EINVAL when more than @max pfns are needed.
 */
int vmbnet_mdl_contig(struct vmbnet_mdl *m, void *va, uint32_t len, uint64_t pfn0, uint64_t *pfns,
		      uint32_t max);

/* VmbPacketAllocate / VmbPacketFree. NULL when every slot is busy. */
struct vmbnet_vmbpacket *vmbnet_packet_alloc(struct vmbnet_core *c, vmbnet_packet_done_fn done,
					     void *ctx);
void vmbnet_packet_free(struct vmbnet_vmbpacket *pkt);

/*
 * vmbnet_packet_send_ext_mdl() - VmbPacketSendWithExternalMdl.
 * @buf/@len: inline buffer (copied before return; PAGED_BUFFER callers may
 *            reuse it at once, the others too).
 * @mdl/@mdl_offset/@mdl_length: external data; length 0 = to the chain's end.
 * @flags: WAIT_FOR_COMPLETION is required. FORCE_MDL_LENGTH uses only the
 *         first MDL and lets @mdl_length pass its ByteCount up to the end of
 *         its last page.
 * Returns STATUS_SUCCESS (the done callback runs exactly once, later; the
 * MDLs must stay valid until then), or an error status (nothing was sent,
 * the callback never runs, the caller still owns everything).
 */
int32_t vmbnet_packet_send_ext_mdl(struct vmbnet_vmbpacket *pkt, const void *buf, uint32_t len,
				   const struct vmbnet_mdl *mdl, uint32_t mdl_offset,
				   uint32_t mdl_length, uint32_t flags);

/* The OS layer's completion path: is @trans_id one of ours? Deliver it. */
static inline bool vmbnet_core_owns(uint64_t trans_id)
{
	return trans_id >= VMBNET_TID_DDI && trans_id < VMBNET_TID_DDI + (1ull << 32);
}
void vmbnet_core_complete(struct vmbnet_core *c, uint64_t trans_id, const void *payload,
			  uint32_t len);

/* One completion as the OS layer read it from the ring, for a batch. */
struct vmbnet_comp {
	uint64_t trans_id;
	uint32_t len;
	const uint8_t *data; /* the payload: NULL for @payload, or the caller's */
	uint8_t payload[NVSP_ECHO_MAX];
	/* vmbnet_core_complete_batch()'s own */
	struct vmbnet_vmbpacket *pkt; /* NULL: not outstanding, refused */
	int32_t status;
	uint64_t latency_ns;
	struct vmbnet_nbl *nbl; /* an NBL send's: its slot is already free */
	void (*nbl_done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status);
	void *nbl_ctx;
};

#define VMBNET_COMP_BATCH 16 /* completions an OS layer hands over at once */

/*
 * vmbnet_core_complete_batch() - vmbnet_core_complete() for @n (at most
 * VMBNET_COMP_BATCH) completions read in one pass over the ring: one
 * lock and one timestamp for all of them, NBL sends' slots freed under
 * that lock, then every callback, in ring order, outside it.
 */
void vmbnet_core_complete_batch(struct vmbnet_core *c, struct vmbnet_comp *v, unsigned int n);
/*
 * Batching, like xmit_more: sends between begin and end are written to the
 * ring but published (and signalled) once, at end. Nests.
 */
void vmbnet_core_batch_begin(struct vmbnet_core *c);
void vmbnet_core_batch_end(struct vmbnet_core *c);
/* Ring space appeared: send what waits. */
void vmbnet_core_kick(struct vmbnet_core *c);
/* The channel is going away: complete everything with @status. */
void vmbnet_core_cancel_all(struct vmbnet_core *c, int32_t status);

/* ---- layer 2: NET_BUFFER_LIST sends -------------------------------------- */

/*
 * vmbnet_send_nbl() - send the first NET_BUFFER of @nbl as an RNDIS packet
 * with its per-packet info. @l2 (may be NULL) is prepended to the frame
 * (@l2_len bytes, e.g. an Ethernet + IP header built by layer 3).
 * On STATUS_SUCCESS @done runs once with the final status, with the host's
 * echo of the per-packet info written back into @nbl.
 */
int32_t vmbnet_send_nbl(struct vmbnet_core *c, struct vmbnet_nbl *nbl, const void *l2,
			uint32_t l2_len,
			void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status), void *ctx);

/*
 * vmbnet_send_nbl_chain() - vmbnet_send_nbl() for @nbl and each NBL after it
 * through Next, as a miniport gets them (MiniportSendNetBufferLists): one
 * lock and one send time for the chain. Sends in order until one fails;
 * *@sent says how many went (each completes through @done, once), the
 * return value is the first failure's status (the NBLs from it on are the
 * caller's still), or STATUS_SUCCESS when all went.
 */
int32_t vmbnet_send_nbl_chain(struct vmbnet_core *c, struct vmbnet_nbl *nbl,
			      void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status),
			      void *ctx, uint32_t *sent);

/* ---- layer 3: completion by handle, injection ---------------------------- */

/* Dot11ExtSendPacket: the frame at @buf (DMA-able, @len bytes) is sent by
 * reference and held until the registered completion gets @hSendCompletion
 * back, exactly once; only then may the caller free it.
 */
void vmbnet_dot11_register(struct vmbnet_core *c, void (*completion)(void *arg, void *h),
			   void *arg);
int32_t vmbnet_dot11_send_packet(struct vmbnet_core *c, void *buf, uint32_t len,
				 void *hSendCompletion);

#define VMBNET_AF_UNSPEC 0
#define VMBNET_AF_INET 2
#define VMBNET_AF_INET6 10

enum vmbnet_injection_state {
	VMBNET_INJECTED_BY_SELF,
	VMBNET_INJECTED_BY_OTHER,
	VMBNET_PREVIOUSLY_INJECTED_BY_SELF,
	VMBNET_NOT_INJECTED,
};

/* FWPS_TRANSPORT_SEND_PARAMS1, the fields vmbnet uses. */
struct vmbnet_send_params {
	const uint8_t *remoteAddress; /* 4 or 16 bytes */
	uint32_t remoteScopeId;
};

/* An endpoint (socket) the injection path can send for. */
struct vmbnet_endpoint {
	uint64_t handle;
	uint16_t af;
	uint8_t protocol; /* IPPROTO_* */
	uint8_t local[16];
};

/* FWPS_INJECT_COMPLETE0; dispatchLevel is a BOOLEAN (1 = atomic context). */
typedef void (*vmbnet_inject_complete_fn)(void *context, struct vmbnet_nbl *nbl,
					  uint8_t dispatchLevel);

struct vmbnet_inject_handle {
	struct vmbnet_core *core;
	uint8_t id; /* 1..VMBNET_MAX_INJECT_HANDLES */
	uint16_t af;
	bool closing;
	uint32_t inflight; /* NBLs injected, not completed */
	const struct vmbnet_endpoint *endpoints;
	uint32_t nendpoints;
};

int32_t vmbnet_inject_handle_create(struct vmbnet_core *c, uint16_t af, uint32_t flags,
				    struct vmbnet_inject_handle **out);
/* Waits for the handle's injections in flight, then frees it. */
int32_t vmbnet_inject_handle_destroy(struct vmbnet_inject_handle *h);
void vmbnet_inject_set_endpoints(struct vmbnet_inject_handle *h, const struct vmbnet_endpoint *eps,
				 uint32_t n);
int32_t vmbnet_inject_transport_send(struct vmbnet_inject_handle *h, void *injectionContext,
				     uint64_t endpointHandle, uint32_t flags,
				     const struct vmbnet_send_params *sendArgs, uint16_t af,
				     uint32_t compartmentId, struct vmbnet_nbl *nbl,
				     vmbnet_inject_complete_fn completionFn,
				     void *completionContext);
enum vmbnet_injection_state vmbnet_inject_query_state(struct vmbnet_inject_handle *h,
						      const struct vmbnet_nbl *nbl,
						      void **injectionContext);

/* ---- layer 4: intermediate driver ---------------------------------------- */

/* NdisIMCopySendCompletePerPacketInfo: @dst takes @src's per-packet info. */
void vmbnet_im_copy_send_complete_info(struct vmbnet_nbl *dst, const struct vmbnet_nbl *src);

/*
 * vmbnet_im_send() - an intermediate driver's send: clone @upper into a new
 * lower NBL (same data, copied info), send it, and on completion copy the
 * lower packet's per-packet info into @upper and complete @upper with the
 * lower status. Same return contract as vmbnet_send_nbl().
 */
int32_t vmbnet_im_send(struct vmbnet_core *c, struct vmbnet_nbl *upper,
		       void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status), void *ctx);

#endif /* VMBNET_DDI_H */
