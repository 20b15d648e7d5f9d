/**
 * The provisioner setup scripts (infra/scripts/setup-provisioner.sh and .ps1): the Graph permissions they request
 * (the same in both scripts and in the deployment guide), federation instead of secrets, admin consent, and the
 * consent URLs. The bash script also runs here against a stand-in `az` and `azd` that record every call.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRepoFile, ROOT } from './bicep';
import { GRAPH_APPLICATION_PERMISSIONS, MICROSOFT_GRAPH_APP_ID } from './publicIds';

const BASH = 'infra/scripts/setup-provisioner.sh';
const PWSH = 'infra/scripts/setup-provisioner.ps1';
const bash = readRepoFile(BASH);
const pwsh = readRepoFile(PWSH);
const guide = readRepoFile('docs/deploy.md');

const GUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

describe('setup-provisioner scripts', () => {
  it.each([
    [BASH, bash],
    [PWSH, pwsh],
    ['docs/deploy.md', guide],
  ])('%s requests exactly the provisioner’s Microsoft Graph application permissions', (_rel, text) => {
    for (const p of GRAPH_APPLICATION_PERMISSIONS) {
      // Name and id on the same line, so a renamed or swapped id is caught.
      expect(text).toMatch(
        new RegExp(`${p.name.replace(/\./g, '\\.')}\\W[^\\n]*${p.id}|${p.id}[^\\n]*\\W${p.name.replace(/\./g, '\\.')}`),
      );
    }
    const ids = new Set((text.match(GUID_RE) ?? []).map((g) => g.toLowerCase()));
    ids.delete(MICROSOFT_GRAPH_APP_ID);
    expect([...ids].sort()).toEqual(GRAPH_APPLICATION_PERMISSIONS.map((p) => p.id).sort());
    expect(text).toContain(MICROSOFT_GRAPH_APP_ID);
  });

  it.each([
    [BASH, bash],
    [PWSH, pwsh],
  ])('%s makes a multi-tenant app trusted through a federated credential, never a secret', (_rel, text) => {
    // Multi-tenant when created, and kept so on every run.
    expect(text).toMatch(/ad app create[^\n]*--sign-in-audience AzureADMultipleOrgs/);
    expect(text).toMatch(/(update_args=\(|'update', )[^\n]*AzureADMultipleOrgs/);
    expect(text).not.toMatch(/AzureADMyOrg\b|AzureADandPersonalMicrosoftAccount|PersonalMicrosoftAccount/);
    expect(text).toMatch(/'Role'|"type":"Role"/);
    expect(text).toContain('api://AzureADTokenExchange');
    expect(text).toMatch(/\/v2\.0/);
    expect(text).toMatch(/federated-credential create/);
    expect(text).toMatch(/appRoleAssignedTo/);
    expect(text).toMatch(/adminconsent\?client_id=/);
    expect(text).toMatch(/azd env set PROVISIONER_CLIENT_ID/);
    expect(text).toMatch(/functionapp config appsettings set/);
    // No client secret or certificate is ever created.
    expect(text).not.toMatch(
      /credential reset|addPassword|passwordCredentials|--password|--append|--cert|keyCredentials/i,
    );
  });

  it('PowerShell makes the same calls the bash run below is checked for (pwsh is not installed here)', () => {
    const calls: [string, RegExp][] = [
      [
        'creates a multi-tenant app',
        /ad app create --display-name \$DisplayName --sign-in-audience AzureADMultipleOrgs/,
      ],
      ['requests the permissions', /'--required-resource-accesses', "@\$rraFile"/],
      ['creates the service principal', /ad sp create --id \$ClientId/],
      ['issuer of the home tenant', /\$issuer = "\$authority\/\$Tenant\/v2\.0"/],
      ['subject is the managed identity', /subject\s+= \$PrincipalId/],
      ['audience', /'api:\/\/AzureADTokenExchange'/],
      [
        'creates the federated credential',
        /federated-credential create --id \$appObjectId --parameters \$ficFile\.FullName/,
      ],
      [
        're-points the federated credential',
        /federated-credential update --id \$appObjectId --federated-credential-id \$existing\.id/,
      ],
      [
        'grants consent',
        /rest --method POST --url "\$graphUrl\/v1\.0\/servicePrincipals\/\$graphSpId\/appRoleAssignedTo"/,
      ],
      ['consent body', /principalId = \$spId; resourceId = \$graphSpId; appRoleId = \$permission\.Id/],
      ['stores the client id in azd', /& azd env set PROVISIONER_CLIENT_ID \$ClientId/],
      ['sets the app setting', /--settings "PROVISIONER_CLIENT_ID=\$ClientId"/],
      ['prints target consent URLs', /\$authority\/\$t\/adminconsent\?client_id=\$ClientId/],
      ['prints the home consent URL', /\$homeConsentUrl = "\$authority\/\$Tenant\/adminconsent\?client_id=\$ClientId"/],
      ['refuses another tenant', /if \(\$signedInTenant -ne \$Tenant\) \{\s*throw/],
    ];
    for (const [what, pattern] of calls) expect({ what, found: pattern.test(pwsh) }).toEqual({ what, found: true });
  });

  it('fails fast: bash with errexit/nounset/pipefail, PowerShell with Stop', () => {
    expect(bash).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(bash).toMatch(/^set -euo pipefail$/m);
    expect(pwsh).toMatch(/^\$ErrorActionPreference = 'Stop'$/m);
    const syntax = spawnSync('bash', ['-n', path.join(ROOT, BASH)], { encoding: 'utf8' });
    expect({ status: syntax.status, stderr: syntax.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('gives the same reason for each permission in both scripts and the guide', () => {
    for (const p of GRAPH_APPLICATION_PERMISSIONS) {
      const bashWhy = new RegExp(`'${p.name.replace(/\./g, '\\.')}\\|${p.id}\\|([^']+)'`).exec(bash)?.[1];
      const pwshWhy = new RegExp(`Name = '${p.name.replace(/\./g, '\\.')}'; Id = '${p.id}'; Why = '([^']+)'`).exec(
        pwsh,
      )?.[1];
      expect({ permission: p.name, bashWhy }).toEqual({ permission: p.name, bashWhy: expect.any(String) });
      expect(pwshWhy).toBe(bashWhy);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Running the bash script against stand-ins for az and azd.

const TENANT = '7e1d0000-0000-4000-8000-00000000a001';
const OTHER_TENANT = '7e1d0000-0000-4000-8000-00000000a002';
const TARGET_A = '7e1d0000-0000-4000-8000-00000000b001';
const TARGET_B = '7e1d0000-0000-4000-8000-00000000b002';
const CLIENT_ID = 'c11e0000-0000-4000-8000-00000000c001';
const APP_OBJECT_ID = 'a0b10000-0000-4000-8000-00000000d001';
const SP_ID = '5e550000-0000-4000-8000-00000000e001';
const GRAPH_SP_ID = '96a50000-0000-4000-8000-00000000f001';
const PRINCIPAL_ID = '9d1c0000-0000-4000-8000-000000001001';

/** Stand-ins for az and azd (test/unit/infra/fixtures); retries wait with sleep, whose stand-in returns at once. */
const STUBS: Record<string, string> = {
  az: readFileSync(path.join(__dirname, 'fixtures', 'az.sh'), 'utf8'),
  azd: readFileSync(path.join(__dirname, 'fixtures', 'azd.sh'), 'utf8'),
  sleep: 'exit 0\n',
};

