/*
 * vmbnet-pci qtests: datapath B, the hand-off to a backend the test plays in a thread.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vmbnet-test.h"

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
        qt_dev_stat(t, "stat-backend-msgs"); /* let QEMU's main loop run */
        g_usleep(1000);
    }
    g_assert_not_reached();
}

static void wait_stat(T *t, const char *name, uint64_t want)
{
    for (int us = 0; us < HOF_WAIT_US && qt_dev_stat(t, name) != want; us += 1000) {
        g_usleep(1000); /* each qom-get lets QEMU's main loop run */
    }
    g_assert_cmpuint(qt_dev_stat(t, name), ==, want);
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
                        "backend=%s,addr=04.0,mac=52:54:00:12:34:56", path);
    backend_start(&b, path);
    backend_wait(&t, &b, VMB_HOF_START);
    g_assert_cmpuint(b.types[0], ==, VMB_HOF_HELLO);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-backend-connects"), ==, 1);

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
    t.ring_gpa = qt_alloc_pages(&t, RING_PAGES);
    qt_vmb_connect(&t);
    g_assert_cmpint(qt_gpadl(&t, RING_GPADL, t.ring_gpa, RING_PAGES), ==, 0);
    backend_wait(&t, &b, VMB_HOF_GPADL);
    g_assert_cmpint(qt_open_channel(&t), ==, 0);
    backend_wait(&t, &b, VMB_HOF_CHAN_OPEN);

    /* Doorbell -> kick eventfd; call eventfd -> the channel's interrupt. */
    qt_wr(&t, VMB_REG_DOORBELL(0), 1);
    g_assert_cmpint(read(b.kick, &one, sizeof(one)), ==, sizeof(one));
    g_assert_cmpint(write(b.call, &one, sizeof(one)), ==, sizeof(one));
    wait_stat(&t, "stat-ch0-interrupts", 1);

    qobject_unref(qtest_qmp(t.qts, "{'execute': 'set_link', 'arguments': "
                            "{'name': 'nic0', 'up': false}}"));
    /* sent without waiting: the backend sees it soon after */
    for (i = 0; i < 2000 && qatomic_read(&b.link_up); i++) {
        g_usleep(1000);
    }
    g_assert_cmpuint(qatomic_read(&b.link_up), ==, 0);
    g_assert_cmpuint(qt_rd(&t, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, ==, 0);

    /* The backend goes away: noticed, and the next one is served. */
    shutdown(b.sock, SHUT_RDWR);
    g_thread_join(b.thread);
    close(b.sock);
    close(b.kick);
    close(b.call);
    wait_stat(&t, "stat-backend-disconnects", 1);
    backend_start(&b, path);
    backend_wait(&t, &b, VMB_HOF_START);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-backend-connects"), ==, 2);
    g_assert_cmpuint(qt_dev_stat(&t, "stat-guest-errors"), ==, 0);
    qt_teardown(&t);
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
        qdict_put_str(args, "backend", "/tmp/vmbnet-never.sock");
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


void vmbnet_test_add_datapath(void)
{
    qtest_add_func("/vmbnet/datapath/handoff", test_datapath_handoff);
    qtest_add_func("/vmbnet/datapath/refused", test_datapath_refused);
}
