// A code step: a TypeScript function that gets the outputs of earlier
// steps and returns JSON, which later steps receive as text.
//
//   clockwork run examples/file-report.workflow.ts
import { defineWorkflow, code, shell } from "clockwork";

export default defineWorkflow({
  name: "file-report",
  description: "Counts the files in this folder by extension.",
  steps: [
    shell("files", "find . -maxdepth 2 -type f -not -path './node_modules/*' | sort"),
    code("by-extension", async ({ steps, log }) => {
      const counts: Record<string, number> = {};
      for (const file of steps.files.split("\n").filter(Boolean)) {
        const match = /\.([^./]+)$/.exec(file);
        const ext = match ? match[1]! : "(none)";
        counts[ext] = (counts[ext] ?? 0) + 1;
      }
      log(`counted ${Object.keys(counts).length} extensions`);
      return counts; // objects become JSON
    }),
    shell("print", "echo {by-extension} | tr ',' '\\n'"),
  ],
});
