// An http step: asks the Clockwork agent's own health endpoint whether it
// is up, retrying while it starts. The response body is the step's output.
//
//   clockwork agent start && clockwork run examples/agent-health.workflow.ts
import { defineWorkflow, code, http } from "clockwork";

export default defineWorkflow({
  name: "agent-health",
  description: "Checks that the agent's HTTP server answers.",
  steps: [
    // Where the agent listens: the same variables it reads, with its defaults.
    code("base", () => `http://${process.env.CLOCKWORK_HTTP_HOST || "127.0.0.1"}:${process.env.CLOCKWORK_HTTP_PORT || "8787"}`),
    http("health", {
      url: "{base}/healthz",
      headers: { accept: "application/json" },
      timeout: "5s",
      retries: { attempts: 3, backoffMs: 500 },
    }),
    code("verdict", ({ steps }) => {
      const body = JSON.parse(steps.health) as { status?: string };
      if (body.status !== "ok") throw new Error(`the agent says ${steps.health}`);
      return "the agent is healthy";
    }),
  ],
});
