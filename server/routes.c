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
  {"POST", "/v1/sessions", kd_h_session_create, BODY},
  {"GET", "/v1/sessions", kd_h_session_list, 0},
  {"GET", "/v1/sessions/{name}", kd_h_session_get, 0},
  {"DELETE", "/v1/sessions/{name}", kd_h_session_delete, 0},
  {"POST", "/v1/sessions/{name}/keys", kd_h_session_keys, BODY},
  {"POST", "/v1/sessions/{name}/sample", kd_h_session_sample, BODY | NEG},
  {"POST", "/v1/sessions/{name}/forward", kd_h_session_forward, BODY | NEG | NPY},
  {"POST", "/v1/sessions/{name}/reseed", kd_h_session_reseed, BODY},
  {"POST", "/v1/sessions/{name}/fork", kd_h_session_fork, BODY},
  {"GET", "/v1/sessions/{name}/params", kd_h_session_params, 0},
  {"GET", "/v1/random", kd_h_random_list, 0},
  {"POST", "/v1/random/{op}", kd_h_random, BODY | NEG},
  {"POST", "/v1/init/{initializer}", kd_h_init, BODY | NEG},
  {"GET", "/v2", kd_h_oip_server, KD_ROUTE_OIP},
  {"GET", "/v2/models/{name}", kd_h_oip_model, KD_ROUTE_OIP},
  {"GET", "/v2/models/{name}/ready", kd_h_oip_model_ready, KD_ROUTE_OIP},
  {"POST", "/v2/models/{name}/infer", kd_h_oip_infer, BODY | KD_ROUTE_OIP},
  {"GET", "/v2/health/live", kd_h_health_live, KD_ROUTE_OPEN},
  {"GET", "/v2/health/ready", kd_h_health_ready, KD_ROUTE_OPEN},
  {"GET", "/metrics", kd_h_metrics, 0},
  {"POST", "/v1/admin/snapshot", kd_h_admin_snapshot, BODY},
  {"POST", "/v1/admin/restore", kd_h_admin_restore, BODY},
  /* The browser console's static files (h_ui.c): open, so that the page
   * loads and can ask for the token the API calls then carry. */
  {"GET", "/ui", kd_h_ui, KD_ROUTE_OPEN},
  {"GET", "/ui/{file*}", kd_h_ui, KD_ROUTE_OPEN},
};

const size_t kd_route_count = sizeof kd_routes / sizeof kd_routes[0];
