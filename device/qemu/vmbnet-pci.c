/*
 * vmbnet-pci: a VMBus-style synthetic NIC on a PCI function.
 *
 * BAR0 carries the registers and the message page that replace SynIC and
 * hypercalls; BAR2 carries MSI-X, one vector per channel plus one for the
 * control plane. The register map is transport/include/vmbnet/vmb_pci.h and
 * its spec transport/SPEC.md.
 *
 * Two datapaths serve the channels the control plane opens. Datapath A (the
 * default) runs the NIC of device/nic in QEMU, to any -netdev. Datapath B
 * (backend=<unix socket path>) hands the channels to an external backend
 * (vmbnet-dpdk) through the hand-off front end of device/handoff/vmbnet_hof.h:
 * the backend maps guest RAM (which must be a shared memfd or file backend),
 * takes the doorbells on one eventfd per channel, and asks for the channel's
 * interrupt on another. The control plane stays here either way.
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
#include "net/checksum.h"
#include "qemu/iov.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "exec/address-spaces.h"
#include "trace.h"

#include "vmbnet-pci.h"

static bool vmbnet_pci_link_up(void *opaque)
{
    VmbnetPciState *s = opaque;

    return vmbnet_pci_datapath_b(s) ? s->hof.link_up : s->nic.link_up;
}

static void vmbnet_pci_update_intx(VmbnetPciState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!msix_enabled(pdev)) {
        pci_set_irq(pdev, s->regfile.irq_status != 0);
    }
}

/* ---- what device/vmbus and device/nic need from QEMU ------------------ */

static AddressSpace *vmbnet_pci_as(VmbnetPciState *s)
{
    return pci_get_address_space(PCI_DEVICE(s));
}

/*
 * Is [@gpa, @gpa + @len) plain guest RAM that address_space_map() hands out
 * directly? Not ROM, not a ram_device region (a vfio BAR, a host notifier:
 * device memory with side effects), nothing that would need QEMU's bounce
 * buffer (hostile-peers bug 4: its uninitialised heap went to the network
 * and into guest-readable memory).
 */
static bool vmbnet_pci_direct_ram(VmbnetPciState *s, uint64_t gpa, uint64_t len)
{
    hwaddr xlat, plen = len;
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(vmbnet_pci_as(s), gpa, &xlat, &plen, true,
                                 MEMTXATTRS_UNSPECIFIED);
    return memory_region_is_ram(mr) && !memory_region_is_ram_device(mr) &&
           !memory_region_is_rom(mr) && !mr->readonly && !mr->rom_device &&
           plen == len;
}

static bool vmbnet_pci_page_ok(void *opaque, uint64_t pfn)
{
    VmbnetPciState *s = opaque;

    return pfn <= (UINT64_MAX >> VMB_PAGE_SHIFT) &&
           vmbnet_pci_direct_ram(s, pfn << VMB_PAGE_SHIFT, VMB_PAGE_SIZE);
}

/* Only direct RAM is mapped: never a bounce buffer. */
static void *vmbnet_pci_map(void *opaque, uint64_t gpa, uint64_t len)
{
    VmbnetPciState *s = opaque;
    hwaddr plen = len;
    void *p;

    if (!len || gpa + len < gpa || !vmbnet_pci_direct_ram(s, gpa, len)) {
        return NULL;
    }
    p = address_space_map(vmbnet_pci_as(s), gpa, &plen, true,
                          MEMTXATTRS_UNSPECIFIED);
    if (p && plen != len) {
        address_space_unmap(vmbnet_pci_as(s), p, plen, true, 0);
        p = NULL;
    }
    return p;
}

static void vmbnet_pci_unmap(void *opaque, void *ptr, uint64_t len)
{
    VmbnetPciState *s = opaque;

    address_space_unmap(vmbnet_pci_as(s), ptr, len, true, len);
}

static void vmbnet_pci_notify(void *opaque, unsigned int vec)
{
    VmbnetPciState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);

    trace_vmbnet_pci_irq(vec);
    if (msix_enabled(pdev)) {
        msix_notify(pdev, vec);
        return;
    }
    s->regfile.irq_status |= 1u << vec;
    vmbnet_pci_update_intx(s);
}

static void vmbnet_pci_guest_error(void *opaque, const char *what)
{
    qemu_log_mask(LOG_GUEST_ERROR, "vmbnet-pci: %s\n", what);
}

