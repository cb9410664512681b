import { createConnection, createServer, type Server, type Socket } from "node:net";
import { leftover } from "./leftovers";

/**
 * A TCP forwarder between the gateway and a real service, so a test can cut the line (every
 * connection dropped, new ones refused, as when a server dies) and later restore it, or stall it
 * (connections stay open but no byte passes, as when a server hangs) and later resume it. Cut for
 * good with the test (or file) that started it.
 */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  port = 0;

  /** Use {@link CuttableProxy.start}, which also registers the proxy for teardown. */
  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(target: string): Promise<CuttableProxy> {
    const url = new URL(target);
    const proxy = leftover("proxy", new CuttableProxy(url.hostname, Number(url.port)), (p) => p.cut());
    await proxy.listen();
    return proxy;
  }

  /** The target URI rewritten to pass through this proxy. */
  through(target: string): string {
    const url = new URL(target);
    url.hostname = "127.0.0.1";
    url.port = String(this.port);
    return url.toString().replace(/\/$/, "");
  }

  /** Stops forwarding in both directions on every connection, open or new; nothing is dropped. */
  stall(): void {
    this.stalled = true;
    for (const pair of this.pairs) unlink(pair);
  }

  /** Forwards again what was held back and what comes next. */
  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) link(pair);
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Stop listening first, then drop every connection: one accepted between the two (a client
    // reconnecting every 200 ms) would otherwise stay open, and close() would wait for it for ever.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      if (this.server !== server) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      if (!this.stalled) link(pair);
      client.on("close", () => {
        this.pairs.delete(pair);
        upstream.destroy();
      });
      upstream.on("close", () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(this.port, "127.0.0.1", () => {
        const address = server.address();
        if (address && typeof address === "object") this.port = address.port;
        resolve();
      }),
    );
  }
}

function link([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}

function unlink([client, upstream]: [Socket, Socket]): void {
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}
