/* SPDX-License-Identifier: MIT */
/*
 * vmbnet fault engine: a host that misbehaves on purpose, by rule.
 *
 * The NIC (device/nic, so both datapaths) asks the engine at a few points
 * of its work whether to misbehave: a rule matches what is happening
 * (channel, NVSP and RNDIS message, frame size), its trigger decides
 * (always, with a probability, every Nth match, the Nth only, within a
 * time window, at most so many times) and its action says what the host
 * does instead (drop a completion, complete with another status or a
 * trans_id that is not outstanding, complete twice, refuse the NVSP
 * version, drop a frame to the guest; hold a completion back for a while,
 * behind the next one, or until the rule's window ends; stop reading the
 * guest's ring for a while; take the link down for a while; rescind the
 * NIC and offer it again a while later; lose the guest's receive and send
 * buffers for a while; reset the device under the guest; kill the
 * backend). Each fired fault gets a sequence
 * number and is logged. Decisions depend only on the seed, the rules and
 * the order and times of the checks: with the embedder's virtual clock
 * (QEMU's under -icount), a run repeats exactly.
 *
 * Plain C, no allocation after set-up, no locking: one engine per NIC,
 * used from the thread that runs the NIC. Scenario files (JSON, see
 * device/fault/SCENARIO.md) are read by vmbnet_fault_json.c.
 */
#ifndef VMBNET_FAULT_H
#define VMBNET_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMBNET_FAULT_MAX_RULES 32
#define VMBNET_FAULT_LOG_LEN 64 /* fired faults kept, newest last */
#define VMBNET_FAULT_ID_MAX 32 /* bytes of a rule's name, NUL included */

/* Where the NIC asks. */
enum vmbnet_fault_point {
	VMBNET_FP_COMPLETION = 1, /* the host completes a guest packet */
	VMBNET_FP_NVSP_INIT, /* the guest's NVSP INIT: the version answer */
	VMBNET_FP_RECEIVE, /* a frame from the network for the guest */
	VMBNET_FP_RING, /* the host is about to read a channel's guest ring (per pass) */
	VMBNET_FP__COUNT
};

enum vmbnet_fault_action {
	VMBNET_FA_DROP = 1, /* completion or frame not written */
	VMBNET_FA_STATUS, /* completion with status @arg */
	VMBNET_FA_WRONG_TRANS_ID, /* completion for an id that is not outstanding */
	VMBNET_FA_DUPLICATE, /* completion written twice */
	VMBNET_FA_REFUSE_VERSION, /* NVSP INIT answered with failure */
	VMBNET_FA_DELAY, /* completion written after a drawn duration */
	VMBNET_FA_REORDER, /* completion written after the channel's next one */
	VMBNET_FA_WITHHOLD, /* completion held until the rule's window ends */
	VMBNET_FA_STALL, /* the ring is not read for a duration */
	VMBNET_FA_LINK_FLAP, /* link down for a duration, then as it was */
	VMBNET_FA_RESCIND, /* the NIC rescinded (what it does goes), offered again after a duration */
	VMBNET_FA_KILL, /* the host process dies at once, mid-work (datapath B's backend) */
	VMBNET_FA_REVOKE, /* receive and send buffers (their GPADLs) unusable for a duration */
	VMBNET_FA_RESET, /* the device resets under the guest: channels, GPADLs, contact forgotten */
	VMBNET_FA__COUNT
};

#define VMBNET_FAULT_ANY UINT32_MAX

/* How a duration is drawn (VMBNET_FA_DELAY; the others are fixed). */
enum vmbnet_fault_dist {
	VMBNET_FD_FIXED, /* duration_ns */
	VMBNET_FD_UNIFORM, /* duration_ns + uniform in [0, jitter_ns) */
	VMBNET_FD_EXPONENTIAL, /* duration_ns + exponential of mean jitter_ns */
	VMBNET_FD__COUNT
};

