// SPDX-License-Identifier: MIT
/*
 * vmbnet hand-off, back end: mirrors the front end's control plane into a
 * vmbnet_host + vmbnet_nic over the guest RAM it maps. Every message is
 * checked before it is used; a bad one is answered with an error status and
 * counted, never trusted. See vmbnet_hof.h and transport/SPEC.md section 6.
 */
#ifndef _GNU_SOURCE /* QEMU defines it */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmbnet_fault.h"
#include "vmbnet_hof.h"
#include "vmbnet_nic_priv.h"

/* ---- guest memory ------------------------------------------------------- */

static void *back_map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vmbnet_hof_back *b = opaque;

	for (unsigned int i = 0; i < b->nmap; i++) {
		const struct vmbnet_hof_mapping *m = &b->map[i];

		/* Within one region only: a range that crosses a region boundary
		 * is not contiguous in our address space.
		 */
		if (gpa >= m->gpa && gpa - m->gpa < m->size && len <= m->size - (gpa - m->gpa))
			return m->va + (gpa - m->gpa);
	}
	return NULL;
}

static void back_unmap(void *opaque, void *ptr, uint64_t len)
{
	/* regions stay mapped for the backend's life */
}

static bool back_page_ok(void *opaque, uint64_t pfn)
{
	return pfn < (UINT64_MAX >> VMB_PAGE_SHIFT) &&
	       back_map(opaque, pfn << VMB_PAGE_SHIFT, VMB_PAGE_SIZE) != NULL;
}

static void back_notify(void *opaque, unsigned int vec)
{
	struct vmbnet_hof_back *b = opaque;
	uint64_t one = 1;

	if (vec >= VMB_PCI_VEC_CHANNEL(0) && vec < VMB_PCI_VEC_CHANNEL(b->host.nchan) &&
	    b->call[vec - VMB_PCI_VEC_CHANNEL(0)] >= 0)
		(void)!write(b->call[vec - VMB_PCI_VEC_CHANNEL(0)], &one, sizeof(one));
}

static void back_guest_error(void *opaque, const char *what)
{
	struct vmbnet_hof_back *b = opaque;

	b->last_error = what;
}

/* The guest asked for subchannels: the front end offers them (the ACK-less
 * message of vmb_handoff.h). A front end that is gone offers nothing, and the
 * next backend's replay does not either: the guest asks again when it
 * reattaches.
 */
static void back_offer(void *opaque, uint32_t count)
{
	struct vmbnet_hof_back *b = opaque;
	struct vmb_hof_offer m = { .hdr = { VMB_HOF_OFFER, sizeof(m), 0, 0 }, .count = count };

	if (b->sock < 0 || vmbnet_hof_send(b->sock, &m, sizeof(m), NULL, 0))
		b->last_error = "OFFER: the front end is gone";
	else
		b->stats.offers++;
}

static const struct vmbnet_host_ops back_host_ops = {
	.map = back_map,
	.unmap = back_unmap,
	.page_ok = back_page_ok,
	.notify = back_notify,
	.guest_error = back_guest_error,
	.offer_subchannels = back_offer,
};

/* Is any channel open? */
static bool back_any_open(const struct vmbnet_hof_back *b)
{
	for (uint32_t i = 0; i < b->host.nchan; i++)
		if (b->host.chan[i].state != VMBNET_CHAN_OFFERED)
			return true;
	return false;
}

/* ---- messages ------------------------------------------------------------ */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Map @size bytes of @fd at @off, after checking the file is that long and
 * sealed against shrinking (touching a mapping beyond the end of a file is
 * SIGBUS, and the front end must not be able to cause that later).
 */
static void *map_fd(int fd, uint64_t off, uint64_t size)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	void *p;

	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return NULL;
	if (fstat(fd, &st) || st.st_size < 0 || off > (uint64_t)st.st_size ||
	    size > (uint64_t)st.st_size - off)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	return p == MAP_FAILED ? NULL : p;
}

/* The mirror is past the guest's contact and offers: which channels the
 * guest may use is the front end's to check, so every one is on offer here.
 */
