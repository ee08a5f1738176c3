// SPDX-License-Identifier: MIT
/*
 * vmbnet fault engine: scenario files (device/fault/SCENARIO.md), read with
 * jansson. Strict: an unknown key, a wrong type or a value out of range is
 * an error naming the rule and the field, so a typo never silently turns a
 * fault off.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_fault.h"

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && len)
		vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Every key of @o must be in @keys (NULL-terminated). */
static const char *unknown_key(json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		const char *const *p = keys;

		while (*p && strcmp(*p, k))
			p++;
		if (!*p)
			return k;
	}
	return NULL;
}

/* @o[@key] as an unsigned integer up to @max into *@out; absent leaves it. */
static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, const char *rule,
		    char *err, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return fail(err, len, "rule %s: \"%s\" must be an integer from 0 to %llu", rule,
			    key, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* @o[@key], milliseconds as a number (fractions allowed) up to an hour,
 * into *@ns; absent leaves it.
 */
static int get_ms(json_t *o, const char *key, uint64_t *ns, const char *rule, char *err, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 3600e3)
		return fail(err, len, "rule %s: \"%s\" must be a number of ms from 0 to 3600000",
			    rule, key);
	*ns = (uint64_t)(json_number_value(v) * 1e6 + 0.5);
	return 0;
}

static const struct {
	const char *name;
	uint32_t value;
} nvsp_names[] = {
	{ "init", NVSP_MSG_INIT },
	{ "send_ndis_version", NVSP_MSG_SEND_NDIS_VER },
	{ "send_recv_buf", NVSP_MSG_SEND_RECV_BUF },
	{ "send_send_buf", NVSP_MSG_SEND_SEND_BUF },
	{ "send_rndis_pkt", NVSP_MSG_SEND_RNDIS_PKT },
	{ "send_ndis_config", NVSP_MSG_SEND_NDIS_CONFIG },
	{ "switch_data_path", NVSP_MSG_SWITCH_DATA_PATH },
	{ "subchannel", NVSP_MSG_SUBCHANNEL },
},
  rndis_names[] = {
	  { "packet", RNDIS_MSG_PACKET }, { "init", RNDIS_MSG_INIT },
	  { "halt", RNDIS_MSG_HALT },	  { "query", RNDIS_MSG_QUERY },
	  { "set", RNDIS_MSG_SET },	  { "reset", RNDIS_MSG_RESET },
	  { "keepalive", RNDIS_MSG_KEEPALIVE },
  };

/* A message type given as a number or by name. */
static int get_type(json_t *o, const char *key, const void *table, size_t n, uint32_t *out,
		    const char *rule, char *err, size_t len)
{
	const struct {
		const char *name;
		uint32_t value;
	} *t = table;
	json_t *v = json_object_get(o, key);
	uint64_t x;

	if (!v)
		return 0;
	if (json_is_string(v)) {
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(t[i].name, json_string_value(v))) {
				*out = t[i].value;
				return 0;
			}
		}
		return fail(err, len, "rule %s: unknown %s message \"%s\"", rule, key,
			    json_string_value(v));
	}
	if (get_uint(o, key, UINT32_MAX - 1, &x, rule, err, len))
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int parse_match(json_t *m, struct vmbnet_fault_rule *r, char *err, size_t len)
{
	static const char *const keys[] = { "channel", "nvsp",	  "rndis", "min_len",
					    "max_len", "section", NULL };
	uint64_t chan = VMBNET_FAULT_ANY, min = 0, max = 0;
	json_t *section = json_object_get(m, "section");
	const char *bad;

	if (!json_is_object(m))
		return fail(err, len, "rule %s: \"match\" must be an object", r->id);
	bad = unknown_key(m, keys);
	if (bad)
		return fail(err, len, "rule %s: unknown key \"match.%s\"", r->id, bad);
	if (get_uint(m, "channel", 63, &chan, r->id, err, len) ||
	    get_type(m, "nvsp", nvsp_names, sizeof(nvsp_names) / sizeof(nvsp_names[0]),
		     &r->match.nvsp_type, r->id, err, len) ||
	    get_type(m, "rndis", rndis_names, sizeof(rndis_names) / sizeof(rndis_names[0]),
		     &r->match.rndis_type, r->id, err, len) ||
	    get_uint(m, "min_len", UINT32_MAX, &min, r->id, err, len) ||
	    get_uint(m, "max_len", UINT32_MAX, &max, r->id, err, len))
		return -EINVAL;
	if (section && !json_is_boolean(section))
		return fail(err, len, "rule %s: \"match.section\" must be true or false", r->id);
	if (section)
		r->match.section = json_is_true(section);
	if (json_object_get(m, "channel"))
		r->match.chan = (uint32_t)chan;
	r->match.min_len = (uint32_t)min;
	r->match.max_len = (uint32_t)max;
	return 0;
}