static void vmbnet_pci_trace(void *opaque, const char *event, uint32_t a,
                             uint32_t b)
{
    trace_vmbnet_pci_event(event, a, b);
}

static const struct vmbnet_host_ops vmbnet_pci_host_ops = {
    .map = vmbnet_pci_map,
    .unmap = vmbnet_pci_unmap,
    .page_ok = vmbnet_pci_page_ok,
    .notify = vmbnet_pci_notify,
    .guest_error = vmbnet_pci_guest_error,
    .trace = vmbnet_pci_trace,
};

/* ---- datapath A: frames to and from the QEMU netdev ------------------- */

static NetClientState *vmbnet_pci_queue(VmbnetPciState *s, uint32_t chan)
{
    uint32_t queues = s->conf.peers.queues;

    return qemu_get_subqueue(s->nic_state, queues ? chan % queues : 0);
}

/*
 * Checksum offload: the guest left the TCP/UDP checksum to the device (RNDIS
 * checksum info). Without a vnet-header netdev to hand it to, the device
 * completes it in software, as a NIC would (IPv4, what QEMU's helper does).
 */
static bool vmbnet_pci_tx_csum(NetClientState *nc, const struct iovec *iov,
                               int iovcnt, const struct vmbnet_frame_meta *meta)
{
    uint8_t frame[VMBNET_MAX_FRAME];
    size_t len = iov_size(iov, iovcnt);
    int flags = 0;

    if (meta->csum_info & RNDIS_CSUM_TX_TCP) {
        flags |= CSUM_TCP;
    }
    if (meta->csum_info & RNDIS_CSUM_TX_UDP) {
        flags |= CSUM_UDP;
    }
    if (meta->csum_info & RNDIS_CSUM_TX_IP_HDR) {
        flags |= CSUM_IP;
    }
    if (!flags || len > sizeof(frame)) {
        return false;
    }
    iov_to_buf(iov, iovcnt, 0, frame, len);
    net_checksum_calculate(frame, len, flags);
    qemu_send_packet(nc, frame, len);
    return true;
}

static int vmbnet_pci_tx(void *opaque, uint32_t chan, const struct iovec *iov,
                         int iovcnt, const struct vmbnet_frame_meta *meta)
{
    VmbnetPciState *s = opaque;
    NetClientState *nc = vmbnet_pci_queue(s, chan);

    if (trace_event_get_state_backends(TRACE_VMBNET_PCI_TX)) {
        trace_vmbnet_pci_tx(chan, iov_size(iov, iovcnt));
    }
    if (!meta->csum_info || !vmbnet_pci_tx_csum(nc, iov, iovcnt, meta)) {
        qemu_sendv_packet(nc, iov, iovcnt);
    }
    return 0;
}

static void vmbnet_pci_rx_ready(void *opaque, uint32_t chan)
{
    VmbnetPciState *s = opaque;

    qemu_flush_queued_packets(vmbnet_pci_queue(s, chan));
}

/* The fault engine holds something back until @when_ns (virtual time). */
static void vmbnet_pci_nic_timer(void *opaque, uint64_t when_ns)
{
    VmbnetPciState *s = opaque;

    if (when_ns == UINT64_MAX) {
        timer_del(s->fault_timer);
    } else {
        timer_mod(s->fault_timer, (int64_t)MIN(when_ns, (uint64_t)INT64_MAX));
    }
}

static void vmbnet_pci_fault_tick(void *opaque)
{
    VmbnetPciState *s = opaque;

    vmbnet_nic_tick(&s->nic);
}

static const struct vmbnet_nic_ops vmbnet_pci_nic_ops = {
    .tx = vmbnet_pci_tx,
    .rx_ready = vmbnet_pci_rx_ready,
    .timer = vmbnet_pci_nic_timer,
};

/* Frames from netdev queue q go to channel q, or channel 0 if q is closed. */
static uint32_t vmbnet_pci_rx_chan(VmbnetPciState *s, NetClientState *nc)
{
    uint32_t q = nc->queue_index;

    if (q < s->host.nchan && s->host.chan[q].state == VMBNET_CHAN_OPEN &&
        s->nic.chan[q].rndis_ready) {
        return q;
    }
    return 0;
}

