/** A Vega-Lite chart (vega-embed), drawn again only when its spec changes. */
import { useEffect, useRef } from "preact/hooks";
import embed, { type VisualizationSpec } from "vega-embed";

export function Chart({ spec, testid, label }: { spec: VisualizationSpec; testid: string; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const json = JSON.stringify(spec);
  useEffect(() => {
    if (!ref.current) return;
    let finalize: (() => void) | undefined;
    let cancelled = false;
    embed(ref.current, JSON.parse(json) as VisualizationSpec, { actions: false, renderer: "svg" }).then(
      (result) => {
        if (cancelled) result.finalize();
        else finalize = () => result.finalize();
      },
      (err: unknown) => {
        if (ref.current) ref.current.textContent = `chart failed: ${err instanceof Error ? err.message : String(err)}`;
      },
    );
    return () => {
      cancelled = true;
      finalize?.();
    };
  }, [json]);
  return <div class="chart" ref={ref} data-testid={testid} role="img" aria-label={label} />;
}
