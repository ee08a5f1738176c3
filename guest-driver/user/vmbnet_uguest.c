// SPDX-License-Identifier: MIT
/* A guest in userspace on vmbnet-pci in-process. See vmbnet_uguest.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmbnet_uguest.h"

int vmbnet_uguest_init(struct vmbnet_uguest *g, const struct vmb_sim_config *cfg)
{
	int err;

	memset(g, 0, sizeof(*g));
	err = vmb_sim_create(cfg, &g->sim);
	if (err)
		return err;
	g->ram = vmb_sim_ram(g->sim, &g->ram_gpa, &g->ram_bytes);
	return 0;
}

void vmbnet_uguest_fini(struct vmbnet_uguest *g)
{
	vmb_sim_destroy(g->sim);
	g->sim = NULL;
	g->ram = NULL;
}

void *vmbnet_uguest_dma(struct vmbnet_uguest *g, uint32_t len, uint64_t *pfn)
{
	uint64_t bytes = ((uint64_t)len + VMB_PAGE_SIZE - 1) & ~(uint64_t)(VMB_PAGE_SIZE - 1);
	void *p;

	if (!len || bytes > g->ram_bytes - g->next)
		return NULL;
	p = g->ram + g->next;
	if (pfn)
		*pfn = (g->ram_gpa + g->next) >> VMB_PAGE_SHIFT;
	g->next += bytes;
	return p;
}

int vmbnet_uguest_describe(struct vmbnet_uguest *g, void *va, uint32_t len, struct vmbnet_mdl *m,
			   uint64_t *pfns, uint32_t max)
{
	uint64_t off = (uint64_t)((uint8_t *)va - g->ram);

	memset(m, 0, sizeof(*m));
	if ((uint8_t *)va < g->ram || off > g->ram_bytes || len > g->ram_bytes - off)
		return -EINVAL;
	/* guest RAM is page-aligned: @va's page offset is its offset in RAM's */
	return vmbnet_mdl_contig(m, va, len, (g->ram_gpa + off) >> VMB_PAGE_SHIFT, pfns, max);
}

void vmbnet_uguest_doorbell(struct vmbnet_uguest *g)
{
	vmb_sim_write(g->sim, VMB_REG_DOORBELL(g->vc.index), 1);
}

int vmbnet_uguest_write(struct vmbnet_uguest *g, uint16_t type, uint16_t flags, uint64_t tid,
			const void *ext, uint32_t ext_len, const struct vmb_sg *sg,
			unsigned int nsg)
{
	if (!g->vc.open)
		return -ENOTCONN;
	return vmb_ring_write(&g->up, type, flags, tid, ext, ext_len, sg, nsg);
}

/* ---- the VMBus client's port: the function's registers -------------------- */

static uint32_t port_rd(void *opaque, uint32_t reg)
{
	return vmb_sim_read(((struct vmbnet_uguest *)opaque)->sim, reg);
}

static void port_wr(void *opaque, uint32_t reg, uint32_t val)
{
	vmb_sim_write(((struct vmbnet_uguest *)opaque)->sim, reg, val);
}

static void port_sleep(void *opaque, unsigned int us)
{
	struct vmbnet_uguest *g = opaque;

	if (g->idle)
		g->idle(g->opaque, us);
}

static uint64_t port_now_ms(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

static void port_log(void *opaque, const char *fmt, va_list ap)
{
	fputs("vmbnet guest: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static const struct vmbc_port uguest_port = {
	.rd = port_rd,
	.wr = port_wr,
	.sleep = port_sleep,
	.now_ms = port_now_ms,
	.log = port_log,
};

static int buf(struct vmbnet_uguest *g, struct vmbc_buf *b, uint32_t pages)
{
	b->va = vmbnet_uguest_dma(g, pages * VMB_PAGE_SIZE, &b->pfn);
	b->pages = pages;
	return b->va ? 0 : -ENOMEM;
}

int vmbnet_uguest_bringup(struct vmbnet_uguest *g, uint32_t up_pages, uint32_t down_pages,
			  uint32_t rx_pages, uint32_t tx_pages, unsigned int timeout_ms)
{
	struct vmbc *c = &g->vmbc;
	int err;

	vmbc_init(c, &uguest_port, g);
	c->timeout_ms = timeout_ms;
	err = vmbc_probe(c);
	if (!err)
		err = vmbc_connect(c);
	if (err)
		return err;
	g->vc = (struct vmbc_chan){ .c = c,
				    .index = c->offer[0].index,
				    .relid = c->offer[0].relid,
				    .up = &g->up,
				    .down = &g->down };
	err = buf(g, &g->ring, up_pages + down_pages);
	if (!err)
		err = buf(g, &g->rx, rx_pages);
	if (!err)
		err = buf(g, &g->tx, tx_pages);
	if (!err)
		err = vmbc_chan_open(&g->vc, &g->ring, up_pages, &g->rx, &g->tx);
	if (!err)
		err = vmbc_rndis_init(&g->vc);
	return err;
}

void vmbnet_uguest_close(struct vmbnet_uguest *g)
{
	if (g->vc.open)
		vmbc_close(&g->vmbc, g->vc.relid);
	g->vc.open = false;
}
