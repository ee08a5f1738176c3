// SPDX-License-Identifier: MIT
/* The WDK-named DDIs over the DDI core (see vmbnet_wdk.h). */
#include "vmbnet_ddi_priv.h"
#include "vmbnet_wdk.h"

struct vmbnet_wdk_binding vmbnet_wdk;

static void wdk_dot11_done(void *arg, void *handle)
{
	if (vmbnet_wdk.dot11_completion)
		vmbnet_wdk.dot11_completion(handle);
}

static void wdk_vmb_done(struct vmbnet_vmbpacket *pkt, int32_t status, const void *payload,
			 uint32_t len)
{
	if (vmbnet_wdk.vmb_completion)
		vmbnet_wdk.vmb_completion(pkt, status);
}

void VmbnetWdkBind(struct vmbnet_core *core, DOT11EXTIHV_SEND_PACKET_COMPLETION dot11,
		   void (*vmb_completion)(VMBPACKET pkt, NTSTATUS status))
{
	vmbnet_wdk.core = core;
	vmbnet_wdk.dot11_completion = dot11;
	vmbnet_wdk.vmb_completion = vmb_completion;
	if (core)
		vmbnet_dot11_register(core, wdk_dot11_done, NULL);
}

VMBPACKET VmbPacketAllocate(void)
{
	return vmbnet_wdk.core ? vmbnet_packet_alloc(vmbnet_wdk.core, wdk_vmb_done, NULL) : NULL;
}

void VmbPacketFree(VMBPACKET PacketObject)
{
	vmbnet_packet_free(PacketObject);
}

NTSTATUS VmbPacketSendWithExternalMdl(VMBPACKET PacketObject, PVOID Buffer, UINT32 BufferLength,
				      PMDL ExternalDataMdl, UINT32 MdlOffset, UINT32 MdlLength,
				      UINT32 Flags)
{
	return vmbnet_packet_send_ext_mdl(PacketObject, Buffer, BufferLength, ExternalDataMdl,
					  MdlOffset, MdlLength, Flags);
}

NTSTATUS FwpsInjectionHandleCreate0(ADDRESS_FAMILY addressFamily, UINT32 flags,
				    HANDLE *injectionHandle)
{
	if (!vmbnet_wdk.core)
		return STATUS_FWP_TCPIP_NOT_READY;
	return vmbnet_inject_handle_create(vmbnet_wdk.core, addressFamily, flags,
					   (struct vmbnet_inject_handle **)injectionHandle);
}

NTSTATUS FwpsInjectionHandleDestroy0(HANDLE injectionHandle)
{
	return vmbnet_inject_handle_destroy(injectionHandle);
}

NTSTATUS FwpsInjectTransportSendAsync1(HANDLE injectionHandle, HANDLE injectionContext,
				       UINT64 endpointHandle, UINT32 flags,
				       FWPS_TRANSPORT_SEND_PARAMS1 *sendArgs,
				       ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId,
				       NET_BUFFER_LIST *netBufferList,
				       FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext)
{
	struct vmbnet_send_params sp;

	if (sendArgs) {
		sp.remoteAddress = sendArgs->remoteAddress;
		sp.remoteScopeId = sendArgs->remoteScopeId;
	}
	return vmbnet_inject_transport_send(injectionHandle, injectionContext, endpointHandle,
					    flags, sendArgs ? &sp : NULL, addressFamily,
					    compartmentId, netBufferList, completionFn,
					    completionContext);
}

FWPS_PACKET_INJECTION_STATE FwpsQueryPacketInjectionState0(HANDLE injectionHandle,
							   const NET_BUFFER_LIST *netBufferList,
							   HANDLE *injectionContext)
{
	return (FWPS_PACKET_INJECTION_STATE)vmbnet_inject_query_state(
		injectionHandle, netBufferList, injectionContext);
}

DWORD Dot11ExtSendPacket(HANDLE hDot11SvcHandle, ULONG ulInBufferSize, PVOID pvInBuffer,
			 HANDLE hSendCompletion)
{
	int32_t st;

	(void)hDot11SvcHandle;
	if (!vmbnet_wdk.core)
		return ERROR_GEN_FAILURE;
	st = vmbnet_dot11_send_packet(vmbnet_wdk.core, pvInBuffer, ulInBufferSize, hSendCompletion);
	if (st == VMBNET_STATUS_INVALID_PARAMETER)
		return ERROR_INVALID_PARAMETER;
	if (st == VMBNET_STATUS_INSUFFICIENT_RESOURCES)
		return ERROR_NOT_ENOUGH_MEMORY;
	return st ? ERROR_GEN_FAILURE : ERROR_SUCCESS;
}

void NdisIMCopySendCompletePerPacketInfo(PNDIS_PACKET DstPacket, PNDIS_PACKET SrcPacket)
{
	vmbnet_im_copy_send_complete_info(DstPacket, SrcPacket);
}
