// SPDX-License-Identifier: MIT
/*
 * A hostile front end against the hand-off back end: one case per bad
 * message. Each must be answered with an error status (or, when it cannot
 * even be framed, counted), leak no descriptor or mapping, and leave the
 * back end usable: a good LINK, GPADL and channel open work afterwards.
 *
 * usage: test_hof_malformed --list | <case>
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmb_test.h"
#include "vmbnet_fault.h"
#include "vmbnet_hof.h"

#define RAM_GPA 0x100000ull
#define RAM_BYTES (1u << 20)
#define RING_PAGES 4

static struct vmbnet_hof_back B;
static int front = -1, ram_fd = -1, state_fd = -1, fds_before;
static struct vmb_hof_state *state_map; /* the front end's view of state_fd */
static uint32_t seq;

static int nop_tx(void *o, uint32_t c, const struct iovec *iov, int n,
		  const struct vmbnet_frame_meta *m)
{
	return 0;
}

static const struct vmbnet_nic_ops nic_ops = { .tx = nop_tx };

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	VT_CHECK(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int memfd(uint64_t size, bool seal)
{
	int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	VT_CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	if (seal)
		VT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

/* Send raw bytes with descriptors; let the back end run; return the ACK's
 * status, or 1 when no ACK came.
 */
static int raw(const void *msg, uint32_t len, const int *fds, unsigned int nfds)
{
	struct vmb_hof_ack ack;
	ssize_t n;

	VT_EQ(vmbnet_hof_send(front, msg, len, fds, nfds), 0);
	VT_EQ(vmbnet_hof_back_control(&B), 0);
	n = recv(front, &ack, sizeof(ack), MSG_DONTWAIT);
	if (n < 0)
		return 1;
	VT_EQ(n, sizeof(ack));
	VT_EQ(ack.hdr.type, VMB_HOF_ACK);
	return ack.status;
}

/* A well-framed request of @type. */
static int req(uint32_t type, void *msg, uint32_t len, const int *fds, unsigned int nfds)
{
	struct vmb_hof_hdr *h = msg;
	int st;

	h->type = type;
	h->len = len;
	h->seq = ++seq;
	st = raw(msg, len, fds, nfds);
	return st;
}

static int hello(uint32_t version, uint64_t state_size)
{
	struct vmb_hof_hello m = {
		.version = version, .nchan = 1, .mtu = 1500, .link_up = 1, .state_size = state_size
	};

	return req(VMB_HOF_HELLO, &m, sizeof(m), &state_fd, 1);
}

static int region(uint64_t gpa, uint64_t size, uint64_t off)
{
	struct vmb_hof_mem_region m = { .gpa = gpa, .size = size, .fd_offset = off };

	return req(VMB_HOF_MEM_REGION, &m, sizeof(m), &ram_fd, 1);
}

static int gpadl(uint32_t id, uint64_t pfn0, uint32_t npages, uint32_t first, uint32_t count)
{
	uint8_t buf[sizeof(struct vmb_hof_gpadl) + 64 * 8];
	struct vmb_hof_gpadl *m = (struct vmb_hof_gpadl *)buf;

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->relid = 1;
	m->npages = npages;
	m->first = first;
	m->count = count;
	for (uint32_t i = 0; i < count; i++)
		m->pfn[i] = pfn0 + first + i;
	return req(VMB_HOF_GPADL, m, sizeof(*m) + 8 * count, NULL, 0);
}

static int chan_open(uint32_t index, uint32_t id)
{
	struct vmb_hof_chan_open m = { .index = index, .gpadl = id, .downstream_offset = 2 };
	int fds[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) }, st;

	VT_CHECK(fds[0] >= 0 && fds[1] >= 0);
	st = req(VMB_HOF_CHAN_OPEN, &m, sizeof(m), fds, 2);
	close(fds[0]);
	close(fds[1]);
	return st;
}

static int link_up(void)
{
	struct vmb_hof_link m = { .up = 1 };

	return req(VMB_HOF_LINK, &m, sizeof(m), NULL, 0);
}

static void format_ring(uint64_t pfn)
{
	uint8_t *ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	uint8_t *ring = ram + ((pfn << 12) - RAM_GPA);

	VT_CHECK(ram != MAP_FAILED);
	VT_EQ(vmb_ring_format(ring, 2 * VMB_PAGE_SIZE), 0);
	VT_EQ(vmb_ring_format(ring + 2 * VMB_PAGE_SIZE, 2 * VMB_PAGE_SIZE), 0);
	munmap(ram, RAM_BYTES);
}

/* A back end on a fresh socket, with guest RAM and state memfds to hand it. */
static void setup(void)
{
	int sv[2];

	fds_before = count_fds();
	VT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	front = sv[0];
	ram_fd = memfd(RAM_BYTES, true);
	state_fd = memfd(vmb_hof_state_size(1), true);
	state_map =
		mmap(NULL, vmb_hof_state_size(1), PROT_READ | PROT_WRITE, MAP_SHARED, state_fd, 0);
	VT_CHECK(state_map != MAP_FAILED);
	state_map->magic = VMB_HOF_MAGIC;
	state_map->version = VMB_HOF_VERSION;
	state_map->nchan = 1;
	vmbnet_hof_back_init_sock(&B, sv[1], &nic_ops, NULL);
}

static void good_hello(void)
{
	VT_EQ(hello(VMB_HOF_VERSION, vmb_hof_state_size(1)), 0);
}

static void good_region(void)
{
	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
}

static void good_hello_and_region(void)
{
	good_hello();
	good_region();
}

static void nothing(void)
{
}

/* The back end and the test's files go; no descriptor may stay. */
static void release_all(void)
{
	vmbnet_hof_back_fini(&B);
	munmap(state_map, vmb_hof_state_size(1));
	close(front);
	close(ram_fd);
	close(state_fd);
	VT_EQ(count_fds(), fds_before);
}

/* Every case: the back end is still usable, and no descriptor leaked. */
static void finish(void)
{
	uint64_t pfn = RAM_GPA >> 12;

	VT_EQ(link_up(), 0);
	format_ring(pfn + 64);
	VT_EQ(gpadl(4242, pfn + 64, RING_PAGES, 0, RING_PAGES), 0);
	VT_EQ(chan_open(0, 4242), 0);
	VT_EQ(B.host.chan[0].state, VMBNET_CHAN_OPEN);
	release_all();
}

/*
 * HOF_CASE(name, before, after) { body } defines the case name(): setup(),
 * before(), the body, after(), finish().
 */
#define HOF_CASE(name, before, after)  \
	static void name##_body(void); \
	static void name(void)         \
	{                              \
		setup();               \
		before();              \
		name##_body();         \
		after();               \
		finish();              \
	}                              \
	static void name##_body(void)

/* After a good HELLO; the good RAM region is added after the body. */
#define CASE(name) HOF_CASE(name, good_hello, good_region)
/* After a good HELLO; the body adds the good RAM region itself. */
#define CASE_OWN_REGION(name) HOF_CASE(name, good_hello, nothing)
/* Cases about HELLO itself run before any good HELLO. */
#define CASE_BEFORE_HELLO(name) HOF_CASE(name, nothing, good_hello_and_region)

CASE(shorter_than_header)
{
	struct vmb_hof_hdr h = { 0 };

	VT_CHECK(raw(&h, 8, NULL, 0) < 0);
}

CASE(length_differs)
{
	struct vmb_hof_hdr h = { 0 };

	h.type = VMB_HOF_START;
	h.len = 64;
	VT_CHECK(raw(&h, sizeof(h), NULL, 0) < 0);
}

CASE(unknown_type)
{
	struct vmb_hof_hdr h = { 0 };

	VT_CHECK(req(77, &h, sizeof(h), NULL, 0) < 0);
}

CASE(ack_from_front)
{
	struct vmb_hof_ack a = { 0 };

	VT_CHECK(req(VMB_HOF_ACK, &a, sizeof(a), NULL, 0) < 0);
}

/* A FAULT message of @op carrying @text. */
static int fault_msg(uint32_t op, const char *text, uint32_t claimed_len)
{
	uint8_t buf[sizeof(struct vmb_hof_fault) + 512];
	struct vmb_hof_fault *m = (struct vmb_hof_fault *)buf;
	size_t len = strlen(text);

	memset(m, 0, sizeof(*m));
	m->op = op;
	m->len = claimed_len;
	memcpy(m->text, text, len);
	return req(VMB_HOF_FAULT, m, (uint32_t)(sizeof(*m) + len), NULL, 0);
}

/* Fault rules for the backend's NIC: taken with an engine, refused without
 * one, and a malformed message is refused before anything reads its text.
 */
CASE(fault_rules)
{
	static const char rule[] =
		"{ \"id\": \"r\", \"point\": \"receive\", \"action\": \"drop\" }";
	struct vmbnet_fault F;

	VT_EQ(fault_msg(VMB_HOF_FAULT_ADD, rule, sizeof(rule) - 1), -EOPNOTSUPP);
	vmbnet_fault_init(&F, 1);
	B.faults = &F;
	VT_EQ(fault_msg(VMB_HOF_FAULT_ADD, rule, sizeof(rule) - 1), 0);
	VT_EQ(F.nrules, 1);
	VT_EQ(fault_msg(VMB_HOF_FAULT_ADD, rule, sizeof(rule) - 1), -EINVAL); /* the same id */
	VT_EQ(fault_msg(VMB_HOF_FAULT_ADD, "{ nope", 6), -EINVAL);
	VT_EQ(fault_msg(VMB_HOF_FAULT_REMOVE, "nope", 4), -ENOENT);
	VT_EQ(fault_msg(VMB_HOF_FAULT_REMOVE, "r", 1), 0);
	VT_EQ(F.nrules, 0);
	VT_CHECK(fault_msg(3, "r", 1) < 0); /* no such operation */
	VT_CHECK(fault_msg(VMB_HOF_FAULT_ADD, rule, sizeof(rule) + 40) < 0); /* length lies */
	VT_CHECK(fault_msg(VMB_HOF_FAULT_ADD, "", 0) < 0);
	VT_EQ(F.nrules, 0);
	B.faults = NULL;
}

/* OFFER is the backend's to send: from the front end it is refused. */
CASE(offer_from_front)
{
	struct vmb_hof_offer o = { .count = 1 };

	VT_CHECK(req(VMB_HOF_OFFER, &o, sizeof(o), NULL, 0) < 0);
	VT_EQ(B.stats.offers, 0);
}

/* A flag CHAN_OPEN does not define. */
CASE_OWN_REGION(open_unknown_flag)
{
	struct vmb_hof_chan_open m = { .index = 0, .gpadl = 9, .flags = 4 };
	int fds[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };

	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
	VT_EQ(req(VMB_HOF_CHAN_OPEN, &m, sizeof(m), fds, 2), -EINVAL);
	close(fds[0]);
	close(fds[1]);
}

CASE_OWN_REGION(wrong_descriptor_count)
{
	uint8_t big[VMB_HOF_MSG_MAX + 64] = { 0 };
	struct vmb_hof_link m = { .up = 1 };

	VT_CHECK(req(VMB_HOF_LINK, &m, sizeof(m), &ram_fd, 1) < 0);
	VT_CHECK(region(RAM_GPA, RAM_BYTES, 0) == 0);
	VT_CHECK(req(VMB_HOF_MEM_REGION, big, sizeof(struct vmb_hof_mem_region), NULL, 0) < 0);
}

CASE(too_many_descriptors)
{
	struct vmb_hof_hdr h = { 0 };
	int fds[3] = { ram_fd, ram_fd, ram_fd };
	struct msghdr mh = { 0 };
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr a;
	} u;
	struct iovec iov = { &h, sizeof(h) };
	struct cmsghdr *cm;

	h.type = VMB_HOF_START;
	h.len = sizeof(h);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	VT_EQ(sendmsg(front, &mh, 0), sizeof(h));
	VT_EQ(vmbnet_hof_back_control(&B), 0);
	VT_EQ(B.stats.bad_msgs, 1);
}

