import { once } from '../../lazy';

/**
 * `@azure/data-tables`, loaded on first use rather than when a function file is loaded (cold start: the worker
 * loads every function file before its first invocation; see docs/benchmarks.md). Types come from `import type`.
 */
type TablesSdk = typeof import('@azure/data-tables');

// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
export const tablesSdk = once(() => require('@azure/data-tables') as TablesSdk);

/** Whether `err` is the Tables SDK's error with HTTP `status` (only the SDK's calls throw one, so it is loaded). */
export function isStatus(err: unknown, status: number): boolean {
  return err instanceof tablesSdk().RestError && err.statusCode === status;
}
