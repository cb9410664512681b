import { Agent, request, type IncomingHttpHeaders } from "node:http";
import WebSocket from "ws";
import type { HttpCase, WsAnswer, WsCase } from "./generate";

/**
 * Sending the cases: raw HTTP (node:http, so bodies, encodings and headers go out exactly as
 * generated) and a scripted graphql-ws session (the `ws` package, so frames can break the protocol
 * a real client never would).
 */

/** Answers are kept up to this size for classification; the rest is read and dropped. */
const KEEP_BYTES = 4 * 1024 * 1024;

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The answer was longer than what was kept. */
  truncated: boolean;
  ms: number;
}

/** No answer: the connection dropped or the time ran out. */
export interface NoAnswer {
  error: string;
  timedOut: boolean;
  ms: number;
}

export function httpAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency });
}

/** Sends one HTTP case to `origin` with `authorization` (null: none). */
export function sendHttp(origin: URL, c: HttpCase, authorization: string | null, agent: Agent | false, timeoutMs: number, retried = false): Promise<HttpResult | NoAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: HttpResult | NoAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const headers: Record<string, string> = { ...c.headers };
    if (authorization) headers.authorization = authorization;
    if (c.body && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) headers["content-length"] = String(c.body.length);
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: origin.hostname, port: origin.port, method: c.method, path: c.path, headers, agent });
    } catch (error) {
      // Node refuses to send some headers at all (characters beyond latin-1): nothing reached the gateway.
      done({ error: `not sent: ${(error as Error).message}`, timedOut: false, ms: 0 });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      done({ error: `no answer within ${timeoutMs} ms`, timedOut: true, ms: performance.now() - started });
    }, timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed (idle) just as this request went out on it: Node's
      // documented race, not the gateway dropping the request. Sent again on a new connection.
      if (req.reusedSocket && error.code === "ECONNRESET" && !retried) {
        clearTimeout(timer);
        settled = true;
        resolve(sendHttp(origin, c, authorization, false, timeoutMs, true));
        return;
      }
      done({ error: `${error.message} (${error.code ?? "no code"}${req.reusedSocket ? ", on a kept-alive connection" : ""})`, timedOut: false, ms: performance.now() - started });
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on("data", (chunk: Buffer) => {
        if (kept < KEEP_BYTES) {
          chunks.push(chunk);
          kept += chunk.length;
        } else truncated = true;
      });
      res.on("error", (error) => done({ error: `answer cut: ${error.message}`, timedOut: false, ms: performance.now() - started }));
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated, ms: performance.now() - started }));
    });
    req.end(c.body);
  });
}

export interface WsResult {
  /** The upgrade succeeded. */
  opened: boolean;
  /** Why the upgrade failed (the HTTP status the server answered instead). */
  upgradeError?: string;
  answers: WsAnswer[];
  /** Raw text of every message received, for the leak scan. */
  texts: string[];
  /** Close code and reason when the server closed the socket (not when we did). */
  serverClose: { code: number; reason: string } | null;
  /** Subscribe ids that were awaited and never answered. */
  unanswered: string[];
  ms: number;
}

/** How long the socket must stay quiet, once everything awaited has come, before the case is over. */
const QUIET_MS = 300;

/**
 * Runs one graphql-ws session: connection_init (unless the case skips it) with `initPayload`,
 * the frames once acknowledged, then waits until the server closes, or every awaited id is
 * answered and the socket has been quiet a moment; then closes it (1000) if it is still open.
 */
export function runWs(httpUrl: string, c: WsCase, initPayload: unknown, timeoutMs: number): Promise<WsResult> {
  const started = performance.now();
  const result: WsResult = { opened: false, answers: [], texts: [], serverClose: null, unanswered: [], ms: 0 };
  const waiting = new Set(c.awaitIds);
  return new Promise((resolve) => {
    const socket = new WebSocket(httpUrl.replace(/^http/, "ws"), "graphql-transport-ws", { maxPayload: 256 * 1024 * 1024 });
    let weClose = false;
    let quiet: NodeJS.Timeout | undefined;
    let framesSent = false;
    const finish = (): void => {
      clearTimeout(deadline);
      clearTimeout(quiet);
      result.unanswered = [...waiting];
      result.ms = performance.now() - started;
      resolve(result);
    };
    const closeOurselves = (): void => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        weClose = true;
        socket.close(1000, "fuzz case over");
      } else finish();
    };
    const deadline = setTimeout(closeOurselves, timeoutMs);
    const settle = (): void => {
      if (!framesSent || waiting.size > 0 || c.expectClose) return;
      clearTimeout(quiet);
      quiet = setTimeout(closeOurselves, QUIET_MS);
    };
    const sendFrames = (): void => {
      for (const frame of c.frames) socket.send(frame);
      framesSent = true;
      settle();
    };
    socket.on("unexpected-response", (_req, res) => {
      result.upgradeError = `upgrade answered ${res.statusCode}`;
      res.resume();
      socket.terminate();
    });
    socket.on("error", (error) => {
      result.upgradeError ??= result.opened ? undefined : error.message;
    });
    socket.on("open", () => {
      result.opened = true;
      if (c.auth === "skip") sendFrames();
      else socket.send(JSON.stringify({ type: "connection_init", payload: initPayload }));
    });
    socket.on("message", (data: Buffer) => {
      const text = data.toString("utf8");
      result.texts.push(text.length > 100_000 ? text.slice(0, 100_000) : text);
      let message: WsAnswer;
      try {
        message = JSON.parse(text) as WsAnswer;
      } catch {
        message = { type: "(not JSON)", payload: text.slice(0, 200) };
      }
      result.answers.push(message);
      if (message.type === "connection_ack" && !framesSent) sendFrames();
      else if ((message.type === "error" || message.type === "complete") && message.id !== undefined) waiting.delete(message.id);
      settle();
    });
    socket.on("close", (code, reason) => {
      if (!weClose) result.serverClose = { code, reason: reason.toString("utf8") };
      finish();
    });
  });
}
