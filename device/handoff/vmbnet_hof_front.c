// SPDX-License-Identifier: MIT
/*
 * vmbnet hand-off, front end: the side that keeps the control plane (QEMU's
 * vmbnet-pci, or the native benchmark). See vmbnet_hof.h and transport/SPEC.md section 6.
 */
#ifndef _GNU_SOURCE /* QEMU defines it */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmbnet_hof.h"

static struct vmbnet_hof_front *chan_front(struct vmbnet_channel *ch)
{
	return ch->priv;
}

static void front_event(struct vmbnet_hof_front *f, const char *what, int err)
{
	if (f->ops && f->ops->event)
		f->ops->event(f->opaque, what, err);
}

#define FENCE_TIMEOUT_MS 2000

/*
 * The backend's process, as a pidfd taken when it connects (hostile-peers
 * bug 7: a pid read from SO_PEERCRED at fence time may belong to another
 * process by then). If the socket is already hung up the process may be
 * gone and its pid reused: no pidfd.
 */
static void front_take_peer(struct vmbnet_hof_front *f)
{
	struct pollfd p = { .fd = f->sock, .events = POLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);

	f->peer_pidfd = -1;
	f->peer_is_self = false;
	if (getsockopt(f->sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.pid <= 0)
		return;
	if (cred.pid == getpid()) {
		f->peer_is_self = true;
		return;
	}
	f->peer_pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	if (f->peer_pidfd >= 0 && poll(&p, 1, 0) == 1 && p.revents & (POLLHUP | POLLERR)) {
		close(f->peer_pidfd);
		f->peer_pidfd = -1;
	}
}

/* Has the process behind @pidfd exited? (pidfds poll readable then.) */
static bool pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

/* A backend we could not fence: gone by now? */
static bool front_unfenced_gone(struct vmbnet_hof_front *f)
{
	if (!f->unfenced)
		return true;
	if (!pidfd_exited(f->unfenced_pidfd))
		return false;
	close(f->unfenced_pidfd);
	f->unfenced_pidfd = -1;
	f->unfenced = false;
	front_event(f, "unfenced-backend-gone", 0);
	return true;
}

/*
 * A backend that stopped answering (stopped, throttled, stuck) or broke the
 * protocol may still be alive and may still write to the rings. Before the
 * front end fails its packets or a successor resumes them, it must be gone:
 * SIGKILL it through the pidfd taken at accept and wait until it died. If
 * that cannot be done it is not taken for dead (hostile-peers bug 7).
 */
static void front_fence(struct vmbnet_hof_front *f)
{
	struct pollfd p = { .fd = f->peer_pidfd, .events = POLLIN };

	if (f->peer_pidfd < 0 || syscall(SYS_pidfd_send_signal, f->peer_pidfd, SIGKILL, NULL, 0) ||
	    poll(&p, 1, FENCE_TIMEOUT_MS) != 1) {
		f->stats.fence_failed++;
		f->unfenced = true;
		f->unfenced_pidfd = f->peer_pidfd; /* -1: we will never know */
		f->peer_pidfd = -1;
		front_event(f,
			    f->peer_is_self ? "backend-not-fenced: a thread of ours" :
					      "backend-not-fenced",
			    -errno);
		return;
	}
	f->stats.fenced++;
	front_event(f, "backend-fenced", 0);
}

/* The backend is gone or broke the protocol: forget it. Open channels stay
 * open; the next backend resumes them. With @fence the backend may still
 * be alive: make sure it is not.
 */
static void front_drop(struct vmbnet_hof_front *f, const char *why, int err, bool fence)
{
	if (f->sock < 0)
		return;
	if (fence)
		front_fence(f);
	if (f->peer_pidfd >= 0)
		close(f->peer_pidfd);
	f->peer_pidfd = -1;
	close(f->sock);
	f->sock = -1;
	/* what it never answered completes as with no backend */
	while (f->npending) {
		struct vmbnet_hof_pending r = f->pending[f->pending_head];

		f->pending_head = (f->pending_head + 1) % VMBNET_HOF_PENDING;
		f->npending--;
		r.done(f, -ENOTCONN, r.ctx);
	}
	f->stats.disconnects++;
	front_event(f, why, err);
}

/*
 * The backend answered the guest's subchannel request (NVSP 133) with
 * @m->count subchannels: offer those not offered yet. The guest may have
 * closed the primary meanwhile (its CLOSE can overtake the backend's
 * message): then there is nothing to offer, and the backend did no wrong.
 */
static void front_offer(struct vmbnet_hof_front *f, const struct vmb_hof_offer *m)
{
	struct vmbnet_host *h = f->host;

	if (!h->subch_on_request || h->chan[0].state != VMBNET_CHAN_OPEN) {
		front_event(f, "backend-offer-ignored: no open primary in Hyper-V's model", 0);
		return;
	}
	vmbnet_host_offer_subchannels(h, m->count);
	front_event(f, "backend-offer", 0);
}

#define TOOK_UNASKED 2 /* front_take_ack(): an OFFER, handled */

/*
 * Read one message, which must be the ACK of @seq or an OFFER: 1 with the
 * ACK's status (0 or -errno: a positive status is a protocol error, never
 * success, hostile-peers bug 8) in *@status and value in *@value;
 * TOOK_UNASKED after handling an OFFER; 0 when nothing is waiting; -1
 * after dropping a backend that hung up or broke the protocol.
 */
static int front_take_ack(struct vmbnet_hof_front *f, uint32_t seq, int *status, uint32_t *value)
{
	struct vmb_hof_ack ack;
	uint8_t buf[VMB_HOF_MSG_MAX];
	int fds[VMB_HOF_MAX_FDS], ret;
	unsigned int nfds;
	const char *why;

	ret = vmbnet_hof_recv(f->sock, buf, fds, &nfds);
	if (ret == -EAGAIN)
		return 0;
	if (ret > 0 && vmbnet_hof_check(buf, (uint32_t)ret, nfds, &why) == 0) {
		memcpy(&ack, buf, sizeof(ack.hdr));
		if (ack.hdr.type == VMB_HOF_OFFER) {
			struct vmb_hof_offer o;

			memcpy(&o, buf, sizeof(o));
			front_offer(f, &o);
			return TOOK_UNASKED;
		}
		if (ack.hdr.type == VMB_HOF_ACK)
			memcpy(&ack, buf, sizeof(ack));
		if (ack.hdr.type == VMB_HOF_ACK && ack.req_seq == seq && ack.status <= 0) {
			*status = ack.status;
			if (value)
				*value = ack.value;
			return 1;
		}
		ret = -EPROTO;
	}
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	if (ret == 0)
		front_drop(f, "backend-hangup", 0, false);
	else
		front_drop(f, "backend-protocol-error", ret < 0 ? ret : -EPROTO, true);
	return -1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for the ACK of @seq (handling OFFERs that come before it); its
 * status, or -errno after dropping the backend.
 */
static int front_wait_ack(struct vmbnet_hof_front *f, uint32_t seq, uint32_t *value)
{
	uint64_t deadline = mono_ms() + VMBNET_HOF_ACK_TIMEOUT_MS, now;
	struct pollfd p = { .fd = f->sock, .events = POLLIN };
	int ret, status;

	do {
		now = mono_ms();
		do
			ret = poll(&p, 1, now < deadline ? (int)(deadline - now) : 0);
		while (ret < 0 && errno == EINTR);
		if (ret <= 0) {
			front_drop(f, "backend-timeout", ret ? -errno : -ETIMEDOUT, true);
			return -ETIMEDOUT;
		}
		ret = front_take_ack(f, seq, &status, value);
	} while (ret == TOOK_UNASKED);
	if (ret > 0)
		return status;
	if (!ret) /* readable, then nothing: a broken peer */
		front_drop(f, "backend-protocol-error", -EPROTO, true);
	return -ENOTCONN;
}

/* The oldest unanswered request, answered with @status. */
static void pending_pop(struct vmbnet_hof_front *f, int status)
{
	struct vmbnet_hof_pending r = f->pending[f->pending_head];

	f->pending_head = (f->pending_head + 1) % VMBNET_HOF_PENDING;
	f->npending--;
	r.done(f, status, r.ctx);
}

/* Wait for the ACKs of every request sent without waiting (rare paths
 * only: reset, the replay, a full queue).
 */
static void front_flush(struct vmbnet_hof_front *f)
{
	while (f->npending && f->sock >= 0) {
		int st = front_wait_ack(f, f->pending[f->pending_head].seq, NULL);

		if (f->sock < 0)
			break; /* dropped: every request completed with -ENOTCONN */
		pending_pop(f, st);
	}
}

static int front_send(struct vmbnet_hof_front *f, void *msg, uint32_t len, uint32_t type,
		      const int *fds, unsigned int nfds)
{
	struct vmb_hof_hdr *h = msg;
	int err;

	h->type = type;
	h->len = len;
	h->seq = ++f->seq;
	h->reserved = 0;
	err = vmbnet_hof_send(f->sock, msg, len, fds, nfds);
	if (err) {
		front_drop(f, "backend-send-failed", err, err != -EPIPE);
		return -ENOTCONN;
	}
	f->stats.msgs++;
	return 0;
}

/*
 * Send a request and return at once; @done gets its status when the ACK
 * comes (vmbnet_hof_front_sock_event), or -ENOTCONN when the backend goes
 * first. 0, or -ENOTCONN when there is no backend (@done is not called).
 * Hostile-peers bug 9: nothing waits for a backend on the thread that
 * delivered the guest's message.
 */
static int front_async(struct vmbnet_hof_front *f, void *msg, uint32_t len, uint32_t type,
		       const int *fds, unsigned int nfds,
		       void (*done)(struct vmbnet_hof_front *f, int status, uintptr_t ctx),
		       uintptr_t ctx)
{
	struct vmbnet_hof_pending *r;

	if (f->sock >= 0 && f->npending == VMBNET_HOF_PENDING)
		front_flush(f);
	if (f->sock < 0 || front_send(f, msg, len, type, fds, nfds))
		return -ENOTCONN;
	r = &f->pending[(f->pending_head + f->npending) % VMBNET_HOF_PENDING];
	r->seq = ((struct vmb_hof_hdr *)msg)->seq;
	r->deadline_ms = mono_ms() + VMBNET_HOF_ACK_TIMEOUT_MS;
	r->done = done;
	r->ctx = ctx;
	f->npending++;
	return 0;
}

/* Send a request and wait for its ACK. Returns the backend's status, or
 * -ENOTCONN when there is no backend (any more).
 */
static int front_request(struct vmbnet_hof_front *f, void *msg, uint32_t len, uint32_t type,
			 const int *fds, unsigned int nfds, uint32_t *value)
{
	struct vmb_hof_hdr *h = msg;

	front_flush(f); /* ACKs come in order: theirs first */
	if (f->sock < 0 || front_send(f, msg, len, type, fds, nfds))
		return -ENOTCONN;
	return front_wait_ack(f, h->seq, value);
}

/* GPADL @g's pfns from @first, as one GPADL message in @m; its length. */
static uint32_t gpadl_piece(struct vmb_hof_gpadl *m, const struct vmbnet_gpadl *g, uint32_t first)
{
	uint32_t left = g->npages - first;

	memset(m, 0, sizeof(*m));
	m->id = g->id;
	m->relid = g->relid;
	m->npages = g->npages;
	m->first = first;
	m->count = left < VMB_HOF_GPADL_CHUNK ? left : VMB_HOF_GPADL_CHUNK;
	memcpy(m->pfn, g->pfns + first, m->count * sizeof(uint64_t));
	return (uint32_t)(sizeof(*m) + m->count * sizeof(uint64_t));
}

static int front_send_gpadl(struct vmbnet_hof_front *f, const struct vmbnet_gpadl *g)
{
	uint8_t buf[sizeof(struct vmb_hof_gpadl) + VMB_HOF_GPADL_CHUNK * sizeof(uint64_t)];
	struct vmb_hof_gpadl *m = (struct vmb_hof_gpadl *)buf;
	int err = 0;

	for (uint32_t first = 0; first < g->npages && !err; first += m->count)
		err = front_request(f, m, gpadl_piece(m, g, first), VMB_HOF_GPADL, NULL, 0, NULL);
	return err;
}

/* The CHAN_OPEN of @ch, with @flags besides the guest's offer model. */
static void open_msg(struct vmb_hof_chan_open *m, const struct vmbnet_channel *ch, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->index = ch->index;
	m->gpadl = ch->gpadl;
	m->downstream_offset = (uint32_t)(ch->in.size / VMB_PAGE_SIZE + 1);
	m->flags = flags | (ch->host->subch_on_request ? VMB_HOF_OPEN_SUBCH_ON_REQUEST : 0);
}

static int front_send_open(struct vmbnet_hof_front *f, struct vmbnet_channel *ch, uint32_t flags)
{
	struct vmb_hof_chan_open m;
	int fds[2] = { f->kick[ch->index], f->call[ch->index] };

	open_msg(&m, ch, flags);
	return front_request(f, &m, sizeof(m), VMB_HOF_CHAN_OPEN, fds, 2, NULL);
}

static int front_send_link(struct vmbnet_hof_front *f)
{
	struct vmb_hof_link m = { .up = f->link_up };

	return front_request(f, &m, sizeof(m), VMB_HOF_LINK, NULL, 0, NULL);
}

static int front_send_regions(struct vmbnet_hof_front *f)
{
	struct vmbnet_hof_region r[VMB_HOF_MAX_REGIONS];
	int n = f->ops->regions(f->opaque, r, VMB_HOF_MAX_REGIONS), err = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n && !err; i++) {
		struct vmb_hof_mem_region m = {
			.gpa = r[i].gpa,
			.size = r[i].size,
			.fd_offset = r[i].fd_offset,
		};

		err = front_request(f, &m, sizeof(m), VMB_HOF_MEM_REGION, &r[i].fd, 1, NULL);
	}
	return err;
}

/* Give a new backend everything: memory, GPADLs, open channels, link. */
static int front_replay(struct vmbnet_hof_front *f)
{
	struct vmbnet_host *h = f->host;
	struct vmb_hof_hello hello = { .version = VMB_HOF_VERSION,
				       .nchan = h->nchan,
				       .mtu = f->mtu,
				       .link_up = f->link_up,
				       .state_size = f->state_size };
	struct vmb_hof_hdr start;
	uint32_t version = 0;
	int err;

	memcpy(hello.mac, h->mac, sizeof(hello.mac));
	err = front_request(f, &hello, sizeof(hello), VMB_HOF_HELLO, &f->state_fd, 1, &version);
	if (!err && version != VMB_HOF_VERSION)
		err = -EPROTONOSUPPORT;
	if (!err)
		err = front_send_regions(f);
	for (unsigned int i = 0; i < VMBNET_MAX_GPADLS && !err; i++)
		if (h->gpadl[i].id && h->gpadl[i].created)
			err = front_send_gpadl(f, &h->gpadl[i]);
	for (uint32_t i = 0; i < h->nchan && !err; i++) {
		if (h->chan[i].state != VMBNET_CHAN_OPEN)
			continue;
		err = front_send_open(f, &h->chan[i], VMB_HOF_OPEN_RESUME);
		if (err && err != -ENOTCONN) {
			/* This channel cannot be served (the guest sees it broken
			 * and closes it); the others can.
			 */
			vmbnet_chan_guest_error(&h->chan[i], "backend cannot resume the channel",
						true);
			front_event(f, "backend-resume-failed", err);
			err = 0;
		}
	}
	if (!err)
		err = front_send_link(f);
	if (!err)
		err = front_request(f, &start, sizeof(start), VMB_HOF_START, NULL, 0, NULL);
	return err;
}

int vmbnet_hof_front_accept(struct vmbnet_hof_front *f)
{
	int s = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC), err;

	if (s < 0)
		return -errno;
	if (f->sock >= 0) /* gone without us noticing yet? */
		vmbnet_hof_front_sock_event(f);
	if (f->sock >= 0 || !front_unfenced_gone(f)) {
		close(s); /* one backend at a time, and never beside an unfenced one */
		f->stats.rejected++;
		front_event(f,
			    f->sock >= 0 ? "backend-refused" :
					   "backend-refused: the previous one may still run",
			    -EBUSY);
		return -EBUSY;
	}
	f->sock = s;
	front_take_peer(f);
	f->stats.connects++;
	front_event(f, "backend-connected", 0);
	err = front_replay(f);
	if (err) {
		front_drop(f, "backend-replay-failed", err, err != -ENOTCONN);
		return err;
	}
	front_event(f, "backend-started", 0);
	return 0;
}

