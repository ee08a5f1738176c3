/* SPDX-License-Identifier: GPL-2.0 */
/* vmbnet.ko: shared definitions of the vmbnet-pci guest driver. */
#ifndef VMBNET_H
#define VMBNET_H

#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/types.h>

#include "vmbnet_ddi.h"
#include "vmbnet_hist.h"
#include "vmbc_lport.h"
#include "vmbnet_vmbc.h"
#include "vmbnet/vmb_nvsp.h"
#include "vmbnet/vmb_pci.h"
#include "vmbnet/vmb_ring.h"

#define VMBNET_DRV_NAME "vmbnet"
#define VMBNET_RX_BUF_PAGES 64 /* 256 KiB receive buffer per channel */
#define VMBNET_TX_BUF_PAGES 256 /* 1 MiB send buffer per channel, hv_netvsc's default */
/* tx completion ids: send section + 1; the client's requests use VMBC_TID_BASE up */

struct vmbnet_dev;

struct vmbnet_guest_chan_stats {
	u64 tx_packets, tx_bytes, tx_busy, tx_failed;
	u64 rx_packets, rx_bytes, rx_dropped;
	u64 tx_refused; /* completions for no send in flight: counted, ignored */
	u64 tx_completion_errors; /* sends the host completed with a failure */
	u64 interrupts, doorbells;
};

struct vmbnet_guest_chan {
	struct vmbnet_dev *vd;
	u32 index; /* 0..num_channels-1: doorbell, vector 1 + index */
	u32 relid;
	struct vmbc_buf ring; /* DMA-coherent, like rx_buf and tx_buf */
	struct vmbc_chan vc; /* the client's view: bring-up and control requests */
	struct vmb_ring up; /* guest -> host: we produce (under tx_lock) */
	struct vmb_ring down; /* host -> guest: we consume (NAPI) */
	spinlock_t tx_lock;
	struct napi_struct napi;
	int irq;
	struct vmbc_buf rx_buf, tx_buf;
	u32 tx_section_size, tx_sections;
	unsigned long *tx_map; /* busy send sections */
	/* trans_id of each busy section's send: (generation << 32) + section +
	 * 1, so a completion the host repeats after the section went to a new
	 * frame is refused instead of freeing it early
	 */
	u64 *tx_tid;
	u8 tx_gen;
	struct vmbnet_guest_chan_stats stats;
};

struct vmbnet_dev {
	struct pci_dev *pdev;
	struct net_device *ndev;
	void __iomem *regs; /* BAR0 */
	u32 version; /* VMB_REG_VERSION */
	u32 num_channels; /* channels the device offers */
	u32 mtu;
	u32 ring_pages; /* per direction */
	u8 mac[6];
	int nvec; /* MSI-X vectors allocated, or 1 for INTx */
	struct vmbc vmbc; /* the VMBus client: message page, GPADLs, channels */
	struct vmbc_lport lport; /* its port: BAR0, the message-page lock */
	u32 nchan; /* channels in use */
	struct vmbnet_guest_chan chan[VMB_PCI_MAX_CHANNELS];
	/* the DDI core on channel 0 (vmbnet_ddi_linux.c) */
	struct vmbnet_core ddi;
	spinlock_t ddi_lock;
	/* channel 0's NAPI hands the core its completions in batches */
	struct vmbnet_comp ddi_comp[VMBNET_COMP_BATCH];
	bool ddi_ready;
	bool ddi_stopping; /* remove in progress: the load generator stops */
	struct dentry *debugfs;
	struct loadgen *loadgen;
	/* the hang detector on the DDI core (vmbnet_ddi_linux.c) */
	struct delayed_work ddi_watch;
	u64 ddi_hangs;
	u32 hung_slot, hung_gen; /* the packet last reported hung */
	bool hung;
};

static inline u32 vmbnet_rd(const struct vmbnet_dev *vd, u32 reg)
{
	return ioread32(vd->regs + reg);
}

static inline void vmbnet_wr(const struct vmbnet_dev *vd, u32 reg, u32 val)
{
	iowrite32(val, vd->regs + reg);
}

/* vmbnet_chan.c: channels */
int vmbnet_chan_open(struct vmbnet_guest_chan *ch);
void vmbnet_chan_close(struct vmbnet_guest_chan *ch);
void vmbnet_chan_doorbell(struct vmbnet_guest_chan *ch);

/* vmbnet_net.c: the netdev */
int vmbnet_net_probe(struct vmbnet_dev *vd);
void vmbnet_net_remove(struct vmbnet_dev *vd);

#endif /* VMBNET_H */
