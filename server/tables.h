/* keyfoldd — --dump-tables: the daemon's tables as one JSON object, so that
 * the API document, the docs and the clients are checked against the tables
 * themselves rather than against the shape of the C that types them.
 *
 *   {"routes":       [{"method", "pattern", "flags": ["json_body", "oip", "open",
 *                                                    "negotiate", "npy_body"]}],
 *    "errors":       [{"code", "status"}],
 *    "options":      [{"flag", "env" (null for switches), "kind", "default",
 *                      "min", "max" (numeric kinds only), "help"}],
 *    "operations":   [{"name", "summary", "random", "session_sample", "tensor", "dtype",
 *                      "shape", "params": [{"name", "kind", "required", "default",
 *                      "dtype", "array", ...}]}]  (ops.h: kd_op_write, as GET /v1/random),
 *    "initializers": [{"name", "alias_of" (null for a canonical name), "fields"}],
 *    "layers":       [{"type", "fields"}],
 *    "request_fields": {"session_create", "session_options", "session_keys",
 *                       "session_forward", "session_reseed", "admin_restore"}}
 *
 * "default" is the value kd_config_defaults sets: a number for the numeric
 * kinds, the flag's spelling for the others, null when unset or a switch.
 */
#ifndef KEYFOLDD_TABLES_H
#define KEYFOLDD_TABLES_H

#include <stdio.h>

/* Writes the object and a newline to out. Returns 0, or -1 when out of
 * memory or the write failed. */
int kd_tables_dump(FILE *out);

#endif
