// SPDX-License-Identifier: GPL-2.0
/* The VMBus client's port on Linux (see vmbc_lport.h). */
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/jiffies.h>

#include "vmbc_lport.h"

void vmbc_lport_init(struct vmbc_lport *lp, void __iomem *regs, struct device *dev)
{
	lp->regs = regs;
	lp->dev = dev;
	mutex_init(&lp->msg_lock);
}

u32 vmbc_lport_rd(void *opaque, u32 reg)
{
	return ioread32(((struct vmbc_lport *)opaque)->regs + reg);
}

void vmbc_lport_wr(void *opaque, u32 reg, u32 val)
{
	iowrite32(val, ((struct vmbc_lport *)opaque)->regs + reg);
}

void vmbc_lport_sleep(void *opaque, unsigned int us)
{
	usleep_range(us, 5 * us);
}

u64 vmbc_lport_now_ms(void *opaque)
{
	return jiffies_to_msecs(jiffies);
}

void vmbc_lport_log(void *opaque, const char *fmt, va_list ap)
{
	struct va_format vaf = { .fmt = fmt };
	va_list aq;

	va_copy(aq, ap);
	vaf.va = &aq;
	/* a hostile host may say the same wrong thing forever: counted in the
	 * client's stats, logged at a rate the console survives
	 */
	dev_warn_ratelimited(((struct vmbc_lport *)opaque)->dev, "%pV", &vaf);
	va_end(aq);
}

void vmbc_lport_msg_lock(void *opaque)
{
	mutex_lock(&((struct vmbc_lport *)opaque)->msg_lock);
}

void vmbc_lport_msg_unlock(void *opaque)
{
	mutex_unlock(&((struct vmbc_lport *)opaque)->msg_lock);
}
