// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet_hvbus.ko: drivers/hv/connection.c's one export.
 *
 * vmbnet's own contact protocol is version 1.0 (transport/SPEC.md §4); what
 * a Hyper-V driver reads here is the Hyper-V release whose behaviour vmbnet
 * follows: Windows 10 5.3 (Windows Server 2019 and later), where GPADLs
 * outlive CLOSE_CHANNEL (hv_netvsc's netvsc_device_remove() tears its buffers
 * down after vmbus_close() from VERSION_WIN10 on).
 *
 * Headers: exactly drivers/hv/connection.c's (see hvbus.h).
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/hyperv.h>
#include <linux/export.h>
#include <linux/io.h>
#include <linux/set_memory.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"
#include "hvbus.h"

__u32 vmbus_proto_version = VERSION_WIN10_V5_3;
EXPORT_SYMBOL_GPL(vmbus_proto_version);
