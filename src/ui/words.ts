// Counts, sizes and durations as a person reads them: "1 event", "2 events", "1 MiB", "850 ms", "2.4 s", "3 min".

/** `1 event`, `2 events`; `plural` for irregular words (`1 delivery`, `2 deliveries`). */
/** Unreadable records a reader skipped: what it knows of them (a line cannot tell a torn write from corruption). */
export function unreadableRecords(count: number, first: number, file: string): string {
  const what = count === 1 ? `1 unreadable record at byte ${first}` : `${count} unreadable records (the first at byte ${first})`;
  return `skipped ${what} of ${file}: a write torn by a crash, or corruption`;
}

/** What a starting receiver says of unreadable records in its store: only a torn last line is known to be harmless. */
export function storeDamage(damage: { badLines: number; firstBadOffset?: number; tornTail?: boolean }, file: string): string {
  if (damage.tornTail === true) return `skipped a record cut short at the end of ${file} (byte ${damage.firstBadOffset ?? 0}): a write torn by a crash, never acknowledged`;
  return unreadableRecords(damage.badLines, damage.firstBadOffset ?? 0, file);
}

/** After a receiver's local URL: said when it listens beyond this machine's loopback. */
export function listeningNote(host: string): string {
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') return '';
  if (host === '0.0.0.0' || host === '::') return `  (listening on every interface, ${host}: other machines can reach it)`;
  return `  (listening on ${host})`;
}

/** After a local page's URL: said when the port asked for was taken and the next free one is used instead. */
export function portMovedNote(asked: number, got: number): string {
  return asked !== 0 && got !== asked ? `  (port ${asked} was taken)` : '';
}

/** After a replay: what became of the attempts that went elsewhere than the events' own deliveries. */
export function replayedElsewhere(n: number): string {
  return `${n === 1 ? '1 replay' : `${n} replays`} went elsewhere than ${n === 1 ? "its event's" : 'their events\''} own deliveries: recorded (events show lists ${n === 1 ? 'it' : 'them'}, with no route), no status changed`;
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** 1 byte, 512 bytes, 1.5 KiB, 1 MiB, 2.3 GiB. */
export function bytesInWords(n: number): string {
  if (n < 1024) return plural(n, 'byte');
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${+v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** 850 ms, 2.4 s, 3.5 min, 2 h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}