static void back_connected(struct vmbnet_hof_back *b)
{
	b->host.connected = true;
	b->host.offered = (uint32_t)((1ull << b->host.nchan) - 1);
}

static int back_hello(struct vmbnet_hof_back *b, const struct vmb_hof_hello *m, int *fds,
		      const struct vmbnet_nic_ops *ops, void *opaque)
{
	if (b->hello)
		return -EALREADY;
	if (m->version != VMB_HOF_VERSION)
		return -EPROTONOSUPPORT;
	if (!m->nchan || m->nchan > VMB_HOF_MAX_CHANNELS || m->mtu < VMB_PCI_MTU_MIN ||
	    m->mtu > VMBNET_MAX_FRAME || m->state_size < vmb_hof_state_size(m->nchan) ||
	    m->state_size > vmb_hof_state_size(VMB_HOF_MAX_CHANNELS) + VMB_PAGE_SIZE)
		return -EINVAL;
	b->state = map_fd(fds[0], 0, m->state_size);
	if (!b->state)
		return -EINVAL;
	b->state_size = m->state_size;
	if (b->state->magic != VMB_HOF_MAGIC || b->state->nchan != m->nchan) {
		munmap(b->state, b->state_size);
		b->state = NULL;
		return -EINVAL;
	}
	if (vmbnet_host_init(&b->host, m->nchan, m->mac, &back_host_ops, b, &vmbnet_nic_handler))
		return -EINVAL;
	vmbnet_nic_init(&b->nic, &b->host, m->mtu, ops, opaque);
	b->nic.faults = b->faults;
	b->nic.link_up = !!m->link_up;
	b->nic.busy_poll = b->busy_poll;
	back_connected(b);
	b->state->generation++;
	b->hello = true;
	return 0;
}

static int back_region(struct vmbnet_hof_back *b, const struct vmb_hof_mem_region *m, int fd)
{
	uint64_t mask = VMB_PAGE_SIZE - 1;
	void *va;

	if (b->nmap == VMB_HOF_MAX_REGIONS)
		return -ENOSPC;
	if (!m->size || (m->gpa | m->size | m->fd_offset) & mask || m->gpa + m->size < m->gpa)
		return -EINVAL;
	for (unsigned int i = 0; i < b->nmap; i++)
		if (m->gpa < b->map[i].gpa + b->map[i].size && b->map[i].gpa < m->gpa + m->size)
			return -EEXIST;
	va = map_fd(fd, m->fd_offset, m->size);
	if (!va)
		return -EINVAL;
	b->map[b->nmap].gpa = m->gpa;
	b->map[b->nmap].size = m->size;
	b->map[b->nmap].va = va;
	b->nmap++;
	return 0;
}

static int back_chan_open(struct vmbnet_hof_back *b, const struct vmb_hof_chan_open *m, int *fds)
{
	bool on_request = m->flags & VMB_HOF_OPEN_SUBCH_ON_REQUEST;
	int err;

	if (m->index >= b->host.nchan ||
	    m->flags & ~(VMB_HOF_OPEN_RESUME | VMB_HOF_OPEN_SUBCH_ON_REQUEST))
		return -EINVAL;
	/* one offer model while any channel is open: the guest chose it */
	if (back_any_open(b) && on_request != b->host.subch_on_request)
		return -EINVAL;
	b->host.subch_on_request = on_request;
	close_fd(&b->kick[m->index]);
	close_fd(&b->call[m->index]);
	b->kick[m->index] = fds[0];
	b->call[m->index] = fds[1];
	fds[0] = fds[1] = -1;
	err = vmbnet_host_import_open(&b->host, m->index, m->gpadl, m->downstream_offset);
	if (err)
		return err;
	if (m->flags & VMB_HOF_OPEN_RESUME) {
		err = vmbnet_nic_resume(&b->nic, m->index, &b->state->chan[m->index]);
		if (!err)
			b->stats.resumed++;
	}
	return err;
}

