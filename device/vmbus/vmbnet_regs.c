// SPDX-License-Identifier: MIT
/* vmbnet-pci's register file. See vmbnet_regs.h. */
#include <string.h>

#include "vmbnet_regs.h"

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t vmbnet_regs_status(const struct vmbnet_host *h, const struct vmbnet_regs_dev *d)
{
	uint32_t st = d->link_up(d->opaque) ? VMB_STATUS_LINK_UP : 0;

	if (h->msgq_count)
		st |= VMB_STATUS_MSG_PENDING;
	for (uint32_t i = 0; i < h->nchan; i++)
		if (h->chan[i].state == VMBNET_CHAN_BROKEN)
			st |= VMB_STATUS_BROKEN;
	return st;
}

bool vmbnet_regs_read(struct vmbnet_regs *r, struct vmbnet_host *h, const struct vmbnet_regs_dev *d,
		      uint32_t addr, uint32_t *val)
{
	*val = 0;
	if (addr >= VMB_REG_MSG_RX && addr <= VMB_REG_MSG_RX + VMB_MSG_MAX - 4) {
		*val = ld32(r->msg_rx + ((addr - VMB_REG_MSG_RX) & ~3u));
		return true;
	}
	switch (addr) {
	case VMB_REG_MAGIC:
		*val = VMB_PCI_MAGIC;
		return true;
	case VMB_REG_VERSION:
		*val = VMB_PCI_VERSION;
		return true;
	case VMB_REG_FEATURES:
		*val = d->features;
		return true;
	case VMB_REG_NUM_CHANNELS:
		*val = d->channels;
		return true;
	case VMB_REG_STATUS:
		*val = vmbnet_regs_status(h, d);
		return true;
	case VMB_REG_IRQ_STATUS:
		*val = r->irq_status;
		return true;
	case VMB_REG_MAC_LO:
		*val = ld32(d->mac);
		return true;
	case VMB_REG_MAC_HI:
		*val = (uint32_t)d->mac[4] | (uint32_t)d->mac[5] << 8;
		return true;
	case VMB_REG_MTU:
		*val = d->mtu;
		return true;
	case VMB_REG_RING_PAGES:
		*val = d->ring_pages;
		return true;
	case VMB_REG_MSG_RECV:
		*val = vmbnet_host_pop(h, r->msg_rx);
		return true;
	}
	return false;
}

enum vmbnet_regs_effect vmbnet_regs_write(struct vmbnet_regs *r, struct vmbnet_host *h,
					  uint32_t addr, uint32_t val)
{
	if (addr >= VMB_REG_MSG_TX && addr <= VMB_REG_MSG_TX + VMB_MSG_MAX - 4) {
		st32(r->msg_tx + ((addr - VMB_REG_MSG_TX) & ~3u), val);
		return VMBNET_REGS_DONE;
	}
	if (addr >= VMB_REG_DOORBELL_BASE && addr < VMB_REG_DOORBELL(VMB_PCI_MAX_CHANNELS)) {
		vmbnet_host_doorbell(h, (addr - VMB_REG_DOORBELL_BASE) / 4);
		return VMBNET_REGS_DONE;
	}
	switch (addr) {
	case VMB_REG_CONTROL:
		return val & VMB_CTRL_RESET ? VMBNET_REGS_RESET : VMBNET_REGS_DONE;
	case VMB_REG_IRQ_STATUS:
		r->irq_status &= ~val;
		return VMBNET_REGS_IRQ_ACK;
	case VMB_REG_MSG_SEND:
		if (val > VMB_MSG_MAX) {
			h->stats.guest_errors++;
			return VMBNET_REGS_BAD_LENGTH;
		}
		vmbnet_host_message(h, r->msg_tx, val);
		return VMBNET_REGS_DONE;
	}
	return VMBNET_REGS_UNKNOWN;
}
