/* SPDX-License-Identifier: MIT */
/*
 * vmbnet-pci register map, version 1.
 *
 * The PCI function replaces what a Hyper-V guest gets from SynIC and
 * hypercalls: a message page for VMBus-style channel messages (version,
 * offers, GPADLs, open/close), a doorbell per channel (guest -> host) and an
 * MSI-X vector per channel (host -> guest). The full spec with message flows
 * is transport/SPEC.md; keep both in step and bump VMB_PCI_VERSION_MINOR for
 * compatible additions, _MAJOR for anything else.
 */
#ifndef VMBNET_VMB_PCI_H
#define VMBNET_VMB_PCI_H

/*
 * IDs: 0x1234 is the unregistered vendor ID QEMU's own test devices use (edu
 * is 1234:11e8). 0x7662 ("vb") is not allocated anywhere; vmbnet is a test
 * target, never real hardware.
 */
#define VMB_PCI_VENDOR_ID 0x1234
#define VMB_PCI_DEVICE_ID 0x7662
#define VMB_PCI_REVISION 0x01
#define VMB_PCI_CLASS_NETWORK_OTHER 0x0280

#define VMB_PCI_MAGIC 0x4e424d56u /* "VMBN" read little-endian */
#define VMB_PCI_VERSION_MAJOR 1
#define VMB_PCI_VERSION_MINOR 0
#define VMB_PCI_VERSION ((VMB_PCI_VERSION_MAJOR << 16) | VMB_PCI_VERSION_MINOR)

/* BAR numbers */
#define VMB_PCI_BAR_REGS 0 /* registers + message page, 32-bit MMIO */
#define VMB_PCI_BAR_MSIX 2 /* MSI-X table and PBA */
#define VMB_PCI_BAR_REGS_SIZE 0x1000

/* Channels: vector 0 is the control plane, vector 1 + n is channel n. */
#define VMB_PCI_MAX_CHANNELS 8
#define VMB_PCI_VEC_CONTROL 0
#define VMB_PCI_VEC_CHANNEL(n) (1 + (n))
#define VMB_PCI_NUM_VECTORS (1 + VMB_PCI_MAX_CHANNELS)

/* BAR0 registers; all 32 bits wide, little-endian, naturally aligned. */
#define VMB_REG_MAGIC 0x000 /* RO  VMB_PCI_MAGIC */
#define VMB_REG_VERSION 0x004 /* RO  VMB_PCI_VERSION */
#define VMB_REG_FEATURES 0x008 /* RO  VMB_FEAT_* */
#define VMB_REG_NUM_CHANNELS 0x00c /* RO  channels offered (1..MAX_CHANNELS) */
#define VMB_REG_STATUS 0x010 /* RO  VMB_STATUS_* */
#define VMB_REG_CONTROL 0x014 /* WO  VMB_CTRL_* */
#define VMB_REG_MSG_SEND 0x018 /* WO  length of the message in MSG_TX */
#define VMB_REG_MSG_RECV \
	0x01c /* RO  pops next host message into MSG_RX, returns its length, 0 = none */
#define VMB_REG_IRQ_STATUS 0x020 /* RW1C  INTx cause bits: bit v = vector v */
#define VMB_REG_MAC_LO 0x040 /* RO  MAC bytes 0..3 */
#define VMB_REG_MAC_HI 0x044 /* RO  MAC bytes 4..5 */
#define VMB_REG_MTU 0x048 /* RO  MTU in bytes */
#define VMB_REG_RING_PAGES 0x04c /* RO  suggested ring size per direction, 4 KiB pages */
#define VMB_REG_DOORBELL_BASE 0x100 /* WO  doorbell of channel n at BASE + 4 * n */
#define VMB_REG_DOORBELL(n) (VMB_REG_DOORBELL_BASE + 4 * (n))
#define VMB_REG_MSG_TX 0x800 /* WO  guest -> host message, up to VMB_MSG_MAX bytes */
#define VMB_REG_MSG_RX 0xc00 /* RO  host -> guest message, up to VMB_MSG_MAX bytes */
#define VMB_MSG_MAX 0x400

/* Limits of what the registers may say (either side checks them). */
#define VMB_PCI_RING_PAGES_MIN 2 /* header page + one data page */
#define VMB_PCI_RING_PAGES_MAX 4096 /* 16 MiB per direction */
#define VMB_PCI_MTU_MIN 68 /* IPv4's minimum (RFC 791) */

/* VMB_REG_FEATURES */
#define VMB_FEAT_MSIX (1u << 0) /* one vector per channel + control */
#define VMB_FEAT_PENDING_SEND_SZ (1u << 1) /* rings honour pending_send_sz */

/* VMB_REG_STATUS */
#define VMB_STATUS_LINK_UP (1u << 0)
#define VMB_STATUS_MSG_PENDING (1u << 1) /* MSG_RECV would return non-zero */
#define VMB_STATUS_BROKEN (1u << 2) /* a channel saw a protocol violation */

/* VMB_REG_CONTROL */
#define VMB_CTRL_RESET (1u << 0) /* close all channels, complete in-flight work */

#endif /* VMBNET_VMB_PCI_H */
