/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMBus client's port on Linux: a vmbnet-pci function's BAR0, a
 * sleeping wait, jiffies, rate-limited device logging and a mutex for the
 * message page. vmbnet.ko and vmbnet_hvbus.ko embed a struct vmbc_lport,
 * hand it to vmbc_init() as the opaque, and add their own hooks to
 * VMBC_LPORT_OPS (they find their device from it with container_of()).
 */
#ifndef VMBC_LPORT_H
#define VMBC_LPORT_H

#include <linux/mutex.h>

#include "vmbnet_vmbc.h"

struct device;

struct vmbc_lport {
	void __iomem *regs; /* BAR0 */
	struct device *dev; /* for the log */
	struct mutex msg_lock; /* the message page */
};

void vmbc_lport_init(struct vmbc_lport *lp, void __iomem *regs, struct device *dev);

u32 vmbc_lport_rd(void *opaque, u32 reg);
void vmbc_lport_wr(void *opaque, u32 reg, u32 val);
void vmbc_lport_sleep(void *opaque, unsigned int us);
u64 vmbc_lport_now_ms(void *opaque);
void vmbc_lport_log(void *opaque, const char *fmt, va_list ap);
void vmbc_lport_msg_lock(void *opaque);
void vmbc_lport_msg_unlock(void *opaque);

#define VMBC_LPORT_OPS                                                                       \
	.rd = vmbc_lport_rd, .wr = vmbc_lport_wr, .sleep = vmbc_lport_sleep,                 \
	.now_ms = vmbc_lport_now_ms, .log = vmbc_lport_log, .msg_lock = vmbc_lport_msg_lock, \
	.msg_unlock = vmbc_lport_msg_unlock

#endif /* VMBC_LPORT_H */
