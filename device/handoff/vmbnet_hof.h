/* SPDX-License-Identifier: MIT */
/*
 * vmbnet hand-off: the two ends of the protocol in vmb_handoff.h, plain C
 * (POSIX sockets, memfd, eventfd; no QEMU or DPDK types).
 *
 * The front end (vmbnet_hof_front_*) is a vmbnet_chan_handler: the control
 * plane (vmbnet_host) keeps running in the embedding process, and the front
 * end forwards what the backend needs as it happens, replays everything to a
 * backend that (re)connects, and fails the guest's packets itself when a
 * channel closes with no backend there.
 *
 * The back end (vmbnet_hof_back_*) mirrors that control plane into its own
 * vmbnet_host and vmbnet_nic over the mapped guest RAM, checks every message
 * (the front end is another process: nothing it sends is trusted), and
 * leaves the datapath (moving frames, polling, sleeping) to its embedder.
 */
#ifndef VMBNET_HOF_H
#define VMBNET_HOF_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbnet/vmb_handoff.h"
#include "vmbnet_host.h"
#include "vmbnet_nic.h"

#define VMBNET_HOF_ACK_TIMEOUT_MS 5000 /* a backend that takes longer is gone */

/* ---- messages (vmbnet_hof.c) ------------------------------------------- */

/* Send one message carrying @nfds descriptors. 0 or -errno. */
int vmbnet_hof_send(int sock, const void *msg, uint32_t len, const int *fds, unsigned int nfds);

/*
 * Receive one message into @buf (VMB_HOF_MSG_MAX bytes) and its descriptors
 * into @fds (VMB_HOF_MAX_FDS entries, -1 where none came; the caller owns
 * them). Returns the length, 0 when the peer closed, or -errno: -EAGAIN on
 * a non-blocking socket with nothing waiting, -EMSGSIZE when the message or
 * its descriptors were truncated (all received descriptors are closed).
 */
int vmbnet_hof_recv(int sock, void *buf, int *fds, unsigned int *nfds);

/*
 * Check a received message's framing against its type: header length equal
 * to the datagram, the type's fixed size, descriptor count, counts inside
 * the message. 0 or -EPROTO with *why set.
 */
int vmbnet_hof_check(const void *msg, uint32_t len, unsigned int nfds, const char **why);

/* ---- front end (vmbnet_hof_front.c) ------------------------------------- */

struct vmbnet_hof_region {
	uint64_t gpa, size, fd_offset;
	int fd; /* owned by the embedder */
};

struct vmbnet_hof_front_ops {
	/* Fill @r with the guest RAM regions (at most @max); count or -errno. */
	int (*regions)(void *opaque, struct vmbnet_hof_region *r, unsigned int max);
	/* Connection events, for trace events and logs. */
	void (*event)(void *opaque, const char *what, int err);
};

struct vmbnet_hof_front_stats {
	uint64_t connects, disconnects, rejected; /* backends */
	uint64_t msgs; /* messages sent */
	uint64_t failed_in_flight; /* completions the front end wrote on close */
	uint64_t fenced; /* unresponsive backends killed before others served */
	uint64_t fence_failed; /* ... that could not be: successors wait */
};

/* A request sent without waiting: its ACK is matched later. */
#define VMBNET_HOF_PENDING 32
struct vmbnet_hof_front;
struct vmbnet_hof_pending {
	uint32_t seq;
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	void (*done)(struct vmbnet_hof_front *f, int status, uintptr_t ctx);
	uintptr_t ctx;
};

struct vmbnet_hof_front {
	struct vmbnet_host *host;
	const struct vmbnet_hof_front_ops *ops;
	void *opaque;
	char path[108];
	int listen_fd; /* the socket backends connect to */
	int sock; /* the connected backend, -1 when none */
	int peer_pidfd; /* its process, taken at accept; -1 when unknown */
	bool peer_is_self; /* a backend thread of this process (tests) */
	/* A backend we could not fence may still run and write the rings:
	 * until its process is seen gone, no successor serves the channels and
	 * nothing in flight is failed (it may yet complete). Its pidfd, or -1.
	 */
	bool unfenced;
	int unfenced_pidfd;
	int state_fd;
	struct vmb_hof_state *state;
	uint64_t state_size;
	int kick[VMB_HOF_MAX_CHANNELS]; /* eventfd: guest doorbell -> backend */
	int call[VMB_HOF_MAX_CHANNELS]; /* eventfd: backend -> guest interrupt */
	uint32_t seq;
	uint32_t mtu;
	bool link_up;
	/* requests answered later, oldest first (their ACKs come in order) */
	struct vmbnet_hof_pending pending[VMBNET_HOF_PENDING];
	unsigned int pending_head, npending;
	uint32_t gpadl_err; /* first failure among a GPADL's pieces */
	struct vmbnet_hof_front_stats stats;
};

/* The handler to give vmbnet_host_init(); vmbnet_hof_front_init() points
 * every channel's priv at the front end.
 */
extern const struct vmbnet_chan_handler vmbnet_hof_front_handler;

/* Listen on @path (replaced if it exists), make the state area and the
 * eventfds. 0 or -errno.
 */
int vmbnet_hof_front_init(struct vmbnet_hof_front *f, struct vmbnet_host *host, const char *path,
			  uint32_t mtu, const struct vmbnet_hof_front_ops *ops, void *opaque);
