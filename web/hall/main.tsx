import { mount } from "../shared/mount";
import { PageShell } from "../shared/session";
import { Hall } from "./Hall";

mount(
  <PageShell page="hall" title="app.hall" roles={["APP"]}>
    <Hall />
  </PageShell>,
);
