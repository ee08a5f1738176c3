// SPDX-License-Identifier: MIT
/*
 * vmbnet hand-off: message framing shared by both ends. See vmbnet_hof.h.
 */
#ifndef _GNU_SOURCE /* QEMU defines it */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmbnet_hof.h"

int vmbnet_hof_send(int sock, const void *msg, uint32_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(VMB_HOF_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > VMB_HOF_MAX_FDS || len > VMB_HOF_MSG_MAX)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Take the descriptors out of @mh; false when more came than fit. */
static bool recv_fds(struct msghdr *mh, int *fds, unsigned int *nfds)
{
	bool ok = true;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		unsigned int n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (unsigned int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned int i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*nfds < VMB_HOF_MAX_FDS) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

int vmbnet_hof_recv(int sock, void *buf, int *fds, unsigned int *nfds)
{
	union {
		char buf[CMSG_SPACE((VMB_HOF_MAX_FDS + 1) * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, VMB_HOF_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	bool ok;

	*nfds = 0;
	for (unsigned int i = 0; i < VMB_HOF_MAX_FDS; i++)
		fds[i] = -1;
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	ok = recv_fds(&mh, fds, nfds);
	/* An empty message reads as a hang-up: whatever it carried is closed
	 * here, never left to a caller that stops at 0 (found by fuzz_hof_back).
	 */
	if (!ok || !n || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (unsigned int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return n ? -EMSGSIZE : 0;
	}
	return (int)n;
}

/* The fixed size of each message type and the descriptors it carries. */
static const struct {
	uint32_t size;
	uint8_t nfds;
	bool variable; /* size is the minimum */
} hof_layout[] = {
	[VMB_HOF_HELLO] = { sizeof(struct vmb_hof_hello), 1, false },
	[VMB_HOF_MEM_REGION] = { sizeof(struct vmb_hof_mem_region), 1, false },
	[VMB_HOF_GPADL] = { sizeof(struct vmb_hof_gpadl), 0, true },
	[VMB_HOF_GPADL_TEARDOWN] = { sizeof(struct vmb_hof_gpadl_teardown), 0, false },
	[VMB_HOF_CHAN_OPEN] = { sizeof(struct vmb_hof_chan_open), 2, false },
	[VMB_HOF_CHAN_CLOSE] = { sizeof(struct vmb_hof_chan_close), 0, false },
	[VMB_HOF_LINK] = { sizeof(struct vmb_hof_link), 0, false },
	[VMB_HOF_RESET] = { sizeof(struct vmb_hof_hdr), 0, false },
	[VMB_HOF_START] = { sizeof(struct vmb_hof_hdr), 0, false },
	[VMB_HOF_FAULT] = { sizeof(struct vmb_hof_fault), 0, true },
};

int vmbnet_hof_check(const void *msg, uint32_t len, unsigned int nfds, const char **why)
{
	struct vmb_hof_hdr h;
	struct vmb_hof_gpadl g;

	*why = NULL;
	if (len < sizeof(h)) {
		*why = "shorter than a header";
		return -EPROTO;
	}
	memcpy(&h, msg, sizeof(h));
	if (h.len != len)
		*why = "header length differs from the message";
	else if (h.type == VMB_HOF_ACK)
		*why = len == sizeof(struct vmb_hof_ack) && !nfds ? NULL : "bad ACK";
	else if (h.type == VMB_HOF_OFFER)
		*why = len == sizeof(struct vmb_hof_offer) && !nfds ? NULL : "bad OFFER";
	else if (h.type >= sizeof(hof_layout) / sizeof(hof_layout[0]) || !hof_layout[h.type].size)
		*why = "unknown message type";
	else if (hof_layout[h.type].variable ? len < hof_layout[h.type].size :
					       len != hof_layout[h.type].size)
		*why = "wrong size for its type";
	else if (nfds != hof_layout[h.type].nfds)
		*why = "wrong number of descriptors for its type";
	if (!*why && h.type == VMB_HOF_FAULT) {
		struct vmb_hof_fault fm;

		memcpy(&fm, msg, sizeof(fm));
		if ((fm.op != VMB_HOF_FAULT_ADD && fm.op != VMB_HOF_FAULT_REMOVE) || !fm.len ||
		    fm.len > VMB_HOF_FAULT_TEXT_MAX || len != sizeof(fm) + fm.len)
			*why = "FAULT: bad operation, or text length does not match its size";
	}
	if (!*why && h.type == VMB_HOF_GPADL) {
		memcpy(&g, msg, sizeof(g));
		if (!g.count || g.count > VMB_HOF_GPADL_CHUNK ||
		    len != sizeof(g) + (uint64_t)g.count * sizeof(uint64_t))
			*why = "GPADL piece count does not match its size";
	}
	return *why ? -EPROTO : 0;
}
