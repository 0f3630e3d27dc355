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

const char *kd_store_kind_name(kd_store_kind k) {
  switch (k) {
    case KD_STORE_SQLITE: return "sqlite";
    case KD_STORE_POSTGRES: return "postgres";
  }
  return "unknown";
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
  cfg->ui = 1;
}

typedef enum {
  OPT_LISTEN,
  OPT_PATH,
  OPT_SIZE,
  OPT_COUNT,
  OPT_LEVEL,
  OPT_DURABILITY,
  OPT_LOG_FORMAT,
  OPT_STORE,
  OPT_TEXT, /* any non-empty string */
  OPT_ON_OFF, /* on or off, an int 1 or 0 */
  OPT_SWITCH /* takes no value, has no variable and ends the parse with its outcome */
} opt_kind;

/* Indexed by opt_kind: the names --dump-tables reports. */
static const char *const kind_names[] = {"address", "path", "size", "count", "log_level",
                                         "durability", "log_format", "store", "text", "on_off",
                                         "switch"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == OPT_SWITCH + 1, "a name per opt_kind");

typedef struct {
  const char *flag;  /* "--listen" */
  const char *env;   /* "KEYFOLD_LISTEN"; NULL for a switch */
  opt_kind kind;
  size_t offset;     /* into kd_config */
  size_t size;       /* of that field */
  uint64_t min, max; /* numeric range */
  const char *help;
  /* A switch's: what it prints to `out` (may be NULL) and what it asks of the process. */
  void (*print)(FILE *out);
  kd_config_outcome outcome;
} option;

#define FIELD(f) offsetof(kd_config, f), sizeof(((kd_config *)0)->f)
#define SWITCH(flag, help, print, outcome) {flag, NULL, OPT_SWITCH, 0, 0, 0, 0, help, print, outcome}

static void usage(FILE *out);
static void version(FILE *out);

