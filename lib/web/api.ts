/**
 * The web API on skiff's listener: netdata 1.37's read API (`/api/v1/info`,
 * `charts`, `chart`, `data`, `allmetrics`), for the local host and, under
 * `/host/NAME/`, for every received host; skiff's `/status` and its status
 * page. Who may ask is netdata's `[web] allow dashboard from` (and skiff's
 * `allow metrics from` for allmetrics); the answer to others is netdata's
 * 403.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { escapeForLog } from "../log_escape.ts";
import { accessList } from "../simple_pattern.ts";
import type { Database, Host } from "../storage/mod.ts";
import { allmetricsAnswer, type AllmetricsState } from "./allmetrics.ts";
import { chartAnswer, chartsAnswer, infoAnswer, type Usage } from "./charts.ts";
import { dataAnswer } from "./data.ts";
import {
  formatAnswer,
  type HttpAnswer,
  HttpRequestError,
  jsonAnswer,
  parseRequestHead,
  textAnswer,
} from "./http.ts";
import type { PrometheusExporterValues } from "../config/mod.ts";
import { statusDocument, type StatusSources } from "./status.ts";

/** What the web API needs. */
export interface WebOptions {
  db: Database;
  config: Config;
  clock: Clock;
  log: Logger;
  status: StatusSources;
  /** exporting.conf's `[prometheus:exporter]`. */
  prometheus: PrometheusExporterValues;
}

/** netdata's answer to a peer not allowed (web_client_permission_denied). */
const DENIED = "You are not allowed to access this resource.";

/** Requests served, for tests and the status. */
export interface WebStats {
  requests: number;
  denied: number;
  notFound: number;
}

/** Paths the status page may answer (page.ts decides which it has). */
function isPagePath(path: string): boolean {
  return path === "/" || path === "/index.html" || path.startsWith("/uplot.");
}

/** The web API. */
export class WebApi {
  readonly stats: WebStats = { requests: 0, denied: 0, notFound: 0 };
  /** allmetrics by format, and the status page: /api/v1/info reports them. */
  readonly #used: Usage = { prometheus: 0, shell: 0, json: 0, dashboard: 0 };
  readonly #o: WebOptions;
  readonly #dashboard: (address: string) => boolean;
  readonly #metrics: (address: string) => boolean;
  /** allmetrics' per-server last access (netdata's prometheus_server list). */
  readonly #allmetrics: AllmetricsState = new Map();

  constructor(options: WebOptions) {
    this.#o = options;
    this.#dashboard = accessList(options.config.web.allowDashboardFrom);
    this.#metrics = accessList(options.config.web.allowMetricsFrom);
  }

  /** The bytes answering request `head` from `peerAddress`. */
  async answer(head: string, peerAddress: string): Promise<Uint8Array> {
    const nowMs = this.#o.clock.nowMs();
    let headOnly = false;
    let a: HttpAnswer;
    try {
      const req = parseRequestHead(head);
      headOnly = req.method === "HEAD";
      this.stats.requests++;
      if (req.method === "OPTIONS") {
        // A browser's CORS preflight; netdata answers it so.
        a = textAnswer(200, "OK");
      } else if (req.method !== "GET" && req.method !== "HEAD") {
        a = textAnswer(405, `method ${req.method} is not supported\n`);
      } else if (isPagePath(req.path)) {
        a = await this.#page(req.path, peerAddress) ??
          this.#route(req.path, req.query, peerAddress, nowMs);
      } else {
        a = this.#route(req.path, req.query, peerAddress, nowMs);
      }
    } catch (err) {
      if (!(err instanceof HttpRequestError)) throw err;
      this.#o.log.debug(
        escapeForLog(`HTTP request from ${peerAddress}: ${err.message}`),
      );
      a = textAnswer(err.status, `${err.message}\n`);
    }
    if (a.status === 403) this.stats.denied++;
    if (a.status === 404) this.stats.notFound++;
    return formatAnswer(a, nowMs, headOnly);
  }

  /**
   * The status page and its files; undefined for a path that is neither.
   * page.ts is loaded on the first request for it: uPlot, built in, is
   * some 2.5 MiB resident once loaded.
   */
  async #page(path: string, peer: string): Promise<HttpAnswer | undefined> {
    const { PAGE_ASSETS, PAGE_HTML } = await import("./page.ts");
    const asset = Object.hasOwn(PAGE_ASSETS, path)
      ? PAGE_ASSETS[path]
      : undefined;
    if (asset === undefined && path !== "/" && path !== "/index.html") {
      return undefined;
    }
    if (!this.#dashboard(peer)) return textAnswer(403, DENIED);
    if (asset) {
      return {
        status: 200,
        contentType: asset.type,
        body: asset.body,
        cacheable: true,
      };
    }
    this.#used.dashboard++;
    return {
      status: 200,
      contentType: "text/html; charset=utf-8",
      body: PAGE_HTML,
    };
  }

  #route(
    path: string,
    query: URLSearchParams,
    peer: string,
    nowMs: number,
  ): HttpAnswer {
    if (path === "/status") {
      if (!this.#dashboard(peer)) return textAnswer(403, DENIED);
      return jsonAnswer(
        JSON.stringify(statusDocument(this.#o.status, nowMs), null, 2) + "\n",
      );
    }
    let host: Host | undefined = this.#o.db.localhost;
    let rest = path;
    const m = /^\/host\/([^/]+)(\/.*)?$/.exec(path);
    if (m) {
      host = this.#o.db.hostByName(m[1]) ?? this.#o.db.host(m[1]);
      rest = m[2] ?? "/";
      if (!host) {
        return textAnswer(
          404,
          `This netdata does not maintain a database for host: ${m[1]}`,
        );
      }
    }
    const api = /^\/api\/v1\/([a-z_]+)$/.exec(rest);
    if (!api) return textAnswer(404, `Not found: ${path}\n`);
    const call = api[1];
    const allowed = call === "allmetrics"
      ? this.#metrics(peer)
      : this.#dashboard(peer);
    if (!allowed) return textAnswer(403, DENIED);
    switch (call) {
      case "info":
        return infoAnswer(this.#o.db, host, this.#o.config, this.#used);
      case "charts":
        return chartsAnswer(this.#o.db, host, this.#o.config);
      case "chart":
        return chartAnswer(host, query);
      case "data":
        return dataAnswer(host, query, nowMs);
      case "allmetrics": {
        const f = query.get("format") ?? "shell";
        if (f === "json" || f === "shell") this.#used[f]++;
        else if (f.startsWith("prometheus")) this.#used.prometheus++;
        return allmetricsAnswer(
          {
            db: this.#o.db,
            host,
            config: this.#o.prometheus,
            state: this.#allmetrics,
            peer,
          },
          query,
          nowMs,
        );
      }
    }
    return textAnswer(404, `Not found: ${path}\n`);
  }
}
