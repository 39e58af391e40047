// Multi-step input in VS Code's own quick input, showing which step this is
// ("2/4"), as the registration commands ask several questions in a row. A
// step can be shown again with an error under it (the agent refused what was
// entered), with the previous answer kept.
import * as vscode from "vscode";

export class Wizard {
  private current = 0;

  constructor(
    readonly title: string,
    readonly totalSteps: number,
  ) {}

  /** The number the next question gets; call `next` to move on. */
  get step(): number {
    return this.current + 1;
  }

  /** The title with the step, for dialogs that have no step of their own (a file dialog). */
  get titleWithStep(): string {
    return `${this.title} (${this.step}/${this.totalSteps})`;
  }

  next(): void {
    this.goTo(this.step + 1);
  }

  /** Makes `step` (1-based) the next question, to ask a step again. */
  goTo(step: number): void {
    this.current = Math.max(0, Math.min(step - 1, this.totalSteps - 1));
  }

  /** Asks for text; undefined when the user escapes. */
  input(options: {
    prompt: string;
    value?: string;
    placeholder?: string;
    /** Shown under the box until the value changes (the agent refused the last answer). */
    error?: string;
  }): Promise<string | undefined> {
    const box = vscode.window.createInputBox();
    box.prompt = options.prompt;
    box.value = options.value ?? "";
    box.placeholder = options.placeholder;
    box.validationMessage = options.error;
    const cleared = box.onDidChangeValue(() => (box.validationMessage = undefined));
    return this.ask(box, () => box.value).finally(() => cleared.dispose());
  }

  /** Picks one item, or several with `canPickMany`; undefined when the user escapes. */
  pick<T extends vscode.QuickPickItem>(
    items: readonly T[],
    options: { placeholder: string; canPickMany?: boolean; matchOnDescription?: boolean },
  ): Promise<readonly T[] | undefined> {
    const pick = vscode.window.createQuickPick<T>();
    pick.items = items;
    pick.placeholder = options.placeholder;
    pick.canSelectMany = options.canPickMany ?? false;
    pick.matchOnDescription = options.matchOnDescription ?? false;
    if (pick.canSelectMany) pick.selectedItems = items.filter((i) => i.picked);
    else {
      const preferred = items.find((i) => i.picked);
      if (preferred) pick.activeItems = [preferred];
    }
    return this.ask(pick, () => (pick.canSelectMany ? pick.selectedItems : pick.activeItems.slice(0, 1)));
  }

  /** Shows `input` as this step; resolves with `answer()` on accept, undefined when it is dismissed. */
  private ask<T>(input: vscode.QuickInput & { onDidAccept: vscode.Event<void> }, answer: () => T): Promise<T | undefined> {
    input.title = this.title;
    input.step = this.step;
    input.totalSteps = this.totalSteps;
    input.ignoreFocusOut = true;
    return new Promise((resolve) => {
      let result: T | undefined;
      const subs = [
        input.onDidAccept(() => {
          result = answer();
          input.hide();
        }),
        input.onDidHide(() => {
          subs.forEach((s) => s.dispose());
          input.dispose();
          resolve(result);
        }),
      ];
      input.show();
    });
  }
}