void vmbnet_hof_front_sock_event(struct vmbnet_hof_front *f)
{
	int status, ret;

	/* With nothing outstanding only an OFFER or a hang-up is legal: seq 0
	 * is never a request's.
	 */
	while (f->sock >= 0) {
		ret = front_take_ack(f, f->npending ? f->pending[f->pending_head].seq : 0, &status,
				     NULL);
		if (ret == 1)
			pending_pop(f, status);
		else if (ret != TOOK_UNASKED)
			break;
	}
}

int vmbnet_hof_front_next_timeout_ms(const struct vmbnet_hof_front *f)
{
	uint64_t now = mono_ms(), at;

	if (!f->npending)
		return -1;
	at = f->pending[f->pending_head].deadline_ms;
	return at <= now ? 0 : (int)(at - now);
}

void vmbnet_hof_front_expire(struct vmbnet_hof_front *f)
{
	if (f->npending && f->pending[f->pending_head].deadline_ms <= mono_ms())
		front_drop(f, "backend-timeout", -ETIMEDOUT, true);
}

static void done_nothing(struct vmbnet_hof_front *f, int status, uintptr_t ctx)
{
}

void vmbnet_hof_front_set_link(struct vmbnet_hof_front *f, bool up)
{
	struct vmb_hof_link m = { .up = up };

	f->link_up = up; /* a backend that comes later gets it in the replay */
	front_async(f, &m, sizeof(m), VMB_HOF_LINK, NULL, 0, done_nothing, 0);
}

