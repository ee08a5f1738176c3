// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet_hvbus.ko: the oracles that watch the guest's driver against a host
 * that misbehaves on purpose (device/fault). Not a hv_vmbus file: it
 * exports nothing, so its headers are free.
 *
 * Exactly once. Every request a driver sends with a completion requested
 * takes an id from the channel's request table (vmbus_next_request_id());
 * the completion gives it back (vmbus_request_addr()). The table already
 * refuses an id that is not outstanding; the bus counts, per channel, the
 * ids given, the completions taken, the completions refused, and the ids
 * given back because the packet never went out. A driver that got every
 * completion once ends with nothing outstanding.
 *
 * Hangs. Every hang_ms / 4, a work looks at each open channel: a request
 * waiting for the host longer than hang_ms is a hang, whatever else
 * completes meanwhile (a lost completion amid traffic is the case that
 * hangs hv_netvsc's unload later). The oldest such request is logged, once,
 * with the channel's counts and both rings' indices, interrupt masks and
 * pending_send_sz, and counted. The host's side (the faults it fired) is in
 * its faults log; the boot runner prints its tail (ci/boot.sh --faults-log).
 *
 *   /sys/kernel/debug/vmbnet_hvbus/<pci>/oracle   one line per channel
 *   /sys/module/vmbnet_hvbus/parameters/hang_ms   0: no hang detection
 */
#include <linux/debugfs.h>
#include <linux/hyperv.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

#include "hvbus.h"

static unsigned int hang_ms = 5000;
module_param(hang_ms, uint, 0644);
MODULE_PARM_DESC(hang_ms, "report a request waiting this long for the host (0: off)");

static struct dentry *hvb_debugfs_root;

/* With the request table, at open; the table's lock covers the bitmap. */
int hvb_oracle_open(struct hvb_chan *hc, u32 size)
{
	hc->orc.answered = bitmap_zalloc(size, GFP_KERNEL);
	hc->orc.given_at = kcalloc(size, sizeof(*hc->orc.given_at), GFP_KERNEL);
	hc->orc.hung = false;
	if (hc->orc.answered && hc->orc.given_at)
		return 0;
	hvb_oracle_close(hc);
	return -ENOMEM;
}

void hvb_oracle_close(struct hvb_chan *hc)
{
	bitmap_free(hc->orc.answered);
	hc->orc.answered = NULL;
	kfree(hc->orc.given_at);
	hc->orc.given_at = NULL;
}

/* The table's lock held (hvb_channel.c): @slot is the id - 1. */
void hvb_oracle_id_given(struct hvb_chan *hc, u64 slot)
{
	hc->orc.issued++;
	if (hc->orc.answered) {
		__clear_bit(slot, hc->orc.answered);
		hc->orc.given_at[slot] = jiffies;
	}
}

void hvb_oracle_id_back(struct hvb_chan *hc, u64 slot, bool known)
{
	if (!known) {
		hc->orc.refused++;
		return;
	}
	hc->orc.freed++;
	if (hc->orc.answered)
		__clear_bit(slot, hc->orc.answered);
}

/*
 * The iterator hands the driver a completion for @trans_id. If that id is
 * outstanding, the host has answered it: from now on, an id the driver
 * does not give back is the driver's doing, not a host that hangs.
 * hv_netvsc 6.1 takes the completions of NVSP INIT, SEND_RECV_BUF,
 * SEND_SEND_BUF and SUBCHANNEL into channel_init_pkt without calling
 * request_addr_callback() (netvsc_send_completion()), so each open keeps
 * three ids or more until the channel closes.
 */
void hvb_oracle_answered(struct hvb_chan *hc, u64 trans_id)
{
	struct vmbus_requestor *r = &hc->ch.requestor;
	unsigned long flags;

	if (!hc->orc.answered || !trans_id)
		return;
	spin_lock_irqsave(&r->req_lock, flags);
	if (r->req_bitmap && trans_id <= r->size && test_bit(trans_id - 1, r->req_bitmap))
		__set_bit(trans_id - 1, hc->orc.answered);
	spin_unlock_irqrestore(&r->req_lock, flags);
}

/* Ids outstanding now; *kept: of those, the ones the host answered. */
static u32 outstanding(struct hvb_chan *hc, u32 *kept)
{
	struct vmbus_requestor *r = &hc->ch.requestor;
	unsigned long flags;
	u32 n;

	*kept = 0;
	if (!r->req_bitmap)
		return 0;
	spin_lock_irqsave(&r->req_lock, flags);
	n = bitmap_weight(r->req_bitmap, r->size);
	if (hc->orc.answered)
		*kept = bitmap_weight(hc->orc.answered, r->size);
	spin_unlock_irqrestore(&r->req_lock, flags);
	return n;
}

static u64 completed(const struct hvb_chan *hc)
{
	return hc->orc.freed - hc->orc.unsent;
}

static void dump_ring(struct hvb_chan *hc, const char *name, const struct vmb_ring *r)
{
	struct vmb_ring_state st;

	vmb_ring_snapshot(r, &st);
	dev_err(hc->bus->dev,
		"  %s: write_index %u read_index %u interrupt_mask %u pending_send_sz %u bytes_used %u%s%s\n",
		name, st.write_index, st.read_index, st.interrupt_mask, st.pending_send_sz,
		st.bytes_used, st.error ? " broken: " : "",
		st.error ? vmb_ring_error_name(st.error) : "");
}

/* The oldest request waiting for the host: its slot, or -1. */
static int oldest_waiting(struct hvb_chan *hc, unsigned long *at)
{
	struct vmbus_requestor *r = &hc->ch.requestor;
	unsigned long flags, slot;
	int oldest = -1;

	if (!r->req_bitmap || !hc->orc.answered)
		return -1;
	spin_lock_irqsave(&r->req_lock, flags);
	for_each_set_bit(slot, r->req_bitmap, r->size) {
		if (test_bit(slot, hc->orc.answered))
			continue;
		if (oldest < 0 || time_before(hc->orc.given_at[slot], *at)) {
			oldest = slot;
			*at = hc->orc.given_at[slot];
		}
	}
	spin_unlock_irqrestore(&r->req_lock, flags);
	return oldest;
}

/* One channel, chan_mutex and the ring lock held, the channel open. */
static void watch_chan(struct hvb_chan *hc, unsigned long now, unsigned int limit_ms)
{
	struct hvb_orc *o = &hc->orc;
	u32 kept, n = outstanding(hc, &kept);
	unsigned long at = 0;
	int slot = oldest_waiting(hc, &at);

	if (slot < 0 || time_before(now, at + msecs_to_jiffies(limit_ms)))
		return;
	if (o->hung && o->hung_slot == slot && o->hung_at == at)
		return; /* reported already */
	o->hung = true;
	o->hung_slot = slot;
	o->hung_at = at;
	o->hangs++;
	hc->bus->hangs++;
	dev_err(hc->bus->dev,
		"hang: channel %u (relid %u): request id %d waiting for the host for %u ms; %u waiting in all\n",
		hc->index, hc->ch.offermsg.child_relid, slot + 1, jiffies_to_msecs(now - at),
		n - kept);
	dev_err(hc->bus->dev,
		"  requests: issued %llu completed %llu refused %llu unsent %llu answered but kept %u\n",
		o->issued, completed(hc), o->refused, o->unsent, kept);
	dump_ring(hc, "guest->host ring", &hc->up);
	dump_ring(hc, "host->guest ring", &hc->down);
}

static void hvb_watch_work(struct work_struct *w)
{
	struct hvb_bus *b = container_of(to_delayed_work(w), struct hvb_bus, watch);
	unsigned int period = READ_ONCE(hang_ms);
	unsigned long now = jiffies;
	unsigned int i;

	mutex_lock(&b->chan_mutex);
	for (i = 0; period && i < b->nchan; i++) {
		struct hvb_chan *hc = b->chan[i];
		unsigned long irqf;

		if (!hc)
			continue;
		spin_lock_irqsave(&hc->ch.outbound.ring_lock, irqf);
		if (hc->opened)
			watch_chan(hc, now, period);
		spin_unlock_irqrestore(&hc->ch.outbound.ring_lock, irqf);
	}
	mutex_unlock(&b->chan_mutex);
	/* off: look again every second whether it was turned on */
	schedule_delayed_work(&b->watch, msecs_to_jiffies(period ? max(period / 4, 50u) : 1000));
}

static int oracle_show(struct seq_file *s, void *unused)
{
	struct hvb_bus *b = s->private;
	unsigned int i;

	mutex_lock(&b->chan_mutex);
	seq_printf(s, "hangs %llu hang_ms %u\n", b->hangs, READ_ONCE(hang_ms));
	for (i = 0; i < b->nchan; i++) {
		struct hvb_chan *hc = b->chan[i];
		unsigned long irqf;
		u32 n = 0, kept = 0;

		if (!hc)
			continue;
		spin_lock_irqsave(&hc->ch.outbound.ring_lock, irqf);
		if (hc->opened)
			n = outstanding(hc, &kept);
		spin_unlock_irqrestore(&hc->ch.outbound.ring_lock, irqf);
		seq_printf(s, "chan %u relid %u open %d issued %llu completed %llu refused %llu",
			   hc->index, hc->ch.offermsg.child_relid, hc->opened, hc->orc.issued,
			   completed(hc), hc->orc.refused);
		seq_printf(s, " unsent %llu outstanding %u waiting %u kept %u hangs %llu\n",
			   hc->orc.unsent, n, n - kept, kept, hc->orc.hangs);
	}
	mutex_unlock(&b->chan_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oracle);

void hvb_oracle_start(struct hvb_bus *b)
{
	if (!hvb_debugfs_root)
		hvb_debugfs_root = debugfs_create_dir(HVBUS_DRV_NAME, NULL);
	b->debugfs = debugfs_create_dir(pci_name(b->pdev), hvb_debugfs_root);
	debugfs_create_file("oracle", 0400, b->debugfs, b, &oracle_fops);
	INIT_DELAYED_WORK(&b->watch, hvb_watch_work);
	schedule_delayed_work(&b->watch, HZ);
}

void hvb_oracle_stop(struct hvb_bus *b)
{
	cancel_delayed_work_sync(&b->watch);
	debugfs_remove_recursive(b->debugfs);
	b->debugfs = NULL;
}

void hvb_oracle_exit(void)
{
	debugfs_remove_recursive(hvb_debugfs_root);
	hvb_debugfs_root = NULL;
}
