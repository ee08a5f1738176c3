// SPDX-License-Identifier: MIT
/*
 * Driver code written against the WDK signatures (vmbnet_wdk.h) compiles
 * and runs: each of the five DDIs once, by its Windows name, with Windows
 * types and status codes.
 *
 * usage: test_ddi_wdk --list | <case>
 */
#include "harness.h"
#include "vmbnet_wdk.h"

static int dot11_calls;
static HANDLE dot11_handle;
static int inject_calls;
static BOOLEAN inject_dispatch;
static int vmb_calls;
static NTSTATUS vmb_status;

static DWORD IhvSendPacketCompletion(HANDLE hSendCompletion)
{
	dot11_calls++;
	dot11_handle = hSendCompletion;
	return ERROR_SUCCESS;
}

static void InjectComplete(void *context, NET_BUFFER_LIST *netBufferList, BOOLEAN dispatchLevel)
{
	inject_calls++;
	inject_dispatch = dispatchLevel;
	VT_EQ(NET_BUFFER_LIST_STATUS(netBufferList), STATUS_SUCCESS);
}

static void VmbComplete(VMBPACKET pkt, NTSTATUS status)
{
	vmb_calls++;
	vmb_status = status;
}

/* Each case: a fresh harness, the WDK completions bound to its core. */
static void setup(void)
{
	h_init();
	VmbnetWdkBind(&H.core, IhvSendPacketCompletion, VmbComplete);
}

/* An RNDIS PACKET message with a 60-byte (zero) frame at its end. */
struct wdk_msg {
	struct rndis_hdr h;
	struct rndis_packet p;
	uint8_t f[60];
};

/* The message in guest memory. */
static uint8_t *put_msg(void)
{
	struct wdk_msg msg = {
		.h = { RNDIS_MSG_PACKET, sizeof(msg) },
		.p = { .data_offset = sizeof(struct rndis_packet), .data_len = 60 },
	};
	uint8_t *b = h_dma(sizeof(msg), NULL);

	memcpy(b, &msg, sizeof(msg));
	return b;
}

static void vmb_packet_send_with_external_mdl(void)
{
	struct nvsp_rndis_pkt cmd = { NVSP_MSG_SEND_RNDIS_PKT, 0, NVSP_SECTION_NONE, 0 };
	uint8_t *b = put_msg();
	uint64_t pfns[2];
	VMBPACKET pkt;
	MDL mdl;

	h_mdl(&mdl, pfns, b, sizeof(struct wdk_msg));
	pkt = VmbPacketAllocate();
	VT_CHECK(pkt);
	VT_EQ(VmbPacketSendWithExternalMdl(pkt, &cmd, sizeof(cmd), &mdl, 0, 0, 0),
	      STATUS_INVALID_PARAMETER);
	VT_CHECK(NT_SUCCESS(
		VmbPacketSendWithExternalMdl(pkt, &cmd, sizeof(cmd), &mdl, 0, 0,
					     VMBUS_CHANNEL_FORMAT_FLAG_WAIT_FOR_COMPLETION |
						     VMBUS_CHANNEL_FORMAT_FLAG_PAGED_BUFFER)));
	h_pump();
	VT_EQ(vmb_calls, 1);
	VT_EQ(vmb_status, STATUS_SUCCESS);
	VmbPacketFree(pkt);
}

/* Dot11ExtSendPacket -> DOT11EXTIHV_SEND_PACKET_COMPLETION */
static void dot11_ext_send_packet(void)
{
	uint8_t *b = put_msg();

	VT_EQ(Dot11ExtSendPacket(NULL, 60, b + sizeof(struct wdk_msg) - 60, (HANDLE)0x99),
	      ERROR_SUCCESS);
	h_pump();
	VT_EQ(dot11_calls, 1);
	VT_CHECK(dot11_handle == (HANDLE)0x99);
}

/* FwpsInjectTransportSendAsync1 -> FWPS_INJECT_COMPLETE0 */
static void fwps_inject_transport_send_async1(void)
{
	uint8_t remote[4] = { 10, 0, 2, 2 };
	struct vmbnet_endpoint ep = { 9, VMBNET_AF_INET, 6, { 10, 0, 2, 15 } };
	FWPS_TRANSPORT_SEND_PARAMS1 args = { 0 };
	NET_BUFFER_LIST nbl = { 0 };
	NET_BUFFER nb = { 0 };
	uint8_t *b = put_msg();
	uint64_t pfns[2];
	HANDLE inj;
	MDL mdl;

	h_mdl(&mdl, pfns, b, sizeof(struct wdk_msg));
	VT_EQ(FwpsInjectionHandleCreate0(AF_UNSPEC_WDK, FWPS_INJECTION_TYPE_TRANSPORT, &inj),
	      STATUS_SUCCESS);
	vmbnet_inject_set_endpoints(inj, &ep, 1);
	nb.MdlChain = &mdl;
	nb.DataLength = 60;
	nb.DataOffset = sizeof(struct wdk_msg) - 60;
	nbl.FirstNetBuffer = &nb;
	args.remoteAddress = remote;
	H.atomic = true;
	VT_EQ(FwpsInjectTransportSendAsync1(inj, NULL, 9, 0, &args, VMBNET_AF_INET,
					    UNSPECIFIED_COMPARTMENT_ID, &nbl, InjectComplete, NULL),
	      STATUS_SUCCESS);
	h_pump();
	VT_EQ(inject_calls, 1);
	VT_EQ(inject_dispatch, 1);
	VT_EQ(FwpsQueryPacketInjectionState0(inj, &nbl, NULL), FWPS_PACKET_INJECTED_BY_SELF);
	VT_EQ(FwpsInjectTransportSendAsync1(inj, NULL, 9, 1, &args, VMBNET_AF_INET, 0, &nbl,
					    InjectComplete, NULL),
	      STATUS_INVALID_PARAMETER);
	VT_EQ(FwpsInjectionHandleDestroy0(inj), STATUS_SUCCESS);
}

static void ndis_im_copy_send_complete_per_packet_info(void)
{
	NET_BUFFER_LIST nbl = { 0 }, upper = { 0 };

	NET_BUFFER_LIST_INFO(&nbl, Ieee8021QNetBufferListInfo) = (PVOID)(uintptr_t)0x51;
	NdisIMCopySendCompletePerPacketInfo(&upper, &nbl);
	VT_EQ((uintptr_t)NET_BUFFER_LIST_INFO(&upper, Ieee8021QNetBufferListInfo), 0x51);
}

static const struct vt_case cases[] = {
	VT_CASE(vmb_packet_send_with_external_mdl),
	VT_CASE(dot11_ext_send_packet),
	VT_CASE(fwps_inject_transport_send_async1),
	VT_CASE(ndis_im_copy_send_complete_per_packet_info),
};

VT_MAIN_FIXTURE(cases, setup, h_fini)
