/* keyfoldd — configuration: embedded defaults, KEYFOLD_* environment, flags. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/version.h"

const char *kd_durability_name(kd_durability d) {
  switch (d) {
    case KD_DURABILITY_STRICT: return "strict";
    case KD_DURABILITY_LEASE: return "lease";
    case KD_DURABILITY_MEMORY: return "memory";
  }
  return "unknown";
}

int kd_durability_from_name(const char *name, kd_durability *out) {
  static const kd_durability all[] = {KD_DURABILITY_STRICT, KD_DURABILITY_LEASE, KD_DURABILITY_MEMORY};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (strcmp(name, kd_durability_name(all[i])) == 0) {
      *out = all[i];
      return 0;
    }
  }
  return -1;
}

void kd_config_defaults(kd_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8470");
  cfg->threads = 0;
  cfg->max_body = (size_t)16 << 20;
  cfg->max_elements = (uint64_t)1 << 24;
  cfg->max_model_params = (uint64_t)1 << 26;
  cfg->max_sessions = 100000;
  cfg->log_level = KD_LOG_INFO;
  cfg->connection_timeout = 60;
  cfg->connection_limit = 1024;
  snprintf(cfg->data_dir, sizeof cfg->data_dir, "./var");
  cfg->durability = KD_DURABILITY_STRICT;
  cfg->lease_block = 4096;
  cfg->max_connections_per_ip = 256;
  cfg->request_timeout = 30;
}

typedef enum { OPT_LISTEN, OPT_PATH, OPT_SIZE, OPT_COUNT, OPT_LEVEL, OPT_DURABILITY, OPT_LOG_FORMAT } opt_kind;

/* Every OPT_PATH field is a char[2048]. */
#define PATH_SIZE sizeof(((kd_config *)0)->data_dir)

typedef struct {
  const char *flag;  /* "--listen" */
  const char *env;   /* "KEYFOLD_LISTEN" */
  opt_kind kind;
  size_t offset;     /* into kd_config */
  uint64_t min, max; /* numeric range */
  const char *help;
} option;

#define OFF(f) offsetof(kd_config, f)

