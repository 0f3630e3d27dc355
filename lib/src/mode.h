/* keyfold — threefry modes (mode.c); not installed. */
#ifndef KEYFOLD_MODE_H
#define KEYFOLD_MODE_H

#include <stdbool.h>

#include "keyfold/prng.h"

/* Whether mode is a known kf_threefry_mode: every entry point checks it
 * before a mode reaches a switch that has no default. */
bool kf__mode_valid(kf_threefry_mode mode);

#endif
