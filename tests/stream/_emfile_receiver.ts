/**
 * A streaming receiver for the real-EMFILE test: the test starts it under
 * `ulimit -n 64`, floods it, and reads its log on stderr. Caps and the
 * request deadline are set high so only the file limit stops accepts.
 * Prints its port on stdout, then serves until killed.
 *
 * @module
 */
import { realClock } from "../../lib/clock.ts";
import { stderrSink } from "../../lib/log.ts";
import { KEY, startReceiver } from "../helpers/stream_receiver.ts";

const s = startReceiver(
  `[global]\nhostname = parent\n[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n` +
    `timeout for first request = 3600\nmax unauthenticated connections = 100000\n` +
    `max unauthenticated connections per address = 100000\n[${KEY}]\nenabled = yes\n`,
  { clock: realClock, sink: stderrSink },
);
console.log(s.port);
Deno.addSignalListener("SIGTERM", async () => {
  await s.stop();
  Deno.exit(0);
});
