// Opening a URL in the user's browser, best effort: the URL is always printed too, so a missing opener is no error.
// Said to have worked only when it can have: a display to show it on (or macOS, Windows) and an opener that exited 0.

/** Could a browser window appear here at all? */
export function canShowBrowser(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return (env.DISPLAY ?? '') !== '' || (env.WAYLAND_DISPLAY ?? '') !== '';
}

/** Open `url` in a browser; true only when there is a display and the opener exited 0 (within 10 s). */
export async function openBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (!canShowBrowser(platform)) return false;
  const { spawn } = await import('node:child_process');
  const [cmd, args] =
    platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
      const timer = setTimeout(() => {
        child.unref();
        resolve(false); // still running: it may yet open one, but we cannot say it did
      }, 10_000);
      timer.unref();
      child.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    } catch {
      resolve(false);
    }
  });
}

/** The line after the printed URL: whether it was opened, or that the user should open it. */
export async function browserLine(url: string): Promise<string> {
  return (await openBrowser(url)) ? '(opened in your browser)' : '(no browser could be opened here: open the URL above yourself)';
}
