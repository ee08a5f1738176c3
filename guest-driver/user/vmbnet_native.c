// SPDX-License-Identifier: MIT
/*
 * vmbnet native: the DDI core in userspace against an external backend.
 * See vmbnet_native.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_native.h"

#define NATIVE_RELID 1
#define NATIVE_RING_GPADL 10
#define NATIVE_RX_GPADL 20
#define NATIVE_TX_GPADL 21
#define NATIVE_BRINGUP_TID 1 /* trans_id of bring-up requests (outside the core's range) */
#define GPADL_PFNS_PER_MSG                                                                    \
	((VMB_MSG_MAX - sizeof(struct vmb_msg_gpadl_header) - sizeof(struct vmb_gpa_range)) / \
	 sizeof(uint64_t))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The core stamps every packet twice (send, completion). Where the TSC is
 * constant and non-stop, reading it is several times cheaper than
 * clock_gettime(); it is calibrated against CLOCK_MONOTONIC once.
 */
#define TSC_CALIBRATE_NS 20000000ull

static double tsc_ns_per_tick;
static uint64_t tsc_base, tsc_base_ns;

#if defined(__x86_64__)
#include <x86intrin.h>

static bool cpu_has(const char *flag)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "flags", 5) && strstr(line, flag);
	if (f)
		fclose(f);
	return found;
}

static void tsc_calibrate(void)
{
	uint64_t t0, c0, t1, c1;

	if (tsc_ns_per_tick || !cpu_has(" constant_tsc") || !cpu_has(" nonstop_tsc"))
		return;
	t0 = now_ns();
	c0 = __rdtsc();
	while ((t1 = now_ns()) - t0 < TSC_CALIBRATE_NS)
		;
	c1 = __rdtsc();
	tsc_base = c1;
	tsc_base_ns = t1;
	tsc_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

static uint64_t fast_now_ns(void)
{
	if (!tsc_ns_per_tick)
		return now_ns();
	return tsc_base_ns + (uint64_t)((double)(__rdtsc() - tsc_base) * tsc_ns_per_tick);
}
#else
static void tsc_calibrate(void)
{
}

static uint64_t fast_now_ns(void)
{
	return now_ns();
}
#endif

/* ---- guest RAM, as the control plane sees it ------------------------------ */

static void *ram_map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vmbnet_native *n = opaque;

	if (gpa < VMBNET_NATIVE_RAM_BASE || gpa - VMBNET_NATIVE_RAM_BASE > n->ram_bytes ||
	    len > n->ram_bytes - (gpa - VMBNET_NATIVE_RAM_BASE))
		return NULL;
	return n->ram + (gpa - VMBNET_NATIVE_RAM_BASE);
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
	/* control messages are popped synchronously; channel signals come
	 * from the backend's call eventfd
	 */
}

static const struct vmbnet_host_ops native_host_ops = {
	.map = ram_map,
	.unmap = ram_unmap,
	.page_ok = ram_page_ok,
	.notify = ram_notify,
};

static int native_regions(void *opaque, struct vmbnet_hof_region *r, unsigned int max)
{
	struct vmbnet_native *n = opaque;

	r[0].gpa = VMBNET_NATIVE_RAM_BASE;
	r[0].size = n->ram_bytes;
	r[0].fd_offset = 0;
	r[0].fd = n->ram_fd;
	return 1;
}

static const struct vmbnet_hof_front_ops native_front_ops = { .regions = native_regions };

void *vmbnet_native_dma(struct vmbnet_native *n, uint32_t len, uint64_t *pfn)
{
	uint64_t bytes = ((uint64_t)len + VMB_PAGE_SIZE - 1) & ~(uint64_t)(VMB_PAGE_SIZE - 1);
	void *p;

	if (!len || bytes > n->ram_bytes - n->next)
		return NULL;
	p = n->ram + n->next;
	if (pfn)
		*pfn = (VMBNET_NATIVE_RAM_BASE + n->next) >> VMB_PAGE_SHIFT;
	n->next += bytes;
	return p;
}

