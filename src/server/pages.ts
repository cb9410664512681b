import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type Express, type RequestHandler } from "express";
import { PROJECT_ROOT } from "../platform/paths";

/**
 * The reference screens (web/: the agent desktop, the mobile business hall, the marketer's console)
 * and the bundled GraphiQL, served from the gateway's own port as files Vite built into web/dist.
 * Nothing is fetched from outside the machine: the Content-Security-Policy allows this origin only.
 */

/** A demo token shown by the sign-in pickers and pre-filled in GraphiQL: development only. */
export interface DevToken {
  label: string;
  token: string;
}

export interface PagesOptions {
  /** Where Vite put the built pages (default web/dist of this checkout). */
  root?: string;
  /** NODE_ENV=production: no GraphiQL and no development tokens, whatever else is set. */
  production: boolean;
  /** The demo tokens `npm start` printed (development with its own secret only); absent: no picker. */
  devTokens?: readonly DevToken[];
}

/** The screens, by path. */
export const PAGES = ["desk", "hall", "console"] as const;

/**
 * Self only, for everything: scripts, styles, the WebSocket (CSP `'self'` covers ws:// and wss://
 * of this host in current browsers), images and fonts. `frame-ancestors 'none'` keeps the pages out
 * of other sites' frames (clickjacking a respond button). ECharts and React set styles through the
 * CSSOM, which `style-src 'self'` allows.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * GraphiQL's editor (Monaco) injects its own <style> elements and runs its language services in
 * workers made from blobs: the one place styles inline and blob workers are allowed. Scripts and
 * connections stay self only.
 */
export const GRAPHIQL_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace("worker-src 'self'", "worker-src 'self' blob:");

/** Mounts the pages, their assets, the development token list and GraphiQL (before the /graphql API). */
export function mountPages(app: Express, opts: PagesOptions): void {
  const root = opts.root ?? join(PROJECT_ROOT, "web", "dist");
  const built = (): boolean => existsSync(join(root, "desk", "index.html"));
  const notBuilt: RequestHandler = (_req, res, next) => {
    if (built()) return next();
    res
      .status(503)
      .type("text/plain; charset=utf-8")
      .send(`The pages are not built in ${root}. \`npm start\` and \`npm test\` build them; to build by hand run \`npm run build:web\`.`);
  };
  const headers = (csp: string): RequestHandler => (_req, res, next) => {
    res.setHeader("Content-Security-Policy", csp);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    // A page is a few hundred bytes naming hashed assets: always revalidated, so a new build shows at once.
    res.setHeader("Cache-Control", "no-cache");
    next();
  };
  // Hashed file names (Vite): an asset never changes under its name, so it can be kept a year.
  app.use("/assets", headers(PAGE_CSP), express.static(join(root, "assets"), { immutable: true, maxAge: "365d", index: false }), (req, res) => {
    // An old page naming an asset of an earlier build: reload the page to get the current names.
    res.status(404).type("text/plain; charset=utf-8").send(`No asset ${req.path} in this build; reload the page.`);
  });
  for (const page of PAGES) {
    app.get([`/${page}`, `/${page}/`], notBuilt, headers(PAGE_CSP), (_req, res) => res.sendFile(join(root, page, "index.html")));
  }
  app.get("/", (_req, res) => res.redirect(302, "/desk"));

  const devTokens = opts.production ? [] : (opts.devTokens ?? []);
  // The pickers of the sign-in forms: only for a development gateway that signs with its own secret
  // (npm start without AUTH_SECRET/AUTH_JWKS_URL), never in production, and to this machine only.
  app.get("/dev/tokens", (req, res) => {
    const local = ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress ?? "");
    if (devTokens.length === 0 || !local) {
      res.status(404).json({ errors: [{ message: "No development tokens here: a development gateway started with `npm start` lists them to this machine; elsewhere paste a token from your identity provider.", extensions: { code: "NOT_FOUND" } }] });
      return;
    }
    res.setHeader("Cache-Control", "no-store");
    res.json({ tokens: devTokens });
  });

  // A browser opening /graphql gets GraphiQL in development; an API client (no text/html in Accept)
  // and every request in production go on to the API, which answers a bare GET with its usual 400.
  if (!opts.production) {
    app.get("/graphql", (req, res, next) => {
      const wantsPage = req.accepts(["application/json", "application/graphql-response+json", "text/html"]) === "text/html" && req.query.query === undefined;
      if (!wantsPage || !existsSync(join(root, "graphiql", "index.html"))) return next();
      headers(GRAPHIQL_CSP)(req, res, () => res.sendFile(join(root, "graphiql", "index.html")));
    });
  }
}
