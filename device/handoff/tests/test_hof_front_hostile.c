// SPDX-License-Identifier: MIT
/*
 * A hostile backend against the hand-off front end: it connects, and
 * answers the front end's HELLO the way a broken or malicious backend
 * would. The front end must refuse it, drop it and stay ready for the next.
 *
 * usage: test_hof_front_hostile --list | <case>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_guest.h"
#include "vmbnet_hof.h"

static struct fake_guest g;
static struct vmbnet_host h;
static struct vmbnet_hof_front F;
static char path[64];

/* The backend's answer to HELLO. */
static struct {
	int32_t status;
	uint32_t seq_delta, value;
} answer;

static int regions(void *opaque, struct vmbnet_hof_region *r, unsigned int max)
{
	r[0] = (struct vmbnet_hof_region){ FAKE_RAM_BASE, FAKE_RAM_BYTES, 0, -1 };
	return 1;
}

static const struct vmbnet_hof_front_ops front_ops = { .regions = regions };

static void *backend(void *arg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint8_t buf[VMB_HOF_MSG_MAX];
	int fds[VMB_HOF_MAX_FDS], s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unsigned int nfds = 0;
	struct vmb_hof_hdr hello;
	struct vmb_hof_ack ack = { .hdr = { VMB_HOF_ACK, sizeof(ack), 0, 0 } };

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	struct pollfd p = { .fd = s, .events = POLLIN };

	VT_EQ(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	VT_EQ(poll(&p, 1, 5000), 1); /* vmbnet_hof_recv() does not wait */
	VT_CHECK(vmbnet_hof_recv(s, buf, fds, &nfds) > 0);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	memcpy(&hello, buf, sizeof(hello));
	VT_EQ(hello.type, VMB_HOF_HELLO);
	ack.req_seq = hello.seq + answer.seq_delta;
	ack.status = answer.status;
	ack.value = answer.value;
	VT_EQ(vmbnet_hof_send(s, &ack, sizeof(ack), NULL, 0), 0);
	/* stay until the front end hangs up */
	while (recv(s, buf, sizeof(buf), 0) > 0)
		;
	close(s);
	return NULL;
}

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/vmbnet-test-fronthostile-%d.sock", getpid());
	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 1, (const uint8_t[6]){ 2, 0, 0, 0, 0, 9 }, &fake_guest_ops, &g,
			       &vmbnet_hof_front_handler),
	      0);
	VT_EQ(vmbnet_hof_front_init(&F, &h, path, 1500, &front_ops, NULL), 0);
}

static void teardown(void)
{
	vmbnet_host_fini(&h);
	vmbnet_hof_front_fini(&F);
	fg_fini(&g);
}

/* The backend answers HELLO as told; the accept must fail with -errno. */
static void expect_refused(void)
{
	pthread_t th;
	int ret;

	VT_EQ(pthread_create(&th, NULL, backend, NULL), 0);
	ret = vmbnet_hof_front_accept(&F); /* blocks until the thread connects */
	VT_CHECK(ret < 0);
	VT_EQ(F.sock, -1);
	VT_EQ(F.stats.disconnects, 1);
	VT_EQ(pthread_join(th, NULL), 0);
}

/*
 * Regression (hostile-peers issue, bug 8): a positive ACK status was taken
 * for the backend's answer and, through the channel paths, reported to the
 * guest as if it meant something. Statuses are 0 or -errno.
 */
static void positive_status_refused(void)
{
	answer.status = 5;
	answer.value = VMB_HOF_VERSION;
	expect_refused();
}

static void ack_for_another_request_refused(void)
{
	answer.seq_delta = 1;
	answer.value = VMB_HOF_VERSION;
	expect_refused();
}

static void other_version_refused(void)
{
	answer.value = VMB_HOF_VERSION + 1;
	expect_refused();
}

static void error_status_refused(void)
{
	answer.status = -EINVAL;
	answer.value = VMB_HOF_VERSION;
	expect_refused();
}

/* A successor: connects and waits to be served or hung up on. */
static void *successor(void *arg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = s, .events = POLLIN };
	char c;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	VT_EQ(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	VT_EQ(poll(&p, 1, 5000), 1);
	VT_EQ(recv(s, &c, 1, 0), 0); /* hung up on, not served */
	close(s);
	return NULL;
}

/*
 * Regression (hostile-peers issue, bug 7): a backend that could not be
 * fenced was taken for dead, so a successor resumed its channels while it
 * might still complete packets (twice). Here the backend is a thread of
 * ours, which no fence can stop: its successor must be refused.
 */
static void successor_refused_after_failed_fence(void)
{
	pthread_t th;

	answer.status = -EINVAL;
	answer.value = VMB_HOF_VERSION;
	expect_refused(); /* a protocol error: the front end tries to fence */
	VT_EQ(F.stats.fence_failed, 1);
	VT_CHECK(F.unfenced);
	VT_EQ(pthread_create(&th, NULL, successor, NULL), 0);
	VT_EQ(vmbnet_hof_front_accept(&F), -EBUSY);
	VT_EQ(F.stats.rejected, 1);
	VT_EQ(pthread_join(th, NULL), 0);
}

static const struct vt_case cases[] = {
	VT_CASE(positive_status_refused),
	VT_CASE(ack_for_another_request_refused),
	VT_CASE(other_version_refused),
	VT_CASE(error_status_refused),
	VT_CASE(successor_refused_after_failed_fence),
};

VT_MAIN_FIXTURE(cases, setup, teardown)
