// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet.ko: the DDI core on channel 0. The Linux side of the core's port
 * (ring writes under tx_lock, DMA memory, locking, waiting), the load
 * generator that drives the full send / host / completion cycle, and the
 * debugfs files that run it and the in-guest self-tests:
 *
 *   /sys/kernel/debug/vmbnet/<pci>/selftest  read: run the DDI tests, KTAP
 *   /sys/kernel/debug/vmbnet/<pci>/loadgen   write "count size window [batch [rate]]"
 *                                            starts a run in a kernel thread;
 *                                            read: "running", or the results
 *   /sys/kernel/debug/vmbnet/<pci>/oracle    the core's exactly-once counts:
 *                                            sent, completed (each once, with
 *                                            its status), failed, refused
 *                                            (an id not outstanding), waiting,
 *                                            the hangs reported; and the
 *                                            netdev's failed, refused and
 *                                            waiting
 *
 * The hang detector: when a packet has waited for its completion longer
 * than hang_ms (whatever else completes meanwhile), it goes to the log,
 * once, with the core's counts and channel 0's rings (indices, interrupt
 * masks, pending_send_sz).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/tick.h>
#include <linux/vmalloc.h>

#include "vmbnet.h"
#include "vmbnet_ddi_linux.h"

/* ---- the port -------------------------------------------------------------- */

static int port_send(void *opaque, uint16_t type, uint16_t flags, uint64_t tid, const void *ext,
		     uint32_t ext_len, const struct vmb_sg *sg, unsigned int nsg, bool more)
{
	struct vmbnet_dev *vd = opaque;
	struct vmbnet_guest_chan *ch = &vd->chan[0];
	int ret;

	if (!ch->vc.open)
		return -ENOTCONN;
	/* Channel 0's completions come in its NAPI, which runs only while the
	 * interface is up: a send now would wait for the next "ip link set up".
	 * Refused instead, as NDIS fails sends to a paused miniport.
	 */
	if (!vd->ndev || !netif_running(vd->ndev))
		return -ENETDOWN;
	/* The core calls its port's send and flush under its own lock, with
	 * softirqs already off (port_lock()): tx_lock needs no _bh again.
	 */
	lockdep_assert_held(&vd->ddi_lock);
	spin_lock(&ch->tx_lock);
	ret = vmb_ring_write(&ch->up, type, flags, tid, ext, ext_len, sg, nsg);
	if (!ret && !more && vmb_ring_tx_publish(&ch->up))
		vmbnet_chan_doorbell(ch);
	spin_unlock(&ch->tx_lock);
	return ret;
}

static void port_flush(void *opaque)
{
	struct vmbnet_dev *vd = opaque;
	struct vmbnet_guest_chan *ch = &vd->chan[0];

	lockdep_assert_held(&vd->ddi_lock); /* softirqs off: see port_send() */
	spin_lock(&ch->tx_lock);
	if (vmb_ring_tx_publish(&ch->up))
		vmbnet_chan_doorbell(ch);
	spin_unlock(&ch->tx_lock);
}

static bool port_ready(void *opaque)
{
	struct vmbnet_dev *vd = opaque;

	return vd->chan[0].vc.open && netif_carrier_ok(vd->ndev);
}

static bool port_in_atomic(void *opaque)
{
	return !in_task() || irqs_disabled();
}

static void *port_alloc(void *opaque, size_t len)
{
	return kvzalloc(len, GFP_ATOMIC);
}

static void port_free(void *opaque, void *p)
{
	kvfree(p);
}

static void *port_dma_alloc(void *opaque, size_t len, uint64_t *pfn)
{
	struct vmbnet_dev *vd = opaque;
	dma_addr_t dma;
	void *p = dma_alloc_coherent(&vd->pdev->dev, len, &dma, GFP_KERNEL);

	*pfn = dma >> PAGE_SHIFT;
	return p;
}

static void port_dma_free(void *opaque, void *p, size_t len, uint64_t pfn)
{
	struct vmbnet_dev *vd = opaque;

	dma_free_coherent(&vd->pdev->dev, len, p, (dma_addr_t)pfn << PAGE_SHIFT);
}

static void port_lock(void *opaque)
{
	spin_lock_bh(&((struct vmbnet_dev *)opaque)->ddi_lock);
}

static void port_unlock(void *opaque)
{
	spin_unlock_bh(&((struct vmbnet_dev *)opaque)->ddi_lock);
}

