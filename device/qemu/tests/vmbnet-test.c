/*
 * QTest for vmbnet-pci: the control plane, the NIC protocol and datapath A,
 * hostile guest inputs, and datapath B's hand-off to a backend (the test
 * plays a minimal backend in a thread). The test plays the guest: it keeps a mirror of
 * the channel's ring memory, runs vmbnet's own ring code on the mirror and
 * copies it to and from guest RAM around every doorbell (the device answers
 * synchronously inside the MMIO write, so nothing races).
 *
 * Linked into QEMU's tests/qtest by vmbnet's ci/build-qemu.sh and added to
 * the build by qemu-patches/0002.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "qapi/qmp/qdict.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/iov.h"
#include "qemu/sockets.h"

#include "vmbnet/vmb_handoff.h"
#include "vmbnet/vmb_nvsp.h"
#include "vmbnet/vmb_pci.h"
#include "vmbnet/vmb_ring.h"

#define DEVFN QPCI_DEVFN(4, 0)
#define UP_PAGES 8
#define DOWN_PAGES 8
#define RING_PAGES (UP_PAGES + DOWN_PAGES)
#define RX_PAGES 8
#define TX_PAGES 4
#define RING_GPADL 1
#define RX_GPADL 2
#define TX_GPADL 3
#define FRAME_LEN 98

typedef struct {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar;
    QGuestAllocator alloc;
    int sock[2]; /* [0]: the test's end of the socket netdev */
    uint64_t ring_gpa, rx_gpa, tx_gpa, data_gpa;
    uint8_t mirror[RING_PAGES * VMB_PAGE_SIZE];
    struct vmb_ring up, down; /* guest's producer and consumer views */
    uint64_t next_tid;
    uint32_t rx_slot, tx_section; /* sizes the device announced */
} T;

static uint32_t rd(T *t, uint32_t reg)
{
    return qpci_io_readl(t->dev, t->bar, reg);
}

static void wr(T *t, uint32_t reg, uint32_t val)
{
    qpci_io_writel(t->dev, t->bar, reg, val);
}

static uint64_t dev_stat(T *t, const char *name)
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

static void set_link(T *t, bool up)
{
    qobject_unref(qtest_qmp(t->qts, "{'execute': 'set_link', 'arguments': "
                            "{'name': 'hs0', 'up': %i}}", up));
}

static void msg_send(T *t, const void *msg, uint32_t len)
{
    uint8_t buf[VMB_MSG_MAX] = { 0 };

    memcpy(buf, msg, len);
    for (uint32_t off = 0; off < len; off += 4) {
        wr(t, VMB_REG_MSG_TX + off, ldl_le_p(buf + off));
    }
    wr(t, VMB_REG_MSG_SEND, len);
}

/* Pop one host message; returns its type, 0 when none. */
static uint32_t msg_recv(T *t, void *msg, uint32_t max)
{
    uint8_t buf[VMB_MSG_MAX];
    uint32_t len = rd(t, VMB_REG_MSG_RECV);

    if (!len) {
        return 0;
    }
    g_assert_cmpuint(len, <=, VMB_MSG_MAX);
    for (uint32_t off = 0; off < len; off += 4) {
        stl_le_p(buf + off, rd(t, VMB_REG_MSG_RX + off));
    }
    if (msg) {
        memcpy(msg, buf, MIN(len, max));
    }
    return ldl_le_p(buf);
}

static void vmb_connect(T *t)
{
    struct vmb_msg_initiate_contact m = {
        .hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
        .version_requested = VMB_PROTO_VERSION_1_0,
    };
    struct vmb_msg_version_response r;
    struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
    struct vmb_msg_offer o;

    g_assert_cmphex(rd(t, VMB_REG_MAGIC), ==, VMB_PCI_MAGIC);
    g_assert_cmphex(rd(t, VMB_REG_VERSION), ==, VMB_PCI_VERSION);
    msg_send(t, &m, sizeof(m));
    g_assert_cmpuint(msg_recv(t, &r, sizeof(r)), ==, VMB_MSG_VERSION_RESPONSE);
    g_assert_cmpuint(r.version_supported, ==, 1);
    msg_send(t, &req, sizeof(req));
    g_assert_cmpuint(msg_recv(t, &o, sizeof(o)), ==, VMB_MSG_OFFER_CHANNEL);
    g_assert_cmpuint(o.child_relid, ==, 1);
    g_assert_cmpuint(msg_recv(t, NULL, 0), ==, VMB_MSG_ALL_OFFERS_DELIVERED);
    g_assert_cmpuint(msg_recv(t, NULL, 0), ==, 0);
}

