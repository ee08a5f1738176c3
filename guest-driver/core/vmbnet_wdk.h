/* SPDX-License-Identifier: MIT */
/*
 * The WDK names of the five DDIs vmbnet implements, mapped onto the DDI
 * core, so driver code written against the WDK signatures compiles and runs
 * in the Linux guest and in host tests:
 *
 *   VmbPacketSendWithExternalMdl          (vmbuskernelmodeclientlibapi.h)
 *   FwpsInjectTransportSendAsync1         (fwpsk.h), with
 *   FWPS_INJECT_COMPLETE0                 and the injection handle/state calls
 *   DOT11EXTIHV_SEND_PACKET_COMPLETION    (wlanihv.h), with Dot11ExtSendPacket
 *   NdisIMCopySendCompletePerPacketInfo   (ndis.h)
 *
 * The functions act on the core bound with VmbnetWdkBind(); types are the
 * core's structs under their WDK names. NTSTATUS values are Windows'.
 */
#ifndef VMBNET_WDK_H
#define VMBNET_WDK_H

#include "vmbnet_ddi.h"

typedef int32_t NTSTATUS;
typedef uint8_t BOOLEAN;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef void *PVOID;
typedef void *HANDLE;
typedef uint16_t ADDRESS_FAMILY;
typedef uint32_t COMPARTMENT_ID;

typedef struct vmbnet_mdl MDL, *PMDL;
typedef struct vmbnet_nb NET_BUFFER, *PNET_BUFFER;
typedef struct vmbnet_nbl NET_BUFFER_LIST, *PNET_BUFFER_LIST;
typedef struct vmbnet_nbl NDIS_PACKET, *PNDIS_PACKET; /* NDIS 5 packet ~ NBL */
typedef struct vmbnet_vmbpacket *VMBPACKET;

#define STATUS_SUCCESS VMBNET_STATUS_SUCCESS
#define STATUS_UNSUCCESSFUL VMBNET_STATUS_UNSUCCESSFUL
#define STATUS_INVALID_PARAMETER VMBNET_STATUS_INVALID_PARAMETER
#define STATUS_INSUFFICIENT_RESOURCES VMBNET_STATUS_INSUFFICIENT_RESOURCES
#define STATUS_CANCELLED VMBNET_STATUS_CANCELLED
#define STATUS_FWP_TCPIP_NOT_READY VMBNET_STATUS_FWP_TCPIP_NOT_READY
#define STATUS_FWP_INJECT_HANDLE_CLOSING VMBNET_STATUS_FWP_INJECT_HANDLE_CLOSING
#define NT_SUCCESS(s) ((NTSTATUS)(s) >= 0)
#define ERROR_SUCCESS 0u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_NOT_ENOUGH_MEMORY 8u
#define ERROR_GEN_FAILURE 31u

#define VMBUS_CHANNEL_FORMAT_FLAG_WAIT_FOR_COMPLETION VMBNET_FLAG_WAIT_FOR_COMPLETION
#define VMBUS_CHANNEL_FORMAT_FLAG_FORCE_MDL_LENGTH VMBNET_FLAG_FORCE_MDL_LENGTH
#define VMBUS_CHANNEL_FORMAT_FLAG_PAGED_BUFFER VMBNET_FLAG_PAGED_BUFFER

#define AF_UNSPEC_WDK VMBNET_AF_UNSPEC
#define UNSPECIFIED_COMPARTMENT_ID 0u

/* NET_BUFFER_LIST accessors. */
#define NET_BUFFER_LIST_NEXT_NBL(nbl) ((nbl)->Next)
#define NET_BUFFER_LIST_FIRST_NB(nbl) ((nbl)->FirstNetBuffer)
#define NET_BUFFER_LIST_STATUS(nbl) ((nbl)->Status)
#define NET_BUFFER_LIST_INFO(nbl, id) ((nbl)->NetBufferListInfo[(id)])
#define NET_BUFFER_FIRST_MDL(nb) ((nb)->MdlChain)
#define NET_BUFFER_DATA_OFFSET(nb) ((nb)->DataOffset)
#define NET_BUFFER_DATA_LENGTH(nb) ((nb)->DataLength)
#define MmGetMdlByteCount(m) ((m)->ByteCount)
#define MmGetMdlByteOffset(m) ((m)->ByteOffset)

