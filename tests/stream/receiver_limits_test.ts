/**
 * The receiver against peers that are not children (issue 11): accept
 * errors (EMFILE) never stop the listener, a slow request is cut at a
 * whole-request deadline, unauthenticated connections are capped in total
 * and per address, and what peers send is escaped in log lines. Real
 * sockets throughout; a real EMFILE in a process started under `ulimit -n`.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { ManualClock, realClock } from "../../lib/clock.ts";
import type { AcceptFn } from "../../lib/stream/receiver.ts";
import {
  ACCEPT_RETRY_MAX_MS,
  ACCEPT_RETRY_MIN_MS,
  sourceOf,
} from "../../lib/stream/receiver.ts";
import { accessList } from "../../lib/simple_pattern.ts";
import { until } from "../helpers/e2e.ts";
import {
  KEY,
  rawChild,
  startReceiver,
  streamHead,
  testGuid,
} from "../helpers/stream_receiver.ts";

const BASE =
  `[global]\nhostname = parent\n[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n` +
  `[${KEY}]\nenabled = yes\n`;

/** True when `line` holds a control character (C0, DEL, C1). */
function hasControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** `p`, or a failure naming `what` after `ms` (so a regression fails, not hangs). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not within ${ms} ms: ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error as Deno's accept throws it when the file limit is reached. */
function emfile(): Error {
  return Object.assign(new Error("Too many open files (os error 24)"), {
    code: "EMFILE",
  });
}

Deno.test("allow ... from: addresses, IPv4-mapped as IPv4, loopback as localhost where netdata would ask DNS", () => {
  assert(accessList("localhost")("127.0.0.1"));
  assert(accessList("localhost")("::1"));
  assert(accessList("localhost")("::ffff:127.0.0.1"));
  assert(!accessList("localhost")("10.0.0.1"));
  assert(accessList("10.*")("::ffff:10.1.2.3"));
  assert(!accessList("!10.0.0.1 10.*")("10.0.0.1"));
  assert(accessList("localhost *")("192.0.2.7"));
  // netdata's heuristic: wildcards make it ask DNS, which names 127.0.0.1
  // localhost, which * matches; a ':' in the patterns (or plain addresses)
  // turns DNS off
  assert(accessList("!127.* *")("127.0.0.1"));
  assert(!accessList("::1")("127.0.0.1"));
  assert(!accessList("127.0.0.1")("::1"));
});

