/**
 * One cold report, gate or compare in a fresh process, timed in parts so the end-to-end CLI figure
 * is attributable: module loading (start-up), opening the workspace, and the computation itself
 * (wall and CPU). Prints one JSON line. Usage: report-child.ts DB report|gate|compare
 */
export {};
const [path, op] = process.argv.slice(2) as [string, 'report' | 'gate' | 'compare'];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now();
const { openWorkspace } = await import('../../server/db/index.ts');
const { Workspace } = await import('../../server/services/workspace.ts');
const { reportJson } = await import('../../server/services/render-report.ts');
const { evaluateGate } = await import('../../shared/metrics/gate.ts');
const t1 = performance.now();
const ws = new Workspace(openWorkspace(path));
const c = ws.criterion('big', 'correct');
const t2 = performance.now();
const c0 = cpu();
if (op === 'report') JSON.stringify(reportJson(ws.report(c, { runId: 1 })), null, 2);
else if (op === 'gate') evaluateGate(ws.gateReport(c, { runId: 1 }).report, { minAgreement: 0.5 });
else JSON.stringify(ws.compare(c, 1, 2));
const t3 = performance.now();
console.log(JSON.stringify({ loadMs: t1 - t0, openMs: t2 - t1, computeMs: t3 - t2, computeCpuMs: cpu() - c0, rssMb: process.resourceUsage().maxRSS / 1024 }));
