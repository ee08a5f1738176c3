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
 * an hv_device, and the drivers on the bus probe it. Sub-channel offers
 * stay unused: Hyper-V offers them only after the driver asks (NVSP
 * subchannel request), and a driver that did not ask has no use for them.
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

/* Unbind the drivers (they close their channels), then free the channels. */
void hvb_offers_remove(struct hvb_bus *b)
{
	unsigned int i;

	for (i = 0; i < b->nchan; i++) {
		if (b->hv[i])
			device_unregister(&b->hv[i]->device);
		b->hv[i] = NULL;
	}
	for (i = 0; i < b->nchan; i++) {
		struct hvb_chan *hc = b->chan[i];

		if (hc && hc->opened) {
			dev_warn(b->dev, "channel %u still open at removal: closing it\n",
				 hc->ch.offermsg.child_relid);
			vmbus_close(&hc->ch);
		}
		kfree(hc);
		b->chan[i] = NULL;
	}
	b->nchan = 0;
}