/* What a rule matches; VMBNET_FAULT_ANY (or 0 for the lengths) matches all. */
struct vmbnet_fault_match {
	uint32_t chan;
	uint32_t nvsp_type; /* of the guest's message */
	uint32_t rndis_type; /* of the RNDIS message it carried */
	uint32_t min_len, max_len; /* bytes of that message or frame; max 0 = no limit */
	uint32_t section; /* 1: the packet came in a send section, 0: it did not */
};

/*
 * When a matching check fires. Every condition set must hold: inside
 * [after_ns, after_ns + for_ns) of the engine's clock (for_ns 0 = no end),
 * the match count is a multiple of @every (0 = each) or equals @nth (0 =
 * any), the random draw is below @probability (1 = always), and the rule
 * has fired fewer than @count times (0 = no limit).
 */
struct vmbnet_fault_trigger {
	double probability;
	uint64_t every, nth, count;
	uint64_t after_ns, for_ns;
};

struct vmbnet_fault_rule {
	char id[VMBNET_FAULT_ID_MAX];
	uint32_t point; /* enum vmbnet_fault_point */
	struct vmbnet_fault_match match;
	struct vmbnet_fault_trigger trigger;
	uint32_t action; /* enum vmbnet_fault_action */
	uint32_t arg; /* VMBNET_FA_STATUS: the status */
	uint32_t dist; /* enum vmbnet_fault_dist */
	uint64_t duration_ns, jitter_ns; /* DELAY, STALL, LINK_FLAP, RESCIND, REVOKE */
	uint64_t matched, fired; /* counters */
	uint64_t since_ns; /* the clock when it was added: its window counts from there */
};

/* What is happening, as the NIC tells it. */
struct vmbnet_fault_ctx {
	uint32_t point;
	uint32_t chan;
	uint32_t nvsp_type, rndis_type; /* 0 when there is none */
	uint32_t len;
	uint32_t section; /* completion: the packet came in a send section */
	uint64_t trans_id;
};

/* One fired fault. */
struct vmbnet_fault_event {
	uint64_t seq; /* 1, 2, ... over the engine's life */
	uint64_t time_ns; /* the engine's clock */
	uint32_t rule; /* index in rules[] when it fired */
	uint32_t point, action, chan;
	uint64_t trans_id;
	char id[VMBNET_FAULT_ID_MAX];
};

struct vmbnet_fault {
	uint64_t seed;
	uint64_t rng; /* splitmix64 state */
	uint64_t (*clock_ns)(void *opaque); /* NULL: time 0 throughout */
	void *clock_opaque;
	uint64_t start_ns; /* the clock when the rules were loaded */
	struct vmbnet_fault_rule rules[VMBNET_FAULT_MAX_RULES];
	uint32_t nrules;
	uint64_t seq; /* faults fired */
	struct vmbnet_fault_event log[VMBNET_FAULT_LOG_LEN];
	/* actions the embedder cannot do (bit 1 << action): rules with them are
	 * refused, with @refused_why[action] (vmbnet_fault_refuse())
	 */
	uint32_t refused_actions;
	const char *refused_why[VMBNET_FA__COUNT];
	/* optional: each fired fault as it happens (a log line, a trace event) */
	void (*fired)(void *opaque, const struct vmbnet_fault_event *e);
	void *fired_opaque;
};

/* An engine with no rules, drawing from @seed. */
void vmbnet_fault_init(struct vmbnet_fault *f, uint64_t seed);

/* Set the clock (times in rules count from now). */
void vmbnet_fault_set_clock(struct vmbnet_fault *f, uint64_t (*clock_ns)(void *), void *opaque);

/*
 * Add @r (its counters are reset). 0, -EINVAL for a rule that cannot be
 * (unknown point or action, an action the point has no meaning for, a
 * probability outside 0..1, an empty or duplicate id), -ENOSPC when full.
 */
