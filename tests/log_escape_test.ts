import { assertEquals } from "./helpers/assert.ts";
import { escapeForLog } from "../lib/log_escape.ts";

Deno.test("escapeForLog", async (t) => {
  await t.step("plain text, printable Unicode included, is unchanged", () => {
    for (const text of ["", "ndchild", "host-7.example", "Zürich 東京 ✓"]) {
      assertEquals(escapeForLog(text), text);
    }
  });

  await t.step("C0 controls, DEL and C1 controls become \\xNN", () => {
    assertEquals(escapeForLog("evil\r\x1b[31mred"), "evil\\x0d\\x1b[31mred");
    assertEquals(escapeForLog("a\nb\tc\x00"), "a\\x0ab\\x09c\\x00");
    assertEquals(escapeForLog("\x7f\x85\x9b"), "\\x7f\\x85\\x9b");
  });

  await t.step("a backslash is doubled, so an escape is never forged", () => {
    assertEquals(escapeForLog("\\x0d"), "\\\\x0d");
    assertEquals(escapeForLog("a\\\r"), "a\\\\\\x0d");
  });

  await t.step("line separators and bidi controls become \\u{NNNN}", () => {
    assertEquals(
      escapeForLog("a\u2028b\u202egnp.exe\u2066"),
      "a\\u{2028}b\\u{202e}gnp.exe\\u{2066}",
    );
  });

  await t.step("the result has no control character at all", () => {
    let all = "";
    for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
    const out = escapeForLog(all);
    const controls = [...out].filter((ch) => {
      const c = ch.charCodeAt(0);
      return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 ||
        c === 0x2029;
    });
    assertEquals(controls, []);
  });
});
