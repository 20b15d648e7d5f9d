import { Cron } from 'croner';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RegisteredFunction } from './core-api';
import type { Invoker } from './invoker';
import { describeError, HostLogger } from './logger';
import { parseTimeSpan, resolveAppSettingRefs } from './settings';

/** What the Functions host records per timer (it keeps it in a blob; the local host in a JSON file). */
export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

export interface Schedule {
  /** The next occurrence strictly after `after`. */
  next(after: Date): Date;
  describe: string;
}

/**
 * NCRONTAB as the Functions host reads it: six fields `{second} {minute} {hour} {day} {month} {day-of-week}`,
 * where day-of-month and day-of-week must BOTH match (NCrontab semantics, unlike Vixie cron's OR), in UTC unless
 * WEBSITE_TIME_ZONE is set. A TimeSpan (`hh:mm:ss`) means a fixed interval.
 */
export function parseSchedule(expression: string, timeZone?: string): Schedule {
  const trimmed = expression.trim();
  if (/^(\d+\.)?\d{1,2}:\d{1,2}:\d{1,2}$/.test(trimmed)) {
    const ms = parseTimeSpan(trimmed, 'schedule');
    if (ms <= 0) throw new Error(`timer schedule '${expression}' must be a positive interval`);
    return { describe: `every ${trimmed}`, next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `timer schedule '${expression}' must have six fields {second} {minute} {hour} {day} {month} {day-of-week}`,
    );
  }
  const cron = new Cron(trimmed, { paused: true, mode: '6-part', domAndDow: true, timezone: timeZone ?? 'UTC' });
  return {
    describe: trimmed,
    next: (after) => {
      const n = cron.nextRun(after);
      if (!n) throw new Error(`timer schedule '${expression}' has no next occurrence`);
      return n;
    },
  };
}

interface TimerEntry {
  fn: RegisteredFunction;
  triggerName: string;
  schedule: Schedule;
  runOnStartup: boolean;
  useMonitor: boolean;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}

/** Runs timer-triggered functions; a failing run is logged and does not stop the schedule. */
export class TimerScheduler {
  readonly #entries: TimerEntry[] = [];
  #stopped = false;

  constructor(
    functions: RegisteredFunction[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
    private readonly statusDir: string | undefined,
    env: NodeJS.ProcessEnv,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const fn of functions) {
      const entry = Object.entries(fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase() === 'timertrigger');
      if (!entry) continue;
      const [triggerName, binding] = entry;
      const expression = resolveAppSettingRefs(String(binding.schedule), env);
      const schedule = parseSchedule(expression, env.WEBSITE_TIME_ZONE);
      this.#entries.push({
        fn,
        triggerName,
        schedule,
        runOnStartup: binding.runOnStartup === true,
        useMonitor: binding.useMonitor !== false,
        timer: undefined,
        running: undefined,
      });
    }
  }

  describe(): string[] {
    return this.#entries.map((e) => `${e.fn.metadata.name}: timerTrigger '${e.schedule.describe}'`);
  }

  start(): void {
    for (const e of this.#entries) {
      const status = e.useMonitor ? this.#readStatus(e) : undefined;
      const now = this.now();
      const pastDue = status !== undefined && new Date(status.next).getTime() < now.getTime();
      if (pastDue || e.runOnStartup) {
        void this.#fire(e, pastDue, status);
      } else {
        this.#scheduleNext(e, status);
      }
      this.logger.info(
        `Timer '${e.fn.metadata.name}': next occurrence ${e.schedule.next(now).toISOString()}${pastDue ? ' (past due: running now)' : ''}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const e of this.#entries) clearTimeout(e.timer);
    await Promise.allSettled(this.#entries.flatMap((e) => (e.running ? [e.running] : [])));
  }

  /** Runs a timer function now (the admin API's manual trigger), as a normal, not past-due occurrence. */
  async runNow(fn: RegisteredFunction): Promise<void> {
    const e = this.#entries.find((x) => x.fn === fn);
    if (e) await this.#invoke(e, false, this.#readStatus(e));
    else throw new Error(`${fn.metadata.name} is not a timer function`);
  }

  #scheduleNext(e: TimerEntry, status: ScheduleStatus | undefined): void {
    if (this.#stopped) return;
    const now = this.now();
    const next = e.schedule.next(now);
    if (e.useMonitor) {
      this.#writeStatus(e, {
        last: status?.last ?? new Date(0).toISOString(),
        next: next.toISOString(),
        lastUpdated: now.toISOString(),
      });
    }
    // setTimeout cannot wait longer than ~24.8 days; re-check in steps.
    const delay = Math.min(next.getTime() - now.getTime(), 2 ** 31 - 1);
    e.timer = setTimeout(
      () => {
        if (this.now().getTime() + 5 < next.getTime()) this.#scheduleNext(e, status);
        else void this.#fire(e, false, status, next);
      },
      Math.max(0, delay),
    );
  }

  async #fire(e: TimerEntry, isPastDue: boolean, status: ScheduleStatus | undefined, occurrence?: Date): Promise<void> {
    if (this.#stopped) return;
    const run = this.#invoke(e, isPastDue, status, occurrence);
    e.running = run.then(() => undefined);
    const newStatus = await run;
    e.running = undefined;
    if (e.useMonitor) this.#writeStatus(e, newStatus);
    this.#scheduleNext(e, newStatus);
  }

  /** Invokes once and returns the status to record for this occurrence. */
  async #invoke(
    e: TimerEntry,
    isPastDue: boolean,
    status: ScheduleStatus | undefined,
    occurrence?: Date,
  ): Promise<ScheduleStatus> {
    const now = occurrence ?? this.now();
    const next = e.schedule.next(now);
    const input = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: status ? { Last: status.last, Next: status.next, LastUpdated: status.lastUpdated } : null,
      IsPastDue: isPastDue,
    };
    try {
      const outcome = await this.invoker.invoke(e.fn, {
        inputData: [{ name: e.triggerName, data: { json: JSON.stringify(input) } }],
        triggerMetadata: {},
        reason: `Timer fired at ${now.toISOString()}`,
      });
      if (!outcome.ok) this.logger.warn(`Timer '${e.fn.metadata.name}' run failed; the schedule continues.`);
    } catch (err) {
      this.logger.error(`Timer '${e.fn.metadata.name}': ${describeError(err)}`);
    }
    return { last: now.toISOString(), next: next.toISOString(), lastUpdated: this.now().toISOString() };
  }

  #statusFile(e: TimerEntry): string | undefined {
    return this.statusDir ? path.join(this.statusDir, `${e.fn.metadata.name.toLowerCase()}.json`) : undefined;
  }

  #readStatus(e: TimerEntry): ScheduleStatus | undefined {
    const file = this.#statusFile(e);
    if (!file || !existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ScheduleStatus;
    } catch {
      return undefined;
    }
  }

  #writeStatus(e: TimerEntry, status: ScheduleStatus): void {
    const file = this.#statusFile(e);
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(status, null, 2));
  }
}
