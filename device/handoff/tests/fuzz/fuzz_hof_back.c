// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the hand-off back end (what vmbnet-dpdk runs) against a
 * front end that is the fuzzer: any sequence of messages with any bodies,
 * with the descriptors a message of that type carries (state area, guest
 * RAM, eventfds) or none, then polls of the rings it was told to serve.
 * Any crash, sanitizer report, leaked descriptor or mapping is a bug.
 *
 * Input: records of u8 type, u8 fds, u16 len (LE), len body bytes. The
 * header (type, len, seq) is stamped; type 0 sends the bytes raw instead;
 * type 0xff writes the bytes into the state area (the checkpoints a resumed
 * channel starts from) at offset 256 * fds instead of sending anything.
 * fds % 4: none, the state memfd, the RAM memfd, two eventfds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmbnet_hof.h"

#define RAM_BYTES (1u << 20)
#define STATE_BYTES (20u << 10) /* vmb_hof_state_size(1) is 16544 */
#define RING_PAGES 4 /* at the start of RAM: an up and a down ring */

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static int ram_fd = -1, state_fd = -1;
static struct vmb_hof_state *state_map; /* the front end's view */
static uint8_t state_init[STATE_BYTES]; /* the state area at HELLO */

static int nop_tx(void *o, uint32_t c, const struct iovec *iov, int n,
		  const struct vmbnet_frame_meta *m)
{
	return 0;
}

static const struct vmbnet_nic_ops nic_ops = { .tx = nop_tx };

static int sealed_memfd(uint64_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, (off_t)size) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		abort();
	return fd;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void setup_once(void)
{
	struct vmb_hof_state *st;
	uint8_t *ram;

	ram_fd = sealed_memfd(RAM_BYTES);
	state_fd = sealed_memfd(STATE_BYTES);
	ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	if (ram == MAP_FAILED)
		abort();
	vmb_ring_format(ram, RING_PAGES * VMB_PAGE_SIZE);
	vmb_ring_format(ram + RING_PAGES * VMB_PAGE_SIZE, RING_PAGES * VMB_PAGE_SIZE);
	munmap(ram, RAM_BYTES);
	st = mmap(NULL, STATE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, state_fd, 0);
	if (st == MAP_FAILED)
		abort();
	st->magic = VMB_HOF_MAGIC; /* the front end's state area, one channel */
	st->version = VMB_HOF_VERSION;
	st->nchan = 1;
	memcpy(state_init, st, STATE_BYTES);
	state_map = st;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static struct vmbnet_hof_back B;
	uint8_t msg[VMB_HOF_MSG_MAX], ack[256];
	int sv[2];
	size_t off = 0;
	uint32_t seq = 0;
	int fds_before;

	if (ram_fd < 0)
		setup_once();
	fds_before = count_fds(); /* per input: libFuzzer has its own files */
	memcpy(state_map, state_init, STATE_BYTES);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	vmbnet_hof_back_init_sock(&B, sv[1], &nic_ops, NULL);
	while (off + 4 <= len) {
		uint8_t type = in[off], sel = in[off + 1];
		uint16_t n = (uint16_t)(in[off + 2] | in[off + 3] << 8);
		int fds[2] = { -1, -1 };
		unsigned int nfds = 0;
		uint32_t mlen;

		off += 4;
		if (n > len - off)
			n = (uint16_t)(len - off);
		if (type == 0xff) {
			uint32_t at = 256u * sel % STATE_BYTES;

			memcpy((uint8_t *)state_map + at, in + off,
			       n < STATE_BYTES - at ? n : STATE_BYTES - at);
			off += n;
			continue;
		}
		mlen = type ? (uint32_t)sizeof(struct vmb_hof_hdr) + n : n;
		if (mlen > sizeof(msg))
			mlen = sizeof(msg);
		memset(msg, 0, sizeof(msg));
		if (type) {
			struct vmb_hof_hdr h = { type, mlen, ++seq, 0 };

			memcpy(msg, &h, sizeof(h));
			memcpy(msg + sizeof(h), in + off, mlen - sizeof(h));
		} else {
			memcpy(msg, in + off, mlen);
		}
		off += n;
		switch (sel % 4) {
		case 1:
			fds[nfds++] = dup(state_fd);
			break;
		case 2:
			fds[nfds++] = dup(ram_fd);
			break;
		case 3:
			fds[nfds++] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			fds[nfds++] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			break;
		}
		if (vmbnet_hof_send(sv[0], msg, mlen, fds, nfds))
			abort();
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		if (vmbnet_hof_back_control(&B) < 0)
			break;
		for (unsigned int i = 0; i < 4; i++)
			vmbnet_hof_back_poll(&B);
		while (recv(sv[0], ack, sizeof(ack), MSG_DONTWAIT) > 0)
			;
	}
	vmbnet_hof_back_fini(&B);
	close(sv[0]);
	if (count_fds() != fds_before)
		abort(); /* a descriptor leaked */
	return 0;
}
