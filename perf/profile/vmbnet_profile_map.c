// SPDX-License-Identifier: MIT
/*
 * vmbnet-profile-map: the guest instructions per frame of each function,
 * from two block counts of vmbnet-tcg-profile: a boot that sends
 * <frames1> frames and one that sends <frames2>, otherwise the same. Their
 * difference is the cost of (frames2 - frames1) frames, boot and set-up
 * cancelled out.
 *
 * usage: vmbnet-profile-map [--top N] <symbols> <blocks1> <frames1> <blocks2> <frames2>
 *   symbols: "<hex address> <type> <name> [[module]]" lines (System.map
 *            and the guest's /proc/kallsyms), text symbols used
 *
 * Prints the functions by instructions per frame, largest first, with
 * their share, and the total; user-space blocks count as "[user]".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym {
	uint64_t addr;
	char name[96];
	double count[2]; /* instructions in each boot */
};

static struct sym *syms;
static size_t nsyms, cap;

static struct sym *sym_add(uint64_t addr, const char *name)
{
	if (nsyms == cap) {
		cap = cap ? 2 * cap : 4096;
		syms = realloc(syms, cap * sizeof(*syms));
		if (!syms) {
			perror("vmbnet-profile-map");
			exit(1);
		}
	}
	memset(&syms[nsyms], 0, sizeof(syms[nsyms]));
	syms[nsyms].addr = addr;
	snprintf(syms[nsyms].name, sizeof(syms[nsyms].name), "%s", name);
	return &syms[nsyms++];
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int by_delta(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	double dx = x->count[1] - x->count[0], dy = y->count[1] - y->count[0];

	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

static void load_symbols(const char *path)
{
	char line[512], type, name[80], mod[64];
	uint64_t addr;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "vmbnet-profile-map: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%" SCNx64 " %c %79s %63s", &addr, &type, name, mod);
		char full[160];

		if (n < 3 || (type != 't' && type != 'T') || !addr)
			continue;
		if (n == 4)
			snprintf(full, sizeof(full), "%s %s", name, mod);
		else
			snprintf(full, sizeof(full), "%s", name);
		sym_add(addr, full);
	}
	fclose(f);
}

/* The symbol a kernel address falls in: the last one at or below it. */
static struct sym *sym_at(uint64_t addr)
{
	size_t lo = 0, hi = nsyms;

	if (!nsyms || addr < syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &syms[lo];
}

static void load_blocks(const char *path, int k, struct sym *user, struct sym *unknown)
{
	uint64_t vaddr, insns, execs;
	FILE *f = fopen(path, "r");
	int n;

	if (!f) {
		fprintf(stderr, "vmbnet-profile-map: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((n = fscanf(f, "%" SCNx64 " %" SCNu64 " %" SCNu64, &vaddr, &insns, &execs)) == 3) {
		struct sym *s = vaddr < 0xffff800000000000ull ? user : sym_at(vaddr);

		(s ? s : unknown)->count[k] += (double)insns * (double)execs;
	}
	if (n != EOF) {
		fprintf(stderr, "vmbnet-profile-map: %s: not a block count\n", path);
		exit(2);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	double frames[2], total = 0, total0 = 0, shown = 0;
	size_t top = 25, i, nuser, nunknown;
	char *end;

	if (argc > 2 && !strcmp(argv[1], "--top")) {
		top = strtoul(argv[2], &end, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc != 6) {
		fprintf(stderr, "usage: vmbnet-profile-map [--top N] <symbols> <blocks1> <frames1> "
				"<blocks2> <frames2>\n");
		return 2;
	}
	frames[0] = strtod(argv[3], &end);
	frames[1] = strtod(argv[5], &end);
	if (!(frames[1] > frames[0])) {
		fprintf(stderr, "vmbnet-profile-map: frames2 must be more than frames1\n");
		return 2;
	}
	load_symbols(argv[1]);
	qsort(syms, nsyms, sizeof(*syms), by_addr);
	nuser = nsyms;
	sym_add(0, "[user]");
	nunknown = nsyms;
	sym_add(0, "[unknown]");
	/* sym_at() searches the sorted symbols only: the two extra sit past them */
	nsyms -= 2;
	load_blocks(argv[2], 0, &syms[nuser], &syms[nunknown]);
	load_blocks(argv[4], 1, &syms[nuser], &syms[nunknown]);
	nsyms += 2;
	for (i = 0; i < nsyms; i++) {
		total += syms[i].count[1] - syms[i].count[0];
		total0 += syms[i].count[0];
	}
	if (total0 <= 0 || total <= 0) {
		fprintf(stderr, "vmbnet-profile-map: the second boot ran no more than the first\n");
		return 1;
	}
	qsort(syms, nsyms, sizeof(*syms), by_delta);
	printf("%10s %6s  %s\n", "instr/frame", "share", "function");
	for (i = 0; i < nsyms && i < top; i++) {
		double d = (syms[i].count[1] - syms[i].count[0]) / (frames[1] - frames[0]);

		if (d < 0.5)
			break;
		shown += d;
		printf("%10.1f %5.1f%%  %s\n", d, 100.0 * d * (frames[1] - frames[0]) / total,
		       syms[i].name);
	}
	printf("%10.1f %5.1f%%  (the rest)\n", total / (frames[1] - frames[0]) - shown,
	       100.0 - 100.0 * shown * (frames[1] - frames[0]) / total);
	printf("%10.1f        guest instructions per frame in all\n",
	       total / (frames[1] - frames[0]));
	return 0;
}
