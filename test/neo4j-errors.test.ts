import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Neo4jError } from "neo4j-driver";
import { ConstraintViolationError, ServiceUnavailableError } from "../src/platform/errors";
import { Graph, mapDriverError } from "../src/platform/neo4j";
import { testServices } from "./support/gateway";

/**
 * Every driver error the gateway knows is mapped in one place (src/platform/neo4j.ts). The unit
 * cases build Neo4jErrors as the driver does (neo4j-driver-core 6: message, code, GQL status,
 * status description; `newError` without a server code gives "N/A" and 50N42); the last cases
 * provoke real ones from a real Neo4j.
 */

/** A driver error as the driver builds one: errors without a server code carry "N/A" and GQL status 50N42. */
function driverError(message: string, code = "N/A", gqlStatus = "50N42"): Neo4jError {
  return new Neo4jError(message, code, gqlStatus, `error: ${message}`);
}

/**
 * A SERVICE_UNAVAILABLE for Neo4j: `reason` in the message in our words, the driver's own text
 * (`detail`) kept for the log and never in the message a client gets.
 */
function assertUnavailable(error: unknown, reason: RegExp, detail: RegExp): void {
  assert.ok(error instanceof ServiceUnavailableError, `expected ServiceUnavailableError, got ${String(error)}`);
  assert.equal(error.extensions.code, "SERVICE_UNAVAILABLE");
  assert.equal(error.extensions.service, "neo4j");
  assert.match(error.message, /^The graph database is unavailable: /);
  assert.match(error.message, /Retry shortly\.$/);
  assert.match(error.message, reason);
  assert.match(error.detail ?? "", detail);
  assert.doesNotMatch(error.message, detail, "the driver's text stays out of the client's message");
  assert.deepEqual(Object.keys(error.extensions).sort(), ["code", "service"], "nor is it in the extensions");
}

