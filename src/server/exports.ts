import { once } from "node:events";
import { stringify } from "csv-stringify";
import type { RequestHandler, Response } from "express";
import { denial } from "../auth/permissions";
import type { TokenVerifier } from "../auth/tokens";
import { ForbiddenError, GatewayError, NotFoundError } from "../platform/errors";
import { createContext, type Services } from "./context";

/**
 * `GET /exports/snapshots/<id>.csv`: a segment snapshot's members as CSV, streamed, for the
 * marketer's spreadsheet and the outbound systems that take files.
 *
 * - Bearer token as for /graphql; deny by default through the matrix's HTTP rules
 *   (src/auth/permissions.ts `HTTP_PERMISSIONS`): the roles that read segments.
 * - The same rows `segmentSnapshot { members }` serves: within the asker's region scope, MSISDN
 *   and name masked unless the role may see them whole (src/auth/scope.ts).
 * - UTF-8 with a BOM (Excel then reads the Chinese names), a header row, RFC 4180 quoting
 *   (csv-stringify).
 * - Audited once it is sent: who exported which snapshot and how many rows (one entry, action
 *   EXPORT; the snapshot is immutable, so its id and the asker's scope name exactly who was in it).
 * - A failure after the first byte destroys the response: the client sees a broken transfer, never
 *   a short file that looks whole.
 */

export const EXPORT_ROUTE = "GET /exports/snapshots/{id}.csv";
const COLUMNS = ["customerId", "name", "msisdn", "masked", "regionId", "segment", "valueTier", "lifecycleStage", "arpu"] as const;

export function snapshotExport(services: Services, tokens: TokenVerifier): RequestHandler {
  return async (req, res) => {
    const file = String((req.params as Record<string, string>).file ?? "");
    try {
      const id = /^([A-Za-z0-9_-]{1,64})\.csv$/.exec(file)?.[1];
      if (!id) throw new NotFoundError(`There is no export "${file}"; ask for /exports/snapshots/<snapshot id>.csv.`);
      const principal = await tokens.fromHeader(req.headers.authorization);
      const refused = denial(principal, EXPORT_ROUTE, { id });
      if (refused) throw new ForbiddenError(refused);
      const scope = createContext(services, principal);
      const { snapshot, idx } = await services.snapshots.memberIdx(scope, id);
      res.status(200);
      res.setHeader("content-type", "text/csv; charset=utf-8");
      res.setHeader("content-disposition", `attachment; filename="segment-${snapshot.segmentCode}-${snapshot.id}.csv"`);
      res.setHeader("cache-control", "no-store");
      const csv = stringify({ bom: true, header: true, columns: [...COLUMNS], cast: { boolean: (b) => (b ? "true" : "false") } });
      csv.pipe(res);
      let rows = 0;
      let unmasked = 0;
      try {
        for await (const members of services.snapshots.scoped(scope, idx, -1)) {
          for (const m of members) {
            rows += 1;
            if (!m.masked) unmasked += 1;
            if (!csv.write([m.id, m.name, m.msisdn, m.masked, m.regionId, m.segment, m.valueTier, m.lifecycleStage, m.arpu])) await once(csv, "drain");
          }
        }
        csv.end();
        await once(res, "finish");
      } catch (error) {
        csv.destroy();
        res.destroy(error instanceof Error ? error : new Error(String(error)));
        services.log.warn({ snapshot: id, err: error instanceof Error ? error.message : String(error) }, "a snapshot export failed after it started");
        return;
      }
      scope.audit.change({ action: "EXPORT", targetType: "SegmentSnapshot", targetId: snapshot.id, before: null, after: { segmentId: snapshot.segmentId, rows, unmasked, format: "CSV" } });
      services.auditTrail.record(principal, scope.audit, { name: "exportSegmentSnapshot", type: "QUERY", transport: "HTTP", subscription: null });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, error, services);
    }
  };
}

function sendError(res: Response, error: unknown, services: Services): void {
  if (error instanceof GatewayError) {
    const status = (error.extensions.http as { status?: number } | undefined)?.status ?? (error.code === "NOT_FOUND" ? 404 : error.code === "BAD_USER_INPUT" ? 409 : error.code === "SERVICE_UNAVAILABLE" ? 503 : 400);
    if (error.code === "UNAUTHENTICATED") res.setHeader("www-authenticate", 'Bearer realm="c360"');
    res.status(status).json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
    return;
  }
  services.log.error({ err: error instanceof Error ? error.message : String(error) }, "a snapshot export failed");
  res.status(500).json({ errors: [{ message: "The export failed on the server; retry, and tell the operators if it persists.", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
}
