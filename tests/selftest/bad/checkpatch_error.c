// SPDX-License-Identifier: GPL-2.0
/*
 * Never built. scripts/check.sh runs checkpatch on this file in its
 * expect-failure mode: the errors below must be reported.
 */
int harness_bad_style(int a){
	if(a) return 1;	
	return 0;
}
