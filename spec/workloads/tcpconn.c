/* tcpconn: one TCP connection over loopback per address family, opened
 * and closed in a known order, for specs on sock:inet_sock_set_state.
 *
 * usage: tcpconn [--comm NAME] [--wait-signal] [--ipv4] [--ipv6]
 *
 * Defaults: --comm tcpconn, both families (IPv4 first) unless one is
 * named.
 *
 * For each family: a listener bound to 127.0.0.1 (or ::1) on a port the
 * kernel picks, a client connected to it, the connection accepted, then
 * closed by the client first, then by the server, then the listener is
 * closed. After each family one line is printed (and flushed):
 *     inet4 listen=<port> client=<client port>
 *     inet6 listen=<port> client=<client port>
 * so a spec knows every address and port of the state changes. The
 * client and server wait for each other's FIN (a read that returns 0)
 * before closing, so the state changes come in one order. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "workload.h"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void one(int af)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int l, c, a;
	char b;
	unsigned lport, cport;

	memset(&ss, 0, sizeof ss);
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		len = sizeof *in6;
	}
	if ((l = socket(af, SOCK_STREAM, 0)) < 0 || bind(l, (struct sockaddr *)&ss, len) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&ss, &len))
		die("listen");
	if ((c = socket(af, SOCK_STREAM, 0)) < 0 || connect(c, (struct sockaddr *)&ss, len))
		die("connect");
	if ((a = accept(l, NULL, NULL)) < 0)
		die("accept");
	lport = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* same place in both */
	len = sizeof ss;
	if (getsockname(c, (struct sockaddr *)&ss, &len))
		die("getsockname");
	cport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	/* client FIN first; the server sees it (read 0) before closing */
	if (shutdown(c, SHUT_WR) || read(a, &b, 1) != 0)
		die("client close");
	close(a);
	if (read(c, &b, 1) != 0)
		die("server close");
	close(c);
	close(l);
	printf("inet%d listen=%u client=%u\n", af == AF_INET ? 4 : 6, lport, cport);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *comm = "tcpconn";
	int wait_signal = 0, v4 = 0, v6 = 0;
	const struct wl_opt opts[] = {
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_FLAG("--ipv4", &v4),
	    WL_OPT_FLAG("--ipv6", &v6),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: tcpconn [--comm NAME] [--wait-signal] [--ipv4] [--ipv6]\n");
	if (!v4 && !v6)
		v4 = v6 = 1;
	wl_start(comm, wait_signal);
	if (v4)
		one(AF_INET);
	if (v6)
		one(AF_INET6);
	return 0;
}
