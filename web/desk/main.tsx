import { mount } from "../shared/mount";
import { PageShell } from "../shared/session";
import { Desk } from "./Desk";

mount(
  <PageShell page="desk" title="app.desk" roles={["AGENT"]}>
    <Desk />
  </PageShell>,
);