/* GPADL over contiguous guest memory; returns GPADL_CREATED's status. */
static int32_t gpadl_pfns(T *t, uint32_t id, const uint64_t *pfns, uint32_t n)
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
    msg_send(t, msg, sizeof(h) + sizeof(r) + 8 * n);
    g_assert_cmpuint(msg_recv(t, &c, sizeof(c)), ==, VMB_MSG_GPADL_CREATED);
    g_assert_cmpuint(c.gpadl, ==, id);
    return (int32_t)c.creation_status;
}

static int32_t gpadl(T *t, uint32_t id, uint64_t gpa, uint32_t pages)
{
    uint64_t pfns[100];

    for (uint32_t i = 0; i < pages; i++) {
        pfns[i] = (gpa >> VMB_PAGE_SHIFT) + i;
    }
    return gpadl_pfns(t, id, pfns, pages);
}

static uint64_t alloc_pages(T *t, uint32_t pages)
{
    uint64_t gpa = guest_alloc(&t->alloc, (pages + 1) * VMB_PAGE_SIZE);

    return (gpa + VMB_PAGE_SIZE - 1) & ~(uint64_t)(VMB_PAGE_SIZE - 1);
}

static void pull(T *t)
{
    qtest_memread(t->qts, t->ring_gpa, t->mirror, sizeof(t->mirror));
}

static void push(T *t)
{
    qtest_memwrite(t->qts, t->ring_gpa, t->mirror, sizeof(t->mirror));
}

static int32_t open_channel(T *t)
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
    push(t);
    msg_send(t, &m, sizeof(m));
    g_assert_cmpuint(msg_recv(t, &r, sizeof(r)), ==, VMB_MSG_OPEN_RESULT);
    g_assert_cmpuint(r.openid, ==, 9);
    return (int32_t)r.status;
}

/* Write one packet into the guest -> host ring; ring the bell if asked. */
static uint64_t put(T *t, uint16_t type, const void *ext, uint32_t ext_len,
                    const void *msg, uint32_t len, bool doorbell)
{
    struct vmb_sg sg = { msg, len };
    uint64_t tid = ++t->next_tid;

    pull(t);
    g_assert_cmpint(vmb_ring_write(&t->up, type,
                                   VMB_PKT_FLAG_COMPLETION_REQUESTED, tid,
                                   ext, ext_len, &sg, 1), ==, 0);
    vmb_ring_tx_publish(&t->up);
    push(t);
    if (doorbell) {
        wr(t, VMB_REG_DOORBELL(0), 1);
    }
    return tid;
}

/* Take the next host -> guest packet; copies up to @max payload bytes. */
static bool get(T *t, struct vmb_pkt *p, void *payload, uint32_t max)
{
    pull(t);
    if (vmb_ring_peek(&t->down, p)) {
        return false;
    }
    if (payload) {
        vmb_ring_pkt_copy(&t->down, p, p->data_off, payload,
                          MIN(max, vmb_pkt_data_len(p)));
    }
    vmb_ring_advance(&t->down, p);
    vmb_ring_rx_release(&t->down);
    push(t);
    return true;
}

/* Expect the completion of @tid with NVSP message @type and @status. */
static void expect_comp(T *t, uint64_t tid, uint32_t type, uint32_t status)
{
    uint32_t m[2];
    struct vmb_pkt p;

    g_assert_true(get(t, &p, m, sizeof(m)));
    g_assert_cmpuint(p.type, ==, VMB_PKT_COMP);
    g_assert_cmpuint(p.trans_id, ==, tid);
    g_assert_cmpuint(m[0], ==, type);
    g_assert_cmpuint(m[1], ==, status);
}

static void complete_slot(T *t, uint64_t tid)
{
    struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                                         NVSP_STAT_SUCCESS };
    struct vmb_sg sg = { &c, sizeof(c) };

    pull(t);
    g_assert_cmpint(vmb_ring_write(&t->up, VMB_PKT_COMP, 0, tid, NULL, 0,
                                   &sg, 1), ==, 0);
    vmb_ring_tx_publish(&t->up);
    push(t);
    wr(t, VMB_REG_DOORBELL(0), 1);
}

