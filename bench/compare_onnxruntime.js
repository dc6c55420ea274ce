#!/usr/bin/env node
// hardy int8 vs ONNX Runtime fp32 inference speed on every zoo model, same images and threads.
//
// ONNX Runtime (npm onnxruntime-node, CPU, graph optimizations on, intraOpNumThreads = threads)
// runs the test set at batch sizes 1, 64 and 1,000 and keeps its best; hardy runs `hardy eval`
// (per-image int8, threads across images). Both are timed in this one run, model by model.
// Prints a markdown table (model, threads, ORT best batch and images/s, hardy images/s, ratio)
// and, last, `ratio: X` = the smallest hardy ÷ ORT ratio.
// Needs `scripts/setup.sh --peers` (installs onnxruntime-node into tests/node_modules).
//   node bench/compare_onnxruntime.js [--models lenet5_fmnist,vgg_fmnist] [--threads 1,2]
//        [--batches 1,64,1000] [--hardy build/hardy]
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const os = require('os');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = { models: 'lenet5_fmnist,mlp_fmnist,vgg_fmnist,resnet_fmnist,lenet5_mnist',
               threads: '1,2', batches: '1,64,1000', hardy: path.join(root, 'build', 'hardy') };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error(`error: unknown option or missing value: ${process.argv[i]}`);
    process.exit(2);
  }
  args[key] = process.argv[i + 1];
}
const numbers = (list, what) => list.split(',').map((s) => {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`error: --${what}: expected positive integers, found '${s}'`);
    process.exit(2);
  }
  return v;
});
const threadCounts = numbers(args.threads, 'threads');
const batchSizes = numbers(args.batches, 'batches');
const ortDir = path.join(root, 'tests', 'node_modules', 'onnxruntime-node');
let ort;
try {
  ort = require(ortDir);
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

const datasetOf = (model) => (/_mnist$/.test(model) && !/_fmnist$/.test(model) ? 'mnist'
                                                                              : 'fashion-mnist');

// ONNX Runtime fp32 images/s over the whole test set at one batch size (after a warm-up).
async function ortSpeed(modelPath, test, threads, batch) {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = session.inputNames[0];
  const run = async (start, count) => {
    const x = test.images.subarray(start * test.size, (start + count) * test.size);
    return session.run({ [input]: new ort.Tensor('float32', x, [count, 1, 28, 28]) });
  };
  const warm = Math.min(test.n, Math.max(10 * batch, 200));
  for (let s = 0; s + batch <= warm; s += batch) await run(s, batch);
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < test.n; s += batch) await run(s, Math.min(batch, test.n - s));
  return test.n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function hardySpeed(modelPath, dataset, threads) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hardy-ort-')), 'eval.json');
  execFileSync(args.hardy, ['eval', '--model', modelPath, '--dataset', dataset,
                            '--threads', String(threads), '--json', out], { stdio: 'ignore' });
  const result = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return result;
}

async function main() {
  const version = require(path.join(ortDir, 'package.json')).version;
  console.log(`hardy int8 vs onnxruntime ${version} fp32 (best of batch ${batchSizes.join(', ')}); ` +
              `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');
  console.log('| model | threads | ORT best batch | ORT images/s | hardy int8 images/s | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|');
  let smallest = Infinity;
  for (const model of args.models.split(',')) {
    const modelPath = path.join(root, 'models', `${model}.onnx`);
    const dataset = datasetOf(model);
    const dir = dataset === 'mnist' ? path.join(root, 'data', 'mnist')
                                    : '/usr/share/datasets/fashion-mnist';
    const test = loadImages(path.join(dir, 't10k-images-idx3-ubyte.gz'));
    for (const threads of threadCounts) {
      let best = { ips: 0, batch: 0 };
      for (const batch of batchSizes) {
        const ips = await ortSpeed(modelPath, test, threads, batch);
        if (ips > best.ips) best = { ips, batch };
      }
      const hardy = hardySpeed(modelPath, dataset, threads);
      const ratio = hardy.int8_images_per_second / best.ips;
      smallest = Math.min(smallest, ratio);
      console.log(`| ${model} | ${threads} | ${best.batch} | ${best.ips.toFixed(0)} | ` +
                  `${hardy.int8_images_per_second.toFixed(0)} (${hardy.isa}) | ` +
                  `${ratio.toFixed(2)} |`);
    }
  }
  console.log('');
  console.log(`ratio: ${smallest.toFixed(2)}`);
}
main().catch((e) => { console.error(`error: ${e.message}`); process.exit(2); });
