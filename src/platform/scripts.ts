import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { PROJECT_ROOT } from "./paths";

/**
 * Lua scripts live in .lua files beside the module that owns them (src/contact-policy/scripts/,
 * src/realtime/scripts/, …), where they read, diff and lint as Lua. They are read from the source
 * tree through PROJECT_ROOT, also when the compiled code runs from dist/: tsc copies no .lua files,
 * and the gateway already reads its checkout at run time (schema/, ops/), so reading src/ needs no
 * copy step that a build could forget, and there is one copy of each script, not two that can drift.
 */

/** A script registered on a client as a command of its own: `redis[name](…keys, …args)`. */
export interface ScriptDefinition {
  /** The command's name on the client, e.g. "contactPolicyReserve". */
  name: string;
  /** Paths from the repository root, concatenated in order (a shared library of functions first, then the script). */
  files: readonly string[];
  /** How many of the arguments are KEYS (they get the client's key prefix). Omitted: the caller passes the count first on every call. */
  numberOfKeys?: number;
  /** The script writes nothing (EVALSHA_RO where the server offers it, so replicas may serve it). */
  readOnly?: boolean;
}

/** Script sources by path, read once per process however many clients define them. */
const sources = new Map<string, string>();

/** The text of the script made of `files` (paths from the repository root), read once per process. */
export function readScript(files: readonly string[]): string {
  return files.map(readOnce).join("\n");
}

/**
 * Registers scripts on a client (ioredis sends EVALSHA, and EVAL once per connection when the
 * server does not know the script yet; KEYS get the client's prefix). A client that already has a
 * command of that name keeps it, so services sharing a client may each define their scripts.
 */
export function defineScripts(redis: Redis, scripts: readonly ScriptDefinition[]): void {
  for (const { name, files, numberOfKeys, readOnly } of scripts) {
    if (name in redis) continue;
    redis.defineCommand(name, {
      lua: readScript(files),
      ...(numberOfKeys === undefined ? {} : { numberOfKeys }),
      ...(readOnly ? { readOnly } : {}),
    });
  }
}

function readOnce(path: string): string {
  let source = sources.get(path);
  if (source === undefined) {
    try {
      source = readFileSync(join(PROJECT_ROOT, path), "utf8");
    } catch (error) {
      throw new Error(`Cannot read the Lua script ${path} under ${PROJECT_ROOT} (${error instanceof Error ? error.message : String(error)}); the gateway runs from its checkout, with src/ beside dist/.`);
    }
    sources.set(path, source);
  }
  return source;
}
