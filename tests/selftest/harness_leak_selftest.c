// SPDX-License-Identifier: GPL-2.0
/*
 * Loading this module leaks a few blocks: the only pointers to them die
 * with the init function. The kmemleak scans the test VM runs before it
 * powers off must report them and fail the run, even when the module is
 * loaded just before those scans, so that its blocks are the youngest
 * objects the scans have to call leaks.
 */
#include <linux/module.h>
#include <linux/slab.h>

#define HARNESS_LEAK_BLOCKS	4

static int __init harness_leak_init(void)
{
	char *block;
	int i;

	/*
	 * Several blocks: a stale copy of the last pointer left in a dead
	 * stack frame may hide that one from kmemleak, not the others.
	 */
	for (i = 0; i < HARNESS_LEAK_BLOCKS; i++) {
		block = kmalloc(128, GFP_KERNEL);
		if (!block)
			return -ENOMEM;
		snprintf(block, 128, "harness self-test: leaked block %d", i);
	}
	return 0;
}
module_init(harness_leak_init);

static void __exit harness_leak_exit(void)
{
}
module_exit(harness_leak_exit);

MODULE_DESCRIPTION("Test harness self-test: a module that leaks memory on load");
MODULE_LICENSE("GPL");
