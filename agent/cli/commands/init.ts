// `clockwork init [folder]`: sets a folder up for writing workflows with
// types and completion in an editor. Clockwork maps `import … from
// "clockwork"` to its built-in SDK when it loads a workflow, so nothing is
// installed; the editor only needs the declarations (clockwork.d.ts) and a
// tsconfig.json that includes them.
import type { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { SDK_DECLARATIONS } from "../../workflow/sdkTypes";
import { colour } from "../output";

export const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "Bundler",
    lib: ["ES2023"],
    strict: true,
    noEmit: true,
    allowJs: true,
    skipLibCheck: true,
  },
  include: ["**/*.workflow.ts", "**/*.workflow.mts", "**/*.workflow.js", "**/*.workflow.mjs", "clockwork.d.ts"],
};

const HELLO = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "hello",
  steps: [
    shell("greet", "echo Hello from $(hostname)"),
    shell("shout", "echo {greet} | tr a-z A-Z"),
  ],
});
`;

export function initCommands(program: Command): void {
  program
    .command("init")
    .description("Set a folder up for writing workflows: editor types (clockwork.d.ts), a tsconfig.json, an example")
    .argument("[folder]", "where your workflow files live", ".")
    .option("--no-example", "do not write hello.workflow.ts")
    .addHelpText(
      "after",
      `
Writes, in the folder:
  clockwork.d.ts          the types of import { … } from "clockwork" (always refreshed)
  tsconfig.json           only if there is none: includes *.workflow.ts and clockwork.d.ts
  hello.workflow.ts       only if there is none, unless --no-example

Nothing is installed: Clockwork provides "clockwork" itself when it loads a
workflow. With your own tsconfig.json, add "clockwork.d.ts" to its "include".`,
    )
    .action((folder: string, options: { example: boolean }) => {
      const dir = resolve(folder);
      mkdirSync(dir, { recursive: true });
      const shown = (file: string) => {
        const path = relative(process.cwd(), join(dir, file));
        return path.startsWith("..") ? join(dir, file) : path;
      };
      const lines: string[] = [];

      writeFileSync(join(dir, "clockwork.d.ts"), SDK_DECLARATIONS);
      lines.push(`${colour.green("wrote")}   ${shown("clockwork.d.ts")}`);

      const tsconfig = join(dir, "tsconfig.json");
      if (!existsSync(tsconfig)) {
        writeFileSync(tsconfig, `${JSON.stringify(TSCONFIG, null, 2)}\n`);
        lines.push(`${colour.green("wrote")}   ${shown("tsconfig.json")}`);
      } else if (!readFileSync(tsconfig, "utf8").includes("clockwork.d.ts")) {
        lines.push(`${colour.yellow("kept")}    ${shown("tsconfig.json")}: add "clockwork.d.ts" to its "include" for types in workflow files`);
      } else {
        lines.push(`${colour.dim("kept")}    ${shown("tsconfig.json")}`);
      }

      const hello = join(dir, "hello.workflow.ts");
      if (options.example && !existsSync(hello)) {
        writeFileSync(hello, HELLO);
        lines.push(`${colour.green("wrote")}   ${shown("hello.workflow.ts")}`);
        lines.push("", `Try it: clockwork run ${shown("hello.workflow.ts")}`);
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
