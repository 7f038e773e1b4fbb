// SPDX-License-Identifier: GPL-2.0
/*
 * Loading this module prints a WARNING splat. The harness's dmesg scan must
 * catch it and fail the run.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init harness_warn_init(void)
{
	WARN(1, "harness self-test: intentional warning\n");
	return 0;
}
module_init(harness_warn_init);

static void __exit harness_warn_exit(void)
{
}
module_exit(harness_warn_exit);

MODULE_DESCRIPTION("Test harness self-test: a module that WARNs on load");
MODULE_LICENSE("GPL");
