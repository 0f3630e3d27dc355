/* keyfoldd — command-line flags and environment variables. */
#ifndef KEYFOLDD_CONFIG_H
#define KEYFOLDD_CONFIG_H

#include <stdio.h>

#include "server.h"

/* Fills cfg from the defaults, then the KEYFOLD_* environment (getenv), then
 * argv (flags win). Returns 0 to run, 1 when the process should exit 0
 * (--help, --version: the text went to `out`), or -1 on a bad value (the
 * message went to `errout`). */
int kd_config_parse(kd_config *cfg, int argc, char **argv, FILE *out, FILE *errout);

/* Parses "host:port" ("[::1]:8470" for IPv6) into host (without brackets)
 * and port. Returns 0, or -1 if malformed. */
int kd_split_listen(const char *listen, char *host, size_t host_size, unsigned *port);

#endif
