// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: PCI probe and remove for vmbnet-pci, the VMBus-style synthetic
 * NIC of the vmbnet emulated target.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "vmbnet.h"
#include "vmbc_lport.h"
#include "vmbnet_ddi_linux.h"

/* ---- the VMBus client's port: the PCI function ------------------------- */

static void port_chan_lock(void *opaque, u32 index)
{
	spin_lock_bh(&container_of(opaque, struct vmbnet_dev, lport)->chan[index].tx_lock);
}

static void port_chan_unlock(void *opaque, u32 index)
{
	spin_unlock_bh(&container_of(opaque, struct vmbnet_dev, lport)->chan[index].tx_lock);
}

static const struct vmbc_port vmbnet_vmbc_port = {
	VMBC_LPORT_OPS,
	.chan_lock = port_chan_lock,
	.chan_unlock = port_chan_unlock,
};

/* The register file, then version and offers: one channel per offer. */
static int vmbnet_connect(struct vmbnet_dev *vd)
{
	struct vmbc *c = &vd->vmbc;
	int err;
	u32 i;

	err = vmbc_connect(c);
	if (err)
		return err;
	vd->nchan = c->noffers;
	for (i = 0; i < c->noffers; i++) {
		struct vmbnet_guest_chan *ch = &vd->chan[i];

		ch->vd = vd;
		ch->index = c->offer[i].index;
		ch->relid = c->offer[i].relid;
	}
	return 0;
}

/* Check the register file before trusting anything else the device says. */
static int vmbnet_check_device(struct vmbnet_dev *vd)
{
	struct vmbc *c = &vd->vmbc;
	int err;

	vmbc_lport_init(&vd->lport, vd->regs, &vd->pdev->dev);
	vmbc_init(c, &vmbnet_vmbc_port, &vd->lport);
	err = vmbc_probe(c);
	if (err)
		return err;
	vd->version = c->version;
	vd->num_channels = c->num_channels;
	vd->mtu = c->mtu;
	vd->ring_pages = c->ring_pages;
	memcpy(vd->mac, c->mac, ETH_ALEN);
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
	vd->nvec =
		pci_alloc_irq_vectors(pdev, 1, 1 + vd->num_channels, PCI_IRQ_MSIX | PCI_IRQ_LEGACY);
	if (vd->nvec < 0)
		return vd->nvec;

	dev_info(&pdev->dev, "vmbnet-pci %u.%u: %u channel(s), mtu %u, mac %pM, %d %s vector(s)\n",
		 vd->version >> 16, vd->version & 0xffff, vd->num_channels, vd->mtu, vd->mac,
		 vd->nvec, pdev->msix_enabled ? "MSI-X" : "INTx");

	err = vmbnet_connect(vd);
	if (err) {
		dev_err(&pdev->dev, "control plane: %d\n", err);
		goto err_free_vectors;
	}
	err = vmbnet_net_probe(vd);
	if (err)
		goto err_reset;
	return 0;

err_reset:
	vmbc_reset(&vd->vmbc);
err_free_vectors:
	pci_free_irq_vectors(pdev);
	return err;
}

static void vmbnet_remove(struct pci_dev *pdev)
{
	struct vmbnet_dev *vd = pci_get_drvdata(pdev);

	vmbnet_net_remove(vd);
	if (vmbc_unload(&vd->vmbc))
		dev_warn(&pdev->dev, "no UNLOAD_RESPONSE; resetting the device\n");
	vmbc_reset(&vd->vmbc);
	pci_free_irq_vectors(pdev);
	dev_info(&pdev->dev, "removed\n");
}

static const struct pci_device_id vmbnet_pci_ids[] = { { PCI_DEVICE(VMB_PCI_VENDOR_ID,
								    VMB_PCI_DEVICE_ID) },
						       {} };
MODULE_DEVICE_TABLE(pci, vmbnet_pci_ids);

static struct pci_driver vmbnet_driver = {
	.name = VMBNET_DRV_NAME,
	.id_table = vmbnet_pci_ids,
	.probe = vmbnet_probe,
	.remove = vmbnet_remove,
};
static int __init vmbnet_init(void)
{
	return pci_register_driver(&vmbnet_driver);
}

static void __exit vmbnet_exit(void)
{
	pci_unregister_driver(&vmbnet_driver);
	vmbnet_ddi_module_exit();
}

module_init(vmbnet_init);
module_exit(vmbnet_exit);

MODULE_DESCRIPTION("vmbnet: VMBus-style synthetic NIC on vmbnet-pci");
MODULE_LICENSE("GPL");
