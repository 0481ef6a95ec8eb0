// The physical limit for a Node receiver on this machine: a bare `http` server that reads the body and answers 200.
// Also the forward/replay target: with COUNT=1 it counts deliveries per webhook-id (GET /__stats reports them).
//   node bare-server.mjs PORT            prints "ready PORT" on stdout once listening
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const count = process.env.COUNT === '1';
const seen = new Map();
let requests = 0;
let duplicates = 0;
const okBody = Buffer.from('{"status":"received"}');

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests, distinct: seen.size, duplicates }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    if (count) {
      const id = req.headers['webhook-id'] ?? req.headers['x-etsy-timestamp'];
      const k = String(id);
      const n = seen.get(k) ?? 0;
      if (n > 0) duplicates++;
      seen.set(k, n + 1);
    }
    Buffer.concat(chunks); // read it all, as a receiver would
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': okBody.length });
    res.end(okBody);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