int vmbnet_native_describe(struct vmbnet_native *n, void *va, uint32_t len, struct vmbnet_mdl *m,
			   uint64_t *pfns, uint32_t max)
{
	uint64_t off = (uint64_t)((uint8_t *)va - n->ram);
	uint64_t first = (VMBNET_NATIVE_RAM_BASE + off) >> VMB_PAGE_SHIFT;

	memset(m, 0, sizeof(*m));
	m->ByteOffset = (uint32_t)(off & (VMB_PAGE_SIZE - 1));
	m->PfnCount = VMB_GPA_RANGE_PFNS(m->ByteOffset, len ? len : 1);
	if ((uint8_t *)va < n->ram || off + len > n->ram_bytes || m->PfnCount > max)
		return -EINVAL;
	m->StartVa = (uint8_t *)va - m->ByteOffset;
	m->ByteCount = len;
	for (uint32_t i = 0; i < m->PfnCount; i++)
		pfns[i] = first + i;
	m->Pfns = pfns;
	return 0;
}

/* ---- the core's port ---------------------------------------------------------- */

static void port_flush(void *opaque)
{
	struct vmbnet_native *n = opaque;

	if (vmb_ring_tx_publish(&n->up)) {
		n->stats.doorbells++;
		vmbnet_host_doorbell(&n->host, 0);
	}
}

static int port_send(void *opaque, uint16_t type, uint16_t flags, uint64_t tid, const void *ext,
		     uint32_t ext_len, const struct vmb_sg *sg, unsigned int nsg, bool more)
{
	struct vmbnet_native *n = opaque;
	int ret;

	if (!n->open)
		return -ENOTCONN;
	ret = vmb_ring_write(&n->up, type, flags, tid, ext, ext_len, sg, nsg);
	if (ret)
		return ret;
	if (!more)
		port_flush(opaque);
	return 0;
}

static bool port_ready(void *opaque)
{
	return ((struct vmbnet_native *)opaque)->open;
}

static bool port_in_atomic(void *opaque)
{
	return false;
}

static void *port_alloc(void *opaque, size_t len)
{
	return calloc(1, len);
}

static void port_free(void *opaque, void *p)
{
	free(p);
}

static void *port_dma_alloc(void *opaque, size_t len, uint64_t *pfn)
{
	return vmbnet_native_dma(opaque, (uint32_t)len, pfn);
}

static void port_dma_free(void *opaque, void *p, size_t len, uint64_t pfn)
{
	/* guest RAM is released as a whole */
}

static void port_nolock(void *opaque)
{
}

static void port_wait(void *opaque, bool (*done)(void *arg), void *arg)
{
	struct vmbnet_native *n = opaque;
	uint64_t end = now_ns() + 10ull * 1000000000ull;

	while (!done(arg) && now_ns() < end)
		if (!vmbnet_native_pump(n))
			vmbnet_native_wait(n, 10);
}

static uint64_t port_now(void *opaque)
{
	return fast_now_ns();
}

uint64_t vmbnet_native_now_ns(void)
{
	return fast_now_ns();
}

static void port_macs(void *opaque, uint8_t src[6], uint8_t dst[6])
{
	struct vmbnet_native *n = opaque;

	memcpy(src, n->host.mac, 6);
	memset(dst, 0xff, 6);
}

static int port_describe(void *opaque, void *va, uint32_t len, struct vmbnet_mdl *m, uint64_t *pfns,
			 uint32_t max)
{
	return vmbnet_native_describe(opaque, va, len, m, pfns, max);
}

