/* keyfoldd — --dump-tables (tables.h): reads each table through its own
 * reader and writes it out; it types none of them. */
#include "tables.h"

#include <stdint.h>
#include <string.h>

#include "apierr.h"
#include "buf.h"
#include "config.h"
#include "handlers.h"
#include "nn_codec.h"
#include "ops.h"
#include "router.h"
#include "spec.h"

/* Members of the rows below: key and value in one call. */
static void string_member(kd_jw *w, const char *key, const char *value) {
  kd_jw_key(w, key);
  if (value) kd_jw_string(w, value);
  else kd_jw_null(w);
}

static void uint_member(kd_jw *w, const char *key, uint64_t value) {
  kd_jw_key(w, key);
  kd_jw_uint(w, value);
}

/* A NULL-terminated list of names as an array. */
static void names_member(kd_jw *w, const char *key, const char *const *names) {
  kd_jw_key(w, key);
  kd_jw_array_begin(w);
  for (; names && *names; names++) kd_jw_string(w, *names);
  kd_jw_array_end(w);
}

static const struct {
  unsigned flag;
  const char *name;
} route_flags[] = {
  {KD_ROUTE_JSON_BODY, "json_body"}, {KD_ROUTE_OIP, "oip"},           {KD_ROUTE_OPEN, "open"},
  {KD_ROUTE_NEGOTIATE, "negotiate"}, {KD_ROUTE_NPY_BODY, "npy_body"},
};

static void write_routes(kd_jw *w) {
  kd_jw_array_begin(w);
  for (size_t i = 0; i < kd_route_count; i++) {
    const kd_route *r = &kd_routes[i];
    kd_jw_object_begin(w);
    string_member(w, "method", r->method);
    string_member(w, "pattern", r->pattern);
    kd_jw_key(w, "flags");
    kd_jw_array_begin(w);
    for (size_t f = 0; f < sizeof route_flags / sizeof route_flags[0]; f++)
      if (r->flags & route_flags[f].flag) kd_jw_string(w, route_flags[f].name);
    kd_jw_array_end(w);
    kd_jw_object_end(w);
  }
  kd_jw_array_end(w);
}

static void write_errors(kd_jw *w) {
  kd_jw_array_begin(w);
  for (int c = KD_OK + 1; c < KD_CODE_COUNT; c++) {
    kd_jw_object_begin(w);
    string_member(w, "code", kd_code_name((kd_code)c));
    uint_member(w, "status", (uint64_t)kd_code_status((kd_code)c));
    kd_jw_object_end(w);
  }
  kd_jw_array_end(w);
}

static void write_options(kd_jw *w) {
  kd_config defaults;
  kd_config_defaults(&defaults);
  kd_jw_array_begin(w);
  kd_option_info o;
  for (size_t i = 0; kd_option_at(i, &defaults, &o) == 0; i++) {
    kd_jw_object_begin(w);
    string_member(w, "flag", o.flag);
    string_member(w, "env", o.env);
    string_member(w, "kind", o.kind);
    if (o.numeric) {
      uint_member(w, "default", o.value_number);
      uint_member(w, "min", o.min);
      uint_member(w, "max", o.max);
    } else {
      string_member(w, "default", o.value_text);
    }
    string_member(w, "help", o.help);
    kd_jw_object_end(w);
  }
  kd_jw_array_end(w);
}

/* The same objects as GET /v1/random (kd_op_write). */
static void write_operations(kd_jw *w) {
  kd_jw_array_begin(w);
  for (size_t i = 0; i < kd_op_count(); i++) kd_op_write(w, kd_op_at(i));
  kd_jw_array_end(w);
}

static void write_initializers(kd_jw *w) {
  kd_jw_array_begin(w);
  kf_init_kind kind;
  const char *name;
  for (size_t i = 0; (name = kf_init_name_at(i, &kind)) != NULL; i++) {
    const char *canonical = kf_init_kind_name(kind);
    kd_jw_object_begin(w);
    string_member(w, "name", name);
    string_member(w, "alias_of", strcmp(name, canonical) != 0 ? canonical : NULL);
    names_member(w, "fields", kd_init_param_fields(kind));
    kd_jw_object_end(w);
  }
  kd_jw_array_end(w);
}

static void write_layers(kd_jw *w) {
  kd_jw_array_begin(w);
  for (int t = 0; t < KF_LAYER_TYPE_COUNT; t++) {
    kd_jw_object_begin(w);
    string_member(w, "type", kf_layer_type_name((kf_layer_type)t));
    kd_jw_key(w, "fields");
    kd_jw_array_begin(w);
    const char *field;
    for (size_t i = 0; (field = kd_layer_field_at((kf_layer_type)t, i)) != NULL; i++)
      kd_jw_string(w, field);
    kd_jw_array_end(w);
    kd_jw_object_end(w);
  }
  kd_jw_array_end(w);
}

static void write_request_fields(kd_jw *w) {
  static const struct {
    const char *body;
    const char *const *fields;
  } bodies[] = {
    {"session_create", kd_session_create_fields}, {"session_options", kd_spec_options_fields},
    {"session_fork", kd_session_fork_fields},
    {"session_keys", kd_session_keys_fields},     {"session_forward", kd_session_forward_fields},
    {"session_reseed", kd_session_reseed_fields}, {"admin_restore", kd_admin_restore_fields},
  };
  kd_jw_object_begin(w);
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
    names_member(w, bodies[i].body, bodies[i].fields);
  kd_jw_object_end(w);
}

int kd_tables_dump(FILE *out) {
  static const struct {
    const char *key;
    void (*write)(kd_jw *w);
  } sections[] = {
    {"routes", write_routes},         {"errors", write_errors},
    {"options", write_options},       {"operations", write_operations},
    {"initializers", write_initializers}, {"layers", write_layers},
    {"request_fields", write_request_fields},
  };
  kd_buf b;
  kd_buf_init(&b);
  kd_jw w;
  kd_jw_init(&w, &b);
  kd_jw_object_begin(&w);
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
    kd_jw_key(&w, sections[i].key);
    sections[i].write(&w);
  }
  kd_jw_object_end(&w);
  kd_buf_putc(&b, '\n');
  int rc = kd_buf_failed(&b) ? -1 : 0;
  if (rc == 0 && (fwrite(b.data, 1, b.len, out) != b.len || fflush(out) != 0)) rc = -1;
  kd_buf_free(&b);
  return rc;
}
