/*
 * QTest for vmbnet-pci: the control plane, the NIC protocol and datapath A
 * (here); hostile guest inputs (vmbnet-test-hostile.c); datapath B's
 * hand-off to a backend the test plays in a thread (vmbnet-test-datapath.c).
 * The guest side they share is vmbnet-test-lib.c.
 *
 * Linked into QEMU's tests/qtest by vmbnet's ci/build-qemu.sh and added to
 * the build by qemu-patches/0002.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vmbnet-test.h"

static void test_bring_up(void)
{
    T t;

    qt_setup(&t, true);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 0);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-control-msgs"), ==, 1);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, !=, 0);
    qt_teardown(&t);
}

static void test_send_completion(void)
{
    uint32_t be;
    uint8_t frame[FRAME_LEN];
    T t;

    qt_setup(&t, true);
    qt_expect_comp(&t, qt_send_frame(&t, 7, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&t, 7);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-tx-packets"), ==, 1);

    /* And a frame from the network comes in through a receive slot. */
    for (int i = 0; i < FRAME_LEN; i++) {
        frame[i] = 0xa0 ^ i;
    }
    be = htonl(FRAME_LEN);
    g_assert_cmpint(send(t.sock[0], &be, 4, 0), ==, 4);
    g_assert_cmpint(send(t.sock[0], frame, FRAME_LEN, 0), ==, FRAME_LEN);
    for (int i = 0; i < 500 && !qt_dev_stat(&t, "stat-rx-packets"); i++) {
        g_usleep(10000); /* each qom-get lets QEMU's main loop run */
    }
    g_assert_cmpuint(qt_dev_stat(&t, "stat-rx-packets"), ==, 1);
    qt_teardown(&t);
}

static void test_link_down(void)
{
    uint8_t ind[24];
    struct vmb_pkt p;
    T t;

    qt_setup(&t, true);
    qt_set_link(&t, false);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, ==, 0);
    /* The guest hears about it through an RNDIS status indication. */
    qtest_memread(t.qts, qt_get_slot(&t, &p), ind, sizeof(ind));
    g_assert_cmphex((uint32_t)ldl_le_p(ind), ==, RNDIS_MSG_INDICATE);
    g_assert_cmphex((uint32_t)ldl_le_p(ind + 8), ==, RNDIS_STATUS_MEDIA_DISCONNECT);
    qt_complete_slot(&t, p.trans_id);
    /* A send while down still gets its one completion, with a failure. */
    qt_expect_comp(&t, qt_send_frame(&t, 1, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_FAIL);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-completions-failed"), ==, 1);
    qt_set_link(&t, true);
    qtest_memread(t.qts, qt_get_slot(&t, &p), ind, sizeof(ind));
    g_assert_cmphex((uint32_t)ldl_le_p(ind + 8), ==, RNDIS_STATUS_MEDIA_CONNECT);
    qt_complete_slot(&t, p.trans_id);
    qt_expect_comp(&t, qt_send_frame(&t, 3, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&t, 3);
    qt_teardown(&t);
}

static void test_reset_in_flight(void)
{
    uint64_t tid[3];
    T t;

    qt_setup(&t, true);
    for (int i = 0; i < 3; i++) {
        tid[i] = qt_send_frame(&t, i, false); /* written, never rung */
    }
    qt_wr(&t, VMB_REG_CONTROL, VMB_CTRL_RESET);
    for (int i = 0; i < 3; i++) {
        qt_expect_comp(&t, tid[i], NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                    NVSP_STAT_FAIL);
    }
    g_assert_cmpuint(qt_dev_stat(&t, "stat-gpadl-pages"), ==, 0);
    /* The device starts over: a new connection works. */
    qt_vmb_connect(&t);
    qt_teardown(&t);
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

    qt_setup(&t, true);
    qt_expect_comp(&t, qt_send_frame(&t, 1, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&t, 1);
    tid = qt_send_frame(&t, 2, false); /* in the ring, unseen by the device */

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
    g_assert_cmphex(qt_rd(&d, VMB_REG_MAGIC), ==, VMB_PCI_MAGIC);
    g_assert_cmpuint(qt_dev_stat(&d, "stat-gpadl-pages"), ==,
                     RING_PAGES + RX_PAGES + TX_PAGES);
    qt_wr(&d, VMB_REG_DOORBELL(0), 1);
    qt_expect_comp(&d, tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&d, 2);
    /* Exactly once: nothing else is waiting. */
    {
        struct vmb_pkt p;

        g_assert_false(qt_get(&d, &p, NULL, 0));
    }
    qt_expect_comp(&d, qt_send_frame(&d, 3, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&d, 3);
    g_assert_cmpuint(qt_dev_stat(&d, "stat-guest-errors"), ==, 0);

    qpci_free_pc(d.bus);
    g_free(d.dev);
    qtest_quit(d.qts);
    close(d.sock[0]);
    qt_teardown(&t);
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
    vmbnet_test_add_hostile();
    vmbnet_test_add_datapath();
    return g_test_run();
}
