/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmbnet_hvbus.ko: a VMBus bus on vmbnet-pci for the guest kernel's own
 * Hyper-V drivers (hv_netvsc first).
 *
 * The module exports the hv_vmbus symbols those drivers import, with the
 * kernel's prototypes, so the modversions CRCs they recorded match. Each
 * source file stands for one hv_vmbus source file and includes exactly that
 * file's headers (drivers/hv/<name>.c's list, ending in "hyperv_vmbus.h"),
 * then this one, which adds no kernel header of its own: genksyms then sees
 * the same types and gives the same CRC. ci/check-symvers.sh compares them
 * with the kernel's Module.symvers at build time.
 *
 *   hvb_vmbus_drv.c    the bus, driver registration, the PCI function
 *   hvb_channel_mgmt.c offers -> hv_device / vmbus_channel
 *   hvb_channel.c      open, close, GPADLs, send, request ids
 *   hvb_ring_buffer.c  the inbound packet iterator, the outbound write
 *   hvb_connection.c   vmbus_proto_version
 *   hvb_oracle.c       exactly-once counts and the hang detector (no export)
 *
 * The VMBus steps themselves (message page, GPADL chunking, open, close)
 * are guest-driver/core/vmbnet_vmbc.c's, as in vmbnet.ko; the rings are
 * transport/src/vmb_ring.c's, which has Linux's hv_ring_buffer layout, so the
 * inline helpers of <linux/hyperv.h> (hv_get_bytes_to_read, hv_begin_read,
 * hv_end_read, ...) work on them unchanged.
 */
#ifndef VMBNET_HVBUS_H
#define VMBNET_HVBUS_H

#include "vmbc_lport.h"
#include "vmbnet_vmbc.h"

#define HVBUS_DRV_NAME "vmbnet_hvbus"

struct pci_dev;
struct hvb_bus;

/* hvb_oracle.c's view of one channel: request ids under the table's lock,
 * the watch's state under the ring lock.
 */
struct hvb_orc {
	u64 issued; /* ids given to requests */
	u64 freed; /* ids given back: completions and unsent packets */
	u64 unsent; /* of those, packets that never went out */
	u64 refused; /* completions for an id not outstanding */
	u64 hangs;
	/* ids whose completion the host sent and the bus delivered, which the
	 * driver has not given back: the host did its part (hv_netvsc keeps
	 * the ids of its NVSP init messages so: see hvb_oracle.c)
	 */
	unsigned long *answered;
	unsigned long *given_at; /* jiffies each id was given */
	/* the request last reported hung: its slot and when it was given */
	u32 hung_slot;
	unsigned long hung_at;
	bool hung;
};

/* One offered channel; the hv driver sees only .ch. */
struct hvb_chan {
	struct vmbus_channel ch;
	struct hvb_bus *bus;
	u32 index; /* connection id: doorbell and vector 1 + index */
	int irq;
	bool irq_on; /* request_irq() done */
	bool opened;
	struct vmb_ring up; /* guest -> host, under ch.outbound.ring_lock */
	struct vmb_ring down; /* host -> guest: the packet iterator's */
	struct vmb_pkt cur; /* the packet hv_pkt_iter_first() copied out */
	bool have_cur;
	struct page *ring_page;
	unsigned int ring_order;
	u32 ring_gpadl;
	struct hvb_orc orc;
};

#define HVB_EVQ_LEN (4 * VMB_PCI_MAX_CHANNELS)

/* A late offer or a rescind, noted under the message lock, handled by the work. */
struct hvb_offer_event {
	struct vmbc_offer offer;
	bool rescind;
};

/* One vmbnet-pci function: the bus's parent. */
struct hvb_bus {
	struct pci_dev *pdev;
	struct device *dev; /* &pdev->dev: the hv_devices' parent */
	void __iomem *regs;
	struct vmbc vmbc;
	struct vmbc_lport lport; /* vmbc's opaque: BAR0, the message-page lock */
	/* channels: hv_vmbus's vmbus_connection.channel_mutex, taken before
	 * the message lock
	 */
	struct mutex chan_mutex;
	u32 nchan; /* slots of chan[] in use (some may be NULL) */
	struct hvb_chan *chan[VMB_PCI_MAX_CHANNELS];
	struct hv_device *hv[VMB_PCI_MAX_CHANNELS]; /* primaries, registered */
	/* vector 0: host messages after the offers */
	int ctrl_irq;
	struct work_struct ctrl_work;
	bool ready; /* the first offers are in: the work may read messages */
	bool stopping;
	spinlock_t evq_lock;
	struct hvb_offer_event evq[HVB_EVQ_LEN];
	u32 evq_head, evq_count;
	u64 evq_dropped;
	/* hvb_oracle.c */
	struct delayed_work watch;
	struct dentry *debugfs;
	u64 hangs;
};

static inline struct hvb_chan *hvb_chan(struct vmbus_channel *c)
{
	return container_of(c, struct hvb_chan, ch);
}

/* hvb_vmbus_drv.c */
extern struct bus_type hvb_bus_type;
void hvb_chan_doorbell(struct hvb_chan *hc);
int hvb_chan_irq_on(struct hvb_chan *hc);
int hvb_dev_register(struct hvb_bus *b, struct hvb_chan *hc, unsigned int slot);
void hvb_chan_irq_off(struct hvb_chan *hc);

/* hvb_channel_mgmt.c */
int hvb_offers_add(struct hvb_bus *b);
void hvb_offers_remove(struct hvb_bus *b);
void hvb_offer_event(void *opaque, const struct vmbc_offer *o, bool rescind);
void hvb_ctrl_work(struct work_struct *w);
/* Take @hc off the bus and free it (under chan_mutex; it must be closed). */
void hvb_chan_free(struct hvb_chan *hc);

/* hvb_channel.c: close @hc whatever kind it is (vmbus_close() closes
 * primaries only, as hv_vmbus's does).
 */
void hvb_chan_close(struct hvb_chan *hc);

/* hvb_ring_buffer.c: one packet out, hv_ringbuffer_write()'s rules. */
int hvb_ring_write(struct vmbus_channel *c, u16 type, u16 flags, const void *ext, u32 ext_len,
		   const void *buf, u32 len, u64 requestid);

/* hvb_oracle.c */
int hvb_oracle_open(struct hvb_chan *hc, u32 size);
void hvb_oracle_close(struct hvb_chan *hc);
void hvb_oracle_id_given(struct hvb_chan *hc, u64 slot);
void hvb_oracle_id_back(struct hvb_chan *hc, u64 slot, bool known);
void hvb_oracle_answered(struct hvb_chan *hc, u64 trans_id);
void hvb_oracle_start(struct hvb_bus *b);
void hvb_oracle_stop(struct hvb_bus *b);
void hvb_oracle_exit(void);

#endif /* VMBNET_HVBUS_H */
