/*
 * vmbnet-pci qtests: hostile guest input, each survived and counted.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vmbnet-test.h"

/* ---- hostile guest: each input survived and counted ------------------- */

static void test_hostile_gpadl_outside_ram(void)
{
    uint64_t pfns[2] = { 0xfffff0000ull, 0x10 };
    T t;

    qt_setup(&t, false);
    g_assert_cmpint(qt_gpadl_pfns(&t, 7, pfns, 2), ==, -EFAULT);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 1);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-gpadl-pages"), ==, 0);
    qt_teardown(&t);
}

static void test_hostile_gpadl_mmio(void)
{
    /* MMIO is not RAM: refused like any other hole. */
    uint64_t pfns[1] = { 0xfebf0 }; /* q35 PCI hole, below 4 GiB */
    T t;

    qt_setup(&t, false);
    g_assert_cmpint(qt_gpadl_pfns(&t, 7, pfns, 1), ==, -EFAULT);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 1);
    qt_teardown(&t);
}

/*
 * Regression (hostile-peers issue, bug 4): pages that are not plain,
 * writable guest RAM were accepted. q35's BIOS is read-only RAM at the top
 * of the 32-bit space; a device BAR is MMIO with side effects. Mapped for
 * writing, both came back as QEMU's bounce buffer, whose uninitialised heap
 * then went to the network and into guest-readable memory.
 */
#define Q35_BIOS_LAST_PFN 0xfffffull /* 4 GiB - 4 KiB: "pc.bios", read-only */

static void test_hostile_gpadl_rom(void)
{
    uint64_t pfns[1] = {Q35_BIOS_LAST_PFN};
    T t;

    qt_setup(&t, false);
    g_assert_cmpint(qt_gpadl_pfns(&t, 7, pfns, 1), ==, -EFAULT);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 1);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-gpadl-pages"), ==, 0);
    qt_teardown(&t);
}

static void test_hostile_gpadl_own_bar(void)
{
    T t;
    uint64_t pfns[1];

    qt_setup(&t, false);
    pfns[0] = t.bar.addr >> VMB_PAGE_SHIFT; /* BAR0: the register file */
    g_assert_cmpint(qt_gpadl_pfns(&t, 7, pfns, 1), ==, -EFAULT);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 1);
    qt_teardown(&t);
}

static void test_hostile_gpa_direct_rom(void)
{
    struct {
        struct vmb_gpa_direct_hdr h;
        struct vmb_gpa_range r;
        uint64_t p;
    } ext = {{0, 1}, {64, 0}, Q35_BIOS_LAST_PFN};
    struct nvsp_rndis_pkt n = {NVSP_MSG_SEND_RNDIS_PKT, 0, NVSP_SECTION_NONE,
                               0};
    T t;

    qt_setup(&t, true);
    qt_put(&t, VMB_PKT_DATA_GPA_DIRECT, &ext, sizeof(ext), &n, sizeof(n), true);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), >=, 1);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-tx-packets"), ==, 0);
    qt_teardown(&t);
}

static void test_hostile_gpadl_overlap(void)
{
    T t;

    qt_setup(&t, true);
    /* A buffer GPADL over the ring's pages: the host would write its
     * own indices. Refused, counted; the channel keeps working.
     */
    g_assert_cmpint(qt_gpadl(&t, 77, t.ring_gpa + VMB_PAGE_SIZE, 2), ==, -EEXIST);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 1);
    qt_expect_comp(&t, qt_send_frame(&t, 5, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&t, 5);
    qt_teardown(&t);
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

    qt_setup(&t, false);
    /* 8000 pages announced 10 times: the total cap (256 MiB) is hit. */
    for (uint32_t i = 0; i < 10; i++) {
        h.gpadl = 100 + i;
        memcpy(msg, &h, sizeof(h));
        memcpy(msg + sizeof(h), &r, sizeof(r));
        qt_msg_send(&t, msg, sizeof(h) + sizeof(r));
    }
    g_assert_cmpuint(qt_msg_recv(&t, &c, sizeof(c)), ==, VMB_MSG_GPADL_CREATED);
    g_assert_cmpint((int32_t)c.creation_status, ==, -ENOSPC);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), >=, 1);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-gpadl-pages"), <=, 65536);
    qt_teardown(&t);
}

