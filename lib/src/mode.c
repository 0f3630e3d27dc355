/* keyfold — the two threefry modes: validity and names. */
#include <string.h>

#include "keyfold/error.h"
#include "keyfold/prng.h"
#include "mode.h"

bool kf__mode_valid(kf_threefry_mode mode) {
  return mode == KF_THREEFRY_PARTITIONABLE || mode == KF_THREEFRY_LEGACY;
}

const char *kf_threefry_mode_name(kf_threefry_mode mode) {
  switch (mode) {
    case KF_THREEFRY_PARTITIONABLE: return "partitionable";
    case KF_THREEFRY_LEGACY: return "legacy";
  }
  return NULL;
}

int kf_threefry_mode_from_name(const char *name, kf_threefry_mode *out) {
  if (!name || !out) return KF_EINVAL;
  if (strcmp(name, "partitionable") == 0) {
    *out = KF_THREEFRY_PARTITIONABLE;
  } else if (strcmp(name, "legacy") == 0) {
    *out = KF_THREEFRY_LEGACY;
  } else {
    return KF_EINVAL;
  }
  return KF_OK;
}
