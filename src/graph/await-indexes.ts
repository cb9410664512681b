import neo4j from "neo4j-driver";
import type { Cypher } from "../platform/neo4j";

/** The name a `CREATE [RANGE|TEXT|FULLTEXT|…] INDEX <name>` or `CREATE CONSTRAINT <name>` statement gives. */
const NAMED = /^CREATE\s+(?:\w+\s+)?(?:INDEX|CONSTRAINT)\s+(\w+)/i;

/**
 * Waits until the indexes (and constraints' indexes) that `statements` create are online, one
 * `db.awaitIndex` each. Not `db.awaitIndexes`: that waits for every index in the database, and a
 * constraint another room is creating at the same moment (rooms make sure of their schemas as they
 * start) cannot commit while a write transaction waits on it, so both stand until the timeout.
 */
export async function awaitOwnIndexes(graph: Cypher, statements: readonly string[], timeoutSeconds: number): Promise<void> {
  for (const statement of statements) {
    const name = NAMED.exec(statement.trim())?.[1];
    if (name) await graph.read("CALL db.awaitIndex($name, $timeout)", { name, timeout: neo4j.int(timeoutSeconds) });
  }
}
