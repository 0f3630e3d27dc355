/* keyfold — the linked library's version. */
#include "keyfold/version.h"

const char *kf_version(void) { return KF_VERSION_STRING; }