static void nvsp_bring_up(T *t)
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

    tid = put(t, VMB_PKT_DATA_INBAND, NULL, 0, &init, sizeof(init), true);
    expect_comp(t, tid, NVSP_MSG_INIT_COMPLETE, NVSP_VERSION_61);
    tid = put(t, VMB_PKT_DATA_INBAND, NULL, 0, &rb, sizeof(rb), true);
    g_assert_true(get(t, &p, &rc, sizeof(rc)));
    g_assert_cmpuint(p.trans_id, ==, tid);
    g_assert_cmpuint(rc.status, ==, NVSP_STAT_SUCCESS);
    g_assert_cmpuint(rc.num_sub_allocs * rc.sub_alloc_size, <=,
                     RX_PAGES * VMB_PAGE_SIZE);
    t->rx_slot = rc.sub_alloc_size;
    tid = put(t, VMB_PKT_DATA_INBAND, NULL, 0, &sb, sizeof(sb), true);
    g_assert_true(get(t, &p, &sc, sizeof(sc)));
    g_assert_cmpuint(p.trans_id, ==, tid);
    g_assert_cmpuint(sc.status, ==, NVSP_STAT_SUCCESS);
    t->tx_section = sc.section_size;

    qtest_memwrite(t->qts, t->tx_gpa, &ri, sizeof(ri));
    tid = put(t, VMB_PKT_DATA_INBAND, NULL, 0, &rp, sizeof(rp), true);
    expect_comp(t, tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
    g_assert_true(get(t, &p, NULL, 0));
    g_assert_cmpuint(p.type, ==, VMB_PKT_DATA_XFER_PAGES);
    qtest_memread(t->qts, t->rx_gpa + (p.trans_id - 1) * t->rx_slot,
                  reply, sizeof(reply));
    g_assert_cmphex((uint32_t)ldl_le_p(reply), ==, RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION);
    g_assert_cmphex((uint32_t)ldl_le_p(reply + 12), ==, RNDIS_STATUS_SUCCESS);
    complete_slot(t, p.trans_id);
}

/* Boot QEMU with vmbnet-pci on a socket netdev and bring the NIC up. */
static void setup(T *t, bool nic)
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
    t->ring_gpa = alloc_pages(t, RING_PAGES);
    t->rx_gpa = alloc_pages(t, RX_PAGES);
    t->tx_gpa = alloc_pages(t, TX_PAGES);
    t->data_gpa = alloc_pages(t, 4);
    vmb_connect(t);
    if (!nic) {
        return;
    }
    g_assert_cmpint(gpadl(t, RING_GPADL, t->ring_gpa, RING_PAGES), ==, 0);
    g_assert_cmpint(gpadl(t, RX_GPADL, t->rx_gpa, RX_PAGES), ==, 0);
    g_assert_cmpint(gpadl(t, TX_GPADL, t->tx_gpa, TX_PAGES), ==, 0);
    g_assert_cmpint(open_channel(t), ==, 0);
    nvsp_bring_up(t);
}

static void teardown(T *t)
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
static uint64_t send_frame(T *t, uint8_t seed, bool doorbell)
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
    return put(t, VMB_PKT_DATA_GPA_DIRECT, &ext, sizeof(ext), &n, sizeof(n),
               doorbell);
}

#define ETH_P_RARP_BE 0x3580 /* 0x8035: QEMU's self-announce after migration */

static void check_socket_frame(T *t, uint8_t seed)
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

static void test_bring_up(void)
{
    T t;

    setup(&t, true);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 0);
    g_assert_cmpuint(dev_stat(&t, "stat-control-msgs"), ==, 1);
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, !=, 0);
    teardown(&t);
}