static const struct vmbnet_core_port native_port = {
	.send = port_send,
	.flush = port_flush,
	.ready = port_ready,
	.in_atomic = port_in_atomic,
	.alloc = port_alloc,
	.free = port_free,
	.dma_alloc = port_dma_alloc,
	.dma_free = port_dma_free,
	.lock = port_nolock,
	.unlock = port_nolock,
	.wait = port_wait,
	.now_ns = port_now,
	.macs = port_macs,
	.describe = port_describe,
};

/* ---- receiving ----------------------------------------------------------------- */

/* A receive slot from the backend: count data frames, give it back. */
static void give_slot_back(struct vmbnet_native *n, const struct vmb_pkt *p)
{
	struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };
	struct nvsp_rndis_pkt m = { 0 };
	struct vmb_xfer_page_hdr h;
	struct vmb_xfer_range r[1];
	struct vmb_sg sg = { &c, sizeof(c) };

	vmb_ring_pkt_copy(&n->down, p, p->data_off, &m, sizeof(m));
	if (m.channel_type == NVSP_CHANNEL_DATA &&
	    vmb_xfer_parse(&n->down, p, VMBNET_NATIVE_RX_PAGES * VMB_PAGE_SIZE, &h, r, 1) == 1) {
		n->stats.rx_frames++;
		n->stats.rx_bytes += r[0].byte_count;
	}
	/* room: the backend never lends more slots than the up ring can return */
	vmb_ring_write(&n->up, VMB_PKT_COMP, 0, p->trans_id, NULL, 0, &sg, 1);
}

unsigned int vmbnet_native_pump(struct vmbnet_native *n)
{
	uint8_t payload[NVSP_ECHO_PPI_OFF + RNDIS_PPI_MAX];
	struct vmb_pkt p;
	unsigned int got = 0;
	bool wrote = false;

	while (vmb_ring_peek(&n->down, &p) == 0) {
		uint32_t len = vmb_pkt_data_len(&p);

		if (len > sizeof(payload))
			len = sizeof(payload);
		vmb_ring_pkt_copy(&n->down, &p, p.data_off, payload, len);
		if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id) && n->core_ready) {
			vmbnet_core_complete(&n->core, p.trans_id, payload, len);
		} else if (p.type == VMB_PKT_DATA_XFER_PAGES) {
			give_slot_back(n, &p);
			wrote = true;
		}
		vmb_ring_advance(&n->down, &p);
		got++;
	}
	/* The backend may wait for this space (pending_send_sz). */
	if (vmb_ring_rx_release(&n->down))
		vmbnet_host_doorbell(&n->host, 0);
	if (wrote)
		port_flush(n);
	if (got && n->core_ready)
		vmbnet_core_kick(&n->core);
	return got;
}

int vmbnet_native_wait(struct vmbnet_native *n, int timeout_ms)
{
	struct pollfd p[3] = {
		{ .fd = n->front.call[0], .events = POLLIN },
		{ .fd = n->front.listen_fd, .events = POLLIN },
		{ .fd = n->front.sock, .events = POLLIN },
	};
	uint64_t v;
	int woken = 0;

	if (n->open && vmb_ring_rx_unmask(&n->down)) {
		vmb_ring_rx_mask(&n->down);
		return 1; /* arrived while we were deciding to sleep */
	}
	if (poll(p, n->front.sock >= 0 ? 3 : 2, timeout_ms) > 0) {
		if (p[0].revents & POLLIN && read(p[0].fd, &v, sizeof(v)) == sizeof(v)) {
			n->stats.wakeups++;
			woken = 1;
		}
		if (p[1].revents & POLLIN)
			vmbnet_hof_front_accept(&n->front); /* a backend (re)connects */
		else if (p[2].revents & (POLLIN | POLLHUP))
			vmbnet_hof_front_sock_event(&n->front);
	}
	vmb_ring_rx_mask(&n->down);
	return woken;
}

/* ---- bring-up ------------------------------------------------------------------ */