static const option options[] = {
  {"--listen", "KEYFOLD_LISTEN", OPT_LISTEN, FIELD(listen), 0, 0,
   "address to listen on, host:port (default 127.0.0.1:8470; port 0 picks a free port)", NULL, 0},
  {"--threads", "KEYFOLD_THREADS", OPT_COUNT, FIELD(threads), 0, 1024,
   "HTTP worker threads (default 0 = one per core)", NULL, 0},
  {"--max-body", "KEYFOLD_MAX_BODY", OPT_SIZE, FIELD(max_body), 1024, (uint64_t)1 << 34,
   "largest request body in bytes, with an optional k/m/g suffix (default 16m)", NULL, 0},
  {"--max-elements", "KEYFOLD_MAX_ELEMENTS", OPT_SIZE, FIELD(max_elements), 1, (uint64_t)1 << 34,
   "largest tensor or draw in elements (default 16777216)", NULL, 0},
  {"--max-model-params", "KEYFOLD_MAX_MODEL_PARAMS", OPT_SIZE, FIELD(max_model_params), 1, (uint64_t)1 << 36,
   "most parameters of one session's model, all layers together (default 67108864)", NULL, 0},
  {"--max-sessions", "KEYFOLD_MAX_SESSIONS", OPT_SIZE, FIELD(max_sessions), 1, (uint64_t)1 << 32,
   "most sessions held at once (default 100000)", NULL, 0},
  {"--log-level", "KEYFOLD_LOG_LEVEL", OPT_LEVEL, FIELD(log_level), 0, 0,
   "error, warn, info (default; one access line per request) or debug", NULL, 0},
  {"--log-format", "KEYFOLD_LOG_FORMAT", OPT_LOG_FORMAT, FIELD(log_format), 0, 0,
   "text (default) or json (one JSON object per line)", NULL, 0},
  {"--data-dir", "KEYFOLD_DATA_DIR", OPT_PATH, FIELD(data_dir), 0, 0,
   "directory of the session store, keyfold.db (default ./var)", NULL, 0},
  {"--durability", "KEYFOLD_DURABILITY", OPT_DURABILITY, FIELD(durability), 0, 0,
   "strict (default: a 2xx means fsync'd), lease (counts reserved in blocks) or memory (no store)", NULL, 0},
  {"--lease-block", "KEYFOLD_LEASE_BLOCK", OPT_COUNT, FIELD(lease_block), 1, 1u << 30,
   "counts a stream reserves on disk at once in lease mode (default 4096)", NULL, 0},
  {"--store", "KEYFOLD_STORE", OPT_STORE, FIELD(store), 0, 0,
   "where sessions are stored: sqlite (default; keyfold.db in --data-dir) or postgres (--postgres-url)", NULL, 0},
  {"--postgres-url", "KEYFOLD_POSTGRES_URL", OPT_TEXT, FIELD(postgres_url), 0, 0,
   "the PostgreSQL database of --store postgres: a libpq connection string or URI", NULL, 0},
  {"--snapshot-dir", "KEYFOLD_SNAPSHOT_DIR", OPT_PATH, FIELD(snapshot_dir), 0, 0,
   "where POST /v1/admin/snapshot and SIGUSR1 write backups (default <data-dir>/snapshots)", NULL, 0},
  {"--auth-token-file", "KEYFOLD_AUTH_TOKEN_FILE", OPT_PATH, FIELD(auth_token_file), 0, 0,
   "require Authorization: Bearer <token> (the file's first line) on all but health routes and /ui", NULL, 0},
  {"--max-connections-per-ip", "KEYFOLD_MAX_CONNECTIONS_PER_IP", OPT_COUNT, FIELD(max_connections_per_ip), 0,
   1000000, "most concurrent connections from one address, 0 = no limit (default 256)", NULL, 0},
  {"--request-timeout", "KEYFOLD_REQUEST_TIMEOUT", OPT_COUNT, FIELD(request_timeout), 1, 86400,
   "seconds a request body may take to arrive before the connection is dropped (default 30)", NULL, 0},
  {"--connection-timeout", "KEYFOLD_CONNECTION_TIMEOUT", OPT_COUNT, FIELD(connection_timeout), 1, 86400,
   "seconds before an idle connection is closed (default 60)", NULL, 0},
  {"--connection-limit", "KEYFOLD_CONNECTION_LIMIT", OPT_COUNT, FIELD(connection_limit), 1, 1000000,
   "most concurrent connections (default 1024)", NULL, 0},
  {"--ui", "KEYFOLD_UI", OPT_ON_OFF, FIELD(ui), 0, 0,
   "serve the browser console at /ui: on (default) or off", NULL, 0},
  SWITCH("--help", "print this help and exit (also -h)", usage, KD_CONFIG_DONE),
  SWITCH("--version", "print the version and exit", version, KD_CONFIG_DONE),
  SWITCH("--dump-tables", "print the daemon's tables (routes, error codes, options, operations, "
                          "initializers, layers, request fields) as one JSON object and exit",
         NULL, KD_CONFIG_DUMP_TABLES),
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

/* The numeric fields are unsigned integers of 4 or 8 bytes (threads, an
 * int, holds 0..1024), read and written through their size. */
static void store_number(char *field, size_t size, uint64_t v) {
  if (size == sizeof(uint32_t)) {
    const uint32_t narrow = (uint32_t)v;
    memcpy(field, &narrow, sizeof narrow);
  } else {
    memcpy(field, &v, sizeof v);
  }
}

static uint64_t load_number(const char *field, size_t size) {
  if (size == sizeof(uint32_t)) {
    uint32_t narrow;
    memcpy(&narrow, field, sizeof narrow);
    return narrow;
  }
  uint64_t v;
  memcpy(&v, field, sizeof v);
  return v;
}

static int apply(kd_config *cfg, const option *o, const char *value, const char *source, FILE *errout) {
  char *field = (char *)cfg + o->offset;
  if (o->kind == OPT_PATH || o->kind == OPT_TEXT) {
    if (!*value || strlen(value) >= o->size) {
      fprintf(errout, "keyfoldd: %s: expected %s\n", source,
              o->kind == OPT_PATH ? "a path" : "a non-empty value");
      return -1;
    }
    snprintf(field, o->size, "%s", value);
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
  if (o->kind == OPT_ON_OFF) {
    if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
      const int on = value[1] == 'n';
      memcpy(field, &on, sizeof on);
      return 0;
    }
    fprintf(errout, "keyfoldd: %s: expected on or off, got '%s'\n", source, value);
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
  if (o->kind == OPT_STORE) {
    if (strcmp(value, "sqlite") == 0 || strcmp(value, "postgres") == 0) {
      cfg->store = value[0] == 'p' ? KD_STORE_POSTGRES : KD_STORE_SQLITE;
      return 0;
    }
    fprintf(errout, "keyfoldd: %s: expected sqlite or postgres, got '%s'\n", source, value);
    return -1;
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
  store_number(field, o->size, v);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: keyfoldd [options]\n\n"
          "keyfold daemon %s: JAX/Flax NNX random-key streams and models over HTTP/JSON.\n\n"
          "An option with an environment variable (second column) can also be set by it; a flag wins.\n\n",
          KF_VERSION_STRING);
  for (size_t i = 0; i < OPTION_COUNT; i++)
    fprintf(out, "  %-22s %-28s %s\n", options[i].flag, options[i].env ? options[i].env : "",
            options[i].help);
}

static void version(FILE *out) { fprintf(out, "keyfoldd %s\n", KF_VERSION_STRING); }

kd_config_outcome kd_config_parse(kd_config *cfg, int argc, char **argv, FILE *out, FILE *errout) {
  kd_config_defaults(cfg);
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const char *v = options[i].env ? getenv(options[i].env) : NULL;
    if (v && *v && apply(cfg, &options[i], v, options[i].env, errout) != 0) return KD_CONFIG_BAD;
  }
  for (int a = 1; a < argc; a++) {
    const char *arg = strcmp(argv[a], "-h") == 0 ? "--help" : argv[a];
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
      return KD_CONFIG_BAD;
    }
    if (o->kind == OPT_SWITCH) {
      if (value) {
        fprintf(errout, "keyfoldd: %s takes no value\n", o->flag);
        return KD_CONFIG_BAD;
      }
      if (o->print) o->print(out);
      return o->outcome;
    }
    if (!value) {
      if (a + 1 >= argc) {
        fprintf(errout, "keyfoldd: %s needs a value\n", o->flag);
        return KD_CONFIG_BAD;
      }
      value = argv[++a];
    }
    if (apply(cfg, o, value, o->flag, errout) != 0) return KD_CONFIG_BAD;
  }
  if (cfg->store == KD_STORE_POSTGRES && !cfg->postgres_url[0]) {
    fprintf(errout, "keyfoldd: --store postgres needs --postgres-url (or KEYFOLD_POSTGRES_URL)\n");
    return KD_CONFIG_BAD;
  }
  return KD_CONFIG_RUN;
}

