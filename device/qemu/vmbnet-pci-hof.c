/*
 * vmbnet-pci datapath B: the device's channels served by an external backend
 * (vmbnet-dpdk) through the hand-off front end of device/handoff/vmbnet_hof.h.
 *
 * The front end listens on the backend= socket; the main loop watches it,
 * the connected backend's socket (readable = it hung up), and one eventfd
 * per channel on which the backend asks for the channel's interrupt. The
 * guest's doorbells reach the backend through the front end's kick eventfds
 * (vmbnet_host_doorbell() -> the front end's handler), with no help here.
 * Guest RAM goes to the backend as the fds of its shared memory backend.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/sockets.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/core/cpu.h"
#include "sysemu/tcg.h"
#include "migration/blocker.h"
#include "exec/address-spaces.h"
#include "trace.h"

#include "vmbnet-pci.h"

typedef struct VmbnetPciRegions {
    struct vmbnet_hof_region *r;
    unsigned int max, n;
    bool overflow;
} VmbnetPciRegions;

/*
 * One range of the flat view. Shared fd-backed RAM is what a backend can
 * map; anything else (ROM, MMIO, private RAM such as a VGA framebuffer) it
 * cannot, and the guest has no business putting channel memory there. A
 * range that continues the previous one in both guest-physical and file
 * space extends it: the ROM windows below 1 MiB cut RAM into pieces, and a
 * backend maps a region in one piece (a GPADL page range may not cross).
 */
static bool vmbnet_pci_add_region(Int128 start, Int128 len,
                                  const MemoryRegion *mr,
                                  hwaddr offset_in_region, void *opaque)
{
    VmbnetPciRegions *v = opaque;
    MemoryRegion *ram = (MemoryRegion *)mr; /* the getters take no const */
    uint64_t gpa = int128_get64(start), end = gpa + int128_get64(len);
    uint64_t fd_offset, head;
    struct vmbnet_hof_region *last = v->n ? &v->r[v->n - 1] : NULL;
    int fd;

    if (!memory_region_is_ram(ram) || memory_region_is_rom(ram) ||
        memory_region_is_ram_device(ram)) {
        return false;
    }
    fd = memory_region_get_fd(ram);
    if (fd < 0 || !qemu_ram_is_shared(ram->ram_block)) {
        return false;
    }
    /* QEMU 7.2 maps a RAM block's file from offset 0. */
    fd_offset = qemu_ram_block_host_offset(ram->ram_block,
                    (uint8_t *)memory_region_get_ram_ptr(ram) + offset_in_region);
    head = ROUND_UP(gpa, VMB_PAGE_SIZE) - gpa; /* whole pages only */
    gpa += head;
    fd_offset += head;
    end = QEMU_ALIGN_DOWN(end, VMB_PAGE_SIZE);
    if (end <= gpa || fd_offset % VMB_PAGE_SIZE) {
        return false;
    }
    if (last && last->fd == fd && last->gpa + last->size == gpa &&
        last->fd_offset + last->size == fd_offset) {
        last->size += end - gpa;
        return false;
    }
    if (v->n == v->max) {
        v->overflow = true;
        return true;
    }
    v->r[v->n++] = (struct vmbnet_hof_region) {
        .gpa = gpa, .size = end - gpa, .fd_offset = fd_offset, .fd = fd,
    };
    return false;
}

/* ops->regions: guest RAM as the backend maps it. Count or -errno. */
static int vmbnet_pci_hof_regions(void *opaque, struct vmbnet_hof_region *r,
                                  unsigned int max)
{
    VmbnetPciRegions v = { .r = r, .max = max };

    RCU_READ_LOCK_GUARD();
    flatview_for_each_range(address_space_to_flatview(&address_space_memory),
                            vmbnet_pci_add_region, &v);
    if (v.overflow) {
        return -ENOSPC;
    }
    for (unsigned int i = 0; i < v.n; i++) {
        trace_vmbnet_pci_backend_region(r[i].gpa, r[i].size, r[i].fd_offset);
    }
    return v.n ? (int)v.n : -ENOENT;
}

/*
 * Keep the main loop watching the backend's socket, whichever it is: the
 * front end closes it itself on errors, inside any call that talks to the
 * backend, and says so through ops->event. Unwatching there, before control
 * goes back to the main loop, means the loop never polls a closed fd.
 */
static void vmbnet_pci_hof_sock_read(void *opaque);

static void vmbnet_pci_hof_sync_fds(VmbnetPciState *s)
{
    if (s->hof_watched == s->hof.sock) {
        return;
    }
    if (s->hof_watched >= 0) {
        qemu_set_fd_handler(s->hof_watched, NULL, NULL, NULL);
    }
    s->hof_watched = s->hof.sock;
    if (s->hof_watched >= 0) {
        qemu_set_fd_handler(s->hof_watched, vmbnet_pci_hof_sock_read, NULL, s);
    }
}

