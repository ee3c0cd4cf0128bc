/** Shortened addresses, ids and hashes that link to their pages, amounts in GLASS, status badges. */
import type { ComponentChildren } from "preact";
import type { ChainPosition, JobStatusName, VerdictName } from "../api";
import { ago, glass, short, when } from "../format";

const ZERO = /^0x0{40}$/i;

export function Address({ address, testid }: { address?: string; testid?: string }) {
  if (!address) return <span class="muted">-</span>;
  if (ZERO.test(address)) return <span class="mono muted" title={address}>none</span>;
  return (
    <a class="mono" href={`/nodes/${address}`} title={address} data-testid={testid ?? "address-link"} data-address={address}>
      {short(address)}
    </a>
  );
}

export function JobLink({ id }: { id: string }) {
  return (
    <a href={`/jobs/${id}`} data-testid="job-link" class="mono">
      #{id}
    </a>
  );
}

export function ModelLink({ id, version }: { id: string; version?: number }) {
  return (
    <a href={`/models/${id}`} data-testid="model-link">
      model {id}
      {version !== undefined ? <span class="muted"> v{version}</span> : null}
    </a>
  );
}

export function DisputeLink({ id }: { id: string }) {
  return (
    <a href={`/disputes/${id}`} data-testid="dispute-link" class="mono">
      dispute #{id}
    </a>
  );
}

/** A hash or digest, shortened, the whole value in its title and copyable by selecting it. */
export function Hash({ value, testid }: { value?: string; testid?: string }) {
  if (!value) return <span class="muted">-</span>;
  return (
    <span class="mono hash" title={value} data-testid={testid} data-value={value}>
      {short(value, 10, 8)}
    </span>
  );
}

export function Glass({ wei, testid }: { wei?: string; testid?: string }) {
  return (
    <span class="amount" title={wei === undefined ? undefined : `${wei} wei`} data-testid={testid} data-wei={wei}>
      {glass(wei)}
    </span>
  );
}

/** Block number, time and transaction of a chain position. */
export function At({ at, relative = false }: { at?: ChainPosition; relative?: boolean }) {
  if (!at) return <span class="muted">-</span>;
  return (
    <span class="at" title={`block ${at.block}, tx ${at.txHash}, log ${at.logIndex}`}>
      <span class="muted">#{at.block}</span> {relative ? ago(at.time) : when(at.time)}
    </span>
  );
}

export function Tx({ hash }: { hash: string }) {
  return (
    <span class="mono hash" title={hash} data-testid="tx-hash">
      {short(hash, 10, 6)}
    </span>
  );
}

export function Badge({ value, testid }: { value: JobStatusName | VerdictName | string; testid?: string }) {
  return (
    <span class={`badge badge-${value.toLowerCase()}`} data-testid={testid} data-value={value}>
      {value}
    </span>
  );
}

export function Section({ title, testid, children, actions }: { title: string; testid?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card" data-testid={testid}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" data-testid="loading">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ message }: { message: string }) {
  return (
    <p class="error" role="alert" data-testid="error">
      {message}
    </p>
  );
}

/** Term/value pairs. */
export function Facts({ rows, testid }: { rows: [string, ComponentChildren][]; testid?: string }) {
  return (
    <dl class="facts" data-testid={testid}>
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
