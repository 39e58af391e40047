// Summarise yesterday's commits with a local model, building on the
// previous digest. Schedule it on weekday mornings:
//
//   clockwork register examples/daily-digest.workflow.ts --cron "0 9 * * 1-5"
//
// {previous.summary} is the summary step's output in the last successful
// run of this workflow. Placeholders are strict, so on the very first run,
// when there is no previous summary, the summary step fails and says so.
// Write a first digest once with the companion file, which runs under the
// same workflow name:
//
//   clockwork run examples/daily-digest-first.workflow.ts
//
// The llm step talks to Ollama on 127.0.0.1:11434 by default
// (`ollama pull llama3.2`); point baseUrl, model and apiKeyEnv at any
// OpenAI-compatible server, or set provider: "anthropic".
import { defineWorkflow, llm, shell } from "clockwork";

export default defineWorkflow({
  name: "daily-digest",
  description: "Yesterday's commits, summarised, following on from the last digest.",
  steps: [
    // Runs in this file's folder; set cwd to the repository you want summarised.
    shell("commits", "git log --since=yesterday --oneline --no-merges", { cwd: "." }),
    llm("summary", {
      model: "llama3.2",
      system: "You write short, factual engineering digests.",
      prompt: [
        "Yesterday's digest:",
        "{previous.summary}",
        "",
        "Commits since then:",
        "{commits}",
        "",
        "Write today's digest in at most five bullet points. Mention what continues from yesterday.",
      ].join("\n"),
      timeout: "3m",
      retries: { attempts: 2, backoffMs: 5000 },
    }),
    shell("save", 'mkdir -p digests && printf "%s\\n" {summary} > "digests/$(date +%F).md"'),
  ],
});
