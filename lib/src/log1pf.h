/* keyfold — glibc 2.36's log1pf (log1pf.c); not installed. */
#ifndef KEYFOLD_LOG1PF_H
#define KEYFOLD_LOG1PF_H

/* glibc 2.36's log1pf (the fdlibm algorithm), reimplemented so that results
 * do not depend on the C library a program runs with; equal to glibc 2.36's
 * log1pf on every float in [-1, 0] (tests/test_simd.c checks all of them). */
float kf__log1pf(float x);

#endif
