import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PORT, isLoopback, startServer } from '../server/serve.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number in [0, 65535] but received "${v}"`);
  return n;
}

/** Add `facetally serve` to the program. Argument parsing only; the server is src/server/serve.ts. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the local web app: drop photos in your browser, see faces and attributes, compare groups. Photos never leave your browser.')
    .addOption(new Option('-p, --port <n>', 'port (0 = any free port)').argParser(parsePort).default(DEFAULT_PORT))
    .option('--host <address>', 'interface to listen on; anything but 127.0.0.1/localhost exposes the app to your network', '127.0.0.1')
    .option('--model <dir>', 'attribute model folder (attributes.json + ONNX); default: the shipped model')
    .addHelpText(
      'after',
      `
The server only serves the app and the model files (GET/HEAD); detection and attributes run in the browser
(onnxruntime-web, WebAssembly), so photos are never uploaded. Nothing is fetched from the internet.

Examples:
  facetally serve                      then open http://127.0.0.1:${DEFAULT_PORT}/
  facetally serve --port 8080 --model my-model/

Exit codes: 0 stopped with Ctrl+C or SIGTERM; 1 bad usage or a fatal error (the port is taken, the model cannot
be read).`,
    )
    .action(async (opts: { port: number; host: string; model?: string }) => {
      if (!isLoopback(opts.host)) {
        process.stderr.write(
          `facetally serve: warning: listening on ${opts.host} makes the app reachable from other machines on your network. ` +
            `Photos are still analysed only in each visitor's own browser, but anyone who can reach this port can load the app and the models.\n`,
        );
      }
      const server = await startServer({ port: opts.port, host: opts.host, modelDir: opts.model });
      process.stderr.write(`facetally serve: the web app is at ${server.url}  (open it in your browser; Ctrl+C to stop)\n`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
