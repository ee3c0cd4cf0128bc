/**
 * PNG charts: a Vega-Lite spec compiled by vega-lite, rendered to SVG by vega (headless, no canvas),
 * rasterized by @resvg/resvg-js (a prebuilt binary from npm) with the system's fonts.
 *
 * vega and vega-lite 6 are ES modules with top-level await, which `require` cannot load: they are
 * loaded with a real dynamic import() (TypeScript would turn `import()` into `require` under
 * CommonJS), and typed here by the little of their API the bench uses.
 */
import fs from "node:fs";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";

interface VegaLiteModule {
  compile(spec: object): { spec: object };
}
interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}
interface VegaModule {
  parse(spec: object): object;
  View: new (runtime: object, options: { renderer: "none" }) => VegaView;
}

const esmImport = new Function("specifier", "return import(specifier)") as <T>(specifier: string) => Promise<T>;

const FONT = "DejaVu Sans";

/** Shared look: white background, readable fonts. */
export const CONFIG = {
  background: "white",
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 },
  title: { fontSize: 14 },
};

/** Renders the Vega-Lite `spec` to `file` (PNG, twice the spec's pixel size). */
export async function renderPng(spec: object, file: string): Promise<void> {
  const vl = await esmImport<VegaLiteModule>("vega-lite");
  const vega = await esmImport<VegaModule>("vega");
  const compiled = vl.compile({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", config: CONFIG, ...spec }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: FONT } }).render().asPng();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, png);
}
