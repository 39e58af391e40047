// Keeps a word-count index of your notes up to date. Register it on a
// folder; it runs once a changed file has stopped being written:
//
//   clockwork register-watcher examples/markdown-watcher.workflow.ts --path ~/notes --recursive --glob "*.md" --events created,modified
//
// {trigger.path} is the absolute path of the file that changed. A manual
// `clockwork run` has no path, so {trigger.path} fails it with a message
// saying so; this workflow is meant for file triggers.
import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "markdown-watcher",
  description: "Re-counts the words of a changed Markdown note.",
  steps: [
    shell("words", "wc -w < {trigger.path} | tr -d ' '"),
    shell("title", "grep -m1 '^# ' {trigger.path} | sed 's/^# //' || true"),
    shell("index", 'mkdir -p .index && printf "%s\\t%s\\t%s\\n" {trigger.path} {words} {title} >> .index/words.tsv && echo indexed {trigger.path}'),
  ],
});
