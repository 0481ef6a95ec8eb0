// Runs the ngrok tunnel in a child process of `etsyhook dev` (started by tunnel.ts with an IPC channel).
// Why a child: the native module's connect cannot be cancelled and keeps a process alive while it hangs (no network,
// a firewall that drops packets); a child can always be killed, so dev fails within its deadline and exits.
//
// Parent → child: {type:'open', addr, authtoken, domain?, serverAddr?} then {type:'close'}.
// Child → parent: {type:'url', url} | {type:'status', status} | {type:'error', message, code?} | {type:'closed'}.

interface OpenMessage {
  type: 'open';
  addr: string;
  authtoken: string;
  domain?: string;
  serverAddr?: string;
}

type ParentMessage = OpenMessage | { type: 'close' };

interface NgrokListener {
  url(): string | null;
  close(): Promise<void>;
}

function send(message: Record<string, unknown>): void {
  if (process.connected) process.send?.(message);
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return (m.split('\n')[0] ?? m).trim();
}

let listener: NgrokListener | undefined;

async function open(msg: OpenMessage): Promise<void> {
  try {
    const ngrok = (await import('@ngrok/ngrok')) as unknown as {
      forward(config: Record<string, unknown>): Promise<NgrokListener>;
    };
    listener = await ngrok.forward({
      addr: msg.addr,
      authtoken: msg.authtoken,
      ...(msg.domain ? { domain: msg.domain } : {}),
      ...(msg.serverAddr ? { server_addr: msg.serverAddr } : {}),
      forwards_to: 'etsyhook dev',
      onStatusChange: (status: string) => send({ type: 'status', status }),
    });
    send({ type: 'url', url: listener.url() });
  } catch (err) {
    send({ type: 'error', message: firstLine(err), code: (err as { errorCode?: string }).errorCode });
    setTimeout(() => process.exit(1), 50).unref();
  }
}

async function close(): Promise<void> {
  try {
    await listener?.close();
  } catch {
    /* closing anyway */
  }
  send({ type: 'closed' });
  process.exit(0);
}

process.on('message', (raw: unknown) => {
  const msg = raw as ParentMessage;
  if (msg.type === 'open') void open(msg);
  else if (msg.type === 'close') void close();
});
// The parent went away (even by SIGKILL): the tunnel must not outlive it.
process.on('disconnect', () => process.exit(0));