static void test_send_completion(void)
{
    uint32_t be;
    uint8_t frame[FRAME_LEN];
    T t;

    setup(&t, true);
    expect_comp(&t, send_frame(&t, 7, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    check_socket_frame(&t, 7);
    g_assert_cmpuint(dev_stat(&t, "stat-tx-packets"), ==, 1);

    /* And a frame from the network comes in through a receive slot. */
    for (int i = 0; i < FRAME_LEN; i++) {
        frame[i] = 0xa0 ^ i;
    }
    be = htonl(FRAME_LEN);
    g_assert_cmpint(send(t.sock[0], &be, 4, 0), ==, 4);
    g_assert_cmpint(send(t.sock[0], frame, FRAME_LEN, 0), ==, FRAME_LEN);
    for (int i = 0; i < 500 && !dev_stat(&t, "stat-rx-packets"); i++) {
        g_usleep(10000); /* each qom-get lets QEMU's main loop run */
    }
    g_assert_cmpuint(dev_stat(&t, "stat-rx-packets"), ==, 1);
    teardown(&t);
}

static void test_link_down(void)
{
    uint8_t ind[24];
    struct vmb_pkt p;
    T t;

    setup(&t, true);
    set_link(&t, false);
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, ==, 0);
    /* The guest hears about it through an RNDIS status indication. */
    g_assert_true(get(&t, &p, NULL, 0));
    g_assert_cmpuint(p.type, ==, VMB_PKT_DATA_XFER_PAGES);
    qtest_memread(t.qts, t.rx_gpa + (p.trans_id - 1) * t.rx_slot,
                  ind, sizeof(ind));
    g_assert_cmphex((uint32_t)ldl_le_p(ind), ==, RNDIS_MSG_INDICATE);
    g_assert_cmphex((uint32_t)ldl_le_p(ind + 8), ==, RNDIS_STATUS_MEDIA_DISCONNECT);
    complete_slot(&t, p.trans_id);
    /* A send while down still gets its one completion, with a failure. */
    expect_comp(&t, send_frame(&t, 1, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_FAIL);
    g_assert_cmpuint(dev_stat(&t, "stat-completions-failed"), ==, 1);
    set_link(&t, true);
    g_assert_true(get(&t, &p, NULL, 0));
    qtest_memread(t.qts, t.rx_gpa + (p.trans_id - 1) * t.rx_slot,
                  ind, sizeof(ind));
    g_assert_cmphex((uint32_t)ldl_le_p(ind + 8), ==, RNDIS_STATUS_MEDIA_CONNECT);
    complete_slot(&t, p.trans_id);
    expect_comp(&t, send_frame(&t, 3, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    check_socket_frame(&t, 3);
    teardown(&t);
}

static void test_reset_in_flight(void)
{
    uint64_t tid[3];
    T t;

    setup(&t, true);
    for (int i = 0; i < 3; i++) {
        tid[i] = send_frame(&t, i, false); /* written, never rung */
    }
    wr(&t, VMB_REG_CONTROL, VMB_CTRL_RESET);
    for (int i = 0; i < 3; i++) {
        expect_comp(&t, tid[i], NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                    NVSP_STAT_FAIL);
    }
    g_assert_cmpuint(dev_stat(&t, "stat-gpadl-pages"), ==, 0);
    /* The device starts over: a new connection works. */
    vmb_connect(&t);
    teardown(&t);
}

/* ---- migration -------------------------------------------------------- */

static const char *migrate_status(QTestState *qts)
{
    static char buf[32];
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-migrate'}");
    QDict *ret = qdict_get_qdict(rsp, "return");

    g_strlcpy(buf, ret && qdict_haskey(ret, "status") ?
              qdict_get_str(ret, "status") : "none", sizeof(buf));
    qobject_unref(rsp);
    return buf;
}

/*
 * Migrate with the channel open and one packet written but not yet rung:
 * on the destination the doorbell completes it exactly once, the frame
 * comes out of the destination's netdev, and the channel keeps working.
 */
static void test_migrate_in_flight(void)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/vmbnet-mig-%d.sock",
                                           g_get_tmp_dir(), getpid());
    T t, d;
    uint64_t tid;
    int i;

    setup(&t, true);
    expect_comp(&t, send_frame(&t, 1, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    check_socket_frame(&t, 1);
    tid = send_frame(&t, 2, false); /* in the ring, unseen by the device */

    d = t; /* same guest view: memory layout, ring mirror, private indices */
    d.up.hdr = (struct vmb_ring_hdr *)d.mirror; /* ...over d's own mirror */
    d.up.data = d.mirror + VMB_PAGE_SIZE;
    d.down.hdr = (struct vmb_ring_hdr *)(d.mirror + UP_PAGES * VMB_PAGE_SIZE);
    d.down.data = d.mirror + (UP_PAGES + 1) * VMB_PAGE_SIZE;
    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, d.sock), ==, 0);
    d.qts = qtest_initf("-M q35 -nodefaults -L /usr/share/seabios "
                        "-L /usr/share/qemu -netdev socket,fd=%d,id=hs0 "
                        "-device vmbnet-pci,id=nic0,netdev=hs0,addr=04.0,"
                        "mac=52:54:00:12:34:56 -incoming defer", d.sock[1]);
    qobject_unref(qtest_qmp(d.qts, "{'execute': 'migrate-incoming', "
                            "'arguments': {'uri': %s}}", uri));
    qobject_unref(qtest_qmp(t.qts, "{'execute': 'migrate', "
                            "'arguments': {'uri': %s}}", uri));
    for (i = 0; i < 500 && strcmp(migrate_status(t.qts), "completed"); i++) {
        g_assert_cmpstr(migrate_status(t.qts), !=, "failed");
        g_usleep(20000);
    }
    g_assert_cmpstr(migrate_status(t.qts), ==, "completed");
    for (i = 0; i < 500 && strcmp(migrate_status(d.qts), "completed"); i++) {
        g_usleep(20000);
    }

    /* The destination, seen by the same "guest". */
    d.bus = qpci_new_pc(d.qts, NULL);
    d.dev = qpci_device_find(d.bus, DEVFN);
    g_assert_nonnull(d.dev);
    d.bar = qpci_iomap(d.dev, VMB_PCI_BAR_REGS, NULL);
    g_assert_cmphex(rd(&d, VMB_REG_MAGIC), ==, VMB_PCI_MAGIC);
    g_assert_cmpuint(dev_stat(&d, "stat-gpadl-pages"), ==,
                     RING_PAGES + RX_PAGES + TX_PAGES);
    wr(&d, VMB_REG_DOORBELL(0), 1);
    expect_comp(&d, tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
    check_socket_frame(&d, 2);
    /* Exactly once: nothing else is waiting. */
    {
        struct vmb_pkt p;

        g_assert_false(get(&d, &p, NULL, 0));
    }
    expect_comp(&d, send_frame(&d, 3, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    check_socket_frame(&d, 3);
    g_assert_cmpuint(dev_stat(&d, "stat-guest-errors"), ==, 0);

    qpci_free_pc(d.bus);
    g_free(d.dev);
    qtest_quit(d.qts);
    close(d.sock[0]);
    teardown(&t);
}

/* ---- hostile guest: each input survived and counted ------------------- */

static void test_hostile_gpadl_outside_ram(void)
{
    uint64_t pfns[2] = { 0xfffff0000ull, 0x10 };
    T t;

    setup(&t, false);
    g_assert_cmpint(gpadl_pfns(&t, 7, pfns, 2), ==, -EFAULT);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 1);
    g_assert_cmpuint(dev_stat(&t, "stat-gpadl-pages"), ==, 0);
    teardown(&t);
}

static void test_hostile_gpadl_mmio(void)
{
    /* MMIO is not RAM: refused like any other hole. */
    uint64_t pfns[1] = { 0xfebf0 }; /* q35 PCI hole, below 4 GiB */
    T t;

    setup(&t, false);
    g_assert_cmpint(gpadl_pfns(&t, 7, pfns, 1), ==, -EFAULT);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 1);
    teardown(&t);
}

static void test_hostile_gpadl_overlap(void)
{
    T t;

    setup(&t, true);
    /* A buffer GPADL over the ring's pages: the host would write its
     * own indices. Refused, counted; the channel keeps working.
     */
    g_assert_cmpint(gpadl(&t, 77, t.ring_gpa + VMB_PAGE_SIZE, 2), ==, -EEXIST);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 1);
    expect_comp(&t, send_frame(&t, 5, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    check_socket_frame(&t, 5);
    teardown(&t);
}

static void test_hostile_gpadl_over_cap(void)
{
    uint8_t msg[64];
    struct vmb_msg_gpadl_header h = {
        .hdr.msgtype = VMB_MSG_GPADL_HEADER, .child_relid = 1, .gpadl = 9,
        .range_count = 1, .range_buflen = 8 + 8 * 8000,
    };
    struct vmb_gpa_range r = { .byte_count = 8000u * VMB_PAGE_SIZE };
    struct vmb_msg_gpadl_created c;
    T t;

    setup(&t, false);
    /* 8000 pages announced 10 times: the total cap (256 MiB) is hit. */
    for (uint32_t i = 0; i < 10; i++) {
        h.gpadl = 100 + i;
        memcpy(msg, &h, sizeof(h));
        memcpy(msg + sizeof(h), &r, sizeof(r));
        msg_send(&t, msg, sizeof(h) + sizeof(r));
    }
    g_assert_cmpuint(msg_recv(&t, &c, sizeof(c)), ==, VMB_MSG_GPADL_CREATED);
    g_assert_cmpint((int32_t)c.creation_status, ==, -ENOSPC);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), >=, 1);
    g_assert_cmpuint(dev_stat(&t, "stat-gpadl-pages"), <=, 65536);
    teardown(&t);
}

static void test_hostile_ring_index(void)
{
    struct vmb_ring_hdr *up;
    T t;

    setup(&t, true);
    pull(&t);
    up = (struct vmb_ring_hdr *)t.mirror;
    up->write_index = 0x7ffffff8; /* far outside the ring */
    push(&t);
    wr(&t, VMB_REG_DOORBELL(0), 1);
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(dev_stat(&t, "stat-ch0-ring-errors"), ==, 1);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), >=, 1);
    teardown(&t);
}

