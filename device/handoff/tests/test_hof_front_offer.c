// SPDX-License-Identifier: MIT
/*
 * The front end and a backend's OFFER (the one message a backend sends
 * unasked): a guest in Hyper-V's offer model asked the backend for
 * subchannels, and the front end offers them. The backend here is a
 * scripted thread: it ACKs everything, records the CHAN_OPENs, and sends
 * the OFFER where a case tells it to.
 *
 * usage: test_hof_front_offer --list | <case>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_guest.h"
#include "vmbnet_hof.h"

#define NCHAN 4

static struct fake_guest g;
static struct vmbnet_host h;
static struct vmbnet_hof_front F;
static char path[64];

/* The script: send an OFFER of @count (@len bytes) just before the ACK of
 * the first message of type @before, or right after START's when 0.
 */
static struct {
	uint32_t before, count, len;
} script;
static uint32_t open_flags; /* of the replay's CHAN_OPEN */
static int back_sock = -1;

static int ram_fd = -1; /* stands for guest RAM: the backend only closes it */

static int regions(void *opaque, struct vmbnet_hof_region *r, unsigned int max)
{
	r[0] = (struct vmbnet_hof_region){ FAKE_RAM_BASE, FAKE_RAM_BYTES, 0, ram_fd };
	return 1;
}

static const struct vmbnet_hof_front_ops front_ops = { .regions = regions };

static void send_offer(int s)
{
	uint8_t buf[64] = { 0 };
	struct vmb_hof_offer m = { .hdr = { VMB_HOF_OFFER, script.len, 0, 0 },
				   .count = script.count };

	memcpy(buf, &m, sizeof(m));
	VT_EQ(vmbnet_hof_send(s, buf, script.len, NULL, 0), 0);
}

/* ACK until START; the main thread then goes on with the socket. */
static void *backend(void *arg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint8_t buf[VMB_HOF_MSG_MAX];
	int fds[VMB_HOF_MAX_FDS], s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = s, .events = POLLIN };
	struct vmb_hof_ack ack = { .hdr = { VMB_HOF_ACK, sizeof(ack), 0, 0 } };
	struct vmb_hof_chan_open o;
	struct vmb_hof_hdr m;
	unsigned int nfds;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	VT_EQ(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	do {
		VT_EQ(poll(&p, 1, 5000), 1);
		VT_CHECK(vmbnet_hof_recv(s, buf, fds, &nfds) > 0);
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		memcpy(&m, buf, sizeof(m));
		if (m.type == VMB_HOF_CHAN_OPEN) {
			memcpy(&o, buf, sizeof(o));
			open_flags = o.flags;
		}
		if (script.before == m.type)
			send_offer(s);
		ack.req_seq = m.seq;
		ack.value = m.type == VMB_HOF_HELLO ? VMB_HOF_VERSION : 0;
		VT_EQ(vmbnet_hof_send(s, &ack, sizeof(ack), NULL, 0), 0);
	} while (m.type != VMB_HOF_START);
	if (!script.before)
		send_offer(s);
	back_sock = s;
	return NULL;
}

/* A guest in Hyper-V's model (@on_request) with its primary open, before
 * any backend: the replay hands the channel over.
 */
static void setup_guest(bool on_request)
{
	struct vmb_msg_initiate_contact c = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
		.flags = on_request ? VMB_CONTACT_SUBCHANNELS_ON_REQUEST : 0,
	};
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };
	uint64_t pfn;

	snprintf(path, sizeof(path), "/tmp/vmbnet-test-frontoffer-%d.sock", getpid());
	ram_fd = memfd_create("ram", MFD_CLOEXEC);
	VT_CHECK(ram_fd >= 0);
	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, NCHAN, (const uint8_t[6]){ 2, 0, 0, 0, 0, 7 }, &fake_guest_ops,
			       &g, &vmbnet_hof_front_handler),
	      0);
	VT_EQ(vmbnet_hof_front_init(&F, &h, path, 1500, &front_ops, NULL), 0);
	vmbnet_host_message(&h, &c, sizeof(c));
	vmbnet_host_message(&h, &req, sizeof(req));
	while (fg_pop(&h, NULL))
		;
	pfn = fg_alloc(&g, 4);
	VT_EQ(fg_gpadl_contig(&h, 1, 5, pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 5, pfn, 2, 2), 0);
	script.len = sizeof(struct vmb_hof_offer);
}