int vmbnet_fault_add(struct vmbnet_fault *f, const struct vmbnet_fault_rule *r);
/* Remove the rule named @id: 0 or -ENOENT. */
int vmbnet_fault_remove(struct vmbnet_fault *f, const char *id);

/* The embedder cannot do @action: rules with it are refused from now on
 * (-EOPNOTSUPP; the JSON readers say @why). Before any rule is added.
 */
void vmbnet_fault_refuse(struct vmbnet_fault *f, uint32_t action, const char *why);
/* Why datapath A refuses a kill rule. */
#define VMBNET_FAULT_KILL_A "action kill acts on datapath B only: on A the NIC runs in QEMU itself"
/* Why datapath B refuses a rescind rule (the front end owns the offers). */
#define VMBNET_FAULT_RESCIND_B \
	"action rescind acts on datapath A only: on B the front end owns the offers"
/* Why datapath B refuses a reset rule (the front end owns the device). */
#define VMBNET_FAULT_RESET_B \
	"action reset acts on datapath A only: on B the front end owns the device"
/* What datapath B's front end and backend cannot do (the actions above). */
void vmbnet_fault_refuse_b(struct vmbnet_fault *f);

/*
 * The NIC's question at @ctx->point: the rule that fires (logged, counted),
 * or NULL to behave. The first matching rule whose trigger holds fires;
 * every matching rule counts the match.
 */
const struct vmbnet_fault_rule *vmbnet_fault_check(struct vmbnet_fault *f,
						   const struct vmbnet_fault_ctx *ctx);

/* The engine's clock now (absolute, as its clock function gives it). */
uint64_t vmbnet_fault_now(const struct vmbnet_fault *f);

/* How long @r's action lasts this time: drawn from its distribution with
 * the engine's seeded generator (so a run repeats).
 */
uint64_t vmbnet_fault_duration(struct vmbnet_fault *f, const struct vmbnet_fault_rule *r);

/* When @r's window ends on the engine's clock (absolute), UINT64_MAX for
 * a rule without one.
 */
uint64_t vmbnet_fault_window_end(const struct vmbnet_fault *f, const struct vmbnet_fault_rule *r);

/* The @i-th newest fired fault (0 = the last), or NULL. */
const struct vmbnet_fault_event *vmbnet_fault_last(const struct vmbnet_fault *f, unsigned int i);

/* @action lasts a while: its rules need a duration, the others have none. */
bool vmbnet_fault_action_timed(uint32_t action);

/* Names, for scenario files and logs; NULL or 0 when unknown. */
const char *vmbnet_fault_point_name(uint32_t point);
const char *vmbnet_fault_action_name(uint32_t action);
uint32_t vmbnet_fault_point_by_name(const char *name);
uint32_t vmbnet_fault_action_by_name(const char *name);

/* One fired fault as a line of text, without newline: its length. */
int vmbnet_fault_format(const struct vmbnet_fault_event *e, char *buf, size_t len);

/* ---- scenario files (vmbnet_fault_json.c, needs jansson) ---------------- */

#define VMBNET_FAULT_SCENARIO_VERSION 1

/*
 * Load a scenario (SCENARIO.md) from the JSON text @json of @len bytes into
 * @f, which it re-initialises with the scenario's seed (or @f's, when the
 * file names none). 0, or -EINVAL with the reason in @err (a JSON error's
 * line and column, or the rule and field at fault); @f is then unchanged.
 */
int vmbnet_fault_load(struct vmbnet_fault *f, const char *json, size_t len, char *err,
		      size_t errlen);
/* The same from the file at @path. */
int vmbnet_fault_load_file(struct vmbnet_fault *f, const char *path, char *err, size_t errlen);
/* One rule (a scenario's "rules" entry) as JSON text: added. 0 or -errno. */
int vmbnet_fault_add_json(struct vmbnet_fault *f, const char *json, char *err, size_t errlen);

#endif /* VMBNET_FAULT_H */
