/* SPDX-License-Identifier: MIT */
/* Userspace-only: print a ring endpoint's state (shared indices, private
 * indices, counters) in one block.
 */
#ifndef VMBNET_VMB_RING_DUMP_H
#define VMBNET_VMB_RING_DUMP_H

#include <stdio.h>

#include "vmb_ring.h"

void vmb_ring_dump(FILE *f, const char *name, const struct vmb_ring *r);

#endif /* VMBNET_VMB_RING_DUMP_H */