static uint32_t pop_msg(struct vmbnet_native *n, void *buf)
{
	struct vmb_msg_hdr h;
	uint32_t len = vmbnet_host_pop(&n->host, buf);

	if (!len)
		return 0;
	memcpy(&h, buf, sizeof(h));
	return h.msgtype;
}

/* Put pfns @pfn0 + @first .. into @dst (unaligned) until @max or @npages. */
static uint32_t put_pfns(uint8_t *dst, uint64_t pfn0, uint32_t first, uint32_t npages, uint32_t max)
{
	uint32_t k;

	for (k = 0; first + k < npages && k < max; k++) {
		uint64_t pfn = pfn0 + first + k;

		memcpy(dst + (size_t)k * sizeof(pfn), &pfn, sizeof(pfn));
	}
	return k;
}

static int gpadl_create(struct vmbnet_native *n, uint32_t id, uint64_t pfn0, uint32_t npages)
{
	uint8_t msg[VMB_MSG_MAX];
	struct vmb_msg_gpadl_header hdr = {
		.hdr.msgtype = VMB_MSG_GPADL_HEADER,
		.child_relid = NATIVE_RELID,
		.gpadl = id,
		.range_count = 1,
		.range_buflen = (uint16_t)(sizeof(struct vmb_gpa_range) + 8 * npages),
	};
	struct vmb_gpa_range r = { .byte_count = npages * VMB_PAGE_SIZE };
	struct vmb_msg_gpadl_body b = { .hdr.msgtype = VMB_MSG_GPADL_BODY, .gpadl = id };
	struct vmb_msg_gpadl_created c;
	uint32_t sent, k;

	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), &r, sizeof(r));
	k = put_pfns(msg + sizeof(hdr) + sizeof(r), pfn0, 0, npages, GPADL_PFNS_PER_MSG);
	vmbnet_host_message(&n->host, msg, (uint32_t)(sizeof(hdr) + sizeof(r) + 8 * k));
	for (sent = k; sent < npages; sent += k, b.msgnumber++) {
		memcpy(msg, &b, sizeof(b));
		k = put_pfns(msg + sizeof(b), pfn0, sent, npages, (VMB_MSG_MAX - sizeof(b)) / 8);
		vmbnet_host_message(&n->host, msg, (uint32_t)(sizeof(b) + 8 * k));
	}
	if (pop_msg(n, &c) != VMB_MSG_GPADL_CREATED || c.gpadl != id)
		return -EPROTO;
	return (int32_t)c.creation_status;
}

static int chan_open(struct vmbnet_native *n)
{
	uint32_t up = VMBNET_NATIVE_RING_PAGES, down = VMBNET_NATIVE_RING_PAGES;
	struct vmb_msg_open_channel m = {
		.hdr.msgtype = VMB_MSG_OPEN_CHANNEL,
		.child_relid = NATIVE_RELID,
		.openid = 1,
		.ringbuffer_gpadl = NATIVE_RING_GPADL,
		.downstream_ring_offset = up,
	};
	struct vmb_msg_open_result r;
	uint8_t *ring = n->ram + ((n->ring_pfn << VMB_PAGE_SHIFT) - VMBNET_NATIVE_RAM_BASE);

	if (vmb_ring_format(ring, (uint64_t)up * VMB_PAGE_SIZE) ||
	    vmb_ring_format(ring + (uint64_t)up * VMB_PAGE_SIZE, (uint64_t)down * VMB_PAGE_SIZE))
		return -EINVAL;
	vmbnet_host_message(&n->host, &m, sizeof(m));
	if (pop_msg(n, &r) != VMB_MSG_OPEN_RESULT)
		return -EPROTO;
	if (r.status)
		return (int32_t)r.status;
	if (vmb_ring_attach_producer(&n->up, ring, (uint64_t)up * VMB_PAGE_SIZE) ||
	    vmb_ring_attach_consumer(&n->down, ring + (uint64_t)up * VMB_PAGE_SIZE,
				     (uint64_t)down * VMB_PAGE_SIZE))
		return -EIO;
	vmb_ring_rx_mask(&n->down); /* we poll; vmbnet_native_wait() unmasks */
	n->open = true;
	return 0;
}

