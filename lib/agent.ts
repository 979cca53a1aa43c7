/**
 * Builds the agent from a config and runs it: collectors and plugins write
 * into the database, the exporter sends it; a stop signal ends collection,
 * runs one last export cycle with a short deadline, and closes everything.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { heartbeat, sleep } from "./clock.ts";
import type { Config } from "./config/mod.ts";
import type { Logger } from "./log.ts";
import { Database } from "./storage/mod.ts";
import type { Host } from "./storage/mod.ts";
import {
  discoverPlugins,
  PluginRunner,
  runCollector,
  SelfCollector,
  SKIFF_VERSION,
} from "./collect/mod.ts";
import type { Collector, Durations, PluginEntry } from "./collect/mod.ts";
import { ExportEngine, loadConnectors } from "./export/mod.ts";
import type { Dialer, EngineOptions } from "./export/mod.ts";
// Streaming and the web API are loaded when a config uses them: an agent
// that only collects and exports does not carry their code.
import type { StreamReceiver, StreamSender } from "./stream/mod.ts";
import { guidFromName } from "./stream/guid.ts";
import { missingPermissions, permissionNeeds } from "./config/mod.ts";
import type { StatusSources, WebApi } from "./web/mod.ts";
import type { PermissionNeed } from "./config/mod.ts";

/**
 * Every permission the agent needs with `config`, enabled plugins included
 * (found by scanning the plugins directories, when Deno lets us read them),
 * and the plugin directories that exist but cannot be read.
 */
export async function agentPermissionNeeds(
  config: Config,
  configPath: string | undefined,
): Promise<{ needs: PermissionNeed[]; pluginDirErrors: string[] }> {
  const base = permissionNeeds(config, { configPath, pluginPaths: [] });
  const unreadable = await missingPermissions(
    base.filter((n) => n.descriptor.name === "read"),
  );
  if (unreadable.length > 0) return { needs: base, pluginDirErrors: [] };
  const { plugins, errors } = await discoverPlugins(config);
  const needs = permissionNeeds(config, {
    configPath,
    pluginPaths: plugins.filter((p) => p.enabled).map((p) => p.path),
  });
  return { needs, pluginDirErrors: errors };
}

/** How long the last export cycle at shutdown may take. */
export const SHUTDOWN_DEADLINE_MS = 1000;

/**
 * How long collectors, plugins and streams get to end at a stop before the
 * last export cycle runs anyway: with {@link SHUTDOWN_DEADLINE_MS}, a stop
 * takes under 2 s.
 */
export const STOP_GRACE_MS = 800;

/** Things the agent takes from outside, replaceable in tests. */
export interface AgentOptions {
  clock: Clock;
  log: Logger;
  dial?: Dialer;
  /** Prefix of /proc and /sys paths, for tests. */
  procRoot?: string;
  /** `skiff tap`: exported batches go here, not to their destinations. */
  tap?: EngineOptions["tap"];
}

/** A running agent. */
export class Agent {
  readonly db: Database;
  readonly config: Config;
  /** Made at start (its connectors may need loading). */
  exporter: ExportEngine | undefined;
  readonly plugins: PluginRunner[] = [];
  receiver: StreamReceiver | undefined;
  /** The web API, when the listener is on. */
  web: WebApi | undefined;
  sender: StreamSender | undefined;
  readonly #o: AgentOptions;
  readonly #abort = new AbortController();
  readonly #durations: Durations = new Map();
  readonly #tasks: Promise<void>[] = [];

  constructor(config: Config, options: AgentOptions) {
    this.config = config;
    this.#o = options;
    this.db = new Database({
      hostname: config.global.hostname,
      machineGuid: guidFromName(`skiff:${config.global.hostname}`),
      os: Deno.build.os,
    });
    for (const [name, value, source] of config.hostLabels) {
      this.db.localhost.labels.set(name, { value, source });
    }
    this.db.localhost.tags = config.hostTags;
    this.db.localhost.program = "skiff";
    this.db.localhost.programVersion = SKIFF_VERSION;
  }