int vmbnet_hof_front_fault(struct vmbnet_hof_front *f, uint32_t op, const char *text)
{
	uint8_t buf[sizeof(struct vmb_hof_fault) + VMB_HOF_FAULT_TEXT_MAX];
	struct vmb_hof_fault *m = (struct vmb_hof_fault *)buf;
	size_t len = strlen(text);

	if (!len || len > VMB_HOF_FAULT_TEXT_MAX)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->op = op;
	m->len = (uint32_t)len;
	memcpy(m->text, text, len);
	return front_request(f, m, (uint32_t)(sizeof(*m) + len), VMB_HOF_FAULT, NULL, 0, NULL);
}

void vmbnet_hof_front_reset(struct vmbnet_hof_front *f)
{
	struct vmb_hof_hdr m;

	memset(f->state->chan, 0, (size_t)f->host->nchan * sizeof(f->state->chan[0]));
	front_request(f, &m, sizeof(m), VMB_HOF_RESET, NULL, 0, NULL);
}

/* ---- the channel handler ------------------------------------------------- */

static void done_open(struct vmbnet_hof_front *f, int status, uintptr_t ctx)
{
	/* no backend (any more): the next one serves it */
	vmbnet_host_op_done(f->host, VMBNET_OP_OPEN, status == -ENOTCONN ? 0 : status);
}

