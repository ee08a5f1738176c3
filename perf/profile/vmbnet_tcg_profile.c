// SPDX-License-Identifier: MIT
/*
 * vmbnet-tcg-profile: a QEMU TCG plugin that counts the guest instructions
 * executed per translation block, for a profile of the guest (kernel and
 * modules) under TCG, where the guest has no PMU.
 *
 *   -plugin libvmbnet-tcg-profile.so,out=<file>
 *
 * Each translated block gets an inline counter of its executions; at exit
 * the plugin writes one line per block that ran, "<vaddr hex> <insns>
 * <executions>", sorted by address. perf/profile/profile.sh maps the
 * addresses to the guest's symbols. A block that an interrupt leaves early
 * is counted whole: the counts are exact for straight-line code and an
 * upper bound elsewhere.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
	uint64_t vaddr;
	uint64_t insns; /* 0: the slot is empty */
	uint64_t execs; /* added to by the translated code itself */
};

#define TABLE_BITS 20 /* 1 Mi blocks: a booted kernel translates ~100 Ki */

static struct block *table;
static uint64_t used;
static char *out_path;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The block for (@vaddr, @insns): an address can be translated again with
 * another length (icount ends a block at I/O), which is another block.
 */
static struct block *block_get(uint64_t vaddr, uint64_t insns)
{
	uint64_t mask = (1ull << TABLE_BITS) - 1;
	uint64_t h = (vaddr * 0x9e3779b97f4a7c15ull + insns) >> (64 - TABLE_BITS);

	for (uint64_t i = 0; i <= mask; i++) {
		struct block *b = &table[(h + i) & mask];

		if (!b->insns) {
			if (used * 10 >= mask * 9)
				return NULL; /* full: the block goes uncounted */
			b->vaddr = vaddr;
			b->insns = insns;
			used++;
			return b;
		}
		if (b->vaddr == vaddr && b->insns == insns)
			return b;
	}
	return NULL;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b;

	if (!n)
		return;
	pthread_mutex_lock(&lock);
	b = block_get(qemu_plugin_tb_vaddr(tb), n);
	pthread_mutex_unlock(&lock);
	if (b)
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs,
							 1);
}

static int by_vaddr(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	uint64_t n = 0, lost = 0, mask = (1ull << TABLE_BITS) - 1;
	FILE *f = fopen(out_path, "w");
	char msg[256];

	for (uint64_t i = 0; i <= mask; i++)
		if (table[i].insns && table[i].execs)
			table[n++] = table[i];
	qsort(table, n, sizeof(*table), by_vaddr);
	for (uint64_t i = 0; f && i < n; i++)
		if (fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", table[i].vaddr,
			    table[i].insns, table[i].execs) < 0)
			lost++;
	if (!f || fclose(f) || lost)
		snprintf(msg, sizeof(msg), "vmbnet-tcg-profile: cannot write %s\n", out_path);
	else
		snprintf(msg, sizeof(msg), "vmbnet-tcg-profile: %" PRIu64 " blocks to %s\n", n,
			 out_path);
	qemu_plugin_outs(msg);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) && argv[i][4]) {
			out_path = strdup(argv[i] + 4);
		} else {
			fprintf(stderr, "vmbnet-tcg-profile: unknown argument '%s' (out=<file>)\n",
				argv[i]);
			return -1;
		}
	}
	if (!out_path) {
		fprintf(stderr, "vmbnet-tcg-profile: out=<file> is required\n");
		return -1;
	}
	table = calloc(1ull << TABLE_BITS, sizeof(*table));
	if (!table)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
