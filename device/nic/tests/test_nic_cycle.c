// SPDX-License-Identifier: MIT
/*
 * The NIC protocol end to end against a fake guest driver on real rings:
 * NVSP init, receive and send buffers, RNDIS initialize and queries, frames
 * out through send sections and GPA-direct ranges with per-packet info,
 * frames in through receive slots, link down and up, slot exhaustion and
 * recovery, exactly one completion per packet across a close, and the
 * state a migration restores, checked before it is used.
 */
#include "nic_harness.h"

static void frames_out(void)
{
	uint64_t tid = send_frame_gpa(5, 42, 300);

	expect_comp(tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(net.frames, 1);
	VT_EQ(net.last_len, 300);
	for (uint32_t i = 0; i < 300; i++)
		VT_EQ(net.last[i], (uint8_t)(i * 3 + 5));
	VT_EQ(net.meta.has_vlan, 1);
	VT_EQ(RNDIS_8021Q_PRIO(net.meta.vlan_info), 5);
	VT_EQ(RNDIS_8021Q_VLAN(net.meta.vlan_info), 42);

	/* Link down: the send fails with a status, the guest hears about it. */
	vmbnet_nic_set_link(&nic, false);
	uint8_t msg[64];
	uint32_t len;
	uint64_t slot = recv_rndis(msg, sizeof(msg), &len);
	struct rndis_indicate ind;

	memcpy(&ind, msg + 8, sizeof(ind));
	VT_EQ(ind.status, RNDIS_STATUS_MEDIA_DISCONNECT);
	complete_slot(slot);
	tid = send_frame_gpa(1, 1, 100);
	expect_comp(tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_FAIL);
	VT_EQ(net.frames, 1);
	VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ msg, 60 }, 1, NULL), -1);
	vmbnet_nic_set_link(&nic, true);
	slot = recv_rndis(msg, sizeof(msg), &len);
	memcpy(&ind, msg + 8, sizeof(ind));
	VT_EQ(ind.status, RNDIS_STATUS_MEDIA_CONNECT);
	complete_slot(slot);
}

static void frames_in(void)
{
	uint8_t frame[600], got[2048];
	struct vmbnet_frame_meta meta = { .csum_info = RNDIS_CSUM_RX_TCP_OK };
	uint32_t slots = nic.chan[0].rx_slots, data_slots = slots - VMBNET_RX_CTRL_RESERVE, len;
	uint64_t held[16];
	struct rndis_packet pk;

	for (uint32_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i ^ 0x5a);
	for (uint32_t i = 0; i < data_slots; i++)
		VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1,
					 &meta),
		      sizeof(frame));
	/* Every data slot is lent: the next frame must wait, not vanish. */
	VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1, &meta), 0);
	for (uint32_t i = 0; i < data_slots; i++) {
		held[i] = recv_rndis(got, sizeof(got), &len);
		memcpy(&pk, got + 8, sizeof(pk));
		VT_EQ(pk.data_len, sizeof(frame));
		VT_CHECK(!memcmp(got + 8 + pk.data_offset, frame, sizeof(frame)));
		VT_EQ(pk.ppi_len, 16); /* the checksum ppi */
	}
	complete_slot(held[0]);
	VT_EQ(net.rx_ready, 1); /* the device is told to retry */
	VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1, NULL),
	      sizeof(frame));
	held[0] = recv_rndis(got, sizeof(got), &len);
	for (uint32_t i = 0; i < data_slots; i++)
		complete_slot(held[i]);
	VT_EQ(nic.chan[0].rx_nfree, slots);
	/* A completion for a slot never lent is counted, not believed. */
	complete_slot(999);
	VT_EQ(nic.stats.unknown_completions, 1);
	VT_EQ(nic.chan[0].rx_nfree, slots);
}

static void close_with_packets_in_flight(void)
{
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };
	struct nvsp_rndis_pkt m = { NVSP_MSG_SEND_RNDIS_PKT, 0, 0, 60 };
	uint64_t first = next_tid;

	/* Three sends the host has not looked at yet (no doorbell). */
	for (int i = 0; i < 3; i++)
		VT_EQ(vmb_ring_write_inband(&up, VMB_PKT_FLAG_COMPLETION_REQUESTED, next_tid++, &m,
					    sizeof(m)),
		      0);
	vmb_ring_tx_publish(&up);
	vmbnet_host_message(&h, &c, sizeof(c));
	for (int i = 0; i < 3; i++)
		expect_comp(first + i, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_FAIL);
	VT_EQ(g.maps, 0);
}

