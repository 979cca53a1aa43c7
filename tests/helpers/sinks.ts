/**
 * TCP sinks on loopback for exporter tests, with fault injection: read
 * everything, never read, close after N bytes, read slowly, answer back.
 * A refused destination is a port nothing listens on.
 *
 * @module
 */

/** How a sink treats its connections. */
export type SinkMode =
  | { kind: "read" }
  | { kind: "never-read" }
  | { kind: "close-after"; bytes: number }
  | { kind: "slow"; bytesPerRead: number; pauseMs: number }
  | { kind: "reply"; text: string };

/** A listening sink. */
export class TcpSink {
  readonly listener: Deno.TcpListener;
  mode: SinkMode;
  readonly #chunks: Uint8Array[] = [];
  readonly #conns = new Set<Deno.TcpConn>();
  connections = 0;
  #closed = false;
  #loop: Promise<void>;

  private constructor(listener: Deno.TcpListener, mode: SinkMode) {
    this.listener = listener;
    this.mode = mode;
    this.#loop = this.#accept();
  }

  /** Starts a sink on a free loopback port. */
  static start(
    mode: SinkMode = { kind: "read" },
    hostname = "127.0.0.1",
    port = 0,
  ): TcpSink {
    return new TcpSink(Deno.listen({ hostname, port, transport: "tcp" }), mode);
  }

  get port(): number {
    return this.listener.addr.port;
  }

  /** Everything received so far, as text. */
  text(): string {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of this.#chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  }

  /** Received complete lines. */
  lines(): string[] {
    const t = this.text();
    const parts = t.split("\n");
    parts.pop();
    return parts;
  }

  get receivedBytes(): number {
    return this.#chunks.reduce((n, c) => n + c.length, 0);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        this.connections++;
        this.#conns.add(conn);
        this.#serve(conn).finally(() => this.#conns.delete(conn));
      }
    } catch {
      // listener closed
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const mode = this.mode;
    if (mode.kind === "never-read") return; // keep it open, read nothing
    const buf = new Uint8Array(
      mode.kind === "slow" ? mode.bytesPerRead : 64 * 1024,
    );
    let seen = 0;
    try {
      if (mode.kind === "reply") {
        await conn.write(new TextEncoder().encode(mode.text));
      }
      for (;;) {
        const want = mode.kind === "close-after"
          ? Math.min(buf.length, mode.bytes - seen)
          : buf.length;
        if (want <= 0) break;
        const n = await conn.read(buf.subarray(0, want));
        if (n === null) break;
        this.#chunks.push(buf.slice(0, n));
        seen += n;
        if (mode.kind === "slow") {
          await new Promise((r) => setTimeout(r, mode.pauseMs));
        }
      }
    } catch {
      // peer went away
    }
    if (mode.kind === "close-after") {
      // Switch to normal reading for the next connection, then hang up.
      this.mode = { kind: "read" };
    }
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    await this.#loop;
  }
}

/** A loopback port with nothing listening on it: connections are refused. */
export function refusedPort(hostname = "127.0.0.1"): number {
  const l = Deno.listen({ hostname, port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** A loopback listener that accepts nothing: every connect to it hangs. */
export interface Blackhole {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a listener with a backlog of 0 whose queue is filled by its own
 * connections, so the kernel drops further SYNs and a connect hangs until
 * the caller's timeout (REAL-SERVERS.md). Deno's listen has no backlog, so
 * a small python3 process holds the socket.
 */
export async function startBlackhole(): Promise<Blackhole> {
  const script = `
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(c)
    time.sleep(0.05)
print(port, flush=True)
sys.stdin.read()
`;
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the blackhole listener did not start");
    text += value;
  }
  reader.releaseLock();
  return {
    port: Number(text.trim()),
    async close() {
      await child.stdin.close();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}
