// SPDX-License-Identifier: GPL-2.0
/*
 * vmbnet-ethtool: the parts of ethtool(8) the guest tests need, for the
 * busybox initramfs (static, one ioctl each).
 *
 * usage: vmbnet-ethtool <ifname> channels          "combined N max M" (-l)
 *        vmbnet-ethtool <ifname> set-combined <N>  ethtool -L <if> combined N
 *        vmbnet-ethtool <ifname> stats             "name value" lines (-S)
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int eth_ioctl(const char *ifname, void *cmd)
{
	struct ifreq ifr;
	int fd, ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

static int get_set_channels(const char *ifname, long set)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int err = eth_ioctl(ifname, &ch);

	if (!err && set >= 0) {
		ch.cmd = ETHTOOL_SCHANNELS;
		ch.combined_count = (unsigned int)set;
		err = eth_ioctl(ifname, &ch);
	}
	if (err) {
		fprintf(stderr, "vmbnet-ethtool: %s channels: %s\n", ifname, strerror(-err));
		return 1;
	}
	if (set < 0)
		printf("combined %u max %u\n", ch.combined_count, ch.max_combined);
	return 0;
}

static int print_stats(const char *ifname)
{
	struct {
		struct ethtool_sset_info hdr;
		unsigned int count;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *vals = NULL;
	unsigned int n, i;
	int err;

	err = eth_ioctl(ifname, &info);
	n = info.hdr.sset_mask ? info.count : 0;
	if (!err && n) {
		names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
		vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(vals->data[0]));
		err = names && vals ? 0 : -ENOMEM;
	}
	if (!err && n) {
		names->cmd = ETHTOOL_GSTRINGS;
		names->string_set = ETH_SS_STATS;
		names->len = n;
		vals->cmd = ETHTOOL_GSTATS;
		vals->n_stats = n;
		err = eth_ioctl(ifname, names);
		if (!err)
			err = eth_ioctl(ifname, vals);
	}
	for (i = 0; !err && i < n; i++)
		printf("%.*s %llu\n", ETH_GSTRING_LEN, (char *)names->data + i * ETH_GSTRING_LEN,
		       (unsigned long long)vals->data[i]);
	free(names);
	free(vals);
	if (err)
		fprintf(stderr, "vmbnet-ethtool: %s stats: %s\n", ifname, strerror(-err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc == 3 && !strcmp(argv[2], "channels"))
		return get_set_channels(argv[1], -1);
	if (argc == 3 && !strcmp(argv[2], "stats"))
		return print_stats(argv[1]);
	if (argc == 4 && !strcmp(argv[2], "set-combined")) {
		n = strtol(argv[3], &end, 10);
		if (*end || n < 1 || n > 64) {
			fprintf(stderr, "vmbnet-ethtool: bad channel count '%s'\n", argv[3]);
			return 2;
		}
		return get_set_channels(argv[1], n);
	}
	fprintf(stderr, "usage: vmbnet-ethtool <ifname> channels|stats|set-combined <N>\n");
	return 2;
}