static int front_open(struct vmbnet_channel *ch)
{
	struct vmbnet_hof_front *f = chan_front(ch);
	struct vmb_hof_chan_open m;
	int fds[2] = { f->kick[ch->index], f->call[ch->index] }, err;

	open_msg(&m, ch, 0);
	memset(&f->state->chan[ch->index], 0, sizeof(f->state->chan[0]));
	if (!ch->host->async_ok) {
		err = front_send_open(f, ch, 0);
		return err == -ENOTCONN ? 0 : err;
	}
	err = front_async(f, &m, sizeof(m), VMB_HOF_CHAN_OPEN, fds, 2, done_open, 0);
	return err == -ENOTCONN ? 0 : -EINPROGRESS;
}

static void front_doorbell(struct vmbnet_channel *ch)
{
	struct vmbnet_hof_front *f = chan_front(ch);
	uint64_t one = 1;

	if (write(f->kick[ch->index], &one, sizeof(one)) != sizeof(one))
		front_event(f, "kick-failed", -errno);
}

/* The backend answered CHAN_CLOSE with @err (or there is none). */
static void close_done(struct vmbnet_hof_front *f, struct vmbnet_channel *ch, int err)
{
	int n;

	if (err && !front_unfenced_gone(f)) {
		/* A backend that may still run may still complete them. */
		front_event(f, "close: in-flight packets left to an unfenced backend", -EBUSY);
	} else if (err) {
		/* Nobody serves the channel: answer what the guest queued. */
		n = vmbnet_nic_fail_in_flight(ch, &f->state->chan[ch->index]);
		if (n > 0)
			f->stats.failed_in_flight += (uint64_t)n;
		else if (n < 0)
			front_event(f, "close-without-backend: rings inconsistent", n);
	}
	memset(&f->state->chan[ch->index], 0, sizeof(f->state->chan[0]));
}

