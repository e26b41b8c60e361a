/* The metrics listener: non-blocking sockets driven by the session's
 * epoll loop. One request per connection (Connection: close), so a
 * client is reading its request, waiting for the caller's answer, or
 * being written to; nothing here blocks or reads without bound. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "http.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum { C_FREE = 0, C_READING, C_WAITING, C_WRITING };

struct client {
	int fd, state;
	int handed;  /* waiting, and its id handed to the caller */
	uint64_t id; /* request id while waiting: ids are never reused, fds are */
	size_t len;  /* bytes read */
	char *out;   /* response */
	size_t outlen, sent;
	char in[LB_HTTP_MAXREQ];
};

struct lb_http {
	int fd, epoll_fd;
	uint64_t serial;
	char address[64];
	struct client c[LB_HTTP_CLIENTS];
};

/* "HOST:PORT" -> a socket address; 0, or -1 with why in err. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl, char *err,
		      size_t errlen)
{
	char host[64] = "127.0.0.1";
	const char *port = addr, *colon = strrchr(addr, ':'), *h = addr;
	char *end;
	long p;

	if (colon) {
		size_t n = (size_t)(colon - addr);

		if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
			h++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof host)
			goto bad;
		memcpy(host, h, n);
		host[n] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (!*port || *end || errno || p < 0 || p > 65535)
		goto bad;
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*sl = sizeof *a4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*sl = sizeof *a6;
		return 0;
	}
bad:
	snprintf(err, errlen,
		 "bad metrics address '%s': give HOST:PORT with a numeric address "
		 "(127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for every interface) or a port",
		 addr);
	return -1;
}

static void set_address(struct lb_http *h)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (getsockname(h->fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		snprintf(h->address, sizeof h->address, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		snprintf(h->address, sizeof h->address, "%s:%u", ip, ntohs(a->sin_port));
	}
}

static int watch(struct lb_http *h, int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(h->epoll_fd, op, fd, &ev);
}

struct lb_http *lb_http_open(const char *addr, int epoll_fd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct lb_http *h;
	int one = 1;

	if (parse_addr(addr, &ss, &sl, err, errlen))
		return NULL;
	if (!(h = calloc(1, sizeof *h))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->epoll_fd = epoll_fd;
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(h->fd, (struct sockaddr *)&ss, sl) || listen(h->fd, 64) ||
	    watch(h, EPOLL_CTL_ADD, h->fd, EPOLLIN)) {
		int e = errno;

		snprintf(err, errlen, "cannot serve metrics on %s: %s%s", addr, strerror(e),
			 e == EADDRINUSE ? " (something else listens there: choose another port)"
			 : e == EADDRNOTAVAIL ? " (not an address of this machine)"
					      : "");
		if (h->fd >= 0)
			close(h->fd);
		free(h);
		return NULL;
	}
	set_address(h);
	return h;
}

const char *lb_http_address(const struct lb_http *h)
{
	return h->address;
}

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd); /* leaves the epoll set with it */
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->state = C_FREE;
}

void lb_http_close(struct lb_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < LB_HTTP_CLIENTS; i++)
		if (h->c[i].state != C_FREE)
			drop(&h->c[i]);
	close(h->fd);
	free(h);
}

/* Write what the kernel takes now; the rest when the socket says so. */
static void flush(struct lb_http *h, struct client *c)
{
	while (c->sent < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->sent, c->outlen - c->sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (watch(h, EPOLL_CTL_MOD, c->fd, EPOLLOUT))
				drop(c);
			return;
		}
		if (n <= 0) {
			drop(c);
			return;
		}
		c->sent += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	/* unread input at close makes the kernel reset the connection, which
	 * can cost the client the answer (a 431 to an oversized request) */
	for (int i = 0; i < 8 && read(c->fd, c->in, sizeof c->in) > 0; i++)
		;
	drop(c);
}

static int answer(struct lb_http *h, struct client *c, const char *status, const char *extra,
		  const char *ctype, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n",
			 status, ctype, len, extra);

	free(c->out);
	if (!(c->out = malloc((size_t)n + len))) {
		drop(c);
		return -1;
	}
	memcpy(c->out, head, (size_t)n);
	memcpy(c->out + n, body, len);
	c->outlen = (size_t)n + len;
	c->sent = 0;
	c->state = C_WRITING;
	flush(h, c);
	return 0;
}

