/* keyfoldd's configuration (server/config.h): embedded defaults, KEYFOLD_*
 * environment variables, flags (which win), values and their refusals. */
#define _DEFAULT_SOURCE /* setenv, unsetenv, open_memstream */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *const ENV[] = {
    "KEYFOLD_LISTEN", "KEYFOLD_THREADS", "KEYFOLD_MAX_BODY", "KEYFOLD_MAX_ELEMENTS", "KEYFOLD_MAX_MODEL_PARAMS",
    "KEYFOLD_MAX_SESSIONS", "KEYFOLD_LOG_LEVEL", "KEYFOLD_LOG_FORMAT", "KEYFOLD_DATA_DIR", "KEYFOLD_DURABILITY",
    "KEYFOLD_LEASE_BLOCK", "KEYFOLD_SNAPSHOT_DIR", "KEYFOLD_AUTH_TOKEN_FILE", "KEYFOLD_MAX_CONNECTIONS_PER_IP",
    "KEYFOLD_REQUEST_TIMEOUT", "KEYFOLD_CONNECTION_TIMEOUT", "KEYFOLD_CONNECTION_LIMIT", "KEYFOLD_STORE", "KEYFOLD_POSTGRES_URL",
    "KEYFOLD_UI",
};

static void clear_env(void) {
  for (size_t i = 0; i < sizeof ENV / sizeof ENV[0]; i++) unsetenv(ENV[i]);
}

typedef struct run {
  int rc;
  kd_config cfg;
  char *out, *err;
} run;

/* Parses argv (NULL-terminated, after the program name), capturing both streams. */
static run parse(const char *const *args) {
  char *argv[32] = {"keyfoldd"};
  int argc = 1;
  while (args && args[argc - 1]) {
    argv[argc] = (char *)args[argc - 1];
    argc++;
  }
  run r;
  size_t n;
  FILE *out = open_memstream(&r.out, &n), *err = open_memstream(&r.err, &n);
  ck_assert(out && err);
  r.rc = kd_config_parse(&r.cfg, argc, argv, out, err);
  fclose(out);
  fclose(err);
  return r;
}

static void done(run *r) {
  free(r->out);
  free(r->err);
}

/* Expects a refusal whose message is `message` exactly. */
static void refused(const char *const *args, const char *message) {
  run r = parse(args);
  ck_assert_msg(r.rc == -1, "accepted: %s", args[0]);
  ck_assert_str_eq(r.err, message);
  ck_assert_str_eq(r.out, "");
  done(&r);
}

START_TEST(defaults) {
  clear_env();
  run r = parse(NULL);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_str_eq(r.err, "");
  kd_config d;
  kd_config_defaults(&d);
  ck_assert(memcmp(&d, &r.cfg, sizeof d) == 0);
  ck_assert_str_eq(r.cfg.listen, "127.0.0.1:8470");
  ck_assert_uint_eq(r.cfg.max_body, (size_t)16 << 20);
  ck_assert_uint_eq(r.cfg.max_elements, 16777216);
  ck_assert_uint_eq(r.cfg.max_sessions, 100000);
  ck_assert_str_eq(r.cfg.data_dir, "./var");
  ck_assert_int_eq(r.cfg.durability, KD_DURABILITY_STRICT);
  ck_assert_uint_eq(r.cfg.lease_block, 4096);
  ck_assert_int_eq(r.cfg.log_level, KD_LOG_INFO);
  ck_assert_int_eq(r.cfg.log_format, KD_LOG_TEXT);
  ck_assert_str_eq(r.cfg.auth_token_file, "");
  ck_assert_str_eq(r.cfg.snapshot_dir, "");
  ck_assert_int_eq(r.cfg.store, KD_STORE_SQLITE);
  ck_assert_str_eq(r.cfg.postgres_url, "");
  ck_assert_int_eq(r.cfg.ui, 1);
  done(&r);
}
END_TEST

