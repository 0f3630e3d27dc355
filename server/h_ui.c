/* keyfoldd — the browser console (proto/console/, built into server/ui/):
 * its files from the table embedded in the binary (ui_assets.h). */
#include <string.h>

#include "handlers.h"
#include "ui_assets.h"

int kd_h_ui(kd_request *req, kd_response *res, kd_err *err) {
  const char *file = req->params[0] ? req->params[0] : "index.html";
  /* --ui off: as if the route did not exist. */
  if (!req->srv->cfg.ui) return kd_fail(err, KD_NOT_FOUND, "no route for %.16s %.200s", req->method, req->path);
  for (size_t i = 0; i < kd_ui_asset_count; i++) {
    const kd_ui_asset *a = &kd_ui_assets[i];
    if (strcmp(a->path, file) != 0) continue;
    res->content_type = a->content_type;
    /* The files change only with the binary; a short max-age keeps an
     * upgraded daemon's console from being hidden behind a stale cache. */
    kd_response_add_header(res, "Cache-Control", "public, max-age=300");
    /* The page loads nothing but its own files and talks to nothing but
     * this daemon: the browser enforces it (and no other site frames it). */
    kd_response_add_header(res, "Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    kd_response_add_header(res, "X-Content-Type-Options", "nosniff");
    kd_buf_append(&res->body, a->data, a->len);
    return 0;
  }
  return kd_fail(err, KD_NOT_FOUND, "the console has no file '%.200s'", file);
}
