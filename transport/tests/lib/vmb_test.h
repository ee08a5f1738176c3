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

#define VT_SKIP 77

#define VT_FAIL(...)                                                           \
	do {                                                                   \
		fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);          \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		exit(1);                                                       \
	} while (0)

#define VT_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			VT_FAIL("%s", #cond);                                  \
	} while (0)

/* Compare two integers of any width, printing both on failure. */
#define VT_EQ(a, b)                                                            \
	do {                                                                   \
		long long va_ = (long long)(a), vb_ = (long long)(b);          \
		if (va_ != vb_)                                                \
			VT_FAIL("%s == %s: %lld != %lld", #a, #b, va_, vb_);   \
	} while (0)

#endif /* VMBNET_VMB_TEST_H */