size_t kd_option_count(void) { return OPTION_COUNT; }

int kd_option_at(size_t i, const kd_config *cfg, kd_option_info *info) {
  if (i >= OPTION_COUNT) return -1;
  const option *o = &options[i];
  const char *field = (const char *)cfg + o->offset;
  memset(info, 0, sizeof *info);
  info->flag = o->flag;
  info->env = o->env;
  info->kind = kind_names[o->kind];
  info->help = o->help;
  switch (o->kind) {
    case OPT_SIZE:
    case OPT_COUNT:
      info->numeric = 1;
      info->min = o->min;
      info->max = o->max;
      info->value_number = load_number(field, o->size);
      break;
    case OPT_LISTEN:
    case OPT_TEXT:
    case OPT_PATH: info->value_text = *field ? field : NULL; break;
    case OPT_LEVEL: info->value_text = level_names[cfg->log_level]; break;
    case OPT_LOG_FORMAT: info->value_text = cfg->log_format == KD_LOG_JSON ? "json" : "text"; break;
    case OPT_DURABILITY: info->value_text = kd_durability_name(cfg->durability); break;
    case OPT_STORE: info->value_text = kd_store_kind_name(cfg->store); break;
    case OPT_ON_OFF: {
      int on;
      memcpy(&on, field, sizeof on);
      info->value_text = on ? "on" : "off";
      break;
    }
    case OPT_SWITCH: break;
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