static void connect_backend(void)
{
	pthread_t th;

	VT_EQ(pthread_create(&th, NULL, backend, NULL), 0);
	VT_EQ(vmbnet_hof_front_accept(&F), 0);
	VT_EQ(pthread_join(th, NULL), 0);
}

static void teardown(void)
{
	if (back_sock >= 0) /* the backend goes first: nothing waits for it */
		close(back_sock);
	back_sock = -1;
	vmbnet_host_fini(&h);
	vmbnet_hof_front_fini(&F);
	close(ram_fd);
	fg_fini(&g);
}

/* The guest's offers, in order: subchannels 1..@n, then nothing. */
static void expect_offers(uint32_t n)
{
	struct vmb_msg_offer o;

	for (uint32_t i = 1; i <= n; i++) {
		VT_EQ(fg_pop(&h, &o), VMB_MSG_OFFER_CHANNEL);
		VT_EQ(o.sub_channel_index, i);
	}
	VT_EQ(fg_pop(&h, NULL), 0);
}

/* The replay says which offer model the guest chose, and an OFFER that
 * comes while nothing is outstanding is served from the main loop.
 */
static void offer_served(void)
{
	setup_guest(true);
	script.count = 2;
	connect_backend();
	VT_EQ(open_flags, VMB_HOF_OPEN_RESUME | VMB_HOF_OPEN_SUBCH_ON_REQUEST);
	VT_EQ(fg_pop(&h, NULL), 0);
	vmbnet_hof_front_sock_event(&F);
	expect_offers(2);
	VT_CHECK(F.sock >= 0);
	VT_EQ(h.offered, 7u);
	teardown();
}

/* An OFFER ahead of the ACK the front end waits for is served, and the
 * wait goes on; more than the device has is cut to what it has.
 */
static void offer_before_an_ack(void)
{
	setup_guest(true);
	script.before = VMB_HOF_LINK;
	script.count = 9;
	connect_backend();
	expect_offers(NCHAN - 1);
	VT_CHECK(F.sock >= 0);
	teardown();
}

/* vmbnet's own model has no subchannels on request: an OFFER is ignored
 * (a guest may also close its primary before the OFFER is read), and the
 * backend stays.
 */
static void offer_without_on_request_ignored(void)
{
	setup_guest(false);
	script.count = 2;
	connect_backend();
	VT_EQ(open_flags, VMB_HOF_OPEN_RESUME);
	vmbnet_hof_front_sock_event(&F);
	VT_EQ(fg_pop(&h, NULL), 0);
	VT_CHECK(F.sock >= 0);
	teardown();
}

/* An OFFER of the wrong size breaks the protocol: the backend is dropped. */
static void malformed_offer_drops_backend(void)
{
	setup_guest(true);
	script.count = 2;
	script.len = sizeof(struct vmb_hof_offer) + 8;
	connect_backend();
	vmbnet_hof_front_sock_event(&F);
	VT_EQ(F.sock, -1);
	VT_EQ(F.stats.disconnects, 1);
	VT_EQ(fg_pop(&h, NULL), 0);
	teardown();
}

static const struct vt_case cases[] = {
	VT_CASE(offer_served),
	VT_CASE(offer_before_an_ack),
	VT_CASE(offer_without_on_request_ignored),
	VT_CASE(malformed_offer_drops_backend),
};

VT_MAIN(cases)