static int parse_trigger(json_t *t, struct vmbnet_fault_rule *r, char *err, size_t len)
{
	static const char *const keys[] = { "probability", "every",  "nth", "count",
					    "after_ms",	   "for_ms", NULL };
	uint64_t after = 0, dur = 0, max_ms = UINT64_MAX / 1000000u;
	json_t *p;
	const char *bad;

	if (!json_is_object(t))
		return fail(err, len, "rule %s: \"trigger\" must be an object", r->id);
	bad = unknown_key(t, keys);
	if (bad)
		return fail(err, len, "rule %s: unknown key \"trigger.%s\"", r->id, bad);
	p = json_object_get(t, "probability");
	if (p) {
		if (!json_is_number(p) || json_number_value(p) < 0 || json_number_value(p) > 1)
			return fail(err, len, "rule %s: \"probability\" must be a number in 0..1",
				    r->id);
		r->trigger.probability = json_number_value(p);
	}
	if (get_uint(t, "every", UINT64_MAX, &r->trigger.every, r->id, err, len) ||
	    get_uint(t, "nth", UINT64_MAX, &r->trigger.nth, r->id, err, len) ||
	    get_uint(t, "count", UINT64_MAX, &r->trigger.count, r->id, err, len) ||
	    get_uint(t, "after_ms", max_ms, &after, r->id, err, len) ||
	    get_uint(t, "for_ms", max_ms, &dur, r->id, err, len))
		return -EINVAL;
	r->trigger.after_ns = after * 1000000u;
	r->trigger.for_ns = dur * 1000000u;
	return 0;
}

/* One entry of "rules" into @r. */
static int parse_rule(json_t *o, unsigned int idx, struct vmbnet_fault_rule *r, char *err,
		      size_t len)
{
	static const char *const keys[] = { "id",	    "point",  "match",	     "trigger",
					    "action",	    "status", "duration_ms", "jitter_ms",
					    "distribution", NULL };
	json_t *id, *point, *action, *m, *t, *dist;
	uint64_t status = 0;
	const char *bad;

	memset(r, 0, sizeof(*r));
	r->match = (struct vmbnet_fault_match){
		VMBNET_FAULT_ANY, VMBNET_FAULT_ANY, VMBNET_FAULT_ANY, 0, 0, VMBNET_FAULT_ANY
	};
	r->trigger.probability = 1;
	if (!json_is_object(o))
		return fail(err, len, "rules[%u] must be an object", idx);
	id = json_object_get(o, "id");
	if (!json_is_string(id) || !json_string_length(id) ||
	    json_string_length(id) >= sizeof(r->id))
		return fail(err, len, "rules[%u]: \"id\" must be a string of 1 to %zu bytes", idx,
			    sizeof(r->id) - 1);
	memcpy(r->id, json_string_value(id), json_string_length(id) + 1);
	bad = unknown_key(o, keys);
	if (bad)
		return fail(err, len, "rule %s: unknown key \"%s\"", r->id, bad);
	point = json_object_get(o, "point");
	action = json_object_get(o, "action");
	if (!json_is_string(point) ||
	    !(r->point = vmbnet_fault_point_by_name(json_string_value(point))))
		return fail(err, len,
			    "rule %s: \"point\" must be completion, nvsp_init, receive or ring",
			    r->id);
	if (!json_is_string(action) ||
	    !(r->action = vmbnet_fault_action_by_name(json_string_value(action))))
		return fail(
			err, len,
			"rule %s: \"action\" must be drop, status, wrong_trans_id, duplicate, "
			"refuse_version, delay, reorder, withhold, stall, link_flap, rescind or kill",
			r->id);
	m = json_object_get(o, "match");
	t = json_object_get(o, "trigger");
	if ((m && parse_match(m, r, err, len)) || (t && parse_trigger(t, r, err, len)))
		return -EINVAL;
	if (get_uint(o, "status", UINT32_MAX, &status, r->id, err, len))
		return -EINVAL;
	if ((r->action == VMBNET_FA_STATUS) != !!json_object_get(o, "status"))
		return fail(err, len, "rule %s: \"status\" goes with action status, and only there",
			    r->id);
	r->arg = (uint32_t)status;
	if (get_ms(o, "duration_ms", &r->duration_ns, r->id, err, len) ||
	    get_ms(o, "jitter_ms", &r->jitter_ns, r->id, err, len))
		return -EINVAL;
	dist = json_object_get(o, "distribution");
	if (dist) {
		static const char *const dists[VMBNET_FD__COUNT] = { "fixed", "uniform",
								     "exponential" };

		r->dist = VMBNET_FD__COUNT;
		for (uint32_t i = 0; json_is_string(dist) && i < VMBNET_FD__COUNT; i++)
			if (!strcmp(dists[i], json_string_value(dist)))
				r->dist = i;
		if (r->dist == VMBNET_FD__COUNT)
			return fail(
				err, len,
				"rule %s: \"distribution\" must be fixed, uniform or exponential",
				r->id);
	}
	if (vmbnet_fault_action_timed(r->action) != (r->duration_ns || r->jitter_ns))
		return fail(err, len,
			    "rule %s: \"duration_ms\" (above 0) goes with actions delay, stall, "
			    "link_flap, rescind and revoke, and only there",
			    r->id);
	if (r->action != VMBNET_FA_DELAY && (dist || r->jitter_ns))
		return fail(err, len,
			    "rule %s: \"jitter_ms\" and \"distribution\" go with action delay only",
			    r->id);
	if (r->dist != VMBNET_FD_FIXED && !r->jitter_ns)
		return fail(err, len, "rule %s: a %s distribution needs \"jitter_ms\" above 0",
			    r->id, r->dist == VMBNET_FD_UNIFORM ? "uniform" : "exponential");
	return 0;
}