/* Regression (review): the guest could tear down the receive or send
 * buffer's GPADL while the NIC still wrote frames into it.
 */
static uint32_t teardown(uint32_t id)
{
	struct vmb_msg_gpadl_teardown t = { .hdr.msgtype = VMB_MSG_GPADL_TEARDOWN, .gpadl = id };

	vmbnet_host_message(&h, &t, sizeof(t));
	return fg_pop(&h, NULL);
}

static void buffer_teardown_refused_while_open(void)
{
	unsigned int errors = g.errors;

	VT_EQ(teardown(20), 0); /* no GPADL_TORNDOWN: refused */
	VT_EQ(teardown(21), 0);
	VT_EQ(g.errors, errors + 2);
	VT_CHECK(nic.chan[0].rx_buf.pages && nic.chan[0].tx_buf.pages);
}

static void buffer_teardown_after_close(void)
{
	VT_EQ(teardown(20), VMB_MSG_GPADL_TORNDOWN);
	VT_EQ(teardown(21), VMB_MSG_GPADL_TORNDOWN);
}

/* Every case starts from a NIC the guest has brought up through RNDIS. */
static void nic_up(void)
{
	bring_up();
	rndis_init_and_query();
}

/* @completions_failed: the packets the case expects completed with a failure. */
static void finish(uint64_t completions_failed)
{
	VT_EQ(nic.stats.completions_failed, completions_failed);
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void nvsp_and_rndis_init(void)
{
	nic_up();
	finish(0);
}

static void frames_out_and_link_down(void)
{
	nic_up();
	frames_out();
	finish(1); /* the send while the link was down */
}

static void frames_in_slot_exhaustion(void)
{
	nic_up();
	frames_in();
	finish(0);
}

/* Buffers stay while the channel is open; close fails what is in flight. */
static void close_and_buffer_teardown(void)
{
	nic_up();
	buffer_teardown_refused_while_open();
	close_with_packets_in_flight();
	buffer_teardown_after_close();
	finish(3); /* the three sends in flight */
}

/*
 * What a migration does to the NIC: the pointers go (QEMU's pre_load resets
 * the device, the stream restores everything else), then post_load maps the
 * buffers again by their GPADL ids. The holds came with the GPADL users
 * counts, so the unmap here must not drop them.
 */
static void migrate_in_place(void)
{
	struct vmbnet_nic_chan *nc = &nic.chan[0];
	const struct vmbnet_gpadl *rg = vmbnet_host_gpadl(&h, 1, 20);
	const struct vmbnet_gpadl *tg = vmbnet_host_gpadl(&h, 1, 21);
	uint16_t ru = rg->users, tu = tg->users;

	vmbnet_gbuf_unmap(&h, &nc->rx_buf);
	vmbnet_gbuf_unmap(&h, &nc->tx_buf);
	((struct vmbnet_gpadl *)rg)->users = ru;
	((struct vmbnet_gpadl *)tg)->users = tu;
	nc->rx_buf.gpadl = 20;
	nc->tx_buf.gpadl = 21;
	VT_EQ(vmbnet_host_post_load(&h), 0);
}

static long receive_one(void)
{
	uint8_t frame[100] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1, NULL);
}

static void restore_valid(void)
{
	nic_up();
	migrate_in_place();
	VT_EQ(vmbnet_nic_post_load(&nic), 0);
	VT_EQ(receive_one(), 100);
	finish(0);
}

/*
 * Regression (hostile-peers issue, bug 6): rx_nfree and rx_free[] came from
 * the stream unchecked; a free count past the slots or a slot number past
 * the buffer indexed out of bounds at the next receive (reproduced under
 * ASan). Each is refused, the channel broken, and nothing indexes by it.
 */
static void restore_bad_rx_state(int how)
{
	struct vmbnet_nic_chan *nc = &nic.chan[0];

	nic_up();
	migrate_in_place();
	if (how == 0)
		nc->rx_nfree = nc->rx_slots + 5;
	else if (how == 1)
		nc->rx_free[0] = 0x7fffffff;
	else if (how == 2)
		nc->rx_free[1] = nc->rx_free[0];
	else
		nc->tx_sections = 1000;
	VT_EQ(vmbnet_nic_post_load(&nic), -EINVAL);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_BROKEN);
	VT_CHECK(receive_one() <= 0);
	finish(0);
}

static void restore_rx_nfree_past_slots(void)
{
	restore_bad_rx_state(0);
}

