/* SPDX-License-Identifier: MIT */
/* Internals shared by the DDI core's files. */
#ifndef VMBNET_DDI_PRIV_H
#define VMBNET_DDI_PRIV_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#endif

#include "vmbnet_ddi.h"

#define VMBNET_L2_MAX 128u /* Ethernet + IPv6 header fit */

int32_t vmbnet_core_submit(struct vmbnet_vmbpacket *p);
int32_t vmbnet_core_send_frame(struct vmbnet_core *c, struct vmbnet_nbl *nbl,
			       const struct vmbnet_mdl *chain, uint32_t off, uint32_t len,
			       const void *l2, uint32_t l2_len,
			       void (*done)(void *ctx, struct vmbnet_nbl *nbl, int32_t status),
			       void *ctx);

#endif /* VMBNET_DDI_PRIV_H */
