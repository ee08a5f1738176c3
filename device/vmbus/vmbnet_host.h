/* SPDX-License-Identifier: MIT */
/*
 * vmbnet host control plane: the VMBus-style channel messages a guest sends
 * through vmbnet-pci's message page (version, offers, GPADLs, open, close,
 * unload), the GPADL table, and channel state. Plain C with no QEMU or DPDK
 * types: the embedding device supplies guest-memory access and interrupts
 * through struct vmbnet_host_ops, and a datapath (the in-QEMU NIC or the
 * hand-off to an external backend) plugs in through struct
 * vmbnet_chan_handler.
 *
 * Everything the guest sends is copied, then checked. A bad message is
 * counted, logged through ops->guest_error, and answered with an error status
 * where the protocol has one; it never crashes or leaks.
 */
#ifndef VMBNET_HOST_H
#define VMBNET_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbnet/vmb_pci.h"
#include "vmbnet/vmb_ring.h"
#include "vmbnet/vmb_wire.h"

#define VMBNET_MAX_GPADLS 64
#define VMBNET_GPADL_MAX_PAGES 16384 /* 64 MiB per GPADL */
#define VMBNET_GPADL_TOTAL_PAGES 65536 /* 256 MiB for all GPADLs together */
#define VMBNET_MSGQ_LEN 64 /* host -> guest messages waiting to be popped */
#define VMBNET_MSG_SLOT 256 /* bytes; every host message fits */

struct vmbnet_host;
struct vmbnet_channel;
struct vmbnet_gpadl;

/* What the embedding device provides. All return 0 or negative errno. */
struct vmbnet_host_ops {
	/* Map @len bytes of guest memory at @gpa for the life of a channel;
	 * NULL when the range is not plain, contiguous guest RAM.
	 */
	void *(*map)(void *opaque, uint64_t gpa, uint64_t len);
	void (*unmap)(void *opaque, void *ptr, uint64_t len);
	/* Is the page at @pfn guest RAM? */
	bool (*page_ok)(void *opaque, uint64_t pfn);
	/* Raise interrupt vector @vec (VMB_PCI_VEC_*). */
	void (*notify)(void *opaque, unsigned int vec);
	/* A guest mistake: already counted; log it. */
	void (*guest_error)(void *opaque, const char *what);
	/* State change, for trace events. */
	void (*trace)(void *opaque, const char *event, uint32_t a, uint32_t b);
	/* Optional, Hyper-V's offer model: the guest asked for subchannels
	 * and has @count of them (1..@count); someone else makes the offers
	 * (a backend's mirror of the host leaves them to its front end).
	 */
	void (*offer_subchannels)(void *opaque, uint32_t count);
};

/* A datapath serving open channels. */
struct vmbnet_chan_handler {
	/* The channel's rings are attached; start serving. 0 or -errno. */
	int (*open)(struct vmbnet_channel *ch);
	/* Guest rang the doorbell. */
	void (*doorbell)(struct vmbnet_channel *ch);
	/* Stop serving: complete everything in flight (with an error status
	 * where it cannot finish) and stop touching the rings.
	 */
	void (*close)(struct vmbnet_channel *ch);
	/* Optional: GPADL @g was created / is about to be torn down. A
	 * non-zero return refuses it (the guest is told the creation failed;
	 * the teardown is not done). vmbnet_host_reset() calls gpadl_teardown
	 * for every GPADL and ignores the result.
	 */
	int (*gpadl_created)(struct vmbnet_host *h, const struct vmbnet_gpadl *g);
	int (*gpadl_teardown)(struct vmbnet_host *h, const struct vmbnet_gpadl *g);
	/* Optional: close that may finish later. Called instead of close()
	 * for a guest's CLOSE_CHANNEL.
	 *
	 * Answering later: while a guest's message is being handled
	 * (host->async_ok), open, gpadl_created, gpadl_teardown and
	 * close_async may return -EINPROGRESS and call vmbnet_host_op_done()
	 * once the datapath has answered (an external backend, over its
	 * socket). The guest gets its answer then; its later messages wait in
	 * order. Nothing waits on the thread that delivered the message.
	 */
	int (*close_async)(struct vmbnet_channel *ch);
};

/* What a deferred handler was asked (vmbnet_host_op_done). */
enum vmbnet_host_op {
	VMBNET_OP_NONE,
	VMBNET_OP_OPEN,
	VMBNET_OP_GPADL_CREATED,
	VMBNET_OP_GPADL_TEARDOWN,
	VMBNET_OP_CLOSE,
};

#define VMBNET_INQ_LEN 16 /* guest messages that wait for a deferred answer */

