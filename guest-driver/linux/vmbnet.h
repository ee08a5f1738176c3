/* SPDX-License-Identifier: GPL-2.0 */
/* vmbnet.ko: shared definitions of the vmbnet-pci guest driver. */
#ifndef VMBNET_H
#define VMBNET_H

#include <linux/pci.h>
#include <linux/types.h>

#include "vmbnet/vmb_pci.h"

#define VMBNET_DRV_NAME "vmbnet"

struct vmbnet_dev {
	struct pci_dev *pdev;
	void __iomem *regs; /* BAR0 */
	u32 version; /* VMB_REG_VERSION */
	u32 features; /* VMB_REG_FEATURES */
	u32 num_channels; /* channels the device offers */
	u32 mtu;
	u8 mac[6];
	int nvec; /* MSI-X vectors allocated, or 1 for INTx */
};

static inline u32 vmbnet_rd(const struct vmbnet_dev *vd, u32 reg)
{
	return ioread32(vd->regs + reg);
}

static inline void vmbnet_wr(const struct vmbnet_dev *vd, u32 reg, u32 val)
{
	iowrite32(val, vd->regs + reg);
}

#endif /* VMBNET_H */