START_TEST(console_switch) {
  clear_env();
  const char *off[] = {"--ui", "off", NULL};
  run r = parse(off);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_int_eq(r.cfg.ui, 0);
  done(&r);
  /* From the environment; a flag wins. */
  setenv("KEYFOLD_UI", "off", 1);
  r = parse(NULL);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_int_eq(r.cfg.ui, 0);
  done(&r);
  const char *on[] = {"--ui=on", NULL};
  r = parse(on);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_int_eq(r.cfg.ui, 1);
  kd_option_info info;
  int found = 0;
  for (size_t i = 0; kd_option_at(i, &r.cfg, &info) == 0; i++) {
    if (strcmp(info.flag, "--ui") != 0) continue;
    found = 1;
    ck_assert_str_eq(info.kind, "on_off");
    ck_assert_str_eq(info.value_text, "on");
  }
  ck_assert(found);
  done(&r);
  clear_env();
  const char *bad[] = {"--ui", "yes", NULL};
  refused(bad, "keyfoldd: --ui: expected on or off, got 'yes'\n");
  const char *empty[] = {"--ui=", NULL};
  refused(empty, "keyfoldd: --ui: expected on or off, got ''\n");
}
END_TEST

START_TEST(stores) {
  clear_env();
  const char *pg[] = {"--store", "postgres", "--postgres-url", "postgresql://u@db/keyfold", NULL};
  run r = parse(pg);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_int_eq(r.cfg.store, KD_STORE_POSTGRES);
  ck_assert_str_eq(r.cfg.postgres_url, "postgresql://u@db/keyfold");
  done(&r);
  /* From the environment; a flag wins. */
  setenv("KEYFOLD_STORE", "postgres", 1);
  setenv("KEYFOLD_POSTGRES_URL", "host=/run/postgresql dbname=kf", 1);
  r = parse(NULL);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_int_eq(r.cfg.store, KD_STORE_POSTGRES);
  ck_assert_str_eq(r.cfg.postgres_url, "host=/run/postgresql dbname=kf");
  done(&r);
  const char *sqlite[] = {"--store=sqlite", NULL};
  r = parse(sqlite);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_int_eq(r.cfg.store, KD_STORE_SQLITE);
  done(&r);
  clear_env();
  const char *no_url[] = {"--store", "postgres", NULL};
  refused(no_url, "keyfoldd: --store postgres needs --postgres-url (or KEYFOLD_POSTGRES_URL)\n");
  const char *bad[] = {"--store=Postgres", NULL};
  refused(bad, "keyfoldd: --store: expected sqlite or postgres, got 'Postgres'\n");
  const char *empty[] = {"--postgres-url=", NULL};
  refused(empty, "keyfoldd: --postgres-url: expected a non-empty value\n");
  ck_assert_str_eq(kd_store_kind_name(KD_STORE_POSTGRES), "postgres");
  ck_assert_str_eq(kd_store_kind_name((kd_store_kind)9), "unknown");
}
END_TEST

START_TEST(environment_and_flags) {
  clear_env();
  setenv("KEYFOLD_MAX_SESSIONS", "7", 1);
  setenv("KEYFOLD_DURABILITY", "lease", 1);
  setenv("KEYFOLD_DATA_DIR", "/srv/env", 1);
  setenv("KEYFOLD_LOG_FORMAT", "json", 1);
  setenv("KEYFOLD_THREADS", "", 1); /* empty: not set */
  run r = parse(NULL);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.cfg.max_sessions, 7);
  ck_assert_int_eq(r.cfg.durability, KD_DURABILITY_LEASE);
  ck_assert_str_eq(r.cfg.data_dir, "/srv/env");
  ck_assert_int_eq(r.cfg.log_format, KD_LOG_JSON);
  ck_assert_int_eq(r.cfg.threads, 0);
  done(&r);
  /* A flag wins over its variable, in both spellings. */
  const char *args[] = {"--max-sessions=9", "--durability", "memory", "--data-dir", "/srv/flag", NULL};
  r = parse(args);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.cfg.max_sessions, 9);
  ck_assert_int_eq(r.cfg.durability, KD_DURABILITY_MEMORY);
  ck_assert_str_eq(r.cfg.data_dir, "/srv/flag");
  ck_assert_int_eq(r.cfg.log_format, KD_LOG_JSON); /* from the environment still */
  done(&r);
  /* The last of two flags wins. */
  const char *twice[] = {"--threads", "3", "--threads=5", NULL};
  r = parse(twice);
  ck_assert_int_eq(r.cfg.threads, 5);
  done(&r);
  /* A bad variable is refused, named. */
  setenv("KEYFOLD_DURABILITY", "fast", 1);
  refused(NULL, "keyfoldd: KEYFOLD_DURABILITY: expected strict, lease or memory, got 'fast'\n");
  clear_env();
}
END_TEST