static void port_wait(void *opaque, bool (*done)(void *arg), void *arg)
{
	while (!done(arg))
		usleep_range(50, 200); /* completions arrive through NAPI */
}

static uint64_t port_now(void *opaque)
{
	return ktime_get_ns();
}

static void port_macs(void *opaque, uint8_t src[6], uint8_t dst[6])
{
	struct vmbnet_dev *vd = opaque;

	memcpy(src, vd->mac, ETH_ALEN);
	eth_broadcast_addr(dst);
}

static int port_describe(void *opaque, void *va, uint32_t len, struct vmbnet_mdl *m, uint64_t *pfns,
			 uint32_t max)
{
	uintptr_t start = (uintptr_t)va & PAGE_MASK;
	uint32_t n = DIV_ROUND_UP(offset_in_page(va) + len, PAGE_SIZE), i;

	if (!virt_addr_valid(va) || n > max)
		return -EINVAL; /* linear-map memory only: kmalloc, page allocator */
	for (i = 0; i < n; i++)
		pfns[i] = virt_to_phys((void *)(start + i * PAGE_SIZE)) >> PAGE_SHIFT;
	memset(m, 0, sizeof(*m));
	m->StartVa = (void *)start;
	m->ByteOffset = offset_in_page(va);
	m->ByteCount = len;
	m->Pfns = pfns;
	m->PfnCount = n;
	return 0;
}

static const struct vmbnet_core_port vmbnet_ddi_port = {
	.send = port_send,
	.flush = port_flush,
	.ready = port_ready,
	.in_atomic = port_in_atomic,
	.alloc = port_alloc,
	.free = port_free,
	.dma_alloc = port_dma_alloc,
	.dma_free = port_dma_free,
	.lock = port_lock,
	.unlock = port_unlock,
	.wait = port_wait,
	.now_ns = port_now,
	.macs = port_macs,
	.describe = port_describe,
};

/* ---- load generator ---------------------------------------------------------- */

struct loadgen {
	struct vmbnet_dev *vd;
	u32 size, window, batch;
	u64 count;
	u64 rate; /* frames per second, 0 = flat out */
	atomic64_t done, failed;
	struct vmbnet_hist *hist;
	/* frames: one page each, described once */
	u8 **frames;
	struct vmbnet_mdl *mdls;
	u64 *pfns;
	struct vmbnet_nb *nbs;
	struct vmbnet_nbl *nbls;
	u64 elapsed_ns;
	u64 t0;
	u64 idle0_us, idle_ns; /* all CPUs' idle time, at t0 and over the run */
	struct task_struct *task;
	bool finished; /* results valid */
	int err;
	u64 lost; /* completions that never came: cancelled at the end */
};

/*
 * The idle time of all online CPUs, in us (the kernel's NO_HZ accounting),
 * or 0 where the kernel keeps none. Under -icount the guest's clock runs
 * only with its instructions, except across idle (QEMU moves it on to the
 * next timer): a run's elapsed time minus its idle time is then its
 * instruction count times 2^shift ns.
 */
static u64 loadgen_idle_us(void)
{
	u64 sum = 0, t;
	int cpu;

	for_each_online_cpu(cpu) {
		t = get_cpu_idle_time_us(cpu, NULL);
		if (t == (u64)-1)
			return 0;
		sum += t;
	}
	return sum;
}

/* A run gives up when packets wait this long with none completing. */
#define LOADGEN_STALL_NS (10ull * NSEC_PER_SEC)

static void loadgen_observe(void *arg, uint64_t latency_ns, int32_t status)
{
	struct loadgen *lg = arg;

	vmbnet_hist_record(lg->hist, latency_ns); /* one writer: NAPI */
}

static void loadgen_done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	struct loadgen *lg = ctx;

	if (status)
		atomic64_inc(&lg->failed);
	atomic64_inc(&lg->done);
}

static void loadgen_free(struct loadgen *lg)
{
	u32 i;

	for (i = 0; lg->frames && i < lg->window; i++)
		free_page((unsigned long)lg->frames[i]);
	kfree(lg->frames);
	kfree(lg->mdls);
	kfree(lg->pfns);
	kfree(lg->nbs);
	kfree(lg->nbls);
	vfree(lg->hist);
}

