// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet_hvbus.ko: drivers/hv/vmbus_drv.c's part: the "vmbus" bus, driver
 * registration, and the PCI function the bus sits on.
 *
 * Where hv_vmbus finds the host through ACPI and the hypervisor's SynIC,
 * this bus finds vmbnet-pci: its register file and message page carry the
 * VMBus channel messages (guest-driver/core/vmbnet_vmbc.c), MSI-X vector
 * 1 + n is channel n's interrupt, and a doorbell register is the guest's
 * signal. vmbnet.ko drives the same PCI function; whichever module loads
 * first owns it.
 *
 * Headers: exactly drivers/hv/vmbus_drv.c's (see hvbus.h).
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/sysctl.h>
#include <linux/slab.h>
#include <linux/acpi.h>
#include <linux/completion.h>
#include <linux/hyperv.h>
#include <linux/kernel_stat.h>
#include <linux/clockchips.h>
#include <linux/cpu.h>
#include <linux/sched/isolation.h>
#include <linux/sched/task_stack.h>

#include <linux/delay.h>
#include <linux/panic_notifier.h>
#include <linux/ptrace.h>
#include <linux/screen_info.h>
#include <linux/efi.h>
#include <linux/random.h>
#include <linux/kernel.h>
#include <linux/syscore_ops.h>
#include <linux/dma-map-ops.h>
#include <linux/pci.h>
#include <clocksource/hyperv_timer.h>
#include "hyperv_vmbus.h"
#include "hvbus.h"

/* ---- the bus ------------------------------------------------------------- */

static const struct hv_vmbus_device_id *hvb_match_id(const struct hv_driver *drv,
						     const struct hv_device *dev)
{
	const struct hv_vmbus_device_id *id = drv->id_table;

	for (; id && !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, &dev->dev_type))
			return id;
	return NULL;
}

static int hvb_bus_match(struct device *device, struct device_driver *driver)
{
	return hvb_match_id(drv_to_hv_drv(driver), device_to_hv_device(device)) != NULL;
}

static int hvb_bus_uevent(struct device *device, struct kobj_uevent_env *env)
{
	struct hv_device *dev = device_to_hv_device(device);

	return add_uevent_var(env, "MODALIAS=vmbus:%*phN", UUID_SIZE, &dev->dev_type);
}

static int hvb_bus_probe(struct device *device)
{
	struct hv_driver *drv = drv_to_hv_drv(device->driver);
	struct hv_device *dev = device_to_hv_device(device);
	int err;

	if (!drv->probe)
		return -ENODEV;
	err = drv->probe(dev, hvb_match_id(drv, dev));
	if (err)
		dev_err(device, "probe by %s failed: %d\n", drv->name, err);
	return err;
}

static void hvb_bus_remove(struct device *device)
{
	struct hv_driver *drv = drv_to_hv_drv(device->driver);

	if (drv->remove)
		drv->remove(device_to_hv_device(device));
}

static void hvb_bus_shutdown(struct device *device)
{
	struct hv_driver *drv;

	if (!device->driver)
		return;
	drv = drv_to_hv_drv(device->driver);
	if (drv->shutdown)
		drv->shutdown(device_to_hv_device(device));
}

struct bus_type hvb_bus_type = {
	.name = "vmbus", /* hv_vmbus's name: drivers and tools look for it */
	.match = hvb_bus_match,
	.uevent = hvb_bus_uevent,
	.probe = hvb_bus_probe,
	.remove = hvb_bus_remove,
	.shutdown = hvb_bus_shutdown,
};

int __vmbus_driver_register(struct hv_driver *hv_driver, struct module *owner, const char *mod_name)
{
	pr_info(HVBUS_DRV_NAME ": registering driver %s\n", hv_driver->name);
	hv_driver->driver.name = hv_driver->name;
	hv_driver->driver.owner = owner;
	hv_driver->driver.mod_name = mod_name;
	hv_driver->driver.bus = &hvb_bus_type;
	spin_lock_init(&hv_driver->dynids.lock);
	INIT_LIST_HEAD(&hv_driver->dynids.list);
	return driver_register(&hv_driver->driver);
}
EXPORT_SYMBOL_GPL(__vmbus_driver_register);

