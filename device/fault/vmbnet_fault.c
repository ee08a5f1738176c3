// SPDX-License-Identifier: MIT
/*
 * vmbnet fault engine: rules, triggers, the seeded draw and the log of
 * fired faults. See vmbnet_fault.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vmbnet_fault.h"

static const char *const point_names[VMBNET_FP__COUNT] = {
	[VMBNET_FP_COMPLETION] = "completion",
	[VMBNET_FP_NVSP_INIT] = "nvsp_init",
	[VMBNET_FP_RECEIVE] = "receive",
	[VMBNET_FP_RING] = "ring",
};

static const char *const action_names[VMBNET_FA__COUNT] = {
	[VMBNET_FA_DROP] = "drop",
	[VMBNET_FA_STATUS] = "status",
	[VMBNET_FA_WRONG_TRANS_ID] = "wrong_trans_id",
	[VMBNET_FA_DUPLICATE] = "duplicate",
	[VMBNET_FA_REFUSE_VERSION] = "refuse_version",
	[VMBNET_FA_DELAY] = "delay",
	[VMBNET_FA_REORDER] = "reorder",
	[VMBNET_FA_WITHHOLD] = "withhold",
	[VMBNET_FA_STALL] = "stall",
	[VMBNET_FA_LINK_FLAP] = "link_flap",
	[VMBNET_FA_RESCIND] = "rescind",
	[VMBNET_FA_KILL] = "kill",
	[VMBNET_FA_REVOKE] = "revoke",
	[VMBNET_FA_RESET] = "reset",
};

/* Which actions mean something at which point. */
static bool action_fits(uint32_t point, uint32_t action)
{
	switch (point) {
	case VMBNET_FP_COMPLETION:
		return action == VMBNET_FA_DROP || action == VMBNET_FA_STATUS ||
		       action == VMBNET_FA_WRONG_TRANS_ID || action == VMBNET_FA_DUPLICATE ||
		       action == VMBNET_FA_DELAY || action == VMBNET_FA_REORDER ||
		       action == VMBNET_FA_WITHHOLD || action == VMBNET_FA_LINK_FLAP ||
		       action == VMBNET_FA_RESCIND || action == VMBNET_FA_KILL ||
		       action == VMBNET_FA_REVOKE || action == VMBNET_FA_RESET;
	case VMBNET_FP_NVSP_INIT:
		return action == VMBNET_FA_REFUSE_VERSION;
	case VMBNET_FP_RECEIVE:
		return action == VMBNET_FA_DROP || action == VMBNET_FA_LINK_FLAP ||
		       action == VMBNET_FA_RESCIND || action == VMBNET_FA_KILL ||
		       action == VMBNET_FA_REVOKE || action == VMBNET_FA_RESET;
	case VMBNET_FP_RING:
		return action == VMBNET_FA_STALL || action == VMBNET_FA_LINK_FLAP ||
		       action == VMBNET_FA_KILL || action == VMBNET_FA_RESET;
	}
	return false;
}

bool vmbnet_fault_action_timed(uint32_t action)
{
	return action == VMBNET_FA_DELAY || action == VMBNET_FA_STALL ||
	       action == VMBNET_FA_LINK_FLAP || action == VMBNET_FA_RESCIND ||
	       action == VMBNET_FA_REVOKE;
}

const char *vmbnet_fault_point_name(uint32_t point)
{
	return point < VMBNET_FP__COUNT ? point_names[point] : NULL;
}

const char *vmbnet_fault_action_name(uint32_t action)
{
	return action < VMBNET_FA__COUNT ? action_names[action] : NULL;
}

uint32_t vmbnet_fault_point_by_name(const char *name)
{
	for (uint32_t i = 1; i < VMBNET_FP__COUNT; i++)
		if (!strcmp(point_names[i], name))
			return i;
	return 0;
}

uint32_t vmbnet_fault_action_by_name(const char *name)
{
	for (uint32_t i = 1; i < VMBNET_FA__COUNT; i++)
		if (!strcmp(action_names[i], name))
			return i;
	return 0;
}