/* A fault rule added or removed (framing checked: op and length). */
static int back_fault(struct vmbnet_hof_back *b, const uint8_t *msg)
{
	struct vmb_hof_fault m;
	char text[VMB_HOF_FAULT_TEXT_MAX + 1], err[256] = "";
	int ret;

	memcpy(&m, msg, sizeof(m));
	if (!b->faults)
		return -EOPNOTSUPP;
	memcpy(text, msg + sizeof(m), m.len);
	text[m.len] = 0;
	if (m.op == VMB_HOF_FAULT_REMOVE)
		return vmbnet_fault_remove(b->faults, text);
	ret = vmbnet_fault_add_json(b->faults, text, err, sizeof(err));
	if (ret)
		b->last_error = "FAULT: a rule the engine cannot take";
	return ret;
}

/* Dispatch a checked message; needs HELLO first. */
static int back_dispatch(struct vmbnet_hof_back *b, const uint8_t *msg, uint32_t type, int *fds,
			 const struct vmbnet_nic_ops *ops, void *opaque)
{
	union {
		struct vmb_hof_mem_region r;
		struct vmb_hof_gpadl g;
		struct vmb_hof_gpadl_teardown t;
		struct vmb_hof_chan_open o;
		struct vmb_hof_chan_close c;
		struct vmb_hof_link l;
		struct vmb_hof_hello h;
	} m;

	/* the variable-size ones are read where they are handled */
	memcpy(&m, msg,
	       type == VMB_HOF_GPADL ? sizeof(m.g) :
	       type == VMB_HOF_FAULT ? 0 :
				       ((const struct vmb_hof_hdr *)msg)->len);
	if (type == VMB_HOF_HELLO)
		return back_hello(b, &m.h, fds, ops, opaque);
	if (!b->hello)
		return -EPROTO; /* HELLO comes first */
	switch (type) {
	case VMB_HOF_MEM_REGION:
		return back_region(b, &m.r, fds[0]);
	case VMB_HOF_GPADL: {
		uint64_t pfn[VMB_HOF_GPADL_CHUNK];

		memcpy(pfn, msg + sizeof(m.g), m.g.count * sizeof(uint64_t));
		return vmbnet_host_import_gpadl(&b->host, m.g.relid, m.g.id, m.g.npages, m.g.first,
						m.g.count, pfn);
	}
	case VMB_HOF_GPADL_TEARDOWN:
		return vmbnet_host_import_teardown(&b->host, m.t.id);
	case VMB_HOF_CHAN_OPEN:
		return back_chan_open(b, &m.o, fds);
	case VMB_HOF_CHAN_CLOSE:
		return vmbnet_host_import_close(&b->host, m.c.index);
	case VMB_HOF_LINK:
		vmbnet_nic_set_link(&b->nic, m.l.up != 0);
		return 0;
	case VMB_HOF_RESET:
		vmbnet_host_reset(&b->host);
		back_connected(b);
		return 0;
	case VMB_HOF_START:
		b->started = true;
		return 0;
	case VMB_HOF_FAULT:
		return back_fault(b, msg);
	}
	return -EPROTO;
}

int vmbnet_hof_back_message(struct vmbnet_hof_back *b, const void *msg, uint32_t len, int *fds,
			    unsigned int nfds)
{
	struct vmb_hof_ack ack = { .hdr = { VMB_HOF_ACK, sizeof(ack), 0, 0 } };
	struct vmb_hof_hdr h = { 0 };
	const char *why;
	int err;

	b->stats.msgs++;
	if (len >= sizeof(h))
		memcpy(&h, msg, sizeof(h));
	err = vmbnet_hof_check(msg, len, nfds, &why);
	if (!err && (h.type == VMB_HOF_ACK || h.type == VMB_HOF_OFFER)) {
		why = "a backend's message from the front end";
		err = -EPROTO;
	}
	if (err) {
		b->stats.bad_msgs++;
		b->last_error = why;
	} else {
		err = back_dispatch(b, msg, h.type, fds, b->nic_ops, b->nic_opaque);
	}
	for (unsigned int i = 0; i < nfds; i++)
		close_fd(&fds[i]);
	ack.req_seq = h.seq;
	ack.status = err;
	ack.value = h.type == VMB_HOF_HELLO ? VMB_HOF_VERSION : 0;
	if (b->sock >= 0 && vmbnet_hof_send(b->sock, &ack, sizeof(ack), NULL, 0))
		return -EPIPE;
	return err;
}

