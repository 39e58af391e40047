// The first run of daily-digest: same workflow name, no {previous.summary}.
// Run it once; afterwards daily-digest.workflow.ts finds this run's summary.
//
//   clockwork run examples/daily-digest-first.workflow.ts
import { defineWorkflow, llm, shell } from "clockwork";

export default defineWorkflow({
  name: "daily-digest",
  description: "The first digest, with nothing earlier to build on.",
  steps: [
    shell("commits", "git log --since=yesterday --oneline --no-merges", { cwd: "." }),
    llm("summary", {
      model: "llama3.2",
      system: "You write short, factual engineering digests.",
      prompt: "Commits since yesterday:\n{commits}\n\nWrite a digest in at most five bullet points.",
      timeout: "3m",
    }),
  ],
});
