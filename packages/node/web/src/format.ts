/** Formatting shared by the pages: amounts in GLASS, shortened hex, times and durations. */
import { formatEther } from "ethers";

/** `wei` (a decimal string or bigint) as GLASS with at most `decimals` decimals, trailing zeros cut: "12.5 GLASS". */
export function glass(wei: string | bigint | undefined, decimals = 4): string {
  if (wei === undefined || wei === "") return "-";
  let s: string;
  try {
    s = formatEther(BigInt(wei));
  } catch {
    return String(wei);
  }
  const [int, frac = ""] = s.split(".");
  const cut = frac.slice(0, decimals).replace(/0+$/, "");
  const shown = cut ? `${int}.${cut}` : int;
  // Say so when the cut hid a non-zero remainder.
  const approx = /[1-9]/.test(frac.slice(decimals)) ? "≈" : "";
  return `${approx}${Number(int).toLocaleString("en-US")}${shown.slice(int.length)} GLASS`;
}

/** 0x1234…abcd */
export function short(hex: string | undefined, head = 6, tail = 4): string {
  if (!hex) return "-";
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** A block timestamp (seconds) as local date and time. */
export function when(seconds: number | undefined): string {
  if (seconds === undefined) return "-";
  return new Date(seconds * 1000).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

/** "3 s", "2 min 5 s", "1 h 4 min". */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "-";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
}

/** "5 s ago", relative to the browser's clock. */
export function ago(seconds: number, now = Date.now() / 1000): string {
  const d = now - seconds;
  if (d < 0) return when(seconds);
  if (d < 60) return `${Math.round(d)} s ago`;
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return when(seconds);
}

/** A number for display: up to `digits` significant digits, exponent form for very small or large. */
export function num(x: number | undefined, digits = 4): string {
  if (x === undefined || Number.isNaN(x)) return "-";
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e9) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}
