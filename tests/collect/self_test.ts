import { assert, assertEquals } from "../helpers/assert.ts";
import { SelfCollector } from "../../lib/collect/self.ts";
import { unitsFor } from "../../lib/storage/arena.ts";
import { encodePage } from "../../lib/storage/page_codec.ts";
import {
  arenaBytes,
  Database,
  packStorageNumber,
  PAGE_SLOTS,
  slabPages,
} from "../../lib/storage/mod.ts";

Deno.test("skiff's own charts", async (t) => {
  const db = new Database({ hostname: "self" });
  const self = new SelfCollector(db, {
    updateEverySec: 1,
    history: 3600,
    durations: new Map([["proc", 1500]]),
  });
  // a received host with a ring of 2 compressed pages and a raw one
  const child = db.addHost({
    hostname: "child",
    machineGuid: "00000000-0000-4000-8000-000000000002",
  });
  const d = child.addChart({ id: "t.c", updateEverySec: 1, history: 600 })
    .addDimension("d");
  for (let s = 0; s <= 2 * PAGE_SLOTS; s++) {
    d.ring.set(s, packStorageNumber(s % 7));
  }
  const T = 1_700_000_000_000;
  await self.collect(T);
  const value = (chart: string, dim: string) =>
    db.localhost.chart(chart)!.dimension(dim)!.lastCollectedValue;

  await t.step("netdata.db counts hosts, charts and dimensions", () => {
    assertEquals(value("netdata.db", "hosts"), 2);
    // counted before netdata.db is made: the child's chart, and
    // netdata.server_cpu (user, system), netdata.memory (rss, heap_used,
    // heap_total, external), netdata.collectors_duration (proc)
    assertEquals(value("netdata.db", "charts"), 1 + 3);
    assertEquals(value("netdata.db", "dimensions"), 1 + 2 + 4 + 1);
  });

  await t.step("netdata.db_memory: the arena's and the slabs' bytes", () => {
    // read after collect(): nothing has been stored since
    const arena = arenaBytes();
    const slab = slabPages();
    assertEquals(
      value("netdata.db_memory", "compressed"),
      arena.total - arena.free,
    );
    assertEquals(
      value("netdata.db_memory", "raw"),
      (slab.carved - slab.free) * PAGE_SLOTS * 4,
    );
    assertEquals(
      value("netdata.db_memory", "free"),
      arena.free + slab.free * PAGE_SLOTS * 4,
    );
    // the child's 2 compressed pages and their table are among the blocks
    // in use (a bound: other tests in this process may hold blocks too)
    const childBlocks = d.ring.bytes - PAGE_SLOTS * 4;
    // a block a page (its u16 length, then the page as encoded), and a
    // table of 2 entries (1 unit)
    const pageBlock = (k: number) =>
      unitsFor(
        encodePage(
          Uint32Array.from(
            { length: PAGE_SLOTS },
            (_, s) => packStorageNumber((k * PAGE_SLOTS + s) % 7),
          ),
          PAGE_SLOTS,
        ).length + 2,
      ) * 16;
    assertEquals(childBlocks, 16 + pageBlock(0) + pageBlock(1));
    assert(arena.total - arena.free >= childBlocks);
  });

  await t.step("netdata.collectors_duration in ms", () => {
    assertEquals(value("netdata.collectors_duration", "proc"), 1500);
  });
});
