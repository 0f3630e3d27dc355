/* keyfold — the two threefry modes: validity and names. */
#include <string.h>

#include "keyfold/error.h"
#include "keyfold/prng.h"
#include "mode.h"
#include "names.h"

bool kf__mode_valid(kf_threefry_mode mode) {
  return mode == KF_THREEFRY_PARTITIONABLE || mode == KF_THREEFRY_LEGACY;
}

static const char *const threefry_mode_names[] = {"partitionable", "legacy"};
KF__NAMES_DEFINE(threefry_mode, kf_threefry_mode, threefry_mode_names)
