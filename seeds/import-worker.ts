/**
 * A worker thread of the bulk import (./import): generates one part of the customers into its
 * part of the CSV files and posts progress, then what it counted.
 */
import { parentPort, workerData } from "node:worker_threads";
import { writeCustomerPart, type PartJob, type PartMessage } from "./import";

const port = parentPort;
if (!port) throw new Error("seeds/import-worker runs as a worker thread of seeds/import.ts");
const post = (m: PartMessage): void => port.postMessage(m);
writeCustomerPart(workerData as PartJob, (customers) => post({ customers })).then(
  (result) => post({ result }),
  (error: unknown) => post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
