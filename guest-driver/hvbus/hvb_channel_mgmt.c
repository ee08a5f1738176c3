// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet_hvbus.ko: drivers/hv/channel_mgmt.c's part: the device's offers
 * become vmbus_channel objects, each primary one an hv_device on the bus.
 *
 * hv_vmbus fills a channel from the host's OFFER message; here the offer
 * came through vmbnet's client (vmbc_connect()) and only the fields the
 * drivers read are set: the offer (types, instance, relid, sub-channel
 * index), the lists, the state and the target CPU.
 *
 * Headers: exactly drivers/hv/channel_mgmt.c's (see hvbus.h).
 */
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/cpu.h>
#include <linux/hyperv.h>
#include <asm/mshyperv.h>
#include <linux/sched/isolation.h>

#include "hyperv_vmbus.h"
#include "hvbus.h"

void vmbus_set_sc_create_callback(struct vmbus_channel *primary_channel,
				  void (*sc_cr_cb)(struct vmbus_channel *new_sc))
{
	primary_channel->sc_creation_callback = sc_cr_cb;
}
EXPORT_SYMBOL_GPL(vmbus_set_sc_create_callback);

static void hvb_callback_tasklet(struct tasklet_struct *t)
{
	struct vmbus_channel *c = from_tasklet(c, t, callback_event);
	void (*cb)(void *ctx) = READ_ONCE(c->onchannel_callback);

	if (cb)
		cb(c->channel_callback_context);
}

static struct hvb_chan *chan_alloc(struct hvb_bus *b, const struct vmbc_offer *o)
{
	struct hvb_chan *hc = kzalloc(sizeof(*hc), GFP_KERNEL);
	struct vmbus_channel *c;

	if (!hc)
		return NULL;
	hc->bus = b;
	hc->index = o->index;
	c = &hc->ch;
	INIT_LIST_HEAD(&c->listentry);
	INIT_LIST_HEAD(&c->sc_list);
	spin_lock_init(&c->sched_lock);
	init_completion(&c->rescind_event);
	tasklet_setup(&c->callback_event, hvb_callback_tasklet);
	BUILD_BUG_ON(sizeof(o->if_type) != sizeof(guid_t));
	memcpy(&c->offermsg.offer.if_type, &o->if_type, sizeof(guid_t));
	memcpy(&c->offermsg.offer.if_instance, &o->if_instance, sizeof(guid_t));
	c->offermsg.offer.sub_channel_index = o->sub_channel_index;
	c->offermsg.child_relid = o->relid;
	c->offermsg.connection_id = o->index;
	c->offermsg.is_dedicated_interrupt = 1;
	c->is_dedicated_interrupt = true;
	c->state = CHANNEL_OPEN_STATE;
	c->callback_mode = HV_CALL_BATCHED;
	c->target_cpu = VMBUS_CONNECT_CPU;
	return hc;
}

/*
 * One vmbus_channel per offer; each primary (sub-channel index 0) becomes
 * an hv_device, and the drivers on the bus probe it. The bus asks for
 * Hyper-V's offer model (VMB_CONTACT_SUBCHANNELS_ON_REQUEST): subchannels
 * come later, when the driver asks the host (NVSP 133); a sub-channel offer
 * found here (a host of vmbnet's own model) stays unused.
 */
int hvb_offers_add(struct hvb_bus *b)
{
	unsigned int i, unused = 0;
	int err;

	for (i = 0; i < b->vmbc.noffers; i++) {
		struct hvb_chan *hc = chan_alloc(b, &b->vmbc.offer[i]);

		if (!hc)
			return -ENOMEM;
		b->chan[i] = hc;
		b->nchan = i + 1;
		if (hc->ch.offermsg.offer.sub_channel_index) {
			unused++;
			continue;
		}
		err = hvb_dev_register(b, hc, i);
		if (err)
			return err;
	}
	if (unused)
		dev_info(b->dev, "%u sub-channel offer(s) left unused\n", unused);
	return 0;
}

void hvb_chan_free(struct hvb_chan *hc)
{
	struct hvb_bus *b = hc->bus;
	unsigned int i;

	for (i = 0; i < b->nchan; i++)
		if (b->chan[i] == hc)
			b->chan[i] = NULL;
	if (hc->ch.primary_channel)
		list_del(&hc->ch.sc_list);
	kfree(hc);
}

