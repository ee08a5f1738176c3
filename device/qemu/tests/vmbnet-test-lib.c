/*
 * vmbnet-pci qtests: the guest side the cases share (registers, channel
 * messages, GPADLs, rings, NVSP/RNDIS bring-up, frames). See vmbnet-test.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vmbnet-test.h"

uint32_t qt_rd(T *t, uint32_t reg)
{
    return qpci_io_readl(t->dev, t->bar, reg);
}

void qt_wr(T *t, uint32_t reg, uint32_t val)
{
    qpci_io_writel(t->dev, t->bar, reg, val);
}

uint64_t qt_dev_stat(T *t, const char *name)
{
    QDict *rsp = qtest_qmp(t->qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': '/machine/peripheral/nic0', "
                           "'property': %s}}", name);
    uint64_t v;

    g_assert(qdict_haskey(rsp, "return"));
    v = (uint64_t)qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    return v;
}

void qt_set_link(T *t, bool up)
{
    qobject_unref(qtest_qmp(t->qts, "{'execute': 'set_link', 'arguments': "
                            "{'name': 'hs0', 'up': %i}}", up));
}

void qt_msg_send(T *t, const void *msg, uint32_t len)
{
    uint8_t buf[VMB_MSG_MAX] = { 0 };

    memcpy(buf, msg, len);
    for (uint32_t off = 0; off < len; off += 4) {
        qt_wr(t, VMB_REG_MSG_TX + off, ldl_le_p(buf + off));
    }
    qt_wr(t, VMB_REG_MSG_SEND, len);
}

/* Pop one host message; returns its type, 0 when none. */
uint32_t qt_msg_recv(T *t, void *msg, uint32_t max)
{
    uint8_t buf[VMB_MSG_MAX];
    uint32_t len = qt_rd(t, VMB_REG_MSG_RECV);

    if (!len) {
        return 0;
    }
    g_assert_cmpuint(len, <=, VMB_MSG_MAX);
    for (uint32_t off = 0; off < len; off += 4) {
        stl_le_p(buf + off, qt_rd(t, VMB_REG_MSG_RX + off));
    }
    if (msg) {
        memcpy(msg, buf, MIN(len, max));
    }
    return ldl_le_p(buf);
}

/*
 * The next host message, waiting for it as a guest does: with an external
 * backend the answer comes once the backend has acknowledged (the device
 * never waits for it inside the guest's write).
 */
uint32_t qt_msg_wait(T *t, void *msg, uint32_t max)
{
    for (int i = 0; i < 5000; i++) {
        uint32_t type = qt_msg_recv(t, msg, max);

        if (type) {
            return type;
        }
        g_usleep(1000);
    }
    return 0;
}

void qt_vmb_connect(T *t)
{
    struct vmb_msg_initiate_contact m = {
        .hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
        .version_requested = VMB_PROTO_VERSION_1_0,
    };
    struct vmb_msg_version_response r;
    struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
    struct vmb_msg_offer o;

    g_assert_cmphex(qt_rd(t, VMB_REG_MAGIC), ==, VMB_PCI_MAGIC);
    g_assert_cmphex(qt_rd(t, VMB_REG_VERSION), ==, VMB_PCI_VERSION);
    qt_msg_send(t, &m, sizeof(m));
    g_assert_cmpuint(qt_msg_recv(t, &r, sizeof(r)), ==, VMB_MSG_VERSION_RESPONSE);
    g_assert_cmpuint(r.version_supported, ==, 1);
    qt_msg_send(t, &req, sizeof(req));
    g_assert_cmpuint(qt_msg_recv(t, &o, sizeof(o)), ==, VMB_MSG_OFFER_CHANNEL);
    g_assert_cmpuint(o.child_relid, ==, 1);
    g_assert_cmpuint(qt_msg_recv(t, NULL, 0), ==, VMB_MSG_ALL_OFFERS_DELIVERED);
    g_assert_cmpuint(qt_msg_recv(t, NULL, 0), ==, 0);
}

/* GPADL over contiguous guest memory; returns GPADL_CREATED's status. */
int32_t qt_gpadl_pfns(T *t, uint32_t id, const uint64_t *pfns, uint32_t n)
{
    uint8_t msg[VMB_MSG_MAX];
    struct vmb_msg_gpadl_header h = {
        .hdr.msgtype = VMB_MSG_GPADL_HEADER, .child_relid = 1, .gpadl = id,
        .range_count = 1,
        .range_buflen = sizeof(struct vmb_gpa_range) + 8 * n,
    };
    struct vmb_gpa_range r = { .byte_count = n * VMB_PAGE_SIZE };
    struct vmb_msg_gpadl_created c;

    g_assert_cmpuint(n, <=, 100);
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), &r, sizeof(r));
    memcpy(msg + sizeof(h) + sizeof(r), pfns, 8 * n);
    qt_msg_send(t, msg, sizeof(h) + sizeof(r) + 8 * n);
    g_assert_cmpuint(qt_msg_wait(t, &c, sizeof(c)), ==, VMB_MSG_GPADL_CREATED);
    g_assert_cmpuint(c.gpadl, ==, id);
    return (int32_t)c.creation_status;
}

