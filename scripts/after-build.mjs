// The build's steps after tsc: the inspector's static files beside its code, and every command's help rendered
// once (dist/help.json, which bin/etsyhook.cjs prints for `--help` without loading the CLI).
import { cpSync } from 'node:fs';

cpSync('src/inspector/assets', 'dist/inspector/assets', { recursive: true });
const { writeHelpFile } = await import('../dist/help-text.js');
await writeHelpFile('dist/help.json');
