// The HTML shell every Clockwork webview uses: a strict Content-Security-
// Policy (scripts only with this page's nonce, styles only from the
// extension), the page's own script bundle from dist/webviews, and the
// shared and the page's own stylesheets from media/webviews. Colours come from VS Code's --vscode-*
// CSS variables, so every theme applies.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: { name: "cronEditor" | "runPanel"; title: string },
): string {
  const nonce = randomBytes(16).toString("base64");
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webviews", `${page.name}.js`));
  const common = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", "webviews", "common.css"));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", "webviews", `${page.name}.css`));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${common}">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(page.title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Webview options for a page that loads only from dist/webviews and media/webviews. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist", "webviews"), vscode.Uri.joinPath(extensionUri, "media", "webviews")],
  };
}

/** The Clockwork icon for a panel's tab, in a light and a dark variant. */
export function panelIcon(extensionUri: vscode.Uri): { light: vscode.Uri; dark: vscode.Uri } {
  return {
    light: vscode.Uri.joinPath(extensionUri, "media", "clockwork-light.svg"),
    dark: vscode.Uri.joinPath(extensionUri, "media", "clockwork-dark.svg"),
  };
}
