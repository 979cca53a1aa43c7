import {
  assert,
  assertEquals,
  assertMatch,
  assertThrows,
} from "../helpers/assert.ts";
import {
  CAP,
  capabilityBits,
  capabilityList,
  decideAccess,
  grantCapabilities,
  guidFromName,
  OUR_CAPABILITIES,
  parseStreamRequest,
  readyAnswer,
  refusalAnswer,
  versionToCapabilities,
} from "../../lib/stream/handshake.ts";
import type { StreamKey } from "../../lib/config/mod.ts";
import { parseReadyAnswer, streamRequest } from "../../lib/stream/sender.ts";

const CAPTURE = await Deno.readTextFile(
  new URL(
    "../fixtures/netdata-1.37-child-stream.txt",
    import.meta.url,
  ),
);

/** The request head of the real 1.37.1 child, as captured. */
function capturedHead(): string {
  const lines = CAPTURE.split("\n");
  const start = lines.findIndex((l) => l.startsWith("STREAM "));
  return lines.slice(start, start + 3).join("\r\n");
}

const KEY = "11111111-2222-3333-4444-555555555555";
const key = (over: Partial<StreamKey> = {}): StreamKey => ({
  enabled: true,
  allowFrom: "*",
  historyEntries: 3600,
  maxHosts: 2,
  maxChartsPerHost: 100,
  maxDimensionsPerChart: 100,
  enableCompression: true,
  enableReplication: true,
  secondsToReplicate: 86400,
  replicationStepSec: 600,
  disabledCapabilities: [],
  ...over,
});
const ctx = (keys: Record<string, StreamKey>, over = {}) => ({
  keys,
  peerAddress: "127.0.0.1",
  localMachineGuid: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  activeWithKey: 0,
  alreadyConnected: false,
  ...over,
});