/* One ready-made NBL per in-flight slot: a frame to the broadcast address. */
static int loadgen_prepare(struct loadgen *lg)
{
	u32 i;

	lg->hist = vzalloc(sizeof(*lg->hist));
	lg->frames = kcalloc(lg->window, sizeof(*lg->frames), GFP_KERNEL);
	lg->mdls = kcalloc(lg->window, sizeof(*lg->mdls), GFP_KERNEL);
	lg->pfns = kcalloc(lg->window, sizeof(*lg->pfns), GFP_KERNEL);
	lg->nbs = kcalloc(lg->window, sizeof(*lg->nbs), GFP_KERNEL);
	lg->nbls = kcalloc(lg->window, sizeof(*lg->nbls), GFP_KERNEL);
	if (!lg->hist || !lg->frames || !lg->mdls || !lg->pfns || !lg->nbs || !lg->nbls)
		return -ENOMEM;
	for (i = 0; i < lg->window; i++) {
		u8 *f = (u8 *)get_zeroed_page(GFP_KERNEL);

		if (!f)
			return -ENOMEM;
		lg->frames[i] = f;
		eth_broadcast_addr(f);
		memcpy(f + ETH_ALEN, lg->vd->mac, ETH_ALEN);
		f[12] = 0x88; /* local experimental ethertype 0x88b5 */
		f[13] = 0xb5;
		port_describe(lg->vd, f, lg->size, &lg->mdls[i], &lg->pfns[i], 1);
		lg->nbs[i].MdlChain = &lg->mdls[i];
		lg->nbs[i].DataLength = lg->size;
		lg->nbls[i].FirstNetBuffer = &lg->nbs[i];
	}
	return 0;
}

/*
 * Send @count frames flat out with up to @window in flight, each through the
 * full cycle: NBL -> RNDIS packet -> ring -> device -> completion callback.
 */
static int loadgen_run(struct loadgen *lg)
{
	struct vmbnet_core *c = &lg->vd->ddi;
	u64 sent = 0, seen = 0, moved;
	int err;

	err = loadgen_prepare(lg);
	if (err)
		return err;
	c->on_complete = loadgen_observe;
	c->on_complete_arg = lg;
	lg->idle0_us = loadgen_idle_us();
	lg->t0 = ktime_get_ns();
	moved = lg->t0;
	while (atomic64_read(&lg->done) < lg->count) {
		u64 room = lg->window - (sent - atomic64_read(&lg->done));
		u64 n;

		if (lg->rate) { /* paced: no more than rate * elapsed so far */
			u64 due = div64_u64((ktime_get_ns() - lg->t0) * lg->rate, NSEC_PER_SEC) + 1;

			room = min(room, due > sent ? due - sent : 0);
		}

		/* Fill the window in batches, each a chain of NBLs as a miniport
		 * gets them: one call, one publish, one signal.
		 */
		n = min3(room, lg->count - sent, (u64)lg->batch);
		if (n) {
			struct vmbnet_nbl *first = &lg->nbls[sent % lg->window];
			u32 i, went;
			int32_t st;

			for (i = 0; i < n; i++)
				lg->nbls[(sent + i) % lg->window].Next =
					i + 1 < n ? &lg->nbls[(sent + i + 1) % lg->window] : NULL;
			vmbnet_core_batch_begin(c);
			st = vmbnet_send_nbl_chain(c, first, loadgen_done, lg, &went);
			vmbnet_core_batch_end(c);
			sent += went;
			if (st && st != VMBNET_STATUS_INSUFFICIENT_RESOURCES)
				err = -EIO;
		}
		if (err)
			break;
		if (READ_ONCE(lg->vd->ddi_stopping)) {
			err = -ESHUTDOWN; /* the device is being removed */
			break;
		}
		if (time_after64(ktime_get_ns(), lg->t0 + 120ull * NSEC_PER_SEC)) {
			err = -ETIMEDOUT;
			break;
		}
		if (atomic64_read(&lg->done) != seen) {
			seen = atomic64_read(&lg->done);
			moved = ktime_get_ns();
		} else if (sent > seen && time_after64(ktime_get_ns(), moved + LOADGEN_STALL_NS)) {
			err = -ETIMEDOUT; /* the host lost completions, or hangs */
			break;
		}
		cond_resched(); /* completions come in NAPI, at irq exit */
	}
	lg->elapsed_ns = ktime_get_ns() - lg->t0;
	lg->idle_ns = (loadgen_idle_us() - lg->idle0_us) * NSEC_PER_USEC;
	if (err != -ETIMEDOUT)
		moved = ktime_get_ns(); /* a stall has waited long enough already */
	while (sent != (u64)atomic64_read(&lg->done)) {
		if (time_after64(ktime_get_ns(), moved + LOADGEN_STALL_NS)) {
			/* What is still out never completes: cancel it, each once, so
			 * no completion reaches freed frames; the host's late ones are
			 * then refused as not outstanding.
			 */
			lg->lost = sent - atomic64_read(&lg->done);
			vmbnet_core_cancel_all(c, VMBNET_STATUS_CANCELLED);
			err = err ?: -ETIMEDOUT;
			break;
		}
		usleep_range(100, 200); /* nothing may complete into freed frames */
	}
	c->on_complete = NULL;
	return err;
}