static void vmbnet_pci_hof_event(void *opaque, const char *what, int err)
{
    VmbnetPciState *s = opaque;

    trace_vmbnet_pci_backend(what, err);
    vmbnet_pci_hof_sync_fds(s);
    if (err < 0) {
        warn_report("vmbnet-pci: backend at %s: %s: %s", s->backend, what,
                    strerror(-err));
    }
}

static const struct vmbnet_hof_front_ops vmbnet_pci_hof_ops = {
    .regions = vmbnet_pci_hof_regions,
    .event = vmbnet_pci_hof_event,
};

/*
 * Requests the front end sent without waiting have a deadline: the timer
 * fires at the oldest one (hostile-peers bug 9: nobody waits for the
 * backend on a vCPU thread; the main loop notices when it is late).
 */
void vmbnet_pci_hof_arm(VmbnetPciState *s)
{
    int ms = vmbnet_hof_front_next_timeout_ms(&s->hof);

    if (ms < 0) {
        timer_del(s->hof_timer);
    } else {
        timer_mod(s->hof_timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + ms);
    }
}

static void vmbnet_pci_hof_timeout(void *opaque)
{
    VmbnetPciState *s = opaque;

    vmbnet_hof_front_expire(&s->hof);
    vmbnet_pci_hof_sync_fds(s);
    vmbnet_pci_hof_arm(s);
}

/* A backend connects (or a second one tries to: refused). */
static void vmbnet_pci_hof_accept(void *opaque)
{
    VmbnetPciState *s = opaque;

    vmbnet_hof_front_accept(&s->hof); /* errors came through ops->event */
    vmbnet_pci_hof_sync_fds(s);
    vmbnet_pci_hof_arm(s);
}

/*
 * Readable: the ACKs of requests sent without waiting, or, with none
 * outstanding, a hang-up. Readable when the main loop polled (without the
 * BQL) may not be readable now: a reset or replay may have waited for the
 * ACK meanwhile. So look again, under the BQL.
 */
static void vmbnet_pci_hof_sock_read(void *opaque)
{
    VmbnetPciState *s = opaque;
    GPollFD p = { .fd = s->hof.sock, .events = G_IO_IN | G_IO_HUP };

    if (s->hof.sock < 0 || g_poll(&p, 1, 0) == 0) {
        return;
    }
    vmbnet_hof_front_sock_event(&s->hof);
    vmbnet_pci_hof_sync_fds(s);
    vmbnet_pci_hof_arm(s);
}

/* The backend asks for channel @ch's interrupt. */
static void vmbnet_pci_hof_call(void *opaque)
{
    struct vmbnet_channel *ch = opaque;
    VmbnetPciState *s = ch->host->opaque;
    uint64_t n;

    if (read(s->hof.call[ch->index], &n, sizeof(n)) == sizeof(n)) {
        vmbnet_chan_notify(ch);
    }
}

/* Forget interrupts the backend asked for before a reset. */
static void vmbnet_pci_hof_drain_calls(VmbnetPciState *s)
{
    uint64_t n;

    for (uint32_t i = 0; i < s->host.nchan; i++) {
        while (read(s->hof.call[i], &n, sizeof(n)) == sizeof(n)) {
            /* drained */
        }
    }
}

void vmbnet_pci_hof_watch(VmbnetPciState *s, bool on)
{
    /* A spurious wake-up must not block the main loop in accept(). */
    qemu_socket_set_nonblock(s->hof.listen_fd);
    for (uint32_t i = 0; i < s->host.nchan; i++) {
        qemu_set_fd_handler(s->hof.call[i], on ? vmbnet_pci_hof_call : NULL,
                            NULL, on ? &s->host.chan[i] : NULL);
    }
    qemu_set_fd_handler(s->hof.listen_fd, on ? vmbnet_pci_hof_accept : NULL,
                        NULL, on ? s : NULL);
}

/*
 * The backend maps guest RAM through its fd: the machine's RAM must be a
 * shared memfd (or file) backend. Checked once here so that the mistake is
 * a clear error at start-up, not a backend that cannot serve.
 */