Deno.test("stream handshake", async (t) => {
  await t.step({
    name:
      "the captured netdata 1.37.1 request parses, spaces in values and all",
    fn() {
      const r = parseStreamRequest(capturedHead());
      assertEquals([
        r.key,
        r.hostname,
        r.machineGuid,
        r.updateEverySec,
        r.os,
        r.timezone,
      ], [
        KEY,
        "ndchild",
        "ee05f1ca-e878-11f1-9507-02fc00000001",
        1,
        "linux",
        "Etc/UTC",
      ]);
      assertEquals(
        r.params.get("NETDATA_CONTAINER_OS_NAME"),
        "Debian GNU/Linux",
      );
      assertEquals(r.params.get("NETDATA_PROTOCOL_VERSION"), "1.1");
      assertEquals(r.userAgent, "netdata/v1.37.1");
      // 1.37 offers ver=16376; V1, V2 and VN go (VCAPS supersedes them)
      assertEquals(r.capabilities, 16376 - CAP.V1 - CAP.V2 - CAP.VN);
      // what the real 1.37.1 parent answered this request (captures/README.md)
      assertEquals(
        readyAnswer(grantCapabilities(r.capabilities, 0)),
        "Hit me baby, push them over with the version=16320",
      );
    },
  });

  await t.step(
    "old GET form, percent-encoded; old versions map as netdata maps them",
    () => {
      const r = parseStreamRequest(
        `GET /stream?key=${KEY}&hostname=old%20box&machine_guid=${KEY}&update_every=2 HTTP/1.1\r\n`,
      );
      assertEquals([r.hostname, r.updateEverySec], ["old box", 2]);
      assertEquals(r.capabilities, CAP.V1);
      assertEquals(
        readyAnswer(r.capabilities),
        "Hit me baby, push them over...",
      );
      assertEquals(versionToCapabilities(2), CAP.V2 | CAP.HLABELS);
      assertEquals(
        readyAnswer(versionToCapabilities(4)),
        "Hit me baby, push them over with the version=4",
      );
    },
  );

  await t.step(
    "every version a 1.37 peer can ask with, against each parent setting",
    () => {
      const V = "Hit me baby, push them over with the version=";
      // ver -> answers with [compression on, compression off, replication off]
      const cases: [string, string, string, string][] = [
        ["", "Hit me baby, push them over...", "", ""],
        ["1", "Hit me baby, push them over...", "", ""],
        [
          "2",
          "Hit me baby, push them over and bring the host labels...",
          "",
          "",
        ],
        ["3", `${V}3`, `${V}3`, `${V}3`],
        ["4", `${V}4`, `${V}4`, `${V}4`],
        ["5", `${V}5`, `${V}4`, `${V}5`],
        // a 1.37 child: VCAPS..BINARY = 16320 granted, less 1024 (compression)
        // or 4096 (replication)
        ["16376", `${V}16320`, `${V}15296`, `${V}12224`],
        // a 1.37 child with [stream] enable compression = no
        ["15352", `${V}15296`, `${V}15296`, `${V}11200`],
      ];
      for (const [ver, on, off, noReplication] of cases) {
        const r = parseStreamRequest(
          `STREAM key=${KEY}&hostname=h&machine_guid=${KEY}${
            ver ? `&ver=${ver}` : "&NETDATA_PROTOCOL_VERSION=1.1"
          } HTTP/1.1`,
        );
        const answer = (disabled: number) =>
          readyAnswer(grantCapabilities(r.capabilities, disabled));
        assertEquals(answer(0), on, `ver=${ver}`);
        assertEquals(answer(CAP.COMPRESSION), off || on, `ver=${ver}, off`);
        assertEquals(
          answer(capabilityBits(["replication"])),
          noReplication || on,
          `ver=${ver}, no replication`,
        );
      }
      assertEquals(OUR_CAPABILITIES, 16376);
      assertEquals(
        capabilityList(16320),
        "VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS REPLICATION BINARY",
      );
    },
  );

  await t.step("bad requests name what is wrong", () => {
    assertThrows(
      () =>
        parseStreamRequest(`STREAM hostname=x&machine_guid=${KEY} HTTP/1.1`),
      /without an API key/,
    );
    assertThrows(
      () =>
        parseStreamRequest(`STREAM key=${KEY}&machine_guid=${KEY} HTTP/1.1`),
      /without a hostname/,
    );
    assertThrows(
      () =>
        parseStreamRequest(
          `STREAM key=nope&hostname=h&machine_guid=${KEY} HTTP/1.1`,
        ),
      /not a valid GUID/,
    );
    assertThrows(
      () => parseStreamRequest("POST / HTTP/1.1"),
      /not a stream request/,
    );
  });

  await t.step(
    "access: unknown, disabled, not allowed from, own GUID, twice, too many",
    () => {
      const r = parseStreamRequest(
        `STREAM key=${KEY}&hostname=h&machine_guid=${
          KEY.replace("1111", "9999")
        } HTTP/1.1`,
      );
      assert(decideAccess(r, ctx({ [KEY]: key() })).ok);
      const no = (d: ReturnType<typeof decideAccess>) => {
        assert(!d.ok);
        return [d.answer, d.reason];
      };
      assertMatch(no(decideAccess(r, ctx({})))[1], /unknown API key/);
      assertMatch(
        no(decideAccess(r, ctx({ [KEY]: key({ enabled: false }) })))[1],
        /not enabled/,
      );
      assertMatch(
        no(
          decideAccess(r, ctx({ [KEY]: key({ allowFrom: "10.* !127.*" }) })),
        )[1],
        /allow from/,
      );
      assertEquals(
        no(
          decideAccess(
            r,
            ctx({ [KEY]: key() }, { localMachineGuid: r.machineGuid }),
          ),
        )[0],
        "same-localhost",
      );
      assertEquals(
        no(
          decideAccess(r, ctx({ [KEY]: key() }, { alreadyConnected: true })),
        )[0],
        "already",
      );
      assertEquals(
        no(decideAccess(r, ctx({ [KEY]: key() }, { activeWithKey: 2 })))[0],
        "busy",
      );
      assertMatch(
        refusalAnswer("401"),
        /^HTTP\/1.1 401 Unauthorized\r\n[\s\S]*You are not permitted/,
      );
    },
  );

  await t.step(
    "the sender's request is one the receiver accepts; answers parse",
    () => {
      const text = streamRequest({
        apiKey: KEY,
        hostname: "edge one",
        machineGuid: guidFromName("x"),
        updateEverySec: 1,
        os: "linux",
        timezone: "UTC",
      });
      const r = parseStreamRequest(text.split("\r\n\r\n")[0]);
      // skiff offers what a 1.37 child offers (ver=16376)
      assertEquals([r.hostname, r.capabilities], [
        "edge_one",
        versionToCapabilities(16376),
      ]);
      assertEquals(
        parseReadyAnswer("Hit me baby, push them over with the version=4"),
        { ok: true, version: 4, capabilities: versionToCapabilities(4) },
      );
      assertEquals(
        parseReadyAnswer("Hit me baby, push them over with the version=16320"),
        { ok: true, version: 16320, capabilities: 16320 },
      );
      assertEquals(parseReadyAnswer(refusalAnswer("401")), {
        ok: false,
        answer:
          "You are not permitted to access this. Check the logs for more info.",
      });
    },
  );

  await t.step(
    "machine GUIDs from names are stable, distinct and well-formed",
    () => {
      assertEquals(guidFromName("skiff:a"), guidFromName("skiff:a"));
      assert(guidFromName("skiff:a") !== guidFromName("skiff:b"));
      assertMatch(
        guidFromName("skiff:a"),
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    },
  );
});