/* The run lives in a thread so that remove can stop it at any time. */
static int loadgen_thread(void *arg)
{
	struct loadgen *lg = arg;

	lg->err = loadgen_run(lg);
	/* Publishes lg->err and the histograms; pairs with the readers' smp_load_acquire(). */
	smp_store_release(&lg->finished, true);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* Stop a run (if any), free it. */
static void loadgen_stop(struct vmbnet_dev *vd)
{
	struct loadgen *lg = vd->loadgen;

	if (!lg)
		return;
	if (lg->task)
		kthread_stop(lg->task);
	loadgen_free(lg);
	kfree(lg);
	vd->loadgen = NULL;
}

static int loadgen_show(struct seq_file *s, void *unused)
{
	struct vmbnet_dev *vd = s->private;
	struct loadgen *lg = vd->loadgen;
	u32 i;

	if (!lg) {
		seq_puts(s, "no run yet: write \"count size window [batch]\"\n");
		return 0;
	}
	/* Pairs with the load generator's smp_store_release(): its results are complete. */
	if (!smp_load_acquire(&lg->finished)) {
		seq_puts(s, "running\n");
		return 0;
	}
	if (lg->err) {
		seq_printf(s, "error %d lost %llu done %lld failed %lld\n", lg->err, lg->lost,
			   (long long)atomic64_read(&lg->done),
			   (long long)atomic64_read(&lg->failed));
		return 0;
	}
	/* Integers only; the host computes pps and percentiles. */
	seq_printf(
		s,
		"frames %llu size %u window %u batch %u elapsed_ns %llu failed %lld rate %llu idle_ns %llu\n",
		lg->count, lg->size, lg->window, lg->batch, lg->elapsed_ns,
		(long long)atomic64_read(&lg->failed), lg->rate, lg->idle_ns);
	seq_printf(s, "hist total %llu min %llu max %llu sum %llu\n", lg->hist->total,
		   lg->hist->min, lg->hist->max, lg->hist->sum);
	for (i = 0; i < VMBNET_HIST_LEN; i++)
		if (lg->hist->counts[i])
			seq_printf(s, "bucket %u %llu\n", i, lg->hist->counts[i]);
	return 0;
}

static int loadgen_open(struct inode *inode, struct file *file)
{
	return single_open(file, loadgen_show, inode->i_private);
}

static ssize_t loadgen_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	struct vmbnet_dev *vd = ((struct seq_file *)file->private_data)->private;
	struct loadgen *lg;
	char buf[64];
	u64 count, rate;
	u32 size, window, batch;
	int err;

	if (len >= sizeof(buf) || copy_from_user(buf, ubuf, len))
		return -EINVAL;
	buf[len] = 0;
	batch = 32;
	rate = 0;
	if (sscanf(buf, "%llu %u %u %u %llu", &count, &size, &window, &batch, &rate) < 3 ||
	    !count || size < ETH_ZLEN || size > ETH_FRAME_LEN || !window ||
	    window > vd->ddi.nslots || !batch)
		return -EINVAL;
	/* Pairs with the load generator's smp_store_release() (a run still going). */
	if (vd->loadgen && !smp_load_acquire(&vd->loadgen->finished))
		return -EBUSY; /* one run at a time */
	loadgen_stop(vd);
	lg = kzalloc(sizeof(*lg), GFP_KERNEL);
	if (!lg)
		return -ENOMEM;
	vd->loadgen = lg;
	lg->vd = vd;
	lg->count = count;
	lg->size = size;
	lg->window = window;
	lg->batch = batch;
	lg->rate = rate;
	lg->task = kthread_run(loadgen_thread, lg, "vmbnet-loadgen");
	if (IS_ERR(lg->task)) {
		err = PTR_ERR(lg->task);
		lg->task = NULL;
		loadgen_stop(vd);
		return err;
	}
	return len;
}

