/** A table of rows with typed columns, and the pager under paged lists. */
import type { ComponentChildren } from "preact";

export interface Column<T> {
  title: string;
  cell: (row: T) => ComponentChildren;
  /** Right-aligned (numbers, amounts). */
  num?: boolean;
}

export function Table<T>({
  rows,
  columns,
  rowKey,
  rowTestid,
  testid,
  empty = "Nothing yet.",
  rowAttrs,
}: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T, i: number) => string;
  rowTestid: string;
  testid?: string;
  empty?: string;
  rowAttrs?: (row: T) => Record<string, string>;
}) {
  if (rows.length === 0) {
    return (
      <p class="muted empty" data-testid={testid ? `${testid}-empty` : undefined}>
        {empty}
      </p>
    );
  }
  return (
    <div class="table-wrap">
      <table data-testid={testid}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.title} class={c.num ? "num" : undefined}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r, i)} data-testid={rowTestid} {...(rowAttrs ? rowAttrs(r) : {})}>
              {columns.map((c) => (
                <td key={c.title} class={c.num ? "num" : undefined}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ page, pages, total, onPage, testid = "pager" }: { page: number; pages: number; total: number; onPage: (page: number) => void; testid?: string }) {
  if (pages <= 1) return <p class="muted pager-info">{total} in all</p>;
  return (
    <nav class="pager" data-testid={testid}>
      <button type="button" data-testid={`${testid}-prev`} disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ← Newer
      </button>
      <span data-testid={`${testid}-info`}>
        page {page} of {pages} <span class="muted">({total} in all)</span>
      </span>
      <button type="button" data-testid={`${testid}-next`} disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Older →
      </button>
    </nav>
  );
}
