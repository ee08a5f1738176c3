/* SPDX-License-Identifier: GPL-2.0 */
/* vmbnet.ko: the DDI core's Linux glue and self-tests. */
#ifndef VMBNET_DDI_LINUX_H
#define VMBNET_DDI_LINUX_H

#include <linux/seq_file.h>

#include "vmbnet.h"

#define VMBNET_DDI_SLOTS 256 /* DDI packets in flight on channel 0 */

int vmbnet_ddi_attach(struct vmbnet_dev *vd);
/* Stop the load generator and debugfs; the channel still completes. */
void vmbnet_ddi_quiesce(struct vmbnet_dev *vd);
/* With NAPI stopped: cancel what is in flight and free the core. */
void vmbnet_ddi_detach(struct vmbnet_dev *vd);
void vmbnet_ddi_module_exit(void);

/* Run the in-guest DDI tests; KTAP into @s. */
int vmbnet_selftest_show(struct seq_file *s, void *unused);

#endif /* VMBNET_DDI_LINUX_H */
