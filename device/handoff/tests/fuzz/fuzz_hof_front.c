// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the hand-off front end (what QEMU runs) against a
 * backend that is the fuzzer. A host with GPADLs and an open channel (so the
 * replay has everything to send), then a backend connects whose answers
 * (ACKs or anything else, with or without descriptors) are the input, and
 * which then hangs up. The front end must take only well-formed answers to
 * its own requests, drop the backend otherwise, and leak nothing.
 *
 * Input: datagrams of u16 len (LE), len bytes; a datagram whose first byte
 * is 0xac is stamped as the ACK of the front end's next request with the
 * status (i32) and value (u32) from the following bytes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_RAM_BYTES (256u << 10)
#include "fake_guest.h"
#include "vmbnet_hof.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static int regions(void *opaque, struct vmbnet_hof_region *r, unsigned int max)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
	r[0] = (struct vmbnet_hof_region){ FAKE_RAM_BASE, FAKE_RAM_BYTES, 0, fd };
	return 1;
}

static const struct vmbnet_hof_front_ops front_ops = { .regions = regions };

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

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static struct fake_guest g;
	static struct vmbnet_host h;
	static struct vmbnet_hof_front f;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[64];
	uint32_t seq = 1;
	size_t off = 0;
	uint64_t pfn;
	int c, fds_before;

	if (!g.ram)
		fg_init(&g);
	regions(NULL, &(struct vmbnet_hof_region){ 0 }, 1); /* its fd is not a leak */
	fds_before = count_fds();
	memset(g.ram, 0, FAKE_RAM_BYTES);
	g.next_page = 0;
	g.maps = 0;
	snprintf(path, sizeof(path), "/tmp/vmbnet-fuzz-front-%d.sock", getpid());
	if (vmbnet_host_init(&h, 1, (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, &fake_guest_ops, &g,
			     &vmbnet_hof_front_handler) ||
	    vmbnet_hof_front_init(&f, &h, path, 1500, &front_ops, NULL))
		abort();
	/* no backend yet: the host's state waits for the replay */
	fg_connect(&h);
	pfn = fg_alloc(&g, 8);
	if (fg_gpadl_contig(&h, 1, 10, pfn, 8) || fg_open(&h, &g, 1, 10, pfn, 4, 4))
		abort();
	c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		abort();
	while (off + 2 <= len) {
		uint16_t n = (uint16_t)(in[off] | in[off + 1] << 8);
		static uint8_t buf[VMB_HOF_MSG_MAX]; /* 64 KiB: any u16 length fits */

		off += 2;
		if (n > len - off)
			n = (uint16_t)(len - off);
		memcpy(buf, in + off, n);
		off += n;
		if (n >= 9 && buf[0] == 0xac) {
			struct vmb_hof_ack ack = { .hdr = { VMB_HOF_ACK, sizeof(ack), 0, 0 },
						   .req_seq = seq++ };

			memcpy(&ack.status, buf + 1, 4);
			memcpy(&ack.value, buf + 5, 4);
			memcpy(buf, &ack, sizeof(ack));
			n = sizeof(ack);
		}
		if (send(c, buf, n, MSG_DONTWAIT) < 0)
			break;
	}
	close(c); /* answers given: the backend hangs up, nothing waits 5 s */
	vmbnet_hof_front_accept(&f);
	vmbnet_hof_front_sock_event(&f);
	vmbnet_host_fini(&h);
	vmbnet_hof_front_fini(&f);
	if (g.maps || count_fds() != fds_before)
		abort();
	return 0;
}