/* splitmix64: one 64-bit draw per call, the same sequence for a seed. */
static uint64_t draw(struct vmbnet_fault *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t now_ns(const struct vmbnet_fault *f)
{
	return f->clock_ns ? f->clock_ns(f->clock_opaque) : 0;
}

uint64_t vmbnet_fault_now(const struct vmbnet_fault *f)
{
	return now_ns(f);
}

/* A draw in [0, 1). */
static double draw_unit(struct vmbnet_fault *f)
{
	return (double)(draw(f) >> 11) * 0x1p-53;
}

uint64_t vmbnet_fault_duration(struct vmbnet_fault *f, const struct vmbnet_fault_rule *r)
{
	double extra = 0;

	if (r->dist == VMBNET_FD_UNIFORM)
		extra = draw_unit(f) * (double)r->jitter_ns;
	else if (r->dist == VMBNET_FD_EXPONENTIAL)
		extra = -log1p(-draw_unit(f)) * (double)r->jitter_ns;
	/* bounded: an exponential's tail must not hold a completion for ever */
	if (extra > 1000.0 * (double)r->jitter_ns)
		extra = 1000.0 * (double)r->jitter_ns;
	return r->duration_ns + (uint64_t)extra;
}

uint64_t vmbnet_fault_window_end(const struct vmbnet_fault *f, const struct vmbnet_fault_rule *r)
{
	if (!r->trigger.for_ns)
		return UINT64_MAX;
	return r->since_ns + r->trigger.after_ns + r->trigger.for_ns;
}

void vmbnet_fault_init(struct vmbnet_fault *f, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->seed = f->rng = seed;
}

void vmbnet_fault_set_clock(struct vmbnet_fault *f, uint64_t (*clock_ns)(void *), void *opaque)
{
	f->clock_ns = clock_ns;
	f->clock_opaque = opaque;
	f->start_ns = now_ns(f);
	/* rules loaded before the clock count from now */
	for (uint32_t i = 0; i < f->nrules; i++)
		f->rules[i].since_ns = f->start_ns;
}

static int find_rule(const struct vmbnet_fault *f, const char *id)
{
	for (uint32_t i = 0; i < f->nrules; i++)
		if (!strcmp(f->rules[i].id, id))
			return (int)i;
	return -1;
}

int vmbnet_fault_add(struct vmbnet_fault *f, const struct vmbnet_fault_rule *r)
{
	struct vmbnet_fault_rule *n;

	if (!r->id[0] || !memchr(r->id, 0, sizeof(r->id)) || find_rule(f, r->id) >= 0 ||
	    !vmbnet_fault_point_name(r->point) || !vmbnet_fault_action_name(r->action) ||
	    !action_fits(r->point, r->action) ||
	    !(r->trigger.probability >= 0 && r->trigger.probability <= 1) ||
	    r->dist >= VMBNET_FD__COUNT || (r->dist != VMBNET_FD_FIXED && !r->jitter_ns) ||
	    (r->match.max_len && r->match.min_len > r->match.max_len) ||
	    vmbnet_fault_action_timed(r->action) != (r->duration_ns || r->jitter_ns) ||
	    (r->action != VMBNET_FA_DELAY && (r->dist || r->jitter_ns)))
		return -EINVAL;
	if (f->refused_actions & (1u << r->action))
		return -EOPNOTSUPP;
	if (f->nrules == VMBNET_FAULT_MAX_RULES)
		return -ENOSPC;
	n = &f->rules[f->nrules++];
	*n = *r;
	n->matched = n->fired = 0;
	n->since_ns = now_ns(f);
	return 0;
}

int vmbnet_fault_remove(struct vmbnet_fault *f, const char *id)
{
	int i = find_rule(f, id);

	if (i < 0)
		return -ENOENT;
	memmove(&f->rules[i], &f->rules[i + 1],
		(f->nrules - (uint32_t)i - 1) * sizeof(f->rules[0]));
	f->nrules--;
	return 0;
}

static bool field_matches(uint32_t want, uint32_t got)
{
	return want == VMBNET_FAULT_ANY || want == got;
}

static bool matches(const struct vmbnet_fault_rule *r, const struct vmbnet_fault_ctx *c)
{
	return r->point == c->point && field_matches(r->match.chan, c->chan) &&
	       field_matches(r->match.nvsp_type, c->nvsp_type) &&
	       field_matches(r->match.rndis_type, c->rndis_type) &&
	       field_matches(r->match.section, c->section) && c->len >= r->match.min_len &&
	       (!r->match.max_len || c->len <= r->match.max_len);
}

/* Does @r, which just matched for the r->matched-th time, fire at @t? */
static bool triggers(struct vmbnet_fault *f, const struct vmbnet_fault_rule *r, uint64_t t)
{
	const struct vmbnet_fault_trigger *tr = &r->trigger;
	uint64_t since = t - r->since_ns;

	if (since < tr->after_ns || (tr->for_ns && since - tr->after_ns >= tr->for_ns))
		return false;
	if ((tr->every && r->matched % tr->every) || (tr->nth && r->matched != tr->nth))
		return false;
	if (tr->count && r->fired >= tr->count)
		return false;
	/* a draw only for rules that use one, so adding one does not shift others */
	if (tr->probability < 1 && draw_unit(f) >= tr->probability)
		return false;
	return true;
}

const struct vmbnet_fault_rule *vmbnet_fault_check(struct vmbnet_fault *f,
						   const struct vmbnet_fault_ctx *ctx)
{
	struct vmbnet_fault_rule *hit = NULL;
	struct vmbnet_fault_event *e;
	uint64_t t;

	if (!f || !f->nrules)
		return NULL;
	t = now_ns(f);
	for (uint32_t i = 0; i < f->nrules; i++) {
		struct vmbnet_fault_rule *r = &f->rules[i];

		if (!matches(r, ctx))
			continue;
		r->matched++;
		if (!hit && triggers(f, r, t))
			hit = r;
	}
	if (!hit)
		return NULL;
	hit->fired++;
	e = &f->log[f->seq % VMBNET_FAULT_LOG_LEN];
	*e = (struct vmbnet_fault_event){
		.seq = ++f->seq,
		.time_ns = t - f->start_ns,
		.rule = (uint32_t)(hit - f->rules),
		.point = ctx->point,
		.action = hit->action,
		.chan = ctx->chan,
		.trans_id = ctx->trans_id,
	};
	memcpy(e->id, hit->id, sizeof(e->id));
	if (f->fired)
		f->fired(f->fired_opaque, e);
	return hit;
}

const struct vmbnet_fault_event *vmbnet_fault_last(const struct vmbnet_fault *f, unsigned int i)
{
	if (i >= VMBNET_FAULT_LOG_LEN || i >= f->seq)
		return NULL;
	return &f->log[(f->seq - 1 - i) % VMBNET_FAULT_LOG_LEN];
}

int vmbnet_fault_format(const struct vmbnet_fault_event *e, char *buf, size_t len)
{
	const char *point = vmbnet_fault_point_name(e->point);
	const char *action = vmbnet_fault_action_name(e->action);

	return snprintf(buf, len,
			"fault %" PRIu64 " rule=%s point=%s action=%s chan=%u trans_id=%" PRIu64
			" t_ns=%" PRIu64,
			e->seq, e->id, point ? point : "?", action ? action : "?", e->chan,
			e->trans_id, e->time_ns);
}

void vmbnet_fault_refuse(struct vmbnet_fault *f, uint32_t action, const char *why)
{
	if (action >= VMBNET_FA__COUNT)
		return;
	f->refused_actions |= 1u << action;
	f->refused_why[action] = why;
}

void vmbnet_fault_refuse_b(struct vmbnet_fault *f)
{
	vmbnet_fault_refuse(f, VMBNET_FA_RESCIND, VMBNET_FAULT_RESCIND_B);
	vmbnet_fault_refuse(f, VMBNET_FA_RESET, VMBNET_FAULT_RESET_B);
}
