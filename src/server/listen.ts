import { createServer, type Server } from "node:net";
import { StartupError } from "../platform/errors";

/**
 * `server.listen(port, host)` as a promise that rejects on a busy port, a privileged port or an
 * address the host does not have, with one sentence naming it: a Node server only emits `error`,
 * which, left to the WebSocket server also attached to it, is logged and leaves start-up hanging.
 */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      reject(listenFailure(error, port, host));
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/**
 * Fails at once, with the same sentence as `listen`, when `port` cannot be bound on `host`; for
 * `npm start` to say so before it launches services and seeds. Port 0 (any free port) always passes.
 */
export async function ensurePortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listen(probe, port, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

function listenFailure(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case "EADDRINUSE":
      return new StartupError(`Port ${port} is already in use (another gateway?); stop it or set PORT to a free port.`);
    case "EACCES":
      return new StartupError(`Port ${port} needs privileges this process does not have; set PORT to a port above 1023.`);
    case "EADDRNOTAVAIL":
      return new StartupError(`This machine has no address ${host}; set HOST to one of its addresses, or 0.0.0.0 for all.`);
    default:
      return error;
  }
}
