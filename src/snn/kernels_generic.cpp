// Simulator kernels compiled for baseline x86-64 (the reference path) (see kernels.h).
#include "kernels.h"

#define HARDY_SNN_KERNELS_FN kernels_generic
#include "kernels_impl.inc"
