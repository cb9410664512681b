import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { pino } from "pino";
import { openApp, type App } from "../src/main/app";
import { StartupError } from "../src/platform/errors";
import { testServices } from "./support/gateway";

/** The HTTP side of the gateway: how it starts on a busy port. */

/** A logger whose lines the test reads, to check what was (not) logged. */
function capturingLogger(): { log: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}

function open(port: number, log: pino.Logger): Promise<App> {
  return openApp({ ...testServices(), config: { port, host: "127.0.0.1", redisKeyPrefix: `test:${process.pid}:` }, log });
}

describe("a busy port", () => {
  test("fails at once with one sentence naming the port, and leaves nothing open", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const started = Date.now();
      await assert.rejects(open(port, capturingLogger().log), (error: unknown) => {
        assert.ok(error instanceof StartupError, `a StartupError, got ${String(error)}`);
        assert.equal(error.message, `Port ${port} is already in use (another gateway?); stop it or set PORT to a free port.`);
        return true;
      });
      // Redis waits up to 3 s for its first connection before serving; the port check comes after it.
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    // Nothing left behind: node's test runner would wait for ever on a Redis or Neo4j connection left open.
  });
});