void vmbus_driver_unregister(struct hv_driver *hv_driver)
{
	pr_info(HVBUS_DRV_NAME ": unregistering driver %s\n", hv_driver->name);
	driver_unregister(&hv_driver->driver);
}
EXPORT_SYMBOL_GPL(vmbus_driver_unregister);

static void hv_dev_release(struct device *d)
{
	kfree(device_to_hv_device(d));
}

/* hv_vmbus's vmbus_device_register(): name, parent, DMA parameters. */
int hvb_dev_register(struct hvb_bus *b, struct hvb_chan *hc, unsigned int slot)
{
	struct hv_device *hv = kzalloc(sizeof(*hv), GFP_KERNEL);
	int err;

	if (!hv)
		return -ENOMEM;
	hv->channel = &hc->ch;
	hc->ch.device_obj = hv;
	guid_copy(&hv->dev_type, &hc->ch.offermsg.offer.if_type);
	guid_copy(&hv->dev_instance, &hc->ch.offermsg.offer.if_instance);
	hv->vendor_id = 0x1414; /* PCI_VENDOR_ID_MICROSOFT, as vmbus_device_create() */
	hv->device_id = HV_NIC; /* hv_get_dev_type() of the netvsc GUID */
	hv->device.bus = &hvb_bus_type;
	hv->device.parent = b->dev;
	hv->device.release = hv_dev_release;
	hv->device.dma_parms = &hv->dma_parms;
	hv->device.dma_mask = &hv->dma_mask;
	err = dev_set_name(&hv->device, "%pUl", &hv->dev_instance);
	if (err) {
		kfree(hv);
		return err;
	}
	dma_set_mask(&hv->device, DMA_BIT_MASK(64));
	err = device_register(&hv->device);
	if (err) {
		put_device(&hv->device);
		hc->ch.device_obj = NULL;
		return err;
	}
	b->hv[slot] = hv;
	return 0;
}

/* ---- channel interrupts and signals --------------------------------------- */

void hvb_chan_doorbell(struct hvb_chan *hc)
{
	iowrite32(1, hc->bus->regs + VMB_REG_DOORBELL(hc->index));
}

/* hv_vmbus's vmbus_chan_sched(): in the ISR, or batched through the tasklet. */
static irqreturn_t hvb_chan_isr(int irq, void *data)
{
	struct vmbus_channel *c = &((struct hvb_chan *)data)->ch;
	void (*cb)(void *ctx) = READ_ONCE(c->onchannel_callback);

	c->interrupts++;
	if (!cb)
		return IRQ_HANDLED;
	switch (c->callback_mode) {
	case HV_CALL_ISR:
		cb(c->channel_callback_context);
		break;
	case HV_CALL_BATCHED:
		hv_begin_read(&c->inbound);
		fallthrough;
	case HV_CALL_DIRECT:
		tasklet_schedule(&c->callback_event);
	}
	return IRQ_HANDLED;
}

int hvb_chan_irq_on(struct hvb_chan *hc)
{
	int err;

	hc->irq = pci_irq_vector(hc->bus->pdev, VMB_PCI_VEC_CHANNEL(hc->index));
	if (hc->irq < 0)
		return hc->irq;
	err = request_irq(hc->irq, hvb_chan_isr, 0, HVBUS_DRV_NAME, hc);
	if (!err)
		hc->irq_on = true;
	return err;
}

void hvb_chan_irq_off(struct hvb_chan *hc)
{
	if (hc->irq_on)
		free_irq(hc->irq, hc);
	hc->irq_on = false;
}

/* ---- the VMBus client's port: the PCI function (vmbc_lport.h) ----------- */

static const struct vmbc_port hvb_port = {
	VMBC_LPORT_OPS,
	.offer_event = hvb_offer_event,
};

static irqreturn_t hvb_ctrl_isr(int irq, void *data)
{
	struct hvb_bus *b = data;

	/* before the first offers are in, vmbc_connect() reads the messages */
	if (READ_ONCE(b->ready) && !READ_ONCE(b->stopping))
		schedule_work(&b->ctrl_work);
	return IRQ_HANDLED;
}

/* ---- the PCI function ----------------------------------------------------- */

