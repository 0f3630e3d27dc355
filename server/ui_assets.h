/* keyfoldd — the browser console's files (server/ui/), embedded in the
 * binary. The table is generated at build time by scripts/embed-ui.py
 * (server/meson.build) so that keyfoldd is one file with nothing to install
 * beside it. */
#ifndef KEYFOLDD_UI_ASSETS_H
#define KEYFOLDD_UI_ASSETS_H

#include <stddef.h>

typedef struct kd_ui_asset {
  const char *path;         /* relative to server/ui/: "index.html", "client/index.js" */
  const char *content_type; /* by the file's extension */
  const unsigned char *data;
  size_t len;
} kd_ui_asset;

/* Sorted by path. */
extern const kd_ui_asset kd_ui_assets[];
extern const size_t kd_ui_asset_count;

#endif