START_TEST(sizes_take_suffixes) {
  clear_env();
  const struct {
    const char *arg;
    size_t want;
  } cases[] = {{"--max-body=1024", 1024},     {"--max-body=2k", 2048},           {"--max-body=2K", 2048},
               {"--max-body=3m", 3u << 20},   {"--max-body=1g", (size_t)1 << 30}, {"--max-body=16g", (size_t)16 << 30}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *args[] = {cases[i].arg, NULL};
    run r = parse(args);
    ck_assert_msg(r.rc == 0, "%s: %s", cases[i].arg, r.err);
    ck_assert_uint_eq(r.cfg.max_body, cases[i].want);
    done(&r);
  }
  const char *elements[] = {"--max-elements", "4k", NULL};
  run r = parse(elements);
  ck_assert_uint_eq(r.cfg.max_elements, 4096);
  done(&r);
  const char *lease[] = {"--lease-block=1073741824", NULL};
  r = parse(lease);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.cfg.lease_block, 1u << 30);
  done(&r);
}
END_TEST

START_TEST(bad_values_are_refused) {
  clear_env();
  const struct {
    const char *args[3];
    const char *message;
  } cases[] = {
      {{"--max-body=1023"}, "keyfoldd: --max-body: expected an integer in 1024..17179869184, got '1023'\n"},
      {{"--max-body=17g"}, "keyfoldd: --max-body: expected an integer in 1024..17179869184, got '17g'\n"},
      {{"--max-body=2x"}, "keyfoldd: --max-body: expected an integer in 1024..17179869184, got '2x'\n"},
      {{"--max-body=2kk"}, "keyfoldd: --max-body: expected an integer in 1024..17179869184, got '2kk'\n"},
      {{"--max-body=-5"}, "keyfoldd: --max-body: expected an integer in 1024..17179869184, got '-5'\n"},
      {{"--max-body= 5000"}, "keyfoldd: --max-body: expected an integer in 1024..17179869184, got ' 5000'\n"},
      {{"--max-body=99999999999999999999"},
       "keyfoldd: --max-body: expected an integer in 1024..17179869184, got '99999999999999999999'\n"},
      {{"--threads=1k"}, "keyfoldd: --threads: expected an integer in 0..1024, got '1k'\n"},
      {{"--threads=1025"}, "keyfoldd: --threads: expected an integer in 0..1024, got '1025'\n"},
      {{"--lease-block=0"}, "keyfoldd: --lease-block: expected an integer in 1..1073741824, got '0'\n"},
      {{"--max-sessions=0"}, "keyfoldd: --max-sessions: expected an integer in 1..4294967296, got '0'\n"},
      {{"--request-timeout", ""}, "keyfoldd: --request-timeout: expected an integer in 1..86400, got ''\n"},
      {{"--log-level=loud"}, "keyfoldd: --log-level: expected error, warn, info or debug, got 'loud'\n"},
      {{"--log-format=xml"}, "keyfoldd: --log-format: expected text or json, got 'xml'\n"},
      {{"--durability=Strict"}, "keyfoldd: --durability: expected strict, lease or memory, got 'Strict'\n"},
      {{"--data-dir="}, "keyfoldd: --data-dir: expected a path\n"},
      {{"--listen=8470"}, "keyfoldd: --listen: expected host:port, got '8470'\n"},
      {{"--listen=[::1]8470"}, "keyfoldd: --listen: expected host:port, got '[::1]8470'\n"},
      {{"--listen=host:65536"}, "keyfoldd: --listen: expected host:port, got 'host:65536'\n"},
      {{"--nope"}, "keyfoldd: unknown option '--nope' (see --help)\n"},
      {{"--threadsx=1"}, "keyfoldd: unknown option '--threadsx=1' (see --help)\n"},
      {{"listen"}, "keyfoldd: unknown option 'listen' (see --help)\n"},
      {{"--threads"}, "keyfoldd: --threads needs a value\n"},
      {{"--threads=2", "--data-dir"}, "keyfoldd: --data-dir needs a value\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) refused(cases[i].args, cases[i].message);
  /* A path as long as the field: refused, not cut. */
  char *arg = malloc(2048 + 16);
  strcpy(arg, "--data-dir=");
  memset(arg + 11, 'd', 2048);
  arg[11 + 2048] = '\0';
  const char *args[] = {arg, NULL};
  refused(args, "keyfoldd: --data-dir: expected a path\n");
  arg[11 + 2047] = '\0';
  run r = parse(args);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(strlen(r.cfg.data_dir), 2047);
  done(&r);
  free(arg);
}
END_TEST

START_TEST(help_and_version_exit) {
  clear_env();
  const char *help[] = {"--help", NULL};
  run r = parse(help);
  ck_assert_int_eq(r.rc, 1);
  ck_assert_msg(strncmp(r.out, "usage: keyfoldd [options]\n", 26) == 0, "%s", r.out);
  ck_assert_ptr_nonnull(strstr(r.out, "--lease-block"));
  ck_assert_ptr_nonnull(strstr(r.out, "KEYFOLD_DURABILITY"));
  ck_assert_str_eq(r.err, "");
  done(&r);
  const char *h[] = {"-h", NULL};
  r = parse(h);
  ck_assert_int_eq(r.rc, 1);
  done(&r);
  const char *version[] = {"--version", NULL};
  r = parse(version);
  ck_assert_int_eq(r.rc, 1);
  ck_assert_msg(strncmp(r.out, "keyfoldd ", 9) == 0 && r.out[strlen(r.out) - 1] == '\n', "%s", r.out);
  done(&r);
  /* --help wins over a bad value after it, not before it. */
  const char *after[] = {"--help", "--threads=x", NULL};
  r = parse(after);
  ck_assert_int_eq(r.rc, 1);
  done(&r);
  const char *before[] = {"--threads=x", "--help", NULL};
  r = parse(before);
  ck_assert_int_eq(r.rc, -1);
  done(&r);
}
END_TEST

START_TEST(listen_addresses) {
  char host[64];
  unsigned port = 1;
  ck_assert_int_eq(kd_split_listen("127.0.0.1:8470", host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "127.0.0.1");
  ck_assert_uint_eq(port, 8470);
  ck_assert_int_eq(kd_split_listen("[::1]:0", host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "::1");
  ck_assert_uint_eq(port, 0);
  ck_assert_int_eq(kd_split_listen("[fe80::1%eth0]:65535", host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "fe80::1%eth0");
  ck_assert_uint_eq(port, 65535);
  ck_assert_int_eq(kd_split_listen("localhost:80", host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "localhost");
  const char *bad[] = {"8470", ":8470", "[]:8470", "[::1]", "[::1]8470", "[::1:8470", "host:", "host:65536",
                       "host:-1", "host:80x", "host: 80", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    strcpy(host, "unchanged");
    ck_assert_msg(kd_split_listen(bad[i], host, sizeof host, &port) == -1, "accepted '%s'", bad[i]);
    ck_assert_str_eq(host, "unchanged");
  }
  /* A host longer than the buffer. */
  char small[4];
  ck_assert_int_eq(kd_split_listen("abcd:1", small, sizeof small, &port), -1);
  ck_assert_int_eq(kd_split_listen("abc:1", small, sizeof small, &port), 0);
  ck_assert_str_eq(small, "abc");
  /* Durability names. */
  kd_durability d;
  ck_assert_int_eq(kd_durability_from_name("lease", &d), 0);
  ck_assert_int_eq(d, KD_DURABILITY_LEASE);
  ck_assert_int_eq(kd_durability_from_name("", &d), -1);
  ck_assert_str_eq(kd_durability_name(KD_DURABILITY_MEMORY), "memory");
  ck_assert_str_eq(kd_durability_name((kd_durability)7), "unknown");
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_add_test(tc, defaults);
  tcase_add_test(tc, environment_and_flags);
  tcase_add_test(tc, stores);
  tcase_add_test(tc, console_switch);
  tcase_add_test(tc, sizes_take_suffixes);
  tcase_add_test(tc, bad_values_are_refused);
  tcase_add_test(tc, help_and_version_exit);
  tcase_add_test(tc, listen_addresses);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
