/* SPDX-License-Identifier: MIT */
/*
 * vmbnet backend hand-off protocol, version 2 (transport/SPEC.md, section 6).
 *
 * The front end (vmbnet-pci in QEMU, or the native benchmark) keeps the
 * control plane and hands the hot path to an external backend (vmbnet-dpdk)
 * over a SOCK_SEQPACKET unix socket: one message per datagram, file
 * descriptors as SCM_RIGHTS. The front end listens; the backend connects.
 *
 * Every front -> back message asks for one VMB_HOF_ACK carrying its seq.
 * The backend speaks unasked only to send VMB_HOF_OFFER, which is not
 * answered.
 * After HELLO the front sends the state area, the memory regions, every
 * GPADL, every open channel, the link state, then START; from then on it
 * forwards GPADL and channel changes as they happen. Either side may go
 * away; the front end replays everything to the next backend, which resumes
 * the open channels from the state area (below) so that every guest packet
 * gets exactly one completion.
 *
 * The state area is a memfd owned by the front end (it outlives backends).
 * Per channel it holds two checkpoint slots the backend writes alternately,
 * each immediately before it publishes the host -> guest write index: the
 * private ring positions and the NIC state that go with that publish. A new
 * backend takes the newest complete slot whose out_write equals the ring's
 * published write index, or else the one before it (its publish never
 * happened, so the guest saw nothing of the newer batch).
 */
#ifndef VMB_HANDOFF_H
#define VMB_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#define VMB_HOF_VERSION 2u /* 2: OFFER, CHAN_OPEN's SUBCH_ON_REQUEST, FAULT */
#define VMB_HOF_MAGIC 0x31464f48u /* "HOF1" at the start of the state area */
#define VMB_HOF_MSG_MAX 65536u /* bytes in one message, header included */
#define VMB_HOF_MAX_FDS 2u /* descriptors one message may carry */
#define VMB_HOF_MAX_REGIONS 16u /* guest RAM regions */
#define VMB_HOF_GPADL_CHUNK 4096u /* pfns per GPADL message */
#define VMB_HOF_MAX_CHANNELS 8u
#define VMB_HOF_RX_SLOTS_MAX 8192u /* receive slots a checkpoint can describe */

enum vmb_hof_type {
	VMB_HOF_HELLO = 1, /* + fd: the state area */
	VMB_HOF_MEM_REGION = 2, /* + fd: guest RAM to map */
	VMB_HOF_GPADL = 3, /* a piece of a created GPADL's pfn list */
	VMB_HOF_GPADL_TEARDOWN = 4,
	VMB_HOF_CHAN_OPEN = 5, /* + fds: kick (guest -> back), call (back -> guest) */
	VMB_HOF_CHAN_CLOSE = 6, /* complete what is in flight, stop touching the ring */
	VMB_HOF_LINK = 7,
	VMB_HOF_RESET = 8, /* close every channel, drop every GPADL and region */
	VMB_HOF_START = 9, /* the replay is complete: serve */
	VMB_HOF_FAULT = 10, /* add or remove a fault rule of the backend's NIC */
	VMB_HOF_ACK = 0x80, /* back -> front */
	VMB_HOF_OFFER = 0x81, /* back -> front, unasked: offer the guest subchannels */
};

struct vmb_hof_hdr {
	uint32_t type; /* enum vmb_hof_type */
	uint32_t len; /* bytes, this header included */
	uint32_t seq; /* front end's counter; the ACK echoes it */
	uint32_t reserved; /* 0 */
};

struct vmb_hof_hello {
	struct vmb_hof_hdr hdr;
	uint32_t version; /* VMB_HOF_VERSION */
	uint32_t nchan; /* channels the device offers */
	uint32_t mtu;
	uint8_t mac[6];
	uint8_t link_up;
	uint8_t pad;
	uint64_t state_size; /* bytes of the state area (>= vmb_hof_state_size(nchan)) */
};

struct vmb_hof_mem_region {
	struct vmb_hof_hdr hdr;
	uint64_t gpa; /* page aligned */
	uint64_t size; /* page aligned, non-zero */
	uint64_t fd_offset; /* where gpa lies in the fd, page aligned */
};

struct vmb_hof_gpadl {
	struct vmb_hof_hdr hdr;
	uint32_t id; /* guest's GPADL handle, non-zero */
	uint32_t relid; /* channel it was made for */
	uint32_t npages; /* of the whole GPADL */
	uint32_t first; /* index of pfn[0] in the GPADL; pieces come in order */
	uint32_t count; /* pfns in this message, 1..VMB_HOF_GPADL_CHUNK */
	uint32_t pad;
	uint64_t pfn[]; /* count entries */
};

struct vmb_hof_gpadl_teardown {
	struct vmb_hof_hdr hdr;
	uint32_t id;
	uint32_t pad;
};

#define VMB_HOF_OPEN_RESUME 1u /* channel served before: resume from the state area */
/* The guest uses Hyper-V's offer model (VMB_CONTACT_SUBCHANNELS_ON_REQUEST):
 * subchannels share the primary's buffers and come on request.
 */
#define VMB_HOF_OPEN_SUBCH_ON_REQUEST 2u

struct vmb_hof_chan_open {
	struct vmb_hof_hdr hdr;
	uint32_t index; /* channel index: doorbell, vector 1 + index, state slot */
	uint32_t gpadl; /* ring GPADL */
	uint32_t downstream_offset; /* pages of the guest -> host ring (VMBus's name) */
	uint32_t flags; /* VMB_HOF_OPEN_* */
};

