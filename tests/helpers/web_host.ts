/**
 * A hand-made host for web API tests: chart `t.c` collected exactly on
 * slot times (so stored values are the values), with dimensions `a` (the
 * value), `b` named `bee` (its negative) and a hidden `h` (always 7).
 *
 * @module
 */
import { Database } from "../../lib/storage/rrd.ts";

/** The host, its chart, and `collect(t, v)` storing `v` at second `t`. */
export function webTestHost(
  options: {
    hostname?: string;
    updateEverySec?: number;
    family?: string;
    units?: string;
  } = {},
) {
  const db = new Database({ hostname: options.hostname ?? "h" });
  const chart = db.localhost.addChart({
    id: "t.c",
    family: options.family,
    units: options.units,
    updateEverySec: options.updateEverySec ?? 1,
    history: 100,
  });
  const a = chart.addDimension("a");
  const b = chart.addDimension("b", { name: "bee" });
  const h = chart.addDimension("h");
  h.hidden = true;
  const collect = (t: number, v: number) => {
    a.set(v, t * 1000);
    b.set(-v, t * 1000);
    h.set(7, t * 1000);
    chart.done(t * 1e6);
  };
  return { db, chart, collect };
}
