/**
 * The status page in a real browser (Debian's Chromium, headless): the
 * page loads uPlot from skiff itself, draws skiff's own charts with data,
 * and fills the exporting, hosts and collectors tables from /status. With
 * SKIFF_SCREENSHOT=FILE the screenshot is kept there (the README's).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { haveBinary, waitFor } from "../helpers/e2e.ts";
import { testAgent } from "../helpers/agent.ts";
import { TcpSink } from "../helpers/sinks.ts";

const CHROMIUM = "/usr/bin/chromium";

async function chromium(args: string[]): Promise<string> {
  const out = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--hide-scrollbars",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`chromium failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

Deno.test({
  name: "the status page in a real Chromium: charts with data, and the tables",
  ignore: !haveBinary(CHROMIUM, "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sink = TcpSink.start();
    const { agent } = testAgent(
      `[global]\nhostname = page-test\n[plugins]\nproc = yes\n` +
        `[web]\nmode = static-threaded\nbind to = 127.0.0.1:0\n` +
        `[graphite:metrics-db]\nenabled = yes\ndestination = 127.0.0.1:${sink.port}\nupdate every = 1\n`,
      "page-test",
    );
    await agent.start();
    const dir = await Deno.makeTempDir({ prefix: "skiff-page-" });
    try {
      const url = `http://127.0.0.1:${agent.receiver!.addresses[0].port}/`;
      // A few slots of the self charts, so the lines have points.
      await waitFor("10 s of skiff's own charts", () => {
        const c = agent.db.localhost.chart("netdata.server_cpu");
        return c && c.counter >= 10 ? true : undefined;
      }, 30000);
      const chromeArgs = [
        `--user-data-dir=${dir}/profile`,
        "--window-size=1280,1500",
        // Virtual time: the page's fetches and first ticks run, then the
        // DOM (or the picture) is taken.
        "--virtual-time-budget=6000",
      ];
      const dom = await chromium([...chromeArgs, "--dump-dom", url]);
      const drawn = Number(/data-drawn="(\d+)"/.exec(dom)?.[1] ?? 0);
      const points = Number(/data-points="(\d+)"/.exec(dom)?.[1] ?? 0);
      // skiff's own charts: CPU, memory, collectors, db, and the
      // exporting instance's (netdata.exporting_*).
      assert(drawn >= 5, `${drawn} charts drawn\n${dom.slice(0, 2000)}`);
      assert(points >= 10 * drawn, `${points} values drawn`);
      assertEquals(
        (dom.match(/<canvas/g) ?? []).length,
        drawn,
        "one canvas per chart",
      );
      assertMatch(
        dom,
        /<h1 id="title">skiff [^<]* on page-test, up \d+ s<\/h1>/,
      );
      assertMatch(
        dom,
        new RegExp(
          `<td>metrics-db</td><td>graphite</td><td>127\\.0\\.0\\.1:${sink.port}</td><td>connected</td>`,
        ),
      );
      assertMatch(dom, /<td>page-test<\/td><td>local<\/td>/);
      assertMatch(dom, /<td>proc<\/td><td>1<\/td><td>\d+<\/td>/);
      assertEquals(/<div id="error">([^<]*)<\/div>/.exec(dom)?.[1], "");

      const png = Deno.env.get("SKIFF_SCREENSHOT") ?? `${dir}/page.png`;
      await chromium([...chromeArgs, `--screenshot=${png}`, url]);
      const bytes = await Deno.readFile(png);
      assertEquals([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      // A page of tables and charts, not a blank one (a blank 1280x1500
      // PNG is a few KB).
      assert(bytes.length > 50_000, `${bytes.length} bytes`);
    } finally {
      await agent.stop();
      await sink.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
