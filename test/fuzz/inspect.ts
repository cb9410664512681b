import WebSocket from "ws";

/**
 * The gateway's own account of its memory, through the Node inspector it was started with
 * (`--inspect=127.0.0.1:0`, fuzz runs only): a full garbage collection, then
 * `process.memoryUsage()`. RSS alone cannot tell a leak from garbage not yet collected or heap
 * V8 keeps after a peak; the heap used after a full collection can.
 */
export class GatewayInspector {
  private next = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
      if (message.id !== undefined) {
        this.pending.get(message.id)?.(message.result);
        this.pending.delete(message.id);
      }
    });
  }

  /** Connects to the inspector at `url` (the "Debugger listening on ws://…" address). */
  static async connect(url: string): Promise<GatewayInspector> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new GatewayInspector(socket);
  }

  private call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway's inspector did not answer ${method} within 60 s`)), 60_000);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** MB of JavaScript heap in use (and RSS) right after a full garbage collection. */
  async heapAfterGc(): Promise<{ heapUsedMb: number; rssMb: number }> {
    await this.call("HeapProfiler.collectGarbage");
    const result = (await this.call("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true })) as { result: { value: string } };
    const usage = JSON.parse(result.result.value) as { heapUsed: number; rss: number };
    return { heapUsedMb: usage.heapUsed / 2 ** 20, rssMb: usage.rss / 2 ** 20 };
  }

  close(): void {
    this.socket.close();
  }
}

/** Lines the inspector writes on the gateway's stderr: not errors. */
export const INSPECTOR_LINES = /^(Debugger listening on|Debugger attached\.|Debugger ending on|For help, see: https:\/\/nodejs\.org|Waiting for the debugger to disconnect)/;
