/* SPDX-License-Identifier: MIT */
/*
 * NIC messages carried by a vmbnet channel, with Hyper-V netvsc's framing:
 * NVSP messages in the ring packets, RNDIS messages in the send buffer,
 * the receive buffer or GPA-direct ranges, and RNDIS per-packet info.
 * Layouts are packed and little-endian, as on the wire; copy a message out
 * of shared memory before reading its fields.
 */
#ifndef VMBNET_VMB_NVSP_H
#define VMBNET_VMB_NVSP_H

#include "vmb_wire.h"

/* ---- NVSP --------------------------------------------------------------- */

/* NVSP versions (Linux hyperv_net.h NVSP_PROTOCOL_VERSION_*, DPDK
 * hn_nvs.h NVS_VERSION_*); vmbnet agrees to the highest in the guest's range.
 */
#define NVSP_VERSION_1 0x00002u
#define NVSP_VERSION_2 0x30002u
#define NVSP_VERSION_4 0x40000u
#define NVSP_VERSION_5 0x50000u
#define NVSP_VERSION_6 0x60000u
#define NVSP_VERSION_61 0x60001u

enum nvsp_msg_type {
	NVSP_MSG_INIT = 1,
	NVSP_MSG_INIT_COMPLETE = 2,
	NVSP_MSG_SEND_NDIS_VER = 100,
	NVSP_MSG_SEND_RECV_BUF = 101,
	NVSP_MSG_SEND_RECV_BUF_COMPLETE = 102,
	NVSP_MSG_REVOKE_RECV_BUF = 103,
	NVSP_MSG_SEND_SEND_BUF = 104,
	NVSP_MSG_SEND_SEND_BUF_COMPLETE = 105,
	NVSP_MSG_REVOKE_SEND_BUF = 106,
	NVSP_MSG_SEND_RNDIS_PKT = 107,
	NVSP_MSG_SEND_RNDIS_PKT_COMPLETE = 108,
	NVSP_MSG_SEND_NDIS_CONFIG = 125,
	NVSP_MSG_SEND_VF_ASSOCIATION = 128, /* host -> guest, only with a VF */
	NVSP_MSG_SWITCH_DATA_PATH = 129, /* answered by a COMP without payload */
	NVSP_MSG_SUBCHANNEL = 133, /* its completion has the same type */
	NVSP_MSG_SEND_INDIRECTION_TABLE = 134, /* host -> guest */
};

enum nvsp_status {
	NVSP_STAT_SUCCESS = 1,
	NVSP_STAT_FAIL = 2,
	NVSP_STAT_PROTOCOL_TOO_NEW = 3,
	NVSP_STAT_PROTOCOL_TOO_OLD = 4,
	NVSP_STAT_INVALID_RNDIS_PKT = 5,
	NVSP_STAT_BUSY = 6,
};

#define NVSP_MSG_SIZE 40 /* every message is padded to this */
#define NVSP_RECV_BUF_ID 0xcafe
#define NVSP_SECTION_NONE 0xffffffffu /* RNDIS message in GPA-direct ranges */
#define NVSP_CHANNEL_DATA 0
#define NVSP_CHANNEL_CONTROL 1

struct nvsp_init {
	uint32_t type;
	uint32_t min_version;
	uint32_t max_version;
} __attribute__((packed));

struct nvsp_init_complete {
	uint32_t type;
	uint32_t negotiated_version;
	uint32_t max_mdl_chain_len;
	uint32_t status;
} __attribute__((packed));

/* SWITCH_DATA_PATH: which path the guest now sends on */
#define NVSP_DATAPATH_SYNTHETIC 0
#define NVSP_DATAPATH_VF 1

struct nvsp_switch_data_path {
	uint32_t type;
	uint32_t active_datapath;
} __attribute__((packed));

#define NVSP_SUBCHANNEL_ALLOCATE 1

struct nvsp_subchannel_request {
	uint32_t type;
	uint32_t op; /* NVSP_SUBCHANNEL_ALLOCATE */
	uint32_t num_subchannels; /* wanted */
} __attribute__((packed));

struct nvsp_subchannel_complete {
	uint32_t type; /* NVSP_MSG_SUBCHANNEL */
	uint32_t status;
	uint32_t num_subchannels; /* allocated: at most the number wanted */
} __attribute__((packed));

struct nvsp_ndis_ver {
	uint32_t type;
	uint32_t major;
	uint32_t minor;
} __attribute__((packed));

struct nvsp_send_buf { /* SEND_RECV_BUF and SEND_SEND_BUF */
	uint32_t type;
	uint32_t gpadl;
	uint16_t id;
} __attribute__((packed));

struct nvsp_recv_buf_complete {
	uint32_t type;
	uint32_t status;
	uint32_t num_sections; /* always 1 */
	uint32_t offset; /* section 0: start in the buffer, 0 */
	uint32_t sub_alloc_size; /* bytes per receive slot */
	uint32_t num_sub_allocs;
	uint32_t end_offset;
} __attribute__((packed));

