/* A small HTTP/1.1 listener for the Prometheus exposition (GET /metrics).
 * It knows nothing of Lua or of what it serves: its descriptors join the
 * caller's epoll set, complete GET /metrics requests wait for the caller
 * to answer them (lb_http_respond), and everything else (other paths,
 * other methods, oversized or malformed requests) is answered here. */
#ifndef LUABPF_HTTP_H
#define LUABPF_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define LB_HTTP_MAXREQ 8192 /* bytes of request line and headers */
#define LB_HTTP_CLIENTS 16  /* connections at once: the oldest idle one goes */

struct lb_http;

/* Listen on addr: "127.0.0.1:9464", "[::1]:9464", "localhost:9464", or a
 * bare port ("9464": 127.0.0.1); port 0 takes a free one. Its
 * descriptors are added to epoll_fd (event data: the descriptor). NULL
 * with why in err. */
struct lb_http *lb_http_open(const char *addr, int epoll_fd, char *err, size_t errlen);
void lb_http_close(struct lb_http *h);
/* The address bound, as HOST:PORT ("127.0.0.1:41234"). */
const char *lb_http_address(const struct lb_http *h);
/* fd was reported ready by epoll: accept, read, write what is due.
 * Returns 1 if fd is one of the listener's, 0 otherwise. */
int lb_http_ready(struct lb_http *h, int fd, uint32_t events);
/* The next GET /metrics waiting for its answer: its id (> 0), or 0. */
uint64_t lb_http_next_request(struct lb_http *h);
/* Answer request id: status 200 (body in the exposition format) or 500
 * (body: the error). A request whose client has gone is ignored. */
int lb_http_respond(struct lb_http *h, uint64_t id, int status, const char *body, size_t len);

#endif
