// SPDX-License-Identifier: MIT
/*
 * The DDI core against a hostile host: completions the host forges, read
 * the way the core reads what the device wrote (copied out, then checked).
 * Each case names the rule it pins; a failure here is a guest crash or a
 * completion consumed twice.
 *
 * usage: test_ddi_hostile --list | <case>
 */
#include "harness.h"

static unsigned int calls;
static int32_t last_status;

static void done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	calls++;
	last_status = status;
}

/* One NBL sent with the device stopped; returns its trans_id, read back
 * from the guest -> host ring as the host would see it.
 */
static uint64_t send_one(struct vmbnet_nbl *nbl, struct vmbnet_nb *nb, struct vmbnet_mdl *m,
			 uint64_t *pfns)
{
	uint8_t *b = h_dma(100, NULL);
	struct vmb_ring host_view;
	struct vmb_pkt p;

	h_frame(b, 100, 3);
	h_mdl(m, pfns, b, 100);
	memset(nb, 0, sizeof(*nb));
	nb->MdlChain = m;
	nb->DataLength = 100;
	memset(nbl, 0, sizeof(*nbl));
	nbl->FirstNetBuffer = nb;
	VMBNET_NBL_INFO(nbl, VMBNET_INFO_8021Q) = (void *)(uintptr_t)RNDIS_8021Q(1, 2);
	H.host_runs = false;
	VT_EQ(vmbnet_send_nbl(&H.core, nbl, NULL, 0, done, NULL), 0);
	VT_EQ(vmb_ring_attach_consumer(&host_view, H.g.ring.va, H_UP_PAGES * VMB_PAGE_SIZE), 0);
	VT_EQ(vmb_ring_peek(&host_view, &p), 0);
	VT_CHECK(vmbnet_core_owns(p.trans_id));
	return p.trans_id;
}

/* A completion of RNDIS data as the device writes it, with one ppi entry. */
struct echo {
	uint32_t type, status, ppi_len;
	struct rndis_ppi ppi;
	uint32_t value;
} __attribute__((packed));

_Static_assert(offsetof(struct echo, ppi) == NVSP_ECHO_PPI_OFF, "echo layout");

/*
 * Regression (hostile-peers issue, bug 1): the echoed ppi's offset was
 * checked in 32 bits, so ppi_offset 0xfffffffc passed "offset + 4 <= size"
 * and the core read 4 GiB past the payload (SEGV under ASan in
 * echo_into_nbl). The entry must be ignored and the NBL complete once.
 */
static void echo_ppi_offset_wraps(void)
{
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl m;
	uint64_t pfns[2], tid = send_one(&nbl, &nb, &m, pfns);
	struct echo e = {
		.type = NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
		.status = NVSP_STAT_SUCCESS,
		.ppi_len = sizeof(struct rndis_ppi) + 4,
		.ppi = { sizeof(struct rndis_ppi) + 4, RNDIS_PPI_8021Q, 0xfffffffcu },
		.value = RNDIS_8021Q(7, 7),
	};

	vmbnet_core_complete(&H.core, tid, &e, sizeof(e));
	VT_EQ(calls, 1);
	VT_EQ(last_status, VMBNET_STATUS_SUCCESS);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&nbl, VMBNET_INFO_8021Q), 0);
}

/* A ppi length beyond the payload: nothing of it is read. */
static void echo_ppi_len_beyond_payload(void)
{
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl m;
	uint64_t pfns[2], tid = send_one(&nbl, &nb, &m, pfns);
	struct echo e = {
		.type = NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
		.status = NVSP_STAT_SUCCESS,
		.ppi_len = 0xfffffff0u,
		.ppi = { sizeof(struct rndis_ppi) + 4, RNDIS_PPI_8021Q, sizeof(struct rndis_ppi) },
		.value = RNDIS_8021Q(7, 7),
	};

	vmbnet_core_complete(&H.core, tid, &e, sizeof(e));
	VT_EQ(calls, 1);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&nbl, VMBNET_INFO_8021Q), RNDIS_8021Q(1, 2));
}

/* The same id twice: the second is counted and refused, never consumed. */
static void completion_twice_refused(void)
{
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl m;
	uint64_t pfns[2], tid = send_one(&nbl, &nb, &m, pfns);
	uint32_t c[2] = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	vmbnet_core_complete(&H.core, tid, c, sizeof(c));
	vmbnet_core_complete(&H.core, tid, c, sizeof(c));
	VT_EQ(calls, 1);
	VT_EQ(H.core.stats.unknown_completions, 1);
}

/*
 * Regression (misbehaving-host issue): trans_ids were base + slot, so a
 * completion the host repeated after the slot went to a new packet
 * completed the new one, early and with the old one's status (the
 * "duplicate" fault in guest-driver/linux/tests/ddi_faults.sh can land so).
 * It must be refused; the new packet waits for its own.
 */
static void duplicate_after_reuse_refused(void)
{
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl m;
	uint64_t pfns[2], tid = send_one(&nbl, &nb, &m, pfns), tid2;
	uint32_t c[2] = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };
	struct vmb_ring host_view;
	struct vmb_pkt p;

	vmbnet_core_complete(&H.core, tid, c, sizeof(c));
	VT_EQ(calls, 1);
	VT_EQ(vmbnet_send_nbl(&H.core, &nbl, NULL, 0, done, NULL), 0); /* the slot again */
	VT_EQ(vmb_ring_attach_consumer(&host_view, H.g.ring.va, H_UP_PAGES * VMB_PAGE_SIZE), 0);
	VT_EQ(vmb_ring_peek(&host_view, &p), 0);
	vmb_ring_advance(&host_view, &p);
	VT_EQ(vmb_ring_peek(&host_view, &p), 0);
	tid2 = p.trans_id;
	VT_CHECK(vmbnet_core_owns(tid2));
	VT_CHECK(tid2 != tid);
	vmbnet_core_complete(&H.core, tid, c, sizeof(c)); /* the repeat */
	VT_EQ(calls, 1);
	VT_EQ(H.core.stats.unknown_completions, 1);
	vmbnet_core_complete(&H.core, tid2, c, sizeof(c));
	VT_EQ(calls, 2);
}

/* A completion shorter than its status: a failure, not garbage. */
static void short_completion_fails(void)
{
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl m;
	uint64_t pfns[2], tid = send_one(&nbl, &nb, &m, pfns);
	uint32_t type = NVSP_MSG_SEND_RNDIS_PKT_COMPLETE;

	vmbnet_core_complete(&H.core, tid, &type, 2);
	VT_EQ(calls, 1);
	VT_CHECK(last_status != VMBNET_STATUS_SUCCESS);
}

/* Ids the core never handed out. */
static void foreign_ids_refused(void)
{
	uint32_t c[2] = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	vmbnet_core_complete(&H.core, 0, c, sizeof(c));
	vmbnet_core_complete(&H.core, VMBNET_TID_DDI + H_SLOTS + 5, c, sizeof(c));
	vmbnet_core_complete(&H.core, VMBNET_TID_DDI + 3, c, sizeof(c)); /* idle slot */
	VT_EQ(calls, 0);
	VT_EQ(H.core.stats.unknown_completions, 3);
}

static const struct vt_case cases[] = {
	VT_CASE(echo_ppi_offset_wraps),	   VT_CASE(echo_ppi_len_beyond_payload),
	VT_CASE(completion_twice_refused), VT_CASE(short_completion_fails),
	VT_CASE(foreign_ids_refused),	   VT_CASE(duplicate_after_reuse_refused),
};

VT_MAIN_FIXTURE(cases, h_init, h_fini) /* a fresh harness per case */