/* NDIS_NET_BUFFER_LIST_INFO ids vmbnet carries. */
#define TcpIpChecksumNetBufferListInfo VMBNET_INFO_CHECKSUM
#define IPsecOffloadV1NetBufferListInfo VMBNET_INFO_IPSEC
#define TcpLargeSendNetBufferListInfo VMBNET_INFO_LSO
#define Ieee8021QNetBufferListInfo VMBNET_INFO_8021Q

/* FWPS */
typedef enum FWPS_PACKET_INJECTION_STATE_ {
	FWPS_PACKET_NOT_INJECTED = VMBNET_NOT_INJECTED,
	FWPS_PACKET_INJECTED_BY_SELF = VMBNET_INJECTED_BY_SELF,
	FWPS_PACKET_INJECTED_BY_OTHER = VMBNET_INJECTED_BY_OTHER,
	FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF = VMBNET_PREVIOUSLY_INJECTED_BY_SELF,
} FWPS_PACKET_INJECTION_STATE;

#define FWPS_INJECTION_TYPE_TRANSPORT 0x4u

typedef struct FWPS_TRANSPORT_SEND_PARAMS1_ {
	uint8_t *remoteAddress;
	uint32_t remoteScopeId;
	void *controlData;
	ULONG controlDataLength;
	uint8_t *headerIncludeHeader;
	ULONG headerIncludeHeaderLength;
} FWPS_TRANSPORT_SEND_PARAMS1;

typedef void (*FWPS_INJECT_COMPLETE0)(void *context, NET_BUFFER_LIST *netBufferList,
				      BOOLEAN dispatchLevel);

/* wlanihv.h */
typedef DWORD (*DOT11EXTIHV_SEND_PACKET_COMPLETION)(HANDLE hSendCompletion);

/* The core the WDK-named calls act on (one per module or test). */
struct vmbnet_wdk_binding {
	struct vmbnet_core *core;
	DOT11EXTIHV_SEND_PACKET_COMPLETION dot11_completion;
	void (*vmb_completion)(VMBPACKET pkt, NTSTATUS status);
};
extern struct vmbnet_wdk_binding vmbnet_wdk;

void VmbnetWdkBind(struct vmbnet_core *core, DOT11EXTIHV_SEND_PACKET_COMPLETION dot11,
		   void (*vmb_completion)(VMBPACKET pkt, NTSTATUS status));

/* vmbkmcl */
VMBPACKET VmbPacketAllocate(void);
void VmbPacketFree(VMBPACKET PacketObject);
NTSTATUS VmbPacketSendWithExternalMdl(VMBPACKET PacketObject, PVOID Buffer, UINT32 BufferLength,
				      PMDL ExternalDataMdl, UINT32 MdlOffset, UINT32 MdlLength,
				      UINT32 Flags);

/* fwpsk */
NTSTATUS FwpsInjectionHandleCreate0(ADDRESS_FAMILY addressFamily, UINT32 flags,
				    HANDLE *injectionHandle);
NTSTATUS FwpsInjectionHandleDestroy0(HANDLE injectionHandle);
NTSTATUS FwpsInjectTransportSendAsync1(HANDLE injectionHandle, HANDLE injectionContext,
				       UINT64 endpointHandle, UINT32 flags,
				       FWPS_TRANSPORT_SEND_PARAMS1 *sendArgs,
				       ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId,
				       NET_BUFFER_LIST *netBufferList,
				       FWPS_INJECT_COMPLETE0 completionFn,
				       HANDLE completionContext);
FWPS_PACKET_INJECTION_STATE FwpsQueryPacketInjectionState0(HANDLE injectionHandle,
							   const NET_BUFFER_LIST *netBufferList,
							   HANDLE *injectionContext);

/* wlanihv: the frame is sent; hSendCompletion comes back through the bound
 * DOT11EXTIHV_SEND_PACKET_COMPLETION.
 */
DWORD Dot11ExtSendPacket(HANDLE hDot11SvcHandle, ULONG ulInBufferSize, PVOID pvInBuffer,
			 HANDLE hSendCompletion);

/* ndis */
void NdisIMCopySendCompletePerPacketInfo(PNDIS_PACKET DstPacket, PNDIS_PACKET SrcPacket);

#endif /* VMBNET_WDK_H */
