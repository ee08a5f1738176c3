// SPDX-License-Identifier: MIT
/*
 * The fault engine's rules and triggers: what matches, when a match fires,
 * the seeded draw, the log of fired faults.
 */
#include <errno.h>
#include <string.h>

#include "vmb_test.h"
#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_fault.h"

static uint64_t fake_now;

static uint64_t fake_clock(void *opaque)
{
	return fake_now;
}

static struct vmbnet_fault_rule rule(const char *id, uint32_t point, uint32_t action)
{
	struct vmbnet_fault_rule r = {
		.point = point,
		.action = action,
		.match = { VMBNET_FAULT_ANY, VMBNET_FAULT_ANY, VMBNET_FAULT_ANY, 0, 0 },
		.trigger.probability = 1,
	};

	snprintf(r.id, sizeof(r.id), "%s", id);
	return r;
}

static const struct vmbnet_fault_ctx send_comp = {
	.point = VMBNET_FP_COMPLETION,
	.chan = 0,
	.nvsp_type = NVSP_MSG_SEND_RNDIS_PKT,
	.rndis_type = RNDIS_MSG_PACKET,
	.len = 100,
	.trans_id = 7,
};

/* How many of @n checks of @ctx fire. */
static unsigned int fires(struct vmbnet_fault *f, const struct vmbnet_fault_ctx *ctx,
			  unsigned int n)
{
	unsigned int k = 0;

	while (n--)
		k += vmbnet_fault_check(f, ctx) != NULL;
	return k;
}

static void no_rules_no_faults(void)
{
	struct vmbnet_fault f;

	vmbnet_fault_init(&f, 1);
	VT_CHECK(!vmbnet_fault_check(&f, &send_comp));
	VT_CHECK(!vmbnet_fault_check(NULL, &send_comp));
	VT_EQ(f.seq, 0);
}

static void match_fields(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule r = rule("m", VMBNET_FP_COMPLETION, VMBNET_FA_DROP);
	struct vmbnet_fault_ctx c = send_comp;

	vmbnet_fault_init(&f, 1);
	r.match.chan = 1;
	r.match.rndis_type = RNDIS_MSG_PACKET;
	r.match.min_len = 60;
	r.match.max_len = 200;
	VT_EQ(vmbnet_fault_add(&f, &r), 0);
	VT_CHECK(!vmbnet_fault_check(&f, &c)); /* channel 0 */
	c.chan = 1;
	VT_CHECK(vmbnet_fault_check(&f, &c));
	c.rndis_type = RNDIS_MSG_QUERY;
	VT_CHECK(!vmbnet_fault_check(&f, &c));
	c.rndis_type = RNDIS_MSG_PACKET;
	c.len = 59;
	VT_CHECK(!vmbnet_fault_check(&f, &c));
	c.len = 201;
	VT_CHECK(!vmbnet_fault_check(&f, &c));
	c.len = 200;
	c.point = VMBNET_FP_RECEIVE;
	VT_CHECK(!vmbnet_fault_check(&f, &c));
	VT_EQ(f.rules[0].matched, 1);
	VT_EQ(f.rules[0].fired, 1);
}

static void every_nth_and_count(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule every = rule("every3", VMBNET_FP_COMPLETION, VMBNET_FA_DROP);

	vmbnet_fault_init(&f, 1);
	every.trigger.every = 3;
	VT_EQ(vmbnet_fault_add(&f, &every), 0);
	VT_EQ(fires(&f, &send_comp, 9), 3);
	VT_EQ(vmbnet_fault_remove(&f, "every3"), 0);

	struct vmbnet_fault_rule nth = rule("fifth", VMBNET_FP_COMPLETION, VMBNET_FA_DUPLICATE);

	nth.trigger.nth = 5;
	VT_EQ(vmbnet_fault_add(&f, &nth), 0);
	for (unsigned int i = 1; i <= 10; i++)
		VT_EQ(vmbnet_fault_check(&f, &send_comp) != NULL, i == 5);
	VT_EQ(vmbnet_fault_remove(&f, "fifth"), 0);

	struct vmbnet_fault_rule twice = rule("twice", VMBNET_FP_COMPLETION, VMBNET_FA_DROP);

	twice.trigger.count = 2;
	VT_EQ(vmbnet_fault_add(&f, &twice), 0);
	VT_EQ(fires(&f, &send_comp, 10), 2);
	VT_EQ(f.seq, 3 + 1 + 2);
}