struct nvsp_send_buf_complete {
	uint32_t type;
	uint32_t status;
	uint32_t section_size;
} __attribute__((packed));

struct nvsp_rndis_pkt {
	uint32_t type;
	uint32_t channel_type; /* NVSP_CHANNEL_* */
	uint32_t section_index; /* send buffer section, or NVSP_SECTION_NONE */
	uint32_t section_size; /* bytes used in that section */
} __attribute__((packed));

struct nvsp_rndis_pkt_complete {
	uint32_t type;
	uint32_t status;
} __attribute__((packed));

_Static_assert(sizeof(struct nvsp_init) == 12, "nvsp init");
_Static_assert(sizeof(struct nvsp_init_complete) == 16, "nvsp init complete");
_Static_assert(offsetof(struct nvsp_init_complete, status) == 12, "nvsp init status");
_Static_assert(sizeof(struct nvsp_ndis_ver) == 12, "nvsp ndis version");
_Static_assert(sizeof(struct nvsp_switch_data_path) == 8, "nvsp switch data path");
_Static_assert(sizeof(struct nvsp_subchannel_request) == 12, "nvsp subchannel request");
_Static_assert(sizeof(struct nvsp_subchannel_complete) == 12, "nvsp subchannel complete");
_Static_assert(sizeof(struct nvsp_send_buf) == 10, "nvsp send buf");
_Static_assert(offsetof(struct nvsp_recv_buf_complete, sub_alloc_size) == 16, "sub_alloc_size");
_Static_assert(sizeof(struct nvsp_recv_buf_complete) == 28, "recv buf complete");
_Static_assert(sizeof(struct nvsp_send_buf_complete) == 12, "send buf complete");
_Static_assert(sizeof(struct nvsp_rndis_pkt) == 16, "rndis pkt");
_Static_assert(sizeof(struct nvsp_rndis_pkt_complete) == 8, "rndis pkt complete");

/* ---- RNDIS -------------------------------------------------------------- */

enum rndis_msg_type {
	RNDIS_MSG_PACKET = 1,
	RNDIS_MSG_INIT = 2,
	RNDIS_MSG_HALT = 3,
	RNDIS_MSG_QUERY = 4,
	RNDIS_MSG_SET = 5,
	RNDIS_MSG_RESET = 6,
	RNDIS_MSG_INDICATE = 7,
	RNDIS_MSG_KEEPALIVE = 8,
};
#define RNDIS_MSG_COMPLETION 0x80000000u

#define RNDIS_STATUS_SUCCESS 0u
#define RNDIS_STATUS_FAILURE 0xc0000001u
#define RNDIS_STATUS_NOT_SUPPORTED 0xc00000bbu
#define RNDIS_STATUS_INVALID_DATA 0xc0010015u
#define RNDIS_STATUS_MEDIA_CONNECT 0x4001000bu
#define RNDIS_STATUS_MEDIA_DISCONNECT 0x4001000cu

#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u
#define RNDIS_OID_GEN_LINK_SPEED 0x00010107u
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER 0x0001010eu
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u
#define RNDIS_OID_802_3_PERMANENT_ADDRESS 0x01010101u
#define RNDIS_OID_802_3_CURRENT_ADDRESS 0x01010102u
#define RNDIS_OID_GEN_RSS_CAPABILITIES 0x00010203u /* query */
#define RNDIS_OID_GEN_RSS_PARAMETERS 0x00010204u /* set */
#define RNDIS_OID_TCP_OFFLOAD_PARAMETERS 0xfc01020cu /* set */
#define RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020du /* query */

/*
 * OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES answers with an NDIS_OFFLOAD
 * object. The guest sends the header of the revision it wants (hv_netvsc's
 * rndis_filter_query_device(): revision 3 from NVSP 5 on, 2 for NVSP 4, 1
 * before; DPDK's hn_rndis_query_hwcaps() the same), and the answer is that
 * revision's size. Hyper-V's host refuses a guest that ignores it: Linux
 * fails the probe on a reply whose type is not NDIS_OBJTYPE_OFFLOAD.
 */
#define NDIS_OBJTYPE_OFFLOAD 0xa7u
#define NDIS_OFFLOAD_SIZE_REV1 112u /* NDIS 6.0: up to the flags */
#define NDIS_OFFLOAD_SIZE_REV2 144u /* NDIS 6.1: + IPsec v2 */
#define NDIS_OFFLOAD_SIZE_REV3 156u /* NDIS 6.30: + RSC, encapsulation */
#define NDIS_OFFLOAD_ENCAP_8023 0x2u
#define NDIS_TXCSUM_IP4OPT 0x001u
#define NDIS_TXCSUM_TCP4OPT 0x004u
#define NDIS_TXCSUM_TCP4 0x010u
#define NDIS_TXCSUM_UDP4 0x040u
#define NDIS_TXCSUM_IP4 0x100u