static bool vmbnet_pci_hof_check_ram(VmbnetPciState *s, Error **errp)
{
    MachineState *ms = MACHINE(qdev_get_machine());
    struct vmbnet_hof_region r[VMB_HOF_MAX_REGIONS];
    int n;

    if (!ms->ram || memory_region_get_fd(ms->ram) < 0 ||
        !qemu_ram_is_shared(ms->ram->ram_block)) {
        error_setg(errp, "vmbnet-pci: backend=%s needs guest RAM that the "
                   "backend can map: a shared memfd memory backend",
                   s->backend);
        error_append_hint(errp, "Start QEMU with -object memory-backend-memfd,"
                          "id=mem,size=<the -m size>,share=on "
                          "-machine memory-backend=mem\n");
        return false;
    }
    n = vmbnet_pci_hof_regions(s, r, VMB_HOF_MAX_REGIONS);
    if (n < 0) {
        error_setg(errp, "vmbnet-pci: backend=%s: guest RAM %s", s->backend,
                   n == -ENOSPC ? "is in more pieces than the hand-off carries"
                                : "has no shared fd-backed range");
        return false;
    }
    return true;
}

/*
 * TCG emits a guest's memory barriers and locked instructions as host
 * barriers only when it runs vCPUs in parallel (MTTCG with maxcpus > 1).
 * Otherwise the host may reorder the guest's "unmask; mb; look again" on a
 * ring, and a backend that runs beside the vCPU misses the unmask: a lost
 * wakeup, and the channel stalls. (Datapath A runs in the vCPU's thread.)
 */
static void vmbnet_pci_hof_check_tcg(VmbnetPciState *s)
{
    MachineState *ms = MACHINE(qdev_get_machine());

    if (tcg_enabled() &&
        !(qemu_tcg_mttcg_enabled() && ms->smp.max_cpus > 1)) {
        warn_report("vmbnet-pci: backend=%s under TCG without parallel "
                    "vCPUs: the guest's memory barriers are no host barriers "
                    "and a channel can stall", s->backend);
        error_printf("Give QEMU -smp <n>,maxcpus=2 (or more; not -icount, "
                     "not thread=single), or use KVM\n");
    }
}

bool vmbnet_pci_hof_check_props(VmbnetPciState *s, Error **errp)
{
    if (!*s->backend) {
        error_setg(errp, "vmbnet-pci: backend must name a unix socket path");
        return false;
    }
    if (s->conf.peers.ncs[0]) {
        error_setg(errp, "vmbnet-pci: netdev and backend exclude each other: "
                   "netdev= runs the NIC in QEMU, backend= hands it to an "
                   "external backend");
        return false;
    }
    if (s->queues > VMB_HOF_MAX_CHANNELS) {
        error_setg(errp, "vmbnet-pci: backend= hands at most %u queues to a "
                   "backend, got %u", VMB_HOF_MAX_CHANNELS, s->queues);
        return false;
    }
    vmbnet_pci_hof_check_tcg(s);
    return vmbnet_pci_hof_check_ram(s, errp);
}

bool vmbnet_pci_hof_realize(VmbnetPciState *s, Error **errp)
{
    int err;

    s->hof_watched = -1;
    s->hof_timer = timer_new_ms(QEMU_CLOCK_REALTIME, vmbnet_pci_hof_timeout, s);
    err = vmbnet_hof_front_init(&s->hof, &s->host, s->backend, s->mtu,
                                &vmbnet_pci_hof_ops, s);
    if (err) {
        error_setg_errno(errp, -err, "vmbnet-pci: cannot listen on backend "
                         "socket %s", s->backend);
        return false;
    }
    error_setg(&s->migration_blocker, "vmbnet-pci: backend=%s cannot "
               "migrate: the NIC state lives in the external backend (the "
               "in-QEMU datapath, netdev=, migrates)", s->backend);
    if (migrate_add_blocker(s->migration_blocker, errp) < 0) {
        error_free(s->migration_blocker);
        s->migration_blocker = NULL;
        vmbnet_hof_front_fini(&s->hof);
        return false;
    }
    return true;
}

void vmbnet_pci_hof_unrealize(VmbnetPciState *s)
{
    migrate_del_blocker(s->migration_blocker);
    error_free(s->migration_blocker);
    s->migration_blocker = NULL;
    vmbnet_hof_front_fini(&s->hof); /* ops->event unwatches the socket */
    vmbnet_pci_hof_sync_fds(s);
    timer_free(s->hof_timer);
    s->hof_timer = NULL;
}

void vmbnet_pci_hof_reset(VmbnetPciState *s)
{
    vmbnet_hof_front_reset(&s->hof);
    vmbnet_pci_hof_sync_fds(s);
    vmbnet_pci_hof_drain_calls(s);
}

int vmbnet_pci_hof_fault(VmbnetPciState *s, uint32_t op, const char *text)
{
    int ret = vmbnet_hof_front_fault(&s->hof, op, text);

    vmbnet_pci_hof_sync_fds(s);
    vmbnet_pci_hof_arm(s);
    return ret;
}

void vmbnet_pci_hof_set_link(VmbnetPciState *s, bool up)
{
    vmbnet_hof_front_set_link(&s->hof, up);
    vmbnet_pci_hof_sync_fds(s);
    vmbnet_pci_hof_arm(s);
}
