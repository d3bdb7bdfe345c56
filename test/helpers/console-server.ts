import { createServer } from 'node:http';
import { createConsole, type ConsoleOptions } from '../../src/ui/index.js';

/** `turbine/ui` on node:http in the test's process, on a free port, and the requests tests make of it. */
export interface ConsoleServer {
  origin: string;
  /** GETs a page; returns its HTML (throws on any status but 200, with the page's message). */
  page(path: string): Promise<string>;
  /** POSTs a confirmed action with the Bearer token, not following the redirect. */
  act(action: string, fields: Record<string, string>, token?: string): Promise<Response>;
  close(): Promise<void>;
}

export async function serveConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const web = createConsole(options);
  const server = createServer(web);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    origin,
    page: async (path) => {
      const response = await fetch(`${origin}${path}`);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}\n${text}`);
      return text;
    },
    act: (action, fields, token = options.token) =>
      fetch(`${origin}/actions/${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, confirmed: 'yes' }),
      }),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await web.close();
    },
  };
}

/** The notice an action's redirect carries. */
export function noticeOf(response: Response): string | null {
  return new URL(response.headers.get('location') ?? '/', 'http://console').searchParams.get('notice');
}
