#!/usr/bin/env node
// hardy int8 vs ONNX Runtime fp32 inference speed on the same ONNX model, images and threads.
//
// ONNX Runtime (npm onnxruntime-node, CPU, graph optimizations on) runs batches of 64 with
// intraOpNumThreads = --threads; hardy runs `hardy eval` (per-image int8, threads across images).
// Both are timed in this one run. Prints both speeds and, last, `ratio: X` = hardy ÷ ORT images/s.
// Needs `scripts/setup.sh --peers` (installs onnxruntime-node into tests/node_modules).
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const os = require('os');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = { model: path.join(root, 'models', 'lenet5_fmnist.onnx'), dataset: 'fashion-mnist',
               threads: 1, batch: 64, hardy: path.join(root, 'build', 'hardy') };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args)) { console.error(`error: unknown option --${key}`); process.exit(2); }
  args[key] = typeof args[key] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
let ort;
try {
  ort = require(path.join(root, 'tests', 'node_modules', 'onnxruntime-node'));
} catch (e) {
  console.error('error: onnxruntime-node missing (run scripts/setup.sh --peers)');
  process.exit(2);
}

function loadImages(file) {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  const n = data.readUInt32BE(4), rows = data.readUInt32BE(8), cols = data.readUInt32BE(12);
  const images = new Float32Array(n * rows * cols);
  for (let i = 0; i < images.length; ++i) images[i] = data[16 + i] / 255;
  return { n, size: rows * cols, images };
}

async function main() {
  const dir = args.dataset === 'mnist' ? path.join(root, 'data', 'mnist')
                                       : '/usr/share/datasets/fashion-mnist';
  const test = loadImages(path.join(dir, 't10k-images-idx3-ubyte.gz'));
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = session.inputNames[0];
  const run = async (start, count) => {
    const x = test.images.subarray(start * test.size, (start + count) * test.size);
    return session.run({ [input]: new ort.Tensor('float32', x, [count, 1, 28, 28]) });
  };
  for (let s = 0; s < 10 * args.batch; s += args.batch) await run(s, args.batch);  // warm-up
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < test.n; s += args.batch) await run(s, Math.min(args.batch, test.n - s));
  const ortIps = test.n / (Number(process.hrtime.bigint() - t0) / 1e9);

  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hardy-ort-')), 'eval.json');
  execFileSync(args.hardy, ['eval', '--model', args.model, '--dataset', args.dataset,
                            '--threads', String(args.threads), '--json', out], { stdio: 'ignore' });
  const hardy = JSON.parse(fs.readFileSync(out, 'utf8'));
  console.log(`model: ${path.basename(args.model)}, ${test.n} images, ${args.threads} thread(s)`);
  console.log(`onnxruntime ${require(path.join(root, 'tests', 'node_modules', 'onnxruntime-node',
                                             'package.json')).version} fp32 batch ${args.batch}: ${ortIps.toFixed(0)} images/s`);
  console.log(`hardy int8 (${hardy.isa}): ${hardy.int8_images_per_second.toFixed(0)} images/s`);
  console.log(`ratio: ${(hardy.int8_images_per_second / ortIps).toFixed(2)}`);
}
main().catch((e) => { console.error(`error: ${e.message}`); process.exit(2); });
