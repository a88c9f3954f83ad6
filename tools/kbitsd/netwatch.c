// SPDX-License-Identifier: GPL-2.0
/*
 * The network as the daemon sees it: rtnetlink messages of links going
 * down or up and of default routes going and coming (BITS: a job whose
 * network goes away is a transient error, and goes on as soon as it comes
 * back), the byte counters of an interface in a worker's network namespace
 * (/proc/<pid>/net/dev), and what TCP received on a worker's connection
 * (sock_diag, in the daemon's own namespace), which bandwidth.c reads at
 * the same moment.
 *
 * Only the daemon's own network namespace is watched: a job of a container
 * with its own network whose link goes down fails as curl sees it, and is
 * retried after its delay.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "kbitsd.h"

int netwatch_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
	};
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* A link's name from its attributes, into @name; false when none. */
static bool link_name(struct nlmsghdr *nh, char name[IF_NAMESIZE])
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	struct rtattr *rta;

	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t n = RTA_PAYLOAD(rta);

		if (rta->rta_type != IFLA_IFNAME || !n || n > IF_NAMESIZE)
			continue;
		memcpy(name, RTA_DATA(rta), n);
		name[n - 1] = 0;
		return name[0] != 0;
	}
	return false;
}

/*
 * An IPv4 default route's interface, into @name; false when it is not one.
 * (IPv6 default routes come and go with router advertisements, several
 * at a time: one going is no sign of the link going.)
 */
static bool default_route_dev(struct nlmsghdr *nh, char name[IF_NAMESIZE])
{
	struct rtmsg *rtm = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rtm));
	struct rtattr *rta;

	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len || rtm->rtm_table != RT_TABLE_MAIN)
		return false;
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == RTA_OIF && RTA_PAYLOAD(rta) >= sizeof(int))
			return if_indextoname((unsigned int)*(int *)RTA_DATA(rta), name) != NULL;
	}
	return false;
}

void netwatch_read(int fd, void (*down)(void *ctx, const char *ifname),
		   void (*up)(void *ctx), void *ctx)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	char name[IF_NAMESIZE];
	struct sockaddr_nl from;
	socklen_t fromlen;
	struct nlmsghdr *nh;
	ssize_t n;
	int len;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			up(ctx);	/* messages were lost: try what waits */
			continue;
		}
		if (n <= 0)
			return;
		if (fromlen != sizeof(from) || from.nl_pid != 0)
			continue;	/* only the kernel's */
		len = (int)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			switch (nh->nlmsg_type) {
			case RTM_NEWLINK: {
				struct ifinfomsg *ifi = NLMSG_DATA(nh);

				if (!link_name(nh, name))
					break;
				if ((ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING))
					up(ctx);
				else
					down(ctx, name);
				break;
			}
			case RTM_DELLINK:
				if (link_name(nh, name))
					down(ctx, name);
				break;
			case RTM_NEWROUTE:
				up(ctx);
				break;
			case RTM_DELROUTE:
				if (default_route_dev(nh, name))
					down(ctx, name);
				break;
			default:
				break;
			}
		}
	}
}

/* The daemon's sock_diag socket, opened at first use. */
static int diag_fd = -1;

int tcp_bytes_received(const struct conn_id *c, uint64_t *bytes)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct inet_diag_msg *msg;
	struct nlmsghdr *nh;
	struct rtattr *rta;
	ssize_t n;
	int len, alen;

	if (c->family != AF_INET && c->family != AF_INET6)
		return -EINVAL;
	if (diag_fd < 0) {
		diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (diag_fd < 0)
			return -errno;
	}
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)c->family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	req.r.idiag_states = ~0U;
	req.r.id.idiag_sport = htons(c->lport);
	req.r.id.idiag_dport = htons(c->rport);
	memcpy(req.r.id.idiag_src, c->laddr, c->family == AF_INET ? 4 : 16);
	memcpy(req.r.id.idiag_dst, c->raddr, c->family == AF_INET ? 4 : 16);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (send(diag_fd, &req, sizeof(req), 0) < 0)
		return -errno;
	/* one answer: the socket, or an error */
	n = recv(diag_fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	len = (int)n;
	nh = (struct nlmsghdr *)(void *)buf;
	if (!NLMSG_OK(nh, len))
		return -EPROTO;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		return e->error ? e->error : -ENOENT;
	}
	if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
		return -EPROTO;
	msg = NLMSG_DATA(nh);
	alen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*msg));
	for (rta = (struct rtattr *)(msg + 1); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		struct tcp_info ti;

		if (rta->rta_type != INET_DIAG_INFO)
			continue;
		if (RTA_PAYLOAD(rta) < offsetof(struct tcp_info, tcpi_bytes_received) +
				       sizeof(ti.tcpi_bytes_received))
			return -EPROTO;
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, RTA_DATA(rta), RTA_PAYLOAD(rta) < sizeof(ti) ? RTA_PAYLOAD(rta) :
			sizeof(ti));
		*bytes = ti.tcpi_bytes_received;
		return 0;
	}
	return -ENODATA;
}

int netdev_bytes(pid_t pid, const char *ifname, uint64_t *bytes)
{
	char path[64], line[512];
	size_t len = strlen(ifname);
	unsigned long long v[1];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (strncmp(p, ifname, len) || p[len] != ':')
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast; tx... */
		if (sscanf(p + len + 1, "%llu", &v[0]) == 1) {
			*bytes = v[0];
			err = 0;
		}
		break;
	}
	fclose(f);
	return err;
}

uint64_t netns_of_fd(int fd)
{
	struct stat st;

	if (fd < 0)
		return stat("/proc/self/ns/net", &st) < 0 ? 0 : (uint64_t)st.st_ino;
	return fstat(fd, &st) < 0 ? 0 : (uint64_t)st.st_ino;
}
