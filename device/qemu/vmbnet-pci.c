/*
 * vmbnet-pci: a VMBus-style synthetic NIC on a PCI function.
 *
 * BAR0 carries the registers and the message page that replace SynIC and
 * hypercalls; BAR2 carries MSI-X, one vector per channel plus one for the
 * control plane. The register map is transport/include/vmbnet/vmb_pci.h and
 * its spec transport/SPEC.md.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "trace.h"

#include "vmbnet/vmb_pci.h"

#define TYPE_VMBNET_PCI "vmbnet-pci"
OBJECT_DECLARE_SIMPLE_TYPE(VmbnetPciState, VMBNET_PCI)

#define VMBNET_DEFAULT_MTU 1500
#define VMBNET_MIN_MTU 68
#define VMBNET_MAX_MTU 9000
#define VMBNET_DEFAULT_RING_PAGES 64 /* 256 KiB per direction */
#define VMBNET_MAX_RING_PAGES 4096 /* 16 MiB per direction */

struct VmbnetPciState {
    PCIDevice parent_obj;

    MemoryRegion regs;
    MemoryRegion msix_bar;

    /* properties */
    MACAddr mac;
    uint32_t queues; /* channels offered */
    uint32_t mtu;
    uint32_t ring_pages;

    /* guest-visible state */
    uint32_t irq_status; /* INTx cause bits, one per vector */
    bool link_up;
};

static void vmbnet_pci_update_intx(VmbnetPciState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!msix_enabled(pdev)) {
        pci_set_irq(pdev, s->irq_status != 0);
    }
}

static uint32_t vmbnet_pci_status(VmbnetPciState *s)
{
    return s->link_up ? VMB_STATUS_LINK_UP : 0;
}

static uint64_t vmbnet_pci_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VmbnetPciState *s = opaque;
    uint64_t val = 0;

    switch (addr) {
    case VMB_REG_MAGIC:
        val = VMB_PCI_MAGIC;
        break;
    case VMB_REG_VERSION:
        val = VMB_PCI_VERSION;
        break;
    case VMB_REG_FEATURES:
        val = VMB_FEAT_MSIX | VMB_FEAT_PENDING_SEND_SZ;
        break;
    case VMB_REG_NUM_CHANNELS:
        val = s->queues;
        break;
    case VMB_REG_STATUS:
        val = vmbnet_pci_status(s);
        break;
    case VMB_REG_IRQ_STATUS:
        val = s->irq_status;
        break;
    case VMB_REG_MAC_LO:
        val = ldl_le_p(&s->mac.a[0]);
        break;
    case VMB_REG_MAC_HI:
        val = lduw_le_p(&s->mac.a[4]);
        break;
    case VMB_REG_MTU:
        val = s->mtu;
        break;
    case VMB_REG_RING_PAGES:
        val = s->ring_pages;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "vmbnet-pci: read of unknown register 0x%" HWADDR_PRIx
                      "\n", addr);
        break;
    }
    trace_vmbnet_pci_mmio_read(addr, val);
    return val;
}

static void vmbnet_pci_reset(DeviceState *dev)
{
    VmbnetPciState *s = VMBNET_PCI(dev);

    trace_vmbnet_pci_reset();
    s->irq_status = 0;
    vmbnet_pci_update_intx(s);
}

static void vmbnet_pci_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    VmbnetPciState *s = opaque;

    trace_vmbnet_pci_mmio_write(addr, val);
    switch (addr) {
    case VMB_REG_CONTROL:
        if (val & VMB_CTRL_RESET) {
            vmbnet_pci_reset(DEVICE(s));
        }
        break;
    case VMB_REG_IRQ_STATUS:
        s->irq_status &= ~(uint32_t)val;
        vmbnet_pci_update_intx(s);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "vmbnet-pci: write of 0x%" PRIx64
                      " to unknown or read-only register 0x%" HWADDR_PRIx "\n",
                      val, addr);
        break;
    }
}