struct vmbnet_gpadl {
	uint32_t id; /* guest's handle; 0 = free slot */
	uint32_t relid; /* channel it was created for */
	uint32_t npages;
	uint32_t received; /* pfns received so far */
	uint32_t next_body; /* expected GPADL_BODY msgnumber */
	bool created; /* all pfns in and checked */
	uint16_t users; /* open channels using it */
	uint64_t *pfns;
	uint64_t *sorted; /* pfns in ascending order, for the overlap check */
};

enum vmbnet_chan_state {
	VMBNET_CHAN_OFFERED, /* offered (or closed): waiting for OPEN */
	VMBNET_CHAN_OPEN,
	VMBNET_CHAN_BROKEN, /* guest broke the ring protocol; needs CLOSE */
};

struct vmbnet_chan_stats {
	uint64_t doorbells; /* guest -> host signals */
	uint64_t doorbells_spurious; /* signals the ring rules made unnecessary */
	uint64_t interrupts; /* host -> guest signals */
};

struct vmbnet_channel {
	struct vmbnet_host *host;
	uint32_t index; /* 0..nchan-1; doorbell index and vector 1 + index */
	uint32_t relid; /* index + 1 */
	uint32_t state; /* enum vmbnet_chan_state (fixed width for migration) */
	uint32_t gpadl; /* ring GPADL while open */
	void *ring_mem; /* mapped ring GPADL */
	uint64_t ring_len;
	struct vmb_ring in; /* guest -> host: we consume */
	struct vmb_ring out; /* host -> guest: we produce */
	struct vmbnet_chan_stats stats;
	void *priv; /* the datapath's per-channel state */
};

struct vmbnet_host_stats {
	uint64_t guest_errors;
	uint64_t msgs_in;
	uint64_t msgs_out;
	uint64_t msgs_dropped; /* queue full: guest is not popping */
	uint64_t gpadl_pages; /* currently registered */
};

struct vmbnet_host {
	const struct vmbnet_host_ops *ops;
	void *opaque;
	const struct vmbnet_chan_handler *handler;
	uint32_t nchan;
	uint8_t mac[6];
	bool connected; /* INITIATE_CONTACT accepted */
	bool subch_on_request; /* VMB_CONTACT_SUBCHANNELS_ON_REQUEST */
	uint32_t offered; /* bit i: channel i offered to the guest */
	uint32_t rescinded; /* bit i: channel i taken back (until offered again) */
	bool absent; /* the NIC is gone (vmbnet_host_set_present); survives reset */
	struct vmbnet_channel chan[VMB_PCI_MAX_CHANNELS];
	struct vmbnet_gpadl gpadl[VMBNET_MAX_GPADLS];
	/* host -> guest message queue */
	uint8_t msgq[VMBNET_MSGQ_LEN][VMBNET_MSG_SLOT];
	uint16_t msgq_len[VMBNET_MSGQ_LEN];
	uint32_t msgq_head, msgq_count;
	struct vmbnet_host_stats stats;
	/* a deferred answer (not migrated: datapath B blocks migration) */
	bool async_ok; /* a guest message is being handled */
	bool dispatching;
	struct {
		uint32_t type; /* enum vmbnet_host_op */
		uint32_t relid, id, openid;
		uint32_t closing; /* VMBNET_OP_CLOSE: bit i, channel i still closing */
	} op;
	uint8_t inq[VMBNET_INQ_LEN][VMB_MSG_MAX]; /* guest messages waiting for it */
	uint16_t inq_len[VMBNET_INQ_LEN];
	uint32_t inq_head, inq_count;
};

/* Set up for @nchan channels (1..VMB_PCI_MAX_CHANNELS). 0 or -EINVAL. */
int vmbnet_host_init(struct vmbnet_host *h, uint32_t nchan, const uint8_t mac[6],
		     const struct vmbnet_host_ops *ops, void *opaque,
		     const struct vmbnet_chan_handler *handler);

/*
 * vmbnet_host_offer_subchannels() - the guest asked (NVSP 133) for @want
 * subchannels of channel 0. With Hyper-V's offer model the host offers
 * those it has not offered yet; returns how many subchannels the guest now
 * has (at most @want). 0 in vmbnet's own model, where every channel was
 * offered at REQUEST_OFFERS and none is allocated on request.
 */
uint32_t vmbnet_host_offer_subchannels(struct vmbnet_host *h, uint32_t want);
/*
 * vmbnet_host_set_present() - the NIC goes away (@present false) or comes
 * back, as when Hyper-V removes a synthetic NIC from a running VM or adds
 * one. Going: every offered channel is rescinded, subchannels first; an
 * open one is served until the guest's CLOSE (Linux's
 * vmbus_close_internal() sends one after a rescind), so nothing the guest
 * sends before it sees the rescind is stranded. Coming back: whatever the
 * guest left open is closed, and the channels are offered again, as at
 * REQUEST_OFFERS. The guest's GPADLs stay until it tears them down. A reset
 * does not bring the NIC back.
 */