static void test_hostile_ring_index(void)
{
    struct vmb_ring_hdr *up;
    T t;

    qt_setup(&t, true);
    qt_pull(&t);
    up = (struct vmb_ring_hdr *)t.mirror;
    up->write_index = 0x7ffffff8; /* far outside the ring */
    qt_push(&t);
    qt_wr(&t, VMB_REG_DOORBELL(0), 1);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-ch0-ring-errors"), ==, 1);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), >=, 1);
    qt_teardown(&t);
}

static void test_hostile_packet_type(void)
{
    struct vmb_pkt_desc *d;
    T t;

    qt_setup(&t, true);
    qt_pull(&t);
    qt_put(&t, VMB_PKT_DATA_INBAND, NULL, 0, "xxxxxxxx", 8, false);
    qt_pull(&t);
    d = (struct vmb_pkt_desc *)(t.mirror + VMB_PAGE_SIZE + t.up.pub_index -
                                (16 + 8 + 8));
    d->type = 0x42;
    qt_push(&t);
    qt_wr(&t, VMB_REG_DOORBELL(0), 1);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-ch0-ring-errors"), ==, 1);
    qt_teardown(&t);
}

static void test_hostile_rndis_offsets(void)
{
    struct {
        struct rndis_hdr h;
        struct rndis_packet p;
    } m = { { RNDIS_MSG_PACKET, sizeof(m) }, { 0x7fff0000, 64 } };
    struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, 0, 1, sizeof(m) };
    T t;

    qt_setup(&t, true);
    qtest_memwrite(t.qts, t.tx_gpa + t.tx_section, &m, sizeof(m));
    qt_expect_comp(&t, qt_put(&t, VMB_PKT_DATA_INBAND, NULL, 0, &n, sizeof(n), true),
                NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_INVALID_RNDIS_PKT);
    /* A send section past the send buffer. */
    n.section_index = 1000;
    qt_expect_comp(&t, qt_put(&t, VMB_PKT_DATA_INBAND, NULL, 0, &n, sizeof(n), true),
                NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_INVALID_RNDIS_PKT);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 2);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-tx-packets"), ==, 0);
    qt_teardown(&t);
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

    qt_setup(&t, true);
    qt_put(&t, VMB_PKT_DATA_GPA_DIRECT, &ext, sizeof(ext), &n, sizeof(n), true);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, !=, 0);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), >=, 1);
    qt_teardown(&t);
}

static void test_hostile_unknown_completion(void)
{
    T t;

    qt_setup(&t, true);
    qt_complete_slot(&t, 5000);
    qt_complete_slot(&t, 3); /* a real slot number, but not lent */
    g_assert_cmpuint(qt_dev_stat(&t, "stat-unknown-completions"), ==, 2);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_BROKEN, ==, 0);
    qt_teardown(&t);
}

static void test_hostile_doorbell_storm(void)
{
    T t;

    qt_setup(&t, true);
    for (int i = 0; i < 2000; i++) {
        qt_wr(&t, VMB_REG_DOORBELL(0), 1);
    }
    qt_wr(&t, VMB_REG_DOORBELL(7), 1); /* a channel the device does not have */
    g_assert_cmpuint(qt_dev_stat(&t, "stat-ch0-doorbells"), ==, 2000 + 5);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-ch0-ring-spurious"), >=, 2000);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 1);
    /* Still serving: a frame goes out. */
    qt_expect_comp(&t, qt_send_frame(&t, 9, true), NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
                NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&t, 9);
    qt_teardown(&t);
}

