// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: PCI probe and remove for vmbnet-pci, the VMBus-style synthetic
 * NIC of the vmbnet emulated target.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <asm/unaligned.h>

#include "vmbnet.h"

/* Check the register file before trusting anything else the device says. */
static int vmbnet_check_device(struct vmbnet_dev *vd)
{
	struct device *dev = &vd->pdev->dev;
	u32 magic = vmbnet_rd(vd, VMB_REG_MAGIC);
	u32 lo, hi;

	if (magic != VMB_PCI_MAGIC) {
		dev_err(dev, "bad magic 0x%08x (want 0x%08x)\n", magic, VMB_PCI_MAGIC);
		return -ENODEV;
	}
	vd->version = vmbnet_rd(vd, VMB_REG_VERSION);
	if (vd->version >> 16 != VMB_PCI_VERSION_MAJOR) {
		dev_err(dev, "register map version %u.%u, driver speaks %u.x\n",
			vd->version >> 16, vd->version & 0xffff, VMB_PCI_VERSION_MAJOR);
		return -ENODEV;
	}
	vd->features = vmbnet_rd(vd, VMB_REG_FEATURES);
	vd->num_channels = vmbnet_rd(vd, VMB_REG_NUM_CHANNELS);
	if (!vd->num_channels || vd->num_channels > VMB_PCI_MAX_CHANNELS) {
		dev_err(dev, "device offers %u channels (1..%u)\n",
			vd->num_channels, VMB_PCI_MAX_CHANNELS);
		return -ENODEV;
	}
	vd->mtu = vmbnet_rd(vd, VMB_REG_MTU);
	lo = vmbnet_rd(vd, VMB_REG_MAC_LO);
	hi = vmbnet_rd(vd, VMB_REG_MAC_HI);
	put_unaligned_le32(lo, vd->mac);
	put_unaligned_le16((u16)hi, vd->mac + 4);
	return 0;
}

static int vmbnet_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vmbnet_dev *vd;
	int err;

	vd = devm_kzalloc(&pdev->dev, sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	vd->pdev = pdev;
	pci_set_drvdata(pdev, vd);

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	err = pcim_iomap_regions(pdev, BIT(VMB_PCI_BAR_REGS), VMBNET_DRV_NAME);
	if (err)
		return err;
	vd->regs = pcim_iomap_table(pdev)[VMB_PCI_BAR_REGS];
	err = vmbnet_check_device(vd);
	if (err)
		return err;
	pci_set_master(pdev);

	/* One vector for the control plane plus one per channel; INTx if the
	 * platform has no MSI-X.
	 */
	vd->nvec = pci_alloc_irq_vectors(pdev, 1, 1 + vd->num_channels,
					 PCI_IRQ_MSIX | PCI_IRQ_LEGACY);
	if (vd->nvec < 0)
		return vd->nvec;

	dev_info(&pdev->dev,
		 "vmbnet-pci %u.%u: %u channel(s), mtu %u, mac %pM, %d %s vector(s)\n",
		 vd->version >> 16, vd->version & 0xffff, vd->num_channels,
		 vd->mtu, vd->mac, vd->nvec, pdev->msix_enabled ? "MSI-X" : "INTx");
	return 0;
}

static void vmbnet_remove(struct pci_dev *pdev)
{
	struct vmbnet_dev *vd = pci_get_drvdata(pdev);

	vmbnet_wr(vd, VMB_REG_CONTROL, VMB_CTRL_RESET);
	pci_free_irq_vectors(pdev);
	dev_info(&pdev->dev, "removed\n");
}

static const struct pci_device_id vmbnet_pci_ids[] = {
	{ PCI_DEVICE(VMB_PCI_VENDOR_ID, VMB_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vmbnet_pci_ids);

static struct pci_driver vmbnet_driver = {
	.name = VMBNET_DRV_NAME,
	.id_table = vmbnet_pci_ids,
	.probe = vmbnet_probe,
	.remove = vmbnet_remove,
};
module_pci_driver(vmbnet_driver);

MODULE_DESCRIPTION("vmbnet: VMBus-style synthetic NIC on vmbnet-pci");
MODULE_LICENSE("GPL");
