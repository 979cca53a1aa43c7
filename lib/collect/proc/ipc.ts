/**
 * System V IPC: semaphores, shared memory and message queues, as netdata
 * 1.37's ipc.c charts them (`[plugin:proc] ipc`). netdata asks the kernel
 * for the semaphore totals with semctl(SEM_INFO), which Deno cannot call:
 * skiff counts them from /proc/sysvipc/sem, the same numbers (the arrays,
 * and the semaphores in them). The limits netdata keeps as host variables
 * (ipc_semaphores_max...) are not read.
 *
 * @module
 */

import type { ProcContext, ProcModule } from "./context.ts";

/** The data lines of a /proc/sysvipc file with at least `words` columns. */
export function sysvipcRows(text: string, words: number): string[][] {
  return text.split("\n").slice(1).map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length >= words);
}

const SHM = "/proc/sysvipc/shm";
const MSG = "/proc/sysvipc/msg";

/** The ipc module: reads /proc/sysvipc/sem, and shm and msg beside it. */
export function procIpc(ctx: ProcContext): ProcModule {
  return {
    path: "/proc/sysvipc/sem",
    key: "ipc",
    alsoRead: () => [MSG, SHM],
    collect(text: string, ms: number, ut: number, files) {
      const sem = sysvipcRows(text, 4);
      const semaphores = ctx.chart({
        id: "system.ipc_semaphores",
        title: "IPC Semaphores",
        units: "semaphores",
        family: "ipc semaphores",
        chartType: "area",
        priority: 1203,
        module: "ipc",
      }, [["semaphores", 1, 1, "absolute"]]);
      semaphores.dimension("semaphores")!.set(
        sem.reduce((n, w) => n + (Number.parseInt(w[3], 10) || 0), 0),
        ms,
      );
      semaphores.done(ut);
      const arrays = ctx.chart({
        id: "system.ipc_semaphore_arrays",
        title: "IPC Semaphore Arrays",
        units: "arrays",
        family: "ipc semaphores",
        chartType: "area",
        priority: 1204,
        module: "ipc",
      }, [["arrays", 1, 1, "absolute"]]);
      arrays.dimension("arrays")!.set(sem.length, ms);
      arrays.done(ut);

      const msg = files.get(MSG);
      if (msg !== undefined) {
        // netdata: charts only while there are queues, a dimension per queue
        const queues = sysvipcRows(msg, 14);
        if (queues.length > 0) {
          const chart = (id: string, title: string, units: string, p: number) =>
            ctx.chart({
              id: `system.message_queue_${id}`,
              title,
              units,
              family: "ipc message queues",
              chartType: "stacked",
              priority: p,
              module: "ipc",
            }, []);
          const messages = chart(
            "messages",
            "IPC Message Queue Number of Messages",
            "messages",
            1201,
          );
          const bytes = chart(
            "bytes",
            "IPC Message Queue Used Bytes",
            "bytes",
            1202,
          );
          for (const w of queues) {
            const id = w[1];
            (messages.dimension(id) ?? messages.addDimension(id))
              .set(Number.parseInt(w[4], 10) || 0, ms);
            (bytes.dimension(id) ?? bytes.addDimension(id))
              .set(Number.parseInt(w[3], 10) || 0, ms);
          }
          messages.done(ut);
          bytes.done(ut);
        }
      }
      const shm = files.get(SHM);
      if (shm !== undefined) {
        const segments = sysvipcRows(shm, 16);
        const count = ctx.chart({
          id: "system.shared_memory_segments",
          title: "IPC Shared Memory Number of Segments",
          units: "segments",
          family: "ipc shared memory",
          chartType: "stacked",
          priority: 1205,
          module: "ipc",
        }, [["segments", 1, 1, "absolute"]]);
        count.dimension("segments")!.set(segments.length, ms);
        count.done(ut);
        const size = ctx.chart({
          id: "system.shared_memory_bytes",
          title: "IPC Shared Memory Used Bytes",
          units: "bytes",
          family: "ipc shared memory",
          chartType: "stacked",
          priority: 1206,
          module: "ipc",
        }, [["bytes", 1, 1, "absolute"]]);
        size.dimension("bytes")!.set(
          segments.reduce((n, w) => n + (Number.parseInt(w[3], 10) || 0), 0),
          ms,
        );
        size.done(ut);
      }
    },
  };
}