static void test_hostile_packet_type(void)
{
    struct vmb_pkt_desc *d;
    T t;

    setup(&t, true);
    pull(&t);
    put(&t, VMB_PKT_DATA_INBAND, NULL, 0, "xxxxxxxx", 8, false);
    pull(&t);
    d = (struct vmb_pkt_desc *)(t.mirror + VMB_PAGE_SIZE + t.up.pub_index -
                                (16 + 8 + 8));
    d->type = 0x42;
    push(&t);
    wr(&t, VMB_REG_DOORBELL(0), 1);
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(dev_stat(&t, "stat-ch0-ring-errors"), ==, 1);
    teardown(&t);
}

static void test_hostile_rndis_offsets(void)
{
    struct {
        struct rndis_hdr h;
        struct rndis_packet p;
    } m = { { RNDIS_MSG_PACKET, sizeof(m) }, { 0x7fff0000, 64 } };
    struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, 0, 1, sizeof(m) };
    T t;

    setup(&t, true);
    qtest_memwrite(t.qts, t.tx_gpa + t.tx_section, &m, sizeof(m));
    expect_comp(&t, put(&t, VMB_PKT_DATA_INBAND, NULL, 0, &n, sizeof(n), true),
                NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_INVALID_RNDIS_PKT);
    /* A send section past the send buffer. */
    n.section_index = 1000;
    expect_comp(&t, put(&t, VMB_PKT_DATA_INBAND, NULL, 0, &n, sizeof(n), true),
                NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_INVALID_RNDIS_PKT);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 2);
    g_assert_cmpuint(dev_stat(&t, "stat-tx-packets"), ==, 0);
    teardown(&t);
}

