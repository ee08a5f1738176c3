// SPDX-License-Identifier: MIT
/*
 * vmbnet-dpdk counters through DPDK telemetry:
 *   echo /vmbnet/stats | dpdk-telemetry.py -f <file-prefix>
 * The telemetry thread reads counters the lcore writes; each is one aligned
 * 64-bit word, so a reader sees an old or a new value, never a torn one.
 */
#include <rte_telemetry.h>

#include "vmbnet_dpdk.h"

#define ADD(d, s, f) rte_tel_data_add_dict_u64(d, #f, (s)->f)

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct vmbnet_dpdk_stats *s = &vmbnet_dpdk.stats;
	const struct vmbnet_nic_stats *n = &vmbnet_dpdk.back.nic.stats;
	const struct vmbnet_hof_back_stats *b = &vmbnet_dpdk.back.stats;

	rte_tel_data_start_dict(d);
	ADD(d, n, tx_packets);
	ADD(d, n, tx_bytes);
	ADD(d, n, tx_errors);
	ADD(d, n, rx_packets);
	ADD(d, n, rx_bytes);
	ADD(d, n, rx_dropped);
	ADD(d, n, completions);
	ADD(d, n, completions_failed);
	ADD(d, n, stalls);
	ADD(d, s, tx_copied);
	ADD(d, s, tx_zero_copy);
	ADD(d, s, tx_sent);
	ADD(d, s, tx_dropped);
	ADD(d, s, tx_nombuf);
	ADD(d, s, tx_vlan_sw);
	ADD(d, s, tx_csum_sw);
	ADD(d, s, zc_held);
	ADD(d, s, rx_frames);
	ADD(d, s, rx_held);
	ADD(d, s, polls);
	ADD(d, s, busy_polls);
	ADD(d, s, sleeps);
	ADD(d, s, wakeups);
	ADD(d, s, connects);
	ADD(d, s, disconnects);
	ADD(d, b, msgs);
	ADD(d, b, bad_msgs);
	ADD(d, b, resumed);
	ADD(d, b, ckpt_failed);
	if (vmbnet_dpdk.back.state) /* backends that served this guest, this one included */
		rte_tel_data_add_dict_u64(d, "generation", vmbnet_dpdk.back.state->generation);
	return 0;
}

/* Per channel: the rings' positions and signal counts. */
static int tel_channel(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vmbnet_host *h = &vmbnet_dpdk.back.host;
	unsigned long i = params ? strtoul(params, NULL, 10) : 0;
	const struct vmbnet_channel *ch;

	if (!vmbnet_dpdk.back.hello || i >= h->nchan)
		return -EINVAL;
	ch = &h->chan[i];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "state", ch->state);
	rte_tel_data_add_dict_u64(d, "in_read", vmb_ring_position(&ch->in));
	rte_tel_data_add_dict_u64(d, "out_write", vmb_ring_position(&ch->out));
	rte_tel_data_add_dict_u64(d, "doorbells", ch->stats.doorbells);
	rte_tel_data_add_dict_u64(d, "interrupts", ch->stats.interrupts);
	rte_tel_data_add_dict_u64(d, "out_signals_sent", ch->out.stats.signals_sent);
	rte_tel_data_add_dict_u64(d, "out_signals_suppressed", ch->out.stats.signals_suppressed);
	return 0;
}

int vmbnet_dpdk_telemetry_init(struct vmbnet_dpdk *d)
{
	int err = rte_telemetry_register_cmd("/vmbnet/stats", tel_stats,
					     "vmbnet-dpdk counters. No parameters");

	if (!err)
		err = rte_telemetry_register_cmd("/vmbnet/channel", tel_channel,
						 "One channel's ring state. Parameter: channel");
	return err;
}
