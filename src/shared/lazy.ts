/**
 * `create()` once, on the first call. The Azure SDKs and jose are loaded this way — `require`d on first use, typed
 * with `typeof import(...)` — because the Functions worker loads every function file before the first invocation and
 * most functions need only some of them (cold start: docs/benchmarks.md; test/unit/coldstart keeps it so).
 */
export function once<T>(create: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = create();
      made = true;
    }
    return value;
  };
}
