import { FAULTS, renderMatrix, runFault, type FaultRow } from '../../../scripts/fault-matrix';

/**
 * The fault matrix at a smaller size (scripts/fault-matrix.ts runs all of it; docs/fault-matrix.md has the latest
 * output): a few faults, two requests each, the same four checks.
 */
const REDUCED = ['kv5xx', 'table412', 'workerStop'];
const rows: FaultRow[] = [];

afterAll(() => {
  console.log(renderMatrix(rows));
});

it.each(REDUCED)(
  '%s: every request Succeeded or Failed with a reason, one app pair each, no orphan, no leaked secret',
  async (id) => {
    const spec = FAULTS.find((f) => f.id === id)!;
    const row = await runFault(spec, 2, 120_000);
    rows.push(row);
    expect({
      notFinished: row.notFinished,
      badAppPairs: row.badAppPairs,
      orphanedCredentials: row.orphanedCredentials,
      secretLeaks: row.secretLeaks,
      finished: row.succeeded + row.failedWithReason,
    }).toEqual({ notFinished: 0, badAppPairs: 0, orphanedCredentials: 0, secretLeaks: 0, finished: 2 });
    // the fault really happened
    expect(row.injected).not.toBe('—');
    expect(row.injected).toMatch(/[1-9]/);
  },
  180_000,
);