static void restore_rx_free_past_buffer(void)
{
	restore_bad_rx_state(1);
}

static void restore_rx_free_twice(void)
{
	restore_bad_rx_state(2);
}

static void restore_tx_sections_past_buffer(void)
{
	restore_bad_rx_state(3);
}

/*
 * Regression (hostile-peers issue, bug 8): one GPADL served as the ring and
 * the receive buffer at once (the guest's receive slots overwrote its own
 * ring). A GPADL has one use at a time.
 */
static void one_gpadl_one_use(void)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf ring_as_rx = { NVSP_MSG_SEND_RECV_BUF, 10, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf tx = { NVSP_MSG_SEND_SEND_BUF, 20, 0 };
	struct nvsp_send_buf rx_too = { NVSP_MSG_SEND_RECV_BUF, 20, NVSP_RECV_BUF_ID };
	uint64_t tid;

	open_channel();
	tid = send_nvsp(&init, sizeof(init));
	VT_EQ(recv_pkt(NULL, 0).trans_id, tid);
	tid = send_nvsp(&ring_as_rx, sizeof(ring_as_rx));
	expect_comp(tid, NVSP_MSG_SEND_RECV_BUF_COMPLETE, NVSP_STAT_FAIL);
	tid = send_nvsp(&tx, sizeof(tx));
	expect_comp(tid, NVSP_MSG_SEND_SEND_BUF_COMPLETE, NVSP_STAT_SUCCESS);
	tid = send_nvsp(&rx_too, sizeof(rx_too));
	expect_comp(tid, NVSP_MSG_SEND_RECV_BUF_COMPLETE, NVSP_STAT_FAIL);
	VT_EQ(nic.chan[0].rx_slots, 0);
	finish(0);
}

/* Found by fuzz_restore: a closed channel whose stream still sized the
 * receive-slot arrays kept them (and leaked them at the next open).
 */
static void restore_closed_channel_with_slots(void)
{
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };
	struct vmbnet_nic_chan *nc = &nic.chan[0];

	nic_up();
	vmbnet_host_message(&h, &c, sizeof(c));
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OFFERED);
	nc->rx_slots = 4;
	nc->rx_nfree = 4;
	nc->rx_free = calloc(4, sizeof(uint32_t));
	nc->rx_busy = calloc(4, 1);
	VT_EQ(vmbnet_nic_post_load(&nic), -EINVAL);
	VT_CHECK(!nc->rx_free && !nc->rx_busy && !nc->rx_slots);
	finish(0);
}

/* ---- what real clients send (real-clients issue) -------------------------- */

/*
 * Regression (real-clients issue): DPDK netvsc sends NVSP INIT and the
 * buffer requests with trans_id 0 and a completion requested (hn_nvs.c
 * __hn_nvs_execute); the channel broke on the first one.
 */
static void client_trans_id_zero(void)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, 20, NVSP_RECV_BUF_ID };
	struct nvsp_init_complete ic;

	open_channel();
	next_tid = 0;
	VT_EQ(send_nvsp(&init, sizeof(init)), 0);
	VT_EQ(recv_pkt(&ic, sizeof(ic)).trans_id, 0);
	VT_EQ(ic.status, NVSP_STAT_SUCCESS);
	next_tid = 0;
	VT_EQ(send_nvsp(&rb, sizeof(rb)), 0);
	expect_comp(0, NVSP_MSG_SEND_RECV_BUF_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(h.chan[0].in.error, 0);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OPEN);
	next_tid = 1;
	finish(0);
}

/* The highest version both speak; older guests are served too. */
static void client_nvsp_versions(void)
{
	uint32_t st;

	open_channel();
	VT_EQ(nvsp_version_for(NVSP_VERSION_5, NVSP_VERSION_5, &st), NVSP_VERSION_5);
	VT_EQ(st, NVSP_STAT_SUCCESS);
	VT_EQ(nvsp_version_for(NVSP_VERSION_2, NVSP_VERSION_6, &st), NVSP_VERSION_6);
	VT_EQ(st, NVSP_STAT_SUCCESS);
	nvsp_version_for(0x70000, 0x70000, &st);
	VT_EQ(st, NVSP_STAT_PROTOCOL_TOO_OLD);
	nvsp_version_for(0x3, 0x30001, &st);
	VT_EQ(st, NVSP_STAT_PROTOCOL_TOO_NEW);
	finish(0);
}

