// SPDX-License-Identifier: MIT
/*
 * Scenario files (device/fault/SCENARIO.md): what loads, what is refused
 * and why, and that a refused file leaves the engine as it was. The
 * shipped_scenarios case loads every file in the directory given as its
 * argument (device/fault/scenarios).
 *
 * usage: test_fault_scenario --list | <case> [scenario directory]
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmb_test.h"
#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_fault.h"

static int load(struct vmbnet_fault *f, const char *json, char *err)
{
	return vmbnet_fault_load(f, json, strlen(json), err, 256);
}

static void full_scenario(void)
{
	static const char json[] =
		"{ \"version\": 1, \"seed\": 77, \"rules\": ["
		"  { \"id\": \"fail-sends\", \"point\": \"completion\","
		"    \"match\": { \"channel\": 1, \"nvsp\": \"send_rndis_pkt\", \"rndis\": \"packet\","
		"                 \"min_len\": 60, \"max_len\": 1600 },"
		"    \"trigger\": { \"probability\": 0.5, \"every\": 3, \"count\": 10,"
		"                   \"after_ms\": 2, \"for_ms\": 5 },"
		"    \"action\": \"status\", \"status\": 2 },"
		"  { \"id\": \"no-nvsp\", \"point\": \"nvsp_init\", \"match\": { \"nvsp\": 1 },"
		"    \"trigger\": { \"nth\": 1 }, \"action\": \"refuse_version\" },"
		"  { \"id\": \"rx\", \"point\": \"receive\", \"action\": \"drop\" } ] }";
	struct vmbnet_fault f;
	const struct vmbnet_fault_rule *r;
	char err[256] = "";

	vmbnet_fault_init(&f, 1);
	VT_EQ(load(&f, json, err), 0);
	VT_EQ(f.seed, 77);
	VT_EQ(f.nrules, 3);
	r = &f.rules[0];
	VT_CHECK(!strcmp(r->id, "fail-sends"));
	VT_EQ(r->point, VMBNET_FP_COMPLETION);
	VT_EQ(r->match.chan, 1);
	VT_EQ(r->match.nvsp_type, NVSP_MSG_SEND_RNDIS_PKT);
	VT_EQ(r->match.rndis_type, RNDIS_MSG_PACKET);
	VT_EQ(r->match.min_len, 60);
	VT_EQ(r->match.max_len, 1600);
	VT_CHECK(r->trigger.probability == 0.5);
	VT_EQ(r->trigger.every, 3);
	VT_EQ(r->trigger.count, 10);
	VT_EQ(r->trigger.after_ns, 2000000);
	VT_EQ(r->trigger.for_ns, 5000000);
	VT_EQ(r->action, VMBNET_FA_STATUS);
	VT_EQ(r->arg, NVSP_STAT_FAIL);
	VT_EQ(f.rules[1].match.nvsp_type, NVSP_MSG_INIT);
	VT_EQ(f.rules[1].match.chan, VMBNET_FAULT_ANY);
	VT_EQ(f.rules[1].trigger.nth, 1);
	VT_CHECK(f.rules[2].trigger.probability == 1);
	VT_EQ(f.rules[2].match.rndis_type, VMBNET_FAULT_ANY);
}

/* Each refused with a reason naming what is wrong; the engine unchanged. */
static void refused_with_reason(void)
{
	static const struct {
		const char *json, *reason;
	} bad[] = {
		{ "{ \"version\": 1, \"rules\": [ }", "line 1" },
		{ "[]", "JSON object" },
		{ "{ \"version\": 2, \"rules\": [] }", "\"version\" must be 1" },
		{ "{ \"rules\": [] }", "\"version\" must be 1" },
		{ "{ \"version\": 1 }", "\"rules\" must be an array" },
		{ "{ \"version\": 1, \"rules\": [], \"sed\": 1 }", "unknown key \"sed\"" },
		{ "{ \"version\": 1, \"rules\": [ { \"point\": \"receive\", \"action\": \"drop\" } ] }",
		  "rules[0]: \"id\"" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"recieve\","
		  " \"action\": \"drop\" } ] }",
		  "rule a: \"point\"" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"receive\","
		  " \"action\": \"slow_down\" } ] }",
		  "rule a: \"action\"" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"receive\","
		  " \"action\": \"status\", \"status\": 2 } ] }",
		  "means nothing at point receive" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"completion\","
		  " \"action\": \"status\" } ] }",
		  "\"status\" goes with action status" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"completion\","
		  " \"action\": \"drop\", \"status\": 2 } ] }",
		  "\"status\" goes with action status" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"completion\","
		  " \"action\": \"drop\", \"trigger\": { \"probability\": 2 } } ] }",
		  "\"probability\" must be a number in 0..1" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"completion\","
		  " \"action\": \"drop\", \"trigger\": { \"evry\": 2 } } ] }",
		  "unknown key \"trigger.evry\"" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"completion\","
		  " \"action\": \"drop\", \"match\": { \"rndis\": \"pakket\" } } ] }",
		  "unknown rndis message \"pakket\"" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"completion\","
		  " \"action\": \"drop\", \"match\": { \"channel\": -1 } } ] }",
		  "\"channel\" must be an integer from 0 to 63" },
		{ "{ \"version\": 1, \"rules\": [ { \"id\": \"a\", \"point\": \"receive\","
		  " \"action\": \"drop\" }, { \"id\": \"a\", \"point\": \"receive\","
		  " \"action\": \"drop\" } ] }",
		  "rule a: a second rule with that id" },
		{ "{ \"version\": 1, \"version\": 1, \"rules\": [] }", "line 1" },
	};
	struct vmbnet_fault f;
	char err[256];

	vmbnet_fault_init(&f, 5);
	VT_EQ(load(&f,
		   "{ \"version\": 1, \"rules\": [ { \"id\": \"kept\", \"point\": \"receive\","
		   " \"action\": \"drop\" } ] }",
		   err),
	      0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		VT_EQ(load(&f, bad[i].json, err), -EINVAL);
		if (!strstr(err, bad[i].reason)) {
			fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, err,
				bad[i].reason);
			VT_CHECK(0);
		}
		VT_EQ(f.nrules, 1);
		VT_CHECK(!strcmp(f.rules[0].id, "kept"));
		VT_EQ(f.seed, 5);
	}
}