static void front_close(struct vmbnet_channel *ch)
{
	struct vmbnet_hof_front *f = chan_front(ch);
	struct vmb_hof_chan_close m = { .index = ch->index };

	close_done(f, ch, front_request(f, &m, sizeof(m), VMB_HOF_CHAN_CLOSE, NULL, 0, NULL));
}

static void done_close(struct vmbnet_hof_front *f, int status, uintptr_t index)
{
	struct vmbnet_host *h = f->host;

	if (h->op.type == VMBNET_OP_CLOSE && h->op.closing & (1u << index)) {
		close_done(f, &h->chan[index], status);
		vmbnet_host_close_done(h, (uint32_t)index);
	}
}

static int front_close_async(struct vmbnet_channel *ch)
{
	struct vmbnet_hof_front *f = chan_front(ch);
	struct vmb_hof_chan_close m = { .index = ch->index };

	if (front_async(f, &m, sizeof(m), VMB_HOF_CHAN_CLOSE, NULL, 0, done_close, ch->index)) {
		close_done(f, ch, -ENOTCONN); /* no backend: answered here */
		return 0;
	}
	return -EINPROGRESS;
}

static void done_gpadl_piece(struct vmbnet_hof_front *f, int status, uintptr_t last)
{
	if (status && status != -ENOTCONN && !f->gpadl_err)
		f->gpadl_err = (uint32_t)status;
	if (last)
		vmbnet_host_op_done(f->host, VMBNET_OP_GPADL_CREATED, (int)f->gpadl_err);
}