static void error_page(struct lb_http *h, struct client *c, const char *status, const char *extra,
		       const char *msg)
{
	answer(h, c, status, extra, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* A whole request head has arrived: answer it here, or queue it. */
static void request(struct lb_http *h, struct client *c)
{
	char method[16], target[256], version[16];
	size_t plen;

	c->in[c->len] = 0;
	if (sscanf(c->in, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		error_page(h, c, "400 Bad Request", "", "bad request\n");
		return;
	}
	plen = strcspn(target, "?");
	if (plen != 8 || memcmp(target, "/metrics", 8) != 0) {
		error_page(h, c, "404 Not Found", "", "not found: luabpf serves GET /metrics\n");
		return;
	}
	if (strcmp(method, "GET") != 0) {
		error_page(h, c, "405 Method Not Allowed", "Allow: GET\r\n",
			   "method not allowed: luabpf serves GET /metrics\n");
		return;
	}
	/* no more reading until answered: a level-triggered EPOLLIN from a
	 * client that keeps sending would spin the loop */
	if (watch(h, EPOLL_CTL_MOD, c->fd, 0)) {
		drop(c);
		return;
	}
	c->state = C_WAITING;
	c->handed = 0;
	c->id = ++h->serial;
}

static void receive(struct lb_http *h, struct client *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* gone before the request was whole */
			drop(c);
			return;
		}
		c->len += (size_t)n;
		c->in[c->len] = 0;
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			request(h, c);
			return;
		}
		if (c->len == sizeof c->in - 1) {
			error_page(h, c, "431 Request Header Fields Too Large", "",
				   "request too large\n");
			return;
		}
	}
}

/* A slot for a new connection: a free one, else the oldest still reading
 * (a client that connects and sends nothing must not block scrapes). */
static struct client *slot(struct lb_http *h)
{
	struct client *old = NULL;

	for (int i = 0; i < LB_HTTP_CLIENTS; i++) {
		struct client *c = &h->c[i];

		if (c->state == C_FREE)
			return c;
		if (c->state == C_READING && (!old || c->id < old->id))
			old = c;
	}
	if (old)
		drop(old);
	return old;
}

static void accept_all(struct lb_http *h)
{
	for (;;) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0)
			return; /* EAGAIN, or a connection that failed meanwhile */
		if (!(c = slot(h)) || watch(h, EPOLL_CTL_ADD, fd, EPOLLIN)) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = C_READING;
		c->len = 0;
		c->id = ++h->serial; /* age, for slot(); replaced when queued */
		receive(h, c);	     /* the request is often there already */
	}
}

int lb_http_ready(struct lb_http *h, int fd, uint32_t events)
{
	if (fd == h->fd) {
		accept_all(h);
		return 1;
	}
	for (int i = 0; i < LB_HTTP_CLIENTS; i++) {
		struct client *c = &h->c[i];

		if (c->state == C_FREE || c->fd != fd)
			continue;
		if (events & (EPOLLERR | EPOLLHUP))
			drop(c);
		else if (c->state == C_READING)
			receive(h, c);
		else if (c->state == C_WRITING)
			flush(h, c);
		return 1;
	}
	return 0;
}

uint64_t lb_http_next_request(struct lb_http *h)
{
	struct client *first = NULL;

	for (int i = 0; i < LB_HTTP_CLIENTS; i++) {
		struct client *c = &h->c[i];

		if (c->state == C_WAITING && !c->handed && (!first || c->id < first->id))
			first = c;
	}
	if (!first)
		return 0;
	first->handed = 1;
	return first->id;
}

int lb_http_respond(struct lb_http *h, uint64_t id, int status, const char *body, size_t len)
{
	for (int i = 0; i < LB_HTTP_CLIENTS; i++) {
		struct client *c = &h->c[i];

		if (c->state == C_WAITING && c->id == id)
			return status == 200 ? answer(h, c, "200 OK", "", CONTENT_TYPE, body, len)
					     : answer(h, c, "500 Internal Server Error", "",
						      "text/plain; charset=utf-8", body, len);
	}
	return 0;
}
