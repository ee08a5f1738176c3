// SPDX-License-Identifier: MIT
/*
 * vmb_sim: vmbnet-pci in-process. See transport/include/vmbnet/vmb_sim.h.
 *
 * The same pieces as QEMU's vmbnet-pci (device/qemu/vmbnet-pci.c): the
 * register file and the host side (device/vmbus), with the NIC
 * (device/nic) or the hand-off front end (device/handoff) as the datapath.
 * Guest RAM is a sealed memfd, as QEMU's memory-backend-memfd makes it, so
 * that an external backend can map it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmbnet/vmb_sim.h"
#include "vmbnet_hof.h"
#include "vmbnet_nic.h"
#include "vmbnet_regs.h"

struct vmb_sim {
	struct vmb_sim_config cfg;
	int ram_fd;
	uint8_t *ram;
	uint64_t ram_bytes;
	struct vmbnet_host host;
	struct vmbnet_regs regs;
	struct vmbnet_regs_dev dev;
	struct vmbnet_nic nic; /* datapath A */
	struct vmbnet_hof_front front; /* datapath B */
	bool host_up, front_up;
};

static bool sim_b(const struct vmb_sim *s)
{
	return s->cfg.backend != NULL;
}

/* ---- guest RAM, as the host side sees it --------------------------------- */

static void *ram_map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vmb_sim *s = opaque;

	if (gpa < VMB_SIM_RAM_BASE || gpa - VMB_SIM_RAM_BASE > s->ram_bytes ||
	    len > s->ram_bytes - (gpa - VMB_SIM_RAM_BASE))
		return NULL;
	return s->ram + (gpa - VMB_SIM_RAM_BASE);
}

static void ram_unmap(void *opaque, void *ptr, uint64_t len)
{
}

static bool ram_page_ok(void *opaque, uint64_t pfn)
{
	return pfn < (UINT64_MAX >> VMB_PAGE_SHIFT) &&
	       ram_map(opaque, pfn << VMB_PAGE_SHIFT, VMB_PAGE_SIZE) != NULL;
}

static void ram_notify(void *opaque, unsigned int vec)
{
	/* the guest polls the message page and its rings; datapath B's
	 * channel interrupts come from the backend's eventfd (vmb_sim_wait)
	 */
}

static const struct vmbnet_host_ops sim_host_ops = {
	.map = ram_map,
	.unmap = ram_unmap,
	.page_ok = ram_page_ok,
	.notify = ram_notify,
};

static int sim_regions(void *opaque, struct vmbnet_hof_region *r, unsigned int max)
{
	struct vmb_sim *s = opaque;

	if (!max)
		return -ENOSPC;
	r[0].gpa = VMB_SIM_RAM_BASE;
	r[0].size = s->ram_bytes;
	r[0].fd_offset = 0;
	r[0].fd = s->ram_fd;
	return 1;
}

static const struct vmbnet_hof_front_ops sim_front_ops = { .regions = sim_regions };

/* ---- datapath A's network ------------------------------------------------- */

static int sim_tx(void *opaque, uint32_t chan, const struct iovec *iov, int iovcnt,
		  const struct vmbnet_frame_meta *meta)
{
	struct vmb_sim *s = opaque;
	struct vmb_sim_frame_info fi = {
		.csum_info = meta->csum_info,
		.lso_info = meta->lso_info,
		.vlan_info = meta->vlan_info,
		.hash = meta->hash,
		.has_vlan = meta->has_vlan,
		.has_hash = meta->has_hash,
	};

	return s->cfg.tx ? s->cfg.tx(s->cfg.opaque, chan, iov, iovcnt, &fi) : 0;
}

static const struct vmbnet_nic_ops sim_nic_ops = { .tx = sim_tx };

static bool sim_link_up(void *opaque)
{
	struct vmb_sim *s = opaque;

	return sim_b(s) ? s->front.link_up : s->nic.link_up;
}

/* ---- the function ------------------------------------------------------------ */

uint32_t vmb_sim_read(struct vmb_sim *s, uint32_t reg)
{
	uint32_t val;

	if (!vmbnet_regs_read(&s->regs, &s->host, &s->dev, reg, &val))
		s->host.stats.guest_errors++;
	return val;
}

void vmb_sim_write(struct vmb_sim *s, uint32_t reg, uint32_t val)
{
	switch (vmbnet_regs_write(&s->regs, &s->host, reg, val)) {
	case VMBNET_REGS_RESET:
		vmbnet_host_reset(&s->host);
		if (sim_b(s))
			vmbnet_hof_front_reset(&s->front);
		s->regs.irq_status = 0;
		break;
	case VMBNET_REGS_UNKNOWN:
		s->host.stats.guest_errors++;
		break;
	default: /* no INTx line to update; a bad length is counted */
		break;
	}
}

