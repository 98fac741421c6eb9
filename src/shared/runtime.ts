/**
 * Advice on the Node.js the service runs on, logged once at start. Node 20 still runs it (CI
 * tests 20 and 24), but it reached its end of life on 2026-04-30 and, on the W2 bench, spends
 * a quarter to two thirds more CPU per command than Node 24 (docs/performance.md).
 */
export function runtimeAdvice(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major) || major >= 22) return undefined;
  return (
    `Node ${version} is past its end of life and runs this service with a quarter to two thirds more CPU per command ` +
    'than Node 24 LTS; for Node 24: bin="$(scripts/node24.sh)" && PATH="$bin:$PATH" npm start'
  );
}