int vmbnet_hof_back_control(struct vmbnet_hof_back *b)
{
	int fds[VMB_HOF_MAX_FDS];
	unsigned int nfds;
	int n;

	for (;;) {
		n = vmbnet_hof_recv(b->sock, b->buf, fds, &nfds);
		if (n == -EAGAIN)
			return 0;
		if (n == 0 || (n < 0 && n != -EMSGSIZE))
			return -ENOTCONN;
		if (n < 0)
			b->stats.bad_msgs++; /* truncated: nothing to answer to */
		else if (vmbnet_hof_back_message(b, b->buf, (uint32_t)n, fds, nfds) == -EPIPE)
			return -ENOTCONN;
	}
}

bool vmbnet_hof_back_poll(struct vmbnet_hof_back *b)
{
	bool work = false;

	if (b->started && b->nic.tick_ns != UINT64_MAX)
		vmbnet_nic_tick(&b->nic); /* what the faults hold back, when due */
	for (uint32_t i = 0; b->started && i < b->host.nchan; i++) {
		if (vmbnet_nic_pending(&b->nic, i)) {
			b->host.handler->doorbell(&b->host.chan[i]);
			work = true;
		}
	}
	return work;
}

bool vmbnet_hof_back_arm(struct vmbnet_hof_back *b)
{
	for (uint32_t i = 0; b->started && i < b->host.nchan; i++)
		if (vmbnet_nic_arm(&b->nic, i))
			return true;
	return false;
}

void vmbnet_hof_back_commit(struct vmbnet_hof_back *b, uint32_t chan)
{
	if (!b->state || vmbnet_nic_checkpoint(&b->nic, chan, &b->state->chan[chan]))
		b->stats.ckpt_failed++;
}

/* ---- life cycle ----------------------------------------------------------- */

void vmbnet_hof_back_init_sock(struct vmbnet_hof_back *b, int sock,
			       const struct vmbnet_nic_ops *ops, void *opaque)
{
	memset(b, 0, offsetof(struct vmbnet_hof_back, buf));
	b->sock = sock;
	for (unsigned int i = 0; i < VMB_HOF_MAX_CHANNELS; i++)
		b->kick[i] = b->call[i] = -1;
	b->nic_ops = ops;
	b->nic_opaque = opaque;
}

int vmbnet_hof_back_init(struct vmbnet_hof_back *b, const char *path,
			 const struct vmbnet_nic_ops *ops, void *opaque)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		int err = -errno;

		close(s);
		return err;
	}
	vmbnet_hof_back_init_sock(b, s, ops, opaque);
	return 0;
}

void vmbnet_hof_back_fini(struct vmbnet_hof_back *b)
{
	if (b->hello) {
		/* Let go without touching the rings: the successor resumes. */
		for (uint32_t i = 0; i < b->host.nchan; i++) {
			if (b->host.chan[i].state != VMBNET_CHAN_OFFERED)
				vmbnet_nic_release_bufs(&b->nic.chan[i]);
			b->host.chan[i].state = VMBNET_CHAN_OFFERED;
		}
		vmbnet_host_fini(&b->host);
	}
	for (unsigned int i = 0; i < b->nmap; i++)
		munmap(b->map[i].va, b->map[i].size);
	if (b->state)
		munmap(b->state, b->state_size);
	for (unsigned int i = 0; i < VMB_HOF_MAX_CHANNELS; i++) {
		close_fd(&b->kick[i]);
		close_fd(&b->call[i]);
	}
	close_fd(&b->sock);
	b->state = NULL;
	b->nmap = 0;
	b->hello = b->started = false;
}

void vmbnet_hof_back_shutdown(struct vmbnet_hof_back *b)
{
	vmbnet_hof_back_poll(b); /* the burst in flight; nothing before START */
	vmbnet_hof_back_fini(b);
}
