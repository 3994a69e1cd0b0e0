// What every command-line tool shares: `--help` (usage on stdout, exit 0, nothing else done), one line per
// failure on stderr (no stack trace; LOG_LEVEL=debug adds it) and the exit codes of src/errors.ts. A tool is a
// function of its arguments and environment, so tests run it in-process; runWhenMain() runs it as a program.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFailure, EXIT_CODES, usageError } from '../errors.js';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** Printed by --help (and after a usage error). */
  usage: string;
  /** A tool with help per sub-command: the text for these arguments when they ask for help. */
  help?(argv: string[]): string | undefined;
  /** Returns the exit code. */
  run(argv: string[], io: CommandIo): Promise<number>;
}

const wantsHelp = (argv: string[]): boolean => argv.some((argument) => argument === '--help' || argument === '-h');

/** Runs a tool in-process: the exit code, with its output written through io. */
export async function execute(command: Command, argv: string[], io: CommandIo, name: string): Promise<number> {
  const help = command.help ? command.help(argv) : wantsHelp(argv) ? command.usage : undefined;
  if (help !== undefined) {
    io.out(`${help}\n`);
    return 0;
  }
  try {
    return await command.run(argv, io);
  } catch (error) {
    const { message, exitCode } = describeFailure(error);
    io.err(`${name}: ${message}\n`);
    if (exitCode === EXIT_CODES.usage && !message.includes('Usage:')) io.err(`${command.usage}\n`);
    if (io.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
    return exitCode;
  }
}

/** Runs the tool as the program when its module is the one node was started with. */
export function runWhenMain(moduleUrl: string, command: Command): void {
  const entry = process.argv[1];
  if (!entry) return;
  const self = fileURLToPath(moduleUrl);
  const strip = (file: string): string => path.resolve(file).replace(/\.(ts|js|mts|mjs)$/, '');
  if (strip(entry) !== strip(self)) return;
  const name = path.basename(self).replace(/\.(ts|js)$/, '');
  const io: CommandIo = {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  void execute(command, process.argv.slice(2), io, name).then((code) => {
    process.exitCode = code;
    // Output is flushed by then; a handle left open by a library must not keep a finished tool alive.
    setTimeout(() => process.exit(code), 1000).unref();
  });
}

export { usageError };