interface Run {
  status: number | null;
  output: string;
  calls: string[][];
}

function runScript(env: Record<string, string>): Run {
  const dir = mkdtempSync(path.join(tmpdir(), 'provisioner-stub-'));
  try {
    for (const [name, body] of Object.entries(STUBS)) {
      writeFileSync(path.join(dir, name), `#!/usr/bin/env bash\n${body}`);
      chmodSync(path.join(dir, name), 0o755);
    }
    const log = path.join(dir, 'calls.log');
    writeFileSync(log, '');
    const result = spawnSync('bash', [path.join(ROOT, BASH)], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: `${dir}:${process.env.PATH ?? ''}`,
        HOME: dir,
        STUB_LOG: log,
        STUB_SIGNED_IN_TENANT: TENANT,
        STUB_SAME_NAME: '0',
        STUB_CLIENT_ID: CLIENT_ID,
        STUB_APP_OBJECT_ID: APP_OBJECT_ID,
        STUB_SP_EXISTS: 'false',
        STUB_SP_ID: SP_ID,
        STUB_GRAPH_SP_ID: GRAPH_SP_ID,
        STUB_FIC: '',
        STUB_GRANTED: '',
        STUB_POST_FAILS: 'false',
        STUB_APP_SETTING: '',
        // What azd gives its hooks: the environment name and the Bicep outputs.
        AZURE_ENV_NAME: 'dev',
        AZURE_TENANT_ID: TENANT,
        MANAGED_IDENTITY_PRINCIPAL_ID: PRINCIPAL_ID,
        AZURE_FUNCTION_APP_NAME: 'func-abc',
        AZURE_RESOURCE_GROUP: 'rg-dev',
        ...env,
      },
    });
    const calls = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\x1f'));
    return { status: result.status, output: `${result.stdout}${result.stderr}`, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const azCalls = (run: Run, ...prefix: string[]) =>
  run.calls.filter((c) => c[0] === 'az' && prefix.every((p, i) => c[i + 1] === p)).map((c) => c.slice(1));
const argAfter = (call: string[], flag: string) => call[call.indexOf(flag) + 1];

describe('setup-provisioner.sh against stand-ins for az and azd', () => {
  it('creates the app, its federation, consent and settings on a first run', () => {
    const run = runScript({
      PROVISIONER_TARGET_TENANTS: `${TARGET_A},${TARGET_B},not-a-tenant`,
      SERVICE_API_URI: 'https://func-abc.azurewebsites.net',
    });
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.any(String) });

    expect(azCalls(run, 'ad', 'app', 'create')).toEqual([
      [
        'ad',
        'app',
        'create',
        '--display-name',
        'cm-entra-provisioner-dev',
        '--sign-in-audience',
        'AzureADMultipleOrgs',
        '--query',
        'appId',
        '-o',
        'tsv',
      ],
    ]);
    const [update] = azCalls(run, 'ad', 'app', 'update');
    expect(argAfter(update!, '--id')).toBe(APP_OBJECT_ID);
    expect(argAfter(update!, '--sign-in-audience')).toBe('AzureADMultipleOrgs');
    expect(argAfter(update!, '--web-redirect-uris')).toBe('https://func-abc.azurewebsites.net/api/health');
    const rra = JSON.parse(run.calls.find((c) => c[0] === 'rra')![1]!) as unknown;
    expect(rra).toEqual([
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccess: GRAPH_APPLICATION_PERMISSIONS.map((p) => ({ id: p.id, type: 'Role' })),
      },
    ]);
    expect(azCalls(run, 'ad', 'sp', 'create')).toHaveLength(1);

    const [fic] = azCalls(run, 'ad', 'app', 'federated-credential', 'create');
    expect(argAfter(fic!, '--id')).toBe(APP_OBJECT_ID);
    expect(JSON.parse(argAfter(fic!, '--parameters')!)).toMatchObject({
      name: 'function-app-managed-identity',
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      subject: PRINCIPAL_ID,
      audiences: ['api://AzureADTokenExchange'],
    });

    const posts = azCalls(run, 'rest', '--method', 'POST');
    expect(posts.map((p) => argAfter(p, '--url'))).toEqual(
      GRAPH_APPLICATION_PERMISSIONS.map(
        () => `https://graph.microsoft.com/v1.0/servicePrincipals/${GRAPH_SP_ID}/appRoleAssignedTo`,
      ),
    );
    expect(posts.map((p) => JSON.parse(argAfter(p, '--body')!) as unknown)).toEqual(
      GRAPH_APPLICATION_PERMISSIONS.map((p) => ({ principalId: SP_ID, resourceId: GRAPH_SP_ID, appRoleId: p.id })),
    );

    expect(run.calls.filter((c) => c[0] === 'azd')).toEqual([
      ['azd', 'env', 'set', 'PROVISIONER_CLIENT_ID', CLIENT_ID],
    ]);
    const [setting] = azCalls(run, 'functionapp', 'config', 'appsettings', 'set');
    expect(argAfter(setting!, '--settings')).toBe(`PROVISIONER_CLIENT_ID=${CLIENT_ID}`);
    expect(argAfter(setting!, '--name')).toBe('func-abc');

    for (const t of [TARGET_A, TARGET_B]) {
      expect(run.output).toContain(`https://login.microsoftonline.com/${t}/adminconsent?client_id=${CLIENT_ID}`);
    }
    expect(run.output).toMatch(/skipping target tenant 'not-a-tenant'/);
    expect(run.calls.flat().join(' ')).not.toMatch(/credential reset|password/i);
  });

  it('changes nothing when everything is already in place', () => {
    const run = runScript({
      PROVISIONER_CLIENT_ID: CLIENT_ID,
      STUB_SP_EXISTS: 'true',
      STUB_FIC: [
        'fic-1',
        `https://login.microsoftonline.com/${TENANT}/v2.0`,
        PRINCIPAL_ID,
        'api://AzureADTokenExchange',
      ].join('\t'),
      STUB_GRANTED: GRAPH_APPLICATION_PERMISSIONS.map((p) => p.id).join(' '),
      STUB_APP_SETTING: CLIENT_ID,
    });
    expect(run.status).toBe(0);
    for (const write of [
      ['ad', 'app', 'create'],
      ['ad', 'sp', 'create'],
      ['ad', 'app', 'federated-credential', 'create'],
      ['ad', 'app', 'federated-credential', 'update'],
      ['rest', '--method', 'POST'],
      ['functionapp', 'config', 'appsettings', 'set'],
    ]) {
      expect({ write, calls: azCalls(run, ...write).length }).toEqual({ write, calls: 0 });
    }
    expect(run.output).toContain(
      `https://login.microsoftonline.com/<target-tenant-id>/adminconsent?client_id=${CLIENT_ID}`,
    );
  });

  it('re-points the federated credential at a new managed identity', () => {
    const run = runScript({
      PROVISIONER_CLIENT_ID: CLIENT_ID,
      STUB_SP_EXISTS: 'true',
      STUB_FIC: [
        'fic-1',
        `https://login.microsoftonline.com/${TENANT}/v2.0`,
        'old-principal',
        'api://AzureADTokenExchange',
      ].join('\t'),
      STUB_GRANTED: GRAPH_APPLICATION_PERMISSIONS.map((p) => p.id).join(' '),
    });
    expect(run.status).toBe(0);
    const [update] = azCalls(run, 'ad', 'app', 'federated-credential', 'update');
    expect(argAfter(update!, '--federated-credential-id')).toBe('fic-1');
    expect(JSON.parse(argAfter(update!, '--parameters')!)).toMatchObject({ subject: PRINCIPAL_ID });
  });

  it('still finishes, with the home-tenant consent URL, when the deployer may not grant the permissions', () => {
    const run = runScript({ STUB_POST_FAILS: 'true' });
    expect(run.status).toBe(0);
    expect(run.output).toMatch(/WARNING: could not grant Application\.ReadWrite\.OwnedBy/);
    expect(run.output).toContain(`https://login.microsoftonline.com/${TENANT}/adminconsent?client_id=${CLIENT_ID}`);
  });

  it('refuses to create the app in a tenant other than the home tenant', () => {
    const run = runScript({ STUB_SIGNED_IN_TENANT: OTHER_TENANT });
    expect(run.status).toBe(1);
    expect(run.output).toContain(`az login --tenant ${TENANT}`);
    expect(azCalls(run, 'ad', 'app', 'create')).toEqual([]);
  });

  it('asks for az login when the Azure CLI is not signed in', () => {
    const run = runScript({ STUB_SIGNED_IN_TENANT: '' });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/not signed in to the Azure CLI/);
  });

  it('refuses to guess between two apps of the same name', () => {
    const run = runScript({ STUB_SAME_NAME: '2' });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/2 app registrations are named 'cm-entra-provisioner-dev'/);
  });
});