/*
 * OID_GEN_RECEIVE_SCALE_CAPABILITIES: how many queues the guest may open
 * (num_recv_que; hv_netvsc asks for subchannels only when it is 2 or more).
 * NDIS's revision 2 ends after the table size (18 bytes, what Linux asks
 * for); DPDK asks for its padded struct (20 bytes). The answer is as long
 * as the question, within those two.
 */
#define NDIS_OBJTYPE_RSS_CAPS 0x88u
#define NDIS_RSS_CAPS_SIZE_REV2 18u
#define NDIS_RSS_CAP_MSI 0x01000000u
#define NDIS_RSS_CAP_CLASSIFY_DPC 0x04000000u
#define NDIS_RSS_CAP_IPV4 0x00000100u
#define NDIS_RSS_CAP_TOEPLITZ 0x00000001u

struct ndis_rss_caps {
	uint8_t type, revision;
	uint16_t size;
	uint32_t caps; /* NDIS_RSS_CAP_* */
	uint32_t num_int_msg;
	uint32_t num_recv_que;
	uint16_t num_indirect_tabent;
	uint16_t pad; /* DPDK's struct only */
} __attribute__((packed));

struct ndis_offload_caps {
	uint8_t type; /* NDIS_OBJTYPE_OFFLOAD */
	uint8_t revision;
	uint16_t size;
	/* checksum offload: encapsulation and capability bits per direction */
	uint32_t ip4_txenc, ip4_txcsum, ip4_rxenc, ip4_rxcsum;
	uint32_t ip6_txenc, ip6_txcsum, ip6_rxenc, ip6_rxcsum;
	uint8_t rest[NDIS_OFFLOAD_SIZE_REV3 - 36]; /* LSO, IPsec, RSC: none */
} __attribute__((packed));
_Static_assert(sizeof(struct ndis_offload_caps) == NDIS_OFFLOAD_SIZE_REV3, "ndis_offload");
_Static_assert(sizeof(struct ndis_rss_caps) == NDIS_RSS_CAPS_SIZE_REV2 + 2, "ndis_rss_caps");

/* OID_GEN_CURRENT_PACKET_FILTER bits (NDIS_PACKET_TYPE_*, as Linux
 * hv_netvsc's rndis_filter.c sets them).
 */
#define RNDIS_FILTER_DIRECTED 0x1u
#define RNDIS_FILTER_MULTICAST 0x2u
#define RNDIS_FILTER_ALL_MULTICAST 0x4u
#define RNDIS_FILTER_BROADCAST 0x8u
#define RNDIS_FILTER_PROMISCUOUS 0x20u

struct rndis_hdr {
	uint32_t msg_type;
	uint32_t msg_len; /* whole message, header included */
} __attribute__((packed));

/* RNDIS offsets (data, ppi, info) count from the end of this header. */
#define RNDIS_BODY_OFF sizeof(struct rndis_hdr)

/* Offsets in rndis_packet count from the start of this body (message + 8). */
struct rndis_packet {
	uint32_t data_offset;
	uint32_t data_len;
	uint32_t oob_offset;
	uint32_t oob_len;
	uint32_t num_oob;
	uint32_t ppi_offset;
	uint32_t ppi_len;
	uint32_t vc_handle;
	uint32_t reserved;
} __attribute__((packed));

struct rndis_init_request {
	uint32_t req_id;
	uint32_t major;
	uint32_t minor;
	uint32_t max_xfer_size;
} __attribute__((packed));

struct rndis_init_complete {
	uint32_t req_id;
	uint32_t status;
	uint32_t major;
	uint32_t minor;
	uint32_t dev_flags;
	uint32_t medium;
	uint32_t max_pkt_per_msg;
	uint32_t max_xfer_size;
	uint32_t pkt_align_factor;
	uint32_t af_list_offset;
	uint32_t af_list_size;
} __attribute__((packed));

/* QUERY and SET requests; info_offset counts from the body (message + 8). */
struct rndis_query_request {
	uint32_t req_id;
	uint32_t oid;
	uint32_t info_len;
	uint32_t info_offset;
	uint32_t vc_handle;
} __attribute__((packed));

struct rndis_query_complete {
	uint32_t req_id;
	uint32_t status;
	uint32_t info_len;
	uint32_t info_offset; /* from the body: 16, data right after */
} __attribute__((packed));

struct rndis_set_complete { /* also the KEEPALIVE completion */
	uint32_t req_id;
	uint32_t status;
} __attribute__((packed));

/* RESET carries no request id, nor does its completion (Linux
 * include/linux/rndis.h struct rndis_reset_complete; DPDK rndis.h).
 */