CASE(longer_than_max)
{
	uint8_t big[VMB_HOF_MSG_MAX + 64] = { 0 };

	VT_EQ(send(front, big, sizeof(big), 0), sizeof(big));
	VT_EQ(vmbnet_hof_back_control(&B), 0);
	VT_EQ(B.stats.bad_msgs, 1);
}

CASE_BEFORE_HELLO(before_hello)
{
	struct vmb_hof_link m = { .up = 1 };

	VT_CHECK(req(VMB_HOF_LINK, &m, sizeof(m), NULL, 0) < 0);
}

CASE_BEFORE_HELLO(hello_bad_version)
{
	VT_EQ(hello(VMB_HOF_VERSION + 1, vmb_hof_state_size(1)), -EPROTONOSUPPORT);
}

CASE_BEFORE_HELLO(hello_state_too_small)
{
	VT_CHECK(hello(VMB_HOF_VERSION, vmb_hof_state_size(1) - 8) < 0);
	VT_CHECK(hello(VMB_HOF_VERSION, 64ull << 20) < 0); /* past the memfd's end */
}

CASE(hello_twice)
{
	VT_EQ(hello(VMB_HOF_VERSION, vmb_hof_state_size(1)), -EALREADY);
}

CASE(region_unaligned)
{
	VT_CHECK(region(RAM_GPA + 8, RAM_BYTES - VMB_PAGE_SIZE, 0) < 0);
	VT_CHECK(region(RAM_GPA, RAM_BYTES, 100) < 0);
}