struct vmb_hof_chan_close {
	struct vmb_hof_hdr hdr;
	uint32_t index;
	uint32_t pad;
};

struct vmb_hof_link {
	struct vmb_hof_hdr hdr;
	uint32_t up;
	uint32_t pad;
};

struct vmb_hof_ack {
	struct vmb_hof_hdr hdr;
	uint32_t req_seq; /* seq of the message answered */
	int32_t status; /* 0 or negative errno */
	uint32_t value; /* HELLO: the backend's version */
	uint32_t pad;
};

/*
 * The guest asked (NVSP 133 on channel 0) for subchannels in Hyper-V's
 * offer model, and the backend answered that it has @count of them: the
 * front end offers subchannels 1..@count that it has not offered yet.
 */
struct vmb_hof_offer {
	struct vmb_hof_hdr hdr; /* seq 0 */
	uint32_t count;
	uint32_t pad;
};

/*
 * A fault rule for the NIC the backend runs (device/fault/SCENARIO.md): add
 * (@text is one "rules" entry, JSON) or remove (@text is the rule's id).
 * ACK status: 0, -EINVAL (a rule the backend cannot take), -ENOENT (no rule
 * of that id), -ENOSPC, -EOPNOTSUPP (a backend without a fault engine).
 */
#define VMB_HOF_FAULT_ADD 1u
#define VMB_HOF_FAULT_REMOVE 2u
#define VMB_HOF_FAULT_TEXT_MAX 4096u

struct vmb_hof_fault {
	struct vmb_hof_hdr hdr;
	uint32_t op; /* VMB_HOF_FAULT_* */
	uint32_t len; /* bytes of text, no NUL; 1..VMB_HOF_FAULT_TEXT_MAX */
	char text[];
};

/* ---- the state area --------------------------------------------------- */

/* One checkpoint of one channel, written by the backend before a publish. */
struct vmb_hof_ckpt {
	uint64_t seq; /* odd while being written; 0 = never written; never wraps */
	uint32_t in_read; /* guest -> host ring: read position covered */
	uint32_t out_write; /* host -> guest ring: write index being published */
	uint32_t nvsp_version; /* 0 until NVSP INIT */
	uint32_t rndis_ready; /* 0 not initialized, 1 ready, 2 halted */
	uint32_t packet_filter;
	uint32_t rx_gpadl, tx_gpadl; /* 0 = not registered */
	uint32_t rx_slots; /* <= VMB_HOF_RX_SLOTS_MAX */
	uint32_t link_pending; /* a link indication is owed to the guest */
	uint32_t link_up; /* the link state the guest was told (or is owed) */
	uint8_t rx_busy[VMB_HOF_RX_SLOTS_MAX]; /* per slot: lent to the guest */
};

struct vmb_hof_chan_state {
	struct vmb_hof_ckpt slot[2]; /* seq / 2 alternates between them */
};

struct vmb_hof_state {
	uint32_t magic; /* VMB_HOF_MAGIC, set by the front end */
	uint32_t version;
	uint32_t nchan;
	uint32_t generation; /* backends served so far; the backend bumps it */
	uint8_t pad[48];
	struct vmb_hof_chan_state chan[];
};

static inline uint64_t vmb_hof_state_size(uint32_t nchan)
{
	return sizeof(struct vmb_hof_state) + (uint64_t)nchan * sizeof(struct vmb_hof_chan_state);
}

_Static_assert(sizeof(struct vmb_hof_hdr) == 16, "hof hdr");
_Static_assert(sizeof(struct vmb_hof_hello) == 48, "hof hello");
_Static_assert(offsetof(struct vmb_hof_hello, state_size) == 40, "hof hello state_size");
_Static_assert(sizeof(struct vmb_hof_mem_region) == 40, "hof mem region");
_Static_assert(sizeof(struct vmb_hof_gpadl) == 40, "hof gpadl");
_Static_assert(offsetof(struct vmb_hof_gpadl, pfn) == 40, "hof gpadl pfn");
_Static_assert(sizeof(struct vmb_hof_gpadl) + VMB_HOF_GPADL_CHUNK * 8 <= VMB_HOF_MSG_MAX,
	       "a GPADL chunk fits a message");
_Static_assert(sizeof(struct vmb_hof_gpadl_teardown) == 24, "hof teardown");
_Static_assert(sizeof(struct vmb_hof_chan_open) == 32, "hof chan open");
_Static_assert(sizeof(struct vmb_hof_chan_close) == 24, "hof chan close");
_Static_assert(sizeof(struct vmb_hof_link) == 24, "hof link");
_Static_assert(sizeof(struct vmb_hof_ack) == 32, "hof ack");
_Static_assert(sizeof(struct vmb_hof_offer) == 24, "hof offer");
_Static_assert(sizeof(struct vmb_hof_fault) == 24, "hof fault");
_Static_assert(offsetof(struct vmb_hof_ckpt, in_read) == 8, "hof ckpt in_read");
_Static_assert(offsetof(struct vmb_hof_ckpt, rx_busy) == 48, "hof ckpt rx_busy");
_Static_assert(sizeof(struct vmb_hof_ckpt) == 48 + VMB_HOF_RX_SLOTS_MAX, "hof ckpt");
_Static_assert(sizeof(struct vmb_hof_state) == 64, "hof state");

#endif /* VMB_HANDOFF_H */
