/** Previews of canonical tensor bytes (a job's input or output): name, dtype, shape and the first values. */
import { decodeTensors, INVALID_REASONS, isInvalidClaim, type DecodedTensor } from "../../../src/sdk";
import { api, useApi } from "../api";
import { num } from "../format";
import { ErrorBox, Loading } from "./links";

const SHOWN = 8;

function values(t: DecodedTensor): string {
  const n = t.data.length;
  const first = Array.from(t.data.subarray(0, SHOWN) as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? v.toString() : t.dtype === "bool" ? String(v === 1) : num(v, 6)));
  return `[${first.join(", ")}${n > SHOWN ? `, … (${n} values)` : ""}]`;
}

function reasonOf(bytes: Uint8Array): string {
  const name = Object.entries(INVALID_REASONS).find(([, code]) => code === bytes[1])?.[0];
  return name ?? `unknown reason ${bytes[1]}`;
}

export function TensorPreview({ jobId, which, url }: { jobId: string; which: "input" | "output"; url: string }) {
  const bytes = useApi((signal) => (which === "input" ? api.jobInput(jobId, signal) : api.jobOutput(jobId, signal)), `${which}:${jobId}`);
  const download = (
    <a href={url} download={`job-${jobId}-${which}.bin`} data-testid={`download-${which}`}>
      download {which}
    </a>
  );
  let body;
  if (bytes.error) body = <ErrorBox message={bytes.error} />;
  else if (!bytes.data) body = <Loading what={`the ${which}`} />;
  else if (isInvalidClaim(bytes.data)) {
    body = (
      <p data-testid="invalid-claim" data-reason={reasonOf(bytes.data)}>
        The executor claims the input is invalid: <strong>{reasonOf(bytes.data)}</strong>
      </p>
    );
  } else {
    let tensors: Record<string, DecodedTensor> | undefined;
    let error: string | undefined;
    try {
      tensors = decodeTensors(bytes.data);
    } catch (err) {
      error = `not a canonical tensor map: ${err instanceof Error ? err.message : String(err)}`;
    }
    body = error ? (
      <ErrorBox message={error} />
    ) : (
      <table class="tensors">
        <thead>
          <tr>
            <th>Name</th>
            <th>dtype</th>
            <th>shape</th>
            <th>first values</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(tensors ?? {}).map(([name, t]) => (
            <tr key={name} data-testid="tensor-preview" data-name={name} data-dtype={t.dtype} data-shape={JSON.stringify(t.shape)}>
              <td class="mono">{name}</td>
              <td>{t.dtype}</td>
              <td class="mono">[{t.shape.join(", ")}]</td>
              <td class="mono values">{values(t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <div class="tensor-block" data-testid={`tensor-${which}`}>
      <div class="tensor-head">
        <h3>{which === "input" ? "Input" : "Output"}</h3>
        {bytes.data ? <span class="muted">{bytes.data.length} bytes</span> : null}
        {download}
      </div>
      {body}
    </div>
  );
}
