/* SPDX-License-Identifier: MIT */
/*
 * Minimal test helpers: every check prints where and what failed, and the
 * program exits non-zero. Exit 77 marks a skipped test (CTest SKIP_RETURN_CODE).
 */
#ifndef VMBNET_VMB_TEST_H
#define VMBNET_VMB_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VT_SKIP 77

#define VT_FAIL(...)                                                  \
	do {                                                          \
		fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                         \
		fputc('\n', stderr);                                  \
		exit(1);                                              \
	} while (0)

#define VT_CHECK(cond)                        \
	do {                                  \
		if (!(cond))                  \
			VT_FAIL("%s", #cond); \
	} while (0)

/* Compare two integers of any width, printing both on failure. */
#define VT_EQ(a, b)                                                          \
	do {                                                                 \
		long long va_ = (long long)(a), vb_ = (long long)(b);        \
		if (va_ != vb_)                                              \
			VT_FAIL("%s == %s: %lld != %lld", #a, #b, va_, vb_); \
	} while (0)

/*
 * A test program is a table of cases, one behaviour each:
 *
 *	static const struct vt_case cases[] = { VT_CASE(empty_ring), ... };
 *	VT_MAIN(cases)
 *
 * "prog --list" prints the names (vmbnet_add_test registers one CTest entry
 * per name from it, so no list is kept by hand); "prog <case> [args...]"
 * runs one, with its extra arguments in vt_argc/vt_argv.
 * VT_MAIN_FIXTURE(cases, setup, teardown) runs setup before and teardown
 * after the case (the program's fixture).
 */
struct vt_case {
	const char *name;
	void (*fn)(void);
};

#define VT_CASE(f)    \
	{             \
#f, f \
	}

static int vt_argc __attribute__((unused));
static char **vt_argv __attribute__((unused));

static inline int vt_main(int argc, char **argv, const struct vt_case *cases, size_t n,
			  void (*setup)(void), void (*teardown)(void))
{
	size_t i;

	if (argc >= 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < n; i++)
			puts(cases[i].name);
		return 0;
	}
	for (i = 0; argc >= 2 && i < n; i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		vt_argc = argc - 2;
		vt_argv = argv + 2;
		if (setup)
			setup();
		cases[i].fn();
		if (teardown)
			teardown();
		return 0;
	}
	fprintf(stderr, "usage: %s --list | <case> [args...]\n", argv[0]);
	if (argc >= 2)
		fprintf(stderr, "%s: no case '%s' (see --list)\n", argv[0], argv[1]);
	return 2;
}

#define VT_MAIN_FIXTURE(cases, setup, teardown)                                            \
	int main(int argc, char **argv)                                                    \
	{                                                                                  \
		return vt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]), setup, \
			       teardown);                                                  \
	}

#define VT_MAIN(cases) VT_MAIN_FIXTURE(cases, NULL, NULL)

#endif /* VMBNET_VMB_TEST_H */
