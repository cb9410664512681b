import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { GatewayClient } from "./client";
import { useI18n, LanguageSwitch, type MessageKey } from "./i18n";

/** What a page reads of its token (the gateway checks the token itself on every request). */
export interface Claims {
  sub: string;
  roles: string[];
  regions?: string[];
  agentId?: string;
  customerId?: string;
  exp?: number;
}

interface Session {
  token: string;
  claims: Claims;
  client: GatewayClient;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}

/** The JWT's payload, unverified (display and routing only); null when it is not a JWT. */
export function readClaims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part || token.split(".").length !== 3) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Claims;
    return typeof claims.sub === "string" && Array.isArray(claims.roles) ? claims : null;
  } catch {
    return null;
  }
}

/**
 * A page's frame: the header (title, who is signed in, language, sign-out) and, until a token is
 * given, the sign-in form. The token lives in sessionStorage: this tab only, gone when it closes.
 */
export function PageShell({ page, title, roles, children }: { page: string; title: MessageKey; roles: readonly string[]; children: ReactNode }) {
  const { t } = useI18n();
  const storageKey = `c360.token.${page}`;
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(storageKey));
  const [notice, setNotice] = useState<string | null>(null);
  const session = useMemo<Session | null>(() => {
    const claims = token ? readClaims(token) : null;
    if (!token || !claims) return null;
    const signOut = () => {
      sessionStorage.removeItem(storageKey);
      setToken(null);
    };
    return { token, claims, signOut, client: new GatewayClient(token, (message) => {
      setNotice(message);
      signOut();
    }) };
  }, [token, storageKey]);
  useEffect(() => () => session?.client.dispose(), [session]);
  useEffect(() => {
    document.title = t(title);
  }, [t, title]);

  return (
    <div className={`page page-${page}`}>
      <header className="topbar">
        <h1>{t(title)}</h1>
        <span className="spacer" />
        {session && (
          <span className="who" data-testid="who">
            {session.claims.sub} · {session.claims.roles.join("+")}
          </span>
        )}
        <LanguageSwitch />
        {session && (
          <button type="button" className="link" onClick={session.signOut}>
            {t("signout")}
          </button>
        )}
      </header>
      {session ? (
        <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
      ) : (
        <SignIn
          roles={roles}
          notice={notice}
          onToken={(value) => {
            sessionStorage.setItem(storageKey, value);
            setNotice(null);
            setToken(value);
          }}
        />
      )}
    </div>
  );
}

function SignIn({ roles, notice, onToken }: { roles: readonly string[]; notice: string | null; onToken(token: string): void }) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [devTokens, setDevTokens] = useState<Array<{ label: string; token: string }>>([]);
  useEffect(() => {
    // Only a development gateway answers (to this machine); elsewhere a 404 and no picker.
    fetch("/dev/tokens")
      .then(async (res) => (res.ok ? ((await res.json()) as { tokens: Array<{ label: string; token: string }> }).tokens : []))
      .then(setDevTokens)
      .catch(() => setDevTokens([]));
  }, []);
  const submit = (value: string) => {
    const token = value.trim().replace(/^Bearer\s+/i, "");
    if (!readClaims(token)) return setError(t("signin.bad"));
    onToken(token);
  };
  return (
    <main className="signin">
      <h2>{t("signin.title")}</h2>
      <p className="muted">
        {t("signin.role")}
        {roles.join(" / ")}
      </p>
      {notice && <p className="error">{notice}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit(text);
        }}
      >
        <textarea data-testid="token" rows={4} placeholder={t("signin.paste")} value={text} onChange={(e) => setText(e.target.value)} />
        {error && <p className="error">{error}</p>}
        <button type="submit" data-testid="signin">
          {t("signin.submit")}
        </button>
      </form>
      {devTokens.length > 0 && (
        <section className="dev-tokens">
          <h3>{t("signin.dev")}</h3>
          {devTokens
            .filter((d) => roles.some((r) => d.label.startsWith(r)))
            .map((d) => (
              <button type="button" key={d.label} data-testid={`dev-${d.label}`} onClick={() => submit(d.token)}>
                {d.label}
              </button>
            ))}
        </section>
      )}
    </main>
  );
}
