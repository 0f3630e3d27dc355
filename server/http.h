/* keyfoldd — the HTTP layer: libmicrohttpd with an internal thread pool over
 * epoll, reading bodies under the size limit and handing complete requests
 * to kd_dispatch. */
#ifndef KEYFOLDD_HTTP_H
#define KEYFOLDD_HTTP_H

#include "server.h"

typedef struct kd_http kd_http;

/* Starts serving on the bound, listening socket fd (not taken over: the
 * caller closes it after kd_http_stop). Returns NULL on failure (logged). */
kd_http *kd_http_start(kd_server *srv, int listen_fd);

/* Stops accepting new connections (they are refused, the listening socket
 * is shut down) and returns once the acceptor thread has ended; replies
 * from now on carry "Connection: close" so keep-alive clients go away. */
void kd_http_quiesce(kd_http *http);

/* Requests received and not yet completed. Idle keep-alive connections do
 * not count: a shutdown waits for requests, not for clients to hang up. */
unsigned kd_http_in_flight(kd_http *http);

/* After the drain: requests that arrive from now on (a keep-alive client
 * may send one after the last in flight ended) are dropped with their
 * connection, and the dispatches under way are waited for, so that nothing
 * reaches the session service once the store stops taking changes. Replies
 * waiting for a commit are not affected. */
void kd_http_close(kd_http *http);

/* Stops accepting if still accepting, stops the daemon (waits for its
 * threads) and frees it. */
void kd_http_stop(kd_http *http);

#endif
