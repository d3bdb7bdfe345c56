import { Turbine } from '../tasks/app.js';
import type { TaskContext } from '../tasks/types.js';

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** The demo's tasks: an email sender and a report renderer, with realistic durations. */
export function createDemoApp(backendUrl: string, prefix: string): Turbine {
  const app = new Turbine({ backendUrl, prefix });
  app.task({ name: 'send_email', queue: 'emails', retries: 2 }, async (to: string, subject: string, ctx: TaskContext) => {
    await pause(50 + Math.random() * 150, ctx.signal);
    if (Math.random() < 0.02) throw new Error(`SMTP server refused ${to}`);
    return { to, subject, sentAt: new Date().toISOString() };
  });
  app.task({ name: 'render_report', queue: 'processing', retries: 1 }, async (reportId: string, ctx: TaskContext) => {
    await pause(300 + Math.random() * 700, ctx.signal);
    return { reportId, pages: Math.ceil(Math.random() * 20) };
  });
  return app;
}
