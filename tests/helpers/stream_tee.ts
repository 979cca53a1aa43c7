/**
 * A streaming tee for end-to-end tests: one netdata child, several parents
 * fed the very same bytes at the same moment. It listens on loopback, takes
 * the child's `STREAM ...` request, forwards it to every parent with `ver=`
 * rewritten (so no parent negotiates compression or replication), checks
 * that every parent accepts, answers the child itself, then copies each
 * chunk the child sends to all parents. What parents send back is dropped.
 * A child that reconnects (it does so 5 s after any failure) gets a new
 * session.
 *
 * @module
 */

/** A parent the tee forwards to. */
export interface TeeParent {
  /** For messages, e.g. "netdata" or "skiff". */
  name: string;
  port: number;
  hostname?: string;
}

/** Options of a tee. */
export interface StreamTeeOptions {
  /** The `ver=` sent to the parents and answered to the child; default 4. */
  version?: number;
  /** How long a parent may take to answer the request; default 10 s. */
  answerTimeoutMs?: number;
}

/** What happened on the tee, for assertions and failure messages. */
export interface TeeEvent {
  atMs: number;
  message: string;
}

const HIT_ME = "Hit me baby, push them over";

/** Rewrites the `ver=` parameter of a STREAM request's first line. */
export function rewriteStreamVersion(request: string, version: number): string {
  const eol = request.indexOf("\r\n");
  const first = eol < 0 ? request : request.slice(0, eol);
  const rest = eol < 0 ? "" : request.slice(eol);
  const ver = /([&?\s])ver=\d+/;
  if (!ver.test(first)) {
    throw new Error(`no ver= in the stream request: ${first}`);
  }
  return first.replace(ver, `$1ver=${version}`) + rest;
}

/** A running tee. */
export class StreamTee {
  readonly listener: Deno.TcpListener;
  readonly parents: TeeParent[];
  readonly events: TeeEvent[] = [];
  /** The child's request as received (before the rewrite), per session. */
  readonly requests: string[] = [];
  /** Each parent's answer to the rewritten request, per session. */
  readonly answers: Record<string, string>[] = [];
  /** Bytes copied from the child to the parents. */
  forwardedBytes = 0;
  /** Sessions whose parents all accepted. */
  sessions = 0;
  readonly #version: number;
  readonly #answerTimeoutMs: number;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #t0 = performance.now();
  #closed = false;
  #loop: Promise<void>;

  private constructor(
    listener: Deno.TcpListener,
    parents: TeeParent[],
    options: StreamTeeOptions,
  ) {
    this.listener = listener;
    this.parents = parents;
    this.#version = options.version ?? 4;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? 10000;
    this.#loop = this.#accept();
  }

  /** Starts a tee on a free loopback port, forwarding to `parents`. */
  static start(
    parents: TeeParent[],
    options: StreamTeeOptions = {},
  ): StreamTee {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return new StreamTee(listener, parents, options);
  }

  /** The port the child streams to. */
  get port(): number {
    return this.listener.addr.port;
  }

  /** True while a session is forwarding. */
  connected = false;

  #event(message: string): void {
    this.events.push({
      atMs: Math.round(performance.now() - this.#t0),
      message,
    });
  }

  /** The events as text, one a line, for failure messages. */
  log(): string {
    return this.events.map((e) => `+${e.atMs}ms ${e.message}`).join("\n");
  }

  async #accept(): Promise<void> {
    try {
      for await (const child of this.listener) {
        this.#conns.add(child);
        const task = this.#session(child).finally(() => {
          this.#conns.delete(child);
          this.#tasks.delete(task);
        });
        this.#tasks.add(task);
      }
    } catch {
      // listener closed
    }
  }

  #close(conn: Deno.Conn): void {
    this.#conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  async #session(child: Deno.Conn): Promise<void> {
    const parents: Deno.Conn[] = [];
    const drains: Promise<void>[] = [];
    try {
      const { head, rest } = await readHead(child);
      this.requests.push(head);
      this.#event(`child request: ${head.split("\r\n")[0].slice(0, 160)}`);
      const request = rewriteStreamVersion(head, this.#version);
      const answers: Record<string, string> = {};
      for (const p of this.parents) {
        const conn = await Deno.connect({
          hostname: p.hostname ?? "127.0.0.1",
          port: p.port,
        });
        this.#conns.add(conn);
        parents.push(conn);
        await writeAll(conn, new TextEncoder().encode(request));
      }
      await Promise.all(this.parents.map(async (p, i) => {
        answers[p.name] = await readAnswer(parents[i], this.#answerTimeoutMs);
      }));
      this.answers.push(answers);
      this.#event(`parents answered: ${JSON.stringify(answers)}`);
      for (const [name, answer] of Object.entries(answers)) {
        if (!answer.startsWith(HIT_ME)) {
          throw new Error(`parent ${name} refused: ${JSON.stringify(answer)}`);
        }
      }
      // Parents' bytes after the answer (none expected without
      // replication or functions) are read and dropped, so that their
      // socket buffers never fill.
      for (const conn of parents) drains.push(drain(conn));
      await writeAll(
        child,
        new TextEncoder().encode(`${HIT_ME} with the version=${this.#version}`),
      );
      this.sessions++;
      this.connected = true;
      if (rest.length > 0) await this.#forward(parents, rest);
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await child.read(buf);
        if (n === null) break;
        await this.#forward(parents, buf.subarray(0, n));
      }
      this.#event("child closed its connection");
    } catch (err) {
      if (!this.#closed) {
        this.#event(`session ended: ${(err as Error).message}`);
      }
    } finally {
      this.connected = false;
      this.#close(child);
      for (const p of parents) this.#close(p);
      await Promise.all(drains);
    }
  }

  /** The same chunk to every parent, written concurrently. */
  async #forward(parents: Deno.Conn[], chunk: Uint8Array): Promise<void> {
    await Promise.all(parents.map((p) => writeAll(p, chunk)));
    this.forwardedBytes += chunk.length;
  }

  /** Closes the listener, the child's and every parent's connection. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.listener.close();
    for (const c of [...this.#conns]) this.#close(c);
    await this.#loop;
    await Promise.all([...this.#tasks]);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Reads up to and including the empty line ending the request's head. */
async function readHead(
  conn: Deno.Conn,
): Promise<{ head: string; rest: Uint8Array }> {
  const buf = new Uint8Array(16 * 1024);
  let have = 0;
  for (;;) {
    if (have === buf.length) throw new Error("stream request head too long");
    const n = await conn.read(buf.subarray(have));
    if (n === null) throw new Error("child closed before its request ended");
    have += n;
    const text = new TextDecoder().decode(buf.subarray(0, have));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      // The head is ASCII, so text offsets are byte offsets.
      return {
        head: text.slice(0, end + 4),
        rest: buf.slice(end + 4, have),
      };
    }
  }
}

/**
 * Reads a parent's answer: it has no newline, so read until it is a whole
 * "Hit me baby" prompt, or the parent closes (a refusal), or the timeout.
 */
async function readAnswer(conn: Deno.Conn, timeoutMs: number): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buf), timeout]);
      if (n === null) return text;
      text += new TextDecoder().decode(buf.subarray(0, n));
      // netdata writes its answer with one send(), so on loopback the
      // version's digits come in the same chunk as the prompt.
      if (
        /^Hit me baby, push them over with the version=\d+$/.test(text) ||
        text === "Hit me baby, push them over..." ||
        text === "Hit me baby, push them over and bring the host labels..."
      ) return text;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function drain(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
  try {
    while ((await conn.read(buf)) !== null) {
      // dropped
    }
  } catch {
    // closed
  }
}