CASE(region_beyond_file)
{
	VT_CHECK(region(RAM_GPA, 2 * RAM_BYTES, 0) < 0);
	VT_CHECK(region(RAM_GPA, RAM_BYTES, VMB_PAGE_SIZE) < 0);
}

CASE(region_not_sealed)
{
	int fd = memfd(RAM_BYTES, false), keep = ram_fd;

	ram_fd = fd; /* a front end that could shrink it later: SIGBUS */
	VT_CHECK(region(RAM_GPA, RAM_BYTES, 0) < 0);
	ram_fd = keep;
	close(fd);
}

CASE(region_wraps)
{
	VT_CHECK(region(~0ull & ~0xfffull, RAM_BYTES, 0) < 0);
}

CASE_OWN_REGION(region_overlaps)
{
	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
	VT_CHECK(region(RAM_GPA + RAM_BYTES - VMB_PAGE_SIZE, VMB_PAGE_SIZE, 0) < 0);
}

CASE(gpadl_count_differs)
{
	uint8_t buf[sizeof(struct vmb_hof_gpadl) + 16] = { 0 };
	struct vmb_hof_gpadl *m = (struct vmb_hof_gpadl *)buf;

	m->id = 5;
	m->relid = 1;
	m->npages = 2;
	m->count = 3; /* but 2 pfns follow */
	VT_CHECK(req(VMB_HOF_GPADL, m, sizeof(buf), NULL, 0) < 0);
}

