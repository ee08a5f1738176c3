/*
 * vmbnet-pci: the device state, shared by the device (vmbnet-pci.c) and its
 * datapath B, the hand-off to an external backend (vmbnet-pci-hof.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_VMBNET_PCI_H
#define HW_VMBNET_PCI_H

#include "hw/pci/pci.h"
#include "net/net.h"

#include "vmbnet/vmb_pci.h"
#include "vmbnet_fault.h"
#include "vmbnet_hof.h"
#include "vmbnet_host.h"
#include "vmbnet_nic.h"
#include "vmbnet_regs.h"

#define TYPE_VMBNET_PCI "vmbnet-pci"
OBJECT_DECLARE_SIMPLE_TYPE(VmbnetPciState, VMBNET_PCI)

#define VMBNET_DEFAULT_MTU 1500
#define VMBNET_MIN_MTU VMB_PCI_MTU_MIN
#define VMBNET_MAX_MTU 9000
#define VMBNET_DEFAULT_RING_PAGES 64 /* 256 KiB per direction */
#define VMBNET_MAX_RING_PAGES VMB_PCI_RING_PAGES_MAX

struct VmbnetPciState {
    PCIDevice parent_obj;

    MemoryRegion regs;
    NICState *nic_state;

    /* properties */
    NICConf conf;
    uint32_t queues; /* channels offered */
    uint32_t mtu;
    uint32_t ring_pages;
    char *backend; /* backend=: datapath B's unix socket; NULL = datapath A */
    bool absent_at_start;  /* present=false before realize */
    char *faults_file;     /* faults=: a scenario (device/fault/SCENARIO.md) */
    char *faults_log_file; /* faults-log=: each fired fault, a line */

    /* the register file (device/vmbus): guest-visible state, identity */
    struct vmbnet_regs regfile;
    struct vmbnet_regs_dev regfile_dev;

    /* VMBus host side (device/vmbus) and the NIC (device/nic) */
    struct vmbnet_host host;
    struct vmbnet_nic nic;      /* datapath A only */
    struct vmbnet_fault faults; /* the NIC's fault engine (datapath A) */
    FILE *faults_log;
    QEMUTimer *fault_timer; /* what the faults hold back (datapath A) */

    /* datapath B: the hand-off front end (backend != NULL) */
    struct vmbnet_hof_front hof;
    int hof_watched;      /* hof.sock as registered with the main loop, or -1 */
    QEMUTimer *hof_timer; /* the oldest unanswered request's deadline */
    Error *migration_blocker;
};

static inline bool vmbnet_pci_datapath_b(VmbnetPciState *s)
{
    return s->backend != NULL;
}

/* ---- datapath B (vmbnet-pci-hof.c) ----------------------------------- */

/* Realize, before anything is set up: the properties and guest RAM suit it. */
bool vmbnet_pci_hof_check_props(VmbnetPciState *s, Error **errp);
/* With the host initialized: listen for the backend, block migration. */
bool vmbnet_pci_hof_realize(VmbnetPciState *s, Error **errp);
/* Watch the listening socket and the interrupt requests (or stop). */
void vmbnet_pci_hof_watch(VmbnetPciState *s, bool on);
/* After vmbnet_host_fini() closed the channels through the front end. */
void vmbnet_pci_hof_unrealize(VmbnetPciState *s);
/* After vmbnet_host_reset(): the backend drops its channels and GPADLs. */
void vmbnet_pci_hof_reset(VmbnetPciState *s);
void vmbnet_pci_hof_set_link(VmbnetPciState *s, bool up);
/* A fault rule for the backend's NIC (vmbnet_hof_front_fault()). */
int vmbnet_pci_hof_fault(VmbnetPciState *s, uint32_t op, const char *text);
/* After the front end sent something without waiting: arm its deadline. */
void vmbnet_pci_hof_arm(VmbnetPciState *s);

#endif /* HW_VMBNET_PCI_H */