static void test_hostile_messages(void)
{
    uint32_t junk[4] = { 99, 0, 0, 0 };
    T t;

    qt_setup(&t, false);
    qt_msg_send(&t, junk, sizeof(junk)); /* unknown type */
    qt_wr(&t, VMB_REG_MSG_SEND, VMB_MSG_MAX + 4); /* longer than the page */
    qt_wr(&t, VMB_REG_MSG_SEND, 3); /* shorter than a header */
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 3);
    g_assert_cmpuint(qt_msg_recv(&t, NULL, 0), ==, 0);
    qt_teardown(&t);
}

/*
 * The device as a whole against a seeded random guest: register writes
 * anywhere in BAR0, channel messages of every type with random bodies
 * (half of them aimed at the open channel and at guest RAM pages),
 * random bytes in the rings and buffers, doorbells, pops. QEMU must not
 * abort, and after a reset the device must serve a normal guest again.
 * VMBNET_QTEST_SEED picks the seed (printed), VMBNET_QTEST_OPS the length
 * (5000 by default; the longer run sets more).
 */
static void drain_socket(T *t)
{
    uint8_t buf[65536];
    uint32_t len;

    while (recv(t->sock[0], &len, 4, MSG_DONTWAIT) == 4) {
        len = ntohl(len);
        g_assert_cmpuint(len, <=, sizeof(buf));
        g_assert_cmpint(recv(t->sock[0], buf, len, MSG_WAITALL), ==, len);
    }
}

static void random_message(T *t, GRand *r)
{
    uint8_t msg[VMB_MSG_MAX];
    uint32_t len = g_rand_int_range(r, 8, VMB_MSG_MAX + 1) & ~3u;

    for (uint32_t i = 0; i < len; i++) {
        msg[i] = (uint8_t)g_rand_int(r);
    }
    stl_le_p(msg, g_rand_int_range(r, 1, 18)); /* msgtype */
    if (g_rand_boolean(r)) {
        stl_le_p(msg + 8, 1);                          /* child_relid */
        stl_le_p(msg + 12, g_rand_int_range(r, 1, 5)); /* gpadl / openid */
        for (uint32_t off = 24; off + 8 <= len; off += 8) {
            stq_le_p(msg + off, (t->data_gpa >> VMB_PAGE_SHIFT) +
                                    g_rand_int_range(r, 0, 4));
        }
    }
    qt_msg_send(t, msg, len);
}

static void random_memory(T *t, GRand *r)
{
    static const uint32_t pages[] = {RING_PAGES, RX_PAGES, TX_PAGES, 4};
    uint64_t base[] = {t->ring_gpa, t->rx_gpa, t->tx_gpa, t->data_gpa};
    unsigned int which = g_rand_int_range(r, 0, 4);
    uint8_t buf[64];
    uint32_t n = g_rand_int_range(r, 1, sizeof(buf) + 1);
    uint32_t off = g_rand_int_range(r, 0, pages[which] * VMB_PAGE_SIZE - n + 1);

    for (uint32_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)g_rand_int(r);
    }
    qtest_memwrite(t->qts, base[which] + off, buf, n);
}

