// SPDX-License-Identifier: GPL-2.0
/*
 * A KUnit suite with one passing and one failing case. The harness must
 * count exactly one of each and turn the run red; if it reports green, the
 * KTAP parser or the result collection is broken.
 */
#include <kunit/test.h>
#include <linux/module.h>

/* Proves the parser counts a passing case as passed. */
static void harness_selftest_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 2 + 2, 4);
}

/* Proves the parser counts a failing case as failed. */
static void harness_selftest_fails_on_purpose(struct kunit *test)
{
	KUNIT_FAIL(test, "intentional failure: the harness must report this");
}

static struct kunit_case harness_selftest_cases[] = {
	KUNIT_CASE(harness_selftest_passes),
	KUNIT_CASE(harness_selftest_fails_on_purpose),
	{}
};

static struct kunit_suite harness_selftest_suite = {
	.name = "harness_selftest",
	.test_cases = harness_selftest_cases,
};

kunit_test_suite(harness_selftest_suite);

MODULE_DESCRIPTION("Test harness self-test: a KUnit suite that fails");
MODULE_LICENSE("GPL");
