// SPDX-License-Identifier: MIT
/*
 * vmbnet-pci in-process (vmb_sim.h): the register file as a guest sees it,
 * and what it refuses.
 *
 * usage: test_sim --list | <case>
 */
#include <errno.h>
#include <string.h>

#include "vmb_test.h"
#include "vmbnet/vmb_sim.h"
#include "vmbnet/vmb_wire.h"

static const struct vmb_sim_config base = {
	.channels = 2,
	.mtu = 1500,
	.ring_pages = 16,
	.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
	.ram_mib = 4,
};

static struct vmb_sim *S;

static void setup(void)
{
	VT_EQ(vmb_sim_create(&base, &S), 0);
}

static void teardown(void)
{
	vmb_sim_destroy(S);
}

static uint64_t guest_errors(void)
{
	struct vmb_sim_stats st;

	vmb_sim_get_stats(S, &st);
	return st.guest_errors;
}

static void post(const void *msg, uint32_t len)
{
	uint32_t w[VMB_MSG_MAX / 4] = { 0 };

	memcpy(w, msg, len);
	for (uint32_t i = 0; i < (len + 3) / 4; i++)
		vmb_sim_write(S, VMB_REG_MSG_TX + 4 * i, w[i]);
	vmb_sim_write(S, VMB_REG_MSG_SEND, len);
}

/* The identification registers say what the configuration said. */
static void identity(void)
{
	VT_EQ(vmb_sim_read(S, VMB_REG_MAGIC), VMB_PCI_MAGIC);
	VT_EQ(vmb_sim_read(S, VMB_REG_VERSION), VMB_PCI_VERSION);
	VT_EQ(vmb_sim_read(S, VMB_REG_NUM_CHANNELS), 2);
	VT_EQ(vmb_sim_read(S, VMB_REG_MTU), 1500);
	VT_EQ(vmb_sim_read(S, VMB_REG_RING_PAGES), 16);
	VT_EQ(vmb_sim_read(S, VMB_REG_MAC_LO), 0x33221102u);
	VT_EQ(vmb_sim_read(S, VMB_REG_MAC_HI), 0x5544u);
	VT_EQ(vmb_sim_read(S, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, VMB_STATUS_LINK_UP);
	VT_EQ(guest_errors(), 0);
}

/* Unknown registers read 0 and are counted; so are writes to them. */
static void unknown_registers_counted(void)
{
	VT_EQ(vmb_sim_read(S, 0x300), 0);
	vmb_sim_write(S, VMB_REG_MAGIC, 1);
	VT_EQ(guest_errors(), 2);
}

/* A message longer than the page is refused and counted, not parsed. */
static void long_message_refused(void)
{
	vmb_sim_write(S, VMB_REG_MSG_SEND, VMB_MSG_MAX + 4);
	VT_EQ(guest_errors(), 1);
	VT_EQ(vmb_sim_read(S, VMB_REG_MSG_RECV), 0);
}

/* INITIATE_CONTACT through the page: the answer is popped by MSG_RECV. */
static void contact_through_page(void)
{
	struct vmb_msg_initiate_contact m = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
	};
	uint32_t len;

	post(&m, sizeof(m));
	VT_EQ(vmb_sim_read(S, VMB_REG_STATUS) & VMB_STATUS_MSG_PENDING, VMB_STATUS_MSG_PENDING);
	len = vmb_sim_read(S, VMB_REG_MSG_RECV);
	VT_EQ(len, sizeof(struct vmb_msg_version_response));
	VT_EQ(vmb_sim_read(S, VMB_REG_MSG_RX), VMB_MSG_VERSION_RESPONSE);
	VT_EQ(vmb_sim_read(S, VMB_REG_MSG_RX + 8) & 0xff, 1); /* version_supported */
	VT_EQ(vmb_sim_read(S, VMB_REG_MSG_RECV), 0);
}

/* Reset forgets the connection and what was queued. */
static void reset_drops_queue(void)
{
	struct vmb_msg_initiate_contact m = {
		.hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
		.version_requested = VMB_PROTO_VERSION_1_0,
	};

	post(&m, sizeof(m));
	vmb_sim_write(S, VMB_REG_CONTROL, VMB_CTRL_RESET);
	VT_EQ(vmb_sim_read(S, VMB_REG_MSG_RECV), 0);
	VT_EQ(vmb_sim_read(S, VMB_REG_STATUS) & VMB_STATUS_MSG_PENDING, 0);
}

/* The link goes down and the status register says so. */
static void link_down(void)
{
	vmb_sim_set_link(S, false);
	VT_EQ(vmb_sim_read(S, VMB_REG_STATUS) & VMB_STATUS_LINK_UP, 0);
}

/* Configurations the register map cannot describe are refused. */
static void bad_config_refused(void)
{
	struct vmb_sim_config c = base;
	struct vmb_sim *s = (struct vmb_sim *)&c;

	c.channels = 0;
	VT_EQ(vmb_sim_create(&c, &s), -EINVAL);
	VT_CHECK(s == NULL);
	c = base;
	c.channels = VMB_PCI_MAX_CHANNELS + 1;
	VT_EQ(vmb_sim_create(&c, &s), -EINVAL);
	c = base;
	c.mtu = VMB_PCI_MTU_MIN - 1;
	VT_EQ(vmb_sim_create(&c, &s), -EINVAL);
	c = base;
	c.ram_mib = 0;
	VT_EQ(vmb_sim_create(&c, &s), -EINVAL);
	/* datapath B needs no backend to exist yet, only the socket path */
	c = base;
	c.backend = "/nonexistent-dir/vmb-sim.sock";
	VT_CHECK(vmb_sim_create(&c, &s) < 0);
}

/* Datapath A has no backend to wait for. */
static void accept_needs_backend_mode(void)
{
	VT_EQ(vmb_sim_accept(S, 0), -EINVAL);
	VT_EQ(vmb_sim_wait(S, 0), 0);
}

static const struct vt_case cases[] = {
	VT_CASE(identity),
	VT_CASE(unknown_registers_counted),
	VT_CASE(long_message_refused),
	VT_CASE(contact_through_page),
	VT_CASE(reset_drops_queue),
	VT_CASE(link_down),
	VT_CASE(bad_config_refused),
	VT_CASE(accept_needs_backend_mode),
};

VT_MAIN_FIXTURE(cases, setup, teardown)
