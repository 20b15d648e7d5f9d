import { readFileSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { CoreRegistry, installCoreModule, RegisteredFunction, TESTED_FUNCTIONS_LIBRARY } from './core-api';
import { HttpFrontend } from './http-frontend';
import { Invoker } from './invoker';
import { describeError, HostLogger } from './logger';
import { QueueListener, QueueOutputs } from './queues';
import { applySettingsToEnv, HostJson, LocalSettings, readHostJson, readLocalSettings } from './settings';
import { TimerScheduler } from './timers';

export interface LocalHostOptions {
  /** The function app folder: host.json, package.json (with "main"), local.settings.json. */
  appDir: string;
  /** HTTP port; default local.settings.json Host.LocalHttpPort, else 7071. 0 = a free port. */
  port?: number;
  hostname?: string;
  /** Where timer schedule status is kept; none = no monitor (every start is a fresh schedule). */
  timerStatusDir?: string;
  /** Overrides local.settings.json Host.EnforceAuthKeys. */
  enforceAuthKeys?: boolean;
  logger?: HostLogger;
  env?: NodeJS.ProcessEnv;
}

/** The app's entry points from package.json "main" (a file or a glob, as the Node.js worker accepts). */
export function resolveEntryPoints(appDir: string): string[] {
  const pkgFile = path.join(appDir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: unknown };
  if (typeof pkg.main !== 'string' || pkg.main === '') {
    throw new Error(`${pkgFile}: "main" must name the app's entry point(s), e.g. "dist/src/functions/*.js"`);
  }
  const files = globSync([pkg.main], { cwd: appDir, absolute: true }).sort();
  if (files.length === 0) {
    throw new Error(`${pkgFile}: "main" (${pkg.main}) matches no file — did you run the build (npm run build)?`);
  }
  return files;
}

/**
 * A local stand-in for the Azure Functions host with the Node.js worker: loads the compiled app, captures its
 * registrations through `@azure/functions-core`, and runs HTTP, storage queue and timer triggers with the
 * host's semantics. One per process (the core module is process-wide, as in the worker).
 */
export class LocalFunctionsHost {
  #frontend: HttpFrontend | undefined;
  #listeners: QueueListener[] = [];
  #timers: TimerScheduler | undefined;
  #invoker: Invoker | undefined;
  #registry: CoreRegistry | undefined;
  #stopping: Promise<void> | undefined;
  port = 0;
  url = '';
  functions: RegisteredFunction[] = [];
  hostJson: HostJson | undefined;
  settings: LocalSettings | undefined;

  constructor(private readonly options: LocalHostOptions) {}

  async start(): Promise<void> {
    const { appDir } = this.options;
    const env = this.options.env ?? process.env;
    const logger = this.options.logger ?? new HostLogger();
    const settings = readLocalSettings(appDir);
    if (this.options.enforceAuthKeys !== undefined) settings.enforceAuthKeys = this.options.enforceAuthKeys;
    applySettingsToEnv(settings.values, env);
    const hostJson = readHostJson(appDir);
    this.settings = settings;
    this.hostJson = hostJson;

    const registry = new CoreRegistry((level, message) => logger.log(level, message));
    this.#registry = registry;
    installCoreModule(registry.createModule());
    for (const file of resolveEntryPoints(appDir)) {
      try {
        // The Node.js worker loads CommonJS entry points with require().
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(file);
      } catch (err) {
        throw new Error(
          `Worker was unable to load entry point "${path.relative(appDir, file)}": ${describeError(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    if (!registry.programmingModel) {
      throw new Error('The app registered no programming model: does it use @azure/functions v4?');
    }
    if (registry.programmingModel.version !== TESTED_FUNCTIONS_LIBRARY) {
      logger.warn(
        `@azure/functions ${registry.programmingModel.version} is loaded; the local host was verified with ${TESTED_FUNCTIONS_LIBRARY}.`,
      );
    }
    const capabilities = await registry.programmingModel.getCapabilities({});
    if (capabilities.HttpUri) {
      throw new Error('HTTP streams (app.setup({ enableHttpStream: true })) are not supported by the local host');
    }
    registry.sealed = true;
    this.functions = [...registry.functions.values()];

    const invoker = new Invoker(registry, logger, hostJson.functionTimeoutMs);
    this.#invoker = invoker;
    for (const hook of registry.hooks.appStart) {
      await hook({ hookData: invoker.appHookData, hostVersion: '4.1043.0', functionAppDirectory: appDir });
    }

    const listenersByQueue = new Map<string, QueueListener[]>();
    const outputs = new QueueOutputs(hostJson.queues, env, (queue) =>
      listenersByQueue.get(queue)?.forEach((l) => l.nudge()),
    );
    for (const fn of this.functions) {
      const trigger = Object.entries(fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase() === 'queuetrigger');
      if (!trigger) continue;
      const listener = new QueueListener(fn, trigger[0], trigger[1], hostJson.queues, invoker, outputs, logger, env);
      this.#listeners.push(listener);
      listenersByQueue.set(listener.queueName, [...(listenersByQueue.get(listener.queueName) ?? []), listener]);
    }
    const timers = new TimerScheduler(this.functions, invoker, logger, this.options.timerStatusDir, env);
    this.#timers = timers;

    const frontend = new HttpFrontend(this.functions, invoker, logger, {
      routePrefix: hostJson.routePrefix,
      settings,
      writeOutputs: (fn, response) => outputs.writeAll(fn, response),
      invokeNonHttp: async (fn, input) => {
        const triggerType = Object.values(fn.metadata.bindings).find((b) => /trigger$/i.test(b.type ?? ''))?.type;
        if (triggerType?.toLowerCase() === 'timertrigger') return timers.runNow(fn);
        const queueBinding = Object.values(fn.metadata.bindings).find((b) => b.type?.toLowerCase() === 'queuetrigger');
        if (queueBinding) {
          // As in Azure: the admin API puts the input on the trigger's queue.
          await outputs.write({ ...queueBinding, type: 'queue' }, { string: input });
          return;
        }
        logger.warn(`Functions.${fn.metadata.name}: manual invocation of ${triggerType} is not supported`);
      },
    });
    this.#frontend = frontend;

    const port = this.options.port ?? settings.port ?? 7071;
    const hostname = this.options.hostname ?? '127.0.0.1';
    this.port = await frontend.listen(port, hostname);
    this.url = `http://${hostname === '127.0.0.1' ? 'localhost' : hostname}:${this.port}`;

    await Promise.all(this.#listeners.map((l) => l.start()));
    timers.start();

    const lines = [
      ...frontend.describe(this.url),
      ...this.#listeners.map((l) => `${l.fnName}: queueTrigger '${l.queueName}'`),
      ...timers.describe(),
    ];
    logger.info(`Functions:\n\n${lines.map((l) => `\t${l}`).join('\n')}\n`);
    logger.info(
      `Host started (local). Queue encoding ${hostJson.queues.messageEncoding}, keys ${settings.enforceAuthKeys ? 'enforced' : 'not enforced (Host.EnforceAuthKeys=false)'}.`,
    );
  }

  /** Stops taking new work (HTTP, queue polling, timers), lets running invocations finish, runs appTerminate hooks. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#frontend?.close();
      await Promise.all(this.#listeners.map((l) => l.stop()));
      await this.#timers?.stop();
      await this.#invoker?.drain();
      for (const hook of this.#registry?.hooks.appTerminate ?? []) {
        await hook({ hookData: this.#invoker?.appHookData ?? {} });
      }
    })();
    return this.#stopping;
  }
}
