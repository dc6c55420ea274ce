#!/bin/sh
# The measurements behind docs/results-dram.md: the int8 LeNet-5 (Fashion-MNIST, all 10,000 test
# images) with its weights in the DDR3L-1600 module, accuracy and DRAM energy per inference vs
# supply voltage, for each vendor of the voltage study, baseline and SparkXD mapping.
# Usage: bench/dram/lenet5_sweeps.sh build/hardy OUT_DIR   (≈ 5 minutes on 2 cores)
set -eu
HARDY=$1
OUT=$2
mkdir -p "$OUT"
MODEL=models/lenet5_fmnist.onnx
SPEC=HARDY_2GB_DDR3L-1600_64bit_SODIMM
COMMON="--model $MODEL --memspec $SPEC --threads 2"

# 1. Tolerance: accuracy vs a uniform BER (no spatial variation), 5 error maps each.
for BER in 1e-5 1e-4 3e-4 1e-3 2e-3 5e-3 1e-2; do
  "$HARDY" dram sweep $COMMON --ber "$BER" --bank-sigma 0 --subarray-sigma 0 --voltages 1.35 \
    --seeds 5 --json "$OUT/tolerance_$BER.json" > /dev/null
done

# 2. Voltage sweeps per vendor (median DIMM), baseline and SparkXD mapping (tolerable BER 3e-4,
#    the highest BER above whose mean accuracy stays within 1 point of the error-free model).
for VENDOR in A B C; do
  for MAPPING in baseline sparkxd; do
    EXTRA=""
    [ "$MAPPING" = sparkxd ] && EXTRA="--tolerable-ber 3e-4"
    "$HARDY" dram sweep $COMMON --vendor "$VENDOR" --mapping "$MAPPING" $EXTRA \
      --voltages 1.35:1.025:0.025 --seeds 3 \
      --json "$OUT/sweep_${VENDOR}_$MAPPING.json" --csv "$OUT/sweep_${VENDOR}_$MAPPING.csv"
  done
done

# 3. Vendor B's worst DIMM (B7), baseline and SparkXD, and its error models 0–3 (baseline, 10 maps).
for MAPPING in baseline sparkxd; do
  EXTRA=""
  [ "$MAPPING" = sparkxd ] && EXTRA="--tolerable-ber 3e-4"
  "$HARDY" dram sweep $COMMON --dimm B7 --mapping "$MAPPING" $EXTRA \
    --voltages 1.1:1.025:0.025 --seeds 3 --json "$OUT/sweep_B7_$MAPPING.json" > /dev/null
done
for EM in 0 1 2 3; do
  "$HARDY" dram sweep $COMMON --dimm B7 --error-model "$EM" --voltages 1.05,1.025 \
    --seeds 10 --json "$OUT/sweep_B7_model$EM.json" > /dev/null
done
