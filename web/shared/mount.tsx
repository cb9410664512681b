import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { I18nProvider } from "./i18n";
import "./styles.css";

/** Mounts a page's root component with the language provider. */
export function mount(node: ReactNode): void {
  const root = document.getElementById("root");
  if (!root) throw new Error("the page has no #root");
  createRoot(root).render(
    <StrictMode>
      <I18nProvider>{node}</I18nProvider>
    </StrictMode>,
  );
}
