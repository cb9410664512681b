import { mount } from "../shared/mount";
import { PageShell } from "../shared/session";
import { Console } from "./Console";

mount(
  <PageShell page="console" title="app.console" roles={["MARKETER", "APPROVER", "ADMIN"]}>
    <Console />
  </PageShell>,
);
