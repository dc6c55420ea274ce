#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (tests/node_modules/onnxruntime-node) on raw float32 inputs
// and compares its output with expected float32 logits: exit 0 when every element is within the
// tolerance, 1 otherwise (printing the largest difference), 2 on bad arguments.
//   node ort_compare.js model.onnx inputs.f32 logits.f32 images tolerance
'use strict';
const fs = require('fs');
const path = require('path');

const [model, inputsPath, logitsPath, imagesText, tolText] = process.argv.slice(2);
const images = Number(imagesText), tolerance = Number(tolText);
if (!model || !Number.isInteger(images) || images < 1 || !(tolerance > 0)) {
  console.error('error: usage: ort_compare.js model.onnx inputs.f32 logits.f32 images tolerance');
  process.exit(2);
}
const ort = require(path.resolve(__dirname, '..', 'node_modules', 'onnxruntime-node'));
const floats = (p) => {
  const b = fs.readFileSync(p);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

(async () => {
  const x = floats(inputsPath), want = floats(logitsPath);
  const perImage = x.length / images, classes = want.length / images;
  const session = await ort.InferenceSession.create(model);
  const dims = perImage === 784 ? [images, 1, 28, 28] : [images, perImage];
  const input = new ort.Tensor('float32', Float32Array.from(x), dims);
  const out = await session.run({ [session.inputNames[0]]: input });
  const got = out[session.outputNames[0]].data;
  if (got.length !== images * classes) {
    console.error(`error: ${got.length} outputs, expected ${images * classes}`);
    process.exit(1);
  }
  let worst = 0;
  for (let i = 0; i < got.length; ++i) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  console.log(`max |ORT - hardy fp32| = ${worst}`);
  process.exit(worst <= tolerance ? 0 : 1);
})().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
