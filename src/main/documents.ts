import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DocumentNode } from "graphql";
import * as operations from "../../schema/generated/operations";
import { buildManifest, MANIFEST_PATH, type PersistedDocumentManifest } from "../auth/trusted-documents";
import { PROJECT_ROOT } from "../platform/paths";

/**
 * `npm run documents`: writes the trusted-documents manifest (schema/persisted-documents.json)
 * from the typed documents codegen makes of schema/operations/*.graphql, so the ids and texts are
 * exactly what typed clients send (`print(document)`). test/trusted-documents.test.ts fails when
 * the committed file drifts from the operations.
 */
export function currentManifest(): PersistedDocumentManifest {
  // Codegen also exports each fragment on its own (CustomerViewFragmentDoc): only operations are sent.
  const documents = Object.values(operations as Record<string, unknown>).filter(
    (value): value is DocumentNode =>
      typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "Document" && (value as DocumentNode).definitions.some((d) => d.kind === "OperationDefinition"),
  );
  return buildManifest(documents);
}

/** The manifest as committed: pretty JSON with a final newline. */
export function manifestText(): string {
  return `${JSON.stringify(currentManifest(), null, 2)}\n`;
}

if (require.main === module) {
  const path = join(PROJECT_ROOT, MANIFEST_PATH);
  writeFileSync(path, manifestText());
  console.error(`wrote ${path} (${currentManifest().operations.length} operations)`);
}