static const struct file_operations loadgen_fops = {
	.owner = THIS_MODULE,
	.open = loadgen_open,
	.read = seq_read,
	.write = loadgen_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int selftest_open(struct inode *inode, struct file *file)
{
	return single_open(file, vmbnet_selftest_show, inode->i_private);
}

static const struct file_operations selftest_fops = {
	.owner = THIS_MODULE,
	.open = selftest_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/* ---- attach / detach ---------------------------------------------------------- */

/* ---- the oracle: exactly-once counts and the hang detector ------------------ */

static unsigned int hang_ms = 5000;
module_param(hang_ms, uint, 0644);
MODULE_PARM_DESC(hang_ms, "report a DDI packet waiting this long for its completion (0: off)");

/* Packets sent whose completion has not come (under the core's lock). */
static u32 ddi_waiting(struct vmbnet_core *c)
{
	u32 i, n = 0;

	for (i = 0; i < c->nslots; i++)
		n += c->pkts[i].state == VMBNET_PKT_SENT;
	return n;
}

static void watch_dump_ring(struct vmbnet_dev *vd, const char *name, const struct vmb_ring *r)
{
	struct vmb_ring_state st;

	vmb_ring_snapshot(r, &st);
	dev_err(&vd->pdev->dev,
		"  %s: write_index %u read_index %u interrupt_mask %u pending_send_sz %u bytes_used %u%s%s\n",
		name, st.write_index, st.read_index, st.interrupt_mask, st.pending_send_sz,
		st.bytes_used, st.error ? " broken: " : "",
		st.error ? vmb_ring_error_name(st.error) : "");
}

static void ddi_watch_work(struct work_struct *w)
{
	struct vmbnet_dev *vd = container_of(to_delayed_work(w), struct vmbnet_dev, ddi_watch);
	struct vmbnet_core *c = &vd->ddi;
	unsigned int period = READ_ONCE(hang_ms);
	struct vmbnet_core_stats st;
	const struct vmbnet_vmbpacket *old = NULL;
	u64 now = ktime_get_ns();
	u32 i, n = 0, slot = 0, gen = 0;

	port_lock(vd);
	for (i = 0; i < c->nslots; i++) {
		const struct vmbnet_vmbpacket *p = &c->pkts[i];

		if (p->state != VMBNET_PKT_SENT)
			continue;
		n++;
		if (!old || p->sent_ns < old->sent_ns)
			old = p;
	}
	if (old) {
		slot = old->slot;
		gen = old->gen;
		now -= min(now, old->sent_ns); /* its age */
	}
	st = c->stats;
	port_unlock(vd);
	if (period && old && now >= (u64)period * NSEC_PER_MSEC &&
	    !(vd->hung && vd->hung_slot == slot && vd->hung_gen == gen)) {
		vd->hung = true;
		vd->hung_slot = slot;
		vd->hung_gen = gen;
		vd->ddi_hangs++;
		dev_err(&vd->pdev->dev,
			"hang: DDI core: packet %u.%u waiting for the host for %llu ms; %u waiting in all\n",
			slot, gen, div_u64(now, NSEC_PER_MSEC), n);
		dev_err(&vd->pdev->dev,
			"  packets: sent %llu completed %llu failed %llu refused %llu queued %llu\n",
			st.sent, st.completed, st.failed, st.unknown_completions, st.queued);
		watch_dump_ring(vd, "guest->host ring", &vd->chan[0].up);
		watch_dump_ring(vd, "host->guest ring", &vd->chan[0].down);
	}
	schedule_delayed_work(&vd->ddi_watch,
			      msecs_to_jiffies(period ? max(period / 4, 50u) : 1000));
}

static int oracle_show(struct seq_file *s, void *unused)
{
	struct vmbnet_dev *vd = s->private;
	struct vmbnet_core_stats st;
	u32 n;

	u64 tx_refused = 0, tx_failed = 0;
	u32 i, tx_waiting = 0;

	port_lock(vd);
	n = ddi_waiting(&vd->ddi);
	st = vd->ddi.stats;
	port_unlock(vd);
	for (i = 0; i < vd->nchan; i++) {
		struct vmbnet_guest_chan *ch = &vd->chan[i];

		spin_lock_bh(&ch->tx_lock);
		tx_refused += ch->stats.tx_refused;
		tx_failed += ch->stats.tx_completion_errors;
		if (ch->tx_map)
			tx_waiting += bitmap_weight(ch->tx_map, ch->tx_sections);
		spin_unlock_bh(&ch->tx_lock);
	}
	seq_printf(s, "sent %llu completed %llu failed %llu refused %llu waiting %u hangs %llu",
		   st.sent, st.completed, st.failed, st.unknown_completions, n, vd->ddi_hangs);
	/* the netdev's sends: sections in flight, completions for none */
	seq_printf(s, " netdev_failed %llu netdev_refused %llu netdev_waiting %u\n", tx_failed,
		   tx_refused, tx_waiting);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oracle);

static struct dentry *vmbnet_debugfs_root;

int vmbnet_ddi_attach(struct vmbnet_dev *vd)
{
	struct dentry *host;
	int err;

	spin_lock_init(&vd->ddi_lock);
	err = vmbnet_core_init(&vd->ddi, &vmbnet_ddi_port, vd, VMBNET_DDI_SLOTS);
	if (err)
		return err;
	if (!vmbnet_debugfs_root)
		vmbnet_debugfs_root = debugfs_create_dir(VMBNET_DRV_NAME, NULL);
	vd->debugfs = debugfs_create_dir(pci_name(vd->pdev), vmbnet_debugfs_root);
	debugfs_create_file("selftest", 0400, vd->debugfs, vd, &selftest_fops);
	debugfs_create_file("loadgen", 0600, vd->debugfs, vd, &loadgen_fops);
	debugfs_create_file("oracle", 0400, vd->debugfs, vd, &oracle_fops);
	/* what the host got wrong, counted (the log is rate-limited) */
	host = debugfs_create_dir("host_errors", vd->debugfs);
	debugfs_create_u64("unexpected_msgs", 0400, host, &vd->vmbc.stats.unexpected_msgs);
	debugfs_create_u64("unexpected_pkts", 0400, host, &vd->vmbc.stats.unexpected_pkts);
	debugfs_create_u64("protocol_errors", 0400, host, &vd->vmbc.stats.protocol_errors);
	debugfs_create_u64("timeouts", 0400, host, &vd->vmbc.stats.timeouts);
	debugfs_create_u64("gpadls_kept", 0400, host, &vd->vmbc.stats.gpadls_leaked);
	debugfs_create_u64("unknown_completions", 0400, host, &vd->ddi.stats.unknown_completions);
	vd->ddi_ready = true;
	INIT_DELAYED_WORK(&vd->ddi_watch, ddi_watch_work);
	schedule_delayed_work(&vd->ddi_watch, HZ);
	return 0;
}

void vmbnet_ddi_quiesce(struct vmbnet_dev *vd)
{
	if (!vd->ddi_ready || vd->ddi_stopping)
		return;
	debugfs_remove_recursive(vd->debugfs); /* no new runs, no readers */
	vd->debugfs = NULL;
	/* A run in flight stops while the channel still completes its sends. */
	WRITE_ONCE(vd->ddi_stopping, true);
	loadgen_stop(vd);
	cancel_delayed_work_sync(&vd->ddi_watch);
}

/*
 * Regression (hostile-peers issue, bug 2): detach freed the packet table
 * while NAPI could still be inside vmbnet_core_complete(). The caller stops
 * NAPI first (unregister_netdev); vmbnet_ddi_quiesce() before that lets
 * runs in flight finish on a live channel.
 */
void vmbnet_ddi_detach(struct vmbnet_dev *vd)
{
	if (!vd->ddi_ready)
		return;
	/* the invariant the fix rests on, checked (tests run panic_on_warn) */
	WARN_ON_ONCE(vd->ndev && vd->ndev->reg_state == NETREG_REGISTERED);
	vmbnet_ddi_quiesce(vd);
	vd->ddi_ready = false;
	/* The channel is closing: whatever is in flight fails, exactly once. */
	vmbnet_core_cancel_all(&vd->ddi, VMBNET_STATUS_CANCELLED);
	vmbnet_core_fini(&vd->ddi);
}

void vmbnet_ddi_module_exit(void)
{
	debugfs_remove_recursive(vmbnet_debugfs_root);
	vmbnet_debugfs_root = NULL;
}
