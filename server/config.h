/* keyfoldd — configuration: the embedded defaults, KEYFOLD_* environment
 * variables and command-line flags, all read from one option table. */
#ifndef KEYFOLDD_CONFIG_H
#define KEYFOLDD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum kd_log_level { KD_LOG_ERROR = 0, KD_LOG_WARN, KD_LOG_INFO, KD_LOG_DEBUG } kd_log_level;
typedef enum kd_log_format { KD_LOG_TEXT = 0, KD_LOG_JSON } kd_log_format;

/* How changes reach the disk (--durability):
 *   strict  every change is on disk (fsync'd) before its 2xx is sent;
 *   lease   a stream reserves a block of counts on disk and hands them out
 *           from memory; after a crash it resumes past the block (gaps,
 *           never reuse). Creations, deletions and reseeds are strict;
 *   memory  nothing is persisted. */
typedef enum kd_durability { KD_DURABILITY_STRICT = 0, KD_DURABILITY_LEASE, KD_DURABILITY_MEMORY } kd_durability;

/* Static name ("strict", …); "unknown" for another value. */
const char *kd_durability_name(kd_durability d);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int kd_durability_from_name(const char *name, kd_durability *out);

/* Where the sessions are stored (--store): an SQLite file in --data-dir, or
 * a PostgreSQL database (--postgres-url). */
typedef enum kd_store_kind { KD_STORE_SQLITE = 0, KD_STORE_POSTGRES } kd_store_kind;

/* Static name ("sqlite", "postgres"); "unknown" for another value. */
const char *kd_store_kind_name(kd_store_kind k);

typedef struct kd_config {
  char listen[256];        /* host:port; port 0 picks a free one */
  int threads;             /* MHD worker threads; 0 = one per core */
  size_t max_body;         /* bytes; larger bodies are 413 */
  uint64_t max_elements;   /* per tensor or draw; larger is 413 */
  uint64_t max_model_params; /* parameters of one session's model; more is 413 */
  size_t max_sessions;     /* more is 429 */
  kd_log_level log_level;
  kd_log_format log_format;
  unsigned connection_timeout; /* seconds an idle connection is kept */
  unsigned connection_limit;   /* concurrent connections */
  char data_dir[2048];     /* where the store lives (--data-dir) */
  kd_durability durability;
  uint32_t lease_block;    /* counts a lease reserves at once */
  char auth_token_file[2048]; /* empty: no authentication */
  unsigned max_connections_per_ip; /* 0: unlimited */
  unsigned request_timeout; /* seconds a request body may take to arrive */
  char snapshot_dir[2048];  /* where snapshots go; empty: <data_dir>/snapshots */
  kd_store_kind store;      /* --store */
  char postgres_url[4096];  /* --store postgres: a libpq connection string or URI */
  int ui;                   /* --ui: serve the browser console at /ui (1, the default) or not */
} kd_config;

/* Fills *cfg with the embedded defaults (127.0.0.1:8470, …). */
void kd_config_defaults(kd_config *cfg);

/* What kd_config_parse asks of the process. */
typedef enum kd_config_outcome {
  KD_CONFIG_BAD = -1,        /* a bad value; the message went to `errout` */
  KD_CONFIG_RUN = 0,         /* serve */
  KD_CONFIG_DONE = 1,        /* exit 0: --help or --version printed to `out` */
  KD_CONFIG_DUMP_TABLES = 2  /* --dump-tables: the caller prints the tables and exits 0 */
} kd_config_outcome;

/* Fills cfg from the defaults, then the KEYFOLD_* environment (getenv), then
 * argv (flags win). */
kd_config_outcome kd_config_parse(kd_config *cfg, int argc, char **argv, FILE *out, FILE *errout);

/* One row of the option table, for --dump-tables: the flag, its variable
 * (NULL for the switches --help, --version, --dump-tables, which only
 * exist as flags), what it takes and its value in a configuration. */
typedef struct kd_option_info {
  const char *flag;
  const char *env;
  const char *kind;  /* "address", "path", "size" (k/m/g suffixes), "count", "log_level",
                        "log_format", "durability", "store", "text", "on_off" or "switch" */
  int numeric;       /* size and count: value_number, min and max apply */
  uint64_t min, max;
  uint64_t value_number;
  const char *value_text; /* the other kinds: the value as the flag spells it; NULL when unset
                             (an empty path) and for switches */
  const char *help;
} kd_option_info;

size_t kd_option_count(void);
/* Row i with its value in cfg. Returns 0, or -1 past the last row. */
int kd_option_at(size_t i, const kd_config *cfg, kd_option_info *info);

/* Parses "host:port" ("[::1]:8470" for IPv6) into host (without brackets)
 * and port. Returns 0, or -1 if malformed. */
int kd_split_listen(const char *listen, char *host, size_t host_size, unsigned *port);

#endif
