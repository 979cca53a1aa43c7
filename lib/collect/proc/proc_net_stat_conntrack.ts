/**
 * /proc/net/stat/nf_conntrack: the netfilter.conntrack_* charts, as netdata
 * 1.37's proc_net_stat_conntrack.c: a header, then a line of 17
 * hexadecimal counters per CPU, summed over CPUs (the entries count is the
 * first CPU's that is not zero: it is global). netdata's fallback to
 * /proc/sys/net/netfilter/nf_conntrack_count when this file is missing,
 * and its `netfilter_conntrack_max` host variable, are not done.
 *
 * @module
 */

import type { DimSpec, ProcContext, ProcModule } from "./context.ts";

const FIELDS = [
  "entries",
  "searched",
  "found",
  "new",
  "invalid",
  "ignore",
  "delete",
  "delete_list",
  "insert",
  "insert_failed",
  "drop",
  "early_drop",
  "icmp_error",
  "expect_new",
  "expect_create",
  "expect_delete",
  "search_restart",
] as const;

/** The counters, summed over CPUs (entries: the first not zero). */
export type Conntrack = Record<(typeof FIELDS)[number], number>;

/** Parses the file; lines of fewer than 17 words are skipped, as netdata. */
export function parseConntrack(text: string): Conntrack {
  const sum = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Conntrack;
  for (const line of text.split("\n").slice(1)) {
    const w = line.trim().split(/[\s:]+/);
    if (w.length < 17) continue;
    FIELDS.forEach((f, i) => {
      const v = Number.parseInt(w[i], 16) || 0;
      if (f === "entries") {
        if (sum.entries === 0) sum.entries = v;
      } else sum[f] += v;
    });
  }
  return sum;
}

/** The /proc/net/stat/nf_conntrack module. */
export function procNetStatConntrack(ctx: ProcContext): ProcModule {
  const module = "/proc/net/stat/nf_conntrack";
  const chart = (
    id: string,
    title: string,
    units: string,
    priority: number,
    dims: DimSpec[],
    detail: boolean,
  ) =>
    ctx.chart({
      id: `netfilter.conntrack_${id}`,
      title,
      units,
      family: "conntrack",
      chartType: "line",
      priority,
      detail,
      module,
    }, dims);
  const inc = (id: string, multiplier: number): DimSpec => [
    id,
    multiplier,
    1,
    "incremental",
  ];
  return {
    path: module,
    collect(text: string, ms: number, ut: number) {
      const c = parseConntrack(text);
      const charts: [ReturnType<typeof chart>, [string, number][]][] = [
        [
          chart(
            "sockets",
            "Connection Tracker Connections",
            "active connections",
            8700,
            [["connections", 1, 1, "absolute"]],
            false,
          ),
          [["connections", c.entries]],
        ],
        [
          chart(
            "new",
            "Connection Tracker New Connections",
            "connections/s",
            8701,
            [inc("new", 1), inc("ignore", -1), inc("invalid", -1)],
            false,
          ),
          [["new", c.new], ["ignore", c.ignore], ["invalid", c.invalid]],
        ],
        [
          chart(
            "changes",
            "Connection Tracker Changes",
            "changes/s",
            8702,
            [inc("inserted", 1), inc("deleted", -1), inc("delete_list", -1)],
            true,
          ),
          [["inserted", c.insert], ["deleted", c.delete], [
            "delete_list",
            c.delete_list,
          ]],
        ],
        [
          chart(
            "expect",
            "Connection Tracker Expectations",
            "expectations/s",
            8703,
            [inc("created", 1), inc("deleted", -1), inc("new", 1)],
            true,
          ),
          [["created", c.expect_create], ["deleted", c.expect_delete], [
            "new",
            c.expect_new,
          ]],
        ],
        [
          chart(
            "search",
            "Connection Tracker Searches",
            "searches/s",
            8710,
            [inc("searched", 1), inc("restarted", -1), inc("found", 1)],
            true,
          ),
          [["searched", c.searched], ["restarted", c.search_restart], [
            "found",
            c.found,
          ]],
        ],
        [
          chart(
            "errors",
            "Connection Tracker Errors",
            "events/s",
            8705,
            [
              inc("icmp_error", 1),
              inc("insert_failed", -1),
              inc("drop", -1),
              inc("early_drop", -1),
            ],
            true,
          ),
          [["icmp_error", c.icmp_error], ["insert_failed", c.insert_failed], [
            "drop",
            c.drop,
          ], ["early_drop", c.early_drop]],
        ],
      ];
      for (const [ch, values] of charts) {
        for (const [id, v] of values) ch.dimension(id)!.set(v, ms);
        ch.done(ut);
      }
    },
  };
}