/* One NVSP request on the ring; waits for its completion. */
static int nvsp_sync(struct vmbnet_native *n, const void *msg, uint32_t len, void *reply,
		     uint32_t reply_len, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct vmb_pkt p;

	if (vmb_ring_write_inband(&n->up, VMB_PKT_FLAG_COMPLETION_REQUESTED, NATIVE_BRINGUP_TID,
				  msg, len))
		return -EAGAIN;
	port_flush(n);
	while (now_ns() < end) {
		while (vmb_ring_peek(&n->down, &p) == 0) {
			if (p.type == VMB_PKT_COMP && p.trans_id == NATIVE_BRINGUP_TID) {
				memset(reply, 0, reply_len);
				vmb_ring_pkt_copy(&n->down, &p, p.data_off, reply,
						  vmb_pkt_data_len(&p) < reply_len ?
							  vmb_pkt_data_len(&p) :
							  reply_len);
				vmb_ring_advance(&n->down, &p);
				vmb_ring_rx_release(&n->down);
				return 0;
			}
			if (p.type == VMB_PKT_DATA_XFER_PAGES) {
				give_slot_back(n, &p);
				port_flush(n);
			}
			vmb_ring_advance(&n->down, &p);
		}
		vmb_ring_rx_release(&n->down);
		vmbnet_native_wait(n, 10);
	}
	return -ETIMEDOUT;
}

static int nvsp_bringup(struct vmbnet_native *n, int timeout_ms)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, NATIVE_RX_GPADL, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, NATIVE_TX_GPADL, 0 };
	struct {
		struct rndis_hdr h;
		struct rndis_init_request r;
	} ri = { { RNDIS_MSG_INIT, sizeof(ri) }, { 1, 1, 0, 0 } };
	struct nvsp_rndis_pkt rp = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_CONTROL, 0, sizeof(ri) };
	uint32_t reply[8];
	int err;

	err = nvsp_sync(n, &init, sizeof(init), reply, sizeof(reply), timeout_ms);
	if (!err && reply[offsetof(struct nvsp_init_complete, status) / sizeof(reply[0])] !=
			    NVSP_STAT_SUCCESS)
		err = -EPROTO;
	if (!err)
		err = nvsp_sync(n, &rb, sizeof(rb), reply, sizeof(reply), timeout_ms);
	if (!err && reply[1] != NVSP_STAT_SUCCESS)
		err = -EPROTO;
	if (!err)
		err = nvsp_sync(n, &sb, sizeof(sb), reply, sizeof(reply), timeout_ms);
	if (!err && reply[1] != NVSP_STAT_SUCCESS)
		err = -EPROTO;
	if (err)
		return err;
	memcpy(n->ram + ((n->tx_pfn << VMB_PAGE_SHIFT) - VMBNET_NATIVE_RAM_BASE), &ri, sizeof(ri));
	err = nvsp_sync(n, &rp, sizeof(rp), reply, sizeof(reply), timeout_ms);
	if (!err && reply[1] != NVSP_STAT_SUCCESS)
		err = -EPROTO;
	return err;
}

