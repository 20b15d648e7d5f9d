import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, PROJECT_ROOT } from '../../dev/paths';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm start` is `npm run build && node dist/dev/start.js`; this drives the second half, on free ports. */
describe('npm start (the local stack)', () => {
  it('serves /api/health with 200, and Ctrl-C (SIGINT to the process group) stops every process, exit 0', async () => {
    const stackFile = path.join(DATA_DIR, 'test-stacks', `${randomUUID()}.json`);
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'dist', 'dev', 'start.js'), '--free-ports', '--stack-file', stackFile],
      { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 30_000;
    while (!output.includes('LOCAL_STACK_READY')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`stack did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as {
      functions: { health: string };
      pids: Record<string, number>;
    };
    const res = await fetch(stack.functions.health);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; dependencies: { name: string; status: string }[] };
    expect(body.status).toBe('healthy');
    expect(body.dependencies.find((d) => d.name === 'tableStorage')?.status).toBe('ok');
    expect(body.dependencies.find((d) => d.name === 'queueStorage')?.status).toBe('ok');

    process.kill(-child.pid!, 'SIGINT'); // what a terminal's Ctrl-C does
    expect(await exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    for (const [name, pid] of Object.entries(stack.pids)) {
      expect([name, alive(pid)]).toEqual([name, false]);
    }
  });
});
