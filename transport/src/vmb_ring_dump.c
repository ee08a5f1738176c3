// SPDX-License-Identifier: MIT
/* Ring-state dump for userspace tools and tests (stdio; not part of the core). */
#include <inttypes.h>
#include <stdio.h>

#include "vmbnet/vmb_ring_dump.h"

void vmb_ring_dump(FILE *f, const char *name, const struct vmb_ring *r)
{
	struct vmb_ring_state st;

	vmb_ring_snapshot(r, &st);
	fprintf(f,
		"%s: size %u used %u write %u read %u mask %u pending %u feat 0x%x\n"
		"%s: private %u published %u peer-cache %u state %s\n"
		"%s: packets %" PRIu64 " bytes %" PRIu64 " signals sent %" PRIu64
		" suppressed %" PRIu64 " spurious %" PRIu64 " errors %" PRIu64 " full %" PRIu64
		" reloads %" PRIu64 "\n",
		name, st.size, st.bytes_used, st.write_index, st.read_index, st.interrupt_mask,
		st.pending_send_sz, st.feature_bits, name, st.priv_index, st.pub_index,
		st.peer_cache, vmb_ring_error_name(st.error), name, st.stats.packets,
		st.stats.bytes, st.stats.signals_sent, st.stats.signals_suppressed,
		st.stats.signals_spurious, st.stats.protocol_errors, st.stats.full,
		st.stats.index_reloads);
}