/* Unbind the drivers (they close their channels), then free the channels. */
void hvb_offers_remove(struct hvb_bus *b)
{
	unsigned int i;

	mutex_lock(&b->chan_mutex);
	b->stopping = true;
	mutex_unlock(&b->chan_mutex);
	cancel_work_sync(&b->ctrl_work);
	for (i = 0; i < b->nchan; i++) {
		if (b->hv[i])
			device_unregister(&b->hv[i]->device);
		b->hv[i] = NULL;
	}
	mutex_lock(&b->chan_mutex);
	for (i = 0; i < b->nchan; i++) {
		struct hvb_chan *hc = b->chan[i];

		if (!hc)
			continue;
		if (hc->opened) {
			dev_warn(b->dev, "channel %u still open at removal: closing it\n",
				 hc->ch.offermsg.child_relid);
			hvb_chan_close(hc);
		}
		b->chan[i] = NULL;
		kfree(hc);
	}
	b->nchan = 0;
	mutex_unlock(&b->chan_mutex);
}

/* The port's offer_event: under the message lock, so only queued here. */
void hvb_offer_event(void *opaque, const struct vmbc_offer *o, bool rescind)
{
	struct hvb_bus *b = container_of(opaque, struct hvb_bus, lport);
	unsigned long flags;

	spin_lock_irqsave(&b->evq_lock, flags);
	if (b->evq_count == HVB_EVQ_LEN) {
		b->evq_dropped++;
	} else {
		struct hvb_offer_event *e = &b->evq[(b->evq_head + b->evq_count) % HVB_EVQ_LEN];

		e->offer = *o;
		e->rescind = rescind;
		b->evq_count++;
	}
	spin_unlock_irqrestore(&b->evq_lock, flags);
	if (!READ_ONCE(b->stopping))
		schedule_work(&b->ctrl_work);
}

static struct hvb_chan *chan_by_relid(struct hvb_bus *b, u32 relid)
{
	unsigned int i;

	for (i = 0; i < b->nchan; i++)
		if (b->chan[i] && b->chan[i]->ch.offermsg.child_relid == relid)
			return b->chan[i];
	return NULL;
}

/* The first free slot of chan[] (VMB_PCI_MAX_CHANNELS when full). */
static unsigned int free_slot(struct hvb_bus *b)
{
	unsigned int i;

	for (i = 0; i < b->nchan; i++)
		if (!b->chan[i])
			return i;
	return b->nchan;
}

/*
 * A subchannel offer: hv_vmbus's vmbus_process_offer() finds the primary by
 * type and instance, links the new channel into its sc_list and hands it to
 * the driver's sc_creation_callback (hv_netvsc's netvsc_sc_open()).
 */
static void subchannel_add(struct hvb_bus *b, const struct vmbc_offer *o)
{
	struct hvb_chan *primary = NULL, *hc;
	unsigned int i, slot = free_slot(b);

	for (i = 0; i < b->nchan; i++) {
		struct hvb_chan *p = b->chan[i];

		if (p && !p->ch.primary_channel && !p->ch.offermsg.offer.sub_channel_index &&
		    !READ_ONCE(p->ch.rescind) &&
		    !memcmp(&p->ch.offermsg.offer.if_type, &o->if_type, sizeof(guid_t)) &&
		    !memcmp(&p->ch.offermsg.offer.if_instance, &o->if_instance, sizeof(guid_t)))
			primary = p;
	}
	if (!primary || slot >= VMB_PCI_MAX_CHANNELS) {
		dev_warn(b->dev, "sub-channel offer of relid %u: %s\n", o->relid,
			 primary ? "no room" : "no primary channel with its instance");
		return;
	}
	hc = chan_alloc(b, o);
	if (!hc)
		return;
	hc->ch.primary_channel = &primary->ch;
	hc->ch.device_obj = primary->ch.device_obj;
	list_add_tail(&hc->ch.sc_list, &primary->ch.sc_list);
	b->chan[slot] = hc;
	b->nchan = max(b->nchan, slot + 1);
	if (primary->ch.sc_creation_callback)
		primary->ch.sc_creation_callback(&hc->ch);
}

/*
 * A primary offered after the first ones (the NIC came back, as a synthetic
 * NIC added to a running Hyper-V VM): a channel in a free slot, whose
 * device hvb_primary_register() puts on the bus. Returns the slot, or
 * VMB_PCI_MAX_CHANNELS when there is none.
 */
static unsigned int primary_add(struct hvb_bus *b, const struct vmbc_offer *o)
{
	unsigned int slot = free_slot(b);
	struct hvb_chan *hc;

	if (slot >= VMB_PCI_MAX_CHANNELS) {
		dev_warn(b->dev, "offer of primary channel %u: no room\n", o->relid);
		return VMB_PCI_MAX_CHANNELS;
	}
	hc = chan_alloc(b, o);
	if (!hc)
		return VMB_PCI_MAX_CHANNELS;
	b->chan[slot] = hc;
	b->nchan = max(b->nchan, slot + 1);
	return slot;
}

