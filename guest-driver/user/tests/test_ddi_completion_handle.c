// SPDX-License-Identifier: MIT
/*
 * DOT11EXTIHV_SEND_PACKET_COMPLETION: the caller's handle comes back with
 * the completion, exactly once, and only then may the caller free the
 * packet (it stays in use until then: the device reads it late).
 *
 * usage: test_ddi_completion_handle --list | <case>
 */
#include "harness.h"

static unsigned int calls;
static void *handles[8];

static void completion(void *arg, void *h)
{
	handles[calls++] = h;
}

/* Each case: a fresh harness with the completion registered. */
static void setup(void)
{
	h_init();
	vmbnet_dot11_register(&H.core, completion, NULL);
}

/* A 200-byte frame (pattern seed 9) in guest memory. */
static uint8_t *new_frame(void)
{
	uint8_t *frame = h_dma(200, NULL);

	h_frame(frame, 200, 9);
	return frame;
}

static void handle_back_once_device_done(void)
{
	uint8_t *frame = new_frame();

	H.host_runs = false;
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 200, (void *)0xabc), 0);
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 200, (void *)0xdef), 0);
	VT_EQ(calls, 0); /* not before the device is done with it */
	h_run();
	VT_EQ(calls, 2);
	VT_CHECK(handles[0] == (void *)0xabc);
	VT_CHECK(handles[1] == (void *)0xdef);
	VT_EQ(H.frames, 2);
	VT_EQ(H.last_len, 200);
	VT_EQ(H.last[199], (uint8_t)(9 + 199 * 7));
	h_run();
	VT_EQ(calls, 2); /* exactly once */
	VT_EQ(H.core.in_use, 0);
}

/* Link down: the handle still comes back (the send failed). */
static void link_down_handle_still_back(void)
{
	uint8_t *frame = new_frame();

	H.host_runs = false;
	h_set_link(false);
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 200, (void *)0x123), 0);
	h_run();
	VT_EQ(calls, 1);
	VT_CHECK(handles[0] == (void *)0x123);
	VT_EQ(H.core.in_use, 0);
}

/* Bad arguments: refused, never completed. */
static void bad_arguments_never_completed(void)
{
	uint8_t *frame = new_frame();

	H.host_runs = false;
	VT_EQ(vmbnet_dot11_send_packet(&H.core, NULL, 200, (void *)1),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 0, (void *)1),
	      VMBNET_STATUS_INVALID_PARAMETER);
	h_run();
	VT_EQ(calls, 0);
	VT_EQ(H.frames, 0);
	VT_EQ(H.core.in_use, 0);
}

static const struct vt_case cases[] = {
	VT_CASE(handle_back_once_device_done),
	VT_CASE(link_down_handle_still_back),
	VT_CASE(bad_arguments_never_completed),
};

VT_MAIN_FIXTURE(cases, setup, h_fini)