void vmbnet_hof_front_fini(struct vmbnet_hof_front *f);

/* listen_fd is readable: take the backend and replay the state to it. A
 * second backend while one is connected is refused. 0 or -errno.
 */
int vmbnet_hof_front_accept(struct vmbnet_hof_front *f);

/* sock is readable: ACKs of requests sent without waiting (each completes
 * its request: the guest gets its answer), or a hang-up.
 */
void vmbnet_hof_front_sock_event(struct vmbnet_hof_front *f);
/* Milliseconds until the oldest unanswered request times out, -1 if none;
 * the embedder calls vmbnet_hof_front_expire() then.
 */
int vmbnet_hof_front_next_timeout_ms(const struct vmbnet_hof_front *f);
/* A request unanswered past VMBNET_HOF_ACK_TIMEOUT_MS: the backend is gone
 * (fenced and dropped; its requests complete as with no backend).
 */
void vmbnet_hof_front_expire(struct vmbnet_hof_front *f);

void vmbnet_hof_front_set_link(struct vmbnet_hof_front *f, bool up);

/*
 * Add (VMB_HOF_FAULT_ADD, @text a rule's JSON) or remove
 * (VMB_HOF_FAULT_REMOVE, @text its id) a fault rule of the backend's NIC,
 * and wait for the answer (a management request, not the guest's): the
 * backend's status, or -ENOTCONN with no backend. The rule lives in the
 * backend: a successor starts from its own scenario file.
 */
int vmbnet_hof_front_fault(struct vmbnet_hof_front *f, uint32_t op, const char *text);

/* After vmbnet_host_reset(): the backend drops its channels and GPADLs. */
void vmbnet_hof_front_reset(struct vmbnet_hof_front *f);

/* ---- back end (vmbnet_hof_back.c) --------------------------------------- */

struct vmbnet_hof_mapping {
	uint64_t gpa, size;
	uint8_t *va;
};

struct vmbnet_hof_back_stats {
	uint64_t msgs, bad_msgs;
	uint64_t resumed; /* channels taken over from a predecessor */
	uint64_t ckpt_failed; /* checkpoints that could not be written */
	uint64_t offers; /* OFFERs sent: subchannel requests the guest made */
};

struct vmbnet_hof_back {
	int sock;
	bool busy_poll; /* the embedder polls: rings stay masked (vmbnet_nic_arm) */
	bool started; /* START seen */
	bool hello; /* HELLO seen */
	struct vmbnet_host host;
	struct vmbnet_nic nic;
	struct vmb_hof_state *state;
	uint64_t state_size;
	struct vmbnet_hof_mapping map[VMB_HOF_MAX_REGIONS];
	unsigned int nmap;
	int kick[VMB_HOF_MAX_CHANNELS], call[VMB_HOF_MAX_CHANNELS];
	const struct vmbnet_nic_ops *nic_ops; /* the embedder's datapath */
	void *nic_opaque;
	struct vmbnet_fault *faults; /* the embedder's, for the NIC (or NULL) */
	const char *last_error;
	struct vmbnet_hof_back_stats stats;
	uint8_t buf[VMB_HOF_MSG_MAX];
};

/* Connect to the front end at @path and bind the NIC to @ops. 0 or -errno. */
int vmbnet_hof_back_init(struct vmbnet_hof_back *b, const char *path,
			 const struct vmbnet_nic_ops *ops, void *opaque);

/* Use a connected socket instead (tests). */
void vmbnet_hof_back_init_sock(struct vmbnet_hof_back *b, int sock,
			       const struct vmbnet_nic_ops *ops, void *opaque);

/*
 * Handle the messages waiting on the socket (non-blocking). Returns 0, or
 * -ENOTCONN when the front end is gone (the backend then stops touching
 * guest memory: call vmbnet_hof_back_fini()).
 */
int vmbnet_hof_back_control(struct vmbnet_hof_back *b);

/* Handle one message (already received; its descriptors are consumed).
 * Returns its status (0 or -errno), which was acknowledged, or -EPIPE when
 * the acknowledgement could not be sent.
 */
int vmbnet_hof_back_message(struct vmbnet_hof_back *b, const void *msg, uint32_t len, int *fds,
			    unsigned int nfds);

/* Forget guest memory and close descriptors, without touching the rings:
 * whatever is in flight is resumed by the next backend.
 */
void vmbnet_hof_back_fini(struct vmbnet_hof_back *b);

/* Busy polling (busy_poll set): serve every channel the guest wrote to.
 * True if any had work.
 */
bool vmbnet_hof_back_poll(struct vmbnet_hof_back *b);

/* About to sleep on the kick eventfds: unmask every channel. True when a
 * packet came in meanwhile (poll again instead of sleeping).
 */
bool vmbnet_hof_back_arm(struct vmbnet_hof_back *b);

/* For ops->commit: checkpoint @chan before its publish. */
void vmbnet_hof_back_commit(struct vmbnet_hof_back *b, uint32_t chan);

/* Clean shutdown: complete what is in flight on every channel (as a close
 * would), then fini.
 */
void vmbnet_hof_back_shutdown(struct vmbnet_hof_back *b);

#endif /* VMBNET_HOF_H */