  /** Starts collectors, plugins and the exporter; returns once started. */
  async start(): Promise<void> {
    const { clock, log } = this.#o;
    const enabled = this.config.exporting.filter((i) => i.enabled);
    if (enabled.length > 0) {
      await loadConnectors(enabled.map((i) => i.type));
      this.exporter = new ExportEngine(this.db, this.config.exporting, {
        clock,
        log: log.child("export"),
        dial: this.#o.dial,
        localUpdateEverySec: this.config.global.updateEverySec,
        selfCharts: this.config.plugins.selfMonitoring,
        tap: this.#o.tap,
      });
    }
    const signal = this.#abort.signal;
    const c = this.config;
    // Listen first: an address in use stops the start before anything runs.
    const collectors: Collector[] = [];
    if (c.web.mode !== "none") {
      const { WebApi } = await import("./web/mod.ts");
      const { StreamReceiver } = await import("./stream/mod.ts");
      this.web = new WebApi({
        db: this.db,
        config: c,
        clock,
        log: log.child("web"),
        prometheus: c.prometheusExporter,
        status: this.#statusSources(collectors),
      });
      const web = this.web;
      this.receiver = new StreamReceiver(this.db, c, {
        clock,
        log: log.child("stream"),
        http: (head, peer) => web.answer(head, peer),
      });
      this.receiver.listen();
    }
    if (c.plugins.proc) {
      // loaded only when enabled: some 50 modules of parsers and charts
      const { ProcCollector } = await import("./collect/proc/mod.ts");
      collectors.push(
        new ProcCollector({
          host: this.db.localhost,
          log: log.child("proc"),
          updateEverySec: c.proc.updateEverySec,
          history: c.global.historyEntries,
          modules: c.proc.modules,
          root: this.#o.procRoot,
        }),
      );
    }
    if (c.plugins.selfMonitoring) {
      collectors.push(
        new SelfCollector(this.db, {
          updateEverySec: c.global.updateEverySec,
          history: c.global.historyEntries,
          durations: this.#durations,
        }),
      );
    }
    for (const collector of collectors) {
      this.#tasks.push(
        runCollector(collector, {
          clock,
          log: log.child(collector.name),
          signal,
          durations: this.#durations,
        }),
      );
    }
    const { plugins, problems, errors } = await discoverPlugins(c);
    for (const p of problems) log.warn(p);
    for (const e of errors) log.error(e);
    this.#startPlugins(plugins);
    // As netdata: the plugins directories are scanned again every
    // `check for new plugins every` seconds; a new enabled plugin starts.
    this.#tasks.push(this.#rescanPlugins(signal));
    if (this.exporter) this.#tasks.push(this.exporter.run(signal));
    if (this.receiver) {
      this.#tasks.push(this.receiver.serve(signal));
      const where = this.receiver.addresses.map((a) =>
        `${a.hostname}:${a.port}`
      );
      log.info(`receiving netdata streams on ${where.join(" ")}`);
    }
    if (c.stream.enabled) {
      const { StreamSender } = await import("./stream/mod.ts");
      this.sender = new StreamSender(this.db, c, {
        clock,
        log: log.child("stream"),
      });
      this.#tasks.push(this.sender.run(signal));
      if (c.stream.forwardReceivedHosts && this.receiver) {
        // As a netdata proxy: each received host gets its own stream upward,
        // started when its child first connects and kept across reconnects.
        // A freed host's stream stops with it, as netdata stops the sender
        // thread of a host it frees.
        const forwarded = new Map<Host, AbortController>();
        this.receiver.onHostConnected = (host) => {
          if (forwarded.has(host) || signal.aborted) return;
          const stop = new AbortController();
          forwarded.set(host, stop);
          const sender = new StreamSender(this.db, c, {
            clock,
            log: log.child(`stream ${host.hostname}`),
            host,
            hops: 2,
          });
          const task = sender.run(AbortSignal.any([signal, stop.signal]));
          this.#tasks.push(task);
          const forget = () => {
            // Only a freed host's task: at shutdown stop() awaits them all.
            const i = this.#tasks.indexOf(task);
            if (i >= 0 && stop.signal.aborted) this.#tasks.splice(i, 1);
          };
          task.then(forget, forget);
        };
        this.receiver.onHostRemoved = (host) => {
          forwarded.get(host)?.abort();
          forwarded.delete(host);
        };
      }
    }
    log.info(
      `started: host "${c.global.hostname}", ${collectors.length} collectors, ${this.plugins.length} plugins, ${
        this.exporter?.instances.length ?? 0
      } exporting instances`,
    );
  }

  /** What `/status` reports, read when asked. */
  #statusSources(collectors: Collector[]): StatusSources {
    const startedMs = this.#o.clock.nowMs();
    return {
      db: this.db,
      version: SKIFF_VERSION,
      startedMs,
      instances: () => this.exporter?.instances.map((i) => i.status()) ?? [],
      children: () => this.receiver?.children() ?? [],
      collectors: () => [
        ...collectors.map((c) => ({
          name: c.name,
          updateEverySec: c.updateEverySec,
          lastUs: this.#durations.get(c.name),
        })),
        ...this.plugins.map((p) => ({
          name: p.plugin.name,
          updateEverySec: p.updateEverySec,
          lastUs: undefined,
        })),
      ],
      parent: this.config.stream.enabled
        ? () => ({
          destinations: this.config.stream.destinations.map((d) => d.text),
          connected: this.sender?.connected ?? false,
          connections: this.sender?.stats.connections ?? 0,
          textBytes: this.sender?.stats.textBytes ?? 0,
          wireBytes: this.sender?.stats.wireBytes ?? 0,
        })
        : undefined,
    };
  }

  /** Starts the enabled plugins not running yet. */
  #startPlugins(plugins: PluginEntry[]): void {
    const { clock, log } = this.#o;
    const running = new Set(this.plugins.map((r) => r.plugin.name));
    for (const p of plugins) {
      if (running.has(p.name)) continue;
      if (!p.enabled) {
        log.debug(`plugin ${p.name} found at ${p.path} but not enabled`);
        continue;
      }
      const runner = new PluginRunner(p, {
        config: this.config,
        host: this.db.localhost,
        clock,
        log,
      });
      this.plugins.push(runner);
      this.#tasks.push(runner.run(this.#abort.signal));
    }
  }

  async #rescanPlugins(signal: AbortSignal): Promise<void> {
    const everyMs = this.config.plugins.checkForNewPluginsEverySec * 1000;
    for await (const _ of heartbeat(this.#o.clock, everyMs, { signal })) {
      const before = this.plugins.length;
      const { plugins } = await discoverPlugins(this.config);
      this.#startPlugins(plugins);
      this.#o.log.debug(
        `scanned the plugins directories: ${plugins.length} plugins, ${this.plugins.length} running`,
      );
      for (const r of this.plugins.slice(before)) {
        this.#o.log.info(
          `found a new plugin, ${r.plugin.name} (${r.plugin.path}); started`,
        );
      }
    }
  }

  /**
   * Stops collecting and streaming, then runs the last export cycle. Bounded
   * whatever plugins and peers do: tasks get {@link STOP_GRACE_MS} to end
   * (a connect in flight is not waited for), the last cycle
   * {@link SHUTDOWN_DEADLINE_MS}.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    let pending = this.#tasks.length;
    const settled = Promise.allSettled(
      this.#tasks.map((t) => t.finally(() => pending--)),
    );
    const grace = new AbortController();
    await Promise.race([
      settled,
      sleep(this.#o.clock, STOP_GRACE_MS, grace.signal).catch(() => {}),
    ]);
    grace.abort();
    if (pending > 0) {
      this.#o.log.warn(
        `${pending} task(s) still ending after ${STOP_GRACE_MS} ms (a connect or a plugin in flight); not waiting for them`,
      );
    }
    if (this.exporter) await this.exporter.finalCycle(SHUTDOWN_DEADLINE_MS);
  }
}