static int front_gpadl_created(struct vmbnet_host *h, const struct vmbnet_gpadl *g)
{
	uint8_t buf[sizeof(struct vmb_hof_gpadl) + VMB_HOF_GPADL_CHUNK * sizeof(uint64_t)];
	struct vmb_hof_gpadl *m = (struct vmb_hof_gpadl *)buf;
	struct vmbnet_hof_front *f = h->chan[0].priv;
	int err;

	if (!h->async_ok) {
		err = front_send_gpadl(f, g);
		return err == -ENOTCONN ? 0 : err; /* no backend: the replay gives it */
	}
	f->gpadl_err = 0;
	for (uint32_t first = 0; first < g->npages; first += m->count) {
		uint32_t len = gpadl_piece(m, g, first);

		if (front_async(f, m, len, VMB_HOF_GPADL, NULL, 0, done_gpadl_piece,
				first + m->count == g->npages))
			return 0; /* the backend went: the replay gives it to the next */
	}
	return -EINPROGRESS;
}

/* With no backend to ask: does a checkpoint of an open channel name @id
 * as its receive or send buffer?
 */
static bool front_gpadl_in_checkpoint(struct vmbnet_hof_front *f, uint32_t id)
{
	for (uint32_t i = 0; i < f->host->nchan; i++) {
		const struct vmb_hof_chan_state *st = &f->state->chan[i];

		if (f->host->chan[i].state == VMBNET_CHAN_OFFERED)
			continue;
		for (int k = 0; k < 2; k++)
			if (st->slot[k].seq &&
			    (st->slot[k].rx_gpadl == id || st->slot[k].tx_gpadl == id))
				return true;
	}
	return false;
}

/* What the guest is told of a teardown the backend answered with @err. */
static int teardown_result(struct vmbnet_hof_front *f, uint32_t id, int err)
{
	if (err == -ENOTCONN)
		return front_gpadl_in_checkpoint(f, id) ? -EBUSY : 0;
	return err == -EBUSY ? -EBUSY : 0; /* a GPADL it never got is not in use */
}

static void done_teardown(struct vmbnet_hof_front *f, int status, uintptr_t id)
{
	vmbnet_host_op_done(f->host, VMBNET_OP_GPADL_TEARDOWN,
			    teardown_result(f, (uint32_t)id, status));
}

