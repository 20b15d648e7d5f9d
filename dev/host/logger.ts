import type { RpcLogLevel } from './core-api';

const LEVELS: Record<RpcLogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

/** Console output in the style of Core Tools: `[timestamp] message`, one line per entry. */
export class HostLogger {
  constructor(
    private readonly minLevel: RpcLogLevel = 'information',
    private readonly write: (line: string, level: RpcLogLevel) => void = defaultWrite,
  ) {}

  log(level: RpcLogLevel, message: string): void {
    if (LEVELS[level] < LEVELS[this.minLevel]) return;
    this.write(`[${new Date().toISOString()}] ${message}`, level);
  }

  info(message: string): void {
    this.log('information', message);
  }

  warn(message: string): void {
    this.log('warning', message);
  }

  error(message: string): void {
    this.log('error', message);
  }
}

function defaultWrite(line: string, level: RpcLogLevel): void {
  if (LEVELS[level] >= LEVELS.warning) process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