describe("mapDriverError: driver errors become typed gateway errors", () => {
  test("outages: ServiceUnavailable, SessionExpired and DatabaseUnavailable are SERVICE_UNAVAILABLE, the driver's first line kept for the log", () => {
    assertUnavailable(mapDriverError(driverError("Could not perform discovery. No routing servers available.\nmore detail", "ServiceUnavailable")), /cannot be reached/, /Could not perform discovery\. No routing servers available\.$/);
    assertUnavailable(mapDriverError(driverError("Connection was closed by server", "SessionExpired")), /cannot be reached/, /Connection was closed by server/);
    assertUnavailable(mapDriverError(driverError("Database 'neo4j' is unavailable.", "Neo.TransientError.General.DatabaseUnavailable", "51N33")), /cannot be reached/, /Database 'neo4j' is unavailable/);
  });

  test("no pooled connection within the acquisition timeout (the pool exhausted, or Neo4j not answering) says it is busy or unreachable", () => {
    const error = mapDriverError(driverError("Connection acquisition timed out in 3000 ms. Pool status: Active conn count = 64, Idle conn count = 0."));
    assertUnavailable(error, /busy or unreachable/, /Active conn count = 64/);
    assertUnavailable(mapDriverError(driverError("Pool is closed, it is no more able to serve requests.")), /busy or unreachable/, /Pool is closed/);
  });

  test("transactions the server timed out or terminated are SERVICE_UNAVAILABLE, the code kept for the log", () => {
    for (const code of [
      "Neo.ClientError.Transaction.TransactionTimedOut",
      "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
      "Neo.ClientError.Transaction.Terminated",
      "Neo.ClientError.Transaction.LockClientStopped",
    ]) {
      assertUnavailable(mapDriverError(driverError("The transaction has been terminated.", code, "25N05")), /ended the transaction before it finished/, new RegExp(`^${code.replace(/\./g, "\\.")}: `));
    }
  });

  test("transient errors that outlived the driver's retries (deadlock, lock timeout, too many transactions) are SERVICE_UNAVAILABLE", () => {
    for (const code of ["Neo.TransientError.Transaction.DeadlockDetected", "Neo.TransientError.Transaction.LockAcquisitionTimeout", "Neo.TransientError.Transaction.MaximumTransactionLimitReached"]) {
      assertUnavailable(mapDriverError(driverError("ForsetiClient[transactionId=12] can't acquire ExclusiveLock", code, "50N05")), /busy, the request failed for a transient reason/, /ForsetiClient/);
    }
  });

  test("constraint violations are ConstraintViolationError with the label and property parsed, CONFLICT if nobody gives them a meaning", () => {
    const unique = mapDriverError(driverError("Node(34050) already exists with label `Strategy` and property `code` = 'ST_X'", "Neo.ClientError.Schema.ConstraintValidationFailed", "22N41"));
    assert.ok(unique instanceof ConstraintViolationError);
    assert.deepEqual([unique.label, unique.property], ["Strategy", "code"]);
    assert.equal(unique.extensions.code, "CONFLICT");
    assert.match(unique.message, /Strategy\.code: another Strategy already has this code/);
    assert.doesNotMatch(unique.message, /Node\(34050\)/, "Neo4j's node ids stay out of the client's message");
    assert.match(unique.detail, /Node\(34050\) already exists/);

    const key = mapDriverError(driverError("Node(0) already exists with label `Person` and properties `firstname` = 'John', `surname` = 'Wood'", "Neo.ClientError.Schema.ConstraintValidationFailed"));
    assert.ok(key instanceof ConstraintViolationError);
    assert.deepEqual([key.label, key.property], ["Person", "firstname"]);

    const existence = mapDriverError(driverError("Node(2) with label `Person` must have the properties (`firstname`, `surname`)", "Neo.ClientError.Schema.ConstraintValidationFailed"));
    assert.ok(existence instanceof ConstraintViolationError);
    assert.deepEqual([existence.label, existence.property], ["Person", "firstname"]);

    const relationship = mapDriverError(driverError("Relationship(7) already exists with type `PREFERS` and property `rank` = 1", "Neo.ClientError.Schema.ConstraintValidationFailed"));
    assert.ok(relationship instanceof ConstraintViolationError);
    assert.deepEqual([relationship.label, relationship.property], ["PREFERS", "rank"]);

    const unparsed = mapDriverError(driverError("Some future wording", "Neo.ClientError.Schema.ConstraintValidationFailed"));
    assert.ok(unparsed instanceof ConstraintViolationError);
    assert.deepEqual([unparsed.label, unparsed.property], [null, null]);
    assert.match(unparsed.message, /the graph refused the write/);
    assert.match(unparsed.detail, /Some future wording/);
  });

  test("anything else (a Cypher error: a bug) and non-driver errors come back as they were", () => {
    const syntax = driverError("Invalid input 'RETRUN'", "Neo.ClientError.Statement.SyntaxError", "42001");
    assert.equal(mapDriverError(syntax), syntax);
    const plain = new Error("not the driver's");
    assert.equal(mapDriverError(plain), plain);
    const already = new ServiceUnavailableError("neo4j", "mapped before");
    assert.equal(mapDriverError(already), already);
  });
});

describe("the executor maps what a real Neo4j raises", () => {
  // A label of this test's own, so its constraint cannot interfere with any other test's data.
  const label = `ErrorsTest${process.pid}`;
  const constraint = `errors_test_${process.pid}`;
  let graph: Graph;

  before(async () => {
    graph = Graph.connect(testServices().neo4j);
    await graph.session().write(`CREATE CONSTRAINT ${constraint} IF NOT EXISTS FOR (n:${label}) REQUIRE n.code IS UNIQUE`);
  });
  after(async () => {
    await graph.session().write(`MATCH (n:${label}) DELETE n`);
    await graph.session().write(`DROP CONSTRAINT ${constraint} IF EXISTS`);
    await graph.close();
  });

  test("a second node with a unique value is ConstraintViolationError naming the label and property", async () => {
    await graph.session().write(`CREATE (:${label} {code: $code})`, { code: "A" });
    await assert.rejects(graph.session().write(`CREATE (:${label} {code: $code})`, { code: "A" }), (error: unknown) => {
      assert.ok(error instanceof ConstraintViolationError, String(error));
      assert.deepEqual([error.label, error.property], [label, "code"]);
      return true;
    });
  });

  test("a Neo4j nobody listens on is SERVICE_UNAVAILABLE within seconds", async () => {
    // Port 1 on the loopback refuses at once: nothing listens there without root.
    const nowhere = Graph.connect({ uri: "bolt://127.0.0.1:1", username: "neo4j", password: "" });
    const started = Date.now();
    try {
      await assert.rejects(nowhere.ping(), (error: unknown) => {
        assert.ok(error instanceof ServiceUnavailableError, String(error));
        return true;
      });
      assert.ok(Date.now() - started < 5_000, "fails fast");
    } finally {
      await nowhere.close();
    }
  });
});
