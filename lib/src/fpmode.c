/* keyfold — XLA:CPU's flush-to-zero and denormals-are-zero mode (fpmode.h). */
#include "fpmode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

#define MXCSR_FTZ_DAZ 0x8040u /* FZ (bit 15) and DAZ (bit 6) */

kf__fpmode kf__xla_fpmode_enter(void) {
  const kf__fpmode old = _mm_getcsr();
  _mm_setcsr(old | MXCSR_FTZ_DAZ);
  return old;
}

void kf__xla_fpmode_leave(kf__fpmode old) { _mm_setcsr(old); }
#else
kf__fpmode kf__xla_fpmode_enter(void) { return 0; }

void kf__xla_fpmode_leave(kf__fpmode old) { (void)old; }
#endif
