/* keyfoldd — the route table: method + path pattern -> handler. One line
 * per endpoint of the API contract (spec/api.md, proto/openapi.yaml). */
#include "handlers.h"
#include "router.h"

#define BODY KD_ROUTE_JSON_BODY
/* A reply that can be one tensor: JSON or .npy by the Accept header. */
#define NEG KD_ROUTE_NEGOTIATE
/* A body that can also be one .npy tensor. */
#define NPY KD_ROUTE_NPY_BODY

const kd_route kd_routes[] = {
  {"POST", "/v1/sessions", kd_h_session_create, "/v1/sessions", BODY},
  {"GET", "/v1/sessions", kd_h_session_list, "/v1/sessions", 0},
  {"GET", "/v1/sessions/{name}", kd_h_session_get, "/v1/sessions/{name}", 0},
  {"DELETE", "/v1/sessions/{name}", kd_h_session_delete, "/v1/sessions/{name}", 0},
  {"POST", "/v1/sessions/{name}/keys", kd_h_session_keys, "/v1/sessions/{name}/keys", BODY},
  {"POST", "/v1/sessions/{name}/sample", kd_h_session_sample, "/v1/sessions/{name}/sample", BODY | NEG},
  {"POST", "/v1/sessions/{name}/forward", kd_h_session_forward, "/v1/sessions/{name}/forward", BODY | NEG | NPY},
  {"POST", "/v1/sessions/{name}/reseed", kd_h_session_reseed, "/v1/sessions/{name}/reseed", BODY},
  {"GET", "/v1/sessions/{name}/params", kd_h_session_params, "/v1/sessions/{name}/params", 0},
  {"POST", "/v1/random/{op}", kd_h_random, "/v1/random/{op}", BODY | NEG},
  {"POST", "/v1/init/{initializer}", kd_h_init, "/v1/init/{initializer}", BODY | NEG},
  {"GET", "/v2", kd_h_oip_server, "/v2", KD_ROUTE_OIP},
  {"GET", "/v2/models/{name}", kd_h_oip_model, "/v2/models/{name}", KD_ROUTE_OIP},
  {"GET", "/v2/models/{name}/ready", kd_h_oip_model_ready, "/v2/models/{name}/ready", KD_ROUTE_OIP},
  {"POST", "/v2/models/{name}/infer", kd_h_oip_infer, "/v2/models/{name}/infer", BODY | KD_ROUTE_OIP},
  {"GET", "/v2/health/live", kd_h_health_live, "/v2/health/live", KD_ROUTE_OPEN},
  {"GET", "/v2/health/ready", kd_h_health_ready, "/v2/health/ready", KD_ROUTE_OPEN},
  {"GET", "/metrics", kd_h_metrics, "/metrics", 0},
  {"POST", "/v1/admin/snapshot", kd_h_admin_snapshot, "/v1/admin/snapshot", BODY},
};

const size_t kd_route_count = sizeof kd_routes / sizeof kd_routes[0];
