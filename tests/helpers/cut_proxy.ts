/**
 * A TCP forwarding proxy on loopback whose link a test cuts and restores:
 * `cut()` closes every connection through it and holds new ones (accepted,
 * not read, not closed: a peer's request waits in the socket, as behind a
 * dead link); `restore()` connects the held ones to the target, so the
 * requests they carry go through then. The listener stays open all along.
 */
export class CutProxy {
  readonly listener: Deno.TcpListener;
  readonly #targetPort: number;
  readonly #live = new Set<Deno.Conn>();
  #held: Deno.Conn[] = [];
  #cut = false;
  #closed = false;
  /** Bytes forwarded each way, and connections accepted. */
  bytesUp = 0;
  bytesDown = 0;
  connections = 0;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accept();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  /** Whether the link is cut now. */
  get isCut(): boolean {
    return this.#cut;
  }

  /** Closes every connection through the proxy; new ones wait. */
  cut(): void {
    this.#cut = true;
    for (const c of this.#live) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    this.#live.clear();
  }

  /** Connections held while cut, now going through. */
  restore(): void {
    this.#cut = false;
    const held = this.#held;
    this.#held = [];
    for (const c of held) this.#forward(c);
  }

  close(): void {
    this.#closed = true;
    this.cut();
    for (const c of this.#held) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    try {
      this.listener.close();
    } catch {
      // closed
    }
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.listener.accept();
      } catch {
        return;
      }
      this.connections++;
      if (this.#cut) this.#held.push(conn);
      else this.#forward(conn);
    }
  }

  async #forward(client: Deno.Conn): Promise<void> {
    let target: Deno.Conn;
    try {
      target = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#targetPort,
      });
    } catch {
      client.close();
      return;
    }
    if (this.#closed || this.#cut) {
      client.close();
      target.close();
      return;
    }
    this.#live.add(client);
    this.#live.add(target);
    const pipe = async (from: Deno.Conn, to: Deno.Conn, up: boolean) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
          if (up) this.bytesUp += n;
          else this.bytesDown += n;
        }
      } catch {
        // cut or reset
      }
      for (const c of [from, to]) {
        this.#live.delete(c);
        try {
          c.close();
        } catch {
          // closed
        }
      }
    };
    pipe(client, target, true);
    pipe(target, client, false);
  }
}