/* Same seed, same decisions; another seed, others; about the probability. */
static void probability_is_seeded(void)
{
	struct vmbnet_fault a, b, c;
	struct vmbnet_fault_rule r = rule("p", VMBNET_FP_COMPLETION, VMBNET_FA_DROP);
	unsigned int na = 0, differ = 0;

	r.trigger.probability = 0.25;
	vmbnet_fault_init(&a, 42);
	vmbnet_fault_init(&b, 42);
	vmbnet_fault_init(&c, 43);
	VT_EQ(vmbnet_fault_add(&a, &r), 0);
	VT_EQ(vmbnet_fault_add(&b, &r), 0);
	VT_EQ(vmbnet_fault_add(&c, &r), 0);
	for (unsigned int i = 0; i < 10000; i++) {
		bool x = vmbnet_fault_check(&a, &send_comp), y = vmbnet_fault_check(&b, &send_comp);
		bool z = vmbnet_fault_check(&c, &send_comp);

		VT_EQ(x, y);
		na += x;
		differ += x != z;
	}
	VT_CHECK(na > 2300 && na < 2700);
	VT_CHECK(differ > 1000);
}

static void time_window(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule r = rule("w", VMBNET_FP_RECEIVE, VMBNET_FA_DROP);
	struct vmbnet_fault_ctx rx = { .point = VMBNET_FP_RECEIVE, .len = 60 };

	fake_now = 1000;
	vmbnet_fault_init(&f, 1);
	vmbnet_fault_set_clock(&f, fake_clock, NULL);
	r.trigger.after_ns = 100;
	r.trigger.for_ns = 50;
	VT_EQ(vmbnet_fault_add(&f, &r), 0);
	fake_now = 1099;
	VT_CHECK(!vmbnet_fault_check(&f, &rx));
	fake_now = 1100;
	VT_CHECK(vmbnet_fault_check(&f, &rx));
	fake_now = 1149;
	VT_CHECK(vmbnet_fault_check(&f, &rx));
	fake_now = 1150;
	VT_CHECK(!vmbnet_fault_check(&f, &rx));
	VT_EQ(vmbnet_fault_last(&f, 0)->time_ns, 149);
}

/*
 * A rule added at run time counts its window from when it was added; one
 * loaded before the clock was set, from the clock's start.
 */
static void window_counts_from_the_add(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule early = rule("early", VMBNET_FP_RECEIVE, VMBNET_FA_DROP);
	struct vmbnet_fault_rule late = rule("late", VMBNET_FP_COMPLETION, VMBNET_FA_DROP);
	struct vmbnet_fault_ctx rx = { .point = VMBNET_FP_RECEIVE, .len = 60 };

	fake_now = 0;
	vmbnet_fault_init(&f, 1);
	early.trigger.after_ns = 100;
	VT_EQ(vmbnet_fault_add(&f, &early), 0);
	fake_now = 500;
	vmbnet_fault_set_clock(&f, fake_clock, NULL);
	fake_now = 599;
	VT_CHECK(!vmbnet_fault_check(&f, &rx));
	fake_now = 600;
	VT_CHECK(vmbnet_fault_check(&f, &rx));

	fake_now = 10000;
	late.trigger.after_ns = 100;
	late.trigger.for_ns = 50;
	VT_EQ(vmbnet_fault_add(&f, &late), 0);
	VT_EQ(vmbnet_fault_window_end(&f, &f.rules[1]), 10150);
	fake_now = 10099;
	VT_CHECK(!vmbnet_fault_check(&f, &send_comp));
	fake_now = 10100;
	VT_CHECK(vmbnet_fault_check(&f, &send_comp));
	fake_now = 10150;
	VT_CHECK(!vmbnet_fault_check(&f, &send_comp));
}