Deno.test("sourceOf: IPv4 as is, IPv6 by its /64", () => {
  assertEquals(sourceOf("10.0.0.7"), "10.0.0.7");
  assertEquals(sourceOf("::ffff:10.0.0.7"), "10.0.0.7");
  assertEquals(sourceOf("::1"), "0:0:0:0::/64");
  assertEquals(sourceOf("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assertEquals(sourceOf("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assertEquals(sourceOf("2001:DB8:0001:2::9"), "2001:db8:1:2::/64");
  assertEquals(sourceOf("fe80::1%eth0"), "fe80:0:0:0::/64");
});

Deno.test({
  name: "receiver limits on real sockets",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await t.step(
      "accept errors (EMFILE, injected 9 times) are retried with backoff 10 ms doubling to 1 s, logged once; a child then gets in",
      async () => {
        const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
        const t0 = clock.nowMs();
        const attemptsAtMs: number[] = [];
        let failuresLeft = 9;
        const accept: AcceptFn = (listener) => {
          attemptsAtMs.push(clock.nowMs() - t0);
          if (failuresLeft-- > 0) return Promise.reject(emfile());
          return listener.accept();
        };
        const s = startReceiver(BASE, { clock, accept });
        try {
          await until(
            "first failure",
            () => s.receiver.stats.acceptErrors === 1,
          );
          await clock.advance(5000);
          assertEquals(s.receiver.stats.acceptErrors, 9);
          // 10, 20, 40 ... 640, then capped at 1000 ms
          assertEquals(
            attemptsAtMs,
            [0, 10, 30, 70, 150, 310, 630, 1270, 2270, 3270],
          );
          assertEquals([ACCEPT_RETRY_MIN_MS, ACCEPT_RETRY_MAX_MS], [10, 1000]);
          const c = await rawChild(s.port);
          await c.send(streamHead("after-emfile", testGuid(1)));
          assertMatch(await within(c.read(), 5000, "accepted"), /version=4$/);
          c.close();
          const warned = s.lines.filter((l) =>
            l.includes("cannot accept a connection")
          );
          assertEquals(warned.length, 1, "one line for the whole burst");
          assertStringIncludes(warned[0], "Too many open files (os error 24)");
          assert(
            s.lines.some((l) =>
              /accepting connections on 127\.0\.0\.1:\d+ again, after 9 accept errors/
                .test(l)
            ),
            s.lines.join("\n"),
          );
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "a real EMFILE: a receiver under ulimit -n 64 flooded with 200 connections accepts a child within 3 s of the flood ending",
      async () => {
        const script = new URL("./_emfile_receiver.ts", import.meta.url)
          .pathname;
        const proc = new Deno.Command("bash", {
          args: [
            "-c",
            `ulimit -n 64 && exec "${Deno.execPath()}" run -A "${script}"`,
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        let stderr = "";
        const errDone = (async () => {
          const dec = new TextDecoder();
          for await (const chunk of proc.stderr) stderr += dec.decode(chunk);
        })();
        const flood: Deno.TcpConn[] = [];
        try {
          const reader = proc.stdout.getReader();
          let out = "";
          while (!out.includes("\n")) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`receiver did not start:\n${stderr}`);
            out += new TextDecoder().decode(value);
          }
          reader.releaseLock();
          proc.stdout.cancel();
          const port = Number(out.trim());
          for (let i = 0; i < 200; i++) {
            flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
          }
          await until(
            "the receiver hits the file limit",
            () => stderr.includes("Too many open files"),
          );
          for (const c of flood.splice(0)) c.close();
          const started = performance.now();
          const c = await rawChild(port);
          await c.send(streamHead("after-real-emfile", testGuid(2)));
          const answer = await within(c.read(), 5000, "accepted").finally(
            () => c.close(),
          );
          const tookMs = performance.now() - started;
          assertMatch(answer, /version=4$/, stderr);
          assert(tookMs < 3000, `accepted after ${tookMs} ms`);
          await until(
            "recovery logged",
            () =>
              /accepting connections on .* again, after \d+ accept errors/.test(
                stderr,
              ),
          );
          assertEquals(
            stderr.split("\n").filter((l) =>
              l.includes("cannot accept a connection")
            ).length,
            1,
            stderr,
          );
        } finally {
          for (const c of flood) c.close();
          proc.kill("SIGTERM");
          await proc.status;
          await errDone;
        }
      },
    );

    await t.step(
      "[web] allow connections from: others closed at once, logged; allow streaming from: others answered 403",
      async () => {
        const s = startReceiver(
          BASE.replace(
            "bind to = 127.0.0.1:0",
            "bind to = 127.0.0.1:0 [::1]:0\nallow connections from = ::1\nallow streaming from = 127.0.0.1",
          ),
        );
        try {
          const v4 = await rawChild(s.port, "127.0.0.1");
          // closed before anything is read: the read ends with nothing
          assertEquals(await within(v4.readToEnd(), 5000, "closed"), "");
          assertEquals(s.receiver.stats.notAllowed, 1);
          assertMatch(
            s.lines.join("\n"),
            /127\.0\.0\.1:\d+: closed at once: not in \[web\] allow connections from \(::1\)/,
          );
          const v6 = await rawChild(s.receiver.addresses[1].port, "::1");
          await v6.send(streamHead("v6-child", testGuid(41)));
          const answer = await within(v6.readToEnd(), 5000, "the 403");
          assertMatch(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
          assert(
            answer.endsWith("You are not allowed to access this resource."),
            answer,
          );
          assertEquals(s.db.hostByName("v6-child"), undefined);
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "300 connections held open: 16 kept, 284 closed at once; a child from ::1 gets in meanwhile, one from 127.0.0.1 after the 10 s deadline",
      async () => {
        const s = startReceiver(
          BASE.replace(
            "bind to = 127.0.0.1:0",
            "bind to = 127.0.0.1:0 [::1]:0",
          ),
        );
        const clock = s.clock as ManualClock;
        const held: Deno.TcpConn[] = [];
        try {
          for (let i = 0; i < 300; i++) {
            held.push(
              await Deno.connect({ hostname: "127.0.0.1", port: s.port }),
            );
          }
          await until(
            "all 300 seen",
            () =>
              s.receiver.unauthenticated + s.receiver.stats.overLimit === 300,
          );
          assertEquals(
            [s.receiver.unauthenticated, s.receiver.stats.overLimit],
            [16, 284],
          );
          const v6Port = s.receiver.addresses[1].port;
          const v6 = await rawChild(v6Port, "::1");
          await v6.send(streamHead("v6-child", testGuid(3)));
          assertMatch(await within(v6.read(), 5000, "v6 child"), /version=4$/);
          await clock.advance(10_000);
          await until("the 16 are cut", () => s.receiver.unauthenticated === 0);
          assertEquals(s.receiver.stats.requestTimeouts, 16);
          const c = await rawChild(s.port);
          await c.send(streamHead("v4-child", testGuid(4)));
          assertMatch(await within(c.read(), 5000, "v4 child"), /version=4$/);
          assertEquals(
            [
              s.db.hostByName("v6-child")?.connected,
              s.db.hostByName("v4-child")?.connected,
            ],
            [true, true],
          );
          // a flood is a few log lines, not 300
          assert(
            s.lines.filter((l) => l.includes("closed at once")).length === 1,
            s.lines.join("\n"),
          );
          v6.close();
          c.close();
        } finally {
          for (const h of held) {
            try {
              h.close();
            } catch {
              // closed
            }
          }
          await s.stop();
        }
      },
    );

    await t.step(
      "a slowloris peer sending a byte every 200 ms is cut at the 1 s whole-request deadline (cut within 1.0-2.5 s)",
      async () => {
        const s = startReceiver(
          `${BASE}[web]\ntimeout for first request = 1\n`,
          {
            clock: realClock,
          },
        );
        try {
          const slow = await rawChild(s.port);
          const started = performance.now();
          const request = streamHead("slow", testGuid(5));
          let sent = 0;
          let closedAfterMs = -1;
          const reading = slow.read().then(() => {
            closedAfterMs = performance.now() - started;
          });
          while (closedAfterMs < 0 && performance.now() - started < 5000) {
            await slow.send(request[sent++ % request.length]).catch(() => {});
            await new Promise((r) => setTimeout(r, 200));
          }
          slow.close(); // a receiver that never cut it: the bound below fails
          await reading;
          assert(
            closedAfterMs >= 1000 && closedAfterMs < 2500,
            `cut after ${closedAfterMs} ms, having sent ${sent} bytes`,
          );
          assertEquals(s.receiver.stats.requestTimeouts, 1);
          assert(
            s.lines.some((l) =>
              /no complete request within 1 s \(\[web\] timeout for first request; \d+ bytes received\)/
                .test(l)
            ),
            s.lines.join("\n"),
          );
          assertEquals(s.receiver.unauthenticated, 0);
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "caps: 2 per address, 3 in total; the next is closed at once (under 1 s, no deadline can fire); a child gets in after one leaves",
      async () => {
        const s = startReceiver(
          BASE.replace(
            "bind to = 127.0.0.1:0",
            "bind to = 127.0.0.1:0 [::1]:0",
          ) +
            `[web]\nmax unauthenticated connections = 3\nmax unauthenticated connections per address = 2\n`,
        );
        const v4 = s.port;
        const v6 = s.receiver.addresses[1].port;
        /** Opens a connection; resolves once the receiver counts it or closes it. */
        const open = async (port: number, hostname: string) => {
          const before = s.receiver.unauthenticated +
            s.receiver.stats.overLimit;
          const c = await rawChild(port, hostname);
          await until(
            "seen",
            () =>
              s.receiver.unauthenticated + s.receiver.stats.overLimit > before,
          );
          return c;
        };
        /** ms until the server closes `c` (it sends nothing before). */
        const closedWithin = async (c: Awaited<ReturnType<typeof open>>) => {
          const started = performance.now();
          const got = await within(c.readToEnd(), 2000, "closed at once")
            .finally(() => c.close());
          assertEquals(got, "");
          return performance.now() - started;
        };
        try {
          const a1 = await open(v4, "127.0.0.1");
          const a2 = await open(v4, "127.0.0.1");
          assertEquals(s.receiver.unauthenticated, 2);
          const a3 = await open(v4, "127.0.0.1");
          const perAddressMs = await closedWithin(a3);
          assert(perAddressMs < 1000, `closed after ${perAddressMs} ms`);
          assertEquals(s.receiver.stats.overLimit, 1);
          const b1 = await open(v6, "::1");
          assertEquals(s.receiver.unauthenticated, 3);
          const b2 = await open(v6, "::1");
          const totalMs = await closedWithin(b2);
          assert(totalMs < 1000, `closed after ${totalMs} ms`);
          assertEquals(s.receiver.stats.overLimit, 2);
          assert(
            s.lines.some((l) =>
              l.includes("closed at once") &&
              l.includes("[web] max unauthenticated connections per address")
            ),
            s.lines.join("\n"),
          );

          a1.close();
          await until("a1 released", () => s.receiver.unauthenticated === 2);
          const child = await rawChild(v4);
          await child.send(streamHead("capped-child", testGuid(6)));
          assertMatch(await child.read(), /version=4$/);
          assertEquals(
            s.receiver.unauthenticated,
            2,
            "an accepted child no longer counts",
          );
          const child6 = await rawChild(v6, "::1");
          await child6.send(streamHead("capped-child-6", testGuid(7)));
          assertMatch(await child6.read(), /version=4$/);
          for (const c of [a2, b1, child, child6]) c.close();
        } finally {
          await s.stop();
        }
      },
    );

    await t.step(
      "what a peer sends is escaped in every log line: hostname, user agent, keyword, refusals",
      async () => {
        const s = startReceiver(BASE);
        try {
          const evil = "evil\r\x1b[31mred";
          const c = await rawChild(s.port);
          await c.send(
            `STREAM key=${KEY}&hostname=${evil}&machine_guid=${
              testGuid(8)
            }&update_every=1&ver=4 HTTP/1.1\r\nUser-Agent: ua\x1b]0;pwned\x07\r\n\r\n`,
          );
          assertMatch(await c.read(), /version=4$/);
          await c.send("\x1b[2J\x07FAKE\n");
          assertEquals(await c.readToEnd(), "");

          const refused = await rawChild(s.port);
          await refused.send(
            streamHead(
              evil,
              testGuid(9),
              "99999999-2222-3333-4444-555555555555",
            ),
          );
          assertMatch(await refused.readToEnd(), /401/);
          const bad = await rawChild(s.port);
          await bad.send(
            `GET /stream?key=${KEY}&hostname=h&machine_guid=not%0D%0Aa-guid HTTP/1.1\r\n\r\n`,
          );
          assertMatch(await bad.readToEnd(), /401/);

          await until("all logged", () => s.receiver.stats.refused === 2);
          assertEquals(s.lines.filter(hasControl), []);
          const has = (text: string) =>
            assert(
              s.lines.some((l) => l.includes(text)),
              `no line with ${text}:\n${s.lines.join("\n")}`,
            );
          has("STREAM evil\\x0d\\x1b[31mred [receive from 127.0.0.1:");
          has(
            'ua\\x1b]0;pwned\\x07); answering "Hit me baby, push them over with the version=4"',
          );
          has('unknown keyword "\\x1b[2J\\x07FAKE"');
          has("access denied: unknown API key 99999999");
          has('machine GUID "not\\x0d\\x0aa-guid" is not a valid GUID');
          // the host keeps its name as sent: only log lines are escaped
          assertEquals(s.db.host(testGuid(8))?.hostname, evil);
        } finally {
          await s.stop();
        }
      },
    );
  },
});
