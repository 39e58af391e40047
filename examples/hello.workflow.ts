// The smallest useful workflow: two shell steps, the second using the
// first one's output through the {greet} placeholder.
//
//   clockwork run examples/hello.workflow.ts
import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "hello",
  description: "Greets, then shouts the greeting.",
  steps: [
    shell("greet", "echo Hello from $(hostname)"),
    // {greet} is inserted as one quoted shell word, whatever it contains.
    shell("shout", "echo {greet} | tr a-z A-Z"),
  ],
});
