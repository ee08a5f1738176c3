/* SPDX-License-Identifier: MIT */
/*
 * vmbnet-pci's register file (BAR0, transport/include/vmbnet/vmb_pci.h)
 * decoded onto the host side: identification registers, the message page,
 * doorbells and the INTx cause bits. Plain C: QEMU's vmbnet-pci and the
 * in-process device (device/sim) decode guest accesses with this one copy and
 * keep only what is theirs (reset, interrupt lines, logging).
 */
#ifndef VMBNET_REGS_H
#define VMBNET_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbnet_host.h"

/* What the identification registers say, and the link state. */
struct vmbnet_regs_dev {
	uint32_t features; /* VMB_FEAT_* */
	uint32_t channels;
	uint32_t mtu;
	uint32_t ring_pages;
	uint8_t mac[6];
	bool (*link_up)(void *opaque);
	void *opaque;
};

/* Guest-visible state (migrated by the embedding device). */
struct vmbnet_regs {
	uint32_t irq_status; /* INTx cause bits, one per vector */
	uint8_t msg_tx[VMB_MSG_MAX]; /* guest -> host message being written */
	uint8_t msg_rx[VMB_MSG_MAX]; /* host -> guest message last popped */
};

/* What a write asks of the embedding device. */
enum vmbnet_regs_effect {
	VMBNET_REGS_DONE,
	VMBNET_REGS_RESET, /* VMB_CTRL_RESET: reset the whole device */
	VMBNET_REGS_IRQ_ACK, /* cause bits cleared: update the INTx line */
	VMBNET_REGS_BAD_LENGTH, /* MSG_SEND over VMB_MSG_MAX (counted) */
	VMBNET_REGS_UNKNOWN, /* no such writable register */
};

/* VMB_REG_STATUS as the host and @d see it. */
uint32_t vmbnet_regs_status(const struct vmbnet_host *h, const struct vmbnet_regs_dev *d);

/* Read the 32-bit register at @addr into *@val; false (and *@val = 0)
 * when there is none.
 */
bool vmbnet_regs_read(struct vmbnet_regs *r, struct vmbnet_host *h, const struct vmbnet_regs_dev *d,
		      uint32_t addr, uint32_t *val);

/* Write @val to the register at @addr. */
enum vmbnet_regs_effect vmbnet_regs_write(struct vmbnet_regs *r, struct vmbnet_host *h,
					  uint32_t addr, uint32_t val);

#endif /* VMBNET_REGS_H */
