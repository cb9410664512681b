import { after, afterEach, beforeEach } from "node:test";

/**
 * One teardown list for everything a test file opens (graphql-ws's `leftovers`): gateways,
 * gateway processes, WebSocket clients, Redis clients, proxies, graph connections. The support
 * constructors register what they open, so a test cannot forget to close it, and a file never has
 * to chain `after(() => x.close())` hooks that stop at the first failure.
 *
 * Scope: what is opened while a test runs is disposed right after that test (pass or fail); what is
 * opened outside a test (at module level, in a `before` hook) after the file's last test.
 * Disposal runs in reverse order of registration (a client before the server it talks to); every
 * item runs even when one fails, and the failures are thrown together at the end.
 *
 * Importing this module registers the hooks: every support module that opens something imports
 * it, so a test file gets them as soon as it can open anything. Tests of one file must run one at a
 * time (node:test's default), which is how a resource knows which test it belongs to; a subtest
 * (`t.test`) gets a scope of its own inside its test's.
 */

interface Leftover {
  what: string;
  dispose: () => Promise<void>;
}

/** A teardown list: resources and clean-ups, disposed newest first, every one even when some fail. */
export class Leftovers {
  private readonly items: Leftover[] = [];

  /**
   * Registers `resource` to be disposed with `dispose`, and returns it. `dispose` runs at most
   * once, so a test may also close the resource itself (say, to test what closing does); the
   * disposal is then a no-op.
   */
  add<T>(what: string, resource: T, dispose: (resource: T) => unknown): T {
    let disposing: Promise<void> | null = null;
    const disposeOnce = async (): Promise<void> => {
      await dispose(resource);
    };
    this.items.push({ what, dispose: () => (disposing ??= disposeOnce()) });
    return resource;
  }

  /** Disposes everything registered, newest first, emptying the list; throws every failure at the end, each named by what it was closing. */
  async dispose(): Promise<void> {
    const failures: Error[] = [];
    for (let item = this.items.pop(); item; item = this.items.pop()) {
      try {
        await item.dispose();
      } catch (error) {
        failures.push(new Error(`closing ${item.what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} leftovers failed to close: ${failures.map((f) => f.message).join("; ")}`);
  }
}

const fileScope = new Leftovers();
/** One list per running test, innermost last. */
const testScopes: Leftovers[] = [];

beforeEach(() => {
  testScopes.push(new Leftovers());
});

afterEach(async () => {
  await testScopes.pop()?.dispose();
});

after(() => fileScope.dispose());

/** Where a leftover goes: the running test (the default inside a test) or the whole file. */
export interface LeftoverOptions {
  /** "file" keeps a resource opened inside a test until the file ends (a connection cached for later tests). */
  scope?: "test" | "file";
}

/** Registers `resource` to be disposed with `dispose` when its scope ends (see {@link Leftovers.add}), and returns it. */
export function leftover<T>(what: string, resource: T, dispose: (resource: T) => unknown, options: LeftoverOptions = {}): T {
  const scope = options.scope === "file" ? fileScope : (testScopes.at(-1) ?? fileScope);
  return scope.add(what, resource, dispose);
}

/** Registers a clean-up that is not a resource (keys to delete, a strategy to retire). */
export function teardown(what: string, run: () => unknown, options: LeftoverOptions = {}): void {
  leftover(what, undefined, run, options);
}