int32_t qt_gpadl(T *t, uint32_t id, uint64_t gpa, uint32_t pages)
{
    uint64_t pfns[100];

    for (uint32_t i = 0; i < pages; i++) {
        pfns[i] = (gpa >> VMB_PAGE_SHIFT) + i;
    }
    return qt_gpadl_pfns(t, id, pfns, pages);
}

uint64_t qt_alloc_pages(T *t, uint32_t pages)
{
    uint64_t gpa = guest_alloc(&t->alloc, (pages + 1) * VMB_PAGE_SIZE);

    return (gpa + VMB_PAGE_SIZE - 1) & ~(uint64_t)(VMB_PAGE_SIZE - 1);
}

void qt_pull(T *t)
{
    qtest_memread(t->qts, t->ring_gpa, t->mirror, sizeof(t->mirror));
}

void qt_push(T *t)
{
    qtest_memwrite(t->qts, t->ring_gpa, t->mirror, sizeof(t->mirror));
}

int32_t qt_open_channel(T *t)
{
    struct vmb_msg_open_channel m = {
        .hdr.msgtype = VMB_MSG_OPEN_CHANNEL, .child_relid = 1, .openid = 9,
        .ringbuffer_gpadl = RING_GPADL, .downstream_ring_offset = UP_PAGES,
    };
    struct vmb_msg_open_result r;

    memset(t->mirror, 0, sizeof(t->mirror));
    vmb_ring_format(t->mirror, UP_PAGES * VMB_PAGE_SIZE);
    vmb_ring_format(t->mirror + UP_PAGES * VMB_PAGE_SIZE,
                    DOWN_PAGES * VMB_PAGE_SIZE);
    g_assert_cmpint(vmb_ring_attach_producer(&t->up, t->mirror,
                                             UP_PAGES * VMB_PAGE_SIZE), ==, 0);
    g_assert_cmpint(vmb_ring_attach_consumer(&t->down, t->mirror +
                                             UP_PAGES * VMB_PAGE_SIZE,
                                             DOWN_PAGES * VMB_PAGE_SIZE), ==, 0);
    qt_push(t);
    qt_msg_send(t, &m, sizeof(m));
    g_assert_cmpuint(qt_msg_wait(t, &r, sizeof(r)), ==, VMB_MSG_OPEN_RESULT);
    g_assert_cmpuint(r.openid, ==, 9);
    return (int32_t)r.status;
}

/* Write one packet into the guest -> host ring; ring the bell if asked. */
uint64_t qt_put(T *t, uint16_t type, const void *ext, uint32_t ext_len,
                const void *msg, uint32_t len, bool doorbell)
{
    struct vmb_sg sg = { msg, len };
    uint64_t tid = ++t->next_tid;

    qt_pull(t);
    g_assert_cmpint(vmb_ring_write(&t->up, type,
                                   VMB_PKT_FLAG_COMPLETION_REQUESTED, tid,
                                   ext, ext_len, &sg, 1), ==, 0);
    vmb_ring_tx_publish(&t->up);
    qt_push(t);
    if (doorbell) {
        qt_wr(t, VMB_REG_DOORBELL(0), 1);
    }
    return tid;
}

/* Take the next host -> guest packet; copies up to @max payload bytes. */
bool qt_get(T *t, struct vmb_pkt *p, void *payload, uint32_t max)
{
    qt_pull(t);
    if (vmb_ring_peek(&t->down, p)) {
        return false;
    }
    if (payload) {
        vmb_ring_pkt_copy(&t->down, p, p->data_off, payload,
                          MIN(max, vmb_pkt_data_len(p)));
    }
    vmb_ring_advance(&t->down, p);
    vmb_ring_rx_release(&t->down);
    qt_push(t);
    return true;
}

/*
 * Take the next packet, which must lend a receive slot; the guest address of
 * its one range, found from the range as a guest finds it: the trans_id is
 * the host's and opaque.
 */
