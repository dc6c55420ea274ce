// Simulator kernels compiled for the avx2 instruction set (see kernels.h).
#include "kernels.h"

#define HARDY_SNN_KERNELS_FN kernels_avx2
#include "kernels_impl.inc"
