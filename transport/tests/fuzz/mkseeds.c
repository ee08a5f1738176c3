// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpus for fuzz_ring_consumer: rings filled by the real
 * producer with each packet type, including packets that wrap.
 * usage: fuzz_ring_mkseeds <dir>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet/vmb_ring.h"

#define DATA_BYTES (2 * VMB_PAGE_SIZE)

static uint8_t mem[VMB_PAGE_SIZE + DATA_BYTES] __attribute__((aligned(4096)));

static void save(const char *dir, const char *name)
{
	struct vmb_ring_hdr *h = (struct vmb_ring_hdr *)mem;
	uint32_t idx[3] = { h->write_index, h->read_index, h->pending_send_sz };
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(idx, sizeof(idx), 1, f) != 1 ||
	    fwrite(mem + VMB_PAGE_SIZE, DATA_BYTES, 1, f) != 1) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static void fresh(struct vmb_ring *tx, uint32_t start)
{
	memset(mem, 0, sizeof(mem));
	vmb_ring_format(mem, sizeof(mem));
	((struct vmb_ring_hdr *)mem)->write_index = start;
	((struct vmb_ring_hdr *)mem)->read_index = start;
	vmb_ring_attach_producer(tx, mem, sizeof(mem));
}

int main(int argc, char **argv)
{
	struct {
		struct vmb_gpa_direct_hdr h;
		struct vmb_gpa_range r0;
		uint64_t p0;
		struct vmb_gpa_range r1;
		uint64_t p1[2];
	} gpa = { { 0, 2 }, { 100, 8 }, 3, { 5000, 16 }, { 4, 5 } };
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r[2];
	} xfer = { { 0, 0, 0, 2 }, { { 64, 0 }, { 1514, 4096 } } };
	struct vmb_sg sg = { "0123456789abcdef0123456789abcdef", 32 };
	struct vmb_ring tx;

	if (argc != 2)
		return 2;
	fresh(&tx, 0);
	vmb_ring_write_inband(&tx, VMB_PKT_FLAG_COMPLETION_REQUESTED, 1, "hello", 5);
	vmb_ring_tx_publish(&tx);
	save(argv[1], "inband");

	fresh(&tx, 0);
	vmb_ring_write(&tx, VMB_PKT_DATA_GPA_DIRECT, VMB_PKT_FLAG_COMPLETION_REQUESTED, 2, &gpa,
		       sizeof(gpa), &sg, 1);
	vmb_ring_write(&tx, VMB_PKT_DATA_XFER_PAGES, 0, 3, &xfer, sizeof(xfer), &sg, 1);
	vmb_ring_write(&tx, VMB_PKT_COMP, 0, 4, NULL, 0, &sg, 1);
	vmb_ring_tx_publish(&tx);
	save(argv[1], "mixed");

	fresh(&tx, DATA_BYTES - 24);
	vmb_ring_write(&tx, VMB_PKT_DATA_GPA_DIRECT, 0, 5, &gpa, sizeof(gpa), &sg, 1);
	vmb_ring_write_inband(&tx, 0, 6, "wrapped", 7);
	vmb_ring_tx_publish(&tx);
	((struct vmb_ring_hdr *)mem)->pending_send_sz = 4000;
	save(argv[1], "wrapped");
	return 0;
}
