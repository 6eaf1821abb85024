// The Rulebook extension: starts `rulebook lsp` (crates/rulebook-lsp) for
// .rules files and lets vscode-languageclient speak LSP with it. Everything
// the editor shows comes from the server; this file only starts it.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('rulebook').get('path') || 'rulebook';
  const server = { command, args: ['lsp'] };
  client = new LanguageClient(
    'rulebook',
    'Rulebook',
    { run: server, debug: server },
    { documentSelector: [{ language: 'rulebook' }] },
  );
  context.subscriptions.push(client);
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `Rulebook: cannot start \`${command} lsp\` (${err.message}). ` +
        'Install rulebook (docs/editors.md) or set "rulebook.path".',
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
