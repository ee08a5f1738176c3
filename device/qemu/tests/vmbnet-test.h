/*
 * Shared by the vmbnet-pci qtests: the test plays the guest. It keeps a
 * mirror of the channel's ring memory, runs vmbnet's own ring code on the
 * mirror and copies it to and from guest RAM around every doorbell (the
 * device answers synchronously inside the MMIO write, so nothing races).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef VMBNET_TEST_H
#define VMBNET_TEST_H

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
#define TX_PAGES 12
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

#define ETH_P_RARP_BE 0x3580 /* 0x8035: QEMU's self-announce after migration */

uint32_t qt_rd(T *t, uint32_t reg);

void qt_wr(T *t, uint32_t reg, uint32_t val);

uint64_t qt_dev_stat(T *t, const char *name);

void qt_set_link(T *t, bool up);

void qt_msg_send(T *t, const void *msg, uint32_t len);

uint32_t qt_msg_recv(T *t, void *msg, uint32_t max);
/* The next host message, waited for (up to 5 s); 0 if none came. */
uint32_t qt_msg_wait(T *t, void *msg, uint32_t max);

void qt_vmb_connect(T *t);

int32_t qt_gpadl_pfns(T *t, uint32_t id, const uint64_t *pfns, uint32_t n);

int32_t qt_gpadl(T *t, uint32_t id, uint64_t gpa, uint32_t pages);

uint64_t qt_alloc_pages(T *t, uint32_t pages);

void qt_pull(T *t);

void qt_push(T *t);

int32_t qt_open_channel(T *t);

uint64_t qt_put(T *t, uint16_t type, const void *ext, uint32_t ext_len,
                const void *msg, uint32_t len, bool doorbell);

bool qt_get(T *t, struct vmb_pkt *p, void *payload, uint32_t max);

/* The next packet lends a receive slot: its guest address (from its range). */
uint64_t qt_get_slot(T *t, struct vmb_pkt *p);

void qt_expect_comp(T *t, uint64_t tid, uint32_t type, uint32_t status);

void qt_complete_slot(T *t, uint64_t tid);

void qt_nvsp_bring_up(T *t);

void qt_setup(T *t, bool nic);

void qt_teardown(T *t);

uint64_t qt_send_frame(T *t, uint8_t seed, bool doorbell);

void qt_check_socket_frame(T *t, uint8_t seed);

/* The areas' cases (vmbnet-test-hostile.c, vmbnet-test-datapath.c). */
void vmbnet_test_add_hostile(void);
void vmbnet_test_add_datapath(void);

#endif /* VMBNET_TEST_H */