static void rule_added_at_run_time(void)
{
	struct vmbnet_fault f;
	char err[256];

	vmbnet_fault_init(&f, 1);
	VT_EQ(vmbnet_fault_add_json(&f,
				    "{ \"id\": \"dup\", \"point\": \"completion\","
				    " \"action\": \"duplicate\", \"trigger\": { \"nth\": 3 } }",
				    err, sizeof(err)),
	      0);
	VT_EQ(f.rules[0].action, VMBNET_FA_DUPLICATE);
	VT_EQ(vmbnet_fault_add_json(&f,
				    "{ \"id\": \"dup\", \"point\": \"completion\","
				    " \"action\": \"drop\" }",
				    err, sizeof(err)),
	      -EINVAL);
	VT_CHECK(strstr(err, "a second rule"));
	VT_EQ(vmbnet_fault_remove(&f, "dup"), 0);
	VT_EQ(f.nrules, 0);
}

/* rescind and kill: where they mean something, with a duration only for
 * rescind; refused, with the embedder's reason, where it cannot do them
 * (A refuses kill, B refuses rescind), in a rule and in a scenario.
 */
static void rescind_and_kill_rules(void)
{
	static const char *const good[] = {
		"{ \"id\": \"r\", \"point\": \"completion\", \"action\": \"rescind\","
		" \"duration_ms\": 100 }",
		"{ \"id\": \"k\", \"point\": \"ring\", \"action\": \"kill\","
		" \"trigger\": { \"nth\": 2 } }",
	};
	static const char *const bad[] = {
		"{ \"id\": \"a\", \"point\": \"nvsp_init\", \"action\": \"kill\" }",
		"{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"kill\","
		" \"duration_ms\": 1 }",
		"{ \"id\": \"a\", \"point\": \"nvsp_init\", \"action\": \"rescind\","
		" \"duration_ms\": 1 }",
	};
	static const char scenario[] = "{ \"version\": 1, \"rules\": [ { \"id\": \"k\","
				       " \"point\": \"receive\", \"action\": \"kill\" } ] }";
	struct vmbnet_fault f;
	char err[256];

	vmbnet_fault_init(&f, 1);
	for (unsigned int i = 0; i < 2; i++)
		VT_EQ(vmbnet_fault_add_json(&f, good[i], err, sizeof(err)), 0);
	VT_EQ(f.rules[0].action, VMBNET_FA_RESCIND);
	VT_EQ(f.rules[0].duration_ns, 100000000u);
	VT_EQ(f.rules[1].action, VMBNET_FA_KILL);
	for (unsigned int i = 0; i < 3; i++) {
		err[0] = 0;
		VT_EQ(vmbnet_fault_add_json(&f, bad[i], err, sizeof(err)), -EINVAL);
		VT_CHECK(err[0]);
	}
	VT_EQ(f.nrules, 2);

	vmbnet_fault_init(&f, 1);
	vmbnet_fault_refuse(&f, VMBNET_FA_KILL, VMBNET_FAULT_KILL_A);
	VT_EQ(vmbnet_fault_add_json(&f, good[1], err, sizeof(err)), -EINVAL);
	VT_CHECK(strstr(err, "rule k: action kill acts on datapath B only"));
	VT_EQ(vmbnet_fault_load(&f, scenario, sizeof(scenario) - 1, err, sizeof(err)), -EINVAL);
	VT_CHECK(strstr(err, "datapath B only"));
	VT_EQ(vmbnet_fault_add_json(&f, good[0], err, sizeof(err)), 0);
	VT_EQ(f.nrules, 1);
}