void vmbnet_host_set_present(struct vmbnet_host *h, bool present);

/* Does the guest use Hyper-V's offer model (how many queues may it have)? */
static inline uint32_t vmbnet_host_max_queues(const struct vmbnet_host *h)
{
	return h->subch_on_request ? h->nchan : 1;
}

/* A guest message of @len bytes (already copied out of the message page). */
void vmbnet_host_message(struct vmbnet_host *h, const void *msg, uint32_t len);

/* Pop the next host message into @buf (VMB_MSG_MAX bytes). Returns its
 * length, 0 when none is waiting.
 */
uint32_t vmbnet_host_pop(struct vmbnet_host *h, void *buf);

/* A handler that returned -EINPROGRESS for @op has its answer @result
 * (0 or -errno): the guest is answered and its waiting messages go on. An
 * answer for an operation no longer pending (the device was reset) is
 * ignored.
 */
void vmbnet_host_op_done(struct vmbnet_host *h, enum vmbnet_host_op op, int result);
/* VMBNET_OP_CLOSE, one channel at a time: channel @index has closed. The
 * guest's waiting messages go on once every channel that its CLOSE took
 * along has (vmbnet_host_op_done(CLOSE) finishes them all at once).
 */
void vmbnet_host_close_done(struct vmbnet_host *h, uint32_t index);

/* Guest rang channel @index's doorbell. */
void vmbnet_host_doorbell(struct vmbnet_host *h, uint32_t index);

/* Device reset / unload: close every channel (completing what is in
 * flight), drop every GPADL, forget the connection and queued messages.
 */
void vmbnet_host_reset(struct vmbnet_host *h);

/*
 * After the device state was restored by a migration (everything but
 * pointers): rebuild the sorted pfn lists and re-attach open channels to
 * their ring memory, keeping the migrated private ring indices. 0;
 * -EINVAL when the state is not one the host could have been in (a queue
 * position, message length, GPADL or channel state out of range: nothing
 * of it is used, the host is reset); -EFAULT or -EIO when guest memory
 * cannot be mapped (that channel is closed or broken).
 */
int vmbnet_host_post_load(struct vmbnet_host *h);

/* Tear down and free; the host may be initialized again afterwards. */
void vmbnet_host_fini(struct vmbnet_host *h);

/* For datapaths: count a guest error on @ch and, if @fatal, mark it broken. */
void vmbnet_chan_guest_error(struct vmbnet_channel *ch, const char *what, bool fatal);

/* For datapaths: signal the guest that @ch's host -> guest ring has data or
 * space (vector 1 + index).
 */
void vmbnet_chan_notify(struct vmbnet_channel *ch);

/* For datapaths: the pfns of GPADL @id on @ch's relid, with its page count. */
const struct vmbnet_gpadl *vmbnet_host_gpadl(struct vmbnet_host *h, uint32_t relid, uint32_t id);

/* For datapaths using a GPADL as a buffer: while held, the guest cannot
 * tear it down. Hold returns the GPADL (NULL if there is none, or it is in
 * use already: a GPADL is one channel's ring or one buffer, never both),
 * release drops the hold.
 */
const struct vmbnet_gpadl *vmbnet_host_gpadl_hold(struct vmbnet_host *h, uint32_t relid,
						  uint32_t id);
/* Hold GPADL @id that its channel @relid already holds, for the same use
 * (a subchannel's view of its primary's buffer, in Hyper-V's offer model).
 */
const struct vmbnet_gpadl *vmbnet_host_gpadl_share(struct vmbnet_host *h, uint32_t relid,
						   uint32_t id);
void vmbnet_host_gpadl_release(struct vmbnet_host *h, uint32_t id);

/*
 * Mirroring another process's control plane (a hand-off backend): the same
 * checks as the guest's messages, no messages back. 0 or -errno, counted as
 * guest errors.
 *
 * vmbnet_host_import_gpadl() takes pfns [@first, @first + @count) of GPADL
 * @id (@npages in all), in order; the GPADL is created with the last piece.
 */
int vmbnet_host_import_gpadl(struct vmbnet_host *h, uint32_t relid, uint32_t id, uint32_t npages,
			     uint32_t first, uint32_t count, const uint64_t *pfns);
int vmbnet_host_import_teardown(struct vmbnet_host *h, uint32_t id);
/* Open channel @index on ring GPADL @gpadl: attach the rings, then the
 * handler's open().
 */
int vmbnet_host_import_open(struct vmbnet_host *h, uint32_t index, uint32_t gpadl,
			    uint32_t downstream_offset);
/* Close channel @index through the handler's close(). */
int vmbnet_host_import_close(struct vmbnet_host *h, uint32_t index);

/* The interface GUID offered for the NIC (netvsc's class GUID). */
extern const struct vmb_guid vmbnet_netvsc_guid;

#endif /* VMBNET_HOST_H */
