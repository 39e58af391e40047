// `clockwork show <run>`: one run in full: its trigger, every step with its
// status, duration, output and error.
import type { Command } from "commander";
import { loadConfig } from "../../config";
import { terminalDuration } from "../../core/durationText";
import { ordinal } from "../../core/runTriggers";
import type { RunRecord, StepRecord } from "../../protocol";
import { failOrphanRuns } from "../../runner/orphans";
import { connectStore } from "../../store";
import { colour, printJson } from "../output";
import { backfillHint, elapsed, indent, localTime, mark, paintStatus, triggerLabel } from "../runFormat";

export function showCommands(program: Command): void {
  program
    .command("show")
    .description("Show one run: its trigger, and every step's status, output and error")
    .argument("<run-id>", "a run id, or any unique prefix of one (see clockwork history)")
    .option("--json", "print the run record as JSON")
    .addHelpText(
      "after",
      `
Examples:
  clockwork show k3j2h1g0f9e8
  clockwork show k3j          a unique prefix is enough
  clockwork show k3j --json | jq -r '.steps[] | .name + ": " + .status'

The full output as it was produced, stderr included: clockwork logs <run-id>`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const store = await connectStore(loadConfig());
      let run: RunRecord;
      try {
        await failOrphanRuns(store.runs, { team: store.team !== undefined });
        run = await store.runs.getRun(id);
      } finally {
        await store.close();
      }
      if (options.json) printJson(run);
      else process.stdout.write(describeRun(run));
    });
}

export function describeRun(run: RunRecord): string {
  const took = elapsed(run.startedAt ?? run.createdAt, run.finishedAt);
  const field = (name: string, value: string) => `${colour.dim(name.padEnd(10))}${value}`;
  const lines = [
    `${mark(run.status)} ${colour.bold(run.workflowName)} ${paintStatus(run.status)} ${colour.dim(`· run ${run.id}`)}`,
    field("file", run.workflowFile),
    field("trigger", triggerLabel(run)),
  ];
  if (run.replayOf) lines.push(field("replay of", `${run.replayOf} (same trigger and context${run.trigger.body !== undefined ? "; the body may be edited" : ""})`));
  if (run.scheduledFor) lines.push(field("scheduled", `${localTime(run.scheduledFor)} (${run.scheduledFor})${run.backfill ? " · backfill" : ""}`));
  const after = run.trigger.run;
  if (after) lines.push(field("after", `run ${after.id} of ${after.workflow} ended ${after.status} (this is the ${ordinal(after.depth)} run in its chain of run triggers)`));
  if (run.missed) {
    const m = run.missed;
    const listed = m.instants.length < m.count ? ` (the first ${m.instants.length} listed)` : "";
    lines.push(field("missed", `${m.count} instant${m.count === 1 ? "" : "s"} from ${localTime(m.instants[0] ?? m.last)} to ${localTime(m.last)}${listed}:`));
    for (let i = 0; i < m.instants.length; i += 4) lines.push(field("", m.instants.slice(i, i + 4).map(localTime).join("  ")));
    if (run.triggerName) lines.push(field("", colour.dim(`run them with: ${backfillHint(run.triggerName, run.missed)}`)));
  }
  if (run.trigger.path) lines.push(field("path", `${run.trigger.path}${run.trigger.fileEvent ? ` (${run.trigger.fileEvent})` : ""}`));
  if (run.trigger.body !== undefined) {
    const body = typeof run.trigger.body === "string" ? run.trigger.body : JSON.stringify(run.trigger.body);
    lines.push(field("body", body.length > 200 ? `${body.slice(0, 200)}… (${body.length} characters; --json shows all)` : body));
  }
  lines.push(field("started", localTime(run.startedAt ?? run.createdAt)));
  if (run.finishedAt) lines.push(field("finished", `${localTime(run.finishedAt)}${took === undefined ? "" : ` (${terminalDuration(took)})`}`));
  if (run.error) lines.push(field("error", colour.red(run.error)));
  lines.push("");
  if (run.steps.length === 0) lines.push(colour.dim("No steps ran."));
  for (const step of run.steps) lines.push(describeStep(step));
  return lines.join("\n") + "\n";
}

function describeStep(step: StepRecord): string {
  const took = elapsed(step.startedAt, step.finishedAt);
  const facts = [paintStatus(step.status)];
  if (took !== undefined) facts.push(terminalDuration(took));
  if (step.exitCode !== null && step.exitCode !== 0) facts.push(`exit code ${step.exitCode}`);
  if (step.attempts > 1) facts.push(`${step.attempts} attempts`);
  const out = [`${mark(step.status)} ${colour.bold(step.name)} ${colour.dim(`(${step.kind})`)}  ${facts.join(colour.dim(" · "))}`];
  if (step.error && step.status !== "cancelled") out.push(indent(colour.red(step.error), "    "));
  if (step.output) out.push(indent(step.output, "    "));
  else if (step.status === "success") out.push(colour.dim("    (no output)"));
  return out.join("\n");
}
