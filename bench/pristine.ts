import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The bench store as seeded, kept beside it (issue 13 point 6): decisions, contacts, campaigns,
 * audit entries and model counters a run writes would otherwise pile up in `.data/bench` (about
 * 35,000 decisions a run) and every later figure would be taken over a different graph.
 *
 * After a run seeds the data set, the stopped Neo4j store and Redis data are copied to
 * `.data/bench-pristine` with a marker naming the seed and size. A run marks the store dirty
 * before its first scenario; at its end (and at the start of the next, should it have been cut
 * short) a dirty store is replaced by the pristine copy. Copies are plain directory copies of
 * stopped services (about 15 s for the 100,000-customer set), so nothing depends on Neo4j's
 * Enterprise backup tools.
 */

export interface PristineMarker {
  seed: number;
  customers: number;
  takenAt: string;
}

const PARTS = ["neo4j", "redis"] as const;

export class PristineStore {
  private readonly dir: string;
  private readonly dirtyFile: string;

  /** `dataRoot`: the bench profile's data directory (`.data/bench`). */
  constructor(private readonly dataRoot: string) {
    this.dir = `${dataRoot}-pristine`;
    this.dirtyFile = join(dataRoot, "dirty");
  }

  /** The marker of the kept copy, or null when there is none (or it is incomplete). */
  async marker(): Promise<PristineMarker | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, "marker.json"), "utf8")) as PristineMarker;
    } catch {
      return null;
    }
  }

  /** Whether the kept copy is the data set asked for. */
  async matches(data: { seed: number; customers: number }): Promise<boolean> {
    const m = await this.marker();
    return m !== null && m.seed === data.seed && m.customers === data.customers;
  }

  isDirty(): boolean {
    return existsSync(this.dirtyFile);
  }

  /** Before the first scenario writes: the store differs from the kept copy from now on. */
  async markDirty(): Promise<void> {
    await writeFile(this.dirtyFile, new Date().toISOString());
  }

  /** Copies the stopped services' data as the pristine store (the marker last: a cut copy has none and is never restored). */
  async keep(data: { seed: number; customers: number }): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    for (const part of PARTS) await cp(join(this.dataRoot, part), join(this.dir, part), { recursive: true, preserveTimestamps: true });
    const marker: PristineMarker = { ...data, takenAt: new Date().toISOString() };
    await writeFile(join(this.dir, "marker.json"), JSON.stringify(marker, null, 2));
  }

  /** Replaces the stopped services' data with the pristine copy and clears the dirty mark. */
  async restore(): Promise<void> {
    for (const part of PARTS) {
      await rm(join(this.dataRoot, part), { recursive: true, force: true });
      await cp(join(this.dir, part), join(this.dataRoot, part), { recursive: true, preserveTimestamps: true });
    }
    await rm(this.dirtyFile, { force: true });
  }
}