uint8_t *vmb_sim_ram(struct vmb_sim *s, uint64_t *gpa, uint64_t *bytes)
{
	if (gpa)
		*gpa = VMB_SIM_RAM_BASE;
	if (bytes)
		*bytes = s->ram_bytes;
	return s->ram;
}

void vmb_sim_set_link(struct vmb_sim *s, bool up)
{
	if (sim_b(s))
		vmbnet_hof_front_set_link(&s->front, up);
	else
		vmbnet_nic_set_link(&s->nic, up);
}

int vmb_sim_accept(struct vmb_sim *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->front.listen_fd, .events = POLLIN };
	int ret;

	if (!sim_b(s))
		return -EINVAL;
	do
		ret = poll(&p, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	return vmbnet_hof_front_accept(&s->front);
}

int vmb_sim_wait(struct vmb_sim *s, int timeout_ms)
{
	struct pollfd p[3] = {
		{ .fd = s->front.call[0], .events = POLLIN },
		{ .fd = s->front.listen_fd, .events = POLLIN },
		{ .fd = s->front.sock, .events = POLLIN },
	};
	uint64_t v;
	int woken = 0;

	int next = vmbnet_hof_front_next_timeout_ms(&s->front);

	if (!sim_b(s))
		return 0;
	if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
		timeout_ms = next; /* a request's deadline comes first */
	if (poll(p, s->front.sock >= 0 ? 3 : 2, timeout_ms) > 0) {
		if (p[0].revents & POLLIN && read(p[0].fd, &v, sizeof(v)) == sizeof(v))
			woken = 1;
		if (p[1].revents & POLLIN)
			vmbnet_hof_front_accept(&s->front); /* a backend (re)connects */
		else if (p[2].revents & (POLLIN | POLLHUP))
			vmbnet_hof_front_sock_event(&s->front); /* ACKs, or a hang-up */
	}
	vmbnet_hof_front_expire(&s->front);
	return woken;
}

void vmb_sim_get_stats(const struct vmb_sim *s, struct vmb_sim_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->guest_errors = s->host.stats.guest_errors;
	if (sim_b(s)) {
		st->backend_connects = s->front.stats.connects;
		st->backend_failed_in_flight = s->front.stats.failed_in_flight;
		st->backend_fenced = s->front.stats.fenced;
		st->backend_fence_failed = s->front.stats.fence_failed;
	}
}

void vmb_sim_destroy(struct vmb_sim *s)
{
	if (!s)
		return;
	if (s->host_up)
		vmbnet_host_fini(&s->host);
	if (s->front_up)
		vmbnet_hof_front_fini(&s->front);
	if (s->ram)
		munmap(s->ram, s->ram_bytes);
	if (s->ram_fd >= 0)
		close(s->ram_fd);
	free(s);
}

static int sim_ram(struct vmb_sim *s)
{
	s->ram_bytes = (uint64_t)s->cfg.ram_mib << 20;
	s->ram_fd = memfd_create("vmb-sim-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->ram_fd < 0)
		return -errno;
	/* sealed as QEMU's memory-backend-memfd does: backends insist */
	if (ftruncate(s->ram_fd, (off_t)s->ram_bytes) ||
	    fcntl(s->ram_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		return -errno;
	s->ram = mmap(NULL, s->ram_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		      s->ram_fd, 0);
	if (s->ram == MAP_FAILED) {
		s->ram = NULL;
		return -errno;
	}
	return 0;
}

int vmb_sim_create(const struct vmb_sim_config *cfg, struct vmb_sim **out)
{
	struct vmb_sim *s;
	int err;

	*out = NULL;
	if (!cfg->channels || cfg->channels > VMB_PCI_MAX_CHANNELS || cfg->mtu < VMB_PCI_MTU_MIN ||
	    !cfg->ram_mib || cfg->ram_mib > (1u << 16))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->ram_fd = -1;
	s->dev = (struct vmbnet_regs_dev){
		.features = VMB_FEAT_PENDING_SEND_SZ,
		.channels = cfg->channels,
		.mtu = cfg->mtu,
		.ring_pages = cfg->ring_pages,
		.link_up = sim_link_up,
		.opaque = s,
	};
	memcpy(s->dev.mac, cfg->mac, sizeof(s->dev.mac));
	err = sim_ram(s);
	if (!err)
		err = vmbnet_host_init(&s->host, cfg->channels, cfg->mac, &sim_host_ops, s,
				       sim_b(s) ? &vmbnet_hof_front_handler : &vmbnet_nic_handler);
	s->host_up = !err;
	if (!err && sim_b(s)) {
		err = vmbnet_hof_front_init(&s->front, &s->host, cfg->backend, cfg->mtu,
					    &sim_front_ops, s);
		s->front_up = !err;
	} else if (!err) {
		vmbnet_nic_init(&s->nic, &s->host, cfg->mtu, &sim_nic_ops, s);
	}
	if (err) {
		vmb_sim_destroy(s);
		return err;
	}
	*out = s;
	return 0;
}