/* No VF: the synthetic path stays; the answer is a COMP with no payload. */
static void client_switch_data_path(void)
{
	struct nvsp_switch_data_path m = { NVSP_MSG_SWITCH_DATA_PATH, NVSP_DATAPATH_SYNTHETIC };
	struct vmb_pkt p;
	uint64_t tid;

	nic_up();
	tid = send_nvsp(&m, sizeof(m));
	p = recv_pkt(NULL, 0);
	VT_EQ(p.type, VMB_PKT_COMP);
	VT_EQ(p.trans_id, tid);
	VT_EQ(vmb_pkt_data_len(&p), 0);
	finish(0);
}

static void client_subchannels_none(void)
{
	struct nvsp_subchannel_request m = { NVSP_MSG_SUBCHANNEL, NVSP_SUBCHANNEL_ALLOCATE, 3 };
	struct nvsp_subchannel_complete c;
	uint64_t tid;

	nic_up();
	tid = send_nvsp(&m, sizeof(m));
	VT_EQ(recv_pkt(&c, sizeof(c)).trans_id, tid);
	VT_EQ(c.type, NVSP_MSG_SUBCHANNEL);
	VT_EQ(c.status, NVSP_STAT_SUCCESS);
	VT_EQ(c.num_subchannels, 0);
	finish(0);
}

