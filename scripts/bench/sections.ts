/**
 * The bench's sections, in the order a run takes them, and BENCH_SECTIONS=a,b (for development: run
 * only those; the report says which ran).
 */
export const SECTIONS = ["gas", "scaling", "devnet", "devnet-anvil", "checking", "security", "referee"] as const;
export type SectionName = (typeof SECTIONS)[number];

/** The sections BENCH_SECTIONS names (every section when unset); an unknown name fails, naming the known ones. */
export function selected(env: NodeJS.ProcessEnv): SectionName[] {
  if (!env.BENCH_SECTIONS) return [...SECTIONS];
  const names = env.BENCH_SECTIONS.split(",").map((s) => s.trim());
  for (const n of names) if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`BENCH_SECTIONS: unknown section "${n}" (known: ${SECTIONS.join(", ")})`);
  return names as SectionName[];
}