/* The first matching rule whose trigger holds fires; all count the match. */
static void first_rule_wins(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule a = rule("a", VMBNET_FP_COMPLETION, VMBNET_FA_STATUS);
	struct vmbnet_fault_rule b = rule("b", VMBNET_FP_COMPLETION, VMBNET_FA_DROP);
	const struct vmbnet_fault_rule *hit;

	vmbnet_fault_init(&f, 1);
	a.trigger.every = 2;
	a.arg = NVSP_STAT_FAIL;
	VT_EQ(vmbnet_fault_add(&f, &a), 0);
	VT_EQ(vmbnet_fault_add(&f, &b), 0);
	hit = vmbnet_fault_check(&f, &send_comp);
	VT_CHECK(hit && !strcmp(hit->id, "b"));
	hit = vmbnet_fault_check(&f, &send_comp);
	VT_CHECK(hit && !strcmp(hit->id, "a") && hit->arg == NVSP_STAT_FAIL);
	VT_EQ(f.rules[0].matched, 2);
	VT_EQ(f.rules[1].matched, 2);
	VT_EQ(f.rules[1].fired, 1);
}

static void bad_rules_refused(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule r = rule("x", VMBNET_FP_RECEIVE, VMBNET_FA_STATUS);

	vmbnet_fault_init(&f, 1);
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL); /* no status for a received frame */
	r = rule("x", VMBNET_FP_NVSP_INIT, VMBNET_FA_DROP);
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL);
	r = rule("", VMBNET_FP_RECEIVE, VMBNET_FA_DROP);
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL);
	r = rule("x", 99, VMBNET_FA_DROP);
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL);
	r = rule("x", VMBNET_FP_RECEIVE, VMBNET_FA_DROP);
	r.trigger.probability = 1.5;
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL);
	r.trigger.probability = 1;
	r.match.min_len = 10;
	r.match.max_len = 5;
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL);
	r.match.max_len = 0;
	VT_EQ(vmbnet_fault_add(&f, &r), 0);
	VT_EQ(vmbnet_fault_add(&f, &r), -EINVAL); /* the same id twice */
	VT_EQ(vmbnet_fault_remove(&f, "nope"), -ENOENT);
	for (unsigned int i = 1; i < VMBNET_FAULT_MAX_RULES; i++) {
		snprintf(r.id, sizeof(r.id), "r%u", i);
		VT_EQ(vmbnet_fault_add(&f, &r), 0);
	}
	snprintf(r.id, sizeof(r.id), "one-too-many");
	VT_EQ(vmbnet_fault_add(&f, &r), -ENOSPC);
}

static void log_keeps_the_newest(void)
{
	struct vmbnet_fault f;
	struct vmbnet_fault_rule r = rule("all", VMBNET_FP_COMPLETION, VMBNET_FA_WRONG_TRANS_ID);
	struct vmbnet_fault_ctx c = send_comp;
	char line[160];

	vmbnet_fault_init(&f, 1);
	VT_EQ(vmbnet_fault_add(&f, &r), 0);
	VT_CHECK(!vmbnet_fault_last(&f, 0));
	for (uint64_t i = 1; i <= VMBNET_FAULT_LOG_LEN + 5; i++) {
		c.trans_id = i;
		VT_CHECK(vmbnet_fault_check(&f, &c));
	}
	VT_EQ(vmbnet_fault_last(&f, 0)->seq, VMBNET_FAULT_LOG_LEN + 5);
	VT_EQ(vmbnet_fault_last(&f, 0)->trans_id, VMBNET_FAULT_LOG_LEN + 5);
	VT_EQ(vmbnet_fault_last(&f, VMBNET_FAULT_LOG_LEN - 1)->seq, 6);
	VT_CHECK(!vmbnet_fault_last(&f, VMBNET_FAULT_LOG_LEN));
	vmbnet_fault_format(vmbnet_fault_last(&f, 0), line, sizeof(line));
	VT_CHECK(!strcmp(line, "fault 69 rule=all point=completion action=wrong_trans_id chan=0 "
			       "trans_id=69 t_ns=0"));
}

static const struct vt_case cases[] = {
	VT_CASE(no_rules_no_faults),   VT_CASE(match_fields),
	VT_CASE(every_nth_and_count),  VT_CASE(probability_is_seeded),
	VT_CASE(time_window),	       VT_CASE(window_counts_from_the_add),
	VT_CASE(first_rule_wins),      VT_CASE(bad_rules_refused),
	VT_CASE(log_keeps_the_newest),
};

VT_MAIN(cases)
