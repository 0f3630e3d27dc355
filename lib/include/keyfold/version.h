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

#ifdef __cplusplus
}
#endif

#endif