/* Add @r to @f, saying why not. */
static int add_rule(struct vmbnet_fault *f, const struct vmbnet_fault_rule *r, char *err,
		    size_t len)
{
	int ret;

	for (uint32_t i = 0; i < f->nrules; i++)
		if (!strcmp(f->rules[i].id, r->id))
			return fail(err, len, "rule %s: a second rule with that id", r->id);
	ret = vmbnet_fault_add(f, r);
	if (ret == -ENOSPC)
		return fail(err, len, "rule %s: more than %u rules", r->id, VMBNET_FAULT_MAX_RULES);
	if (ret == -EOPNOTSUPP)
		return fail(err, len, "rule %s: %s", r->id,
			    f->refused_why[r->action] ? f->refused_why[r->action] :
							"action not available here");
	if (ret)
		return fail(err, len, "rule %s: action %s means nothing at point %s", r->id,
			    vmbnet_fault_action_name(r->action), vmbnet_fault_point_name(r->point));
	return 0;
}

int vmbnet_fault_load(struct vmbnet_fault *f, const char *json, size_t len, char *err,
		      size_t errlen)
{
	static const char *const keys[] = { "version", "seed", "rules", NULL };
	struct vmbnet_fault *n = NULL;
	json_error_t je;
	json_t *root, *rules, *v;
	uint64_t seed = f->seed;
	const char *bad;
	size_t i;
	int ret = -EINVAL;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
	if (!json_is_object(root)) {
		fail(err, errlen, "a scenario is a JSON object");
		goto out;
	}
	bad = unknown_key(root, keys);
	v = json_object_get(root, "version");
	rules = json_object_get(root, "rules");
	if (bad) {
		fail(err, errlen, "unknown key \"%s\"", bad);
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != VMBNET_FAULT_SCENARIO_VERSION) {
		fail(err, errlen, "\"version\" must be %d (this vmbnet reads version %d)",
		     VMBNET_FAULT_SCENARIO_VERSION, VMBNET_FAULT_SCENARIO_VERSION);
		goto out;
	}
	if (get_uint(root, "seed", UINT64_MAX, &seed, "(top)", err, errlen))
		goto out;
	if (!json_is_array(rules)) {
		fail(err, errlen, "\"rules\" must be an array");
		goto out;
	}
	/* built aside: a scenario that fails halfway leaves @f as it was */
	n = calloc(1, sizeof(*n));
	if (!n) {
		ret = -ENOMEM;
		goto out;
	}
	vmbnet_fault_init(n, seed);
	n->refused_actions = f->refused_actions;
	memcpy(n->refused_why, f->refused_why, sizeof(n->refused_why));
	json_array_foreach(rules, i, v)
	{
		struct vmbnet_fault_rule r;

		if (parse_rule(v, (unsigned int)i, &r, err, errlen) || add_rule(n, &r, err, errlen))
			goto out;
	}
	n->clock_ns = f->clock_ns;
	n->clock_opaque = f->clock_opaque;
	n->fired = f->fired;
	n->fired_opaque = f->fired_opaque;
	*f = *n;
	vmbnet_fault_set_clock(f, f->clock_ns, f->clock_opaque);
	ret = 0;
out:
	free(n);
	json_decref(root);
	return ret;
}

int vmbnet_fault_load_file(struct vmbnet_fault *f, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long size = 0;
	int ret;

	if (!fp)
		return -errno;
	if (fseek(fp, 0, SEEK_END) || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) ||
	    size > (1 << 20) || !(buf = malloc((size_t)size + 1)) ||
	    fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		ret = size > (1 << 20) ? fail(err, errlen, "%s: larger than 1 MiB", path) : -EIO;
		goto out;
	}
	ret = vmbnet_fault_load(f, buf, (size_t)size, err, errlen);
out:
	free(buf);
	fclose(fp);
	return ret;
}

int vmbnet_fault_add_json(struct vmbnet_fault *f, const char *json, char *err, size_t errlen)
{
	struct vmbnet_fault_rule r;
	json_error_t je;
	json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	int ret;

	if (!o)
		return fail(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
	ret = parse_rule(o, 0, &r, err, errlen);
	if (!ret)
		ret = add_rule(f, &r, err, errlen);
	json_decref(o);
	return ret;
}