static ssize_t vmbnet_pci_receive_iov(NetClientState *nc,
                                      const struct iovec *iov, int iovcnt)
{
    VmbnetPciState *s = qemu_get_nic_opaque(nc);
    uint32_t chan;
    long ret;

    if (vmbnet_pci_datapath_b(s)) {
        return iov_size(iov, iovcnt); /* no netdev there: cannot happen */
    }
    chan = vmbnet_pci_rx_chan(s, nc);
    ret = vmbnet_nic_receive(&s->nic, chan, iov, iovcnt, NULL);

    if (trace_event_get_state_backends(TRACE_VMBNET_PCI_RX)) {
        trace_vmbnet_pci_rx(chan, iov_size(iov, iovcnt), ret);
    }
    /* 0: no room, QEMU holds the frame until rx_ready flushes the queue;
     * < 0: dropped (counted), consumed as far as the netdev is concerned.
     */
    return ret < 0 ? (ssize_t)iov_size(iov, iovcnt) : ret;
}

static ssize_t vmbnet_pci_receive(NetClientState *nc, const uint8_t *buf,
                                  size_t size)
{
    const struct iovec iov = { .iov_base = (uint8_t *)buf, .iov_len = size };

    return vmbnet_pci_receive_iov(nc, &iov, 1);
}

static void vmbnet_pci_link_status_changed(NetClientState *nc)
{
    VmbnetPciState *s = qemu_get_nic_opaque(nc);

    trace_vmbnet_pci_link(!nc->link_down);
    if (vmbnet_pci_datapath_b(s)) {
        vmbnet_pci_hof_set_link(s, !nc->link_down);
        return;
    }
    vmbnet_nic_set_link(&s->nic, !nc->link_down);
}

static NetClientInfo vmbnet_pci_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .receive = vmbnet_pci_receive,
    .receive_iov = vmbnet_pci_receive_iov,
    .link_status_changed = vmbnet_pci_link_status_changed,
};

static uint64_t vmbnet_pci_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VmbnetPciState *s = opaque;
    uint32_t val;

    if (!vmbnet_regs_read(&s->regfile, &s->host, &s->regfile_dev, addr, &val)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "vmbnet-pci: read of unknown register 0x%" HWADDR_PRIx
                      "\n", addr);
    }
    trace_vmbnet_pci_mmio_read(addr, val);
    return val;
}

/* The VMBus side of a reset: contact, channels, GPADLs and interrupts. */
static void vmbnet_pci_reset_vmbus(VmbnetPciState *s)
{
    trace_vmbnet_pci_reset();
    vmbnet_host_reset(&s->host);
    if (vmbnet_pci_datapath_b(s)) {
        vmbnet_pci_hof_reset(s);
    }
    s->regfile.irq_status = 0;
    vmbnet_pci_update_intx(s);
}

static void vmbnet_pci_reset(DeviceState *dev)
{
    vmbnet_pci_reset_vmbus(VMBNET_PCI(dev));
}

static void vmbnet_pci_mmio_write_regs(VmbnetPciState *s, hwaddr addr,
                                       uint64_t val);

static void vmbnet_pci_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    VmbnetPciState *s = opaque;

    trace_vmbnet_pci_mmio_write(addr, val);
    vmbnet_pci_mmio_write_regs(s, addr, val);
    if (vmbnet_pci_datapath_b(s)) {
        vmbnet_pci_hof_arm(s); /* a request may be on its way to the backend */
    }
}