static int front_gpadl_teardown(struct vmbnet_host *h, const struct vmbnet_gpadl *g)
{
	struct vmbnet_hof_front *f = h->chan[0].priv;
	struct vmb_hof_gpadl_teardown m = { .id = g->id };

	if (!h->async_ok)
		return teardown_result(f, g->id,
				       front_request(f, &m, sizeof(m), VMB_HOF_GPADL_TEARDOWN, NULL,
						     0, NULL));
	if (front_async(f, &m, sizeof(m), VMB_HOF_GPADL_TEARDOWN, NULL, 0, done_teardown, g->id))
		return teardown_result(f, g->id, -ENOTCONN);
	return -EINPROGRESS;
}

const struct vmbnet_chan_handler vmbnet_hof_front_handler = {
	.open = front_open,
	.doorbell = front_doorbell,
	.close = front_close,
	.gpadl_created = front_gpadl_created,
	.gpadl_teardown = front_gpadl_teardown,
	.close_async = front_close_async,
};

/* ---- set-up ----------------------------------------------------------- */

static int front_listen(struct vmbnet_hof_front *f, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0)
		return -errno;
	unlink(path);
	if (bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) || listen(f->listen_fd, 1))
		return -errno;
	return 0;
}

static int front_state(struct vmbnet_hof_front *f, uint32_t nchan)
{
	f->state_size = (vmb_hof_state_size(nchan) + VMB_PAGE_SIZE - 1) &
			~(uint64_t)(VMB_PAGE_SIZE - 1);
	f->state_fd = memfd_create("vmbnet-hof-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f->state_fd < 0 || ftruncate(f->state_fd, (off_t)f->state_size) ||
	    fcntl(f->state_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		return -errno;
	f->state = mmap(NULL, f->state_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->state_fd, 0);
	if (f->state == MAP_FAILED) {
		f->state = NULL;
		return -errno;
	}
	f->state->magic = VMB_HOF_MAGIC;
	f->state->version = VMB_HOF_VERSION;
	f->state->nchan = nchan;
	return 0;
}

int vmbnet_hof_front_init(struct vmbnet_hof_front *f, struct vmbnet_host *host, const char *path,
			  uint32_t mtu, const struct vmbnet_hof_front_ops *ops, void *opaque)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->host = host;
	f->ops = ops;
	f->opaque = opaque;
	f->mtu = mtu;
	f->link_up = true;
	f->sock = f->listen_fd = f->state_fd = -1;
	f->peer_pidfd = f->unfenced_pidfd = -1;
	for (unsigned int i = 0; i < VMB_HOF_MAX_CHANNELS; i++)
		f->kick[i] = f->call[i] = -1;
	if (host->nchan > VMB_HOF_MAX_CHANNELS || !ops || !ops->regions)
		return -EINVAL;
	for (uint32_t i = 0; i < host->nchan; i++) {
		host->chan[i].priv = f;
		f->kick[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->kick[i] < 0 || f->call[i] < 0)
			goto fail;
	}
	err = front_state(f, host->nchan);
	if (!err)
		err = front_listen(f, path);
	if (!err)
		return 0;
	vmbnet_hof_front_fini(f);
	return err;
fail:
	err = -errno;
	vmbnet_hof_front_fini(f);
	return err;
}

void vmbnet_hof_front_fini(struct vmbnet_hof_front *f)
{
	front_drop(f, "front-end-closed", 0, false);
	if (f->unfenced_pidfd >= 0)
		close(f->unfenced_pidfd);
	f->unfenced_pidfd = -1;
	if (f->listen_fd >= 0) {
		close(f->listen_fd);
		unlink(f->path);
	}
	for (unsigned int i = 0; i < VMB_HOF_MAX_CHANNELS; i++) {
		if (f->kick[i] >= 0)
			close(f->kick[i]);
		if (f->call[i] >= 0)
			close(f->call[i]);
		f->kick[i] = f->call[i] = -1;
	}
	if (f->state)
		munmap(f->state, f->state_size);
	if (f->state_fd >= 0)
		close(f->state_fd);
	f->state = NULL;
	f->listen_fd = f->state_fd = -1;
}
