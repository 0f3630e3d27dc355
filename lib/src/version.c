/* keyfold — the linked library's version. */
#include "keyfold/version.h"
#include "simd.h"

const char *kf_version(void) { return KF_VERSION_STRING; }

const char *kf_kernels(void) { return kf__isa_name(kf__isa_best()); }