static const option options[] = {
  {"--listen", "KEYFOLD_LISTEN", OPT_LISTEN, OFF(listen), 0, 0,
   "address to listen on, host:port (default 127.0.0.1:8470; port 0 picks a free port)"},
  {"--threads", "KEYFOLD_THREADS", OPT_COUNT, OFF(threads), 0, 1024,
   "HTTP worker threads (default 0 = one per core)"},
  {"--max-body", "KEYFOLD_MAX_BODY", OPT_SIZE, OFF(max_body), 1024, (uint64_t)1 << 34,
   "largest request body in bytes, with an optional k/m/g suffix (default 16m)"},
  {"--max-elements", "KEYFOLD_MAX_ELEMENTS", OPT_SIZE, OFF(max_elements), 1, (uint64_t)1 << 34,
   "largest tensor or draw in elements (default 16777216)"},
  {"--max-model-params", "KEYFOLD_MAX_MODEL_PARAMS", OPT_SIZE, OFF(max_model_params), 1, (uint64_t)1 << 36,
   "most parameters of one session's model, all layers together (default 67108864)"},
  {"--max-sessions", "KEYFOLD_MAX_SESSIONS", OPT_SIZE, OFF(max_sessions), 1, (uint64_t)1 << 32,
   "most sessions held at once (default 100000)"},
  {"--log-level", "KEYFOLD_LOG_LEVEL", OPT_LEVEL, OFF(log_level), 0, 0,
   "error, warn, info (default; one access line per request) or debug"},
  {"--log-format", "KEYFOLD_LOG_FORMAT", OPT_LOG_FORMAT, OFF(log_format), 0, 0,
   "text (default) or json (one JSON object per line)"},
  {"--data-dir", "KEYFOLD_DATA_DIR", OPT_PATH, OFF(data_dir), 0, 0,
   "directory of the session store, keyfold.db (default ./var)"},
  {"--durability", "KEYFOLD_DURABILITY", OPT_DURABILITY, OFF(durability), 0, 0,
   "strict (default: a 2xx means fsync'd), lease (counts reserved in blocks) or memory (no store)"},
  {"--lease-block", "KEYFOLD_LEASE_BLOCK", OPT_COUNT, OFF(lease_block), 1, 1u << 30,
   "counts a stream reserves on disk at once in lease mode (default 4096)"},
  {"--snapshot-dir", "KEYFOLD_SNAPSHOT_DIR", OPT_PATH, OFF(snapshot_dir), 0, 0,
   "where POST /v1/admin/snapshot and SIGUSR1 write backups (default <data-dir>/snapshots)"},
  {"--auth-token-file", "KEYFOLD_AUTH_TOKEN_FILE", OPT_PATH, OFF(auth_token_file), 0, 0,
   "require Authorization: Bearer <token> (the file's first line) on all but health routes"},
  {"--max-connections-per-ip", "KEYFOLD_MAX_CONNECTIONS_PER_IP", OPT_COUNT, OFF(max_connections_per_ip), 0,
   1000000, "most concurrent connections from one address, 0 = no limit (default 256)"},
  {"--request-timeout", "KEYFOLD_REQUEST_TIMEOUT", OPT_COUNT, OFF(request_timeout), 1, 86400,
   "seconds a request body may take to arrive before the connection is dropped (default 30)"},
  {"--connection-timeout", "KEYFOLD_CONNECTION_TIMEOUT", OPT_COUNT, OFF(connection_timeout), 1, 86400,
   "seconds before an idle connection is closed (default 60)"},
  {"--connection-limit", "KEYFOLD_CONNECTION_LIMIT", OPT_COUNT, OFF(connection_limit), 1, 1000000,
   "most concurrent connections (default 1024)"},
};
#define OPTION_COUNT (sizeof options / sizeof options[0])

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static int parse_u64(const char *s, int suffixes, uint64_t *out) {
  if (!*s || !isdigit((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return -1;
  uint64_t mult = 1;
  if (suffixes && *end) {
    switch (tolower((unsigned char)*end)) {
      case 'k': mult = (uint64_t)1 << 10; break;
      case 'm': mult = (uint64_t)1 << 20; break;
      case 'g': mult = (uint64_t)1 << 30; break;
      default: return -1;
    }
    end++;
  }
  if (*end) return -1;
  if (v > UINT64_MAX / mult) return -1;
  *out = (uint64_t)v * mult;
  return 0;
}

static int apply(kd_config *cfg, const option *o, const char *value, const char *source, FILE *errout) {
  char *base = (char *)cfg + o->offset;
  if (o->kind == OPT_PATH) {
    if (!*value || strlen(value) >= PATH_SIZE) {
      fprintf(errout, "keyfoldd: %s: expected a path\n", source);
      return -1;
    }
    snprintf(base, PATH_SIZE, "%s", value);
    return 0;
  }
  if (o->kind == OPT_LOG_FORMAT) {
    if (strcmp(value, "text") == 0 || strcmp(value, "json") == 0) {
      cfg->log_format = value[0] == 'j' ? KD_LOG_JSON : KD_LOG_TEXT;
      return 0;
    }
    fprintf(errout, "keyfoldd: %s: expected text or json, got '%s'\n", source, value);
    return -1;
  }
  if (o->kind == OPT_DURABILITY) {
    kd_durability d;
    if (kd_durability_from_name(value, &d) != 0) {
      fprintf(errout, "keyfoldd: %s: expected strict, lease or memory, got '%s'\n", source, value);
      return -1;
    }
    cfg->durability = d;
    return 0;
  }
  if (o->kind == OPT_LISTEN) {
    if (strlen(value) >= sizeof cfg->listen) {
      fprintf(errout, "keyfoldd: %s: value too long\n", source);
      return -1;
    }
    char host[256];
    unsigned port;
    if (kd_split_listen(value, host, sizeof host, &port) != 0) {
      fprintf(errout, "keyfoldd: %s: expected host:port, got '%s'\n", source, value);
      return -1;
    }
    snprintf(cfg->listen, sizeof cfg->listen, "%s", value);
    return 0;
  }
  if (o->kind == OPT_LEVEL) {
    for (int i = 0; i < 4; i++) {
      if (strcmp(value, level_names[i]) == 0) {
        cfg->log_level = (kd_log_level)i;
        return 0;
      }
    }
    fprintf(errout, "keyfoldd: %s: expected error, warn, info or debug, got '%s'\n", source, value);
    return -1;
  }
  uint64_t v;
  if (parse_u64(value, o->kind == OPT_SIZE, &v) != 0 || v < o->min || v > o->max) {
    fprintf(errout, "keyfoldd: %s: expected an integer in %llu..%llu, got '%s'\n", source,
            (unsigned long long)o->min, (unsigned long long)o->max, value);
    return -1;
  }
  if (o->offset == OFF(threads)) *(int *)(void *)base = (int)v;
  else if (o->offset == OFF(max_body) || o->offset == OFF(max_sessions)) *(size_t *)(void *)base = (size_t)v;
  else if (o->offset == OFF(max_elements) || o->offset == OFF(max_model_params)) *(uint64_t *)(void *)base = v;
  else if (o->offset == OFF(lease_block)) *(uint32_t *)(void *)base = (uint32_t)v;
  else *(unsigned *)(void *)base = (unsigned)v;
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: keyfoldd [options]\n\n"
          "keyfold daemon %s: JAX/Flax NNX random-key streams and models over HTTP/JSON.\n\n"
          "Every option can also be set by its environment variable; a flag wins.\n\n",
          KF_VERSION_STRING);
  for (size_t i = 0; i < OPTION_COUNT; i++)
    fprintf(out, "  %-22s %-28s %s\n", options[i].flag, options[i].env, options[i].help);
  fprintf(out, "  %-22s %-28s %s\n  %-22s %-28s %s\n", "--help", "", "print this help and exit",
          "--version", "", "print the version and exit");
}

int kd_config_parse(kd_config *cfg, int argc, char **argv, FILE *out, FILE *errout) {
  kd_config_defaults(cfg);
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const char *v = getenv(options[i].env);
    if (v && *v && apply(cfg, &options[i], v, options[i].env, errout) != 0) return -1;
  }
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(out);
      return 1;
    }
    if (strcmp(arg, "--version") == 0) {
      fprintf(out, "keyfoldd %s\n", KF_VERSION_STRING);
      return 1;
    }
    const option *o = NULL;
    const char *value = NULL;
    for (size_t i = 0; i < OPTION_COUNT && !o; i++) {
      const size_t n = strlen(options[i].flag);
      if (strncmp(arg, options[i].flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
        o = &options[i];
        value = arg[n] == '=' ? arg + n + 1 : NULL;
      }
    }
    if (!o) {
      fprintf(errout, "keyfoldd: unknown option '%s' (see --help)\n", arg);
      return -1;
    }
    if (!value) {
      if (a + 1 >= argc) {
        fprintf(errout, "keyfoldd: %s needs a value\n", o->flag);
        return -1;
      }
      value = argv[++a];
    }
    if (apply(cfg, o, value, o->flag, errout) != 0) return -1;
  }
  return 0;
}

int kd_split_listen(const char *listen, char *host, size_t host_size, unsigned *port) {
  const char *colon;
  const char *h = listen;
  size_t hlen;
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (!close || close[1] != ':') return -1;
    h = listen + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(listen, ':');
    if (!colon) return -1;
    hlen = (size_t)(colon - listen);
  }
  if (hlen == 0 || hlen >= host_size) return -1;
  uint64_t p;
  if (parse_u64(colon + 1, 0, &p) != 0 || p > 65535) return -1;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  *port = (unsigned)p;
  return 0;
}