static int hvb_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct hvb_bus *b;
	int nvec, err;

	b = devm_kzalloc(&pdev->dev, sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->pdev = pdev;
	b->dev = &pdev->dev;
	mutex_init(&b->chan_mutex);
	spin_lock_init(&b->evq_lock);
	INIT_WORK(&b->ctrl_work, hvb_ctrl_work);
	pci_set_drvdata(pdev, b);
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	err = pcim_iomap_regions(pdev, BIT(VMB_PCI_BAR_REGS), HVBUS_DRV_NAME);
	if (err)
		return err;
	b->regs = pcim_iomap_table(pdev)[VMB_PCI_BAR_REGS];
	vmbc_lport_init(&b->lport, b->regs, b->dev);
	vmbc_init(&b->vmbc, &hvb_port, &b->lport);
	err = vmbc_probe(&b->vmbc);
	if (err)
		return err;
	pci_set_master(pdev);
	/* one vector per channel, as hv_vmbus has one event per channel */
	nvec = pci_alloc_irq_vectors(pdev, 1 + b->vmbc.num_channels, 1 + b->vmbc.num_channels,
				     PCI_IRQ_MSIX);
	if (nvec < 0) {
		dev_err(&pdev->dev, "needs %u MSI-X vectors: %d\n", 1 + b->vmbc.num_channels, nvec);
		return nvec;
	}
	b->ctrl_irq = pci_irq_vector(pdev, VMB_PCI_VEC_CONTROL);
	err = request_irq(b->ctrl_irq, hvb_ctrl_isr, 0, HVBUS_DRV_NAME, b);
	if (err)
		goto err_vectors;
	b->vmbc.contact_flags = VMB_CONTACT_SUBCHANNELS_ON_REQUEST;
	err = vmbc_connect(&b->vmbc);
	if (err) {
		dev_err(&pdev->dev, "VMBus contact and offers: %d\n", err);
		goto err_irq;
	}
	dev_info(&pdev->dev, "VMBus on vmbnet-pci %u.%u: %u offer(s), mac %pM\n",
		 b->vmbc.version >> 16, b->vmbc.version & 0xffff, b->vmbc.noffers, b->vmbc.mac);
	err = hvb_offers_add(b);
	if (err)
		goto err_offers;
	WRITE_ONCE(b->ready, true);
	schedule_work(&b->ctrl_work); /* whatever came after the offers */
	hvb_oracle_start(b);
	return 0;

err_offers:
	hvb_offers_remove(b);
	vmbc_reset(&b->vmbc);
err_irq:
	free_irq(b->ctrl_irq, b);
err_vectors:
	pci_free_irq_vectors(pdev);
	return err;
}

static void hvb_pci_remove(struct pci_dev *pdev)
{
	struct hvb_bus *b = pci_get_drvdata(pdev);

	hvb_oracle_stop(b);
	hvb_offers_remove(b);
	if (vmbc_unload(&b->vmbc))
		dev_warn(&pdev->dev, "no UNLOAD_RESPONSE; resetting the device\n");
	vmbc_reset(&b->vmbc);
	free_irq(b->ctrl_irq, b);
	cancel_work_sync(&b->ctrl_work);
	if (b->evq_dropped)
		dev_warn(&pdev->dev, "%llu offer event(s) dropped: queue full\n", b->evq_dropped);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id hvb_pci_ids[] = { { PCI_DEVICE(VMB_PCI_VENDOR_ID,
								 VMB_PCI_DEVICE_ID) },
						    {} };
MODULE_DEVICE_TABLE(pci, hvb_pci_ids);

static struct pci_driver hvb_pci_driver = {
	.name = HVBUS_DRV_NAME,
	.id_table = hvb_pci_ids,
	.probe = hvb_pci_probe,
	.remove = hvb_pci_remove,
};

static int __init hvb_init(void)
{
	int err = bus_register(&hvb_bus_type);

	if (err)
		return err;
	err = pci_register_driver(&hvb_pci_driver);
	if (err)
		bus_unregister(&hvb_bus_type);
	return err;
}

static void __exit hvb_exit(void)
{
	pci_unregister_driver(&hvb_pci_driver);
	bus_unregister(&hvb_bus_type);
	hvb_oracle_exit();
}

module_init(hvb_init);
module_exit(hvb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VMBus bus on vmbnet-pci for the kernel's Hyper-V drivers");