/* reset: no duration, not at nvsp_init; datapath B refuses it and rescind,
 * each with its own reason.
 */
static void reset_rules(void)
{
	static const char reset[] = "{ \"id\": \"z\", \"point\": \"ring\", \"action\": \"reset\" }";
	struct vmbnet_fault f;
	char err[256];

	vmbnet_fault_init(&f, 1);
	VT_EQ(vmbnet_fault_add_json(&f, reset, err, sizeof(err)), 0);
	VT_EQ(f.rules[0].action, VMBNET_FA_RESET);
	VT_EQ(vmbnet_fault_add_json(
		      &f,
		      "{ \"id\": \"a\", \"point\": \"completion\", \"action\": \"reset\","
		      " \"duration_ms\": 1 }",
		      err, sizeof(err)),
	      -EINVAL);
	VT_EQ(vmbnet_fault_add_json(
		      &f, "{ \"id\": \"b\", \"point\": \"nvsp_init\", \"action\": \"reset\" }", err,
		      sizeof(err)),
	      -EINVAL);
	VT_EQ(f.nrules, 1);

	vmbnet_fault_init(&f, 1);
	vmbnet_fault_refuse_b(&f);
	VT_EQ(vmbnet_fault_add_json(&f, reset, err, sizeof(err)), -EINVAL);
	VT_CHECK(strstr(err, "rule z: action reset acts on datapath A only"));
	VT_EQ(vmbnet_fault_add_json(
		      &f,
		      "{ \"id\": \"r\", \"point\": \"receive\", \"action\": \"rescind\","
		      " \"duration_ms\": 1 }",
		      err, sizeof(err)),
	      -EINVAL);
	VT_CHECK(strstr(
		err,
		"rule r: action rescind acts on datapath A only: on B the front end owns the offers"));
	VT_EQ(f.nrules, 0);
}

/* SCENARIO.md documents every action the engine has, in its action table
 * (which fault.every_action_fired reads): the file is next to the scenario
 * directory given as argument.
 */
static void every_action_documented(void)
{
	const char *dir = vt_argc ? vt_argv[0] : "device/fault/scenarios";
	char path[4096], doc[32768], row[64];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/../SCENARIO.md", dir);
	fp = fopen(path, "r");
	VT_CHECK(fp);
	n = fread(doc, 1, sizeof(doc) - 1, fp);
	fclose(fp);
	VT_CHECK(n > 0 && n < sizeof(doc) - 1);
	doc[n] = 0;
	for (uint32_t a = 1; a < VMBNET_FA__COUNT; a++) {
		VT_CHECK(vmbnet_fault_action_name(a));
		snprintf(row, sizeof(row), "\n| `%s` | ", vmbnet_fault_action_name(a));
		if (!strstr(doc, row))
			fprintf(stderr, "SCENARIO.md: no row for action %s\n",
				vmbnet_fault_action_name(a));
		VT_CHECK(strstr(doc, row));
	}
}

static void shipped_scenarios(void)
{
	const char *dir = vt_argc ? vt_argv[0] : "device/fault/scenarios";
	struct dirent *d;
	DIR *dp = opendir(dir);
	unsigned int n = 0;

	VT_CHECK(dp);
	while ((d = readdir(dp))) {
		struct vmbnet_fault f;
		char path[512], err[256] = "";
		size_t len = strlen(d->d_name);

		if (len < 5 || strcmp(d->d_name + len - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		vmbnet_fault_init(&f, 1);
		if (vmbnet_fault_load_file(&f, path, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", path, err);
			VT_CHECK(0);
		}
		VT_CHECK(f.nrules > 0);
		n++;
	}
	closedir(dp);
	VT_CHECK(n > 0);
	printf("%u scenario files load\n", n);
}

static void missing_file(void)
{
	struct vmbnet_fault f;
	char err[256];

	vmbnet_fault_init(&f, 1);
	VT_EQ(vmbnet_fault_load_file(&f, "/nonexistent/x.json", err, sizeof(err)), -ENOENT);
}

static const struct vt_case cases[] = {
	VT_CASE(full_scenario),
	VT_CASE(refused_with_reason),
	VT_CASE(rule_added_at_run_time),
	VT_CASE(shipped_scenarios),
	VT_CASE(missing_file),
	VT_CASE(rescind_and_kill_rules),
	VT_CASE(reset_rules),
	VT_CASE(every_action_documented),
};

VT_MAIN(cases)
