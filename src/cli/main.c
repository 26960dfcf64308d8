/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - entry point of the `tollgate` command (placeholder until the
 * subcommand table lands).
 */
#include <stdio.h>

int main(void)
{
	puts("tollgate " TG_VERSION);
	return 0;
}
