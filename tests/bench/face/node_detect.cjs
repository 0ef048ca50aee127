// node_detect.cjs - the reference side of tests/bench/face/detectors.sh:
// face detection alone in @vladmandic/face-api 1.7.15 on tfjs 4.22 with the
// wasm backend, one thread, on the RGB pixels face_bench dumped - the tiny
// detector at 416 (scoreThreshold 0.5) or SSD MobileNet v1 (minConfidence
// 0.5). cpu_ms is the process's user+system time per run.
//
// usage: node node_detect.cjs NODE_PREFIX REPEAT tiny|ssd RGB_FILE...
'use strict';
const fs = require('fs');
const path = require('path');

const [prefix, repeatArg, detector, ...files] = process.argv.slice(2);
if (!files.length || !['tiny', 'ssd'].includes(detector)) {
  console.error('usage: node node_detect.cjs NODE_PREFIX REPEAT tiny|ssd RGB_FILE...');
  process.exit(2);
}
const repeat = Number(repeatArg);
const nm = path.join(prefix, 'node_modules');
const tf = require(path.join(nm, '@tensorflow/tfjs'));
const wasm = require(path.join(nm, '@tensorflow/tfjs-backend-wasm'));
const faceapi = require(path.join(nm, '@vladmandic/face-api/dist/face-api.node-wasm.js'));

function readRgb(file) {
  const buf = fs.readFileSync(file);
  const nl = buf.indexOf(10);
  const [w, h] = buf.subarray(0, nl).toString().split(' ').map(Number);
  return { w, h, t: tf.tensor3d(new Uint8Array(buf.subarray(nl + 1)), [h, w, 3], 'int32') };
}

(async () => {
  wasm.setWasmPaths(path.join(nm, '@tensorflow/tfjs-backend-wasm/dist') + '/');
  wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const md = path.join(nm, '@vladmandic/face-api/model');
  const net = detector === 'ssd' ? faceapi.nets.ssdMobilenetv1 : faceapi.nets.tinyFaceDetector;
  await net.loadFromDisk(md);
  const opts = detector === 'ssd' ? { minConfidence: 0.5 } : { inputSize: 416, scoreThreshold: 0.5 };
  console.log(`node face-api ${faceapi.version} tfjs ${tf.version.tfjs} backend ${tf.getBackend()}`
    + ` threads ${wasm.getThreadsCount()} detector ${detector}`);
  let total = 0;
  let totalCpu = 0;
  let runs = 0;
  for (const file of files) {
    const { w, h, t } = readRgb(file);
    let n = (await net.locateFaces(t, opts)).length; // warm-up
    let sum = 0;
    let best = Infinity;
    const c0 = process.cpuUsage();
    for (let r = 0; r < repeat; r++) {
      const t0 = process.hrtime.bigint();
      n = (await net.locateFaces(t, opts)).length;
      const dt = Number(process.hrtime.bigint() - t0) / 1e6;
      sum += dt;
      best = Math.min(best, dt);
    }
    const cu = process.cpuUsage(c0);
    const cpu = (cu.user + cu.system) / 1e3 / repeat;
    totalCpu += cpu * repeat;
    t.dispose();
    const name = path.basename(file).replace(/\.rgb$/, '');
    console.log(`${name.padEnd(24)} ${String(w).padStart(4)}x${String(h).padEnd(4)} faces=${n}`
      + ` mean_ms=${(sum / repeat).toFixed(2)} best_ms=${best.toFixed(2)} cpu_ms=${cpu.toFixed(2)}`);
    total += sum;
    runs += repeat;
  }
  console.log(`summary images=${files.length} runs=${runs} mean_ms=${(total / runs).toFixed(2)}`
    + ` cpu_ms=${(totalCpu / runs).toFixed(2)} per_image`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
