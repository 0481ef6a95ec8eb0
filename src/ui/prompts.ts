// Every interactive question etsyhook asks, in one module. Callers ask only when `out.interactive`; tests never get here.
import { OperationError } from '../errors.js';

/** Ctrl-C or a closed terminal in a prompt: stop the command with a one-line message, not a stack trace. */
async function asked<T>(question: Promise<T>): Promise<T> {
  try {
    return await question;
  } catch (err) {
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
      throw new OperationError('cancelled');
    }
    throw err;
  }
}

const output = { output: process.stderr };

export async function askText(message: string, validate?: (value: string) => true | string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  const answer = await asked(input({ message, required: true, ...(validate ? { validate } : {}) }, output));
  return answer.trim();
}

export async function askSecret(message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  const answer = await asked(
    password({ message, mask: '•', validate: (v: string) => (v.trim() !== '' ? true : 'required') }, output),
  );
  return answer.trim();
}

export async function askChoices(
  message: string,
  choices: readonly { value: string; name?: string; description?: string }[],
): Promise<string[]> {
  const { checkbox } = await import('@inquirer/prompts');
  return asked(
    checkbox(
      {
        message,
        choices: choices.map((c) => ({ value: c.value, name: c.name ?? c.value, ...(c.description ? { description: c.description } : {}) })),
        required: true,
        pageSize: 14,
      },
      output,
    ),
  );
}

export async function askConfirm(message: string, defaultValue = false): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return asked(confirm({ message, default: defaultValue }, output));
}