static void test_hostile_random_driver(void)
{
    const char *env_seed = g_getenv("VMBNET_QTEST_SEED");
    const char *env_ops = g_getenv("VMBNET_QTEST_OPS");
    guint32 seed =
        env_seed ? (guint32)g_ascii_strtoull(env_seed, NULL, 0) : 20261202;
    unsigned int ops =
        env_ops ? (unsigned int)g_ascii_strtoull(env_ops, NULL, 0) : 5000;
    GRand *r = g_rand_new_with_seed(seed);
    uint8_t msg[VMB_MSG_MAX];
    T t;

    g_test_message("random driver: seed %u, %u operations", seed, ops);
    qt_setup(&t, true);
    for (unsigned int i = 0; i < ops; i++) {
        unsigned int pick = g_rand_int_range(r, 0, 100);

        if (pick < 25) {
            uint32_t reg = g_rand_int_range(r, 0, VMB_PCI_BAR_REGS_SIZE) & ~3u;

            if (reg == VMB_REG_CONTROL && g_rand_int_range(r, 0, 10)) {
                continue; /* resets, but not too often */
            }
            qt_wr(&t, reg, g_rand_int(r));
        } else if (pick < 50) {
            random_message(&t, r);
        } else if (pick < 75) {
            random_memory(&t, r);
        } else if (pick < 90) {
            qt_wr(&t,
                  VMB_REG_DOORBELL(
                      g_rand_int_range(r, 0, VMB_PCI_MAX_CHANNELS + 1)),
                  1);
        } else {
            if (qt_rd(&t, VMB_REG_MSG_RECV)) {
                qt_rd(&t, VMB_REG_MSG_RX +
                              4 * g_rand_int_range(r, 0, VMB_MSG_MAX / 4));
            }
            qt_rd(&t, VMB_REG_STATUS);
        }
        if (!(i % 256)) {
            drain_socket(&t);
        }
    }
    g_rand_free(r);
    /* A normal guest after a reset: everything works again. */
    qt_wr(&t, VMB_REG_CONTROL, VMB_CTRL_RESET);
    while (qt_msg_recv(&t, msg, sizeof(msg))) {
    }
    drain_socket(&t);
    qt_vmb_connect(&t);
    g_assert_cmpint(qt_gpadl(&t, RING_GPADL, t.ring_gpa, RING_PAGES), ==, 0);
    g_assert_cmpint(qt_gpadl(&t, RX_GPADL, t.rx_gpa, RX_PAGES), ==, 0);
    g_assert_cmpint(qt_gpadl(&t, TX_GPADL, t.tx_gpa, TX_PAGES), ==, 0);
    g_assert_cmpint(qt_open_channel(&t), ==, 0);
    qt_nvsp_bring_up(&t);
    qt_expect_comp(&t, qt_send_frame(&t, 9, true),
                   NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
    qt_check_socket_frame(&t, 9);
    qt_teardown(&t);
}

void vmbnet_test_add_hostile(void)
{
    qtest_add_func("/vmbnet/hostile/gpadl-outside-ram",
                   test_hostile_gpadl_outside_ram);
    qtest_add_func("/vmbnet/hostile/gpadl-mmio", test_hostile_gpadl_mmio);
    qtest_add_func("/vmbnet/hostile/gpadl-over-cap",
                   test_hostile_gpadl_over_cap);
    qtest_add_func("/vmbnet/hostile/gpadl-overlap", test_hostile_gpadl_overlap);
    qtest_add_func("/vmbnet/hostile/gpadl-rom", test_hostile_gpadl_rom);
    qtest_add_func("/vmbnet/hostile/gpadl-own-bar", test_hostile_gpadl_own_bar);
    qtest_add_func("/vmbnet/hostile/gpa-direct-rom",
                   test_hostile_gpa_direct_rom);
    qtest_add_func("/vmbnet/hostile/ring-index", test_hostile_ring_index);
    qtest_add_func("/vmbnet/hostile/packet-type", test_hostile_packet_type);
    qtest_add_func("/vmbnet/hostile/rndis-offsets", test_hostile_rndis_offsets);
    qtest_add_func("/vmbnet/hostile/gpa-outside-ram",
                   test_hostile_gpa_outside_ram);
    qtest_add_func("/vmbnet/hostile/unknown-completion",
                   test_hostile_unknown_completion);
    qtest_add_func("/vmbnet/hostile/doorbell-storm",
                   test_hostile_doorbell_storm);
    qtest_add_func("/vmbnet/hostile/messages", test_hostile_messages);
    qtest_add_func("/vmbnet/hostile/random-driver", test_hostile_random_driver);
}