static void test_hostile_gpa_outside_ram(void)
{
    struct {
        struct vmb_gpa_direct_hdr h;
        struct vmb_gpa_range r;
        uint64_t p;
    } ext = { { 0, 1 }, { 64, 0 }, 0xfffff0000ull };
    struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, 0, NVSP_SECTION_NONE, 0 };
    T t;

    setup(&t, true);
    put(&t, VMB_PKT_DATA_GPA_DIRECT, &ext, sizeof(ext), &n, sizeof(n), true);
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), >=, 1);
    teardown(&t);
}

static void test_hostile_unknown_completion(void)
{
    T t;

    setup(&t, true);
    complete_slot(&t, 5000);
    complete_slot(&t, 3); /* a real slot number, but not lent */
    g_assert_cmpuint(dev_stat(&t, "stat-unknown-completions"), ==, 2);
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, ==, 0);
    teardown(&t);
}

static void test_hostile_doorbell_storm(void)
{
    T t;

    setup(&t, true);
    for (int i = 0; i < 2000; i++) {
        wr(&t, VMB_REG_DOORBELL(0), 1);
    }
    wr(&t, VMB_REG_DOORBELL(7), 1); /* a channel the device does not have */
    g_assert_cmpuint(dev_stat(&t, "stat-ch0-doorbells"), ==, 2000 + 5);
    g_assert_cmpuint(dev_stat(&t, "stat-ch0-ring-spurious"), >=, 2000);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 1);
    /* Still serving: a frame goes out. */
    expect_comp(&t, send_frame(&t, 9, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    check_socket_frame(&t, 9);
    teardown(&t);
}

static void test_hostile_messages(void)
{
    uint32_t junk[4] = { 99, 0, 0, 0 };
    T t;

    setup(&t, false);
    msg_send(&t, junk, sizeof(junk)); /* unknown type */
    wr(&t, VMB_REG_MSG_SEND, VMB_MSG_MAX + 4); /* longer than the page */
    wr(&t, VMB_REG_MSG_SEND, 3); /* shorter than a header */
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 3);
    g_assert_cmpuint(msg_recv(&t, NULL, 0), ==, 0);
    teardown(&t);
}

/* ---- datapath B: the hand-off to an external backend ------------------ */

#define HOF_WAIT_US 5000000

/* A backend that ACKs everything and remembers what it was given. */
typedef struct {
    int sock;
    GThread *thread;
    uint32_t types[64], ntypes; /* message types, in order */
    struct { uint64_t gpa, size; uint8_t *va; } reg[VMB_HOF_MAX_REGIONS];
    uint32_t nreg;
    int kick, call; /* channel 0's, from CHAN_OPEN */
    uint32_t link_up;
} Backend;

