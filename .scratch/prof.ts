import { BenchRedis } from '../bench/lib/redis.js';
import { Progress, waitForCard } from '../bench/lib/bench.js';
import { prepareTurbineNoop, submitPeerNoop } from '../bench/lib/noop-workload.js';
import { PeerSide, TurbineSide } from '../bench/lib/world.js';

const total = Number(process.env.N ?? 20000);
async function stats(redis: BenchRedis, label: string, t0cpu: number) {
  const cs = await redis.info('commandstats');
  const rows: [string, number, number][] = [];
  for (const [k, v] of Object.entries(cs)) {
    const m = /calls=(\d+),usec=(\d+)/.exec(v);
    if (m) rows.push([k.replace('cmdstat_', ''), Number(m[1]) / total, Number(m[2]) / total]);
  }
  rows.sort((a, b) => b[2] - a[2]);
  const cpu = ((await redis.cpuSeconds()) - t0cpu) * 1e6 / total;
  const script = rows.filter((r) => ['fcall', 'evalsha'].includes(r[0])).reduce((a, r) => a + r[2], 0);
  const inner = rows.filter((r) => !['fcall', 'evalsha', 'eval'].includes(r[0]) && !r[0].startsWith('function')).reduce((a, r) => a + r[2], 0);
  console.log(`== ${label}: redis cpu/task ${cpu.toFixed(1)} µs; calls/task ${rows.reduce((a, r) => a + r[1], 0).toFixed(2)}; script ${script.toFixed(1)} µs of which inner commands ${inner.toFixed(1)}, Lua and call overhead ${(script - inner).toFixed(1)}`);
  for (const r of rows.slice(0, 40)) console.log(`  ${r[0].padEnd(22)} calls ${r[1].toFixed(3).padStart(7)}  usec/task ${r[2].toFixed(2).padStart(7)}`);
}
const redis = await BenchRedis.start();
const which = process.env.SIDE ?? 'both';
if (which !== 'peer') {
  const side = new TurbineSide(redis.url);
  const submit = await prepareTurbineNoop(side);
  await submit(total);
  console.log(`PROCESSING pid=${(redis.server as unknown as { process?: { pid?: number } }).process?.pid ?? '?'}`);
  await redis.resetStats();
  const c0 = await redis.cpuSeconds(); const n0 = process.cpuUsage(); const t0 = Date.now();
  const progress = new Progress(total);
  await side.startWorker(50, (w) => w.on('task:finished', () => progress.finished()), 'error');
  await progress.wait(300_000, 't');
  await waitForCard(redis.raw, `${side.prefix}:q:work:completed`, total);
  const n = process.cpuUsage(n0);
  console.log(`turbine ${(total / ((Date.now() - t0) / 1000)).toFixed(0)}/s node ${((n.user + n.system) / total).toFixed(1)} µs`);
  await stats(redis, 'turbine', c0);
  await side.close();
}
if (which !== 'turbine') {
  const side = new PeerSide(redis.url);
  await submitPeerNoop(side, total);
  await redis.resetStats();
  const c0 = await redis.cpuSeconds(); const n0 = process.cpuUsage(); const t0 = Date.now();
  const progress = new Progress(total);
  const worker = await side.worker(50, async () => null);
  worker.on('completed', () => progress.finished());
  void worker.run();
  await progress.wait(300_000, 'p');
  await waitForCard(redis.raw, `${side.prefix}:work:completed`, total);
  const n = process.cpuUsage(n0);
  console.log(`peer ${(total / ((Date.now() - t0) / 1000)).toFixed(0)}/s node ${((n.user + n.system) / total).toFixed(1)} µs`);
  await stats(redis, 'peer', c0);
  await side.close();
}
await redis.close();
process.exit(0);