struct rndis_reset_complete {
	uint32_t status;
	uint32_t addressing_reset; /* 1: the host forgot the filter and addresses */
} __attribute__((packed));

struct rndis_indicate {
	uint32_t status;
	uint32_t buf_len;
	uint32_t buf_offset;
} __attribute__((packed));

_Static_assert(sizeof(struct rndis_hdr) == 8, "rndis header");
_Static_assert(sizeof(struct rndis_packet) == 36, "rndis packet body");
_Static_assert(sizeof(struct rndis_init_request) == 16, "rndis init body");
_Static_assert(sizeof(struct rndis_set_complete) == 8, "rndis set complete body");
_Static_assert(sizeof(struct rndis_reset_complete) == 8, "rndis reset complete body");
_Static_assert(sizeof(struct rndis_indicate) == 12, "rndis indicate body");
_Static_assert(offsetof(struct rndis_init_complete, status) == 4, "init complete status");
_Static_assert(offsetof(struct rndis_query_complete, status) == 4, "query complete status");
_Static_assert(sizeof(struct rndis_init_complete) == 44, "rndis init complete body");
_Static_assert(sizeof(struct rndis_query_request) == 20, "rndis query body");
_Static_assert(sizeof(struct rndis_query_complete) == 16, "rndis query complete body");

/* ---- per-packet info ---------------------------------------------------- */

enum rndis_ppi_type {
	RNDIS_PPI_CHECKSUM = 0,
	RNDIS_PPI_IPSEC = 1,
	RNDIS_PPI_LSO = 2,
	RNDIS_PPI_8021Q = 6,
	RNDIS_PPI_HASH = 8, /* NDIS "packet cancel id" slot: the hash value */
	RNDIS_PPI_HASH_INFO = 9, /* NDIS "original NBL" slot: hash type | function */
};

/* Hash info values (NDIS_HASH_*, the RSS types of ntddndis.h). */
#define RNDIS_HASH_FUNCTION_TOEPLITZ 0x00000001u
#define RNDIS_HASH_IPV4 0x00000100u
#define RNDIS_HASH_TCP_IPV4 0x00000200u
#define RNDIS_HASH_IPV6 0x00000400u
#define RNDIS_HASH_TCP_IPV6 0x00001000u

struct rndis_ppi {
	uint32_t size; /* header + data, a multiple of 4 */
	uint32_t type; /* bits 0..30 type, bit 31 internal */
	uint32_t ppi_offset; /* data offset from this header: 12 */
} __attribute__((packed));

#define RNDIS_PPI_INTERNAL (1u << 31)
#define RNDIS_PPI_MAX 256u /* per-packet info bytes in one RNDIS packet */

/*
 * vmbnet extension: the completion of an RNDIS data packet is NVSP 108
 * {type, status}, then a u32 ppi length, then the per-packet info the host
 * parsed (at least NVSP_MSG_SIZE bytes in all). A netvsc guest reads only
 * the first 8 bytes.
 */
#define NVSP_ECHO_PPI_OFF 12u
#define NVSP_ECHO_MAX (NVSP_ECHO_PPI_OFF + RNDIS_PPI_MAX)

/* Checksum info, transmit direction. */
#define RNDIS_CSUM_TX_IPV4 (1u << 0)
#define RNDIS_CSUM_TX_IPV6 (1u << 1)
#define RNDIS_CSUM_TX_TCP (1u << 2)
#define RNDIS_CSUM_TX_UDP (1u << 3)
#define RNDIS_CSUM_TX_IP_HDR (1u << 4)
#define RNDIS_CSUM_TX_TCP_OFF(v) (((v) >> 16) & 0x3ffu)
/* Checksum info, receive direction. */
#define RNDIS_CSUM_RX_TCP_OK (1u << 3)
#define RNDIS_CSUM_RX_UDP_OK (1u << 4)
#define RNDIS_CSUM_RX_IP_OK (1u << 5)
/* 802.1Q info: priority 0..2, CFI 3, VLAN id 4..15. */
#define RNDIS_8021Q_PRIO(v) ((v)&0x7u)
#define RNDIS_8021Q_VLAN(v) (((v) >> 4) & 0xfffu)
#define RNDIS_8021Q(prio, vlan) (((prio)&0x7u) | (((vlan)&0xfffu) << 4))
/* LSOv2 info: mss 0..19, tcp header offset 20..29, type 30, IPv6 31. */
#define RNDIS_LSO_MSS(v) ((v)&0xfffffu)
#define RNDIS_LSO_TCP_OFF(v) (((v) >> 20) & 0x3ffu)
#define RNDIS_LSO_IPV6 (1u << 31)

_Static_assert(sizeof(struct rndis_ppi) == 12, "ppi header");

#endif /* VMBNET_VMB_NVSP_H */
