// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet-exit: end the guest with a verdict through QEMU's isa-debug-exit
 * (iobase VMBNET_DEBUG_EXIT_PORT). QEMU then exits with (code << 1) | 1, so
 * the boot runner sees 1 for pass and 3 for fail even if the console is lost.
 *
 * usage: vmbnet-exit <code>
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#define VMBNET_DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	unsigned long code;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <code 0..255>\n", argv[0]);
		return 2;
	}
	code = strtoul(argv[1], &end, 0);
	if (*end || code > 255) {
		fprintf(stderr, "vmbnet-exit: bad code '%s'\n", argv[1]);
		return 2;
	}
	if (ioperm(VMBNET_DEBUG_EXIT_PORT, 4, 1)) {
		perror("vmbnet-exit: ioperm");
		return 1;
	}
	outl((unsigned int)code, VMBNET_DEBUG_EXIT_PORT);
	/* Only reached without isa-debug-exit: the caller powers off. */
	fprintf(stderr, "vmbnet-exit: no isa-debug-exit device at 0x%x\n", VMBNET_DEBUG_EXIT_PORT);
	return 1;
}
