// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: PCI probe and remove for vmbnet-pci, the VMBus-style synthetic
 * NIC of the vmbnet emulated target.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <asm/unaligned.h>

#include "vmbnet.h"
#include "vmbnet_ddi_linux.h"

/* ---- the message page (replaces SynIC message slots) -------------------- */

int vmbnet_ctrl_send(struct vmbnet_dev *vd, const void *msg, u32 len)
{
	u8 buf[VMB_MSG_MAX] = { 0 };
	u32 off;

	if (len > VMB_MSG_MAX)
		return -EINVAL;
	memcpy(buf, msg, len);
	for (off = 0; off < len; off += 4)
		vmbnet_wr(vd, VMB_REG_MSG_TX + off, get_unaligned_le32(buf + off));
	vmbnet_wr(vd, VMB_REG_MSG_SEND, len);
	return 0;
}

/* Pop the next host message into @buf; its type, 0 if none came in time. */
static u32 vmbnet_ctrl_recv(struct vmbnet_dev *vd, u8 *buf, unsigned int timeout_ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);
	u32 len, off;

	do {
		len = vmbnet_rd(vd, VMB_REG_MSG_RECV);
		if (len)
			break;
		usleep_range(200, 1000);
	} while (time_before(jiffies, end));
	if (!len || len > VMB_MSG_MAX || len < sizeof(struct vmb_msg_hdr))
		return 0;
	for (off = 0; off < len; off += 4)
		put_unaligned_le32(vmbnet_rd(vd, VMB_REG_MSG_RX + off), buf + off);
	return get_unaligned_le32(buf);
}

/*
 * Send @msg and wait for the host's message of @want_type (copied to @reply).
 * Messages of other types arriving meanwhile are unexpected and dropped.
 * Returns 0 or -ETIMEDOUT. Callers hold no locks; the message page is ours.
 */
int vmbnet_ctrl_call(struct vmbnet_dev *vd, const void *msg, u32 len, u32 want_type, void *reply,
		     u32 reply_len)
{
	u8 buf[VMB_MSG_MAX];
	u32 type;
	int err = -ETIMEDOUT;

	mutex_lock(&vd->ctrl_lock);
	if (msg)
		vmbnet_ctrl_send(vd, msg, len);
	while ((type = vmbnet_ctrl_recv(vd, buf, VMBNET_CTRL_TIMEOUT_MS))) {
		if (type == want_type) {
			memcpy(reply, buf, min_t(u32, reply_len, VMB_MSG_MAX));
			err = 0;
			break;
		}
		dev_warn(&vd->pdev->dev, "unexpected host message %u\n", type);
	}
	mutex_unlock(&vd->ctrl_lock);
	return err;
}

/* Version, then the offers: one channel per offer, in relid order. */
static int vmbnet_connect(struct vmbnet_dev *vd)
{
	struct vmb_msg_initiate_contact m = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
	};
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	struct vmb_msg_version_response vr;
	struct vmb_msg_offer o;
	int err;

	err = vmbnet_ctrl_call(vd, &m, sizeof(m), VMB_MSG_VERSION_RESPONSE, &vr, sizeof(vr));
	if (err)
		return err;
	if (!vr.version_supported)
		return -EPROTONOSUPPORT;
	vd->nchan = 0;
	err = vmbnet_ctrl_call(vd, &req, sizeof(req), VMB_MSG_OFFER_CHANNEL, &o, sizeof(o));
	while (!err && vd->nchan < vd->num_channels) {
		struct vmbnet_guest_chan *ch = &vd->chan[vd->nchan];

		ch->vd = vd;
		ch->index = o.connection_id;
		ch->relid = o.child_relid;
		if (ch->index >= vd->num_channels)
			return -EPROTO;
		vd->nchan++;
		if (vd->nchan == vd->num_channels)
			break;
		err = vmbnet_ctrl_call(vd, NULL, 0, VMB_MSG_OFFER_CHANNEL, &o, sizeof(o));
	}
	if (err)
		return err;
	return vmbnet_ctrl_call(vd, NULL, 0, VMB_MSG_ALL_OFFERS_DELIVERED, &o, sizeof(o));
}

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
		dev_err(dev, "register map version %u.%u, driver speaks %u.x\n", vd->version >> 16,
			vd->version & 0xffff, VMB_PCI_VERSION_MAJOR);
		return -ENODEV;
	}
	vd->num_channels = vmbnet_rd(vd, VMB_REG_NUM_CHANNELS);
	if (!vd->num_channels || vd->num_channels > VMB_PCI_MAX_CHANNELS) {
		dev_err(dev, "device offers %u channels (1..%u)\n", vd->num_channels,
			VMB_PCI_MAX_CHANNELS);
		return -ENODEV;
	}
	vd->mtu = vmbnet_rd(vd, VMB_REG_MTU);
	vd->ring_pages = clamp_t(u32, vmbnet_rd(vd, VMB_REG_RING_PAGES), VMB_PCI_RING_PAGES_MIN,
				 VMB_PCI_RING_PAGES_MAX);
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
	mutex_init(&vd->ctrl_lock);
	vd->next_gpadl = 1;
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
	vmbnet_wr(vd, VMB_REG_CONTROL, VMB_CTRL_RESET);
err_free_vectors:
	pci_free_irq_vectors(pdev);
	return err;
}

static void vmbnet_remove(struct pci_dev *pdev)
{
	struct vmbnet_dev *vd = pci_get_drvdata(pdev);
	struct vmb_msg_hdr unload = { .msgtype = VMB_MSG_UNLOAD };
	struct vmb_msg_hdr reply;

	vmbnet_net_remove(vd);
	if (vmbnet_ctrl_call(vd, &unload, sizeof(unload), VMB_MSG_UNLOAD_RESPONSE, &reply,
			     sizeof(reply)))
		dev_warn(&pdev->dev, "no UNLOAD_RESPONSE; resetting the device\n");
	vmbnet_wr(vd, VMB_REG_CONTROL, VMB_CTRL_RESET);
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
