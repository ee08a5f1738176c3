// SPDX-License-Identifier: MIT
/*
 * Per-packet info: checksum, IPsec, 802.1p priority and VLAN go down as
 * RNDIS per-packet info (the device sees them) and come back with the
 * completion (written into the NBL); an intermediate driver's clone carries
 * them down and NdisIMCopySendCompletePerPacketInfo copies them back up.
 *
 * usage: test_ddi_ppi --list | <case>
 */
#include "harness.h"

static unsigned int calls;
static struct vmbnet_nbl *done_nbl;
static int32_t done_status;

static void done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	calls++;
	done_nbl = nbl;
	done_status = status;
	VT_CHECK(ctx == (void *)0x42);
}

static void make(struct vmbnet_nbl *nbl, struct vmbnet_nb *nb, struct vmbnet_mdl *m, uint64_t *pfns)
{
	uint8_t *b = h_dma(100, NULL);

	h_frame(b, 100, 1);
	h_mdl(m, pfns, b, 100);
	memset(nb, 0, sizeof(*nb));
	nb->MdlChain = m;
	nb->DataLength = 100;
	memset(nbl, 0, sizeof(*nbl));
	nbl->FirstNetBuffer = nb;
	VMBNET_NBL_INFO(nbl, VMBNET_INFO_CHECKSUM) =
		(void *)(uintptr_t)(RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP);
	VMBNET_NBL_INFO(nbl, VMBNET_INFO_IPSEC) = (void *)(uintptr_t)0x5a;
	VMBNET_NBL_INFO(nbl, VMBNET_INFO_8021Q) = (void *)(uintptr_t)RNDIS_8021Q(5, 42);
}

static void info_to_device_and_back(void)
{
	struct vmbnet_nbl nbl;
	struct vmbnet_nb nb;
	struct vmbnet_mdl m;
	uint64_t pfns[2];

	make(&nbl, &nb, &m, pfns);
	VT_EQ(vmbnet_send_nbl(&H.core, &nbl, NULL, 0, done, (void *)0x42), 0);
	h_pump();
	VT_EQ(calls, 1);
	VT_EQ(done_status, 0);
	/* The device saw them... */
	VT_EQ(H.last_meta.csum_info, RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP);
	VT_EQ(H.last_meta.has_vlan, 1);
	VT_EQ(RNDIS_8021Q_PRIO(H.last_meta.vlan_info), 5);
	VT_EQ(RNDIS_8021Q_VLAN(H.last_meta.vlan_info), 42);
	/* ...and they came back with the completion (the NBL was cleared first). */
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&nbl, VMBNET_INFO_8021Q), RNDIS_8021Q(5, 42));
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&nbl, VMBNET_INFO_IPSEC), 0x5a);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&nbl, VMBNET_INFO_CHECKSUM),
	      RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&nbl, VMBNET_INFO_LSO), 0);
}

/* The IM copy on its own: every slot, nothing else. */
static void im_copy_every_slot_only(void)
{
	struct vmbnet_nbl a = { 0 }, b = { 0 };

	VMBNET_NBL_INFO(&a, VMBNET_INFO_8021Q) = (void *)(uintptr_t)7;
	VMBNET_NBL_INFO(&b, VMBNET_INFO_CHECKSUM) = (void *)(uintptr_t)9;
	b.Status = 123;
	vmbnet_im_copy_send_complete_info(&a, &b);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&a, VMBNET_INFO_8021Q), 0);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&a, VMBNET_INFO_CHECKSUM), 9);
	VT_EQ(a.Status, 0);
}

/* An intermediate driver: the upper packet is completed with the
 * lower (completed) packet's info, which the host echoed.
 */
static void im_send_upper_gets_lower_info(void)
{
	struct vmbnet_nbl upper;
	struct vmbnet_nb unb;
	struct vmbnet_mdl um;
	uint64_t upfns[2];

	make(&upper, &unb, &um, upfns);
	VMBNET_NBL_INFO(&upper, VMBNET_INFO_8021Q) = (void *)(uintptr_t)RNDIS_8021Q(3, 7);
	H.host_runs = false;
	VT_EQ(vmbnet_im_send(&H.core, &upper, done, (void *)0x42), 0);
	VT_EQ(calls, 0);
	VMBNET_NBL_INFO(&upper, VMBNET_INFO_8021Q) =
		(void *)(uintptr_t)0; /* upper changes meanwhile */
	h_run();
	VT_EQ(calls, 1);
	VT_CHECK(done_nbl == &upper);
	VT_EQ(upper.Status, 0);
	VT_EQ((uintptr_t)VMBNET_NBL_INFO(&upper, VMBNET_INFO_8021Q), RNDIS_8021Q(3, 7));
	VT_EQ(RNDIS_8021Q_PRIO(H.last_meta.vlan_info), 3);
}

/* A failed lower send completes the upper one with that status. */
static void im_send_lower_failure_status(void)
{
	struct vmbnet_nbl upper;
	struct vmbnet_nb unb;
	struct vmbnet_mdl um;
	uint64_t upfns[2];

	make(&upper, &unb, &um, upfns);
	H.host_runs = false;
	h_set_link(false);
	VT_EQ(vmbnet_im_send(&H.core, &upper, done, (void *)0x42), 0);
	h_run();
	VT_EQ(calls, 1);
	VT_CHECK(done_nbl == &upper);
	VT_EQ(upper.Status, VMBNET_STATUS_UNSUCCESSFUL);
}

static const struct vt_case cases[] = {
	VT_CASE(info_to_device_and_back),
	VT_CASE(im_copy_every_slot_only),
	VT_CASE(im_send_upper_gets_lower_info),
	VT_CASE(im_send_lower_failure_status),
};

VT_MAIN_FIXTURE(cases, h_init, h_fini) /* a fresh harness per case */