uint64_t qt_get_slot(T *t, struct vmb_pkt *p)
{
    struct vmb_xfer_page_hdr h;
    struct vmb_xfer_range r;

    qt_pull(t);
    g_assert_cmpint(vmb_ring_peek(&t->down, p), ==, 0);
    g_assert_cmpuint(p->type, ==, VMB_PKT_DATA_XFER_PAGES);
    g_assert_cmpint(
        vmb_xfer_parse(&t->down, p, RX_PAGES * VMB_PAGE_SIZE, &h, &r, 1), ==,
        1);
    g_assert_cmpuint(h.xfer_pageset_id, ==, NVSP_RECV_BUF_ID);
    vmb_ring_advance(&t->down, p);
    vmb_ring_rx_release(&t->down);
    qt_push(t);
    return t->rx_gpa + r.byte_offset;
}

/* Expect the completion of @tid with NVSP message @type and @status. */
void qt_expect_comp(T *t, uint64_t tid, uint32_t type, uint32_t status)
{
    uint32_t m[2];
    struct vmb_pkt p;

    g_assert_true(qt_get(t, &p, m, sizeof(m)));
    g_assert_cmpuint(p.type, ==, VMB_PKT_COMP);
    g_assert_cmpuint(p.trans_id, ==, tid);
    g_assert_cmpuint(m[0], ==, type);
    g_assert_cmpuint(m[1], ==, status);
}

void qt_complete_slot(T *t, uint64_t tid)
{
    struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                                         NVSP_STAT_SUCCESS };
    struct vmb_sg sg = { &c, sizeof(c) };

    qt_pull(t);
    g_assert_cmpint(vmb_ring_write(&t->up, VMB_PKT_COMP, 0, tid, NULL, 0,
                                   &sg, 1), ==, 0);
    vmb_ring_tx_publish(&t->up);
    qt_push(t);
    qt_wr(t, VMB_REG_DOORBELL(0), 1);
}

void qt_nvsp_bring_up(T *t)
{
    struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
    struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, RX_GPADL,
                                NVSP_RECV_BUF_ID };
    struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, TX_GPADL, 0 };
    struct {
        struct rndis_hdr h;
        struct rndis_init_request r;
    } ri = { { RNDIS_MSG_INIT, sizeof(ri) }, { 1, 1, 0, 0x4000 } };
    struct nvsp_rndis_pkt rp = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_CONTROL,
                                 0, sizeof(ri) };
    struct nvsp_recv_buf_complete rc;
    struct nvsp_send_buf_complete sc;
    uint8_t reply[64];
    struct vmb_pkt p;
    uint64_t tid;

    tid = qt_put(t, VMB_PKT_DATA_INBAND, NULL, 0, &init, sizeof(init), true);
    qt_expect_comp(t, tid, NVSP_MSG_INIT_COMPLETE, NVSP_VERSION_61);
    tid = qt_put(t, VMB_PKT_DATA_INBAND, NULL, 0, &rb, sizeof(rb), true);
    g_assert_true(qt_get(t, &p, &rc, sizeof(rc)));
    g_assert_cmpuint(p.trans_id, ==, tid);
    g_assert_cmpuint(rc.status, ==, NVSP_STAT_SUCCESS);
    g_assert_cmpuint(rc.num_sub_allocs * rc.sub_alloc_size, <=,
                     RX_PAGES * VMB_PAGE_SIZE);
    t->rx_slot = rc.sub_alloc_size;
    tid = qt_put(t, VMB_PKT_DATA_INBAND, NULL, 0, &sb, sizeof(sb), true);
    g_assert_true(qt_get(t, &p, &sc, sizeof(sc)));
    g_assert_cmpuint(p.trans_id, ==, tid);
    g_assert_cmpuint(sc.status, ==, NVSP_STAT_SUCCESS);
    t->tx_section = sc.section_size;

    qtest_memwrite(t->qts, t->tx_gpa, &ri, sizeof(ri));
    tid = qt_put(t, VMB_PKT_DATA_INBAND, NULL, 0, &rp, sizeof(rp), true);
    qt_expect_comp(t, tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
    qtest_memread(t->qts, qt_get_slot(t, &p), reply, sizeof(reply));
    g_assert_cmphex((uint32_t)ldl_le_p(reply), ==, RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION);
    g_assert_cmphex((uint32_t)ldl_le_p(reply + 12), ==, RNDIS_STATUS_SUCCESS);
    qt_complete_slot(t, p.trans_id);
}

