import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TESTED_FUNCTIONS_LIBRARY } from '../../../dev/host/core-api';

/**
 * The local host depends on internals of @azure/functions (the @azure/functions-core contract and the
 * InvocationModel). If the installed version moves, the host must be re-verified: this test fails loudly.
 */
describe('@azure/functions pin', () => {
  it('is the exact version the local host was verified against', () => {
    const pkgPath = require.resolve('@azure/functions/package.json');
    const installed = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
    expect(installed).toBe(TESTED_FUNCTIONS_LIBRARY);
  });

  it('is pinned exactly (no range) in package.json', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies['@azure/functions']).toBe(TESTED_FUNCTIONS_LIBRARY);
  });

  it('still loads @azure/functions-core through require, which the host intercepts', () => {
    const bundle = readFileSync(require.resolve('@azure/functions'), 'utf8');
    expect(bundle).toContain('require("@azure/functions-core")');
  });
});