static void vmbnet_pci_mmio_write_regs(VmbnetPciState *s, hwaddr addr,
                                       uint64_t val)
{
    switch (vmbnet_regs_write(&s->regfile, &s->host, addr, (uint32_t)val)) {
    case VMBNET_REGS_DONE:
        break;
    case VMBNET_REGS_RESET:
        vmbnet_pci_reset(DEVICE(s));
        break;
    case VMBNET_REGS_IRQ_ACK:
        vmbnet_pci_update_intx(s);
        break;
    case VMBNET_REGS_BAD_LENGTH:
        qemu_log_mask(LOG_GUEST_ERROR, "vmbnet-pci: MSG_SEND length %"
                      PRIu64 " over %d\n", val, VMB_MSG_MAX);
        break;
    case VMBNET_REGS_UNKNOWN:
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
    if (s->ring_pages < VMB_PCI_RING_PAGES_MIN ||
        s->ring_pages > VMBNET_MAX_RING_PAGES) {
        error_setg(errp, "vmbnet-pci: ring-pages must be 2..%d, got %u",
                   VMBNET_MAX_RING_PAGES, s->ring_pages);
        return false;
    }
    return true;
}

/*
 * Counters as read-only QOM properties: "qom-get <path> stat-guest-errors"
 * over QMP or HMP. Per channel: stat-chN-doorbells and friends.
 */
static void vmbnet_pci_add_counters(VmbnetPciState *s)
{
    static const struct {
        const char *name;
        size_t off;
    } dev[] = {
        { "stat-guest-errors", offsetof(VmbnetPciState, host.stats.guest_errors) },
        { "stat-msgs-in", offsetof(VmbnetPciState, host.stats.msgs_in) },
        { "stat-msgs-out", offsetof(VmbnetPciState, host.stats.msgs_out) },
        { "stat-msgs-dropped", offsetof(VmbnetPciState, host.stats.msgs_dropped) },
        { "stat-gpadl-pages", offsetof(VmbnetPciState, host.stats.gpadl_pages) },
        { "stat-tx-packets", offsetof(VmbnetPciState, nic.stats.tx_packets) },
        { "stat-tx-bytes", offsetof(VmbnetPciState, nic.stats.tx_bytes) },
        { "stat-tx-errors", offsetof(VmbnetPciState, nic.stats.tx_errors) },
        { "stat-rx-packets", offsetof(VmbnetPciState, nic.stats.rx_packets) },
        { "stat-rx-bytes", offsetof(VmbnetPciState, nic.stats.rx_bytes) },
        { "stat-rx-dropped", offsetof(VmbnetPciState, nic.stats.rx_dropped) },
        { "stat-completions", offsetof(VmbnetPciState, nic.stats.completions) },
        { "stat-completions-failed",
          offsetof(VmbnetPciState, nic.stats.completions_failed) },
        { "stat-stalls", offsetof(VmbnetPciState, nic.stats.stalls) },
        { "stat-unknown-completions",
          offsetof(VmbnetPciState, nic.stats.unknown_completions) },
        { "stat-control-msgs", offsetof(VmbnetPciState, nic.stats.control_msgs) },
        { "stat-tx-discarded", offsetof(VmbnetPciState, nic.stats.tx_discarded) },
        { "stat-faults-fired", offsetof(VmbnetPciState, faults.seq) },
        /* datapath B: the backends the front end served (0 with A) */
        { "stat-backend-connects", offsetof(VmbnetPciState, hof.stats.connects) },
        { "stat-backend-disconnects",
          offsetof(VmbnetPciState, hof.stats.disconnects) },
        { "stat-backend-refused", offsetof(VmbnetPciState, hof.stats.rejected) },
        { "stat-backend-msgs", offsetof(VmbnetPciState, hof.stats.msgs) },
        { "stat-backend-failed-in-flight",
          offsetof(VmbnetPciState, hof.stats.failed_in_flight) },
        { "stat-backend-fenced", offsetof(VmbnetPciState, hof.stats.fenced) },
    };
    Object *obj = OBJECT(s);

    for (size_t i = 0; i < ARRAY_SIZE(dev); i++) {
        object_property_add_uint64_ptr(obj, dev[i].name,
                                       (uint64_t *)((uint8_t *)s + dev[i].off),
                                       OBJ_PROP_FLAG_READ);
    }
    for (uint32_t c = 0; c < s->queues; c++) {
        struct vmbnet_channel *ch = &s->host.chan[c];
        g_autofree char *db = g_strdup_printf("stat-ch%u-doorbells", c);
        g_autofree char *sp = g_strdup_printf("stat-ch%u-doorbells-spurious", c);
        g_autofree char *irq = g_strdup_printf("stat-ch%u-interrupts", c);
        g_autofree char *err = g_strdup_printf("stat-ch%u-ring-errors", c);
        g_autofree char *rsp = g_strdup_printf("stat-ch%u-ring-spurious", c);

        object_property_add_uint64_ptr(obj, db, &ch->stats.doorbells,
                                       OBJ_PROP_FLAG_READ);
        object_property_add_uint64_ptr(obj, sp, &ch->stats.doorbells_spurious,
                                       OBJ_PROP_FLAG_READ);
        object_property_add_uint64_ptr(obj, irq, &ch->stats.interrupts,
                                       OBJ_PROP_FLAG_READ);
        object_property_add_uint64_ptr(obj, err, &ch->in.stats.protocol_errors,
                                       OBJ_PROP_FLAG_READ);
        object_property_add_uint64_ptr(obj, rsp, &ch->in.stats.signals_spurious,
                                       OBJ_PROP_FLAG_READ);
    }
}

/* ---- faults (device/fault): datapath A's NIC misbehaves on purpose ---- */

static uint64_t vmbnet_pci_fault_clock(void *opaque)
{
    /* virtual time: under -icount a run repeats exactly */
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * Fault action reset: the device resets under the running guest, as its
 * reset handler does, but the PCI function stays enabled: the host forgets
 * the guest's contact, channels and GPADLs, and nothing tells the guest
 * (VMBus has no message for it; Hyper-V never does this to a running VM).
 * What waits for the host then waits for ever: the case for the guest's
 * hang detector. Not from inside the NIC's work on a ring: from a bottom
 * half, once the completion or frame at hand is done.
 */
static void vmbnet_pci_fault_reset_bh(void *opaque)
{
    vmbnet_pci_reset_vmbus(opaque);
}

static void vmbnet_pci_fault_fired(void *opaque,
                                   const struct vmbnet_fault_event *e)
{
    VmbnetPciState *s = opaque;
    char line[160];

    vmbnet_fault_format(e, line, sizeof(line));
    trace_vmbnet_pci_fault(line);
    if (s->faults_log) {
        fprintf(s->faults_log, "%s\n", line);
    }
    if (e->action == VMBNET_FA_RESET) {
        aio_bh_schedule_oneshot(qemu_get_aio_context(),
                                vmbnet_pci_fault_reset_bh, s);
    }
}

static bool vmbnet_pci_faults_realize(VmbnetPciState *s, Error **errp)
{
    char err[256] = "";
    int ret;

    if ((s->faults_file || s->faults_log_file) && vmbnet_pci_datapath_b(s)) {
        error_setg(errp, "vmbnet-pci: faults= and faults-log= act on datapath "
                   "A's NIC; with backend= the NIC runs in vmbnet-dpdk: give "
                   "it --faults");
        return false;
    }
    vmbnet_fault_init(&s->faults, 0);
    vmbnet_fault_refuse(&s->faults, VMBNET_FA_KILL, VMBNET_FAULT_KILL_A);
    s->faults.fired = vmbnet_pci_fault_fired;
    s->faults.fired_opaque = s;
    if (s->faults_file) {
        ret = vmbnet_fault_load_file(&s->faults, s->faults_file, err,
                                     sizeof(err));
        if (ret) {
            error_setg(errp, "vmbnet-pci: faults=%s: %s", s->faults_file,
                       ret == -EINVAL ? err : strerror(-ret));
            return false;
        }
    }
    if (s->faults_log_file) {
        s->faults_log = fopen(s->faults_log_file, "w");
        if (!s->faults_log) {
            error_setg_errno(errp, errno, "vmbnet-pci: faults-log=%s",
                             s->faults_log_file);
            return false;
        }
        setvbuf(s->faults_log, NULL, _IOLBF, 0);
    }
    vmbnet_fault_set_clock(&s->faults, vmbnet_pci_fault_clock, s);
    return true;
}

/*
 * fault-add (qom-set): one rule, as a scenario's "rules" entry, at run
 * time. On datapath B the NIC runs in the backend: the rule is checked here
 * (for a precise error), then handed to it.
 */
static void vmbnet_pci_fault_add(Object *obj, const char *json, Error **errp)
{
    VmbnetPciState *s = VMBNET_PCI(obj);
    struct vmbnet_fault probe;
    char err[256] = "";
    int ret;

    if (!DEVICE(obj)->realized) {
        error_setg(errp, "vmbnet-pci: fault-add: on a running device only");
        return;
    }
    if (vmbnet_pci_datapath_b(s)) {
        vmbnet_fault_init(&probe, 0);
        vmbnet_fault_refuse_b(&probe);
        ret = vmbnet_fault_add_json(&probe, json, err, sizeof(err));
        if (!ret) {
            ret = vmbnet_pci_hof_fault(s, VMB_HOF_FAULT_ADD, json);
            snprintf(err, sizeof(err), "the backend: %s", strerror(-ret));
        }
    } else {
        ret = vmbnet_fault_add_json(&s->faults, json, err, sizeof(err));
    }
    if (ret) {
        error_setg(errp, "vmbnet-pci: fault-add: %s",
                   err[0] ? err : strerror(-ret));
    }
}

/* fault-remove (qom-set): the rule of that id. */
static void vmbnet_pci_fault_remove(Object *obj, const char *id, Error **errp)
{
    VmbnetPciState *s = VMBNET_PCI(obj);
    int ret = -ENOENT;

    if (DEVICE(obj)->realized) {
        if (vmbnet_pci_datapath_b(s)) {
            ret = vmbnet_pci_hof_fault(s, VMB_HOF_FAULT_REMOVE, id);
        } else {
            ret = vmbnet_fault_remove(&s->faults, id);
        }
    }
    if (ret) {
        error_setg(errp, "vmbnet-pci: fault-remove: '%s': %s", id,
                   ret == -ENOENT ? "no such rule" : strerror(-ret));
    }
}

static void vmbnet_pci_realize(PCIDevice *pdev, Error **errp)
{
    VmbnetPciState *s = VMBNET_PCI(pdev);
    bool b = vmbnet_pci_datapath_b(s);

    if (!vmbnet_pci_check_props(s, errp) ||
        (b && !vmbnet_pci_hof_check_props(s, errp)) ||
        !vmbnet_pci_faults_realize(s, errp)) {
        return;
    }
    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->regfile_dev = (struct vmbnet_regs_dev){
        .features = VMB_FEAT_MSIX | VMB_FEAT_PENDING_SEND_SZ,
        .channels = s->queues,
        .mtu = s->mtu,
        .ring_pages = s->ring_pages,
        .link_up = vmbnet_pci_link_up,
        .opaque = s,
    };
    memcpy(s->regfile_dev.mac, s->conf.macaddr.a, sizeof(s->regfile_dev.mac));
    vmbnet_host_init(&s->host, s->queues, s->conf.macaddr.a,
                     &vmbnet_pci_host_ops, s,
                     b ? &vmbnet_hof_front_handler : &vmbnet_nic_handler);
    s->host.absent = s->absent_at_start;
    if (b && !vmbnet_pci_hof_realize(s, errp)) {
        vmbnet_host_fini(&s->host);
        return;
    }
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

    if (!b) {
        vmbnet_nic_init(&s->nic, &s->host, s->mtu, &vmbnet_pci_nic_ops, s);
        s->nic.faults = &s->faults;
        s->fault_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                      vmbnet_pci_fault_tick, s);
    }
    s->nic_state = qemu_new_nic(&vmbnet_pci_net_info, &s->conf,
                                object_get_typename(OBJECT(s)),
                                DEVICE(s)->id, &DEVICE(s)->mem_reentrancy_guard,
                                s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic_state), s->conf.macaddr.a);
    if (b) {
        /* set_link still works: the backend hears of it */
        vmbnet_pci_hof_set_link(s, !qemu_get_queue(s->nic_state)->link_down);
        vmbnet_pci_hof_watch(s, true);
    } else {
        s->nic.link_up = !qemu_get_queue(s->nic_state)->link_down;
        s->nic.link_host = s->nic.link_up;
    }
    vmbnet_pci_add_counters(s);
    trace_vmbnet_pci_realize(s->queues, s->mtu);
}