/* Boot QEMU with vmbnet-pci on a socket netdev and bring the NIC up. */
void qt_setup(T *t, bool nic)
{
    memset(t, 0, sizeof(*t));
    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, t->sock), ==, 0);
    t->qts = qtest_initf("-M q35 -nodefaults -L /usr/share/seabios "
                         "-L /usr/share/qemu "
                         "-netdev socket,fd=%d,id=hs0 "
                         "-device vmbnet-pci,id=nic0,netdev=hs0,addr=04.0,"
                         "mac=52:54:00:12:34:56", t->sock[1]);
    pc_alloc_init(&t->alloc, t->qts, ALLOC_NO_FLAGS);
    t->bus = qpci_new_pc(t->qts, &t->alloc);
    t->dev = qpci_device_find(t->bus, DEVFN);
    g_assert_nonnull(t->dev);
    qpci_device_enable(t->dev); /* memory space and bus mastering */
    t->bar = qpci_iomap(t->dev, VMB_PCI_BAR_REGS, NULL);
    t->ring_gpa = qt_alloc_pages(t, RING_PAGES);
    t->rx_gpa = qt_alloc_pages(t, RX_PAGES);
    t->tx_gpa = qt_alloc_pages(t, TX_PAGES);
    t->data_gpa = qt_alloc_pages(t, 4);
    qt_vmb_connect(t);
    if (!nic) {
        return;
    }
    g_assert_cmpint(qt_gpadl(t, RING_GPADL, t->ring_gpa, RING_PAGES), ==, 0);
    g_assert_cmpint(qt_gpadl(t, RX_GPADL, t->rx_gpa, RX_PAGES), ==, 0);
    g_assert_cmpint(qt_gpadl(t, TX_GPADL, t->tx_gpa, TX_PAGES), ==, 0);
    g_assert_cmpint(qt_open_channel(t), ==, 0);
    qt_nvsp_bring_up(t);
}

void qt_teardown(T *t)
{
    /* The device survived whatever the test did, and says so. */
    qobject_unref(qtest_qmp(t->qts, "{'execute': 'query-status'}"));
    qpci_free_pc(t->bus);
    g_free(t->dev);
    alloc_destroy(&t->alloc);
    qtest_quit(t->qts);
    close(t->sock[0]);
}

/* An RNDIS PACKET of FRAME_LEN bytes, header in one page, frame in the next. */
uint64_t qt_send_frame(T *t, uint8_t seed, bool doorbell)
{
    struct {
        struct rndis_hdr h;
        struct rndis_packet p;
        struct rndis_ppi ppi;
        uint32_t v;
    } m = { { RNDIS_MSG_PACKET, sizeof(m) + FRAME_LEN },
            { sizeof(m) - 8, FRAME_LEN, 0, 0, 0, sizeof(struct rndis_packet),
              16, 0, 0 },
            { 16, RNDIS_PPI_8021Q, 12 }, RNDIS_8021Q(6, 100) };
    struct {
        struct vmb_gpa_direct_hdr h;
        struct vmb_gpa_range r0;
        uint64_t p0;
        struct vmb_gpa_range r1;
        uint64_t p1;
    } ext = { { 0, 2 }, { sizeof(m), 0 }, t->data_gpa >> VMB_PAGE_SHIFT,
              { FRAME_LEN, 0 }, (t->data_gpa >> VMB_PAGE_SHIFT) + 1 };
    struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA,
                                NVSP_SECTION_NONE, 0 };
    uint8_t frame[FRAME_LEN];

    for (int i = 0; i < FRAME_LEN; i++) {
        frame[i] = seed + i;
    }
    qtest_memwrite(t->qts, t->data_gpa, &m, sizeof(m));
    qtest_memwrite(t->qts, t->data_gpa + VMB_PAGE_SIZE, frame, sizeof(frame));
    return qt_put(t, VMB_PKT_DATA_GPA_DIRECT, &ext, sizeof(ext), &n, sizeof(n),
               doorbell);
}


void qt_check_socket_frame(T *t, uint8_t seed)
{
    uint32_t len;
    uint8_t buf[FRAME_LEN];

    for (;;) {
        g_assert_cmpint(recv(t->sock[0], &len, 4, MSG_WAITALL), ==, 4);
        if (ntohl(len) != 60) {
            break;
        }
        g_assert_cmpint(recv(t->sock[0], buf, 60, MSG_WAITALL), ==, 60);
        g_assert_cmphex(lduw_le_p(buf + 12), ==, ETH_P_RARP_BE);
    }
    g_assert_cmpuint(ntohl(len), ==, FRAME_LEN);
    g_assert_cmpint(recv(t->sock[0], buf, FRAME_LEN, MSG_WAITALL), ==,
                    FRAME_LEN);
    for (int i = 0; i < FRAME_LEN; i++) {
        g_assert_cmpuint(buf[i], ==, (uint8_t)(seed + i));
    }
}