/* Linux and DPDK revoke both buffers before tearing their GPADLs down. */
static void client_revoke_buffers(void)
{
	struct nvsp_send_buf rr = { NVSP_MSG_REVOKE_RECV_BUF, 0, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf rs = { NVSP_MSG_REVOKE_SEND_BUF, 0, 0 };

	nic_up();
	expect_comp(send_nvsp(&rr, sizeof(rr)), NVSP_MSG_REVOKE_RECV_BUF, NVSP_STAT_SUCCESS);
	expect_comp(send_nvsp(&rs, sizeof(rs)), NVSP_MSG_REVOKE_SEND_BUF, NVSP_STAT_SUCCESS);
	VT_EQ(teardown(20), VMB_MSG_GPADL_TORNDOWN); /* the channel is still open */
	VT_EQ(teardown(21), VMB_MSG_GPADL_TORNDOWN);
	VT_EQ(receive_one(), 0); /* nowhere to put it: held, not written */
	finish(0);
}

/* RESET's completion is {status, addressing_reset}: no request id. */
static void client_rndis_reset_layout(void)
{
	struct {
		struct rndis_hdr h;
		uint32_t reserved;
	} rs = { { RNDIS_MSG_RESET, sizeof(rs) }, 0 };
	struct rndis_reset_complete rc;
	struct rndis_hdr rh;
	uint8_t reply[64];
	uint32_t len;
	uint64_t slot;

	nic_up();
	expect_comp(send_rndis_section(0, &rs, sizeof(rs)), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
		    NVSP_STAT_SUCCESS);
	slot = recv_rndis(reply, sizeof(reply), &len);
	memcpy(&rh, reply, sizeof(rh));
	memcpy(&rc, reply + sizeof(rh), sizeof(rc));
	VT_EQ(rh.msg_type, RNDIS_MSG_RESET | RNDIS_MSG_COMPLETION);
	VT_EQ(rh.msg_len, sizeof(rh) + sizeof(rc));
	VT_EQ(rc.status, RNDIS_STATUS_SUCCESS);
	VT_EQ(rc.addressing_reset, 0);
	complete_slot(slot);
	finish(0);
}

/*
 * Regression (real-clients issue): hv_netvsc unloaded under traffic logged
 * "nvsp_rndis_pkt_complete error status: 2": its rndis_filter_halt_device()
 * stops sends only after the HALT is out, and the device failed the frame
 * that followed. After HALT data is discarded with success (the RNDIS
 * spec); before INITIALIZE it still fails, and INITIALIZE ends the halt.
 */
static void client_data_after_halt_discarded(void)
{
	struct rndis_hdr halt = { RNDIS_MSG_HALT, sizeof(struct rndis_hdr) + 4 };
	uint8_t msg[sizeof(halt) + 4] = { 0 };

	nic_up();
	memcpy(msg, &halt, sizeof(halt));
	expect_comp(send_rndis_section(0, msg, sizeof(msg)), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
		    NVSP_STAT_SUCCESS);
	expect_comp(send_frame_gpa(0, 0, 100), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	VT_EQ(net.frames, 0);
	VT_EQ(nic.stats.tx_discarded, 1);
	VT_EQ(g.errors, 0);
	finish(0);
}

/* Data before RNDIS INITIALIZE is the guest's mistake: it fails. */
static void data_before_rndis_init_fails(void)
{
	bring_up();
	expect_comp(send_frame_gpa(0, 0, 100), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_FAIL);
	VT_EQ(net.frames, 0);
	VT_EQ(nic.stats.tx_discarded, 0);
	finish(1);
}

/* The value's value (8) goes with the hash info (9) DPDK netvsc needs. */
static uint32_t ppi_value(const uint8_t *msg, const struct rndis_packet *pk, uint32_t type)
{
	for (uint32_t off = 0; off + sizeof(struct rndis_ppi) <= pk->ppi_len;) {
		struct rndis_ppi pp;
		uint32_t v;

		memcpy(&pp, msg + 8 + pk->ppi_offset + off, sizeof(pp));
		memcpy(&v, msg + 8 + pk->ppi_offset + off + pp.ppi_offset, sizeof(v));
		if (pp.type == type)
			return v;
		VT_CHECK(pp.size >= sizeof(pp) + sizeof(v));
		off += pp.size;
	}
	return 0;
}

static void client_hash_info(void)
{
	struct vmbnet_frame_meta meta = { .has_hash = 1,
					  .hash = 0x12345678,
					  .hash_info = RNDIS_HASH_TCP_IPV4 };
	uint8_t frame[100] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, got[256];
	struct rndis_packet pk;
	uint32_t len;
	uint64_t slot;

	nic_up();
	VT_EQ(vmbnet_nic_receive(&nic, 0, &(struct iovec){ frame, sizeof(frame) }, 1, &meta),
	      sizeof(frame));
	slot = recv_rndis(got, sizeof(got), &len);
	memcpy(&pk, got + 8, sizeof(pk));
	VT_EQ(ppi_value(got, &pk, RNDIS_PPI_HASH), 0x12345678);
	VT_EQ(ppi_value(got, &pk, RNDIS_PPI_HASH_INFO),
	      RNDIS_HASH_FUNCTION_TOEPLITZ | RNDIS_HASH_TCP_IPV4);
	complete_slot(slot);
	finish(0);
}

/*
 * Regression (real-clients issue): receive-slot ids were slot + 1; DPDK
 * netvsc indexes a table of slot-count entries by the id (hn_rxtx.c), so
 * the last slot's id ran one past it. Ids are now the slots' indices.
 */
static void client_slot_ids_are_indices(void)
{
	uint32_t data_slots = nic.chan[0].rx_slots, len;
	uint8_t seen[RX_PAGES * VMB_PAGE_SIZE / VMBNET_RX_SECTION_BYTES] = { 0 }, got[256];
	uint64_t id[sizeof(seen)];

	nic_up();
	data_slots = nic.chan[0].rx_slots - VMBNET_RX_CTRL_RESERVE;
	for (uint32_t i = 0; i < data_slots; i++)
		VT_EQ(receive_one(), 100);
	for (uint32_t i = 0; i < data_slots; i++) {
		id[i] = recv_rndis(got, sizeof(got), &len);
		VT_CHECK(id[i] < nic.chan[0].rx_slots);
		VT_EQ(seen[id[i]], 0);
		seen[id[i]] = 1;
	}
	for (uint32_t i = 0; i < data_slots; i++)
		complete_slot(id[i]);
	VT_EQ(nic.chan[0].rx_nfree, nic.chan[0].rx_slots);
	finish(0);
}

static const struct vt_case cases[] = {
	VT_CASE(client_data_after_halt_discarded),
	VT_CASE(data_before_rndis_init_fails),
	VT_CASE(nvsp_and_rndis_init),
	VT_CASE(frames_out_and_link_down),
	VT_CASE(frames_in_slot_exhaustion),
	VT_CASE(close_and_buffer_teardown),
	VT_CASE(one_gpadl_one_use),
	VT_CASE(restore_valid),
	VT_CASE(restore_closed_channel_with_slots),
	VT_CASE(restore_rx_nfree_past_slots),
	VT_CASE(restore_rx_free_past_buffer),
	VT_CASE(restore_rx_free_twice),
	VT_CASE(restore_tx_sections_past_buffer),
	VT_CASE(client_trans_id_zero),
	VT_CASE(client_nvsp_versions),
	VT_CASE(client_switch_data_path),
	VT_CASE(client_subchannels_none),
	VT_CASE(client_revoke_buffers),
	VT_CASE(client_rndis_reset_layout),
	VT_CASE(client_hash_info),
	VT_CASE(client_slot_ids_are_indices),
};

VT_MAIN(cases)
