/** Run label for tables and charts: "v3" for a judged version, the name for an imported run. */
export function runLabel(run: { kind: string; versionNumber?: number | null; version?: number | null; name: string; id: number }): string {
  const v = run.versionNumber ?? run.version ?? null;
  return run.kind === 'imported' || v === null ? run.name : `v${v}`;
}
