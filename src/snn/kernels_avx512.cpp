// Simulator kernels compiled for the avx512 instruction set (see kernels.h).
#include "kernels.h"

#define HARDY_SNN_KERNELS_FN kernels_avx512
#include "kernels_impl.inc"