CASE_OWN_REGION(gpadl_out_of_sequence)
{
	uint64_t pfn = RAM_GPA >> 12;

	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
	VT_CHECK(gpadl(5, pfn, 4, 2, 2) < 0);
	VT_EQ(gpadl(6, pfn, 4, 0, 2), 0);
	VT_CHECK(gpadl(6, pfn, 4, 3, 1) < 0);
}

CASE_OWN_REGION(gpadl_outside_memory)
{
	uint64_t pfn = RAM_GPA >> 12;

	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
	VT_CHECK(gpadl(5, pfn + RAM_BYTES / VMB_PAGE_SIZE - 1, 2, 0, 2) < 0);
}

CASE_OWN_REGION(open_bad_index)
{
	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
	VT_CHECK(chan_open(7, 9) < 0);
}

CASE_OWN_REGION(open_unknown_gpadl)
{
	VT_EQ(region(RAM_GPA, RAM_BYTES, 0), 0);
	VT_CHECK(chan_open(0, 9) < 0);
}

CASE(close_not_open)
{
	struct vmb_hof_chan_close m = { .index = 0 };

	VT_CHECK(req(VMB_HOF_CHAN_CLOSE, &m, sizeof(m), NULL, 0) < 0);
}

CASE(teardown_unknown)
{
	struct vmb_hof_gpadl_teardown m = { .id = 99 };

	VT_CHECK(req(VMB_HOF_GPADL_TEARDOWN, &m, sizeof(m), NULL, 0) < 0);
}

/*
 * Regression (found by fuzz_hof_back): an empty datagram reads as a
 * hang-up, and a descriptor it carried was left open by the back end.
 */
static void empty_message_with_descriptor(void)
{
	setup();
	VT_EQ(vmbnet_hof_send(front, "", 0, &ram_fd, 1), 0);
	VT_EQ(vmbnet_hof_back_control(&B), -ENOTCONN);
	release_all();
}

static const struct vt_case cases[] = {
	VT_CASE(empty_message_with_descriptor),
	VT_CASE(shorter_than_header),
	VT_CASE(length_differs),
	VT_CASE(unknown_type),
	VT_CASE(ack_from_front),
	VT_CASE(offer_from_front),
	VT_CASE(fault_rules),
	VT_CASE(open_unknown_flag),
	VT_CASE(wrong_descriptor_count),
	VT_CASE(too_many_descriptors),
	VT_CASE(longer_than_max),
	VT_CASE(before_hello),
	VT_CASE(hello_bad_version),
	VT_CASE(hello_state_too_small),
	VT_CASE(hello_twice),
	VT_CASE(region_unaligned),
	VT_CASE(region_beyond_file),
	VT_CASE(region_not_sealed),
	VT_CASE(region_wraps),
	VT_CASE(region_overlaps),
	VT_CASE(gpadl_count_differs),
	VT_CASE(gpadl_out_of_sequence),
	VT_CASE(gpadl_outside_memory),
	VT_CASE(open_bad_index),
	VT_CASE(open_unknown_gpadl),
	VT_CASE(close_not_open),
	VT_CASE(teardown_unknown),
};

VT_MAIN(cases)
