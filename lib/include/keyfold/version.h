/* keyfold — library version. */
#ifndef KEYFOLD_VERSION_H
#define KEYFOLD_VERSION_H

#define KF_VERSION_MAJOR 0
#define KF_VERSION_MINOR 1
#define KF_VERSION_PATCH 0
#define KF_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the version of the library actually linked (static string). */
const char *kf_version(void);

/* Returns which form of the bulk kernels (threefry bits, samplers, Linear's
 * product) this CPU runs: "avx512", "avx2" or "scalar" (static string). All
 * forms give the same bits; only their speed differs. */
const char *kf_kernels(void);

#ifdef __cplusplus
}
#endif

#endif
