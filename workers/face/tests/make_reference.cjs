// make_reference.cjs - regenerates tests/data/face_api_reference.json: what
// @vladmandic/face-api 1.7.15 (tfjs 4.22, wasm backend) computes with the
// shipped quantised weights on exactly the RGB pixels our decoder produces:
// descriptors and landmarks of the three crops, the tiny-detector pipeline
// on faces.jpg, and SSD MobileNet v1 detections (minConfidence 0.3) on the
// kit's group pictures, white.png and bbt1.jpg mirrored left to right.
//
// usage: node make_reference.cjs NODE_PREFIX RGB_DIR OUT.json
//   NODE_PREFIX  folder whose node_modules has @vladmandic/face-api@1.7.15,
//                @tensorflow/tfjs@4.22.0 and @tensorflow/tfjs-backend-wasm@4.22.0
//   RGB_DIR      face1.png.rgb, face2.png.rgb, face_rectangular.png.rgb,
//                faces.jpg.rgb, white.png.rgb, bbt1.jpg.rgb .. bbt5.jpg.rgb
//                as written by `face_bench --dump MODELS IMAGE...`
'use strict';
const fs = require('fs');
const path = require('path');

const [prefix, rgbDir, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node make_reference.cjs NODE_PREFIX RGB_DIR OUT.json');
  process.exit(2);
}
const nm = path.join(prefix, 'node_modules');
const tf = require(path.join(nm, '@tensorflow/tfjs'));
const wasm = require(path.join(nm, '@tensorflow/tfjs-backend-wasm'));
const faceapi = require(path.join(nm, '@vladmandic/face-api/dist/face-api.node-wasm.js'));

function readRgb(name) {
  const buf = fs.readFileSync(path.join(rgbDir, name + '.rgb'));
  const nl = buf.indexOf(10);
  const [w, h] = buf.subarray(0, nl).toString().split(' ').map(Number);
  return tf.tensor3d(new Uint8Array(buf.subarray(nl + 1)), [h, w, 3], 'int32');
}

const r = (v) => Math.round(v * 1e6) / 1e6;

(async () => {
  wasm.setWasmPaths(path.join(nm, '@tensorflow/tfjs-backend-wasm/dist') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const md = path.join(nm, '@vladmandic/face-api/model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(md);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(md);
  await faceapi.nets.faceLandmark68TinyNet.loadFromDisk(md);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(md);
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(md);

  const result = {
    generator: 'make_reference.cjs',
    faceapi: faceapi.version,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    crops: {},
  };
  for (const name of ['face1.png', 'face2.png', 'face_rectangular.png']) {
    const t = readRgb(name);
    const desc = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(t);
    const lm = await faceapi.nets.faceLandmark68Net.detectLandmarks(t);
    const lmt = await faceapi.nets.faceLandmark68TinyNet.detectLandmarks(t);
    result.crops[name] = {
      descriptor: Array.from(desc).map(r),
      landmarks: lm.positions.map((p) => [r(p.x), r(p.y)]),
      landmarks_tiny: lmt.positions.map((p) => [r(p.x), r(p.y)]),
    };
    t.dispose();
  }
  const t = readRgb('faces.jpg');
  const opts = new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
  const dets = await faceapi.detectAllFaces(t, opts).withFaceLandmarks().withFaceDescriptors();
  result.faces_jpg = dets.map((d) => ({
    box: [r(d.detection.box.x), r(d.detection.box.y), r(d.detection.box.width),
      r(d.detection.box.height)],
    score: r(d.detection.score),
    landmarks: d.landmarks.positions.map((p) => [r(p.x), r(p.y)]),
    descriptor: Array.from(d.descriptor).map(r),
  }));
  t.dispose();

  // SSD: every detection above 0.3, best first, as face-api returns them.
  const ssdImages = ['faces.jpg', 'white.png', 'bbt1.jpg', 'bbt2.jpg', 'bbt3.jpg', 'bbt4.jpg',
    'bbt5.jpg', 'bbt1.jpg:mirrored'];
  result.ssd = { min_confidence: 0.3, images: {} };
  for (const key of ssdImages) {
    const [name, how] = key.split(':');
    let img = readRgb(name);
    if (how === 'mirrored') {
      const m = tf.reverse(img, 1);
      img.dispose();
      img = m;
    }
    const found = await faceapi.nets.ssdMobilenetv1.locateFaces(img, { minConfidence: 0.3 });
    result.ssd.images[key] = found.map((d) => ({
      box: [r(d.box.x), r(d.box.y), r(d.box.width), r(d.box.height)],
      score: r(d.score),
    }));
    img.dispose();
  }
  fs.writeFileSync(out, JSON.stringify(result) + '\n');
  console.log(`wrote ${out}: ${result.faces_jpg.length} faces in faces.jpg, SSD on `
    + `${Object.keys(result.ssd.images).length} images`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