static const MemoryRegionOps vmbnet_pci_mmio_ops = {
    .read = vmbnet_pci_mmio_read,
    .write = vmbnet_pci_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static bool vmbnet_pci_check_props(VmbnetPciState *s, Error **errp)
{
    if (s->queues < 1 || s->queues > VMB_PCI_MAX_CHANNELS) {
        error_setg(errp, "vmbnet-pci: queues must be 1..%d, got %u",
                   VMB_PCI_MAX_CHANNELS, s->queues);
        return false;
    }
    if (s->mtu < VMBNET_MIN_MTU || s->mtu > VMBNET_MAX_MTU) {
        error_setg(errp, "vmbnet-pci: mtu must be %d..%d, got %u",
                   VMBNET_MIN_MTU, VMBNET_MAX_MTU, s->mtu);
        return false;
    }
    if (s->ring_pages < 2 || s->ring_pages > VMBNET_MAX_RING_PAGES) {
        error_setg(errp, "vmbnet-pci: ring-pages must be 2..%d, got %u",
                   VMBNET_MAX_RING_PAGES, s->ring_pages);
        return false;
    }
    return true;
}

static void vmbnet_pci_realize(PCIDevice *pdev, Error **errp)
{
    VmbnetPciState *s = VMBNET_PCI(pdev);

    if (!vmbnet_pci_check_props(s, errp)) {
        return;
    }
    qemu_macaddr_default_if_unset(&s->mac);
    pci_config_set_interrupt_pin(pdev->config, 1);

    memory_region_init_io(&s->regs, OBJECT(s), &vmbnet_pci_mmio_ops, s,
                          "vmbnet-regs", VMB_PCI_BAR_REGS_SIZE);
    pci_register_bar(pdev, VMB_PCI_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);

    if (msix_init_exclusive_bar(pdev, VMB_PCI_NUM_VECTORS, VMB_PCI_BAR_MSIX,
                                NULL) == 0) {
        for (int v = 0; v < VMB_PCI_NUM_VECTORS; v++) {
            msix_vector_use(pdev, v);
        }
    } /* else INTx only: the guest sees no MSI-X capability */

    s->link_up = true;
    trace_vmbnet_pci_realize(s->queues, s->mtu);
}

static void vmbnet_pci_exit(PCIDevice *pdev)
{
    if (msix_present(pdev)) {
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
    }
}

static const VMStateDescription vmstate_vmbnet_pci = {
    .name = TYPE_VMBNET_PCI,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VmbnetPciState),
        VMSTATE_MSIX(parent_obj, VmbnetPciState),
        VMSTATE_UINT32(irq_status, VmbnetPciState),
        VMSTATE_BOOL(link_up, VmbnetPciState),
        VMSTATE_END_OF_LIST()
    }
};

static Property vmbnet_pci_properties[] = {
    DEFINE_PROP_MACADDR("mac", VmbnetPciState, mac),
    DEFINE_PROP_UINT32("queues", VmbnetPciState, queues, 1),
    DEFINE_PROP_UINT32("mtu", VmbnetPciState, mtu, VMBNET_DEFAULT_MTU),
    DEFINE_PROP_UINT32("ring-pages", VmbnetPciState, ring_pages,
                       VMBNET_DEFAULT_RING_PAGES),
    DEFINE_PROP_END_OF_LIST(),
};

static void vmbnet_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = vmbnet_pci_realize;
    k->exit = vmbnet_pci_exit;
    k->vendor_id = VMB_PCI_VENDOR_ID;
    k->device_id = VMB_PCI_DEVICE_ID;
    k->revision = VMB_PCI_REVISION;
    k->class_id = VMB_PCI_CLASS_NETWORK_OTHER;
    dc->desc = "vmbnet VMBus-style synthetic NIC";
    dc->vmsd = &vmstate_vmbnet_pci;
    dc->reset = vmbnet_pci_reset;
    device_class_set_props(dc, vmbnet_pci_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo vmbnet_pci_info = {
    .name = TYPE_VMBNET_PCI,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VmbnetPciState),
    .class_init = vmbnet_pci_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void vmbnet_pci_register_types(void)
{
    type_register_static(&vmbnet_pci_info);
}

type_init(vmbnet_pci_register_types)