static gpointer backend_run(gpointer opaque)
{
    Backend *b = opaque;
    static uint8_t buf[VMB_HOF_MSG_MAX];
    union {
        char c[CMSG_SPACE(VMB_HOF_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { buf, sizeof(buf) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct vmb_hof_hdr h;
    int fds[VMB_HOF_MAX_FDS];

    for (;;) {
        struct vmb_hof_ack ack = { .hdr = { VMB_HOF_ACK, sizeof(ack) } };
        struct cmsghdr *c;

        mh.msg_control = u.c;
        mh.msg_controllen = sizeof(u.c);
        if (recvmsg(b->sock, &mh, 0) < (ssize_t)sizeof(h)) {
            return NULL; /* QEMU or the test closed the socket */
        }
        memcpy(&h, buf, sizeof(h));
        c = CMSG_FIRSTHDR(&mh);
        memset(fds, -1, sizeof(fds));
        if (c && c->cmsg_type == SCM_RIGHTS) {
            memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
        }
        if (h.type == VMB_HOF_MEM_REGION && b->nreg < VMB_HOF_MAX_REGIONS) {
            struct vmb_hof_mem_region *m = (void *)buf;

            b->reg[b->nreg].gpa = m->gpa;
            b->reg[b->nreg].size = m->size;
            b->reg[b->nreg].va = mmap(NULL, m->size, PROT_READ, MAP_SHARED,
                                      fds[0], m->fd_offset);
            g_assert(b->reg[b->nreg++].va != MAP_FAILED);
            close(fds[0]);
        } else if (h.type == VMB_HOF_CHAN_OPEN) {
            b->kick = fds[0];
            b->call = fds[1];
        } else if (h.type == VMB_HOF_LINK) {
            qatomic_set(&b->link_up, ((struct vmb_hof_link *)buf)->up);
        } else if (fds[0] >= 0) {
            close(fds[0]); /* HELLO's state area */
        }
        ack.req_seq = h.seq;
        ack.value = h.type == VMB_HOF_HELLO ? VMB_HOF_VERSION : 0;
        g_assert_cmpint(send(b->sock, &ack, sizeof(ack), 0), ==, sizeof(ack));
        b->types[MIN(b->ntypes, 63)] = h.type;
        qatomic_store_release(&b->ntypes, b->ntypes + 1);
    }
}

static void backend_start(Backend *b, const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    memset(b, 0, sizeof(*b));
    b->kick = b->call = -1;
    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    b->sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    g_assert_cmpint(connect(b->sock, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    b->thread = g_thread_new("backend", backend_run, b);
}

/* Wait until the backend has seen message type @type. */
static void backend_wait(T *t, Backend *b, uint32_t type)
{
    for (int us = 0; us < HOF_WAIT_US; us += 1000) {
        uint32_t n = qatomic_load_acquire(&b->ntypes);

        for (uint32_t i = 0; i < MIN(n, 64); i++) {
            if (b->types[i] == type) {
                return;
            }
        }
        dev_stat(t, "stat-backend-msgs"); /* let QEMU's main loop run */
        g_usleep(1000);
    }
    g_assert_not_reached();
}

static void wait_stat(T *t, const char *name, uint64_t want)
{
    for (int us = 0; us < HOF_WAIT_US && dev_stat(t, name) != want; us += 1000) {
        g_usleep(1000); /* each qom-get lets QEMU's main loop run */
    }
    g_assert_cmpuint(dev_stat(t, name), ==, want);
}

/* Shared guest RAM: what a backend maps is the guest's memory. */
#define HOF_RAM "-m 128M -object memory-backend-memfd,id=mem,size=128M," \
                "share=on -machine memory-backend=mem "

static void test_datapath_handoff(void)
{
    g_autofree char *dir = g_dir_make_tmp("vmbnet-hof-XXXXXX", NULL);
    g_autofree char *path = g_strdup_printf("%s/dp.sock", dir);
    uint64_t one = 1, gpa = 0x7e00000, magic = 0x1122334455667788ull;
    uint32_t i;
    QDict *rsp;
    Backend b;
    T t;

    memset(&t, 0, sizeof(t));
    t.sock[0] = -1;
    t.qts = qtest_initf("-M q35 " HOF_RAM "-nodefaults -L /usr/share/seabios "
                        "-L /usr/share/qemu -device vmbnet-pci,id=nic0,"
                        "datapath=%s,addr=04.0,mac=52:54:00:12:34:56", path);
    backend_start(&b, path);
    backend_wait(&t, &b, VMB_HOF_START);
    g_assert_cmpuint(b.types[0], ==, VMB_HOF_HELLO);
    g_assert_cmpuint(dev_stat(&t, "stat-backend-connects"), ==, 1);

    /* The regions map guest RAM where it is: a guest write shows there. */
    qtest_writeq(t.qts, gpa, magic);
    for (i = 0; i < b.nreg && gpa - b.reg[i].gpa >= b.reg[i].size; i++) {
        /* find the region that holds gpa */
    }
    g_assert_cmpuint(i, <, b.nreg);
    g_assert_cmphex(ldq_le_p(b.reg[i].va + gpa - b.reg[i].gpa), ==, magic);

    rsp = qtest_qmp(t.qts, "{'execute': 'migrate', 'arguments': "
                    "{'uri': 'exec:cat >/dev/null'}}");
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), "cannot migrate"));
    qobject_unref(rsp);

    /* The guest's control plane stays in QEMU and reaches the backend. */
    pc_alloc_init(&t.alloc, t.qts, ALLOC_NO_FLAGS);
    t.bus = qpci_new_pc(t.qts, &t.alloc);
    t.dev = qpci_device_find(t.bus, DEVFN);
    qpci_device_enable(t.dev);
    t.bar = qpci_iomap(t.dev, VMB_PCI_BAR_REGS, NULL);
    t.ring_gpa = alloc_pages(&t, RING_PAGES);
    vmb_connect(&t);
    g_assert_cmpint(gpadl(&t, RING_GPADL, t.ring_gpa, RING_PAGES), ==, 0);
    backend_wait(&t, &b, VMB_HOF_GPADL);
    g_assert_cmpint(open_channel(&t), ==, 0);
    backend_wait(&t, &b, VMB_HOF_CHAN_OPEN);

    /* Doorbell -> kick eventfd; call eventfd -> the channel's interrupt. */
    wr(&t, VMB_REG_DOORBELL(0), 1);
    g_assert_cmpint(read(b.kick, &one, sizeof(one)), ==, sizeof(one));
    g_assert_cmpint(write(b.call, &one, sizeof(one)), ==, sizeof(one));
    wait_stat(&t, "stat-ch0-interrupts", 1);

    qobject_unref(qtest_qmp(t.qts, "{'execute': 'set_link', 'arguments': "
                            "{'name': 'nic0', 'up': false}}"));
    g_assert_cmpuint(qatomic_read(&b.link_up), ==, 0); /* ACKed: seen */
    g_assert_cmpuint(rd(&t, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, ==, 0);

    /* The backend goes away: noticed, and the next one is served. */
    shutdown(b.sock, SHUT_RDWR);
    g_thread_join(b.thread);
    close(b.sock);
    close(b.kick);
    close(b.call);
    wait_stat(&t, "stat-backend-disconnects", 1);
    backend_start(&b, path);
    backend_wait(&t, &b, VMB_HOF_START);
    g_assert_cmpuint(dev_stat(&t, "stat-backend-connects"), ==, 2);
    g_assert_cmpuint(dev_stat(&t, "stat-guest-errors"), ==, 0);
    teardown(&t);
    g_thread_join(b.thread);
    close(b.sock);
    unlink(path);
    rmdir(dir);
}

/* Realize refuses what cannot work, with errors that say why. */
static void test_datapath_refused(void)
{
    const char *why[] = { "needs guest RAM that the backend can map",
                          "exclude each other" }; /* with netdev=, RAM shared */

    for (int i = 0; i < ARRAY_SIZE(why); i++) {
        QTestState *qts = qtest_initf("-M pc %s-nodefaults -L /usr/share/seabios "
                                      "-L /usr/share/qemu -netdev user,id=n0",
                                      i ? HOF_RAM : "");
        QDict *args = qdict_new(), *rsp;

        qdict_put_str(args, "driver", "vmbnet-pci");
        qdict_put_str(args, "datapath", "/tmp/vmbnet-never.sock");
        if (i) {
            qdict_put_str(args, "netdev", "n0");
        }
        rsp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': %p}", args);
        g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                              "desc"), why[i]));
        qobject_unref(rsp);
        qtest_quit(qts);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN); /* a QEMU that died shows as a failed check */
    qtest_add_func("/vmbnet/bring-up", test_bring_up);
    qtest_add_func("/vmbnet/send-completion", test_send_completion);
    qtest_add_func("/vmbnet/link-down", test_link_down);
    qtest_add_func("/vmbnet/reset-in-flight", test_reset_in_flight);
    qtest_add_func("/vmbnet/migrate-in-flight", test_migrate_in_flight);
    qtest_add_func("/vmbnet/hostile/gpadl-outside-ram",
                   test_hostile_gpadl_outside_ram);
    qtest_add_func("/vmbnet/hostile/gpadl-mmio", test_hostile_gpadl_mmio);
    qtest_add_func("/vmbnet/hostile/gpadl-over-cap", test_hostile_gpadl_over_cap);
    qtest_add_func("/vmbnet/hostile/gpadl-overlap", test_hostile_gpadl_overlap);
    qtest_add_func("/vmbnet/hostile/ring-index", test_hostile_ring_index);
    qtest_add_func("/vmbnet/hostile/packet-type", test_hostile_packet_type);
    qtest_add_func("/vmbnet/hostile/rndis-offsets", test_hostile_rndis_offsets);
    qtest_add_func("/vmbnet/hostile/gpa-outside-ram",
                   test_hostile_gpa_outside_ram);
    qtest_add_func("/vmbnet/hostile/unknown-completion",
                   test_hostile_unknown_completion);
    qtest_add_func("/vmbnet/hostile/doorbell-storm", test_hostile_doorbell_storm);
    qtest_add_func("/vmbnet/hostile/messages", test_hostile_messages);
    qtest_add_func("/vmbnet/datapath/handoff", test_datapath_handoff);
    qtest_add_func("/vmbnet/datapath/refused", test_datapath_refused);
    return g_test_run();
}