/* Outside chan_mutex: the driver's probe opens the channel, which takes it. */
static void primary_register(struct hvb_bus *b, unsigned int slot)
{
	struct hvb_chan *hc = b->chan[slot];
	int err;

	dev_info(b->dev, "the host offered primary channel %u\n", hc->ch.offermsg.child_relid);
	err = hvb_dev_register(b, hc, slot);
	if (!err)
		return;
	dev_warn(b->dev, "primary channel %u: no device: %d\n", hc->ch.offermsg.child_relid, err);
	mutex_lock(&b->chan_mutex);
	hvb_chan_free(hc);
	mutex_unlock(&b->chan_mutex);
}

/*
 * A rescind: a closed subchannel goes at once; an open one is marked, and
 * goes when its primary's vmbus_close() has closed it (hv_vmbus completes
 * rescind_event for that). A primary's device is taken off the bus by
 * primary_gone(), as vmbus_onoffer_rescind() unregisters it; returned here
 * because that must happen outside chan_mutex (the driver's remove closes
 * the channel, which takes it).
 */
static struct hv_device *chan_rescind(struct hvb_bus *b, u32 relid)
{
	struct hvb_chan *hc = chan_by_relid(b, relid);
	struct hv_device *hv = NULL;
	unsigned int i;

	if (!hc)
		return NULL;
	WRITE_ONCE(hc->ch.rescind, true);
	if (hc->ch.primary_channel) {
		if (hc->opened)
			complete(&hc->ch.rescind_event);
		else
			hvb_chan_free(hc);
		return NULL;
	}
	for (i = 0; i < b->nchan; i++) {
		if (b->chan[i] == hc) {
			hv = b->hv[i];
			b->hv[i] = NULL;
		}
	}
	if (!hv) /* never on the bus (a failed registration) */
		hvb_chan_free(hc);
	return hv;
}

/* The device of a rescinded primary leaves the bus: its driver lets go of
 * the channel (hv_netvsc's netvsc_remove() closes it), then the channel and
 * whatever subchannels are left go.
 */
static void primary_gone(struct hvb_bus *b, struct hv_device *hv)
{
	struct hvb_chan *hc = hvb_chan(hv->channel);
	struct vmbus_channel *sc, *tmp;

	dev_info(b->dev, "the host rescinded primary channel %u: device %s goes\n",
		 hc->ch.offermsg.child_relid, dev_name(&hv->device));
	device_unregister(&hv->device);
	mutex_lock(&b->chan_mutex);
	list_for_each_entry_safe(sc, tmp, &hc->ch.sc_list, sc_list) {
		hvb_chan_close(hvb_chan(sc));
		hvb_chan_free(hvb_chan(sc));
	}
	if (hc->opened) {
		dev_warn(b->dev, "channel %u still open after its driver let go: closing it\n",
			 hc->ch.offermsg.child_relid);
		hvb_chan_close(hc);
	}
	hvb_chan_free(hc);
	mutex_unlock(&b->chan_mutex);
}

/* Vector 0's bottom half, and where the noted offers and rescinds are acted on. */
void hvb_ctrl_work(struct work_struct *w)
{
	struct hvb_bus *b = container_of(w, struct hvb_bus, ctrl_work);
	struct hvb_offer_event e;
	unsigned long flags;

	/* the host interrupts when its queue stops being empty: a poll that
	 * left some waiting runs again
	 */
	if (vmbc_poll(&b->vmbc) == VMBC_POLL_MAX && !READ_ONCE(b->stopping))
		schedule_work(&b->ctrl_work);
	for (;;) {
		unsigned int added = VMB_PCI_MAX_CHANNELS;
		struct hv_device *gone = NULL;

		spin_lock_irqsave(&b->evq_lock, flags);
		if (!b->evq_count) {
			spin_unlock_irqrestore(&b->evq_lock, flags);
			break;
		}
		e = b->evq[b->evq_head];
		b->evq_head = (b->evq_head + 1) % HVB_EVQ_LEN;
		b->evq_count--;
		spin_unlock_irqrestore(&b->evq_lock, flags);
		mutex_lock(&b->chan_mutex);
		if (!b->stopping && e.rescind)
			gone = chan_rescind(b, e.offer.relid);
		else if (!b->stopping && e.offer.sub_channel_index)
			subchannel_add(b, &e.offer);
		else if (!b->stopping)
			added = primary_add(b, &e.offer);
		mutex_unlock(&b->chan_mutex);
		if (gone)
			primary_gone(b, gone);
		if (added < VMB_PCI_MAX_CHANNELS)
			primary_register(b, added);
	}
}