static void vmbnet_pci_exit(PCIDevice *pdev)
{
    VmbnetPciState *s = VMBNET_PCI(pdev);

    /* Not quite realize's mirror: closing the channels needs the datapath. */
    if (vmbnet_pci_datapath_b(s)) {
        vmbnet_pci_hof_watch(s, false);
    }
    vmbnet_host_fini(&s->host);
    if (vmbnet_pci_datapath_b(s)) {
        vmbnet_pci_hof_unrealize(s);
    }
    qemu_del_nic(s->nic_state);
    if (s->fault_timer) {
        timer_free(s->fault_timer);
        s->fault_timer = NULL;
    }
    if (s->faults_log) {
        fclose(s->faults_log);
        s->faults_log = NULL;
    }
    if (msix_present(pdev)) {
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
    }
}

/*
 * Migration: every guest-visible piece of state, the pointers excepted:
 * post_load maps ring and buffer memory again from the migrated GPADLs and
 * keeps the rings' private indices, so packets in flight are neither lost
 * nor completed twice.
 */
static const VMStateDescription vmstate_vmbnet_ring = {
    .name = "vmbnet-pci/ring",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(size, struct vmb_ring),
        VMSTATE_UINT32(priv_index, struct vmb_ring),
        VMSTATE_UINT32(pub_index, struct vmb_ring),
        VMSTATE_UINT32(peer_cache, struct vmb_ring),
        VMSTATE_UINT32(error, struct vmb_ring),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vmbnet_channel = {
    .name = "vmbnet-pci/channel",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(state, struct vmbnet_channel),
        VMSTATE_UINT32(gpadl, struct vmbnet_channel),
        VMSTATE_UINT64(ring_len, struct vmbnet_channel),
        VMSTATE_STRUCT(in, struct vmbnet_channel, 1, vmstate_vmbnet_ring,
                       struct vmb_ring),
        VMSTATE_STRUCT(out, struct vmbnet_channel, 1, vmstate_vmbnet_ring,
                       struct vmb_ring),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vmbnet_gpadl = {
    .name = "vmbnet-pci/gpadl",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(id, struct vmbnet_gpadl),
        VMSTATE_UINT32(relid, struct vmbnet_gpadl),
        VMSTATE_UINT32(npages, struct vmbnet_gpadl),
        VMSTATE_UINT32(received, struct vmbnet_gpadl),
        VMSTATE_UINT32(next_body, struct vmbnet_gpadl),
        VMSTATE_BOOL(created, struct vmbnet_gpadl),
        VMSTATE_UINT16(users, struct vmbnet_gpadl),
        VMSTATE_VARRAY_UINT32_ALLOC(pfns, struct vmbnet_gpadl, npages, 0,
                                    vmstate_info_uint64, uint64_t),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vmbnet_nic_chan = {
    .name = "vmbnet-pci/nic-channel",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(nvsp_version, struct vmbnet_nic_chan),
        VMSTATE_UINT8(rndis_ready, struct vmbnet_nic_chan),
        VMSTATE_UINT8(needs_doorbell, struct vmbnet_nic_chan),
        VMSTATE_UINT8(link_indication_pending, struct vmbnet_nic_chan),
        VMSTATE_UINT32(packet_filter, struct vmbnet_nic_chan),
        VMSTATE_UINT32(rx_buf.gpadl, struct vmbnet_nic_chan),
        VMSTATE_UINT32(tx_buf.gpadl, struct vmbnet_nic_chan),
        VMSTATE_UINT32(rx_slots, struct vmbnet_nic_chan),
        VMSTATE_UINT32(rx_nfree, struct vmbnet_nic_chan),
        VMSTATE_UINT32(tx_sections, struct vmbnet_nic_chan),
        VMSTATE_VARRAY_UINT32_ALLOC(rx_free, struct vmbnet_nic_chan, rx_slots, 0,
                                    vmstate_info_uint32, uint32_t),
        VMSTATE_VARRAY_UINT32_ALLOC(rx_busy, struct vmbnet_nic_chan, rx_slots, 0,
                                    vmstate_info_uint8, uint8_t),
        VMSTATE_END_OF_LIST()
    }
};

static int vmbnet_pci_pre_load(void *opaque)
{
    VmbnetPciState *s = opaque;

    vmbnet_host_reset(&s->host); /* nothing mapped or allocated remains */
    s->host.absent = false; /* a NIC that went away has the subsection */
    return 0;
}

static int vmbnet_pci_post_load(void *opaque, int version_id)
{
    VmbnetPciState *s = opaque;
    int err = vmbnet_host_post_load(&s->host);

    if (err == -EINVAL) {
        for (uint32_t i = 0; i < s->host.nchan; i++) {
            s->nic.chan[i].ch = &s->host.chan[i];
            vmbnet_nic_release_bufs(&s->nic.chan[i]);
        }
        error_report("vmbnet-pci: the migration stream holds a device state "
                     "vmbnet-pci cannot be in");
        return -EINVAL;
    }
    if (!err) {
        err = vmbnet_nic_post_load(&s->nic);
    }
    if (err == -EINVAL) {
        error_report("vmbnet-pci: the migration stream holds an impossible "
                     "receive or send buffer state");
        return -EINVAL;
    }
    if (err) {
        qemu_log_mask(LOG_GUEST_ERROR, "vmbnet-pci: migrated channel memory "
                      "is not guest RAM any more; channel closed\n");
    }
    return 0;
}

static bool vmbnet_pci_rescind_needed(void *opaque)
{
    VmbnetPciState *s = opaque;

    return s->host.absent || s->host.rescinded;
}

static const VMStateDescription vmstate_vmbnet_pci_rescind = {
    .name = TYPE_VMBNET_PCI "/rescind",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vmbnet_pci_rescind_needed,
    .fields = (VMStateField[]) {
        VMSTATE_BOOL(host.absent, VmbnetPciState),
        VMSTATE_UINT32(host.rescinded, VmbnetPciState),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vmbnet_pci = {
    .name = TYPE_VMBNET_PCI,
    .version_id = 2,
    .minimum_version_id = 2,
    .pre_load = vmbnet_pci_pre_load,
    .post_load = vmbnet_pci_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VmbnetPciState),
        VMSTATE_MSIX(parent_obj, VmbnetPciState),
        VMSTATE_UINT32(regfile.irq_status, VmbnetPciState),
        VMSTATE_UINT8_ARRAY(regfile.msg_tx, VmbnetPciState, VMB_MSG_MAX),
        VMSTATE_UINT8_ARRAY(regfile.msg_rx, VmbnetPciState, VMB_MSG_MAX),
        VMSTATE_BOOL(host.connected, VmbnetPciState),
        VMSTATE_BOOL(host.subch_on_request, VmbnetPciState),
        VMSTATE_UINT32(host.offered, VmbnetPciState),
        VMSTATE_UINT8_2DARRAY(host.msgq, VmbnetPciState, VMBNET_MSGQ_LEN,
                              VMBNET_MSG_SLOT),
        VMSTATE_UINT16_ARRAY(host.msgq_len, VmbnetPciState, VMBNET_MSGQ_LEN),
        VMSTATE_UINT32(host.msgq_head, VmbnetPciState),
        VMSTATE_UINT32(host.msgq_count, VmbnetPciState),
        VMSTATE_STRUCT_ARRAY(host.chan, VmbnetPciState, VMB_PCI_MAX_CHANNELS, 1,
                             vmstate_vmbnet_channel, struct vmbnet_channel),
        VMSTATE_STRUCT_ARRAY(host.gpadl, VmbnetPciState, VMBNET_MAX_GPADLS, 1,
                             vmstate_vmbnet_gpadl, struct vmbnet_gpadl),
        VMSTATE_UINT64(host.stats.gpadl_pages, VmbnetPciState),
        VMSTATE_UINT8(nic.link_up, VmbnetPciState),
        VMSTATE_STRUCT_ARRAY(nic.chan, VmbnetPciState, VMB_PCI_MAX_CHANNELS, 1,
                             vmstate_vmbnet_nic_chan, struct vmbnet_nic_chan),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * []) {
        &vmstate_vmbnet_pci_rescind,
        NULL
    }
};

/*
 * present: false takes the NIC away from a running guest, true brings it
 * back (qom-set), as Hyper-V rescinds a synthetic NIC removed from a
 * running VM and offers one that is added; false on the command line
 * starts without it.
 */
static bool vmbnet_pci_get_present(Object *obj, Error **errp)
{
    VmbnetPciState *s = VMBNET_PCI(obj);

    return DEVICE(obj)->realized ? !s->host.absent : !s->absent_at_start;
}

static void vmbnet_pci_set_present(Object *obj, bool value, Error **errp)
{
    VmbnetPciState *s = VMBNET_PCI(obj);

    if (!DEVICE(obj)->realized) {
        s->absent_at_start = !value;
        return;
    }
    vmbnet_host_set_present(&s->host, value);
}

static Property vmbnet_pci_properties[] = {
    DEFINE_NIC_PROPERTIES(VmbnetPciState, conf),
    DEFINE_PROP_UINT32("queues", VmbnetPciState, queues, 1),
    DEFINE_PROP_UINT32("mtu", VmbnetPciState, mtu, VMBNET_DEFAULT_MTU),
    DEFINE_PROP_UINT32("ring-pages", VmbnetPciState, ring_pages,
                       VMBNET_DEFAULT_RING_PAGES),
    DEFINE_PROP_STRING("backend", VmbnetPciState, backend),
    DEFINE_PROP_STRING("faults", VmbnetPciState, faults_file),
    DEFINE_PROP_STRING("faults-log", VmbnetPciState, faults_log_file),
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
    object_class_property_add_bool(klass, "present", vmbnet_pci_get_present,
                                   vmbnet_pci_set_present);
    object_class_property_set_description(klass, "present",
        "the NIC is offered to the guest (false: rescinded, as a synthetic "
        "NIC removed from a running Hyper-V VM)");
    object_class_property_add_str(klass, "fault-add", NULL,
                                  vmbnet_pci_fault_add);
    object_class_property_set_description(klass, "fault-add",
        "add a fault rule (JSON, a scenario's rules entry)");
    object_class_property_add_str(klass, "fault-remove", NULL,
                                  vmbnet_pci_fault_remove);
    object_class_property_set_description(klass, "fault-remove",
        "remove the fault rule of that id");
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