int vmbnet_native_bringup(struct vmbnet_native *n, uint32_t slots, int timeout_ms)
{
	struct vmb_msg_initiate_contact ic = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
	};
	uint8_t msg[VMB_MSG_MAX];
	int err;

	vmbnet_host_message(&n->host, &ic, sizeof(ic));
	if (pop_msg(n, msg) != VMB_MSG_VERSION_RESPONSE)
		return -EPROTO;
	if (!vmbnet_native_dma(n, 2 * VMBNET_NATIVE_RING_PAGES * VMB_PAGE_SIZE, &n->ring_pfn) ||
	    !vmbnet_native_dma(n, VMBNET_NATIVE_RX_PAGES * VMB_PAGE_SIZE, &n->rx_pfn) ||
	    !vmbnet_native_dma(n, VMBNET_NATIVE_TX_PAGES * VMB_PAGE_SIZE, &n->tx_pfn))
		return -ENOMEM;
	err = gpadl_create(n, NATIVE_RING_GPADL, n->ring_pfn, 2 * VMBNET_NATIVE_RING_PAGES);
	if (!err)
		err = gpadl_create(n, NATIVE_RX_GPADL, n->rx_pfn, VMBNET_NATIVE_RX_PAGES);
	if (!err)
		err = gpadl_create(n, NATIVE_TX_GPADL, n->tx_pfn, VMBNET_NATIVE_TX_PAGES);
	if (!err)
		err = chan_open(n);
	if (!err)
		err = nvsp_bringup(n, timeout_ms);
	if (!err)
		err = vmbnet_core_init(&n->core, &native_port, n, slots);
	n->core_ready = !err;
	return err;
}

void vmbnet_native_close(struct vmbnet_native *n)
{
	struct vmb_msg_close_channel m = {
		.hdr.msgtype = VMB_MSG_CLOSE_CHANNEL,
		.child_relid = NATIVE_RELID,
	};

	if (!n->open)
		return;
	vmbnet_host_message(&n->host, &m, sizeof(m));
	vmbnet_native_pump(n); /* the failure completions of what was queued */
	n->open = false;
	if (n->core_ready)
		vmbnet_core_cancel_all(&n->core, VMBNET_STATUS_CANCELLED);
}

/* ---- set-up ----------------------------------------------------------------- */

int vmbnet_native_accept(struct vmbnet_native *n, int timeout_ms)
{
	struct pollfd p = { .fd = n->front.listen_fd, .events = POLLIN };
	int ret;

	do
		ret = poll(&p, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	return vmbnet_hof_front_accept(&n->front);
}

int vmbnet_native_init(struct vmbnet_native *n, const char *sock, uint32_t ram_mib)
{
	static const uint8_t mac[6] = { 0x02, 0x76, 0x6d, 0x62, 0x00, 0x01 };
	int err;

	memset(n, 0, sizeof(*n));
	tsc_calibrate();
	n->ram_bytes = (uint64_t)ram_mib << 20;
	n->ram_fd = memfd_create("vmbnet-native-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (n->ram_fd < 0)
		return -errno;
	/* sealed as QEMU's memory-backend-memfd does: the backend insists */
	if (ftruncate(n->ram_fd, (off_t)n->ram_bytes) ||
	    fcntl(n->ram_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		goto fail_errno;
	n->ram = mmap(NULL, n->ram_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		      n->ram_fd, 0);
	if (n->ram == MAP_FAILED) {
		n->ram = NULL;
		goto fail_errno;
	}
	err = vmbnet_host_init(&n->host, 1, mac, &native_host_ops, n, &vmbnet_hof_front_handler);
	if (!err)
		err = vmbnet_hof_front_init(&n->front, &n->host, sock, 1500, &native_front_ops, n);
	n->front_up = !err;
	if (err) {
		vmbnet_native_fini(n);
		return err;
	}
	return 0;
fail_errno:
	err = -errno;
	vmbnet_native_fini(n);
	return err;
}

void vmbnet_native_fini(struct vmbnet_native *n)
{
	if (n->core_ready)
		vmbnet_core_fini(&n->core);
	n->core_ready = false;
	if (n->front_up) {
		vmbnet_host_fini(&n->host);
		vmbnet_hof_front_fini(&n->front);
	}
	n->front_up = false;
	if (n->ram)
		munmap(n->ram, n->ram_bytes);
	if (n->ram_fd >= 0)
		close(n->ram_fd);
	n->ram = NULL;
	n->ram_fd = -1;
}
